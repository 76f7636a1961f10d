/*
 * decide.c: evaluate a policy over a case on an as-of date.
 *
 * Order of work: take the record as it stood on the as-of date (an as-of
 * view of the case, docs/POLICY-FORMAT.md "Time"); bind the clock, the view
 * and the policy's value sets;
 * evaluate the definitions in file order, each bound as %name for what
 * follows; then each criterion's documented / met / evidence expressions.
 * Status rules are in docs/POLICY-FORMAT.md. An evaluation error never
 * yields "met": the criterion becomes not-documented and keeps the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/decide.h"
#include "mednec/dtr.h"
#include "decide/decide_int.h"
#include "fhir/case_memo.h"

const char *mn_crit_status_name(mn_crit_status s)
{
	switch (s) {
	case MN_CRIT_MET: return "met";
	case MN_CRIT_NOT_MET: return "not-met";
	case MN_CRIT_NOT_DOCUMENTED: return "not-documented";
	}
	return "unknown";
}

const char *mn_outcome_name(mn_outcome o)
{
	switch (o) {
	case MN_MEETS_CRITERIA: return "meets-criteria";
	case MN_DOES_NOT_MEET: return "does-not-meet";
	case MN_INSUFFICIENT_DOCUMENTATION: return "insufficient-documentation";
	case MN_NOT_COVERED: return "not-covered";
	}
	return "unknown";
}

const char *mn_outcome_action(mn_outcome o)
{
	return o == MN_MEETS_CRITERIA ? "approve" : "pend";
}

/* ---- entries: a resource's reference, date and one-line summary ------- */

/* "2024-03-05T10:00:00Z" -> "2024-03-05"; shorter precisions stay */
static size_t date_len(const char *s)
{
	const char *t = strchr(s, 'T');
	return t ? (size_t)(t - s) : strlen(s);
}

static const char *date_part(mn_arena *a, const char *s)
{
	size_t n = date_len(s);
	return s[n] ? mn_arena_strndup(a, s, n) : s;
}

/* head, the date part of s, mid, the date part of t (NULL: none), in one allocation */
static const char *dates_text(mn_arena *a, const char *head, const char *s, const char *mid, const char *t)
{
	size_t lh = strlen(head), ls = date_len(s), lm = t ? strlen(mid) : 0, lt = t ? date_len(t) : 0;
	char *out = mn_arena_alloc(a, lh + ls + lm + lt + 1);
	if (!out)
		return NULL;
	memcpy(out, head, lh);
	memcpy(out + lh, s, ls);
	if (t) {
		memcpy(out + lh + ls, mid, lm);
		memcpy(out + lh + ls + lm, t, lt);
	}
	out[lh + ls + lm + lt] = '\0';
	return out;
}

static const char *period_text(mn_arena *a, const mn_json *period)
{
	const char *start = mn_json_get_string(period, "start");
	const char *end = mn_json_get_string(period, "end");
	if (start && end)
		return dates_text(a, "", start, " to ", end);
	if (start)
		return dates_text(a, "from ", start, NULL, NULL);
	if (end)
		return dates_text(a, "until ", end, NULL, NULL);
	return NULL;
}

/* The members an entry reads, found in one pass over the resource: per key
 * its first occurrence (as mn_json_get finds it), or NULL. */
enum {
	EK_EFFECTIVE,         /* STEMDateTime, STEMPeriod, STEMInstant for 4 stems: 0-11 */
	EK_PERIOD = 12,
	EK_PLAIN,             /* authoredOn ... birthDate: 13-19 */
	EK_BIRTH = 19,
	EK_CODE,
	EK_MEDICATION_CC,
	EK_VACCINE,
	EK_TYPE,
	EK_MEDICATION_REF,
	EK_NAME,
	EK_COMPONENT,
	EK_CONCLUSION,
	EK_N
};

#define EK(s) {s, sizeof s - 1}
static const struct {
	const char *key;
	size_t len;
} entry_keys[EK_N] = {
	EK("effectiveDateTime"), EK("effectivePeriod"), EK("effectiveInstant"),
	EK("performedDateTime"), EK("performedPeriod"), EK("performedInstant"),
	EK("occurrenceDateTime"), EK("occurrencePeriod"), EK("occurrenceInstant"),
	EK("onsetDateTime"), EK("onsetPeriod"), EK("onsetInstant"),
	EK("period"),
	EK("authoredOn"), EK("recordedDate"), EK("issued"), EK("dateAsserted"), EK("date"), EK("created"),
	EK("birthDate"),
	EK("code"), EK("medicationCodeableConcept"), EK("vaccineCode"), EK("type"), EK("medicationReference"),
	EK("name"), EK("component"), EK("conclusion"),
};
#undef EK

