/*
 * mednec/fhirpath.h: FHIRPath (2.0.0 normative, plus the FHIR R4 additions)
 * compiled once, evaluated many times.
 *
 *   mn_fp_expr *e = mn_fp_compile("Observation.value.ofType(Quantity)", -1, &err);
 *   mn_fp_env *env = mn_fp_env_new();
 *   mn_fp_env_set_now(env, &as_of);          // today() and now(): never the wall clock
 *   mn_fp_env_set_case(env, c);              // resolve() within the case
 *   mn_fp_result *r;
 *   mn_fp_eval_case(e, env, c, arena, &r, &err);  // context: every resource of the case
 *   for (size_t i = 0; i < mn_fp_result_count(r); i++) ... mn_fp_result_item(r, i)
 *
 * Results live in the arena passed to eval. An expression is immutable after
 * compilation and may be evaluated concurrently from several threads with
 * separate arenas. Every item that was read from the record carries the node
 * it came from and the resource that holds it (provenance).
 */
#ifndef MEDNEC_FHIRPATH_H
#define MEDNEC_FHIRPATH_H

#include "mednec/fhir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits; exceeding one is an MN_ELIMIT error, never a crash. */
#define MN_FP_MAX_EXPR_LEN   65536     /* bytes of expression text */
#define MN_FP_MAX_DEPTH      256       /* parser nesting and evaluation recursion */
#define MN_FP_MAX_ITEMS      1000000   /* items in one collection */
#define MN_FP_MAX_STRING     (16u << 20)  /* bytes in one computed string */
#define MN_FP_MAX_CHAIN      (MN_FP_MAX_DEPTH * 3)  /* invocations in one path (a.b.c...) */
#define MN_FP_WORK_BUDGET    50000000ULL  /* evaluation steps in one evaluation */
#define MN_FP_MEMORY_BUDGET  ((size_t)256 << 20)  /* arena bytes one evaluation may add */
/* Regular expressions whose estimated expansion exceeds 20000 (see
 * fp_regex_prepare) are refused with an execution error. */

typedef struct mn_fp_expr mn_fp_expr;
typedef struct mn_fp_env mn_fp_env;
typedef struct mn_fp_result mn_fp_result;
typedef struct mn_fp_item mn_fp_item;

typedef enum mn_fp_kind {
	MN_FP_BOOLEAN = 1, MN_FP_INTEGER, MN_FP_DECIMAL, MN_FP_STRING,
	MN_FP_DATE, MN_FP_DATETIME, MN_FP_TIME, MN_FP_QUANTITY,
	MN_FP_NODE  /* a complex FHIR element or resource (JSON object) */
} mn_fp_kind;

/* ---- compile --------------------------------------------------------- */

/* len < 0: src is NUL-terminated. On error returns NULL with err->code
 * MN_ESYNTAX (or MN_ESEMANTIC, MN_ELIMIT) and err->column the 1-based
 * character position of the offending token; err->message says
 * "... near '<token>'". */
mn_fp_expr *mn_fp_compile(const char *src, long len, mn_error *err);
/* Compile options (flags for mn_fp_compile_ex). */
enum {
	/* Strict mode of the FHIRPath specification, on top of the checks that
	 * always run: order-dependent functions (first, last, tail, skip, take,
	 * single, [n]) applied to children() or descendants(), whose order is
	 * undefined, are semantic errors. */
	MN_FP_STRICT = 1,
	/* No FHIR model (docs/FHIRPATH.md, "Without a model"): FHIRPath over any
	 * JSON, as fhirpath.js evaluates without a model. A name selects the
	 * members of exactly that name (no choice suffixes, no "_name" primitive
	 * extension siblings), arrays flatten (nested ones too), null is empty;
	 * JSON strings are String, numbers Integer when written without a
	 * fraction or exponent (and in the 64-bit range) else Decimal, true/false
	 * Boolean, objects are navigable nodes of no FHIR type. A path's first
	 * name selects the context itself when the context's "resourceType"
	 * member is that name (Patient.name), else it is a plain member name. No
	 * compile-time element checks. The context given to mn_fp_eval may be
	 * any JSON value (an array is its items). */
	MN_FP_MODEL_NONE = 2,
	/* Lenient names (docs/FHIRPATH.md, "Lenient mode"): the JSON name of a
	 * choice element ("Observation.valueQuantity") selects that element of
	 * that type (value[x] as a Quantity), as most engines accept, instead of
	 * the semantic error the specification asks for. Nothing else changes;
	 * policies are always compiled without it. */
	MN_FP_LENIENT = 4
};
mn_fp_expr *mn_fp_compile_ex(const char *src, long len, unsigned flags, mn_error *err);
void mn_fp_expr_free(mn_fp_expr *e);
const char *mn_fp_expr_source(const mn_fp_expr *e);
/* Whether e's value was computed when it was compiled (docs/FHIRPATH.md, "Pipeline"): e
 * reads neither its input nor a variable, an index, the clock or the terminology, so every evaluation
 * answers that value, whatever the context. `1 + 2`, `'a' | 'b'`, `(1 | 2 | 3).count()` are; `name`,
 * `%x + 1`, `today()` are not. A policy criterion that is constant does not read the record. False for
 * NULL. */
