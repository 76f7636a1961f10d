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

#include <stdint.h>

#include "mednec/fhirpath.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mn_verification {
	MN_VERIFIED_CONFIRMED = 1,   /* seen in the source itself */
	MN_VERIFIED_SECONDARY,       /* seen only in a third-party summary */
	MN_VERIFIED_NOT_CONFIRMED,   /* searched, not found: never cited */
	MN_VERIFIED_INCOMPLETE       /* found, but parts of the citation were not (facts.md §9): never cited */
} mn_verification;

const char *mn_verification_name(mn_verification v);
/* Whether an item with this verification may be cited or quoted
 * (confirmed or secondary; never not-confirmed or incomplete). */
bool mn_verification_citable(mn_verification v);

/* ---- evidence library ------------------------------------------------ */

typedef struct mn_code {
	const char *system, *code, *display;
} mn_code;

typedef struct mn_reference {
	const char *id;
	/* Formatted once at load, in one style (AMA/NLM-like; docs/POLICY-FORMAT.md,
	 * "Citations"): "Deer TR, Levy RM, Kramer J, et al. Title. Pain.
	 * 2017;158(4):669-681. doi:10.1097/... PMID: 28030470". A reference
	 * marked confirmed or secondary is a full citation: the loader rejects one
	 * that lacks a required part. */
	const char *citation;
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

typedef struct mn_source {
	const char *id;
	const char *title;         /* how the letter's prose names the source */
	const char *url, *checked, *note;
	mn_verification verification;
	/* Citation parts (docs/POLICY-FORMAT.md, "Citations"): the publisher
	 * (the payer), the document's own title (documentTitle; title when
	 * absent), its number ("Medical Policy MP-328"), its effective or review
	 * date and the date the URL was accessed (ISO dates: 2024, 2024-05,
	 * 2026-01-01), and, for a third-party copy, the site that holds it. */
	const char *publisher, *document_title, *number, *effective, *reviewed, *accessed, *via;
	/* Why a part is missing where the publisher gives none (a flag the
	 * completeness test lists; never printed). */
	const char *undated, *unnumbered;
	/* Formatted once at load: "Florida Blue. Spinal Cord and Dorsal Root
	 * Ganglion Stimulation. Medical Policy MP-328. Reviewed May 2024.
	 * Accessed November 30, 2026. https://...". In a policy, a confirmed or
	 * secondary source must be a full citation (the loader rejects it
	 * otherwise). */
	const char *citation;
} mn_source;

/* The first phrase about how the project keeps its files ("facts.md", "not
 * recorded", "see evidence file", ...) found in text, or NULL. Citations
 * and letters must contain none. */
const char *mn_housekeeping_phrase(const char *text);

/* One entry of a value set: a code, a prefix or a range of codes of one
 * system. */
typedef enum mn_vs_match {
	MN_VS_CODE = 1,   /* the code itself */
	MN_VS_PREFIX,     /* every code that starts with `code` */
	MN_VS_RANGE       /* every code of the same length as `code` and `to`, lexically between them inclusive */
} mn_vs_match;

typedef struct mn_vs_entry {
	mn_vs_match match;
	const char *system;
	const char *code;          /* the code, the prefix, or the range's lower bound (`from`) */
	const char *to;            /* MN_VS_RANGE: the upper bound; NULL otherwise */
	const char *display;
	const mn_source *source;   /* the source that backs the entry (NULL only in a policy-level set without one) */
	int line;                  /* line in its file */
} mn_vs_entry;

/* Private lookup structure of a value set (built at load). */
typedef struct mn_vs_index_ {
	size_t nexact;
	const mn_vs_entry **exact;  /* MN_VS_CODE entries sorted by code */
	size_t nother;
	const mn_vs_entry **other;  /* prefix and range entries */
	/* the exact entries by code: open addressing over a hash of the code, hcap slots (a power of two, or 0:
	 * none, search exact), each 1 + the position in exact of the first entry with that code, or 0; then hcap
	 * more, each the slot's code's hash (src/knowledge/valueset.c compares a code's text only when they agree) */
	size_t hcap;
	const uint32_t *hash;
} mn_vs_index_;

/* A named value set: a policy's own (policy.valueSets) or shared
 * (knowledge/valuesets/NAME.yaml). A code is a member when it matches an
 * entry of `codes` and no entry of `excludes`. */
typedef struct mn_valueset {
	const char *name, *title;
	const char *path;          /* shared sets: the file; policy-level sets: NULL */
	size_t ncodes;
	mn_vs_entry *codes;
	size_t nexcludes;
	mn_vs_entry *excludes;
	size_t nsources;           /* shared sets: their own sources */
	mn_source *sources;
	mn_vs_index_ inc_, exc_;   /* private */
} mn_valueset;

/* 1 when system|code is a member of vs, 0 otherwise. system NULL matches an
 * entry of any system (a bare FHIR code). */
int mn_valueset_contains(const mn_valueset *vs, const char *system, const char *code);

typedef struct mn_library {
	size_t nreferences;
	mn_reference *references;
	size_t nfindings;
	mn_finding *findings;
	/* Shared value sets, sorted by name: every VSDIR/NAME.yaml (see
	 * mn_library_load). Policies find them by memberOf('NAME'). */
	size_t nvaluesets;
	mn_valueset *valuesets;
	const char *valuesets_dir;  /* the folder they were read from, or NULL */
	mn_arena *arena;
} mn_library;

/* Load evidence/references.json and evidence/findings.yaml under dir, and
 * the shared value sets of the knowledge folder beside it,
 * dir/../knowledge/valuesets/NAME.yaml, when that folder exists (the home
 * layout: home/evidence, home/knowledge/valuesets). Every value set file is
 * checked like a policy: a mistake is an MN_EPOLICY error naming the file
 * and line. */
mn_status mn_library_load(const char *dir, mn_library **out, mn_error *err);
/* Load the shared value sets of valuesets_dir into lib (replacing any it
 * has); a missing folder gives none. mn_library_load calls it. */
mn_status mn_library_load_valuesets(mn_library *lib, const char *valuesets_dir, mn_error *err);
/* The shared value set NAME, or NULL. */
const mn_valueset *mn_library_valueset(const mn_library *lib, const char *name);
/* memberOf() and %terminologies in env answered from lib's shared value sets (`mednec eval`, the PostgreSQL
 * extension); lib must outlive env's evaluations. */
void mn_library_bind_terminology(const mn_library *lib, mn_fp_env *env);
void mn_library_free(mn_library *lib);
const mn_reference *mn_library_reference(const mn_library *lib, const char *id);
const mn_finding *mn_library_finding(const mn_library *lib, const char *id);

/* ---- policies -------------------------------------------------------- */

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
	/* authorRequirement: why the policy's author requires this although no
	 * payer source states it, or NULL. With it the criterion is the policy
	 * author's requirement (printed as "requirement of this policy (not
	 * stated by a payer)") and cite may be empty; without it, cite names at
	 * least one source that states the criterion. */
	const char *author_requirement;
	/* notApplicable: a boolean expression, or NULL. When it is true on the
	 * record (as-of view) the criterion is met because the situation it
	 * guards against does not arise, with no record entries needed, and the
	 * determination says so with not_applicable_text ("no spine surgery on
	 * record"). False, empty or an evaluation error: the criterion is
	 * evaluated as usual (fail closed). Both are set or neither. */
	mn_fp_expr *not_applicable;
	const char *not_applicable_text;
	/* private, set by the policy loader: where an earlier expression of the policy's criteria has the same
	 * text, 1 + its position, else 0. same_truth_[0..2]: notApplicable, documented, met, each against the
	 * first of those of all criteria (position 3 * criterion + 0, 1 or 2); same_evidence_: against the
	 * first criterion with the same evidence (its index). A determination evaluates each text once. */
	size_t same_truth_[3];
	size_t same_evidence_;
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
	/* "determination" (header, conclusion and basis together), "header", "conclusion", "basis", "criteria",
	 * "outcomes", "missing", "signature" (ends the body; what follows is the appendix), "warnings" (data
	 * quality), "references", "record" or NULL (docs/POLICY-FORMAT.md, "Letter") */
	const char *builtin;
	bool always;             /* argument sections are written only when criteria are met, unless always */
	bool strongest;          /* builtin criteria, `entries: strongest`: one record entry per criterion */
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
	/* effective: the period the policy is in force, as full dates
	 * YYYY-MM-DD (a partial date in the file is its first day for the start,
	 * its last day for the end); effective_end NULL: open-ended. */
	const char *effective_start, *effective_end;
	const char *effective_note;  /* where the dates come from, or NULL */
	/* The version tag of the file name ID@TAG.yaml, or NULL for ID.yaml. */
	const char *file_version;
	const char *service_display;
	const char *service_kind;   /* e.g. "drg-stimulation": matches findings' appliesTo.services */
	size_t nservice_codes;
	mn_code *service_codes;
	/* service.sharedCodes: codes that also stand for other services (CPT 63650 for SCS and DRG leads); one
	 * identifies this service only with one of service.terms in the order or the record (docs/CODING.md). */
	size_t nservice_shared_codes;
	mn_code *service_shared_codes;
	size_t nservice_terms;
	const char **service_terms;  /* phrases (mn_text_has_phrase), e.g. "dorsal root gangli*" */
	mn_fp_expr *request;     /* may be NULL */
	/* private, set by the loader: 1 + the definition whose text is the request's, when that text reads no
	 * variable and defines none ('%' and defineVariable appear nowhere in it: its result is the same
	 * whenever it is evaluated in a determination); else 0 */
	size_t request_same_;
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
	/* The members of %scores that the policy's expressions read as `%scores.NAME` (every expression it
	 * compiled: definitions, criteria, the request, the letter's and the appeal rules' templates and
	 * statements), distinct, in the order of first use. scores_whole is true when one of them uses %scores
	 * in any other way (alone, as the input of a function, as an operand): then it may read any score. A
	 * determination may compute only these (mn_determine_flags, MN_DETERMINE_POLICY_SCORES). */
	bool scores_whole;
	size_t nscores_read;
	const char **scores_read;
	mn_arena *arena;
	/* private: every compiled expression, for mn_policy_free */
	size_t nexprs_, capexprs_;
	mn_fp_expr **exprs_;
	/* private: "$this" compiled (NULL: compiled where needed), for binding JSON trees as variables */
	const mn_fp_expr *self_;
	/* private: the value sets memberOf() sees (the policy's and the shared
	 * ones), sorted by name */
	size_t nvsindex_;
	const mn_valueset **vsindex_;
} mn_policy;

