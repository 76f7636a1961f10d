/*
 * cases.c: example cases for policy tests: a FHIR file, or a variant of one
 * (entries removed, replaced or added), so that one realistic record can
 * yield a case per criterion without copying it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/knowledge.h"

static bool same_ref(const mn_json *res, const mn_json *ref)
{
	const char *type = mn_json_get_string(res, "resourceType"), *id = mn_json_get_string(res, "id");
	if (!type || !id || !ref || ref->type != MN_JSON_STRING)
		return false;
	size_t tl = strlen(type);
	return strncmp(ref->u.s, type, tl) == 0 && ref->u.s[tl] == '/' && strcmp(ref->u.s + tl + 1, id) == 0;
}

static bool same_resource(const mn_json *a, const mn_json *b)
{
	const char *ta = mn_json_get_string(a, "resourceType"), *ia = mn_json_get_string(a, "id");
	const char *tb = mn_json_get_string(b, "resourceType"), *ib = mn_json_get_string(b, "id");
	return ta && ia && tb && ib && strcmp(ta, tb) == 0 && strcmp(ia, ib) == 0;
}

static mn_status variant_error(mn_error *err, const char *path, const char *what, const mn_json *v)
{
	mn_error_locate(err, path, 0, 0);
	if (v && v->type == MN_JSON_STRING)
		return mn_error_set(err, MN_EFHIR, "variant: %s '%s'", what, v->u.s);
	return mn_error_set(err, MN_EFHIR, "variant: %s", what);
}

/* Write the variant's bundle: base entries minus removals, with
 * replacements, plus additions. */
static mn_status build(const char *path, const mn_json *spec, const mn_json *base, mn_buf *out, mn_error *err)
{
	const mn_json *remove = mn_json_get(spec, "remove"), *replace = mn_json_get(spec, "replace");
	const mn_json *add = mn_json_get(spec, "add"), *entries = mn_json_get(base, "entry");
	const mn_json *lists[3] = {remove, replace, add};
	for (int k = 0; k < 3; k++)
		if (lists[k] && lists[k]->type != MN_JSON_ARRAY)
			return variant_error(err, path, "remove, replace and add must be arrays", NULL);
	if (!mn_json_is_string(mn_json_get(base, "resourceType"), "Bundle") || !entries || entries->type != MN_JSON_ARRAY)
		return variant_error(err, path, "the base must be a Bundle with entries", NULL);
	mn_buf_puts(out, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
	bool first = true;
	for (uint32_t i = 0; i < entries->n; i++) {
		const mn_json *e = &entries->u.items[i];
		const mn_json *res = mn_json_get(e, "resource");
		bool drop = false;
		for (uint32_t k = 0; remove && k < remove->n; k++)
			drop |= same_ref(res, &remove->u.items[k]);
		if (drop)
			continue;
		for (uint32_t k = 0; replace && k < replace->n; k++)
			if (same_resource(res, &replace->u.items[k]))
				res = &replace->u.items[k];
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
	/* every removal and replacement must match an entry: a typo is not silently a no-op */
	for (uint32_t k = 0; remove && k < remove->n; k++) {
		bool hit = false;
		for (uint32_t i = 0; i < entries->n && !hit; i++)
			hit = same_ref(mn_json_get(&entries->u.items[i], "resource"), &remove->u.items[k]);
		if (!hit)
			return variant_error(err, path, "remove matches no entry of the base:", &remove->u.items[k]);
	}
	for (uint32_t k = 0; replace && k < replace->n; k++) {
		bool hit = false;
		for (uint32_t i = 0; i < entries->n && !hit; i++)
			hit = same_resource(mn_json_get(&entries->u.items[i], "resource"), &replace->u.items[k]);
		if (!hit)
			return variant_error(err, path, "a replacement matches no entry of the base", NULL);
	}
	return out->failed ? mn_error_set(err, MN_ENOMEM, "out of memory") : MN_OK;
}

static char *join(const char *home, const char *path)
{
	size_t n = strlen(home) + strlen(path) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", home, path);
	return p;
}

mn_status mn_case_load_any(const char *home, const char *path, mn_case **out, mn_error *err)
{
	*out = NULL;
	char *full = join(home, path), *text = NULL, *btext = NULL, *bpath = NULL;
	size_t len, blen;
	mn_arena *a = mn_arena_new();
	mn_json *spec, *base;
	mn_buf b = MN_BUF_INIT;
	mn_status rc;
	if (!full || !a) {
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = mn_read_file(full, &text, &len, err)) != MN_OK ||
	    (rc = mn_json_parse(a, full, text, len, &spec, err)) != MN_OK)
		goto done;
	const char *base_name = mn_json_get_string(spec, "base");
	if (!base_name || mn_json_get(spec, "resourceType")) {
		rc = mn_case_load_ex(path, text, len, MN_CASE_ALLOW_UNRESOLVED, out, err);
		goto done;
	}
	if (!(bpath = join(home, base_name))) {
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = mn_read_file(bpath, &btext, &blen, err)) != MN_OK ||
	    (rc = mn_json_parse(a, bpath, btext, blen, &base, err)) != MN_OK ||
	    (rc = build(full, spec, base, &b, err)) != MN_OK)
		goto done;
	rc = mn_case_load_ex(path, b.data, b.len, MN_CASE_ALLOW_UNRESOLVED, out, err);
done:
	mn_buf_free(&b);
	mn_arena_free(a);
	free(text);
	free(btext);
	free(bpath);
	free(full);
	return rc;
}
