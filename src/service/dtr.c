/*
 * dtr.c: POST /Questionnaire/$questionnaire-package (Da Vinci DTR 2.x), transport-free.
 *
 * Input: a Parameters resource (DTR dtr-qpackage-input-parameters): coverage (the Coverage, required), order
 * (ServiceRequest, DeviceRequest, ... resources, any number), questionnaire (canonicals, any number), context.
 * The questionnaires are those named (this service's canonical urn:mednec:questionnaire:ID, with or without
 * |VERSION) and those of the policies in force whose service codes match an order's codes. Output: a Parameters
 * resource (dtr-qpackage-output-parameters) with one `packagebundle` per questionnaire, a collection Bundle of the
 * Questionnaire first, a draft QuestionnaireResponse for it (subject = the Coverage's beneficiary, qr-coverage,
 * qr-context = the orders) and the ValueSets it names, plus an `outcome` with a warning per questionnaire asked
 * for and not found. Errors (no body, malformed JSON, not Parameters, no coverage): 400 OperationOutcome.
 * docs/DTR.md "$questionnaire-package".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/dtr.h"
#include "service_int.h"

#define MAX_PACKAGES 16
#define MAX_ORDERS 16

/* The codes an order asks for: ServiceRequest.code, DeviceRequest.codeCodeableConcept,
 * MedicationRequest.medicationCodeableConcept (and the like). */
static const mn_json *order_code(const mn_json *order)
{
	static const char *const keys[] = {"code", "codeCodeableConcept", "medicationCodeableConcept", "serviceType",
	                                   "productOrService"};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const mn_json *c = mn_json_get(order, keys[i]);
		if (c && c->type == MN_JSON_OBJECT)
			return c;
	}
	return NULL;
}

static void add_policy(const mn_policy **found, size_t *n, const mn_policy *p)
{
	for (size_t i = 0; i < *n; i++)
		if (found[i] == p)
			return;
	if (*n < MAX_PACKAGES)
		found[(*n)++] = p;
}

/* The policy in force on as_of whose questionnaire canonical is q (url or url|version), or NULL. */
static const mn_policy *by_canonical(const mn_service *s, const char *q, const mn_datetime *as_of)
{
	size_t base = strlen(MN_DTR_CANONICAL_BASE);
	if (strncmp(q, MN_DTR_CANONICAL_BASE, base) != 0)
		return NULL;
	const char *id = q + base, *bar = strchr(id, '|');
	size_t idlen = bar ? (size_t)(bar - id) : strlen(id);
	for (size_t i = 0; i < s->npolicies; i++) {
		const mn_policy *p = s->policies[i];
		if (strlen(p->id) != idlen || strncmp(p->id, id, idlen) != 0)
			continue;
		if (bar ? p->version && strcmp(p->version, bar + 1) == 0 : mn_policy_in_force(p, as_of))
			return p;
	}
	return NULL;
}

/* "Type/id" of a resource, or NULL. */
static const char *ref_of(const mn_json *r, mn_arena *a)
{
	const char *type = mn_json_get_string(r, "resourceType"), *id = mn_json_get_string(r, "id");
	return type && id ? mn_arena_printf(a, "%s/%s", type, id) : NULL;
}

