/*
 * brief.c: a one-page brief for the peer-to-peer conversation.
 *
 * When a request is pended or denied, the requesting physician talks with the
 * payer's medical director. The brief gives, on one page, built from the
 * determination, the policy's appeal rules and (optionally) the denial:
 *
 *   - the decision at stake: the service with its codes, the policy, the
 *     determination and the criteria still open;
 *   - up to five strongest points (three when a criterion is open): met
 *     criteria with record entries, those stated by the most payer sources
 *     first (a requirement the policy's author added, or one met only
 *     because it does not apply, is not a point), each with the record entry
 *     that speaks for it (its latest); printed in policy order;
 *   - the anticipated objections, each with a one-sentence answer: the
 *     denial's reasons (with a denial), then the policy's appeal rules that
 *     are live on this record (a criterion they concern is open, or one of
 *     their answer statements applies);
 *   - what documentation would settle each open criterion (its satisfiedBy).
 *
 * Every statement carries its sources: criteria cite the policy's sources,
 * record facts cite record entries, evidence answers cite their finding, the
 * denial's words cite the denial. The brief never changes the determination
 * and never argues that an open criterion is met: it names it and what would
 * settle it.
 */
#include <stdlib.h>
#include <string.h>

#include "mednec/render.h"

#define POINTS_MAX 5

typedef struct brief {
	const mn_determination *d;
	const mn_denial *den;
	mn_doc *doc;
	mn_arena *a;
	mn_buf blocks, refs, keys, recs;  /* mn_block, mn_doc_ref, const void *, mn_entry */
	bool *point;           /* per criterion result: shown under Strongest points */
	const mn_resource *said[POINTS_MAX];  /* the record entries the points quote */
	bool oom;
} brief;

/* A small list of citation or record numbers, first-use order, no repeats. */
typedef struct marks {
	int v[64];
	size_t n;
} marks;

static void mark(marks *m, int x)
{
	if (x <= 0)
		return;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i] == x)
			return;
	if (m->n < sizeof m->v / sizeof m->v[0])
		m->v[m->n++] = x;
}

/* The document's lists grow in buffers (blocks, refs with their identity
 * keys, record entries) and are copied into the document's arena at the end. */
#define COUNT(buf, type) ((buf).len / sizeof(type))
#define AT(buf, type) ((type *)(void *)(buf).data)

/* The number of the reference identified by key, added with its text on first use. */
static int ref_add(brief *B, const void *key, const char *id, const char *text, const char *note)
{
	size_t n = COUNT(B->keys, const void *);
	for (size_t i = 0; i < n; i++)
		if (AT(B->keys, const void *)[i] == key)
			return (int)i + 1;
	mn_doc_ref ref = {id, text, note};
	if (!text || mn_buf_put(&B->keys, &key, sizeof key) || mn_buf_put(&B->refs, &ref, sizeof ref)) {
		B->oom = true;
		return 0;
	}
	return (int)n + 1;
}

static int cite_number(brief *B, const mn_cite *c)
{
	if (c->source) {
		const mn_source *s = c->source;
		return ref_add(B, s, s->id, s->citation,
		               s->verification == MN_VERIFIED_SECONDARY
		                   ? "seen only in a third-party summary; not the payer's own words" : NULL);
	}
	const mn_reference *r = c->finding ? c->finding->reference : c->reference;
	if (!r)
		return 0;
	bool secondary = r->verification == MN_VERIFIED_SECONDARY ||
	                 (c->finding && c->finding->verification == MN_VERIFIED_SECONDARY);
	return ref_add(B, r, r->id, r->citation, secondary ? "figures seen only in a secondary source" : NULL);
}

static int denial_number(brief *B)
{
	static const char key;  /* the denial's identity among the references */
	const mn_denial *den = B->den;
	return ref_add(B, &key, "denial",
	               mn_arena_printf(B->a, "The denial: %s%s%s", den->reference ? den->reference : "the reasons quoted here",
	                               den->created ? ", created " : "", den->created ? den->created : ""),
	               NULL);
}

