/*
 * test_json.c: the JSON parser on hand-written cases and on JSONTestSuite
 * (accept every y_ file, reject every n_ file, and the documented choice for
 * every i_ file: see docs/JSON.md).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "mednec/json.h"
#include "test.h"

/* The same parser built without its SSE2 scans (MN_JSON_SCALAR: the scalar loops, which are the whole scan
 * on other machines), under other names, so that both builds are tested here on the same inputs. */
#define MN_JSON_SCALAR 1
#define mn_json_parse scalar_json_parse
#define mn_json_parse_insitu scalar_json_parse_insitu
#define mn_json_getn scalar_json_getn
#define mn_json_get scalar_json_get
#define mn_json_get_string scalar_json_get_string
#define mn_json_is_string scalar_json_is_string
#define mn_json_number_valid scalar_json_number_valid
#define mn_json_position scalar_json_position
#define mn_json_write scalar_json_write
/* json.h declares its public functions under their own names; the parser calls this one before it is defined */
void mn_json_position(const char *text, size_t len, size_t offset, int *line, int *column);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include "../src/json/json.c"
#pragma GCC diagnostic pop
#undef mn_json_parse
#undef mn_json_parse_insitu
#undef mn_json_getn
#undef mn_json_get
#undef mn_json_get_string
#undef mn_json_is_string
#undef mn_json_number_valid
#undef mn_json_position
#undef mn_json_write
#undef MN_JSON_SCALAR

/* The four ways to parse: SSE2 or scalar scans, strings copied or left in place (in a copy of the text,
 * in the arena, that the in-place parsers may change). */
typedef mn_status (*parse_fn)(mn_arena *a, const char *name, const char *text, size_t len, mn_json **out,
                              mn_error *err);

static char *T_text_copy(mn_arena *a, const char *text, size_t len)
{
	char *w = mn_arena_alloc(a, len + 1);
	if (w) {
		memcpy(w, text, len);
		w[len] = 0;
	}
	return w;
}

static mn_status T_insitu(mn_arena *a, const char *name, const char *text, size_t len, mn_json **out,
                          mn_error *err)
{
	return mn_json_parse_insitu(a, name, T_text_copy(a, text, len), len, out, err);
}

static mn_status T_scalar_insitu(mn_arena *a, const char *name, const char *text, size_t len, mn_json **out,
                                 mn_error *err)
{
	return scalar_json_parse_insitu(a, name, T_text_copy(a, text, len), len, out, err);
}

static const struct {
	const char *name;
	parse_fn fn;
} T_parsers[] = {
	{"sse2 copy", mn_json_parse},
	{"sse2 in place", T_insitu},
	{"scalar copy", scalar_json_parse},
	{"scalar in place", T_scalar_insitu},
};
#define T_NPARSERS (sizeof T_parsers / sizeof T_parsers[0])

/* Same type, flags, offsets, lengths, bytes (NUL-terminated) and members, recursively. */
static bool T_same_tree(const mn_json *a, const mn_json *b)
{
	if (a->type != b->type || a->flags != b->flags || a->offset != b->offset || a->n != b->n)
		return false;
	switch (a->type) {
	case MN_JSON_NUMBER:
	case MN_JSON_STRING:
		return memcmp(a->u.s, b->u.s, a->n) == 0 && a->u.s[a->n] == 0 && b->u.s[b->n] == 0;
	case MN_JSON_ARRAY:
		for (uint32_t i = 0; i < a->n; i++)
			if (!T_same_tree(&a->u.items[i], &b->u.items[i]))
				return false;
		return true;
	case MN_JSON_OBJECT:
		for (uint32_t i = 0; i < a->n; i++) {
			const mn_json_member *x = &a->u.members[i], *y = &b->u.members[i];
			if (x->key_len != y->key_len || x->key_offset != y->key_offset ||
			    memcmp(x->key, y->key, x->key_len) != 0 || x->key[x->key_len] || y->key[y->key_len] ||
			    !T_same_tree(&x->value, &y->value))
				return false;
		}
		return true;
	default:
		return true;
	}
}

static mn_status parse(mn_arena *a, const char *text, mn_json **out, mn_error *err)
{
	return mn_json_parse(a, "t.json", text, strlen(text), out, err);
}

