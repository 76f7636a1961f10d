/*
 * bulk.c: mednec bulk: decide a population (docs/BULK.md), and what bulk
 * and impact share: options, the knowledge folder, policies, bad-record
 * reports and the progress line.
 *
 *   mednec bulk --policy ID|all --as-of DATE [--threads N] [--out FILE] [--strict] INPUT...
 *
 * Exit codes: 0 done; 2 done, but bad records were skipped (reported on
 * stderr with file and line); 64 usage; 66 an input not readable; 71 out of
 * memory; 74 output error; 78 invalid policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mednec/bulk.h"
#include "cli.h"

static int usage(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "mednec %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see mednec --help and docs/BULK.md)\n");
	return EXIT_USAGE;
}

int mn_cli_bulk_args(const char *cmd, int argc, char **argv, mn_cli_bulk_opts *a)
{
	memset(a, 0, sizeof *a);
	a->format = "text";
	a->inputs = calloc((size_t)argc + 1, sizeof *a->inputs);
	if (!a->inputs)
		return EXIT_NOMEM;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **slot = NULL;
		if (strcmp(arg, "--policy") == 0) {
			if (a->npolicies == 2)
				return usage(cmd, "%s", "--policy is given at most twice");
			slot = &a->policies[a->npolicies++];
		} else if (strcmp(arg, "--as-of") == 0) slot = &a->as_of_text;
		else if (strcmp(arg, "--threads") == 0) slot = &a->threads_text;
		else if (strcmp(arg, "--out") == 0) slot = &a->out;
		else if (strcmp(arg, "--home") == 0) slot = &a->home;
		else if (strcmp(arg, "--format") == 0) slot = &a->format;
		else if (strcmp(arg, "--strict") == 0) { a->strict = true; continue; }
		else if (arg[0] == '-' && arg[1])
			return usage(cmd, "unknown option '%s'", arg);
		else {
			a->inputs[a->ninputs++] = arg;
			continue;
		}
		if (i + 1 >= argc)
			return usage(cmd, "option '%s' needs a value", arg);
		*slot = argv[++i];
	}
	if (!a->ninputs)
		return usage(cmd, "%s", "give at least one INPUT: a Bulk Data directory, an NDJSON file or a Bundle file");
	if (!a->npolicies)
		return usage(cmd, "%s", "--policy is required");
	if (!a->as_of_text)
		return usage(cmd, "%s", "--as-of YYYY-MM-DD is required: the evaluation date is an input, never the clock");
	mn_error err;
	mn_error_clear(&err);
	if (mn_datetime_parse(a->as_of_text, strlen(a->as_of_text), MN_DT_DATE, &a->as_of, &err) != MN_OK ||
	    a->as_of.precision != MN_DT_DAY)
		return usage(cmd, "--as-of: '%s' is not a valid date (YYYY-MM-DD)", a->as_of_text);
	a->threads = 1;
	if (a->threads_text) {
		char *end;
		long n = strtol(a->threads_text, &end, 10);
		if (*end || n < 1 || n > 256)
			return usage(cmd, "--threads: '%s' is not a number from 1 to 256", a->threads_text);
		a->threads = (unsigned)n;
	}
	return EXIT_OK;
}

void mn_cli_bulk_opts_free(mn_cli_bulk_opts *a)
{
	free(a->inputs);
	a->inputs = NULL;
}

static char *join(const char *dir, const char *sub)
{
	size_t n = strlen(dir) + strlen(sub) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, sub);
	return p;
}

int mn_cli_knowledge_open(const char *home_override, mn_cli_knowledge *k)
{
	memset(k, 0, sizeof *k);
	const char *home = mn_cli_home(home_override);
	mn_error err;
	mn_error_clear(&err);
	k->policies_dir = join(home, "policies");
	char *evidence = join(home, "evidence"), *knowledge = join(home, "knowledge");
	char *scores = knowledge ? join(knowledge, "scores.yaml") : NULL;
	int rc = EXIT_OK;
	if (!k->policies_dir || !evidence || !knowledge || !scores)
		rc = EXIT_NOMEM;
	else if (mn_library_load(evidence, &k->lib, &err) != MN_OK || mn_tables_load(knowledge, &k->tables, &err) != MN_OK ||
	         (access(scores, R_OK) == 0 && mn_score_config_load(knowledge, &k->scores, &err) != MN_OK))
		rc = mn_cli_report(&err);
	k->opts.scores = k->scores;
	k->opts.tables = k->tables;
	free(evidence);
	free(knowledge);
	free(scores);
	return rc;
}

void mn_cli_knowledge_close(mn_cli_knowledge *k)
{
	mn_score_config_free(k->scores);
	mn_tables_free(k->tables);
	mn_library_free(k->lib);
	free(k->policies_dir);
	memset(k, 0, sizeof *k);
}

int mn_cli_policy_load(const mn_cli_knowledge *k, const char *name, const mn_datetime *as_of, mn_policy **out)
{
	mn_error err;
	mn_error_clear(&err);
	size_t len = strlen(name);
	mn_status st;
	if (len > 5 && strcmp(name + len - 5, ".yaml") == 0)
		st = mn_policy_load_file(name, k->lib, out, &err);        /* a file: whatever its effective period */
	else if (strchr(name, '@'))
		st = mn_policy_load(k->policies_dir, name, k->lib, out, &err);  /* one version: ID@TAG */
	else
		st = mn_policy_load_in_force(k->policies_dir, name, as_of, k->lib, out, &err);
	return st == MN_OK ? EXIT_OK : mn_cli_report(&err);
}

