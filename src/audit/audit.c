/*
 * audit.c: the audit trail's common part: store URLs, the hash chain (canonical form; SHA-256 from digest.c),
 * verification of a whole chain, a row as JSON, and the group commit that
 * serialises the threads sharing one mn_audit. The backends (sqlite.c, pg.c) store and read rows.
 */
#include "audit_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Group commit through one writer thread: a durable commit costs a disk flush, so every record queued while a
 * commit is under way goes into the next one. Appenders queue their record; the store's writer thread (started
 * by the first append) takes the whole queue (up to MAX_BATCH records), commits it in one transaction and then
 * reports each record's status: mn_audit_append waits for that report, mn_audit_append_async has it delivered to
 * a callback, so the thread that queued the record (a server thread) can do other work meanwhile. Either way a
 * record is reported MN_OK only once its row is committed. A batch that fails is retried one record at a time,
 * so one bad record (an id already stored) fails alone.
 */
#define MAX_BATCH 256

typedef struct pending {
	const mn_audit_record *rec;
	struct pending *next;
	mn_audit_done_fn done;
	void *ctx;
	mn_status st;
	mn_error err;
} pending;

struct mn_audit {
	const mn_audit_backend *be;
	void *h;
	pthread_mutex_t conn;   /* one operation at a time on the backend's connection */
	pthread_mutex_t queue;  /* guards head, tail, the writer's state and the waiters' reports */
	pthread_cond_t work;    /* the writer: records queued, or stop */
	pthread_cond_t acked;   /* mn_audit_append's waiters: a batch was reported */
	pending *head, *tail;
	pthread_t writer;
	bool writer_started, stop;
};

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hexdigits[md[i] >> 4];
		out[2 * i + 1] = hexdigits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void mn_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	if (mn_crypto_sha256(1, &data, &len, md) != 0) {
		out[0] = '\0';  /* OpenSSL could not allocate, or its module is missing; never a wrong digest */
		return;
	}
	to_hex(md, 32, out);
}

void mn_audit_fields_of(const mn_audit_record *rec, mn_audit_fields *out)
{
	const char *v[9] = {rec->id, rec->received, rec->endpoint, rec->policy_id, rec->policy_version,
	                    rec->input_sha256, rec->outcome, rec->lookup_key, rec->determination};
	for (int i = 0; i < 9; i++)
		out->f[i] = v[i] ? v[i] : "";
}

/* The canonical form: the tag, then each value as its length in bytes in decimal, ':', the bytes, '\n'; as 1 + 3 x
 * 11 parts of one digest. */
enum { ROW_VALUES = 11, ROW_PARTS = 1 + 3 * ROW_VALUES };

mn_status mn_audit_row_hash(long long seq, const mn_audit_fields *f, const char *prev_hash, char out[65],
                            mn_error *err)
{
	static const char tag[] = "mednec-audit-v1\n";
	char seqtext[32], lens[ROW_VALUES][32];
	int k = snprintf(seqtext, sizeof seqtext, "%lld", seq);
	const char *values[ROW_VALUES] = {seqtext};
	size_t vlen[ROW_VALUES] = {(size_t)k};
	for (int i = 0; i < 9; i++)
		values[1 + i] = f->f[i], vlen[1 + i] = strlen(f->f[i]);
	values[10] = prev_hash, vlen[10] = strlen(prev_hash);
	const void *parts[ROW_PARTS] = {tag};
	size_t plen[ROW_PARTS] = {sizeof tag - 1};
	for (int i = 0; i < ROW_VALUES; i++) {
		int m = snprintf(lens[i], sizeof lens[i], "%zu:", vlen[i]);
		parts[1 + 3 * i] = lens[i], plen[1 + 3 * i] = (size_t)m;
		parts[2 + 3 * i] = values[i], plen[2 + 3 * i] = vlen[i];
		parts[3 + 3 * i] = "\n", plen[3 + 3 * i] = 1;
	}
	unsigned char md[32];
	if (mn_crypto_sha256(ROW_PARTS, parts, plen, md) != 0)
		return mn_error_set(err, MN_ENOMEM, "audit: no SHA-256 digest (OpenSSL out of memory, or %s missing)",
		                    MN_CRYPTO_MODULE_FILE);
	to_hex(md, 32, out);
	return MN_OK;
}

