/*
 * bench_decide.c: one policy decision on a loaded case, in-process (bench/decide.sh, docs/PERFORMANCE.md).
 *
 *   bench_decide HOME CASE.json POLICY AS-OF [N]
 *
 * Loads what `mednec determine CASE --policy POLICY --as-of AS-OF` loads (the library, the policy in force,
 * the record as determine loads it, the clinical score configuration and the knowledge tables), outside the
 * timed part. Then decides N times (default 2000): mn_determine_flags with MN_DETERMINE_POLICY_SCORES (every
 * criterion, the as-of view, the scores the policy reads; no rendering; mn_determine_ex with every score when
 * MN_BENCH_ALL_SCORES=1 or for a library without the flag) and mn_determination_free. Prints the outcome and the median over 5 batches of the
 * time per decision. For instruction counts, run it under
 * valgrind --tool=callgrind --toggle-collect=bench_decision (the time is then meaningless).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mednec/decide.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One decision: the part callgrind counts (bench/decide.sh toggles collection on this function). With
 * MN_DETERMINE_POLICY_SCORES (mednec/decide.h, where the library has it) only the clinical scores the policy
 * reads are computed, unless all_scores (MN_BENCH_ALL_SCORES=1). */
static bool all_scores;

__attribute__((noinline)) static mn_status bench_decision(const mn_policy *pol, const mn_case *kase,
                                                          const mn_datetime *as_of, const mn_determine_options *opts,
                                                          mn_determination **d, mn_error *err)
{
#ifdef MN_DETERMINE_POLICY_SCORES
	return mn_determine_flags(pol, kase, as_of, opts, all_scores ? 0 : MN_DETERMINE_POLICY_SCORES, d, err);
#else
	return mn_determine_ex(pol, kase, as_of, opts, d, err);
#endif
}

static int fail(const char *what, const mn_error *err)
{
	fprintf(stderr, "bench_decide: %s: %s\n", what, err->message);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: bench_decide HOME CASE.json POLICY AS-OF [N]\n");
		return 64;
	}
	const char *home = argv[1], *case_path = argv[2], *policy = argv[3], *as_of_text = argv[4];
	long n = argc > 5 ? atol(argv[5]) : 2000;
	if (n < 1)
		n = 1;
	char evidence[4096], policies[4096], knowledge[4096];
	snprintf(evidence, sizeof evidence, "%s/evidence", home);
	snprintf(policies, sizeof policies, "%s/policies", home);
	snprintf(knowledge, sizeof knowledge, "%s/knowledge", home);
	mn_error err;
	mn_error_clear(&err);
	mn_datetime as_of;
	mn_library *lib = NULL;
	mn_policy *pol = NULL;
	mn_case *kase = NULL;
	mn_score_config *scores = NULL;
	mn_tables *tables = NULL;
	if (mn_datetime_parse(as_of_text, strlen(as_of_text), MN_DT_DATE, &as_of, &err) != MN_OK)
		return fail("--as-of", &err);
	if (mn_library_load(evidence, &lib, &err) != MN_OK)
		return fail("library", &err);
	if (mn_policy_load_in_force(policies, policy, &as_of, lib, &pol, &err) != MN_OK)
		return fail("policy", &err);
	/* as `mednec determine` loads a record (mn_cli_record_flags without --strict) */
	if (mn_case_load_file_ex(case_path, MN_CASE_ALLOW_UNRESOLVED | MN_CASE_LENIENT, &kase, &err) != MN_OK)
		return fail(case_path, &err);
	if (mn_score_config_load(knowledge, &scores, &err) != MN_OK || mn_tables_load(knowledge, &tables, &err) != MN_OK)
		return fail("knowledge", &err);
	mn_determine_options opts = {scores, tables};
	/* Loading frees many small blocks (libyaml's tokens) that glibc keeps in its fast bins; the process's
	 * next allocation of a large block merges them all at once (malloc_consolidate, 15-20 k instructions
	 * here). Make that allocation now, so that the first measured decision counts its own work and not
	 * how loading happened to leave the heap: which decision paid for it moved with unrelated changes. */
	void *volatile settle = malloc(64 * 1024);  /* volatile: the compiler may not drop the pair */
	free(settle);
	const char *all = getenv("MN_BENCH_ALL_SCORES");
	all_scores = all && *all && strcmp(all, "0") != 0;

	/* batches of n decisions; the first warms the caches */
	enum { BATCHES = 5 };
	double per[BATCHES];
	const char *outcome = "";
	size_t met = 0, nresults = 0, nscores = 0;
	for (int b = 0; b <= BATCHES; b++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++) {
			mn_determination *d;
			if (bench_decision(pol, kase, &as_of, &opts, &d, &err) != MN_OK)
				return fail("determine", &err);
			if (i == 0 && b == 0) {
				outcome = mn_outcome_name(d->outcome);
				nresults = d->nresults;
				nscores = d->scores ? d->scores->nscores : 0;
				for (size_t k = 0; k < d->nresults; k++)
					met += d->results[k].status == MN_CRIT_MET;
			}
			mn_determination_free(d);
		}
		if (b)
			per[b - 1] = (now_ns() - t0) / (double)n;
	}
	qsort(per, BATCHES, sizeof per[0], cmp_double);
	printf("{\"policy\":\"%s\",\"outcome\":\"%s\",\"criteria\":%zu,\"met\":%zu,\"scores\":%zu,\"decisions\":%ld,"
	       "\"us_per_decision\":%.2f,\"us_min\":%.2f,\"us_max\":%.2f}\n",
	       policy, outcome, nresults, met, nscores, n * BATCHES, per[BATCHES / 2] / 1e3, per[0] / 1e3,
	       per[BATCHES - 1] / 1e3);
	mn_tables_free(tables);
	mn_score_config_free(scores);
	mn_case_free(kase);
	mn_policy_free(pol);
	mn_library_free(lib);
	return 0;
}
