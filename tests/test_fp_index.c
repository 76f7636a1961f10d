/*
 * test_fp_index.c: the case's index by resource type and the FHIRPath paths that use it
 * (docs/PERFORMANCE.md, "Indexes"): type names over a case, Bundle.entry.resource[.ofType(X) |
 * .where(resourceType = 'X')] over the case's root Bundle. Each fast path must give what the general
 * evaluation gives, and must not be taken where the index does not describe the input: a Bundle that is
 * not the case's root (a nested one, another tree, a copy), an as-of view that leaves entries out,
 * abstract types (is-a more than one type), types that do not occur, contained resources.
 * The expected values are counted by hand from the bundle below.
 */
#include "test.h"

#include "fhir/model.h"
#include "mednec/fhirpath.h"

/* 6 entries: Patient p1; Observation o1 (2026-01-05); MedicationRequest m1 with a contained Medication
 * med1; Condition k1; Observation o2 (2026-03-01); a nested Bundle b2 whose one entry is Observation n1.
 * DomainResource: the first five (Bundle is a Resource, not a DomainResource). */
static const char BUNDLE[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"fullUrl\":\"urn:uuid:p1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1970-02-03\"}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\","
	"\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8867-4\"}]},"
	"\"subject\":{\"reference\":\"Patient/p1\"},\"effectiveDateTime\":\"2026-01-05\"}},"
	"{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"m1\",\"status\":\"active\",\"intent\":\"order\","
	"\"contained\":[{\"resourceType\":\"Medication\",\"id\":\"med1\"}],"
	"\"medicationReference\":{\"reference\":\"#med1\"},\"subject\":{\"reference\":\"Patient/p1\"}}},"
	"{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"k1\",\"subject\":{\"reference\":\"Patient/p1\"}}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o2\",\"status\":\"final\","
	"\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"39156-5\"}]},"
	"\"subject\":{\"reference\":\"Patient/p1\"},\"effectiveDateTime\":\"2026-03-01\"}},"
	"{\"resource\":{\"resourceType\":\"Bundle\",\"id\":\"b2\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"n1\",\"status\":\"final\","
	"\"code\":{\"text\":\"nested\"}}}]}}"
	"]}";

/* Another Bundle, not the case's: one Observation x1. */
static const char OTHER[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"x1\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}}]}";

static mn_fp_env *env;
static mn_arena *arena;

/* The items of expr over resource (a JSON node; NULL: the whole case c as context) as their text joined by
 * commas, into buf; "ERROR" on an error. */
static const char *run(const mn_case *c, const mn_json *resource, const char *expr, char *buf, size_t sz,
                       mn_fp_result **res)
{
	mn_error err;
	mn_error_clear(&err);
	mn_fp_expr *e = mn_fp_compile(expr, -1, &err);
	mn_fp_result *r = NULL;
	if (!e)
		return "COMPILE ERROR";
	mn_fp_env_set_case(env, c);
	mn_status st = resource ? mn_fp_eval(e, env, resource, arena, &r, &err) : mn_fp_eval_case(e, env, c, arena, &r, &err);
	mn_fp_expr_free(e);
	if (st != MN_OK) {
		fprintf(stderr, "%s: %s\n", expr, err.message);
		return "ERROR";
	}
	mn_buf b = MN_BUF_INIT;
	for (size_t i = 0; i < mn_fp_result_count(r); i++) {
		if (i)
			mn_buf_putc(&b, ',');
		mn_fp_item_write_text(mn_fp_result_item(r, i), &b);
	}
	snprintf(buf, sz, "%s", b.data ? b.data : "");
	mn_buf_free(&b);
	if (res)
		*res = r;
	return buf;
}

#define EVAL(c, node, expr) run((c), (node), (expr), buf, sizeof buf, NULL)

/* expr over root gives n items, whose item k is the case's resource at index, typed Observation: the provenance
 * and the type the general path gives. */
static void check_observation_item(const mn_case *c, const char *expr, size_t n, size_t k, size_t index)
{
	char buf[1024];
	mn_fp_result *r = NULL;
	run(c, mn_case_root(c), expr, buf, sizeof buf, &r);
	CHECK_INT(r ? mn_fp_result_count(r) : 0, n);
	if (r && mn_fp_result_count(r) == n) {
		CHECK(mn_fp_item_resource(mn_fp_result_item(r, k)) == mn_case_get(c, index));
		CHECK(mn_fp_item_node(mn_fp_result_item(r, k)) == mn_case_get(c, index)->json);
		CHECK_STR(mn_fp_item_type(mn_fp_result_item(r, k)), "Observation");
	}
}

static void test_index(const mn_case *c)
{
	size_t n;
	const uint32_t *idx = mn_case_of_type(c, mn_fhir_type_find("Observation", 11), &n);
	CHECK_INT(n, 2);
	CHECK(idx && idx[0] == 1 && idx[1] == 4);
	idx = mn_case_of_type(c, mn_fhir_type_find("Bundle", 6), &n);
	CHECK(n == 1 && idx && idx[0] == 5);
	/* contained resources are not top-level: not listed */
	CHECK(!mn_case_of_type(c, mn_fhir_type_find("Medication", 10), &n) && n == 0);
	CHECK(!mn_case_of_type(c, mn_fhir_type_find("Encounter", 9), &n) && n == 0);
	/* exact types only: the abstract ones list nothing */
	CHECK(!mn_case_of_type(c, mn_fhir_type_find("DomainResource", 14), &n) && n == 0);
	CHECK(!mn_case_of_type(c, NULL, &n) && n == 0);
	CHECK(mn_case_bundle_exact(c));
	CHECK(mn_fhir_type_has_subtypes(mn_fhir_type_find("DomainResource", 14)));
	CHECK(mn_fhir_type_has_subtypes(mn_fhir_type_find("Resource", 8)));
	CHECK(!mn_fhir_type_has_subtypes(mn_fhir_type_find("Observation", 11)));
}

static void test_root(const mn_case *c)
{
	char buf[512];
	const mn_json *root = mn_case_root(c);
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.count()"), "6");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.id"), "p1,o1,m1,k1,o2,b2");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(Observation).id"), "o1,o2");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(FHIR.Observation).id"), "o1,o2");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.where(resourceType = 'Observation').id"), "o1,o2");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.where('Condition' = resourceType).id"), "k1");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(Bundle).id"), "b2");
	/* a type that does not occur, a name that is no type, a contained type */
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(Encounter).count()"), "0");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.where(resourceType = 'Encounter').count()"), "0");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.where(resourceType = 'Nothing').count()"), "0");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(Medication).count()"), "0");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.contained.ofType(Medication).id"), "med1");
	/* abstract types: is-a, answered by the general path */
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(DomainResource).id"), "p1,o1,m1,k1,o2");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(Resource).count()"), "6");
	/* other where() criteria are not the pattern */
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.where(resourceType = 'Observation' and id = 'o2').id"), "o2");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.where(resourceType ~ 'observation').id"), "o1,o2");
	/* items carry the case's resource and are typed (the provenance and the type of the general path) */
	check_observation_item(c, "Bundle.entry.resource.ofType(Observation)", 2, 1, 4);
	/* the path goes on from the items: further steps, resolve() */
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(Observation).code.coding.code"), "8867-4,39156-5");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(Observation).subject.resolve().id"), "p1,p1");
	CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(MedicationRequest).medication.resolve().id"), "med1");
}

