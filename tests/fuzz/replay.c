/*
 * replay.c: a standalone driver for the fuzz targets, so that their corpora
 * run as regression tests under any compiler (gcc + AddressSanitizer in
 * ctest) without libFuzzer.
 *
 *   fuzz_fhirpath_parse_replay DIR_OR_FILE...
 *
 * Every regular file of each directory (in name order, not recursive) and
 * every file named directly is read and passed once to
 * LLVMFuzzerTestOneInput, in an exact-size heap block. A crash or sanitizer
 * report names the input being run (through the sanitizer death callback
 * when there is one, else MN_FUZZ_VERBOSE=1 prints each name first). An
 * input that runs longer than MN_FUZZ_TIMEOUT seconds (default 25, 0 = no
 * limit) is a failure, as libFuzzer's -timeout makes it one: the driver
 * names it and exits with status 3. Memory is bounded too, at
 * MN_FUZZ_RSS_MB (default 2048, as libFuzzer's -rss_limit_mb): under
 * AddressSanitizer through its hard_rss_limit_mb option (set by
 * __asan_default_options below; ASAN_OPTIONS can override it), otherwise
 * through RLIMIT_AS, so that a runaway input fails the test instead of
 * exhausting the machine. Exit status otherwise: 0 when every
 * input ran, 1 when an input could not be read or no input was found, 2 on
 * usage errors.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#if defined(__SANITIZE_ADDRESS__)
#define MN_REPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MN_REPLAY_ASAN 1
#endif
#endif

#define DEFAULT_RSS_MB 2048

#ifdef MN_REPLAY_ASAN
/* Read by AddressSanitizer at start-up, before main. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "hard_rss_limit_mb=2048";
}
#endif

/* Provided by the sanitizer runtimes; NULL without them. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static const char *current;

static void on_death(void)
{
	if (current)
		fprintf(stderr, "replay: the failing input is %s\n", current);
}

static unsigned timeout_seconds;

static void on_alarm(int sig)
{
	static const char head[] = "replay: timeout: ";
	static const char tail[] = " ran longer than MN_FUZZ_TIMEOUT seconds\n";
	(void)sig;
	/* async-signal-safe output only */
	if (write(2, head, sizeof head - 1) < 0 ||
	    (current && write(2, current, strlen(current)) < 0) ||
	    write(2, tail, sizeof tail - 1) < 0)
		_exit(3);
	_exit(3);
}

static int run_file(const char *path, int verbose, double *slowest, char **slowest_name)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			fclose(f);
			fprintf(stderr, "%s: out of memory\n", path);
			return -1;
		}
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap)
			break;
		unsigned char *more = realloc(buf, cap * 2);
		if (!more)
			free(buf);
		buf = more;
		cap *= 2;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		perror(path);
		free(buf);
		return -1;
	}
	/* Exact size, so that reading one byte too many is an ASan report. */
	unsigned char *data = malloc(len ? len : 1);
	if (!data) {
		free(buf);
		return -1;
	}
	memcpy(data, buf, len);
	free(buf);
	if (verbose)
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	current = path;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(timeout_seconds);
	LLVMFuzzerTestOneInput(data, len);
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	current = NULL;
	free(data);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs > *slowest) {
		*slowest = secs;
		free(*slowest_name);
		*slowest_name = strdup(path);
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, int verbose, size_t *count, double *slowest,
                   char **slowest_name)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			char **more = realloc(names, cap * sizeof *names);
			if (!more) {
				rc = -1;
				break;
			}
			names = more;
		}
		size_t sz = strlen(dir) + strlen(de->d_name) + 2;
		if (!(names[n] = malloc(sz))) {
			rc = -1;
			break;
		}
		snprintf(names[n], sz, "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(names[i], verbose, slowest, slowest_name) != 0)
				rc = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(on_death);
	const char *v = getenv("MN_FUZZ_VERBOSE");
	int verbose = v && *v && strcmp(v, "0") != 0;
#ifndef MN_REPLAY_ASAN
	const char *m = getenv("MN_FUZZ_RSS_MB");
	unsigned long mb = m && *m ? strtoul(m, NULL, 10) : DEFAULT_RSS_MB;
	if (mb) {
		/* address space, not resident size: leave room for code and stacks */
		struct rlimit rl = {(rlim_t)(mb + 256) << 20, (rlim_t)(mb + 256) << 20};
		setrlimit(RLIMIT_AS, &rl);
	}
#endif
	const char *t = getenv("MN_FUZZ_TIMEOUT");
	timeout_seconds = t && *t ? (unsigned)strtoul(t, NULL, 10) : 25;
	if (timeout_seconds) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
	}
	size_t count = 0;
	double slowest = 0;
	char *slowest_name = NULL;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], verbose, &count, &slowest, &slowest_name) != 0)
				rc = 1;
		} else if (run_file(argv[i], verbose, &slowest, &slowest_name) != 0) {
			rc = 1;
		} else {
			count++;
		}
	}
	printf("replayed %zu inputs", count);
	if (slowest_name)
		printf("; slowest %.3f s: %s", slowest, slowest_name);
	printf("\n");
	free(slowest_name);
	if (count == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		rc = 1;
	}
	return rc;
}
