/*
 * datetime.c: FHIR date, dateTime and time values (parsing, text, calendar).
 *
 * Formats (FHIR R4 datatypes): date YYYY[-MM[-DD]]; dateTime a date
 * optionally followed by Thh:mm[:ss[.fff...]] and a zone (Z or +hh:mm);
 * time hh:mm[:ss[.fff...]]. Fractions beyond milliseconds are truncated.
 * Calendar arithmetic uses the proleptic Gregorian calendar (days from civil
 * after H. Hinnant's public-domain algorithm description, written here anew).
 */
#include <stdio.h>
#include <string.h>

#include "mednec/util.h"

/* The count decimal digits at s[at..): their value in *out, or -1 if one is not a digit or n is short. Each
 * byte's distance from '0' is taken unsigned, so one compare tells a digit (at most 9) from anything else. */
static inline int digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
	unsigned v = 0;
	if (at + count > n)
		return -1;
	for (size_t i = 0; i < count; i++) {
		unsigned d = (unsigned)(unsigned char)s[at + i] - '0';
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	*out = (int)v;
	return 0;
}

int mn_days_in_month(int year, int month)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return dim[month - 1];
}

/* hh:mm[:ss[.fff]] starting at s[at] (with MN_DT_LENIENT also hh alone);
 * sets fields and precision. */
static int parse_time(const char *s, size_t n, size_t *at, unsigned flags, mn_datetime *dt)
{
	int h, mi, sec;
	size_t i = *at;
	if (digits(s, n, i, 2, &h) || h > 23)
		return -1;
	dt->hour = (int8_t)h;
	if ((flags & MN_DT_LENIENT) && (i + 2 >= n || s[i + 2] != ':')) {
		dt->precision = MN_DT_HOUR;
		*at = i + 2;
		return 0;
	}
	if (i + 2 >= n || s[i + 2] != ':' || digits(s, n, i + 3, 2, &mi) || mi > 59)
		return -1;
	dt->minute = (int8_t)mi;
	dt->precision = MN_DT_MINUTE;
	i += 5;
	if (i < n && s[i] == ':') {
		if (digits(s, n, i + 1, 2, &sec) || sec > 59)
			return -1;
		dt->second = (int8_t)sec;
		dt->precision = MN_DT_SECOND;
		i += 3;
		if (i < n && s[i] == '.') {
			size_t j = i + 1;
			int ms = 0, k = 0;
			while (j < n && s[j] >= '0' && s[j] <= '9') {
				if (k < 3)
					ms = ms * 10 + (s[j] - '0');
				k++;
				j++;
			}
			if (k == 0)
				return -1;
			for (; k < 3; k++)
				ms *= 10;
			dt->millisecond = (int16_t)ms;
			dt->precision = MN_DT_MILLISECOND;
			i = j;
		}
	}
	*at = i;
	return 0;
}

mn_status mn_datetime_parse(const char *s, size_t n, mn_dt_kind kind, mn_datetime *out,
                            mn_error *err)
{
	return mn_datetime_parse_ex(s, n, kind, 0, out, err);
}

