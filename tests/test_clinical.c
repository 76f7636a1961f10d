/*
 * test_clinical.c: the clinical calculators on published worked examples
 * (shared/clinical/facts.md §2, §3, §4, §8), their error cases, the factor
 * table and binding files (knowledge/), the scores of the example case and
 * of a fixture with every input kind (tests/data/clinical/), and the
 * `mednec score` command (src/cli/score.c, compiled in here).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "mednec/clinical.h"
#include "mednec/knowledge.h"
#include "cli/common.c"
#include "cli/score.c"
#include "clinical/scores_int.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static char *src_path(const char *rel)
{
	static char buf[8][1024];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, 1024, "%s/%s", mn_test_source_dir(), rel);
	return p;
}

static const char *numtext(double v)
{
	static char b[4][64];
	static int k;
	char *p = b[k++ % 4];
	mn_score_number(v, p, 64);
	return p;
}

/* ---- Budapest ----------------------------------------------------------- */

static mn_budapest_result budapest(const unsigned sx[4], const unsigned sg[4], mn_tristate pain, mn_tristate nb)
{
	mn_budapest_input in;
	memset(&in, 0, sizeof in);
	memcpy(in.symptoms, sx, sizeof in.symptoms);
	memcpy(in.signs, sg, sizeof in.signs);
	in.disproportionate_pain = pain;
	in.no_better_diagnosis = nb;
	mn_budapest_result r;
	memset(&r, 0x55, sizeof r);
	mn_error err;
	mn_error_clear(&err);
	CHECK_INT(mn_budapest(&in, &r, &err), MN_OK);
	return r;
}

static void test_budapest(void)
{
	/* symptoms in 3 categories, signs in 2: clinical met, research not (needs all 4) */
	unsigned sx3[4] = {1, 1, 0, 2}, sg2[4] = {0, 1, 1, 0};
	mn_budapest_result r = budapest(sx3, sg2, MN_YES, MN_YES);
	CHECK_INT(r.symptom_categories, 3);
	CHECK_INT(r.sign_categories, 2);
	CHECK(r.clinical_counts && !r.research_counts);
	CHECK_INT(r.clinical_met, MN_YES);
	CHECK_INT(r.research_met, MN_NO);

	/* symptoms in 4, signs in 2: both */
	unsigned sx4[4] = {1, 1, 1, 1};
	r = budapest(sx4, sg2, MN_YES, MN_YES);
	CHECK_INT(r.clinical_met, MN_YES);
	CHECK_INT(r.research_met, MN_YES);

	/* the example's pattern: symptoms in 4, signs in 3 */
	unsigned sg3[4] = {1, 1, 1, 0};
	r = budapest(sx4, sg3, MN_YES, MN_YES);
	CHECK_INT(r.sign_categories, 3);
	CHECK_INT(r.clinical_met, MN_YES);
	CHECK_INT(r.research_met, MN_YES);

	/* symptoms in 2 categories (several findings in one count once): neither */
	unsigned sx2[4] = {5, 0, 0, 1};
	r = budapest(sx2, sg3, MN_YES, MN_YES);
	CHECK_INT(r.symptom_categories, 2);
	CHECK_INT(r.clinical_met, MN_NO);
	CHECK_INT(r.research_met, MN_NO);

	/* signs in 1 category: neither, even with symptoms in all 4 */
	unsigned sg1[4] = {0, 0, 0, 3};
	r = budapest(sx4, sg1, MN_YES, MN_YES);
	CHECK_INT(r.sign_categories, 1);
	CHECK_INT(r.clinical_met, MN_NO);
	CHECK_INT(r.research_met, MN_NO);

	/* criterion 1 or 4 false: not met; not recorded: undetermined when the counts hold */
	r = budapest(sx4, sg3, MN_NO, MN_YES);
	CHECK_INT(r.clinical_met, MN_NO);
	r = budapest(sx4, sg3, MN_YES, MN_NO);
	CHECK_INT(r.research_met, MN_NO);
	r = budapest(sx4, sg3, MN_UNKNOWN, MN_YES);
	CHECK_INT(r.clinical_met, MN_UNKNOWN);
	CHECK_INT(r.research_met, MN_UNKNOWN);
	r = budapest(sx3, sg2, MN_YES, MN_UNKNOWN);
	CHECK_INT(r.clinical_met, MN_UNKNOWN);
	CHECK_INT(r.research_met, MN_NO);  /* counts fail: not met whatever criterion 4 says */

	/* no findings at all */
	unsigned none[4] = {0, 0, 0, 0};
	r = budapest(none, none, MN_YES, MN_YES);
	CHECK_INT(r.symptom_categories, 0);
	CHECK_INT(r.clinical_met, MN_NO);

	/* errors and names */
	mn_budapest_input bad;
	memset(&bad, 0, sizeof bad);
	bad.disproportionate_pain = (mn_tristate)7;
	mn_budapest_result out;
	mn_error err;
	mn_error_clear(&err);
	CHECK_INT(mn_budapest(&bad, &out, &err), MN_EUSAGE);
	CHECK_INT(mn_budapest(NULL, &out, &err), MN_EUSAGE);
	CHECK_STR(mn_budapest_category_name(MN_BUDAPEST_SUDOMOTOR_EDEMA), "sudomotor-edema");
	CHECK(mn_budapest_category_name(4) == NULL);
	CHECK_INT(mn_budapest_category_parse("motor-trophic"), MN_BUDAPEST_MOTOR_TROPHIC);
	CHECK_INT(mn_budapest_category_parse("motor"), -1);
	CHECK_INT(mn_budapest_category_parse(NULL), -1);
}

/* ---- ODI ------------------------------------------------------------------ */

static mn_odi_band band(double p)
{
	mn_odi_band b = (mn_odi_band)99;
	mn_error err;
	mn_error_clear(&err);
	CHECK_INT(mn_odi_band_of(p, &b, &err), MN_OK);
	return b;
}

