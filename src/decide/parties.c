/*
 * parties.c: who and what a letter names, read from the record: the payer
 * and member (the patient's Coverage), the requesting physician (the
 * request's requester, with NPI and organization), the codes on the order
 * and the diagnoses it gives. The letter writes them; the determination
 * names the ones the record lacks among its data-quality warnings.
 */
#include <string.h>

#include "mednec/decide.h"
#include "decide/decide_int.h"

#define NPI_SYSTEM "http://hl7.org/fhir/sid/us-npi"
#define CPT_SYSTEM "http://www.ama-assn.org/go/cpt"
#define HCPCS_SYSTEM "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
#define ICD10CM_SYSTEM "http://hl7.org/fhir/sid/icd-10-cm"

bool mn_npi_valid(const char *npi)
{
	if (!npi || strlen(npi) != 10)
		return false;
	for (int i = 0; i < 10; i++)
		if (npi[i] < '0' || npi[i] > '9')
			return false;
	/* "80840" then the first 9 digits; from the rightmost of these, every
	 * other digit is doubled (its digits added), the rest added as they are */
	char digits[15];
	memcpy(digits, "80840", 5);
	memcpy(digits + 5, npi, 9);
	int sum = 0;
	for (int i = 13, dbl = 1; i >= 0; i--, dbl = !dbl) {
		int v = digits[i] - '0';
		if (dbl) {
			v *= 2;
			v = v / 10 + v % 10;
		}
		sum += v;
	}
	return (10 - sum % 10) % 10 == npi[9] - '0';
}

static bool is(const mn_resource *r, const char *type)
{
	return r && strcmp(r->type_name, type) == 0;
}

static const mn_resource *resolve(const mn_case *c, const mn_json *ref, const mn_resource *from)
{
	const char *s = mn_json_get_string(ref, "reference");
	return s ? mn_case_resolve(c, s, strlen(s), from) : NULL;
}

static bool same(const mn_resource *a, const mn_resource *b)
{
	while (a && a->container)
		a = a->container;
	while (b && b->container)
		b = b->container;
	return a && a == b;
}

static bool coding_is(const mn_json *coding, const char *system, const char *code)
{
	const char *s = mn_json_get_string(coding, "system"), *c = mn_json_get_string(coding, "code");
	return s && c && strcmp(s, system) == 0 && (!code || strcmp(c, code) == 0);
}

static bool concept_has(const mn_json *cc, const char *system, const char *code)
{
	const mn_json *codings = mn_json_get(cc, "coding");
	for (uint32_t i = 0; codings && codings->type == MN_JSON_ARRAY && i < codings->n; i++)
		if (coding_is(&codings->u.items[i], system, code))
			return true;
	return false;
}

/* The buffer's text in a (NULL when empty), freed; a refused allocation
 * sets *oom: a part lost to it is an error, never a part "not in the record". */
static const char *buf_text(mn_arena *a, mn_buf *b, bool *oom)
{
	const char *s = NULL;
	if (b->failed || (b->len && !(s = mn_arena_strndup(a, b->data, b->len))))
		*oom = true;
	mn_buf_free(b);
	return s;
}

/* sep (when b holds something already) then s: the bytes of mn_buf_printf(b, "%s%s", b->len ? sep : "", s) */
static void put_after(mn_buf *b, const char *sep, const char *s)
{
	if (b->len)
		mn_buf_puts(b, sep);
	mn_buf_puts(b, s);
}

/* "1 Example Plaza, Suite 100, Anytown, XX 00000" from the first Address. */
static const char *address_text(mn_arena *a, const mn_json *addrs, bool *oom)
{
	const mn_json *ad = addrs && addrs->type == MN_JSON_ARRAY && addrs->n ? &addrs->u.items[0] : NULL;
	if (!ad)
		return NULL;
	const char *text = mn_json_get_string(ad, "text");
	if (text)
		return text;
	mn_buf b = MN_BUF_INIT;
	const mn_json *lines = mn_json_get(ad, "line");
	for (uint32_t i = 0; lines && lines->type == MN_JSON_ARRAY && i < lines->n; i++)
		if (lines->u.items[i].type == MN_JSON_STRING)
			put_after(&b, ", ", lines->u.items[i].u.s);
	const char *city = mn_json_get_string(ad, "city"), *state = mn_json_get_string(ad, "state");
	const char *zip = mn_json_get_string(ad, "postalCode");
	if (city)
		put_after(&b, ", ", city);
	if (state)
		put_after(&b, ", ", state);
	if (zip)
		put_after(&b, state ? " " : ", ", zip);
	return buf_text(a, &b, oom);
}

/* The positions of c's resources of type name (mn_case_of_type: in case order), *n of them. */
static const uint32_t *of_type(const mn_case *c, const char *name, size_t *n)
{
	return mn_case_of_type(c, mn_fhir_type_find(name, strlen(name)), n);
}

static const mn_resource *find_patient(const mn_case *c, const mn_resource *request)
{
	const mn_resource *p = request ? resolve(c, mn_json_get(request->json, "subject"), request) : NULL;
	if (is(p, "Patient"))
		return p;
	size_t n;
	const uint32_t *at = of_type(c, "Patient", &n);
	return n ? mn_case_get(c, at[0]) : NULL;
}

