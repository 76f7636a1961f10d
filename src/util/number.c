/*
 * number.c: numbers read and written in the C locale, whatever locale the
 * process or the calling thread has chosen (a host program that calls
 * setlocale(LC_ALL, "") under de_DE would otherwise turn "2.5" into 2 and
 * print 2,5 into JSON and letters).
 *
 * Each call switches the calling thread to a cached "C" locale with
 * uselocale() and back; the locale object is made once (newlocale) and kept
 * for the life of the process. When it cannot be made, numbers are refused
 * (no conversion, a formatting error) rather than read or written in the
 * wrong locale.
 */
#include <errno.h>
#include <locale.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "mednec/util.h"

static _Atomic(locale_t) c_locale_cache;

static locale_t c_locale(void)
{
	locale_t loc = atomic_load(&c_locale_cache);
	if (loc)
		return loc;
	locale_t made = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!made)
		return (locale_t)0;
	locale_t expected = (locale_t)0;
	if (!atomic_compare_exchange_strong(&c_locale_cache, &expected, made)) {
		freelocale(made);  /* another thread made it first */
		return expected;
	}
	return made;
}

double mn_strtod(const char *s, char **end)
{
	locale_t c = c_locale();
	if (!c) {
		if (end)
			*end = (char *)s;
		errno = ENOMEM;
		return 0.0;
	}
	locale_t old = uselocale(c);
	double v = strtod(s, end);
	int saved = errno;
	uselocale(old);
	errno = saved;
	return v;
}

int mn_vsnprintf(char *out, size_t n, const char *fmt, va_list ap)
{
	locale_t c = c_locale();
	if (!c) {
		if (n)
			out[0] = '\0';
		return -1;
	}
	locale_t old = uselocale(c);
	int r = vsnprintf(out, n, fmt, ap);
	uselocale(old);
	return r;
}

int mn_snprintf(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = mn_vsnprintf(out, n, fmt, ap);
	va_end(ap);
	return r;
}
