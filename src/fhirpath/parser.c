/*
 * parser.c: recursive-descent parser from tokens to the AST, plus the
 * public compile API.
 *
 * One function per precedence level of the FHIRPath 2.0.0 grammar (lowest
 * first: implies; or/xor; and; in/contains; = ~ != !~; < > <= >=; |; is/as;
 * + - &; * / div mod; unary + -; postfix . and []), each with its grammar
 * rule as a comment. Work that does not depend on the input is done here,
 * once: functions are resolved to their table entries (an unknown function
 * or a wrong argument count is a semantic error), literals are converted to
 * values (numbers, strings, dates, quantities) and constant variables
 * (%ucum, %sct, %loinc, %`vs-...`, %`ext-...`) become string literals.
 * Nesting is capped at MN_FP_MAX_DEPTH (MN_ELIMIT).
 */
#include "fhirpath/lexer.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
	fp_lexer lx;
	fp_token cur, next;
	mn_fp_expr *e;
	mn_error *err;
	int depth;   /* nesting of parentheses, unary operators and arguments */
	int chain;   /* links of operator and path chains (left-deep AST depth) */
} parser;

#define MAX_CHAIN MN_FP_MAX_CHAIN

mn_status fp_parse_datetime(const char *s, size_t n, int want, mn_datetime *out);

static mn_status advance(parser *p)
{
	p->cur = p->next;
	if (p->cur.kind == T_EOF)
		return MN_OK;
	return fp_lex(&p->lx, &p->next);
}

static mn_status syntax(parser *p, const fp_token *t, const char *what)
{
	char near[64];
	fp_token_show(p->e->src, t, near, sizeof near);
	mn_error_set(p->err, MN_ESYNTAX, "%s near '%s'", what, near);
	mn_error_locate(p->err, NULL, 1, fp_column(p->e->src, t->start));
	return MN_ESYNTAX;
}

static mn_status semantic(parser *p, size_t at, const char *fmt, const char *name, size_t n)
{
	char msg[256];
	snprintf(msg, sizeof msg, fmt, (int)n, name);
	mn_error_set(p->err, MN_ESEMANTIC, "%s", msg);
	mn_error_locate(p->err, NULL, 1, fp_column(p->e->src, at));
	return MN_ESEMANTIC;
}

static bool is_punct(const fp_token *t, const char *s)
{
	size_t n = strlen(s);
	return t->kind == T_PUNCT && t->len == n && memcmp(t->text, s, n) == 0;
}

static bool is_word(const fp_token *t, const char *s)
{
	size_t n = strlen(s);
	return t->kind == T_IDENT && !t->quoted && t->len == n && memcmp(t->text, s, n) == 0;
}

static fp_node *new_node(parser *p, fp_node_kind k, const fp_token *at)
{
	fp_node *n = mn_arena_calloc(p->e->arena, 1, sizeof *n);
	if (!n) {
		mn_error_set(p->err, MN_ENOMEM, "out of memory");
		return NULL;
	}
	n->kind = (uint8_t)k;
	n->pos = at ? fp_column(p->e->src, at->start) : 1;
	return n;
}

static mn_status nomem(parser *p)
{
	return mn_error_set(p->err, MN_ENOMEM, "out of memory");
}

static mn_status parse_expr(parser *p, fp_node **out);

/* One more link in a chain (a.b.c, 1 + 2 + 3): the AST gets deeper. */
static mn_status add_link(parser *p)
{
	if (++p->chain > MAX_CHAIN) {
		char near[64];
		fp_token_show(p->e->src, &p->cur, near, sizeof near);
		mn_error_set(p->err, MN_ELIMIT, "expression chain longer than %d near '%s'", MAX_CHAIN,
		             near);
		mn_error_locate(p->err, NULL, 1, fp_column(p->e->src, p->cur.start));
		return MN_ELIMIT;
	}
	return MN_OK;
}

static mn_status enter(parser *p)
{
	if (++p->depth > MN_FP_MAX_DEPTH) {
		char near[64];
		fp_token_show(p->e->src, &p->cur, near, sizeof near);
		mn_error_set(p->err, MN_ELIMIT, "expression nested deeper than %d near '%s'",
		             MN_FP_MAX_DEPTH, near);
		mn_error_locate(p->err, NULL, 1, fp_column(p->e->src, p->cur.start));
		return MN_ELIMIT;
	}
	return MN_OK;
}

