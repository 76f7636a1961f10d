/*
 * tests/test_fhir.c: the FHIR R4 layer: type model lookups, loading cases
 * (Bundles of every type, single resources, contained), reference
 * resolution, owners, the errors for bad input (code, JSON pointer path,
 * line:column) and the shared real-world data (Synthea, Da Vinci, the
 * FHIRPath suite inputs), which is skipped when the data folder is absent.
 */
#include "fhir/model.h"
#include "fhir/case_memo.h"
#include "test.h"

#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

/* ---- model ------------------------------------------------------------- */

static const mn_fhir_type *T(const char *name)
{
	return mn_fhir_type_find(name, strlen(name));
}

static const mn_fhir_element *E(const char *type, const char *name)
{
	return mn_fhir_element_find(T(type), name, strlen(name));
}

static void test_model_types(void)
{
	const mn_fhir_type *obs = T("Observation");
	CHECK(obs != NULL);
	CHECK_STR(obs->name, "Observation");
	CHECK_INT(obs->kind, MN_FHIR_RESOURCE);
	CHECK(obs->base == T("DomainResource"));
	CHECK(T("DomainResource")->base == T("Resource"));
	CHECK(T("Resource")->base == NULL);
	CHECK(obs->system_type == NULL);

	CHECK(T("observation") == NULL);
	CHECK(T("String") == NULL);
	CHECK(T("") == NULL);
	CHECK(mn_fhir_type_find("Observation.component.x", 21) == T("Observation.component"));
	CHECK(mn_fhir_type_find("Patientxyz", 7) == T("Patient"));
	CHECK(mn_fhir_type_find("Patient", 6) == NULL);
	CHECK(mn_fhir_type_find(NULL, 0) == NULL);
	/* found types are remembered by name (per thread): asked again, with the name at another address, the
	 * same answer; names that differ only in the middle of 17 or more bytes, or by one byte, or by length,
	 * are not taken for a remembered one */
	{
		char buf[64];
		const mn_fhir_type *mr = T("MedicationRequest"), *ms = T("MedicationStatement");
		CHECK(mr && strcmp(mr->name, "MedicationRequest") == 0 && ms && mr != ms);
		for (int k = 0; k < 3; k++) {
			snprintf(buf, sizeof buf, "MedicationRequest");
			CHECK(mn_fhir_type_find(buf, 17) == mr);
			buf[9] = 'X';  /* "MedicatioXRequest": the same first and last 8 bytes */
			CHECK(mn_fhir_type_find(buf, 17) == NULL);
			CHECK(T("Observatiom") == NULL);
			CHECK(T("Observation") == obs);
			CHECK(mn_fhir_type_find("Observation", 10) == NULL);
			CHECK(T("id") && T("id")->kind == MN_FHIR_PRIMITIVE);
			CHECK(T("ie") == NULL);
			CHECK(mn_fhir_type_find("Patient\0", 8) == NULL);
		}
		/* a remembered name with each byte changed in turn (first and last 8, the middle beyond 16, all
		 * of a short one) is no type; the name itself is still found after each */
		static const char *const names[] = {"MedicationAdministration", "AllergyIntolerance", "DiagnosticReport",
		                                    "Encounter", "Claim", "uri", "url", "id"};
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			size_t len = strlen(names[i]);
			const mn_fhir_type *t = mn_fhir_type_find(names[i], len);
			CHECK_MSG(t && strcmp(t->name, names[i]) == 0, "%s", names[i]);
			for (size_t j = 0; j < len; j++) {
				memcpy(buf, names[i], len + 1);
				buf[j] = '~';
				CHECK_MSG(mn_fhir_type_find(buf, len) == NULL, "%s", buf);
				memcpy(buf, names[i], len + 1);
				CHECK_MSG(mn_fhir_type_find(buf, len) == t, "%s again", names[i]);
			}
		}
	}

	/* primitives and their FHIRPath System types */
	static const struct { const char *fhir, *sys; } prims[] = {
		{"boolean", "Boolean"}, {"integer", "Integer"}, {"positiveInt", "Integer"},
		{"unsignedInt", "Integer"}, {"decimal", "Decimal"}, {"date", "Date"},
		{"dateTime", "DateTime"}, {"instant", "DateTime"}, {"time", "Time"},
		{"string", "String"}, {"code", "String"}, {"id", "String"}, {"uri", "String"},
		{"url", "String"}, {"canonical", "String"}, {"oid", "String"}, {"uuid", "String"},
		{"markdown", "String"}, {"base64Binary", "String"}, {"xhtml", "String"},
	};
	size_t nprim = 0;
	for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
		const mn_fhir_type *p = T(prims[i].fhir);
		CHECK_MSG(p && p->kind == MN_FHIR_PRIMITIVE, "%s", prims[i].fhir);
		if (p)
			CHECK_STR(p->system_type, prims[i].sys);
	}
	for (size_t i = 0; i < mn_fhir__ntypes; i++)
		if (mn_fhir__types[i].kind == MN_FHIR_PRIMITIVE)
			nprim++;
	CHECK_INT(nprim, sizeof prims / sizeof prims[0]);
	CHECK(T("positiveInt")->base == T("integer"));
	CHECK(T("code")->base == T("string"));
	CHECK(T("canonical")->base == T("uri"));
	CHECK(T("string")->base == T("Element"));

	/* complex types and inheritance */
	CHECK_INT(T("Quantity")->kind, MN_FHIR_COMPLEX);
	CHECK(T("Age")->base == T("Quantity"));
	CHECK(T("SimpleQuantity")->base == T("Quantity"));
	CHECK(mn_fhir_type_is_a(T("Age"), T("Quantity")));
	CHECK(mn_fhir_type_is_a(T("Age"), T("Element")));
	CHECK(!mn_fhir_type_is_a(T("Quantity"), T("Age")));
	CHECK(mn_fhir_type_is_a(T("Observation"), T("Resource")));
	CHECK(mn_fhir_type_is_a(T("Observation"), T("Observation")));
	CHECK(!mn_fhir_type_is_a(T("Patient"), T("Observation")));
	CHECK(!mn_fhir_type_is_a(T("Patient"), NULL));
	CHECK(mn_fhir_type_is_a(T("Timing"), T("BackboneElement")));
	CHECK(mn_fhir_type_is_a(T("positiveInt"), T("integer")));

	CHECK(mn_fhir_is_resource_type("Patient", 7));
	CHECK(mn_fhir_is_resource_type("Bundle", 6));
	CHECK(mn_fhir_is_resource_type("Resource", 8));
	CHECK(!mn_fhir_is_resource_type("Quantity", 8));
	CHECK(!mn_fhir_is_resource_type("Observation.component", 21));
	CHECK(!mn_fhir_is_resource_type("Patients", 8));

	/* counts: every R4 resource type is there */
	size_t nres = 0;
	for (size_t i = 0; i < mn_fhir__ntypes; i++)
		if (mn_fhir__types[i].kind == MN_FHIR_RESOURCE)
			nres++;
	CHECK_INT(nres, 149); /* 147 concrete + Resource + DomainResource */
	/* the tables are sorted for binary search */
	for (size_t i = 1; i < mn_fhir__ntypes; i++)
		CHECK_MSG(strcmp(mn_fhir__types[i - 1].name, mn_fhir__types[i].name) < 0, "%s",
		          mn_fhir__types[i].name);
	bool sorted = true;
	for (size_t i = 0; i < mn_fhir__ntypes; i++) {
		const mn_fhir_type *t = &mn_fhir__types[i];
		for (size_t k = 1; k < t->nelements; k++)
			if (strcmp(t->elements[k - 1].name, t->elements[k].name) >= 0)
				sorted = false;
		for (size_t k = 0; k < t->nelements; k++)
			if (mn_fhir_element_find(t, t->elements[k].name, strlen(t->elements[k].name)) !=
			    &t->elements[k])
				sorted = false;
	}
	CHECK(sorted);
}

static void test_model_elements(void)
{
	const mn_fhir_element *e;
	const mn_fhir_type *ty;

	/* own and inherited */
	e = E("Observation", "status");
	CHECK(e && !e->choice && !e->many && e->ntypes == 1 && e->types[0] == T("code"));
	e = E("Observation", "id");
	CHECK(e && e->types[0] == T("id")); /* Resource.id */
	CHECK(e == E("Resource", "id"));
	CHECK(E("Observation", "text") == E("DomainResource", "text"));
	CHECK(E("Observation", "contained")->types[0] == T("Resource"));
	CHECK(E("Observation", "contained")->many);
	CHECK(E("Quantity", "id")->types[0] == T("string")); /* Element.id */
	CHECK(E("Age", "value")->types[0] == T("decimal"));
	CHECK(E("Observation", "category")->many);
	CHECK(E("Observation", "nope") == NULL);
	CHECK(E("Observation", "value") && E("Observation", "value")->choice);
	CHECK(E("Observation", "subject")->types[0] == T("Reference"));
	CHECK(E("Questionnaire", "url")->types[0] == T("uri"));
	CHECK(E("Extension", "url")->types[0] == T("uri"));
	CHECK(E("Extension", "value")->ntypes == 50);
	CHECK(E("Patient", "modifierExtension") == E("DomainResource", "modifierExtension"));
	CHECK(E("Quantity", "modifierExtension") == NULL); /* BackboneElement and DomainResource only */
	CHECK(E("Patient", "extension") == E("DomainResource", "extension"));
	CHECK(E("Observation.component", "modifierExtension") == E("BackboneElement", "modifierExtension"));
	CHECK(E("Observation.component", "extension") == E("Element", "extension"));
	CHECK(E("string", "extension") == E("Element", "extension"));

	/* choices as JSON names */
	e = mn_fhir_element_for_json(T("Observation"), "valueQuantity", 13, &ty);
	CHECK(e && e->choice && strcmp(e->name, "value") == 0 && ty == T("Quantity"));
	e = mn_fhir_element_for_json(T("Observation"), "valueDateTime", 13, &ty);
	CHECK(e && ty == T("dateTime"));
	e = mn_fhir_element_for_json(T("Observation"), "valueString", 11, &ty);
	CHECK(e && ty == T("string"));
	e = mn_fhir_element_for_json(T("Observation"), "valueCodeableConcept", 20, &ty);
	CHECK(e && ty == T("CodeableConcept"));
	e = mn_fhir_element_for_json(T("Observation"), "effectivePeriod", 15, &ty);
	CHECK(e && strcmp(e->name, "effective") == 0 && ty == T("Period"));
	e = mn_fhir_element_for_json(T("Observation"), "effectiveInstant", 16, &ty);
	CHECK(e && ty == T("instant"));
	e = mn_fhir_element_for_json(T("Patient"), "deceasedBoolean", 15, &ty);
	CHECK(e && ty == T("boolean"));
	e = mn_fhir_element_for_json(T("Patient"), "multipleBirthInteger", 20, &ty);
	CHECK(e && ty == T("integer"));
	e = mn_fhir_element_for_json(T("Extension"), "valueReference", 14, &ty);
	CHECK(e && ty == T("Reference"));
	e = mn_fhir_element_for_json(T("Extension"), "valueUuid", 9, &ty);
	CHECK(e && ty == T("uuid"));
	CHECK(mn_fhir_element_for_json(T("Observation"), "value", 5, &ty) == NULL && ty == NULL);
	CHECK(mn_fhir_element_for_json(T("Observation"), "valueFoo", 8, &ty) == NULL);
	CHECK(mn_fhir_element_for_json(T("Observation"), "valuequantity", 13, &ty) == NULL);
	CHECK(mn_fhir_element_for_json(T("Observation"), "valueAge", 8, &ty) == NULL); /* not allowed */
	CHECK(mn_fhir_element_for_json(T("Observation"), "valueDatetime", 13, &ty) == NULL);
	CHECK(mn_fhir_element_for_json(T("Observation"), "statusCode", 10, &ty) == NULL);
	e = mn_fhir_element_for_json(T("Observation"), "status", 6, &ty);
	CHECK(e && ty == T("code"));
	e = mn_fhir_element_for_json(T("Observation"), "meta", 4, &ty); /* inherited */
	CHECK(e && ty == T("Meta"));
	/* a choice inherited through the base: Age has Quantity's elements */
	e = mn_fhir_element_for_json(T("Age"), "unit", 4, &ty);
	CHECK(e && ty == T("string"));

	/* backbone elements and contentReference */
	const mn_fhir_type *comp = T("Observation.component");
	CHECK(comp && comp->kind == MN_FHIR_BACKBONE && comp->base == T("BackboneElement"));
	e = E("Observation", "component");
	CHECK(e && e->many && e->types[0] == comp);
	e = mn_fhir_element_for_json(comp, "valueQuantity", 13, &ty);
	CHECK(e && ty == T("Quantity"));
	CHECK(E("Bundle.entry", "resource")->types[0] == T("Resource"));
	CHECK(E("Bundle", "entry")->types[0] == T("Bundle.entry"));
	CHECK(E("Bundle.entry", "request")->types[0] == T("Bundle.entry.request"));
	CHECK(E("Questionnaire.item", "item")->types[0] == T("Questionnaire.item"));
	CHECK(E("Questionnaire.item", "item")->many);
	CHECK(T("Timing.repeat") && T("Timing.repeat")->base == T("Element"));
	e = mn_fhir_element_for_json(T("Timing.repeat"), "boundsPeriod", 12, &ty);
	CHECK(e && ty == T("Period"));
	CHECK(T("Parameters.parameter.part") == NULL);
	CHECK(E("Parameters.parameter", "part")->types[0] == T("Parameters.parameter"));
}

/* ---- loading good cases ------------------------------------------------ */

static mn_case *load(const char *json, unsigned flags)
{
	mn_case *c = NULL;
	mn_error err;
	mn_status st = mn_case_load_ex("t.json", json, strlen(json), flags, &c, &err);
	if (st) {
		char buf[1200];
		mn_error_format(&err, buf, sizeof buf);
		fprintf(stderr, "unexpected load failure: %s\n", buf);
	}
	return c;
}

static const char *BUNDLE_FMT =
	"{\"resourceType\":\"Bundle\",\"type\":\"%s\",\"entry\":[\n"
	"{\"fullUrl\":\"urn:uuid:11111111-1111-1111-1111-111111111111\",\n"
	" \"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1970-01-02\",\n"
	"  \"name\":[{\"family\":\"Doe\",\"given\":[\"J\",\"K\"]}],\"deceasedBoolean\":false}%s},\n"
	"{\"fullUrl\":\"http://example.org/fhir/Observation/o1\",\n"
	" \"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\n"
	"  \"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"1-8\"}]},\n"
	"  \"subject\":{\"reference\":\"urn:uuid:11111111-1111-1111-1111-111111111111\"},\n"
	"  \"effectiveDateTime\":\"2024-02-29T10:00:00Z\",\n"
	"  \"valueQuantity\":{\"value\":1.50,\"unit\":\"mg\"},\n"
	"  \"component\":[{\"code\":{\"text\":\"x\"},\"valueInteger\":-3}]}%s},\n"
	"{\"fullUrl\":\"http://example.org/fhir/Condition/c1\",\n"
	" \"resource\":{\"resourceType\":\"Condition\",\"id\":\"c1\",\n"
	"  \"subject\":{\"reference\":\"Patient/p1\",\"display\":\"J Doe\"},\n"
	"  \"evidence\":[{\"detail\":[{\"reference\":\"Observation/o1\"},\n"
	"    {\"reference\":\"http://example.org/fhir/Observation/o1\"},\n"
	"    {\"reference\":\"Observation/o1/_history/2\"},\n"
	"    {\"identifier\":{\"value\":\"only-an-identifier\"}},{\"display\":\"only a display\"}]}]}%s}\n"
	"]}";

