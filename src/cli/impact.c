/*
 * impact.c: mednec impact: a population under two policies (docs/BULK.md,
 * "Policy impact").
 *
 *   mednec impact --policy OLD --policy NEW --as-of DATE [--format text|json] [--threads N] [--out FILE] INPUT...
 *
 * OLD and NEW are policy ids (the version in force on the as-of date),
 * versions (ID@TAG) or files (NAME.yaml, whatever their effective period).
 * Exit codes as for bulk: 0 done, 2 done with bad records skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int mn_cli_impact(int argc, char **argv)
{
	mn_cli_bulk_opts a;
	int rc = mn_cli_bulk_args("impact", argc, argv, &a);
	if (rc == EXIT_OK && a.npolicies != 2) {
		fprintf(stderr, "mednec impact: give --policy OLD --policy NEW (ids, ID@TAG versions or .yaml files)\n");
		rc = EXIT_USAGE;
	}
	bool json = rc == EXIT_OK && strcmp(a.format, "json") == 0;
	if (rc == EXIT_OK && !json && strcmp(a.format, "text") != 0) {
		fprintf(stderr, "mednec impact: --format: '%s' is not text or json\n", a.format);
		rc = EXIT_USAGE;
	}
	if (rc != EXIT_OK) {
		mn_cli_bulk_opts_free(&a);
		return rc;
	}
	mn_cli_knowledge k;
	mn_policy *old_p = NULL, *new_p = NULL;
	mn_bulk *b = NULL;
	mn_impact *im = NULL;
	mn_buf out = MN_BUF_INIT;
	double start = mn_cli_seconds();
	if ((rc = mn_cli_knowledge_open(a.home, &k)) != EXIT_OK ||
	    (rc = mn_cli_policy_load(&k, a.policies[0], &a.as_of, &old_p)) != EXIT_OK ||
	    (rc = mn_cli_policy_load(&k, a.policies[1], &a.as_of, &new_p)) != EXIT_OK ||
	    (rc = mn_cli_bulk_open(&a, &b)) != EXIT_OK)
		goto done;
	mn_impact_options o = {old_p, new_p, &a.as_of, &k.opts, a.threads, mn_cli_record_flags(a.strict),
	                       mn_cli_bulk_problem, isatty(2) ? mn_cli_bulk_progress : NULL, &start};
	mn_error err;
	mn_error_clear(&err);
	if (mn_impact_run(b, &o, &im, &err) != MN_OK) {
		rc = mn_cli_report(&err);
		goto done;
	}
	if ((json ? mn_impact_write_json(im, &out) : mn_impact_write_text(im, &out)) != MN_OK) {
		rc = EXIT_NOMEM;
		goto done;
	}
	if (a.out) {
		FILE *f = fopen(a.out, "wb");
		if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
			fprintf(stderr, "mednec impact: cannot write %s\n", a.out);
			rc = EXIT_IO;
			goto done;
		}
	} else if ((rc = mn_cli_write(&out)) != EXIT_OK) {
		goto done;
	}
	fprintf(stderr, "mednec impact: %zu patients, %zu decided, %zu whose outcome changes; %zu bad record%s skipped; "
	        "%.2f s\n", im->patients, im->decided, im->nchanges, im->problems, im->problems == 1 ? "" : "s",
	        mn_cli_seconds() - start);
	rc = im->problems ? EXIT_SKIPPED : EXIT_OK;
done:
	mn_buf_free(&out);
	mn_impact_free(im);
	mn_bulk_free(b);
	mn_policy_free(old_p);
	mn_policy_free(new_p);
	mn_cli_knowledge_close(&k);
	mn_cli_bulk_opts_free(&a);
	return rc;
}
