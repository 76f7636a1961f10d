/*
 * functions.c: the FHIRPath function table and the function bodies.
 *
 * One table (FUNCS, sorted by name, searched at compile time) maps a name to
 * its argument counts, flags and implementation. Every implementation gets
 * the call node (for lazy arguments and error positions), the input
 * collection and the calling scope. Arguments of lambda functions (where,
 * select, all, exists, repeat, aggregate, sort, iif, trace) are evaluated per
 * input item with $this/$index (and $total) bound; other arguments are
 * evaluated once in the calling scope, so that $this there is the caller's.
 *
 * Covers FHIRPath 2.0.0 sections 5 (existence, filtering, subsetting,
 * combining, conversion, string, math, tree, utility), aggregate, sort, the
 * 2.1 string extras (trim, split, join, encode/decode, escape/unescape,
 * matchesFull), lowBoundary/highBoundary/precision/comparable, and the FHIR
 * R4 additions (extension, hasValue, getValue, resolve, memberOf, htmlChecks,
 * conformsTo), and one mednec extension, coveredDays().
 */
#include "fhirpath/fhirpath_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

mn_status fp_parse_datetime(const char *s, size_t n, int want, mn_datetime *out);

#define FN(name) \
	static int fn_##name(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, \
	                     fp_coll *out)

/* ---- helpers -------------------------------------------------------------- */

static int push(fp_ctx *x, fp_coll *out, mn_fp_item it)
{
	return fp_push(x, out, &it);
}

static int push_bool(fp_ctx *x, fp_coll *out, bool b)
{
	return fp_push_bool(x, out, b);
}

static int push_str(fp_ctx *x, fp_coll *out, const char *str, size_t n)
{
	if (n > MN_FP_MAX_STRING)
		return fp_fail(x, MN_ELIMIT, NULL, "string longer than %u bytes", MN_FP_MAX_STRING);
	return push(x, out, fp_make_str(str, n));
}

static int arg(fp_ctx *x, const fp_node *c, int i, const fp_scope *s, fp_coll *out)
{
	memset(out, 0, sizeof *out);
	return fp_eval(x, c->args[i], s, out);
}

/* Evaluate argument i for one item of the input. */
static int lambda(fp_ctx *x, const fp_node *c, int i, const fp_coll *in, uint32_t k,
                  const fp_scope *outer, const fp_coll *total, fp_coll *out)
{
	fp_scope s;
	s.self.v = &in->v[k];
	s.self.n = s.self.cap = 1;
	s.index = k;
	s.total = total ? total : outer->total;
	memset(out, 0, sizeof *out);
	return fp_eval(x, c->args[i], &s, out);
}

/* The single input item (NULL when empty). */
static int single_in(fp_ctx *x, const fp_node *c, const fp_coll *in, const mn_fp_item **it)
{
	if (in->n > 1)
		return fp_fail(x, MN_EEVAL, c, "%s() needs a single input item, got %u", c->name, in->n);
	*it = in->n == 1 && !(in->v[0].flags & FPI_NOVALUE) ? &in->v[0] : NULL;
	return 0;
}

/* The input as one string; *str NULL when empty. */
static int str_in(fp_ctx *x, const fp_node *c, const fp_coll *in, const char **str, size_t *n)
{
	const mn_fp_item *it = NULL;
	*str = NULL;
	*n = 0;
	if (single_in(x, c, in, &it))
		return -1;
	if (!it)
		return 0;
	if (it->kind == MN_FP_NODE)
		return fp_fail(x, MN_ESEMANTIC, c, "%s() needs a string, not %s", c->name,
		               mn_fp_item_type(it));
	if (it->kind != MN_FP_STRING)
		return fp_fail(x, MN_EEVAL, c, "%s() needs a string, not %s", c->name, mn_fp_item_type(it));
	*str = it->v.str.s;
	*n = it->v.str.n;
	return 0;
}

/* Argument i as a string; returns 1 when it is empty. */
static int str_arg(fp_ctx *x, const fp_node *c, int i, const fp_scope *s, const char **str,
                   size_t *n)
{
	fp_coll a;
	const mn_fp_item *it = NULL;
	if (arg(x, c, i, s, &a) || fp_singleton(x, c, &a, &it))
		return -1;
	if (!it)
		return 1;
	if (it->kind != MN_FP_STRING)
		return fp_fail(x, MN_EEVAL, c, "argument %d of %s() must be a string", i + 1, c->name);
	*str = it->v.str.s;
	*n = it->v.str.n;
	return 0;
}

/* Argument i as an integer; returns 1 when empty. */
static int int_arg(fp_ctx *x, const fp_node *c, int i, const fp_scope *s, int64_t *v)
{
	fp_coll a;
	const mn_fp_item *it = NULL;
	if (arg(x, c, i, s, &a) || fp_singleton(x, c, &a, &it))
		return -1;
	if (!it)
		return 1;
	if (it->kind != MN_FP_INTEGER)
		return fp_fail(x, MN_EEVAL, c, "argument %d of %s() must be an integer", i + 1, c->name);
	*v = it->v.i;
	return 0;
}

static char *arena_buf(fp_ctx *x, size_t n)
{
	if (n > MN_FP_MAX_STRING) {
		fp_fail(x, MN_ELIMIT, NULL, "string longer than %u bytes", MN_FP_MAX_STRING);
		return NULL;
	}
	if (fp_check_memory(x, NULL))
		return NULL;
	char *p = mn_arena_alloc(x->a, n + 1);
	if (!p)
		fp_fail(x, MN_ENOMEM, NULL, "out of memory");
	return p;
}

static size_t utf8_len(const char *str, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)str[i] & 0xC0) != 0x80)
			k++;
	return k;
}

/* Byte offset of character index ci (n when past the end). */
static size_t utf8_offset(const char *str, size_t n, size_t ci)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (((unsigned char)str[i] & 0xC0) != 0x80) {
			if (k == ci)
				return i;
			k++;
		}
	}
	return n;
}

static mn_fp_item dec_result(double d)
{
	int sc = 8;
	for (int k = 0; k < 8; k++)
		if (fabs(fp_round_scale(d, k) - fp_round_scale(d, 8)) < 1e-12) {
			sc = k;
			break;
		}
	return fp_make_dec(fp_round_scale(d, 8), sc);
}

/* A computed Decimal (exp, ln, log, sqrt, power) at full double precision:
 * the shortest digits that read back as the same double, as fhirpath.js
 * prints a JavaScript number (2.sqrt() is 1.4142135623730951); the scale is
 * the number of digits after the point in that form (0 for a whole number). */
static mn_fp_item dec_full(double d)
{
	char b[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(b, sizeof b, "%.*e", p - 1, d);
		if (strtod(b, NULL) == d)
			break;
	}
	/* b is d.ddde[+-]xx: digits after the point less the exponent */
	const char *e = strchr(b, 'e'), *dot = strchr(b, '.');
	int frac = dot && e ? (int)(e - dot - 1) : 0;
	int sc = e ? frac - atoi(e + 1) : 0;
	if (sc < 0)
		sc = 0;
	return fp_make_dec(d, sc > 17 ? 17 : sc);
}

/* ---- existence -------------------------------------------------------------- */

FN(empty) { return push_bool(x, out, in->n == 0); }

static int filter(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out)
{
	for (uint32_t k = 0; k < in->n; k++) {
		if (c->eqs) {
			/* name = 'string' criteria over a typed object: read its members */
			int f = fp_where_fast(x, c, &in->v[k]);
			if (f == 1 && fp_push(x, out, &in->v[k]))
				return -1;
			if (f >= 0)
				continue;
		} else if (c->args[0]->eqfast == 3) {
			/* ('Observation/' & id) in %list: in_fast without the evaluator's steps to it */
			int f = fp_where_in(x, c, &in->v[k], k, s);
			if (f == -2 || (f == 1 && fp_push(x, out, &in->v[k])))
				return -1;
			if (f >= 0)
				continue;
		}
		fp_coll r;
		if (lambda(x, c, 0, in, k, s, NULL, &r))
			return -1;
		int t = fp_truth(x, c->args[0], &r);
		if (t < -1)
			return -1;
		if (t == 1 && fp_push(x, out, &in->v[k]))
			return -1;
	}
	return 0;
}

FN(exists)
{
	if (c->nargs == 0)
		return push_bool(x, out, in->n > 0);
	fp_coll r = {0};
	if (filter(x, c, in, s, &r))
		return -1;
	return push_bool(x, out, r.n > 0);
}

FN(all)
{
	for (uint32_t k = 0; k < in->n; k++) {
		fp_coll r;
		if (lambda(x, c, 0, in, k, s, NULL, &r))
			return -1;
		int t = fp_truth(x, c->args[0], &r);
		if (t < -1)
			return -1;
		if (t != 1)
			return push_bool(x, out, false);
	}
	return push_bool(x, out, true);
}

static int bools(fp_ctx *x, const fp_node *c, const fp_coll *in, bool want, bool all, fp_coll *out)
{
	for (uint32_t k = 0; k < in->n; k++) {
		if (in->v[k].kind != MN_FP_BOOLEAN || (in->v[k].flags & FPI_NOVALUE))
			return fp_fail(x, MN_EEVAL, c, "%s() needs booleans, not %s", c->name,
			               mn_fp_item_type(&in->v[k]));
	}
	for (uint32_t k = 0; k < in->n; k++) {
		bool is = in->v[k].v.b == want;
		if (all && !is)
			return push_bool(x, out, false);
		if (!all && is)
			return push_bool(x, out, true);
	}
	return push_bool(x, out, all);
}

FN(allTrue) { (void)s; return bools(x, c, in, true, true, out); }
FN(anyTrue) { (void)s; return bools(x, c, in, true, false, out); }
FN(allFalse) { (void)s; return bools(x, c, in, false, true, out); }
FN(anyFalse) { (void)s; return bools(x, c, in, false, false, out); }

static int subset(fp_ctx *x, const fp_coll *a, const fp_coll *b, fp_coll *out)
{
	fp_set s;
	if (fp_set_init(x, &s, b))
		return -1;
	for (uint32_t i = 0; i < a->n; i++)
		if (!fp_set_find(x, &s, &a->v[i]))
			return push_bool(x, out, false);
	return push_bool(x, out, true);
}

FN(subsetOf)
{
	fp_coll o;
	if (arg(x, c, 0, s, &o))
		return -1;
	return subset(x, in, &o, out);
}

FN(supersetOf)
{
	fp_coll o;
	if (arg(x, c, 0, s, &o))
		return -1;
	return subset(x, &o, in, out);
}

FN(count) { (void)c; (void)s; return push(x, out, fp_make_int(in->n)); }

static int distinct(fp_ctx *x, const fp_coll *in, fp_coll *out)
{
	return fp_union(x, in, NULL, out);
}

FN(distinct) { (void)c; (void)s; return distinct(x, in, out); }

FN(isDistinct)
{
	fp_coll d = {0};
	(void)c;
	(void)s;
	if (distinct(x, in, &d))
		return -1;
	return push_bool(x, out, d.n == in->n);
}

/* ---- filtering and projection -------------------------------------------- */

FN(where) { return filter(x, c, in, s, out); }

FN(select)
{
	for (uint32_t k = 0; k < in->n; k++) {
		fp_coll r;
		if (lambda(x, c, 0, in, k, s, NULL, &r) || fp_append(x, out, &r))
			return -1;
	}
	return 0;
}

FN(repeat)
{
	/* breadth first; out holds every item found so far and is the work list */
	fp_set seen;
	if (fp_set_init(x, &seen, out))
		return -1;
	uint32_t done = out->n;
	for (uint32_t k = 0; k < in->n; k++) {
		fp_coll r;
		if (lambda(x, c, 0, in, k, s, NULL, &r))
			return -1;
		for (uint32_t i = 0; i < r.n; i++)
			if (fp_set_push_unique(x, &seen, out, &r.v[i]))
				return -1;
	}
	while (done < out->n) {
		mn_fp_item cur = out->v[done++];  /* a copy: out may move while items are added */
		fp_coll one = {&cur, 1, 1};
		fp_coll r;
		if (lambda(x, c, 0, &one, 0, s, NULL, &r))
			return -1;
		for (uint32_t i = 0; i < r.n; i++)
			if (fp_set_push_unique(x, &seen, out, &r.v[i]))
				return -1;
	}
	return 0;
}

/* repeatAll(projection) (FHIRPath 3.0.0 STU): repeat() without removing
 * duplicates; a projection that never runs dry ('abc'.repeatAll('x')) ends
 * at the evaluation's work or item limit with an error. */
FN(repeatAll)
{
	for (uint32_t k = 0; k < in->n; k++) {
		fp_coll r;
		if (lambda(x, c, 0, in, k, s, NULL, &r) || fp_append(x, out, &r))
			return -1;
	}
	uint32_t done = 0;
	while (done < out->n) {
		mn_fp_item cur = out->v[done++];  /* a copy: out may move while items are added */
		fp_coll one = {&cur, 1, 1};
		fp_coll r;
		if (lambda(x, c, 0, &one, 0, s, NULL, &r) || fp_append(x, out, &r))
			return -1;
	}
	return 0;
}

FN(ofType)
{
	(void)s;
	if (fp_resolve_type(x, c, c->type))
		return -1;
	for (uint32_t k = 0; k < in->n; k++)
		if (fp_type_matches(&in->v[k], c->type, true) && fp_push(x, out, &in->v[k]))
			return -1;
	return 0;
}

FN(is)
{
	const mn_fp_item *it = NULL;
	(void)s;
	if (single_in(x, c, in, &it) || fp_resolve_type(x, c, c->type))
		return -1;
	if (in->n == 0)
		return 0;
	return push_bool(x, out, fp_type_matches(&in->v[0], c->type, false));
}

FN(as)
{
	const mn_fp_item *it = NULL;
	(void)s;
	if (single_in(x, c, in, &it) || fp_resolve_type(x, c, c->type))
		return -1;
	if (in->n == 1 && fp_type_matches(&in->v[0], c->type, true))
		return fp_push(x, out, &in->v[0]);
	return 0;
}

/* ---- subsetting ---------------------------------------------------------- */

/* out = in[from, to) without copying (shared storage: cap == n, so a later
 * push copies). */
static int slice(fp_ctx *x, const fp_coll *in, uint32_t from, uint32_t to, fp_coll *out)
{
	if (to > in->n)
		to = in->n;
	if (from >= to)
		return 0;
	fp_coll part = {in->v + from, to - from, to - from};
	return fp_append(x, out, &part);
}

FN(single)
{
	(void)s;
	if (in->n > 1)
		return fp_fail(x, MN_EEVAL, c, "single() on %u items", in->n);
	return fp_append(x, out, in);
}

