/*
 * value.c: the semantics of FHIRPath values, independent of evaluation.
 *
 * - Decimals are doubles with a scale (digits after the point) that comes
 *   from the literal or the record's text and follows arithmetic; equality
 *   compares at the finer scale, equivalence at the precision of the least
 *   precise operand with trailing zeros ignored (1.1 ~ 1.0).
 * - A Long is an INTEGER item with FPI_LONG; it compares as an Integer.
 * - Dates, dateTimes and times compare field by field down to the coarser
 *   precision; equal so far with different precisions is "empty" (unknown).
 *   Seconds and milliseconds are one precision level (10:30:00 = 10:30:00.0).
 *   Values with zones are normalised to UTC; a value with a zone against one
 *   without is unknown when the time of day matters.
 * - Quantities convert through ucum.c (4 'g' = 4000 'mg', 23 'Cel' =
 *   73.4 '[degF]') and the calendar factors (1 year = 12 months = 365 days,
 *   1 month = 30 days); calendar durations equal their UCUM counterparts from
 *   week down; year and month against UCUM durations are not comparable for
 *   = and <, and equivalent to 'a' and 'mo' for ~. An Integer or Decimal
 *   meets a Quantity as a Quantity with unit '1'. Sums and differences are
 *   in the most granular unit (fp_quantity_add), explicit conversions in
 *   fp_quantity_convert.
 * - Text forms: toString(), literal text and JSON output.
 */
#include "fhirpath/fhirpath_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mn_status fp_parse_datetime(const char *s, size_t n, int want, mn_datetime *out);

mn_fp_item fp_make_bool(bool b)
{
	mn_fp_item it;
	fp_item_init(&it, MN_FP_BOOLEAN);
	it.v.b = b;
	return it;
}

mn_fp_item fp_make_int(int64_t i)
{
	mn_fp_item it;
	fp_item_init(&it, MN_FP_INTEGER);
	it.v.i = i;
	return it;
}

mn_fp_item fp_make_long(int64_t i)
{
	mn_fp_item it = fp_make_int(i);
	it.flags |= FPI_LONG;
	return it;
}

mn_fp_item fp_make_dec(double d, int scale)
{
	mn_fp_item it;
	fp_item_init(&it, MN_FP_DECIMAL);
	it.v.d = d;
	it.scale = (int8_t)(scale < 0 ? 0 : scale > 20 ? 20 : scale);
	return it;
}

mn_fp_item fp_make_str(const char *s, size_t n)
{
	mn_fp_item it;
	fp_item_init(&it, MN_FP_STRING);
	it.v.str.s = s;
	it.v.str.n = (uint32_t)n;
	return it;
}

mn_fp_item fp_make_quantity(double d, int scale, const char *unit, bool calendar)
{
	mn_fp_item it;
	fp_item_init(&it, MN_FP_QUANTITY);
	it.v.d = d;
	it.scale = (int8_t)(scale < 0 ? 0 : scale > 20 ? 20 : scale);
	it.unit = unit;
	if (calendar)
		it.flags |= FPI_CALENDAR;
	return it;
}

int fp_decimal_scale(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	if (!dot)
		return 0;
	int k = 0;
	for (const char *p = dot + 1; p < s + n && isdigit((unsigned char)*p); p++)
		k++;
	return k > 20 ? 20 : k;
}

bool fp_double_to_int(double d, int64_t *out)
{
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return false;
	*out = (int64_t)d;
	return true;
}

double fp_round_scale(double d, int scale)
{
	/* powers of ten are exact doubles up to 1e22: no pow() on this hot path */
	static const double P10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	                             1e11, 1e12, 1e13, 1e14, 1e15};
	if (scale > 15)
		return d;
	double f = P10[scale < 0 ? 0 : scale];
	/* half away from zero on the decimal the double stands for: 1.005 is
	 * 1.00499999999999989... in binary, 1.005 * 100 is 100.49999999999999;
	 * a nudge of 4e-16 relative (two or three units in the last place) restores
	 * the decimal's half, and moves no value of 15 significant digits */
	double x = d * f;
	double r = round(x + copysign(fabs(x) * 4e-16, x)) / f;
	return isfinite(r) ? r : d;
}

/* ---- dates and times --------------------------------------------------- */

/* want: MN_DT_DATE, MN_DT_DATETIME, MN_DT_TIME, or 0 (date without 'T',
 * dateTime with). FHIRPath's forms are util's with MN_DT_LENIENT: a
 * dateTime may stop after the date ("2015", "2015T"), a time at the hour. */
mn_status fp_parse_datetime(const char *s, size_t n, int want, mn_datetime *out)
{
	return mn_datetime_parse_ex(s, n, want, MN_DT_LENIENT, out, NULL);
}

/* Milliseconds since the epoch of the local fields (zone not applied). */
static int64_t local_ms(const mn_datetime *d)
{
	int64_t days = d->kind == MN_DT_TIME ? 0 : mn_days_from_civil(d->year, d->month, d->day);
	return ((days * 24 + d->hour) * 60 + d->minute) * 60000LL + d->second * 1000LL + d->millisecond;
}

static void set_local_ms(mn_datetime *d, int64_t ms)
{
	int64_t days = ms >= 0 ? ms / 86400000LL : -((-ms + 86399999LL) / 86400000LL);
	int64_t rest = ms - days * 86400000LL;
	if (d->kind != MN_DT_TIME) {
		int y, m, dd;
		mn_civil_from_days(days, &y, &m, &dd);
		d->year = (int16_t)y;
		d->month = (int8_t)m;
		d->day = (int8_t)dd;
	}
	d->hour = (int8_t)(rest / 3600000);
	d->minute = (int8_t)(rest / 60000 % 60);
	d->second = (int8_t)(rest / 1000 % 60);
	d->millisecond = (int16_t)(rest % 1000);
}

