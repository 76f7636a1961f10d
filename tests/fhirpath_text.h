/*
 * tests/fhirpath_text.h: evaluate a FHIRPath expression and render the result
 * as test text, shared by the FHIRPath unit tests.
 */
#ifndef MN_TEST_FHIRPATH_TEXT_H
#define MN_TEST_FHIRPATH_TEXT_H

#include <stdio.h>

#include "mednec/fhirpath.h"

/* expr on res (NULL: no resource) in env, items in arena a; the result as
 * "a, b, c" or "ERR:<status>" (a static buffer, valid until the next call). */
static const char *fp_eval_text(const char *expr, const mn_fp_env *env, mn_arena *a, const mn_json *res)
{
	static char out[4096];
	mn_error err;
	mn_fp_expr *e = mn_fp_compile(expr, -1, &err);
	if (!e) {
		snprintf(out, sizeof out, "ERR:%s", mn_status_name(err.code));
		return out;
	}
	mn_fp_result *r;
	mn_status st = mn_fp_eval(e, env, res, a, &r, &err);
	if (st != MN_OK) {
		snprintf(out, sizeof out, "ERR:%s", mn_status_name(st));
		mn_fp_expr_free(e);
		return out;
	}
	mn_buf b = MN_BUF_INIT;
	for (size_t i = 0; i < mn_fp_result_count(r); i++) {
		if (i)
			mn_buf_puts(&b, ", ");
		mn_fp_item_write_text(mn_fp_result_item(r, i), &b);
	}
	snprintf(out, sizeof out, "%s", mn_buf_cstr(&b));
	mn_buf_free(&b);
	mn_fp_expr_free(e);
	return out;
}

/* The same with the arguments in environment-first order (tests/test_fhirpath_values.c). */
static inline const char *mn_test_fp_text(const mn_fp_env *env, mn_arena *a, const char *expr, const mn_json *res)
{
	return fp_eval_text(expr, env, a, res);
}

#endif
