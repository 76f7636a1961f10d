/*
 * src/fhir/model.h: internals of the FHIR R4 type model shared by the
 * generated tables (model_tables.c, written by tools/gen-fhir-model.mjs), the
 * lookups (model.c) and the case loader (case.c).
 */
#ifndef MN_FHIR_MODEL_H
#define MN_FHIR_MODEL_H

#include "mednec/fhir.h"

/* All types sorted by name in byte order (strcmp), for binary search. */
extern const mn_fhir_type mn_fhir__types[];
extern const size_t mn_fhir__ntypes;

#endif
