/*
 * clinical_int.h: helpers shared by the clinical sources (not public).
 */
#ifndef MN_CLINICAL_INT_H
#define MN_CLINICAL_INT_H

#include "mednec/clinical.h"
#include "knowledge/yaml_int.h"

/* A scalar that is a finite decimal number (the whole text); fails with the
 * key named. */
mn_status mn_clin_y_number(ydoc *y, const yaml_node_t *map, const char *key, const char *path, double *out);

#endif
