/*
 * jwt.c: JWT verification for CDS Hooks (jwt.h). Parsing with mednec's JSON parser; base64 decoding,
 * key construction, ECDSA signature encoding and signature checks with OpenSSL.
 */
#include "jwt.h"

#include "mednec/json.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum key_kind { KEY_RSA, KEY_EC };

typedef struct jwk {
	enum key_kind kind;
	char *kid, *iss;
	EVP_PKEY *pkey;
} jwk;

typedef struct seen {
	struct seen *next;
	long long until;
	char key[];           /* iss "\n" jti */
} seen;

#define SEEN_BUCKETS 4096

struct mn_jwks {
	jwk *keys;
	size_t n;
	pthread_mutex_t lock;
	seen *buckets[SEEN_BUCKETS];
	size_t remembered;
	unsigned long inserts;
};

/* ---- base64url ---------------------------------------------------------- */

/* Decode unpadded base64url s[0..n) into a malloc'd buffer; NULL when invalid or out of memory. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
	if (n % 4 == 1)
		return NULL;
	size_t padded = (n + 3) / 4 * 4;
	char *t = malloc(padded + 1);
	unsigned char *out = malloc(padded / 4 * 3 + 1);
	if (!t || !out) {
		free(t);
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			free(t);
			free(out);
			return NULL;
		}
		t[i] = c;
	}
	for (size_t i = n; i < padded; i++)
		t[i] = '=';
	t[padded] = 0;
	int got = padded ? EVP_DecodeBlock(out, (const unsigned char *)t, (int)padded) : 0;
	free(t);
	if (got < 0) {
		free(out);
		return NULL;
	}
	*out_len = (size_t)got - (padded - n);   /* EVP_DecodeBlock counts the zero bytes of the padding */
	return out;
}

/* ---- keys --------------------------------------------------------------- */

static BIGNUM *member_bn(const mn_json *key, const char *name)
{
	const char *s = mn_json_get_string(key, name);
	if (!s)
		return NULL;
	size_t n = 0;
	unsigned char *raw = b64url_decode(s, strlen(s), &n);
	if (!raw)
		return NULL;
	BIGNUM *bn = n ? BN_bin2bn(raw, (int)n, NULL) : NULL;
	free(raw);
	return bn;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params && pc && EVP_PKEY_fromdata_init(pc) == 1 &&
	    EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	if (pkey) {
		/* an EC point must lie on the curve; an RSA key must be sane */
		EVP_PKEY_CTX *cc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		int ok = cc && EVP_PKEY_public_check(cc) == 1;
		EVP_PKEY_CTX_free(cc);
		if (!ok) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	return pkey;
}

static EVP_PKEY *rsa_key(const mn_json *key)
{
	BIGNUM *n = member_bn(key, "n"), *e = member_bn(key, "e");
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (n && e && bld && BN_num_bits(n) >= 2048 && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		pkey = pkey_from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static EVP_PKEY *ec_key(const mn_json *key)
{
	const char *crv = mn_json_get_string(key, "crv");
	if (!crv || strcmp(crv, "P-384") != 0)
		return NULL;
	const char *xs = mn_json_get_string(key, "x"), *ys = mn_json_get_string(key, "y");
	if (!xs || !ys)
		return NULL;
	size_t xn = 0, yn = 0;
	unsigned char *x = b64url_decode(xs, strlen(xs), &xn), *y = b64url_decode(ys, strlen(ys), &yn);
	EVP_PKEY *pkey = NULL;
	if (x && y && xn == 48 && yn == 48) {
		unsigned char pub[97];
		pub[0] = 0x04;   /* uncompressed point */
		memcpy(pub + 1, x, 48);
		memcpy(pub + 49, y, 48);
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
		if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0) &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub))
			pkey = pkey_from_params("EC", bld);
		OSSL_PARAM_BLD_free(bld);
	}
	free(x);
	free(y);
	return pkey;
}

static char *dup_string(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d;
}

void mn_jwks_free(mn_jwks *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->keys[i].kid);
		free(k->keys[i].iss);
		EVP_PKEY_free(k->keys[i].pkey);
	}
	free(k->keys);
	for (size_t b = 0; b < SEEN_BUCKETS; b++)
		for (seen *s = k->buckets[b], *next; s; s = next) {
			next = s->next;
			free(s);
		}
	pthread_mutex_destroy(&k->lock);
	free(k);
}