int fp_datetime_add(mn_datetime *dt, int prec, int64_t amount)
{
	if (amount > 100000000LL || amount < -100000000LL)
		return -1;  /* far beyond year 9999 in any unit from month up */
	if (prec == MN_DT_YEAR) {
		int64_t y = dt->year + amount;
		if (y < 1 || y > 9999)
			return -1;
		dt->year = (int16_t)y;
		if (dt->precision >= MN_DT_DAY && dt->day > mn_days_in_month(dt->year, dt->month))
			dt->day = (int8_t)mn_days_in_month(dt->year, dt->month);
		return 0;
	}
	if (prec == MN_DT_MONTH) {
		int64_t total = (int64_t)dt->year * 12 + (dt->month - 1) + amount;
		if (total < 12 || total > 9999 * 12 + 11)
			return -1;
		dt->year = (int16_t)(total / 12);
		dt->month = (int8_t)(total % 12 + 1);
		if (dt->day > mn_days_in_month(dt->year, dt->month))
			dt->day = (int8_t)mn_days_in_month(dt->year, dt->month);
		return 0;
	}
	int64_t unit = prec == MN_DT_DAY ? 86400000LL : prec == MN_DT_HOUR ? 3600000LL
	               : prec == MN_DT_MINUTE ? 60000LL : prec == MN_DT_SECOND ? 1000LL : 1;
	if (amount > INT64_MAX / unit / 4 || amount < -(INT64_MAX / unit / 4))
		return -1;
	int64_t ms = local_ms(dt) + amount * unit;
	if (dt->kind == MN_DT_TIME) {
		ms %= 86400000LL;
		if (ms < 0)
			ms += 86400000LL;
	}
	mn_datetime r = *dt;
	set_local_ms(&r, ms);
	if (r.kind != MN_DT_TIME && (r.year < 1 || r.year > 9999))
		return -1;
	*dt = r;
	return 0;
}

/* Field values by precision level (second and millisecond merged). */
static int64_t field(const mn_datetime *d, int p)
{
	switch (p) {
	case MN_DT_YEAR: return d->year;
	case MN_DT_MONTH: return d->month;
	case MN_DT_DAY: return d->day;
	case MN_DT_HOUR: return d->hour;
	case MN_DT_MINUTE: return d->minute;
	default: return d->second * 1000 + d->millisecond;
	}
}

int fp_datetime_compare(const mn_datetime *a0, const mn_datetime *b0, int *cmp)
{
	mn_datetime a = *a0, b = *b0;
	bool ta = a.kind == MN_DT_TIME, tb = b.kind == MN_DT_TIME;
	if (ta != tb)
		return -1;
	int pa = a.precision > MN_DT_SECOND ? MN_DT_SECOND : a.precision;
	int pb = b.precision > MN_DT_SECOND ? MN_DT_SECOND : b.precision;
	int first = ta ? MN_DT_HOUR : MN_DT_YEAR;
	if (!ta && (pa >= MN_DT_HOUR || pb >= MN_DT_HOUR)) {
		if (a.has_tz && b.has_tz) {
			if (pa >= MN_DT_HOUR && a.tz_minutes) {
				set_local_ms(&a, local_ms(&a) - a.tz_minutes * 60000LL);
				a.tz_minutes = 0;
			}
			if (pb >= MN_DT_HOUR && b.tz_minutes) {
				set_local_ms(&b, local_ms(&b) - b.tz_minutes * 60000LL);
				b.tz_minutes = 0;
			}
		} else if (a.has_tz != b.has_tz && pa >= MN_DT_HOUR && pb >= MN_DT_HOUR) {
			/* one zoned, one not: unknown unless the dates already differ */
			for (int p = MN_DT_YEAR; p <= MN_DT_DAY; p++) {
				int64_t x = field(&a, p), y = field(&b, p);
				if (x != y) {
					*cmp = x < y ? -1 : 1;
					return 0;
				}
			}
			return 1;
		}
	}
	int common = pa < pb ? pa : pb;
	for (int p = first; p <= common; p++) {
		int64_t x = field(&a, p), y = field(&b, p);
		if (x != y) {
			*cmp = x < y ? -1 : 1;
			return 0;
		}
	}
	if (pa != pb)
		return 1;
	*cmp = 0;
	return 0;
}

/* ---- numbers ----------------------------------------------------------- */

bool fp_parse_decimal(const char *s, size_t n, double *d, int *scale, bool *is_int, int64_t *iv)
{
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	size_t ds = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i == ds)
		return false;
	bool integer = true;
	if (i < n && s[i] == '.') {
		i++;
		size_t fs = i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		if (i == fs)
			return false;
		integer = false;
	}
	if (i != n || n > 120)
		return false;
	*scale = fp_decimal_scale(s, n);
	*is_int = integer;
	if (n - ds <= 16) {
		/* at most 15 digits: their value M is exact in a double (below 2^53), and so is 10^k for the k
		 * digits after the point; M / 10^k, one correctly rounded division, is the double nearest the
		 * text, which is what strtod gives */
		static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
		                               1e13, 1e14, 1e15};
		int64_t m = 0;
		unsigned digits = 0, after = 0;
		bool point = false;
		for (size_t k = ds; k < n; k++) {
			if (s[k] == '.') {
				point = true;
				continue;
			}
			m = m * 10 + (s[k] - '0');
			digits++;
			after += point;
		}
		if (digits <= 15) {
			bool neg = s[0] == '-';
			double v = (double)m / pow10[after];
			*d = neg ? -v : v;
			if (integer && iv)
				*iv = neg ? -m : m;
			return true;
		}
	}
	char buf[128];
	memcpy(buf, s, n);
	buf[n] = 0;
	*d = mn_strtod(buf, NULL);
	if (integer && iv) {
		errno = 0;
		long long v = strtoll(buf, NULL, 10);
		*iv = v;
		if (errno == ERANGE)
			*is_int = false;
	}
	return true;
}

static const char *const CAL_NAMES[] = {NULL, "year", "month", "day", "hour", "minute",
                                        "second", "millisecond"};

