/*
 * test_decide.c: determinations and letters over small hand-written cases
 * with the test policy tests/data/policies/mini.yaml: status rules, outcome
 * rules (approve only when all met, otherwise pend), evaluation errors never
 * giving "met", evidence entries, JSON/text output, and letter rules (empty
 * slots and unsourced statements left out, numbering resolves).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mednec/decide.h"
#include "mednec/render.h"
#include "test.h"
#include "decide/decide_int.h"

static mn_library *lib;
static mn_policy *pol;
static mn_policy *load_text_policy(const char *text);

#define PATIENT "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\",\"name\":[{\"family\":\"Doe\",\"given\":[\"Jo\"]}],\"birthDate\":\"1970-02-03\"}}"
#define DX(code) "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"dx\",\"subject\":{\"reference\":\"Patient/p\"}," \
	"\"onsetDateTime\":\"2020-01-05\",\"code\":{\"coding\":[{\"system\":\"urn:test:dx\",\"code\":\"" code "\",\"display\":\"Pain one\"}]}}}"
#define SCORE(id, v, date) "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"" date "\"," \
	"\"code\":{\"coding\":[{\"system\":\"urn:test\",\"code\":\"score\"}],\"text\":\"Test score\"}," \
	"\"valueQuantity\":{\"value\":" v ",\"unit\":\"%\"}}}"
#define REQ "{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"req\",\"status\":\"active\",\"intent\":\"order\"," \
	"\"subject\":{\"reference\":\"Patient/p\"},\"authoredOn\":\"2026-01-02\",\"code\":{\"text\":\"Test service\"}}}"
#define BUNDLE(...) "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[" __VA_ARGS__ "]}"

static mn_determination *decide(const char *json, const char *as_of)
{
	mn_case *c;
	mn_error err;
	mn_datetime d;
	if (mn_case_load("case.json", json, strlen(json), &c, &err) != MN_OK) {
		CHECK_MSG(0, "case: %s", err.message);
		return NULL;
	}
	mn_datetime_parse(as_of, strlen(as_of), MN_DT_DATE, &d, NULL);
	mn_determination *det = NULL;
	CHECK_INT(mn_determine(pol, c, &d, &det, &err), MN_OK);
	return det;
}

static void done(mn_determination *det)
{
	if (!det)
		return;
	const mn_case *c = det->record;
	mn_determination_free(det);
	mn_case_free((mn_case *)c);
}

static void test_all_met(void)
{
	mn_determination *d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-01-01") "," REQ), "2026-02-01");
	if (!d)
		return;
	CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
	CHECK_STR(mn_outcome_action(d->outcome), "approve");
	CHECK_INT(d->results[0].status, MN_CRIT_MET);
	CHECK_INT(d->results[0].nentries, 1);
	CHECK_STR(d->results[0].entries[0].reference, "Condition/dx");
	CHECK_STR(d->results[0].entries[0].date, "2020-01-05");
	CHECK_STR(d->results[0].entries[0].summary, "Pain one");
	CHECK_STR(d->results[1].entries[0].summary, "Test score: 64%");
	CHECK_INT(d->nrequests, 1);
	CHECK_STR(d->requests[0].reference, "ServiceRequest/req");

	mn_buf b = MN_BUF_INIT;
	CHECK_INT(mn_render_json(d, &b), MN_OK);
	const char *j = mn_buf_cstr(&b);
	CHECK(strstr(j, "\"determination\": \"meets-criteria\"") != NULL);
	CHECK(strstr(j, "\"action\": \"approve\"") != NULL);
	CHECK(strstr(j, "{\"reference\": \"Condition/dx\", \"date\": \"2020-01-05\", \"value\": \"Pain one\"}") != NULL);
	CHECK(strstr(j, "satisfiedBy") == NULL);  /* only for unmet criteria */
	mn_arena *a = mn_arena_new();
	mn_json *parsed;
	CHECK_INT(mn_json_parse(a, "out", b.data, b.len, &parsed, NULL), MN_OK);  /* valid JSON */
	mn_arena_free(a);
	mn_buf_reset(&b);

	mn_doc *doc;
	CHECK_INT(mn_letter_build(d, &doc, NULL), MN_OK);
	CHECK_INT(mn_doc_write_markdown(doc, &b), MN_OK);
	const char *md = mn_buf_cstr(&b);
	CHECK(strncmp(md, "# Letter for Doe\n", 17) == 0);
	CHECK(strstr(md, "The diagnosis Pain one was recorded. [R3]") != NULL);
	CHECK(strstr(md, "empty slot") == NULL);
	CHECK(strstr(md, "has no source") == NULL);
	CHECK(strstr(md, "Never written") == NULL);
	CHECK(strstr(md, "**Evidence:** In 40 test patients, success was 50% vs 20%. [3]") != NULL);
	CHECK(strstr(md, "- A score of 64. [R4]") != NULL);
	CHECK(strstr(md, "3. Alpha AB, Beta C, Gamma RSGM, Delta \xc3\x84K. A confirmed study.") != NULL);
	CHECK(strstr(md, "- R1. `Patient/p`, 1970-02-03: Jo Doe, born 1970-02-03") != NULL);
	CHECK(strstr(md, "## What is missing") == NULL);
	/* the finding's population matches the patient's diagnosis and the service kind */
	CHECK(strstr(md, "## Expected outcomes\n\nIn 40 test patients, success was 50% vs 20%. Population: 40 test patients. [3] [R3]") != NULL);
	/* the two dropped statements are reported */
	CHECK_INT(doc->nwarnings, 1);
	if (doc->nwarnings)
		CHECK(strstr(doc->warnings[0], "no citation and no record entry") != NULL);
	mn_doc_free(doc);
	mn_buf_free(&b);

	/* a template part with neither text, finding nor expression (the loader never makes one): an internal
	 * error, never a letter with "The diagnosis ... was recorded." left out */
	mn_template_part *part = &pol->sections[2].statements[0].text.parts[1];
	mn_fp_expr *slot = part->slot;
	mn_error err;
	part->slot = NULL;
	CHECK_INT(mn_letter_build(d, &doc, &err), MN_EINTERNAL);
	CHECK(doc == NULL && err.code == MN_EINTERNAL);
	part->slot = slot;
	done(d);
}

static void test_not_met_and_errors(void)
{
	/* score below threshold: not met; two observations: single() fails -> not-documented, never met */
	mn_determination *d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "18", "2026-01-01") ","
	                                    SCORE("s2", "30", "2026-01-10")), "2026-02-01");
	if (!d)
		return;
	CHECK_INT(d->results[1].status, MN_CRIT_NOT_MET);
	CHECK_INT(d->results[1].nentries, 2);
	CHECK_INT(d->results[2].status, MN_CRIT_NOT_DOCUMENTED);
	CHECK(d->results[2].error != NULL);
	CHECK_INT(d->outcome, MN_DOES_NOT_MEET);
	CHECK_STR(mn_outcome_action(d->outcome), "pend");
	mn_buf b = MN_BUF_INIT;
	mn_render_text(d, &b);
	CHECK(strstr(mn_buf_cstr(&b), "pend for physician review") != NULL);
	CHECK(strstr(mn_buf_cstr(&b), "needed: A score of at least 21.") != NULL);
	mn_buf_reset(&b);
	mn_doc *doc;
	CHECK_INT(mn_letter_build(d, &doc, NULL), MN_OK);
	mn_doc_write_markdown(doc, &b);
	const char *md = mn_buf_cstr(&b);
	CHECK(strstr(md, "## What is missing") != NULL);
	CHECK(strstr(md, "**Score at least 21:** Not met by the record. Needed: A score of at least 21.") != NULL);
	CHECK(strstr(md, "The request is pended for physician review") != NULL);
	mn_doc_free(doc);
	mn_buf_free(&b);
	done(d);

	/* wrong code: the diagnosis is documented (a Condition exists) but not the right one */
	d = decide(BUNDLE(PATIENT "," DX("X9") "," SCORE("s1", "25", "2026-01-01")), "2026-02-01");
	if (d) {
		mn_doc *doc2;
		mn_buf b2 = MN_BUF_INIT;
		CHECK_INT(mn_letter_build(d, &doc2, NULL), MN_OK);
		mn_doc_write_markdown(doc2, &b2);
		CHECK(strstr(mn_buf_cstr(&b2), "Expected outcomes") == NULL);  /* population does not match */
		mn_doc_free(doc2);
		mn_buf_free(&b2);
		CHECK_INT(d->results[0].status, MN_CRIT_NOT_MET);
		CHECK_INT(d->results[1].status, MN_CRIT_MET);
		CHECK_INT(d->results[2].status, MN_CRIT_MET);
		CHECK_INT(d->outcome, MN_DOES_NOT_MEET);
	}
	done(d);

	/* nothing documented: insufficient documentation, still pended */
	d = decide(BUNDLE(PATIENT), "2026-02-01");
	if (d) {
		CHECK_INT(d->results[0].status, MN_CRIT_NOT_DOCUMENTED);
		CHECK_INT(d->results[1].status, MN_CRIT_NOT_DOCUMENTED);
		CHECK_INT(d->outcome, MN_INSUFFICIENT_DOCUMENTATION);
		CHECK_STR(mn_outcome_action(d->outcome), "pend");
	}
	done(d);
}

static void test_as_of_required(void)
{
	mn_case *c;
	const char *json = BUNDLE(PATIENT);
	CHECK_INT(mn_case_load("c", json, strlen(json), &c, NULL), MN_OK);
	mn_datetime month;
	mn_datetime_parse("2026-02", 7, MN_DT_DATE, &month, NULL);
	mn_determination *d = NULL;
	mn_error err;
	CHECK_INT(mn_determine(pol, c, &month, &d, &err), MN_EUSAGE);
	CHECK(d == NULL);
	mn_case_free(c);
}

static void test_policy_check(void)
{
	const char *home = mn_test_source_dir();
	char h[4200];
	snprintf(h, sizeof h, "%s/tests/data", home);
	mn_buf r = MN_BUF_INIT;
	size_t failures = 99;
	mn_error err;
	CHECK_INT(mn_policy_check(pol, h, &r, &failures, &err), MN_OK);
	CHECK_MSG(failures == 0, "%s", mn_buf_cstr(&r));
	CHECK(strstr(mn_buf_cstr(&r), "cases/mini-low-score.json (as of 2026-02-01): ok, does-not-meet") != NULL);
	/* a wrong expectation is caught, and so is a criterion never shown unmet */
	mn_policy_test *t = &pol->tests[1];
	const char *saved = t->expect, *saved_status = t->statuses[1];
	t->expect = "meets-criteria";
	t->statuses[1] = "met";
	mn_buf_reset(&r);
	CHECK_INT(mn_policy_check(pol, h, &r, &failures, &err), MN_OK);
	CHECK_INT(failures, 2);
	CHECK(strstr(mn_buf_cstr(&r), "FAIL: determination does-not-meet, expected meets-criteria") != NULL);
	CHECK(strstr(mn_buf_cstr(&r), "FAIL: criterion score-high is not-met, expected met") != NULL);
	t->expect = saved;
	t->statuses[1] = saved_status;
	size_t n = pol->ntests;
	pol->ntests = 1;  /* only the all-met case: every criterion lacks an unmet example */
	mn_buf_reset(&r);
	CHECK_INT(mn_policy_check(pol, h, &r, &failures, &err), MN_OK);
	CHECK_INT(failures, 3);
	CHECK(strstr(mn_buf_cstr(&r), "criterion has-dx has no example case where it is unmet") != NULL);
	pol->ntests = n;
	mn_buf_free(&r);

	/* variants: a removal that matches nothing is an error, not a silent no-op */
	mn_case *c;
	CHECK_INT(mn_case_load_any(h, "cases/mini-low-score.json", &c, &err), MN_OK);
	CHECK_INT(mn_case_count(c), 4);  /* Patient, s1 replaced, s2 added, the request; Condition removed */
	mn_case_free(c);
	CHECK_INT(mn_case_load_any(h, "cases/nonexistent.json", &c, &err), MN_EIO);
	CHECK_INT(mn_case_load_any(h, "cases/bad-remove.json", &c, &err), MN_EFHIR);
	CHECK(strstr(err.message, "Condition/typo") != NULL);

	/* an alias selects the policy */
	mn_policy *p2;
	snprintf(h, sizeof h, "%s/tests/data/policies", home);
	CHECK_INT(mn_policy_load(h, "mini-alias", lib, &p2, &err), MN_OK);
	if (p2)
		CHECK_STR(p2->id, "mini");
	mn_policy_free(p2);
}

