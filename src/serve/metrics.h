/*
 * metrics.h: the counters behind GET /metrics (Prometheus text exposition format 0.0.4): requests by endpoint
 * class and status, a latency histogram per endpoint class, determinations by outcome, audit failures, and the
 * requests in flight. Counting is lock-free except for a new outcome name.
 */
#ifndef MN_SERVE_METRICS_H
#define MN_SERVE_METRICS_H

#include "mednec/util.h"

#include <pthread.h>
#include <stdatomic.h>

/* Endpoint classes: the label values (never a raw path, which could carry anything). */
enum { MN_EP_HEALTHZ, MN_EP_METRICS, MN_EP_DISCOVERY, MN_EP_HOOK, MN_EP_SUBMIT, MN_EP_INQUIRE, MN_EP_REVIEW, MN_EP_QPACKAGE, MN_EP_OTHER,
       MN_EP_N };

#define MN_METRICS_BUCKETS 14   /* latency bucket upper bounds, seconds; the last is +Inf */
#define MN_METRICS_OUTCOMES 32  /* distinct outcome names counted; more are counted as "other" */

typedef struct mn_metrics {
	atomic_ulong requests[MN_EP_N][500];           /* by status - 100 */
	atomic_ulong latency[MN_EP_N][MN_METRICS_BUCKETS]; /* per bucket (not cumulative) */
	atomic_ullong latency_sum_us[MN_EP_N];
	atomic_ulong audit_failures;
	pthread_mutex_t lock;                         /* guards adding an outcome name */
	char outcome_name[MN_METRICS_OUTCOMES][48];
	atomic_int outcomes;
	atomic_ulong outcome_count[MN_METRICS_OUTCOMES];
	atomic_ulong outcome_other;
} mn_metrics;

int mn_metrics_init(mn_metrics *m);
void mn_metrics_destroy(mn_metrics *m);
const char *mn_metrics_endpoint_name(int ep);
void mn_metrics_count(mn_metrics *m, int ep, int status, double seconds);
void mn_metrics_outcome(mn_metrics *m, const char *outcome);
void mn_metrics_audit_failure(mn_metrics *m);
void mn_metrics_write(mn_metrics *m, int inflight, mn_buf *out);

#endif