static void test_odi(void)
{
	mn_error err;
	mn_error_clear(&err);
	mn_odi_result r;

	/* facts.md §3: 16 / 50 -> 32 % */
	int all[10] = {2, 2, 2, 2, 2, 2, 1, 1, 1, 1};
	CHECK_INT(mn_odi_from_sections(all, &r, &err), MN_OK);
	CHECK_INT(r.total, 16);
	CHECK_INT(r.answered, 10);
	CHECK_INT(r.denominator, 50);
	CHECK(NEAR(r.percent, 32.0));
	CHECK_INT(r.band, MN_ODI_MODERATE);

	/* one section not answered: 16 / 45 -> 35.56 % (sources print 35.5) */
	int missed[10] = {2, 2, 2, 2, 2, 2, 1, MN_ODI_UNANSWERED, 2, 1};
	CHECK_INT(mn_odi_from_sections(missed, &r, &err), MN_OK);
	CHECK_INT(r.total, 16);
	CHECK_INT(r.answered, 9);
	CHECK_INT(r.denominator, 45);
	CHECK(fabs(r.percent - 35.5556) < 1e-3);
	CHECK_STR(numtext(r.percent), "35.56");
	CHECK_INT(r.band, MN_ODI_MODERATE);

	/* extremes; one answered section only (no cut-off on missing sections is invented) */
	int zero[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, five[10] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
	CHECK_INT(mn_odi_from_sections(zero, &r, &err), MN_OK);
	CHECK(NEAR(r.percent, 0) && r.band == MN_ODI_MINIMAL);
	CHECK_INT(mn_odi_from_sections(five, &r, &err), MN_OK);
	CHECK(NEAR(r.percent, 100) && r.band == MN_ODI_BED_BOUND);
	int one[10] = {3, -1, -1, -1, -1, -1, -1, -1, -1, -1};
	CHECK_INT(mn_odi_from_sections(one, &r, &err), MN_OK);
	CHECK(NEAR(r.percent, 60) && r.answered == 1 && r.band == MN_ODI_SEVERE);

	/* bands at the boundaries */
	CHECK_INT(band(0), MN_ODI_MINIMAL);
	CHECK_INT(band(20), MN_ODI_MINIMAL);
	CHECK_INT(band(21), MN_ODI_MODERATE);
	CHECK_INT(band(40), MN_ODI_MODERATE);
	CHECK_INT(band(41), MN_ODI_SEVERE);
	CHECK_INT(band(60), MN_ODI_SEVERE);
	CHECK_INT(band(61), MN_ODI_CRIPPLED);
	CHECK_INT(band(64), MN_ODI_CRIPPLED);
	CHECK_INT(band(68), MN_ODI_CRIPPLED);
	CHECK_INT(band(80), MN_ODI_CRIPPLED);
	CHECK_INT(band(81), MN_ODI_BED_BOUND);
	CHECK_INT(band(100), MN_ODI_BED_BOUND);
	CHECK_INT(band(20.5), MN_ODI_BAND_NONE);  /* between published bands: none guessed */
	CHECK_INT(band(80.4), MN_ODI_BAND_NONE);
	CHECK_STR(mn_odi_band_name(MN_ODI_MINIMAL), "minimal disability");
	CHECK_STR(mn_odi_band_name(MN_ODI_CRIPPLED), "crippled");
	CHECK_STR(mn_odi_band_name(MN_ODI_BED_BOUND), "bed-bound or exaggerating symptoms");
	CHECK_STR(mn_odi_band_key(MN_ODI_SEVERE), "severe");
	CHECK_STR(mn_odi_band_name(MN_ODI_BAND_NONE), "");

	/* no percent from sections can fall between two bands (so sections always get one) */
	bool gap = false;
	for (int n = 1; n <= 10; n++)
		for (int k = 0; k <= 5 * n; k++) {
			mn_odi_band b;
			mn_odi_band_of((double)k * 100.0 / (5.0 * n), &b, &err);
			gap = gap || b == MN_ODI_BAND_NONE;
		}
	CHECK(!gap);

	/* recorded totals */
	CHECK_INT(mn_odi_from_total(64, &r, &err), MN_OK);
	CHECK(NEAR(r.percent, 64) && r.band == MN_ODI_CRIPPLED && r.answered == -1);

	/* errors */
	int six[10] = {6, 0, 0, 0, 0, 0, 0, 0, 0, 0}, neg[10] = {0, -2, 0, 0, 0, 0, 0, 0, 0, 0};
	int none[10] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
	CHECK_INT(mn_odi_from_sections(six, &r, &err), MN_EUSAGE);
	CHECK(strstr(err.message, "section 1") != NULL);
	CHECK_INT(mn_odi_from_sections(neg, &r, &err), MN_EUSAGE);
	CHECK_INT(mn_odi_from_sections(none, &r, &err), MN_EUSAGE);
	CHECK(strstr(err.message, "no section answered") != NULL);
	CHECK_INT(mn_odi_from_total(100.5, &r, &err), MN_EUSAGE);
	CHECK_INT(mn_odi_from_total(-1, &r, &err), MN_EUSAGE);
	CHECK_INT(mn_odi_from_total(NAN, &r, &err), MN_EUSAGE);
	CHECK_INT(mn_odi_from_total(INFINITY, &r, &err), MN_EUSAGE);
}

/* ---- MME ------------------------------------------------------------------ */

static void check_factor(const mn_mme_table *t, const char *drug, double factor, mn_mme_basis basis,
                         const char *rxnorm)
{
	const mn_mme_factor *f = mn_mme_factor_find(t, drug);
	CHECK_MSG(f != NULL, "%s", drug);
	if (!f)
		return;
	CHECK_MSG(f->has_factor && NEAR(f->factor, factor) && f->basis == basis, "%s factor %g", drug, f->factor);
	CHECK_STR(f->rxnorm, rxnorm);
}

static mn_mme_item mme(const mn_mme_table *t, const char *drug, double amount, mn_mme_basis basis)
{
	mn_mme_item it;
	memset(&it, 0, sizeof it);
	mn_error err;
	mn_error_clear(&err);
	CHECK_INT(mn_mme_drug(t, drug, amount, basis, &it, &err), MN_OK);
	return it;
}

static void test_mme(void)
{
	mn_error err;
	mn_error_clear(&err);
	mn_mme_table *t = NULL;
	CHECK_INT(mn_mme_table_load(src_path("knowledge/mme-cdc-2022.yaml"), &t, &err), MN_OK);
	if (!t) {
		fprintf(stderr, "%s\n", err.message);
		return;
	}
	CHECK_STR(t->id, "cdc-2022");
	CHECK(strstr(t->citation, "MMWR Recomm Rep 2022;71(RR-3):1-95") != NULL);
	CHECK_STR(t->url, "https://www.cdc.gov/mmwr/volumes/71/rr/rr7103a1.htm");
	CHECK_STR(t->verification, "confirmed");

	/* facts.md §4, factor by factor */
	check_factor(t, "codeine", 0.15, MN_MME_MG_PER_DAY, "2670");
	check_factor(t, "fentanyl-transdermal", 2.4, MN_MME_MCG_PER_HOUR, "4337");
	check_factor(t, "hydrocodone", 1.0, MN_MME_MG_PER_DAY, "5489");
	check_factor(t, "hydromorphone", 5.0, MN_MME_MG_PER_DAY, "3423");
	check_factor(t, "methadone", 4.7, MN_MME_MG_PER_DAY, "6813");
	check_factor(t, "morphine", 1.0, MN_MME_MG_PER_DAY, "7052");
	check_factor(t, "oxycodone", 1.5, MN_MME_MG_PER_DAY, "7804");
	check_factor(t, "oxymorphone", 3.0, MN_MME_MG_PER_DAY, "7814");
	check_factor(t, "tapentadol", 0.4, MN_MME_MG_PER_DAY, "787390");
	check_factor(t, "tramadol", 0.2, MN_MME_MG_PER_DAY, "10689");
	const mn_mme_factor *bup = mn_mme_factor_find(t, "buprenorphine");
	CHECK(bup && !bup->has_factor && bup->note && bup->rxnorm && strcmp(bup->rxnorm, "1819") == 0);
	CHECK_INT(t->nfactors, 11);

	/* worked examples: hydrocodone 5 mg QID = 20 MME/day; oxycodone ER 10 mg BID = 30 MME/day */
	double mg;
	CHECK_INT(mn_mme_daily(5, 4, &mg, &err), MN_OK);
	CHECK(NEAR(mg, 20));
	mn_mme_item hyd = mme(t, "hydrocodone", mg, MN_MME_MG_PER_DAY);
	CHECK_INT(hyd.status, MN_MME_COMPUTED);
	CHECK(NEAR(hyd.mme_per_day, 20));
	CHECK_INT(mn_mme_daily(10, 2, &mg, &err), MN_OK);
	mn_mme_item oxy = mme(t, "oxycodone", mg, MN_MME_MG_PER_DAY);
	CHECK(NEAR(oxy.mme_per_day, 30) && NEAR(oxy.factor, 1.5));

	/* transdermal fentanyl: per mcg/hr (25 mcg/hr x 2.4 = 60), never per mg/day */
	mn_mme_item fen = mme(t, "fentanyl-transdermal", 25, MN_MME_MCG_PER_HOUR);
	CHECK_INT(fen.status, MN_MME_COMPUTED);
	CHECK(NEAR(fen.mme_per_day, 60));
	mn_mme_item fen_mg = mme(t, "fentanyl-transdermal", 25, MN_MME_MG_PER_DAY);
	CHECK_INT(fen_mg.status, MN_MME_WRONG_BASIS);
	mn_mme_item mor_mcg = mme(t, "morphine", 25, MN_MME_MCG_PER_HOUR);
	CHECK_INT(mor_mcg.status, MN_MME_WRONG_BASIS);

	/* methadone: the single 2022 factor, not the old tiers (60 mg/day x 4.7 = 282, not x 12) */
	mn_mme_item met = mme(t, "methadone", 60, MN_MME_MG_PER_DAY);
	CHECK(NEAR(met.mme_per_day, 282));
	/* tramadol 0.2 (2022), not 0.1 (2016 file) */
	CHECK(NEAR(mme(t, "tramadol", 200, MN_MME_MG_PER_DAY).mme_per_day, 40));

	/* buprenorphine and an unknown drug: reported, never guessed */
	mn_mme_item b = mme(t, "buprenorphine", 8, MN_MME_MG_PER_DAY);
	CHECK_INT(b.status, MN_MME_NO_FACTOR);
	CHECK(b.mme_per_day == 0 && b.factor == 0 && b.reason && strstr(b.reason, "not in the CDC 2022 table"));
	mn_mme_item u = mme(t, "levorphanol", 8, MN_MME_MG_PER_DAY);
	CHECK_INT(u.status, MN_MME_UNKNOWN_DRUG);
	CHECK(u.mme_per_day == 0 && u.reason != NULL);
	CHECK_STR(mn_mme_status_name(u.status), "not-in-table");

	/* totals */
	mn_mme_item items[3] = {hyd, oxy, fen};
	bool complete = false;
	CHECK(NEAR(mn_mme_total(items, 3, &complete), 110));
	CHECK(complete);
	items[2] = b;
	CHECK(NEAR(mn_mme_total(items, 3, &complete), 50));
	CHECK(!complete);

	/* products of the example */
	const mn_mme_product *p = mn_mme_product_find(t, "http://www.nlm.nih.gov/research/umls/rxnorm", "891881");
	CHECK(p && strcmp(p->drug, "morphine") == 0 && NEAR(p->strength, 15) && !p->combination);
	p = mn_mme_product_find(t, "http://www.nlm.nih.gov/research/umls/rxnorm", "857002");
	CHECK(p && strcmp(p->drug, "hydrocodone") == 0 && NEAR(p->strength, 5) && p->combination);
	CHECK(mn_mme_product_find(t, "http://snomed.info/sct", "891881") == NULL);

	/* errors: never a silent result for a bad amount */
	mn_mme_item it;
	CHECK_INT(mn_mme_drug(t, "morphine", -1, MN_MME_MG_PER_DAY, &it, &err), MN_EUSAGE);
	CHECK_INT(mn_mme_drug(t, "morphine", NAN, MN_MME_MG_PER_DAY, &it, &err), MN_EUSAGE);
	CHECK_INT(mn_mme_drug(t, "morphine", 1e300, MN_MME_MG_PER_DAY, &it, &err), MN_EUSAGE);
	CHECK_INT(mn_mme_drug(t, "morphine", 1, (mn_mme_basis)0, &it, &err), MN_EUSAGE);
	CHECK_INT(mn_mme_daily(1e6, 1e6, &mg, &err), MN_EUSAGE);
	CHECK_INT(mn_mme_daily(INFINITY, 1, &mg, &err), MN_EUSAGE);
	mn_mme_table_free(t);
}

/* A factor table written to a temporary file must fail to load with the key named. */
static void table_fails(const char *yaml, const char *want_path, const char *want_msg)
{
	char path[] = "/tmp/mn-test-mme-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "w");
	fputs(yaml, f);
	fclose(f);
	mn_error err;
	mn_error_clear(&err);
	mn_mme_table *t = NULL;
	CHECK_INT(mn_mme_table_load(path, &t, &err), MN_EPOLICY);
	CHECK(t == NULL);
	CHECK_MSG(strcmp(err.path, want_path) == 0, "path '%s', want '%s' (%s)", err.path, want_path, err.message);
	CHECK_MSG(strstr(err.message, want_msg) != NULL, "message '%s', want '%s'", err.message, want_msg);
	CHECK(err.line > 0);
	mn_mme_table_free(t);
	unlink(path);
}

#define TABLE_HEAD "id: x\ntitle: x\ncitation: x\nurl: x\nverification: confirmed\nchecked: x\n"

static void test_mme_table_errors(void)
{
	table_fails(TABLE_HEAD "factors:\n  - drug: a\n    display: A\n    factor: 1\n    basis: mg/day\n    colour: red\n",
	            "factors.0", "unknown key 'colour'");
	table_fails(TABLE_HEAD "factors:\n  - drug: a\n    display: A\n    factor: one\n    basis: mg/day\n",
	            "factors.0.factor", "not a number");
	table_fails(TABLE_HEAD "factors:\n  - drug: a\n    display: A\n    factor: 1\n    basis: mg/week\n",
	            "factors.0.basis", "not mg/day or mcg/hr");
	table_fails(TABLE_HEAD "factors:\n  - drug: a\n    display: A\n    factor: none\n",
	            "factors.0", "needs a 'note'");
	table_fails(TABLE_HEAD "factors:\n  - drug: a\n    display: A\n    factor: 1\n    basis: mg/day\n"
	            "  - drug: a\n    display: A\n    factor: 2\n    basis: mg/day\n",
	            "factors", "listed twice");
	table_fails(TABLE_HEAD "factors:\n  - drug: a\n    display: A\n    factor: 1\n    basis: mg/day\n"
	            "products:\n  - system: s\n    code: c\n    display: d\n    drug: b\n    strength: 5\n    unit: mg\n"
	            "    dose-form: tablet\n", "products.0.drug", "drug 'b' is not in factors");
	table_fails(TABLE_HEAD "factors:\n  - drug: f\n    display: F\n    factor: 2.4\n    basis: mcg/hr\n"
	            "products:\n  - system: s\n    code: c\n    display: d\n    drug: f\n    strength: 25\n    unit: mg\n"
	            "    dose-form: patch\n", "products.0.unit", "strengths are in ug/h");
	table_fails("id: x\ntitle: x\ncitation: x\nurl: x\nverification: secondary\nchecked: x\n"
	            "factors:\n  - drug: a\n    display: A\n    factor: 1\n    basis: mg/day\n",
	            "verification", "must be confirmed");
	table_fails(TABLE_HEAD "factors: []\n", "factors", "non-empty list");
	mn_error err;
	mn_error_clear(&err);
	mn_mme_table *t = NULL;
	CHECK_INT(mn_mme_table_load("/nonexistent/mme.yaml", &t, &err), MN_EIO);
}

/* ---- relief and EQ-5D ------------------------------------------------------- */

static void test_relief(void)
{
	mn_error err;
	mn_error_clear(&err);
	mn_relief_result r;
	CHECK_INT(mn_relief(8, 4, 10, &r, &err), MN_OK);
	CHECK(NEAR(r.percent, 50) && NEAR(r.baseline, 8) && NEAR(r.trial, 4));
	CHECK_INT(mn_relief(9, 3, 10, &r, &err), MN_OK);
	CHECK_STR(numtext(r.percent), "66.67");
	CHECK_INT(mn_relief(9, 7, 10, &r, &err), MN_OK);
	CHECK_STR(numtext(r.percent), "22.22");
	CHECK_INT(mn_relief(6, 9, 10, &r, &err), MN_OK);  /* worse: negative relief */
	CHECK(NEAR(r.percent, -50));
	CHECK_INT(mn_relief(80, 20, 100, &r, &err), MN_OK);  /* VAS in mm */
	CHECK(NEAR(r.percent, 75));
	CHECK_INT(mn_relief(7, 0, 10, &r, &err), MN_OK);
	CHECK(NEAR(r.percent, 100));
	CHECK_INT(mn_relief(0, 0, 10, &r, &err), MN_EUSAGE);
	CHECK(strstr(err.message, "undefined") != NULL);
	CHECK_INT(mn_relief(11, 2, 10, &r, &err), MN_EUSAGE);
	CHECK_INT(mn_relief(8, -1, 10, &r, &err), MN_EUSAGE);
	CHECK_INT(mn_relief(8, NAN, 10, &r, &err), MN_EUSAGE);
	CHECK_INT(mn_relief(8, 2, 0, &r, &err), MN_EUSAGE);
}

static void test_eq5d(void)
{
	mn_error err;
	mn_error_clear(&err);
	mn_eq5d_input in = {5, {1, 1, 2, 2, 3}, "US 5L"};
	mn_eq5d_result r;
	CHECK_INT(mn_eq5d(&in, &r, &err), MN_OK);
	CHECK_STR(r.state, "11223");
	CHECK(!r.index_computed);
	CHECK_STR(r.index_note, "index not computed: no verified value-set table shipped");
	mn_eq5d_input l3 = {3, {3, 3, 3, 3, 3}, NULL};
	CHECK_INT(mn_eq5d(&l3, &r, &err), MN_OK);
	CHECK_STR(r.state, "33333");
	CHECK(!r.index_computed);
	l3.levels[1] = 4;
	CHECK_INT(mn_eq5d(&l3, &r, &err), MN_EUSAGE);
	CHECK(strstr(err.message, "self-care") != NULL);
	mn_eq5d_input v4 = {4, {1, 1, 1, 1, 1}, NULL};
	CHECK_INT(mn_eq5d(&v4, &r, &err), MN_EUSAGE);
	mn_eq5d_input zero = {5, {1, 0, 1, 1, 1}, NULL};
	CHECK_INT(mn_eq5d(&zero, &r, &err), MN_EUSAGE);
	CHECK_STR(mn_eq5d_dimension_name(3), "pain-discomfort");
	CHECK(mn_eq5d_dimension_name(5) == NULL);
}

static void test_number(void)
{
	/* whole numbers (written without formatting) and their neighbours (formatted) */
	static const struct {
		double v;
		const char *text;
	} T[] = {
		{32, "32"}, {2.4, "2.4"}, {0.15, "0.15"}, {-0.001, "0"}, {100, "100"}, {1.005e3, "1005"},
		{0, "0"}, {-0.0, "0"}, {-7, "-7"}, {-0.004, "0"}, {-0.005, "-0.01"}, {9.999, "10"}, {64.444, "64.44"},
		{1e14, "100000000000000"}, {-999999999999999.0, "-999999999999999"}, {1e15, "1000000000000000"},
		{1e20, "100000000000000000000"}, {2147483648.0, "2147483648"},
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
		CHECK_STR(numtext(T[i].v), T[i].text);
	/* too small a buffer: "" as "%.2f" would not fit ("12.00" needs 6 bytes, "-0.00" 6) */
	char b[8];
	CHECK_INT(mn_score_number(12, b, 6), 2);
	CHECK_STR(b, "12");
	CHECK_INT(mn_score_number(12, b, 5), 0);
	CHECK_STR(b, "");
	CHECK_INT(mn_score_number(-12, b, 6), 0);
	CHECK_STR(b, "");
	CHECK_INT(mn_score_number(-0.0, b, 6), 1);
	CHECK_STR(b, "0");
	CHECK_INT(mn_score_number(-0.0, b, 5), 0);
	CHECK_INT(mn_score_number(0, b, 5), 1);
	CHECK_STR(b, "0");
	CHECK_INT(mn_score_number(0, b, 4), 0);
	CHECK_INT(mn_score_number(1.5, b, 5), 3);  /* "1.50" */
	CHECK_STR(b, "1.5");
	CHECK_INT(mn_score_number(1.5, b, 4), 0);
	CHECK_INT(mn_score_number(1.5, b, 0), 0);
}

/* ---- scores from a record --------------------------------------------------- */

static const mn_score *find_score(const mn_scores *s, const char *name, size_t nth)
{
	for (size_t i = 0; i < s->nscores; i++)
		if (strcmp(s->scores[i].name, name) == 0 && nth-- == 0)
			return &s->scores[i];
	return NULL;
}

static bool has_source(const mn_score *sc, const char *id, const char *role)
{
	for (size_t i = 0; sc && i < sc->nsources; i++)
		if (strcmp(sc->sources[i].resource->id, id) == 0 && strcmp(sc->sources[i].role, role) == 0)
			return true;
	return false;
}

static bool has_detail(const mn_score *sc, const char *text)
{
	for (size_t i = 0; sc && i < sc->ndetails; i++)
		if (strstr(sc->details[i], text))
			return true;
	return false;
}

/* JSON path: "odi/2/percent" (object keys and array indexes). */
static const mn_json *jpath(const mn_json *v, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *tok = strtok(buf, "/"); tok && v; tok = strtok(NULL, "/")) {
		if (v->type == MN_JSON_ARRAY) {
			long i = strtol(tok, NULL, 10);
			v = i >= 0 && (uint32_t)i < v->n ? &v->u.items[i] : NULL;
		} else {
			v = mn_json_get(v, tok);
		}
	}
	return v;
}

static bool jis(const mn_json *root, const char *path, const char *text)
{
	const mn_json *v = jpath(root, path);
	if (!v)
		return false;
	if (v->type == MN_JSON_TRUE)
		return strcmp(text, "true") == 0;
	if (v->type == MN_JSON_FALSE)
		return strcmp(text, "false") == 0;
	if (v->type == MN_JSON_STRING || v->type == MN_JSON_NUMBER)
		return strlen(text) == v->n && memcmp(v->u.s, text, v->n) == 0;
	return false;
}

static mn_scores *score_case(mn_score_config *cfg, const char *rel, const char *as_of_text, mn_case **kase,
                             mn_arena *a)
{
	mn_error err;
	mn_error_clear(&err);
	mn_datetime as_of;
	CHECK_INT(mn_datetime_parse(as_of_text, strlen(as_of_text), MN_DT_DATE, &as_of, &err), MN_OK);
	*kase = NULL;
	if (mn_case_load_file(src_path(rel), kase, &err) != MN_OK) {
		CHECK_MSG(0, "%s: %s", rel, err.message);
		return NULL;
	}
	mn_scores *s = NULL;
	CHECK_INT(mn_scores_compute(cfg, *kase, &as_of, a, &s, &err), MN_OK);
	if (!s)
		fprintf(stderr, "%s\n", err.message);
	return s;
}

static void test_example_case(mn_score_config *cfg)
{
	mn_arena *a = mn_arena_new();
	mn_case *kase;
	mn_scores *s = score_case(cfg, "examples/crps-ii-drg-trial.json", "2026-11-20", &kase, a);
	if (s) {
		CHECK_STR(s->as_of, "2026-11-20");
		const mn_score *b = find_score(s, "budapest", 0);
		CHECK(b && b->computed);
		CHECK(b && strstr(b->value, "clinical criteria met") != NULL);
		CHECK(has_detail(b, "symptoms in 4 of 4 categories"));
		CHECK(has_detail(b, "signs in 3 of 4 categories (sensory, vasomotor, sudomotor-edema)"));
		CHECK(has_source(b, "budapest-sx-sensory", "symptom"));
		CHECK(has_source(b, "budapest-sx-motor", "symptom"));
		CHECK(has_source(b, "budapest-sign-sudomotor", "sign"));
		CHECK(has_source(b, "budapest-disproportionate-pain", "disproportionate-pain"));
		CHECK(has_source(b, "budapest-no-better-diagnosis", "no-better-diagnosis"));
		CHECK_INT(b ? b->nsources : 0, 9);
		const mn_json *j = s->json;
		CHECK(jis(j, "asOf", "2026-11-20"));
		CHECK(jis(j, "budapest/clinicalMet", "true"));
		CHECK(jis(j, "budapest/researchMet", "true"));
		CHECK(jis(j, "budapest/symptomCategories", "4"));
		CHECK(jis(j, "budapest/signCategories", "3"));
		CHECK(jis(j, "budapest/evaluationDate", "2026-11-05"));
		CHECK(jis(j, "budapest/signs/2", "sudomotor-edema"));
		CHECK(jpath(j, "budapest/signs/3") == NULL);

		/* ODI: the three recorded totals in date order, with the entries used */
		const mn_score *o0 = find_score(s, "odi", 0), *o1 = find_score(s, "odi", 1), *o2 = find_score(s, "odi", 2);
		CHECK(o0 && o1 && o2 && !find_score(s, "odi", 3));
		if (o0 && o1 && o2) {
			CHECK_STR(o0->value, "60% (severe disability)");
			CHECK_STR(o1->value, "64% (crippled)");
			CHECK_STR(o2->value, "68% (crippled)");
			CHECK(has_source(o1, "odi-2026-09", "total") && has_source(o2, "odi-2026-11", "total"));
			CHECK_STR(o2->sources[0].date, "2026-11-05");
			CHECK_STR(o1->variant, "recorded total");
		}
		CHECK(jis(j, "odi/1/percent", "64"));
		CHECK(jis(j, "odi/2/percent", "68"));
		CHECK(jis(j, "odi/2/band", "crippled"));
		CHECK(jis(j, "odi/2/reference", "Observation/odi-2026-11"));
		CHECK(jis(j, "odi/2/from", "recorded-total"));

		/* MME: morphine ER 15 mg, one tablet twice daily (structured Dosage) = 30 mg/day x 1.0 */
		const mn_score *m = find_score(s, "mme", 0);
		CHECK(m && m->computed);
		CHECK(has_source(m, "med-morphine-er", "statement"));
		CHECK_INT(m ? m->nsources : 0, 1);  /* only the medication taken on the as-of date */
		CHECK(jis(j, "mme/complete", "true"));
		CHECK(jis(j, "mme/totalMmePerDay", "30"));
		CHECK(jis(j, "mme/drugs/0/drug", "morphine"));
		CHECK(jis(j, "mme/drugs/0/status", "computed"));
		CHECK(jis(j, "mme/drugs/0/mgPerDay", "30"));

		/* relief: the 2019 SCS trial has no pain scores around it */
		const mn_score *r = find_score(s, "relief", 0);
		CHECK(r && !r->computed && has_source(r, "scs-trial-2019", "trial"));
		CHECK(r && r->why_not && strstr(r->why_not, "no pain score before the trial start (2019-06-10)"));
		CHECK(jis(j, "relief/0/computed", "false"));

		const mn_score *e = find_score(s, "eq5d", 0);
		CHECK(e && !e->computed && e->nsources == 0);
		CHECK(jpath(j, "eq5d") && jpath(j, "eq5d")->n == 0);
	}
	mn_case_free(kase);

	/* as of 2026-10-01: the 2026-11-05 evaluation and ODI are in the future and not used */
	s = score_case(cfg, "examples/crps-ii-drg-trial.json", "2026-10-01", &kase, a);
	if (s) {
		const mn_score *b = find_score(s, "budapest", 0);
		CHECK(b && !b->computed);
		CHECK(find_score(s, "odi", 1) && !find_score(s, "odi", 2));
		CHECK(jis(s->json, "budapest/computed", "false"));
		CHECK(jis(s->json, "odi/1/reference", "Observation/odi-2026-09"));
	}
	mn_case_free(kase);
	mn_arena_free(a);
}

/* A dose given only as free text is reported, never parsed. */
static void test_text_only_dose(mn_score_config *cfg)
{
	mn_case *kase = NULL;
	mn_error err;
	mn_arena *a = mn_arena_new();
	mn_scores *s = NULL;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	CHECK_INT(mn_case_load_any(mn_test_source_dir(), "tests/data/clinical/morphine-text-only.json", &kase, &err), MN_OK);
	if (kase && mn_scores_compute(cfg, kase, &as_of, a, &s, &err) == MN_OK) {
		const mn_score *m = find_score(s, "mme", 0);
		CHECK(m && !m->computed);
		CHECK(has_detail(m, "dose not structured"));
		CHECK(jis(s->json, "mme/complete", "false"));
		CHECK(jpath(s->json, "mme/totalMmePerDay") == NULL);
		CHECK(jis(s->json, "mme/drugs/0/status", "dose-not-structured"));
	} else {
		CHECK_MSG(0, "%s", err.message);
	}
	mn_case_free(kase);
	mn_arena_free(a);
}

static void test_fixture(mn_score_config *cfg)
{
	mn_arena *a = mn_arena_new();
	mn_case *kase;
	mn_scores *s = score_case(cfg, "tests/data/clinical/scores-fixture.json", "2026-11-20", &kase, a);
	if (!s) {
		mn_case_free(kase);
		mn_arena_free(a);
		return;
	}
	const mn_json *j = s->json;

	/* Budapest: latest evaluation only; unknown category reported. Every finding's value is free text
	 * only ({"text": "finding"}): none is counted as present. Symptoms that could be present in 3
	 * categories and signs in 2 leave the clinical criteria undetermined (never met); the research
	 * criteria need symptoms in all 4, so even the unreadable ones cannot meet them. */
	const mn_score *b = find_score(s, "budapest", 0);
	CHECK(b && b->computed);
	CHECK(b && strstr(b->value, "clinical criteria not determined; research criteria not met"));
	CHECK(has_detail(b, "unknown category 'olfactory'"));
	CHECK(has_detail(b, "1 finding(s) from other evaluations not counted"));
	CHECK(has_detail(b, "b-sx-2b: vasomotor symptom neither present nor absent"));
	CHECK(!has_source(b, "b-old-1", "sign") && !has_source(b, "b-odd", "sign"));
	CHECK(!has_source(b, "b-sx-2b", "symptom") && !has_source(b, "b-sign-1", "sign"));
	CHECK(jis(j, "budapest/symptomCategories", "0"));
	CHECK(jis(j, "budapest/signCategories", "0"));
	CHECK(jpath(j, "budapest/clinicalMet") == NULL);  /* undetermined: absent, not false */
	CHECK(jis(j, "budapest/researchMet", "false"));
	CHECK(jpath(j, "budapest/noBetterDiagnosis") == NULL);

	/* ODI from sections: 16/45 -> 35.56; 16/50 -> 32 with the recorded 40 flagged; 6 -> not computed */
	const mn_score *o0 = find_score(s, "odi", 0), *o1 = find_score(s, "odi", 1), *o2 = find_score(s, "odi", 2);
	CHECK(o0 && o0->computed && strcmp(o0->value, "35.56% (moderate disability)") == 0);
	CHECK(has_detail(o0, "16 / 45 x 100 (9 of 10 sections answered)"));
	CHECK(!has_detail(o0, "differs"));
	CHECK(o1 && o1->computed && strcmp(o1->value, "32% (moderate disability)") == 0);
	CHECK(has_detail(o1, "the recorded total 40% differs from the sections' 32%"));
	CHECK(o2 && !o2->computed && strstr(o2->why_not, "not a score 0-5"));
	CHECK(!find_score(s, "odi", 3));  /* the 2027 one is after the as-of date */
	CHECK(jis(j, "odi/0/percent", "35.56"));
	CHECK(jis(j, "odi/0/answered", "9"));
	CHECK(jis(j, "odi/0/from", "sections"));
	CHECK(jis(j, "odi/1/recordedPercent", "40"));
	CHECK(jis(j, "odi/2/computed", "false"));

	/* MME: 30 + 20 + 30 computed; buprenorphine no factor; ibuprofen not in the table; no total */
	const mn_score *m = find_score(s, "mme", 0);
	CHECK(m && !m->computed);
	CHECK(has_detail(m, "morphine-bid: morphine 30 mg/day x 1 = 30 MME/day"));
	CHECK(has_detail(m, "hydrocodone-q6h: hydrocodone 20 mg/day x 1 = 20 MME/day (as needed"));
	CHECK(has_detail(m, "oxycodone-bid: oxycodone 20 mg/day x 1.5 = 30 MME/day"));
	CHECK(has_detail(m, "bup: buprenorphine: No factor"));
	CHECK(has_detail(m, "ibuprofen: 197807 ibuprofen 800 MG Oral Tablet not in the factor table"));
	CHECK(!has_source(m, "oxycodone-old", "statement"));
	CHECK(m && strstr(m->why_not, "the 3 computed give 80 MME/day"));
	CHECK(jis(j, "mme/complete", "false"));
	CHECK(jis(j, "mme/partialMmePerDay", "80"));
	CHECK(jis(j, "mme/drugs/0/mmePerDay", "30"));
	CHECK(jis(j, "mme/drugs/2/factor", "1.5"));
	CHECK(jis(j, "mme/drugs/3/status", "no-factor"));
	CHECK(jis(j, "mme/notInTable/0/code", "197807"));

	/* relief: 8 before, 4 (latest during the trial) -> 50 %; the 2015 trial has no scores */
	const mn_score *r0 = find_score(s, "relief", 0), *r1 = find_score(s, "relief", 1);
	CHECK(r0 && !r0->computed && has_source(r0, "scs-trial-old", "trial"));
	CHECK(r1 && r1->computed && strcmp(r1->value, "50% relief (nrs 8 before, 4 during the trial)") == 0);
	CHECK(has_source(r1, "nrs-base", "baseline") && has_source(r1, "nrs-trial-2", "trial-score"));
	CHECK(!has_source(r1, "nrs-after", "trial-score") && !has_source(r1, "nrs-old", "baseline"));
	CHECK(jis(j, "relief/1/percent", "50"));
	CHECK(jis(j, "relief/1/baselineDate", "2026-10-10"));
	CHECK(jis(j, "relief/1/trialScoreReference", "Observation/nrs-trial-2"));

	/* EQ-5D: the state, no index computed, the recorded index only with its value set */
	const mn_score *e0 = find_score(s, "eq5d", 0), *e1 = find_score(s, "eq5d", 1);
	CHECK(e0 && e0->computed && strstr(e0->value, "health state 11243 (EQ-5D-5L)"));
	CHECK(e0 && strstr(e0->value, "index not computed: no verified value-set table shipped"));
	CHECK(has_detail(e0, "recorded index 0.5 (value set: fixture value set)"));
	CHECK(e1 && !e1->computed && strstr(e1->why_not, "self-care level 4 is outside 1-3"));
	CHECK(jis(j, "eq5d/0/state", "11243"));
	CHECK(jis(j, "eq5d/0/indexComputed", "false"));
	CHECK(jis(j, "eq5d/0/recordedValueSet", "fixture value set"));
	CHECK(jpath(j, "eq5d/0/index") == NULL);
	mn_case_free(kase);
	mn_arena_free(a);
}

/* ---- adversarial records, built inline (expected values worked by hand) ----- */

static mn_scores *score_text(mn_score_config *cfg, const char *json, const char *as_of_text, mn_case **kase,
                             mn_arena *a)
{
	mn_error err;
	mn_error_clear(&err);
	mn_datetime as_of;
	*kase = NULL;
	CHECK_INT(mn_datetime_parse(as_of_text, strlen(as_of_text), MN_DT_DATE, &as_of, &err), MN_OK);
	if (mn_case_load("inline", json, strlen(json), kase, &err) != MN_OK) {
		CHECK_MSG(0, "inline case: %s", err.message);
		return NULL;
	}
	mn_scores *s = NULL;
	if (mn_scores_compute(cfg, *kase, &as_of, a, &s, &err) != MN_OK)
		CHECK_MSG(0, "scores: %s", err.message);
	return s;
}

#define BUNDLE(...) "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[" \
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}}" __VA_ARGS__ "]}"
#define ENCOUNTER(e) ",{\"resource\":{\"resourceType\":\"Encounter\",\"id\":\"" e "\",\"status\":\"finished\"," \
	"\"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"AMB\"}}}"