size_t mn_jwks_count(const mn_jwks *k)
{
	return k ? k->n : 0;
}

mn_status mn_jwks_load(const char *path, mn_jwks **out, mn_error *err)
{
	*out = NULL;
	char *text = NULL;
	size_t len = 0;
	mn_status st = mn_read_file(path, &text, &len, err);
	if (st != MN_OK)
		return st;
	mn_arena *arena = mn_arena_new();
	mn_jwks *k = calloc(1, sizeof *k);
	mn_json *doc = NULL;
	if (!arena || !k) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	pthread_mutex_init(&k->lock, NULL);
	st = mn_json_parse(arena, path, text, len, &doc, err);
	if (st != MN_OK)
		goto done;
	const mn_json *keys = mn_json_get(doc, "keys");
	if (!keys || keys->type != MN_JSON_ARRAY || keys->n == 0) {
		st = mn_error_set(err, MN_EUSAGE, "%s: a JWK Set needs a non-empty array \"keys\"", path);
		goto done;
	}
	k->keys = calloc(keys->n, sizeof *k->keys);
	if (!k->keys) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	for (uint32_t i = 0; i < keys->n; i++) {
		const mn_json *key = &keys->u.items[i];
		const char *kty = mn_json_get_string(key, "kty"), *kid = mn_json_get_string(key, "kid");
		const char *iss = mn_json_get_string(key, "iss"), *alg = mn_json_get_string(key, "alg");
		if (!kty || !kid || !*kid || !iss || !*iss) {
			st = mn_error_set(err, MN_EUSAGE, "%s: keys[%u] needs \"kty\", \"kid\" and \"iss\" (the issuer allowed to "
			                  "sign with it)", path, i);
			goto done;
		}
		jwk *j = &k->keys[k->n];
		if (strcmp(kty, "RSA") == 0 && (!alg || strcmp(alg, "RS384") == 0)) {
			j->kind = KEY_RSA;
			j->pkey = rsa_key(key);
		} else if (strcmp(kty, "EC") == 0 && (!alg || strcmp(alg, "ES384") == 0)) {
			j->kind = KEY_EC;
			j->pkey = ec_key(key);
		} else {
			st = mn_error_set(err, MN_EUSAGE, "%s: keys[%u] (kid %s): only RSA keys for RS384 and P-384 EC keys for "
			                  "ES384 are accepted", path, i, kid);
			goto done;
		}
		if (!j->pkey) {
			st = mn_error_set(err, MN_EUSAGE, "%s: keys[%u] (kid %s) is not a usable public key (RSA: n and e, at "
			                  "least 2048 bits; EC: crv P-384, x and y of 48 bytes on the curve)", path, i, kid);
			goto done;
		}
		j->kid = dup_string(kid);
		j->iss = dup_string(iss);
		k->n++;
		if (!j->kid || !j->iss) {
			st = mn_error_set(err, MN_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t o = 0; o + 1 < k->n; o++)
			if (strcmp(k->keys[o].kid, kid) == 0) {
				st = mn_error_set(err, MN_EUSAGE, "%s: kid %s appears twice", path, kid);
				goto done;
			}
	}
	*out = k;
	k = NULL;
done:
	mn_jwks_free(k);
	mn_arena_free(arena);
	free(text);
	return st;
}

/* ---- verification ------------------------------------------------------- */

/* A NumericDate: an integer number of seconds (a fraction is ignored); false when absent or not a number. */
static bool numeric_date(const mn_json *obj, const char *name, long long *out)
{
	const mn_json *v = mn_json_get(obj, name);
	if (!v || v->type != MN_JSON_NUMBER)
		return false;
	long long r = 0;
	uint32_t i = 0;
	for (; i < v->n && v->u.s[i] >= '0' && v->u.s[i] <= '9'; i++) {
		if (r > (LLONG_MAX - 9) / 10)
			return false;
		r = r * 10 + (v->u.s[i] - '0');
	}
	if (i == 0 || (i < v->n && v->u.s[i] != '.'))
		return false;   /* negative, exponent form */
	for (i++; i < v->n; i++)
		if (v->u.s[i] < '0' || v->u.s[i] > '9')
			return false;
	*out = r;
	return true;
}

static bool audience_matches(const mn_json *aud, const char *want)
{
	if (!aud)
		return false;
	if (aud->type == MN_JSON_STRING)
		return aud->n == strlen(want) && memcmp(aud->u.s, want, aud->n) == 0;
	if (aud->type != MN_JSON_ARRAY)
		return false;
	for (uint32_t i = 0; i < aud->n; i++)
		if (audience_matches(&aud->u.items[i], want) && aud->u.items[i].type == MN_JSON_STRING)
			return true;
	return false;
}

/* ES384: JWS carries r||s (48 bytes each); EVP wants DER (ECDSA-Sig-Value). */
static unsigned char *ecdsa_der(const unsigned char *raw, size_t n, size_t *der_len)
{
	if (n != 96)
		return NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 48, NULL), *s = BN_bin2bn(raw + 48, 48, NULL);
	unsigned char *der = NULL;
	if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
		r = s = NULL;   /* owned by sig */
		int len = i2d_ECDSA_SIG(sig, &der);
		if (len <= 0)
			der = NULL;
		else
			*der_len = (size_t)len;
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return der;
}