/* typeSpecifier -> qualifiedIdentifier ; qualifiedIdentifier -> identifier ('.' identifier)* */
static mn_status parse_typespec(parser *p, fp_typespec **out)
{
	mn_status st;
	if (p->cur.kind != T_IDENT)
		return syntax(p, &p->cur, "expected a type name");
	fp_typespec *t = mn_arena_calloc(p->e->arena, 1, sizeof *t);
	if (!t)
		return nomem(p);
	fp_token first = p->cur;
	if ((st = advance(p)) != MN_OK)
		return st;
	if (is_punct(&p->cur, ".") && p->next.kind == T_IDENT) {
		if ((st = advance(p)) != MN_OK)
			return st;
		t->ns = mn_arena_strndup(p->e->arena, first.text, first.len);
		t->name = mn_arena_strndup(p->e->arena, p->cur.text, p->cur.len);
		if ((st = advance(p)) != MN_OK)
			return st;
	} else {
		t->name = mn_arena_strndup(p->e->arena, first.text, first.len);
	}
	if (!t->name)
		return nomem(p);
	fp_typespec_resolve(t);
	*out = t;
	return MN_OK;
}

/* The literal value of a number token. */
static mn_status number_literal(parser *p, const fp_token *t, mn_fp_item *it)
{
	if (memchr(t->text, '.', t->len)) {
		char buf[128];
		size_t n = t->len < sizeof buf - 1 ? t->len : sizeof buf - 1;
		memcpy(buf, t->text, n);
		buf[n] = 0;
		*it = fp_make_dec(mn_strtod(buf, NULL), fp_decimal_scale(t->text, t->len));
		return MN_OK;
	}
	int64_t v = 0;
	bool is_long = t->len > 1 && t->text[t->len - 1] == 'L';
	for (size_t i = 0; i < t->len - is_long; i++) {
		int d = t->text[i] - '0';
		if (is_long && v > (INT64_MAX - d) / 10)
			return syntax(p, t, "Long literal out of range");
		if (v > (INT64_MAX - d) / 10) {
			char buf[128];
			size_t n = t->len < sizeof buf - 1 ? t->len : sizeof buf - 1;
			memcpy(buf, t->text, n);
			buf[n] = 0;
			*it = fp_make_dec(mn_strtod(buf, NULL), 0);
			return MN_OK;
		}
		v = v * 10 + d;
	}
	*it = is_long ? fp_make_long(v) : fp_make_int(v);
	return MN_OK;
}

static const char *constant_var(parser *p, const char *name, size_t n)
{
	if (n == 4 && memcmp(name, "ucum", 4) == 0)
		return "http://unitsofmeasure.org";
	if (n == 3 && memcmp(name, "sct", 3) == 0)
		return "http://snomed.info/sct";
	if (n == 5 && memcmp(name, "loinc", 5) == 0)
		return "http://loinc.org";
	if (n > 3 && memcmp(name, "vs-", 3) == 0)
		return mn_arena_printf(p->e->arena, "http://hl7.org/fhir/ValueSet/%.*s", (int)(n - 3),
		                       name + 3);
	if (n > 4 && memcmp(name, "ext-", 4) == 0)
		return mn_arena_printf(p->e->arena, "http://hl7.org/fhir/StructureDefinition/%.*s",
		                       (int)(n - 4), name + 4);
	return NULL;
}

