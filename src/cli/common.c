/*
 * common.c: what every mednec command shares: exit codes for library
 * statuses, error reports, the knowledge folder, and writing output.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#ifndef MN_DEFAULT_HOME
#define MN_DEFAULT_HOME "/usr/share/mednec"
#endif

int mn_cli_exit_for(mn_status code)
{
	switch (code) {
	case MN_OK: return EXIT_OK;
	case MN_EUSAGE: case MN_ENOTFOUND: return EXIT_USAGE;
	case MN_EIO: return EXIT_NOINPUT;
	case MN_EJSON: case MN_EFHIR: case MN_EREF: case MN_ESYNTAX: case MN_ESEMANTIC: case MN_EEVAL: case MN_ELIMIT:
	case MN_EINTEGRITY:
		return EXIT_DATA;
	case MN_EPOLICY: return EXIT_CONFIG;
	case MN_ENOMEM: return EXIT_NOMEM;
	case MN_EINTERNAL: return EXIT_INTERNAL;
	}
	return EXIT_INTERNAL;
}

int mn_cli_report(const mn_error *err)
{
	if (err->code == MN_OK) {
		/* a step failed without filling its error: a bug, never "mednec: ok" and exit 0 */
		fprintf(stderr, "mednec: internal error: a step failed without saying why [%s]\n",
		        mn_status_name(MN_EINTERNAL));
		return EXIT_INTERNAL;
	}
	char msg[2048];
	mn_error_format(err, msg, sizeof msg);
	fprintf(stderr, "mednec: %s [%s]\n", msg, mn_status_name(err->code));
	return mn_cli_exit_for(err->code);
}

const char *mn_cli_home(const char *override)
{
	if (override)
		return override;
	const char *env = getenv("MEDNEC_HOME");
	return env && *env ? env : MN_DEFAULT_HOME;
}

int mn_cli_write(mn_buf *b)
{
	if (b->failed) {
		fprintf(stderr, "mednec: out of memory while writing output\n");
		return EXIT_NOMEM;
	}
	if (fwrite(mn_buf_cstr(b), 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
		fprintf(stderr, "mednec: cannot write output\n");
		return EXIT_IO;
	}
	return EXIT_OK;
}

unsigned mn_cli_record_flags(bool strict)
{
	return MN_CASE_ALLOW_UNRESOLVED | (strict ? 0u : MN_CASE_LENIENT);
}

void mn_cli_warn_problems(const char *path, const mn_case *c)
{
	size_t n = mn_case_problems(c);
	if (!n)
		return;
	fprintf(stderr, "mednec: warning: %s: %zu data-quality problem%s in the record, treated as absent", path, n,
	        n == 1 ? "" : "s");
	for (size_t i = 0; mn_case_problem_at(c, i); i++)
		fprintf(stderr, "%s%s", i ? "; " : ": ", mn_case_problem_at(c, i));
	fprintf(stderr, "%s\n", n > MN_CASE_PROBLEMS_KEPT ? "; ..." : "");
}