static int entry_number(brief *B, const mn_resource *r)
{
	while (r->container)
		r = r->container;
	size_t n = COUNT(B->recs, mn_entry);
	for (size_t i = 0; i < n; i++)
		if (AT(B->recs, mn_entry)[i].resource == r)
			return (int)i + 1;
	mn_entry e;
	if (mn_entry_make(B->d->kase, r, B->a, &e) != MN_OK || mn_buf_put(&B->recs, &e, sizeof e)) {
		B->oom = true;
		return 0;
	}
	return (int)n + 1;
}

/* A criterion's sources. A requirement of the policy's author is never
 * cited to a payer source, only to the literature it names. */
static void cite_criterion(brief *B, marks *m, const mn_criterion *c)
{
	for (size_t i = 0; i < c->ncites; i++)
		if (!c->author_requirement || !c->cites[i].source)
			mark(m, cite_number(B, &c->cites[i]));
}

static int ascending(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

static mn_block *block(brief *B, mn_block_kind kind, const char *lead, const char *text, const marks *refs,
                       const marks *recs)
{
	mn_block nb = {0}, *b = &nb;
	if (!text || mn_buf_put(&B->blocks, &nb, sizeof nb)) {
		B->oom = true;
		return NULL;
	}
	b = &AT(B->blocks, mn_block)[COUNT(B->blocks, mn_block) - 1];
	b->kind = kind;
	b->lead = lead;
	b->text = text;
	int *v;
	if (refs && refs->n && (v = mn_arena_calloc(B->a, refs->n, sizeof *v))) {
		memcpy(v, refs->v, refs->n * sizeof *v);
		qsort(v, refs->n, sizeof *v, ascending);
		b->cites = v;
		b->ncites = refs->n;
	}
	if (recs && recs->n && (v = mn_arena_calloc(B->a, recs->n, sizeof *v))) {
		memcpy(v, recs->v, recs->n * sizeof *v);
		qsort(v, recs->n, sizeof *v, ascending);
		b->records = v;
		b->nrecords = recs->n;
	}
	return b;
}

/* ---- the record behind a criterion ---------------------------------------- */

/* The sort key of an entry's date text ("2026-11-05", "2016-06-01 to
 * 2016-12-31", "from 2020-01-15"): its last date; NULL when undated. */
static const char *date_key(const char *date)
{
	if (!date)
		return NULL;
	const char *to = strstr(date, " to ");
	if (to)
		return to + 4;
	return strncmp(date, "from ", 5) == 0 ? date + 5 : date;
}

/* The entry that speaks for a criterion: its latest dated entry; of several
 * on that date the one that says the most (the longest summary: a reviewed
 * report rather than one of its analytes), the first of equals; an undated
 * entry only when none is dated. */
static const mn_entry *latest_entry(const mn_criterion_result *r)
{
	const mn_entry *best = r->nentries ? &r->entries[0] : NULL;
	for (size_t i = 1; i < r->nentries; i++) {
		const mn_entry *e = &r->entries[i];
		const char *k = date_key(e->date), *bk = date_key(best->date);
		int c = !k ? -1 : !bk ? 1 : strcmp(k, bk);
		if (c > 0 || (c == 0 && strlen(e->summary) > strlen(best->summary)))
			best = e;
	}
	return best;
}

/* "2026-11-05: summary" for the entry that speaks for a criterion */
static const char *entry_phrase(brief *B, const mn_criterion_result *r, marks *recs)
{
	const mn_entry *e = latest_entry(r);
	if (!e)
		return NULL;
	mark(recs, entry_number(B, e->resource));
	size_t n = strlen(e->summary);
	while (n && e->summary[n - 1] == '.')
		n--;  /* the sentence around it ends with its own stop */
	const char *summary = mn_arena_strndup(B->a, e->summary, n);
	return e->date ? mn_arena_printf(B->a, "%s: %s", e->date, summary) : summary;
}

static const mn_criterion_result *result_of(const mn_determination *d, const mn_criterion *c, size_t *index)
{
	for (size_t i = 0; i < d->nresults; i++)
		if (d->results[i].criterion == c) {
			if (index)
				*index = i;
			return &d->results[i];
		}
	return NULL;
}

static const char *open_word(const mn_criterion_result *r)
{
	return r->status == MN_CRIT_NOT_MET ? "not met" : "not documented";
}

/* ---- the decision at stake -------------------------------------------------- */

/* "Dorsal root ganglion stimulation" -> "dorsal root ganglion stimulation"
 * inside a sentence; a word in capitals ("DRG ...") stays. */
static const char *lower_first(brief *B, const char *s)
{
	if (!s || s[0] < 'A' || s[0] > 'Z' || !(s[1] >= 'a' && s[1] <= 'z'))
		return s;
	char *c = mn_arena_strdup(B->a, s);
	if (c)
		c[0] = (char)(c[0] - 'A' + 'a');
	return c;
}

static void header(brief *B)
{
	const mn_determination *d = B->d;
	const mn_policy *p = d->policy;
	marks refs = {{0}, 0}, recs = {{0}, 0};
	for (size_t i = 0; i < mn_case_count(d->kase); i++) {
		const mn_resource *res = mn_case_get(d->kase, i);
		if (strcmp(res->type_name, "Patient") != 0)
			continue;
		int n = entry_number(B, res);
		mark(&recs, n);
		if (n)
			block(B, MN_BLOCK_PARAGRAPH, "Patient:", AT(B->recs, mn_entry)[n - 1].summary, NULL, &recs);
		break;
	}
	mn_buf t = MN_BUF_INIT;
	mn_buf_puts(&t, p->service_display);
	for (size_t i = 0; i < p->nservice_codes; i++)
		mn_buf_printf(&t, "%s%s", i ? ", " : " (code ", p->service_codes[i].code);
	if (p->nservice_codes)
		mn_buf_putc(&t, ')');
	recs.n = 0;
	for (size_t i = 0; i < d->nrequests; i++) {
		if (d->requests[i].date)
			mn_buf_printf(&t, "%s %s", i ? ";" : ", requested", d->requests[i].date);
		mark(&recs, entry_number(B, d->requests[i].resource));
	}
	B->oom |= t.failed;
	block(B, MN_BLOCK_PARAGRAPH, "Request:", t.failed ? NULL : mn_arena_strndup(B->a, mn_buf_cstr(&t), t.len), NULL,
	      &recs);
	mn_buf_free(&t);
	for (size_t i = 0; i < p->nmodeled_on; i++) {
		mn_cite c = {p->modeled_on[i]->id, p->modeled_on[i], NULL, NULL};
		mark(&refs, cite_number(B, &c));
	}
	block(B, MN_BLOCK_PARAGRAPH, "Policy:",
	      mn_arena_printf(B->a, "\"%s\" (version %s), record as of %s.", p->title, p->version, d->as_of_text),
	      &refs, NULL);
	if (B->den) {
		refs.n = 0;
		mark(&refs, denial_number(B));
		block(B, MN_BLOCK_PARAGRAPH, "Denial:",
		      mn_arena_printf(B->a, "%s%s%s; %zu reason%s given.", B->den->reference ? B->den->reference : "a list of reasons",
		                      B->den->decision ? ", decision: " : "", B->den->decision ? B->den->decision : "",
		                      B->den->nreasons, B->den->nreasons == 1 ? "" : "s"),
		      &refs, NULL);
	}
}

static void decision(brief *B)
{
	const mn_determination *d = B->d;
	size_t n = d->nresults, met = 0, notmet = 0;
	for (size_t i = 0; i < n; i++) {
		met += d->results[i].status == MN_CRIT_MET;
		notmet += d->results[i].status == MN_CRIT_NOT_MET;
	}
	size_t undocumented = n - met - notmet;
	block(B, MN_BLOCK_HEADING, NULL, "Decision at stake", NULL, NULL);
	const char *text;
	char outcome[40];  /* "does not meet": the determination's name as words */
	mn_snprintf(outcome, sizeof outcome, "%s", mn_outcome_name(d->outcome));
	for (char *c = outcome; *c; c++)
		*c = *c == '-' ? ' ' : *c;
	if (d->outcome == MN_MEETS_CRITERIA)
		text = mn_arena_printf(B->a, "The record meets all %zu criteria (determination: %s); none is open.", n, outcome);
	else if (d->outcome == MN_NOT_COVERED)
		text = mn_arena_printf(B->a, "The policy does not cover %s; the request is pended for physician review.",
		                       lower_first(B, d->policy->service_display));
	else {
		mn_buf t = MN_BUF_INIT;
		mn_buf_printf(&t, "The record meets %zu of the %zu criteria", met, n);
		if (notmet)
			mn_buf_printf(&t, "; %zu %s not met", notmet, notmet == 1 ? "is" : "are");
		if (undocumented)
			mn_buf_printf(&t, "%s %zu %s not documented", notmet ? " and" : ";", undocumented,
			              undocumented == 1 ? "is" : "are");
		mn_buf_printf(&t, " (determination: %s). The request is pended for physician review. Open:", outcome);
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (d->results[i].status != MN_CRIT_MET)
				mn_buf_printf(&t, "%s %s (%s)", k++ ? ";" : "", d->results[i].criterion->title, open_word(&d->results[i]));
		mn_buf_putc(&t, '.');
		B->oom |= t.failed;
		text = t.failed ? NULL : mn_arena_strndup(B->a, mn_buf_cstr(&t), t.len);
		mn_buf_free(&t);
	}
	marks refs = {{0}, 0};
	for (size_t i = 0; i < n; i++)
		if (d->results[i].status != MN_CRIT_MET)
			cite_criterion(B, &refs, d->results[i].criterion);
	if (d->outcome == MN_MEETS_CRITERIA || d->outcome == MN_NOT_COVERED)
		for (size_t i = 0; i < d->policy->nmodeled_on; i++) {
			mn_cite c = {d->policy->modeled_on[i]->id, d->policy->modeled_on[i], NULL, NULL};
			mark(&refs, cite_number(B, &c));
		}
	block(B, MN_BLOCK_PARAGRAPH, NULL, text, &refs, NULL);
}

/* ---- strongest points --------------------------------------------------------- */

/* How many of the policy's own sources (payer texts) state the criterion:
 * 0 for a requirement of the policy's author. */
static size_t payer_sources(const mn_criterion *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->ncites && !c->author_requirement; i++)
		n += c->cites[i].source != NULL;
	return n;
}

