/*
 * test_knowledge.c: the evidence library and the policy loader: a valid
 * policy loads with everything compiled; each kind of mistake in a policy
 * file is an MN_EPOLICY error that names the file, line and key; out of
 * memory while loading is MN_ENOMEM, never another error or a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mednec/knowledge.h"
#include "test.h"

static mn_library *lib;
static char fixtures[4096];

static void test_library(void)
{
	char dir[4200];
	mn_error err;
	snprintf(dir, sizeof dir, "%s/evidence", fixtures);
	CHECK_INT(mn_library_load(dir, &lib, &err), MN_OK);
	if (!lib)
		return;
	CHECK_INT(lib->nreferences, 3);
	CHECK_INT(lib->nfindings, 3);
	CHECK(mn_library_reference(lib, "ref-incomplete")->verification == MN_VERIFIED_INCOMPLETE);
	CHECK(mn_library_finding(lib, "finding-incomplete")->verification == MN_VERIFIED_INCOMPLETE);
	CHECK(mn_verification_citable(MN_VERIFIED_CONFIRMED) && mn_verification_citable(MN_VERIFIED_SECONDARY));
	CHECK(!mn_verification_citable(MN_VERIFIED_NOT_CONFIRMED) && !mn_verification_citable(MN_VERIFIED_INCOMPLETE));
	CHECK_STR(mn_verification_name(MN_VERIFIED_INCOMPLETE), "incomplete");
	const mn_reference *r = mn_library_reference(lib, "ref-confirmed");
	CHECK(r != NULL);
	if (r)
		/* initials: "Ann B" -> AB; "RSGM" kept whole; a non-ASCII first letter copied whole ("Ärni-Kai" -> ÄK) */
		CHECK_STR(r->citation, "Alpha AB, Beta C, Gamma RSGM, Delta \xc3\x84K. A confirmed study. Journal of Tests. 2020;10(2):1-9. doi:10.0000/test.1");
	const mn_finding *f = mn_library_finding(lib, "finding-ok");
	CHECK(f && f->reference == r && f->verification == MN_VERIFIED_CONFIRMED);
	CHECK(mn_library_finding(lib, "finding-bad")->verification == MN_VERIFIED_NOT_CONFIRMED);
	CHECK(mn_library_finding(lib, "nope") == NULL);

	/* the project's own library loads */
	mn_library *real;
	snprintf(dir, sizeof dir, "%s/evidence", mn_test_source_dir());
	CHECK_INT(mn_library_load(dir, &real, &err), MN_OK);
	mn_library_free(real);

	CHECK_INT(mn_library_load("/nonexistent", &real, &err), MN_EIO);
}

/* Shared value sets (tests/data/knowledge/valuesets, found beside the
 * evidence folder): the entry shapes, worked by hand from test-sud.yaml. */
static void test_shared_valuesets(void)
{
	const char *icd = "urn:test:icd", *cpt = "urn:test:cpt";
	CHECK_INT(lib->nvaluesets, 1);
	CHECK(lib->valuesets_dir && strstr(lib->valuesets_dir, "tests/data/knowledge/valuesets") != NULL);
	CHECK(mn_library_valueset(lib, "nope") == NULL);
	const mn_valueset *vs = mn_library_valueset(lib, "test-sud");
	CHECK(vs != NULL);
	if (!vs)
		return;
	CHECK_INT(vs->ncodes, 4);
	CHECK_INT(vs->nexcludes, 3);
	CHECK_INT(vs->nsources, 3);
	CHECK(strstr(vs->path, "test-sud.yaml") != NULL);
	CHECK(vs->codes[0].match == MN_VS_PREFIX && strcmp(vs->codes[0].code, "F11") == 0);
	CHECK_INT(vs->codes[0].line, 9);
	CHECK(vs->codes[0].source == &vs->sources[0]);
	CHECK(vs->codes[1].match == MN_VS_CODE && vs->codes[1].to == NULL);
	CHECK(vs->codes[2].match == MN_VS_RANGE && strcmp(vs->codes[2].code, "63001") == 0 &&
	      strcmp(vs->codes[2].to, "63048") == 0);
	CHECK(vs->sources[2].verification == MN_VERIFIED_INCOMPLETE);
	/* prefix F11: the code starts with it */
	CHECK_INT(mn_valueset_contains(vs, icd, "F11.20"), 1);
	CHECK_INT(mn_valueset_contains(vs, icd, "F11.29"), 1);
	CHECK_INT(mn_valueset_contains(vs, icd, "F11"), 1);
	CHECK_INT(mn_valueset_contains(vs, icd, "F1"), 0);
	CHECK_INT(mn_valueset_contains(vs, icd, "F12.20"), 0);
	CHECK_INT(mn_valueset_contains(vs, icd, "f11.20"), 0);
	/* exclusions win: a code, a prefix */
	CHECK_INT(mn_valueset_contains(vs, icd, "F11.21"), 0);
	CHECK_INT(mn_valueset_contains(vs, icd, "F11.90"), 0);
	CHECK_INT(mn_valueset_contains(vs, icd, "F11.9"), 0);
	/* an exact code */
	CHECK_INT(mn_valueset_contains(vs, icd, "F10.20"), 1);
	CHECK_INT(mn_valueset_contains(vs, icd, "F10.2"), 0);
	CHECK_INT(mn_valueset_contains(vs, icd, "F10.200"), 0);
	/* system: another system's code is not a member; no system (a bare code) matches any */
	CHECK_INT(mn_valueset_contains(vs, cpt, "F11.20"), 0);
	CHECK_INT(mn_valueset_contains(vs, NULL, "F11.20"), 1);
	CHECK_INT(mn_valueset_contains(vs, NULL, "F11.21"), 0);
	/* range 63001-63048: same length, lexically between, bounds included; 63040-63044 excluded */
	CHECK_INT(mn_valueset_contains(vs, cpt, "63030"), 1);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63001"), 1);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63048"), 1);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63000"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63049"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, "630301"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, "6303"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63650"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63039"), 1);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63040"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63042"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63044"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, "63045"), 1);
	CHECK_INT(mn_valueset_contains(vs, icd, "63030"), 0);
	CHECK_INT(mn_valueset_contains(vs, cpt, ""), 0);
	CHECK_INT(mn_valueset_contains(NULL, cpt, "63030"), 0);
}

/* A value set's membership by its definition: an entry of codes matches and none of excludes (the reference
 * for the index, which is built at load). */
static bool entry_is(const mn_vs_entry *e, const char *system, const char *code)
{
	if (system && strcmp(e->system, system) != 0)
		return false;
	if (e->match == MN_VS_CODE)
		return strcmp(e->code, code) == 0;
	if (e->match == MN_VS_PREFIX)
		return strncmp(code, e->code, strlen(e->code)) == 0;
	return strlen(e->code) == strlen(code) && strcmp(e->code, code) <= 0 && strcmp(code, e->to) <= 0;
}

