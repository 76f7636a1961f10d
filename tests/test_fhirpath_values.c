/*
 * test_fhirpath_values.c: FHIRPath value semantics against the text of the
 * specification (FHIRPath continuous build, http://hl7.org/fhirpath/, as in
 * HL7/FHIRPath input/pages/index.md): quantity arithmetic and unit
 * conversion, equality (=) and equivalence (~) clause by clause, implicit
 * conversions, comparable(), and the Long type.
 *
 * Every expected value is the one the specification states for that
 * expression (its examples are quoted), or is worked by hand from the quoted
 * rule; where the specification is silent, the comment says which reference
 * implementation behaviour is followed (docs/FHIRPATH.md, "Values").
 * Results are written as `mednec eval --format text` writes them: "" is the
 * empty collection, "ERR:..." an error.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fhirpath/fhirpath_int.h"
#include "mednec/fhirpath.h"
#include "fhirpath_text.h"
#include "test.h"

static mn_fp_env *ENV;
static mn_arena *A;

static const char *ev(const char *expr)
{
	return mn_test_fp_text(ENV, A, expr, NULL);
}

#define EV(expr, want) CHECK_STR(ev(expr), want)

/* ---- Math: + and - on quantities ---------------------------------------- */

static void test_quantity_addition(void)
{
	/* "+ (addition)": "When the units of quantity arguments are different, the
	 * quantity values must be converted to the most granular unit, then simple
	 * addition on the values can be performed." Examples quoted: */
	EV("3 'm' + 3 'cm'", "303 'cm'");
	EV("3 'cm' + 3 'm'", "303 'cm'");
	EV("(3 'm' + 3 'cm').toQuantity('m')", "3.03 'm'");
	/* "2 + 2 'cm' // empty ({ }) ; implicit conversion to UCUM default units
	 * 2 '1', these units are not commensurate" */
	EV("2 + 2 'cm'", "");
	/* "2 + 2 '1' // 4 '1' ; implicit conversion, then simple addition" */
	EV("2 + 2 '1'", "4 '1'");
	EV("3 '1' + 2", "5 '1'");
	/* Time-valued: "2 minutes + 60 seconds // 180 seconds" */
	EV("(2 minutes + 60 seconds) = 180 seconds", "true");
	EV("(2 minutes + 60 seconds).toString()", "180 seconds");
	/* "60 's' + 2 minutes // 180 seconds ; cross-system ... result in calendar units" */
	EV("(60 's' + 2 minutes).toString()", "180 seconds");
	/* "1 'wk' + 2 days // 9 days ; cross-system, result in calendar units" */
	EV("(1 'wk' + 2 days).toString()", "9 days");
	/* "1 year + 12 months // empty ; month/year unit conversion is equivalent
	 * and needs explicit unit conversion" */
	EV("1 year + 12 months", "");
	/* "1 year + 12 'mo' // empty ; year/month requires explicit conversion" */
	EV("1 year + 12 'mo'", "");
	/* "1 year.toQuantity('month') + 12 months // 24 months" */
	EV("(1 year.toQuantity('month') + 12 months) = 24 months", "true");
	/* "1 week + 14 days // 21 days" */
	EV("(1 week + 14 days).toString()", "21 days");
	/* "3 'd' + 1 'wk' // 10 'd' ; UCUM conversion from 'wk' to 'd' then add" */
	EV("3 'd' + 1 'wk'", "10 'd'");
	/* 7 days + 12 hours: most granular of day and hour is hour (the
	 * conversion table: 1 day = 24 hours): 168 + 12 = 180 hours */
	EV("(7 days + 12 hours).toString()", "180 hours");
	EV("(7 days + 12 hours) = 7.5 days", "true");
	/* 1 'a' + 6 'mo': both UCUM definite durations; 'mo' = 'a'/12 is the most
	 * granular: 12 'mo' + 6 'mo' = 18 'mo', exact */
	EV("1 'a' + 6 'mo'", "18 'mo'");
	EV("(1 'a' + 6 'mo') = 1.5 'a'", "true");
	/* "- (subtraction)": "3 'm' - 3 'cm' // 297 'cm'", "3 'cm' - 3 'm' // -297 'cm'" */
	EV("3 'm' - 3 'cm'", "297 'cm'");
	EV("3 'cm' - 3 'm'", "-297 'cm'");
	/* "1 minute - 30 's' // 0.5 minute": the example's value, in the most
	 * granular unit the addition rule names (seconds; fhirpath.js agrees) */
	EV("(1 minute - 30 's') = 0.5 minute", "true");
	/* "if an operation is performed with conflicting units ... adding meters
	 * and grams": "If this process returns empty (... not commensurable),
	 * then the result of the addition is empty" */
	EV("1 'm' + 1 'g'", "");
	/* Math: "Attempting to operate on quantities with invalid or "special"
	 * units will result in empty" */
	EV("1 'Cel' + 1 'Cel'", "");
	EV("1 'B' + 1 'B'", "");    /* bel: logarithmic (fhirpath.js also empty) */
	EV("3 'dB' * 2", "");
	EV("7.0 '[pH]' - 1 '[pH]'", "");
	/* no rounding to an operand's precision: 1.5 'g' + 1.25 'g' */
	EV("1.5 'g' + 1.25 'g'", "2.75 'g'");
	EV("1 'g' + 1 'mg'", "1001 'mg'");
	EV("0.1 'g' + 1 'mg'", "101 'mg'");
}

