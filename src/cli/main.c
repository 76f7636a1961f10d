/*
 * main.c: the mednec command-line program, on the public API only.
 *
 *   mednec determine CASE --policy ID --as-of YYYY-MM-DD [--format text|json]
 *   mednec letter    CASE --policy ID --as-of YYYY-MM-DD [--format md|html|pdf] [--paper a4|letter] [-o FILE]
 *   mednec appeal    CASE --policy ID --as-of YYYY-MM-DD --denial FILE [same format options]
 *   mednec brief     CASE --policy ID --as-of YYYY-MM-DD [--denial FILE] [same format options]
 *   mednec score     CASE --as-of YYYY-MM-DD [--format text|json]
 *   mednec policies
 *   mednec check     POLICY...
 *   mednec eval      [-e EXPR]... [--var NAME=VALUE]... [--as-of DATE] [--model r4|none] [--lenient]
 *                    [--strict] [--repeat N] [FILE]...
 *
 * Every long option may be given as --name=value (split_long_options).
 *
 * Exit codes (docs/CLI.md): 0 done; 1 check found failing cases; 3 no letter, appeal or brief (the record holds
 * no request for the service); 64 usage; 65 bad case data or
 * expression; 66 input not readable; 70 internal; 71 out of memory; 74
 * output error; 78 invalid policy or evidence file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "mednec/fhirpath.h"
#include "mednec/knowledge.h"
#include "mednec/decide.h"
#include "mednec/render.h"
#include "cli.h"
#include "module.h"


static const char usage_text[] =
	"usage: mednec COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  determine CASE --policy ID|all --as-of YYYY-MM-DD [--format text|json]\n"
	"                 decide a request: criteria met / not met / not documented, with evidence;\n"
	"                 with --policy all, under every policy that applies to the request\n"
	"  letter CASE --policy ID --as-of YYYY-MM-DD [--format md|html|pdf] [--paper a4|letter] [-o FILE]\n"
	"                 write the letter of medical necessity (Markdown, one HTML page, or a PDF)\n"
	"  appeal CASE --policy ID --as-of YYYY-MM-DD --denial FILE [--format ...] [--paper ...] [-o FILE]\n"
	"                 answer each reason of a denial (FHIR ClaimResponse or a text list)\n"
	"  brief CASE --policy ID --as-of YYYY-MM-DD [--denial FILE] [--format ...] [--paper ...] [-o FILE]\n"
	"                 one-page brief for the peer-to-peer call: decision, strongest\n"
	"                 points, objections with answers, what would settle open criteria\n"
	"  score CASE --as-of YYYY-MM-DD [--format text|json]\n"
	"                 clinical scores (Budapest, ODI, MME, pain relief, EQ-5D) with the entries used\n"
	"  policies       list the policy files: id, effective period, file\n"
	"  check POLICY... load and check policies (ids or files) and run their example cases\n"
	"  eval [-e EXPR]... [--var NAME=VALUE]... [--as-of DATE] [--model r4|none] [--lenient]\n"
	"       [--strict] [--repeat N] [FILE]...\n"
	"                 evaluate FHIRPath expressions; one JSON array per evaluation;\n"
	"                 --model none: any JSON, plain navigation, System types only;\n"
	"                 --lenient: valueQuantity-style names select the typed choice element;\n"
	"                 --strict: FHIRPath strict mode and refuse a record with an unknown element\n"
	"  audit verify --store URL | audit show ID --store URL\n"
	"                 check the audit trail's hash chain, or print one stored decision (JSON);\n"
	"                 determine --store URL stores its determination there first\n"
	"  bulk --policy ID|all --as-of YYYY-MM-DD [--threads N] [--out FILE] INPUT...\n"
	"                 decide a population (Bulk Data NDJSON directory, NDJSON of Bundles, Bundle files):\n"
	"                 one NDJSON line per patient and policy, summary on stderr (docs/BULK.md)\n"
	"  impact --policy OLD --policy NEW --as-of YYYY-MM-DD [--format text|json] [--threads N] INPUT...\n"
	"                 a population under two policies (ids, ID@TAG versions or files): outcome\n"
	"                 transitions, criterion changes, the patients whose outcome changes\n"
	"  questionnaire --policy ID [CASE --as-of DATE]   DTR Questionnaire, or a response prefilled from CASE\n"
	"  serve --listen HOST:PORT [--store URL] [--policies DIR] [--threads N] [--jwks FILE] [--as-of DATE]\n"
	"                 HTTP service: CDS Hooks/CRD, PAS, /healthz, /metrics; decisions stored in the audit\n"
	"                 trail (default sqlite:mednec-audit.db); without --jwks loopback only (docs/SERVICE.md)\n"
	"\n"
	"options:\n"
	"  --home DIR     knowledge folder with policies/ and evidence/ (default: $MEDNEC_HOME,\n"
	"                 else " MN_DEFAULT_HOME ")\n"
	"  --strict       determine, letter, appeal, brief, score: refuse a record with an unknown element or an\n"
	"                 invalid value (default: warn and treat the element as absent)\n"
	"  --format md|html|pdf, --paper a4|letter, -o FILE\n"
	"                 letter, appeal, brief: the format (default md), the PDF's paper (default\n"
	"                 letter, US Letter) and the output file (default standard output; a PDF\n"
	"                 is not written to a terminal: give -o FILE or redirect, else exit 64)\n"
	"  -h, --help     this text;  --version  the version\n"
	"  every long option may be given as --name=value or --name value\n"
	"\n"
	"exit codes: 0 done, 1 check found failing example cases, 2 bulk/impact done but bad records\n"
	"            were skipped, 3 no letter, appeal or brief: the\n"
	"            record holds no request for the service, 64 usage, 65 invalid case data or\n"
	"            expression, 66 input not readable, 69 a module the command needs is missing\n"
	"            (mednec-pdf.so, mednec-pg.so), 70 internal error, 71 out of memory, 74 output\n"
	"            error, 78 invalid policy or evidence\n";

/* letter, appeal and brief: a determination without a request for the service */
enum { EXIT_NO_REQUEST = 3 };