/* paramList -> expression (',' expression)* ; the caller has consumed '(' */
static mn_status parse_call(parser *p, fp_node *call, const fp_token *name)
{
	mn_status st;
	fp_node *args[16];
	int nargs = 0;
	const fp_func *fn = fp_func_find(name->text, name->len);
	if (!fn)
		fn = fp_term_func_find(name->text, name->len);  /* %terminologies.expand(...) */
	if (!fn)
		return semantic(p, name->start, "unknown function '%.*s'", name->text, name->len);
	call->fn = fn;
	call->name = fn->name;
	call->name_len = (uint32_t)strlen(fn->name);
	if (!is_punct(&p->cur, ")")) {
		for (;;) {
			if (nargs == 16)
				return syntax(p, &p->cur, "too many arguments");
			if (fn->flags & FPF_TYPEARG) {
				if ((st = parse_typespec(p, &call->type)) != MN_OK)
					return st;
				args[nargs++] = NULL;
			} else {
				if ((st = parse_expr(p, &args[nargs])) != MN_OK)
					return st;
				nargs++;
			}
			if (is_punct(&p->cur, ",")) {
				if ((st = advance(p)) != MN_OK)
					return st;
				continue;
			}
			break;
		}
	}
	if (!is_punct(&p->cur, ")"))
		return syntax(p, &p->cur, "expected ')'");
	if ((st = advance(p)) != MN_OK)
		return st;
	if (nargs < fn->min_args || nargs > fn->max_args) {
		char msg[160];
		snprintf(msg, sizeof msg, "function '%%.*s' takes %d to %d arguments, not %d",
		         fn->min_args, fn->max_args, nargs);
		return semantic(p, name->start, msg, name->text, name->len);
	}
	call->nargs = (uint8_t)nargs;
	if (nargs) {
		call->args = mn_arena_calloc(p->e->arena, (size_t)nargs, sizeof(fp_node *));
		if (!call->args)
			return nomem(p);
		memcpy(call->args, args, (size_t)nargs * sizeof(fp_node *));
	}
	return MN_OK;
}

/* invocation -> identifier | function | '$this' | '$index' | '$total'
 * function -> identifier '(' paramList? ')'
 * (left is the input expression, NULL at the start of a path) */
static mn_status parse_invocation(parser *p, fp_node *left, fp_node **out)
{
	mn_status st;
	fp_token t = p->cur;
	if (t.kind == T_SPECIAL) {
		fp_node_kind k = t.text[0] == 't' && t.text[1] == 'h' ? FN_THIS
		                 : t.text[0] == 'i'                   ? FN_INDEX
		                                                      : FN_TOTAL;
		if (left)
			return syntax(p, &t, "unexpected special variable");
		fp_node *n = new_node(p, k, &t);
		if (!n)
			return MN_ENOMEM;
		*out = n;
		return advance(p);
	}
	if (t.kind != T_IDENT)
		return syntax(p, &t, "expected a name");
	if ((st = advance(p)) != MN_OK)
		return st;
	if (is_punct(&p->cur, "(") && !t.quoted) {
		if ((st = advance(p)) != MN_OK)
			return st;
		fp_node *n = new_node(p, FN_CALL, &t);
		if (!n)
			return MN_ENOMEM;
		n->left = left;
		if ((st = parse_call(p, n, &t)) != MN_OK || (st = fp_regex_attach(p->e, n)) != MN_OK)
			return st == MN_ENOMEM ? nomem(p) : st;
		*out = n;
		return MN_OK;
	}
	fp_node *n = new_node(p, FN_MEMBER, &t);
	if (!n)
		return MN_ENOMEM;
	n->left = left;
	n->name = mn_arena_strndup(p->e->arena, t.text, t.len);
	if (!n->name)
		return nomem(p);
	n->name_len = (uint32_t)t.len;
	if (!left && t.len && isupper((unsigned char)t.text[0])) {
		n->type_first = true;
		n->first_type = mn_fhir_type_find(t.text, t.len);
	}
	*out = n;
	return MN_OK;
}

/* term -> literal | externalConstant | '(' expression ')' | invocation
 * literal -> '{' '}' | 'true' | 'false' | STRING | NUMBER | NUMBER unit | DATETIME | TIME
 * unit -> STRING | 'year' | 'years' | 'month' | ... | 'millisecond' | 'milliseconds' */