static void test_appeal(void)
{
	char path[4200];
	mn_error err;
	mn_denial *den;
	snprintf(path, sizeof path, "%s/tests/data/cases/denial.txt", mn_test_source_dir());
	CHECK_INT(mn_denial_load_file(path, &den, &err), MN_OK);
	if (!den)
		return;
	CHECK_INT(den->nreasons, 3);
	CHECK_STR(den->reasons[0].text, "Diagnosis not established.");
	CHECK_STR(den->reasons[2].where, "line 4");
	CHECK_INT(mn_denial_match(den, pol), MN_OK);
	CHECK(den->reasons[0].nrules == 1 && strcmp(den->reasons[0].rules[0]->id, "no-diagnosis") == 0);
	CHECK(den->reasons[1].nrules == 1 && strcmp(den->reasons[1].rules[0]->id, "not-effective") == 0);
	CHECK_INT(den->reasons[2].nrules, 0);

	mn_determination *d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-01-01")), "2026-02-01");
	mn_doc *doc = NULL;
	mn_buf b = MN_BUF_INIT;
	if (d && mn_appeal_build(d, den, &doc, &err) == MN_OK) {
		mn_doc_write_markdown(doc, &b);
		const char *md = mn_buf_cstr(&b);
		CHECK(strstr(md, "# Appeal of the denial: test service") != NULL);
		CHECK(strstr(md, "**The denial says:** \"Diagnosis not established.\" (line 2) [2]") != NULL);
		CHECK(strstr(md, "- **Has the diagnosis:** Met. The record shows:") != NULL);
		CHECK(strstr(md, "**Evidence:** In 40 test patients, success was 50% vs 20%.") != NULL);
		CHECK(strstr(md, "**Not answered:** this reason matches no criterion") != NULL);
		CHECK(strstr(md, "2. The denial under appeal:") != NULL);
	} else {
		CHECK(0);
	}
	mn_doc_free(doc);
	mn_buf_free(&b);
	done(d);
	mn_denial_free(den);

	snprintf(path, sizeof path, "%s/tests/data/cases/denial-claimresponse.json", mn_test_source_dir());
	CHECK_INT(mn_denial_load_file(path, &den, &err), MN_OK);
	if (!den)
		return;
	CHECK_STR(den->reference, "ClaimResponse/cr1");
	CHECK_STR(den->decision, "Not Certified");
	CHECK_INT(den->nreasons, 3);  /* processNote, review action reason code, disposition */
	CHECK_STR(den->reasons[0].where, "processNote[0]");
	CHECK_STR(den->reasons[1].code, "R7");
	CHECK_STR(den->reasons[2].where, "disposition");
	mn_denial_match(den, pol);
	CHECK(den->reasons[0].nrules == 1 && strcmp(den->reasons[0].rules[0]->id, "no-diagnosis") == 0);
	CHECK(den->reasons[1].nrules == 1 && strcmp(den->reasons[1].rules[0]->id, "not-effective") == 0);  /* by code */
	CHECK(den->reasons[2].nrules == 1 && strcmp(den->reasons[2].rules[0]->id, "low-score") == 0);
	mn_denial_free(den);

	/* a FHIR file that is not a ClaimResponse is refused */
	snprintf(path, sizeof path, "%s/tests/data/cases/mini-met.json", mn_test_source_dir());
	CHECK_INT(mn_denial_load_file(path, &den, &err), MN_EFHIR);
}

/* Clinical scores bound as %scores (mednec/clinical.h) over the example case. */
static void test_scores_binding(void)
{
	const char *src = mn_test_source_dir();
	char path[4200];
	mn_error err;
	mn_score_config *cfg = NULL;
	mn_policy *p = NULL;
	mn_case *c = NULL;
	mn_determination *d = NULL;
	snprintf(path, sizeof path, "%s/knowledge", src);
	CHECK_INT(mn_score_config_load(path, &cfg, &err), MN_OK);
	snprintf(path, sizeof path, "%s/tests/data/scores-policy.yaml", src);
	CHECK_INT(mn_policy_load_file(path, lib, &p, &err), MN_OK);
	snprintf(path, sizeof path, "%s/examples/crps-ii-drg-trial.json", src);
	CHECK_INT(mn_case_load_file(path, &c, &err), MN_OK);
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	mn_determine_options opts = {cfg, NULL};
	if (cfg && p && c && mn_determine_ex(p, c, &as_of, &opts, &d, &err) == MN_OK) {
		CHECK(d->scores != NULL);
		CHECK_MSG(d->results[0].status == MN_CRIT_MET, "budapest: %s", d->results[0].error ? d->results[0].error : "");
		CHECK_MSG(d->results[1].status == MN_CRIT_MET, "odi: %s", d->results[1].error ? d->results[1].error : "");
		CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
	} else {
		CHECK_MSG(0, "determine with scores: %s", err.message);
	}
	mn_determination_free(d);
	d = NULL;
	/* a policy without its compiled $this (built otherwise than by the loader) binds %scores the same way */
	CHECK(p && p->self_ != NULL);
	if (cfg && p && c) {
		mn_policy bare = *p;
		bare.self_ = NULL;
		CHECK_INT(mn_determine_ex(&bare, c, &as_of, &opts, &d, &err), MN_OK);
		if (d) {
			CHECK_INT(d->results[0].status, MN_CRIT_MET);
			CHECK_INT(d->results[1].status, MN_CRIT_MET);
			CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
		}
		mn_determination_free(d);
	}
	/* without the scores the same policy cannot see them: not documented, never met */
	if (p && c && mn_determine(p, c, &as_of, &d, &err) == MN_OK) {
		CHECK_INT(d->results[0].status, MN_CRIT_NOT_DOCUMENTED);
		CHECK(d->outcome != MN_MEETS_CRITERIA);
		mn_determination_free(d);
	}
	mn_case_free(c);
	mn_policy_free(p);
	mn_score_config_free(cfg);
}

/* ---- only the scores a policy reads (MN_DETERMINE_POLICY_SCORES) ---------------- */

#define SCORES_POLICY_TOP(id) \
	"mednec-policy: 1\n" \
	"id: " id "\n" \
	"title: Scores test policy\n" \
	"version: \"1\"\n" \
	"effective: {start: \"2020-01-01\"}\n" \
	"service:\n" \
	"  display: Test service\n" \
	"  codes:\n" \
	"    - {system: \"urn:test\", code: \"svc\"}\n" \
	"coverage: covered\n" \
	"sources:\n" \
	"  - {id: src-a, title: Test payer policy A, publisher: Test Payer, number: TP-1, effective: \"2024-01\",\n" \
	"     url: \"https://example.org/tp-1\", accessed: \"2026-11-30\", verification: confirmed}\n" \
	"modeledOn:\n" \
	"  - source: src-a\n"

#define SCORES_POLICY_BUDAPEST \
	SCORES_POLICY_TOP("scores-read") \
	"criteria:\n" \
	"  - id: budapest\n" \
	"    title: Budapest clinical criteria met\n" \
	"    documented: \"%scores.budapest.clinicalMet.exists()\"\n" \
	"    met: \"%scores.budapest.clinicalMet and %scores.budapest.symptomCategories = 4 and " \
	"%scores.budapest.signCategories = 3 and %scores.budapest.researchMet\"\n" \
	"    evidence: \"Observation.where(('Observation/' & id) in %scores.budapest.entries)\"\n" \
	"    satisfiedBy: \"Budapest findings.\"\n" \
	"    cite: [src-a]\n"

#define SCORES_POLICY_LETTER(sections) \
	"letter:\n" \
	"  title: \"Test\"\n" \
	"  sections:\n" \
	"    - builtin: criteria\n" \
	sections \
	"    - builtin: references\n" \
	"    - builtin: record\n"

/* reads %scores.budapest only */
static const char BUDAPEST_ONLY_POLICY[] = SCORES_POLICY_BUDAPEST SCORES_POLICY_LETTER("");

/* the criteria read budapest, the letter's statement reads odi */
static const char LETTER_ODI_POLICY[] = SCORES_POLICY_BUDAPEST SCORES_POLICY_LETTER(
	"    - id: function\n"
	"      title: Function\n"
	"      statements:\n"
	"        - when: \"%scores.odi.exists()\"\n"
	"          text: \"The latest Oswestry Disability Index was {%scores.odi.last().percent}% ({%scores.odi.count()} "
	"recorded).\"\n"
	"          cite: [src-a]\n");

/* a definition takes %scores whole: any score may be read */
static const char WHOLE_SCORES_POLICY[] = SCORES_POLICY_TOP("scores-whole")
	"definitions:\n"
	"  - name: s\n"
	"    expr: \"%scores\"\n"
	"criteria:\n"
	"  - id: mme\n"
	"    title: Below 50 MME/day\n"
	"    met: \"%s.mme.totalMmePerDay < 50\"\n"
	"    evidence: \"MedicationStatement\"\n"
	"    satisfiedBy: \"Low dose.\"\n"
	"    cite: [src-a]\n"
	SCORES_POLICY_LETTER("");

typedef struct scores_fixture {
	mn_score_config *cfg;
	mn_case *c;
	mn_datetime as_of;
} scores_fixture;

static bool scores_fixture_load(scores_fixture *f)
{
	char path[4200];
	mn_error err;
	memset(f, 0, sizeof *f);
	snprintf(path, sizeof path, "%s/knowledge", mn_test_source_dir());
	CHECK_INT(mn_score_config_load(path, &f->cfg, &err), MN_OK);
	snprintf(path, sizeof path, "%s/examples/crps-ii-drg-trial.json", mn_test_source_dir());
	CHECK_INT(mn_case_load_file(path, &f->c, &err), MN_OK);
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &f->as_of, NULL);
	return f->cfg && f->c;
}

static void scores_fixture_free(scores_fixture *f)
{
	mn_case_free(f->c);
	mn_score_config_free(f->cfg);
}

/* p decided over the example with flags: its scores must be those named (comma-separated, in order) */
static mn_determination *decide_scores(const scores_fixture *f, const mn_policy *p, unsigned flags,
                                       const char *want_names)
{
	mn_determine_options opts = {f->cfg, NULL};
	mn_determination *d = NULL;
	mn_error err;
	mn_error_clear(&err);
	CHECK_MSG(mn_determine_flags(p, f->c, &f->as_of, &opts, flags, &d, &err) == MN_OK, "determine: %s", err.message);
	char names[256] = "";
	for (size_t i = 0; d && d->scores && i < d->scores->nscores; i++) {
		size_t n = strlen(names);
		snprintf(names + n, sizeof names - n, "%s%s", i ? "," : "", d->scores->scores[i].name);
	}
	if (d)
		CHECK_STR(names, want_names);
	return d;
}

/* A policy from text; its scores_whole and its scores_read (comma-separated) must be as given. */
static mn_policy *scores_policy(const char *text, bool whole, const char *read)
{
	mn_policy *p = load_text_policy(text);
	CHECK(p != NULL);
	if (!p)
		return NULL;
	CHECK(p->scores_whole == whole);
	char names[256] = "";
	for (size_t i = 0; i < p->nscores_read; i++) {
		size_t n = strlen(names);
		snprintf(names + n, sizeof names - n, "%s%s", i ? "," : "", p->scores_read[i]);
	}
	CHECK_STR(names, read);
	return p;
}

