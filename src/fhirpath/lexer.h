/*
 * lexer.h: the FHIRPath tokenizer used by the parser (private).
 */
#ifndef MN_FP_LEXER_H
#define MN_FP_LEXER_H

#include "fhirpath/fhirpath_int.h"

typedef enum fp_tok_kind {
	T_EOF = 0,
	T_IDENT,     /* name or `delimited name` (quoted = true) */
	T_STRING,    /* 'text' (escapes undone into text/len) */
	T_NUMBER,    /* 12, 1.5 */
	T_DATETIME,  /* @2014-01-02T10:00 or @T10:00 (text without the '@') */
	T_VAR,       /* %name, %`name` or %'name' (text = the name) */
	T_SPECIAL,   /* $this, $index, $total (text without '$') */
	T_PUNCT      /* operators and brackets: text holds 1 or 2 characters */
} fp_tok_kind;

typedef struct fp_token {
	fp_tok_kind kind;
	bool quoted;          /* T_IDENT written with backticks */
	const char *text;     /* points into the source, or arena memory for unescaped strings */
	size_t len;
	size_t start, end;    /* byte offsets in the source */
	int column;           /* 1-based character column */
} fp_token;

typedef struct fp_lexer {
	const char *src;
	size_t len, pos;
	mn_arena *arena;
	mn_error *err;
} fp_lexer;

/* Next token; MN_ESYNTAX on a bad token (err located). */
mn_status fp_lex(fp_lexer *lx, fp_token *t);
int fp_column(const char *src, size_t offset);
/* "near '<token>'" text for messages. */
void fp_token_show(const char *src, const fp_token *t, char *out, size_t outsz);

#endif
