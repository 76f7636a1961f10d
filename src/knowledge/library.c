/*
 * library.c: the evidence library: CSL-JSON references
 * (evidence/references.json) and structured findings
 * (evidence/findings.yaml), each with a verification status.
 *
 * References are formatted once at load (cite.c: one style, AMA with
 * NLM's PMID), so renderers only print strings; a citable reference that is
 * not a full citation is a load error naming the file, line and column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/knowledge.h"
#include "knowledge_int.h"
#include "yaml_int.h"

const char *mn_verification_name(mn_verification v)
{
	switch (v) {
	case MN_VERIFIED_CONFIRMED: return "confirmed";
	case MN_VERIFIED_SECONDARY: return "secondary";
	case MN_VERIFIED_NOT_CONFIRMED: return "not-confirmed";
	case MN_VERIFIED_INCOMPLETE: return "incomplete";
	}
	return "unknown";
}

bool mn_verification_citable(mn_verification v)
{
	return v == MN_VERIFIED_CONFIRMED || v == MN_VERIFIED_SECONDARY;
}

int mn_parse_verification(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "confirmed") == 0) return MN_VERIFIED_CONFIRMED;
	if (strcmp(s, "secondary") == 0) return MN_VERIFIED_SECONDARY;
	if (strcmp(s, "not-confirmed") == 0) return MN_VERIFIED_NOT_CONFIRMED;
	if (strcmp(s, "incomplete") == 0) return MN_VERIFIED_INCOMPLETE;
	return -1;
}

static const char *jstr(const mn_json *o, const char *key)
{
	return mn_json_get_string(o, key);
}

static mn_status load_references(mn_library *lib, const char *path, mn_error *err)
{
	char *text;
	size_t len;
	mn_status rc = mn_read_file(path, &text, &len, err);
	if (rc != MN_OK)
		return rc;
	mn_json *root;
	rc = mn_json_parse(lib->arena, path, text, len, &root, err);
	if (rc == MN_OK && root->type != MN_JSON_ARRAY) {
		mn_error_locate(err, path, 1, 1);
		rc = mn_error_set(err, MN_EPOLICY, "CSL-JSON must be an array of items");
	}
	if (rc == MN_OK) {
		lib->nreferences = root->n;
		lib->references = mn_arena_calloc(lib->arena, root->n ? root->n : 1, sizeof(mn_reference));
		if (!lib->references)
			rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		for (uint32_t i = 0; rc == MN_OK && i < root->n; i++) {
			const mn_json *it = &root->u.items[i];
			mn_reference *r = &lib->references[i];
			const mn_json *custom = mn_json_get(it, "custom");
			int line, col;
			mn_json_position(text, len, it->offset, &line, &col);
			r->id = jstr(it, "id");
			int v = mn_parse_verification(jstr(custom, "verification"));
			if (!r->id || v < 0) {
				mn_error_locate(err, path, line, col);
				rc = mn_error_set(err, MN_EPOLICY, "reference %u needs an \"id\" and "
				                  "\"custom\": {\"verification\": confirmed|secondary|incomplete|not-confirmed}", i);
				break;
			}
			for (uint32_t j = 0; j < i; j++) {
				if (strcmp(lib->references[j].id, r->id) == 0) {
					mn_error_locate(err, path, line, col);
					rc = mn_error_set(err, MN_EPOLICY, "duplicate reference id '%s'", r->id);
				}
			}
			r->verification = (mn_verification)v;
			r->checked = jstr(custom, "checked");
			r->doi = jstr(it, "DOI");
			r->url = jstr(it, "URL");
			r->pmid = jstr(it, "PMID");
			if (rc == MN_OK && mn_verification_citable(r->verification)) {
				mn_buf miss = MN_BUF_INIT;
				if (k_reference_missing(it, &miss)) {
					mn_error_locate(err, path, line, col);
					rc = mn_error_set(err, MN_EPOLICY, "reference '%s' is marked %s but is not a full "
					                  "citation: missing %s (docs/POLICY-FORMAT.md, Citations); complete it "
					                  "or mark it incomplete", r->id, mn_verification_name(r->verification),
					                  miss.failed ? "?" : mn_buf_cstr(&miss));
				}
				mn_buf_free(&miss);
			}
			r->citation = k_format_reference(lib->arena, it);
			if (!r->citation && rc == MN_OK)
				rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		}
	}
	free(text);
	return rc;
}

/* appliesTo: {conditions: [{system, code, display}], services: [kind, ...]} */
static mn_status load_applies_to(ydoc *y, const yaml_node_t *map, mn_finding *f, mn_arena *a)
{
	static const char *const keys[] = {"conditions", "services", NULL};
	static const char *const ckeys[] = {"system", "code", "display", NULL};
	if (!map)
		return MN_OK;
	mn_status rc = y_check_keys(y, map, f->id, keys);
	if (rc != MN_OK)
		return rc;
	yaml_node_t *conds = y_get(y, map, "conditions"), *svcs = y_get(y, map, "services");
	if ((conds && conds->type != YAML_SEQUENCE_NODE) || (svcs && svcs->type != YAML_SEQUENCE_NODE))
		return y_fail(y, map, f->id, "appliesTo.conditions and appliesTo.services must be lists");
	f->nconditions = y_seq_len(conds);
	f->conditions = mn_arena_calloc(a, f->nconditions ? f->nconditions : 1, sizeof *f->conditions);
	if (!f->conditions)
		return mn_error_set(y->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < f->nconditions; i++) {
		yaml_node_t *c = y_seq_item(y, conds, i);
		bool bad = false;
		if ((rc = y_check_keys(y, c, f->id, ckeys)) != MN_OK)
			return rc;
		f->conditions[i].system = y_req_str(y, c, "system");
		f->conditions[i].code = y_req_str(y, c, "code");
		f->conditions[i].display = y_opt_str(y, c, "display", &bad);
		if (!f->conditions[i].system || !f->conditions[i].code || bad)
			return MN_EPOLICY;
	}
	f->nservices = y_seq_len(svcs);
	f->services = mn_arena_calloc(a, f->nservices ? f->nservices : 1, sizeof *f->services);
	if (!f->services)
		return mn_error_set(y->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < f->nservices; i++)
		if (!(f->services[i] = y_str(y, y_seq_item(y, svcs, i), f->id)))
			return MN_EPOLICY;
	return MN_OK;
}

