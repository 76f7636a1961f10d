/*
 * cli.h: commands of the mednec program that live outside main.c.
 */
#ifndef MN_CLI_H
#define MN_CLI_H

#include "mednec/fhir.h"
#include "mednec/util.h"

/* Exit codes (docs/CLI.md). */
enum {
	EXIT_OK = 0, EXIT_CHECK = 1, EXIT_USAGE = 64, EXIT_DATA = 65, EXIT_NOINPUT = 66, EXIT_INTERNAL = 70,
	EXIT_NOMEM = 71, EXIT_IO = 74, EXIT_CONFIG = 78
};

/* The exit code for a library status. */
int mn_cli_exit_for(mn_status code);
/* Print "mednec: FILE:LINE:COL: PATH: message [code]" and return its exit code. */
int mn_cli_report(const mn_error *err);
/* The knowledge folder: the override (--home), else $MEDNEC_HOME, else the
 * folder the program was built from. */
const char *mn_cli_home(const char *override);
/* The load flags of a patient record for a determination or scores:
 * dangling references and (unless strict) unknown elements and invalid
 * primitive values are warnings (docs/CLI.md). */
unsigned mn_cli_record_flags(bool strict);
/* On stderr, "mednec: warning: PATH: N data-quality problem(s) ...": the
 * elements of a record loaded with MN_CASE_LENIENT that were dropped. */
void mn_cli_warn_problems(const char *path, const mn_case *c);
/* Write the buffer to standard output; an exit code. */
int mn_cli_write(mn_buf *b);

/* mednec score CASE --as-of YYYY-MM-DD [--format text|json] [--home DIR]
 * argv[0] is "score". Returns the exit code (docs/CLI.md). */
int mn_cli_score(int argc, char **argv);

/* mednec audit verify|show ... (argv[0] is "audit"); docs/CLI.md. Returns the exit code. */
int mn_cli_audit(int argc, char **argv);
/* Store a CLI determination in the audit trail at url (endpoint "cli/determine", the SHA-256 of the case
 * file's bytes, the determination as JSON); says the row's id on stderr. Returns the exit code. */
struct mn_determination;
int mn_cli_audit_store(const char *url, const char *case_path, const struct mn_determination *det);
/* mednec serve --listen HOST:PORT [...]: the HTTP service (docs/SERVICE.md); argv[0] is "serve". Returns
 * the exit code: 0 after SIGTERM/SIGINT, 64 usage (including a non-loopback address without --jwks). */
int mn_cli_serve(int argc, char **argv);
/* mednec questionnaire --policy ID [CASE --as-of DATE]: the policy's DTR Questionnaire, or a
 * QuestionnaireResponse prefilled from CASE (docs/DTR.md); argv[0] is "questionnaire". */
int mn_cli_questionnaire(int argc, char **argv);

/* ---- mednec bulk and mednec impact (bulk.c, impact.c; docs/BULK.md) ---- */
#include "mednec/bulk.h"

/* bulk and impact: done, but bad records were skipped (reported with file and line) */
enum { EXIT_SKIPPED = 2 };

typedef struct mn_cli_bulk_opts {
	const char *policies[2];
	size_t npolicies;
	const char *as_of_text, *threads_text, *out, *home, *format;
	mn_datetime as_of;
	unsigned threads;
	bool strict;
	const char **inputs;
	size_t ninputs;
} mn_cli_bulk_opts;

/* The knowledge folder's library, tables and scores, loaded once and shared read-only by the threads. */
typedef struct mn_cli_knowledge {
	char *policies_dir;
	mn_library *lib;
	mn_tables *tables;
	mn_score_config *scores;
	mn_determine_options opts;
} mn_cli_knowledge;

int mn_cli_bulk_args(const char *cmd, int argc, char **argv, mn_cli_bulk_opts *a);
void mn_cli_bulk_opts_free(mn_cli_bulk_opts *a);
int mn_cli_knowledge_open(const char *home_override, mn_cli_knowledge *k);
void mn_cli_knowledge_close(mn_cli_knowledge *k);
/* A policy by file (NAME.yaml, whatever its effective period), by version (ID@TAG) or by id (the version in
 * force on as_of). */
int mn_cli_policy_load(const mn_cli_knowledge *k, const char *name, const mn_datetime *as_of, mn_policy **out);
int mn_cli_bulk_open(const mn_cli_bulk_opts *a, mn_bulk **out);
void mn_cli_bulk_problem(void *ctx, const mn_bulk_problem *p);
/* ctx: a double holding the start time (mn_cli_seconds) */
void mn_cli_bulk_progress(void *ctx, size_t done, size_t total);
double mn_cli_seconds(void);
/* mednec bulk / mednec impact; argv[0] is the command. Return the exit code. */
int mn_cli_bulk(int argc, char **argv);
int mn_cli_impact(int argc, char **argv);

#endif