static mn_status parse_term(parser *p, fp_node **out)
{
	mn_status st;
	fp_token t = p->cur;
	fp_node *n;
	if (is_punct(&t, "(")) {
		if ((st = advance(p)) != MN_OK || (st = parse_expr(p, out)) != MN_OK)
			return st;
		if (!is_punct(&p->cur, ")"))
			return syntax(p, &p->cur, "expected ')'");
		return advance(p);
	}
	if (is_punct(&t, "{")) {
		if ((st = advance(p)) != MN_OK)
			return st;
		if (!is_punct(&p->cur, "}"))
			return syntax(p, &p->cur, "expected '}'");
		if (!(n = new_node(p, FN_EMPTY, &t)))
			return MN_ENOMEM;
		*out = n;
		return advance(p);
	}
	if (is_word(&t, "true") || is_word(&t, "false")) {
		if (!(n = new_node(p, FN_LITERAL, &t)))
			return MN_ENOMEM;
		n->lit = fp_make_bool(t.text[0] == 't');
		*out = n;
		return advance(p);
	}
	if (t.kind == T_STRING) {
		if (!(n = new_node(p, FN_LITERAL, &t)))
			return MN_ENOMEM;
		n->lit = fp_make_str(t.text, t.len);
		*out = n;
		return advance(p);
	}
	if (t.kind == T_NUMBER) {
		if (!(n = new_node(p, FN_LITERAL, &t)))
			return MN_ENOMEM;
		if ((st = number_literal(p, &t, &n->lit)) != MN_OK)
			return st;
		if ((st = advance(p)) != MN_OK)
			return st;
		int cal = p->cur.kind == T_IDENT && !p->cur.quoted ? fp_calendar_unit(p->cur.text, p->cur.len)
		                                                   : 0;
		if (p->cur.kind == T_STRING || cal) {
			double d = n->lit.kind == MN_FP_INTEGER ? (double)n->lit.v.i : n->lit.v.d;
			int scale = n->lit.kind == MN_FP_INTEGER ? 0 : n->lit.scale;
			const char *unit = mn_arena_strndup(p->e->arena, p->cur.text, p->cur.len);
			if (!unit)
				return nomem(p);
			n->lit = fp_make_quantity(d, scale, unit, cal != 0);
			if ((st = advance(p)) != MN_OK)
				return st;
		}
		*out = n;
		return MN_OK;
	}
	if (t.kind == T_DATETIME) {
		if (!(n = new_node(p, FN_LITERAL, &t)))
			return MN_ENOMEM;
		mn_datetime dt;
		bool is_time = t.len && t.text[0] == 'T';
		int want = is_time ? MN_DT_TIME : (memchr(t.text, 'T', t.len) ? MN_DT_DATETIME : MN_DT_DATE);
		if (fp_parse_datetime(is_time ? t.text + 1 : t.text, is_time ? t.len - 1 : t.len, want,
		                      &dt) != MN_OK) {
			if (is_time) {
				/* a time with a zone: an execution error when evaluated */
				n->kind = FN_ERROR;
				n->name = "a time literal cannot have a time zone";
				*out = n;
				return advance(p);
			}
			return syntax(p, &t, "bad date/time literal");
		}
		fp_item_init(&n->lit, want == MN_DT_TIME ? MN_FP_TIME
		                      : want == MN_DT_DATE ? MN_FP_DATE : MN_FP_DATETIME);
		n->lit.v.dt = dt;
		*out = n;
		return advance(p);
	}
	if (t.kind == T_VAR) {
		const char *c = constant_var(p, t.text, t.len);
		if (c) {
			if (!(n = new_node(p, FN_LITERAL, &t)))
				return MN_ENOMEM;
			n->lit = fp_make_str(c, strlen(c));
		} else {
			if (!(n = new_node(p, FN_VAR, &t)))
				return MN_ENOMEM;
			n->name = mn_arena_strndup(p->e->arena, t.text, t.len);
			if (!n->name)
				return nomem(p);
			n->name_len = (uint32_t)t.len;
			n->name_hash = fp_var_hash(n->name, t.len);
		}
		*out = n;
		return advance(p);
	}
	if (t.kind == T_IDENT || t.kind == T_SPECIAL) {
		return parse_invocation(p, NULL, out);
	}
	if (t.kind == T_EOF)
		return syntax(p, &t, "unexpected end of expression");
	return syntax(p, &t, "unexpected token");
}

