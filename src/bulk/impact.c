/*
 * impact.c: mednec impact: a population under two policies (two versions of
 * one, or any two), compared (mn_impact_run and its writers); docs/BULK.md.
 *
 * Criteria are matched by id: the old policy's criteria in its order, then
 * those only the new one has. A criterion absent from a version counts as
 * status 0 ("absent") there.
 */
#include <stdlib.h>
#include <string.h>

#include "bulk_int.h"

static const mn_outcome outcomes[] = {MN_MEETS_CRITERIA, MN_DOES_NOT_MEET, MN_INSUFFICIENT_DOCUMENTATION,
                                      MN_NOT_COVERED};

typedef struct impact_slot {
	uint8_t from, to;
	bool held;
	uint8_t *status;            /* 2 x ncriteria: old statuses, then new */
} impact_slot;

typedef struct impact_ctx {
	const mn_impact_options *o;
	mn_impact *im;
	size_t *old_map, *new_map;  /* policy criterion -> report criterion */
} impact_ctx;

static mn_status decide_one(const impact_ctx *x, const mn_policy *p, const size_t *map, const mn_bulk_record *r,
                            uint8_t *status, uint8_t *outcome)
{
	mn_determination *d = NULL;
	mn_error err;
	mn_error_clear(&err);
	mn_status st = mn_determine_flags(p, r->kase, x->o->as_of, x->o->determine, MN_DETERMINE_POLICY_SCORES, &d,
	                                  &err);
	if (st != MN_OK)
		return st;
	*outcome = (uint8_t)mn_bulk_held_outcome(d->outcome, r->held);
	for (size_t c = 0; c < d->nresults && c < p->ncriteria; c++)
		status[map[c]] = (uint8_t)d->results[c].status;
	mn_determination_free(d);
	return MN_OK;
}

static mn_status impact_work(void *p, const mn_bulk_record *r, void *slot)
{
	const impact_ctx *x = p;
	impact_slot *s = slot;
	if (!r->kase)
		return MN_OK;
	size_t n = x->im->ncriteria;
	if (!(s->status = calloc(2 * n + 1, 1)))
		return MN_ENOMEM;
	s->held = r->held != 0;
	mn_status st = decide_one(x, x->o->old_policy, x->old_map, r, s->status, &s->from);
	if (st == MN_OK)
		st = decide_one(x, x->o->new_policy, x->new_map, r, s->status + n, &s->to);
	return st;
}

static mn_status impact_emit(void *p, const mn_bulk_record *r, void *slot)
{
	impact_ctx *x = p;
	impact_slot *s = slot;
	if (!x) {
		free(s->status);
		return MN_OK;
	}
	mn_impact *im = x->im;
	const mn_impact_options *o = x->o;
	for (size_t i = 0; i < r->nproblems; i++)
		if (o->problem)
			o->problem(o->ctx, &r->problems[i]);
	im->problems += r->nproblems;
	im->held_patients += r->held != 0;
	if (!s->status) {
		im->not_loaded++;
		im->problems += r->nproblems == 0;  /* a record that does not load is a bad record */
		if (o->problem && r->error.code && !r->nproblems) {
			char msg[1200];
			mn_error_format(&r->error, msg, sizeof msg);
			mn_bulk_problem pr = {r->id, 0, msg, r->id, false};
			o->problem(o->ctx, &pr);
		}
		return MN_OK;
	}
	im->decided++;
	im->matrix[s->from][s->to]++;
	size_t n = im->ncriteria, nchanged = 0;
	for (size_t c = 0; c < n; c++) {
		im->criteria[c].transition[s->status[c]][s->status[n + c]]++;
		nchanged += s->status[c] != s->status[n + c];
	}
	mn_status st = MN_OK;
	if (s->from != s->to) {
		if (im->nchanges == im->capchanges) {
			size_t cap = im->capchanges ? im->capchanges * 2 : 64;
			mn_impact_change *nc = realloc(im->changes, cap * sizeof *nc);
			if (!nc) {
				free(s->status);
				return MN_ENOMEM;
			}
			im->changes = nc;
			im->capchanges = cap;
		}
		mn_impact_change *ch = &im->changes[im->nchanges];
		ch->patient = mn_arena_strdup(im->arena, r->id);
		ch->from = s->from;
		ch->to = s->to;
		ch->held = s->held;
		ch->ncriteria = 0;
		ch->criteria = mn_arena_calloc(im->arena, nchanged + 1, sizeof *ch->criteria);
		if (!ch->patient || !ch->criteria)
			st = MN_ENOMEM;
		for (size_t c = 0; st == MN_OK && c < n; c++)
			if (s->status[c] != s->status[n + c])
				ch->criteria[ch->ncriteria++] = (mn_impact_crit_change){im->criteria[c].id, s->status[c],
				                                                          s->status[n + c]};
		if (st == MN_OK)
			im->nchanges++;
	}
	free(s->status);
	return st;
}