static void test_load_bundles(void)
{
	static const char *types[] = {"collection", "transaction", "batch", "searchset", "document",
	                              "history", "message", "transaction-response"};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		char json[4096];
		const char *req = "";
		if (strcmp(types[i], "transaction") == 0 || strcmp(types[i], "batch") == 0)
			req = ",\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}";
		else if (strcmp(types[i], "searchset") == 0)
			req = ",\"search\":{\"mode\":\"match\",\"score\":1}";
		snprintf(json, sizeof json, BUNDLE_FMT, types[i], req, req, req);
		mn_case *c = load(json, 0);
		CHECK_MSG(c != NULL, "bundle type %s", types[i]);
		if (!c)
			continue;
		CHECK_INT(mn_case_count(c), 3);
		const mn_resource *p = mn_case_get(c, 0), *o = mn_case_get(c, 1), *cond = mn_case_get(c, 2);
		CHECK(mn_case_get(c, 3) == NULL);
		CHECK_STR(p->type_name, "Patient");
		CHECK(p->type == T("Patient"));
		CHECK_STR(p->id, "p1");
		CHECK_STR(p->full_url, "urn:uuid:11111111-1111-1111-1111-111111111111");
		CHECK_INT(p->index, 0);
		CHECK_INT(cond->index, 2);
		CHECK(p->container == NULL);
		CHECK_STR(o->type_name, "Observation");
		CHECK_STR(mn_case_name(c), "t.json");

		/* resolution of each kind */
		CHECK(mn_case_resolve(c, "Patient/p1", 10, o) == p);
		CHECK(mn_case_resolve(c, "Patient/p1", 10, NULL) == p);
		CHECK(mn_case_resolve(c, "urn:uuid:11111111-1111-1111-1111-111111111111", 45, cond) == p);
		CHECK(mn_case_resolve(c, "Observation/o1", 14, cond) == o);
		CHECK(mn_case_resolve(c, "Observation/o1/_history/2", 25, cond) == o);
		const char *abs = "http://example.org/fhir/Observation/o1";
		CHECK(mn_case_resolve(c, abs, strlen(abs), p) == o);
		abs = "http://example.org/fhir/Condition/c1";
		CHECK(mn_case_resolve(c, abs, strlen(abs), p) == cond);
		abs = "http://other.org/fhir/Observation/o1"; /* another server */
		CHECK(mn_case_resolve(c, abs, strlen(abs), p) == NULL);
		abs = "http://example.org/fhir/Patient/p1"; /* base of o1's and c1's fullUrl */
		CHECK(mn_case_resolve(c, abs, strlen(abs), cond) == p);
		CHECK(mn_case_resolve(c, "Patient/p2", 10, o) == NULL);
		CHECK(mn_case_resolve(c, "Patient?identifier=x", 20, o) == NULL);
		CHECK(mn_case_resolve(c, "p1", 2, o) == NULL);
		/* one slash: the type is all before it, the id all after it */
		CHECK(mn_case_resolve(c, "Patien/p1", 9, o) == NULL);
		CHECK(mn_case_resolve(c, "patient/p1", 10, o) == NULL);
		CHECK(mn_case_resolve(c, "Observation/p1", 14, o) == NULL);
		CHECK(mn_case_resolve(c, "/p1", 3, o) == NULL);
		CHECK(mn_case_resolve(c, "Patient/", 8, o) == NULL);
		CHECK(mn_case_resolve(c, "Patient/p1/", 11, o) == NULL);
		CHECK(mn_case_resolve(c, "Patient/p1x", 10, o) == p);  /* the length given, not the text's */
		CHECK(mn_case_resolve(c, "x/Patient/p1", 12, o) == NULL);
		CHECK(mn_case_resolve(c, "#", 1, o) == o);
		CHECK(mn_case_resolve(c, "#x", 2, o) == NULL);
		CHECK(mn_case_resolve(c, "", 0, o) == NULL);

		/* find by object and owner of nodes */
		CHECK(mn_case_find_json(c, p->json) == p);
		CHECK(mn_case_find_json(c, mn_case_root(c)) == NULL);
		const mn_json *vq = mn_json_get(o->json, "valueQuantity");
		const mn_json *val = mn_json_get(vq, "value");
		CHECK(mn_case_owner(c, val) == o);
		CHECK(mn_case_owner(c, vq) == o);
		CHECK(mn_case_owner(c, o->json) == o);
		CHECK(mn_case_owner(c, mn_json_get(o->json, "resourceType")) == o);
		const mn_json *comp = mn_json_get(o->json, "component");
		CHECK(mn_case_owner(c, &comp->u.items[0]) == o);
		CHECK(mn_case_owner(c, mn_json_get(mn_case_root(c), "type")) == NULL);
		CHECK(mn_case_owner(c, mn_case_root(c)) == NULL);
		const mn_json *entry = mn_json_get(mn_case_root(c), "entry");
		CHECK(mn_case_owner(c, mn_json_get(&entry->u.items[1], "fullUrl")) == NULL);
		CHECK(mn_case_owner(c, mn_json_get(p->json, "deceasedBoolean")) == p);
		int line, col;
		mn_case_position(c, val, &line, &col);
		CHECK_INT(line, 10);
		CHECK_INT(col, 28);
		CHECK(mn_case_arena(c) != NULL);
		CHECK_INT(mn_case_unresolved(c), 0);
		mn_case_free(c);
	}
}

static void test_load_single(void)
{
	const char *json =
		"{\"resourceType\":\"Patient\",\"id\":\"p\",\n"
		" \"contained\":[{\"resourceType\":\"Organization\",\"id\":\"org\",\"name\":\"Acme\"},\n"
		"   {\"resourceType\":\"Practitioner\",\"id\":\"doc\",\n"
		"    \"extension\":[{\"url\":\"http://x\",\"valueReference\":{\"reference\":\"#org\"}}]}],\n"
		" \"managingOrganization\":{\"reference\":\"#org\"},\n"
		" \"generalPractitioner\":[{\"reference\":\"#doc\"},{\"reference\":\"#\"}],\n"
		" \"birthDate\":\"2000\",\"_birthDate\":{\"extension\":[{\"url\":\"http://y\",\"valueCode\":\"z\"}]},\n"
		" \"name\":[{\"given\":[null,\"B\"],\"_given\":[{\"id\":\"g0\"}]}],\n"
		" \"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">x</div>\"},\n"
		" \"meta\":{\"lastUpdated\":\"2024-01-01T00:00:00.123+01:00\",\"versionId\":\"1\"},\n"
		" \"multipleBirthInteger\":2,\"active\":true,\n"
		" \"modifierExtension\":[{\"url\":\"http://m\",\"valueTime\":\"10:20:30\"}]}";
	mn_case *c = load(json, 0);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(mn_case_count(c), 1);
	const mn_resource *p = mn_case_get(c, 0);
	CHECK_STR(p->type_name, "Patient");
	CHECK(p->full_url == NULL);
	CHECK(p->json == mn_case_root(c));
	const mn_resource *org = mn_case_resolve(c, "#org", 4, p);
	const mn_resource *doc = mn_case_resolve(c, "#doc", 4, p);
	CHECK(org && doc && org != doc);
	CHECK(org && org->container == p && strcmp(org->type_name, "Organization") == 0);
	CHECK(org && org->index >= 1); /* contained get indexes after the top-level ones */
	CHECK(mn_case_resolve(c, "#org", 4, doc) == org); /* from a sibling: same container */
	CHECK(mn_case_resolve(c, "#", 1, doc) == p);
	CHECK(mn_case_resolve(c, "Organization/org", 16, p) == NULL); /* contained are not Type/id */
	const mn_json *ct = mn_json_get(p->json, "contained");
	CHECK(mn_case_find_json(c, &ct->u.items[1]) == doc);
	const mn_json *ext = mn_json_get(&ct->u.items[1], "extension");
	CHECK(mn_case_owner(c, &ext->u.items[0]) == doc);
	CHECK(mn_case_owner(c, mn_json_get(&ct->u.items[0], "name")) == org);
	CHECK(mn_case_owner(c, ct) == p);
	CHECK(mn_case_owner(c, mn_json_get(p->json, "active")) == p);
	mn_case_free(c);

	/* a nested resource (Parameters.parameter.resource) belongs to its holder */
	json = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"a\",\"resource\":"
	       "{\"resourceType\":\"Patient\",\"id\":\"x\",\"active\":true}},"
	       "{\"name\":\"b\",\"part\":[{\"name\":\"c\",\"valueDecimal\":1e3}]}]}";
	c = load(json, 0);
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(mn_case_count(c), 1);
		const mn_json *par = mn_json_get(mn_case_root(c), "parameter");
		const mn_json *pat = mn_json_get(&par->u.items[0], "resource");
		CHECK(mn_case_owner(c, mn_json_get(pat, "active")) == mn_case_get(c, 0));
		mn_case_free(c);
	}
}

/* ---- bad input --------------------------------------------------------- */

static void expect_err(const char *json, mn_status code, const char *path, int line, int col,
                       const char *msg_part, unsigned lineno)
{
	mn_case *c = (mn_case *)1;
	mn_error err;
	mn_status st = mn_case_load_ex("bad.json", json, strlen(json), 0, &c, &err);
	CHECK_MSG(st == code, "line %u: status %d (%s), want %d", lineno, st, err.message, code);
	CHECK_MSG(c == NULL, "line %u: case not NULL on failure", lineno);
	if (st != code)
		return;
	CHECK_MSG(strcmp(err.path, path) == 0, "line %u: path \"%s\", want \"%s\"", lineno, err.path, path);
	CHECK_MSG(err.line == line && err.column == col, "line %u: at %d:%d, want %d:%d (%s)", lineno,
	          err.line, err.column, line, col, err.message);
	CHECK_MSG(strcmp(err.source, "bad.json") == 0, "line %u: source \"%s\"", lineno, err.source);
	CHECK_MSG(strstr(err.message, msg_part) != NULL, "line %u: message \"%s\" lacks \"%s\"", lineno,
	          err.message, msg_part);
}

#define BAD(json, code, path, line, col, msg) expect_err(json, code, path, line, col, msg, __LINE__)

