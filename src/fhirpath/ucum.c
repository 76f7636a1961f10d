/*
 * ucum.c: enough of UCUM (the Unified Code for Units of Measure,
 * http://unitsofmeasure.org/ucum.html) to compare and multiply quantities.
 *
 * A unit string is parsed by the UCUM grammar (components joined by '.' and
 * '/', exponents such as m2 or s-1, parentheses, 10*3 factors, {annotations})
 * into a factor and a dimension vector over the base units m, g, s, A, K,
 * mol, cd plus one "arbitrary" slot (for [iU] and similar units that only
 * compare with themselves). The atom table carries the factors UCUM defines
 * (ucum.html, tables 1-7: SI prefixes; min = 60 s, h = 60 min, d = 24 h,
 * wk = 7 d, a = 365.25 d (a_j), mo = a/12; L = dm3; [in_i] = 2.54 cm,
 * [ft_i] = 12 [in_i], [lb_av] = 7000 [gr] = 453.59237 g, [oz_av] = [lb_av]/16,
 * mm[Hg] = 133.3220 Pa (13.5951 kPa/m water column per the table), cal =
 * 4.184 J, % = 10*-2, ...). The units with offsets (Cel, [degF]) parse as
 * arbitrary units of their own; fp_ucum_special gives their scale and offset
 * to kelvin for conversion. fp_ucum_product builds the unit of a product or
 * quotient ("cm2" / "cm" = "cm"). Two spellings that are not UCUM but common
 * in records are accepted: Eq (as eq, "mEq/L") and IU (as [IU]).
 */
#include "fhirpath/fhirpath_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { D_M, D_G, D_S, D_A, D_K, D_MOL, D_CD, D_ARB };

typedef struct atom {
	const char *code;
	double factor;
	int8_t dim[8];
	bool metric;  /* may take a prefix */
} atom;