int fp_calendar_unit(const char *s, size_t n)
{
	if (n && s[n - 1] == 's' && !(n == 1))
		n--;
	for (int p = MN_DT_YEAR; p <= MN_DT_MILLISECOND; p++) {
		size_t k = strlen(CAL_NAMES[p]);
		if (k == n && memcmp(s, CAL_NAMES[p], n) == 0)
			return p;
	}
	if (n == 4 && memcmp(s, "week", 4) == 0)
		return 8;  /* week: 7 days */
	return 0;
}

bool fp_parse_quantity_text(mn_arena *a, const char *s, size_t n, mn_fp_item *out)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'))
		i++;
	double d;
	int scale;
	bool is_int;
	if (!fp_parse_decimal(s, i, &d, &scale, &is_int, NULL))
		return false;
	/* toQuantity()'s pattern: value \s* ('unit' | calendar word)? */
	size_t j = i;
	while (j < n && isspace((unsigned char)s[j]))
		j++;
	if (j == n) {
		*out = fp_make_quantity(d, scale, "1", false);
		return true;
	}
	if (s[j] == '\'') {
		if (n - j < 2 || s[n - 1] != '\'')
			return false;
		const char *u = mn_arena_strndup(a, s + j + 1, n - j - 2);
		if (!u)
			return false;
		*out = fp_make_quantity(d, scale, u, false);
		return true;
	}
	int cal = fp_calendar_unit(s + j, n - j);
	if (!cal)
		return false;
	const char *u = mn_arena_strndup(a, s + j, n - j);
	if (!u)
		return false;
	*out = fp_make_quantity(d, scale, u, true);
	return true;
}

/* ---- equality ---------------------------------------------------------- */

static bool is_number(const mn_fp_item *it)
{
	return it->kind == MN_FP_INTEGER || it->kind == MN_FP_DECIMAL;
}

static double num(const mn_fp_item *it)
{
	return it->kind == MN_FP_INTEGER ? (double)it->v.i : it->v.d;
}

static int num_scale(const mn_fp_item *it)
{
	return it->kind == MN_FP_INTEGER ? 0 : it->scale;
}

static int dec_cmp_at(double a, double b, int scale)
{
	if (a == b)
		return 0;
	double x = fp_round_scale(a, scale), y = fp_round_scale(b, scale);
	return x < y ? -1 : x > y ? 1 : 0;
}

bool fp_as_quantity(const mn_fp_item *it, mn_fp_item *q)
{
	if (it->kind == MN_FP_QUANTITY) {
		*q = *it;
		return true;
	}
	if (it->kind != MN_FP_NODE || !it->node || it->node->type != MN_JSON_OBJECT)
		return false;
	if (it->ftype) {
		const mn_fhir_type *qt = mn_fhir_type_find("Quantity", 8);
		if (qt && !mn_fhir_type_is_a(it->ftype, qt))
			return false;
	}
	const mn_json *v = mn_json_get(it->node, "value");
	if (!v || v->type != MN_JSON_NUMBER)
		return false;
	const char *code = mn_json_get_string(it->node, "code");
	const char *unit = mn_json_get_string(it->node, "unit");
	const char *system = mn_json_get_string(it->node, "system");
	const char *u = NULL;
	bool cal = false;
	if (code && (!system || strcmp(system, "http://unitsofmeasure.org") == 0))
		u = code;
	else if (unit && fp_calendar_unit(unit, strlen(unit))) {
		u = unit;
		cal = true;
	} else if (code)
		u = code;
	else if (unit)
		u = unit;
	else
		u = "1";
	char buf[64];
	size_t n = v->n < sizeof buf - 1 ? v->n : sizeof buf - 1;
	memcpy(buf, v->u.s, n);
	buf[n] = 0;
	*q = fp_make_quantity(mn_strtod(buf, NULL), fp_decimal_scale(v->u.s, v->n), u, cal);
	q->node = it->node;
	q->res = it->res;
	return true;
}

/* ---- quantity units ------------------------------------------------------ */

/* A quantity's unit resolved for conversion. Calendar words are measured in
 * seconds with the FHIRPath calendar factors (year = 365 days, month = 30
 * days; year to month is 12, see fp_quantity_factor); UCUM units through
 * ucum.c; the UCUM units on a non-ratio scale (Cel, [degF]) with an offset. */
typedef struct qinfo {
	int cal;        /* calendar word: MN_DT_YEAR..MN_DT_MILLISECOND, 8 week; 0 UCUM */
	bool ym;        /* a year or month: calendar year/month or UCUM 'a'/'mo' */
	bool special;   /* non-ratio scale: base = value * factor + offset */
	bool dimless;   /* UCUM unit without dimension ('1', '%', '10*3', {annotation}) */
	double offset;
	fp_unit u;
} qinfo;

static bool qinfo_of(const mn_fp_item *q, qinfo *qi)
{
	memset(qi, 0, sizeof *qi);
	const char *unit = q->unit ? q->unit : "1";
	size_t n = strlen(unit);
	if (q->flags & FPI_CALENDAR) {
		static const double SEC[] = {0, 365 * 86400.0, 30 * 86400.0, 86400.0, 3600.0, 60.0,
		                             1.0, 0.001, 7 * 86400.0};
		int p = fp_calendar_unit(unit, n);
		if (!p)
			return false;
		qi->cal = p;
		qi->ym = p == MN_DT_YEAR || p == MN_DT_MONTH;
		qi->u.factor = SEC[p];
		qi->u.dim[2] = 1;  /* s */
		qi->u.ok = true;
		return true;
	}
	if (fp_ucum_special(unit, n, &qi->u, &qi->offset)) {
		qi->special = true;
		return true;
	}
	if (!fp_ucum_parse(unit, n, &qi->u))
		return false;
	qi->ym = (n == 1 && unit[0] == 'a') || (n == 2 && memcmp(unit, "mo", 2) == 0);
	static const int8_t none[8];
	qi->dimless = memcmp(qi->u.dim, none, sizeof none) == 0;
	return true;
}

/* The UCUM definite duration a calendar year or month is equivalent (~) to:
 * 'a' and 'mo' (FHIRPath, Time-valued Quantities). */
