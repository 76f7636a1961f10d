/*
 * review.c: the reviewer's page (review.h, docs/REVIEWER.md). Server-rendered HTML5, no script, standard forms.
 *
 * Where a case comes from: a Claim/$submit row of the audit trail keeps the request Bundle and the as-of date
 * (audit.h "Record kinds"); the case view decides that stored request again under the service's policies
 * (mn_svc_pas_redecide) to show each criterion's record entries, the timeline, the scores and the letter, and says
 * so when the policy version or outcome differs from the stored one. A decision is one MN_AUDIT_KIND_REVIEW row,
 * appended (committed) before the answer; a case has at most one.
 *
 * No patient data in URLs or logs: a case is named by its audit row id only; the page's own text holds the
 * record, as the letter does. Forms carry a CSRF token, an HMAC-SHA256 of the case id under a key made at start.
 */
#include "review.h"

#include "service/service_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 200        /* rows shown in "recent" */
#define FORM_MAX_FIELDS 128

struct mn_review {
	mn_service *service;
	mn_audit *audit;
	unsigned char key[32];
	/* Serialises "no decision yet" and the append of a decision, so two reviewers posting at once store one
	 * decision (within one server; servers sharing a PostgreSQL store do not see each other's lock). */
	pthread_mutex_t deciding;
	atomic_bool typeset;     /* a PDF was written: fontconfig is to be shut down at the end */
};

mn_status mn_review_new(mn_service *service, mn_audit *audit, mn_review **out, mn_error *err)
{
	*out = NULL;
	mn_review *rv = calloc(1, sizeof *rv);
	if (!rv)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	if (RAND_bytes(rv->key, sizeof rv->key) != 1) {
		free(rv);
		return mn_error_set(err, MN_EINTERNAL, "review: OpenSSL's random generator gave no key for CSRF tokens");
	}
	if (pthread_mutex_init(&rv->deciding, NULL) != 0) {
		free(rv);
		return mn_error_set(err, MN_ENOMEM, "review: cannot create a mutex");
	}
	rv->service = service;
	rv->audit = audit;
	*out = rv;
	return MN_OK;
}

void mn_review_free(mn_review *rv)
{
	if (!rv)
		return;
	OPENSSL_cleanse(rv->key, sizeof rv->key);
	pthread_mutex_destroy(&rv->deciding);
	if (atomic_load(&rv->typeset))
		mn_doc_pdf_shutdown();   /* the server's threads, and their font maps, are gone (render.h) */
	free(rv);
}

/* ---- HTML ------------------------------------------------------------------ */

/* Text as HTML, newlines kept (mn_buf_put_html). */
static void esc_n(mn_buf *b, const char *s, size_t n)
{
	if (s)
		mn_buf_put_html(b, s, n, false);
}

static void esc(mn_buf *b, const char *s)
{
	if (s)
		esc_n(b, s, strlen(s));
}

static const char style[] =
	"body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}"
	"header,main{max-width:70rem;margin:0 auto;padding:0 1rem}"
	".skip{position:absolute;left:-10000px}.skip:focus{left:1rem;top:1rem;background:#ffd;padding:.5rem;z-index:9}"
	"a{color:#0645ad}a:focus,button:focus,input:focus,textarea:focus{outline:3px solid #f90;outline-offset:2px}"
	"table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.3rem .5rem;"
	"text-align:left;vertical-align:top}caption{text-align:left;font-weight:600}"
	".checklist{list-style:none;padding:0}.checklist>li{border:1px solid #bbb;border-left-width:.5rem;padding:.5rem;"
	"margin:.5rem 0}.met{border-left-color:#2a7a2a!important}.not-met{border-left-color:#b00!important}"
	".not-documented{border-left-color:#c80!important}.status{font-weight:700}"
	".alert{border:2px solid #b00;background:#fee;padding:.5rem}.done{border:2px solid #2a7a2a;background:#efe;"
	"padding:.5rem}fieldset{margin:.5rem 0}label{display:block;margin-top:.5rem}.inline{display:inline}"
	"textarea,input[type=text]{width:100%;max-width:40rem;font:inherit}iframe{width:100%;height:40rem;"
	"border:1px solid #bbb}dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}"
	"dl.facts dt{font-weight:600}main:focus{outline:none}pre{white-space:pre-wrap}button{font:inherit;padding:.4rem 1rem}";

static void page_begin(mn_buf *b, const char *title)
{
	mn_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	esc(b, title);
	mn_buf_printf(b, " - mednec review</title>\n<style>%s</style>\n</head>\n<body>\n"
	                 "<a class=\"skip\" href=\"#main\">Skip to main content</a>\n"
	                 "<header><nav aria-label=\"Reviewer\"><p><a href=\"/review\">Reviewer queue</a></p></nav></header>\n"
	                 "<main id=\"main\" tabindex=\"-1\">\n", style);
}

static void page_end(mn_buf *b)
{
	mn_buf_puts(b, "</main>\n</body>\n</html>\n");
}

static const char csp[] = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'self'; "
                          "frame-ancestors 'self'; base-uri 'none'";

static mn_status respond(mn_review_response *out, int status, const char *ctype, mn_buf *b)
{
	if (b->failed) {
		mn_buf_free(b);
		return MN_ENOMEM;
	}
	out->status = status;
	out->content_type = ctype;
	out->body = mn_buf_detach(b, &out->body_len);
	if (!out->body)
		return MN_ENOMEM;
	if (strncmp(ctype, "text/html", 9) == 0 && !out->header_name) {
		out->header_name = "Content-Security-Policy";
		snprintf(out->header_value, sizeof out->header_value, "%s", csp);
	}
	return MN_OK;
}

static mn_status message_page(mn_review_response *out, int status, const char *title, const char *text)
{
	mn_buf b = MN_BUF_INIT;
	page_begin(&b, title);
	mn_buf_puts(&b, "<h1>");
	esc(&b, title);
	mn_buf_puts(&b, "</h1>\n<p>");
	esc(&b, text);
	mn_buf_puts(&b, "</p>\n");
	page_end(&b);
	return respond(out, status, "text/html; charset=utf-8", &b);
}

/* ---- the audit store ------------------------------------------------------- */

/* A stored case: its audit row, parsed. */
typedef struct stored_case {
	mn_arena *arena;
	const char *id, *received, *policy_id, *policy_version, *outcome, *lookup_key;
	const char *as_of;
	const mn_json *request;          /* the PAS request Bundle, or NULL (stored before session 16) */
	const mn_json *response;
	/* the reviewer's decision, when there is one */
	const mn_json *decision;         /* its determination object */
	const char *decided_at, *decision_id;
} stored_case;

