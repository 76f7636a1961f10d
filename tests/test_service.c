/*
 * test_service.c: the protocol layer (include/mednec/service.h) called directly, without HTTP: CDS Hooks
 * discovery, CRD order-sign/order-select, PAS Claim/$submit and $inquire, bad input. Expected values come from
 * the specifications (CDS Hooks 2.0, Da Vinci CRD 2.x, PAS 2.x) and the example cases, not from the code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/audit.h"
#include "mednec/json.h"
#include "mednec/service.h"
#include "test.h"

static mn_arena *arena;

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The request again with body_writable (a scratch copy of the body, which CDS Hooks requests are parsed in place
 * from): the same response byte for byte, and the copy changed only where the text had a '"' (a string's closing
 * quote, now its NUL). */
static void check_writable(mn_service *s, const char *method, const char *path, const char *body,
                           const mn_service_response *want)
{
	size_t n = body ? strlen(body) : 0;
	char *copy = body ? malloc(n + 1) : NULL;
	if (body) {
		CHECK(copy != NULL);
		if (!copy)
			return;
		memcpy(copy, body, n + 1);
	}
	mn_service_request req = {method, path, copy, n, "test-request", 1};
	mn_service_response r;
	mn_error err;
	mn_error_clear(&err);
	CHECK_MSG(mn_service_handle(s, &req, &r, &err) == MN_OK, "%s %s (writable body): %s", method, path, err.message);
	CHECK_INT(r.status, want->status);
	CHECK_MSG(r.body_len == want->body_len && (!r.body_len || memcmp(r.body, want->body, r.body_len) == 0),
	          "%s %s: the answer differs when the body is parsed in place:\n%s\n%s", method, path,
	          r.body ? r.body : "-", want->body ? want->body : "-");
	CHECK_INT(r.decided, want->decided);
	CHECK(same_str(r.outcome, want->outcome) && same_str(r.determination, want->determination) &&
	      same_str(r.lookup_key, want->lookup_key) && same_str(r.policy_id, want->policy_id) &&
	      same_str(r.policy_version, want->policy_version) && same_str(r.endpoint, want->endpoint));
	size_t changed = 0, wrong = 0;
	for (size_t i = 0; i < n; i++)
		if (copy[i] != body[i]) {
			changed++;
			wrong += !(body[i] == '"' && copy[i] == '\0');
		}
	CHECK_MSG(wrong == 0, "%s %s: %zu bytes of the body changed that were not closing quotes", method, path, wrong);
	if (strncmp(path, "/cds-services/", 14) != 0)   /* only CDS Hooks requests are parsed in place */
		CHECK_INT((long long)changed, 0);
	mn_service_response_free(&r);
	free(copy);
}

static int call(mn_service *s, const char *method, const char *path, const char *body, mn_service_response *r)
{
	mn_service_request req = {method, path, body, body ? strlen(body) : 0, "test-request", 0};
	mn_error err;
	mn_error_clear(&err);
	mn_status st = mn_service_handle(s, &req, r, &err);
	CHECK_MSG(st == MN_OK, "%s %s: %s", method, path, err.message);
	if (st == MN_OK)
		check_writable(s, method, path, body, r);
	if (st == MN_OK && getenv("MN_TEST_DUMP"))  /* for reading the responses: MN_TEST_DUMP=1 test_service */
		fprintf(stderr, "== %s %s -> %d\n%s\n", method, path, r->status, r->body);
	return st == MN_OK ? r->status : -1;
}

/* The response body parsed (NULL when it is not JSON). */
static const mn_json *parse(const mn_service_response *r)
{
	mn_json *j = NULL;
	if (!r->body || mn_json_parse(arena, "response", r->body, r->body_len, &j, NULL) != MN_OK)
		return NULL;
	return j;
}

static void test_discovery(mn_service *s)
{
	mn_service_response r;
	CHECK_INT(call(s, "GET", "/cds-services", NULL, &r), 200);
	const mn_json *j = parse(&r);
	CHECK(j != NULL);
	const mn_json *services = mn_json_get(j, "services");
	CHECK(services && services->type == MN_JSON_ARRAY);
	bool sign = false, select = false;
	for (uint32_t i = 0; services && i < services->n; i++) {
		const mn_json *sv = &services->u.items[i];
		const char *hook = mn_json_get_string(sv, "hook");
		/* CDS Hooks 2.0 discovery: hook, description and id are required; prefetch optional */
		CHECK(hook && mn_json_get_string(sv, "description") && mn_json_get_string(sv, "id"));
		const mn_json *pf = mn_json_get(sv, "prefetch");
		CHECK(pf && pf->type == MN_JSON_OBJECT);
		const char *patient = mn_json_get_string(pf, "patient");
		CHECK_STR(patient, "Patient/{{context.patientId}}");
		static const char *const types[] = {"Coverage?", "Condition?", "Procedure?", "MedicationStatement?",
		                                    "MedicationRequest?", "Observation?", "DiagnosticReport?",
		                                    "Device?", "ServiceRequest?"};
		for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
			bool found = false;
			for (uint32_t k = 0; pf && k < pf->n; k++) {
				const mn_json *v = &pf->u.members[k].value;
				found |= v->type == MN_JSON_STRING && strncmp(v->u.s, types[t], strlen(types[t])) == 0 &&
				         strstr(v->u.s, "{{context.patientId}}") != NULL;
			}
			CHECK_MSG(found, "prefetch for %s", types[t]);
		}
		if (hook && strcmp(hook, "order-sign") == 0)
			sign = strcmp(mn_json_get_string(sv, "id"), "mednec-order-sign") == 0;
		if (hook && strcmp(hook, "order-select") == 0)
			select = true;
	}
	CHECK(sign && select);
	CHECK_STR(r.content_type, "application/json");
	CHECK_INT(r.decided, 0);
	mn_service_response_free(&r);
}


/* ---- CDS Hooks requests built from an example case ---- */

#include "mednec/fhir.h"
#include "mednec/knowledge.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *const coverage_json =
	"{\"resourceType\":\"Coverage\",\"id\":\"cov-1\",\"status\":\"active\","
	"\"beneficiary\":{\"reference\":\"Patient/pat-crps-001\"},\"payor\":[{\"display\":\"Example payer\"}]}";

/* The order as an EHR sends it before signing: status draft, intent original-order (CRD draftOrders). */
static void write_draft(mn_buf *b, const mn_json *order)
{
	mn_buf_putc(b, '{');
	for (uint32_t i = 0; i < order->n; i++) {
		const mn_json_member *m = &order->u.members[i];
		if (i)
			mn_buf_putc(b, ',');
		mn_buf_put_json_string(b, m->key, m->key_len);
		mn_buf_putc(b, ':');
		if (strcmp(m->key, "status") == 0)
			mn_buf_puts(b, "\"draft\"");
		else if (strcmp(m->key, "intent") == 0)
			mn_buf_puts(b, "\"original-order\"");
		else
			mn_json_write(b, &m->value);
	}
	mn_buf_putc(b, '}');
}

/* An order-sign (or order-select) request: the case's ServiceRequest `order_id` as the draft order, every other
 * resource in prefetch (the Patient under "patient", the rest as searchset Bundles by type), plus a Coverage. */
