/*
 * digest.c: SHA-256 and random bytes from OpenSSL's libcrypto, for the audit trail (audit_int.h: the row hash,
 * the input's hash, record ids).
 *
 * Built twice (CMakeLists.txt): into the static library mednec_crypto (the tests, the benchmarks, the server
 * module), and with MN_CRYPTO_MODULE=1 as the shared module mednec-crypto.so that the mednec program loads when
 * a command first hashes (src/cli/crypto_module.c): libcrypto is 4.5 MB of code whose relocations cost every
 * command about 125 page faults and 5 ms at start (docs/PERFORMANCE.md, session 19), and only the commands that
 * store or verify decisions use it.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits.h>

#include "audit_int.h"

int mn_crypto_sha256(size_t n, const void *const *parts, const size_t *lens, unsigned char md[32])
{
	unsigned len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i], lens[i]);
	ok = ok && EVP_DigestFinal_ex(ctx, md, &len) && len == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int mn_crypto_random(void *buf, size_t n)
{
	return n <= INT_MAX && RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

#if MN_CRYPTO_MODULE
/* The module's one exported symbol (audit_int.h); everything else in it is hidden. Typeless, as the program
 * calls every module's entry (mn_cli_module_get); the module needs nothing from the program. */
__attribute__((visibility("default"))) const void *mn_crypto_module_v1(const void *host);

const void *mn_crypto_module_v1(const void *host)
{
	static const mn_crypto_module module = {MN_CRYPTO_MODULE_VERSION, mn_crypto_sha256, mn_crypto_random};
	(void)host;
	return &module;
}
#endif
