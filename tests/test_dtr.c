/*
 * test_dtr.c: DTR questionnaires (docs/DTR.md): generation checked against
 * the policies, prefill checked by hand against examples/crps-ii-drg-trial.json,
 * and a completed QuestionnaireResponse as documentation, with the responses
 * that must never make a criterion met (tests/data/dtr/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/dtr.h"
#include "mednec/render.h"
#include "test.h"

static char home[4096], evidence[4200], policies[4200], knowledge[4200];
static mn_library *lib;
static mn_dtr_items *items;
static mn_score_config *scores;
static mn_tables *tables;

static const mn_json *get(const mn_json *o, const char *k) { return mn_json_get(o, k); }
static const char *str(const mn_json *o, const char *k) { return mn_json_get_string(o, k); }

static const mn_json *child_of(const mn_json *parent, const char *link)
{
	const mn_json *it = get(parent, "item");
	for (uint32_t i = 0; it && i < it->n; i++)
		if (mn_json_is_string(get(&it->u.items[i], "linkId"), link))
			return &it->u.items[i];
	return NULL;
}

static const char *initial_expr(const mn_json *item)
{
	const mn_json *ext = get(item, "extension");
	for (uint32_t i = 0; ext && i < ext->n; i++)
		if (mn_json_is_string(get(&ext->u.items[i], "url"),
		                      "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression")) {
			const mn_json *e = get(&ext->u.items[i], "valueExpression");
			return mn_json_is_string(get(e, "language"), "text/fhirpath") ? str(e, "expression") : NULL;
		}
	return NULL;
}

/* Every policy: one group per criterion, in order, with the criterion's id and title, what satisfies it, and
 * the read-only prefilled reading of the record. */
static void test_generation(void)
{
	mn_arena *a = mn_arena_new();
	const char **ids;
	mn_error err;
	mn_error_clear(&err);
	CHECK(mn_policy_ids(policies, a, &ids, &err) == MN_OK);
	size_t npolicies = 0;
	for (size_t k = 0; ids[k]; k++) {
		mn_policy *p;
		if (mn_policy_load(policies, ids[k], lib, &p, &err) != MN_OK) {
			CHECK_MSG(0, "%s: %s", ids[k], err.message);
			continue;
		}
		mn_buf b = MN_BUF_INIT;
		mn_json *q;
		CHECK(mn_dtr_questionnaire(p, items, &b, &err) == MN_OK);
		CHECK(mn_json_parse(a, "q", b.data, b.len, &q, &err) == MN_OK);
		CHECK_STR(str(q, "resourceType"), "Questionnaire");
		CHECK_STR(str(q, "url"), mn_arena_printf(a, "urn:mednec:questionnaire:%s", p->id));
		CHECK_STR(str(q, "version"), p->version);
		const mn_json *groups = get(q, "item");
		CHECK(groups && groups->n == p->ncriteria);
		for (size_t i = 0; groups && i < groups->n && i < p->ncriteria; i++) {
			const mn_json *g = &groups->u.items[i];
			const mn_criterion *c = &p->criteria[i];
			CHECK_STR(str(g, "linkId"), c->id);
			CHECK_STR(str(g, "text"), c->title);
			CHECK_STR(str(g, "type"), "group");
			const mn_json *disp = child_of(g, mn_arena_printf(a, "%s.satisfied-by", c->id));
			CHECK(disp && mn_json_is_string(get(disp, "type"), "display"));
			CHECK(disp && c->satisfied_by && strstr(str(disp, "text"), c->satisfied_by));
			const mn_json *rec = child_of(g, mn_arena_printf(a, "%s.in-record", c->id));
			CHECK(rec && mn_json_is_string(get(rec, "type"), "boolean") && get(rec, "readOnly") &&
			      get(rec, "readOnly")->type == MN_JSON_TRUE);
			CHECK(rec && initial_expr(rec) && strstr(initial_expr(rec), mn_fp_expr_source(c->met)));
			const mn_json *att = child_of(g, mn_arena_printf(a, "%s.documentation", c->id));
			CHECK(att && mn_json_is_string(get(att, "type"), "attachment"));
		}
		/* the DRG trial's psychological clearance: a coded choice, extracted, with the two answers of the file */
		if (strcmp(p->id, "drg-stimulation-trial") == 0) {
			const mn_json *g = child_of(q, "psych-clearance");
			const mn_json *cl = g ? child_of(g, "psych-clearance.clearance") : NULL;
			CHECK(cl && mn_json_is_string(get(cl, "type"), "choice"));
			CHECK(cl && get(cl, "answerOption") && get(cl, "answerOption")->n == 2);
			CHECK(cl && mn_json_is_string(get(&get(cl, "code")->u.items[0], "code"), "psych-clearance"));
			CHECK(cl && strstr(b.data, "sdc-questionnaire-observationExtract"));
			const mn_json *dt = g ? child_of(g, "psych-clearance.evaluation-date") : NULL;
			CHECK(dt && mn_json_is_string(get(dt, "type"), "date"));
			const mn_json *dx = child_of(child_of(q, "crps-lower-limb"), "crps-lower-limb.diagnosis");
			CHECK(dx && mn_json_is_string(get(dx, "answerValueSet"),
			                              mn_arena_printf(a, "urn:mednec:valueset:crps-diagnosis|%s", p->version)));
			CHECK(dx && !get(dx, "code"));  /* not extracted: a diagnosis counts only as a Condition */
			const mn_json *pain = child_of(child_of(q, "pain-moderate-severe"), "pain-moderate-severe.rating");
			CHECK(pain && mn_json_is_string(get(pain, "type"), "integer"));
		}
		npolicies++;
		mn_buf_free(&b);
		mn_policy_free(p);
	}
	CHECK(npolicies >= 13);
	mn_arena_free(a);
}

