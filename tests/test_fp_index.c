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
#include "fhirpath/fhirpath_int.h"
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

/* ---- where() over Bundle.entry.resource.ofType(X) with the index by code; Bundle.entry.where(resource.resourceType
 * = 'X') from the index by type ---- */

#define LN "http://loinc.org"
#define OB(id, rest) "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," rest "}},"

/* Entries (case positions in brackets; an entry without a resource shifts the entries after it by one):
 * e0 Patient p1 [0]; e1 a fullUrl and no resource; e2 Observation a1 [1] (8867-4); e3 a2 [2] (two codings,
 * 1111-1 and 8867-4); e4 a3 [3] (8867-4 in another system); e5 a4 [4] (8867-4 with a "_code" sibling); e6 a5 [5]
 * (only a "_code": no value); e7 Condition c1 [6] (8867-4, onset 2031); e8 a6 [7] (text only); e9 a7 [8] (8867-4,
 * 2030); e10 AllergyIntolerance al1 [9]; e11 a8 [10] ("8867-4 ", a trailing space); e12 AllergyIntolerance al2
 * [11] (2030, fullUrl urn:uuid:al2); e13 a1 again [12] (a duplicate entry: the same text); e14 a9 [13] (8867-4 in
 * category, 39156-5 in code, a Quantity); e15 a nested Bundle b2 [14] with Observation n1 (8867-4) and
 * AllergyIntolerance n2. Observations by $index: a1 0, a2 1, a3 2, a4 3, a5 4, a6 5, a7 6, a8 7, a1 8, a9 9. */
