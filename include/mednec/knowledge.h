/*
 * mednec/knowledge.h: policies and the evidence library, loaded from data
 * files (docs/POLICY-FORMAT.md) and compiled once.
 *
 * A policy's FHIRPath expressions are compiled at load; a load error names
 * the file, line and key. The structures are read-only after loading and
 * owned by their policy or library (free with mn_policy_free /
 * mn_library_free).
 */
#ifndef MEDNEC_KNOWLEDGE_H
#define MEDNEC_KNOWLEDGE_H

#include "mednec/fhirpath.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mn_verification {
	MN_VERIFIED_CONFIRMED = 1,   /* seen in the source itself */
	MN_VERIFIED_SECONDARY,       /* seen only in a third-party summary */
	MN_VERIFIED_NOT_CONFIRMED    /* searched, not found: never cited */
} mn_verification;

const char *mn_verification_name(mn_verification v);

/* ---- evidence library ------------------------------------------------ */

typedef struct mn_code {
	const char *system, *code, *display;
} mn_code;

typedef struct mn_reference {
	const char *id;
	const char *citation;      /* formatted: "Deer TR, Levy RM, ... Title. Journal. 2017;158(4):669-681." */
	const char *doi, *url, *pmid;
	mn_verification verification;
	const char *checked;       /* where the check is recorded */
} mn_reference;

typedef struct mn_finding {
	const char *id;
	const mn_reference *reference;
	mn_verification verification;
	const char *population, *intervention, *comparator, *outcome, *follow_up, *result;
	const char *statement;
	const char *checked;
	/* Which patients and services the finding speaks to (appliesTo): a
	 * finding with conditions applies to a patient with one of those
	 * diagnoses; with services, to a policy whose service kind is listed. */
	size_t nconditions;
	struct mn_code *conditions;
	size_t nservices;
	const char **services;
} mn_finding;

typedef struct mn_library {
	size_t nreferences;
	mn_reference *references;
	size_t nfindings;
	mn_finding *findings;
	mn_arena *arena;
} mn_library;

/* Load evidence/references.json and evidence/findings.yaml under dir. */
mn_status mn_library_load(const char *dir, mn_library **out, mn_error *err);
void mn_library_free(mn_library *lib);
const mn_reference *mn_library_reference(const mn_library *lib, const char *id);
const mn_finding *mn_library_finding(const mn_library *lib, const char *id);

/* ---- policies -------------------------------------------------------- */


typedef struct mn_source {
	const char *id, *title, *url, *checked, *note;
	mn_verification verification;
} mn_source;

typedef struct mn_valueset {
	const char *name, *title;
	size_t ncodes;
	mn_code *codes;
} mn_valueset;

typedef struct mn_definition {
	const char *name;
	mn_fp_expr *expr;
} mn_definition;

/* A resolved citation: exactly one of the pointers is set. */
typedef struct mn_cite {
	const char *id;
	const mn_source *source;
	const mn_finding *finding;
	const mn_reference *reference;
} mn_cite;

/* A text template: literal pieces, FHIRPath slots ({expr}) and evidence
 * slots ({@finding-id} or {@finding-id.field}), in order. Exactly one of
 * text, slot and finding is set. */
typedef struct mn_template_part {
	const char *text;              /* literal */
	mn_fp_expr *slot;              /* FHIRPath slot */
	const mn_finding *finding;     /* evidence slot: the finding's statement or field */
	const char *field;             /* the field's value, resolved at load */
} mn_template_part;

typedef struct mn_template {
	size_t nparts;
	mn_template_part *parts;
} mn_template;

typedef struct mn_criterion {
	const char *id, *title, *satisfied_by;
	mn_fp_expr *documented;  /* may be NULL: counts as true */
	mn_fp_expr *met, *evidence;
	size_t ncites;
	mn_cite *cites;
} mn_criterion;

typedef struct mn_statement {
	const char *id;          /* optional; appeal rules name statements by id */
	const char *heading;     /* may be NULL */
	mn_fp_expr *when, *each, *record;  /* each may be NULL */
	mn_template text;
	size_t ncites;
	mn_cite *cites;
	const char *only_when;   /* a determination name or NULL */
} mn_statement;

typedef struct mn_section {
	const char *id, *title;
	const char *builtin;     /* "determination", "criteria", "outcomes", "missing", "references", "record" or NULL */
	bool always;             /* argument sections are written only when criteria are met, unless always */
	size_t nstatements;
	mn_statement *statements;
} mn_section;