static mn_determination *decide(const char *policy, const char *case_path, const char *as_of_text, mn_case **kase,
                                mn_policy **pol)
{
	mn_error err;
	mn_error_clear(&err);
	mn_datetime as_of;
	CHECK(mn_datetime_parse(as_of_text, strlen(as_of_text), MN_DT_DATE, &as_of, &err) == MN_OK);
	CHECK(mn_policy_load(policies, policy, lib, pol, &err) == MN_OK);
	if (mn_case_load_any(home, case_path, kase, &err) != MN_OK) {
		CHECK_MSG(0, "%s: %s", case_path, err.message);
		return NULL;
	}
	mn_determine_options opts = {scores, tables};
	mn_determination *d = NULL;
	CHECK(mn_determine_ex(*pol, *kase, &as_of, &opts, &d, &err) == MN_OK);
	return d;
}

static const mn_criterion_result *result(const mn_determination *d, const char *id)
{
	for (size_t i = 0; d && i < d->nresults; i++)
		if (strcmp(d->results[i].criterion->id, id) == 0)
			return &d->results[i];
	return NULL;
}

static bool warned(const mn_determination *d, const char *part)
{
	for (size_t i = 0; d && i < d->nwarnings; i++)
		if (strstr(d->warnings[i], part))
			return true;
	return false;
}

/* Hand check against examples/crps-ii-drg-trial.json: the latest 0-10 rating within 3 months of 2026-11-20 is
 * nrs-2026-11 (2026-11-05, 9); the psychological clearance is psych-clearance-2026-03 (2026-03-12, cleared). */
