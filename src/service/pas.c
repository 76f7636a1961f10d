/*
 * pas.c: POST /Claim/$submit and /Claim/$inquire (Da Vinci PAS 2.x), transport-free.
 *
 * $submit takes a PAS request Bundle (the Claim first) and answers with a PAS response Bundle (type collection,
 * the ClaimResponse first, then the patient, insurer and requestor it names). Each Claim item is matched to the
 * one policy in force whose service codes include its productOrService codes and decided on the Bundle's
 * resources: A1 (certified in total) when every criterion is met, else A4 (pended) with what is missing in
 * processNote. Never A3: an adverse decision needs a physician (42 CFR 422.566(d)). The response always carries
 * a preAuthRef, the key $inquire looks the stored decision up by. docs/SERVICE.md "PAS".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service_int.h"

#define PAS "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
#define MAX_ITEMS 64

static void put_str(mn_buf *b, const char *s)
{
	mn_buf_put_json_string(b, s, strlen(s));
}

typedef struct item_result {
	long sequence;
	bool certified;       /* A1; otherwise A4 */
	bool denied;          /* A3: a physician reviewer denied it (never the engine) */
	char *notes;          /* lines: what is missing or why it is pended */
} item_result;

typedef struct pas_request {
	mn_arena *arena;
	mn_json *root;        /* the Bundle */
	mn_case *kase;
	const mn_resource *claim;
} pas_request;

static void pas_request_free(pas_request *r)
{
	mn_case_free(r->kase);
	mn_arena_free(r->arena);
}

/* Parse and check a PAS request Bundle. Returns MN_OK with *answered = false when it can be processed, or with
 * *answered = true and out filled with the 400/422 OperationOutcome; an error status only for out of memory. */
static mn_status read_request(const mn_service_request *req, const char *what, pas_request *r,
                              mn_service_response *out, bool *answered)
{
	memset(r, 0, sizeof *r);
	*answered = true;
	if (!req->body || !req->body_len)
		return mn_svc_outcome(out, 400, "structure", "the request has no body (a PAS request Bundle, the Claim first)",
		                      NULL);
	r->arena = mn_arena_new();
	if (!r->arena)
		return MN_ENOMEM;
	mn_error perr;
	mn_error_clear(&perr);
	mn_status st = mn_json_parse(r->arena, "request", req->body, req->body_len, &r->root, &perr);
	if (st == MN_ENOMEM)
		return st;
	if (st != MN_OK) {
		char msg[1200];
		mn_svc_json_error_text(&perr, msg, sizeof msg);
		return mn_svc_outcome(out, 400, "structure", msg, NULL);
	}
	const char *type = mn_json_get_string(r->root, "resourceType");
	if (!type || strcmp(type, "Bundle") != 0) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s takes a PAS request Bundle with the Claim first, not %s", what,
		         type ? type : "a JSON value without resourceType");
		return mn_svc_outcome(out, 400, "structure", msg, NULL);
	}
	const mn_json *entries = mn_json_get(r->root, "entry");
	const mn_json *first = entries && entries->type == MN_JSON_ARRAY && entries->n
	                           ? mn_json_get(&entries->u.items[0], "resource") : NULL;
	const char *first_type = mn_json_get_string(first, "resourceType");
	if (first_type && strcmp(first_type, "ClaimResponse") == 0) {
		char msg[300];
		snprintf(msg, sizeof msg, "this is a PAS response Bundle (its first entry is a ClaimResponse); %s takes a "
		         "request Bundle with the Claim first", what);
		return mn_svc_outcome(out, 400, "invalid", msg, "Bundle.entry[0].resource");
	}
	if (!first_type || strcmp(first_type, "Claim") != 0) {
		bool any = false;
		for (uint32_t i = 0; entries && entries->type == MN_JSON_ARRAY && i < entries->n; i++)
			any |= mn_json_is_string(mn_json_get(mn_json_get(&entries->u.items[i], "resource"), "resourceType"),
			                         "Claim");
		return mn_svc_outcome(out, 422, "required", any ? "the Claim must be the Bundle's first entry (PAS request Bundle)"
		                                                : "the Bundle has no Claim (a PAS request Bundle has the Claim first)",
		                      "Bundle.entry[0].resource");
	}
	mn_error cerr;
	mn_error_clear(&cerr);
	st = mn_case_load_ex("request", req->body, req->body_len, MN_CASE_ALLOW_UNRESOLVED | MN_CASE_LENIENT, &r->kase,
	                     &cerr);
	if (st == MN_ENOMEM)
		return st;
	if (st != MN_OK) {
		char msg[1400];
		snprintf(msg, sizeof msg, "line %d, column %d: %s", cerr.line, cerr.column, cerr.message);
		return mn_svc_outcome(out, 400, "invalid", msg, cerr.path[0] ? cerr.path : NULL);
	}
	r->claim = mn_case_get(r->kase, 0);
	const mn_json *c = r->claim->json;
	const char *missing = !mn_json_get(c, "type") ? "Claim.type" : !mn_json_get(c, "patient") ? "Claim.patient" :
	                      !mn_json_get(c, "insurer") ? "Claim.insurer" : !mn_json_get(c, "provider") ? "Claim.provider" :
	                      NULL;
	if (missing) {
		char msg[200];
		snprintf(msg, sizeof msg, "the Claim has no %s (required by the PAS Claim profile; the response needs it)",
		         missing + 6);
		return mn_svc_outcome(out, 422, "required", msg, missing);
	}
	*answered = false;
	return MN_OK;
}

