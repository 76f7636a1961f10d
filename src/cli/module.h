/*
 * module.h: optional parts of the program as shared modules beside it, loaded on first use (module.c): the PDF
 * writer (pdf_module.c), the PostgreSQL audit store and the fhirServer fetcher (net_module.c), SHA-256 for the
 * audit trail (crypto_module.c) and the server (serve_module.c).
 */
#ifndef MN_CLI_MODULE_H
#define MN_CLI_MODULE_H

#include <pthread.h>
#include <stddef.h>

#include "mednec/util.h"

/* The exit code of a command whose module is missing or cannot be loaded (sysexits EX_UNAVAILABLE). */
enum { EXIT_UNAVAILABLE = 69 };

/* The address of `symbol` in the shared module `file` (a file name), looked for beside the running program
 * (/proc/self/exe: the build folder) and then in ../lib/mednec/ from it (an installed layout); loaded with
 * its libraries (RTLD_NOW | RTLD_LOCAL) and never unloaded. NULL, and why in why[whysz], when it is in
 * neither place, cannot be loaded (a missing library) or has no such symbol. Thread-safe (the dynamic
 * loader's own lock); callers load once (pthread_once). */
void *mn_cli_module_symbol(const char *file, const char *symbol, char *why, size_t whysz);

/* A module loaded once, on first use, by whichever thread needs it first: a static object made with
 * MN_CLI_MODULE_INIT(file, entry, host, version). Its entry `entry` (mn_cli_module_symbol) is called with the
 * program's `host` table and answers the module's table, whose first member is its version (int), checked against
 * `version`. */
typedef struct mn_cli_module {
	const char *file, *entry;
	const void *host;
	int version;
	pthread_once_t once;
	const void *_Atomic table;   /* set once loaded */
	char why[1024];              /* why it could not be, once tried */
} mn_cli_module;
#define MN_CLI_MODULE_INIT(file, entry, host, version) {(file), (entry), (host), (version), PTHREAD_ONCE_INIT, NULL, ""}

/* The module's table, loaded the first time: NULL, and why in m->why, when it cannot be had (missing, a library
 * missing, no entry, the entry refuses the host, or of another version: a stale module beside a new program). */
const void *mn_cli_module_get(mn_cli_module *m);

/* The same as a status: MN_OK, or MN_EIO and "WHAT is not available: why" in err. */
mn_status mn_cli_module_need(mn_cli_module *m, const char *what, mn_error *err);

/* Load the PDF writer (mednec-pdf.so) now if it is not loaded: MN_OK, or MN_EIO and the reason in err.
 * mn_doc_write_pdf loads it when first called; a command that will write a PDF calls this first, to stop
 * with EXIT_UNAVAILABLE before any work when the module is missing. */
mn_status mn_cli_pdf_load(mn_error *err);

/* Load SHA-256 (mednec-crypto.so, crypto_module.c) now if it is not loaded: MN_OK, or MN_EIO and the reason. */
mn_status mn_cli_crypto_load(mn_error *err);
/* n random bytes from OpenSSL's generator through that module: 0, or -1 (as src/audit/audit_int.h declares it). */
int mn_crypto_random(void *buf, size_t n);

/* For a store URL: load what the store needs now: SHA-256 (mednec-crypto.so) for every store, and for a
 * postgresql:// URL the PostgreSQL store (mednec-pg.so, net_module.c). EXIT_OK (also for NULL: no store), or the
 * reason on stderr and EXIT_UNAVAILABLE: a command given a store calls this before any work. */
int mn_cli_store_check(const char *url);

/* mednec serve (serve.c with src/serve and libmicrohttpd, its libraries and libcrypto) as the module
 * mednec-serve.so: its entry mn_serve_module_v1(NULL) answers this table; serve_module.c loads it. */
#define MN_SERVE_MODULE_VERSION 1
#define MN_SERVE_MODULE_FILE "mednec-serve.so"
#define MN_SERVE_MODULE_ENTRY "mn_serve_module_v1"
typedef struct mn_serve_module {
	int version;
	int (*serve)(int argc, char **argv);   /* mn_cli_serve */
} mn_serve_module;

#endif