static const char *prog_home;

static int report_error(const mn_error *err)
{
	return mn_cli_report(err);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mednec: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see mednec --help)\n");
	return EXIT_USAGE;
}

static int write_out(mn_buf *b)
{
	return mn_cli_write(b);
}

static const char *home(void)
{
	return mn_cli_home(prog_home);
}

static char *home_path(const char *sub)
{
	size_t n = strlen(home()) + strlen(sub) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", home(), sub);
	return p;
}

/* The clinical score configuration of the knowledge folder; a folder
 * without knowledge/scores.yaml has no scores (*out stays NULL). */
static mn_status load_scores(const char *dir, mn_score_config **out, mn_error *err)
{
	*out = NULL;
	char path[4200];
	snprintf(path, sizeof path, "%s/scores.yaml", dir);
	FILE *f = fopen(path, "rb");
	if (!f)
		return MN_OK;
	fclose(f);
	return mn_score_config_load(dir, out, err);
}

static int parse_as_of(const char *s, mn_datetime *out)
{
	mn_error err;
	mn_error_clear(&err);
	if (!s)
		return usage_error("%s", "--as-of YYYY-MM-DD is required: the evaluation date is an input, never the clock");
	if (mn_datetime_parse(s, strlen(s), MN_DT_DATE, out, &err) != MN_OK || out->precision != MN_DT_DAY)
		return usage_error("--as-of: '%s' is not a valid date (YYYY-MM-DD)", s);
	return EXIT_OK;
}

/* ---- determine and letter ---------------------------------------------- */

/* A patient record for a determination: a reference that does not resolve
 * within it (a Practitioner left out of the export) is a warning and
 * resolves to nothing; unless strict, so are an unknown element and an
 * invalid primitive value, dropped as absent (docs/CLI.md). */
static mn_status load_record(const char *path, bool strict, mn_case **out, mn_error *err)
{
	mn_status st = mn_case_load_file_ex(path, mn_cli_record_flags(strict), out, err);
	if (st == MN_OK)
		mn_cli_warn_problems(path, *out);
	size_t n = st == MN_OK ? mn_case_unresolved(*out) : 0;
	if (!n)
		return st;
	fprintf(stderr, "mednec: warning: %s: %zu reference%s not resolve within the record and resolve%s to nothing",
	        path, n, n == 1 ? " does" : "s do", n == 1 ? "s" : "");
	for (size_t i = 0; mn_case_unresolved_at(*out, i); i++)
		fprintf(stderr, "%s%s", i ? "; " : ": ", mn_case_unresolved_at(*out, i));
	fprintf(stderr, "%s\n", n > MN_CASE_UNRESOLVED_KEPT ? "; ..." : "");
	return st;
}

typedef struct decide_args {
	const char *case_path, *policy, *as_of, *format, *denial, *store, *paper, *output;
	bool strict;
} decide_args;

enum decide_mode { MODE_DETERMINE, MODE_LETTER, MODE_APPEAL, MODE_BRIEF };

/* The formats of letter, appeal and brief (docs/LETTERS.md). */
enum doc_format { DOC_MD, DOC_HTML, DOC_PDF };

static int doc_format(const char *name)
{
	return strcmp(name, "md") == 0 ? DOC_MD : strcmp(name, "html") == 0 ? DOC_HTML : strcmp(name, "pdf") == 0 ? DOC_PDF : -1;
}

static mn_status write_doc(const mn_doc *doc, int format, mn_paper paper, mn_buf *out, mn_error *err)
{
	if (format == DOC_PDF)
		return mn_doc_write_pdf(doc, paper, out, err);
	return format == DOC_HTML ? mn_doc_write_html(doc, out) : mn_doc_write_markdown(doc, out);
}

/* -o FILE: the bytes go to a temporary file beside it, renamed over FILE
 * once complete, so a failed write never leaves half a document. */
