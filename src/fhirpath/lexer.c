/*
 * lexer.c: turns FHIRPath source text into tokens for the parser.
 *
 * It skips white space and both comment forms (// to the end of the line,
 * block comments, which must be closed), undoes string escapes ('\n',
 * '\u0065', ...) into arena memory, and recognises date/time literals after
 * '@' by their shape (@2014, @2014-01-02T10:30:00.000+01:00, @T10:30). A
 * token that cannot start anything is a syntax error located by its 1-based
 * character column, with "near '<token>'" in the message.
 */
#include "fhirpath/lexer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int fp_column(const char *src, size_t offset)
{
	int col = 1;
	for (size_t i = 0; i < offset; i++)
		if (((unsigned char)src[i] & 0xC0) != 0x80)
			col++;
	return col;
}

void fp_token_show(const char *src, const fp_token *t, char *out, size_t outsz)
{
	size_t n = t->end - t->start;
	if (t->kind == T_EOF || n == 0) {
		snprintf(out, outsz, "<end>");
		return;
	}
	if (n > 40)
		n = 40;
	snprintf(out, outsz, "%.*s", (int)n, src + t->start);
}

static mn_status lex_error(fp_lexer *lx, size_t at, size_t end, const char *what)
{
	size_t n = end > at ? end - at : 1;
	if (at >= lx->len)
		n = 0;
	if (n > 40)
		n = 40;
	int col = fp_column(lx->src, at);
	mn_error_set(lx->err, MN_ESYNTAX, "%s near '%.*s'", what, (int)n, n ? lx->src + at : "");
	if (n == 0)
		mn_error_set(lx->err, MN_ESYNTAX, "%s near '<end>'", what);
	mn_error_locate(lx->err, NULL, 1, col);
	return MN_ESYNTAX;
}

static bool is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool is_ident_char(int c)
{
	return isalnum(c) || c == '_';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A quoted run ('...' or `...`) starting at lx->pos (the quote); unescapes
 * into arena memory. */
static mn_status lex_quoted(fp_lexer *lx, char q, fp_token *t)
{
	size_t start = lx->pos, i = lx->pos + 1;
	char *o = mn_arena_alloc(lx->arena, lx->len - start + 1);
	if (!o)
		return mn_error_set(lx->err, MN_ENOMEM, "out of memory");
	size_t n = 0;
	for (;;) {
		if (i >= lx->len)
			return lex_error(lx, start, lx->len, "unterminated string");
		char c = lx->src[i];
		if (c == q) {
			i++;
			break;
		}
		if (c != '\\') {
			o[n++] = c;
			i++;
			continue;
		}
		if (i + 1 >= lx->len)
			return lex_error(lx, start, lx->len, "unterminated string");
		char e = lx->src[i + 1];
		i += 2;
		switch (e) {
		case '\'': case '"': case '`': case '\\': case '/': o[n++] = e; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u': {
			unsigned cp = 0;
			for (int k = 0; k < 4; k++) {
				int h = i < lx->len ? hexval((unsigned char)lx->src[i]) : -1;
				if (h < 0)
					return lex_error(lx, i - 2 - k, i + 1, "bad \\u escape");
				cp = cp * 16 + (unsigned)h;
				i++;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF && i + 5 < lx->len && lx->src[i] == '\\' &&
			    lx->src[i + 1] == 'u') {
				unsigned lo = 0;
				bool ok = true;
				for (int k = 0; k < 4; k++) {
					int h = hexval((unsigned char)lx->src[i + 2 + k]);
					if (h < 0)
						ok = false;
					lo = lo * 16 + (unsigned)(h < 0 ? 0 : h);
				}
				if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					i += 6;
				}
			}
			n += put_utf8(o + n, cp);
			break;
		}
		default:
			return lex_error(lx, i - 2, i, "bad escape");
		}
	}
	o[n] = 0;
	t->text = o;
	t->len = n;
	t->start = start;
	t->end = i;
	lx->pos = i;
	return MN_OK;
}

