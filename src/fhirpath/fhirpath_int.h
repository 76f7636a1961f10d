/*
 * fhirpath_int.h: private declarations shared by the FHIRPath engine files.
 *
 * The pipeline is lexer.c (tokens) -> parser.c (AST, functions resolved
 * against the table in functions.c, literals pre-parsed) -> eval.c (tree
 * walking evaluator over collections of items allocated in the caller's
 * arena). value.c holds the value semantics (equality, equivalence, ordering,
 * conversions, literal text) and ucum.c the unit algebra used by quantity
 * comparison and arithmetic. Names shared across files start with fp_.
 */
#ifndef MN_FHIRPATH_INT_H
#define MN_FHIRPATH_INT_H

#include "mednec/fhirpath.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- values -------------------------------------------------------------- */

enum {
	FPI_NOVALUE = 1,   /* a primitive from the record with only an extension (no value) */
	FPI_CALENDAR = 2,  /* QUANTITY whose unit is a calendar duration word (year, day, ...) */
	FPI_TYPEINFO = 4,  /* NODE made by type(): a synthetic {namespace, name} object */
	FPI_STATIC = 8,    /* its type follows from the context's type by plain element
	                      navigation (no choice, resolve(), children()): asking it for
	                      an element its type lacks is an error, not just empty */
	FPI_TERMINOLOGIES = 16,  /* the %terminologies object (terminologies.c) */
	FPI_LONG = 32      /* INTEGER that is a System.Long (2L, toLong()) */
};
/* fp_typespec.syskind of System.Long (not an mn_fp_kind: a Long is an
 * INTEGER item with FPI_LONG). */
#define FP_SYS_LONG 16

struct mn_fp_item {
	uint8_t kind;     /* mn_fp_kind */
	uint8_t flags;    /* FPI_* */
	int8_t scale;     /* DECIMAL and QUANTITY: digits after the decimal point */
	const mn_fhir_type *ftype;  /* FHIR type when read from the record, else NULL */
	const mn_json *node;        /* where the item was read from (NULL when computed) */
	const mn_json *ext;         /* a primitive's "_name" sibling object, or NULL */
	const mn_resource *res;     /* the resource holding node */
	union {
		bool b;
		int64_t i;
		double d;  /* DECIMAL and QUANTITY value */
		struct { const char *s; uint32_t n; } str;
		mn_datetime dt;
	} v;
	const char *unit;  /* QUANTITY: UCUM code or calendar word ("year", "day", ...) */
};

typedef struct fp_coll {
	mn_fp_item *v;
	uint32_t n, cap;
} fp_coll;

struct mn_fp_result {
	fp_coll c;
};

/* ---- types named in expressions (is, as, ofType) -------------------------- */

typedef struct fp_typespec {
	const char *name;            /* as written, without the namespace */
	const char *ns;              /* "System", "FHIR" or NULL when unqualified */
	const mn_fhir_type *ftype;   /* the FHIR type when the name is one */
	uint8_t syskind;             /* mn_fp_kind of the System type, 0 when none */
	bool unknown;                /* names no type: an execution error when used */
} fp_typespec;

/* ---- AST ----------------------------------------------------------------- */

typedef enum fp_node_kind {
	FN_LITERAL = 1,  /* lit */
	FN_EMPTY,        /* {} */
	FN_MEMBER,       /* left.name, or name on $this when left is NULL */
	FN_CALL,         /* left.fn(args), or fn(args) on $this when left is NULL */
	FN_THIS, FN_INDEX, FN_TOTAL,
	FN_VAR,          /* %name */
	FN_INDEXER,      /* left[right] */
	FN_NEG, FN_POS,  /* unary - and + on left */
	FN_BINOP,        /* left op right */
	FN_IS, FN_AS,    /* left is/as type */
	FN_ERROR,        /* a literal that is an execution error when evaluated */
	FN_CONST         /* a subexpression of several items computed when compiled (fp_fold_constants):
	                    its value is folded */
} fp_node_kind;

typedef enum fp_op {
	OP_MUL = 1, OP_DIV, OP_IDIV, OP_MOD, OP_ADD, OP_SUB, OP_CONCAT, OP_UNION,
	OP_LT, OP_GT, OP_LE, OP_GE, OP_EQ, OP_EQUIV, OP_NE, OP_NEQUIV, OP_IN, OP_CONTAINS,
	OP_AND, OP_OR, OP_XOR, OP_IMPLIES
} fp_op;