static bool id_ok(const char *id, size_t n)
{
	if (n == 0 || n > 100)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-')
			return false;
	return true;
}

/* The newest row for id_or_key, parsed with its determination, or MN_ENOTFOUND. */
static mn_status load_row(mn_audit *a, mn_arena *arena, const char *id_or_key, mn_json **row, mn_json **det,
                          mn_error *err)
{
	mn_buf b = MN_BUF_INIT;
	mn_status st = mn_audit_show(a, id_or_key, &b, err);
	if (st == MN_OK && (b.failed || mn_json_parse(arena, "audit row", b.data, b.len, row, NULL) != MN_OK))
		st = mn_error_set(err, MN_EINTERNAL, "audit row cannot be read");
	mn_buf_free(&b);
	if (st != MN_OK)
		return st;
	const char *text = mn_json_get_string(*row, "determination");
	*det = NULL;
	if (text && *text && mn_json_parse(arena, "stored determination", text, strlen(text), det, NULL) != MN_OK)
		*det = NULL;
	return MN_OK;
}

/* Load the case whose row id is id: MN_ENOTFOUND unless it is a Claim/$submit row. */
static mn_status load_case(mn_review *rv, const char *id, stored_case *c, mn_error *err)
{
	memset(c, 0, sizeof *c);
	c->arena = mn_arena_new();
	if (!c->arena)
		return MN_ENOMEM;
	mn_json *row = NULL, *det = NULL;
	mn_status st = load_row(rv->audit, c->arena, id, &row, &det, err);
	if (st != MN_OK)
		return st;
	if (!mn_json_is_string(mn_json_get(row, "id"), id) ||
	    !mn_json_is_string(mn_json_get(row, "endpoint"), "Claim/$submit"))
		return mn_error_set(err, MN_ENOTFOUND, "no case with this id");
	c->id = mn_json_get_string(row, "id");
	c->received = mn_json_get_string(row, "received");
	c->policy_id = mn_json_get_string(row, "policy_id");
	c->policy_version = mn_json_get_string(row, "policy_version");
	c->outcome = mn_json_get_string(row, "outcome");
	c->lookup_key = mn_json_get_string(row, "lookup_key");
	c->as_of = mn_json_get_string(det, "asOf");
	c->request = mn_json_get(det, "request");
	c->response = mn_json_get(det, "response");
	if (c->lookup_key && *c->lookup_key) {
		mn_json *drow = NULL, *ddet = NULL;
		mn_error e;
		mn_error_clear(&e);
		st = load_row(rv->audit, c->arena, c->lookup_key, &drow, &ddet, &e);
		if (st != MN_OK && st != MN_ENOTFOUND)
			return mn_error_set(err, st, "%s", e.message);
		if (st == MN_OK && mn_json_is_string(mn_json_get(drow, "endpoint"), MN_AUDIT_KIND_REVIEW) &&
		    mn_json_is_string(mn_json_get(ddet, "case"), id)) {
			c->decision = ddet;
			c->decided_at = mn_json_get_string(drow, "received");
			c->decision_id = mn_json_get_string(drow, "id");
		}
	}
	return MN_OK;
}

/* ---- the queue --------------------------------------------------------------- */

typedef struct queue_row {
	char *id, *received, *policy, *outcome, *key;
	char *decision;   /* "approved"/"denied" or NULL */
} queue_row;

typedef struct queue {
	queue_row *rows;
	size_t n, cap;
	bool failed;
} queue;

static char *dup(const char *s, bool *failed)
{
	char *d = strdup(s ? s : "");
	*failed |= !d;
	return d;
}

static mn_status queue_visit(void *p, long long seq, const mn_audit_record *rec, mn_error *err)
{
	(void)seq;
	queue *q = p;
	if (strcmp(rec->endpoint, MN_AUDIT_KIND_REVIEW) == 0) {
		/* the newest decision for a key wins; cases come before their decisions in the chain */
		for (size_t i = q->n; i-- > 0;)
			if (*rec->lookup_key && strcmp(q->rows[i].key, rec->lookup_key) == 0) {
				free(q->rows[i].decision);
				q->rows[i].decision = dup(rec->outcome, &q->failed);
				break;
			}
		return MN_OK;
	}
	if (strcmp(rec->endpoint, "Claim/$submit") != 0)
		return MN_OK;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		queue_row *rows = realloc(q->rows, cap * sizeof *rows);
		if (!rows)
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		q->rows = rows;
		q->cap = cap;
	}
	queue_row *r = &q->rows[q->n++];
	memset(r, 0, sizeof *r);
	r->id = dup(rec->id, &q->failed);
	r->received = dup(rec->received, &q->failed);
	char pol[300];
	snprintf(pol, sizeof pol, "%s%s%s", rec->policy_id, *rec->policy_version ? " v" : "", rec->policy_version);
	r->policy = dup(pol, &q->failed);
	r->outcome = dup(rec->outcome, &q->failed);
	r->key = dup(rec->lookup_key, &q->failed);
	return q->failed ? mn_error_set(err, MN_ENOMEM, "out of memory") : MN_OK;
}

static void queue_free(queue *q)
{
	for (size_t i = 0; i < q->n; i++) {
		queue_row *r = &q->rows[i];
		free(r->id), free(r->received), free(r->policy), free(r->outcome), free(r->key), free(r->decision);
	}
	free(q->rows);
}

static const char *status_words(const char *outcome, const char *decision)
{
	if (decision)
		return strcmp(decision, "approved") == 0 ? "Approved by physician reviewer" : "Denied by physician reviewer";
	return outcome && strcmp(outcome, "meets-criteria") == 0 ? "Certified by the engine (all criteria met)"
	                                                         : "Pended: awaiting a physician's decision";
}

