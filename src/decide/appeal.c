/*
 * appeal.c: reading a denial and matching its reasons to the policy.
 *
 * A denial is a FHIR ClaimResponse (Da Vinci PAS style) or a plain list of
 * reasons. Each reason is matched against the policy's appeal rules by
 * phrase (as words, case-insensitive: mn_text_has_phrase, so "odi" does not
 * match "periodic"; "psycholog*" is a word prefix) or by code; a reason that matches nothing stays
 * unmatched, so the appeal names it instead of arguing around it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/decide.h"

#define PAS_REVIEW_ACTION "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"

typedef struct reasons {
	mn_denial *d;
	size_t cap;
	bool oom;
} reasons;

static void add_reason(reasons *R, const char *text, const char *system, const char *code, const char *where)
{
	mn_denial *d = R->d;
	if (!text && !code)
		return;
	if (d->nreasons == R->cap) {
		size_t cap = R->cap ? R->cap * 2 : 8;
		mn_denial_reason *n = mn_arena_calloc(d->arena, cap, sizeof *n);
		if (!n) {
			R->oom = true;
			return;
		}
		if (d->nreasons)
			memcpy(n, d->reasons, d->nreasons * sizeof *n);
		d->reasons = n;
		R->cap = cap;
	}
	mn_denial_reason *r = &d->reasons[d->nreasons++];
	memset(r, 0, sizeof *r);
	r->text = text ? text : code;
	r->system = system;
	r->code = code;
	r->where = where;
}

/* Reasons from a CodeableConcept: one per coding (or its text). */
static void add_concept(reasons *R, const mn_json *cc, const char *where)
{
	const mn_json *codings = mn_json_get(cc, "coding");
	const char *text = mn_json_get_string(cc, "text");
	bool any = false;
	for (uint32_t i = 0; codings && codings->type == MN_JSON_ARRAY && i < codings->n; i++) {
		const mn_json *c = &codings->u.items[i];
		const char *display = mn_json_get_string(c, "display");
		add_reason(R, text ? text : display, mn_json_get_string(c, "system"), mn_json_get_string(c, "code"), where);
		any = true;
	}
	if (!any && text)
		add_reason(R, text, NULL, NULL, where);
}

static const mn_json *extension(const mn_json *holder, const char *url)
{
	const mn_json *exts = mn_json_get(holder, "extension");
	for (uint32_t i = 0; exts && exts->type == MN_JSON_ARRAY && i < exts->n; i++)
		if (mn_json_is_string(mn_json_get(&exts->u.items[i], "url"), url))
			return &exts->u.items[i];
	return NULL;
}

/* Adjudications: reason, and the PAS review action (decision + reason code). */
static void adjudications(reasons *R, const mn_json *list, const char *prefix)
{
	mn_denial *d = R->d;
	for (uint32_t i = 0; list && list->type == MN_JSON_ARRAY && i < list->n; i++) {
		const mn_json *adj = &list->u.items[i];
		const char *where = mn_arena_printf(d->arena, "%sadjudication[%u]", prefix, i);
		const mn_json *reason = mn_json_get(adj, "reason");
		if (reason)
			add_concept(R, reason, where);
		const mn_json *ra = extension(adj, PAS_REVIEW_ACTION);
		const mn_json *subs = mn_json_get(ra, "extension");
		for (uint32_t k = 0; subs && subs->type == MN_JSON_ARRAY && k < subs->n; k++) {
			const mn_json *sub = &subs->u.items[k];
			const char *url = mn_json_get_string(sub, "url");
			const mn_json *v = mn_json_get(sub, "valueCodeableConcept");
			if (!url || !v)
				continue;
			if (strstr(url, "reviewActionCode")) {
				const mn_json *codings = mn_json_get(v, "coding");
				if (!d->decision && codings && codings->type == MN_JSON_ARRAY && codings->n)
					d->decision = mn_json_get_string(&codings->u.items[0], "display");
			} else if (strstr(url, "reasonCode")) {
				add_concept(R, v, mn_arena_printf(d->arena, "%s review action reason", where));
			}
		}
	}
}

static mn_status from_claim_response(reasons *R, const mn_resource *cr)
{
	mn_denial *d = R->d;
	const mn_json *j = cr->json;
	d->reference = mn_arena_printf(d->arena, "ClaimResponse/%s", cr->id ? cr->id : "(no id)");
	d->created = mn_json_get_string(j, "created");
	const mn_json *notes = mn_json_get(j, "processNote");
	for (uint32_t i = 0; notes && notes->type == MN_JSON_ARRAY && i < notes->n; i++)
		add_reason(R, mn_json_get_string(&notes->u.items[i], "text"), NULL, NULL,
		           mn_arena_printf(d->arena, "processNote[%u]", i));
	const mn_json *errors = mn_json_get(j, "error");
	for (uint32_t i = 0; errors && errors->type == MN_JSON_ARRAY && i < errors->n; i++)
		add_concept(R, mn_json_get(&errors->u.items[i], "code"), mn_arena_printf(d->arena, "error[%u]", i));
	adjudications(R, mn_json_get(j, "adjudication"), "");
	const mn_json *items = mn_json_get(j, "item");
	for (uint32_t i = 0; items && items->type == MN_JSON_ARRAY && i < items->n; i++)
		adjudications(R, mn_json_get(&items->u.items[i], "adjudication"), mn_arena_printf(d->arena, "item[%u].", i));
	const char *disposition = mn_json_get_string(j, "disposition");
	if (disposition)
		add_reason(R, disposition, NULL, NULL, "disposition");
	if (!d->decision)
		d->decision = mn_json_get_string(j, "outcome");
	return R->oom ? MN_ENOMEM : MN_OK;
}

