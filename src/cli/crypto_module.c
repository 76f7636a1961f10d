/*
 * crypto_module.c: SHA-256 and random bytes in this program (src/audit/audit_int.h) from the module
 * mednec-crypto.so (src/audit/digest.c with libcrypto; module.c), loaded the first time a command stores or
 * verifies a decision: the program does not link libcrypto (docs/PERFORMANCE.md, session 19). Without the module
 * every audit store is unavailable: the commands given one stop with EXIT_UNAVAILABLE before any work
 * (mn_cli_store_check, net_module.c), and a digest asked anyway fails (never a wrong one).
 */
#include "module.h"

#include "../audit/audit_int.h"

static mn_cli_module S_crypto = MN_CLI_MODULE_INIT(MN_CRYPTO_MODULE_FILE, MN_CRYPTO_MODULE_ENTRY, NULL,
                                                   MN_CRYPTO_MODULE_VERSION);

mn_status mn_cli_crypto_load(mn_error *err)
{
	return mn_cli_module_need(&S_crypto, "SHA-256 (for the audit trail)", err);
}

int mn_crypto_sha256(size_t n, const void *const *parts, const size_t *lens, unsigned char md[32])
{
	const mn_crypto_module *m = mn_cli_module_get(&S_crypto);
	return m ? m->sha256(n, parts, lens, md) : -1;
}

int mn_crypto_random(void *buf, size_t n)
{
	const mn_crypto_module *m = mn_cli_module_get(&S_crypto);
	return m ? m->random(buf, n) : -1;
}
