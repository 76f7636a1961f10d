/*
 * jwt.h: CDS Hooks 2.0 client authentication — the JWT in "Authorization: Bearer" verified against a
 * JSON Web Key Set file (docs/SERVICE.md "Security model"). All cryptography is OpenSSL's (libcrypto EVP).
 *
 * The key file (--jwks FILE) is a JWK Set, {"keys": [...]}, where every key also names the issuer allowed
 * to sign with it in a member "iss" (the allowlist is the set of these issuers; a key signs only for its own):
 *
 *   {"keys": [{"kty": "RSA", "kid": "ehr-1", "iss": "https://ehr.example.org", "n": "...", "e": "AQAB"},
 *             {"kty": "EC", "crv": "P-384", "kid": "ehr-2", "iss": "https://ehr.example.org", "x": "...", "y": "..."}]}
 *
 * A token is accepted when all hold:
 *   - compact JWS, three base64url parts; header "alg" RS384 (RSA key of at least 2048 bits, PKCS#1 v1.5) or
 *     ES384 (P-384 key; the signature is JWS's raw r||s, 96 bytes, converted to DER for EVP); never "none" or
 *     HMAC; header "kid" names a key in the file, and that key's "alg" (when given) is the header's;
 *   - payload "iss" equals the key's "iss";
 *   - payload "aud" (a string, or an array of strings) contains the expected audience: the URL of the endpoint
 *     called (the service's base URL + the request path);
 *   - "exp" is after now - skew and at most MN_JWT_MAX_AHEAD seconds after now; "iat" is not after now + skew;
 *     "nbf", when present, is not after now + skew (skew MN_JWT_SKEW seconds);
 *   - "jti" is a non-empty string not seen before from this issuer while an earlier token carrying it was
 *     still unexpired (each accepted jti is remembered until its exp + skew).
 */
#ifndef MN_SERVE_JWT_H
#define MN_SERVE_JWT_H

#include "mednec/util.h"

#include <stddef.h>

#define MN_JWT_SKEW 30             /* seconds of clock difference allowed for exp, nbf and iat */
#define MN_JWT_MAX_AHEAD 3600      /* a token may not expire more than this many seconds from now */
#define MN_JWT_MAX_TOKEN 16384     /* bytes; longer tokens are refused unread */
#define MN_JWT_MAX_REMEMBERED 262144 /* unexpired jti values kept; beyond, new tokens are refused (MN_ELIMIT) */

typedef struct mn_jwks mn_jwks;

/* Load the key file. MN_EUSAGE (with the key's index) for a key that cannot be used; MN_EIO unreadable. */
mn_status mn_jwks_load(const char *path, mn_jwks **out, mn_error *err);
void mn_jwks_free(mn_jwks *k);
size_t mn_jwks_count(const mn_jwks *k);

/* Verify token[0..len) for the audience aud at time now (seconds since the epoch, real time). MN_OK when
 * accepted (its jti is then remembered); MN_EUSAGE with the reason in err when refused; MN_ELIMIT when the
 * replay memory is full; MN_ENOMEM. Thread-safe. */
mn_status mn_jwt_verify(mn_jwks *k, const char *token, size_t len, const char *aud, long long now, mn_error *err);

#endif