static bool signature_ok(const jwk *key, const char *signed_part, size_t signed_len, const unsigned char *sig,
                         size_t sig_len)
{
	unsigned char *der = NULL;
	if (key->kind == KEY_EC) {
		der = ecdsa_der(sig, sig_len, &sig_len);
		if (!der)
			return false;
		sig = der;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key->pkey) == 1 &&
	          EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)signed_part, signed_len) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Drop expired entries of one chain. */
static void sweep_bucket(mn_jwks *k, size_t b, long long now)
{
	for (seen **p = &k->buckets[b]; *p;) {
		if ((*p)->until < now) {
			seen *dead = *p;
			*p = dead->next;
			free(dead);
			k->remembered--;
		} else {
			p = &(*p)->next;
		}
	}
}

/* Remember iss/jti until `until`; MN_EUSAGE when it is already remembered. */
static mn_status remember_jti(mn_jwks *k, const char *iss, const char *jti, size_t jti_len, long long until,
                              long long now, mn_error *err)
{
	size_t iss_len = strlen(iss), n = iss_len + 1 + jti_len;
	seen *e = malloc(sizeof *e + n + 1);
	if (!e)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	memcpy(e->key, iss, iss_len);
	e->key[iss_len] = '\n';
	memcpy(e->key + iss_len + 1, jti, jti_len);
	e->key[n] = 0;
	e->until = until;
	size_t b = fnv1a(e->key, n) % SEEN_BUCKETS;
	mn_status st = MN_OK;
	pthread_mutex_lock(&k->lock);
	if (++k->inserts % 1024 == 0)
		for (size_t i = 0; i < SEEN_BUCKETS; i++)
			sweep_bucket(k, i, now);
	else
		sweep_bucket(k, b, now);
	for (seen *s = k->buckets[b]; s; s = s->next)
		if (strlen(s->key) == n && memcmp(s->key, e->key, n) == 0) {
			st = mn_error_set(err, MN_EUSAGE, "token replayed: this jti was already used");
			break;
		}
	if (st == MN_OK && k->remembered >= MN_JWT_MAX_REMEMBERED)
		st = mn_error_set(err, MN_ELIMIT, "too many unexpired tokens remembered (%d); try again later",
		                  MN_JWT_MAX_REMEMBERED);
	if (st == MN_OK) {
		e->next = k->buckets[b];
		k->buckets[b] = e;
		k->remembered++;
		e = NULL;
	}
	pthread_mutex_unlock(&k->lock);
	free(e);
	return st;
}

static mn_status refuse(mn_error *err, const char *why)
{
	return mn_error_set(err, MN_EUSAGE, "%s", why);
}