static void test_bad_input(void)
{
	/* malformed JSON keeps the parser's line:column */
	{
		mn_case *c = NULL;
		mn_error err;
		const char *j = "{\"resourceType\":\"Patient\",\n \"id\": x}";
		CHECK_INT(mn_case_load("bad.json", j, strlen(j), &c, &err), MN_EJSON);
		CHECK(c == NULL);
		CHECK_INT(err.line, 2);
		CHECK_INT(err.column, 8);
		CHECK_STR(err.source, "bad.json");
	}
	BAD("[1,2]", MN_EFHIR, "", 1, 1, "found an array");
	BAD("{\"id\":\"x\"}", MN_EFHIR, "", 1, 1, "missing resourceType");
	BAD("{\"hook\":\"order-sign\",\"context\":{}}", MN_EFHIR, "", 1, 1, "CDS Hooks request");
	BAD("{\"resourceType\":3}", MN_EFHIR, "/resourceType", 1, 17, "must be a string");
	BAD("{\"resourceType\":\"Patent\"}", MN_EFHIR, "/resourceType", 1, 17,
	    "unknown resourceType \"Patent\"");
	BAD("{\"resourceType\":\"DomainResource\"}", MN_EFHIR, "/resourceType", 1, 17, "unknown resourceType");
	BAD("{\"resourceType\":\"Quantity\"}", MN_EFHIR, "/resourceType", 1, 17, "unknown resourceType");
	BAD("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":\n"
	    "  {\"id\":\"a\"}}]}",
	    MN_EFHIR, "/entry/0/resource", 2, 3, "Bundle.entry.resource (Resource): missing resourceType");
	BAD("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":\n"
	    "  {\"resourceType\":\"Foo\"}}]}",
	    MN_EFHIR, "/entry/0/resource/resourceType", 2, 19, "unknown resourceType \"Foo\"");

	/* S_object's shortcut takes a JSON string for a single primitive String element (code, uri, id, ...)
	 * of a type that is not a resource as valid at once; everything else goes the general way. Each member
	 * below is on its own line, its value after the key and ':' */
#define OBS_CODE "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\",\"coding\":[{\n"
	{
		mn_case *c = NULL;
		mn_error err;
		const char *j = OBS_CODE "\"system\":\"http://loinc.org\",\n\"code\":\"8867-4\"}]}}";
		CHECK_INT(mn_case_load("ok.json", j, strlen(j), &c, &err), MN_OK);
		mn_case_free(c);
	}
	BAD(OBS_CODE "\"system\":\"a\",\n\"system\":\"b\"}]}}", MN_EFHIR, "/code/coding/0/system", 3, 10,
	    "Coding.system: given more than once");                                    /* shortcut, both times */
	BAD(OBS_CODE "\"code\":5}]}}", MN_EFHIR, "/code/coding/0/code", 2, 8,
	    "Coding.code (code): expected a string, found a number");                   /* not a string */
	BAD(OBS_CODE "\"userSelected\":\"true\"}]}}", MN_EFHIR, "/code/coding/0/userSelected", 2, 16,
	    "Coding.userSelected (boolean): expected true or false");                   /* not String */
	BAD(OBS_CODE "\"_\":\"x\"}]}}", MN_EFHIR, "/code/coding/0/_", 2, 5, "Coding: unknown element \"_\"");
	BAD(OBS_CODE "\"_code\":\"x\"}]}}", MN_EFHIR, "/code/coding/0/_code", 2, 9,
	    "expected an object for \"_code\", found a string");                       /* "_name" */
	BAD(OBS_CODE "\"cod\":\"x\"}]}}", MN_EFHIR, "/code/coding/0/cod", 2, 7, "Coding: unknown element \"cod\"");
	BAD("{\"resourceType\":\"Patient\",\"name\":[{\n\"given\":\"B\"}]}", MN_EFHIR, "/name/0/given", 2, 9,
	    "HumanName.given (string): expected an array, found a string");             /* many */
	BAD("{\"resourceType\":\"Patient\",\"name\":[{\"period\":{\n\"start\":\"2020-13-01\"}}]}", MN_EFHIR,
	    "/name/0/period/start", 2, 9, "invalid dateTime");                             /* DateTime */
	BAD("{\"resourceType\":\"Patient\",\"name\":[{\n\"period\":\"x\"}]}", MN_EFHIR, "/name/0/period", 2, 10,
	    "HumanName.period (Period): expected an object, found a string");            /* complex */
	BAD("{\"resourceType\":\"Patient\",\n\"gender\":5}", MN_EFHIR, "/gender", 2, 10,
	    "Patient.gender (code): expected a string, found a number");                /* a resource's own */
#undef OBS_CODE
	/* the check remembers element look-ups by type and name (S_element): a name it knows for one type is
	 * looked up again for another, and a name with the same length and the same first and last 8 bytes
	 * as a known one ("valueCod" "eXbl" "eConcept" beside valueCodeableConcept) is not taken for it */
	BAD("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[\n"
	    "{\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	    "\"valueCodeableConcept\":{\"text\":\"y\"}}},\n"
	    "{\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	    "\"valueCodeXbleConcept\":{\"text\":\"y\"}}}]}",
	    MN_EFHIR, "/entry/1/resource/valueCodeXbleConcept", 3, 103,
	    "Observation: unknown element \"valueCodeXbleConcept\"");
	BAD("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\",\"status\":\"y\"}}",
	    MN_EFHIR, "/code/status", 1, 76, "CodeableConcept: unknown element \"status\"");
	BAD("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	    "\"component\":[{\"code\":{\"text\":\"a\"},\"valueString\":\"b\"},{\"code\":{\"text\":\"a\"},\"valueStrinG\":\"b\"}]}",
	    MN_EFHIR, "/component/1/valueStrinG", 1, 156, "Observation.component: unknown element \"valueStrinG\"");
	/* unknown elements */
	BAD("{\"resourceType\":\"Patient\",\n\"foo\":1}", MN_EFHIR, "/foo", 2, 7,
	    "Patient: unknown element \"foo\"");
	BAD("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\n"
	    "  \"valueQuantity\":{\"value\":1,\"units\":\"mg\"}}",
	    MN_EFHIR, "/valueQuantity/units", 2, 38, "Quantity: unknown element \"units\"");
	BAD("{\"resourceType\":\"Observation\",\"value\":\"x\"}", MN_EFHIR, "/value", 1, 39,
	    "needs a type suffix");
	BAD("{\"resourceType\":\"Observation\",\"valueAge\":{}}", MN_EFHIR, "/valueAge", 1, 42, "unknown element");
	BAD("{\"resourceType\":\"Observation\",\"code\":{\"resourceType\":\"X\"}}", MN_EFHIR,
	    "/code/resourceType", 1, 54, "CodeableConcept: unknown element \"resourceType\"");
	BAD("{\"resourceType\":\"Patient\",\"_foo\":{}}", MN_EFHIR, "/_foo", 1, 34, "unknown element \"_foo\"");
	BAD("{\"resourceType\":\"Patient\",\"_name\":{}}", MN_EFHIR, "/_name", 1, 35,
	    "only allowed for a primitive");
	BAD("{\"resourceType\":\"Patient\",\"_active\":{\"value\":true}}", MN_EFHIR, "/_active/value", 1, 46,
	    "Element: unknown element \"value\"");
	BAD("{\"resourceType\":\"Patient\",\"contained\":[{\"resourceType\":\"Patient\",\n"
	    "  \"contained\":[{\"resourceType\":\"Patient\"}]}]}",
	    MN_EFHIR, "/contained/0/contained", 2, 15, "must not contain");
	BAD("{\"resourceType\":\"Patient\",\"meta\":{\"tag\":[{\"system\":\"s\",\"extension\":[{\"url\":\"u\",\n"
	    "  \"valueCoding\":{\"bogus\":1}}]}]}}",
	    MN_EFHIR, "/meta/tag/0/extension/0/valueCoding/bogus", 2, 26, "Coding: unknown element \"bogus\"");

	/* S_object's shortcut for any known element named without '_' (a resource's own members too, but
	 * resourceType and contained): a complex element's one object, or its array of objects, is walked there;
	 * any other value goes the general way. The errors are those of the general way, at the same place */
#define PAT "{\"resourceType\":\"Patient\",\n"
	BAD(PAT "\"name\":[{\"family\":\"a\"},\"x\",{\"family\":\"b\"}]}", MN_EFHIR, "/name/1", 2, 24,
	    "Patient.name (HumanName): expected an object, found a string");      /* not all objects */
	BAD(PAT "\"name\":[{\"family\":\"a\"},null]}", MN_EFHIR, "/name/1", 2, 24, "null is only allowed");
	BAD(PAT "\"name\":[{\"family\":\"a\"},{\"family\":\"b\",\n\"bogus\":1}]}", MN_EFHIR, "/name/1/bogus", 3, 9,
	    "HumanName: unknown element \"bogus\"");                                 /* inside the second */
	BAD(PAT "\"maritalStatus\":[{\"text\":\"M\"}]}", MN_EFHIR, "/maritalStatus", 2, 17,
	    "Patient.maritalStatus (CodeableConcept): expected a single value, found an array");
	BAD(PAT "\"maritalStatus\":null}", MN_EFHIR, "/maritalStatus", 2, 17, "null is not a FHIR value");
	BAD(PAT "\"maritalStatus\":{\"coding\":[{\"system\":\"s\",\n\"code\":[\"M\"]}]}}", MN_EFHIR,
	    "/maritalStatus/coding/0/code", 3, 8, "Coding.code (code): expected a single value, found an array");
	BAD(PAT "\"generalPractitioner\":[{\"display\":\"a\"},{\n\"reference\":\"Practitioner/none\"}]}", MN_EREF,
	    "/generalPractitioner/1/reference", 3, 13, "does not resolve");          /* a Reference in an array */
	BAD(PAT "\"managingOrganization\":{\"display\":\"a\",\n\"reference\":\"Organization/none\"}}", MN_EREF,
	    "/managingOrganization/reference", 3, 13, "does not resolve");           /* a single Reference */
	/* two members naming one element: the same key (the parser saw it twice), or two choices (an object
	 * with unique keys is compared only when it has a choice element) */
	BAD(PAT "\"extension\":[{\"url\":\"u\",\"valueString\":\"a\",\n\"valueCode\":\"b\"}]}", MN_EFHIR,
	    "/extension/0/valueCode", 3, 13, "Extension.value[x]: given more than once");
	BAD(PAT "\"extension\":[{\"url\":\"u\",\"_valueString\":{},\n\"_valueCode\":{}}]}", MN_EFHIR,
	    "/extension/0/_valueCode", 3, 14, "Extension.value[x]: given more than once");
	BAD(PAT "\"extension\":[{\"url\":\"u\",\"valueCoding\":{},\n\"valueCoding\":{}}]}", MN_EFHIR,
	    "/extension/0/valueCoding", 3, 15, "Extension.value[x]: given more than once");
	BAD(PAT "\"maritalStatus\":{\"text\":\"a\",\n\"coding\":[],\"text\":\"b\"}}", MN_EFHIR,
	    "/maritalStatus/coding", 3, 10, "an empty array is not allowed");    /* the first error wins */
	BAD(PAT "\"maritalStatus\":{\"text\":\"a\",\n\"coding\":[{}],\"text\":\"b\"}}", MN_EFHIR,
	    "/maritalStatus/text", 3, 22, "CodeableConcept.text: given more than once");
	{
		/* unique keys, no choice: valid, and an unknown "_name" in lenient loading is dropped */
		const char *j = PAT "\"maritalStatus\":{\"text\":\"a\",\"coding\":[{\"code\":\"M\"}]},\n"
		                "\"name\":[{\"family\":\"a\",\"_bogus\":{},\"given\":[\"b\"]}]}";
		mn_case *c = NULL;
		mn_error err;
		CHECK_INT(mn_case_load("unique.json", j, strlen(j), &c, &err), MN_EFHIR);
		CHECK_STR(err.path, "/name/0/_bogus");
		CHECK_INT(mn_case_load_ex("unique.json", j, strlen(j), MN_CASE_LENIENT, &c, &err), MN_OK);
		mn_case_free(c);
	}
	/* the memo entry that answered the member at the same position of the last object of the type is tried
	 * first (S_shape): keys in another order, another key there, a long key that differs from the last one
	 * only in its middle (its first and last 8 bytes the same) */
	{
		const char *j = PAT "\"contact\":[{\"gender\":\"male\",\"modifierExtension\":[{\"url\":\"u\",\"valueString\":\"a\"}]},\n"
		                "{\"modifierExtension\":[{\"valueString\":\"b\",\"url\":\"v\"}],\"gender\":\"female\"},\n"
		                "{\"name\":{\"family\":\"c\"},\"gender\":\"other\"}]}";
		mn_case *c = NULL;
		mn_error err;
		CHECK_INT(mn_case_load("shapes.json", j, strlen(j), &c, &err), MN_OK);
		mn_case_free(c);
	}
	BAD(PAT "\"contact\":[{\"gender\":\"male\",\"modifierExtension\":[{\"url\":\"u\",\"valueString\":\"a\"}]},\n"
	    "{\"gender\":\"male\",\"modifierXxtension\":[{\"url\":\"u\",\"valueString\":\"a\"}]}]}", MN_EFHIR,
	    "/contact/1/modifierXxtension", 3, 38, "Patient.contact: unknown element \"modifierXxtension\"");
	/* an object whose members are all plain strings, named as the last object of its type had them, is valid
	 * at once (S_leaf); anything else in a later object of the type goes the general way */
	BAD(PAT "\"identifier\":[{\"system\":\"a\",\"value\":\"1\"},{\"system\":\"b\",\"value\":\"2\"},\n"
	    "{\"system\":\"c\",\"value\":5}]}", MN_EFHIR, "/identifier/2/value", 3, 23,
	    "Identifier.value (string): expected a string, found a number");
	BAD(PAT "\"identifier\":[{\"system\":\"a\",\"value\":\"1\"},\n{\"system\":\"b\",\"system\":\"c\"}]}", MN_EFHIR,
	    "/identifier/1/system", 3, 24, "Identifier.system: given more than once");
	BAD(PAT "\"identifier\":[{\"system\":\"a\",\"value\":\"1\"},\n{\"system\":\"b\",\"valu\":\"c\"}]}", MN_EFHIR,
	    "/identifier/1/valu", 3, 22, "Identifier: unknown element \"valu\"");
	BAD(PAT "\"generalPractitioner\":[{\"reference\":\"#a\"},{\"reference\":\"#a\"}],\n\"contained\":["
	    "{\"resourceType\":\"Practitioner\",\"id\":\"a\"}],\"managingOrganization\":{\"reference\":\"#a\"},\n"
	    "\"link\":[{\"other\":{\"reference\":\"#b\"},\"type\":\"seealso\"}]}", MN_EREF, "/link/0/other/reference", 4,
	    31, "no contained resource");                                    /* a Reference is still resolved */
	{
		const char *j = PAT "\"identifier\":[{\"system\":\"a\",\"value\":\"1\"},{\"system\":\"a\",\"_value\":{\"id\":\"x\"}},"
		                "{\"value\":\"3\",\"system\":\"c\"},{\"system\":\"d\",\"value\":\"4\"}]}";
		mn_case *c = NULL;
		mn_error err;
		CHECK_INT(mn_case_load("leaf.json", j, strlen(j), &c, &err), MN_OK);
		mn_case_free(c);
	}
	/* the memo of (type, name) answers outlives a load (per thread): the next record's names are compared
	 * with all their bytes, and a name longer than the memo keeps is looked up each time */
	for (int round = 0; round < 2; round++) {
		const char *good = PAT "\"contact\":[{\"modifierExtension\":[{\"url\":\"u\",\"valueString\":\"a\"}]}]}";
		mn_case *c = NULL;
		mn_error err;
		CHECK_INT(mn_case_load("good.json", good, strlen(good), &c, &err), MN_OK);
		mn_case_free(c);
		BAD(PAT "\"contact\":[{\"modifierXxtension\":[{\"url\":\"u\",\"valueString\":\"a\"}]}]}", MN_EFHIR,
		    "/contact/0/modifierXxtension", 2, 33, "Patient.contact: unknown element \"modifierXxtension\"");
		BAD(PAT "\"contact\":[{\"gender\":\"male\",\n"
		    "\"modifierExtensionmodifierExtensionmodifierExtension\":[]}]}", MN_EFHIR,
		    "/contact/0/modifierExtensionmodifierExtensionmodifierExtension", 3, 55,
		    "Patient.contact: unknown element \"modifierExtensionmodifierExtensionmodifierExtension\"");
	}
	BAD(PAT "\"contact\":[{\"gender\":\"male\",\"relationship\":[{\"text\":\"a\"}]},\n"
	    "{\"relationship\":[{\"text\":\"a\"}],\"gender\":5}]}", MN_EFHIR, "/contact/1/gender", 3, 41,
	    "Patient.contact.gender (code): expected a string, found a number");
#undef PAT

	/* an element given twice */
	BAD("{\"resourceType\":\"Observation\",\"valueString\":\"a\",\n  \"valueQuantity\":{}}", MN_EFHIR,
	    "/valueQuantity", 2, 19, "Observation.value[x]: given more than once");
	BAD("{\"resourceType\":\"Patient\",\"gender\":\"male\",\"gender\":\"female\"}", MN_EFHIR, "/gender",
	    1, 52, "Patient.gender: given more than once");
	BAD("{\"resourceType\":\"Patient\",\"resourceType\":\"Patient\"}", MN_EFHIR, "/resourceType", 1, 42,
	    "resourceType given twice");
	/* 9 to 24 members: compared only where a 64-bit filter of the keys seen says so. 12 members, one a line,
	 * the last naming an element given before (its value at the column after the key and ':') */
#define PAT12 "{\"resourceType\":\"Patient\",\n\"id\":\"p\",\n\"active\":true,\n\"gender\":\"male\",\n" \
	"\"birthDate\":\"1970-01-01\",\n\"deceasedBoolean\":false,\n\"multipleBirthBoolean\":false,\n" \
	"\"language\":\"en\",\n\"implicitRules\":\"http://x\",\n\"name\":[{\"family\":\"A\"}],\n" \
	"\"telecom\":[{\"value\":\"1\"}],\n"
	BAD(PAT12 "\"deceasedDateTime\":\"2020-01-01\"}", MN_EFHIR, "/deceasedDateTime", 12, 20,
	    "Patient.deceased[x]: given more than once");
	BAD(PAT12 "\"gender\":\"female\"}", MN_EFHIR, "/gender", 12, 10, "Patient.gender: given more than once");
	BAD(PAT12 "\"multipleBirthInteger\":2}", MN_EFHIR, "/multipleBirthInteger", 12, 24,
	    "Patient.multipleBirth[x]: given more than once");
	BAD(PAT12 "\"resourceType\":\"Patient\"}", MN_EFHIR, "/resourceType", 12, 16, "resourceType given twice");
	{
		/* a primitive and its "_name" are not the same element */
		const char *j = PAT12 "\"_birthDate\":{\"id\":\"b\"}}";
		mn_case *c = NULL;
		mn_error err;
		CHECK_INT(mn_case_load("p12.json", j, strlen(j), &c, &err), MN_OK);
		mn_case_free(c);
	}
	/* 9 members, the fewest the filter is used for */
	BAD("{\"resourceType\":\"Patient\",\"id\":\"p\",\"active\":true,\"gender\":\"male\",\"language\":\"en\",\n"
	    "\"birthDate\":\"1970\",\"deceasedBoolean\":false,\"implicitRules\":\"u\",\n\"deceasedDateTime\":\"2020\"}",
	    MN_EFHIR, "/deceasedDateTime", 3, 20, "Patient.deceased[x]: given more than once");
#undef PAT12
	{
		/* a large object: the sorted check */
		char json[4096];
		size_t n = (size_t)snprintf(json, sizeof json, "{\"resourceType\":\"Patient\"");
		for (int i = 0; i < 30; i++)
			n += (size_t)snprintf(json + n, sizeof json - n, ",\"extension\":[{\"url\":\"u%d\"}]", i);
		snprintf(json + n, sizeof json - n, "}");
		mn_case *c = NULL;
		mn_error err;
		CHECK_INT(mn_case_load("big.json", json, strlen(json), &c, &err), MN_EFHIR);
		CHECK_STR(err.path, "/extension");
		CHECK_INT(err.column, 66); /* the second "extension" */
		CHECK(strstr(err.message, "Patient.extension: given more than once") != NULL);
	}

	{
		/* deep nesting: 200 levels of extensions, an error at the bottom; the
		 * path is cut to fit mn_error.path */
		size_t cap = 64 * 1024, n = 0;
		char *json = malloc(cap);
		n += (size_t)snprintf(json + n, cap - n, "{\"resourceType\":\"Patient\"");
		for (int i = 0; i < 200; i++)
			n += (size_t)snprintf(json + n, cap - n, ",\"extension\":[{\"url\":\"u\"");
		n += (size_t)snprintf(json + n, cap - n, ",\"bogus\":1");
		for (int i = 0; i < 200; i++)
			n += (size_t)snprintf(json + n, cap - n, "}]");
		snprintf(json + n, cap - n, "}");
		mn_case *c = NULL;
		mn_error err;
		CHECK_INT(mn_case_load("deep.json", json, strlen(json), &c, &err), MN_EFHIR);
		CHECK(strncmp(err.path, "/extension/0/extension/0/", 25) == 0);
		CHECK(strlen(err.path) < sizeof err.path);
		CHECK(strstr(err.message, "Extension: unknown element \"bogus\"") != NULL);
		CHECK_INT(err.column, (int)(strstr(json, "bogus") - json) + 8);
		/* without the bad member it loads */
		char *bad = strstr(json, ",\"bogus\":1");
		memset(bad, ' ', 10);
		CHECK_INT(mn_case_load("deep.json", json, strlen(json), &c, &err), MN_OK);
		mn_case_free(c);
		free(json);
	}

	/* JSON shapes */
	BAD("{\"resourceType\":\"Patient\",\"name\":{\"family\":\"x\"}}", MN_EFHIR, "/name", 1, 34,
	    "Patient.name (HumanName): expected an array, found an object");
	BAD("{\"resourceType\":\"Patient\",\"gender\":[\"male\"]}", MN_EFHIR, "/gender", 1, 36,
	    "Patient.gender (code): expected a single value, found an array");
	BAD("{\"resourceType\":\"Patient\",\"active\":\"true\"}", MN_EFHIR, "/active", 1, 36,
	    "Patient.active (boolean): expected true or false, found a string");
	BAD("{\"resourceType\":\"Patient\",\"gender\":1}", MN_EFHIR, "/gender", 1, 36,
	    "Patient.gender (code): expected a string, found a number");
	BAD("{\"resourceType\":\"Patient\",\"gender\":{\"value\":\"male\"}}", MN_EFHIR, "/gender", 1, 36,
	    "expected a string, found an object");
	BAD("{\"resourceType\":\"Patient\",\"gender\":null}", MN_EFHIR, "/gender", 1, 36, "null");
	BAD("{\"resourceType\":\"Patient\",\"name\":[]}", MN_EFHIR, "/name", 1, 34, "empty array");
	BAD("{\"resourceType\":\"Patient\",\"name\":[{\"given\":[null]}]}", MN_EFHIR, "/name/0/given/0", 1, 45,
	    "null is only allowed");
	BAD("{\"resourceType\":\"Patient\",\"maritalStatus\":\"M\"}", MN_EFHIR, "/maritalStatus", 1, 43,
	    "Patient.maritalStatus (CodeableConcept): expected an object, found a string");
	BAD("{\"resourceType\":\"Patient\",\"multipleBirthInteger\":\"2\"}", MN_EFHIR, "/multipleBirthInteger",
	    1, 50, "Patient.multipleBirth[x] (integer): expected a number, found a string");
	BAD("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":{}}", MN_EFHIR, "/entry", 1, 54,
	    "expected an array");
	BAD("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":[]}]}", MN_EFHIR,
	    "/entry/0/resource", 1, 67, "Bundle.entry.resource (Resource): expected a single value, found an array");

	/* primitive values */
	BAD("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\n"
	    "  \"effectiveDateTime\":20240101}",
	    MN_EFHIR, "/effectiveDateTime", 2, 23,
	    "Observation.effective[x] (dateTime): expected a string, found a number");
	BAD("{\"resourceType\":\"Patient\",\"birthDate\":\"2024-02-30\"}", MN_EFHIR, "/birthDate", 1, 39,
	    "Patient.birthDate (date): invalid date \"2024-02-30\"");
	BAD("{\"resourceType\":\"Patient\",\"birthDate\":\"2023-02-29\"}", MN_EFHIR, "/birthDate", 1, 39, "invalid date");
	BAD("{\"resourceType\":\"Patient\",\"birthDate\":\"2024-01-01T10:00:00Z\"}", MN_EFHIR, "/birthDate", 1, 39,
	    "invalid date");
	BAD("{\"resourceType\":\"Patient\",\"deceasedDateTime\":\"2024-13-01\"}", MN_EFHIR, "/deceasedDateTime", 1, 46,
	    "invalid dateTime");
	BAD("{\"resourceType\":\"Patient\",\"deceasedDateTime\":\"2024-01-01T10:00\"}", MN_EFHIR,
	    "/deceasedDateTime", 1, 46, "seconds");
	BAD("{\"resourceType\":\"Patient\",\"deceasedDateTime\":\"2024-01-01T10:00:00\"}", MN_EFHIR,
	    "/deceasedDateTime", 1, 46, "time zone");
	BAD("{\"resourceType\":\"Patient\",\"meta\":{\"lastUpdated\":\"2024-01-01\"}}", MN_EFHIR,
	    "/meta/lastUpdated", 1, 49, "Meta.lastUpdated (instant): invalid instant");
	BAD("{\"resourceType\":\"Patient\",\"modifierExtension\":[{\"url\":\"u\",\"valueTime\":\"25:00:00\"}]}",
	    MN_EFHIR, "/modifierExtension/0/valueTime", 1, 71, "invalid time");
	BAD("{\"resourceType\":\"Patient\",\"modifierExtension\":[{\"url\":\"u\",\"valueTime\":\"10:00\"}]}",
	    MN_EFHIR, "/modifierExtension/0/valueTime", 1, 71, "Extension.value[x] (time): invalid time \"10:00\": "
	    "seconds are required");
	BAD("{\"resourceType\":\"Patient\",\"modifierExtension\":[{\"url\":\"u\",\"valueDate\":\"2024-01\"}],\n"
	    "\"birthDate\":\"2024-01-01T00:00:00Z\"}", MN_EFHIR, "/birthDate", 2, 13, "invalid date");  /* a date after one */
	BAD("{\"resourceType\":\"Patient\",\"multipleBirthInteger\":1.5}", MN_EFHIR, "/multipleBirthInteger",
	    1, 50, "expected an integer");
	BAD("{\"resourceType\":\"Patient\",\"multipleBirthInteger\":2147483648}", MN_EFHIR,
	    "/multipleBirthInteger", 1, 50, "out of range");
	BAD("{\"resourceType\":\"Patient\",\"photo\":[{\"size\":-1}]}", MN_EFHIR, "/photo/0/size", 1, 44,
	    "Attachment.size (unsignedInt): -1 is out of range");
	BAD("{\"resourceType\":\"Observation\",\"component\":[{\"code\":{},\"valueSampledData\":\n"
	    "  {\"origin\":{},\"dimensions\":0}}]}",
	    MN_EFHIR, "/component/0/valueSampledData/dimensions", 2, 29,
	    "SampledData.dimensions (positiveInt): 0 is out of range");
	BAD("{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":\"1.5\"}}", MN_EFHIR,
	    "/valueQuantity/value", 1, 56, "Quantity.value (decimal): expected a number, found a string");
	BAD("{\"resourceType\":\"Patient\",\"id\":7}", MN_EFHIR, "/id", 1, 32,
	    "Patient.id (id): expected a string, found a number");

	/* broken references, each kind */
	static const char *refs[] = {"Patient/nope", "urn:uuid:00000000-0000-0000-0000-000000000000",
	                             "http://example.org/fhir/Patient/nope", "#nope",
	                             "http://elsewhere.org/Patient/p1", "Patient?identifier=a|b", "p1"};
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		char json[1024];
		snprintf(json, sizeof json,
		         "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[\n"
		         "{\"fullUrl\":\"http://example.org/fhir/Patient/p1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},\n"
		         "{\"resource\":{\"resourceType\":\"Encounter\",\"status\":\"finished\",\"class\":{},\n"
		         "  \"subject\":{\"reference\":\"Patient/p1\"},\"participant\":[{\"individual\":\n"
		         "    {\"reference\":\"%s\"}}]}}]}",
		         refs[i]);
		BAD(json, MN_EREF, "/entry/1/resource/participant/0/individual/reference", 5, 18,
		    i == 5 ? "conditional reference \"Patient?identifier=a|b\"" : refs[i]);
		/* accepted (and counted) when dangling references are allowed */
		mn_case *c = load(json, MN_CASE_ALLOW_UNRESOLVED);
		CHECK(c && mn_case_unresolved(c) == 1);
		mn_case_free(c);
	}
	/* a FHIR error after a dangling reference wins */
	BAD("{\"resourceType\":\"Patient\",\"managingOrganization\":{\"reference\":\"Organization/x\"},\n"
	    "  \"gender\":7}",
	    MN_EFHIR, "/gender", 2, 12, "expected a string");
	/* a reference inside a contained resource, an extension, and the bundle level */
	BAD("{\"resourceType\":\"Patient\",\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"o\",\n"
	    "  \"partOf\":{\"reference\":\"#p\"}}]}",
	    MN_EREF, "/contained/0/partOf/reference", 2, 25, "no contained resource");
	BAD("{\"resourceType\":\"Patient\",\"extension\":[{\"url\":\"u\",\"valueReference\":\n"
	    "  {\"reference\":\"Patient/q\"}}]}",
	    MN_EREF, "/extension/0/valueReference/reference", 2, 16, "does not resolve");
	BAD("{\"resourceType\":\"Bundle\",\"type\":\"document\",\"signature\":{\"type\":[{}],\"when\":\"2020-01-01T00:00:00Z\",\n"
	    "  \"who\":{\"reference\":\"Practitioner/none\"}}}",
	    MN_EREF, "/signature/who/reference", 2, 22, "does not resolve");
}

