/*
 * questionnaire.c: a policy's DTR Questionnaire (SDC), its value sets, and a
 * QuestionnaireResponse prefilled from a determination (docs/DTR.md).
 */
#include <stdio.h>
#include <string.h>

#include "dtr_int.h"

#define EXT_INITIAL "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression"
#define EXT_EXTRACT "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract"
#define EXT_VARIABLE "http://hl7.org/fhir/StructureDefinition/variable"
#define EXT_UNIT "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
#define EXT_ORIGIN "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin"
#define PROFILE_Q "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-std-questionnaire"
#define PROFILE_QR "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-questionnaireresponse"
#define VS_BASE "urn:mednec:valueset:"
#define UCUM "http://unitsofmeasure.org"

const char *mn_dtr_canonical(const mn_policy *p, mn_arena *a)
{
	return mn_arena_printf(a, "%s%s|%s", MN_DTR_CANONICAL_BASE, p->id, p->version ? p->version : "");
}

const mn_valueset *mn_dtr_valueset(const mn_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nvaluesets; i++)
		if (strcmp(p->valuesets[i].name, name) == 0)
			return &p->valuesets[i];
	return p->library ? mn_library_valueset(p->library, name) : NULL;
}

size_t mn_dtr_items_for(const mn_policy *p, const mn_dtr_items *items, const char *criterion, const mn_dtr_item **out,
                        size_t max)
{
	size_t n = 0;
	for (size_t i = 0; items && i < items->nitems && n < max; i++) {
		const mn_dtr_item *it = &items->items[i];
		if (it->answer_valueset && !mn_dtr_valueset(p, it->answer_valueset))
			continue;
		for (size_t k = 0; k < it->ncriteria; k++)
			if (strcmp(it->criteria[k], criterion) == 0) {
				out[n++] = it;
				break;
			}
	}
	return n;
}

static void coding(mn_buf *b, const mn_code *c)
{
	mn_buf_puts(b, "{\"system\":");
	mn_dtr_jstr(b, c->system);
	mn_buf_puts(b, ",\"code\":");
	mn_dtr_jstr(b, c->code);
	if (c->display) {
		mn_buf_puts(b, ",\"display\":");
		mn_dtr_jstr(b, c->display);
	}
	mn_buf_putc(b, '}');
}

static void expression_ext(mn_buf *b, const char *url, const char *name, const char *expr)
{
	mn_buf_printf(b, "{\"url\":\"%s\",\"valueExpression\":{", url);
	if (name) {
		mn_buf_puts(b, "\"name\":");
		mn_dtr_jstr(b, name);
		mn_buf_putc(b, ',');
	}
	mn_buf_puts(b, "\"language\":\"text/fhirpath\",\"expression\":");
	mn_dtr_jstr(b, expr);
	mn_buf_puts(b, "}}");
}

static void answer_item(mn_buf *b, const mn_policy *p, const mn_criterion *c, const mn_dtr_item *it, mn_arena *a)
{
	mn_buf_puts(b, ",{\"linkId\":");
	mn_dtr_jstr(b, mn_arena_printf(a, "%s.%s", c->id, it->link_id));
	bool ext = it->initial || it->has_code || it->unit;
	if (ext) {
		mn_buf_puts(b, ",\"extension\":[");
		bool first = true;
		if (it->initial) {
			expression_ext(b, EXT_INITIAL, NULL, it->initial);
			first = false;
		}
		if (it->has_code) {
			mn_buf_printf(b, "%s{\"url\":\"%s\",\"valueBoolean\":true}", first ? "" : ",", EXT_EXTRACT);
			first = false;
		}
		if (it->unit) {
			mn_buf_printf(b, "%s{\"url\":\"%s\",\"valueCoding\":{\"system\":\"%s\",\"code\":", first ? "" : ",",
			              EXT_UNIT, UCUM);
			mn_dtr_jstr(b, it->unit);
			mn_buf_puts(b, "}}");
		}
		mn_buf_putc(b, ']');
	}
	if (it->has_code) {
		mn_buf_puts(b, ",\"code\":[");
		coding(b, &it->code);
		mn_buf_putc(b, ']');
	}
	mn_buf_puts(b, ",\"text\":");
	mn_dtr_jstr(b, it->text);
	mn_buf_printf(b, ",\"type\":\"%s\"", it->type);
	if (it->answer_valueset) {
		mn_buf_puts(b, ",\"answerValueSet\":");
		mn_dtr_jstr(b, mn_arena_printf(a, "%s%s|%s", VS_BASE, it->answer_valueset, p->version ? p->version : ""));
	}
	if (it->noptions) {
		mn_buf_puts(b, ",\"answerOption\":[");
		for (size_t i = 0; i < it->noptions; i++) {
			mn_buf_puts(b, i ? ",{\"valueCoding\":" : "{\"valueCoding\":");
			coding(b, &it->options[i]);
			mn_buf_putc(b, '}');
		}
		mn_buf_putc(b, ']');
	}
	mn_buf_putc(b, '}');
}