static double ym_ucum_factor(const qinfo *q)
{
	return q->cal == MN_DT_YEAR ? 31557600.0 : q->cal == MN_DT_MONTH ? 2629800.0 : q->u.factor;
}

/* a's value in b's unit is va * *f + *g. false when the units are not
 * commensurable. equiv: calendar year/month against UCUM time units convert
 * ('a' ~ year); otherwise (equality, order, arithmetic) they do not. */
static bool q_conv(const qinfo *a, const qinfo *b, bool equiv, double *f, double *g)
{
	*g = 0;
	if (a->cal && b->cal) {
		if (a->ym && b->ym)
			*f = a->cal == b->cal ? 1 : a->cal == MN_DT_YEAR ? 12 : 1.0 / 12;
		else
			*f = a->u.factor / b->u.factor;
		return true;
	}
	if (!fp_ucum_same_dim(&a->u, &b->u))
		return false;
	if (!a->cal != !b->cal && (a->ym || b->ym)) {
		if (!equiv)
			return false;
		*f = ym_ucum_factor(a) / ym_ucum_factor(b);
		return true;
	}
	*f = a->u.factor / b->u.factor;
	if (a->special || b->special)
		*g = (a->offset - b->offset) / b->u.factor;
	return true;
}

/* Digits after the point of v's shortest decimal form, where v carries
 * rounding error up to a few units in the last place of mag (the largest
 * term that made it: an offset conversion of 32 [degF] to Cel cancels
 * 273.15 against 273.15). */
static int snap_scale(double v, double mag)
{
	if (!isfinite(v))
		return 0;
	double tol = fabs(mag) * 4e-15;
	for (int s = 0; s < 16; s++)
		if (fabs(fp_round_scale(v, s) - v) <= tol)
			return s;
	return 16;
}

int fp_natural_scale(double d)
{
	return snap_scale(d, d);
}

/* Digits after the point that matter: trailing zeros ignored (1.10 -> 1). */
static int eff_scale(double d, int scale)
{
	for (int s = 0; s < scale && s <= 15; s++)
		if (fp_round_scale(d, s) == fp_round_scale(d, scale))
			return s;
	return scale;
}

static int cmp_close(double x, double y)
{
	double diff = fabs(x - y), mag = fmax(fabs(x), fabs(y));
	if (diff <= mag * 1e-12)
		return 0;
	return x < y ? -1 : 1;
}

/* 0 ok (cmp set), 1 not comparable (the result is empty). Equality and
 * order (equiv false) compare exactly after converting b to a's unit;
 * equivalence converts to the least granular unit and compares at the
 * precision of the least precise operand. */
static int quantity_cmp(const mn_fp_item *a, const mn_fp_item *b, int *cmp, bool equiv)
{
	if (a->unit && b->unit && strcmp(a->unit, b->unit) == 0 &&
	    ((a->flags ^ b->flags) & FPI_CALENDAR) == 0) {
		if (equiv) {
			int s = eff_scale(a->v.d, a->scale), t = eff_scale(b->v.d, b->scale);
			*cmp = dec_cmp_at(a->v.d, b->v.d, s < t ? s : t);
		} else if (a->v.d == b->v.d) {
			*cmp = 0;
		} else {
			int s = a->scale > b->scale ? a->scale : b->scale;
			*cmp = cmp_close(fp_round_scale(a->v.d, s), fp_round_scale(b->v.d, s));
		}
		return 0;
	}
	qinfo qa, qb;
	double f, g;
	if (!qinfo_of(a, &qa) || !qinfo_of(b, &qb) || !q_conv(&qb, &qa, equiv, &f, &g))
		return 1;
	if (!equiv) {
		*cmp = cmp_close(a->v.d, b->v.d * f + g);
		return 0;
	}
	/* f: one unit of b in units of a; f > 1: b is the least granular */
	double x, y;
	int sx, sy;
	if (f > 1) {
		double f2, g2;
		if (!q_conv(&qa, &qb, equiv, &f2, &g2))
			return 1;
		x = a->v.d * f2 + g2;
		sx = fp_natural_scale(x);
		y = b->v.d;
		sy = eff_scale(b->v.d, b->scale);
	} else {
		x = a->v.d;
		sx = eff_scale(a->v.d, a->scale);
		y = b->v.d * f + g;
		sy = fp_natural_scale(y);
	}
	int s = sx < sy ? sx : sy;
	*cmp = cmp_close(fp_round_scale(x, s), fp_round_scale(y, s));
	return 0;
}

/* UCUM definite durations and the calendar words they correspond to. */
static const struct { const char *ucum, *word; } DURATIONS[] = {
	{"a", "year"}, {"mo", "month"}, {"wk", "week"}, {"d", "day"}, {"h", "hour"},
	{"min", "minute"}, {"s", "second"}, {"ms", "millisecond"}};

/* Explicit conversion (toQuantity(unit)). Between calendar and UCUM time
 * units the conversion is done "within the unit system of the source, then
 * change the unit to the corresponding target unit" (FHIRPath, Time-valued
 * unit conversions): 182.5 days -> 0.5 year -> 0.5 'a'. */
bool fp_quantity_convert(const mn_fp_item *q, const mn_fp_item *target, mn_fp_item *out)
{
	qinfo qa, qb;
	double f, g;
	if (!qinfo_of(q, &qa) || !qinfo_of(target, &qb))
		return false;
	if (!qa.cal != !qb.cal) {
		/* the target's counterpart in the source's system */
		int tp = qb.cal;
		const char *tu = target->unit;
		mn_fp_item alt;
		bool found = false;
		for (size_t i = 0; i < sizeof DURATIONS / sizeof DURATIONS[0] && !found; i++) {
			if (qa.cal && strcmp(tu, DURATIONS[i].ucum) == 0) {
				alt = fp_make_quantity(1, 0, DURATIONS[i].word, true);
				found = true;
			} else if (!qa.cal && fp_calendar_unit(DURATIONS[i].word, strlen(DURATIONS[i].word)) == tp) {
				alt = fp_make_quantity(1, 0, DURATIONS[i].ucum, false);
				found = true;
			}
		}
		if (!found || !qinfo_of(&alt, &qb))
			return false;
	}
	if (!q_conv(&qa, &qb, false, &f, &g))
		return false;
	double v = q->v.d * f + g;
	if (!isfinite(v))
		return false;
	int sc = snap_scale(v, fabs(q->v.d * f) + fabs(g));
	if (sc < 16)
		v = fp_round_scale(v, sc);
	*out = fp_make_quantity(v, sc, target->unit,
	                        (target->flags & FPI_CALENDAR) != 0);
	return true;
}

