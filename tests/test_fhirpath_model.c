/*
 * test_fhirpath_model.c: FHIRPath with and without the FHIR model.
 *
 * - MN_FP_MODEL_NONE: plain JSON navigation, System types only (issue 13
 *   item 4), as fhirpath.js evaluates without a model;
 * - MN_FP_LENIENT: "valueQuantity"-style names select the typed choice
 *   element (issue 10 item 3), and without the flag they stay a semantic
 *   error as the specification asks;
 * - typed evaluation of a resource with an element the model does not know:
 *   the rest evaluates, the unknown element is absent (and the lenient case
 *   loader reports it with its JSON location);
 * - x.ofType(T) on a member step (fp_node.prune_left): the step leaves out
 *   the JSON members no item of which ofType(T) keeps; each answer is
 *   checked on that path and on the general one (x.where(true).ofType(T));
 * - %terminologies over a value-set hook (expand, lookup, validateVS,
 *   validateCS, subsumes, translate), with errors for what is not held.
 *
 * Every expected value is worked by hand from the JSON written here.
 */
#include "fhirpath/fhirpath_int.h"
#include "mednec/fhirpath.h"
#include "mednec/json.h"
#include "test.h"

static mn_fp_env *ENV;
static mn_arena *A;
static char OUT[4096];

/* The result as its items in eval's JSON form joined by ',', or "ERR:<status name>". */
static const char *ev(const char *expr, const char *json, unsigned flags)
{
	mn_error err;
	mn_error_clear(&err);
	mn_json *root = NULL;
	if (json && mn_json_parse(A, "test", json, strlen(json), &root, &err) != MN_OK) {
		snprintf(OUT, sizeof OUT, "ERR:json %s", err.message);
		return OUT;
	}
	mn_fp_expr *e = mn_fp_compile_ex(expr, -1, flags, &err);
	if (!e) {
		snprintf(OUT, sizeof OUT, "ERR:%s", mn_status_name(err.code));
		return OUT;
	}
	mn_fp_result *r;
	if (mn_fp_eval(e, ENV, root, A, &r, &err) != MN_OK) {
		snprintf(OUT, sizeof OUT, "ERR:%s", mn_status_name(err.code));
		mn_fp_expr_free(e);
		return OUT;
	}
	mn_buf b = MN_BUF_INIT;
	for (size_t i = 0; i < mn_fp_result_count(r); i++) {
		if (i)
			mn_buf_putc(&b, ',');
		mn_fp_item_write_json(mn_fp_result_item(r, i), &b);
	}
	snprintf(OUT, sizeof OUT, "%s", b.len ? mn_buf_cstr(&b) : "");
	mn_buf_free(&b);
	mn_fp_expr_free(e);
	return OUT;
}

#define NONE MN_FP_MODEL_NONE
#define LEN MN_FP_LENIENT

static const char *ERR_EVAL = "ERR:fhirpath-execution";
static const char *ERR_SEM = "ERR:fhirpath-semantic";

/* ---- model none ------------------------------------------------------------- */