mn_status mn_audit_open(const char *url, mn_audit **out, mn_error *err)
{
	*out = NULL;
	const mn_audit_backend *be = NULL;
	const char *arg = url;
	if (url && strncmp(url, "sqlite:", 7) == 0) {
		be = &mn_audit_sqlite_backend;
		arg = url + 7;
	} else if (url && (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)) {
		be = &mn_audit_pg_backend;
	}
	if (!be || !*arg)
		return mn_error_set(err, MN_EUSAGE, "audit store: '%s' is not sqlite:PATH or postgresql://...",
		                    url && be != &mn_audit_pg_backend ? url : "(URL)");
	mn_audit *a = calloc(1, sizeof *a);
	if (!a)
		return mn_error_set(err, MN_ENOMEM, "audit: out of memory");
	bool conn = pthread_mutex_init(&a->conn, NULL) == 0, queue = conn && pthread_mutex_init(&a->queue, NULL) == 0,
	     work = queue && pthread_cond_init(&a->work, NULL) == 0, acked = work && pthread_cond_init(&a->acked, NULL) == 0;
	mn_status st = acked ? be->open(arg, &a->h, err) : mn_error_set(err, MN_ENOMEM, "audit: cannot create a mutex");
	if (st != MN_OK) {
		if (acked)
			pthread_cond_destroy(&a->acked);
		if (work)
			pthread_cond_destroy(&a->work);
		if (queue)
			pthread_mutex_destroy(&a->queue);
		if (conn)
			pthread_mutex_destroy(&a->conn);
		free(a);
		return st;
	}
	a->be = be;
	*out = a;
	return MN_OK;
}

void mn_audit_close(mn_audit *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->queue);
	a->stop = true;
	bool started = a->writer_started;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->queue);
	if (started)
		pthread_join(a->writer, NULL);   /* it reports every queued record first */
	a->be->close(a->h);
	pthread_cond_destroy(&a->acked);
	pthread_cond_destroy(&a->work);
	pthread_mutex_destroy(&a->queue);
	pthread_mutex_destroy(&a->conn);
	free(a);
}

static bool is_hex64(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!strchr(hexdigits, s[n]))
			return false;
	return n == 64;
}

static mn_status check_record(const mn_audit_record *rec, mn_error *err)
{
	if (!rec || !rec->id || !*rec->id || !rec->received || !*rec->received || !rec->endpoint || !*rec->endpoint)
		return mn_error_set(err, MN_EUSAGE, "audit: a record needs an id, a received time and an endpoint");
	if (rec->input_sha256 && *rec->input_sha256 && !is_hex64(rec->input_sha256))
		return mn_error_set(err, MN_EUSAGE, "audit: input_sha256 is not 64 lowercase hex digits");
	return MN_OK;
}

/* The writer thread: commit what is queued and report it, until mn_audit_close stops it with the queue empty. */
static void *writer_main(void *p)
{
	mn_audit *a = p;
	pthread_mutex_lock(&a->queue);
	for (;;) {
		while (!a->head && !a->stop)
			pthread_cond_wait(&a->work, &a->queue);
		if (!a->head)
			break;
		const mn_audit_record *recs[MAX_BATCH];
		pending *batch = a->head, *last = NULL;
		size_t n = 0;
		for (pending *q = batch; q && n < MAX_BATCH; q = q->next)
			recs[n++] = q->rec, last = q;
		a->head = last->next;
		if (!a->head)
			a->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&a->queue);

		pthread_mutex_lock(&a->conn);
		mn_error_clear(&batch->err);
		mn_status st = a->be->append(a->h, recs, n, &batch->err);
		for (pending *q = batch; q; q = q->next) {
			if (n == 1 || st == MN_OK) {
				q->st = st;
				if (q != batch)
					q->err = batch->err;
			} else {
				mn_error_clear(&q->err);
				q->st = a->be->append(a->h, &q->rec, 1, &q->err);
			}
		}
		pthread_mutex_unlock(&a->conn);
		for (pending *q = batch, *next; q; q = next) {
			next = q->next;
			q->done(q->ctx, q->st, &q->err);
			free(q);
		}
		pthread_mutex_lock(&a->queue);
	}
	pthread_mutex_unlock(&a->queue);
	return NULL;
}

