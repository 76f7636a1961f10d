/*
 * crd.c: POST /cds-services/{id}: CDS Hooks 2.0 order-sign / order-select with Da Vinci CRD 2.x.
 *
 * The record is the prefetch (each value a resource or a searchset Bundle) plus context.draftOrders. Each draft
 * order is presented to the policies as it will be once signed (status draft -> active, intent original-order
 * -> order, its parent in the RequestIntent hierarchy); the order returned in systemActions is the one the EHR
 * sent, unchanged but for the ext-coverage-information extension. References that do not resolve within the
 * record are data-quality warnings (item 6), never failures. docs/SERVICE.md "CDS Hooks / CRD".
 */
#include <stdio.h>
#include <string.h>

#include "mednec/dtr.h"
#include "service_int.h"

#define EXT_COVERAGE_INFO "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
#define EXT_BILLING_OPTIONS "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options"
#define MAX_ORDERS 64

static void put_key(mn_buf *b, const char *key)
{
	mn_buf_put_json_string(b, key, strlen(key));
	mn_buf_putc(b, ':');
}

static void put_str(mn_buf *b, const char *s)
{
	mn_buf_put_json_string(b, s, strlen(s));
}

static bool member_is(const mn_json_member *m, const char *key)
{
	return m->key_len == strlen(key) && memcmp(m->key, key, m->key_len) == 0;
}

/* A draft order: as the policies see it (as_signed: as it will be once signed), or as the EHR sent it with one
 * more extension (ext != NULL). */
static void write_order(mn_buf *b, const mn_json *order, bool as_signed, const char *ext)
{
	bool done = ext == NULL;
	mn_buf_putc(b, '{');
	for (uint32_t i = 0; i < order->n; i++) {
		const mn_json_member *m = &order->u.members[i];
		if (i)
			mn_buf_putc(b, ',');
		mn_buf_put_json_string(b, m->key, m->key_len);
		mn_buf_putc(b, ':');
		if (as_signed && member_is(m, "status") && mn_json_is_string(&m->value, "draft")) {
			put_str(b, "active");
		} else if (as_signed && member_is(m, "intent") && mn_json_is_string(&m->value, "original-order")) {
			put_str(b, "order");
		} else if (!done && member_is(m, "extension") && m->value.type == MN_JSON_ARRAY) {
			mn_buf_putc(b, '[');
			for (uint32_t k = 0; k < m->value.n; k++) {
				mn_json_write(b, &m->value.u.items[k]);
				mn_buf_putc(b, ',');
			}
			mn_buf_puts(b, ext);
			mn_buf_putc(b, ']');
			done = true;
		} else {
			mn_json_write(b, &m->value);
		}
	}
	if (!done) {
		mn_buf_puts(b, order->n ? ",\"extension\":[" : "\"extension\":[");
		mn_buf_puts(b, ext);
		mn_buf_putc(b, ']');
	}
	mn_buf_putc(b, '}');
}

/* One entry of the record: a resource of the request (or fetched), its fullUrl, whether it is a draft order. */
typedef struct record_entry {
	const mn_json *res;
	const mn_json *full_url;     /* a string, or NULL */
	bool is_order;
} record_entry;

typedef struct assembled {
	record_entry *entries;       /* the record's entries, in order (arena) */
	size_t nentries, capentries;
	bool foreign;                /* an entry was fetched (its offsets are not in the request's text) */
	const mn_json *orders[MAX_ORDERS];  /* the draft orders as sent, in order */
	const char *order_urls[MAX_ORDERS];
	size_t norders;
	char **keys;                 /* open addressing: "Type/id" of every entry written (duplicates are left out) */
	size_t nkeys, capkeys;       /* capkeys: 0 or a power of two */
	bool failed;
	mn_arena *arena;
} assembled;

static size_t key_hash(const char *s)
{
	size_t h = 14695981039346656037ull & SIZE_MAX;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (1099511628211ull & SIZE_MAX);
	return h;
}

/* Whether a resource with the same type and id was written already (then it is left out); records it
 * otherwise. Resources without an id are always written. */