static int write_file(const char *path, mn_buf *b)
{
	if (b->failed) {
		fprintf(stderr, "mednec: out of memory while writing output\n");
		return EXIT_NOMEM;
	}
	size_t n = strlen(path) + sizeof ".tmp-XXXXXX";
	char *tmp = malloc(n);
	if (!tmp)
		return EXIT_NOMEM;
	snprintf(tmp, n, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	bool ok = f && fwrite(mn_buf_cstr(b), 1, b->len, f) == b->len;
	if (f)
		ok = fclose(f) == 0 && ok;
	else if (fd >= 0)
		close(fd);
	/* mkstemp creates the file 0600: a document is an ordinary file (umask applies) */
	mode_t mask = umask(0);
	umask(mask);
	ok = ok && chmod(tmp, 0666 & ~mask) == 0 && rename(tmp, path) == 0;
	if (!ok) {
		fprintf(stderr, "mednec: cannot write %s\n", path);
		if (fd >= 0)
			remove(tmp);
	}
	free(tmp);
	return ok ? EXIT_OK : EXIT_IO;
}

static int parse_decide_args(int argc, char **argv, decide_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const char **slot = NULL;
		if (strcmp(arg, "--policy") == 0) slot = &a->policy;
		else if (strcmp(arg, "--as-of") == 0) slot = &a->as_of;
		else if (strcmp(arg, "--format") == 0) slot = &a->format;
		else if (strcmp(arg, "--home") == 0) slot = &prog_home;
		else if (strcmp(arg, "--denial") == 0) slot = &a->denial;
		else if (strcmp(arg, "--store") == 0) slot = &a->store;
		else if (strcmp(arg, "--paper") == 0) slot = &a->paper;
		else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) slot = &a->output;
		else if (strcmp(arg, "--strict") == 0) { a->strict = true; continue; }
		else if (arg[0] == '-' && arg[1])
			return usage_error("unknown option '%s'", arg);
		else if (a->case_path)
			return usage_error("one CASE file only; '%s' is extra", arg);
		else
			a->case_path = arg;
		if (slot) {
			if (i + 1 >= argc)
				return usage_error("option '%s' needs a value", arg);
			*slot = argv[++i];
		}
	}
	if (!a->case_path)
		return usage_error("%s", "a CASE file (FHIR R4 JSON) is required");
	if (!a->policy)
		return usage_error("%s", "--policy ID is required (mednec policies lists them)");
	return EXIT_OK;
}

/* --policy all: every policy whose service request is in the record (or
 * that names no request expression), side by side. */
static int run_decide_all(const decide_args *a, const mn_datetime *as_of, const char *fmt)
{
	mn_error err;
	mn_error_clear(&err);
	int rc = EXIT_OK;
	mn_library *lib = NULL;
	mn_case *kase = NULL;
	mn_score_config *scores = NULL;
	mn_tables *tables = NULL;
	mn_arena *arena = mn_arena_new();
	const char **ids = NULL;
	mn_buf out = MN_BUF_INIT, table = MN_BUF_INIT, details = MN_BUF_INIT;
	char *evidence = home_path("evidence"), *policies = home_path("policies"), *knowledge = home_path("knowledge");
	bool json = strcmp(fmt, "json") == 0;
	size_t shown = 0;
	if (!evidence || !policies || !knowledge || !arena) {
		rc = EXIT_NOMEM;
		goto done;
	}
	if (mn_library_load(evidence, &lib, &err) != MN_OK || mn_policy_ids(policies, arena, &ids, &err) != MN_OK ||
	    load_scores(knowledge, &scores, &err) != MN_OK || mn_tables_load(knowledge, &tables, &err) != MN_OK ||
	    load_record(a->case_path, a->strict, &kase, &err) != MN_OK) {
		rc = report_error(&err);
		goto done;
	}
	mn_buf_printf(&table, "%-36s %-28s %-8s %s\n", "policy", "determination", "action", "criteria met");
	for (size_t i = 0; ids[i] && rc == EXIT_OK; i++) {
		mn_policy *p = NULL;
		mn_determination *d = NULL;
		if (mn_policy_load_in_force_ex(policies, ids[i], as_of, lib, MN_POLICY_NONE_IN_FORCE_OK, &p, &err) != MN_OK) {
			rc = report_error(&err);
			break;
		}
		if (!p)
			continue;  /* no version of this policy is in force on the as-of date */
		mn_determine_options opts = {scores, tables};
		if (mn_determine_flags(p, kase, as_of, &opts, MN_DETERMINE_POLICY_SCORES, &d, &err) != MN_OK) {
			rc = report_error(&err);
		} else if (!p->request || d->nrequests) {
			size_t met = 0;
			for (size_t k = 0; k < d->nresults; k++)
				met += d->results[k].status == MN_CRIT_MET;
			if (json) {
				mn_buf_puts(&out, shown ? ",\n" : "[\n");
				mn_render_json(d, &out);
				while (out.len && out.data[out.len - 1] == '\n')
					out.data[--out.len] = '\0';
			} else {
				mn_buf_printf(&table, "%-36s %-28s %-8s %zu of %zu\n", p->id, mn_outcome_name(d->outcome),
				              mn_outcome_action(d->outcome), met, d->nresults);
				mn_buf_puts(&details, "\n");
				mn_render_text(d, &details);
			}
			shown++;
		}
		mn_determination_free(d);
		mn_policy_free(p);
	}
	if (rc == EXIT_OK) {
		if (json) {
			mn_buf_puts(&out, shown ? "\n]\n" : "[]\n");
		} else {
			mn_buf_put(&out, table.data, table.len);
			if (!shown)
				mn_buf_puts(&out, "(no policy applies to the requests in this record)\n");
			mn_buf_put(&out, details.data, details.len);
		}
		rc = write_out(&out);
	}
done:
	mn_buf_free(&out);
	mn_buf_free(&table);
	mn_buf_free(&details);
	mn_case_free(kase);
	mn_score_config_free(scores);
	mn_tables_free(tables);
	mn_library_free(lib);
	mn_arena_free(arena);
	free(evidence);
	free(policies);
	free(knowledge);
	return rc;
}

