/*
 * service_int.h: private parts of the protocol layer (src/service/): the loaded service and the helpers its
 * endpoint files share. See include/mednec/service.h and docs/SERVICE.md.
 */
#ifndef MN_SERVICE_INT_H
#define MN_SERVICE_INT_H

#include "mednec/clinical.h"
#include "mednec/decide.h"
#include "mednec/json.h"
#include "mednec/knowledge.h"
#include "mednec/render.h"
#include "mednec/service.h"

/* Everything is loaded by mn_service_open and only read afterwards, so that mn_service_handle can run on
 * several threads at once (include/mednec/service.h). Each request has its own arena, case, determinations and
 * buffers. What the engine shares between threads, checked for this (session 15):
 * - policies, library, value sets, tables, score configuration: read-only after loading; mn_determine binds
 *   definitions in its own mn_fp_env, and memberOf() reads the policy's sorted value-set index;
 * - compiled FHIRPath: the AST's lookup cache (fp_node st_type/st_el) and the precompiled literal regexes are
 *   written only while compiling; evaluation reads them (glibc regexec locks a shared regex_t itself; a PCRE2
 *   replacement would need per-thread match data);
 * - hidden state: the UCUM unit cache (ucum.c) and the type lookup memo (eval.c) are _Thread_local; the C locale
 *   for numbers is created once through an atomic compare-and-swap (number.c); allocation failure injection is
 *   _Thread_local (arena.c);
 * - the clock: as_of fixed at open, or the UTC date read per request (gmtime_r);
 * - the audit store (opt->audit): mn_audit_show serialises itself (audit.h);
 * - libcurl (fetch.c): curl_global_init runs in mn_service_open, before any thread; each fetch has its own easy
 *   handle with CURLOPT_NOSIGNAL.
 * tests/test_service.c runs CRD and PAS requests on four threads and compares each answer with the
 * single-threaded one. */
struct mn_service {
	char *home, *policies_dir;
	char *as_of;               /* fixed "YYYY-MM-DD" or NULL (the UTC date at each request) */
	char *base_url;
	mn_audit *audit;
	mn_library *lib;
	mn_score_config *scores;   /* NULL when the knowledge folder has no scores.yaml */
	mn_tables *tables;
	size_t npolicies;          /* every version of every policy, in file-name order */
	mn_policy **policies;
};

/* The as-of date of one request: the fixed date, else today's UTC date. text holds 32 bytes. */
mn_status mn_svc_as_of(const mn_service *s, mn_datetime *out, char text[32]);

/* Fill a response: status, content type (static), body taken from b (b is emptied). MN_ENOMEM if b failed. */
mn_status mn_svc_respond(mn_service_response *out, int status, const char *content_type, mn_buf *b);
/* A FHIR OperationOutcome with one issue (severity "error"), as the response. */
mn_status mn_svc_outcome(mn_service_response *out, int status, const char *code, const char *diagnostics,
                         const char *expression);
/* A CDS Hooks error body {"error": ..., "message": ...} (CDS Hooks 2.0 leaves the body free; this is ours). */
mn_status mn_svc_cds_error(mn_service_response *out, int status, const char *error, const char *message);
/* Malformed JSON: the message names line and column. */
void mn_svc_json_error_text(const mn_error *err, char *msg, size_t n);
/* A malloc'd copy (NULL stays NULL); sets *failed on out-of-memory. */
char *mn_svc_strdup(const char *s, bool *failed);

/* Policies (every version in force on as_of) whose service codes include system|code. Fills up to max pointers,
 * returns the number found. */
size_t mn_svc_match_code(const mn_service *s, const char *system, const char *code, const mn_datetime *as_of,
                         const mn_policy **found, size_t max);

/* Endpoints. */
mn_status mn_svc_discovery(mn_service *s, const mn_service_request *req, mn_service_response *out, mn_error *err);
mn_status mn_svc_crd(mn_service *s, const char *service_id, const mn_service_request *req,
                     mn_service_response *out, mn_error *err);
mn_status mn_svc_pas_submit(mn_service *s, const mn_service_request *req, mn_service_response *out,
                            mn_error *err);
mn_status mn_svc_pas_inquire(mn_service *s, const mn_service_request *req, mn_service_response *out,
                             mn_error *err);
/* POST /Questionnaire/$questionnaire-package (Da Vinci DTR; dtr.c). */
mn_status mn_svc_dtr_package(mn_service *s, const mn_service_request *req, mn_service_response *out,
                             mn_error *err);

/* The CDS services mednec offers (discovery.c): id and hook. */
typedef struct mn_svc_hook {
	const char *id, *hook, *title, *description;
} mn_svc_hook;
extern const mn_svc_hook mn_svc_hooks[];
extern const size_t mn_svc_nhooks;
/* The prefetch templates of discovery: key and FHIR query with CDS Hooks tokens. */
extern const char *const mn_svc_prefetch[][2];
extern const size_t mn_svc_nprefetch;

