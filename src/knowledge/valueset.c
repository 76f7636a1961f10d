/*
 * valueset.c: value sets, shared (knowledge/valuesets/NAME.yaml) and
 * policy-level (a policy's valueSets), and the membership test memberOf()
 * runs.
 *
 * An entry is a code, a prefix or a same-length lexical range of one system;
 * `exclude` entries have the same shapes and win over the codes. Membership
 * is a binary search over the set's exact codes (sorted at load) and a scan
 * of its few prefix and range entries.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knowledge_int.h"

const mn_source *k_find_source(const mn_source *sources, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(sources[i].id, id) == 0)
			return &sources[i];
	return NULL;
}

mn_status k_load_sources(ydoc *y, const yaml_node_t *seq, const char *key, bool full_citations, size_t *n,
                         mn_source **out)
{
	static const char *const keys[] = {"id", "title", "url", "verification", "checked", "note", "publisher",
	                                   "documentTitle", "number", "effective", "reviewed", "accessed", "via",
	                                   "undated", "unnumbered", NULL};
	char where[160];
	if (!seq || seq->type != YAML_SEQUENCE_NODE || !y_seq_len(seq))
		return y_fail(y, seq, key, "expected a non-empty list of sources");
	*n = y_seq_len(seq);
	*out = mn_arena_calloc(y->arena, *n, sizeof **out);
	if (!*out)
		return mn_error_set(y->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		yaml_node_t *node = y_seq_item(y, seq, i);
		mn_source *s = &(*out)[i];
		bool bad = false;
		snprintf(where, sizeof where, "%s[%zu]", key, i);
		mn_status rc = y_check_keys(y, node, where, keys);
		if (rc != MN_OK)
			return rc;
		s->id = y_req_str(y, node, "id");
		s->title = y_req_str(y, node, "title");
		const char *v = y_req_str(y, node, "verification");
		s->url = y_opt_str(y, node, "url", &bad);
		s->checked = y_opt_str(y, node, "checked", &bad);
		s->note = y_opt_str(y, node, "note", &bad);
		s->publisher = y_opt_str(y, node, "publisher", &bad);
		s->document_title = y_opt_str(y, node, "documentTitle", &bad);
		s->number = y_opt_str(y, node, "number", &bad);
		s->effective = y_opt_str(y, node, "effective", &bad);
		s->reviewed = y_opt_str(y, node, "reviewed", &bad);
		s->accessed = y_opt_str(y, node, "accessed", &bad);
		s->via = y_opt_str(y, node, "via", &bad);
		s->undated = y_opt_str(y, node, "undated", &bad);
		s->unnumbered = y_opt_str(y, node, "unnumbered", &bad);
		if (!s->id || !s->title || !v || bad)
			return MN_EPOLICY;
		int ver = mn_parse_verification(v);
		if (ver < 0)
			return y_fail(y, y_get(y, node, "verification"), where,
			              "verification must be confirmed, secondary, incomplete or not-confirmed");
		s->verification = (mn_verification)ver;
		static const char *const dates[] = {"effective", "reviewed", "accessed", NULL};
		for (size_t k = 0; dates[k]; k++) {
			const char *d = y_opt_str(y, node, dates[k], &bad);
			if (d && !k_valid_date(d))
				return y_fail(y, y_get(y, node, dates[k]), where, "%s must be a date: YYYY, YYYY-MM or "
				              "YYYY-MM-DD (got '%s')", dates[k], d);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp((*out)[j].id, s->id) == 0)
				return y_fail(y, node, where, "duplicate source id '%s'", s->id);
		if (full_citations && mn_verification_citable(s->verification)) {
			mn_buf miss = MN_BUF_INIT;
			size_t nmiss = k_source_missing(s, &miss);
			if (nmiss) {
				rc = y_fail(y, node, where, "source '%s' is marked %s but is not a full citation: missing %s "
				            "(docs/POLICY-FORMAT.md, Citations); complete it or mark it incomplete", s->id,
				            mn_verification_name(s->verification), miss.failed ? "?" : mn_buf_cstr(&miss));
				mn_buf_free(&miss);
				return rc;
			}
			mn_buf_free(&miss);
		}
		s->citation = k_format_source(y->arena, s);
		if (!s->citation)
			return mn_error_set(y->err, MN_ENOMEM, "out of memory");
	}
	return MN_OK;
}

/* {system, code | prefix | from+to, display, source, note} */
static mn_status load_entry(ydoc *y, const yaml_node_t *n, const char *where, const mn_source *sources,
                            size_t nsources, bool source_required, mn_vs_entry *e)
{
	static const char *const keys[] = {"system", "code", "prefix", "from", "to", "display", "source", "note", NULL};
	mn_status rc = y_check_keys(y, n, where, keys);
	if (rc != MN_OK)
		return rc;
	bool bad = false;
	e->line = (int)n->start_mark.line + 1;
	e->system = y_req_str(y, n, "system");
	const char *code = y_opt_str(y, n, "code", &bad);
	const char *prefix = y_opt_str(y, n, "prefix", &bad);
	const char *from = y_opt_str(y, n, "from", &bad);
	const char *to = y_opt_str(y, n, "to", &bad);
	e->display = y_opt_str(y, n, "display", &bad);
	const char *src = y_opt_str(y, n, "source", &bad);
	(void)y_opt_str(y, n, "note", &bad);
	if (!e->system || bad)
		return MN_EPOLICY;
	int shapes = (code != NULL) + (prefix != NULL) + (from != NULL || to != NULL);
	if (shapes != 1)
		return y_fail(y, n, where, "an entry has exactly one of code, prefix, or from and to");
	if (code) {
		e->match = MN_VS_CODE;
		e->code = code;
	} else if (prefix) {
		e->match = MN_VS_PREFIX;
		e->code = prefix;
	} else {
		if (!from || !to)
			return y_fail(y, n, where, "a range needs both from and to");
		if (strlen(from) != strlen(to))
			return y_fail(y, n, where, "a range's from '%s' and to '%s' must have the same length", from, to);
		if (strcmp(from, to) > 0)
			return y_fail(y, n, where, "a range's from '%s' comes after its to '%s'", from, to);
		e->match = MN_VS_RANGE;
		e->code = from;
		e->to = to;
	}
	if (!*e->code)
		return y_fail(y, n, where, "an empty code or prefix matches nothing useful");
	if (!src) {
		if (source_required)
			return y_fail(y, n, where, "missing required key 'source' (the source that lists this code)");
		return MN_OK;
	}
	e->source = k_find_source(sources, nsources, src);
	if (!e->source)
		return y_fail(y, y_get(y, n, "source"), where, "unknown source '%s'", src);
	if (!mn_verification_citable(e->source->verification))
		return y_fail(y, y_get(y, n, "source"), where, "source '%s' is %s and cannot back an entry", src,
		              mn_verification_name(e->source->verification));
	return MN_OK;
}

