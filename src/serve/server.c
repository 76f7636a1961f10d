/*
 * server.c: `mednec serve` on libmicrohttpd (serve.h). One daemon with an internal thread pool; each request
 * is read into memory up to the body cap, authenticated (jwt.h) when a key file is set, answered by
 * /healthz, /metrics or mn_service_handle, its decision stored in the audit trail before the response is
 * queued, counted (metrics.c) and logged in one line without patient data.
 *
 * The service endpoints are not answered on libmicrohttpd's threads: a request whose body is read is suspended
 * and queued for the deciding threads (as many as --threads), which take requests in arrival order from one
 * queue whatever connection they came on (libmicrohttpd gives each connection to one of its threads for good:
 * with a few keep-alive connections, all of them often land on one thread, and one CPU decided while the other
 * idled). A decision's audit row is queued for the store's writer thread (mn_audit_append_async: it commits the
 * rows queued meanwhile in one transaction), and the deciding thread takes the next request; the connection is
 * resumed, and its response queued, once the row is durable (or the store failed: 503).
 */
#include "mednec/serve.h"

#include "jwt.h"
#include "metrics.h"
#include "review.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* libmicrohttpd's memory per connection and the step its read buffer grows by. With its default of 32 KiB a 74 KB
 * request was read 16 KiB per recv with an epoll_wait between (5.9 and 3.1 per request; 1.6 and 1.9 now), and a
 * system call costs about 1 us on this kind of VM. It also bounds the headers (431 beyond: docs/SERVICE.md). */
#define MN_SERVE_CONN_MEMORY (256u << 10)
#define MN_SERVE_READ_INCREMENT (64u << 10)

struct mn_server {
	mn_serve_options opt;
	int fd;                  /* the bound listening socket */
	char base_url[300];
	mn_jwks *jwks;
	mn_metrics metrics;
	mn_service *service;
	mn_audit *audit;
	mn_review *review;       /* the reviewer's page (review.h) */
	atomic_int inflight;     /* requests begun and not yet completed */
	atomic_int suspended;    /* connections suspended while deciding or committing their row */
	atomic_bool stopping;
	/* the deciding threads and their queue */
	pthread_t *deciders;
	unsigned ndeciders;
	pthread_mutex_t jobs_mu;
	pthread_cond_t jobs_cv;
	struct request *jobs_head, **jobs_last;
	bool jobs_stop;
};

typedef struct request {
	struct timespec t0;
	char received[64];       /* RFC 3339 UTC, what the audit row stores */
	char id[40];             /* the request id (X-Request-Id, audit row id) */
	int endpoint;            /* MN_EP_* */
	bool too_large, answered;
	mn_buf body;
	/* a service request handed to the deciding threads (the connection suspended meanwhile) */
	bool queued;             /* suspended and queued; ready once decided and its row (if any) reported */
	atomic_bool ready;
	struct request *next_job;
	mn_server *server;
	struct MHD_Connection *conn;
	char *url;
	char method[16];
	mn_status svc_st;        /* mn_service_handle's status */
	mn_service_response resp;
	char sha[65];
	mn_audit_record rec;
	mn_status audit_st;
} request;

/* ---- small helpers ------------------------------------------------------ */

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A random version-4 UUID (RFC 9562) from OpenSSL's generator; the counter is the fallback's uniqueness. The
 * generator is asked for 64 ids' bytes at a time per thread (each call costs about 10 us here: locks and a check
 * for fork), and each id's 16 bytes are used once and wiped. */
static void new_request_id(char out[40])
{
	static atomic_ulong counter;
	static _Thread_local unsigned char pool[64 * 16];
	static _Thread_local size_t pool_left;
	unsigned char b[16];
	bool ok = pool_left > 0;
	if (!ok && RAND_bytes(pool, sizeof pool) == 1) {
		pool_left = sizeof pool;
		ok = true;
	}
	if (ok) {
		pool_left -= sizeof b;
		memcpy(b, pool + pool_left, sizeof b);
		memset(pool + pool_left, 0, sizeof b);
	} else {
		unsigned long n = atomic_fetch_add(&counter, 1);
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		memcpy(b, &t, sizeof t < 8 ? sizeof t : 8);
		memcpy(b + 8, &n, sizeof n < 8 ? sizeof n : 8);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[b[i] >> 4];
		out[k++] = hex[b[i] & 15];
	}
	out[k] = '\0';
}