static int member_by_definition(const mn_valueset *vs, const char *system, const char *code)
{
	bool in = false;
	for (size_t i = 0; i < vs->ncodes && !in; i++)
		in = entry_is(&vs->codes[i], system, code);
	for (size_t i = 0; i < vs->nexcludes && in; i++)
		in = !entry_is(&vs->excludes[i], system, code);
	return in;
}

/* Membership through the hash of exact codes, through the sorted search it replaces (the same value set
 * without its hashes) and by definition agree, for every code of the project's shared value sets and
 * variants of it: another system, no system, a character more or less, lower case, empty. */
static void test_valueset_index(void)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/evidence", mn_test_source_dir());
	mn_library *real = NULL;
	mn_error err;
	if (mn_library_load(dir, &real, &err) != MN_OK) {
		CHECK_MSG(0, "the project's library: %s", err.message);
		return;
	}
	CHECK(real->nvaluesets >= 10);
	size_t probes = 0, members = 0;
	for (size_t v = 0; v < real->nvaluesets; v++) {
		const mn_valueset *vs = &real->valuesets[v];
		mn_valueset plain = *vs;
		plain.inc_.hash = plain.exc_.hash = NULL;
		plain.inc_.hcap = plain.exc_.hcap = 0;
		CHECK_MSG(!vs->inc_.nexact || vs->inc_.hash, "%s: no hash", vs->name);
		for (size_t i = 0; i < vs->ncodes + vs->nexcludes; i++) {
			const mn_vs_entry *e = i < vs->ncodes ? &vs->codes[i] : &vs->excludes[i - vs->ncodes];
			char more[128], less[128], lower[128];
			snprintf(more, sizeof more, "%sx", e->code);
			snprintf(less, sizeof less, "%.*s", (int)(strlen(e->code) ? strlen(e->code) - 1 : 0), e->code);
			snprintf(lower, sizeof lower, "%s", e->code);
			for (char *q = lower; *q; q++)
				if (*q >= 'A' && *q <= 'Z')
					*q = (char)(*q - 'A' + 'a');
			const char *codes[] = {e->code, more, less, lower, "", e->to ? e->to : e->code};
			const char *systems[] = {e->system, NULL, "http://loinc.org", "http://snomed.info/sct", "urn:other"};
			for (size_t c = 0; c < sizeof codes / sizeof codes[0]; c++)
				for (size_t s = 0; s < sizeof systems / sizeof systems[0]; s++) {
					int want = member_by_definition(vs, systems[s], codes[c]);
					int got = mn_valueset_contains(vs, systems[s], codes[c]);
					CHECK_MSG(got == want, "%s %s|%s: %d, want %d", vs->name, systems[s] ? systems[s] : "-", codes[c],
					          got, want);
					CHECK_MSG(mn_valueset_contains(&plain, systems[s], codes[c]) == want, "%s %s|%s (sorted)",
					          vs->name, systems[s] ? systems[s] : "-", codes[c]);
					probes++;
					members += (size_t)want;
				}
		}
	}
	CHECK(probes > 5000 && members > 1000 && members < probes);
	/* by hand (knowledge/valuesets): 97110 (therapeutic exercise) is usual CRPS care in CPT, 64483 (epidural
	 * injection) and 64635 (facet ablation) are listed under exclude; not in another system; a bare code matches
	 * any system */
	const mn_valueset *proc = mn_library_valueset(real, "crps-usual-care-procedures");
	CHECK(proc != NULL);
	if (proc) {
		CHECK_INT(mn_valueset_contains(proc, "http://www.ama-assn.org/go/cpt", "97110"), 1);
		CHECK_INT(mn_valueset_contains(proc, NULL, "97110"), 1);
		CHECK_INT(mn_valueset_contains(proc, "http://loinc.org", "97110"), 0);
		CHECK_INT(mn_valueset_contains(proc, "http://www.ama-assn.org/go/cpt", "9711"), 0);
		CHECK_INT(mn_valueset_contains(proc, "http://www.ama-assn.org/go/cpt", "97110 "), 0);
		CHECK_INT(mn_valueset_contains(proc, "http://www.ama-assn.org/go/cpt", "64483"), 0);
		CHECK_INT(mn_valueset_contains(proc, "http://www.ama-assn.org/go/cpt", "64635"), 0);
	}
	mn_library_free(real);
}

/* By hand: one code in two systems, excluded in one of them; 40 more codes so that the hash's slots are
 * shared (test-sud.yaml with lines added). */
static void test_valueset_same_code(void)
{
	char src[4200], dir[] = "/tmp/mn_vs_XXXXXX", path[200], evid[4200];
	snprintf(src, sizeof src, "%s/knowledge/valuesets/test-sud.yaml", fixtures);
	snprintf(evid, sizeof evid, "%s/evidence", fixtures);
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof path, "%s/test-sud.yaml", dir);
	mn_buf add = MN_BUF_INIT;
	mn_buf_puts(&add, "  - {system: \"urn:test:icd\", code: \"X1\", display: \"x\", source: icd}\n"
	            "  - {system: \"urn:test:cpt\", code: \"X1\", display: \"x\", source: icd}\n"
	            "  - {system: \"urn:test:cpt\", code: \"X2\", display: \"x\", source: icd}\n");
	for (int i = 0; i < 40; i++)
		mn_buf_printf(&add, "  - {system: \"urn:test:icd\", code: \"C%02d\", display: \"c\", source: icd}\n", i);
	const char *exclude_add = "  - {system: \"urn:test:cpt\", code: \"X1\", display: \"x\", source: icd}\n";
	char *text = NULL;
	size_t len;
	mn_error err;
	mn_library *l2 = NULL;
	CHECK_INT(mn_read_file(src, &text, &len, &err), MN_OK);
	const char *co = text ? strstr(text, "codes:\n") : NULL, *ex = text ? strstr(text, "exclude:\n") : NULL;
	CHECK(co && ex && co < ex);
	FILE *f = co && ex && co < ex ? fopen(path, "w") : NULL;
	if (f) {
		/* the lines added at the start of codes and of exclude */
		co += strlen("codes:\n");
		ex += strlen("exclude:\n");
		fwrite(text, 1, (size_t)(co - text), f);
		fputs(mn_buf_cstr(&add), f);
		fwrite(co, 1, (size_t)(ex - co), f);
		fputs(exclude_add, f);
		fputs(ex, f);
		fclose(f);
	}
	free(text);
	mn_buf_free(&add);
	if (mn_library_load(evid, &l2, &err) == MN_OK) {
		mn_error_clear(&err);
		CHECK_INT(mn_library_load_valuesets(l2, dir, &err), MN_OK);
		const mn_valueset *vs = mn_library_valueset(l2, "test-sud");
		CHECK(vs != NULL);
		if (vs) {
			CHECK_INT(vs->ncodes, 47);
			CHECK_INT(vs->nexcludes, 4);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:icd", "X1"), 1);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:cpt", "X1"), 0);   /* excluded there */
			CHECK_INT(mn_valueset_contains(vs, NULL, "X1"), 0);             /* a bare code: the exclusion too */
			CHECK_INT(mn_valueset_contains(vs, "urn:test:other", "X1"), 0);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:cpt", "X2"), 1);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:icd", "X2"), 0);
			CHECK_INT(mn_valueset_contains(vs, NULL, "X2"), 1);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:icd", "X"), 0);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:icd", "X12"), 0);
			for (int i = 0; i < 45; i++) {
				char c[8];
				snprintf(c, sizeof c, "C%02d", i);
				CHECK_MSG(mn_valueset_contains(vs, "urn:test:icd", c) == (i < 40), "%s", c);
				CHECK_MSG(mn_valueset_contains(vs, "urn:test:cpt", c) == 0, "%s", c);
			}
			CHECK_INT(mn_valueset_contains(vs, "urn:test:icd", "F10.20"), 1);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:icd", "F11.21"), 0);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:cpt", "63042"), 0);
			CHECK_INT(mn_valueset_contains(vs, "urn:test:cpt", "63030"), 1);
		}
	}
	mn_library_free(l2);
	unlink(path);
	rmdir(dir);
}