/* The keys above by first letter and length (no two share both): 1 + the key's position, 0 none. */
#define EKL(c, len, k) [((c) - 'a') * 32 + (len)] = (k) + 1
static const signed char entry_key_at[26 * 32] = {
	EKL('e', 17, 0), EKL('e', 15, 1), EKL('e', 16, 2), EKL('p', 17, 3), EKL('p', 15, 4), EKL('p', 16, 5),
	EKL('o', 18, 6), EKL('o', 16, 7), EKL('o', 17, 8), EKL('o', 13, 9), EKL('o', 11, 10), EKL('o', 12, 11),
	EKL('p', 6, 12), EKL('a', 10, 13), EKL('r', 12, 14), EKL('i', 6, 15), EKL('d', 12, 16), EKL('d', 4, 17),
	EKL('c', 7, 18), EKL('b', 9, 19), EKL('c', 4, 20), EKL('m', 25, 21), EKL('v', 11, 22), EKL('t', 4, 23),
	EKL('m', 19, 24), EKL('n', 4, 25), EKL('c', 9, 26), EKL('c', 10, 27),
};
#undef EKL

/* k: each key's first occurrence; *value: the position of the first member value[A-Z]... (r->n: none) */
static void entry_members(const mn_json *r, const mn_json *k[EK_N], uint32_t *value)
{
	for (int i = 0; i < EK_N; i++)
		k[i] = NULL;
	*value = 0;
	if (!r || r->type != MN_JSON_OBJECT)
		return;
	*value = r->n;
	for (uint32_t i = 0; i < r->n; i++) {
		const mn_json_member *m = &r->u.members[i];
		unsigned c = m->key_len ? (unsigned char)m->key[0] : 0;
		if (c == 'v' && i < *value && m->key_len > 5 && memcmp(m->key, "value", 5) == 0 && m->key[5] >= 'A' &&
		    m->key[5] <= 'Z')
			*value = i;
		if (m->key_len >= 32 || c < 'a' || c > 'z')
			continue;
		int at = entry_key_at[(c - 'a') * 32 + m->key_len] - 1;
		if (at >= 0 && !k[at] && memcmp(entry_keys[at].key, m->key, m->key_len) == 0)
			k[at] = &m->value;
	}
}

static const char *json_text(const mn_json *v)
{
	return v && v->type == MN_JSON_STRING ? v->u.s : NULL;
}

/* The clinically relevant date of a resource, by the FHIR R4 naming
 * conventions for when something happened (effective[x], performed[x],
 * onset[x], occurrence[x], authoredOn, period, ...), first match wins. */
static const char *resource_date(mn_arena *a, const mn_json *const k[EK_N])
{
	/* per stem: STEMDateTime, STEMPeriod, STEMInstant */
	for (int s = EK_EFFECTIVE; s < EK_PERIOD; s += 3) {
		const char *v = json_text(k[s]);
		if (v)
			return date_part(a, v);
		if (k[s + 1])
			return period_text(a, k[s + 1]);
		if ((v = json_text(k[s + 2])) != NULL)
			return date_part(a, v);
	}
	/* period, then authoredOn, recordedDate, issued, dateAsserted, date, created, birthDate */
	if (k[EK_PERIOD])
		return period_text(a, k[EK_PERIOD]);
	for (int s = EK_PLAIN; s <= EK_BIRTH; s++) {
		const char *v = json_text(k[s]);
		if (v)
			return date_part(a, v);
	}
	return NULL;
}

/* A summary's text: in a buffer on the stack while it fits, then in an mn_buf (its cap, its failures). */
typedef struct sumbuf {
	size_t len;
	bool heap;
	mn_buf b;
	char st[256];
} sumbuf;

static void sb_put(sumbuf *s, const char *p, size_t n)
{
	if (!s->heap) {
		if (n < sizeof s->st - s->len) {
			memcpy(s->st + s->len, p, n);
			s->len += n;
			return;
		}
		s->heap = true;
		mn_buf_put(&s->b, s->st, s->len);
	}
	mn_buf_put(&s->b, p, n);
}

static void sb_puts(sumbuf *s, const char *p) { sb_put(s, p, strlen(p)); }

static size_t sb_len(const sumbuf *s) { return s->heap ? s->b.len : s->len; }

/* back to an earlier length */
static void sb_cut(sumbuf *s, size_t len)
{
	if (!s->heap)
		s->len = len;
	else if (s->b.data) {
		s->b.len = len;
		s->b.data[len] = '\0';
	} else
		s->b.len = len;
}

static void put_quantity(sumbuf *b, const mn_json *q)
{
	const mn_json *v = mn_json_get(q, "value");
	const char *unit = mn_json_get_string(q, "unit");
	if (!unit)
		unit = mn_json_get_string(q, "code");
	if (v && v->type == MN_JSON_NUMBER)
		sb_put(b, v->u.s, v->n);
	if (unit) {
		if (strcmp(unit, "%") != 0)
			sb_put(b, " ", 1);
		sb_puts(b, unit);
	}
}

/* value[x] of an Observation or component, as text (the members from the from-th on: none before it is a
 * value[x]); 0 if none. */