static void test_basics(void)
{
	mn_arena *a = mn_arena_new();
	mn_error err;
	mn_json *v;
	CHECK_INT(parse(a, " {\"a\": [1, 2.50, -3e2], \"b\": \"x\\u00e9\\n\", \"c\": null, \"a\": true} ", &v, &err), MN_OK);
	CHECK_INT(v->type, MN_JSON_OBJECT);
	CHECK_INT(v->n, 4);
	const mn_json *arr = mn_json_get(v, "a");
	CHECK(arr && arr->type == MN_JSON_ARRAY && arr->n == 3);
	CHECK_STR(arr->u.items[1].u.s, "2.50");  /* numbers keep their text */
	CHECK_INT(arr->u.items[1].offset, 11);
	CHECK_STR(mn_json_get_string(v, "b"), "x\xc3\xa9\n");
	CHECK(mn_json_get(v, "c")->type == MN_JSON_NULL);
	CHECK(mn_json_get(v, "zz") == NULL);

	mn_buf b = MN_BUF_INIT;
	mn_json_write(&b, v);
	CHECK_STR(mn_buf_cstr(&b), "{\"a\":[1,2.50,-3e2],\"b\":\"x\xc3\xa9\\n\",\"c\":null,\"a\":true}");
	mn_buf_free(&b);

	/* the parser records whether an object has "_name" members (FHIR primitive extensions) */
	CHECK_INT(v->flags, MN_JSON_F_KNOWN);
	CHECK_INT(parse(a, "{\"birthDate\": \"1970\", \"_birthDate\": {\"id\": \"x\"}, \"o\": {\"_\": 1}}", &v, &err), MN_OK);
	CHECK_INT(v->flags, MN_JSON_F_KNOWN | MN_JSON_F_UNDERSCORE | MN_JSON_F_UNIQUE);
	CHECK_INT(mn_json_get(v, "_birthDate")->flags, MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE);
	CHECK_INT(mn_json_get(v, "o")->flags, MN_JSON_F_KNOWN | MN_JSON_F_UNDERSCORE | MN_JSON_F_UNIQUE);
	CHECK_INT(mn_json_get(v, "birthDate")->flags, 0);  /* only objects carry flags */

	/* and whether no key repeats (MN_JSON_F_UNIQUE; the first object above has "a" twice) */
	static const struct { const char *text; bool unique; } U[] = {
		{"{}", true},
		{"{\"a\":1}", true},
		{"{\"a\":1,\"b\":2,\"a\":3}", false},              /* not next to each other */
		{"{\"abc\":1,\"axc\":2,\"ac\":3}", true},          /* same length, first and last byte */
		{"{\"a\":1,\"\\u0061\":2}", false},                 /* the same key, escaped */
		{"{\"\":1,\"\":2}", false},                           /* the empty key twice */
		{"{\"a\":{\"a\":1,\"b\":2},\"b\":{\"a\":3}}", true}, /* keys of nested objects do not count */
		{"{\"a\":{\"x\":1},\"x\":2}", true},
		{"{\"a\":{\"x\":1,\"x\":1},\"x\":2}", true},     /* the nested object is not */
		{"{\"code\":1,\"_code\":2,\"Code\":3,\"code \":4}", true},
		{"{\"a\":1,\"a\":2,\"b\":3,\"b\":4}", false},        /* keys after the first repeat */
	};
	for (size_t i = 0; i < sizeof U / sizeof U[0]; i++) {
		CHECK_INT(parse(a, U[i].text, &v, &err), MN_OK);
		CHECK_MSG(((v->flags & MN_JSON_F_UNIQUE) != 0) == U[i].unique, "%s: flags %d", U[i].text, v->flags);
	}
	CHECK_INT(parse(a, "{\"a\":1,\"a\":2,\"_c\":3}", &v, &err), MN_OK);  /* "_..." after a repeated key */
	CHECK_INT(v->flags, MN_JSON_F_KNOWN | MN_JSON_F_UNDERSCORE);
	CHECK_INT(parse(a, "{\"a\":{\"x\":1,\"x\":1},\"x\":2}", &v, &err), MN_OK);
	CHECK_INT(mn_json_get(v, "a")->flags & MN_JSON_F_UNIQUE, 0);
	/* 100 distinct keys (every bit of the quick test taken), then one of them again */
	mn_buf many = MN_BUF_INIT;
	for (int i = 0; i < 100; i++)
		mn_buf_printf(&many, "%s\"k%d\":%d", i ? "," : "{", i, i);
	mn_buf_puts(&many, "}");
	CHECK_INT(parse(a, mn_buf_cstr(&many), &v, &err), MN_OK);
	CHECK_INT(v->flags & MN_JSON_F_UNIQUE, MN_JSON_F_UNIQUE);
	many.len--;
	mn_buf_puts(&many, ",\"k57\":0}");
	CHECK_INT(parse(a, mn_buf_cstr(&many), &v, &err), MN_OK);
	CHECK_INT(v->flags & MN_JSON_F_UNIQUE, 0);
	mn_buf_free(&many);

	/* errors carry line and column */
	CHECK_INT(parse(a, "{\n  \"a\": [1,\n  2,,]\n}", &v, &err), MN_EJSON);
	CHECK_INT(err.line, 3);
	CHECK_INT(err.column, 5);
	CHECK(strstr(err.message, "near ','") != NULL);
	CHECK_STR(err.source, "t.json");

	CHECK_INT(parse(a, "\"abc", &v, &err), MN_EJSON);
	CHECK(strstr(err.message, "unterminated") != NULL);
	CHECK_INT(parse(a, "[\"\\ud800\"]", &v, &err), MN_EJSON);
	CHECK_INT(parse(a, "[\"\\ud83d\\ude00\"]", &v, &err), MN_OK);
	CHECK_STR(v->u.items[0].u.s, "\xf0\x9f\x98\x80");

	/* depth limit: 512 nested arrays parse, 513 do not */
	char deep[2000];
	memset(deep, '[', 513);
	memset(deep + 513, ']', 513);
	deep[1026] = '\0';
	CHECK_INT(parse(a, deep, &v, &err), MN_ELIMIT);
	CHECK_INT(parse(a, deep + 1, &v, &err), MN_EJSON);  /* one more ']' than '[' */
	deep[1025] = '\0';
	CHECK_INT(parse(a, deep + 1, &v, &err), MN_OK);
	mn_arena_free(a);
}

/* Parses text with each of the four parsers: all give rc; on success each tree is like the first; on
 * failure the error is at line:column with a message containing msg. Returns the first parser's tree (in
 * a), or NULL. */
static const mn_json *T_parse_all(mn_arena *a, const char *what, const char *text, size_t len, mn_status rc,
                                  int line, int column, const char *msg)
{
	const mn_json *first = NULL;
	for (size_t k = 0; k < T_NPARSERS; k++) {
		mn_json *v = NULL;
		mn_error err;
		memset(&err, 0, sizeof err);
		mn_status got = T_parsers[k].fn(a, "t.json", text, len, &v, &err);
		CHECK_MSG(got == rc, "%s, %s: got %s (%s), want %s", what, T_parsers[k].name, mn_status_name(got),
		          err.message, mn_status_name(rc));
		if (got != rc)
			continue;
		if (rc != MN_OK) {
			CHECK_MSG(err.line == line && err.column == column, "%s, %s: error at %d:%d, want %d:%d (%s)", what,
			          T_parsers[k].name, err.line, err.column, line, column, err.message);
			CHECK_MSG(strstr(err.message, msg) != NULL, "%s, %s: \"%s\" lacks \"%s\"", what, T_parsers[k].name,
			          err.message, msg);
			continue;
		}
		if (!first)
			first = v;
		else
			CHECK_MSG(T_same_tree(first, v), "%s, %s: another tree", what, T_parsers[k].name);
	}
	return first;
}

/* The scans stop at the right byte wherever it falls in a 16-byte block: a string
 * ["\n<w spaces>"<k a's><x><m b's>"<w tabs>\n] for every k from 0 to 40 and w from 0 to 20, with each escape,
 * multibyte character, control character and invalid UTF-8 sequence x. Expected values and columns by hand:
 * the string's quote is at line 2, column w + 1, so byte j of x is at column w + 2 + k + j. */