static void test_model_none(void)
{
	const char *J = "{\"a\":{\"b\":[1,2.50,[3,\"x\"]],\"c\":true,\"d\":null},\"e\":\"2026-01-01\",\"f\":1e2,"
	                "\"g\":-7}";
	/* arrays flatten, nested ones too; numbers keep their text */
	CHECK_STR(ev("a.b", J, NONE), "1,2.50,3,\"x\"");
	CHECK_STR(ev("a.b.count()", J, NONE), "4");
	/* JSON number written without fraction or exponent: Integer; else Decimal */
	CHECK_STR(ev("a.b[0].is(Integer)", J, NONE), "true");
	CHECK_STR(ev("a.b[1].is(Decimal)", J, NONE), "true");
	CHECK_STR(ev("a.b[1] = 2.5", J, NONE), "true");
	CHECK_STR(ev("f.is(Decimal)", J, NONE), "true");
	CHECK_STR(ev("f = 100.0", J, NONE), "true");
	CHECK_STR(ev("g + 10", J, NONE), "3");
	CHECK_STR(ev("a.b.where($this is String)", J, NONE), "\"x\"");
	/* true/false Boolean, null empty, strings String (never a Date: no model) */
	CHECK_STR(ev("a.c.is(Boolean)", J, NONE), "true");
	CHECK_STR(ev("a.d.exists()", J, NONE), "false");
	CHECK_STR(ev("e.is(String)", J, NONE), "true");
	CHECK_STR(ev("e.is(Date)", J, NONE), "false");
	CHECK_STR(ev("e.toDate() = @2026-01-01", J, NONE), "true");
	/* a name no member has is empty, not an error */
	CHECK_STR(ev("zzz.y", J, NONE), "");

	/* the context may be any JSON value: an array is its items, a primitive itself */
	CHECK_STR(ev("count()", "[1,{\"x\":2},[3]]", NONE), "3");
	CHECK_STR(ev("x", "[1,{\"x\":2},[3]]", NONE), "2");
	CHECK_STR(ev("$this.length()", "\"abc\"", NONE), "3");
	CHECK_STR(ev("$this + 1", "41", NONE), "42");
	CHECK_STR(ev("exists()", "null", NONE), "false");

	/* a first name equal to the context's resourceType selects the context */
	const char *P = "{\"resourceType\":\"Patient\",\"name\":[{\"given\":[\"Ann\",\"B\"]}],\"birthDate\":\"1980\"}";
	CHECK_STR(ev("Patient.name.given", P, NONE), "\"Ann\",\"B\"");
	CHECK_STR(ev("name.given.first()", P, NONE), "\"Ann\"");
	/* ... else it is a member name (none here): empty, no error */
	CHECK_STR(ev("Observation.name", P, NONE), "");
	CHECK_STR(ev("Patient.resourceType", P, NONE), "\"Patient\"");
	/* the typed engine knows birthDate is a date; without the model it is a String */
	CHECK_STR(ev("Patient.birthDate.is(String)", P, NONE), "true");
	CHECK_STR(ev("Patient.birthDate.is(date)", P, 0), "true");
	CHECK_STR(ev("Patient.birthDate.is(date)", P, NONE), "false");
	/* no compile-time element check without the model */
	CHECK_STR(ev("Patient.foo", P, NONE), "");
	CHECK_STR(ev("Patient.foo", P, 0), ERR_SEM);

	/* no choice suffixes and no "_name" siblings: plain names only */
	const char *O = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
	                "\"valueQuantity\":{\"value\":1.5,\"unit\":\"mg\"},"
	                "\"_status\":{\"id\":\"s1\"}}";
	CHECK_STR(ev("Observation.value", O, NONE), "");
	CHECK_STR(ev("Observation.valueQuantity.value", O, NONE), "1.5");
	CHECK_STR(ev("Observation.value.value", O, 0), "1.5");  /* the typed engine, for contrast */
	CHECK_STR(ev("Observation.status.id", O, NONE), "");
	CHECK_STR(ev("Observation._status.id", O, NONE), "\"s1\"");
	CHECK_STR(ev("Observation.status.id", O, 0), "\"s1\"");
	/* objects are no FHIR type: a Quantity-shaped object is not a Quantity */
	CHECK_STR(ev("Observation.valueQuantity.is(Quantity)", O, NONE), "false");
}

static void test_model_none_children(void)
{
	const char *J = "{\"a\":{\"b\":[1,2.50,[3,\"x\"]],\"c\":true,\"d\":null}}";
	/* a's members: b (1, 2.50, 3, "x" once flattened) and c; d is null: 5 items */
	CHECK_STR(ev("a.children().count()", J, NONE), "5");
	/* descendants of the root: a, then its 5 */
	CHECK_STR(ev("descendants().count()", J, NONE), "6");
}

/* Without a model, the contexts of mn_fp_eval_case and mn_fp_eval_items are
 * plain objects too (their FHIR types are not used). */
