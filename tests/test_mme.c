/*
 * test_mme.c: MME per day from medications coded at every RxNorm level
 * (ingredient IN, clinical drug SCD, branded drug SBD, packs GPCK/BPCK),
 * through the RxNorm-derived table knowledge/rxnorm-opioids.tsv
 * (tools/gen-rxnorm-mme.mjs) and the CDC 2022 factors
 * (knowledge/mme-cdc-2022.yaml); doses converted with UCUM.
 *
 * Expected values are worked by hand from the CDC 2022 guideline's worked
 * examples (shared/clinical/facts.md §4): hydrocodone 5 mg QID = 20 MME/day;
 * oxycodone ER 10 mg BID = 30 MME/day; transdermal fentanyl 2.4 per mcg/hr
 * (the HL7/CDC opioid MME guide's test patient-mme-greater-than-fifty: a
 * 75 mcg/hr patch = 180 MME/day). Strengths come from the RxNorm names (the
 * name says "hydrocodone bitartrate 5 MG"), not from the code under test.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "mednec/clinical.h"
#include "mednec/knowledge.h"

#define RXNORM "http://www.nlm.nih.gov/research/umls/rxnorm"
#define CLOSE(a, b) (fabs((a) - (b)) < 1e-9)

/* ---- the table: each RxNorm level to ingredient and strength --------------- */

static const mn_mme_product *product(const mn_mme_table *t, const char *code, const char *level,
                                     const char *drug, double strength, const char *unit)
{
	const mn_mme_product *p = mn_mme_lookup(t, RXNORM, code, NULL);
	CHECK_MSG(p != NULL, "RxNorm %s not found", code);
	if (!p)
		return NULL;
	CHECK_STR(p->level, level);
	CHECK_STR(p->drug, drug);
	CHECK_MSG(CLOSE(p->strength, strength), "%s strength %g, want %g", code, p->strength, strength);
	CHECK_STR(p->unit, unit);
	return p;
}

static void no_factor(const mn_mme_table *t, const char *code, const char *why_has)
{
	const char *why = NULL;
	CHECK_MSG(mn_mme_lookup(t, RXNORM, code, &why) == NULL, "%s has a factor", code);
	CHECK_MSG(why && strstr(why, why_has), "%s: reason '%s', want '%s'", code, why ? why : "(none)", why_has);
}

static void test_levels(const mn_mme_table *t)
{
	/* provenance of the RxNorm table */
	CHECK_STR(t->rxnorm_table, "rxnorm-opioids.tsv");
	CHECK(t->rxnorm_source && strstr(t->rxnorm_source, "cqframework/opioid-mme-r4") &&
	      strstr(t->rxnorm_source, "OMTKData"));

	/* hydrocodone: IN 5489 (no strength), SCD 857002 and SBD 857004 [Norco] "hydrocodone bitartrate 5 MG" */
	const mn_mme_product *p = product(t, "5489", "IN", "hydrocodone", 0, "mg");
	CHECK(p && p->dose_form == NULL && !p->combination);
	p = product(t, "857002", "SCD", "hydrocodone", 5, "mg");
	CHECK(p && p->combination && strcmp(p->ingredient, "5489") == 0);
	p = product(t, "857004", "SBD", "hydrocodone", 5, "mg");
	CHECK(p && p->combination && strcmp(p->ingredient, "5489") == 0 && strstr(p->display, "[Norco]"));
	/* oxycodone: IN 7804, SCD 1049502 and SBD 1049504 [Oxycontin] "12 HR oxycodone hydrochloride 10 MG" */
	product(t, "7804", "IN", "oxycodone", 0, "mg");
	p = product(t, "1049502", "SCD", "oxycodone", 10, "mg");
	CHECK(p && !p->combination && strcmp(p->ingredient, "7804") == 0);
	product(t, "1049504", "SBD", "oxycodone", 10, "mg");
	/* fentanyl patches: "0.075 MG/HR" is 75 ug/h (UCUM), SCD 197696 and SBD 261186 [Duragesic] */
	p = product(t, "197696", "SCD", "fentanyl-transdermal", 75, "ug/h");
	CHECK(p && strcmp(p->dose_form_code, "316987") == 0);
	product(t, "261186", "SBD", "fentanyl-transdermal", 75, "ug/h");
	/* buprenorphine: matched (ingredient 1819) and listed without a factor */
	product(t, "1864412", "SCD", "buprenorphine", 0.7, "mg");
	product(t, "1819", "IN", "buprenorphine", 0, "mg");

	/* packs: the only packs in the source are fentanyl mucosal sprays (GPCK 1740007, BPCK 1740008 [Subsys]);
	 * the CDC 2022 factor for fentanyl is for the transdermal form only: no factor, with the reason */
	no_factor(t, "1740007", "another dose form only");
	no_factor(t, "1740008", "another dose form only");
	/* the fentanyl ingredient code does not say the form */
	no_factor(t, "4337", "one dose form only");
	/* meperidine: an opioid without a CDC 2022 factor, as a drug and as an ingredient */
	no_factor(t, "861447", "no factor in the CDC 2022 table");
	no_factor(t, "6754", "without a factor");
	/* codes the table does not know: no reason, not found */
	const char *why = "x";
	CHECK(mn_mme_lookup(t, RXNORM, "161", &why) == NULL && why == NULL);  /* acetaminophen */
	CHECK(mn_mme_lookup(t, "http://snomed.info/sct", "857002", &why) == NULL && why == NULL);
	/* two strengths of one ingredient (two oxycodone salts): matched, no strength, never added up */
	p = mn_mme_lookup(t, RXNORM, "637540", NULL);
	CHECK(p && p->strength == 0 && p->note && strstr(p->note, "not added up"));
}

