/*
 * test_fhirpath_coded.c: the case's index by code (mn_case_coded) and the FHIRPath path that uses it
 * (FP_FAST_WHERE_CODE): X.where(... and code.coding.where(system = 'S' and code = 'C').exists() ...)
 * over a case takes its candidates from the index and evaluates the whole criterion on each. Every
 * answer here is counted by hand from the bundle below, and each is checked twice: over the case (the
 * index), as Bundle.entry.resource.ofType(Observation).where(...) over the root (the index too) and as
 * Bundle.entry.select(resource).ofType(Observation).where(...) (the general evaluator, which no index answers). Adversarial resources: the code in another system, in
 * another element, with another status, a future date, several codings, "_code" siblings, a code that differs only in case or a trailing space, the code on another resource type.
 * Then the same for X.where(... and code.memberOf('vs') ...) with a value-set hook that lists the set's
 * codes (mn_fp_env_set_terminology_codes): the codes of the set from the index, the whole criterion on
 * each candidate (test_member_of).
 */
#include "test.h"

#include <pthread.h>

#include "fhir/model.h"
#include "fhirpath/fhirpath_int.h"
#include "mednec/fhirpath.h"
#include "mednec/knowledge.h"

#define L "http://loinc.org"
#define OBS(id, rest) "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\"," rest "}},"

/* Case positions: 0 Patient p1, then the Observations o1..o11 at 1..11, the Procedure pr1 at 12, the
 * Observations o13 and o14 at 13 and 14. Among the Observations ($index): o1 0, o2 1, ... o11 10, o13 11,
 * o14 12. (A repeated
 * key, "code" twice in one object, is refused at load: test_small.) */
static const char BUNDLE[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
	/* o1: the code in the system: a match */
	OBS("o1", "\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"X\"}]},"
	    "\"effectiveDateTime\":\"2026-01-05\"")
	/* o2: the code in another system */
	OBS("o2", "\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://other\",\"code\":\"X\"}]}")
	/* o3: entered in error */
	OBS("o3", "\"status\":\"entered-in-error\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"X\"}]}")
	/* o4: several codings, the second a match */
	OBS("o4", "\"status\":\"amended\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"Y\"},"
	    "{\"system\":\"" L "\",\"code\":\"X\"}]},\"effectiveDateTime\":\"2026-02-01\"")
	/* o5: the code in another element (category), Y in code */
	OBS("o5", "\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":\"" L "\",\"code\":\"X\"}]}],"
	    "\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"Y\"}]}")
	/* o6: a "_code" sibling beside the code X: not read by the index, a match */
	OBS("o6", "\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"X\","
	    "\"_code\":{\"id\":\"c6\"}}]}")
	/* o7: only a "_code" (an extension, no value): not read by the index, no match */
	OBS("o7", "\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"_code\":{\"extension\":"
	    "[{\"url\":\"http://example.org/x\",\"valueString\":\"X\"}]}}]}")
	/* o8: lower case x */
	OBS("o8", "\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"x\"}]}")
	/* o9: a match dated in the future */
	OBS("o9", "\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"X\"}]},"
	    "\"effectiveDateTime\":\"2030-01-01\"")
	/* o10: "X " (a trailing space) */
	OBS("o10", "\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"X \"}]}")
	/* o11: no coding, the text X */
	OBS("o11", "\"status\":\"final\",\"code\":{\"text\":\"X\"}")
	/* pr1: X on a Procedure */
	"{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"pr1\",\"status\":\"completed\","
	"\"subject\":{\"reference\":\"Patient/p1\"},"
	"\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"X\"}]}}},"
	/* o13: two codings, neither X */
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o13\",\"status\":\"final\","
	"\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"Y\"},{\"system\":\"" L "\",\"code\":\"Z\"}]}}},"
	/* o14: Z; in category, X with a "_code" sibling: the category not read by the index */
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o14\",\"status\":\"final\","
	"\"category\":[{\"coding\":[{\"system\":\"" L "\",\"code\":\"X\",\"_code\":{\"id\":\"k\"}}]}],"
	"\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"Z\"}]}}}"
	"]}";

static mn_fp_env *env;
static mn_arena *arena;

/* The result's items as text, joined by commas. */
static const char *joined(const mn_fp_result *r, char *buf, size_t sz)
{
	mn_buf b = MN_BUF_INIT;
	for (size_t i = 0; i < mn_fp_result_count(r); i++) {
		mn_buf_puts(&b, i ? "," : "");
		mn_fp_item_write_text(mn_fp_result_item(r, i), &b);
	}
	snprintf(buf, sz, "%s", mn_buf_cstr(&b));
	mn_buf_free(&b);
	return buf;
}

/* expr over the case c (on_root false: mn_fp_eval_case) or over its root (mn_fp_eval), as joined() gives
 * it; "ERROR" when the evaluation fails. */
static const char *run(const mn_case *c, bool on_root, const char *expr, char *buf, size_t sz)
{
	mn_error err;
	mn_fp_result *r = NULL;
	mn_fp_expr *e = mn_fp_compile(expr, -1, &err);
	mn_fp_env_set_case(env, c);
	mn_status st = !e ? MN_ESYNTAX
	               : on_root ? mn_fp_eval(e, env, mn_case_root(c), arena, &r, &err)
	                         : mn_fp_eval_case(e, env, c, arena, &r, &err);
	mn_fp_expr_free(e);
	return st == MN_OK ? joined(r, buf, sz) : "ERROR";
}

/* The case in text, loaded (NULL, with a failed check, when it does not load). */
static mn_case *load(const char *text)
{
	mn_error err;
	mn_case *c = NULL;
	mn_error_clear(&err);
	CHECK_MSG(mn_case_load("case.json", text, strlen(text), &c, &err) == MN_OK, "%s", err.message);
	return c;
}

/* Whether a step of the compiled expr's path (its root or a step to the left) is marked for the index by code. */
static bool marked(const char *expr)
{
	mn_error err;
	mn_fp_expr *e = mn_fp_compile(expr, -1, &err);
	if (!e)
		return false;
	bool m = false;
	for (const fp_node *n = e->root; n && !m; n = n->left)
		m = n->kind == FN_CALL && n->fast == FP_FAST_WHERE_CODE && n->codes;
	mn_fp_expr_free(e);
	return m;
}

/* criterion over the case's Observations, through the index (over the case, and over its root Bundle) and
 * through the general evaluator (Bundle.entry.select(resource), which no index answers), against want (ids
 * joined by commas, "" none, "ERROR"). */
#define WHERE(c, crit, want) do { \
	char b1_[512], b2_[512], b3_[512]; \
	CHECK_STR(run((c), false, "Observation.where(" crit ").id", b1_, sizeof b1_), (want)); \
	CHECK_STR(run((c), true, "Bundle.entry.resource.ofType(Observation).where(" crit ").id", \
	              b2_, sizeof b2_), (want)); \
	CHECK_STR(run((c), true, "Bundle.entry.select(resource).ofType(Observation).where(" crit ").id", \
	              b3_, sizeof b3_), (want)); \
} while (0)

#define POLICY(code) "status in ('final' | 'amended' | 'corrected') and code.coding.where(system = '" L \
	"' and code = '" code "').exists()"