static void test_policy_scores_budapest_only(const scores_fixture *f)
{
	mn_policy *p = scores_policy(BUDAPEST_ONLY_POLICY, false, "budapest");
	if (!p)
		return;
	/* the fast path: budapest alone */
	mn_determination *d = decide_scores(f, p, MN_DETERMINE_POLICY_SCORES, "budapest");
	if (d) {
		/* by hand from the example case: the 2026-11-05 evaluation has symptoms in all 4 categories and signs
		 * in 3 (no motor-trophic sign): clinical (3 and 2) and research (4 and 2) met, criteria 1 and 4 yes */
		const mn_score *b = d->scores->nscores ? &d->scores->scores[0] : NULL;
		CHECK(b && b->computed);
		if (b)
			CHECK_STR(b->value, "clinical criteria met; research criteria met");
		CHECK(mn_json_get(d->scores->json, "budapest") != NULL);
		CHECK(mn_json_get(d->scores->json, "odi") == NULL);  /* not computed */
		CHECK(mn_json_get(d->scores->json, "mme") == NULL);
		CHECK_STR(mn_json_get_string(d->scores->json, "asOf"), "2026-11-20");
		CHECK_INT(d->results[0].status, MN_CRIT_MET);
		CHECK_INT((int)d->results[0].nentries, 9);  /* 4 symptoms, 3 signs, criteria 1 and 4 */
		CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
	}
	/* the general path: every score, the same answer */
	mn_determination *all = decide_scores(f, p, 0, "budapest,odi,odi,odi,mme,relief,eq5d");
	if (all) {
		CHECK(mn_json_get(all->scores->json, "odi") != NULL);
		CHECK_INT(all->results[0].status, MN_CRIT_MET);
		CHECK_INT(all->outcome, MN_MEETS_CRITERIA);
	}
	if (d && all) {
		mn_buf a = MN_BUF_INIT, b = MN_BUF_INIT;
		CHECK_INT(mn_render_json(d, &a), MN_OK);
		CHECK_INT(mn_render_json(all, &b), MN_OK);
		CHECK_STR(mn_buf_cstr(&a), mn_buf_cstr(&b));
		mn_buf_free(&a);
		mn_buf_free(&b);
	}
	mn_determination_free(d);
	mn_determination_free(all);
	/* no scores configured: nothing to compute, not met */
	mn_determine_options none = {NULL, NULL};
	mn_error err;
	if (mn_determine_flags(p, f->c, &f->as_of, &none, MN_DETERMINE_POLICY_SCORES, &d, &err) == MN_OK) {
		CHECK(d->scores == NULL);
		CHECK_INT(d->results[0].status, MN_CRIT_NOT_DOCUMENTED);
		mn_determination_free(d);
	}
	mn_policy_free(p);
}

/* the letter's statement on the ODI, written from %scores.odi */
static void check_letter_odi(const mn_determination *d)
{
	CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
	mn_doc *doc = NULL;
	mn_error err;
	CHECK_INT(mn_letter_build(d, &doc, &err), MN_OK);
	mn_buf md = MN_BUF_INIT;
	if (doc)
		CHECK_INT(mn_doc_write_markdown(doc, &md), MN_OK);
	/* the ODIs of the example: 60% (2025-10-14), 64% (2026-09-15), 68% (2026-11-05) */
	CHECK_MSG(md.data && strstr(md.data, "The latest Oswestry Disability Index was 68% (3 recorded)."),
	          "letter lacks the ODI statement");
	mn_buf_free(&md);
	mn_doc_free(doc);
}

/* morphine ER 15 mg twice a day: 30 MME/day, below 50 */
static void check_mme_met(const mn_determination *d)
{
	CHECK_INT(d->results[0].status, MN_CRIT_MET);
}

/* A letter's template reads a score the criteria do not: it is computed. A policy that takes %scores whole
 * gets every score. */
static void test_policy_scores_letter_whole(const scores_fixture *f)
{
	static const struct {
		const char *policy;
		bool whole;
		const char *read, *computed;
		void (*check)(const mn_determination *d);
	} T[] = {
		{LETTER_ODI_POLICY, false, "budapest,odi", "budapest,odi,odi,odi", check_letter_odi},
		{WHOLE_SCORES_POLICY, true, "", "budapest,odi,odi,odi,mme,relief,eq5d", check_mme_met},
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
		mn_policy *p = scores_policy(T[i].policy, T[i].whole, T[i].read);
		mn_determination *d = p ? decide_scores(f, p, MN_DETERMINE_POLICY_SCORES, T[i].computed) : NULL;
		if (d)
			T[i].check(d);
		mn_determination_free(d);
		mn_policy_free(p);
	}
}

/* Every shipped policy (every version) over every example case: the determination (JSON and text) and the
 * letter are the same byte for byte whether every score is computed or only those the policy reads. */
static void test_policy_scores_same_output(const scores_fixture *f)
{
	const char *src = mn_test_source_dir();
	char dir[4200], path[4400];
	mn_error err;
	mn_library *elib = NULL;
	mn_tables *tables = NULL;
	mn_arena *a = mn_arena_new();
	const char **ids = NULL;
	snprintf(dir, sizeof dir, "%s/evidence", src);
	CHECK_INT(mn_library_load(dir, &elib, &err), MN_OK);
	snprintf(dir, sizeof dir, "%s/knowledge", src);
	CHECK_INT(mn_tables_load(dir, &tables, &err), MN_OK);
	snprintf(dir, sizeof dir, "%s/policies", src);
	CHECK_INT(mn_policy_list(dir, a, &ids, &err), MN_OK);
	static const char *const examples[] = {
		"crps-i-drg-trial", "crps-ii-drg-after-trial", "crps-ii-drg-failed-trial",
		"crps-ii-drg-trial-little-conservative-care", "crps-ii-drg-trial-recent-surgery",
		"crps-ii-drg-trial-untreated-sud", "crps-ii-drg-trial", "crps-ii-scs-after-trial", "crps-ii-scs-failed-trial",
		"crps-ii-scs-trial-low-odi", "crps-ii-scs-trial-no-psych-clearance", "crps-ii-scs-trial",
		"crps-ii-upper-limb-drg-trial", NULL};
	mn_determine_options opts = {f->cfg, tables};
	size_t compared = 0, fewer = 0;
	for (size_t i = 0; elib && tables && ids && ids[i]; i++) {
		snprintf(path, sizeof path, "%s/%s.yaml", dir, ids[i]);
		mn_policy *p = NULL;
		CHECK_MSG(mn_policy_load_file(path, elib, &p, &err) == MN_OK, "%s: %s", ids[i], err.message);
		if (!p)
			continue;
		for (size_t k = 0; examples[k]; k++) {
			char cpath[4400];
			snprintf(cpath, sizeof cpath, "%s/examples/%s.json", src, examples[k]);
			mn_case *c = NULL;
			CHECK_MSG(mn_case_load_file_ex(cpath, MN_CASE_ALLOW_UNRESOLVED | MN_CASE_LENIENT, &c, &err) == MN_OK,
			          "%s: %s", examples[k], err.message);
			if (!c)
				continue;
			mn_determination *d[2] = {NULL, NULL};
			mn_buf out[2] = {MN_BUF_INIT, MN_BUF_INIT};
			for (int m = 0; m < 2; m++) {
				CHECK_MSG(mn_determine_flags(p, c, &f->as_of, &opts, m ? MN_DETERMINE_POLICY_SCORES : 0, &d[m],
				                             &err) == MN_OK, "%s on %s: %s", ids[i], examples[k], err.message);
				if (!d[m])
					continue;
				mn_doc *doc = NULL;
				CHECK_INT(mn_render_json(d[m], &out[m]), MN_OK);
				CHECK_INT(mn_render_text(d[m], &out[m]), MN_OK);
				CHECK_MSG(mn_letter_build(d[m], &doc, &err) == MN_OK, "letter: %s", err.message);
				if (doc)
					CHECK_INT(mn_doc_write_markdown(doc, &out[m]), MN_OK);
				mn_doc_free(doc);
			}
			if (d[0] && d[1]) {
				CHECK_MSG(out[0].len == out[1].len && memcmp(out[0].data, out[1].data, out[0].len) == 0,
				          "%s on %s: the outputs differ", ids[i], examples[k]);
				compared++;
				fewer += d[1]->scores->nscores < d[0]->scores->nscores;
			}
			for (int m = 0; m < 2; m++) {
				mn_buf_free(&out[m]);
				mn_determination_free(d[m]);
			}
			mn_case_free(c);
		}
		mn_policy_free(p);
	}
	CHECK_MSG(compared >= 13 * 13, "compared %zu", compared);
	CHECK(fewer > 0);  /* the fast path was taken */
	mn_arena_free(a);
	mn_tables_free(tables);
	mn_library_free(elib);
}

static void test_policy_scores(void)
{
	scores_fixture f;
	if (scores_fixture_load(&f)) {
		test_policy_scores_budapest_only(&f);
		test_policy_scores_letter_whole(&f);
		test_policy_scores_same_output(&f);
	}
	scores_fixture_free(&f);
}

/* The entry of the one resource in json (test i): loads it into *c, makes the entry in a new *a. */
static bool entry_of_json(const char *json, size_t i, mn_case **c, mn_arena **a, mn_entry *e)
{
	mn_error err;
	CHECK_MSG(mn_case_load("r.json", json, strlen(json), c, &err) == MN_OK, "%zu: %s", i, err.message);
	*a = mn_arena_new();
	return *c && *a && mn_entry_make(*c, mn_case_get(*c, 0), *a, e) == MN_OK;
}

/* mn_entry_make's date: the first of effective[x], performed[x], occurrence[x], onset[x] (dateTime, Period,
 * instant), then period, authoredOn, ...; dates cut to the day, periods as "A to B", "from A", "until B". */
static void test_entry_dates(void)
{
	static const struct {
		const char *json, *date;
	} T[] = {
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"effectiveDateTime\":\"2024-03-05T10:00:00Z\"}", "2024-03-05"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"effectiveDateTime\":\"2024-03\"}", "2024-03"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"effectivePeriod\":{\"start\":\"2019-03-01T08:00:00Z\","
		 "\"end\":\"2024-06-30\"}}", "2019-03-01 to 2024-06-30"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"effectivePeriod\":{\"start\":\"2019-03-01\"}}",
		 "from 2019-03-01"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"effectivePeriod\":{\"end\":\"2020-01-02T00:00:00+01:00\"}}",
		 "until 2020-01-02"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"effectiveInstant\":\"2021-05-06T07:08:09.123Z\"}", "2021-05-06"},
		{"{\"resourceType\":\"Procedure\",\"id\":\"a\",\"performedPeriod\":{\"start\":\"2026-11-01\","
		 "\"end\":\"2026-11-08\"}}", "2026-11-01 to 2026-11-08"},
		{"{\"resourceType\":\"Condition\",\"id\":\"a\",\"onsetDateTime\":\"2020-01-05\",\"recordedDate\":\"2020-02-01\"}",
		 "2020-01-05"},
		{"{\"resourceType\":\"Coverage\",\"id\":\"a\",\"period\":{\"start\":\"2025-01-01\",\"end\":\"2025-12-31\"}}",
		 "2025-01-01 to 2025-12-31"},
		{"{\"resourceType\":\"ServiceRequest\",\"id\":\"a\",\"authoredOn\":\"2026-01-02T09:00:00Z\"}", "2026-01-02"},
		{"{\"resourceType\":\"Patient\",\"id\":\"a\",\"birthDate\":\"1970-02-03\"}", "1970-02-03"},
		{"{\"resourceType\":\"Organization\",\"id\":\"a\",\"name\":\"X\"}", NULL},
		/* the order of the keys in the JSON does not matter, the order of the rules does */
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"issued\":\"2023-01-01T00:00:00Z\","
		 "\"effectivePeriod\":{\"start\":\"2024-01-01\"}}", "from 2024-01-01"},
		{"{\"resourceType\":\"Condition\",\"id\":\"a\",\"recordedDate\":\"2020-02-01\","
		 "\"onsetPeriod\":{\"end\":\"2021-02-03T10:00:00Z\"}}", "until 2021-02-03"},
		{"{\"resourceType\":\"Procedure\",\"id\":\"a\",\"performedDateTime\":\"2022-07-08T09:00:00Z\"}",
		 "2022-07-08"},
		{"{\"resourceType\":\"ServiceRequest\",\"id\":\"a\",\"authoredOn\":\"2026-01-02\","
		 "\"occurrenceDateTime\":\"2026-02-03T00:00:00Z\"}", "2026-02-03"},
		{"{\"resourceType\":\"MedicationStatement\",\"id\":\"a\",\"dateAsserted\":\"2021-01-01\","
		 "\"effectiveDateTime\":\"2019-12-31\"}", "2019-12-31"},
		/* an empty Period stops the search: no date, not the next rule's */
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"issued\":\"2023-01-01T00:00:00Z\","
		 "\"effectivePeriod\":{\"id\":\"p\"}}", NULL},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"issued\":\"2023-01-01T00:00:00Z\"}", "2023-01-01"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\"x\"},"
		 "\"effectiveInstant\":\"2021-05-06T07:08:09Z\",\"issued\":\"2021-05-07T00:00:00Z\"}", "2021-05-06"},
		/* keys that share a first letter or a prefix with a date key are not date keys */
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"effectiveDateTime\":\"2024-03-05\","
		 "\"_effectiveDateTime\":{\"id\":\"e\"}}", "2024-03-05"},
		/* partOf shares period's first letter and length */
		{"{\"resourceType\":\"Procedure\",\"id\":\"a\",\"status\":\"completed\",\"subject\":{\"display\":\"P\"},"
		 "\"partOf\":[{\"display\":\"x\"}],\"performedPeriod\":{\"end\":\"2020-05-06\"}}", "until 2020-05-06"},
		{"{\"resourceType\":\"Encounter\",\"id\":\"a\",\"status\":\"finished\","
		 "\"class\":{\"code\":\"AMB\"},\"period\":{\"start\":\"2020-03-04\",\"end\":\"2020-03-05\"}}",
		 "2020-03-04 to 2020-03-05"},
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
		mn_case *c = NULL;
		mn_arena *a = NULL;
		mn_entry e;
		if (entry_of_json(T[i].json, i, &c, &a, &e)) {
			if (T[i].date)
				CHECK_STR(e.date ? e.date : "(none)", T[i].date);
			else
				CHECK_MSG(e.date == NULL, "%zu: %s", i, e.date);
		} else {
			CHECK_MSG(0, "%zu: no entry", i);
		}
		mn_arena_free(a);
		mn_case_free(c);
	}
}

