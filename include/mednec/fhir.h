/*
 * mednec/fhir.h: the FHIR R4 layer.
 *
 * Two parts:
 * - the type model: FHIR R4 (4.0.1) resource and data types with their
 *   elements, generated from the official StructureDefinitions into C tables
 *   (tools/gen-fhir-model.mjs -> src/fhir/model_tables.c);
 * - the case: a patient record loaded from JSON (a Bundle of any type, or a
 *   single resource), checked against the model, with an index of its
 *   resources and reference resolution (Type/id, absolute URLs, urn:uuid:
 *   fullUrls, #contained).
 */
#ifndef MEDNEC_FHIR_H
#define MEDNEC_FHIR_H

#include "mednec/json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- type model ------------------------------------------------------ */

typedef enum mn_fhir_kind {
	MN_FHIR_PRIMITIVE = 1,  /* boolean, string, date, ... (lowercase names) */
	MN_FHIR_COMPLEX,        /* Quantity, CodeableConcept, ... */
	MN_FHIR_RESOURCE,       /* Patient, Observation, ... and Resource, DomainResource */
	MN_FHIR_BACKBONE        /* an anonymous element type such as Observation.component */
} mn_fhir_kind;

typedef struct mn_fhir_type mn_fhir_type;

typedef struct mn_fhir_element {
	const char *name;           /* "value" for value[x] */
	bool choice;                /* value[x]: JSON names are name + TypeName */
	bool many;                  /* max cardinality > 1: a JSON array */
	uint8_t ntypes;
	const mn_fhir_type *const *types;  /* the allowed types (several for choice) */
} mn_fhir_element;

struct mn_fhir_type {
	const char *name;           /* "Observation", "Quantity", "dateTime", "Observation.component" */
	uint8_t kind;               /* mn_fhir_kind */
	const mn_fhir_type *base;   /* Observation -> DomainResource -> Resource; Age -> Quantity */
	uint16_t nelements;
	const mn_fhir_element *elements;  /* own elements (not inherited); sorted by name */
	const char *system_type;    /* primitives: FHIRPath System type name ("String", "Decimal",
	                               "DateTime", ...); NULL otherwise */
};

/* NULL when unknown. Names are case-sensitive ("string" vs "String" differ). */
const mn_fhir_type *mn_fhir_type_find(const char *name, size_t len);
/* Element of t or of its bases; NULL when unknown. */
const mn_fhir_element *mn_fhir_element_find(const mn_fhir_type *t, const char *name, size_t len);
/* Match a JSON property name against t's elements, including choice names
 * (valueQuantity -> element "value", type Quantity). Returns the element and
 * sets *type; NULL when the name is not an element of t. A leading '_' (the
 * primitive extension sibling) is not handled here. */
const mn_fhir_element *mn_fhir_element_for_json(const mn_fhir_type *t, const char *name,
                                                size_t len, const mn_fhir_type **type);
/* t is sub or equal to base (walking base links). */
bool mn_fhir_type_is_a(const mn_fhir_type *t, const mn_fhir_type *base);
bool mn_fhir_is_resource_type(const char *name, size_t len);
/* Whether some other type of the model has t as its base (Resource,
 * DomainResource, Quantity, ...): is-a t is then more than type == t. */
bool mn_fhir_type_has_subtypes(const mn_fhir_type *t);

/* ---- readable text of common data types -------------------------------- */

/* A CodeableConcept's text, else its first coding display, else its first
 * code; NULL when it has none. */
const char *mn_fhir_concept_text(const mn_json *cc);
/* A HumanName (or the first of an array of them) as its text or "Given
 * Family", in arena; a plain string (Organization.name) as it is; NULL when
 * there is nothing to show. */
const char *mn_fhir_name_text(mn_arena *a, const mn_json *name);

/* ---- the case -------------------------------------------------------- */

typedef struct mn_case mn_case;

typedef struct mn_resource {
	const mn_json *json;          /* the resource object */
	const mn_fhir_type *type;
	const char *type_name;        /* resourceType */
	const char *id;               /* may be NULL */
	const char *full_url;         /* Bundle.entry.fullUrl or NULL */
	int index;                    /* position in the case */
	const struct mn_resource *container;  /* for contained resources, the container */
} mn_resource;

