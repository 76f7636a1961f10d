/*
 * module.h: optional parts of the program as shared modules beside it,
 * loaded on first use (module.c): the PDF writer (pdf_module.c), the PostgreSQL audit store and the
 * fhirServer fetcher (net_module.c).
 */
#ifndef MN_CLI_MODULE_H
#define MN_CLI_MODULE_H

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

/* A module's table: its entry `symbol` (mn_cli_module_symbol) called with the program's `host` table, and
 * the answer's version (read by version_of) checked against `version`. NULL, and why, when the module cannot
 * be had, its entry refuses the host (NULL) or it is of another version (a stale module beside a new
 * program). Callers load once (pthread_once). */
const void *mn_cli_module_load(const char *file, const char *symbol, const void *host,
                               int (*version_of)(const void *), int version, char *why, size_t whysz);

/* Load the PDF writer (mednec-pdf.so) now if it is not loaded: MN_OK, or MN_EIO and the reason in err.
 * mn_doc_write_pdf loads it when first called; a command that will write a PDF calls this first, to stop
 * with EXIT_UNAVAILABLE before any work when the module is missing. */
mn_status mn_cli_pdf_load(mn_error *err);

/* For a postgresql:// store URL: load the PostgreSQL store (mednec-pg.so, net_module.c) now. EXIT_OK (also for
 * any other URL or NULL), or the reason on stderr and EXIT_UNAVAILABLE: a command given such a store calls this
 * before any work. */
int mn_cli_store_check(const char *url);

#endif