void mn_cli_bulk_problem(void *ctx, const mn_bulk_problem *p)
{
	(void)ctx;
	if (p->line)
		fprintf(stderr, "mednec: %s:%ld: %s", p->file, p->line, p->message);
	else
		fprintf(stderr, "mednec: %s: %s", p->file, p->message);
	if (p->patient)
		fprintf(stderr, " (Patient/%s's decisions are held)", p->patient);
	else if (p->held_all)
		fprintf(stderr, " (it names no patient: every patient's decisions are held)");
	fputc('\n', stderr);
}

double mn_cli_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void mn_cli_bulk_progress(void *ctx, size_t done, size_t total)
{
	const double *start = ctx;
	double now = mn_cli_seconds(), el = now - *start;
	static double last;
	if (done != total && now - last < 0.5)
		return;
	last = now;
	double rate = el > 0 ? (double)done / el : 0;
	double eta = rate > 0 ? (double)(total - done) / rate : 0;
	fprintf(stderr, "\r%zu of %zu patients, %.0f/s, ETA %.0f s   %s", done, total, rate, eta, done == total ? "\n" : "");
}

/* Index the inputs and report what could not be read as records. */
int mn_cli_bulk_open(const mn_cli_bulk_opts *a, mn_bulk **out)
{
	mn_error err;
	mn_error_clear(&err);
	if (mn_bulk_open(a->inputs, a->ninputs, out, &err) != MN_OK)
		return mn_cli_report(&err);
	for (size_t i = 0; i < mn_bulk_problem_count(*out); i++)
		mn_cli_bulk_problem(NULL, mn_bulk_problem_at(*out, i));
	return EXIT_OK;
}

int mn_cli_bulk(int argc, char **argv)
{
	mn_cli_bulk_opts a;
	int rc = mn_cli_bulk_args("bulk", argc, argv, &a);
	if (rc != EXIT_OK) {
		mn_cli_bulk_opts_free(&a);
		return rc;
	}
	if (a.npolicies != 1 || strcmp(a.format, "text") != 0) {
		mn_cli_bulk_opts_free(&a);
		return usage("bulk", "%s", a.npolicies != 1 ? "give one --policy ID, or --policy all"
		                                            : "bulk writes NDJSON; --format belongs to impact");
	}
	mn_cli_knowledge k;
	mn_bulk *b = NULL;
	mn_policy **pols = NULL;
	size_t npols = 0;
	mn_arena *arena = mn_arena_new();
	FILE *out = stdout;
	mn_bulk_summary sum;
	memset(&sum, 0, sizeof sum);
	double start = mn_cli_seconds();
	bool all = strcmp(a.policies[0], "all") == 0;
	if ((rc = mn_cli_knowledge_open(a.home, &k)) != EXIT_OK)
		goto done;
	if (!arena) {
		rc = EXIT_NOMEM;
		goto done;
	}
	if (all) {
		/* every policy with a version in force on the as-of date */
		const char **ids;
		mn_error err;
		mn_error_clear(&err);
		if (mn_policy_ids(k.policies_dir, arena, &ids, &err) != MN_OK) {
			rc = mn_cli_report(&err);
			goto done;
		}
		size_t n = 0;
		while (ids[n])
			n++;
		if (!(pols = calloc(n + 1, sizeof *pols))) {
			rc = EXIT_NOMEM;
			goto done;
		}
		for (size_t i = 0; i < n; i++) {
			if (mn_policy_load_in_force_ex(k.policies_dir, ids[i], &a.as_of, k.lib, MN_POLICY_NONE_IN_FORCE_OK,
			                               &pols[npols], &err) != MN_OK) {
				rc = mn_cli_report(&err);
				goto done;
			}
			npols += pols[npols] != NULL;
		}
	} else {
		if (!(pols = calloc(2, sizeof *pols))) {
			rc = EXIT_NOMEM;
			goto done;
		}
		if ((rc = mn_cli_policy_load(&k, a.policies[0], &a.as_of, &pols[0])) != EXIT_OK)
			goto done;
		npols = 1;
	}
	if ((rc = mn_cli_bulk_open(&a, &b)) != EXIT_OK)
		goto done;
	if (a.out && !(out = fopen(a.out, "wb"))) {
		fprintf(stderr, "mednec bulk: cannot write %s\n", a.out);
		rc = EXIT_IO;
		goto done;
	}
	mn_bulk_decide_options o = {npols, pols, all, &a.as_of, &k.opts, a.threads, mn_cli_record_flags(a.strict), out,
	                            mn_cli_bulk_problem, isatty(2) ? mn_cli_bulk_progress : NULL, &start};
	mn_error err;
	mn_error_clear(&err);
	if (mn_bulk_decide(b, &o, &sum, &err) != MN_OK) {
		rc = mn_cli_report(&err);
		goto done;
	}
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "mednec bulk: cannot write the output\n");
		rc = EXIT_IO;
		goto done;
	}
	sum.seconds = mn_cli_seconds() - start;
	mn_buf text = MN_BUF_INIT;
	mn_bulk_summary_write(&sum, &text);
	fputs(mn_buf_cstr(&text), stderr);
	mn_buf_free(&text);
	rc = sum.problems ? EXIT_SKIPPED : EXIT_OK;
done:
	if (out && out != stdout && fclose(out) != 0 && rc == EXIT_OK)
		rc = EXIT_IO;
	mn_bulk_summary_free(&sum);
	mn_bulk_free(b);
	for (size_t i = 0; pols && i < npols; i++)
		mn_policy_free(pols[i]);
	free(pols);
	mn_arena_free(arena);
	mn_cli_knowledge_close(&k);
	mn_cli_bulk_opts_free(&a);
	return rc;
}
