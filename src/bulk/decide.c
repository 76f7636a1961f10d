/*
 * decide.c: mednec bulk: every patient under every policy, one NDJSON line
 * each, and the summary (mn_bulk_decide); docs/BULK.md.
 */
#include <stdlib.h>
#include <string.h>

#include "mednec/render.h"
#include "bulk_int.h"

mn_outcome mn_bulk_held_outcome(mn_outcome o, size_t held)
{
	return held && o == MN_MEETS_CRITERIA ? MN_INSUFFICIENT_DOCUMENTATION : o;
}

/* Per patient: its lines, and per policy the outcome written (0: no line)
 * and the criterion statuses, for the summary. */
typedef struct decide_slot {
	char *lines;
	size_t len;
	uint8_t *outcome;        /* npolicies */
	bool *held;              /* npolicies: met, held */
	uint8_t **status;        /* npolicies x ncriteria */
	size_t npolicies;
} decide_slot;

static void slot_release(decide_slot *s)
{
	free(s->lines);
	for (size_t k = 0; s->status && k < s->npolicies; k++)
		free(s->status[k]);
	free(s->status);
	free(s->outcome);
	free(s->held);
	memset(s, 0, sizeof *s);
}

/* Replace a string member's value in a parsed object (the tree is ours). */
static void set_member(mn_json *obj, const char *key, const char *value)
{
	for (uint32_t i = 0; obj->type == MN_JSON_OBJECT && i < obj->n; i++)
		if (strcmp(obj->u.members[i].key, key) == 0 && obj->u.members[i].value.type == MN_JSON_STRING) {
			obj->u.members[i].value.u.s = value;
			obj->u.members[i].value.n = (uint32_t)strlen(value);
		}
}

mn_status mn_bulk_line(const mn_bulk_record *r, const mn_determination *d, mn_arena *arena, mn_buf *line,
                       mn_outcome *written)
{
	mn_buf pretty = MN_BUF_INIT;
	mn_status st = mn_render_json(d, &pretty);
	mn_json *root = NULL;
	mn_error err;
	if (st == MN_OK && pretty.failed)
		st = MN_ENOMEM;
	if (st == MN_OK)
		st = mn_json_parse(arena, "determination", pretty.data, pretty.len, &root, &err);
	if (st == MN_OK && root->type != MN_JSON_OBJECT)
		st = MN_EINTERNAL;
	mn_outcome out = mn_bulk_held_outcome(d->outcome, r->held);
	if (st == MN_OK && out != d->outcome) {
		set_member(root, "determination", mn_outcome_name(out));
		set_member(root, "action", mn_outcome_action(out));
	}
	if (st == MN_OK) {
		mn_buf_puts(line, "{\"patient\":");
		char pid[600];
		mn_snprintf(pid, sizeof pid, "Patient/%s", r->id);
		mn_buf_put_json_string(line, pid, strlen(pid));
		if (r->held) {
			mn_buf_printf(line, ",\"dataQuality\":{\"skippedRecords\":%zu,\"firstSkipped\":", r->held);
			mn_buf_put_json_string(line, r->held_at ? r->held_at : "", r->held_at ? strlen(r->held_at) : 0);
			if (out != d->outcome)
				mn_buf_printf(line, ",\"heldFrom\":\"%s\"", mn_outcome_name(d->outcome));
			mn_buf_puts(line, ",\"rule\":\"a skipped record may belong to this patient: the determination is "
			            "never meets-criteria\"}");
		}
		size_t at = line->len;
		mn_json_write(line, root);
		/* splice: drop the object's own '{' (an empty object cannot happen) */
		if (!line->failed && line->len > at + 1) {
			line->data[at] = ',';
		}
		mn_buf_putc(line, '\n');
		if (line->failed)
			st = MN_ENOMEM;
	}
	mn_buf_free(&pretty);
	*written = out;
	return st;
}

typedef struct decide_ctx {
	const mn_bulk *b;
	const mn_bulk_decide_options *o;
	mn_bulk_summary *s;
	mn_error *err;
} decide_ctx;