typedef struct fp_node fp_node;
typedef struct fp_func fp_func;
typedef struct fp_ctx fp_ctx;
typedef struct fp_scope fp_scope;

struct fp_node {
	uint8_t kind;    /* fp_node_kind */
	uint8_t op;      /* fp_op for FN_BINOP */
	uint8_t nargs;
	bool type_first; /* FN_MEMBER at the start of a path whose name may be a type */
	int pos;         /* 1-based column in the source */
	fp_node *left, *right;
	const char *name;     /* FN_MEMBER, FN_CALL, FN_VAR, FN_ERROR (message) */
	uint32_t name_len;
	uint32_t name_hash;   /* FN_VAR: fp_var_hash of name, computed when parsed */
	const fp_func *fn;    /* FN_CALL */
	fp_node **args;       /* FN_CALL */
	fp_typespec *type;    /* FN_IS, FN_AS and type-argument calls */
	mn_fp_item lit;       /* FN_LITERAL */
	const mn_fhir_type *first_type;  /* FN_MEMBER with type_first: the type named */
	const mn_fhir_type *st_type;     /* FN_MEMBER: the input's static type, if known */
	const mn_fhir_element *st_el;    /* FN_MEMBER: the element of st_type (lookup cache) */
	bool chain_left;                 /* the left of a path step (x in x.f, x.f(), x[i]):
	                                    variables defineVariable() makes while evaluating
	                                    it stay defined for the rest of the path */
	const void *re;                  /* FN_CALL matches/replaceMatches: the literal pattern,
	                                    compiled (a pcre2_code), or NULL */
	_Atomic(const mn_fhir_element *) own_el; /* FN_MEMBER: the element named name that the last
	                                    item's type declares itself (fp_node_element): valid for any
	                                    type whose own elements hold it; the model is static data, so
	                                    threads share it with relaxed loads and stores */
	const struct fp_regex_need *need; /* FN_CALL matches/matchesFull with re: literals one of which
	                                    every match contains (fp_regex_attach), or NULL */
	uint8_t fast;                    /* FP_FAST_*: a pattern the case's indexes answer (fp_mark_fast) */
	const mn_fhir_type *fast_type;   /* FP_FAST_TYPE, FP_FAST_OFTYPE, FP_FAST_WHERE_RT: the type */
	const fp_coll *folded;           /* FN_CONST: its value, computed once at compile time
	                                    (fp_fold_constants) */
	uint8_t eqfast;                  /* FN_BINOP =, != or in: 1 the left side, 2 the right
	                                    side is a member of $this and the other a string
	                                    literal or FN_CONST (fp_fold): eq_fast */
	bool eqstr;                      /* eqfast 1 or 2: the items of the literal side are all
	                                    Strings with a value (fp_fold) */
	bool st_string;                  /* FN_MEMBER: st_el is no choice and has the one type, a
	                                    primitive whose System type is String (fp_fold):
	                                    object_string over st_type needs no more of it */
	const struct fp_eqs *eqs;        /* FN_CALL where(c)/exists(c), c a conjunction of
	                                    `name = 'string'` on $this (fp_fold): fp_where_fast */
	const struct fp_codes *codes;    /* FN_CALL FP_FAST_WHERE_CODE: what the index by code
	                                    needs (fp_fold); exists() with mfast 3: E and k */
	bool invar;                      /* FN_MEMBER: the end of a path of members from a variable
	                                    (%scores.budapest.entries; fp_fold): its value is the same
	                                    throughout an evaluation when the variable is the
	                                    environment's, so it is computed once (fp_ctx.inv) */
	uint8_t mfast;                   /* FN_CALL memberOf('vs') whose left is a member E of $this
	                                    (1) or E.ofType(CodeableConcept) (2) (fp_fold): the one
	                                    CodeableConcept read from $this's JSON (member_of_fast);
	                                    E.coding.where(k).exists(), k over code and system only and
	                                    implying the code (3): the codings read from $this's JSON
	                                    (coding_exists_fast; E and k in codes) */
	bool prune_left;                 /* FN_CALL ofType(T) whose left is a plain member step
	                                    (x.effective.ofType(dateTime); fp_fold): that step leaves
	                                    out the JSON members no item of which ofType(T) keeps
	                                    (fp_ctx.prune, fp_member) */
};

