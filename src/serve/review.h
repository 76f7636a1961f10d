/*
 * review.h: the reviewer's page of `mednec serve` (docs/REVIEWER.md): GET /review (the queue of pended and recent
 * PAS cases in the audit trail), GET /review/case/ID (one case: criteria checklist with evidence, timeline,
 * missing documentation, scores, the letter), GET /review/case/ID/letter and .../letter.pdf, and
 * POST /review/case/ID/decision (a physician's decision, stored in the audit trail as a MN_AUDIT_KIND_REVIEW row
 * before the answer is sent). ID is the opaque audit row id of the case; nothing else identifies a case in a URL.
 */
#ifndef MN_SERVE_REVIEW_H
#define MN_SERVE_REVIEW_H

#include "mednec/audit.h"
#include "mednec/service.h"

typedef struct mn_review mn_review;

/* Make the page's state: a random key for the CSRF tokens (valid until the server stops). */
mn_status mn_review_new(mn_service *service, mn_audit *audit, mn_review **out, mn_error *err);
/* Call when no thread uses the page any more (after the HTTP daemon stopped): it also shuts the PDF writer's
 * fontconfig down when a PDF was written (render.h). */
void mn_review_free(mn_review *rv);

typedef struct mn_review_request {
	const char *method;       /* "GET" (HEAD too) or "POST" */
	const char *path;         /* starts with "/review" */
	const char *content_type; /* of a POST, or NULL */
	const char *body;
	size_t body_len;
	const char *request_id;   /* the new audit row's id for a decision */
	const char *received;     /* RFC 3339 */
} mn_review_request;

typedef struct mn_review_response {
	int status;
	const char *content_type;        /* static */
	char *body;                      /* malloc'd; the caller frees it */
	size_t body_len;
	const char *header_name;         /* one extra header (Location, Content-Security-Policy, ...), or NULL */
	char header_value[400];
	const char *outcome;             /* static: "approved"/"denied" when a decision was stored, else NULL */
} mn_review_response;

/* Answer one request. MN_OK with a response for every page and refusal (400, 403, 404, 409, 422, 503 are
 * responses); another status only for out of memory. */
mn_status mn_review_handle(mn_review *rv, const mn_review_request *req, mn_review_response *out, mn_error *err);

#endif
