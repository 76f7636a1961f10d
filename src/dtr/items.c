/*
 * items.c: knowledge/questionnaire.yaml, the answer items of the DTR
 * questionnaires (docs/DTR.md, "Answer items").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/dtr.h"

#include "../knowledge/yaml_int.h"

static const char *const item_keys[] = {"criteria", "linkId", "text", "type", "code", "answerOption",
                                        "answerValueSet", "unit", "initial", "effective", "note", NULL};
static const char *const code_keys[] = {"system", "code", "display", NULL};
static const char *const types[] = {"boolean", "decimal", "integer", "date", "dateTime", "string", "choice",
                                    "quantity", NULL};

static bool one_of(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* A linkId piece: letters, digits, '-' (it joins the criterion id with '.'). */
static bool link_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static mn_status read_code(ydoc *y, yaml_node_t *n, mn_code *out)
{
	if (y_check_keys(y, n, "code", code_keys) != MN_OK)
		return MN_EPOLICY;
	bool failed = false;
	out->system = y_req_str(y, n, "system");
	out->code = y_req_str(y, n, "code");
	out->display = y_opt_str(y, n, "display", &failed);
	return out->system && out->code && !failed ? MN_OK : MN_EPOLICY;
}

static mn_status read_item(ydoc *y, yaml_node_t *n, mn_dtr_item *it)
{
	if (y_check_keys(y, n, "item", item_keys) != MN_OK)
		return MN_EPOLICY;
	bool failed = false;
	it->line = (int)n->start_mark.line + 1;
	it->link_id = y_req_str(y, n, "linkId");
	it->text = y_req_str(y, n, "text");
	it->type = y_req_str(y, n, "type");
	it->answer_valueset = y_opt_str(y, n, "answerValueSet", &failed);
	it->unit = y_opt_str(y, n, "unit", &failed);
	it->initial = y_opt_str(y, n, "initial", &failed);
	it->effective = y_opt_str(y, n, "effective", &failed);
	if (!it->link_id || !it->text || !it->type || failed)
		return MN_EPOLICY;
	if (!link_ok(it->link_id))
		return y_fail(y, n, "linkId", "'%s': letters, digits and '-' only", it->link_id);
	if (!one_of(it->type, types))
		return y_fail(y, n, "type", "'%s' is not one of boolean, decimal, integer, date, dateTime, string, "
		              "choice, quantity", it->type);
	yaml_node_t *crit = y_get(y, n, "criteria");
	if (!crit || crit->type != YAML_SEQUENCE_NODE || y_seq_len(crit) == 0)
		return y_fail(y, n, "criteria", "a list of criterion ids is required");
	it->ncriteria = y_seq_len(crit);
	it->criteria = mn_arena_calloc(y->arena, it->ncriteria, sizeof *it->criteria);
	for (size_t i = 0; it->criteria && i < it->ncriteria; i++)
		if (!(it->criteria[i] = y_str(y, y_seq_item(y, crit, i), "criteria")))
			return MN_EPOLICY;
	yaml_node_t *code = y_get(y, n, "code");
	if (code) {
		if (read_code(y, code, &it->code) != MN_OK)
			return MN_EPOLICY;
		it->has_code = true;
	}
	yaml_node_t *opts = y_get(y, n, "answerOption");
	if (opts) {
		if (opts->type != YAML_SEQUENCE_NODE || y_seq_len(opts) == 0)
			return y_fail(y, n, "answerOption", "a list of codes is required");
		it->noptions = y_seq_len(opts);
		it->options = mn_arena_calloc(y->arena, it->noptions, sizeof *it->options);
		for (size_t i = 0; it->options && i < it->noptions; i++)
			if (read_code(y, y_seq_item(y, opts, i), &it->options[i]) != MN_OK)
				return MN_EPOLICY;
	}
	bool choice = strcmp(it->type, "choice") == 0;
	if (choice && !opts == !it->answer_valueset)
		return y_fail(y, n, "type", "a choice item has answerOption or answerValueSet (one of them)");
	if (!choice && (opts || it->answer_valueset))
		return y_fail(y, n, "type", "answerOption and answerValueSet belong to choice items");
	if (it->has_code != (it->effective != NULL))
		return y_fail(y, n, "effective", "a coded item names the date item that dates its answer, and only a "
		              "coded item does");
	if (strcmp(it->type, "quantity") == 0 && !it->unit)
		return y_fail(y, n, "unit", "a quantity item names its UCUM unit");
	if (it->initial) {
		mn_error e;
		mn_error_clear(&e);
		it->initial_expr = mn_fp_compile(it->initial, -1, &e);
		if (!it->initial_expr)
			return y_fail(y, n, "initial", "%s", e.message);
	}
	return MN_OK;
}

void mn_dtr_items_free(mn_dtr_items *items)
{
	if (!items)
		return;
	for (size_t i = 0; i < items->nitems; i++)
		mn_fp_expr_free(items->items[i].initial_expr);
	mn_arena_free(items->arena);
	free(items);
}

mn_status mn_dtr_items_load(const char *knowledge_dir, mn_dtr_items **out, mn_error *err)
{
	*out = NULL;
	mn_dtr_items *items = calloc(1, sizeof *items);
	mn_arena *a = mn_arena_new();
	if (!items || !a) {
		free(items);
		mn_arena_free(a);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	items->arena = a;
	const char *path = mn_arena_printf(a, "%s/questionnaire.yaml", knowledge_dir);
	if (!path) {
		mn_dtr_items_free(items);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		*out = items;
		return MN_OK;
	}
	fclose(f);
	items->path = path;
	ydoc y;
	mn_status rc = y_load(&y, path, a, err);
	if (rc == MN_OK) {
		static const char *const top_keys[] = {"mednec-questionnaire", "note", "items", NULL};
		yaml_node_t *root = y_root(&y);
		rc = y_check_keys(&y, root, "questionnaire", top_keys);
		yaml_node_t *list = rc == MN_OK ? y_get(&y, root, "items") : NULL;
		if (rc == MN_OK && (!list || list->type != YAML_SEQUENCE_NODE))
			rc = y_fail(&y, root, "items", "a list of items is required");
		if (rc == MN_OK) {
			items->nitems = y_seq_len(list);
			items->items = mn_arena_calloc(a, items->nitems ? items->nitems : 1, sizeof *items->items);
			for (size_t i = 0; rc == MN_OK && items->items && i < items->nitems; i++)
				rc = read_item(&y, y_seq_item(&y, list, i), &items->items[i]);
		}
		y_free(&y);
	}
	rc = y_arena_outcome(a, path, rc, err);
	if (rc != MN_OK) {
		mn_dtr_items_free(items);
		return rc;
	}
	*out = items;
	return MN_OK;
}
