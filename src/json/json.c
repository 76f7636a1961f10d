/*
 * json.c: a strict RFC 8259 parser into an arena tree, plus lookups and a
 * compact writer.
 *
 * The parser is recursive descent over the whole text (depth capped at
 * MN_JSON_MAX_DEPTH). Children are gathered on one scratch stack and copied
 * into the arena as a contiguous array when their container closes, so a
 * value tree costs one arena allocation per container plus its strings.
 * Strings are validated as UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF) and escapes are decoded; a \u escape of a lone surrogate is
 * rejected since it has no UTF-8 form. A leading UTF-8 byte order mark is
 * skipped (RFC 8259 §8.1 allows a parser to ignore it).
 *
 * Speed: whitespace and the plain ASCII runs of strings are scanned 16 bytes
 * at a time with SSE2 (baseline on x86-64); the scalar loops after them do
 * the rest and are the whole scan elsewhere, or when built with
 * -DMN_JSON_SCALAR (tests/test_json.c builds the parser that way too and
 * checks that both give the same trees and errors). Only the bytes the scan
 * stops at (a quote, a backslash, a control character, a non-ASCII byte) are
 * looked at one by one. mn_json_parse_insitu leaves each string without
 * escapes in the text, ended by a NUL written over its closing quote,
 * instead of copying it.
 */
#include <stdlib.h>
#include <string.h>

#include "mednec/json.h"

#if defined(__SSE2__) && !defined(MN_JSON_SCALAR)
#include <emmintrin.h>
#define S_SIMD 1
#else
#define S_SIMD 0
#endif

typedef struct parser {
	const char *s;
	size_t n, i;
	char *insitu;  /* mn_json_parse_insitu: s, writable; NULL: strings are copied */
	mn_arena *arena;
	const char *name;
	mn_error *err;
	int depth;
	size_t ind;    /* the indentation of the items of the container being parsed (ws_end_ind) */
	size_t step;   /* the last container's first item's indentation less the container's own */
	/* scratch stacks */
	mn_json *vals;
	size_t nvals, capvals;
	mn_json_member *mems;
	size_t nmems, capmems;
	mn_buf sbuf;  /* string unescape scratch */
	char *chunk;  /* tree_alloc: the rest of the current chunk */
	size_t chunk_left, chunk_next;
} parser;

static mn_status fail_at(parser *p, size_t at, mn_status code, const char *what)
	__attribute__((cold, noinline));

static mn_status fail_at(parser *p, size_t at, mn_status code, const char *what)
{
	int line, col;
	mn_json_position(p->s, p->n, at, &line, &col);
	mn_error_locate(p->err, p->name, line, col);
	if (at >= p->n)
		return mn_error_set(p->err, code, "%s at end of input", what);
	unsigned char c = (unsigned char)p->s[at];
	if (c >= 0x20 && c < 0x7f)
		return mn_error_set(p->err, code, "%s near '%c'", what, c);
	return mn_error_set(p->err, code, "%s near byte 0x%02x", what, c);
}

/* The end of the whitespace run at s[i..n): the first index that is not ' ', '\n', '\r' or '\t'. */
static inline size_t ws_end(const char *s, size_t i, size_t n)
{
	if (i < n && (unsigned char)s[i] > ' ')
		return i;  /* none: after '[', ',' in compact text */
	if (i + 1 < n && s[i] == ' ' && (unsigned char)s[i + 1] > ' ')
		return i + 1;  /* one space: after ':' in indented text */
#if S_SIMD
	/* spaces and newlines, 16 bytes at a time; a tab or carriage return ends this, the loop below goes on */
	const __m128i sp = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n');
	while (n - i >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		unsigned other = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, nl))) ^
		                 0xffffu;
		if (other) {
			i += (unsigned)__builtin_ctz(other);
			if ((unsigned char)s[i] > ' ')
				return i;  /* a token; a tab, carriage return or other control character: the loop below */
			break;
		}
		i += 16;
	}