/* Load and compile a policy file; citations resolve against its own sources
 * and the library (which must outlive the policy). */
mn_status mn_policy_load_file(const char *path, const mn_library *lib, mn_policy **out,
                              mn_error *err);
/* Load policies_dir/<id>.yaml, or the policy that lists id among its
 * aliases; MN_ENOTFOUND when there is none. id may name one version file,
 * ID@VERSION. This loads one file whatever its effective period: use
 * mn_policy_load_in_force to choose among the versions of a policy. */
mn_status mn_policy_load(const char *policies_dir, const char *id, const mn_library *lib,
                         mn_policy **out, mn_error *err);
/* Load the version of policy id (or of the policy with alias id) in force
 * on as_of: of the files ID.yaml and ID@TAG.yaml, the one whose effective
 * period contains the day. MN_ENOTFOUND when no file has that id or alias;
 * MN_EPOLICY (naming id and date) when none of them is in force on as_of
 * or more than one is. */
mn_status mn_policy_load_in_force(const char *policies_dir, const char *id, const mn_datetime *as_of,
                                  const mn_library *lib, mn_policy **out, mn_error *err);
/* The same; with MN_POLICY_NONE_IN_FORCE_OK, no version in force is MN_OK
 * with *out NULL (--policy all leaves such a policy out). */
