/*
 * letter.c: build a letter of medical necessity as a document tree.
 *
 * The policy's letter sections are applied in order. Built-in sections come
 * from the determination (opening, criteria with their record entries, what
 * is missing, references, record entries); the other sections are the
 * policy's statements: each is written only when its condition holds, every
 * slot yields something, and it has a source (a citation or a record entry).
 * Argument sections are written only when the criteria are met (or the
 * section says `always`): a letter for an unmet request states what is
 * missing instead of arguing past it.
 *
 * Citations are numbered in order of first use; record entries likewise
 * (R1, R2, ...). Both lists are printed by the references and record
 * sections, so every number in the text resolves.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/render.h"

typedef struct builder {
	const mn_determination *d;
	mn_fp_env *env;        /* the letter's own copy of d->env (it binds %item) */
	mn_doc *doc;
	size_t capblocks, caprefs, caprecords, capwarnings;
	const void **refkeys;  /* identity of each numbered reference */
	mn_error *err;
	bool facts_only;       /* a letter that does not meet criteria: record facts, no argument */
	bool appendix;         /* past the builtin signature: the appendix for the reviewer */
	/* The body (before the signature) states each finding and each record
	 * entry once: the findings it has inserted, the record numbers it has
	 * cited, and the findings of the template being filled (kept only if
	 * its block is written). */
	const void **body_findings;
	size_t nbody_findings, capbody_findings;
	const void **pending;
	size_t npending, cappending;
	int *body_records;
	size_t nbody_records, capbody_records;
	bool oom;
	bool broken;           /* a template part with no text, finding or expression (a policy not loaded whole) */
} builder;

#define A (B->doc->arena)

static void *grow(builder *B, void *arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p = mn_arena_calloc(A, ncap, size);
	if (!p) {
		B->oom = true;
		return NULL;
	}
	if (n)
		memcpy(p, arr, n * size);
	*cap = ncap;
	return p;
}

static void warn(builder *B, const char *msg)
{
	size_t cap = B->capwarnings;
	const char **w = grow(B, (void *)B->doc->warnings, &cap, B->doc->nwarnings, sizeof *w);
	if (!w || !msg)
		return;
	B->capwarnings = cap;
	w[B->doc->nwarnings++] = msg;
	B->doc->warnings = w;
}

/* ---- numbering ------------------------------------------------------------ */

static int ref_number(builder *B, const mn_cite *c)
{
	const void *key;
	const char *text, *note = NULL, *id;
	if (c->source) {
		key = c->source;
		id = c->source->id;
		text = c->source->citation;  /* formatted by the loader (knowledge/cite.c) */
		if (c->source->verification == MN_VERIFIED_SECONDARY)
			note = "seen only in a third-party summary; not the payer's own words";
	} else {
		const mn_reference *r = c->finding ? c->finding->reference : c->reference;
		key = r;
		id = r->id;
		text = r->citation;
		if (r->verification == MN_VERIFIED_SECONDARY ||
		    (c->finding && c->finding->verification == MN_VERIFIED_SECONDARY))
			note = "figures seen only in a secondary source";
	}
	for (size_t i = 0; i < B->doc->nrefs; i++)
		if (B->refkeys[i] == key)
			return (int)i + 1;
	size_t cap = B->caprefs, cap2 = B->caprefs;
	mn_doc_ref *refs = grow(B, B->doc->refs, &cap, B->doc->nrefs, sizeof *refs);
	const void **keys = grow(B, (void *)B->refkeys, &cap2, B->doc->nrefs, sizeof *keys);
	if (!refs || !keys)
		return 0;
	B->caprefs = cap;
	B->doc->refs = refs;
	B->refkeys = keys;
	refs[B->doc->nrefs] = (mn_doc_ref){id, text, note};
	keys[B->doc->nrefs] = key;
	return (int)++B->doc->nrefs;
}

static int record_number(builder *B, const mn_resource *r)
{
	while (r->container)
		r = r->container;
	for (size_t i = 0; i < B->doc->nrecords; i++)
		if (B->doc->records[i].resource == r)
			return (int)i + 1;
	size_t cap = B->caprecords;
	mn_entry *recs = grow(B, B->doc->records, &cap, B->doc->nrecords, sizeof *recs);
	if (!recs)
		return 0;
	B->caprecords = cap;
	B->doc->records = recs;
	if (mn_entry_make(B->d->kase, r, A, &recs[B->doc->nrecords]) != MN_OK) {
		B->oom = true;
		return 0;
	}
	return (int)++B->doc->nrecords;
}

/* A growing set of small ints (citation numbers), kept in first-use order. */
typedef struct intset {
	int *v;
	size_t n, cap;
} intset;

static void intset_add(builder *B, intset *s, int x)
{
	if (x <= 0)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return;
	int *v = grow(B, s->v, &s->cap, s->n, sizeof *v);
	if (!v)
		return;
	s->v = v;
	s->v[s->n++] = x;
}

