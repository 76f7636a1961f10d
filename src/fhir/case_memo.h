/*
 * src/fhir/case_memo.h: one value per top-level resource of a record, kept with the record for a fact
 * that is a pure function of the record and the resource (src/decide: a record entry's reference, date and
 * summary). A record and its as-of views that leave nothing out share them (the same resources, the same
 * references); a view that leaves some out keeps its own, freed with it. Kept once, read by any thread.
 * Only one user: the values are of one kind.
 */
#ifndef MN_FHIR_CASE_MEMO_H
#define MN_FHIR_CASE_MEMO_H

#include "mednec/fhir.h"

/* The value kept for r (one of c's top-level resources), or NULL: none yet, or r is not one of them. */
const void *mn_case_memo_get(const mn_case *c, const mn_resource *r);
/* Keep v (from malloc; freed with the record) for r: returns the value kept, v or one another thread kept
 * first (then v is freed); NULL when it cannot be kept (r not one of c's top-level resources, or out of
 * memory): v is then the caller's still. */
const void *mn_case_memo_keep(const mn_case *c, const mn_resource *r, void *v);

#endif