static int run_decide(int argc, char **argv, enum decide_mode mode)
{
	decide_args a;
	bool letter = mode != MODE_DETERMINE;
	int rc = parse_decide_args(argc, argv, &a);
	if (rc)
		return rc;
	if (mode != MODE_BRIEF && (mode == MODE_APPEAL) != (a.denial != NULL))
		return usage_error("%s", mode == MODE_APPEAL ? "appeal needs --denial FILE (a ClaimResponse or a text list of reasons)"
		                                             : "--denial belongs to the appeal and brief commands");
	const char *fmt = a.format ? a.format : letter ? "md" : "text";
	if (letter ? doc_format(fmt) < 0 : (strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0))
		return usage_error(letter ? "--format: '%s' is not md, html or pdf" : "--format: '%s' is not text or json", fmt);
	mn_paper paper = MN_PAPER_LETTER;
	if ((a.paper || a.output) && !letter)
		return usage_error("%s", a.paper ? "--paper belongs to letter, appeal and brief"
		                                 : "-o FILE belongs to letter, appeal and brief");
	if (a.paper && strcmp(a.paper, "a4") == 0)
		paper = MN_PAPER_A4;
	else if (a.paper && strcmp(a.paper, "letter") != 0)
		return usage_error("--paper: '%s' is not a4 or letter", a.paper);
	if (letter && doc_format(fmt) == DOC_PDF && !a.output && isatty(STDOUT_FILENO))
		return usage_error("%s", "a PDF is not written to a terminal: give -o FILE or redirect standard output");
	if (letter && doc_format(fmt) == DOC_PDF) {
		/* the PDF writer is a module (mednec-pdf.so beside the program): missing, stop before any work */
		mn_error perr;
		mn_error_clear(&perr);
		if (mn_cli_pdf_load(&perr) != MN_OK) {
			char msg[1200];
			mn_error_format(&perr, msg, sizeof msg);
			fprintf(stderr, "mednec: %s [unavailable]\n", msg);
			return EXIT_UNAVAILABLE;
		}
	}
	if (a.store && (letter || strcmp(a.policy, "all") == 0))
		return usage_error("%s", "--store belongs to determine with one --policy ID");
	if ((rc = mn_cli_store_check(a.store)) != EXIT_OK)
		return rc;  /* a postgresql:// store without its module (mednec-pg.so): stop before any work */
	mn_datetime as_of;
	if ((rc = parse_as_of(a.as_of, &as_of)) != EXIT_OK)
		return rc;

	if (strcmp(a.policy, "all") == 0) {
		if (letter)
			return usage_error("%s", "a letter is written under one policy: give --policy ID");
		return run_decide_all(&a, &as_of, fmt);
	}
	mn_error err;
	mn_error_clear(&err);
	mn_library *lib = NULL;
	mn_policy *pol = NULL;
	mn_case *kase = NULL;
	mn_determination *det = NULL;
	mn_denial *denial = NULL;
	mn_score_config *scores = NULL;
	mn_tables *tables = NULL;
	mn_doc *doc = NULL;
	mn_buf out = MN_BUF_INIT;
	char *evidence = home_path("evidence"), *policies = home_path("policies"), *knowledge = home_path("knowledge");
	if (!evidence || !policies) {
		rc = EXIT_NOMEM;
		goto done;
	}
	if (mn_library_load(evidence, &lib, &err) != MN_OK) {
		rc = report_error(&err);
		goto done;
	}
	if (mn_policy_load_in_force(policies, a.policy, &as_of, lib, &pol, &err) != MN_OK) {
		rc = report_error(&err);
		goto done;
	}
	if (load_record(a.case_path, a.strict, &kase, &err) != MN_OK) {
		rc = report_error(&err);
		goto done;
	}
	if (a.denial && mn_denial_load_file(a.denial, &denial, &err) != MN_OK) {
		rc = report_error(&err);
		goto done;
	}
	if (!knowledge || load_scores(knowledge, &scores, &err) != MN_OK || mn_tables_load(knowledge, &tables, &err) != MN_OK) {
		rc = knowledge ? report_error(&err) : EXIT_NOMEM;
		goto done;
	}
	mn_determine_options opts = {scores, tables};
	if (mn_determine_flags(pol, kase, &as_of, &opts, MN_DETERMINE_POLICY_SCORES, &det, &err) != MN_OK) {
		rc = report_error(&err);
		goto done;
	}
	if (letter && !det->request_found) {
		/* no request, no approval: and no letter that argues for one */
		fprintf(stderr, "mednec: %s: no %s written: the record holds no active request for %s "
		        "(policy %s, as of %s)\n", a.case_path, mode == MODE_APPEAL ? "appeal" : mode == MODE_BRIEF ? "brief" : "letter",
		        pol->service_display ? pol->service_display : pol->id, pol->id, det->as_of_text);
		rc = EXIT_NO_REQUEST;
		goto done;
	}
	mn_status st;
	if (mode == MODE_APPEAL) {
		st = mn_denial_match(denial, pol);
		if (st == MN_OK)
			st = mn_appeal_build(det, denial, &doc, &err);
		if (st == MN_OK)
			st = write_doc(doc, doc_format(fmt), paper, &out, &err);
		for (size_t i = 0; doc && i < doc->nwarnings; i++)
			fprintf(stderr, "mednec: appeal: %s\n", doc->warnings[i]);
	} else if (mode == MODE_BRIEF) {
		st = denial ? mn_denial_match(denial, pol) : MN_OK;
		if (st == MN_OK)
			st = mn_brief_build(det, denial, &doc, &err);
		if (st == MN_OK)
			st = write_doc(doc, doc_format(fmt), paper, &out, &err);
	} else if (letter) {
		st = mn_letter_build(det, &doc, &err);
		if (st == MN_OK)
			st = write_doc(doc, doc_format(fmt), paper, &out, &err);
		for (size_t i = 0; doc && i < doc->nwarnings; i++)
			fprintf(stderr, "mednec: letter: %s\n", doc->warnings[i]);
	} else {
		st = strcmp(fmt, "json") == 0 ? mn_render_json(det, &out) : mn_render_text(det, &out);
	}
	if (st != MN_OK) {
		if (!err.code)
			mn_error_set(&err, st, "cannot render output");
		rc = report_error(&err);
		goto done;
	}
	if (a.store && (rc = mn_cli_audit_store(a.store, a.case_path, det)) != EXIT_OK)
		goto done;  /* stored before it is printed: nothing printed that the trail does not hold */
	rc = a.output ? write_file(a.output, &out) : write_out(&out);
	if (letter && doc_format(fmt) == DOC_PDF)
		mn_doc_pdf_shutdown();  /* fonts freed: the program typesets nothing more */
done:
	mn_buf_free(&out);
	mn_doc_free(doc);
	mn_denial_free(denial);
	mn_determination_free(det);
	mn_score_config_free(scores);
	mn_tables_free(tables);
	mn_case_free(kase);
	mn_policy_free(pol);
	mn_library_free(lib);
	free(evidence);
	free(policies);
	free(knowledge);
	return rc;
}

