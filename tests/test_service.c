/*
 * test_service.c: the protocol layer (include/mednec/service.h) called directly, without HTTP: CDS Hooks
 * discovery, CRD order-sign/order-select, PAS Claim/$submit and $inquire, bad input. Expected values come from
 * the specifications (CDS Hooks 2.0, Da Vinci CRD 2.x, PAS 2.x) and the example cases, not from the code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/json.h"
#include "mednec/service.h"
#include "test.h"

static mn_arena *arena;

static int call(mn_service *s, const char *method, const char *path, const char *body, mn_service_response *r)
{
	mn_service_request req = {method, path, body, body ? strlen(body) : 0, "test-request"};
	mn_error err;
	mn_error_clear(&err);
	mn_status st = mn_service_handle(s, &req, r, &err);
	CHECK_MSG(st == MN_OK, "%s %s: %s", method, path, err.message);
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
static char *cds_request(const char *case_path, const char *hook, const char *order_id, bool with_coverage)
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
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
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

static char *tmp_policies;

/* A policies folder with only the DRG trial policy (a payer's deployment: one policy per service). */
static const char *one_policy_dir(void)
{
	static char dir[] = "/tmp/mednec-svc-XXXXXX";
	if (!mkdtemp(dir))
		return NULL;
	char src[4096], dst[4200];
	snprintf(src, sizeof src, "%s/policies/drg-stimulation-trial.yaml", mn_test_source_dir());
	snprintf(dst, sizeof dst, "%s/drg-stimulation-trial.yaml", dir);
	if (symlink(src, dst) != 0)
		return NULL;
	tmp_policies = dir;
	return dir;
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
	mn_service_options one_opt = {mn_test_source_dir(), dir, "2026-11-20", NULL, NULL};
	mn_service *one = NULL;
	st = mn_service_open(&one_opt, &one, &err);
	CHECK_MSG(st == MN_OK, "open: %s", err.message);
	if (one) {
		test_crd_met(one, "order-sign", "/cds-services/mednec-order-sign");
		test_crd_met(one, "order-select", "/cds-services/mednec-order-select");
		test_crd_missing(one);
		test_crd_no_coverage_and_ambiguous(one, s);
		test_crd_bad(one);
	}
	mn_service_close(one);
	mn_service_close(s);
	if (tmp_policies) {
		char path[4200];
		snprintf(path, sizeof path, "%s/drg-stimulation-trial.yaml", tmp_policies);
		unlink(path);
		rmdir(tmp_policies);
	}
	mn_arena_free(arena);
	TEST_END();
}