static mn_status from_text(reasons *R, const char *text, size_t len)
{
	mn_denial *d = R->d;
	size_t line = 1;
	for (size_t i = 0; i < len; line++) {
		size_t start = i;
		while (i < len && text[i] != '\n')
			i++;
		size_t end = i;
		if (i < len)
			i++;
		while (start < end && (text[start] == ' ' || text[start] == '\t' || text[start] == '-' || text[start] == '*'))
			start++;
		while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r'))
			end--;
		if (start == end || text[start] == '#')
			continue;
		add_reason(R, mn_arena_strndup(d->arena, text + start, end - start), NULL, NULL,
		           mn_arena_printf(d->arena, "line %zu", line));
	}
	return R->oom ? MN_ENOMEM : MN_OK;
}

mn_status mn_denial_load_file(const char *path, mn_denial **out, mn_error *err)
{
	*out = NULL;
	char *text;
	size_t len;
	mn_status rc = mn_read_file(path, &text, &len, err);
	if (rc != MN_OK)
		return rc;
	mn_denial *d = calloc(1, sizeof *d);
	if (!d || !(d->arena = mn_arena_new())) {
		free(d);
		free(text);
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	reasons R = {d, 0, false};
	d->source = mn_arena_strdup(d->arena, path);
	size_t k = 0;
	while (k < len && (text[k] == ' ' || text[k] == '\n' || text[k] == '\r' || text[k] == '\t'))
		k++;
	if (k < len && text[k] == '{') {
		mn_case *c = NULL;
		rc = mn_case_load_ex(path, text, len, MN_CASE_ALLOW_UNRESOLVED, &c, err);
		const mn_resource *cr = NULL;
		for (size_t i = 0; rc == MN_OK && i < mn_case_count(c) && !cr; i++)
			if (strcmp(mn_case_get(c, i)->type_name, "ClaimResponse") == 0)
				cr = mn_case_get(c, i);
		if (rc == MN_OK && !cr) {
			mn_error_locate(err, path, 0, 0);
			rc = mn_error_set(err, MN_EFHIR, "a FHIR denial must be a ClaimResponse (or a Bundle holding one)");
		}
		if (rc == MN_OK)
			rc = from_claim_response(&R, cr);
		/* strings point into the case's arena: copy what we keep */
		for (size_t i = 0; rc == MN_OK && i < d->nreasons; i++) {
			mn_denial_reason *r = &d->reasons[i];
			r->text = r->text ? mn_arena_strdup(d->arena, r->text) : NULL;
			r->system = r->system ? mn_arena_strdup(d->arena, r->system) : NULL;
			r->code = r->code ? mn_arena_strdup(d->arena, r->code) : NULL;
		}
		if (rc == MN_OK) {
			d->created = d->created ? mn_arena_strdup(d->arena, d->created) : NULL;
			d->decision = d->decision ? mn_arena_strdup(d->arena, d->decision) : NULL;
		}
		mn_case_free(c);
	} else {
		rc = from_text(&R, text, len);
	}
	free(text);
	if (rc == MN_OK && mn_arena_failed(d->arena))
		rc = MN_ENOMEM;  /* a reason's text or the source lost to a refused copy: never a shorter list */
	if (rc != MN_OK) {
		if (rc == MN_ENOMEM)
			mn_error_set(err, rc, "out of memory");
		mn_denial_free(d);
		return rc;
	}
	*out = d;
	return MN_OK;
}

void mn_denial_free(mn_denial *d)
{
	if (!d)
		return;
	mn_arena_free(d->arena);
	free(d);
}

mn_status mn_denial_match(mn_denial *d, const mn_policy *p)
{
	for (size_t i = 0; i < d->nreasons; i++) {
		mn_denial_reason *r = &d->reasons[i];
		r->nrules = 0;
		r->rules = mn_arena_calloc(d->arena, p->nappeal_rules ? p->nappeal_rules : 1, sizeof *r->rules);
		if (!r->rules)
			return MN_ENOMEM;
		for (size_t k = 0; k < p->nappeal_rules; k++) {
			const mn_appeal_rule *rule = &p->appeal_rules[k];
			bool hit = false;
			for (size_t m = 0; m < rule->nmatch && !hit; m++)
				hit = mn_text_has_phrase(r->text, rule->match[m]);
			for (size_t m = 0; m < rule->ncodes && !hit; m++)
				hit = r->code && strcmp(r->code, rule->codes[m].code) == 0 &&
				      (!r->system || strcmp(r->system, rule->codes[m].system) == 0);
			if (hit)
				r->rules[r->nrules++] = rule;
		}
	}
	return MN_OK;
}
