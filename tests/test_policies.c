/*
 * test_policies.c: every bundled policy loads and passes its own example
 * cases (the same check as `mednec check`), with every criterion shown met
 * and unmet; and the letter of every example case, built the way
 * `mednec letter` builds it (clinical scores and knowledge tables bound),
 * has no warning of any kind: no statement left out for lack of a source or
 * for a failed slot or condition, no determination warning, every paragraph
 * sourced, every citation number resolving, no placeholder, no text about
 * the project's own files, and an author requirement never shown as a
 * payer's.
 *
 * Out of memory: the example letter and appeal are built again with the
 * n-th allocation failing, for every n until the build makes fewer than n
 * allocations; each run must either give the same bytes as the normal run
 * or fail with out-of-memory, never a shorter letter reported as success.
 *
 * At the end the test prints how many distinct assertions it has (each can
 * fail) and how many times they were evaluated over the loops.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mednec/decide.h"
#include "mednec/render.h"
#include "test.h"

/* ---- assertion accounting --------------------------------------------------- */

#define MAX_KINDS 64
static const char *kinds[MAX_KINDS];
static size_t kind_runs[MAX_KINDS], kind_fails[MAX_KINDS], nkinds;

static void count_result(const char *kind, bool ok)
{
	size_t i = 0;
	while (i < nkinds && strcmp(kinds[i], kind) != 0)
		i++;
	if (i == nkinds) {
		if (nkinds == MAX_KINDS)
			return;
		kinds[nkinds++] = kind;
	}
	kind_runs[i]++;
	kind_fails[i] += !ok;
}

static void count(const char *kind)
{
	count_result(kind, true);
}

/* ASSERT(kind, cond, fmt, ...): a named assertion that can fail. */
#define ASSERT(kind, cond, ...) do { bool ok_ = (cond); count_result(kind, ok_); CHECK_MSG(ok_, __VA_ARGS__); } while (0)

/* ---- loading as the CLI does -------------------------------------------------- */

typedef struct kit {
	const char *home;
	mn_score_config *scores;
	mn_tables *tables;
} kit;

/* src/cli/main.c: scores from knowledge/ when knowledge/scores.yaml exists,
 * and every knowledge table. */
static int kit_load(kit *k, const char *home)
{
	char dir[4200], file[4300];
	mn_error err;
	memset(k, 0, sizeof *k);
	k->home = home;
	snprintf(dir, sizeof dir, "%s/knowledge", home);
	snprintf(file, sizeof file, "%s/scores.yaml", dir);
	FILE *f = fopen(file, "rb");
	if (f) {
		fclose(f);
		if (mn_score_config_load(dir, &k->scores, &err) != MN_OK) {
			CHECK_MSG(0, "scores: %s", err.message);
			return -1;
		}
	}
	if (mn_tables_load(dir, &k->tables, &err) != MN_OK) {
		CHECK_MSG(0, "tables: %s", err.message);
		return -1;
	}
	return 0;
}

static void kit_free(kit *k)
{
	mn_score_config_free(k->scores);
	mn_tables_free(k->tables);
}

static mn_status determine(const kit *k, const mn_policy *p, const mn_case *c, const char *as_of_text,
                           mn_determination **d, mn_error *err)
{
	mn_datetime as_of;
	if (mn_datetime_parse(as_of_text, strlen(as_of_text), MN_DT_DATE, &as_of, err) != MN_OK)
		return MN_EUSAGE;
	mn_determine_options opts = {k->scores, k->tables};
	return mn_determine_ex(p, c, &as_of, &opts, d, err);
}

/* ---- what a letter must never contain ------------------------------------------- */

/* Words about the project's own files or tools (lowercase). */
static const char *const file_talk[] = {"facts.md", ".yaml", ".json", "mednec", "repository", "the project",
                                        "seed letter", "project requirement", NULL};

static const char *file_talk_in(const char *s)
{
	if (!s)
		return NULL;
	char low[4096];
	size_t n = strlen(s) < sizeof low - 1 ? strlen(s) : sizeof low - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	low[n] = '\0';
	for (size_t i = 0; file_talk[i]; i++)
		if (strstr(low, file_talk[i]))
			return file_talk[i];
	return NULL;
}