static void rfc3339_now(char out[64])
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	struct tm tm;
	gmtime_r(&t.tv_sec, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	         tm.tm_hour, tm.tm_min, tm.tm_sec, t.tv_nsec / 1000000);
}

static int endpoint_of(const char *url)
{
	if (strcmp(url, "/healthz") == 0)
		return MN_EP_HEALTHZ;
	if (strcmp(url, "/metrics") == 0)
		return MN_EP_METRICS;
	if (strcmp(url, "/cds-services") == 0)
		return MN_EP_DISCOVERY;
	if (strncmp(url, "/cds-services/", 14) == 0 && url[14] && !strchr(url + 14, '/'))
		return MN_EP_HOOK;
	if (strcmp(url, "/Claim/$submit") == 0)
		return MN_EP_SUBMIT;
	if (strcmp(url, "/Claim/$inquire") == 0)
		return MN_EP_INQUIRE;
	if (strcmp(url, "/review") == 0 || strncmp(url, "/review/", 8) == 0)
		return MN_EP_REVIEW;
	if (strcmp(url, "/Questionnaire/$questionnaire-package") == 0)
		return MN_EP_QPACKAGE;
	return MN_EP_OTHER;
}

static bool is_fhir_endpoint(int ep)
{
	return ep == MN_EP_SUBMIT || ep == MN_EP_INQUIRE || ep == MN_EP_QPACKAGE;
}

/* ---- responses ---------------------------------------------------------- */

/* Queue a response whose body is malloc'd (taken over) or static; count it and write the log line. */
static enum MHD_Result answer(mn_server *s, struct MHD_Connection *c, request *r, int status, const char *ctype,
                              char *body, size_t len, bool owned, const char *outcome, const char *extra_name,
                              const char *extra_value)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body,
	                                                            owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (extra_name)
		MHD_add_response_header(resp, extra_name, extra_value);
	if (atomic_load(&s->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->answered = true;
	double secs = seconds_since(&r->t0);
	mn_metrics_count(&s->metrics, r->endpoint, status, secs);
	fprintf(stderr, "mednec: request id=%s endpoint=%s status=%d outcome=%s latency_ms=%.3f\n", r->id,
	        mn_metrics_endpoint_name(r->endpoint), status, outcome ? outcome : "-", secs * 1000.0);
	return ok;
}

/* A transport-level error: an OperationOutcome on the FHIR endpoints, {"error": ...} elsewhere. */
static enum MHD_Result answer_error(mn_server *s, struct MHD_Connection *c, request *r, int status,
                                    const char *fhir_code, const char *message, const char *extra_name,
                                    const char *extra_value)
{
	mn_buf b = MN_BUF_INIT;
	if (is_fhir_endpoint(r->endpoint)) {
		mn_buf_printf(&b, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"%s\","
		              "\"diagnostics\":", fhir_code);
		mn_buf_put_json_string(&b, message, strlen(message));
		mn_buf_puts(&b, "}]}\n");
	} else {
		mn_buf_puts(&b, "{\"error\":");
		mn_buf_put_json_string(&b, message, strlen(message));
		mn_buf_puts(&b, "}\n");
	}
	if (b.failed) {
		mn_buf_free(&b);
		return MHD_NO;
	}
	size_t len = 0;
	char *body = mn_buf_detach(&b, &len);
	return answer(s, c, r, status, is_fhir_endpoint(r->endpoint) ? "application/fhir+json" : "application/json",
	              body, len, true, "-", extra_name, extra_value);
}

/* ---- the request path --------------------------------------------------- */

/* 405 for a known endpoint and a method it does not take; NULL when the method is fine. */
static const char *allowed_methods(int ep, const char *method)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	switch (ep) {
	case MN_EP_HEALTHZ: case MN_EP_METRICS: case MN_EP_DISCOVERY:
		return get ? NULL : "GET, HEAD";
	case MN_EP_HOOK: case MN_EP_SUBMIT: case MN_EP_INQUIRE: case MN_EP_QPACKAGE:
		return post ? NULL : "POST";
	case MN_EP_REVIEW:
		return get || post ? NULL : "GET, HEAD, POST";
	default:
		return NULL;
	}
}