/* The calendar word for a UCUM time unit that has one ('s' -> seconds). */
static const char *calendar_word(const char *ucum)
{
	static const struct { const char *u, *w; } W[] = {
		{"wk", "weeks"}, {"d", "days"}, {"h", "hours"}, {"min", "minutes"},
		{"s", "seconds"}, {"ms", "milliseconds"}};
	for (size_t i = 0; i < sizeof W / sizeof W[0]; i++)
		if (strcmp(ucum, W[i].u) == 0)
			return W[i].w;
	return NULL;
}

int fp_quantity_add(const mn_fp_item *a, const mn_fp_item *b, int sign, mn_fp_item *out)
{
	qinfo qa, qb;
	bool same = a->unit && b->unit && strcmp(a->unit, b->unit) == 0 &&
	            ((a->flags ^ b->flags) & FPI_CALENDAR) == 0;
	if (same) {
		/* the same unit, even one this UCUM table does not know, adds as is;
		 * not Cel or [degF] (no arithmetic on a non-ratio scale) */
		memset(&qa, 0, sizeof qa);
		memset(&qb, 0, sizeof qb);
		if (!(a->flags & FPI_CALENDAR) && fp_ucum_nonratio(a->unit, strlen(a->unit)))
			return 1;
	} else if (!qinfo_of(a, &qa) || !qinfo_of(b, &qb) || qa.special || qb.special ||
	           (!qa.cal && fp_ucum_nonratio(a->unit, strlen(a->unit))) ||
	           (!qb.cal && fp_ucum_nonratio(b->unit, strlen(b->unit)))) {
		return 1;
	}
	const mn_fp_item *to = a;
	double x = a->v.d, y = b->v.d;
	if (!same) {
		/* calendar years and months are added only to the same unit */
		if ((qa.cal && qa.ym) || (qb.cal && qb.ym))
			if (!(qa.cal == qb.cal))
				return 1;
		double f, g;
		if (!q_conv(&qb, &qa, false, &f, &g))
			return 1;
		if (f > 1) {  /* b's unit is larger: a's is the most granular */
			y = b->v.d * f;
		} else if (f < 1) {
			to = b;
			x = a->v.d / f;
		} else {
			y = b->v.d;
		}
	}
	double w = sign > 0 ? x + y : x - y;
	if (!isfinite(w))
		return -1;
	const char *unit = to->unit;
	bool cal = (to->flags & FPI_CALENDAR) != 0;
	if (!same && !cal && (qa.cal || qb.cal)) {
		/* across calendar and UCUM durations the result is in calendar units */
		unit = calendar_word(to->unit);
		if (!unit)
			return 1;
		cal = true;
	}
	/* same unit: the larger scale is exact; converted: the shortest exact form */
	int sc = same ? (a->scale > b->scale ? a->scale : b->scale) : fp_natural_scale(w);
	*out = fp_make_quantity(same ? fp_round_scale(w, sc) : w, sc, unit, cal);
	return 0;
}

/* Number to Quantity with the UCUM default unit '1' (implicit conversion). */
static bool as_quantity_or_number(const mn_fp_item *it, mn_fp_item *q)
{
	if (it->kind == MN_FP_INTEGER) {
		*q = fp_make_quantity((double)it->v.i, 0, "1", false);
		return true;
	}
	if (it->kind == MN_FP_DECIMAL) {
		*q = fp_make_quantity(it->v.d, it->scale, "1", false);
		return true;
	}
	return fp_as_quantity(it, q);
}

static bool str_equivalent(const char *a, size_t na, const char *b, size_t nb);

/* Complex values, "recursively": equality (equiv false) needs every child
 * element equal, in order; equivalence (equiv true) every child equivalent
 * (strings as String equivalence, numbers as Decimal equivalence, repeated
 * elements in any order: matched pairwise up to 256 items). */
static bool json_same(const mn_json *a, const mn_json *b, bool equiv, int depth)
{
	if (a->type != b->type || depth > MN_FP_MAX_DEPTH)
		return false;
	switch (a->type) {
	case MN_JSON_NUMBER: {
		double dx, dy;
		int sx, sy;
		bool ix, iy;
		if (equiv && fp_parse_decimal(a->u.s, a->n, &dx, &sx, &ix, NULL) &&
		    fp_parse_decimal(b->u.s, b->n, &dy, &sy, &iy, NULL)) {
			mn_fp_item x = fp_make_dec(dx, sx), y = fp_make_dec(dy, sy);
			return fp_equivalent(&x, &y);
		}
		char x[64], y[64];
		size_t n = a->n < 63 ? a->n : 63, m = b->n < 63 ? b->n : 63;
		memcpy(x, a->u.s, n);
		x[n] = 0;
		memcpy(y, b->u.s, m);
		y[m] = 0;
		return mn_strtod(x, NULL) == mn_strtod(y, NULL);
	}
	case MN_JSON_STRING:
		if (equiv)
			return str_equivalent(a->u.s, a->n, b->u.s, b->n);
		return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
	case MN_JSON_ARRAY: {
		if (a->n != b->n)
			return false;
		uint32_t i = 0;
		while (i < a->n && json_same(&a->u.items[i], &b->u.items[i], equiv, depth + 1))
			i++;
		if (i == a->n)
			return true;
		if (!equiv || a->n > 256)
			return false;
		for (i = 0; i < a->n; i++) {
			bool any = false;
			for (uint32_t j = 0; j < b->n && !any; j++)
				any = json_same(&a->u.items[i], &b->u.items[j], equiv, depth + 1);
			if (!any)
				return false;
		}
		return true;
	}
	case MN_JSON_OBJECT:
		if (a->n != b->n)
			return false;
		for (uint32_t i = 0; i < a->n; i++) {
			const mn_json_member *m = &a->u.members[i], *bm = &b->u.members[i];
			/* b's member at the same place, when it has the key and b no other member of it (the
			 * usual case: the same members in the same order); else the first one of the key */
			const mn_json *o = (b->flags & MN_JSON_F_UNIQUE) && bm->key_len == m->key_len &&
			                           memcmp(bm->key, m->key, m->key_len) == 0
			                       ? &bm->value
			                       : mn_json_getn(b, m->key, m->key_len);
			if (!o || !json_same(&m->value, o, equiv, depth + 1))
				return false;
		}
		return true;
	default:
		return true;
	}
}