/* Write the text of file src with the first `from` replaced by `to` to dest;
 * false (a failed check) when src lacks `from`. */
static bool write_variant(const char *src, const char *from, const char *to, const char *dest)
{
	char *text;
	size_t len;
	mn_error err;
	if (mn_read_file(src, &text, &len, &err) != MN_OK) {
		CHECK(0);
		return false;
	}
	char *at = strstr(text, from);
	CHECK_MSG(at != NULL, "%s lacks '%s'", src, from);
	if (at) {
		FILE *f = fopen(dest, "w");
		CHECK(f != NULL);
		if (!f) {
			free(text);
			return false;
		}
		fwrite(text, 1, (size_t)(at - text), f);
		fputs(to, f);
		fputs(at + strlen(from), f);
		fclose(f);
	}
	free(text);
	return at != NULL;
}

/* The load failed with MN_EPOLICY, a message containing want and the file
 * name, at want_line (0 = any). */
static void expect_error(mn_status rc, const mn_error *err, const char *what, const char *path, const char *want,
                         int want_line)
{
	char msg[2048];
	mn_error_format(err, msg, sizeof msg);
	CHECK_MSG(rc == MN_EPOLICY, "%s: got %s (%s)", what, mn_status_name(rc), msg);
	CHECK_MSG(strstr(msg, want) != NULL, "%s: message '%s' lacks '%s'", what, msg, want);
	CHECK_MSG(strstr(msg, path) != NULL, "message lacks the file name: %s", msg);
	if (want_line)
		CHECK_MSG(err->line == want_line, "'%s': line %d, want %d (%s)", want, err->line, want_line, msg);
}

/* A shared value set file (written as NAME.yaml in a fresh folder) with one
 * replacement: the load fails with want at want_line (0 = any). */
static void broken_vs(const char *name, const char *from, const char *to, const char *want, int want_line)
{
	char src[4200], dir[] = "/tmp/mn_vs_XXXXXX", path[200];
	snprintf(src, sizeof src, "%s/knowledge/valuesets/test-sud.yaml", fixtures);
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof path, "%s/%s.yaml", dir, name);
	mn_library *l2 = NULL;
	mn_error err;
	char evid[4200];
	snprintf(evid, sizeof evid, "%s/evidence", fixtures);
	if (write_variant(src, from, to, path) && mn_library_load(evid, &l2, &err) == MN_OK) {
		mn_error_clear(&err);
		mn_status rc = mn_library_load_valuesets(l2, dir, &err);
		expect_error(rc, &err, from, path, want, want_line);
		CHECK_INT(l2->nvaluesets, 0);
	}
	mn_library_free(l2);
	unlink(path);
	rmdir(dir);
}

static void test_broken_valuesets(void)
{
	broken_vs("test-sud", "note: \"a test", "notes: \"a test", "unknown key 'notes'", 3);
	broken_vs("test-sud", "code: \"F10.20\", display: \"Alcohol dependence\", source: icd}",
	          "code: \"F10.20\", display: \"Alcohol dependence\"}", "missing required key 'source'", 10);
	broken_vs("test-sud", "code: \"F10.20\", display: \"Alcohol dependence\", source: icd}",
	          "code: \"F10.20\", display: \"Alcohol dependence\", source: gone}", "'gone' is not-confirmed and cannot back", 10);
	broken_vs("test-sud", "code: \"F10.20\", display: \"Alcohol dependence\", source: icd}",
	          "code: \"F10.20\", display: \"Alcohol dependence\", source: part}", "'part' is incomplete and cannot back", 10);
	broken_vs("test-sud", "code: \"F10.20\", display: \"Alcohol dependence\", source: icd}",
	          "code: \"F10.20\", display: \"Alcohol dependence\", source: nope}", "unknown source 'nope'", 10);
	broken_vs("test-sud", "code: \"F11.21\"", "code: \"F11.21\", sorce: icd", "unknown key 'sorce'", 14);
	broken_vs("other-name", "id: test-sud", "id: test-sud", "id 'test-sud' must equal the file name 'other-name'", 1);
	broken_vs("test-sud", "codes:\n  - {system: \"urn:test:icd\", prefix: \"F11\"",
	          "codes: []\nx:\n  - {system: \"urn:test:icd\", prefix: \"F11\"", "unknown key 'x'", 9);
	broken_vs("test-sud", "codes:\n", "codes: []\nexclude2:\n", "unknown key 'exclude2'", 0);
	broken_vs("test-sud", "sources:\n", "sources: []\nsources2:\n", "unknown key 'sources2'", 0);
	broken_vs("test-sud", "to: \"63048\"", "to: \"630480\"", "must have the same length", 11);
	broken_vs("test-sud", "from: \"63001\", to: \"63048\"", "from: \"63048\", to: \"63001\"", "comes after", 11);
	broken_vs("test-sud", "from: \"63001\", to: \"63048\"", "from: \"63001\"", "needs both from and to", 11);
	broken_vs("test-sud", "prefix: \"F11\", display", "prefix: \"F11\", code: \"F11\", display", "exactly one of", 9);
	broken_vs("test-sud", "verification: confirmed", "verification: maybe", "verification must be", 5);
}

/* Empty value set: a file whose codes list is empty. */
static void test_empty_valueset(void)
{
	char dir[] = "/tmp/mn_vs_XXXXXX", path[200], evid[4200];
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof path, "%s/empty.yaml", dir);
	FILE *f = fopen(path, "w");
	fputs("id: empty\nsources:\n  - {id: s, title: t, verification: confirmed}\ncodes: []\n", f);
	fclose(f);
	mn_library *l2 = NULL;
	mn_error err;
	snprintf(evid, sizeof evid, "%s/evidence", fixtures);
	CHECK_INT(mn_library_load(evid, &l2, &err), MN_OK);
	if (l2) {
		CHECK_INT(mn_library_load_valuesets(l2, dir, &err), MN_EPOLICY);
		CHECK(strstr(err.message, "non-empty list of codes") != NULL && err.line == 4);
		/* a folder that does not exist holds no shared value sets */
		CHECK_INT(mn_library_load_valuesets(l2, "/nonexistent", &err), MN_OK);
		CHECK_INT(l2->nvaluesets, 0);
	}
	mn_library_free(l2);
	unlink(path);
	rmdir(dir);
}