static bool seen(assembled *a, const mn_json *res)
{
	const char *type = mn_json_get_string(res, "resourceType"), *id = mn_json_get_string(res, "id");
	if (!type || !id)
		return false;
	char *key = mn_arena_join(a->arena, type, '/', id);
	if (!key) {
		a->failed = true;
		return false;
	}
	if (2 * (a->nkeys + 1) > a->capkeys) {  /* keep the table at most half full */
		size_t cap = a->capkeys ? 2 * a->capkeys : 64;
		char **t = mn_arena_calloc(a->arena, cap, sizeof *t);
		if (!t) {
			a->failed = true;
			return false;
		}
		for (size_t i = 0; i < a->capkeys; i++)
			if (a->keys[i]) {
				size_t j = key_hash(a->keys[i]) & (cap - 1);
				while (t[j])
					j = (j + 1) & (cap - 1);
				t[j] = a->keys[i];
			}
		a->keys = t;
		a->capkeys = cap;
	}
	size_t j = key_hash(key) & (a->capkeys - 1);
	for (; a->keys[j]; j = (j + 1) & (a->capkeys - 1))
		if (strcmp(a->keys[j], key) == 0)
			return true;
	a->keys[j] = key;
	a->nkeys++;
	return false;
}

static void add_entry(assembled *a, const mn_json *res, const mn_json *full_url, bool is_order)
{
	if (!res || res->type != MN_JSON_OBJECT || seen(a, res))
		return;
	const char *type = mn_json_get_string(res, "resourceType");
	if (type && strcmp(type, "OperationOutcome") == 0)
		return;  /* a prefetch the EHR could not run */
	if (a->nentries == a->capentries) {
		size_t cap = a->capentries ? 2 * a->capentries : 32;
		record_entry *t = mn_arena_calloc(a->arena, cap, sizeof *t);
		if (!t) {
			a->failed = true;
			return;
		}
		if (a->nentries)
			memcpy(t, a->entries, a->nentries * sizeof *t);
		a->entries = t;
		a->capentries = cap;
	}
	a->entries[a->nentries++] = (record_entry){res, full_url && full_url->type == MN_JSON_STRING ? full_url : NULL,
	                                           is_order};
}