#endif
	while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
		i++;
	return i;
}

static inline void skip_ws(parser *p)
{
	p->i = ws_end(p->s, p->i, p->n);
}

/* ws_end, for a run that is likely a newline and ind spaces (indented text: before the first item of a
 * container, one step (the last container's) further in than the container's line; before the next item,
 * at the first item's indentation; before the closing bracket, at the opener's line's).
 * With SSE2, an indentation of 15 to 31 spaces (most of a pretty-printed record's) is checked as two 16-byte
 * blocks, the first the newline and 15 spaces, the second (overlapping it) the last 16 spaces, and the byte
 * after the run must end it; anything else (a shorter or longer run, a tab, CRLF, another indentation) is
 * ws_end's from i. Either way the end of the same run. */
static inline size_t ws_end_ind(const char *s, size_t i, size_t n, size_t ind)
{
	if (i < n && (unsigned char)s[i] > ' ')
		return i;  /* none: before ',' after a value */
#if S_SIMD
	if (ind - 15 <= 16 && n - i > 32) {  /* 15 <= ind <= 31, and s[i + 32] is in the text */
		const __m128i nl = _mm_setr_epi8('\n', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ');
		size_t end = i + 1 + ind;
		__m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)), nl);
		__m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + end - 16)),
		                           _mm_set1_epi8(' '));
		if (_mm_movemask_epi8(_mm_and_si128(a, b)) == 0xffff && (unsigned char)s[end] > ' ')
			return end;
	}
#else
	(void)ind;
#endif
	return ws_end(s, i, n);
}

/* The indentation a run of whitespace from i to end would have as a newline and spaces (see ws_end_ind),
 * which is what the prediction checks; 0 for an empty run. */
static inline size_t ws_ind(size_t i, size_t end)
{
	return end > i ? end - i - 1 : 0;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;  /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;  /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;  /* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;  /* above U+10FFFF */
		return 4;
	}
	return 0;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		char c = s[k];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	*out = v;
	return 0;
}

static void put_utf8(mn_buf *b, unsigned cp)
{
	char u[4];
	size_t k;
	if (cp < 0x80) { u[0] = (char)cp; k = 1; }
	else if (cp < 0x800) { u[0] = (char)(0xc0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3f)); k = 2; }
	else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)); k = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); k = 4;
	}
	mn_buf_put(b, u, k);
}

/* Bytes a string can hold as they are: ASCII from ' ' to DEL but '"' and '\\'. */
#define S_P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const unsigned char S_plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, S_P16,  /* 0x20-0x3f: not '"' */
	S_P16, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,  /* 0x40-0x5f: not '\\' */
	S_P16, S_P16,                                           /* 0x60-0x7f */
};
#undef S_P16

/* The first index at or after i in s[0..n) whose byte a string cannot hold as it is ('"', '\\', a
 * control character, a non-ASCII byte: see S_plain), or n. */
static inline size_t scan_plain(const unsigned char *s, size_t i, size_t n)
{
#if S_SIMD
	const __m128i flip = _mm_set1_epi8(0x02), bslash = _mm_set1_epi8('\\'), below = _mm_set1_epi8(0x21);
	while (n - i >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* flipping bit 1 maps 0x00-0x1f onto themselves and '"' (0x22) to 0x20, and no other byte below 0x80 to
		 * 0x20 or below: a signed compare with 0x21 takes '"', the control characters and (negative) the bytes
		 * 0x80-0xff at once */
		__m128i stop = _mm_or_si128(_mm_cmplt_epi8(_mm_xor_si128(x, flip), below), _mm_cmpeq_epi8(x, bslash));
		unsigned m = (unsigned)_mm_movemask_epi8(stop);
		if (m)
			return i + (unsigned)__builtin_ctz(m);
		i += 16;
	}
#endif
	while (i < n && S_plain[s[i]])
		i++;
	return i;
}