mn_status mn_svc_dtr_package(mn_service *s, const mn_service_request *req, mn_service_response *out, mn_error *err)
{
	(void)err;
	if (!req->body || !req->body_len)
		return mn_svc_outcome(out, 400, "structure", "the request has no body (a Parameters resource: coverage, "
		                      "order, questionnaire)", NULL);
	mn_arena *a = mn_arena_new();
	if (!a)
		return MN_ENOMEM;
	mn_json *root;
	mn_error perr;
	mn_error_clear(&perr);
	mn_status st = mn_json_parse(a, "request", req->body, req->body_len, &root, &perr);
	if (st != MN_OK) {
		char msg[1200];
		mn_svc_json_error_text(&perr, msg, sizeof msg);
		mn_arena_free(a);
		return st == MN_ENOMEM ? st : mn_svc_outcome(out, 400, "structure", msg, NULL);
	}
	if (!mn_json_is_string(mn_json_get(root, "resourceType"), "Parameters")) {
		mn_arena_free(a);
		return mn_svc_outcome(out, 400, "structure", "$questionnaire-package takes a Parameters resource", NULL);
	}
	mn_datetime as_of;
	char as_of_text[32];
	if ((st = mn_svc_as_of(s, &as_of, as_of_text)) != MN_OK) {
		mn_arena_free(a);
		return st;
	}
	const mn_json *params = mn_json_get(root, "parameter");
	const mn_json *coverage = NULL;
	const mn_json *orders[MAX_ORDERS];
	size_t norders = 0, npolicies = 0;
	const mn_policy *found[MAX_PACKAGES];
	mn_buf warnings = MN_BUF_INIT;
	size_t nwarnings = 0;
	for (uint32_t i = 0; params && params->type == MN_JSON_ARRAY && i < params->n; i++) {
		const mn_json *prm = &params->u.items[i];
		const char *name = mn_json_get_string(prm, "name");
		const mn_json *res = mn_json_get(prm, "resource");
		if (!name)
			continue;
		if (strcmp(name, "coverage") == 0 && mn_json_is_string(mn_json_get(res, "resourceType"), "Coverage")) {
			coverage = res;
		} else if (strcmp(name, "order") == 0 && res && norders < MAX_ORDERS) {
			orders[norders++] = res;
		} else if (strcmp(name, "questionnaire") == 0) {
			const char *q = mn_json_get_string(prm, "valueCanonical");
			const mn_policy *p = q ? by_canonical(s, q, &as_of) : NULL;
			if (p) {
				add_policy(found, &npolicies, p);
			} else {
				mn_buf_puts(&warnings, nwarnings++ ? ",{" : "{");
				mn_buf_puts(&warnings, "\"severity\":\"warning\",\"code\":\"not-found\",\"diagnostics\":");
				const char *msg = mn_arena_printf(a, "questionnaire %s is not one this service has (in force on %s)",
				                                  q ? q : "(no valueCanonical)", as_of_text);
				mn_buf_put_json_string(&warnings, msg ? msg : "", msg ? strlen(msg) : 0);
				mn_buf_putc(&warnings, '}');
			}
		}
	}
	if (!coverage) {
		mn_buf_free(&warnings);
		mn_arena_free(a);
		return mn_svc_outcome(out, 400, "required", "$questionnaire-package needs the coverage parameter (a "
		                      "Coverage resource)", "Parameters.parameter.where(name = 'coverage')");
	}
	for (size_t i = 0; i < norders; i++) {
		const mn_json *cc = order_code(orders[i]);
		const mn_json *codings = cc ? mn_json_get(cc, "coding") : NULL;
		for (uint32_t k = 0; codings && codings->type == MN_JSON_ARRAY && k < codings->n; k++) {
			const mn_policy *m[MN_SVC_MAX_MATCH];
			size_t n = mn_svc_match_code(s, mn_json_get_string(&codings->u.items[k], "system"),
			                             mn_json_get_string(&codings->u.items[k], "code"), &as_of, m, MN_SVC_MAX_MATCH);
			for (size_t j = 0; j < n; j++)
				add_policy(found, &npolicies, m[j]);
		}
	}
	const char *knowledge = mn_arena_printf(a, "%s/knowledge", s->home);
	mn_dtr_items *items = NULL;
	if ((st = mn_dtr_items_load(knowledge, &items, err)) != MN_OK) {
		mn_buf_free(&warnings);
		mn_arena_free(a);
		return st == MN_ENOMEM ? st : mn_svc_outcome(out, 500, "exception", "the questionnaire items do not load",
		                                             NULL);
	}
	const char *ctx[MAX_ORDERS];
	size_t nctx = 0;
	for (size_t i = 0; i < norders; i++)
		if ((ctx[nctx] = ref_of(orders[i], a)))
			nctx++;
	mn_dtr_response_options opt = {
		mn_json_get_string(mn_json_get(coverage, "beneficiary"), "reference"), ref_of(coverage, a), nctx, ctx, NULL
	};
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\n\"resourceType\": \"Parameters\",\n\"parameter\": [");
	for (size_t i = 0; st == MN_OK && i < npolicies; i++) {
		mn_buf_puts(&b, i ? ",\n" : "\n");
		mn_buf_puts(&b, "{\"name\": \"packagebundle\", \"resource\": {\"resourceType\": \"Bundle\", "
		                "\"type\": \"collection\", \"entry\": [\n{\"resource\": ");
		if ((st = mn_dtr_questionnaire(found[i], items, &b, err)) != MN_OK)
			break;
		mn_buf_puts(&b, "},\n{\"resource\": ");
		if ((st = mn_dtr_response(found[i], items, NULL, &opt, &b, err)) != MN_OK)
			break;
		mn_buf_puts(&b, "}");
		if ((st = mn_dtr_valuesets(found[i], items, ",\n{\"resource\": ", "}", &b, err)) != MN_OK)
			break;
		mn_buf_puts(&b, "]}}");
	}
	if (st == MN_OK && (nwarnings || !npolicies)) {
		mn_buf_puts(&b, npolicies ? ",\n" : "\n");
		mn_buf_puts(&b, "{\"name\": \"outcome\", \"resource\": {\"resourceType\": \"OperationOutcome\", \"issue\": [");
		mn_buf_put(&b, warnings.data, warnings.len);
		if (!npolicies) {
			mn_buf_puts(&b, nwarnings ? ",{" : "{");
			mn_buf_puts(&b, "\"severity\":\"warning\",\"code\":\"not-found\",\"diagnostics\":\"No questionnaire "
			                "applies: no policy in force matches the orders' codes and none was named. Documentation "
			                "needs are then those the CRD response or the payer's policy lists.\"}");
		}
		mn_buf_puts(&b, "]}}");
	}
	mn_buf_puts(&b, "\n]\n}\n");
	mn_dtr_items_free(items);
	mn_buf_free(&warnings);
	mn_arena_free(a);
	if (st != MN_OK) {
		mn_buf_free(&b);
		return st == MN_ENOMEM ? st : mn_svc_outcome(out, 500, "exception", err->message, NULL);
	}
	return mn_svc_respond(out, 200, "application/fhir+json", &b);
}