static void points(brief *B)
{
	const mn_determination *d = B->d;
	/* five when nothing is open; three when the page must also hold what is open */
	size_t chosen = 0, most = 0, max = d->outcome == MN_MEETS_CRITERIA ? POINTS_MAX : 3;
	for (size_t i = 0; i < d->nresults; i++) {
		size_t s = payer_sources(d->results[i].criterion);
		most = s > most ? s : most;
	}
	/* the criteria stated by the most payer sources first; policy order among equals */
	for (size_t want = most; want > 0 && chosen < max; want--)
		for (size_t i = 0; i < d->nresults && chosen < max; i++) {
			const mn_criterion_result *r = &d->results[i];
			if (payer_sources(r->criterion) == want && r->status == MN_CRIT_MET && r->nentries && !r->met_because) {
				B->point[i] = true;
				chosen++;
			}
		}
	if (!chosen)
		return;
	block(B, MN_BLOCK_HEADING, NULL, "Strongest points", NULL, NULL);
	for (size_t i = 0; i < d->nresults; i++) {
		if (!B->point[i])
			continue;
		const mn_criterion_result *r = &d->results[i];
		marks refs = {{0}, 0}, recs = {{0}, 0};
		cite_criterion(B, &refs, r->criterion);
		const char *e = entry_phrase(B, r, &recs);
		for (size_t k = 0; k < POINTS_MAX; k++)
			if (!B->said[k]) {
				B->said[k] = latest_entry(r)->resource;
				break;
			}
		block(B, MN_BLOCK_ITEM, r->criterion->title, e ? mn_arena_printf(B->a, "Met. %s.", e) : NULL, &refs, &recs);
	}
}