static mn_status parse_escaped(parser *p, size_t start, size_t i, const char **out, uint32_t *outlen)
	__attribute__((noinline));

/* string -> '"' chars '"' ; *at: the opening quote in s[0..n) (p->s, p->n), then the byte after the closing
 * one. The common string, without escapes, is done here; at the first backslash, parse_escaped takes over.
 * Inlined in every caller (the compiler would call it), which may keep s, n and the position in registers. */
static inline __attribute__((always_inline)) mn_status parse_string(parser *p, const char *text, size_t n,
                                                                    size_t *at, const char **out,
                                                                    uint32_t *outlen)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t quote = *at, i = quote + 1, start = i;
	/* fast path: no escapes; plain ASCII runs are skipped by scan_plain, other UTF-8 is checked */
	for (;;) {
		i = scan_plain(s, i, n);
		if (i >= n)
			return fail_at(p, quote, MN_EJSON, "unterminated string");
		unsigned c = s[i];
		if (c == '"')
			break;
		if (c == '\\') {
			p->i = quote;
			mn_status rc = parse_escaped(p, start, i, out, outlen);
			*at = p->i;
			return rc;
		}
		if (c < 0x20)
			return fail_at(p, i, MN_EJSON, "control character in string");
		size_t k = utf8_len(s + i, n - i);
		if (!k)
			return fail_at(p, i, MN_EJSON, "invalid UTF-8 in string");
		i += k;
	}
	size_t len = i - start;  /* below 4 GiB: parse_text refuses a longer text */
	char *insitu = p->insitu;
	if (insitu) {
		insitu[i] = 0;  /* the closing quote, read already; before *out, which it might alias for the compiler */
		*out = insitu + start;
	} else {
		char *copy = mn_arena_strndup(p->arena, text + start, len);
		if (!copy)
			return mn_error_set(p->err, MN_ENOMEM, "out of memory");
		*out = copy;
	}
	*outlen = (uint32_t)len;
	*at = i + 1;
	return MN_OK;
}

/* The rest of a string from its first escape at i (start: its first byte): decoded into the scratch buffer,
 * plain runs at once, then copied into the arena. */
