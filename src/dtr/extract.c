/*
 * extract.c: a completed QuestionnaireResponse in the record as
 * documentation (docs/DTR.md, "A completed response as documentation").
 *
 * SDC observation-based extraction, restricted for safety: only responses to
 * this policy's questionnaire, completed or amended, about the record's one
 * patient, authored by the as-of date; only the answers of the items
 * knowledge/questionnaire.yaml codes, of the item's type, a listed answer for
 * a choice, each dated by its date item. Each becomes an Observation that
 * says where it came from (code.text, derivedFrom, meta.tag), added to a copy
 * of the record; nothing of the record is changed or removed, so an answer
 * can add documentation but never take a record entry's place.
 */
#include <stdio.h>
#include <string.h>

#include "dtr_int.h"

typedef struct ctx {
	const mn_policy *p;
	const mn_case *view;
	mn_arena *arena;
	const char ***warnings;
	size_t *nwarnings;
	size_t cap;
	size_t serial;   /* extracted Observations so far (their ids) */
} ctx;

static mn_status warn(ctx *x, const char *msg)
{
	if (!msg)
		return MN_ENOMEM;
	if (*x->nwarnings == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 8;
		const char **w = mn_arena_calloc(x->arena, cap, sizeof *w);
		if (!w)
			return MN_ENOMEM;
		if (*x->nwarnings)
			memcpy(w, *x->warnings, *x->nwarnings * sizeof *w);
		*x->warnings = w;
		x->cap = cap;
	}
	(*x->warnings)[(*x->nwarnings)++] = msg;
	return MN_OK;
}

/* msg, or the fallback when it could not be made (out of memory: a reason is never lost, so a refused
 * response or answer is never read as accepted; the determination then fails on its arena) */
static const char *or_else(const char *msg, const char *fallback)
{
	return msg ? msg : fallback;
}

/* The item with linkId id among the items (array) of a QR item or response; NULL when absent. */
static const mn_json *child(const mn_json *parent, const char *id)
{
	const mn_json *items = mn_json_get(parent, "item");
	if (!items || items->type != MN_JSON_ARRAY)
		return NULL;
	for (uint32_t i = 0; i < items->n; i++)
		if (mn_json_is_string(mn_json_get(&items->u.items[i], "linkId"), id))
			return &items->u.items[i];
	return NULL;
}

/* The one answer of a QR item, or NULL (none, or several). */
static const mn_json *one_answer(const mn_json *item)
{
	const mn_json *ans = item ? mn_json_get(item, "answer") : NULL;
	return ans && ans->type == MN_JSON_ARRAY && ans->n == 1 ? &ans->u.items[0] : NULL;
}

/* A full date (YYYY-MM-DD, or the day of a dateTime) as days, or INT64_MIN. */
static int64_t day_of(const char *s)
{
	mn_datetime dt;
	mn_error e;
	mn_error_clear(&e);
	if (!s || mn_datetime_parse_any(s, strlen(s), &dt, &e) != MN_OK || dt.precision < MN_DT_DAY)
		return INT64_MIN;
	return mn_days_from_civil(dt.year, dt.month, dt.day);
}