/* CDS Hooks authentication; NULL when accepted, else the reason (in err). */
static mn_status authenticate(mn_server *s, struct MHD_Connection *c, const char *url, mn_error *err)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth)
		return mn_error_set(err, MN_EUSAGE, "an Authorization: Bearer token is required");
	if (strncmp(auth, "Bearer ", 7) != 0)
		return mn_error_set(err, MN_EUSAGE, "the Authorization header must be a Bearer token");
	const char *tok = auth + 7;
	while (*tok == ' ')
		tok++;
	char aud[600];
	if ((size_t)snprintf(aud, sizeof aud, "%s%s", s->base_url, url) >= sizeof aud)
		return mn_error_set(err, MN_EUSAGE, "request path too long");
	return mn_jwt_verify(s->jwks, tok, strlen(tok), aud, (long long)time(NULL), err);
}

static enum MHD_Result healthz(mn_server *s, struct MHD_Connection *c, request *r)
{
	static char ok[] = "{\"status\":\"ok\"}\n";
	return answer(s, c, r, 200, "application/json", ok, sizeof ok - 1, false, "-", NULL, NULL);
}

static enum MHD_Result metrics(mn_server *s, struct MHD_Connection *c, request *r)
{
	mn_buf b = MN_BUF_INIT;
	mn_metrics_write(&s->metrics, atomic_load(&s->inflight), &b);
	if (b.failed) {
		mn_buf_free(&b);
		return answer_error(s, c, r, 500, "exception", "out of memory", NULL, NULL);
	}
	size_t len = 0;
	char *body = mn_buf_detach(&b, &len);
	return answer(s, c, r, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, true, "-", NULL, NULL);
}

/* The reviewer's page (review.c); a decision is stored there before its answer. */
static enum MHD_Result review(mn_server *s, struct MHD_Connection *c, request *r, const char *url, const char *method)
{
	mn_review_request q = {method, url, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
	                       r->body.len ? r->body.data : NULL, r->body.len, r->id, r->received};
	mn_review_response resp;
	mn_error err;
	mn_error_clear(&err);
	mn_status st = s->review ? mn_review_handle(s->review, &q, &resp, &err) : MN_EINTERNAL;
	if (st != MN_OK) {
		free(s->review ? resp.body : NULL);
		fprintf(stderr, "mednec: request id=%s: internal error: %s\n", r->id, mn_status_name(st));
		return answer_error(s, c, r, st == MN_ENOMEM ? 503 : 500, "exception",
		                    "internal error; the request id names it in the server log", NULL, NULL);
	}
	if (resp.outcome)
		mn_metrics_outcome(&s->metrics, resp.outcome);
	return answer(s, c, r, resp.status, resp.content_type, resp.body, resp.body_len, true,
	              resp.outcome ? resp.outcome : "-", resp.header_name, resp.header_value);
}

/* The response of a handled request (its audit row, if any, committed); resp is freed. */
static enum MHD_Result respond(mn_server *s, struct MHD_Connection *c, request *r, mn_service_response *resp)
{
	char *body = resp->body;
	size_t len = resp->body_len;
	resp->body = NULL;
	int status = resp->status ? resp->status : 500;
	const char *ctype = resp->content_type ? resp->content_type : "application/json";
	char outcome[64];
	snprintf(outcome, sizeof outcome, "%s", resp->decided && resp->outcome ? resp->outcome : "-");
	mn_service_response_free(resp);
	if (!body) {
		static char empty[] = "";
		return answer(s, c, r, status, ctype, empty, 0, false, outcome, NULL, NULL);
	}
	return answer(s, c, r, status, ctype, body, len, true, outcome, NULL, NULL);
}

/* The request is decided and its row, if any, reported: the connection is resumed, and on_request answers. */
static void resume(request *r)
{
	mn_server *s = r->server;
	atomic_store(&r->ready, true);
	MHD_resume_connection(r->conn);   /* r belongs to the connection again from here */
	atomic_fetch_sub(&s->suspended, 1);
}

/* The store's report on a decision's row (its writer thread, or the deciding thread when the row could not be
 * queued). */
static void audit_done(void *ctx, mn_status st, const mn_error *err)
{
	request *r = ctx;
	(void)err;   /* the log names the status; the store's message may quote the record */
	r->audit_st = st;
	resume(r);
}