static void test_model_none_contexts(void)
{
	const char *O = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
	                "\"valueQuantity\":{\"value\":2,\"unit\":\"mg\"}}";
	mn_error err;
	mn_error_clear(&err);
	mn_case *c = NULL;
	CHECK(mn_case_load("o.json", O, strlen(O), &c, &err) == MN_OK);
	if (!c)
		return;
	mn_fp_expr *typed = mn_fp_compile("Observation", -1, &err);
	mn_fp_expr *plain_value = mn_fp_compile_ex("value", -1, MN_FP_MODEL_NONE, &err);
	mn_fp_expr *plain_vq = mn_fp_compile_ex("Observation.valueQuantity.value", -1, MN_FP_MODEL_NONE, &err);
	mn_fp_result *r = NULL, *items = NULL;
	CHECK(typed && plain_value && plain_vq);
	if (typed && plain_value && plain_vq) {
		/* the case's resources: Observation matches by resourceType, valueQuantity is a plain name */
		CHECK(mn_fp_eval_case(plain_vq, ENV, c, A, &r, &err) == MN_OK && mn_fp_result_count(r) == 1 &&
		      mn_fp_item_integer(mn_fp_result_item(r, 0)) == 2);
		/* typed items handed over: "value" is no member name of the JSON, so empty */
		CHECK(mn_fp_eval_case(typed, ENV, c, A, &items, &err) == MN_OK && mn_fp_result_count(items) == 1);
		CHECK(mn_fp_eval_items(plain_value, ENV, items, A, &r, &err) == MN_OK && mn_fp_result_count(r) == 0);
	}
	mn_fp_expr_free(typed);
	mn_fp_expr_free(plain_value);
	mn_fp_expr_free(plain_vq);
	mn_case_free(c);
}

/* ---- lenient names ------------------------------------------------------------ */

static void test_lenient(void)
{
	const char *O = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"weight\"},"
	                "\"valueQuantity\":{\"value\":185,\"unit\":\"lb\",\"system\":\"http://unitsofmeasure.org\","
	                "\"code\":\"[lb_av]\"}}";
	/* per specification (no flag): the JSON name of a choice element is an error */
	CHECK_STR(ev("Observation.valueQuantity.value", O, 0), ERR_SEM);
	CHECK_STR(ev("Observation.valueQuantity.value", O, LEN), "185");
	CHECK_STR(ev("Observation.valueQuantity.is(Quantity)", O, LEN), "true");
	CHECK_STR(ev("Observation.valueQuantity.unit", O, LEN), "\"lb\"");
	/* another type's name: nothing (the record holds a Quantity) */
	CHECK_STR(ev("Observation.valueString", O, LEN), "");
	/* the plain choice name still works; the typed name keeps static checks */
	CHECK_STR(ev("Observation.value.value", O, LEN), "185");
	CHECK_STR(ev("Observation.valueQuantity.foo", O, LEN), ERR_SEM);
	/* a name that is no choice form stays an error */
	CHECK_STR(ev("Observation.valueFoo", O, LEN), ERR_SEM);
	/* 185 [lb_av] compared with 80 kg: 185 lb = 83.9 kg */
	CHECK_STR(ev("Observation.valueQuantity > 80 'kg'", O, LEN), "true");

	const char *D = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	                "\"effectiveDateTime\":\"2026-03-04\",\"valueBoolean\":false}";
	/* typed by the suffix: a dateTime, so a DateTime comparison, not a string one */
	CHECK_STR(ev("Observation.effectiveDateTime > @2026-03-01", D, LEN), "true");
	CHECK_STR(ev("Observation.effectiveDateTime.is(dateTime)", D, LEN), "true");
	CHECK_STR(ev("Observation.valueBoolean.not()", D, LEN), "true");
	CHECK_STR(ev("Observation.effectivePeriod", D, LEN), "");
}

/* ---- unknown elements in typed evaluation ----------------------------------- */