/* The record as the text of a collection Bundle (draft orders as signed). */
static void write_record(const assembled *a, mn_buf *b)
{
	mn_buf_puts(b, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
	for (size_t i = 0; i < a->nentries; i++) {
		const record_entry *e = &a->entries[i];
		mn_buf_puts(b, i ? ",{" : "{");
		if (e->full_url) {
			put_key(b, "fullUrl");
			put_str(b, e->full_url->u.s);
			mn_buf_putc(b, ',');
		}
		put_key(b, "resource");
		if (e->is_order)
			write_order(b, e->res, true, NULL);
		else
			mn_json_write(b, e->res);
		mn_buf_putc(b, '}');
	}
	mn_buf_puts(b, "]}");
}

/* A deep copy of v (arena); strings and numbers share their bytes. NULL on out of memory. */
static bool copy_json(mn_arena *arena, mn_json *dst, const mn_json *v)
{
	*dst = *v;
	if (v->type == MN_JSON_ARRAY && v->n) {
		mn_json *items = mn_arena_alloc(arena, v->n * sizeof *items);
		if (!items)
			return false;
		for (uint32_t i = 0; i < v->n; i++)
			if (!copy_json(arena, &items[i], &v->u.items[i]))
				return false;
		dst->u.items = items;
	} else if (v->type == MN_JSON_OBJECT && v->n) {
		mn_json_member *ms = mn_arena_alloc(arena, v->n * sizeof *ms);
		if (!ms)
			return false;
		for (uint32_t i = 0; i < v->n; i++) {
			ms[i] = v->u.members[i];
			if (!copy_json(arena, &ms[i].value, &v->u.members[i].value))
				return false;
		}
		dst->u.members = ms;
	}
	return true;
}

static void set_string(mn_json *v, const char *s)
{
	v->type = MN_JSON_STRING;
	v->u.s = s;
	v->n = (uint32_t)strlen(s);
}

/* The record as a tree over the request's own nodes, without writing it out and parsing it again
 * (mn_case_load_tree): the same Bundle write_record writes, node for node. The draft orders are deep copies
 * (as signed), so that the systemActions write them as the EHR sent them even when MN_CASE_LENIENT prunes the
 * record. NULL when that cannot be (an entry fetched from elsewhere, or the entries not in increasing offset
 * order in the request) or on out of memory (a->failed): then the record is written out and parsed. */
static mn_json *record_tree(assembled *a)
{
	if (a->foreign)
		return NULL;
	for (size_t i = 1; i < a->nentries; i++)
		if (a->entries[i].res->offset <= a->entries[i - 1].res->offset)
			return NULL;
	mn_json *root = mn_arena_calloc(a->arena, 1, sizeof *root);
	mn_json_member *top = mn_arena_calloc(a->arena, 3, sizeof *top);
	mn_json *items = a->nentries ? mn_arena_calloc(a->arena, a->nentries, sizeof *items) : NULL;
	if (!root || !top || (a->nentries && !items)) {
		a->failed = true;
		return NULL;
	}
	root->type = MN_JSON_OBJECT;
	root->n = 3;
	root->u.members = top;
	top[0].key = "resourceType";
	set_string(&top[0].value, "Bundle");
	top[1].key = "type";
	set_string(&top[1].value, "collection");
	top[2].key = "entry";
	top[2].value.type = MN_JSON_ARRAY;
	top[2].value.n = (uint32_t)a->nentries;
	top[2].value.u.items = items;
	for (int k = 0; k < 3; k++)
		top[k].key_len = (uint32_t)strlen(top[k].key);
	for (size_t i = 0; i < a->nentries; i++) {
		const record_entry *e = &a->entries[i];
		mn_json_member *ms = mn_arena_calloc(a->arena, 2, sizeof *ms);
		if (!ms) {
			a->failed = true;
			return NULL;
		}
		uint32_t n = 0;
		if (e->full_url) {
			ms[n].key = "fullUrl";
			ms[n].key_len = 7;
			ms[n].key_offset = e->res->offset;
			ms[n].value = *e->full_url;
			ms[n++].value.n = (uint32_t)strlen(e->full_url->u.s);  /* as write_record writes it */
		}
		ms[n].key = "resource";
		ms[n].key_len = 8;
		ms[n].key_offset = e->res->offset;
		if (!e->is_order) {
			ms[n++].value = *e->res;
		} else {
			mn_json *o = &ms[n++].value;
			if (!copy_json(a->arena, o, e->res)) {
				a->failed = true;
				return NULL;
			}
			for (uint32_t k = 0; k < o->n; k++) {  /* as write_order(as_signed) */
				mn_json_member *m = &o->u.members[k];
				if (member_is(m, "status") && mn_json_is_string(&m->value, "draft"))
					set_string(&m->value, "active");
				else if (member_is(m, "intent") && mn_json_is_string(&m->value, "original-order"))
					set_string(&m->value, "order");
			}
		}
		items[i].type = MN_JSON_OBJECT;
		items[i].offset = e->res->offset;
		items[i].n = n;
		items[i].u.members = ms;
	}
	return root;
}

/* A prefetch value: a resource, or a Bundle (searchset) whose entries are the resources; null is allowed (the
 * EHR could not prefetch). */
static void add_prefetch(assembled *a, const mn_json *v)
{
	if (!v || v->type != MN_JSON_OBJECT)
		return;
	if (mn_json_is_string(mn_json_get(v, "resourceType"), "Bundle")) {
		const mn_json *entries = mn_json_get(v, "entry");
		for (uint32_t i = 0; entries && entries->type == MN_JSON_ARRAY && i < entries->n; i++) {
			const mn_json *e = &entries->u.items[i];
			add_entry(a, mn_json_get(e, "resource"), mn_json_get(e, "fullUrl"), false);
		}
		return;
	}
	add_entry(a, v, NULL, false);
}

/* The order's codes: ServiceRequest.code, DeviceRequest.codeCodeableConcept,
 * MedicationRequest.medicationCodeableConcept, and the CRD billing options on the code. */
static size_t order_concepts(const mn_json *order, const mn_json **out, size_t max)
{
	size_t n = 0;
	static const char *const keys[] = {"code", "codeCodeableConcept", "medicationCodeableConcept"};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const mn_json *c = mn_json_get(order, keys[k]);
		if (!c || c->type != MN_JSON_OBJECT || n >= max)
			continue;
		out[n++] = c;
		const mn_json *ext = mn_json_get(c, "extension");
		for (uint32_t i = 0; ext && ext->type == MN_JSON_ARRAY && i < ext->n && n < max; i++)
			if (mn_json_is_string(mn_json_get(&ext->u.items[i], "url"), EXT_BILLING_OPTIONS))
				out[n++] = mn_json_get(&ext->u.items[i], "valueCodeableConcept");
	}
	return n;
}

/* The Coverage the decision is about: the order's insurance, else the first Coverage of the record. */
static const char *coverage_ref(const mn_case *kase, const mn_json *order, mn_arena *arena)
{
	const mn_json *ins = mn_json_get(order, "insurance");
	if (ins && ins->type == MN_JSON_ARRAY && ins->n) {
		const char *r = mn_json_get_string(&ins->u.items[0], "reference");
		if (r)
			return r;
	}
	for (size_t i = 0; i < mn_case_count(kase); i++) {
		const mn_resource *r = mn_case_get(kase, i);
		if (strcmp(r->type_name, "Coverage") == 0)
			return r->id ? mn_arena_printf(arena, "Coverage/%s", r->id) : r->full_url;
	}
	return NULL;
}

