/*
 * buf.c: growable byte buffers with a cap, and whole-file reading.
 *
 * A failed append (out of memory or over the cap) sets the sticky `failed`
 * flag and leaves the content unchanged, so writers can append freely and
 * check once at the end. Formatting is done in the C locale (number.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mednec/util.h"
#include "hugepage.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define S_SIMD 1
#else
#define S_SIMD 0
#endif

#define DEFAULT_MAX ((size_t)256 << 20)

void mn_buf_free(mn_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void mn_buf_reset(mn_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int grow(mn_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : DEFAULT_MAX;
	if (b->failed)
		return -1;
	if (extra > max || b->len > max - extra) {
		b->failed = true;
		b->over = true;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = mn_alloc_inject_failure() ? NULL : realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int mn_buf_put(mn_buf *b, const void *p, size_t n)
{
	if (grow(b, n))
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int mn_buf_puts(mn_buf *b, const char *s)
{
	return mn_buf_put(b, s, strlen(s));
}

int mn_buf_putc(mn_buf *b, char c)
{
	return mn_buf_put(b, &c, 1);
}

int mn_buf_printf(mn_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = mn_vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	int rc;
	if (n < 0) {
		b->failed = true;
		rc = -1;
	} else if ((size_t)n < sizeof small) {
		rc = mn_buf_put(b, small, (size_t)n);
	} else if (grow(b, (size_t)n)) {
		rc = -1;
	} else if (mn_vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2) != n) {
		b->data[b->len] = '\0';
		b->failed = true;
		rc = -1;
	} else {
		b->len += (size_t)n;
		rc = 0;
	}
	va_end(ap2);
	return rc;
}

/* Bytes mn_buf_put_json_string escapes: '"', '\\' and the control characters. */
static const unsigned char S_json_escaped[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

/* The end of the run of bytes from s[i] that JSON takes as they are: 16 at a time where SSE2 is (every x86-64),
 * then one at a time. */
static inline size_t json_plain_run(const char *s, size_t i, size_t n)
{
#if S_SIMD
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
	while (n - i >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* x <= 0x1f unsigned: min(x, 0x1f) == x */
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
		                            _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
		unsigned m = (unsigned)_mm_movemask_epi8(stop);
		if (m)
			return i + (unsigned)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < n && !S_json_escaped[(unsigned char)s[i]])
		i++;
	return i;
}

int mn_buf_put_json_string(mn_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t plain = json_plain_run(s, 0, n);
	if (plain == n) {  /* the common case: nothing to escape, one copy */
		if (n > SIZE_MAX - 2 || grow(b, n + 2))
			return -1;
		char *d = b->data + b->len;
		d[0] = '"';
		if (n)
			memcpy(d + 1, s, n);
		d[n + 1] = '"';
		b->len += n + 2;
		b->data[b->len] = '\0';
		return 0;
	}
	int rc = mn_buf_putc(b, '"');
	size_t start = 0;
	for (size_t i = plain; i < n; i = json_plain_run(s, i + 1, n)) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		rc |= mn_buf_put(b, s + start, i - start);
		rc |= mn_buf_puts(b, esc);
		start = i + 1;
	}
	rc |= mn_buf_put(b, s + start, n - start);
	rc |= mn_buf_putc(b, '"');
	return rc ? -1 : 0;
}

int mn_buf_put_html(mn_buf *b, const char *s, size_t n, bool one_line)
{
	int rc = 0;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc;
		switch (c) {
		case '&': esc = "&amp;"; break;
		case '<': esc = "&lt;"; break;
		case '>': esc = "&gt;"; break;
		case '"': esc = "&quot;"; break;
		case '\'': esc = "&#39;"; break;
		case '\t': continue;
		case '\n': esc = one_line ? " " : NULL; break;
		case '\r': esc = one_line ? "" : NULL; break;
		default:
			if (c >= 0x20)
				continue;
			esc = "";   /* dropped */
		}
		if (!esc)
			continue;
		rc |= mn_buf_put(b, s + start, i - start);
		rc |= mn_buf_puts(b, esc);
		start = i + 1;
	}
	rc |= mn_buf_put(b, s + start, n - start);
	return rc ? -1 : 0;
}

const char *mn_buf_cstr(mn_buf *b)
{
	return b->data ? b->data : "";
}

char *mn_buf_detach(mn_buf *b, size_t *len)
{
	char *p = b->data;
	if (!p)
		p = calloc(1, 1);
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* A regular file of known size is read straight into a buffer of that size (one allocation, no copies; from
 * 2 MiB up in transparent huge pages, hugepage.c); NULL when it is not a regular file or changed size while
 * read (the caller reads it as a stream from the start). */
static char *read_sized(int fd, size_t *len, mn_status *st)
{
	struct stat sb;
	*st = MN_OK;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0)
		return NULL;
	if ((uintmax_t)sb.st_size > DEFAULT_MAX) {
		*st = MN_ENOMEM;  /* as the stream's buffer would refuse it */
		return NULL;
	}
	size_t want = (size_t)sb.st_size, got = 0;
	/* one byte more than the size, to see a file that grew, and the NUL */
	char *p = mn_alloc_inject_failure() ? NULL : mn_big_alloc(want + 2, NULL);
	if (!p) {
		*st = MN_ENOMEM;
		return NULL;
	}
	while (got < want + 1) {
		ssize_t r = read(fd, p + got, want + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(p);
			*st = MN_EIO;
			return NULL;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got != want) {
		free(p);
		return lseek(fd, 0, SEEK_SET) == 0 ? NULL : (*st = MN_EIO, NULL);
	}
	p[got] = '\0';
	*len = got;
	return p;
}

mn_status mn_read_file(const char *path, char **out, size_t *len, mn_error *err)
{
	*out = NULL;
	if (len)
		*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mn_error_locate(err, path, 0, 0);
		return mn_error_set(err, MN_EIO, "cannot open: %s", strerror(errno));
	}
	size_t n = 0;
	mn_status st;
	char *text = read_sized(fd, &n, &st);
	if (text || st != MN_OK) {
		close(fd);
		if (st != MN_OK) {
			mn_error_locate(err, path, 0, 0);
			return mn_error_set(err, st, st == MN_EIO ? "read error" : "file too large or out of memory");
		}
		*out = text;
		if (len)
			*len = n;
		return MN_OK;
	}
	/* a pipe, a device, a file that changed while read: as a stream */
	mn_buf b = MN_BUF_INIT;
	char chunk[65536];
	bool bad = false;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			bad = r < 0;
			break;
		}
		if (mn_buf_put(&b, chunk, (size_t)r))
			break;
	}
	close(fd);
	if (bad || b.failed) {
		mn_buf_free(&b);
		mn_error_locate(err, path, 0, 0);
		return mn_error_set(err, bad ? MN_EIO : MN_ENOMEM, bad ? "read error" : "file too large or out of memory");
	}
	*out = mn_buf_detach(&b, len);
	return *out ? MN_OK : mn_error_set(err, MN_ENOMEM, "out of memory");
}
