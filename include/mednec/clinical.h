/*
 * mednec/clinical.h: clinical calculators and their binding to the record.
 *
 * Two parts:
 * - pure calculators, no FHIR: Budapest criteria for CRPS (clinical and
 *   research variants), the Oswestry Disability Index, morphine milligram
 *   equivalents per day with the CDC 2022 factors, percent pain relief, and
 *   EQ-5D health states. Each returns MN_OK with a result, or an error
 *   (MN_EUSAGE for an input outside its domain) with a message; none guesses
 *   a missing value.
 * - the binding (mn_scores_compute): the calculators' inputs are selected
 *   from a case by FHIRPath expressions in knowledge/scores.yaml, the MME
 *   factors come from knowledge/mme-cdc-2022.yaml. Every score names the
 *   record entries it used and says what it could not compute and why. The
 *   scores are also given as a JSON tree for policies (%scores).
 *
 * Sources and verification of every number: docs/CLINICAL-SCORES.md and
 * shared/clinical/facts.md (sections 2, 3, 4 and 8).
 */
#ifndef MEDNEC_CLINICAL_H
#define MEDNEC_CLINICAL_H

#include "mednec/fhirpath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Budapest criteria (CRPS) ----------------------------------------- */

typedef enum mn_budapest_category {
	MN_BUDAPEST_SENSORY = 0,
	MN_BUDAPEST_VASOMOTOR,
	MN_BUDAPEST_SUDOMOTOR_EDEMA,
	MN_BUDAPEST_MOTOR_TROPHIC,
	MN_BUDAPEST_NCATEGORIES
} mn_budapest_category;

/* "sensory", "vasomotor", "sudomotor-edema", "motor-trophic"; NULL when out of range. */
const char *mn_budapest_category_name(int category);
/* The category for a name as above; -1 when unknown. */
int mn_budapest_category_parse(const char *name);

/* A yes/no criterion that may be absent from the record. */
typedef enum mn_tristate { MN_UNKNOWN = -1, MN_NO = 0, MN_YES = 1 } mn_tristate;

typedef struct mn_budapest_input {
	unsigned symptoms[MN_BUDAPEST_NCATEGORIES];  /* symptoms reported, per category */
	unsigned signs[MN_BUDAPEST_NCATEGORIES];     /* signs observed at the evaluation, per category */
	/* Findings of the evaluation recorded neither as present nor as absent
	 * (free text only, an uncoded or unknown value): never counted, but
	 * when they could make the counts hold the result is MN_UNKNOWN, not
	 * MN_NO. Zero when unused. */
	unsigned symptoms_unreadable[MN_BUDAPEST_NCATEGORIES];
	unsigned signs_unreadable[MN_BUDAPEST_NCATEGORIES];
	mn_tristate disproportionate_pain;           /* criterion 1 */
	mn_tristate no_better_diagnosis;             /* criterion 4 */
} mn_budapest_input;

typedef struct mn_budapest_result {
	int symptom_categories;   /* categories with at least one symptom (0-4) */
	int sign_categories;      /* categories with at least one sign (0-4) */
	bool clinical_counts;     /* symptoms in >= 3 categories and signs in >= 2 */
	bool research_counts;     /* symptoms in all 4 categories and signs in >= 2 */
	/* Criteria 1-4 together: MN_YES, MN_NO, or MN_UNKNOWN when no criterion
	 * is false and either criterion 1 or 4 is not recorded (the counts
	 * holding) or the counts fail but would hold with the unreadable
	 * findings. */
	mn_tristate clinical_met;
	mn_tristate research_met;
} mn_budapest_result;

mn_status mn_budapest(const mn_budapest_input *in, mn_budapest_result *out, mn_error *err);

/* ---- Oswestry Disability Index ---------------------------------------- */

#define MN_ODI_SECTIONS 10
#define MN_ODI_UNANSWERED (-1)

typedef enum mn_odi_band {
	MN_ODI_BAND_NONE = 0,     /* a recorded percent between two published bands (e.g. 20.5) */
	MN_ODI_MINIMAL,           /* 0-20 */
	MN_ODI_MODERATE,          /* 21-40 */
	MN_ODI_SEVERE,            /* 41-60 */
	MN_ODI_CRIPPLED,          /* 61-80 */
	MN_ODI_BED_BOUND          /* 81-100: bed-bound or exaggerating symptoms */
} mn_odi_band;