static void test_index(const mn_case *c)
{
	const uint32_t *pos, *unread;
	size_t n, nu;
	CHECK(mn_case_coded(c, "code", "X", 1, &pos, &n, &unread, &nu));
	/* X read plainly in the code of o1, o2, o3, o4, o9 and pr1 (not o5's category) */
	CHECK_INT(n, 6);
	if (n == 6)
		CHECK(pos[0] == 1 && pos[1] == 2 && pos[2] == 3 && pos[3] == 4 && pos[4] == 9 && pos[5] == 12);
	/* o6 and o7 ("_code") */
	CHECK_INT(nu, 2);
	if (nu == 2)
		CHECK(unread[0] == 6 && unread[1] == 7);
	CHECK(mn_case_coded(c, "code", "Y", 1, &pos, &n, &unread, &nu));
	CHECK(n == 3 && pos[0] == 4 && pos[1] == 5 && pos[2] == 13);
	CHECK(mn_case_coded(c, "code", "X ", 2, &pos, &n, &unread, &nu) && n == 1 && pos[0] == 10);
	CHECK(mn_case_coded(c, "code", "x", 1, &pos, &n, &unread, &nu) && n == 1 && pos[0] == 8);
	/* a prefix of a code, a longer code, nothing */
	CHECK(mn_case_coded(c, "code", "", 0, &pos, &n, &unread, &nu) && n == 0 && !pos);
	CHECK(mn_case_coded(c, "code", "XX", 2, &pos, &n, &unread, &nu) && n == 0 && !pos);
	CHECK(mn_case_coded(c, "code", "W", 1, &pos, &n, &unread, &nu) && n == 0 && nu == 2);
	CHECK(!mn_case_coded(NULL, "code", "X", 1, &pos, &n, &unread, &nu) && n == 0 && nu == 0);
	CHECK(!mn_case_coded(c, "bodySite", "X", 1, &pos, &n, &unread, &nu) && n == 0 && nu == 0);
	CHECK(!mn_case_coded(c, NULL, "X", 1, &pos, &n, &unread, &nu));
	/* category: X in o5's; o14's has a "_code" sibling */
	CHECK(mn_case_coded(c, "category", "X", 1, &pos, &n, &unread, &nu) && n == 1 && pos[0] == 5);
	CHECK(nu == 1 && unread && unread[0] == 14);
	CHECK(mn_case_coded(c, "category", "Y", 1, &pos, &n, &unread, &nu) && n == 0);
	CHECK(mn_case_coded(c, "code", "Z", 1, &pos, &n, &unread, &nu) && n == 2 && pos[0] == 13 && pos[1] == 14);
}

static void test_marks(void)
{
	CHECK(marked("Observation.where(" POLICY("X") ")"));
	CHECK(marked("Observation.where(" POLICY("X") ").exists()"));
	CHECK(marked("Observation.where(code.coding.where(code = 'X').exists())"));
	CHECK(marked("Observation.where(code.coding.where('X' = code).exists())"));
	CHECK(marked("Observation.where(code.coding.where(system = 'S' and (code = 'X' or code in ('Y' | 'Z'))).exists())"));
	CHECK(marked("Procedure.where(status = 'completed' and code.coding.where(code = 'X').exists() and id.exists())"));
	/* not the pattern: evaluated as usual */
	CHECK(!marked("Observation.where(code.coding.where(system = 'S').exists())"));          /* no code */
	CHECK(!marked("Observation.where(code.coding.where(code = 'X' or system = 'S').exists())"));
	CHECK(!marked("Observation.where(code.coding.where(code != 'X').exists())"));
	CHECK(!marked("Observation.where(code.coding.where(code = 'X' and display.exists()).exists())"));
	CHECK(marked("Observation.where(category.coding.where(code = 'X').exists())"));
	CHECK(!marked("Observation.where(bodySite.coding.where(code = 'X').exists())"));       /* not indexed */
	CHECK(!marked("Observation.where(code.coding.where(code = 'X').exists() or status = 'final')"));
	CHECK(!marked("Observation.where(code.coding.where(code = 'X').empty())"));
	CHECK(!marked("Observation.where(code.coding.exists(code = 'X'))"));
	CHECK(!marked("Observation.where(code.coding.where(code = 1).exists())"));
	CHECK(!marked("Observation.where(code.coding.where(code = %v).exists())"));
	CHECK(marked("Bundle.entry.resource.ofType(Observation).where(code.coding.where(code = 'X').exists())"));
	CHECK(!marked("Bundle.entry.select(resource).ofType(Observation).where(code.coding.where(code = 'X').exists())"));
	CHECK(!marked("%x.where(code.coding.where(code = 'X').exists())"));
	CHECK(!marked("Resource.where(code.coding.where(code = 'X').exists())"));              /* abstract */
	CHECK(marked("Medication.where(code.coding.where(code = 'X').exists())"));  /* code: CodeableConcept */
	CHECK(!marked("Encounter.where(code.coding.where(code = 'X').exists())"));  /* no code element */
	CHECK(!marked("Observation.where(value.coding.where(code = 'X').exists())"));
}

static void test_answers(const mn_case *c)
{
	/* the policy's shape: o1, o4 (amended, second coding), o6 (the "_code" sibling), o9 */
	WHERE(c, POLICY("X"), "o1,o4,o6,o9");
	WHERE(c, POLICY("Y"), "o4,o5,o13");
	WHERE(c, POLICY("Z"), "o13,o14");
	WHERE(c, POLICY("W"), "");
	/* the system must match: not o2 (another system) even with the code alone */
	WHERE(c, "code.coding.where(code = 'X').exists()", "o1,o2,o3,o4,o6,o9");
	WHERE(c, "code.coding.where(system = 'http://other' and code = 'X').exists()", "o2");
	/* a date: o9 is in the future, the others without a date are empty */
	WHERE(c, POLICY("X") " and effective.ofType(dateTime) < @2027-01-01", "o1,o4");
	WHERE(c, POLICY("X") " and effective.ofType(dateTime) >= @2027-01-01", "o9");
	/* several codes, or and in */
	WHERE(c, "code.coding.where(system = '" L "' and (code = 'Z' or code = 'X')).exists()", "o1,o3,o4,o6,o9,o13,o14");
	WHERE(c, "code.coding.where(code in ('x' | 'X ')).exists()", "o8,o10");
	WHERE(c, "status = 'entered-in-error' and code.coding.where(code = 'X').exists()", "o3");
	/* category: o5's X read by the index, o14's (a "_code" sibling) evaluated */
	WHERE(c, "category.coding.where(code = 'X').exists()", "o5,o14");
	WHERE(c, "status = 'final' and category.coding.where(system = '" L "' and code = 'X').exists() and "
	      "code.coding.where(code = 'Y').exists()", "o5");
	WHERE(c, "category.coding.where(system = 'http://other' and code = 'X').exists()", "");
	WHERE(c, "category.coding.where(code = 'Y').exists()", "");
	/* the criterion's other conjuncts, before and after, and $index among the Observations */
	WHERE(c, "code.coding.where(code = 'X').exists() and $index > 2", "o4,o6,o9");
	WHERE(c, "$index < 3 and code.coding.where(code = 'X').exists()", "o1,o2,o3");
	WHERE(c, "(status = 'final' and id != 'o1') and (code.coding.where(code = 'X').exists() and id != 'o9')",
	      "o2,o6");
	/* errors: a conjunct before the coded one is evaluated on every Observation (single() of o13's two
	 * codes fails); one after it only where the coded one is true (o8 has one code) */
	WHERE(c, "code.coding.code.single().exists() and code.coding.where(code = 'x').exists()", "ERROR");
	WHERE(c, "status = 'none' and code.coding.code.single().exists() and code.coding.where(code = 'x').exists()",
	      "");
	WHERE(c, "code.coding.where(code = 'x').exists() and code.coding.code.single() = 'x'", "o8");
	/* the results go on: further steps */
	char buf[512];
	CHECK_STR(run(c, false, "Observation.where(" POLICY("X") ").count()", buf, sizeof buf), "4");
	CHECK_STR(run(c, false, "Observation.where(" POLICY("X") ").code.coding.code", buf, sizeof buf),
	          "X,Y,X,X,X");
	CHECK_STR(run(c, false, "Procedure.where(code.coding.where(code = 'X').exists()).id", buf, sizeof buf), "pr1");
	CHECK_STR(run(c, false, "Procedure.where(code.coding.where(code = 'Y').exists()).id", buf, sizeof buf), "");
	/* inside another expression, over an Observation: not the case's list, evaluated as usual */
	CHECK_STR(run(c, false, "Observation.where(id = 'o4').select(Observation.where(code.coding.where(code = 'X').exists()).id)",
	              buf, sizeof buf), "o4");
}

