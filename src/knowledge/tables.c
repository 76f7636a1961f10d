/*
 * tables.c: knowledge tables (knowledge/tables/NAME.yaml) read into JSON
 * trees, so that policies navigate them with FHIRPath as %NAME.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/knowledge.h"
#include "yaml_int.h"

/* YAML node -> JSON value; depth bounded like the JSON parser. */
static mn_status convert(ydoc *y, const yaml_node_t *node, mn_json *out, int depth)
{
	memset(out, 0, sizeof *out);
	out->offset = (uint32_t)node->start_mark.index;
	if (depth > MN_JSON_MAX_DEPTH)
		return y_fail(y, node, "", "nesting deeper than %d levels", MN_JSON_MAX_DEPTH);
	switch (node->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)node->data.scalar.value;
		size_t n = node->data.scalar.length;
		bool plain = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (plain && n == 4 && memcmp(s, "true", 4) == 0)
			out->type = MN_JSON_TRUE;
		else if (plain && n == 5 && memcmp(s, "false", 5) == 0)
			out->type = MN_JSON_FALSE;
		else if (plain && ((n == 4 && memcmp(s, "null", 4) == 0) || (n == 1 && s[0] == '~')))
			out->type = MN_JSON_NULL;
		else
			out->type = plain && mn_json_number_valid(s, n) ? MN_JSON_NUMBER : MN_JSON_STRING;
		if (out->type == MN_JSON_NUMBER || out->type == MN_JSON_STRING) {
			if (!(out->u.s = mn_arena_strndup(y->arena, s, n)))
				return mn_error_set(y->err, MN_ENOMEM, "out of memory");
			out->n = (uint32_t)n;
		}
		return MN_OK;
	}
	case YAML_SEQUENCE_NODE: {
		size_t n = y_seq_len(node);
		out->type = MN_JSON_ARRAY;
		out->n = (uint32_t)n;
		out->u.items = n ? mn_arena_calloc(y->arena, n, sizeof(mn_json)) : NULL;
		if (n && !out->u.items)
			return mn_error_set(y->err, MN_ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			mn_status rc = convert(y, y_seq_item(y, node, i), &out->u.items[i], depth + 1);
			if (rc != MN_OK)
				return rc;
		}
		return MN_OK;
	}
	case YAML_MAPPING_NODE: {
		size_t n = y_map_len(node);
		out->type = MN_JSON_OBJECT;
		out->n = (uint32_t)n;
		out->u.members = n ? mn_arena_calloc(y->arena, n, sizeof(mn_json_member)) : NULL;
		if (n && !out->u.members)
			return mn_error_set(y->err, MN_ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			yaml_node_pair_t *pair = y_map_pair(node, i);
			yaml_node_t *k = y_node(y, pair->key);
			mn_json_member *m = &out->u.members[i];
			if (!k || k->type != YAML_SCALAR_NODE)
				return y_fail(y, k, "", "mapping keys must be plain text");
			if (!(m->key = mn_arena_strndup(y->arena, (const char *)k->data.scalar.value, k->data.scalar.length)))
				return mn_error_set(y->err, MN_ENOMEM, "out of memory");
			m->key_len = (uint32_t)k->data.scalar.length;
			m->key_offset = (uint32_t)k->start_mark.index;
			mn_status rc = convert(y, y_node(y, pair->value), &m->value, depth + 1);
			if (rc != MN_OK)
				return rc;
		}
		return MN_OK;
	}
	default:
		return y_fail(y, node, "", "empty node");
	}
}

static bool valid_name(const char *s, size_t n)
{
	if (!n || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static int cmp_table(const void *a, const void *b)
{
	return strcmp(((const mn_table *)a)->name, ((const mn_table *)b)->name);
}

mn_status mn_tables_load(const char *dir, mn_tables **out, mn_error *err)
{
	*out = NULL;
	mn_tables *t = calloc(1, sizeof *t);
	if (!t || !(t->arena = mn_arena_new())) {
		free(t);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	char tdir[4096];
	snprintf(tdir, sizeof tdir, "%s/tables", dir);
	DIR *d = opendir(tdir);
	mn_status rc = MN_OK;
	size_t cap = 0;
	struct dirent *e;
	while (d && rc == MN_OK && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0 || e->d_name[0] == '.')
			continue;
		char path[4400];
		snprintf(path, sizeof path, "%s/%s", tdir, e->d_name);
		if (!valid_name(e->d_name, len - 5)) {
			mn_error_locate(err, path, 0, 0);
			rc = mn_error_set(err, MN_EPOLICY, "a table name must be lowercase letters and digits (it becomes %%NAME)");
			break;
		}
		if (t->ntables == cap) {
			cap = cap ? cap * 2 : 8;
			mn_table *nt = mn_arena_calloc(t->arena, cap, sizeof *nt);
			if (!nt) {
				rc = mn_error_set(err, MN_ENOMEM, "out of memory");
				break;
			}
			if (t->ntables)
				memcpy(nt, t->tables, t->ntables * sizeof *nt);
			t->tables = nt;
		}
		mn_table *tb = &t->tables[t->ntables];
		tb->name = mn_arena_strndup(t->arena, e->d_name, len - 5);
		tb->path = mn_arena_strdup(t->arena, path);
		mn_json *root = mn_arena_alloc(t->arena, sizeof *root);
		if (!tb->name || !tb->path || !root) {
			rc = mn_error_set(err, MN_ENOMEM, "out of memory");
			break;
		}
		ydoc y;
		if ((rc = y_load(&y, tb->path, t->arena, err)) == MN_OK)
			rc = convert(&y, y_root(&y), root, 0);
		y_free(&y);
		tb->root = root;
		t->ntables++;
	}
	if (d)
		closedir(d);
	/* whatever an out-of-memory on the way looked like, it is one */
	rc = y_arena_outcome(t->arena, tdir, rc, err);
	if (rc != MN_OK) {
		mn_tables_free(t);
		return rc;
	}
	if (t->ntables)
		qsort(t->tables, t->ntables, sizeof *t->tables, cmp_table);
	*out = t;
	return MN_OK;
}

void mn_tables_free(mn_tables *t)
{
	if (!t)
		return;
	mn_arena_free(t->arena);
	free(t);
}