/* How a reason given in a denial is recognised and what answers it: the
 * criteria it concerns and the letter statements (pitfalls) that answer it. */
typedef struct mn_appeal_rule {
	const char *id, *title;
	size_t nmatch;
	const char **match;      /* case-insensitive phrases looked for in the reason's text */
	size_t ncodes;
	mn_code *codes;          /* reason codes (system and code) */
	size_t ncriteria;
	const mn_criterion **criteria;
	size_t nanswers;
	const mn_statement **answers;
} mn_appeal_rule;

/* An example case the policy ships with, and what it must decide. */
typedef struct mn_policy_test {
	const char *case_path;   /* relative to the knowledge folder */
	const char *as_of;       /* YYYY-MM-DD */
	const char *expect;      /* determination name */
	size_t ncriteria;        /* expected criterion statuses (criteria not listed: not checked) */
	const char **criterion_ids;
	const char **statuses;
	const char *note;
} mn_policy_test;

typedef struct mn_policy {
	const char *path;
	const char *id, *title, *version;
	const char *service_display;
	const char *service_kind;   /* e.g. "drg-stimulation": matches findings' appliesTo.services */
	size_t nservice_codes;
	mn_code *service_codes;
	mn_fp_expr *request;     /* may be NULL */
	bool covered;
	size_t nmodeled_on;
	const mn_source **modeled_on;
	const char **modeled_on_notes;
	size_t nsources;
	mn_source *sources;
	size_t nvaluesets;
	mn_valueset *valuesets;
	size_t ndefinitions;
	mn_definition *definitions;
	size_t ncriteria;
	mn_criterion *criteria;
	size_t nappeal_rules;
	mn_appeal_rule *appeal_rules;
	size_t naliases;         /* other ids that select this policy */
	const char **aliases;
	size_t ntests;
	mn_policy_test *tests;
	mn_template letter_title;
	size_t nsections;
	mn_section *sections;
	const mn_library *library;  /* the evidence library the policy was loaded with */
	mn_arena *arena;
	/* private: every compiled expression, for mn_policy_free */
	size_t nexprs_, capexprs_;
	mn_fp_expr **exprs_;
} mn_policy;

/* Load and compile a policy file; citations resolve against its own sources
 * and the library (which must outlive the policy). */
mn_status mn_policy_load_file(const char *path, const mn_library *lib, mn_policy **out,
                              mn_error *err);
/* Load policies_dir/<id>.yaml, or the policy that lists id among its
 * aliases; MN_ENOTFOUND when there is none. */
mn_status mn_policy_load(const char *policies_dir, const char *id, const mn_library *lib,
                         mn_policy **out, mn_error *err);
void mn_policy_free(mn_policy *p);
/* Ids of the policies in a directory, sorted; a NULL-terminated array in
 * arena memory. */
mn_status mn_policy_list(const char *policies_dir, mn_arena *arena, const char ***ids,
                         mn_error *err);
/* ---- knowledge tables ---------------------------------------------------- */

/* Reference tables that policies read as FHIRPath variables: every
 * DIR/tables/NAME.yaml is one table, bound as %NAME (NAME: lowercase
 * letters and digits). The YAML becomes a JSON-like tree: mappings are
 * objects, sequences arrays, plain scalars that read as JSON numbers,
 * true, false or null are those, everything else a string. */
typedef struct mn_table {
	const char *name;
	const char *path;
	const mn_json *root;
} mn_table;

typedef struct mn_tables {
	size_t ntables;
	mn_table *tables;
	mn_arena *arena;
} mn_tables;

/* A folder without tables/ gives an empty set. */
mn_status mn_tables_load(const char *dir, mn_tables **out, mn_error *err);
void mn_tables_free(mn_tables *t);

/* Load a case file relative to the knowledge folder home: a FHIR R4 JSON
 * file, or a variant: {"base": "examples/x.json", "remove": ["Type/id"...],
 * "replace": [resource...], "add": [resource...]} applied to its base (a
 * removal or replacement that matches no entry is an error). */
mn_status mn_case_load_any(const char *home, const char *path, mn_case **out, mn_error *err);

/* The terminology callback for mn_fp_env_set_terminology: payload = policy. */
int mn_policy_member_of(void *payload, const char *valueset, const char *system,
                        const char *code);

#ifdef __cplusplus
}
#endif
#endif