static void check_no_file_talk(const mn_doc *doc, const char *what)
{
	for (size_t k = 0; k < doc->nblocks; k++) {
		const mn_block *b = &doc->blocks[k];
		const char *t1 = file_talk_in(b->text), *t2 = file_talk_in(b->lead);
		ASSERT("no text about the project's files", !t1 && !t2, "%s: '%s' in: %s %s", what, t1 ? t1 : t2,
		       b->lead ? b->lead : "", b->text ? b->text : "");
	}
	for (size_t k = 0; k < doc->nrefs; k++) {
		const char *t = file_talk_in(doc->refs[k].text);
		ASSERT("no text about the project's files", !t, "%s: '%s' in reference %zu: %s", what, t, k + 1,
		       doc->refs[k].text);
	}
}

static const char *const AUTHOR_LABEL = "Requirement of this policy (not stated by a payer)";

/* A warning about a part of the letter the record lacks (issue 8), only when the record lacks it indeed. */
static bool letter_part_missing(const mn_determination *d, const char *w)
{
	if (strncmp(w, "letter: ", 8) != 0)
		return false;
	mn_arena *a = mn_arena_new();
	mn_letter_parts lp;
	if (!a || mn_letter_parts_read(d, a, &lp) != MN_OK) {
		mn_arena_free(a);
		return false;
	}
	bool missing = strstr(w, "payer, member id and plan") ? !lp.coverage
	             : strstr(w, "the payer is not") ? lp.coverage && !lp.payer
	             : strstr(w, "member id is not") ? lp.coverage && !lp.member_id
	             : strstr(w, "plan is not") ? lp.coverage && !lp.plan
	             : strstr(w, "physician is not") ? lp.request && !lp.practitioner
	             : strstr(w, "NPI is not in") ? lp.practitioner && !lp.npi
	             : strstr(w, "is not a valid NPI") ? lp.npi && !lp.npi_valid
	             : strstr(w, "organization is not") ? lp.request && !lp.organization
	             : strstr(w, "CPT or HCPCS") ? lp.request && !lp.ncodes
	             : strstr(w, "ICD-10-CM") ? lp.request && !lp.ndiagnoses : false;
	mn_arena_free(a);
	return missing;
}