/* mn_entry_make's summary: the label, ", born DATE", then ": " and value[x] (a Quantity as "VALUE UNIT",
 * "VALUE%" for percent, a Period as "from START") or the components as "LABEL VALUE; ...". Expected by hand. */
static void test_entry_summaries(void)
{
	static const struct {
		const char *json, *summary;
	} T[] = {
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\"Pain\"},"
		 "\"valueQuantity\":{\"value\":7,\"unit\":\"%\"}}", "Pain: 7%"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\"Dose\"},"
		 "\"valueQuantity\":{\"value\":50,\"code\":\"mg\"}}", "Dose: 50 mg"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\"Stay\"},"
		 "\"valuePeriod\":{\"start\":\"2020-01-01\"}}", "Stay: from 2020-01-01"},
		{"{\"resourceType\":\"Patient\",\"id\":\"a\",\"name\":[{\"given\":[\"Jo\"],\"family\":\"Doe\"}],"
		 "\"birthDate\":\"1970-02-03\"}", "Jo Doe, born 1970-02-03"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\"BP\"},\"component\":["
		 "{\"code\":{\"text\":\"Sys\"},\"valueQuantity\":{\"value\":120,\"unit\":\"mmHg\"}},"
		 "{\"code\":{\"text\":\"None\"}},"
		 "{\"code\":{\"text\":\"Dia\"},\"valueString\":\"low\"}]}", "BP: Sys 120 mmHg; Dia low"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\"Flag\"},\"valueBoolean\":false}",
		 "Flag: no"},
		/* no value and no component: the label alone */
		{"{\"resourceType\":\"Condition\",\"id\":\"a\",\"code\":{\"coding\":[{\"code\":\"G90.52\"}]}}",
		 "G90.52"},
		/* the conclusion when nothing else shows */
		{"{\"resourceType\":\"DiagnosticReport\",\"id\":\"a\",\"status\":\"final\",\"code\":{\"text\":"
		 "\"UDS\"},\"conclusion\":\"negative\"}", "UDS: negative"},
		/* keys of the same first letter and length as one read: text (not type), note (not name) */
		{"{\"resourceType\":\"Device\",\"id\":\"a\",\"text\":{\"status\":\"generated\",\"div\":"
		 "\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">Narrative</div>\"},\"type\":{\"text\":\"Pump\"}}",
		 "Pump"},
		{"{\"resourceType\":\"Condition\",\"id\":\"a\",\"note\":[{\"text\":\"n\"}],\"subject\":"
		 "{\"display\":\"P\"}}", "Condition"},
		/* the value after other members and an _value extension sibling */
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"status\":\"final\",\"_status\":{\"id\":\"s\"},"
		 "\"code\":{\"text\":\"Late\"},\"effectiveDateTime\":\"2024-01-01\",\"issued\":\"2024-01-02T00:00:00Z\","
		 "\"_valueString\":{\"id\":\"v\"},\"valueString\":\"last\"}", "Late: last"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\"Coded\"},"
		 "\"valueCodeableConcept\":{\"coding\":[{\"code\":\"c1\",\"display\":\"First\"}]}}", "Coded: First"},
		{"{\"resourceType\":\"DiagnosticReport\",\"id\":\"a\",\"status\":\"final\",\"code\":{\"text\":"
		 "\"R\"},\"conclusionCode\":[{\"text\":\"cc\"}],\"conclusion\":\"seen\"}", "R: seen"},
		/* no code: type, then the resource type */
		{"{\"resourceType\":\"Device\",\"id\":\"a\",\"type\":{\"text\":\"Stimulator\"}}", "Stimulator"},
		{"{\"resourceType\":\"Device\",\"id\":\"a\"}", "Device"},
		{"{\"resourceType\":\"MedicationStatement\",\"id\":\"a\",\"status\":\"active\","
		 "\"medicationCodeableConcept\":{\"text\":\"Gabapentin\"}}",
		 "Gabapentin"},
		/* longer than the summary's stack buffer (256 bytes): the text in a buffer on the heap, components cut
		 * back there too */
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\""
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		 "\"},\"component\":["
		 "{\"code\":{\"text\":\"Sys\"},\"valueQuantity\":{\"value\":120,\"unit\":\"mmHg\"}},"
		 "{\"code\":{\"text\":\"None\"}},"
		 "{\"code\":{\"text\":\"Dia\"},\"valueString\":\"low\"}]}",
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		 ": Sys 120 mmHg; Dia low"},
		{"{\"resourceType\":\"Observation\",\"id\":\"a\",\"code\":{\"text\":\""
		 "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
		 "\"},\"component\":[{\"code\":{\"text\":\"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC\"}}]}",
		 "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"},
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
		mn_case *c = NULL;
		mn_arena *a = NULL;
		mn_entry e;
		if (entry_of_json(T[i].json, i, &c, &a, &e))
			CHECK_STR(e.summary, T[i].summary);
		else
			CHECK_MSG(0, "%zu: no entry", i);
		mn_arena_free(a);
		mn_case_free(c);
	}
}

/* Knowledge tables: YAML read as JSON trees and bound as %NAME. */
static void test_tables(void)
{
	char dir[4200];
	mn_error err;
	mn_tables *t = NULL;
	snprintf(dir, sizeof dir, "%s/tests/data/knowledge", mn_test_source_dir());
	CHECK_INT(mn_tables_load(dir, &t, &err), MN_OK);
	if (!t)
		return;
	CHECK_INT(t->ntables, 1);
	CHECK_STR(t->tables[0].name, "demo");
	const mn_json *levels = mn_json_get(t->tables[0].root, "levels");
	CHECK(levels && levels->type == MN_JSON_ARRAY && levels->n == 3);
	if (levels && levels->n == 3) {
		CHECK_INT(mn_json_get(&levels->u.items[0], "order")->type, MN_JSON_NUMBER);
		CHECK_INT(mn_json_get(&levels->u.items[0], "lumbar")->type, MN_JSON_TRUE);
		CHECK_INT(mn_json_get(&levels->u.items[0], "code")->type, MN_JSON_STRING);  /* quoted stays text */
		CHECK_INT(mn_json_get(&levels->u.items[2], "note")->type, MN_JSON_NULL);
	}
	/* bound as %demo for policy expressions; nameNote is not a choice variant of name */
	mn_fp_expr *x = mn_fp_compile("%demo.levels.where(lumbar and order > 4).name", -1, &err);
	mn_determine_options opts = {NULL, t};
	mn_determination *d = decide(BUNDLE(PATIENT), "2026-02-01");
	if (d) {
		/* decide() binds no tables: bind them as the CLI does, through the options */
		mn_determination *d2 = NULL;
		CHECK_INT(mn_determine_ex(pol, d->kase, &d->as_of, &opts, &d2, &err), MN_OK);
		mn_fp_result *r;
		if (x && d2 && mn_fp_eval_case(x, d2->env, d2->kase, d2->arena, &r, &err) == MN_OK) {
			CHECK_INT(mn_fp_result_count(r), 1);
			if (mn_fp_result_count(r) == 1)
				CHECK_STR(mn_fp_item_string(mn_fp_result_item(r, 0), NULL), "L5");
		} else {
			CHECK_MSG(0, "eval over %%demo: %s", err.message);
		}
		mn_determination_free(d2);
	}
	done(d);
	mn_fp_expr_free(x);
	mn_tables_free(t);

	/* a folder without tables/ is an empty set */
	CHECK_INT(mn_tables_load("/nonexistent", &t, &err), MN_OK);
	CHECK(t && t->ntables == 0);
	mn_tables_free(t);
}

/* ---- time: the record as it stood on the as-of date (POLICY-FORMAT.md "Time") ---- */

/* Adversarial: a score dated after the as-of date must not count. By the
 * rule, as of 2026-02-01 the only score (2026-03-01) is not in the record:
 * score-high has nothing to read (not-documented), single-error has no
 * Observation (not-documented); nothing is not-met, so the outcome is
 * insufficient-documentation and the view leaves out exactly one entry. */
static void test_time_future_entry(void)
{
	mn_determination *d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-03-01") "," REQ), "2026-02-01");
	if (!d)
		return;
	CHECK_INT(d->results[0].status, MN_CRIT_MET);
	CHECK_INT(d->results[1].status, MN_CRIT_NOT_DOCUMENTED);
	CHECK_INT(d->results[1].nentries, 0);
	CHECK_INT(d->results[2].status, MN_CRIT_NOT_DOCUMENTED);
	CHECK_INT(d->outcome, MN_INSUFFICIENT_DOCUMENTATION);
	CHECK_INT(mn_case_count(d->kase), 3);  /* Patient, Condition, ServiceRequest */
	CHECK_INT(d->left_out, 1);
	bool warned = false;
	for (size_t i = 0; i < d->nwarnings; i++)
		warned |= strstr(d->warnings[i], "1 record entry dated after 2026-02-01 is left out") != NULL;
	CHECK_MSG(warned, "no left-out warning");
	done(d);

	/* the same score on the as-of day itself is in the record: all met */
	d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-02-01") "," REQ), "2026-02-01");
	if (!d)
		return;
	CHECK_INT(d->results[1].status, MN_CRIT_MET);
	CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
	CHECK_INT(d->left_out, 0);
	size_t other = 0;  /* the fixture has no Coverage, NPI or coded order: only the letter's parts are warned */
	for (size_t i = 0; i < d->nwarnings; i++)
		other += strncmp(d->warnings[i], "letter: ", 8) != 0;
	CHECK_INT(other, 0);
	done(d);

	/* a time late on the as-of day is still that day; the next day is not */
	d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-02-01T23:30:00-05:00") "," REQ), "2026-02-01");
	if (d)
		CHECK_INT(d->results[1].status, MN_CRIT_MET);
	done(d);
	d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-02-02T00:10:00+01:00") "," REQ), "2026-02-01");
	if (d)
		CHECK_INT(d->results[1].status, MN_CRIT_NOT_DOCUMENTED);
	done(d);
}

/* A policy with a 3-month window written with its lower bound only:
 * as of 2026-11-20, today() - 3 months is 2026-08-20. */
static const char WINDOW_POLICY[] =
	"mednec-policy: 1\n"
	"id: window\n"
	"title: Window test policy\n"
	"version: \"1\"\n"
	"effective: {start: \"2020-01-01\"}\n"
	"service:\n"
	"  display: Test service\n"
	"  kind: test-svc\n"
	"  codes:\n"
	"    - {system: \"urn:test\", code: \"svc\"}\n"
	"coverage: covered\n"
	"sources:\n"
	"  - id: src-a\n"
	"    title: Test payer policy A\n"
	"    publisher: Test Payer\n"
	"    number: TP-1\n"
	"    effective: \"2024-01\"\n"
	"    url: \"https://example.org/tp-1\"\n"
	"    accessed: \"2026-11-30\"\n"
	"    verification: confirmed\n"
	"modeledOn:\n"
	"  - source: src-a\n"
	"definitions:\n"
	"  - name: recent\n"
	"    expr: \"Observation.where(code.coding.code = 'score' and effective.toDate() >= today() - 3 months)\"\n"
	"criteria:\n"
	"  - id: recent-score\n"
	"    title: A score within the last 3 months\n"
	"    met: \"%recent.exists()\"\n"
	"    evidence: \"%recent\"\n"
	"    satisfiedBy: \"A score within 3 months.\"\n"
	"    cite: [src-a]\n"
	"letter:\n"
	"  title: \"Letter\"\n"
	"  sections:\n"
	"    - builtin: determination\n"
	"    - builtin: references\n"
	"    - builtin: record\n";

