/*
 * terminologies.c: %terminologies, the FHIR terminology service API of
 * FHIRPath (FHIR R4/R5 "fhirpath" page, section Terminology Service API),
 * answered from the value sets the caller holds (mn_fp_env_set_valuesets)
 * instead of a terminology server:
 *
 *   expand(valueSet [, params]) : ValueSet       the set's codes, when it lists them
 *   lookup(coded [, params]) : Parameters        display of a code a held set lists
 *   validateVS(valueSet, coded [, params]) : Parameters   result true/false
 *   validateCS(codeSystem, coded [, params]) : Parameters result true when held
 *   subsumes(system, coded1, coded2 [, params]) : code    always an error
 *   translate(conceptMap, coded [, params]) : Parameters  always an error
 *
 * A value set is named as memberOf() names it (the mednec name,
 * "crps-lower-limb"). Whatever the held sets cannot answer is an execution
 * error that says so, never an empty result or a "false" that would claim a
 * code is invalid: a value set defined by prefixes or ranges cannot be
 * expanded; a code that no held set lists cannot be looked up or validated
 * against its code system (mednec holds value sets, not whole code
 * systems); no code system hierarchy is held (subsumes) and no concept map
 * (translate). The params argument is accepted and ignored.
 *
 * Results are FHIR resources built as JSON in the evaluation's arena and
 * typed by the model (ValueSet, Parameters), so that
 * `%terminologies.validateVS(...).parameter.where(name = 'result').value`
 * navigates as usual.
 */
#include "fhirpath/fhirpath_int.h"

#include <stdio.h>
#include <string.h>

const mn_fp_item fp_terminologies_item = {.kind = MN_FP_NODE, .flags = FPI_TERMINOLOGIES};

/* ---- JSON built in the arena ---------------------------------------------- */

static mn_json *jobject(fp_ctx *x, uint32_t cap)
{
	mn_json *o = mn_arena_calloc(x->a, 1, sizeof *o);
	if (!o)
		return NULL;
	o->type = MN_JSON_OBJECT;
	o->u.members = mn_arena_calloc(x->a, cap ? cap : 1, sizeof *o->u.members);
	return o->u.members ? o : NULL;
}

static mn_json *jarray(fp_ctx *x, uint32_t cap)
{
	mn_json *a = mn_arena_calloc(x->a, 1, sizeof *a);
	if (!a)
		return NULL;
	a->type = MN_JSON_ARRAY;
	a->u.items = mn_arena_calloc(x->a, cap ? cap : 1, sizeof *a->u.items);
	return a->u.items ? a : NULL;
}

/* A new member key of o (capacity reserved by the caller). */
static mn_json *jadd(mn_json *o, const char *key)
{
	mn_json_member *m = &o->u.members[o->n++];
	m->key = key;
	m->key_len = (uint32_t)strlen(key);
	return &m->value;
}

static int jstring(fp_ctx *x, mn_json *v, const char *s)
{
	size_t n = strlen(s);
	char *c = mn_arena_strndup(x->a, s, n);
	if (!c)
		return -1;
	v->type = MN_JSON_STRING;
	v->u.s = c;
	v->n = (uint32_t)n;
	return 0;
}

static int nomem(fp_ctx *x, const fp_node *c)
{
	return fp_fail(x, MN_ENOMEM, c, "out of memory");
}

/* Push a built resource, typed by its resourceType. */
static int push_resource(fp_ctx *x, const mn_json *r, fp_coll *out)
{
	mn_fp_item it;
	fp_item_init(&it, MN_FP_NODE);
	it.node = r;
	it.ftype = x->plain ? NULL : fp_node_type(r, NULL);
	return fp_push(x, out, &it);
}

/* Parameters with members: name -> valueBoolean/valueString. */
typedef struct param {
	const char *name;
	int boolean;          /* -1: a string parameter */
	const char *string;
} param;

static int push_parameters(fp_ctx *x, const fp_node *c, const param *p, int n, fp_coll *out)
{
	mn_json *r = jobject(x, 2);
	mn_json *arr = jarray(x, (uint32_t)n);
	if (!r || !arr || jstring(x, jadd(r, "resourceType"), "Parameters"))
		return nomem(x, c);
	*jadd(r, "parameter") = *arr;
	mn_json *items = r->u.members[1].value.u.items;
	for (int i = 0; i < n; i++) {
		mn_json *o = jobject(x, 2);
		if (!o || jstring(x, jadd(o, "name"), p[i].name))
			return nomem(x, c);
		if (p[i].boolean >= 0) {
			jadd(o, "valueBoolean")->type = p[i].boolean ? MN_JSON_TRUE : MN_JSON_FALSE;
		} else if (jstring(x, jadd(o, "valueString"), p[i].string)) {
			return nomem(x, c);
		}
		items[i] = *o;
		r->u.members[1].value.n++;
	}
	return push_resource(x, r, out);
}