/* Write src_dir/name, with one replacement, as dir/name. */
static bool variant_in(const char *dir, const char *src_dir, const char *name, const char *from, const char *to)
{
	char src[4400], dst[400];
	snprintf(src, sizeof src, "%s/%s", src_dir, name);
	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	return write_variant(src, from, to, dst);
}

/* Remove dir/name for each name, then dir. */
static void remove_dir(const char *dir, const char *const *names)
{
	char path[400];
	for (; *names; names++) {
		snprintf(path, sizeof path, "%s/%s", dir, *names);
		unlink(path);
	}
	rmdir(dir);
}

/* The evidence library: a citable finding on an incomplete reference is a
 * load error (its citation cannot be printed whole). */
static void test_broken_library(void)
{
	static const char *const files[] = {"references.json", "findings.yaml", NULL};
	char dir[] = "/tmp/mn_lib_XXXXXX", src[4200], dst[200];
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(src, sizeof src, "%s/evidence", fixtures);
	snprintf(dst, sizeof dst, "%s/findings.yaml", dir);
	mn_library *l2 = NULL;
	mn_error err;
	mn_error_clear(&err);
	if (variant_in(dir, src, "references.json", "[", "[") &&
	    variant_in(dir, src, "findings.yaml", "  reference: ref-incomplete\n  verification: incomplete",
	               "  reference: ref-incomplete\n  verification: secondary")) {
		mn_status rc = mn_library_load(dir, &l2, &err);
		expect_error(rc, &err, "secondary finding on an incomplete reference", dst,
		             "a citable finding needs a citable reference ('ref-incomplete' is incomplete)", 15);
	}
	mn_library_free(l2);
	remove_dir(dir, files);
}

/* The mini policy with one replacement, loaded (NULL with a failed check
 * when it does not load). */
static mn_policy *load_mini_variant(const char *from, const char *to)
{
	char src[4200], path[] = "/tmp/mn_policy_XXXXXX";
	mn_policy *p = NULL;
	snprintf(src, sizeof src, "%s/policies/mini.yaml", fixtures);
	int fd = mkstemp(path);
	if (fd < 0) {
		CHECK(0);
		return NULL;
	}
	close(fd);
	if (write_variant(src, from, to, path)) {
		mn_error err;
		mn_error_clear(&err);
		mn_status rc = mn_policy_load_file(path, lib, &p, &err);
		CHECK_MSG(rc == MN_OK, "'%s' -> '%s': %s", from, to, err.message);
	}
	unlink(path);
	return p;
}

/* authorRequirement: a criterion the policy's author requires with no
 * payer source may have an empty cite; without it cite is required. */
static void test_author_requirement(void)
{
	const char *from = "    cite: [src-a]\n  - id: score-high";
	mn_policy *p = load_mini_variant(from, "    authorRequirement: \"The test author wants the diagnosis on file.\"\n"
	                                       "    cite: []\n  - id: score-high");
	if (p) {
		CHECK_STR(p->criteria[0].author_requirement, "The test author wants the diagnosis on file.");
		CHECK_INT(p->criteria[0].ncites, 0);
		CHECK(p->criteria[1].author_requirement == NULL);
		CHECK_INT(p->criteria[1].ncites, 2);
	}
	mn_policy_free(p);
	/* with a citation as well: both kept */
	p = load_mini_variant(from, "    authorRequirement: \"Stricter than the payer.\"\n    cite: [src-a]\n  - id: score-high");
	if (p)
		CHECK(p->criteria[0].ncites == 1 && strcmp(p->criteria[0].author_requirement, "Stricter than the payer.") == 0);
	mn_policy_free(p);
}

static mn_datetime day(const char *s)
{
	mn_datetime d;
	memset(&d, 0, sizeof d);
	CHECK_INT(mn_datetime_parse(s, strlen(s), MN_DT_DATE, &d, NULL), MN_OK);
	return d;
}

/* Load id in force on as_of from dir: want_version is the file's version
 * tag ("" for ID.yaml), or NULL when the load must fail with want_error. */
static void in_force(const char *dir, const char *id, const char *as_of, const char *want_version,
                     const char *want_error)
{
	mn_datetime d = day(as_of);
	mn_policy *p = NULL;
	mn_error err;
	mn_error_clear(&err);
	mn_status rc = mn_policy_load_in_force(dir, id, &d, lib, &p, &err);
	if (want_version) {
		CHECK_MSG(rc == MN_OK && p, "%s on %s: %s", id, as_of, err.message);
		if (p)
			CHECK_MSG(strcmp(p->file_version ? p->file_version : "", want_version) == 0, "%s on %s: version %s, want %s",
			          id, as_of, p->file_version ? p->file_version : "(none)", want_version);
	} else {
		CHECK_MSG(rc == MN_EPOLICY && !p, "%s on %s: got %s", id, as_of, mn_status_name(rc));
		CHECK_MSG(strstr(err.message, want_error) != NULL, "%s on %s: '%s' lacks '%s'", id, as_of, err.message, want_error);
	}
	mn_policy_free(p);
}

/* Policy versions (tests/data/versions/policies): vpol.yaml 2025-01-01 to
 * 2025-06-30, vpol@2025-07.yaml 2025-07-15 to 2026-02-28, vpol@2026.yaml
 * from 2026-03-01 on; a gap from 2025-07-01 to 2025-07-14. */