/* On a deciding thread: hand the request to the protocol layer; queue a decision's row. */
static void decide(mn_server *s, request *r)
{
	/* the body's hash as received first: the service may parse the body in place (body_writable) */
	mn_sha256_hex(r->body.len ? r->body.data : "", r->body.len, r->sha);
	mn_service_request q = {r->method, r->url, r->body.len ? r->body.data : NULL, r->body.len, r->id, 1};
	mn_error err;
	mn_error_clear(&err);
	r->svc_st = mn_service_handle(s->service, &q, &r->resp, &err);
	if (r->svc_st != MN_OK || !r->resp.decided) {
		resume(r);
		return;
	}
	/* store the decision first: audit_done resumes the connection once the row is committed */
	mn_service_response *resp = &r->resp;
	r->rec = (mn_audit_record){r->id, r->received, resp->endpoint ? resp->endpoint : "",
	                           resp->policy_id ? resp->policy_id : "", resp->policy_version ? resp->policy_version : "",
	                           r->sha, resp->outcome ? resp->outcome : "", resp->lookup_key ? resp->lookup_key : "",
	                           resp->determination ? resp->determination : ""};
	mn_error aerr;
	mn_error_clear(&aerr);
	mn_status ast = s->audit ? mn_audit_append_async(s->audit, &r->rec, audit_done, r, &aerr)
	                         : mn_error_set(&aerr, MN_EINTERNAL, "no audit store");
	if (ast != MN_OK)
		audit_done(r, ast, &aerr);
}

static void *decider_main(void *p)
{
	mn_server *s = p;
	for (;;) {
		pthread_mutex_lock(&s->jobs_mu);
		while (!s->jobs_head && !s->jobs_stop)
			pthread_cond_wait(&s->jobs_cv, &s->jobs_mu);
		request *r = s->jobs_head;
		if (r) {
			s->jobs_head = r->next_job;
			if (!s->jobs_head)
				s->jobs_last = &s->jobs_head;
		}
		pthread_mutex_unlock(&s->jobs_mu);
		if (!r)
			return NULL;   /* stopping, nothing queued */
		decide(s, r);
	}
}

/* Suspend the connection and queue its request for the deciding threads. */
static enum MHD_Result enqueue(mn_server *s, struct MHD_Connection *c, request *r, const char *url, const char *method)
{
	r->url = strdup(url);
	if (!r->url)
		return answer_error(s, c, r, 503, "transient", "out of memory reading the request", NULL, NULL);
	snprintf(r->method, sizeof r->method, "%s", method);
	r->server = s;
	r->conn = c;
	r->queued = true;
	atomic_fetch_add(&s->suspended, 1);
	MHD_suspend_connection(c);
	pthread_mutex_lock(&s->jobs_mu);
	*s->jobs_last = r;   /* at the end of the queue */
	s->jobs_last = &r->next_job;
	pthread_cond_signal(&s->jobs_cv);
	pthread_mutex_unlock(&s->jobs_mu);
	return MHD_YES;
}