static void check_letter(const mn_policy *p, const mn_determination *d, const mn_doc *doc, const char *what)
{
	/* The one informational warning: entries dated after the as-of date left out of the view (C1); an
	 * example case may hold them on purpose (boundary days). Any other warning fails. */
	size_t other = 0;
	const char *first = "";
	for (size_t k = 0; k < d->nwarnings; k++) {
		const char *w = d->warnings[k];
		size_t n = strlen(w);
		/* warnings about the input itself, each only when the input has that property */
		static const char asof_tail[] = "left out (the record as it stood on that date)";
		if (d->left_out && n >= sizeof asof_tail - 1 && strcmp(w + n - (sizeof asof_tail - 1), asof_tail) == 0)
			continue;
		if (mn_case_unresolved(d->record) && strstr(w, "not resolve within the record"))
			continue;
		if (letter_part_missing(d, w))
			continue;
		if (!other++)
			first = w;
	}
	ASSERT("no determination warning (but entries after the as-of date, dangling references)", other == 0,
	       "%s: %zu determination warnings, first: %s", what, other, first);
	ASSERT("no letter warning", doc->nwarnings == 0, "%s: %zu letter warnings, first: %s", what, doc->nwarnings,
	       doc->nwarnings ? doc->warnings[0] : "");
	bool missing = false, argues = false;
	for (size_t k = 0; k < doc->nblocks; k++) {
		const mn_block *b = &doc->blocks[k];
		if ((b->kind == MN_BLOCK_PARAGRAPH && !b->lead) || b->kind == MN_BLOCK_SUBITEM)
			ASSERT("every paragraph sourced", b->ncites + b->nrecords > 0, "%s: unsourced text: %s", what, b->text);
		ASSERT("no placeholder", !b->text || !strstr(b->text, "[@"), "%s: placeholder: %s", what, b->text);
		for (size_t c = 0; c < b->ncites; c++)
			ASSERT("citation resolves", b->cites[c] >= 1 && (size_t)b->cites[c] <= doc->nrefs,
			       "%s: citation %d of %zu", what, b->cites[c], doc->nrefs);
		for (size_t c = 0; c < b->nrecords; c++)
			ASSERT("record entry resolves", b->records[c] >= 1 && (size_t)b->records[c] <= doc->nrecords,
			       "%s: record R%d of %zu", what, b->records[c], doc->nrecords);
		missing |= b->kind == MN_BLOCK_HEADING && strcmp(b->text, "What is missing") == 0;
		argues |= b->text && strstr(b->text, "is medically necessary") != NULL;
	}
	check_no_file_talk(doc, what);
	ASSERT("'What is missing' exactly when not met", missing == (d->outcome != MN_MEETS_CRITERIA),
	       "%s: 'What is missing' section %s", what, missing ? "in a letter that meets criteria" : "absent");
	bool titled = doc->nblocks && doc->blocks[0].kind == MN_BLOCK_TITLE && doc->blocks[0].text &&
	              strstr(doc->blocks[0].text, "etter of medical necessity") != NULL;
	ASSERT("titled a letter of medical necessity only when met", titled == (d->outcome == MN_MEETS_CRITERIA),
	       "%s: %s: title '%s'", what, mn_outcome_name(d->outcome), doc->nblocks ? doc->blocks[0].text : "");
	ASSERT("no necessity argued unless met", !argues || d->outcome == MN_MEETS_CRITERIA,
	       "%s: a %s letter says 'is medically necessary'", what, mn_outcome_name(d->outcome));
	/* author requirements: labeled, and never with a payer's citation */
	for (size_t i = 0; i < p->ncriteria; i++) {
		const mn_criterion *c = &p->criteria[i];
		for (size_t k = 0; k < doc->nblocks; k++) {
			const mn_block *b = &doc->blocks[k];
			if (b->kind != MN_BLOCK_ITEM || !b->lead || strcmp(b->lead, c->title) != 0)
				continue;
			bool labeled = b->text && strstr(b->text, AUTHOR_LABEL) != NULL;
			ASSERT("author requirement labeled, and only it", labeled == (c->author_requirement != NULL),
			       "%s: %s: '%s'", what, c->id, b->text);
			if (!c->author_requirement)
				continue;
			for (size_t m = 0; m < b->ncites; m++) {
				const char *id = doc->refs[b->cites[m] - 1].id;
				bool payer = false;
				for (size_t q = 0; q < c->ncites; q++)
					payer |= c->cites[q].source && strcmp(c->cites[q].id, id) == 0;
				ASSERT("author requirement without payer citation", !payer, "%s: %s cites %s", what, c->id, id);
			}
		}
	}
}

static void check_letters(const kit *kt, const mn_policy *p)
{
	for (size_t i = 0; i < p->ntests; i++) {
		const mn_policy_test *t = &p->tests[i];
		mn_case *c = NULL;
		mn_determination *d = NULL;
		mn_doc *doc = NULL;
		mn_error err;
		mn_error_clear(&err);
		char what[1024];
		snprintf(what, sizeof what, "%s: %s as of %s", p->id, t->case_path, t->as_of);
		mn_status st = mn_case_load_any(kt->home, t->case_path, &c, &err);
		if (st == MN_OK)
			st = determine(kt, p, c, t->as_of, &d, &err);
		if (st == MN_OK && p->request && !d->nrequests) {
			/* no request, no letter (mednec letter exits 3): nothing to build */
			count("letter built");
		} else {
			if (st == MN_OK)
				st = mn_letter_build(d, &doc, &err);
			ASSERT("letter built", st == MN_OK, "%s: %s", what, err.message);
			if (st == MN_OK)
				check_letter(p, d, doc, what);
		}
		mn_doc_free(doc);
		mn_determination_free(d);
		mn_case_free(c);
	}
}

/* ---- out of memory ------------------------------------------------------------- */

typedef mn_status (*build_fn)(const mn_determination *d, const mn_denial *den, mn_doc **out, mn_error *err);

static mn_status build_letter(const mn_determination *d, const mn_denial *den, mn_doc **out, mn_error *err)
{
	(void)den;
	return mn_letter_build(d, out, err);
}

/* Build and write; MN_OK with the bytes in out, or the failure. */
static mn_status write_doc(build_fn build, const mn_determination *d, const mn_denial *den, mn_buf *out)
{
	mn_doc *doc = NULL;
	mn_error err;
	mn_error_clear(&err);
	mn_status st = build(d, den, &doc, &err);
	if (st == MN_OK)
		st = mn_doc_write_markdown(doc, out);
	mn_doc_free(doc);
	return st;
}