/* ---- Math: * and / on quantities ---------------------------------------- */

static void test_quantity_multiplication(void)
{
	/* "* (multiplication)" examples: */
	EV("12 'cm' * 3 'cm'", "36 'cm2'");
	EV("3 'cm' * 12 'cm2'", "36 'cm3'");
	EV("10 'm/s' * 10 's'", "100 'm'");
	EV("3 * 2 'cm'", "6 'cm'");
	EV("42 * 1 'm'", "42 'm'");
	EV("2 'cm' * 2", "4 'cm'");
	/* "12 day * 45 'm' // empty ( { } ) ; multiplication with calendar units
	 * is not supported" */
	EV("12 day * 45 'm'", "");
	/* "Multiplication involving calendar units (apart from the UCUM default
	 * unit '1') will return empty": 1 year * 1 year */
	EV("1 year * 1 year", "");
	EV("(2 days * 2) = 4 days", "true");
	/* "/ (division)" examples: */
	EV("12 'cm2' / 3 'cm'", "4 'cm'");
	EV("120 'm' / 60 's'", "2 'm/s'");
	EV("60 / 1 's'", "60 '/s'");
	EV("60 's' / 2", "30 's'");
	/* "Division involving calendar units (apart from the UCUM default unit
	 * '1') will return empty": 1 year / 6 months */
	EV("1 year / 6 months", "");
	EV("4 'g' / 0 'g'", "");
	EV("4 'mg' / 2 'mg'", "2 '1'");
}

/* ---- Math functions on quantities ---------------------------------------- */

static void test_quantity_functions(void)
{
	/* "ceiling() : Integer | Quantity", "floor() : Integer | Quantity",
	 * "truncate() : Integer | Quantity", "round([precision]) : Decimal | Quantity",
	 * "abs() : Integer | Long | Decimal | Quantity": a Quantity keeps its unit */
	EV("1.1 'kg'.ceiling()", "2 'kg'");
	EV("2.5 's'.floor()", "2 's'");
	EV("(-1.56 's').truncate()", "-1 's'");
	EV("2.315 's'.round(2) = 2.32 's'", "true");
	EV("(-5.5 'mg').abs()", "5.5 'mg'");
	/* decimal rounding on the decimal value, not its binary approximation */
	EV("1.005.round(2)", "1.01");
	EV("1.005 ~ 1.01", "true");   /* least precise: 2 places; 1.005 rounds to 1.01 */
	EV("1.5 days.floor() = 1 day", "true");
	EV("5L.ceiling() is Long", "true");
}

/* ---- Quantity conversion (toQuantity) ------------------------------------- */

static void test_to_quantity(void)
{
	/* "toQuantity([unit : String])" examples: */
	EV("52 'cm'.toQuantity('m')", "0.52 'm'");
	EV("45.toQuantity('m')", "");
	EV("24 'm'.toQuantity('kg')", "");
	EV("1 'a'.toQuantity('d')", "365.25 'd'");
	EV("1 'wk'.toQuantity('d')", "7 'd'");
	EV("42.toQuantity()", "42 '1'");
	EV("'1 \\'cm\\''.toQuantity('mm')", "10 'mm'");
	/* the string pattern: "(?'value'(\+|-)?\d+(\.\d+)?)\s*('(?'unit'[^']+)'|(?'time'[a-zA-Z]+))?" */
	EV("'4days'.toQuantity() = 4 days", "true");
	EV("'4\\t\\'mg\\''.toQuantity()", "4 'mg'");
	EV("'-1.5'.toQuantity()", "-1.5 '1'");
	EV("'4 lightyears'.convertsToQuantity()", "false");
	/* "Time-valued unit conversions": "7 days.toQuantity('wk') // 7 days → 1
	 * week → 1 'wk'"; "182.5 days.toQuantity('a') // 0.5 'a'" */
	EV("7 days.toQuantity('wk')", "1 'wk'");
	EV("182.5 days.toQuantity('a')", "0.5 'a'");
	/* "182.5 'd'.toQuantity('a') // 0.4996577686516085 'a' ; UCUM conversion result" */
	EV("182.5 'd'.toQuantity('a') = 0.4996577686516085 'a'", "true");
	/* "1 year.toQuantity('a') = 1 'a' // true" */
	EV("1 year.toQuantity('a') = 1 'a'", "true");
	/* convertsToQuantity: "2 '[in_i]'.convertsToQuantity('cm') // true";
	 * "10 'Cel'.convertsToQuantity('[degF]') // true"; metres to kg false */
	EV("2 '[in_i]'.convertsToQuantity('cm')", "true");
	EV("10 'Cel'.convertsToQuantity('[degF]')", "true");
	EV("5 'm'.convertsToQuantity('kg')", "false");
	/* temperatures (UCUM: Cel = K - 273.15, [degF] = 5/9 K + 459.67 degR) */
	EV("100 'Cel'.toQuantity('[degF]')", "212 '[degF]'");
	EV("32 '[degF]'.toQuantity('Cel')", "0 'Cel'");
	EV("0 'Cel'.toQuantity('K')", "273.15 'K'");
	/* "There is no expectation to perform rounding on the result of applying
	 * the UCUM conversion factor": 1 [in_i] = 2.54 cm */
	EV("1 '[in_i]'.toQuantity('cm')", "2.54 'cm'");
	EV("3 '[in_i]'.toQuantity('mm')", "76.2 'mm'");
}