/* The view of c as of the day (YYYY-MM-DD), or NULL. */
static mn_case *as_of(const mn_case *c, const char *day)
{
	mn_error err;
	mn_datetime d;
	mn_case *v = NULL;
	mn_error_clear(&err);
	CHECK(mn_datetime_parse(day, strlen(day), MN_DT_DATE, &d, &err) == MN_OK && mn_case_as_of(c, &d, &v, &err) == MN_OK);
	return v;
}

static void test_views(const mn_case *c)
{
	/* o9 (2030) left out: a view with its own resources and index */
	mn_case *v = as_of(c, "2027-01-01");
	if (v) {
		CHECK_INT(mn_case_left_out(v), 1);
		char buf[512];
		CHECK_STR(run(v, false, "Observation.where(" POLICY("X") ").id", buf, sizeof buf), "o1,o4,o6");
		const uint32_t *pos, *unread;
		size_t n, nu;
		CHECK(mn_case_coded(v, "code", "X", 1, &pos, &n, &unread, &nu) && n == 5 && pos[4] == 11);
		mn_case_free(v);
	}
	/* nothing left out: the view shares the case's index */
	if ((v = as_of(c, "2031-01-01"))) {
		CHECK_INT(mn_case_left_out(v), 0);
		WHERE(v, POLICY("X"), "o1,o4,o6,o9");
		mn_case_free(v);
	}
}

/* A case without Observations, and one without any code. */
static void test_small(void)
{
	static const char ONE[] = "{\"resourceType\":\"Patient\",\"id\":\"p1\"}";
	static const char NONE[] = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	                           "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"n1\",\"status\":\"final\","
	                           "\"code\":{\"text\":\"t\"}}}]}";
	mn_error err;
	char buf[256];
	mn_case *c = load(ONE);
	if (c) {
		CHECK_STR(run(c, false, "Observation.where(" POLICY("X") ").count()", buf, sizeof buf), "0");
		mn_case_free(c);
	}
	if ((c = load(NONE))) {
		WHERE(c, POLICY("X"), "");
		WHERE(c, "code.coding.where(code = 't').exists()", "");
		WHERE(c, "code.text = 't' and code.coding.where(code = 'X').empty()", "n1");
		mn_case_free(c);
	}
	/* a repeated key is refused at load (the index would not read it plainly, were it loaded) */
	static const char TWICE[] = "{\"resourceType\":\"Observation\",\"id\":\"d1\",\"status\":\"final\","
	                            "\"code\":{\"coding\":[{\"code\":\"Y\",\"code\":\"X\"}]}}";
	c = NULL;
	CHECK(mn_case_load("twice.json", TWICE, strlen(TWICE), &c, &err) != MN_OK && !c);
	mn_case_free(c);
}

/* Several threads asking a record's index by code at once, while it is made: one index, the same
 * answers for every thread. */
typedef struct coded_ask {
	const mn_case *c;
	const uint32_t *pos;
	size_t n, nu;
	bool ok;
} coded_ask;

static void *ask_coded(void *arg)
{
	coded_ask *q = arg;
	const uint32_t *unread;
	q->ok = mn_case_coded(q->c, "code", "X", 1, &q->pos, &q->n, &unread, &q->nu);
	return NULL;
}

