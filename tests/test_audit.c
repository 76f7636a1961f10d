/*
 * test_audit.c: the audit trail (src/audit/) on SQLite: SHA-256 against the FIPS 180-2 test vectors, the row
 * hash against its canonical form (docs/SERVICE.md, hashed independently with sha256sum), append and verify,
 * tampering (a changed field, a changed row with its hash recomputed, a removed row, an inserted row) detected
 * and named, show by id and by lookup key, appends from several threads and several connections, and queued
 * (asynchronous) appends from several threads, committed in groups by the store's writer thread.
 * With --pg the same tests (but the SQLite-only URL checks) run against the PostgreSQL server at $MN_PG_URL, one
 * database per store (ctest test_audit_pg starts a throwaway server with tools/pg-tmp.sh).
 */
#include "audit/audit_int.h"
#include "test.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];
static const char *pg_url;  /* --pg: the server's URL (database postgres) */

/* A command on the PostgreSQL server, in database db */
static void pg_sql(const char *db, const char *stmt)
{
	char url[512];
	const char *slash = strrchr(pg_url, '/');
	snprintf(url, sizeof url, "%.*s/%s", (int)(slash - pg_url), pg_url, db);
	PGconn *c = PQconnectdb(url);
	PGresult *r = PQexec(c, stmt);
	CHECK_MSG(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", stmt, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static void make_url(char *url, size_t n, const char *name)
{
	if (!pg_url) {
		snprintf(url, n, "sqlite:%s/%s.db", dir, name);
		return;
	}
	/* the first use of a name makes its database (a fresh store) */
	char stmt[128];
	snprintf(stmt, sizeof stmt, "SELECT 1 FROM pg_database WHERE datname = '%s'", name);
	PGconn *c = PQconnectdb(pg_url);
	PGresult *r = PQexec(c, stmt);
	bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	PQclear(r);
	PQfinish(c);
	if (!exists) {
		snprintf(stmt, sizeof stmt, "CREATE DATABASE %s", name);
		pg_sql("postgres", stmt);
	}
	const char *slash = strrchr(pg_url, '/');
	snprintf(url, n, "%.*s/%s", (int)(slash - pg_url), pg_url, name);
}

static mn_status append_n(mn_audit *a, const char *prefix, int from, int to, mn_error *err)
{
	for (int i = from; i <= to; i++) {
		char id[64], key[64], det[96];
		snprintf(id, sizeof id, "%s-%d", prefix, i);
		snprintf(key, sizeof key, "key-%d", i % 3);
		snprintf(det, sizeof det, "{\"outcome\":\"meets-criteria\",\"n\":%d}", i);
		mn_audit_record r = {id, "2026-11-30T18:00:00Z", "cli/determine", "drg-trial", "3",
		                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		                     i % 2 ? "meets-criteria" : "insufficient-documentation", key, det};
		mn_status st = mn_audit_append(a, &r, err);
		if (st != MN_OK)
			return st;
	}
	return MN_OK;
}

/* A store at name with n rows (ids req-1..req-n). */
static void make_store(const char *name, int n)
{
	char url[512];
	make_url(url, sizeof url, name);
	mn_audit *a = NULL;
	mn_error err;
	mn_error_clear(&err);
	CHECK(mn_audit_open(url, &a, &err) == MN_OK);
	CHECK(a && append_n(a, "req", 1, n, &err) == MN_OK);
	mn_audit_close(a);
}

static void sql(const char *name, const char *stmt)
{
	if (pg_url) {
		pg_sql(name, stmt);
		return;
	}
	char path[512];
	snprintf(path, sizeof path, "%s/%s.db", dir, name);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(db, stmt, NULL, NULL, &msg);
	CHECK_MSG(rc == SQLITE_OK, "%s: %s", stmt, msg ? msg : "");
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* verify the store; returns the status, rows and the message */
static mn_status verify(const char *name, long *rows, char *msg, size_t n)
{
	char url[512];
	make_url(url, sizeof url, name);
	mn_audit *a = NULL;
	mn_error err;
	mn_error_clear(&err);
	mn_status st = mn_audit_open(url, &a, &err);
	if (st == MN_OK)
		st = mn_audit_verify(a, rows, &err);
	snprintf(msg, n, "%s", err.message);
	mn_audit_close(a);
	return st;
}

static void test_sha256(void)
{
	char h[65];
	/* FIPS 180-2, Appendix B.1 and the empty message */
	mn_sha256_hex("abc", 3, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	mn_sha256_hex("", 0, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* FIPS 180-2, Appendix B.2 */
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	mn_sha256_hex(two, strlen(two), h);
	CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_row_hash(void)
{
	/* The canonical form written out by hand and hashed with sha256sum:
	 * printf 'mednec-audit-v1\n1:1\n5:req-1\n20:2026-11-30T18:00:00Z\n13:cli/determine\n9:drg-trial\n1:3\n'\
	 * '64:ba78...15ad\n14:meets-criteria\n0:\n2:{}\n0:\n' | sha256sum */
	mn_audit_record r = {"req-1", "2026-11-30T18:00:00Z", "cli/determine", "drg-trial", "3",
	                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "meets-criteria",
	                     NULL, "{}"};
	mn_audit_fields f;
	mn_audit_fields_of(&r, &f);
	char h[65];
	mn_error err;
	CHECK(mn_audit_row_hash(1, &f, "", h, &err) == MN_OK);
	CHECK_STR(h, "c5a86a0525035ed3ddeb73868e485808ebce55a4152d182a0c66fc9c8cea7d2f");
}

static void test_append_verify_show(void)
{
	char url[512], msg[768];
	make_url(url, sizeof url, "basic");
	mn_audit *a = NULL;
	mn_error err;
	mn_error_clear(&err);
	CHECK(mn_audit_open(url, &a, &err) == MN_OK);
	long rows = -1;
	CHECK(mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, 0);
	CHECK(append_n(a, "req", 1, 20, &err) == MN_OK);
	CHECK(mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, 20);

	/* the same id twice is refused, and the chain is unchanged */
	mn_audit_record dup = {"req-3", "2026-11-30T18:00:01Z", "cli/determine", "", "", "", "error", "", "{}"};
	CHECK(mn_audit_append(a, &dup, &err) == MN_EUSAGE);
	mn_audit_record noid = {"", "2026-11-30T18:00:01Z", "cli/determine", "", "", "", "error", "", "{}"};
	CHECK(mn_audit_append(a, &noid, &err) == MN_EUSAGE);
	mn_audit_record badhash = {"x-1", "2026-11-30T18:00:01Z", "cli/determine", "", "", "ABC", "error", "", "{}"};
	CHECK(mn_audit_append(a, &badhash, &err) == MN_EUSAGE);
	CHECK(mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, 20);

	/* show by id */
	mn_buf out = MN_BUF_INIT;
	CHECK(mn_audit_show(a, "req-4", &out, &err) == MN_OK);
	const char *s = mn_buf_cstr(&out);
	const char *head = "{\"seq\":4,\"id\":\"req-4\",\"received\":\"2026-11-30T18:00:00Z\",\"endpoint\":\"cli/determine\","
	                   "\"policy_id\":\"drg-trial\",\"policy_version\":\"3\",";
	CHECK_MSG(strncmp(s, head, strlen(head)) == 0, "%s", s);
	CHECK_MSG(strstr(s, "\"outcome\":\"insufficient-documentation\",\"lookup_key\":\"key-1\","
	                    "\"determination\":\"{\\\"outcome\\\":\\\"meets-criteria\\\",\\\"n\\\":4}\"") != NULL, "%s", s);
	/* by lookup key: the newest row with key-2 is seq 20 (20 % 3 == 2) */
	mn_buf_reset(&out);
	CHECK(mn_audit_show(a, "key-2", &out, &err) == MN_OK);
	CHECK_MSG(strncmp(mn_buf_cstr(&out), "{\"seq\":20,\"id\":\"req-20\",", 24) == 0, "%s", mn_buf_cstr(&out));
	mn_buf_reset(&out);
	CHECK(mn_audit_show(a, "req-99", &out, &err) == MN_ENOTFOUND);
	CHECK(mn_audit_show(a, "", &out, &err) == MN_EUSAGE);
	/* the first row's prev_hash is "" and the second's is the first's row_hash */
	mn_buf_reset(&out);
	CHECK(mn_audit_show(a, "req-1", &out, &err) == MN_OK);
	CHECK(strstr(mn_buf_cstr(&out), "\"prev_hash\":\"\",") != NULL);
	const char *rh = strstr(mn_buf_cstr(&out), "\"row_hash\":\"");
	char first[65] = "";
	if (rh)
		snprintf(first, sizeof first, "%s", rh + 12);
	mn_buf_reset(&out);
	CHECK(mn_audit_show(a, "req-2", &out, &err) == MN_OK);
	char want[128];
	snprintf(want, sizeof want, "\"prev_hash\":\"%s\"", first);
	CHECK(strlen(first) == 64 && strstr(mn_buf_cstr(&out), want) != NULL);
	mn_buf_free(&out);
	mn_audit_close(a);

	/* reopening keeps the chain and extends it */
	CHECK(mn_audit_open(url, &a, &err) == MN_OK);
	CHECK(append_n(a, "more", 1, 2, &err) == MN_OK);
	CHECK(mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, 22);
	mn_audit_close(a);
	CHECK(verify("basic", &rows, msg, sizeof msg) == MN_OK);

	/* store URLs */
	if (pg_url)
		return;
	CHECK(mn_audit_open("mysql://x", &a, &err) == MN_EUSAGE);
	CHECK(mn_audit_open("sqlite:", &a, &err) == MN_EUSAGE);
	CHECK(mn_audit_open("/tmp/x.db", &a, &err) == MN_EUSAGE);
	char bad[512];
	snprintf(bad, sizeof bad, "sqlite:%s/no/such/dir/x.db", dir);
	CHECK(mn_audit_open(bad, &a, &err) == MN_EIO);
	CHECK(a == NULL);
}

/* A hash field ("prev_hash" or "row_hash") of the row with this id, as mn_audit_show writes it. */
static void hash_of(const char *name, const char *id, const char *field, char out[65])
{
	char url[512], pat[32];
	make_url(url, sizeof url, name);
	mn_audit *a = NULL;
	mn_error err;
	mn_buf buf = MN_BUF_INIT;
	CHECK(mn_audit_open(url, &a, &err) == MN_OK);
	CHECK(a && mn_audit_show(a, id, &buf, &err) == MN_OK);
	mn_audit_close(a);
	snprintf(pat, sizeof pat, "\"%s\":\"", field);
	const char *p = strstr(mn_buf_cstr(&buf), pat);
	snprintf(out, 65, "%s", p ? p + strlen(pat) : "");
	CHECK(strlen(out) == 64);
	mn_buf_free(&buf);
}

/* Make a store of n rows, run stmt on it, and check that verify fails naming want (and want2, if given) after
 * checking good rows (-1: any number). */
static void tamper(const char *name, int n, const char *stmt, const char *want, const char *want2, long good)
{
	long rows = -1;
	char msg[768];
	if (n)
		make_store(name, n);
	sql(name, stmt);
	CHECK_MSG(verify(name, &rows, msg, sizeof msg) == MN_EINTEGRITY, "%s", name);
	CHECK_MSG(strstr(msg, want) && (!want2 || strstr(msg, want2)), "%s: %s", name, msg);
	if (good >= 0)
		CHECK_INT(rows, good);
}

static void test_tamper(void)
{
	/* a field changed (the outcome of seq 7) */
	tamper("changed", 12, "UPDATE mednec_audit SET outcome = 'approved' WHERE seq = 7", "seq 7 (id req-7)",
	       "changed", 6);
	/* the determination text changed by one byte */
	tamper("changed2", 5, "UPDATE mednec_audit SET determination = replace(determination, '3', '4') WHERE seq = 3",
	       "seq 3 (id req-3)", NULL, 2);

	/* a row changed with its row_hash recomputed: the next row's link names both */
	make_store("rehashed", 8);
	{
		mn_audit_record r = {"req-5", "2026-11-30T18:00:00Z", "cli/determine", "drg-trial", "3",
		                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		                     "meets-criteria", "key-2", "{\"outcome\":\"meets-criteria\",\"n\":5}"};
		/* the prev_hash of seq 5 is kept; take it from the store */
		mn_error err;
		char prev[65];
		hash_of("rehashed", "req-5", "prev_hash", prev);
		/* seq 5 had outcome meets-criteria already (odd); change its lookup key instead */
		r.lookup_key = "key-9";
		mn_audit_fields f;
		mn_audit_fields_of(&r, &f);
		char h[65], stmt[512];
		CHECK(mn_audit_row_hash(5, &f, prev, h, &err) == MN_OK);
		snprintf(stmt, sizeof stmt, "UPDATE mednec_audit SET lookup_key = 'key-9', row_hash = '%s' WHERE seq = 5", h);
		tamper("rehashed", 0, stmt, "seq 6 (id req-6)", "seq 5 (id req-5)", 5);
	}
	/* a middle row removed */
	tamper("removed", 10, "DELETE FROM mednec_audit WHERE seq = 4", "seq 5 (id req-5)", "seq 4 to 4 before it are "
	       "missing", 3);
	/* the first row removed */
	tamper("first", 3, "DELETE FROM mednec_audit WHERE seq = 1", "seq 2 (id req-2)", "missing", 0);
	/* a row removed and the later ones renumbered: their seq is in their hash */
	tamper("renumbered", 6, "DELETE FROM mednec_audit WHERE seq = 3; UPDATE mednec_audit SET seq = seq + 1000 WHERE seq > 3; "
	       "UPDATE mednec_audit SET seq = seq - 1001 WHERE seq > 1000",
	       "seq 3 (id req-4)", "changed", 2);

	/* a row inserted in the middle with a correct hash and link: the rows after it were renumbered */
	make_store("inserted", 6);
	{
		mn_error err;
		char prev[65];
		hash_of("inserted", "req-3", "row_hash", prev);
		mn_audit_record r = {"forged", "2026-11-30T18:00:00Z", "cli/determine", "", "", "", "meets-criteria", "",
		                     "{}"};
		mn_audit_fields f;
		mn_audit_fields_of(&r, &f);
		char h[65], stmt[1024];
		CHECK(mn_audit_row_hash(4, &f, prev, h, &err) == MN_OK);
		snprintf(stmt, sizeof stmt,
		         "UPDATE mednec_audit SET seq = seq + 1000 WHERE seq >= 4; UPDATE mednec_audit SET seq = seq - 999 "
		         "WHERE seq > 1000; INSERT INTO mednec_audit VALUES (4, 'forged', '2026-11-30T18:00:00Z', "
		         "'cli/determine', '', '', '', 'meets-criteria', '', '{}', '%s', '%s')", prev, h);
		tamper("inserted", 0, stmt, "seq 5 (id req-4)", "changed", 4);
	}
}

typedef struct worker {
	mn_audit *a;  /* shared, or NULL: open a connection of its own */
	char url[512], prefix[16];
	int n;
	bool keep_going;  /* append all n, counting the ones stored in ok (ids other threads use too) */
	int ok;
	mn_status st;
} worker;

static void *work(void *p)
{
	worker *w = p;
	mn_error err;
	mn_error_clear(&err);
	mn_audit *a = w->a;
	w->st = a ? MN_OK : mn_audit_open(w->url, &a, &err);
	for (int i = 1; w->keep_going && w->st == MN_OK && i <= w->n; i++) {
		mn_status st = append_n(a, w->prefix, i, i, &err);
		w->ok += st == MN_OK;
		if (st != MN_OK && st != MN_EUSAGE)
			w->st = st;
	}
	if (w->st == MN_OK && !w->keep_going)
		w->st = append_n(a, w->prefix, 1, w->n, &err);
	if (w->st != MN_OK)
		fprintf(stderr, "worker %s: %s\n", w->prefix, err.message);
	if (!w->a)
		mn_audit_close(a);
	return NULL;
}

static void test_threads(void)
{
	enum { T = 4, N = 25 };
	char url[512], msg[768];
	make_url(url, sizeof url, "threads");
	mn_audit *a = NULL;
	mn_error err;
	CHECK(mn_audit_open(url, &a, &err) == MN_OK);
	/* T threads sharing one mn_audit, and T more each with its own connection (as separate processes) */
	worker w[2 * T];
	pthread_t t[2 * T];
	for (int i = 0; i < 2 * T; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].a = i < T ? a : NULL;
		snprintf(w[i].url, sizeof w[i].url, "%s", url);
		snprintf(w[i].prefix, sizeof w[i].prefix, "t%d", i);
		w[i].n = N;
		CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
	}
	for (int i = 0; i < 2 * T; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(w[i].st, MN_OK);
	}
	long rows = -1;
	CHECK(mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, 2 * T * N);
	mn_audit_close(a);
	CHECK(verify("threads", &rows, msg, sizeof msg) == MN_OK);
	CHECK_INT(rows, 2 * T * N);
}

/* Threads sharing one handle append the same ids: each id is stored once, the others are refused alone (a
 * group commit that fails is retried record by record), and the chain stays whole. */
static void test_threads_same_ids(void)
{
	enum { T = 6, N = 30 };
	char url[512];
	make_url(url, sizeof url, "sameids");
	mn_audit *a = NULL;
	mn_error err;
	CHECK(mn_audit_open(url, &a, &err) == MN_OK);
	worker w[T];
	pthread_t t[T];
	for (int i = 0; i < T; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].a = a;
		snprintf(w[i].prefix, sizeof w[i].prefix, "same");
		w[i].n = N;
		w[i].keep_going = true;
		CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
	}
	int stored = 0;
	for (int i = 0; i < T; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(w[i].st, MN_OK);
		stored += w[i].ok;
	}
	CHECK_INT(stored, N);
	long rows = -1;
	CHECK(mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, N);
	mn_audit_close(a);
}

/* mn_audit_append_async from several threads at once, every record queued before any is waited for (so the
 * writer commits them in groups), one id queued twice: each callback is called exactly once, every record
 * acknowledged MN_OK is stored (found by its id), the repeated id fails alone, and the chain verifies with
 * exactly the acknowledged rows. */
enum { ASYNC_T = 4, ASYNC_N = 40 };

typedef struct async_rec {
	char id[32], det[64];
	mn_audit_record rec;
	int calls;
	mn_status st;
} async_rec;

typedef struct async_worker {
	mn_audit *a;
	int t;
	async_rec recs[ASYNC_N];
	pthread_mutex_t *lock;
	pthread_cond_t *cond;
	int *reported;
	mn_status queued;
} async_worker;

typedef struct async_ctx {
	async_rec *r;
	async_worker *w;
} async_ctx;

static void async_done(void *p, mn_status st, const mn_error *err)
{
	(void)err;
	async_ctx *c = p;
	pthread_mutex_lock(c->w->lock);
	c->r->calls++;
	c->r->st = st;
	(*c->w->reported)++;
	pthread_cond_broadcast(c->w->cond);
	pthread_mutex_unlock(c->w->lock);
}

static async_ctx async_ctxs[ASYNC_T][ASYNC_N];

static void *async_work(void *p)
{
	async_worker *w = p;
	mn_error err;
	mn_error_clear(&err);
	for (int i = 0; i < ASYNC_N && w->queued == MN_OK; i++) {
		async_rec *r = &w->recs[i];
		/* thread 0's last record repeats thread 1's first id */
		if (w->t == 0 && i == ASYNC_N - 1)
			snprintf(r->id, sizeof r->id, "a1-0");
		else
			snprintf(r->id, sizeof r->id, "a%d-%d", w->t, i);
		snprintf(r->det, sizeof r->det, "{\"t\":%d,\"i\":%d}", w->t, i);
		r->rec = (mn_audit_record){r->id, "2026-11-30T18:00:00Z", "cds-services/mednec-order-sign", "drg-trial",
		                           "3", "", "meets-criteria", "", r->det};
		async_ctxs[w->t][i] = (async_ctx){r, w};
		w->queued = mn_audit_append_async(w->a, &r->rec, async_done, &async_ctxs[w->t][i], &err);
	}
	return NULL;
}

static void test_async(void)
{
	char url[512];
	make_url(url, sizeof url, "async");
	mn_audit *a = NULL;
	mn_error err;
	mn_error_clear(&err);
	CHECK(mn_audit_open(url, &a, &err) == MN_OK);
	CHECK(a && append_n(a, "sync", 1, 3, &err) == MN_OK);   /* the synchronous path, interleaved */
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	int reported = 0;
	static async_worker w[ASYNC_T];
	pthread_t t[ASYNC_T];
	for (int i = 0; i < ASYNC_T; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i] = (async_worker){.a = a, .t = i, .lock = &lock, .cond = &cond, .reported = &reported};
		CHECK(pthread_create(&t[i], NULL, async_work, &w[i]) == 0);
	}
	for (int i = 0; i < ASYNC_T; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(w[i].queued, MN_OK);
	}
	CHECK(append_n(a, "sync", 4, 5, &err) == MN_OK);
	pthread_mutex_lock(&lock);
	while (reported < ASYNC_T * ASYNC_N)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	int ok = 0, dup_failed = 0;
	for (int i = 0; i < ASYNC_T; i++)
		for (int k = 0; k < ASYNC_N; k++) {
			async_rec *r = &w[i].recs[k];
			CHECK_INT(r->calls, 1);
			if (r->st == MN_OK) {
				ok++;
				mn_buf b = MN_BUF_INIT;
				CHECK_MSG(mn_audit_show(a, r->id, &b, &err) == MN_OK, "acknowledged %s not stored", r->id);
				char want[64];
				snprintf(want, sizeof want, "\"id\":\"%s\"", r->id);
				CHECK(b.data && strstr(b.data, want) != NULL);
				mn_buf_free(&b);
			} else {
				CHECK_INT(r->st, MN_EUSAGE);   /* the repeated id, refused alone */
				CHECK(strcmp(r->id, "a1-0") == 0);
				dup_failed++;
			}
		}
	CHECK_INT(ok, ASYNC_T * ASYNC_N - 1);
	CHECK_INT(dup_failed, 1);
	long rows = -1;
	CHECK(mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, ASYNC_T * ASYNC_N - 1 + 5);
	/* a bad record is refused at once, without a callback */
	mn_audit_record bad = {"", "2026-11-30T18:00:00Z", "x", "", "", "", "", "", ""};
	async_ctx none = {NULL, NULL};
	CHECK_INT(mn_audit_append_async(a, &bad, async_done, &none, &err), MN_EUSAGE);
	mn_audit_close(a);
	char msg[768];
	CHECK(verify("async", &rows, msg, sizeof msg) == MN_OK);
	CHECK_INT(rows, ASYNC_T * ASYNC_N - 1 + 5);
}

/* The SQLite store name opened (NULL on failure, checked); path: its file name with suffix ("-wal": its WAL). */
static mn_audit *open_sqlite(const char *name, const char *suffix, char *path, size_t n, mn_error *err)
{
	char url[512];
	make_url(url, sizeof url, name);
	snprintf(path, n, "%s/%s.db%s", dir, name, suffix);
	mn_audit *a = NULL;
	mn_error_clear(err);
	CHECK(mn_audit_open(url, &a, err) == MN_OK);
	return a;
}

/* SQLite: rows large enough to wake the checkpointer (every MiB of new WAL) and take the WAL past the sizes where
 * the appender checkpoints the rest itself (12 MiB, once the checkpointer is nearly done; 15 MiB at the latest)
 * at least once: every row is stored, the chain verifies, and the WAL file stays bounded (it starts over
 * after checkpoints) instead of holding every row. */
static void test_sqlite_checkpoints(void)
{
	enum { N = 400, DET = 48 * 1024 };
	char path[512];
	mn_error err;
	mn_audit *a = open_sqlite("ckpt", "-wal", path, sizeof path, &err);
	char *det = malloc(DET + 32);
	CHECK(det != NULL);
	long long wal_max = 0;
	for (int i = 1; a && det && i <= N; i++) {
		char id[32];
		snprintf(id, sizeof id, "big-%d", i);
		int k = snprintf(det, DET + 32, "{\"n\":%d,\"pad\":\"", i);
		memset(det + k, 'a' + i % 26, DET - (size_t)k);
		snprintf(det + DET, 32, "\"}");
		mn_audit_record r = {id, "2026-11-30T18:00:00Z", "cli/determine", "drg-trial", "3", "", "meets-criteria",
		                     "", det};
		mn_status st = mn_audit_append(a, &r, &err);
		CHECK_MSG(st == MN_OK, "%s", err.message);
		if (st != MN_OK)
			break;
		FILE *f = fopen(path, "rb");
		if (f) {
			fseek(f, 0, SEEK_END);
			long long n = ftell(f);
			wal_max = n > wal_max ? n : wal_max;
			fclose(f);
		}
	}
	free(det);
	/* N rows of 48 KB are about 19 MB; the WAL starts over at 15 MiB (3,840 pages) at the latest */
	CHECK_MSG(wal_max > 0 && wal_max < 4100LL * 4096, "WAL grew to %lld bytes", wal_max);
	long rows = -1;
	CHECK(a && mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, N);
	mn_audit_close(a);
	char msg[768];
	CHECK(verify("ckpt", &rows, msg, sizeof msg) == MN_OK);
	CHECK_INT(rows, N);
}

/* SQLite: the appending connection gathers its WAL writes and writes them at each commit's sync (sqlite.c,
 * "mednec-wal"): a second connection with SQLite's default VFS (another reader, process or `mednec audit`) sees
 * every row as soon as its append has returned, whole; a queued burst of rows larger than the gathering buffer
 * (1 MiB) in one transaction is stored whole; the store reopens, extends and verifies. */
typedef struct gather_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int reported, failed;
} gather_wait;

static void gather_done(void *p, mn_status st, const mn_error *err)
{
	(void)err;
	gather_wait *w = p;
	pthread_mutex_lock(&w->mu);
	w->reported++;
	w->failed += st != MN_OK;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* rows and total determination bytes through a connection of SQLite's own (default VFS), read-only */
static void gather_count(const char *path, long long *rows, long long *bytes, char *last, size_t lastn)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	*rows = *bytes = -1;
	last[0] = '\0';
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*), sum(length(determination)), (SELECT substr(determination, 1, 40) "
	                       "FROM mednec_audit ORDER BY seq DESC LIMIT 1) FROM mednec_audit", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW) {
		*rows = sqlite3_column_int64(q, 0);
		*bytes = sqlite3_column_int64(q, 1);
		const unsigned char *t = sqlite3_column_text(q, 2);
		snprintf(last, lastn, "%s", t ? (const char *)t : "");
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void test_sqlite_wal_gather(void)
{
	enum { SYNC_N = 12, BURST = 80, DET = 40 * 1024 };
	char path[512];
	mn_error err;
	mn_audit *a = open_sqlite("gather", "", path, sizeof path, &err);
	static char dets[SYNC_N + BURST][DET + 1];
	static char ids[SYNC_N + BURST][32];
	static mn_audit_record recs[SYNC_N + BURST];
	long long want_bytes = 0;
	for (int i = 0; i < SYNC_N + BURST; i++) {
		snprintf(ids[i], sizeof ids[i], "gather-%d", i + 1);
		int k = snprintf(dets[i], DET + 1, "{\"row\":%d,\"pad\":\"", i + 1);
		size_t len = DET - 64 * (size_t)(i % 7);   /* frames of different fill */
		memset(dets[i] + k, 'A' + i % 26, len - 2 - (size_t)k);
		memcpy(dets[i] + len - 2, "\"}", 3);
		recs[i] = (mn_audit_record){ids[i], "2026-11-30T18:00:00Z", "cds-services/mednec-order-sign", "drg-trial", "3",
		                            "", "meets-criteria", "", dets[i]};
	}
	/* one at a time: visible to the other connection as soon as each append returns */
	for (int i = 0; a && i < SYNC_N; i++) {
		CHECK(mn_audit_append(a, &recs[i], &err) == MN_OK);
		want_bytes += (long long)strlen(dets[i]);
		long long rows, bytes;
		char last[64], want[64];
		gather_count(path, &rows, &bytes, last, sizeof last);
		snprintf(want, sizeof want, "{\"row\":%d,\"pad\":\"", i + 1);
		CHECK_INT(rows, i + 1);
		CHECK_INT(bytes, want_bytes);
		CHECK_MSG(strncmp(last, want, strlen(want)) == 0, "after append %d the other connection read %s", i + 1, last);
	}
	/* a burst: queued while the first commits, then about 3 MB in one transaction */
	gather_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	int queued = 0;
	for (int i = SYNC_N; a && i < SYNC_N + BURST; i++) {
		if (mn_audit_append_async(a, &recs[i], gather_done, &w, &err) == MN_OK)
			queued++;
		want_bytes += (long long)strlen(dets[i]);
	}
	CHECK_INT(queued, BURST);
	pthread_mutex_lock(&w.mu);
	while (w.reported < queued)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	CHECK_INT(w.failed, 0);
	long long rows, bytes;
	char last[64];
	gather_count(path, &rows, &bytes, last, sizeof last);
	CHECK_INT(rows, SYNC_N + BURST);
	CHECK_INT(bytes, want_bytes);
	long vrows = -1;
	CHECK(a && mn_audit_verify(a, &vrows, &err) == MN_OK);
	CHECK_INT(vrows, SYNC_N + BURST);
	mn_audit_close(a);
	/* the backend itself: 80 rows of 40 KB in one transaction (3 MB of WAL, gathered and written in pieces) commit
	 * as one, not only through the store's one-row-at-a-time retry of a failed batch */
	void *h = NULL;
	snprintf(path, sizeof path, "%s/gather-batch.db", dir);
	CHECK(mn_audit_sqlite_backend.open(path, &h, &err) == MN_OK);
	const mn_audit_record *batch[BURST];
	for (int i = 0; i < BURST; i++)
		batch[i] = &recs[SYNC_N + i];
	CHECK_MSG(h && mn_audit_sqlite_backend.append(h, batch, BURST, &err) == MN_OK, "one batch: %s", err.message);
	if (h)
		mn_audit_sqlite_backend.close(h);
	gather_count(path, &rows, &bytes, last, sizeof last);
	CHECK_INT(rows, BURST);
	snprintf(path, sizeof path, "%s/gather.db", dir);
	/* reopened (the WAL recovered or checkpointed by the new connection): one more, and the whole chain */
	a = open_sqlite("gather", "", path, sizeof path, &err);
	mn_audit_record more = {"gather-more", "2026-11-30T18:00:01Z", "cli/determine", "", "", "", "error", "", "{}"};
	CHECK(a && mn_audit_append(a, &more, &err) == MN_OK);
	mn_audit_close(a);
	char msg[768];
	CHECK(verify("gather", &vrows, msg, sizeof msg) == MN_OK);
	CHECK_INT(vrows, SYNC_N + BURST + 1);
}

/* PostgreSQL: a session terminated by the server (a restart, an administrator) is reconnected for the next
 * append, which succeeds. */
static void test_pg_reconnect(void)
{
	char url[512];
	make_url(url, sizeof url, "reconnect");
	mn_audit *a = NULL;
	mn_error err;
	long rows = -1;
	CHECK(mn_audit_open(url, &a, &err) == MN_OK);
	CHECK(a && append_n(a, "r", 1, 1, &err) == MN_OK);
	pg_sql("postgres", "DO $$ BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity "
	       "WHERE datname = 'reconnect' AND pid <> pg_backend_pid(); END $$");
	mn_status st = a ? append_n(a, "r", 2, 2, &err) : MN_EINTERNAL;
	CHECK_MSG(st == MN_OK, "%s", err.message);
	CHECK(a && mn_audit_verify(a, &rows, &err) == MN_OK);
	CHECK_INT(rows, 2);
	mn_audit_close(a);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--pg") == 0) {
		pg_url = getenv("MN_PG_URL");
		if (!pg_url || !strrchr(pg_url, '/')) {
			printf("SKIPPED: test_audit --pg: no PostgreSQL server (MN_PG_URL unset; tools/pg-tmp.sh starts one)\n");
			return 77;
		}
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/mednec-audit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_sha256();
	test_row_hash();
	test_append_verify_show();
	test_tamper();
	test_threads();
	test_threads_same_ids();
	test_async();
	if (!pg_url) {
		test_sqlite_checkpoints();
		test_sqlite_wal_gather();
	}
	if (pg_url)
		test_pg_reconnect();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	TEST_END();
}
