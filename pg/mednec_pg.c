/*
 * mednec_pg.c: the PostgreSQL extension (docs/POSTGRESQL.md).
 *
 *   mednec.fhirpath(jsonb, text) -> jsonb          the result collection, as `mednec eval` prints it
 *   mednec.fhirpath_bool(jsonb, text) -> boolean   a single boolean; NULL for an empty result
 *   mednec.determine(jsonb, text, date) -> jsonb   `mednec determine --format json`
 *
 * The library allocates with malloc (arenas, buffers): every object is freed before an ereport(ERROR), which
 * longjmps out of the function; the library's error (message, location) becomes the report. The input jsonb is
 * read as its canonical text (jsonb_out): locations in errors are those of that text.
 *
 * Per backend (each parallel worker is one) the extension caches compiled expressions (an LRU keyed by the
 * expression text), loaded policies (an LRU keyed by the id asked for; an entry serves every as-of date on which
 * that version is in force) and the knowledge of mednec.home (evidence library, value sets, score
 * configuration, tables). A change of mednec.home drops them all; mednec.clear_cache() too.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/clinical.h"
#include "mednec/decide.h"
#include "mednec/fhir.h"
#include "mednec/fhirpath.h"
#include "mednec/knowledge.h"
#include "mednec/render.h"
#include "mednec/util.h"

PG_MODULE_MAGIC;

#define EXPR_SLOTS 64
#define POLICY_SLOTS 16

typedef struct expr_slot {
	char *text;
	mn_fp_expr *expr;
	uint64 used;
} expr_slot;

typedef struct policy_slot {
	char *id;  /* as asked for (an id or an alias) */
	mn_policy *policy;
	uint64 used;
} policy_slot;

static char *home_guc;      /* mednec.home */
static char *loaded_home;   /* the home the knowledge below came from (malloc) */
static mn_library *lib;
static mn_score_config *scores;
static mn_tables *tables;
static expr_slot exprs[EXPR_SLOTS];
static policy_slot policies[POLICY_SLOTS];
static uint64 tick;

void _PG_init(void);
PG_FUNCTION_INFO_V1(mednec_fhirpath);
PG_FUNCTION_INFO_V1(mednec_fhirpath_bool);
PG_FUNCTION_INFO_V1(mednec_determine);
PG_FUNCTION_INFO_V1(mednec_clear_cache);

static void drop_policies(void)
{
	for (int i = 0; i < POLICY_SLOTS; i++) {
		mn_policy_free(policies[i].policy);
		free(policies[i].id);
		memset(&policies[i], 0, sizeof policies[i]);
	}
}

static void drop_all(void)
{
	for (int i = 0; i < EXPR_SLOTS; i++) {
		mn_fp_expr_free(exprs[i].expr);
		free(exprs[i].text);
		memset(&exprs[i], 0, sizeof exprs[i]);
	}
	drop_policies();
	mn_tables_free(tables);
	mn_score_config_free(scores);
	mn_library_free(lib);
	tables = NULL;
	scores = NULL;
	lib = NULL;
	free(loaded_home);
	loaded_home = NULL;
}

void _PG_init(void)
{
	char share[MAXPGPATH];
	char boot[MAXPGPATH + 16];
	get_share_path(my_exec_path, share);
	snprintf(boot, sizeof boot, "%s/mednec", share);
	DefineCustomStringVariable("mednec.home",
	                           "Folder with the policies/, evidence/ and knowledge/ folders mednec reads.",
	                           "Default: SHAREDIR/mednec, where pg/Makefile installs them.", &home_guc, boot,
	                           PGC_SUSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("mednec");
}

/* The library's error as an SQL error. Call only after freeing what the call holds. */
static int sqlstate_for(mn_status code)
{
	switch (code) {
	case MN_ESYNTAX: case MN_ESEMANTIC: case MN_EUSAGE: return ERRCODE_INVALID_PARAMETER_VALUE;
	case MN_EJSON: case MN_EFHIR: case MN_EREF: return ERRCODE_INVALID_TEXT_REPRESENTATION;
	case MN_ENOTFOUND: return ERRCODE_UNDEFINED_OBJECT;
	case MN_EPOLICY: case MN_EIO: return ERRCODE_CONFIG_FILE_ERROR;
	case MN_ENOMEM: return ERRCODE_OUT_OF_MEMORY;
	case MN_ELIMIT: return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
	default: return ERRCODE_DATA_EXCEPTION;
	}
}

static void fail(const char *what, const mn_error *err)
{
	char msg[2048];
	if (err->code == MN_OK) {
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
		                errmsg("mednec: %s: internal error: a step failed without saying why", what)));
	}
	mn_error_format(err, msg, sizeof msg);
	ereport(ERROR, (errcode(sqlstate_for(err->code)),
	                errmsg("mednec: %s: %s [%s]", what, msg, mn_status_name(err->code))));
}

static void raise_nomem(void)
{
	ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("mednec: out of memory")));
}