/* ---- policies and check --------------------------------------------------- */

static int run_policies(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			prog_home = argv[++i];
		else
			return usage_error("unexpected argument '%s'", argv[i]);
	}
	char *dir = home_path("policies"), *evidence = home_path("evidence");
	mn_arena *arena = mn_arena_new();
	mn_library *lib = NULL;
	const char **ids;
	mn_error err;
	mn_error_clear(&err);
	int rc = EXIT_OK;
	if (!dir || !evidence || !arena) {
		rc = EXIT_NOMEM;
	} else if (mn_policy_list(dir, arena, &ids, &err) != MN_OK || mn_library_load(evidence, &lib, &err) != MN_OK) {
		rc = report_error(&err);
	} else {
		/* one line per policy file (each version): id, effective period, file */
		mn_buf out = MN_BUF_INIT;
		for (size_t i = 0; ids[i] && rc == EXIT_OK; i++) {
			mn_policy *p;
			if (mn_policy_load(dir, ids[i], lib, &p, &err) != MN_OK) {
				rc = report_error(&err);
				break;
			}
			mn_buf_printf(&out, "%s\t%s to %s\t%s.yaml\n", p->id, p->effective_start,
			              p->effective_end ? p->effective_end : "open", ids[i]);
			mn_policy_free(p);
		}
		if (rc == EXIT_OK)
			rc = write_out(&out);
		mn_buf_free(&out);
	}
	mn_library_free(lib);
	mn_arena_free(arena);
	free(evidence);
	free(dir);
	return rc;
}

static int run_check(int argc, char **argv)
{
	const char *names[256];
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			prog_home = argv[++i];
		else if (argv[i][0] == '-')
			return usage_error("unknown option '%s'", argv[i]);
		else if (n < 256)
			names[n++] = argv[i];
	}
	if (!n)
		return usage_error("%s", "check needs at least one POLICY (an id or a .yaml file)");
	mn_error err;
	mn_error_clear(&err);
	char *evidence = home_path("evidence"), *policies = home_path("policies");
	mn_library *lib = NULL;
	mn_arena *arena = mn_arena_new();
	int rc = EXIT_OK;
	if (!evidence || !policies || !arena) {
		rc = EXIT_NOMEM;
		goto done;
	}
	if (mn_library_load(evidence, &lib, &err) != MN_OK) {
		rc = report_error(&err);
		goto done;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		bool file = len > 5 && strcmp(names[i] + len - 5, ".yaml") == 0;
		const char *one[2] = {names[i], NULL};
		const char **targets = one;
		/* an id: every version of the policy, whose effective periods must not overlap */
		if (!file && (mn_policy_check_versions(policies, names[i], lib, &err) != MN_OK ||
		              mn_policy_versions(policies, names[i], lib, arena, &targets, &err) != MN_OK)) {
			int r = report_error(&err);
			if (!rc)
				rc = r;
			mn_error_clear(&err);
			continue;
		}
		for (size_t t = 0; targets[t]; t++) {
			mn_policy *p = NULL;
			mn_status st = file ? mn_policy_load_file(names[i], lib, &p, &err)
			                    : mn_policy_load(policies, targets[t], lib, &p, &err);
			if (st != MN_OK) {
				int r = report_error(&err);
				if (!rc)
					rc = r;
				mn_error_clear(&err);
				continue;
			}
			const char *base = strrchr(p->path, '/');
			printf("%s: loads (%s, in force %s to %s; %zu criteria, %zu definitions, %zu value sets, "
			       "%zu letter sections)\n", p->id, base ? base + 1 : p->path, p->effective_start,
			       p->effective_end ? p->effective_end : "open", p->ncriteria, p->ndefinitions, p->nvaluesets,
			       p->nsections);
			mn_buf report = MN_BUF_INIT;
			size_t failures = 0;
			if (mn_policy_check(p, home(), &report, &failures, &err) != MN_OK) {
				int r = report_error(&err);
				if (!rc)
					rc = r;
			} else {
				fputs(mn_buf_cstr(&report), stdout);
				printf("%s: %s (%zu problem%s)\n", p->id, failures ? "FAILED" : "ok", failures, failures == 1 ? "" : "s");
				if (failures && !rc)
					rc = EXIT_CHECK;
			}
			mn_buf_free(&report);
			mn_policy_free(p);
		}
	}