FN(first) { (void)c; (void)s; return slice(x, in, 0, 1, out); }
FN(last) { (void)c; (void)s; return in->n ? slice(x, in, in->n - 1, in->n, out) : 0; }
FN(tail) { (void)c; (void)s; return slice(x, in, 1, in->n, out); }

FN(skip)
{
	int64_t n = 0;
	int r = int_arg(x, c, 0, s, &n);
	if (r)
		return r < 0 ? -1 : 0;
	return slice(x, in, n < 0 ? 0 : n > in->n ? in->n : (uint32_t)n, in->n, out);
}

FN(take)
{
	int64_t n = 0;
	int r = int_arg(x, c, 0, s, &n);
	if (r)
		return r < 0 ? -1 : 0;
	return slice(x, in, 0, n <= 0 ? 0 : n > in->n ? in->n : (uint32_t)n, out);
}

FN(intersect)
{
	fp_coll o;
	fp_set so, su;
	if (arg(x, c, 0, s, &o) || fp_set_init(x, &so, &o) || fp_set_init(x, &su, out))
		return -1;
	for (uint32_t k = 0; k < in->n; k++)
		if (fp_set_find(x, &so, &in->v[k]) && fp_set_push_unique(x, &su, out, &in->v[k]))
			return -1;
	return 0;
}

FN(exclude)
{
	fp_coll o;
	fp_set so;
	if (arg(x, c, 0, s, &o) || fp_set_init(x, &so, &o))
		return -1;
	for (uint32_t k = 0; k < in->n; k++)
		if (!fp_set_find(x, &so, &in->v[k]) && fp_push(x, out, &in->v[k]))
			return -1;
	return 0;
}

FN(union)
{
	fp_coll o;
	if (arg(x, c, 0, s, &o))
		return -1;
	return fp_union(x, in, &o, out);
}

FN(combine)
{
	fp_coll o;
	if (arg(x, c, 0, s, &o) || fp_append(x, out, in))
		return -1;
	return fp_append(x, out, &o);
}

/* ---- conversion ---------------------------------------------------------- */

FN(iif)
{
	if (in->n > 1)
		return fp_fail(x, MN_EEVAL, c, "iif() on %u items", in->n);
	fp_scope sc = *s;
	if (c->left)
		sc.self = *in;
	fp_coll cond;
	if (arg(x, c, 0, &sc, &cond))
		return -1;
	if (cond.n > 1 || (cond.n == 1 && cond.v[0].kind != MN_FP_BOOLEAN))
		return fp_fail(x, MN_ESEMANTIC, c->args[0], "the iif() criterion must be a single boolean");
	bool t = cond.n == 1 && cond.v[0].v.b;
	fp_coll r;
	if (t)
		return arg(x, c, 1, &sc, &r) || fp_append(x, out, &r) ? -1 : 0;
	if (c->nargs > 2)
		return arg(x, c, 2, &sc, &r) || fp_append(x, out, &r) ? -1 : 0;
	return 0;
}

/* coalesce(value, ...) (FHIRPath 3.0.0 STU): the first argument that is not
 * empty; the later ones are not evaluated. As for iif(), the arguments of a
 * call on an input (Patient.coalesce(name.where(...), ...)) see the input as
 * $this. */
FN(coalesce)
{
	fp_scope sc = *s;
	if (c->left)
		sc.self = *in;
	for (int i = 0; i < c->nargs; i++) {
		fp_coll r;
		if (arg(x, c, i, &sc, &r))
			return -1;
		if (r.n)
			return fp_append(x, out, &r);
	}
	return 0;
}

static int to_bool(const mn_fp_item *it)
{
	switch (it->kind) {
	case MN_FP_BOOLEAN: return it->v.b;
	case MN_FP_INTEGER: return it->v.i == 1 ? 1 : it->v.i == 0 ? 0 : -1;
	case MN_FP_DECIMAL: return it->v.d == 1.0 ? 1 : it->v.d == 0.0 ? 0 : -1;
	case MN_FP_STRING: {
		static const char *const T[] = {"true", "t", "yes", "y", "1", "1.0"};
		static const char *const F[] = {"false", "f", "no", "n", "0", "0.0"};
		for (int i = 0; i < 6; i++) {
			if (strlen(T[i]) == it->v.str.n && strncasecmp(T[i], it->v.str.s, it->v.str.n) == 0)
				return 1;
			if (strlen(F[i]) == it->v.str.n && strncasecmp(F[i], it->v.str.s, it->v.str.n) == 0)
				return 0;
		}
		return -1;
	}
	default: return -1;
	}
}

static bool to_int(const mn_fp_item *it, int64_t *v)
{
	switch (it->kind) {
	case MN_FP_INTEGER: *v = it->v.i; return true;
	case MN_FP_BOOLEAN: *v = it->v.b; return true;
	case MN_FP_STRING: {
		double d;
		int sc;
		bool is_int;
		if (!fp_parse_decimal(it->v.str.s, it->v.str.n, &d, &sc, &is_int, v) || !is_int)
			return false;
		return true;
	}
	default: return false;
	}
}

static bool to_dec(const mn_fp_item *it, double *d, int *sc)
{
	switch (it->kind) {
	case MN_FP_INTEGER: *d = (double)it->v.i; *sc = 0; return true;
	case MN_FP_DECIMAL: *d = it->v.d; *sc = it->scale; return true;
	case MN_FP_BOOLEAN: *d = it->v.b; *sc = 1; return true;
	case MN_FP_STRING: {
		bool is_int;
		return fp_parse_decimal(it->v.str.s, it->v.str.n, d, sc, &is_int, NULL);
	}
	default: return false;
	}
}

static bool to_quantity(fp_ctx *x, const mn_fp_item *it, mn_fp_item *q)
{
	switch (it->kind) {
	case MN_FP_INTEGER: *q = fp_make_quantity((double)it->v.i, 0, "1", false); return true;
	case MN_FP_DECIMAL: *q = fp_make_quantity(it->v.d, it->scale, "1", false); return true;
	case MN_FP_BOOLEAN: *q = fp_make_quantity(it->v.b, 1, "1", false); return true;
	case MN_FP_STRING: return fp_parse_quantity_text(x->a, it->v.str.s, it->v.str.n, q);
	default: return fp_as_quantity(it, q);
	}
}

static bool to_dt(const mn_fp_item *it, mn_fp_kind want, mn_datetime *dt)
{
	if (it->kind == MN_FP_STRING) {
		int w = want == MN_FP_DATE ? MN_DT_DATE : want == MN_FP_TIME ? MN_DT_TIME : MN_DT_DATETIME;
		const char *str = it->v.str.s;
		size_t n = it->v.str.n;
		if (want == MN_FP_TIME && n && str[0] == 'T')
			str++, n--;
		if (fp_parse_datetime(str, n, w, dt) == MN_OK)
			return true;
		if (want == MN_FP_DATE && fp_parse_datetime(str, n, MN_DT_DATETIME, dt) == MN_OK) {
			if (dt->precision > MN_DT_DAY)
				dt->precision = MN_DT_DAY;
			dt->kind = MN_DT_DATE;
			dt->has_tz = false;
			return true;
		}
		return false;
	}
	if (want == MN_FP_TIME)
		return it->kind == MN_FP_TIME && (*dt = it->v.dt, true);
	if (it->kind != MN_FP_DATE && it->kind != MN_FP_DATETIME)
		return false;
	*dt = it->v.dt;
	if (want == MN_FP_DATE) {
		if (dt->precision > MN_DT_DAY)
			dt->precision = MN_DT_DAY;
		dt->kind = MN_DT_DATE;
		dt->has_tz = false;
	} else {
		dt->kind = MN_DT_DATETIME;
	}
	return true;
}

/* One conversion for toX (conv = false) and convertsToX (conv = true). */
static int convert(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out,
                   mn_fp_kind to, bool conv)
{
	const mn_fp_item *it = NULL;
	if (single_in(x, c, in, &it))
		return -1;
	if (!it)
		return 0;
	mn_fp_item r;
	bool ok = false;
	switch (to) {
	case MN_FP_BOOLEAN: {
		int b = to_bool(it);
		ok = b >= 0;
		r = fp_make_bool(b == 1);
		break;
	}
	case MN_FP_INTEGER: {
		int64_t v = 0;
		ok = to_int(it, &v);
		r = fp_make_int(v);
		break;
	}
	case MN_FP_DECIMAL: {
		double d = 0;
		int sc = 0;
		ok = to_dec(it, &d, &sc);
		r = fp_make_dec(d, sc);
		break;
	}
	case MN_FP_QUANTITY:
		ok = to_quantity(x, it, &r);
		if (ok && c->nargs) {
			/* toQuantity(unit): converted where UCUM (or the calendar
			 * factors) allow, else empty */
			const char *u;
			size_t n;
			int st = str_arg(x, c, 0, s, &u, &n);
			if (st < 0)
				return -1;
			if (st == 0 && !(r.unit && strlen(r.unit) == n && memcmp(r.unit, u, n) == 0 &&
			                 ((r.flags & FPI_CALENDAR) != 0) == (fp_calendar_unit(u, n) != 0))) {
				const char *tu = mn_arena_strndup(x->a, u, n);
				if (!tu)
					return fp_fail(x, MN_ENOMEM, c, "out of memory");
				mn_fp_item target = fp_make_quantity(1, 0, tu, fp_calendar_unit(u, n) != 0);
				mn_fp_item cq;
				ok = fp_quantity_convert(&r, &target, &cq);
				if (ok)
					r = cq;
			}
		}
		break;
	case MN_FP_STRING: {
		size_t n;
		const char *str = it->kind == MN_FP_NODE ? NULL : fp_to_string(x->a, it, &n);
		ok = str != NULL;
		if (ok)
			r = fp_make_str(str, n);
		break;
	}
	default:
		fp_item_init(&r, to);
		ok = to_dt(it, to, &r.v.dt);
		break;
	}
	/* a conversion that failed for want of memory is an error, never "does not convert" */
	if (!ok && mn_arena_failed(x->a))
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	if (conv)
		return push_bool(x, out, ok);
	return ok ? fp_push(x, out, &r) : 0;
}

/* toLong() and convertsToLong(): Integer, Long, Boolean, or a String of
 * digits within 64 bits. */
static int convert_long(fp_ctx *x, const fp_node *c, const fp_coll *in, fp_coll *out, bool conv)
{
	const mn_fp_item *it = NULL;
	if (single_in(x, c, in, &it))
		return -1;
	if (!it)
		return 0;
	int64_t v = 0;
	bool ok = to_int(it, &v);
	if (conv)
		return push_bool(x, out, ok);
	return ok ? push(x, out, fp_make_long(v)) : 0;
}

FN(toLong)
{
	(void)s;
	return convert_long(x, c, in, out, false);
}

FN(convertsToLong)
{
	(void)s;
	return convert_long(x, c, in, out, true);
}

#define CONV(fname, kind, conv) \
	FN(fname) { return convert(x, c, in, s, out, kind, conv); }
CONV(toBoolean, MN_FP_BOOLEAN, false)
CONV(convertsToBoolean, MN_FP_BOOLEAN, true)
CONV(toInteger, MN_FP_INTEGER, false)
CONV(convertsToInteger, MN_FP_INTEGER, true)
CONV(toDecimal, MN_FP_DECIMAL, false)
CONV(convertsToDecimal, MN_FP_DECIMAL, true)
CONV(toQuantity, MN_FP_QUANTITY, false)
CONV(convertsToQuantity, MN_FP_QUANTITY, true)
CONV(toString, MN_FP_STRING, false)
CONV(convertsToString, MN_FP_STRING, true)
CONV(toDate, MN_FP_DATE, false)
CONV(convertsToDate, MN_FP_DATE, true)
CONV(toDateTime, MN_FP_DATETIME, false)
CONV(convertsToDateTime, MN_FP_DATETIME, true)
CONV(toTime, MN_FP_TIME, false)
CONV(convertsToTime, MN_FP_TIME, true)

/* ---- strings ------------------------------------------------------------- */

/* indexOf() and lastIndexOf() (FHIRPath 3.0.0 STU): positions in
 * characters; '' is found at 0 (indexOf) or at the end (lastIndexOf). */
static int index_of(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out,
                    bool last)
{
	const char *str = NULL, *sub = NULL;
	size_t n = 0, m = 0;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r = str_arg(x, c, 0, s, &sub, &m);
	if (r < 0)
		return -1;
	if (!str || r)
		return 0;
	for (size_t k = 0; m <= n && k <= n - m; k++) {
		size_t i = last ? n - m - k : k;
		if (memcmp(str + i, sub, m) == 0)
			return push(x, out, fp_make_int((int64_t)utf8_len(str, i)));
	}
	return push(x, out, fp_make_int(-1));
}

FN(indexOf) { return index_of(x, c, in, s, out, false); }
FN(lastIndexOf) { return index_of(x, c, in, s, out, true); }

FN(substring)
{
	const char *str;
	size_t n;
	int64_t start, len = -1;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r = int_arg(x, c, 0, s, &start);
	if (r < 0)
		return -1;
	if (!str || r)
		return 0;
	if (c->nargs > 1) {
		int r2 = int_arg(x, c, 1, s, &len);
		if (r2 < 0)
			return -1;
		if (r2)
			len = -1;
	}
	size_t chars = utf8_len(str, n);
	if (start < 0 || (uint64_t)start >= chars)
		return 0;
	size_t b = utf8_offset(str, n, (size_t)start);
	size_t e = len < 0 || (uint64_t)(start + len) >= chars ? n : utf8_offset(str, n, (size_t)(start + len));
	if (len == 0)
		e = b;
	return push_str(x, out, str + b, e - b);
}

static int str_test(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out,
                    int mode)
{
	const char *str = NULL, *sub = NULL;
	size_t n = 0, m = 0;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r = str_arg(x, c, 0, s, &sub, &m);
	if (r < 0)
		return -1;
	if (!str || r)
		return 0;
	bool res = false;
	if (m > n)
		res = false;
	else if (mode == 0)
		res = memcmp(str, sub, m) == 0;
	else if (mode == 1)
		res = memcmp(str + n - m, sub, m) == 0;
	else {
		for (size_t i = 0; i + m <= n && !res; i++)
			res = memcmp(str + i, sub, m) == 0;
	}
	return push_bool(x, out, res);
}

FN(startsWith) { return str_test(x, c, in, s, out, 0); }
FN(endsWith) { return str_test(x, c, in, s, out, 1); }
FN(contains) { return str_test(x, c, in, s, out, 2); }

static int str_case(fp_ctx *x, const fp_node *c, const fp_coll *in, fp_coll *out, bool up)
{
	const char *str;
	size_t n;
	if (str_in(x, c, in, &str, &n))
		return -1;
	if (!str)
		return 0;
	char *o = arena_buf(x, n);
	if (!o)
		return -1;
	for (size_t i = 0; i < n; i++)
		o[i] = (char)(up ? toupper((unsigned char)str[i]) : tolower((unsigned char)str[i]));
	o[n] = 0;
	return push_str(x, out, o, n);
}

