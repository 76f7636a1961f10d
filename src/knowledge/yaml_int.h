/*
 * yaml_int.h: a thin layer over libyaml's document API for the knowledge
 * loaders: typed access with errors located at file:line:column and the
 * key path, and strict checking of mapping keys.
 */
#ifndef MN_YAML_INT_H
#define MN_YAML_INT_H

#include <yaml.h>

#include "mednec/util.h"

typedef struct ydoc {
	yaml_document_t doc;
	bool loaded;
	const char *path;
	mn_error *err;
	mn_arena *arena;
} ydoc;

mn_status y_load(ydoc *y, const char *path, mn_arena *arena, mn_error *err);
void y_free(ydoc *y);
yaml_node_t *y_root(ydoc *y);
mn_status y_fail(ydoc *y, const yaml_node_t *node, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Value of key in a mapping (NULL when absent). */
yaml_node_t *y_get(ydoc *y, const yaml_node_t *map, const char *key);
/* Fail on a key not in allowed (NULL-terminated); also checks that node is a mapping. */
mn_status y_check_keys(ydoc *y, const yaml_node_t *map, const char *what, const char *const *allowed);
/* Scalar text copied to the arena; NULL with an error when not a scalar.
 * y_opt_str: NULL without an error when the key is absent. */
const char *y_str(ydoc *y, const yaml_node_t *node, const char *key);
const char *y_req_str(ydoc *y, const yaml_node_t *map, const char *key);
const char *y_opt_str(ydoc *y, const yaml_node_t *map, const char *key, bool *failed);
size_t y_seq_len(const yaml_node_t *seq);
yaml_node_t *y_seq_item(ydoc *y, const yaml_node_t *seq, size_t i);
size_t y_map_len(const yaml_node_t *map);
yaml_node_pair_t *y_map_pair(const yaml_node_t *map, size_t i);
yaml_node_t *y_node(ydoc *y, int index);
/* What a loader returns when done with the arena it loaded into: MN_ENOMEM,
 * with err saying so for path, when an allocation from it was ever refused
 * (a value lost to out-of-memory reads like an absent or invalid one, or is
 * a NULL left in the result); rc otherwise. */
mn_status y_arena_outcome(mn_arena *arena, const char *path, mn_status rc, mn_error *err);

#endif