static void queue_table(mn_buf *b, const queue *q, bool pended, const char *caption)
{
	size_t shown = 0;
	mn_buf_puts(b, "<table>\n<caption>");
	esc(b, caption);
	mn_buf_puts(b, "</caption>\n<thead><tr><th scope=\"col\">Received (UTC)</th><th scope=\"col\">Policy</th>"
	               "<th scope=\"col\">Engine outcome</th><th scope=\"col\">Status</th><th scope=\"col\">Case</th>"
	               "</tr></thead>\n<tbody>\n");
	for (size_t i = q->n; i-- > 0 && shown < QUEUE_MAX;) {
		const queue_row *r = &q->rows[i];
		bool is_pended = !r->decision && strcmp(r->outcome, "meets-criteria") != 0;
		if (pended != is_pended)
			continue;
		shown++;
		mn_buf_puts(b, "<tr><td>");
		esc(b, r->received);
		mn_buf_puts(b, "</td><td>");
		esc(b, r->policy);
		mn_buf_puts(b, "</td><td>");
		esc(b, r->outcome);
		mn_buf_puts(b, "</td><td>");
		esc(b, status_words(r->outcome, r->decision));
		mn_buf_puts(b, "</td><td><a href=\"/review/case/");
		esc(b, r->id);
		mn_buf_puts(b, "\">Open case <span class=\"case-ref\">");
		esc(b, r->key);
		mn_buf_puts(b, "</span></a></td></tr>\n");
	}
	if (!shown)
		mn_buf_puts(b, "<tr><td colspan=\"5\">None.</td></tr>\n");
	mn_buf_puts(b, "</tbody>\n</table>\n");
}

static mn_status queue_page(mn_review *rv, mn_review_response *out, mn_error *err)
{
	queue q = {0};
	mn_error e;
	mn_error_clear(&e);
	mn_status st = mn_audit_scan(rv->audit, queue_visit, &q, &e);
	if (st == MN_ENOMEM || q.failed) {
		queue_free(&q);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	if (st != MN_OK) {
		queue_free(&q);
		return message_page(out, 503, "Audit store unavailable", "The audit store could not be read; try again.");
	}
	mn_buf b = MN_BUF_INIT;
	page_begin(&b, "Reviewer queue");
	mn_buf_puts(&b, "<h1>Reviewer queue</h1>\n<p>Prior-authorization requests (PAS <code>Claim/$submit</code>) "
	                "from the audit trail, newest first. mednec never denies: a case it could not certify waits here "
	                "for a physician.</p>\n<section aria-labelledby=\"h-pended\">\n<h2 id=\"h-pended\">Pended</h2>\n");
	queue_table(&b, &q, true, "Cases awaiting a physician's decision");
	mn_buf_puts(&b, "</section>\n<section aria-labelledby=\"h-recent\">\n<h2 id=\"h-recent\">Recent decisions</h2>\n");
	queue_table(&b, &q, false, "Cases certified by the engine or decided by a reviewer");
	mn_buf_puts(&b, "</section>\n");
	page_end(&b);
	queue_free(&q);
	return respond(out, 200, "text/html; charset=utf-8", &b);
}

/* ---- the case view -------------------------------------------------------------- */

static void csrf_token(const mn_review *rv, const char *case_id, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char msg[160];
	int k = snprintf(msg, sizeof msg, "mednec-review-decision:%s", case_id);
	static const char hex[] = "0123456789abcdef";
	if (!HMAC(EVP_sha256(), rv->key, (int)sizeof rv->key, (const unsigned char *)msg, (size_t)k, md, &n) || n != 32) {
		out[0] = '\0';   /* no token: every POST is refused */
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

static const char *status_class(mn_crit_status s)
{
	return s == MN_CRIT_MET ? "met" : s == MN_CRIT_NOT_MET ? "not-met" : "not-documented";
}

static const char *status_text(mn_crit_status s)
{
	return s == MN_CRIT_MET ? "Met" : s == MN_CRIT_NOT_MET ? "Not met" : "Not documented";
}

static void put_clause(mn_buf *b, const mn_criterion *c)
{
	mn_buf_puts(b, "<p><strong>Policy clause:</strong> ");
	if (c->author_requirement) {
		mn_buf_puts(b, "requirement of this policy (not stated by a payer): ");
		esc(b, c->author_requirement);
	}
	for (size_t i = 0; i < c->ncites; i++) {
		const mn_cite *ct = &c->cites[i];
		mn_buf_puts(b, i || c->author_requirement ? "; " : "");
		if (ct->source) {
			esc(b, ct->source->title ? ct->source->title : ct->source->id);
			if (ct->source->url) {
				mn_buf_puts(b, " (<a href=\"");
				esc(b, ct->source->url);
				mn_buf_puts(b, "\">");
				esc(b, ct->source->url);
				mn_buf_puts(b, "</a>)");
			}
		} else if (ct->finding) {
			esc(b, ct->finding->statement ? ct->finding->statement : ct->finding->id);
			if (ct->finding->reference && ct->finding->reference->citation) {
				mn_buf_puts(b, " (");
				esc(b, ct->finding->reference->citation);
				mn_buf_puts(b, ")");
			}
		} else if (ct->reference) {
			esc(b, ct->reference->citation ? ct->reference->citation : ct->reference->id);
		} else {
			esc(b, ct->id);
		}
	}
	if (!c->author_requirement && !c->ncites)
		mn_buf_puts(b, "none recorded");
	mn_buf_puts(b, "</p>\n");
}

static void put_entries(mn_buf *b, const mn_criterion_result *r)
{
	if (r->met_because) {
		mn_buf_puts(b, "<p>Met because the situation does not arise: ");
		esc(b, r->met_because);
		mn_buf_puts(b, "</p>\n");
	}
	if (r->error) {
		mn_buf_puts(b, "<p>Could not be evaluated: ");
		esc(b, r->error);
		mn_buf_puts(b, "</p>\n");
	}
	if (!r->nentries) {
		if (!r->met_because)
			mn_buf_puts(b, "<p>No record entry.</p>\n");
		return;
	}
	mn_buf_puts(b, "<table>\n<caption>Evidence: record entries</caption>\n<thead><tr><th scope=\"col\">Date</th>"
	               "<th scope=\"col\">Entry</th><th scope=\"col\">What it says</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->nentries; i++) {
		const mn_entry *e = &r->entries[i];
		mn_buf_puts(b, "<tr><td>");
		esc(b, e->date ? e->date : "undated");
		mn_buf_puts(b, "</td><td>");
		esc(b, e->reference);
		mn_buf_puts(b, "</td><td>");
		esc(b, e->summary);
		mn_buf_puts(b, "</td></tr>\n");
	}
	mn_buf_puts(b, "</tbody>\n</table>\n");
}

typedef struct tl_entry {
	const mn_entry *e;
	char used[600];
} tl_entry;

static int tl_cmp(const void *x, const void *y)
{
	const mn_entry *a = ((const tl_entry *)x)->e, *b = ((const tl_entry *)y)->e;
	if (!a->date || !b->date)
		return !a->date - !b->date;   /* undated last */
	int c = strcmp(a->date, b->date);
	return c ? c : strcmp(a->reference ? a->reference : "", b->reference ? b->reference : "");
}

static mn_status put_timeline(mn_buf *b, const mn_determination *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nresults; i++)
		n += d->results[i].nentries;
	tl_entry *t = calloc(n ? n : 1, sizeof *t);
	if (!t)
		return MN_ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		for (size_t k = 0; k < r->nentries; k++) {
			const mn_entry *e = &r->entries[k];
			size_t j = 0;
			while (j < m && !(t[j].e->resource == e->resource && !strcmp(t[j].e->summary ? t[j].e->summary : "",
			                                                              e->summary ? e->summary : "")))
				j++;
			if (j == m)
				t[m++].e = e;
			size_t len = strlen(t[j].used);
			snprintf(t[j].used + len, sizeof t[j].used - len, "%s%s", len ? "; " : "", r->criterion->title);
		}
	}
	qsort(t, m, sizeof *t, tl_cmp);
	mn_buf_puts(b, "<table>\n<caption>Record entries the policy used, oldest first</caption>\n<thead><tr>"
	               "<th scope=\"col\">Date</th><th scope=\"col\">Entry</th><th scope=\"col\">What it says</th>"
	               "<th scope=\"col\">Used for</th></tr></thead>\n<tbody>\n");
	for (size_t j = 0; j < m; j++) {
		mn_buf_puts(b, "<tr><td>");
		esc(b, t[j].e->date ? t[j].e->date : "undated");
		mn_buf_puts(b, "</td><td>");
		esc(b, t[j].e->reference);
		mn_buf_puts(b, "</td><td>");
		esc(b, t[j].e->summary);
		mn_buf_puts(b, "</td><td>");
		esc(b, t[j].used);
		mn_buf_puts(b, "</td></tr>\n");
	}
	if (!m)
		mn_buf_puts(b, "<tr><td colspan=\"4\">No record entry was used.</td></tr>\n");
	mn_buf_puts(b, "</tbody>\n</table>\n");
	free(t);
	return MN_OK;
}

static void put_scores(mn_buf *b, const mn_determination *d)
{
	if (!d->scores || !d->scores->nscores) {
		mn_buf_puts(b, "<p>No clinical score applies to this record.</p>\n");
		return;
	}
	mn_buf_puts(b, "<dl class=\"facts\">\n");
	for (size_t i = 0; i < d->scores->nscores; i++) {
		const mn_score *s = &d->scores->scores[i];
		mn_buf_puts(b, "<dt>");
		esc(b, s->title);
		if (s->variant) {
			mn_buf_puts(b, " (");
			esc(b, s->variant);
			mn_buf_puts(b, ")");
		}
		mn_buf_puts(b, "</dt><dd>");
		if (s->computed) {
			esc(b, s->value);
			for (size_t k = 0; k < s->ndetails; k++) {
				mn_buf_puts(b, "<br>");
				esc(b, s->details[k]);
			}
		} else {
			mn_buf_puts(b, "not computed: ");
			esc(b, s->why_not);
		}
		mn_buf_puts(b, "</dd>\n");
	}
	mn_buf_puts(b, "</dl>\n");
}

/* What the form sent, to show again with the refusal. */
typedef struct form {
	size_t n;
	char *name[FORM_MAX_FIELDS], *value[FORM_MAX_FIELDS];
} form;

static const char *form_get(const form *f, const char *name)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

static bool form_has(const form *f, const char *name, const char *value)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (strcmp(f->name[i], name) == 0 && strcmp(f->value[i], value) == 0)
			return true;
	return false;
}