static const atom ATOMS[] = {
	{"m", 1, {1, 0, 0, 0, 0, 0, 0, 0}, true},
	{"g", 1, {0, 1, 0, 0, 0, 0, 0, 0}, true},
	{"s", 1, {0, 0, 1, 0, 0, 0, 0, 0}, true},
	{"A", 1, {0, 0, 0, 1, 0, 0, 0, 0}, true},
	{"K", 1, {0, 0, 0, 0, 1, 0, 0, 0}, true},
	{"mol", 1, {0, 0, 0, 0, 0, 1, 0, 0}, true},
	{"cd", 1, {0, 0, 0, 0, 0, 0, 1, 0}, true},
	{"rad", 1, {0}, true},
	{"sr", 1, {0}, true},
	{"min", 60, {0, 0, 1, 0, 0, 0, 0, 0}, false},
	{"h", 3600, {0, 0, 1, 0, 0, 0, 0, 0}, false},
	{"d", 86400, {0, 0, 1, 0, 0, 0, 0, 0}, false},
	{"wk", 604800, {0, 0, 1, 0, 0, 0, 0, 0}, false},
	{"a", 31557600, {0, 0, 1, 0, 0, 0, 0, 0}, false},
	{"mo", 2629800, {0, 0, 1, 0, 0, 0, 0, 0}, false},
	{"L", 0.001, {3, 0, 0, 0, 0, 0, 0, 0}, true},
	{"l", 0.001, {3, 0, 0, 0, 0, 0, 0, 0}, true},
	{"Hz", 1, {0, 0, -1, 0, 0, 0, 0, 0}, true},
	{"N", 1000, {1, 1, -2, 0, 0, 0, 0, 0}, true},
	{"Pa", 1000, {-1, 1, -2, 0, 0, 0, 0, 0}, true},
	{"bar", 1e8, {-1, 1, -2, 0, 0, 0, 0, 0}, true},
	{"J", 1000, {2, 1, -2, 0, 0, 0, 0, 0}, true},
	{"W", 1000, {2, 1, -3, 0, 0, 0, 0, 0}, true},
	{"C", 1, {0, 0, 1, 1, 0, 0, 0, 0}, true},
	{"V", 1000, {2, 1, -3, -1, 0, 0, 0, 0}, true},
	{"cal", 4184, {2, 1, -2, 0, 0, 0, 0, 0}, true},
	{"[Cal]", 4184000, {2, 1, -2, 0, 0, 0, 0, 0}, false},
	{"eq", 1, {0, 0, 0, 0, 0, 1, 0, 0}, true},
	{"Eq", 1, {0, 0, 0, 0, 0, 1, 0, 0}, true},   /* common non-UCUM spelling (mEq/L) */
	{"osm", 1, {0, 0, 0, 0, 0, 1, 0, 0}, true},
	{"U", 1e-6 / 60, {0, 0, -1, 0, 0, 1, 0, 0}, true},
	{"kat", 1, {0, 0, -1, 0, 0, 1, 0, 0}, true},
	{"t", 1e6, {0, 1, 0, 0, 0, 0, 0, 0}, true},
	{"u", 1.66053906660e-24, {0, 1, 0, 0, 0, 0, 0, 0}, true},
	{"%", 0.01, {0}, false},
	{"[ppm]", 1e-6, {0}, false},
	{"[ppb]", 1e-9, {0}, false},
	{"[pi]", 3.14159265358979, {0}, false},
	{"[in_i]", 0.0254, {1, 0, 0, 0, 0, 0, 0, 0}, false},
	{"[ft_i]", 0.3048, {1, 0, 0, 0, 0, 0, 0, 0}, false},
	{"[yd_i]", 0.9144, {1, 0, 0, 0, 0, 0, 0, 0}, false},
	{"[mi_i]", 1609.344, {1, 0, 0, 0, 0, 0, 0, 0}, false},
	{"[lb_av]", 453.59237, {0, 1, 0, 0, 0, 0, 0, 0}, false},
	{"[oz_av]", 28.349523125, {0, 1, 0, 0, 0, 0, 0, 0}, false},
	{"[gr]", 0.06479891, {0, 1, 0, 0, 0, 0, 0, 0}, false},
	{"[stone_av]", 6350.29318, {0, 1, 0, 0, 0, 0, 0, 0}, false},
	{"[foz_us]", 2.95735295625e-5, {3, 0, 0, 0, 0, 0, 0, 0}, false},
	{"[tsp_us]", 4.92892159375e-6, {3, 0, 0, 0, 0, 0, 0, 0}, false},
	{"[tbs_us]", 1.478676478125e-5, {3, 0, 0, 0, 0, 0, 0, 0}, false},
	{"[cup_us]", 2.365882365e-4, {3, 0, 0, 0, 0, 0, 0, 0}, false},
	{"[drp]", 5e-8, {3, 0, 0, 0, 0, 0, 0, 0}, false},
	{"mm[Hg]", 133322.0, {-1, 1, -2, 0, 0, 0, 0, 0}, false},
	{"cm[H2O]", 98066.5, {-1, 1, -2, 0, 0, 0, 0, 0}, false},
	{"[psi]", 6894757.29, {-1, 1, -2, 0, 0, 0, 0, 0}, false},
	{"atm", 101325000, {-1, 1, -2, 0, 0, 0, 0, 0}, false},
	{"[iU]", 1, {0, 0, 0, 0, 0, 0, 0, 1}, true},
	{"[IU]", 1, {0, 0, 0, 0, 0, 0, 0, 1}, true},
	{"IU", 1, {0, 0, 0, 0, 0, 0, 0, 1}, true},   /* common non-UCUM spelling of [IU] */
	{"Cel", 1, {0, 0, 0, 0, 0, 0, 0, 2}, false},
	{"[degF]", 1, {0, 0, 0, 0, 0, 0, 0, 3}, false},
	{"[pH]", 1, {0, 0, 0, 0, 0, 0, 0, 4}, false},
	{"[HPF]", 1, {0, 0, 0, 0, 0, 0, 0, 5}, false},
	{"[LPF]", 1, {0, 0, 0, 0, 0, 0, 0, 6}, false},
	{"[arb'U]", 1, {0, 0, 0, 0, 0, 0, 0, 7}, false},
	{"10*", 10, {0}, false},  /* handled specially */
};