/* The connection resumed: answer the decided request (503 when its decision's row was not stored). */
static enum MHD_Result decided(mn_server *s, struct MHD_Connection *c, request *r)
{
	r->queued = false;
	if (r->svc_st != MN_OK) {
		mn_service_response_free(&r->resp);
		fprintf(stderr, "mednec: request id=%s: internal error: %s\n", r->id, mn_status_name(r->svc_st));
		return answer_error(s, c, r, r->svc_st == MN_ENOMEM ? 503 : 500, "exception",
		                    "internal error; the request id names it in the server log", NULL, NULL);
	}
	if (r->resp.decided) {
		if (r->audit_st != MN_OK) {
			mn_service_response_free(&r->resp);
			mn_metrics_audit_failure(&s->metrics);
			fprintf(stderr, "mednec: request id=%s: audit store failed (%s); the decision was not sent\n", r->id,
			        mn_status_name(r->audit_st));
			return answer_error(s, c, r, 503, "transient",
			                    "the decision could not be recorded in the audit trail; nothing was decided, "
			                    "try again", "Retry-After", "1");
		}
		mn_metrics_outcome(&s->metrics, r->resp.outcome ? r->resp.outcome : "unknown");
	}
	return respond(s, c, r, &r->resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	mn_server *s = cls;
	request *r = *con_cls;
	if (!r) {
		/* first call: headers only */
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		atomic_fetch_add(&s->inflight, 1);
		clock_gettime(CLOCK_MONOTONIC, &r->t0);
		rfc3339_now(r->received);
		new_request_id(r->id);
		r->endpoint = endpoint_of(url);
		r->body.max = s->opt.body_max + 1;
		const char *allow = allowed_methods(r->endpoint, method);
		if (allow)
			return answer_error(s, c, r, 405, "not-supported", "method not allowed on this endpoint", "Allow", allow);
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end = NULL;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno || end == cl || n > s->opt.body_max) {
				char msg[128];
				snprintf(msg, sizeof msg, "request body larger than %zu bytes", s->opt.body_max);
				return answer_error(s, c, r, 413, "too-long", msg, NULL, NULL);
			}
			/* a body of up to 1 MiB in one allocation, not copied again each time the buffer doubles (a larger
			 * one, or when the allocation fails, grows as it arrives: a client must send what it announces) */
			if (n > 0 && n <= (1u << 20) && (r->body.data = malloc((size_t)n + 1)) != NULL)
				r->body.cap = (size_t)n + 1;
		}
		if (s->jwks && r->endpoint != MN_EP_HEALTHZ && r->endpoint != MN_EP_METRICS) {
			mn_error err;
			mn_error_clear(&err);
			mn_status st = authenticate(s, c, url, &err);
			if (st == MN_ELIMIT || st == MN_ENOMEM)
				return answer_error(s, c, r, 503, "transient", err.message, "Retry-After", "1");
			if (st != MN_OK) {
				char challenge[900];
				snprintf(challenge, sizeof challenge, "Bearer error=\"invalid_token\", error_description=\"%s\"",
				         err.message);
				return answer_error(s, c, r, 401, "login", err.message, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge);
			}
		}
		return MHD_YES;
	}
	if (r->queued)   /* resumed: decided, and its row committed (or the store failed) */
		return atomic_load(&r->ready) ? decided(s, c, r) : MHD_YES;
	if (r->answered) {
		*upload_data_size = 0;   /* an early answer (405, 413, 401): the rest of the body is not read */
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* a body without Content-Length (chunked) is counted as it arrives; past the cap it is dropped */
		if (!r->too_large && (r->body.len + *upload_data_size > s->opt.body_max ||
		                      mn_buf_put(&r->body, upload_data, *upload_data_size) != 0))
			r->too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->too_large) {
		if (r->body.len <= s->opt.body_max && r->body.failed)
			return answer_error(s, c, r, 503, "transient", "out of memory reading the request", NULL, NULL);
		char msg[128];
		snprintf(msg, sizeof msg, "request body larger than %zu bytes", s->opt.body_max);
		return answer_error(s, c, r, 413, "too-long", msg, NULL, NULL);
	}
	if (r->endpoint == MN_EP_HEALTHZ)
		return healthz(s, c, r);
	if (r->endpoint == MN_EP_METRICS)
		return metrics(s, c, r);
	if (r->endpoint == MN_EP_REVIEW)
		return review(s, c, r, url, strcmp(method, "HEAD") == 0 ? "GET" : method);
	return enqueue(s, c, r, url, strcmp(method, "HEAD") == 0 ? "GET" : method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	mn_server *s = cls;
	request *r = *con_cls;
	if (!r)
		return;
	if (!r->answered)   /* the client went away or timed out before its request was complete */
		fprintf(stderr, "mednec: request id=%s endpoint=%s status=- outcome=- (connection closed before an answer)\n",
		        r->id, mn_metrics_endpoint_name(r->endpoint));
	mn_buf_free(&r->body);
	mn_service_response_free(&r->resp);
	free(r->url);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/* ---- the address -------------------------------------------------------- */

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

/* HOST:PORT or [V6]:PORT into host and port strings. */
static mn_status split_listen(const char *listen, char *host, size_t hostsz, char *port, size_t portsz,
                              mn_error *err)
{
	const char *colon = NULL, *h = listen;
	size_t hn = 0;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':')
			return mn_error_set(err, MN_EUSAGE, "--listen '%s': expected [IPV6]:PORT", listen);
		h = listen + 1;
		hn = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || strchr(listen, ':') != colon)
			return mn_error_set(err, MN_EUSAGE, "--listen '%s': expected HOST:PORT", listen);
		hn = (size_t)(colon - listen);
	}
	const char *p = colon + 1;
	char *end = NULL;
	long pn = strtol(p, &end, 10);
	if (!*p || *end || pn < 0 || pn > 65535 || hn == 0 || hn >= hostsz)
		return mn_error_set(err, MN_EUSAGE, "--listen '%s': expected HOST:PORT with a port 0-65535", listen);
	memcpy(host, h, hn);
	host[hn] = 0;
	snprintf(port, portsz, "%ld", pn);
	return MN_OK;
}