/* postfix -> term ('.' invocation | '[' expression ']')* */
static mn_status parse_postfix(parser *p, fp_node **out)
{
	mn_status st;
	fp_node *left;
	if ((st = parse_term(p, &left)) != MN_OK)
		return st;
	int links = 0;
	for (;; links++) {
		fp_token t = p->cur;
		if ((is_punct(&t, ".") || is_punct(&t, "[")) && (st = add_link(p)) != MN_OK)
			return st;
		if (is_punct(&t, ".")) {
			if ((st = advance(p)) != MN_OK)
				return st;
			if (p->cur.kind != T_IDENT)
				return syntax(p, &p->cur, "expected a name after '.'");
			if ((st = parse_invocation(p, left, &left)) != MN_OK)
				return st;
		} else if (is_punct(&t, "[")) {
			fp_node *n = new_node(p, FN_INDEXER, &t);
			if (!n)
				return MN_ENOMEM;
			if ((st = advance(p)) != MN_OK || (st = parse_expr(p, &n->right)) != MN_OK)
				return st;
			if (!is_punct(&p->cur, "]"))
				return syntax(p, &p->cur, "expected ']'");
			if ((st = advance(p)) != MN_OK)
				return st;
			n->left = left;
			left = n;
		} else {
			break;
		}
	}
	p->chain -= links;
	*out = left;
	return MN_OK;
}

/* unary -> ('+' | '-') unary | postfix */
static mn_status parse_unary(parser *p, fp_node **out)
{
	mn_status st;
	fp_token t = p->cur;
	if (is_punct(&t, "+") || is_punct(&t, "-")) {
		if ((st = enter(p)) != MN_OK || (st = advance(p)) != MN_OK)
			return st;
		fp_node *n = new_node(p, t.text[0] == '-' ? FN_NEG : FN_POS, &t);
		if (!n)
			return MN_ENOMEM;
		if ((st = parse_unary(p, &n->left)) != MN_OK)
			return st;
		p->depth--;
		*out = n;
		return MN_OK;
	}
	return parse_postfix(p, out);
}

typedef struct binop { const char *text; bool word; fp_op op; } binop;

/* Levels, from the one binding tightest. */
static const binop L_MUL[] = {{"*", 0, OP_MUL}, {"/", 0, OP_DIV}, {"div", 1, OP_IDIV},
                              {"mod", 1, OP_MOD}, {NULL, 0, 0}};
static const binop L_ADD[] = {{"+", 0, OP_ADD}, {"-", 0, OP_SUB}, {"&", 0, OP_CONCAT}, {NULL, 0, 0}};
static const binop L_UNION[] = {{"|", 0, OP_UNION}, {NULL, 0, 0}};
static const binop L_INEQ[] = {{"<=", 0, OP_LE}, {">=", 0, OP_GE}, {"<", 0, OP_LT},
                               {">", 0, OP_GT}, {NULL, 0, 0}};
static const binop L_EQ[] = {{"=", 0, OP_EQ}, {"~", 0, OP_EQUIV}, {"!=", 0, OP_NE},
                             {"!~", 0, OP_NEQUIV}, {NULL, 0, 0}};
static const binop L_MEMBER[] = {{"in", 1, OP_IN}, {"contains", 1, OP_CONTAINS}, {NULL, 0, 0}};
static const binop L_AND[] = {{"and", 1, OP_AND}, {NULL, 0, 0}};
static const binop L_OR[] = {{"or", 1, OP_OR}, {"xor", 1, OP_XOR}, {NULL, 0, 0}};
static const binop L_IMPLIES[] = {{"implies", 1, OP_IMPLIES}, {NULL, 0, 0}};

static const binop *const LEVELS[] = {L_IMPLIES, L_OR, L_AND, L_MEMBER, L_EQ, L_INEQ,
                                      L_UNION, NULL /* is/as */, L_ADD, L_MUL};
#define NLEVELS ((int)(sizeof LEVELS / sizeof LEVELS[0]))

static const binop *match_op(const fp_token *t, const binop *ops)
{
	for (; ops->text; ops++)
		if (ops->word ? is_word(t, ops->text) : is_punct(t, ops->text))
			return ops;
	return NULL;
}