static mn_status parse_escaped(parser *p, size_t start, size_t i, const char **out, uint32_t *outlen)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t n = p->n;
	mn_buf *b = &p->sbuf;
	mn_buf_reset(b);
	mn_buf_put(b, p->s + start, i - start);
	for (;;) {
		size_t j = scan_plain(s, i, n);
		if (j > i)
			mn_buf_put(b, p->s + i, j - i);
		i = j;
		if (i >= n)
			return fail_at(p, p->i, MN_EJSON, "unterminated string");
		unsigned c = s[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail_at(p, i, MN_EJSON, "control character in string");
		if (c == '\\') {
			if (i + 1 >= n)
				return fail_at(p, i, MN_EJSON, "unterminated escape");
			char e = p->s[i + 1];
			const char *rep = NULL;
			switch (e) {
			case '"': rep = "\""; break;
			case '\\': rep = "\\"; break;
			case '/': rep = "/"; break;
			case 'b': rep = "\b"; break;
			case 'f': rep = "\f"; break;
			case 'n': rep = "\n"; break;
			case 'r': rep = "\r"; break;
			case 't': rep = "\t"; break;
			case 'u': {
				unsigned cp, lo;
				if (i + 6 > n || hex4(p->s + i + 2, &cp))
					return fail_at(p, i, MN_EJSON, "invalid \\u escape");
				i += 6;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (i + 6 > n || p->s[i] != '\\' || p->s[i + 1] != 'u' ||
					    hex4(p->s + i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return fail_at(p, i - 6, MN_EJSON, "unpaired surrogate in \\u escape");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					return fail_at(p, i - 6, MN_EJSON, "unpaired surrogate in \\u escape");
				}
				put_utf8(b, cp);
				continue;
			}
			default:
				return fail_at(p, i, MN_EJSON, "invalid escape");
			}
			mn_buf_put(b, rep, 1);
			i += 2;
			continue;
		}
		size_t k = utf8_len(s + i, n - i);
		if (!k)
			return fail_at(p, i, MN_EJSON, "invalid UTF-8 in string");
		mn_buf_put(b, p->s + i, k);
		i += k;
	}
	if (b->failed)
		return mn_error_set(p->err, MN_ENOMEM, "out of memory");
	if (b->len > UINT32_MAX)
		return fail_at(p, p->i, MN_ELIMIT, "string too long");
	char *copy = mn_arena_strndup(p->arena, mn_buf_cstr(b), b->len);
	if (!copy)
		return mn_error_set(p->err, MN_ENOMEM, "out of memory");
	*out = copy;
	*outlen = (uint32_t)b->len;
	p->i = i + 1;
	return MN_OK;
}

/* Length of the JSON number at s[0..n) (0 when there is none):
 * number -> '-'? int frac? exp? ; *bad is the offset of a malformed part. */
static size_t scan_number(const char *s, size_t n, size_t *bad)
{
	size_t i = 0;
	*bad = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return 0;
	if (s[i] == '0') {
		i++;
	} else {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return *bad = i, 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return *bad = i, 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i;
}

bool mn_json_number_valid(const char *s, size_t n)
{
	size_t bad;
	return n && scan_number(s, n, &bad) == n;
}

static inline void *tree_alloc(parser *p, size_t size);

static mn_status parse_number(parser *p, mn_json *v)
{
	const char *s = p->s;
	size_t bad, len = scan_number(s + p->i, p->n - p->i, &bad);
	if (!len)
		return fail_at(p, p->i + bad, MN_EJSON, bad ? "digit expected in number" : "invalid number");
	/* the number's text, NUL-terminated, from the chunk the containers are cut from */
	char *copy = tree_alloc(p, len + 1);
	if (!copy)
		return mn_error_set(p->err, MN_ENOMEM, "out of memory");
	memcpy(copy, s + p->i, len);
	copy[len] = 0;
	v->type = MN_JSON_NUMBER;
	v->n = (uint32_t)len;
	v->u.s = copy;
	p->i += len;
	return MN_OK;
}

/* Memory for a container's items or members (8-byte aligned), or a number's text. The arena hands out chunks (1 KiB, doubling
 * up to 64 KiB) that the parser cuts itself: one arena call per chunk instead of one per container. With
 * MN_ARENA_DEBUG every array is its own arena allocation, as before, so that the sanitizers see its
 * bounds. */
#define S_CHUNK_MIN 1024u
#define S_CHUNK_MAX 65536u
static void *tree_alloc_chunk(parser *p, size_t size) __attribute__((noinline));

static void *tree_alloc_chunk(parser *p, size_t size)
{
#if !MN_ARENA_DEBUG
	if (size <= S_CHUNK_MAX / 4) {
		size_t want = p->chunk_next ? p->chunk_next : S_CHUNK_MIN;
		char *c = mn_arena_alloc(p->arena, want);
		if (!c)
			return NULL;
		p->chunk = c + size;
		p->chunk_left = want - size;
		p->chunk_next = want < S_CHUNK_MAX ? want * 2 : S_CHUNK_MAX;
		return c;
	}
#endif
	return mn_arena_alloc(p->arena, size);
}

static inline void *tree_alloc(parser *p, size_t size)
{
	size = (size + 7) & ~(size_t)7;
	if (size <= p->chunk_left) {  /* never with MN_ARENA_DEBUG: chunk_left stays 0 */
		void *r = p->chunk;
		p->chunk += size;
		p->chunk_left -= size;
		return r;
	}
	return tree_alloc_chunk(p, size);
}

static int push_val(parser *p, const mn_json *v)
{
	if (p->nvals == p->capvals) {
		size_t cap = p->capvals ? p->capvals * 2 : 256;
		mn_json *nv = realloc(p->vals, cap * sizeof *nv);
		if (!nv)
			return -1;
		p->vals = nv;
		p->capvals = cap;
	}
	p->vals[p->nvals++] = *v;
	return 0;
}

/* A slot for one more member on the scratch stack (its index), or -1 when out of memory. */
static inline long reserve_mem(parser *p)
{
	if (p->nmems == p->capmems) {
		size_t cap = p->capmems ? p->capmems * 2 : 256;
		mn_json_member *nm = realloc(p->mems, cap * sizeof *nm);
		if (!nm)
			return -1;
		p->mems = nm;
		p->capmems = cap;
	}
	return (long)p->nmems++;
}

static mn_status parse_value(parser *p, mn_json *v);
static mn_status parse_array(parser *p, mn_json *v);
static mn_status parse_object(parser *p, mn_json *v);

/* A value that is not a string, p->i at it: an object or array by a call to its parser, without the call into
 * parse_value and its dispatch; anything else is left to parse_value. */
static inline __attribute__((always_inline)) mn_status parse_nested(parser *p, mn_json *v)
{
	if (p->i < p->n) {
		char c = p->s[p->i];
		if (c == '{' || c == '[') {
			if (++p->depth > MN_JSON_MAX_DEPTH)
				return fail_at(p, p->i, MN_ELIMIT, "nesting deeper than 512 levels");
			v->offset = (uint32_t)p->i;
			v->flags = 0;
			mn_status rc = c == '{' ? parse_object(p, v) : parse_array(p, v);
			p->depth--;
			return rc;
		}
	}
	return parse_value(p, v);
}

/* An array's item, after the whitespace before it: a string (most values in FHIR) is read here, anything
 * else by parse_nested. */
static inline __attribute__((always_inline)) mn_status parse_item(parser *p, mn_json *v)
{
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == '"') {
		v->offset = (uint32_t)p->i;
		v->flags = 0;
		v->type = MN_JSON_STRING;
		return parse_string(p, p->s, p->n, &p->i, &v->u.s, &v->n);
	}
	return parse_nested(p, v);
}

/* array -> '[' (value (',' value)*)? ']' */
static mn_status parse_array(parser *p, mn_json *v)
{
	size_t base = p->nvals, outer = p->ind, at = ++p->i;  /* outer: where the closing bracket is expected */
	mn_status rc;
	p->i = ws_end_ind(p->s, at, p->n, outer + p->step);  /* the first item: one step in, as the last time */
	size_t ind = p->ind = ws_ind(at, p->i);
	p->step = ind - outer;
	if (p->i < p->n && p->s[p->i] == ']') {
		p->i++;
	} else {
		for (;;) {
			mn_json item;
			if ((rc = parse_item(p, &item)) != MN_OK)
				return rc;
			if (push_val(p, &item))
				return mn_error_set(p->err, MN_ENOMEM, "out of memory");
			p->i = ws_end_ind(p->s, p->i, p->n, outer);
			if (p->i < p->n && p->s[p->i] == ',') {
				p->i = ws_end_ind(p->s, p->i + 1, p->n, ind);
				continue;
			}
			if (p->i < p->n && p->s[p->i] == ']') {
				p->i++;
				break;
			}
			return fail_at(p, p->i, MN_EJSON, "',' or ']' expected");
		}
	}
	size_t count = p->nvals - base;
	v->type = MN_JSON_ARRAY;
	v->n = (uint32_t)count;
	v->u.items = NULL;
	if (count) {
		v->u.items = tree_alloc(p, count * sizeof(mn_json));
		if (!v->u.items)
			return mn_error_set(p->err, MN_ENOMEM, "out of memory");
		if (count == 1)
			v->u.items[0] = p->vals[base];  /* most arrays of FHIR hold one item: no call */
		else
			memcpy(v->u.items, p->vals + base, count * sizeof(mn_json));
	}
	p->nvals = base;
	p->ind = outer;
	return MN_OK;
}

/* Whether a[0..n) and b[0..n) are the same bytes: keys of 4 to 16 bytes (most of FHIR's) as two loads each,
 * first and last 4 or 8 bytes (overlapping), instead of a call to memcmp. */
static inline bool key_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a0, a1, b0, b1;
		memcpy(&a0, a, 8), memcpy(&a1, a + n - 8, 8);
		memcpy(&b0, b, 8), memcpy(&b1, b + n - 8, 8);
		return a0 == b0 && a1 == b1;
	}
	if (n >= 4 && n < 8) {
		uint32_t a0, a1, b0, b1;
		memcpy(&a0, a, 4), memcpy(&a1, a + n - 4, 4);
		memcpy(&b0, b, 4), memcpy(&b1, b + n - 4, 4);
		return a0 == b0 && a1 == b1;
	}
	return memcmp(a, b, n) == 0;
}