static void test_case_context(const mn_case *c)
{
	char buf[512];
	/* type names over the case's resources (mn_fp_eval_case) */
	CHECK_STR(EVAL(c, NULL, "Observation.id"), "o1,o2");
	CHECK_STR(EVAL(c, NULL, "Encounter.count()"), "0");
	CHECK_STR(EVAL(c, NULL, "Medication.count()"), "0");
	CHECK_STR(EVAL(c, NULL, "DomainResource.count()"), "5");
	CHECK_STR(EVAL(c, NULL, "Resource.count()"), "6");
	/* a nested Bundle is not the case's root: its entries, not the case's */
	CHECK_STR(EVAL(c, NULL, "Bundle.entry.resource.ofType(Observation).id"), "n1");
	CHECK_STR(EVAL(c, NULL, "Bundle.entry.resource.where(resourceType = 'Observation').id"), "n1");
	CHECK_STR(EVAL(c, NULL, "Bundle.entry.resource.count()"), "1");
	/* a type name inside an iteration filters $this, not the case */
	CHECK_STR(EVAL(c, NULL, "Condition.select(Observation.count())"), "0");
	/* the case's own items: the resource and its type */
	mn_fp_result *r;
	run(c, NULL, "Condition", buf, sizeof buf, &r);
	CHECK(mn_fp_result_count(r) == 1 && mn_fp_item_resource(mn_fp_result_item(r, 0)) == mn_case_get(c, 3));
}