/* level(i) -> level(i+1) (op(i) level(i+1))*, with
 *   implies: 'implies'; or: 'or' | 'xor'; and: 'and'; membership: 'in' | 'contains';
 *   equality: '=' | '~' | '!=' | '!~'; inequality: '<=' | '<' | '>' | '>=';
 *   union: '|'; type: ('is' | 'as') typeSpecifier; additive: '+' | '-' | '&';
 *   multiplicative: '*' | '/' | 'div' | 'mod'; then unary */
static mn_status parse_level(parser *p, int level, fp_node **out)
{
	mn_status st;
	if (level >= NLEVELS)
		return parse_unary(p, out);
	fp_node *left;
	if ((st = parse_level(p, level + 1, &left)) != MN_OK)
		return st;
	int links = 0;
	for (;; links++) {
		fp_token t = p->cur;
		if (!LEVELS[level]) {
			if (!(is_word(&t, "is") || is_word(&t, "as")))
				break;
			if ((st = add_link(p)) != MN_OK)
				return st;
			fp_node *n = new_node(p, t.text[0] == 'i' ? FN_IS : FN_AS, &t);
			if (!n)
				return MN_ENOMEM;
			if ((st = advance(p)) != MN_OK || (st = parse_typespec(p, &n->type)) != MN_OK)
				return st;
			n->left = left;
			left = n;
			continue;
		}
		const binop *op = match_op(&t, LEVELS[level]);
		if (!op)
			break;
		if ((st = add_link(p)) != MN_OK)
			return st;
		fp_node *n = new_node(p, FN_BINOP, &t);
		if (!n)
			return MN_ENOMEM;
		n->op = (uint8_t)op->op;
		if ((st = advance(p)) != MN_OK)
			return st;
		if ((st = parse_level(p, level + 1, &n->right)) != MN_OK)
			return st;
		n->left = left;
		left = n;
	}
	p->chain -= links;
	*out = left;
	return MN_OK;
}

/* expression -> implies-level expression */
static mn_status parse_expr(parser *p, fp_node **out)
{
	mn_status st;
	if ((st = enter(p)) != MN_OK)
		return st;
	st = parse_level(p, 0, out);
	p->depth--;
	return st;
}

/* The FHIR type named by a type specifier, NULL for System types. */
static const mn_fhir_type *spec_type(const fp_typespec *t)
{
	if (!t || (t->ns && strcmp(t->ns, "FHIR") != 0))
		return NULL;
	return mn_fhir_type_find(t->name, strlen(t->name));
}

static bool is_lambda(const fp_node *call)
{
	static const char *const L[] = {"where", "select", "exists", "all", "sort", "trace",
	                                "defineVariable"};
	for (size_t i = 0; i < sizeof L / sizeof L[0]; i++)
		if (strcmp(call->name, L[i]) == 0)
			return true;
	return false;
}

/* Static check: infer the single FHIR type of path expressions where it is
 * known (a path starting with a resource type name, after as/ofType, $this
 * inside where/select/exists/all/sort over such a path) and report elements
 * that type does not have, before any data is seen. The element found is
 * kept on the node so that evaluation skips the lookup for items of that
 * type. *out is the node's static type or NULL when unknown. */
