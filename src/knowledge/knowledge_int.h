/*
 * knowledge_int.h: helpers shared by the knowledge loaders.
 */
#ifndef MN_KNOWLEDGE_INT_H
#define MN_KNOWLEDGE_INT_H

#include "mednec/knowledge.h"

/* "confirmed" | "secondary" | "not-confirmed" -> mn_verification, -1 otherwise. */
int mn_parse_verification(const char *s);

#endif