static char *cds_request_ex(const char *case_path, const char *hook, const char *order_id, bool with_coverage,
                            size_t ntypes)
{
	mn_case *kase = NULL;
	mn_error err;
	mn_error_clear(&err);
	if (mn_case_load_any(mn_test_source_dir(), case_path, &kase, &err) != MN_OK) {
		fprintf(stderr, "%s: %s\n", case_path, err.message);
		return NULL;
	}
	static const char *const types[] = {"Condition", "Procedure", "MedicationStatement", "MedicationRequest",
	                                    "Observation", "DiagnosticReport", "Device", "ServiceRequest", "Encounter",
	                                    "Practitioner"};
	mn_buf b = MN_BUF_INIT;
	mn_buf_printf(&b, "{\"hook\":\"%s\",\"hookInstance\":\"8b2bd6a4-0b7c-4f0e-9c3c-4a1e6f0e2d11\","
	                  "\"context\":{\"userId\":\"Practitioner/prac-pain-001\",\"patientId\":\"pat-crps-001\","
	                  "\"draftOrders\":{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[", hook);
	for (size_t i = 0; i < mn_case_count(kase); i++) {
		const mn_resource *r = mn_case_get(kase, i);
		if (strcmp(r->type_name, "ServiceRequest") == 0 && r->id && strcmp(r->id, order_id) == 0) {
			mn_buf_puts(&b, "{\"resource\":");
			write_draft(&b, r->json);
			mn_buf_puts(&b, "}");
		}
	}
	mn_buf_puts(&b, "]}");
	if (strcmp(hook, "order-select") == 0)
		mn_buf_printf(&b, ",\"selections\":[\"ServiceRequest/%s\"]", order_id);
	mn_buf_puts(&b, "},\"prefetch\":{");
	for (size_t i = 0; i < mn_case_count(kase); i++) {
		const mn_resource *r = mn_case_get(kase, i);
		if (strcmp(r->type_name, "Patient") == 0) {
			mn_buf_puts(&b, "\"patient\":");
			mn_json_write(&b, r->json);
		}
	}
	if (with_coverage)
		mn_buf_printf(&b, ",\"coverage\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{\"resource\":%s}]}",
		              coverage_json);
	for (size_t t = 0; t < ntypes && t < sizeof types / sizeof types[0]; t++) {
		mn_buf_printf(&b, ",\"%s\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[", types[t]);
		size_t n = 0;
		for (size_t i = 0; i < mn_case_count(kase); i++) {
			const mn_resource *r = mn_case_get(kase, i);
			if (strcmp(r->type_name, types[t]) != 0 || (r->id && strcmp(r->id, order_id) == 0))
				continue;
			mn_buf_puts(&b, n++ ? ",{\"resource\":" : "{\"resource\":");
			mn_json_write(&b, r->json);
			mn_buf_putc(&b, '}');
		}
		mn_buf_puts(&b, "]}");
	}
	mn_buf_puts(&b, "}}");
	mn_case_free(kase);
	return b.failed ? NULL : mn_buf_detach(&b, NULL);
}

static char *cds_request(const char *case_path, const char *hook, const char *order_id, bool with_coverage)
{
	return cds_request_ex(case_path, hook, order_id, with_coverage, 10);
}

/* The sub-extension url's value (valueCode, valueString, valueDate or valueReference.reference), or NULL. */
static const char *sub(const mn_json *ext, const char *url)
{
	const mn_json *subs = mn_json_get(ext, "extension");
	for (uint32_t i = 0; subs && i < subs->n; i++) {
		const mn_json *e = &subs->u.items[i];
		if (!mn_json_is_string(mn_json_get(e, "url"), url))
			continue;
		const char *v = mn_json_get_string(e, "valueCode");
		if (!v) v = mn_json_get_string(e, "valueString");
		if (!v) v = mn_json_get_string(e, "valueDate");
		if (!v) v = mn_json_get_string(mn_json_get(e, "valueReference"), "reference");
		return v;
	}
	return NULL;
}

/* The invariants of CRD 2.1 ext-coverage-information (crd-ci-q2..q5) and its required parts (coverage, covered,
 * date, coverage-assertion-id: the extension has at least 4 sub-extensions). */
static void check_crd_invariants(const mn_json *ext)
{
	const char *covered = sub(ext, "covered"), *pa = sub(ext, "pa-needed"), *doc = sub(ext, "doc-needed");
	CHECK(sub(ext, "coverage") && covered && sub(ext, "date") && sub(ext, "coverage-assertion-id"));
	if (covered && strcmp(covered, "not-covered") == 0)
		CHECK(pa == NULL);                                                   /* crd-ci-q2 */
	bool conditional = (covered && !strcmp(covered, "conditional")) || (pa && !strcmp(pa, "conditional")) ||
	                   (doc && !strcmp(doc, "conditional"));
	CHECK(conditional == (sub(ext, "info-needed") != NULL));                /* crd-ci-q3 */
	if (pa && strcmp(pa, "satisfied") == 0) {
		const char *purpose = sub(ext, "doc-purpose");
		CHECK(!purpose || strcmp(purpose, "withpa") != 0);                  /* crd-ci-q4 */
	}
	CHECK((pa && strcmp(pa, "satisfied") == 0) == (sub(ext, "satisfied-pa-id") != NULL));  /* crd-ci-q5 */
}

/* The one coverage-information extension of the one update action; NULL when there is none. */
static const mn_json *coverage_info(const mn_json *resp, const char *order_id, const char *order_status)
{
	const mn_json *actions = mn_json_get(resp, "systemActions");
	CHECK(actions && actions->type == MN_JSON_ARRAY && actions->n == 1);
	if (!actions || actions->n != 1)
		return NULL;
	const mn_json *a = &actions->u.items[0], *res = mn_json_get(a, "resource");
	CHECK_STR(mn_json_get_string(a, "type"), "update");
	CHECK_STR(mn_json_get_string(res, "id"), order_id);
	CHECK_STR(mn_json_get_string(res, "status"), order_status);  /* the order as the EHR sent it */
	const mn_json *exts = mn_json_get(res, "extension"), *found = NULL;
	int n = 0;
	for (uint32_t i = 0; exts && i < exts->n; i++)
		if (mn_json_is_string(mn_json_get(&exts->u.items[i], "url"),
		                      "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information")) {
			found = &exts->u.items[i];
			n++;
		}
	CHECK_INT(n, 1);
	if (found)
		check_crd_invariants(found);
	return found;
}

static const mn_json *only_card(const mn_json *resp)
{
	const mn_json *cards = mn_json_get(resp, "cards");
	CHECK(cards && cards->type == MN_JSON_ARRAY && cards->n == 1);
	if (!cards || cards->n != 1)
		return NULL;
	const mn_json *c = &cards->u.items[0];
	const char *summary = mn_json_get_string(c, "summary");
	/* CDS Hooks 2.0 card: summary (< 140 characters), indicator, source.label required */
	CHECK(summary && strlen(summary) < 140);
	CHECK(mn_json_get_string(c, "indicator") && mn_json_get_string(mn_json_get(c, "source"), "label"));
	return c;
}

/* A policies folder with only the DRG trial policy (a payer's deployment: one policy per service):
 * tests/data/service-policies/ links to policies/drg-stimulation-trial.yaml. */
static char policy_dir[4200];

static const char *one_policy_dir(void)
{
	snprintf(policy_dir, sizeof policy_dir, "%s/tests/data/service-policies", mn_test_source_dir());
	return policy_dir;
}

