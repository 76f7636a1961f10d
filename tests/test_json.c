/*
 * test_json.c: the JSON parser on hand-written cases and on JSONTestSuite
 * (accept every y_ file, reject every n_ file, and the documented choice for
 * every i_ file: see docs/JSON.md).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "mednec/json.h"
#include "test.h"

static mn_status parse(mn_arena *a, const char *text, mn_json **out, mn_error *err)
{
	return mn_json_parse(a, "t.json", text, strlen(text), out, err);
}

static void test_basics(void)
{
	mn_arena *a = mn_arena_new();
	mn_error err;
	mn_json *v;
	CHECK_INT(parse(a, " {\"a\": [1, 2.50, -3e2], \"b\": \"x\\u00e9\\n\", \"c\": null, \"a\": true} ", &v, &err), MN_OK);
	CHECK_INT(v->type, MN_JSON_OBJECT);
	CHECK_INT(v->n, 4);
	const mn_json *arr = mn_json_get(v, "a");
	CHECK(arr && arr->type == MN_JSON_ARRAY && arr->n == 3);
	CHECK_STR(arr->u.items[1].u.s, "2.50");  /* numbers keep their text */
	CHECK_INT(arr->u.items[1].offset, 11);
	CHECK_STR(mn_json_get_string(v, "b"), "x\xc3\xa9\n");
	CHECK(mn_json_get(v, "c")->type == MN_JSON_NULL);
	CHECK(mn_json_get(v, "zz") == NULL);

	mn_buf b = MN_BUF_INIT;
	mn_json_write(&b, v);
	CHECK_STR(mn_buf_cstr(&b), "{\"a\":[1,2.50,-3e2],\"b\":\"x\xc3\xa9\\n\",\"c\":null,\"a\":true}");
	mn_buf_free(&b);

	/* the parser records whether an object has "_name" members (FHIR primitive extensions) */
	CHECK_INT(v->flags, MN_JSON_F_KNOWN);
	CHECK_INT(parse(a, "{\"birthDate\": \"1970\", \"_birthDate\": {\"id\": \"x\"}, \"o\": {\"_\": 1}}", &v, &err), MN_OK);
	CHECK_INT(v->flags, MN_JSON_F_KNOWN | MN_JSON_F_UNDERSCORE);
	CHECK_INT(mn_json_get(v, "_birthDate")->flags, MN_JSON_F_KNOWN);
	CHECK_INT(mn_json_get(v, "o")->flags, MN_JSON_F_KNOWN | MN_JSON_F_UNDERSCORE);
	CHECK_INT(mn_json_get(v, "birthDate")->flags, 0);  /* only objects carry flags */

	/* errors carry line and column */
	CHECK_INT(parse(a, "{\n  \"a\": [1,\n  2,,]\n}", &v, &err), MN_EJSON);
	CHECK_INT(err.line, 3);
	CHECK_INT(err.column, 5);
	CHECK(strstr(err.message, "near ','") != NULL);
	CHECK_STR(err.source, "t.json");

	CHECK_INT(parse(a, "\"abc", &v, &err), MN_EJSON);
	CHECK(strstr(err.message, "unterminated") != NULL);
	CHECK_INT(parse(a, "[\"\\ud800\"]", &v, &err), MN_EJSON);
	CHECK_INT(parse(a, "[\"\\ud83d\\ude00\"]", &v, &err), MN_OK);
	CHECK_STR(v->u.items[0].u.s, "\xf0\x9f\x98\x80");

	/* depth limit: 512 nested arrays parse, 513 do not */
	char deep[2000];
	memset(deep, '[', 513);
	memset(deep + 513, ']', 513);
	deep[1026] = '\0';
	CHECK_INT(parse(a, deep, &v, &err), MN_ELIMIT);
	CHECK_INT(parse(a, deep + 1, &v, &err), MN_EJSON);  /* one more ']' than '[' */
	deep[1025] = '\0';
	CHECK_INT(parse(a, deep + 1, &v, &err), MN_OK);
	mn_arena_free(a);
}

/* Expected behaviour for the i_ files: 1 accept, 0 reject. */
static int i_expect(const char *name)
{
	if (strstr(name, "i_number_") == name)
		return 1;  /* numbers keep their text; range is checked where used */
	if (strcmp(name, "i_structure_500_nested_arrays.json") == 0)
		return 1;  /* within the 512 level limit */
	if (strcmp(name, "i_structure_UTF-8_BOM_empty_object.json") == 0)
		return 1;  /* a leading BOM is skipped */
	return 0;      /* invalid UTF-8, UTF-16 and lone surrogates are rejected */
}

static void test_suite(void)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/JSONTestSuite/test_parsing", mn_test_data_dir());
	DIR *d = opendir(dir);
	if (!d) {
		printf("skipped: JSONTestSuite not found at %s\n", dir);
		return;
	}
	int files = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (!strstr(name, ".json") || (name[0] != 'y' && name[0] != 'n' && name[0] != 'i'))
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, name);
		char *text;
		size_t len;
		mn_error err;
		if (mn_read_file(path, &text, &len, &err) != MN_OK) {
			CHECK_MSG(0, "cannot read %s", path);
			continue;
		}
		mn_arena *a = mn_arena_new();
		mn_json *v;
		mn_status rc = mn_json_parse(a, name, text, len, &v, &err);
		int want = name[0] == 'y' ? 1 : name[0] == 'n' ? 0 : i_expect(name);
		CHECK_MSG((rc == MN_OK) == want, "%s: got %s (%s)", name, mn_status_name(rc), err.message);
		mn_arena_free(a);
		free(text);
		files++;
	}
	closedir(d);
	CHECK_MSG(files >= 318, "only %d JSONTestSuite files", files);
	printf("JSONTestSuite: %d files checked\n", files);
}

int main(void)
{
	test_basics();
	test_suite();
	TEST_END();
}
