/*
 * pas.c: POST /Claim/$submit and /Claim/$inquire (Da Vinci PAS).
 */
#include "service_int.h"

mn_status mn_svc_pas_submit(mn_service *s, const mn_service_request *req, mn_service_response *out,
                            mn_error *err)
{
	return mn_svc_outcome(out, 501, "not-supported", "Claim/$submit is not implemented yet", NULL);
}

mn_status mn_svc_pas_inquire(mn_service *s, const mn_service_request *req, mn_service_response *out,
                             mn_error *err)
{
	return mn_svc_outcome(out, 501, "not-supported", "Claim/$inquire is not implemented yet", NULL);
}