static void test_crd_met(mn_service *s, const char *hook, const char *service)
{
	char *body = cds_request("examples/crps-ii-drg-trial.json", hook, "drg-trial-request", true);
	CHECK(body != NULL);
	mn_service_response r;
	CHECK_INT(call(s, "POST", service, body, &r), 200);
	const mn_json *j = parse(&r);
	CHECK(j != NULL);
	/* the policy's own test: crps-ii-drg-trial on 2026-11-20 meets every criterion */
	const mn_json *ext = coverage_info(j, "drg-trial-request", "draft");
	CHECK_STR(sub(ext, "covered"), "covered");
	CHECK_STR(sub(ext, "pa-needed"), "satisfied");
	CHECK(sub(ext, "doc-needed") == NULL);
	CHECK_STR(sub(ext, "date"), "2026-11-20");
	CHECK_STR(sub(ext, "coverage"), "Coverage/cov-1");
	const char *pa_id = sub(ext, "satisfied-pa-id");
	CHECK(pa_id && *pa_id);
	const mn_json *c = only_card(j);
	CHECK_STR(mn_json_get_string(c, "indicator"), "info");
	CHECK_INT(r.decided, 1);
	CHECK_STR(r.policy_id, "drg-stimulation-trial");
	CHECK_STR(r.outcome, "meets-criteria");
	CHECK_STR(r.lookup_key, pa_id);
	CHECK(r.determination && strstr(r.determination, "\"determinations\""));
	mn_service_response_free(&r);
	free(body);
}

/* The answer does not depend on the order of the request's members (RFC 8259: an object is an unordered
 * collection), nor on whether the draft order carries an element FHIR R4 does not define: the record is read
 * leniently (the element is a data-quality note, absent to the policy), and systemActions returns the order as
 * the EHR sent it, that element included (CRD: the update is the order plus the coverage extension). */
static void test_crd_member_order(mn_service *s)
{
	char *body = cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", true);
	CHECK(body != NULL);
	if (!body)
		return;
	/* the same object with its members in reverse order: prefetch before context */
	mn_json *req = NULL;
	CHECK(mn_json_parse(arena, "request", body, strlen(body), &req, NULL) == MN_OK);
	mn_buf rev = MN_BUF_INIT;
	mn_buf_putc(&rev, '{');
	for (uint32_t i = req ? req->n : 0; i-- > 0;) {
		mn_buf_put_json_string(&rev, req->u.members[i].key, req->u.members[i].key_len);
		mn_buf_putc(&rev, ':');
		mn_json_write(&rev, &req->u.members[i].value);
		mn_buf_puts(&rev, i ? "," : "");
	}
	mn_buf_putc(&rev, '}');
	mn_service_response a, b;
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", body, &a), 200);
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", mn_buf_cstr(&rev), &b), 200);
	CHECK(a.body && b.body && a.body_len == b.body_len && memcmp(a.body, b.body, a.body_len) == 0);
	CHECK(a.determination && b.determination && strcmp(a.determination, b.determination) == 0);
	mn_service_response_free(&a);
	mn_service_response_free(&b);
	mn_buf_free(&rev);

	/* an element R4 does not define, in the draft order */
	static const char order_start[] = "\"resource\":{\"resourceType\":\"ServiceRequest\",";
	char *at = strstr(body, order_start);
	CHECK(at != NULL);
	if (at) {
		mn_buf odd = MN_BUF_INIT;
		size_t head = (size_t)(at - body) + strlen(order_start);
		mn_buf_put(&odd, body, head);
		mn_buf_puts(&odd, "\"mednecUnknownElement\":\"kept\",");
		mn_buf_puts(&odd, body + head);
		CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", mn_buf_cstr(&odd), &a), 200);
		const mn_json *j = parse(&a);
		const mn_json *actions = j ? mn_json_get(j, "systemActions") : NULL;
		CHECK(actions && actions->type == MN_JSON_ARRAY && actions->n == 1);
		const mn_json *order = actions && actions->n ? mn_json_get(&actions->u.items[0], "resource") : NULL;
		CHECK_STR(mn_json_get_string(order, "mednecUnknownElement"), "kept");
		CHECK_STR(mn_json_get_string(order, "status"), "draft");
		const mn_json *ext = coverage_info(j, "drg-trial-request", "draft");
		CHECK_STR(sub(ext, "pa-needed"), "satisfied");
		const mn_json *c = only_card(j);
		const char *detail = mn_json_get_string(c, "detail");
		CHECK(detail && strstr(detail, "mednecUnknownElement"));
		mn_service_response_free(&a);
		mn_buf_free(&odd);
	}
	free(body);
}

/* Item 6: references that do not resolve are warnings, never failures. Without the Encounters and
 * Practitioners (the last two prefetch types) the order's requester, performer and encounter point nowhere; no
 * criterion of the policy reads them (facilities-available reads only that ServiceRequest.performer exists), so
 * the decision stands and the card lists the unresolved references. */
static void test_crd_unresolved(mn_service *s)
{
	char *body = cds_request_ex("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", true, 8);
	mn_service_response r;
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	const mn_json *j = parse(&r);
	const mn_json *ext = coverage_info(j, "drg-trial-request", "draft");
	CHECK_STR(sub(ext, "pa-needed"), "satisfied");
	const mn_json *c = only_card(j);
	const char *detail = c ? mn_json_get_string(c, "detail") : NULL;
	CHECK(detail && strstr(detail, "Data quality") && strstr(detail, "do not resolve") &&
	      strstr(detail, "Practitioner/prac-pain-001"));
	mn_service_response_free(&r);
	free(body);
}

static void test_crd_missing(mn_service *s)
{
	/* the policy's test case: the psychological clearance is dated after the as-of date, so on 2026-11-20
	 * psych-clearance is not documented and the outcome is insufficient-documentation */
	char *body = cds_request("cases/crps-ii-drg-trial/time-psych-clearance-after-as-of.json", "order-sign",
	                         "drg-trial-request", true);
	CHECK(body != NULL);
	mn_service_response r;
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	const mn_json *j = parse(&r);
	const mn_json *ext = coverage_info(j, "drg-trial-request", "draft");
	CHECK_STR(sub(ext, "covered"), "covered");   /* never not-covered for clinical reasons */
	CHECK_STR(sub(ext, "pa-needed"), "auth-needed");
	CHECK_STR(sub(ext, "doc-needed"), "clinical");
	CHECK(sub(ext, "satisfied-pa-id") == NULL);
	const mn_json *c = only_card(j);
	const char *detail = mn_json_get_string(c, "detail");
	CHECK_STR(mn_json_get_string(c, "indicator"), "warning");
	CHECK(detail && strstr(detail, "Psychological evaluation with clearance for neuromodulation") &&
	      strstr(detail, "not documented"));
	CHECK_STR(r.outcome, "insufficient-documentation");
	CHECK_INT(r.decided, 1);
	mn_service_response_free(&r);
	free(body);
}

