/*
 * service.c: mednec as a service, transport-free (include/mednec/service.h): loading once, routing a request to
 * its endpoint, and the response helpers the endpoints share. Endpoints: discovery.c (GET /cds-services),
 * crd.c (POST /cds-services/{id}), pas.c (POST /Claim/$submit, /Claim/$inquire). docs/SERVICE.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service_int.h"

char *mn_svc_strdup(const char *s, bool *failed)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (!p) {
		*failed = true;
		return NULL;
	}
	memcpy(p, s, n);
	return p;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* The clinical score configuration, as the CLI loads it: none when the knowledge folder has no scores.yaml. */
static mn_status load_scores(const char *dir, mn_score_config **out, mn_error *err)
{
	*out = NULL;
	char *path = join(dir, "scores.yaml");
	if (!path)
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	FILE *f = fopen(path, "rb");
	free(path);
	if (!f)
		return MN_OK;
	fclose(f);
	return mn_score_config_load(dir, out, err);
}

mn_status mn_service_open(const mn_service_options *opt, mn_service **out, mn_error *err)
{
	*out = NULL;
	if (!opt || !opt->home)
		return mn_error_set(err, MN_EUSAGE, "the service needs its home folder (policies/, knowledge/, evidence/)");
	mn_datetime check;
	if (opt->as_of && (mn_datetime_parse(opt->as_of, strlen(opt->as_of), MN_DT_DATE, &check, NULL) != MN_OK ||
	                   check.precision != MN_DT_DAY))
		return mn_error_set(err, MN_EUSAGE, "as-of '%s' is not a full date (YYYY-MM-DD)", opt->as_of);
	if (mn_svc_fetch_init() != MN_OK)
		return mn_error_set(err, MN_EINTERNAL, "libcurl cannot be initialised");
	mn_service *s = calloc(1, sizeof *s);
	if (!s) {
		mn_svc_fetch_cleanup();
		return mn_error_set(err, MN_ENOMEM, "out of memory");
	}
	bool failed = false;
	s->home = mn_svc_strdup(opt->home, &failed);
	s->policies_dir = opt->policies ? mn_svc_strdup(opt->policies, &failed) : join(opt->home, "policies");
	s->as_of = mn_svc_strdup(opt->as_of, &failed);
	s->base_url = mn_svc_strdup(opt->base_url, &failed);
	s->audit = opt->audit;
	char *evidence = join(opt->home, "evidence"), *knowledge = join(opt->home, "knowledge");
	mn_arena *arena = mn_arena_new();
	const char **stems = NULL;
	mn_status st = MN_OK;
	if (failed || !s->policies_dir || !evidence || !knowledge || !arena) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	if ((st = mn_library_load(evidence, &s->lib, err)) != MN_OK || (st = load_scores(knowledge, &s->scores, err)) != MN_OK ||
	    (st = mn_tables_load(knowledge, &s->tables, err)) != MN_OK ||
	    (st = mn_policy_list(s->policies_dir, arena, &stems, err)) != MN_OK)
		goto done;
	size_t n = 0;
	while (stems[n])
		n++;
	s->policies = calloc(n ? n : 1, sizeof *s->policies);
	if (!s->policies) {
		st = mn_error_set(err, MN_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if ((st = mn_policy_load(s->policies_dir, stems[i], s->lib, &s->policies[i], err)) != MN_OK)
			goto done;
		s->npolicies++;
	}
done:
	free(evidence);
	free(knowledge);
	mn_arena_free(arena);
	if (st != MN_OK) {
		mn_service_close(s);
		return st;
	}
	*out = s;
	return MN_OK;
}

void mn_service_close(mn_service *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npolicies; i++)
		mn_policy_free(s->policies[i]);
	free(s->policies);
	mn_tables_free(s->tables);
	mn_score_config_free(s->scores);
	mn_library_free(s->lib);
	free(s->home);
	free(s->policies_dir);
	free(s->as_of);
	free(s->base_url);
	free(s);
	mn_svc_fetch_cleanup();
}