/* ---- shared data ------------------------------------------------------- */

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Load every .json in dir; returns how many loaded. want_code: expected
 * status in strict mode (MN_OK or, for files with dangling references, a
 * list matched by the caller); lenient: also load with
 * MN_CASE_ALLOW_UNRESOLVED. */
static int load_dir(const char *dir, unsigned flags, mn_status want, const char *want_msg, int *seen)
{
	DIR *d = opendir(dir);
	int ok = 0;
	struct dirent *de;
	*seen = 0;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[2048];
		if (!ends_with(de->d_name, ".json"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		(*seen)++;
		mn_case *c = NULL;
		mn_error err;
		mn_status st = mn_case_load_file_ex(path, flags, &c, &err);
		char buf[1200];
		mn_error_format(&err, buf, sizeof buf);
		CHECK_MSG(st == want, "%s: %s", path, st ? buf : "loaded");
		if (st == want && want_msg)
			CHECK_MSG(strstr(err.message, want_msg) != NULL, "%s: %s", path, buf);
		if (st == MN_OK) {
			ok++;
			CHECK_MSG(mn_case_count(c) > 0, "%s", path);
			/* every top-level resource owns its own object */
			for (size_t i = 0; i < mn_case_count(c); i++)
				if (mn_case_owner(c, mn_case_get(c, i)->json) != mn_case_get(c, i))
					CHECK_MSG(0, "%s: owner of resource %zu", path, i);
		}
		mn_case_free(c);
	}
	closedir(d);
	return ok;
}

static void test_shared_data(void)
{
	const char *data = mn_test_data_dir();
	char dir[1024];
	int seen, ok;

	snprintf(dir, sizeof dir, "%s/synthea", data);
	ok = load_dir(dir, 0, MN_OK, NULL, &seen);
	if (ok < 0) {
		printf("shared data not found at %s: skipping the Synthea, Da Vinci and FHIRPath input checks\n", data);
		return;
	}
	CHECK_INT(ok, 8);
	snprintf(dir, sizeof dir, "%s/synthea/large", data);
	CHECK_INT(load_dir(dir, 0, MN_OK, NULL, &seen), 1);

	/* Da Vinci PAS: all valid FHIR; some point at resources outside the file */
	snprintf(dir, sizeof dir, "%s/davinci/pas", data);
	CHECK_INT(load_dir(dir, MN_CASE_ALLOW_UNRESOLVED, MN_OK, NULL, &seen), 12);
	CHECK_INT(seen, 12);
	static const char *complete[] = {"Bundle-HomecareAuthorizationBundleExample.json",
	                                 "Bundle-MedicalServicesAuthorizationBundleExample.json",
	                                 "Bundle-ReferralAuthorizationBundleExample.json"};
	for (size_t i = 0; i < 3; i++) {
		char path[2048];
		mn_case *c = NULL;
		mn_error err;
		snprintf(path, sizeof path, "%s/%s", dir, complete[i]);
		CHECK_MSG(mn_case_load_file(path, &c, &err) == MN_OK, "%s: %s", path, err.message);
		mn_case_free(c);
	}
	{
		char path[2048];
		mn_case *c = NULL;
		mn_error err;
		snprintf(path, sizeof path, "%s/Bundle-SurgicalRequestBundleExample.json", dir);
		CHECK_INT(mn_case_load_file(path, &c, &err), MN_EREF);
		CHECK_STR(err.path, "/entry/6/resource/practitioner/reference");
		CHECK(strstr(err.message, "Practitioner/ReferralPractitionerExample") != NULL);
		CHECK_INT(err.line, 1);
	}

	/* CDS Hooks JSON is not FHIR */
	snprintf(dir, sizeof dir, "%s/davinci/crd", data);
	CHECK_INT(load_dir(dir, MN_CASE_ALLOW_UNRESOLVED, MN_EFHIR, "CDS Hooks", &seen), 0);
	CHECK_INT(seen, 5);

	/* the FHIRPath suite inputs */
	snprintf(dir, sizeof dir, "%s/fhirpath-r4", data);
	CHECK_INT(load_dir(dir, MN_CASE_ALLOW_UNRESOLVED, MN_OK, NULL, &seen), seen);
	CHECK(seen >= 11);
	{
		char path[2048];
		mn_case *c = NULL;
		mn_error err;
		snprintf(path, sizeof path, "%s/observation-example.json", dir);
		CHECK_INT(mn_case_load_file(path, &c, &err), MN_EREF);
		CHECK_STR(err.path, "/subject/reference");
		CHECK_INT(err.line, 55);
		CHECK_INT(err.column, 18);
		snprintf(path, sizeof path, "%s/patient-name-extensions.json", dir);
		CHECK_INT(mn_case_load_file(path, &c, &err), MN_OK);
		mn_case_free(c);
	}
}

/* ---- reading a file --------------------------------------------------- */

/* A regular file is read into the case's arena and parsed in place; anything else (a pipe, a file whose
 * size is not what fstat said) is read as a stream as before: the same case, or the same error at the
 * same place, either way, and as from memory. */
static void test_load_file_ways(void)
{
	static const char good[] = "{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [\n"
	                           "  {\"fullUrl\": \"urn:uuid:p1\", \"resource\": {\"resourceType\": \"Patient\", \"id\": \"p1\","
	                           " \"name\": [{\"family\": \"A\\u00e9\", \"given\": [\"B\"]}]}},\n"
	                           "  {\"resource\": {\"resourceType\": \"Observation\", \"id\": \"o\", \"status\": \"final\","
	                           " \"code\": {\"text\": \"x\"}, \"subject\": {\"reference\": \"urn:uuid:p1\"}}}\n]}\n";
	/* an unknown element at line 3, column 88: 2 spaces, {"resource": { (15), "resourceType": "Observation",
	 * (31), "id": "o", (11), "status": "final", (19), "colour": (10), then the value */
	static const char bad[] = "{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [\n"
	                          "  {\"resource\": {\"resourceType\": \"Patient\", \"id\": \"p1\"}},\n"
	                          "  {\"resource\": {\"resourceType\": \"Observation\", \"id\": \"o\", \"status\": \"final\", \"colour\": 1}}\n]}\n";
	char dir[] = "/tmp/mednec-test-fhir-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	snprintf(path, sizeof path, "%s/case.json", dir);
	for (int k = 0; k < 2; k++) {
		const char *text = k ? bad : good;
		size_t len = strlen(text);
		FILE *f = fopen(path, "wb");
		CHECK(f && fwrite(text, 1, len, f) == len);
		if (f)
			fclose(f);
		mn_case *mem = NULL, *file = NULL, *piped = NULL;
		mn_error em, ef, ep;
		mn_status sm = mn_case_load("mem", text, len, &mem, &em);
		mn_status sf = mn_case_load_file(path, &file, &ef);
		/* a pipe, by its /dev/fd name: not a regular file */
		int fds[2];
		mn_status sp = MN_EIO;
		if (pipe(fds) == 0) {
			CHECK(write(fds[1], text, len) == (ssize_t)len);
			close(fds[1]);
			char pp[64];
			snprintf(pp, sizeof pp, "/dev/fd/%d", fds[0]);
			sp = mn_case_load_file(pp, &piped, &ep);
			close(fds[0]);
		}
		CHECK_INT(sm, k ? MN_EFHIR : MN_OK);
		CHECK_INT(sf, sm);
		CHECK_INT(sp, sm);
		if (k) {
			CHECK_INT(ef.line, 3);
			CHECK_INT(ef.column, 88);
			CHECK_INT(ep.line, 3);
			CHECK_INT(ep.column, 88);
			CHECK_STR(ef.message, em.message);
			CHECK_STR(ep.message, em.message);
			CHECK_STR(ef.path, "/entry/1/resource/colour");
			CHECK_STR(ef.source, path);
		} else if (sm == MN_OK && sf == MN_OK && sp == MN_OK) {
			mn_buf a = MN_BUF_INIT, b = MN_BUF_INIT, c = MN_BUF_INIT;
			mn_json_write(&a, mn_case_root(mem));
			mn_json_write(&b, mn_case_root(file));
			mn_json_write(&c, mn_case_root(piped));
			CHECK_STR(mn_buf_cstr(&b), mn_buf_cstr(&a));
			CHECK_STR(mn_buf_cstr(&c), mn_buf_cstr(&a));
			CHECK(strstr(mn_buf_cstr(&a), "\"family\":\"A\xc3\xa9\"") != NULL);
			mn_buf_free(&a);
			mn_buf_free(&b);
			mn_buf_free(&c);
			const mn_resource *o = mn_case_get(file, 1);
			CHECK(o && strcmp(o->id, "o") == 0 && strcmp(o->type_name, "Observation") == 0);
			CHECK(mn_case_resolve(file, "urn:uuid:p1", 11, o) == mn_case_get(file, 0));
			int line, col;
			mn_case_position(file, o->json, &line, &col);
			CHECK_INT(line, 3);
			CHECK_INT(col, 16);  /* 2 spaces, {"resource": then its object */
			CHECK_STR(mn_case_name(file), path);
		}
		mn_case_free(mem);
		mn_case_free(file);
		mn_case_free(piped);
	}
	/* a directory: opened, not a regular file, read as a stream: a read error */
	mn_case *c = NULL;
	mn_error err;
	CHECK_INT(mn_case_load_file(dir, &c, &err), MN_EIO);
	CHECK(c == NULL);
	CHECK(strstr(err.message, "read error") != NULL);
	CHECK_STR(err.source, dir);
	/* a file that cannot be opened: as before */
	CHECK_INT(mn_case_load_file("/nonexistent/x.json", &c, &err), MN_EIO);
	CHECK(strstr(err.message, "cannot open: No such file or directory") != NULL);
	CHECK_STR(err.source, "/nonexistent/x.json");
	remove(path);
	rmdir(dir);
}

/* ---- the record as of a date (docs/POLICY-FORMAT.md "Time") ------------ */

#define OBS(id, date) "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," \
	"\"code\":{\"text\":\"x\"},\"effectiveDateTime\":\"" date "\"}},\n"

static const char AS_OF_CASE[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[\n"
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}},\n"
	OBS("day", "2026-11-20")
	OBS("next", "2026-11-21")
	OBS("late", "2026-11-20T23:00:00-05:00")
	"{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"rec\",\"subject\":{\"reference\":\"Patient/p\"},"
	"\"onsetDateTime\":\"2019\",\"recordedDate\":\"2026-11-21\"}},\n"
	"{\"resource\":{\"resourceType\":\"DiagnosticReport\",\"id\":\"iss\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	"\"effectiveDateTime\":\"2026-11-10\",\"issued\":\"2026-11-21T08:00:00Z\"}},\n"
	OBS("month", "2026-11")
	OBS("dec", "2026-12")
	"{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"open\",\"status\":\"in-progress\",\"subject\":{\"reference\":\"Patient/p\"},"
	"\"performedPeriod\":{\"start\":\"2026-11-01\",\"end\":\"2027-01-31\"}}},\n"
	"{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"endonly\",\"status\":\"completed\",\"subject\":{\"reference\":\"Patient/p\"},"
	"\"performedPeriod\":{\"end\":\"2026-12-01\"}}},\n"
	"{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"sr\",\"status\":\"active\",\"intent\":\"order\","
	"\"subject\":{\"reference\":\"Patient/p\"},\"authoredOn\":\"2026-11-20\",\"occurrenceDateTime\":\"2026-12-15\"}},\n"
	"{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"yr\",\"subject\":{\"reference\":\"Patient/p\"},\"onsetDateTime\":\"2026\"}},\n"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"ref\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	"\"contained\":[{\"resourceType\":\"Practitioner\",\"id\":\"c1\"}],\"performer\":[{\"reference\":\"#c1\"}],"
	"\"effectiveDateTime\":\"2026-11-01\",\"hasMember\":[{\"reference\":\"Observation/next\"},{\"reference\":\"Observation/day\"}]}}\n"
	"]}";

static const mn_resource *by_id(const mn_case *c, const char *id)
{
	for (size_t i = 0; i < mn_case_count(c); i++)
		if (mn_case_get(c, i)->id && strcmp(mn_case_get(c, i)->id, id) == 0)
			return mn_case_get(c, i);
	return NULL;
}

/* A dispense handed over after the as-of day is not yet in the record. */
static void test_as_of_dispense(void)
{
	static const char B[] =
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		"{\"resource\":{\"resourceType\":\"MedicationDispense\",\"id\":\"on\",\"status\":\"completed\","
		"\"medicationCodeableConcept\":{\"text\":\"x\"},\"whenHandedOver\":\"2026-11-20T18:00:00Z\"}},"
		"{\"resource\":{\"resourceType\":\"MedicationDispense\",\"id\":\"after\",\"status\":\"completed\","
		"\"medicationCodeableConcept\":{\"text\":\"x\"},\"whenHandedOver\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"MedicationDispense\",\"id\":\"prep\",\"status\":\"completed\","
		"\"medicationCodeableConcept\":{\"text\":\"x\"},\"whenPrepared\":\"2026-12-01\"}}]}";
	mn_case *c = load(B, 0);
	CHECK(c != NULL);
	if (!c)
		return;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	CHECK(!mn_resource_after(by_id(c, "on"), &as_of));
	CHECK(mn_resource_after(by_id(c, "after"), &as_of));
	CHECK(mn_resource_after(by_id(c, "prep"), &as_of));
	mn_case_free(c);
}

static void test_as_of(void)
{
	mn_case *c = load(AS_OF_CASE, 0);
	CHECK(c != NULL);
	if (!c)
		return;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	/* the rule, entry by entry (expected by hand) */
	static const struct { const char *id; bool after; } want[] = {
		{"p", false},        /* no date */
		{"day", false},      /* on the as-of day */
		{"next", true},      /* the day after */
		{"late", false},     /* late on the as-of day, as written */
		{"rec", true},       /* recorded after, though its onset is earlier */
		{"iss", true},       /* issued after, though effective earlier */
		{"month", false},    /* 2026-11 begins on 2026-11-01 */
		{"dec", true},       /* 2026-12 begins after */
		{"open", false},     /* started before; its end after as-of is kept */
		{"endonly", true},   /* no start: its end */
		{"sr", false},       /* a request authored on the day, for later */
		{"yr", false},       /* 2026 begins on 2026-01-01 */
		{"ref", false},
	};
	CHECK_INT(mn_case_count(c), 13);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const mn_resource *r = by_id(c, want[i].id);
		CHECK_MSG(r && mn_resource_after(r, &as_of) == want[i].after, "%s", want[i].id);
	}
	mn_case *v = NULL;
	mn_error err;
	CHECK_INT(mn_case_as_of(c, &as_of, &v, &err), MN_OK);
	if (!v) {
		mn_case_free(c);
		return;
	}
	CHECK_INT(mn_case_count(v), 8);
	CHECK_INT(mn_case_left_out(v), 5);
	CHECK_INT(mn_case_left_out(c), 0);
	CHECK(by_id(v, "next") == NULL);
	CHECK(by_id(v, "endonly") == NULL);
	CHECK(by_id(v, "month") != NULL);
	/* order kept, indices renumbered */
	CHECK_STR(mn_case_get(v, 0)->id, "p");
	CHECK_STR(mn_case_get(v, 1)->id, "day");
	CHECK_STR(mn_case_get(v, 2)->id, "late");
	CHECK_STR(mn_case_get(v, 7)->id, "ref");
	CHECK_INT(mn_case_get(v, 7)->index, 7);
	/* a reference to a left-out entry resolves in the record, not in the view */
	const mn_resource *ref = by_id(v, "ref");
	CHECK(mn_case_resolve(c, "Observation/next", 16, by_id(c, "ref")) != NULL);
	CHECK(mn_case_resolve(v, "Observation/next", 16, ref) == NULL);
	const mn_resource *day = mn_case_resolve(v, "Observation/day", 15, ref);
	CHECK(day != NULL && day == by_id(v, "day"));
	CHECK(day && day->json == by_id(c, "day")->json);
	/* contained resources go with their container */
	const mn_resource *c1 = mn_case_resolve(v, "#c1", 3, ref);
	CHECK(c1 != NULL && c1 && c1->container == ref);
	CHECK(c1 && mn_case_owner(v, mn_json_get(c1->json, "id")) == c1);
	/* owners and lookups: left-out resources are not in the view */
	CHECK(mn_case_find_json(v, by_id(c, "next")->json) == NULL);
	CHECK(mn_case_owner(v, mn_json_get(by_id(c, "next")->json, "status")) == NULL);
	CHECK(mn_case_owner(v, mn_json_get(by_id(c, "late")->json, "status")) == by_id(v, "late"));
	/* a view of a view is the same view */
	mn_case *v2 = NULL;
	CHECK_INT(mn_case_as_of(v, &as_of, &v2, &err), MN_OK);
	CHECK_INT(mn_case_count(v2), 8);
	mn_case_free(v2);
	/* the next day: "next" and "rec", "iss" come in (3 fewer left out) */
	mn_datetime next;
	mn_datetime_parse("2026-11-21", 10, MN_DT_DATE, &next, NULL);
	CHECK_INT(mn_case_as_of(c, &next, &v2, &err), MN_OK);
	CHECK_INT(mn_case_count(v2), 11);
	CHECK(mn_case_resolve(v2, "Observation/next", 16, by_id(v2, "ref")) != NULL);
	mn_case_free(v2);
	/* a month is not an as-of date */
	mn_datetime month;
	mn_datetime_parse("2026-11", 7, MN_DT_DATE, &month, NULL);
	CHECK_INT(mn_case_as_of(c, &month, &v2, &err), MN_EUSAGE);
	CHECK(v2 == NULL);
	mn_case_free(v);
	mn_case_free(c);
}