static void oom_sweep(const char *name, build_fn build, const mn_determination *d, const mn_denial *den)
{
	mn_buf ref = MN_BUF_INIT;
	ASSERT("oom: normal run succeeds", write_doc(build, d, den, &ref) == MN_OK && ref.len > 0, "%s", name);
	size_t failed = 0, succeeded = 0, bad = 0;
	long n;
	for (n = 1; n < 1000000; n++) {
		mn_buf out = MN_BUF_INIT;
		mn_alloc_fail_at(n);
		mn_status st = write_doc(build, d, den, &out);
		bool reached = !mn_alloc_fail_pending();
		mn_alloc_fail_at(0);
		if (st == MN_OK) {
			succeeded++;
			if (out.len != ref.len || memcmp(out.data, ref.data, ref.len) != 0) {
				succeeded--;
				if (!bad++)
					fprintf(stderr, "%s: allocation %ld failed, success reported, %zu bytes instead of %zu\n",
					        name, n, out.len, ref.len);
			}
		} else {
			failed++;
			if (st != MN_ENOMEM && !bad++)
				fprintf(stderr, "%s: allocation %ld failed, status %s\n", name, n, mn_status_name(st));
		}
		mn_buf_free(&out);
		if (!reached)
			break;  /* the build made fewer than n allocations: every one has been failed once */
	}
	ASSERT("oom: every injected failure is an error or changes nothing", bad == 0,
	       "%s: %zu of %ld runs gave partial output or a wrong status", name, bad, n);
	ASSERT("oom: the sweep reached the end of the build", n > 1 && n < 1000000, "%s: %ld", name, n);
	/* the adversarial half must have happened: failures were reported */
	ASSERT("oom: failures are reported", failed > 0, "%s: no run failed", name);
	printf("%s: %ld allocations failed one at a time: %zu errors, %zu complete (identical) documents, %zu bad\n",
	       name, n - 1, failed, succeeded - 1, bad);
	mn_buf_free(&ref);
}

/* The letter binds %item for `each` statements in its own environment: the
 * determination it was given has no %item afterwards (it used to keep the
 * last item of the last list), and a second letter is the same bytes. */
static void check_const(const mn_determination *d)
{
	mn_buf first = MN_BUF_INIT, second = MN_BUF_INIT;
	mn_error err;
	mn_error_clear(&err);
	ASSERT("letter builds twice", write_doc(build_letter, d, NULL, &first) == MN_OK &&
	       write_doc(build_letter, d, NULL, &second) == MN_OK, "letter");
	ASSERT("same letter twice", first.len == second.len && memcmp(first.data, second.data, first.len) == 0,
	       "%zu vs %zu bytes", first.len, second.len);
	mn_fp_expr *item = mn_fp_compile("%item", -1, &err);
	mn_arena *a = mn_arena_new();
	mn_fp_result *r = NULL;
	mn_status st = item && a ? mn_fp_eval_case(item, d->env, d->kase, a, &r, &err) : MN_ENOMEM;
	ASSERT("determination has no %item after a letter", st == MN_EEVAL || st == MN_ESEMANTIC,
	       "evaluating %%item in the determination's environment gave %s with %zu items", mn_status_name(st),
	       st == MN_OK ? mn_fp_result_count(r) : 0);
	mn_arena_free(a);
	mn_fp_expr_free(item);
	mn_buf_free(&first);
	mn_buf_free(&second);
}