/* Load and check a case. The text is copied; err locates problems as
 * file:line:column plus a JSON pointer-like path
 * ("/entry/3/resource/code/coding/0/system"). Fails with MN_EJSON for
 * malformed JSON, MN_EFHIR for JSON that is not FHIR R4 (no or unknown
 * resourceType, unknown element, wrong JSON shape for an element, bad
 * primitive value such as an invalid date), MN_EREF for a reference that
 * does not resolve within the case. */
mn_status mn_case_load(const char *name, const char *text, size_t len, mn_case **out,
                       mn_error *err);
mn_status mn_case_load_file(const char *path, mn_case **out, mn_error *err);
/* With MN_CASE_ALLOW_UNRESOLVED, references that do not resolve within the
 * case (a lone resource pointing at a Patient not in the file, conditional
 * references) are counted instead of failing the load; everything else is
 * checked the same. For tools over third-party examples, never for
 * determinations. */
#define MN_CASE_ALLOW_UNRESOLVED 0x1u
mn_status mn_case_load_ex(const char *name, const char *text, size_t len, unsigned flags,
                          mn_case **out, mn_error *err);
mn_status mn_case_load_file_ex(const char *path, unsigned flags, mn_case **out, mn_error *err);
/* mn_case_load_ex on a tree already parsed (mn_json_parse) from text[0..len) and perhaps rearranged: every
 * node's offset must lie in text, and the top-level resources (root's entries) must come in increasing offset
 * order, each once. Neither is copied: the text and the tree (which MN_CASE_LENIENT may prune) must outlive the
 * case. Positions in errors are those of text. For callers that assemble a record from a parsed document (the
 * CDS Hooks service) without writing it out and parsing it again. */
mn_status mn_case_load_tree(const char *name, const char *text, size_t len, mn_json *root, unsigned flags,
                            mn_case **out, mn_error *err);
/* References that did not resolve (nonzero only with MN_CASE_ALLOW_UNRESOLVED). */
size_t mn_case_unresolved(const mn_case *c);
/* The first MN_CASE_UNRESOLVED_KEPT of them, in document order, each as
 * "<reference> at <JSON pointer of its reference element>"
 * ("Practitioner/x at /entry/3/resource/requester/reference"); NULL when i
 * is out of range. */
#define MN_CASE_UNRESOLVED_KEPT 5
const char *mn_case_unresolved_at(const mn_case *c, size_t i);
/* With MN_CASE_LENIENT, inside a resource of the case, an unknown element
 * and an invalid primitive value (a bad date, a non-integer integer, an
 * out-of-range positiveInt) are data-quality problems instead of failing
 * the load: each is counted and its member removed from the parsed JSON
 * (for an array of primitives, the whole array), so that FHIRPath and
 * everything else see the element as absent, never as valid. Bad JSON, a
 * missing or unknown resourceType, a non-object resource, wrong JSON
 * shapes, an element given twice, and anything at Bundle level (outside
 * the entries' resources) still fail. */
#define MN_CASE_LENIENT 0x2u
/* Problems dropped under MN_CASE_LENIENT (0 without it). */
size_t mn_case_problems(const mn_case *c);
/* The first MN_CASE_PROBLEMS_KEPT of them, in document order, each as
 * "<JSON pointer>: <message>" ("/entry/3/resource/effectiveDateTime:
 * Observation.effective[x] (dateTime): invalid dateTime \"2026-13-45\"");
 * NULL when i is out of range. */
#define MN_CASE_PROBLEMS_KEPT 5
const char *mn_case_problem_at(const mn_case *c, size_t i);
void mn_case_free(mn_case *c);

const char *mn_case_name(const mn_case *c);
/* The loaded document's root: the Bundle, or the single resource. */
const mn_json *mn_case_root(const mn_case *c);
/* The top-level resources: each Bundle entry's resource, or the single
 * resource. Contained resources are not listed here. */
size_t mn_case_count(const mn_case *c);
const mn_resource *mn_case_get(const mn_case *c, size_t i);
/* The resource that holds node (the innermost, contained ones included);
 * NULL when node is not inside a resource of this case. */
const mn_resource *mn_case_owner(const mn_case *c, const mn_json *node);
/* Find by resource object pointer (top-level or contained). */
const mn_resource *mn_case_find_json(const mn_case *c, const mn_json *resource);
/* Resolve a Reference.reference string as seen from `from` (which gives the
 * base for relative and #contained references); NULL when not found. */
