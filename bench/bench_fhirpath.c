/*
 * bench_fhirpath.c: the mednec side of the benchmark (bench/run.sh).
 *
 *   bench_fhirpath MANIFEST.json --serve    requests on stdin (side_by_side.mjs)
 *   bench_fhirpath MANIFEST.json OUT.json   everything, into one file
 *
 * MANIFEST.json is written by prepare.mjs: the suite tests (workload a), the
 * clinical expressions (workload b) and the Synthea bundles. Every expression
 * is compiled once and every input loaded once, outside the timed loop; one
 * evaluation is then mn_arena_new + mn_fp_eval (a) or mn_fp_eval_case (b) +
 * mn_arena_free, repeated in batches. The batch protocol is the one of
 * timing.mjs: the batch size doubles until a batch takes MN_BENCH_BATCH_MS
 * (default 5), then MN_BENCH_BATCHES (default 5) batches run and the time per
 * evaluation is the median batch time divided by the batch size.
 *
 * The load part times, on every bundle, jansson's json_loadb (+ json_decref),
 * mn_json_parse (arena new + parse + free) and mn_case_load (parse, FHIR R4
 * check, index, references; + mn_case_free), with the same protocol.
 *
 * In serve mode the driver (side_by_side.mjs) asks for one item at a time and
 * times fhirpath.js on the same item right before or after, so that both
 * engines see the same machine load. In file mode, MN_BENCH_ONLY=a|b|load
 * runs one part.
 */
#include "mednec/fhirpath.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_VALUES 10

static double batch_ms = 5;
static int batches = 5;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef int (*work_fn)(void *ctx);  /* one unit of work; nonzero on failure */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* Nanoseconds per call of fn (median batch / batch size); -1 on failure. */
static double measure(work_fn fn, void *ctx, long *reps)
{
	double target = batch_ms * 1e6;
	long n = 1;
	for (;;) {
		long long t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (fn(ctx))
				return -1;
		long long t = now_ns() - t0;
		if (t >= target || n >= (1L << 24))
			break;
		double f = t > 0 ? target * 1.1 / (double)t : 8;
		if (f > 8)
			f = 8;
		if (f < 2)
			f = 2;
		n = (long)((double)n * f + 0.999);
	}
	long long times[64];
	int k = batches < 64 ? batches : 64;
	for (int b = 0; b < k; b++) {
		long long t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (fn(ctx))
				return -1;
		times[b] = now_ns() - t0;
	}
	qsort(times, (size_t)k, sizeof times[0], cmp_ll);
	*reps = n;
	return (double)times[k / 2] / (double)n;
}

/* ---- output helpers --------------------------------------------------- */

static void put_str(mn_buf *o, const char *s)
{
	mn_buf_put_json_string(o, s, strlen(s));
}

/* The first items of a result as text, as bench_fhirpathjs.mjs writes them:
 * primitives as their text (dates without '@'), elements as "{}". */
static void put_values(mn_buf *o, const mn_fp_result *r)
{
	mn_buf t = MN_BUF_INIT;
	mn_buf_puts(o, "[");
	size_t n = mn_fp_result_count(r);
	for (size_t i = 0; i < n && i < MAX_VALUES; i++) {
		const mn_fp_item *it = mn_fp_result_item(r, i);
		mn_buf_reset(&t);
		if (mn_fp_item_kind(it) == MN_FP_NODE)
			mn_buf_puts(&t, "{}");
		else
			mn_fp_item_write_text(it, &t);
		const char *s = mn_buf_cstr(&t);
		mn_fp_kind k = mn_fp_item_kind(it);
		if (k == MN_FP_DATE || k == MN_FP_DATETIME || k == MN_FP_TIME) {
			if (*s == '@')
				s++;
			if (k == MN_FP_TIME && *s == 'T')
				s++;
		}
		size_t len = strlen(s);
		mn_buf_printf(o, "%s", i ? "," : "");
		mn_buf_put_json_string(o, s, len > 80 ? 80 : len);
	}
	mn_buf_puts(o, "]");
	mn_buf_free(&t);
}