static void test_versions(void)
{
	char dir[4200];
	mn_error err;
	snprintf(dir, sizeof dir, "%s/versions/policies", fixtures);
	mn_arena *a = mn_arena_new();
	const char **list, **ids, **vers;
	CHECK_INT(mn_policy_list(dir, a, &list, &err), MN_OK);
	CHECK(list[0] && !strcmp(list[0], "vpol") && list[1] && !strcmp(list[1], "vpol@2025-07") && list[2] &&
	      !strcmp(list[2], "vpol@2026") && !list[3]);
	CHECK_INT(mn_policy_ids(dir, a, &ids, &err), MN_OK);
	CHECK(ids[0] && !strcmp(ids[0], "vpol") && !ids[1]);
	CHECK_INT(mn_policy_versions(dir, "vpol", lib, a, &vers, &err), MN_OK);
	CHECK(vers[0] && vers[1] && vers[2] && !vers[3] && !strcmp(vers[1], "vpol@2025-07"));
	CHECK_INT(mn_policy_versions(dir, "vpol-alias", lib, a, &vers, &err), MN_OK);
	CHECK(vers[0] && vers[1] && vers[2] && !vers[3]);
	CHECK_INT(mn_policy_versions(dir, "nope", lib, a, &vers, &err), MN_ENOTFOUND);
	mn_arena_free(a);

	/* the periods as loaded: partial dates widened to first and last days */
	mn_policy *p = NULL;
	CHECK_INT(mn_policy_load(dir, "vpol", lib, &p, &err), MN_OK);
	if (p) {
		CHECK_STR(p->effective_start, "2025-01-01");
		CHECK_STR(p->effective_end, "2025-06-30");
		CHECK_STR(p->effective_note, "a test fixture: 2025-01-01 to 2025-06-30");
		CHECK(p->file_version == NULL);
		CHECK_STR(p->version, "2025-a");
		mn_datetime d = day("2025-06-30");
		CHECK(mn_policy_in_force(p, &d));
		d = day("2025-07-01");
		CHECK(!mn_policy_in_force(p, &d));
	}
	mn_policy_free(p);
	CHECK_INT(mn_policy_load(dir, "vpol@2025-07", lib, &p, &err), MN_OK);
	if (p) {
		CHECK_STR(p->effective_start, "2025-07-15");
		CHECK_STR(p->effective_end, "2026-02-28");
		CHECK_STR(p->file_version, "2025-07");
	}
	mn_policy_free(p);
	CHECK_INT(mn_policy_load(dir, "vpol@2026", lib, &p, &err), MN_OK);
	if (p)
		CHECK(!strcmp(p->effective_start, "2026-03-01") && p->effective_end == NULL && !strcmp(p->file_version, "2026"));
	mn_policy_free(p);
	CHECK_INT(mn_policy_load(dir, "vpol@1999", lib, &p, &err), MN_ENOTFOUND);
	CHECK_INT(mn_policy_load(dir, "vpol@../x", lib, &p, &err), MN_ENOTFOUND);

	/* inside each period, at both boundary days, in the gap, before the first, after the last start */
	in_force(dir, "vpol", "2025-03-10", "", NULL);
	in_force(dir, "vpol", "2025-01-01", "", NULL);
	in_force(dir, "vpol", "2025-06-30", "", NULL);
	in_force(dir, "vpol", "2024-12-31", NULL, "no version of policy 'vpol' is in force on 2024-12-31");
	in_force(dir, "vpol", "2025-07-01", NULL, "no version of policy 'vpol' is in force on 2025-07-01");
	in_force(dir, "vpol", "2025-07-14", NULL, "vpol@2025-07.yaml (2025-07-15 to 2026-02-28)");
	in_force(dir, "vpol", "2025-07-15", "2025-07", NULL);
	in_force(dir, "vpol", "2025-12-01", "2025-07", NULL);
	in_force(dir, "vpol", "2026-02-28", "2025-07", NULL);
	in_force(dir, "vpol", "2026-03-01", "2026", NULL);
	in_force(dir, "vpol", "2040-01-01", "2026", NULL);
	in_force(dir, "vpol-alias", "2025-03-10", "", NULL);
	in_force(dir, "vpol-alias", "2026-03-01", "2026", NULL);
	in_force(dir, "vpol@2026", "2026-03-01", "2026", NULL);
	in_force(dir, "vpol@2026", "2025-03-01", NULL, "vpol@2026.yaml (2026-03-01 to open)");
	mn_datetime d = day("2025-07-01");
	CHECK_INT(mn_policy_load_in_force(dir, "nope", &d, lib, &p, &err), MN_ENOTFOUND);
	CHECK_INT(mn_policy_load_in_force(dir, "../vpol", &d, lib, &p, &err), MN_ENOTFOUND);
	CHECK_INT(mn_policy_load_in_force_ex(dir, "vpol", &d, lib, MN_POLICY_NONE_IN_FORCE_OK, &p, &err), MN_OK);
	CHECK(p == NULL);
	d = day("2025-07-15");
	CHECK_INT(mn_policy_load_in_force_ex(dir, "vpol", &d, lib, MN_POLICY_NONE_IN_FORCE_OK, &p, &err), MN_OK);
	CHECK(p && !strcmp(p->file_version, "2025-07"));
	mn_policy_free(p);
	CHECK_INT(mn_policy_check_versions(dir, "vpol", lib, &err), MN_OK);

	/* overlap: the first version extended to 2025-08-31 overlaps the second from 2025-07-15 */
	static const char *const files[] = {"vpol.yaml", "vpol@2025-07.yaml", "other@1.yaml", NULL};
	char tmp[] = "/tmp/mn_vers_XXXXXX";
	if (!mkdtemp(tmp)) {
		CHECK(0);
		return;
	}
	if (variant_in(tmp, dir, "vpol.yaml", "  end: \"2025-06\"", "  end: \"2025-08\"") &&
	    variant_in(tmp, dir, "vpol@2025-07.yaml", "id: vpol", "id: vpol")) {
		in_force(tmp, "vpol", "2025-07-14", "", NULL);
		in_force(tmp, "vpol", "2025-07-15", NULL, "two versions of policy 'vpol' are in force on 2025-07-15: "
		         "vpol.yaml (2025-01-01 to 2025-08-31) and vpol@2025-07.yaml (2025-07-15 to 2026-02-28)");
		in_force(tmp, "vpol", "2025-08-31", NULL, "two versions of policy 'vpol' are in force on 2025-08-31");
		in_force(tmp, "vpol", "2025-09-01", "2025-07", NULL);
		CHECK_INT(mn_policy_check_versions(tmp, "vpol", lib, &err), MN_EPOLICY);
		CHECK(strstr(err.message, "versions of policy 'vpol' overlap: vpol.yaml (2025-01-01 to 2025-08-31) and "
		                          "vpol@2025-07.yaml (2025-07-15 to 2026-02-28)") != NULL);
	}
	/* a version file must carry its file name's id */
	char other[200], src[4300];
	snprintf(other, sizeof other, "%s/other@1.yaml", tmp);
	snprintf(src, sizeof src, "%s/vpol@2025-07.yaml", dir);
	if (write_variant(src, "id: vpol", "id: vpol", other)) {
		CHECK_INT(mn_policy_load_file(other, lib, &p, &err), MN_EPOLICY);
		CHECK(strstr(err.message, "must start with the policy's id 'vpol'") != NULL);
		CHECK_INT(mn_policy_load(tmp, "other@1", lib, &p, &err), MN_EPOLICY);
	}
	remove_dir(tmp, files);
}

