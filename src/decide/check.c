/*
 * check.c: a policy tests itself: its example cases must decide as
 * expected, and together they must show every criterion both met and unmet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/decide.h"

static void run_case(const mn_policy *p, const mn_policy_test *t, const char *home,
                     const mn_determine_options *opts, mn_buf *r, size_t *failures, unsigned *met, unsigned *unmet)
{
	mn_error err;
	mn_error_clear(&err);
	mn_case *c = NULL;
	mn_determination *d = NULL;
	mn_datetime as_of;
	mn_buf_printf(r, "  %s (as of %s): ", t->case_path, t->as_of);
	if (mn_case_load_any(home, t->case_path, &c, &err) != MN_OK) {
		char msg[2048];
		mn_error_format(&err, msg, sizeof msg);
		mn_buf_printf(r, "FAIL: the case does not load: %s\n", msg);
		++*failures;
		return;
	}
	/* as `mednec determine --as-of` does: a full date or nothing */
	if (mn_datetime_parse(t->as_of, strlen(t->as_of), MN_DT_DATE, &as_of, &err) != MN_OK ||
	    as_of.precision != MN_DT_DAY) {
		mn_buf_printf(r, "FAIL: asOf '%s' is not a full date (YYYY-MM-DD)\n", t->as_of);
		++*failures;
		mn_case_free(c);
		return;
	}
	if (mn_determine_flags(p, c, &as_of, opts, MN_DETERMINE_POLICY_SCORES, &d, &err) != MN_OK) {
		mn_buf_printf(r, "FAIL: %s\n", err.message);
		++*failures;
		mn_case_free(c);
		return;
	}
	size_t before = *failures;
	if (strcmp(t->expect, mn_outcome_name(d->outcome)) != 0) {
		mn_buf_printf(r, "\n    FAIL: determination %s, expected %s", mn_outcome_name(d->outcome), t->expect);
		++*failures;
	}
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *res = &d->results[i];
		if (res->status == MN_CRIT_MET)
			met[i]++;
		else
			unmet[i]++;
		for (size_t k = 0; k < t->ncriteria; k++) {
			if (strcmp(t->criterion_ids[k], res->criterion->id) != 0)
				continue;
			if (strcmp(t->statuses[k], mn_crit_status_name(res->status)) != 0) {
				mn_buf_printf(r, "\n    FAIL: criterion %s is %s, expected %s%s%s", res->criterion->id,
				              mn_crit_status_name(res->status), t->statuses[k], res->error ? " (" : "",
				              res->error ? res->error : "");
				if (res->error)
					mn_buf_putc(r, ')');
				++*failures;
			}
		}
	}
	if (*failures == before)
		mn_buf_printf(r, "ok, %s\n", mn_outcome_name(d->outcome));
	else
		mn_buf_putc(r, '\n');
	for (size_t i = 0; i < d->nwarnings; i++)
		mn_buf_printf(r, "    warning: %s\n", d->warnings[i]);
	mn_determination_free(d);
	mn_case_free(c);
}

mn_status mn_policy_check(const mn_policy *p, const char *home, mn_buf *report, size_t *failures, mn_error *err)
{
	*failures = 0;
	unsigned *met = calloc(p->ncriteria + 1, sizeof *met), *unmet = calloc(p->ncriteria + 1, sizeof *unmet);
	if (!met || !unmet) {
		free(met);
		free(unmet);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	/* the cases see what the CLI gives a policy: clinical scores and knowledge tables */
	char kdir[4096], scores_file[4200];
	snprintf(kdir, sizeof kdir, "%s/knowledge", home);
	snprintf(scores_file, sizeof scores_file, "%s/scores.yaml", kdir);
	mn_determine_options opts = {NULL, NULL};
	mn_score_config *cfg = NULL;
	mn_tables *tables = NULL;
	FILE *f = fopen(scores_file, "rb");
	mn_status rc = MN_OK;
	if (f) {
		fclose(f);
		rc = mn_score_config_load(kdir, &cfg, err);
	}
	if (rc == MN_OK)
		rc = mn_tables_load(kdir, &tables, err);
	if (rc != MN_OK) {
		free(met);
		free(unmet);
		mn_score_config_free(cfg);
		return rc;
	}
	opts.scores = cfg;
	opts.tables = tables;
	mn_buf_printf(report, "%s: %zu example case%s\n", p->id, p->ntests, p->ntests == 1 ? "" : "s");
	for (size_t i = 0; i < p->ntests; i++)
		run_case(p, &p->tests[i], home, &opts, report, failures, met, unmet);
	mn_score_config_free(cfg);
	mn_tables_free(tables);
	for (size_t i = 0; i < p->ncriteria; i++) {
		if (!met[i] || !unmet[i]) {
			mn_buf_printf(report, "  FAIL: criterion %s has no example case where it is %s\n", p->criteria[i].id,
			              met[i] ? "unmet" : "met");
			++*failures;
		}
	}
	free(met);
	free(unmet);
	return report->failed ? mn_error_set(err, MN_ENOMEM, "out of memory") : MN_OK;
}