/* X.where(c) over a case, c a conjunction (and) with a conjunct of the form
 * E.coding.where(k).exists() (E code or category, a CodeableConcept of X), k made only of `code = 'C'`, `code in ('C' | ...)`,
 * `system = 'S'`, `system in (...)`, and, or, and implying that the coding's code
 * is one of codes[] (fp_fold; where_coded in eval.c); or of the form code.memberOf('vs') (code a
 * CodeableConcept of X), the codes those of vs (mn_fp_codes_fn); or c is E.coding.code = 'C' as a
 * whole (true only when C is E's one code). The conjuncts before that
 * one, in the order the evaluation meets them, are pre[]. X is a type name over the case's
 * resources, or (bundle) Bundle.entry.resource.ofType(X) or .where(resourceType = 'X'), whose items'
 * JSON where_listed reads for the codes (coded_scan; memberOf: the index, when the items are the
 * case's resources of type X). */
#define FP_CODES_MAX 16
#define FP_CODES_PRE_MAX 8
typedef struct fp_codes {
	const mn_fhir_type *type;   /* X */
	const char *element;        /* "code" or "category" (mn_case_coded) */
	uint32_t element_len;
	const char *vs;             /* the conjunct is code.memberOf('vs') (ncodes 0): the codes from the
	                               env's codes hook at evaluation (element "code") */
	bool bundle;                /* X.where(c)'s X is FP_FAST_OFTYPE or FP_FAST_WHERE_RT */
	bool equals;                /* c is E.coding.code = 'C' (the one code) */
	const fp_node *k;           /* c is E.coding.where(k).exists() as a whole: k, else NULL */
	unsigned ncodes, npre;
	struct { const char *s; uint32_t n; } code[FP_CODES_MAX];
	const fp_node *pre[FP_CODES_PRE_MAX];
} fp_codes;

/* The criteria of where(name = 'a' and other = 'b'): the members and their
 * string literals, for fp_where_fast. */
#define FP_EQS_MAX 4
typedef struct fp_eqs {
	unsigned n;
	struct { const fp_node *member; const mn_fp_item *lit; } t[FP_EQS_MAX];
} fp_eqs;

/* Patterns recognized at compile time (fp_mark_fast) and answered from the
 * case's indexes at evaluation when the input is what the index describes;
 * otherwise evaluated as usual. Results are the same either way. */
enum {
	FP_FAST_TYPE = 1,   /* FN_MEMBER "X" at the start of a path, X a resource type without
	                       subtypes: over a case's resources, mn_case_of_type */
	FP_FAST_BUNDLE_RES, /* FN_MEMBER "resource" of "Bundle.entry.resource": over the case's
	                       root Bundle (mn_case_bundle_exact), the case's resources */
	FP_FAST_OFTYPE,     /* FN_CALL ofType(X) on FP_FAST_BUNDLE_RES, X without subtypes */
	FP_FAST_WHERE_RT,   /* FN_CALL where(resourceType = 'X') on FP_FAST_BUNDLE_RES */
	FP_FAST_WHERE_CODE, /* FN_CALL X.where(... and code.coding.where(code = 'C' ...).exists()) or
	                       X.where(code.coding.code = 'C') on FP_FAST_TYPE X (or on FP_FAST_OFTYPE or
	                       FP_FAST_WHERE_RT X: fp_codes.bundle): the candidates from the case's index
	                       by code (mn_case_coded; with bundle, from each item's JSON unless memberOf),
	                       the whole criterion evaluated on each (fp_codes) */
	FP_FAST_ENTRY_RT    /* FN_CALL where(resource.resourceType = 'X') on "Bundle.entry": over the
	                       case's root Bundle (mn_case_bundle_exact), the entries of the case's
	                       resources of type X (mn_case_of_type) */
};

typedef struct fp_regex fp_regex;