static void put_ext_code(mn_buf *b, const char *url, const char *code)
{
	mn_buf_puts(b, ",{\"url\":");
	put_str(b, url);
	mn_buf_puts(b, ",\"valueCode\":");
	put_str(b, code);
	mn_buf_putc(b, '}');
}

/* Lines of text as a Markdown list. */
static void put_list(mn_buf *b, const char *lines)
{
	const char *p = lines;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		mn_buf_puts(b, "- ");
		mn_buf_put(b, p, n);
		mn_buf_putc(b, '\n');
		p += n + (nl ? 1 : 0);
	}
}

static void card(mn_buf *cards, size_t *ncards, const char *uuid, const char *summary, const char *indicator,
                 const char *detail, const char *order_ref)
{
	mn_buf_puts(cards, (*ncards)++ ? ",{" : "{");
	put_key(cards, "uuid");
	put_str(cards, uuid);
	mn_buf_putc(cards, ',');
	put_key(cards, "summary");
	/* CDS Hooks: summary under 140 characters */
	size_t n = strlen(summary);
	if (n > 139)
		for (n = 139; n && ((unsigned char)summary[n] & 0xC0) == 0x80; n--)
			;  /* cut before a UTF-8 continuation byte, never inside a character */
	mn_buf_put_json_string(cards, summary, n);
	mn_buf_putc(cards, ',');
	put_key(cards, "indicator");
	put_str(cards, indicator);
	mn_buf_putc(cards, ',');
	put_key(cards, "detail");
	put_str(cards, detail);
	mn_buf_puts(cards, ",\"source\":{\"label\":\"mednec\",\"topic\":{\"system\":"
	                   "\"http://terminology.hl7.org/CodeSystem/cdshooks-card-type\",\"code\":\"coverage-info\","
	                   "\"display\":\"Coverage Information\"}}");
	if (order_ref) {
		mn_buf_puts(cards, ",\"extension\":{\"davinci-crd.associated-resource\":[{\"reference\":");
		put_str(cards, order_ref);
		mn_buf_puts(cards, "}]}");
	}
	mn_buf_putc(cards, '}');
}

static const char *display_of(const mn_policy *p)
{
	return p->service_display ? p->service_display : p->id;
}

/* Percent-encode what is not unreserved (RFC 3986) in a query value. */
static void put_escaped(mn_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			mn_buf_putc(b, (char)c);
		else
			mn_buf_printf(b, "%%%02X", c);
	}
}

/* A prefetch template with its tokens replaced: {{context.patientId}} and {{context.draftOrders.TYPE.id}} (the
 * ids of the draft orders of that type, comma-separated). False when a token has no value (no such orders) or
 * is not one of these. */
static bool expand(mn_buf *b, const char *tmpl, const char *patient, const assembled *a)
{
	static const char orders_tok[] = "{{context.draftOrders.";
	mn_buf_reset(b);
	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "{{context.patientId}}", 21) == 0) {
			put_escaped(b, patient);
			p += 21;
		} else if (strncmp(p, orders_tok, sizeof orders_tok - 1) == 0) {
			const char *type = p + sizeof orders_tok - 1, *end = strstr(type, ".id}}");
			if (!end)
				return false;
			size_t n = 0;
			for (size_t i = 0; i < a->norders; i++) {
				const char *t = mn_json_get_string(a->orders[i], "resourceType"), *id = mn_json_get_string(a->orders[i], "id");
				if (t && id && strlen(t) == (size_t)(end - type) && strncmp(t, type, (size_t)(end - type)) == 0) {
					if (n++)
						mn_buf_putc(b, ',');
					put_escaped(b, id);
				}
			}
			if (!n)
				return false;
			p = end + 5;
		} else if (p[0] == '{' && p[1] == '{') {
			return false;
		} else {
			mn_buf_putc(b, *p++);
		}
	}
	return !b->failed;
}

/* What prefetch lacks (a discovery key absent from it), fetched from fhirServer with the request's
 * fhirAuthorization. A query that cannot be made or fails is a note (data quality), never a failure. */