static char *strdup_or_raise(const char *s)
{
	char *p = strdup(s);
	if (!p)
		raise_nomem();
	return p;
}

/* The knowledge of mednec.home, loaded once per backend and home. */
static void need_home(void)
{
	const char *home = home_guc ? home_guc : "";
	if (loaded_home && strcmp(loaded_home, home) == 0)
		return;
	drop_all();
	char path[MAXPGPATH * 2];
	mn_error err;
	mn_error_clear(&err);
	snprintf(path, sizeof path, "%s/evidence", home);
	if (mn_library_load(path, &lib, &err) != MN_OK)
		fail("loading the evidence library (mednec.home)", &err);
	snprintf(path, sizeof path, "%s/knowledge/scores.yaml", home);
	FILE *f = fopen(path, "rb");
	snprintf(path, sizeof path, "%s/knowledge", home);
	mn_status st = MN_OK;
	if (f) {
		fclose(f);
		st = mn_score_config_load(path, &scores, &err);
	}
	if (st == MN_OK)
		st = mn_tables_load(path, &tables, &err);
	if (st != MN_OK) {
		drop_all();
		fail("loading the knowledge folder (mednec.home)", &err);
	}
	loaded_home = strdup_or_raise(home);
}

/* A compiled expression from the LRU (the slot keeps it; never free the result). */
static const mn_fp_expr *compiled(const char *text)
{
	int victim = 0;
	for (int i = 0; i < EXPR_SLOTS; i++) {
		if (exprs[i].text && strcmp(exprs[i].text, text) == 0) {
			exprs[i].used = ++tick;
			return exprs[i].expr;
		}
		if (exprs[i].used < exprs[victim].used)
			victim = i;
	}
	mn_error err;
	mn_error_clear(&err);
	mn_fp_expr *e = mn_fp_compile_ex(text, -1, 0, &err);
	if (!e)
		fail("FHIRPath expression", &err);
	char *copy = strdup(text);
	if (!copy) {
		mn_fp_expr_free(e);
		raise_nomem();
	}
	mn_fp_expr_free(exprs[victim].expr);
	free(exprs[victim].text);
	exprs[victim] = (expr_slot){copy, e, ++tick};
	return e;
}

/* A policy in force on as_of from the LRU, loading it when no cached version is. */
static const mn_policy *policy_in_force(const char *id, const mn_datetime *as_of)
{
	int victim = 0;
	for (int i = 0; i < POLICY_SLOTS; i++) {
		if (policies[i].id && strcmp(policies[i].id, id) == 0 && mn_policy_in_force(policies[i].policy, as_of)) {
			policies[i].used = ++tick;
			return policies[i].policy;
		}
		if (policies[i].used < policies[victim].used)
			victim = i;
	}
	char dir[MAXPGPATH + 16];
	snprintf(dir, sizeof dir, "%s/policies", loaded_home);
	mn_error err;
	mn_error_clear(&err);
	mn_policy *p = NULL;
	if (mn_policy_load_in_force(dir, id, as_of, lib, &p, &err) != MN_OK)
		fail("policy", &err);
	char *copy = strdup(id);
	if (!copy) {
		mn_policy_free(p);
		raise_nomem();
	}
	mn_policy_free(policies[victim].policy);
	free(policies[victim].id);
	policies[victim] = (policy_slot){copy, p, ++tick};
	return p;
}

/* The jsonb as a case (a Bundle or one resource), loaded as `mednec determine` loads a file: references that do
 * not resolve are warnings and resolve to nothing, unknown elements and invalid primitives are dropped as absent.
 * *text is palloc'd and must outlive nothing (the case copies it). */
static mn_case *load_case(Jsonb *jb, const char *what)
{
	char *text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	mn_case *c = NULL;
	mn_error err;
	mn_error_clear(&err);
	mn_status st = mn_case_load_ex("jsonb", text, strlen(text), MN_CASE_ALLOW_UNRESOLVED | MN_CASE_LENIENT, &c, &err);
	pfree(text);
	if (st != MN_OK)
		fail(what, &err);
	return c;
}

/* today() and now(): the start of the transaction (as SQL now()), in the session's time zone. Parallel workers
 * see the leader's. */
static void transaction_now(mn_datetime *out)
{
	struct pg_tm tm;
	fsec_t fsec;
	int tz;
	if (timestamp2tm(GetCurrentTransactionStartTimestamp(), &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("mednec: timestamp out of range")));
	memset(out, 0, sizeof *out);
	out->kind = MN_DT_DATETIME;
	out->precision = MN_DT_SECOND;
	out->has_tz = true;
	out->tz_minutes = (int16_t)(-tz / 60);
	out->year = (int16_t)tm.tm_year;
	out->month = (int8_t)tm.tm_mon;
	out->day = (int8_t)tm.tm_mday;
	out->hour = (int8_t)tm.tm_hour;
	out->minute = (int8_t)tm.tm_min;
	out->second = (int8_t)tm.tm_sec;
}