static void put_decision(mn_buf *b, const stored_case *c)
{
	const mn_json *dec = c->decision;
	bool approved = mn_json_is_string(mn_json_get(dec, "decision"), "approve");
	const mn_json *who = mn_json_get(dec, "reviewer");
	mn_buf_printf(b, "<div class=\"done\" id=\"decision-result\" role=\"status\">\n<p><strong>%s</strong> by ",
	              approved ? "Approved" : "Denied");
	esc(b, mn_json_get_string(who, "name"));
	mn_buf_puts(b, ", ");
	esc(b, mn_json_get_string(who, "credentials"));
	mn_buf_puts(b, ", on ");
	esc(b, c->decided_at);
	mn_buf_puts(b, ".</p>\n");
	if (!approved) {
		mn_buf_puts(b, "<p>Reason: ");
		esc(b, mn_json_get_string(dec, "reason"));
		mn_buf_puts(b, "</p>\n<p>Criteria concerned:</p>\n<ul>\n");
		const mn_json *crits = mn_json_get(dec, "criteria");
		for (uint32_t i = 0; crits && crits->type == MN_JSON_ARRAY && i < crits->n; i++) {
			mn_buf_puts(b, "<li>");
			esc(b, mn_json_get_string(&crits->u.items[i], "title"));
			mn_buf_puts(b, "</li>\n");
		}
		mn_buf_puts(b, "</ul>\n");
	}
	mn_buf_printf(b, "<p>PAS <code>$inquire</code> for <code>");
	esc(b, c->lookup_key);
	mn_buf_printf(b, "</code> answers %s. Audit row <code>", approved ? "A1 (certified in total)"
	                                                                      : "A3 (not certified) with this reason");
	esc(b, c->decision_id);
	mn_buf_puts(b, "</code>.</p>\n</div>\n");
}