/* The Bundle timestamp and ClaimResponse.created: the fixed as-of date at midnight UTC (tests), else now. */
static void timestamp(const mn_service *s, char out[40])
{
	if (s->as_of) {
		snprintf(out, 40, "%sT00:00:00Z", s->as_of);
		return;
	}
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, 40, "1970-01-01T00:00:00Z");
}

static void put_member(mn_buf *b, const char *key, const mn_json *v)
{
	if (!v)
		return;
	mn_buf_printf(b, ",\"%s\":", key);
	mn_json_write(b, v);
}

/* A resource the Claim references (patient, insurer, provider), copied into the response Bundle once. */
static void put_referenced(mn_buf *b, const pas_request *r, const mn_json *ref, const mn_resource **done, size_t *ndone)
{
	const char *s = mn_json_get_string(ref, "reference");
	const mn_resource *res = s ? mn_case_resolve(r->kase, s, strlen(s), r->claim) : NULL;
	if (!res || res->container)
		return;
	for (size_t i = 0; i < *ndone; i++)
		if (done[i] == res)
			return;
	done[(*ndone)++] = res;
	mn_buf_puts(b, ",{");
	if (res->full_url) {
		mn_buf_puts(b, "\"fullUrl\":");
		put_str(b, res->full_url);
		mn_buf_putc(b, ',');
	}
	mn_buf_puts(b, "\"resource\":");
	mn_json_write(b, res->json);
	mn_buf_putc(b, '}');
}

