/*
 * fuzz_fhirpath_parse.c: the FHIRPath compiler on arbitrary bytes.
 *
 * The whole input is the expression text, passed with its length (so NUL
 * bytes and missing terminators are part of what is tested). Compilation
 * must either succeed or fail with one of the documented codes and a
 * message; anything else (a crash, a sanitizer report, another code, an
 * empty message) aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mednec/fhirpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Copy into an exact-size heap block: the compiler must not read past
	 * len, and AddressSanitizer sees the block's end. */
	char *src = malloc(size ? size : 1);
	if (!src)
		return 0;
	if (size)
		memcpy(src, data, size);
	mn_error err;
	mn_fp_expr *e = mn_fp_compile(src, (long)size, &err);
	if (e) {
		const char *s = mn_fp_expr_source(e);
		if (!s || strlen(s) != size || memcmp(s, src, size) != 0) {
			fprintf(stderr, "fuzz_fhirpath_parse: mn_fp_expr_source differs from the input\n");
			abort();
		}
		mn_fp_expr_free(e);
	} else if (err.code != MN_ESYNTAX && err.code != MN_ESEMANTIC && err.code != MN_ELIMIT) {
		fprintf(stderr, "fuzz_fhirpath_parse: unexpected status %d (%s): %s\n", (int)err.code,
		        mn_status_name(err.code), err.message);
		abort();
	} else if (err.message[0] == 0) {
		fprintf(stderr, "fuzz_fhirpath_parse: error %s without a message\n",
		        mn_status_name(err.code));
		abort();
	}
	free(src);
	return 0;
}