int fp_equal(const mn_fp_item *a, const mn_fp_item *b)
{
	if ((a->flags | b->flags) & FPI_NOVALUE)
		return -1;
	if (is_number(a) && is_number(b)) {
		if (a->kind == MN_FP_INTEGER && b->kind == MN_FP_INTEGER)
			return a->v.i == b->v.i;
		int s = num_scale(a) > num_scale(b) ? num_scale(a) : num_scale(b);
		return dec_cmp_at(num(a), num(b), s) == 0;
	}
	mn_fp_item qa, qb;
	if ((a->kind == MN_FP_QUANTITY || b->kind == MN_FP_QUANTITY) && as_quantity_or_number(a, &qa) &&
	    as_quantity_or_number(b, &qb)) {
		int cmp;
		if (quantity_cmp(&qa, &qb, &cmp, false))
			return -1;
		return cmp == 0;
	}
	if (a->kind != b->kind) {
		if ((a->kind == MN_FP_DATE && b->kind == MN_FP_DATETIME) ||
		    (a->kind == MN_FP_DATETIME && b->kind == MN_FP_DATE)) {
			int cmp, r = fp_datetime_compare(&a->v.dt, &b->v.dt, &cmp);
			return r == 0 ? cmp == 0 : r == 1 ? -1 : 0;
		}
		return 0;
	}
	switch (a->kind) {
	case MN_FP_BOOLEAN:
		return a->v.b == b->v.b;
	case MN_FP_STRING:
		return a->v.str.n == b->v.str.n && memcmp(a->v.str.s, b->v.str.s, a->v.str.n) == 0;
	case MN_FP_DATE:
	case MN_FP_DATETIME:
	case MN_FP_TIME: {
		int cmp, r = fp_datetime_compare(&a->v.dt, &b->v.dt, &cmp);
		return r == 0 ? cmp == 0 : r == 1 ? -1 : 0;
	}
	case MN_FP_NODE:
		if (a->node == b->node)
			return 1;
		if (!a->node || !b->node)
			return 0;
		return json_same(a->node, b->node, false, 0);
	default:
		return 0;
	}
}

/* One UTF-8 character at s[*i] (invalid bytes as themselves). */
static uint32_t utf8_next(const char *s, size_t n, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c = u[*i];
	int k = c >= 0xF0 && c < 0xF8 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
	if (k == 0 || *i + (size_t)k >= n) {
		(*i)++;
		return c;
	}
	uint32_t v = c & (0x3F >> k);
	for (int j = 1; j <= k; j++) {
		if ((u[*i + (size_t)j] & 0xC0) != 0x80) {
			(*i)++;
			return c;
		}
		v = v << 6 | (u[*i + (size_t)j] & 0x3F);
	}
	*i += (size_t)k + 1;
	return v;
}

/* Unicode White_Space (PropList.txt). */
static bool is_white_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
	       c == 0x205F || c == 0x3000;
}

/* Simple lower-case mapping: ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic capitals (the ranges where the mapping is a fixed offset). */
static uint32_t fold_case(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0xC0)
		return c;
	if ((c >= 0xC0 && c <= 0xDE && c != 0xD7))
		return c + 32;
	if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
	    c != 0x178 && c != 0x17F) {
		bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
		if (odd_upper ? (c & 1) : !(c & 1))
			return c + 1;
		return c;
	}
	if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

/* String equivalence: "the strings are the same value while ignoring case
 * and locale, and normalizing whitespace", where normalizing means "treating
 * as equivalent all characters in the Unicode White_Space character class";
 * runs of whitespace are not collapsed and nothing is trimmed. */
static bool str_equivalent(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;
	while (i < na && j < nb) {
		unsigned char p = (unsigned char)a[i], q = (unsigned char)b[j];
		if (p < 0x80 && q < 0x80) {  /* ASCII: no decoding */
			i++, j++;
			if (p == q || ((p | 0x20) == (q | 0x20) && (p | 0x20) >= 'a' && (p | 0x20) <= 'z'))
				continue;
			if ((p == ' ' || (p >= 0x09 && p <= 0x0D)) && (q == ' ' || (q >= 0x09 && q <= 0x0D)))
				continue;
			return false;
		}
		uint32_t x = utf8_next(a, na, &i), y = utf8_next(b, nb, &j);
		if (x == y)
			continue;
		if (is_white_space(x) && is_white_space(y))
			continue;
		if (fold_case(x) != fold_case(y))
			return false;
	}
	return i >= na && j >= nb;
}