static mn_status fetch_missing(assembled *a, const mn_json *root, const char *patient, mn_buf *notes)
{
	const char *server = mn_json_get_string(root, "fhirServer");
	const char *token = mn_json_get_string(mn_json_get(root, "fhirAuthorization"), "access_token");
	const mn_json *prefetch = mn_json_get(root, "prefetch");
	if (!server || !token)
		return MN_OK;
	mn_buf query = MN_BUF_INIT, body = MN_BUF_INIT;
	mn_status st = MN_OK;
	for (size_t k = 0; k < mn_svc_nprefetch && st == MN_OK; k++) {
		const char *key = mn_svc_prefetch[k][0];
		if (prefetch && prefetch->type == MN_JSON_OBJECT && mn_json_get(prefetch, key))
			continue;  /* given (null included: the EHR had nothing or could not) */
		if (!expand(&query, mn_svc_prefetch[k][1], patient, a))
			continue;
		char why[300];
		mn_status fst = mn_svc_fetch(server, mn_buf_cstr(&query), token, &body, why, sizeof why);
		mn_json *got = NULL;
		if (fst == MN_ENOMEM) {
			st = fst;
		} else if (fst != MN_OK) {
			mn_buf_printf(notes, "prefetch %s was not given and could not be fetched from fhirServer (%s)\n", key, why);
		} else if (mn_json_parse(a->arena, key, body.data ? body.data : "", body.len, &got, NULL) != MN_OK) {
			mn_buf_printf(notes, "prefetch %s fetched from fhirServer is not JSON; left out\n", key);
		} else {
			a->foreign = true;
			add_prefetch(a, got);
		}
	}
	mn_buf_free(&query);
	mn_buf_free(&body);
	return st;
}