static void test_prefill(void)
{
	mn_case *kase = NULL;
	mn_policy *p = NULL;
	mn_determination *d = decide("drg-stimulation-trial", "examples/crps-ii-drg-trial.json", "2026-11-20", &kase, &p);
	mn_buf b = MN_BUF_INIT;
	mn_error err;
	mn_error_clear(&err);
	mn_arena *a = mn_arena_new();
	mn_json *qr;
	CHECK(d && mn_dtr_response(p, items, d, NULL, &b, &err) == MN_OK);
	CHECK(mn_json_parse(a, "qr", b.data, b.len, &qr, &err) == MN_OK);
	CHECK_STR(str(qr, "resourceType"), "QuestionnaireResponse");
	CHECK_STR(str(qr, "questionnaire"), mn_arena_printf(a, "urn:mednec:questionnaire:drg-stimulation-trial|%s", p->version));
	CHECK_STR(str(get(qr, "subject"), "reference"), "Patient/pat-crps-001");
	const mn_json *pain = child_of(child_of(qr, "pain-moderate-severe"), "pain-moderate-severe.rating");
	const mn_json *ans = pain ? &get(pain, "answer")->u.items[0] : NULL;
	CHECK(ans && get(ans, "valueInteger") && strncmp(get(ans, "valueInteger")->u.s, "9", 1) == 0 &&
	      get(ans, "valueInteger")->n == 1);
	const mn_json *pd = child_of(child_of(qr, "pain-moderate-severe"), "pain-moderate-severe.rating-date");
	CHECK(pd && mn_json_is_string(get(&get(pd, "answer")->u.items[0], "valueDate"), "2026-11-05"));
	const mn_json *g = child_of(qr, "psych-clearance");
	const mn_json *date = child_of(g, "psych-clearance.evaluation-date");
	CHECK(date && mn_json_is_string(get(&get(date, "answer")->u.items[0], "valueDate"), "2026-03-12"));
	const mn_json *cl = child_of(g, "psych-clearance.clearance");
	CHECK(cl && mn_json_is_string(get(get(&get(cl, "answer")->u.items[0], "valueCoding"), "code"), "cleared"));
	/* the CRPS diagnosis: Condition code G57.72 (causalgia of left lower limb) in the example */
	const mn_json *dx = child_of(child_of(qr, "crps-lower-limb"), "crps-lower-limb.diagnosis");
	CHECK(dx && mn_json_is_string(get(get(&get(dx, "answer")->u.items[0], "valueCoding"), "code"), "G57.72"));
	const mn_json *rec = child_of(g, "psych-clearance.in-record");
	CHECK(rec && get(&get(rec, "answer")->u.items[0], "valueBoolean")->type == MN_JSON_TRUE);
	mn_buf_free(&b);
	mn_arena_free(a);
	mn_determination_free(d);
	mn_case_free(kase);
	mn_policy_free(p);
}

#define POLICY "scs-trial-evicore-summary"
#define AS_OF "2026-11-20"

/* The pended example becomes approvable with the response that supplies the clearance, and the letter cites
 * the answer as a record entry. */
static void test_response_as_documentation(void)
{
	mn_case *kase = NULL;
	mn_policy *p = NULL;
	mn_determination *d = decide(POLICY, "examples/crps-ii-scs-trial-no-psych-clearance.json", AS_OF, &kase, &p);
	CHECK(result(d, "behavioral-health") && result(d, "behavioral-health")->status == MN_CRIT_NOT_DOCUMENTED);
	CHECK(d && d->outcome == MN_INSUFFICIENT_DOCUMENTATION);
	mn_determination_free(d);
	mn_case_free(kase);
	mn_policy_free(p);

	const char *ok[] = {"tests/data/dtr/qr-cleared.json", "tests/data/dtr/qr-cleared-versioned.json"};
	for (size_t k = 0; k < 2; k++) {
		d = decide(POLICY, ok[k], AS_OF, &kase, &p);
		const mn_criterion_result *r = result(d, "behavioral-health");
		if (k == 1 && p && strcmp(p->version, "2026-11-25") != 0) {
			/* the response names version 2026-11-25 of the questionnaire; a policy of another version refuses it */
			CHECK(r && r->status == MN_CRIT_NOT_DOCUMENTED && warned(d, "not this policy's questionnaire"));
			mn_determination_free(d);
			mn_case_free(kase);
			mn_policy_free(p);
			continue;
		}
		CHECK_MSG(r && r->status == MN_CRIT_MET, "%s: behavioral-health met", ok[k]);
		CHECK(d && d->outcome == MN_MEETS_CRITERIA);
		bool cited = false;
		for (size_t i = 0; r && i < r->nentries; i++)
			if (strcmp(r->entries[i].reference, "Observation/dtr-qr-psych-1") == 0) {
				cited = strstr(r->entries[i].summary, "QuestionnaireResponse/qr-psych") != NULL;
				CHECK_STR(r->entries[i].date, "2026-11-10");
			}
		CHECK_MSG(cited, "%s: the answer is an entry naming its response", ok[k]);
		mn_doc *doc = NULL;
		mn_buf md = MN_BUF_INIT;
		mn_error err;
		mn_error_clear(&err);
		CHECK(mn_letter_build(d, &doc, &err) == MN_OK && mn_doc_write_markdown(doc, &md) == MN_OK);
		CHECK_MSG(md.data && strstr(md.data, "attested in QuestionnaireResponse/qr-psych"),
		          "%s: the letter cites the answer", ok[k]);
		mn_buf_free(&md);
		mn_doc_free(doc);
		mn_determination_free(d);
		mn_case_free(kase);
		mn_policy_free(p);
	}
}