FN(upper) { (void)s; return str_case(x, c, in, out, true); }
FN(lower) { (void)s; return str_case(x, c, in, out, false); }

FN(replace)
{
	const char *str, *pat, *rep;
	size_t n, pn, rn;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r1 = str_arg(x, c, 0, s, &pat, &pn);
	if (r1 < 0)
		return -1;
	int r2 = str_arg(x, c, 1, s, &rep, &rn);
	if (r2 < 0)
		return -1;
	if (!str || r1 || r2)
		return 0;
	mn_buf b = MN_BUF_INIT;
	b.max = MN_FP_MAX_STRING;
	if (pn == 0) {
		mn_buf_put(&b, rep, rn);
		for (size_t i = 0; i < n && !b.failed; i++) {
			mn_buf_putc(&b, str[i]);
			if (i + 1 == n || ((unsigned char)str[i + 1] & 0xC0) != 0x80)
				mn_buf_put(&b, rep, rn);
		}
	} else {
		for (size_t i = 0; i < n && !b.failed;) {
			if (i + pn <= n && memcmp(str + i, pat, pn) == 0) {
				mn_buf_put(&b, rep, rn);
				i += pn;
			} else {
				mn_buf_putc(&b, str[i++]);
			}
		}
	}
	if (b.failed) {
		bool over = b.over;
		mn_buf_free(&b);
		if (!over)
			return fp_fail(x, MN_ENOMEM, c, "out of memory");
		return fp_fail(x, MN_ELIMIT, c, "replace() result too long");
	}
	char *o = mn_arena_strndup(x->a, b.data ? b.data : "", b.len);
	size_t len = b.len;
	mn_buf_free(&b);
	if (!o)
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	return push_str(x, out, o, len);
}

/* The size of a pattern once its repetitions are expanded, roughly as a
 * backtracking or automaton compiler builds it (a+ becomes aa*, {m,n} copies the operand n
 * times, each stacked quantifier copies again). Repeating an operand that
 * can match the empty string ((a*)*{500}) costs regcomp time quadratic in
 * the operand, so it counts v x v. Patterns over the limit are refused
 * before regcomp could take gigabytes or minutes (r->nullable tracks
 * whether the last item, sequence or alternation can match empty):
 *   alternation -> sequence ('|' sequence)*
 *   sequence    -> (item quantifier*)*
 *   item        -> '(' alternation ')' | '[' class ']' | '\\' char | char */
#define REGEX_MAX_SIZE 20000.0

typedef struct rx { const char *p; size_t n, i; int depth; bool nullable; } rx;

static double rx_alternation(rx *r);

static double rx_item(rx *r)
{
	char ch = r->p[r->i++];
	r->nullable = false;
	if (ch == '\\') {
		if (r->i < r->n)
			r->i++;
		return 1;
	}
	if (ch == '[') {
		if (r->i < r->n && r->p[r->i] == '^')
			r->i++;
		if (r->i < r->n && r->p[r->i] == ']')
			r->i++;
		while (r->i < r->n && r->p[r->i] != ']')
			r->i++;
		if (r->i < r->n)
			r->i++;
		return 1;
	}
	if (ch == '(') {
		if (++r->depth > 64)
			return REGEX_MAX_SIZE * 2;
		double v = rx_alternation(r);
		r->depth--;
		if (r->i < r->n && r->p[r->i] == ')')
			r->i++;
		return v;
	}
	return 1;
}

static double rx_sequence(rx *r)
{
	double total = 0;
	bool nullable = true;
	while (r->i < r->n && r->p[r->i] != '|' && r->p[r->i] != ')') {
		double v = rx_item(r);
		for (;;) {
			if (r->i >= r->n)
				break;
			char q = r->p[r->i];
			double w = r->nullable ? v * v : v;  /* repeating what can match empty */
			if (q == '*' || q == '+' || q == '?') {
				v = w * 2 + 1;
				r->nullable = r->nullable || q != '+';
				r->i++;
			} else if (q == '{') {
				size_t j = r->i + 1;
				double m = 0, hi = 0;
				while (j < r->n && isdigit((unsigned char)r->p[j]))
					m = m * 10 + (r->p[j++] - '0');
				hi = m;
				if (j < r->n && r->p[j] == ',') {
					j++;
					hi = 0;
					while (j < r->n && isdigit((unsigned char)r->p[j]))
						hi = hi * 10 + (r->p[j++] - '0');
					if (hi < m)
						hi = m + 1;
				}
				if (j >= r->n || r->p[j] != '}')
					break;  /* a literal '{' */
				r->i = j + 1;
				v = w * (hi + 1) + 1;
				r->nullable = r->nullable || m == 0;
			} else {
				break;
			}
			if (v > REGEX_MAX_SIZE)
				return v;
		}
		nullable = nullable && r->nullable;
		total += v;
		if (total > REGEX_MAX_SIZE)
			return total;
	}
	r->nullable = nullable;
	return total;
}

static double rx_alternation(rx *r)
{
	double total = rx_sequence(r);
	bool nullable = r->nullable;
	while (r->i < r->n && r->p[r->i] == '|' && total <= REGEX_MAX_SIZE) {
		r->i++;
		total += rx_sequence(r);
		nullable = nullable || r->nullable;
	}
	r->nullable = nullable;
	return total;
}

/* Regular expressions are PCRE2 (Debian's libpcre2-8), the dialect the
 * FHIRPath specification recommends: UTF-8 with Unicode property classes
 * (\p{L}), case-sensitive, 'single line' mode (. matches a newline), $ only
 * at the very end, and \u followed by four hex digits (a code point), as in JavaScript and Java. \d \w \s stay ASCII,
 * as in fhirpath.js and HAPI. The optional flags argument (FHIRPath 3.0.0
 * STU) takes 'i' (case-insensitive) and 'm' (^ and $ at every line); any
 * other letter is an error. matchesFull() anchors the pattern at both ends.
 * Patterns over the size estimate above are refused before compiling, and a
 * match is bounded by PCRE2's match, depth and heap limits, so catastrophic
 * backtracking ends in an error rather than minutes. */
#define REGEX_MATCH_LIMIT 1000000u
#define REGEX_DEPTH_LIMIT 5000u
#define REGEX_HEAP_LIMIT 16384u  /* KiB */

/* The PCRE2 options of a flags string; -1 when it holds anything but i and m. */
static int regex_flag_options(const char *f, size_t n, uint32_t *opts)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i] == 'i')
			*opts |= PCRE2_CASELESS;
		else if (f[i] == 'm')
			*opts |= PCRE2_MULTILINE;
		else
			return -1;
	}
	return 0;
}

int fp_regex_prepare(const char *pat, size_t n, bool full, unsigned flags, void **out)
{
	*out = NULL;
	rx r = {pat, n, 0, 0, false};
	double size = 0;
	while (r.i < n && size <= REGEX_MAX_SIZE) {
		size += rx_alternation(&r);
		if (r.i < n)
			r.i++;  /* an unbalanced ')' */
	}
	if (size > REGEX_MAX_SIZE)
		return 2;
	uint32_t opts = PCRE2_UTF | PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX |
	                PCRE2_NEVER_BACKSLASH_C | (uint32_t)flags;
	if (full)
		opts |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	if (!cc)
		return -1;
	pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
	int ec = 0;
	PCRE2_SIZE eo = 0;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, n, opts, &ec, &eo, cc);
	pcre2_compile_context_free(cc);
	if (!code)
		return ec == PCRE2_ERROR_HEAP_FAILED || ec == PCRE2_ERROR_NOMEMORY ? -1
		       : ec == PCRE2_ERROR_PATTERN_TOO_LARGE || ec == PCRE2_ERROR_PATTERN_TOO_COMPLICATED ? 2
		       : 1;
	*out = code;
	return 0;
}

struct fp_regex {
	pcre2_code *code;
	struct fp_regex *next;
};

/* The literals one of which every match of a pattern contains (fp_regex_attach, do_matches): a subject
 * holding none of them cannot match, and PCRE2 need not run. Made only for patterns whose matching is
 * plain and bounded: case-sensitive (no 'i' flag), no backslash, no '.', no '(?', no quantifier but '?'
 * directly after a literal character inside a group, groups not nested, no '|' outside a group, classes
 * of letters, digits, space, '_', '-' and '^' only. The literals: each alternative of the first group,
 * not followed by '?', whose alternatives are all literal characters, up to the alternative's first
 * optional character ("amphetamines?": "amphetamine"); none empty. */
#define NEED_MAX 16
typedef struct fp_regex_need {
	unsigned n;
	size_t pat_len;
	struct { const char *s; size_t n; } lit[NEED_MAX];
} fp_regex_need;

static bool need_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == ' ' || ch == '_' || ch == '-';
}

/* A class [...] at p[i] (i at '['): the index after its ']', or 0 when it is not a plain class. */
static size_t need_class(const char *p, size_t n, size_t i)
{
	size_t j = i + 1;
	if (j < n && p[j] == '^')
		j++;
	size_t start = j;
	while (j < n && p[j] != ']') {
		if (!need_char(p[j]))
			return 0;
		j++;
	}
	return j < n && j > start ? j + 1 : 0;
}

/* The literals one of which every match of pattern p[0..n) holds, in a; NULL when there are none to tell
 * (*nomem set when a refused the memory). */
static const fp_regex_need *regex_need(mn_arena *a, const char *p, size_t n, uint32_t opts, bool *nomem)
{
	*nomem = false;
	if (opts & PCRE2_CASELESS)
		return NULL;
	fp_regex_need q;
	memset(&q, 0, sizeof q);
	bool have = false;
	for (size_t i = 0; i < n;) {
		char ch = p[i];
		if (ch == '^' || ch == '$') {
			i++;
		} else if (ch == '[') {
			if (!(i = need_class(p, n, i)))
				return NULL;
		} else if (need_char(ch)) {
			i++;
		} else if (ch == '(') {
			/* a group: alternatives of literal characters, '?' after one, anchors and classes */
			fp_regex_need g;
			memset(&g, 0, sizeof g);
			bool literal = true;
			size_t j = i + 1, alt = j, mand = SIZE_MAX;
			for (;;) {
				if (j >= n)
					return NULL;
				char c = p[j];
				if (c == '|' || c == ')') {
					size_t m = (mand == SIZE_MAX ? j : mand) - alt;
					if (!m || g.n == NEED_MAX)
						literal = false;
					else if (literal) {
						g.lit[g.n].s = p + alt;
						g.lit[g.n++].n = m;
					}
					j++;
					if (c == ')')
						break;
					alt = j;
					mand = SIZE_MAX;
				} else if (c == '^' || c == '$') {
					literal = false;
					j++;
				} else if (c == '[') {
					literal = false;
					if (!(j = need_class(p, n, j)))
						return NULL;
				} else if (need_char(c)) {
					j++;
					if (j < n && p[j] == '?') {
						if (mand == SIZE_MAX)
							mand = j - 1;
						j++;
					}
				} else {
					return NULL;
				}
			}
			bool optional = j < n && p[j] == '?';
			if (optional)
				j++;
			if (literal && !optional && !have) {
				q = g;
				have = true;
			}
			i = j;
		} else {
			return NULL;  /* '|', '.', '\\', '*', '+', '{', '?' after a class or at the start, ')' */
		}
	}
	fp_regex_need *r = have ? mn_arena_alloc(a, sizeof *r) : NULL;
	if (r) {
		*r = q;
		r->pat_len = n;
	}
	*nomem = have && !r;
	return r;
}

/* Whether the subject s[0..n) certainly does not match: plain ASCII (an invalid UTF-8 subject is
 * PCRE2's error, not a mismatch), short enough that PCRE2 stays far inside its limits, and holding none
 * of the literals. */
static bool holds(const char *s, size_t n, const char *t, size_t tn)
{
	for (const char *p = s, *end = s + n; (size_t)(end - p) >= tn; p++) {
		p = memchr(p, t[0], (size_t)(end - p) - tn + 1);
		if (!p)
			return false;
		if (memcmp(p, t, tn) == 0)
			return true;
	}
	return false;
}