/* ---- arguments -------------------------------------------------------------- */

/* The service: the input must be %terminologies and the env must hold the hook. */
static int service(fp_ctx *x, const fp_node *c, const fp_coll *in)
{
	if (in->n != 1 || !(in->v[0].flags & FPI_TERMINOLOGIES))
		return fp_fail(x, MN_EEVAL, c, "%s() is a function of %%terminologies", c->name);
	if (!x->env || !x->env->valuesets)
		return fp_fail(x, MN_EEVAL, c, "%%terminologies.%s(): no terminology service in this environment "
		               "(no value sets were given to it)", c->name);
	return 0;
}

/* Argument i as a string in the arena; 1 when empty. */
static int string_arg(fp_ctx *x, const fp_node *c, int i, const fp_scope *s, const char **out)
{
	fp_coll a = {0};
	const mn_fp_item *it = NULL;
	if (fp_eval(x, c->args[i], s, &a) || fp_singleton(x, c, &a, &it))
		return -1;
	if (!it)
		return 1;
	size_t n;
	const char *str = mn_fp_item_string(it, &n);
	if (!str || (it->kind != MN_FP_STRING && !it->ftype))
		return fp_fail(x, MN_EEVAL, c, "argument %d of %s() must be a string (a name or URI)", i + 1,
		               c->name);
	if (!(*out = mn_arena_strndup(x->a, str, n)))
		return nomem(x, c);
	return 0;
}

typedef struct coding {
	const char *system, *code, *display;
	bool bare;  /* a code given as a string (no Coding around it) */
} coding;

#define MAX_CODINGS 64

/* The codings of argument i: a Coding, a CodeableConcept (its codings) or a
 * code (a string: no system). Returns the count, or -1. */
