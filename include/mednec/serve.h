/*
 * serve.h: `mednec serve` — the HTTP/1.1 layer (libmicrohttpd) around mn_service (service.h) and the audit
 * trail (audit.h). docs/SERVICE.md describes endpoints, limits and the security model.
 *
 * What this layer does itself: GET /healthz, GET /metrics (Prometheus text), request ids (returned in the
 * X-Request-Id header and used as the audit row id), the body cap (413), 405 for a wrong method on a known
 * endpoint, CDS Hooks JWT checks (401) when a key file is configured, a log line per request on stderr
 * (request id, method, endpoint class, status, outcome, latency; never a path beyond the endpoint class, a
 * header value or a body byte), and storing every decision in the audit trail before its response is
 * queued (503 when the store fails: no decision leaves unrecorded). Everything else is mn_service_handle's.
 */
#ifndef MEDNEC_SERVE_H
#define MEDNEC_SERVE_H

#include "mednec/audit.h"
#include "mednec/service.h"
#include "mednec/util.h"

#include <stddef.h>

#define MN_SERVE_BODY_MAX_DEFAULT (4u << 20)  /* bytes of request body; more gets 413 */
#define MN_SERVE_CONNECTIONS_DEFAULT 256      /* open connections; more wait in the accept backlog */
#define MN_SERVE_TIMEOUT_DEFAULT 15           /* seconds a connection may stay idle (slow clients) */
#define MN_SERVE_GRACE 20                     /* seconds in-flight requests get to finish after SIGTERM */

typedef struct mn_serve_options {
	const char *listen;      /* "HOST:PORT" or "[IPv6]:PORT"; port 0 = any free port */
	unsigned threads;        /* worker threads; 0 = one fewer than the online CPUs, at least 1 */
	size_t body_max;         /* 0 = MN_SERVE_BODY_MAX_DEFAULT */
	unsigned connections;    /* 0 = MN_SERVE_CONNECTIONS_DEFAULT */
	unsigned timeout;        /* 0 = MN_SERVE_TIMEOUT_DEFAULT */
	const char *jwks;        /* key file (src/serve/jwt.h); NULL = no authentication: loopback only */
	const char *base_url;    /* public base URL (JWT aud = base URL + path); NULL = http://HOST:PORT */
} mn_serve_options;

typedef struct mn_server mn_server;

/* Check the options: parse the address, refuse a non-loopback address without a key file (MN_EUSAGE), load
 * the key file, bind the listening socket (MN_EIO when the address cannot be bound). No request is answered
 * before mn_server_run. */
mn_status mn_server_prepare(const mn_serve_options *opt, mn_server **out, mn_error *err);
/* The base URL requests are checked against, "http://HOST:PORT" with the bound port unless given. */
const char *mn_server_base_url(const mn_server *s);
/* Bind, serve until SIGTERM or SIGINT, stop accepting, let in-flight requests finish (up to MN_SERVE_GRACE
 * seconds), return MN_OK. The signals are blocked in the calling thread (and so in the server's threads). */
mn_status mn_server_run(mn_server *s, mn_service *service, mn_audit *audit, mn_error *err);
void mn_server_free(mn_server *s);

#endif