#define IN(e) "\"encounter\":{\"reference\":\"Encounter/" e "\"},"
#define NO_ENC ""
#define CODED(c) "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"urn:mednec:local:finding\",\"code\":\"" c "\"}]}"
#define BOOLV(v) "\"valueBoolean\":" v
/* A Budapest finding: kind symptom|sign, category, encounter, date, value. */
#define FINDING(id, kind, cat, enc, date, value) \
	",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"" kind "\"}]}," \
	"\"category\":[{\"coding\":[{\"system\":\"urn:mednec:local:budapest-category\",\"code\":\"" cat "\"}]}]," \
	"\"subject\":{\"reference\":\"Patient/p\"}," enc "\"effectiveDateTime\":\"" date "\"," value "}}"
/* Criteria 1 (disproportionate-pain) and 4 (no-better-explanation). */
#define CRITERION(id, code, enc, date, v) \
	",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"" code "\"}]}," \
	"\"subject\":{\"reference\":\"Patient/p\"}," enc "\"effectiveDateTime\":\"" date "\",\"valueBoolean\":" v "}}"
/* Symptoms in all 4 categories, coded as present. */
#define SYMPTOMS4(p, enc, date) \
	FINDING(p "sx1", "symptom", "sensory", enc, date, CODED("allodynia")) \
	FINDING(p "sx2", "symptom", "vasomotor", enc, date, CODED("skin-color-change")) \
	FINDING(p "sx3", "symptom", "sudomotor-edema", enc, date, CODED("edema")) \
	FINDING(p "sx4", "symptom", "motor-trophic", enc, date, CODED("decreased-rom"))
#define CRITERIA(p, enc, date, v1, v4) \
	CRITERION(p "c1", "disproportionate-pain", enc, date, v1) CRITERION(p "c4", "no-better-explanation", enc, date, v4)

/* The evaluation's detail names its encounter as recorded, cut at 1023 bytes as every detail is: an
 * encounter found by a fullUrl of 1,100 characters (by hand: "evaluation of 2026-11-05 (" and the first
 * 997 bytes of the URL). The other details as written. */
static void test_budapest_long_reference(mn_score_config *cfg)
{
	char url[1200];
	snprintf(url, sizeof url, "http://example.org/");
	while (strlen(url) < 1100 - strlen("/Encounter/e1"))
		strcat(url, "abcdefghij");
	strcat(url, "/Encounter/e1");
	size_t ulen = strlen(url);
	CHECK(ulen > 1023);
	mn_buf in = MN_BUF_INIT;
	mn_buf_printf(&in, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	              "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}},"
	              "{\"fullUrl\":\"%s\",\"resource\":{\"resourceType\":\"Encounter\",\"id\":\"e1\",\"status\":\"finished\","
	              "\"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"AMB\"}}}", url);
	char enc[1300];
	snprintf(enc, sizeof enc, "\"encounter\":{\"reference\":\"%s\"},", url);
	const char *kinds[][2] = {{"symptom", "sensory"}, {"symptom", "vasomotor"}, {"symptom", "sudomotor-edema"},
	                          {"sign", "sensory"}, {"sign", "motor-trophic"}};
	for (size_t i = 0; i < 5; i++)
		mn_buf_printf(&in, ",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"f%zu\",\"status\":\"final\","
		              "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"%s\"}]},"
		              "\"category\":[{\"coding\":[{\"system\":\"urn:mednec:local:budapest-category\",\"code\":\"%s\"}]}],"
		              "\"subject\":{\"reference\":\"Patient/p\"},%s\"effectiveDateTime\":\"2026-11-05\","
		              "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"urn:mednec:local:finding\",\"code\":\"edema\"}]}}}",
		              i, kinds[i][0], kinds[i][1], enc);
	mn_buf_printf(&in, ",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"c1\",\"status\":\"final\","
	              "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"disproportionate-pain\"}]},"
	              "\"subject\":{\"reference\":\"Patient/p\"},%s\"effectiveDateTime\":\"2026-11-05\",\"valueBoolean\":true}}]}",
	              enc);
	mn_arena *a = mn_arena_new();
	mn_case *k = NULL;
	mn_scores *s = score_text(cfg, mn_buf_cstr(&in), "2026-11-20", &k, a);
	const mn_score *b = s ? find_score(s, "budapest", 0) : NULL;
	CHECK(b != NULL);
	if (b) {
		char want[1300];
		snprintf(want, sizeof want, "evaluation of 2026-11-05 (%s)", url);
		want[1023] = '\0';  /* the cut */
		CHECK(has_detail(b, want));
		bool found = false;
		for (size_t i = 0; i < b->ndetails; i++)
			found |= strcmp(b->details[i], want) == 0;
		CHECK(found);
		CHECK(has_detail(b, "symptoms in 3 of 4 categories (sensory, vasomotor, sudomotor-edema); clinical needs 3, "
		                    "research all 4"));
		CHECK(has_detail(b, "signs in 2 of 4 categories (sensory, motor-trophic); both variants need 2"));
		CHECK(has_detail(b, "continuing pain disproportionate to any inciting event: yes"));
		CHECK(has_detail(b, "no other diagnosis better explains the signs and symptoms: not recorded"));
		CHECK_STR(b->value, "clinical criteria not determined; research criteria not met");
		CHECK(jis(s->json, "budapest/evaluationEncounter", url));
	}
	mn_case_free(k);
	mn_arena_free(a);
	mn_buf_free(&in);
}

static bool entries_have(const mn_json *j, const char *path, const char *ref)
{
	const mn_json *arr = jpath(j, path);
	for (uint32_t i = 0; arr && arr->type == MN_JSON_ARRAY && i < arr->n; i++)
		if (arr->u.items[i].type == MN_JSON_STRING && strlen(ref) == arr->u.items[i].n &&
		    memcmp(arr->u.items[i].u.s, ref, arr->u.items[i].n) == 0)
			return true;
	return false;
}

static size_t jcount(const mn_json *j, const char *path)
{
	const mn_json *v = jpath(j, path);
	return v && v->type == MN_JSON_ARRAY ? v->n : (size_t)-1;
}