mn_status mn_audit_append_async(mn_audit *a, const mn_audit_record *rec, mn_audit_done_fn done, void *ctx,
                                mn_error *err)
{
	mn_status st = a && done ? check_record(rec, err)
	                         : mn_error_set(err, MN_EUSAGE, "audit: an append needs a store and a callback");
	if (st != MN_OK)
		return st;
	pending *q = malloc(sizeof *q);
	if (!q)
		return mn_error_set(err, MN_ENOMEM, "audit: out of memory queueing a record");
	q->rec = rec;
	q->next = NULL;
	q->done = done;
	q->ctx = ctx;
	pthread_mutex_lock(&a->queue);
	if (a->stop) {
		st = mn_error_set(err, MN_EUSAGE, "audit: the store is closing");
	} else if (!a->writer_started) {
		if (pthread_create(&a->writer, NULL, writer_main, a) == 0)
			a->writer_started = true;
		else
			st = mn_error_set(err, MN_ENOMEM, "audit: cannot start the store's writer thread");
	}
	if (st == MN_OK) {
		if (a->tail)
			a->tail->next = q;
		else
			a->head = q;
		a->tail = q;
		pthread_cond_signal(&a->work);
	}
	pthread_mutex_unlock(&a->queue);
	if (st != MN_OK)
		free(q);
	return st;
}

/* mn_audit_append's report: the waiter's status, set under the queue lock. */
typedef struct waiter {
	mn_audit *a;
	bool done;
	mn_status st;
	mn_error *err;
} waiter;

static void wake_waiter(void *ctx, mn_status st, const mn_error *err)
{
	waiter *w = ctx;
	pthread_mutex_lock(&w->a->queue);
	if (st != MN_OK && w->err)
		*w->err = *err;
	w->st = st;
	w->done = true;
	pthread_cond_broadcast(&w->a->acked);
	pthread_mutex_unlock(&w->a->queue);
}

mn_status mn_audit_append(mn_audit *a, const mn_audit_record *rec, mn_error *err)
{
	waiter w = {a, false, MN_OK, err};
	mn_status st = mn_audit_append_async(a, rec, wake_waiter, &w, err);
	if (st != MN_OK)
		return st;
	pthread_mutex_lock(&a->queue);
	while (!w.done)
		pthread_cond_wait(&a->acked, &a->queue);
	pthread_mutex_unlock(&a->queue);
	return w.st;
}

/* ---- verify ----------------------------------------------------------------- */

typedef struct verify_ctx {
	long long next_seq;
	char prev_hash[65], prev_id[128];
	long rows;
} verify_ctx;

static mn_status verify_row(void *p, const mn_audit_row *r, mn_error *err)
{
	verify_ctx *v = p;
	if (r->seq != v->next_seq) {
		if (r->seq > v->next_seq)
			return mn_error_set(err, MN_EINTEGRITY, "audit chain broken at seq %lld (id %.100s): the rows with "
			                    "seq %lld to %lld before it are missing (removed)", r->seq, r->id, v->next_seq,
			                    r->seq - 1);
		return mn_error_set(err, MN_EINTEGRITY, "audit chain broken at seq %lld (id %.100s): seq out of order "
		                    "(expected %lld)", r->seq, r->id, v->next_seq);
	}
	mn_audit_record rec = {r->id, r->received, r->endpoint, r->policy_id, r->policy_version, r->input_sha256,
	                       r->outcome, r->lookup_key, r->determination};
	mn_audit_fields f;
	mn_audit_fields_of(&rec, &f);
	char h[65];
	mn_status st = mn_audit_row_hash(r->seq, &f, r->prev_hash ? r->prev_hash : "", h, err);
	if (st != MN_OK)
		return st;
	if (!r->row_hash || strcmp(h, r->row_hash) != 0)
		return mn_error_set(err, MN_EINTEGRITY, "audit chain broken at seq %lld (id %.100s): the row was changed "
		                    "(its contents do not hash to its row_hash)", r->seq, r->id);
	if (!r->prev_hash || strcmp(r->prev_hash, v->prev_hash) != 0) {
		if (r->seq == 1)
			return mn_error_set(err, MN_EINTEGRITY, "audit chain broken at seq 1 (id %.100s): the first row "
			                    "has a prev_hash (rows before it were removed, or it was inserted)", r->id);
		return mn_error_set(err, MN_EINTEGRITY, "audit chain broken at seq %lld (id %.100s): its prev_hash is not "
		                    "the row_hash of seq %lld (id %.100s): one of the two rows was rewritten, or a row "
		                    "was inserted or removed between them", r->seq, r->id, r->seq - 1, v->prev_id);
	}
	memcpy(v->prev_hash, h, sizeof h);
	snprintf(v->prev_id, sizeof v->prev_id, "%s", r->id);
	v->next_seq++;
	v->rows++;
	return MN_OK;
}