static mn_status decide_work(void *p, const mn_bulk_record *r, void *slot)
{
	decide_ctx *x = p;
	const mn_bulk_decide_options *o = x->o;
	decide_slot *s = slot;
	if (!r->kase)
		return MN_OK;
	s->npolicies = o->npolicies;
	s->outcome = calloc(o->npolicies + 1, 1);
	s->held = calloc(o->npolicies + 1, sizeof *s->held);
	s->status = calloc(o->npolicies + 1, sizeof *s->status);
	mn_arena *arena = mn_arena_new();
	mn_buf lines = MN_BUF_INIT;
	mn_status st = s->outcome && s->held && s->status && arena ? MN_OK : MN_ENOMEM;
	for (size_t k = 0; k < o->npolicies && st == MN_OK; k++) {
		const mn_policy *pol = o->policies[k];
		mn_determination *d = NULL;
		mn_error err;
		mn_error_clear(&err);
		if ((st = mn_determine_flags(pol, r->kase, o->as_of, o->determine, MN_DETERMINE_POLICY_SCORES, &d,
		                             &err)) != MN_OK)
			break;
		if (!o->requested_only || !pol->request || d->nrequests) {
			mn_outcome w;
			st = mn_bulk_line(r, d, arena, &lines, &w);
			s->outcome[k] = (uint8_t)w;
			s->held[k] = w != d->outcome;
			if (st == MN_OK && !(s->status[k] = calloc(pol->ncriteria + 1, 1)))
				st = MN_ENOMEM;
			for (size_t c = 0; st == MN_OK && c < d->nresults && c < pol->ncriteria; c++)
				s->status[k][c] = (uint8_t)d->results[c].status;
		}
		mn_determination_free(d);
		mn_arena_reset(arena);
	}
	mn_arena_free(arena);
	s->lines = mn_buf_detach(&lines, &s->len);
	if (lines.failed && st == MN_OK)
		st = MN_ENOMEM;
	mn_buf_free(&lines);
	return st;
}

static mn_status decide_emit(void *p, const mn_bulk_record *r, void *slot)
{
	decide_ctx *x = p;
	decide_slot *s = slot;
	if (!x) {
		slot_release(s);  /* the run stopped */
		return MN_OK;
	}
	const mn_bulk_decide_options *o = x->o;
	mn_bulk_summary *sum = x->s;
	mn_status st = MN_OK;
	for (size_t i = 0; i < r->nproblems; i++)
		if (o->problem)
			o->problem(o->ctx, &r->problems[i]);
	sum->problems += r->nproblems;
	if (r->held)
		sum->held_patients++;
	if (!r->kase && !s->outcome) {
		sum->not_loaded++;
		sum->problems += r->nproblems == 0;  /* a record that does not load is a bad record */
		if (o->problem && r->error.code && !r->nproblems) {
			char msg[1200];
			mn_error_format(&r->error, msg, sizeof msg);
			mn_bulk_problem pr = {r->id, 0, msg, r->id, false};
			o->problem(o->ctx, &pr);
		}
	} else {
		sum->decided++;
	}
	if (s->len && fwrite(s->lines, 1, s->len, o->out) != s->len)
		st = mn_error_set(x->err, MN_EIO, "cannot write the output");
	for (size_t k = 0; s->outcome && k < o->npolicies; k++) {
		if (!s->outcome[k])
			continue;
		mn_bulk_policy_count *pc = &sum->policies[k];
		pc->lines++;
		sum->lines++;
		pc->outcome[s->outcome[k]]++;
		pc->held += s->held[k];
		for (size_t c = 0; c < pc->policy->ncriteria; c++)
			if (s->status[k] && s->status[k][c])
				pc->criteria[c].status[s->status[k][c]]++;
	}
	slot_release(s);
	return st;
}

static void decide_progress(void *p, size_t done, size_t total)
{
	const decide_ctx *x = p;
	x->o->progress(x->o->ctx, done, total);
}