static mn_status static_type(parser *p, fp_node *n, const mn_fhir_type *self, const mn_fhir_type **out)
{
	mn_status st;
	const mn_fhir_type *lt = NULL, *ignore;
	*out = NULL;
	if (!n)
		return MN_OK;
	if (n->left && (n->kind == FN_MEMBER || n->kind == FN_CALL || n->kind == FN_INDEXER))
		n->left->chain_left = true;
	if (n->left && (st = static_type(p, n->left, self, &lt)) != MN_OK)
		return st;
	if (n->right && (st = static_type(p, n->right, self, &ignore)) != MN_OK)
		return st;
	if (n->kind == FN_CALL) {
		const mn_fhir_type *inner = n->left ? (is_lambda(n) ? lt : NULL) : (is_lambda(n) ? self : NULL);
		bool iif_like = strcmp(n->name, "iif") == 0 || strcmp(n->name, "coalesce") == 0;
		if (iif_like)
			inner = n->left ? NULL : self;
		for (int i = 0; i < n->nargs; i++) {
			const mn_fhir_type *arg_self = is_lambda(n) || iif_like ? inner : self;
			if ((strcmp(n->name, "trace") == 0 || strcmp(n->name, "defineVariable") == 0) && i == 0)
				arg_self = self;
			if (n->args[i] && (st = static_type(p, n->args[i], arg_self, &ignore)) != MN_OK)
				return st;
		}
	}
	if ((p->e->flags & MN_FP_STRICT) && n->left && n->left->kind == FN_CALL &&
	    (strcmp(n->left->name, "children") == 0 || strcmp(n->left->name, "descendants") == 0)) {
		static const char *const ordered[] = {"first", "last", "tail", "skip", "take", "single"};
		bool bad = n->kind == FN_INDEXER;
		for (size_t i = 0; n->kind == FN_CALL && i < sizeof ordered / sizeof ordered[0]; i++)
			bad = bad || strcmp(n->name, ordered[i]) == 0;
		if (bad) {
			mn_error_set(p->err, MN_ESEMANTIC,
			             "%s() has no defined order, so %s on it depends on the implementation",
			             n->left->name, n->kind == FN_INDEXER ? "an index" : n->name);
			mn_error_locate(p->err, NULL, 1, n->pos);
			return MN_ESEMANTIC;
		}
	}
	switch (n->kind) {
	case FN_THIS:
		*out = self;
		return MN_OK;
	case FN_MEMBER:
		if (p->e->flags & MN_FP_MODEL_NONE)
			return MN_OK;  /* no model: no element to check, no static type */
		if (!n->left) {
			if (n->type_first && n->first_type && n->first_type->kind == MN_FHIR_RESOURCE) {
				*out = n->first_type;
				return MN_OK;
			}
			lt = self;
		}
		if (lt) {
			const mn_fhir_element *el = mn_fhir_element_find(lt, n->name, n->name_len);
			if (!el) {
				const mn_fhir_type *ct;
				const mn_fhir_element *ce = mn_fhir_element_for_json(lt, n->name, n->name_len, &ct);
				if (ce && ce->choice && ct && (p->e->flags & MN_FP_LENIENT)) {
					/* lenient: "valueQuantity" is value[x] as a Quantity */
					n->st_type = lt;
					n->st_el = NULL;
					if (ct->kind != MN_FHIR_RESOURCE)
						*out = ct;
					return MN_OK;
				}
				char msg[300];
				if (ce)
					snprintf(msg, sizeof msg, "'%%.*s' is not an element of %s; use '%s'", lt->name,
					         ce->name);
				else if (fp_func_find(n->name, n->name_len))
					snprintf(msg, sizeof msg, "'%%.*s' is not an element of %s (the function needs "
					         "parentheses: %s())", lt->name, n->name);
				else
					snprintf(msg, sizeof msg, "'%%.*s' is not an element of %s", lt->name);
				mn_error_set(p->err, MN_ESEMANTIC, msg, (int)n->name_len, n->name);
				mn_error_locate(p->err, NULL, 1, n->pos);
				return MN_ESEMANTIC;
			}
			n->st_type = lt;
			n->st_el = el;
			if (!el->choice && el->ntypes == 1 && el->types[0]->kind != MN_FHIR_RESOURCE)
				*out = el->types[0];
		}
		return MN_OK;
	case FN_AS:
		*out = spec_type(n->type);
		return MN_OK;
	case FN_INDEXER:
		*out = lt;
		return MN_OK;
	case FN_CALL: {
		static const char *const keep[] = {"where", "first", "last", "single", "tail", "skip",
		                                   "take", "distinct", "trace", "exclude", "intersect", "sort"};
		if (n->fn->flags & FPF_TYPEARG) {
			if (strcmp(n->name, "is") != 0)
				*out = spec_type(n->type);
			return MN_OK;
		}
		const mn_fhir_type *in = n->left ? lt : self;
		for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
			if (strcmp(n->name, keep[i]) == 0)
				*out = in;
		return MN_OK;
	}
	default:
		return MN_OK;
	}
}

