/*
 * native.c: the shipped knowledge/scores.yaml expressions read straight from
 * a resource's JSON (issue 9: evaluated as FHIRPath once per finding, they
 * were most of the cost of the clinical scores in one decision).
 *
 * A key takes this path only when its expression is, character for
 * character, the one knowledge/scores.yaml ships (mn_clin_native_bit at
 * load): any other text is evaluated as FHIRPath, as always. And a reader
 * answers only for the plain shapes whose FHIRPath result is beyond doubt
 * (an Observation, each element present once with the JSON type its FHIR
 * type has, no primitive extension (_x) beside the elements it reads); for
 * anything else it answers -2 and the caller evaluates the expression.
 * tests/test_clinical.c compares both paths on adversarial records.
 */
#include <stdint.h>
#include <string.h>

#include "scores_int.h"

static const struct {
	const char *path, *text;
	unsigned bit;
} shipped[] = {
	{"date", "(effective.ofType(dateTime) | effective.ofType(instant) | effective.ofType(Period).start).first()",
	 MN_NATIVE_DATE},
	{"budapest.kind", "code.coding.where(system = 'urn:mednec:local:budapest').code", MN_NATIVE_KIND},
	{"budapest.category", "category.coding.where(system = 'urn:mednec:local:budapest-category').code",
	 MN_NATIVE_CATEGORY},
	{"budapest.encounter", "encounter.reference", MN_NATIVE_ENCOUNTER},
	{"budapest.positive", "iif(value.ofType(boolean).exists(), value.ofType(boolean), iif(value.ofType("
	 "CodeableConcept).coding.where(system = 'urn:mednec:local:finding' and code = 'absent').exists(), false, "
	 "iif(value.ofType(CodeableConcept).coding.where(system = 'urn:mednec:local:finding' and code in ("
	 "'hyperesthesia' | 'allodynia' | 'hyperalgesia' | 'temperature-asymmetry' | 'skin-color-change' | "
	 "'skin-color-asymmetry' | 'edema' | 'sweating-change' | 'sweating-asymmetry' | 'decreased-rom' | "
	 "'motor-dysfunction' | 'weakness' | 'tremor' | 'dystonia' | 'trophic-change')).exists(), true, {})))",
	 MN_NATIVE_POSITIVE},
	{"budapest.answer", "value.ofType(boolean)", MN_NATIVE_ANSWER},
	{"budapest.select", "Observation.where(status in ('final' | 'amended' | 'corrected') and code.coding.where("
	 "system = 'urn:mednec:local:budapest' and (code = 'symptom' or code = 'sign')).exists())",
	 MN_NATIVE_SELECT_FINDINGS},
	{"budapest.disproportionate-pain", "Observation.where(status in ('final' | 'amended' | 'corrected') and "
	 "code.coding.where(system = 'urn:mednec:local:budapest' and code = 'disproportionate-pain').exists())",
	 MN_NATIVE_SELECT_PAIN},
	{"budapest.no-better-diagnosis", "Observation.where(status in ('final' | 'amended' | 'corrected') and "
	 "code.coding.where(system = 'urn:mednec:local:budapest' and code = 'no-better-explanation').exists())",
	 MN_NATIVE_SELECT_NO_BETTER},
	{"odi.select", "Observation.where(status in ('final' | 'amended' | 'corrected') and code.coding.where("
	 "system = 'urn:mednec:local:assessment' and code = 'odi-total').exists())", MN_NATIVE_SELECT_ODI},
	{"odi.total", "value.ofType(Quantity).where(iif(code.exists(), code = '%' and (system.empty() or system = "
	 "'http://unitsofmeasure.org'), unit = '%')).value", MN_NATIVE_ODI_TOTAL},
	{"odi.value", "(value.ofType(Quantity).value | value.ofType(integer) | value.ofType(decimal)).first()",
	 MN_NATIVE_ODI_VALUE},
	{"odi.sections", "component.where(code.coding.where(system = 'urn:mednec:local:odi-section').exists())",
	 MN_NATIVE_ODI_SECTIONS},
};

/* What each shipped select asks for: Observations with status final, amended or corrected and a Coding
 * of the system with one of the codes. */