mn_status mn_svc_as_of(const mn_service *s, mn_datetime *out, char text[32])
{
	if (s->as_of) {
		snprintf(text, 32, "%s", s->as_of);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		if (!gmtime_r(&now, &tm))
			return MN_EINTERNAL;
		snprintf(text, 32, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
	return mn_datetime_parse(text, strlen(text), MN_DT_DATE, out, NULL) == MN_OK ? MN_OK : MN_EINTERNAL;
}

mn_status mn_svc_respond(mn_service_response *out, int status, const char *content_type, mn_buf *b)
{
	if (b->failed) {
		mn_buf_free(b);
		return MN_ENOMEM;
	}
	if (!b->len && mn_buf_puts(b, "") != 0)
		return MN_ENOMEM;
	size_t len = 0;
	char *body = mn_buf_detach(b, &len);
	if (!body) {
		body = malloc(1);
		if (!body)
			return MN_ENOMEM;
		body[0] = '\0';
		len = 0;
	}
	free(out->body);
	out->status = status;
	out->content_type = content_type;
	out->body = body;
	out->body_len = len;
	return MN_OK;
}

static void put_str(mn_buf *b, const char *s)
{
	mn_buf_put_json_string(b, s, strlen(s));
}

mn_status mn_svc_outcome(mn_service_response *out, int status, const char *code, const char *diagnostics,
                         const char *expression)
{
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":");
	put_str(&b, code);
	mn_buf_puts(&b, ",\"diagnostics\":");
	put_str(&b, diagnostics);
	if (expression) {
		mn_buf_puts(&b, ",\"expression\":[");
		put_str(&b, expression);
		mn_buf_puts(&b, "]");
	}
	mn_buf_puts(&b, "}]}\n");
	return mn_svc_respond(out, status, "application/fhir+json", &b);
}

mn_status mn_svc_cds_error(mn_service_response *out, int status, const char *error, const char *message)
{
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"error\":");
	put_str(&b, error);
	mn_buf_puts(&b, ",\"message\":");
	put_str(&b, message);
	mn_buf_puts(&b, "}\n");
	return mn_svc_respond(out, status, "application/json", &b);
}

void mn_svc_json_error_text(const mn_error *err, char *msg, size_t n)
{
	snprintf(msg, n, "malformed JSON at line %d, column %d: %s", err->line, err->column, err->message);
}

static bool code_in(const mn_code *codes, size_t n, const char *system, const char *code)
{
	for (size_t k = 0; k < n; k++) {
		const mn_code *c = &codes[k];
		if (c->code && strcmp(c->code, code) == 0 && (!c->system || (system && strcmp(c->system, system) == 0)))
			return true;
	}
	return false;
}

/* A code of service.codes identifies the service on its own unless it is also one of service.sharedCodes. */
static bool coding_matches(const mn_policy *p, const char *system, const char *code)
{
	return code_in(p->service_codes, p->nservice_codes, system, code) &&
	       !code_in(p->service_shared_codes, p->nservice_shared_codes, system, code);
}

size_t mn_svc_match_code(const mn_service *s, const char *system, const char *code, const mn_datetime *as_of,
                         const mn_policy **found, size_t max)
{
	size_t n = 0;
	if (!code)
		return 0;
	for (size_t i = 0; i < s->npolicies && n < max; i++) {
		const mn_policy *p = s->policies[i];
		if (!mn_policy_in_force(p, as_of) || !coding_matches(p, system, code))
			continue;
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			dup |= found[j] == p;
		if (!dup)
			found[n++] = p;
	}
	return n;
}

static bool path_is(const char *path, const char *want)
{
	return strcmp(path, want) == 0;
}

