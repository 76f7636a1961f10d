/*
 * test_jwt.c: CDS Hooks JWT verification (src/serve/jwt.h). Keys are generated here at test time with OpenSSL
 * (RSA 2048 and P-384), the JWK Set is written from their public parts, and tokens are signed here with
 * EVP_DigestSign (ES384 signatures converted from DER to JWS's raw r||s as RFC 7518 section 3.4 requires).
 * The expected verdicts follow RFC 7519 (exp, nbf, iat, aud), RFC 7515 and CDS Hooks 2.0 ("iss", "aud" =
 * the service endpoint, "jti" against replay, RS384/ES384 keys named by "kid").
 */
#include "test.h"

#include "serve/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void b64url(const unsigned char *in, size_t n, char *out)
{
	unsigned char tmp[4096];
	int len = EVP_EncodeBlock(tmp, in, (int)n);
	int j = 0;
	for (int i = 0; i < len; i++) {
		char c = (char)tmp[i];
		if (c == '=')
			break;
		out[j++] = c == '+' ? '-' : c == '/' ? '_' : c;
	}
	out[j] = 0;
}

static void bn_b64url(const EVP_PKEY *k, const char *param, size_t pad, char *out)
{
	BIGNUM *bn = NULL;
	EVP_PKEY_get_bn_param(k, param, &bn);
	unsigned char buf[1024];
	int n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
	b64url(buf, (size_t)n, out);
	BN_free(bn);
}

/* header.payload.signature, signed with k (ES384 when ec). */
static char *sign(EVP_PKEY *k, bool ec, const char *alg, const char *kid, const char *payload)
{
	char hdr[256], h64[512], p64[4096];
	snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
	b64url((const unsigned char *)hdr, strlen(hdr), h64);
	b64url((const unsigned char *)payload, strlen(payload), p64);
	size_t n = strlen(h64) + 1 + strlen(p64);
	char *signing = malloc(n + 1);
	snprintf(signing, n + 1, "%s.%s", h64, p64);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t sl = sizeof sig;
	EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, k);
	EVP_DigestSign(ctx, sig, &sl, (const unsigned char *)signing, n);
	EVP_MD_CTX_free(ctx);
	unsigned char raw[96];
	if (ec) {
		const unsigned char *pp = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &pp, (long)sl);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 48);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 48, 48);
		ECDSA_SIG_free(es);
		memcpy(sig, raw, 96);
		sl = 96;
	}
	char s64[2048];
	b64url(sig, sl, s64);
	char *tok = malloc(n + 2 + strlen(s64));
	sprintf(tok, "%s.%s", signing, s64);
	free(signing);
	return tok;
}