/* ---- objections ------------------------------------------------------------------ */

/* 1 when the expression is true on the record, 0 when not (or it failed). */
static int holds(brief *B, const mn_fp_expr *x, bool nonempty)
{
	mn_error e;
	mn_error_clear(&e);
	mn_fp_result *r;
	if (mn_fp_eval_case(x, B->d->env, B->d->kase, B->a, &r, &e) != MN_OK) {
		B->oom |= e.code == MN_ENOMEM;
		return 0;
	}
	return nonempty ? mn_fp_result_count(r) > 0 : mn_fp_result_truth(r) == 1;
}

/* Whether an answer statement of an appeal rule applies to this record: its
 * outcome (onlyWhen) and condition hold, its `each` finds something, and
 * (without `each`) every slot yields a value, as the letter requires before
 * writing it. */
static bool statement_applies(brief *B, const mn_statement *st)
{
	if (st->only_when && strcmp(st->only_when, mn_outcome_name(B->d->outcome)) != 0)
		return false;
	if (st->when && !holds(B, st->when, false))
		return false;
	if (st->each)
		return holds(B, st->each, true);
	for (size_t i = 0; i < st->text.nparts; i++)
		if (st->text.parts[i].slot && !holds(B, st->text.parts[i].slot, true))
			return false;
	return true;
}