static void test_effective_days(void)
{
	static const struct { const char *effective, *start, *end; } cases[] = {
		{"{start: \"2024-02\", end: \"2026-02\"}", "2024-02-01", "2026-02-28"},
		{"{start: \"2023-02\", end: \"2028-02\"}", "2023-02-01", "2028-02-29"},
		{"{start: \"2023-06-05\", end: \"2026\"}", "2023-06-05", "2026-12-31"},
		{"{start: \"2026-02-01\", end: \"2026-02-01\"}", "2026-02-01", "2026-02-01"},
		{"{start: \"2021\", end: \"2026-04\"}", "2021-01-01", "2026-04-30"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char to[200];
		snprintf(to, sizeof to, "effective: %s\n", cases[i].effective);
		mn_policy *p = load_mini_variant("effective: {start: \"2020\", note: \"a test fixture, in force from 2020 on\"}\n", to);
		if (p) {
			CHECK_STR(p->effective_start, cases[i].start);
			CHECK_STR(p->effective_end, cases[i].end);
			CHECK(p->effective_note == NULL);
		}
		mn_policy_free(p);
	}
}

static void test_valid_policy(void)
{
	char dir[4200];
	mn_error err;
	mn_policy *p;
	snprintf(dir, sizeof dir, "%s/policies", fixtures);
	CHECK_INT(mn_policy_load(dir, "mini", lib, &p, &err), MN_OK);
	if (!p)
		return;
	CHECK_STR(p->id, "mini");
	CHECK_STR(p->effective_start, "2020-01-01");
	CHECK(p->effective_end == NULL && p->file_version == NULL);
	CHECK(p->covered);
	CHECK_INT(p->ncriteria, 3);
	CHECK_INT(p->ndefinitions, 2);
	CHECK(p->criteria[0].met && p->criteria[0].evidence && p->criteria[0].documented);
	CHECK(p->criteria[2].documented != NULL);
	CHECK(p->criteria[1].cites[0].source && p->criteria[1].cites[1].finding);
	CHECK_INT(p->nsections, 7);
	/* template: literal, slot, literal */
	const mn_template *t = &p->sections[2].statements[0].text;
	CHECK_INT(t->nparts, 3);
	CHECK(t->parts[0].text && t->parts[1].slot && t->parts[2].text);
	/* evidence slot resolved at load */
	const mn_template *t2 = &p->sections[2].statements[3].text;
	CHECK(t2->nparts == 1 && t2->parts[0].finding && strcmp(t2->parts[0].field, "In 40 test patients, success was 50% vs 20%.") == 0);
	CHECK_INT(mn_policy_member_of(p, "pain-dx", "urn:test:dx", "P1"), 1);
	CHECK_INT(mn_policy_member_of(p, "pain-dx", "urn:other", "P1"), 0);
	CHECK_INT(mn_policy_member_of(p, "pain-dx", NULL, "P1"), 1);
	CHECK_INT(mn_policy_member_of(p, "unknown-set", "urn:test:dx", "P1"), -1);
	/* the shared sets are seen through the policy */
	CHECK_INT(mn_policy_member_of(p, "test-sud", "urn:test:icd", "F11.20"), 1);
	CHECK_INT(mn_policy_member_of(p, "test-sud", "urn:test:icd", "F11.21"), 0);
	CHECK_INT(mn_policy_member_of(p, "test-sud", "urn:test:dx", "P1"), 0);
	/* policy-level prefix 220, range 63001-63048, exclusion 22010 */
	CHECK_INT(p->nvaluesets, 2);
	CHECK_INT(mn_policy_member_of(p, "mini-spine", "urn:test:cpt", "22012"), 1);
	CHECK_INT(mn_policy_member_of(p, "mini-spine", "urn:test:cpt", "2201"), 1);
	CHECK_INT(mn_policy_member_of(p, "mini-spine", "urn:test:cpt", "22010"), 0);
	CHECK_INT(mn_policy_member_of(p, "mini-spine", "urn:test:cpt", "22"), 0);
	CHECK_INT(mn_policy_member_of(p, "mini-spine", "urn:test:cpt", "63030"), 1);
	CHECK_INT(mn_policy_member_of(p, "mini-spine", "urn:test:cpt", "63049"), 0);
	CHECK_INT(mn_policy_member_of(p, "mini-spine", "urn:test:cpt", "630301"), 0);
	CHECK(p->valuesets[1].codes[0].source == NULL && p->valuesets[1].codes[1].source == &p->sources[0]);
	mn_policy_free(p);

	mn_arena *a = mn_arena_new();
	const char **ids;
	CHECK_INT(mn_policy_list(dir, a, &ids, &err), MN_OK);
	CHECK(ids[0] && strcmp(ids[0], "mini") == 0 && ids[1] == NULL);
	mn_arena_free(a);

	CHECK_INT(mn_policy_load(dir, "missing", lib, &p, &err), MN_ENOTFOUND);
	CHECK_INT(mn_policy_load(dir, "../policies/mini", lib, &p, &err), MN_ENOTFOUND);
}

/* Load the mini policy with one text replacement; expect an error whose
 * message contains want and whose line is want_line (0 = any). */
static void broken(const char *from, const char *to, const char *want, int want_line)
{
	char src[4200];
	mn_error err;
	snprintf(src, sizeof src, "%s/policies/mini.yaml", fixtures);
	char path[] = "/tmp/mn_policy_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		CHECK(0);
		return;
	}
	close(fd);
	if (write_variant(src, from, to, path)) {
		mn_policy *p = NULL;
		mn_error_clear(&err);
		mn_status rc = mn_policy_load_file(path, lib, &p, &err);
		expect_error(rc, &err, from, path, want, want_line);
		mn_policy_free(p);
	}
	unlink(path);
}

