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

static pthread_once_t S_pg_once = PTHREAD_ONCE_INIT;
static const mn_pg_module *_Atomic S_pg;
static char S_pg_why[1024];

static const mn_pg_host S_pg_host = {MN_NET_MODULE_VERSION, mn_error_set, mn_error_clear, mn_audit_fields_of,
                                     mn_audit_row_hash};

static int pg_version(const void *m)
{
	return ((const mn_pg_module *)m)->version;
}

static void pg_load(void)
{
	const mn_pg_module *m =
		mn_cli_module_load(MN_PG_MODULE_FILE, MN_PG_MODULE_ENTRY, &S_pg_host, pg_version, MN_NET_MODULE_VERSION,
		                   S_pg_why, sizeof S_pg_why);
	if (m)
		atomic_store(&S_pg, m);
}

static mn_status pg_need(mn_error *err)
{
	pthread_once(&S_pg_once, pg_load);
	if (atomic_load(&S_pg))
		return MN_OK;
	return mn_error_set(err, MN_EIO, "the PostgreSQL audit store is not available: %s", S_pg_why);
}

/* Only open loads the module; the others are called on what open returned. */
static mn_status pg_open(const char *url, void **out, mn_error *err)
{
	mn_status st = pg_need(err);
	return st != MN_OK ? st : atomic_load(&S_pg)->backend->open(url, out, err);
}

static void pg_close(void *h)
{
	if (h)
		atomic_load(&S_pg)->backend->close(h);
}

static mn_status pg_append(void *h, const mn_audit_record *const *recs, size_t n, mn_error *err)
{
	return atomic_load(&S_pg)->backend->append(h, recs, n, err);
}

static mn_status pg_scan(void *h, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	return atomic_load(&S_pg)->backend->scan(h, fn, ctx, err);
}

static mn_status pg_find(void *h, const char *id_or_key, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	return atomic_load(&S_pg)->backend->find(h, id_or_key, fn, ctx, err);
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

static pthread_once_t S_fetch_once = PTHREAD_ONCE_INIT;
static const mn_fetch_module *_Atomic S_fetch;
static char S_fetch_why[1024];
/* libcurl's global state: set up on the first fetch of an open service, cleaned up when the last one closes */
static pthread_mutex_t S_fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static int S_fetch_users;
static bool S_fetch_ready;

static const mn_fetch_host S_fetch_host = {MN_NET_MODULE_VERSION, mn_buf_put, mn_buf_reset};

static int fetch_version(const void *m)
{
	return ((const mn_fetch_module *)m)->version;
}

static void fetch_load(void)
{
	const mn_fetch_module *m = mn_cli_module_load(MN_FETCH_MODULE_FILE, MN_FETCH_MODULE_ENTRY, &S_fetch_host,
	                                              fetch_version, MN_NET_MODULE_VERSION, S_fetch_why,
	                                              sizeof S_fetch_why);
	if (m)
		atomic_store(&S_fetch, m);
	else  /* the full reason in the server's log, once; the client is told less (mn_svc_fetch) */
		fprintf(stderr, "mednec: the fhirServer fetcher is not available: %s [unavailable]\n", S_fetch_why);
}

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
		atomic_load(&S_fetch)->cleanup();
		S_fetch_ready = false;
	}
	pthread_mutex_unlock(&S_fetch_lock);
}

mn_status mn_svc_fetch(const char *base, const char *query, const char *token, mn_buf *out, char *why, size_t whyn)
{
	pthread_once(&S_fetch_once, fetch_load);
	const mn_fetch_module *m = atomic_load(&S_fetch);
	if (!m) {
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