static void criterion_group(mn_buf *b, const mn_policy *p, const mn_dtr_items *items, const mn_criterion *c,
                            mn_arena *a)
{
	mn_buf_puts(b, "{\"linkId\":");
	mn_dtr_jstr(b, c->id);
	mn_buf_puts(b, ",\"text\":");
	mn_dtr_jstr(b, c->title);
	mn_buf_puts(b, ",\"type\":\"group\",\"item\":[");
	mn_buf_puts(b, "{\"linkId\":");
	mn_dtr_jstr(b, mn_arena_printf(a, "%s.satisfied-by", c->id));
	mn_buf_puts(b, ",\"text\":");
	mn_dtr_jstr(b, c->satisfied_by ? mn_arena_printf(a, "Documentation that satisfies it: %s", c->satisfied_by)
	                               : "Documentation that satisfies it: not stated by the policy");
	mn_buf_puts(b, ",\"type\":\"display\"}");
	/* the criterion's reading of the record: documented and met (or not applicable) */
	const char *doc = c->documented ? mn_fp_expr_source(c->documented) : "true";
	const char *expr = c->not_applicable
	                       ? mn_arena_printf(a, "(%s) or ((%s) and (%s))", mn_fp_expr_source(c->not_applicable), doc,
	                                         mn_fp_expr_source(c->met))
	                       : mn_arena_printf(a, "(%s) and (%s)", doc, mn_fp_expr_source(c->met));
	mn_buf_puts(b, ",{\"linkId\":");
	mn_dtr_jstr(b, mn_arena_printf(a, "%s.in-record", c->id));
	mn_buf_puts(b, ",\"extension\":[");
	expression_ext(b, EXT_INITIAL, NULL, expr);
	mn_buf_puts(b, "],\"text\":\"Met by the record as the payer's rules read it (filled in from the record; "
	               "read-only)\",\"type\":\"boolean\",\"readOnly\":true}");
	const mn_dtr_item *its[MN_DTR_MAX_ITEMS];
	size_t n = mn_dtr_items_for(p, items, c->id, its, MN_DTR_MAX_ITEMS);
	for (size_t i = 0; i < n; i++)
		answer_item(b, p, c, its[i], a);
	mn_buf_puts(b, ",{\"linkId\":");
	mn_dtr_jstr(b, mn_arena_printf(a, "%s.documentation", c->id));
	mn_buf_puts(b, ",\"text\":\"The documentation (report, note or letter) that shows it\",\"type\":\"attachment\","
	               "\"repeats\":true}");
	mn_buf_puts(b, "]}");
}

