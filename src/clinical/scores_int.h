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
	MN_NATIVE_KIND = 1u << 1,
	MN_NATIVE_CATEGORY = 1u << 2,
	MN_NATIVE_ENCOUNTER = 1u << 3,
	MN_NATIVE_POSITIVE = 1u << 4,
	MN_NATIVE_ANSWER = 1u << 5,
	MN_NATIVE_SELECT_FINDINGS = 1u << 6,   /* budapest.select */
	MN_NATIVE_SELECT_PAIN = 1u << 7,       /* budapest.disproportionate-pain */
	MN_NATIVE_SELECT_NO_BETTER = 1u << 8,  /* budapest.no-better-diagnosis */
	MN_NATIVE_SELECT_ODI = 1u << 9,        /* odi.select */
	MN_NATIVE_ODI_TOTAL = 1u << 10,
	MN_NATIVE_ODI_VALUE = 1u << 11,
	MN_NATIVE_ODI_SECTIONS = 1u << 12,
};

/* The MN_NATIVE_* bit of key path ("date", "budapest.kind") when text is its shipped expression, else 0. */
unsigned mn_clin_native_bit(const char *path, const char *text);
/* The shipped date expression on res, for the plain shapes: 1 a day-precise *dt, -1 no date; -2 not
 * answered here (evaluate the expression). */
int mn_clin_native_date(const mn_resource *res, mn_datetime *dt);
/* Each as the shipped budapest key on res: 1 answered, -2 not answered here (evaluate the expression).
 * codes: kind (category false) or category, the one code (NULL: none or several, *many when several);
 * encounter: the reference (NULL: none); answer and positive: yes, no or unknown (no boolean). */
int mn_clin_native_codes(const mn_resource *res, bool category, const char **code, bool *many);
int mn_clin_native_encounter(const mn_resource *res, const char **ref);
int mn_clin_native_answer(const mn_resource *res, mn_tristate *out);
int mn_clin_native_positive(const mn_resource *res, mn_tristate *out);
/* The shipped select of that bit over case c: 1 with the Observations it selects in out (room for
 * mn_case_count(c)), in the case's order, each once; -2 not answered here (evaluate the expression). */
int mn_clin_native_select(unsigned bit, const mn_case *c, const mn_resource **out, size_t *n);
/* odi.sections: 0 when the ODI total has no component (no sections), else -2. odi.total and odi.value
 * together: 1 with the recorded percent (*has_total) and the value whatever its unit (*has_value). */
int mn_clin_native_odi_sections(const mn_resource *res);
int mn_clin_native_odi(const mn_resource *res, bool *has_total, double *total, bool *has_value, double *value);

#endif
