/*
 * test_variants.c: for every file in tests/variants/, build a variant of an
 * example case (drop, replace or add entries), decide it under its policy
 * and check the determination and the status of every criterion, so that a
 * variant fails for the right reason. Also checks the unmodified example
 * against tests/variants/expected-base.json. Each variant bundle is written
 * to the build folder (variants-out/) for inspection and for the CLI tests.
 *
 * Variant format (one JSON object per file):
 *   {"base": "examples/x.json", "description": "...", "policy": "id", "asOf": "YYYY-MM-DD",
 *    "remove": ["Type/id", ...], "replace": [resource, ...], "add": [resource, ...],
 *    "expect": {"determination": "...", "criteria": {"id": "met|not-met|not-documented", ...}}}
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mednec/decide.h"
#include "mednec/render.h"
#include "test.h"

static mn_library *lib;

static bool same_ref(const mn_json *res, const char *ref)
{
	const char *type = mn_json_get_string(res, "resourceType"), *id = mn_json_get_string(res, "id");
	if (!type || !id)
		return false;
	size_t tl = strlen(type);
	return strncmp(ref, type, tl) == 0 && ref[tl] == '/' && strcmp(ref + tl + 1, id) == 0;
}

static const mn_json *find_same(const mn_json *list, const mn_json *res)
{
	const char *type = mn_json_get_string(res, "resourceType"), *id = mn_json_get_string(res, "id");
	for (uint32_t i = 0; list && list->type == MN_JSON_ARRAY && i < list->n; i++) {
		const mn_json *r = &list->u.items[i];
		const char *t2 = mn_json_get_string(r, "resourceType"), *i2 = mn_json_get_string(r, "id");
		if (type && id && t2 && i2 && strcmp(type, t2) == 0 && strcmp(id, i2) == 0)
			return r;
	}
	return NULL;
}

/* The variant's bundle as JSON text in out; 0 on success. */
static int build_variant(const mn_json *spec, const mn_json *base, mn_buf *out, const char *name)
{
	const mn_json *remove = mn_json_get(spec, "remove"), *replace = mn_json_get(spec, "replace");
	const mn_json *add = mn_json_get(spec, "add"), *entries = mn_json_get(base, "entry");
	int used_remove = 0, used_replace = 0;
	mn_buf_puts(out, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
	bool first = true;
	for (uint32_t i = 0; entries && i < entries->n; i++) {
		const mn_json *e = &entries->u.items[i];
		const mn_json *res = mn_json_get(e, "resource");
		bool drop = false;
		for (uint32_t k = 0; remove && k < remove->n; k++)
			if (remove->u.items[k].type == MN_JSON_STRING && same_ref(res, remove->u.items[k].u.s))
				drop = true, used_remove++;
		if (drop)
			continue;
		const mn_json *rep = find_same(replace, res);
		if (rep) {
			used_replace++;
			res = rep;
		}
		mn_buf_puts(out, first ? "{" : ",{");
		first = false;
		const char *full = mn_json_get_string(e, "fullUrl");
		if (full) {
			mn_buf_puts(out, "\"fullUrl\":");
			mn_buf_put_json_string(out, full, strlen(full));
			mn_buf_putc(out, ',');
		}
		mn_buf_puts(out, "\"resource\":");
		mn_json_write(out, res);
		mn_buf_putc(out, '}');
	}
	for (uint32_t k = 0; add && k < add->n; k++) {
		mn_buf_puts(out, first ? "{\"resource\":" : ",{\"resource\":");
		first = false;
		mn_json_write(out, &add->u.items[k]);
		mn_buf_putc(out, '}');
	}
	mn_buf_puts(out, "]}\n");
	CHECK_MSG(!remove || used_remove == (int)remove->n, "%s: %d of %u removals matched an entry", name,
	          used_remove, remove ? remove->n : 0);
	CHECK_MSG(!replace || used_replace == (int)replace->n, "%s: %d of %u replacements matched an entry", name,
	          used_replace, replace ? replace->n : 0);
	return out->failed ? -1 : 0;
}

static void check_determination(const char *name, const char *text, size_t len, const char *policy_id,
                                const char *as_of, const mn_json *expect)
{
	mn_error err;
	mn_error_clear(&err);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/policies", mn_test_source_dir());
	mn_policy *pol = NULL;
	mn_case *kase = NULL;
	mn_determination *det = NULL;
	if (mn_policy_load(dir, policy_id, lib, &pol, &err) != MN_OK) {
		CHECK_MSG(0, "%s: policy %s: %s", name, policy_id, err.message);
		return;
	}
	mn_datetime d;
	CHECK_INT(mn_datetime_parse(as_of, strlen(as_of), MN_DT_DATE, &d, NULL), MN_OK);
	if (mn_case_load(name, text, len, &kase, &err) != MN_OK) {
		char msg[2048];
		mn_error_format(&err, msg, sizeof msg);
		CHECK_MSG(0, "%s: case does not load: %s", name, msg);
		goto out;
	}
	if (mn_determine(pol, kase, &d, &det, &err) != MN_OK) {
		CHECK_MSG(0, "%s: determine: %s", name, err.message);
		goto out;
	}
	const char *want = mn_json_get_string(expect, "determination");
	CHECK_MSG(want && strcmp(want, mn_outcome_name(det->outcome)) == 0, "%s: determination %s, want %s", name,
	          mn_outcome_name(det->outcome), want ? want : "(missing)");
	CHECK_MSG(strcmp(mn_outcome_action(det->outcome), det->outcome == MN_MEETS_CRITERIA ? "approve" : "pend") == 0,
	          "%s: action", name);
	const mn_json *crit = mn_json_get(expect, "criteria");
	CHECK_MSG(crit && crit->n == det->nresults, "%s: expect lists %u criteria, policy has %zu", name,
	          crit ? crit->n : 0, det->nresults);
	for (size_t i = 0; i < det->nresults; i++) {
		const mn_criterion_result *r = &det->results[i];
		const char *w = mn_json_get_string(crit, r->criterion->id);
		CHECK_MSG(w && strcmp(w, mn_crit_status_name(r->status)) == 0, "%s: criterion %s is %s, want %s%s%s", name,
		          r->criterion->id, mn_crit_status_name(r->status), w ? w : "(not listed)",
		          r->error ? "; error: " : "", r->error ? r->error : "");
		if (r->status == MN_CRIT_MET)
			CHECK_MSG(r->nentries > 0, "%s: %s met without record entries", name, r->criterion->id);
	}
	/* the letter builds, and every statement in it has a source */
	mn_doc *doc = NULL;
	CHECK_INT(mn_letter_build(det, &doc, &err), MN_OK);
	if (doc) {
		for (size_t i = 0; i < doc->nblocks; i++) {
			const mn_block *b = &doc->blocks[i];
			if (b->kind == MN_BLOCK_PARAGRAPH && !b->lead)
				CHECK_MSG(b->ncites + b->nrecords > 0, "%s: unsourced paragraph: %s", name, b->text);
			CHECK_MSG(!b->text || !strstr(b->text, "[@"), "%s: placeholder in letter: %s", name, b->text);
		}
		mn_doc_free(doc);
	}
out:
	mn_determination_free(det);
	mn_case_free(kase);
	mn_policy_free(pol);
}

static void run_variant(const char *dir, const char *file)
{
	char path[8400], *text;
	size_t len;
	mn_error err;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (mn_read_file(path, &text, &len, &err) != MN_OK) {
		CHECK_MSG(0, "cannot read %s", path);
		return;
	}
	mn_arena *a = mn_arena_new();
	mn_json *spec;
	if (mn_json_parse(a, path, text, len, &spec, &err) != MN_OK) {
		CHECK_MSG(0, "%s: %s", path, err.message);
		goto out;
	}
	const char *base = mn_json_get_string(spec, "base"), *policy = mn_json_get_string(spec, "policy");
	const char *as_of = mn_json_get_string(spec, "asOf");
	const mn_json *expect = mn_json_get(spec, "expect");
	if (!base || !policy || !as_of || !expect) {
		CHECK_MSG(0, "%s: needs base, policy, asOf and expect", file);
		goto out;
	}
	char bpath[8400], *btext;
	size_t blen;
	snprintf(bpath, sizeof bpath, "%s/%s", mn_test_source_dir(), base);
	if (mn_read_file(bpath, &btext, &blen, &err) != MN_OK) {
		CHECK_MSG(0, "%s: cannot read base %s", file, bpath);
		goto out;
	}
	mn_json *bjson;
	if (mn_json_parse(a, bpath, btext, blen, &bjson, &err) == MN_OK) {
		mn_buf out = MN_BUF_INIT;
		if (build_variant(spec, bjson, &out, file) == 0) {
			mkdir("variants-out", 0777);
			char opath[8400];
			snprintf(opath, sizeof opath, "variants-out/%s", file);
			FILE *f = fopen(opath, "wb");
			if (f) {
				fwrite(out.data, 1, out.len, f);
				fclose(f);
			}
			check_determination(file, out.data, out.len, policy, as_of, expect);
		}
		mn_buf_free(&out);
	} else {
		CHECK_MSG(0, "%s: base: %s", file, err.message);
	}
	free(btext);
out:
	mn_arena_free(a);
	free(text);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char dir[4096], ev[4096];
	mn_error err;
	snprintf(ev, sizeof ev, "%s/evidence", mn_test_source_dir());
	if (mn_library_load(ev, &lib, &err) != MN_OK) {
		char msg[2048];
		mn_error_format(&err, msg, sizeof msg);
		CHECK_MSG(0, "evidence library: %s", msg);
		TEST_END();
	}
	snprintf(dir, sizeof dir, "%s/tests/variants", mn_test_source_dir());
	DIR *d = opendir(dir);
	CHECK_MSG(d != NULL, "no %s", dir);
	char *names[512];
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL && n < 512) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
			names[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp_names);
	for (int i = 0; i < n; i++) {
		run_variant(dir, names[i]);
		free(names[i]);
	}
	printf("%d variant files\n", n);
	CHECK(n >= 8);
	mn_library_free(lib);
	TEST_END();
}