mn_status mn_svc_crd(mn_service *s, const char *service_id, const mn_service_request *req,
                     mn_service_response *out, mn_error *err)
{
	const mn_svc_hook *hook = NULL;
	for (size_t i = 0; i < mn_svc_nhooks; i++)
		if (strcmp(mn_svc_hooks[i].id, service_id) == 0)
			hook = &mn_svc_hooks[i];
	if (!hook)
		return mn_svc_cds_error(out, 404, "unknown-service", "no CDS service with this id (see GET /cds-services)");
	if (!req->body || !req->body_len)
		return mn_svc_cds_error(out, 400, "bad-request", "the request has no body (a CDS Hooks request in JSON)");

	mn_status st = MN_OK;
	assembled a;
	memset(&a, 0, sizeof a);
	a.arena = mn_arena_new();
	mn_case *kase = NULL;
	mn_buf cards = MN_BUF_INIT, actions = MN_BUF_INIT, body = MN_BUF_INIT, dets = MN_BUF_INIT, tmp = MN_BUF_INIT;
	mn_buf fetched = MN_BUF_INIT;  /* notes on what could not be fetched from fhirServer */
	mn_buf record = MN_BUF_INIT;   /* the record as text, when it is not given as a tree */
	mn_svc_decision decs[MAX_ORDERS];
	size_t ndecs = 0, ncards = 0, nactions = 0, ndets = 0;
	const mn_svc_decision *first = NULL;
	char first_id[32] = "";
	if (!a.arena)
		return MN_ENOMEM;

	mn_json *root = NULL;
	mn_error perr;
	mn_error_clear(&perr);
	/* in place when the caller allows it: the strings stay in the request text instead of being copied (the text
	 * is only read again for line:column positions, which the NULs over closing quotes do not move) */
	st = req->body_writable && req->body[req->body_len] == '\0'
	     ? mn_json_parse_insitu(a.arena, "request", (char *)req->body, req->body_len, &root, &perr)
	     : mn_json_parse(a.arena, "request", req->body, req->body_len, &root, &perr);
	if (st == MN_ENOMEM)
		goto done;
	if (st != MN_OK) {
		char msg[1200];
		mn_svc_json_error_text(&perr, msg, sizeof msg);
		st = mn_svc_cds_error(out, 400, "malformed-json", msg);
		goto done;
	}
	const char *why = NULL;
	const mn_json *context = mn_json_get(root, "context"), *drafts = NULL;
	const char *hook_name = mn_json_get_string(root, "hook");
	if (root->type != MN_JSON_OBJECT)
		why = "the request is not a JSON object";
	else if (!hook_name)
		why = "the request has no hook";
	else if (strcmp(hook_name, hook->hook) != 0)
		why = mn_arena_printf(a.arena, "service %s answers the %s hook, not %s", hook->id, hook->hook, hook_name);
	else if (!mn_json_get_string(root, "hookInstance"))
		why = "the request has no hookInstance";
	else if (!context || context->type != MN_JSON_OBJECT)
		why = "the request has no context";
	else if (!mn_json_get_string(context, "userId"))
		why = "context.userId is missing";
	else if (!mn_json_get_string(context, "patientId"))
		why = "context.patientId is missing";
	else if (!(drafts = mn_json_get(context, "draftOrders")) || drafts->type != MN_JSON_OBJECT ||
	         !mn_json_is_string(mn_json_get(drafts, "resourceType"), "Bundle"))
		why = "context.draftOrders (a Bundle of the orders) is missing";
	else if (mn_json_get(root, "prefetch") && mn_json_get(root, "prefetch")->type != MN_JSON_OBJECT &&
	         mn_json_get(root, "prefetch")->type != MN_JSON_NULL)
		why = "prefetch is not an object";
	if (why) {
		st = mn_svc_cds_error(out, 400, "bad-request", why);
		goto done;
	}
	const char *hook_instance = mn_json_get_string(root, "hookInstance");

	/* the record: the draft orders first, then the prefetch */
	const mn_json *entries = mn_json_get(drafts, "entry");
	for (uint32_t i = 0; entries && entries->type == MN_JSON_ARRAY && i < entries->n; i++) {
		const mn_json *e = &entries->u.items[i], *res = mn_json_get(e, "resource");
		if (!res || res->type != MN_JSON_OBJECT)
			continue;
		if (a.norders == MAX_ORDERS) {
			st = mn_svc_cds_error(out, 400, "bad-request", "more than 64 draft orders in one request");
			goto done;
		}
		a.orders[a.norders] = res;
		a.order_urls[a.norders++] = mn_json_get_string(e, "fullUrl");
		add_entry(&a, res, mn_json_get(e, "fullUrl"), true);
	}
	const mn_json *prefetch = mn_json_get(root, "prefetch");
	for (uint32_t i = 0; prefetch && prefetch->type == MN_JSON_OBJECT && i < prefetch->n; i++)
		add_prefetch(&a, &prefetch->u.members[i].value);
	if ((st = fetch_missing(&a, root, mn_json_get_string(context, "patientId"), &fetched)) != MN_OK)
		goto done;
	/* the record as a tree over the request's nodes; written out and parsed again only when it cannot be */
	mn_json *tree = record_tree(&a);
	if (!tree && !a.failed)
		write_record(&a, &record);
	if (record.failed || a.failed || mn_arena_failed(a.arena)) {
		st = MN_ENOMEM;
		goto done;
	}
	mn_error cerr;
	mn_error_clear(&cerr);
	if (tree)
		st = mn_case_load_tree("cds-request", req->body, req->body_len, tree,
		                       MN_CASE_ALLOW_UNRESOLVED | MN_CASE_LENIENT, &kase, &cerr);
	else
		st = mn_case_load_ex("cds-request", record.data, record.len, MN_CASE_ALLOW_UNRESOLVED | MN_CASE_LENIENT,
		                     &kase, &cerr);
	if (st == MN_ENOMEM)
		goto done;
	if (st != MN_OK) {
		char msg[1400];
		snprintf(msg, sizeof msg, "the prefetch and draft orders do not form a FHIR R4 record: %s%s%s",
		         cerr.path[0] ? cerr.path : "", cerr.path[0] ? " (in the record assembled from them): " : "",
		         cerr.message);
		st = mn_svc_cds_error(out, 400, "bad-request", msg);
		goto done;
	}

	mn_datetime as_of;
	char as_of_text[32];
	if ((st = mn_svc_as_of(s, &as_of, as_of_text)) != MN_OK)
		goto done;
	mn_buf_reset(&tmp);
	mn_svc_case_warnings(kase, &tmp);
	mn_buf_put(&tmp, fetched.data, fetched.len);
	char *warnings = mn_arena_strdup(a.arena, mn_buf_cstr(&tmp));

	/* order-select: only the selected orders (context.selections) are decided */
	const mn_json *selections = strcmp(hook->hook, "order-select") == 0 ? mn_json_get(context, "selections") : NULL;
	for (size_t i = 0; i < a.norders; i++) {
		const mn_json *order = a.orders[i];
		const char *type = mn_json_get_string(order, "resourceType"), *id = mn_json_get_string(order, "id");
		char *ref = mn_arena_printf(a.arena, "%s/%s", type ? type : "?", id ? id : "?");
		if (!ref) {
			st = MN_ENOMEM;
			goto done;
		}
		if (selections && selections->type == MN_JSON_ARRAY) {
			bool selected = false;
			for (uint32_t k = 0; k < selections->n; k++)
				selected |= mn_json_is_string(&selections->u.items[k], ref);
			if (!selected)
				continue;
		}
		const mn_json *concepts[16];
		size_t nconcepts = order_concepts(order, concepts, 16);
		mn_svc_decision *dec = &decs[ndecs];
		if ((st = mn_svc_decide(s, kase, concepts, nconcepts, &as_of, MN_DETERMINE_POLICY_SCORES, dec, err)) != MN_OK)
			goto done;
		ndecs++;
		/* ids: deterministic over the request (its id, the hook instance) and what was decided */
		const char *parts[] = {req->request_id, hook->hook, hook_instance, ref, dec->policy ? dec->policy->id : "",
		                       dec->policy ? dec->policy->version : "", as_of_text};
		char assertion[32], uuid[40];
		mn_svc_make_id(assertion, parts, 7);
		mn_svc_make_uuid(uuid, parts, 7);
		if (!dec->policy) {
			/* CRD lets a service say nothing about an order it has no rules for; a card says why */
			mn_buf_reset(&tmp);
			if (dec->nmatched == 0) {
				mn_buf_printf(&tmp, "No mednec policy in force on %s applies to the codes of %s (%s): mednec makes no "
				              "coverage statement about this order.\n", as_of_text, ref,
				              dec->codes[0] ? dec->codes : "no codes");
			} else {
				mn_buf_printf(&tmp, "Several policies in force on %s apply to the codes of %s (%s):", as_of_text, ref,
				              dec->codes);
				for (size_t k = 0; k < dec->nmatched; k++)
					mn_buf_printf(&tmp, " %s", dec->matched[k]->id);
				mn_buf_puts(&tmp, ". The service is configured with one policy per service (a policies folder per "
				                  "payer); mednec makes no coverage statement about this order.\n");
			}
			char *detail = mn_arena_strdup(a.arena, mn_buf_cstr(&tmp));
			card(&cards, &ncards, uuid, dec->nmatched ? "mednec: several policies apply; no coverage statement"
			                                          : "mednec: no policy for this order; no coverage statement",
			     "info", detail ? detail : "", ref);
			continue;
		}
		const mn_determination *d = dec->d;
		const mn_policy *p = dec->policy;
		bool excluded = d->outcome == MN_NOT_COVERED || !p->covered;
		bool met = d->outcome == MN_MEETS_CRITERIA && !excluded;
		const char *cov = coverage_ref(kase, order, a.arena);
		if (!first) {
			first = dec;
			memcpy(first_id, assertion, sizeof first_id);
		}
		/* the ext-coverage-information extension (CRD 2.x): covered, pa-needed, doc-needed, date, coverage,
		 * coverage-assertion-id, satisfied-pa-id. crd-ci-q2: no pa-needed when not-covered; crd-ci-q5:
		 * satisfied-pa-id exactly when pa-needed is satisfied; no doc-purpose (crd-ci-q4); no info-needed, as
		 * nothing is conditional (crd-ci-q3). */
		if (cov) {
			mn_buf_reset(&tmp);
			mn_buf_puts(&tmp, "{\"url\":\"" EXT_COVERAGE_INFO "\",\"extension\":[{\"url\":\"coverage\",\"valueReference\":{\"reference\":");
			put_str(&tmp, cov);
			mn_buf_puts(&tmp, "}}");
			put_ext_code(&tmp, "covered", excluded ? "not-covered" : "covered");
			if (!excluded) {
				put_ext_code(&tmp, "pa-needed", met ? "satisfied" : "auth-needed");
				if (!met) {
					put_ext_code(&tmp, "doc-needed", "clinical");
					/* the policy's DTR questionnaire (crd-ci-q1: only with doc-needed; docs/DTR.md) */
					const char *q = mn_arena_printf(a.arena, MN_DTR_CANONICAL_BASE "%s|%s", p->id,
					                                p->version ? p->version : "");
					if (!q) {
						st = MN_ENOMEM;
						goto done;
					}
					mn_buf_puts(&tmp, ",{\"url\":\"questionnaire\",\"valueCanonical\":");
					put_str(&tmp, q);
					mn_buf_putc(&tmp, '}');
				}
			}
			mn_buf_puts(&tmp, ",{\"url\":\"date\",\"valueDate\":");
			put_str(&tmp, as_of_text);
			mn_buf_puts(&tmp, "},{\"url\":\"coverage-assertion-id\",\"valueString\":");
			put_str(&tmp, assertion);
			mn_buf_putc(&tmp, '}');
			if (met) {
				mn_buf_puts(&tmp, ",{\"url\":\"satisfied-pa-id\",\"valueString\":");
				put_str(&tmp, assertion);
				mn_buf_putc(&tmp, '}');
			}
			mn_buf_puts(&tmp, "]}");
			char *ext = mn_arena_strdup(a.arena, mn_buf_cstr(&tmp));
			if (!ext) {
				st = MN_ENOMEM;
				goto done;
			}
			mn_buf_puts(&actions, nactions++ ? ",{" : "{");
			mn_buf_puts(&actions, "\"type\":\"update\",\"description\":");
			put_str(&actions, "Coverage information from mednec");
			mn_buf_puts(&actions, ",\"resource\":");
			write_order(&actions, order, false, ext);
			mn_buf_putc(&actions, '}');
		}
		/* the card a clinician reads */
		mn_buf_reset(&tmp);
		mn_buf_printf(&tmp, "%s under policy %s (version %s), as of %s.\n\n", display_of(p), p->id,
		              p->version ? p->version : "-", as_of_text);
		if (excluded) {
			mn_buf_puts(&tmp, "The policy excludes this service from coverage, whatever the record shows; a physician "
			                  "reviews any request for it.\n\n");
		} else if (met) {
			mn_buf_printf(&tmp, "Every criterion is met on the record: prior authorization is satisfied (id %s).\n\n",
			              assertion);
		} else {
			mn_buf_puts(&tmp, "Prior authorization is needed: the record does not yet show every criterion. Add the "
			                  "missing documentation to the patient's record (or to the prior authorization request) "
			                  "and sign again.\n\n**Missing:**\n\n");
			mn_buf lines = MN_BUF_INIT;
			mn_svc_missing(d, &lines);
			put_list(&tmp, mn_buf_cstr(&lines));
			mn_buf_free(&lines);
			mn_buf_putc(&tmp, '\n');
		}
		mn_buf lines = MN_BUF_INIT;
		mn_svc_met(d, &lines);
		if (lines.len) {
			mn_buf_puts(&tmp, "**Met:**\n\n");
			put_list(&tmp, mn_buf_cstr(&lines));
		}
		mn_buf_free(&lines);
		if (!cov)
			mn_buf_puts(&tmp, "\nNo Coverage was given (order insurance or prefetch): no coverage information is "
			                  "attached to the order.\n");
		if (warnings && *warnings) {
			mn_buf_puts(&tmp, "\n**Data quality:**\n\n");
			put_list(&tmp, warnings);
		}
		char *detail = mn_arena_strdup(a.arena, mn_buf_cstr(&tmp));
		char *summary = mn_arena_printf(a.arena, "%s: %s", display_of(p),
		                                excluded ? "not covered under this policy" :
		                                met ? "covered; prior authorization satisfied" :
		                                "prior authorization needed; documentation missing");
		if (!detail || !summary || tmp.failed) {
			st = MN_ENOMEM;
			goto done;
		}
		card(&cards, &ncards, uuid, summary, met ? "info" : "warning", detail, ref);
		mn_buf_puts(&dets, ndets++ ? "," : "");
		if ((st = mn_render_json(d, &dets)) != MN_OK)
			goto done;
	}

	mn_buf_puts(&body, "{\"cards\":[");
	mn_buf_put(&body, cards.data, cards.len);
	mn_buf_puts(&body, "],\"systemActions\":[");
	mn_buf_put(&body, actions.data, actions.len);
	mn_buf_puts(&body, "]}\n");
	if (body.failed || cards.failed || actions.failed || dets.failed) {
		st = MN_ENOMEM;
		goto done;
	}
	if (first && (st = mn_svc_audit_fields(out, first->policy->id, first->policy->version,
	                                       mn_outcome_name(first->d->outcome), first_id, &body, &dets)) != MN_OK)
		goto done;
	st = mn_svc_respond(out, 200, "application/json", &body);
done:
	for (size_t i = 0; i < ndecs; i++)
		mn_svc_decision_free(&decs[i]);
	mn_case_free(kase);
	mn_buf_free(&record);
	mn_buf_free(&cards);
	mn_buf_free(&actions);
	mn_buf_free(&body);
	mn_buf_free(&dets);
	mn_buf_free(&tmp);
	mn_buf_free(&fetched);
	mn_arena_free(a.arena);
	return st;
}
