/*
 * determination.c: a determination as JSON (docs/CLI.md lists the fields)
 * and as text for a person. Both are pure functions of the determination,
 * so equal inputs give byte-identical output.
 */
#include <string.h>

#include "mednec/render.h"

static void jstr(mn_buf *b, const char *s)
{
	if (s)
		mn_buf_put_json_string(b, s, strlen(s));
	else
		mn_buf_puts(b, "null");
}

/* indent "key": (no printf: a determination writes a few hundred keys) */
static void jkey(mn_buf *b, const char *indent, const char *key)
{
	mn_buf_puts(b, indent);
	mn_buf_putc(b, '"');
	mn_buf_puts(b, key);
	mn_buf_puts(b, "\": ");
}

static void json_entries(mn_buf *b, const char *indent, const mn_entry *e, size_t n)
{
	if (!n) {
		mn_buf_puts(b, "[]");
		return;
	}
	mn_buf_puts(b, "[\n");
	for (size_t i = 0; i < n; i++) {
		mn_buf_puts(b, indent);
		mn_buf_puts(b, "  {\"reference\": ");
		jstr(b, e[i].reference);
		mn_buf_puts(b, ", \"date\": ");
		jstr(b, e[i].date);
		mn_buf_puts(b, ", \"value\": ");
		jstr(b, e[i].summary);
		mn_buf_puts(b, i + 1 < n ? "},\n" : "}\n");
	}
	mn_buf_puts(b, indent);
	mn_buf_putc(b, ']');
}

static void json_cites(mn_buf *b, const mn_cite *c, size_t n)
{
	mn_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			mn_buf_puts(b, ", ");
		jstr(b, c[i].id);
	}
	mn_buf_putc(b, ']');
}

mn_status mn_render_json(const mn_determination *d, mn_buf *b)
{
	const mn_policy *p = d->policy;
	mn_buf_puts(b, "{\n");
	jkey(b, "  ", "policy"); jstr(b, p->id); mn_buf_puts(b, ",\n");
	jkey(b, "  ", "policyTitle"); jstr(b, p->title); mn_buf_puts(b, ",\n");
	jkey(b, "  ", "policyVersion"); jstr(b, p->version); mn_buf_puts(b, ",\n");
	/* the version in force on the as-of date: its effective period and, for ID@TAG.yaml, its tag */
	jkey(b, "  ", "policyEffective");
	mn_buf_puts(b, "{\"start\": "); jstr(b, p->effective_start);
	if (p->effective_end) {
		mn_buf_puts(b, ", \"end\": "); jstr(b, p->effective_end);
	}
	if (p->file_version) {
		mn_buf_puts(b, ", \"file\": "); jstr(b, p->file_version);
	}
	mn_buf_puts(b, "},\n");
	jkey(b, "  ", "modeledOn");
	mn_buf_puts(b, "[");
	for (size_t i = 0; i < p->nmodeled_on; i++) {
		const mn_source *s = p->modeled_on[i];
		mn_buf_puts(b, i ? ",\n    {" : "\n    {");
		mn_buf_puts(b, "\"source\": "); jstr(b, s->id);
		mn_buf_puts(b, ", \"title\": "); jstr(b, s->title);
		mn_buf_puts(b, ", \"verification\": "); jstr(b, mn_verification_name(s->verification));
		mn_buf_puts(b, "}");
	}
	mn_buf_puts(b, "\n  ],\n");
	jkey(b, "  ", "asOf"); jstr(b, d->as_of_text); mn_buf_puts(b, ",\n");
	jkey(b, "  ", "case"); jstr(b, mn_case_name(d->kase)); mn_buf_puts(b, ",\n");
	jkey(b, "  ", "service");
	mn_buf_puts(b, "{\"display\": "); jstr(b, p->service_display);
	mn_buf_puts(b, ", \"codes\": [");
	for (size_t i = 0; i < p->nservice_codes; i++) {
		mn_buf_puts(b, i ? ", {\"system\": " : "{\"system\": ");
		jstr(b, p->service_codes[i].system);
		mn_buf_puts(b, ", \"code\": ");
		jstr(b, p->service_codes[i].code);
		mn_buf_puts(b, "}");
	}
	mn_buf_puts(b, "]},\n");
	jkey(b, "  ", "request"); json_entries(b, "  ", d->requests, d->nrequests); mn_buf_puts(b, ",\n");
	if (p->request) {
		jkey(b, "  ", "requestFound"); mn_buf_puts(b, d->request_found ? "true" : "false"); mn_buf_puts(b, ",\n");
	}
	jkey(b, "  ", "determination"); jstr(b, mn_outcome_name(d->outcome)); mn_buf_puts(b, ",\n");
	jkey(b, "  ", "action"); jstr(b, mn_outcome_action(d->outcome)); mn_buf_puts(b, ",\n");
	jkey(b, "  ", "criteria");
	mn_buf_puts(b, "[\n");
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		const mn_criterion *c = r->criterion;
		mn_buf_puts(b, "    {\n");
		jkey(b, "      ", "id"); jstr(b, c->id); mn_buf_puts(b, ",\n");
		jkey(b, "      ", "title"); jstr(b, c->title); mn_buf_puts(b, ",\n");
		jkey(b, "      ", "status"); jstr(b, mn_crit_status_name(r->status)); mn_buf_puts(b, ",\n");
		jkey(b, "      ", "evidence"); json_entries(b, "      ", r->entries, r->nentries); mn_buf_puts(b, ",\n");
		if (r->met_because) {
			/* met because the situation does not arise (notApplicable) */
			jkey(b, "      ", "metBecause"); jstr(b, r->met_because); mn_buf_puts(b, ",\n");
		}
		if (r->status != MN_CRIT_MET) {
			jkey(b, "      ", "satisfiedBy"); jstr(b, c->satisfied_by); mn_buf_puts(b, ",\n");
		}
		if (r->error) {
			jkey(b, "      ", "error"); jstr(b, r->error); mn_buf_puts(b, ",\n");
		}
		if (c->author_requirement) {
			/* the policy author's requirement, not a payer's (POLICY-FORMAT.md) */
			jkey(b, "      ", "authorRequirement"); jstr(b, c->author_requirement); mn_buf_puts(b, ",\n");
		}
		jkey(b, "      ", "cite"); json_cites(b, c->cites, c->ncites); mn_buf_puts(b, "\n");
		mn_buf_puts(b, i + 1 < d->nresults ? "    },\n" : "    }\n");
	}
	mn_buf_puts(b, "  ],\n");
	jkey(b, "  ", "warnings");
	mn_buf_puts(b, "[");
	for (size_t i = 0; i < d->nwarnings; i++) {
		mn_buf_puts(b, i ? ", " : "");
		jstr(b, d->warnings[i]);
	}
	mn_buf_puts(b, "]\n}\n");
	return b->failed ? MN_ENOMEM : MN_OK;
}