/* Evaluate text over the jsonb; *res lives in *arena, over *kase. On failure everything is freed and an ERROR
 * raised. */
static void evaluate(Jsonb *jb, text *expr_text, mn_case **kase, mn_arena **arena, mn_fp_result **res)
{
	char *expr = text_to_cstring(expr_text);
	/* the knowledge folder only for value sets, as `mednec eval` */
	bool terminology = strstr(expr, "%terminologies") || strstr(expr, "memberOf");
	if (terminology)
		need_home();
	const mn_fp_expr *e = compiled(expr);
	pfree(expr);
	mn_datetime now;
	transaction_now(&now);
	mn_case *c = load_case(jb, "FHIRPath input");
	mn_fp_env *env = mn_fp_env_new();
	mn_arena *a = mn_arena_new();
	if (!env || !a) {
		mn_fp_env_free(env);
		mn_arena_free(a);
		mn_case_free(c);
		raise_nomem();
	}
	mn_fp_env_set_now(env, &now);
	mn_fp_env_set_case(env, c);
	if (terminology)
		mn_library_bind_terminology(lib, env);
	mn_error err;
	mn_error_clear(&err);
	mn_status st = mn_fp_eval(e, env, mn_case_root(c), a, res, &err);
	mn_fp_env_free(env);
	if (st != MN_OK) {
		mn_arena_free(a);
		mn_case_free(c);
		fail("FHIRPath evaluation", &err);
	}
	*kase = c;
	*arena = a;
}

/* A malloc'd buffer as jsonb (the buffer is freed). */
static Datum buf_to_jsonb(mn_buf *b)
{
	if (b->failed) {
		mn_buf_free(b);
		raise_nomem();
	}
	char *s = pstrdup(mn_buf_cstr(b));
	mn_buf_free(b);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
}

Datum mednec_fhirpath(PG_FUNCTION_ARGS)
{
	mn_case *c;
	mn_arena *a;
	mn_fp_result *res;
	evaluate(PG_GETARG_JSONB_P(0), PG_GETARG_TEXT_PP(1), &c, &a, &res);
	mn_buf out = MN_BUF_INIT;
	mn_buf_putc(&out, '[');
	for (size_t k = 0; k < mn_fp_result_count(res); k++) {
		if (k)
			mn_buf_putc(&out, ',');
		mn_fp_item_write_json(mn_fp_result_item(res, k), &out);
	}
	mn_buf_putc(&out, ']');
	mn_arena_free(a);
	mn_case_free(c);
	PG_RETURN_DATUM(buf_to_jsonb(&out));
}

Datum mednec_fhirpath_bool(PG_FUNCTION_ARGS)
{
	mn_case *c;
	mn_arena *a;
	mn_fp_result *res;
	evaluate(PG_GETARG_JSONB_P(0), PG_GETARG_TEXT_PP(1), &c, &a, &res);
	int truth = mn_fp_result_truth(res);
	size_t n = mn_fp_result_count(res);
	mn_arena_free(a);
	mn_case_free(c);
	if (truth == -1)
		PG_RETURN_NULL();
	if (truth < 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("mednec: fhirpath_bool: the result is not a single boolean (%zu item%s)", n,
		                       n == 1 ? "" : "s")));
	PG_RETURN_BOOL(truth == 1);
}

Datum mednec_determine(PG_FUNCTION_ARGS)
{
	Jsonb *jb = PG_GETARG_JSONB_P(0);
	char *id = text_to_cstring(PG_GETARG_TEXT_PP(1));
	DateADT date = PG_GETARG_DATEADT(2);
	if (DATE_NOT_FINITE(date))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("mednec: determine: as_of must be a finite date")));
	int y, m, d;
	j2date(date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	char day[32];
	snprintf(day, sizeof day, "%04d-%02d-%02d", y, m, d);
	mn_datetime as_of;
	mn_error err;
	mn_error_clear(&err);
	if (y < 1 || y > 9999 || mn_datetime_parse(day, strlen(day), MN_DT_DATE, &as_of, &err) != MN_OK)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("mednec: determine: as_of %s is not a date from 0001 to 9999", day)));
	need_home();
	const mn_policy *p = policy_in_force(id, &as_of);
	pfree(id);
	mn_case *c = load_case(jb, "determine: record");
	mn_determine_options opts = {scores, tables};
	mn_determination *det = NULL;
	if (mn_determine_flags(p, c, &as_of, &opts, MN_DETERMINE_POLICY_SCORES, &det, &err) != MN_OK) {
		mn_case_free(c);
		fail("determine", &err);
	}
	mn_buf out = MN_BUF_INIT;
	mn_status st = mn_render_json(det, &out);
	mn_determination_free(det);
	mn_case_free(c);
	if (st != MN_OK) {
		mn_buf_free(&out);
		raise_nomem();
	}
	PG_RETURN_DATUM(buf_to_jsonb(&out));
}

Datum mednec_clear_cache(PG_FUNCTION_ARGS)
{
	drop_all();
	PG_RETURN_VOID();
}