static uint64_t key_bit(const char *k, uint32_t n)
{
	unsigned h = n ? n * 7u + (unsigned char)k[0] * 3u + (unsigned char)k[n - 1] : 0;
	return (uint64_t)1 << (h & 63);
}

/* Whether one of the n members ms has the key k[0..kn). */
static bool key_seen(const mn_json_member *ms, size_t n, const char *k, uint32_t kn)
{
	for (size_t i = 0; i < n; i++)
		if (ms[i].key_len == kn && key_eq(ms[i].key, k, kn))
			return true;
	return false;
}

/* object -> '{' (string ':' value (',' string ':' value)*)? '}' ; the text, its length and the position are
 * kept in locals (p->i is written for the calls that read it): each member is written in its slot of the
 * scratch stack, taken before its value is read (a nested object's members go above it). */
static mn_status parse_object(parser *p, mn_json *v)
{
	const char *s = p->s;
	size_t n = p->n, base = p->nmems;
	uint64_t seen = 0;  /* a bit per (length, first and last byte) of the keys so far */
	bool underscore = false, unique = true;  /* a key "_..."; no key seen before */
	size_t outer = p->ind, at = p->i + 1;  /* outer: where the closing brace is expected */
	mn_status rc;
	size_t i = ws_end_ind(s, at, n, outer + p->step);  /* the first member: one step in, as the last time */
	size_t ind = p->ind = ws_ind(at, i);
	p->step = ind - outer;
	if (i < n && s[i] == '}') {
		i++;
	} else {
		for (;;) {
			if (i >= n || s[i] != '"')
				return fail_at(p, i, MN_EJSON, "object key (a string) expected");
			long k = reserve_mem(p);
			if (k < 0)
				return mn_error_set(p->err, MN_ENOMEM, "out of memory");
			mn_json_member *m = &p->mems[k];  /* until the value is read: the stack may move then */
			m->key_offset = (uint32_t)i;
			if ((rc = parse_string(p, s, n, &i, &m->key, &m->key_len)) != MN_OK)
				return rc;
			underscore |= m->key[0] == '_';  /* an empty key is "": its byte 0 is the NUL */
			/* the earlier keys of this object are mems[base .. k) (a nested object's are pushed above
			 * them and gone once it ends); compared only when the bit was set, until one is found */
			uint64_t bit = key_bit(m->key, m->key_len);
			if ((seen & bit) && unique && key_seen(p->mems + base, (size_t)k - base, m->key, m->key_len))
				unique = false;
			seen |= bit;
			i = ws_end(s, i, n);
			if (i >= n || s[i] != ':')
				return fail_at(p, i, MN_EJSON, "':' expected after object key");
			if (i + 2 < n && s[i + 1] == ' ' && s[i + 2] == '"')
				i += 2;  /* "key": "value", as indented text has it: ws_end's one space */
			else
				i = ws_end(s, i + 1, n);
			if (i < n && s[i] == '"') {
				m->value.offset = (uint32_t)i;
				m->value.flags = 0;
				m->value.type = MN_JSON_STRING;
				if ((rc = parse_string(p, s, n, &i, &m->value.u.s, &m->value.n)) != MN_OK)
					return rc;
			} else {
				mn_json value;
				p->i = i;
				if ((rc = parse_nested(p, &value)) != MN_OK)
					return rc;
				i = p->i;
				p->mems[k].value = value;
			}
			i = ws_end_ind(s, i, n, outer);
			if (i < n && s[i] == ',') {
				i = ws_end_ind(s, i + 1, n, ind);
				continue;
			}
			if (i < n && s[i] == '}') {
				i++;
				break;
			}
			return fail_at(p, i, MN_EJSON, "',' or '}' expected");
		}
	}
	p->i = i;
	size_t count = p->nmems - base;
	v->type = MN_JSON_OBJECT;
	v->flags = (uint8_t)(MN_JSON_F_KNOWN | (underscore ? MN_JSON_F_UNDERSCORE : 0) | (unique ? MN_JSON_F_UNIQUE : 0));
	v->n = (uint32_t)count;
	v->u.members = NULL;
	if (count) {
		v->u.members = tree_alloc(p, count * sizeof(mn_json_member));
		if (!v->u.members)
			return mn_error_set(p->err, MN_ENOMEM, "out of memory");
		const mn_json_member *from = p->mems + base;
		mn_json_member *to = v->u.members;
		if (count <= 3) {  /* most objects of FHIR: copies without a call */
			to[0] = from[0];
			if (count >= 2)
				to[1] = from[1];
			if (count == 3)
				to[2] = from[2];
		} else {
			memcpy(to, from, count * sizeof(mn_json_member));
		}
	}
	p->nmems = base;
	p->ind = outer;
	return MN_OK;
}