#define A1 OB("a1", "\"code\":{\"coding\":[{\"system\":\"" LN "\",\"code\":\"8867-4\"}]},\"effectiveDateTime\":\"2026-01-05\"")
static const char CODED[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"fullUrl\":\"urn:uuid:p1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
	"{\"fullUrl\":\"urn:uuid:none\"},"
	A1
	OB("a2", "\"code\":{\"coding\":[{\"system\":\"" LN "\",\"code\":\"1111-1\"},{\"system\":\"" LN "\",\"code\":\"8867-4\"}]}")
	OB("a3", "\"code\":{\"coding\":[{\"system\":\"http://other\",\"code\":\"8867-4\"}]}")
	OB("a4", "\"code\":{\"coding\":[{\"system\":\"" LN "\",\"code\":\"8867-4\",\"_code\":{\"id\":\"c4\"}}]}")
	OB("a5", "\"code\":{\"coding\":[{\"system\":\"" LN "\",\"_code\":{\"extension\":[{\"url\":\"http://e\","
	   "\"valueString\":\"8867-4\"}]}}]}")
	"{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c1\",\"subject\":{\"reference\":\"Patient/p1\"},"
	"\"code\":{\"coding\":[{\"system\":\"" LN "\",\"code\":\"8867-4\"}]},\"onsetDateTime\":\"2031-01-01\"}},"
	OB("a6", "\"code\":{\"text\":\"8867-4\"}")
	OB("a7", "\"code\":{\"coding\":[{\"system\":\"" LN "\",\"code\":\"8867-4\"}]},\"effectiveDateTime\":\"2030-01-01\"")
	"{\"resource\":{\"resourceType\":\"AllergyIntolerance\",\"id\":\"al1\",\"patient\":{\"reference\":\"Patient/p1\"}}},"
	OB("a8", "\"code\":{\"coding\":[{\"system\":\"" LN "\",\"code\":\"8867-4 \"}]}")
	"{\"fullUrl\":\"urn:uuid:al2\",\"resource\":{\"resourceType\":\"AllergyIntolerance\",\"id\":\"al2\","
	"\"patient\":{\"reference\":\"Patient/p1\"},\"recordedDate\":\"2030-01-01\"}},"
	A1
	OB("a9", "\"category\":[{\"coding\":[{\"system\":\"" LN "\",\"code\":\"8867-4\"}]}],"
	   "\"code\":{\"coding\":[{\"system\":\"" LN "\",\"code\":\"39156-5\"}]},"
	   "\"valueQuantity\":{\"value\":27.5,\"unit\":\"kg/m2\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"kg/m2\"}")
	"{\"resource\":{\"resourceType\":\"Bundle\",\"id\":\"b2\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"n1\",\"status\":\"final\","
	"\"code\":{\"coding\":[{\"system\":\"" LN "\",\"code\":\"8867-4\"}]}}},"
	"{\"resource\":{\"resourceType\":\"AllergyIntolerance\",\"id\":\"n2\",\"patient\":{\"reference\":\"Patient/p1\"}}}]}}"
	"]}";

/* expr and general over node (NULL: the case c as context) give the same items: the same count, and item by
 * item the same node, resource (provenance), type and text. general is expr written so that no index answers
 * it (the general evaluation). */
static void same_items(const mn_case *c, const mn_json *node, const char *expr, const char *general)
{
	char b1[2048], b2[2048];
	mn_fp_result *r1 = NULL, *r2 = NULL;
	const char *t1 = run(c, node, expr, b1, sizeof b1, &r1), *t2 = run(c, node, general, b2, sizeof b2, &r2);
	CHECK_MSG(strcmp(t1, t2) == 0, "%s: got '%s', the general evaluation '%s'", expr, t1, t2);
	CHECK_INT(mn_fp_result_count(r1), mn_fp_result_count(r2));
	for (size_t i = 0; r1 && r2 && i < mn_fp_result_count(r1) && i < mn_fp_result_count(r2); i++) {
		const mn_fp_item *a = mn_fp_result_item(r1, i), *b = mn_fp_result_item(r2, i);
		CHECK_MSG(mn_fp_item_node(a) == mn_fp_item_node(b), "%s: item %zu", expr, i);
		CHECK_MSG(mn_fp_item_resource(a) == mn_fp_item_resource(b), "%s: item %zu", expr, i);
		CHECK_STR(mn_fp_item_type(a), mn_fp_item_type(b));
	}
}

/* expr then general (as same_items) followed by ".id" give want (ids joined by commas, hand-counted). */
static void same_ids(const mn_case *c, const mn_json *node, const char *expr, const char *general, const char *want)
{
	char e1[1024], e2[1024], buf[1024];
	same_items(c, node, expr, general);
	snprintf(e1, sizeof e1, "%s.id", expr);
	snprintf(e2, sizeof e2, "%s.id", general);
	CHECK_STR(EVAL(c, node, e1), want);
	CHECK_STR(EVAL(c, node, e2), want);
}

/* where(crit) over the resources of type T from Bundle.entry.resource, as ofType(T) and as where(resourceType =
 * 'T'), against the general evaluation (Bundle.entry.select(resource), which no index answers) and want. */
static void coded(const mn_case *c, const mn_json *node, const char *T, const char *crit, const char *want)
{
	char e1[1024], e2[1024], g[1024];
	snprintf(e1, sizeof e1, "Bundle.entry.resource.ofType(%s).where(%s)", T, crit);
	snprintf(e2, sizeof e2, "Bundle.entry.resource.where(resourceType = '%s').where(%s)", T, crit);
	snprintf(g, sizeof g, "Bundle.entry.select(resource).ofType(%s).where(%s)", T, crit);
	same_ids(c, node, e1, g, want);
	same_ids(c, node, e2, g, want);
}

/* Bundle.entry.where(resource.resourceType = 'T') (and the literal first) against the general evaluation
 * (Bundle.select(entry), which no index answers) and want, the ids of the entries' resources. */
static void entries(const mn_case *c, const mn_json *node, const char *T, const char *want)
{
	char e1[512], e2[512], g[512], buf[512];
	snprintf(e1, sizeof e1, "Bundle.entry.where(resource.resourceType = '%s')", T);
	snprintf(e2, sizeof e2, "Bundle.entry.where('%s' = resource.resourceType)", T);
	snprintf(g, sizeof g, "Bundle.select(entry).where(resource.resourceType = '%s')", T);
	same_items(c, node, e1, g);
	same_items(c, node, e2, g);
	snprintf(e1 + strlen(e1), sizeof e1 - strlen(e1), ".resource.id");
	snprintf(g + strlen(g), sizeof g - strlen(g), ".resource.id");
	CHECK_STR(EVAL(c, node, e1), want);
	CHECK_STR(EVAL(c, node, g), want);
}

#define E2 "code.coding.where(system = '" LN "' and code = '8867-4').exists()"

/* The answers over the CODED bundle's root (node), the same for the case and for a view that keeps every
 * Observation (as_of_2030: it leaves out c1, so that ofType(Condition) gives c1 from the tree, which the view
 * does not hold). */
static void coded_answers(const mn_case *c, const mn_json *node)
{
	coded(c, node, "Observation", E2, "a1,a2,a4,a7,a1");
	coded(c, node, "Observation", "code.coding.where(code = '8867-4').exists()", "a1,a2,a3,a4,a7,a1");
	coded(c, node, "Observation", "code.coding.where(system = 'http://other' and code = '8867-4').exists()", "a3");
	coded(c, node, "Observation", "code.coding.where(code = '8867-4 ').exists()", "a8");
	coded(c, node, "Observation", "category.coding.where(code = '8867-4').exists()", "a9");
	coded(c, node, "Observation", "code.coding.where(code = '1111-1' or code = '39156-5').exists()", "a2,a9");
	coded(c, node, "Observation", "code.coding.where(code = '8867-4' and system = 'http://nothing').exists()", "");
	coded(c, node, "Observation", "code.coding.where(code in ('8867-4' | 'x') and (system = 'http://other' or "
	      "system = '" LN "')).exists()", "a1,a2,a3,a4,a7,a1");
	coded(c, node, "Observation", "code.coding.where(system = '" LN "' and code = '1111-1').exists()", "a2");
	/* the other conjuncts and $index (the position among the Observations) */
	coded(c, node, "Observation", "$index > 2 and " E2, "a4,a7,a1");
	coded(c, node, "Observation", E2 " and $index < 3", "a1,a2");
	coded(c, node, "Observation", "id != 'a1' and " E2 " and $total.empty()", "a2,a4,a7");
	/* an error in a conjunct before the coded one, on an Observation the index does not list (a2's two codes) */
	coded(c, node, "Observation", "code.coding.code.single().exists() and code.coding.where(code = '39156-5').exists()",
	      "ERROR");
	coded(c, node, "Observation", "code.coding.where(code = '39156-5').exists() and code.coding.code.single().exists()",
	      "a9");
	/* code.coding.code = 'C': true only where the codes are that one code (= over several items is false) */
	coded(c, node, "Observation", "code.coding.code = '8867-4'", "a1,a3,a4,a7,a1");
	coded(c, node, "Observation", "'8867-4' = code.coding.code", "a1,a3,a4,a7,a1");
	coded(c, node, "Observation", "code.coding.code = '1111-1'", "");
	coded(c, node, "Observation", "code.coding.code = '39156-5'", "a9");
	coded(c, node, "Observation", "category.coding.code = '8867-4'", "a9");
	coded(c, node, "Observation", "code.coding.code = '8867-4 '", "a8");
	coded(c, node, "Observation", "code.coding.code = 'nothing'", "");
	coded(c, node, "Observation", "code.coding.code = 8867", "");       /* not a string: no index */
	coded(c, node, "Observation", "code.coding.code != '8867-4'", "a2,a8,a9");
	/* the results go on */
	char buf[512];
	CHECK_STR(EVAL(c, node, "Bundle.entry.resource.ofType(Observation).where(code.coding.code = '39156-5')"
	                        ".value.ofType(Quantity).value"), "27.5");
	CHECK_STR(EVAL(c, node, "Bundle.entry.resource.ofType(Observation).where(" E2 ").count()"), "5");
	/* other types: one resource of the type, none */
	coded(c, node, "Condition", "code.coding.where(code = '8867-4').exists()", "c1");
	coded(c, node, "Procedure", "code.coding.where(code = '8867-4').exists()", "");
	coded(c, node, "Procedure", "code.coding.code = '8867-4'", "");
	/* Bundle.entry.where(resource.resourceType = 'T') */
	entries(c, node, "AllergyIntolerance", "al1,al2");
	entries(c, node, "Observation", "a1,a2,a3,a4,a5,a6,a7,a8,a1,a9");
	entries(c, node, "Patient", "p1");
	entries(c, node, "Bundle", "b2");
	entries(c, node, "Encounter", "");
	entries(c, node, "Nothing", "");
	entries(c, node, "observation", "");
	CHECK_STR(EVAL(c, node, "Bundle.entry.where(resource.resourceType = 'AllergyIntolerance').fullUrl"), "urn:uuid:al2");
	CHECK_STR(EVAL(c, node, "Bundle.entry.where(resource.resourceType = 'AllergyIntolerance').count()"), "2");
}

static void test_coded(void)
{
	char buf[512];
	mn_error err;
	mn_case *c = NULL;
	mn_error_clear(&err);
	CHECK_MSG(mn_case_load("coded.json", CODED, strlen(CODED), &c, &err) == MN_OK, "%s", err.message);
	if (!c)
		return;
	CHECK_INT(mn_case_count(c), 15);
	CHECK(mn_case_bundle_exact(c));
	const mn_json *root = mn_case_root(c);
	coded_answers(c, root);
	/* over the nested Bundle b2 (not the case's root), as the node and in the case's context */
	const mn_json *b2 = mn_case_get(c, 14)->json;
	coded(c, b2, "Observation", E2, "n1");
	coded(c, NULL, "Observation", E2, "n1");
	entries(c, b2, "AllergyIntolerance", "n2");
	entries(c, NULL, "AllergyIntolerance", "n2");
	/* a copy of the tree: not the case's nodes */
	mn_json *copy = NULL;
	CHECK(mn_json_parse(arena, "copy", CODED, strlen(CODED), &copy, &err) == MN_OK);
	if (copy) {
		coded(c, copy, "Observation", E2, "a1,a2,a4,a7,a1");
		coded(c, copy, "Observation", "code.coding.code = '8867-4'", "a1,a3,a4,a7,a1");
		entries(c, copy, "AllergyIntolerance", "al1,al2");
	}
	/* views: as of 2026-06-01 a7, al2 and c1 are left out, but the root (the shared tree) still holds them */
	mn_datetime d;
	mn_case *v = NULL;
	CHECK(mn_datetime_parse("2026-06-01", 10, MN_DT_DATE, &d, &err) == MN_OK);
	CHECK(mn_case_as_of(c, &d, &v, &err) == MN_OK);
	if (v) {
		CHECK_INT(mn_case_left_out(v), 3);
		CHECK(!mn_case_bundle_exact(v));
		coded(v, mn_case_root(v), "Observation", E2, "a1,a2,a4,a7,a1");
		coded(v, mn_case_root(v), "Observation", "code.coding.code = '8867-4'", "a1,a3,a4,a7,a1");
		entries(v, mn_case_root(v), "AllergyIntolerance", "al1,al2");
		CHECK_STR(EVAL(v, NULL, "Observation.where(" E2 ").id"), "a1,a2,a4,a1");
		mn_case_free(v);
	}
	/* as of 2030-06-01 only c1 is left out: the view's Observations are the tree's */
	CHECK(mn_datetime_parse("2030-06-01", 10, MN_DT_DATE, &d, &err) == MN_OK);
	CHECK(mn_case_as_of(c, &d, &v, &err) == MN_OK);
	if (v) {
		CHECK_INT(mn_case_left_out(v), 1);
		coded_answers(v, mn_case_root(v));
		mn_case_free(v);
	}
	mn_case_free(c);
	/* a code that is not a string is refused at load (the index never meets one) */
	static const char NUM[] = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	                          OB("x1", "\"code\":{\"coding\":[{\"code\":8867}]}") "{\"resource\":{\"resourceType\":\"Patient\"}}]}";
	c = NULL;
	CHECK(mn_case_load("num.json", NUM, strlen(NUM), &c, &err) != MN_OK && !c);
	mn_case_free(c);
}

/* A tree that no load checked (mn_json_parse only): shapes R4 forbids, which the items' JSON is read for
 * (where(coded) over Bundle.entry.resource.ofType(Observation) needs no case), against the general evaluation.
 * r1 system an array, code Y; r2 code an array (X, Y); r3 "code" twice in a coding (Y then X); r4 code an array
 * of CodeableConcepts, X in the second; r5 a "_code" beside the resource's code (Y); r6 codings nested in an
 * array (X); r7 a coding that is a string; r8 code 5 (a number); r9 X plainly. */
static void test_raw(void)
{
	static const char RAW[] =
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		OB("r1", "\"code\":{\"coding\":[{\"system\":[\"S\",\"T\"],\"code\":\"Y\"}]}")
		OB("r2", "\"code\":{\"coding\":[{\"system\":\"S\",\"code\":[\"X\",\"Y\"]}]}")
		OB("r3", "\"code\":{\"coding\":[{\"system\":\"S\",\"code\":\"Y\",\"code\":\"X\"}]}")
		OB("r4", "\"code\":[{\"coding\":[{\"code\":\"Y\"}]},{\"coding\":[{\"system\":\"S\",\"code\":\"X\"}]}]")
		OB("r5", "\"code\":{\"coding\":[{\"system\":\"S\",\"code\":\"Y\"}]},\"_code\":{\"id\":\"c5\"}")
		OB("r6", "\"code\":{\"coding\":[[{\"system\":\"S\",\"code\":\"X\"}]]}")
		OB("r7", "\"code\":{\"coding\":[\"X\"]}")
		OB("r8", "\"code\":{\"coding\":[{\"system\":\"S\",\"code\":5}]}")
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"r9\",\"status\":\"final\","
		"\"code\":{\"coding\":[{\"system\":\"S\",\"code\":\"X\"}]}}}]}";
	mn_error err;
	mn_json *raw = NULL;
	mn_error_clear(&err);
	CHECK(mn_json_parse(arena, "raw", RAW, strlen(RAW), &raw, &err) == MN_OK);
	if (!raw)
		return;
	static const char *const crit[] = {
		"code.coding.where(code = 'X').exists()",
		"code.coding.where(system = 'S' and code = 'X').exists()",
		"code.coding.where(system in ('S' | 'T') and code = 'X').exists()",
		"code.coding.where(code in ('X' | 'Z')).exists()",
		"code.coding.code = 'X'",
		"code.coding.code = 'Y'",
		"code.coding.code = 'Z'",
		"code.coding.where(system = 'S' and code = 'Y').exists()",
		"code.coding.where(system = 'T' or code = 'Y').exists()",
		"code.coding.where((system = 'T' or system = 'S') and code in ('Y' | 'Q')).exists()",
	};
	for (size_t i = 0; i < sizeof crit / sizeof crit[0]; i++) {
		char e1[512], g[512];
		snprintf(e1, sizeof e1, "Bundle.entry.resource.ofType(Observation).where(%s)", crit[i]);
		snprintf(g, sizeof g, "Bundle.entry.select(resource).ofType(Observation).where(%s)", crit[i]);
		same_items(NULL, raw, e1, g);
		strcat(e1, ".id");
		strcat(g, ".id");
		same_items(NULL, raw, e1, g);
	}
	/* hand-counted: X plainly in r9, in r4's second concept, in r3 (as the second "code"; the first, Y, is
	 * what a member lookup meets too, so both are items) and r2 (one of two: = over two items is false) */
	char buf[512];
	CHECK_STR(EVAL(NULL, raw, "Bundle.entry.resource.ofType(Observation).where(code.coding.code = 'X').id"), "r9");
	CHECK_STR(EVAL(NULL, raw, "Bundle.entry.resource.ofType(Observation).where(code.coding.code = 'Z').id"), "");
}

/* Which patterns are marked for the indexes (what the answers above exercise). */
static void test_coded_marks(void)
{
	static const struct { const char *expr; int fast; } T[] = {
		{"Bundle.entry.resource.ofType(Observation).where(" E2 ")", FP_FAST_WHERE_CODE},
		{"Bundle.entry.resource.where(resourceType = 'Observation').where(" E2 ")", FP_FAST_WHERE_CODE},
		{"Bundle.entry.resource.ofType(Observation).where(code.coding.code = 'X')", FP_FAST_WHERE_CODE},
		{"Observation.where(code.coding.code = 'X')", FP_FAST_WHERE_CODE},
		{"Bundle.entry.where(resource.resourceType = 'AllergyIntolerance')", FP_FAST_ENTRY_RT},
		{"Bundle.entry.where('AllergyIntolerance' = resource.resourceType)", FP_FAST_ENTRY_RT},
		/* not the patterns */
		{"Bundle.entry.select(resource).ofType(Observation).where(" E2 ")", 0},
		{"Bundle.entry.resource.ofType(DomainResource).where(text.exists())", 0},
		{"Bundle.entry.resource.where(resourceType = 'Nothing').where(" E2 ")", 0},
		{"Bundle.entry.resource.ofType(Encounter).where(type.coding.code = 'X')", 0},  /* not code or category */
		{"Bundle.entry.resource.ofType(Observation).where(code.coding.code = 8867)", 0},
		{"Bundle.entry.resource.ofType(Observation).where(code.coding.code = 'X' and status = 'final')", 0},
		{"Bundle.entry.resource.ofType(Observation).where(code.coding.code != 'X')", 0},
		{"Bundle.entry.resource.ofType(Observation).where(value.coding.code = 'X')", 0},
		{"Bundle.select(entry).where(resource.resourceType = 'AllergyIntolerance')", 0},
		{"Bundle.entry.where(resource.resourceType = 'AllergyIntolerance' and fullUrl.exists())", 0},
		{"Bundle.entry.where(resource.id = 'AllergyIntolerance')", 0},
		{"Bundle.entry.where(resource.resourceType ~ 'AllergyIntolerance')", 0},
		{"Bundle.entry.where(resource.resourceType = 1)", 0},
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
		mn_error err;
		mn_fp_expr *e = mn_fp_compile(T[i].expr, -1, &err);
		CHECK_MSG(e != NULL, "%s", T[i].expr);
		if (e)
			CHECK_MSG(e->root->fast == T[i].fast, "%s: fast %d, want %d", T[i].expr, e->root->fast, T[i].fast);
		mn_fp_expr_free(e);
	}
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
	test_coded();
	test_coded_marks();
	test_raw();
	mn_case_free(c);
	mn_arena_free(arena);
	mn_fp_env_free(env);
	TEST_END();
}