/* ---- = (Equals) ------------------------------------------------------------ */

static void test_equality(void)
{
	/* "Decimal: values must be equal, trailing zeroes after the decimal are ignored" */
	EV("1.10 = 1.1", "true");
	EV("1.2 / 1.8 = 0.67", "false");
	EV("0.0 = 0", "true");
	/* "String: comparison is based on Unicode values" */
	EV("'a' = 'A'", "false");
	/* "23 = 23 '1' // true ; integer implicitly converts to Quantity with unit '1'" */
	EV("23 = 23 '1'", "true");
	EV("9 = 9 '1'", "true");
	EV("9 '1' = 9.0", "true");
	/* "Long: values must be exactly equal" (Integer converts to Long) */
	EV("2L = 2", "true");
	EV("2L = 3L", "false");
	/* "Date: must be exactly the same": "@2012-01 = @2012 // empty ({ }) ;
	 * different date precision" */
	EV("@2012 = @2012", "true");
	EV("@2012-01 = @2012", "");
	EV("@2012-01-01T10:30:31 = @2012-01-01T10:30", "");
	EV("@2012-01-01T10:30:31.0 = @2012-01-01T10:30:31", "true");
	EV("@2012-01-01T10:30:31.1 = @2012-01-01T10:30:31", "false");
	EV("@2017-11-05T01:30:00.0-04:00 = @2017-11-05T00:30:00.0-05:00", "true");
	/* "DateTime: must be exactly the same, respecting the timezone offset
	 * (though +00:00 = -00:00 = Z)" */
	EV("@2012-01-01T10:30:00Z = @2012-01-01T10:30:00+00:00", "true");
	EV("@2012-01-01T10:30:00-00:00 = @2012-01-01T10:30:00Z", "true");
	/* "Time: must be exactly the same" (Date/Time Equality: a precision in one
	 * and not the other is empty) */
	EV("@T10:30 = @T10:30", "true");
	EV("@T10:30 = @T10:30:00", "");
	/* "Boolean: values must be the same" */
	EV("true = true", "true");
	EV("true = false", "false");
	/* "Quantity Equality" examples: */
	EV("1 'cm' = 10.0 'mm'", "true");
	EV("1 'cm' = 1 'm'", "false");
	EV("1 'cm' = 1 's'", "");
	EV("23 'Cel' = 73.4 '[degF]'", "true");
	EV("1 'h' = 3600 's'", "true");
	EV("1 hour = 3600 's'", "true");
	EV("1 year = 1 'a'", "");
	EV("1 year = 12 months", "true");
	EV("1 year = 12 'mo'", "");
	EV("1 week = 1 'wk'", "true");
	EV("1 second = 1 's'", "true");
	EV("7 days = 1 'wk'", "true");
	EV("1 week = 7 'd'", "true");
	/* "calendar conversions are not transitive (e.g. 1 year ~ 12 months and
	 * 1 month = 30 days, but 1 year ≠ 360 days)"; conversion factors table:
	 * "1 year: 12 months or 365 days" */
	EV("1 year = 360 days", "false");
	EV("1 year = 365 days", "true");
	EV("1 month = 30 days", "true");
	/* "For complex types, equality requires all child elements to be equal" */
	EV("(1 | 2 | 3) = (1 | 2 | 3)", "true");
	EV("(1 | 2 | 3) = (3 | 2 | 1)", "false");
	EV("{} = {}", "");
}

/* ---- ~ (Equivalent) -------------------------------------------------------- */

static const char *PATIENT =
	"{\"resourceType\":\"Patient\",\"id\":\"p\","
	"\"name\":[{\"family\":\"Doe\",\"given\":[\"Jane\",\"Q\"]}],"
	"\"contact\":[{\"name\":{\"family\":\"DOE\",\"given\":[\"q\",\"jane\"]}},"
	"{\"name\":{\"family\":\"Doe\",\"given\":[\"Jane\",\"Q\"]}}]}";

static void test_complex(void)
{
	mn_json *pat = NULL;
	mn_error err;
	CHECK(mn_json_parse(A, "p.json", PATIENT, strlen(PATIENT), &pat, &err) == MN_OK);
	/* = : "For complex types, equality requires all child elements to be
	 * equal, recursively" */
	CHECK_STR(mn_test_fp_text(ENV, A, "Patient.name = Patient.contact[1].name", pat), "true");
	CHECK_STR(mn_test_fp_text(ENV, A, "Patient.name = Patient.contact[0].name", pat), "false");
	/* ~ : "For complex types, equivalence requires all child elements to be
	 * equivalent, recursively" (strings ignore case; repeated elements: "Comparison
	 * is not order dependent") */
	CHECK_STR(mn_test_fp_text(ENV, A, "Patient.name ~ Patient.contact[0].name", pat), "true");
	CHECK_STR(mn_test_fp_text(ENV, A, "Patient.name ~ Patient.contact.name", pat), "false");
	CHECK_STR(mn_test_fp_text(ENV, A, "Patient.contact.name ~ Patient.contact.name", pat), "true");
	CHECK_STR(mn_test_fp_text(ENV, A, "name = name", pat), "true");
}