static mn_block *add_block(builder *B, mn_block_kind kind, const char *lead, const char *text)
{
	size_t cap = B->capblocks;
	mn_block *blocks = grow(B, B->doc->blocks, &cap, B->doc->nblocks, sizeof *blocks);
	if (!blocks)
		return NULL;
	B->capblocks = cap;
	B->doc->blocks = blocks;
	mn_block *b = &blocks[B->doc->nblocks++];
	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->lead = lead;
	b->text = text;
	return b;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Attach citation numbers to a block, in ascending order. */
static void set_cites(mn_block *b, const intset *refs, const intset *recs)
{
	if (!b)
		return;
	if (refs && refs->n)
		qsort(refs->v, refs->n, sizeof *refs->v, cmp_int);
	if (recs && recs->n)
		qsort(recs->v, recs->n, sizeof *recs->v, cmp_int);
	b->cites = refs ? refs->v : NULL;
	b->ncites = refs ? refs->n : 0;
	b->records = recs ? recs->v : NULL;
	b->nrecords = recs ? recs->n : 0;
}

/* ---- slot values as text ---------------------------------------------------- */

static void put_number(mn_buf *b, double v)
{
	if (fabs(v) < 1e15 && v == floor(v)) {
		mn_buf_printf(b, "%.0f", v);
		return;
	}
	char tmp[64];
	if (mn_snprintf(tmp, sizeof tmp, "%.6f", v) < 0) {
		b->failed = true;
		return;
	}
	size_t n = strlen(tmp);
	while (n > 1 && tmp[n - 1] == '0')
		tmp[--n] = '\0';
	if (n && tmp[n - 1] == '.')
		tmp[--n] = '\0';
	mn_buf_puts(b, tmp);
}

static void put_unit(mn_buf *b, const char *unit)
{
	if (!unit || !*unit || strcmp(unit, "1") == 0)
		return;
	if (strcmp(unit, "%") == 0)
		mn_buf_putc(b, '%');
	else
		mn_buf_printf(b, " %s", unit);
}

/* The date part of a date or dateTime text, copied to the doc's arena. */
static const char *date_only(builder *B, const char *s)
{
	const char *t = strchr(s, 'T');
	return mn_arena_strndup(A, s, t ? (size_t)(t - s) : strlen(s));
}

/* One item as text; NULL when it has no readable form. */
static const char *item_text(builder *B, const mn_fp_item *it)
{
	mn_buf b = MN_BUF_INIT;
	char dt[64];
	const char *s = NULL;
	switch (mn_fp_item_kind(it)) {
	case MN_FP_BOOLEAN:
		mn_buf_puts(&b, mn_fp_item_boolean(it) ? "yes" : "no");
		break;
	case MN_FP_INTEGER:
	case MN_FP_DECIMAL:
		put_number(&b, mn_fp_item_number(it));
		break;
	case MN_FP_STRING:
		s = mn_fp_item_string(it, NULL);
		break;
	case MN_FP_DATE:
	case MN_FP_DATETIME:
	case MN_FP_TIME:
		mn_datetime_format(mn_fp_item_datetime(it), dt, sizeof dt);
		s = date_only(B, dt);
		break;
	case MN_FP_QUANTITY:
		put_number(&b, mn_fp_item_number(it));
		put_unit(&b, mn_fp_item_unit(it));
		break;
	case MN_FP_NODE: {
		const mn_json *n = mn_fp_item_node(it);
		const char *type = mn_fp_item_type(it);
		if (!n || !type)
			break;
		if (strcmp(type, "CodeableConcept") == 0) {
			s = mn_fhir_concept_text(n);
		} else if (strcmp(type, "Coding") == 0) {
			s = mn_json_get_string(n, "display");
			if (!s)
				s = mn_json_get_string(n, "code");
		} else if (strcmp(type, "Quantity") == 0 || strcmp(type, "Age") == 0 || strcmp(type, "Duration") == 0) {
			const mn_json *v = mn_json_get(n, "value");
			const char *unit = mn_json_get_string(n, "unit");
			if (v && v->type == MN_JSON_NUMBER) {
				mn_buf_put(&b, v->u.s, v->n);
				put_unit(&b, unit ? unit : mn_json_get_string(n, "code"));
			}
		} else if (strcmp(type, "Period") == 0) {
			const char *st = mn_json_get_string(n, "start"), *en = mn_json_get_string(n, "end");
			if (st && en)
				mn_buf_printf(&b, "%s to %s", date_only(B, st), date_only(B, en));
			else if (st)
				mn_buf_printf(&b, "from %s", date_only(B, st));
		} else if (strcmp(type, "Reference") == 0) {
			s = mn_json_get_string(n, "display");
			if (!s)
				s = mn_json_get_string(n, "reference");
		} else if (strcmp(type, "HumanName") == 0) {
			s = mn_fhir_name_text(A, n);
		} else {
			const mn_resource *r = mn_fp_item_resource(it);
			if (r && r->json == n) {
				mn_entry e;
				mn_status st = mn_entry_make(B->d->kase, r, A, &e);
				if (st == MN_OK)
					s = e.summary;
				B->oom |= st == MN_ENOMEM;
			}
		}
		break;
	}
	}
	if (!s && b.len && !b.failed)
		s = mn_arena_strndup(A, mn_buf_cstr(&b), b.len);
	B->oom |= b.failed;
	mn_buf_free(&b);
	return s && *s ? s : NULL;
}

/* "a", "a and b", "a, b and c" */
static void put_list(mn_buf *out, const char **items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			mn_buf_puts(out, i + 1 == n ? " and " : ", ");
		mn_buf_puts(out, items[i]);
	}
}

static void note_records(builder *B, const mn_fp_result *r, intset *recs)
{
	for (size_t i = 0; i < mn_fp_result_count(r); i++) {
		const mn_resource *res = mn_fp_item_resource(mn_fp_result_item(r, i));
		if (res)
			intset_add(B, recs, record_number(B, res));
	}
}

static bool body_has_finding(const builder *B, const void *f)
{
	for (size_t i = 0; i < B->nbody_findings; i++)
		if (B->body_findings[i] == f)
			return true;
	return false;
}

static bool body_has_record(const builder *B, int n)
{
	for (size_t i = 0; i < B->nbody_records; i++)
		if (B->body_records[i] == n)
			return true;
	return false;
}

static void note_finding(builder *B, const void *f)
{
	if (body_has_finding(B, f))
		return;
	const void **v = grow(B, (void *)B->body_findings, &B->capbody_findings, B->nbody_findings, sizeof *v);
	if (!v)
		return;
	B->body_findings = v;
	v[B->nbody_findings++] = f;
}

/* A block written: the findings of the template just filled count as
 * stated (in the body or the appendix: a finding's statement is written
 * once in the letter); in the body, its record entries count as stated too
 * (the appendix lists every entry again, for checking). */
static void body_commit(builder *B, const mn_block *b, bool findings)
{
	if (!b)
		return;
	for (size_t i = 0; findings && i < B->npending; i++)
		note_finding(B, B->pending[i]);
	B->npending = 0;
	if (B->appendix)
		return;
	for (size_t i = 0; i < b->nrecords; i++) {
		if (body_has_record(B, b->records[i]))
			continue;
		int *v = grow(B, B->body_records, &B->capbody_records, B->nbody_records, sizeof *v);
		if (!v)
			return;
		B->body_records = v;
		v[B->nbody_records++] = b->records[i];
	}
}

/* Fill a template; returns NULL (and says why in *why) when a slot is empty
 * or fails. A slot whose value is one empty string writes nothing and keeps
 * the statement (iif(cond, ' text', '') makes a part optional). */