/* The PAS response Bundle. */
static void write_response(mn_buf *b, const mn_service *s, const pas_request *r, const char *pre_auth_ref,
                           const item_result *items, size_t nitems)
{
	const mn_json *claim = r->claim->json;
	char ts[40], uuid[40];
	timestamp(s, ts);
	const char *parts[] = {pre_auth_ref, "response"};
	mn_svc_make_uuid(uuid, parts, 2);
	mn_buf_puts(b, "{\"resourceType\":\"Bundle\",\"id\":");
	put_str(b, uuid);
	mn_buf_puts(b, ",\"meta\":{\"profile\":[\"" PAS "profile-pas-response-bundle\"]}");
	put_member(b, "identifier", mn_json_get(r->root, "identifier"));
	mn_buf_puts(b, ",\"type\":\"collection\",\"timestamp\":");
	put_str(b, ts);
	mn_buf_puts(b, ",\"entry\":[{\"fullUrl\":");
	mn_buf_printf(b, "\"urn:uuid:%s\",\"resource\":{\"resourceType\":\"ClaimResponse\",\"id\":", uuid);
	put_str(b, pre_auth_ref);
	mn_buf_puts(b, ",\"meta\":{\"profile\":[\"" PAS "profile-claimresponse\"]}");
	put_member(b, "identifier", mn_json_get(claim, "identifier"));
	mn_buf_puts(b, ",\"status\":\"active\"");
	put_member(b, "type", mn_json_get(claim, "type"));
	mn_buf_puts(b, ",\"use\":\"preauthorization\"");
	put_member(b, "patient", mn_json_get(claim, "patient"));
	mn_buf_puts(b, ",\"created\":");
	put_str(b, ts);
	put_member(b, "insurer", mn_json_get(claim, "insurer"));
	put_member(b, "requestor", mn_json_get(claim, "provider"));
	if (r->claim->id)
		mn_buf_printf(b, ",\"request\":{\"reference\":\"Claim/%s\"}", r->claim->id);
	mn_buf_puts(b, ",\"outcome\":\"complete\",\"preAuthRef\":");
	put_str(b, pre_auth_ref);
	mn_buf_puts(b, ",\"item\":[");
	long note = 0;
	for (size_t i = 0; i < nitems; i++) {
		const item_result *it = &items[i];
		mn_buf_printf(b, "%s{\"itemSequence\":%ld", i ? "," : "", it->sequence);
		if (it->notes && *it->notes)
			mn_buf_printf(b, ",\"noteNumber\":[%ld]", ++note);
		mn_buf_puts(b, ",\"adjudication\":[{\"extension\":[{\"url\":\"" PAS "extension-reviewAction\",\"extension\":[");
		if (it->certified) {
			mn_buf_puts(b, "{\"url\":\"number\",\"valueString\":");
			put_str(b, pre_auth_ref);
			mn_buf_puts(b, "},");
		}
		mn_buf_printf(b, "{\"url\":\"" PAS "extension-reviewActionCode\",\"valueCodeableConcept\":{\"coding\":["
		                 "{\"system\":\"https://codesystem.x12.org/005010/306\",\"code\":\"%s\",\"display\":\"%s\"}]}}]}],"
		                 "\"category\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/adjudication\","
		                 "\"code\":\"submitted\"}]}}]}",
		              it->certified ? "A1" : it->denied ? "A3" : "A4",
		              it->certified ? "Certified in total" : it->denied ? "Not Certified" : "Pended");
	}
	mn_buf_puts(b, "]");
	if (note) {
		mn_buf_puts(b, ",\"processNote\":[");
		note = 0;
		for (size_t i = 0; i < nitems; i++) {
			if (!items[i].notes || !*items[i].notes)
				continue;
			mn_buf_printf(b, "%s{\"number\":%ld,\"type\":\"display\",\"text\":", note ? "," : "", note + 1);
			note++;
			/* one note per item; its lines joined */
			size_t n = strlen(items[i].notes);
			while (n && items[i].notes[n - 1] == '\n')
				n--;
			mn_buf_put_json_string(b, items[i].notes, n);
			mn_buf_putc(b, '}');
		}
		mn_buf_putc(b, ']');
	}
	mn_buf_puts(b, "}}");
	const mn_resource *done[4] = {r->claim};
	size_t ndone = 1;
	put_referenced(b, r, mn_json_get(claim, "patient"), done, &ndone);
	put_referenced(b, r, mn_json_get(claim, "insurer"), done, &ndone);
	put_referenced(b, r, mn_json_get(claim, "provider"), done, &ndone);
	mn_buf_puts(b, "]}\n");
}

/* A preAuthRef: deterministic over the request id, the Claim and the date. */
static void make_ref(char out[32], const mn_service_request *req, const pas_request *r, const char *as_of)
{
	const mn_json *ids = mn_json_get(r->claim->json, "identifier");
	const char *ident = ids && ids->type == MN_JSON_ARRAY && ids->n ? mn_json_get_string(&ids->u.items[0], "value")
	                                                                : NULL;
	const char *parts[] = {req->request_id, "Claim/$submit", r->claim->id, ident, as_of};
	mn_svc_make_id(out, parts, 5);
}

/* The stored decision also keeps the as-of date and the request Bundle as received (its SHA-256 is the row's
 * input_sha256), so that the reviewer's page can decide the stored case again and show its evidence and letter:
 * {"response": ..., "determinations": [...], "asOf": DATE, "request": BUNDLE}. docs/SERVICE.md "Audit trail". */
