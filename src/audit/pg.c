/*
 * pg.c: the audit trail in PostgreSQL (libpq), for deployments where several servers share one chain.
 * Same table as the SQLite store. Each append (or batch of appends, audit.c) is one transaction that first
 * takes a transaction-level advisory lock (pg_advisory_xact_lock, key MN_PG_LOCK_KEY), so appenders on every
 * connection and server are serialised: the last row read is the last row committed. synchronous_commit is
 * set on for the session: COMMIT returns after the WAL record is flushed to disk.
 *
 * Built twice (CMakeLists.txt): into the static library mednec_net (tests, the PostgreSQL extension), and with
 * MN_PG_MODULE=1 as the shared module mednec-pg.so that the mednec program loads when it first opens a
 * postgresql:// store (src/cli/net_module.c), so that its other commands do not load libpq and its libraries at
 * every start. In the module the calls into the rest of mednec go through the program's table
 * (src/cli/net_module.h).
 */
#include "audit_int.h"

#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if MN_PG_MODULE
#include "cli/net_module.h"

static const mn_pg_host *S_host;

#define mn_error_set S_host->error_set
#define mn_error_clear S_host->error_clear
#define mn_audit_fields_of S_host->audit_fields_of
#define mn_audit_row_hash S_host->audit_row_hash
#endif

/* "mednec" as a big-endian integer: the advisory lock that serialises appends (and table creation). */
#define MN_PG_LOCK_KEY "120282244080995"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS " MN_AUDIT_TABLE " ("
	"seq BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE, received TEXT NOT NULL, endpoint TEXT NOT NULL, "
	"policy_id TEXT NOT NULL, policy_version TEXT NOT NULL, input_sha256 TEXT NOT NULL, outcome TEXT NOT NULL, "
	"lookup_key TEXT NOT NULL, determination TEXT NOT NULL, prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS " MN_AUDIT_TABLE "_lookup ON " MN_AUDIT_TABLE " (lookup_key, seq)";

typedef struct pg {
	PGconn *conn;
} pg;

/* The server's message without its trailing newline. */
static mn_status fail(pg *p, const PGresult *r, mn_error *err, const char *what)
{
	const char *msg = r ? PQresultErrorMessage(r) : "";
	if (!msg || !*msg)
		msg = PQerrorMessage(p->conn);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	/* 23505: unique_violation (the id is already stored) */
	mn_status st = state && strcmp(state, "23505") == 0 ? MN_EUSAGE : MN_EIO;
	return mn_error_set(err, st, "audit (postgresql): %s: %.*s", what, (int)n, msg);
}

/* Run a command that returns no rows; MN_OK or the error. */
static mn_status exec(pg *p, const char *sql, mn_error *err, const char *what)
{
	PGresult *r = PQexec(p->conn, sql);
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	mn_status st = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? MN_OK : fail(p, r, err, what);
	PQclear(r);
	return st;
}

static void pg_close(void *h)
{
	pg *p = h;
	if (!p)
		return;
	PQfinish(p->conn);
	free(p);
}

/* The session's settings: durable commits, and no NOTICE ("relation already exists") on stderr. */
static mn_status session(pg *p, mn_error *err)
{
	mn_status st = exec(p, "SET synchronous_commit = on", err, "cannot set synchronous_commit");
	return st == MN_OK ? exec(p, "SET client_min_messages = warning", err, "cannot set client_min_messages") : st;
}

/* A connection that broke (server restarted) is reset once before the next operation. */
static mn_status ready(pg *p, mn_error *err)
{
	if (PQstatus(p->conn) != CONNECTION_OK) {
		PQreset(p->conn);
		if (PQstatus(p->conn) != CONNECTION_OK)
			return fail(p, NULL, err, "the connection to the server is lost");
		return session(p, err);
	}
	return MN_OK;
}

static mn_status pg_open(const char *url, void **out, mn_error *err)
{
	pg *p = calloc(1, sizeof *p);
	if (!p)
		return mn_error_set(err, MN_ENOMEM, "audit: out of memory");
	p->conn = PQconnectdb(url);
	mn_status st = MN_OK;
	if (!p->conn)
		st = mn_error_set(err, MN_ENOMEM, "audit (postgresql): out of memory");
	else if (PQstatus(p->conn) != CONNECTION_OK)
		st = fail(p, NULL, err, "cannot connect");
	else if ((st = session(p, err)) == MN_OK && (st = exec(p, "BEGIN", err, "cannot begin")) == MN_OK) {
		if ((st = exec(p, "SELECT pg_advisory_xact_lock(" MN_PG_LOCK_KEY ")", err, "cannot lock")) == MN_OK &&
		    (st = exec(p, schema, err, "cannot create the audit table")) == MN_OK)
			st = exec(p, "COMMIT", err, "cannot commit the audit table");
		if (st != MN_OK)
			exec(p, "ROLLBACK", NULL, "rollback");
	}
	if (st != MN_OK) {
		pg_close(p);
		return st;
	}
	*out = p;
	return MN_OK;
}