static void check_oom(const kit *kt, const mn_library *lib)
{
	char dir[4200];
	mn_error err;
	mn_error_clear(&err);
	snprintf(dir, sizeof dir, "%s/policies", kt->home);
	mn_policy *p = NULL;
	mn_case *c = NULL;
	mn_determination *d = NULL;
	mn_denial *den = NULL, *fhir = NULL;
	char denial[4300], denial_fhir[4300];
	snprintf(denial, sizeof denial, "%s/examples/denials/drg-trial-denial.txt", kt->home);
	snprintf(denial_fhir, sizeof denial_fhir, "%s/examples/denials/drg-trial-claimresponse.json", kt->home);
	if (mn_policy_load(dir, "drg-stimulation-trial", lib, &p, &err) != MN_OK ||
	    mn_case_load_any(kt->home, "examples/crps-ii-drg-trial.json", &c, &err) != MN_OK ||
	    determine(kt, p, c, "2026-11-20", &d, &err) != MN_OK || mn_denial_load_file(denial, &den, &err) != MN_OK ||
	    mn_denial_load_file(denial_fhir, &fhir, &err) != MN_OK) {
		ASSERT("oom: example loads", 0, "%s", err.message);
	} else {
		check_const(d);
		oom_sweep("letter", build_letter, d, NULL);
		if (mn_denial_match(den, p) == MN_OK)
			oom_sweep("appeal", mn_appeal_build, d, den);
		mn_denial *both[2] = {den, fhir};
		for (size_t i = 0; i < 2; i++) {
			mn_doc *doc = NULL;
			mn_status st = mn_denial_match(both[i], p);
			if (st == MN_OK)
				st = mn_appeal_build(d, both[i], &doc, &err);
			ASSERT("appeal built", st == MN_OK, "%s", both[i]->source);
			if (doc)
				check_no_file_talk(doc, both[i]->source);
			mn_doc_free(doc);
		}
	}
	mn_denial_free(fhir);
	mn_denial_free(den);
	mn_determination_free(d);
	mn_case_free(c);
	mn_policy_free(p);
}

/* ---- author requirements (C7) ------------------------------------------------------ */

/* The test fixture policy (tests/data/policies/mini.yaml) with its first
 * criterion turned into the author's requirement while still citing the
 * payer source src-a: the letter must label it and must not cite src-a for
 * it, in the criteria and in "What is missing". */
static void check_author_requirement(const char *home)
{
	char src[4200], dir[4200], path[] = "/tmp/mn_author_XXXXXX";
	snprintf(src, sizeof src, "%s/tests/data/policies/mini.yaml", home);
	char *text = NULL;
	size_t len = 0;
	mn_error err;
	mn_error_clear(&err);
	if (mn_read_file(src, &text, &len, &err) != MN_OK) {
		ASSERT("author: fixture loads", 0, "%s", err.message);
		return;
	}
	const char *from = "    cite: [src-a]\n  - id: score-high";
	const char *to = "    authorRequirement: \"The fixture's author wants the diagnosis on file.\"\n"
	                 "    cite: [src-a]\n  - id: score-high";
	char *at = strstr(text, from);
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (at && f) {
		fwrite(text, 1, (size_t)(at - text), f);
		fputs(to, f);
		fputs(at + strlen(from), f);
	}
	if (f)
		fclose(f);
	free(text);
	ASSERT("author: fixture rewritten", at && f, "mini.yaml no longer has '%s'", from);
	snprintf(dir, sizeof dir, "%s/tests/data/evidence", home);
	mn_library *lib = NULL;
	mn_policy *p = NULL;
	mn_case *c = NULL;
	mn_determination *d = NULL;
	mn_doc *doc = NULL;
	char fixtures[4200];
	snprintf(fixtures, sizeof fixtures, "%s/tests/data", home);
	const char *cases[] = {"cases/mini-met.json", "cases/mini-low-score.json"};
	mn_status st = at && f ? mn_library_load(dir, &lib, &err) : MN_EIO;
	if (st == MN_OK)
		st = mn_policy_load_file(path, lib, &p, &err);
	unlink(path);
	ASSERT("author: variant policy loads", st == MN_OK, "%s", err.message);
	for (size_t i = 0; st == MN_OK && i < 2; i++) {
		kit none = {home, NULL, NULL};
		bool labeled = false, payer = false;
		if ((st = mn_case_load_any(fixtures, cases[i], &c, &err)) == MN_OK &&
		    (st = determine(&none, p, c, "2026-02-01", &d, &err)) == MN_OK &&
		    (st = mn_letter_build(d, &doc, &err)) == MN_OK) {
			for (size_t k = 0; k < doc->nblocks; k++) {
				const mn_block *b = &doc->blocks[k];
				if (b->kind != MN_BLOCK_CRITERION || !b->lead || strcmp(b->lead, p->criteria[0].title) != 0)
					continue;
				char want[256];
				snprintf(want, sizeof want, "%s: The fixture's author wants the diagnosis on file. ", AUTHOR_LABEL);
				labeled |= b->text && strncmp(b->text, want, strlen(want)) == 0;
				for (size_t m = 0; m < b->ncites; m++)
					payer |= strcmp(doc->refs[b->cites[m] - 1].id, "src-a") == 0;
			}
		}
		ASSERT("author: letter built", st == MN_OK, "%s: %s", cases[i], err.message);
		ASSERT("author: labeled with the author's reason", labeled, "%s", cases[i]);
		ASSERT("author: no payer citation for it", !payer, "%s", cases[i]);
		mn_doc_free(doc);
		mn_determination_free(d);
		mn_case_free(c);
		doc = NULL, d = NULL, c = NULL;
	}
	mn_policy_free(p);
	mn_library_free(lib);
}