/* None of these may make the criterion met. warn: the warning that names why (NULL: the as-of view leaves the
 * response out). */
static void test_adversarial(void)
{
	static const struct {
		const char *file, *criterion, *warn;
		mn_crit_status want;
	} cases[] = {
		{"qr-other-patient", "behavioral-health", "its subject is not the record's patient", MN_CRIT_NOT_DOCUMENTED},
		{"qr-two-patients", "behavioral-health", "the record does not hold exactly one Patient", MN_CRIT_NOT_DOCUMENTED},
		{"qr-in-progress", "behavioral-health", "its status is in-progress", MN_CRIT_NOT_DOCUMENTED},
		{"qr-entered-in-error", "behavioral-health", "its status is entered-in-error", MN_CRIT_NOT_DOCUMENTED},
		{"qr-after-as-of", "behavioral-health", NULL, MN_CRIT_NOT_DOCUMENTED},
		{"qr-not-cleared", "behavioral-health", NULL, MN_CRIT_NOT_MET},
		{"qr-other-questionnaire", "behavioral-health", "not this policy's questionnaire", MN_CRIT_NOT_DOCUMENTED},
		{"qr-unlisted-code", "behavioral-health", "not one of the item's answers", MN_CRIT_NOT_DOCUMENTED},
		{"qr-no-date", "behavioral-health", "has no full date", MN_CRIT_NOT_DOCUMENTED},
		{"qr-old-evaluation", "behavioral-health", NULL, MN_CRIT_NOT_DOCUMENTED},
		{"qr-contradicts-record", "behavioral-health", NULL, MN_CRIT_NOT_MET},
		{"qr-in-record-true", "behavioral-health", NULL, MN_CRIT_NOT_DOCUMENTED},
		{"qr-contradicts-drug-screen", "no-unexpected-drug-screen", NULL, MN_CRIT_NOT_MET},
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		mn_case *kase = NULL;
		mn_policy *p = NULL;
		char file[256];
		snprintf(file, sizeof file, "tests/data/dtr/%s.json", cases[k].file);
		mn_determination *d = decide(POLICY, file, AS_OF, &kase, &p);
		const mn_criterion_result *r = result(d, cases[k].criterion);
		CHECK_MSG(r && r->status == cases[k].want, "%s: %s is %s", cases[k].file, cases[k].criterion,
		          r ? mn_crit_status_name(r->status) : "missing");
		CHECK_MSG(d && d->outcome != MN_MEETS_CRITERIA, "%s: not approved", cases[k].file);
		if (cases[k].warn)
			CHECK_MSG(warned(d, cases[k].warn), "%s: warning '%s'", cases[k].file, cases[k].warn);
		mn_determination_free(d);
		mn_case_free(kase);
		mn_policy_free(p);
	}
}

int main(void)
{
	snprintf(home, sizeof home, "%s", mn_test_source_dir());
	snprintf(evidence, sizeof evidence, "%s/evidence", home);
	snprintf(policies, sizeof policies, "%s/policies", home);
	snprintf(knowledge, sizeof knowledge, "%s/knowledge", home);
	mn_error err;
	mn_error_clear(&err);
	if (mn_library_load(evidence, &lib, &err) != MN_OK || mn_dtr_items_load(knowledge, &items, &err) != MN_OK ||
	    mn_score_config_load(knowledge, &scores, &err) != MN_OK || mn_tables_load(knowledge, &tables, &err) != MN_OK) {
		printf("setup: %s\n", err.message);
		return 1;
	}
	CHECK(items->nitems >= 5);
	test_generation();
	test_prefill();
	test_response_as_documentation();
	test_adversarial();
	mn_dtr_items_free(items);
	mn_score_config_free(scores);
	mn_tables_free(tables);
	mn_library_free(lib);
	TEST_END();
}