/* The same text parsed again, and another Bundle: not the case's root, whatever the case. */
static void test_other_trees(const mn_case *c)
{
	char buf[512];
	mn_error err;
	mn_json *copy = NULL, *other = NULL;
	mn_error_clear(&err);
	CHECK(mn_json_parse(arena, "copy", BUNDLE, strlen(BUNDLE), &copy, &err) == MN_OK);
	CHECK(mn_json_parse(arena, "other", OTHER, strlen(OTHER), &other, &err) == MN_OK);
	if (!copy || !other)
		return;
	CHECK_STR(EVAL(c, other, "Bundle.entry.resource.ofType(Observation).id"), "x1");
	CHECK_STR(EVAL(c, other, "Bundle.entry.resource.where(resourceType = 'Observation').id"), "x1");
	CHECK_STR(EVAL(c, other, "Bundle.entry.resource.count()"), "1");
	CHECK_STR(EVAL(c, copy, "Bundle.entry.resource.ofType(Observation).id"), "o1,o2");
	/* the copy's nodes, not the case's (the case does not hold them: no resource) */
	mn_fp_result *r;
	run(c, copy, "Bundle.entry.resource.ofType(Observation)", buf, sizeof buf, &r);
	CHECK_INT(mn_fp_result_count(r), 2);
	if (mn_fp_result_count(r) == 2) {
		CHECK(mn_fp_item_node(mn_fp_result_item(r, 0)) == &copy->u.members[2].value.u.items[1].u.members[0].value);
		CHECK(mn_fp_item_resource(mn_fp_result_item(r, 0)) == NULL);
	}
	/* no case at all */
	CHECK_STR(EVAL(NULL, copy, "Bundle.entry.resource.ofType(Observation).id"), "o1,o2");
	CHECK_STR(EVAL(NULL, copy, "Bundle.entry.resource.where(resourceType = 'Patient').id"), "p1");
}

/* As of 2026-02-01 o2 is left out: the view's lists lack it, while its root (the shared tree) still
 * holds it, so Bundle.entry.resource over the root is not the view's list. */
static void test_view(const mn_case *c)
{
	char buf[512];
	mn_error err;
	mn_datetime d;
	mn_case *v = NULL;
	mn_error_clear(&err);
	CHECK(mn_datetime_parse("2026-02-01", 10, MN_DT_DATE, &d, &err) == MN_OK);
	CHECK(mn_case_as_of(c, &d, &v, &err) == MN_OK);
	if (!v)
		return;
	CHECK_INT(mn_case_left_out(v), 1);
	CHECK(!mn_case_bundle_exact(v));
	size_t n;
	const uint32_t *idx = mn_case_of_type(v, mn_fhir_type_find("Observation", 11), &n);
	CHECK(n == 1 && idx && idx[0] == 1);
	CHECK_STR(EVAL(v, NULL, "Observation.id"), "o1");
	CHECK_STR(EVAL(v, mn_case_root(v), "Bundle.entry.resource.ofType(Observation).id"), "o1,o2");
	CHECK_STR(EVAL(v, mn_case_root(v), "Bundle.entry.resource.count()"), "6");
	mn_case_free(v);
	/* a view that leaves nothing out is the case again */
	CHECK(mn_datetime_parse("2026-12-01", 10, MN_DT_DATE, &d, &err) == MN_OK);
	CHECK(mn_case_as_of(c, &d, &v, &err) == MN_OK);
	if (!v)
		return;
	CHECK(mn_case_bundle_exact(v));
	CHECK_STR(EVAL(v, mn_case_root(v), "Bundle.entry.resource.ofType(Observation).id"), "o1,o2");
	mn_case_free(v);
}

/* A single resource is no Bundle; an empty Bundle has no resources. */
static void test_shapes(void)
{
	char buf[512];
	mn_error err;
	mn_case *c = NULL;
	const char *patient = "{\"resourceType\":\"Patient\",\"id\":\"solo\"}";
	mn_error_clear(&err);
	CHECK(mn_case_load("p.json", patient, strlen(patient), &c, &err) == MN_OK);
	if (c) {
		CHECK(!mn_case_bundle_exact(c));
		CHECK_STR(EVAL(c, NULL, "Patient.id"), "solo");
		mn_case_free(c);
	}
	const char *empty = "{\"resourceType\":\"Bundle\",\"type\":\"collection\"}";
	CHECK(mn_case_load("e.json", empty, strlen(empty), &c, &err) == MN_OK);
	if (c) {
		CHECK(mn_case_bundle_exact(c));
		CHECK_STR(EVAL(c, mn_case_root(c), "Bundle.entry.resource.ofType(Patient).count()"), "0");
		mn_case_free(c);
	}
}