static void put_form(mn_buf *b, const mn_review *rv, const stored_case *c, const mn_policy *pol,
                     const mn_determination *d, const form *f, const char *problems)
{
	char token[65];
	csrf_token(rv, c->id, token);
	mn_buf_puts(b, "<form method=\"post\" action=\"/review/case/");
	esc(b, c->id);
	mn_buf_puts(b, "/decision\" aria-describedby=\"form-help\">\n");
	if (problems) {
		mn_buf_puts(b, "<div class=\"alert\" id=\"form-error\" role=\"alert\">\n<p><strong>The decision was not "
		               "recorded.</strong></p>\n<ul>\n");
		mn_buf_puts(b, problems);   /* list items of fixed text (decide) */
		mn_buf_puts(b, "</ul>\n</div>\n");
	}
	mn_buf_printf(b, "<p id=\"form-help\">Approve, or deny with a specific reason linked to the criteria it concerns. "
	                 "Only a physician may deny (42 CFR 422.566(d)): a denial needs credentials MD or DO.</p>\n"
	                 "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n", token);
	const char *chosen = form_get(f, "decision");
	mn_buf_printf(b, "<fieldset>\n<legend>Decision</legend>\n"
	                 "<input type=\"radio\" id=\"decision-approve\" name=\"decision\" value=\"approve\"%s>"
	                 "<label class=\"inline\" for=\"decision-approve\">Approve</label>\n"
	                 "<input type=\"radio\" id=\"decision-deny\" name=\"decision\" value=\"deny\"%s>"
	                 "<label class=\"inline\" for=\"decision-deny\">Deny</label>\n</fieldset>\n",
	              chosen && !strcmp(chosen, "approve") ? " checked" : "", chosen && !strcmp(chosen, "deny") ? " checked" : "");
	mn_buf_puts(b, "<fieldset>\n<legend>Criteria a denial concerns</legend>\n");
	for (size_t i = 0; pol && i < pol->ncriteria; i++) {
		const mn_criterion *cr = &pol->criteria[i];
		mn_buf_printf(b, "<div><input type=\"checkbox\" id=\"criterion-%zu\" name=\"criterion\" value=\"", i + 1);
		esc(b, cr->id);
		mn_buf_printf(b, "\"%s><label class=\"inline\" for=\"criterion-%zu\">", form_has(f, "criterion", cr->id)
		                                                                        ? " checked" : "", i + 1);
		esc(b, cr->title);
		for (size_t k = 0; d && d->policy == pol && k < d->nresults; k++)
			if (d->results[k].criterion == cr)
				mn_buf_printf(b, " <em>(%s)</em>", status_text(d->results[k].status));
		mn_buf_puts(b, "</label></div>\n");
	}
	mn_buf_puts(b, "</fieldset>\n<label for=\"reason\">Reason for a denial: what is missing or not met, specifically"
	               "</label>\n<textarea id=\"reason\" name=\"reason\" rows=\"4\">");
	esc(b, form_get(f, "reason"));
	mn_buf_puts(b, "</textarea>\n<label for=\"reviewer\">Reviewer's name</label>\n"
	               "<input type=\"text\" id=\"reviewer\" name=\"reviewer\" autocomplete=\"name\" value=\"");
	esc(b, form_get(f, "reviewer"));
	mn_buf_puts(b, "\">\n<label for=\"credentials\">Credentials (for example MD or DO)</label>\n"
	               "<input type=\"text\" id=\"credentials\" name=\"credentials\" value=\"");
	esc(b, form_get(f, "credentials"));
	mn_buf_puts(b, "\">\n<p><button type=\"submit\">Record decision</button></p>\n</form>\n");
}

/* The policy the case was decided under (id and version), else the one with its id, else NULL. */
static const mn_policy *find_policy(const mn_service *s, const char *id, const char *version)
{
	const mn_policy *any = NULL;
	for (size_t i = 0; id && i < s->npolicies; i++) {
		const mn_policy *p = s->policies[i];
		if (!p->id || strcmp(p->id, id) != 0)
			continue;
		if (p->version && version && strcmp(p->version, version) == 0)
			return p;
		any = p;
	}
	return any;
}

typedef struct case_view {
	stored_case c;
	mn_case *kase;
	mn_svc_decision dec;
	bool decided;          /* dec.d is set */
	char why[600];         /* why not, when !decided */
} case_view;

static void case_view_free(case_view *v)
{
	mn_svc_decision_free(&v->dec);
	mn_case_free(v->kase);
	mn_arena_free(v->c.arena);
}

/* Load the case and decide it again. MN_ENOTFOUND for an unknown id; MN_ENOMEM; else MN_OK. */
static mn_status case_view_load(mn_review *rv, const char *id, case_view *v, mn_error *err)
{
	memset(v, 0, sizeof *v);
	mn_status st = load_case(rv, id, &v->c, err);
	if (st != MN_OK)
		return st;
	if (!v->c.request || !v->c.as_of) {
		snprintf(v->why, sizeof v->why, "This case was stored without its request (before the reviewer's page "
		         "existed): its evidence and letter cannot be shown.");
		return MN_OK;
	}
	mn_buf text = MN_BUF_INIT;
	mn_json_write(&text, v->c.request);
	if (text.failed) {
		mn_buf_free(&text);
		return MN_ENOMEM;
	}
	mn_error e;
	mn_error_clear(&e);
	st = mn_svc_pas_redecide(rv->service, text.data, text.len, v->c.as_of, &v->kase, &v->dec, &e);
	mn_buf_free(&text);
	if (st == MN_ENOMEM)
		return st;
	if (st != MN_OK)
		snprintf(v->why, sizeof v->why, "The stored request could not be decided again: %.500s", e.message);
	v->decided = st == MN_OK;
	return MN_OK;
}