/* = and ~ on objects whose members come in the same order (json_same takes b's member at the same place
 * when b has no repeated key) against other orders, repeated keys on either side (the first one of a
 * key is the one compared), a member missing, extra members, nested objects. */
static void test_complex_member_order(void)
{
	static const char DOC[] =
		"{\"a\":[{\"x\":\"1\",\"y\":{\"p\":\"A\",\"q\":\"B\"}},"   /* 0 */
		"{\"x\":\"1\",\"y\":{\"p\":\"A\",\"q\":\"B\"}},"               /* 1: the same, same order */
		"{\"y\":{\"q\":\"B\",\"p\":\"A\"},\"x\":\"1\"},"               /* 2: the same, other order */
		"{\"x\":\"1\",\"y\":{\"p\":\"A\",\"q\":\"b\"}},"               /* 3: b in lower case */
		"{\"x\":\"1\",\"x\":\"2\"},"                                         /* 4: x repeated */
		"{\"x\":\"1\",\"z\":\"2\"},"                                         /* 5 */
		"{\"x\":\"2\",\"x\":\"1\"},"                                         /* 6: x repeated, 2 first */
		"{\"z\":\"2\",\"x\":\"1\"},"                                         /* 7 */
		"{\"x\":\"1\"}]}";                                                       /* 8 */
	static const struct { int i, j; const char *eq, *equiv; } pairs[] = {
		{0, 1, "true", "true"}, {0, 2, "true", "true"}, {2, 0, "true", "true"}, {0, 3, "false", "true"},
		{3, 0, "false", "true"}, {4, 4, "true", "true"}, {4, 5, "false", "false"}, {5, 4, "false", "false"},
		{4, 6, "false", "false"}, {6, 4, "false", "false"}, {5, 7, "true", "true"}, {7, 5, "true", "true"},
		{4, 8, "false", "false"}, {8, 0, "false", "false"}, {0, 8, "false", "false"},
	};
	mn_json *doc = NULL;
	mn_error err;
	mn_arena *a = mn_arena_new();
	CHECK(mn_json_parse(a, "o.json", DOC, strlen(DOC), &doc, &err) == MN_OK);
	char e[96];
	for (size_t k = 0; doc && k < sizeof pairs / sizeof *pairs; k++) {
		snprintf(e, sizeof e, "a[%d] = a[%d]", pairs[k].i, pairs[k].j);
		CHECK_MSG(strcmp(mn_test_fp_text(ENV, A, e, doc), pairs[k].eq) == 0, "%s", e);
		snprintf(e, sizeof e, "a[%d] ~ a[%d]", pairs[k].i, pairs[k].j);
		CHECK_MSG(strcmp(mn_test_fp_text(ENV, A, e, doc), pairs[k].equiv) == 0, "%s", e);
	}
	mn_arena_free(a);
}

/* Over the n objects of array v of doc, whose classes of equal objects are cls: = on each pair, and the
 * union, exclude() and intersect() of the two (one item or two; none or one). */
static void check_classes(const mn_json *doc, char v, const int *cls, int n)
{
	char e[96];
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			bool same = cls[i] == cls[j];
			snprintf(e, sizeof e, "%c[%d] = %c[%d]", v, i, v, j);
			CHECK_MSG(strcmp(mn_test_fp_text(ENV, A, e, doc), same ? "true" : "false") == 0, "%s", e);
			snprintf(e, sizeof e, "(%c[%d] | %c[%d]).count()", v, i, v, j);
			CHECK_MSG(strcmp(mn_test_fp_text(ENV, A, e, doc), same ? "1" : "2") == 0, "%s", e);
			snprintf(e, sizeof e, "%c[%d].exclude(%c[%d]).count()", v, i, v, j);
			CHECK_MSG(strcmp(mn_test_fp_text(ENV, A, e, doc), same ? "0" : "1") == 0, "%s", e);
			snprintf(e, sizeof e, "%c[%d].intersect(%c[%d]).count()", v, i, v, j);
			CHECK_MSG(strcmp(mn_test_fp_text(ENV, A, e, doc), same ? "1" : "0") == 0, "%s", e);
		}
}

/* Unions, exclude() and intersect() of objects: the sets' quick answer for two nodes that certainly differ
 * (set.c, node_differs: other JSON types, another number of members, a string member at the same place
 * among the first four under the same key with another value, b's keys unique) against = on the same
 * pairs, which always compares the whole JSON. The classes of equal objects, worked out by hand from
 * json_same's rules (members compared by key in any order, the first one of a repeated key, numbers by
 * value, strings as unescaped bytes):
 *   {0, 2, 3, 14}: the same three members (3 in another order, 14's id written with an escape)
 *   {1} another id; {4} and {5} id repeated (p1 then p2; p2 then p1); {6, 7} id the number 1 and 1.0;
 *   {8, 10} a nested note; {9} the note differs inside; {11} and {12} five members, the fifth differs;
 *   {13} two members only; {15} status in another case. */