static mn_status bind_listen(mn_server *s, mn_error *err)
{
	char host[256], port[8];
	mn_status st = split_listen(s->opt.listen, host, sizeof host, port, sizeof port, err);
	if (st != MN_OK)
		return st;
	struct addrinfo hints, *ai = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0 || !ai)
		return mn_error_set(err, MN_EUSAGE, "--listen: cannot resolve '%s': %s", host, gai_strerror(rc));
	if (!s->jwks && !is_loopback(ai->ai_addr)) {
		freeaddrinfo(ai);
		return mn_error_set(err, MN_EUSAGE, "refusing to listen on '%s' without --jwks: unauthenticated service "
		                    "is for loopback addresses only (127.0.0.0/8, ::1)", host);
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return mn_error_set(err, MN_EIO, "cannot listen on %s: %s", s->opt.listen, strerror(e));
	}
	struct sockaddr_storage bound;
	socklen_t bl = sizeof bound;
	getsockname(fd, (struct sockaddr *)&bound, &bl);
	unsigned bport = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
	                                                 : ((struct sockaddr_in *)&bound)->sin_port);
	char addr[INET6_ADDRSTRLEN] = "";
	if (bound.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&bound)->sin6_addr, addr, sizeof addr);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&bound)->sin_addr, addr, sizeof addr);
	freeaddrinfo(ai);
	s->fd = fd;
	if (s->opt.base_url) {
		snprintf(s->base_url, sizeof s->base_url, "%s", s->opt.base_url);
		size_t n = strlen(s->base_url);
		while (n && s->base_url[n - 1] == '/')
			s->base_url[--n] = 0;
	} else {
		snprintf(s->base_url, sizeof s->base_url, bound.ss_family == AF_INET6 ? "http://[%s]:%u" : "http://%s:%u",
		         addr, bport);
	}
	return MN_OK;
}

/* ---- lifecycle ---------------------------------------------------------- */

mn_status mn_server_prepare(const mn_serve_options *opt, mn_server **out, mn_error *err)
{
	*out = NULL;
	if (!opt->listen)
		return mn_error_set(err, MN_EUSAGE, "--listen HOST:PORT is required");
	mn_server *s = calloc(1, sizeof *s);
	if (!s)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	s->fd = -1;
	s->opt = *opt;
	if (!s->opt.body_max)
		s->opt.body_max = MN_SERVE_BODY_MAX_DEFAULT;
	if (!s->opt.connections)
		s->opt.connections = MN_SERVE_CONNECTIONS_DEFAULT;
	if (!s->opt.timeout)
		s->opt.timeout = MN_SERVE_TIMEOUT_DEFAULT;
	if (!s->opt.threads) {
		/* one CPU fewer than there are, at least one: the connections' threads, the store's writer and its
		 * checkpointer need the last (2 CPUs: one deciding thread answered about 10% more requests at 4
		 * connections than two, with less CPU per answer; docs/PERFORMANCE.md, session 19) */
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		s->opt.threads = n > 1 && n <= 256 ? (unsigned)n - 1 : 1;
	}
	if (s->opt.connections < s->opt.threads) {
		unsigned c = s->opt.connections, t = s->opt.threads;
		mn_server_free(s);
		return mn_error_set(err, MN_EUSAGE, "--max-connections (%u) must be at least the number of threads (%u): "
		                    "each thread takes its share", c, t);
	}
	unsigned char warm[16];
	if (RAND_bytes(warm, sizeof warm) != 1)   /* seeds the generator now, not in the first request */
		fprintf(stderr, "mednec: warning: OpenSSL's random generator is not ready; request ids use a fallback\n");
	mn_status st = opt->jwks ? mn_jwks_load(opt->jwks, &s->jwks, err) : MN_OK;
	if (st == MN_OK)
		st = bind_listen(s, err);
	if (st == MN_OK)
		st = mn_metrics_init(&s->metrics) == 0 ? MN_OK : mn_error_set(err, MN_ENOMEM, "out of memory");
	if (st != MN_OK) {
		mn_server_free(s);
		return st;
	}
	*out = s;
	return MN_OK;
}

const char *mn_server_base_url(const mn_server *s)
{
	return s->base_url;
}