static bool need_missing(const fp_regex_need *q, const char *s, size_t n)
{
	if (!q || (n + 1) * (q->pat_len + 1) > REGEX_MATCH_LIMIT / 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	for (unsigned k = 0; k < q->n; k++)
		if (holds(s, n, q->lit[k].s, q->lit[k].n))
			return false;
	return true;
}

/* Which argument holds a regex function's flags (-1: not a regex function). */
static int regex_flags_arg(const char *name)
{
	if (strcmp(name, "matches") == 0 || strcmp(name, "matchesFull") == 0)
		return 1;
	return strcmp(name, "replaceMatches") == 0 ? 2 : -1;
}

mn_status fp_regex_attach(mn_fp_expr *e, fp_node *call)
{
	int fa = regex_flags_arg(call->name);
	if (fa < 0)
		return MN_OK;
	bool full = strcmp(call->name, "matchesFull") == 0;
	const fp_node *a = call->nargs ? call->args[0] : NULL;
	if (!a || a->kind != FN_LITERAL || a->lit.kind != MN_FP_STRING || a->lit.v.str.n == 0)
		return MN_OK;
	uint32_t opts = 0;
	if (call->nargs > fa) {
		const fp_node *f = call->args[fa];
		if (f->kind != FN_LITERAL || f->lit.kind != MN_FP_STRING ||
		    regex_flag_options(f->lit.v.str.s, f->lit.v.str.n, &opts))
			return MN_OK;  /* computed or bad flags: compiled or reported when evaluated */
	}
	fp_regex *r = mn_arena_alloc(e->arena, sizeof *r);
	if (!r)
		return MN_ENOMEM;
	void *code = NULL;
	int rc = fp_regex_prepare(a->lit.v.str.s, a->lit.v.str.n, full, opts, &code);
	if (rc == -1)
		return MN_ENOMEM;
	if (rc != 0)
		return MN_OK;  /* reported when evaluated, as for a computed pattern */
	r->code = code;
	r->next = e->regexes;
	e->regexes = r;
	call->re = code;
	bool nomem = false;
	if (fa == 1)  /* matches, matchesFull */
		call->need = regex_need(e->arena, a->lit.v.str.s, a->lit.v.str.n, opts, &nomem);
	return nomem ? MN_ENOMEM : MN_OK;
}

void fp_regex_free_all(mn_fp_expr *e)
{
	for (fp_regex *r = e->regexes; r; r = r->next)
		pcre2_code_free(r->code);
	e->regexes = NULL;
}

/* The compiled pattern of call: the precompiled literal, or one compiled
 * now (then *owned is set and the caller frees it). flags: argument
 * fa of call when present. */
static int get_regex(fp_ctx *x, const fp_node *c, const fp_scope *s, const char *pat, size_t n,
                     bool full, const pcre2_code **re, bool *owned)
{
	*owned = false;
	int fa = regex_flags_arg(c->name);
	uint32_t opts = 0;
	if (fa >= 0 && c->nargs > fa) {
		const char *f;
		size_t fn;
		int r = str_arg(x, c, fa, s, &f, &fn);
		if (r < 0)
			return -1;
		if (r == 0 && regex_flag_options(f, fn, &opts))
			return fp_fail(x, MN_EEVAL, c, "%s(): invalid flags '%.*s' (only i and m)", c->name,
			               (int)(fn > 20 ? 20 : fn), f);
	}
	if (c->re) {
		*re = c->re;
		return 0;
	}
	void *code = NULL;
	int rc = fp_regex_prepare(pat, n, full, opts, &code);
	if (rc == -1)
		return fp_fail(x, MN_ENOMEM, c, "out of memory");  /* not "too complex": the criterion must not say so */
	if (rc != 0)
		return fp_fail(x, MN_EEVAL, c, "%s regular expression '%.*s'",
		               rc == 2 ? "too complex a" : "invalid", (int)(n > 60 ? 60 : n), pat);
	*re = code;
	*owned = true;
	return 0;
}

/* The match context (the limits) and the match block are made once per
 * thread and reused: a fresh match block per call costs a malloc and free of
 * PCRE2's 20 KB backtracking frames, which doubled the cost of a typical
 * where(matches(...)) over a record. A block that ran into a limit is
 * dropped, so a pathological pattern does not leave its frames behind. A
 * thread-specific key frees both when a thread ends (the service's worker
 * threads come and go; without it each would leak its pair). */
static _Thread_local pcre2_match_context *tl_mc;
static _Thread_local pcre2_match_data *tl_md;
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static bool tl_key_ok;

static void tl_free(void *unused)
{
	(void)unused;
	pcre2_match_data_free(tl_md);
	pcre2_match_context_free(tl_mc);
	tl_md = NULL;
	tl_mc = NULL;
}

static void tl_key_init(void)
{
	tl_key_ok = pthread_key_create(&tl_key, tl_free) == 0;
}

/* Arrange for tl_free at this thread's end (the value only needs to be non-NULL). */
static void tl_register(void)
{
	pthread_once(&tl_once, tl_key_init);
	if (tl_key_ok && !pthread_getspecific(tl_key))
		pthread_setspecific(tl_key, &tl_key);
}

static pcre2_match_context *match_context(void)
{
	if (!tl_mc && (tl_mc = pcre2_match_context_create(NULL)) != NULL) {
		tl_register();
		pcre2_set_match_limit(tl_mc, REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(tl_mc, REGEX_DEPTH_LIMIT);
		pcre2_set_heap_limit(tl_mc, REGEX_HEAP_LIMIT);
	}
	return tl_mc;
}

static pcre2_match_data *match_data(void)
{
	if (!tl_md && (tl_md = pcre2_match_data_create(1, NULL)) != NULL)  /* matches() needs no groups */
		tl_register();
	return tl_md;
}

/* An execution error for a failed pcre2_match/pcre2_substitute code. */
static int regex_error(fp_ctx *x, const fp_node *c, int rc)
{
	if (rc == PCRE2_ERROR_NOMEMORY || rc == PCRE2_ERROR_HEAP_FAILED)
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
		return fp_fail(x, MN_EEVAL, c, "%s(): too complex a regular expression for this input "
		               "(match limit)", c->name);
	PCRE2_UCHAR msg[120];
	if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
		msg[0] = 0;
	return fp_fail(x, MN_EEVAL, c, "%s(): %s", c->name, (const char *)msg);
}

static int do_matches(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s,
                      fp_coll *out, bool full)
{
	const char *str, *pat;
	size_t n, pn;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r = str_arg(x, c, 0, s, &pat, &pn);
	if (r < 0)
		return -1;
	if (!str || r)
		return 0;
	const pcre2_code *re = NULL;
	bool owned = false;
	if (get_regex(x, c, s, pat, pn, full, &re, &owned))
		return -1;
	if (re == c->re && need_missing(c->need, str, n))
		return push_bool(x, out, false);
	pcre2_match_context *mc = match_context();
	pcre2_match_data *md = mc ? match_data() : NULL;
	int m = md ? pcre2_match(re, (PCRE2_SPTR)str, n, 0, 0, md, mc) : PCRE2_ERROR_NOMEMORY;
	if (m < 0 && m != PCRE2_ERROR_NOMATCH && md) {
		pcre2_match_data_free(md);
		tl_md = NULL;
	}
	if (owned)
		pcre2_code_free((pcre2_code *)re);
	if (m < 0 && m != PCRE2_ERROR_NOMATCH)
		return regex_error(x, c, m);
	return push_bool(x, out, m >= 0);
}

FN(matches) { return do_matches(x, c, in, s, out, false); }
FN(matchesFull) { return do_matches(x, c, in, s, out, true); }

/* The substitution of replaceMatches() in PCRE2's syntax, read as
 * JavaScript reads it (fhirpath.js): $n and $nn name a group when the
 * pattern has that many (two digits first, then one; $0 is the whole match,
 * as in Java, where JavaScript keeps it literally), ${name} and ${n} name
 * a group, $$ is a dollar, and any other $ is itself ('$USD' stays '$USD',
 * where PCRE2 would take a group named USD). Into an arena string. */
static const char *js_substitution(fp_ctx *x, const pcre2_code *re, const char *rep, size_t rn,
                                   size_t *outn)
{
	uint32_t groups = 0;
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
	mn_buf b = MN_BUF_INIT;
	b.max = MN_FP_MAX_STRING;
	for (size_t i = 0; i < rn; i++) {
		if (rep[i] != '$') {
			mn_buf_putc(&b, rep[i]);
			continue;
		}
		const char *p = rep + i + 1;
		size_t left = rn - i - 1;
		if (left && *p == '{' && memchr(p, '}', left)) {
			size_t k = (size_t)((const char *)memchr(p, '}', left) - p);
			mn_buf_put(&b, rep + i, k + 2);  /* ${...} as PCRE2 reads it */
			i += k + 1;
		} else if (left && isdigit((unsigned char)p[0])) {
			unsigned g1 = (unsigned)(p[0] - '0');
			unsigned g2 = left > 1 && isdigit((unsigned char)p[1]) ? g1 * 10 + (unsigned)(p[1] - '0') : 0;
			if (g2 && g2 <= groups) {
				mn_buf_printf(&b, "${%u}", g2);
				i += 2;
			} else if (g1 <= groups) {  /* $0: the whole match, as Java (HAPI) and before */
				mn_buf_printf(&b, "${%u}", g1);
				i += 1;
			} else {
				mn_buf_puts(&b, "$$");  /* no such group: a literal dollar */
			}
		} else if (left && *p == '$') {
			mn_buf_puts(&b, "$$");
			i++;
		} else {
			mn_buf_puts(&b, "$$");
		}
	}
	char *o = b.failed ? NULL : mn_arena_strndup(x->a, b.data ? b.data : "", b.len);
	*outn = b.len;
	mn_buf_free(&b);
	return o;
}

/* replaceMatches(): every match replaced (PCRE2's global substitution, as
 * Perl's s///g and JavaScript's replace with /g); groups in the
 * substitution as js_substitution() reads them; a group that did not take
 * part gives the empty string. */
FN(replaceMatches)
{
	const char *str, *pat, *rep;
	size_t n, pn, rn;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r1 = str_arg(x, c, 0, s, &pat, &pn);
	if (r1 < 0)
		return -1;
	int r2 = str_arg(x, c, 1, s, &rep, &rn);
	if (r2 < 0)
		return -1;
	if (!str || r1 || r2)
		return 0;
	if (pn == 0)
		return push_str(x, out, str, n);
	const pcre2_code *re = NULL;
	bool owned = false;
	if (get_regex(x, c, s, pat, pn, false, &re, &owned))
		return -1;
	pcre2_match_context *mc = match_context();
	rep = js_substitution(x, re, rep, rn, &rn);
	if (!rep) {
		if (owned)
			pcre2_code_free((pcre2_code *)re);
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	}
	uint32_t opts = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
	                PCRE2_SUBSTITUTE_UNKNOWN_UNSET | PCRE2_SUBSTITUTE_UNSET_EMPTY;
	PCRE2_SIZE len = n + rn + 64;
	char *o = NULL;
	int rc = PCRE2_ERROR_NOMEMORY;
	bool too_long = false;
	for (int attempt = 0; attempt < 2 && mc; attempt++) {
		if (len >= MN_FP_MAX_STRING) {
			too_long = true;
			break;
		}
		o = mn_arena_alloc(x->a, len + 1);
		if (!o) {
			rc = PCRE2_ERROR_NOMEMORY;
			break;
		}
		PCRE2_SIZE olen = len + 1;
		rc = pcre2_substitute(re, (PCRE2_SPTR)str, n, 0, opts, NULL, mc, (PCRE2_SPTR)rep, rn,
		                      (PCRE2_UCHAR *)o, &olen);
		if (rc != PCRE2_ERROR_NOMEMORY) {
			len = olen;
			break;
		}
		len = olen;  /* the length needed (with the terminating zero) */
	}
	if (owned)
		pcre2_code_free((pcre2_code *)re);
	if (too_long)
		return fp_fail(x, MN_ELIMIT, c, "replaceMatches() result too long");
	if (rc < 0)
		return regex_error(x, c, rc);
	return push_str(x, out, o, len);
}

FN(length)
{
	const char *str;
	size_t n;
	(void)s;
	if (str_in(x, c, in, &str, &n))
		return -1;
	return str ? push(x, out, fp_make_int((int64_t)utf8_len(str, n))) : 0;
}

FN(toChars)
{
	const char *str;
	size_t n;
	(void)s;
	if (str_in(x, c, in, &str, &n))
		return -1;
	if (!str)
		return 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && ((unsigned char)str[j] & 0xC0) == 0x80)
			j++;
		if (push_str(x, out, str + i, j - i))
			return -1;
		i = j;
	}
	return 0;
}

FN(trim)
{
	const char *str;
	size_t n;
	(void)s;
	if (str_in(x, c, in, &str, &n))
		return -1;
	if (!str)
		return 0;
	while (n && isspace((unsigned char)*str))
		str++, n--;
	while (n && isspace((unsigned char)str[n - 1]))
		n--;
	return push_str(x, out, str, n);
}

FN(split)
{
	const char *str, *sep;
	size_t n, m;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r = str_arg(x, c, 0, s, &sep, &m);
	if (r < 0)
		return -1;
	if (!str || r)
		return 0;
	if (m == 0)
		return fn_toChars(x, c, in, s, out);
	size_t st = 0;
	for (size_t i = 0; i + m <= n;) {
		if (memcmp(str + i, sep, m) == 0) {
			if (push_str(x, out, str + st, i - st))
				return -1;
			i += m;
			st = i;
		} else {
			i++;
		}
	}
	return push_str(x, out, str + st, n - st);
}

FN(join)
{
	const char *sep = "";
	size_t m = 0;
	if (c->nargs) {
		int r = str_arg(x, c, 0, s, &sep, &m);
		if (r < 0)
			return -1;
		if (r)
			sep = "", m = 0;
	}
	mn_buf b = MN_BUF_INIT;
	b.max = MN_FP_MAX_STRING;
	for (uint32_t k = 0; k < in->n; k++) {
		if (in->v[k].kind != MN_FP_STRING) {
			mn_buf_free(&b);
			return fp_fail(x, MN_EEVAL, c, "join() needs strings");
		}
		if (k)
			mn_buf_put(&b, sep, m);
		mn_buf_put(&b, in->v[k].v.str.s, in->v[k].v.str.n);
	}
	if (b.failed) {
		bool over = b.over;
		mn_buf_free(&b);
		if (!over)
			return fp_fail(x, MN_ENOMEM, c, "out of memory");
		return fp_fail(x, MN_ELIMIT, c, "join() result too long");
	}
	char *o = mn_arena_strndup(x->a, b.data ? b.data : "", b.len);
	size_t len = b.len;
	mn_buf_free(&b);
	if (!o)
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	return push_str(x, out, o, len);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(char ch, bool url)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == (url ? '-' : '+')) return 62;
	if (ch == (url ? '_' : '/')) return 63;
	return -1;
}

static int coder(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out,
                 bool enc)
{
	const char *str, *fmt;
	size_t n, m;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r = str_arg(x, c, 0, s, &fmt, &m);
	if (r < 0)
		return -1;
	if (!str || r)
		return 0;
	bool hex = m == 3 && memcmp(fmt, "hex", 3) == 0;
	bool url = m == 9 && memcmp(fmt, "urlbase64", 9) == 0;
	bool b64 = m == 6 && memcmp(fmt, "base64", 6) == 0;
	if (!hex && !url && !b64)
		return fp_fail(x, MN_EEVAL, c, "unknown encoding '%.*s'", (int)m, fmt);
	char *o = arena_buf(x, n * 2 + 8);
	if (!o)
		return -1;
	size_t k = 0;
	if (hex && enc) {
		for (size_t i = 0; i < n; i++)
			k += (size_t)sprintf(o + k, "%02x", (unsigned char)str[i]);
	} else if (hex) {
		if (n % 2)
			return 0;
		for (size_t i = 0; i < n; i += 2) {
			char h[3] = {str[i], str[i + 1], 0};
			char *end;
			long v = strtol(h, &end, 16);
			if (*end)
				return 0;
			o[k++] = (char)v;
		}
	} else if (enc) {
		for (size_t i = 0; i < n; i += 3) {
			unsigned v = (unsigned char)str[i] << 16;
			if (i + 1 < n) v |= (unsigned char)str[i + 1] << 8;
			if (i + 2 < n) v |= (unsigned char)str[i + 2];
			char q[4] = {B64[(v >> 18) & 63], B64[(v >> 12) & 63], B64[(v >> 6) & 63], B64[v & 63]};
			if (url)
				for (int j = 0; j < 4; j++)
					q[j] = q[j] == '+' ? '-' : q[j] == '/' ? '_' : q[j];
			o[k++] = q[0];
			o[k++] = q[1];
			o[k++] = i + 1 < n ? q[2] : '=';
			o[k++] = i + 2 < n ? q[3] : '=';
		}
	} else {
		unsigned v = 0;
		int bits = 0;
		for (size_t i = 0; i < n; i++) {
			if (str[i] == '=')
				break;
			int d = b64val(str[i], url);
			if (d < 0)
				return 0;
			v = (v << 6) | (unsigned)d;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				o[k++] = (char)((v >> bits) & 0xFF);
			}
		}
	}
	o[k] = 0;
	return push_str(x, out, o, k);
}