static const struct prefix { const char *p; double f; } PREFIXES[] = {
	{"da", 1e1}, {"Y", 1e24}, {"Z", 1e21}, {"E", 1e18}, {"P", 1e15}, {"T", 1e12},
	{"G", 1e9}, {"M", 1e6}, {"k", 1e3}, {"h", 1e2}, {"d", 1e-1}, {"c", 1e-2},
	{"m", 1e-3}, {"u", 1e-6}, {"n", 1e-9}, {"p", 1e-12}, {"f", 1e-15}, {"a", 1e-18},
	{"z", 1e-21}, {"y", 1e-24},
};

static const atom *find_atom(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof ATOMS / sizeof ATOMS[0]; i++)
		if (strlen(ATOMS[i].code) == n && memcmp(ATOMS[i].code, s, n) == 0)
			return &ATOMS[i];
	return NULL;
}

/* symbol (with optional prefix) into u (multiplied in with exponent e). */
static bool apply_symbol(const char *s, size_t n, int e, fp_unit *u)
{
	const atom *a = find_atom(s, n);
	double pf = 1;
	if (!a) {
		for (size_t i = 0; i < sizeof PREFIXES / sizeof PREFIXES[0] && !a; i++) {
			size_t k = strlen(PREFIXES[i].p);
			if (n > k && memcmp(s, PREFIXES[i].p, k) == 0) {
				const atom *b = find_atom(s + k, n - k);
				if (b && b->metric) {
					a = b;
					pf = PREFIXES[i].f;
				}
			}
		}
	}
	if (!a)
		return false;
	u->factor *= pow(a->factor * pf, e);
	for (int d = 0; d < 8; d++)
		u->dim[d] = (int8_t)(u->dim[d] + a->dim[d] * e);
	return true;
}

typedef struct uparser { const char *s; size_t n, i; int depth; } uparser;

static bool parse_term(uparser *p, fp_unit *u);

/* component -> annotatable exponent? | '(' term ')' | factor | annotation */
static bool parse_component(uparser *p, fp_unit *u, int sign)
{
	const char *s = p->s;
	size_t n = p->n;
	if (p->i < n && s[p->i] == '(') {
		if (++p->depth > 16)
			return false;
		p->i++;
		fp_unit inner;
		memset(&inner, 0, sizeof inner);
		inner.factor = 1;
		if (!parse_term(p, &inner) || p->i >= n || s[p->i] != ')')
			return false;
		p->i++;
		p->depth--;
		u->factor *= pow(inner.factor, sign);
		for (int d = 0; d < 8; d++)
			u->dim[d] = (int8_t)(u->dim[d] + inner.dim[d] * sign);
		return true;
	}
	if (p->i < n && s[p->i] == '{') {
		while (p->i < n && s[p->i] != '}')
			p->i++;
		if (p->i >= n)
			return false;
		p->i++;
		return true;
	}
	if (p->i < n && isdigit((unsigned char)s[p->i])) {
		size_t st = p->i;
		while (p->i < n && isdigit((unsigned char)s[p->i]))
			p->i++;
		double v = mn_strtod(s + st, NULL);
		if (p->i < n && (s[p->i] == '*' || s[p->i] == '^')) {
			p->i++;
			int es = 1;
			if (p->i < n && (s[p->i] == '-' || s[p->i] == '+')) {
				es = s[p->i] == '-' ? -1 : 1;
				p->i++;
			}
			size_t e0 = p->i;
			while (p->i < n && isdigit((unsigned char)s[p->i]))
				p->i++;
			if (p->i == e0)
				return false;
			v = pow(v, es * atoi(s + e0));
		}
		u->factor *= pow(v, sign);
		if (p->i < n && s[p->i] == '{')
			return parse_component(p, u, sign);
		return true;
	}
	/* a symbol: up to an exponent, an operator or the end; brackets are opaque */
	size_t st = p->i;
	while (p->i < n) {
		char c = s[p->i];
		if (c == '[') {
			while (p->i < n && s[p->i] != ']')
				p->i++;
			if (p->i >= n)
				return false;
			p->i++;
			continue;
		}
		if (c == '.' || c == '/' || c == '(' || c == ')' || c == '{' || isdigit((unsigned char)c))
			break;
		if ((c == '+' || c == '-') && p->i + 1 < n && isdigit((unsigned char)s[p->i + 1]))
			break;
		p->i++;
	}
	size_t len = p->i - st;
	if (len == 0)
		return false;
	int e = 1;
	if (p->i < n && (s[p->i] == '+' || s[p->i] == '-' || isdigit((unsigned char)s[p->i]))) {
		int es = 1;
		if (s[p->i] == '-' || s[p->i] == '+') {
			es = s[p->i] == '-' ? -1 : 1;
			p->i++;
		}
		size_t e0 = p->i;
		while (p->i < n && isdigit((unsigned char)s[p->i]))
			p->i++;
		if (p->i == e0 || p->i - e0 > 3)
			return false;
		e = es * atoi(s + e0);
	}
	if (!apply_symbol(s + st, len, e * sign, u))
		return false;
	if (p->i < n && s[p->i] == '{')
		return parse_component(p, u, sign);
	return true;
}