static int cmp_entry(const void *a, const void *b)
{
	const mn_vs_entry *x = *(const mn_vs_entry *const *)a, *y = *(const mn_vs_entry *const *)b;
	return strcmp(x->code, y->code);
}

/* FNV-1a over the code's bytes */
static uint32_t code_hash(const char *code)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)code; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The position in ix->exact of the first entry with this code, or ix->nexact when none; *same: the entry
 * there is known to have the code (found by the hash), else it is to be compared. */
static size_t exact_first(const mn_vs_index_ *ix, const char *code, bool *same)
{
	*same = false;
	if (ix->hash) {
		size_t mask = ix->hcap - 1;
		uint32_t h = code_hash(code);
		const uint32_t *hashes = ix->hash + ix->hcap;
		for (size_t i = h & mask; ix->hash[i]; i = (i + 1) & mask)
			if (hashes[i] == h && strcmp(ix->exact[ix->hash[i] - 1]->code, code) == 0) {
				*same = true;
				return ix->hash[i] - 1;
			}
		return ix->nexact;
	}
	/* lower bound of code among the exact entries */
	size_t lo = 0, hi = ix->nexact;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->exact[mid]->code, code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The hash of the exact entries' codes: each code's first position, in twice as many slots as codes at least,
 * then (hcap more) each slot's code's hash, so that a probe compares the text of a code of the same hash only. */
static mn_status hash_index(mn_arena *a, mn_error *err, mn_vs_index_ *ix)
{
	if (!ix->nexact || ix->nexact > UINT32_MAX / 4)
		return MN_OK;
	size_t cap = 8;
	while (cap < 2 * ix->nexact)
		cap *= 2;
	uint32_t *t = mn_arena_calloc(a, 2 * cap, sizeof *t);
	if (!t)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	for (size_t k = 0; k < ix->nexact; k++) {
		if (k && strcmp(ix->exact[k - 1]->code, ix->exact[k]->code) == 0)
			continue;  /* sorted: the first of equal codes only */
		uint32_t h = code_hash(ix->exact[k]->code);
		size_t i = h & (cap - 1);
		while (t[i])
			i = (i + 1) & (cap - 1);
		t[i] = (uint32_t)k + 1;
		t[cap + i] = h;
	}
	ix->hcap = cap;
	ix->hash = t;
	return MN_OK;
}

static mn_status build_index(mn_arena *a, mn_error *err, size_t n, const mn_vs_entry *entries, mn_vs_index_ *ix)
{
	memset(ix, 0, sizeof *ix);
	ix->exact = mn_arena_calloc(a, n ? n : 1, sizeof *ix->exact);
	ix->other = mn_arena_calloc(a, n ? n : 1, sizeof *ix->other);
	if (!ix->exact || !ix->other)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (entries[i].match == MN_VS_CODE)
			ix->exact[ix->nexact++] = &entries[i];
		else
			ix->other[ix->nother++] = &entries[i];
	}
	qsort(ix->exact, ix->nexact, sizeof *ix->exact, cmp_entry);
	return hash_index(a, err, ix);
}