/* Enough entries that the items are written in place, all at once (push_case_resources; a few go one by one):
 * 40 Observations o0..o39 with a Patient before o0, o20 and o39 (p0, p1, p2); the expected lists are written
 * from the order the bundle is built in. */
static void test_many(void)
{
	char buf[1024];
	mn_buf b = MN_BUF_INIT, ids = MN_BUF_INIT, obs = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
	int pat = 0;
	for (int i = 0; i < 40; i++) {
		if (i == 0 || i == 20 || i == 39) {
			mn_buf_printf(&b, "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p%d\"}},", pat);
			mn_buf_printf(&ids, "%sp%d", ids.len ? "," : "", pat++);
		}
		mn_buf_printf(&b, "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o%d\",\"status\":\"final\","
		              "\"code\":{\"text\":\"x\"}}}%s", i, i < 39 ? "," : "");
		mn_buf_printf(&ids, ",o%d", i);
		mn_buf_printf(&obs, "%so%d", obs.len ? "," : "", i);
	}
	mn_buf_puts(&b, "]}");
	mn_error err;
	mn_error_clear(&err);
	mn_case *c = NULL;
	CHECK(mn_case_load("many.json", b.data, b.len, &c, &err) == MN_OK);
	if (c) {
		const mn_json *root = mn_case_root(c);
		CHECK_STR(EVAL(c, root, "Bundle.entry.resource.count()"), "43");
		CHECK_STR(EVAL(c, root, "Bundle.entry.resource.id"), mn_buf_cstr(&ids));
		CHECK_STR(EVAL(c, root, "Bundle.entry.resource.ofType(Observation).id"), mn_buf_cstr(&obs));
		CHECK_STR(EVAL(c, root, "Bundle.entry.resource.where(resourceType = 'Patient').id"), "p0,p1,p2");
		CHECK_STR(EVAL(c, NULL, "Observation.count()"), "40");
		CHECK_STR(EVAL(c, NULL, "Patient.id"), "p0,p1,p2");
		check_observation_item(c, "Bundle.entry.resource.ofType(Observation)", 40, 39, 42);   /* o39: the last entry */
		mn_case_free(c);
	}
	mn_buf_free(&b);
	mn_buf_free(&ids);
	mn_buf_free(&obs);
}

/* The model facts the fast paths rely on. */
static void test_model(void)
{
	/* fp_member skips the choice-name check for "resourceType" on resources: no resource type has
	 * an element that "resourceType" names, choice (resource[x]) or not (a backbone element,
	 * ExampleScenario.instance, has a plain one: it is not skipped) */
	size_t bad = 0;
	for (size_t i = 0; i < mn_fhir__ntypes; i++)
		if (mn_fhir__types[i].kind == MN_FHIR_RESOURCE &&
		    mn_fhir_element_for_json(&mn_fhir__types[i], "resourceType", 12, NULL))
			bad++;
	CHECK_INT(bad, 0);
	/* the per-thread element cache: the same name address with other text is another element */
	const mn_fhir_type *obs = mn_fhir_type_find("Observation", 11);
	char name[8];
	memcpy(name, "code", 5);
	const mn_fhir_element *e = mn_fhir_element_find(obs, name, 4);
	CHECK(e && strcmp(e->name, "code") == 0);
	memcpy(name, "text", 5);
	e = mn_fhir_element_find(obs, name, 4);
	CHECK(e && strcmp(e->name, "text") == 0);  /* inherited from DomainResource */
	memcpy(name, "cade", 5);
	CHECK(mn_fhir_element_find(obs, name, 4) == NULL);
	memcpy(name, "code", 5);
	CHECK(mn_fhir_element_find(obs, name, 3) == NULL);  /* "cod" */
}

int main(void)
{
	mn_error err;
	mn_case *c = NULL;
	mn_error_clear(&err);
	env = mn_fp_env_new();
	arena = mn_arena_new();
	CHECK(mn_case_load("bundle.json", BUNDLE, strlen(BUNDLE), &c, &err) == MN_OK);
	if (!c) {
		fprintf(stderr, "load: %s\n", err.message);
		TEST_END();
	}
	CHECK_INT(mn_case_count(c), 6);
	test_index(c);
	test_root(c);
	test_case_context(c);
	test_other_trees(c);
	test_view(c);
	test_shapes();
	test_many();
	test_model();
	mn_case_free(c);
	mn_arena_free(arena);
	mn_fp_env_free(env);
	TEST_END();
}
