/*
 * scores.c: the clinical calculators applied to a case.
 *
 * The inputs are selected by the expressions of knowledge/scores.yaml
 * (config.c); this file reads the FHIR data types they give (Coding, Dosage,
 * Quantity), runs the calculators, and records for every score the entries
 * it used and, when it cannot compute, why. Nothing missing is guessed: an
 * entry without a day-precise date, a dose in free text, a drug without a
 * factor are reported as such. The result is also written as JSON text and
 * parsed into a tree for policies (%scores).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scores_int.h"

size_t mn_score_number(double v, char *out, size_t outsz)
{
	if (!outsz)
		return 0;
	if (!isfinite(v)) {
		snprintf(out, outsz, "0");
		return strlen(out);
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		/* a whole number: "%.2f" gives its digits and ".00", which are cut; -0 is "0". The same text
		 * without formatting, and the same answer when "%.2f" would not fit */
		long long w = (long long)v;
		unsigned long long u = w < 0 ? 0ULL - (unsigned long long)w : (unsigned long long)w;
		char d[24];
		size_t nd = 0;
		do
			d[nd++] = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		size_t n = nd + (w < 0) + 3 + (w == 0 && signbit(v));  /* the length of "%.2f"'s text */
		if (n >= outsz) {
			out[0] = '\0';
			return 0;
		}
		size_t k = 0;
		if (w < 0)
			out[k++] = '-';
		while (nd)
			out[k++] = d[--nd];
		out[k] = '\0';
		return k;
	}
	int n = mn_snprintf(out, outsz, "%.2f", v);
	if (n < 0 || (size_t)n >= outsz) {
		out[0] = '\0';
		return 0;
	}
	char *dot = strchr(out, '.');
	if (dot) {
		char *end = out + n;
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	if (strcmp(out, "-0") == 0)
		snprintf(out, outsz, "0");
	return strlen(out);
}

/* ---- context ------------------------------------------------------------- */

typedef struct ctx {
	const mn_score_config *cfg;
	const mn_case *c;
	mn_fp_env *env;
	mn_arena *a;
	mn_error *err;
	int64_t as_of_day;
	mn_score *scores;
	size_t nscores, cap;
	mn_buf json;
	bool oom;
} ctx;

/* An entry with its date, as the calculators order and compare them. */
typedef struct dated {
	const mn_resource *res;
	int64_t day;        /* days since 1970-01-01; valid when has_day */
	bool has_day;
	const char *date;   /* "2026-11-05" or NULL */
	const char *enc;    /* Budapest: the encounter reference, or NULL */
	double value;
	const pain_scale *scale;
} dated;

static void *grow(ctx *x, void *old, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return old;
	size_t nc = *cap ? *cap * 2 : 8;
	void *p = mn_arena_calloc(x->a, nc, size);
	if (!p) {
		x->oom = true;
		return NULL;
	}
	if (old && n)
		memcpy(p, old, n * size);
	*cap = nc;
	return p;
}

static const char *fmt(ctx *x, const char *f, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(ctx *x, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char tmp[1024];
	vsnprintf(tmp, sizeof tmp, f, ap);
	va_end(ap);
	char *s = mn_arena_strdup(x->a, tmp);
	if (!s)
		x->oom = true;
	return s ? s : "";
}

/* The n texts one after the other in the arena, cut as fmt cuts (at 1023 bytes): fmt with "%s" for each,
 * without formatting. */
static const char *cat(ctx *x, size_t n, ...)
{
	char tmp[1024];
	size_t len = 0;
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *p = va_arg(ap, const char *);
		size_t l = strlen(p);
		if (l > sizeof tmp - 1 - len)
			l = sizeof tmp - 1 - len;
		memcpy(tmp + len, p, l);
		len += l;
	}
	va_end(ap);
	char *d = mn_arena_strndup(x->a, tmp, len);
	if (!d)
		x->oom = true;
	return d ? d : "";
}

/* A copy of s in the arena: fmt(x, "%s", s) for a text shorter than fmt's
 * buffer, without formatting. */
static const char *dup(ctx *x, const char *s)
{
	char *d = mn_arena_strdup(x->a, s);
	if (!d)
		x->oom = true;
	return d ? d : "";
}

static const char *num(ctx *x, double v)
{
	char b[64];
	mn_score_number(v, b, sizeof b);
	return dup(x, b);
}

static const char *ref(ctx *x, const mn_resource *r)
{
	while (r->container)
		r = r->container;
	if (!r->id)
		return r->full_url ? r->full_url : r->type_name;
	if (strlen(r->type_name) + strlen(r->id) >= 1023)
		return fmt(x, "%s/%s", r->type_name, r->id);  /* cut as fmt cuts */
	char *s = mn_arena_join(x->a, r->type_name, '/', r->id);
	if (!s)
		x->oom = true;
	return s ? s : "";
}

/* A score under construction: details and sources grow in the arena. */
typedef struct builder {
	mn_score s;
	size_t dcap, scap;
} builder;

static void start(builder *b, const char *name, const char *title, const char *variant)
{
	memset(b, 0, sizeof *b);
	b->s.name = name;
	b->s.title = title;
	b->s.variant = variant;
}

static void detail(ctx *x, builder *b, const char *text)
{
	const char **d = grow(x, (void *)b->s.details, b->s.ndetails, &b->dcap, sizeof *d);
	if (!d)
		return;
	d[b->s.ndetails++] = text;
	b->s.details = d;
}

static void source(ctx *x, builder *b, const mn_resource *r, const char *role, const char *date)
{
	while (r->container)
		r = r->container;
	mn_score_source *s = grow(x, b->s.sources, b->s.nsources, &b->scap, sizeof *s);
	if (!s)
		return;
	s[b->s.nsources++] = (mn_score_source){r, role, date};
	b->s.sources = s;
}

static void finish(ctx *x, builder *b)
{
	mn_score *s = grow(x, x->scores, x->nscores, &x->cap, sizeof *s);
	if (!s)
		return;
	s[x->nscores++] = b->s;
	x->scores = s;
}

/* ---- JSON text ------------------------------------------------------------ */

static void jraw(ctx *x, const char *s) { mn_buf_puts(&x->json, s); }
static void jstr(ctx *x, const char *s) { mn_buf_put_json_string(&x->json, s ? s : "", s ? strlen(s) : 0); }
/* `,"k":` (no comma first): in one piece when k (this file's names) has no byte JSON escapes */
static void jkey(ctx *x, bool *first, const char *k)
{
	char b[64];
	size_t n = 0, at = 0;
	while (k[n] && k[n] != '"' && k[n] != '\\' && (unsigned char)k[n] >= 0x20 && n < sizeof b - 4)
		n++;
	if (k[n]) {
		if (!*first)
			jraw(x, ",");
		*first = false;
		jstr(x, k);
		jraw(x, ":");
		return;
	}
	if (!*first)
		b[at++] = ',';
	*first = false;
	b[at++] = '"';
	memcpy(b + at, k, n);
	at += n;
	b[at++] = '"';
	b[at++] = ':';
	mn_buf_put(&x->json, b, at);
}
static void jkstr(ctx *x, bool *first, const char *k, const char *v) { jkey(x, first, k); jstr(x, v); }
static void jknum(ctx *x, bool *first, const char *k, double v) { jkey(x, first, k); jraw(x, num(x, v)); }
static void jkbool(ctx *x, bool *first, const char *k, bool v) { jkey(x, first, k); jraw(x, v ? "true" : "false"); }
static void jentries(ctx *x, bool *first, const builder *b)
{
	jkey(x, first, "entries");
	jraw(x, "[");
	for (size_t i = 0; i < b->s.nsources; i++) {
		if (i)
			jraw(x, ",");
		jstr(x, ref(x, b->s.sources[i].resource));
	}
	jraw(x, "]");
}

/* ---- evaluation helpers ---------------------------------------------------- */

static mn_status eval_error(ctx *x, const char *what, mn_error *e)
{
	mn_status code = e->code;
	char msg[900];
	snprintf(msg, sizeof msg, "%s", e->message);
	mn_error_set_path(x->err, what);
	return mn_error_set(x->err, code, "scores.yaml %s: %s", what, msg);
}

/* The distinct resources a case-level expression selects, in order. */
static mn_status select_resources(ctx *x, const mn_fp_expr *e, const char *what, dated **out, size_t *n)
{
	mn_error er;
	mn_error_clear(&er);
	mn_fp_result *r;
	*out = NULL;
	*n = 0;
	const mn_score_config *cfg = x->cfg;
	unsigned bit = e == cfg->budapest.select ? MN_NATIVE_SELECT_FINDINGS : e == cfg->budapest.pain ?
	               MN_NATIVE_SELECT_PAIN : e == cfg->budapest.no_better ? MN_NATIVE_SELECT_NO_BETTER :
	               e == cfg->odi.select ? MN_NATIVE_SELECT_ODI : 0;
	if (bit & cfg->native) {
		size_t all = mn_case_count(x->c), k;
		const mn_resource **list = mn_arena_alloc(x->a, (all ? all : 1) * sizeof *list);
		if (!list)
			return mn_error_set(x->err, MN_ENOMEM, "out of memory");
		if (mn_clin_native_select(bit, x->c, list, &k) == 1) {
			dated *d = mn_arena_calloc(x->a, k ? k : 1, sizeof *d);
			if (!d)
				return mn_error_set(x->err, MN_ENOMEM, "out of memory");
			for (size_t i = 0; i < k; i++)
				d[i].res = list[i];
			*out = d;
			*n = k;
			return MN_OK;
		}
	}
	if (mn_fp_eval_case(e, x->env, x->c, x->a, &r, &er) != MN_OK)
		return eval_error(x, what, &er);
	size_t count = mn_fp_result_count(r), k = 0;
	dated *d = mn_arena_calloc(x->a, count ? count : 1, sizeof *d);
	if (!d)
		return mn_error_set(x->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const mn_fp_item *it = mn_fp_result_item(r, i);
		const mn_resource *res = mn_fp_item_resource(it);
		if (!res || mn_fp_item_node(it) != res->json) {
			mn_error_set_path(x->err, what);
			return mn_error_set(x->err, MN_EEVAL, "scores.yaml %s: the expression must select resources", what);
		}
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = d[j].res == res;
		if (!seen)
			d[k++].res = res;
	}
	*out = d;
	*n = k;
	return MN_OK;
}