static void put_error(mn_buf *o, const char *what, const mn_error *err)
{
	char msg[1200];
	mn_error_format(err, msg, sizeof msg);
	char line[1400];
	snprintf(line, sizeof line, "%s: %s: %s", what, mn_status_name(err->code), msg);
	mn_buf_puts(o, "\"status\":\"error\",\"error\":");
	put_str(o, line);
}

/* ---- evaluation work -------------------------------------------------- */

typedef struct eval_ctx {
	const mn_fp_expr *e;
	const mn_fp_env *env;
	const mn_json *resource;  /* workload a */
	const mn_case *kase;      /* workload b */
	size_t sink;
} eval_ctx;

static int eval_once(void *p)
{
	eval_ctx *c = p;
	mn_arena *a = mn_arena_new();
	if (!a)
		return 1;
	mn_fp_result *r;
	mn_status st = c->kase ? mn_fp_eval_case(c->e, c->env, c->kase, a, &r, NULL)
	                       : mn_fp_eval(c->e, c->env, c->resource, a, &r, NULL);
	if (st == MN_OK)
		c->sink += mn_fp_result_count(r);
	mn_arena_free(a);
	return st != MN_OK;
}

/* Evaluate once (checking and recording the result), then time. */
static void run_eval(mn_buf *o, eval_ctx *c)
{
	mn_arena *a = mn_arena_new();
	mn_fp_result *r;
	mn_error err;
	mn_error_clear(&err);
	mn_status st = c->kase ? mn_fp_eval_case(c->e, c->env, c->kase, a, &r, &err)
	                       : mn_fp_eval(c->e, c->env, c->resource, a, &r, &err);
	if (st != MN_OK) {
		put_error(o, "eval", &err);
		mn_arena_free(a);
		return;
	}
	mn_buf_printf(o, "\"status\":\"ok\",\"count\":%zu,\"values\":", mn_fp_result_count(r));
	put_values(o, r);
	mn_arena_free(a);
	long reps = 0;
	double ns = measure(eval_once, c, &reps);
	if (ns < 0)
		mn_buf_puts(o, ",\"timing\":\"failed\"");
	else
		mn_buf_printf(o, ",\"ns\":%.1f,\"reps\":%ld", ns, reps);
}

static void silent_trace(void *payload, const char *name, const mn_fp_result *value)
{
	(void)payload, (void)name, (void)value;
}

/* ---- inputs ----------------------------------------------------------- */

typedef struct input { const char *path; const mn_json *json; } input;
static input inputs[64];
static int ninputs;
static mn_arena *input_arena;

static const mn_json *suite_input(const char *path, mn_error *err)
{
	for (int i = 0; i < ninputs; i++)
		if (strcmp(inputs[i].path, path) == 0)
			return inputs[i].json;
	char *text;
	size_t len;
	mn_json *j;
	if (mn_read_file(path, &text, &len, err) != MN_OK)
		return NULL;
	mn_status st = mn_json_parse(input_arena, path, text, len, &j, err);
	/* the tree points into arena memory only (strings are copied) */
	free(text);
	if (st != MN_OK)
		return NULL;
	if (ninputs < 64) {
		inputs[ninputs].path = mn_arena_strdup(input_arena, path);
		inputs[ninputs++].json = j;
	}
	return j;
}

/* ---- load work -------------------------------------------------------- */

typedef struct load_ctx {
	const char *path, *text;
	size_t len;
	unsigned flags;
	size_t sink;
} load_ctx;

static int load_jansson(void *p)
{
	load_ctx *c = p;
	json_error_t e;
	json_t *j = json_loadb(c->text, c->len, 0, &e);
	if (!j)
		return 1;
	c->sink += json_is_object(j);
	json_decref(j);
	return 0;
}

static int load_mn_json(void *p)
{
	load_ctx *c = p;
	mn_arena *a = mn_arena_new();
	mn_json *j;
	if (!a)
		return 1;
	mn_status st = mn_json_parse(a, c->path, c->text, c->len, &j, NULL);
	if (st == MN_OK)
		c->sink += j->n;
	mn_arena_free(a);
	return st != MN_OK;
}