static void test_set_objects(void)
{
	static const char DOC[] =
		"{\"a\":["
		"{\"resourceType\":\"Procedure\",\"id\":\"p1\",\"status\":\"completed\"},"                       /* 0 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p2\",\"status\":\"completed\"},"                       /* 1 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p1\",\"status\":\"completed\"},"                       /* 2 */
		"{\"id\":\"p1\",\"resourceType\":\"Procedure\",\"status\":\"completed\"},"                       /* 3 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p1\",\"id\":\"p2\",\"status\":\"completed\"},"         /* 4 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p2\",\"id\":\"p1\",\"status\":\"completed\"},"         /* 5 */
		"{\"resourceType\":\"Procedure\",\"id\":1,\"status\":\"completed\"},"                            /* 6 */
		"{\"resourceType\":\"Procedure\",\"id\":1.0,\"status\":\"completed\"},"                          /* 7 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p1\",\"status\":\"completed\",\"note\":{\"t\":\"x\"}}," /* 8 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p1\",\"status\":\"completed\",\"note\":{\"t\":\"y\"}}," /* 9 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p1\",\"status\":\"completed\",\"note\":{\"t\":\"x\"}}," /* 10 */
		"{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\"},"                                /* 11 */
		"{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"6\"},"                                /* 12 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p1\"},"                                                /* 13 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p\\u0031\",\"status\":\"completed\"},"                 /* 14 */
		"{\"resourceType\":\"Procedure\",\"id\":\"p1\",\"status\":\"Completed\"}"                        /* 15 */
		"]}";
	static const int cls[16] = {0, 1, 0, 0, 4, 5, 6, 6, 8, 9, 8, 11, 12, 13, 0, 15};
	mn_json *doc = NULL;
	mn_error err;
	mn_arena *a = mn_arena_new();
	CHECK(mn_json_parse(a, "s.json", DOC, strlen(DOC), &doc, &err) == MN_OK);
	if (doc)
		check_classes(doc, 'a', cls, 16);
	/* 11 classes; a[0]'s has 4 members, 8's and 6's 2 each */
	CHECK_STR(mn_test_fp_text(ENV, A, "(a | a).count()", doc), "11");
	CHECK_STR(mn_test_fp_text(ENV, A, "a.distinct().count()", doc), "11");
	CHECK_STR(mn_test_fp_text(ENV, A, "a.exclude(a[0]).count()", doc), "12");
	CHECK_STR(mn_test_fp_text(ENV, A, "a.exclude(a[8] | a[6]).count()", doc), "12");
	CHECK_STR(mn_test_fp_text(ENV, A, "(a[3] | a[1] | a[0] | a[2] | a[15]).select(id & status).join(',')", doc),
	          "p1completed,p2completed,p1Completed");
	mn_arena_free(a);

	/* node_differs compares keys and string values by their last byte, then all of them: values and keys
	 * of one length that differ only inside ("p-01z", "p-02z"; "kind", "kxnd") or not at all, and empty
	 * strings; the id (the second place) looked at first: {0, 3, 8} the same two members (8's in another
	 * order); {1} another id inside; {2} another first key (kind is not kxnd: json_same finds no kind in
	 * it); {4, 5} two empty strings; {6} another id than 4's; {7} 2's first key with 1's id; {9} 0's id and
	 * another kind, its last byte. */
	static const char LAST[] = "{\"b\":["
		"{\"kind\":\"Procedure\",\"id\":\"p-01z\"},{\"kind\":\"Procedure\",\"id\":\"p-02z\"},"
		"{\"kxnd\":\"Procedure\",\"id\":\"p-01z\"},{\"kind\":\"Procedure\",\"id\":\"p-01z\"},"
		"{\"kind\":\"\",\"id\":\"\"},{\"kind\":\"\",\"id\":\"\"},{\"kind\":\"\",\"id\":\"x\"},"
		"{\"kxnd\":\"Procedure\",\"id\":\"p-02z\"},{\"id\":\"p-01z\",\"kind\":\"Procedure\"},"
		"{\"kind\":\"Procedurf\",\"id\":\"p-01z\"}]}";
	static const int lcls[10] = {0, 1, 2, 0, 4, 4, 6, 7, 0, 9};
	a = mn_arena_new();
	doc = NULL;
	CHECK(mn_json_parse(a, "l.json", LAST, strlen(LAST), &doc, &err) == MN_OK);
	if (doc)
		check_classes(doc, 'b', lcls, 10);
	CHECK_STR(mn_test_fp_text(ENV, A, "b.distinct().count()", doc), "7");
	mn_arena_free(a);

	/* a repeated key: only the first one of a key in b is compared, so {"x":"1","x":"1"} equals
	 * {"x":"1","x":"2"} but not the other way round (both members of the first are "1", the first x of
	 * the second; the second's "2" is not its first x's "1"), though their second members differ at
	 * the same place: a set compares the item it holds with the new one (fp_equal(held, new)) */
	static const char REP[] = "{\"r\":[{\"x\":\"1\",\"x\":\"1\"},{\"x\":\"1\",\"x\":\"2\"}]}";
	a = mn_arena_new();
	doc = NULL;
	CHECK(mn_json_parse(a, "r.json", REP, strlen(REP), &doc, &err) == MN_OK);
	CHECK_STR(mn_test_fp_text(ENV, A, "r[0] = r[1]", doc), "true");
	CHECK_STR(mn_test_fp_text(ENV, A, "r[1] = r[0]", doc), "false");
	CHECK_STR(mn_test_fp_text(ENV, A, "(r[0] | r[1]).count()", doc), "1");
	CHECK_STR(mn_test_fp_text(ENV, A, "(r[1] | r[0]).count()", doc), "2");
	CHECK_STR(mn_test_fp_text(ENV, A, "r[1].exclude(r[0]).count()", doc), "0");
	CHECK_STR(mn_test_fp_text(ENV, A, "r[0].exclude(r[1]).count()", doc), "1");
	mn_arena_free(a);

	/* past 16 items the sets hash: 20 ids, each object twice, the second copy with its members in
	 * another order, and one with a repeated key */
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"b\":[");
	for (int k = 0; k < 20; k++)
		mn_buf_printf(&b, "%s{\"resourceType\":\"Procedure\",\"id\":\"q%d\",\"status\":\"completed\"},"
		                  "{\"status\":\"completed\",\"resourceType\":\"Procedure\",\"id\":\"q%d\"}",
		              k ? "," : "", k, k);
	mn_buf_puts(&b, ",{\"resourceType\":\"Procedure\",\"id\":\"q3\",\"id\":\"q4\",\"status\":\"completed\"}]}");
	a = mn_arena_new();
	doc = NULL;
	CHECK(mn_json_parse(a, "h.json", mn_buf_cstr(&b), strlen(mn_buf_cstr(&b)), &doc, &err) == MN_OK);
	CHECK_STR(mn_test_fp_text(ENV, A, "(b | b).count()", doc), "21");
	CHECK_STR(mn_test_fp_text(ENV, A, "b.distinct().count()", doc), "21");
	CHECK_STR(mn_test_fp_text(ENV, A, "b.exclude(b.where(id = 'q7')).count()", doc), "39");
	CHECK_STR(mn_test_fp_text(ENV, A, "b.intersect(b[40] | b[7]).count()", doc), "2");
	mn_arena_free(a);
	mn_buf_free(&b);
}