/* Write the Observation's value[x] for the answer, or return a reason it is not read. */
static const char *value_of(const mn_policy *p, const mn_dtr_item *it, const mn_json *ans, mn_buf *b)
{
	const char *t = it->type;
	const mn_json *v;
	if (strcmp(t, "boolean") == 0) {
		v = mn_json_get(ans, "valueBoolean");
		if (!v || (v->type != MN_JSON_TRUE && v->type != MN_JSON_FALSE))
			return "not a boolean answer";
		mn_buf_printf(b, ",\"valueBoolean\":%s", v->type == MN_JSON_TRUE ? "true" : "false");
	} else if (strcmp(t, "integer") == 0) {
		v = mn_json_get(ans, "valueInteger");
		if (!v || v->type != MN_JSON_NUMBER)
			return "not an integer answer";
		mn_buf_puts(b, ",\"valueInteger\":");
		mn_json_write(b, v);
	} else if (strcmp(t, "decimal") == 0 || strcmp(t, "quantity") == 0) {
		bool q = strcmp(t, "quantity") == 0;
		v = mn_json_get(ans, q ? "valueQuantity" : "valueDecimal");
		const mn_json *num = q && v ? mn_json_get(v, "value") : v;
		if (!num || num->type != MN_JSON_NUMBER)
			return q ? "not a quantity answer" : "not a decimal answer";
		if (q && !(mn_json_is_string(mn_json_get(v, "code"), it->unit) &&
		           mn_json_is_string(mn_json_get(v, "system"), "http://unitsofmeasure.org")))
			return "a quantity in another unit than the item's";
		mn_buf_puts(b, ",\"valueQuantity\":{\"value\":");
		mn_json_write(b, num);
		if (it->unit) {
			mn_buf_puts(b, ",\"unit\":");
			mn_dtr_jstr(b, it->unit);
			mn_buf_puts(b, ",\"system\":\"http://unitsofmeasure.org\",\"code\":");
			mn_dtr_jstr(b, it->unit);
		}
		mn_buf_putc(b, '}');
	} else if (strcmp(t, "string") == 0) {
		v = mn_json_get(ans, "valueString");
		if (!v || v->type != MN_JSON_STRING)
			return "not a text answer";
		mn_buf_puts(b, ",\"valueString\":");
		mn_json_write(b, v);
	} else if (strcmp(t, "choice") == 0) {
		v = mn_json_get(ans, "valueCoding");
		const char *sys = v ? mn_json_get_string(v, "system") : NULL, *code = v ? mn_json_get_string(v, "code") : NULL;
		if (!sys || !code)
			return "not a coded answer with system and code";
		const mn_code *opt = NULL;
		for (size_t i = 0; i < it->noptions && !opt; i++)
			if (strcmp(it->options[i].system, sys) == 0 && strcmp(it->options[i].code, code) == 0)
				opt = &it->options[i];
		const mn_valueset *vs = it->answer_valueset ? mn_dtr_valueset(p, it->answer_valueset) : NULL;
		if (!opt && !(vs && mn_valueset_contains(vs, sys, code) == 1))
			return "a code that is not one of the item's answers";
		mn_buf_puts(b, ",\"valueCodeableConcept\":{\"coding\":[{\"system\":");
		mn_dtr_jstr(b, sys);
		mn_buf_puts(b, ",\"code\":");
		mn_dtr_jstr(b, code);
		const char *display = opt && opt->display ? opt->display : mn_json_get_string(v, "display");
		if (display) {
			mn_buf_puts(b, ",\"display\":");
			mn_dtr_jstr(b, display);
		}
		mn_buf_puts(b, "}]}");
	} else {
		return "an item type that is not extracted";
	}
	return NULL;
}

