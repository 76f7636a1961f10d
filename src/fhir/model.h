/*
 * src/fhir/model.h: internals of the FHIR R4 type model shared by the
 * generated tables (model_tables.c, written by tools/gen-fhir-model.mjs), the
 * lookups (model.c) and the case loader (case.c).
 */
#ifndef MN_FHIR_MODEL_H
#define MN_FHIR_MODEL_H

#include <string.h>

#include "mednec/fhir.h"

/* All types sorted by name in byte order (strcmp), for binary search. */
extern const mn_fhir_type mn_fhir__types[];
extern const size_t mn_fhir__ntypes;

/* name[0..len) as two words that hold all of it when len <= 16: its first and last 8 bytes (they overlap
 * below 16), or 4 and 4 below 8, or the first, middle and last byte below 4. For memo tables keyed by
 * name (model.c, case.c). */
static inline void mn_fhir__name_words(const char *name, size_t len, uint64_t *head, uint64_t *tail)
{
	uint64_t a = 0, b = 0;
	if (len >= 8) {
		memcpy(&a, name, 8);
		memcpy(&b, name + len - 8, 8);
	} else if (len >= 4) {
		uint32_t x, y;
		memcpy(&x, name, 4);
		memcpy(&y, name + len - 4, 4);
		a = x;
		b = y;
	} else if (len) {
		a = (unsigned char)name[0] | (uint64_t)(unsigned char)name[len / 2] << 8 |
		    (uint64_t)(unsigned char)name[len - 1] << 16;
	}
	*head = a;
	*tail = b;
}

/* A hash of (name words, length, salt) for a table of 2^k slots: take the low bits. */
static inline uint64_t mn_fhir__name_hash(uint64_t head, uint64_t tail, size_t len, uintptr_t salt)
{
	uint64_t h = head * 0x9e3779b97f4a7c15u ^ (tail + len) * 0xc2b2ae3d27d4eb4fu ^ (uint64_t)salt;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	return h ^ h >> 32;
}

#endif
