/*
 * bulk_int.h: the population index inside src/bulk/ (include/mednec/bulk.h).
 */
#ifndef MN_BULK_INT_H
#define MN_BULK_INT_H

#include <stdint.h>

#include "mednec/bulk.h"

enum { UNIT_RESOURCE = 0, UNIT_PATIENT, UNIT_BUNDLE, UNIT_DROPPED };

/* One record of the input: 24 bytes, the only per-resource memory kept. */
typedef struct bulk_unit {
	uint64_t off;       /* byte offset in its file */
	uint32_t len;       /* bytes, without the line end */
	uint32_t line;      /* 1-based line number */
	uint32_t patient;   /* during the pass: interned index; after: rank in id order */
	uint16_t file;
	uint8_t kind;       /* UNIT_* */
	uint8_t pad;
} bulk_unit;

typedef struct bulk_file {
	const char *name;
	int fd;
	bool ndjson;
} bulk_file;

/* open addressing, values are indices into a keys array; empty = SIZE_MAX */
typedef struct bulk_map {
	size_t *slots;
	size_t cap, count;
} bulk_map;

typedef struct bulk_shared {
	const char *text;
	size_t len;
	uint32_t *refs;     /* shared resources it references */
	size_t nrefs;
	uint16_t file;
	long line;
} bulk_shared;

typedef struct bulk_pinfo {
	bool has_record;    /* a Patient resource or a Bundle */
} bulk_pinfo;

typedef struct bulk_patient {
	const char *id;
	size_t held;
	const char *held_at;
} bulk_patient;

typedef struct bulk_prob {
	mn_bulk_problem pub;
	const char *cand;   /* the patient it may belong to, or NULL */
	bool any;           /* it may belong to any patient */
	uint16_t file;
} bulk_prob;

struct mn_bulk {
	mn_arena *arena, *scratch;
	bulk_file *files;
	size_t nfiles, capfiles;
	bulk_unit *units;
	size_t nunits, capunits;
	/* interned patient ids (every id referenced) */
	char **pids;
	bulk_pinfo *pinfo;
	size_t npids, cappids, cappinfo;
	bulk_map pmap;
	/* shared reference data, by "Type/id" */
	char **skeys;
	bulk_shared *shared;
	size_t nshared, capskeys, capshared;
	bulk_map smap;
	bulk_prob *probs;
	size_t nprobs, capprobs;
	mn_bulk_problem *pubprobs;
	/* the population: patients with a record, by id; units start[i]..start[i+1] */
	bulk_patient *patients;
	size_t npatients;
	size_t *start;
	size_t hold_all;            /* bad records that name no patient: every patient is held */
	const char *hold_all_at;
};

/* One NDJSON line for a determination of record r: {"patient": "Patient/ID", ["dataQuality": {...},] ...d
 * compact}, a held meets-criteria written as insufficient-documentation / pend; *written: the outcome
 * written. decide.c. */
mn_status mn_bulk_line(const mn_bulk_record *r, const mn_determination *d, mn_arena *arena, mn_buf *line,
                       mn_outcome *written);

#endif