/* An active Coverage of the patient, in force on the as-of date. */
static bool coverage_usable(const mn_determination *d, const mn_resource *cov, const mn_resource *patient)
{
	const char *status = mn_json_get_string(cov->json, "status");
	if (!status || strcmp(status, "active") != 0)
		return false;
	const char *end = mn_json_get_string(mn_json_get(cov->json, "period"), "end");
	if (end && strncmp(end, d->as_of_text, 10) < 0)
		return false;
	return patient && same(resolve(d->kase, mn_json_get(cov->json, "beneficiary"), cov), patient);
}

/* texts false (mn_letter_parts_check): what is there, without the texts a letter writes */
static void read_coverage(const mn_determination *d, mn_arena *a, mn_letter_parts *o, bool texts, bool *oom)
{
	const mn_case *c = d->kase;
	size_t n;
	const uint32_t *at = of_type(c, "Coverage", &n);
	for (size_t i = 0; i < n; i++) {
		const mn_resource *r = mn_case_get(c, at[i]);
		if (!o->coverage && coverage_usable(d, r, o->patient))
			o->coverage = r;
		else
			o->coverages_skipped++;
	}
	if (!o->coverage)
		return;
	const mn_json *cov = o->coverage->json;
	const mn_json *payors = mn_json_get(cov, "payor");
	for (uint32_t i = 0; payors && payors->type == MN_JSON_ARRAY && i < payors->n && !o->payer; i++) {
		const mn_resource *org = resolve(c, &payors->u.items[i], o->coverage);
		const char *name = is(org, "Organization") ? mn_json_get_string(org->json, "name") : NULL;
		if (name && *name) {
			o->payer = org;
			o->payer_name = name;
			if (texts)
				o->payer_address = address_text(a, mn_json_get(org->json, "address"), oom);
		}
	}
	const mn_json *ids = mn_json_get(cov, "identifier");
	for (uint32_t i = 0; ids && ids->type == MN_JSON_ARRAY && i < ids->n && !o->member_id; i++)
		if (concept_has(mn_json_get(&ids->u.items[i], "type"), "http://terminology.hl7.org/CodeSystem/v2-0203", "MB"))
			o->member_id = mn_json_get_string(&ids->u.items[i], "value");
	if (!o->member_id)
		o->member_id = mn_json_get_string(cov, "subscriberId");
	mn_buf b = MN_BUF_INIT;
	static const char *const kinds[] = {"plan", "group"};
	const mn_json *classes = mn_json_get(cov, "class");
	for (size_t k = 0; k < 2; k++)
		for (uint32_t i = 0; classes && classes->type == MN_JSON_ARRAY && i < classes->n; i++) {
			const mn_json *cl = &classes->u.items[i];
			if (!concept_has(mn_json_get(cl, "type"), "http://terminology.hl7.org/CodeSystem/coverage-class", kinds[k]))
				continue;
			const char *value = mn_json_get_string(cl, "value"), *name = mn_json_get_string(cl, "name");
			if (!value)
				continue;
			if (!texts) {
				o->plan = value;  /* there is one: no text */
				return;
			}
			/* "%s%s %s%s%s": "; " after another, the kind, the value, ", " and the name when named */
			put_after(&b, "; ", kinds[k]);
			mn_buf_putc(&b, ' ');
			mn_buf_puts(&b, value);
			if (name) {
				mn_buf_puts(&b, ", ");
				mn_buf_puts(&b, name);
			}
		}
	o->plan = buf_text(a, &b, oom);
}

static void read_requester(const mn_determination *d, mn_arena *a, mn_letter_parts *o, bool texts, bool *oom)
{
	const mn_case *c = d->kase;
	const mn_resource *r = resolve(c, mn_json_get(o->request->json, "requester"), o->request);
	const mn_resource *org = NULL;
	if (is(r, "PractitionerRole")) {
		o->requester = r;
		o->practitioner = resolve(c, mn_json_get(r->json, "practitioner"), r);
		if (!is(o->practitioner, "Practitioner"))
			o->practitioner = NULL;
		org = resolve(c, mn_json_get(r->json, "organization"), r);
	} else if (is(r, "Practitioner")) {
		o->requester = o->practitioner = r;
	}
	if (is(org, "Organization") && mn_json_get_string(org->json, "name")) {
		o->organization = org;
		o->organization_name = mn_json_get_string(org->json, "name");
		if (texts)
			o->organization_address = address_text(a, mn_json_get(org->json, "address"), oom);
	}
	const mn_json *p = o->practitioner ? o->practitioner->json : NULL;
	if (!p)
		return;
	const mn_json *ids = mn_json_get(p, "identifier");
	for (uint32_t i = 0; ids && ids->type == MN_JSON_ARRAY && i < ids->n && !o->npi; i++) {
		const char *sys = mn_json_get_string(&ids->u.items[i], "system");
		if (sys && strcmp(sys, NPI_SYSTEM) == 0)
			o->npi = mn_json_get_string(&ids->u.items[i], "value");
	}
	o->npi_valid = mn_npi_valid(o->npi);
	if (!texts)
		return;
	const mn_json *names = mn_json_get(p, "name");
	o->physician_name = mn_fhir_name_text(a, names);
	if (!o->physician_name && names && names->type == MN_JSON_ARRAY && names->n) {
		/* NULL from a name with given or family parts: its copy was refused */
		const mn_json *given = mn_json_get(&names->u.items[0], "given");
		*oom |= mn_json_get_string(&names->u.items[0], "family") ||
		        (given && given->type == MN_JSON_ARRAY && given->n);
	}
	mn_buf b = MN_BUF_INIT;
	const mn_json *quals = mn_json_get(p, "qualification");
	for (uint32_t i = 0; quals && quals->type == MN_JSON_ARRAY && i < quals->n; i++) {
		const char *t = mn_fhir_concept_text(mn_json_get(&quals->u.items[i], "code"));
		if (t)
			put_after(&b, ", ", t);
	}
	o->credentials = buf_text(a, &b, oom);
}