mn_status mn_jwt_verify(mn_jwks *k, const char *token, size_t len, const char *aud, long long now, mn_error *err)
{
	if (len > MN_JWT_MAX_TOKEN)
		return refuse(err, "token too long");
	const char *dot1 = memchr(token, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		return refuse(err, "not a compact JWS (three base64url parts)");
	size_t hn = 0, pn = 0, sn = 0;
	unsigned char *h = b64url_decode(token, (size_t)(dot1 - token), &hn);
	unsigned char *p = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &pn);
	unsigned char *sig = b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &sn);
	mn_arena *arena = mn_arena_new();
	mn_status st = MN_OK;
	mn_json *hdr = NULL, *pay = NULL;
	mn_error jerr;
	mn_error_clear(&jerr);
	if (!arena) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	if (!h || !p || !sig) {
		st = refuse(err, "a token part is not base64url");
		goto done;
	}
	if (mn_json_parse(arena, "header", (const char *)h, hn, &hdr, &jerr) != MN_OK || hdr->type != MN_JSON_OBJECT ||
	    mn_json_parse(arena, "payload", (const char *)p, pn, &pay, &jerr) != MN_OK || pay->type != MN_JSON_OBJECT) {
		st = refuse(err, "token header or payload is not a JSON object");
		goto done;
	}
	const char *alg = mn_json_get_string(hdr, "alg"), *kid = mn_json_get_string(hdr, "kid");
	const char *typ = mn_json_get_string(hdr, "typ");
	if (!alg || (strcmp(alg, "RS384") != 0 && strcmp(alg, "ES384") != 0)) {
		st = refuse(err, "token alg must be RS384 or ES384");
		goto done;
	}
	if (mn_json_get(hdr, "typ") && (!typ || strcmp(typ, "JWT") != 0)) {
		st = refuse(err, "token typ must be JWT");
		goto done;
	}
	if (mn_json_get(hdr, "crit")) {
		st = refuse(err, "token header has crit extensions this service does not understand");
		goto done;
	}
	const jwk *key = NULL;
	for (size_t i = 0; kid && i < k->n; i++)
		if (strcmp(k->keys[i].kid, kid) == 0)
			key = &k->keys[i];
	if (!key) {
		st = refuse(err, kid ? "token kid names no configured key" : "token header has no kid");
		goto done;
	}
	if ((key->kind == KEY_RSA) != (strcmp(alg, "RS384") == 0)) {
		st = refuse(err, "token alg does not fit the key named by kid");
		goto done;
	}
	if (!signature_ok(key, token, (size_t)(dot2 - token), sig, sn)) {
		st = refuse(err, "token signature does not verify");
		goto done;
	}
	const char *iss = mn_json_get_string(pay, "iss");
	if (!iss || strcmp(iss, key->iss) != 0) {
		st = refuse(err, "token iss is not the issuer allowed for its key");
		goto done;
	}
	if (!audience_matches(mn_json_get(pay, "aud"), aud)) {
		st = refuse(err, "token aud is not this endpoint's URL");
		goto done;
	}
	long long exp = 0, iat = 0, nbf = 0;
	if (!numeric_date(pay, "exp", &exp) || !numeric_date(pay, "iat", &iat)) {
		st = refuse(err, "token needs numeric exp and iat");
		goto done;
	}
	if (exp < now - MN_JWT_SKEW) {
		st = refuse(err, "token expired");
		goto done;
	}
	if (exp > now + MN_JWT_MAX_AHEAD) {
		st = refuse(err, "token expires too far in the future");
		goto done;
	}
	if (iat > now + MN_JWT_SKEW) {
		st = refuse(err, "token issued in the future (iat)");
		goto done;
	}
	if (mn_json_get(pay, "nbf") && (!numeric_date(pay, "nbf", &nbf) || nbf > now + MN_JWT_SKEW)) {
		st = refuse(err, "token not valid yet (nbf)");
		goto done;
	}
	const mn_json *jti = mn_json_get(pay, "jti");
	if (!jti || jti->type != MN_JSON_STRING || jti->n == 0 || jti->n > 512) {
		st = refuse(err, "token needs a jti (a non-empty string)");
		goto done;
	}
	st = remember_jti(k, iss, jti->u.s, jti->n, exp + MN_JWT_SKEW, now, err);
done:
	mn_arena_free(arena);
	free(h);
	free(p);
	free(sig);
	return st;
}