static void test_crd_no_coverage_and_ambiguous(mn_service *one, mn_service *all)
{
	/* no Coverage anywhere: the extension's coverage is required (1..1), so no systemAction; the card says why */
	char *body = cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", false);
	mn_service_response r;
	CHECK_INT(call(one, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	const mn_json *j = parse(&r);
	const mn_json *actions = mn_json_get(j, "systemActions");
	CHECK(actions && actions->n == 0);
	const mn_json *c = only_card(j);
	CHECK(strstr(mn_json_get_string(c, "detail"), "No Coverage") != NULL);
	mn_service_response_free(&r);
	free(body);
	/* the repository's policies folder holds several payers' DRG trial policies: no statement, a card */
	body = cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", true);
	CHECK_INT(call(all, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	j = parse(&r);
	actions = mn_json_get(j, "systemActions");
	CHECK(actions && actions->n == 0);
	c = only_card(j);
	CHECK(strstr(mn_json_get_string(c, "detail"), "drg-trial-florida-blue") != NULL);
	CHECK_INT(r.decided, 0);
	mn_service_response_free(&r);
	free(body);
}

static void test_crd_bad(mn_service *s)
{
	mn_service_response r;
	/* malformed JSON: 400, the message names line and column (the '}' after "context": on line 2) */
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", "{\"hook\": \"order-sign\",\n \"context\": }", &r),
	          400);
	CHECK(r.body && strstr(r.body, "line 2, column 13"));
	mn_service_response_free(&r);
	/* a service mednec does not offer: 404 (CDS Hooks 2.0: unknown service) */
	CHECK_INT(call(s, "POST", "/cds-services/patient-view-thing", "{}", &r), 404);
	mn_service_response_free(&r);
	/* missing context: 400 */
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign",
	               "{\"hook\":\"order-sign\",\"hookInstance\":\"x\"}", &r), 400);
	CHECK(r.body && strstr(r.body, "context"));
	mn_service_response_free(&r);
	/* context without draftOrders: 400 */
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign",
	               "{\"hook\":\"order-sign\",\"hookInstance\":\"x\",\"context\":{\"userId\":\"Practitioner/a\","
	               "\"patientId\":\"p\"}}", &r), 400);
	CHECK(r.body && strstr(r.body, "draftOrders"));
	mn_service_response_free(&r);
	/* the hook of another service: 400 */
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign",
	               "{\"hook\":\"order-select\",\"hookInstance\":\"x\",\"context\":{}}", &r), 400);
	mn_service_response_free(&r);
	/* no body; wrong method; unknown path */
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", NULL, &r), 400);
	mn_service_response_free(&r);
	CHECK_INT(call(s, "GET", "/cds-services/mednec-order-sign", NULL, &r), 405);
	mn_service_response_free(&r);
	CHECK_INT(call(s, "GET", "/nothing-here", NULL, &r), 404);
	mn_service_response_free(&r);
	/* a record that is not FHIR (an unknown resourceType in prefetch): 400, never a decision */
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign",
	               "{\"hook\":\"order-sign\",\"hookInstance\":\"x\",\"context\":{\"userId\":\"Practitioner/a\","
	               "\"patientId\":\"p\",\"draftOrders\":{\"resourceType\":\"Bundle\",\"type\":\"collection\"}},"
	               "\"prefetch\":{\"patient\":{\"resourceType\":\"Nonsense\"}}}", &r), 400);
	CHECK_INT(r.decided, 0);
	mn_service_response_free(&r);
}

/* ---- PAS ---- */

#include <dirent.h>

/* The reviewAction code of a ClaimResponse item, or NULL. */
static const char *review_action(const mn_json *item)
{
	const mn_json *adj = mn_json_get(item, "adjudication");
	for (uint32_t i = 0; adj && i < adj->n; i++) {
		const mn_json *exts = mn_json_get(&adj->u.items[i], "extension");
		for (uint32_t k = 0; exts && k < exts->n; k++) {
			if (!mn_json_is_string(mn_json_get(&exts->u.items[k], "url"),
			                       "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"))
				continue;
			const mn_json *subs = mn_json_get(&exts->u.items[k], "extension");
			for (uint32_t m = 0; subs && m < subs->n; m++) {
				if (!mn_json_is_string(mn_json_get(&subs->u.items[m], "url"),
				                       "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewActionCode"))
					continue;
				const mn_json *coding = mn_json_get(mn_json_get(&subs->u.items[m], "valueCodeableConcept"), "coding");
				if (coding && coding->n && mn_json_is_string(mn_json_get(&coding->u.items[0], "system"),
				                                             "https://codesystem.x12.org/005010/306"))
					return mn_json_get_string(&coding->u.items[0], "code");
			}
		}
	}
	return NULL;
}

/* A PAS response to a request whose Claim is `claim`: a FHIR R4 Bundle (the model accepts it) of type
 * collection, the ClaimResponse first (use preauthorization, the Claim's patient, a preAuthRef), one item per
 * Claim item with a review action A1 or A4 (never A3) and, for A4, a processNote the item points at. Returns the
 * ClaimResponse. */
static const mn_json *check_pas_response(const mn_service_response *r, const mn_json *claim)
{
	CHECK_INT(r->status, 200);
	CHECK_STR(r->content_type, "application/fhir+json");
	mn_case *c = NULL;
	mn_error err;
	mn_error_clear(&err);
	CHECK_MSG(mn_case_load_ex("response", r->body, r->body_len, MN_CASE_ALLOW_UNRESOLVED, &c, &err) == MN_OK,
	          "the response is not FHIR R4: %s %s", err.path, err.message);
	mn_case_free(c);
	const mn_json *j = parse(r);
	CHECK_STR(mn_json_get_string(j, "resourceType"), "Bundle");
	CHECK_STR(mn_json_get_string(j, "type"), "collection");
	const mn_json *entries = mn_json_get(j, "entry");
	const mn_json *cr = entries && entries->n ? mn_json_get(&entries->u.items[0], "resource") : NULL;
	CHECK_STR(mn_json_get_string(cr, "resourceType"), "ClaimResponse");
	CHECK_STR(mn_json_get_string(cr, "use"), "preauthorization");
	CHECK_STR(mn_json_get_string(mn_json_get(cr, "patient"), "reference"),
	          mn_json_get_string(mn_json_get(claim, "patient"), "reference"));
	const char *ref = mn_json_get_string(cr, "preAuthRef");
	CHECK(ref && *ref);
	const mn_json *items = mn_json_get(cr, "item"), *claim_items = mn_json_get(claim, "item");
	CHECK(items && claim_items && items->n == claim_items->n);
	const mn_json *notes = mn_json_get(cr, "processNote");
	for (uint32_t i = 0; items && claim_items && i < items->n && i < claim_items->n; i++) {
		const mn_json *it = &items->u.items[i];
		CHECK_STR(mn_json_get(it, "itemSequence")->u.s, mn_json_get(&claim_items->u.items[i], "sequence")->u.s);
		const char *code = review_action(it);
		CHECK(code && (strcmp(code, "A1") == 0 || strcmp(code, "A4") == 0));
		if (code && strcmp(code, "A4") == 0) {
			const mn_json *nn = mn_json_get(it, "noteNumber");
			CHECK(nn && nn->n == 1 && notes);
			bool found = false;
			for (uint32_t k = 0; nn && notes && k < notes->n; k++)
				found |= strcmp(mn_json_get(&notes->u.items[k], "number")->u.s, nn->u.items[0].u.s) == 0 &&
				         mn_json_get_string(&notes->u.items[k], "text") &&
				         *mn_json_get_string(&notes->u.items[k], "text");
			CHECK(found);
		}
	}
	return cr;
}

static const mn_json *first_resource(const mn_json *bundle)
{
	const mn_json *entries = mn_json_get(bundle, "entry");
	return entries && entries->n ? mn_json_get(&entries->u.items[0], "resource") : NULL;
}

/* Every shared PAS example: a request Bundle (Claim first) gets a well-formed response (pended: mednec has no
 * policy for these services), a response Bundle a 400 OperationOutcome, a lone resource a 400. */
static void test_pas_examples(mn_service *s)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/davinci/pas", mn_test_data_dir());
	DIR *d = opendir(dir);
	if (!d) {
		printf("PAS examples: skipped, %s is absent\n", dir);
		return;
	}
	struct dirent *e;
	int requests = 0, responses = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		char path[8400], *text = NULL;
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (mn_read_file(path, &text, &len, NULL) != MN_OK)
			continue;
		mn_json *in = NULL;
		CHECK(mn_json_parse(arena, path, text, len, &in, NULL) == MN_OK);
		const mn_json *first = first_resource(in);
		bool bundle = mn_json_is_string(mn_json_get(in, "resourceType"), "Bundle");
		mn_service_response r;
		int status = call(s, "POST", "/Claim/$submit", text, &r);
		if (bundle && mn_json_is_string(mn_json_get(first, "resourceType"), "Claim")) {
			const mn_json *cr = check_pas_response(&r, first);
			/* no mednec policy covers these services: every item pended, the reason given */
			const mn_json *items = mn_json_get(cr, "item");
			for (uint32_t i = 0; items && i < items->n; i++)
				CHECK_STR(review_action(&items->u.items[i]), "A4");
			CHECK(r.body && strstr(r.body, "no mednec policy"));
			CHECK_INT(r.decided, 1);
			CHECK_STR(r.lookup_key, mn_json_get_string(cr, "preAuthRef"));
			requests++;
		} else {
			/* a response Bundle, or a lone resource: 400 with an OperationOutcome */
			CHECK_MSG(status == 400, "%s: %d", e->d_name, status);
			CHECK(r.body && strstr(r.body, "\"OperationOutcome\""));
			CHECK_INT(r.decided, 0);
			responses += bundle;
		}
		mn_service_response_free(&r);
		free(text);
	}
	closedir(d);
	CHECK(requests >= 4);   /* Homecare, MedicalServices, Referral, Surgical */
	CHECK(responses >= 3);  /* the three response Bundles */
}

