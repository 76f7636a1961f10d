/*
 * serve.c: `mednec serve` — run the HTTP service (include/mednec/serve.h, docs/SERVICE.md).
 *
 *   mednec serve --listen HOST:PORT [--store URL] [--policies DIR] [--threads N] [--jwks FILE]
 *                [--as-of DATE] [--home DIR] [--base-url URL] [--max-body BYTES]
 *                [--max-connections N] [--timeout SECONDS]
 *
 * Order of start: check the options and bind (a non-loopback address without --jwks is refused, exit 64),
 * open the audit store, load policies and knowledge once, serve until SIGTERM/SIGINT, exit 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/audit.h"
#include "mednec/serve.h"
#include "mednec/service.h"
#include "cli.h"
#include "module.h"

#define DEFAULT_STORE "sqlite:mednec-audit.db"

static int serve_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "mednec serve: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see mednec --help)\n");
	return EXIT_USAGE;
}

/* A positive whole number no larger than max; 0 when it is not one. */
static unsigned long long count_arg(const char *s, unsigned long long max)
{
	char *end = NULL;
	if (!s || *s < '0' || *s > '9')
		return 0;
	unsigned long long n = strtoull(s, &end, 10);
	return *end || n > max ? 0 : n;
}

int mn_cli_serve(int argc, char **argv)
{
	const char *listen = NULL, *store = DEFAULT_STORE, *policies = NULL, *threads = NULL, *jwks = NULL;
	const char *as_of = NULL, *home = NULL, *base_url = NULL, *max_body = NULL, *max_conn = NULL, *timeout = NULL;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **slot = NULL;
		if (strcmp(arg, "--listen") == 0) slot = &listen;
		else if (strcmp(arg, "--store") == 0) slot = &store;
		else if (strcmp(arg, "--policies") == 0) slot = &policies;
		else if (strcmp(arg, "--threads") == 0) slot = &threads;
		else if (strcmp(arg, "--jwks") == 0) slot = &jwks;
		else if (strcmp(arg, "--as-of") == 0) slot = &as_of;
		else if (strcmp(arg, "--home") == 0) slot = &home;
		else if (strcmp(arg, "--base-url") == 0) slot = &base_url;
		else if (strcmp(arg, "--max-body") == 0) slot = &max_body;
		else if (strcmp(arg, "--max-connections") == 0) slot = &max_conn;
		else if (strcmp(arg, "--timeout") == 0) slot = &timeout;
		else
			return serve_usage("unexpected argument '%s'", arg);
		if (i + 1 >= argc)
			return serve_usage("option '%s' needs a value", arg);
		*slot = argv[++i];
	}
	if (!listen)
		return serve_usage("%s", "--listen HOST:PORT is required (e.g. 127.0.0.1:8080)");
	mn_serve_options so;
	memset(&so, 0, sizeof so);
	so.listen = listen;
	so.jwks = jwks;
	so.base_url = base_url;
	if (threads && !(so.threads = (unsigned)count_arg(threads, 256)))
		return serve_usage("--threads: '%s' is not a number from 1 to 256", threads);
	if (max_body && !(so.body_max = (size_t)count_arg(max_body, 1ull << 30)))
		return serve_usage("--max-body: '%s' is not a byte count from 1 to 1073741824", max_body);
	if (max_conn && !(so.connections = (unsigned)count_arg(max_conn, 65536)))
		return serve_usage("--max-connections: '%s' is not a number from 1 to 65536", max_conn);
	if (timeout && !(so.timeout = (unsigned)count_arg(timeout, 3600)))
		return serve_usage("--timeout: '%s' is not a number of seconds from 1 to 3600", timeout);
	int mrc = mn_cli_store_check(store);  /* a postgresql:// store without mednec-pg.so: stop before listening */
	if (mrc != EXIT_OK)
		return mrc;

	mn_error err;
	mn_error_clear(&err);
	mn_server *srv = NULL;
	mn_audit *audit = NULL;
	mn_service *svc = NULL;
	int rc = EXIT_OK;
	mn_status st = mn_server_prepare(&so, &srv, &err);
	if (st == MN_OK)
		st = mn_audit_open(store, &audit, &err);
	if (st == MN_OK) {
		mn_service_options o = {mn_cli_home(home), policies, as_of, mn_server_base_url(srv), audit};
		st = mn_service_open(&o, &svc, &err);
	}
	if (st == MN_OK)
		st = mn_server_run(srv, svc, audit, &err);
	if (st != MN_OK)
		rc = mn_cli_report(&err);
	mn_service_close(svc);
	mn_audit_close(audit);
	mn_server_free(srv);
	return rc;
}

#if MN_SERVE_MODULE
/* The module's one exported symbol (module.h); everything else in it is hidden. Typeless, as the program calls
 * every module's entry (mn_cli_module_get); the module needs nothing from the program. */
__attribute__((visibility("default"))) const void *mn_serve_module_v1(const void *host);

const void *mn_serve_module_v1(const void *host)
{
	static const mn_serve_module module = {MN_SERVE_MODULE_VERSION, mn_cli_serve};
	(void)host;
	return &module;
}
#endif