static int put_value(sumbuf *b, const mn_json *o, uint32_t from)
{
	for (uint32_t i = from; o && o->type == MN_JSON_OBJECT && i < o->n; i++) {
		const mn_json_member *m = &o->u.members[i];
		if (m->key_len <= 5 || m->key[0] != 'v' || memcmp(m->key, "value", 5) != 0 || m->key[5] < 'A' ||
		    m->key[5] > 'Z')
			continue;
		const char *type = m->key + 5, *text;
		const mn_json *v = &m->value;
		if (strcmp(type, "Quantity") == 0)
			put_quantity(b, v);
		else if (strcmp(type, "CodeableConcept") == 0 && (text = mn_fhir_concept_text(v)) != NULL)
			sb_puts(b, text);
		else if (strcmp(type, "Period") == 0 && mn_json_get_string(v, "start")) {
			sb_puts(b, "from ");
			sb_puts(b, mn_json_get_string(v, "start"));
		}
		else if (v->type == MN_JSON_STRING || v->type == MN_JSON_NUMBER)
			sb_put(b, v->u.s, v->n);
		else if (v->type == MN_JSON_TRUE)
			sb_puts(b, "yes");
		else if (v->type == MN_JSON_FALSE)
			sb_puts(b, "no");
		else
			continue;
		return 1;
	}
	return 0;
}

static const char *resource_summary(const mn_case *c, const mn_resource *r, mn_arena *a,
                                    const mn_json *const k[EK_N], uint32_t value)
{
	static const int concepts[] = {EK_CODE, EK_MEDICATION_CC, EK_VACCINE, EK_TYPE};
	const mn_json *j = r->json;
	const char *label = NULL;
	for (size_t i = 0; i < sizeof concepts / sizeof concepts[0] && !label; i++)
		label = mn_fhir_concept_text(k[concepts[i]]);
	if (!label) {
		/* a medication by reference: the Medication's code */
		const mn_json *mref = k[EK_MEDICATION_REF];
		const char *ref = mn_json_get_string(mref, "reference");
		const mn_resource *med = ref ? mn_case_resolve(c, ref, strlen(ref), r) : NULL;
		if (med)
			label = mn_fhir_concept_text(mn_json_get(med->json, "code"));
		if (!label)
			label = mn_json_get_string(mref, "display");
	}
	if (!label)
		label = mn_fhir_name_text(a, k[EK_NAME]);
	sumbuf b;
	b.len = 0;
	b.heap = false;
	b.b = (mn_buf)MN_BUF_INIT;
	sb_puts(&b, label ? label : r->type_name);
	const char *born = json_text(k[EK_BIRTH]);
	if (born) {
		sb_puts(&b, ", born ");
		sb_puts(&b, born);
	}
	size_t before = sb_len(&b);
	sb_puts(&b, ": ");
	if (!put_value(&b, j, value)) {
		const mn_json *comps = k[EK_COMPONENT];
		int shown = 0;
		for (uint32_t i = 0; comps && comps->type == MN_JSON_ARRAY && i < comps->n; i++) {
			const mn_json *cmp = &comps->u.items[i];
			const char *cl = mn_fhir_concept_text(mn_json_get(cmp, "code"));
			size_t mark = sb_len(&b);
			if (shown)
				sb_puts(&b, "; ");
			if (cl) {
				sb_puts(&b, cl);
				sb_put(&b, " ", 1);
			}
			if (put_value(&b, cmp, 0))
				shown++;
			else
				sb_cut(&b, mark);
		}
		const char *conclusion = json_text(k[EK_CONCLUSION]);
		if (!shown && conclusion)
			sb_puts(&b, conclusion), shown = 1;
		if (!shown)
			sb_cut(&b, before);
	}
	const char *s;
	if (!b.heap)
		s = mn_arena_strndup(a, b.st, b.len);
	else {
		s = b.b.failed ? NULL : mn_arena_strndup(a, mn_buf_cstr(&b.b), b.b.len);
		mn_buf_free(&b.b);
	}
	return s;
}

mn_status mn_entry_make(const mn_case *c, const mn_resource *r, mn_arena *a, mn_entry *out)
{
	out->resource = r;
	if (r->id)
		out->reference = mn_arena_join(a, r->type_name, '/', r->id);
	else
		out->reference = r->full_url ? r->full_url : r->type_name;
	const mn_json *k[EK_N];
	uint32_t value;
	entry_members(r->json, k, &value);
	out->date = resource_date(a, k);
	out->summary = resource_summary(c, r, a, k, value);
	return out->reference && out->summary ? MN_OK : MN_ENOMEM;
}

/* The entries made so far (criteria cite the same resources): each once per
 * determination (a pure function of the record and r), then copied. Found
 * by the resource's address in an open-addressing table of positions in
 * entries_made_ (+1; 0 free), with the number of the last entries_of call
 * that listed it (to list each resource once per call). */
typedef struct entry_slot {
	const mn_resource *res;
	size_t made;      /* position in entries_made_ + 1 */
	size_t listed;    /* the entries_of call that last listed it */
} entry_slot;

static size_t slot_of(const entry_slot *t, size_t cap, const mn_resource *r)
{
	uint64_t h = (uint64_t)(uintptr_t)r * UINT64_C(0x9E3779B97F4A7C15);
	size_t i = (size_t)(h >> 32) & (cap - 1);
	while (t[i].res && t[i].res != r)
		i = (i + 1) & (cap - 1);
	return i;
}