/* The text of a statement made only of words and evidence findings (no
 * record slot), with the findings and the statement's citations; NULL for
 * a statement that reads the record. */
static const char *evidence_text(brief *B, const mn_statement *st, marks *refs)
{
	if (st->each || !st->text.nparts)
		return NULL;
	mn_buf t = MN_BUF_INIT;
	for (size_t i = 0; i < st->text.nparts; i++) {
		const mn_template_part *part = &st->text.parts[i];
		if (part->text) {
			mn_buf_puts(&t, part->text);
		} else if (part->finding && part->field) {
			mn_buf_puts(&t, part->field);
		} else {
			mn_buf_free(&t);
			return NULL;
		}
	}
	for (size_t i = 0; i < st->text.nparts; i++)
		if (st->text.parts[i].finding) {
			mn_cite c = {st->text.parts[i].finding->id, NULL, st->text.parts[i].finding, NULL};
			mark(refs, cite_number(B, &c));
		}
	for (size_t i = 0; i < st->ncites; i++)
		mark(refs, cite_number(B, &st->cites[i]));
	B->oom |= t.failed;
	const char *s = t.failed || !t.len ? NULL : mn_arena_strndup(B->a, mn_buf_cstr(&t), t.len);
	mn_buf_free(&t);
	return s;
}

/* Whether the rule is live on this record: a criterion it concerns is open,
 * or one of its answer statements applies. */
static bool rule_live(brief *B, const mn_appeal_rule *rule)
{
	for (size_t i = 0; i < rule->ncriteria; i++) {
		const mn_criterion_result *r = result_of(B->d, rule->criteria[i], NULL);
		if (r && r->status != MN_CRIT_MET)
			return true;
	}
	for (size_t i = 0; i < rule->nanswers; i++)
		if (statement_applies(B, rule->answers[i]))
			return true;
	return false;
}

/* The one-sentence answer to an objection under a rule; NULL when the rule
 * has none on this record. An open criterion is conceded, never argued; a
 * met one is answered from the record; a rule without criteria by its
 * evidence statement. */