mn_status mn_bulk_decide(const mn_bulk *b, const mn_bulk_decide_options *o, mn_bulk_summary *summary,
                         mn_error *err)
{
	memset(summary, 0, sizeof *summary);
	summary->patients = b->npatients;
	summary->problems = b->nprobs;
	summary->npolicies = o->npolicies;
	summary->policies = calloc(o->npolicies + 1, sizeof *summary->policies);
	if (!summary->policies)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	for (size_t k = 0; k < o->npolicies; k++) {
		summary->policies[k].policy = o->policies[k];
		summary->policies[k].criteria = calloc(o->policies[k]->ncriteria + 1, sizeof *summary->policies[k].criteria);
		if (!summary->policies[k].criteria)
			return mn_error_set(err, MN_ENOMEM, "out of memory");
		for (size_t c = 0; c < o->policies[k]->ncriteria; c++)
			summary->policies[k].criteria[c].id = o->policies[k]->criteria[c].id;
	}
	decide_ctx x = {b, o, summary, err};
	mn_bulk_run_options ro = {o->threads, o->case_flags, sizeof(decide_slot), decide_work, decide_emit, &x,
	                          o->progress ? decide_progress : NULL};
	return mn_bulk_run(b, &ro, err);
}

void mn_bulk_summary_free(mn_bulk_summary *s)
{
	for (size_t k = 0; s->policies && k < s->npolicies; k++)
		free(s->policies[k].criteria);
	free(s->policies);
	memset(s, 0, sizeof *s);
}

static const mn_outcome outcomes[] = {MN_MEETS_CRITERIA, MN_DOES_NOT_MEET, MN_INSUFFICIENT_DOCUMENTATION,
                                      MN_NOT_COVERED};

mn_status mn_bulk_summary_write(const mn_bulk_summary *s, mn_buf *out)
{
	mn_buf_printf(out, "mednec bulk: %zu patient%s, %zu decided, %zu not loaded; %zu line%s written; "
	              "%zu bad record%s skipped; %zu patient%s held", s->patients, s->patients == 1 ? "" : "s",
	              s->decided, s->not_loaded, s->lines, s->lines == 1 ? "" : "s", s->problems,
	              s->problems == 1 ? "" : "s", s->held_patients, s->held_patients == 1 ? "" : "s");
	if (s->seconds > 0)
		mn_buf_printf(out, "; %.2f s, %.1f patients/s", s->seconds, (double)s->patients / s->seconds);
	mn_buf_putc(out, '\n');
	for (size_t k = 0; k < s->npolicies; k++) {
		const mn_bulk_policy_count *pc = &s->policies[k];
		if (!pc->lines) {
			mn_buf_printf(out, "\npolicy %s: no lines (no record holds its request)\n", pc->policy->id);
			continue;
		}
		mn_buf_printf(out, "\npolicy %s (%zu line%s)\n", pc->policy->id, pc->lines, pc->lines == 1 ? "" : "s");
		for (size_t i = 0; i < 4; i++) {
			mn_buf_printf(out, "  %-28s %6zu", mn_outcome_name(outcomes[i]), pc->outcome[outcomes[i]]);
			if (outcomes[i] == MN_INSUFFICIENT_DOCUMENTATION && pc->held)
				mn_buf_printf(out, "   (%zu held: criteria met, but a skipped record may belong to the patient)",
				              pc->held);
			mn_buf_putc(out, '\n');
		}
		size_t w = 9;
		for (size_t c = 0; c < pc->policy->ncriteria; c++)
			if (strlen(pc->criteria[c].id) > w)
				w = strlen(pc->criteria[c].id);
		mn_buf_printf(out, "  %-*s %6s %8s %15s\n", (int)w, "criterion", "met", "not-met", "not-documented");
		for (size_t c = 0; c < pc->policy->ncriteria; c++)
			mn_buf_printf(out, "  %-*s %6zu %8zu %15zu\n", (int)w, pc->criteria[c].id,
			              pc->criteria[c].status[MN_CRIT_MET], pc->criteria[c].status[MN_CRIT_NOT_MET],
			              pc->criteria[c].status[MN_CRIT_NOT_DOCUMENTED]);
	}
	return out->failed ? MN_ENOMEM : MN_OK;
}