mn_status mn_dtr_questionnaire(const mn_policy *p, const mn_dtr_items *items, mn_buf *out, mn_error *err)
{
	mn_arena *a = mn_arena_new();
	mn_buf b = MN_BUF_INIT;
	if (!a)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	mn_buf_puts(&b, "{\"resourceType\":\"Questionnaire\",\"id\":");
	mn_dtr_jstr(&b, p->id);
	mn_buf_puts(&b, ",\"meta\":{\"profile\":[\"" PROFILE_Q "\"]}");
	if (p->ndefinitions) {
		/* the policy's definitions, so that the initial expressions' %names mean what they mean in the policy */
		mn_buf_puts(&b, ",\"extension\":[");
		for (size_t i = 0; i < p->ndefinitions; i++) {
			if (i)
				mn_buf_putc(&b, ',');
			expression_ext(&b, EXT_VARIABLE, p->definitions[i].name, mn_fp_expr_source(p->definitions[i].expr));
		}
		mn_buf_putc(&b, ']');
	}
	mn_buf_puts(&b, ",\"url\":");
	mn_dtr_jstr(&b, mn_arena_printf(a, "%s%s", MN_DTR_CANONICAL_BASE, p->id));
	mn_buf_puts(&b, ",\"version\":");
	mn_dtr_jstr(&b, p->version ? p->version : "");
	mn_buf_puts(&b, ",\"title\":");
	mn_dtr_jstr(&b, mn_arena_printf(a, "Documentation for: %s", p->title ? p->title : p->id));
	mn_buf_puts(&b, ",\"status\":\"active\",\"subjectType\":[\"Patient\"],\"description\":");
	mn_dtr_jstr(&b, mn_arena_printf(a, "What the criteria of policy %s (version %s) need, one group per criterion. "
	                                   "Generated by mednec from the policy; answers are attested by the author of "
	                                   "the response (docs/DTR.md).", p->id, p->version ? p->version : ""));
	mn_buf_puts(&b, ",\"item\":[");
	for (size_t i = 0; i < p->ncriteria; i++) {
		if (i)
			mn_buf_putc(&b, ',');
		criterion_group(&b, p, items, &p->criteria[i], a);
	}
	mn_buf_puts(&b, "]}");
	mn_status rc = mn_arena_failed(a) ? mn_error_set(err, MN_ENOMEM, "out of memory") : mn_dtr_pretty(&b, out, err);
	mn_buf_free(&b);
	mn_arena_free(a);
	return rc;
}

/* ---- value sets ------------------------------------------------------------ */

/* The code entries of vs, comma-separated: as compose includes ({system, concept: [{code, display}]}) or as
 * expansion entries ({system, code, display}). */
static void vs_codes(mn_buf *b, const mn_valueset *vs, bool include)
{
	size_t n = 0;
	for (size_t k = 0; k < vs->ncodes; k++) {
		const mn_vs_entry *e = &vs->codes[k];
		if (e->match != MN_VS_CODE)
			continue;
		mn_buf_puts(b, n++ ? ",{\"system\":" : "{\"system\":");
		mn_dtr_jstr(b, e->system);
		mn_buf_puts(b, include ? ",\"concept\":[{\"code\":" : ",\"code\":");
		mn_dtr_jstr(b, e->code);
		if (e->display) {
			mn_buf_puts(b, ",\"display\":");
			mn_dtr_jstr(b, e->display);
		}
		mn_buf_puts(b, include ? "}]}" : "}");
	}
}

