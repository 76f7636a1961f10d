/*
 * odi.c: the Oswestry Disability Index (facts.md §3).
 *
 * Ten sections scored 0-5. Score = total / (5 x sections answered) x 100: "for
 * every question not answered, the denominator is reduced by 5" (16/50 = 32%;
 * 16/45 = 35.56%, which sources print as 35.5). Bands (Fairbank & Pynsent,
 * Spine 2000;25(22):2940-2952, via ASIR J 10.1186/1750-1164-7-12 Table 1):
 * 0-20 minimal, 21-40 moderate, 41-60 severe, 61-80 crippled, 81-100
 * bed-bound or exaggerating symptoms. No published maximum number of missing
 * sections was found, so none is enforced: the count answered is reported.
 */
#include <math.h>

#include "mednec/clinical.h"

const char *mn_odi_band_name(mn_odi_band band)
{
	switch (band) {
	case MN_ODI_MINIMAL: return "minimal disability";
	case MN_ODI_MODERATE: return "moderate disability";
	case MN_ODI_SEVERE: return "severe disability";
	case MN_ODI_CRIPPLED: return "crippled";
	case MN_ODI_BED_BOUND: return "bed-bound or exaggerating symptoms";
	case MN_ODI_BAND_NONE: break;
	}
	return "";
}

const char *mn_odi_band_key(mn_odi_band band)
{
	switch (band) {
	case MN_ODI_MINIMAL: return "minimal";
	case MN_ODI_MODERATE: return "moderate";
	case MN_ODI_SEVERE: return "severe";
	case MN_ODI_CRIPPLED: return "crippled";
	case MN_ODI_BED_BOUND: return "bed-bound";
	case MN_ODI_BAND_NONE: break;
	}
	return "";
}

/* The published bands are whole percents: [0,20], [21,40], [41,60], [61,80],
 * [81,100]. A percent computed from sections never falls in a gap (20k/n with
 * n <= 10 answered cannot lie strictly between 20 and 21, 40 and 41, ...);
 * a recorded percent that does (20.5) gets no band rather than a guessed one. */
mn_status mn_odi_band_of(double percent, mn_odi_band *out, mn_error *err)
{
	if (!out)
		return mn_error_set(err, MN_EUSAGE, "odi: no result");
	*out = MN_ODI_BAND_NONE;
	if (!isfinite(percent) || percent < 0 || percent > 100)
		return mn_error_set(err, MN_EUSAGE, "odi: %g is not a percent between 0 and 100", percent);
	static const double lo[] = {0, 21, 41, 61, 81}, hi[] = {20, 40, 60, 80, 100};
	for (int i = 0; i < 5; i++)
		if (percent >= lo[i] && percent <= hi[i])
			*out = (mn_odi_band)(MN_ODI_MINIMAL + i);
	return MN_OK;
}

mn_status mn_odi_from_sections(const int sections[MN_ODI_SECTIONS], mn_odi_result *out, mn_error *err)
{
	if (!sections || !out)
		return mn_error_set(err, MN_EUSAGE, "odi: no sections or result");
	int total = 0, answered = 0;
	for (int i = 0; i < MN_ODI_SECTIONS; i++) {
		if (sections[i] == MN_ODI_UNANSWERED)
			continue;
		if (sections[i] < 0 || sections[i] > 5)
			return mn_error_set(err, MN_EUSAGE, "odi: section %d scored %d; each section is 0 to 5", i + 1,
			                    sections[i]);
		total += sections[i];
		answered++;
	}
	if (!answered)
		return mn_error_set(err, MN_EUSAGE, "odi: no section answered");
	out->total = total;
	out->answered = answered;
	out->denominator = 5 * answered;
	out->percent = (double)total * 100.0 / (double)out->denominator;
	return mn_odi_band_of(out->percent, &out->band, err);
}

mn_status mn_odi_from_total(double percent, mn_odi_result *out, mn_error *err)
{
	if (!out)
		return mn_error_set(err, MN_EUSAGE, "odi: no result");
	out->total = out->answered = out->denominator = -1;
	out->percent = percent;
	return mn_odi_band_of(percent, &out->band, err);
}