static int coded_arg(fp_ctx *x, const fp_node *c, int i, const fp_scope *s, coding *out)
{
	fp_coll a = {0};
	const mn_fp_item *it = NULL;
	if (fp_eval(x, c->args[i], s, &a) || fp_singleton(x, c, &a, &it))
		return -1;
	if (!it)
		return 0;
	if (it->kind == MN_FP_STRING) {
		out[0].system = out[0].display = NULL;
		out[0].bare = true;
		if (!(out[0].code = mn_arena_strndup(x->a, it->v.str.s, it->v.str.n)))
			return nomem(x, c);
		return 1;
	}
	if (it->kind != MN_FP_NODE || !it->node || it->node->type != MN_JSON_OBJECT)
		return fp_fail(x, MN_EEVAL, c, "argument %d of %s() must be a Coding, a CodeableConcept or a code",
		               i + 1, c->name);
	const mn_json *codings = mn_json_get(it->node, "coding");
	const mn_json *one = it->node;
	uint32_t n = codings && codings->type == MN_JSON_ARRAY ? codings->n : 1;
	if (n > MAX_CODINGS)
		return fp_fail(x, MN_ELIMIT, c, "%s(): more than %d codings", c->name, MAX_CODINGS);
	int k = 0;
	for (uint32_t j = 0; j < n; j++) {
		const mn_json *cd = codings && codings->type == MN_JSON_ARRAY ? &codings->u.items[j] : one;
		const char *code = mn_json_get_string(cd, "code");
		if (!code)
			continue;
		out[k].system = mn_json_get_string(cd, "system");
		out[k].code = code;
		out[k].display = mn_json_get_string(cd, "display");
		out[k].bare = false;
		k++;
	}
	if (k == 0)
		return fp_fail(x, MN_EEVAL, c, "argument %d of %s() holds no code", i + 1, c->name);
	return k;
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* An entry that lists exactly system|code, in value set vs (NULL: any held set). */
static int find_code(fp_ctx *x, const char *vs, const char *system, const char *code, mn_fp_vs_entry *found)
{
	mn_fp_vs_entry e;
	int r;
	for (size_t i = 0; (r = x->env->valuesets(x->env->valuesets_payload, vs, i, &e)) == 1; i++) {
		if (++x->work > FP_WORK_BUDGET)
			return -2;
		if (e.match == 1 && same(e.code, code) && (!system || same(e.system, system))) {
			*found = e;
			return 1;
		}
	}
	return r;  /* 0 not found, -1 no such value set */
}

static int budget(fp_ctx *x, const fp_node *c)
{
	return fp_fail(x, MN_ELIMIT, c, "evaluation takes more than %llu steps",
	               (unsigned long long)FP_WORK_BUDGET);
}

/* ---- the functions ------------------------------------------------------------ */

#define TFN(name) \
	static int tfn_##name(fp_ctx *x, const fp_node *c, const fp_coll *in, const fp_scope *s, fp_coll *out)

TFN(expand)
{
	const char *vs;
	int r;
	if (service(x, c, in) || (r = string_arg(x, c, 0, s, &vs)) < 0)
		return -1;
	if (r)
		return 0;
	mn_fp_vs_entry e;
	size_t n = 0;
	for (; (r = x->env->valuesets(x->env->valuesets_payload, vs, n, &e)) == 1; n++) {
		if (e.match != 1)
			return fp_fail(x, MN_EEVAL, c, "%%terminologies.expand('%s'): the value set is defined by %s "
			               "(%s%s%s), which mednec cannot enumerate", vs,
			               e.match == 2 ? "a code prefix" : "a code range", e.code,
			               e.match == 2 ? "*" : "..", e.match == 2 ? "" : e.to ? e.to : "");
		if (++x->work > FP_WORK_BUDGET)
			return budget(x, c);
	}
	if (r < 0)
		return fp_fail(x, MN_EEVAL, c, "%%terminologies.expand('%s'): mednec holds no such value set", vs);
	if (n > MN_FP_MAX_ITEMS)
		return fp_fail(x, MN_ELIMIT, c, "%%terminologies.expand('%s'): too many codes", vs);
	/* ValueSet {resourceType, name, status, expansion {total, contains[]}};
	 * excluded codes (memberOf says no) are left out */
	mn_json *r0 = jobject(x, 4), *exp = jobject(x, 2), *contains = jarray(x, (uint32_t)n);
	if (!r0 || !exp || !contains || jstring(x, jadd(r0, "resourceType"), "ValueSet") ||
	    jstring(x, jadd(r0, "name"), vs) || jstring(x, jadd(r0, "status"), "active"))
		return nomem(x, c);
	uint32_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (x->env->valuesets(x->env->valuesets_payload, vs, i, &e) != 1)
			break;
		if (x->env->member && e.system &&
		    x->env->member(x->env->member_payload, vs, e.system, e.code) != 1)
			continue;
		mn_json *o = jobject(x, 3);
		if (!o || (e.system && jstring(x, jadd(o, "system"), e.system)) || jstring(x, jadd(o, "code"), e.code) ||
		    (e.display && jstring(x, jadd(o, "display"), e.display)))
			return nomem(x, c);
		contains->u.items[k++] = *o;
	}
	contains->n = k;
	char total[32];
	snprintf(total, sizeof total, "%u", k);
	mn_json *t = jadd(exp, "total");
	if (jstring(x, t, total))
		return nomem(x, c);
	t->type = MN_JSON_NUMBER;
	*jadd(exp, "contains") = *contains;
	*jadd(r0, "expansion") = *exp;
	return push_resource(x, r0, out);
}

TFN(lookup)
{
	coding cd[MAX_CODINGS];
	int n;
	if (service(x, c, in) || (n = coded_arg(x, c, 0, s, cd)) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n > 1)
		return fp_fail(x, MN_EEVAL, c, "%%terminologies.lookup(): one coding, not %d", n);
	if (!cd[0].system)
		return fp_fail(x, MN_EEVAL, c, "%%terminologies.lookup(): the code '%s' has no system", cd[0].code);
	mn_fp_vs_entry e;
	int r = find_code(x, NULL, cd[0].system, cd[0].code, &e);
	if (r == -2)
		return budget(x, c);
	if (r != 1 || !e.display)
		return fp_fail(x, MN_EEVAL, c, "%%terminologies.lookup(): mednec does not hold %s|%s (it holds value "
		               "sets, not the code system)", cd[0].system, cd[0].code);
	param p[2] = {{"name", -1, cd[0].system}, {"display", -1, e.display}};
	return push_parameters(x, c, p, 2, out);
}

