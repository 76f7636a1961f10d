/*
 * relief.c: percent pain relief between a baseline and a trial period.
 *
 * percent = (baseline - trial) / baseline x 100, both on the same scale (an
 * NRS 0-10, a VAS 0-100 mm). Plain arithmetic: which observations are the
 * baseline and the trial is decided by the binding (scores.c) and reported
 * with the values used.
 */
#include <math.h>

#include "mednec/clinical.h"

mn_status mn_relief(double baseline, double trial, double scale_max, mn_relief_result *out, mn_error *err)
{
	if (!out)
		return mn_error_set(err, MN_EUSAGE, "relief: no result");
	if (!isfinite(scale_max) || scale_max <= 0 || scale_max > 1e6)
		return mn_error_set(err, MN_EUSAGE, "relief: invalid scale maximum %g", scale_max);
	if (!isfinite(baseline) || baseline < 0 || baseline > scale_max)
		return mn_error_set(err, MN_EUSAGE, "relief: baseline %g is outside the scale 0-%g", baseline, scale_max);
	if (!isfinite(trial) || trial < 0 || trial > scale_max)
		return mn_error_set(err, MN_EUSAGE, "relief: trial score %g is outside the scale 0-%g", trial, scale_max);
	if (baseline == 0)
		return mn_error_set(err, MN_EUSAGE, "relief: baseline pain is 0, so percent relief is undefined");
	out->baseline = baseline;
	out->trial = trial;
	out->percent = (baseline - trial) * 100.0 / baseline;
	return MN_OK;
}