mn_status mn_audit_verify(mn_audit *a, long *rows, mn_error *err)
{
	verify_ctx v = {1, "", "", 0};
	pthread_mutex_lock(&a->conn);
	mn_status st = a->be->scan(a->h, verify_row, &v, err);
	pthread_mutex_unlock(&a->conn);
	if (rows)
		*rows = v.rows;
	return st;
}

/* ---- scan ------------------------------------------------------------------- */

typedef struct scan_ctx {
	mn_audit_visit_fn fn;
	void *ctx;
} scan_ctx;

static mn_status scan_row(void *p, const mn_audit_row *r, mn_error *err)
{
	scan_ctx *c = p;
	mn_audit_record rec = {r->id, r->received, r->endpoint, r->policy_id, r->policy_version, r->input_sha256,
	                       r->outcome, r->lookup_key, r->determination};
	mn_audit_fields f;
	mn_audit_fields_of(&rec, &f);
	mn_audit_record clean = {f.f[0], f.f[1], f.f[2], f.f[3], f.f[4], f.f[5], f.f[6], f.f[7], f.f[8]};
	return c->fn(c->ctx, r->seq, &clean, err);
}

mn_status mn_audit_scan(mn_audit *a, mn_audit_visit_fn fn, void *ctx, mn_error *err)
{
	scan_ctx c = {fn, ctx};
	pthread_mutex_lock(&a->conn);
	mn_status st = a->be->scan(a->h, scan_row, &c, err);
	pthread_mutex_unlock(&a->conn);
	return st;
}

/* ---- show ------------------------------------------------------------------- */

static mn_status show_row(void *p, const mn_audit_row *r, mn_error *err)
{
	mn_buf *out = p;
	const char *names[] = {"id", "received", "endpoint", "policy_id", "policy_version", "input_sha256", "outcome",
	                       "lookup_key", "determination", "prev_hash", "row_hash"};
	const char *vals[] = {r->id, r->received, r->endpoint, r->policy_id, r->policy_version, r->input_sha256,
	                      r->outcome, r->lookup_key, r->determination, r->prev_hash, r->row_hash};
	mn_buf_printf(out, "{\"seq\":%lld", r->seq);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		mn_buf_printf(out, ",\"%s\":", names[i]);
		const char *s = vals[i] ? vals[i] : "";
		mn_buf_put_json_string(out, s, strlen(s));
	}
	mn_buf_putc(out, '}');
	return out->failed ? mn_error_set(err, MN_ENOMEM, "audit: out of memory writing a row") : MN_OK;
}

mn_status mn_audit_show(mn_audit *a, const char *id_or_key, mn_buf *out, mn_error *err)
{
	if (!id_or_key || !*id_or_key)
		return mn_error_set(err, MN_EUSAGE, "audit: show needs an id or a lookup key");
	pthread_mutex_lock(&a->conn);
	mn_status st = a->be->find(a->h, id_or_key, show_row, out, err);
	pthread_mutex_unlock(&a->conn);
	return st;
}