static const char *fill(builder *B, const mn_template *t, intset *refs, intset *recs, const char **why)
{
	const mn_determination *d = B->d;
	mn_buf out = MN_BUF_INIT;
	const char *result = NULL;
	*why = NULL;
	B->npending = 0;
	for (size_t i = 0; i < t->nparts; i++) {
		const mn_template_part *part = &t->parts[i];
		if (part->text) {
			mn_buf_puts(&out, part->text);
			continue;
		}
		if (part->finding) {
			mn_cite c = {part->finding->id, NULL, part->finding, NULL};
			intset_add(B, refs, ref_number(B, &c));
			if (body_has_finding(B, part->finding)) {
				/* stated once; a later mention refers back to it. In the appendix a
				 * statement that would be only that reference is left out. */
				if (B->appendix && t->nparts == 1)
					goto done;
				mn_buf_puts(&out, "(See the finding cited above.)");
				continue;
			}
			mn_buf_puts(&out, part->field);
			const void **pv = grow(B, (void *)B->pending, &B->cappending, B->npending, sizeof *pv);
			if (pv) {
				B->pending = pv;
				pv[B->npending++] = part->finding;
			}
			continue;
		}
		if (!part->slot) {
			/* the loader never makes one: not a statement to leave out, a letter not to write */
			B->broken = true;
			goto done;
		}
		mn_error e;
		mn_error_clear(&e);
		mn_fp_result *r;
		if (mn_fp_eval_case(part->slot, B->env, d->kase, A, &r, &e) != MN_OK) {
			B->oom |= e.code == MN_ENOMEM;
			*why = mn_arena_printf(A, "slot {%s} failed: %s", mn_fp_expr_source(part->slot), e.message);
			goto done;
		}
		size_t n = mn_fp_result_count(r), k = 0;
		if (n == 1 && mn_fp_item_kind(mn_fp_result_item(r, 0)) == MN_FP_STRING) {
			const char *only = mn_fp_item_string(mn_fp_result_item(r, 0), NULL);
			if (only && !*only)
				continue;
		}
		const char **texts = mn_arena_calloc(A, n ? n : 1, sizeof *texts);
		for (size_t j = 0; texts && j < n; j++) {
			const char *s = item_text(B, mn_fp_result_item(r, j));
			bool dup = false;
			for (size_t m = 0; s && m < k && !dup; m++)
				dup = strcmp(texts[m], s) == 0;
			if (s && !dup)
				texts[k++] = s;
		}
		if (!k)
			goto done;  /* an empty slot suppresses the statement */
		put_list(&out, texts, k);
		note_records(B, r, recs);
	}
	if (!out.failed)
		result = mn_arena_strndup(A, mn_buf_cstr(&out), out.len);
	else
		B->oom = true;
done:
	mn_buf_free(&out);
	return result;
}

/* ---- sections ------------------------------------------------------------------ */

static void cite_all(builder *B, intset *refs, const mn_cite *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		intset_add(B, refs, ref_number(B, &c[i]));
}

#define AUTHOR_LABEL "Requirement of this policy (not stated by a payer)"

/* A criterion's citations. An author requirement (C7) is the policy
 * author's, not a payer's: its payer sources are never cited for it; only
 * literature it names (findings, references) is. */
static void cite_criterion(builder *B, intset *refs, const mn_criterion *c)
{
	for (size_t i = 0; i < c->ncites; i++)
		if (!c->author_requirement || !c->cites[i].source)
			intset_add(B, refs, ref_number(B, &c->cites[i]));
}

/* "Met." or "Requirement of this policy (not stated by a payer): why. Met." */
static const char *with_label(builder *B, const mn_criterion *c, const char *text)
{
	if (!c->author_requirement)
		return text;
	size_t n = strlen(c->author_requirement);
	bool stop = n && strchr(".!?", c->author_requirement[n - 1]);
	return mn_arena_printf(A, AUTHOR_LABEL ": %s%s %s", c->author_requirement, stop ? "" : ".", text);
}

/* "Dorsal root ganglion stimulation" -> "dorsal root ganglion stimulation"
 * inside a sentence; words in capitals ("DRG", "SCS trial") stay. */
static const char *mid_sentence(builder *B, const char *s)
{
	if (!s[0] || s[0] < 'A' || s[0] > 'Z' || !(s[1] >= 'a' && s[1] <= 'z'))
		return s;
	char *c = mn_arena_strdup(A, s);
	if (c)
		c[0] = (char)(c[0] - 'A' + 'a');
	return c ? c : s;
}

/* A code of the policy's own making (urn:mednec:local:...) is an internal
 * identifier: the letter names the service, not that code. */
static bool local_code(const mn_code *c)
{
	return c->system && strncmp(c->system, "urn:mednec:local:", 17) == 0;
}

/* A field of the header or signature block: the value with its record
 * entries, or "not in the record" (with why) when the record lacks it. */
static void field(builder *B, const char *label, const char *value, const mn_resource *r1, const mn_resource *r2,
                  const char *missing)
{
	intset recs = {0};
	if (value && *value) {
		if (r1)
			intset_add(B, &recs, record_number(B, r1));
		if (r2)
			intset_add(B, &recs, record_number(B, r2));
	}
	mn_block *b = add_block(B, MN_BLOCK_FIELD, label, value && *value ? value
	                        : mn_arena_printf(A, "not in the record%s%s", missing ? " " : "", missing ? missing : ""));
	set_cites(b, NULL, &recs);
	body_commit(B, b, false);
}

/* "CPT 63650" or "ICD-10-CM G57.72 (display)", cited to their entries. */
static void code_field(builder *B, const char *label, const mn_letter_code *codes, size_t n, bool display,
                       const char *missing)
{
	if (!n) {
		field(B, label, NULL, NULL, NULL, missing);
		return;
	}
	mn_buf t = MN_BUF_INIT;
	intset recs = {0};
	for (size_t i = 0; i < n; i++) {
		mn_buf_printf(&t, "%s%s %s", i ? "; " : "", codes[i].system_name, codes[i].code);
		if (display && codes[i].display)
			mn_buf_printf(&t, ", %s", codes[i].display);
		intset_add(B, &recs, record_number(B, codes[i].resource));
	}
	mn_block *b = add_block(B, MN_BLOCK_FIELD, label, t.failed ? NULL : mn_arena_strndup(A, t.data, t.len));
	B->oom |= t.failed;
	mn_buf_free(&t);
	set_cites(b, NULL, &recs);
	body_commit(B, b, false);
}

static const char *joined(builder *B, const char *a, const char *b)
{
	return a && b ? mn_arena_printf(A, "%s, %s", a, b) : a;
}

/* Date, addressee (the payer of the patient's Coverage), patient and
 * member id and plan, requested service with the codes on the order, and
 * the diagnoses the order gives with their ICD-10-CM codes. */