static const char *rule_answer(brief *B, const mn_appeal_rule *rule, marks *refs, marks *recs)
{
	const mn_criterion_result *first = NULL;
	size_t open = 0;
	for (size_t i = 0; i < rule->ncriteria; i++) {
		const mn_criterion_result *r = result_of(B->d, rule->criteria[i], NULL);
		if (!r || r->status == MN_CRIT_MET)
			continue;
		first = first ? first : r;
		open++;
		cite_criterion(B, refs, r->criterion);
		for (size_t k = 0; k < r->nentries; k++)
			mark(recs, entry_number(B, r->entries[k].resource));
	}
	if (open == 1)
		return mn_arena_printf(B->a, "Conceded: %s on the record; what would settle it is below.", open_word(first));
	if (open > 1)
		return mn_arena_printf(B->a, "Conceded: %zu of its criteria are open on the record; what would settle them is "
		                       "below.", open);
	bool shown = false;
	for (size_t i = 0; i < rule->ncriteria; i++) {
		size_t idx = 0;
		const mn_criterion_result *r = result_of(B->d, rule->criteria[i], &idx);
		if (!r)
			continue;
		cite_criterion(B, refs, r->criterion);
		const mn_entry *e = latest_entry(r);
		bool said = false;
		for (size_t k = 0; e && k < POINTS_MAX; k++)
			said |= B->said[k] == e->resource;
		if (B->point[idx] || said) {
			/* the points above already quote it: refer to them, not repeat it */
			shown = true;
			mark(recs, entry_number(B, e->resource));
			continue;
		}
		if (r->met_because)
			return mn_arena_printf(B->a, "Met: %s.", r->met_because);
		const char *phrase = entry_phrase(B, r, recs);
		if (phrase)
			return mn_arena_printf(B->a, "Met on the record, %s.", phrase);
	}
	if (shown)
		return "Met on the record: see the strongest points.";
	for (size_t i = 0; i < rule->nanswers; i++) {
		const mn_statement *st = rule->answers[i];
		if (!statement_applies(B, st))
			continue;
		const char *s = evidence_text(B, st, refs);
		if (s)
			return s;
	}
	return NULL;
}

static void objections(brief *B)
{
	const mn_determination *d = B->d;
	const mn_policy *p = d->policy;
	size_t heading = B->blocks.len;
	block(B, MN_BLOCK_HEADING, NULL, "Anticipated objections", NULL, NULL);
	bool *raised = mn_arena_calloc(B->a, p->nappeal_rules + 1, sizeof *raised);
	if (!raised) {
		B->oom = true;
		return;
	}
	for (size_t i = 0; B->den && i < B->den->nreasons; i++) {
		const mn_denial_reason *reason = &B->den->reasons[i];
		marks refs = {{0}, 0}, recs = {{0}, 0};
		mark(&refs, denial_number(B));
		const char *answer = NULL;
		/* an open criterion first: the brief concedes before it argues */
		for (int pass = 0; pass < 2 && !answer; pass++)
			for (size_t k = 0; k < reason->nrules && !answer; k++) {
				const mn_appeal_rule *rule = reason->rules[k];
				bool open = false;
				for (size_t c = 0; c < rule->ncriteria; c++) {
					const mn_criterion_result *r = result_of(d, rule->criteria[c], NULL);
					open |= r && r->status != MN_CRIT_MET;
				}
				if (pass == 0 ? open : !open)
					answer = rule_answer(B, rule, &refs, &recs);
			}
		for (size_t k = 0; k < reason->nrules; k++)
			for (size_t r = 0; r < p->nappeal_rules; r++)
				raised[r] |= &p->appeal_rules[r] == reason->rules[k];
		if (!answer)
			answer = reason->nrules ? "The policy gives no answer to this on the record; the physician answers it."
			                        : "It matches no criterion and no known reason of the policy; the physician "
			                          "answers it.";
		const char *lead = reason->code ? mn_arena_printf(B->a, "The denial says \"%s\" (code %s; %s):", reason->text,
		                                                  reason->code, reason->where)
		                                : mn_arena_printf(B->a, "The denial says \"%s\" (%s):", reason->text, reason->where);
		block(B, MN_BLOCK_ITEM, lead, answer, &refs, &recs);
	}
	for (size_t i = 0; i < p->nappeal_rules; i++) {
		const mn_appeal_rule *rule = &p->appeal_rules[i];
		if (raised[i] || !rule_live(B, rule))
			continue;
		marks refs = {{0}, 0}, recs = {{0}, 0};
		const char *answer = rule_answer(B, rule, &refs, &recs);
		if (answer)
			block(B, MN_BLOCK_ITEM, rule->title, answer, &refs, &recs);
	}
	if (B->blocks.len == heading + sizeof(mn_block))
		B->blocks.len = heading;  /* nothing to say: no empty heading */
}

