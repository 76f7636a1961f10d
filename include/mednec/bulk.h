/*
 * mednec/bulk.h: whole populations (docs/BULK.md).
 *
 * A population is read from FHIR Bulk Data exports (a directory of NDJSON
 * files, one resource per line, as $export writes them), NDJSON files of
 * Bundles (one patient's record per line) and Bundle files. mn_bulk_open
 * makes one pass over the input and keeps an index: per resource line its
 * file, byte offset, length, line number and patient (24 bytes a line), per
 * patient its id, and the shared reference data (resources outside any
 * patient compartment: Practitioner, Organization, Location, Medication,
 * ...) in full. mn_bulk_load then reads one patient's lines again and loads
 * them, with the shared resources they reference, as one case: memory for
 * records is bounded by the largest patient, not the population.
 *
 * Patients are ordered by id (byte order). A bad record (a line that is not
 * JSON, not a resource, a resource without id, a patient-compartment resource
 * that names no patient or a patient not in the input, a resource the case
 * loader refuses) is kept as a problem with its file and line and skipped.
 * A bad record that may belong to a patient holds that patient's decisions:
 * they are never "meets-criteria" (docs/BULK.md, "Bad records").
 *
 * Threads: an mn_bulk is read-only after mn_bulk_open; mn_bulk_load may be
 * called from several threads at once. mn_bulk_run decides on N threads
 * over policies loaded once (compiled expressions are immutable and may be
 * evaluated concurrently, mednec/fhirpath.h) and emits results in patient
 * order, whatever N.
 */
#ifndef MEDNEC_BULK_H
#define MEDNEC_BULK_H

#include <stdio.h>

#include "mednec/decide.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mn_bulk mn_bulk;

/* A bad record: where it is, what is wrong, and the patient whose decisions
 * it holds (NULL: it names no patient of the input; held_all tells whether
 * it holds every patient). */
typedef struct mn_bulk_problem {
	const char *file;
	long line;
	const char *message;
	const char *patient;
	bool held_all;
} mn_bulk_problem;

/* Index inputs: directories (every *.ndjson file in them, by name), *.ndjson
 * files (resources or Bundles, one a line) and other files (one JSON Bundle
 * or resource each). Fails only when an input cannot be read (MN_EIO) or
 * memory runs out; bad records are problems, not failures. */
mn_status mn_bulk_open(const char *const *inputs, size_t ninputs, mn_bulk **out, mn_error *err);
void mn_bulk_free(mn_bulk *b);

size_t mn_bulk_count(const mn_bulk *b);               /* patients */
const char *mn_bulk_patient_id(const mn_bulk *b, size_t i);
size_t mn_bulk_resource_count(const mn_bulk *b);      /* resource lines and Bundles indexed */
size_t mn_bulk_shared_count(const mn_bulk *b);        /* shared reference resources */
/* Problems found by mn_bulk_open, in input order. */
size_t mn_bulk_problem_count(const mn_bulk *b);
const mn_bulk_problem *mn_bulk_problem_at(const mn_bulk *b, size_t i);
/* Whether a bad record names no patient and so may belong to any: every
 * patient's decisions are held. */
bool mn_bulk_holds_all(const mn_bulk *b);

/* One patient's record. */
typedef struct mn_bulk_record {
	size_t index;
	const char *id;               /* the patient id ("p1", without "Patient/") */
	mn_case *kase;                /* NULL when the record could not be loaded (error says why) */
	/* resources of this record that the case loader refused and that were
	 * left out (in the run's arena) */
	size_t nproblems;
	mn_bulk_problem *problems;
	/* bad records that may belong to this patient (mn_bulk_open's attributed
	 * ones, the loader's, and all of them under mn_bulk_holds_all): its
	 * decisions are held when nonzero; held_at names the first, "file:line" */
	size_t held;
	const char *held_at;
	mn_error error;
} mn_bulk_record;

/* Load patient i as a case named "Patient/ID" with the case flags
 * (MN_CASE_ALLOW_UNRESOLVED, MN_CASE_LENIENT). Resource lines become a
 * collection Bundle: the Patient first, then the other lines in input
 * order (files by name, then line), then the shared resources they
 * reference (directly or through other shared resources) in input order.
 * A Bundle is loaded as it is. A resource the loader refuses is left out
 * and recorded in out->problems. Problems and strings live in arena.
 * Thread-safe. Returns MN_OK with out->kase NULL when nothing loads. */
mn_status mn_bulk_load(const mn_bulk *b, size_t i, unsigned flags, mn_arena *arena, mn_bulk_record *out,
                       mn_error *err);

/* ---- running over the population ----------------------------------------- */

/* work runs on a worker thread with the loaded record (kase may be NULL)
 * and a zeroed slot of slot_size bytes; emit runs on the calling thread,
 * in patient order, with the same slot and the record without its case.
 * A non-OK status from either stops the run and is returned; the slots
 * that work filled but that are not emitted are then passed to emit with
 * ctx NULL, to release what work allocated. progress, when set, is called
 * on the calling thread after each emitted patient. */
