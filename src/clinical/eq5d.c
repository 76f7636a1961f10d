/*
 * eq5d.c: EQ-5D health states (facts.md §8).
 *
 * Five dimensions, each at a level 1..3 (3L) or 1..5 (5L), written as the
 * five-digit state ("11223"). An index needs a country value set; value sets
 * differ (the same responses give different indexes), and no verified
 * coefficient table is shipped, so no index is computed here. A recorded
 * index is reported by the binding together with the value set it names.
 */
#include <string.h>

#include "mednec/clinical.h"

static const char *const dimension_names[MN_EQ5D_DIMENSIONS] = {
	"mobility", "self-care", "usual-activities", "pain-discomfort", "anxiety-depression"
};

const char *mn_eq5d_dimension_name(int i)
{
	return i >= 0 && i < MN_EQ5D_DIMENSIONS ? dimension_names[i] : NULL;
}

mn_status mn_eq5d(const mn_eq5d_input *in, mn_eq5d_result *out, mn_error *err)
{
	if (!in || !out)
		return mn_error_set(err, MN_EUSAGE, "eq5d: no input or result");
	if (in->version != 3 && in->version != 5)
		return mn_error_set(err, MN_EUSAGE, "eq5d: version must be 3 (3L) or 5 (5L), not %d", in->version);
	memset(out, 0, sizeof *out);
	for (int i = 0; i < MN_EQ5D_DIMENSIONS; i++) {
		if (in->levels[i] < 1 || in->levels[i] > in->version)
			return mn_error_set(err, MN_EUSAGE, "eq5d: %s level %d is outside 1-%d", dimension_names[i],
			                    in->levels[i], in->version);
		out->state[i] = (char)('0' + in->levels[i]);
	}
	out->state[MN_EQ5D_DIMENSIONS] = '\0';
	out->index_computed = false;
	out->index_note = "index not computed: no verified value-set table shipped";
	return MN_OK;
}