static void test_scan_offsets(void)
{
	static const struct {
		const char *x, *value;  /* x as written, and what it decodes to */
	} ok[] = {
		{"\\\"", "\""},
		{"\\\\", "\\"},
		{"\\/", "/"},
		{"\\b\\f\\n\\r\\t", "\b\f\n\r\t"},
		{"\\u00e9", "\xc3\xa9"},
		{"\\u20AC", "\xe2\x82\xac"},
		{"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
		{"\xc3\xa9", "\xc3\xa9"},                    /* U+00E9, 2 bytes */
		{"\xe2\x82\xac", "\xe2\x82\xac"},            /* U+20AC, 3 bytes */
		{"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},    /* U+1F600, 4 bytes */
		{"\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\xef\xbf\xbf\xf4\x8f\xbf\xbf"},  /* U+FFFF, U+10FFFF */
		{"\x7f ~", "\x7f ~"},                        /* DEL is allowed */
		{"\xc3\xa9\\n\xe2\x82\xac", "\xc3\xa9\n\xe2\x82\xac"},
		{"", ""},
	};
	static const struct {
		const char *x;
		int at;                 /* the byte of x the error is at */
		const char *msg;
	} bad[] = {
		{"\x01", 0, "control character"},
		{"\x1f", 0, "control character"},
		{"\t", 0, "control character"},
		{"\n", 0, "control character"},
		{"\\n\x1f", 2, "control character"},         /* in the escape path */
		{"\xc3\xa9\x10", 2, "control character"},
		{"\x80", 0, "invalid UTF-8"},                 /* a continuation byte alone */
		{"\xc0\x80", 0, "invalid UTF-8"},             /* overlong */
		{"\xc3(", 0, "invalid UTF-8"},                /* truncated */
		{"\xe2\x82(", 0, "invalid UTF-8"},
		{"\xe0\x80\x80", 0, "invalid UTF-8"},         /* overlong */
		{"\xed\xa0\x80", 0, "invalid UTF-8"},         /* a surrogate */
		{"\xf4\x90\x80\x80", 0, "invalid UTF-8"},     /* above U+10FFFF */
		{"\xf5\x80\x80\x80", 0, "invalid UTF-8"},
		{"\xff", 0, "invalid UTF-8"},
		{"\xc3\xa9\xe2\x82\xac\xff", 5, "invalid UTF-8"},
		{"\\n\xff", 2, "invalid UTF-8"},              /* in the escape path */
		{"\\x", 0, "invalid escape"},
		{"\\u12G4", 0, "invalid \\u escape"},
		{"\\ud800x", 0, "unpaired surrogate"},
		{"\\n\\udc00", 2, "unpaired surrogate"},
	};
	mn_arena *a = mn_arena_new();
	char text[256], what[64], want[256];
	int ms[] = {0, 1, 15, 16, 17, 40};
	for (int w = 0; w <= 20; w += 4)
		for (int k = 0; k <= 40; k++)
			for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
				int m = ms[mi];
				for (size_t t = 0; t < sizeof ok / sizeof ok[0] + sizeof bad / sizeof bad[0]; t++) {
					bool good = t < sizeof ok / sizeof ok[0];
					const char *x = good ? ok[t].x : bad[t - sizeof ok / sizeof ok[0]].x;
					size_t n = 0;
					text[n++] = '[';
					text[n++] = '\n';
					memset(text + n, ' ', (size_t)w), n += (size_t)w;
					text[n++] = '"';
					memset(text + n, 'a', (size_t)k), n += (size_t)k;
					memcpy(text + n, x, strlen(x)), n += strlen(x);
					memset(text + n, 'b', (size_t)m), n += (size_t)m;
					text[n++] = '"';
					memset(text + n, '\t', (size_t)w), n += (size_t)w;
					text[n++] = '\n';
					text[n++] = ']';
					snprintf(what, sizeof what, "w=%d k=%d m=%d case %zu", w, k, m, t);
					if (!good) {
						int at = bad[t - sizeof ok / sizeof ok[0]].at;
						T_parse_all(a, what, text, n, MN_EJSON, 2, w + 2 + k + at,
						            bad[t - sizeof ok / sizeof ok[0]].msg);
						continue;
					}
					const mn_json *v = T_parse_all(a, what, text, n, MN_OK, 0, 0, NULL);
					if (!v)
						continue;
					size_t wn = 0;
					memset(want, 'a', (size_t)k), wn += (size_t)k;
					memcpy(want + wn, ok[t].value, strlen(ok[t].value)), wn += strlen(ok[t].value);
					memset(want + wn, 'b', (size_t)m), wn += (size_t)m;
					const mn_json *s = &v->u.items[0];
					CHECK_MSG(v->type == MN_JSON_ARRAY && v->n == 1 && s->type == MN_JSON_STRING && s->n == wn &&
					          memcmp(s->u.s, want, wn) == 0 && s->u.s[wn] == 0 && s->offset == (uint32_t)(2 + w),
					          "%s: wrong value", what);
				}
			}
	/* the input ends inside a string, at every offset */
	for (int k = 0; k <= 40; k++) {
		size_t n = 0;
		text[n++] = '[';
		text[n++] = '"';
		memset(text + n, 'a', (size_t)k), n += (size_t)k;
		snprintf(what, sizeof what, "end k=%d", k);
		T_parse_all(a, what, text, n, MN_EJSON, 1, 2, "unterminated string");
		text[n] = '\xc3';  /* a lead byte without its continuation */
		T_parse_all(a, what, text, n + 1, MN_EJSON, 1, 3 + k, "invalid UTF-8");
		text[n] = '\\';
		T_parse_all(a, what, text, n + 1, MN_EJSON, 1, 3 + k, "unterminated escape");
		memcpy(text + n, "\\n", 2);  /* the escape path runs out */
		T_parse_all(a, what, text, n + 2, MN_EJSON, 1, 2, "unterminated string");
	}
	mn_arena_free(a);
}

/* Every byte value in a string, at every place in a 16-byte block: ["<k a's><byte><m c's>"], k from 0 to 40, m 1
 * and 20. By hand: a byte from ' ' to DEL but '"' and '\' is part of the string; '"' ends it (then the 'c' is
 * an error); '\' makes "\c", an invalid escape; a byte below ' ' is a control character; one from 0x80 is
 * invalid UTF-8 (a lead byte followed by 'c', or no lead byte). The byte is at line 1, column k + 3. */
static void test_string_bytes(void)
{
	char text[128], what[64], want[128];
	int ms[] = {1, 20};
	for (int k = 0; k <= 40; k++) {
		mn_arena *a = mn_arena_new();
		for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
			int m = ms[mi];
			for (int b = 0; b < 256; b++) {
				size_t n = 0;
				text[n++] = '[';
				text[n++] = '"';
				memset(text + n, 'a', (size_t)k), n += (size_t)k;
				text[n++] = (char)b;
				memset(text + n, 'c', (size_t)m), n += (size_t)m;
				text[n++] = '"';
				text[n++] = ']';
				snprintf(what, sizeof what, "byte 0x%02x after %d, %d after", b, k, m);
				if (b == '"') {
					T_parse_all(a, what, text, n, MN_EJSON, 1, k + 4, "',' or ']' expected");
				} else if (b == '\\') {
					T_parse_all(a, what, text, n, MN_EJSON, 1, k + 3, "invalid escape");
				} else if (b < 0x20) {
					T_parse_all(a, what, text, n, MN_EJSON, 1, k + 3, "control character");
				} else if (b >= 0x80) {
					T_parse_all(a, what, text, n, MN_EJSON, 1, k + 3, "invalid UTF-8");
				} else {
					const mn_json *v = T_parse_all(a, what, text, n, MN_OK, 0, 0, NULL);
					memset(want, 'a', (size_t)k);
					want[k] = (char)b;
					memset(want + k + 1, 'c', (size_t)m);
					want[k + 1 + m] = 0;
					if (v)
						CHECK_MSG(v->u.items[0].n == (uint32_t)(k + 1 + m) &&
						          strcmp(v->u.items[0].u.s, want) == 0, "%s: another string", what);
				}
			}
		}
		mn_arena_free(a);
	}
}

/* A member's value after ':' and one space, the indented text's way, is read without ws_end when it is a
 * string; any other run, or the text ending there, as before. Offsets and columns by hand. */