static void test_broken_policies(void)
{
	/* each: text in mini.yaml, its replacement, the error expected and its line (0 = any) */
	static const struct { const char *from, *to, *want; int line; } cases[] = {
		{"coverage: covered", "coverage: covered\ncoverd: yes", "unknown key 'coverd'", 13},
		{"    satisfiedBy: \"A pain-one diagnosis.\"", "    satisfiedBy: \"x\"\n    sattisfied: 1",
		       "unknown key 'sattisfied'", 0},
		{"met: \"%dx.exists()\"", "met: \"%dx.exists(\"", "FHIRPath syntax error", 0},
		/* notApplicable or evidence that reads nothing of the record: `notApplicable: "true"` would make the
		 * criterion met without an entry for every patient; a constant evidence could never show one.
		 * (A constant met or documented is allowed: test_decide's test_alike_expressions loads them.) */
		{"    satisfiedBy: \"A pain-one diagnosis.\"", "    satisfiedBy: \"A pain-one diagnosis.\"\n"
		       "    notApplicable: \"true\"\n    notApplicableText: \"never\"",
		       "criteria.has-dx.notApplicable: the expression \"true\" does not read the record: the criterion would be "
		       "not applicable, and so met, for every patient or for none", 46},
		{"    satisfiedBy: \"A pain-one diagnosis.\"", "    satisfiedBy: \"A pain-one diagnosis.\"\n"
		       "    notApplicable: \"1 + 1 = 2\"\n    notApplicableText: \"never\"", "does not read the record", 46},
		{"evidence: \"%dx\"", "evidence: \"{}\"", "criteria.has-dx.evidence: the expression \"{}\" does not read "
		       "the record: it can name no record entry, so the criterion could never be met", 44},
		{"evidence: \"%dx\"", "evidence: \"('a' | 'b').where($this = 'a')\"", "does not read the record", 44},
		{"cite: [src-a]\n  - id: score-high", "cite: [no-such]\n  - id: score-high", "citation 'no-such' does not resolve", 0},
		{"cite: [src-a]\n  - id: score-high", "cite: [finding-bad]\n  - id: score-high", "not-confirmed and may not be cited", 0},
		{"cite: [src-a]\n  - id: score-high", "cite: [ref-unverified]\n  - id: score-high", "not-confirmed", 0},
		{"      - {system: \"urn:test:dx\", code: \"P1\", display: \"Pain one\"}", "      []", "non-empty list of codes", 0},
		/* service.sharedCodes need service.terms (docs/CODING.md) */
		{"  request: \"ServiceRequest\"", "  sharedCodes: [{system: \"urn:test\", code: \"shared\"}]\n  request: \"ServiceRequest\"",
		       "sharedCodes need terms", 0},
		{"  request: \"ServiceRequest\"", "  sharedCodes: []\n  terms: [\"x\"]\n  request: \"ServiceRequest\"",
		       "non-empty list of codes", 0},
		{"    codes:\n      - {system: \"urn:test:dx\"", "    codes: []\n    x:\n      - {system: \"urn:test:dx\"", "unknown key 'x'", 0},
		{"text: \"{@finding-ok}\"", "text: \"{@finding-bad}\"", "is not-confirmed and may not be quoted", 0},
		{"text: \"{@finding-ok}\"", "text: \"{@finding-ok.nonsense}\"", "unknown finding field", 0},
		{"text: \"{@finding-ok}\"", "text: \"{@finding-ok.comparator}\"", "has no comparator", 0},
		{"text: \"A score of {%item.value}.\"", "text: \"A score of {%item.value.\"", "unterminated '{'", 0},
		{"text: \"A score of {%item.value}.\"", "text: \"A score } of\"", "unmatched '}'", 0},
		{"    - builtin: record\n", "", "'references' and 'record'", 0},
		{"    - builtin: missing", "    - builtin: mising", "unknown builtin section 'mising'", 0},
		{"id: has-dx", "id: Has_DX", "criterion id must be", 0},
		{"  - id: single-error", "  - id: has-dx", "duplicate criterion id", 0},
		{"mednec-policy: 1", "mednec-policy: 2", "unsupported format version", 1},
		{"coverage: covered", "coverage: maybe", "coverage must be", 0},
		{"  - source: src-a", "  - source: src-z", "unknown source 'src-z'", 0},
		{"title: Minimal test policy\n", "", "missing required key 'title'", 0},
		{"    cite: [src-a]\n  - id: score-high", "    cite: []\n  - id: score-high", "must cite at least one source that states it, or be marked as the policy author's with authorRequirement", 40},
		{"version: \"1\"", "version: [1", "YAML", 0},
		{"criteria: [has-dx]", "criteria: [has-dxx]", "no criterion 'has-dxx'", 0},
		{"answers: [evidence-answer]", "answers: [nope]", "no letter statement with id 'nope'", 0},
		{"      match: [\"score\"]\n", "", "needs match phrases or codes", 0},
		{"id: evidence-answer", "id: Evidence_Answer", "statement id must be", 0},
		{"expect: does-not-meet", "expect: rejected", "expect must be a determination name", 0},
		{"score-high: not-met, single", "score-hi: not-met, single", "no criterion 'score-hi'", 0},
		{"asOf: \"2026-02-01\"\n    expect: meets", "asOf: \"2026-02\"\n    expect: meets", "asOf must be a date", 0},
		/* effective: required, start required, dates YYYY[-MM[-DD]], end not before start, known keys */
		{"effective: {start: \"2020\", note: \"a test fixture, in force from 2020 on\"}\n", "",
		       "missing required key 'effective'", 1},
		{"{start: \"2020\", note", "{end: \"2021\", note", "missing required key 'start'", 5},
		{"{start: \"2020\", note", "{start: \"2020-13\", note", "'2020-13' is not a date YYYY, YYYY-MM or YYYY-MM-DD", 5},
		{"{start: \"2020\", note", "{start: \"2020-02-30\", note", "is not a date", 5},
		{"{start: \"2020\", note", "{start: \"2020-01-01T00:00:00Z\", note", "is not a date", 5},
		{"{start: \"2020\", note", "{start: \"2020\", end: \"2019\", note",
		       "the period ends (2019-12-31) before it starts (2020-01-01)", 5},
		{"{start: \"2020\", note", "{start: \"2020\", stop: \"2021\", note", "unknown key 'stop'", 5},
		{"{start: \"2020\", note", "{start: [2020], note", "expected a text value", 5},
		/* an example case must fall in the period: tests asOf 2026-02-01 */
		{"{start: \"2020\", note", "{start: \"2020\", end: \"2026-01\", note",
		 "asOf 2026-02-01 is outside the policy's effective period (2020-01-01 to 2026-01-31)", 0},
		{"{start: \"2020\", note", "{start: \"2026-02-02\", note",
		 "asOf 2026-02-01 is outside the policy's effective period (2026-02-02 to open)", 0},
		/* authorRequirement: empty text is refused */
		{"    cite: [src-a]\n  - id: score-high", "    authorRequirement: \"\"\n    cite: []\n  - id: score-high",
		       "authorRequirement must say why", 46},
		{"    cite: [src-a]\n  - id: score-high", "    authorRequirement: [x]\n    cite: []\n  - id: score-high",
		       "expected a text value", 46},
		/* incomplete (facts.md §9) is never citable: reference, finding, policy source, evidence slot */
		{"cite: [src-a]\n  - id: score-high", "cite: [ref-incomplete]\n  - id: score-high",
		       "citation 'ref-incomplete' is marked incomplete and may not be cited", 46},
		{"cite: [src-a]\n  - id: score-high", "cite: [src-a, finding-incomplete]\n  - id: score-high",
		       "citation 'finding-incomplete' is marked incomplete and may not be cited", 46},
		{"    verification: secondary", "    verification: incomplete", "citation 'src-b' is marked incomplete", 53},
		{"text: \"{@finding-ok}\"", "text: \"{@finding-incomplete}\"", "'finding-incomplete' is incomplete and may not be quoted", 0},
		/* value sets: a name both in the policy and shared; memberOf of an unknown set; policy-level shapes */
		{"  pain-dx:\n", "  test-sud:\n", "value set 'test-sud' is also a shared value set", 23},
		{"memberOf('pain-dx')", "memberOf('pain-dxx')", "no value set 'pain-dxx'", 36},
		{"to: \"63048\", source: src-a}", "to: \"6304\", source: src-a}", "must have the same length", 31},
		{"to: \"63048\", source: src-a}", "to: \"63048\", source: src-z}", "unknown source 'src-z'", 31},
		{"      - {system: \"urn:test:cpt\", code: \"22010\"}", "      - {system: \"urn:test:cpt\", code: \"22010\", x: 1}",
		       "unknown key 'x'", 33},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		broken(cases[i].from, cases[i].to, cases[i].want, cases[i].line);
}

/* Out of memory while loading is MN_ENOMEM, whatever it cut short: with
 * each allocation of a load failing in turn (every step-th) the load gives
 * MN_ENOMEM, its error saying so and no result; once the failure is no
 * longer reached, the load itself. Never a crash, a policy error, or a
 * result with a part left NULL. The project's own evidence, policy and
 * tables: the largest files there are. */
enum load_kind { LOAD_LIBRARY, LOAD_POLICY, LOAD_TABLES };
static const char *const load_names[] = {"evidence library", "policy drg-stimulation-trial", "knowledge tables"};

static mn_status load_and_free(enum load_kind what, const mn_library *l, bool *got, mn_error *err)
{
	static const char *const dirs[] = {"evidence", "policies", "knowledge"};
	char dir[4200];
	mn_status rc;
	snprintf(dir, sizeof dir, "%s/%s", mn_test_source_dir(), dirs[what]);
	if (what == LOAD_LIBRARY) {
		mn_library *x;
		rc = mn_library_load(dir, &x, err);
		*got = x != NULL;
		mn_library_free(x);
	} else if (what == LOAD_POLICY) {
		mn_policy *x;
		rc = mn_policy_load(dir, "drg-stimulation-trial", l, &x, err);
		*got = x != NULL;
		mn_policy_free(x);
	} else {
		mn_tables *x;
		rc = mn_tables_load(dir, &x, err);
		*got = x != NULL;
		mn_tables_free(x);
	}
	return rc;
}

static void oom_sweep(enum load_kind what, const mn_library *l, long step)
{
	long n, bad = 0, first_bad = 0;
	mn_status bad_rc = MN_OK;
	for (n = 1;; n += step) {
		mn_error err;
		mn_error_clear(&err);
		bool got;
		mn_alloc_fail_at(n);
		mn_status rc = load_and_free(what, l, &got, &err);
		bool reached = !mn_alloc_fail_pending();
		mn_alloc_fail_at(0);
		if (!reached) {
			CHECK_MSG(rc == MN_OK, "%s: %s", load_names[what], err.message);
			break;
		}
		if ((rc != MN_ENOMEM || err.code != MN_ENOMEM || got) && !bad++) {
			first_bad = n;
			bad_rc = rc;
		}
	}
	CHECK_MSG(bad == 0, "%s: %ld allocation failure(s) gave another result than out of memory (first n=%ld: %s)",
	          load_names[what], bad, first_bad, mn_status_name(bad_rc));
	CHECK_MSG(n > 100, "%s: only %ld allocations", load_names[what], n);
}

static void test_out_of_memory(void)
{
	char dir[4200];
	mn_error err;
	mn_library *real;
	snprintf(dir, sizeof dir, "%s/evidence", mn_test_source_dir());
	CHECK_INT(mn_library_load(dir, &real, &err), MN_OK);
	if (!real)
		return;
	oom_sweep(LOAD_LIBRARY, NULL, 29);
	oom_sweep(LOAD_POLICY, real, 11);
	oom_sweep(LOAD_TABLES, NULL, 1);
	mn_library_free(real);
}

/* mn_policy_member_of and mn_policy_codes_of find a set by its name's text, whatever the address it is
 * given at: names that share a prefix, an unknown name, the same buffer rewritten with another name (or a
 * prefix of one) after a find, the same name again from another buffer and after the policy is freed and
 * loaded again. psych-evaluation has CPT 90791, not 64635; facet-rfa has 64635, not 90791 (policies/). */
static void test_member_of_names(void)
{
	const char *cpt = "http://www.ama-assn.org/go/cpt";
	char dir[1024];
	mn_error err;
	mn_library *evidence = NULL;
	snprintf(dir, sizeof dir, "%s/evidence", mn_test_source_dir());
	CHECK_INT(mn_library_load(dir, &evidence, &err), MN_OK);
	if (!evidence)
		return;
	snprintf(dir, sizeof dir, "%s/policies", mn_test_source_dir());
	for (int round = 0; round < 2; round++) {
		mn_policy *p = NULL;
		mn_error_clear(&err);
		CHECK_INT(mn_policy_load(dir, "drg-stimulation-trial", evidence, &p, &err), MN_OK);
		if (!p)
			break;
		char name[64], other[64];
		strcpy(name, "psych-evaluation");
		CHECK_INT(mn_policy_member_of(p, name, cpt, "90791"), 1);
		CHECK_INT(mn_policy_member_of(p, name, cpt, "64635"), 0);
		CHECK_INT(mn_policy_member_of(p, name, cpt, "90791"), 1);
		strcpy(name, "facet-rfa");  /* same address, another set */
		CHECK_INT(mn_policy_member_of(p, name, cpt, "90791"), 0);
		CHECK_INT(mn_policy_member_of(p, name, cpt, "64635"), 1);
		strcpy(name, "facet-rf");   /* a prefix of the set found at this address: unknown */
		CHECK_INT(mn_policy_member_of(p, name, cpt, "64635"), -1);
		strcpy(name, "facet-rfa-");
		CHECK_INT(mn_policy_member_of(p, name, cpt, "64635"), -1);
		strcpy(name, "facet-rfa");
		CHECK_INT(mn_policy_member_of(p, name, cpt, "64635"), 1);
		strcpy(name, "psych-evaluatio");
		CHECK_INT(mn_policy_member_of(p, name, cpt, "90791"), -1);
		strcpy(name, "no-such-set");
		CHECK_INT(mn_policy_member_of(p, name, cpt, "90791"), -1);
		mn_fp_codes codes = {0};
		CHECK_INT(mn_policy_codes_of(p, name, &codes), -1);
		strcpy(other, "psych-evaluation");  /* another address, a known name */
		CHECK_INT(mn_policy_member_of(p, other, cpt, "90791"), 1);
		CHECK_INT(mn_policy_codes_of(p, other, &codes), 1);
		bool has = false;
		for (size_t i = 0; i < codes.n; i++)
			has |= strcmp(codes.code(codes.list, i), "90791") == 0;
		CHECK(has);
		CHECK_INT(mn_policy_member_of(p, "", cpt, "90791"), -1);
		mn_policy_free(p);
	}
	mn_library_free(evidence);
}

int main(void)
{
	snprintf(fixtures, sizeof fixtures, "%s/tests/data", mn_test_source_dir());
	test_library();
	if (lib) {
		test_shared_valuesets();
		test_valueset_index();
		test_valueset_same_code();
		test_broken_valuesets();
		test_empty_valueset();
		test_broken_library();
		test_author_requirement();
		test_versions();
		test_effective_days();
		test_valid_policy();
		test_member_of_names();
		test_broken_policies();
		test_out_of_memory();
	}
	mn_library_free(lib);
	TEST_END();
}