static void impact_progress(void *p, size_t done, size_t total)
{
	const impact_ctx *x = p;
	x->o->progress(x->o->ctx, done, total);
}

mn_status mn_impact_run(const mn_bulk *b, const mn_impact_options *o, mn_impact **out, mn_error *err)
{
	*out = NULL;
	mn_impact *im = calloc(1, sizeof *im);
	const mn_policy *po = o->old_policy, *pn = o->new_policy;
	size_t *old_map = calloc(po->ncriteria + 1, sizeof *old_map), *new_map = calloc(pn->ncriteria + 1, sizeof *new_map);
	mn_status st = MN_OK;
	if (!im || !(im->arena = mn_arena_new()) || !old_map || !new_map ||
	    !(im->criteria = mn_arena_calloc(im->arena, po->ncriteria + pn->ncriteria + 1, sizeof *im->criteria))) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	im->old_policy = po;
	im->new_policy = pn;
	mn_datetime_format(o->as_of, im->as_of, sizeof im->as_of);
	im->patients = mn_bulk_count(b);
	im->problems = mn_bulk_problem_count(b);
	for (size_t c = 0; c < po->ncriteria; c++) {
		im->criteria[im->ncriteria] = (mn_impact_criterion){po->criteria[c].id, po->criteria[c].title, true, false, {{0}}};
		old_map[c] = im->ncriteria++;
	}
	for (size_t c = 0; c < pn->ncriteria; c++) {
		size_t k = 0;
		while (k < po->ncriteria && strcmp(im->criteria[k].id, pn->criteria[c].id) != 0)
			k++;
		if (k == po->ncriteria) {
			im->criteria[im->ncriteria] = (mn_impact_criterion){pn->criteria[c].id, pn->criteria[c].title, false, true,
			                                                    {{0}}};
			k = im->ncriteria++;
		}
		im->criteria[k].in_new = true;
		new_map[c] = k;
	}
	impact_ctx x = {o, im, old_map, new_map};
	mn_bulk_run_options ro = {o->threads, o->case_flags, sizeof(impact_slot), impact_work, impact_emit, &x,
	                          o->progress ? impact_progress : NULL};
	st = mn_bulk_run(b, &ro, err);
done:
	free(old_map);
	free(new_map);
	if (st != MN_OK) {
		mn_impact_free(im);
		return st;
	}
	*out = im;
	return MN_OK;
}

void mn_impact_free(mn_impact *im)
{
	if (!im)
		return;
	free(im->changes);
	mn_arena_free(im->arena);
	free(im);
}

/* ---- writers ------------------------------------------------------------------ */

static const char *status_name(int s)
{
	return s ? mn_crit_status_name((mn_crit_status)s) : "absent";
}

static void policy_label(mn_buf *out, const mn_policy *p)
{
	const char *base = strrchr(p->path, '/');
	mn_buf_printf(out, "%s, version %s, in force %s to %s (%s)", p->id, p->version ? p->version : "(none)",
	              p->effective_start, p->effective_end ? p->effective_end : "open", base ? base + 1 : p->path);
}

static size_t row_total(const mn_impact *im, mn_outcome from)
{
	size_t n = 0;
	for (size_t j = 0; j < 4; j++)
		n += im->matrix[from][outcomes[j]];
	return n;
}