static void test_equivalence(void)
{
	/* "Decimal: values must be equal, comparison is done on values rounded to
	 * the precision of the least precise operand. Trailing zeroes after the
	 * decimal are ignored in determining precision." */
	EV("1.10 ~ 1.1", "true");
	EV("1.2 / 1.8 ~ 0.67", "true");
	EV("0.0 ~ 0", "true");
	/* 1.0 has precision 0 (trailing zero ignored): round(1.1) = 1 = 1 */
	EV("1.1 ~ 1.0", "true");
	EV("1.1 ~ 1.2", "false");
	EV("1.25 ~ 1.3", "true");  /* 1.25 rounds to 1.3 at one place */
	/* "Integer: exactly equal"; "Long: exactly equal" */
	EV("1 ~ 2", "false");
	EV("2L ~ 2", "true");
	/* "23 ~ 23 '1' // true" */
	EV("23 ~ 23 '1'", "true");
	/* "{} ~ {} // true" */
	EV("{} ~ {}", "true");
	EV("1 ~ {}", "false");
	/* "(1 | 2 | 3) ~ (3 | 2 | 1) // true" */
	EV("(1 | 2 | 3) ~ (3 | 2 | 1)", "true");
	/* "String: the strings must be the same, ignoring case and locale, and
	 * normalizing whitespace"; String Equivalence: "treating as equivalent all
	 * characters in the Unicode White_Space character class"; "Multiple
	 * whitespace characters in sequence are not collapsed" */
	EV("'a' ~ 'A'", "true");
	EV("'a b' ~ 'a\\tb'", "true");
	EV("'a     b' ~ 'a b'", "false");
	EV("'a b' ~ 'A B'", "true");
	EV("'a b' ~ 'a\\nb'", "true");
	EV("'a\u00a0b' ~ 'a b'", "true");      /* U+00A0 NO-BREAK SPACE is White_Space */
	EV("'a\u3000b' ~ 'a\\rb'", "true");    /* U+3000 IDEOGRAPHIC SPACE */
	EV("' a' ~ 'a'", "false");             /* nothing is trimmed */
	EV("'\u00c9T\u00c9' ~ '\u00e9t\u00e9'", "true");  /* case beyond ASCII */
	/* "Date, DateTime and Time: ... if the input values have different levels
	 * of precision, the comparison returns false, not empty" */
	EV("@2012 ~ @2012", "true");
	EV("@2012-01 ~ @2012", "false");
	EV("@2012-01-01T10:30:31 ~ @2012-01-01T10:30", "false");
	EV("@2012-01-01T10:30:31.0 ~ @2012-01-01T10:30:31", "true");
	EV("@2012-01-01T10:30:31.1 ~ @2012-01-01T10:30:31", "false");
	EV("@T10:30 ~ @T10:30:00", "false");
	/* "Boolean: the values must be the same" */
	EV("true ~ true", "true");
	EV("true ~ false", "false");
	/* "Quantity Equivalence" examples: */
	EV("2.1 'cm' ~ 21 'mm'", "true");
	EV("21 'mm' ~ 2 'cm'", "true");
	EV("4 'g' ~ 4000 'mg'", "true");
	EV("4 'g' ~ 4040 'mg'", "true");
	EV("1 '[in_i]' ~ 2.5 'cm'", "true");
	EV("23 'Cel' ~ 73.4 '[degF]'", "true");
	EV("1 year ~ 1 'a'", "true");
	EV("1 year ~ 12 'mo'", "true");
	EV("1 year ~ 11 months", "true");
	EV("1 second ~ 1 's'", "true");
	/* worked from the rule: 4 'g' vs 4600 'mg' -> 4 ~ 4.6 at precision 0 -> 4 vs 5 */
	EV("4 'g' ~ 4600 'mg'", "false");
	/* "If this process returns empty (e.g. because the units are not valid,
	 * or not commensurable), then the result of the equivalence comparison
	 * is empty"; as for every ~ the engine answers false (never empty: "~"
	 * "Returns true if the collections are the same") - see docs */
	EV("1 'cm' ~ 1 's'", "false");
}