/* A PAS request Bundle built from an example case: the Claim first (item: the policy's local service code),
 * an insurer Organization and a Coverage, then every resource of the case. */
static char *pas_request(const char *case_path, const char *pre_auth_ref)
{
	mn_case *kase = NULL;
	if (mn_case_load_any(mn_test_source_dir(), case_path, &kase, NULL) != MN_OK)
		return NULL;
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"identifier\":{\"system\":\"urn:test\","
	                "\"value\":\"T1\"},\"entry\":[{\"fullUrl\":\"http://example.org/fhir/Claim/pa-1\",\"resource\":"
	                "{\"resourceType\":\"Claim\",\"id\":\"pa-1\",\"status\":\"active\",\"type\":{\"coding\":[{\"system\":"
	                "\"http://terminology.hl7.org/CodeSystem/claim-type\",\"code\":\"professional\"}]},\"use\":"
	                "\"preauthorization\",\"patient\":{\"reference\":\"Patient/pat-crps-001\"},\"created\":\"2026-11-19\","
	                "\"insurer\":{\"reference\":\"Organization/payer-1\"},\"provider\":{\"reference\":"
	                "\"Practitioner/prac-pain-001\"},\"priority\":{\"coding\":[{\"system\":"
	                "\"http://terminology.hl7.org/CodeSystem/processpriority\",\"code\":\"normal\"}]},\"insurance\":"
	                "[{\"sequence\":1,\"focal\":true,\"coverage\":{\"reference\":\"Coverage/cov-1\"}");
	if (pre_auth_ref)
		mn_buf_printf(&b, ",\"preAuthRef\":[\"%s\"]", pre_auth_ref);
	mn_buf_puts(&b, "}],\"item\":[{\"sequence\":1,\"productOrService\":{\"coding\":[{\"system\":"
	                "\"urn:mednec:local:service\",\"code\":\"drg-stimulation-trial\"}]}}]}},"
	                "{\"resource\":{\"resourceType\":\"Organization\",\"id\":\"payer-1\",\"name\":\"Example payer\"}},"
	                "{\"resource\":");
	mn_buf_puts(&b, coverage_json);
	mn_buf_putc(&b, '}');
	for (size_t i = 0; i < mn_case_count(kase); i++) {
		mn_buf_puts(&b, ",{\"resource\":");
		mn_json_write(&b, mn_case_get(kase, i)->json);
		mn_buf_putc(&b, '}');
	}
	mn_buf_puts(&b, "]}");
	mn_case_free(kase);
	return b.failed ? NULL : mn_buf_detach(&b, NULL);
}

/* What the HTTP layer does with a decided response: store it before sending. */
static void store(mn_audit *a, const char *id, const mn_service_response *r, const char *body)
{
	char sha[65];
	mn_sha256_hex(body, strlen(body), sha);
	mn_audit_record rec = {id, "2026-11-20T00:00:00Z", r->endpoint, r->policy_id, r->policy_version, sha,
	                       r->outcome, r->lookup_key, r->determination};
	mn_error err;
	mn_error_clear(&err);
	CHECK_MSG(mn_audit_append(a, &rec, &err) == MN_OK, "append: %s", err.message);
}

static void test_pas_drg(mn_service *s, mn_audit *a)
{
	char *body = pas_request("examples/crps-ii-drg-trial.json", NULL);
	CHECK(body != NULL);
	mn_json *in = NULL;
	CHECK(mn_json_parse(arena, "request", body, strlen(body), &in, NULL) == MN_OK);
	mn_service_response r;
	mn_service_request req = {"POST", "/Claim/$submit", body, strlen(body), "req-pas-1", 0};
	CHECK(mn_service_handle(s, &req, &r, NULL) == MN_OK);
	const mn_json *cr = check_pas_response(&r, first_resource(in));
	const mn_json *items = mn_json_get(cr, "item");
	/* the policy's own test: every criterion met on 2026-11-20: certified in total */
	CHECK_STR(items && items->n ? review_action(&items->u.items[0]) : NULL, "A1");
	CHECK(mn_json_get(cr, "processNote") == NULL);
	char ref[64];
	snprintf(ref, sizeof ref, "%s", mn_json_get_string(cr, "preAuthRef"));
	CHECK_STR(r.endpoint, "Claim/$submit");
	CHECK_STR(r.outcome, "meets-criteria");
	CHECK_STR(r.policy_id, "drg-stimulation-trial");
	store(a, "req-pas-1", &r, body);
	mn_service_response_free(&r);
	free(body);

	/* $inquire by Claim.insurance.preAuthRef: the stored response */
	body = pas_request("examples/crps-ii-drg-trial.json", ref);
	CHECK(mn_json_parse(arena, "request", body, strlen(body), &in, NULL) == MN_OK);
	CHECK_INT(call(s, "POST", "/Claim/$inquire", body, &r), 200);
	cr = check_pas_response(&r, first_resource(in));
	CHECK_STR(mn_json_get_string(cr, "preAuthRef"), ref);
	items = mn_json_get(cr, "item");
	CHECK_STR(items && items->n ? review_action(&items->u.items[0]) : NULL, "A1");
	CHECK_INT(r.decided, 0);
	mn_service_response_free(&r);
	free(body);
	/* an inquiry for something never submitted: 404 with an OperationOutcome */
	body = pas_request("examples/crps-ii-drg-trial.json", "mednec-0000000000000000");
	CHECK_INT(call(s, "POST", "/Claim/$inquire", body, &r), 404);
	CHECK(r.body && strstr(r.body, "OperationOutcome") && strstr(r.body, "not-found"));
	mn_service_response_free(&r);
	free(body);

	/* the policy's test case with the psychological clearance after the as-of date: pended (A4), the missing
	 * criterion in processNote; never A3 */
	body = pas_request("cases/crps-ii-drg-trial/time-psych-clearance-after-as-of.json", NULL);
	CHECK(mn_json_parse(arena, "request", body, strlen(body), &in, NULL) == MN_OK);
	CHECK_INT(call(s, "POST", "/Claim/$submit", body, &r), 200);
	cr = check_pas_response(&r, first_resource(in));
	items = mn_json_get(cr, "item");
	CHECK_STR(items && items->n ? review_action(&items->u.items[0]) : NULL, "A4");
	const mn_json *notes = mn_json_get(cr, "processNote");
	const char *note = notes && notes->n ? mn_json_get_string(&notes->u.items[0], "text") : NULL;
	CHECK(note && strstr(note, "Psychological evaluation with clearance for neuromodulation") &&
	      strstr(note, "not documented"));
	CHECK_STR(r.outcome, "insufficient-documentation");
	mn_service_response_free(&r);
	free(body);
}


/* ---- issue 7 item 5: matching by the codes EHRs send (docs/CODING.md) ---- */

