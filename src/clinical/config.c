/*
 * config.c: knowledge/scores.yaml, the binding of calculator inputs to the
 * record, loaded and compiled once (see scores_int.h for the structure and
 * docs/CLINICAL-SCORES.md for the format).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scores_int.h"

static mn_status compile(ydoc *y, mn_score_config *cfg, const yaml_node_t *map, const char *section,
                         const char *key, mn_fp_expr **out)
{
	char path[128];
	snprintf(path, sizeof path, "%s%s%s", section, *section ? "." : "", key);
	yaml_node_t *n = y_get(y, map, key);
	if (!n)
		return y_fail(y, map, path, "missing required key '%s'", key);
	const char *src = y_str(y, n, path);
	if (!src)
		return MN_EPOLICY;
	if (cfg->nexprs == sizeof cfg->exprs / sizeof cfg->exprs[0])
		return y_fail(y, n, path, "too many expressions");
	mn_error e;
	mn_error_clear(&e);
	mn_fp_expr *x = mn_fp_compile(src, -1, &e);
	if (!x) {
		if (e.code == MN_ENOMEM)
			return mn_error_set(y->err, MN_ENOMEM, "out of memory");
		return y_fail(y, n, path, "expression does not compile: %s (column %d)", e.message, e.column);
	}
	cfg->exprs[cfg->nexprs++] = x;
	cfg->native |= mn_clin_native_bit(path, src);
	*out = x;
	return MN_OK;
}

/* A calculator's mapping: keys checked, each key compiled into the slot at
 * the same index. */
static mn_status section(ydoc *y, mn_score_config *cfg, const yaml_node_t *root, const char *name,
                         const char *const *keys, mn_fp_expr **const *slots)
{
	yaml_node_t *m = y_get(y, root, name);
	if (!m)
		return y_fail(y, root, name, "missing required key '%s'", name);
	if (y_check_keys(y, m, name, keys) != MN_OK)
		return MN_EPOLICY;
	for (size_t i = 0; keys[i]; i++)
		if (compile(y, cfg, m, name, keys[i], slots[i]) != MN_OK)
			return y->err && y->err->code == MN_ENOMEM ? MN_ENOMEM : MN_EPOLICY;
	return MN_OK;
}

static mn_status load_pain(ydoc *y, mn_score_config *cfg, const yaml_node_t *root)
{
	yaml_node_t *seq = y_get(y, root, "pain");
	if (!seq || seq->type != YAML_SEQUENCE_NODE || !y_seq_len(seq))
		return y_fail(y, seq ? seq : root, "pain", "'pain' must be a non-empty list of scales");
	cfg->npain = y_seq_len(seq);
	cfg->pain = mn_arena_calloc(cfg->arena, cfg->npain, sizeof *cfg->pain);
	if (!cfg->pain)
		return mn_error_set(y->err, MN_ENOMEM, "out of memory");
	static const char *const keys[] = {"scale", "title", "max", "select", "value", NULL};
	for (size_t i = 0; i < cfg->npain; i++) {
		char path[64];
		snprintf(path, sizeof path, "pain.%zu", i);
		yaml_node_t *m = y_seq_item(y, seq, i);
		pain_scale *p = &cfg->pain[i];
		if (y_check_keys(y, m, path, keys) != MN_OK || !(p->scale = y_req_str(y, m, "scale")) ||
		    !(p->title = y_req_str(y, m, "title")))
			return MN_EPOLICY;
		snprintf(path, sizeof path, "pain.%zu.max", i);
		if (mn_clin_y_number(y, m, "max", path, &p->max) != MN_OK)
			return MN_EPOLICY;
		if (p->max <= 0 || p->max > 1e6)
			return y_fail(y, y_get(y, m, "max"), path, "scale maximum %g out of range", p->max);
		snprintf(path, sizeof path, "pain.%zu", i);
		if (compile(y, cfg, m, path, "select", &p->select) != MN_OK ||
		    compile(y, cfg, m, path, "value", &p->value) != MN_OK)
			return MN_EPOLICY;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->pain[j].scale, p->scale) == 0)
				return y_fail(y, m, path, "scale '%s' listed twice", p->scale);
	}
	return MN_OK;
}