static int load_mn_case(void *p)
{
	load_ctx *c = p;
	mn_case *k;
	if (mn_case_load_ex(c->path, c->text, c->len, c->flags, &k, NULL) != MN_OK)
		return 1;
	c->sink += mn_case_count(k);
	mn_case_free(k);
	return 0;
}

static void put_timing(mn_buf *o, const char *name, work_fn fn, load_ctx *c)
{
	long reps = 0;
	double ns = measure(fn, c, &reps);
	mn_buf_printf(o, ",\"%s\":", name);
	if (ns < 0)
		mn_buf_puts(o, "null");
	else
		mn_buf_printf(o, "{\"ns\":%.1f,\"reps\":%ld}", ns, reps);
}

/* ---- the work items -------------------------------------------------- */

typedef struct bench {
	const mn_json *suite, *clinical, *bundles;
	mn_fp_env *env;
	size_t nb;
	mn_case **cases;
	char **texts;
	size_t *lens;
	unsigned *flags;
	/* the clinical expression compiled last (b items come expression by
	 * expression, bundle by bundle) */
	uint32_t compiled_index;
	mn_fp_expr *compiled;
	mn_error compile_err;
} bench;

static const char *jstr(const mn_json *o, const char *key)
{
	return mn_json_get_string(o, key);
}

/* Older libraries (bench/run.sh with MN_BENCH_REV) have no mn_fp_expr_constant: weak, so that the bench
 * still links; their tests are then not marked. */
extern bool mn_fp_expr_constant(const mn_fp_expr *e) __attribute__((weak));

/* Suite test i: {"name":..., "constant":..., "status":..., "count", "values", "ns", "reps"}; "constant":
 * the value was computed when compiled (mn_fp_expr_constant), so evaluating copies it */
static void item_suite(bench *B, uint32_t i, mn_buf *o)
{
	mn_error err;
	mn_error_clear(&err);
	const mn_json *t = &B->suite->u.items[i];
	const char *name = jstr(t, "name"), *expr = jstr(t, "expr"), *in = jstr(t, "input");
	mn_buf_puts(o, "{\"name\":");
	put_str(o, name ? name : "?");
	mn_buf_puts(o, ",");
	const mn_json *resource = NULL;
	if (in && !(resource = suite_input(in, &err))) {
		put_error(o, "input", &err);
		mn_buf_puts(o, "}");
		return;
	}
	mn_fp_expr *e = mn_fp_compile(expr ? expr : "", -1, &err);
	if (!e) {
		put_error(o, "compile", &err);
		mn_buf_puts(o, "}");
		return;
	}
	if (mn_fp_expr_constant)
		mn_buf_printf(o, "\"constant\":%s,", mn_fp_expr_constant(e) ? "true" : "false");
	eval_ctx c = {e, B->env, resource, NULL, 0};
	run_eval(o, &c);
	mn_buf_puts(o, "}");
	mn_fp_expr_free(e);
}

/* Clinical expression i on bundle b: {"status":..., "count", ...} */
static void item_clinical(bench *B, uint32_t i, size_t b, mn_buf *o)
{
	if (!B->compiled || B->compiled_index != i) {
		mn_fp_expr_free(B->compiled);
		const char *expr = jstr(&B->clinical->u.items[i], "expr");
		mn_error_clear(&B->compile_err);
		B->compiled = mn_fp_compile(expr ? expr : "", -1, &B->compile_err);
		B->compiled_index = i;
	}
	mn_buf_puts(o, "{");
	if (!B->compiled) {
		put_error(o, "compile", &B->compile_err);
	} else {
		mn_fp_env_set_case(B->env, B->cases[b]);
		eval_ctx c = {B->compiled, B->env, NULL, B->cases[b], 0};
		run_eval(o, &c);
	}
	mn_buf_puts(o, "}");
}

/* Load timings of bundle b. */
static void item_load(bench *B, size_t b, mn_buf *o)
{
	const char *path = B->bundles->u.items[b].u.s;
	load_ctx c = {path, B->texts[b], B->lens[b], B->flags[b], 0};
	mn_buf_puts(o, "{\"file\":");
	put_str(o, path);
	mn_buf_printf(o, ",\"bytes\":%zu,\"caseFlags\":%u", B->lens[b], B->flags[b]);
	put_timing(o, "jansson", load_jansson, &c);
	put_timing(o, "mn_json_parse", load_mn_json, &c);
	put_timing(o, "mn_case_load", load_mn_case, &c);
	mn_buf_puts(o, "}");
}