/* A dangling reference is kept by MN_CASE_ALLOW_UNRESOLVED with its path. */
static void test_unresolved_paths(void)
{
	static const char json[] =
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[\n"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
		"\"performer\":[{\"reference\":\"Practitioner/a\"},{\"reference\":\"Practitioner/b\"},{\"reference\":\"Practitioner/c\"},"
		"{\"reference\":\"Practitioner/d\"},{\"reference\":\"Practitioner/e\"},{\"reference\":\"Practitioner/f\"}]}}]}";
	mn_case *c = NULL;
	mn_error err;
	CHECK_INT(mn_case_load("u.json", json, strlen(json), &c, &err), MN_EREF);
	CHECK(strstr(err.message, "Practitioner/a") != NULL);
	c = load(json, MN_CASE_ALLOW_UNRESOLVED);
	if (!c)
		return;
	CHECK_INT(mn_case_unresolved(c), 6);
	CHECK_STR(mn_case_unresolved_at(c, 0), "Practitioner/a at /entry/0/resource/performer/0/reference");
	CHECK_STR(mn_case_unresolved_at(c, 4), "Practitioner/e at /entry/0/resource/performer/4/reference");
	CHECK(mn_case_unresolved_at(c, 5) == NULL);  /* only the first 5 are kept */
	CHECK(mn_case_resolve(c, "Practitioner/a", 14, mn_case_get(c, 0)) == NULL);
	mn_case_free(c);
}

/* mn_resource_after compares the latest date the load recorded (the fast path); mn_resource_after_scan
 * reads the members each time (the general path). Both against a table worked out by hand. */
static void test_as_of_latest(void)
{
	static const char B[] =
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}},"
		"{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"multi\",\"subject\":{\"reference\":\"Patient/p\"},"
		"\"onsetDateTime\":\"2019\",\"recordedDate\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"per\",\"status\":\"in-progress\","
		"\"subject\":{\"reference\":\"Patient/p\"},\"performedPeriod\":{\"start\":\"2026-11\",\"end\":\"2027-01-31\"}}},"
		"{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"sr\",\"status\":\"active\",\"intent\":\"order\","
		"\"subject\":{\"reference\":\"Patient/p\"},\"authoredOn\":\"2026-11-20\",\"occurrenceDateTime\":\"2026-12-15\"}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"zone\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
		"\"effectiveDateTime\":\"2026-11-21T01:00:00+14:00\",\"issued\":\"2026-11-20T10:00:00Z\"}}]}";
	mn_case *c = load(B, 0);
	if (!c) {
		CHECK(c != NULL);
		return;
	}
	static const char *days[] = {"2026-10-31", "2026-11-01", "2026-11-19", "2026-11-20", "2026-11-21"};
	/* latest dates: p none, multi 2026-11-21, per 2026-11-01 (its start, a month), sr 2026-11-20 (a
	 * request's occurrence does not count), zone 2026-11-21 (as written, before its zone) */
	static const struct { const char *id; bool after[5]; } want[] = {
		{"p", {false, false, false, false, false}},
		{"multi", {true, true, true, true, false}},
		{"per", {true, false, false, false, false}},
		{"sr", {true, true, true, false, false}},
		{"zone", {true, true, true, true, false}},
	};
	for (size_t d = 0; d < 5; d++) {
		mn_datetime as_of;
		mn_datetime_parse(days[d], 10, MN_DT_DATE, &as_of, NULL);
		size_t kept = 0;
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
			const mn_resource *r = by_id(c, want[i].id);
			CHECK_MSG(r && mn_resource_after(r, &as_of) == want[i].after[d], "%s %s", want[i].id, days[d]);
			CHECK_MSG(r && mn_resource_after_scan(r, &as_of) == want[i].after[d], "scan %s %s", want[i].id,
			          days[d]);
			kept += !want[i].after[d];
		}
		mn_case *v = NULL;
		CHECK_INT(mn_case_as_of(c, &as_of, &v, NULL), MN_OK);
		CHECK_MSG(v && mn_case_count(v) == kept, "view %s", days[d]);
		mn_case_free(v);
	}
	/* 2026-11-21 leaves nothing out: the view shares the record's resources and lookups (the fast
	 * path); 2026-11-20 leaves out multi and zone: copies (the general path). Same answers. */
	mn_datetime all_in, some_out;
	mn_datetime_parse("2026-11-21", 10, MN_DT_DATE, &all_in, NULL);
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &some_out, NULL);
	mn_case *v = NULL, *vv = NULL, *w = NULL;
	CHECK_INT(mn_case_as_of(c, &all_in, &v, NULL), MN_OK);
	CHECK_INT(mn_case_as_of(c, &some_out, &w, NULL), MN_OK);
	if (v && w) {
		CHECK_INT(mn_case_count(v), 5);
		CHECK_INT(mn_case_left_out(v), 0);
		for (size_t i = 0; i < 5; i++)
			CHECK(mn_case_get(v, i) == mn_case_get(c, i));
		CHECK_INT(mn_case_count(w), 3);
		CHECK_INT(mn_case_left_out(w), 2);
		CHECK(mn_case_get(w, 0) != mn_case_get(c, 0) && mn_case_get(w, 0)->json == mn_case_get(c, 0)->json);
		CHECK_STR(mn_case_get(w, 1)->id, "per");
		CHECK_STR(mn_case_get(w, 2)->id, "sr");
		const mn_case *views[] = {v, w};
		for (size_t k = 0; k < 2; k++) {
			const mn_case *x = views[k];
			const mn_resource *sr = by_id(x, "sr");
			CHECK(sr && mn_case_resolve(x, "Patient/p", 9, sr) == by_id(x, "p"));
			CHECK(sr && mn_case_find_json(x, sr->json) == sr);
			CHECK(sr && mn_case_owner(x, mn_json_get(sr->json, "intent")) == sr);
			size_t n = 0;
			const uint32_t *pos = sr ? mn_case_of_type(x, sr->type, &n) : NULL;
			CHECK(n == 1 && pos && mn_case_get(x, pos[0]) == sr);
		}
		CHECK(mn_case_resolve(v, "Observation/zone", 16, by_id(v, "sr")) == by_id(c, "zone"));
		CHECK(mn_case_resolve(w, "Observation/zone", 16, by_id(w, "sr")) == NULL);
		/* views of the shared view: shared again, or copies */
		CHECK_INT(mn_case_as_of(v, &all_in, &vv, NULL), MN_OK);
		CHECK(vv && mn_case_count(vv) == 5 && mn_case_get(vv, 4) == mn_case_get(c, 4));
		mn_case_free(vv);
		vv = NULL;
		CHECK_INT(mn_case_as_of(v, &some_out, &vv, NULL), MN_OK);
		CHECK(vv && mn_case_count(vv) == 3 && mn_case_left_out(vv) == 2);
		mn_case_free(vv);
	}
	mn_case_free(w);
	mn_case_free(v);
	mn_case_free(c);
}

