/*
 * mednec/util.h: the bottom layer every other module stands on.
 *
 * - mn_error: a status code plus a located message. Every fallible public
 *   function returns an mn_status (0 on success, negative on failure) and
 *   fills an mn_error the caller passes in (NULL is allowed).
 * - mn_arena: a bump allocator freed in one call. Per-case and per-evaluation
 *   data live in arenas. Built with -DMN_ARENA_DEBUG=1 every allocation is a
 *   separate malloc so that AddressSanitizer sees overruns.
 * - mn_buf: a growable byte buffer with a size cap and a sticky OOM flag.
 * - mn_datetime: FHIR date, dateTime and time values with their precision.
 * - mn_strtod / mn_snprintf: numbers in the C locale whatever the host's.
 */
#ifndef MEDNEC_UTIL_H
#define MEDNEC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MN_VERSION "0.1.0"
const char *mn_version(void);

/* ---- errors ---------------------------------------------------------- */

typedef enum mn_status {
	MN_OK = 0,
	MN_EUSAGE = -1,     /* caller passed something invalid (bad option, date) */
	MN_EIO = -2,        /* a file could not be read or written */
	MN_EJSON = -3,      /* malformed JSON */
	MN_EFHIR = -4,      /* JSON that is not valid FHIR R4 */
	MN_EREF = -5,       /* a reference that does not resolve */
	MN_ESYNTAX = -6,    /* FHIRPath syntax error */
	MN_ESEMANTIC = -7,  /* FHIRPath semantic error (found before evaluation) */
	MN_EEVAL = -8,      /* FHIRPath execution error */
	MN_EPOLICY = -9,    /* invalid policy or knowledge file */
	MN_ENOMEM = -10,    /* out of memory */
	MN_ELIMIT = -11,    /* a configured limit (depth, size, length) exceeded */
	MN_ENOTFOUND = -12, /* named thing (policy, evidence) does not exist */
	MN_EINTERNAL = -13, /* a bug: an invariant did not hold */
	MN_EINTEGRITY = -14 /* stored data fails its integrity check (a broken audit hash chain) */
} mn_status;

typedef struct mn_error {
	mn_status code;
	char source[256];  /* file name or other origin; "" if none */
	int line, column;  /* 1-based; 0 when not applicable */
	char path[256];    /* JSON pointer, FHIRPath element path or policy key; "" if none */
	char message[768];
} mn_error;

/* Stable lowercase name of a status, e.g. "json-syntax". */
const char *mn_status_name(mn_status code);

/* Clear an error. Safe on NULL. */
void mn_error_clear(mn_error *err);

/* Set code and a printf-style message; keeps source/line/path untouched.
 * Returns code so callers can write `return mn_error_set(err, ...);`.
 * Safe on NULL err. */