/* An entry is a pure function of the record and the resource: the first determination on a record makes
 * it and keeps a copy with the record (fhir/case_memo.h), the ones after it (other as-of dates that leave
 * nothing out, other policies) copy that. A view that leaves some out is a record of its own (it may
 * resolve a reference differently): it keeps its own copies, not its source's. */
static bool entry_kept(const mn_case *c, const mn_resource *r, mn_entry *out)
{
	const mn_entry *k = mn_case_memo_get(c, r);
	if (!k)
		return false;
	*out = *k;
	out->resource = r;
	return true;
}

/* A copy of e (its texts after it, in one block) kept with the record; none when that is refused (the
 * entry is then made again next time). */
static void entry_keep(const mn_case *c, const mn_resource *r, const mn_entry *e)
{
	size_t lr = strlen(e->reference) + 1, ld = e->date ? strlen(e->date) + 1 : 0, ls = strlen(e->summary) + 1;
	mn_entry *k = malloc(sizeof *k + lr + ld + ls);
	if (!k)
		return;
	char *p = (char *)(k + 1);
	k->resource = r;
	k->reference = memcpy(p, e->reference, lr);
	k->date = e->date ? memcpy(p + lr, e->date, ld) : NULL;
	k->summary = memcpy(p + lr + ld, e->summary, ls);
	if (!mn_case_memo_keep(c, r, k))
		free(k);
}

/* The slot of r, its entry made (NULL: out of memory). */
static entry_slot *entry_for(mn_determination *d, const mn_resource *r)
{
	entry_slot *t = d->entry_slots_;
	if (t) {
		entry_slot *e = &t[slot_of(t, d->capentry_slots_, r)];
		if (e->res)
			return e;
	}
	mn_entry made;
	if (!entry_kept(d->kase, r, &made)) {
		if (mn_entry_make(d->kase, r, d->arena, &made) != MN_OK)
			return NULL;
		entry_keep(d->kase, r, &made);
	}
	if (d->nentries_made_ == d->capentries_made_) {
		size_t cap = d->capentries_made_ ? d->capentries_made_ * 2 : 64;
		/* the table at most half full, cleared; of the entries only the first nentries_made_ are read:
		 * not cleared (their size, at most the table's, cannot overflow once the table's did not) */
		_Static_assert(sizeof(mn_entry) <= 2 * sizeof(entry_slot), "entries no larger than their slots");
		entry_slot *nt = mn_arena_calloc(d->arena, 2 * cap, sizeof *nt);
		mn_entry *n = nt ? mn_arena_alloc(d->arena, cap * sizeof *n) : NULL;
		if (!n || !nt)
			return NULL;
		if (d->nentries_made_)
			memcpy(n, d->entries_made_, d->nentries_made_ * sizeof *n);
		for (size_t i = 0; t && i < d->capentry_slots_; i++)
			if (t[i].res)
				nt[slot_of(nt, 2 * cap, t[i].res)] = t[i];
		d->entries_made_ = n;
		d->capentries_made_ = cap;
		d->entry_slots_ = t = nt;
		d->capentry_slots_ = 2 * cap;
	}
	d->entries_made_[d->nentries_made_++] = made;
	entry_slot *e = &t[slot_of(t, d->capentry_slots_, r)];
	*e = (entry_slot){r, d->nentries_made_, 0};
	return e;
}

/* Entries for the distinct resources the items of r come from, in order. */
static mn_status entries_of(mn_determination *d, const mn_fp_result *r, mn_entry **out, size_t *n)
{
	size_t count = mn_fp_result_count(r), k = 0;
	*out = NULL;
	*n = 0;
	if (!count)
		return MN_OK;
	/* only the first *n are read: not cleared */
	mn_entry *e = count <= SIZE_MAX / sizeof *e ? mn_arena_alloc(d->arena, count * sizeof *e) : NULL;
	if (!e)
		return MN_ENOMEM;
	size_t call = ++d->entries_calls_;
	for (size_t i = 0; i < count; i++) {
		const mn_resource *res = mn_fp_item_resource(mn_fp_result_item(r, i));
		if (!res)
			continue;
		while (res->container)
			res = res->container;  /* cite the entry the reader can find */
		entry_slot *s = entry_for(d, res);
		if (!s)
			return MN_ENOMEM;
		if (s->listed == call)
			continue;
		s->listed = call;
		e[k++] = d->entries_made_[s->made - 1];
	}
	*out = e;
	*n = k;
	return MN_OK;
}

/* ---- evaluation --------------------------------------------------------- */

static const char *error_text(mn_arena *a, const char *what, const mn_error *e)
{
	return mn_arena_printf(a, "%s: %s (%s)", what, e->message, mn_status_name(e->code));
}

/* Evaluate a boolean-valued expression: 1 true, 0 false, -1 empty, -2 error,
 * -3 out of memory (which fails the whole determination, never a criterion). */
static int eval_truth(const mn_determination *d, const mn_fp_expr *x, const char **error, const char *what)
{
	mn_error e;
	mn_error_clear(&e);
	mn_fp_result *r;
	if (mn_fp_eval_case(x, d->env, d->kase, d->arena, &r, &e) != MN_OK) {
		if (e.code == MN_ENOMEM)
			return -3;
		*error = error_text(d->arena, what, &e);
		return -2;
	}
	int t = mn_fp_result_truth(r);
	if (t < -1) {
		*error = mn_arena_printf(d->arena, "%s: expected a single boolean, got %zu item(s)", what,
		                         mn_fp_result_count(r));
		return -2;
	}
	return t;
}