static void section_header(builder *B)
{
	const mn_determination *d = B->d;
	const mn_policy *p = d->policy;
	mn_letter_parts lp;
	B->oom |= mn_letter_parts_read(d, A, &lp) != MN_OK;

	add_block(B, MN_BLOCK_FIELD, "Date:", d->as_of_text);
	field(B, "To:", joined(B, lp.payer_name, lp.payer_address), lp.payer, lp.coverage,
	      lp.coverage ? "(the Coverage names no payer organization)" : "(no Coverage of the patient)");
	mn_entry pe;
	mn_status pst = lp.patient ? mn_entry_make(d->kase, lp.patient, A, &pe) : MN_ENOTFOUND;
	B->oom |= pst == MN_ENOMEM;
	if (pst == MN_OK)
		field(B, "Patient:", pe.summary, lp.patient, NULL, NULL);
	field(B, "Member id:", lp.member_id, lp.coverage, NULL, lp.coverage ? NULL : "(no Coverage of the patient)");
	field(B, "Plan:", lp.plan, lp.coverage, NULL, lp.coverage ? NULL : "(no Coverage of the patient)");
	{
		mn_buf t = MN_BUF_INIT;
		intset rrecs = {0};
		mn_buf_puts(&t, p->service_display);
		size_t shown = 0;
		for (size_t i = 0; i < p->nservice_codes; i++)
			if (!local_code(&p->service_codes[i]))
				mn_buf_printf(&t, "%s%s", shown++ ? ", " : " (", p->service_codes[i].code);
		if (shown)
			mn_buf_puts(&t, ")");
		for (size_t i = 0; i < d->nrequests; i++) {
			if (d->requests[i].date)
				mn_buf_printf(&t, "%s %s", i ? ";" : ", requested", d->requests[i].date);
			intset_add(B, &rrecs, record_number(B, d->requests[i].resource));
		}
		mn_block *b = add_block(B, MN_BLOCK_FIELD, "Requested service:", mn_arena_strndup(A, mn_buf_cstr(&t), t.len));
		set_cites(b, NULL, &rrecs);
		body_commit(B, b, false);
		B->oom |= t.failed;
		mn_buf_free(&t);
	}
	if (lp.request) {
		code_field(B, "Codes on the order:", lp.codes, lp.ncodes, false, "(no CPT or HCPCS code on the request)");
		code_field(B, "Diagnoses:", lp.diagnoses, lp.ndiagnoses, true,
		           "(the request names no diagnosis with an ICD-10-CM code)");
	}
}

/* The outcome under the named policy, cited to the payer texts it rests on. */
static void section_conclusion(builder *B, const char *heading)
{
	const mn_determination *d = B->d;
	const mn_policy *p = d->policy;
	intset refs = {0};
	mn_block *b;
	if (heading)
		add_block(B, MN_BLOCK_HEADING, NULL, heading);
	size_t n = d->nresults, met = 0, notmet = 0;
	for (size_t i = 0; i < n; i++) {
		met += d->results[i].status == MN_CRIT_MET;
		notmet += d->results[i].status == MN_CRIT_NOT_MET;
	}
	const char *text;
	switch (d->outcome) {
	case MN_MEETS_CRITERIA:
		text = mn_arena_printf(A, "Evaluated on %s against the policy \"%s\" (version %s), the record meets all %zu "
		                       "of its criteria. The requested %s is medically necessary under this policy.",
		                       d->as_of_text, p->title, p->version, n, mid_sentence(B, p->service_display));
		break;
	case MN_DOES_NOT_MEET:
		text = mn_arena_printf(A, "Evaluated on %s against the policy \"%s\" (version %s), the record does not meet "
		                       "%zu of its %zu criteria%s. The request is pended for physician review; this letter "
		                       "states what is missing instead of arguing past it.",
		                       d->as_of_text, p->title, p->version, notmet, n,
		                       n - met - notmet == 0 ? "" : n - met - notmet == 1 ? ", and 1 more is not documented"
		                       : mn_arena_printf(A, ", and %zu more are not documented", n - met - notmet));
		break;
	case MN_INSUFFICIENT_DOCUMENTATION:
		text = mn_arena_printf(A, "Evaluated on %s against the policy \"%s\" (version %s), %zu of its %zu criteria are "
		                       "not documented in the record. The request is pended for physician review until the "
		                       "documentation listed under \"What is missing\" is provided.",
		                       d->as_of_text, p->title, p->version, n - met, n);
		break;
	default:
		text = mn_arena_printf(A, "The policy \"%s\" (version %s) does not cover %s. The request is pended for "
		                       "physician review.", p->title, p->version, mid_sentence(B, p->service_display));
	}
	for (size_t i = 0; i < p->nmodeled_on; i++) {
		mn_cite c = {p->modeled_on[i]->id, p->modeled_on[i], NULL, NULL};
		intset_add(B, &refs, ref_number(B, &c));
	}
	b = add_block(B, MN_BLOCK_PARAGRAPH, NULL, text);
	set_cites(b, &refs, NULL);
}

/* The payer texts the policy is modeled on, each with what it states. */
static void section_basis(builder *B, const char *heading)
{
	const mn_policy *p = B->d->policy;
	mn_block *b;
	if (heading && p->nmodeled_on)
		add_block(B, MN_BLOCK_HEADING, NULL, heading);
	for (size_t i = 0; i < p->nmodeled_on; i++) {
		intset r1 = {0};
		mn_cite c = {p->modeled_on[i]->id, p->modeled_on[i], NULL, NULL};
		intset_add(B, &r1, ref_number(B, &c));
		const char *note = p->modeled_on_notes[i];
		b = add_block(B, MN_BLOCK_PARAGRAPH, "Policy basis:",
		              mn_arena_printf(A, "%s%s%s", p->modeled_on[i]->title, note ? ". " : "", note ? note : ""));
		set_cites(b, &r1, NULL);
	}
}

static void section_determination(builder *B)
{
	section_header(B);
	section_conclusion(B, "Determination");
	section_basis(B, NULL);
}

static void entry_items(builder *B, const mn_entry *e, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		intset recs = {0};
		intset_add(B, &recs, record_number(B, e[j].resource));
		mn_block *b = add_block(B, MN_BLOCK_SUBITEM, NULL,
		                        e[j].date ? mn_arena_printf(A, "%s: %s", e[j].date, e[j].summary) : e[j].summary);
		set_cites(b, NULL, &recs);
	}
}

/* The date an entry starts at ("2016-06-01 to 2016-12-31", "from
 * 2020-01-15" and "2026-11-05" start with it; ISO dates compare as text);
 * "" for an undated entry. */
static const char *entry_start(const mn_entry *e)
{
	if (!e->date)
		return "";
	return strncmp(e->date, "from ", 5) == 0 ? e->date + 5 : e->date;
}

/* A criterion's title for its one-line form: without a closing
 * parenthetical remark ("... (window: policy parameter)"), which the
 * appendix's full criteria keep. */
static const char *short_title(builder *B, const char *t)
{
	size_t n = strlen(t);
	if (n < 2 || t[n - 1] != ')')
		return t;
	int depth = 0;
	for (size_t i = n; i-- > 0;) {
		depth += t[i] == ')' ? 1 : t[i] == '(' ? -1 : 0;
		if (depth == 0)
			return i > 1 && t[i - 1] == ' ' ? mn_arena_strndup(A, t, i - 1) : t;
	}
	return t;
}