mn_status mn_service_handle(mn_service *s, const mn_service_request *req, mn_service_response *out, mn_error *err)
{
	memset(out, 0, sizeof *out);
	if (!s || !req || !req->method || !req->path)
		return mn_error_set(err, MN_EUSAGE, "mn_service_handle: no service or request");
	bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
	const char *path = req->path;
	static const char prefix[] = "/cds-services";
	mn_status st;
	if (path_is(path, prefix) || path_is(path, "/cds-services/")) {
		st = get ? mn_svc_discovery(s, req, out, err)
		         : mn_svc_cds_error(out, 405, "method-not-allowed", "GET /cds-services lists the services");
	} else if (strncmp(path, "/cds-services/", sizeof prefix) == 0) {
		const char *id = path + sizeof prefix;
		st = post ? mn_svc_crd(s, id, req, out, err)
		          : mn_svc_cds_error(out, 405, "method-not-allowed", "a CDS service is called with POST");
	} else if (path_is(path, "/Claim/$submit")) {
		st = post ? mn_svc_pas_submit(s, req, out, err)
		          : mn_svc_outcome(out, 405, "not-supported", "Claim/$submit is called with POST", NULL);
	} else if (path_is(path, "/Claim/$inquire")) {
		st = post ? mn_svc_pas_inquire(s, req, out, err)
		          : mn_svc_outcome(out, 405, "not-supported", "Claim/$inquire is called with POST", NULL);
	} else if (path_is(path, "/Questionnaire/$questionnaire-package")) {
		st = post ? mn_svc_dtr_package(s, req, out, err)
		          : mn_svc_outcome(out, 405, "not-supported", "Questionnaire/$questionnaire-package is called with POST",
		                           NULL);
	} else {
		st = mn_svc_outcome(out, 404, "not-found", "no such endpoint (see GET /cds-services, POST /Claim/$submit)",
		                    NULL);
	}
	if (st == MN_OK && !out->endpoint) {
		bool failed = false;
		out->endpoint = mn_svc_strdup(path[0] == '/' ? path + 1 : path, &failed);
		if (failed)
			st = MN_ENOMEM;
	}
	if (st != MN_OK) {
		mn_service_response_free(out);
		if (!err || !err->code)
			mn_error_set(err, st, "%s", st == MN_ENOMEM ? "out of memory" : "internal error");
	}
	return st;
}

void mn_service_response_free(mn_service_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->endpoint);
	free(r->policy_id);
	free(r->policy_version);
	free(r->outcome);
	free(r->lookup_key);
	free(r->determination);
	memset(r, 0, sizeof *r);
}

/* ---- deciding one order or claim item ---------------------------------- */

static void add_match(mn_svc_decision *out, const mn_policy *p)
{
	for (size_t m = 0; m < out->nmatched; m++)
		if (out->matched[m] == p)
			return;
	if (out->nmatched < MN_SVC_MAX_MATCH)
		out->matched[out->nmatched++] = p;
}

static void add_codes(const mn_service *s, const mn_json *concept, const mn_datetime *as_of, mn_svc_decision *out)
{
	if (!concept || concept->type != MN_JSON_OBJECT)
		return;
	const mn_json *codings = mn_json_get(concept, "coding");
	for (uint32_t i = 0; codings && codings->type == MN_JSON_ARRAY && i < codings->n; i++) {
		const mn_json *c = &codings->u.items[i];
		const char *system = mn_json_get_string(c, "system"), *code = mn_json_get_string(c, "code");
		if (!code)
			continue;
		size_t len = strlen(out->codes);
		if (len + 4 < sizeof out->codes)
			snprintf(out->codes + len, sizeof out->codes - len, "%s%s|%s", len ? ", " : "", system ? system : "",
			         code);
		const mn_policy *one[MN_SVC_MAX_MATCH];
		size_t k = mn_svc_match_code(s, system, code, as_of, one, MN_SVC_MAX_MATCH);
		for (size_t j = 0; j < k; j++)
			add_match(out, one[j]);
	}
}

/* ---- shared codes: one code, several services (docs/CODING.md) ---- */

/* Does text contain one of the policy's terms as words (mn_text_has_phrase: ASCII case ignored, "gangli*" a
 * prefix)? */
static bool text_names(const mn_policy *p, const char *text)
{
	for (size_t t = 0; text && t < p->nservice_terms; t++)
		if (mn_text_has_phrase(text, p->service_terms[t]))
			return true;
	return false;
}

/* The concept's text or one of its codings' displays names one of the policy's terms. */
static bool concept_names(const mn_policy *p, const mn_json *concept)
{
	if (!concept || concept->type != MN_JSON_OBJECT)
		return false;
	if (text_names(p, mn_json_get_string(concept, "text")))
		return true;
	const mn_json *codings = mn_json_get(concept, "coding");
	for (uint32_t i = 0; codings && codings->type == MN_JSON_ARRAY && i < codings->n; i++)
		if (text_names(p, mn_json_get_string(&codings->u.items[i], "display")))
			return true;
	return false;
}

/* The concept carries one of the policy's shared codes. */
static bool concept_shares(const mn_policy *p, const mn_json *concept)
{
	if (!concept || concept->type != MN_JSON_OBJECT)
		return false;
	const mn_json *codings = mn_json_get(concept, "coding");
	for (uint32_t i = 0; codings && codings->type == MN_JSON_ARRAY && i < codings->n; i++) {
		const mn_json *c = &codings->u.items[i];
		const char *code = mn_json_get_string(c, "code");
		if (code && code_in(p->service_shared_codes, p->nservice_shared_codes, mn_json_get_string(c, "system"), code))
			return true;
	}
	return false;
}