/* Append the codings of cc in system (named name) to *list; with list NULL (mn_letter_parts_check), only *n
 * at least 1 when there is one. */
static void add_codes(mn_arena *a, const mn_json *cc, const mn_resource *from, const char *system, const char *name,
                      mn_letter_code **list, size_t *n)
{
	const mn_json *codings = mn_json_get(cc, "coding");
	for (uint32_t i = 0; codings && codings->type == MN_JSON_ARRAY && i < codings->n; i++) {
		const mn_json *cd = &codings->u.items[i];
		if (!coding_is(cd, system, NULL))
			continue;
		if (!list) {
			*n += !*n;
			return;
		}
		const char *code = mn_json_get_string(cd, "code");
		bool dup = false;
		for (size_t k = 0; k < *n && !dup; k++)
			dup = strcmp((*list)[k].code, code) == 0 && strcmp((*list)[k].system_name, name) == 0;
		if (dup)
			continue;
		mn_letter_code *v = mn_arena_calloc(a, *n + 1, sizeof *v);
		if (!v)
			return;  /* the arena's sticky flag fails the caller */
		if (*n)
			memcpy(v, *list, *n * sizeof *v);
		const char *display = mn_json_get_string(cd, "display");
		v[*n] = (mn_letter_code){name, code, display ? display : mn_json_get_string(cc, "text"), from};
		*list = v;
		(*n)++;
	}
}

/* mn_letter_parts_read, or (texts false) mn_letter_parts_check. */
static mn_status read_parts(const mn_determination *d, mn_arena *a, mn_letter_parts *o, bool texts)
{
	memset(o, 0, sizeof *o);
	bool oom = false;
	const mn_case *c = d->kase;
	o->request = d->nrequests ? d->requests[0].resource : NULL;
	o->patient = find_patient(c, o->request);
	read_coverage(d, a, o, texts, &oom);
	if (o->request) {
		const mn_json *req = o->request->json;
		mn_letter_code **codes = texts ? &o->codes : NULL, **diagnoses = texts ? &o->diagnoses : NULL;
		read_requester(d, a, o, texts, &oom);
		add_codes(a, mn_json_get(req, "code"), o->request, CPT_SYSTEM, "CPT", codes, &o->ncodes);
		add_codes(a, mn_json_get(req, "code"), o->request, HCPCS_SYSTEM, "HCPCS", codes, &o->ncodes);
		const mn_json *rc = mn_json_get(req, "reasonCode");
		for (uint32_t i = 0; rc && rc->type == MN_JSON_ARRAY && i < rc->n; i++)
			add_codes(a, &rc->u.items[i], o->request, ICD10CM_SYSTEM, "ICD-10-CM", diagnoses, &o->ndiagnoses);
		const mn_json *rr = mn_json_get(req, "reasonReference");
		for (uint32_t i = 0; rr && rr->type == MN_JSON_ARRAY && i < rr->n; i++) {
			const mn_resource *cond = resolve(c, &rr->u.items[i], o->request);
			const mn_json *vs = cond ? mn_json_get(cond->json, "verificationStatus") : NULL;
			if (is(cond, "Condition") && !concept_has(vs, "http://terminology.hl7.org/CodeSystem/condition-ver-status",
			                                          "refuted") &&
			    !concept_has(vs, "http://terminology.hl7.org/CodeSystem/condition-ver-status", "entered-in-error"))
				add_codes(a, mn_json_get(cond->json, "code"), cond, ICD10CM_SYSTEM, "ICD-10-CM", diagnoses,
				          &o->ndiagnoses);
		}
	}
	return oom || mn_arena_failed(a) ? MN_ENOMEM : MN_OK;
}

mn_status mn_letter_parts_read(const mn_determination *d, mn_arena *a, mn_letter_parts *o)
{
	return read_parts(d, a, o, true);
}

mn_status mn_letter_parts_check(const mn_determination *d, mn_arena *a, mn_letter_parts *o)
{
	return read_parts(d, a, o, false);
}