/* MN_CASE_LENIENT: unknown elements and invalid primitive values inside a
 * resource are counted with their JSON pointer and removed from the tree;
 * everything else still fails. */
/* A date dropped as unreadable leaves the entry out of every as-of view: it
 * cannot be placed in time. A dropped element that is not a date does not. */
static void test_lenient_undated(void)
{
	static const char B[] =
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"bad\",\"status\":\"final\","
		"\"code\":{\"text\":\"x\"},\"effectiveDateTime\":\"2026-13-45\",\"valueInteger\":3}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"odd\",\"status\":\"final\","
		"\"code\":{\"text\":\"x\"},\"effectiveDateTime\":\"2026-01-02\",\"oddity\":1,\"valueInteger\":3}}]}";
	mn_case *c = load(B, MN_CASE_LENIENT);
	CHECK(c != NULL);
	if (!c)
		return;
	mn_datetime early, late;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &early, NULL);
	mn_datetime_parse("2099-12-31", 10, MN_DT_DATE, &late, NULL);
	CHECK(mn_resource_after(by_id(c, "bad"), &early));
	CHECK(mn_resource_after(by_id(c, "bad"), &late));
	CHECK(!mn_resource_after(by_id(c, "odd"), &early));
	mn_case_free(c);
}

static void test_lenient(void)
{
	mn_case *c = load("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[\n"
	                  "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\",\"foo\":1,\"bar\":[2],\"_baz\":{}}},\n"
	                  "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"final\",\n"
	                  "  \"code\":{\"coding\":[{\"system\":\"s\",\"code\":\"c\",\"bogus\":true}]},\n"
	                  "  \"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"2026-13-45\",\n"
	                  "  \"valueInteger\":1.5,\"contained\":[{\"resourceType\":\"Device\",\"id\":\"d\",\"x\":0}],\n"
	                  "  \"device\":{\"reference\":\"#d\"},\"issued\":\"2026-01-01T00:00:00Z\"}}]}",
	                  MN_CASE_LENIENT);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(mn_case_problems(c), 7);
	CHECK_STR(mn_case_problem_at(c, 0), "/entry/0/resource/foo: Patient: unknown element \"foo\"");
	CHECK_STR(mn_case_problem_at(c, 1), "/entry/0/resource/bar: Patient: unknown element \"bar\"");
	CHECK_STR(mn_case_problem_at(c, 2), "/entry/0/resource/_baz: Patient: unknown element \"_baz\"");
	CHECK_STR(mn_case_problem_at(c, 3), "/entry/1/resource/code/coding/0/bogus: Coding: unknown element \"bogus\"");
	CHECK_STR(mn_case_problem_at(c, 4),
	          "/entry/1/resource/effectiveDateTime: Observation.effective[x] (dateTime): invalid dateTime \"2026-13-45\"");
	CHECK(mn_case_problem_at(c, 5) == NULL); /* the first MN_CASE_PROBLEMS_KEPT only */
	const mn_resource *p = mn_case_get(c, 0), *o = mn_case_get(c, 1);
	CHECK(p && o);
	if (p && o) {
		/* dropped members are gone; the others stay, in order */
		CHECK_INT(p->json->n, 2);
		CHECK(!mn_json_get(p->json, "foo") && !mn_json_get(p->json, "bar") && !mn_json_get(p->json, "_baz"));
		CHECK(mn_json_is_string(mn_json_get(p->json, "id"), "p"));
		const mn_json *coding = mn_json_get(o->json, "code");
		coding = coding ? mn_json_get(coding, "coding") : NULL;
		CHECK(coding && coding->n == 1 && coding->u.items[0].n == 2 && !mn_json_get(&coding->u.items[0], "bogus"));
		CHECK(!mn_json_get(o->json, "effectiveDateTime") && !mn_json_get(o->json, "valueInteger"));
		CHECK(mn_json_get(o->json, "status") && mn_json_get(o->json, "issued") && mn_json_get(o->json, "device"));
		/* the index and owners still hold: the contained Device (its "x" dropped) resolves */
		const mn_resource *d = mn_case_resolve(c, "#d", 2, o);
		CHECK(d && mn_json_get(d->json, "x") == NULL && d->container == o);
		CHECK(mn_case_find_json(c, o->json) == o);
		CHECK(mn_case_owner(c, mn_json_get(o->json, "issued")) == o);
		/* an as-of view reports the load's problems */
		mn_datetime day;
		mn_case *v = NULL;
		mn_datetime_parse("2026-06-01", 10, MN_DT_DATE, &day, NULL);
		CHECK_INT(mn_case_as_of(c, &day, &v, NULL), MN_OK);
		CHECK(v && mn_case_problems(v) == 7 && mn_case_problem_at(v, 0) != NULL);
		mn_case_free(v);
	}
	mn_case_free(c);

	/* an invalid item drops the whole array of primitives; two dropped members are no duplicate */
	c = load("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{},\n"
	         "  \"effectiveTiming\":{\"event\":[\"2020-01-01\",\"2020-02-30\"],\"_event\":[null,{\"id\":\"e\"}],\"code\":{}},\n"
	         "  \"a\":1,\"a\":2}",
	         MN_CASE_LENIENT);
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(mn_case_problems(c), 3);
		CHECK_STR(mn_case_problem_at(c, 0),
		          "/effectiveTiming/event/1: Timing.event (dateTime): invalid dateTime \"2020-02-30\"");
		const mn_json *t = mn_json_get(mn_case_get(c, 0)->json, "effectiveTiming");
		CHECK(t && t->n == 1 && mn_json_get(t, "event") == NULL && mn_json_get(t, "_event") == NULL);
		mn_case_free(c);
	}
	/* still errors: the same input without the flag, wrong shapes, a duplicate element,
	 * resourceType, and anything at Bundle level */
	static const struct { const char *json; mn_status want; } still[] = {
		{"{\"resourceType\":\"Patient\",\"foo\":1}", MN_EFHIR},
		{"{\"resourceType\":\"Patient\",\"gender\":7}", MN_EFHIR},
		{"{\"resourceType\":\"Patient\",\"birthDate\":[\"2020-01-01\"]}", MN_EFHIR},
		{"{\"resourceType\":\"Patient\",\"gender\":\"male\",\"gender\":\"female\"}", MN_EFHIR},
		{"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{},\"valueString\":\"a\",\"valueBoolean\":true}", MN_EFHIR},
		{"{\"resourceType\":\"Patent\"}", MN_EFHIR},
		{"{\"id\":\"x\"}", MN_EFHIR},
		{"[1]", MN_EFHIR},
		{"{\"resourceType\":\"Patient\",", MN_EJSON},
		{"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"foo\":1}", MN_EFHIR},
		{"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"timestamp\":\"2020-13-01T00:00:00Z\"}", MN_EFHIR},
		{"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"foo\":1,\"resource\":{\"resourceType\":\"Patient\"}}]}", MN_EFHIR},
		{"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":{\"resourceType\":\"Patient\",\"contained\":[7]}}]}", MN_EFHIR},
	};
	for (size_t i = 0; i < sizeof still / sizeof still[0]; i++) {
		mn_error err;
		mn_case *x = NULL;
		unsigned flags = i == 0 ? 0 : MN_CASE_LENIENT;
		mn_status st = mn_case_load_ex("t.json", still[i].json, strlen(still[i].json), flags, &x, &err);
		CHECK_MSG(st == still[i].want && !x, "case %zu: status %d", i, (int)st);
		mn_case_free(x);
	}
}

/* Relative and absolute references against fullUrl bases (the base of a resource's fullUrl is worked out once,
 * when it is indexed): a base with /_history/, two servers holding the same Type/id, a referrer without a
 * fullUrl, a urn: fullUrl; the same answers from an as-of view that copies the kept resources. */
static void test_resolve_bases(void)
{
	static const char *json =
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		"{\"fullUrl\":\"http://a.org/fhir/Patient/p1/_history/2\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
		"{\"fullUrl\":\"http://b.org/fhir/Patient/p1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
		"{\"fullUrl\":\"http://b.org/fhir/Observation/o1\",\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\","
		"\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/p1\"},\"effectiveDateTime\":\"2026-01-01\"}},"
		"{\"fullUrl\":\"http://a.org/fhir/Observation/o2/_history/1\",\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o2\","
		"\"status\":\"final\",\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/p1\"},\"effectiveDateTime\":\"2026-01-02\"}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o3\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
		"\"effectiveDateTime\":\"2027-01-01\"}},"
		"{\"fullUrl\":\"urn:uuid:0f0f\",\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o4\",\"status\":\"final\","
		"\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"http://b.org/fhir/Patient/p1\"}}},"
		"{\"fullUrl\":\"http://c.org/fhir/Foo/f1\",\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o5\","
		"\"status\":\"final\",\"code\":{\"text\":\"x\"}}}"
		"]}";
	mn_case *c = load(json, 0);
	CHECK(c != NULL);
	if (!c)
		return;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	mn_case *v = NULL;
	mn_error err;
	CHECK_INT(mn_case_as_of(c, &as_of, &v, &err), MN_OK);
	CHECK(v && mn_case_left_out(v) == 1);
	for (int k = 0; k < 2 && v; k++) {
		const mn_case *x = k ? v : c;
		/* positions: 0 a/p1, 1 b/p1, 2 o1, 3 o2, (4 o3: left out of the view), then o4, o5 */
		size_t o4i = k ? 4 : 5, o5i = k ? 5 : 6;
		const mn_resource *pa = mn_case_get(x, 0), *pb = mn_case_get(x, 1), *o1 = mn_case_get(x, 2),
		                  *o2 = mn_case_get(x, 3), *o4 = mn_case_get(x, o4i), *o5 = mn_case_get(x, o5i);
		CHECK(pa && pb && o1 && o2 && o4 && o5);
		if (!pa || !pb || !o1 || !o2 || !o4 || !o5)
			continue;
		CHECK_STR(o4->id, "o4");
		CHECK(mn_case_resolve(x, "Patient/p1", 10, o1) == pb);   /* b's base + Patient/p1 is b/p1's fullUrl */
		CHECK(mn_case_resolve(x, "Patient/p1", 10, o2) == pa);   /* a's base: no such fullUrl; Type/id */
		CHECK(mn_case_resolve(x, "Patient/p1", 10, o4) == pa);   /* urn: no base */
		CHECK(mn_case_resolve(x, "Patient/p1", 10, o5) == pa);   /* Foo/f1: not Type/id, no base */
		CHECK(mn_case_resolve(x, "Patient/p1", 10, NULL) == pa);
		CHECK(mn_case_resolve(x, "Patient/p1/_history/9", 21, o1) == pb);
		const char *abs = "http://a.org/fhir/Patient/p1";  /* p1 by Type/id, on a's server */
		CHECK(mn_case_resolve(x, abs, strlen(abs), o1) == pa);
		abs = "http://b.org/fhir/Patient/p1";
		CHECK(mn_case_resolve(x, abs, strlen(abs), o2) == pb);
		abs = "http://a.org/fhir/Observation/o1";  /* o1 is on b; the referrer o2 is on a */
		CHECK(mn_case_resolve(x, abs, strlen(abs), o2) == o1);
		CHECK(mn_case_resolve(x, abs, strlen(abs), o4) == NULL);
		abs = "http://c.org/fhir/Observation/o1";
		CHECK(mn_case_resolve(x, abs, strlen(abs), o5) == NULL);
		abs = "http://b.org/fhir/Observation/o2/_history/1";  /* o2 is on a, the referrer on b */
		CHECK(mn_case_resolve(x, abs, strlen(abs), o1) == o2);
		CHECK(mn_case_resolve(x, abs, strlen(abs), o4) == NULL);
		abs = "http://a.org/fhir/Observation/o2/_history/1";
		CHECK(mn_case_resolve(x, abs, strlen(abs), o1) == o2);
		abs = "http://a.org/fhir/Observation/o2";
		CHECK(mn_case_resolve(x, abs, strlen(abs), o1) == o2);
	}
	mn_case_free(v);
	mn_case_free(c);
}

/* Each "reference" string under node, in document order: how many mn_case_resolve finds nothing for (from
 * the innermost resource holding it), the first ones' texts in miss[]. */
static size_t unresolved_refs(const mn_case *c, const mn_json *node, const char **miss, size_t nmiss, size_t *k)
{
	size_t n = 0;
	if (node->type == MN_JSON_ARRAY)
		for (uint32_t i = 0; i < node->n; i++)
			n += unresolved_refs(c, &node->u.items[i], miss, nmiss, k);
	if (node->type != MN_JSON_OBJECT)
		return n;
	for (uint32_t i = 0; i < node->n; i++) {
		const mn_json_member *m = &node->u.members[i];
		if (m->key_len == 9 && memcmp(m->key, "reference", 9) == 0 && m->value.type == MN_JSON_STRING) {
			if (!mn_case_resolve(c, m->value.u.s, m->value.n, mn_case_owner(c, &m->value))) {
				if (*k < nmiss)
					miss[*k] = m->value.u.s;
				++*k;
				n++;
			}
		} else {
			n += unresolved_refs(c, &m->value, miss, nmiss, k);
		}
	}
	return n;
}

/* The check remembers whether a relative reference resolves, by its text and the base of the referrer's
 * fullUrl: the same references from referrers on other servers, without a fullUrl, in contained resources,
 * unresolvable ones over and over, ids that collide, '#', '?', urn:, absolute ones and a ':' after 32 bytes
 * give the unresolved count and list of resolving each one from scratch. */