static void test_unknown_elements(void)
{
	const char *O = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"favouriteColour\":\"teal\","
	                "\"code\":{\"text\":\"x\",\"shade\":\"dark\"}}";
	/* what the model knows evaluates */
	CHECK_STR(ev("Observation.status", O, 0), "\"final\"");
	CHECK_STR(ev("Observation.code.text", O, 0), "\"x\"");
	/* the unknown elements are absent from typed navigation: children are status and code */
	CHECK_STR(ev("Observation.children().count()", O, 0), "2");
	CHECK_STR(ev("Observation.descendants().where($this = 'teal' or $this = 'dark').exists()", O, 0), "false");
	/* without the model they are plain members */
	CHECK_STR(ev("Observation.favouriteColour", O, NONE), "\"teal\"");
	CHECK_STR(ev("Observation.children().count()", O, NONE), "4");  /* resourceType, status, colour, code */

	/* the lenient loader drops them and says where; strict loading refuses */
	mn_error err;
	mn_error_clear(&err);
	mn_case *c = NULL;
	CHECK(mn_case_load("o.json", O, strlen(O), &c, &err) == MN_EFHIR);
	mn_case_free(c);
	c = NULL;
	mn_error_clear(&err);
	CHECK(mn_case_load_ex("o.json", O, strlen(O), MN_CASE_LENIENT, &c, &err) == MN_OK);
	if (c) {
		CHECK_INT(mn_case_problems(c), 2);
		const char *p0 = mn_case_problem_at(c, 0), *p1 = mn_case_problem_at(c, 1);
		CHECK_MSG(p0 && strncmp(p0, "/favouriteColour: ", 18) == 0, "%s", p0 ? p0 : "(null)");
		CHECK_MSG(p1 && strncmp(p1, "/code/shade: ", 13) == 0, "%s", p1 ? p1 : "(null)");
		mn_error_clear(&err);
		mn_fp_expr *e = mn_fp_compile("Observation.status | Observation.code.text", -1, &err);
		mn_fp_result *r;
		CHECK(e && mn_fp_eval_case(e, ENV, c, A, &r, &err) == MN_OK && mn_fp_result_count(r) == 2);
		mn_fp_expr_free(e);
		mn_case_free(c);
	}
}

/* ---- %terminologies ------------------------------------------------------------- */

/* Two value sets held by a fake service: "colors" lists red and blue of
 * http://x but excludes blue (memberOf says no); "pre" is a prefix. */
static const mn_fp_vs_entry COLORS[] = {
	{1, "http://x", "red", NULL, "Red"},
	{1, "http://x", "blue", NULL, "Blue"},
};
static const mn_fp_vs_entry PRE[] = {{2, "http://x", "F1", NULL, NULL}};

static int fake_vs(void *payload, const char *vs, size_t i, mn_fp_vs_entry *out)
{
	(void)payload;
	if (!vs) {  /* every held entry */
		if (i < 2) { *out = COLORS[i]; return 1; }
		if (i == 2) { *out = PRE[0]; return 1; }
		return 0;
	}
	if (strcmp(vs, "colors") == 0) {
		if (i >= 2)
			return 0;
		*out = COLORS[i];
		return 1;
	}
	if (strcmp(vs, "pre") == 0) {
		if (i >= 1)
			return 0;
		*out = PRE[0];
		return 1;
	}
	return -1;
}

static int fake_member(void *payload, const char *vs, const char *system, const char *code)
{
	(void)payload;
	if (strcmp(vs, "colors") == 0)
		return (!system || strcmp(system, "http://x") == 0) && strcmp(code, "red") == 0;
	if (strcmp(vs, "pre") == 0)
		return (!system || strcmp(system, "http://x") == 0) && strncmp(code, "F1", 2) == 0;
	return -1;
}