void mn_score_config_free(mn_score_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nexprs; i++)
		mn_fp_expr_free(cfg->exprs[i]);
	mn_mme_table_free(cfg->mme);
	mn_arena_free(cfg->arena);
}

const mn_mme_table *mn_score_config_mme(const mn_score_config *cfg)
{
	return cfg ? cfg->mme : NULL;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

mn_status mn_score_config_load(const char *dir, mn_score_config **out, mn_error *err)
{
	*out = NULL;
	if (!dir)
		return mn_error_set(err, MN_EUSAGE, "no knowledge folder");
	mn_arena *a = mn_arena_new();
	mn_score_config *cfg = a ? mn_arena_calloc(a, 1, sizeof *cfg) : NULL;
	char *path = join(dir, "scores.yaml");
	char *mme_path = NULL;
	if (!cfg || !path) {
		free(path);
		mn_arena_free(a);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	cfg->arena = a;
	ydoc y;
	mn_status rc = y_load(&y, path, a, err);
	if (rc != MN_OK)
		goto done;
	static const char *const top[] = {"mme-table", "date", "budapest", "odi", "pain", "relief", "mme", "eq5d",
	                                  NULL};
	static const char *const kb[] = {"select", "kind", "category", "encounter", "positive",
	                                 "disproportionate-pain", "no-better-diagnosis", "answer", NULL};
	static const char *const ko[] = {"select", "total", "value", "sections", "section-number", "section-score",
	                                 NULL};
	static const char *const kr[] = {"select", "start", "end", NULL};
	static const char *const km[] = {"select", "current", "same-as", "medication", "dosage", NULL};
	static const char *const ke[] = {"select", "version", "dimensions", "dimension", "level", "index",
	                                 "value-set", NULL};
	mn_fp_expr **const sb[] = {&cfg->budapest.select, &cfg->budapest.kind, &cfg->budapest.category,
	                           &cfg->budapest.encounter, &cfg->budapest.positive, &cfg->budapest.pain,
	                           &cfg->budapest.no_better, &cfg->budapest.answer};
	mn_fp_expr **const so[] = {&cfg->odi.select, &cfg->odi.total, &cfg->odi.value, &cfg->odi.sections,
	                           &cfg->odi.section_number, &cfg->odi.section_score};
	mn_fp_expr **const sr[] = {&cfg->relief.select, &cfg->relief.start, &cfg->relief.end};
	mn_fp_expr **const sm[] = {&cfg->med.select, &cfg->med.current, &cfg->med.same_as, &cfg->med.medication,
	                           &cfg->med.dosage};
	mn_fp_expr **const se[] = {&cfg->eq5d.select, &cfg->eq5d.version, &cfg->eq5d.dimensions,
	                           &cfg->eq5d.dimension, &cfg->eq5d.level, &cfg->eq5d.index, &cfg->eq5d.value_set};
	yaml_node_t *root = y_root(&y);
	rc = MN_EPOLICY;
	if (y_check_keys(&y, root, "", top) != MN_OK || compile(&y, cfg, root, "", "date", &cfg->date) != MN_OK ||
	    section(&y, cfg, root, "budapest", kb, sb) != MN_OK || section(&y, cfg, root, "odi", ko, so) != MN_OK ||
	    load_pain(&y, cfg, root) != MN_OK || section(&y, cfg, root, "relief", kr, sr) != MN_OK ||
	    section(&y, cfg, root, "mme", km, sm) != MN_OK || section(&y, cfg, root, "eq5d", ke, se) != MN_OK) {
		rc = err && err->code == MN_ENOMEM ? MN_ENOMEM : MN_EPOLICY;
		goto done;
	}
	const char *table = y_req_str(&y, root, "mme-table");
	if (!table)
		goto done;
	if (strchr(table, '/') || table[0] == '.') {
		y_fail(&y, y_get(&y, root, "mme-table"), "mme-table", "'%s': give a file name in the knowledge folder",
		       table);
		goto done;
	}
	if (!(mme_path = join(dir, table))) {
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	rc = mn_mme_table_load(mme_path, &cfg->mme, err);
done:
	y_free(&y);
	/* whatever an out-of-memory on the way looked like, it is one */
	rc = y_arena_outcome(a, path, rc, err);
	free(path);
	free(mme_path);
	if (rc != MN_OK) {
		mn_score_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return MN_OK;
}