struct mn_fp_expr {
	char *src;
	size_t len;
	fp_node *root;
	mn_arena *arena;   /* the AST, literals and strings */
	fp_regex *regexes; /* compiled literal patterns, freed with the expression */
	unsigned flags;    /* MN_FP_STRICT, ... */
};

/* ---- evaluation ---------------------------------------------------------- */

#define FP_INV_MAX 4

struct fp_ctx {
	const mn_fp_env *env;
	mn_arena *a;
	mn_error *err;
	const mn_fp_expr *expr;
	fp_coll context;       /* %context, %resource */
	const mn_case *kase;
	int depth;
	bool case_context;     /* context is a case's resources (type names filter) */
	bool case_list;        /* context is exactly kase's top-level resources, in order
	                          (mn_fp_eval_case): its index by type answers type names */
	uint64_t work;         /* evaluation steps and comparisons so far */
	bool nav_static;       /* items being made get FPI_STATIC */
	bool plain;            /* MN_FP_MODEL_NONE: plain JSON navigation, System types only */
	bool lenient;          /* MN_FP_LENIENT: "valueQuantity" names the typed choice element */
	size_t mem0;           /* arena bytes in use when the evaluation started */
	const struct fp_defvar *defvars;  /* defineVariable()s in scope, innermost first */
	/* the ofType(T) that will filter what the member step being evaluated makes
	 * (fp_node.prune_left): fp_member may leave out what T's filter drops */
	const fp_typespec *prune;
	unsigned ninv;
	/* the values of invar paths computed so far in this evaluation (read-only, cap == n):
	 * the first ninv. Last: run() clears the fields before it, not these. */
	struct { const fp_node *n; fp_coll v; } inv[FP_INV_MAX];
};

/* A variable made by defineVariable(): visible to the rest of the path that
 * defined it (fp_eval drops it when it leaves a node that is not a
 * chain_left), never to the other operand of an operator or argument. */
typedef struct fp_defvar {
	const char *name;
	size_t len;
	fp_coll value;
	const struct fp_defvar *next;
} fp_defvar;

/* An evaluation that does more than this many steps (AST nodes evaluated,
 * items added to collections, item comparisons) stops with MN_ELIMIT, so
 * that repeat($this + 1) or nested select()s that multiply collections end
 * in about a second. Real criteria over large records use well under 1%. */
#define FP_WORK_BUDGET MN_FP_WORK_BUDGET
/* Likewise for memory: arena bytes one evaluation may allocate. */
#define FP_MEMORY_BUDGET MN_FP_MEMORY_BUDGET

struct fp_scope {
	fp_coll self;          /* $this (one item inside iterations) */
	int64_t index;         /* $index, -1 when undefined */
	const fp_coll *total;  /* $total, NULL when undefined */
};

typedef int (*fp_fn_impl)(fp_ctx *x, const fp_node *call, const fp_coll *in, const fp_scope *s,
                          fp_coll *out);

enum {
	FPF_TYPEARG = 1, /* the argument is a type specifier (is, as, ofType) */
	FPF_PURE = 2,    /* its value follows from its input and arguments alone: it reads no clock,
	                    environment, record or terminology and has no effect (fp_fold_constants) */
	FPF_ITEMS = 4,   /* called on an input, its arguments are evaluated on each input item as $this
	                    and $index (where, select, ...) */
	FPF_INPUT = 8    /* called on an input, its arguments see that input as $this (iif, coalesce) */
};

struct fp_func {
	const char *name;
	uint8_t min_args, max_args;
	uint8_t flags;
	fp_fn_impl impl;
};

/* The longest name a variable keeps in itself (struct fp_var). */
#define FP_VAR_INLINE 24