bool fp_equivalent(const mn_fp_item *a, const mn_fp_item *b)
{
	if ((a->flags | b->flags) & FPI_NOVALUE)
		return (a->flags & b->flags & FPI_NOVALUE) != 0;
	if (is_number(a) && is_number(b)) {
		if (a->kind == MN_FP_INTEGER && b->kind == MN_FP_INTEGER)
			return a->v.i == b->v.i;
		int sa = eff_scale(num(a), num_scale(a)), sb = eff_scale(num(b), num_scale(b));
		return dec_cmp_at(num(a), num(b), sa < sb ? sa : sb) == 0;
	}
	mn_fp_item qa, qb;
	if ((a->kind == MN_FP_QUANTITY || b->kind == MN_FP_QUANTITY) && as_quantity_or_number(a, &qa) &&
	    as_quantity_or_number(b, &qb)) {
		int cmp;
		if (quantity_cmp(&qa, &qb, &cmp, true))
			return false;
		return cmp == 0;
	}
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case MN_FP_STRING:
		return str_equivalent(a->v.str.s, a->v.str.n, b->v.str.s, b->v.str.n);
	case MN_FP_DATE:
	case MN_FP_DATETIME:
	case MN_FP_TIME: {
		int cmp;
		return fp_datetime_compare(&a->v.dt, &b->v.dt, &cmp) == 0 && cmp == 0;
	}
	case MN_FP_NODE:
		if (a->node == b->node)
			return true;
		return a->node && b->node && json_same(a->node, b->node, true, 0);
	default:
		return fp_equal(a, b) == 1;
	}
}

int fp_compare(const mn_fp_item *a, const mn_fp_item *b, int *cmp)
{
	if ((a->flags | b->flags) & FPI_NOVALUE)
		return 1;
	if (is_number(a) && is_number(b)) {
		if (a->kind == MN_FP_INTEGER && b->kind == MN_FP_INTEGER) {
			*cmp = a->v.i < b->v.i ? -1 : a->v.i > b->v.i;
			return 0;
		}
		int s = num_scale(a) > num_scale(b) ? num_scale(a) : num_scale(b);
		*cmp = dec_cmp_at(num(a), num(b), s);
		return 0;
	}
	mn_fp_item qa, qb;
	if ((a->kind == MN_FP_QUANTITY || b->kind == MN_FP_QUANTITY) && as_quantity_or_number(a, &qa) &&
	    as_quantity_or_number(b, &qb))
		return quantity_cmp(&qa, &qb, cmp, false) ? 1 : 0;
	if (a->kind == MN_FP_STRING && b->kind == MN_FP_STRING) {
		size_t n = a->v.str.n < b->v.str.n ? a->v.str.n : b->v.str.n;
		int c = memcmp(a->v.str.s, b->v.str.s, n);
		if (c == 0)
			c = a->v.str.n < b->v.str.n ? -1 : a->v.str.n > b->v.str.n;
		*cmp = c < 0 ? -1 : c > 0;
		return 0;
	}
	bool da = a->kind == MN_FP_DATE || a->kind == MN_FP_DATETIME;
	bool db = b->kind == MN_FP_DATE || b->kind == MN_FP_DATETIME;
	if ((da && db) || (a->kind == MN_FP_TIME && b->kind == MN_FP_TIME))
		return fp_datetime_compare(&a->v.dt, &b->v.dt, cmp);
	return -1;
}

/* ---- text -------------------------------------------------------------- */

int fp_write_decimal(mn_buf *b, double d, int scale)
{
	if (scale > 17)
		scale = 17;
	if (!isfinite(d))
		return mn_buf_puts(b, "0");
	if (fabs(d) >= 1e21)
		return mn_buf_printf(b, "%.17g", d);
	return mn_buf_printf(b, "%.*f", scale, d);
}

static size_t put_num(char *o, int v, int width)
{
	if (v < 0)
		v = 0;
	for (int i = width - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return (size_t)width;
}

/* FHIR text form; o must hold at least 40 bytes (no snprintf: this is hot
 * in toString() and output). */
static size_t format_dt(const mn_datetime *d, char *o, size_t sz)
{
	size_t n = 0;
	int p = d->precision;
	if (sz < 40)
		return 0;
	if (d->kind != MN_DT_TIME) {
		n += put_num(o + n, d->year, 4);
		if (p >= MN_DT_MONTH) {
			o[n++] = '-';
			n += put_num(o + n, d->month, 2);
		}
		if (p >= MN_DT_DAY) {
			o[n++] = '-';
			n += put_num(o + n, d->day, 2);
		}
		if (d->kind == MN_DT_DATE) {
			o[n] = 0;
			return n;
		}
		/* a dateTime known only to the day (or coarser) is written like the
		 * FHIR value, without the literal's trailing 'T' */
		if (p < MN_DT_HOUR) {
			o[n] = 0;
			return n;
		}
		o[n++] = 'T';
	}
	if (p >= MN_DT_HOUR)
		n += put_num(o + n, d->hour, 2);
	if (p >= MN_DT_MINUTE) {
		o[n++] = ':';
		n += put_num(o + n, d->minute, 2);
	}
	if (p >= MN_DT_SECOND) {
		o[n++] = ':';
		n += put_num(o + n, d->second, 2);
	}
	if (p >= MN_DT_MILLISECOND) {
		o[n++] = '.';
		n += put_num(o + n, d->millisecond, 3);
	}
	if (d->kind == MN_DT_DATETIME && d->has_tz) {
		if (d->tz_minutes == 0) {
			o[n++] = 'Z';
		} else {
			int t = d->tz_minutes < 0 ? -d->tz_minutes : d->tz_minutes;
			o[n++] = d->tz_minutes < 0 ? '-' : '+';
			n += put_num(o + n, t / 60, 2);
			o[n++] = ':';
			n += put_num(o + n, t % 60, 2);
		}
	}
	o[n] = 0;
	return n;
}

size_t fp_format_datetime(const mn_datetime *d, char *o, size_t sz);
size_t fp_format_datetime(const mn_datetime *d, char *o, size_t sz)
{
	return format_dt(d, o, sz);
}

int fp_write_quantity_unit(mn_buf *b, const mn_fp_item *it)
{
	if (it->flags & FPI_CALENDAR)
		return mn_buf_puts(b, it->unit);
	mn_buf_putc(b, '\'');
	mn_buf_puts(b, it->unit ? it->unit : "1");
	return mn_buf_putc(b, '\'');
}

/* The text of a JSON scalar node as written in the record. */
static const char *node_text(const mn_fp_item *it, size_t *len)
{
	if (it->node && (it->node->type == MN_JSON_NUMBER || it->node->type == MN_JSON_STRING)) {
		*len = it->node->n;
		return it->node->u.s;
	}
	return NULL;
}

const char *fp_to_string(mn_arena *a, const mn_fp_item *it, size_t *len)
{
	char tmp[96];
	size_t n;
	switch (it->kind) {
	case MN_FP_BOOLEAN:
		*len = it->v.b ? 4 : 5;
		return it->v.b ? "true" : "false";
	case MN_FP_STRING:
		*len = it->v.str.n;
		return it->v.str.s;
	case MN_FP_INTEGER:
		n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)it->v.i);
		break;
	case MN_FP_DECIMAL: {
		const char *t = it->ftype ? node_text(it, len) : NULL;
		if (t && it->node->type == MN_JSON_NUMBER)
			return t;
		mn_buf b = MN_BUF_INIT;
		fp_write_decimal(&b, it->v.d, it->scale);
		char *r = mn_arena_strndup(a, mn_buf_cstr(&b), b.len);
		*len = b.len;
		mn_buf_free(&b);
		return r;
	}
	case MN_FP_DATE:
	case MN_FP_DATETIME:
	case MN_FP_TIME:
		n = format_dt(&it->v.dt, tmp, sizeof tmp);
		break;
	case MN_FP_QUANTITY: {
		mn_buf b = MN_BUF_INIT;
		fp_write_decimal(&b, it->v.d, it->scale);
		mn_buf_putc(&b, ' ');
		fp_write_quantity_unit(&b, it);
		char *r = mn_arena_strndup(a, mn_buf_cstr(&b), b.len);
		*len = b.len;
		mn_buf_free(&b);
		return r;
	}
	default:
		return NULL;
	}
	*len = n;
	return mn_arena_strndup(a, tmp, n);
}