/* Every strength of the RxNorm table is the one its RxNorm name states ("hydrocodone bitartrate 5 MG",
 * "0.075 MG/HR"): the generated column checked against the name, row by row. */
static void test_strengths_in_names(const mn_mme_table *t)
{
	size_t rows = 0, checked = 0;
	for (size_t i = 0; i < t->nproducts; i++) {
		const mn_mme_product *p = &t->products[i];
		if (!p->level || strcmp(p->level, "IN") == 0)
			continue;
		rows++;
		if (p->strength <= 0)
			continue;
		char want[64];
		if (strcmp(p->unit, "ug/h") == 0)
			snprintf(want, sizeof want, "%g MG/HR", p->strength / 1000);
		else
			snprintf(want, sizeof want, "%g %s", p->strength, strcmp(p->unit, "mg") == 0 ? "MG"
			         : strcmp(p->unit, "mg/mL") == 0 ? "MG/ML" : "MG/ACTUAT");
		checked++;
		CHECK_MSG(strstr(p->display, want) != NULL, "RxNorm %s: '%s' not in '%s'", p->code, want, p->display);
	}
	/* 910 drug codes, 2 of them with two strengths of one ingredient (no strength) */
	CHECK_INT(rows, 910);
	CHECK_INT(checked, 908);
}

/* ---- one dose in the factor's basis, UCUM --------------------------------- */

static double dose_ok(const mn_mme_table *t, const char *code, double v, const char *unit)
{
	const mn_mme_product *p = mn_mme_lookup(t, RXNORM, code, NULL);
	double out = -1;
	char why[256] = "";
	CHECK_MSG(p != NULL, "RxNorm %s", code);
	if (!p)
		return -1;
	bool ok = mn_mme_dose_amount(p, mn_mme_factor_find(t, p->drug), v, unit, &out, why, sizeof why);
	CHECK_MSG(ok, "%s %g %s: %s", code, v, unit ? unit : "(no unit)", why);
	return out;
}

static void dose_fails(const mn_mme_table *t, const char *code, double v, const char *unit, const char *why_has)
{
	const mn_mme_product *p = mn_mme_lookup(t, RXNORM, code, NULL);
	double out = -1;
	char why[256] = "";
	CHECK_MSG(p != NULL, "RxNorm %s", code);
	if (!p)
		return;
	CHECK_MSG(!mn_mme_dose_amount(p, mn_mme_factor_find(t, p->drug), v, unit, &out, why, sizeof why),
	          "%s %g %s computed %g", code, v, unit, out);
	CHECK_MSG(strstr(why, why_has) != NULL, "%s %g %s: '%s', want '%s'", code, v, unit, why, why_has);
	CHECK(out == -1);
}