static const char *const final_status[] = {"final", "amended", "corrected"};
static const char *const findings[] = {"symptom", "sign"};
static const char *const pain[] = {"disproportionate-pain"};
static const char *const no_better[] = {"no-better-explanation"};
static const char *const odi[] = {"odi-total"};
static const struct {
	unsigned bit;
	const char *system;
	const char *const *codes;
	size_t ncodes;
} selects[] = {
	{MN_NATIVE_SELECT_FINDINGS, "urn:mednec:local:budapest", findings, 2},
	{MN_NATIVE_SELECT_PAIN, "urn:mednec:local:budapest", pain, 1},
	{MN_NATIVE_SELECT_NO_BETTER, "urn:mednec:local:budapest", no_better, 1},
	{MN_NATIVE_SELECT_ODI, "urn:mednec:local:assessment", odi, 1},
};

/* The finding codes budapest.positive counts as present (its list above). */
static const char *const present_codes[] = {
	"hyperesthesia", "allodynia", "hyperalgesia", "temperature-asymmetry", "skin-color-change",
	"skin-color-asymmetry", "edema", "sweating-change", "sweating-asymmetry", "decreased-rom",
	"motor-dysfunction", "weakness", "tremor", "dystonia", "trophic-change",
};

unsigned mn_clin_native_bit(const char *path, const char *text)
{
	for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++)
		if (strcmp(shipped[i].path, path) == 0 && strcmp(shipped[i].text, text) == 0)
			return shipped[i].bit;
	return 0;
}

static bool starts(const mn_json_member *m, const char *p, size_t n)
{
	return m->key_len >= n && memcmp(m->key, p, n) == 0;
}

static bool is_key(const mn_json_member *m, const char *k, size_t n)
{
	return m->key_len == n && memcmp(m->key, k, n) == 0;
}

static bool observation(const mn_resource *res)
{
	return res && res->json && res->json->type == MN_JSON_OBJECT && res->type_name &&
	       strcmp(res->type_name, "Observation") == 0;
}

int mn_clin_native_date(const mn_resource *res, mn_datetime *dt)
{
	if (!observation(res))
		return -2;
	const mn_json *r = res->json, *v = NULL;
	size_t seen = 0;
	for (uint32_t i = 0; i < r->n; i++) {
		const mn_json_member *m = &r->u.members[i];
		if (!starts(m, "effective", 9) && !starts(m, "_effective", 10))
			continue;
		if (++seen > 1 || !is_key(m, "effectiveDateTime", 17) || m->value.type != MN_JSON_STRING)
			return -2;
		v = &m->value;
	}
	if (!v)
		return -1;  /* no effective[x]: no date */
	if (mn_datetime_parse_ex(v->u.s, v->n, MN_DT_DATETIME, MN_DT_LENIENT, dt, NULL) != MN_OK ||
	    dt->kind == MN_DT_TIME || dt->precision < MN_DT_DAY)
		return -2;  /* not a dateTime the engine reads (a string), or imprecise: evaluated */
	return 1;
}

/* The one member of object o named key (*v NULL: none); false when it is there twice or has a primitive
 * extension sibling (_key). key: a string literal. */
#define only_member(o, key, v) only_member_n(o, "" key, sizeof "" key - 1, v)
static bool only_member_n(const mn_json *o, const char *key, size_t n, const mn_json **v)
{
	*v = NULL;
	if ((o->flags & (MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE | MN_JSON_F_UNDERSCORE)) ==
	    (MN_JSON_F_KNOWN | MN_JSON_F_UNIQUE)) {
		/* the parser found no "_" key and no key twice: the first of that name is the one */
		for (uint32_t i = 0; i < o->n; i++) {
			const mn_json_member *m = &o->u.members[i];
			if (m->key_len == n && m->key[0] == key[0] && memcmp(m->key, key, n) == 0) {
				*v = &m->value;
				break;
			}
		}
		return true;
	}
	for (uint32_t i = 0; i < o->n; i++) {
		const mn_json_member *m = &o->u.members[i];
		if (m->key_len == n + 1 && m->key[0] == '_' && memcmp(m->key + 1, key, n) == 0)
			return false;
		if (m->key_len == n && m->key[0] == key[0] && memcmp(m->key, key, n) == 0) {
			if (*v)
				return false;
			*v = &m->value;
		}
	}
	return true;
}

/* The codes of the Codings of CodeableConcept cc whose system is sys, in order: *n of them, the first in
 * *first. False when cc is not plain: not an object, coding not an array of objects, a system or code not a
 * string, given twice or with an extension sibling. */
