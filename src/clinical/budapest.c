/*
 * budapest.c: the Budapest criteria for complex regional pain syndrome.
 *
 * Counts the categories with at least one symptom (reported) and at least one
 * sign (observed at the evaluation) and applies both variants (facts.md §2;
 * Harden RN et al. Pain 2010;150:268-274; Lancet Neurol 2011;10(7):637-648,
 * PMC5511749 Table 1):
 *   clinical: symptoms in >= 3 of 4 categories, signs in >= 2 of 4;
 *   research: symptoms in all 4 categories, signs in >= 2 of 4;
 * both with continuing disproportionate pain (criterion 1) and no other
 * diagnosis that better explains the findings (criterion 4).
 */
#include <string.h>

#include "mednec/clinical.h"

static const char *const category_names[MN_BUDAPEST_NCATEGORIES] = {
	"sensory", "vasomotor", "sudomotor-edema", "motor-trophic"
};

const char *mn_budapest_category_name(int category)
{
	return category >= 0 && category < MN_BUDAPEST_NCATEGORIES ? category_names[category] : NULL;
}

int mn_budapest_category_parse(const char *name)
{
	for (int i = 0; name && i < MN_BUDAPEST_NCATEGORIES; i++)
		if (strcmp(name, category_names[i]) == 0)
			return i;
	return -1;
}

static bool valid_tristate(mn_tristate t)
{
	return t == MN_UNKNOWN || t == MN_NO || t == MN_YES;
}

/* Criteria 1 and 4 combined with the counts: a false criterion, or counts
 * that fail even with the unreadable findings, give NO; counts that could
 * hold only with unreadable findings, or a criterion not recorded, give
 * UNKNOWN. */
static mn_tristate combine(bool counts, bool possible, mn_tristate pain, mn_tristate no_better)
{
	if (!possible || pain == MN_NO || no_better == MN_NO)
		return MN_NO;
	if (!counts || pain == MN_UNKNOWN || no_better == MN_UNKNOWN)
		return MN_UNKNOWN;
	return MN_YES;
}

mn_status mn_budapest(const mn_budapest_input *in, mn_budapest_result *out, mn_error *err)
{
	if (!in || !out)
		return mn_error_set(err, MN_EUSAGE, "budapest: no input or result");
	if (!valid_tristate(in->disproportionate_pain) || !valid_tristate(in->no_better_diagnosis))
		return mn_error_set(err, MN_EUSAGE, "budapest: criteria 1 and 4 must be yes, no or unknown");
	memset(out, 0, sizeof *out);
	int sx_possible = 0, sg_possible = 0;
	for (int i = 0; i < MN_BUDAPEST_NCATEGORIES; i++) {
		out->symptom_categories += in->symptoms[i] > 0;
		out->sign_categories += in->signs[i] > 0;
		sx_possible += in->symptoms[i] > 0 || in->symptoms_unreadable[i] > 0;
		sg_possible += in->signs[i] > 0 || in->signs_unreadable[i] > 0;
	}
	out->clinical_counts = out->symptom_categories >= 3 && out->sign_categories >= 2;
	out->research_counts = out->symptom_categories == MN_BUDAPEST_NCATEGORIES && out->sign_categories >= 2;
	bool clinical_possible = sx_possible >= 3 && sg_possible >= 2;
	bool research_possible = sx_possible == MN_BUDAPEST_NCATEGORIES && sg_possible >= 2;
	out->clinical_met = combine(out->clinical_counts, clinical_possible, in->disproportionate_pain,
	                            in->no_better_diagnosis);
	out->research_met = combine(out->research_counts, research_possible, in->disproportionate_pain,
	                            in->no_better_diagnosis);
	return MN_OK;
}