/* ---- what would settle the open criteria ------------------------------------------ */

static void settle(brief *B)
{
	const mn_determination *d = B->d;
	if (d->outcome == MN_MEETS_CRITERIA)
		return;
	block(B, MN_BLOCK_HEADING, NULL, "What would settle the open criteria", NULL, NULL);
	if (d->outcome == MN_NOT_COVERED) {
		marks refs = {{0}, 0};
		for (size_t i = 0; i < d->policy->nmodeled_on; i++) {
			mn_cite c = {d->policy->modeled_on[i]->id, d->policy->modeled_on[i], NULL, NULL};
			mark(&refs, cite_number(B, &c));
		}
		block(B, MN_BLOCK_PARAGRAPH, NULL, "The service is excluded by this policy; no documentation settles that.",
		      &refs, NULL);
	}
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		if (r->status == MN_CRIT_MET)
			continue;
		marks refs = {{0}, 0}, recs = {{0}, 0};
		cite_criterion(B, &refs, r->criterion);
		for (size_t k = 0; k < r->nentries; k++)
			mark(&recs, entry_number(B, r->entries[k].resource));
		block(B, MN_BLOCK_ITEM, r->criterion->title,
		      mn_arena_printf(B->a, "%s. Needed: %s", r->status == MN_CRIT_NOT_MET ? "Not met" : "Not documented",
		                      r->criterion->satisfied_by),
		      &refs, &recs);
	}
}

mn_status mn_brief_build(const mn_determination *d, const mn_denial *denial, mn_doc **out, mn_error *err)
{
	*out = NULL;
	brief Bs = {0};
	brief *B = &Bs;
	B->d = d;
	B->den = denial;
	B->doc = calloc(1, sizeof *B->doc);
	B->a = mn_arena_new();
	if (!B->doc || !B->a) {
		free(B->doc);
		mn_arena_free(B->a);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	B->doc->arena = B->a;
	B->point = mn_arena_calloc(B->a, d->nresults + 1, sizeof *B->point);
	B->oom = !B->point;
	if (!B->oom) {
		block(B, MN_BLOCK_TITLE, NULL,
		      mn_arena_printf(B->a, "Peer-to-peer brief: %s", lower_first(B, d->policy->service_display)), NULL, NULL);
		header(B);
		decision(B);
		points(B);
		objections(B);
		settle(B);
		block(B, MN_BLOCK_REFERENCES, NULL, "References", NULL, NULL);
		block(B, MN_BLOCK_RECORDS, NULL, "Record entries cited", NULL, NULL);
	}
	mn_doc *doc = B->doc;
	doc->nblocks = COUNT(B->blocks, mn_block);
	doc->nrefs = COUNT(B->refs, mn_doc_ref);
	doc->nrecords = COUNT(B->recs, mn_entry);
	doc->blocks = mn_arena_calloc(B->a, doc->nblocks + 1, sizeof *doc->blocks);
	doc->refs = mn_arena_calloc(B->a, doc->nrefs + 1, sizeof *doc->refs);
	doc->records = mn_arena_calloc(B->a, doc->nrecords + 1, sizeof *doc->records);
	if (doc->blocks && doc->nblocks)
		memcpy(doc->blocks, B->blocks.data, B->blocks.len);
	if (doc->refs && doc->nrefs)
		memcpy(doc->refs, B->refs.data, B->refs.len);
	if (doc->records && doc->nrecords)
		memcpy(doc->records, B->recs.data, B->recs.len);
	bool failed = B->oom || B->blocks.failed || B->refs.failed || B->keys.failed || B->recs.failed ||
	              mn_arena_failed(B->a);
	mn_buf_free(&B->blocks);
	mn_buf_free(&B->refs);
	mn_buf_free(&B->keys);
	mn_buf_free(&B->recs);
	if (failed) {
		mn_doc_free(doc);
		return mn_error_set(err, MN_ENOMEM, "out of memory while writing the brief");
	}
	*out = doc;
	return MN_OK;
}