static bool concept_codes(const mn_json *cc, const char *sys, size_t *n, const mn_json **first,
                          const char *const *want, size_t nwant, bool *absent, bool *present)
{
	const mn_json *coding;
	if (cc->type != MN_JSON_OBJECT || !only_member(cc, "coding", &coding))
		return false;
	if (!coding)
		return true;
	if (coding->type != MN_JSON_ARRAY)
		return false;
	size_t sl = strlen(sys);
	for (uint32_t i = 0; i < coding->n; i++) {
		const mn_json *c = &coding->u.items[i], *system, *code;
		if (c->type != MN_JSON_OBJECT || !only_member(c, "system", &system) || !only_member(c, "code", &code) ||
		    (system && system->type != MN_JSON_STRING) || (code && code->type != MN_JSON_STRING))
			return false;
		if (!system || !code || system->n != sl || memcmp(system->u.s, sys, sl) != 0)
			continue;
		if (!(*n)++)
			*first = code;
		for (size_t k = 0; want && k < nwant && !*present; k++)
			if (code->n && code->u.s[0] == want[k][0] && code->n == strlen(want[k]) &&
			    memcmp(code->u.s, want[k], code->n) == 0)
				*present = true;
		if (absent && code->n == 6 && memcmp(code->u.s, "absent", 6) == 0)
			*absent = true;
	}
	return true;
}

int mn_clin_native_codes(const mn_resource *res, bool category, const char **code, bool *many)
{
	const mn_json *v, *first = NULL;
	size_t n = 0;
	bool unused = false;
	*code = NULL;
	*many = false;
	if (!observation(res) || !(category ? only_member(res->json, "category", &v) : only_member(res->json, "code", &v)))
		return -2;
	if (v && !category && !concept_codes(v, "urn:mednec:local:budapest", &n, &first, NULL, 0, NULL, &unused))
		return -2;
	if (v && category) {
		if (v->type != MN_JSON_ARRAY)
			return -2;
		for (uint32_t i = 0; i < v->n; i++)
			if (!concept_codes(&v->u.items[i], "urn:mednec:local:budapest-category", &n, &first, NULL, 0, NULL,
			                   &unused))
				return -2;
	}
	*many = n > 1;
	if (n == 1)
		*code = first->u.s;
	return 1;
}

int mn_clin_native_encounter(const mn_resource *res, const char **ref)
{
	const mn_json *e, *r = NULL;
	*ref = NULL;
	if (!observation(res) || !only_member(res->json, "encounter", &e) ||
	    (e && (e->type != MN_JSON_OBJECT || !only_member(e, "reference", &r))) || (r && r->type != MN_JSON_STRING))
		return -2;
	if (r)
		*ref = r->u.s;
	return 1;
}

/* The one value[x] of an Observation (*v NULL: none, *type its type name); false when there are several or a
 * _value[x]. */
static bool one_value(const mn_resource *res, const mn_json **v, const char **type)
{
	const mn_json *r = res->json;
	*v = NULL;
	for (uint32_t i = 0; i < r->n; i++) {
		const mn_json_member *m = &r->u.members[i];
		if (starts(m, "_value", 6))
			return false;
		if (!starts(m, "value", 5))
			continue;
		if (*v)
			return false;
		*v = &m->value;
		*type = m->key + 5;
	}
	return true;
}

/* valueBoolean as yes or no; anything else but no value at all is not answered here */
static int boolean_value(const mn_json *v, const char *type, mn_tristate *out)
{
	*out = MN_UNKNOWN;
	if (!v)
		return 1;
	if (strcmp(type, "Boolean") != 0 || (v->type != MN_JSON_TRUE && v->type != MN_JSON_FALSE))
		return -2;
	*out = v->type == MN_JSON_TRUE ? MN_YES : MN_NO;
	return 1;
}

int mn_clin_native_answer(const mn_resource *res, mn_tristate *out)
{
	const mn_json *v;
	const char *type;
	if (!observation(res) || !one_value(res, &v, &type))
		return -2;
	return boolean_value(v, type, out);
}

int mn_clin_native_positive(const mn_resource *res, mn_tristate *out)
{
	const mn_json *v, *first;
	const char *type;
	*out = MN_UNKNOWN;
	if (!observation(res) || !one_value(res, &v, &type))
		return -2;
	if (!v || strcmp(type, "CodeableConcept") != 0)
		return boolean_value(v, type, out);
	size_t n = 0;
	bool absent = false, present = false;
	if (!concept_codes(v, "urn:mednec:local:finding", &n, &first, present_codes,
	                   sizeof present_codes / sizeof present_codes[0], &absent, &present))
		return -2;
	*out = absent ? MN_NO : present ? MN_YES : MN_UNKNOWN;
	return 1;
}

static bool one_of(const mn_json *v, const char *const *list, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (v->n == strlen(list[k]) && memcmp(v->u.s, list[k], v->n) == 0)
			return true;
	return false;
}