static void test_doses(const mn_mme_table *t)
{
	/* ingredient codes: a mass dose computes directly, in any UCUM mass unit */
	CHECK(CLOSE(dose_ok(t, "5489", 5, "mg"), 5));
	CHECK(CLOSE(dose_ok(t, "5489", 5000, "ug"), 5));
	CHECK(CLOSE(dose_ok(t, "5489", 5000, "mcg"), 5));
	CHECK(CLOSE(dose_ok(t, "7804", 0.01, "g"), 10));
	/* a count for an ingredient code: no strength to multiply, not computable */
	dose_fails(t, "7804", 1, "{tablet}", "ingredient code");
	dose_fails(t, "7804", 1, "tablet", "ingredient code");
	/* tablets: the product strength (5 MG, 10 MG) */
	CHECK(CLOSE(dose_ok(t, "857002", 1, "{tablet}"), 5));
	CHECK(CLOSE(dose_ok(t, "857004", 2, "tablet"), 10));
	CHECK(CLOSE(dose_ok(t, "857004", 2, "TAB"), 10));
	CHECK(CLOSE(dose_ok(t, "1049504", 1, "1"), 10));
	CHECK(CLOSE(dose_ok(t, "1049502", 1, NULL), 10));
	/* mg of a single-ingredient product is that ingredient; of a combination, not stated which */
	CHECK(CLOSE(dose_ok(t, "1049502", 20, "mg"), 20));
	dose_fails(t, "857002", 5, "mg", "combination product");
	/* another form, a volume for a tablet, an unknown unit */
	dose_fails(t, "1049502", 1, "capsule", "not the same form");
	dose_fails(t, "1049502", 5, "mL", "without a strength per mL");
	dose_fails(t, "1049502", 1, "scoop", "neither UCUM nor a dose form");
	/* liquids: mL x mg/mL ("oxycodone hydrochloride 1 MG/ML Oral Solution", morphine 2 MG/ML) */
	CHECK(CLOSE(dose_ok(t, "1049604", 5, "mL"), 5));
	CHECK(CLOSE(dose_ok(t, "892589", 0.0075, "L"), 15));
	dose_fails(t, "1049604", 1, "1", "a volume is needed");
	/* patches: mcg/hr; a number of patches x the patch rate */
	CHECK(CLOSE(dose_ok(t, "197696", 1, "patch"), 75));
	CHECK(CLOSE(dose_ok(t, "261186", 75, "ug/h"), 75));
	CHECK(CLOSE(dose_ok(t, "197696", 75, "mcg/hr"), 75));
	CHECK(CLOSE(dose_ok(t, "197696", 0.075, "mg/h"), 75));
	CHECK(CLOSE(dose_ok(t, "197696", 1.8, "mg/d"), 75));
	dose_fails(t, "197696", 25, "mg", "rate in mcg/hr");
	dose_fails(t, "197696", 1, "tablet", "not the same form");
}

static void test_rates(void)
{
	double v = -1;
	char why[256] = "";
	/* 2 mg/h = 48 mg/day; 100 ug per 1 h = 2.4 mg/day; 12 mg per 12 h = 24 mg/day; 1 mg/min = 1440 mg/day */
	CHECK(mn_mme_rate_mg_per_day(2, "mg/h", 1, NULL, &v, why, sizeof why) && CLOSE(v, 48));
	CHECK(mn_mme_rate_mg_per_day(100, "ug", 1, "h", &v, why, sizeof why) && CLOSE(v, 2.4));
	CHECK(mn_mme_rate_mg_per_day(12, "mg", 12, "h", &v, why, sizeof why) && CLOSE(v, 24));
	CHECK(mn_mme_rate_mg_per_day(1, "mg/min", 1, NULL, &v, why, sizeof why) && CLOSE(v, 1440));
	CHECK(mn_mme_rate_mg_per_day(75, "mcg/hr", 1, NULL, &v, why, sizeof why) && CLOSE(v, 1.8));
	v = -1;
	CHECK(!mn_mme_rate_mg_per_day(1, "mg", 1, "{tablet}", &v, why, sizeof why) && strstr(why, "not a mass per time"));
	CHECK(!mn_mme_rate_mg_per_day(1, "mL/h", 1, NULL, &v, why, sizeof why) && strstr(why, "not a mass per time"));
	CHECK(!mn_mme_rate_mg_per_day(1, "drops", 1, "h", &v, why, sizeof why) && strstr(why, "not UCUM"));
	CHECK(v == -1);
}