static void test_colon_space(void)
{
	static const struct {
		const char *text;
		int offset;        /* of the value "x"; 0: an error at column col */
		int col;
		const char *msg;
	} C[] = {
		{"{\"a\":\"x\"}", 5, 0, NULL},
		{"{\"a\": \"x\"}", 6, 0, NULL},
		{"{\"a\":  \"x\"}", 7, 0, NULL},
		{"{\"a\":\t\"x\"}", 6, 0, NULL},
		{"{\"a\": \t\"x\"}", 7, 0, NULL},
		{"{\"a\":\n \"x\"}", 7, 0, NULL},
		{"{\"a\": \"x\",\"b\": \"y\"}", 6, 0, NULL},
		{"{\"a\": \"", 0, 7, "unterminated string"},
		{"{\"a\": ", 0, 7, "value expected"},
		{"{\"a\":", 0, 6, "value expected"},
		{"{\"a\": x}", 0, 7, "invalid number"},
		{"{\"a\": \v\"x\"}", 0, 7, "invalid number"},
	};
	mn_arena *a = mn_arena_new();
	for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
		size_t n = strlen(C[i].text);
		if (!C[i].offset) {
			T_parse_all(a, C[i].text, C[i].text, n, MN_EJSON, 1, C[i].col, C[i].msg);
			continue;
		}
		const mn_json *v = T_parse_all(a, C[i].text, C[i].text, n, MN_OK, 0, 0, NULL);
		if (v) {
			CHECK_INT(v->u.members[0].value.offset, C[i].offset);
			CHECK_STR(v->u.members[0].value.u.s, "x");
		}
	}
	mn_arena_free(a);
}

/* Whitespace runs of every length from 0 to 40 (' ', '\t', '\r' mixed; then with newlines) before and
 * after each token: the same tree, and the next token at the column counted by hand. */
static void test_whitespace_runs(void)
{
	mn_arena *a = mn_arena_new();
	char text[512], what[64];
	static const char mix[] = " \t\r";
	for (int w = 0; w <= 40; w++) {
		char ws[64];
		for (int i = 0; i < w; i++)
			ws[i] = mix[i % 3];
		ws[w] = 0;
		/* <ws>{<ws>"k"<ws>:<ws>[<ws>1<ws>,<ws>true<ws>]<ws>}<ws> */
		int n = snprintf(text, sizeof text, "%s{%s\"k\"%s:%s[%s1%s,%strue%s]%s}%s", ws, ws, ws, ws, ws, ws, ws,
		                 ws, ws, ws);
		snprintf(what, sizeof what, "ws=%d", w);
		const mn_json *v = T_parse_all(a, what, text, (size_t)n, MN_OK, 0, 0, NULL);
		if (v) {
			CHECK_INT(v->offset, w);
			CHECK_INT(v->u.members[0].key_offset, 2 * w + 1);
			const mn_json *arr = &v->u.members[0].value;
			CHECK_INT(arr->offset, 4 * w + 5);
			CHECK_INT(arr->u.items[0].offset, 5 * w + 6);
			CHECK_INT(arr->u.items[1].offset, 7 * w + 8);
		}
		/* a character that is not whitespace (vertical tab) ends the run: an error there */
		n = snprintf(text, sizeof text, "[%s\v1]", ws);
		T_parse_all(a, what, text, (size_t)n, MN_EJSON, 1, w + 2, "invalid number");
		n = snprintf(text, sizeof text, "[1]%s\f", ws);
		T_parse_all(a, what, text, (size_t)n, MN_EJSON, 1, w + 4, "unexpected text");
		/* newlines: the next token's line and column */
		n = snprintf(text, sizeof text, "[1,\n%s\n%sx]", ws, ws);
		T_parse_all(a, what, text, (size_t)n, MN_EJSON, 3, w + 1, "invalid");
		/* indentation: a newline and w spaces (SSE2: 16 at a time), then a tab or carriage return in the
		 * middle of the run (the scalar loop goes on), then the token */
		char ind[64];
		memset(ind, ' ', (size_t)w);
		ind[w] = 0;
		n = snprintf(text, sizeof text, "[1,\n%s2,\n%s\t%s\r\n%s3,\n%sx]", ind, ind, ind, ind, ind);
		T_parse_all(a, what, text, (size_t)n, MN_EJSON, 5, w + 1, "invalid");
		/* a newline and w spaces (SSE2: 16 at a time), then a byte that is not whitespace */
		n = snprintf(text, sizeof text, "[1,\n%s\v]", ind);
		T_parse_all(a, what, text, (size_t)n, MN_EJSON, 2, w + 1, "invalid number");
		for (int c = 0; c < 0x20; c++) {  /* every control character there: only tab and CR go on */
			n = snprintf(text, sizeof text, "[1,\n%sX2]", ind);
			text[4 + w] = (char)c;
			if (c == '\t' || c == '\r' || c == '\n')
				T_parse_all(a, what, text, (size_t)n, MN_OK, 0, 0, NULL);
			else
				T_parse_all(a, what, text, (size_t)n, MN_EJSON, 2, w + 1, "invalid number");
		}
		n = snprintf(text, sizeof text, "{\"a\":\n%s\x80}", ind);
		T_parse_all(a, what, text, (size_t)n, MN_EJSON, 2, w + 1, "invalid number");
		n = snprintf(text, sizeof text, "[1]\n%s\f", ind);
		T_parse_all(a, what, text, (size_t)n, MN_EJSON, 2, w + 1, "unexpected text");
		n = snprintf(text, sizeof text, "[1,\n%s2,\n%s\t%s\r\n%s3\n%s]", ind, ind, ind, ind, ind);
		v = T_parse_all(a, what, text, (size_t)n, MN_OK, 0, 0, NULL);
		if (v) {
			CHECK_INT(v->n, 3);
			CHECK_INT(v->u.items[1].offset, 4 + w);             /* "[1,\n" then w spaces */
			CHECK_INT(v->u.items[2].offset, 4 + w + 3 + 3 * w + 3);  /* "2,\n", w, "\t", w, "\r\n", w */
		}
	}
	mn_arena_free(a);
}

/* Indented text, where the parser expects each line's indentation to be its container's first item's and
 * each closing bracket's to be its opener's (ws_end_ind): a document of three levels indented k1 < k2 < k3
 * (k1 from 0 to 70, steps of 1, 4 and 9 between levels, so that every length of run is met, predicted or
 * not), then each byte of each of its nine runs changed: to a tab, carriage return or newline (still
 * whitespace: the same tree, the same offsets), to 'x', a vertical tab or 0x80 (the run ends there: an error
 * at that byte), and the text cut after each run (an error at its end). Also every run one space longer and
 * CRLF line ends. Lines and columns by construction: byte j of a run (its newline is byte 0) is at column j
 * of the line after the newline. */
typedef struct {
	size_t at[9];   /* offset of each run's newline */
	int len[9];     /* its spaces */
	int line[9];    /* the line of its spaces */
	size_t two;     /* offset of the item 2 */
} T_ind_doc;