static size_t digits(const char *s, size_t i, size_t len, int max)
{
	size_t k = 0;
	while (i + k < len && isdigit((unsigned char)s[i + k]) && (max < 0 || (int)k < max))
		k++;
	return k;
}

/* The time part hh[:mm[:ss[.fff]]] at i; returns the new offset. */
static size_t lex_time(const char *s, size_t i, size_t len)
{
	if (digits(s, i, len, 2) != 2)
		return i;
	i += 2;
	if (i + 2 < len && s[i] == ':' && digits(s, i + 1, len, 2) == 2) {
		i += 3;
		if (i + 2 < len && s[i] == ':' && digits(s, i + 1, len, 2) == 2) {
			i += 3;
			if (i + 1 < len && s[i] == '.' && isdigit((unsigned char)s[i + 1]))
				i += 1 + digits(s, i + 1, len, -1);
		}
	}
	return i;
}

static size_t lex_tz(const char *s, size_t i, size_t len)
{
	if (i < len && s[i] == 'Z')
		return i + 1;
	if (i < len && (s[i] == '+' || s[i] == '-') && digits(s, i + 1, len, 2) == 2 &&
	    i + 3 < len && s[i + 3] == ':' && digits(s, i + 4, len, 2) == 2)
		return i + 6;
	return i;
}

static mn_status lex_datetime(fp_lexer *lx, fp_token *t)
{
	const char *s = lx->src;
	size_t len = lx->len, start = lx->pos, i = start + 1;
	if (i < len && s[i] == 'T') {
		size_t j = lex_time(s, i + 1, len);
		if (j == i + 1)
			return lex_error(lx, start, i + 1, "bad time literal");
		i = lex_tz(s, j, len);
	} else {
		if (digits(s, i, len, 4) != 4)
			return lex_error(lx, start, i + 1, "bad date literal");
		i += 4;
		if (i + 2 < len && s[i] == '-' && digits(s, i + 1, len, 2) == 2) {
			i += 3;
			if (i + 2 < len && s[i] == '-' && digits(s, i + 1, len, 2) == 2)
				i += 3;
		}
		if (i < len && s[i] == 'T') {
			i++;
			size_t j = lex_time(s, i, len);
			i = lex_tz(s, j, len);
		}
	}
	if (i < len && is_ident_char((unsigned char)s[i]))
		return lex_error(lx, start, i + 1, "bad date/time literal");
	t->kind = T_DATETIME;
	t->text = s + start + 1;
	t->len = i - start - 1;
	t->start = start;
	t->end = i;
	lx->pos = i;
	return MN_OK;
}