static mn_status case_page(mn_review *rv, const char *id, const form *f, const char *problems, int status,
                           mn_review_response *out, mn_error *err)
{
	case_view v;
	mn_status st = case_view_load(rv, id, &v, err);
	if (st == MN_ENOTFOUND) {
		case_view_free(&v);
		return message_page(out, 404, "No such case", "There is no case with this id in the audit trail.");
	}
	if (st != MN_OK) {
		case_view_free(&v);
		if (st == MN_ENOMEM)
			return st;
		return message_page(out, 503, "Audit store unavailable", "The audit store could not be read; try again.");
	}
	const stored_case *c = &v.c;
	const mn_determination *d = v.decided ? v.dec.d : NULL;
	const mn_policy *pol = d ? d->policy : find_policy(rv->service, c->policy_id, c->policy_version);
	mn_buf b = MN_BUF_INIT;
	char title[200];
	snprintf(title, sizeof title, "Case %s", c->lookup_key && *c->lookup_key ? c->lookup_key : c->id);
	page_begin(&b, title);
	mn_buf_puts(&b, "<h1>");
	esc(&b, title);
	mn_buf_puts(&b, "</h1>\n<dl class=\"facts\">\n<dt>Received</dt><dd>");
	esc(&b, c->received);
	mn_buf_puts(&b, "</dd>\n<dt>Policy</dt><dd>");
	esc(&b, c->policy_id && *c->policy_id ? c->policy_id : "none");
	if (pol && pol->title) {
		mn_buf_puts(&b, ": ");
		esc(&b, pol->title);
	}
	mn_buf_puts(&b, " (version ");
	esc(&b, c->policy_version && *c->policy_version ? c->policy_version : "-");
	mn_buf_puts(&b, ")</dd>\n<dt>Evaluated as of</dt><dd>");
	esc(&b, c->as_of ? c->as_of : "not stored");
	mn_buf_puts(&b, "</dd>\n<dt>Engine outcome</dt><dd>");
	esc(&b, c->outcome);
	mn_buf_puts(&b, "</dd>\n<dt>Status</dt><dd id=\"case-status\">");
	const char *decision_outcome = c->decision ? (mn_json_is_string(mn_json_get(c->decision, "decision"), "approve")
	                                                  ? "approved" : "denied") : NULL;
	esc(&b, status_words(c->outcome, decision_outcome));
	mn_buf_puts(&b, "</dd>\n</dl>\n");
	if (!v.decided) {
		mn_buf_puts(&b, "<p class=\"alert\">");
		esc(&b, v.why);
		mn_buf_puts(&b, "</p>\n");
	} else {
		if (c->policy_version && d->policy->version && strcmp(c->policy_version, d->policy->version) != 0) {
			mn_buf_puts(&b, "<p class=\"alert\">The policy has changed since the decision: it was decided under "
			                "version ");
			esc(&b, c->policy_version);
			mn_buf_puts(&b, "; this page shows version ");
			esc(&b, d->policy->version);
			mn_buf_puts(&b, ".</p>\n");
		}
		const char *now = mn_outcome_name(d->outcome);
		if (c->outcome && strcmp(c->outcome, now) != 0)
			mn_buf_printf(&b, "<p class=\"alert\">Decided again today the outcome is %s, not the stored one.</p>\n",
			              now);
	}
	if (d) {
		mn_buf_puts(&b, "<nav aria-label=\"On this page\"><p>On this page: <a href=\"#h-missing\">Missing "
		                "documentation</a> &middot; <a href=\"#h-criteria\">Criteria</a> &middot; <a href=\"#h-timeline\">Timeline</a> &middot; "
		                "<a href=\"#h-scores\">Scores</a> &middot; <a href=\"#h-letter\">Letter</a> &middot; "
		                "<a href=\"#h-decision\">Decision</a></p></nav>\n");
		mn_buf_puts(&b, "<section aria-labelledby=\"h-missing\">\n"
		                "<h2 id=\"h-missing\">Missing documentation</h2>\n<ul>\n");
		size_t nmissing = 0;
		for (size_t i = 0; i < d->nresults; i++) {
			const mn_criterion_result *r = &d->results[i];
			if (r->status == MN_CRIT_MET)
				continue;
			nmissing++;
			mn_buf_puts(&b, "<li><strong>");
			esc(&b, r->criterion->title);
			mn_buf_printf(&b, "</strong> (%s)", status_text(r->status));
			if (r->criterion->satisfied_by) {
				mn_buf_puts(&b, ": ");
				esc(&b, r->criterion->satisfied_by);
			}
			mn_buf_puts(&b, "</li>\n");
		}
		if (!d->request_found) {
			nmissing++;
			mn_buf_puts(&b, "<li>No active order the policy recognizes is in the record.</li>\n");
		}
		if (!nmissing)
			mn_buf_puts(&b, "<li>Nothing: every criterion is met.</li>\n");
		mn_buf_puts(&b, "</ul>\n</section>\n");
		mn_buf_puts(&b, "<section aria-labelledby=\"h-criteria\">\n<h2 id=\"h-criteria\">Criteria</h2>\n"
		                "<ol class=\"checklist\">\n");
		for (size_t i = 0; i < d->nresults; i++) {
			const mn_criterion_result *r = &d->results[i];
			mn_buf_printf(&b, "<li class=\"%s\"><h3><span class=\"status\">%s:</span> ", status_class(r->status),
			              status_text(r->status));
			esc(&b, r->criterion->title);
			mn_buf_puts(&b, "</h3>\n");
			if (r->criterion->satisfied_by) {
				mn_buf_puts(&b, "<p><strong>Documentation that satisfies it:</strong> ");
				esc(&b, r->criterion->satisfied_by);
				mn_buf_puts(&b, "</p>\n");
			}
			put_entries(&b, r);
			put_clause(&b, r->criterion);
			mn_buf_puts(&b, "</li>\n");
		}
		mn_buf_puts(&b, "</ol>\n</section>\n<section aria-labelledby=\"h-timeline\">\n"
		                "<h2 id=\"h-timeline\">Timeline</h2>\n");
		if (put_timeline(&b, d) != MN_OK)
			b.failed = true;
		mn_buf_puts(&b, "</section>\n<section aria-labelledby=\"h-scores\">\n<h2 id=\"h-scores\">Scores</h2>\n");
		put_scores(&b, d);
		mn_buf_puts(&b, "</section>\n<section aria-labelledby=\"h-letter\">\n<h2 id=\"h-letter\">Letter</h2>\n"
		                "<p><a id=\"letter-pdf\" href=\"/review/case/");
		esc(&b, c->id);
		mn_buf_puts(&b, "/letter.pdf\" download>Download the letter as PDF</a> &middot; <a href=\"/review/case/");
		esc(&b, c->id);
		mn_buf_puts(&b, "/letter\">Open the letter on its own page</a></p>\n<iframe title=\"The letter\" "
		                "src=\"/review/case/");
		esc(&b, c->id);
		mn_buf_puts(&b, "/letter\"></iframe>\n</section>\n");
	}
	mn_buf_puts(&b, "<section aria-labelledby=\"h-decision\">\n<h2 id=\"h-decision\">Physician's decision</h2>\n");
	if (c->decision)
		put_decision(&b, c);
	else if (c->outcome && strcmp(c->outcome, "meets-criteria") == 0)
		mn_buf_puts(&b, "<p>Certified by the engine: every criterion is met. No reviewer decision is needed.</p>\n");
	else
		put_form(&b, rv, c, pol, d, f, problems);
	mn_buf_puts(&b, "</section>\n");
	page_end(&b);
	case_view_free(&v);
	return respond(out, status, "text/html; charset=utf-8", &b);
}

/* ---- the letter --------------------------------------------------------------- */