/* [
 * <k1>{
 * <k2>"a": [
 * <k3>1,
 * <k3>2
 * <k2>],
 * <k2>"b": "x"
 * <k1>},
 * <k1>3
 * ]       runs: before {, "a", 1, 2, ], "b", }, 3, ] (the last one is the root's, indented 0)
 * extra: spaces added to every run; crlf: "\r\n" line ends (the run's byte 0 is then the '\r'). */
static int T_ind_build(char *out, size_t cap, int k1, int k2, int k3, int extra, bool crlf, T_ind_doc *d)
{
	static const char *const before[9] = {"[", "{", "\"a\": [", "1,", "2", "],", "\"b\": \"x\"", "},", "3"};
	static const int level[9] = {1, 2, 3, 3, 2, 2, 1, 1, 0};
	int ks[4] = {0, k1, k2, k3};
	size_t n = 0;
	for (int r = 0; r < 9; r++) {
		n += (size_t)snprintf(out + n, cap - n, "%s", before[r]);
		if (r == 4)
			d->two = n - 1;
		d->at[r] = n;
		d->len[r] = ks[level[r]] + extra;
		d->line[r] = r + 2;
		n += (size_t)snprintf(out + n, cap - n, "%s%*s", crlf ? "\r\n" : "\n", d->len[r], "");
	}
	n += (size_t)snprintf(out + n, cap - n, "]");
	return (int)n;
}

static void test_indented_runs(void)
{
	/* what a byte that is not whitespace in each run meets, and what the end of input there meets */
	static const char *const bad[9] = {"invalid number", "object key", "invalid number", "invalid number",
	                                   "',' or ']' expected", "object key", "',' or '}' expected",
	                                   "invalid number", "',' or ']' expected"};
	static const char *const end[9] = {"value expected", "object key", "value expected", "value expected",
	                                   "',' or ']' expected", "object key", "',' or '}' expected",
	                                   "value expected", "',' or ']' expected"};
	static const int steps[] = {1, 4, 9};
	char text[1024], what[96];
	for (int k1 = 0; k1 <= 70; k1++) {
		for (size_t si = 0; si < sizeof steps / sizeof steps[0]; si++) {
			mn_arena *a = mn_arena_new();
			int k2 = k1 + steps[si], k3 = k2 + steps[si];
			T_ind_doc d;
			int n = T_ind_build(text, sizeof text, k1, k2, k3, 0, false, &d);
			snprintf(what, sizeof what, "indented %d/%d/%d", k1, k2, k3);
			const mn_json *v = T_parse_all(a, what, text, (size_t)n, MN_OK, 0, 0, NULL);
			if (!v) {
				mn_arena_free(a);
				continue;
			}
			CHECK_INT(v->n, 2);
			const mn_json *obj = &v->u.items[0], *arr = &obj->u.members[0].value;
			CHECK_INT(obj->offset, d.at[0] + 1 + (size_t)k1);
			CHECK_INT(obj->u.members[0].key_offset, d.at[1] + 1 + (size_t)k2);
			CHECK_INT(arr->u.items[0].offset, d.at[2] + 1 + (size_t)k3);
			CHECK_INT(arr->u.items[1].offset, d.two);
			CHECK_INT(obj->u.members[1].key_offset, d.at[5] + 1 + (size_t)k2);
			CHECK_INT(v->u.items[1].offset, d.at[7] + 1 + (size_t)k1);
			for (int r = 0; r < 9; r++) {
				for (int j = 1; j <= d.len[r]; j++) {
					char *b = text + d.at[r] + j, was = *b;
					snprintf(what, sizeof what, "indented %d/%d/%d, run %d, byte %d", k1, k2, k3, r, j);
					static const char ws[] = "\t\r\n";
					for (int w = 0; w < 3; w++) {
						*b = ws[w];
						const mn_json *u = T_parse_all(a, what, text, (size_t)n, MN_OK, 0, 0, NULL);
						CHECK_MSG(u && T_same_tree(u, v), "%s: another tree", what);
					}
					static const char stop[] = "x\v\x80";
					for (int w = 0; w < 3; w++) {
						*b = stop[w];
						T_parse_all(a, what, text, (size_t)n, MN_EJSON, d.line[r], j, bad[r]);
					}
					*b = was;
				}
				/* the text ends after the run */
				snprintf(what, sizeof what, "indented %d/%d/%d, cut after run %d", k1, k2, k3, r);
				T_parse_all(a, what, text, d.at[r] + 1 + (size_t)d.len[r], MN_EJSON, d.line[r], d.len[r] + 1,
				            end[r]);
			}
			/* every run a space longer, and CRLF line ends: the same shape, offsets counted again */
			for (int crlf = 0; crlf < 2; crlf++) {
				for (int extra = 0; extra < 2; extra++) {
					T_ind_doc e;
					n = T_ind_build(text, sizeof text, k1, k2, k3, extra, crlf, &e);
					snprintf(what, sizeof what, "indented %d/%d/%d, extra %d, crlf %d", k1, k2, k3, extra,
					         crlf);
					const mn_json *u = T_parse_all(a, what, text, (size_t)n, MN_OK, 0, 0, NULL);
					if (u) {
						CHECK_INT(u->u.items[0].u.members[0].value.u.items[1].offset, e.two);
						CHECK_INT(u->u.items[1].offset, e.at[7] + 1 + (size_t)crlf + (size_t)e.len[7]);
					}
					/* an 'x' after the last run: at its line, after its spaces */
					text[e.at[8] + (size_t)crlf + 1 + (size_t)e.len[8]] = 'x';
					T_parse_all(a, what, text, (size_t)n, MN_EJSON, e.line[8], e.len[8] + 1, bad[8]);
				}
			}
			n = T_ind_build(text, sizeof text, k1, k2, k3, 0, false, &d);
			mn_arena_free(a);
		}
	}
}

/* mn_json_parse_insitu: the strings without escapes are in the text, each ended by a NUL written over its
 * closing quote, and no other byte changes (so line:column are the same); strings with escapes are copies. */