static mn_policy *load_text_policy(const char *text)
{
	char path[] = "/tmp/mednec-test-policy-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return NULL;
	}
	fputs(text, f);
	fclose(f);
	mn_policy *p = NULL;
	mn_error err;
	mn_error_clear(&err);
	if (mn_policy_load_file(path, lib, &p, &err) != MN_OK)
		fprintf(stderr, "policy: %s\n", err.message);
	unlink(path);
	return p;
}

static mn_crit_status window_status(mn_policy *wp, const char *date, size_t *entries)
{
	char json[2048];
	snprintf(json, sizeof json,
	         "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[" PATIENT ","
	         "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"w\",\"status\":\"final\","
	         "\"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"%s\","
	         "\"code\":{\"coding\":[{\"system\":\"urn:test\",\"code\":\"score\"}]},"
	         "\"valueQuantity\":{\"value\":50,\"unit\":\"%%\"}}}]}", date);
	mn_case *c = NULL;
	mn_error err;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	if (mn_case_load("w.json", json, strlen(json), &c, &err) != MN_OK) {
		CHECK_MSG(0, "case: %s", err.message);
		return 0;
	}
	mn_determination *d = NULL;
	mn_crit_status st = 0;
	if (mn_determine(wp, c, &as_of, &d, &err) == MN_OK) {
		st = d->results[0].status;
		*entries = d->results[0].nentries;
	}
	mn_determination_free(d);
	mn_case_free(c);
	return st;
}

static void test_time_window(void)
{
	mn_policy *wp = load_text_policy(WINDOW_POLICY);
	CHECK(wp != NULL);
	if (!wp)
		return;
	size_t n = 0;
	/* first day of the window: in */
	CHECK_INT(window_status(wp, "2026-08-20", &n), MN_CRIT_MET);
	CHECK_INT(n, 1);
	/* the day before: out */
	CHECK_INT(window_status(wp, "2026-08-19", &n), MN_CRIT_NOT_MET);
	/* the as-of day: in; the day after: out, though >= today() - 3 months holds */
	CHECK_INT(window_status(wp, "2026-11-20", &n), MN_CRIT_MET);
	CHECK_INT(window_status(wp, "2026-11-21", &n), MN_CRIT_NOT_MET);
	CHECK_INT(window_status(wp, "2027-01-05", &n), MN_CRIT_NOT_MET);
	mn_policy_free(wp);
}

/* ---- no request, no approval ---------------------------------------------- */

/* Every criterion met but no ServiceRequest: never meets-criteria. */
static void test_no_request(void)
{
	mn_determination *d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-01-01")), "2026-02-01");
	if (!d)
		return;
	CHECK_INT(d->results[0].status, MN_CRIT_MET);
	CHECK_INT(d->results[1].status, MN_CRIT_MET);
	CHECK_INT(d->results[2].status, MN_CRIT_MET);
	CHECK_INT(d->nrequests, 0);
	CHECK(!d->request_found);
	CHECK_INT(d->outcome, MN_INSUFFICIENT_DOCUMENTATION);
	CHECK_STR(mn_outcome_action(d->outcome), "pend");
	bool warned = false;
	for (size_t i = 0; i < d->nwarnings; i++)
		warned |= strcmp(d->warnings[i], "the record holds no active request for Test service") == 0;
	CHECK_MSG(warned, "no no-request warning");
	mn_buf b = MN_BUF_INIT;
	CHECK_INT(mn_render_json(d, &b), MN_OK);
	CHECK(strstr(mn_buf_cstr(&b), "\"requestFound\": false") != NULL);
	CHECK(strstr(mn_buf_cstr(&b), "\"the record holds no active request for Test service\"") != NULL);
	mn_buf_reset(&b);
	CHECK_INT(mn_render_text(d, &b), MN_OK);
	/* the pre-check line comes right after the Service line */
	CHECK(strstr(mn_buf_cstr(&b), "Service:       Test service\nPre-check:     the record holds no request for Test "
	             "service") != NULL);
	mn_buf_free(&b);
	done(d);

	/* the request dated after the as-of date is not in the record either */
	d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-01-01") "," REQ), "2026-01-01");
	if (d) {
		CHECK(!d->request_found);
		CHECK_INT(d->outcome, MN_INSUFFICIENT_DOCUMENTATION);
	}
	done(d);

	/* with the request: found */
	d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-01-01") "," REQ), "2026-02-01");
	if (d) {
		CHECK(d->request_found);
		CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
		mn_buf b2 = MN_BUF_INIT;
		mn_render_json(d, &b2);
		CHECK(strstr(mn_buf_cstr(&b2), "\"requestFound\": true") != NULL);
		mn_buf_free(&b2);
	}
	done(d);
}


/* ---- the request by its codes (docs/CODING.md) ------------------------------- */

/* The repository's SCS and DRG trial policies on the DRG example, whose order carries the local code and CPT
 * 63650 with text naming the dorsal root ganglion: the DRG policy finds it, the SCS policy does not; without the
 * local code (CPT 63650 and the words only) the DRG policy still finds it; without the words, neither does. */
static bool request_found(const char *policy_id, const char *json)
{
	char dir[4200];
	mn_error err;
	mn_library *rl = NULL;
	mn_error_clear(&err);
	snprintf(dir, sizeof dir, "%s/evidence", mn_test_source_dir());
	CHECK_MSG(mn_library_load(dir, &rl, &err) == MN_OK, "library: %s", err.message);
	mn_policy *p = NULL;
	mn_case *c = NULL;
	mn_determination *d = NULL;
	bool found = false;
	snprintf(dir, sizeof dir, "%s/policies", mn_test_source_dir());
	if (rl)
		CHECK_MSG(mn_policy_load(dir, policy_id, rl, &p, &err) == MN_OK, "%s: %s", policy_id, err.message);
	CHECK_MSG(mn_case_load("drg.json", json, strlen(json), &c, &err) == MN_OK, "case: %s", err.message);
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	if (p && c && mn_determine(p, c, &as_of, &d, &err) == MN_OK)
		found = d->request_found;
	mn_determination_free(d);
	mn_case_free(c);
	mn_policy_free(p);
	mn_library_free(rl);
	return found;
}

static char *replace_text(const char *s, const char *from, const char *to)
{
	mn_buf b = MN_BUF_INIT;
	const char *q;
	size_t hits = 0;
	while ((q = strstr(s, from)) != NULL) {
		mn_buf_put(&b, s, (size_t)(q - s));
		mn_buf_puts(&b, to);
		s = q + strlen(from);
		hits++;
	}
	mn_buf_puts(&b, s);
	CHECK_MSG(hits > 0, "not in the example: %s", from);
	return mn_buf_detach(&b, NULL);
}

static void test_request_codes(void)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/examples/crps-ii-drg-trial.json", mn_test_source_dir());
	char *json = NULL;
	size_t len = 0;
	CHECK_INT(mn_read_file(path, &json, &len, NULL), MN_OK);
	if (!json)
		return;
	CHECK(request_found("drg-trial-florida-blue", json));
	CHECK(!request_found("scs-trial-florida-blue", json));
	char *cpt = replace_text(json, "{\n              \"system\": \"urn:mednec:local:service\",\n              \"code\": "
	                         "\"drg-stimulation-trial\",\n              \"display\": \"Dorsal root ganglion stimulation trial\"\n"
	                         "            },\n", "");
	CHECK(request_found("drg-trial-florida-blue", cpt));
	CHECK(!request_found("scs-trial-florida-blue", cpt));
	char *t1 = replace_text(cpt, "Dorsal root ganglion (DRG) stimulation trial, percutaneous temporary leads",
	                        "Neurostimulator trial, percutaneous temporary leads");
	char *t2 = replace_text(t1, "Left L4 dorsal root ganglion", "Left L4");
	char *none = replace_text(t2, "Left S1 dorsal root ganglion", "Left S1");
	CHECK(!request_found("drg-trial-florida-blue", none));
	free(json);
	free(cpt);
	free(t1);
	free(t2);
	free(none);
}

/* ---- lenient references ----------------------------------------------------- */

/* A performer that is not in the record: loads with MN_CASE_ALLOW_UNRESOLVED,
 * the reference resolves to nothing, the determination says so. */
static void test_unresolved_reference(void)
{
	const char *json = BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-01-01") ","
		"{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"req\",\"status\":\"active\",\"intent\":\"order\","
		"\"subject\":{\"reference\":\"Patient/p\"},\"requester\":{\"reference\":\"Practitioner/gone\"},"
		"\"authoredOn\":\"2026-01-02\",\"code\":{\"text\":\"Test service\"}}}");
	mn_case *c = NULL;
	mn_error err;
	CHECK_INT(mn_case_load("c.json", json, strlen(json), &c, &err), MN_EREF);
	CHECK_INT(mn_case_load_ex("c.json", json, strlen(json), MN_CASE_ALLOW_UNRESOLVED, &c, &err), MN_OK);
	if (!c)
		return;
	CHECK_INT(mn_case_unresolved(c), 1);
	CHECK_STR(mn_case_unresolved_at(c, 0), "Practitioner/gone at /entry/3/resource/requester/reference");
	CHECK(mn_case_unresolved_at(c, 1) == NULL);
	mn_datetime as_of;
	mn_datetime_parse("2026-02-01", 10, MN_DT_DATE, &as_of, NULL);
	mn_determination *d = NULL;
	CHECK_INT(mn_determine(pol, c, &as_of, &d, &err), MN_OK);
	if (d) {
		bool warned = false;
		for (size_t i = 0; i < d->nwarnings; i++)
			warned |= strstr(d->warnings[i], "1 reference does not resolve within the record") != NULL &&
			          strstr(d->warnings[i], "Practitioner/gone at /entry/3/resource/requester/reference") != NULL;
		CHECK_MSG(warned, "no unresolved-reference warning");
		CHECK(d->request_found);
	}
	mn_determination_free(d);
	mn_case_free(c);
}

/* The JSON output of d holds in_json and its text output holds in_text. */
static void check_rendered(const mn_determination *d, const char *in_json, const char *in_text)
{
	mn_buf b = MN_BUF_INIT;
	CHECK_INT(mn_render_json(d, &b), MN_OK);
	CHECK_MSG(strstr(mn_buf_cstr(&b), in_json) != NULL, "JSON lacks %s", in_json);
	mn_buf_reset(&b);
	CHECK_INT(mn_render_text(d, &b), MN_OK);
	CHECK_MSG(strstr(mn_buf_cstr(&b), in_text) != NULL, "text lacks %s", in_text);
	CHECK(strstr(mn_buf_cstr(&b), "error:") == NULL);
	mn_buf_free(&b);
}

/* A record loaded with MN_CASE_LENIENT: what was dropped as a data-quality
 * problem is absent, so it never makes a criterion met, and the
 * determination lists it as one warning. */
static void test_lenient_record(void)
{
	static const char *const variants[] = {
		/* the score's date is invalid: its Observation cannot be placed in time, so the
		 * as-of view leaves it out and score-high, which reads no date, is not met */
		BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-13-45") "," REQ),
		/* the score's value is under an unknown element */
		BUNDLE(PATIENT "," DX("P1") ","
		       "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"s1\",\"status\":\"final\","
		       "\"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"2026-01-01\","
		       "\"code\":{\"coding\":[{\"system\":\"urn:test\",\"code\":\"score\"}],\"text\":\"Test score\"},"
		       "\"valueScore\":{\"value\":64,\"unit\":\"%\"}}}," REQ),
		/* an unknown element on the Patient only: the determination is unchanged */
		BUNDLE("{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\",\"hairColour\":\"red\"}},"
		       DX("P1") "," SCORE("s1", "64", "2026-01-01") "," REQ),
	};
	static const char *const want[] = {
		"1 data-quality problem in the record, treated as absent: /entry/2/resource/effectiveDateTime: "
		"Observation.effective[x] (dateTime): invalid dateTime \"2026-13-45\"",
		"1 data-quality problem in the record, treated as absent: /entry/2/resource/valueScore: "
		"Observation: unknown element \"valueScore\"",
		"1 data-quality problem in the record, treated as absent: /entry/0/resource/hairColour: "
		"Patient: unknown element \"hairColour\"",
	};
	mn_datetime as_of;
	mn_datetime_parse("2026-02-01", 10, MN_DT_DATE, &as_of, NULL);
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		mn_case *c = NULL;
		mn_error err;
		CHECK_INT(mn_case_load("c.json", variants[i], strlen(variants[i]), &c, &err), MN_EFHIR);
		CHECK_INT(mn_case_load_ex("c.json", variants[i], strlen(variants[i]), MN_CASE_LENIENT, &c, &err), MN_OK);
		if (!c)
			continue;
		mn_determination *d = NULL;
		CHECK_INT(mn_determine(pol, c, &as_of, &d, &err), MN_OK);
		if (d) {
			if (i <= 1) {
				CHECK_MSG(d->results[1].status != MN_CRIT_MET, "variant %zu: the score criterion is met", i);
				CHECK_MSG(d->outcome != MN_MEETS_CRITERIA, "variant %zu meets criteria", i);
			} else {
				CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
				CHECK_INT(d->results[1].status, MN_CRIT_MET);
			}
			size_t found = 0;
			for (size_t w = 0; w < d->nwarnings; w++)
				found += strcmp(d->warnings[w], want[i]) == 0;
			CHECK_MSG(found == 1, "variant %zu: warning '%s' not listed once", i, want[i]);
		}
		mn_determination_free(d);
		mn_case_free(c);
	}
}

