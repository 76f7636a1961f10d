/*
 * audit.c: the audit trail's common part: store URLs, the hash chain (canonical form and SHA-256 with
 * OpenSSL's EVP interface), verification of a whole chain, a row as JSON, and the group commit that
 * serialises the threads sharing one mn_audit. The backends (sqlite.c, pg.c) store and read rows.
 */
#include "audit_int.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Group commit: a durable commit costs a disk flush, so the appends that arrive while one commit is under way
 * are committed together by the next one. An appender queues its record; if no commit is under way it becomes
 * the leader: it takes the queue (up to MAX_BATCH records), commits them in one transaction, hands each
 * appender its status and wakes them. Every append still returns only once its row is committed. A batch that
 * fails is retried one record at a time, so one bad record (an id already stored) fails alone.
 */
#define MAX_BATCH 256

typedef struct pending {
	const mn_audit_record *rec;
	struct pending *next;
	bool done;
	mn_status st;
	mn_error err;
} pending;

struct mn_audit {
	const mn_audit_backend *be;
	void *h;
	pthread_mutex_t conn;   /* one operation at a time on the backend's connection */
	pthread_mutex_t queue;  /* guards head, tail and committing */
	pthread_cond_t wake;
	pending *head, *tail;
	bool committing;
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
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		out[0] = '\0';  /* OpenSSL could not allocate; never a wrong digest */
		return;
	}
	to_hex(md, n, out);
}

void mn_audit_fields_of(const mn_audit_record *rec, mn_audit_fields *out)
{
	const char *v[9] = {rec->id, rec->received, rec->endpoint, rec->policy_id, rec->policy_version,
	                    rec->input_sha256, rec->outcome, rec->lookup_key, rec->determination};
	for (int i = 0; i < 9; i++)
		out->f[i] = v[i] ? v[i] : "";
}

/* One value of the canonical form: its length in bytes in decimal, ':', the bytes, '\n'. */
static int digest_value(EVP_MD_CTX *ctx, const char *s, size_t n)
{
	char len[32];
	int k = snprintf(len, sizeof len, "%zu:", n);
	return EVP_DigestUpdate(ctx, len, (size_t)k) && EVP_DigestUpdate(ctx, s, n) && EVP_DigestUpdate(ctx, "\n", 1);
}

mn_status mn_audit_row_hash(long long seq, const mn_audit_fields *f, const char *prev_hash, char out[65],
                            mn_error *err)
{
	static const char tag[] = "mednec-audit-v1\n";
	char seqtext[32];
	int k = snprintf(seqtext, sizeof seqtext, "%lld", seq);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, tag, sizeof tag - 1) &&
	         digest_value(ctx, seqtext, (size_t)k);
	for (int i = 0; ok && i < 9; i++)
		ok = digest_value(ctx, f->f[i], strlen(f->f[i]));
	ok = ok && digest_value(ctx, prev_hash, strlen(prev_hash)) && EVP_DigestFinal_ex(ctx, md, &n) && n == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return mn_error_set(err, MN_ENOMEM, "audit: OpenSSL could not compute a SHA-256 digest");
	to_hex(md, n, out);
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
	     wake = queue && pthread_cond_init(&a->wake, NULL) == 0;
	mn_status st = wake ? be->open(arg, &a->h, err) : mn_error_set(err, MN_ENOMEM, "audit: cannot create a mutex");
	if (st != MN_OK) {
		if (wake)
			pthread_cond_destroy(&a->wake);
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
	a->be->close(a->h);
	pthread_cond_destroy(&a->wake);
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

mn_status mn_audit_append(mn_audit *a, const mn_audit_record *rec, mn_error *err)
{
	if (!a || !rec || !rec->id || !*rec->id || !rec->received || !*rec->received || !rec->endpoint ||
	    !*rec->endpoint)
		return mn_error_set(err, MN_EUSAGE, "audit: a record needs an id, a received time and an endpoint");
	if (rec->input_sha256 && *rec->input_sha256 && !is_hex64(rec->input_sha256))
		return mn_error_set(err, MN_EUSAGE, "audit: input_sha256 is not 64 lowercase hex digits");
	pending me = {rec, NULL, false, MN_OK, {0}};
	pthread_mutex_lock(&a->queue);
	if (a->tail)
		a->tail->next = &me;
	else
		a->head = &me;
	a->tail = &me;
	while (!me.done) {
		if (a->committing) {
			pthread_cond_wait(&a->wake, &a->queue);
			continue;
		}
		/* lead: take up to MAX_BATCH records from the queue (this one among them) and commit them */
		const mn_audit_record *recs[MAX_BATCH];
		pending *batch = a->head, *last = NULL;
		size_t n = 0;
		for (pending *p = batch; p && n < MAX_BATCH; p = p->next)
			recs[n++] = p->rec, last = p;
		a->head = last->next;
		if (!a->head)
			a->tail = NULL;
		last->next = NULL;
		a->committing = true;
		pthread_mutex_unlock(&a->queue);

		pthread_mutex_lock(&a->conn);
		mn_error berr;
		mn_error_clear(&berr);
		mn_status st = a->be->append(a->h, recs, n, &berr);
		for (pending *p = batch; p; p = p->next) {
			if (n == 1 || st == MN_OK) {
				p->st = st;
				p->err = berr;
			} else {
				mn_error_clear(&p->err);
				p->st = a->be->append(a->h, &p->rec, 1, &p->err);
			}
		}
		pthread_mutex_unlock(&a->conn);

		pthread_mutex_lock(&a->queue);
		for (pending *p = batch, *next; p; p = next) {
			next = p->next;  /* p may return (and its memory go) once done is set and the lock released */
			p->done = true;
		}
		a->committing = false;
		pthread_cond_broadcast(&a->wake);
	}
	pthread_mutex_unlock(&a->queue);
	if (me.st != MN_OK && err)
		*err = me.err;
	return me.st;
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