static void test_insitu(void)
{
	mn_arena *a = mn_arena_new();
	const char *src = "{\"id\": \"x1\",\n \"t\": \"a\\nb\", \"n\": [1.50, \"\", \"\xc3\xa9\"]}";
	size_t len = strlen(src);
	char *text = T_text_copy(a, src, len);
	mn_json *v;
	mn_error err;
	CHECK_INT(mn_json_parse_insitu(a, "t.json", text, len, &v, &err), MN_OK);
	const mn_json *id = mn_json_get(v, "id"), *t = mn_json_get(v, "t"), *arr = mn_json_get(v, "n");
	CHECK(id && id->u.s == text + 8 && strcmp(id->u.s, "x1") == 0);
	CHECK(v->u.members[0].key == text + 2);
	CHECK(t && strcmp(t->u.s, "a\nb") == 0 && (t->u.s < text || t->u.s >= text + len));  /* a copy */
	CHECK(arr && arr->n == 3 && strcmp(arr->u.items[0].u.s, "1.50") == 0);
	CHECK(arr->u.items[1].u.s == text + 40 && arr->u.items[1].n == 0);
	CHECK(arr->u.items[2].u.s == text + 44 && strcmp(arr->u.items[2].u.s, "\xc3\xa9") == 0);
	/* the closing quotes of "id", "x1", "t", "n", "", "\xc3\xa9" (not of "a\nb") became NULs */
	static const size_t quotes[] = {4, 10, 16, 29, 40, 46};
	size_t changed = 0, q = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == src[i])
			continue;
		changed++;
		CHECK_MSG(q < 6 && i == quotes[q] && text[i] == 0 && src[i] == '"', "byte %zu changed", i);
		q++;
	}
	CHECK_INT(changed, 6);
	int line, col;
	mn_json_position(text, len, arr->offset, &line, &col);
	CHECK_INT(line, 2);
	CHECK_INT(col, 20);  /* '[' is byte 32, line 2 starts at byte 13 */
	mn_arena_free(a);
}

/* The string (or number: type) at path in v: steps "iN" (item N), "vN" (member N's value), "kN" (member N's
 * key, last step only); its bytes, length and the offset of its first byte (a string's opening quote). */
static bool T_scalar_at(const mn_json *v, const char *path, uint8_t type, const char **s, uint32_t *n,
                        uint32_t *offset)
{
	while (*path) {
		char step = path[0];
		uint32_t k = (uint32_t)(path[1] - '0');
		path += 2;
		if (step == 'i') {
			if (v->type != MN_JSON_ARRAY || k >= v->n)
				return false;
			v = &v->u.items[k];
		} else {
			if (v->type != MN_JSON_OBJECT || k >= v->n)
				return false;
			if (step == 'k') {
				*s = v->u.members[k].key;
				*n = v->u.members[k].key_len;
				*offset = v->u.members[k].key_offset;
				return !*path && type == MN_JSON_STRING;
			}
			v = &v->u.members[k].value;
		}
	}
	if (v->type != type)
		return false;
	*s = v->u.s;
	*n = v->n;
	*offset = v->offset;
	return true;
}

/* A malformed token x that fails at its byte at with a message containing msg. */
typedef struct {
	const char *x;
	int at;
	const char *msg;
} T_bad;

/* text = template t with its '@' replaced by x; returns the length and sets *pre to the offset of '@'. */
static int T_fill(char *text, size_t size, const char *t, const char *x, size_t *pre)
{
	const char *at = strchr(t, '@');
	*pre = (size_t)(at - t);
	return snprintf(text, size, "%.*s%s%s", (int)*pre, t, x, at + 1);
}

/* A string in every place one can be: the whole text, an array's first, middle or last item, a member's
 * value first, in the middle or last, a key, deep inside, on a later line. '@' in each template is where the
 * string goes; its line and column (of the opening quote) are counted by hand. Each string decodes to the
 * value written beside it, or fails at a byte counted from its opening quote. */
static void test_string_places(void)
{
	static const struct {
		const char *t, *path;
		int line, col;
	} places[] = {
		{"@", "", 1, 1},
		{" @ ", "", 1, 2},
		{"[@]", "i0", 1, 2},
		{"[@,true]", "i0", 1, 2},
		{"[1,@,null]", "i1", 1, 4},
		{"[false, {}, []\t,@]", "i3", 1, 17},
		{"[ @ ,\"x\"]", "i0", 1, 3},
		{"[\"x\",@]", "i1", 1, 6},
		{"{\"k\":@}", "v0", 1, 6},
		{"{\"k\": @,\"j\":1}", "v0", 1, 7},
		{"{\"a\":1,\"k\":@}", "v1", 1, 12},
		{"{\"a\":\"x\",\"k\":@,\"b\":[]}", "v1", 1, 14},
		{"{\"k\":[{\"k\":@}]}", "v0i0v0", 1, 12},
		{"[[[[@]]]]", "i0i0i0i0", 1, 5},
		{"{@:1}", "k0", 1, 2},
		{"{\"a\":2,\n  @ : 1}", "k1", 2, 3},
		{"{\n  \"a\": [\n    1,\n    @\n  ]\n}", "v0i1", 4, 5},
		{"{\"a\":{\"b\":{@:\"x\"}}}", "v0v0k0", 1, 12},
	};
	static const struct {
		const char *x, *value;  /* the string as written, quotes and all, and its value */
	} ok[] = {
		{"\"\"", ""},
		{"\"a\"", "a"},
		{"\"0123456789abcdefghij\"", "0123456789abcdefghij"},       /* more than 16 bytes */
		{"\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d"},
		{"\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t"},
		{"\"x\\u00e9y\"", "x\xc3\xa9y"},                            /* U+00E9 is C3 A9 */
		{"\"\\u0000\"", ""},                                        /* U+0000: one NUL byte (n is 1) */
		{"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80"},                 /* U+1F600 */
		{"\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf"},                 /* U+10FFFF */
		{"\"\xe2\x82\xac 1\"", "\xe2\x82\xac 1"},                   /* U+20AC as it is */
	};
	static const uint32_t ok_len[] = {0, 1, 20, 7, 5, 4, 1, 4, 4, 5};
	static const T_bad bad[] = {  /* at: counted from the opening quote */
		{"\"a\x01\"", 2, "control character"},
		{"\"\x7f\x1f\"", 2, "control character"},
		{"\"a\\q\"", 2, "invalid escape"},
		{"\"\\u12x4\"", 1, "invalid \\u escape"},
		{"\"ab\\udc00\"", 3, "unpaired surrogate"},
		{"\"\\ud800\\u0041\"", 1, "unpaired surrogate"},
		{"\"\xc3(\"", 1, "invalid UTF-8"},
		{"\"ok\xed\xa0\x80\"", 3, "invalid UTF-8"},                 /* an encoded surrogate */
		{"\"\xf8\x88\x80\x80\x80\"", 1, "invalid UTF-8"},
	};
	mn_arena *a = mn_arena_new();
	char text[256], what[96];
	for (size_t pi = 0; pi < sizeof places / sizeof places[0]; pi++) {
		for (size_t k = 0; k < sizeof ok / sizeof ok[0] + sizeof bad / sizeof bad[0]; k++) {
			bool good = k < sizeof ok / sizeof ok[0];
			size_t pre;
			int n = T_fill(text, sizeof text, places[pi].t, good ? ok[k].x : bad[k - sizeof ok / sizeof ok[0]].x,
			               &pre);
			snprintf(what, sizeof what, "place %zu, string %zu", pi, k);
			if (!good) {
				T_parse_all(a, what, text, (size_t)n, MN_EJSON, places[pi].line,
				            places[pi].col + bad[k - sizeof ok / sizeof ok[0]].at,
				            bad[k - sizeof ok / sizeof ok[0]].msg);
				continue;
			}
			const mn_json *v = T_parse_all(a, what, text, (size_t)n, MN_OK, 0, 0, NULL);
			const char *s = NULL;
			uint32_t len = 0, off = 0;
			CHECK_MSG(v && T_scalar_at(v, places[pi].path, MN_JSON_STRING, &s, &len, &off), "%s: no string", what);
			if (!s)
				continue;
			CHECK_MSG(len == ok_len[k] && memcmp(s, ok[k].value, len) == 0 && s[len] == 0, "%s: wrong value",
			          what);
			int line, col;
			mn_json_position(text, (size_t)n, off, &line, &col);
			CHECK_MSG(line == places[pi].line && col == places[pi].col && text[off] == '"',
			          "%s: at %d:%d, want %d:%d", what, line, col, places[pi].line, places[pi].col);
		}
	}
	mn_arena_free(a);
}

