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
};

#endif