/* ---- locale -------------------------------------------------------------------- */

/* Everything the CLI writes for one case (determination as JSON and text,
 * the clinical scores, the letter), decided afresh. */
static mn_status case_outputs(const kit *kt, const mn_policy *p, const char *case_path, const char *as_of,
                              mn_buf *out)
{
	mn_error err;
	mn_error_clear(&err);
	mn_case *c = NULL;
	mn_determination *d = NULL;
	mn_doc *doc = NULL;
	mn_status st = mn_case_load_any(kt->home, case_path, &c, &err);
	if (st == MN_OK)
		st = determine(kt, p, c, as_of, &d, &err);
	if (st == MN_OK)
		st = mn_render_json(d, out);
	if (st == MN_OK)
		st = mn_render_text(d, out);
	if (st == MN_OK && d->scores)
		st = mn_json_write(out, d->scores->json) ? MN_ENOMEM : MN_OK;
	if (st == MN_OK && (!p->request || d->nrequests))
		st = mn_letter_build(d, &doc, &err);
	if (st == MN_OK && doc)
		st = mn_doc_write_markdown(doc, out);
	mn_doc_free(doc);
	mn_determination_free(d);
	mn_case_free(c);
	return st;
}

/* The same for every example case of every policy, and a few FHIRPath
 * decimals (the example cases need not hold a fraction where it matters). */
static mn_status all_outputs(const kit *kt, const mn_library *lib, mn_buf *out)
{
	char dir[4200];
	mn_error err;
	mn_error_clear(&err);
	snprintf(dir, sizeof dir, "%s/policies", kt->home);
	mn_arena *a = mn_arena_new();
	const char **ids = NULL;
	mn_status st = a ? mn_policy_list(dir, a, &ids, &err) : MN_ENOMEM;
	for (size_t i = 0; st == MN_OK && ids[i]; i++) {
		mn_policy *p = NULL;
		st = mn_policy_load(dir, ids[i], lib, &p, &err);
		for (size_t k = 0; st == MN_OK && k < p->ntests; k++) {
			/* a case that fails (reported by the other checks) is compared by its error */
			mn_status cs = case_outputs(kt, p, p->tests[k].case_path, p->tests[k].as_of, out);
			if (cs != MN_OK)
				mn_buf_printf(out, "%s: %s: %s\n", p->id, p->tests[k].case_path, mn_status_name(cs));
			if (cs == MN_ENOMEM)
				st = cs;
		}
		mn_policy_free(p);
	}
	static const char *const exprs[] = {"4.5 > 4.2", "4.5 = 4", "(4.5).toString()", "'2.5'.toDecimal()",
	                                    "2.5 'mg' + 0.25 'mg'", "1.0 / 8", NULL};
	mn_fp_env *env = mn_fp_env_new();
	for (size_t i = 0; st == MN_OK && exprs[i]; i++) {
		mn_fp_expr *x = mn_fp_compile(exprs[i], -1, &err);
		mn_fp_result *r = NULL;
		st = x && env ? mn_fp_eval(x, env, NULL, a, &r, &err) : MN_ENOMEM;
		mn_buf_printf(out, "%s =", exprs[i]);
		for (size_t k = 0; st == MN_OK && k < mn_fp_result_count(r); k++) {
			mn_buf_putc(out, ' ');
			mn_fp_item_write_json(mn_fp_result_item(r, k), out);
		}
		mn_buf_putc(out, '\n');
		mn_fp_expr_free(x);
	}
	mn_fp_env_free(env);
	mn_arena_free(a);
	return st;
}

/* A host program that chose a comma-decimal locale (setlocale LC_ALL, as a
 * GUI would) gets the same determination, scores and letter, byte for byte,
 * as under the C locale: numbers in the case and policies are read with '.'
 * and printed with '.'. Skipped loudly when no such locale is installed. */