mn_status mn_error_set(mn_error *err, mn_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
mn_status mn_error_setv(mn_error *err, mn_status code, const char *fmt, va_list ap);
void mn_error_locate(mn_error *err, const char *source, int line, int column);
void mn_error_set_path(mn_error *err, const char *path);

/* "source:line:column: path: message" with the parts that are set. */
void mn_error_format(const mn_error *err, char *out, size_t outsz);

/* ---- arena ----------------------------------------------------------- */

typedef struct mn_arena mn_arena;

mn_arena *mn_arena_new(void);
void mn_arena_free(mn_arena *a);
/* Free everything allocated so far and keep the arena for reuse. */
void mn_arena_reset(mn_arena *a);
/* Memory aligned for any object; NULL on out-of-memory or size overflow. */
void *mn_arena_alloc(mn_arena *a, size_t n);
void *mn_arena_calloc(mn_arena *a, size_t count, size_t size);
char *mn_arena_strndup(mn_arena *a, const char *s, size_t n);
/* "a" sep "b" (mn_arena_printf(a, "%s/%s", x, y) without the formatting: for hot paths). */
char *mn_arena_join(mn_arena *a, const char *x, char sep, const char *y);
char *mn_arena_strdup(mn_arena *a, const char *s);
char *mn_arena_printf(mn_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for limits and tests). */
size_t mn_arena_used(const mn_arena *a);
/* Whether an allocation from the arena was ever refused (out of memory or
 * size overflow) since it was made or reset: writers that allocate in many
 * places check this once instead of after every call. */
bool mn_arena_failed(const mn_arena *a);

/* For programs, at start (it sets the C library's top pad, so a library inside another program does not
 * call it): the heap grows `step` bytes at a time (64 MiB: mednec) and every step is advised for transparent
 * huge pages before it is used, one page fault per 2 MiB instead of per 4 KiB, as glibc does with
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (hugepage.c). Only advice: false, and nothing changed, where it
 * cannot be given (not glibc, a step under 2 MiB or over 1 GiB, called before); true does not mean the
 * kernel gives huge pages (THP off). Arena blocks of 2 MiB or more are advised in every program. */
bool mn_heap_huge_pages(size_t step);

/* Allocation failure injection, for tests (compiled in, off by default).
 * mn_alloc_fail_at(n), n >= 1: the n-th allocation request from now on this
 * thread fails once, as out-of-memory would; the requests counted are arena
 * creation, every mn_arena_alloc (and what calls it) and every mn_buf growth
 * that needs memory. 0 turns it off. Until a thread calls mn_alloc_fail_at,
 * its first request takes n from the environment variable
 * MN_TEST_FAIL_ALLOCATION (for the CLI tests; unset = off).
 * mn_alloc_fail_pending() is true while
 * the failure is still ahead (the code ran fewer than n requests).
 * mn_alloc_inject_failure() is the check util's allocators make. */
void mn_alloc_fail_at(long n);
bool mn_alloc_fail_pending(void);
bool mn_alloc_inject_failure(void);

/* ---- growable buffer ------------------------------------------------- */

typedef struct mn_buf {
	char *data;     /* always NUL-terminated when len > 0 or after mn_buf_cstr */
	size_t len, cap;
	size_t max;     /* 0 = default cap (256 MiB) */
	bool failed;    /* sticky: an append failed (OOM or over max) */
	bool over;      /* sticky: an append failed because it would pass max (not OOM) */
} mn_buf;

#define MN_BUF_INIT {NULL, 0, 0, 0, false, false}

void mn_buf_free(mn_buf *b);
void mn_buf_reset(mn_buf *b);  /* len = 0, keeps memory and the failed flag */
int mn_buf_put(mn_buf *b, const void *p, size_t n);  /* 0 or -1 */
int mn_buf_puts(mn_buf *b, const char *s);
int mn_buf_putc(mn_buf *b, char c);
int mn_buf_printf(mn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal, quotes included. */
int mn_buf_put_json_string(mn_buf *b, const char *s, size_t n);
/* Append n bytes of s as HTML character data or a quoted attribute value: & < > " ' as character references, the
 * control characters other than tab, newline and carriage return dropped; with one_line a newline becomes a space
 * and a carriage return is dropped (text that must stay on one line: table cells, attributes), else both are kept
 * (pre-wrapped text, a textarea's value). */
int mn_buf_put_html(mn_buf *b, const char *s, size_t n, bool one_line);
const char *mn_buf_cstr(mn_buf *b);  /* "" for an empty buffer */
/* Take ownership of the malloc'd string; the buffer is emptied. */
char *mn_buf_detach(mn_buf *b, size_t *len);

/* ---- numbers in the C locale ------------------------------------------ */

/* strtod, snprintf and vsnprintf that always use the C locale ('.' as the
 * decimal point, no grouping) whatever setlocale/uselocale the host chose.
 * mn_buf_printf, mn_arena_printf and mn_error_set format through these.
 * When the C locale object cannot be made: mn_strtod converts nothing (*end
 * = s, errno ENOMEM) and the printf forms return -1. */
double mn_strtod(const char *s, char **end);
int mn_snprintf(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mn_vsnprintf(char *out, size_t n, const char *fmt, va_list ap);

/* ---- phrases ---------------------------------------------------------- */

/* Whether text contains phrase as words: ASCII case ignored; the phrase
 * starts and ends at word boundaries (a word: ASCII letters, digits and
 * non-ASCII bytes), so "odi" is not in "periodic"; a space in the phrase
 * matches one or more spaces, tabs, line breaks or hyphens; a trailing '*'
 * makes the last word a prefix ("psycholog*" finds "psychological"). */
bool mn_text_has_phrase(const char *text, const char *phrase);

/* Read a whole file into a malloc'd NUL-terminated buffer. */
mn_status mn_read_file(const char *path, char **out, size_t *len, mn_error *err);

/* ---- dates and times ------------------------------------------------- */

typedef enum mn_dt_precision {
	MN_DT_YEAR = 1, MN_DT_MONTH, MN_DT_DAY, MN_DT_HOUR, MN_DT_MINUTE,
	MN_DT_SECOND, MN_DT_MILLISECOND
} mn_dt_precision;

typedef enum mn_dt_kind { MN_DT_DATE = 1, MN_DT_DATETIME, MN_DT_TIME } mn_dt_kind;

typedef struct mn_datetime {
	uint8_t kind;       /* mn_dt_kind */
	uint8_t precision;  /* mn_dt_precision: finest field present */
	bool has_tz;
	int16_t tz_minutes; /* offset from UTC when has_tz */
	int16_t year;       /* unused for TIME */
	int8_t month, day;  /* 1-based */
	int8_t hour, minute, second;
	int16_t millisecond;
} mn_datetime;

/* Parse FHIR date ("2024", "2024-03", "2024-03-05"), dateTime
 * ("2024-03-05T10:20:30.123+01:00", time part requires a zone in FHIR but a
 * missing zone is accepted) or, with kind MN_DT_TIME, time ("10:20:30").
 * Validates ranges (month 1-12, day within month incl. leap years).
 * Returns MN_OK or MN_EUSAGE with a message. */
mn_status mn_datetime_parse(const char *s, size_t n, mn_dt_kind kind, mn_datetime *out,
                            mn_error *err);
/* Flags for mn_datetime_parse_ex. MN_DT_LENIENT accepts the FHIRPath forms
 * as well: a time known only to the hour ("T14"), a dateTime that ends with
 * 'T' after any date precision ("2015T"), and a zone after a dateTime given
 * only to the date. kind 0: a date without 'T', a dateTime with one. */
#define MN_DT_LENIENT 0x1u
mn_status mn_datetime_parse_ex(const char *s, size_t n, int kind, unsigned flags, mn_datetime *out,
                               mn_error *err);
/* Parse as date when it has no 'T', otherwise as dateTime. */
mn_status mn_datetime_parse_any(const char *s, size_t n, mn_datetime *out, mn_error *err);
/* Write in FHIR text form at the value's own precision; returns length. */
size_t mn_datetime_format(const mn_datetime *dt, char *out, size_t outsz);
/* Days since 1970-01-01 of a (proleptic Gregorian) date; missing month/day
 * count as 1. */
int64_t mn_days_from_civil(int year, int month, int day);
void mn_civil_from_days(int64_t days, int *year, int *month, int *day);
int mn_days_in_month(int year, int month);
/* Add calendar months (negative allowed), clamping the day to the month's end. */
void mn_date_add_months(int *year, int *month, int *day, int months);

#ifdef __cplusplus
}
#endif
#endif