/* ---- records: the worked examples at each level ----------------------------- */

#define REC(...) "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[" \
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}}" __VA_ARGS__ "]}"
/* An active order for an RxNorm code with one dosage instruction. */
#define ORDER(id, code, dosage) ",{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"" id "\"," \
	"\"status\":\"active\",\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/p\"}," \
	"\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"" RXNORM "\",\"code\":\"" code "\"}]}," \
	"\"authoredOn\":\"2026-11-01\",\"dosageInstruction\":[" dosage "]}}"
#define Q(v, u) "{\"value\":" v ",\"unit\":\"" u "\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"" u "\"}"
/* n times a day, dose q */
#define PER_DAY(n, q) "{\"timing\":{\"repeat\":{\"frequency\":" n ",\"period\":1,\"periodUnit\":\"d\"}}," \
	"\"doseAndRate\":[{\"doseQuantity\":" q "}]}"
#define EVERY_H(h, q) "{\"timing\":{\"repeat\":{\"frequency\":1,\"period\":" h ",\"periodUnit\":\"h\"}}," \
	"\"doseAndRate\":[{\"doseQuantity\":" q "}]}"

static mn_scores *scores_of(const mn_score_config *cfg, const char *json, mn_arena *a, mn_case **c)
{
	mn_error err;
	mn_error_clear(&err);
	mn_datetime as_of;
	mn_scores *s = NULL;
	*c = NULL;
	CHECK_INT(mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, &err), MN_OK);
	if (mn_case_load("test_mme", json, strlen(json), c, &err) != MN_OK) {
		CHECK_MSG(0, "record: %s", err.message);
		return NULL;
	}
	if (mn_scores_compute(cfg, *c, &as_of, a, &s, &err) != MN_OK)
		CHECK_MSG(0, "scores: %s", err.message);
	return s;
}

/* The value at mme.<list>[i].<key> (or mme.<key> when list is NULL) as text. */
static const char *mme_value(const mn_scores *s, const char *list, size_t i, const char *key)
{
	static char buf[4][512];
	static int k;
	const mn_json *m = s ? mn_json_get(s->json, "mme") : NULL;
	if (m && list) {
		const mn_json *arr = mn_json_get(m, list);
		m = arr && arr->type == MN_JSON_ARRAY && i < arr->n ? &arr->u.items[i] : NULL;
	}
	const mn_json *v = m ? mn_json_get(m, key) : NULL;
	if (!v)
		return "(absent)";
	char *b = buf[k++ % 4];
	if (v->type == MN_JSON_TRUE || v->type == MN_JSON_FALSE)
		snprintf(b, 512, "%s", v->type == MN_JSON_TRUE ? "true" : "false");
	else if (v->type == MN_JSON_STRING || v->type == MN_JSON_NUMBER)
		snprintf(b, 512, "%.*s", (int)v->n, v->u.s);
	else
		return "(not a scalar)";
	return b;
}

/* drugs[0..n-1] all computed as drug, mg/day x factor = MME/day. */
static void each_computed(const mn_scores *s, size_t n, const char *drug, const char *mg, const char *factor,
                          const char *mme)
{
	for (size_t i = 0; i < n; i++) {
		CHECK_STR(mme_value(s, "drugs", i, "drug"), drug);
		CHECK_STR(mme_value(s, "drugs", i, "status"), "computed");
		CHECK_STR(mme_value(s, "drugs", i, "mgPerDay"), mg);
		CHECK_STR(mme_value(s, "drugs", i, "factor"), factor);
		CHECK_STR(mme_value(s, "drugs", i, "mmePerDay"), mme);
	}
}