static size_t col_total(const mn_impact *im, mn_outcome to)
{
	size_t n = 0;
	for (size_t i = 0; i < 4; i++)
		n += im->matrix[outcomes[i]][to];
	return n;
}

mn_status mn_impact_write_text(const mn_impact *im, mn_buf *out)
{
	mn_buf_puts(out, "POLICY IMPACT\n\n  old: ");
	policy_label(out, im->old_policy);
	mn_buf_puts(out, "\n  new: ");
	policy_label(out, im->new_policy);
	mn_buf_printf(out, "\n  as of %s; %zu patient%s, %zu decided under both, %zu not loaded; %zu bad record%s "
	              "skipped; %zu patient%s held (never meets-criteria)\n", im->as_of, im->patients,
	              im->patients == 1 ? "" : "s", im->decided, im->not_loaded, im->problems,
	              im->problems == 1 ? "" : "s", im->held_patients, im->held_patients == 1 ? "" : "s");
	size_t same = 0;
	for (size_t i = 0; i < 4; i++)
		same += im->matrix[outcomes[i]][outcomes[i]];
	mn_buf_printf(out, "\n  outcome unchanged: %zu; changed: %zu\n", same, im->decided - same);

	/* the matrix */
	static const char *const abbrev[] = {"meets", "does-not-meet", "insufficient", "not-covered"};
	mn_buf_puts(out, "\nOUTCOME TRANSITIONS (rows: old policy, columns: new policy; patients)\n\n");
	mn_buf_printf(out, "  %-28s", "old \\ new");
	for (size_t j = 0; j < 4; j++)
		mn_buf_printf(out, " %13s", abbrev[j]);
	mn_buf_printf(out, " %8s\n", "total");
	for (size_t i = 0; i < 4; i++) {
		mn_buf_printf(out, "  %-28s", mn_outcome_name(outcomes[i]));
		for (size_t j = 0; j < 4; j++)
			mn_buf_printf(out, " %13zu", im->matrix[outcomes[i]][outcomes[j]]);
		mn_buf_printf(out, " %8zu\n", row_total(im, outcomes[i]));
	}
	mn_buf_printf(out, "  %-28s", "total");
	for (size_t j = 0; j < 4; j++)
		mn_buf_printf(out, " %13zu", col_total(im, outcomes[j]));
	mn_buf_printf(out, " %8zu\n", im->decided);
	mn_buf_puts(out, "\n  transitions:\n");
	size_t nt = 0;
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++)
			if (i != j && im->matrix[outcomes[i]][outcomes[j]]) {
				mn_buf_printf(out, "    %s -> %s: %zu\n", mn_outcome_name(outcomes[i]), mn_outcome_name(outcomes[j]),
				              im->matrix[outcomes[i]][outcomes[j]]);
				nt++;
			}
	if (!nt)
		mn_buf_puts(out, "    (none: every patient's outcome is the same under both)\n");

	/* criteria: an overview table, then each criterion's status pairs */
	size_t w = 9;
	for (size_t c = 0; c < im->ncriteria; c++)
		if (strlen(im->criteria[c].id) > w)
			w = strlen(im->criteria[c].id);
	mn_buf_puts(out, "\nCRITERIA (matched by id; patients by status under each version)\n\n");
	mn_buf_printf(out, "  %-*s  %-4s %7s  %-23s  %s\n", (int)w, "", "", "", "old policy", "new policy");
	mn_buf_printf(out, "  %-*s  %-4s %7s  %7s %7s %7s  %7s %7s %7s\n", (int)w, "criterion", "in", "changed", "met",
	              "not-met", "no-doc", "met", "not-met", "no-doc");
	for (size_t c = 0; c < im->ncriteria; c++) {
		const mn_impact_criterion *cr = &im->criteria[c];
		size_t oldn[4] = {0}, newn[4] = {0}, changed = 0;
		for (int a = 0; a < 4; a++)
			for (int b2 = 0; b2 < 4; b2++) {
				oldn[a] += cr->transition[a][b2];
				newn[b2] += cr->transition[a][b2];
				changed += a != b2 && a && b2 ? cr->transition[a][b2] : 0;
			}
		bool both = cr->in_old && cr->in_new;
		char cell[7][24];
		mn_snprintf(cell[0], sizeof cell[0], both ? "%zu" : "-", changed);
		for (int s = 1; s < 4; s++) {
			mn_snprintf(cell[s], sizeof cell[s], cr->in_old ? "%zu" : "-", oldn[s]);
			mn_snprintf(cell[3 + s], sizeof cell[3 + s], cr->in_new ? "%zu" : "-", newn[s]);
		}
		mn_buf_printf(out, "  %-*s  %-4s %7s  %7s %7s %7s  %7s %7s %7s\n", (int)w, cr->id,
		              both ? "both" : cr->in_old ? "old" : "new", cell[0], cell[1], cell[2], cell[3], cell[4], cell[5],
		              cell[6]);
	}
	mn_buf_puts(out, "\nCRITERION DETAILS (patients by status, old -> new; * a change)\n");
	for (size_t c = 0; c < im->ncriteria; c++) {
		const mn_impact_criterion *cr = &im->criteria[c];
		mn_buf_printf(out, "\n  %s  [%s]\n    %s\n", cr->id,
		              cr->in_old && cr->in_new ? "in both" : cr->in_old ? "removed: old only" : "added: new only",
		              cr->title ? cr->title : "");
		size_t changed = 0;
		for (int a = 0; a < 4; a++)
			for (int b2 = 0; b2 < 4; b2++)
				if (a != b2)
					changed += cr->transition[a][b2];
		if (cr->in_old && cr->in_new)
			mn_buf_printf(out, "    status changed for %zu patient%s\n", changed, changed == 1 ? "" : "s");
		for (int a = 0; a < 4; a++)
			for (int b2 = 0; b2 < 4; b2++)
				if (cr->transition[a][b2])
					mn_buf_printf(out, "    %-14s -> %-14s %6zu%s\n", status_name(a), status_name(b2),
					              cr->transition[a][b2], a != b2 && cr->in_old && cr->in_new ? "  *" : "");
	}

	/* patients */
	mn_buf_printf(out, "\nPATIENTS WHOSE OUTCOME CHANGES (%zu, by patient id)\n\n", im->nchanges);
	if (!im->nchanges)
		mn_buf_puts(out, "  (none)\n");
	for (size_t i = 0; i < im->nchanges; i++) {
		const mn_impact_change *ch = &im->changes[i];
		mn_buf_printf(out, "  Patient/%s: %s -> %s%s\n", ch->patient, mn_outcome_name(ch->from),
		              mn_outcome_name(ch->to), ch->held ? " (held: a skipped record may belong to the patient)" : "");
		for (size_t k = 0; k < ch->ncriteria; k++)
			mn_buf_printf(out, "    %s: %s -> %s\n", ch->criteria[k].id, status_name(ch->criteria[k].from),
			              status_name(ch->criteria[k].to));
	}
	return out->failed ? MN_ENOMEM : MN_OK;
}