done:
	mn_library_free(lib);
	mn_arena_free(arena);
	free(evidence);
	free(policies);
	return rc;
}

/* ---- eval ---------------------------------------------------------------------- */

static void caret(const char *expr, int column)
{
	fprintf(stderr, "  %s\n  %*s^\n", expr, column > 1 ? column - 1 : 0, "");
}

/* The system clock as a dateTime in local time with its UTC offset (for
 * eval only: determinations take their date as an input, never the clock). */
static void system_now(mn_datetime *out)
{
	time_t t = time(NULL);
	const struct tm *lp = localtime(&t);
	struct tm local = lp ? *lp : (struct tm){0};
	const struct tm *up = gmtime(&t);
	struct tm utc = up ? *up : local;
	utc.tm_isdst = local.tm_isdst;
	struct tm copy = local;
	double offset = difftime(mktime(&copy), mktime(&utc));  /* seconds east of UTC */
	memset(out, 0, sizeof *out);
	out->kind = MN_DT_DATETIME;
	out->precision = MN_DT_SECOND;
	out->has_tz = true;
	out->tz_minutes = (int16_t)(offset / 60);
	out->year = (int16_t)(local.tm_year + 1900);
	out->month = (int8_t)(local.tm_mon + 1);
	out->day = (int8_t)local.tm_mday;
	out->hour = (int8_t)local.tm_hour;
	out->minute = (int8_t)local.tm_min;
	out->second = (int8_t)(local.tm_sec > 59 ? 59 : local.tm_sec);
}

/* Model none: the file as plain JSON (any value), parsed into arena. */
static mn_status eval_load_json(const char *path, mn_arena *arena, mn_json **out, mn_error *err)
{
	char *text;
	size_t len;
	mn_status st = mn_read_file(path, &text, &len, err);
	if (st != MN_OK)
		return st;
	st = mn_json_parse(arena, path, text, len, out, err);
	free(text);
	return st;
}