typedef mn_status (*mn_bulk_work_fn)(void *ctx, const mn_bulk_record *r, void *slot);
typedef mn_status (*mn_bulk_emit_fn)(void *ctx, const mn_bulk_record *r, void *slot);
typedef struct mn_bulk_run_options {
	unsigned threads;             /* 0 or 1: one worker */
	unsigned case_flags;
	size_t slot_size;
	mn_bulk_work_fn work;
	mn_bulk_emit_fn emit;
	void *ctx;
	void (*progress)(void *ctx, size_t done, size_t total);
} mn_bulk_run_options;
mn_status mn_bulk_run(const mn_bulk *b, const mn_bulk_run_options *o, mn_error *err);

/* ---- deciding a population (mednec bulk) ------------------------------------ */

typedef struct mn_bulk_criterion_count {
	const char *id;
	size_t status[4];             /* by mn_crit_status (index 0 unused) */
} mn_bulk_criterion_count;

typedef struct mn_bulk_policy_count {
	const mn_policy *policy;
	size_t lines;                 /* patients decided under it */
	size_t outcome[5];            /* by mn_outcome as written (index 0 unused) */
	size_t held;                  /* of them, met but held for a bad record (counted as insufficient) */
	mn_bulk_criterion_count *criteria;  /* policy->ncriteria */
} mn_bulk_policy_count;

typedef struct mn_bulk_summary {
	size_t patients, decided, not_loaded, lines;
	size_t problems;              /* bad records skipped (open and load) */
	size_t held_patients;
	size_t npolicies;
	mn_bulk_policy_count *policies;
	double seconds;
} mn_bulk_summary;

typedef struct mn_bulk_decide_options {
	size_t npolicies;
	mn_policy *const *policies;
	/* --policy all: a policy with a service.request expression gives a line
	 * only for patients whose record holds the request */
	bool requested_only;
	const mn_datetime *as_of;
	const mn_determine_options *determine;
	unsigned threads;
	unsigned case_flags;
	FILE *out;                    /* NDJSON lines */
	/* bad records found while loading, in patient order */
	void (*problem)(void *ctx, const mn_bulk_problem *p);
	void (*progress)(void *ctx, size_t done, size_t total);
	void *ctx;
} mn_bulk_decide_options;

/* Decide every patient under every policy and write one NDJSON line per
 * patient and policy: {"patient": "Patient/ID", ["dataQuality": {...},]
 * ...the determination as mn_render_json writes it, compact}. A held
 * patient's meets-criteria is written as insufficient-documentation / pend
 * with dataQuality saying so. The summary is filled (free with
 * mn_bulk_summary_free). */
mn_status mn_bulk_decide(const mn_bulk *b, const mn_bulk_decide_options *o, mn_bulk_summary *summary,
                         mn_error *err);
/* The summary as text: patients, lines, problems, outcome counts and
 * criterion status counts per policy. */
mn_status mn_bulk_summary_write(const mn_bulk_summary *s, mn_buf *out);
void mn_bulk_summary_free(mn_bulk_summary *s);

/* The outcome a held record gets instead of meets-criteria. */
mn_outcome mn_bulk_held_outcome(mn_outcome o, size_t held);

/* ---- policy impact (mednec impact) ------------------------------------------- */

typedef struct mn_impact_criterion {
	const char *id, *title;
	bool in_old, in_new;
	/* patients by status: transition[old][new] (mn_crit_status, 0 = the
	 * criterion is absent in that version) */
	size_t transition[4][4];
} mn_impact_criterion;

typedef struct mn_impact_crit_change {
	const char *id;
	int from, to;                 /* mn_crit_status, 0 = the criterion is absent in that version */
} mn_impact_crit_change;

typedef struct mn_impact_change {
	const char *patient;
	mn_outcome from, to;          /* as written (a held meets-criteria is insufficient-documentation) */
	bool held;
	size_t ncriteria;             /* the criteria whose status differs, in the report's criterion order */
	mn_impact_crit_change *criteria;
} mn_impact_change;

typedef struct mn_impact {
	const mn_policy *old_policy, *new_policy;
	char as_of[16];
	size_t patients, decided, not_loaded, problems, held_patients;
	size_t matrix[5][5];          /* [old outcome][new outcome] by mn_outcome */
	size_t ncriteria;
	mn_impact_criterion *criteria;  /* old policy's order, then new-only criteria */
	size_t nchanges, capchanges;
	mn_impact_change *changes;    /* in patient order */
	mn_arena *arena;
} mn_impact;

typedef struct mn_impact_options {
	const mn_policy *old_policy, *new_policy;
	const mn_datetime *as_of;
	const mn_determine_options *determine;
	unsigned threads;
	unsigned case_flags;
	void (*problem)(void *ctx, const mn_bulk_problem *p);
	void (*progress)(void *ctx, size_t done, size_t total);
	void *ctx;
} mn_impact_options;

mn_status mn_impact_run(const mn_bulk *b, const mn_impact_options *o, mn_impact **out, mn_error *err);
mn_status mn_impact_write_text(const mn_impact *im, mn_buf *out);
mn_status mn_impact_write_json(const mn_impact *im, mn_buf *out);
void mn_impact_free(mn_impact *im);

#ifdef __cplusplus
}
#endif
#endif