bool mn_fp_expr_constant(const mn_fp_expr *e);
/* Which members of the variable %var the expression reads: cb is called for each step `%var.name` (name
 * and its length, in source order, repeats included). Returns false when the expression uses %var in any
 * other way (alone, as the input of a function or an indexer, as an operand), where a caller must assume
 * that every member may be read; true otherwise (also when %var does not occur). cb may be NULL. */
typedef void (*mn_fp_use_fn)(void *payload, const char *name, size_t len);
bool mn_fp_expr_var_members(const mn_fp_expr *e, const char *var, mn_fp_use_fn cb, void *payload);

/* ---- environment ----------------------------------------------------- */

mn_fp_env *mn_fp_env_new(void);
void mn_fp_env_free(mn_fp_env *env);
/* A new environment with src's clock, case, terminology, trace and
 * variables; binding a variable in the copy leaves src unchanged. The values
 * are shared with src, which must outlive the copy and not change while the
 * copy is used. NULL when out of memory. */
mn_fp_env *mn_fp_env_clone(const mn_fp_env *src);
/* The clock for now(), today() and timeOfDay(). Required before any
 * evaluation that calls them (an execution error otherwise). */
void mn_fp_env_set_now(mn_fp_env *env, const mn_datetime *now);
/* Case used by resolve() and for provenance (mn_fp_item_resource). */
void mn_fp_env_set_case(mn_fp_env *env, const mn_case *c);
/* Named variables (%name). The value is copied into the env; for results,
 * the items are copied (nodes are referenced, so keep their case alive). */
mn_status mn_fp_env_set_string(mn_fp_env *env, const char *name, const char *value);
mn_status mn_fp_env_set_result(mn_fp_env *env, const char *name, const mn_fp_result *value);
/* Terminology: memberOf(valueset) asks this callback for each coding
 * (system, code) of the input (Coding, CodeableConcept, code/string). It
 * returns 1 member, 0 not a member, -1 the value set is unknown (an
 * execution error). */
typedef int (*mn_fp_member_fn)(void *payload, const char *valueset, const char *system,
                               const char *code);
void mn_fp_env_set_terminology(mn_fp_env *env, mn_fp_member_fn fn, void *payload);
/* The codes of a value set, for the memberOf fast path (below): n codes, code i (NUL-terminated) being
 * code(list, i). */
typedef struct mn_fp_codes {
	size_t n;
	const void *list;
	const char *(*code)(const void *list, size_t i);
} mn_fp_codes;
/* 1 with *out when every (system, code) the memberOf callback calls a member of valueset has one of
 * out's codes as its code (an extensional list of system + code; exclusions only remove members); 0
 * when the set is not such a list (prefixes, ranges of codes); -1 when the set is unknown. */
typedef int (*mn_fp_codes_fn)(void *payload, const char *valueset, mn_fp_codes *out);
/* mn_fp_env_set_terminology with codes: the same payload answers both. X.where(... and
 * code.memberOf('vs') ...) over a case (X a resource type whose code is a CodeableConcept) then takes its
 * candidates from the case's index by code (mn_case_coded) for the set's codes, and evaluates the whole
 * criterion on each; the others (a single CodeableConcept with codings, none with any of those codes:
 * memberOf is false) get only the conjuncts before the memberOf, for their errors, as `and` would. Answers are
 * those of the general evaluation. mn_fp_env_set_terminology sets codes to NULL. */
void mn_fp_env_set_terminology_codes(mn_fp_env *env, mn_fp_member_fn fn, mn_fp_codes_fn codes, void *payload);
/* %terminologies (docs/FHIRPATH.md, "%terminologies"): the FHIR
 * terminology service API (expand, lookup, validateVS, validateCS,
 * subsumes, translate) answered from the value sets the caller holds. The
 * caller lists them through this hook (mednec's CLI: the library's shared
 * value sets, knowledge/valuesets); membership, with exclusions, comes from
 * the memberOf callback above. fn fills *out with entry i (0, 1, ...) of
 * the included codes of value set `valueset` and returns 1, 0 past the last
 * entry, -1 when no such value set is held. valueset NULL: the included
 * entries of every held value set in turn (lookup and validateCS read
 * codes and displays from them). Without the hook every %terminologies
 * call is an execution error. */