/* Whether resource r (an Observation) is selected: status final, amended or corrected and a Coding of the
 * system with one of the codes; -2 when it is not plain. */
static int selected(const mn_resource *r, size_t which)
{
	const mn_json *status, *code, *first;
	if (!observation(r) || !only_member(r->json, "status", &status) ||
	    (status && status->type != MN_JSON_STRING) || !only_member(r->json, "code", &code))
		return -2;
	size_t k = 0;
	bool present = false;
	if (code && !concept_codes(code, selects[which].system, &k, &first, selects[which].codes,
	                           selects[which].ncodes, NULL, &present))
		return -2;
	return status && one_of(status, final_status, 3) && present;
}

int mn_clin_native_select(unsigned bit, const mn_case *c, const mn_resource **out, size_t *n)
{
	size_t which = 0;
	while (which < sizeof selects / sizeof selects[0] && selects[which].bit != bit)
		which++;
	if (which == sizeof selects / sizeof selects[0])
		return -2;
	*n = 0;
	/* the candidates: the resources with one of the codes in code.coding (the case's index by code, in case
	 * order); any other resource has none, so the expression leaves it out */
	const uint32_t *pos[2];
	size_t count[2] = {0, 0}, at[2] = {0, 0}, ncodes = selects[which].ncodes;
	for (size_t j = 0; j < ncodes; j++) {
		const uint32_t *unread;
		size_t nunread;
		const char *code = selects[which].codes[j];
		if (!mn_case_coded(c, "code", code, strlen(code), &pos[j], &count[j], &unread, &nunread))
			return -2;
		for (size_t i = 0; i < nunread; i++) {
			const mn_resource *r = mn_case_get(c, unread[i]);
			if (r && r->type_name && strcmp(r->type_name, "Observation") == 0)
				return -2;  /* an Observation the index cannot read: evaluated */
		}
	}
	/* both lists at once, in case order, each resource once */
	while (at[0] < count[0] || (ncodes > 1 && at[1] < count[1])) {
		uint32_t p0 = at[0] < count[0] ? pos[0][at[0]] : UINT32_MAX;
		uint32_t p1 = ncodes > 1 && at[1] < count[1] ? pos[1][at[1]] : UINT32_MAX;
		uint32_t p = p0 < p1 ? p0 : p1;
		at[0] += p0 == p;
		if (ncodes > 1)
			at[1] += p1 == p;
		const mn_resource *r = mn_case_get(c, p);
		if (!r || !r->type_name || strcmp(r->type_name, "Observation") != 0)
			continue;
		int sel = selected(r, which);
		if (sel < 0)
			return -2;
		if (sel)
			out[(*n)++] = r;
	}
	return 1;
}

int mn_clin_native_odi_sections(const mn_resource *res)
{
	const mn_json *c;
	return observation(res) && only_member(res->json, "component", &c) && !c ? 0 : -2;
}

/* A JSON number of at most 15 digits, no sign, fraction or exponent: the same double however it is read. */
static bool small_integer(const mn_json *v, double *out)
{
	if (v->type != MN_JSON_NUMBER || v->n == 0 || v->n > 15)
		return false;
	double d = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (v->u.s[i] < '0' || v->u.s[i] > '9')
			return false;  /* a sign, a fraction, an exponent */
		d = d * 10 + (v->u.s[i] - '0');
	}
	*out = d;
	return true;
}

int mn_clin_native_odi(const mn_resource *res, bool *has_total, double *total, bool *has_value, double *value)
{
	const mn_json *v, *num, *code, *system, *unit;
	const char *type;
	*has_total = *has_value = false;
	if (!observation(res) || !one_value(res, &v, &type))
		return -2;
	if (!v)
		return 1;
	if (strcmp(type, "Quantity") != 0 || v->type != MN_JSON_OBJECT || !only_member(v, "value", &num) ||
	    !only_member(v, "code", &code) || !only_member(v, "system", &system) || !only_member(v, "unit", &unit) ||
	    (code && code->type != MN_JSON_STRING) || (system && system->type != MN_JSON_STRING) ||
	    (unit && unit->type != MN_JSON_STRING) || (num && !small_integer(num, value)))
		return -2;
	if (!num)
		return 1;
	*has_value = true;
	bool percent = code ? code->n == 1 && code->u.s[0] == '%' &&
	                      (!system || (system->n == 25 && memcmp(system->u.s, "http://unitsofmeasure.org", 25) == 0))
	                    : unit && unit->n == 1 && unit->u.s[0] == '%';
	if (percent) {
		*has_total = true;
		*total = *value;
	}
	return 1;
}
