/*
 * dtr_int.h: private helpers of src/dtr/.
 */
#ifndef MN_DTR_INT_H
#define MN_DTR_INT_H

#include "mednec/dtr.h"

/* Write v as JSON: indent < 0 compact, else pretty with two spaces per
 * level starting at that level. */
void mn_dtr_json_write(mn_buf *b, const mn_json *v, int indent);
/* Parse the compact JSON in src and append it to out, pretty, ended by a
 * newline (the writers build compact text, then print it this way). */
mn_status mn_dtr_pretty(const mn_buf *src, mn_buf *out, mn_error *err);
/* JSON string or null. */
void mn_dtr_jstr(mn_buf *b, const char *s);
/* The Questionnaire's canonical "url|version". */
const char *mn_dtr_canonical(const mn_policy *p, mn_arena *a);
/* The answer items of items that belong to criterion id, in file order, leaving out an item whose
 * answerValueSet policy p does not have: fills up to max, returns the count. */
size_t mn_dtr_items_for(const mn_policy *p, const mn_dtr_items *items, const char *criterion, const mn_dtr_item **out,
                        size_t max);
/* The value set an item's answerValueSet names (the policy's, then the library's), or NULL. */
const mn_valueset *mn_dtr_valueset(const mn_policy *p, const char *name);

#define MN_DTR_MAX_ITEMS 32

#endif