static mn_status add_warning(mn_determination *d, const char *text);

/* What the criteria's expressions gave, by the first of those written alike
 * (mn_criterion.same_truth_, same_evidence_): the environment and the record
 * do not change while the criteria are evaluated, so an expression written
 * as an earlier one gives what it gave. */
typedef struct crit_memo {
	signed char *truth;   /* 3 per criterion: 1, 0, -1 as eval_truth, 2 not yet (errors are not kept) */
	struct evidence_memo {
		int state;        /* 0 not yet, 1 entries, 2 error */
		mn_entry *entries;
		size_t nentries;
		const char *error;
	} *evidence;
} crit_memo;

/* eval_truth of expression t (0 notApplicable, 1 documented, 2 met) of criterion i */
static int criterion_truth(const mn_determination *d, crit_memo *m, size_t i, size_t t, const char **error,
                           const char *what)
{
	const mn_criterion *c = &d->policy->criteria[i];
	const mn_fp_expr *x = t == 0 ? c->not_applicable : t == 1 ? c->documented : c->met;
	size_t k = 3 * i + t;
	if (c->same_truth_[t] && c->same_truth_[t] - 1 < k)
		k = c->same_truth_[t] - 1;
	if (m->truth[k] != 2)
		return m->truth[k];
	int v = eval_truth(d, x, error, what);
	if (v >= -1)
		m->truth[k] = (signed char)v;
	return v;
}

/* MN_ENOMEM when memory ran out: the determination then fails as a whole. */
static mn_status evaluate_criterion(mn_determination *d, crit_memo *m, size_t i, mn_criterion_result *res)
{
	const mn_criterion *c = &d->policy->criteria[i];
	res->criterion = c;
	res->status = MN_CRIT_NOT_DOCUMENTED;
	if (c->not_applicable) {
		/* fail closed: only a true result makes it not applicable; false, empty
		 * or an error leaves the criterion to be evaluated as usual */
		const char *na_error = NULL;
		int na = criterion_truth(d, m, i, 0, &na_error, "notApplicable");
		if (na == -3)
			return MN_ENOMEM;
		if (na == -2 && add_warning(d, mn_arena_printf(d->arena, "criterion %s: %s; evaluated as applicable",
		                                               c->id, na_error)) != MN_OK)
			return MN_ENOMEM;
		if (na == 1) {
			res->status = MN_CRIT_MET;
			res->met_because = c->not_applicable_text;
			return MN_OK;
		}
	}
	int documented = 1;
	if (c->documented)
		documented = criterion_truth(d, m, i, 1, &res->error, "documented");
	if (documented == -3)
		return MN_ENOMEM;
	if (documented == 1) {
		int met = criterion_truth(d, m, i, 2, &res->error, "met");
		if (met == -3)
			return MN_ENOMEM;
		if (met == 1)
			res->status = MN_CRIT_MET;
		else if (met == 0)
			res->status = MN_CRIT_NOT_MET;
	}
	size_t k = i;
	if (c->same_evidence_ && c->same_evidence_ - 1 < i)
		k = c->same_evidence_ - 1;
	struct evidence_memo *em = &m->evidence[k];
	if (!em->state) {
		mn_error e;
		mn_error_clear(&e);
		mn_fp_result *ev;
		if (mn_fp_eval_case(c->evidence, d->env, d->kase, d->arena, &ev, &e) != MN_OK) {
			if (e.code == MN_ENOMEM)
				return MN_ENOMEM;
			em->error = error_text(d->arena, "evidence", &e);
			em->state = 2;
		} else {
			if (entries_of(d, ev, &em->entries, &em->nentries) != MN_OK)
				return MN_ENOMEM;
			em->state = 1;
		}
	}
	if (em->state == 2) {
		if (!res->error)
			res->error = em->error;
		/* entries unknown: a met criterion without its evidence is not shown as met */
		if (res->status == MN_CRIT_MET)
			res->status = MN_CRIT_NOT_DOCUMENTED;
		return MN_OK;
	}
	/* each criterion its own copy of the entries */
	res->nentries = em->nentries;
	res->entries = em->entries;
	if (k != i && em->entries) {
		res->entries = mn_arena_calloc(d->arena, em->nentries ? em->nentries : 1, sizeof *res->entries);
		if (!res->entries)
			return MN_ENOMEM;
		memcpy(res->entries, em->entries, em->nentries * sizeof *res->entries);
	}
	if (res->status == MN_CRIT_MET && res->nentries == 0) {
		/* met with nothing in the record to show for it cannot be audited */
		res->status = MN_CRIT_NOT_DOCUMENTED;
		res->error = "met, but the evidence expression found no record entries";
	}
	return MN_OK;
}