static void test_terminologies(void)
{
	const char *C = "{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/p\"},"
	                "\"code\":{\"coding\":[{\"system\":\"http://y\",\"code\":\"zz\"},"
	                "{\"system\":\"http://x\",\"code\":\"red\"}]},"
	                "\"bodySite\":[{\"coding\":[{\"system\":\"http://x\",\"code\":\"blue\"}]},"
	                "{\"coding\":[{\"system\":\"http://y\",\"code\":\"q\"}]}]}";
	/* no service in the environment: an error, not empty */
	CHECK_STR(ev("%terminologies.expand('colors')", C, 0), ERR_EVAL);
	mn_fp_env_set_valuesets(ENV, fake_vs, NULL);
	mn_fp_env_set_terminology(ENV, fake_member, NULL);

	/* expand: the listed codes that are members (blue is excluded) */
	CHECK_STR(ev("%terminologies.expand('colors').expansion.contains.code", C, 0), "\"red\"");
	CHECK_STR(ev("%terminologies.expand('colors').expansion.total", C, 0), "1");
	CHECK_STR(ev("%terminologies.expand('colors').is(ValueSet)", C, 0), "true");
	CHECK_STR(ev("%terminologies.expand('colors').expansion.contains.display", C, 0), "\"Red\"");
	/* a prefix cannot be enumerated; an unknown set is an error */
	CHECK_STR(ev("%terminologies.expand('pre')", C, 0), ERR_EVAL);
	CHECK_STR(ev("%terminologies.expand('nope')", C, 0), ERR_EVAL);

	/* validateVS: a CodeableConcept is valid when one of its codings is */
	CHECK_STR(ev("%terminologies.validateVS('colors', Condition.code).parameter.where(name = 'result').value",
	             C, 0), "true");
	CHECK_STR(ev("%terminologies.validateVS('colors', Condition.code).parameter.where(name = 'display').value",
	             C, 0), "\"Red\"");
	CHECK_STR(ev("%terminologies.validateVS('colors', Condition.bodySite[0]).parameter.where(name = 'result')"
	             ".value", C, 0), "false");
	CHECK_STR(ev("%terminologies.validateVS('colors', Condition.bodySite[0]).parameter.where(name = 'message')"
	             ".value", C, 0), "\"http://x|blue is not in the value set 'colors'\"");
	CHECK_STR(ev("%terminologies.validateVS('colors', 'red').parameter.where(name = 'result').value", C, 0),
	          "true");
	CHECK_STR(ev("%terminologies.validateVS('pre', Condition.code.coding[1]).parameter.value", C, 0),
	          "false,\"http://x|red is not in the value set 'pre'\"");
	CHECK_STR(ev("%terminologies.validateVS('nope', Condition.code)", C, 0), ERR_EVAL);
	CHECK_STR(ev("%terminologies.validateVS('colors', {})", C, 0), "");

	/* lookup: display of a code a held set lists; anything else is not held */
	CHECK_STR(ev("%terminologies.lookup(Condition.bodySite[0].coding).parameter.where(name = 'display').value",
	             C, 0), "\"Blue\"");
	CHECK_STR(ev("%terminologies.lookup(Condition.bodySite[1].coding)", C, 0), ERR_EVAL);
	CHECK_STR(ev("%terminologies.lookup('red')", C, 0), ERR_EVAL);  /* no system */

	/* validateCS: true for a listed code, an error (never false) otherwise */
	CHECK_STR(ev("%terminologies.validateCS('http://x', Condition.code).parameter.where(name = 'result')"
	             ".value", C, 0), "true");
	CHECK_STR(ev("%terminologies.validateCS('http://y', Condition.code)", C, 0), ERR_EVAL);
	CHECK_STR(ev("%terminologies.validateCS('http://x', 'F1')", C, 0), ERR_EVAL);  /* a prefix proves no code */

	/* no hierarchies, no concept maps */
	CHECK_STR(ev("%terminologies.subsumes('http://x', 'red', 'red')", C, 0), ERR_EVAL);
	CHECK_STR(ev("%terminologies.translate('map', Condition.code)", C, 0), ERR_EVAL);
	/* the functions belong to %terminologies */
	CHECK_STR(ev("Condition.code.expand('colors')", C, 0), ERR_EVAL);
	/* arity is checked at compile time */
	CHECK_STR(ev("%terminologies.validateVS('colors')", C, 0), "ERR:fhirpath-semantic");
	/* a clone carries the service */
	mn_fp_env *copy = mn_fp_env_clone(ENV), *keep = ENV;
	ENV = copy;
	CHECK_STR(ev("%terminologies.expand('colors').expansion.total", C, 0), "1");
	ENV = keep;
	mn_fp_env_free(copy);
	mn_fp_env_set_valuesets(ENV, NULL, NULL);
	mn_fp_env_set_terminology(ENV, NULL, NULL);
}