static void test_threads(void)
{
	mn_case *c = load(BUNDLE);
	if (!c)
		return;
	coded_ask q[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		q[i] = (coded_ask){.c = c};
		CHECK(pthread_create(&t[i], NULL, ask_coded, &q[i]) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		CHECK(q[i].ok && q[i].n == 6 && q[i].nu == 2 && q[i].pos == q[0].pos && q[i].pos[5] == 12);
	mn_case_free(c);
}

/* ---- X.where(... and code.memberOf('vs') ...) ------------------------------------------------------ */

#define S "http://s"
#define PROC(id, rest) "{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"" id "\",\"subject\":" \
	"{\"reference\":\"Patient/p1\"}," rest "}},"
#define CC(sys, code) "\"code\":{\"coding\":[{\"system\":\"" sys "\",\"code\":\"" code "\"}]}"

/* Case positions: 0 Patient p1, the Procedures a..n at 1..13, the Observation o1 at 14. */
static const char PROCS[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
	PROC("a", "\"status\":\"completed\"," CC(S, "A"))                   /* a member */
	PROC("b", "\"status\":\"completed\"," CC("http://other", "A"))      /* the code in another system */
	PROC("c", "\"status\":\"entered-in-error\"," CC(S, "A"))            /* a member, entered in error */
	PROC("d", "\"status\":\"completed\",\"category\":{\"coding\":[{\"system\":\"" S "\",\"code\":\"A\"}]},"
	     CC(S, "Z"))                                                       /* A in another element */
	PROC("e", "\"status\":\"completed\",\"code\":{\"coding\":[{\"system\":\"" S "\",\"code\":\"A\","
	     "\"_code\":{\"id\":\"k\"}}]}")                                  /* "_code": not read by the index */
	PROC("f", "\"status\":\"completed\",\"code\":{\"text\":\"A\"}")  /* no coding (memberOf would read
	     the concept's own system and code, which the loader refuses as unknown elements) */
	PROC("g", "\"status\":\"completed\",\"code\":{\"coding\":[{\"system\":\"" S "\",\"code\":\"A\\u0000x\"}]}")
	     /* a NUL in the code: memberOf reads "A" */
	PROC("h", "\"status\":\"completed\"")                                /* no code */
	PROC("i", "\"status\":\"completed\"," CC(S, "a"))                   /* lower case */
	PROC("j", "\"status\":\"completed\"," CC(S, "B"))                   /* the set's other code */
	PROC("k", "\"status\":\"completed\",\"code\":{\"coding\":[{\"system\":\"" S "\",\"display\":\"A\"}]}")
	     /* a coding without a code */
	PROC("l", "\"status\":\"completed\"," CC(S, "A "))                  /* a trailing space */
	PROC("m", "\"status\":\"completed\",\"code\":{\"coding\":[{\"system\":\"" S "\",\"code\":\"Z\"},"
	     "{\"system\":\"" S "\",\"code\":\"B\"}]}")                       /* the second coding a member */
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\"," CC(S, "A") "}}"
	"]}";

/* The value sets: "ab" = {S|A, S|B}, listed; "a" = {S|A} where the list says A and B (a list may say
 * more than the members); "pre" = the codes starting with A, not a list. */
static int vs_member(void *payload, const char *vs, const char *system, const char *code)
{
	(void)payload;
	bool s = system && strcmp(system, S) == 0;
	if (strcmp(vs, "ab") == 0)
		return s && (strcmp(code, "A") == 0 || strcmp(code, "B") == 0);
	if (strcmp(vs, "a") == 0)
		return s && strcmp(code, "A") == 0;
	if (strcmp(vs, "pre") == 0)
		return s && code[0] == 'A';
	return -1;
}

static const char *const AB[] = {"A", "B"};
static int codes_asked;

static const char *ab_code(const void *list, size_t i)
{
	return ((const char *const *)list)[i];
}

static int vs_codes(void *payload, const char *vs, mn_fp_codes *out)
{
	(void)payload;
	codes_asked++;
	if (strcmp(vs, "ab") == 0 || strcmp(vs, "a") == 0) {
		*out = (mn_fp_codes){2, AB, ab_code};
		return 1;
	}
	return strcmp(vs, "pre") == 0 ? 0 : -1;
}

/* criterion over the case's Procedures with the codes hook (the index, over the case and over its root), over
 * the root by the general evaluator (Bundle.entry.select(resource), which no index answers), and over the case
 * without the hook, against want. */
static void proc_where(const mn_case *c, const char *crit, const char *want)
{
	char e1[512], e2[512], e3[512], b[512];
	snprintf(e1, sizeof e1, "Procedure.where(%s).id", crit);
	snprintf(e2, sizeof e2, "Bundle.entry.resource.ofType(Procedure).where(%s).id", crit);
	snprintf(e3, sizeof e3, "Bundle.entry.select(resource).ofType(Procedure).where(%s).id", crit);
	mn_fp_env_set_terminology_codes(env, vs_member, vs_codes, NULL);
	CHECK_MSG(strcmp(run(c, false, e1, b, sizeof b), want) == 0, "%s: %s, want %s", e1, b, want);
	CHECK_MSG(strcmp(run(c, true, e2, b, sizeof b), want) == 0, "%s: %s, want %s", e2, b, want);
	CHECK_MSG(strcmp(run(c, true, e3, b, sizeof b), want) == 0, "%s: %s, want %s", e3, b, want);
	mn_fp_env_set_terminology(env, vs_member, NULL);
	CHECK_MSG(strcmp(run(c, false, e1, b, sizeof b), want) == 0, "%s (no codes): %s, want %s", e1, b, want);
}

static void test_member_of(void)
{
	CHECK(marked("Procedure.where(status = 'completed' and code.memberOf('ab'))"));
	CHECK(marked("Procedure.where(code.memberOf('ab'))"));
	CHECK(marked("Procedure.where(code.memberOf('ab') and status = 'completed')"));
	CHECK(marked("Condition.where(code.memberOf('ab') and verificationStatus.exists())"));
	CHECK(!marked("Procedure.where(code.memberOf('ab').not())"));
	CHECK(!marked("Procedure.where(code.memberOf('ab') or status = 'completed')"));
	CHECK(!marked("Procedure.where(category.memberOf('ab'))"));        /* only code */
	CHECK(!marked("Procedure.where(code.memberOf(%vs))"));
	CHECK(!marked("Procedure.where(code.coding.memberOf('ab'))"));
	CHECK(!marked("Device.where(type.memberOf('ab'))"));
	CHECK(!marked("Observation.where(value.memberOf('ab'))"));
	mn_case *c = load(PROCS);
	if (!c)
		return;
	CHECK_INT(mn_case_count(c), 15);
	const uint32_t *pos, *unread;
	size_t n, nu;
	/* e ("_code") and g (the NUL) not read by the index */
	/* A read plainly in the code of a, b, c and o1 (not d's category) */
	CHECK(mn_case_coded(c, "code", "A", 1, &pos, &n, &unread, &nu) && n == 4 && pos[0] == 1 && pos[1] == 2 &&
	      pos[2] == 3 && pos[3] == 14);
	CHECK(nu == 2 && unread[0] == 5 && unread[1] == 7);
	/* criterion, the answer (worked by hand) */
	static const struct { const char *crit, *want; } T[] = {
		/* members: a, c, e ("_code"), g ("A" up to the NUL), j, m */
		{"code.memberOf('ab')", "a,c,e,g,j,m"},
		{"status = 'completed' and code.memberOf('ab')", "a,e,g,j,m"},
		{"code.memberOf('ab') and status = 'completed'", "a,e,g,j,m"},
		{"status = 'completed' and code.memberOf('a') and id.exists()", "a,e,g"},
		{"code.memberOf('pre')", "a,c,e,g,l"},
		{"code.memberOf('ab') and $index > 5", "g,j,m"},
		/* an unknown set: memberOf's error, on the first resource with a code */
		{"code.memberOf('nothing')", "ERROR"},
		/* an error in a conjunct before memberOf is raised where the index lists nothing, too */
		{"(id = 'k' implies status.single().toInteger() > 0) and code.memberOf('ab')", "a,c,e,g,j,m"},
		{"(id = 'k' implies (status | id).single().exists()) and code.memberOf('ab')", "ERROR"},
		/* an error after it only where memberOf is true or empty (no code: `and` evaluates its right side) */
		{"code.memberOf('ab') and (id = 'b' implies (status | id).single().exists())", "a,c,e,g,j,m"},
		{"code.memberOf('ab') and (id = 'i' implies (status | id).single().exists())", "a,c,e,g,j,m"},
		{"code.memberOf('ab') and (id = 'j' implies (status | id).single().exists())", "ERROR"},
		{"code.memberOf('ab') and (id = 'h' implies (status | id).single().exists())", "ERROR"},
	};
	codes_asked = 0;
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
		proc_where(c, T[i].crit, T[i].want);
	CHECK(codes_asked > 0);
	/* without a terminology service: memberOf's error */
	mn_fp_env_set_terminology(env, NULL, NULL);
	char buf[64];
	CHECK_STR(run(c, false, "Procedure.where(code.memberOf('ab')).id", buf, sizeof buf), "ERROR");
	mn_fp_env_set_terminology_codes(env, NULL, vs_codes, NULL);
	CHECK_STR(run(c, false, "Procedure.where(code.memberOf('ab')).id", buf, sizeof buf), "ERROR");
	mn_fp_env_set_terminology(env, NULL, NULL);
	mn_fp_env_set_case(env, NULL);
	mn_case_free(c);
	/* several concepts in code (R4 has one): the loader refuses the record, leniently or not */
	static const char TWO[] = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	                          PROC("t", "\"status\":\"completed\",\"code\":[{\"text\":\"x\"},{\"text\":\"y\"}]")
	                          PROC("u", "\"status\":\"completed\"," CC(S, "A"))
	                          "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}}]}";
	mn_error err;
	c = NULL;
	mn_status st = mn_case_load("two.json", TWO, strlen(TWO), &c, &err);
	if (st == MN_OK) {
		proc_where(c, "code.memberOf('ab')", "ERROR");
		proc_where(c, "id = 'u' and code.memberOf('ab')", "u");
		mn_fp_env_set_terminology(env, NULL, NULL);
		mn_fp_env_set_case(env, NULL);
	}
	mn_case_free(c);
}

/* The conjuncts before the coded one, over a resource the index does not list: not evaluated when none of
 * them can fail there (`member = 'lit'` or `member in (...)` over at most one plain string: cannot_fail), else
 * evaluated as `and` does, for their errors. p1 a member (A), p2 Z, p3 Z with "_status", p4 Z entered in
 * error, p5 no code, p6 Z with two identifiers, p7 a member (B) with one identifier. Answers worked by hand,
 * each through the index and the general evaluator (proc_where). */
static const char SKIP[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
	PROC("p1", "\"status\":\"completed\"," CC(S, "A"))
	PROC("p2", "\"status\":\"completed\"," CC(S, "Z"))
	PROC("p3", "\"status\":\"completed\",\"_status\":{\"id\":\"s\"}," CC(S, "Z"))
	PROC("p4", "\"status\":\"entered-in-error\"," CC(S, "Z"))
	PROC("p5", "\"status\":\"completed\"")
	PROC("p6", "\"status\":\"completed\",\"identifier\":[{\"value\":\"i1\"},{\"value\":\"i2\"}]," CC(S, "Z"))
	PROC("p7", "\"status\":\"completed\",\"identifier\":[{\"value\":\"i2\"}]," CC(S, "B"))
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\"," CC(S, "Z") "}}"
	"]}";

static void test_coded_skip(void)
{
	static const struct { const char *crit, *want; } T[] = {
		{"status = 'completed' and code.memberOf('ab')", "p1,p7"},
		{"status = 'completed' and code.memberOf('ab') and id.exists()", "p1,p7"},
		{"status != 'entered-in-error' and code.memberOf('a')", "p1"},
		/* p2 completed: the next conjunct is evaluated there and fails */
		{"status = 'completed' and (id = 'p2' implies (status | id).single().exists()) and code.memberOf('ab')",
		 "ERROR"},
		/* p2 not in error: `and` stops before the conjunct that would fail */
		{"status = 'entered-in-error' and (id = 'p2' implies (status | id).single().exists()) and "
		 "code.memberOf('ab')", ""},
		/* p3 ("_status") completed: evaluated, and the next conjunct fails there */
		{"status = 'completed' and (id = 'p3' implies (status | id).single().exists()) and code.memberOf('ab')",
		 "ERROR"},
		/* p6's two identifiers: `in` over two items fails (not listed, still evaluated) */
		{"identifier.value in ('i1' | 'i2') and code.memberOf('ab')", "ERROR"},
		{"id != 'p6' and identifier.value in ('i1' | 'i2') and code.memberOf('ab')", "p7"},
		{"identifier.value = 'i2' and code.memberOf('ab')", "p7"},
		/* a literal that is no String beside the member (fp_node.eqstr false): the conjunct is evaluated as
		 * usual, never read as a string; 'completed' = 1 is false, 'i2' in ('i2' | 2) true */
		{"status = 1 and code.memberOf('ab')", ""},
		{"1 != status and code.memberOf('a')", "p1"},
		{"status in ('completed' | 1) and code.memberOf('ab')", "p1,p7"},
		{"id != 'p6' and identifier.value in ('i2' | 2) and code.memberOf('ab')", "p7"},
		/* p6's two values against one: = is false there, no error */
		{"identifier.value = 2 and code.memberOf('ab')", ""},
		{"identifier.value in ('i1' | 2) and code.memberOf('ab')", "ERROR"},
		/* two conjuncts of that form before the coded one: each member read over a resource not listed, the
		 * second failing on p6 (two identifiers), not evaluated past a false first (p6 is not in error), the
		 * second empty on p3 ("_status", evaluated) and false on p6 (= over two items) */
		{"status = 'completed' and identifier.value in ('i1' | 'i2') and code.memberOf('ab')", "ERROR"},
		{"status = 'entered-in-error' and identifier.value in ('i1' | 'i2') and code.memberOf('ab')", ""},
		{"status = 'completed' and identifier.value = 'i2' and code.memberOf('ab')", "p7"},
	};
	mn_case *c = load(SKIP);
	if (!c)
		return;
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
		proc_where(c, T[i].crit, T[i].want);
	mn_fp_env_set_terminology(env, NULL, NULL);
	mn_fp_env_set_case(env, NULL);
	mn_case_free(c);
}

/* memberOf('vs') over one concept read from $this's JSON (member_of_fast): E.memberOf('vs'), E a member
 * with the one type CodeableConcept, and E.ofType(CodeableConcept).memberOf('vs'), E a choice element.
 * Each expression is checked against its form with .select($this) before memberOf (which the fast path
 * does not read: the general evaluation) and against the answer worked by hand from vs_member:
 * "ab" = {S|A, S|B}, "a" = {S|A}; a coding without a system is never a member; a NUL ends a code. */
#define MS(id, rest) "{\"resource\":{\"resourceType\":\"MedicationStatement\",\"id\":\"" id "\",\"subject\":" \
                     "{\"reference\":\"Patient/p1\"}," rest "}},"
#define MCC(codings) "\"medicationCodeableConcept\":{\"coding\":[" codings "]}"
#define K(sys, code) "{\"system\":\"" sys "\",\"code\":\"" code "\"}"
static const char MEDS[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
	"{\"resource\":{\"resourceType\":\"Medication\",\"id\":\"med1\",\"code\":{\"coding\":[" K(S, "A") "]}}},"
	MS("m1", "\"status\":\"active\"," MCC(K(S, "A")))                            /* a member */
	MS("m2", "\"status\":\"active\"," MCC(K("http://other", "A")))               /* another system */
	MS("m3", "\"status\":\"active\",\"medicationReference\":{\"reference\":\"Medication/med1\"}")  /* no concept */
	MS("m4", "\"status\":\"active\",\"_status\":{\"id\":\"s4\"}," MCC(K(S, "A")))  /* a "_" member */
	MS("m5", "\"status\":\"active\",\"medicationCodeableConcept\":{\"text\":\"A\"}")  /* no coding */
	MS("m6", "\"status\":\"active\"," MCC(K(S, "Z") "," K(S, "B")))             /* the second a member of ab */
	MS("m7", "\"status\":\"active\"," MCC("{\"code\":\"A\"}"))                   /* no system */
	MS("m8", "\"status\":\"active\"," MCC("{\"system\":\"" S "\",\"code\":\"A\",\"_code\":{\"id\":\"k\"}}"))
	MS("m9", "\"status\":\"active\"," MCC(K(S, "a")))                            /* lower case */
	MS("m10", "\"status\":\"entered-in-error\"," MCC(K(S, "A")))                 /* a member, in error */
	MS("m11", "\"status\":\"active\"," MCC(K(S, "A\\u0000x")))                   /* "A" up to the NUL */
	MS("m12", "\"status\":\"active\",\"medicationCodeableConcept\":{\"extension\":[{\"url\":\"http://e\","
	    "\"valueString\":\"x\"}],\"coding\":[" K(S, "B") "]}")                    /* an extension; B */
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\"," CC(S, "Z") ","
	"\"category\":[{\"coding\":[" K(S, "A") "]}],\"valueCodeableConcept\":{\"coding\":[" K(S, "B") "]}}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o2\",\"status\":\"final\"," CC(S, "Z") ","
	"\"category\":[{\"coding\":[" K(S, "Z") "]},{\"coding\":[" K(S, "A") "]}],\"valueQuantity\":{\"value\":1}}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o3\",\"status\":\"final\"," CC(S, "Z") ","
	"\"valueString\":\"A\"}},"
	"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o4\",\"status\":\"final\"," CC(S, "A") ","
	"\"category\":[{\"text\":\"A\"}]}}"
	"]}";

/* The mfast mark of expr's memberOf (the root, or the criterion of a root call), 0 when none. */
static int mfast_of(const char *expr)
{
	mn_error err;
	mn_fp_expr *e = mn_fp_compile(expr, -1, &err);
	if (!e)
		return -1;
	const fp_node *n = e->root;
	if (n && n->kind == FN_CALL && n->nargs == 1 && strcmp(n->fn->name, "memberOf") != 0)
		n = n->args[0];
	while (n && n->kind == FN_CALL && n->fn && strcmp(n->fn->name, "memberOf") != 0)
		n = n->left;
	int m = n && n->kind == FN_CALL ? n->mfast : 0;
	mn_fp_expr_free(e);
	return m;
}

static void test_member_of_fast(void)
{
	CHECK_INT(mfast_of("code.memberOf('ab')"), 1);
	CHECK_INT(mfast_of("medication.ofType(CodeableConcept).memberOf('ab')"), 2);
	CHECK_INT(mfast_of("MedicationStatement.where(medication.ofType(CodeableConcept).memberOf('ab'))"), 2);
	CHECK_INT(mfast_of("code.memberOf('ab').not()"), 1);
	CHECK_INT(mfast_of("code.select($this).memberOf('ab')"), 0);
	CHECK_INT(mfast_of("Procedure.code.memberOf('ab')"), 0);
	CHECK_INT(mfast_of("code.memberOf(%vs)"), 0);
	CHECK_INT(mfast_of("memberOf('ab')"), 0);
	static const struct { const char *expr, *general, *want; } T[] = {
		{"MedicationStatement.select(medication.ofType(CodeableConcept).memberOf('ab'))",
		 "MedicationStatement.select(medication.ofType(CodeableConcept).select($this).memberOf('ab'))",
		 "true,false,true,false,true,false,true,false,true,true,true"},
		{"MedicationStatement.where(medication.ofType(CodeableConcept).memberOf('ab')).id",
		 "MedicationStatement.where(medication.ofType(CodeableConcept).select($this).memberOf('ab')).id",
		 "m1,m4,m6,m8,m10,m11,m12"},
		{"MedicationStatement.where(medication.ofType(CodeableConcept).memberOf('a')).id",
		 "MedicationStatement.where(medication.ofType(CodeableConcept).select($this).memberOf('a')).id",
		 "m1,m4,m8,m10,m11"},
		{"MedicationStatement.where(status = 'active' and medication.ofType(CodeableConcept).memberOf('ab')).id",
		 "MedicationStatement.where(status = 'active' and medication.ofType(CodeableConcept).select($this)"
		 ".memberOf('ab')).id",
		 "m1,m4,m6,m8,m11,m12"},
		{"MedicationStatement.where(medication.ofType(CodeableConcept).memberOf('ab').not()).id",
		 "MedicationStatement.where(medication.ofType(CodeableConcept).select($this).memberOf('ab').not()).id",
		 "m2,m5,m7,m9"},
		{"MedicationStatement.where(medication.ofType(CodeableConcept).memberOf('nothing')).id",
		 "MedicationStatement.where(medication.ofType(CodeableConcept).select($this).memberOf('nothing')).id",
		 "ERROR"},
		{"MedicationStatement.where(id = 'm3').select(medication.ofType(CodeableConcept).memberOf('nothing'))",
		 "MedicationStatement.where(id = 'm3').select(medication.ofType(CodeableConcept).select($this)"
		 ".memberOf('nothing'))",
		 ""},
		/* medication without ofType: the Reference is a concept without system or code, false */
		{"MedicationStatement.select(medication.memberOf('ab'))",
		 "MedicationStatement.select(medication.select($this).memberOf('ab'))",
		 "true,false,false,true,false,true,false,true,false,true,true,true"},
		/* category (0..*): one concept, several (memberOf's error), none */
		{"Observation.where(id != 'o2').select(category.memberOf('ab'))",
		 "Observation.where(id != 'o2').select(category.select($this).memberOf('ab'))", "true,false"},
		{"Observation.where(id = 'o2').select(category.memberOf('ab'))",
		 "Observation.where(id = 'o2').select(category.select($this).memberOf('ab'))", "ERROR"},
		{"Observation.select(value.ofType(CodeableConcept).memberOf('ab'))",
		 "Observation.select(value.ofType(CodeableConcept).select($this).memberOf('ab'))", "true"},
		{"Observation.where(code.memberOf('a')).id", "Observation.where(code.select($this).memberOf('a')).id", "o4"},
		/* a type name on $this filters it by type, as usual: the Observation as a concept (its "code" an
		 * object, not a string: no code), never a member */
		{"Observation.select(Observation.memberOf('a'))",
		 "Observation.select(Observation.select($this).memberOf('a'))", "false,false,false,false"},
	};
	mn_case *c = load(MEDS);
	if (!c)
		return;
	mn_fp_env_set_terminology(env, vs_member, NULL);
	char b[512];
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
		CHECK_MSG(strcmp(run(c, false, T[i].expr, b, sizeof b), T[i].want) == 0, "%s: %s, want %s", T[i].expr, b,
		          T[i].want);
		CHECK_MSG(strcmp(run(c, false, T[i].general, b, sizeof b), T[i].want) == 0, "%s: %s, want %s",
		          T[i].general, b, T[i].want);
	}
	/* without a terminology service: memberOf's error where there is a concept, as usual */
	mn_fp_env_set_terminology(env, NULL, NULL);
	CHECK_STR(run(c, false, "MedicationStatement.where(medication.ofType(CodeableConcept).memberOf('ab')).id", b,
	              sizeof b), "ERROR");
	CHECK_STR(run(c, false, "MedicationStatement.where(id = 'm3').select(medication.ofType(CodeableConcept)"
	                        ".memberOf('ab'))", b, sizeof b), "");
	mn_fp_env_set_case(env, NULL);
	mn_case_free(c);
}

/* E.coding.where(k).exists() read from $this's JSON (coding_exists_fast): over the loaded case, and over
 * Observations given as JSON (not loaded: shapes the loader refuses), each expression against its form
 * with .select($this) before exists() (the general evaluation) and against the answer worked by hand. */
#define OB(id, rest) "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"" id "\",\"status\":\"final\"," rest "}},"
static const char CODINGS[] =
	"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
	"{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}},"
	OB("o1", "\"code\":{\"coding\":[" K(L, "X") "]}")                                  /* a match */
	OB("o2", "\"code\":{\"coding\":[" K("http://other", "X") "]}")                     /* another system */
	OB("o3", "\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"X\",\"_code\":{\"id\":\"c\"}}]}")
	OB("o4", "\"code\":{\"coding\":[{\"system\":\"" L "\"}]}")                        /* no code */
	OB("o5", "\"code\":{\"text\":\"X\"}")                                              /* no coding */
	OB("o6", "\"code\":{\"coding\":[" K(L, "Y") "," K(L, "X") "]}")                   /* the second */
	OB("o7", "\"_status\":{\"id\":\"s\"},\"code\":{\"coding\":[" K(L, "X") "]}")      /* "_status" */
	OB("o8", "\"code\":{\"coding\":[" K(L, "X ") "]}")                                /* a trailing space */
	OB("o9", "\"code\":{\"coding\":[{\"extension\":[{\"url\":\"http://e\",\"valueString\":\"v\"}],"
	   "\"system\":\"" L "\",\"code\":\"X\"}]},\"category\":[{\"coding\":[" K(L, "Y") "]},"
	   "{\"coding\":[" K(L, "Z") "]}]")                                                 /* an extension; 2 categories */
	"{\"resource\":{\"resourceType\":\"Procedure\",\"id\":\"pr\",\"subject\":{\"reference\":\"Patient/p1\"},"
	"\"status\":\"completed\",\"code\":{\"coding\":[" K(L, "X") "]}}}"
	"]}";

/* expr and its general form (".select($this).exists()" for the last ".exists()") over the case c's
 * Observations as Observation.where(crit).id, and want. */
static void coding_check(const mn_case *c, const char *crit, const char *want)
{
	char e1[512], e2[512], b[512];
	const char *x = strstr(crit, ".exists()");
	snprintf(e1, sizeof e1, "Observation.where(%s).id", crit);
	snprintf(e2, sizeof e2, "Observation.where(%.*s.select($this).exists()%s).id", (int)(x - crit), crit, x + 9);
	CHECK_MSG(strcmp(run(c, false, e1, b, sizeof b), want) == 0, "%s: %s, want %s", e1, b, want);
	CHECK_MSG(strcmp(run(c, false, e2, b, sizeof b), want) == 0, "%s: %s, want %s", e2, b, want);
}

/* expr over the JSON resource text (mn_fp_eval, no loader), as joined() gives it. */
static const char *json_run(const char *text, const char *expr, char *buf, size_t sz)
{
	mn_error err;
	mn_json *j = NULL;
	if (mn_json_parse(arena, "r.json", text, strlen(text), &j, &err) != MN_OK)
		return "BAD JSON";
	mn_fp_result *r = NULL;
	mn_fp_expr *e = mn_fp_compile(expr, -1, &err);
	mn_status st = e ? mn_fp_eval(e, env, j, arena, &r, &err) : MN_ESYNTAX;
	mn_fp_expr_free(e);
	return st == MN_OK ? joined(r, buf, sz) : "ERROR";
}

/* The mfast mark of expr's root. */
static int root_mfast(const char *expr)
{
	mn_error err;
	mn_fp_expr *e = mn_fp_compile(expr, -1, &err);
	int m = e && e->root->kind == FN_CALL ? e->root->mfast : -1;
	mn_fp_expr_free(e);
	return m;
}

static void test_coding_exists(void)
{
	CHECK_INT(root_mfast("code.coding.where(system = 'S' and code = 'X').exists()"), 3);
	CHECK_INT(root_mfast("category.coding.where(code in ('X' | 'Y')).exists()"), 3);
	CHECK_INT(root_mfast("code.coding.where(system = 'S').exists()"), 0);  /* says nothing of the code */
	CHECK_INT(root_mfast("code.coding.where(display = 'x').exists()"), 0);
	CHECK_INT(root_mfast("code.coding.where(code = 'X').exists(code = 'X')"), 0);
	CHECK_INT(root_mfast("Observation.code.coding.where(code = 'X').exists()"), 0);
	CHECK_INT(root_mfast("code.coding.where(code = 'X').select($this).exists()"), 0);
	mn_case *c = load(CODINGS);
	if (!c)
		return;
	coding_check(c, "code.coding.where(system = '" L "' and code = 'X').exists()", "o1,o3,o6,o7,o9");
	coding_check(c, "code.coding.where(code = 'X').exists()", "o1,o2,o3,o6,o7,o9");
	coding_check(c, "code.coding.where(system = '" L "').exists()", "o1,o3,o4,o6,o7,o8,o9");
	coding_check(c, "code.coding.where((code = 'Y' or code = 'X ') and system = '" L "').exists()", "o6,o8");
	coding_check(c, "code.coding.where(code in ('X' | 'Y')).exists().not()", "o4,o5,o8");
	coding_check(c, "category.coding.where(code = 'Z').exists()", "o9");
	coding_check(c, "status = 'final' and code.coding.where(code = 'Y').exists()", "o6");
	mn_fp_env_set_case(env, NULL);
	mn_case_free(c);

	/* shapes the loader refuses: a code given as an array, a repeated key, a system that is a number,
	 * two concepts, a coding that is one object, the coding key twice, a null concept */
	static const struct { const char *res, *expr, *want; } J[] = {
		{"{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":[\"X\",\"Y\"]}]}}",
		 "code.coding.where(system = '" L "' and code = 'X').exists()", "false"},
		{"{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":[\"X\",\"Y\"]}]}}",
		 "code.coding.where(code in ('X' | 'Z')).exists()", "ERROR"},
		{"{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":\"" L "\",\"code\":\"Y\",\"code\":\"X\"}]}}",
		 "code.coding.where(code in ('X' | 'Z')).exists()", "ERROR"},
		{"{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":5,\"code\":\"X\"}]}}",
		 "code.coding.where(system = '" L "' and code = 'X').exists()", "false"},
		{"{\"resourceType\":\"Observation\",\"code\":[{\"coding\":[" K(L, "Y") "]},{\"coding\":[" K(L, "X") "]}]}",
		 "code.coding.where(code = 'X').exists()", "true"},
		{"{\"resourceType\":\"Observation\",\"code\":{\"coding\":" K(L, "X") "}}",
		 "code.coding.where(code = 'X').exists()", "true"},
		{"{\"resourceType\":\"Observation\",\"code\":{\"coding\":[" K(L, "X") "],\"coding\":[" K(L, "Y") "]}}",
		 "code.coding.where(code = 'Y').exists()", "true"},
		{"{\"resourceType\":\"Observation\",\"code\":null}", "code.coding.where(code = 'X').exists()", "false"},
	};
	char b[256], e2[256];
	for (size_t i = 0; i < sizeof J / sizeof J[0]; i++) {
		const char *x = strstr(J[i].expr, ".exists()");
		snprintf(e2, sizeof e2, "%.*s.select($this).exists()", (int)(x - J[i].expr), J[i].expr);
		CHECK_MSG(strcmp(json_run(J[i].res, J[i].expr, b, sizeof b), J[i].want) == 0, "%zu %s: %s, want %s", i,
		          J[i].expr, b, J[i].want);
		CHECK_MSG(strcmp(json_run(J[i].res, e2, b, sizeof b), J[i].want) == 0, "%zu %s: %s, want %s", i, e2, b,
		          J[i].want);
	}
}

/* The policy's memberOf provider (mn_policy_member_of, the set found again after another) and its codes
 * (mn_policy_codes_of), then the policy's selections with memberOf over the example record, with the codes
 * and without: the same resources. */
static void test_policy_sets(void)
{
	mn_error err;
	mn_library *lib = NULL;
	mn_policy *p = NULL;
	mn_case *c = NULL;
	mn_error_clear(&err);
	if (mn_library_load(MN_SOURCE_DIR "/evidence", &lib, &err) != MN_OK ||
	    mn_policy_load(MN_SOURCE_DIR "/policies", "drg-stimulation-trial", lib, &p, &err) != MN_OK ||
	    mn_case_load_file_ex(MN_SOURCE_DIR "/examples/crps-ii-drg-trial.json", MN_CASE_ALLOW_UNRESOLVED | MN_CASE_LENIENT,
	                         &c, &err) != MN_OK) {
		CHECK_MSG(false, "%s", err.message);
		goto out;
	}
	const char *cpt = "http://www.ama-assn.org/go/cpt";
	CHECK_INT(mn_policy_member_of(p, "psych-evaluation", cpt, "90791"), 1);
	CHECK_INT(mn_policy_member_of(p, "psych-evaluation", "http://other", "90791"), 0);
	CHECK_INT(mn_policy_member_of(p, "facet-rfa", cpt, "64635"), 1);
	CHECK_INT(mn_policy_member_of(p, "psych-evaluation", cpt, "64635"), 0);
	CHECK_INT(mn_policy_member_of(p, "psych-evaluation", cpt, "90791"), 1);
	CHECK_INT(mn_policy_member_of(p, "psych-evaluatio", cpt, "90791"), -1);
	CHECK_INT(mn_policy_member_of(p, "facet-rfa", cpt, "64635"), 1);
	CHECK_INT(mn_policy_member_of(p, "psych-evaluation-", cpt, "90791"), -1);
	/* a shared set: epidural injection is listed under crps-usual-care-procedures' exclude */
	CHECK_INT(mn_policy_member_of(p, "crps-usual-care-procedures", cpt, "64483"), 0);
	CHECK_INT(mn_policy_member_of(p, "crps-usual-care-procedures", cpt, "97110"), 1);
	mn_fp_codes k;
	CHECK_INT(mn_policy_codes_of(p, "neurostimulator-programming", &k), 1);
	CHECK(k.n == 2 && strcmp(k.code(k.list, 0), "95971") == 0 && strcmp(k.code(k.list, 1), "95972") == 0);
	CHECK_INT(mn_policy_codes_of(p, "substance-use-disorder", &k), 0);  /* prefixes */
	CHECK_INT(mn_policy_codes_of(p, "nothing", &k), -1);
	/* the answers read off the record's codes by hand (12 Procedures, each with one CPT code) */
	static const struct { const char *expr, *want; } T[] = {
		{"Procedure.where(status = 'completed' and code.memberOf('psych-evaluation')).id", "psych-eval-2026-03"},
		{"Procedure.where(status = 'completed' and code.memberOf('epidural-injection')).count()", "2"},
		{"Procedure.where(status = 'completed' and code.memberOf('facet-rfa')).id", "rfa-2018-02"},
		{"Procedure.where(status = 'completed' and code.memberOf('scs-implant')).id", "scs-implant-2019"},
		{"Procedure.where(status = 'completed' and code.memberOf('neurostimulator-programming')).id",
		 "scs-reprogram-2022-02,scs-reprogram-2023-04,scs-reprogram-2024-10"},
		{"Procedure.where(status in ('completed' | 'in-progress') and code.memberOf('spine-surgery')).id", "fusion-l4-s1-2016"},
		{"Procedure.where(status = 'completed' and code.memberOf('crps-usual-care-procedures')).id", "pt-2016,pt-2025"},
		{"Condition.where(code.memberOf('crps-diagnosis')).id", "crps-ii-left-lower-limb"},
		{"DiagnosticReport.where(code.memberOf('urine-drug-screen')).id", "uds-2026-09"},
		{"ServiceRequest.where(code.memberOf('drg-stimulation-trial')).id", "drg-trial-request"},
	};
	for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
		char b1[2048], b2[2048];
		mn_fp_env_set_terminology_codes(env, mn_policy_member_of, mn_policy_codes_of, p);
		const char *with = run(c, false, T[i].expr, b1, sizeof b1);
		mn_fp_env_set_terminology(env, mn_policy_member_of, p);
		const char *without = run(c, false, T[i].expr, b2, sizeof b2);
		CHECK_MSG(strcmp(with, without) == 0, "%s: %s with the codes, %s without", T[i].expr, with, without);
		CHECK_STR(with, T[i].want);
	}
	mn_fp_env_set_terminology(env, NULL, NULL);
	mn_fp_env_set_case(env, NULL);
out:
	mn_case_free(c);
	mn_policy_free(p);
	mn_library_free(lib);
}

/* mn_fp_eval_resource (the context's type and provenance from the mn_resource) against mn_fp_eval (looked
 * up from the JSON) on every resource of the case: the same answers, the same failures, the same
 * provenance of each item, with the env's case set and without. Expressions: the clinical scores' own
 * (choices, unions, iif), resolve() and %resource, an unknown element (an error on a typed context),
 * a choice element by its JSON name (an error), type tests on the context. */
static void test_eval_resource(const mn_case *c)
{
	static const char *const exprs[] = {
		"(effective.ofType(dateTime) | effective.ofType(instant) | effective.ofType(Period).start).first()",
		"code.coding.where(system = '" L "').code",
		"category.coding.code | code.coding.code",
		"iif(value.ofType(boolean).exists(), value.ofType(boolean), iif(code.coding.where(code = 'X').exists(), "
		"true, {}))",
		"subject.resolve().id",
		"%resource.id & '/' & %context.id",
		"$this is Observation",
		"ofType(Procedure).status",
		"nosuchelement",
		"effectiveDateTime",
		"code.coding._code.id",
		"1 / 0",
		"$this",
		"id.matches('o1[0-4]')",
	};
	for (int withcase = 0; withcase < 2; withcase++) {
		mn_fp_env_set_case(env, withcase ? c : NULL);
		for (size_t k = 0; k < sizeof exprs / sizeof *exprs; k++) {
			mn_error err;
			mn_fp_expr *e = mn_fp_compile(exprs[k], -1, &err);
			CHECK_MSG(e != NULL, "%s: %s", exprs[k], err.message);
			for (size_t i = 0; e && i < mn_case_count(c); i++) {
				const mn_resource *res = mn_case_get(c, i);
				mn_fp_result *ra = NULL, *rb = NULL;
				mn_error ea, eb;
				mn_status sa = mn_fp_eval(e, env, res->json, arena, &ra, &ea);
				mn_status sb = mn_fp_eval_resource(e, env, res, arena, &rb, &eb);
				CHECK_MSG(sa == sb, "%s on %s: %d vs %d", exprs[k], res->id, (int)sa, (int)sb);
				if (sa != MN_OK || sb != MN_OK) {
					CHECK_STR(ea.message, eb.message);
					continue;
				}
				char ba[512], bb[512];
				CHECK_STR(joined(ra, ba, sizeof ba), joined(rb, bb, sizeof bb));
				CHECK_INT(mn_fp_result_count(ra), mn_fp_result_count(rb));
				for (size_t j = 0; j < mn_fp_result_count(ra) && j < mn_fp_result_count(rb); j++) {
					const mn_fp_item *a = mn_fp_result_item(ra, j), *b = mn_fp_result_item(rb, j);
					CHECK(mn_fp_item_resource(a) == mn_fp_item_resource(b));
					CHECK(strcmp(mn_fp_item_type(a), mn_fp_item_type(b)) == 0);
				}
			}
			mn_fp_expr_free(e);
		}
	}
	/* no resource: the empty context, as mn_fp_eval with NULL */
	mn_error err;
	mn_fp_expr *e = mn_fp_compile("1 + 1", -1, &err);
	mn_fp_result *r = NULL;
	CHECK(e && mn_fp_eval_resource(e, env, NULL, arena, &r, &err) == MN_OK && mn_fp_result_count(r) == 1);
	mn_fp_expr_free(e);
}

/* The element each member step remembers (fp_node own_el): one compiled expression evaluated over items of
 * many types, in two orders, against the expression compiled afresh for each evaluation (nothing
 * remembered). Names that are some types' own elements and others' inherited ones (text: CodeableConcept's
 * own, Observation's from DomainResource; id, extension: Element's and Resource's), choices, unknown names. */
static void test_own_element(const mn_case *c)
{
	static const char *const exprs[] = {
		"(code | %resource | subject | category).text",
		"(%resource | code | code.coding | subject).id",
		"(code.coding | code | %resource).extension.url",
		"descendants().text",
		"descendants().id",
		"children().code",
		"(code | category).coding.code",
		"(%resource | code).value",
		"descendants().system",
	};
	mn_fp_env_set_case(env, c);
	size_t n = mn_case_count(c);
	for (size_t k = 0; k < sizeof exprs / sizeof *exprs; k++) {
		mn_error err;
		mn_fp_expr *kept = mn_fp_compile(exprs[k], -1, &err);
		CHECK_MSG(kept != NULL, "%s: %s", exprs[k], err.message);
		for (size_t pass = 0; kept && pass < 2; pass++)
			for (size_t j = 0; j < n; j++) {
				const mn_resource *res = mn_case_get(c, pass ? n - 1 - j : j);
				mn_fp_expr *fresh = mn_fp_compile(exprs[k], -1, &err);
				mn_fp_result *ra = NULL, *rb = NULL;
				mn_error ea, eb;
				mn_status sa = mn_fp_eval_resource(kept, env, res, arena, &ra, &ea);
				mn_status sb = fresh ? mn_fp_eval_resource(fresh, env, res, arena, &rb, &eb) : MN_ESYNTAX;
				CHECK_MSG(sa == sb, "%s on %s: %d vs %d", exprs[k], res->id, (int)sa, (int)sb);
				char ba[1024], bb[1024];
				if (sa == MN_OK && sb == MN_OK)
					CHECK_STR(joined(ra, ba, sizeof ba), joined(rb, bb, sizeof bb));
				mn_fp_expr_free(fresh);
			}
		mn_fp_expr_free(kept);
	}
}

int main(void)
{
	env = mn_fp_env_new();
	arena = mn_arena_new();
	mn_case *c = load(BUNDLE);
	CHECK_INT(mn_case_count(c), 15);
	if (c) {
		test_index(c);
		test_answers(c);
		test_views(c);
		test_eval_resource(c);
		test_own_element(c);
	}
	test_marks();
	test_small();
	test_threads();
	test_member_of();
	test_member_of_fast();
	test_coded_skip();
	test_coding_exists();
	test_policy_sets();
	mn_fp_env_set_case(env, NULL);
	mn_case_free(c);
	mn_arena_free(arena);
	mn_fp_env_free(env);
	TEST_END();
}
