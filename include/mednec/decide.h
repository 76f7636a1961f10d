/*
 * mednec/decide.h: a determination: one case under one policy on one date.
 *
 * mn_determine evaluates the policy's definitions and criteria over the case
 * with today() bound to the as-of date, and records for every criterion its
 * status and the record entries that decided it. The engine approves only
 * when every criterion is met; anything else is pended for physician review
 * (it never denies).
 */
#ifndef MEDNEC_DECIDE_H
#define MEDNEC_DECIDE_H

#include "mednec/clinical.h"
#include "mednec/knowledge.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mn_crit_status {
	MN_CRIT_MET = 1, MN_CRIT_NOT_MET, MN_CRIT_NOT_DOCUMENTED
} mn_crit_status;

typedef enum mn_outcome {
	MN_MEETS_CRITERIA = 1, MN_DOES_NOT_MEET, MN_INSUFFICIENT_DOCUMENTATION, MN_NOT_COVERED
} mn_outcome;

const char *mn_crit_status_name(mn_crit_status s);   /* "met", "not-met", "not-documented" */
const char *mn_outcome_name(mn_outcome o);           /* "meets-criteria", ... */
const char *mn_outcome_action(mn_outcome o);         /* "approve" or "pend" */

/* One record entry shown as evidence: a resource with its date and a
 * one-line summary of what it says. */
typedef struct mn_entry {
	const mn_resource *resource;
	const char *reference;   /* "Observation/odi-2026-10" (or the fullUrl when there is no id) */
	const char *date;        /* "2026-10-02", "2019-03-01 to 2024-06-30", or NULL */
	const char *summary;     /* "Oswestry Disability Index total: 64 %" */
} mn_entry;

typedef struct mn_criterion_result {
	const mn_criterion *criterion;
	mn_crit_status status;
	size_t nentries;
	mn_entry *entries;
	const char *error;       /* evaluation error that made it not-documented, or NULL */
	/* met because the situation does not arise (the criterion's notApplicable
	 * was true): its notApplicableText, else NULL. Such a criterion is met
	 * with no record entries. */
	const char *met_because;
} mn_criterion_result;

typedef struct mn_determination {
	const mn_policy *policy;
	/* The record as it stood on the as-of date (mn_case_as_of over record):
	 * everything (definitions, criteria, the request, %scores, the letter)
	 * is evaluated on it. Owned by the determination. */
	const mn_case *kase;
	const mn_case *record;   /* the case passed to mn_determine (not owned) */
	size_t left_out;         /* top-level entries of record dated after as_of */
	mn_datetime as_of;
	char as_of_text[16];
	mn_outcome outcome;
	size_t nresults;
	mn_criterion_result *results;
	size_t nrequests;        /* the requested service in the record (policy service.request) */
	mn_entry *requests;
	/* false when the policy has service.request and it finds nothing in the
	 * record: the outcome is then never meets-criteria (docs/POLICY-FORMAT.md) */
	bool request_found;
	/* clinical scores bound as %scores, or NULL; with MN_DETERMINE_POLICY_SCORES,
	 * only those the policy reads */
	const mn_scores *scores;
	size_t nwarnings;        /* definitions that failed on this record, and the like */
	const char **warnings;
	mn_fp_env *env;          /* definitions bound as variables, for the letter */
	mn_arena *arena;
	/* private: the entries made so far (criteria cite the same resources), for reuse, found by
	 * resource in a table of capentry_slots_ (src/decide/decide.c) */
	size_t nentries_made_, capentries_made_;
	mn_entry *entries_made_;
	struct entry_slot *entry_slots_;
	size_t capentry_slots_, entries_calls_;
} mn_determination;

typedef struct mn_determine_options {
	/* When set, the clinical scores (mednec/clinical.h) are computed over the
	 * case and bound as %scores for the policy's expressions. */
	const mn_score_config *scores;
	/* When set, each knowledge table is bound as %NAME. */
	const mn_tables *tables;
} mn_determine_options;

/* Evaluate. as_of must be a full date. Fails only for usage errors or out of
 * memory; an expression that fails on this record makes its criterion
 * not-documented with the error recorded. */
mn_status mn_determine(const mn_policy *p, const mn_case *c, const mn_datetime *as_of,
                       mn_determination **out, mn_error *err);
/* The same with options (NULL = none). */
mn_status mn_determine_ex(const mn_policy *p, const mn_case *c, const mn_datetime *as_of,
                          const mn_determine_options *opts, mn_determination **out, mn_error *err);

/* Flags of mn_determine_flags. MN_DETERMINE_POLICY_SCORES: compute only the
 * clinical scores the policy's expressions read (mn_policy.scores_read; all
 * of them when one uses %scores other than as `%scores.NAME`,
 * mn_policy.scores_whole). What the policy sees is the same; d->scores and
 * %scores hold only those scores, and an expression error of a score left
 * out does not fail the determination. For callers that show the scores only
 * through the policy (determine, letters, appeals, CRD and PAS answers,
 * bulk); not where d->scores is shown whole (the review page) or expressions
 * from outside the policy read %scores (the DTR questionnaire's items). */
