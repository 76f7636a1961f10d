/*
 * questionnaire.c: mednec questionnaire --policy ID [CASE] [--as-of DATE]
 * (docs/DTR.md): a policy's DTR Questionnaire, or with CASE a
 * QuestionnaireResponse prefilled from the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mednec/dtr.h"

static int q_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "mednec: questionnaire: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: mednec questionnaire --policy ID [CASE --as-of YYYY-MM-DD] [--as-of YYYY-MM-DD] "
	                "[--home DIR] [--strict]\n");
	return EXIT_USAGE;
}

int mn_cli_questionnaire(int argc, char **argv)
{
	const char *policy = NULL, *case_path = NULL, *as_of_text = NULL, *home = NULL;
	bool strict = false;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **slot = NULL;
		if (strcmp(arg, "--policy") == 0) slot = &policy;
		else if (strcmp(arg, "--as-of") == 0) slot = &as_of_text;
		else if (strcmp(arg, "--home") == 0) slot = &home;
		else if (strcmp(arg, "--strict") == 0) { strict = true; continue; }
		else if (arg[0] == '-' && arg[1])
			return q_usage("unknown option '%s'", arg);
		else if (case_path)
			return q_usage("one CASE file only; '%s' is extra", arg);
		else
			case_path = arg;
		if (slot) {
			if (i + 1 >= argc)
				return q_usage("option '%s' needs a value", arg);
			*slot = argv[++i];
		}
	}
	if (!policy)
		return q_usage("%s", "--policy ID is required (mednec policies lists them)");
	if (case_path && !as_of_text)
		return q_usage("%s", "--as-of YYYY-MM-DD is required with a CASE: the evaluation date is an input");
	mn_error err;
	mn_error_clear(&err);
	mn_datetime as_of;
	if (as_of_text && (mn_datetime_parse(as_of_text, strlen(as_of_text), MN_DT_DATE, &as_of, &err) != MN_OK ||
	                   as_of.precision != MN_DT_DAY))
		return q_usage("--as-of: '%s' is not a valid date (YYYY-MM-DD)", as_of_text);
	home = mn_cli_home(home);
	int rc = EXIT_OK;
	mn_arena *arena = mn_arena_new();
	const char *evidence = arena ? mn_arena_join(arena, home, '/', "evidence") : NULL;
	const char *policies = arena ? mn_arena_join(arena, home, '/', "policies") : NULL;
	const char *knowledge = arena ? mn_arena_join(arena, home, '/', "knowledge") : NULL;
	mn_library *lib = NULL;
	mn_policy *pol = NULL;
	mn_dtr_items *items = NULL;
	mn_case *kase = NULL;
	mn_score_config *scores = NULL;
	mn_tables *tables = NULL;
	mn_determination *d = NULL;
	mn_buf out = MN_BUF_INIT;
	if (!evidence || !policies || !knowledge) {
		rc = EXIT_NOMEM;
		goto done;
	}
	mn_status st = mn_library_load(evidence, &lib, &err);
	if (st == MN_OK)
		st = as_of_text ? mn_policy_load_in_force(policies, policy, &as_of, lib, &pol, &err)
		                : mn_policy_load(policies, policy, lib, &pol, &err);
	if (st == MN_OK)
		st = mn_dtr_items_load(knowledge, &items, &err);
	if (st == MN_OK && case_path) {
		const char *scores_file = mn_arena_join(arena, knowledge, '/', "scores.yaml");
		FILE *f = scores_file ? fopen(scores_file, "rb") : NULL;
		if (f) {
			fclose(f);
			st = mn_score_config_load(knowledge, &scores, &err);
		}
		if (st == MN_OK)
			st = mn_tables_load(knowledge, &tables, &err);
		if (st == MN_OK && (st = mn_case_load_file_ex(case_path, mn_cli_record_flags(strict), &kase, &err)) == MN_OK)
			mn_cli_warn_problems(case_path, kase);
		mn_determine_options opts = {scores, tables};
		if (st == MN_OK)
			st = mn_determine_ex(pol, kase, &as_of, &opts, &d, &err);
		if (st == MN_OK)
			st = mn_dtr_response(pol, items, d, NULL, &out, &err);
	} else if (st == MN_OK) {
		st = mn_dtr_questionnaire(pol, items, &out, &err);
	}
	rc = st == MN_OK ? mn_cli_write(&out) : mn_cli_report(&err);
done:
	mn_buf_free(&out);
	mn_determination_free(d);
	mn_case_free(kase);
	mn_tables_free(tables);
	mn_score_config_free(scores);
	mn_dtr_items_free(items);
	mn_policy_free(pol);
	mn_library_free(lib);
	mn_arena_free(arena);
	return rc;
}
