/*
 * test_citations.c: every reference a letter, appeal or brief can cite is a
 * full citation (docs/POLICY-FORMAT.md, "Citations").
 *
 * Loads the project's evidence library and every policy in policies/, walks
 * everything a document can cite (criteria, letter statements and the
 * findings their templates insert, the policies' modeledOn sources, and
 * every citable finding of the library, which the builtin outcomes section
 * may quote), and checks each formatted citation for its parts. Three
 * citations are compared with strings written by hand from
 * shared/clinical/facts.md (§5, §9) and the payer's page; the loaders must
 * reject an item that is not a full citation, naming the file and place.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mednec/knowledge.h"
#include "test.h"

static int ncited_sources, ncited_references;

/* The sources whose publisher gives no number or whose copy shows no date:
 * decided by hand (2026-11-30) and listed in the final report; a new one
 * must be added here on purpose. */
static const char *const flagged[] = {"bcbsa-7-01-25", "evicore-cmm-211-summary", NULL};

static bool has(const char *text, const char *part)
{
	return text && part && strstr(text, part) != NULL;
}

static void check_source(const char *where, const mn_source *s)
{
	ncited_sources++;
	const char *c = s->citation;
	CHECK_MSG(mn_verification_citable(s->verification), "%s: source %s is cited but %s", where, s->id,
	          mn_verification_name(s->verification));
	CHECK_MSG(c && *c, "%s: source %s has no citation", where, s->id);
	if (!c)
		return;
	CHECK_MSG(s->publisher && strncmp(c, s->publisher, strlen(s->publisher)) == 0, "%s: %s: no publisher first: %s",
	          where, s->id, c);
	CHECK_MSG(has(c, s->document_title ? s->document_title : s->title), "%s: %s: no title: %s", where, s->id, c);
	CHECK_MSG(s->number ? has(c, s->number) : s->unnumbered != NULL, "%s: %s: no number: %s", where, s->id, c);
	CHECK_MSG(has(c, "Effective ") || has(c, "Reviewed ") || s->undated, "%s: %s: no date: %s", where, s->id, c);
	CHECK_MSG(has(c, ". Accessed "), "%s: %s: no access date: %s", where, s->id, c);
	size_t n = strlen(c), u = s->url ? strlen(s->url) : 0;
	CHECK_MSG(u && n > u && strcmp(c + n - u, s->url) == 0, "%s: %s: does not end with its URL: %s", where, s->id, c);
	CHECK_MSG(!mn_housekeeping_phrase(c), "%s: %s: project notes in '%s'", where, s->id, c);
	if (s->undated || s->unnumbered) {
		bool known = false;
		for (size_t i = 0; flagged[i]; i++)
			known |= strcmp(flagged[i], s->id) == 0;
		CHECK_MSG(known, "%s: source %s is flagged (%s) but not in the test's list", where, s->id,
		          s->undated ? s->undated : s->unnumbered);
	}
}

static void check_reference(const char *where, const mn_reference *r)
{
	ncited_references++;
	const char *c = r->citation;
	CHECK_MSG(mn_verification_citable(r->verification), "%s: reference %s is cited but %s", where, r->id,
	          mn_verification_name(r->verification));
	CHECK_MSG(c && *c, "%s: reference %s has no citation", where, r->id);
	if (!c)
		return;
	/* a year (19xx or 20xx) in the citation: issued, published or accessed */
	bool year = false;
	for (const char *p = c; *p && !year; p++)
		year = (p[0] == '1' && p[1] == '9') || (p[0] == '2' && p[1] == '0' && p[2] >= '0' && p[2] <= '9');
	CHECK_MSG(year, "%s: %s: no year: %s", where, r->id, c);
	if (r->doi) {
		char want[256];
		snprintf(want, sizeof want, "doi:%s", r->doi);
		CHECK_MSG(has(c, want), "%s: %s: no DOI: %s", where, r->id, c);
	} else {
		/* without a DOI: volume:pages or a URL */
		CHECK_MSG(strchr(c, ':') != NULL, "%s: %s: no pages or URL: %s", where, r->id, c);
	}
	if (r->pmid) {
		char want[64];
		snprintf(want, sizeof want, "PMID: %s", r->pmid);
		CHECK_MSG(has(c, want), "%s: %s: no PMID: %s", where, r->id, c);
	}
	CHECK_MSG(!has(c, "et al, et al"), "%s: %s: 'et al' twice: %s", where, r->id, c);
	CHECK_MSG(!mn_housekeeping_phrase(c), "%s: %s: project notes in '%s'", where, r->id, c);
}

static void check_cite(const char *where, const mn_cite *c)
{
	if (c->source)
		check_source(where, c->source);
	else if (c->finding)
		check_reference(where, c->finding->reference);
	else if (c->reference)
		check_reference(where, c->reference);
	else
		CHECK_MSG(0, "%s: cite %s resolves to nothing", where, c->id);
}