static void test_records(const mn_score_config *cfg)
{
	mn_arena *a = mn_arena_new();
	mn_case *c;
	mn_scores *s;

	/* hydrocodone 5 mg QID = 20 MME/day: as the ingredient (5 mg), the clinical drug and the branded drug
	 * (1 tablet of "hydrocodone bitartrate 5 MG") -> 20 each, total 60 */
	static const char hydrocodone[] = REC(
		ORDER("in", "5489", PER_DAY("4", Q("5", "mg")))
		ORDER("scd", "857002", PER_DAY("4", Q("1", "{tablet}")))
		ORDER("sbd", "857004", PER_DAY("4", Q("1", "{tablet}"))));
	if ((s = scores_of(cfg, hydrocodone, a, &c))) {
		each_computed(s, 3, "hydrocodone", "20", "1", "20");
		CHECK_STR(mme_value(s, NULL, 0, "complete"), "true");
		CHECK_STR(mme_value(s, NULL, 0, "totalMmePerDay"), "60");
	}
	mn_case_free(c);

	/* oxycodone ER 10 mg BID = 30 MME/day: the ingredient (10 mg = 0.01 g, UCUM), the clinical drug and
	 * the branded drug (1 tablet "12 HR oxycodone hydrochloride 10 MG" every 12 h) -> 30 each, total 90 */
	static const char oxycodone[] = REC(
		ORDER("in", "7804", PER_DAY("2", Q("0.01", "g")))
		ORDER("scd", "1049502", EVERY_H("12", Q("1", "{tablet}")))
		ORDER("sbd", "1049504", PER_DAY("2", "{\"value\":1,\"unit\":\"tablet\"}")));
	if ((s = scores_of(cfg, oxycodone, a, &c))) {
		each_computed(s, 3, "oxycodone", "20", "1.5", "30");
		CHECK_STR(mme_value(s, NULL, 0, "totalMmePerDay"), "90");
	}
	mn_case_free(c);

	/* transdermal fentanyl 2.4 per mcg/hr: the guide's 75 mcg/hr patch as the clinical drug (1 patch) and
	 * the branded drug (75 ug/h) -> 180 each; the ingredient code 4337 with 75 ug/h: no factor (the form
	 * is not stated), so the total is incomplete and only the partial sum (360) is given */
	static const char fentanyl[] = REC(
		ORDER("scd", "197696", "{\"timing\":{\"repeat\":{\"frequency\":1,\"period\":3,\"periodUnit\":\"d\"}},"
		      "\"doseAndRate\":[{\"doseQuantity\":{\"value\":1,\"unit\":\"patch\"}}]}")
		ORDER("sbd", "261186", "{\"doseAndRate\":[{\"doseQuantity\":" Q("75", "ug/h") "}]}")
		ORDER("in", "4337", "{\"doseAndRate\":[{\"doseQuantity\":" Q("75", "ug/h") "}]}"));
	if ((s = scores_of(cfg, fentanyl, a, &c))) {
		CHECK_STR(mme_value(s, "drugs", 0, "mcgPerHour"), "75");
		CHECK_STR(mme_value(s, "drugs", 0, "mmePerDay"), "180");
		CHECK_STR(mme_value(s, "drugs", 1, "mcgPerHour"), "75");
		CHECK_STR(mme_value(s, "drugs", 1, "mmePerDay"), "180");
		CHECK_STR(mme_value(s, "notInTable", 0, "reference"), "MedicationRequest/in");
		CHECK(strstr(mme_value(s, "notInTable", 0, "reason"), "one dose form only") != NULL);
		CHECK_STR(mme_value(s, NULL, 0, "complete"), "false");
		CHECK_STR(mme_value(s, NULL, 0, "partialMmePerDay"), "360");
		CHECK_STR(mme_value(s, NULL, 0, "totalMmePerDay"), "(absent)");
	}
	mn_case_free(c);

	/* an infusion of the morphine ingredient (7052) at 1 mg per 1 h (a rate Ratio, UCUM): 24 mg/day x 1.0 */
	static const char infusion[] = REC(
		",{\"resource\":{\"resourceType\":\"MedicationAdministration\",\"id\":\"iv\",\"status\":\"in-progress\","
		"\"subject\":{\"reference\":\"Patient/p\"},\"medicationCodeableConcept\":{\"coding\":[{\"system\":\""
		RXNORM "\",\"code\":\"7052\"}]},\"effectivePeriod\":{\"start\":\"2026-11-19\"},\"dosage\":{\"rateRatio\":"
		"{\"numerator\":" Q("1", "mg") ",\"denominator\":" Q("1", "h") "}}}}");
	if ((s = scores_of(cfg, infusion, a, &c))) {
		each_computed(s, 1, "morphine", "24", "1", "24");
		CHECK_STR(mme_value(s, NULL, 0, "totalMmePerDay"), "24");
	}
	mn_case_free(c);

	/* packs (GPCK, BPCK): mapped to fentanyl 0.6 MG/ACTUAT, no factor for that form: reported, not counted */
	static const char packs[] = REC(
		ORDER("gpck", "1740007", PER_DAY("1", Q("1", "{actuat}")))
		ORDER("bpck", "1740008", PER_DAY("1", Q("1", "{actuat}"))));
	if ((s = scores_of(cfg, packs, a, &c))) {
		CHECK(strstr(mme_value(s, "notInTable", 0, "reason"), "Mucosal") == NULL);  /* the pack's own form */
		CHECK(strstr(mme_value(s, "notInTable", 0, "reason"), "Pack: the CDC 2022 factor for Fentanyl "
		                                                      "transdermal is for another dose form only"));
		CHECK(strstr(mme_value(s, "notInTable", 1, "reason"), "another dose form only"));
		CHECK_STR(mme_value(s, NULL, 0, "complete"), "false");
		CHECK_STR(mme_value(s, NULL, 0, "partialMmePerDay"), "0");
	}
	mn_case_free(c);

	/* as needed: the maximum the order allows, said so. Oxycodone (ingredient) 5 mg PRN, at most 30 mg a
	 * day -> 30 x 1.5 = 45; oxycodone 5 mg tablets PRN, at most 6 tablets a day -> 30 mg x 1.5 = 45;
	 * hydrocodone 5 mg PRN with neither a maximum nor a schedule: not computable, with the reason. */
	static const char prn[] = REC(
		ORDER("in", "7804", "{\"asNeededBoolean\":true,\"doseAndRate\":[{\"doseQuantity\":" Q("5", "mg") "}],"
		      "\"maxDosePerPeriod\":{\"numerator\":" Q("30", "mg") ",\"denominator\":" Q("1", "d") "}}")
		ORDER("scd", "1049621", "{\"asNeededBoolean\":true,\"doseAndRate\":[{\"doseQuantity\":" Q("1", "{tablet}")
		      "}],\"maxDosePerPeriod\":{\"numerator\":" Q("6", "{tablet}") ",\"denominator\":" Q("1", "d") "}}")
		ORDER("none", "5489", "{\"asNeededBoolean\":true,\"doseAndRate\":[{\"doseQuantity\":" Q("5", "mg") "}]}"));
	if ((s = scores_of(cfg, prn, a, &c))) {
		each_computed(s, 2, "oxycodone", "30", "1.5", "45");
		for (size_t i = 0; i < 2; i++) {
			CHECK_STR(mme_value(s, "drugs", i, "asNeeded"), "true");
			CHECK(strstr(mme_value(s, "drugs", i, "dosesFrom"), "the maximum the order allows"));
		}
		CHECK_STR(mme_value(s, "drugs", 2, "status"), "dose-not-structured");
		CHECK(strstr(mme_value(s, "drugs", 2, "reason"), "as needed, no maxDosePerPeriod and no schedule"));
		CHECK_STR(mme_value(s, NULL, 0, "complete"), "false");
		CHECK_STR(mme_value(s, NULL, 0, "partialMmePerDay"), "90");
	}
	mn_case_free(c);

	/* what cannot be computed says why: tablets for an ingredient code; mg of a combination product;
	 * meperidine (no CDC 2022 factor) */
	static const char refused[] = REC(
		ORDER("in-tab", "7804", PER_DAY("2", Q("1", "{tablet}")))
		ORDER("comb-mg", "857002", PER_DAY("4", Q("5", "mg")))
		ORDER("meperidine", "861447", PER_DAY("4", Q("1", "mL"))));
	if ((s = scores_of(cfg, refused, a, &c))) {
		CHECK(strstr(mme_value(s, "drugs", 0, "reason"), "ingredient code: the code gives no strength per unit"));
		CHECK(strstr(mme_value(s, "drugs", 1, "reason"), "combination product"));
		CHECK(strstr(mme_value(s, "notInTable", 0, "reason"), "Meperidine (RxNorm 6754): no factor"));
		CHECK_STR(mme_value(s, NULL, 0, "complete"), "false");
		CHECK_STR(mme_value(s, NULL, 0, "partialMmePerDay"), "0");
	}
	mn_case_free(c);
	mn_arena_free(a);
}