struct mn_fp_env {
	bool has_now;
	mn_datetime now;
	const mn_case *kase;
	mn_arena *arena;           /* variable names and values */
	/* hash: var_hash of the name, computed once when bound (finds compare it first, and the
	 * table is made again from it without hashing the names again). The name (fp_var_name):
	 * up to FP_VAR_INLINE bytes in the var itself, longer in arena; a clone's copies of the
	 * vars keep either (shared with the source, which outlives the clone). */
	struct fp_var {
		union { const char *p; char inl[FP_VAR_INLINE]; } name;
		uint32_t len, hash;
		fp_coll value;
	} *vars;
	size_t nvars, capvars;
	/* vars by name (fp_env_find): open addressing, a slot holds the var's position + 1 (0 empty);
	 * nvhash a power of two at least twice nvars, or 0 (and vhash NULL: a linear search). Both
	 * are made at the first binding for FP_ENV_VARS0 variables (a decision binds some fifty), and
	 * then doubled. */
	uint32_t *vhash;
	size_t nvhash;
	/* mn_fp_env_set_case: the context mn_fp_eval_case makes for kase (every
	 * resource as a typed item), made once; NULL when not made (no case, or
	 * out of memory). Read-only once made. It is made in case_own, which the
	 * env owns and reuses when the case changes (a clone points at its
	 * source's and owns none). */
	const mn_fp_item *case_items;
	size_t case_n;
	mn_fp_item *case_own;
	size_t case_cap;
	mn_fp_member_fn member;
	mn_fp_codes_fn codes;      /* the value sets' codes, same payload (mn_fp_env_set_terminology_codes) */
	void *member_payload;
	mn_fp_trace_fn trace;
	void *trace_payload;
	mn_fp_valueset_fn valuesets;  /* %terminologies (terminologies.c) */
	void *valuesets_payload;
};

static inline const char *fp_var_name(const struct fp_var *v)
{
	return v->len <= FP_VAR_INLINE ? v->name.inl : v->name.p;
}

/* The position in env->vars of the variable name[0..len), or -1. */
long fp_env_find(const mn_fp_env *env, const char *name, size_t len);
/* The same, h being fp_var_hash(name, len) (an FN_VAR node's name_hash). */
long fp_env_find_hashed(const mn_fp_env *env, const char *name, size_t len, uint32_t h);
/* The hash the environment finds variables' names by. */
uint32_t fp_var_hash(const char *name, size_t len);

/* lexer.c / parser.c */
mn_status fp_parse(mn_fp_expr *e, mn_error *err);

/* functions.c */
/* Compile a FHIRPath regex with PCRE2 (full: anchored at both ends; flags:
 * PCRE2 option bits). 0 with *re a pcre2_code, 1 invalid, 2 too complex,
 * -1 out of memory. */
int fp_regex_prepare(const char *pat, size_t n, bool full, unsigned flags, void **re);
/* At compile time: precompile a literal pattern argument of call. */
mn_status fp_regex_attach(mn_fp_expr *e, fp_node *call);
void fp_regex_free_all(mn_fp_expr *e);
const fp_func *fp_func_find(const char *name, size_t len);
/* %name from defineVariable(): 1 appended to out, 0 not defined, -1 error. */
int fp_defvar_get(fp_ctx *x, const char *name, size_t len, fp_coll *out);
const fp_func *fp_func_table(size_t *n);  /* for tests: sorted by name */

/* terminologies.c: the %terminologies object and its functions (expand,
 * lookup, validateVS, validateCS, subsumes, translate), found by name when
 * fp_func_find knows no such function. */
extern const mn_fp_item fp_terminologies_item;
const fp_func *fp_term_func_find(const char *name, size_t len);

/* eval.c */
/* Compute once, at compile time, each largest subexpression whose value is the same at every
 * evaluation (built of literals and pure functions, reading no $this, $index, $total or variable)
 * and that evaluates without error: it becomes the literal, {} or FN_CONST node of its value.
 * Before fp_mark_fast and fp_fold. 0, or -1 out of memory. */
int fp_fold_constants(mn_fp_expr *e);
/* Mark the patterns of the tree at root that the case's indexes answer. */
void fp_mark_fast(fp_node *root);
/* Mark the comparisons eq_fast and fp_where_fast answer, and the other
 * patterns the evaluation answers from the JSON or the case's indexes
 * (after fp_fold_constants): 0, or -1 out of memory. */
int fp_fold(mn_fp_expr *e, fp_node *root);
/* Whether item it meets call->eqs (the criteria of a where() or exists()):
 * 1 it does (the criteria are true), 0 it does not (false or empty), -1 not
 * decided here (the item is not a typed object whose members are plain
 * strings of a string type): evaluate the criteria as usual. The same answer
 * as evaluating them whenever it decides. */
