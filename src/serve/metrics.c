/*
 * metrics.c: counters and their Prometheus text rendering (metrics.h).
 */
#include "metrics.h"

#include <string.h>

static const char *const ep_names[MN_EP_N] = {
	"/healthz", "/metrics", "/cds-services", "/cds-services/{id}", "/Claim/$submit", "/Claim/$inquire", "/review", "/Questionnaire/$questionnaire-package", "other",
};

/* Upper bounds in seconds; the last bucket is +Inf. */
static const double bucket_le[MN_METRICS_BUCKETS - 1] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

int mn_metrics_init(mn_metrics *m)
{
	memset(m, 0, sizeof *m);
	return pthread_mutex_init(&m->lock, NULL) == 0 ? 0 : -1;
}

void mn_metrics_destroy(mn_metrics *m)
{
	pthread_mutex_destroy(&m->lock);
}

const char *mn_metrics_endpoint_name(int ep)
{
	return ep >= 0 && ep < MN_EP_N ? ep_names[ep] : "other";
}

void mn_metrics_count(mn_metrics *m, int ep, int status, double seconds)
{
	if (ep < 0 || ep >= MN_EP_N)
		ep = MN_EP_OTHER;
	if (status >= 100 && status < 600)
		atomic_fetch_add(&m->requests[ep][status - 100], 1);
	int b = 0;
	while (b < MN_METRICS_BUCKETS - 1 && seconds > bucket_le[b])
		b++;
	atomic_fetch_add(&m->latency[ep][b], 1);
	atomic_fetch_add(&m->latency_sum_us[ep], (unsigned long long)(seconds * 1e6 + 0.5));
}

void mn_metrics_outcome(mn_metrics *m, const char *outcome)
{
	int n = atomic_load(&m->outcomes);
	for (int i = 0; i < n; i++)
		if (strcmp(m->outcome_name[i], outcome) == 0) {
			atomic_fetch_add(&m->outcome_count[i], 1);
			return;
		}
	pthread_mutex_lock(&m->lock);
	n = atomic_load(&m->outcomes);
	int i = 0;
	while (i < n && strcmp(m->outcome_name[i], outcome) != 0)
		i++;
	bool fits = strlen(outcome) < sizeof m->outcome_name[0];
	for (const char *p = outcome; fits && *p; p++)   /* label values: plain names only */
		fits = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		       *p == '_' || *p == '.';
	if (i == n && n < MN_METRICS_OUTCOMES && fits) {
		strcpy(m->outcome_name[n], outcome);
		atomic_store(&m->outcomes, n + 1);   /* published after the name is written */
	}
	pthread_mutex_unlock(&m->lock);
	if (i < MN_METRICS_OUTCOMES && fits)
		atomic_fetch_add(&m->outcome_count[i], 1);
	else
		atomic_fetch_add(&m->outcome_other, 1);
}

void mn_metrics_audit_failure(mn_metrics *m)
{
	atomic_fetch_add(&m->audit_failures, 1);
}

void mn_metrics_write(mn_metrics *m, int inflight, mn_buf *out)
{
	mn_buf_puts(out, "# HELP mednec_http_requests_total HTTP requests answered, by endpoint and status.\n"
	                 "# TYPE mednec_http_requests_total counter\n");
	for (int e = 0; e < MN_EP_N; e++)
		for (int s = 0; s < 500; s++) {
			unsigned long n = atomic_load(&m->requests[e][s]);
			if (n)
				mn_buf_printf(out, "mednec_http_requests_total{endpoint=\"%s\",status=\"%d\"} %lu\n", ep_names[e],
				              s + 100, n);
		}
	mn_buf_puts(out, "# HELP mednec_http_request_duration_seconds Time from the request's headers to its "
	                 "response being queued.\n# TYPE mednec_http_request_duration_seconds histogram\n");
	for (int e = 0; e < MN_EP_N; e++) {
		unsigned long cum = 0;
		for (int b = 0; b < MN_METRICS_BUCKETS; b++)
			cum += atomic_load(&m->latency[e][b]);
		if (!cum)
			continue;
		cum = 0;
		for (int b = 0; b < MN_METRICS_BUCKETS; b++) {
			cum += atomic_load(&m->latency[e][b]);
			if (b < MN_METRICS_BUCKETS - 1)
				mn_buf_printf(out, "mednec_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %lu\n",
				              ep_names[e], bucket_le[b], cum);
			else
				mn_buf_printf(out, "mednec_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %lu\n",
				              ep_names[e], cum);
		}
		unsigned long long us = atomic_load(&m->latency_sum_us[e]);
		mn_buf_printf(out, "mednec_http_request_duration_seconds_sum{endpoint=\"%s\"} %llu.%06llu\n", ep_names[e],
		              us / 1000000, us % 1000000);
		mn_buf_printf(out, "mednec_http_request_duration_seconds_count{endpoint=\"%s\"} %lu\n", ep_names[e], cum);
	}
	mn_buf_puts(out, "# HELP mednec_determinations_total Decisions stored in the audit trail and sent, by outcome.\n"
	                 "# TYPE mednec_determinations_total counter\n");
	int n = atomic_load(&m->outcomes);
	for (int i = 0; i < n; i++)
		mn_buf_printf(out, "mednec_determinations_total{outcome=\"%s\"} %lu\n", m->outcome_name[i],
		              atomic_load(&m->outcome_count[i]));
	if (atomic_load(&m->outcome_other))
		mn_buf_printf(out, "mednec_determinations_total{outcome=\"other\"} %lu\n", atomic_load(&m->outcome_other));
	mn_buf_printf(out, "# HELP mednec_audit_failures_total Decisions withheld (503) because the audit store failed.\n"
	                   "# TYPE mednec_audit_failures_total counter\nmednec_audit_failures_total %lu\n",
	              atomic_load(&m->audit_failures));
	mn_buf_printf(out, "# HELP mednec_http_requests_in_flight Requests begun and not yet completed.\n"
	                   "# TYPE mednec_http_requests_in_flight gauge\nmednec_http_requests_in_flight %d\n", inflight);
}