static mn_status append_once(pg *p, const mn_audit_record *const *recs, size_t n, mn_error *err)
{
	mn_status st = ready(p, err);
	if (st != MN_OK || (st = exec(p, "BEGIN", err, "cannot begin")) != MN_OK)
		return st;
	long long seq = 1;
	char prev[65] = "", hash[65], seqtext[32];
	st = exec(p, "SELECT pg_advisory_xact_lock(" MN_PG_LOCK_KEY ")", err, "cannot lock the chain");
	if (st == MN_OK) {
		PGresult *r = PQexec(p->conn, "SELECT seq, row_hash FROM " MN_AUDIT_TABLE " ORDER BY seq DESC LIMIT 1");
		if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
			st = fail(p, r, err, "cannot read the last row");
		} else if (PQntuples(r) == 1) {
			seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10) + 1;
			snprintf(prev, sizeof prev, "%s", PQgetvalue(r, 0, 1));
		}
		PQclear(r);
	}
	for (size_t k = 0; k < n && st == MN_OK; k++, seq++) {
		mn_audit_fields f;
		mn_audit_fields_of(recs[k], &f);
		if ((st = mn_audit_row_hash(seq, &f, prev, hash, err)) != MN_OK)
			break;
		snprintf(seqtext, sizeof seqtext, "%lld", seq);
		const char *params[12] = {seqtext, f.f[0], f.f[1], f.f[2], f.f[3], f.f[4], f.f[5], f.f[6], f.f[7], f.f[8],
		                          prev, hash};
		PGresult *r = PQexecParams(p->conn, "INSERT INTO " MN_AUDIT_TABLE " (" MN_AUDIT_COLUMNS ") VALUES "
		                           "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", 12, NULL, params, NULL,
		                           NULL, 0);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			st = fail(p, r, err, "cannot store the row");
		PQclear(r);
		memcpy(prev, hash, sizeof hash);
	}
	if (st == MN_OK)
		st = exec(p, "COMMIT", err, "cannot commit the row");
	else
		exec(p, "ROLLBACK", NULL, "rollback");
	return st;
}

/* A connection found broken during the append (the server restarted, the session was terminated) is reset and
 * the append tried once more. Should the first COMMIT have gone through unseen, the retry is refused as a
 * duplicate id (the row is stored once; the caller is told it failed). */
static mn_status pg_append(void *h, const mn_audit_record *const *recs, size_t n, mn_error *err)
{
	pg *p = h;
	mn_status st = append_once(p, recs, n, err);
	if (st != MN_OK && PQstatus(p->conn) == CONNECTION_BAD) {
		mn_error_clear(err);
		st = append_once(p, recs, n, err);
	}
	return st;
}

static mn_status call_row(const PGresult *r, int i, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	mn_audit_row row = {strtoll(PQgetvalue(r, i, 0), NULL, 10), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
	                    PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6),
	                    PQgetvalue(r, i, 7), PQgetvalue(r, i, 8), PQgetvalue(r, i, 9), PQgetvalue(r, i, 10),
	                    PQgetvalue(r, i, 11)};
	return fn(ctx, &row, err);
}

/* Every row, one at a time (single-row mode: a long chain is never held in memory). */
static mn_status pg_scan(void *h, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	pg *p = h;
	mn_status st = ready(p, err);
	if (st != MN_OK)
		return st;
	if (!PQsendQuery(p->conn, "SELECT " MN_AUDIT_COLUMNS " FROM " MN_AUDIT_TABLE " ORDER BY seq") ||
	    !PQsetSingleRowMode(p->conn))
		return fail(p, NULL, err, "cannot read the rows");
	PGresult *r;
	while ((r = PQgetResult(p->conn)) != NULL) {
		ExecStatusType t = PQresultStatus(r);
		if (st == MN_OK) {
			if (t == PGRES_SINGLE_TUPLE)
				st = call_row(r, 0, fn, ctx, err);
			else if (t != PGRES_TUPLES_OK)
				st = fail(p, r, err, "cannot read the rows");
		}
		PQclear(r);  /* after a failure the rest of the result is drained, unread */
	}
	return st;
}

static mn_status pg_find(void *h, const char *id_or_key, mn_audit_row_fn fn, void *ctx, mn_error *err)
{
	pg *p = h;
	mn_status st = ready(p, err);
	if (st != MN_OK)
		return st;
	static const char *const sql[2] = {
		"SELECT " MN_AUDIT_COLUMNS " FROM " MN_AUDIT_TABLE " WHERE id = $1",
		"SELECT " MN_AUDIT_COLUMNS " FROM " MN_AUDIT_TABLE " WHERE lookup_key = $1 AND lookup_key <> '' "
		"ORDER BY seq DESC LIMIT 1"};
	for (int i = 0; i < 2; i++) {
		PGresult *r = PQexecParams(p->conn, sql[i], 1, NULL, &id_or_key, NULL, NULL, 0);
		if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
			st = fail(p, r, err, "cannot read the row");
			PQclear(r);
			return st;
		}
		if (PQntuples(r) > 0) {
			st = call_row(r, 0, fn, ctx, err);
			PQclear(r);
			return st;
		}
		PQclear(r);
	}
	return mn_error_set(err, MN_ENOTFOUND, "audit: no row has the id or lookup key '%.200s'", id_or_key);
}

const mn_audit_backend mn_audit_pg_backend = {"postgresql", pg_open, pg_close, pg_append, pg_scan, pg_find};

#if MN_PG_MODULE
/* The module's one exported symbol (net_module.h); everything else in it is hidden. */
__attribute__((visibility("default"))) const void *mn_pg_module_v1(const void *host_table);

/* Typeless, as the program calls every module's entry (mn_cli_module_get). */
const void *mn_pg_module_v1(const void *host_table)
{
	const mn_pg_host *host = host_table;
	static const mn_pg_module module = {MN_NET_MODULE_VERSION, &mn_audit_pg_backend};
	if (!host || host->version != MN_NET_MODULE_VERSION)
		return NULL;
	S_host = host;
	return &module;
}
#endif
