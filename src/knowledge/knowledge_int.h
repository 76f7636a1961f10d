/*
 * knowledge_int.h: helpers shared by the knowledge loaders.
 */
#ifndef MN_KNOWLEDGE_INT_H
#define MN_KNOWLEDGE_INT_H

#include "mednec/knowledge.h"
#include "yaml_int.h"

/* "confirmed" | "secondary" | "not-confirmed" | "incomplete" ->
 * mn_verification, -1 otherwise. */
int mn_parse_verification(const char *s);
/* [a-z0-9-]+: policy, criterion and value set ids. */
bool k_valid_id(const char *s);
/* A policy file's name without .yaml: ID or ID@VERSION (VERSION: letters,
 * digits, '.', '_' and '-'). */
bool k_valid_stem(const char *s);

/* Load a list of sources (id, title, url, verification, checked, note and
 * the citation parts); key names the list in errors ("sources"). With
 * full_citations (a policy's sources, which letters cite), a confirmed or
 * secondary source that is not a full citation is an error. */
mn_status k_load_sources(ydoc *y, const yaml_node_t *seq, const char *key, bool full_citations, size_t *n,
                         mn_source **out);

/* cite.c: citations (docs/POLICY-FORMAT.md, "Citations"). */
/* Whether s is an ISO date: YYYY, YYYY-MM or YYYY-MM-DD. */
bool k_valid_date(const char *s);
/* A CSL-JSON item as one formatted citation (NULL when out of memory). */
const char *k_format_reference(mn_arena *a, const mn_json *item);
/* Append to out, comma-separated, the parts a full citation of item lacks;
 * the number of bytes appended (0: complete). */
size_t k_reference_missing(const mn_json *item, mn_buf *out);
/* A payer document as one formatted citation (NULL when out of memory). */
const char *k_format_source(mn_arena *a, const mn_source *s);
size_t k_source_missing(const mn_source *s, mn_buf *out);
const mn_source *k_find_source(const mn_source *sources, size_t n, const char *id);

/* Load the codes and exclude lists of a value-set mapping into vs (name,
 * title and path are the caller's) and build its lookup index. Entries name
 * a source among sources; source_required: every entry must (shared sets). */
mn_status k_load_valueset_entries(ydoc *y, const yaml_node_t *map, const char *key, const mn_source *sources,
                                  size_t nsources, bool source_required, mn_valueset *vs);

#endif