static void check_policy(const mn_policy *p)
{
	char where[512];
	for (size_t i = 0; i < p->nmodeled_on; i++) {
		snprintf(where, sizeof where, "%s modeledOn", p->id);
		check_source(where, p->modeled_on[i]);
	}
	for (size_t i = 0; i < p->ncriteria; i++) {
		snprintf(where, sizeof where, "%s criterion %s", p->id, p->criteria[i].id);
		for (size_t k = 0; k < p->criteria[i].ncites; k++)
			check_cite(where, &p->criteria[i].cites[k]);
	}
	for (size_t j = 0; j < p->nsections; j++) {
		const mn_section *sec = &p->sections[j];
		for (size_t k = 0; k < sec->nstatements; k++) {
			const mn_statement *st = &sec->statements[k];
			snprintf(where, sizeof where, "%s letter statement %s[%zu]", p->id, st->id ? st->id : "", k);
			for (size_t m = 0; m < st->ncites; m++)
				check_cite(where, &st->cites[m]);
			for (size_t m = 0; m < st->text.nparts; m++)
				if (st->text.parts[m].finding)
					check_reference(where, st->text.parts[m].finding->reference);
		}
	}
}

/* Hand-written expectations. ACCURATE: authors, journal, year, volume,
 * issue, pages, DOI and PMID as facts.md §5 gives them (the title from the
 * PubMed record the evidence file names); Levy: facts.md §9, cited as an
 * epub; Florida Blue: the policy page (MP-328, "Latest Review Date: May
 * 2024"), AMA dates. */