int fp_where_fast(fp_ctx *x, const fp_node *call, const mn_fp_item *it);
/* Whether item it (at index of the input, within scope s) meets call's criterion when that is
 * `('lit' & member) in E` (eqfast 3): in_fast's answer, 1 true, 0 false or empty; -1 not decided there
 * (evaluate it as usual), -2 an error (E's). */
int fp_where_in(fp_ctx *x, const fp_node *call, const mn_fp_item *it, int64_t index, const fp_scope *s);
/* memberOf(vs) (call c) over the one item whose node is the JSON object concept: its codings' (or, with
 * no "coding" member, its own) system and code asked of the terminology, true pushed onto out when one
 * is a member; 0, or -1 on error (an unknown value set). fn_memberOf and member_of_fast (eval.c). */
int fp_member_of_concept(fp_ctx *x, const fp_node *c, const char *vs, const mn_json *concept, fp_coll *out);
int fp_eval(fp_ctx *x, const fp_node *n, const fp_scope *s, fp_coll *out);
int fp_push(fp_ctx *x, fp_coll *c, const mn_fp_item *it);
/* -1 with MN_ELIMIT when the evaluation is over its memory budget. */
int fp_check_memory(fp_ctx *x, const fp_node *at);
int fp_append(fp_ctx *x, fp_coll *c, const fp_coll *more);
/* Push without copying into an empty collection (it must outlive c). */
int fp_push_shared(fp_ctx *x, fp_coll *c, const mn_fp_item *it);
int fp_push_bool(fp_ctx *x, fp_coll *c, bool b);
/* Items of a then b (b may be NULL) without duplicates, appended to out. */
int fp_union(fp_ctx *x, const fp_coll *a, const fp_coll *b, fp_coll *out);
int fp_fail(fp_ctx *x, mn_status code, const fp_node *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int fp_children(fp_ctx *x, const mn_fp_item *it, fp_coll *out);
/* Children named name of it into out. Returns -1 on error, 1 when it is a
 * typed node whose type has no such element (only with at != NULL), else 0. */
int fp_member(fp_ctx *x, const fp_node *at, const mn_fp_item *it, const char *name,
              size_t len, fp_coll *out);
const mn_fhir_type *fp_node_type(const mn_json *node, const mn_fhir_type *declared);
bool fp_type_matches(const mn_fp_item *it, const fp_typespec *t, bool exact);
/* Resolve at compile time (fills ftype, syskind, unknown). */
void fp_typespec_resolve(fp_typespec *t);
/* At evaluation: -1 with an execution error when t names no type. */
int fp_resolve_type(fp_ctx *x, const fp_node *at, const fp_typespec *t);
int fp_truth(fp_ctx *x, const fp_node *at, const fp_coll *c);  /* 1, 0, -1 empty; <-1 error */
int fp_singleton(fp_ctx *x, const fp_node *at, const fp_coll *c, const mn_fp_item **out);

/* value.c */
static inline void fp_item_init(mn_fp_item *it, mn_fp_kind kind)
{
	memset(it, 0, sizeof *it);
	it->kind = (uint8_t)kind;
}
/* memcmp(a, b, n) == 0, for short names without a call: up to 16 bytes as
 * two loads of each side that may overlap */
static inline bool fp_same_bytes(const char *a, const char *b, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a0, a1, b0, b1;
		memcpy(&a0, a, 8), memcpy(&a1, a + n - 8, 8);
		memcpy(&b0, b, 8), memcpy(&b1, b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (n >= 4 && n < 8) {
		uint32_t a0, a1, b0, b1;
		memcpy(&a0, a, 4), memcpy(&a1, a + n - 4, 4);
		memcpy(&b0, b, 4), memcpy(&b1, b + n - 4, 4);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	return memcmp(a, b, n) == 0;
}
mn_fp_item fp_make_bool(bool b);
mn_fp_item fp_make_int(int64_t i);
mn_fp_item fp_make_dec(double d, int scale);
mn_fp_item fp_make_str(const char *s, size_t n);
mn_fp_item fp_make_quantity(double d, int scale, const char *unit, bool calendar);
mn_fp_item fp_make_long(int64_t i);
/* Digits after the point of d's shortest decimal form (at most 16). */
int fp_natural_scale(double d);
/* q in target's unit (UCUM, calendar words, Cel/[degF] offsets); false when
 * not commensurable. Calendar year/month convert to 'a'/'mo' here. */
bool fp_quantity_convert(const mn_fp_item *q, const mn_fp_item *target, mn_fp_item *out);
/* a + b (sign 1) or a - b (sign -1) in the most granular unit: 0 ok, 1 empty
 * (units not commensurable, special, calendar year/month mixed), -1 overflow. */
int fp_quantity_add(const mn_fp_item *a, const mn_fp_item *b, int sign, mn_fp_item *out);
int fp_decimal_scale(const char *s, size_t n);
/* A Quantity element from the record as a System Quantity; false if not one. */
bool fp_as_quantity(const mn_fp_item *it, mn_fp_item *q);
/* Equality: 1 equal, 0 not, -1 empty (unknown, e.g. dates of different precision). */
int fp_equal(const mn_fp_item *a, const mn_fp_item *b);
bool fp_equivalent(const mn_fp_item *a, const mn_fp_item *b);
/* Ordering: sets *cmp (-1/0/1) and returns 0; 1 when the result is empty
 * (different precision); -1 when the values are not comparable (type error). */
int fp_compare(const mn_fp_item *a, const mn_fp_item *b, int *cmp);
int fp_datetime_compare(const mn_datetime *a, const mn_datetime *b, int *cmp);
/* Text as toString() makes it (arena string). */
const char *fp_to_string(mn_arena *a, const mn_fp_item *it, size_t *len);
int fp_write_decimal(mn_buf *b, double d, int scale);
int fp_write_quantity_unit(mn_buf *b, const mn_fp_item *it);
bool fp_parse_decimal(const char *s, size_t n, double *d, int *scale, bool *is_int, int64_t *i);
/* "4 'mg'", "1 day", "1.5" (unit '1') into a QUANTITY; false if not one. */
bool fp_parse_quantity_text(mn_arena *a, const char *s, size_t n, mn_fp_item *out);
int fp_calendar_unit(const char *s, size_t n);  /* MN_DT_YEAR... or 0; plural allowed */
double fp_round_scale(double d, int scale);
/* d as an int64 when it is finite and in range; false otherwise. */
bool fp_double_to_int(double d, int64_t *out);
/* Add a duration (value in units of `prec`) to a date/time. */
int fp_datetime_add(mn_datetime *dt, int prec, int64_t amount);

/* Hash consistent with fp_equal(a, b) == 1 (equal items hash alike). */
uint64_t fp_item_hash(const mn_fp_item *it);

/* set.c: items of a collection indexed for membership by equality */
typedef struct fp_set {
	const fp_coll *c;
	uint32_t n;            /* items of c indexed */
	struct slot *slots;    /* NULL while small (linear search) */
	uint32_t cap;
} fp_set;
int fp_set_init(fp_ctx *x, fp_set *s, const fp_coll *c);
int fp_set_find(fp_ctx *x, const fp_set *s, const mn_fp_item *it);  /* 1 found, 0 not */
/* Push it onto c (the set's collection) unless an equal item is there. */
int fp_set_push_unique(fp_ctx *x, fp_set *s, fp_coll *c, const mn_fp_item *it);

/* ucum.c */
typedef struct fp_unit {
	double factor;       /* to the base units */
	int8_t dim[8];       /* m, g, s, A, K, mol, cd, arbitrary */
	bool ok;
} fp_unit;
bool fp_ucum_parse(const char *s, size_t n, fp_unit *u);
bool fp_ucum_same_dim(const fp_unit *a, const fp_unit *b);
/* Cel and [degF]: kelvin = value * u->factor + *offset. */
bool fp_ucum_special(const char *s, size_t n, fp_unit *u, double *offset);
/* A UCUM special unit (non-ratio scale: Cel, [pH], B, dB, ...): no algebra. */
bool fp_ucum_nonratio(const char *s, size_t n);
/* Unit of a * b (div false) or a / b as a UCUM string; NULL if not splittable. */
const char *fp_ucum_product(mn_arena *arena, const char *a, const char *b, bool div);
/* Convert value in unit `from` to unit `to`; false if not commensurable. */
bool fp_quantity_normalize(const mn_fp_item *q, fp_unit *u, double *base_value);

#endif