/* "minimal disability", "moderate disability", "severe disability",
 * "crippled", "bed-bound or exaggerating symptoms"; "" for NONE. */
const char *mn_odi_band_name(mn_odi_band band);
/* Short stable key for JSON: "minimal", "moderate", "severe", "crippled", "bed-bound". */
const char *mn_odi_band_key(mn_odi_band band);

typedef struct mn_odi_result {
	double percent;       /* 0-100 */
	int total;            /* sum of the answered sections; -1 when from a recorded total */
	int answered;         /* sections answered; -1 when from a recorded total */
	int denominator;      /* 5 x answered; -1 when from a recorded total */
	mn_odi_band band;
} mn_odi_result;

/* Band of a percent (0-100; otherwise MN_EUSAGE). */
mn_status mn_odi_band_of(double percent, mn_odi_band *out, mn_error *err);
/* sections[i] in 0..5, or MN_ODI_UNANSWERED. percent = total / (5 x answered)
 * x 100. MN_EUSAGE when a value is out of range or no section is answered. */
mn_status mn_odi_from_sections(const int sections[MN_ODI_SECTIONS], mn_odi_result *out, mn_error *err);
/* A recorded total percent (0-100). */
mn_status mn_odi_from_total(double percent, mn_odi_result *out, mn_error *err);

/* ---- morphine milligram equivalents (CDC 2022) ------------------------- */

typedef enum mn_mme_basis {
	MN_MME_MG_PER_DAY = 1,     /* factor x mg/day */
	MN_MME_MCG_PER_HOUR        /* factor x mcg/hr (transdermal fentanyl) */
} mn_mme_basis;

typedef struct mn_mme_factor {
	const char *drug;          /* key: "morphine", "fentanyl-transdermal", "buprenorphine" */
	const char *display;
	const char *rxnorm;        /* RxNorm ingredient code, or NULL */
	bool has_factor;           /* false: listed on purpose without a factor */
	double factor;
	mn_mme_basis basis;
	const char *note;          /* caution from the source, or the reason there is no factor */
	const char *dose_form;     /* RxNorm dose form code the factor is limited to (fentanyl: transdermal), or NULL */
} mn_mme_factor;

typedef struct mn_mme_product {
	const char *system, *code, *display;  /* the product code (RxNorm SCD, SBD, GPCK, BPCK or IN) */
	const char *drug;          /* factor key; NULL when the ingredient has no factor entry in this form */
	double strength;           /* opioid per unit: mg, mg/mL, ug/h, mg/{actuat}; 0 when not known (IN) */
	const char *unit;          /* UCUM: "mg", "mg/mL", "ug/h", "mg/{actuat}" ("mg" for IN) */
	const char *dose_form;     /* the dose form (RxNorm name, or "tablet"/"patch" in the factor file); NULL for IN */
	bool combination;          /* more than one active ingredient */
	const char *level;         /* RxNorm level: "IN", "SCD", "SBD", "GPCK", "BPCK"; NULL for a factor-file product */
	const char *ingredient;    /* the opioid ingredient's RxNorm code (IN), or NULL */
	const char *ingredient_name;
	const char *dose_form_code; /* RxNorm dose form code, or NULL */
	const char *note;          /* why no strength is given (several strengths of one ingredient), or NULL */
} mn_mme_product;

typedef struct mn_mme_table {
	const char *id, *title, *citation, *url, *verification, *checked;
	size_t nfactors;
	mn_mme_factor *factors;
	size_t nproducts;
	mn_mme_product *products;  /* the factor file's own products (none shipped), then IN entries, then RxNorm */
	const char *rxnorm_table;  /* the RxNorm-derived table's file name (knowledge/rxnorm-opioids.tsv), or NULL */
	const char *rxnorm_source; /* its provenance line ("Source: ...") */
	mn_arena *arena;
} mn_mme_table;

/* Load a factor table (knowledge/mme-cdc-2022.yaml); MN_EPOLICY with file,
 * line and key on a malformed file. */
