/*
 * tests/test.h: a minimal test harness shared by the unit tests.
 *
 * CHECK(cond) records a failure with file:line and goes on; each test file
 * ends with TEST_END(), which prints "N passed, N failed" and returns the
 * exit status (77 = skipped, as ctest's SKIP_RETURN_CODE).
 */
#ifndef MN_TEST_H
#define MN_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mn_test_passed, mn_test_failed;

#define CHECK(cond) do { \
	if (cond) { mn_test_passed++; } \
	else { mn_test_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_MSG(cond, ...) do { \
	if (cond) { mn_test_passed++; } \
	else { mn_test_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
	       fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ && w_ && strcmp(g_, w_) == 0) { mn_test_passed++; } \
	else { mn_test_failed++; fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
	       g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ == w_) { mn_test_passed++; } \
	else { mn_test_failed++; fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); } \
} while (0)

#define TEST_END() do { \
	printf("%d passed, %d failed\n", mn_test_passed, mn_test_failed); \
	return mn_test_failed ? 1 : 0; \
} while (0)

#define TEST_SKIP(why) do { printf("skipped: %s\n", why); return 77; } while (0)

/* Directory of the shared data (env MN_DATA_DIR overrides the build-time one). */
static inline const char *mn_test_data_dir(void)
{
	const char *d = getenv("MN_DATA_DIR");
	return d && *d ? d : MN_DATA_DIR;
}

static inline const char *mn_test_source_dir(void)
{
	const char *d = getenv("MN_SOURCE_DIR");
	return d && *d ? d : MN_SOURCE_DIR;
}

#endif