/* Append a warning (allocated in the determination's arena). */
static mn_status add_warning(mn_determination *d, const char *text)
{
	if (!text)
		return MN_ENOMEM;
	const char **w = mn_arena_calloc(d->arena, d->nwarnings + 1, sizeof *w);
	if (!w)
		return MN_ENOMEM;
	if (d->nwarnings)
		memcpy(w, d->warnings, d->nwarnings * sizeof *w);
	w[d->nwarnings++] = text;
	d->warnings = w;
	return MN_OK;
}

/* One warning for n things of the record: head, then the first ones
 * at(record, i) gives (at most kept), "; ..." when there are more. */
static mn_status warn_list(mn_determination *d, const char *head, size_t n,
                           const char *(*at)(const mn_case *, size_t), size_t kept)
{
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, head);
	for (size_t i = 0; i < n && at(d->record, i); i++)
		mn_buf_printf(&b, "%s%s", i ? "; " : ": ", at(d->record, i));
	if (n > kept)
		mn_buf_puts(&b, "; ...");
	const char *text = b.failed ? NULL : mn_arena_strndup(d->arena, mn_buf_cstr(&b), b.len);
	mn_buf_free(&b);
	return add_warning(d, text);
}

/* The references of the record that resolve to nothing (a case loaded with
 * MN_CASE_ALLOW_UNRESOLVED), and the elements dropped as data-quality
 * problems (MN_CASE_LENIENT): how many, and the first few. */
static mn_status warn_unresolved(mn_determination *d)
{
	char head[160];
	size_t n = mn_case_unresolved(d->record);
	if (n) {
		snprintf(head, sizeof head, "%zu reference%s not resolve within the record and resolve%s to nothing", n,
		         n == 1 ? " does" : "s do", n == 1 ? "s" : "");
		if (warn_list(d, head, n, mn_case_unresolved_at, MN_CASE_UNRESOLVED_KEPT) != MN_OK)
			return MN_ENOMEM;
	}
	n = mn_case_problems(d->record);
	if (!n)
		return MN_OK;
	snprintf(head, sizeof head, "%zu data-quality problem%s in the record, treated as absent", n, n == 1 ? "" : "s");
	return warn_list(d, head, n, mn_case_problem_at, MN_CASE_PROBLEMS_KEPT);
}

/* The parts of a letter the record lacks (a letter shows them as missing,
 * never invents them): payer, member id and plan from the patient's
 * Coverage; for a request, the requesting physician with NPI (and a
 * failing check digit) and organization, the codes on the order and the
 * coded diagnoses. */
static mn_status warn_letter_parts(mn_determination *d)
{
	mn_letter_parts lp;
	if (mn_letter_parts_check(d, d->arena, &lp) != MN_OK)
		return MN_ENOMEM;
	mn_arena *a = d->arena;
	const char *w[8];
	size_t n = 0;
	if (!lp.coverage)
		w[n++] = mn_arena_printf(a, "letter: the payer, member id and plan are not in the record: no active Coverage "
		                         "has the patient as its beneficiary%s", lp.coverages_skipped ? mn_arena_printf(a,
		                         " (%zu Coverage%s not used: another beneficiary, not active or ended)",
		                         lp.coverages_skipped, lp.coverages_skipped == 1 ? "" : "s") : "");
	else {
		if (!lp.payer)
			w[n++] = "letter: the payer is not in the record: the Coverage's payor is no Organization of the record "
			         "with a name";
		if (!lp.member_id)
			w[n++] = "letter: the member id is not in the record (Coverage identifier of type MB or subscriberId)";
		if (!lp.plan)
			w[n++] = "letter: the plan is not in the record (Coverage class of type plan or group)";
	}
	if (lp.request) {
		if (!lp.practitioner)
			w[n++] = "letter: the requesting physician is not in the record: the request's requester is no "
			         "Practitioner (or PractitionerRole with one) of the record";
		else if (!lp.npi)
			w[n++] = "letter: the requesting physician's NPI is not in the record (identifier system "
			         "http://hl7.org/fhir/sid/us-npi)";
		else if (!lp.npi_valid)
			w[n++] = mn_arena_printf(a, "letter: the requesting physician's NPI %s is not a valid NPI (10 digits "
			                         "with the Luhn check digit over 80840 and the first 9)", lp.npi);
		if (!lp.organization)
			w[n++] = "letter: the requesting physician's organization is not in the record (the request's "
			         "requester is no PractitionerRole with an Organization)";
		if (!lp.ncodes)
			w[n++] = "letter: the request carries no CPT or HCPCS code";
		if (!lp.ndiagnoses)
			w[n++] = "letter: the request names no diagnosis with an ICD-10-CM code (reasonCode or reasonReference)";
	}
	for (size_t i = 0; i < n; i++)
		if (add_warning(d, w[i]) != MN_OK)
			return MN_ENOMEM;
	return mn_arena_failed(a) ? MN_ENOMEM : MN_OK;
}

/* Bind a JSON tree as %name: evaluating $this over the tree gives a
 * one-item result holding it. */