typedef struct mn_fp_vs_entry {
	int match;            /* 1 the code itself, 2 a prefix (every code starting with code),
	                         3 a range (code..to, codes of the same length) */
	const char *system;   /* may be NULL */
	const char *code;
	const char *to;       /* match 3: the upper bound */
	const char *display;  /* may be NULL */
} mn_fp_vs_entry;
typedef int (*mn_fp_valueset_fn)(void *payload, const char *valueset, size_t i,
                                 mn_fp_vs_entry *out);
void mn_fp_env_set_valuesets(mn_fp_env *env, mn_fp_valueset_fn fn, void *payload);
/* trace(name [, projection]) output; default: standard error. */
typedef void (*mn_fp_trace_fn)(void *payload, const char *name, const mn_fp_result *value);
void mn_fp_env_set_trace(mn_fp_env *env, mn_fp_trace_fn fn, void *payload);

/* ---- evaluate -------------------------------------------------------- */

/* Context = one resource (%resource = %context = it). resource may be NULL
 * for an empty input collection. */
mn_status mn_fp_eval(const mn_fp_expr *e, const mn_fp_env *env, const mn_json *resource,
                     mn_arena *arena, mn_fp_result **out, mn_error *err);
/* The same as mn_fp_eval(e, env, res->json, ...) for res, a resource of env's case (mn_case_get,
 * mn_case_find_json on the case mn_fp_env_set_case gave env): the context item takes its resource and
 * type from res instead of looking them up (a resource type the case could not resolve is read from
 * resourceType, as mn_fp_eval does). */
mn_status mn_fp_eval_resource(const mn_fp_expr *e, const mn_fp_env *env, const mn_resource *res,
                              mn_arena *arena, mn_fp_result **out, mn_error *err);
/* Context = every top-level resource of the case, in order, so that an
 * expression may start with a type name: "Condition.where(...)". */
mn_status mn_fp_eval_case(const mn_fp_expr *e, const mn_fp_env *env, const mn_case *c,
                          mn_arena *arena, mn_fp_result **out, mn_error *err);
/* Context = the items of an earlier result. */
mn_status mn_fp_eval_items(const mn_fp_expr *e, const mn_fp_env *env, const mn_fp_result *in,
                           mn_arena *arena, mn_fp_result **out, mn_error *err);

/* ---- results --------------------------------------------------------- */

size_t mn_fp_result_count(const mn_fp_result *r);
const mn_fp_item *mn_fp_result_item(const mn_fp_result *r, size_t i);
/* Single boolean per FHIRPath singleton rules: returns 1 true, 0 false,
 * -1 empty; MN_EEVAL (negative, < -1) if not a single boolean. */
int mn_fp_result_truth(const mn_fp_result *r);

mn_fp_kind mn_fp_item_kind(const mn_fp_item *it);
/* FHIR type name ("Observation", "CodeableConcept", "dateTime") when read
 * from the record, else the System type ("Boolean", "Integer", "Long",
 * "Decimal", "String", "Date", "DateTime", "Time", "Quantity"). A Long
 * (2L, toLong()) has kind MN_FP_INTEGER; read it with mn_fp_item_integer. */
const char *mn_fp_item_type(const mn_fp_item *it);
bool mn_fp_item_boolean(const mn_fp_item *it);
int64_t mn_fp_item_integer(const mn_fp_item *it);
/* INTEGER, DECIMAL and QUANTITY (its value) as double. */
double mn_fp_item_number(const mn_fp_item *it);
/* STRING (and the text of other primitives); *len may be NULL. */
const char *mn_fp_item_string(const mn_fp_item *it, size_t *len);
/* DATE, DATETIME, TIME. */
const mn_datetime *mn_fp_item_datetime(const mn_fp_item *it);
/* QUANTITY unit (UCUM code or calendar word); NULL otherwise. */
const char *mn_fp_item_unit(const mn_fp_item *it);
/* The JSON node the item was read from (NODE and primitives from the
 * record); NULL for computed values. */
const mn_json *mn_fp_item_node(const mn_fp_item *it);
/* The resource that holds the item (via the env's case); NULL for computed
 * values. */
const mn_resource *mn_fp_item_resource(const mn_fp_item *it);

/* FHIRPath literal-style text: strings as-is (no quotes), booleans
 * true/false, dates "@2014-01-25", quantities "4 'mg'", nodes as compact
 * JSON. */
int mn_fp_item_write_text(const mn_fp_item *it, mn_buf *out);
/* JSON value as printed by `mednec eval`: strings, numbers, booleans as
 * JSON values; dates, times and quantities as strings in literal form
 * ("@2014-01-25", "4 'mg'"); nodes as JSON. */
int mn_fp_item_write_json(const mn_fp_item *it, mn_buf *out);

/* A result holding items [start, start + count) of r (clamped), allocated
 * in arena; used to bind one item of a collection as a variable. */
mn_fp_result *mn_fp_result_slice(const mn_fp_result *r, size_t start, size_t count, mn_arena *arena);

#ifdef __cplusplus
}
#endif
#endif