#define MN_POLICY_NONE_IN_FORCE_OK 0x1u
mn_status mn_policy_load_in_force_ex(const char *policies_dir, const char *id, const mn_datetime *as_of,
                                     const mn_library *lib, unsigned flags, mn_policy **out, mn_error *err);
/* The files of every version of policy id (or of the policies with alias
 * id): names without ".yaml", sorted, NULL-terminated, in arena memory. */
mn_status mn_policy_versions(const char *policies_dir, const char *id, const mn_library *lib, mn_arena *arena,
                             const char ***stems, mn_error *err);
/* Every version of policy id loads and no two effective periods overlap
 * (MN_EPOLICY naming both files otherwise). */
mn_status mn_policy_check_versions(const char *policies_dir, const char *id, const mn_library *lib,
                                   mn_error *err);
/* Whether p is in force on day as_of (effective start <= as_of <= end). */
bool mn_policy_in_force(const mn_policy *p, const mn_datetime *as_of);
void mn_policy_free(mn_policy *p);
/* Policy files in a directory, sorted: each entry is a file name without
 * ".yaml" ("ID" or "ID@TAG"); a NULL-terminated array in arena memory. */
mn_status mn_policy_list(const char *policies_dir, mn_arena *arena, const char ***ids,
                         mn_error *err);
/* The policy ids in a directory, sorted, each once (the versions of a
 * policy share one id). */
mn_status mn_policy_ids(const char *policies_dir, mn_arena *arena, const char ***ids, mn_error *err);
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
 * removal or replacement that matches no entry is an error). References
 * that do not resolve within the case are accepted as the CLI accepts them
 * (MN_CASE_ALLOW_UNRESOLVED: counted, and they resolve to nothing). */
mn_status mn_case_load_any(const char *home, const char *path, mn_case **out, mn_error *err);

/* The terminology callback for mn_fp_env_set_terminology: payload = policy.
 * memberOf('NAME') looks NAME up among the policy's valueSets, then the
 * shared value sets of its library; 1 member, 0 not, -1 no such set. */
int mn_policy_member_of(void *payload, const char *valueset, const char *system,
                        const char *code);
/* The codes callback for mn_fp_env_set_terminology_codes (payload = policy, the
 * same as mn_policy_member_of's): 1 and the set's codes in out when every member
 * of the set is a code equal to one of its exact entries (no prefix or range
 * entries), 0 when it cannot be listed so, -1 no such set. */
int mn_policy_codes_of(void *payload, const char *valueset, mn_fp_codes *out);

#ifdef __cplusplus
}
#endif
#endif