mn_status mn_mme_table_load(const char *path, mn_mme_table **out, mn_error *err);
void mn_mme_table_free(mn_mme_table *t);
const mn_mme_factor *mn_mme_factor_find(const mn_mme_table *t, const char *drug);
const mn_mme_product *mn_mme_product_find(const mn_mme_table *t, const char *system, const char *code);
/* A medication code (RxNorm drug, pack or ingredient) as a product whose
 * ingredient has a factor entry (p->drug set). NULL when it has none: *why
 * (if given) then says why for a code the table knows (an opioid without a
 * CDC 2022 factor, fentanyl in a form other than transdermal), or is NULL
 * for a code it does not know. */
const mn_mme_product *mn_mme_lookup(const mn_mme_table *t, const char *system, const char *code,
                                    const char **why);
/* One dose (value in the UCUM unit `unit`; a count such as "1", "{tablet}"
 * or "tablet" is a number of the product's units) as an amount in the
 * factor's basis: mg, or mcg/hr for a per-mcg/hr factor. Units are
 * converted with UCUM. false with the reason in why[] when it cannot be
 * computed (a count for an ingredient code, a volume for a tablet, ...). */
bool mn_mme_dose_amount(const mn_mme_product *p, const mn_mme_factor *f, double value, const char *unit,
                        double *out, char *why, size_t whylen);
/* A rate as mg/day, converted with UCUM: num num_unit per den den_unit
 * (den_unit NULL: num_unit is already a mass per time, "mg/h"). false with
 * the reason when it is not a mass per time. */
bool mn_mme_rate_mg_per_day(double num, const char *num_unit, double den, const char *den_unit, double *out,
                            char *why, size_t whylen);

typedef enum mn_mme_status {
	MN_MME_COMPUTED = 1,
	MN_MME_NO_FACTOR,          /* listed without a factor (buprenorphine) */
	MN_MME_UNKNOWN_DRUG,       /* not in the table */
	MN_MME_WRONG_BASIS,        /* dose in mg/day for a mcg/hr factor or the reverse */
	MN_MME_DOSE_NOT_STRUCTURED, /* binding only: no usable structured dose */
	MN_MME_PERIOD_UNKNOWN,     /* binding only: not known whether taken on the as-of date */
	MN_MME_POSSIBLE_DUPLICATE  /* binding only: the same product as another entry, not linked to it */
} mn_mme_status;

const char *mn_mme_status_name(mn_mme_status s);  /* "computed", "no-factor", ... */

typedef struct mn_mme_item {
	const char *drug;
	mn_mme_status status;
	double amount;             /* mg/day or mcg/hr as given */
	mn_mme_basis basis;
	double factor;             /* when computed */
	double mme_per_day;        /* when computed */
	const char *reason;        /* when not computed (static text) */
} mn_mme_item;

/* MME/day of one drug: amount (mg/day, or mcg/hr for a mcg/hr factor) x
 * factor. A drug not in the table or without a factor is reported in
 * out->status, not an error; a negative, non-finite or absurdly large amount
 * (> 1e7) is MN_EUSAGE. */
mn_status mn_mme_drug(const mn_mme_table *t, const char *drug, double amount, mn_mme_basis basis,
                      mn_mme_item *out, mn_error *err);
/* Daily amount from a dose and doses per day (5 mg QID: 5 x 4 = 20 mg/day). */
mn_status mn_mme_daily(double dose, double per_day, double *out, mn_error *err);
/* Total of the computed items; *complete is false when any item was not computed. */
double mn_mme_total(const mn_mme_item *items, size_t n, bool *complete);

/* ---- percent pain relief ---------------------------------------------- */

typedef struct mn_relief_result {
	double baseline, trial;
	double percent;            /* (baseline - trial) / baseline x 100; negative when worse */
} mn_relief_result;

/* Both on the same scale 0..scale_max (10 for NRS). MN_EUSAGE when a value is
 * outside the scale or the baseline is 0 (relief undefined). */
mn_status mn_relief(double baseline, double trial, double scale_max, mn_relief_result *out, mn_error *err);

/* ---- EQ-5D ------------------------------------------------------------ */

#define MN_EQ5D_DIMENSIONS 5
/* "mobility", "self-care", "usual-activities", "pain-discomfort", "anxiety-depression" */
const char *mn_eq5d_dimension_name(int i);

