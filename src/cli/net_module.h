/*
 * net_module.h: the interface between the program and two of its shared modules (loaded by
 * src/cli/net_module.c, module.c): mednec-pg.so, the PostgreSQL audit store (src/audit/pg.c built with
 * MN_PG_MODULE=1, linked with libpq), and mednec-fetch.so, the CDS Hooks fhirServer fetcher
 * (src/service/fetch.c built with MN_FETCH_MODULE=1, linked with libcurl). Both sides are built from the same
 * tree at the same time; the version guards against a stale module beside a new program.
 */
#ifndef MN_NET_MODULE_H
#define MN_NET_MODULE_H

#include "mednec/util.h"

#include "../audit/audit_int.h"

#define MN_NET_MODULE_VERSION 1

#define MN_PG_MODULE_FILE "mednec-pg.so"
#define MN_PG_MODULE_ENTRY "mn_pg_module_v1"

/* What the PostgreSQL store calls in the program: its error functions and the audit chain's row hash. */
typedef struct mn_pg_host {
	int version;
	mn_status (*error_set)(mn_error *err, mn_status code, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	void (*error_clear)(mn_error *err);
	void (*audit_fields_of)(const mn_audit_record *rec, mn_audit_fields *out);
	mn_status (*audit_row_hash)(long long seq, const mn_audit_fields *f, const char *prev_hash, char out[65],
	                            mn_error *err);
} mn_pg_host;

/* What it gives: the backend of audit_int.h. */
typedef struct mn_pg_module {
	int version;
	const mn_audit_backend *backend;
} mn_pg_module;

typedef const void *mn_pg_module_entry(const void *host);  /* host: a mn_pg_host *; answer: a mn_pg_module * */

#define MN_FETCH_MODULE_FILE "mednec-fetch.so"
#define MN_FETCH_MODULE_ENTRY "mn_fetch_module_v1"

/* What the fetcher calls in the program: its buffer functions. */
typedef struct mn_fetch_host {
	int version;
	int (*buf_put)(mn_buf *b, const void *p, size_t n);
	void (*buf_reset)(mn_buf *b);
} mn_fetch_host;

/* What it gives: the three functions of service_int.h's fetcher. */
typedef struct mn_fetch_module {
	int version;
	mn_status (*init)(void);
	void (*cleanup)(void);
	mn_status (*fetch)(const char *base, const char *query, const char *token, mn_buf *out, char *why,
	                   size_t whyn);
} mn_fetch_module;

typedef const void *mn_fetch_module_entry(const void *host);  /* host: a mn_fetch_host *; answer: a mn_fetch_module * */

#endif