static mn_status bind_json(mn_determination *d, const char *name, const mn_json *tree, mn_error *err)
{
	mn_error e;
	mn_error_clear(&e);
	/* the policy's, compiled at load; else compiled here */
	mn_fp_expr *own = d->policy->self_ ? NULL : mn_fp_compile("$this", -1, &e);
	const mn_fp_expr *self = d->policy->self_ ? d->policy->self_ : own;
	if (!self)
		return mn_error_set(err, e.code == MN_ENOMEM ? MN_ENOMEM : MN_EINTERNAL, "binding %%%s: %s", name, e.message);
	mn_fp_result *r;
	mn_status rc = mn_fp_eval(self, d->env, tree, d->arena, &r, err);
	/* the binding fails only for want of memory; say so (it fills no error itself) */
	if (rc == MN_OK && (rc = mn_fp_env_set_result(d->env, name, r)) != MN_OK)
		mn_error_set(err, rc, rc == MN_ENOMEM ? "out of memory" : "cannot bind %%%s", name);
	mn_fp_expr_free(own);
	return rc;
}

/* The scores the policy's expressions read (found when it was loaded): all
 * of them when one uses %scores whole. */
static unsigned policy_scores(const mn_policy *p)
{
	if (p->scores_whole)
		return MN_SCORES_ALL;
	unsigned want = 0;
	for (size_t i = 0; i < p->nscores_read; i++)
		want |= mn_score_bit(p->scores_read[i], strlen(p->scores_read[i]));
	return want;
}

/* The clinical scores as %scores, the knowledge tables as %NAME. */
static mn_status bind_knowledge(mn_determination *d, const mn_determine_options *opts, unsigned flags,
                                mn_error *err)
{
	mn_status rc = MN_OK;
	if (opts->scores) {
		mn_scores *sc;
		unsigned want = flags & MN_DETERMINE_POLICY_SCORES ? policy_scores(d->policy) : MN_SCORES_ALL;
		/* on the view: the calculators see what the policy sees */
		if ((rc = mn_scores_compute_some(opts->scores, d->kase, &d->as_of, want, d->arena, &sc, err)) != MN_OK)
			return rc;
		d->scores = sc;
		rc = bind_json(d, "scores", sc->json, err);
	}
	for (size_t i = 0; rc == MN_OK && opts->tables && i < opts->tables->ntables; i++)
		rc = bind_json(d, opts->tables->tables[i].name, opts->tables->tables[i].root, err);
	return rc;
}

/* mn_datetime_format's text of a full date (the as-of date): for years 0 to 9999 its digits, without
 * formatting */
static void date_text(const mn_datetime *dt, char *out, size_t outsz)
{
	if (dt->year < 0 || dt->year > 9999 || outsz < 11) {
		mn_datetime_format(dt, out, outsz);
		return;
	}
	int part[3] = {dt->year, dt->month, dt->day}, width[3] = {4, 2, 2};
	size_t at = 0;
	for (int i = 0; i < 3; i++) {
		if (i)
			out[at++] = '-';
		for (int k = width[i] - 1, v = part[i]; k >= 0; k--, v /= 10)
			out[at + (size_t)k] = (char)('0' + v % 10);
		at += (size_t)width[i];
	}
	out[at] = '\0';
}

mn_status mn_determine(const mn_policy *p, const mn_case *c, const mn_datetime *as_of, mn_determination **out,
                       mn_error *err)
{
	return mn_determine_ex(p, c, as_of, NULL, out, err);
}

mn_status mn_determine_ex(const mn_policy *p, const mn_case *c, const mn_datetime *as_of,
                          const mn_determine_options *opts, mn_determination **out, mn_error *err)
{
	return mn_determine_flags(p, c, as_of, opts, 0, out, err);
}

