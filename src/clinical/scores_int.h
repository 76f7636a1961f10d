/*
 * scores_int.h: the loaded binding of calculator inputs to the record
 * (knowledge/scores.yaml), shared by config.c and scores.c.
 */
#ifndef MN_SCORES_INT_H
#define MN_SCORES_INT_H

#include "clinical_int.h"

typedef struct pain_scale {
	const char *scale, *title;
	double max;
	mn_fp_expr *select, *value;
} pain_scale;

struct mn_score_config {
	mn_arena *arena;
	mn_mme_table *mme;
	mn_fp_expr *date;
	struct { mn_fp_expr *select, *kind, *category, *encounter, *positive, *pain, *no_better, *answer; } budapest;
	struct { mn_fp_expr *select, *total, *value, *sections, *section_number, *section_score; } odi;
	size_t npain;
	pain_scale *pain;
	struct { mn_fp_expr *select, *start, *end; } relief;
	struct { mn_fp_expr *select, *current, *same_as, *medication, *dosage; } med;
	struct { mn_fp_expr *select, *version, *dimensions, *dimension, *level, *index, *value_set; } eq5d;
	mn_fp_expr *exprs[96];   /* every compiled expression, for freeing */
	size_t nexprs;
	unsigned native;         /* MN_NATIVE_*: the keys whose expression is the shipped one (native.c) */
};

/* native.c: keys read from the JSON when their expression is the shipped text. */
enum {
	MN_NATIVE_DATE = 1u << 0,
};

/* The MN_NATIVE_* bit of key path ("date", "budapest.kind") when text is its shipped expression, else 0. */
unsigned mn_clin_native_bit(const char *path, const char *text);
/* The shipped date expression on res, for the plain shapes: 1 a day-precise *dt, -1 no date; -2 not
 * answered here (evaluate the expression). */
int mn_clin_native_date(const mn_resource *res, mn_datetime *dt);

#endif