static void text_entry(mn_buf *b, const mn_entry *e)
{
	mn_buf_printf(b, "      %s", e->reference);
	if (e->date)
		mn_buf_printf(b, " (%s)", e->date);
	mn_buf_printf(b, ": %s\n", e->summary);
}

mn_status mn_render_text(const mn_determination *d, mn_buf *b)
{
	const mn_policy *p = d->policy;
	mn_buf_printf(b, "Policy:        %s (%s), version %s\n", p->id, p->title, p->version);
	mn_buf_printf(b, "In force:      from %s %s%s\n", p->effective_start, p->effective_end ? "to " : "(open-ended)",
	              p->effective_end ? p->effective_end : "");
	for (size_t i = 0; i < p->nmodeled_on; i++)
		mn_buf_printf(b, "Modeled on:    %s [%s]\n", p->modeled_on[i]->title,
		              mn_verification_name(p->modeled_on[i]->verification));
	mn_buf_printf(b, "Case:          %s\n", mn_case_name(d->kase));
	mn_buf_printf(b, "As of:         %s\n", d->as_of_text);
	mn_buf_printf(b, "Service:       %s\n", p->service_display);
	if (p->request && !d->request_found)
		mn_buf_printf(b, "Pre-check:     the record holds no request for %s: the criteria below are a pre-check, "
		              "no approval without a request\n", p->service_display ? p->service_display : p->id);
	for (size_t i = 0; i < d->nrequests; i++)
		mn_buf_printf(b, "Request:       %s%s%s\n", d->requests[i].reference, d->requests[i].date ? ", " : "",
		              d->requests[i].date ? d->requests[i].date : "");
	size_t met = 0;
	for (size_t i = 0; i < d->nresults; i++)
		met += d->results[i].status == MN_CRIT_MET;
	mn_buf_printf(b, "Determination: %s (%zu of %zu criteria met)\n", mn_outcome_name(d->outcome), met, d->nresults);
	if (d->outcome == MN_MEETS_CRITERIA)
		mn_buf_puts(b, "Action:        approve\n");
	else
		mn_buf_puts(b, "Action:        pend for physician review (mednec never denies)\n");
	mn_buf_puts(b, "\nCriteria:\n");
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		mn_buf_printf(b, "  [%s] %s: %s\n", mn_crit_status_name(r->status), r->criterion->id, r->criterion->title);
		if (r->criterion->author_requirement)
			mn_buf_printf(b, "      requirement of this policy (not stated by a payer): %s\n",
			              r->criterion->author_requirement);
		if (r->met_because)
			mn_buf_printf(b, "      met because: %s (not applicable)\n", r->met_because);
		for (size_t j = 0; j < r->nentries; j++)
			text_entry(b, &r->entries[j]);
		if (r->status != MN_CRIT_MET)
			mn_buf_printf(b, "      needed: %s\n", r->criterion->satisfied_by);
		if (r->error)
			mn_buf_printf(b, "      error: %s\n", r->error);
	}
	for (size_t i = 0; i < d->nwarnings; i++)
		mn_buf_printf(b, "warning: %s\n", d->warnings[i]);
	return b->failed ? MN_ENOMEM : MN_OK;
}