static mn_status parse_literal(parser *p, const char *word, mn_json_type type, mn_json *v)
{
	size_t k = strlen(word);
	if (p->n - p->i < k || memcmp(p->s + p->i, word, k) != 0)
		return fail_at(p, p->i, MN_EJSON, "invalid literal");
	p->i += k;
	v->type = (uint8_t)type;
	v->n = 0;
	v->u.s = NULL;
	return MN_OK;
}

/* value -> object | array | string | number | true | false | null ; p->i after the whitespace before it */
static mn_status parse_value(parser *p, mn_json *v)
{
	mn_status rc;
	if (p->i >= p->n)
		return fail_at(p, p->i, MN_EJSON, "value expected");
	v->offset = (uint32_t)p->i;
	v->flags = 0;
	switch (p->s[p->i]) {
	case '{':
	case '[':
		if (++p->depth > MN_JSON_MAX_DEPTH)
			return fail_at(p, p->i, MN_ELIMIT, "nesting deeper than 512 levels");
		rc = p->s[p->i] == '{' ? parse_object(p, v) : parse_array(p, v);
		p->depth--;
		return rc;
	case '"':
		v->type = MN_JSON_STRING;
		return parse_string(p, p->s, p->n, &p->i, &v->u.s, &v->n);
	case 't': return parse_literal(p, "true", MN_JSON_TRUE, v);
	case 'f': return parse_literal(p, "false", MN_JSON_FALSE, v);
	case 'n': return parse_literal(p, "null", MN_JSON_NULL, v);
	default:
		return parse_number(p, v);
	}
}