/* ---- x.ofType(T) on a member step ------------------------------------------------- */

/* Whether the root of expr is an ofType() whose member step leaves out what it drops. */
static bool pruning(const char *expr)
{
	mn_error err;
	mn_fp_expr *e = mn_fp_compile(expr, -1, &err);
	bool m = e && e->root->kind == FN_CALL && e->root->prune_left;
	mn_fp_expr_free(e);
	return m;
}

/* "M.ofType(T)REST" on json, pruned (checked marked) and general ("M.where(true).ofType(T)REST"),
 * both against want. */
static void of_type(const char *json, const char *m, const char *t, const char *rest, const char *want)
{
	char pruned[256], general[256];
	snprintf(pruned, sizeof pruned, "%s.ofType(%s)%s", m, t, rest);
	snprintf(general, sizeof general, "%s.where(true).ofType(%s)%s", m, t, rest);
	if (!*rest)
		CHECK_MSG(pruning(pruned), "%s is not marked", pruned);
	CHECK_MSG(!pruning(general), "%s is marked", general);
	CHECK_STR(ev(pruned, json, 0), want);
	CHECK_STR(ev(general, json, 0), want);
}

/* Observations and a Condition for ofType() on choice elements, adversarial: every variant of
 * effective[x] at once with an id on the dateTime and a name with no such type (J); a repeated key (R); a
 * value that is no dateTime (S, an untyped String that only System.String keeps); null with its "_name"
 * sibling (no value, an id) and an array where one value belongs (N); a type and its base (C: Age is a
 * Quantity). */
static const char OT_J[] = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
	"\"effectiveDateTime\":\"2026-01-05\",\"effectivePeriod\":{\"start\":\"2025-01-01\"},"
	"\"effectiveInstant\":\"2026-01-05T10:00:00Z\",\"_effectiveDateTime\":{\"id\":\"e1\"},"
	"\"effectiveFoo\":\"x\",\"valueString\":\"v\"}";
static const char OT_R[] = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
	"\"effectiveDateTime\":\"2026-01-05\",\"effectivePeriod\":{\"end\":\"2025-02-01\"},"
	"\"effectiveDateTime\":\"2026-02-01\"}";
static const char OT_S[] = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
	"\"effectiveDateTime\":\"soon\",\"effectivePeriod\":{\"start\":\"2025-01-01\"}}";
static const char OT_N[] = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
	"\"effectiveDateTime\":null,\"_effectiveDateTime\":{\"id\":\"n1\"},"
	"\"valueDateTime\":[\"2026-01-05\",\"2026-02-01\"],\"valueInteger\":3}";
static const char OT_C[] = "{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/p\"},"
	"\"onsetAge\":{\"value\":40,\"unit\":\"a\"},\"onsetString\":\"child\"}";