/* ---- hashing ------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* A number as its shortest exact decimal text: 1, 1.0 and 1.00 hash alike. */
static uint64_t hash_number(double d, int scale)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%.*f", scale > 15 ? 15 : scale, d);
	if (n <= 0 || n >= (int)sizeof buf)
		return 7;
	if (memchr(buf, '.', (size_t)n)) {
		while (n > 0 && buf[n - 1] == '0')
			n--;
		if (n > 0 && buf[n - 1] == '.')
			n--;
	}
	if (n == 2 && buf[0] == '-' && buf[1] == '0')
		return hash_bytes("0", 1);
	return hash_bytes(buf, (size_t)n);
}

static uint64_t hash_json_scalar(const mn_json *v)
{
	switch (v->type) {
	case MN_JSON_STRING:
		return hash_bytes(v->u.s, v->n);
	case MN_JSON_NUMBER: {
		char buf[64];
		size_t n = v->n < 63 ? v->n : 63;
		memcpy(buf, v->u.s, n);
		buf[n] = 0;
		double d = mn_strtod(buf, NULL);
		if (d == 0)
			d = 0;  /* -0 */
		uint64_t bits;
		memcpy(&bits, &d, sizeof bits);
		return bits;
	}
	default:
		return v->type;
	}
}

/* Quantities equal across units share one bucket, except dimensionless ones,
 * which equal numbers (9 = 9 '1'): those hash as the number in unit '1'. */
static uint64_t quantity_hash(const mn_fp_item *q)
{
	if (!(q->flags & FPI_CALENDAR) && q->unit) {
		if (q->unit[0] == '1' && q->unit[1] == 0)
			return hash_number(q->v.d, q->scale);
		qinfo qi;
		if (qinfo_of(q, &qi) && qi.dimless && !qi.special) {
			int extra = qi.u.factor < 1 ? (int)ceil(-log10(qi.u.factor) - 1e-9) : 0;
			return hash_number(q->v.d * qi.u.factor, q->scale + extra);
		}
	}
	return 17;
}

uint64_t fp_item_hash(const mn_fp_item *it)
{
	if (it->flags & FPI_NOVALUE)
		return 1;
	switch (it->kind) {
	case MN_FP_BOOLEAN:
		return it->v.b ? 3 : 5;
	case MN_FP_INTEGER:
		return hash_number((double)it->v.i, 0);
	case MN_FP_DECIMAL:
		return hash_number(it->v.d, it->scale);
	case MN_FP_STRING:
		return hash_bytes(it->v.str.s, it->v.str.n);
	case MN_FP_DATE:
	case MN_FP_DATETIME:
	case MN_FP_TIME: {
		mn_datetime d = it->v.dt;
		int p = d.precision > MN_DT_SECOND ? MN_DT_SECOND : d.precision;
		if (d.kind != MN_DT_TIME && d.has_tz && p >= MN_DT_HOUR && d.tz_minutes) {
			set_local_ms(&d, local_ms(&d) - d.tz_minutes * 60000LL);
		}
		uint64_t h = mix(d.kind == MN_DT_TIME ? 11 : 13, (uint64_t)p);
		h = mix(h, d.has_tz && p >= MN_DT_HOUR);
		for (int f = d.kind == MN_DT_TIME ? MN_DT_HOUR : MN_DT_YEAR; f <= p; f++)
			h = mix(h, (uint64_t)field(&d, f));
		return h;
	}
	case MN_FP_QUANTITY:
		return quantity_hash(it);
	case MN_FP_NODE: {
		mn_fp_item q;
		if (fp_as_quantity(it, &q))
			return quantity_hash(&q);
		const mn_json *o = it->node;
		if (!o || o->type != MN_JSON_OBJECT)
			return 19;
		/* order-independent: a sum over the scalar members */
		uint64_t h = o->n;
		for (uint32_t i = 0; i < o->n; i++) {
			const mn_json_member *m = &o->u.members[i];
			h += mix(hash_bytes(m->key, m->key_len), hash_json_scalar(&m->value));
		}
		return h;
	}
	default:
		return 23;
	}
}