/* term -> '/'? component (('.' | '/') component)* */
static bool parse_term(uparser *p, fp_unit *u)
{
	int sign = 1;
	if (p->i < p->n && p->s[p->i] == '/') {
		sign = -1;
		p->i++;
	}
	if (!parse_component(p, u, sign))
		return false;
	while (p->i < p->n && (p->s[p->i] == '.' || p->s[p->i] == '/')) {
		sign = p->s[p->i] == '/' ? -1 : 1;
		p->i++;
		if (!parse_component(p, u, sign))
			return false;
	}
	return true;
}

/* A small per-thread cache of parsed units: the same few units are compared
 * again and again (every Observation against one threshold). */
#define UCACHE 16
static _Thread_local struct ucache { char key[24]; uint8_t len; fp_unit u; } ucache[UCACHE];
static _Thread_local unsigned ucache_next;

static bool parse_uncached(const char *s, size_t n, fp_unit *u);

bool fp_ucum_parse(const char *s, size_t n, fp_unit *u)
{
	if (n == 0 || n >= sizeof ucache[0].key)
		return parse_uncached(s, n, u);
	for (unsigned i = 0; i < UCACHE; i++)
		if (ucache[i].len == n && memcmp(ucache[i].key, s, n) == 0) {
			*u = ucache[i].u;
			return u->ok;
		}
	bool ok = parse_uncached(s, n, u);
	struct ucache *c = &ucache[ucache_next++ % UCACHE];
	memcpy(c->key, s, n);
	c->len = (uint8_t)n;
	c->u = *u;
	c->u.ok = ok;
	return ok;
}

static bool parse_uncached(const char *s, size_t n, fp_unit *u)
{
	memset(u, 0, sizeof *u);
	u->factor = 1;
	if (n == 0 || (n == 1 && s[0] == '1')) {
		u->ok = true;
		return true;
	}
	uparser p = {s, n, 0, 0};
	if (!parse_term(&p, u) || p.i != n || !isfinite(u->factor) || u->factor == 0) {
		u->ok = false;
		return false;
	}
	u->ok = true;
	return true;
}

bool fp_ucum_same_dim(const fp_unit *a, const fp_unit *b)
{
	return memcmp(a->dim, b->dim, sizeof a->dim) == 0;
}