static void test_choice_of_type(void)
{
	/* json, member, type, the rest of the path, the answer (worked by hand) */
	static const struct { const char *json, *m, *t, *rest, *want; } T[] = {
		{OT_J, "effective", "dateTime", "", "\"@2026-01-05\""},
		{OT_J, "effective", "dateTime", ".id", "\"e1\""},
		{OT_J, "effective", "Period", ".start", "\"@2025-01-01\""},
		{OT_J, "effective", "instant", "", "\"@2026-01-05T10:00:00Z\""},
		{OT_J, "effective", "Timing", "", ""},
		{OT_J, "effective", "FHIR.dateTime", ".count()", "1"},
		{OT_J, "value", "string", "", "\"v\""},
		{OT_J, "value", "boolean", "", ""},
		{OT_R, "effective", "dateTime", "", "\"@2026-01-05\",\"@2026-02-01\""},
		{OT_R, "effective", "Period", ".end", "\"@2025-02-01\""},
		{OT_S, "effective", "dateTime", "", ""},
		{OT_S, "effective", "string", "", ""},
		{OT_S, "effective", "String", "", "\"soon\""},
		{OT_S, "effective", "System.String", "", "\"soon\""},
		{OT_S, "effective", "Period", ".start", "\"@2025-01-01\""},
		{OT_N, "effective", "dateTime", ".id", "\"n1\""},
		{OT_N, "effective", "dateTime", ".hasValue()", "false"},
		{OT_N, "effective", "Period", "", ""},
		{OT_N, "value", "dateTime", "", "\"@2026-01-05\",\"@2026-02-01\""},
		{OT_N, "value", "integer", "", "3"},
		{OT_N, "value", "Integer", "", ""},
		{OT_C, "onset", "Age", ".value", "40"},
		{OT_C, "onset", "Quantity", ".value", "40"},
		{OT_C, "onset", "Range", "", ""},
		{OT_C, "onset", "string", "", "\"child\""},
		{OT_J, "status", "code", "", "\"final\""},
		{OT_J, "status", "Coding", "", ""},
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
		of_type(T[i].json, T[i].m, T[i].t, T[i].rest, T[i].want);
	const char *J = OT_J;
	CHECK_STR(ev("(effective.ofType(dateTime) | effective.ofType(instant) | effective.ofType(Period).start).count()",
	             J, 0), "3");
	CHECK_STR(ev("effective.ofType(Nothing)", J, 0), ERR_EVAL);
	CHECK_STR(ev("effective.where(true).ofType(Nothing)", J, 0), ERR_EVAL);
	/* not marked: a type name at the start of a path; a path from a variable (computed once per
	 * evaluation, unpruned, fp_ctx.inv); the same answers */
	CHECK(!pruning("Observation.ofType(Observation)"));
	CHECK(!pruning("%resource.effective.ofType(dateTime)"));
	CHECK_STR(ev("%resource.effective.ofType(dateTime)", J, 0), "\"@2026-01-05\"");
	CHECK_STR(ev("Observation.effective.ofType(dateTime)", J, 0), "\"@2026-01-05\"");

	/* repeated keys elsewhere (no MN_JSON_F_UNIQUE): every member of the name is read, by the general
	 * path and by the string fast paths (member_string), which then leave it to the general one */
	const char *K = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":["
	                "{\"system\":\"s\",\"code\":\"X\",\"code\":\"Y\"}],\"text\":\"t\"},\"status\":\"amended\","
	                "\"code\":{\"text\":\"u\"}}";
	CHECK_STR(ev("status", K, 0), "\"final\",\"amended\"");
	CHECK_STR(ev("code.text", K, 0), "\"t\",\"u\"");
	CHECK_STR(ev("code.coding.code", K, 0), "\"X\",\"Y\"");
	CHECK_STR(ev("where(status = 'final').exists()", K, 0), "false");
	CHECK_STR(ev("where(status in ('final' | 'amended')).exists()", K, 0), "ERR:fhirpath-execution");
	CHECK_STR(ev("code.coding.where(code = 'Y').exists()", K, 0), "false");
	CHECK_STR(ev("code.where(coding.code = 'Y').text", K, 0), "");
	CHECK_STR(ev("code.where(text = 'u').text", K, 0), "\"u\"");
}

int main(void)
{
	ENV = mn_fp_env_new();
	A = mn_arena_new();
	if (!ENV || !A)
		return 1;
	test_model_none();
	test_model_none_children();
	test_model_none_contexts();
	test_lenient();
	test_unknown_elements();
	test_choice_of_type();
	test_terminologies();
	mn_arena_free(A);
	mn_fp_env_free(ENV);
	TEST_END();
}