/* ---- main ------------------------------------------------------------- */

static void die(const char *what, const mn_error *err)
{
	char msg[1200];
	mn_error_format(err, msg, sizeof msg);
	fprintf(stderr, "bench_fhirpath: %s: %s\n", what, msg);
	exit(1);
}

/* Serve mode: one request per line on standard input, one JSON line back.
 *   a I      suite test I
 *   b I B    clinical expression I on bundle B
 *   load B   load timings of bundle B
 *   info     version, settings, the clock */
static int serve(bench *B, const char *info)
{
	char line[256];
	mn_buf o = MN_BUF_INIT;
	while (fgets(line, sizeof line, stdin)) {
		unsigned long i = 0, b = 0;
		mn_buf_reset(&o);
		if (sscanf(line, "a %lu", &i) == 1 && i < B->suite->n)
			item_suite(B, (uint32_t)i, &o);
		else if (sscanf(line, "b %lu %lu", &i, &b) == 2 && i < B->clinical->n && b < B->nb)
			item_clinical(B, (uint32_t)i, (size_t)b, &o);
		else if (sscanf(line, "load %lu", &b) == 1 && b < B->nb)
			item_load(B, (size_t)b, &o);
		else if (strncmp(line, "info", 4) == 0)
			mn_buf_puts(&o, info);
		else if (strncmp(line, "quit", 4) == 0)
			break;
		else
			mn_buf_puts(&o, "{\"status\":\"error\",\"error\":\"bad request\"}");
		if (o.failed)
			return 71;
		fwrite(o.data, 1, o.len, stdout);
		fputc('\n', stdout);
		if (fflush(stdout) != 0)
			return 74;
	}
	mn_buf_free(&o);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_fhirpath MANIFEST.json OUT.json|--serve\n");
		return 64;
	}
	const char *s;
	if ((s = getenv("MN_BENCH_BATCH_MS")) && *s)
		batch_ms = atof(s);
	if ((s = getenv("MN_BENCH_BATCHES")) && *s)
		batches = atoi(s);
	if (batches < 1)
		batches = 1;
	const char *only = getenv("MN_BENCH_ONLY");
	if (!only)
		only = "";

	mn_error err;
	mn_error_clear(&err);
	char *mtext;
	size_t mlen;
	mn_json *m;
	mn_arena *marena = mn_arena_new();
	input_arena = mn_arena_new();
	if (mn_read_file(argv[1], &mtext, &mlen, &err) != MN_OK)
		die(argv[1], &err);
	if (mn_json_parse(marena, argv[1], mtext, mlen, &m, &err) != MN_OK)
		die(argv[1], &err);
	bench B;
	memset(&B, 0, sizeof B);
	B.suite = mn_json_get(m, "suite");
	B.clinical = mn_json_get(m, "clinical");
	B.bundles = mn_json_get(m, "bundles");
	if (!B.suite || !B.clinical || !B.bundles || B.suite->type != MN_JSON_ARRAY ||
	    B.clinical->type != MN_JSON_ARRAY || B.bundles->type != MN_JSON_ARRAY) {
		fprintf(stderr, "bench_fhirpath: %s: not a manifest\n", argv[1]);
		return 1;
	}

	/* the clock for today()/now(): the real date, as fhirpath.js uses */
	time_t tt = time(NULL);
	struct tm tm;
	gmtime_r(&tt, &tm);
	char nowtext[40];
	strftime(nowtext, sizeof nowtext, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	mn_datetime now;
	if (mn_datetime_parse(nowtext, strlen(nowtext), MN_DT_DATETIME, &now, &err) != MN_OK)
		die("clock", &err);
	B.env = mn_fp_env_new();
	mn_fp_env_set_now(B.env, &now);
	mn_fp_env_set_trace(B.env, silent_trace, NULL);

	/* the bundles: loaded once for (b), their text kept for the load part */
	B.nb = B.bundles->n;
	B.cases = calloc(B.nb + 1, sizeof *B.cases);
	B.texts = calloc(B.nb + 1, sizeof *B.texts);
	B.lens = calloc(B.nb + 1, sizeof *B.lens);
	B.flags = calloc(B.nb + 1, sizeof *B.flags);
	if (!B.cases || !B.texts || !B.lens || !B.flags)
		return 71;
	for (size_t b = 0; b < B.nb; b++) {
		const mn_json *p = &B.bundles->u.items[b];
		if (p->type != MN_JSON_STRING) {
			fprintf(stderr, "bench_fhirpath: bundle %zu is not a path\n", b);
			return 1;
		}
		if (mn_read_file(p->u.s, &B.texts[b], &B.lens[b], &err) != MN_OK)
			die(p->u.s, &err);
		/* strict load; lenient (unresolved references counted) if that fails */
		if (mn_case_load(p->u.s, B.texts[b], B.lens[b], &B.cases[b], &err) != MN_OK) {
			char msg[1200];
			mn_error_format(&err, msg, sizeof msg);
			fprintf(stderr, "mednec: strict load failed, loading leniently: %s\n", msg);
			B.flags[b] = MN_CASE_ALLOW_UNRESOLVED;
			if (mn_case_load_ex(p->u.s, B.texts[b], B.lens[b], B.flags[b], &B.cases[b], &err) != MN_OK)
				die(p->u.s, &err);
		}
	}

	char info[512];
	snprintf(info, sizeof info,
	         "{\"engine\":\"mednec\",\"version\":\"%s\",\"jansson\":\"%s\","
	         "\"settings\":{\"batchMs\":%g,\"batches\":%d},\"now\":\"%s\"}",
	         mn_version(), JANSSON_VERSION, batch_ms, batches, nowtext);
	int rc = 0;
	if (strcmp(argv[2], "--serve") == 0) {
		rc = serve(&B, info);
	} else {
		/* file mode: everything (or MN_BENCH_ONLY=a|b|load) into one JSON file */
		mn_buf o = MN_BUF_INIT;
		mn_buf_put(&o, info, strlen(info) - 1);
		mn_buf_puts(&o, ",\"suite\":[");
		for (uint32_t i = 0; (!*only || !strcmp(only, "a")) && i < B.suite->n; i++) {
			mn_buf_puts(&o, i ? ",\n" : "\n");
			item_suite(&B, i, &o);
		}
		mn_buf_puts(&o, "],\"clinical\":[");
		for (uint32_t i = 0; (!*only || !strcmp(only, "b")) && i < B.clinical->n; i++) {
			mn_buf_puts(&o, i ? ",\n{\"id\":" : "\n{\"id\":");
			const char *id = jstr(&B.clinical->u.items[i], "id");
			put_str(&o, id ? id : "?");
			mn_buf_puts(&o, ",\"bundles\":[");
			for (size_t b = 0; b < B.nb; b++) {
				mn_buf_puts(&o, b ? "," : "");
				item_clinical(&B, i, b, &o);
			}
			mn_buf_puts(&o, "]}");
		}
		mn_buf_puts(&o, "],\"load\":[");
		for (size_t b = 0; (!*only || !strcmp(only, "load")) && b < B.nb; b++) {
			mn_buf_puts(&o, b ? ",\n" : "\n");
			item_load(&B, b, &o);
		}
		mn_buf_puts(&o, "]}\n");
		FILE *f = fopen(argv[2], "wb");
		if (!f || o.failed || fwrite(o.data, 1, o.len, f) != o.len || fclose(f) != 0) {
			fprintf(stderr, "bench_fhirpath: cannot write %s\n", argv[2]);
			rc = 74;
		}
		mn_buf_free(&o);
	}

	mn_fp_expr_free(B.compiled);
	for (size_t b = 0; b < B.nb; b++) {
		mn_case_free(B.cases[b]);
		free(B.texts[b]);
	}
	free(B.cases), free(B.texts), free(B.lens), free(B.flags);
	mn_fp_env_free(B.env);
	mn_arena_free(input_arena);
	mn_arena_free(marena);
	free(mtext);
	return rc;
}