static mn_status load_list(ydoc *y, const yaml_node_t *seq, const char *key, const char *list, bool nonempty,
                           const mn_source *sources, size_t nsources, bool source_required, size_t *n,
                           mn_vs_entry **out)
{
	char where[200];
	*n = 0;
	*out = NULL;
	snprintf(where, sizeof where, "%s.%s", key, list);
	if (!seq || seq->type != YAML_SEQUENCE_NODE || (nonempty && !y_seq_len(seq)))
		return y_fail(y, seq, where, nonempty ? "expected a non-empty list of codes" : "expected a list of codes");
	*n = y_seq_len(seq);
	*out = mn_arena_calloc(y->arena, *n ? *n : 1, sizeof **out);
	if (!*out)
		return mn_error_set(y->err, MN_ENOMEM, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		snprintf(where, sizeof where, "%s.%s[%zu]", key, list, i);
		mn_status rc = load_entry(y, y_seq_item(y, seq, i), where, sources, nsources, source_required, &(*out)[i]);
		if (rc != MN_OK)
			return rc;
	}
	return MN_OK;
}

mn_status k_load_valueset_entries(ydoc *y, const yaml_node_t *map, const char *key, const mn_source *sources,
                                  size_t nsources, bool source_required, mn_valueset *vs)
{
	yaml_node_t *codes = y_get(y, map, "codes"), *exclude = y_get(y, map, "exclude");
	if (!codes)
		return y_fail(y, map, key, "missing required key 'codes'");
	mn_status rc = load_list(y, codes, key, "codes", true, sources, nsources, source_required, &vs->ncodes,
	                         &vs->codes);
	if (rc == MN_OK && exclude)
		rc = load_list(y, exclude, key, "exclude", false, sources, nsources, source_required, &vs->nexcludes,
		               &vs->excludes);
	if (rc == MN_OK)
		rc = build_index(y->arena, y->err, vs->ncodes, vs->codes, &vs->inc_);
	if (rc == MN_OK)
		rc = build_index(y->arena, y->err, vs->nexcludes, vs->excludes, &vs->exc_);
	return rc;
}

static bool entry_matches(const mn_vs_entry *e, const char *system, const char *code, size_t len)
{
	if (system && strcmp(e->system, system) != 0)
		return false;
	switch (e->match) {
	case MN_VS_CODE:
		return strcmp(e->code, code) == 0;
	case MN_VS_PREFIX:
		return strncmp(code, e->code, strlen(e->code)) == 0;
	case MN_VS_RANGE:
		return strlen(e->code) == len && strcmp(e->code, code) <= 0 && strcmp(code, e->to) <= 0;
	}
	return false;
}

static bool index_matches(const mn_vs_index_ *ix, const char *system, const char *code)
{
	/* the first exact entry with that code, then every one with it */
	bool same;
	for (size_t lo = exact_first(ix, code, &same); lo < ix->nexact && (same || strcmp(ix->exact[lo]->code, code) == 0);
	     lo++, same = false)
		if (!system || strcmp(ix->exact[lo]->system, system) == 0)
			return true;
	if (!ix->nother)
		return false;
	size_t len = strlen(code);
	for (size_t i = 0; i < ix->nother; i++)
		if (entry_matches(ix->other[i], system, code, len))
			return true;
	return false;
}

int mn_valueset_contains(const mn_valueset *vs, const char *system, const char *code)
{
	if (!vs || !code)
		return 0;
	/* most sets exclude nothing: no second lookup */
	return index_matches(&vs->inc_, system, code) &&
	       ((!vs->exc_.nexact && !vs->exc_.nother) || !index_matches(&vs->exc_, system, code));
}

/* ---- shared value sets ------------------------------------------------------ */

