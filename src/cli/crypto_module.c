/*
 * crypto_module.c: SHA-256 and random bytes in this program (src/audit/audit_int.h) from the module
 * mednec-crypto.so (src/audit/digest.c with libcrypto; module.c), loaded the first time a command stores or
 * verifies a decision: the program does not link libcrypto (docs/PERFORMANCE.md, session 19). Without the module
 * every audit store is unavailable: the commands given one stop with EXIT_UNAVAILABLE before any work
 * (mn_cli_store_check, net_module.c), and a digest asked anyway fails (never a wrong one).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "module.h"

#include "../audit/audit_int.h"

static pthread_once_t S_once = PTHREAD_ONCE_INIT;
static const mn_crypto_module *_Atomic S_mod;
static char S_why[1024];

static int crypto_version(const void *m)
{
	return ((const mn_crypto_module *)m)->version;
}

static void crypto_load(void)
{
	const mn_crypto_module *m = mn_cli_module_load(MN_CRYPTO_MODULE_FILE, MN_CRYPTO_MODULE_ENTRY, NULL,
	                                               crypto_version, MN_CRYPTO_MODULE_VERSION, S_why, sizeof S_why);
	if (m)
		atomic_store(&S_mod, m);
}

mn_status mn_cli_crypto_load(mn_error *err)
{
	pthread_once(&S_once, crypto_load);
	if (atomic_load(&S_mod))
		return MN_OK;
	return mn_error_set(err, MN_EIO, "SHA-256 (for the audit trail) is not available: %s", S_why);
}

int mn_crypto_sha256(size_t n, const void *const *parts, const size_t *lens, unsigned char md[32])
{
	pthread_once(&S_once, crypto_load);
	const mn_crypto_module *m = atomic_load(&S_mod);
	return m ? m->sha256(n, parts, lens, md) : -1;
}

int mn_crypto_random(void *buf, size_t n)
{
	pthread_once(&S_once, crypto_load);
	const mn_crypto_module *m = atomic_load(&S_mod);
	return m ? m->random(buf, n) : -1;
}