mn_status fp_parse(mn_fp_expr *e, mn_error *err)
{
	parser p;
	memset(&p, 0, sizeof p);
	p.e = e;
	p.err = err;
	p.lx.src = e->src;
	p.lx.len = e->len;
	p.lx.arena = e->arena;
	p.lx.err = err;
	mn_status st;
	if ((st = fp_lex(&p.lx, &p.next)) != MN_OK || (st = advance(&p)) != MN_OK)
		return st;
	if (p.cur.kind == T_EOF)
		return syntax(&p, &p.cur, "empty expression");
	if ((st = parse_expr(&p, &e->root)) != MN_OK)
		return st;
	if (p.cur.kind != T_EOF)
		return syntax(&p, &p.cur, "unexpected token");
	const mn_fhir_type *t;
	return static_type(&p, e->root, NULL, &t);
}

/* ---- public compile API ------------------------------------------------ */

mn_fp_expr *mn_fp_compile(const char *src, long len, mn_error *err)
{
	return mn_fp_compile_ex(src, len, 0, err);
}

mn_fp_expr *mn_fp_compile_ex(const char *src, long len, unsigned flags, mn_error *err)
{
	mn_error_clear(err);
	if (!src) {
		mn_error_set(err, MN_EUSAGE, "no expression");
		return NULL;
	}
	size_t n = len < 0 ? strlen(src) : (size_t)len;
	if (n > MN_FP_MAX_EXPR_LEN) {
		mn_error_set(err, MN_ELIMIT, "expression longer than %d bytes", MN_FP_MAX_EXPR_LEN);
		mn_error_locate(err, NULL, 1, fp_column(src, MN_FP_MAX_EXPR_LEN));
		return NULL;
	}
	if (memchr(src, 0, n)) {
		mn_error_set(err, MN_ESYNTAX, "NUL byte in expression near '<NUL>'");
		mn_error_locate(err, NULL, 1, fp_column(src, (size_t)((const char *)memchr(src, 0, n) - src)));
		return NULL;
	}
	mn_fp_expr *e = calloc(1, sizeof *e);
	if (!e || !(e->arena = mn_arena_new())) {
		free(e);
		mn_error_set(err, MN_ENOMEM, "out of memory");
		return NULL;
	}
	e->src = mn_arena_strndup(e->arena, src, n);
	e->len = n;
	e->flags = flags;
	if (!e->src) {
		mn_fp_expr_free(e);
		mn_error_set(err, MN_ENOMEM, "out of memory");
		return NULL;
	}
	if (fp_parse(e, err) != MN_OK) {
		mn_fp_expr_free(e);
		return NULL;
	}
	if (fp_fold_constants(e)) {
		mn_fp_expr_free(e);
		mn_error_set(err, MN_ENOMEM, "out of memory");
		return NULL;
	}
	fp_mark_fast(e->root);
	if (fp_fold(e, e->root)) {
		mn_fp_expr_free(e);
		mn_error_set(err, MN_ENOMEM, "out of memory");
		return NULL;
	}
	return e;
}

void mn_fp_expr_free(mn_fp_expr *e)
{
	if (!e)
		return;
	fp_regex_free_all(e);
	mn_arena_free(e->arena);
	free(e);
}

const char *mn_fp_expr_source(const mn_fp_expr *e)
{
	return e ? e->src : NULL;
}

/* mn_fp_expr_var_members: a walk over the AST; parent is the node whose left, right or argument n is. */
static bool var_members(const fp_node *n, const fp_node *parent, const char *var, size_t vlen, mn_fp_use_fn cb,
                        void *payload)
{
	if (!n)
		return true;
	bool ok = true;
	if (n->kind == FN_VAR && n->name_len == vlen && memcmp(n->name, var, vlen) == 0) {
		if (parent && parent->kind == FN_MEMBER && parent->left == n) {
			if (cb)
				cb(payload, parent->name, parent->name_len);
		} else {
			ok = false;
		}
	}
	ok = var_members(n->left, n, var, vlen, cb, payload) && ok;
	ok = var_members(n->right, n, var, vlen, cb, payload) && ok;
	for (unsigned i = 0; n->kind == FN_CALL && i < n->nargs; i++)
		ok = var_members(n->args[i], n, var, vlen, cb, payload) && ok;
	return ok;
}

bool mn_fp_expr_var_members(const mn_fp_expr *e, const char *var, mn_fp_use_fn cb, void *payload)
{
	return !e || var_members(e->root, NULL, var, strlen(var), cb, payload);
}