/* ---- fetching what prefetch lacks (fetch.c, libcurl) ---- */

/* Call once before any thread uses the service (mn_service_open does). MN_OK or MN_EINTERNAL. */
mn_status mn_svc_fetch_init(void);
void mn_svc_fetch_cleanup(void);
/* GET base/query with "Authorization: Bearer token" and Accept application/fhir+json into out. Only https, or
 * http to a loopback host (127.0.0.1, localhost, [::1]); no redirects; 5 s; at most 16 MiB. Returns MN_OK for
 * HTTP 200, MN_ENOMEM, or MN_EIO with why filled (refused URL, transport error, other HTTP status). */
mn_status mn_svc_fetch(const char *base, const char *query, const char *token, mn_buf *out, char *why, size_t whyn);

#endif

/* ---- deciding one order or claim item (service.c) ---- */

#define MN_SVC_MAX_MATCH 8

/* One requested service: the policies its codes match and, when exactly one does, its determination. */
typedef struct mn_svc_decision {
	size_t nmatched;                     /* policies in force whose service codes match (capped) */
	const mn_policy *matched[MN_SVC_MAX_MATCH];
	const mn_policy *policy;             /* the one policy decided under (nmatched == 1), else NULL */
	mn_determination *d;                 /* its determination, or NULL */
	char codes[512];                     /* the codes looked at, "system|code, ..." (for messages) */
	/* Only shared codes (service.sharedCodes, e.g. CPT 63650 for SCS and DRG leads) matched, and neither the order
	 * nor the record names which service (service.terms): matched lists the candidates, policy is NULL, and codes
	 * ends with the reason. CRD: no coverage statement, a card; PAS: pended (A4) with the reason. */
	bool undistinguished;
} mn_svc_decision;

/* Match the codings of CodeableConcepts (NULLs skipped) to policies and, when exactly one policy matches,
 * decide under it on kase. A policy matches by one of its service.codes, or by one of its service.sharedCodes when
 * the concept's text or displays, or a request in kase carrying that code (its code or bodySite), names one of its
 * service.terms (docs/CODING.md). determine_flags go to mn_determine_flags: MN_DETERMINE_POLICY_SCORES for the CRD
 * and PAS answers (they show scores only through the policy), 0 for the review page (it shows every score). MN_OK
 * unless the engine failed (out of memory). */
mn_status mn_svc_decide(const mn_service *s, const mn_case *kase, const mn_json *const *concepts, size_t nconcepts,
                        const mn_datetime *as_of, unsigned determine_flags, mn_svc_decision *out, mn_error *err);
void mn_svc_decision_free(mn_svc_decision *dec);
/* What is missing: one line per criterion not met ("title: not documented"), each ended by '\n'. */
void mn_svc_missing(const mn_determination *d, mn_buf *b);
/* What is met: one line per criterion met. */
void mn_svc_met(const mn_determination *d, mn_buf *b);
/* A deterministic id from the parts (NULLs skipped): "mednec-" + 16 hex digits; buf holds 32 bytes. */
void mn_svc_make_id(char buf[32], const char *const *parts, size_t nparts);
/* The same parts as a UUID (for urn:uuid: fullUrls); buf holds 40 bytes. */
void mn_svc_make_uuid(char buf[40], const char *const *parts, size_t nparts);
/* The record's data-quality warnings (references that did not resolve, dropped elements), one per line. */
void mn_svc_case_warnings(const mn_case *c, mn_buf *b);
/* A decision for the audit trail: decided = 1, policy_id/version, outcome, lookup_key, and determination =
 * {"response": BODY, "determinations": [DETS]} (body: the response JSON ending in '\n'; dets: the determinations'
 * JSON, comma-separated). MN_ENOMEM on failure. */
mn_status mn_svc_audit_fields(mn_service_response *out, const char *policy_id, const char *policy_version,
                              const char *outcome, const char *lookup_key, const mn_buf *body, const mn_buf *dets);

/* Decide a stored PAS request again (the reviewer's page, src/serve/review.c): load the request Bundle as stored in
 * the audit trail (Claim first) and decide its first item that exactly one policy in force on as_of ("YYYY-MM-DD")
 * matches. On MN_OK dec->policy and dec->d are set; free dec (mn_svc_decision_free), then *kase. MN_ENOTFOUND when
 * no item is decided under one policy; the case loader's error when the request does not load. */
mn_status mn_svc_pas_redecide(const mn_service *s, const char *request, size_t len, const char *as_of, mn_case **kase,
                              mn_svc_decision *dec, mn_error *err);