static mn_status keep_request(mn_service_response *out, const mn_service_request *req, const char *as_of)
{
	size_t n = out->determination ? strlen(out->determination) : 0;
	if (n < 2 || out->determination[n - 1] != '}')
		return MN_EINTERNAL;
	mn_buf b = MN_BUF_INIT;
	mn_buf_put(&b, out->determination, n - 1);
	mn_buf_puts(&b, ",\"asOf\":");
	put_str(&b, as_of);
	mn_buf_puts(&b, ",\"request\":");
	size_t skip = req->body_len >= 3 && memcmp(req->body, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;  /* a BOM is not JSON */
	mn_buf_put(&b, req->body + skip, req->body_len - skip);
	mn_buf_putc(&b, '}');
	if (b.failed) {
		mn_buf_free(&b);
		return MN_ENOMEM;
	}
	free(out->determination);
	out->determination = mn_buf_detach(&b, NULL);
	return MN_OK;
}

mn_status mn_svc_pas_submit(mn_service *s, const mn_service_request *req, mn_service_response *out,
                            mn_error *err)
{
	pas_request r;
	bool answered;
	mn_status st = read_request(req, "Claim/$submit", &r, out, &answered);
	if (st != MN_OK || answered) {
		pas_request_free(&r);
		return st;
	}
	mn_datetime as_of;
	char as_of_text[32], ref[32];
	item_result items[MAX_ITEMS] = {{0, false, false, NULL}};
	mn_svc_decision decs[MAX_ITEMS];
	size_t nitems = 0;
	mn_buf body = MN_BUF_INIT, dets = MN_BUF_INIT, tmp = MN_BUF_INIT;
	const mn_svc_decision *first = NULL;
	const char *outcome = NULL;
	bool all_certified = true;
	if ((st = mn_svc_as_of(s, &as_of, as_of_text)) != MN_OK)
		goto done;
	make_ref(ref, req, &r, as_of_text);
	const mn_json *claim_items = mn_json_get(r.claim->json, "item");
	if (!claim_items || claim_items->type != MN_JSON_ARRAY || !claim_items->n || claim_items->n > MAX_ITEMS) {
		st = mn_svc_outcome(out, 422, "required", claim_items && claim_items->n > MAX_ITEMS
		                        ? "the Claim has more than 64 items" : "the Claim has no item (nothing is requested)",
		                    "Claim.item");
		goto done;
	}
	mn_buf_reset(&tmp);
	mn_svc_case_warnings(r.kase, &tmp);
	char *warnings = mn_arena_strdup(r.arena, mn_buf_cstr(&tmp));
	for (uint32_t i = 0; i < claim_items->n; i++) {
		const mn_json *it = &claim_items->u.items[i];
		const mn_json *seq = mn_json_get(it, "sequence");
		item_result *res = &items[nitems];
		mn_svc_decision *dec = &decs[nitems];
		res->sequence = seq && seq->type == MN_JSON_NUMBER ? strtol(seq->u.s, NULL, 10) : (long)i + 1;
		res->certified = false;
		const mn_json *concepts[1] = {mn_json_get(it, "productOrService")};
		if ((st = mn_svc_decide(s, r.kase, concepts, 1, &as_of, MN_DETERMINE_POLICY_SCORES, dec, err)) != MN_OK)
			goto done;
		nitems++;
		mn_buf_reset(&tmp);
		if (!dec->policy && !dec->nmatched) {
			mn_buf_printf(&tmp, "Pended: no mednec policy in force on %s applies to this item's codes (%s); a "
			              "reviewer decides it.\n", as_of_text, dec->codes[0] ? dec->codes : "none given");
			outcome = outcome ? outcome : "no-policy";
		} else if (!dec->policy) {
			mn_buf_printf(&tmp, "Pended: several policies in force on %s apply to this item's codes (%s):", as_of_text,
			              dec->codes);
			for (size_t k = 0; k < dec->nmatched; k++)
				mn_buf_printf(&tmp, " %s", dec->matched[k]->id);
			mn_buf_puts(&tmp, "; a reviewer decides which applies.\n");
			outcome = outcome ? outcome : "no-policy";
		} else {
			const mn_determination *d = dec->d;
			bool excluded = d->outcome == MN_NOT_COVERED || !dec->policy->covered;
			res->certified = d->outcome == MN_MEETS_CRITERIA && !excluded;
			if (!first)
				first = dec;
			if (!res->certified && !outcome)
				outcome = mn_outcome_name(d->outcome);
			if (excluded) {
				mn_buf_printf(&tmp, "Pended for physician review: policy %s lists %s as excluded from coverage.\n",
				              dec->policy->id, dec->policy->service_display ? dec->policy->service_display : "the service");
			} else if (!res->certified) {
				mn_buf_printf(&tmp, "Pended under policy %s (version %s), as of %s. Missing documentation:\n",
				              dec->policy->id, dec->policy->version ? dec->policy->version : "-", as_of_text);
				mn_svc_missing(d, &tmp);
			}
			if (dets.len)
				mn_buf_putc(&dets, ',');
			if ((st = mn_render_json(d, &dets)) != MN_OK)
				goto done;
		}
		if (!res->certified && warnings && *warnings)
			mn_buf_printf(&tmp, "Data quality: %s", warnings);
		all_certified &= res->certified;
		res->notes = mn_arena_strdup(r.arena, mn_buf_cstr(&tmp));
		if (!res->notes && tmp.len) {
			st = MN_ENOMEM;
			goto done;
		}
	}
	write_response(&body, s, &r, ref, items, nitems);
	if (body.failed || dets.failed || tmp.failed || mn_arena_failed(r.arena)) {
		st = MN_ENOMEM;
		goto done;
	}
	if ((st = mn_svc_audit_fields(out, first ? first->policy->id : "", first ? first->policy->version : "",
	                              all_certified ? "meets-criteria" : outcome ? outcome : "pended", ref, &body,
	                              &dets)) != MN_OK ||
	    (st = keep_request(out, req, as_of_text)) != MN_OK)
		goto done;
	st = mn_svc_respond(out, 200, "application/fhir+json", &body);
done:
	for (size_t i = 0; i < nitems; i++)
		mn_svc_decision_free(&decs[i]);
	mn_buf_free(&body);
	mn_buf_free(&dets);
	mn_buf_free(&tmp);
	pas_request_free(&r);
	return st;
}

/* The keys an inquiry may carry: Claim.insurance.preAuthRef, the items' authorizationNumber extension, and the
 * Claim's identifiers. */
static size_t inquiry_keys(const mn_json *claim, const char **keys, size_t max)
{
	size_t n = 0;
	const mn_json *ins = mn_json_get(claim, "insurance");
	for (uint32_t i = 0; ins && ins->type == MN_JSON_ARRAY && i < ins->n; i++) {
		const mn_json *refs = mn_json_get(&ins->u.items[i], "preAuthRef");
		for (uint32_t k = 0; refs && refs->type == MN_JSON_ARRAY && k < refs->n && n < max; k++)
			if (refs->u.items[k].type == MN_JSON_STRING)
				keys[n++] = refs->u.items[k].u.s;
	}
	const mn_json *items = mn_json_get(claim, "item");
	for (uint32_t i = 0; items && items->type == MN_JSON_ARRAY && i < items->n; i++) {
		const mn_json *exts = mn_json_get(&items->u.items[i], "extension");
		for (uint32_t k = 0; exts && exts->type == MN_JSON_ARRAY && k < exts->n && n < max; k++)
			if (mn_json_is_string(mn_json_get(&exts->u.items[k], "url"), PAS "extension-authorizationNumber") &&
			    mn_json_get_string(&exts->u.items[k], "valueString"))
				keys[n++] = mn_json_get_string(&exts->u.items[k], "valueString");
	}
	const mn_json *ids = mn_json_get(claim, "identifier");
	for (uint32_t i = 0; ids && ids->type == MN_JSON_ARRAY && i < ids->n && n < max; i++)
		if (mn_json_get_string(&ids->u.items[i], "value"))
			keys[n++] = mn_json_get_string(&ids->u.items[i], "value");
	return n;
}

/* The item sequences of a Claim (its JSON), up to max. */
static size_t claim_sequences(const mn_json *claim, item_result *items, size_t max)
{
	const mn_json *claim_items = mn_json_get(claim, "item");
	size_t n = 0;
	for (uint32_t i = 0; claim_items && claim_items->type == MN_JSON_ARRAY && i < claim_items->n && n < max; i++) {
		const mn_json *seq = mn_json_get(&claim_items->u.items[i], "sequence");
		items[n].sequence = seq && seq->type == MN_JSON_NUMBER ? strtol(seq->u.s, NULL, 10) : (long)i + 1;
		n++;
	}
	return n;
}

/* The answer to an inquiry whose newest stored row is a reviewer's decision (MN_AUDIT_KIND_REVIEW, audit.h):
 * every item of the inquiry (or, when it names none, of the stored submission) certified (A1) when the physician
 * approved, not certified (A3) with the reviewer's reason and the criteria it concerns when they denied. */
static mn_status reviewed_response(mn_service *s, pas_request *r, const char *key, const mn_json *stored,
                                   const char *text, mn_buf *body, mn_error *err)
{
	mn_json *dec = NULL;
	if (mn_json_parse(r->arena, "reviewer decision", text, strlen(text), &dec, NULL) != MN_OK)
		return mn_error_set(err, MN_EINTERNAL, "audit store: the reviewer decision for %s cannot be read", key);
	const char *decision = mn_json_get_string(dec, "decision");
	bool approved = decision && strcmp(decision, "approve") == 0;
	const mn_json *who = mn_json_get(dec, "reviewer");
	const char *name = mn_json_get_string(who, "name"), *cred = mn_json_get_string(who, "credentials");
	mn_buf note = MN_BUF_INIT;
	mn_buf_printf(&note, "%s by physician reviewer %s, %s, on %s", approved ? "Approved" : "Denied",
	              name ? name : "?", cred ? cred : "?", mn_json_get_string(stored, "received"));
	if (!approved) {
		const char *reason = mn_json_get_string(dec, "reason");
		mn_buf_printf(&note, ". Reason: %s", reason ? reason : "?");
		const mn_json *crits = mn_json_get(dec, "criteria");
		for (uint32_t i = 0; crits && crits->type == MN_JSON_ARRAY && i < crits->n; i++) {
			const char *t = mn_json_get_string(&crits->u.items[i], "title");
			mn_buf_printf(&note, "%s%s", i ? "; " : ". Criteria concerned: ", t ? t : "?");
		}
	}
	mn_buf_puts(&note, ".\n");
	char *notes = note.failed ? NULL : mn_arena_strdup(r->arena, mn_buf_cstr(&note));
	mn_buf_free(&note);
	if (!notes)
		return MN_ENOMEM;
	item_result items[MAX_ITEMS];
	memset(items, 0, sizeof items);
	size_t n = claim_sequences(r->claim->json, items, MAX_ITEMS);
	const char *case_id = mn_json_get_string(dec, "case");
	if (!n && case_id && s->audit) {
		/* the inquiry names no item: those of the stored submission */
		mn_buf row = MN_BUF_INIT;
		mn_json *crow = NULL, *cdet = NULL;
		const char *ctext = NULL;
		if (mn_audit_show(s->audit, case_id, &row, NULL) == MN_OK && !row.failed &&
		    mn_json_parse(r->arena, "audit row", row.data, row.len, &crow, NULL) == MN_OK &&
		    (ctext = mn_json_get_string(crow, "determination")) &&
		    mn_json_parse(r->arena, "stored case", ctext, strlen(ctext), &cdet, NULL) == MN_OK) {
			const mn_json *entries = mn_json_get(mn_json_get(cdet, "request"), "entry");
			if (entries && entries->type == MN_JSON_ARRAY && entries->n)
				n = claim_sequences(mn_json_get(&entries->u.items[0], "resource"), items, MAX_ITEMS);
		}
		mn_buf_free(&row);
	}
	if (!n)
		items[n++].sequence = 1;
	for (size_t i = 0; i < n; i++) {
		items[i].certified = approved;
		items[i].denied = !approved;
		items[i].notes = notes;
	}
	write_response(body, s, r, key, items, n);
	return MN_OK;
}

mn_status mn_svc_pas_inquire(mn_service *s, const mn_service_request *req, mn_service_response *out,
                             mn_error *err)
{
	pas_request r;
	bool answered;
	mn_status st = read_request(req, "Claim/$inquire", &r, out, &answered);
	if (st != MN_OK || answered) {
		pas_request_free(&r);
		return st;
	}
	const char *keys[32];
	size_t nkeys = inquiry_keys(r.claim->json, keys, 32);
	mn_buf row = MN_BUF_INIT, body = MN_BUF_INIT;
	const char *key = NULL;
	for (size_t i = 0; s->audit && i < nkeys && !key; i++) {
		mn_error e;
		mn_error_clear(&e);
		mn_buf_reset(&row);
		mn_status fst = mn_audit_show(s->audit, keys[i], &row, &e);
		if (fst == MN_OK)
			key = keys[i];
		else if (fst != MN_ENOTFOUND) {
			st = mn_error_set(err, fst, "audit store: %s", e.message);
			goto done;
		}
	}
	if (!key) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s", !s->audit ? "no decision store is configured: no earlier submission can be found"
		                                          : nkeys ? "no earlier submission matches this inquiry (looked up by "
		                                                    "Claim.insurance.preAuthRef, the items' authorizationNumber "
		                                                    "and Claim.identifier)"
		                                                  : "the inquiry names no earlier submission (give "
		                                                    "Claim.insurance.preAuthRef)");
		st = mn_svc_outcome(out, 404, "not-found", msg, NULL);
		goto done;
	}
	/* the stored row: its determination holds {"response": ..., "determinations": [...]} */
	mn_json *stored = NULL, *det = NULL;
	const char *text = NULL;
	if (row.failed || mn_json_parse(r.arena, "audit row", row.data, row.len, &stored, NULL) != MN_OK ||
	    !(text = mn_json_get_string(stored, "determination"))) {
		st = mn_error_set(err, MN_EINTERNAL, "audit store: the row for %s cannot be read", key);
		goto done;
	}
	const char *endpoint = mn_json_get_string(stored, "endpoint");
	if (endpoint && strcmp(endpoint, MN_AUDIT_KIND_REVIEW) == 0) {
		/* a physician reviewer's decision on the stored case: A1, or A3 with the reason */
		if ((st = reviewed_response(s, &r, key, stored, text, &body, err)) != MN_OK)
			goto done;
	} else if (endpoint && strcmp(endpoint, "Claim/$submit") == 0 && *text &&
	    mn_json_parse(r.arena, "stored determination", text, strlen(text), &det, NULL) == MN_OK &&
	    mn_json_get(det, "response")) {
		mn_json_write(&body, mn_json_get(det, "response"));
		mn_buf_putc(&body, '\n');
	} else {
		/* a decision made elsewhere (a CRD satisfied-pa-id): its outcome, for the items of the inquiry */
		const char *outcome = mn_json_get_string(stored, "outcome");
		bool certified = outcome && strcmp(outcome, "meets-criteria") == 0;
		const mn_json *claim_items = mn_json_get(r.claim->json, "item");
		item_result items[MAX_ITEMS] = {{0, false, false, NULL}};
		size_t nitems = 0;
		char *note = mn_arena_printf(r.arena, "Stored decision %s (%s, received %s): %s.\n", key,
		                             endpoint ? endpoint : "?", mn_json_get_string(stored, "received"),
		                             outcome ? outcome : "?");
		for (uint32_t i = 0; claim_items && claim_items->type == MN_JSON_ARRAY && i < claim_items->n && i < MAX_ITEMS;
		     i++) {
			const mn_json *seq = mn_json_get(&claim_items->u.items[i], "sequence");
			items[nitems].sequence = seq && seq->type == MN_JSON_NUMBER ? strtol(seq->u.s, NULL, 10) : (long)i + 1;
			items[nitems].certified = certified;
			items[nitems++].notes = certified ? NULL : note;
		}
		write_response(&body, s, &r, key, items, nitems);
	}
	if (body.failed || mn_arena_failed(r.arena)) {
		st = MN_ENOMEM;
		goto done;
	}
	st = mn_svc_respond(out, 200, "application/fhir+json", &body);