FN(encode) { return coder(x, c, in, s, out, true); }
FN(decode) { return coder(x, c, in, s, out, false); }

static int escaper(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out,
                   bool esc)
{
	const char *str, *fmt;
	size_t n, m;
	if (str_in(x, c, in, &str, &n))
		return -1;
	int r = str_arg(x, c, 0, s, &fmt, &m);
	if (r < 0)
		return -1;
	if (!str || r)
		return 0;
	bool html = m == 4 && memcmp(fmt, "html", 4) == 0;
	bool json = m == 4 && memcmp(fmt, "json", 4) == 0;
	if (!html && !json)
		return fp_fail(x, MN_EEVAL, c, "unknown escape format '%.*s'", (int)m, fmt);
	mn_buf b = MN_BUF_INIT;
	b.max = MN_FP_MAX_STRING;
	static const struct { char ch; const char *ent; } H[] = {
		{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"}};
	for (size_t i = 0; i < n; i++) {
		char ch = str[i];
		if (esc && html) {
			size_t j;
			for (j = 0; j < 5 && H[j].ch != ch; j++)
				;
			if (j < 5)
				mn_buf_puts(&b, H[j].ent);
			else
				mn_buf_putc(&b, ch);
		} else if (esc) {
			if (ch == '"' || ch == '\\') {
				mn_buf_putc(&b, '\\');
				mn_buf_putc(&b, ch);
			} else if (ch == '\n')
				mn_buf_puts(&b, "\\n");
			else if (ch == '\t')
				mn_buf_puts(&b, "\\t");
			else if (ch == '\r')
				mn_buf_puts(&b, "\\r");
			else
				mn_buf_putc(&b, ch);
		} else if (html) {
			size_t j;
			for (j = 0; j < 5; j++) {
				size_t el = strlen(H[j].ent);
				if (i + el <= n && memcmp(str + i, H[j].ent, el) == 0)
					break;
			}
			if (j < 5) {
				mn_buf_putc(&b, H[j].ch);
				i += strlen(H[j].ent) - 1;
			} else {
				mn_buf_putc(&b, ch);
			}
		} else {
			if (ch == '\\' && i + 1 < n) {
				char e = str[++i];
				mn_buf_putc(&b, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
			} else {
				mn_buf_putc(&b, ch);
			}
		}
	}
	char *o = b.failed ? NULL : mn_arena_strndup(x->a, b.data ? b.data : "", b.len);
	size_t len = b.len;
	mn_buf_free(&b);
	if (!o)
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	return push_str(x, out, o, len);
}

FN(escape) { return escaper(x, c, in, s, out, true); }
FN(unescape) { return escaper(x, c, in, s, out, false); }

/* ---- math ------------------------------------------------------------------ */

static int num_in(fp_ctx *x, const fp_node *c, const fp_coll *in, const mn_fp_item **it)
{
	if (single_in(x, c, in, it))
		return -1;
	if (*it && (*it)->kind != MN_FP_INTEGER && (*it)->kind != MN_FP_DECIMAL &&
	    (*it)->kind != MN_FP_QUANTITY) {
		mn_fp_item q;
		if (fp_as_quantity(*it, &q))
			return 0;
		return fp_fail(x, MN_EEVAL, c, "%s() needs a number, not %s", c->name,
		               mn_fp_item_type(*it));
	}
	return 0;
}

static double nv(const mn_fp_item *it)
{
	return it->kind == MN_FP_INTEGER ? (double)it->v.i : it->v.d;
}

FN(abs)
{
	const mn_fp_item *it = NULL;
	(void)s;
	if (num_in(x, c, in, &it))
		return -1;
	if (!it)
		return 0;
	mn_fp_item r = *it;
	if (it->kind == MN_FP_NODE && !fp_as_quantity(it, &r))
		return 0;
	r.node = NULL;
	r.ftype = NULL;
	r.res = NULL;
	if (r.kind == MN_FP_INTEGER && r.v.i == INT64_MIN)
		return fp_fail(x, MN_EEVAL, c, "integer overflow");
	if (r.kind == MN_FP_INTEGER)
		r.v.i = r.v.i < 0 ? -r.v.i : r.v.i;
	else
		r.v.d = fabs(r.v.d);
	return fp_push(x, out, &r);
}

static int unary_math(fp_ctx *x, const fp_node *c, const fp_coll *in, fp_coll *out, int which)
{
	const mn_fp_item *it = NULL;
	if (num_in(x, c, in, &it))
		return -1;
	if (!it)
		return 0;
	double v = nv(it), r;
	int64_t iv;
	if (which <= 2) {
		if (it->kind == MN_FP_INTEGER)
			return push(x, out, it->flags & FPI_LONG ? fp_make_long(it->v.i) : fp_make_int(it->v.i));
		r = which == 0 ? ceil(v) : which == 1 ? floor(v) : trunc(v);
		mn_fp_item q;
		if (fp_as_quantity(it, &q))  /* "ceiling() : Integer | Quantity": the unit stays */
			return push(x, out, fp_make_quantity(r, 0, q.unit, (q.flags & FPI_CALENDAR) != 0));
		if (!fp_double_to_int(r, &iv))
			return fp_fail(x, MN_EEVAL, c, "%s(): the result does not fit an Integer", c->name);
		return push(x, out, fp_make_int(iv));
	}
	switch (which) {
	case 3: r = exp(v); break;
	case 4: if (v <= 0) return 0; r = log(v); break;
	default: if (v < 0) return 0; r = sqrt(v); break;
	}
	if (!isfinite(r))
		return 0;
	return push(x, out, dec_full(r));
}

FN(ceiling) { (void)s; return unary_math(x, c, in, out, 0); }
FN(floor) { (void)s; return unary_math(x, c, in, out, 1); }
FN(truncate) { (void)s; return unary_math(x, c, in, out, 2); }
FN(exp) { (void)s; return unary_math(x, c, in, out, 3); }
FN(ln) { (void)s; return unary_math(x, c, in, out, 4); }
FN(sqrt) { (void)s; return unary_math(x, c, in, out, 5); }

static int num_arg(fp_ctx *x, const fp_node *c, int i, const fp_scope *s, const mn_fp_item **it,
                   fp_coll *buf)
{
	if (arg(x, c, i, s, buf) || fp_singleton(x, c, buf, it))
		return -1;
	if (*it && (*it)->kind != MN_FP_INTEGER && (*it)->kind != MN_FP_DECIMAL)
		return fp_fail(x, MN_EEVAL, c, "argument of %s() must be a number", c->name);
	return 0;
}

FN(log)
{
	const mn_fp_item *it = NULL, *b = NULL;
	fp_coll buf;
	if (num_in(x, c, in, &it) || num_arg(x, c, 0, s, &b, &buf))
		return -1;
	if (!it || !b)
		return 0;
	double v = nv(it), base = nv(b);
	if (v <= 0 || base <= 0 || base == 1)
		return 0;
	return push(x, out, dec_full(log(v) / log(base)));
}

FN(power)
{
	const mn_fp_item *it = NULL, *e = NULL;
	fp_coll buf;
	if (num_in(x, c, in, &it) || num_arg(x, c, 0, s, &e, &buf))
		return -1;
	if (!it || !e)
		return 0;
	double r = pow(nv(it), nv(e));
	if (!isfinite(r))
		return 0;
	if (it->kind == MN_FP_INTEGER && e->kind == MN_FP_INTEGER && e->v.i >= 0 && fabs(r) < 9e15)
		return push(x, out, fp_make_int((int64_t)r));
	return push(x, out, dec_full(r));
}

FN(round)
{
	const mn_fp_item *it = NULL;
	int64_t p = 0;
	if (num_in(x, c, in, &it))
		return -1;
	if (c->nargs) {
		int r = int_arg(x, c, 0, s, &p);
		if (r < 0)
			return -1;
		if (p < 0)
			return fp_fail(x, MN_EEVAL, c, "round() precision must not be negative");
	}
	if (!it)
		return 0;
	if (p > 15)
		p = 15;
	mn_fp_item q;
	if (fp_as_quantity(it, &q))  /* "round() : Decimal | Quantity": the unit stays */
		return push(x, out, fp_make_quantity(fp_round_scale(q.v.d, (int)p), (int)p, q.unit,
		                                     (q.flags & FPI_CALENDAR) != 0));
	return push(x, out, fp_make_dec(fp_round_scale(nv(it), (int)p), (int)p));
}

/* ---- aggregates (FHIRPath 3.0: sum, min, max, avg) ------------------------ */

/* Sum of numbers or quantities; *n_out the number of items added. */
static int add_all(fp_ctx *x, const fp_node *c, const fp_coll *in, mn_fp_item *acc)
{
	bool is_int = true, is_q = false, is_long = false;
	int64_t isum = 0;
	double dsum = 0;
	int scale = 0;
	mn_fp_item q0;
	fp_unit u0;
	double base0 = 0;
	for (uint32_t k = 0; k < in->n; k++) {
		const mn_fp_item *it = &in->v[k];
		mn_fp_item q;
		if (it->flags & FPI_NOVALUE)
			continue;
		if (it->kind == MN_FP_INTEGER && !is_q) {
			if (is_int && __builtin_add_overflow(isum, it->v.i, &isum))
				return fp_fail(x, MN_EEVAL, c, "integer overflow in %s()", c->name);
			is_long |= (it->flags & FPI_LONG) != 0;
			dsum += (double)it->v.i;
		} else if (it->kind == MN_FP_DECIMAL && !is_q) {
			is_int = false;
			dsum += it->v.d;
			if (it->scale > scale)
				scale = it->scale;
		} else if ((it->kind == MN_FP_QUANTITY || it->kind == MN_FP_NODE) && fp_as_quantity(it, &q) &&
		           (is_q || k == 0)) {
			fp_unit u;
			double base;
			if (!is_q) {
				is_q = true;
				q0 = q;
				if (!fp_quantity_normalize(&q0, &u0, &base0))
					return fp_fail(x, MN_EEVAL, c, "%s(): unknown unit '%s'", c->name, q0.unit);
				dsum = q0.v.d;
				scale = q0.scale;
				continue;
			}
			if (!fp_quantity_normalize(&q, &u, &base) || !fp_ucum_same_dim(&u, &u0))
				return fp_fail(x, MN_EEVAL, c, "%s(): quantities in units that do not add up", c->name);
			dsum += base / u0.factor;
			/* 500 'mg' in 'g' needs 3 more digits */
			int need = q.scale;
			for (double r = u0.factor / u.factor; r > 1.000001 && need < 15; r /= 10)
				need++;
			if (need > scale)
				scale = need;
		} else {
			return fp_fail(x, MN_EEVAL, c, "%s() needs numbers or quantities, not %s", c->name,
			               mn_fp_item_type(it));
		}
	}
	if (!isfinite(dsum))
		return fp_fail(x, MN_EEVAL, c, "overflow in %s()", c->name);
	if (is_q) {
		/* the shortest scale that keeps the exact sum (1 'g' + 500 'mg' = 1.5 'g') */
		int sc = scale;
		while (sc > q0.scale && fp_round_scale(dsum, sc - 1) == fp_round_scale(dsum, scale))
			sc--;
		*acc = fp_make_quantity(fp_round_scale(dsum, scale), sc, q0.unit,
		                        (q0.flags & FPI_CALENDAR) != 0);
	}
	else if (is_int)
		*acc = is_long ? fp_make_long(isum) : fp_make_int(isum);
	else
		*acc = fp_make_dec(fp_round_scale(dsum, scale), scale);
	return 0;
}

FN(sum)
{
	(void)s;
	mn_fp_item r;
	if (add_all(x, c, in, &r))
		return -1;
	return fp_push(x, out, &r);
}

FN(avg)
{
	(void)s;
	uint32_t n = 0;
	for (uint32_t k = 0; k < in->n; k++)
		n += !(in->v[k].flags & FPI_NOVALUE);
	if (n == 0)
		return 0;
	mn_fp_item r;
	if (add_all(x, c, in, &r))
		return -1;
	double v = r.kind == MN_FP_INTEGER ? (double)r.v.i : r.v.d;
	mn_fp_item a = dec_result(v / n);
	if (r.kind == MN_FP_QUANTITY) {
		r.v.d = a.v.d;
		r.scale = a.scale;
		return fp_push(x, out, &r);
	}
	return fp_push(x, out, &a);
}

/* min() and max() return the input item itself (provenance kept). */
static int extreme(fp_ctx *x, const fp_node *c, const fp_coll *in, fp_coll *out, int sign)
{
	const mn_fp_item *best = NULL;
	for (uint32_t k = 0; k < in->n; k++) {
		const mn_fp_item *it = &in->v[k];
		if (it->flags & FPI_NOVALUE)
			continue;
		if (!best) {
			best = it;
			continue;
		}
		int cmp, r = fp_compare(it, best, &cmp);
		if (r < 0)
			return fp_fail(x, MN_EEVAL, c, "%s(): cannot compare %s with %s", c->name,
			               mn_fp_item_type(it), mn_fp_item_type(best));
		if (r > 0)
			return 0;  /* precision too different to order: unknown */
		if (cmp * sign > 0)
			best = it;
	}
	if (best && best->kind == MN_FP_NODE) {
		mn_fp_item q;
		if (!fp_as_quantity(best, &q))
			return fp_fail(x, MN_EEVAL, c, "%s() needs comparable values, not %s", c->name,
			               mn_fp_item_type(best));
	}
	return best ? fp_push(x, out, best) : 0;
}

FN(min) { (void)s; return extreme(x, c, in, out, -1); }
FN(max) { (void)s; return extreme(x, c, in, out, 1); }

/* ---- tree ------------------------------------------------------------------ */

FN(children)
{
	(void)c;
	(void)s;
	for (uint32_t k = 0; k < in->n; k++)
		if (fp_children(x, &in->v[k], out))
			return -1;
	return 0;
}

FN(descendants)
{
	(void)c;
	(void)s;
	/* breadth first in one array: the children of out[i] are appended to out */
	uint32_t i = out->n;
	for (uint32_t k = 0; k < in->n; k++)
		if (fp_children(x, &in->v[k], out))
			return -1;
	for (; i < out->n; i++) {
		mn_fp_item it = out->v[i];  /* out may move while children are added */
		if (it.kind == MN_FP_NODE || it.ext)
			if (fp_children(x, &it, out))
				return -1;
	}
	return 0;
}

/* ---- utility --------------------------------------------------------------- */

FN(trace)
{
	const char *name;
	size_t n;
	int r = str_arg(x, c, 0, s, &name, &n);
	if (r < 0)
		return -1;
	if (x->env && x->env->trace) {
		mn_fp_result res;
		memset(&res, 0, sizeof res);
		res.c = *in;
		if (c->nargs > 1) {
			memset(&res.c, 0, sizeof res.c);
			for (uint32_t k = 0; k < in->n; k++) {
				fp_coll p;
				if (lambda(x, c, 1, in, k, s, NULL, &p) || fp_append(x, &res.c, &p))
					return -1;
			}
		}
		char *nm = mn_arena_strndup(x->a, r ? "" : name, r ? 0 : n);
		if (!nm)
			return fp_fail(x, MN_ENOMEM, c, "out of memory");
		x->env->trace(x->env->trace_payload, nm, &res);
	}
	return fp_append(x, out, in);
}

static int now_value(fp_ctx *x, const fp_node *c, mn_datetime *dt)
{
	if (!x->env || !x->env->has_now)
		return fp_fail(x, MN_EEVAL, c, "%s() needs the evaluation date (set the clock)", c->name);
	*dt = x->env->now;
	/* now() and timeOfDay() are given to the millisecond (the spec's examples:
	 * @2026-02-25T14:31:39.096+11:00, @T14:34:17.923); a clock set to a day or
	 * a second (--as-of 2026-11-20) supplies zeros for the finer fields */
	if (dt->precision >= MN_DT_DAY && dt->precision < MN_DT_MILLISECOND) {
		if (dt->precision < MN_DT_SECOND) {
			dt->second = 0;
			if (dt->precision < MN_DT_MINUTE)
				dt->minute = 0;
			if (dt->precision < MN_DT_HOUR)
				dt->hour = 0;
		}
		dt->millisecond = 0;
		dt->precision = MN_DT_MILLISECOND;
	}
	return 0;
}

FN(now)
{
	mn_datetime dt;
	(void)in;
	(void)s;
	if (now_value(x, c, &dt))
		return -1;
	mn_fp_item it;
	fp_item_init(&it, MN_FP_DATETIME);
	dt.kind = MN_DT_DATETIME;
	it.v.dt = dt;
	return fp_push(x, out, &it);
}

FN(today)
{
	mn_datetime dt;
	(void)in;
	(void)s;
	if (now_value(x, c, &dt))
		return -1;
	mn_fp_item it;
	fp_item_init(&it, MN_FP_DATE);
	dt.kind = MN_DT_DATE;
	if (dt.precision > MN_DT_DAY)
		dt.precision = MN_DT_DAY;
	dt.has_tz = false;
	dt.hour = dt.minute = dt.second = 0;
	dt.millisecond = 0;
	it.v.dt = dt;
	return fp_push(x, out, &it);
}

FN(timeOfDay)
{
	mn_datetime dt;
	(void)in;
	(void)s;
	if (now_value(x, c, &dt))
		return -1;
	mn_fp_item it;
	fp_item_init(&it, MN_FP_TIME);
	dt.kind = MN_DT_TIME;
	dt.has_tz = false;
	dt.year = 0;
	dt.month = dt.day = 0;
	if (dt.precision < MN_DT_HOUR)
		dt.precision = MN_DT_HOUR;
	it.v.dt = dt;
	return fp_push(x, out, &it);
}

/* coveredDays() (mednec extension, docs/FHIRPATH.md): the number of
 * distinct calendar days covered by the union of the input's Periods, dates
 * and dateTimes, counting only days up to today(). A Period without end
 * runs to today(); a date or dateTime covers its own day, as written (no
 * time zone shift). Fails closed: an item that is not day-precise, a Period
 * without start or ending before it starts, or an item of another type
 * makes the result empty. Empty input gives 0. */
typedef struct cd_span {
	int64_t from, to;  /* days since 1970-01-01, inclusive */
} cd_span;

static int cd_cmp(const void *a, const void *b)
{
	const cd_span *p = a, *q = b;
	return p->from < q->from ? -1 : p->from > q->from;
}

/* A day-precise date or dateTime text as a day number; false otherwise. */
static bool cd_text_day(const mn_json *v, int64_t *day)
{
	mn_datetime dt;
	if (!v || v->type != MN_JSON_STRING || mn_datetime_parse_any(v->u.s, v->n, &dt, NULL) != MN_OK ||
	    dt.precision < MN_DT_DAY)
		return false;
	*day = mn_days_from_civil(dt.year, dt.month, dt.day);
	return true;
}

/* One input item as a span; false when it cannot be one (fail closed). */
static bool cd_span_of(const mn_fp_item *it, int64_t today, cd_span *sp)
{
	if (it->flags & FPI_NOVALUE)
		return false;
	if (it->kind == MN_FP_DATE || it->kind == MN_FP_DATETIME) {
		if (it->v.dt.precision < MN_DT_DAY)
			return false;
		sp->from = sp->to = mn_days_from_civil(it->v.dt.year, it->v.dt.month, it->v.dt.day);
		return true;
	}
	if (it->kind != MN_FP_NODE || !it->ftype || strcmp(it->ftype->name, "Period") != 0 || !it->node)
		return false;
	const mn_json *end = mn_json_get(it->node, "end");
	if (!cd_text_day(mn_json_get(it->node, "start"), &sp->from))
		return false;
	if (!end)
		sp->to = today;
	else if (!cd_text_day(end, &sp->to) || sp->to < sp->from)
		return false;
	return true;
}

FN(coveredDays)
{
	mn_datetime now = {0};
	(void)s;
	if (now_value(x, c, &now))
		return -1;
	int64_t today = mn_days_from_civil(now.year, now.month, now.day), total = 0;
	cd_span *sp = NULL;
	uint32_t n = 0;
	if (in->n) {
		if (fp_check_memory(x, c))
			return -1;
		sp = mn_arena_alloc(x->a, in->n * sizeof *sp);
		if (!sp)
			return fp_fail(x, MN_ENOMEM, c, "out of memory");
	}
	for (uint32_t k = 0; k < in->n; k++) {
		cd_span one;
		if (!cd_span_of(&in->v[k], today, &one))
			return 0;  /* empty */
		if (one.to > today)
			one.to = today;
		if (one.from <= one.to)
			sp[n++] = one;
	}
	if (n)
		qsort(sp, n, sizeof *sp, cd_cmp);
	for (uint32_t k = 0; k < n;) {
		/* merge the spans that overlap or touch this one */
		int64_t from = sp[k].from, to = sp[k].to;
		for (k++; k < n && sp[k].from <= to + 1; k++)
			if (sp[k].to > to)
				to = sp[k].to;
		total += to - from + 1;
	}
	mn_fp_item it;
	fp_item_init(&it, MN_FP_INTEGER);
	it.v.i = total;
	return fp_push(x, out, &it);
}

/* type(): a {namespace, name} object built in the arena. */
static mn_json *typeinfo_json(fp_ctx *x, const char *ns, const char *name)
{
	mn_json *o = mn_arena_calloc(x->a, 1, sizeof *o);
	mn_json_member *m = mn_arena_calloc(x->a, 2, sizeof *m);
	if (!o || !m)
		return NULL;
	o->type = MN_JSON_OBJECT;
	o->n = 2;
	o->u.members = m;
	m[0].key = "namespace";
	m[0].key_len = 9;
	m[0].value.type = MN_JSON_STRING;
	m[0].value.u.s = ns;
	m[0].value.n = (uint32_t)strlen(ns);
	m[1].key = "name";
	m[1].key_len = 4;
	m[1].value.type = MN_JSON_STRING;
	m[1].value.u.s = name;
	m[1].value.n = (uint32_t)strlen(name);
	return o;
}

FN(type)
{
	(void)c;
	(void)s;
	for (uint32_t k = 0; k < in->n; k++) {
		const mn_fp_item *it = &in->v[k];
		bool fhir = it->ftype || it->kind == MN_FP_NODE;
		mn_json *o = typeinfo_json(x, fhir ? "FHIR" : "System", mn_fp_item_type(it));
		if (!o)
			return fp_fail(x, MN_ENOMEM, c, "out of memory");
		mn_fp_item r;
		fp_item_init(&r, MN_FP_NODE);
		r.node = o;
		r.flags = FPI_TYPEINFO;
		if (fp_push(x, out, &r))
			return -1;
	}
	return 0;
}

FN(not)
{
	(void)s;
	int t = fp_truth(x, c, in);
	if (t < -1)
		return -1;
	if (t < 0)
		return 0;
	return push_bool(x, out, !t);
}

FN(aggregate)
{
	fp_coll total = {0};
	if (c->nargs > 1 && arg(x, c, 1, s, &total))
		return -1;
	for (uint32_t k = 0; k < in->n; k++) {
		fp_coll r;
		fp_coll t = total;
		if (lambda(x, c, 0, in, k, s, &t, &r))
			return -1;
		total = r;
	}
	return fp_append(x, out, &total);
}

typedef struct sort_key { const mn_fp_item *v[8]; } sort_key;

static int sort_cmp(const sort_key *a, const sort_key *b, const bool *desc, int nkeys)
{
	for (int k = 0; k < nkeys; k++) {
		const mn_fp_item *p = a->v[k], *q = b->v[k];
		if (!p && !q)
			continue;
		if (!p)
			return -1;
		if (!q)
			return 1;
		int cmp = 0;
		if (fp_compare(p, q, &cmp) != 0)
			cmp = 0;
		if (cmp)
			return desc[k] ? -cmp : cmp;
	}
	return 0;
}

FN(sort)
{
	uint32_t n = in->n;
	if (n == 0)
		return 0;
	int nkeys = c->nargs ? c->nargs : 1;
	if (nkeys > 8)
		return fp_fail(x, MN_EEVAL, c, "sort() takes at most 8 keys");
	sort_key *keys = mn_arena_calloc(x->a, n, sizeof *keys);
	uint32_t *idx = mn_arena_alloc(x->a, n * sizeof *idx);
	uint32_t *tmp = mn_arena_alloc(x->a, n * sizeof *tmp);
	bool desc[8] = {0};
	if (!keys || !idx || !tmp)
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		idx[i] = i;
		if (!c->nargs) {
			keys[i].v[0] = &in->v[i];
			continue;
		}
		for (int k = 0; k < nkeys; k++) {
			const fp_node *e = c->args[k];
			if (e->kind == FN_NEG) {
				desc[k] = true;
				e = e->left;
			}
			fp_scope sc;
			sc.self.v = &in->v[i];
			sc.self.n = sc.self.cap = 1;
			sc.index = i;
			sc.total = s->total;
			fp_coll r = {0};
			const mn_fp_item *v;
			if (fp_eval(x, e, &sc, &r) || fp_singleton(x, e, &r, &v))
				return -1;
			keys[i].v[k] = v;
		}
	}
	/* stable merge sort of idx */
	for (uint32_t w = 1; w < n; w *= 2) {
		for (uint32_t lo = 0; lo < n; lo += 2 * w) {
			uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			uint32_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = sort_cmp(&keys[idx[j]], &keys[idx[i]], desc, nkeys) < 0 ? idx[j++] : idx[i++];
			while (i < mid)
				tmp[k++] = idx[i++];
			while (j < hi)
				tmp[k++] = idx[j++];
		}
		memcpy(idx, tmp, n * sizeof *idx);
	}
	for (uint32_t i = 0; i < n; i++)
		if (fp_push(x, out, &in->v[idx[i]]))
			return -1;
	return 0;
}

/* ---- boundaries and precision -------------------------------------------- */

static int dt_digits(const mn_datetime *d)
{
	if (d->kind == MN_DT_TIME) {
		static const int t[] = {0, 0, 0, 0, 2, 4, 6, 9};
		return t[d->precision];
	}
	static const int v[] = {0, 4, 6, 8, 10, 12, 14, 17};
	return v[d->precision];
}

static int digits_to_prec(const mn_datetime *d, int64_t p)
{
	if (d->kind == MN_DT_TIME) {
		switch (p) {
		case 2: return MN_DT_HOUR;
		case 4: return MN_DT_MINUTE;
		case 6: return MN_DT_SECOND;
		case 9: return MN_DT_MILLISECOND;
		default: return -1;
		}
	}
	switch (p) {
	case 4: return MN_DT_YEAR;
	case 6: return MN_DT_MONTH;
	case 8: return MN_DT_DAY;
	case 10: return MN_DT_HOUR;
	case 12: return MN_DT_MINUTE;
	case 14: return MN_DT_SECOND;
	case 17: return MN_DT_MILLISECOND;
	default: return -1;
	}
}

static int boundary(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out,
                    bool high)
{
	const mn_fp_item *it = NULL;
	int64_t p = -1;
	if (single_in(x, c, in, &it))
		return -1;
	if (c->nargs) {
		int r = int_arg(x, c, 0, s, &p);
		if (r < 0)
			return -1;
	}
	if (!it)
		return 0;
	mn_fp_item q;
	if (it->kind == MN_FP_INTEGER || it->kind == MN_FP_DECIMAL || it->kind == MN_FP_QUANTITY ||
	    fp_as_quantity(it, &q)) {
		if (it->kind == MN_FP_NODE)
			it = &q;
		if (p < 0 && c->nargs)
			return 0;
		if (p < 0)
			p = 8;
		if (p > 28)
			return 0;
		double v = nv(it);
		int sc = it->kind == MN_FP_INTEGER ? 0 : it->scale;
		double half = 0.5 * pow(10.0, -sc);
		double b = high ? v + half : v - half;
		double f = pow(10.0, (double)p);
		double r;
		if (fabs(b) < 1.0 / f)
			r = b < 0 ? -0.0 : 0.0;
		else
			r = p > 15 ? b : (high ? ceil(b * f - 1e-9) / f : floor(b * f + 1e-9) / f);
		if (it->kind == MN_FP_QUANTITY)
			return push(x, out, fp_make_quantity(r, (int)p, it->unit, (it->flags & FPI_CALENDAR) != 0));
		return push(x, out, fp_make_dec(r, (int)p));
	}
	if (it->kind == MN_FP_DATE || it->kind == MN_FP_DATETIME || it->kind == MN_FP_TIME) {
		mn_datetime d = it->v.dt;
		int prec = p < 0 ? (d.kind == MN_DT_DATE ? MN_DT_DAY : MN_DT_MILLISECOND)
		                 : digits_to_prec(&d, p);
		if (prec < 0 || (d.kind == MN_DT_DATE && prec > MN_DT_DAY))
			return 0;
		/* fill the missing fields with their lowest or highest values */
		if (d.precision < MN_DT_MONTH)
			d.month = high ? 12 : 1;
		if (d.precision < MN_DT_DAY) {
			int y = d.year, m = d.month;
			static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
			int last = dm[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
			d.day = (int8_t)(high ? last : 1);
		}
		if (d.precision < MN_DT_HOUR)
			d.hour = high ? 23 : 0;
		if (d.precision < MN_DT_MINUTE && d.precision < MN_DT_HOUR)
			d.minute = high ? 59 : 0;
		if (d.precision < MN_DT_SECOND)
			d.second = high ? 59 : 0;
		if (d.precision < MN_DT_MILLISECOND)
			d.millisecond = high ? 999 : 0;
		if (d.kind == MN_DT_DATETIME && !d.has_tz && prec >= MN_DT_HOUR) {
			d.has_tz = true;
			d.tz_minutes = high ? -12 * 60 : 14 * 60;
		}
		d.precision = (uint8_t)prec;
		mn_fp_item r;
		fp_item_init(&r, it->kind);
		r.v.dt = d;
		return fp_push(x, out, &r);
	}
	return 0;
}

FN(lowBoundary) { return boundary(x, c, in, s, out, false); }
FN(highBoundary) { return boundary(x, c, in, s, out, true); }

FN(precision)
{
	const mn_fp_item *it = NULL;
	(void)s;
	if (single_in(x, c, in, &it))
		return -1;
	if (!it)
		return 0;
	if (it->kind == MN_FP_DECIMAL || it->kind == MN_FP_QUANTITY)
		return push(x, out, fp_make_int(it->scale));
	if (it->kind == MN_FP_INTEGER)
		return push(x, out, fp_make_int(0));
	if (it->kind == MN_FP_DATE || it->kind == MN_FP_DATETIME || it->kind == MN_FP_TIME)
		return push(x, out, fp_make_int(dt_digits(&it->v.dt)));
	return 0;
}

/* defineVariable(name [, projection]) (FHIRPath 3.0.0 STU): %name is the
 * projection, evaluated on the input collection, or else the input itself,
 * for the rest of the path (fp_defvar in fhirpath_int.h); the output is the
 * input. A name already defined in scope, one of the environment's
 * variables or a name the language reserves (%context, %resource, %ucum ...)
 * is an error (the official R5 tests dvRedefiningVariableThrowsError and
 * dvCantOverwriteSystemVar). */
static bool reserved_var(const char *name, size_t n)
{
	static const char *const R[] = {"context", "resource", "rootResource", "ucum", "sct", "loinc",
	                                "terminologies", "factory", "server"};
	for (size_t i = 0; i < sizeof R / sizeof R[0]; i++)
		if (strlen(R[i]) == n && memcmp(R[i], name, n) == 0)
			return true;
	return (n > 3 && (memcmp(name, "vs-", 3) == 0)) || (n > 4 && memcmp(name, "ext-", 4) == 0);
}

int fp_defvar_get(fp_ctx *x, const char *name, size_t len, fp_coll *out)
{
	for (const fp_defvar *v = x->defvars; v; v = v->next)
		if (v->len == len && memcmp(v->name, name, len) == 0)
			return fp_append(x, out, &v->value) ? -1 : 1;
	return 0;
}

FN(defineVariable)
{
	const char *name;
	size_t n;
	int r = str_arg(x, c, 0, s, &name, &n);
	if (r < 0)
		return -1;
	if (r || n == 0)
		return fp_fail(x, MN_EEVAL, c, "defineVariable() needs a name");
	bool taken = reserved_var(name, n);
	for (const fp_defvar *v = x->defvars; v && !taken; v = v->next)
		taken = v->len == n && memcmp(v->name, name, n) == 0;
	taken = taken || fp_env_find(x->env, name, n) >= 0;
	if (taken)
		return fp_fail(x, MN_EEVAL, c, "variable %%%.*s already defined", (int)(n > 60 ? 60 : n), name);
	fp_defvar *v = mn_arena_alloc(x->a, sizeof *v);
	char *nm = v ? mn_arena_strndup(x->a, name, n) : NULL;
	if (!nm)
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	v->name = nm;
	v->len = n;
	v->value = *in;
	if (c->nargs > 1) {
		fp_scope ps = *s;
		ps.self = *in;
		ps.index = -1;
		memset(&v->value, 0, sizeof v->value);
		if (fp_eval(x, c->args[1], &ps, &v->value))
			return -1;
	}
	v->next = x->defvars;
	x->defvars = v;
	return fp_append(x, out, in);
}

/* ---- date/time components (FHIRPath 3.0.0 STU, "Extract Date/DateTime/Time
 * components"): yearOf() ... timeOf(). A component the value does not hold
 * (@2012.monthOf(), a dateTime without a zone for timezoneOffsetOf()) and a
 * value of another type give empty; several input items are an error. */

enum { DTC_YEAR = 1, DTC_MONTH, DTC_DAY, DTC_HOUR, DTC_MINUTE, DTC_SECOND, DTC_MS, DTC_TZ,
       DTC_DATE, DTC_TIME };

static int dt_component(fp_ctx *x, const fp_node *c, const fp_coll *in, fp_coll *out, int which)
{
	const mn_fp_item *it = NULL;
	if (single_in(x, c, in, &it))
		return -1;
	if (!it || (it->kind != MN_FP_DATE && it->kind != MN_FP_DATETIME && it->kind != MN_FP_TIME))
		return 0;
	const mn_datetime *d = &it->v.dt;
	int p = d->precision;
	bool date_part = it->kind != MN_FP_TIME, time_part = it->kind != MN_FP_DATE;
	switch (which) {
	case DTC_YEAR: return date_part ? push(x, out, fp_make_int(d->year)) : 0;
	case DTC_MONTH: return date_part && p >= MN_DT_MONTH ? push(x, out, fp_make_int(d->month)) : 0;
	case DTC_DAY: return date_part && p >= MN_DT_DAY ? push(x, out, fp_make_int(d->day)) : 0;
	case DTC_HOUR: return time_part && p >= MN_DT_HOUR ? push(x, out, fp_make_int(d->hour)) : 0;
	case DTC_MINUTE: return time_part && p >= MN_DT_MINUTE ? push(x, out, fp_make_int(d->minute)) : 0;
	case DTC_SECOND: return time_part && p >= MN_DT_SECOND ? push(x, out, fp_make_int(d->second)) : 0;
	case DTC_MS:
		return time_part && p >= MN_DT_MILLISECOND ? push(x, out, fp_make_int(d->millisecond)) : 0;
	case DTC_TZ: {
		if (it->kind != MN_FP_DATETIME || !d->has_tz)
			return 0;
		/* hours east of UTC; -7.0, 8.75 (one decimal at least, as the spec's examples) */
		int sc = d->tz_minutes % 60 == 0 ? 1 : d->tz_minutes % 30 == 0 ? 1 : 2;
		return push(x, out, fp_make_dec(d->tz_minutes / 60.0, sc));
	}
	case DTC_DATE: {
		if (!date_part)
			return 0;
		mn_fp_item r;
		fp_item_init(&r, MN_FP_DATE);
		r.v.dt = *d;
		r.v.dt.kind = MN_DT_DATE;
		r.v.dt.precision = (uint8_t)(p > MN_DT_DAY ? MN_DT_DAY : p);
		r.v.dt.has_tz = false;
		r.v.dt.tz_minutes = 0;
		r.v.dt.hour = r.v.dt.minute = r.v.dt.second = 0;
		r.v.dt.millisecond = 0;
		return fp_push(x, out, &r);
	}
	default: {  /* DTC_TIME: the time of a DateTime that has one */
		if (it->kind != MN_FP_DATETIME || p < MN_DT_HOUR)
			return 0;
		mn_fp_item r;
		fp_item_init(&r, MN_FP_TIME);
		r.v.dt = *d;
		r.v.dt.kind = MN_DT_TIME;
		r.v.dt.has_tz = false;
		r.v.dt.tz_minutes = 0;
		r.v.dt.year = 0;
		r.v.dt.month = r.v.dt.day = 0;
		return fp_push(x, out, &r);
	}
	}
}

FN(yearOf) { (void)s; return dt_component(x, c, in, out, DTC_YEAR); }
FN(monthOf) { (void)s; return dt_component(x, c, in, out, DTC_MONTH); }
FN(dayOf) { (void)s; return dt_component(x, c, in, out, DTC_DAY); }
FN(hourOf) { (void)s; return dt_component(x, c, in, out, DTC_HOUR); }
FN(minuteOf) { (void)s; return dt_component(x, c, in, out, DTC_MINUTE); }
FN(secondOf) { (void)s; return dt_component(x, c, in, out, DTC_SECOND); }
FN(millisecondOf) { (void)s; return dt_component(x, c, in, out, DTC_MS); }
FN(timezoneOffsetOf) { (void)s; return dt_component(x, c, in, out, DTC_TZ); }
FN(dateOf) { (void)s; return dt_component(x, c, in, out, DTC_DATE); }
FN(timeOf) { (void)s; return dt_component(x, c, in, out, DTC_TIME); }

/* duration(value, precision) and difference(value, precision) (FHIRPath
 * 3.0.0 STU, "Date and Time Interval Functions"): whole calendar periods
 * from the input to value, and period boundaries crossed (weeks start on
 * Sunday); negative when the input is later. Year, month, week and day use
 * the values' own fields; hour and finer compare instants, normalised to UTC
 * when both values have a zone. A value less precise than the precision
 * asked gives empty; a precision the type does not have (day for a Time),
 * an unknown precision word or a value of another type is an error. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int64_t dt_time_ms(const mn_datetime *d)
{
	return ((int64_t)d->hour * 3600 + d->minute * 60 + d->second) * 1000 + d->millisecond;
}

static int64_t dt_instant_ms(const mn_datetime *d, bool zoned)
{
	int64_t ms = dt_time_ms(d);
	if (d->kind != MN_DT_TIME)
		ms += mn_days_from_civil(d->year, d->month, d->day) * 86400000LL;
	return zoned ? ms - (int64_t)d->tz_minutes * 60000 : ms;
}

static int interval(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out,
                    bool whole)
{
	static const struct { const char *w; int p; } P[] = {
		{"year", MN_DT_YEAR}, {"month", MN_DT_MONTH}, {"week", 8}, {"day", MN_DT_DAY},
		{"hour", MN_DT_HOUR}, {"minute", MN_DT_MINUTE}, {"second", MN_DT_SECOND},
		{"millisecond", MN_DT_MILLISECOND}};
	const mn_fp_item *a = NULL, *b = NULL;
	fp_coll buf;
	const char *pw;
	size_t pn;
	if (single_in(x, c, in, &a) || arg(x, c, 0, s, &buf) || fp_singleton(x, c, &buf, &b))
		return -1;
	int r = str_arg(x, c, 1, s, &pw, &pn);
	if (r < 0)
		return -1;
	if (!a || !b || r)
		return 0;
	bool at = a->kind == MN_FP_TIME, bt = b->kind == MN_FP_TIME;
	if (!mn_fp_item_datetime(a) || !mn_fp_item_datetime(b) || at != bt)
		return fp_fail(x, MN_EEVAL, c, "%s() needs two dates, dateTimes or times, not %s and %s",
		               c->name, mn_fp_item_type(a), mn_fp_item_type(b));
	int prec = 0;
	for (size_t i = 0; i < sizeof P / sizeof P[0]; i++)
		if (strlen(P[i].w) == pn && memcmp(P[i].w, pw, pn) == 0)
			prec = P[i].p;
	int need = prec == 8 ? MN_DT_DAY : prec;
	bool dates = a->kind == MN_FP_DATE && b->kind == MN_FP_DATE;
	if (!prec || (at && need < MN_DT_HOUR) || (dates && need > MN_DT_DAY))
		return fp_fail(x, MN_EEVAL, c, "%s(): '%.*s' is not a precision for %s", c->name,
		               (int)(pn > 20 ? 20 : pn), pw, mn_fp_item_type(a));
	const mn_datetime *da = &a->v.dt, *db = &b->v.dt;
	if (da->precision < need || db->precision < need)
		return 0;
	bool swap = false;
	if (whole) {  /* count from the earlier value; the sign comes back at the end */
		bool zoned = da->has_tz && db->has_tz && need >= MN_DT_HOUR;
		if (dt_instant_ms(da, zoned) > dt_instant_ms(db, zoned)) {
			const mn_datetime *t = da;
			da = db;
			db = t;
			swap = true;
		}
	}
	int64_t v;
	int64_t tod_a = dt_time_ms(da), tod_b = dt_time_ms(db);
	if (need >= MN_DT_HOUR) {
		bool zoned = da->has_tz && db->has_tz;
		int64_t unit = need == MN_DT_HOUR ? 3600000 : need == MN_DT_MINUTE ? 60000
		               : need == MN_DT_SECOND ? 1000 : 1;
		int64_t ma = dt_instant_ms(da, zoned), mb = dt_instant_ms(db, zoned);
		v = whole ? (mb - ma) / unit : floor_div(mb, unit) - floor_div(ma, unit);
	} else if (need == MN_DT_DAY) {
		int64_t fa = mn_days_from_civil(da->year, da->month, da->day);
		int64_t fb = mn_days_from_civil(db->year, db->month, db->day);
		if (prec == 8 && !whole) {  /* weeks start on Sunday (1970-01-04 was one) */
			v = floor_div(fb - 3, 7) - floor_div(fa - 3, 7);
		} else {
			v = fb - fa - (whole && tod_b < tod_a);
			if (prec == 8)
				v /= 7;
		}
	} else {
		int64_t months = ((int64_t)db->year - da->year) * 12 + (db->month - da->month);
		if (whole && (db->day < da->day || (db->day == da->day && tod_b < tod_a)))
			months--;
		if (need == MN_DT_MONTH)
			v = months;
		else if (whole)
			v = months >= 0 ? months / 12 : -((-months) / 12);
		else
			v = (int64_t)db->year - da->year;
	}
	return push(x, out, fp_make_int(swap ? -v : v));
}

FN(duration) { return interval(x, c, in, s, out, true); }
FN(difference) { return interval(x, c, in, s, out, false); }

FN(comparable)
{
	const mn_fp_item *it = NULL, *o = NULL;
	fp_coll buf;
	mn_fp_item a, b;
	if (single_in(x, c, in, &it) || arg(x, c, 0, s, &buf) || fp_singleton(x, c, &buf, &o))
		return -1;
	if (!it || !o)
		return 0;
	/* Integer, Long and Decimal convert to Quantity with unit '1'; anything
	 * else is "not a single Quantity value": empty */
	bool na = it->kind == MN_FP_INTEGER || it->kind == MN_FP_DECIMAL;
	bool nb = o->kind == MN_FP_INTEGER || o->kind == MN_FP_DECIMAL;
	if ((!na && !fp_as_quantity(it, &a)) || (!nb && !fp_as_quantity(o, &b)))
		return 0;
	int cmp;
	return push_bool(x, out, fp_compare(it, o, &cmp) == 0);
}

/* ---- FHIR additions ------------------------------------------------------- */

FN(extension)
{
	const char *url;
	size_t n;
	int r = str_arg(x, c, 0, s, &url, &n);
	if (r)
		return r < 0 ? -1 : 0;
	for (uint32_t k = 0; k < in->n; k++) {
		fp_coll exts = {0};
		if (fp_member(x, NULL, &in->v[k], "extension", 9, &exts) < 0)
			return -1;
		for (uint32_t i = 0; i < exts.n; i++) {
			const mn_json *node = exts.v[i].node;
			const mn_json *u = node ? mn_json_get(node, "url") : NULL;
			if (u && u->type == MN_JSON_STRING && u->n == n && memcmp(u->u.s, url, n) == 0 &&
			    fp_push(x, out, &exts.v[i]))
				return -1;
		}
	}
	return 0;
}

FN(hasValue)
{
	(void)s;
	(void)c;
	bool v = in->n == 1 && in->v[0].kind != MN_FP_NODE && !(in->v[0].flags & FPI_NOVALUE);
	return push_bool(x, out, v);
}

FN(getValue)
{
	(void)s;
	(void)c;
	if (in->n == 1 && in->v[0].kind != MN_FP_NODE && !(in->v[0].flags & FPI_NOVALUE))
		return fp_push(x, out, &in->v[0]);
	return 0;
}

static const mn_json *find_in_bundle(const mn_json *root, const char *ref, size_t n)
{
	const mn_json *entries = mn_json_get(root, "entry");
	if (!entries || entries->type != MN_JSON_ARRAY)
		return NULL;
	for (uint32_t i = 0; i < entries->n; i++) {
		const mn_json *e = &entries->u.items[i];
		const mn_json *res = mn_json_get(e, "resource");
		const mn_json *fu = mn_json_get(e, "fullUrl");
		if (!res)
			continue;
		if (fu && fu->type == MN_JSON_STRING && fu->n == n && memcmp(fu->u.s, ref, n) == 0)
			return res;
		const char *rt = mn_json_get_string(res, "resourceType");
		const char *id = mn_json_get_string(res, "id");
		if (rt && id) {
			size_t a = strlen(rt), b = strlen(id);
			if (a + 1 + b <= n && memcmp(ref + n - (a + 1 + b), rt, a) == 0 &&
			    ref[n - b - 1] == '/' && memcmp(ref + n - b, id, b) == 0 &&
			    (a + 1 + b == n || ref[n - a - b - 2] == '/'))
				return res;
		}
	}
	return NULL;
}

FN(resolve)
{
	(void)s;
	for (uint32_t k = 0; k < in->n; k++) {
		const mn_fp_item *it = &in->v[k];
		const char *ref = NULL;
		size_t n = 0;
		if (it->kind == MN_FP_STRING) {
			ref = it->v.str.s;
			n = it->v.str.n;
		} else if (it->kind == MN_FP_NODE && it->node) {
			const mn_json *r = mn_json_get(it->node, "reference");
			if (r && r->type == MN_JSON_STRING) {
				ref = r->u.s;
				n = r->n;
			}
		}
		if (!ref)
			continue;
		mn_fp_item t;
		fp_item_init(&t, MN_FP_NODE);
		if (x->kase) {
			const mn_resource *r = mn_case_resolve(x->kase, ref, n, it->res);
			if (!r)
				continue;
			t.node = r->json;
			t.ftype = r->type ? r->type : fp_node_type(r->json, NULL);
			t.res = r;
		} else {
			/* no case: contained resources and bundle entries of the context */
			const mn_json *root = x->context.n ? x->context.v[0].node : NULL;
			const mn_json *found = NULL;
			if (root && ref[0] == '#') {
				const mn_json *cont = mn_json_get(root, "contained");
				for (uint32_t i = 0; cont && cont->type == MN_JSON_ARRAY && i < cont->n; i++) {
					const mn_json *id = mn_json_get(&cont->u.items[i], "id");
					if (id && id->type == MN_JSON_STRING && id->n == n - 1 &&
					    memcmp(id->u.s, ref + 1, n - 1) == 0)
						found = &cont->u.items[i];
				}
			} else if (root) {
				found = find_in_bundle(root, ref, n);
			}
			if (!found)
				continue;
			t.node = found;
			t.ftype = fp_node_type(found, NULL);
		}
		if (fp_push(x, out, &t))
			return -1;
	}
	return 0;
}

/* The first "system" and the first "code" member of obj, each when it is a string (as
 * mn_json_get_string reads them: the first member of that name, NULL when not a string), in one
 * pass over the members. */
static void coding_parts(const mn_json *obj, const char **system, const char **code)
{
	*system = *code = NULL;
	if (!obj || obj->type != MN_JSON_OBJECT)
		return;
	bool seen_s = false, seen_c = false;
	for (uint32_t i = 0; i < obj->n && !(seen_s && seen_c); i++) {
		const mn_json_member *m = &obj->u.members[i];
		if (!seen_s && m->key_len == 6 && memcmp(m->key, "system", 6) == 0) {
			seen_s = true;
			if (m->value.type == MN_JSON_STRING)
				*system = m->value.u.s;
		} else if (!seen_c && m->key_len == 4 && memcmp(m->key, "code", 4) == 0) {
			seen_c = true;
			if (m->value.type == MN_JSON_STRING)
				*code = m->value.u.s;
		}
	}
}

static int member_codes(fp_ctx *x, const fp_node *c, const char *vs, const mn_json *coding,
                        int *result)
{
	const char *system, *code;
	coding_parts(coding, &system, &code);
	if (!code || !system)
		return 0;  /* a Coding without a system names no code of any value set: fail closed */
	int r = x->env->member(x->env->member_payload, vs, system, code);
	if (r < 0)
		return fp_fail(x, MN_EEVAL, c, "unknown value set '%s'", vs);
	if (r > 0)
		*result = 1;
	return 0;
}

FN(memberOf)
{
	const char *vs;
	size_t n;
	const mn_fp_item *it = NULL;
	/* a string literal (the usual memberOf('name')): the lexer's text, NUL-terminated, is the
	 * name as the copy below would make it (both end at its first NUL) */
	const fp_node *a0 = c->nargs > 0 ? c->args[0] : NULL;
	bool lit = a0 && a0->kind == FN_LITERAL && a0->lit.kind == MN_FP_STRING;
	int r = 0;
	if (lit) {
		vs = a0->lit.v.str.s;
		n = a0->lit.v.str.n;
	} else {
		r = str_arg(x, c, 0, s, &vs, &n);
	}
	if (r < 0 || single_in(x, c, in, &it))
		return -1;
	if (r || !it)
		return 0;
	if (!x->env || !x->env->member)
		return fp_fail(x, MN_EEVAL, c, "memberOf() needs a terminology service");
	const char *v = lit ? vs : mn_arena_strndup(x->a, vs, n);
	if (!v)
		return fp_fail(x, MN_ENOMEM, c, "out of memory");
	int result = 0;
	if (it->kind == MN_FP_STRING) {
		char *code = mn_arena_strndup(x->a, it->v.str.s, it->v.str.n);
		if (!code)
			return fp_fail(x, MN_ENOMEM, c, "out of memory");
		int m = x->env->member(x->env->member_payload, v, NULL, code);
		if (m < 0)
			return fp_fail(x, MN_EEVAL, c, "unknown value set '%s'", v);
		result = m > 0;
	} else if (it->kind == MN_FP_NODE && it->node) {
		return fp_member_of_concept(x, c, v, it->node, out);
	} else {
		return 0;
	}
	return push_bool(x, out, result != 0);
}

int fp_member_of_concept(fp_ctx *x, const fp_node *c, const char *vs, const mn_json *concept, fp_coll *out)
{
	int result = 0;
	const mn_json *codings = mn_json_getn(concept, "coding", 6);
	if (codings && codings->type == MN_JSON_ARRAY) {
		for (uint32_t i = 0; i < codings->n; i++)
			if (member_codes(x, c, vs, &codings->u.items[i], &result))
				return -1;
	} else if (member_codes(x, c, vs, concept, &result)) {
		return -1;
	}
	return push_bool(x, out, result != 0);
}

FN(htmlChecks)
{
	(void)c;
	(void)s;
	(void)in;
	return push_bool(x, out, true);
}

FN(conformsTo)
{
	const char *url = NULL;
	size_t n = 0;
	const mn_fp_item *it = NULL;
	int r = str_arg(x, c, 0, s, &url, &n);
	if (r < 0 || single_in(x, c, in, &it))
		return -1;
	if (r || !it)
		return 0;
	static const char P[] = "http://hl7.org/fhir/StructureDefinition/";
	size_t pl = sizeof P - 1;
	if (n <= pl || memcmp(url, P, pl) != 0)
		return fp_fail(x, MN_EEVAL, c, "unknown profile '%.*s'", (int)n, url);
	const mn_fhir_type *t = mn_fhir_type_find(url + pl, n - pl);
	if (!t)
		return fp_fail(x, MN_EEVAL, c, "unknown profile '%.*s'", (int)n, url);
	return push_bool(x, out, it->ftype && mn_fhir_type_is_a(it->ftype, t));
}

/* ---- the table ------------------------------------------------------------ */

/* F: a function that is not FPF_PURE (it reads the clock, the environment, the record or a
 * terminology, or has an effect); P: a pure one. */
#define F(name, lo, hi, fl) {#name, lo, hi, fl, fn_##name}
#define P(name, lo, hi, fl) {#name, lo, hi, (fl) | FPF_PURE, fn_##name}
static const fp_func FUNCS[] = {
	P(abs, 0, 0, 0), P(aggregate, 1, 2, 0), P(all, 1, 1, FPF_ITEMS), P(allFalse, 0, 0, 0),
	P(allTrue, 0, 0, 0), P(anyFalse, 0, 0, 0), P(anyTrue, 0, 0, 0), P(as, 1, 1, FPF_TYPEARG), P(avg, 0, 0, 0),
	P(ceiling, 0, 0, 0), F(children, 0, 0, 0), P(coalesce, 1, 16, FPF_INPUT), P(combine, 1, 1, 0), P(comparable, 1, 1, 0),
	F(conformsTo, 1, 1, 0), P(contains, 1, 1, 0), P(convertsToBoolean, 0, 0, 0),
	P(convertsToDate, 0, 0, 0), P(convertsToDateTime, 0, 0, 0), P(convertsToDecimal, 0, 0, 0),
	P(convertsToInteger, 0, 0, 0), P(convertsToLong, 0, 0, 0), P(convertsToQuantity, 0, 1, 0), P(convertsToString, 0, 0, 0),
	P(convertsToTime, 0, 0, 0), P(count, 0, 0, 0), F(coveredDays, 0, 0, 0), P(dateOf, 0, 0, 0), P(dayOf, 0, 0, 0), P(decode, 1, 1, 0), F(defineVariable, 1, 2, 0), F(descendants, 0, 0, 0), P(difference, 2, 2, 0),
	P(distinct, 0, 0, 0), P(duration, 2, 2, 0), P(empty, 0, 0, 0), P(encode, 1, 1, 0), P(endsWith, 1, 1, 0),
	P(escape, 1, 1, 0), P(exclude, 1, 1, 0), P(exists, 0, 1, FPF_ITEMS), P(exp, 0, 0, 0),
	F(extension, 1, 1, 0), P(first, 0, 0, 0), P(floor, 0, 0, 0), P(getValue, 0, 0, 0),
	P(hasValue, 0, 0, 0), P(highBoundary, 0, 1, 0), P(hourOf, 0, 0, 0), F(htmlChecks, 0, 0, 0), P(iif, 2, 3, FPF_INPUT),
	P(indexOf, 1, 1, 0), P(intersect, 1, 1, 0), P(is, 1, 1, FPF_TYPEARG), P(isDistinct, 0, 0, 0),
	P(join, 0, 1, 0), P(last, 0, 0, 0), P(lastIndexOf, 1, 1, 0), P(length, 0, 0, 0), P(ln, 0, 0, 0), P(log, 1, 1, 0),
	P(lowBoundary, 0, 1, 0), P(lower, 0, 0, 0), P(matches, 1, 2, 0), P(matchesFull, 1, 2, 0),
	P(max, 0, 0, 0), F(memberOf, 1, 1, 0), P(millisecondOf, 0, 0, 0), P(min, 0, 0, 0),
	P(minuteOf, 0, 0, 0), P(monthOf, 0, 0, 0), P(not, 0, 0, 0), F(now, 0, 0, 0), P(ofType, 1, 1, FPF_TYPEARG),
	P(power, 1, 1, 0), P(precision, 0, 0, 0), P(repeat, 1, 1, FPF_ITEMS), P(repeatAll, 1, 1, FPF_ITEMS), P(replace, 2, 2, 0),
	P(replaceMatches, 2, 3, 0), F(resolve, 0, 0, 0), P(round, 0, 1, 0), P(secondOf, 0, 0, 0), P(select, 1, 1, FPF_ITEMS),
	P(single, 0, 0, 0), P(skip, 1, 1, 0), P(sort, 0, 8, FPF_ITEMS), P(split, 1, 1, 0), P(sqrt, 0, 0, 0),
	P(startsWith, 1, 1, 0), P(subsetOf, 1, 1, 0), P(substring, 1, 2, 0), P(sum, 0, 0, 0),
	P(supersetOf, 1, 1, 0),
	P(tail, 0, 0, 0), P(take, 1, 1, 0), P(timeOf, 0, 0, 0), F(timeOfDay, 0, 0, 0), P(timezoneOffsetOf, 0, 0, 0), P(toBoolean, 0, 0, 0),
	P(toChars, 0, 0, 0), P(toDate, 0, 0, 0), P(toDateTime, 0, 0, 0), P(toDecimal, 0, 0, 0),
	P(toInteger, 0, 0, 0), P(toLong, 0, 0, 0), P(toQuantity, 0, 1, 0), P(toString, 0, 0, 0), P(toTime, 0, 0, 0),
	F(today, 0, 0, 0), F(trace, 1, 2, 0), P(trim, 0, 0, 0), P(truncate, 0, 0, 0),
	F(type, 0, 0, 0), P(unescape, 1, 1, 0), P(union, 1, 1, 0), P(upper, 0, 0, 0),
	P(where, 1, 1, FPF_ITEMS), P(yearOf, 0, 0, 0),
};
#undef P
#undef F

const fp_func *fp_func_table(size_t *n)
{
	*n = sizeof FUNCS / sizeof FUNCS[0];
	return FUNCS;
}

const fp_func *fp_func_find(const char *name, size_t len)
{
	size_t lo = 0, hi = sizeof FUNCS / sizeof FUNCS[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *k = FUNCS[mid].name;
		int c = strncmp(k, name, len);
		if (c == 0 && k[len] != 0)
			c = 1;
		if (c == 0)
			return &FUNCS[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
