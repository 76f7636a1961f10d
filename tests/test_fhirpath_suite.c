/*
 * test_fhirpath_suite.c: runs the official FHIRPath R4 conformance suite
 * (tests-fhir-r4.xml, FHIR/fhir-test-cases) against the library.
 *
 * A small XML reader (elements, attributes, text, comments, the five
 * predefined entities) turns the file into test records; each expression is
 * compiled and evaluated on the JSON twin of its input file with a fixed
 * clock, and the result is compared with the expected typed outputs. Tests
 * marked invalid pass only when the engine reports that kind of error
 * (syntax -> MN_ESYNTAX, semantic -> MN_ESEMANTIC, execution -> MN_EEVAL).
 *
 * tests/fhirpath/known-failures.txt lists the tests expected to fail, one
 * name per line with the reason after '#'. The run fails when a test that is
 * not listed fails (a regression) and reports listed tests that now pass.
 *
 * When the mednec program is found (env MN_MEDNEC, or ../mednec next to this
 * test program) every test runs a second time through `mednec eval`, whose
 * JSON output and exit status / error kind are compared the same way; that
 * pass has its own count and uses the same known-failures list.
 *
 *   test_fhirpath_suite            all tests
 *   test_fhirpath_suite NAME...    only these, with their results printed
 */
#include "mednec/fhirpath.h"
#include "test.h"

#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- a tiny XML reader ------------------------------------------------- */

typedef struct xattr { char *name, *value; } xattr;

typedef struct xnode {
	char *name;
	xattr attrs[12];
	int nattrs;
	char *text;  /* concatenated character data */
	struct xnode **kids;
	int nkids, capkids;
} xnode;

typedef struct xreader { const char *s; size_t n, i; int depth; } xreader;