const mn_resource *mn_case_resolve(const mn_case *c, const char *ref, size_t len,
                                   const mn_resource *from);
/* 1-based line/column of a node in the case's source text. */
void mn_case_position(const mn_case *c, const mn_json *node, int *line, int *column);
/* The positions (for mn_case_get) of the top-level resources whose type is
 * exactly t (not a subtype), in case order; *n of them (NULL and 0 when
 * none). Built at load, so a lookup costs no search (FHIRPath's
 * "Observation.where(...)" over a case and "Bundle.entry.resource.ofType(X)"
 * use it). */
const uint32_t *mn_case_of_type(const mn_case *c, const mn_fhir_type *t, size_t *n);
/* The index by code, for FHIRPath's "Observation.where(... and code.coding.where(system = 'S' and
 * code = 'C').exists())" (or category.coding) over a case: *pos[0..*count) are the positions (for
 * mn_case_get) of the top-level resources whose member element ("code" or "category") holds an object
 * (or an array of objects) whose "coding" array has an object whose "code" is the string code[0..n), in
 * case order; *unread[0..*nunread) (in case order) those whose element the index cannot read plainly
 * (a repeated key, a "_code", "_coding", "_system" or "_element" sibling, a value that is not an
 * object, array or string where R4 has one, a code with a NUL character): they may have the code. Every other resource has no such
 * coding there. Only the resources of types whose element is a CodeableConcept are indexed: ask only
 * for those (the others are in neither list). Made when first asked, once per record (an as-of view that leaves
 * nothing out shares its source's); safe to call from several threads. False (and nothing) for
 * another element or when it cannot be made (out of memory): evaluate as usual. */
bool mn_case_coded(const mn_case *c, const char *element, const char *code, size_t n, const uint32_t **pos,
                   size_t *count, const uint32_t **unread, size_t *nunread);
/* Whether the root is a Bundle whose entries' resources are exactly the
 * top-level resources, in order (not an as-of view that leaves some out):
 * then "Bundle.entry.resource" over the root is mn_case_get(c, 0..count). */
bool mn_case_bundle_exact(const mn_case *c);
/* Arena owned by the case (lives as long as the case). */
mn_arena *mn_case_arena(const mn_case *c);

/* ---- the record as of a date (docs/POLICY-FORMAT.md, section "Time") ---- */

/* Is r dated after the day as_of (a full date)? True when one of its
 * top-level dates is: the date it was recorded, issued, authored or
 * asserted (recordedDate, issued, authoredOn, authored, dateAsserted, date,
 * created) or the start of when it happened (effective[x], performed[x],
 * onset[x], occurrence[x] as dateTime, instant or Period; a Period by its
 * start, or by its end when it has no start). The occurrence[x] of a
 * *Request resource is when the service is wanted and does not count.
 * Dates compare at day precision as written (2026-11-20T23:00:00-05:00 is
 * 2026-11-20); a partial date counts as its earliest day (2026-11 is
 * 2026-11-01), so it is after as_of only when all of it is. Other types
 * (Timing, Age, Range, string) and contained resources are not read. */
bool mn_resource_after(const mn_resource *r, const mn_datetime *as_of);
/* The same answer as mn_resource_after, always by reading r's members (the general path;
 * mn_resource_after compares the latest date the load recorded). For tests. */
bool mn_resource_after_scan(const mn_resource *r, const mn_datetime *as_of);
/* The record as it stood on as_of (a full date): a view of c without the
 * top-level resources dated after it (mn_resource_after) and their contained
 * ones. The view is an mn_case like any other: counting, getting, owners and
 * references (a reference to a left-out resource does not resolve in it)
 * see only what it keeps; mn_case_unresolved* and mn_case_problem* report c's load. It shares
 * c's text and tree, so it must be freed (mn_case_free) before c. Period
 * ends after as_of are kept as written: consumers clip them (coveredDays). */
mn_status mn_case_as_of(const mn_case *c, const mn_datetime *as_of, mn_case **out, mn_error *err);
/* For a view: how many top-level resources of its source it leaves out. */
size_t mn_case_left_out(const mn_case *c);

#ifdef __cplusplus
}
#endif
#endif
