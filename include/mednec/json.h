/*
 * mednec/json.h: RFC 8259 JSON parsed into an arena tree.
 *
 * Every value records the byte offset where it starts in the source so that
 * later layers can report line:column. Object members keep document order
 * (duplicate keys are kept; lookups return the first). Strings are unescaped
 * UTF-8 and NUL-terminated (they may contain NUL; use the length). Numbers keep
 * their source text so that FHIR decimals keep their precision.
 *
 * The parser rejects everything RFC 8259 rejects (JSONTestSuite n_ files),
 * including invalid UTF-8 and lone surrogate escapes (which have no UTF-8
 * form); a leading UTF-8 byte order mark is skipped. It enforces a nesting
 * depth limit (MN_JSON_MAX_DEPTH) with MN_ELIMIT. docs/JSON.md lists what it
 * does with each implementation-defined (i_) case of JSONTestSuite.
 */
#ifndef MEDNEC_JSON_H
#define MEDNEC_JSON_H

#include "mednec/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MN_JSON_MAX_DEPTH 512

typedef enum mn_json_type {
	MN_JSON_NULL = 0, MN_JSON_FALSE, MN_JSON_TRUE, MN_JSON_NUMBER,
	MN_JSON_STRING, MN_JSON_ARRAY, MN_JSON_OBJECT
} mn_json_type;

typedef struct mn_json mn_json;
typedef struct mn_json_member mn_json_member;

/* mn_json.flags: facts about a value that the parser records while it reads it. A value built or
 * copied elsewhere may leave them 0, which means "not known": readers then look for themselves. */
#define MN_JSON_F_KNOWN      0x01  /* the flags below were set by the parser */
#define MN_JSON_F_UNDERSCORE 0x02  /* OBJECT: at least one member key starts with '_' (FHIR's primitive
                                    * extension siblings); may stay set after members are removed */
#define MN_JSON_F_UNIQUE     0x04  /* OBJECT: no two members have the same key (a lookup may stop at the
                                    * first match); still true after members are removed. Whoever adds a
                                    * member or changes a key must clear it */

struct mn_json {
	uint8_t type;     /* mn_json_type */
	uint8_t flags;    /* MN_JSON_F_* */
	uint32_t offset;  /* byte offset of the value's first character */
	uint32_t n;       /* STRING/NUMBER: byte length; ARRAY: items; OBJECT: members */
	union {
		const char *s;            /* STRING (unescaped) and NUMBER (source text) */
		mn_json *items;           /* ARRAY */
		mn_json_member *members;  /* OBJECT */
	} u;
};

struct mn_json_member {
	const char *key;
	uint32_t key_len;
	uint32_t key_offset;  /* byte offset of the key's opening quote */
	mn_json value;
};

/* Parse text[0..len) into arena memory. On error returns MN_EJSON (or
 * MN_ELIMIT, MN_ENOMEM) with err->line/column set and err->source = name. */
mn_status mn_json_parse(mn_arena *arena, const char *name, const char *text, size_t len,
                        mn_json **out, mn_error *err);
/* mn_json_parse without copying the strings that have no escapes: each stays in text, where the NUL that
 * ends it is written over its closing quote (only those bytes change, so mn_json_position over the text
 * still gives the same line:column). Strings with escapes and numbers are copied as usual. The text must
 * outlive the tree; after a failure it may have been changed all the same. */
mn_status mn_json_parse_insitu(mn_arena *arena, const char *name, char *text, size_t len,
                               mn_json **out, mn_error *err);

/* First member named key in an object; NULL if absent or not an object. */
const mn_json *mn_json_get(const mn_json *obj, const char *key);
const mn_json *mn_json_getn(const mn_json *obj, const char *key, size_t keylen);
/* String value of member key, or NULL if absent or not a string. */
const char *mn_json_get_string(const mn_json *obj, const char *key);
bool mn_json_is_string(const mn_json *v, const char *s);

/* Whether s[0..n) is exactly one JSON number (RFC 8259 grammar). */
bool mn_json_number_valid(const char *s, size_t n);

/* 1-based line and column (in bytes) of a byte offset within text. */
void mn_json_position(const char *text, size_t len, size_t offset, int *line, int *column);

/* Write v as compact JSON (keys in document order, numbers as in source). */
int mn_json_write(mn_buf *out, const mn_json *v);

#ifdef __cplusplus
}
#endif
#endif