static mn_status eval_on(ctx *x, const mn_fp_expr *e, const char *what, const mn_resource *res, mn_fp_result **r)
{
	mn_error er;
	mn_error_clear(&er);
	if (mn_fp_eval_resource(e, x->env, res, x->a, r, &er) != MN_OK)
		return eval_error(x, what, &er);
	return MN_OK;
}

static mn_status eval_items(ctx *x, const mn_fp_expr *e, const char *what, const mn_fp_result *in,
                            mn_fp_result **r)
{
	mn_error er;
	mn_error_clear(&er);
	if (mn_fp_eval_items(e, x->env, in, x->a, r, &er) != MN_OK)
		return eval_error(x, what, &er);
	return MN_OK;
}

/* Exactly one string, else NULL (*many set when there were several). */
static const char *one_string(const mn_fp_result *r, bool *many)
{
	if (many)
		*many = mn_fp_result_count(r) > 1;
	if (mn_fp_result_count(r) != 1)
		return NULL;
	const mn_fp_item *it = mn_fp_result_item(r, 0);
	if (mn_fp_item_kind(it) != MN_FP_STRING)
		return NULL;
	return mn_fp_item_string(it, NULL);
}

static bool one_number(const mn_fp_result *r, double *v)
{
	if (mn_fp_result_count(r) != 1)
		return false;
	const mn_fp_item *it = mn_fp_result_item(r, 0);
	mn_fp_kind k = mn_fp_item_kind(it);
	if (k != MN_FP_INTEGER && k != MN_FP_DECIMAL && k != MN_FP_QUANTITY)
		return false;
	*v = mn_fp_item_number(it);
	return isfinite(*v);
}

/* One boolean: yes or no; else unknown. */
static mn_tristate boolean_of(const mn_fp_result *r)
{
	if (mn_fp_result_count(r) != 1 || mn_fp_item_kind(mn_fp_result_item(r, 0)) != MN_FP_BOOLEAN)
		return MN_UNKNOWN;
	return mn_fp_item_boolean(mn_fp_result_item(r, 0)) ? MN_YES : MN_NO;
}

static bool day_of(const mn_datetime *dt, int64_t *day)
{
	if (!dt || dt->kind == MN_DT_TIME || dt->precision < MN_DT_DAY)
		return false;
	*day = mn_days_from_civil(dt->year, dt->month, dt->day);
	return true;
}

/* "%04d-%02d-%02d" of y (0 to 9999), m and d into b, without formatting */
static void day_chars(int y, int m, int d, char b[11])
{
	const char t[11] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10), (char)('0' + y / 10 % 10),
	                    (char)('0' + y % 10), '-', (char)('0' + m / 10), (char)('0' + m % 10), '-',
	                    (char)('0' + d / 10), (char)('0' + d % 10), 0};
	memcpy(b, t, sizeof t);
}

static const char *day_text(ctx *x, int64_t day)
{
	int y, m, d;
	mn_civil_from_days(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		return fmt(x, "%04d-%02d-%02d", y, m, d);
	char b[11];
	day_chars(y, m, d, b);
	return dup(x, b);
}

/* The first date/dateTime an expression gives: day-precise (1), imprecise
 * (0: text still set), or none (-1). */
static mn_status date_of(ctx *x, const mn_fp_expr *e, const char *what, const mn_resource *res, int64_t *day,
                         const char **text, int *found)
{
	mn_fp_result *r;
	mn_status rc = eval_on(x, e, what, res, &r);
	*found = -1;
	*text = NULL;
	if (rc != MN_OK)
		return rc;
	for (size_t i = 0; i < mn_fp_result_count(r); i++) {
		const mn_fp_item *it = mn_fp_result_item(r, i);
		if (mn_fp_item_kind(it) != MN_FP_DATE && mn_fp_item_kind(it) != MN_FP_DATETIME)
			continue;
		const mn_datetime *dt = mn_fp_item_datetime(it);
		if (day_of(dt, day)) {
			*found = 1;
			*text = day_text(x, *day);
		} else {
			char b[64];
			mn_datetime_format(dt, b, sizeof b);
			*found = 0;
			*text = dup(x, b);
		}
		break;
	}
	return MN_OK;
}

/* Fill each entry's date with the config's date expression; drop entries
 * after the as-of date. Entries without a day-precise date keep has_day
 * false. */
static mn_status date_all(ctx *x, dated *d, size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		int found = -2;
		mn_datetime dt;
		if (x->cfg->native & MN_NATIVE_DATE)
			found = mn_clin_native_date(d[i].res, &dt);
		if (found == 1 && day_of(&dt, &d[i].day))
			d[i].date = day_text(x, d[i].day);
		else if (found == -1)
			d[i].date = NULL;
		else {
			mn_status rc = date_of(x, x->cfg->date, "date", d[i].res, &d[i].day, &d[i].date, &found);
			if (rc != MN_OK)
				return rc;
		}
		d[i].has_day = found == 1;
		if (d[i].has_day && d[i].day > x->as_of_day)
			continue;
		d[k++] = d[i];
	}
	*n = k;
	return MN_OK;
}

