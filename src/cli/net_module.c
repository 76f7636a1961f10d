/*
 * net_module.c: the PostgreSQL audit store and the CDS Hooks fhirServer fetcher in this program, as modules
 * loaded on first use (module.c; the interface in net_module.h): mednec-pg.so (src/audit/pg.c with libpq)
 * when a postgresql:// store is first opened, mednec-fetch.so (src/service/fetch.c with libcurl) when the
 * server first asks a fhirServer for what a prefetch lacks. The program links neither libpq nor libcurl.
 *
 * Without mednec-pg.so a postgresql:// store cannot be opened (the commands stop with EXIT_UNAVAILABLE before
 * any work, mn_cli_store_check); without mednec-fetch.so every fetch fails with the reason, as an unreachable
 * fhirServer does: the criteria that needed the data are not documented (src/service/crd.c), the request is
 * answered.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "module.h"
#include "net_module.h"

#include "../service/service_int.h"

/* ---- the PostgreSQL store ---- */

static const mn_pg_host S_pg_host = {MN_NET_MODULE_VERSION, mn_error_set, mn_error_clear, mn_audit_fields_of,
                                     mn_audit_row_hash};
static mn_cli_module S_pg = MN_CLI_MODULE_INIT(MN_PG_MODULE_FILE, MN_PG_MODULE_ENTRY, &S_pg_host,
                                               MN_NET_MODULE_VERSION);

static mn_status pg_need(mn_error *err)
{
	return mn_cli_module_need(&S_pg, "the PostgreSQL audit store", err);
}

static const mn_audit_backend *pg(void)
{
	return ((const mn_pg_module *)atomic_load(&S_pg.table))->backend;
}

/* Only open loads the module; the others are called on what open returned. */
static mn_status pg_open(const char *url, void **out, mn_error *err)
{
	mn_status st = pg_need(err);
	return st != MN_OK ? st : pg()->open(url, out, err);
}

static void pg_close(void *h)
{
	if (h)
		pg()->close(h);
}

static mn_status pg_append(void *h, const mn_audit_record *const *recs, size_t n, mn_error *err)
{
	return pg()->append(h, recs, n, err);
}

static mn_status pg_scan(void *h, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	return pg()->scan(h, fn, ctx, err);
}

static mn_status pg_find(void *h, const char *id_or_key, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	return pg()->find(h, id_or_key, fn, ctx, err);
}

const mn_audit_backend mn_audit_pg_backend = {"postgresql", pg_open, pg_close, pg_append, pg_scan, pg_find};

int mn_cli_store_check(const char *url)
{
	if (!url)
		return EXIT_OK;
	bool pg = strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
	mn_error err;
	mn_error_clear(&err);
	if (mn_cli_crypto_load(&err) == MN_OK && (!pg || pg_need(&err) == MN_OK))
		return EXIT_OK;
	char msg[1200];
	mn_error_format(&err, msg, sizeof msg);
	fprintf(stderr, "mednec: %s [unavailable]\n", msg);
	return EXIT_UNAVAILABLE;
}

/* ---- the fhirServer fetcher ---- */

static const mn_fetch_host S_fetch_host = {MN_NET_MODULE_VERSION, mn_buf_put, mn_buf_reset};
static mn_cli_module S_fetch = MN_CLI_MODULE_INIT(MN_FETCH_MODULE_FILE, MN_FETCH_MODULE_ENTRY, &S_fetch_host,
                                                  MN_NET_MODULE_VERSION);
static atomic_flag S_fetch_told = ATOMIC_FLAG_INIT;
/* libcurl's global state: set up on the first fetch of an open service, cleaned up when the last one closes */
static pthread_mutex_t S_fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static int S_fetch_users;
static bool S_fetch_ready;

/* Nothing is loaded when a service opens: the module is loaded by the first fetch. */
mn_status mn_svc_fetch_init(void)
{
	pthread_mutex_lock(&S_fetch_lock);
	S_fetch_users++;
	pthread_mutex_unlock(&S_fetch_lock);
	return MN_OK;
}

void mn_svc_fetch_cleanup(void)
{
	pthread_mutex_lock(&S_fetch_lock);
	if (S_fetch_users > 0 && --S_fetch_users == 0 && S_fetch_ready) {
		((const mn_fetch_module *)atomic_load(&S_fetch.table))->cleanup();
		S_fetch_ready = false;
	}
	pthread_mutex_unlock(&S_fetch_lock);
}

mn_status mn_svc_fetch(const char *base, const char *query, const char *token, mn_buf *out, char *why, size_t whyn)
{
	const mn_fetch_module *m = mn_cli_module_get(&S_fetch);
	if (!m) {
		/* the full reason in the server's log, once; the client is told less */
		if (!atomic_flag_test_and_set(&S_fetch_told))
			fprintf(stderr, "mednec: the fhirServer fetcher is not available: %s [unavailable]\n", S_fetch.why);
		snprintf(why, whyn, "the fhirServer fetcher %s is not available on this server", MN_FETCH_MODULE_FILE);
		return MN_EIO;
	}
	pthread_mutex_lock(&S_fetch_lock);
	bool ready = S_fetch_ready || (S_fetch_ready = m->init() == MN_OK);
	pthread_mutex_unlock(&S_fetch_lock);
	if (!ready) {
		snprintf(why, whyn, "libcurl cannot be initialised");
		return MN_EIO;
	}
	return m->fetch(base, query, token, out, why, whyn);
}