/* Extract the coded answers of one response into obs (Bundle entries, each preceded by ','). */
static mn_status read_response(ctx *x, const mn_resource *qr, const char *subject, int64_t as_of_day,
                               const mn_dtr_items *items, mn_buf *obs, size_t *nobs)
{
	const mn_policy *p = x->p;
	const char *ref = mn_arena_printf(x->arena, "QuestionnaireResponse/%s", qr->id);
	if (!ref)
		return MN_ENOMEM;
	int64_t authored = day_of(mn_json_get_string(qr->json, "authored"));
	for (size_t ci = 0; ci < p->ncriteria; ci++) {
		const mn_criterion *c = &p->criteria[ci];
		const mn_json *group = child(qr->json, c->id);
		const mn_dtr_item *its[MN_DTR_MAX_ITEMS];
		size_t n = group ? mn_dtr_items_for(p, items, c->id, its, MN_DTR_MAX_ITEMS) : 0;
		for (size_t i = 0; i < n; i++) {
			const mn_dtr_item *it = its[i];
			if (!it->has_code)
				continue;
			const char *link = mn_arena_printf(x->arena, "%s.%s", c->id, it->link_id);
			if (!link)
				return MN_ENOMEM;
			const mn_json *item = child(group, link);
			if (!item)
				continue;
			const char *why = NULL;
			const mn_json *ans = one_answer(item);
			int64_t day = INT64_MIN;
			const char *date = NULL;
			if (!ans)
				why = "it has no answer or several";
			if (!why) {
				const char *dlink = mn_arena_printf(x->arena, "%s.%s", c->id, it->effective);
				const mn_json *dans = dlink ? one_answer(child(group, dlink)) : NULL;
				date = dans ? mn_json_get_string(dans, "valueDate") : NULL;
				day = day_of(date);
				if (day == INT64_MIN)
					why = or_else(mn_arena_printf(x->arena, "item %s.%s (the date it is from) has no full date",
					                              c->id, it->effective), "its date item has no full date");
				else if (day > authored || day > as_of_day)
					why = or_else(mn_arena_printf(x->arena, "its date %s is after the response was authored or "
					                              "after the as-of date", date), "its date is too late");
			}
			mn_buf val = MN_BUF_INIT;
			if (!why)
				why = value_of(p, it, ans, &val);
			if (why) {
				mn_buf_free(&val);
				if (warn(x, mn_arena_printf(x->arena, "%s: the answer to item %s is not read as documentation: %s",
				                            ref, link, why)) != MN_OK)
					return MN_ENOMEM;
				continue;
			}
			/* an id no resource of the record has */
			const char *id, *oref;
			do {
				id = mn_arena_printf(x->arena, "dtr-%.40s-%zu", qr->id, ++x->serial);
				oref = id ? mn_arena_printf(x->arena, "Observation/%s", id) : NULL;
			} while (oref && mn_case_resolve(x->view, oref, strlen(oref), NULL));
			if (!oref)
				return MN_ENOMEM;
			mn_buf_puts(obs, ",{\"resource\":{\"resourceType\":\"Observation\",\"id\":");
			mn_dtr_jstr(obs, id);
			mn_buf_puts(obs, ",\"meta\":{\"tag\":[{\"system\":\"" MN_DTR_TAG_SYSTEM "\",\"code\":\"" MN_DTR_TAG_CODE
			                 "\",\"display\":\"Answer of a QuestionnaireResponse (attested)\"}]},\"status\":\"final\","
			                 "\"code\":{\"coding\":[{\"system\":");
			mn_dtr_jstr(obs, it->code.system);
			mn_buf_puts(obs, ",\"code\":");
			mn_dtr_jstr(obs, it->code.code);
			if (it->code.display) {
				mn_buf_puts(obs, ",\"display\":");
				mn_dtr_jstr(obs, it->code.display);
			}
			mn_buf_puts(obs, "}],\"text\":");
			mn_dtr_jstr(obs, mn_arena_printf(x->arena, "%s (attested in %s, item %s)",
			                                 it->code.display ? it->code.display : it->text, ref, link));
			mn_buf_puts(obs, "},\"subject\":{\"reference\":");
			mn_dtr_jstr(obs, subject);
			mn_buf_puts(obs, "},\"effectiveDateTime\":");
			mn_dtr_jstr(obs, date);
			mn_buf_put(obs, val.data, val.len);
			mn_buf_puts(obs, ",\"derivedFrom\":[{\"reference\":");
			mn_dtr_jstr(obs, ref);
			mn_buf_puts(obs, "}]}}");
			mn_buf_free(&val);
			(*nobs)++;
		}
	}
	return MN_OK;
}

/* Why a response is not read at all, or NULL. */
static const char *refuse(ctx *x, const mn_resource *qr, const mn_resource *patient, int64_t as_of_day)
{
	const mn_policy *p = x->p;
	const char *q = mn_json_get_string(qr->json, "questionnaire");
	const char *url = mn_arena_printf(x->arena, "%s%s", MN_DTR_CANONICAL_BASE, p->id);
	const char *versioned = mn_dtr_canonical(p, x->arena);
	if (!qr->id)
		return "it has no id";
	if (!q || !url || !versioned || !(strcmp(q, url) == 0 || strcmp(q, versioned) == 0))
		return or_else(mn_arena_printf(x->arena, "it answers %s, not this policy's questionnaire %s",
		                               q ? q : "no questionnaire", versioned ? versioned : ""),
		               "it answers another questionnaire");
	const char *status = mn_json_get_string(qr->json, "status");
	if (!status || !(strcmp(status, "completed") == 0 || strcmp(status, "amended") == 0))
		return or_else(mn_arena_printf(x->arena, "its status is %s (only completed or amended responses count)",
		                               status ? status : "missing"), "its status is not completed or amended");
	if (!patient)
		return "the record does not hold exactly one Patient";
	const char *subj = mn_json_get_string(mn_json_get(qr->json, "subject"), "reference");
	if (!subj || mn_case_resolve(x->view, subj, strlen(subj), qr) != patient)
		return "its subject is not the record's patient";
	int64_t authored = day_of(mn_json_get_string(qr->json, "authored"));
	if (authored == INT64_MIN)
		return "it has no full authored date";
	if (authored > as_of_day)
		return "it was authored after the as-of date";
	return NULL;
}