static mn_status letter(mn_review *rv, const char *id, bool pdf, mn_review_response *out, mn_error *err)
{
	case_view v;
	mn_status st = case_view_load(rv, id, &v, err);
	if (st == MN_ENOMEM) {
		case_view_free(&v);
		return st;
	}
	if (st != MN_OK || !v.decided) {
		case_view_free(&v);
		return message_page(out, 404, "No letter", "There is no letter for this id.");
	}
	mn_doc *doc = NULL;
	mn_error e;
	mn_error_clear(&e);
	st = mn_letter_build(v.dec.d, &doc, &e);
	if (st != MN_OK) {
		case_view_free(&v);
		if (st == MN_ENOMEM)
			return st;
		return message_page(out, 500, "Letter not written", "The letter could not be written for this case.");
	}
	mn_buf b = MN_BUF_INIT;
	if (pdf) {
		atomic_store(&rv->typeset, true);
		st = mn_doc_write_pdf(doc, MN_PAPER_LETTER, &b, &e);
		if (st == MN_OK) {
			out->header_name = "Content-Disposition";
			snprintf(out->header_value, sizeof out->header_value, "attachment; filename=\"letter-%.64s.pdf\"",
			         v.c.lookup_key && *v.c.lookup_key ? v.c.lookup_key : "case");
		}
	} else {
		st = mn_doc_write_html(doc, &b);
	}
	mn_doc_free(doc);
	case_view_free(&v);
	if (st == MN_ENOMEM) {
		mn_buf_free(&b);
		return st;
	}
	if (st != MN_OK) {
		mn_buf_free(&b);
		out->header_name = NULL;
		return message_page(out, 501, "Letter not available", pdf ? "The PDF writer of this build could not "
		                    "write the letter." : "The HTML writer could not write the letter.");
	}
	return respond(out, 200, pdf ? "application/pdf" : "text/html; charset=utf-8", &b);
}

/* ---- the decision ------------------------------------------------------------- */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                                                                                                 : -1;
}

/* application/x-www-form-urlencoded into f (strings in arena). false when malformed. */
static bool form_parse(mn_arena *arena, const char *body, size_t len, form *f)
{
	f->n = 0;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && body[j] != '&')
			j++;
		if (j > i) {
			if (f->n == FORM_MAX_FIELDS)
				return false;
			char *dec = mn_arena_alloc(arena, j - i + 1), *name = dec, *value = NULL;
			if (!dec)
				return false;
			size_t k = 0;
			for (size_t p = i; p < j; p++) {
				int ch = (unsigned char)body[p];
				if (ch == '+')
					ch = ' ';
				else if (ch == '%') {
					int h = p + 2 < j ? hexval(body[p + 1]) : -1, l = p + 2 < j ? hexval(body[p + 2]) : -1;
					if (h < 0 || l < 0)
						return false;
					ch = h * 16 + l;
					p += 2;
				} else if (ch == '=' && !value) {
					dec[k++] = '\0';
					value = dec + k;
					continue;
				}
				if (ch == 0)
					return false;
				dec[k++] = (char)ch;
			}
			dec[k] = '\0';
			f->name[f->n] = name;
			f->value[f->n++] = value ? value : dec + k;
		}
		i = j + 1;
	}
	return true;
}

