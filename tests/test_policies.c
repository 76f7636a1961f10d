/*
 * test_policies.c: every bundled policy loads and passes its own example
 * cases (the same check as `mednec check`), with every criterion shown met
 * and unmet; and every letter of every example case has sources for all its
 * paragraphs and no unresolved placeholder.
 */
#include <stdio.h>
#include <string.h>

#include "mednec/decide.h"
#include "mednec/render.h"
#include "test.h"

static void check_letters(const mn_policy *p, const char *home)
{
	for (size_t i = 0; i < p->ntests; i++) {
		const mn_policy_test *t = &p->tests[i];
		mn_case *c = NULL;
		mn_determination *d = NULL;
		mn_doc *doc = NULL;
		mn_datetime as_of;
		mn_error err;
		mn_datetime_parse(t->as_of, strlen(t->as_of), MN_DT_DATE, &as_of, NULL);
		if (mn_case_load_any(home, t->case_path, &c, &err) == MN_OK && mn_determine(p, c, &as_of, &d, &err) == MN_OK &&
		    mn_letter_build(d, &doc, &err) == MN_OK) {
			for (size_t k = 0; k < doc->nblocks; k++) {
				const mn_block *b = &doc->blocks[k];
				if ((b->kind == MN_BLOCK_PARAGRAPH && !b->lead) || b->kind == MN_BLOCK_SUBITEM)
					CHECK_MSG(b->ncites + b->nrecords > 0, "%s: unsourced text: %s", t->case_path, b->text);
				CHECK_MSG(!b->text || !strstr(b->text, "[@"), "%s: placeholder: %s", t->case_path, b->text);
			}
			bool missing = false;
			for (size_t k = 0; k < doc->nblocks; k++)
				missing |= doc->blocks[k].kind == MN_BLOCK_HEADING && strcmp(doc->blocks[k].text, "What is missing") == 0;
			CHECK_MSG(missing == (d->outcome != MN_MEETS_CRITERIA), "%s: 'What is missing' section %s",
			          t->case_path, missing ? "in a letter that meets criteria" : "absent");
		} else {
			CHECK_MSG(0, "%s: %s", t->case_path, err.message);
		}
		mn_doc_free(doc);
		mn_determination_free(d);
		mn_case_free(c);
	}
}

int main(void)
{
	const char *home = mn_test_source_dir();
	char dir[4200];
	mn_error err;
	mn_library *lib;
	snprintf(dir, sizeof dir, "%s/evidence", home);
	if (mn_library_load(dir, &lib, &err) != MN_OK) {
		CHECK_MSG(0, "evidence: %s", err.message);
		TEST_END();
	}
	snprintf(dir, sizeof dir, "%s/policies", home);
	mn_arena *a = mn_arena_new();
	const char **ids;
	CHECK_INT(mn_policy_list(dir, a, &ids, &err), MN_OK);
	size_t n = 0;
	for (size_t i = 0; ids && ids[i]; i++, n++) {
		mn_policy *p;
		if (mn_policy_load(dir, ids[i], lib, &p, &err) != MN_OK) {
			char msg[2048];
			mn_error_format(&err, msg, sizeof msg);
			CHECK_MSG(0, "%s", msg);
			continue;
		}
		mn_buf report = MN_BUF_INIT;
		size_t failures = 0;
		CHECK_INT(mn_policy_check(p, home, &report, &failures, &err), MN_OK);
		CHECK_MSG(failures == 0, "%s", mn_buf_cstr(&report));
		CHECK_MSG(p->ntests >= 2, "%s has %zu example cases", p->id, p->ntests);
		printf("%s: %zu example cases, %zu problems\n", p->id, p->ntests, failures);
		mn_buf_free(&report);
		check_letters(p, home);
		mn_policy_free(p);
	}
	CHECK(n >= 1);
	mn_arena_free(a);
	mn_library_free(lib);
	TEST_END();
}