static char *knowledge_of(const mn_policy *p, mn_arena *a)
{
	const char *vs = p->library ? p->library->valuesets_dir : NULL;
	if (!vs)
		return NULL;
	const char *slash = strrchr(vs, '/');
	return slash ? mn_arena_strndup(a, vs, (size_t)(slash - vs)) : mn_arena_strdup(a, ".");
}

mn_status mn_dtr_extract(const mn_policy *p, const mn_case *view, const mn_datetime *as_of,
                         const char *knowledge_dir, mn_arena *arena, mn_case **out,
                         const char ***warnings, size_t *nwarnings, mn_error *err)
{
	*out = NULL;
	/* the top-level QuestionnaireResponses and Patients, from the view's index by type (a resource's type
	 * is the one its resourceType names, exactly) */
	size_t nqr = 0, npatients = 0;
	mn_case_of_type(view, mn_fhir_type_find("QuestionnaireResponse", 21), &nqr);
	if (!nqr)
		return MN_OK;
	const uint32_t *patients = mn_case_of_type(view, mn_fhir_type_find("Patient", 7), &npatients);
	const mn_resource *patient = npatients == 1 ? mn_case_get(view, patients[0]) : NULL;
	ctx x = {p, view, arena, warnings, nwarnings, *nwarnings, 0};
	if (!knowledge_dir)
		knowledge_dir = knowledge_of(p, arena);
	mn_dtr_items *items = NULL;
	if (knowledge_dir) {
		mn_status rc = mn_dtr_items_load(knowledge_dir, &items, err);
		if (rc != MN_OK)
			return rc;
	}
	int64_t as_of_day = mn_days_from_civil(as_of->year, as_of->month, as_of->day);
	mn_buf obs = MN_BUF_INIT;
	size_t nobs = 0;
	mn_status rc = MN_OK;
	for (size_t i = 0; rc == MN_OK && i < mn_case_count(view); i++) {
		const mn_resource *qr = mn_case_get(view, i);
		if (strcmp(qr->type_name, "QuestionnaireResponse") != 0)
			continue;
		const char *why = refuse(&x, qr, patient, as_of_day);
		if (why) {
			rc = warn(&x, mn_arena_printf(arena, "QuestionnaireResponse/%s is not read as documentation: %s",
			                              qr->id ? qr->id : "(no id)", why));
			continue;
		}
		const char *subj = mn_json_get_string(mn_json_get(qr->json, "subject"), "reference");
		if (!items || !items->path)
			rc = warn(&x, mn_arena_printf(arena, "QuestionnaireResponse/%s: no questionnaire items are known "
			                              "(knowledge/questionnaire.yaml), so no answer is read", qr->id));
		else
			rc = read_response(&x, qr, subj, as_of_day, items, &obs, &nobs);
	}
	if (rc == MN_OK && nobs) {
		/* a copy of the record with the extracted Observations added */
		mn_buf b = MN_BUF_INIT;
		mn_buf_puts(&b, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
		for (size_t i = 0; i < mn_case_count(view); i++) {
			const mn_resource *r = mn_case_get(view, i);
			mn_buf_puts(&b, i ? ",{" : "{");
			if (r->full_url) {
				mn_buf_puts(&b, "\"fullUrl\":");
				mn_dtr_jstr(&b, r->full_url);
				mn_buf_putc(&b, ',');
			}
			mn_buf_puts(&b, "\"resource\":");
			mn_json_write(&b, r->json);
			mn_buf_putc(&b, '}');
		}
		mn_buf_put(&b, mn_case_count(view) ? obs.data : obs.data + 1, mn_case_count(view) ? obs.len : obs.len - 1);
		mn_buf_puts(&b, "]}");
		if (b.failed || obs.failed)
			rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		else
			rc = mn_case_load_ex(mn_case_name(view), b.data, b.len, MN_CASE_ALLOW_UNRESOLVED, out, err);
		mn_buf_free(&b);
		if (rc != MN_OK && rc != MN_ENOMEM) {
			/* fail closed: the record is decided without the answers, and says so */
			if (err)
				mn_error_clear(err);
			*out = NULL;
			rc = warn(&x, mn_arena_printf(arena, "the answers of the QuestionnaireResponses are not read: the "
			                              "record with them does not load"));
			if (rc != MN_OK)
				rc = mn_error_set(err, MN_ENOMEM, "out of memory");
		}
	} else if (rc != MN_OK) {
		rc = mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	mn_buf_free(&obs);
	mn_dtr_items_free(items);
	return rc;
}