static int cmp_dated(const void *pa, const void *pb)
{
	const dated *a = pa, *b = pb;
	if (a->has_day != b->has_day)
		return a->has_day ? 1 : -1;  /* undated first */
	if (a->has_day && a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->res->index < b->res->index ? -1 : a->res->index > b->res->index;
}

/* The entries an expression selects, each with its date, oldest first. */
static mn_status select_dated(ctx *x, const mn_fp_expr *sel, const char *what, dated **d, size_t *n)
{
	mn_status rc = select_resources(x, sel, what, d, n);
	if (rc == MN_OK)
		rc = date_all(x, *d, n);
	if (rc == MN_OK && *n)
		qsort(*d, *n, sizeof **d, cmp_dated);
	return rc;
}

/* ---- Budapest -------------------------------------------------------------- */

/* The encounter an entry was recorded in (the scores.yaml key), or NULL. */
static mn_status encounter_of(ctx *x, dated *d)
{
	if ((x->cfg->native & MN_NATIVE_ENCOUNTER) && mn_clin_native_encounter(d->res, &d->enc) == 1)
		return MN_OK;
	mn_fp_result *r;
	mn_status rc = eval_on(x, x->cfg->budapest.encounter, "budapest.encounter", d->res, &r);
	if (rc == MN_OK)
		d->enc = one_string(r, NULL);
	return rc;
}

/* One evaluation: the same encounter; without an encounter, the same day. */
static bool same_evaluation(const dated *a, const dated *b)
{
	if (a->enc || b->enc)
		return a->enc && b->enc && strcmp(a->enc, b->enc) == 0;
	return a->has_day && b->has_day && a->day == b->day;
}

/* The latest boolean answer among the entries a case-level expression
 * selects that belong to the evaluation. */
static mn_status latest_answer(ctx *x, const mn_fp_expr *sel, const char *what, const dated *eval,
                               mn_tristate *out, const dated **used)
{
	dated *d;
	size_t n;
	*out = MN_UNKNOWN;
	*used = NULL;
	mn_status rc = select_dated(x, sel, what, &d, &n);
	if (rc != MN_OK)
		return rc;
	for (size_t i = n; i-- > 0;) {
		if ((rc = encounter_of(x, &d[i])) != MN_OK)
			return rc;
		if (!same_evaluation(eval, &d[i]))
			continue;
		mn_tristate t;
		if (!(x->cfg->native & MN_NATIVE_ANSWER) || mn_clin_native_answer(d[i].res, &t) != 1) {
			mn_fp_result *r;
			if ((rc = eval_on(x, x->cfg->budapest.answer, "budapest.answer", d[i].res, &r)) != MN_OK)
				return rc;
			t = boolean_of(r);
		}
		if (t != MN_UNKNOWN) {
			*out = t;
			*used = &d[i];
			return MN_OK;
		}
	}
	return MN_OK;
}

static const char *tri_text(mn_tristate t)
{
	return t == MN_YES ? "yes" : t == MN_NO ? "no" : "not recorded";
}

static const char *met_text(mn_tristate t)
{
	return t == MN_YES ? "met" : t == MN_NO ? "not met" : "not determined";
}

static const char *category_list(ctx *x, const unsigned counts[MN_BUDAPEST_NCATEGORIES])
{
	char b[128] = "";
	for (int i = 0; i < MN_BUDAPEST_NCATEGORIES; i++)
		if (counts[i]) {
			if (*b)
				strcat(b, ", ");
			strcat(b, mn_budapest_category_name(i));
		}
	return dup(x, *b ? b : "none");
}

static void jcategories(ctx *x, bool *first, const char *key, const unsigned counts[MN_BUDAPEST_NCATEGORIES])
{
	jkey(x, first, key);
	jraw(x, "[");
	bool f = true;
	for (int i = 0; i < MN_BUDAPEST_NCATEGORIES; i++)
		if (counts[i]) {
			if (!f)
				jraw(x, ",");
			f = false;
			jstr(x, mn_budapest_category_name(i));
		}
	jraw(x, "]");
}

/* Whether a finding was present: MN_YES, MN_NO (recorded as absent) or
 * MN_UNKNOWN (the `positive` key gives no boolean). */
static mn_status finding_present(ctx *x, const dated *d, mn_tristate *out)
{
	if ((x->cfg->native & MN_NATIVE_POSITIVE) && mn_clin_native_positive(d->res, out) == 1)
		return MN_OK;
	mn_fp_result *r;
	mn_status rc = eval_on(x, x->cfg->budapest.positive, "budapest.positive", d->res, &r);
	*out = rc == MN_OK ? boolean_of(r) : MN_UNKNOWN;
	return rc;
}

/* A budapest key that gives codes (kind, category) on a finding: the one code, or NULL (*many when
 * several). */
static mn_status finding_code(ctx *x, const dated *d, bool category, const char **code, bool *many)
{
	if ((x->cfg->native & (category ? MN_NATIVE_CATEGORY : MN_NATIVE_KIND)) &&
	    mn_clin_native_codes(d->res, category, code, many) == 1)
		return MN_OK;
	mn_fp_result *r;
	mn_status rc = category ? eval_on(x, x->cfg->budapest.category, "budapest.category", d->res, &r)
	                        : eval_on(x, x->cfg->budapest.kind, "budapest.kind", d->res, &r);
	*code = rc == MN_OK ? one_string(r, many) : NULL;
	return rc;
}

/* The findings of one evaluation into the calculator's input; the others are
 * reported. *readable counts the findings with a kind and a category. */
static mn_status budapest_count(ctx *x, builder *b, dated *d, size_t n, const dated *eval, mn_budapest_input *in,
                                size_t *readable)
{
	size_t other = 0;
	mn_status rc;
	*readable = 0;
	for (size_t i = 0; i < n; i++) {
		if (!d[i].enc && !d[i].has_day) {
			detail(x, b, fmt(x, "%s: no encounter and no day-precise date, not counted", ref(x, d[i].res)));
			continue;
		}
		if (!same_evaluation(eval, &d[i])) {
			other++;
			continue;
		}
		bool many_k, many_c;
		const char *kind, *cat;
		if ((rc = finding_code(x, &d[i], false, &kind, &many_k)) != MN_OK ||
		    (rc = finding_code(x, &d[i], true, &cat, &many_c)) != MN_OK)
			return rc;
		int ci = mn_budapest_category_parse(cat);
		bool symptom = kind && strcmp(kind, "symptom") == 0, sign = kind && strcmp(kind, "sign") == 0;
		if (!symptom && !sign) {
			detail(x, b, fmt(x, "%s: %s, not counted", ref(x, d[i].res),
			                 many_k ? "both symptom and sign" : "neither symptom nor sign"));
			continue;
		}
		if (ci < 0) {
			detail(x, b, fmt(x, "%s: %s, not counted", ref(x, d[i].res),
			                 many_c ? "several Budapest categories" :
			                 cat ? fmt(x, "unknown category '%s'", cat) : "no Budapest category"));
			continue;
		}
		(*readable)++;
		mn_tristate present;
		if ((rc = finding_present(x, &d[i], &present)) != MN_OK)
			return rc;
		if (present == MN_NO) {
			detail(x, b, fmt(x, "%s: %s %s recorded as absent, not counted", ref(x, d[i].res),
			                 mn_budapest_category_name(ci), kind));
			continue;
		}
		if (present == MN_UNKNOWN) {
			detail(x, b, fmt(x, "%s: %s %s neither present nor absent in the record (free text only, or a "
			                 "value that is not a known finding code), not counted", ref(x, d[i].res),
			                 mn_budapest_category_name(ci), kind));
			if (symptom)
				in->symptoms_unreadable[ci]++;
			else
				in->signs_unreadable[ci]++;
			continue;
		}
		if (symptom)
			in->symptoms[ci]++;
		else
			in->signs[ci]++;
		source(x, b, d[i].res, symptom ? "symptom" : "sign", d[i].date);
	}
	if (other)
		detail(x, b, fmt(x, "%zu finding(s) from other evaluations not counted (symptoms and signs count only "
		                 "from one evaluation, the latest)", other));
	return MN_OK;
}

static mn_status do_budapest(ctx *x)
{
	const mn_score_config *cfg = x->cfg;
	builder b;
	start(&b, "budapest", "Budapest criteria for CRPS", "clinical and research criteria");
	dated *d;
	size_t n;
	mn_status rc = select_dated(x, cfg->budapest.select, "budapest.select", &d, &n);
	for (size_t i = 0; rc == MN_OK && i < n; i++)
		rc = encounter_of(x, &d[i]);
	if (rc != MN_OK)
		return rc;
	/* The evaluation: findings of one encounter, or of one day when they have
	 * no encounter. Its date is the latest day of its findings; the latest
	 * evaluation is used (oldest first, so that is the one holding the last
	 * dated finding; on a tie, the one recorded last). */
	dated eval;
	memset(&eval, 0, sizeof eval);
	bool have_eval = false;
	for (size_t i = n; i-- > 0 && !have_eval;)
		if (d[i].has_day) {
			eval = d[i];
			have_eval = true;
		}
	bool first = false;  /* after asOf */
	jkey(x, &first, "budapest");
	jraw(x, "{");
	bool f = true;
	mn_budapest_input in;
	memset(&in, 0, sizeof in);
	size_t readable = 0;
	if (have_eval && (rc = budapest_count(x, &b, d, n, &eval, &in, &readable)) != MN_OK)
		return rc;
	if (!have_eval || !readable) {
		b.s.computed = false;
		b.s.why_not = !n ? "no Budapest symptom or sign findings in the record"
		              : !have_eval ? "no Budapest symptom or sign finding with a day-precise date"
		                           : "no finding of the latest evaluation has a kind and a known category";
		jkbool(x, &f, "computed", false);
		jkstr(x, &f, "reason", b.s.why_not);
		if (have_eval) {
			jkstr(x, &f, "evaluationDate", day_text(x, eval.day));
			if (eval.enc)
				jkstr(x, &f, "evaluationEncounter", eval.enc);
		}
		jentries(x, &f, &b);
		jraw(x, "}");
		finish(x, &b);
		return MN_OK;
	}
	const dated *pain_used, *better_used;
	if ((rc = latest_answer(x, cfg->budapest.pain, "budapest.disproportionate-pain", &eval,
	                        &in.disproportionate_pain, &pain_used)) != MN_OK ||
	    (rc = latest_answer(x, cfg->budapest.no_better, "budapest.no-better-diagnosis", &eval,
	                        &in.no_better_diagnosis, &better_used)) != MN_OK)
		return rc;
	if (pain_used)
		source(x, &b, pain_used->res, "disproportionate-pain", pain_used->date);
	if (better_used)
		source(x, &b, better_used->res, "no-better-diagnosis", better_used->date);
	mn_budapest_result res;
	if ((rc = mn_budapest(&in, &res, x->err)) != MN_OK)
		return rc;
	b.s.computed = true;
	b.s.value = cat(x, 4, "clinical criteria ", met_text(res.clinical_met), "; research criteria ",
	                met_text(res.research_met));
	detail(x, &b, eval.enc ? cat(x, 5, "evaluation of ", day_text(x, eval.day), " (", eval.enc, ")")
	                       : cat(x, 2, "evaluation of ", day_text(x, eval.day)));
	detail(x, &b, cat(x, 5, "symptoms in ", num(x, res.symptom_categories), " of 4 categories (",
	                  category_list(x, in.symptoms), "); clinical needs 3, research all 4"));
	detail(x, &b, cat(x, 5, "signs in ", num(x, res.sign_categories), " of 4 categories (",
	                  category_list(x, in.signs), "); both variants need 2"));
	detail(x, &b, cat(x, 2, "continuing pain disproportionate to any inciting event: ",
	                  tri_text(in.disproportionate_pain)));
	detail(x, &b, cat(x, 2, "no other diagnosis better explains the signs and symptoms: ",
	                  tri_text(in.no_better_diagnosis)));
	jkbool(x, &f, "computed", true);
	jkstr(x, &f, "evaluationDate", day_text(x, eval.day));
	if (eval.enc)
		jkstr(x, &f, "evaluationEncounter", eval.enc);
	jknum(x, &f, "symptomCategories", res.symptom_categories);
	jknum(x, &f, "signCategories", res.sign_categories);
	jcategories(x, &f, "symptoms", in.symptoms);
	jcategories(x, &f, "signs", in.signs);
	if (in.disproportionate_pain != MN_UNKNOWN)
		jkbool(x, &f, "disproportionatePain", in.disproportionate_pain == MN_YES);
	if (in.no_better_diagnosis != MN_UNKNOWN)
		jkbool(x, &f, "noBetterDiagnosis", in.no_better_diagnosis == MN_YES);
	if (res.clinical_met != MN_UNKNOWN)
		jkbool(x, &f, "clinicalMet", res.clinical_met == MN_YES);
	if (res.research_met != MN_UNKNOWN)
		jkbool(x, &f, "researchMet", res.research_met == MN_YES);
	jentries(x, &f, &b);
	jraw(x, "}");
	finish(x, &b);
	return MN_OK;
}

/* ---- ODI ------------------------------------------------------------------- */

static mn_status odi_sections(ctx *x, const mn_resource *res, int sections[MN_ODI_SECTIONS], size_t *nsec,
                              const char **problem)
{
	const mn_score_config *cfg = x->cfg;
	mn_fp_result *r;
	*nsec = 0;
	*problem = NULL;
	for (int i = 0; i < MN_ODI_SECTIONS; i++)
		sections[i] = MN_ODI_UNANSWERED;
	if ((cfg->native & MN_NATIVE_ODI_SECTIONS) && mn_clin_native_odi_sections(res) == 0)
		return MN_OK;
	mn_status rc = eval_on(x, cfg->odi.sections, "odi.sections", res, &r);
	if (rc != MN_OK)
		return rc;
	*nsec = mn_fp_result_count(r);
	for (size_t i = 0; i < *nsec; i++) {
		mn_fp_result *one = mn_fp_result_slice(r, i, 1, x->a), *rn, *rs;
		if (!one)
			return mn_error_set(x->err, MN_ENOMEM, "out of memory");
		if ((rc = eval_items(x, cfg->odi.section_number, "odi.section-number", one, &rn)) != MN_OK ||
		    (rc = eval_items(x, cfg->odi.section_score, "odi.section-score", one, &rs)) != MN_OK)
			return rc;
		const char *ns = one_string(rn, NULL);
		char *end = NULL;
		long k = ns ? strtol(ns, &end, 10) : 0;
		if (!ns || !*ns || *end || k < 1 || k > MN_ODI_SECTIONS) {
			*problem = fmt(x, "section %zu has no section number 1-10", i + 1);
			return MN_OK;
		}
		if (sections[k - 1] != MN_ODI_UNANSWERED) {
			*problem = fmt(x, "section %ld recorded twice", k);
			return MN_OK;
		}
		if (mn_fp_result_count(rs) == 0)
			continue;  /* recorded as a section without an answer: not answered */
		double v;
		if (!one_number(rs, &v) || v != floor(v) || v < 0 || v > 5) {
			*problem = fmt(x, "section %ld: the answer is not a score 0-5", k);
			return MN_OK;
		}
		sections[k - 1] = (int)v;
	}
	return MN_OK;
}

static mn_status do_odi(ctx *x)
{
	const mn_score_config *cfg = x->cfg;
	dated *d;
	size_t n;
	mn_status rc = select_dated(x, cfg->odi.select, "odi.select", &d, &n);
	if (rc != MN_OK)
		return rc;
	bool first = false;
	jkey(x, &first, "odi");
	jraw(x, "[");
	if (!n) {
		builder b;
		start(&b, "odi", "Oswestry Disability Index", "none");
		b.s.why_not = "no Oswestry Disability Index in the record";
		finish(x, &b);
	}
	for (size_t i = 0; i < n; i++) {
		builder b;
		start(&b, "odi", "Oswestry Disability Index", "recorded total");
		source(x, &b, d[i].res, "total", d[i].date);
		int sections[MN_ODI_SECTIONS];
		size_t nsec;
		const char *problem;
		if ((rc = odi_sections(x, d[i].res, sections, &nsec, &problem)) != MN_OK)
			return rc;
		double recorded = 0, raw = 0;
		bool has_total, has_raw;
		unsigned both = MN_NATIVE_ODI_TOTAL | MN_NATIVE_ODI_VALUE;
		if ((cfg->native & both) != both ||
		    mn_clin_native_odi(d[i].res, &has_total, &recorded, &has_raw, &raw) != 1) {
			mn_fp_result *rt;
			if ((rc = eval_on(x, cfg->odi.total, "odi.total", d[i].res, &rt)) != MN_OK)
				return rc;
			mn_fp_result *rv;
			if ((rc = eval_on(x, cfg->odi.value, "odi.value", d[i].res, &rv)) != MN_OK)
				return rc;
			has_total = one_number(rt, &recorded);
			has_raw = one_number(rv, &raw);
		}
		has_raw = has_raw && !has_total;  /* a value that is not a percent */
		mn_odi_result res;
		mn_error e;
		mn_error_clear(&e);
		bool ok = false;
		if (nsec)
			b.s.variant = "from the section responses";
		if (nsec && !problem) {
			if (mn_odi_from_sections(sections, &res, &e) == MN_OK)
				ok = true;
			else
				problem = fmt(x, "%s", e.message);
		}
		if (!ok && !nsec && has_total) {
			if (mn_odi_from_total(recorded, &res, &e) == MN_OK)
				ok = true;
			else
				problem = fmt(x, "recorded total: %s", e.message);
		}
		if (!ok && !problem && !nsec && has_raw)
			problem = fmt(x, "raw score without sections: not converted (%s recorded, not a percent)", num(x, raw));
		if (!ok && !problem)
			problem = "no total percent and no section responses";
		if (!d[i].has_day)
			detail(x, &b, "no day-precise date");
		jraw(x, i ? ",{" : "{");
		bool f = true;
		jkstr(x, &f, "reference", ref(x, d[i].res));
		if (d[i].date)
			jkstr(x, &f, "date", d[i].date);
		if (ok) {
			b.s.computed = true;
			b.s.value = res.band != MN_ODI_BAND_NONE
			            ? cat(x, 4, num(x, res.percent), "% (", mn_odi_band_name(res.band), ")")
			            : cat(x, 2, num(x, res.percent), "% (between two published bands: no band given)");
			jkbool(x, &f, "computed", true);
			jknum(x, &f, "percent", res.percent);
			if (res.band != MN_ODI_BAND_NONE)
				jkstr(x, &f, "band", mn_odi_band_key(res.band));
			jkstr(x, &f, "from", res.answered < 0 ? "recorded-total" : "sections");
			if (res.answered >= 0) {
				detail(x, &b, fmt(x, "%d / %d x 100 (%d of 10 sections answered)", res.total, res.denominator,
				                  res.answered));
				jknum(x, &f, "total", res.total);
				jknum(x, &f, "answered", res.answered);
				if (has_total) {
					jknum(x, &f, "recordedPercent", recorded);
					if (fabs(recorded - res.percent) >= 0.5)
						detail(x, &b, fmt(x, "the recorded total %s%% differs from the sections' %s%%",
						                  num(x, recorded), num(x, res.percent)));
				} else if (has_raw) {
					jknum(x, &f, "recordedRaw", raw);
					if (raw != res.total)
						detail(x, &b, fmt(x, "the recorded raw score %s differs from the sections' total %d",
						                  num(x, raw), res.total));
				}
			}
		} else {
			b.s.why_not = problem;
			jkbool(x, &f, "computed", false);
			jkstr(x, &f, "reason", problem);
			if (has_raw)
				jknum(x, &f, "recordedRaw", raw);
		}
		jraw(x, "}");
		finish(x, &b);
	}
	jraw(x, "]");
	return MN_OK;
}

/* ---- pain scores and relief ------------------------------------------------ */

static mn_status pain_scores(ctx *x, dated **out, size_t *nout)
{
	dated *all = NULL;
	size_t n = 0, cap = 0;
	for (size_t s = 0; s < x->cfg->npain; s++) {
		const pain_scale *ps = &x->cfg->pain[s];
		dated *d;
		size_t k;
		mn_status rc = select_resources(x, ps->select, "pain.select", &d, &k);
		if (rc == MN_OK)
			rc = date_all(x, d, &k);
		if (rc != MN_OK)
			return rc;
		for (size_t i = 0; i < k; i++) {
			mn_fp_result *r;
			if ((rc = eval_on(x, ps->value, "pain.value", d[i].res, &r)) != MN_OK)
				return rc;
			double v;
			if (!d[i].has_day || !one_number(r, &v) || v < 0 || v > ps->max)
				continue;
			dated *g = grow(x, all, n, &cap, sizeof *g);
			if (!g)
				return mn_error_set(x->err, MN_ENOMEM, "out of memory");
			all = g;
			all[n] = d[i];
			all[n].value = v;
			all[n].scale = ps;
			n++;
		}
	}
	if (n)
		qsort(all, n, sizeof *all, cmp_dated);
	*out = all;
	*nout = n;
	return MN_OK;
}

static mn_status do_relief(ctx *x)
{
	const mn_score_config *cfg = x->cfg;
	dated *trials = NULL, *pain = NULL;
	size_t ntrials = 0, npain = 0;
	mn_status rc = select_resources(x, cfg->relief.select, "relief.select", &trials, &ntrials);
	if (rc == MN_OK)
		rc = pain_scores(x, &pain, &npain);
	if (rc != MN_OK)
		return rc;
	for (size_t i = 0; i < ntrials; i++) {
		int fs;
		const char *st;
		if ((rc = date_of(x, cfg->relief.start, "relief.start", trials[i].res, &trials[i].day, &st, &fs)) != MN_OK)
			return rc;
		trials[i].has_day = fs == 1;
		trials[i].date = st;
	}
	/* trials after the as-of date are not used */
	size_t k = 0;
	for (size_t i = 0; i < ntrials; i++)
		if (!trials[i].has_day || trials[i].day <= x->as_of_day)
			trials[k++] = trials[i];
	ntrials = k;
	if (ntrials)
		qsort(trials, ntrials, sizeof *trials, cmp_dated);
	bool first = false;
	jkey(x, &first, "relief");
	jraw(x, "[");
	if (!ntrials) {
		builder b;
		start(&b, "relief", "Percent pain relief on a stimulation trial", "none");
		b.s.why_not = "no stimulation trial with a performed period in the record";
		finish(x, &b);
	}
	for (size_t i = 0; i < ntrials; i++) {
		builder b;
		start(&b, "relief", "Percent pain relief on a stimulation trial",
		      "latest score before the trial vs latest score during it");
		const dated *t = &trials[i];
		source(x, &b, t->res, "trial", t->date);
		jraw(x, i ? ",{" : "{");
		bool f = true;
		jkstr(x, &f, "reference", ref(x, t->res));
		const char *why = NULL;
		int64_t end_day = x->as_of_day;
		const char *end_text = NULL;
		if (!t->has_day) {
			why = "the trial start has no day-precise date";
		} else {
			int fe;
			int64_t ed;
			if ((rc = date_of(x, cfg->relief.end, "relief.end", t->res, &ed, &end_text, &fe)) != MN_OK)
				return rc;
			if (fe == 0)
				why = "the trial end has no day-precise date";
			else if (fe == 1 && ed < end_day)
				end_day = ed;
			if (fe == 1 && ed > x->as_of_day)
				detail(x, &b, "the trial ends after the as-of date: scores up to the as-of date are used");
			if (fe != 1)
				end_text = NULL;
		}
		jkstr(x, &f, "trialStart", t->date ? t->date : "");
		if (!why) {
			jkstr(x, &f, "trialEnd", day_text(x, end_day));
			if (!end_text)
				detail(x, &b, "the trial has no end date: the as-of date is used");
		}
		const dated *base = NULL, *during = NULL;
		if (!why) {
			for (size_t s = 0; s < cfg->npain && !(base && during); s++) {
				const dated *bs = NULL, *ds = NULL;
				for (size_t p = 0; p < npain; p++) {
					if (pain[p].scale != &cfg->pain[s])
						continue;
					if (pain[p].day < t->day)
						bs = &pain[p];
					else if (pain[p].day <= end_day)
						ds = &pain[p];
				}
				if (bs && ds) {
					base = bs;
					during = ds;
				} else if (!base && !during) {
					why = fmt(x, "%s%s%s", bs ? "" : fmt(x, "no pain score before the trial start (%s)", t->date),
					          !bs && !ds ? "; " : "",
					          ds ? "" : fmt(x, "no pain score during the trial (%s to %s)", t->date,
					                        day_text(x, end_day)));
				}
			}
			if (base && during)
				why = NULL;
		}
		mn_relief_result rr;
		mn_error e;
		mn_error_clear(&e);
		if (!why && base && during &&
		    mn_relief(base->value, during->value, base->scale->max, &rr, &e) != MN_OK)
			why = fmt(x, "%s", e.message);
		if (!why && base && during) {
			b.s.computed = true;
			b.s.value = fmt(x, "%s%% relief (%s %s before, %s during the trial)", num(x, rr.percent),
			                base->scale->scale, num(x, rr.baseline), num(x, rr.trial));
			detail(x, &b, fmt(x, "(%s - %s) / %s x 100, %s", num(x, rr.baseline), num(x, rr.trial),
			                  num(x, rr.baseline), base->scale->title));
			source(x, &b, base->res, "baseline", base->date);
			source(x, &b, during->res, "trial-score", during->date);
			jkbool(x, &f, "computed", true);
			jkstr(x, &f, "scale", base->scale->scale);
			jknum(x, &f, "baseline", rr.baseline);
			jkstr(x, &f, "baselineReference", ref(x, base->res));
			jkstr(x, &f, "baselineDate", base->date);
			jknum(x, &f, "trialScore", rr.trial);
			jkstr(x, &f, "trialScoreReference", ref(x, during->res));
			jkstr(x, &f, "trialScoreDate", during->date);
			jknum(x, &f, "percent", rr.percent);
		} else {
			b.s.why_not = why ? why : "no pain scores";
			jkbool(x, &f, "computed", false);
			jkstr(x, &f, "reason", b.s.why_not);
		}
		jraw(x, "}");
		finish(x, &b);
	}
	jraw(x, "]");
	return MN_OK;
}

/* ---- MME ------------------------------------------------------------------- */

static bool jnum_of(const mn_json *v, double *out)
{
	if (!v || v->type != MN_JSON_NUMBER)
		return false;
	char b[64];
	size_t n = v->n < sizeof b - 1 ? v->n : sizeof b - 1;
	memcpy(b, v->u.s, n);
	b[n] = '\0';
	char *end;
	*out = mn_strtod(b, &end);
	return *end == '\0' && isfinite(*out);
}

static const mn_json *only_item(const mn_json *arr, size_t *count)
{
	*count = arr && arr->type == MN_JSON_ARRAY ? arr->n : 0;
	return *count ? &arr->u.items[0] : NULL;
}

/* Days in one of a UCUM time unit (s, min, h, d, wk); 0 for any other unit
 * (months and years have no fixed length). */
static double unit_days(const char *u)
{
	if (!u)
		return 0;
	if (strcmp(u, "s") == 0) return 1.0 / 86400;
	if (strcmp(u, "min") == 0) return 1.0 / 1440;
	if (strcmp(u, "h") == 0) return 1.0 / 24;
	if (strcmp(u, "d") == 0) return 1;
	if (strcmp(u, "wk") == 0) return 7;
	return 0;
}

/* The unit of a Quantity: its code, else its unit text. */
static const char *q_unit(const mn_json *q)
{
	const char *code = mn_json_get_string(q, "code");
	return code ? code : mn_json_get_string(q, "unit");
}

/* Timing.repeat.when codes (FHIR R4 event-timing) that occur once a day. The
 * meal codes C, AC and PC ("at/before/after a meal") do not say how many
 * meals, so they give no number. */
static bool when_once_a_day(const char *code)
{
	static const char *const once[] = {"MORN", "MORN.early", "MORN.late", "NOON", "AFT", "AFT.early",
	                                   "AFT.late", "EVE", "EVE.early", "EVE.late", "NIGHT", "PHS", "HS", "WAKE",
	                                   "CM", "CD", "CV", "ACM", "ACD", "ACV", "PCM", "PCD", "PCV", NULL};
	for (size_t i = 0; once[i]; i++)
		if (strcmp(code, once[i]) == 0)
			return true;
	return false;
}

/* The distinct strings of a JSON array (timeOfDay, when) as "a, b"; the
 * count in *n; NULL in *bad when an item is not a string or fails ok(). */
static const char *distinct_list(ctx *x, const mn_json *arr, bool (*ok)(const char *), size_t *n, const char **bad)
{
	*n = 0;
	*bad = NULL;
	if (!arr || arr->type != MN_JSON_ARRAY)
		return "";
	char list[512] = "";
	for (uint32_t i = 0; i < arr->n; i++) {
		const mn_json *v = &arr->u.items[i];
		if (v->type != MN_JSON_STRING) {
			*bad = "?";
			return "";
		}
		const char *s = fmt(x, "%.*s", (int)v->n, v->u.s);
		if (ok && !ok(s)) {
			*bad = s;
			return "";
		}
		bool seen = false;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = arr->u.items[j].type == MN_JSON_STRING && arr->u.items[j].n == v->n &&
			       memcmp(arr->u.items[j].u.s, v->u.s, v->n) == 0;
		if (seen)
			continue;
		(*n)++;
		size_t len = strlen(list);
		snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", s);
	}
	return fmt(x, "%s", list);
}

/* Doses per day from Timing.repeat: frequency per period; else the number
 * of distinct `when` event codes or `timeOfDay` times (each once a day).
 * NULL, or why not; *how says which was used. */
static const char *per_day_of(ctx *x, const mn_json *dosage, double *per_day, const char **how)
{
	const mn_json *timing = mn_json_get(dosage, "timing"), *rep = mn_json_get(timing, "repeat");
	if (!rep)
		return mn_json_get(timing, "code") ? "timing given only as a code, no Timing.repeat" : "no Timing.repeat";
	if (mn_json_get(rep, "frequencyMax") || mn_json_get(rep, "periodMax"))
		return "frequency or period given as a range";
	if (mn_json_get(rep, "dayOfWeek"))
		return "given for some days of the week only (dayOfWeek): the amount differs from day to day";
	size_t ntod, nwhen;
	const char *bad_tod, *bad_when;
	const char *tods = distinct_list(x, mn_json_get(rep, "timeOfDay"), NULL, &ntod, &bad_tod);
	const char *whens = distinct_list(x, mn_json_get(rep, "when"), when_once_a_day, &nwhen, &bad_when);
	if (bad_tod)
		return "a Timing.repeat.timeOfDay that is not a time";
	if (bad_when)
		return fmt(x, "Timing.repeat.when '%s' does not say how many times a day", bad_when);
	if (ntod && nwhen)
		return "both timeOfDay and when given";
	size_t times = ntod + nwhen;
	const char *times_text = ntod ? fmt(x, "timeOfDay %s", tods) : fmt(x, "when %s", whens);
	double freq = 0, period = 0;
	bool has_f = jnum_of(mn_json_get(rep, "frequency"), &freq), has_p = jnum_of(mn_json_get(rep, "period"), &period);
	if ((has_f && freq <= 0) || (has_p && period <= 0))
		return "frequency or period not positive";
	if (has_f && !has_p)
		return "no Timing.repeat.period";
	if (!has_p) {
		if (!times)
			return "no Timing.repeat.frequency, when or timeOfDay";
		*per_day = (double)times;
		*how = fmt(x, "%zu a day (%s)", times, times_text);
		return NULL;
	}
	const char *u = mn_json_get_string(rep, "periodUnit");
	if (!u)
		return "no Timing.repeat.periodUnit";
	double days = unit_days(u) * period;
	if (days <= 0)
		return fmt(x, "period unit '%s' has no fixed length in days", u);
	if (!has_f) {
		if (!times)
			return "no Timing.repeat.frequency";
		if (days != 1)
			return fmt(x, "%s with a period of %s %s: how many times a day is not stated", times_text, num(x, period),
			           u);
		freq = (double)times;
	} else if (times && days == 1 && (double)times != freq) {
		return fmt(x, "frequency %s a day and %s disagree", num(x, freq), times_text);
	}
	*per_day = freq / days;
	if (!isfinite(*per_day) || *per_day > 1e6)
		return "frequency out of range";
	*how = times ? fmt(x, "%s a day (%s)", num(x, *per_day), times_text)
	             : fmt(x, "%s a day (%s per %s %s)", num(x, *per_day), num(x, freq), num(x, period), u);
	return NULL;
}

/* A dose Quantity in the factor's unit: mg, or mcg/hr for a per-mcg/hr
 * factor, converted with UCUM; a count of the product's units is multiplied
 * by its strength (mme.c, mn_mme_dose_amount). The code is tried first, then
 * the unit text. NULL, or why not. */
static const char *dose_in_basis(ctx *x, const mn_json *q, const mn_mme_product *p, const mn_mme_factor *f,
                                 double *out)
{
	double v;
	if (!q || !jnum_of(mn_json_get(q, "value"), &v) || v <= 0)
		return "no dose quantity value";
	const char *code = mn_json_get_string(q, "code"), *unit = mn_json_get_string(q, "unit");
	char why[256], why2[256];
	if (mn_mme_dose_amount(p, f, v, code ? code : unit, out, why, sizeof why))
		return NULL;
	if (code && unit && strcmp(code, unit) != 0 && mn_mme_dose_amount(p, f, v, unit, out, why2, sizeof why2))
		return NULL;
	return fmt(x, "%s", why);
}

/* A rate (Quantity "mg/h", "ug/h", ...; or a Ratio of a mass to a time) in
 * mg/day, converted with UCUM (mme.c). NULL, or why not. */
static const char *rate_mg_per_day(ctx *x, const mn_json *rq, const mn_json *ratio, double *out)
{
	double v, tv = 1;
	const char *num_unit, *den_unit = NULL;
	char why[256];
	if (rq) {
		num_unit = q_unit(rq);
		if (!jnum_of(mn_json_get(rq, "value"), &v) || v < 0)
			return "rate without a value";
	} else {
		const mn_json *nu = mn_json_get(ratio, "numerator"), *de = mn_json_get(ratio, "denominator");
		if (!jnum_of(mn_json_get(nu, "value"), &v) || v < 0 || !jnum_of(mn_json_get(de, "value"), &tv) || tv <= 0)
			return "rate ratio without numerator and denominator values";
		num_unit = q_unit(nu);
		den_unit = q_unit(de);
		if (!den_unit)
			return "rate ratio without a denominator unit";
	}
	if (!mn_mme_rate_mg_per_day(v, num_unit, tv, den_unit, out, why, sizeof why))
		return fmt(x, "%s", why);
	return NULL;
}

/* The amount in the factor's basis from one Dosage (MedicationRequest,
 * MedicationDispense, MedicationStatement). NULL, or why not; *how says how
 * the daily amount was found. */
static const char *dosage_amount(ctx *x, const mn_json *dosage, const mn_mme_product *p, const mn_mme_factor *f,
                                 double *amount, const char **how, bool *prn)
{
	size_t nd;
	const mn_json *dr = only_item(mn_json_get(dosage, "doseAndRate"), &nd);
	const mn_json *pb = mn_json_get(dosage, "asNeededBoolean");
	*prn = (pb && pb->type == MN_JSON_TRUE) || mn_json_get(dosage, "asNeededCodeableConcept");
	*how = NULL;
	bool mcg_hr = f->basis == MN_MME_MCG_PER_HOUR;
	if (nd > 1)
		return "several doses in one dosage instruction";
	if (dr && mn_json_get(dr, "doseRange"))
		return "dose given as a range";
	if (dr && !mn_json_get(dr, "doseQuantity") && (mn_json_get(dr, "rateQuantity") || mn_json_get(dr, "rateRatio"))) {
		double mg_day;
		const char *w = rate_mg_per_day(x, mn_json_get(dr, "rateQuantity"), mn_json_get(dr, "rateRatio"), &mg_day);
		if (w)
			return w;
		*amount = mcg_hr ? mg_day * 1000 / 24 : mg_day;
		*how = "from the rate";
		return NULL;
	}
	const mn_json *maxp = mn_json_get(dosage, "maxDosePerPeriod");
	if (*prn && maxp && !mcg_hr) {
		/* as needed: the most the order allows */
		double mx, den;
		const mn_json *de = mn_json_get(maxp, "denominator");
		const char *w = dose_in_basis(x, mn_json_get(maxp, "numerator"), p, f, &mx);
		if (w)
			return fmt(x, "maxDosePerPeriod: %s", w);
		double days = jnum_of(mn_json_get(de, "value"), &den) && den > 0 ? unit_days(q_unit(de)) * den : 0;
		if (days <= 0)
			return "maxDosePerPeriod: the period is not in s, min, h, d or wk";
		*amount = mx / days;
		*how = fmt(x, "as needed: the maximum the order allows (maxDosePerPeriod %s mg per %s d)", num(x, mx),
		           num(x, days));
		return NULL;
	}
	if (!dr)
		return "no Dosage.doseAndRate";
	double dose;
	const char *w = dose_in_basis(x, mn_json_get(dr, "doseQuantity"), p, f, &dose);
	if (w)
		return w;
	if (mcg_hr) {
		*amount = dose;  /* mcg/hr: the patch rate, independent of how often it is changed */
		*how = "the patch rate";
		return NULL;
	}
	double per_day = 0;
	const char *t = "";
	if ((w = per_day_of(x, dosage, &per_day, &t)))
		return *prn ? fmt(x, "as needed, no maxDosePerPeriod and no schedule: %s", w) : w;
	mn_error e;
	mn_error_clear(&e);
	if (mn_mme_daily(dose, per_day, amount, &e) != MN_OK)
		return fmt(x, "%s", e.message);
	*how = *prn ? fmt(x, "as needed: at the scheduled frequency, %s (no maxDosePerPeriod)", t) : t;
	return NULL;
}

/* The amount from MedicationAdministration.dosage (dose and rate). */
static const char *admin_amount(ctx *x, const mn_json *dosage, const mn_mme_product *p, const mn_mme_factor *f,
                                double *amount, const char **how)
{
	bool mcg_hr = f->basis == MN_MME_MCG_PER_HOUR;
	const mn_json *rq = mn_json_get(dosage, "rateQuantity"), *rr = mn_json_get(dosage, "rateRatio");
	if (rq || rr) {
		double mg_day;
		const char *w = rate_mg_per_day(x, rq, rr, &mg_day);
		if (w)
			return w;
		*amount = mcg_hr ? mg_day * 1000 / 24 : mg_day;
		*how = "from the administration rate";
		return NULL;
	}
	if (mcg_hr && mn_json_get(dosage, "dose")) {
		*how = "the patch rate";
		return dose_in_basis(x, mn_json_get(dosage, "dose"), p, f, amount);
	}
	return mn_json_get(dosage, "dose") ? "one administration's dose and no rate: not a daily amount"
	                                   : "no dose or rate";
}

static const char *med_role(const mn_resource *r)
{
	const char *t = r->type_name;
	return strcmp(t, "MedicationRequest") == 0 ? "request" : strcmp(t, "MedicationDispense") == 0 ? "dispense"
	       : strcmp(t, "MedicationAdministration") == 0 ? "administration" : "statement";
}

/* Entries that record the same course as another selected entry (a dispense
 * of a selected order, a statement based on it): counted once, with it. */
static mn_status same_course(ctx *x, dated *d, size_t n, const mn_resource **with)
{
	const mn_fp_result **links = mn_arena_calloc(x->a, n ? n : 1, sizeof *links);
	if (!links)
		return mn_error_set(x->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		mn_fp_result *r;
		mn_status rc = eval_on(x, x->cfg->med.same_as, "mme.same-as", d[i].res, &r);
		if (rc != MN_OK)
			return rc;
		links[i] = r;
	}
	for (size_t i = 0; i < n; i++) {
		with[i] = NULL;
		for (size_t k = 0; k < mn_fp_result_count(links[i]) && !with[i]; k++) {
			const mn_resource *to = mn_fp_item_resource(mn_fp_result_item(links[i], k));
			for (size_t j = 0; j < n && !with[i]; j++) {
				if (j == i || d[j].res != to)
					continue;
				bool back = false;  /* two entries naming each other: the first one counts */
				for (size_t m = 0; m < mn_fp_result_count(links[j]) && !back; m++)
					back = mn_fp_item_resource(mn_fp_result_item(links[j], m)) == d[i].res;
				if (!back || j < i)
					with[i] = to;
			}
		}
	}
	return MN_OK;
}

static mn_status do_mme(ctx *x)
{
	const mn_score_config *cfg = x->cfg;
	const mn_mme_table *t = cfg->mme;
	builder b;
	start(&b, "mme", "Morphine milligram equivalents per day", t->id);
	dated *d;
	size_t n;
	mn_status rc = select_resources(x, cfg->med.select, "mme.select", &d, &n);
	if (rc != MN_OK)
		return rc;
	if (n)
		qsort(d, n, sizeof *d, cmp_dated);  /* record order */
	mn_mme_item *items = mn_arena_calloc(x->a, n ? n : 1, sizeof *items);
	const mn_resource **with = mn_arena_calloc(x->a, n ? n : 1, sizeof *with);
	const mn_mme_product **prod = mn_arena_calloc(x->a, n ? n : 1, sizeof *prod);  /* per entry read */
	if (!items || !with || !prod)
		return mn_error_set(x->err, MN_ENOMEM, "out of memory");
	if ((rc = same_course(x, d, n, with)) != MN_OK)
		return rc;
	size_t nitems = 0, unknown = 0, used = 0;
	bool first = false;
	jkey(x, &first, "mme");
	jraw(x, "{");
	bool f = true;
	jkstr(x, &f, "factorTable", t->id);
	mn_buf drugs = MN_BUF_INIT, others = MN_BUF_INIT, once = MN_BUF_INIT;
	mn_buf saved = x->json;
	for (size_t i = 0; i < n; i++) {
		const char *r = ref(x, d[i].res);
		mn_fp_result *rm, *rd, *rcur;
		if ((rc = eval_on(x, cfg->med.current, "mme.current", d[i].res, &rcur)) != MN_OK)
			goto out;
		bool cur_known = mn_fp_result_count(rcur) == 1 &&
		                 mn_fp_item_kind(mn_fp_result_item(rcur, 0)) == MN_FP_BOOLEAN;
		if (cur_known && !mn_fp_item_boolean(mn_fp_result_item(rcur, 0)))
			continue;  /* not taken on the as-of date (a dispense whose supply has run out) */
		used++;
		source(x, &b, d[i].res, med_role(d[i].res), NULL);
		if (with[i]) {
			x->json = once;
			jraw(x, once.len ? ",{" : "{");
			bool g = true;
			jkstr(x, &g, "reference", r);
			jkstr(x, &g, "countedWith", ref(x, with[i]));
			jraw(x, "}");
			once = x->json;
			detail(x, &b, fmt(x, "%s: the same course as %s, counted once with it", r, ref(x, with[i])));
			continue;
		}
		if ((rc = eval_on(x, cfg->med.medication, "mme.medication", d[i].res, &rm)) != MN_OK ||
		    (rc = eval_on(x, cfg->med.dosage, "mme.dosage", d[i].res, &rd)) != MN_OK)
			goto out;
		const mn_mme_product *p = NULL;
		const char *code = NULL, *display = NULL, *nofactor = NULL;
		for (size_t k = 0; k < mn_fp_result_count(rm) && !p; k++) {
			const mn_json *cn = mn_fp_item_node(mn_fp_result_item(rm, k));
			const char *sys = mn_json_get_string(cn, "system"), *cd = mn_json_get_string(cn, "code"), *w;
			if (!code) {
				code = cd;
				display = mn_json_get_string(cn, "display");
			}
			p = mn_mme_lookup(t, sys, cd, &w);  /* any RxNorm level: drug, pack or ingredient */
			if (!p && w && !nofactor) {
				nofactor = w;
				code = cd;
				display = mn_json_get_string(cn, "display");
			}
		}
		if (!p) {
			unknown++;
			x->json = others;
			jraw(x, others.len ? ",{" : "{");
			bool g = true;
			jkstr(x, &g, "reference", r);
			if (code)
				jkstr(x, &g, "code", code);
			if (display)
				jkstr(x, &g, "display", display);
			if (nofactor)
				jkstr(x, &g, "reason", nofactor);
			jraw(x, "}");
			others = x->json;
			detail(x, &b, nofactor ? fmt(x, "%s: %s%s%s: %s: not counted", r, code, display ? " " : "",
			                             display ? display : "", nofactor)
			                       : fmt(x, "%s: %s%s%s not in the factor table: not counted, no factor guessed", r,
			                             code ? code : "no medication code", display ? " " : "",
			                             display ? display : ""));
			continue;
		}
		const mn_mme_factor *fac = mn_mme_factor_find(t, p->drug);
		mn_mme_item *it = &items[nitems++];
		const char *why = NULL, *how = NULL;
		bool prn = false, period_unknown = !cur_known;
		double amount = 0;
		/* An earlier entry of another kind (an order and a statement, a dispense or an administration) for
		 * the same product, not linked to this one: possibly one course recorded twice. Two entries of one
		 * kind (two orders) are two courses and are added. */
		const mn_resource *twin = NULL;
		for (size_t j = 0; j < i && !twin; j++)
			if (prod[j] == p && strcmp(d[j].res->type_name, d[i].res->type_name) != 0)
				twin = d[j].res;
		prod[i] = p;
		if (twin) {
			why = fmt(x, "the same product as %s and not linked to it (basedOn, derivedFrom, "
			          "authorizingPrescription, request): possibly one course recorded twice, not added",
			          ref(x, twin));
		} else if (period_unknown) {
			why = "whether it is taken on the as-of date is not known (a dispense without a days supply in days)";
		} else if (fac->has_factor) {
			size_t nd = mn_fp_result_count(rd);
			bool admin = strcmp(d[i].res->type_name, "MedicationAdministration") == 0;
			if (nd == 0)
				why = "dose not structured: no Dosage (free text only, or none)";
			else if (nd > 1)
				why = "dose not structured: several dosage instructions, not combined";
			else {
				const mn_json *dn = mn_fp_item_node(mn_fp_result_item(rd, 0));
				const char *w = admin ? admin_amount(x, dn, p, fac, &amount, &how)
				                      : dosage_amount(x, dn, p, fac, &amount, &how, &prn);
				if (w)
					why = fmt(x, "dose not structured: %s", w);
			}
		}
		mn_mme_basis basis = fac->has_factor ? fac->basis : MN_MME_MG_PER_DAY;
		if (why) {
			memset(it, 0, sizeof *it);
			it->drug = p->drug;
			it->status = twin ? MN_MME_POSSIBLE_DUPLICATE
			             : period_unknown ? MN_MME_PERIOD_UNKNOWN : MN_MME_DOSE_NOT_STRUCTURED;
			it->reason = why;
		} else if ((rc = mn_mme_drug(t, p->drug, amount, basis, it, x->err)) != MN_OK) {
			goto out;
		}
		x->json = drugs;
		jraw(x, drugs.len ? ",{" : "{");
		bool g = true;
		jkstr(x, &g, "reference", r);
		jkstr(x, &g, "drug", p->drug);
		jkstr(x, &g, "product", p->display);
		jkstr(x, &g, "status", mn_mme_status_name(it->status));
		const char *unit = basis == MN_MME_MCG_PER_HOUR ? "mcg/hr" : "mg/day";
		if (it->status == MN_MME_COMPUTED) {
			jknum(x, &g, basis == MN_MME_MCG_PER_HOUR ? "mcgPerHour" : "mgPerDay", it->amount);
			jknum(x, &g, "factor", it->factor);
			jknum(x, &g, "mmePerDay", it->mme_per_day);
			if (prn)
				jkbool(x, &g, "asNeeded", true);
			if (how)
				jkstr(x, &g, "dosesFrom", how);
			detail(x, &b, fmt(x, "%s: %s %s %s x %s = %s MME/day%s%s%s", r, p->drug, num(x, it->amount), unit,
			                  num(x, it->factor), num(x, it->mme_per_day), how ? " (" : "", how ? how : "",
			                  how ? ")" : ""));
		} else {
			jkstr(x, &g, "reason", it->reason);
			detail(x, &b, fmt(x, "%s: %s: %s", r, p->drug, it->reason));
		}
		jraw(x, "}");
		drugs = x->json;
	}
	x->json = saved;
	/* the lists were written into buffers of their own: a write that failed there is out of memory too */
	x->oom |= drugs.failed || others.failed || once.failed;
	bool complete;
	double total = mn_mme_total(items, nitems, &complete);
	complete = complete && !unknown;
	jkbool(x, &f, "complete", complete);
	jknum(x, &f, complete ? "totalMmePerDay" : "partialMmePerDay", total);
	jkey(x, &f, "drugs");
	jraw(x, "[");
	mn_buf_put(&x->json, drugs.data, drugs.len);
	jraw(x, "]");
	jkey(x, &f, "notInTable");
	jraw(x, "[");
	mn_buf_put(&x->json, others.data, others.len);
	jraw(x, "]");
	jkey(x, &f, "countedWith");
	jraw(x, "[");
	mn_buf_put(&x->json, once.data, once.len);
	jraw(x, "]");
	jentries(x, &f, &b);
	jraw(x, "}");
	if (complete) {
		b.s.computed = true;
		b.s.value = used ? fmt(x, "%s MME/day", num(x, total))
		                 : "0 MME/day: no medication recorded as taken on the as-of date";
	} else {
		size_t computed = 0;
		for (size_t i = 0; i < nitems; i++)
			computed += items[i].status == MN_MME_COMPUTED;
		const char *parts = nitems > computed
		                    ? fmt(x, "%zu medication(s) in the factor table without an MME", nitems - computed) : "";
		const char *others_text = unknown ? fmt(x, "%s%zu medication(s) not in the factor table", *parts ? "; " : "",
		                                       unknown) : "";
		b.s.why_not = fmt(x, "no total: %s%s%s", parts, others_text,
		                  computed ? fmt(x, " (the %zu computed give %s MME/day)", computed, num(x, total)) : "");
	}
	detail(x, &b, fmt(x, "factors: %s", t->citation));
	finish(x, &b);
out:
	if (rc != MN_OK)
		x->json = saved;
	mn_buf_free(&drugs);
	mn_buf_free(&others);
	mn_buf_free(&once);
	return rc;
}

/* ---- EQ-5D ----------------------------------------------------------------- */

static mn_status do_eq5d(ctx *x)
{
	const mn_score_config *cfg = x->cfg;
	dated *d;
	size_t n;
	mn_status rc = select_dated(x, cfg->eq5d.select, "eq5d.select", &d, &n);
	if (rc != MN_OK)
		return rc;
	bool first = false;
	jkey(x, &first, "eq5d");
	jraw(x, "[");
	if (!n) {
		builder b;
		start(&b, "eq5d", "EQ-5D health state", "none");
		b.s.why_not = "no EQ-5D response in the record";
		finish(x, &b);
	}
	for (size_t i = 0; i < n; i++) {
		builder b;
		start(&b, "eq5d", "EQ-5D health state", "");
		source(x, &b, d[i].res, "eq5d", d[i].date);
		mn_fp_result *rv, *rdims, *ri, *rs;
		if ((rc = eval_on(x, cfg->eq5d.version, "eq5d.version", d[i].res, &rv)) != MN_OK ||
		    (rc = eval_on(x, cfg->eq5d.dimensions, "eq5d.dimensions", d[i].res, &rdims)) != MN_OK ||
		    (rc = eval_on(x, cfg->eq5d.index, "eq5d.index", d[i].res, &ri)) != MN_OK ||
		    (rc = eval_on(x, cfg->eq5d.value_set, "eq5d.value-set", d[i].res, &rs)) != MN_OK)
			return rc;
		const char *v = one_string(rv, NULL), *why = NULL;
		mn_eq5d_input in;
		memset(&in, 0, sizeof in);
		in.version = v && strcmp(v, "eq-5d-5l") == 0 ? 5 : v && strcmp(v, "eq-5d-3l") == 0 ? 3 : 0;
		b.s.variant = in.version == 5 ? "EQ-5D-5L" : in.version == 3 ? "EQ-5D-3L" : "unknown version";
		for (size_t k = 0; k < mn_fp_result_count(rdims) && !why; k++) {
			mn_fp_result *one = mn_fp_result_slice(rdims, k, 1, x->a), *rn, *rl;
			if (!one)
				return mn_error_set(x->err, MN_ENOMEM, "out of memory");
			if ((rc = eval_items(x, cfg->eq5d.dimension, "eq5d.dimension", one, &rn)) != MN_OK ||
			    (rc = eval_items(x, cfg->eq5d.level, "eq5d.level", one, &rl)) != MN_OK)
				return rc;
			const char *dn = one_string(rn, NULL);
			int di = -1;
			for (int j = 0; dn && j < MN_EQ5D_DIMENSIONS; j++)
				if (strcmp(dn, mn_eq5d_dimension_name(j)) == 0)
					di = j;
			double lv;
			if (di < 0)
				why = fmt(x, "unknown dimension '%s'", dn ? dn : "");
			else if (in.levels[di])
				why = fmt(x, "%s recorded twice", dn);
			else if (!one_number(rl, &lv) || lv != floor(lv) || lv < 1 || lv > 5)
				why = fmt(x, "%s: no level 1-5", dn);
			else
				in.levels[di] = (int)lv;
		}
		for (int j = 0; j < MN_EQ5D_DIMENSIONS && !why; j++)
			if (!in.levels[j])
				why = fmt(x, "%s not recorded", mn_eq5d_dimension_name(j));
		mn_eq5d_result res;
		mn_error e;
		mn_error_clear(&e);
		if (!why && mn_eq5d(&in, &res, &e) != MN_OK)
			why = fmt(x, "%s", e.message);
		double idx = 0;
		bool has_idx = one_number(ri, &idx);
		const char *vs = one_string(rs, NULL);
		jraw(x, i ? ",{" : "{");
		bool f = true;
		jkstr(x, &f, "reference", ref(x, d[i].res));
		if (d[i].date)
			jkstr(x, &f, "date", d[i].date);
		if (in.version)
			jkstr(x, &f, "version", b.s.variant);
		if (!why) {
			b.s.computed = true;
			b.s.value = fmt(x, "health state %s (%s); %s", res.state, b.s.variant, res.index_note);
			jkbool(x, &f, "computed", true);
			jkstr(x, &f, "state", res.state);
			for (int j = 0; j < MN_EQ5D_DIMENSIONS; j++)
				detail(x, &b, fmt(x, "%s: level %d", mn_eq5d_dimension_name(j), in.levels[j]));
		} else {
			b.s.why_not = why;
			jkbool(x, &f, "computed", false);
			jkstr(x, &f, "reason", why);
		}
		jkbool(x, &f, "indexComputed", false);
		jkstr(x, &f, "indexNote", "index not computed: no verified value-set table shipped");
		if (has_idx && vs) {
			jknum(x, &f, "recordedIndex", idx);
			jkstr(x, &f, "recordedValueSet", vs);
			detail(x, &b, fmt(x, "recorded index %s (value set: %s), as recorded, not computed", num(x, idx), vs));
		} else if (has_idx) {
			detail(x, &b, fmt(x, "a recorded index %s names no value set: not used", num(x, idx)));
		}
		jraw(x, "}");
		finish(x, &b);
	}
	jraw(x, "]");
	return MN_OK;
}

/* ---- entry point ----------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
	mn_status (*run)(ctx *x);
} calculators[] = {
	{"budapest", MN_SCORE_BUDAPEST, do_budapest},
	{"odi", MN_SCORE_ODI, do_odi},
	{"mme", MN_SCORE_MME, do_mme},
	{"relief", MN_SCORE_RELIEF, do_relief},
	{"eq5d", MN_SCORE_EQ5D, do_eq5d},
};

unsigned mn_score_bit(const char *name, size_t len)
{
	for (size_t i = 0; name && i < sizeof calculators / sizeof calculators[0]; i++)
		if (strlen(calculators[i].name) == len && memcmp(calculators[i].name, name, len) == 0)
			return calculators[i].bit;
	return 0;
}

mn_status mn_scores_compute(const mn_score_config *cfg, const mn_case *c, const mn_datetime *as_of,
                            mn_arena *arena, mn_scores **out, mn_error *err)
{
	return mn_scores_compute_some(cfg, c, as_of, MN_SCORES_ALL, arena, out, err);
}

mn_status mn_scores_compute_some(const mn_score_config *cfg, const mn_case *c, const mn_datetime *as_of,
                                 unsigned want, mn_arena *arena, mn_scores **out, mn_error *err)
{
	*out = NULL;
	if (!cfg || !c || !as_of || !arena)
		return mn_error_set(err, MN_EUSAGE, "scores: no configuration, case, date or arena");
	int64_t day;
	if (as_of->kind != MN_DT_DATE || !day_of(as_of, &day))
		return mn_error_set(err, MN_EUSAGE, "scores: the as-of date must be a full date (YYYY-MM-DD)");
	ctx x;
	memset(&x, 0, sizeof x);
	x.cfg = cfg;
	x.c = c;
	x.a = arena;
	x.err = err;
	x.as_of_day = day;
	x.env = mn_fp_env_new();
	mn_scores *s = mn_arena_calloc(arena, 1, sizeof *s);
	if (!x.env || !s) {
		mn_fp_env_free(x.env);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	mn_fp_env_set_now(x.env, as_of);
	mn_fp_env_set_case(x.env, c);
	if (as_of->precision == MN_DT_DAY && as_of->year >= 0 && as_of->year <= 9999)
		day_chars(as_of->year, as_of->month, as_of->day, s->as_of);  /* mn_datetime_format's text for it */
	else
		mn_datetime_format(as_of, s->as_of, sizeof s->as_of);
	mn_buf_puts(&x.json, "{");
	bool first = true;
	jkstr(&x, &first, "asOf", s->as_of);
	mn_status rc = MN_OK;
	for (size_t i = 0; rc == MN_OK && i < sizeof calculators / sizeof calculators[0]; i++)
		if (want & calculators[i].bit)
			rc = calculators[i].run(&x);  /* each writes ,"name":value */
	jraw(&x, "}");
	mn_fp_env_free(x.env);
	if (rc == MN_OK && (x.oom || x.json.failed))
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
	if (rc == MN_OK) {
		mn_json *j;
		mn_error e;
		mn_error_clear(&e);
		/* parsed in place in a copy that lives as long as the tree: its strings are not copied again */
		char *text = mn_arena_alloc(arena, x.json.len + 1);
		if (text)
			memcpy(text, x.json.data, x.json.len + 1);
		if (!text)
			rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		else if (mn_json_parse_insitu(arena, "scores", text, x.json.len, &j, &e) != MN_OK)
			rc = e.code == MN_ENOMEM ? mn_error_set(err, MN_ENOMEM, "out of memory")
			                         : mn_error_set(err, MN_EINTERNAL, "scores: invalid JSON written: %s", e.message);
		else
			s->json = j;
	}
	mn_buf_free(&x.json);
	if (rc != MN_OK)
		return rc;
	s->scores = x.scores;
	s->nscores = x.nscores;
	*out = s;
	return MN_OK;
}