/* A criterion's status in words, for the criteria table. */
static const char *status_words(const mn_criterion_result *r)
{
	if (r->met_because)
		return "Met (not applicable)";
	return r->status == MN_CRIT_MET ? "Met" : r->status == MN_CRIT_NOT_MET ? "Not met" : "Not documented";
}

/* An entry for a one-line mention: its summary's first sentence (marked as
 * an excerpt when more follows; the appendix lists it whole) and its date:
 * "Summary (2026-11-05)." */
static const char *entry_line(builder *B, const mn_entry *e)
{
	const char *s = e->summary ? e->summary : "";
	const char *dot = strstr(s, ". ");
	size_t len = dot ? (size_t)(dot - s) : strlen(s);
	while (len && strchr(".!?", s[len - 1]))
		len--;  /* the date in parentheses closes the sentence */
	const char *note = dot ? (e->date ? "; excerpt" : " (excerpt)") : "";
	return e->date ? mn_arena_printf(A, "%.*s (%s%s).", (int)len, s, e->date, note)
	               : mn_arena_printf(A, "%.*s%s.", (int)len, s, note);
}

/* `entries: strongest`: one line per criterion with its strongest record
 * entry, the one that starts last (ties: the first the criterion's evidence
 * lists). When the body has already stated it, the line refers back to it
 * by its number instead of repeating it. Every entry stays in the
 * appendix's full criteria. */
static void section_criteria_brief(builder *B, const mn_section *s)
{
	const mn_determination *d = B->d;
	add_block(B, MN_BLOCK_HEADING, NULL, s->title ? s->title : "Medical necessity criteria");
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		intset refs = {0}, recs = {0};
		cite_criterion(B, &refs, r->criterion);
		const char *status = r->met_because ? mn_arena_printf(A, "Met (not applicable): %s.", r->met_because)
		                   : r->status == MN_CRIT_MET ? "Met." : r->status == MN_CRIT_NOT_MET ? "Not met." : "Not documented.";
		if (r->criterion->author_requirement)
			status = mn_arena_printf(A, AUTHOR_LABEL ". %s", status);
		const mn_entry *best = NULL;
		for (size_t j = 0; j < r->nentries; j++)
			if (!best || strcmp(entry_start(&r->entries[j]), entry_start(best)) > 0)
				best = &r->entries[j];
		const char *text = status;
		if (best) {
			int n = record_number(B, best->resource);
			intset_add(B, &recs, n);
			if (n > 0 && !body_has_record(B, n))
				text = mn_arena_printf(A, "%s %s", status, entry_line(B, best));
		}
		mn_block *b = add_block(B, MN_BLOCK_CRITERION, short_title(B, r->criterion->title), text);
		if (b)
			b->status = status_words(r);
		set_cites(b, &refs, &recs);
		body_commit(B, b, false);
	}
}

static void section_criteria(builder *B, const mn_section *s)
{
	const mn_determination *d = B->d;
	if (s->strongest) {
		section_criteria_brief(B, s);
		return;
	}
	add_block(B, MN_BLOCK_HEADING, NULL, s->title ? s->title : "Medical necessity criteria");
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		intset refs = {0};
		cite_criterion(B, &refs, r->criterion);
		const char *status = r->met_because ? mn_arena_printf(A, "Met (not applicable): %s.", r->met_because)
		                   : r->status == MN_CRIT_MET ? "Met." : r->status == MN_CRIT_NOT_MET ? "Not met." : "Not documented.";
		mn_block *b = add_block(B, MN_BLOCK_CRITERION, r->criterion->title, with_label(B, r->criterion, status));
		if (b)
			b->status = status_words(r);
		set_cites(b, &refs, NULL);
		entry_items(B, r->entries, r->nentries);
	}
}

static void section_missing(builder *B, const mn_section *s)
{
	const mn_determination *d = B->d;
	if (d->outcome == MN_MEETS_CRITERIA)
		return;
	add_block(B, MN_BLOCK_HEADING, NULL, s->title ? s->title : "What is missing");
	if (d->outcome == MN_NOT_COVERED) {
		intset refs = {0};
		for (size_t i = 0; i < d->policy->nmodeled_on; i++) {
			mn_cite c = {d->policy->modeled_on[i]->id, d->policy->modeled_on[i], NULL, NULL};
			intset_add(B, &refs, ref_number(B, &c));
		}
		mn_block *b = add_block(B, MN_BLOCK_PARAGRAPH, NULL,
		                        "The service is excluded by this policy; no documentation can satisfy it.");
		set_cites(b, &refs, NULL);
	}
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		if (r->status == MN_CRIT_MET)
			continue;
		intset refs = {0};
		cite_criterion(B, &refs, r->criterion);
		const char *text = mn_arena_printf(A, "%s Needed: %s%s%s%s",
		                                   r->status == MN_CRIT_NOT_MET ? "Not met by the record." : "Not documented in the record.",
		                                   r->criterion->satisfied_by, r->error ? " Evaluation note: " : "",
		                                   r->error ? r->error : "", r->nentries ? " The record shows:" : "");
		mn_block *b = add_block(B, MN_BLOCK_ITEM, r->criterion->title, with_label(B, r->criterion, text));
		set_cites(b, &refs, NULL);
		entry_items(B, r->entries, r->nentries);
	}
}

/* A Condition of the case coded with (system, code) that is not refuted or
 * entered in error. */
static bool condition_has(const mn_json *cond, const mn_code *want)
{
	const mn_json *vs = mn_json_get(mn_json_get(cond, "verificationStatus"), "coding");
	for (uint32_t i = 0; vs && vs->type == MN_JSON_ARRAY && i < vs->n; i++) {
		const char *c = mn_json_get_string(&vs->u.items[i], "code");
		if (c && (strcmp(c, "refuted") == 0 || strcmp(c, "entered-in-error") == 0))
			return false;
	}
	const mn_json *codings = mn_json_get(mn_json_get(cond, "code"), "coding");
	for (uint32_t i = 0; codings && codings->type == MN_JSON_ARRAY && i < codings->n; i++) {
		const char *sys = mn_json_get_string(&codings->u.items[i], "system");
		const char *code = mn_json_get_string(&codings->u.items[i], "code");
		if (sys && code && strcmp(sys, want->system) == 0 && strcmp(code, want->code) == 0)
			return true;
	}
	return false;
}

/* Builtin outcomes: every citable finding of the library whose appliesTo
 * names this policy's service kind and, when it lists conditions, one of the
 * patient's diagnoses; each with its population and follow-up. */