void mn_server_free(mn_server *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	mn_jwks_free(s->jwks);
	mn_metrics_destroy(&s->metrics);
	free(s);
}

/* Stop the deciding threads once the queue is empty, and wait for them. */
static void stop_deciders(mn_server *s)
{
	pthread_mutex_lock(&s->jobs_mu);
	s->jobs_stop = true;
	pthread_cond_broadcast(&s->jobs_cv);
	pthread_mutex_unlock(&s->jobs_mu);
	for (unsigned i = 0; i < s->ndeciders; i++)
		pthread_join(s->deciders[i], NULL);
	free(s->deciders);
	s->deciders = NULL;
	s->ndeciders = 0;
	pthread_cond_destroy(&s->jobs_cv);
	pthread_mutex_destroy(&s->jobs_mu);
}

static mn_status start_deciders(mn_server *s, mn_error *err)
{
	s->jobs_stop = false;
	s->jobs_head = NULL;
	s->jobs_last = &s->jobs_head;
	s->deciders = calloc(s->opt.threads, sizeof *s->deciders);
	if (!s->deciders || pthread_mutex_init(&s->jobs_mu, NULL) != 0) {
		free(s->deciders);
		s->deciders = NULL;
		return mn_error_set(err, MN_ENOMEM, "cannot start the deciding threads");
	}
	if (pthread_cond_init(&s->jobs_cv, NULL) != 0) {
		pthread_mutex_destroy(&s->jobs_mu);
		free(s->deciders);
		s->deciders = NULL;
		return mn_error_set(err, MN_ENOMEM, "cannot start the deciding threads");
	}
	while (s->ndeciders < s->opt.threads && pthread_create(&s->deciders[s->ndeciders], NULL, decider_main, s) == 0)
		s->ndeciders++;
	if (s->ndeciders < s->opt.threads) {
		stop_deciders(s);
		return mn_error_set(err, MN_ENOMEM, "cannot start the deciding threads");
	}
	return MN_OK;
}

mn_status mn_server_run(mn_server *s, mn_service *service, mn_audit *audit, mn_error *err)
{
	s->service = service;
	s->audit = audit;
	mn_status rst = mn_review_new(service, audit, &s->review, err);
	if (rst != MN_OK)
		return rst;
	/* Block the stop signals here, so the daemon's threads inherit the mask and sigwait below takes them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	rst = start_deciders(s, err);
	if (rst != MN_OK) {
		mn_review_free(s->review);
		s->review = NULL;
		return rst;
	}

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->opt.threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->opt.connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->opt.timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MN_SERVE_CONN_MEMORY,
		MHD_OPTION_CONNECTION_MEMORY_INCREMENT, (size_t)MN_SERVE_READ_INCREMENT,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_END);
	if (!d) {
		stop_deciders(s);
		mn_review_free(s->review);
		s->review = NULL;
		return mn_error_set(err, MN_EIO, "the HTTP daemon did not start on %s", s->opt.listen);
	}
	fprintf(stderr, "mednec: listening on %s (%u threads, body cap %zu bytes, %u connections, %u s timeout, %s)\n",
	        s->base_url, s->opt.threads, s->opt.body_max, s->opt.connections, s->opt.timeout,
	        s->jwks ? "JWT required" : "no authentication: loopback only");

	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	/* Stop accepting; let what has begun finish. */
	atomic_store(&s->stopping, true);
	MHD_socket lfd = MHD_quiesce_daemon(d);
	fprintf(stderr, "mednec: %s: no longer accepting; %d request(s) in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
	        atomic_load(&s->inflight));
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load(&s->inflight) > 0 && seconds_since(&t0) < MN_SERVE_GRACE) {
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	int left = atomic_load(&s->inflight);
	/* The daemon must not stop with a connection suspended: wait for the store to report every queued row
	 * (a commit, or the store's own timeout) and every queued request to be decided; their answers are not
	 * sent when the grace period is over. */
	while (atomic_load(&s->suspended) > 0) {
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	MHD_stop_daemon(d);
	stop_deciders(s);
	if (lfd != MHD_INVALID_SOCKET)
		s->fd = lfd;   /* closed by mn_server_free */
	else
		s->fd = -1;    /* the daemon closed it */
	mn_review_free(s->review);
	s->review = NULL;
	fprintf(stderr, "mednec: stopped%s\n", left ? " (grace period over with requests unfinished)" : "");
	return MN_OK;
}
