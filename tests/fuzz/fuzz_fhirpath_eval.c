/*
 * fuzz_fhirpath_eval.c: FHIRPath evaluation over a FHIR JSON document.
 *
 * Input format: the first line (up to the first '\n') is the expression;
 * the rest is a JSON document. With no JSON (nothing but white space after
 * the line) the expression is evaluated against an empty context, which
 * still exercises every function on literals. Otherwise the document is
 * loaded with mn_case_load_ex(MN_CASE_ALLOW_UNRESOLVED) and, when it loads,
 * the expression is evaluated three ways: against mn_case_root (mn_fp_eval),
 * against every resource of the case (mn_fp_eval_case), and against the
 * first result's items (mn_fp_eval_items). Every result item is read back
 * through the whole result API and written as text and JSON.
 *
 * The environment is deterministic: a fixed clock, a terminology callback
 * that answers from the code's text alone, a silent trace callback and one
 * string variable (%fuzz). Each evaluation gets a fresh arena; one that
 * holds more than FUZZ_ARENA_LIMIT bytes afterwards counts as runaway
 * memory and aborts (libFuzzer's -rss_limit_mb catches it earlier when an
 * evaluation grows without end), and so does a result over MN_FP_MAX_ITEMS
 * items or a computed string over MN_FP_MAX_STRING bytes. Failing calls
 * must return a documented code with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mednec/fhirpath.h"

#define FUZZ_ARENA_LIMIT ((size_t)512 << 20)

static int member(void *payload, const char *valueset, const char *system, const char *code)
{
	(void)payload;
	(void)system;
	if (!valueset || strstr(valueset, "unknown"))
		return -1;
	return code && strlen(code) % 2 == 0;
}

static void trace(void *payload, const char *name, const mn_fp_result *value)
{
	size_t *calls = payload;
	(void)name;
	*calls += mn_fp_result_count(value);
}

/* Loading may fail with EJSON, EFHIR, EREF or ELIMIT; evaluation with
 * ESEMANTIC, EEVAL or ELIMIT. Anything else (EINTERNAL above all) is a bug. */
static void check_error(const char *what, bool load, mn_status st, const mn_error *err)
{
	bool ok = st == MN_ELIMIT ||
	          (load ? st == MN_EJSON || st == MN_EFHIR || st == MN_EREF
	                : st == MN_ESEMANTIC || st == MN_EEVAL);
	if (!ok) {
		fprintf(stderr, "fuzz_fhirpath_eval: %s: unexpected status %d (%s): %s\n", what,
		        (int)st, mn_status_name(st), err->message);
		abort();
	}
	if (err->code != st || err->message[0] == 0) {
		fprintf(stderr, "fuzz_fhirpath_eval: %s: status %s but err holds %s '%s'\n", what,
		        mn_status_name(st), mn_status_name(err->code), err->message);
		abort();
	}
}

/* Read every item back through the public result API. */
static void consume(const mn_fp_result *r, const mn_case *c)
{
	mn_buf b = MN_BUF_INIT;
	size_t n = mn_fp_result_count(r);
	if (n > MN_FP_MAX_ITEMS) {
		fprintf(stderr, "fuzz_fhirpath_eval: %zu items in a result (limit %d)\n", n,
		        MN_FP_MAX_ITEMS);
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		const mn_fp_item *it = mn_fp_result_item(r, i);
		if (!it) {
			fprintf(stderr, "fuzz_fhirpath_eval: item %zu of %zu is NULL\n", i, n);
			abort();
		}
		mn_fp_kind k = mn_fp_item_kind(it);
		const char *type = mn_fp_item_type(it);
		if (!type || k < MN_FP_BOOLEAN || k > MN_FP_NODE) {
			fprintf(stderr, "fuzz_fhirpath_eval: item %zu: kind %d type %s\n", i, (int)k,
			        type ? type : "(null)");
			abort();
		}
		size_t len = 0;
		const char *s = mn_fp_item_string(it, &len);
		if (s && k == MN_FP_STRING && len > MN_FP_MAX_STRING && !mn_fp_item_node(it)) {
			fprintf(stderr, "fuzz_fhirpath_eval: a computed string of %zu bytes (limit %u)\n",
			        len, MN_FP_MAX_STRING);
			abort();
		}
		if (s) {
			volatile unsigned char sum = 0;
			for (size_t j = 0; j < len; j++)  /* every byte must be readable */
				sum = (unsigned char)(sum + (unsigned char)s[j]);
			(void)sum;
		}
		(void)mn_fp_item_boolean(it);
		(void)mn_fp_item_integer(it);
		(void)mn_fp_item_number(it);
		(void)mn_fp_item_unit(it);
		const mn_datetime *dt = mn_fp_item_datetime(it);
		if (dt) {
			char out[64];
			mn_datetime_format(dt, out, sizeof out);
		}
		const mn_json *node = mn_fp_item_node(it);
		if (node && c) {
			int line, col;
			mn_case_position(c, node, &line, &col);
		}
		(void)mn_fp_item_resource(it);
		mn_buf_reset(&b);
		mn_fp_item_write_text(it, &b);
		mn_buf_reset(&b);
		mn_fp_item_write_json(it, &b);
	}
	(void)mn_fp_result_truth(r);
	mn_buf_free(&b);
}