static char *xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* Undo the predefined entities and numeric references in place. */
static void unentity(char *s)
{
	char *o = s;
	while (*s) {
		if (*s == '&') {
			static const struct { const char *e; char c; } E[] = {
				{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
			size_t k;
			for (k = 0; k < 5; k++)
				if (strncmp(s, E[k].e, strlen(E[k].e)) == 0)
					break;
			if (k < 5) {
				*o++ = E[k].c;
				s += strlen(E[k].e);
				continue;
			}
			if (s[1] == '#') {
				char *end;
				long v = s[2] == 'x' ? strtol(s + 3, &end, 16) : strtol(s + 2, &end, 10);
				if (*end == ';' && v > 0 && v < 128) {
					*o++ = (char)v;
					s = end + 1;
					continue;
				}
			}
		}
		*o++ = *s++;
	}
	*o = 0;
}

static void add_text(xnode *x, const char *s, size_t n)
{
	size_t old = x->text ? strlen(x->text) : 0;
	char *t = realloc(x->text, old + n + 1);
	if (!t)
		abort();
	memcpy(t + old, s, n);
	t[old + n] = 0;
	x->text = t;
}

static void skip_ws(xreader *r)
{
	while (r->i < r->n && isspace((unsigned char)r->s[r->i]))
		r->i++;
}

/* element -> '<' name attr* ('/>' | '>' content '</' name '>') */
static xnode *read_element(xreader *r)
{
	if (++r->depth > 64)
		return NULL;
	xnode *x = calloc(1, sizeof *x);
	if (!x)
		abort();
	r->i++;  /* '<' */
	size_t st = r->i;
	while (r->i < r->n && !isspace((unsigned char)r->s[r->i]) && r->s[r->i] != '>' && r->s[r->i] != '/')
		r->i++;
	x->name = xstrndup(r->s + st, r->i - st);
	for (;;) {
		skip_ws(r);
		if (r->i >= r->n)
			return NULL;
		if (r->s[r->i] == '/') {
			r->i += 2;
			r->depth--;
			return x;
		}
		if (r->s[r->i] == '>') {
			r->i++;
			break;
		}
		st = r->i;
		while (r->i < r->n && r->s[r->i] != '=' && !isspace((unsigned char)r->s[r->i]))
			r->i++;
		char *name = xstrndup(r->s + st, r->i - st);
		skip_ws(r);
		r->i++;  /* '=' */
		skip_ws(r);
		char q = r->s[r->i++];
		st = r->i;
		while (r->i < r->n && r->s[r->i] != q)
			r->i++;
		char *value = xstrndup(r->s + st, r->i - st);
		r->i++;
		unentity(value);
		if (x->nattrs < 12) {
			x->attrs[x->nattrs].name = name;
			x->attrs[x->nattrs++].value = value;
		} else {
			free(name);
			free(value);
		}
	}
	/* content */
	for (;;) {
		if (r->i >= r->n)
			return NULL;
		if (strncmp(r->s + r->i, "<!--", 4) == 0) {
			const char *e = strstr(r->s + r->i, "-->");
			if (!e)
				return NULL;
			r->i = (size_t)(e - r->s) + 3;
			continue;
		}
		if (strncmp(r->s + r->i, "</", 2) == 0) {
			while (r->i < r->n && r->s[r->i] != '>')
				r->i++;
			r->i++;
			break;
		}
		if (r->s[r->i] == '<') {
			xnode *k = read_element(r);
			if (!k)
				return NULL;
			if (x->nkids == x->capkids) {
				x->capkids = x->capkids ? x->capkids * 2 : 8;
				x->kids = realloc(x->kids, (size_t)x->capkids * sizeof *x->kids);
				if (!x->kids)
					abort();
			}
			x->kids[x->nkids++] = k;
			continue;
		}
		size_t ts = r->i;
		while (r->i < r->n && r->s[r->i] != '<')
			r->i++;
		add_text(x, r->s + ts, r->i - ts);
	}
	if (x->text)
		unentity(x->text);
	r->depth--;
	return x;
}

static xnode *xml_parse(const char *s, size_t n)
{
	xreader r = {s, n, 0, 0};
	for (;;) {
		while (r.i < n && r.s[r.i] != '<')
			r.i++;
		if (r.i >= n)
			return NULL;
		if (strncmp(s + r.i, "<?", 2) == 0 || strncmp(s + r.i, "<!--", 4) == 0) {
			const char *e = strstr(s + r.i, s[r.i + 1] == '?' ? "?>" : "-->");
			if (!e)
				return NULL;
			r.i = (size_t)(e - s) + 2;
			continue;
		}
		return read_element(&r);
	}
}

static void xml_free(xnode *x)
{
	if (!x)
		return;
	for (int i = 0; i < x->nattrs; i++) {
		free(x->attrs[i].name);
		free(x->attrs[i].value);
	}
	for (int i = 0; i < x->nkids; i++)
		xml_free(x->kids[i]);
	free(x->kids);
	free(x->text);
	free(x->name);
	free(x);
}

static const char *xattr_get(const xnode *x, const char *name)
{
	for (int i = 0; i < x->nattrs; i++)
		if (strcmp(x->attrs[i].name, name) == 0)
			return x->attrs[i].value;
	return NULL;
}

/* ---- inputs -------------------------------------------------------------- */

typedef struct input { char name[128]; mn_json *json; char *text; } input;
static input inputs[32];
static int ninputs;
static mn_arena *input_arena;

static const mn_json *load_input(const char *dir, const char *xmlname)
{
	if (!xmlname)
		return NULL;
	for (int i = 0; i < ninputs; i++)
		if (strcmp(inputs[i].name, xmlname) == 0)
			return inputs[i].json;
	char base[128], path[1400];
	snprintf(base, sizeof base, "%s", xmlname);
	char *dot = strrchr(base, '.');
	if (dot)
		*dot = 0;
	snprintf(path, sizeof path, "%s/%s.json", dir, base);
	char *text;
	size_t len;
	mn_error err;
	mn_json *j = NULL;
	if (mn_read_file(path, &text, &len, &err) == MN_OK) {
		if (mn_json_parse(input_arena, path, text, len, &j, &err) != MN_OK)
			j = NULL;
	} else {
		text = NULL;
	}
	if (ninputs < 32) {
		snprintf(inputs[ninputs].name, sizeof inputs[ninputs].name, "%s", xmlname);
		inputs[ninputs].json = j;
		inputs[ninputs].text = text;
		ninputs++;
	} else {
		free(text);
	}
	return j;
}

/* ---- known failures -------------------------------------------------------- */

typedef struct known { char name[128]; bool seen_fail, seen; } known;
static known knowns[256];
static int nknowns;

static void load_known(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		size_t n = strcspn(p, " \t#\r\n");
		if (nknowns < 256) {
			snprintf(knowns[nknowns].name, sizeof knowns[nknowns].name, "%.*s", (int)n, p);
			nknowns++;
		}
	}
	fclose(f);
}

static known *find_known(const char *name)
{
	for (int i = 0; i < nknowns; i++)
		if (strcmp(knowns[i].name, name) == 0)
			return &knowns[i];
	return NULL;
}

/* ---- comparison ------------------------------------------------------------ */

static void silent_trace(void *payload, const char *name, const mn_fp_result *value)
{
	(void)payload;
	(void)name;
	(void)value;
}

static void item_text(const mn_fp_item *it, mn_buf *b)
{
	mn_buf_reset(b);
	mn_fp_item_write_text(it, b);
	mn_buf_cstr(b);
}

static void strip_t(char *s)
{
	size_t n = strlen(s);
	if (n > 1 && s[0] == '@' && s[n - 1] == 'T')
		s[n - 1] = 0;
}

static bool numeric(const char *s, double *v)
{
	char *end;
	if (!*s)
		return false;
	*v = strtod(s, &end);
	return *end == 0;
}

static bool output_matches(const mn_fp_item *it, const char *type, const char *want)
{
	mn_buf b = MN_BUF_INIT;
	item_text(it, &b);
	char got[512], exp[512];
	snprintf(got, sizeof got, "%s", mn_buf_cstr(&b));
	snprintf(exp, sizeof exp, "%s", want ? want : "");
	mn_buf_free(&b);
	mn_fp_kind k = mn_fp_item_kind(it);
	double a, c;
	if (!type || !*type) {
		strip_t(got);
		strip_t(exp);
		if (numeric(got, &a) && numeric(exp, &c))
			return fabs(a - c) < 1e-9;
		return strcmp(got, exp) == 0;
	}
	if (strcmp(type, "boolean") == 0)
		return k == MN_FP_BOOLEAN && strcmp(got, exp) == 0;
	if (strcmp(type, "integer") == 0)
		return k == MN_FP_INTEGER && strcmp(got, exp) == 0;
	if (strcmp(type, "decimal") == 0)
		return (k == MN_FP_DECIMAL || k == MN_FP_INTEGER) && numeric(got, &a) && numeric(exp, &c) &&
		       fabs(a - c) < 1e-9;
	if (strcmp(type, "date") == 0 || strcmp(type, "dateTime") == 0 || strcmp(type, "time") == 0) {
		mn_fp_kind want_k = type[0] == 't' ? MN_FP_TIME : strlen(type) == 4 ? MN_FP_DATE : MN_FP_DATETIME;
		strip_t(got);
		strip_t(exp);
		return k == want_k && strcmp(got, exp) == 0;
	}
	if (strcmp(type, "Quantity") == 0)
		return k == MN_FP_QUANTITY && strcmp(got, exp) == 0;
	/* string, code, id, uri, ...: the string value */
	if (k != MN_FP_STRING || strcmp(got, exp) != 0)
		return false;
	if (strcmp(type, "string") != 0 && strcmp(mn_fp_item_type(it), type) != 0)
		return false;
	return true;
}

/* ---- running ----------------------------------------------------------------- */

static int run_test(const char *dir, const xnode *t, mn_fp_env *env, bool verbose, char *why,
                    size_t whysz)
{
	const xnode *expr = NULL;
	const xnode *outs[64];
	int nouts = 0;
	for (int i = 0; i < t->nkids; i++) {
		if (strcmp(t->kids[i]->name, "expression") == 0)
			expr = t->kids[i];
		else if (strcmp(t->kids[i]->name, "output") == 0 && nouts < 64)
			outs[nouts++] = t->kids[i];
	}
	if (!expr) {
		snprintf(why, whysz, "no expression");
		return -1;
	}
	const char *src = expr->text ? expr->text : "";
	const char *invalid = xattr_get(expr, "invalid");
	const char *inputfile = xattr_get(t, "inputfile");
	const char *pred = xattr_get(t, "predicate");
	const char *ordered = xattr_get(t, "ordered");
	const mn_json *in = load_input(dir, inputfile);
	if (inputfile && !in) {
		snprintf(why, whysz, "input %s not found", inputfile);
		return -1;
	}
	mn_error err;
	mn_status code = MN_OK;
	mn_arena *a = mn_arena_new();
	mn_fp_result *r = NULL;
	/* mode="strict" (and checkOrderedFunctions) tests use strict compilation */
	const char *mode = xattr_get(t, "mode");
	if (!mode)
		mode = xattr_get(expr, "mode");
	unsigned flags = (mode && strcmp(mode, "strict") == 0) ? MN_FP_STRICT : 0;
	mn_fp_expr *e = mn_fp_compile_ex(src, -1, flags, &err);
	if (!e)
		code = err.code;
	else
		code = mn_fp_eval(e, env, in, a, &r, &err);
	int ok = 0;
	if (verbose) {
		printf("expression: %s\n", src);
		if (code != MN_OK) {
			char msg[1200];
			mn_error_format(&err, msg, sizeof msg);
			printf("error %s: %s\n", mn_status_name(code), msg);
		} else {
			for (size_t i = 0; i < mn_fp_result_count(r); i++) {
				mn_buf b = MN_BUF_INIT;
				item_text(mn_fp_result_item(r, i), &b);
				printf("  [%zu] %s: %s\n", i, mn_fp_item_type(mn_fp_result_item(r, i)),
				       mn_buf_cstr(&b));
				mn_buf_free(&b);
			}
		}
	}
	if (invalid) {
		mn_status want = strcmp(invalid, "syntax") == 0 ? MN_ESYNTAX
		                 : strcmp(invalid, "semantic") == 0 ? MN_ESEMANTIC
		                 : strcmp(invalid, "execution") == 0 ? MN_EEVAL : MN_OK;
		if (code == MN_OK)
			snprintf(why, whysz, "expected a %s error, got a result", invalid);
		else if (want != MN_OK && code != want)
			snprintf(why, whysz, "expected a %s error, got %s: %s", invalid, mn_status_name(code),
			         err.message);
		else
			ok = 1;
		goto done;
	}
	if (code != MN_OK) {
		snprintf(why, whysz, "%s: %s", mn_status_name(code), err.message);
		goto done;
	}
	size_t n = mn_fp_result_count(r);
	const mn_fp_item *items[256];
	mn_fp_item *pred_item = NULL;
	size_t ni = 0;
	if (pred && strcmp(pred, "true") == 0) {
		int truth = n == 0 ? -1 : n == 1 && mn_fp_item_kind(mn_fp_result_item(r, 0)) == MN_FP_BOOLEAN
		                               ? (int)mn_fp_item_boolean(mn_fp_result_item(r, 0)) : 1;
		if (truth >= 0) {
			mn_fp_expr *b = mn_fp_compile(truth ? "true" : "false", -1, &err);
			mn_fp_result *br;
			if (b && mn_fp_eval(b, env, NULL, a, &br, &err) == MN_OK) {
				pred_item = (mn_fp_item *)mn_fp_result_item(br, 0);
				items[ni++] = pred_item;
			}
			mn_fp_expr_free(b);
		}
	} else {
		for (size_t i = 0; i < n && ni < 256; i++)
			items[ni++] = mn_fp_result_item(r, i);
	}
	if ((int)ni != nouts) {
		snprintf(why, whysz, "expected %d items, got %zu", nouts, ni);
		goto done;
	}
	bool unordered = ordered && strcmp(ordered, "false") == 0;
	bool used[256] = {0};
	for (int o = 0; o < nouts; o++) {
		const char *type = xattr_get(outs[o], "type");
		const char *want = outs[o]->text ? outs[o]->text : "";
		bool found = false;
		if (unordered) {
			for (size_t i = 0; i < ni && !found; i++)
				if (!used[i] && output_matches(items[i], type, want))
					used[i] = found = true;
		} else {
			found = output_matches(items[o], type, want);
		}
		if (!found) {
			mn_buf b = MN_BUF_INIT;
			if (!unordered)
				item_text(items[o], &b);
			snprintf(why, whysz, "output %d: expected %s '%s', got %s '%s'", o, type ? type : "?",
			         want, unordered ? "" : mn_fp_item_type(items[o]), mn_buf_cstr(&b));
			mn_buf_free(&b);
			goto done;
		}
	}
	ok = 1;
done:
	mn_fp_expr_free(e);
	mn_arena_free(a);
	return ok;
}

/* ---- the same test through `mednec eval` -------------------------------------- */

static const char *NOW_TEXT = "2024-06-15T10:20:30.123+00:00";

/* Run argv with stdout and stderr into files; returns the exit status. */
static int spawn_capture(char *const *av, const char *outp, const char *errp)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;
	int rc = posix_spawn(&pid, av[0], &fa, NULL, av, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static char *slurp(const char *path)
{
	char *t;
	size_t n;
	mn_error err;
	return mn_read_file(path, &t, &n, &err) == MN_OK ? t : NULL;
}

/* Text of one JSON output value as the library's write_text would give it. */
static bool json_value_matches(const mn_json *v, const char *type, const char *want)
{
	char got[512];
	switch (v->type) {
	case MN_JSON_TRUE: snprintf(got, sizeof got, "true"); break;
	case MN_JSON_FALSE: snprintf(got, sizeof got, "false"); break;
	case MN_JSON_NUMBER:
	case MN_JSON_STRING: snprintf(got, sizeof got, "%.*s", (int)v->n, v->u.s); break;
	default: return false;
	}
	char exp[512];
	snprintf(exp, sizeof exp, "%s", want ? want : "");
	double a, c;
	strip_t(got);
	strip_t(exp);
	if (type && strcmp(type, "boolean") == 0)
		return v->type != MN_JSON_STRING && v->type != MN_JSON_NUMBER && strcmp(got, exp) == 0;
	if (type && (strcmp(type, "integer") == 0 || strcmp(type, "decimal") == 0))
		return v->type == MN_JSON_NUMBER && numeric(got, &a) && numeric(exp, &c) && fabs(a - c) < 1e-9;
	if (type && *type && strcmp(type, "Quantity") != 0 && strcmp(type, "date") != 0 &&
	    strcmp(type, "dateTime") != 0 && strcmp(type, "time") != 0 && v->type != MN_JSON_STRING)
		return false;
	if (numeric(got, &a) && numeric(exp, &c))
		return fabs(a - c) < 1e-9;
	return strcmp(got, exp) == 0;
}

static int run_cli_test(const char *mednec, const char *dir, const xnode *t, const char *tmpdir,
                        bool verbose, char *why, size_t whysz)
{
	const xnode *expr = NULL;
	const xnode *outs[64];
	int nouts = 0;
	for (int i = 0; i < t->nkids; i++) {
		if (strcmp(t->kids[i]->name, "expression") == 0)
			expr = t->kids[i];
		else if (strcmp(t->kids[i]->name, "output") == 0 && nouts < 64)
			outs[nouts++] = t->kids[i];
	}
	if (!expr) {
		snprintf(why, whysz, "no expression");
		return 0;
	}
	const char *invalid = xattr_get(expr, "invalid");
	const char *inputfile = xattr_get(t, "inputfile");
	const char *pred = xattr_get(t, "predicate");
	const char *ordered = xattr_get(t, "ordered");
	char inpath[1400] = "", outp[1100], errp[1100];
	if (inputfile) {
		char base[128];
		snprintf(base, sizeof base, "%s", inputfile);
		char *dot = strrchr(base, '.');
		if (dot)
			*dot = 0;
		snprintf(inpath, sizeof inpath, "%s/%s.json", dir, base);
	}
	snprintf(outp, sizeof outp, "%s/out", tmpdir);
	snprintf(errp, sizeof errp, "%s/err", tmpdir);
	char *av[12];
	int ac = 0;
	av[ac++] = (char *)mednec;
	av[ac++] = "eval";
	av[ac++] = "--as-of";
	av[ac++] = (char *)NOW_TEXT;
	const char *mode = xattr_get(t, "mode");
	if (!mode)
		mode = xattr_get(expr, "mode");
	if (mode && strcmp(mode, "strict") == 0)
		av[ac++] = "--strict";
	av[ac++] = "-e";
	av[ac++] = expr->text ? expr->text : "";
	if (inputfile)
		av[ac++] = inpath;
	av[ac] = NULL;
	int status = spawn_capture(av, outp, errp);
	char *out = slurp(outp), *errtext = slurp(errp);
	int ok = 0;
	mn_arena *a = mn_arena_new();
	if (verbose)
		printf("cli: exit %d\nstdout: %sstderr: %s\n", status, out ? out : "", errtext ? errtext : "");
	if (status < 0) {
		snprintf(why, whysz, "cannot run %.200s", mednec);
		goto done;
	}
	if (invalid) {
		const char *kind = strcmp(invalid, "syntax") == 0 ? "[fhirpath-syntax]"
		                   : strcmp(invalid, "semantic") == 0 ? "[fhirpath-semantic]"
		                   : strcmp(invalid, "execution") == 0 ? "[fhirpath-execution]" : "[";
		if (status == 0)
			snprintf(why, whysz, "expected a %s error, got exit 0", invalid);
		else if (!errtext || !strstr(errtext, kind))
			snprintf(why, whysz, "expected a %s error, got exit %d: %.300s", invalid, status,
			         errtext ? errtext : "");
		else
			ok = 1;
		goto done;
	}
	if (status != 0) {
		snprintf(why, whysz, "exit %d: %.300s", status, errtext ? errtext : "");
		goto done;
	}
	mn_json *j = NULL;
	mn_error err;
	if (!out || mn_json_parse(a, "stdout", out, strlen(out), &j, &err) != MN_OK ||
	    j->type != MN_JSON_ARRAY) {
		snprintf(why, whysz, "output is not one JSON array: %.200s", out ? out : "");
		goto done;
	}
	const mn_json *items[256];
	uint32_t ni = 0;
	mn_json truth;
	if (pred && strcmp(pred, "true") == 0) {
		if (j->n) {
			memset(&truth, 0, sizeof truth);
			truth.type = j->n == 1 && j->u.items[0].type == MN_JSON_FALSE ? MN_JSON_FALSE : MN_JSON_TRUE;
			items[ni++] = &truth;
		}
	} else {
		for (uint32_t i = 0; i < j->n && ni < 256; i++)
			items[ni++] = &j->u.items[i];
	}
	if ((int)ni != nouts) {
		snprintf(why, whysz, "expected %d items, got %u", nouts, ni);
		goto done;
	}
	bool unordered = ordered && strcmp(ordered, "false") == 0;
	bool used[256] = {0};
	for (int o = 0; o < nouts; o++) {
		const char *type = xattr_get(outs[o], "type");
		const char *want = outs[o]->text ? outs[o]->text : "";
		bool found = false;
		if (unordered) {
			for (uint32_t i = 0; i < ni && !found; i++)
				if (!used[i] && json_value_matches(items[i], type, want))
					used[i] = found = true;
		} else {
			found = json_value_matches(items[o], type, want);
		}
		if (!found) {
			snprintf(why, whysz, "output %d: expected %s '%s' in %.200s", o, type ? type : "?", want,
			         out);
			goto done;
		}
	}
	ok = 1;
done:
	mn_arena_free(a);
	free(out);
	free(errtext);
	return ok;
}

static const char *find_mednec(const char *argv0, char *buf, size_t sz)
{
	const char *env = getenv("MN_MEDNEC");
	if (env && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	const char *slash = strrchr(argv0, '/');
	if (!slash)
		return NULL;
	snprintf(buf, sz, "%.*s/../mednec", (int)(slash - argv0), argv0);
	return access(buf, X_OK) == 0 ? buf : NULL;
}

int main(int argc, char **argv)
{
	char dir[1024], path[1100];
	snprintf(dir, sizeof dir, "%s/fhirpath-r4", mn_test_data_dir());
	snprintf(path, sizeof path, "%s/tests-fhir-r4.xml", dir);
	char *text;
	size_t len;
	mn_error err;
	if (mn_read_file(path, &text, &len, &err) != MN_OK)
		TEST_SKIP("FHIRPath suite not found (MN_DATA_DIR)");
	xnode *root = xml_parse(text, len);
	CHECK(root != NULL);
	if (!root) {
		free(text);
		TEST_END();
	}
	char kpath[1200];
	snprintf(kpath, sizeof kpath, "%s/tests/fhirpath/known-failures.txt", mn_test_source_dir());
	load_known(kpath);
	input_arena = mn_arena_new();
	mn_fp_env *env = mn_fp_env_new();
	mn_datetime now;
	CHECK(mn_datetime_parse("2024-06-15T10:20:30.123+00:00", 29, MN_DT_DATETIME, &now, &err) == MN_OK);
	mn_fp_env_set_now(env, &now);
	mn_fp_env_set_trace(env, silent_trace, NULL);

	char binbuf[1200], tmpdir[] = "/tmp/mn_fp_suite_XXXXXX";
	const char *mednec = find_mednec(argv[0], binbuf, sizeof binbuf);
	if (mednec && !mkdtemp(tmpdir))
		mednec = NULL;
	int passed = 0, failed = 0, regressions = 0, total = 0;
	int cli_passed = 0, cli_failed = 0, cli_regressions = 0;
	for (int g = 0; g < root->nkids; g++) {
		const xnode *group = root->kids[g];
		for (int k = 0; k < group->nkids; k++) {
			const xnode *t = group->kids[k];
			if (strcmp(t->name, "test") != 0)
				continue;
			const char *name = xattr_get(t, "name");
			if (!name)
				name = "(unnamed)";
			bool selected = argc < 2;
			for (int i = 1; i < argc; i++)
				if (strcmp(argv[i], name) == 0)
					selected = true;
			if (!selected)
				continue;
			total++;
			char why[1024] = "";
			int ok = run_test(dir, t, env, argc > 1, why, sizeof why);
			known *kn = find_known(name);
			if (kn)
				kn->seen = true;
			if (ok == 1) {
				passed++;
			} else {
				failed++;
				if (kn) {
					kn->seen_fail = true;
				} else {
					regressions++;
					fprintf(stderr, "FAIL %s/%s: %s\n", xattr_get(group, "name"), name, why);
				}
				if (argc > 1)
					printf("FAIL %s: %s\n", name, why);
			}
			if (!mednec)
				continue;
			why[0] = 0;
			if (run_cli_test(mednec, dir, t, tmpdir, argc > 1, why, sizeof why)) {
				cli_passed++;
			} else {
				cli_failed++;
				if (kn)
					kn->seen_fail = true;
				if (!kn) {
					cli_regressions++;
					fprintf(stderr, "FAIL (cli) %s/%s: %s\n", xattr_get(group, "name"), name, why);
				}
				if (argc > 1)
					printf("FAIL (cli) %s: %s\n", name, why);
			}
		}
	}
	if (mednec) {
		char p1[1200], p2[1200];
		snprintf(p1, sizeof p1, "%s/out", tmpdir);
		snprintf(p2, sizeof p2, "%s/err", tmpdir);
		unlink(p1);
		unlink(p2);
		rmdir(tmpdir);
	}
	printf("FHIRPath R4 suite (library): %d passed, %d failed (of %d)\n", passed, failed, total);
	if (mednec)
		printf("FHIRPath R4 suite (mednec eval): %d passed, %d failed (of %d)\n", cli_passed,
		       cli_failed, total);
	else
		printf("FHIRPath R4 suite (mednec eval): skipped, program not found (set MN_MEDNEC)\n");
	if (argc < 2) {
		for (int i = 0; i < nknowns; i++)
			if (knowns[i].seen && !knowns[i].seen_fail)
				printf("known failure now passes: %s (remove it from known-failures.txt)\n",
				       knowns[i].name);
	}
	CHECK_MSG(regressions == 0, "%d tests failed that are not in known-failures.txt", regressions);
	CHECK_MSG(cli_regressions == 0, "%d tests failed through mednec eval that are not in "
	          "known-failures.txt", cli_regressions);
	mn_fp_env_free(env);
	mn_arena_free(input_arena);
	for (int i = 0; i < ninputs; i++)
		free(inputs[i].text);
	xml_free(root);
	free(text);
	TEST_END();
}