/* A request of the record (ServiceRequest, DeviceRequest, ...: the order itself in CRD, the ordered service
 * behind a PAS Claim) carries one of the policy's shared codes and names one of its terms in its code or in a
 * bodySite. */
static bool record_names(const mn_policy *p, const mn_case *kase)
{
	for (size_t i = 0; kase && i < mn_case_count(kase); i++) {
		const mn_resource *r = mn_case_get(kase, i);
		size_t n = r && r->type_name ? strlen(r->type_name) : 0;
		if (n < 7 || strcmp(r->type_name + n - 7, "Request") != 0)
			continue;
		const mn_json *code = mn_json_get(r->json, "code");
		if (!concept_shares(p, code))
			continue;
		if (concept_names(p, code))
			return true;
		const mn_json *sites = mn_json_get(r->json, "bodySite");
		for (uint32_t k = 0; sites && sites->type == MN_JSON_ARRAY && k < sites->n; k++)
			if (concept_names(p, &sites->u.items[k]))
				return true;
	}
	return false;
}

static void add_shared(const mn_service *s, const mn_case *kase, const mn_json *const *concepts, size_t nconcepts,
                       const mn_datetime *as_of, mn_svc_decision *out)
{
	const mn_policy *untold[MN_SVC_MAX_MATCH];
	size_t nuntold = 0;
	for (size_t i = 0; i < s->npolicies; i++) {
		const mn_policy *p = s->policies[i];
		if (!p->nservice_shared_codes || !mn_policy_in_force(p, as_of))
			continue;
		bool shares = false, told = false;
		for (size_t c = 0; c < nconcepts; c++) {
			if (!concept_shares(p, concepts[c]))
				continue;
			shares = true;
			told |= concept_names(p, concepts[c]);
		}
		if (!shares)
			continue;
		if (told || record_names(p, kase))
			add_match(out, p);
		else if (nuntold < MN_SVC_MAX_MATCH)
			untold[nuntold++] = p;
	}
	if (out->nmatched || !nuntold)
		return;
	/* only shared codes, and nothing says which service: no decision, the candidates and the reason */
	out->undistinguished = true;
	for (size_t j = 0; j < nuntold; j++)
		add_match(out, untold[j]);
	size_t len = strlen(out->codes);
	snprintf(out->codes + len, sizeof out->codes - len, "%s",
	         "; info needed: these codes are shared by the policies of more than one service, and neither the "
	         "order nor the record names which service (say it in the order's text or body site)");
}

mn_status mn_svc_decide(const mn_service *s, const mn_case *kase, const mn_json *const *concepts, size_t nconcepts,
                        const mn_datetime *as_of, unsigned determine_flags, mn_svc_decision *out, mn_error *err)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < nconcepts; i++)
		add_codes(s, concepts[i], as_of, out);
	add_shared(s, kase, concepts, nconcepts, as_of, out);
	if (out->nmatched != 1 || out->undistinguished)
		return MN_OK;
	out->policy = out->matched[0];
	mn_determine_options opts = {s->scores, s->tables};
	return mn_determine_flags(out->policy, kase, as_of, &opts, determine_flags, &out->d, err);
}

void mn_svc_decision_free(mn_svc_decision *dec)
{
	if (dec) {
		mn_determination_free(dec->d);
		dec->d = NULL;
	}
}

static void criteria_lines(const mn_determination *d, mn_buf *b, bool met)
{
	for (size_t i = 0; i < d->nresults; i++) {
		const mn_criterion_result *r = &d->results[i];
		if ((r->status == MN_CRIT_MET) != met)
			continue;
		const char *title = r->criterion->title ? r->criterion->title : r->criterion->id;
		if (met && title) {
			/* "title[: met_because]\n" without printf (a card lists every met criterion) */
			mn_buf_puts(b, title);
			if (r->met_because) {
				mn_buf_puts(b, ": ");
				mn_buf_puts(b, r->met_because);
			}
			mn_buf_putc(b, '\n');
		} else if (met)
			mn_buf_printf(b, "%s%s%s\n", title, r->met_because ? ": " : "", r->met_because ? r->met_because : "");
		else
			mn_buf_printf(b, "%s: %s\n", title, r->status == MN_CRIT_NOT_MET ? "not met on the record" : "not documented");
	}
}

