/*
 * mednec/dtr.h: documentation templates (Da Vinci DTR 2.x, HL7 SDC): the
 * documentation a policy's criteria need, as a FHIR R4 Questionnaire that
 * prefills from the record, and a completed QuestionnaireResponse read back
 * as documentation (docs/DTR.md).
 *
 * The Questionnaire has one group per criterion (linkId = the criterion id,
 * text = its title) holding a display item with what documentation
 * satisfies it, a read-only boolean prefilled with the criterion's reading
 * of the record, an attachment item for the documentation, and the answer
 * items knowledge/questionnaire.yaml gives for that criterion (typed, coded,
 * with answer options or a value set, and a FHIRPath initial expression).
 * Items with a code are extracted (SDC observation-based extraction) when a
 * completed QuestionnaireResponse comes with the record: each answer becomes
 * an Observation tagged with its source, which the criteria read like any
 * other record entry.
 */
#ifndef MEDNEC_DTR_H
#define MEDNEC_DTR_H

#include "mednec/decide.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Questionnaire.url of a policy's questionnaire is this base followed by the
 * policy id; Questionnaire.version is the policy's version. */
#define MN_DTR_CANONICAL_BASE "urn:mednec:questionnaire:"

/* The tag every Observation extracted from a QuestionnaireResponse carries
 * (meta.tag system and code). */
#define MN_DTR_TAG_SYSTEM "urn:mednec:dtr"
#define MN_DTR_TAG_CODE "questionnaire-answer"

/* One answer item of knowledge/questionnaire.yaml. */
typedef struct mn_dtr_item {
	const char *link_id;       /* within its criterion's group: the item's linkId is CRITERION.LINKID */
	const char *text;
	const char *type;          /* FHIR item type: boolean, decimal, integer, date, dateTime, string, choice, quantity */
	size_t ncriteria;
	const char **criteria;     /* the criterion ids it belongs to (in any policy) */
	bool has_code;
	mn_code code;              /* extracted as an Observation with this code (has_code) */
	size_t noptions;
	mn_code *options;          /* choice: the answers allowed (answerOption) */
	const char *answer_valueset;  /* choice: or a value set of the policy or the library, by name */
	const char *unit;          /* quantity, decimal: the UCUM unit */
	const char *effective;     /* coded items: the linkId of the date item (same group) that dates the answer */
	const char *initial;       /* FHIRPath (text/fhirpath) over the record, or NULL */
	mn_fp_expr *initial_expr;  /* compiled initial */
	int line;
} mn_dtr_item;

typedef struct mn_dtr_items {
	const char *path;          /* the file, or NULL when there is none */
	size_t nitems;
	mn_dtr_item *items;
	mn_arena *arena;
} mn_dtr_items;

/* Load knowledge_dir/questionnaire.yaml (a missing file gives no items).
 * A mistake is MN_EPOLICY naming the file and line. */
mn_status mn_dtr_items_load(const char *knowledge_dir, mn_dtr_items **out, mn_error *err);
void mn_dtr_items_free(mn_dtr_items *items);

/* The policy's Questionnaire (JSON, ends with a newline). items may be NULL. */
mn_status mn_dtr_questionnaire(const mn_policy *p, const mn_dtr_items *items, mn_buf *out, mn_error *err);
/* The value sets the Questionnaire names in answerValueSet, each a ValueSet
 * resource (compose and expansion) written to out between before and after. */
mn_status mn_dtr_valuesets(const mn_policy *p, const mn_dtr_items *items, const char *before, const char *after,
                           mn_buf *out, mn_error *err);
/* What a response says about its context (DTR qr-coverage and qr-context extensions). */
typedef struct mn_dtr_response_options {
	const char *subject;       /* "Patient/id", or NULL: the record's Patient */
	const char *coverage;      /* reference to the Coverage, or NULL */
	size_t ncontexts;
	const char *const *contexts;  /* references to the orders */
	const char *authored;      /* or NULL: d's as-of date, else none */
} mn_dtr_response_options;

/* A QuestionnaireResponse (status in-progress) for the policy's
 * questionnaire, prefilled by evaluating each item's initial expression on
 * the record of d (with d's definitions, scores and tables bound). d may be
 * NULL: a response without answers. opt may be NULL. */
mn_status mn_dtr_response(const mn_policy *p, const mn_dtr_items *items, const mn_determination *d,
                          const mn_dtr_response_options *opt, mn_buf *out, mn_error *err);

/* The hook of mn_determine (docs/DTR.md "A completed response as
 * documentation"): for each QuestionnaireResponse in view that answers p's
 * questionnaire, is completed or amended, is about the record's one Patient
 * and was authored on or before as_of, the answers to coded items become
 * Observations (status final, the item's code, effective = authored,
 * derivedFrom the response, tagged MN_DTR_TAG_*). *out is a new case holding
 * view's resources and those (the caller frees it), or NULL when nothing
 * was extracted. Each response or answer not read is named in a warning
 * (appended to *warnings, arena memory). knowledge_dir holds
 * questionnaire.yaml (NULL: found beside the library's value sets). */
mn_status mn_dtr_extract(const mn_policy *p, const mn_case *view, const mn_datetime *as_of,
                         const char *knowledge_dir, mn_arena *arena, mn_case **out,
                         const char ***warnings, size_t *nwarnings, mn_error *err);

#ifdef __cplusplus
}
#endif
#endif
