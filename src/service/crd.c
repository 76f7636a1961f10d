/*
 * crd.c: POST /cds-services/{id}: CDS Hooks order-sign / order-select with Da Vinci CRD.
 */
#include <string.h>

#include "service_int.h"

mn_status mn_svc_crd(mn_service *s, const char *service_id, const mn_service_request *req,
                     mn_service_response *out, mn_error *err)
{
	for (size_t i = 0; i < mn_svc_nhooks; i++)
		if (strcmp(mn_svc_hooks[i].id, service_id) == 0)
			return mn_svc_cds_error(out, 501, "not-implemented", "the CRD decision is not implemented yet");
	return mn_svc_cds_error(out, 404, "unknown-service", "no CDS service with this id (see GET /cds-services)");
}