/* ---- the policy author's own requirements ------------------------------------ */

static void test_author_requirement(void)
{
	/* the window policy with its criterion marked as the author's, citing nothing */
	char text[sizeof WINDOW_POLICY + 200];
	const char *cite = "    cite: [src-a]\n";
	const char *at = strstr(WINDOW_POLICY, cite);
	CHECK(at != NULL);
	if (!at)
		return;
	snprintf(text, sizeof text, "%.*s    authorRequirement: \"a recent score shows the current state\"\n    cite: []\n%s",
	         (int)(at - WINDOW_POLICY), WINDOW_POLICY, at + strlen(cite));
	mn_policy *wp = load_text_policy(text);
	CHECK(wp != NULL);
	if (!wp)
		return;
	const char *json = BUNDLE(PATIENT);
	mn_case *c = NULL;
	mn_determination *d = NULL;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	CHECK_INT(mn_case_load("a.json", json, strlen(json), &c, NULL), MN_OK);
	CHECK_INT(mn_determine(wp, c, &as_of, &d, NULL), MN_OK);
	if (d) {
		check_rendered(d, "\"authorRequirement\": \"a recent score shows the current state\",\n      \"cite\": []",
		               "  [not-met] recent-score: A score within the last 3 months\n"
		               "      requirement of this policy (not stated by a payer): a recent score shows the current state\n");
	}
	mn_determination_free(d);
	mn_case_free(c);
	mn_policy_free(wp);
	/* a criterion that names no payer source is not printed as one */
	mn_buf b = MN_BUF_INIT;
	d = decide(BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-01-01") "," REQ), "2026-02-01");
	if (d) {
		mn_render_json(d, &b);
		CHECK(strstr(mn_buf_cstr(&b), "authorRequirement") == NULL);
	}
	mn_buf_free(&b);
	done(d);
}

/* ---- notApplicable: met because the situation does not arise --------------- */

/* The window policy with notApplicable NA (and its text) on its criterion and
 * a criteria section in the letter. */
static mn_policy *na_policy(const char *na)
{
	char text[sizeof WINDOW_POLICY + 400];
	const char *met = "    met: ";
	const char *at = strstr(WINDOW_POLICY, met);
	const char *sec = "    - builtin: determination\n";
	if (!at || !strstr(at, sec))
		return NULL;
	const char *at2 = strstr(at, sec) + strlen(sec);
	snprintf(text, sizeof text, "%.*s    notApplicable: \"%s\"\n    notApplicableText: \"no surgery on record\"\n"
	         "%.*s    - builtin: criteria\n%s", (int)(at - WINDOW_POLICY), WINDOW_POLICY, na,
	         (int)(at2 - at), at, at2);
	return load_text_policy(text);
}

#define OBS(id, code, date) "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"" date "\"," \
	"\"code\":{\"coding\":[{\"system\":\"urn:test\",\"code\":\"" code "\"}]},\"valueQuantity\":{\"value\":50,\"unit\":\"%\"}}}"

static mn_determination *na_decide(mn_policy *wp, const char *json)
{
	mn_case *c = NULL;
	mn_determination *d = NULL;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	CHECK_INT(mn_case_load("na.json", json, strlen(json), &c, NULL), MN_OK);
	if (c)
		CHECK_INT(mn_determine(wp, c, &as_of, &d, NULL), MN_OK);
	if (!d)
		mn_case_free(c);
	return d;
}

/* NA on a case where the criterion is not met when evaluated as usual: it must
 * stay not met (fail closed). Whether a notApplicable warning was given. */
static bool na_fails_closed(const char *na, const char *json)
{
	mn_policy *wp = na_policy(na);
	CHECK(wp != NULL);
	if (!wp)
		return false;
	bool warned = false;
	mn_determination *d = na_decide(wp, json);
	if (d) {
		CHECK_INT(d->results[0].status, MN_CRIT_NOT_MET);
		CHECK(d->results[0].met_because == NULL);
		for (size_t i = 0; i < d->nwarnings; i++)
			warned |= strstr(d->warnings[i], "criterion recent-score: notApplicable:") != NULL;
		done(d);
	}
	mn_policy_free(wp);
	return warned;
}

static void test_not_applicable(void)
{
	/* true: met with no record entries, and said so in JSON, text and letter */
	mn_policy *wp = na_policy("Observation.where(code.coding.code = 'surgery').empty()");
	CHECK(wp != NULL);
	if (!wp)
		return;
	mn_determination *d = na_decide(wp, BUNDLE(PATIENT));
	if (d) {
		CHECK_INT(d->results[0].status, MN_CRIT_MET);
		CHECK_INT(d->results[0].nentries, 0);
		CHECK(d->results[0].error == NULL);
		CHECK_STR(d->results[0].met_because, "no surgery on record");
		CHECK_INT(d->outcome, MN_MEETS_CRITERIA);
		check_rendered(d, "\"metBecause\": \"no surgery on record\"",
		               "  [met] recent-score: A score within the last 3 months\n"
		               "      met because: no surgery on record (not applicable)\n");
		mn_buf b = MN_BUF_INIT;
		mn_doc *doc = NULL;
		CHECK_INT(mn_letter_build(d, &doc, NULL), MN_OK);
		if (doc) {
			CHECK_INT(mn_doc_write_markdown(doc, &b), MN_OK);
			CHECK(strstr(mn_buf_cstr(&b), "Met (not applicable): no surgery on record.") != NULL);
		}
		mn_doc_free(doc);
		mn_buf_free(&b);
		done(d);
	}
	/* false (a surgery on record): evaluated as usual, not met without a recent score */
	d = na_decide(wp, BUNDLE(PATIENT "," OBS("s", "surgery", "2026-01-01")));
	if (d) {
		CHECK_INT(d->results[0].status, MN_CRIT_NOT_MET);
		CHECK(d->results[0].met_because == NULL);
		done(d);
	}
	/* false, and the usual rule holds: met with its entries */
	d = na_decide(wp, BUNDLE(PATIENT "," OBS("s", "surgery", "2026-01-01") "," OBS("w", "score", "2026-10-01")));
	if (d) {
		CHECK_INT(d->results[0].status, MN_CRIT_MET);
		CHECK_INT(d->results[0].nentries, 1);
		CHECK(d->results[0].met_because == NULL);
		done(d);
	}
	/* an entry dated after the as-of date is not on the view: the surgery of 2027 does not count */
	d = na_decide(wp, BUNDLE(PATIENT "," OBS("s", "surgery", "2027-01-01")));
	if (d) {
		CHECK_INT(d->results[0].status, MN_CRIT_MET);
		CHECK(d->results[0].met_because != NULL);
		done(d);
	}
	mn_policy_free(wp);

	/* empty: never not-applicable; evaluated as usual (not met: no recent score) */
	CHECK(!na_fails_closed("Observation.where(code.coding.code = 'surgery').exists().where($this = false)",
	                       BUNDLE(PATIENT)));
	/* an evaluation error: fail closed, evaluated as usual, and a warning says why */
	const char *two = BUNDLE(PATIENT "," OBS("a", "other", "2020-01-01") "," OBS("b", "other", "2020-02-01"));
	CHECK_MSG(na_fails_closed("Observation.single().empty()", two), "no warning for the notApplicable error");
	/* not a boolean (two items): an error as well, never met */
	CHECK(na_fails_closed("Observation.id", two));
	/* notApplicable without its text (or the text alone) does not load */
	char text[sizeof WINDOW_POLICY + 200];
	const char *at = strstr(WINDOW_POLICY, "    met: ");
	snprintf(text, sizeof text, "%.*s    notApplicable: \"true\"\n%s", (int)(at - WINDOW_POLICY), WINDOW_POLICY, at);
	CHECK(load_text_policy(text) == NULL);
	snprintf(text, sizeof text, "%.*s    notApplicableText: \"no surgery\"\n%s", (int)(at - WINDOW_POLICY),
	         WINDOW_POLICY, at);
	CHECK(load_text_policy(text) == NULL);
}

/* The NPI check digit (CMS: Luhn over "80840" and the first 9 digits). By hand: for 123456789 the doubled
 * digits 9,7,5,3,1,4,0 give 9+5+1+6+2+8+0 = 31, the others 8+6+4+2+0+8+8 = 36, total 67: check digit 3
 * (CMS's own example); for 155859879 the total is 73: check digit 7. */
/* ---- expressions written alike: evaluated once per determination ----------- */

/* The window policy's header and definitions (with %two: both Observations), then the criteria CRIT. */
static mn_policy *alike_policy(const char *crit)
{
	const char *at = strstr(WINDOW_POLICY, "criteria:\n"), *letter = strstr(WINDOW_POLICY, "letter:\n");
	if (!at || !letter)
		return NULL;
	mn_buf b = MN_BUF_INIT;
	mn_buf_put(&b, WINDOW_POLICY, (size_t)(at - WINDOW_POLICY));
	mn_buf_puts(&b, "  - name: two\n    expr: \"Observation\"\ncriteria:\n");
	mn_buf_puts(&b, crit);
	mn_buf_puts(&b, letter);
	mn_policy *p = load_text_policy(mn_buf_cstr(&b));
	mn_buf_free(&b);
	return p;
}

#define ALIKE(id, keys) "  - id: " id "\n    title: T\n    satisfiedBy: \"S.\"\n    cite: [src-a]\n" keys

/* Every criterion, one text per line: documented, met, notApplicable, evidence (the same text twice in
 * several places; errors from single() on two items; a text differing by a space) */
static const char *const alike_criteria[] = {
	ALIKE("c1", "    documented: \"%recent.exists()\"\n    met: \"%recent.exists()\"\n    evidence: \"%recent\"\n"),
	ALIKE("c2", "    documented: \"%recent.exists()\"\n    met: \"%recent.empty()\"\n    evidence: \"%recent\"\n"),
	ALIKE("c3", "    notApplicable: \"%recent.exists()\"\n    notApplicableText: \"not here\"\n"
	      "    met: \"false\"\n    evidence: \"%two\"\n"),
	ALIKE("c4", "    documented: \"%two.single().exists()\"\n    met: \"true\"\n    evidence: \"%recent\"\n"),
	ALIKE("c5", "    met: \"%two.single().exists()\"\n    evidence: \"%two\"\n"),
	ALIKE("c6", "    met: \"true\"\n    evidence: \"%two.single()\"\n"),
	ALIKE("c7", "    met: \"%recent.empty()\"\n    evidence: \"%two.single()\"\n"),
	ALIKE("c8", "    met: \"%recent.empty() \"\n    evidence: \"%recent \"\n"),
	ALIKE("c9", "    met: \"%recent.exists()\"\n    evidence: \"%two\"\n"),
	ALIKE("c10", "    documented: \"%recent.empty()\"\n    met: \"%recent.exists()\"\n    evidence: \"%two.where(false)\"\n"),
	ALIKE("c11", "    met: \"%recent.exists()\"\n    evidence: \"%two.where(false)\"\n"),
};
#define NALIKE (sizeof alike_criteria / sizeof alike_criteria[0])

static void test_alike_expressions(void)
{
	mn_buf all = MN_BUF_INIT;
	for (size_t i = 0; i < NALIKE; i++)
		mn_buf_puts(&all, alike_criteria[i]);
	mn_policy *p = alike_policy(mn_buf_cstr(&all));
	mn_buf_free(&all);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(p->ncriteria, NALIKE);
	/* the marks: 1 + the first position written alike (3 * criterion + 0 notApplicable, 1 documented, 2 met) */
	static const size_t truth[NALIKE][3] = {
		{0, 0, 2}, {0, 2, 0}, {2, 0, 0}, {0, 0, 0}, {0, 0, 11}, {0, 0, 12},
		{0, 0, 6}, {0, 0, 0}, {0, 0, 2}, {0, 6, 2}, {0, 0, 2},
	};
	static const size_t evidence[NALIKE] = {0, 1, 0, 1, 3, 0, 6, 0, 3, 0, 10};
	for (size_t i = 0; i < NALIKE && i < p->ncriteria; i++) {
		for (size_t t = 0; t < 3; t++)
			CHECK_MSG(p->criteria[i].same_truth_[t] == truth[i][t], "c%zu[%zu]: %zu", i + 1, t,
			          p->criteria[i].same_truth_[t]);
		CHECK_MSG(p->criteria[i].same_evidence_ == evidence[i], "c%zu: %zu", i + 1, p->criteria[i].same_evidence_);
	}
	/* w1 in the window (%recent), w2 not: %two has both */
	const char *json = BUNDLE(PATIENT "," OBS("w1", "score", "2026-10-01") "," OBS("w2", "other", "2026-10-02"));
	mn_determination *d = na_decide(p, json);
	/* by hand: status, entries (ids), error's first word */
	static const struct {
		mn_crit_status status;
		const char *entries, *error;
	} want[NALIKE] = {
		{MN_CRIT_MET, "w1", NULL},
		{MN_CRIT_NOT_MET, "w1", NULL},
		{MN_CRIT_MET, "", NULL},                                    /* not applicable */
		{MN_CRIT_NOT_DOCUMENTED, "w1", "documented: "},
		{MN_CRIT_NOT_DOCUMENTED, "w1 w2", "met: "},
		{MN_CRIT_NOT_DOCUMENTED, "", "evidence: "},                 /* met, its evidence failed */
		{MN_CRIT_NOT_MET, "", "evidence: "},
		{MN_CRIT_NOT_MET, "w1", NULL},
		{MN_CRIT_MET, "w1 w2", NULL},
		{MN_CRIT_NOT_DOCUMENTED, "", NULL},
		{MN_CRIT_NOT_DOCUMENTED, "", "met, but the evidence"},
	};
	for (size_t i = 0; d && i < NALIKE && i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		char ids[64] = "";
		for (size_t k = 0; k < r->nentries; k++)
			snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", k ? " " : "", r->entries[k].resource->id);
		CHECK_MSG(r->status == want[i].status, "c%zu: %s", i + 1, mn_crit_status_name(r->status));
		CHECK_MSG(strcmp(ids, want[i].entries) == 0, "c%zu: %s", i + 1, ids);
		if (want[i].error)
			CHECK_MSG(r->error && strncmp(r->error, want[i].error, strlen(want[i].error)) == 0, "c%zu: %s", i + 1,
			          r->error ? r->error : "(none)");
		else
			CHECK_MSG(r->error == NULL, "c%zu: %s", i + 1, r->error);
		/* each criterion its own entries */
		for (size_t j = 0; j < i; j++)
			CHECK(!r->nentries || r->entries != d->results[j].entries);
		/* the same as each criterion decided alone (no text written alike) */
		mn_policy *one = alike_policy(alike_criteria[i]);
		mn_determination *d1 = one ? na_decide(one, json) : NULL;
		CHECK(d1 != NULL);
		if (d1) {
			const mn_criterion_result *r1 = &d1->results[0];
			CHECK_MSG(r1->status == r->status, "c%zu alone: %s", i + 1, mn_crit_status_name(r1->status));
			CHECK_INT(r1->nentries, r->nentries);
			for (size_t k = 0; k < r->nentries && k < r1->nentries; k++) {
				CHECK_STR(r1->entries[k].reference, r->entries[k].reference);
				CHECK_STR(r1->entries[k].summary, r->entries[k].summary);
			}
			CHECK_STR(r1->error ? r1->error : "(none)", r->error ? r->error : "(none)");
			CHECK_STR(r1->met_because ? r1->met_because : "(none)", r->met_because ? r->met_because : "(none)");
			done(d1);
		}
		mn_policy_free(one);
	}
	/* the error of an expression written alike says where it was read */
	if (d && d->nresults > 4)
		CHECK_STR(d->results[3].error + strlen("documented: "), d->results[4].error + strlen("met: "));
	done(d);
	mn_policy_free(p);
}

/* ---- the request written as a definition: evaluated once --------------------- */

/* The window policy with service.request REQ and a definition `req` written DEF (after `recent`). */
static mn_policy *request_policy(const char *req, const char *def)
{
	char *a = replace_text(WINDOW_POLICY, "  kind: test-svc\n", "  kind: test-svc\n  request: \"@REQ@\"\n");
	char *b = replace_text(a, "criteria:\n", "  - name: req\n    expr: \"@DEF@\"\ncriteria:\n");
	char *c = replace_text(b, "@REQ@", req);
	char *t = replace_text(c, "@DEF@", def);
	mn_policy *p = load_text_policy(t);
	free(a);
	free(b);
	free(c);
	free(t);
	return p;
}

#define SR(id, status) ",{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"" id "\",\"status\":\"" status \
	"\",\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/p\"}}}"

/* The requests found (ids) and whether a warning contains `warn`, deciding with p and with a copy of p
 * without the mark (the request evaluated again): the same. */
static void check_requests(const mn_policy *p, const char *json, const char *ids, const char *warn)
{
	mn_policy bare = *p;
	bare.request_same_ = 0;
	for (int k = 0; k < 2; k++) {
		mn_determination *d = na_decide(k ? &bare : (mn_policy *)p, json);
		CHECK(d != NULL);
		if (!d)
			continue;
		char got[64] = "";
		for (size_t i = 0; i < d->nrequests; i++)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", d->requests[i].resource->id);
		CHECK_MSG(strcmp(got, ids) == 0, "%s: %s, want %s", k ? "unmarked" : "marked", got, ids);
		CHECK_INT(d->request_found, *ids != '\0');
		bool warned = false;
		for (size_t i = 0; i < d->nwarnings; i++)
			warned |= warn && strstr(d->warnings[i], warn) != NULL;
		CHECK_MSG(warned == (warn != NULL), "%s: warning %s", k ? "unmarked" : "marked", warn ? warn : "(none)");
		done(d);
	}
}

static void test_request_as_definition(void)
{
	const char *active = "ServiceRequest.where(status = 'active')";
	mn_policy *p = request_policy(active, active);
	CHECK(p != NULL);
	if (p) {
		CHECK_INT(p->request_same_, 2);  /* recent, then req */
		check_requests(p, BUNDLE(PATIENT SR("s1", "active") SR("s2", "draft") SR("s3", "active")), "s1 s3", NULL);
		check_requests(p, BUNDLE(PATIENT SR("s2", "draft")), "", "the record holds no active request for Test service");
		mn_policy_free(p);
	}
	/* the definition fails on the record: so does the request */
	p = request_policy("ServiceRequest.single()", "ServiceRequest.single()");
	CHECK(p && p->request_same_ == 2);
	if (p) {
		check_requests(p, BUNDLE(PATIENT SR("s1", "active") SR("s3", "active")), "", "definition req:");
		check_requests(p, BUNDLE(PATIENT SR("s1", "active") SR("s3", "active")), "", "no active request");
		check_requests(p, BUNDLE(PATIENT SR("s3", "draft")), "s3", NULL);
		mn_policy_free(p);
	}
	/* not marked: a variable read, a variable defined, another text. %req is not bound when req is
	 * evaluated, which fails and leaves it unbound: the request fails too */
	p = request_policy("ServiceRequest.where(%req.exists())", "ServiceRequest.where(%req.exists())");
	CHECK(p && p->request_same_ == 0);
	if (p) {
		check_requests(p, BUNDLE(PATIENT SR("s1", "active")), "", "definition req:");
		mn_policy_free(p);
	}
	p = request_policy("ServiceRequest.defineVariable('recent', 1).where(status = 'active')",
	                   "ServiceRequest.defineVariable('recent', 1).where(status = 'active')");
	CHECK(p && p->request_same_ == 0);
	if (p) {
		/* recent is bound by then: defineVariable refuses it, in both */
		check_requests(p, BUNDLE(PATIENT SR("s1", "active")), "", "definition req:");
		mn_policy_free(p);
	}
	p = request_policy(active, "ServiceRequest.where(status = 'draft')");
	CHECK(p && p->request_same_ == 0);
	if (p) {
		check_requests(p, BUNDLE(PATIENT SR("s1", "active") SR("s2", "draft")), "s1", NULL);
		mn_policy_free(p);
	}
}

/* The determination's warnings read the letter's parts without their texts (mn_letter_parts_check): for each
 * record below, what it finds is what mn_letter_parts_read finds (the same resources, name, member id and
 * NPI; plan, codes and diagnoses present alike), and the parts worked out by hand are there or not. */
#define LP_COV(rest) ",{\"resource\":{\"resourceType\":\"Coverage\",\"id\":\"cov\",\"status\":\"active\"," \
	"\"beneficiary\":{\"reference\":\"Patient/p\"},\"payor\":[{\"reference\":\"Organization/pay\"}]" rest "}}"
#define LP_PAYER ",{\"resource\":{\"resourceType\":\"Organization\",\"id\":\"pay\",\"name\":\"Payer\"," \
	"\"address\":[{\"line\":[\"1 Road\"],\"city\":\"Town\"}]}}"
#define LP_CLASS(type, value) "{\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/" \
	"coverage-class\",\"code\":\"" type "\"}]}" value "}"
#define LP_PRAC ",{\"resource\":{\"resourceType\":\"Practitioner\",\"id\":\"dr\",\"name\":[{\"family\":\"Who\"}]," \
	"\"identifier\":[{\"system\":\"http://hl7.org/fhir/sid/us-npi\",\"value\":\"1234567893\"}]}}"
#define LP_REQ(rest) ",{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"req\",\"status\":\"active\"," \
	"\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/p\"}" rest "}}"
#define LP_CPT(code) "{\"system\":\"http://www.ama-assn.org/go/cpt\",\"code\":\"" code "\"}"
static void test_letter_parts_check(void)
{
	static const struct {
		const char *what, *json;
		bool coverage, payer, member_id, plan, practitioner, npi, codes, diagnoses;
		size_t skipped;  /* Coverages not used */
	} T[] = {
		{"nothing", BUNDLE(PATIENT LP_REQ(",\"code\":{\"text\":\"x\"}")), false, false, false, false, false, false,
		 false, false, 0},
		{"coverage with group and a coded order", BUNDLE(PATIENT LP_PAYER LP_PRAC
		 LP_COV(",\"subscriberId\":\"M1\",\"class\":[" LP_CLASS("group", ",\"value\":\"G1\"") "]")
		 LP_REQ(",\"requester\":{\"reference\":\"Practitioner/dr\"},\"code\":{\"coding\":[" LP_CPT("63650") "]},"
		        "\"reasonCode\":[{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\",\"code\":\"G90.522\"}]}]")),
		 true, true, true, true, true, true, true, true, 0},
		/* a class without value names no plan; one of another type neither */
		{"classes without a plan", BUNDLE(PATIENT LP_PAYER LP_COV(",\"class\":[" LP_CLASS("plan", "") ","
		 LP_CLASS("rxgroup", ",\"value\":\"R\"") "]") LP_REQ(",\"code\":{\"coding\":[" LP_CPT("63650") "," LP_CPT("63685") "]}")),
		 true, true, false, false, false, false, true, false, 0},
		/* the plan after a group: either names one */
		{"plan second", BUNDLE(PATIENT LP_PAYER LP_COV(",\"class\":[" LP_CLASS("rxgroup", ",\"value\":\"R\"") ","
		 LP_CLASS("plan", ",\"value\":\"P\"") "]") LP_REQ(",\"code\":{\"coding\":[{\"system\":\"urn:other\",\"code\":\"63650\"}]}")),
		 true, true, false, true, false, false, false, false, 0},
		/* a Coverage of another status: not used */
		{"coverage cancelled", BUNDLE(PATIENT LP_PAYER ",{\"resource\":{\"resourceType\":\"Coverage\",\"id\":\"cov\","
		 "\"status\":\"cancelled\",\"beneficiary\":{\"reference\":\"Patient/p\"},\"payor\":[{\"reference\":\"Organization/pay\"}],"
		 "\"class\":[" LP_CLASS("plan", ",\"value\":\"P\"") "]}}" LP_REQ("")),
		 false, false, false, false, false, false, false, false, 1},
		/* the first Coverage another patient's, the second this one's, then a third of this one: the second,
		 * two skipped */
		{"the second coverage", BUNDLE(PATIENT ",{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p2\"}}" LP_PAYER
		 ",{\"resource\":{\"resourceType\":\"Coverage\",\"id\":\"c1\",\"status\":\"active\",\"beneficiary\":"
		 "{\"reference\":\"Patient/p2\"},\"payor\":[{\"reference\":\"Organization/pay\"}],\"subscriberId\":\"M2\"}}"
		 LP_COV("") LP_REQ("")
		 ",{\"resource\":{\"resourceType\":\"Coverage\",\"id\":\"c3\",\"status\":\"active\",\"beneficiary\":"
		 "{\"reference\":\"Patient/p\"},\"payor\":[{\"reference\":\"Organization/pay\"}],\"subscriberId\":\"M3\"}}"),
		 true, true, false, false, false, false, false, false, 2},
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
		mn_determination *d = decide(T[i].json, "2026-11-20");
		if (!d)
			continue;
		mn_arena *a = mn_arena_new();
		mn_letter_parts r, k;
		CHECK_INT(mn_letter_parts_read(d, a, &r), MN_OK);
		CHECK_INT(mn_letter_parts_check(d, a, &k), MN_OK);
		CHECK_MSG(k.patient == r.patient && k.request == r.request && k.coverage == r.coverage &&
		          k.coverages_skipped == r.coverages_skipped && k.payer == r.payer && k.payer_name == r.payer_name &&
		          k.member_id == r.member_id && !k.plan == !r.plan && k.requester == r.requester &&
		          k.practitioner == r.practitioner && k.npi == r.npi && k.npi_valid == r.npi_valid &&
		          k.organization == r.organization && k.organization_name == r.organization_name &&
		          !k.ncodes == !r.ncodes && !k.ndiagnoses == !r.ndiagnoses, "%s: check and read differ", T[i].what);
		CHECK_MSG(!!k.coverage == T[i].coverage && !!k.payer == T[i].payer && !!k.member_id == T[i].member_id &&
		          !!k.plan == T[i].plan && !!k.practitioner == T[i].practitioner && !!k.npi == T[i].npi &&
		          !!k.ncodes == T[i].codes && !!k.ndiagnoses == T[i].diagnoses, "%s: parts", T[i].what);
		CHECK_MSG(k.coverages_skipped == T[i].skipped && (!k.coverage || strcmp(k.coverage->id, "cov") == 0) &&
		          k.patient && strcmp(k.patient->id, "p") == 0, "%s: %zu skipped, coverage %s", T[i].what,
		          k.coverages_skipped, k.coverage ? k.coverage->id : "none");
		CHECK_MSG(!k.payer_address && !k.organization_address && !k.physician_name && !k.credentials && !k.codes &&
		          !k.diagnoses, "%s: texts made", T[i].what);
		mn_arena_free(a);
		done(d);
	}
}

/* The as-of date's text on the determination (written from its digits): as given, zeros kept. */
static void test_as_of_text(void)
{
	static const char *const D[] = {"2026-01-05", "2026-11-20", "0999-12-31", "2000-02-29"};
	for (size_t i = 0; i < sizeof D / sizeof D[0]; i++) {
		mn_determination *d = decide(BUNDLE(PATIENT), D[i]);
		CHECK_MSG(d && strcmp(d->as_of_text, D[i]) == 0, "as of %s: %s", D[i], d ? d->as_of_text : "(none)");
		done(d);
	}
}

static void test_npi(void)
{
	CHECK(mn_npi_valid("1234567893"));
	CHECK(!mn_npi_valid("1234567890"));
	CHECK(mn_npi_valid("1558598797"));
	CHECK(!mn_npi_valid("1558598798"));
	CHECK(!mn_npi_valid("123456789"));
	CHECK(!mn_npi_valid("12345678931"));
	CHECK(!mn_npi_valid("12345A7893"));
	CHECK(!mn_npi_valid(""));
	CHECK(!mn_npi_valid(NULL));
}

/* The entries made by one determination are kept with the record for the next ones
 * (src/decide/decide.c entry_kept): on one loaded record, decisions as of different dates must cite what
 * each view holds, with the texts of that record; another record loaded after it (the same ids, other
 * values) must show its own texts. Expected texts written by hand from the resources. */
static void check_entry(const mn_entry *e, const char *ref, const char *date, const char *summary)
{
	CHECK_STR(e->reference, ref);
	CHECK_STR(e->date ? e->date : "(none)", date);
	CHECK_STR(e->summary, summary);
}

static const char kept_json[] = BUNDLE(PATIENT "," DX("P1") "," SCORE("s1", "64", "2026-03-01") ","
                                      SCORE("s2", "30", "2026-01-10") "," REQ);

/* One thread's decisions on a shared record (test_entries_kept): ok while each cites what it should. */
typedef struct kept_job {
	const mn_case *c;
	const char *as_of;
	bool ok;
} kept_job;

static bool same_entry(const mn_entry *e, const char *ref, const char *date, const char *summary)
{
	return e->reference && e->date && e->summary && strcmp(e->reference, ref) == 0 && strcmp(e->date, date) == 0 &&
	       strcmp(e->summary, summary) == 0;
}

static void *decide_kept(void *arg)
{
	kept_job *j = arg;
	mn_datetime as_of;
	mn_datetime_parse(j->as_of, 10, MN_DT_DATE, &as_of, NULL);
	bool early = strcmp(j->as_of, "2026-03-01") < 0;
	j->ok = true;
	for (int round = 0; round < 25 && j->ok; round++) {
		mn_determination *d = NULL;
		mn_error err;
		if (mn_determine(pol, j->c, &as_of, &d, &err) != MN_OK || !d) {
			j->ok = false;
			break;
		}
		const mn_criterion_result *r = &d->results[1];
		j->ok = d->results[0].nentries == 1 &&
		        same_entry(&d->results[0].entries[0], "Condition/dx", "2020-01-05", "Pain one") &&
		        r->nentries == (early ? 1u : 2u) &&
		        (early ? same_entry(&r->entries[0], "Observation/s2", "2026-01-10", "Test score: 30%")
		               : same_entry(&r->entries[0], "Observation/s1", "2026-03-01", "Test score: 64%") &&
		                     same_entry(&r->entries[1], "Observation/s2", "2026-01-10", "Test score: 30%"));
		mn_determination_free(d);
	}
	return NULL;
}

static void test_entries_kept(void)
{
	const char *a_json = kept_json;
	/* the same length and ids: s1 entered in error, another value and date */
	static const char b_json[] = BUNDLE(PATIENT "," DX("P1") ","
	                                    "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"s1\",\"status\":\"entered-in-error\","
	                                    "\"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"2026-04-01\","
	                                    "\"code\":{\"coding\":[{\"system\":\"urn:test\",\"code\":\"score\"}],\"text\":\"Test score\"},"
	                                    "\"valueQuantity\":{\"value\":12,\"unit\":\"%\"}}}" ","
	                                    SCORE("s2", "30", "2026-01-10") "," REQ);
	static const char *const dates[] = {"2026-11-20", "2026-02-01", "2026-11-20", "2026-03-01"};
	mn_case *c = NULL;
	mn_error err;
	CHECK_INT(mn_case_load("a.json", a_json, strlen(a_json), &c, &err), MN_OK);
	if (!c)
		return;
	for (size_t k = 0; k < sizeof dates / sizeof dates[0]; k++) {
		mn_datetime as_of;
		mn_datetime_parse(dates[k], 10, MN_DT_DATE, &as_of, NULL);
		mn_determination *d = NULL;
		CHECK_INT(mn_determine(pol, c, &as_of, &d, &err), MN_OK);
		if (!d)
			continue;
		bool before_s1 = strcmp(dates[k], "2026-03-01") < 0;
		CHECK_INT(d->left_out, before_s1 ? 1 : 0);
		CHECK_INT(d->results[0].nentries, 1);
		if (d->results[0].nentries)
			check_entry(&d->results[0].entries[0], "Condition/dx", "2020-01-05", "Pain one");
		/* s1 cited only when the view holds it (it is dated after 2026-02-01) */
		CHECK_INT(d->results[1].nentries, before_s1 ? 1 : 2);
		if (d->results[1].nentries == 2) {
			check_entry(&d->results[1].entries[0], "Observation/s1", "2026-03-01", "Test score: 64%");
			check_entry(&d->results[1].entries[1], "Observation/s2", "2026-01-10", "Test score: 30%");
		} else if (d->results[1].nentries == 1)
			check_entry(&d->results[1].entries[0], "Observation/s2", "2026-01-10", "Test score: 30%");
		CHECK_INT(d->nrequests, 1);
		if (d->nrequests)
			check_entry(&d->requests[0], "ServiceRequest/req", "2026-01-02", "Test service");
		/* each entry cites a resource of this determination's view */
		for (size_t i = 0; i < d->nresults; i++)
			for (size_t j = 0; j < d->results[i].nentries; j++)
				CHECK(mn_case_get(d->kase, (size_t)d->results[i].entries[j].resource->index) ==
				      d->results[i].entries[j].resource);
		mn_determination_free(d);
	}
	mn_case_free(c);

	/* a record nothing was decided on yet, decided on by 4 threads at once, 2 as of a date that leaves s1 out:
	 * the first entries kept by one thread are the ones the others copy */
	CHECK_INT(mn_case_load("a.json", a_json, strlen(a_json), &c, &err), MN_OK);
	if (c) {
		pthread_t t[4];
		kept_job jobs[4];
		bool started[4];
		for (int i = 0; i < 4; i++) {
			jobs[i] = (kept_job){c, i % 2 ? "2026-02-01" : "2026-11-20", false};
			started[i] = pthread_create(&t[i], NULL, decide_kept, &jobs[i]) == 0;
			CHECK(started[i]);
		}
		for (int i = 0; i < 4; i++)
			if (started[i]) {
				pthread_join(t[i], NULL);
				CHECK_MSG(jobs[i].ok, "thread %d (as of %s): wrong entries", i, jobs[i].as_of);
			}
		mn_case_free(c);
	}

	/* another record after it: its own texts */
	CHECK_INT(mn_case_load("b.json", b_json, strlen(b_json), &c, &err), MN_OK);
	if (!c)
		return;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	for (int round = 0; round < 2; round++) {
		mn_determination *d = NULL;
		CHECK_INT(mn_determine(pol, c, &as_of, &d, &err), MN_OK);
		if (!d)
			break;
		CHECK_INT(d->results[1].nentries, 2);
		if (d->results[1].nentries == 2) {
			check_entry(&d->results[1].entries[0], "Observation/s1", "2026-04-01", "Test score: 12%");
			check_entry(&d->results[1].entries[1], "Observation/s2", "2026-01-10", "Test score: 30%");
		}
		/* 12 < 21: the score criterion is not met, whatever an earlier record said */
		CHECK_INT(d->results[1].status, MN_CRIT_NOT_MET);
		mn_determination_free(d);
	}
	mn_case_free(c);
}

int main(void)
{
	test_npi();
	test_entry_dates();
	test_entry_summaries();
	char dir[4200];
	mn_error err;
	snprintf(dir, sizeof dir, "%s/tests/data/evidence", mn_test_source_dir());
	CHECK_INT(mn_library_load(dir, &lib, &err), MN_OK);
	snprintf(dir, sizeof dir, "%s/tests/data/policies", mn_test_source_dir());
	if (lib)
		CHECK_INT(mn_policy_load(dir, "mini", lib, &pol, &err), MN_OK);
	if (pol) {
		test_all_met();
		test_not_met_and_errors();
		test_as_of_required();
		test_policy_check();
		test_appeal();
		test_scores_binding();
		test_tables();
		test_time_future_entry();
		test_entries_kept();
		test_time_window();
		test_no_request();
		test_request_codes();
		test_unresolved_reference();
		test_lenient_record();
		test_author_requirement();
		test_not_applicable();
		test_alike_expressions();
		test_request_as_definition();
		test_policy_scores();
		test_letter_parts_check();
		test_as_of_text();
	}
	mn_policy_free(pol);
	mn_library_free(lib);
	TEST_END();
}