static mn_status parse_text(mn_arena *arena, const char *name, const char *text, char *insitu, size_t len,
                            mn_json **out, mn_error *err)
{
	parser p;
	memset(&p, 0, sizeof p);
	p.s = text;
	p.n = len;
	p.insitu = insitu;
	p.arena = arena;
	p.name = name ? name : "";
	p.err = err;
	*out = NULL;
	if (len > UINT32_MAX) {
		mn_error_locate(err, p.name, 0, 0);
		return mn_error_set(err, MN_ELIMIT, "input larger than 4 GiB");
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.i = 3;
	mn_json *root = mn_arena_alloc(arena, sizeof *root);
	skip_ws(&p);
	mn_status rc = root ? parse_value(&p, root) : mn_error_set(err, MN_ENOMEM, "out of memory");
	if (rc == MN_OK) {
		skip_ws(&p);
		if (p.i != p.n)
			rc = fail_at(&p, p.i, MN_EJSON, "unexpected text after the JSON value");
	}
	free(p.vals);
	free(p.mems);
	mn_buf_free(&p.sbuf);
	if (rc == MN_OK)
		*out = root;
	return rc;
}

mn_status mn_json_parse(mn_arena *arena, const char *name, const char *text, size_t len,
                        mn_json **out, mn_error *err)
{
	return parse_text(arena, name, text, NULL, len, out, err);
}

mn_status mn_json_parse_insitu(mn_arena *arena, const char *name, char *text, size_t len,
                               mn_json **out, mn_error *err)
{
	return parse_text(arena, name, text, text, len, out, err);
}

const mn_json *mn_json_getn(const mn_json *obj, const char *key, size_t keylen)
{
	if (!obj || obj->type != MN_JSON_OBJECT)
		return NULL;
	for (uint32_t i = 0; i < obj->n; i++) {
		const mn_json_member *m = &obj->u.members[i];
		if (m->key_len == keylen && key_eq(m->key, key, keylen))
			return &m->value;
	}
	return NULL;
}

const mn_json *mn_json_get(const mn_json *obj, const char *key)
{
	return mn_json_getn(obj, key, strlen(key));
}

const char *mn_json_get_string(const mn_json *obj, const char *key)
{
	const mn_json *v = mn_json_get(obj, key);
	return v && v->type == MN_JSON_STRING ? v->u.s : NULL;
}

bool mn_json_is_string(const mn_json *v, const char *s)
{
	return v && v->type == MN_JSON_STRING && strlen(s) == v->n && memcmp(v->u.s, s, v->n) == 0;
}

void mn_json_position(const char *text, size_t len, size_t offset, int *line, int *column)
{
	int l = 1;
	size_t line_start = 0;
	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			l++;
			line_start = i + 1;
		}
	}
	*line = l;
	*column = (int)(offset - line_start) + 1;
}