mn_status mn_dtr_valuesets(const mn_policy *p, const mn_dtr_items *items, const char *before, const char *after,
                           mn_buf *out, mn_error *err)
{
	const char *done[MN_DTR_MAX_ITEMS * 4];
	size_t ndone = 0;
	for (size_t ci = 0; ci < p->ncriteria; ci++) {
		const mn_dtr_item *its[MN_DTR_MAX_ITEMS];
		size_t n = mn_dtr_items_for(p, items, p->criteria[ci].id, its, MN_DTR_MAX_ITEMS);
		for (size_t i = 0; i < n; i++) {
			const char *name = its[i]->answer_valueset;
			bool seen = false;
			for (size_t k = 0; name && k < ndone; k++)
				seen |= strcmp(done[k], name) == 0;
			if (!name || seen || ndone == sizeof done / sizeof *done)
				continue;
			done[ndone++] = name;
			const mn_valueset *vs = mn_dtr_valueset(p, name);
			bool listable = vs && vs->nexcludes == 0;
			for (size_t k = 0; listable && k < vs->ncodes; k++)
				listable = vs->codes[k].match == MN_VS_CODE;
			if (!listable)
				return mn_error_set(err, MN_EPOLICY, "%s: item %s: value set '%s' has prefixes, ranges or "
				                    "exclusions, so its codes cannot be listed as answers", items->path,
				                    its[i]->link_id, name);
			mn_buf b = MN_BUF_INIT;
			mn_buf_puts(&b, "{\"resourceType\":\"ValueSet\",\"id\":");
			mn_dtr_jstr(&b, name);
			mn_buf_printf(&b, ",\"url\":\"%s%s\",\"version\":", VS_BASE, name);
			mn_dtr_jstr(&b, p->version ? p->version : "");
			mn_buf_puts(&b, ",\"title\":");
			mn_dtr_jstr(&b, vs->title ? vs->title : name);
			mn_buf_puts(&b, ",\"status\":\"active\",\"compose\":{\"include\":[");
			vs_codes(&b, vs, true);  /* one include per code (the set has code entries only, checked above) */
			mn_buf_puts(&b, "]},\"expansion\":{\"timestamp\":");
			/* deterministic: the policy version date stands for the expansion time */
			mn_dtr_jstr(&b, p->effective_start ? p->effective_start : "1970-01-01");
			mn_buf_puts(&b, ",\"contains\":[");
			vs_codes(&b, vs, false);
			mn_buf_puts(&b, "]}}");
			mn_buf_puts(out, before);
			mn_status rc = mn_dtr_pretty(&b, out, err);
			mn_buf_free(&b);
			if (rc != MN_OK)
				return rc;
			mn_buf_puts(out, after);
		}
	}
	return MN_OK;
}

/* ---- the prefilled response ------------------------------------------------- */

static bool option_listed(const mn_policy *p, const mn_dtr_item *it, const char *system, const char *code)
{
	if (!system || !code)
		return false;
	for (size_t i = 0; i < it->noptions; i++)
		if (strcmp(it->options[i].system, system) == 0 && strcmp(it->options[i].code, code) == 0)
			return true;
	const mn_valueset *vs = it->answer_valueset ? mn_dtr_valueset(p, it->answer_valueset) : NULL;
	return vs && mn_valueset_contains(vs, system, code) == 1;
}