static int run_eval(int argc, char **argv)
{
	const char **exprs = calloc((size_t)argc + 1, sizeof *exprs);
	const char **files = calloc((size_t)argc + 1, sizeof *files);
	const char **vars = calloc((size_t)argc + 1, sizeof *vars);
	int nexprs = 0, nfiles = 0, nvars = 0, rc = EXIT_OK;
	long repeat = 1;
	unsigned flags = 0;
	bool strict = false;
	const char *as_of_text = NULL;
	if (!exprs || !files || !vars) {
		rc = EXIT_NOMEM;
		goto early;
	}
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		bool has_value = i + 1 < argc;
		if ((strcmp(arg, "-e") == 0 || strcmp(arg, "--expression") == 0) && has_value) {
			exprs[nexprs++] = argv[++i];
		} else if (strcmp(arg, "--var") == 0 && has_value) {
			if (!strchr(argv[i + 1], '=')) {
				rc = usage_error("--var takes NAME=VALUE, not '%s'", argv[i + 1]);
				goto early;
			}
			vars[nvars++] = argv[++i];
		} else if (strcmp(arg, "--repeat") == 0 && has_value) {
			char *end;
			repeat = strtol(argv[++i], &end, 10);
			if (*end || repeat < 1 || repeat > 100000000) {
				rc = usage_error("--repeat: '%s' is not a count from 1", argv[i]);
				goto early;
			}
		} else if (strcmp(arg, "--as-of") == 0 && has_value) {
			as_of_text = argv[++i];
		} else if (strcmp(arg, "--strict") == 0) {
			flags |= MN_FP_STRICT;
			strict = true;
		} else if (strcmp(arg, "--lenient") == 0) {
			flags |= MN_FP_LENIENT;
		} else if (strcmp(arg, "--model") == 0 && has_value) {
			const char *m = argv[++i];
			if (strcmp(m, "none") == 0) {
				flags |= MN_FP_MODEL_NONE;
			} else if (strcmp(m, "r4") == 0) {
				flags &= ~(unsigned)MN_FP_MODEL_NONE;
			} else {
				rc = usage_error("--model: '%s' is not r4 or none", m);
				goto early;
			}
		} else if (strcmp(arg, "--home") == 0 && has_value) {
			prog_home = argv[++i];
		} else if (arg[0] == '-' && arg[1]) {
			rc = usage_error("unknown option or missing value: '%s'", arg);
			goto early;
		} else {
			files[nfiles++] = arg;
		}
	}
	if (!nexprs) {
		rc = usage_error("%s", "eval needs at least one -e EXPRESSION");
		goto early;
	}

	mn_error err;
	mn_error_clear(&err);
	mn_fp_expr **compiled = calloc((size_t)nexprs, sizeof *compiled);
	mn_case **cases = calloc((size_t)nfiles + 1, sizeof *cases);
	mn_fp_env **file_envs = NULL;  /* one per record file (below) */
	mn_json **plain = calloc((size_t)nfiles + 1, sizeof *plain);
	mn_arena *plain_arena = mn_arena_new();
	mn_library *lib = NULL;
	char *evidence = NULL;
	mn_fp_env *env = mn_fp_env_new();
	mn_buf out = MN_BUF_INIT;
	bool model_none = (flags & MN_FP_MODEL_NONE) != 0;
	if (!compiled || !cases || !plain || !plain_arena || !env) {
		rc = EXIT_NOMEM;
		goto done;
	}
	mn_datetime now;
	if (as_of_text) {
		if (mn_datetime_parse_any(as_of_text, strlen(as_of_text), &now, &err) != MN_OK) {
			rc = usage_error("--as-of: '%s' is not a valid date or dateTime", as_of_text);
			goto done;
		}
		if (now.kind == MN_DT_DATE) {
			now.kind = MN_DT_DATETIME;
			now.precision = MN_DT_SECOND;
			now.has_tz = true;
		}
		mn_fp_env_set_now(env, &now);
	} else {
		/* eval is interactive: without --as-of the clock is the system's (local time) */
		system_now(&now);
		mn_fp_env_set_now(env, &now);
	}
	for (int i = 0; i < nvars; i++) {
		const char *eq = strchr(vars[i], '=');
		char name[256];
		size_t len = (size_t)(eq - vars[i]);
		if (len == 0 || len >= sizeof name) {
			rc = usage_error("--var: bad name in '%s'", vars[i]);
			goto done;
		}
		memcpy(name, vars[i], len);
		name[len] = '\0';
		if (mn_fp_env_set_string(env, name, eq + 1) != MN_OK) {
			rc = EXIT_NOMEM;
			goto done;
		}
	}
	for (int i = 0; i < nexprs; i++) {
		if (!(compiled[i] = mn_fp_compile_ex(exprs[i], -1, flags, &err))) {
			fprintf(stderr, "mednec: expression %d: column %d: %s [%s]\n", i + 1, err.column, err.message,
			        mn_status_name(err.code));
			caret(exprs[i], err.column);
			rc = mn_cli_exit_for(err.code);
			goto done;
		}
	}
	for (int i = 0; i < nexprs; i++) {
		if (strstr(exprs[i], "%terminologies") || strstr(exprs[i], "memberOf")) {
			/* the value sets of the knowledge folder (docs/FHIRPATH.md, "%terminologies") */
			if (!(evidence = home_path("evidence"))) {
				rc = EXIT_NOMEM;
				goto done;
			}
			if (mn_library_load(evidence, &lib, &err) != MN_OK) {
				rc = report_error(&err);
				goto done;
			}
			mn_library_bind_terminology(lib, env);
			break;
		}
	}
	for (int i = 0; i < nfiles; i++) {
		/* a record loads as determine loads it: unknown elements and invalid values
		 * are warnings and absent, unless --strict */
		mn_status st = model_none ? eval_load_json(files[i], plain_arena, &plain[i], &err)
		                          : load_record(files[i], strict, &cases[i], &err);
		if (st != MN_OK) {
			rc = report_error(&err);
			goto done;
		}
	}
	int ninputs = nfiles ? nfiles : 1;
	/* an environment per record, its case set once (not once per pass: --repeat measures evaluation) */
	if (nfiles && !model_none && !(file_envs = calloc((size_t)nfiles, sizeof *file_envs))) {
		rc = EXIT_NOMEM;
		goto done;
	}
	for (int f = 0; file_envs && f < nfiles; f++) {
		if (!(file_envs[f] = mn_fp_env_clone(env))) {
			rc = EXIT_NOMEM;
			goto done;
		}
		mn_fp_env_set_case(file_envs[f], cases[f]);
	}
	for (long r = 0; r < repeat && rc == EXIT_OK; r++) {
		for (int f = 0; f < ninputs && rc == EXIT_OK; f++) {
			const mn_json *resource = NULL;
			const mn_fp_env *fenv = env;
			if (nfiles && model_none) {
				resource = plain[f];  /* any JSON value; an array is its items */
			} else if (nfiles) {
				/* a single resource is the context; a Bundle file is the Bundle itself */
				fenv = file_envs[f];
				resource = mn_case_root(cases[f]);
			}
			for (int e = 0; e < nexprs && rc == EXIT_OK; e++) {
				mn_arena *arena = mn_arena_new();
				mn_fp_result *res;
				if (!arena) {
					rc = EXIT_NOMEM;
					break;
				}
				if (mn_fp_eval(compiled[e], fenv, resource, arena, &res, &err) != MN_OK) {
					fprintf(stderr, "mednec: expression %d%s%s: %s [%s]\n", e + 1, nfiles ? " on " : "",
					        nfiles ? files[f] : "", err.message, mn_status_name(err.code));
					rc = mn_cli_exit_for(err.code);
				} else if (r == 0) {
					mn_buf_putc(&out, '[');
					for (size_t k = 0; k < mn_fp_result_count(res); k++) {
						if (k)
							mn_buf_putc(&out, ',');
						mn_fp_item_write_json(mn_fp_result_item(res, k), &out);
					}
					mn_buf_puts(&out, "]\n");
				}
				mn_arena_free(arena);
			}
		}
	}
	if (rc == EXIT_OK)
		rc = write_out(&out);