static void eval_one(const char *what, const mn_fp_expr *e, const mn_fp_env *env,
                     const mn_case *c, const mn_json *resource, const mn_fp_result *items)
{
	mn_arena *a = mn_arena_new();
	if (!a)
		return;
	mn_fp_result *r = NULL;
	mn_error err;
	mn_status st;
	if (items)
		st = mn_fp_eval_items(e, env, items, a, &r, &err);
	else if (c && !resource)
		st = mn_fp_eval_case(e, env, c, a, &r, &err);
	else
		st = mn_fp_eval(e, env, resource, a, &r, &err);
	if (st == MN_OK) {
		if (!r) {
			fprintf(stderr, "fuzz_fhirpath_eval: %s: MN_OK without a result\n", what);
			abort();
		}
		consume(r, c);
	} else {
		check_error(what, false, st, &err);
	}
	if (mn_arena_used(a) > FUZZ_ARENA_LIMIT) {
		fprintf(stderr, "fuzz_fhirpath_eval: %s: %zu bytes in the evaluation arena\n", what,
		        mn_arena_used(a));
		abort();
	}
	mn_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t elen = nl ? (size_t)(nl - text) : size;
	const char *json = nl ? nl + 1 : text + size;
	size_t jlen = size - (size_t)(json - text);

	/* Exact-size heap copies so that AddressSanitizer sees overreads. */
	char *expr_src = malloc(elen ? elen : 1);
	if (!expr_src)
		return 0;
	if (elen)
		memcpy(expr_src, text, elen);
	mn_error err;
	mn_fp_expr *e = mn_fp_compile(expr_src, (long)elen, &err);
	free(expr_src);
	if (!e)
		return 0;

	mn_fp_env *env = mn_fp_env_new();
	if (!env) {
		mn_fp_expr_free(e);
		return 0;
	}
	static const mn_datetime now = {
		.kind = MN_DT_DATETIME, .precision = MN_DT_MILLISECOND, .has_tz = true,
		.tz_minutes = 60, .year = 2024, .month = 3, .day = 5,
		.hour = 10, .minute = 20, .second = 30, .millisecond = 123};
	size_t traced = 0;
	mn_fp_env_set_now(env, &now);
	mn_fp_env_set_terminology(env, member, NULL);
	mn_fp_env_set_trace(env, trace, &traced);
	mn_fp_env_set_string(env, "fuzz", "fuzz value");

	size_t ws = 0;
	while (ws < jlen && json[ws] && strchr(" \t\r\n", json[ws]))
		ws++;
	if (ws == jlen) {
		eval_one("empty context", e, env, NULL, NULL, NULL);
	} else {
		mn_case *c = NULL;
		mn_status st = mn_case_load_ex("fuzz.json", json, jlen, MN_CASE_ALLOW_UNRESOLVED, &c,
		                               &err);
		if (st == MN_OK) {
			mn_fp_env_set_case(env, c);
			eval_one("case root", e, env, c, mn_case_root(c), NULL);
			eval_one("case", e, env, c, NULL, NULL);
			/* up to 64 of the case's descendants as an earlier result */
			mn_arena *a = mn_arena_new();
			mn_fp_expr *all = mn_fp_compile("descendants()", -1, NULL);
			mn_fp_result *r = NULL;
			mn_fp_result *some = NULL;
			if (a && all && mn_fp_eval_case(all, env, c, a, &r, NULL) == MN_OK)
				some = mn_fp_result_slice(r, 0, 64, a);
			if (some)
				eval_one("items", e, env, c, NULL, some);
			mn_fp_expr_free(all);
			mn_arena_free(a);
			mn_case_free(c);
		} else {
			check_error("load", true, st, &err);
		}
	}
	mn_fp_env_free(env);
	mn_fp_expr_free(e);
	return 0;
}