mn_status mn_datetime_parse_ex(const char *s, size_t n, int kind, unsigned flags, mn_datetime *out,
                               mn_error *err)
{
	mn_datetime dt;
	memset(&dt, 0, sizeof dt);
	if (kind == 0)
		kind = memchr(s, 'T', n) ? MN_DT_DATETIME : MN_DT_DATE;
	dt.kind = (uint8_t)kind;
	size_t i = 0;
	int y, mo, d;
	if (kind == MN_DT_TIME) {
		if (parse_time(s, n, &i, flags, &dt) || i != n)
			goto bad;
		*out = dt;
		return MN_OK;
	}
	if (digits(s, n, 0, 4, &y))
		goto bad;
	dt.year = (int16_t)y;
	dt.month = dt.day = 1;
	dt.precision = MN_DT_YEAR;
	i = 4;
	if (i < n && s[i] == '-') {
		if (digits(s, n, i + 1, 2, &mo) || mo < 1 || mo > 12)
			goto bad;
		dt.month = (int8_t)mo;
		dt.precision = MN_DT_MONTH;
		i += 3;
		if (i < n && s[i] == '-') {
			if (digits(s, n, i + 1, 2, &d) || d < 1 || d > mn_days_in_month(y, mo))
				goto bad;
			dt.day = (int8_t)d;
			dt.precision = MN_DT_DAY;
			i += 3;
		}
	}
	bool lenient = flags & MN_DT_LENIENT, timed = false;
	if (i < n && s[i] == 'T') {
		if (kind != MN_DT_DATETIME)
			goto bad;
		i++;
		/* lenient: "2015T" is a dateTime known to the year */
		if (!lenient || (i < n && s[i] >= '0' && s[i] <= '9')) {
			if (dt.precision != MN_DT_DAY || parse_time(s, n, &i, flags, &dt))
				goto bad;
			timed = true;
		}
	}
	/* a zone follows a time (lenient: also a dateTime given to the date) */
	if ((timed || (lenient && kind == MN_DT_DATETIME)) && i < n) {
		if (s[i] == 'Z') {
			dt.has_tz = true;
			i++;
		} else if (s[i] == '+' || s[i] == '-') {
			int th, tm;
			if (digits(s, n, i + 1, 2, &th) || i + 3 >= n || s[i + 3] != ':' ||
			    digits(s, n, i + 4, 2, &tm) || th > 14 || tm > 59)
				goto bad;
			dt.has_tz = true;
			dt.tz_minutes = (int16_t)((s[i] == '-' ? -1 : 1) * (th * 60 + tm));
			i += 6;
		}
	}
	if (i != n)
		goto bad;
	*out = dt;
	return MN_OK;
bad:
	return mn_error_set(err, MN_EUSAGE, "invalid %s '%.*s'",
	                    kind == MN_DT_DATE ? "date" : kind == MN_DT_TIME ? "time" : "dateTime",
	                    (int)(n > 64 ? 64 : n), s);
}

mn_status mn_datetime_parse_any(const char *s, size_t n, mn_datetime *out, mn_error *err)
{
	return mn_datetime_parse(s, n, memchr(s, 'T', n) ? MN_DT_DATETIME : MN_DT_DATE, out, err);
}

size_t mn_datetime_format(const mn_datetime *dt, char *out, size_t outsz)
{
	char b[64];
	int n = 0;
	if (dt->kind != MN_DT_TIME) {
		n += snprintf(b + n, sizeof b - (size_t)n, "%04d", dt->year);
		if (dt->precision >= MN_DT_MONTH)
			n += snprintf(b + n, sizeof b - (size_t)n, "-%02d", dt->month);
		if (dt->precision >= MN_DT_DAY)
			n += snprintf(b + n, sizeof b - (size_t)n, "-%02d", dt->day);
		if (dt->precision >= MN_DT_HOUR)
			b[n++] = 'T';
	}
	if (dt->precision >= MN_DT_HOUR || dt->kind == MN_DT_TIME) {
		n += snprintf(b + n, sizeof b - (size_t)n, "%02d", dt->hour);
		if (dt->precision >= MN_DT_MINUTE)
			n += snprintf(b + n, sizeof b - (size_t)n, ":%02d", dt->minute);
		if (dt->precision >= MN_DT_SECOND)
			n += snprintf(b + n, sizeof b - (size_t)n, ":%02d", dt->second);
		if (dt->precision >= MN_DT_MILLISECOND)
			n += snprintf(b + n, sizeof b - (size_t)n, ".%03d", dt->millisecond);
		if (dt->kind == MN_DT_DATETIME && dt->has_tz) {
			if (dt->tz_minutes == 0) {
				b[n++] = 'Z';
			} else {
				int m = dt->tz_minutes < 0 ? -dt->tz_minutes : dt->tz_minutes;
				n += snprintf(b + n, sizeof b - (size_t)n, "%c%02d:%02d",
				              dt->tz_minutes < 0 ? '-' : '+', m / 60, m % 60);
			}
		}
	}
	b[n] = '\0';
	if (outsz) {
		size_t k = (size_t)n < outsz - 1 ? (size_t)n : outsz - 1;
		memcpy(out, b, k);
		out[k] = '\0';
	}
	return (size_t)n;
}

int64_t mn_days_from_civil(int year, int month, int day)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void mn_civil_from_days(int64_t z, int *year, int *month, int *day)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	*year = (int)(y + (m <= 2));
	*month = (int)m;
	*day = (int)d;
}

void mn_date_add_months(int *year, int *month, int *day, int months)
{
	int64_t total = (int64_t)*year * 12 + (*month - 1) + months;
	int64_t y = total >= 0 ? total / 12 : -((-total + 11) / 12);
	int m = (int)(total - y * 12) + 1;
	*year = (int)y;
	*month = m;
	int dim = mn_days_in_month(*year, m);
	if (*day > dim)
		*day = dim;
}