TFN(validateVS)
{
	const char *vs;
	coding cd[MAX_CODINGS];
	int r, n;
	if (service(x, c, in) || (r = string_arg(x, c, 0, s, &vs)) < 0 || (n = coded_arg(x, c, 1, s, cd)) < 0)
		return -1;
	if (r || n == 0)
		return 0;
	mn_fp_vs_entry e;
	if (x->env->valuesets(x->env->valuesets_payload, vs, 0, &e) < 0)
		return fp_fail(x, MN_EEVAL, c, "%%terminologies.validateVS('%s'): mednec holds no such value set", vs);
	if (!x->env->member)
		return fp_fail(x, MN_EEVAL, c, "%%terminologies.validateVS(): no membership test in this environment");
	for (int i = 0; i < n; i++) {
		/* as memberOf(): a coding without a system is never a member; a bare code may be */
		if (!cd[i].system && !cd[i].bare)
			continue;
		int m = x->env->member(x->env->member_payload, vs, cd[i].system, cd[i].code);
		if (m < 0)
			return fp_fail(x, MN_EEVAL, c, "%%terminologies.validateVS('%s'): mednec holds no such value set",
			               vs);
		if (m == 1) {
			int f = find_code(x, vs, cd[i].system, cd[i].code, &e);
			if (f == -2)
				return budget(x, c);
			param p[2] = {{"result", 1, NULL}, {"display", -1, f == 1 ? e.display : NULL}};
			return push_parameters(x, c, p, f == 1 && e.display ? 2 : 1, out);
		}
	}
	char *msg = mn_arena_printf(x->a, "%s%s%s is not in the value set '%s'", cd[0].system ? cd[0].system : "",
	                            cd[0].system ? "|" : "", cd[0].code, vs);
	if (!msg)
		return nomem(x, c);
	param p[2] = {{"result", 0, NULL}, {"message", -1, msg}};
	return push_parameters(x, c, p, 2, out);
}

TFN(validateCS)
{
	const char *cs;
	coding cd[MAX_CODINGS];
	int r, n;
	if (service(x, c, in) || (r = string_arg(x, c, 0, s, &cs)) < 0 || (n = coded_arg(x, c, 1, s, cd)) < 0)
		return -1;
	if (r || n == 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (cd[i].system && strcmp(cd[i].system, cs) != 0)
			continue;
		mn_fp_vs_entry e;
		int f = find_code(x, NULL, cs, cd[i].code, &e);
		if (f == -2)
			return budget(x, c);
		if (f == 1) {
			param p[2] = {{"result", 1, NULL}, {"display", -1, e.display}};
			return push_parameters(x, c, p, e.display ? 2 : 1, out);
		}
	}
	return fp_fail(x, MN_EEVAL, c, "%%terminologies.validateCS('%s'): mednec does not hold this code system, "
	               "only the codes its value sets list, and none of them is '%s'", cs, cd[0].code);
}

TFN(subsumes)
{
	const char *system;
	int r;
	if (service(x, c, in) || (r = string_arg(x, c, 0, s, &system)) < 0)
		return -1;
	if (r)
		return 0;
	return fp_fail(x, MN_EEVAL, c, "%%terminologies.subsumes('%s'): mednec holds no code system hierarchy, "
	               "so it cannot test subsumption", system);
}

TFN(translate)
{
	const char *map;
	int r;
	if (service(x, c, in) || (r = string_arg(x, c, 0, s, &map)) < 0)
		return -1;
	if (r)
		return 0;
	return fp_fail(x, MN_EEVAL, c, "%%terminologies.translate('%s'): mednec holds no concept maps", map);
}

/* Sorted by name. */
static const fp_func TERM_FUNCS[] = {
	{"expand", 1, 2, 0, tfn_expand},
	{"lookup", 1, 2, 0, tfn_lookup},
	{"subsumes", 3, 4, 0, tfn_subsumes},
	{"translate", 2, 3, 0, tfn_translate},
	{"validateCS", 2, 3, 0, tfn_validateCS},
	{"validateVS", 2, 3, 0, tfn_validateVS},
};

const fp_func *fp_term_func_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof TERM_FUNCS / sizeof TERM_FUNCS[0]; i++)
		if (strlen(TERM_FUNCS[i].name) == len && memcmp(TERM_FUNCS[i].name, name, len) == 0)
			return &TERM_FUNCS[i];
	return NULL;
}