mn_status fp_lex(fp_lexer *lx, fp_token *t)
{
	const char *s = lx->src;
	size_t len = lx->len;
	memset(t, 0, sizeof *t);
	/* white space and comments */
	for (;;) {
		while (lx->pos < len && (s[lx->pos] == ' ' || s[lx->pos] == '\t' || s[lx->pos] == '\n' ||
		                         s[lx->pos] == '\r' || s[lx->pos] == '\f'))
			lx->pos++;
		if (lx->pos + 1 < len && s[lx->pos] == '/' && s[lx->pos + 1] == '/') {
			while (lx->pos < len && s[lx->pos] != '\n')
				lx->pos++;
			continue;
		}
		if (lx->pos + 1 < len && s[lx->pos] == '/' && s[lx->pos + 1] == '*') {
			size_t st = lx->pos;
			lx->pos += 2;
			while (lx->pos + 1 < len && !(s[lx->pos] == '*' && s[lx->pos + 1] == '/'))
				lx->pos++;
			if (lx->pos + 1 >= len)
				return lex_error(lx, st, st + 2, "unterminated comment");
			lx->pos += 2;
			continue;
		}
		break;
	}
	size_t start = lx->pos;
	t->start = start;
	t->column = fp_column(s, start);
	if (start >= len) {
		t->kind = T_EOF;
		t->text = s + len;
		t->start = t->end = len;
		return MN_OK;
	}
	unsigned char c = (unsigned char)s[start];
	mn_status st;
	if (is_ident_start(c)) {
		size_t i = start + 1;
		while (i < len && is_ident_char((unsigned char)s[i]))
			i++;
		t->kind = T_IDENT;
		t->text = s + start;
		t->len = i - start;
		t->end = lx->pos = i;
		return MN_OK;
	}
	if (c == '`') {
		if ((st = lex_quoted(lx, '`', t)) != MN_OK)
			return st;
		t->kind = T_IDENT;
		t->quoted = true;
		return MN_OK;
	}
	if (c == '\'') {
		if ((st = lex_quoted(lx, '\'', t)) != MN_OK)
			return st;
		t->kind = T_STRING;
		return MN_OK;
	}
	if (isdigit(c)) {
		size_t i = start + digits(s, start, len, -1);
		if (i + 1 < len && s[i] == '.' && isdigit((unsigned char)s[i + 1]))
			i += 1 + digits(s, i + 1, len, -1);
		else if (i < len && s[i] == 'L' && !(i + 1 < len && is_ident_char((unsigned char)s[i + 1])))
			i++;  /* a Long literal: 2L */
		t->kind = T_NUMBER;
		t->text = s + start;
		t->len = i - start;
		t->end = lx->pos = i;
		return MN_OK;
	}
	if (c == '@')
		return lex_datetime(lx, t);
	if (c == '%') {
		lx->pos++;
		if (lx->pos < len && (s[lx->pos] == '`' || s[lx->pos] == '\'')) {
			if ((st = lex_quoted(lx, s[lx->pos], t)) != MN_OK)
				return st;
		} else if (lx->pos < len && is_ident_start((unsigned char)s[lx->pos])) {
			size_t i = lx->pos + 1;
			while (i < len && (is_ident_char((unsigned char)s[i]) || s[i] == '-'))
				i++;
			t->text = s + lx->pos;
			t->len = i - lx->pos;
			lx->pos = i;
		} else {
			return lex_error(lx, start, start + 2, "bad variable name");
		}
		t->kind = T_VAR;
		t->start = start;
		t->end = lx->pos;
		return MN_OK;
	}
	if (c == '$') {
		size_t i = start + 1;
		while (i < len && is_ident_char((unsigned char)s[i]))
			i++;
		t->kind = T_SPECIAL;
		t->text = s + start + 1;
		t->len = i - start - 1;
		t->end = lx->pos = i;
		if (!((t->len == 4 && memcmp(t->text, "this", 4) == 0) ||
		      (t->len == 5 && memcmp(t->text, "index", 5) == 0) ||
		      (t->len == 5 && memcmp(t->text, "total", 5) == 0)))
			return lex_error(lx, start, i, "unknown special variable");
		return MN_OK;
	}
	/* punctuation */
	static const char *two[] = {"<=", ">=", "!=", "!~"};
	for (size_t k = 0; k < sizeof two / sizeof two[0]; k++) {
		if (start + 1 < len && s[start] == two[k][0] && s[start + 1] == two[k][1]) {
			t->kind = T_PUNCT;
			t->text = s + start;
			t->len = 2;
			t->end = lx->pos = start + 2;
			return MN_OK;
		}
	}
	if (strchr(".,()[]{}+-*/&|<>=~", c) && c) {
		t->kind = T_PUNCT;
		t->text = s + start;
		t->len = 1;
		t->end = lx->pos = start + 1;
		return MN_OK;
	}
	size_t e = start + 1;
	while (e < len && ((unsigned char)s[e] & 0xC0) == 0x80)
		e++;
	return lex_error(lx, start, e, "unexpected character");
}