static mn_status load_shared(mn_library *lib, const char *path, const char *stem, mn_valueset *vs, mn_error *err)
{
	static const char *const keys[] = {"id", "title", "note", "sources", "codes", "exclude", NULL};
	ydoc y;
	mn_status rc = y_load(&y, path, lib->arena, err);
	if (rc == MN_OK) {
		yaml_node_t *root = y_root(&y);
		vs->path = path;
		if ((rc = y_check_keys(&y, root, "", keys)) == MN_OK) {
			bool bad = false;
			vs->name = y_req_str(&y, root, "id");
			vs->title = y_opt_str(&y, root, "title", &bad);
			if (!vs->name || bad)
				rc = MN_EPOLICY;
			else if (!k_valid_id(vs->name))
				rc = y_fail(&y, y_get(&y, root, "id"), "id", "a value set id is lowercase letters, digits and '-'");
			else if (strcmp(vs->name, stem) != 0)
				rc = y_fail(&y, y_get(&y, root, "id"), "id", "id '%s' must equal the file name '%s'", vs->name, stem);
		}
		if (rc == MN_OK)
			rc = k_load_sources(&y, y_get(&y, root, "sources"), "sources", false, &vs->nsources, &vs->sources);
		if (rc == MN_OK)
			rc = k_load_valueset_entries(&y, root, vs->name, vs->sources, vs->nsources, true, vs);
	}
	y_free(&y);
	if (rc != MN_OK && err && !err->source[0])
		mn_error_locate(err, path, 0, 0);
	return rc;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

mn_status mn_library_load_valuesets(mn_library *lib, const char *dir, mn_error *err)
{
	lib->nvaluesets = 0;
	lib->valuesets = NULL;
	lib->valuesets_dir = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return MN_OK;
	size_t n = 0, cap = 16;
	char **names = malloc(cap * sizeof *names);
	struct dirent *e;
	mn_status rc = MN_OK;
	while (names && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, 2 * cap * sizeof *nn);
			if (!nn) {
				rc = mn_error_set(err, MN_ENOMEM, "out of memory");
				break;
			}
			names = nn;
			cap *= 2;
		}
		if (!(names[n] = mn_arena_strndup(lib->arena, e->d_name, len - 5))) {
			rc = mn_error_set(err, MN_ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (!names)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	if (rc == MN_OK) {
		qsort(names, n, sizeof *names, cmp_cstr);
		lib->valuesets = mn_arena_calloc(lib->arena, n ? n : 1, sizeof *lib->valuesets);
		if (!lib->valuesets)
			rc = mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == MN_OK && i < n; i++) {
		size_t plen = strlen(dir) + strlen(names[i]) + 7;
		char *path = mn_arena_alloc(lib->arena, plen);
		if (!path) {
			rc = mn_error_set(err, MN_ENOMEM, "out of memory");
			break;
		}
		snprintf(path, plen, "%s/%s.yaml", dir, names[i]);
		rc = load_shared(lib, path, names[i], &lib->valuesets[i], err);
	}
	free(names);
	if (rc == MN_OK && !(lib->valuesets_dir = mn_arena_strdup(lib->arena, dir)))
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
	/* whatever an out-of-memory on the way looked like, it is one */
	rc = y_arena_outcome(lib->arena, dir, rc, err);
	if (rc != MN_OK) {
		lib->valuesets = NULL;
		lib->valuesets_dir = NULL;
		return rc;
	}
	lib->nvaluesets = n;  /* sorted: file names are ids */
	return MN_OK;
}

const mn_valueset *mn_library_valueset(const mn_library *lib, const char *name)
{
	if (!lib || !name)
		return NULL;
	size_t lo = 0, hi = lib->nvaluesets;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(lib->valuesets[mid].name, name);
		if (c == 0)
			return &lib->valuesets[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- the shared value sets as a FHIRPath terminology ---------------------- */

static int lib_member_of(void *payload, const char *valueset, const char *system, const char *code)
{
	const mn_valueset *vs = mn_library_valueset(payload, valueset);
	return vs ? mn_valueset_contains(vs, system, code) : -1;
}

static void lib_vs_entry(const mn_vs_entry *e, mn_fp_vs_entry *out)
{
	out->match = e->match == MN_VS_PREFIX ? 2 : e->match == MN_VS_RANGE ? 3 : 1;
	out->system = e->system;
	out->code = e->code;
	out->to = e->to;
	out->display = e->display;
}

/* Entry i of value set `valueset`, or of all of them in turn when NULL (mn_fp_valueset_fn). */
static int lib_valuesets(void *payload, const char *valueset, size_t i, mn_fp_vs_entry *out)
{
	const mn_library *lib = payload;
	if (valueset) {
		const mn_valueset *vs = mn_library_valueset(lib, valueset);
		if (!vs)
			return -1;
		if (i >= vs->ncodes)
			return 0;
		lib_vs_entry(&vs->codes[i], out);
		return 1;
	}
	for (size_t k = 0; k < lib->nvaluesets; k++) {
		if (i < lib->valuesets[k].ncodes) {
			lib_vs_entry(&lib->valuesets[k].codes[i], out);
			return 1;
		}
		i -= lib->valuesets[k].ncodes;
	}
	return 0;
}

void mn_library_bind_terminology(const mn_library *lib, mn_fp_env *env)
{
	mn_fp_env_set_terminology(env, lib_member_of, (void *)lib);
	mn_fp_env_set_valuesets(env, lib_valuesets, (void *)lib);
}