/* ---- a malformed RxNorm table fails to load, with file and line ------------- */

static void table_fails(const char *tsv, const char *want)
{
	char dir[] = "/tmp/mn-test-mme-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char yaml[600], rx[600];
	snprintf(yaml, sizeof yaml, "%s/f.yaml", dir);
	snprintf(rx, sizeof rx, "%s/rx.tsv", dir);
	FILE *f = fopen(yaml, "w");
	fputs("id: x\ntitle: x\ncitation: x\nurl: x\nverification: confirmed\nchecked: x\nrxnorm-table: rx.tsv\n"
	      "factors:\n  - drug: o\n    display: O\n    rxnorm: \"7804\"\n    factor: 1.5\n    basis: mg/day\n", f);
	fclose(f);
	f = fopen(rx, "w");
	fputs(tsv, f);
	fclose(f);
	mn_mme_table *t = NULL;
	mn_error err;
	mn_error_clear(&err);
	CHECK_INT(mn_mme_table_load(yaml, &t, &err), MN_EPOLICY);
	CHECK_MSG(strstr(err.message, want) != NULL, "'%s', want '%s'", err.message, want);
	CHECK(t == NULL);
	remove(rx);
	remove(yaml);
	remove(dir);
}

#define HEAD "# Source: test\nrxcui\tlevel\tingredient\tingredient-name\tstrength\tunit\tdose-form\tdose-form-name\t" \
	"combination\tname\tnote\n"