static void test_known_strings(const mn_library *lib, const mn_policy *florida)
{
	const mn_reference *r = mn_library_reference(lib, "deer-2017-accurate");
	CHECK(r != NULL);
	if (r)
		CHECK_STR(r->citation, "Deer TR, Levy RM, Kramer J, et al. Dorsal root ganglion stimulation yielded higher "
		          "treatment success rate for complex regional pain syndrome and causalgia at 3 and 12 months: a "
		          "randomized comparative trial. Pain. 2017;158(4):669-681. doi:10.1097/j.pain.0000000000000814. "
		          "PMID: 28030470");
	r = mn_library_reference(lib, "levy-accurate-habituation");
	CHECK(r != NULL);
	if (r)  /* more than six authors: the first three, "et al" (AMA) */
		CHECK_STR(r->citation, "Levy RM, Mekhail N, Kramer J, et al. Therapy habituation at 12 months: spinal cord "
		          "stimulation versus dorsal root ganglion stimulation for complex regional pain syndrome type I and "
		          "II. J Pain. Published online September 5, 2019. doi:10.1016/j.jpain.2019.08.005. PMID: 31494275");
	const mn_source *s = NULL;
	for (size_t i = 0; florida && i < florida->nsources; i++)
		if (strcmp(florida->sources[i].id, "florida-blue-mp-328") == 0)
			s = &florida->sources[i];
	CHECK(s != NULL);
	if (s)
		CHECK_STR(s->citation, "Florida Blue. Spinal Cord and Dorsal Root Ganglion Stimulation. Medical Policy MP-328. "
		          "Reviewed May 2024. Accessed November 30, 2026. "
		          "https://fl-policies.exploremyplan.com/portal/web/medical-policies/-/mp-328?print=1");
	/* the items that could not be completed stay in the library, not citable */
	static const char *const dropped[] = {"cameron-2004-scs-review", "odi-mdc-summary", "lancet-neurol-2011-crps",
	                                      "odi-bands-table", "petraglia-scs-sci", "drg-anchoring-pooled",
	                                      "s1-drg-programming-2019", NULL};
	for (size_t i = 0; dropped[i]; i++) {
		r = mn_library_reference(lib, dropped[i]);
		CHECK_MSG(r && !mn_verification_citable(r->verification), "%s should be kept and not citable", dropped[i]);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The loaders reject an item that is not a full citation, with file and place. */
static void test_rejects(const mn_library *lib)
{
	char dir[] = "/tmp/mn-cite-XXXXXX", path[256];
	if (!mkdtemp(dir)) {
		CHECK_MSG(0, "mkdtemp");
		return;
	}
	mn_error err;
	mn_library *bad = NULL;
	snprintf(path, sizeof path, "%s/references.json", dir);
	write_file(path, "[\n  {\"id\": \"no-pages\", \"type\": \"article-journal\", \"title\": \"A study\",\n"
	                 "   \"author\": [{\"family\": \"Alpha\", \"given\": \"A\"}], \"container-title\": \"J Tests\",\n"
	                 "   \"issued\": {\"date-parts\": [[2020]]}, \"custom\": {\"verification\": \"confirmed\"}}\n]\n");
	snprintf(path, sizeof path, "%s/findings.yaml", dir);
	write_file(path, "[]\n");
	CHECK_INT(mn_library_load(dir, &bad, &err), MN_EPOLICY);
	CHECK_MSG(has(err.source, "references.json") && err.line == 2, "error place %s:%d", err.source, err.line);
	CHECK_MSG(has(err.message, "'no-pages'") && has(err.message, "missing page"), "message: %s", err.message);
	mn_library_free(bad);

	snprintf(path, sizeof path, "%s/references.json", dir);
	write_file(path, "[{\"id\": \"note\", \"type\": \"article-journal\", \"title\": \"Title not recorded\",\n"
	                 "  \"author\": [{\"family\": \"Alpha\"}], \"container-title\": \"J Tests\", \"page\": \"1-2\",\n"
	                 "  \"issued\": {\"date-parts\": [[2020]]}, \"custom\": {\"verification\": \"secondary\"}}]\n");
	bad = NULL;
	CHECK_INT(mn_library_load(dir, &bad, &err), MN_EPOLICY);
	CHECK_MSG(has(err.message, "not recorded"), "message: %s", err.message);
	mn_library_free(bad);

	/* the same item marked incomplete loads (kept, never cited) */
	write_file(path, "[{\"id\": \"note\", \"type\": \"article-journal\", \"title\": \"Title not recorded\",\n"
	                 "  \"custom\": {\"verification\": \"incomplete\"}}]\n");
	bad = NULL;
	CHECK_INT(mn_library_load(dir, &bad, &err), MN_OK);
	mn_library_free(bad);

	/* the mini test policy with its payer source's access date removed */
	char mini[4400], *text = NULL;
	snprintf(mini, sizeof mini, "%s/tests/data/policies/mini.yaml", mn_test_source_dir());
	FILE *in = fopen(mini, "rb");
	CHECK(in != NULL);
	if (in) {
		text = calloc(1, 1 << 16);
		size_t n = text ? fread(text, 1, (1 << 16) - 1, in) : 0;
		fclose(in);
		const char *cut = " accessed: \"2026-11-30\",\n     verification: confirmed}";
		char *at = text ? strstr(text, cut) : NULL;
		CHECK(at != NULL && n > 0);
		if (at)
			memmove(at, at + strlen(" accessed: \"2026-11-30\","), strlen(at + strlen(" accessed: \"2026-11-30\",")) + 1);
	}
	snprintf(path, sizeof path, "%s/mini.yaml", dir);
	write_file(path, text ? text : "");
	free(text);
	mn_policy *p = NULL;
	CHECK_INT(mn_policy_load_file(path, lib, &p, &err), MN_EPOLICY);
	CHECK_MSG(has(err.source, "mini.yaml") && err.line == 14 && has(err.path, "sources[0]") &&
	          has(err.message, "'src-a'") && has(err.message, "missing accessed"), "error %s:%d: %s", err.source,
	          err.line, err.message);
	mn_policy_free(p);

	unlink(path);
	snprintf(path, sizeof path, "%s/references.json", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/findings.yaml", dir);
	unlink(path);
	rmdir(dir);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char dir[4200], path[4400];
	mn_error err;
	mn_library *lib = NULL;
	snprintf(dir, sizeof dir, "%s/evidence", mn_test_source_dir());
	CHECK_INT(mn_library_load(dir, &lib, &err), MN_OK);
	if (!lib) {
		fprintf(stderr, "%s\n", err.message);
		TEST_END();
	}
	/* every citable finding (the builtin outcomes quote them) and reference */
	for (size_t i = 0; i < lib->nfindings; i++)
		if (mn_verification_citable(lib->findings[i].verification))
			check_reference(lib->findings[i].id, lib->findings[i].reference);
	for (size_t i = 0; i < lib->nreferences; i++)
		if (mn_verification_citable(lib->references[i].verification))
			check_reference(lib->references[i].id, &lib->references[i]);

	snprintf(dir, sizeof dir, "%s/policies", mn_test_source_dir());
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	char *names[256];
	size_t nnames = 0;
	for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0 && nnames < 256)
			names[nnames++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, nnames, sizeof *names, cmp_str);
	CHECK_MSG(nnames >= 13, "%zu policies", nnames);
	mn_policy *florida = NULL;
	for (size_t i = 0; i < nnames; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		mn_policy *p = NULL;
		mn_status rc = mn_policy_load_file(path, lib, &p, &err);
		CHECK_MSG(rc == MN_OK, "%s: %s", names[i], err.message);
		if (p)
			check_policy(p);
		if (p && strcmp(p->id, "drg-trial-florida-blue") == 0 && !florida)
			florida = p;
		else
			mn_policy_free(p);
		free(names[i]);
	}
	test_known_strings(lib, florida);
	mn_policy_free(florida);
	test_rejects(lib);
	printf("checked %d source and %d reference citations\n", ncited_sources, ncited_references);
	mn_library_free(lib);
	TEST_END();
}
