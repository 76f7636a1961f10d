/*
 * discovery.c: GET /cds-services, the CDS Hooks 2.0 discovery document: one service per CRD hook mednec
 * answers, each with prefetch templates for the resources the policies read (docs/SERVICE.md).
 */
#include <string.h>

#include "service_int.h"

const mn_svc_hook mn_svc_hooks[] = {
	{"mednec-order-sign", "order-sign", "mednec coverage requirements (order-sign)",
	 "Da Vinci CRD: coverage, prior authorization and documentation requirements for the orders being signed, "
	 "decided on the record against mednec's medical-necessity policies."},
	{"mednec-order-select", "order-select", "mednec coverage requirements (order-select)",
	 "Da Vinci CRD: coverage, prior authorization and documentation requirements for the orders being selected, "
	 "decided on the record against mednec's medical-necessity policies."},
};
const size_t mn_svc_nhooks = sizeof mn_svc_hooks / sizeof mn_svc_hooks[0];

/* Prefetch keys and FHIR queries (CDS Hooks prefetch tokens; CRD asks for the patient, the coverages and the
 * clinical resources the coverage rules read). The record is searched by patient: the policies read history
 * (conservative care, trials, drug screens), not only what the order references. */
static const char *const prefetch[][2] = {
	{"patient", "Patient/{{context.patientId}}"},
	{"coverage", "Coverage?patient={{context.patientId}}&status=active"},
	{"conditions", "Condition?patient={{context.patientId}}"},
	{"procedures", "Procedure?patient={{context.patientId}}"},
	{"medicationStatements", "MedicationStatement?patient={{context.patientId}}"},
	{"medicationRequests", "MedicationRequest?patient={{context.patientId}}"},
	{"observations", "Observation?patient={{context.patientId}}"},
	{"diagnosticReports", "DiagnosticReport?patient={{context.patientId}}"},
	{"devices", "Device?patient={{context.patientId}}"},
	{"serviceRequests", "ServiceRequest?patient={{context.patientId}}"},
	{"encounters", "Encounter?patient={{context.patientId}}"},
	/* the orders with what they point at (CDS Hooks 2.0 context resource tokens) */
	{"serviceRequestBundle", "ServiceRequest?_id={{context.draftOrders.ServiceRequest.id}}"
	                         "&_include=ServiceRequest:performer&_include=ServiceRequest:requester"},
	{"deviceRequestBundle", "DeviceRequest?_id={{context.draftOrders.DeviceRequest.id}}"
	                        "&_include=DeviceRequest:performer&_include=DeviceRequest:requester"},
	{"medicationRequestBundle", "MedicationRequest?_id={{context.draftOrders.MedicationRequest.id}}"
	                            "&_include=MedicationRequest:medication&_include=MedicationRequest:requester"},
};

mn_status mn_svc_discovery(mn_service *s, const mn_service_request *req, mn_service_response *out, mn_error *err)
{
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"services\":[");
	for (size_t i = 0; i < mn_svc_nhooks; i++) {
		const mn_svc_hook *h = &mn_svc_hooks[i];
		mn_buf_puts(&b, i ? ",{\"hook\":" : "{\"hook\":");
		mn_buf_put_json_string(&b, h->hook, strlen(h->hook));
		mn_buf_puts(&b, ",\"id\":");
		mn_buf_put_json_string(&b, h->id, strlen(h->id));
		mn_buf_puts(&b, ",\"title\":");
		mn_buf_put_json_string(&b, h->title, strlen(h->title));
		mn_buf_puts(&b, ",\"description\":");
		mn_buf_put_json_string(&b, h->description, strlen(h->description));
		mn_buf_puts(&b, ",\"prefetch\":{");
		for (size_t k = 0; k < sizeof prefetch / sizeof prefetch[0]; k++) {
			if (k)
				mn_buf_putc(&b, ',');
			mn_buf_put_json_string(&b, prefetch[k][0], strlen(prefetch[k][0]));
			mn_buf_putc(&b, ':');
			mn_buf_put_json_string(&b, prefetch[k][1], strlen(prefetch[k][1]));
		}
		mn_buf_puts(&b, "}}");
	}
	mn_buf_puts(&b, "]}\n");
	return mn_svc_respond(out, 200, "application/json", &b);
}
