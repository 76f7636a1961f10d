/*
 * native.c: the shipped knowledge/scores.yaml expressions read straight from
 * a resource's JSON (issue 9: one decision evaluated each per finding).
 *
 * A key takes this path only when its expression is, character for
 * character, the one knowledge/scores.yaml ships (mn_clin_native_bit at
 * load): any other text is evaluated as FHIRPath, as always. And a reader
 * answers only for the plain shapes whose FHIRPath result is beyond doubt
 * (an Observation, each element present once with the JSON type its FHIR
 * type has, no primitive extension (_x) beside the elements it reads); for
 * anything else it returns false and the caller evaluates the expression.
 * tests/test_clinical.c compares both paths on adversarial records.
 */
#include <string.h>

#include "scores_int.h"

static const struct {
	const char *path, *text;
	unsigned bit;
} shipped[] = {
	{"date", "(effective.ofType(dateTime) | effective.ofType(instant) | effective.ofType(Period).start).first()",
	 MN_NATIVE_DATE},
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