/* The UCUM equivalent of a calendar word from week down. */
static const char *calendar_ucum(const char *w)
{
	int p = fp_calendar_unit(w, strlen(w));
	switch (p) {
	case 8: return "wk";
	case MN_DT_DAY: return "d";
	case MN_DT_HOUR: return "h";
	case MN_DT_MINUTE: return "min";
	case MN_DT_SECOND: return "s";
	case MN_DT_MILLISECOND: return "ms";
	default: return NULL;
	}
}

bool fp_quantity_normalize(const mn_fp_item *q, fp_unit *u, double *base_value)
{
	const char *unit = q->unit ? q->unit : "1";
	if (q->flags & FPI_CALENDAR) {
		unit = calendar_ucum(unit);
		if (!unit)
			return false;
	}
	if (!fp_ucum_parse(unit, strlen(unit), u))
		return false;
	*base_value = q->v.d * u->factor;
	return true;
}

/* ---- units on a non-ratio scale ------------------------------------------ */

/* UCUM's special units Cel and [degF] (ucum.html table 19): the value in
 * kelvin is value * factor + offset. Only the unit alone is recognized (no
 * prefix, no product): UCUM allows no algebra on special units. */
bool fp_ucum_special(const char *s, size_t n, fp_unit *u, double *offset)
{
	memset(u, 0, sizeof *u);
	if (n == 3 && memcmp(s, "Cel", 3) == 0) {
		u->factor = 1;
		*offset = 273.15;
	} else if (n == 6 && memcmp(s, "[degF]", 6) == 0) {
		u->factor = 5.0 / 9.0;
		*offset = 459.67 * 5.0 / 9.0;
	} else {
		return false;
	}
	u->dim[D_K] = 1;
	u->ok = true;
	return true;
}

/* UCUM's special units (ucum.html: the units on non-ratio scales, marked
 * "special" in ucum-essence.xml: temperatures, pH, logarithmic units such
 * as bel and neper, homeopathic potencies, prism diopter, slope): no sums,
 * products or quotients. Bel and neper may take a prefix (dB). */
bool fp_ucum_nonratio(const char *s, size_t n)
{
	static const char *const NAMES[] = {
		"Cel", "[degF]", "[degRe]", "[pH]", "Np", "B", "B[SPL]", "B[V]", "B[mV]", "B[uV]",
		"B[10.nV]", "B[W]", "B[kW]", "bit_s", "[p'diop]", "%[slope]", "[hp'_X]", "[hp'_C]",
		"[hp'_M]", "[hp'_Q]", "[hp_X]", "[hp_C]", "[hp_M]", "[hp_Q]", "[kp_X]", "[kp_C]",
		"[kp_M]", "[kp_Q]"};
	/* every name starts with C [ N B b % or is a prefix before B or N */
	if (n == 0 || (!strchr("C[NBb%", s[0]) && !(n > 1 && (s[1] == 'B' || s[1] == 'N')) &&
	               !(n > 2 && (s[2] == 'B' || s[2] == 'N'))))
		return false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
			if (strlen(NAMES[i]) == n && memcmp(NAMES[i], s, n) == 0)
				return pass == 0 || NAMES[i][0] == 'B' || NAMES[i][0] == 'N';
		/* one metric prefix before a bel or neper: dB, mNp, daB */
		size_t k = n > 2 && s[0] == 'd' && s[1] == 'a' ? 2 : 1;
		if (n <= k || !strchr("YZEPTGMkhdcmunpfazy", s[0]) || (s[k] != 'B' && s[k] != 'N'))
			return false;
		s += k;
		n -= k;
	}
	return false;
}

/* ---- unit algebra for * and / -------------------------------------------- */

/* A unit as a product of symbols (with their prefix, as written) raised to
 * exponents: "kg.m/s2" is kg^1 m^1 s^-2. Numeric factors (10*3) and
 * annotations stay symbols of their own. */
#define UTERMS 16
typedef struct uterms {
	struct { const char *s; uint8_t n; int8_t e; } t[UTERMS];
	int n;
} uterms;