static void check_locale(const kit *kt, const mn_library *lib)
{
	mn_buf c_out = MN_BUF_INIT, de_out = MN_BUF_INIT;
	ASSERT("locale: C-locale run succeeds", all_outputs(kt, lib, &c_out) == MN_OK, "C locale");
	const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", NULL};
	const char *got = NULL;
	for (size_t i = 0; names[i] && !got; i++)
		got = setlocale(LC_ALL, names[i]);
	if (!got) {
		fprintf(stderr, "SKIPPED (loudly): de_DE.UTF-8 is not installed, so the locale test did not run. "
		                "Install: apt-get install -y locales; locale-gen de_DE.UTF-8\n");
		printf("locale test SKIPPED: de_DE.UTF-8 not installed\n");
		mn_buf_free(&c_out);
		return;
	}
	char probe[16];
	snprintf(probe, sizeof probe, "%.1f", 0.5);
	ASSERT("locale: the comma locale is in force", strcmp(probe, "0,5") == 0, "got %s", probe);
	char name[64];
	snprintf(name, sizeof name, "%s", got);
	mn_status st = all_outputs(kt, lib, &de_out);
	setlocale(LC_ALL, "C");
	ASSERT("locale: comma-locale run succeeds", st == MN_OK, "de_DE");
	size_t i = 0;
	while (i < c_out.len && i < de_out.len && c_out.data[i] == de_out.data[i])
		i++;
	ASSERT("locale: same bytes under de_DE as under C", i == c_out.len && i == de_out.len,
	       "first difference at byte %zu: C \"%.60s\" vs de_DE \"%.60s\"", i, c_out.data ? c_out.data + i : "",
	       de_out.data ? de_out.data + i : "");
	printf("locale: %zu bytes of determinations, scores, letters and FHIRPath decimals compared under %s\n",
	       c_out.len, name);
	mn_buf_free(&c_out);
	mn_buf_free(&de_out);
}

int main(void)
{
	const char *home = mn_test_source_dir();
	char dir[4200];
	mn_error err;
	mn_library *lib;
	kit kt;
	snprintf(dir, sizeof dir, "%s/evidence", home);
	if (mn_library_load(dir, &lib, &err) != MN_OK) {
		CHECK_MSG(0, "evidence: %s", err.message);
		TEST_END();
	}
	if (kit_load(&kt, home) != 0) {
		mn_library_free(lib);
		TEST_END();
	}
	snprintf(dir, sizeof dir, "%s/policies", home);
	mn_arena *a = mn_arena_new();
	const char **ids;
	CHECK_INT(mn_policy_list(dir, a, &ids, &err), MN_OK);
	size_t n = 0, ncases = 0;
	for (size_t i = 0; ids && ids[i]; i++, n++) {
		mn_policy *p;
		if (mn_policy_load(dir, ids[i], lib, &p, &err) != MN_OK) {
			char msg[2048];
			mn_error_format(&err, msg, sizeof msg);
			ASSERT("policy loads", 0, "%s", msg);
			continue;
		}
		count("policy loads");
		mn_buf report = MN_BUF_INIT;
		size_t failures = 0;
		ASSERT("policy check runs", mn_policy_check(p, home, &report, &failures, &err) == MN_OK, "%s: %s", p->id,
		       err.message);
		ASSERT("policy check passes", failures == 0, "%s", mn_buf_cstr(&report));
		ASSERT("at least 2 example cases", p->ntests >= 2, "%s has %zu example cases", p->id, p->ntests);
		printf("%s: %zu example cases, %zu problems\n", p->id, p->ntests, failures);
		ncases += p->ntests;
		mn_buf_free(&report);
		check_letters(&kt, p);
		mn_policy_free(p);
	}
	ASSERT("policies found", n >= 1, "no policies in %s", dir);
	check_author_requirement(home);
	check_oom(&kt, lib);
	check_locale(&kt, lib);
	mn_arena_free(a);
	kit_free(&kt);
	mn_library_free(lib);
	size_t runs = 0;
	for (size_t i = 0; i < nkinds; i++)
		runs += kind_runs[i];
	printf("%zu distinct assertions (each can fail), evaluated %zu times over %zu policies and %zu example "
	       "cases:\n", nkinds, runs, n, ncases);
	for (size_t i = 0; i < nkinds; i++) {
		printf("  %6zu x %s", kind_runs[i], kinds[i]);
		if (kind_fails[i])
			printf(": FAILED %zu times", kind_fails[i]);
		putchar('\n');
	}
	TEST_END();
}
