/*
 * test_knowledge.c: the evidence library and the policy loader: a valid
 * policy loads with everything compiled; each kind of mistake in a policy
 * file is an MN_EPOLICY error that names the file, line and key.
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
	CHECK_INT(lib->nreferences, 2);
	const mn_reference *r = mn_library_reference(lib, "ref-confirmed");
	CHECK(r != NULL);
	if (r)
		CHECK_STR(r->citation, "Alpha AB, Beta C. A confirmed study. Journal of Tests. 2020;10(2):1-9. doi:10.0000/test.1");
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
	char src[4200], *text;
	size_t len;
	mn_error err;
	snprintf(src, sizeof src, "%s/policies/mini.yaml", fixtures);
	if (mn_read_file(src, &text, &len, &err) != MN_OK) {
		CHECK(0);
		return;
	}
	char *at = strstr(text, from);
	CHECK_MSG(at != NULL, "fixture lacks '%s'", from);
	if (!at) {
		free(text);
		return;
	}
	char path[] = "/tmp/mn_policy_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fwrite(text, 1, (size_t)(at - text), f);
	fputs(to, f);
	fputs(at + strlen(from), f);
	fclose(f);
	free(text);
	mn_policy *p = NULL;
	mn_error_clear(&err);
	mn_status rc = mn_policy_load_file(path, lib, &p, &err);
	char msg[2048];
	mn_error_format(&err, msg, sizeof msg);
	CHECK_MSG(rc == MN_EPOLICY, "'%s' -> '%s': got %s (%s)", from, to, mn_status_name(rc), msg);
	CHECK_MSG(strstr(msg, want) != NULL, "'%s' -> '%s': message '%s' lacks '%s'", from, to, msg, want);
	CHECK_MSG(strstr(msg, path) != NULL, "message lacks the file name: %s", msg);
	if (want_line)
		CHECK_MSG(err.line == want_line, "'%s': line %d, want %d (%s)", want, err.line, want_line, msg);
	mn_policy_free(p);
	unlink(path);
}

static void test_broken_policies(void)
{
	broken("coverage: covered", "coverage: covered\ncoverd: yes", "unknown key 'coverd'", 12);
	broken("    satisfiedBy: \"A pain-one diagnosis.\"", "    satisfiedBy: \"x\"\n    sattisfied: 1",
	       "unknown key 'sattisfied'", 0);
	broken("met: \"%dx.exists()\"", "met: \"%dx.exists(\"", "FHIRPath syntax error", 0);
	broken("cite: [src-a]\n  - id: score-high", "cite: [no-such]\n  - id: score-high", "citation 'no-such' does not resolve", 0);
	broken("cite: [src-a]\n  - id: score-high", "cite: [finding-bad]\n  - id: score-high", "not-confirmed and may not be cited", 0);
	broken("cite: [src-a]\n  - id: score-high", "cite: [ref-unverified]\n  - id: score-high", "not-confirmed", 0);
	broken("      - {system: \"urn:test:dx\", code: \"P1\", display: \"Pain one\"}", "      []", "non-empty list of codes", 0);
	broken("    codes:\n      - {system: \"urn:test:dx\"", "    codes: []\n    x:\n      - {system: \"urn:test:dx\"", "unknown key 'x'", 0);
	broken("text: \"{@finding-ok}\"", "text: \"{@finding-bad}\"", "not confirmed and may not be quoted", 0);
	broken("text: \"{@finding-ok}\"", "text: \"{@finding-ok.nonsense}\"", "unknown finding field", 0);
	broken("text: \"{@finding-ok}\"", "text: \"{@finding-ok.comparator}\"", "has no comparator", 0);
	broken("text: \"A score of {%item.value}.\"", "text: \"A score of {%item.value.\"", "unterminated '{'", 0);
	broken("text: \"A score of {%item.value}.\"", "text: \"A score } of\"", "unmatched '}'", 0);
	broken("    - builtin: record\n", "", "'references' and 'record'", 0);
	broken("    - builtin: missing", "    - builtin: mising", "unknown builtin section 'mising'", 0);
	broken("id: has-dx", "id: Has_DX", "criterion id must be", 0);
	broken("  - id: single-error", "  - id: has-dx", "duplicate criterion id", 0);
	broken("mednec-policy: 1", "mednec-policy: 2", "unsupported format version", 1);
	broken("coverage: covered", "coverage: maybe", "coverage must be", 0);
	broken("  - source: src-a", "  - source: src-z", "unknown source 'src-z'", 0);
	broken("title: Minimal test policy\n", "", "missing required key 'title'", 0);
	broken("    cite: [src-a]\n  - id: score-high", "    cite: []\n  - id: score-high", "at least one source", 0);
	broken("version: \"1\"", "version: [1", "YAML", 0);
	broken("criteria: [has-dx]", "criteria: [has-dxx]", "no criterion 'has-dxx'", 0);
	broken("answers: [evidence-answer]", "answers: [nope]", "no letter statement with id 'nope'", 0);
	broken("      match: [\"score\"]\n", "", "needs match phrases or codes", 0);
	broken("id: evidence-answer", "id: Evidence_Answer", "statement id must be", 0);
	broken("expect: does-not-meet", "expect: rejected", "expect must be a determination name", 0);
	broken("score-high: not-met, single", "score-hi: not-met, single", "no criterion 'score-hi'", 0);
	broken("asOf: \"2026-02-01\"\n    expect: meets", "asOf: \"2026-02\"\n    expect: meets", "asOf must be a date", 0);
}

int main(void)
{
	snprintf(fixtures, sizeof fixtures, "%s/tests/data", mn_test_source_dir());
	test_library();
	if (lib) {
		test_valid_policy();
		test_broken_policies();
	}
	mn_library_free(lib);
	TEST_END();
}