/* ---- Comparison --------------------------------------------------------- */

static void test_comparison(void)
{
	/* "1 year > 1 'a' // empty"; "10 seconds > 1 's' // true";
	 * "2 year.toQuantity('a') > 1 'a' // true"; "6 months > 1 year // false" */
	EV("1 year > 1 'a'", "");
	EV("10 seconds > 1 's'", "true");
	EV("2 year.toQuantity('a') > 1 'a'", "true");
	EV("6 months > 1 year", "false");
	/* "4 'm' > 4 'cm' // true" */
	EV("4 'm' > 4 'cm'", "true");
	EV("4 'm' < 4 'cm'", "false");
	/* "When comparing integers or longs to decimals, the integer/long value
	 * will be implicitly converted to a decimal" */
	EV("10 > 5.0", "true");
	EV("5L < 5.5", "true");
	EV("5L > 4", "true");
	EV("2 < 3 '1'", "true");
	/* "@2018-03 > @2018-03-01 // empty ({ }) ; different precisions" */
	EV("@2018-03 > @2018-03-01", "");
	EV("@2018-03-01T10:30:00 > @2018-03-01T10:30:00.0", "false");
}

/* ---- comparable() ---------------------------------------------------------- */

static void test_comparable(void)
{
	/* "comparable(other : Quantity) : Boolean" examples: */
	EV("1 'mg'.comparable(2 'mg')", "true");
	EV("1 'm'.comparable(20 'cm')", "true");
	EV("2 '1'.comparable(3)", "true");
	EV("1.comparable(2)", "true");
	EV("1 '[in_i]'.comparable(1 'cm')", "true");
	EV("1 year.comparable(1 'a')", "false");
	EV("1 'Cel'.comparable(1 '[degF]')", "true");
	EV("1 'm'.comparable(1 'g')", "false");
	/* "If either or both inputs are empty, or either input is not a single
	 * Quantity value, the result is empty" */
	EV("{}.comparable(1 'm')", "");
	EV("'a'.comparable(1 'm')", "");
}

/* ---- Long -------------------------------------------------------------- */

static void test_long(void)
{
	/* Literals: "0L 45L -5L" */
	EV("45L", "45");
	EV("-5L", "-5");
	EV("45L is Long", "true");
	EV("45L is Integer", "false");
	EV("45 is Long", "false");
	EV("45L.type().name", "Long");
	EV("45Lx", "ERR:fhirpath-syntax");  /* not a literal followed by an identifier */
	/* "+ (addition)": "1 + 5L // 6L ; implicit conversion to long";
	 * "5L + 4.5 // 9.5 ; implicit conversion from long to decimal" */
	EV("1 + 5L", "6");
	EV("(1 + 5L) is Long", "true");
	EV("5L + 4.5", "9.5");
	EV("(5L + 4.5) is Decimal", "true");
	/* "div": "5L div 2 // 2L (long)" */
	EV("5L div 2", "2");
	EV("(5L div 2) is Long", "true");
	EV("9223372036854775807L", "9223372036854775807");
	EV("5L * 3 '1'", "15 '1'");
	/* toLong(): "42.toLong() // 42"; "'123'.toLong() // 123";
	 * "'abc'.toLong() // empty" */
	EV("42.toLong()", "42");
	EV("42.toLong() is Long", "true");
	EV("'123'.toLong()", "123");
	EV("'abc'.toLong()", "");
	EV("true.toLong()", "1");
	EV("1.5.toLong()", "");
	/* convertsToLong(): "'123'.convertsToLong() // true";
	 * "'abc'.convertsToLong() // false" */
	EV("'123'.convertsToLong()", "true");
	EV("'abc'.convertsToLong()", "false");
	/* toInteger(): "42L.toInteger() // 42 ; as an integer" */
	EV("42L.toInteger()", "42");
	EV("42L.toInteger() is Integer", "true");
	/* "sum() : Integer | Long | Decimal | Quantity", "abs() : Integer | Long | ..." */
	EV("(1L | 2L).sum()", "3");
	EV("(1L | 2L).sum() is Long", "true");
	EV("(-5L).abs() is Long", "true");
	/* Long to Quantity is implicit, with unit '1' */
	EV("2L.toQuantity()", "2 '1'");
}