#define MN_DETERMINE_POLICY_SCORES 1u
/* mn_determine_ex with flags (0: the same as mn_determine_ex). */
mn_status mn_determine_flags(const mn_policy *p, const mn_case *c, const mn_datetime *as_of,
                             const mn_determine_options *opts, unsigned flags, mn_determination **out,
                             mn_error *err);
void mn_determination_free(mn_determination *d);

/* Run a policy's example cases (policy `tests`, case files relative to
 * home), with the clinical scores and knowledge tables of home/knowledge as
 * the CLI gives them: each must give its expected determination and criterion statuses,
 * and across the cases every criterion must be met at least once and
 * unmet (not met or not documented) at least once. Writes one line per case
 * and per coverage gap to report; *failures counts the problems. Returns an
 * error only when checking itself failed (out of memory). */
mn_status mn_policy_check(const mn_policy *p, const char *home, mn_buf *report, size_t *failures,
                          mn_error *err);

/* ---- denials and appeals ------------------------------------------------ */

/* One reason given in a denial, and the policy's appeal rules it matches. */
typedef struct mn_denial_reason {
	const char *text;        /* the reason's words (a code's display when only a code was given) */
	const char *system, *code;  /* a coded reason, or NULL */
	const char *where;       /* where in the denial: "processNote[0]", "line 3", ... */
	size_t nrules;
	const mn_appeal_rule **rules;
} mn_denial_reason;

typedef struct mn_denial {
	const char *source;      /* file name */
	const char *reference;   /* "ClaimResponse/id" for a FHIR denial, else NULL */
	const char *created;     /* ClaimResponse.created, or NULL */
	const char *decision;    /* PAS review action (e.g. "Not Certified") or ClaimResponse.outcome */
	size_t nreasons;
	mn_denial_reason *reasons;
	mn_arena *arena;
} mn_denial;

/* Read a denial: a FHIR ClaimResponse (alone or in a Bundle; reasons from
 * processNote, error, adjudication reasons, the Da Vinci PAS review-action
 * reason code, and disposition) or a plain text file with one reason per line
 * (blank lines and lines starting with '#' are skipped). */
mn_status mn_denial_load_file(const char *path, mn_denial **out, mn_error *err);
void mn_denial_free(mn_denial *d);
/* Match each reason against the policy's appeal rules (phrases, codes). */
mn_status mn_denial_match(mn_denial *d, const mn_policy *p);

/* ---- the parties of a letter -------------------------------------------- */

/* A code the letter names, with the record entry that carries it. */
typedef struct mn_letter_code {
	const char *system_name;     /* "CPT", "HCPCS" or "ICD-10-CM" */
	const char *code;
	const char *display;         /* the coding's display (else the concept's text), or NULL */
	const mn_resource *resource; /* the ServiceRequest (codes, reasonCode) or the Condition */
} mn_letter_code;

/* Who and what a letter names, read from the record as of the as-of date
 * (docs/EXAMPLE-CASE.md, "Who the letter names"), for the first request.
 * A part the record lacks is NULL (count 0); nothing is invented. */
typedef struct mn_letter_parts {
	const mn_resource *patient;      /* the request's subject, else the first Patient */
	const mn_resource *request;      /* the first request, or NULL */
	/* the first Coverage with status active, not ended before the as-of
	 * date, whose beneficiary resolves to the patient; coverages_skipped counts
	 * the Coverages not used (another beneficiary, not active or ended) */
	const mn_resource *coverage;
	size_t coverages_skipped;
	const mn_resource *payer;        /* the first Coverage.payor resolving to an Organization with a name */
	const char *payer_name, *payer_address;
	const char *member_id;           /* identifier of type MB, else subscriberId */
	const char *plan;                /* classes of type plan and group: "plan VALUE, NAME; group VALUE, NAME" */
	/* the request's requester: a Practitioner, or a PractitionerRole with
	 * its practitioner and organization */
	const mn_resource *requester;
	const mn_resource *practitioner;
	const char *physician_name, *credentials, *npi;
	bool npi_valid;
	const mn_resource *organization;
	const char *organization_name, *organization_address;
	size_t ncodes, ndiagnoses;
	mn_letter_code *codes;           /* CPT and HCPCS codings of the request's code */
	mn_letter_code *diagnoses;       /* ICD-10-CM codings of reasonCode and reasonReference Conditions */
} mn_letter_parts;

/* Fill *out from d's record; strings in a. MN_ENOMEM only. */
mn_status mn_letter_parts_read(const mn_determination *d, mn_arena *a, mn_letter_parts *out);
/* A 10-digit NPI whose check digit is right: the Luhn (mod 10
 * double-add-double) check digit over "80840" and its first 9 digits. */
bool mn_npi_valid(const char *npi);

/* The entry for a resource (reference, date, summary), allocated in arena. */
mn_status mn_entry_make(const mn_case *c, const mn_resource *r, mn_arena *arena, mn_entry *out);

#ifdef __cplusplus
}
#endif
#endif