/* Leading and trailing blanks removed (in place). */
static char *trim(char *s)
{
	if (!s)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Credentials that say the reviewer is a physician: a token MD or DO (dots ignored, any case), e.g. "MD",
 * "M.D.", "DO, FAAPMR", "MD PhD". */
static bool is_physician(const char *cred)
{
	const char *p = cred;
	while (p && *p) {
		while (*p && !isalnum((unsigned char)*p))
			p++;
		char tok[16];
		size_t n = 0;
		while (*p && (isalnum((unsigned char)*p) || *p == '.')) {
			if (*p != '.' && n < sizeof tok - 1)
				tok[n++] = (char)toupper((unsigned char)*p);
			p++;
		}
		tok[n] = '\0';
		if (!strcmp(tok, "MD") || !strcmp(tok, "DO"))
			return true;
	}
	return false;
}

static mn_status decide(mn_review *rv, const char *id, const mn_review_request *req, mn_review_response *out,
                        mn_error *err)
{
	mn_arena *arena = mn_arena_new();
	if (!arena)
		return MN_ENOMEM;
	form f = {0};
	mn_status st = MN_OK;
	const char *ct = req->content_type;
	if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0 ||
	    !form_parse(arena, req->body ? req->body : "", req->body_len, &f)) {
		mn_arena_free(arena);
		return message_page(out, 400, "Bad request", "The decision must be sent by the page's form.");
	}
	/* the token first: a request not from this page changes nothing and learns nothing */
	char want[65];
	csrf_token(rv, id, want);
	const char *tok = form_get(&f, "csrf");
	if (!want[0] || !tok || strlen(tok) != 64 || CRYPTO_memcmp(tok, want, 64) != 0) {
		mn_arena_free(arena);
		return message_page(out, 403, "Refused", "The form's security token is missing or does not belong to this "
		                    "case's page. Load the case page again and resubmit.");
	}
	case_view v;
	st = case_view_load(rv, id, &v, err);
	if (st != MN_OK) {
		case_view_free(&v);
		mn_arena_free(arena);
		if (st == MN_ENOMEM)
			return st;
		return message_page(out, st == MN_ENOTFOUND ? 404 : 503, "No such case",
		                    "There is no case with this id in the audit trail.");
	}
	const stored_case *c = &v.c;
	if (c->decision || (c->outcome && strcmp(c->outcome, "meets-criteria") == 0)) {
		case_view_free(&v);
		mn_arena_free(arena);
		return message_page(out, 409, "Already decided", "This case already has a decision; it is not changed.");
	}
	const mn_policy *pol = v.decided ? v.dec.d->policy : find_policy(rv->service, c->policy_id, c->policy_version);
	const char *decision = form_get(&f, "decision");
	char *reason = trim((char *)form_get(&f, "reason")), *name = trim((char *)form_get(&f, "reviewer")),
	     *cred = trim((char *)form_get(&f, "credentials"));
	bool deny = decision && !strcmp(decision, "deny"), approve = decision && !strcmp(decision, "approve");
	mn_buf problems = MN_BUF_INIT, crits = MN_BUF_INIT;
	if (!deny && !approve)
		mn_buf_puts(&problems, "<li>Choose Approve or Deny.</li>\n");
	if (!name || !*name)
		mn_buf_puts(&problems, "<li>Give the reviewer's name.</li>\n");
	if (!cred || !*cred)
		mn_buf_puts(&problems, "<li>Give the reviewer's credentials.</li>\n");
	size_t ncrit = 0;
	for (size_t i = 0; i < f.n; i++) {
		if (strcmp(f.name[i], "criterion") != 0)
			continue;
		const mn_criterion *cr = NULL;
		for (size_t k = 0; pol && k < pol->ncriteria && !cr; k++)
			if (!strcmp(pol->criteria[k].id, f.value[i]))
				cr = &pol->criteria[k];
		if (!cr) {
			mn_buf_puts(&problems, "<li>A criterion sent is not one of this policy's.</li>\n");
			continue;
		}
		mn_buf_puts(&crits, ncrit++ ? "," : "");
		mn_buf_puts(&crits, "{\"id\":");
		mn_buf_put_json_string(&crits, cr->id, strlen(cr->id));
		mn_buf_puts(&crits, ",\"title\":");
		mn_buf_put_json_string(&crits, cr->title, strlen(cr->title));
		mn_buf_putc(&crits, '}');
	}
	if (deny) {
		if (!reason || !*reason)
			mn_buf_puts(&problems, "<li>A denial needs a specific reason: say what is missing or not met.</li>\n");
		if (!ncrit)
			mn_buf_puts(&problems, "<li>A denial must name at least one criterion it concerns.</li>\n");
		if (cred && *cred && !is_physician(cred))
			mn_buf_puts(&problems, "<li>Only a physician may deny (42 CFR 422.566(d)): the credentials must "
			                       "include MD or DO.</li>\n");
	}
	if (problems.len || problems.failed) {
		/* the page again, with what was wrong and the values as given (escaped by the page) */
		case_view_free(&v);
		mn_buf_free(&crits);
		if (problems.failed) {
			mn_buf_free(&problems);
			mn_arena_free(arena);
			return MN_ENOMEM;
		}
		st = case_page(rv, id, &f, mn_buf_cstr(&problems), 422, out, err);
		mn_buf_free(&problems);
		mn_arena_free(arena);
		return st;
	}
	mn_buf det = MN_BUF_INIT;
	mn_buf_puts(&det, "{\"kind\":\"reviewer-decision\",\"case\":");
	mn_buf_put_json_string(&det, c->id, strlen(c->id));
	mn_buf_puts(&det, ",\"preAuthRef\":");
	mn_buf_put_json_string(&det, c->lookup_key, strlen(c->lookup_key));
	mn_buf_printf(&det, ",\"decision\":\"%s\",\"reason\":", deny ? "deny" : "approve");
	mn_buf_put_json_string(&det, reason ? reason : "", reason ? strlen(reason) : 0);
	mn_buf_printf(&det, ",\"criteria\":[%s],\"reviewer\":{\"name\":", mn_buf_cstr(&crits));
	mn_buf_put_json_string(&det, name, strlen(name));
	mn_buf_puts(&det, ",\"credentials\":");
	mn_buf_put_json_string(&det, cred, strlen(cred));
	mn_buf_printf(&det, "},\"physician\":%s}", is_physician(cred) ? "true" : "false");
	char sha[65];
	mn_sha256_hex(req->body ? req->body : "", req->body_len, sha);
	mn_audit_record rec = {req->request_id, req->received, MN_AUDIT_KIND_REVIEW, c->policy_id, c->policy_version,
	                       sha, deny ? "denied" : "approved", c->lookup_key, mn_buf_cstr(&det)};
	mn_error aerr;
	mn_error_clear(&aerr);
	pthread_mutex_lock(&rv->deciding);
	bool taken = false;
	if (!det.failed && !crits.failed) {
		/* a decision stored since the case was read (another reviewer) wins; this one is refused */
		stored_case again;
		mn_error e;
		mn_error_clear(&e);
		st = load_case(rv, c->id, &again, &e);
		taken = st == MN_OK && again.decision;
		mn_arena_free(again.arena);
	}
	st = det.failed || crits.failed ? MN_ENOMEM : taken ? MN_OK : st != MN_OK ? st
	                                                     : mn_audit_append(rv->audit, &rec, &aerr);
	pthread_mutex_unlock(&rv->deciding);
	char location[200];
	snprintf(location, sizeof location, "/review/case/%s", c->id);
	mn_buf_free(&det);
	mn_buf_free(&crits);
	mn_buf_free(&problems);
	case_view_free(&v);
	mn_arena_free(arena);
	if (st == MN_ENOMEM)
		return st;
	if (taken)
		return message_page(out, 409, "Already decided", "Another decision on this case was stored first; this "
		                    "one was not stored.");
	if (st != MN_OK)
		return message_page(out, 503, "Not recorded", "The decision could not be stored in the audit trail; "
		                    "nothing was decided. Try again.");
	out->outcome = deny ? "denied" : "approved";
	out->header_name = "Location";
	snprintf(out->header_value, sizeof out->header_value, "%s", location);
	mn_buf b = MN_BUF_INIT;
	page_begin(&b, "Decision recorded");
	mn_buf_puts(&b, "<h1>Decision recorded</h1>\n<p><a href=\"");
	esc(&b, location);
	mn_buf_puts(&b, "\">Back to the case</a></p>\n");
	page_end(&b);
	return respond(out, 303, "text/html; charset=utf-8", &b);
}

/* ---- routes ------------------------------------------------------------------- */

mn_status mn_review_handle(mn_review *rv, const mn_review_request *req, mn_review_response *out, mn_error *err)
{
	memset(out, 0, sizeof *out);
	const char *path = req->path;
	bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
	if (!rv->audit)
		return message_page(out, 503, "No audit store", "The server has no audit store: there are no cases.");
	if (!strcmp(path, "/review") || !strcmp(path, "/review/")) {
		if (!get)
			return message_page(out, 405, "Method not allowed", "The queue is read with GET.");
		return queue_page(rv, out, err);
	}
	static const char prefix[] = "/review/case/";
	if (strncmp(path, prefix, sizeof prefix - 1) != 0)
		return message_page(out, 404, "Not found", "There is no such page.");
	const char *id = path + sizeof prefix - 1;
	const char *slash = strchr(id, '/');
	size_t idn = slash ? (size_t)(slash - id) : strlen(id);
	if (!id_ok(id, idn))
		return message_page(out, 404, "No such case", "There is no case with this id in the audit trail.");
	char idbuf[128];
	memcpy(idbuf, id, idn);
	idbuf[idn] = '\0';
	const char *rest = slash ? slash : "";
	if (!*rest && get)
		return case_page(rv, idbuf, NULL, NULL, 200, out, err);
	if (!strcmp(rest, "/letter") && get)
		return letter(rv, idbuf, false, out, err);
	if (!strcmp(rest, "/letter.pdf") && get)
		return letter(rv, idbuf, true, out, err);
	if (!strcmp(rest, "/decision") && post)
		return decide(rv, idbuf, req, out, err);
	if (!*rest || !strcmp(rest, "/letter") || !strcmp(rest, "/letter.pdf") || !strcmp(rest, "/decision"))
		return message_page(out, 405, "Method not allowed", "This page does not take this method.");
	return message_page(out, 404, "Not found", "There is no such page.");
}