/* fp_parse_decimal: up to 15 digits by integer arithmetic, more by strtod; the double is strtod's either way
 * (the correctly rounded value of the text, compared bit for bit), the Integer strtoll's. Texts with 15 and 16
 * digits, signs, zeros, leading zeros, one digit after the point up to 15, the values by hand where a double
 * holds them exactly, and generated ones: every place of the point in 15-digit and 16-digit numbers. */
static void one_decimal(const char *t)
{
	double d = -1, want;
	int scale = -1;
	bool is_int = false;
	int64_t iv = -1;
	char *end;
	CHECK_MSG(fp_parse_decimal(t, strlen(t), &d, &scale, &is_int, &iv), "%s: not read", t);
	want = strtod(t, &end);
	CHECK_MSG(memcmp(&d, &want, sizeof d) == 0, "%s: %.17g, strtod %.17g", t, d, want);
	/* an Integer: no point, and within strtoll's range */
	errno = 0;
	long long want_i = strtoll(t, NULL, 10);
	bool integer = strchr(t, '.') == NULL && errno != ERANGE;
	CHECK_MSG(is_int == integer && (!integer || iv == want_i), "%s: integer %d %lld", t, is_int, (long long)iv);
}

static void test_parse_decimal(void)
{
	static const char *const T[] = {
		"0", "-0", "+0", "0.0", "-0.0", "+0.000", "1", "-1", "+7", "007", "-007.50", "0.1", "0.3", "0.7",
		"5.10", "21", "30.5", "-12.25", "999999999999999", "-999999999999999", "123456789012345",
		"1234567890123456", "9007199254740993", "12345678901234567890", "0.000000000000001",
		"0.0000000000000001", "1.00000000000001", "1.000000000000001", "99999999999999.9", "4.35", "2.675",
		"0.30000000000000004", "100000000000000", "1000000000000000",
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
		one_decimal(T[i]);
	/* by hand: values a double holds exactly */
	double d;
	int scale;
	bool is_int;
	int64_t iv;
	CHECK(fp_parse_decimal("-12.25", 6, &d, &scale, &is_int, &iv) && d == -12.25 && scale == 2 && !is_int);
	CHECK(fp_parse_decimal("30.5", 4, &d, &scale, &is_int, &iv) && d == 30.5 && scale == 1);
	CHECK(fp_parse_decimal("-007", 4, &d, &scale, &is_int, &iv) && d == -7 && is_int && iv == -7);
	CHECK(fp_parse_decimal("-0", 2, &d, &scale, &is_int, &iv) && d == 0 && signbit(d) && iv == 0);
	static const char *const BAD[] = {"", "-", "+", ".5", "5.", "1e5", "1.2.3", "--1", "1 ", "0x10"};
	for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
		CHECK_MSG(!fp_parse_decimal(BAD[i], strlen(BAD[i]), &d, &scale, &is_int, &iv), "'%s' read", BAD[i]);
	/* every place of the point in numbers of 15 and 16 digits, from a simple generator */
	uint64_t x = 88172645463325252u;
	for (int k = 0; k < 400; k++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned nd = 15 + (unsigned)(k & 1);
		char t[40], digits[20];
		for (unsigned j = 0; j < nd; j++)
			digits[j] = (char)('0' + (x >> (j * 4)) % 10);
		unsigned at = (unsigned)(x >> 60) % (nd + 1);  /* nd: no point */
		size_t n = 0;
		if (k & 2)
			t[n++] = '-';
		for (unsigned j = 0; j < nd; j++) {
			if (j == at && j)
				t[n++] = '.';
			t[n++] = digits[j];
		}
		t[n] = 0;
		one_decimal(t);
	}
}

int main(void)
{
	ENV = mn_fp_env_new();
	A = mn_arena_new();
	mn_datetime now;
	mn_error err;
	CHECK(mn_datetime_parse("2026-11-30T12:00:00Z", 20, MN_DT_DATETIME, &now, &err) == MN_OK);
	mn_fp_env_set_now(ENV, &now);
	test_quantity_addition();
	test_quantity_multiplication();
	test_quantity_functions();
	test_to_quantity();
	test_equality();
	test_equivalence();
	test_complex();
	test_complex_member_order();
	test_set_objects();
	test_comparison();
	test_comparable();
	test_long();
	test_parse_decimal();
	mn_arena_free(A);
	mn_fp_env_free(ENV);
	TEST_END();
}