static void test_reference_memo(void)
{
	static const char *subjects[] = {
		"Patient/p1", "Patient/zz", "Patient/p1/_history/2", "Patient/zz", "#c1", "#", "#zz", "Patient?x=1",
		"urn:uuid:0a", "urn:uuid:zz", "http://a.org/fhir/Patient/p1", "http://b.org/fhir/Patient/p2",
		"http://c.org/fhir/Patient/p2", "Patient/p2", "Patient/p1", "Patient/zz", "Foo/p1", "p1",
		"Patient/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:b", "Patient/p2/_history", "Patient/", "/Patient/p1",
	};
	static const char *bases[] = {"http://a.org/fhir/", "http://b.org/fhir/", "urn:uuid:", "", "http://c.org/x/"};
	char json[65536];
	size_t n = (size_t)snprintf(json, sizeof json,
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		"{\"fullUrl\":\"http://a.org/fhir/Patient/p1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
		"{\"fullUrl\":\"http://b.org/fhir/Patient/p2\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p2\"}},"
		"{\"fullUrl\":\"urn:uuid:0a\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}}");
	size_t nsub = sizeof subjects / sizeof subjects[0], nbase = sizeof bases / sizeof bases[0];
	for (size_t i = 0; i < 3 * nsub && n < sizeof json - 1000; i++) {
		const char *b = bases[i % nbase], *sub = subjects[i % nsub], *perf = subjects[(i * 7 + 3) % nsub];
		char full[128] = "";
		if (*b)
			snprintf(full, sizeof full, "\"fullUrl\":\"%s%sObservation/o%zu\",", b, strncmp(b, "urn:", 4) ? "" : "x", i);
		n += (size_t)snprintf(json + n, sizeof json - n,
			",{%s\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o%zu\",%s\"status\":\"final\","
			"\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"%s\"},\"performer\":[{\"reference\":\"%s\"},"
			"{\"reference\":\"%s\"}]}}",
			full, i, i % 3 ? "\"contained\":[{\"resourceType\":\"Practitioner\",\"id\":\"c1\"}]," : "", sub, perf, sub);
	}
	snprintf(json + n, sizeof json - n, "]}");
	mn_case *c = load(json, MN_CASE_ALLOW_UNRESOLVED);
	CHECK(c != NULL);
	if (!c)
		return;
	const char *miss[MN_CASE_UNRESOLVED_KEPT];
	size_t k = 0, want = unresolved_refs(c, mn_case_root(c), miss, MN_CASE_UNRESOLVED_KEPT, &k);
	CHECK(want > 20);
	CHECK_INT(mn_case_unresolved(c), want);
	for (size_t i = 0; i < want && i < MN_CASE_UNRESOLVED_KEPT; i++) {
		const char *at = mn_case_unresolved_at(c, i);
		CHECK_MSG(at && strncmp(at, miss[i], strlen(miss[i])) == 0 && strncmp(at + strlen(miss[i]), " at ", 4) == 0,
		          "unresolved %zu: %s, expected %s", i, at ? at : "(null)", miss[i]);
	}
	mn_case_free(c);
}

/* S_each_date skips members by a filter over the date names (length, bytes 0 and 2): each recorded date
 * and each clinical stem still places its resource, beside members that share first bytes or a length
 * (identifier, category, encounter, partOf, performer, reasonCode, note ...), through mn_resource_after and the
 * general mn_resource_after_scan alike. */
static void test_as_of_date_names(void)
{
	static const char B[] =
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\",\"identifier\":[{\"value\":\"1\"}]}},"
		"{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"recordedDate\",\"category\":[{\"text\":\"c\"}],"
		"\"subject\":{\"reference\":\"Patient/p\"},\"recordedDate\":\"2026-11-21\",\"note\":[{\"text\":\"n\"}]}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"issued\",\"identifier\":[{\"value\":\"1\"}],"
		"\"status\":\"final\",\"code\":{\"text\":\"x\"},\"issued\":\"2026-11-21T10:00:00Z\"}},"
		"{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"authoredOn\",\"status\":\"active\","
		"\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/p\"},\"authoredOn\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"authored\",\"status\":\"completed\","
		"\"author\":{\"reference\":\"Patient/p\"},\"authored\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"MedicationStatement\",\"id\":\"dateAsserted\",\"status\":\"active\","
		"\"category\":{\"text\":\"c\"},\"medicationCodeableConcept\":{\"text\":\"m\"},"
		"\"subject\":{\"reference\":\"Patient/p\"},\"dateAsserted\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"Composition\",\"id\":\"date\",\"status\":\"final\",\"type\":{\"text\":\"t\"},"
		"\"date\":\"2026-11-21\",\"author\":[{\"reference\":\"Patient/p\"}],\"title\":\"t\"}},"
		"{\"resource\":{\"resourceType\":\"Claim\",\"id\":\"created\",\"status\":\"active\",\"type\":{\"text\":\"t\"},"
		"\"use\":\"claim\",\"patient\":{\"reference\":\"Patient/p\"},\"created\":\"2026-11-21\","
		"\"provider\":{\"reference\":\"Patient/p\"},\"priority\":{\"text\":\"p\"},\"insurance\":[{\"sequence\":1,"
		"\"focal\":true,\"coverage\":{\"display\":\"c\"}}]}},"
		"{\"resource\":{\"resourceType\":\"MedicationDispense\",\"id\":\"whenPrepared\",\"status\":\"completed\","
		"\"medicationCodeableConcept\":{\"text\":\"m\"},\"whenPrepared\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"MedicationDispense\",\"id\":\"whenHandedOver\",\"status\":\"completed\","
		"\"medicationCodeableConcept\":{\"text\":\"m\"},\"whenHandedOver\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"effective\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
		"\"encounter\":{\"reference\":\"Patient/p\"},\"effectivePeriod\":{\"end\":\"2026-11-21\"}}},"
		"{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"performed\",\"status\":\"completed\","
		"\"partOf\":[{\"display\":\"x\"}],\"subject\":{\"reference\":\"Patient/p\"},"
		"\"performer\":[{\"actor\":{\"display\":\"d\"}}],\"performedDateTime\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"onset\",\"subject\":{\"reference\":\"Patient/p\"},"
		"\"note\":[{\"text\":\"n\"}],\"onsetDateTime\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"Immunization\",\"id\":\"occurrence\",\"status\":\"completed\","
		"\"vaccineCode\":{\"text\":\"v\"},\"patient\":{\"reference\":\"Patient/p\"},\"occurrenceDateTime\":\"2026-11-21\"}},"
		"{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"request-occurrence\",\"status\":\"active\","
		"\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/p\"},\"reasonCode\":[{\"text\":\"r\"}],"
		"\"occurrenceDateTime\":\"2026-11-21\"}}]}";
	mn_case *c = load(B, 0);
	if (!c) {
		CHECK(c != NULL);
		return;
	}
	mn_datetime before, on;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &before, NULL);
	mn_datetime_parse("2026-11-21", 10, MN_DT_DATE, &on, NULL);
	for (size_t i = 0; i < mn_case_count(c); i++) {
		const mn_resource *r = mn_case_get(c, i);
		/* every resource but the patient and the request (whose occurrence is when it is wanted) is dated */
		bool dated = strcmp(r->id, "p") != 0 && strcmp(r->id, "request-occurrence") != 0;
		CHECK_MSG(mn_resource_after(r, &before) == dated, "%s", r->id);
		CHECK_MSG(mn_resource_after_scan(r, &before) == dated, "%s", r->id);
		CHECK_MSG(!mn_resource_after(r, &on) && !mn_resource_after_scan(r, &on), "%s", r->id);
	}
	mn_case_free(c);
}

/* The index by code of an as-of view that leaves some out is its source's, filtered to the view's
 * resources as the view's positions: a Procedure or Observation dated after the as-of day is never
 * found through it, a code only they have is found with no resources, their unread codes are not
 * listed. Same answers whether the source's index is made first or by the view's first lookup, and
 * when views of one record ask from two threads at once. */