typedef struct mn_eq5d_input {
	int version;               /* 3 (EQ-5D-3L) or 5 (EQ-5D-5L) */
	int levels[MN_EQ5D_DIMENSIONS];  /* 1..version */
	const char *value_set;     /* the value set named with a recorded index, or NULL */
} mn_eq5d_input;

typedef struct mn_eq5d_result {
	char state[MN_EQ5D_DIMENSIONS + 1];  /* "11223" */
	bool index_computed;       /* always false: no verified value-set table is shipped */
	const char *index_note;    /* why not */
} mn_eq5d_result;

mn_status mn_eq5d(const mn_eq5d_input *in, mn_eq5d_result *out, mn_error *err);

/* ---- scores from a record --------------------------------------------- */

typedef struct mn_score_config mn_score_config;

/* Load knowledge/scores.yaml and the MME table it names, from dir (the
 * knowledge folder), and compile every expression. MN_EPOLICY with file,
 * line and key when a file is invalid; MN_EIO when unreadable. */
mn_status mn_score_config_load(const char *dir, mn_score_config **out, mn_error *err);
void mn_score_config_free(mn_score_config *cfg);
const mn_mme_table *mn_score_config_mme(const mn_score_config *cfg);

/* A record entry a score used, and in which role ("symptom", "sign",
 * "disproportionate-pain", "total", "statement", "trial", "baseline",
 * "trial-score", "eq5d"). */
typedef struct mn_score_source {
	const mn_resource *resource;
	const char *role;
	const char *date;          /* the entry's date as used ("2026-11-05"), or NULL */
} mn_score_source;

typedef struct mn_score {
	const char *name;          /* "budapest", "odi", "mme", "relief", "eq5d" */
	const char *title;         /* "Budapest criteria (CRPS)" */
	const char *variant;       /* "clinical and research criteria", "recorded total", ... */
	bool computed;             /* false: see why_not */
	const char *value;         /* one line: "clinical criteria met; research criteria met" */
	size_t ndetails;
	const char **details;      /* further lines */
	const char *why_not;       /* when not computed */
	size_t nsources;
	mn_score_source *sources;
} mn_score;

typedef struct mn_scores {
	char as_of[16];
	size_t nscores;
	mn_score *scores;          /* calculators in the order above; one score per ODI observation, trial, EQ-5D */
	const mn_json *json;       /* the same as a JSON tree (docs/CLINICAL-SCORES.md) */
} mn_scores;

/* Compute every score it can over the case on as_of (a full date; today()
 * in the expressions). Everything lives in arena. Fails only for usage
 * errors, out of memory, or an expression error (MN_EEVAL with the score
 * and key named); missing or unusable record entries are reported in the
 * scores, never guessed. */
mn_status mn_scores_compute(const mn_score_config *cfg, const mn_case *c, const mn_datetime *as_of,
                            mn_arena *arena, mn_scores **out, mn_error *err);

/* The calculators as a set, one bit each, by their member name in %scores. */
enum {
	MN_SCORE_BUDAPEST = 1u << 0,   /* "budapest" */
	MN_SCORE_ODI = 1u << 1,        /* "odi" */
	MN_SCORE_MME = 1u << 2,        /* "mme" */
	MN_SCORE_RELIEF = 1u << 3,     /* "relief" */
	MN_SCORE_EQ5D = 1u << 4,       /* "eq5d" */
	MN_SCORES_ALL = (1u << 5) - 1
};
/* The bit of the calculator whose member of %scores is name (len bytes); 0
 * for any other name ("asOf", which is always there, or a name no score has). */
unsigned mn_score_bit(const char *name, size_t len);
/* mn_scores_compute for the calculators in want only (MN_SCORES_ALL: all of
 * them, the same as mn_scores_compute). Each one computed is exactly what
 * mn_scores_compute gives for it, in the same order; the JSON tree has asOf
 * and the members of those only, and an expression of a calculator left out
 * is not evaluated (its errors are not seen). */
mn_status mn_scores_compute_some(const mn_score_config *cfg, const mn_case *c, const mn_datetime *as_of,
                                 unsigned want, mn_arena *arena, mn_scores **out, mn_error *err);

/* Number text as mednec prints scores: at most 2 decimals, no trailing zeros
 * ("32", "35.56", "2.4"). Returns the length. */
size_t mn_score_number(double v, char *out, size_t outsz);

#ifdef __cplusplus
}
#endif
#endif