static void jstr(mn_buf *b, const char *s)
{
	if (s)
		mn_buf_put_json_string(b, s, strlen(s));
	else
		mn_buf_puts(b, "null");
}

static void json_policy(mn_buf *out, const mn_policy *p)
{
	mn_buf_puts(out, "{\"id\": ");
	jstr(out, p->id);
	mn_buf_puts(out, ", \"version\": ");
	jstr(out, p->version);
	mn_buf_puts(out, ", \"effective\": {\"start\": ");
	jstr(out, p->effective_start);
	mn_buf_puts(out, ", \"end\": ");
	jstr(out, p->effective_end);
	mn_buf_puts(out, "}, \"file\": ");
	const char *base = strrchr(p->path, '/');
	jstr(out, base ? base + 1 : p->path);
	mn_buf_puts(out, "}");
}

mn_status mn_impact_write_json(const mn_impact *im, mn_buf *out)
{
	mn_buf_puts(out, "{\n  \"old\": ");
	json_policy(out, im->old_policy);
	mn_buf_puts(out, ",\n  \"new\": ");
	json_policy(out, im->new_policy);
	mn_buf_puts(out, ",\n  \"asOf\": ");
	jstr(out, im->as_of);
	mn_buf_printf(out, ",\n  \"patients\": {\"total\": %zu, \"decided\": %zu, \"notLoaded\": %zu, \"held\": %zu, "
	              "\"changed\": %zu},\n  \"badRecords\": %zu,\n", im->patients, im->decided, im->not_loaded,
	              im->held_patients, im->nchanges, im->problems);
	mn_buf_puts(out, "  \"matrix\": {");
	for (size_t i = 0; i < 4; i++) {
		mn_buf_printf(out, "%s\n    \"%s\": {", i ? "," : "", mn_outcome_name(outcomes[i]));
		for (size_t j = 0; j < 4; j++)
			mn_buf_printf(out, "%s\"%s\": %zu", j ? ", " : "", mn_outcome_name(outcomes[j]),
			              im->matrix[outcomes[i]][outcomes[j]]);
		mn_buf_puts(out, "}");
	}
	mn_buf_puts(out, "\n  },\n  \"transitions\": [");
	size_t nt = 0;
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++)
			if (i != j && im->matrix[outcomes[i]][outcomes[j]])
				mn_buf_printf(out, "%s\n    {\"from\": \"%s\", \"to\": \"%s\", \"patients\": %zu}", nt++ ? "," : "",
				              mn_outcome_name(outcomes[i]), mn_outcome_name(outcomes[j]),
				              im->matrix[outcomes[i]][outcomes[j]]);
	mn_buf_puts(out, nt ? "\n  ],\n  \"criteria\": [" : "],\n  \"criteria\": [");
	for (size_t c = 0; c < im->ncriteria; c++) {
		const mn_impact_criterion *cr = &im->criteria[c];
		mn_buf_puts(out, c ? ",\n    {\"id\": " : "\n    {\"id\": ");
		jstr(out, cr->id);
		mn_buf_printf(out, ", \"in\": \"%s\", \"title\": ", cr->in_old && cr->in_new ? "both" : cr->in_old ? "old" : "new");
		jstr(out, cr->title);
		size_t changed = 0;
		for (int a = 0; a < 4; a++)
			for (int b2 = 0; b2 < 4; b2++)
				changed += a != b2 ? cr->transition[a][b2] : 0;
		mn_buf_printf(out, ", \"changed\": %zu, \"statuses\": [", cr->in_old && cr->in_new ? changed : 0);
		size_t k = 0;
		for (int a = 0; a < 4; a++)
			for (int b2 = 0; b2 < 4; b2++)
				if (cr->transition[a][b2])
					mn_buf_printf(out, "%s{\"old\": \"%s\", \"new\": \"%s\", \"patients\": %zu}", k++ ? ", " : "",
					              status_name(a), status_name(b2), cr->transition[a][b2]);
		mn_buf_puts(out, "]}");
	}
	mn_buf_puts(out, im->ncriteria ? "\n  ],\n  \"changes\": [" : "],\n  \"changes\": [");
	for (size_t i = 0; i < im->nchanges; i++) {
		const mn_impact_change *ch = &im->changes[i];
		mn_buf_printf(out, "%s\n    {\"patient\": ", i ? "," : "");
		char pid[600];
		mn_snprintf(pid, sizeof pid, "Patient/%s", ch->patient);
		jstr(out, pid);
		mn_buf_printf(out, ", \"from\": \"%s\", \"to\": \"%s\", \"held\": %s, \"criteria\": [",
		              mn_outcome_name(ch->from), mn_outcome_name(ch->to), ch->held ? "true" : "false");
		for (size_t k = 0; k < ch->ncriteria; k++) {
			mn_buf_puts(out, k ? ", {\"id\": " : "{\"id\": ");
			jstr(out, ch->criteria[k].id);
			mn_buf_printf(out, ", \"old\": \"%s\", \"new\": \"%s\"}", status_name(ch->criteria[k].from),
			              status_name(ch->criteria[k].to));
		}
		mn_buf_puts(out, "]}");
	}
	mn_buf_puts(out, im->nchanges ? "\n  ]\n}\n" : "]\n}\n");
	return out->failed ? MN_ENOMEM : MN_OK;
}