static void section_outcomes(builder *B, const mn_section *s)
{
	const mn_determination *d = B->d;
	const mn_policy *p = d->policy;
	const mn_library *lib = p->library;
	if ((!s->always && d->outcome != MN_MEETS_CRITERIA) || !lib || !p->service_kind)
		return;
	size_t heading = B->doc->nblocks;
	add_block(B, MN_BLOCK_HEADING, NULL, s->title ? s->title : "Expected outcomes");
	for (size_t i = 0; i < lib->nfindings; i++) {
		const mn_finding *f = &lib->findings[i];
		bool service = false;
		for (size_t k = 0; k < f->nservices; k++)
			service |= strcmp(f->services[k], p->service_kind) == 0;
		if (!service || f->verification == MN_VERIFIED_NOT_CONFIRMED || (B->appendix && body_has_finding(B, f)))
			continue;  /* not for this service, not citable, or (in the appendix) already written */
		intset refs = {0}, recs = {0};
		for (size_t r = 0; r < mn_case_count(d->kase); r++) {
			const mn_resource *res = mn_case_get(d->kase, r);
			if (strcmp(res->type_name, "Condition") != 0)
				continue;
			for (size_t k = 0; k < f->nconditions; k++)
				if (condition_has(res->json, &f->conditions[k]))
					intset_add(B, &recs, record_number(B, res));
		}
		if (f->nconditions && !recs.n)
			continue;  /* the finding's population does not include this patient's diagnosis */
		mn_cite c = {f->id, NULL, f, NULL};
		intset_add(B, &refs, ref_number(B, &c));
		mn_buf t = MN_BUF_INIT;
		mn_buf_puts(&t, f->statement);
		if (f->population)
			mn_buf_printf(&t, " Population: %s.", f->population);
		if (f->follow_up)
			mn_buf_printf(&t, " Follow-up: %s.", f->follow_up);
		mn_block *b = add_block(B, MN_BLOCK_PARAGRAPH, NULL, t.failed ? NULL : mn_arena_strndup(A, t.data, t.len));
		B->oom |= t.failed;
		mn_buf_free(&t);
		set_cites(b, &refs, &recs);
		if (b)
			note_finding(B, f);
	}
	if (B->doc->nblocks == heading + 1)
		B->doc->nblocks = heading;
}

/* The attestation and the signature block of the requesting physician:
 * name (from the request's requester, a Practitioner or the practitioner
 * of a PractitionerRole, else a line for the signer to fill), credentials
 * when recorded, NPI, organization, and the lines to sign and date. The
 * attestation is the physician's statement, made by signing; nothing is
 * invented: a part the record lacks is shown as not in the record. */
static void signature_block(builder *B, const char *what)
{
	mn_letter_parts lp;
	B->oom |= mn_letter_parts_read(B->d, A, &lp) != MN_OK;
	add_block(B, MN_BLOCK_PARAGRAPH, "Attestation:",
	          mn_arena_printf(A, "By signing below, I, the requesting physician, attest that the information in "
	                          "this %s is accurate to the best of my knowledge and is taken from the patient's "
	                          "medical record.", what));
	if (lp.physician_name)
		field(B, "Requesting physician:", lp.physician_name, lp.practitioner, NULL, NULL);
	else
		add_block(B, MN_BLOCK_FIELD, "Requesting physician:",
		          "to be named by the signer (the record's request names no practitioner as its requester)");
	if (lp.credentials)
		field(B, "Credentials:", lp.credentials, lp.practitioner, NULL, NULL);
	if (lp.npi && !lp.npi_valid)
		field(B, "NPI:", mn_arena_printf(A, "%s (not a valid NPI: its check digit does not match)", lp.npi),
		      lp.practitioner, NULL, NULL);
	else
		field(B, "NPI:", lp.npi, lp.practitioner, NULL, NULL);
	field(B, "Organization:", joined(B, lp.organization_name, lp.organization_address), lp.organization, NULL, NULL);
	add_block(B, MN_BLOCK_FIELD, "Signature:", "........................................");
	add_block(B, MN_BLOCK_FIELD, "Date signed:", "........................................");
}

/* The end of the body: attestation and signature block, then the title of
 * the appendix. */
static void section_signature(builder *B, const mn_section *s)
{
	signature_block(B, "letter");
	add_block(B, MN_BLOCK_TITLE, NULL, s->title ? s->title : "Appendix for the reviewer");
	B->appendix = true;
}

/* Data-quality notes for the reviewer: the determination's warnings, as
 * `mednec determine` prints them (elements left out as unreadable, with
 * their JSON locations; references that resolve to nothing; entries dated
 * after the as-of date; definitions that failed on this record). What they
 * name was treated as absent. */
static void section_warnings(builder *B, const mn_section *s)
{
	const mn_determination *d = B->d;
	add_block(B, MN_BLOCK_HEADING, NULL, s->title ? s->title : "Data quality");
	for (size_t i = 0; i < d->nwarnings; i++)
		add_block(B, MN_BLOCK_ITEM, NULL, d->warnings[i]);
	if (!d->nwarnings)
		add_block(B, MN_BLOCK_PARAGRAPH, "None found:", "every element of the record was read, every reference "
		          "resolves, no record entry is dated after the date of this letter, and every definition of the "
		          "policy evaluated.");
	else
		add_block(B, MN_BLOCK_PARAGRAPH, "How these were treated:", "what they name was treated as absent when the "
		          "criteria were evaluated.");
}

static int eval_when(builder *B, const mn_fp_expr *x)
{
	mn_error e;
	mn_error_clear(&e);
	mn_fp_result *r;
	if (mn_fp_eval_case(x, B->env, B->d->kase, A, &r, &e) != MN_OK) {
		B->oom |= e.code == MN_ENOMEM;
		warn(B, mn_arena_printf(A, "condition '%s' failed: %s", mn_fp_expr_source(x), e.message));
		return 0;
	}
	return mn_fp_result_truth(r) == 1;
}

/* Whether a statement rests on literature or payer text (a citation or an
 * inserted finding) rather than on the record alone. */
static bool cites_sources(const mn_statement *st)
{
	if (st->ncites)
		return true;
	for (size_t i = 0; i < st->text.nparts; i++)
		if (st->text.parts[i].finding)
			return true;
	return false;
}