/* Numbers keep their text (NUL-terminated, from the parser's chunks): in every place a value can be, at the
 * end of the input, 2,000 in one array (across chunks), one of 20,000 digits (larger than a chunk); and
 * malformed ones fail at the byte counted by hand. */
static void test_numbers(void)
{
	static const struct {
		const char *t, *path;
		int col;  /* of the number's first byte */
	} places[] = {
		{"@", "", 1},
		{"\n @", "", 2},
		{"[@]", "i0", 2},
		{"[@,1]", "i0", 2},
		{"[\"x\",@ ,null]", "i1", 6},
		{"[true,\n@\n]", "i1", 1},
		{"{\"k\":@}", "v0", 6},
		{"{\"k\": @ ,\"j\":\"\"}", "v0", 7},
		{"{\"a\":\"b\",\"k\":@}", "v1", 14},
		{"{\"k\":[{\"k\":[@]}]}", "v0i0v0i0", 13},
	};
	static const char *const ok[] = {
		"0", "-0", "7", "-12", "0.5", "-0.000", "1e5", "1E+5", "2.5e-3", "-9.99E-308", "1.7976931348623157e308",
		"123456789012345678901234567890", "1e99999", "-1e-99999", "9007199254740993",
	};
	static const T_bad bad[] = {
		{"-", 0, "invalid number"},
		{"-x", 0, "invalid number"},
		{"+1", 0, "invalid number"},
		{".5", 0, "invalid number"},
		{"1.", 2, "digit expected"},
		{"1.e3", 2, "digit expected"},
		{"-0.5e", 5, "digit expected"},
		{"3E+", 3, "digit expected"},
	};
	mn_arena *a = mn_arena_new();
	char text[256], what[96];
	for (size_t pi = 0; pi < sizeof places / sizeof places[0]; pi++) {
		const char *t = places[pi].t;
		int line = 1;
		for (size_t k = 0; t[k] != '@'; k++)
			line += t[k] == '\n';
		for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
			size_t pre;
			int n = T_fill(text, sizeof text, t, ok[k], &pre);
			snprintf(what, sizeof what, "place %zu, number %s", pi, ok[k]);
			const mn_json *v = T_parse_all(a, what, text, (size_t)n, MN_OK, 0, 0, NULL);
			const char *s = NULL;
			uint32_t len = 0, off = 0;
			CHECK_MSG(v && T_scalar_at(v, places[pi].path, MN_JSON_NUMBER, &s, &len, &off), "%s: no number",
			          what);
			if (!s)
				continue;
			CHECK_MSG(len == strlen(ok[k]) && strcmp(s, ok[k]) == 0, "%s: got %s", what, s);
			int l, c;
			mn_json_position(text, (size_t)n, off, &l, &c);
			CHECK_MSG(l == line && c == places[pi].col, "%s: at %d:%d", what, l, c);
		}
		for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
			size_t pre;
			int n = T_fill(text, sizeof text, t, bad[k].x, &pre);
			snprintf(what, sizeof what, "place %zu, bad number %s", pi, bad[k].x);
			T_parse_all(a, what, text, (size_t)n, MN_EJSON, line, places[pi].col + bad[k].at, bad[k].msg);
		}
	}
	/* 2,000 numbers "1", "-2", "3", ... "-2000" in one array */
	mn_buf b = MN_BUF_INIT;
	mn_buf_putc(&b, '[');
	for (int i = 1; i <= 2000; i++)
		mn_buf_printf(&b, "%s%d", i > 1 ? ", " : "", i % 2 ? i : -i);
	mn_buf_putc(&b, ']');
	const mn_json *v = T_parse_all(a, "2000 numbers", mn_buf_cstr(&b), b.len, MN_OK, 0, 0, NULL);
	CHECK(v && v->type == MN_JSON_ARRAY && v->n == 2000);
	for (uint32_t i = 0; v && i < v->n; i++) {
		char want[16];
		snprintf(want, sizeof want, "%d", (int)(i % 2 ? -(int)(i + 1) : (int)(i + 1)));
		CHECK_MSG(v->u.items[i].type == MN_JSON_NUMBER && strcmp(v->u.items[i].u.s, want) == 0, "item %u: %s", i,
		          v->u.items[i].u.s);
	}
	/* one number of 20,000 digits, then "]" */
	mn_buf_reset(&b);
	mn_buf_puts(&b, "[-");
	for (int i = 0; i < 20000; i++)
		mn_buf_putc(&b, (char)('1' + i % 9));
	mn_buf_puts(&b, ".5]");
	v = T_parse_all(a, "20000 digits", mn_buf_cstr(&b), b.len, MN_OK, 0, 0, NULL);
	CHECK(v && v->n == 1 && v->u.items[0].n == 20003 && v->u.items[0].u.s[20003] == 0 &&
	      memcmp(v->u.items[0].u.s, mn_buf_cstr(&b) + 1, 20003) == 0);
	mn_buf_free(&b);
	mn_arena_free(a);
}

/* Keys of every length from 0 to 40 that differ from a key in one byte, at every place: mn_json_getn finds
 * each key's own member and no other, and an object of such keys is still MN_JSON_F_UNIQUE (their length and
 * first and last bytes are the same, so the duplicate check compares them), one with a key twice is not.
 * Then MN_JSON_F_UNDERSCORE from the decoded first byte of each key. */