static bool terms_add(uterms *u, const char *s, size_t n, int e)
{
	if (n == 0 || n > 64)
		return false;
	for (int i = 0; i < u->n; i++)
		if (u->t[i].n == n && memcmp(u->t[i].s, s, n) == 0) {
			int v = u->t[i].e + e;
			if (v > 99 || v < -99)
				return false;
			u->t[i].e = (int8_t)v;
			return true;
		}
	if (u->n >= UTERMS)
		return false;
	u->t[u->n].s = s;
	u->t[u->n].n = (uint8_t)n;
	u->t[u->n].e = (int8_t)e;
	u->n++;
	return true;
}

/* Split a unit without parentheses into its symbols; false when it has
 * parentheses or does not parse (the caller then gives up). */
static bool terms_parse(const char *s, size_t n, int sign, uterms *u)
{
	if (n == 1 && s[0] == '1')
		return true;
	fp_unit check;
	if (!fp_ucum_parse(s, n, &check) || memchr(s, '(', n))
		return false;
	size_t i = 0;
	int op = 1;
	if (i < n && s[i] == '/') {
		op = -1;
		i++;
	}
	while (i < n) {
		size_t st = i;
		while (i < n && s[i] != '.' && s[i] != '/') {
			if (s[i] == '[' || s[i] == '{') {
				char close = s[i] == '[' ? ']' : '}';
				while (i < n && s[i] != close)
					i++;
			}
			if (i < n)
				i++;
		}
		/* component s[st, i): symbol then optional signed exponent */
		size_t end = i, k = i;
		while (k > st && isdigit((unsigned char)s[k - 1]))
			k--;
		int e = 1;
		bool numeric = true;
		for (size_t q = st; q < k; q++)
			if (!isdigit((unsigned char)s[q]) && s[q] != '*' && s[q] != '^')
				numeric = false;
		if (k < end && k > st && !numeric && s[k - 1] != '*' && s[k - 1] != '^' && s[k - 1] != '}' ) {
			size_t sym_end = k;
			int es = 1;
			if (s[k - 1] == '-' || s[k - 1] == '+') {
				es = s[k - 1] == '-' ? -1 : 1;
				sym_end = k - 1;
			}
			e = es * atoi(s + k);
			if (!terms_add(u, s + st, sym_end - st, e * op * sign))
				return false;
		} else if (!terms_add(u, s + st, end - st, op * sign)) {
			return false;
		}
		if (i < n) {
			op = s[i] == '/' ? -1 : 1;
			i++;
		}
	}
	return true;
}

/* The unit of a product (div false) or quotient (div true) of quantities in
 * units a and b, as a UCUM string in arena: symbols that appear in both
 * combine their exponents ("cm" * "cm" = "cm2", "cm2" / "cm" = "cm",
 * "m/s" * "s" = "m"); the rest is written as numerator "/" each denominator
 * symbol. NULL when a unit cannot be split (parentheses, unknown). */
const char *fp_ucum_product(mn_arena *arena, const char *a, const char *b, bool div)
{
	uterms u;
	u.n = 0;
	if (!terms_parse(a, strlen(a), 1, &u) || !terms_parse(b, strlen(b), div ? -1 : 1, &u))
		return NULL;
	char buf[512];
	size_t o = 0;
	bool any_pos = false;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < u.n; i++) {
			int e = u.t[i].e;
			if (e == 0 || (pass == 0) != (e > 0))
				continue;
			if (pass == 0 && any_pos)
				buf[o++] = '.';
			if (pass == 1)
				buf[o++] = '/';
			memcpy(buf + o, u.t[i].s, u.t[i].n);
			o += u.t[i].n;
			int ae = e < 0 ? -e : e;
			if (ae != 1)
				o += (size_t)snprintf(buf + o, sizeof buf - o, "%d", ae);
			if (pass == 0)
				any_pos = true;
			if (o > sizeof buf - 80)
				return NULL;
		}
	}
	if (o == 0)
		return "1";
	return mn_arena_strndup(arena, buf, o);
}