static void statement(builder *B, const mn_section *s, const mn_statement *st, size_t index)
{
	const mn_determination *d = B->d;
	if (st->only_when && strcmp(st->only_when, mn_outcome_name(d->outcome)) != 0)
		return;
	/* A letter that does not meet the criteria argues nothing: an `always`
	 * section keeps its facts from the record and drops statements that cite
	 * literature or payer text, unless written for this very outcome. */
	if (B->facts_only && !st->only_when && cites_sources(st))
		return;
	if (st->when && !eval_when(B, st->when))
		return;
	mn_fp_result *items = NULL;
	size_t passes = 1;
	if (st->each) {
		mn_error e;
		mn_error_clear(&e);
		if (mn_fp_eval_case(st->each, B->env, d->kase, A, &items, &e) != MN_OK) {
			B->oom |= e.code == MN_ENOMEM;
			warn(B, mn_arena_printf(A, "%s[%zu]: each failed: %s", s->id, index, e.message));
			return;
		}
		passes = mn_fp_result_count(items);
	}
	for (size_t k = 0; k < passes; k++) {
		intset refs = {0}, recs = {0};
		if (items) {
			mn_fp_result *one = mn_fp_result_slice(items, k, 1, A);
			if (!one || mn_fp_env_set_result(B->env, "item", one) != MN_OK) {
				B->oom = true;
				return;
			}
			note_records(B, one, &recs);
		}
		const char *why;
		const char *text = fill(B, &st->text, &refs, &recs, &why);
		if (!text) {
			if (why)
				warn(B, mn_arena_printf(A, "%s[%zu] left out: %s", s->id, index, why));
			continue;
		}
		if (st->record) {
			mn_error e;
			mn_error_clear(&e);
			mn_fp_result *r;
			if (mn_fp_eval_case(st->record, B->env, d->kase, A, &r, &e) == MN_OK)
				note_records(B, r, &recs);
			else
				B->oom |= e.code == MN_ENOMEM;
		}
		cite_all(B, &refs, st->cites, st->ncites);
		if (!refs.n && !recs.n) {
			warn(B, mn_arena_printf(A, "%s[%zu] left out: no citation and no record entry", s->id, index));
			continue;
		}
		mn_block *b = add_block(B, st->each ? MN_BLOCK_ITEM : MN_BLOCK_PARAGRAPH, st->heading, text);
		set_cites(b, &refs, &recs);
		body_commit(B, b, true);
	}
}

static void section_statements(builder *B, const mn_section *s)
{
	if (!s->always && B->d->outcome != MN_MEETS_CRITERIA)
		return;
	size_t heading = B->doc->nblocks;
	add_block(B, MN_BLOCK_HEADING, NULL, s->title);
	for (size_t i = 0; i < s->nstatements; i++)
		statement(B, s, &s->statements[i], i);
	if (B->doc->nblocks == heading + 1)
		B->doc->nblocks = heading;  /* nothing was written: no empty heading */
}