mn_status mn_determine_flags(const mn_policy *p, const mn_case *c, const mn_datetime *as_of,
                             const mn_determine_options *opts, unsigned flags, mn_determination **out,
                             mn_error *err)
{
	*out = NULL;
	if (as_of->kind != MN_DT_DATE || as_of->precision != MN_DT_DAY)
		return mn_error_set(err, MN_EUSAGE, "the as-of date must be a full date (YYYY-MM-DD)");
	mn_determination *d = calloc(1, sizeof *d);
	if (!d)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	d->policy = p;
	d->record = c;
	d->as_of = *as_of;
	date_text(as_of, d->as_of_text, sizeof d->as_of_text);
	d->arena = mn_arena_new();
	d->env = mn_fp_env_new();
	if (!d->arena || !d->env) {
		mn_determination_free(d);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	/* the record as it stood on the as-of date: everything below reads it */
	mn_case *view;
	mn_status vrc = mn_case_as_of(c, as_of, &view, err);
	if (vrc != MN_OK) {
		mn_determination_free(d);
		return vrc;
	}
	d->kase = view;
	c = view;
	d->left_out = mn_case_left_out(view);
	if ((d->left_out &&
	     add_warning(d, mn_arena_printf(d->arena, "%zu record entr%s dated after %s %s left out (the record as it "
	                                    "stood on that date)", d->left_out, d->left_out == 1 ? "y" : "ies",
	                                    d->as_of_text, d->left_out == 1 ? "is" : "are")) != MN_OK) ||
	    warn_unresolved(d) != MN_OK) {
		mn_determination_free(d);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	/* the dtr hook: a completed QuestionnaireResponse in the record is documentation; its coded answers are
	 * added as Observations to a copy of the record, which replaces the view (src/dtr/extract.c, docs/DTR.md) */
	mn_case *attested = NULL;
	const char **dtr_warnings = NULL;
	size_t ndtr_warnings = 0;
	if ((vrc = mn_dtr_extract(p, view, as_of, NULL, d->arena, &attested, &dtr_warnings, &ndtr_warnings, err)) != MN_OK) {
		mn_determination_free(d);
		return vrc;
	}
	for (size_t i = 0; i < ndtr_warnings; i++)
		if (add_warning(d, dtr_warnings[i]) != MN_OK) {
			mn_case_free(attested);
			mn_determination_free(d);
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		}
	if (attested) {
		mn_case_free(view);
		d->kase = c = view = attested;
	}
	mn_datetime now = *as_of;
	now.kind = MN_DT_DATETIME;
	now.precision = MN_DT_SECOND;
	now.has_tz = true;
	mn_fp_env_set_now(d->env, &now);
	mn_fp_env_set_case(d->env, c);
	mn_fp_env_set_terminology_codes(d->env, mn_policy_member_of, mn_policy_codes_of, (void *)p);

	mn_status rc = MN_OK;
	if (opts && (rc = bind_knowledge(d, opts, flags, err)) != MN_OK) {
		mn_determination_free(d);
		return rc;
	}
	/* the definition written as the request: its result is the request's (mn_policy.request_same_) */
	mn_fp_result *request_r = NULL;
	for (size_t i = 0; i < p->ndefinitions && rc == MN_OK; i++) {
		const mn_definition *def = &p->definitions[i];
		mn_error e;
		mn_error_clear(&e);
		mn_fp_result *r;
		if (mn_fp_eval_case(def->expr, d->env, c, d->arena, &r, &e) != MN_OK) {
			if (e.code == MN_ENOMEM) {
				rc = MN_ENOMEM;
				break;
			}
			/* left unbound: expressions that use it fail and say so */
			rc = add_warning(d, error_text(d->arena, mn_arena_printf(d->arena, "definition %s", def->name), &e));
			continue;
		}
		rc = mn_fp_env_set_result(d->env, def->name, r);
		if (i + 1 == p->request_same_)
			request_r = r;
	}
	if (rc != MN_OK) {
		mn_determination_free(d);
		return mn_error_set(err, rc, "out of memory");
	}
	d->request_found = true;
	if (p->request) {
		mn_error e;
		mn_error_clear(&e);
		mn_fp_result *r = request_r;
		mn_status q = r ? MN_OK : mn_fp_eval_case(p->request, d->env, c, d->arena, &r, &e);
		if ((q != MN_OK && e.code == MN_ENOMEM) ||
		    (q == MN_OK && entries_of(d, r, &d->requests, &d->nrequests) != MN_OK)) {
			mn_determination_free(d);
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		}
		/* no request, no approval: an evaluation error finds nothing either */
		d->request_found = d->nrequests > 0;
		if (!d->request_found &&
		    add_warning(d, mn_arena_printf(d->arena, "the record holds no active request for %s",
		                                   p->service_display ? p->service_display : p->id)) != MN_OK) {
			mn_determination_free(d);
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		}
	}
	if (warn_letter_parts(d) != MN_OK) {
		mn_determination_free(d);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	d->nresults = p->ncriteria;
	d->results = mn_arena_calloc(d->arena, p->ncriteria, sizeof *d->results);
	if (!d->results) {
		mn_determination_free(d);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	bool all_met = true, any_not_met = false;
	crit_memo memo = {mn_arena_alloc(d->arena, 3 * p->ncriteria + 1),
	                  mn_arena_calloc(d->arena, p->ncriteria + 1, sizeof *memo.evidence)};
	if (!memo.truth || !memo.evidence) {
		mn_determination_free(d);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	memset(memo.truth, 2, 3 * p->ncriteria + 1);
	for (size_t i = 0; i < p->ncriteria; i++) {
		if (evaluate_criterion(d, &memo, i, &d->results[i]) != MN_OK) {
			mn_determination_free(d);
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		}
		all_met &= d->results[i].status == MN_CRIT_MET;
		any_not_met |= d->results[i].status == MN_CRIT_NOT_MET;
	}
	if (!p->covered)
		d->outcome = MN_NOT_COVERED;
	else if (all_met && d->request_found)
		d->outcome = MN_MEETS_CRITERIA;
	else if (any_not_met)
		d->outcome = MN_DOES_NOT_MEET;
	else  /* something not documented, or all met without a request */
		d->outcome = MN_INSUFFICIENT_DOCUMENTATION;
	/* a date, summary or message lost to a refused allocation on the way
	 * fails the determination: never one with a part silently missing */
	if (mn_arena_failed(d->arena)) {
		mn_determination_free(d);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	*out = d;
	return MN_OK;
}

void mn_determination_free(mn_determination *d)
{
	if (!d)
		return;
	mn_fp_env_free(d->env);
	mn_arena_free(d->arena);
	mn_case_free((mn_case *)d->kase);  /* the view; the record is the caller's */
	free(d);
}