static const char S_CODED[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"p1\",\"status\":\"completed\","
	"\"subject\":{\"reference\":\"Patient/pt\"},"
	"\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"111\"}]},"
	"\"performedDateTime\":\"2026-01-01\"}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o-future\",\"status\":\"final\","
	"\"code\":{\"coding\":[{\"code\":\"222\"},{\"code\":\"333\"}]},\"effectiveDateTime\":\"2027-01-01\"}},"
	"{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"p-future\",\"status\":\"completed\","
	"\"subject\":{\"reference\":\"Patient/pt\"},"
	"\"code\":{\"coding\":[{\"code\":\"111\"}]},\"performedDateTime\":\"2026-12-01\"}},"
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"pt\"}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\","
	"\"category\":[{\"coding\":[{\"code\":\"vital-signs\"}]}],"
	"\"code\":{\"coding\":[{\"code\":\"222\"}]},\"effectiveDateTime\":\"2026-02-01\"}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o-odd-future\",\"status\":\"final\","
	"\"code\":{\"coding\":[{\"code\":\"444\",\"_code\":{\"id\":\"x\"}}]},\"effectiveDateTime\":\"2026-12-24\"}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o-odd\",\"status\":\"final\","
	"\"code\":{\"coding\":[{\"code\":\"555\",\"_code\":{\"id\":\"y\"}}]},\"effectiveDateTime\":\"2026-03-01\"}}"
	"]}";

/* The positions mn_case_coded gives for (element, code) as one string "a,b,": "-" when it fails,
 * then "|" and the unread ones. */
static void coded_str(const mn_case *c, const char *element, const char *code, char *out, size_t cap)
{
	const uint32_t *pos, *unread;
	size_t n, nu;
	if (!mn_case_coded(c, element, code, strlen(code), &pos, &n, &unread, &nu)) {
		snprintf(out, cap, "-");
		return;
	}
	size_t at = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && at < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%u,", (unsigned)pos[i]);
	if (at < cap)
		at += (size_t)snprintf(out + at, cap - at, "|");
	for (size_t i = 0; i < nu && at < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%u,", (unsigned)unread[i]);
	if ((n == 0) != (pos == NULL) || (nu == 0) != (unread == NULL))
		snprintf(out, cap, "bad NULLs");
}

/* One expectation of mn_case_coded: (element, code) and coded_str's answer. */
typedef struct {
	const char *element, *code, *want;
} coded_want;

/* Each expectation of t against c; a failure names its element and code. */
static void check_coded(const mn_case *c, const coded_want *t, size_t n)
{
	char s[64];
	for (size_t i = 0; i < n; i++) {
		coded_str(c, t[i].element, t[i].code, s, sizeof s);
		CHECK_MSG(strcmp(s, t[i].want) == 0, "%s %s: got \"%s\", want \"%s\"", t[i].element, t[i].code, s,
		          t[i].want);
	}
}

/* The view as of 2026-11-20 keeps p1, pt, o1, o-odd: view positions 0, 1, 2, 3. */
static void check_view_coded(const mn_case *v)
{
	static const coded_want t[] = {
		{"code", "111", "0,|3,"},
		{"code", "222", "2,|3,"},
		{"code", "333", "|3,"},          /* only o-future has it */
		{"code", "444", "|3,"},          /* only o-odd-future, unread */
		{"code", "999", "|3,"},
		{"category", "vital-signs", "2,|"},
		{"category", "111", "|"},
		{"status", "final", "-"},
	};
	CHECK_INT(mn_case_count(v), 4);
	check_coded(v, t, sizeof t / sizeof t[0]);
}

static void check_record_coded(const mn_case *c)
{
	static const coded_want t[] = {
		{"code", "111", "0,2,|5,6,"},
		{"code", "222", "1,4,|5,6,"},
		{"code", "333", "1,|5,6,"},
		{"category", "vital-signs", "4,|"},
	};
	check_coded(c, t, sizeof t / sizeof t[0]);
}

typedef struct {
	const mn_case *c;
	int rounds;
} coded_job;

static void *coded_thread(void *arg)
{
	const coded_job *j = arg;
	mn_datetime as_of;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	for (int i = 0; i < j->rounds; i++) {
		mn_case *v = NULL;
		CHECK_INT(mn_case_as_of(j->c, &as_of, &v, NULL), MN_OK);
		if (v) {
			check_view_coded(v);
			CHECK_INT(mn_case_left_out(v), 3);
		}
		mn_case_free(v);
	}
	return NULL;
}

static void test_as_of_coded(void)
{
	mn_datetime as_of, all_in;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &as_of, NULL);
	mn_datetime_parse("2027-01-01", 10, MN_DT_DATE, &all_in, NULL);
	for (int order = 0; order < 2; order++) {
		mn_case *c = load(S_CODED, 0);
		CHECK(c != NULL);
		if (!c)
			return;
		if (order == 1)
			check_record_coded(c);  /* the record's index first */
		mn_case *v = NULL, *vv = NULL, *w = NULL;
		CHECK_INT(mn_case_as_of(c, &as_of, &v, NULL), MN_OK);
		if (v) {
			check_view_coded(v);
			CHECK_INT(mn_case_left_out(v), 3);
			CHECK(by_id(v, "o1") == mn_case_get(v, 2));
			/* a view of the view: the same resources, shared; one as of a later day leaves out
			 * p-future too (o-odd-future, dated 2026-12-24, stays out): positions 0..3 again */
			CHECK_INT(mn_case_as_of(v, &all_in, &vv, NULL), MN_OK);
			if (vv) {
				check_view_coded(vv);
				CHECK_INT(mn_case_left_out(vv), 0);
			}
			mn_case_free(vv);
			vv = NULL;
			mn_datetime dec;
			mn_datetime_parse("2026-12-01", 10, MN_DT_DATE, &dec, NULL);
			CHECK_INT(mn_case_as_of(c, &dec, &vv, NULL), MN_OK);
			if (vv) {
				/* kept: p1 0, p-future 1, pt 2, o1 3, o-odd 4 */
				static const coded_want t[] = {{"code", "111", "0,1,|4,"}, {"code", "333", "|4,"}};
				CHECK_INT(mn_case_count(vv), 5);
				check_coded(vv, t, sizeof t / sizeof t[0]);
				CHECK_INT(mn_case_as_of(vv, &as_of, &w, NULL), MN_OK);  /* a view of a view */
				if (w) {
					check_view_coded(w);
					CHECK_INT(mn_case_left_out(w), 1);
				}
				mn_case_free(w);
			}
			mn_case_free(vv);
		}
		if (order == 0)
			check_record_coded(c);
		mn_case_free(v);
		mn_case_free(c);
	}
	/* two threads, each its views of one fresh record: the record's index is made once, race-free */
	mn_case *c = load(S_CODED, 0);
	CHECK(c != NULL);
	if (!c)
		return;
	coded_job job = {c, 20};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		CHECK_INT(pthread_create(&t[i], NULL, coded_thread, &job), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	check_record_coded(c);
	mn_case_free(c);
}

/* A dateTime or instant to the second with a zone is taken as valid without the general parse
 * (S_datetime_full); every other value goes to it. Hand cases, then each byte of two such values changed and
 * each value cut short, where the outcome must be the general rule's: the parse accepts it, and for a
 * dateTime a time has seconds and a zone, for an instant there are seconds and a zone. */
static int T_datetime_load(const char *member, const char *value)
{
	char json[256];
	snprintf(json, sizeof json, "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
	         "\"%s\":\"%s\"}", member, value);
	mn_case *c = NULL;
	mn_error err;
	mn_status st = mn_case_load("dt.json", json, strlen(json), &c, &err);
	mn_case_free(c);
	return st;
}

static bool T_datetime_rule(const char *value, bool instant)
{
	mn_datetime dt;
	if (mn_datetime_parse(value, strlen(value), MN_DT_DATETIME, &dt, NULL) != MN_OK)
		return false;
	if (instant)
		return dt.precision >= MN_DT_SECOND && dt.has_tz;
	return dt.precision < MN_DT_HOUR || (dt.precision >= MN_DT_SECOND && dt.has_tz);
}

static void test_datetime_values(void)
{
	static const struct {
		const char *v;
		bool ok;
	} hand[] = {
		{"2019-03-01T10:20:30+01:00", true},
		{"2019-03-01T10:20:30Z", true},
		{"2019-03-01T10:20:30.1-14:00", true},
		{"2019-03-01T10:20:30.123456789+14:59", true},
		{"2020-02-29T23:59:59Z", true},        /* a leap year */
		{"2000-02-29T00:00:00Z", true},        /* divisible by 400 */
		{"0000-01-01T00:00:00Z", true},
		{"2019-03-01", true},                  /* a date: the general parse */
		{"2019-02-29T10:20:30Z", false},
		{"1900-02-29T00:00:00Z", false},       /* divisible by 100 */
		{"2019-04-31T10:20:30Z", false},
		{"2019-13-01T10:20:30Z", false},
		{"2019-00-01T10:20:30Z", false},
		{"2019-03-00T10:20:30Z", false},
		{"2019-03-01T24:00:00Z", false},
		{"2019-03-01T10:60:00Z", false},
		{"2019-03-01T10:20:60Z", false},
		{"2019-03-01T10:20:30+15:00", false},
		{"2019-03-01T10:20:30+01:60", false},
		{"2019-03-01T10:20:30.Z", false},
		{"2019-03-01T10:20:30", false},        /* no zone */
		{"2019-03-01T10:20Z", false},          /* no seconds */
		{"2019-03-01t10:20:30Z", false},
		{"2019-03-01T10:20:30z", false},
		{"2019-03-01T10:20:30+0100", false},
		{"2019-03-01T10:20:30+01:00x", false},
		{"2019-03-01T10:20:30+01:0", false},
		{"2O19-03-01T10:20:30Z", false},
		{"2019/03/01T10:20:30Z", false},
		{"2019-03-01T10:20:3Z", false},
	};
	for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++) {
		CHECK_MSG((T_datetime_load("effectiveDateTime", hand[i].v) == MN_OK) == hand[i].ok, "dateTime %s",
		          hand[i].v);
		CHECK_MSG(T_datetime_rule(hand[i].v, false) == hand[i].ok, "rule for %s", hand[i].v);
	}
	CHECK_INT(T_datetime_load("issued", "2019-03-01T10:20:30.5+01:00"), MN_OK);
	CHECK_INT(T_datetime_load("issued", "2019-03-01"), MN_EFHIR);  /* an instant needs a time */
	static const char *const base[] = {"2019-03-01T10:20:30.123+01:00", "2016-02-29T23:59:59Z"};
	static const char with[] = "0123456789:-+TZ.x /\x7f";
	char v[64];
	int checked = 0;
	for (size_t b = 0; b < 2; b++) {
		size_t len = strlen(base[b]);
		for (size_t at = 0; at <= len; at++) {
			for (size_t w = 0; w <= sizeof with - 1; w++) {
				memcpy(v, base[b], len + 1);
				if (w == sizeof with - 1) {
					v[at] = 0;  /* cut short */
				} else {
					if (at == len)
						continue;
					v[at] = with[w];
				}
				for (int instant = 0; instant < 2; instant++) {
					bool want = T_datetime_rule(v, instant);
					int got = T_datetime_load(instant ? "issued" : "effectiveDateTime", v);
					CHECK_MSG((got == MN_OK) == want, "%s %s: got %d", instant ? "instant" : "dateTime", v, got);
					checked++;
				}
			}
		}
	}
	CHECK(checked > 1000);
}

/* The index's first pass finds each top-level resource and its "contained" array once, for the second
 * (S_build_index): an entry without a resource is passed over; a Bundle of one entry and a single resource
 * keep theirs without an array; the contained ones follow all top-level ones, in order; references ("#id",
 * urn, Type/id) resolve as before, and a dangling urn is reported where it is. By hand. */
static mn_case *T_load_count(const char *name, const char *json, size_t count)
{
	mn_case *c = NULL;
	mn_error err;
	CHECK_INT(mn_case_load(name, json, strlen(json), &c, &err), MN_OK);
	if (c)
		CHECK_INT(mn_case_count(c), count);
	return c;
}

static void test_index_passes(void)
{
	const char *j =
	    "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	    "{\"fullUrl\":\"urn:uuid:0\"},"
	    "{\"fullUrl\":\"urn:uuid:1\",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\","
	    "\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"o\"},{\"resourceType\":\"Practitioner\",\"id\":\"d\"}],"
	    "\"managingOrganization\":{\"reference\":\"#o\"},\"generalPractitioner\":[{\"reference\":\"#d\"}]}},"
	    "{\"fullUrl\":\"urn:uuid:2\",\"resource\":{\"resourceType\":\"Observation\",\"id\":\"x\",\"status\":\"final\","
	    "\"code\":{\"text\":\"t\"},\"subject\":{\"reference\":\"urn:uuid:1\"}}},"
	    "{\"resource\":{\"resourceType\":\"Encounter\",\"id\":\"e\",\"status\":\"finished\",\"class\":{\"code\":\"a\"},"
	    "\"contained\":[{\"resourceType\":\"Location\",\"id\":\"l\"}],\"location\":[{\"location\":{\"reference\":\"#l\"}}],"
	    "\"subject\":{\"reference\":\"Patient/p\"}}}]}";
	mn_case *c = T_load_count("index.json", j, 3);
	mn_error err;
	if (c) {
		static const char *const types[] = {"Patient", "Observation", "Encounter"};
		for (size_t i = 0; i < 3; i++)
			CHECK_STR(mn_case_get(c, i)->type_name, types[i]);
		CHECK_STR(mn_case_get(c, 0)->full_url, "urn:uuid:1");
		CHECK(mn_case_get(c, 2)->full_url == NULL);
		const mn_resource *o = mn_case_resolve(c, "#o", 2, mn_case_get(c, 0));
		const mn_resource *d = mn_case_resolve(c, "#d", 2, mn_case_get(c, 0));
		const mn_resource *l = mn_case_resolve(c, "#l", 2, mn_case_get(c, 2));
		CHECK(o && o->index == 3 && strcmp(o->type_name, "Organization") == 0 && o->container == mn_case_get(c, 0));
		CHECK(d && d->index == 4 && strcmp(d->type_name, "Practitioner") == 0);
		CHECK(l && l->index == 5 && l->container == mn_case_get(c, 2));
		CHECK(mn_case_resolve(c, "#l", 2, mn_case_get(c, 0)) == NULL);  /* not the Patient's */
		CHECK(mn_case_resolve(c, "urn:uuid:2", 10, NULL) == mn_case_get(c, 1));
		CHECK(mn_case_resolve(c, "Patient/p", 9, NULL) == mn_case_get(c, 0));
		mn_case_free(c);
	}
	/* urn references are remembered per load by their text (S_urn_memo): the same text again, texts that end
	 * alike (the same slot), a urn with '?', a short urn; each unresolved one is counted */
	{
		const char *u =
		    "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		    "{\"fullUrl\":\"urn:uuid:aaaa-12345678\",\"resource\":{\"resourceType\":\"Patient\"}},"
		    "{\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
		    "\"subject\":{\"reference\":\"urn:uuid:aaaa-12345678\"},\"performer\":[{\"reference\":\"urn:uuid:aaaa-12345678\"},"
		    "{\"reference\":\"urn:uuid:bbbb-12345678\"},{\"reference\":\"urn:uuid:bbbb-12345678\"},"
		    "{\"reference\":\"urn:uuid:aaaa-12345678\"},{\"reference\":\"urn:x\"},\n"
		    "{\"reference\":\"urn:uuid:aaaa-12345678?x=1\"}]}}]}";
		mn_case *uc = NULL;
		CHECK_INT(mn_case_load_ex("urn.json", u, strlen(u), MN_CASE_ALLOW_UNRESOLVED, &uc, &err), MN_OK);
		if (uc) {
			CHECK_INT(mn_case_unresolved(uc), 4);  /* bbbb twice, urn:x, the one with '?' */
			mn_case_free(uc);
		}
		CHECK_INT(mn_case_load("urn.json", u, strlen(u), &uc, &err), MN_EREF);
		CHECK_STR(err.path, "/entry/1/resource/performer/1/reference");
		CHECK(strstr(err.message, "\"urn:uuid:bbbb-12345678\" does not resolve") != NULL);
	}
	{
		const char *q = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		                "{\"fullUrl\":\"urn:uuid:1\",\"resource\":{\"resourceType\":\"Patient\"}},"
		                "{\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
		                "\"subject\":{\"reference\":\"urn:uuid:1\"},\n\"focus\":[{\"reference\":\"urn:uuid:1?a=b\"}]}}]}";
		mn_case *qc = NULL;
		CHECK_INT(mn_case_load("q.json", q, strlen(q), &qc, &err), MN_EREF);
		CHECK_STR(err.path, "/entry/1/resource/focus/0/reference");
		CHECK_INT(err.line, 2);
		CHECK(strstr(err.message, "conditional reference \"urn:uuid:1?a=b\"") != NULL);
	}
	/* one entry; a single resource with a contained one */
	const char *one = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"fullUrl\":\"urn:uuid:9\","
	                  "\"resource\":{\"resourceType\":\"Patient\",\"id\":\"q\"}}]}";
	if ((c = T_load_count("one.json", one, 1))) {
		CHECK(mn_case_resolve(c, "urn:uuid:9", 10, NULL) == mn_case_get(c, 0));
		mn_case_free(c);
	}
	const char *single = "{\"resourceType\":\"Patient\",\"id\":\"s\",\"contained\":[{\"resourceType\":\"Organization\","
	                     "\"id\":\"o\"}],\"managingOrganization\":{\"reference\":\"#o\"}}";
	if ((c = T_load_count("single.json", single, 1))) {
		const mn_resource *o = mn_case_resolve(c, "#o", 2, mn_case_get(c, 0));
		CHECK(o && o->index == 1);
		mn_case_free(c);
	}
	/* an empty Bundle; a reference to a fullUrl that is not there */
	const char *empty = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[]}";
	CHECK_INT(mn_case_load("empty.json", empty, strlen(empty), &c, &err), MN_EFHIR);  /* an empty array */
	const char *none = "{\"resourceType\":\"Bundle\",\"type\":\"collection\"}";
	mn_case_free(T_load_count("none.json", none, 0));
	const char *dangling = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"fullUrl\":\"urn:uuid:1\","
	                       "\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"},"
	                       "\n\"subject\":{\"reference\":\"urn:uuid:7\"}}}]}";
	CHECK_INT(mn_case_load("dangling.json", dangling, strlen(dangling), &c, &err), MN_EREF);
	CHECK_STR(err.path, "/entry/0/resource/subject/reference");
	CHECK_INT(err.line, 2);
	CHECK(strstr(err.message, "\"urn:uuid:7\" does not resolve") != NULL);
}

/* Values kept per top-level resource (fhir/case_memo.h): shared by a record and its as-of views that leave
 * nothing out, never by a view that leaves some out (its resources are its own), never across records. */
static void test_case_memo(void)
{
	static const char json[] =
		"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
		"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\"}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"early\",\"status\":\"final\","
		"\"code\":{\"text\":\"x\"},\"effectiveDateTime\":\"2026-01-01\","
		"\"contained\":[{\"resourceType\":\"Device\",\"id\":\"d1\"}],\"device\":{\"reference\":\"#d1\"}}},"
		"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"late\",\"status\":\"entered-in-error\","
		"\"code\":{\"text\":\"x\"},\"effectiveDateTime\":\"2026-06-01\"}}]}";
	mn_case *c = NULL, *c2 = NULL, *all = NULL, *some = NULL;
	mn_error err;
	CHECK_INT(mn_case_load("memo.json", json, strlen(json), &c, &err), MN_OK);
	CHECK_INT(mn_case_load("memo2.json", json, strlen(json), &c2, &err), MN_OK);
	if (!c || !c2) {
		mn_case_free(c);
		mn_case_free(c2);
		return;
	}
	mn_datetime late, early;
	mn_datetime_parse("2026-11-20", 10, MN_DT_DATE, &late, NULL);
	mn_datetime_parse("2026-02-01", 10, MN_DT_DATE, &early, NULL);
	CHECK_INT(mn_case_as_of(c, &late, &all, &err), MN_OK);
	CHECK_INT(mn_case_as_of(c, &early, &some, &err), MN_OK);
	if (!all || !some)
		goto out;
	CHECK_INT(mn_case_left_out(all), 0);
	CHECK_INT(mn_case_left_out(some), 1);  /* "late" is dated after 2026-02-01 */
	const mn_resource *obs = mn_case_get(c, 1), *dev = mn_case_resolve(c, "#d1", 3, obs);
	CHECK(dev && dev->container == obs);
	CHECK(mn_case_memo_get(c, obs) == NULL);  /* nothing kept yet */
	char *v1 = malloc(4), *v2 = malloc(4);
	if (!v1 || !v2) {
		free(v1);
		free(v2);
		goto out;
	}
	strcpy(v1, "one");
	strcpy(v2, "two");
	CHECK(mn_case_memo_keep(c, obs, v1) == v1);
	CHECK(mn_case_memo_get(c, obs) == v1);
	/* kept once: a second value for it is freed, the first one returned */
	CHECK(mn_case_memo_keep(c, obs, v2) == v1);
	/* the view that leaves nothing out has the same resources and the same values */
	CHECK(mn_case_get(all, 1) == obs);
	CHECK(mn_case_memo_get(all, obs) == v1);
	/* the view that leaves some out: its own resources, nothing kept for them */
	const mn_resource *vobs = mn_case_get(some, 1);
	CHECK(vobs != NULL && vobs != obs && vobs->json == obs->json);
	CHECK(mn_case_memo_get(some, vobs) == NULL);
	CHECK(mn_case_memo_get(some, obs) == NULL);  /* not one of its resources */
	/* another record loaded from the same text: its own resources, nothing kept */
	CHECK(mn_case_memo_get(c2, mn_case_get(c2, 1)) == NULL);
	CHECK(mn_case_memo_get(c2, obs) == NULL);
	/* a contained resource, the other resources: none */
	CHECK(mn_case_memo_get(c, dev) == NULL);
	char *v3 = malloc(4);
	if (v3) {
		CHECK(mn_case_memo_keep(c, dev, v3) == NULL);  /* not kept: still the caller's */
		free(v3);
	}
	CHECK(mn_case_memo_get(c, mn_case_get(c, 0)) == NULL);
	CHECK(mn_case_memo_get(c, mn_case_get(c, 2)) == NULL);
	/* a value kept through the view that leaves some out stays with it */
	char *v4 = malloc(4);
	if (v4 && vobs) {
		strcpy(v4, "own");
		CHECK(mn_case_memo_keep(some, vobs, v4) == v4);
		CHECK(mn_case_memo_get(some, vobs) == v4);
		CHECK(mn_case_memo_get(c, obs) == v1);
	} else
		free(v4);
out:
	mn_case_free(some);
	mn_case_free(all);
	mn_case_free(c2);
	mn_case_free(c);  /* frees v1 (and v4 with the view) */
}

int main(void)
{
	test_model_types();
	test_model_elements();
	test_load_bundles();
	test_load_single();
	test_bad_input();
	test_shared_data();
	test_load_file_ways();
	test_as_of();
	test_as_of_latest();
	test_as_of_dispense();
	test_case_memo();
	test_unresolved_paths();
	test_lenient();
	test_lenient_undated();
	test_resolve_bases();
	test_reference_memo();
	test_as_of_date_names();
	test_as_of_coded();
	test_datetime_values();
	test_index_passes();
	{
		mn_case *c = (mn_case *)1;
		mn_error err;
		CHECK_INT(mn_case_load_file("/nonexistent/x.json", &c, &err), MN_EIO);
		CHECK(c == NULL);
	}
	TEST_END();
}