static mn_status builder_start(builder *B, const mn_determination *d, mn_error *err)
{
	memset(B, 0, sizeof *B);
	B->d = d;
	B->err = err;
	mn_doc *doc = calloc(1, sizeof *doc);
	mn_arena *arena = mn_arena_new();
	if (!doc || !arena) {
		free(doc);
		mn_arena_free(arena);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	doc->arena = arena;
	B->doc = doc;
	/* The letter binds %item: in its own copy of the environment, never in
	 * the determination it was given. */
	B->env = mn_fp_env_clone(d->env);
	if (!B->env) {
		mn_doc_free(doc);
		B->doc = NULL;
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	return MN_OK;
}

/* Any refused allocation (a flag set on the way, or the doc arena's sticky
 * flag) fails the whole document: a letter with a paragraph silently missing
 * is never returned as a success. */
static mn_status builder_finish(builder *B, mn_doc **out, mn_error *err)
{
	mn_fp_env_free(B->env);
	B->env = NULL;
	if (B->oom || mn_arena_failed(B->doc->arena)) {
		mn_doc_free(B->doc);
		B->doc = NULL;
		return mn_error_set(err, MN_ENOMEM, "out of memory while writing the document");
	}
	if (B->broken) {
		mn_doc_free(B->doc);
		B->doc = NULL;
		return mn_error_set(err, MN_EINTERNAL, "a letter template part has neither text nor an expression "
		                    "(the policy was not loaded whole)");
	}
	*out = B->doc;
	return MN_OK;
}

mn_status mn_letter_build(const mn_determination *d, mn_doc **out, mn_error *err)
{
	*out = NULL;
	builder Bs;
	builder *B = &Bs;
	mn_status rc = builder_start(B, d, err);
	if (rc != MN_OK)
		return rc;
	const mn_policy *p = d->policy;
	intset trefs = {0}, trecs = {0};
	const char *why;
	const char *title;
	B->facts_only = d->outcome != MN_MEETS_CRITERIA;
	if (B->facts_only) {
		/* not a letter of medical necessity: the policy's letter title is not used */
		title = mn_arena_printf(A, "Review of the medical necessity criteria, pended for physician review: %s",
		                        mid_sentence(B, p->service_display));
	} else {
		title = fill(B, &p->letter_title, &trefs, &trecs, &why);
		if (!title)
			title = mn_arena_printf(A, "Letter of medical necessity: %s", p->service_display);
	}
	add_block(B, MN_BLOCK_TITLE, NULL, title);
	for (size_t i = 0; i < p->nsections && !B->oom; i++) {
		const mn_section *s = &p->sections[i];
		if (!s->builtin)
			section_statements(B, s);
		else if (strcmp(s->builtin, "determination") == 0)
			section_determination(B);
		else if (strcmp(s->builtin, "header") == 0)
			section_header(B);
		else if (strcmp(s->builtin, "conclusion") == 0)
			section_conclusion(B, s->title);
		else if (strcmp(s->builtin, "basis") == 0)
			section_basis(B, s->title ? s->title : "Policy basis");
		else if (strcmp(s->builtin, "signature") == 0)
			section_signature(B, s);
		else if (strcmp(s->builtin, "warnings") == 0)
			section_warnings(B, s);
		else if (strcmp(s->builtin, "criteria") == 0)
			section_criteria(B, s);
		else if (strcmp(s->builtin, "missing") == 0)
			section_missing(B, s);
		else if (strcmp(s->builtin, "outcomes") == 0)
			section_outcomes(B, s);
		else if (strcmp(s->builtin, "references") == 0)
			add_block(B, MN_BLOCK_REFERENCES, NULL, s->title ? s->title : "References");
		else if (strcmp(s->builtin, "record") == 0)
			add_block(B, MN_BLOCK_RECORDS, NULL, s->title ? s->title : "Record entries cited");
	}
	return builder_finish(B, out, err);
}

/* ---- appeals ---------------------------------------------------------------------- */

/* The denial itself is a cited document: its reasons are quoted from it. */
static int denial_ref(builder *B, const mn_denial *den)
{
	static const char key;  /* identity of the denial among the references */
	for (size_t i = 0; i < B->doc->nrefs; i++)
		if (B->refkeys[i] == &key)
			return (int)i + 1;
	size_t cap = B->caprefs, cap2 = B->caprefs;
	mn_doc_ref *refs = grow(B, B->doc->refs, &cap, B->doc->nrefs, sizeof *refs);
	const void **keys = grow(B, (void *)B->refkeys, &cap2, B->doc->nrefs, sizeof *keys);
	if (!refs || !keys)
		return 0;
	B->caprefs = cap;
	B->doc->refs = refs;
	B->refkeys = keys;
	refs[B->doc->nrefs] = (mn_doc_ref){"denial",
		mn_arena_printf(A, "The denial under appeal: %s%s%s", den->reference ? den->reference : "the reasons "
		                "quoted in this appeal", den->created ? ", created " : "", den->created ? den->created : ""),
		NULL};
	keys[B->doc->nrefs] = &key;
	return (int)++B->doc->nrefs;
}

/* A criterion a reason concerns: its status, and its record entries the
 * first time it comes up (shown_in[i] = the reason that listed them). */
static void criterion_answer(builder *B, const mn_criterion *c, size_t reason, size_t *shown_in)
{
	const mn_criterion_result *r = NULL;
	size_t idx = 0;
	for (size_t i = 0; i < B->d->nresults; i++)
		if (B->d->results[i].criterion == c)
			r = &B->d->results[i], idx = i;
	if (!r)
		return;
	intset refs = {0}, recs = {0};
	cite_criterion(B, &refs, c);
	const char *text;
	bool list = r->status == MN_CRIT_MET && r->nentries && !shown_in[idx];
	if (r->status == MN_CRIT_MET && r->nentries && shown_in[idx]) {
		text = mn_arena_printf(A, "Met; the record entries are listed under reason %zu.", shown_in[idx]);
	} else if (r->met_because) {
		text = mn_arena_printf(A, "Met (not applicable): %s.", r->met_because);
	} else if (r->status == MN_CRIT_MET) {
		text = r->nentries ? "Met. The record shows:" : "Met.";
		if (r->nentries)
			shown_in[idx] = reason;
	} else {
		text = mn_arena_printf(A, "%s This part of the denial is not disputed here. Needed: %s",
		                       r->status == MN_CRIT_NOT_MET ? "Not met by the record." : "Not documented in the record.",
		                       c->satisfied_by);
	}
	mn_block *b = add_block(B, MN_BLOCK_CRITERION, c->title, with_label(B, c, text));
	if (b)
		b->status = status_words(r);
	set_cites(b, &refs, &recs);
	if (list)
		entry_items(B, r->entries, r->nentries);
}

mn_status mn_appeal_build(const mn_determination *d, const mn_denial *den, mn_doc **out, mn_error *err)
{
	*out = NULL;
	builder Bs;
	builder *B = &Bs;
	mn_status rc = builder_start(B, d, err);
	if (rc != MN_OK)
		return rc;
	const mn_policy *p = d->policy;
	size_t *shown_in = mn_arena_calloc(A, d->nresults + 1, sizeof *shown_in);
	if (!shown_in)
		B->oom = true;
	add_block(B, MN_BLOCK_TITLE, NULL, mn_arena_printf(A, "Appeal of the denial: %s", mid_sentence(B, p->service_display)));
	section_determination(B);
	{
		intset refs = {0};
		intset_add(B, &refs, denial_ref(B, den));
		mn_block *b = add_block(B, MN_BLOCK_PARAGRAPH, "Denial:",
		                        mn_arena_printf(A, "%s%s%s. It gives %zu reason%s; each is answered below from "
		                                        "the record and the policy, or named as unanswered.",
		                                        den->reference ? den->reference : "The denial under appeal",
		                                        den->decision ? ", decision: " : "", den->decision ? den->decision : "",
		                                        den->nreasons, den->nreasons == 1 ? "" : "s"));
		set_cites(b, &refs, NULL);
	}
	if (!den->nreasons) {
		intset refs = {0};
		intset_add(B, &refs, denial_ref(B, den));
		add_block(B, MN_BLOCK_HEADING, NULL, "Reasons given for the denial");
		mn_block *b = add_block(B, MN_BLOCK_PARAGRAPH, NULL,
		                        "The denial states no reason. Without one there is nothing specific to answer; the "
		                        "criteria above show how the record meets the policy.");
		set_cites(b, &refs, NULL);
	}
	for (size_t i = 0; i < den->nreasons; i++) {
		const mn_denial_reason *r = &den->reasons[i];
		intset refs = {0};
		intset_add(B, &refs, denial_ref(B, den));
		add_block(B, MN_BLOCK_HEADING, NULL, mn_arena_printf(A, "Reason %zu of the denial", i + 1));
		const char *quote = r->code ? mn_arena_printf(A, "\"%s\" (code %s; %s)", r->text, r->code, r->where)
		                            : mn_arena_printf(A, "\"%s\" (%s)", r->text, r->where);
		mn_block *b = add_block(B, MN_BLOCK_PARAGRAPH, "The denial says:", quote);
		set_cites(b, &refs, NULL);
		if (!r->nrules) {
			b = add_block(B, MN_BLOCK_PARAGRAPH, "Not answered:",
			              mn_arena_printf(A, "this reason matches no criterion and no known reason of the policy "
			                                 "\"%s\". This appeal does not argue around it; it needs the physician's own "
			                                 "response.", p->title));
			set_cites(b, &refs, NULL);
			continue;
		}
		for (size_t k = 0; k < r->nrules; k++) {
			const mn_appeal_rule *rule = r->rules[k];
			add_block(B, MN_BLOCK_PARAGRAPH, "It concerns:", rule->title);
			for (size_t c = 0; c < rule->ncriteria && shown_in; c++)
				criterion_answer(B, rule->criteria[c], i + 1, shown_in);
			mn_section answers = {0};
			answers.id = rule->id;
			answers.always = true;
			for (size_t a = 0; a < rule->nanswers; a++)
				statement(B, &answers, rule->answers[a], a);
		}
	}
	static const mn_section missing = {.id = "missing", .builtin = "missing"};
	section_missing(B, &missing);
	signature_block(B, "appeal");
	add_block(B, MN_BLOCK_REFERENCES, NULL, "References");
	add_block(B, MN_BLOCK_RECORDS, NULL, "Record entries cited");
	return builder_finish(B, out, err);
}

void mn_doc_free(mn_doc *doc)
{
	if (!doc)
		return;
	mn_arena_free(doc->arena);
	free(doc);
}