static mn_status load_findings(mn_library *lib, const char *path, mn_error *err)
{
	ydoc y;
	mn_status rc = y_load(&y, path, lib->arena, err);
	if (rc != MN_OK) {
		y_free(&y);
		return rc;
	}
	static const char *const keys[] = {"id", "reference", "verification", "population", "intervention",
	                                   "comparator", "outcome", "followUp", "result", "statement",
	                                   "checked", "note", "appliesTo", NULL};
	yaml_node_t *root = y_root(&y);
	if (root->type != YAML_SEQUENCE_NODE) {
		rc = y_fail(&y, root, "", "findings must be a list");
		goto out;
	}
	lib->nfindings = y_seq_len(root);
	lib->findings = mn_arena_calloc(lib->arena, lib->nfindings ? lib->nfindings : 1, sizeof(mn_finding));
	if (!lib->findings) {
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < lib->nfindings; i++) {
		yaml_node_t *n = y_seq_item(&y, root, i);
		mn_finding *f = &lib->findings[i];
		bool bad = false;
		if ((rc = y_check_keys(&y, n, "finding", keys)) != MN_OK)
			goto out;
		f->id = y_req_str(&y, n, "id");
		const char *ref = y_req_str(&y, n, "reference");
		const char *ver = y_req_str(&y, n, "verification");
		f->statement = y_req_str(&y, n, "statement");
		if (!f->id || !ref || !ver || !f->statement) {
			rc = MN_EPOLICY;
			goto out;
		}
		f->population = y_opt_str(&y, n, "population", &bad);
		f->intervention = y_opt_str(&y, n, "intervention", &bad);
		f->comparator = y_opt_str(&y, n, "comparator", &bad);
		f->outcome = y_opt_str(&y, n, "outcome", &bad);
		f->follow_up = y_opt_str(&y, n, "followUp", &bad);
		f->result = y_opt_str(&y, n, "result", &bad);
		f->checked = y_opt_str(&y, n, "checked", &bad);
		if (bad) {
			rc = MN_EPOLICY;
			goto out;
		}
		int v = mn_parse_verification(ver);
		if (v < 0) {
			rc = y_fail(&y, y_get(&y, n, "verification"), f->id, "verification must be confirmed, secondary, incomplete or not-confirmed");
			goto out;
		}
		if ((rc = load_applies_to(&y, y_get(&y, n, "appliesTo"), f, lib->arena)) != MN_OK)
			goto out;
		f->verification = (mn_verification)v;
		f->reference = mn_library_reference(lib, ref);
		if (!f->reference) {
			rc = y_fail(&y, y_get(&y, n, "reference"), f->id, "unknown reference '%s'", ref);
			goto out;
		}
		if (mn_verification_citable(f->verification) && !mn_verification_citable(f->reference->verification)) {
			rc = y_fail(&y, n, f->id, "a citable finding needs a citable reference ('%s' is %s); mark the "
			            "finding %s too", ref, mn_verification_name(f->reference->verification),
			            mn_verification_name(f->reference->verification));
			goto out;
		}
		if (f->verification == MN_VERIFIED_CONFIRMED && f->reference->verification != MN_VERIFIED_CONFIRMED) {
			rc = y_fail(&y, n, f->id, "a confirmed finding needs a confirmed reference ('%s' is %s)", ref,
			            mn_verification_name(f->reference->verification));
			goto out;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(lib->findings[j].id, f->id) == 0) {
				rc = y_fail(&y, n, f->id, "duplicate finding id");
				goto out;
			}
		}
	}