/* The answer value ("valueX": ...) of item it for a FHIRPath value; false when v does not fit the item's type. */
static bool answer_value(mn_buf *b, const mn_policy *p, const mn_dtr_item *it, const mn_fp_item *v)
{
	mn_fp_kind k = mn_fp_item_kind(v);
	const char *t = it->type;
	char text[64];
	if (strcmp(t, "boolean") == 0 && k == MN_FP_BOOLEAN) {
		mn_buf_printf(b, "\"valueBoolean\":%s", mn_fp_item_boolean(v) ? "true" : "false");
	} else if (strcmp(t, "integer") == 0 && k == MN_FP_INTEGER) {
		mn_buf_printf(b, "\"valueInteger\":%lld", (long long)mn_fp_item_integer(v));
	} else if (strcmp(t, "decimal") == 0 && (k == MN_FP_DECIMAL || k == MN_FP_INTEGER)) {
		mn_buf_puts(b, "\"valueDecimal\":");
		mn_fp_item_write_text(v, b);
	} else if ((strcmp(t, "date") == 0 || strcmp(t, "dateTime") == 0) && (k == MN_FP_DATE || k == MN_FP_DATETIME)) {
		mn_datetime dt = *mn_fp_item_datetime(v);
		bool date = strcmp(t, "date") == 0;
		if (date && dt.precision > MN_DT_DAY) {
			dt.kind = MN_DT_DATE;
			dt.precision = MN_DT_DAY;
			dt.has_tz = false;
		}
		mn_datetime_format(&dt, text, sizeof text);
		mn_buf_printf(b, "\"value%s\":", date ? "Date" : "DateTime");
		mn_dtr_jstr(b, text);
	} else if (strcmp(t, "string") == 0 && k == MN_FP_STRING) {
		mn_buf_puts(b, "\"valueString\":");
		mn_dtr_jstr(b, mn_fp_item_string(v, NULL));
	} else if (strcmp(t, "quantity") == 0 && k == MN_FP_QUANTITY && mn_fp_item_unit(v) &&
	           strcmp(mn_fp_item_unit(v), it->unit) == 0) {
		snprintf(text, sizeof text, "%.15g", mn_fp_item_number(v));
		mn_buf_printf(b, "\"valueQuantity\":{\"value\":%s,\"unit\":", text);
		mn_dtr_jstr(b, it->unit);
		mn_buf_puts(b, ",\"system\":\"" UCUM "\",\"code\":");
		mn_dtr_jstr(b, it->unit);
		mn_buf_putc(b, '}');
	} else if (strcmp(t, "choice") == 0 && k == MN_FP_NODE && mn_fp_item_type(v) &&
	           strcmp(mn_fp_item_type(v), "Coding") == 0) {
		const mn_json *n = mn_fp_item_node(v);
		mn_code c = {mn_json_get_string(n, "system"), mn_json_get_string(n, "code"), mn_json_get_string(n, "display")};
		if (!option_listed(p, it, c.system, c.code))
			return false;
		mn_buf_puts(b, "\"valueCoding\":");
		coding(b, &c);
	} else {
		return false;
	}
	return true;
}

/* The first patient of the record, "Patient/id", or NULL. */
static const char *patient_of(const mn_case *c, mn_arena *a)
{
	for (size_t i = 0; c && i < mn_case_count(c); i++) {
		const mn_resource *r = mn_case_get(c, i);
		if (strcmp(r->type_name, "Patient") == 0 && r->id)
			return mn_arena_printf(a, "Patient/%s", r->id);
	}
	return NULL;
}

#define EXT_QR_COVERAGE "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/qr-coverage"
#define EXT_QR_CONTEXT "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/qr-context"