static void test_table_errors(void)
{
	table_fails("rxcui\tlevel\n", "not 11 tab-separated columns");
	table_fails(HEAD "1\tSCD\t7804\tO\t5\tmg\t317541\tOral Tablet\t0\to 5 MG Oral Tablet\t\n"
	                 "1\tSCD\t7804\tO\t5\tmg\t317541\tOral Tablet\t0\to 5 MG Oral Tablet\t\n", ":4: RxNorm 1 listed twice");
	table_fails(HEAD "1\tXYZ\t7804\tO\t5\tmg\t317541\tOral Tablet\t0\tn\t\n", "level is not");
	table_fails(HEAD "1\tSCD\t7804\tO\t5\tMG\t317541\tOral Tablet\t0\tn\t\n", "unit is not");
	table_fails(HEAD "1\tSCD\t7804\tO\t-5\tmg\t317541\tOral Tablet\t0\tn\t\n", "not a positive number");
	table_fails(HEAD "1\tSCD\t7804\tO\t\tmg\t317541\tOral Tablet\t0\tn\t\n", "needs a note");
	table_fails(HEAD "7804\tSCD\t7804\tO\t5\tmg\t317541\tOral Tablet\t0\tn\t\n", "also an ingredient code");
	table_fails(HEAD, "no header or no rows");
	table_fails("rxcui\tlevel\tingredient\tingredient-name\tstrength\tunit\tdose-form\tdose-form-name\t"
	            "combination\tname\tnote\n1\tSCD\t7804\tO\t5\tmg\t317541\tOral Tablet\t0\tn\t\n", "no '# Source: '");
}

int main(void)
{
	mn_error err;
	mn_error_clear(&err);
	char path[1024];
	snprintf(path, sizeof path, "%s/knowledge/mme-cdc-2022.yaml", mn_test_source_dir());
	mn_mme_table *t = NULL;
	CHECK_INT(mn_mme_table_load(path, &t, &err), MN_OK);
	if (t) {
		test_levels(t);
		test_strengths_in_names(t);
		test_doses(t);
	} else {
		fprintf(stderr, "%s\n", err.message);
	}
	test_rates();
	mn_mme_table_free(t);
	mn_score_config *cfg = NULL;
	snprintf(path, sizeof path, "%s/knowledge", mn_test_source_dir());
	CHECK_INT(mn_score_config_load(path, &cfg, &err), MN_OK);
	if (cfg)
		test_records(cfg);
	mn_score_config_free(cfg);
	test_table_errors();
	TEST_END();
}