static void test_budapest_records(mn_score_config *cfg)
{
	mn_arena *a = mn_arena_new();
	mn_case *k;
	mn_scores *s;

	/* A sign recorded `false` is not a sign: symptoms in 4 categories, one sign present (sensory), the
	 * vasomotor sign recorded valueBoolean false -> signs in 1 category, criteria not met (both need 2). */
	static const char false_sign[] = BUNDLE(ENCOUNTER("e1") SYMPTOMS4("a", IN("e1"), "2026-11-05")
		FINDING("asg1", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia"))
		FINDING("asg2", "sign", "vasomotor", IN("e1"), "2026-11-05", BOOLV("false"))
		CRITERIA("a", IN("e1"), "2026-11-05", "true", "true"));
	if ((s = score_text(cfg, false_sign, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "budapest/signCategories", "1"));
		CHECK(jis(s->json, "budapest/symptomCategories", "4"));
		CHECK(jis(s->json, "budapest/clinicalMet", "false"));
		CHECK(jis(s->json, "budapest/researchMet", "false"));
		CHECK(!entries_have(s->json, "budapest/entries", "Observation/asg2"));
		CHECK(entries_have(s->json, "budapest/entries", "Observation/asg1"));
		CHECK_INT(jcount(s->json, "budapest/entries"), 7);  /* 4 symptoms, 1 sign, criteria 1 and 4 */
		CHECK(has_detail(find_score(s, "budapest", 0), "asg2: vasomotor sign recorded as absent"));
		CHECK(jis(s->json, "budapest/evaluationEncounter", "Encounter/e1"));
	}
	mn_case_free(k);

	/* The same record with the vasomotor sign true: 2 sign categories, both variants met. */
	static const char true_sign[] = BUNDLE(ENCOUNTER("e1") SYMPTOMS4("a", IN("e1"), "2026-11-05")
		FINDING("asg1", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia"))
		FINDING("asg2", "sign", "vasomotor", IN("e1"), "2026-11-05", BOOLV("true"))
		CRITERIA("a", IN("e1"), "2026-11-05", "true", "true"));
	if ((s = score_text(cfg, true_sign, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "budapest/signCategories", "2"));
		CHECK(jis(s->json, "budapest/clinicalMet", "true"));
		CHECK(jis(s->json, "budapest/researchMet", "true"));
		CHECK_INT(jcount(s->json, "budapest/entries"), 8);
	}
	mn_case_free(k);

	/* Signs years apart are never pooled: two signs in a 2023 encounter, one in the 2026 one -> the 2026
	 * evaluation has signs in 1 category; its criteria are true, still not met. */
	static const char years_apart[] = BUNDLE(ENCOUNTER("e0") ENCOUNTER("e1")
		FINDING("old1", "sign", "vasomotor", IN("e0"), "2023-03-01", CODED("temperature-asymmetry"))
		FINDING("old2", "sign", "sudomotor-edema", IN("e0"), "2023-03-01", CODED("edema"))
		CRITERIA("old", IN("e0"), "2023-03-01", "true", "true")
		SYMPTOMS4("b", IN("e1"), "2026-11-05")
		FINDING("bsg1", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia"))
		CRITERIA("b", IN("e1"), "2026-11-05", "true", "true"));
	if ((s = score_text(cfg, years_apart, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "budapest/evaluationEncounter", "Encounter/e1"));
		CHECK(jis(s->json, "budapest/evaluationDate", "2026-11-05"));
		CHECK(jis(s->json, "budapest/signCategories", "1"));
		CHECK(jis(s->json, "budapest/clinicalMet", "false"));
		CHECK(!entries_have(s->json, "budapest/entries", "Observation/old1"));
		CHECK(entries_have(s->json, "budapest/entries", "Observation/bc1"));
		CHECK(!entries_have(s->json, "budapest/entries", "Observation/oldc1"));
		CHECK(has_detail(find_score(s, "budapest", 0), "2 finding(s) from other evaluations not counted"));
	}
	mn_case_free(k);
	/* ... and as of 2023-03-01 the 2023 evaluation is the latest: signs in 2, no symptoms -> not met */
	if ((s = score_text(cfg, years_apart, "2023-03-01", &k, a))) {
		CHECK(jis(s->json, "budapest/evaluationEncounter", "Encounter/e0"));
		CHECK(jis(s->json, "budapest/signCategories", "2"));
		CHECK(jis(s->json, "budapest/symptomCategories", "0"));
		CHECK(jis(s->json, "budapest/clinicalMet", "false"));
	}
	mn_case_free(k);

	/* Without encounters, findings are grouped by day: signs on 2026-11-04, symptoms and one sign on
	 * 2026-11-05 -> the 2026-11-05 evaluation has signs in 1 category. */
	static const char by_day[] = BUNDLE(
		FINDING("d1", "sign", "vasomotor", NO_ENC, "2026-11-04", CODED("temperature-asymmetry"))
		FINDING("d2", "sign", "sudomotor-edema", NO_ENC, "2026-11-04", CODED("edema"))
		SYMPTOMS4("c", NO_ENC, "2026-11-05")
		FINDING("csg1", "sign", "sensory", NO_ENC, "2026-11-05", CODED("allodynia"))
		CRITERIA("c", NO_ENC, "2026-11-05", "true", "true"));
	if ((s = score_text(cfg, by_day, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "budapest/evaluationDate", "2026-11-05"));
		CHECK(jpath(s->json, "budapest/evaluationEncounter") == NULL);
		CHECK(jis(s->json, "budapest/signCategories", "1"));
		CHECK(jis(s->json, "budapest/clinicalMet", "false"));
	}
	mn_case_free(k);

	/* One encounter over two days is one evaluation: symptoms on 11-04, signs on 11-05, criteria on 11-05. */
	static const char one_encounter[] = BUNDLE(ENCOUNTER("e1") SYMPTOMS4("d", IN("e1"), "2026-11-04")
		FINDING("dsg1", "sign", "sensory", IN("e1"), "2026-11-05", CODED("hyperalgesia"))
		FINDING("dsg2", "sign", "motor-trophic", IN("e1"), "2026-11-05", CODED("dystonia"))
		CRITERIA("d", IN("e1"), "2026-11-05", "true", "true"));
	if ((s = score_text(cfg, one_encounter, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "budapest/evaluationDate", "2026-11-05"));
		CHECK(jis(s->json, "budapest/symptomCategories", "4"));
		CHECK(jis(s->json, "budapest/signCategories", "2"));
		CHECK(jis(s->json, "budapest/signs/1", "motor-trophic"));
		CHECK(jis(s->json, "budapest/clinicalMet", "true"));
	}
	mn_case_free(k);

	/* Criteria 1 and 4 come from the evaluation: recorded true only at the 2023 encounter -> not recorded for
	 * the 2026 one (undetermined: absent); recorded false at the 2026 one -> not met. */
	static const char criteria_elsewhere[] = BUNDLE(ENCOUNTER("e0") ENCOUNTER("e1")
		CRITERIA("old", IN("e0"), "2023-03-01", "true", "true")
		SYMPTOMS4("e", IN("e1"), "2026-11-05")
		FINDING("esg1", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia"))
		FINDING("esg2", "sign", "vasomotor", IN("e1"), "2026-11-05", CODED("skin-color-asymmetry")));
	if ((s = score_text(cfg, criteria_elsewhere, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "budapest/signCategories", "2"));
		CHECK(jpath(s->json, "budapest/disproportionatePain") == NULL);
		CHECK(jpath(s->json, "budapest/clinicalMet") == NULL);
		CHECK(jpath(s->json, "budapest/researchMet") == NULL);
		CHECK(!entries_have(s->json, "budapest/entries", "Observation/oldc1"));
	}
	mn_case_free(k);
	static const char criterion_false[] = BUNDLE(ENCOUNTER("e0") ENCOUNTER("e1")
		CRITERIA("old", IN("e0"), "2023-03-01", "true", "true")
		SYMPTOMS4("e", IN("e1"), "2026-11-05")
		FINDING("esg1", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia"))
		FINDING("esg2", "sign", "vasomotor", IN("e1"), "2026-11-05", CODED("skin-color-asymmetry"))
		CRITERIA("e", IN("e1"), "2026-11-05", "true", "false"));
	if ((s = score_text(cfg, criterion_false, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "budapest/noBetterDiagnosis", "false"));
		CHECK(jis(s->json, "budapest/clinicalMet", "false"));
		CHECK(entries_have(s->json, "budapest/entries", "Observation/ec4"));
	}
	mn_case_free(k);

	/* A later evaluation that looked for signs and found none ('absent') is the one used: not met, although
	 * an earlier evaluation met the criteria. */
	static const char later_absent[] = BUNDLE(ENCOUNTER("e0") ENCOUNTER("e1")
		SYMPTOMS4("f", IN("e0"), "2026-01-10")
		FINDING("fsg1", "sign", "sensory", IN("e0"), "2026-01-10", CODED("allodynia"))
		FINDING("fsg2", "sign", "vasomotor", IN("e0"), "2026-01-10", CODED("temperature-asymmetry"))
		CRITERIA("f", IN("e0"), "2026-01-10", "true", "true")
		SYMPTOMS4("g", IN("e1"), "2026-11-05")
		FINDING("gsg1", "sign", "sensory", IN("e1"), "2026-11-05", CODED("absent"))
		FINDING("gsg2", "sign", "vasomotor", IN("e1"), "2026-11-05", CODED("absent"))
		CRITERIA("g", IN("e1"), "2026-11-05", "true", "true"));
	if ((s = score_text(cfg, later_absent, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "budapest/signCategories", "0"));
		CHECK(jis(s->json, "budapest/clinicalMet", "false"));
	}
	mn_case_free(k);
	if ((s = score_text(cfg, later_absent, "2026-11-04", &k, a))) {  /* before the second evaluation */
		CHECK(jis(s->json, "budapest/evaluationEncounter", "Encounter/e0"));
		CHECK(jis(s->json, "budapest/clinicalMet", "true"));
	}
	mn_case_free(k);
	mn_arena_free(a);
}

#define ODI(id, value, sections) \
	",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:assessment\",\"code\":\"odi-total\"}]}," \
	"\"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"2026-11-05\"" value sections "}}"
#define SEC(n, v) "{\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:odi-section\",\"code\":\"" n "\"}]}," \
	"\"valueInteger\":" v "}"

static void test_odi_records(mn_score_config *cfg)
{
	mn_arena *a = mn_arena_new();
	mn_case *k;
	mn_scores *s;
	/* 0: 18 of 50 as a raw score ({score}), no sections: not converted.
	 * 1: the same with no unit (valueInteger 18): not converted.
	 * 2: 18 {score} with ten sections 2,2,2,2,2,2,2,2,1,1 (sum 18 of 50): 18 / 50 x 100 = 36% (moderate).
	 * 3: 36 '%' (UCUM): the recorded percent.
	 * 4: 40 with unit text '%' but code {score}: the code says raw, not converted. */
	static const char odi[] = BUNDLE(
		ODI("raw", ",\"valueQuantity\":{\"value\":18,\"unit\":\"score\",\"system\":\"http://unitsofmeasure.org\","
		    "\"code\":\"{score}\"}", "")
		ODI("raw-int", ",\"valueInteger\":18", "")
		ODI("raw-sections", ",\"valueQuantity\":{\"value\":18,\"code\":\"{score}\",\"system\":\"http://unitsofmeasure.org\"}",
		    ",\"component\":[" SEC("1", "2") "," SEC("2", "2") "," SEC("3", "2") "," SEC("4", "2") "," SEC("5", "2")
		    "," SEC("6", "2") "," SEC("7", "2") "," SEC("8", "2") "," SEC("9", "1") "," SEC("10", "1") "]")
		ODI("percent", ",\"valueQuantity\":{\"value\":36,\"unit\":\"%\",\"system\":\"http://unitsofmeasure.org\","
		    "\"code\":\"%\"}", "")
		ODI("mislabeled", ",\"valueQuantity\":{\"value\":40,\"unit\":\"%\",\"code\":\"{score}\"}", ""));
	if ((s = score_text(cfg, odi, "2026-11-20", &k, a))) {
		const mn_json *j = s->json;
		CHECK(jis(j, "odi/0/reference", "Observation/raw"));
		CHECK(jis(j, "odi/0/computed", "false"));
		CHECK(jpath(j, "odi/0/percent") == NULL);
		const mn_json *why = jpath(j, "odi/0/reason");
		CHECK(why && why->n >= 45 && memcmp(why->u.s, "raw score without sections: not converted", 41) == 0);
		CHECK(jis(j, "odi/0/recordedRaw", "18"));
		CHECK(jis(j, "odi/1/computed", "false"));
		CHECK(jpath(j, "odi/1/percent") == NULL);
		CHECK(jis(j, "odi/2/computed", "true"));
		CHECK(jis(j, "odi/2/percent", "36"));
		CHECK(jis(j, "odi/2/band", "moderate"));
		CHECK(jis(j, "odi/2/from", "sections"));
		CHECK(jis(j, "odi/2/total", "18"));
		CHECK(jis(j, "odi/2/answered", "10"));
		CHECK(jis(j, "odi/2/recordedRaw", "18"));
		CHECK(jis(j, "odi/3/percent", "36"));
		CHECK(jis(j, "odi/3/from", "recorded-total"));
		CHECK(jis(j, "odi/4/computed", "false"));
		CHECK(jpath(j, "odi/4/percent") == NULL);
	}
	mn_case_free(k);
	mn_arena_free(a);
}

#define RX "\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\""
#define MED(code) "\"medicationCodeableConcept\":{\"coding\":[{" RX ",\"code\":\"" code "\"}]}"
#define SUBJ "\"subject\":{\"reference\":\"Patient/p\"}"
#define REQUEST(id, code, dosage) ",{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"" id "\"," \
	"\"status\":\"active\",\"intent\":\"order\"," MED(code) "," SUBJ ",\"authoredOn\":\"2026-10-01\"," \
	"\"dosageInstruction\":[" dosage "]}}"
#define DOSE(timing, dose) "{\"timing\":{\"repeat\":{" timing "}},\"doseAndRate\":[{\"doseQuantity\":" dose "}]}"
#define TABLET(n) "{\"value\":" n ",\"unit\":\"tablet\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"{tablet}\"}"
#define MG(n) "{\"value\":" n ",\"unit\":\"mg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg\"}"
#define DISPENSE(id, code, handed, supply, extra, dosage) ",{\"resource\":{\"resourceType\":\"MedicationDispense\"," \
	"\"id\":\"" id "\",\"status\":\"completed\"," MED(code) "," SUBJ ",\"whenHandedOver\":\"" handed "\"" supply extra \
	",\"dosageInstruction\":[" dosage "]}}"
#define DAYS(n) ",\"daysSupply\":{\"value\":" n ",\"unit\":\"day\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"d\"}"

/* ---- the shipped expressions read natively (src/clinical/native.c) against FHIRPath ---- */

/* Everything a computation gives, as text: the JSON tree and every score's fields. */
static void scores_dump(const mn_scores *s, mn_buf *b)
{
	if (!s) {
		mn_buf_puts(b, "(none)");
		return;
	}
	mn_json_write(b, s->json);
	for (size_t i = 0; i < s->nscores; i++) {
		const mn_score *c = &s->scores[i];
		mn_buf_printf(b, "\n%s|%s|%s|%d|%s|%s", c->name, c->title, c->variant ? c->variant : "-", c->computed,
		              c->value ? c->value : "-", c->why_not ? c->why_not : "-");
		for (size_t j = 0; j < c->ndetails; j++)
			mn_buf_printf(b, "\n  detail %s", c->details[j]);
		for (size_t j = 0; j < c->nsources; j++)
			mn_buf_printf(b, "\n  source %d %s %s", c->sources[j].resource ? c->sources[j].resource->index : -1,
			              c->sources[j].role ? c->sources[j].role : "-",
			              c->sources[j].date ? c->sources[j].date : "-");
	}
}

/* The scores of k as of each date, with the native readers (cfg as loaded) and with every key evaluated
 * as FHIRPath (cfg->native cleared): the same, error for error. */
static void same_both_ways(mn_score_config *cfg, const mn_case *k, const char *what)
{
	static const char *const dates[] = {"2026-11-04", "2026-11-05", "2026-11-06", "2026-11-20", "2027-06-01"};
	unsigned native = cfg->native;
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		mn_datetime as_of;
		CHECK_INT(mn_datetime_parse(dates[i], 10, MN_DT_DATE, &as_of, NULL), MN_OK);
		mn_buf out[2] = {MN_BUF_INIT, MN_BUF_INIT};
		for (int way = 0; way < 2; way++) {
			mn_arena *a = mn_arena_new();
			mn_error err;
			mn_error_clear(&err);
			mn_scores *s = NULL;
			cfg->native = way == 0 ? native : 0;
			mn_status rc = mn_scores_compute(cfg, k, &as_of, a, &s, &err);
			mn_buf_printf(&out[way], "rc %d %s\n", rc, rc == MN_OK ? "" : err.message);
			scores_dump(rc == MN_OK ? s : NULL, &out[way]);
			mn_arena_free(a);
		}
		cfg->native = native;
		CHECK_MSG(strcmp(mn_buf_cstr(&out[0]), mn_buf_cstr(&out[1])) == 0, "%s as of %s: native\n%s\nFHIRPath\n%s",
		          what, dates[i], mn_buf_cstr(&out[0]), mn_buf_cstr(&out[1]));
		mn_buf_free(&out[0]);
		mn_buf_free(&out[1]);
	}
}

/* A case from text, loaded as determine loads it (lenient); the tree stays changeable (mn_case_load_tree). */
static mn_case *case_tree(mn_arena *a, const char *json, mn_json **root)
{
	mn_error err;
	mn_error_clear(&err);
	mn_case *k = NULL;
	char *text = mn_arena_strndup(a, json, strlen(json));
	if (!text || mn_json_parse(a, "inline", text, strlen(text), root, &err) != MN_OK ||
	    mn_case_load_tree("inline", text, strlen(text), *root, MN_CASE_LENIENT, &k, &err) != MN_OK) {
		CHECK_MSG(0, "inline case: %s", err.message);
		return NULL;
	}
	return k;
}

/* The member key of the resource with id `id` (NULL: none). */
static mn_json_member *member_of_id(const mn_case *k, const char *id, const char *key)
{
	for (size_t i = 0; i < mn_case_count(k); i++) {
		const mn_resource *r = mn_case_get(k, i);
		if (!r->id || strcmp(r->id, id) != 0)
			continue;
		for (uint32_t j = 0; j < r->json->n; j++)
			if (strcmp(r->json->u.members[j].key, key) == 0)
				return &r->json->u.members[j];
	}
	return NULL;
}

/* same_both_ways on the case json (loaded as case_tree loads it). */
static void same_both_ways_text(mn_score_config *cfg, const char *json, const char *what)
{
	mn_arena *a = mn_arena_new();
	mn_json *root;
	mn_case *k = case_tree(a, json, &root);
	if (k)
		same_both_ways(cfg, k, what);
	mn_case_free(k);
	mn_arena_free(a);
}

#define DATED_FINDING(id, kind, cat, enc, date, value) \
	",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"" kind "\"}]}," \
	"\"category\":[{\"coding\":[{\"system\":\"urn:mednec:local:budapest-category\",\"code\":\"" cat "\"}]}]," \
	"\"subject\":{\"reference\":\"Patient/p\"}," enc date "," value "}}"
#define DATED_ODI(id, date, pct) \
	",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:assessment\",\"code\":\"odi-total\"}]}," \
	"\"subject\":{\"reference\":\"Patient/p\"}," date ",\"valueQuantity\":{\"value\":" pct ",\"unit\":\"%\"," \
	"\"system\":\"http://unitsofmeasure.org\",\"code\":\"%\"}}}"
/* One odd finding (x) and one odd ODI total (ox), dated by `date`, beside a plain evaluation: grouped by day
 * with a sign of 2026-11-05 (no encounter), or alone in its own encounter (e2), so that its date decides
 * which evaluation is the latest, which ODI comes last and what is left out after the as-of date. */
#define ODD_BY_DAY(date) BUNDLE(ENCOUNTER("e1") SYMPTOMS4("a", IN("e1"), "2026-11-05") \
	DATED_FINDING("x", "sign", "sensory", NO_ENC, date, CODED("allodynia")) \
	FINDING("y", "sign", "vasomotor", NO_ENC, "2026-11-05", CODED("edema")) \
	CRITERIA("b", NO_ENC, "2026-11-05", "true", "true") CRITERIA("a", IN("e1"), "2026-11-05", "true", "true") \
	DATED_ODI("ox", date, "30") ODI("o1", ",\"valueQuantity\":{\"value\":40,\"unit\":\"%\"}", ""))
#define ODD_OWN_ENCOUNTER(date) BUNDLE(ENCOUNTER("e1") ENCOUNTER("e2") SYMPTOMS4("a", IN("e1"), "2026-11-05") \
	FINDING("y", "sign", "vasomotor", IN("e1"), "2026-11-05", CODED("edema")) \
	FINDING("z", "sign", "sensory", IN("e1"), "2026-11-05", CODED("hyperalgesia")) \
	DATED_FINDING("x", "sign", "motor-trophic", IN("e2"), date, CODED("dystonia")) \
	CRITERIA("a", IN("e1"), "2026-11-05", "true", "true") DATED_ODI("ox", date, "12"))

/* The date of an Observation (scores.yaml `date`): every shape a record may give it, valid or not, read
 * natively and by FHIRPath alike; and by hand where the answer is clear. */
static void test_native_date(mn_score_config *cfg)
{
	CHECK(cfg->native & MN_NATIVE_DATE);  /* the shipped expression: the native reader is in use */
	static const char *const shapes[][2] = {
		{"\"effectiveDateTime\":\"2026-11-05\"", ODD_BY_DAY("\"effectiveDateTime\":\"2026-11-05\"")},
		{"zone behind UTC", ODD_BY_DAY("\"effectiveDateTime\":\"2026-11-05T23:30:00-05:00\"")},
		{"zone ahead of UTC", ODD_BY_DAY("\"effectiveDateTime\":\"2026-11-06T01:30:00+14:00\"")},
		{"UTC, fractions", ODD_BY_DAY("\"effectiveDateTime\":\"2026-11-05T10:00:00.123Z\"")},
		{"month only", ODD_BY_DAY("\"effectiveDateTime\":\"2026-11\"")},
		{"year only", ODD_BY_DAY("\"effectiveDateTime\":\"2026\"")},
		{"after the as-of date", ODD_BY_DAY("\"effectiveDateTime\":\"2026-12-24\"")},
		{"the day before", ODD_BY_DAY("\"effectiveDateTime\":\"2026-11-04\"")},
		{"period with start", ODD_BY_DAY("\"effectivePeriod\":{\"start\":\"2026-11-05\",\"end\":\"2026-11-06\"}")},
		{"period without start", ODD_BY_DAY("\"effectivePeriod\":{\"end\":\"2026-11-05\"}")},
		{"period start month only", ODD_BY_DAY("\"effectivePeriod\":{\"start\":\"2026-11\"}")},
		{"instant", ODD_BY_DAY("\"effectiveInstant\":\"2026-11-05T10:00:00.000Z\"")},
		{"extension only", ODD_BY_DAY("\"_effectiveDateTime\":{\"extension\":[{\"url\":\"http://example.org/x\","
		                              "\"valueString\":\"about then\"}]}")},
		{"value and extension", ODD_BY_DAY("\"effectiveDateTime\":\"2026-11-05\",\"_effectiveDateTime\":"
		                                   "{\"extension\":[{\"url\":\"http://example.org/x\",\"valueString\":\"y\"}]}")},
		{"issued only", ODD_BY_DAY("\"issued\":\"2026-11-05T10:00:00Z\"")},
		{"issued and effective", ODD_BY_DAY("\"issued\":\"2026-11-07T10:00:00Z\",\"effectiveDateTime\":\"2026-11-04\"")},
		{"no date", ODD_BY_DAY("\"issued\":\"2026-11-05T10:00:00Z\",\"note\":[{\"text\":\"undated\"}]")},
		{"invalid date, dropped at load", ODD_BY_DAY("\"effectiveDateTime\":\"2026-13-45\"")},
		{"own encounter", ODD_OWN_ENCOUNTER("\"effectiveDateTime\":\"2026-11-06\"")},
		{"own encounter, zone", ODD_OWN_ENCOUNTER("\"effectiveDateTime\":\"2026-11-06T00:30:00+01:00\"")},
		{"own encounter, month", ODD_OWN_ENCOUNTER("\"effectiveDateTime\":\"2026-11\"")},
		{"own encounter, period end", ODD_OWN_ENCOUNTER("\"effectivePeriod\":{\"end\":\"2026-11-06\"}")},
		{"own encounter, later", ODD_OWN_ENCOUNTER("\"effectiveDateTime\":\"2027-01-01\"")},
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
		same_both_ways_text(cfg, shapes[i][1], shapes[i][0]);

	/* Values no valid record holds, put into the tree after the load: the engine reads them (or not) as it
	 * will, the native reader the same (a string that is no dateTime, a number, a second date element). */
	static const char *const bad[] = {"2026-13-45", "yesterday", "", "2026-11-05T25:00:00Z", "2026-02-30",
	                                  "2026-11-05T10:00", "T10:00:00", "10:00:00", "2026-11-05 ", " 2026-11-05",
	                                  "2026-11-05T10:00:00+25:00", "+2026-11-05"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0] * 2 + 2; i++) {
		mn_arena *a = mn_arena_new();
		mn_json *root;
		bool own = i % 2;
		mn_case *k = case_tree(a, own ? ODD_OWN_ENCOUNTER("\"effectiveDateTime\":\"2026-11-05\"")
		                              : ODD_BY_DAY("\"effectiveDateTime\":\"2026-11-05\""), &root);
		mn_json_member *x = k ? member_of_id(k, "x", "effectiveDateTime") : NULL;
		mn_json_member *ox = k ? member_of_id(k, "ox", "effectiveDateTime") : NULL;
		CHECK(x && ox);
		if (x && ox) {
			if (i / 2 < sizeof bad / sizeof bad[0]) {
				x->value.u.s = ox->value.u.s = bad[i / 2];
				x->value.n = ox->value.n = (uint32_t)strlen(bad[i / 2]);
			} else if (i / 2 == sizeof bad / sizeof bad[0]) {
				x->value.type = ox->value.type = MN_JSON_NUMBER;  /* 20261105 */
				x->value.u.s = ox->value.u.s = "20261105";
				x->value.n = ox->value.n = 8;
			} else {
				/* a second effective[x]: the subject becomes an effectivePeriod */
				mn_json_member *sx = member_of_id(k, "x", "subject"), *so = member_of_id(k, "ox", "subject");
				CHECK(sx && so);
				if (sx && so) {
					sx->key = so->key = "effectivePeriod";
					sx->key_len = so->key_len = 15;
					sx->value = (mn_json){.type = MN_JSON_OBJECT};
					so->value = sx->value;
				}
			}
			same_both_ways(cfg, k, i / 2 < sizeof bad / sizeof bad[0] ? bad[i / 2] : "number or two dates");
		}
		mn_case_free(k);
		mn_arena_free(a);
	}

	/* By hand: a dateTime counts on the day it was written with, whatever its zone (the finding of
	 * 23:30 at -05:00 is 2026-11-05 and joins that day's sign: signs in 2 categories). */
	mn_arena *a = mn_arena_new();
	mn_case *k;
	mn_scores *s = score_text(cfg, ODD_BY_DAY("\"effectiveDateTime\":\"2026-11-05T23:30:00-05:00\""), "2026-11-20",
	                          &k, a);
	if (s) {
		CHECK(jis(s->json, "budapest/evaluationDate", "2026-11-05"));
		CHECK(jis(s->json, "budapest/signCategories", "2"));
	}
	mn_case_free(k);
	/* ... and one of month precision is undated: not counted, the day's sign alone (1 category) */
	s = score_text(cfg, ODD_BY_DAY("\"effectiveDateTime\":\"2026-11\""), "2026-11-20", &k, a);
	if (s) {
		CHECK(jis(s->json, "budapest/signCategories", "1"));
		CHECK(has_detail(find_score(s, "budapest", 0), "Observation/x: no encounter and no day-precise date"));
	}
	mn_case_free(k);
	mn_arena_free(a);
}

#define OBS(id, body) ",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"subject\":{\"reference\":\"Patient/p\"}," body "}}"
#define BCODE(c) "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"" c "\"}]}"
#define BCAT(c) "\"category\":[{\"coding\":[{\"system\":\"urn:mednec:local:budapest-category\",\"code\":\"" c "\"}]}]"
#define EXT "{\"extension\":[{\"url\":\"http://example.org/x\",\"valueString\":\"y\"}]}"
#define DAY "\"effectiveDateTime\":\"2026-11-05\""
#define CRIT CRITERIA("a", IN("e1"), "2026-11-05", "true", "true")
/* Findings x (sign) and criteria c1, c4 of one shape beside symptoms in 4 categories and a plain sign. */
#define WITH_ODD(...) BUNDLE(ENCOUNTER("e1") ENCOUNTER("e2") SYMPTOMS4("a", IN("e1"), "2026-11-05") \
	FINDING("y", "sign", "vasomotor", IN("e1"), "2026-11-05", CODED("edema")) __VA_ARGS__)

/* The budapest keys on a finding (kind, category, encounter, positive) and on criteria 1 and 4 (answer),
 * read natively and by FHIRPath alike, in every shape a record may give them. */
static void test_native_budapest(mn_score_config *cfg)
{
	unsigned all = MN_NATIVE_KIND | MN_NATIVE_CATEGORY | MN_NATIVE_ENCOUNTER | MN_NATIVE_POSITIVE |
	               MN_NATIVE_ANSWER;
	CHECK((cfg->native & all) == all);
	static const char *const cases[][2] = {
		{"plain", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia")) CRITERIA("a", IN("e1"), "2026-11-05", "true", "true"))},
		{"symptom and sign", WITH_ODD(OBS("x", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"sign\"},"
		 "{\"system\":\"urn:mednec:local:budapest\",\"code\":\"symptom\"}]}," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"kind twice alike", WITH_ODD(OBS("x", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"sign\"},"
		 "{\"system\":\"urn:mednec:local:budapest\",\"code\":\"sign\"}]}," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"kind of another system", WITH_ODD(OBS("x", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest2\",\"code\":\"sign\"},"
		 "{\"code\":\"sign\"},{\"system\":\"urn:mednec:local:budapest\"}]}," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"kind text only", WITH_ODD(OBS("x", "\"code\":{\"text\":\"sign\"}," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"kind unknown", WITH_ODD(OBS("x", BCODE("signs") "," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"kind code extension", WITH_ODD(OBS("x", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"sign\","
		 "\"_code\":" EXT "}]}," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"kind extension only", WITH_ODD(OBS("x", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"_code\":" EXT "}]},"
		 BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"system extension", WITH_ODD(OBS("x", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"_system\":" EXT ","
		 "\"code\":\"sign\"}]}," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"two categories", WITH_ODD(OBS("x", BCODE("sign") ",\"category\":[{\"coding\":[{\"system\":\"urn:mednec:local:budapest-category\","
		 "\"code\":\"sensory\"}]},{\"coding\":[{\"system\":\"urn:mednec:local:budapest-category\",\"code\":\"vasomotor\"}]}],"
		 IN("e1") DAY "," CODED("allodynia")))},
		{"category and another", WITH_ODD(OBS("x", BCODE("sign") ",\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/"
		 "CodeSystem/observation-category\",\"code\":\"exam\"}]},{\"text\":\"x\"}," "{\"coding\":[{\"system\":\"urn:mednec:local:budapest-category\","
		 "\"code\":\"motor-trophic\"}]}]," IN("e1") DAY "," CODED("dystonia")))},
		{"unknown category", WITH_ODD(OBS("x", BCODE("sign") "," BCAT("Sensory") "," IN("e1") DAY "," CODED("allodynia")))},
		{"no category", WITH_ODD(OBS("x", BCODE("sign") "," IN("e1") DAY "," CODED("allodynia")))},
		{"no encounter", WITH_ODD(FINDING("x", "sign", "sensory", NO_ENC, "2026-11-05", CODED("allodynia")) CRITERIA("a", NO_ENC, "2026-11-05", "true", "false"))},
		{"encounter display only", WITH_ODD(OBS("x", BCODE("sign") "," BCAT("sensory") ",\"encounter\":{\"display\":\"visit\"}," DAY ","
		 CODED("allodynia")) CRIT)},
		{"encounter reference extension", WITH_ODD(OBS("x", BCODE("sign") "," BCAT("sensory") ",\"encounter\":{\"reference\":"
		 "\"Encounter/e1\",\"_reference\":" EXT "}," DAY "," CODED("allodynia")) CRIT)},
		{"encounter extension only", WITH_ODD(OBS("x", BCODE("sign") "," BCAT("sensory") ",\"encounter\":{\"_reference\":" EXT "},"
		 DAY "," CODED("allodynia")) CRIT)},
		{"another encounter", WITH_ODD(FINDING("x", "sign", "sensory", IN("e2"), "2026-11-05", CODED("allodynia")) CRIT)},
		{"sign false", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", BOOLV("false")) CRIT)},
		{"sign true", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", BOOLV("true")) CRIT)},
		{"absent and present", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"valueCodeableConcept\":{\"coding\":["
		 "{\"system\":\"urn:mednec:local:finding\",\"code\":\"allodynia\"},{\"system\":\"urn:mednec:local:finding\",\"code\":\"absent\"}]}") CRIT)},
		{"present code of another system", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"valueCodeableConcept\":{"
		 "\"coding\":[{\"system\":\"urn:mednec:local:findings\",\"code\":\"allodynia\"},{\"code\":\"edema\"}]}") CRIT)},
		{"unknown finding code", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", CODED("Allodynia")) CRIT)},
		{"finding as text", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"valueCodeableConcept\":{\"text\":"
		 "\"allodynia\"}") CRIT)},
		{"finding as string", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"valueString\":\"allodynia\"") CRIT)},
		{"finding as quantity", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"valueQuantity\":{\"value\":1}") CRIT)},
		{"finding absent reason", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"dataAbsentReason\":{\"text\":"
		 "\"not asked\"}") CRIT)},
		{"finding boolean extension", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"valueBoolean\":true,"
		 "\"_valueBoolean\":" EXT) CRIT)},
		{"finding boolean extension only", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"_valueBoolean\":" EXT) CRIT)},
		{"finding code extension", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", "\"valueCodeableConcept\":{\"coding\":"
		 "[{\"system\":\"urn:mednec:local:finding\",\"code\":\"edema\",\"_code\":" EXT "}]}") CRIT)},
		{"criteria not boolean", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia"))
		 OBS("c1", BCODE("disproportionate-pain") "," IN("e1") DAY ",\"valueString\":\"true\"")
		 OBS("c4", BCODE("no-better-explanation") "," IN("e1") DAY ",\"valueCodeableConcept\":{\"text\":\"yes\"}"))},
		{"criteria without value, older ones true", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia"))
		 CRITERIA("o", IN("e1"), "2026-11-04", "true", "true")
		 OBS("c1", BCODE("disproportionate-pain") "," IN("e1") DAY) OBS("c4", BCODE("no-better-explanation") "," IN("e1") DAY
		 ",\"_valueBoolean\":" EXT))},
		{"criteria false then true", WITH_ODD(FINDING("x", "sign", "sensory", IN("e1"), "2026-11-05", CODED("allodynia"))
		 CRITERIA("o", IN("e1"), "2026-11-04", "false", "false") CRITERIA("n", IN("e1"), "2026-11-05", "true", "true"))},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		same_both_ways_text(cfg, cases[i][1], cases[i][0]);

	/* Shapes no valid record has, made in the tree after the load. */
	for (int change = 0; change < 9; change++) {
		mn_arena *a = mn_arena_new();
		mn_json *root;
		mn_case *k = case_tree(a, cases[0][1], &root);
		mn_json_member *code = k ? member_of_id(k, "x", "code") : NULL, *sub = k ? member_of_id(k, "x", "subject") : NULL;
		mn_json_member *val = k ? member_of_id(k, "x", "valueCodeableConcept") : NULL;
		mn_json_member *enc = k ? member_of_id(k, "x", "encounter") : NULL, *ans = k ? member_of_id(k, "ac1", "valueBoolean") : NULL;
		CHECK(code && sub && val && enc && ans);
		if (!(code && sub && val && enc && ans)) {
			mn_case_free(k);
			mn_arena_free(a);
			continue;
		}
		mn_json *coding = &code->value.u.members[0].value;     /* code.coding */
		mn_json *c0 = &coding->u.items[0];                    /* code.coding[0] */
		switch (change) {
		case 0: c0->u.members[0].value.type = MN_JSON_NUMBER; break;        /* system a number */
		case 1: c0->u.members[1].value.type = MN_JSON_TRUE; break;          /* code true */
		case 2: *coding = *c0; break;                                       /* coding an object */
		case 3: sub->key = "code"; sub->key_len = 4; sub->value = code->value; break;  /* code twice */
		case 4: sub->key = "encounter"; sub->key_len = 9; break;            /* encounter twice */
		case 5: enc->value.type = MN_JSON_ARRAY; enc->value.n = 0; break;   /* encounter an empty array */
		case 6: sub->key = "valueBoolean"; sub->key_len = 12; sub->value.type = MN_JSON_TRUE; break;  /* two values */
		case 7: ans->value.type = MN_JSON_STRING; ans->value.u.s = "true"; ans->value.n = 4; break;     /* "true" */
		case 8: val->key = "valueBoolean"; val->key_len = 12; val->value.type = MN_JSON_NUMBER;
		        val->value.u.s = "1"; val->value.n = 1; break;              /* valueBoolean 1 */
		}
		char what[32];
		snprintf(what, sizeof what, "changed tree %d", change);
		same_both_ways(cfg, k, what);
		mn_case_free(k);
		mn_arena_free(a);
	}
}

#define OBS_STATUS(id, status, body) ",{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\"," status \
	"\"subject\":{\"reference\":\"Patient/p\"}," body "}}"
#define ODI_CODE(sys, c) "\"code\":{\"coding\":[{\"system\":\"" sys "\",\"code\":\"" c "\"}]}"
#define PCT(v) ",\"valueQuantity\":{\"value\":" v ",\"unit\":\"%\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"%\"}"

/* Every object of t, its flags cleared: a tree that says nothing of its keys (as one made by hand). */
static void clear_flags(mn_json *t)
{
	t->flags = 0;
	for (uint32_t i = 0; t->type == MN_JSON_OBJECT && i < t->n; i++)
		clear_flags(&t->u.members[i].value);
	for (uint32_t i = 0; t->type == MN_JSON_ARRAY && i < t->n; i++)
		clear_flags(&t->u.items[i]);
}

#define BOBS(body) "{\"resourceType\":\"Observation\",\"id\":\"x\",\"status\":\"final\"," body "}"
#define BENC(r) "\"encounter\":{\"reference\":\"" r "\"}"

/* The as-of date's text (written without formatting for a day-precise date): as given, months, days and
 * years with their zeros. */
static void test_as_of_text(mn_score_config *cfg)
{
	static const char *const D[] = {"2026-01-05", "2026-11-20", "0999-12-31", "2000-02-29"};
	for (size_t i = 0; i < sizeof D / sizeof D[0]; i++) {
		mn_arena *a = mn_arena_new();
		mn_case *k = NULL;
		mn_scores *s = score_text(cfg, BUNDLE(""), D[i], &k, a);
		CHECK_MSG(s && strcmp(s->as_of, D[i]) == 0 && jis(s->json, "asOf", D[i]), "as of %s: %s", D[i],
		          s ? s->as_of : "(no scores)");
		mn_case_free(k);
		mn_arena_free(a);
	}
}

/* The native readers trust the parser's flags (no "_" key and no key twice in an object: the first member of
 * a name is the only one) and read every member otherwise. A case refuses a key given twice and "_code" on a
 * CodeableConcept when it is loaded, so these Observations are parsed alone (as a tree from elsewhere could
 * be): as parsed, and with every flag cleared, the kind (code), the category and the encounter each read by
 * hand: a shape that is not plain (an element twice, an extension sibling) is refused (-2: evaluated as
 * FHIRPath); a plain one gives its one code or reference. */
static void test_native_flags(void)
{
	static const struct {
		const char *what, *json;
		int kind_rc, cat_rc, enc_rc;
		const char *kind, *cat, *enc;
	} cases[] = {
		{"plain", BOBS(BCODE("sign") "," BCAT("sensory") "," BENC("Encounter/e1")), 1, 1, 1, "sign", "sensory",
		 "Encounter/e1"},
		{"code twice alike", BOBS(BCODE("sign") "," BCODE("sign") "," BCAT("sensory") "," BENC("Encounter/e1")), -2, 1, 1,
		 NULL, "sensory", "Encounter/e1"},
		{"code twice, then a symptom", BOBS(BCODE("sign") "," BCODE("symptom") "," BCAT("sensory") "," BENC("Encounter/e1")),
		 -2, 1, 1, NULL, "sensory", "Encounter/e1"},
		{"_code beside code", BOBS(BCODE("sign") ",\"_code\":" EXT "," BCAT("sensory") "," BENC("Encounter/e1")), -2, 1, 1,
		 NULL, "sensory", "Encounter/e1"},
		{"coding twice", BOBS("\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"sign\"}],"
		 "\"coding\":[]}," BCAT("sensory") "," BENC("Encounter/e1")), -2, 1, 1, NULL, "sensory", "Encounter/e1"},
		{"system twice", BOBS("\"code\":{\"coding\":[{\"system\":\"urn:other\",\"system\":\"urn:mednec:local:budapest\","
		 "\"code\":\"sign\"}]}," BCAT("sensory") "," BENC("Encounter/e1")), -2, 1, 1, NULL, "sensory", "Encounter/e1"},
		{"code twice in a coding", BOBS("\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"sign\","
		 "\"code\":\"symptom\"}]}," BCAT("sensory") "," BENC("Encounter/e1")), -2, 1, 1, NULL, "sensory", "Encounter/e1"},
		{"another system", BOBS("\"code\":{\"coding\":[{\"system\":\"urn:other\",\"code\":\"sign\"}]}," BCAT("sensory") ","
		 BENC("Encounter/e1")), 1, 1, 1, NULL, "sensory", "Encounter/e1"},
		{"category twice", BOBS(BCODE("symptom") "," BCAT("sensory") "," BCAT("sensory") "," BENC("Encounter/e1")), 1, -2, 1,
		 "symptom", NULL, "Encounter/e1"},
		{"encounter twice", BOBS(BCODE("sign") "," BCAT("motor-trophic") "," BENC("Encounter/e2") "," BENC("Encounter/e1")),
		 1, 1, -2, "sign", "motor-trophic", NULL},
		{"reference twice", BOBS(BCODE("sign") "," BCAT("motor-trophic") ",\"encounter\":{\"reference\":\"Encounter/e2\","
		 "\"reference\":\"Encounter/e1\"}"), 1, 1, -2, "sign", "motor-trophic", NULL},
		{"_encounter beside", BOBS(BCODE("sign") "," BCAT("motor-trophic") "," BENC("Encounter/e1") ",\"_encounter\":" EXT),
		 1, 1, -2, "sign", "motor-trophic", NULL},
		{"no encounter, _code in the category", BOBS(BCODE("sign") ",\"category\":[{\"coding\":[{\"system\":"
		 "\"urn:mednec:local:budapest-category\",\"code\":\"sensory\",\"_code\":" EXT "}]}]"), 1, -2, 1, "sign", NULL, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (int cleared = 0; cleared < 2; cleared++) {
			mn_arena *a = mn_arena_new();
			mn_error err;
			mn_error_clear(&err);
			mn_json *root = NULL;
			char *text = mn_arena_strdup(a, cases[i].json);
			CHECK_MSG(text && mn_json_parse(a, "inline", text, strlen(text), &root, &err) == MN_OK, "%s: %s",
			          cases[i].what, err.message);
			if (!root) {
				mn_arena_free(a);
				continue;
			}
			if (cleared)
				clear_flags(root);
			mn_resource r = {.json = root, .type_name = "Observation", .id = "x"};
			const char *what = cleared ? "flags cleared" : "as parsed", *kind = NULL, *cat = NULL, *enc = NULL;
			bool many_k = true, many_c = true;
			int kr = mn_clin_native_codes(&r, false, &kind, &many_k), cr = mn_clin_native_codes(&r, true, &cat, &many_c);
			int er = mn_clin_native_encounter(&r, &enc);
			CHECK_MSG(kr == cases[i].kind_rc && cr == cases[i].cat_rc && er == cases[i].enc_rc,
			          "%s (%s): kind %d, category %d, encounter %d", cases[i].what, what, kr, cr, er);
			if (kr == 1)
				CHECK_MSG((cases[i].kind ? kind && strcmp(kind, cases[i].kind) == 0 : !kind) && !many_k,
				          "%s (%s): kind %s", cases[i].what, what, kind ? kind : "(none)");
			if (cr == 1)
				CHECK_MSG((cases[i].cat ? cat && strcmp(cat, cases[i].cat) == 0 : !cat) && !many_c,
				          "%s (%s): category %s", cases[i].what, what, cat ? cat : "(none)");
			if (er == 1)
				CHECK_MSG(cases[i].enc ? enc && strcmp(enc, cases[i].enc) == 0 : !enc, "%s (%s): encounter %s",
				          cases[i].what, what, enc ? enc : "(none)");
			mn_arena_free(a);
		}
}

/* The selects of the Budapest findings, its criteria 1 and 4 and of the ODI totals, read natively and by
 * FHIRPath alike: statuses, codes of other systems, other resource types. */
static void test_native_select(mn_score_config *cfg)
{
	unsigned all = MN_NATIVE_SELECT_FINDINGS | MN_NATIVE_SELECT_PAIN | MN_NATIVE_SELECT_NO_BETTER |
	               MN_NATIVE_SELECT_ODI;
	CHECK((cfg->native & all) == all);
	static const char *const cases[][2] = {
		{"statuses", WITH_ODD(
		 OBS_STATUS("s1", "\"status\":\"preliminary\",", BCODE("sign") "," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia"))
		 OBS_STATUS("s2", "\"status\":\"amended\",", BCODE("sign") "," BCAT("motor-trophic") "," IN("e1") DAY "," CODED("tremor"))
		 OBS_STATUS("s3", "\"status\":\"corrected\",", BCODE("symptom") "," BCAT("sensory") "," IN("e2") "\"effectiveDateTime\":\"2026-11-06\"," CODED("allodynia"))
		 OBS_STATUS("s4", "\"status\":\"Final\",", BCODE("sign") "," BCAT("sudomotor-edema") "," IN("e1") DAY "," CODED("edema"))
		 OBS_STATUS("s5", "\"status\":\"entered-in-error\",", BCODE("sign") "," BCAT("sudomotor-edema") "," IN("e1") DAY "," CODED("edema"))
		 OBS_STATUS("c1", "\"status\":\"preliminary\",", BCODE("disproportionate-pain") "," IN("e1") DAY ",\"valueBoolean\":false")
		 OBS_STATUS("c0", "\"status\":\"final\",", BCODE("disproportionate-pain") "," IN("e1") "\"effectiveDateTime\":\"2026-11-04\",\"valueBoolean\":true")
		 OBS_STATUS("c4", "\"status\":\"amended\",", BCODE("no-better-explanation") "," IN("e1") DAY ",\"valueBoolean\":true")
		 OBS_STATUS("o1", "\"status\":\"final\",", ODI_CODE("urn:mednec:local:assessment", "odi-total") "," DAY PCT("30"))
		 OBS_STATUS("o2", "\"status\":\"registered\",", ODI_CODE("urn:mednec:local:assessment", "odi-total") "," DAY PCT("50"))
		 OBS_STATUS("o3", "\"status\":\"corrected\",", ODI_CODE("urn:mednec:local:assessment2", "odi-total") "," DAY PCT("60"))
		 OBS_STATUS("o4", "\"status\":\"amended\",", ODI_CODE("urn:mednec:local:assessment", "odi-total ") "," DAY PCT("70"))
		 OBS_STATUS("o5", "\"status\":\"amended\",", "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"x\"},"
		            "{\"system\":\"urn:mednec:local:assessment\",\"code\":\"odi-total\"}]}," "\"effectiveDateTime\":\"2026-10-01\"" PCT("22")))},
		{"codes", WITH_ODD(
		 OBS_STATUS("k1", "\"status\":\"final\",", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\"},"
		            "{\"code\":\"sign\"}]}," BCAT("sensory") "," IN("e1") DAY "," CODED("allodynia"))
		 OBS_STATUS("k2", "\"status\":\"final\",", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"Sign\"},"
		            "{\"system\":\"urn:mednec:local:budapest\",\"code\":\"symptom\"}]}," BCAT("motor-trophic") "," IN("e1") DAY "," CODED("tremor"))
		 OBS_STATUS("k3", "\"status\":\"final\",", "\"code\":{\"text\":\"sign\"}," BCAT("motor-trophic") "," IN("e1") DAY "," CODED("tremor"))
		 ",{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"pr\",\"status\":\"completed\",\"subject\":{\"reference\":"
		 "\"Patient/p\"}," BCODE("sign") ",\"performedDateTime\":\"2026-11-05\"}}" CRIT)},
		{"status extension", WITH_ODD(
		 OBS_STATUS("s6", "\"status\":\"final\",\"_status\":" EXT ",", BCODE("sign") "," BCAT("sensory") "," IN("e1") DAY "," CODED("edema")) CRIT)},
		{"code extension", WITH_ODD(
		 OBS_STATUS("k4", "\"status\":\"final\",", "\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:budapest\",\"code\":\"sign\","
		            "\"_code\":" EXT "}]}," BCAT("vasomotor") "," IN("e1") DAY "," CODED("edema")) CRIT)},
		{"nothing selected", BUNDLE(OBS_STATUS("n1", "\"status\":\"final\",", ODI_CODE("http://loinc.org", "72514-3") "," DAY))},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		same_both_ways_text(cfg, cases[i][1], cases[i][0]);
	/* Shapes no valid record has, made in the tree after the load: a status that is a number, no status,
	 * a status twice, a code that is an array, of a finding, a criterion and an ODI total. */
	static const char *const ids[] = {"y", "c4", "o1"};
	for (int change = 0; change < 12; change++) {
		mn_arena *a = mn_arena_new();
		mn_json *root;
		mn_case *k = case_tree(a, cases[0][1], &root);
		mn_json_member *st = k ? member_of_id(k, ids[change % 3], "status") : NULL;
		mn_json_member *sub = k ? member_of_id(k, ids[change % 3], "subject") : NULL;
		mn_json_member *code = k ? member_of_id(k, ids[change % 3], "code") : NULL;
		CHECK(st && sub && code);
		if (st && sub && code) {
			switch (change / 3) {
			case 0: st->value.type = MN_JSON_NUMBER; st->value.u.s = "1"; st->value.n = 1; break;
			case 1: st->key = "statuz"; break;
			case 2: sub->key = "status"; sub->key_len = 6; sub->value = st->value; break;
			case 3: code->value.type = MN_JSON_ARRAY; code->value.n = 0; break;
			}
			char what[32];
			snprintf(what, sizeof what, "changed select %d", change);
			same_both_ways(cfg, k, what);
		}
		mn_case_free(k);
		mn_arena_free(a);
	}
}

#define ODI_AT(id, date, value) OBS_STATUS(id, "\"status\":\"final\",", \
	ODI_CODE("urn:mednec:local:assessment", "odi-total") ",\"effectiveDateTime\":\"" date "\"" value)
#define QTY(body) ",\"valueQuantity\":{" body "}"

/* The ODI keys (total, value, sections) read natively and by FHIRPath alike: every unit and number form. */
static void test_native_odi(mn_score_config *cfg)
{
	unsigned all = MN_NATIVE_ODI_TOTAL | MN_NATIVE_ODI_VALUE | MN_NATIVE_ODI_SECTIONS;
	CHECK((cfg->native & all) == all);
	static const char odis[] = BUNDLE(
		ODI_AT("q01", "2026-10-01", PCT("30")) ODI_AT("q02", "2026-10-02", QTY("\"value\":40,\"unit\":\"%\""))
		ODI_AT("q03", "2026-10-03", QTY("\"value\":50,\"code\":\"%\",\"system\":\"urn:x\",\"unit\":\"%\""))
		ODI_AT("q04", "2026-10-04", QTY("\"value\":18,\"code\":\"{score}\",\"unit\":\"%\""))
		ODI_AT("q05", "2026-10-05", QTY("\"value\":18,\"unit\":\"points\""))
		ODI_AT("q06", "2026-10-06", QTY("\"unit\":\"%\""))
		ODI_AT("q07", "2026-10-07", QTY("\"value\":30.5,\"unit\":\"%\""))
		ODI_AT("q08", "2026-10-08", QTY("\"value\":3e1,\"unit\":\"%\""))
		ODI_AT("q09", "2026-10-09", ",\"valueInteger\":18")
		ODI_AT("q10", "2026-10-10", "")
		ODI_AT("q11", "2026-10-11", QTY("\"value\":0,\"code\":\"%\""))
		ODI_AT("q12", "2026-10-12", QTY("\"value\":100,\"code\":\"%\",\"system\":\"http://unitsofmeasure.org\""))
		ODI_AT("q13", "2026-10-13", QTY("\"value\":101,\"unit\":\"%\""))
		ODI_AT("q14", "2026-10-14", QTY("\"value\":22,\"_value\":" EXT ",\"unit\":\"%\""))
		ODI_AT("q15", "2026-10-15", QTY("\"value\":22,\"unit\":\"%\",\"_unit\":" EXT))
		ODI_AT("q16", "2026-10-16", QTY("\"value\":24,\"unit\":\"percent\",\"code\":\"%\""))
		ODI_AT("q17", "2026-10-17", QTY("\"value\":26,\"code\":\"%\",\"system\":\"http://unitsofmeasure.org/\""))
		ODI_AT("q18", "2026-10-18", QTY("\"value\":123456789012345,\"unit\":\"%\""))
		ODI_AT("q19", "2026-10-19", QTY("\"value\":-4,\"unit\":\"%\""))
		ODI_AT("q20", "2026-10-20", QTY("\"value\":28,\"unit\":\"%\"") ",\"component\":[" SEC("1", "2") "," SEC("2", "3") "]")
		ODI_AT("q21", "2026-10-21", QTY("\"value\":14,\"unit\":\"points\"") ",\"component\":[" SEC("1", "2") "]")
		ODI_AT("q22", "2026-10-22", ",\"valueString\":\"30%\"")
		ODI_AT("q23", "2026-10-23", QTY("\"value\":20.0,\"unit\":\"%\""))
		ODI_AT("q24", "2026-10-24", QTY("\"value\":1E2,\"unit\":\"%\"")));
	same_both_ways_text(cfg, odis, "ODI totals");
	mn_arena *a;
	mn_json *root;
	mn_case *k;
	/* after the load: a value that is a string, a unit that is a number, a second value[x] */
	for (int change = 0; change < 3; change++) {
		a = mn_arena_new();
		k = case_tree(a, odis, &root);
		mn_json_member *q = k ? member_of_id(k, "q01", "valueQuantity") : NULL;
		mn_json_member *sub = k ? member_of_id(k, "q01", "subject") : NULL;
		CHECK(q && sub);
		if (q && sub) {
			if (change == 0)
				q->value.u.members[0].value.type = MN_JSON_STRING;  /* "30" */
			else if (change == 1)
				q->value.u.members[1].value.type = MN_JSON_NUMBER;  /* unit: the text "%" as a number */
			else {
				sub->key = "valueInteger";
				sub->key_len = 12;
				sub->value = (mn_json){.type = MN_JSON_NUMBER, .n = 2, .u.s = "30"};
			}
			same_both_ways(cfg, k, change == 0 ? "value a string" : change == 1 ? "unit a number" : "two values");
		}
		mn_case_free(k);
		mn_arena_free(a);
	}
	/* by hand: 30 % UCUM is a recorded total of 30 % (moderate disability, 21-40 %) */
	mn_scores *s = score_text(cfg, BUNDLE(ODI_AT("q01", "2026-10-01", PCT("30"))), "2026-11-20", &k, a = mn_arena_new());
	if (s) {
		CHECK(jis(s->json, "odi/0/percent", "30"));
		CHECK(jis(s->json, "odi/0/from", "recorded-total"));
	}
	mn_case_free(k);
	mn_arena_free(a);
}

/* The %scores tree (parsed in place from the text the calculators write) holds a record's text as written:
 * a display with a quote, a backslash, a slash, non-ASCII and control characters, escaped and unescaped
 * again; written out and parsed by the copying parser, the same text. */
static void test_scores_tree_text(mn_score_config *cfg)
{
	mn_arena *a = mn_arena_new();
	mn_case *k = NULL;
	mn_scores *s;
	static const char odd[] = BUNDLE(",{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"odd\","
		"\"status\":\"active\",\"intent\":\"order\",\"medicationCodeableConcept\":{\"coding\":[{" RX ","
		"\"code\":\"999999\",\"display\":\"Q\\\"uote\\\\back\\/slash \\u00e9 \\u2603 \\u0001 tab\\t\"}]},"
		SUBJ ",\"authoredOn\":\"2026-10-01\",\"dosageInstruction\":[" DOSE("\"frequency\":1,\"period\":1,"
		"\"periodUnit\":\"d\"", MG("10")) "]}}");
	if ((s = score_text(cfg, odd, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "mme/notInTable/0/reference", "MedicationRequest/odd"));
		CHECK(jis(s->json, "mme/notInTable/0/code", "999999"));
		CHECK(jis(s->json, "mme/notInTable/0/display", "Q\"uote\\back/slash \xc3\xa9 \xe2\x98\x83 \x01 tab\t"));
		CHECK(jis(s->json, "mme/complete", "false"));
		mn_buf w1 = MN_BUF_INIT, w2 = MN_BUF_INIT;
		mn_json *again = NULL;
		mn_error err;
		CHECK_INT(mn_json_write(&w1, s->json), 0);
		CHECK_INT(mn_json_parse(a, "again", mn_buf_cstr(&w1), w1.len, &again, &err), MN_OK);
		if (again) {
			CHECK_INT(mn_json_write(&w2, again), 0);
			CHECK_STR(mn_buf_cstr(&w2), mn_buf_cstr(&w1));
		}
		CHECK(strstr(mn_buf_cstr(&w1), "\"display\":\"Q\\\"uote\\\\back/slash") != NULL);
		mn_buf_free(&w1);
		mn_buf_free(&w2);
	}
	mn_case_free(k);
	mn_arena_free(a);
}

static void test_mme_records(mn_score_config *cfg)
{
	mn_arena *a = mn_arena_new();
	mn_case *k;
	mn_scores *s;

	/* The HL7/CDC opioid MME implementation guide's test (patient-mme-greater-than-fifty): a
	 * MedicationRequest for 72 HR fentanyl 0.075 MG/HR, 1 patch every 3 days -> 75 mcg/hr x 2.4 = 180. */
	static const char fentanyl[] = BUNDLE(REQUEST("fent", "197696",
		"{\"timing\":{\"repeat\":{\"frequency\":1,\"period\":3.0,\"periodUnit\":\"d\"}},\"asNeededBoolean\":false,"
		"\"doseAndRate\":[{\"doseQuantity\":{\"value\":1.0,\"unit\":\"patch\"}}]}"));
	if ((s = score_text(cfg, fentanyl, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "mme/complete", "true"));
		CHECK(jis(s->json, "mme/totalMmePerDay", "180"));
		CHECK(jis(s->json, "mme/drugs/0/reference", "MedicationRequest/fent"));
		CHECK(jis(s->json, "mme/drugs/0/mcgPerHour", "75"));
		CHECK(jis(s->json, "mme/drugs/0/factor", "2.4"));
		CHECK(has_source(find_score(s, "mme", 0), "fent", "request"));
	}
	mn_case_free(k);

	/* Doses given only as times of day: 10 mg oxycodone at 08:00 and 20:00 -> 20 mg/day x 1.5 = 30; the
	 * guide's own timeOfDay test (1049593, 10 mg at 10:00 and 22:00) also gives 30: total 60. Hydrocodone
	 * 5 mg (1 tablet of 857002) `when` MORN and HS -> 10 mg/day x 1.0 = 10. Total 70. */
	static const char times[] = BUNDLE(
		REQUEST("oxy-tod", "1049621", DOSE("\"timeOfDay\":[\"08:00:00\",\"20:00:00\"]", MG("10")))
		REQUEST("oxy-ig", "1049593", DOSE("\"boundsPeriod\":{\"start\":\"2026-09-28\"},\"timeOfDay\":[\"10:00:00\",\"22:00:00\"]", MG("10")))
		REQUEST("hc-when", "857002", DOSE("\"when\":[\"MORN\",\"HS\"]", TABLET("1"))));
	if ((s = score_text(cfg, times, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "mme/drugs/0/mgPerDay", "20"));
		CHECK(jis(s->json, "mme/drugs/0/mmePerDay", "30"));
		CHECK(jis(s->json, "mme/drugs/1/mmePerDay", "30"));
		CHECK(jis(s->json, "mme/drugs/2/mmePerDay", "10"));
		CHECK(jis(s->json, "mme/complete", "true"));
		CHECK(jis(s->json, "mme/totalMmePerDay", "70"));
	}
	mn_case_free(k);

	/* Every source: an order (oxycodone 5 mg, 1 tablet every 6 h = 20 mg/day x 1.5 = 30), a statement
	 * (morphine 15 mg BID = 30), a dispense handed over 2026-10-22 for 30 days (covers 10-22 to 11-20:
	 * hydrocodone 5 mg TID = 15), a fentanyl 75 mcg/h patch administration in progress (75 x 2.4 = 180).
	 * Left out: a dispense of 2026-10-21 for 30 days (covered to 11-19), a stopped order. Counted once: a
	 * dispense of the oxycodone order. Total 30 + 30 + 15 + 180 = 255. */
	static const char sources[] = BUNDLE(
		REQUEST("oxy", "1049621", DOSE("\"frequency\":1,\"period\":6,\"periodUnit\":\"h\"", TABLET("1")))
		",{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"stopped\",\"status\":\"stopped\","
		"\"intent\":\"order\"," MED("1049621") "," SUBJ ",\"dosageInstruction\":["
		DOSE("\"frequency\":4,\"period\":1,\"periodUnit\":\"d\"", TABLET("2")) "]}}"
		",{\"resource\":{\"resourceType\":\"MedicationStatement\",\"id\":\"mst\",\"status\":\"active\","
		MED("891881") "," SUBJ ",\"effectivePeriod\":{\"start\":\"2026-01-01\"},\"dosage\":["
		DOSE("\"frequency\":2,\"period\":1,\"periodUnit\":\"d\"", TABLET("1")) "]}}"
		DISPENSE("hc-disp", "857002", "2026-10-22", DAYS("30"), "",
		         DOSE("\"frequency\":3,\"period\":1,\"periodUnit\":\"d\"", TABLET("1")))
		DISPENSE("hc-old", "857002", "2026-10-21", DAYS("30"), "",
		         DOSE("\"frequency\":3,\"period\":1,\"periodUnit\":\"d\"", TABLET("1")))
		DISPENSE("oxy-disp", "1049621", "2026-11-01", DAYS("30"),
		         ",\"authorizingPrescription\":[{\"reference\":\"MedicationRequest/oxy\"}]",
		         DOSE("\"frequency\":1,\"period\":6,\"periodUnit\":\"h\"", TABLET("1")))
		",{\"resource\":{\"resourceType\":\"MedicationAdministration\",\"id\":\"patch\",\"status\":\"in-progress\","
		MED("197696") "," SUBJ ",\"effectivePeriod\":{\"start\":\"2026-11-19\"},"
		"\"dosage\":{\"dose\":{\"value\":1,\"unit\":\"patch\"}}}}");
	if ((s = score_text(cfg, sources, "2026-11-20", &k, a))) {
		const mn_json *j = s->json;
		CHECK(jis(j, "mme/complete", "true"));
		CHECK(jis(j, "mme/totalMmePerDay", "255"));
		CHECK_INT(jcount(j, "mme/drugs"), 4);
		CHECK(jis(j, "mme/countedWith/0/reference", "MedicationDispense/oxy-disp"));
		CHECK(jis(j, "mme/countedWith/0/countedWith", "MedicationRequest/oxy"));
		CHECK(!entries_have(j, "mme/entries", "MedicationDispense/hc-old"));
		CHECK(!entries_have(j, "mme/entries", "MedicationRequest/stopped"));
		CHECK(entries_have(j, "mme/entries", "MedicationDispense/hc-disp"));
		CHECK(entries_have(j, "mme/entries", "MedicationAdministration/patch"));
		CHECK(jis(j, "mme/drugs/3/mcgPerHour", "75"));
	}
	mn_case_free(k);
	/* as of 2026-11-21 the 10-22 dispense has run out too: 30 + 30 + 180 = 240 */
	if ((s = score_text(cfg, sources, "2026-11-21", &k, a))) {
		CHECK(jis(s->json, "mme/totalMmePerDay", "240"));
		CHECK(!entries_have(s->json, "mme/entries", "MedicationDispense/hc-disp"));
	}
	mn_case_free(k);

	/* As needed: 1 tablet (5 mg oxycodone) every 6 h as needed, at most 6 tablets a day -> the maximum,
	 * 30 mg/day x 1.5 = 45; without a maximum, the schedule: 4 a day = 20 mg x 1.5 = 30. Total 75. */
	static const char prn[] = BUNDLE(
		REQUEST("prn-max", "1049621", "{\"timing\":{\"repeat\":{\"frequency\":1,\"period\":6,\"periodUnit\":\"h\"}},"
		        "\"asNeededBoolean\":true,\"doseAndRate\":[{\"doseQuantity\":" TABLET("1") "}],"
		        "\"maxDosePerPeriod\":{\"numerator\":" TABLET("6") ",\"denominator\":{\"value\":1,"
		        "\"system\":\"http://unitsofmeasure.org\",\"code\":\"d\"}}}")
		REQUEST("prn-sched", "1049621", "{\"timing\":{\"repeat\":{\"frequency\":1,\"period\":6,\"periodUnit\":\"h\"}},"
		        "\"asNeededBoolean\":true,\"doseAndRate\":[{\"doseQuantity\":" TABLET("1") "}]}"));
	if ((s = score_text(cfg, prn, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "mme/drugs/0/mmePerDay", "45"));
		CHECK(jis(s->json, "mme/drugs/0/asNeeded", "true"));
		const mn_json *h = jpath(s->json, "mme/drugs/0/dosesFrom");
		CHECK(h && h->n > 20 && memcmp(h->u.s, "as needed: the maximum", 22) == 0);
		CHECK(jis(s->json, "mme/drugs/1/mmePerDay", "30"));
		h = jpath(s->json, "mme/drugs/1/dosesFrom");
		CHECK(h && h->n > 33 && memcmp(h->u.s, "as needed: at the scheduled frequency", 37) == 0);
		CHECK(jis(s->json, "mme/totalMmePerDay", "75"));
	}
	mn_case_free(k);

	/* An infusion in progress: morphine 2 mg/h = 48 mg/day x 1.0 = 48. */
	static const char infusion[] = BUNDLE(
		",{\"resource\":{\"resourceType\":\"MedicationAdministration\",\"id\":\"pca\",\"status\":\"in-progress\","
		MED("891881") "," SUBJ ",\"effectivePeriod\":{\"start\":\"2026-11-19\"},"
		"\"dosage\":{\"rateQuantity\":{\"value\":2,\"unit\":\"mg/h\",\"system\":\"http://unitsofmeasure.org\","
		"\"code\":\"mg/h\"}}}}");
	if ((s = score_text(cfg, infusion, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "mme/drugs/0/mgPerDay", "48"));
		CHECK(jis(s->json, "mme/totalMmePerDay", "48"));
	}
	mn_case_free(k);

	/* One course recorded twice: an order and a statement of morphine 15 mg BID (30). Linked by basedOn:
	 * counted once, 30. Not linked: possibly the same course, no total (30 as a partial sum). */
#define MORPHINE_ORDER REQUEST("mo", "891881", DOSE("\"frequency\":2,\"period\":1,\"periodUnit\":\"d\"", TABLET("1")))
#define MORPHINE_STATEMENT(link) ",{\"resource\":{\"resourceType\":\"MedicationStatement\",\"id\":\"ms\"," \
	"\"status\":\"active\"," MED("891881") "," SUBJ link ",\"dosage\":[" \
	DOSE("\"frequency\":2,\"period\":1,\"periodUnit\":\"d\"", TABLET("1")) "]}}"
	static const char linked[] = BUNDLE(MORPHINE_ORDER
		MORPHINE_STATEMENT(",\"basedOn\":[{\"reference\":\"MedicationRequest/mo\"}]"));
	static const char unlinked[] = BUNDLE(MORPHINE_ORDER MORPHINE_STATEMENT(""));
	if ((s = score_text(cfg, linked, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "mme/totalMmePerDay", "30"));
		CHECK(jis(s->json, "mme/countedWith/0/reference", "MedicationStatement/ms"));
	}
	mn_case_free(k);
	if ((s = score_text(cfg, unlinked, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "mme/complete", "false"));
		CHECK(jis(s->json, "mme/partialMmePerDay", "30"));
		CHECK(jis(s->json, "mme/drugs/1/status", "possible-duplicate"));
	}
	mn_case_free(k);

	/* A statement whose period ends "2026-11" may still be taken on 2026-11-20: kept (morphine 15 mg BID =
	 * 30); one that ended 2026-11-19 is not. */
#define STATEMENT(id, end) ",{\"resource\":{\"resourceType\":\"MedicationStatement\",\"id\":\"" id "\"," \
	"\"status\":\"active\"," MED("891881") "," SUBJ ",\"effectivePeriod\":{\"start\":\"2026-01-01\",\"end\":\"" end "\"}," \
	"\"dosage\":[" DOSE("\"frequency\":2,\"period\":1,\"periodUnit\":\"d\"", TABLET("1")) "]}}"
	static const char ends[] = BUNDLE(STATEMENT("month", "2026-11") STATEMENT("ended", "2026-11-19"));
	if ((s = score_text(cfg, ends, "2026-11-20", &k, a))) {
		CHECK(jis(s->json, "mme/totalMmePerDay", "30"));
		CHECK(entries_have(s->json, "mme/entries", "MedicationStatement/month"));
		CHECK(!entries_have(s->json, "mme/entries", "MedicationStatement/ended"));
	}
	mn_case_free(k);

	/* Fails closed: a dispense with no days supply (taken on the date?), an administration with a dose but
	 * no rate, a `when` meal code (how many meals?), a non-opioid not in the table: no total, each with a
	 * reason; the one computed (oxycodone 10 mg BID = 30) only as a partial sum. */
	static const char closed[] = BUNDLE(
		DISPENSE("nosupply", "891881", "2026-11-10", "", "",
		         DOSE("\"frequency\":2,\"period\":1,\"periodUnit\":\"d\"", TABLET("1")))
		",{\"resource\":{\"resourceType\":\"MedicationAdministration\",\"id\":\"shot\",\"status\":\"completed\","
		MED("1049593") "," SUBJ ",\"effectiveDateTime\":\"2026-11-20T09:00:00Z\",\"dosage\":{\"dose\":" MG("15") "}}}"
		REQUEST("meal", "1049621", DOSE("\"when\":[\"C\"]", TABLET("1")))
		REQUEST("gaba", "310431", DOSE("\"frequency\":3,\"period\":1,\"periodUnit\":\"d\"", TABLET("1")))
		REQUEST("oxy", "1049621", DOSE("\"frequency\":2,\"period\":1,\"periodUnit\":\"d\"", MG("10"))));
	if ((s = score_text(cfg, closed, "2026-11-20", &k, a))) {
		const mn_json *j = s->json;
		CHECK(jis(j, "mme/complete", "false"));
		CHECK(jpath(j, "mme/totalMmePerDay") == NULL);
		CHECK(jis(j, "mme/partialMmePerDay", "30"));
		CHECK(jis(j, "mme/drugs/0/reference", "MedicationDispense/nosupply"));
		CHECK(jis(j, "mme/drugs/0/status", "period-unknown"));
		CHECK(jis(j, "mme/drugs/1/status", "dose-not-structured"));
		CHECK(jis(j, "mme/drugs/2/status", "dose-not-structured"));
		CHECK(jis(j, "mme/drugs/3/status", "computed"));
		CHECK(jis(j, "mme/notInTable/0/reference", "MedicationRequest/gaba"));
		for (size_t i = 0; i < 3; i++) {
			char p[64];
			snprintf(p, sizeof p, "mme/drugs/%zu/reason", i);
			CHECK_MSG(jpath(j, p) != NULL, "%s missing", p);
		}
	}
	mn_case_free(k);
	mn_arena_free(a);
}

/* ---- knowledge files that do not load ---------------------------------------- */

static char *slurp(const char *path)
{
	char *text = NULL;
	size_t len;
	mn_error err;
	mn_error_clear(&err);
	mn_read_file(path, &text, &len, &err);
	return text;
}

static const char *const config_files[] = {"scores.yaml", "mme-cdc-2022.yaml", "rxnorm-opioids.tsv"};

/* Copy the score configuration of knowledge/ to dir (a mkdtemp template), with from replaced by to in file.
 * false when that failed (reported). */
static bool copy_config(char *dir, const char *file, const char *from, const char *to)
{
	CHECK(mkdtemp(dir) != NULL);
	for (int i = 0; i < 3; i++) {
		char src[1024], dst[1100];
		snprintf(src, sizeof src, "%s/knowledge/%s", mn_test_source_dir(), config_files[i]);
		snprintf(dst, sizeof dst, "%s/%s", dir, config_files[i]);
		char *text = slurp(src);
		CHECK(text != NULL);
		if (!text)
			return false;
		FILE *f = fopen(dst, "w");
		char *at = strcmp(config_files[i], file) == 0 ? strstr(text, from) : NULL;
		if (strcmp(config_files[i], file) == 0)
			CHECK_MSG(at != NULL, "'%s' not in %s", from, file);
		if (at) {
			fwrite(text, 1, (size_t)(at - text), f);
			fputs(to, f);
			fputs(at + strlen(from), f);
		} else {
			fputs(text, f);
		}
		fclose(f);
		free(text);
	}
	return true;
}

static void remove_config(const char *dir)
{
	for (int i = 0; i < 3; i++) {
		char p[1100];
		snprintf(p, sizeof p, "%s/%s", dir, config_files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Copy knowledge/ to a temporary folder with one replacement in one file;
 * loading must fail with want (code, key path, message part). */
static void config_fails(const char *file, const char *from, const char *to, mn_status want, const char *want_path,
                         const char *want_msg)
{
	char dir[] = "/tmp/mn-test-knowledge-XXXXXX";
	if (!copy_config(dir, file, from, to))
		return;
	mn_error err;
	mn_error_clear(&err);
	mn_score_config *cfg = NULL;
	CHECK_INT(mn_score_config_load(dir, &cfg, &err), want);
	CHECK(cfg == NULL);
	CHECK_MSG(strcmp(err.path, want_path) == 0, "path '%s', want '%s' (%s)", err.path, want_path, err.message);
	CHECK_MSG(strstr(err.message, want_msg) != NULL, "message '%s', want '%s'", err.message, want_msg);
	if (want != MN_EIO)
		CHECK_MSG(strstr(err.source, file) != NULL, "source '%s', want %s", err.source, file);
	mn_score_config_free(cfg);
	remove_config(dir);
}

/* ---- some of the scores (mn_scores_compute_some) -------------------------------- */

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_score(const mn_score *a, const mn_score *b)
{
	if (!same_text(a->name, b->name) || !same_text(a->title, b->title) || !same_text(a->variant, b->variant) ||
	    a->computed != b->computed || !same_text(a->value, b->value) || !same_text(a->why_not, b->why_not) ||
	    a->ndetails != b->ndetails || a->nsources != b->nsources)
		return false;
	for (size_t i = 0; i < a->ndetails; i++)
		if (!same_text(a->details[i], b->details[i]))
			return false;
	for (size_t i = 0; i < a->nsources; i++)
		if (a->sources[i].resource != b->sources[i].resource || !same_text(a->sources[i].role, b->sources[i].role) ||
		    !same_text(a->sources[i].date, b->sources[i].date))
			return false;
	return true;
}

static bool same_json(const mn_json *a, const mn_json *b)
{
	mn_buf x = MN_BUF_INIT, y = MN_BUF_INIT;
	mn_json_write(&x, a);
	mn_json_write(&y, b);
	bool same = x.len == y.len && memcmp(mn_buf_cstr(&x), mn_buf_cstr(&y), x.len) == 0;
	mn_buf_free(&x);
	mn_buf_free(&y);
	return same;
}

/* Every subset of the calculators over one record: the scores of the subset are those of the whole run that
 * belong to it, field for field and in order, and %scores has asOf and exactly their members, each the same
 * JSON as in the whole run. */
static void check_subsets(mn_score_config *cfg, const char *rel)
{
	static const char *const names[] = {"budapest", "odi", "mme", "relief", "eq5d"};
	mn_arena *a = mn_arena_new();
	mn_case *kase;
	mn_scores *all = score_case(cfg, rel, "2026-11-20", &kase, a);
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	for (unsigned want = 0; all && want <= MN_SCORES_ALL; want++) {
		mn_scores *s = NULL;
		mn_error err;
		mn_error_clear(&err);
		CHECK_MSG(mn_scores_compute_some(cfg, kase, &as_of, want, a, &s, &err) == MN_OK, "%s %u: %s", rel, want,
		          err.message);
		if (!s)
			continue;
		CHECK_STR(s->as_of, "2026-11-20");
		size_t k = 0;
		for (size_t i = 0; i < all->nscores; i++) {
			if (!(want & mn_score_bit(all->scores[i].name, strlen(all->scores[i].name))))
				continue;
			CHECK_MSG(k < s->nscores && same_score(&s->scores[k], &all->scores[i]), "%s %u: score %zu (%s)", rel,
			          want, i, all->scores[i].name);
			k++;
		}
		CHECK_MSG(k == s->nscores, "%s %u: %zu scores, want %zu", rel, want, s->nscores, k);
		size_t members = 1;
		CHECK(same_json(mn_json_get(s->json, "asOf"), mn_json_get(all->json, "asOf")));
		for (int n = 0; n < 5; n++) {
			const mn_json *m = mn_json_get(s->json, names[n]);
			if (want & (1u << n)) {
				members++;
				CHECK_MSG(m && same_json(m, mn_json_get(all->json, names[n])), "%s %u: %s", rel, want, names[n]);
			} else {
				CHECK_MSG(m == NULL, "%s %u: %s computed", rel, want, names[n]);
			}
		}
		CHECK_INT((int)s->json->n, (int)members);
	}
	/* MN_SCORES_ALL is mn_scores_compute, member for member */
	mn_scores *s = NULL;
	mn_error err;
	if (all && mn_scores_compute_some(cfg, kase, &as_of, MN_SCORES_ALL, a, &s, &err) == MN_OK)
		CHECK(same_json(s->json, all->json));
	mn_case_free(kase);
	mn_arena_free(a);
}

static void test_compute_some(mn_score_config *cfg)
{
	CHECK_INT((int)mn_score_bit("budapest", 8), MN_SCORE_BUDAPEST);
	CHECK_INT((int)mn_score_bit("odi", 3), MN_SCORE_ODI);
	CHECK_INT((int)mn_score_bit("mme", 3), MN_SCORE_MME);
	CHECK_INT((int)mn_score_bit("relief", 6), MN_SCORE_RELIEF);
	CHECK_INT((int)mn_score_bit("eq5d", 4), MN_SCORE_EQ5D);
	CHECK_INT((int)mn_score_bit("asOf", 4), 0);
	CHECK_INT((int)mn_score_bit("odix", 4), 0);
	CHECK_INT((int)mn_score_bit("odix", 3), MN_SCORE_ODI);  /* a length, not a C string */
	CHECK_INT((int)mn_score_bit("od", 2), 0);
	CHECK_INT((int)mn_score_bit(NULL, 0), 0);
	CHECK_INT(MN_SCORES_ALL, 31);

	/* the example case by hand: Budapest alone is the first score, met, with its 9 entries; nothing else */
	mn_arena *a = mn_arena_new();
	mn_case *kase = NULL;
	mn_error err;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	CHECK_INT(mn_case_load_file(src_path("examples/crps-ii-drg-trial.json"), &kase, &err), MN_OK);
	mn_scores *s = NULL;
	if (kase && mn_scores_compute_some(cfg, kase, &as_of, MN_SCORE_BUDAPEST, a, &s, &err) == MN_OK) {
		CHECK_INT((int)s->nscores, 1);
		CHECK_STR(s->scores[0].name, "budapest");
		CHECK_STR(s->scores[0].value, "clinical criteria met; research criteria met");
		CHECK_INT((int)s->scores[0].nsources, 9);
		CHECK(jis(s->json, "budapest/clinicalMet", "true"));
		CHECK(jis(s->json, "budapest/symptomCategories", "4"));
		CHECK(jis(s->json, "budapest/signCategories", "3"));
		CHECK(jpath(s->json, "odi") == NULL && jpath(s->json, "mme") == NULL);
	} else {
		CHECK_MSG(0, "budapest alone: %s", err.message);
	}
	/* none: asOf only */
	if (kase && mn_scores_compute_some(cfg, kase, &as_of, 0, a, &s, &err) == MN_OK) {
		CHECK_INT((int)s->nscores, 0);
		CHECK_INT((int)s->json->n, 1);
		CHECK(jis(s->json, "asOf", "2026-11-20"));
	}
	/* ODI alone: its three totals in date order */
	if (kase && mn_scores_compute_some(cfg, kase, &as_of, MN_SCORE_ODI, a, &s, &err) == MN_OK) {
		CHECK_INT((int)s->nscores, 3);
		if (s->nscores == 3) {
			CHECK_STR(s->scores[0].value, "60% (severe disability)");
			CHECK_STR(s->scores[2].value, "68% (crippled)");
		}
		CHECK(jis(s->json, "odi/2/percent", "68"));
		CHECK(jpath(s->json, "budapest") == NULL);
	}
	mn_case_free(kase);
	mn_arena_free(a);

	check_subsets(cfg, "examples/crps-ii-drg-trial.json");
	check_subsets(cfg, "tests/data/clinical/scores-fixture.json");
}

/* An expression that fails on the record fails the scores it belongs to, and only those: a calculator left
 * out is not evaluated. */
static void test_compute_some_error(void)
{
	/* the ODI selection gives a number, not resources: an error on any record */
	char dir[] = "/tmp/mn-test-knowledge-XXXXXX";
	if (!copy_config(dir, "scores.yaml", "odi:\n  select: \"", "odi:\n  select: \"1 | "))
		return;
	mn_error err;
	mn_error_clear(&err);
	mn_score_config *cfg = NULL;
	CHECK_INT(mn_score_config_load(dir, &cfg, &err), MN_OK);
	mn_case *kase = NULL;
	CHECK_INT(mn_case_load_file(src_path("examples/crps-ii-drg-trial.json"), &kase, &err), MN_OK);
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	mn_arena *a = mn_arena_new();
	mn_scores *s = NULL;
	if (cfg && kase) {
		CHECK_INT(mn_scores_compute(cfg, kase, &as_of, a, &s, &err), MN_EEVAL);
		CHECK_STR(err.path, "odi.select");
		CHECK_INT(mn_scores_compute_some(cfg, kase, &as_of, MN_SCORE_ODI | MN_SCORE_MME, a, &s, &err), MN_EEVAL);
		s = NULL;
		CHECK_INT(mn_scores_compute_some(cfg, kase, &as_of, MN_SCORES_ALL & ~MN_SCORE_ODI, a, &s, &err), MN_OK);
		CHECK(s && s->nscores == 4 && jpath(s->json, "odi") == NULL && jis(s->json, "budapest/clinicalMet", "true"));
	}
	mn_arena_free(a);
	mn_case_free(kase);
	mn_score_config_free(cfg);
	remove_config(dir);
}

static void test_config_errors(void)
{
	config_fails("scores.yaml", "  total: \"value", "  total: \"value..", MN_EPOLICY, "odi.total", "does not compile");
	config_fails("scores.yaml", "  medication: \"", "  doses: \"x\"\n  medication: \"", MN_EPOLICY, "mme",
	             "unknown key 'doses'");
	config_fails("scores.yaml", "  positive: \"iif(", "  positive: \"iif((", MN_EPOLICY, "budapest.positive",
	             "does not compile");
	config_fails("scores.yaml", "    max: 10", "    max: ten", MN_EPOLICY, "pain.0.max", "not a number");
	config_fails("scores.yaml", "mme-table: mme-cdc-2022.yaml", "mme-table: ../mme.yaml", MN_EPOLICY, "mme-table",
	             "file name");
	config_fails("scores.yaml", "mme-table: mme-cdc-2022.yaml", "mme-table: missing.yaml", MN_EIO, "", "cannot open");
	config_fails("mme-cdc-2022.yaml", "factor: 4.7", "factor: 4.7x", MN_EPOLICY, "factors.4.factor", "not a number");
	mn_error err;
	mn_error_clear(&err);
	mn_score_config *cfg = NULL;
	CHECK_INT(mn_score_config_load("/nonexistent", &cfg, &err), MN_EIO);
}

/* ---- mednec score ------------------------------------------------------------- */

static int run_score(const char *const *args, int n, char *out, size_t outsz)
{
	char *argv[16];
	argv[0] = "score";
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	fflush(stdout);
	fflush(stderr);
	int so = dup(1), se = dup(2);
	FILE *to = tmpfile(), *te = tmpfile();
	dup2(fileno(to), 1);
	dup2(fileno(te), 2);
	int rc = mn_cli_score(n + 1, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	rewind(to);
	size_t k = fread(out, 1, outsz - 1, to);
	out[k] = '\0';
	fclose(to);
	fclose(te);
	return rc;
}

static void test_cli(void)
{
	static char out[1 << 17], again[1 << 17];
	const char *ex = src_path("examples/crps-ii-drg-trial.json");
	const char *home = mn_test_source_dir();
	const char *text_args[] = {ex, "--as-of", "2026-11-20", "--home", home};
	CHECK_INT(run_score(text_args, 5, out, sizeof out), 0);
	CHECK(strstr(out, "as of 2026-11-20") != NULL);
	CHECK(strstr(out, "clinical criteria met; research criteria met") != NULL);
	CHECK(strstr(out, "Observation/budapest-sign-vasomotor  2026-11-05  sign:") != NULL);
	CHECK(strstr(out, "68% (crippled)") != NULL);
	CHECK(strstr(out, "Observation/odi-2026-09  2026-09-15  total:") != NULL);
	CHECK(strstr(out, "dose not structured") == NULL);
	CHECK(strstr(out, "not computed: no EQ-5D response in the record") != NULL);
	CHECK_INT(run_score(text_args, 5, again, sizeof again), 0);
	CHECK(strcmp(out, again) == 0);  /* deterministic */

	const char *json_args[] = {ex, "--as-of", "2026-11-20", "--format", "json", "--home", home};
	CHECK_INT(run_score(json_args, 7, out, sizeof out), 0);
	mn_arena *a = mn_arena_new();
	mn_json *j = NULL;
	mn_error err;
	mn_error_clear(&err);
	CHECK_INT(mn_json_parse(a, "out", out, strlen(out), &j, &err), MN_OK);
	CHECK(j && jis(j, "budapest/clinicalMet", "true"));
	CHECK(j && jis(j, "odi/1/percent", "64"));
	CHECK(j && jis(j, "case", ex));
	mn_arena_free(a);

	/* exit codes (docs/CLI.md) */
	const char *no_date[] = {ex, "--home", home};
	CHECK_INT(run_score(no_date, 3, out, sizeof out), 64);
	CHECK_STR(out, "");
	const char *bad_date[] = {ex, "--as-of", "2026-02-30", "--home", home};
	CHECK_INT(run_score(bad_date, 5, out, sizeof out), 64);
	const char *month[] = {ex, "--as-of", "2026-02", "--home", home};
	CHECK_INT(run_score(month, 5, out, sizeof out), 64);
	const char *bad_fmt[] = {ex, "--as-of", "2026-11-20", "--format", "xml", "--home", home};
	CHECK_INT(run_score(bad_fmt, 7, out, sizeof out), 64);
	const char *bad_opt[] = {ex, "--as-of", "2026-11-20", "--policy", "x"};
	CHECK_INT(run_score(bad_opt, 5, out, sizeof out), 64);
	const char *no_case[] = {"--as-of", "2026-11-20"};
	CHECK_INT(run_score(no_case, 2, out, sizeof out), 64);
	const char *missing[] = {"/nonexistent/case.json", "--as-of", "2026-11-20", "--home", home};
	CHECK_INT(run_score(missing, 5, out, sizeof out), 66);
	const char *not_fhir[] = {src_path("knowledge/scores.yaml"), "--as-of", "2026-11-20", "--home", home};
	CHECK_INT(run_score(not_fhir, 5, out, sizeof out), 65);
	CHECK_STR(out, "");
	const char *bad_home[] = {ex, "--as-of", "2026-11-20", "--home", src_path("tests/data/clinical")};
	CHECK_INT(run_score(bad_home, 5, out, sizeof out), 66);

	/* The record as of the date: an ODI of 2026-12-01 is left out of the view as of 2026-11-20 (1 entry);
	 * a subject that does not resolve (Patient/missing) is a warning, not a refusal. */
	char rec[] = "/tmp/mn-test-record-XXXXXX";
	int fd = mkstemp(rec);
	CHECK(fd >= 0);
	if (fd >= 0) {
		static const char later[] = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
			"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"now\",\"status\":\"final\","
			"\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:assessment\",\"code\":\"odi-total\"}]},"
			"\"subject\":{\"reference\":\"Patient/missing\"},\"effectiveDateTime\":\"2026-11-05\","
			"\"valueQuantity\":{\"value\":30,\"system\":\"http://unitsofmeasure.org\",\"code\":\"%\"}}},"
			"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"later\",\"status\":\"final\","
			"\"code\":{\"coding\":[{\"system\":\"urn:mednec:local:assessment\",\"code\":\"odi-total\"}]},"
			"\"effectiveDateTime\":\"2026-12-01\","
			"\"valueQuantity\":{\"value\":70,\"system\":\"http://unitsofmeasure.org\",\"code\":\"%\"}}}]}";
		CHECK((size_t)write(fd, later, sizeof later - 1) == sizeof later - 1);
		close(fd);
		const char *view_args[] = {rec, "--as-of", "2026-11-20", "--format", "json", "--home", home};
		CHECK_INT(run_score(view_args, 7, out, sizeof out), 0);
		mn_arena *va = mn_arena_new();
		mn_json *vj = NULL;
		CHECK_INT(mn_json_parse(va, "out", out, strlen(out), &vj, &err), MN_OK);
		CHECK(vj && jis(vj, "leftOut", "1"));
		CHECK(vj && jis(vj, "odi/0/reference", "Observation/now"));
		CHECK(vj && jpath(vj, "odi/1") == NULL);
		mn_arena_free(va);
		const char *view_text[] = {rec, "--as-of", "2026-11-20", "--home", home};
		CHECK_INT(run_score(view_text, 5, out, sizeof out), 0);
		CHECK(strstr(out, "(1 record entry dated after 2026-11-20 left out)") != NULL);
		unlink(rec);
	}

	/* an invalid knowledge file: 78 */
	char dir[] = "/tmp/mn-test-home-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char kd[64], kf[96];
	snprintf(kd, sizeof kd, "%s/knowledge", dir);
	snprintf(kf, sizeof kf, "%s/scores.yaml", kd);
	CHECK(mkdir(kd, 0700) == 0);
	FILE *f = fopen(kf, "w");
	if (f) {
		fputs("mme-table: [unclosed\n", f);
		fclose(f);
	}
	const char *bad_knowledge[] = {ex, "--as-of", "2026-11-20", "--home", dir};
	CHECK_INT(run_score(bad_knowledge, 5, out, sizeof out), 78);
	CHECK_STR(out, "");
	unlink(kf);
	rmdir(kd);
	rmdir(dir);
}

int main(void)
{
	test_budapest();
	test_odi();
	test_mme();
	test_mme_table_errors();
	test_relief();
	test_eq5d();
	test_number();
	mn_error err;
	mn_error_clear(&err);
	mn_score_config *cfg = NULL;
	char kdir[1024];
	snprintf(kdir, sizeof kdir, "%s/knowledge", mn_test_source_dir());
	CHECK_INT(mn_score_config_load(kdir, &cfg, &err), MN_OK);
	if (cfg) {
		CHECK(mn_score_config_mme(cfg) != NULL);
		test_example_case(cfg);
		test_fixture(cfg);
		test_text_only_dose(cfg);
		test_budapest_records(cfg);
		test_budapest_long_reference(cfg);
		test_odi_records(cfg);
		test_mme_records(cfg);
		test_scores_tree_text(cfg);
		test_compute_some(cfg);
		test_native_date(cfg);
		test_native_budapest(cfg);
		test_native_select(cfg);
		test_native_odi(cfg);
		test_as_of_text(cfg);
	} else {
		fprintf(stderr, "knowledge: %s: %s\n", err.source, err.message);
	}
	mn_score_config_free(cfg);
	test_config_errors();
	test_compute_some_error();
	test_native_flags();
	test_cli();
	TEST_END();
}
