/*
 * service.h: mednec as a service — the protocol layer between HTTP and the engine. Transport-free:
 * a request (method, path, headers of interest, body) in, a response (status, content type, body) out, plus
 * what the audit trail must store. src/serve/ wraps it in libmicrohttpd; tests call it directly too.
 *
 * Endpoints (docs/SERVICE.md): GET /cds-services (CDS Hooks discovery), POST /cds-services/{id} (CDS Hooks with
 * Da Vinci CRD: order-sign, order-select), POST /Claim/$submit and /Claim/$inquire (Da Vinci PAS).
 * /healthz and /metrics belong to the HTTP layer.
 *
 * Thread safety: mn_service_handle may be called from several threads at once on one mn_service.
 */
#ifndef MEDNEC_SERVICE_H
#define MEDNEC_SERVICE_H

#include "mednec/audit.h"
#include "mednec/util.h"

#include <stddef.h>

typedef struct mn_service mn_service;

typedef struct mn_service_options {
	const char *home;        /* repository/installation folder holding policies/, knowledge/, evidence/ */
	const char *policies;    /* policies folder; NULL = HOME/policies */
	const char *as_of;       /* "YYYY-MM-DD" fixes the clock (tests); NULL = today's date */
	const char *base_url;    /* this service's public base URL (for JWT aud and links); may be NULL */
	mn_audit *audit;         /* the store, read by $inquire; may be NULL (then $inquire finds nothing) */
} mn_service_options;

/* Load and compile policies and knowledge once. */
mn_status mn_service_open(const mn_service_options *opt, mn_service **out, mn_error *err);
void mn_service_close(mn_service *s);

typedef struct mn_service_request {
	const char *method;      /* "GET", "POST" */
	const char *path;        /* URL path without query, e.g. "/cds-services/mednec-order-sign" */
	const char *body;        /* may be NULL for GET */
	size_t body_len;
	const char *request_id;  /* caller-generated, echoed into the audit record */
	/* Nonzero: body is the caller's scratch, NUL-terminated at body_len, and mn_service_handle may write into it
	 * (a CDS Hooks request is parsed in place: each string's closing quote becomes its NUL, mn_json_parse_insitu);
	 * hash or keep the text as received before. Zero: body is not changed. */
	int body_writable;
} mn_service_request;

typedef struct mn_service_response {
	int status;              /* HTTP status */
	const char *content_type;/* static string, e.g. "application/json", "application/fhir+json" */
	char *body;              /* malloc'd; freed by mn_service_response_free */
	size_t body_len;
	/* What the audit trail stores (decided = 1 when the request made a decision that must be stored
	 * before the response is sent). Strings malloc'd or static; freed by mn_service_response_free. */
	int decided;
	char *endpoint, *policy_id, *policy_version, *outcome, *lookup_key, *determination;
} mn_service_response;

/* Handle one request. Returns MN_OK with a response for every HTTP-level outcome (400, 404, 413, 422 ... are
 * responses, not errors); a non-OK status only for out-of-memory or an internal failure. */
mn_status mn_service_handle(mn_service *s, const mn_service_request *req, mn_service_response *out,
                            mn_error *err);
void mn_service_response_free(mn_service_response *r);

#endif