void mn_svc_missing(const mn_determination *d, mn_buf *b)
{
	if (!d->request_found)
		mn_buf_printf(b, "The record holds no active order for %s that the policy recognizes\n",
		              d->policy->service_display ? d->policy->service_display : d->policy->id);
	criteria_lines(d, b, false);
}

void mn_svc_met(const mn_determination *d, mn_buf *b)
{
	criteria_lines(d, b, true);
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	h ^= 0xff;  /* separator: ("ab","c") and ("a","bc") differ */
	return h * 1099511628211ull;
}

static uint64_t hash_parts(uint64_t h, const char *const *parts, size_t nparts)
{
	for (size_t i = 0; i < nparts; i++)
		h = fnv(h, parts[i] ? parts[i] : "");
	return h;
}

void mn_svc_make_id(char buf[32], const char *const *parts, size_t nparts)
{
	snprintf(buf, 32, "mednec-%016llx", (unsigned long long)hash_parts(14695981039346656037ull, parts, nparts));
}

void mn_svc_make_uuid(char buf[40], const char *const *parts, size_t nparts)
{
	uint64_t a = hash_parts(14695981039346656037ull, parts, nparts), b = hash_parts(0x6a09e667f3bcc909ull, parts, nparts);
	/* version 8 (RFC 9562: custom), variant 10 */
	snprintf(buf, 40, "%08llx-%04llx-8%03llx-%04llx-%012llx", (unsigned long long)(a >> 32),
	         (unsigned long long)((a >> 16) & 0xffff), (unsigned long long)(a & 0xfff),
	         (unsigned long long)(0x8000 | ((b >> 48) & 0x3fff)), (unsigned long long)(b & 0xffffffffffffull));
}

void mn_svc_case_warnings(const mn_case *c, mn_buf *b)
{
	size_t n = mn_case_unresolved(c);
	if (n) {
		mn_buf_printf(b, "%zu reference%s not resolve within the record and resolve%s to nothing", n,
		              n == 1 ? " does" : "s do", n == 1 ? "s" : "");
		for (size_t i = 0; mn_case_unresolved_at(c, i); i++)
			mn_buf_printf(b, "%s%s", i ? "; " : ": ", mn_case_unresolved_at(c, i));
		mn_buf_puts(b, n > MN_CASE_UNRESOLVED_KEPT ? "; ...\n" : "\n");
	}
	n = mn_case_problems(c);
	if (n) {
		mn_buf_printf(b, "%zu data-quality problem%s in the record, treated as absent", n, n == 1 ? "" : "s");
		for (size_t i = 0; mn_case_problem_at(c, i); i++)
			mn_buf_printf(b, "%s%s", i ? "; " : ": ", mn_case_problem_at(c, i));
		mn_buf_puts(b, n > MN_CASE_PROBLEMS_KEPT ? "; ...\n" : "\n");
	}
}

mn_status mn_svc_audit_fields(mn_service_response *out, const char *policy_id, const char *policy_version,
                              const char *outcome, const char *lookup_key, const mn_buf *body, const mn_buf *dets)
{
	bool failed = false;
	mn_buf rec = MN_BUF_INIT;
	mn_buf_puts(&rec, "{\"response\":");
	mn_buf_put(&rec, body->data, body->len && body->data[body->len - 1] == '\n' ? body->len - 1 : body->len);
	mn_buf_puts(&rec, ",\"determinations\":[");
	mn_buf_put(&rec, dets->data, dets->len);
	mn_buf_puts(&rec, "]}");
	out->decided = 1;
	out->determination = rec.failed ? NULL : mn_buf_detach(&rec, NULL);
	mn_buf_free(&rec);
	failed |= out->determination == NULL;
	out->policy_id = mn_svc_strdup(policy_id ? policy_id : "", &failed);
	out->policy_version = mn_svc_strdup(policy_version ? policy_version : "", &failed);
	out->outcome = mn_svc_strdup(outcome ? outcome : "", &failed);
	out->lookup_key = mn_svc_strdup(lookup_key ? lookup_key : "", &failed);
	return failed ? MN_ENOMEM : MN_OK;
}