done:
	mn_buf_free(&row);
	mn_buf_free(&body);
	pas_request_free(&r);
	return st;
}

mn_status mn_svc_pas_redecide(const mn_service *s, const char *request, size_t len, const char *as_of, mn_case **kase,
                              mn_svc_decision *dec, mn_error *err)
{
	*kase = NULL;
	memset(dec, 0, sizeof *dec);
	mn_datetime when;
	mn_status st = mn_datetime_parse(as_of, strlen(as_of), MN_DT_DATE, &when, err);
	if (st != MN_OK)
		return st;
	st = mn_case_load_ex("stored request", request, len, MN_CASE_ALLOW_UNRESOLVED | MN_CASE_LENIENT, kase, err);
	if (st != MN_OK)
		return st;
	const mn_resource *claim = mn_case_get(*kase, 0);
	const mn_json *items = claim && claim->type_name && strcmp(claim->type_name, "Claim") == 0
	                           ? mn_json_get(claim->json, "item") : NULL;
	for (uint32_t i = 0; items && items->type == MN_JSON_ARRAY && i < items->n; i++) {
		const mn_json *concepts[1] = {mn_json_get(&items->u.items[i], "productOrService")};
		if ((st = mn_svc_decide(s, *kase, concepts, 1, &when, 0, dec, err)) != MN_OK)
			return st;
		if (dec->policy && dec->d)
			return MN_OK;
		mn_svc_decision_free(dec);
	}
	return mn_error_set(err, MN_ENOTFOUND, "no item of the stored Claim is decided under one policy");
}