/* body with every `from` replaced by `to` (malloc'd; body freed); CHECKs that `from` occurs. */
static char *replace_all(char *body, const char *from, const char *to)
{
	if (!body)
		return NULL;
	mn_buf b = MN_BUF_INIT;
	size_t nf = strlen(from), hits = 0;
	const char *p = body, *q;
	while ((q = strstr(p, from)) != NULL) {
		mn_buf_put(&b, p, (size_t)(q - p));
		mn_buf_puts(&b, to);
		p = q + nf;
		hits++;
	}
	mn_buf_puts(&b, p);
	CHECK_MSG(hits > 0, "not in the request: %s", from);
	free(body);
	return b.failed ? NULL : mn_buf_detach(&b, NULL);
}

#define LOCAL_TRIAL "{\"system\":\"urn:mednec:local:service\",\"code\":\"drg-stimulation-trial\"," \
	"\"display\":\"Dorsal root ganglion stimulation trial\"},"
#define CPT_63650 "{\"system\":\"http://www.ama-assn.org/go/cpt\",\"code\":\"63650\""

/* The example's order without its local code: only CPT 63650 (facts.md §1d) and the order's own words. */
static char *cpt_only(char *body)
{
	return replace_all(body, LOCAL_TRIAL, "");
}

/* ... and without any words naming the target: text and body sites say only "neurostimulator" and the level. */
static char *undistinguished(char *body)
{
	body = replace_all(cpt_only(body), "Dorsal root ganglion (DRG) stimulation trial, percutaneous temporary leads",
	                   "Neurostimulator trial, percutaneous temporary leads");
	body = replace_all(body, "Left L4 dorsal root ganglion", "Left L4");
	return replace_all(body, "Left S1 dorsal root ganglion", "Left S1");
}

