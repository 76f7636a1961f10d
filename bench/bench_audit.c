/*
 * bench_audit.c: appends per second to an audit store (docs/SERVICE.md "Audit trail"): THREADS threads share
 * one mn_audit, as `mednec serve` does, and append N rows in all (a determination of about 6 KB each, the
 * size of the example's); then the chain is verified and its time reported. Built and run by bench/audit.sh.
 *   bench_audit URL N THREADS
 */
#include "mednec/audit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static mn_audit *store;
static int per_thread;
static char det[6000];
static double *lat;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *work(void *p)
{
	int t = (int)(long)p;
	for (int i = 0; i < per_thread; i++) {
		char id[64];
		snprintf(id, sizeof id, "bench-%d-%d-%d-%ld", per_thread, t, i, (long)time(NULL));
		mn_audit_record r = {id, "2026-11-30T18:00:00.000Z", "cds-services/mednec-order-sign", "drg-stimulation-trial",
		                     "2026-11-30", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		                     "meets-criteria", "", det};
		mn_error err;
		double t0 = now();
		if (mn_audit_append(store, &r, &err) != MN_OK) {
			fprintf(stderr, "append: %s\n", err.message);
			exit(1);
		}
		lat[t * per_thread + i] = now() - t0;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bench_audit URL N THREADS\n");
		return 64;
	}
	int n = atoi(argv[2]), threads = atoi(argv[3]);
	if (n < 1 || threads < 1 || threads > 256)
		return 64;
	per_thread = n / threads;
	n = per_thread * threads;
	memset(det, 'x', sizeof det - 1);
	lat = calloc((size_t)n, sizeof *lat);
	mn_error err;
	if (!lat || mn_audit_open(argv[1], &store, &err) != MN_OK) {
		fprintf(stderr, "open: %s\n", lat ? err.message : "out of memory");
		return 1;
	}
	pthread_t th[256];
	double t0 = now();
	for (int t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, work, (void *)(long)t);
	for (int t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	double dt = now() - t0;
	qsort(lat, (size_t)n, sizeof *lat, cmp);
	printf("%d appends, %d threads: %.0f appends/s; latency p50 %.2f ms, p99 %.2f ms\n", n, threads, n / dt,
	       lat[n / 2] * 1e3, lat[(size_t)(n * 0.99)] * 1e3);
	long rows = 0;
	t0 = now();
	mn_status st = mn_audit_verify(store, &rows, &err);
	printf("verify: %ld rows in %.2f s (%s)\n", rows, now() - t0, st == MN_OK ? "intact" : err.message);
	mn_audit_close(store);
	free(lat);
	return st == MN_OK ? 0 : 1;
}