static void test_key_compare(void)
{
	mn_arena *a = mn_arena_new();
	char key[48], what[64];
	for (int len = 0; len <= 40; len++) {
		/* {"<key with byte 0 changed>":0, ..., "<byte len-1 changed>":len-1, "<key>":-1}; key = "abc..." */
		mn_buf b = MN_BUF_INIT;
		for (int j = 0; j < len; j++)
			key[j] = (char)('a' + j % 26);
		mn_buf_putc(&b, '{');
		for (int j = 0; j < len; j++) {
			char v[48];
			memcpy(v, key, (size_t)len);
			v[j] = 'Z';
			mn_buf_printf(&b, "\"%.*s\":%d,", len, v, j);
		}
		mn_buf_printf(&b, "\"%.*s\":-1}", len, key);
		snprintf(what, sizeof what, "len %d", len);
		const mn_json *o = T_parse_all(a, what, mn_buf_cstr(&b), b.len, MN_OK, 0, 0, NULL);
		CHECK_MSG(o && o->n == (uint32_t)len + 1 && (o->flags & MN_JSON_F_UNIQUE), "%s: not unique", what);
		const mn_json *v = o ? mn_json_getn(o, key, (size_t)len) : NULL;
		CHECK_MSG(v && v->type == MN_JSON_NUMBER && strcmp(v->u.s, "-1") == 0, "%s: key not found", what);
		for (int j = 0; o && j < len; j++) {
			char k[48], want[8];
			memcpy(k, key, (size_t)len);
			k[j] = 'Z';
			snprintf(want, sizeof want, "%d", j);
			v = mn_json_getn(o, k, (size_t)len);
			CHECK_MSG(v && strcmp(v->u.s, want) == 0, "%s: variant %d", what, j);
			k[j] = 'Y';  /* in no member */
			CHECK_MSG(mn_json_getn(o, k, (size_t)len) == NULL, "%s: variant %d found", what, j);
		}
		if (o && len)
			CHECK_MSG(mn_json_getn(o, key, (size_t)len - 1) == NULL, "%s: a prefix found", what);
		/* the key twice, apart */
		b.len--;
		mn_buf_printf(&b, ",\"%.*s\":1}", len, key);
		o = T_parse_all(a, what, mn_buf_cstr(&b), b.len, MN_OK, 0, 0, NULL);
		CHECK_MSG(o && !(o->flags & MN_JSON_F_UNIQUE), "%s: repeated key not seen", what);
		mn_buf_free(&b);
	}
	/* the decoded key counts: the empty key has no '_', an escaped '_' (U+005F) is one */
	static const struct { const char *text; uint8_t flags; } F[] = {
		{"{\"\":1}", MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE},
		{"{\"a\":1,\"\":{}}", MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE},
		{"{\"\\u005f\":1}", MN_JSON_F_KNOWN | MN_JSON_F_UNDERSCORE | MN_JSON_F_UNIQUE},
		{"{\"a\":1,\"\\u005Fa\":2}", MN_JSON_F_KNOWN | MN_JSON_F_UNDERSCORE | MN_JSON_F_UNIQUE},
		{"{\"a\":1,\"b_\":2,\"\\u0061\":3}", MN_JSON_F_KNOWN},  /* '_' not first; "a" twice */
	};
	for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
		const mn_json *o = T_parse_all(a, F[i].text, F[i].text, strlen(F[i].text), MN_OK, 0, 0, NULL);
		CHECK_MSG(o && o->flags == F[i].flags, "%s: flags %d", F[i].text, o ? o->flags : -1);
	}
	mn_arena_free(a);
}

/* The depth limit (512) counted alike for the root (parse_value) and nested containers (parse_item): 512
 * levels of objects, of arrays, of arrays in objects, of objects in arrays parse; past 512 the error is at the
 * 513th opening bracket, whose column is counted by hand from each level's text. */
static void test_depth(void)
{
	static const struct {
		const char *open, *close;  /* one repeat: per levels */
		int per, col;              /* col: of the 513th opening bracket */
	} L[] = {
		{"{\"a\":", "}", 1, 2561},  /* 512 repeats of 5 bytes, then the '{' */
		{"[", "]", 1, 513},
		{" [ ", " ] ", 1, 1538},    /* 512 of 3 bytes, then ' ' and the '[' */
		{"{\"k\":[", "]}", 2, 1537}, /* 256 repeats of 6 bytes, then the '{' of the 257th */
		{"[{\"k\":", "}]", 2, 1537}, /* the '[' of the 257th */
	};
	mn_arena *a = mn_arena_new();
	mn_buf b = MN_BUF_INIT;
	char what[64];
	for (size_t i = 0; i < sizeof L / sizeof L[0]; i++)
		for (int levels = 511; levels <= 514; levels++) {
			if (levels % L[i].per)
				continue;
			mn_buf_reset(&b);
			for (int k = 0; k < levels / L[i].per; k++)
				mn_buf_puts(&b, L[i].open);
			mn_buf_puts(&b, "1");
			for (int k = 0; k < levels / L[i].per; k++)
				mn_buf_puts(&b, L[i].close);
			snprintf(what, sizeof what, "%s x %d levels", L[i].open, levels);
			if (levels <= 512)
				T_parse_all(a, what, mn_buf_cstr(&b), b.len, MN_OK, 0, 0, NULL);
			else
				T_parse_all(a, what, mn_buf_cstr(&b), b.len, MN_ELIMIT, 1, L[i].col, "nesting deeper than 512");
		}
	mn_buf_free(&b);
	mn_arena_free(a);
}

/* Expected behaviour for the i_ files: 1 accept, 0 reject. */
static int i_expect(const char *name)
{
	if (strstr(name, "i_number_") == name)
		return 1;  /* numbers keep their text; range is checked where used */
	if (strcmp(name, "i_structure_500_nested_arrays.json") == 0)
		return 1;  /* within the 512 level limit */
	if (strcmp(name, "i_structure_UTF-8_BOM_empty_object.json") == 0)
		return 1;  /* a leading BOM is skipped */
	return 0;      /* invalid UTF-8, UTF-16 and lone surrogates are rejected */
}

static void test_suite(void)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/JSONTestSuite/test_parsing", mn_test_data_dir());
	DIR *d = opendir(dir);
	if (!d) {
		printf("skipped: JSONTestSuite not found at %s\n", dir);
		return;
	}
	int files = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (!strstr(name, ".json") || (name[0] != 'y' && name[0] != 'n' && name[0] != 'i'))
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, name);
		char *text;
		size_t len;
		mn_error err;
		if (mn_read_file(path, &text, &len, &err) != MN_OK) {
			CHECK_MSG(0, "cannot read %s", path);
			continue;
		}
		mn_arena *a = mn_arena_new();
		mn_json *v;
		mn_status rc = mn_json_parse(a, name, text, len, &v, &err);
		int want = name[0] == 'y' ? 1 : name[0] == 'n' ? 0 : i_expect(name);
		CHECK_MSG((rc == MN_OK) == want, "%s: got %s (%s)", name, mn_status_name(rc), err.message);
		/* the other three parsers: the same tree, or the same error at the same place */
		T_parse_all(a, name, text, len, rc, err.line, err.column, rc == MN_OK ? "" : err.message);
		mn_arena_free(a);
		free(text);
		files++;
	}
	closedir(d);
	CHECK_MSG(files >= 318, "only %d JSONTestSuite files", files);
	printf("JSONTestSuite: %d files checked\n", files);
}

int main(void)
{
	test_basics();
	test_scan_offsets();
	test_string_bytes();
	test_whitespace_runs();
	test_colon_space();
	test_indented_runs();
	test_insitu();
	test_string_places();
	test_numbers();
	test_key_compare();
	test_depth();
	test_suite();
	TEST_END();
}