static void test_coding_crd(mn_service *one, mn_service *all)
{
	mn_service_response r;
	/* CPT 63650 with the order's text naming the dorsal root ganglion: the DRG trial policy, decided as the
	 * example (the policy's own test: every criterion met on 2026-11-20) */
	char *body = cpt_only(cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", true));
	CHECK(body && !strstr(body, "drg-stimulation-trial\""));
	CHECK_INT(call(one, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	const mn_json *j = parse(&r);
	CHECK_STR(sub(coverage_info(j, "drg-trial-request", "draft"), "pa-needed"), "satisfied");
	CHECK_INT(r.decided, 1);
	CHECK_STR(r.policy_id, "drg-stimulation-trial");
	CHECK_STR(r.outcome, "meets-criteria");
	mn_service_response_free(&r);
	free(body);

	/* the local code alone (no CPT coding): still the DRG trial policy */
	body = replace_all(cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", true),
	                   "," CPT_63650 ",\"display\":\"Percutaneous implantation of neurostimulator electrode array, "
	                   "epidural\"}", "");
	CHECK_INT(call(one, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	CHECK_INT(r.decided, 1);
	CHECK_STR(r.policy_id, "drg-stimulation-trial");
	mn_service_response_free(&r);
	free(body);

	/* CPT 63650 and nothing saying SCS or DRG: no coverage statement, a card saying what is needed */
	body = undistinguished(cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", true));
	CHECK(body && !strstr(body, "dorsal root ganglion") && !strstr(body, "Dorsal root ganglion ("));
	CHECK_INT(call(one, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	j = parse(&r);
	const mn_json *actions = mn_json_get(j, "systemActions");
	CHECK(actions && actions->n == 0);
	const mn_json *c = only_card(j);
	const char *detail = c ? mn_json_get_string(c, "detail") : NULL;
	CHECK(detail && strstr(detail, "info needed") && strstr(detail, "drg-stimulation-trial"));
	CHECK_INT(r.decided, 0);
	mn_service_response_free(&r);
	/* the repository's folder (SCS and DRG policies of several payers): the same, never a decision */
	CHECK_INT(call(all, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	j = parse(&r);
	c = only_card(j);
	detail = c ? mn_json_get_string(c, "detail") : NULL;
	CHECK_MSG(detail && strstr(detail, "info needed") && strstr(detail, "scs-") &&
	      strstr(detail, "drg-trial-florida-blue"), "%s", detail ? detail : "-");
	CHECK_INT(r.decided, 0);
	mn_service_response_free(&r);
	free(body);

	/* a wrong code: CPT 63655 (paddle leads by laminectomy, facts.md §1d) is no code of any policy here */
	body = replace_all(cpt_only(cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request",
	                                        true)),
	                   "\"code\":\"63650\"", "\"code\":\"63655\"");
	CHECK_INT(call(one, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	j = parse(&r);
	c = only_card(j);
	detail = c ? mn_json_get_string(c, "detail") : NULL;
	CHECK(detail && strstr(detail, "No mednec policy") && strstr(detail, "63655"));
	CHECK_INT(r.decided, 0);
	mn_service_response_free(&r);
	free(body);

	/* the SCS example (CPT 63650, "Spinal cord stimulator trial") in the repository's folder: SCS trial policies
	 * only, never a DRG policy (several payers: no statement, but the DRG policies are not among them) */
	body = cds_request("examples/crps-ii-scs-trial.json", "order-sign", "scs-trial-request", true);
	CHECK_INT(call(all, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	j = parse(&r);
	c = only_card(j);
	detail = c ? mn_json_get_string(c, "detail") : NULL;
	CHECK(detail && strstr(detail, "scs-trial-florida-blue") && !strstr(detail, "drg-"));
	mn_service_response_free(&r);
	free(body);
}

static void test_coding_pas(mn_service *one)
{
	mn_service_response r;
	static const char local_item[] = "{\"system\":\"urn:mednec:local:service\",\"code\":\"drg-stimulation-trial\"}]}}]";
	static const char cpt_item[] = CPT_63650 "}]}}]";
	/* the Claim item carries CPT 63650; the record's order names the dorsal root ganglion: decided, A1 */
	char *body = replace_all(pas_request("examples/crps-ii-drg-trial.json", NULL), local_item, cpt_item);
	CHECK_INT(call(one, "POST", "/Claim/$submit", body, &r), 200);
	CHECK_INT(r.decided, 1);
	CHECK_STR(r.policy_id, "drg-stimulation-trial");
	CHECK_STR(r.outcome, "meets-criteria");
	mn_service_response_free(&r);
	free(body);
	/* ... and nothing in the item or the record says which service: pended (A4), the reason in processNote */
	body = undistinguished(replace_all(pas_request("examples/crps-ii-drg-trial.json", NULL), local_item, cpt_item));
	mn_json *in = NULL;
	CHECK(body && mn_json_parse(arena, "request", body, strlen(body), &in, NULL) == MN_OK);
	CHECK_INT(call(one, "POST", "/Claim/$submit", body, &r), 200);
	const mn_json *cr = check_pas_response(&r, first_resource(in));
	const mn_json *items = mn_json_get(cr, "item");
	CHECK_STR(items && items->n ? review_action(&items->u.items[0]) : NULL, "A4");
	const mn_json *notes = mn_json_get(cr, "processNote");
	const char *note = notes && notes->n ? mn_json_get_string(&notes->u.items[0], "text") : NULL;
	CHECK_MSG(note && strstr(note, "info needed") && strstr(note, "63650"), "%s", r.body ? r.body : "-");
	CHECK_STR(r.outcome, "no-policy");   /* stored (a pended answer is an answer), under no policy */
	mn_service_response_free(&r);
	free(body);
}

/* A CRD satisfied-pa-id is recognized by $inquire. */
static void test_crd_then_inquire(mn_service *s, mn_audit *a)
{
	char *body = cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", true);
	mn_service_response r;
	mn_service_request req = {"POST", "/cds-services/mednec-order-sign", body, strlen(body), "req-crd-1", 0};
	CHECK(mn_service_handle(s, &req, &r, NULL) == MN_OK);
	CHECK_INT(r.decided, 1);
	char key[64];
	snprintf(key, sizeof key, "%s", r.lookup_key ? r.lookup_key : "");
	store(a, "req-crd-1", &r, body);
	mn_service_response_free(&r);
	free(body);
	body = pas_request("examples/crps-ii-drg-trial.json", key);
	mn_json *in = NULL;
	CHECK(mn_json_parse(arena, "request", body, strlen(body), &in, NULL) == MN_OK);
	CHECK_INT(call(s, "POST", "/Claim/$inquire", body, &r), 200);
	const mn_json *cr = check_pas_response(&r, first_resource(in));
	CHECK_STR(mn_json_get_string(cr, "preAuthRef"), key);
	const mn_json *items = mn_json_get(cr, "item");
	CHECK_STR(items && items->n ? review_action(&items->u.items[0]) : NULL, "A1");
	mn_service_response_free(&r);
	free(body);
}

static void test_pas_bad(mn_service *s)
{
	mn_service_response r;
	/* malformed JSON: 400 OperationOutcome naming line and column */
	CHECK_INT(call(s, "POST", "/Claim/$submit", "{\"resourceType\": \"Bundle\",\n\n  \"entry\": [,]}", &r), 400);
	CHECK(r.body && strstr(r.body, "OperationOutcome") && strstr(r.body, "line 3, column 13"));
	mn_service_response_free(&r);
	/* a Bundle without a Claim: 422 (FHIR: the content violates the PAS request Bundle profile) */
	char bundle[600];
	snprintf(bundle, sizeof bundle, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":%s}]}",
	         coverage_json);
	CHECK_INT(call(s, "POST", "/Claim/$submit", bundle, &r), 422);
	CHECK(r.body && strstr(r.body, "OperationOutcome") && strstr(r.body, "no Claim"));
	CHECK_INT(r.decided, 0);
	mn_service_response_free(&r);
	/* no body; GET */
	CHECK_INT(call(s, "POST", "/Claim/$submit", NULL, &r), 400);
	mn_service_response_free(&r);
	CHECK_INT(call(s, "GET", "/Claim/$submit", NULL, &r), 405);
	mn_service_response_free(&r);
}

/* ---- threads: one service, several threads, the same answers ---- */

#include <pthread.h>

typedef struct thread_arg {
	mn_service *s;
	const char *path, *body, *want;
	int mismatches;
} thread_arg;

static void *worker(void *p)
{
	thread_arg *t = p;
	for (int i = 0; i < 4; i++) {
		mn_service_response r;
		mn_service_request req = {"POST", t->path, t->body, strlen(t->body), "req-thread", 0};
		if (mn_service_handle(t->s, &req, &r, NULL) != MN_OK || !r.body || strcmp(r.body, t->want) != 0)
			t->mismatches++;
		mn_service_response_free(&r);
	}
	return NULL;
}

static void test_threads(mn_service *s)
{
	char *crd = cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", true);
	char *pas = pas_request("cases/crps-ii-drg-trial/time-psych-clearance-after-as-of.json", NULL);
	mn_service_response r1, r2;
	mn_service_request q1 = {"POST", "/cds-services/mednec-order-sign", crd, strlen(crd), "req-thread", 0};
	mn_service_request q2 = {"POST", "/Claim/$submit", pas, strlen(pas), "req-thread", 0};
	CHECK(mn_service_handle(s, &q1, &r1, NULL) == MN_OK && mn_service_handle(s, &q2, &r2, NULL) == MN_OK);
	thread_arg args[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (thread_arg){s, i % 2 ? "/Claim/$submit" : "/cds-services/mednec-order-sign", i % 2 ? pas : crd,
		                       i % 2 ? r2.body : r1.body, 0};
		CHECK(pthread_create(&th[i], NULL, worker, &args[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(args[i].mismatches, 0);
	}
	mn_service_response_free(&r1);
	mn_service_response_free(&r2);
	free(crd);
	free(pas);
}

/* The CRD IG's example requests: order-sign ones are answered (no mednec policy covers mammography, oxygen or a
 * records request: no systemAction, one info card per order); the order-dispatch one is refused by the
 * order-sign service (400: not its hook). */
static void test_crd_examples(mn_service *s)
{
	static const struct { const char *file; int status; int cards; } ex[] = {
		{"CRDServiceRequest.json", 200, 2}, {"CRDServiceRequest2.json", 400, -1}, {"CRDServiceRequest3.json", 200, 1}};
	for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
		char path[4300], *text = NULL;
		size_t len = 0;
		snprintf(path, sizeof path, "%s/davinci/crd/%s", mn_test_data_dir(), ex[i].file);
		if (mn_read_file(path, &text, &len, NULL) != MN_OK) {
			printf("CRD example %s: skipped, absent\n", ex[i].file);
			continue;
		}
		mn_service_response r;
		CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", text, &r), ex[i].status);
		if (ex[i].cards >= 0) {
			const mn_json *j = parse(&r);
			const mn_json *cards = mn_json_get(j, "cards"), *actions = mn_json_get(j, "systemActions");
			CHECK(cards && (int)cards->n == ex[i].cards);
			for (uint32_t k = 0; cards && k < cards->n; k++)
				CHECK_STR(mn_json_get_string(&cards->u.items[k], "indicator"), "info");
			CHECK(actions && actions->n == 0);
			CHECK_INT(r.decided, 0);
		}
		mn_service_response_free(&r);
		free(text);
	}
}

/* The body is body_len bytes, not a C string: what follows is never read. */
static void test_body_length(mn_service *s)
{
	const char *text = "{\"resourceType\":\"Bundle\",\"type\":\"collection\"}GARBAGE";
	mn_service_request req = {"POST", "/Claim/$submit", text, strlen(text) - 7, "req-len", 0};
	mn_service_response r;
	CHECK(mn_service_handle(s, &req, &r, NULL) == MN_OK);
	CHECK_INT(r.status, 422);  /* a Bundle without a Claim: the garbage after it was not read */
	mn_service_response_free(&r);
	/* a Claim without patient, and a Claim without items: 422 naming what is missing */
	const char *no_patient = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":"
	                         "{\"resourceType\":\"Claim\",\"status\":\"active\",\"type\":{\"text\":\"x\"},\"use\":"
	                         "\"preauthorization\",\"insurer\":{\"display\":\"p\"},\"provider\":{\"display\":\"d\"}}}]}";
	CHECK_INT(call(s, "POST", "/Claim/$submit", no_patient, &r), 422);
	CHECK(r.body && strstr(r.body, "Claim.patient"));
	mn_service_response_free(&r);
	const char *no_items = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":"
	                       "{\"resourceType\":\"Claim\",\"status\":\"active\",\"type\":{\"text\":\"x\"},\"use\":"
	                       "\"preauthorization\",\"patient\":{\"display\":\"x\"},\"insurer\":{\"display\":\"p\"},"
	                       "\"provider\":{\"display\":\"d\"}}}]}";
	CHECK_INT(call(s, "POST", "/Claim/$submit", no_items, &r), 422);
	CHECK(r.body && strstr(r.body, "Claim.item"));
	mn_service_response_free(&r);
}

/* ---- fetching what prefetch lacks from fhirServer (a fixture server on 127.0.0.1) ---- */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>

static const char *const fetched_types[] = {"Coverage", "Condition", "Procedure", "MedicationStatement",
                                            "MedicationRequest", "Observation", "DiagnosticReport", "Device",
                                            "ServiceRequest", "Encounter"};

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* The fixture: DIR/Patient/pat-crps-001 and one searchset Bundle file per type, named by the type (Python's
 * http.server ignores the query string, so "Condition?patient=..." is served from DIR/Condition). */
static bool write_fixture(const char *dir, const char *case_path)
{
	mn_case *kase = NULL;
	if (mn_case_load_any(mn_test_source_dir(), case_path, &kase, NULL) != MN_OK)
		return false;
	char path[4400];
	bool ok = true;
	snprintf(path, sizeof path, "%s/Patient", dir);
	ok &= mkdir(path, 0700) == 0;
	for (size_t t = 0; t < sizeof fetched_types / sizeof fetched_types[0]; t++) {
		mn_buf b = MN_BUF_INIT;
		mn_buf_puts(&b, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[");
		size_t n = 0;
		if (strcmp(fetched_types[t], "Coverage") == 0) {
			mn_buf_printf(&b, "{\"resource\":%s}", coverage_json);
			n++;
		}
		for (size_t i = 0; i < mn_case_count(kase); i++) {
			const mn_resource *r = mn_case_get(kase, i);
			if (strcmp(r->type_name, "Patient") == 0 && t == 0) {
				mn_buf pb = MN_BUF_INIT;
				mn_json_write(&pb, r->json);
				snprintf(path, sizeof path, "%s/Patient/%s", dir, r->id);
				ok &= write_file(path, mn_buf_cstr(&pb));
				mn_buf_free(&pb);
			}
			if (strcmp(r->type_name, fetched_types[t]) != 0)
				continue;
			mn_buf_puts(&b, n++ ? ",{\"resource\":" : "{\"resource\":");
			mn_json_write(&b, r->json);
			mn_buf_putc(&b, '}');
		}
		mn_buf_puts(&b, "]}");
		snprintf(path, sizeof path, "%s/%s", dir, fetched_types[t]);
		ok &= write_file(path, mn_buf_cstr(&b));
		mn_buf_free(&b);
	}
	mn_case_free(kase);
	return ok;
}

static void remove_fixture(const char *dir)
{
	char path[4400];
	snprintf(path, sizeof path, "%s/Patient/pat-crps-001", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/Patient", dir);
	rmdir(path);
	for (size_t t = 0; t < sizeof fetched_types / sizeof fetched_types[0]; t++) {
		snprintf(path, sizeof path, "%s/%s", dir, fetched_types[t]);
		unlink(path);
	}
	rmdir(dir);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A request whose prefetch is empty, with fhirServer and fhirAuthorization. */
static char *fetch_request(const char *server)
{
	char *full = cds_request("examples/crps-ii-drg-trial.json", "order-sign", "drg-trial-request", false);
	if (!full)
		return NULL;
	/* keep the context (up to "prefetch"), replace the prefetch */
	char *p = strstr(full, ",\"prefetch\":");
	if (!p) {
		free(full);
		return NULL;
	}
	*p = '\0';
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, full);
	mn_buf_printf(&b, ",\"prefetch\":{},\"fhirServer\":\"%s\",\"fhirAuthorization\":{\"access_token\":\"test-token\","
	                  "\"token_type\":\"Bearer\",\"expires_in\":300,\"scope\":\"user/*.read\",\"subject\":\"mednec\"}}",
	              server);
	free(full);
	return b.failed ? NULL : mn_buf_detach(&b, NULL);
}

static void test_crd_fetch(mn_service *s)
{
	char dir[] = "/tmp/mednec-fhir-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(false);
		return;
	}
	CHECK(write_fixture(dir, "examples/crps-ii-drg-trial.json"));
	int port = free_port();
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", port);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execlp("python3", "python3", "-m", "http.server", portstr, "--bind", "127.0.0.1", "--directory", dir,
		       (char *)NULL);
		_exit(127);
	}
	bool up = false;
	for (int i = 0; i < 200 && pid > 0 && !up; i++) {
		up = port_open(port);
		if (!up) {
			int status;
			if (waitpid(pid, &status, WNOHANG) == pid) {
				pid = -1;  /* python3 missing or failed */
				break;
			}
			nanosleep(&(struct timespec){0, 50000000L}, NULL);
		}
	}
	if (!up) {
		printf("fetch from fhirServer: skipped, no fixture HTTP server (python3 -m http.server) could start\n");
	} else {
		/* the whole record fetched from the fixture server: the same decision as with prefetch */
		char server[64];
		snprintf(server, sizeof server, "http://127.0.0.1:%d", port);
		char *body = fetch_request(server);
		mn_service_response r;
		CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
		const mn_json *j = parse(&r);
		const mn_json *ext = coverage_info(j, "drg-trial-request", "draft");
		CHECK_STR(sub(ext, "pa-needed"), "satisfied");
		CHECK_STR(sub(ext, "coverage"), "Coverage/cov-1");
		mn_service_response_free(&r);
		free(body);
	}
	/* a plain-http fhirServer that is not loopback is never contacted: nothing is fetched, the card says why,
	 * and without the record (nor a Coverage) nothing is satisfied */
	char *body = fetch_request("http://fhir.example.org/r4");
	mn_service_response r;
	CHECK_INT(call(s, "POST", "/cds-services/mednec-order-sign", body, &r), 200);
	const mn_json *j = parse(&r);
	const mn_json *actions = mn_json_get(j, "systemActions");
	CHECK(actions && actions->n == 0);
	const mn_json *c = only_card(j);
	const char *detail = c ? mn_json_get_string(c, "detail") : NULL;
	CHECK(detail && strstr(detail, "could not be fetched from fhirServer") && strstr(detail, "https"));
	CHECK(detail && strstr(detail, "Missing"));
	mn_service_response_free(&r);
	free(body);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	remove_fixture(dir);
}

int main(void)
{
	arena = mn_arena_new();
	mn_service_options opt = {mn_test_source_dir(), NULL, "2026-11-20", NULL, NULL};
	mn_service *s = NULL;
	mn_error err;
	mn_error_clear(&err);
	mn_status st = mn_service_open(&opt, &s, &err);
	CHECK_MSG(st == MN_OK, "open: %s", err.message);
	if (st != MN_OK)
		TEST_END();
	test_discovery(s);
	const char *dir = one_policy_dir();
	CHECK(dir != NULL);
	char store_path[] = "/tmp/mednec-svc-audit-XXXXXX";
	int fd = mkstemp(store_path);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	char url[200];
	snprintf(url, sizeof url, "sqlite:%s", store_path);
	unlink(store_path);
	mn_audit *audit = NULL;
	CHECK_MSG(mn_audit_open(url, &audit, &err) == MN_OK, "audit: %s", err.message);
	mn_service_options one_opt = {mn_test_source_dir(), dir, "2026-11-20", NULL, audit};
	mn_service *one = NULL;
	st = mn_service_open(&one_opt, &one, &err);
	CHECK_MSG(st == MN_OK, "open: %s", err.message);
	if (one) {
		test_crd_met(one, "order-sign", "/cds-services/mednec-order-sign");
		test_crd_met(one, "order-select", "/cds-services/mednec-order-select");
		test_crd_member_order(one);
		test_crd_missing(one);
		test_crd_unresolved(one);
		test_crd_no_coverage_and_ambiguous(one, s);
		test_crd_bad(one);
		test_pas_examples(one);
		test_pas_drg(one, audit);
		test_crd_then_inquire(one, audit);
		test_pas_bad(one);
		test_threads(one);
		test_crd_examples(one);
		test_body_length(one);
		test_crd_fetch(one);
		test_coding_crd(one, s);
		test_coding_pas(one);
	}
	mn_audit_close(audit);
	unlink(store_path);
	{
		char side[300];
		snprintf(side, sizeof side, "%s-wal", store_path);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", store_path);
		unlink(side);
	}
	mn_service_close(one);
	mn_service_close(s);
	mn_arena_free(arena);
	TEST_END();
}
