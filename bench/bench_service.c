/*
 * bench_service.c: mn_service_handle called N times on one request, without HTTP (bench/service.sh).
 * For instruction counts: valgrind --tool=callgrind bench_service HOME POLICIES REQUEST.json N
 *
 *   bench_service HOME POLICIES REQUEST.json [N] [PATH]
 *
 * Opens the service like `mednec serve --as-of 2026-11-20` (no audit store), then POSTs the file to PATH
 * (default /cds-services/mednec-order-sign) N times (default 100). Prints the status and body length of the
 * last answer and the wall-clock time per request (noise on a loaded machine; count instructions instead).
 * Each request gets a fresh copy of the body that the service may write into (body_writable: the server hands
 * it its own buffer so, and a CDS Hooks request is parsed in place); MN_BENCH_READONLY=1 passes the file's
 * text read-only instead (the service then copies the strings as it parses).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mednec/service.h"

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_service HOME POLICIES REQUEST.json [N] [PATH]\n");
		return 64;
	}
	int n = argc > 4 ? atoi(argv[4]) : 100;
	const char *path = argc > 5 ? argv[5] : "/cds-services/mednec-order-sign";
	FILE *f = fopen(argv[3], "rb");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *body = malloc((size_t)len + 1);
	if (!body || fread(body, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "cannot read %s\n", argv[3]);
		return 1;
	}
	body[len] = 0;
	fclose(f);
	int writable = !getenv("MN_BENCH_READONLY") || !*getenv("MN_BENCH_READONLY");
	char *scratch = malloc((size_t)len + 1);
	if (!scratch) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	mn_service_options opt = {argv[1], argv[2], "2026-11-20", NULL, NULL};
	mn_service *s;
	mn_error err;
	mn_error_clear(&err);
	if (mn_service_open(&opt, &s, &err) != MN_OK) {
		fprintf(stderr, "open: %s\n", err.message);
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = 0;
	size_t blen = 0;
	for (int i = 0; i < n; i++) {
		memcpy(scratch, body, (size_t)len + 1);
		mn_service_request req = {"POST", path, writable ? scratch : body, (size_t)len, "bench", writable};
		mn_service_response r;
		if (mn_service_handle(s, &req, &r, &err) != MN_OK) {
			fprintf(stderr, "handle: %s\n", err.message);
			return 1;
		}
		status = r.status;
		blen = r.body_len;
		mn_service_response_free(&r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / (n ? n : 1);
	printf("%d requests: last status %d, body %zu bytes, %.1f us/request\n", n, status, blen, us);
	mn_service_close(s);
	free(scratch);
	free(body);
	return 0;
}