done:
	mn_buf_free(&out);
	for (int i = 0; compiled && i < nexprs; i++)
		mn_fp_expr_free(compiled[i]);
	for (int i = 0; file_envs && i < nfiles; i++)
		mn_fp_env_free(file_envs[i]);
	free(file_envs);
	for (int i = 0; cases && i < nfiles; i++)
		mn_case_free(cases[i]);
	free(compiled);
	free(cases);
	free(plain);
	mn_arena_free(plain_arena);
	mn_fp_env_free(env);
	mn_library_free(lib);
	free(evidence);
early:
	free(exprs);
	free(files);
	free(vars);
	return rc;
}

/* ---- --name=value --------------------------------------------------------- */

/* Long options that take no value: "--strict=x" is a usage error. */
static const char *const value_less[] = {"--strict", "--help", "--version", NULL};

/* Every long option may be given as "--name=value" (the GNU form) as well
 * as "--name value": split the first form into the second, for every
 * command, before any command reads its options. The argument after an
 * option that takes a value is that value and is left alone (an expression
 * "-e --x=1" stays whole), as is everything after "--". The strings of argv
 * are the program's to modify (C11 5.1.2.2.1): the '=' becomes the end of
 * the name. A new vector in *out (free it), or an exit code. */
static int split_long_options(int argc, char **argv, int *out_argc, char ***out)
{
	char **v = calloc((size_t)argc * 2 + 1, sizeof *v);
	if (!v)
		return EXIT_NOMEM;
	int n = 0;
	bool rest = false;
	for (int i = 0; i < argc; i++) {
		char *arg = argv[i];
		bool option = i >= 2 && !rest && arg[0] == '-' && arg[1];
		char *eq = option && arg[1] == '-' ? strchr(arg, '=') : NULL;
		if (option && strcmp(arg, "--") == 0)
			rest = true, option = false;
		if (!eq) {
			v[n++] = arg;
			/* the separate value of a value-taking option is not an option itself */
			for (const char *const *f = value_less; *f && option; f++)
				option = strcmp(arg, *f) != 0;
			if (option && i + 1 < argc)
				v[n++] = argv[++i];
			continue;
		}
		*eq = '\0';
		for (const char *const *f = value_less; *f; f++)
			if (strcmp(arg, *f) == 0) {
				free(v);
				return usage_error("option '%s' takes no value", arg);
			}
		v[n++] = arg;
		v[n++] = eq + 1;
	}
	*out_argc = n;
	*out = v;
	return EXIT_OK;
}

static int run(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("mednec %s\n", mn_version());
		return EXIT_OK;
	}
	if (strcmp(cmd, "determine") == 0)
		return run_decide(argc - 2, argv + 2, MODE_DETERMINE);
	if (strcmp(cmd, "letter") == 0)
		return run_decide(argc - 2, argv + 2, MODE_LETTER);
	if (strcmp(cmd, "appeal") == 0)
		return run_decide(argc - 2, argv + 2, MODE_APPEAL);
	if (strcmp(cmd, "brief") == 0)
		return run_decide(argc - 2, argv + 2, MODE_BRIEF);
	if (strcmp(cmd, "policies") == 0)
		return run_policies(argc - 2, argv + 2);
	if (strcmp(cmd, "score") == 0)
		return mn_cli_score(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return run_check(argc - 2, argv + 2);
	if (strcmp(cmd, "eval") == 0)
		return run_eval(argc - 2, argv + 2);
	if (strcmp(cmd, "audit") == 0)
		return mn_cli_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return mn_cli_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "bulk") == 0)
		return mn_cli_bulk(argc - 1, argv + 1);
	if (strcmp(cmd, "impact") == 0)
		return mn_cli_impact(argc - 1, argv + 1);
	if (strcmp(cmd, "questionnaire") == 0)
		return mn_cli_questionnaire(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
#ifdef __GLIBC__
	/* Arenas take blocks of up to a few MiB per record and per evaluation and give them back when done.
	 * glibc's defaults return such blocks to the kernel (munmap, trimming the heap top) and map them again
	 * for the next evaluation: fresh pages every time (mednec eval --repeat 200 over the Synthea bundles
	 * spent 30% of its CPU there, 10,290 page faults against 6,299). Keep freed memory for reuse; what the
	 * process holds stays its high-water mark. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
	/* And in transparent huge pages, without GLIBC_TUNABLES: a page fault per 2 MiB instead of per 4 KiB
	 * (mednec eval -e true over the 9 Synthea bundles: 6,250 -> ~1,000 page faults). The heap grows 30 MiB of
	 * address space at a time (under the mmap threshold above); only what is touched becomes memory. */
	mn_heap_huge_pages((size_t)30 << 20);
	char **v = NULL;
	int n = 0, rc = split_long_options(argc, argv, &n, &v);
	if (rc != EXIT_OK)
		return rc;
	rc = run(n, v);
	free(v);
	return rc;
}