out:
	y_free(&y);
	return rc;
}

mn_status mn_library_load(const char *dir, mn_library **out, mn_error *err)
{
	*out = NULL;
	mn_library *lib = calloc(1, sizeof *lib);
	if (!lib || !(lib->arena = mn_arena_new())) {
		free(lib);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/references.json", dir);
	mn_status rc = load_references(lib, path, err);
	if (rc == MN_OK) {
		snprintf(path, sizeof path, "%s/findings.yaml", dir);
		rc = load_findings(lib, path, err);
	}
	if (rc == MN_OK) {
		/* home/evidence -> home/knowledge/valuesets */
		size_t n = strlen(dir);
		while (n > 1 && dir[n - 1] == '/')
			n--;
		if (n >= 8 && strncmp(dir + n - 8, "evidence", 8) == 0 && (n == 8 || dir[n - 9] == '/'))
			snprintf(path, sizeof path, "%.*sknowledge/valuesets", (int)(n - 8), dir);
		else
			snprintf(path, sizeof path, "%.*s/../knowledge/valuesets", (int)n, dir);
		rc = mn_library_load_valuesets(lib, path, err);
	}
	/* whatever an out-of-memory on the way looked like, it is one */
	rc = y_arena_outcome(lib->arena, dir, rc, err);
	if (rc != MN_OK) {
		mn_library_free(lib);
		return rc;
	}
	*out = lib;
	return MN_OK;
}

void mn_library_free(mn_library *lib)
{
	if (!lib)
		return;
	mn_arena_free(lib->arena);
	free(lib);
}

const mn_reference *mn_library_reference(const mn_library *lib, const char *id)
{
	for (size_t i = 0; lib && i < lib->nreferences; i++)
		if (strcmp(lib->references[i].id, id) == 0)
			return &lib->references[i];
	return NULL;
}

const mn_finding *mn_library_finding(const mn_library *lib, const char *id)
{
	for (size_t i = 0; lib && i < lib->nfindings; i++)
		if (strcmp(lib->findings[i].id, id) == 0)
			return &lib->findings[i];
	return NULL;
}