int mn_json_write(mn_buf *out, const mn_json *v)
{
	int rc = 0;
	switch (v->type) {
	case MN_JSON_NULL: return mn_buf_puts(out, "null");
	case MN_JSON_TRUE: return mn_buf_puts(out, "true");
	case MN_JSON_FALSE: return mn_buf_puts(out, "false");
	case MN_JSON_NUMBER: return mn_buf_put(out, v->u.s, v->n);
	case MN_JSON_STRING: return mn_buf_put_json_string(out, v->u.s, v->n);
	case MN_JSON_ARRAY:
		rc |= mn_buf_putc(out, '[');
		for (uint32_t i = 0; i < v->n; i++) {
			if (i)
				rc |= mn_buf_putc(out, ',');
			rc |= mn_json_write(out, &v->u.items[i]);
		}
		rc |= mn_buf_putc(out, ']');
		return rc ? -1 : 0;
	case MN_JSON_OBJECT:
		rc |= mn_buf_putc(out, '{');
		for (uint32_t i = 0; i < v->n; i++) {
			const mn_json_member *m = &v->u.members[i];
			if (i)
				rc |= mn_buf_putc(out, ',');
			rc |= mn_buf_put_json_string(out, m->key, m->key_len);
			rc |= mn_buf_putc(out, ':');
			rc |= mn_json_write(out, &m->value);
		}
		rc |= mn_buf_putc(out, '}');
		return rc ? -1 : 0;
	}
	return -1;
}