/* A temporary file holding text; its name in path (a "/tmp/mn-jwks-XXXXXX" buffer). */
static void write_temp(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *AUD = "http://127.0.0.1:8080/cds-services/mednec-order-sign";
static const char *ISS = "https://ehr.example.org";

static int verify(mn_jwks *k, const char *tok, long long now, char *why, size_t whysz)
{
	mn_error err;
	mn_error_clear(&err);
	mn_status st = mn_jwt_verify(k, tok, strlen(tok), AUD, now, &err);
	snprintf(why, whysz, "%s", err.message);
	return st;
}

static char *payload(char *buf, size_t n, const char *iss, const char *aud_json, long long exp, long long iat,
                     const char *jti)
{
	snprintf(buf, n, "{\"iss\":\"%s\",\"aud\":%s,\"exp\":%lld,\"iat\":%lld,\"jti\":\"%s\"}", iss, aud_json, exp,
	         iat, jti);
	return buf;
}

int main(void)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	EVP_PKEY *ec = EVP_EC_gen("P-384");
	EVP_PKEY *other_rsa = EVP_RSA_gen(2048);
	CHECK(rsa && ec && other_rsa);
	char n64[600], e64[16], x64[80], y64[80];
	bn_b64url(rsa, OSSL_PKEY_PARAM_RSA_N, 0, n64);
	bn_b64url(rsa, OSSL_PKEY_PARAM_RSA_E, 0, e64);
	bn_b64url(ec, OSSL_PKEY_PARAM_EC_PUB_X, 48, x64);
	bn_b64url(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 48, y64);

	char path[] = "/tmp/mn-jwks-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"alg\":\"RS384\",\"iss\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"},"
	           "{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"ec-1\",\"iss\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"},"
	           "{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"ec-other-iss\",\"iss\":\"https://other.example\",\"x\":\"%s\",\"y\":\"%s\"}]}",
	        ISS, n64, e64, ISS, x64, y64, x64, y64);
	fclose(f);
	mn_error err;
	mn_error_clear(&err);
	mn_jwks *k = NULL;
	CHECK_INT(mn_jwks_load(path, &k, &err), MN_OK);
	CHECK_INT(mn_jwks_count(k), 3);

	long long now = (long long)time(NULL);
	char pl[1024], why[800], aud_json[256];
	snprintf(aud_json, sizeof aud_json, "\"%s\"", AUD);

	/* accepted: RS384 and ES384 */
	char *t = sign(rsa, false, "RS384", "rsa-1", payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-1"));
	CHECK_MSG(verify(k, t, now, why, sizeof why) == MN_OK, "%s", why);
	/* the same token again: replayed */
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	CHECK(strstr(why, "replayed") != NULL);
	/* tampered signature (last character changed) */
	t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);

	t = sign(ec, true, "ES384", "ec-1", payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-2"));
	CHECK_MSG(verify(k, t, now, why, sizeof why) == MN_OK, "%s", why);
	free(t);

	/* aud as an array containing the endpoint: accepted (RFC 7519 4.1.3) */
	snprintf(aud_json, sizeof aud_json, "[\"https://elsewhere.example\",\"%s\"]", AUD);
	t = sign(ec, true, "ES384", "ec-1", payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-3"));
	CHECK_MSG(verify(k, t, now, why, sizeof why) == MN_OK, "%s", why);
	free(t);

	/* wrong audience */
	t = sign(rsa, false, "RS384", "rsa-1",
	         payload(pl, sizeof pl, ISS, "\"http://127.0.0.1:8080/cds-services/other\"", now + 300, now, "j-4"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	CHECK(strstr(why, "aud") != NULL);
	free(t);
	snprintf(aud_json, sizeof aud_json, "\"%s\"", AUD);

	/* expired beyond the skew; and just inside the skew */
	t = sign(rsa, false, "RS384", "rsa-1", payload(pl, sizeof pl, ISS, aud_json, now - MN_JWT_SKEW - 1, now - 600, "j-5"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	CHECK(strstr(why, "expired") != NULL);
	free(t);
	t = sign(rsa, false, "RS384", "rsa-1", payload(pl, sizeof pl, ISS, aud_json, now - 5, now - 300, "j-6"));
	CHECK_MSG(verify(k, t, now, why, sizeof why) == MN_OK, "%s", why);
	free(t);

	/* issued in the future; expiring too far ahead */
	t = sign(rsa, false, "RS384", "rsa-1", payload(pl, sizeof pl, ISS, aud_json, now + 900, now + 600, "j-7"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);
	t = sign(rsa, false, "RS384", "rsa-1",
	         payload(pl, sizeof pl, ISS, aud_json, now + MN_JWT_MAX_AHEAD + 60, now, "j-8"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);

	/* nbf in the future */
	snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%lld,\"iat\":%lld,\"nbf\":%lld,\"jti\":\"j-9\"}",
	         ISS, AUD, now + 600, now, now + 300);
	t = sign(rsa, false, "RS384", "rsa-1", pl);
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);

	/* issuer not allowed for the key (the EC key's issuer is ISS under kid ec-1, another under ec-other-iss) */
	t = sign(ec, true, "ES384", "ec-other-iss", payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-10"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	CHECK(strstr(why, "iss") != NULL);
	free(t);
	t = sign(rsa, false, "RS384", "rsa-1",
	         payload(pl, sizeof pl, "https://evil.example", aud_json, now + 300, now, "j-11"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);

	/* signed by a key not in the set, under a known kid */
	t = sign(other_rsa, false, "RS384", "rsa-1", payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-12"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	CHECK(strstr(why, "signature") != NULL);
	free(t);

	/* unknown kid; alg not allowed (RS256), alg not fitting the key */
	t = sign(rsa, false, "RS384", "nope", payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-13"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);
	t = sign(rsa, false, "RS256", "rsa-1", payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-14"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);
	t = sign(rsa, false, "ES384", "rsa-1", payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-15"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);

	/* alg none, unsigned (RFC 7519 6.1): refused */
	{
		char h64[128], p64[1024], tok[1200];
		const char *h = "{\"alg\":\"none\",\"kid\":\"rsa-1\"}";
		b64url((const unsigned char *)h, strlen(h), h64);
		payload(pl, sizeof pl, ISS, aud_json, now + 300, now, "j-16");
		b64url((const unsigned char *)pl, strlen(pl), p64);
		snprintf(tok, sizeof tok, "%s.%s.", h64, p64);
		CHECK_INT(verify(k, tok, now, why, sizeof why), MN_EUSAGE);
	}

	/* no jti; garbage */
	snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%lld,\"iat\":%lld}", ISS, AUD, now + 300, now);
	t = sign(rsa, false, "RS384", "rsa-1", pl);
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_EUSAGE);
	free(t);
	CHECK_INT(verify(k, "abc", now, why, sizeof why), MN_EUSAGE);
	CHECK_INT(verify(k, "a.b.c.d", now, why, sizeof why), MN_EUSAGE);
	CHECK_INT(verify(k, "!!.??.**", now, why, sizeof why), MN_EUSAGE);

	/* a jti remembered until its exp: once expired it is forgotten (the token itself is refused as expired) */
	t = sign(ec, true, "ES384", "ec-1", payload(pl, sizeof pl, ISS, aud_json, now + 60, now, "j-17"));
	CHECK_INT(verify(k, t, now, why, sizeof why), MN_OK);
	CHECK_INT(verify(k, t, now + 10, why, sizeof why), MN_EUSAGE);
	CHECK(strstr(why, "replayed") != NULL);
	CHECK_INT(verify(k, t, now + 60 + MN_JWT_SKEW + 1, why, sizeof why), MN_EUSAGE);
	CHECK(strstr(why, "expired") != NULL);
	free(t);

	mn_jwks_free(k);
	unlink(path);

	/* key files that must be refused */
	static const char *bad[] = {
		"{}", "{\"keys\":[]}",
		"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",              /* no iss */
		"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"iss\":\"x\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",  /* tiny modulus */
		"{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"iss\":\"x\",\"k\":\"AQAB\"}]}",                 /* HMAC key */
		"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a\",\"iss\":\"x\",\"x\":\"AQAB\",\"y\":\"AQAB\"}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char p2[] = "/tmp/mn-jwks-XXXXXX";
		write_temp(p2, bad[i]);
		mn_jwks *k2 = NULL;
		mn_error_clear(&err);
		CHECK_MSG(mn_jwks_load(p2, &k2, &err) != MN_OK, "bad key file %zu accepted", i);
		CHECK(k2 == NULL);
		unlink(p2);
	}
	/* a point not on the curve */
	{
		char p2[] = "/tmp/mn-jwks-XXXXXX", ybad[80], text[400];
		snprintf(ybad, sizeof ybad, "%s", y64);
		ybad[10] = ybad[10] == 'A' ? 'B' : 'A';
		snprintf(text, sizeof text, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"a\",\"iss\":\"x\","
		         "\"x\":\"%s\",\"y\":\"%s\"}]}", x64, ybad);
		write_temp(p2, text);
		mn_jwks *k2 = NULL;
		CHECK(mn_jwks_load(p2, &k2, &err) != MN_OK);
		unlink(p2);
	}

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(other_rsa);
	TEST_END();
}