mn_status mn_dtr_response(const mn_policy *p, const mn_dtr_items *items, const mn_determination *d,
                          const mn_dtr_response_options *opt, mn_buf *out, mn_error *err)
{
	static const mn_dtr_response_options none;
	if (!opt)
		opt = &none;
	const char *subject = opt->subject;
	mn_arena *a = mn_arena_new();
	mn_buf b = MN_BUF_INIT, group = MN_BUF_INIT;
	if (!a)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	if (!subject && d)
		subject = patient_of(d->kase, a);
	mn_buf_puts(&b, "{\"resourceType\":\"QuestionnaireResponse\",\"id\":");
	mn_dtr_jstr(&b, mn_arena_printf(a, "%s-prefill", p->id));
	mn_buf_puts(&b, ",\"meta\":{\"profile\":[\"" PROFILE_QR "\"]}");
	if (opt->coverage || opt->ncontexts) {
		mn_buf_puts(&b, ",\"extension\":[");
		if (opt->coverage) {
			mn_buf_puts(&b, "{\"url\":\"" EXT_QR_COVERAGE "\",\"valueReference\":{\"reference\":");
			mn_dtr_jstr(&b, opt->coverage);
			mn_buf_puts(&b, "}}");
		}
		for (size_t i = 0; i < opt->ncontexts; i++) {
			mn_buf_puts(&b, i || opt->coverage ? ",{" : "{");
			mn_buf_puts(&b, "\"url\":\"" EXT_QR_CONTEXT "\",\"valueReference\":{\"reference\":");
			mn_dtr_jstr(&b, opt->contexts[i]);
			mn_buf_puts(&b, "}}");
		}
		mn_buf_putc(&b, ']');
	}
	mn_buf_puts(&b, ",\"questionnaire\":");
	mn_dtr_jstr(&b, mn_dtr_canonical(p, a));
	mn_buf_puts(&b, ",\"status\":\"in-progress\"");
	if (subject) {
		mn_buf_puts(&b, ",\"subject\":{\"reference\":");
		mn_dtr_jstr(&b, subject);
		mn_buf_putc(&b, '}');
	}
	if (opt->authored || d) {
		mn_buf_puts(&b, ",\"authored\":");
		mn_dtr_jstr(&b, opt->authored ? opt->authored : d->as_of_text);
	}
	size_t items_mark = b.len;
	mn_buf_puts(&b, ",\"item\":[");
	const char *origin = ",\"extension\":[{\"url\":\"" EXT_ORIGIN "\",\"extension\":[{\"url\":\"source\","
	                     "\"valueCode\":\"auto-server\"}]}]";
	size_t ngroups = 0;
	for (size_t ci = 0; d && ci < p->ncriteria && ci < d->nresults; ci++) {
		const mn_criterion *c = &p->criteria[ci];
		const mn_criterion_result *res = &d->results[ci];
		mn_buf_reset(&group);
		size_t nanswers = 0;
		if (res->status != MN_CRIT_NOT_DOCUMENTED) {
			mn_buf_puts(&group, "{\"linkId\":");
			mn_dtr_jstr(&group, mn_arena_printf(a, "%s.in-record", c->id));
			mn_buf_printf(&group, ",\"answer\":[{\"valueBoolean\":%s%s}]}",
			              res->status == MN_CRIT_MET ? "true" : "false", origin);
			nanswers++;
		}
		const mn_dtr_item *its[MN_DTR_MAX_ITEMS];
		size_t n = mn_dtr_items_for(p, items, c->id, its, MN_DTR_MAX_ITEMS);
		for (size_t i = 0; i < n; i++) {
			if (!its[i]->initial_expr)
				continue;
			mn_fp_result *r;
			mn_error e;
			mn_error_clear(&e);
			/* a definition this policy lacks, or any other error: no answer (never a guessed one) */
			if (mn_fp_eval_case(its[i]->initial_expr, d->env, d->kase, a, &r, &e) != MN_OK) {
				if (e.code == MN_ENOMEM) {
					mn_buf_free(&b);
					mn_buf_free(&group);
					mn_arena_free(a);
					return mn_error_set(err, MN_ENOMEM, "out of memory");
				}
				continue;
			}
			if (mn_fp_result_count(r) == 0)
				continue;
			size_t mark = group.len;
			mn_buf_puts(&group, nanswers ? ",{\"linkId\":" : "{\"linkId\":");
			mn_dtr_jstr(&group, mn_arena_printf(a, "%s.%s", c->id, its[i]->link_id));
			mn_buf_puts(&group, ",\"answer\":[{");
			/* items do not repeat: the first value answers */
			if (!answer_value(&group, p, its[i], mn_fp_result_item(r, 0))) {
				group.len = mark;
				continue;
			}
			mn_buf_printf(&group, "%s}]}", origin);
			nanswers++;
		}
		if (!nanswers)
			continue;
		mn_buf_puts(&b, ngroups++ ? ",{\"linkId\":" : "{\"linkId\":");
		mn_dtr_jstr(&b, c->id);
		mn_buf_puts(&b, ",\"item\":[");
		mn_buf_put(&b, group.data, group.len);
		mn_buf_puts(&b, "]}");
	}
	if (!ngroups)
		b.len = items_mark;  /* no answers: no item (FHIR has no empty arrays) */
	mn_buf_puts(&b, ngroups ? "]}" : "}");
	mn_status rc = mn_arena_failed(a) || group.failed ? mn_error_set(err, MN_ENOMEM, "out of memory")
	                                                  : mn_dtr_pretty(&b, out, err);
	mn_buf_free(&b);
	mn_buf_free(&group);
	mn_arena_free(a);
	return rc;
}
