/*
 * yaml.c: typed, located access to a YAML document (see yaml_int.h).
 */
#include <stdio.h>
#include <string.h>

#include "yaml_int.h"

mn_status y_load(ydoc *y, const char *path, mn_arena *arena, mn_error *err)
{
	memset(y, 0, sizeof *y);
	y->path = path;
	y->err = err;
	y->arena = arena;
	FILE *f = fopen(path, "rb");
	if (!f) {
		mn_error_locate(err, path, 0, 0);
		return mn_error_set(err, MN_EIO, "cannot open");
	}
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	int ok = yaml_parser_load(&parser, &y->doc);
	mn_status rc = MN_OK;
	if (!ok && parser.error == YAML_MEMORY_ERROR) {
		mn_error_locate(err, path, 0, 0);
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
	} else if (!ok) {
		mn_error_locate(err, path, (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1);
		rc = mn_error_set(err, MN_EPOLICY, "YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
		                  parser.context ? " " : "", parser.context ? parser.context : "");
	} else {
		y->loaded = true;
		if (!yaml_document_get_root_node(&y->doc)) {
			mn_error_locate(err, path, 1, 1);
			rc = mn_error_set(err, MN_EPOLICY, "empty document");
		}
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

void y_free(ydoc *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = false;
}

yaml_node_t *y_root(ydoc *y)
{
	return yaml_document_get_root_node(&y->doc);
}

yaml_node_t *y_node(ydoc *y, int index)
{
	return yaml_document_get_node(&y->doc, index);
}

mn_status y_arena_outcome(mn_arena *arena, const char *path, mn_status rc, mn_error *err)
{
	if (!mn_arena_failed(arena) || rc == MN_ENOMEM)
		return rc;
	mn_error_clear(err);
	mn_error_locate(err, path, 0, 0);
	return mn_error_set(err, MN_ENOMEM, "out of memory");
}

mn_status y_fail(ydoc *y, const yaml_node_t *node, const char *key, const char *fmt, ...)
{
	va_list ap;
	if (node)
		mn_error_locate(y->err, y->path, (int)node->start_mark.line + 1, (int)node->start_mark.column + 1);
	else
		mn_error_locate(y->err, y->path, 0, 0);
	mn_error_set_path(y->err, key ? key : "");
	va_start(ap, fmt);
	mn_error_setv(y->err, MN_EPOLICY, fmt, ap);
	va_end(ap);
	return MN_EPOLICY;
}

yaml_node_t *y_get(ydoc *y, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = y_node(y, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return y_node(y, p->value);
	}
	return NULL;
}

mn_status y_check_keys(ydoc *y, const yaml_node_t *map, const char *what, const char *const *allowed)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return y_fail(y, map, what, "expected a mapping");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = y_node(y, p->key);
		if (!k || k->type != YAML_SCALAR_NODE)
			return y_fail(y, k, what, "keys must be plain strings");
		bool ok = false;
		for (const char *const *a = allowed; *a; a++) {
			if (strlen(*a) == k->data.scalar.length && memcmp(*a, k->data.scalar.value, k->data.scalar.length) == 0) {
				ok = true;
				break;
			}
		}
		if (!ok)
			return y_fail(y, k, what, "unknown key '%.*s'", (int)k->data.scalar.length,
			              (const char *)k->data.scalar.value);
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = y_node(y, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE && k2->data.scalar.length == k->data.scalar.length &&
			    memcmp(k2->data.scalar.value, k->data.scalar.value, k->data.scalar.length) == 0)
				return y_fail(y, k, what, "duplicate key '%.*s'", (int)k->data.scalar.length,
				              (const char *)k->data.scalar.value);
		}
	}
	return MN_OK;
}

const char *y_str(ydoc *y, const yaml_node_t *node, const char *key)
{
	if (!node || node->type != YAML_SCALAR_NODE) {
		y_fail(y, node, key, "expected a text value");
		return NULL;
	}
	char *s = mn_arena_strndup(y->arena, (const char *)node->data.scalar.value, node->data.scalar.length);
	if (!s)
		mn_error_set(y->err, MN_ENOMEM, "out of memory");
	return s;
}

const char *y_req_str(ydoc *y, const yaml_node_t *map, const char *key)
{
	yaml_node_t *v = y_get(y, map, key);
	if (!v) {
		y_fail(y, map, key, "missing required key '%s'", key);
		return NULL;
	}
	return y_str(y, v, key);
}

const char *y_opt_str(ydoc *y, const yaml_node_t *map, const char *key, bool *failed)
{
	yaml_node_t *v = y_get(y, map, key);
	if (!v)
		return NULL;
	const char *s = y_str(y, v, key);
	if (!s)
		*failed = true;
	return s;
}

size_t y_seq_len(const yaml_node_t *seq)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *y_seq_item(ydoc *y, const yaml_node_t *seq, size_t i)
{
	return y_node(y, seq->data.sequence.items.start[i]);
}

size_t y_map_len(const yaml_node_t *map)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return 0;
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

yaml_node_pair_t *y_map_pair(const yaml_node_t *map, size_t i)
{
	return map->data.mapping.pairs.start + i;
}
