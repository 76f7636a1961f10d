/*
 * test_robustness.c: pathological inputs through the public API.
 *
 * Every input here must end in a clear error code (MN_ELIMIT for a
 * declared limit, MN_ESYNTAX for bad text) or in the correct result, within
 * a time budget and a memory bound, and never crash. The limits are the
 * ones the headers declare: MN_FP_MAX_EXPR_LEN, MN_FP_MAX_DEPTH,
 * MN_FP_MAX_ITEMS, MN_FP_MAX_STRING (fhirpath.h) and MN_JSON_MAX_DEPTH
 * (json.h).
 *
 * Each FHIRPath case runs in a child process (bounded()): a crash, a
 * sanitizer report, running past the time budget or growing past the memory
 * bound fails that case only, and the next one runs. The child polls its own
 * resident size every 20 ms and stops itself at the bound, so a runaway
 * evaluation cannot take the machine with it (with or without
 * AddressSanitizer, whose shadow memory rules out RLIMIT_AS).
 *
 *   MN_ROBUSTNESS_SECONDS  time budget per case (default 20, 40 under
 *                          AddressSanitizer)
 *   MN_ROBUSTNESS_MB       memory bound per case in MiB (default 1024, 3072
 *                          under AddressSanitizer)
 */
#define _DEFAULT_SOURCE 1 /* setitimer */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mednec/fhirpath.h"
#include "test.h"

#if defined(__SANITIZE_ADDRESS__)
#define MN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MN_ASAN 1
#endif
#endif

/* ---- text builders -------------------------------------------------------- */

/* A malloc'd string of `prefix` n times, `middle`, `suffix` n times. */
static char *nest(const char *prefix, size_t n, const char *middle, const char *suffix)
{
	size_t lp = strlen(prefix), lm = strlen(middle), ls = strlen(suffix);
	char *s = malloc(n * (lp + ls) + lm + 1), *p = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++, p += lp)
		memcpy(p, prefix, lp);
	memcpy(p, middle, lm);
	p += lm;
	for (size_t i = 0; i < n; i++, p += ls)
		memcpy(p, suffix, ls);
	*p = 0;
	return s;
}

/* `item` n times joined by `sep`. */
static char *repeat_join(const char *item, const char *sep, size_t n)
{
	size_t li = strlen(item), lsep = strlen(sep);
	char *s = malloc(n * (li + lsep) + 1), *p = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (i) {
			memcpy(p, sep, lsep);
			p += lsep;
		}
		memcpy(p, item, li);
		p += li;
	}
	*p = 0;
	return s;
}

static char *fill(char c, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memset(s, c, n);
		s[n] = 0;
	}
	return s;
}

/* ---- bounded evaluation in a child process ---------------------------------- */

typedef struct outcome {
	/* set by the child */
	int stage;          /* 0 set-up, 1 compile, 2 load, 3 evaluate, 4 done */
	mn_status st;       /* MN_OK or the failing call's code */
	int line, column;   /* err position of a failure */
	char message[200];
	size_t count;       /* result items */
	int kind;           /* first item's kind */
	long long integer;  /* first item: INTEGER value */
	size_t strlen;      /* first item: STRING length */
	int truth;          /* mn_fp_result_truth */
	/* set by the parent */
	int ran;            /* the child reported */
	int killed;         /* 0, or why the child did not report: */
	double seconds;
} outcome;

enum { KILL_NONE, KILL_TIME, KILL_MEMORY, KILL_CRASH };

typedef struct spec {
	const char *expr;
	long exprlen;           /* -1: NUL-terminated */
	const char *json;       /* NULL: empty context */
	size_t jsonlen;
	const char *s_var;      /* bound as %s when set */
	bool big_var;           /* bind %big = 1 | 2 | ... | 1001 */
	bool compile_only;
	unsigned seconds;       /* time budget; 0: the default */
} spec;

static unsigned budget_seconds(void)
{
	const char *v = getenv("MN_ROBUSTNESS_SECONDS");
	if (v && atoi(v) > 0)
		return (unsigned)atoi(v);
#ifdef MN_ASAN
	return 40;
#else
	return 20;
#endif
}

static long bound_mb(void)
{
	const char *v = getenv("MN_ROBUSTNESS_MB");
	if (v && atol(v) > 0)
		return atol(v);
#ifdef MN_ASAN
	return 3072;
#else
	return 1024;
#endif
}

/* Watchdog state of the child (read by the signal handler). */
static volatile sig_atomic_t wd_ticks, wd_max_ticks;
static long wd_max_pages;

static long rss_pages(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	long pages = 0;
	const char *p = buf;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		pages = pages * 10 + (*p++ - '0');
	return pages;
}

static void watchdog(int sig)
{
	(void)sig;
	if (++wd_ticks > wd_max_ticks)
		_exit(100 + KILL_TIME);
	long pages = rss_pages();
	if (pages > wd_max_pages)
		_exit(100 + KILL_MEMORY);
}

static void fail_with(outcome *o, int stage, const mn_error *err)
{
	o->stage = stage;
	o->st = err->code;
	o->line = err->line;
	o->column = err->column;
	size_t n = strlen(err->message);
	if (n >= sizeof o->message)
		n = sizeof o->message - 1;
	memcpy(o->message, err->message, n);
	o->message[n] = 0;
}

static void run_spec(const spec *sp, outcome *o)
{
	mn_error err;
	mn_fp_expr *e = mn_fp_compile(sp->expr, sp->exprlen, &err);
	if (!e) {
		fail_with(o, 1, &err);
		return;
	}
	if (sp->compile_only) {
		o->stage = 4;
		o->st = MN_OK;
		mn_fp_expr_free(e);
		return;
	}
	mn_fp_env *env = mn_fp_env_new();
	mn_arena *a = mn_arena_new();
	mn_case *c = NULL;
	static const mn_datetime now = {.kind = MN_DT_DATETIME, .precision = MN_DT_SECOND,
	                                .has_tz = true, .year = 2024, .month = 3, .day = 5,
	                                .hour = 10, .minute = 20, .second = 30};
	mn_fp_env_set_now(env, &now);
	if (sp->s_var)
		mn_fp_env_set_string(env, "s", sp->s_var);
	if (sp->big_var) {
		mn_fp_expr *be = mn_fp_compile("1 | (1).repeat(iif($this < 1001, $this + 1, {}))", -1,
		                               &err);
		mn_fp_result *br = NULL;
		if (!be || mn_fp_eval(be, env, NULL, a, &br, &err) != MN_OK ||
		    mn_fp_result_count(br) != 1001 || mn_fp_env_set_result(env, "big", br) != MN_OK) {
			fail_with(o, 0, &err);
			snprintf(o->message, sizeof o->message, "could not bind %%big");
			mn_fp_expr_free(be);
			goto done;
		}
		mn_fp_expr_free(be);
	}
	mn_fp_result *r = NULL;
	mn_status st;
	if (sp->json) {
		st = mn_case_load_ex("robustness.json", sp->json, sp->jsonlen, MN_CASE_ALLOW_UNRESOLVED,
		                     &c, &err);
		if (st != MN_OK) {
			fail_with(o, 2, &err);
			goto done;
		}
		mn_fp_env_set_case(env, c);
		st = mn_fp_eval_case(e, env, c, a, &r, &err);
	} else {
		st = mn_fp_eval(e, env, NULL, a, &r, &err);
	}
	if (st != MN_OK) {
		fail_with(o, 3, &err);
		goto done;
	}
	o->stage = 4;
	o->st = MN_OK;
	o->count = mn_fp_result_count(r);
	o->truth = mn_fp_result_truth(r);
	if (o->count) {
		const mn_fp_item *it = mn_fp_result_item(r, 0);
		o->kind = mn_fp_item_kind(it);
		if (o->kind == MN_FP_INTEGER)
			o->integer = mn_fp_item_integer(it);
		if (o->kind == MN_FP_STRING)
			mn_fp_item_string(it, &o->strlen);
	}
done:
	mn_case_free(c);
	mn_arena_free(a);
	mn_fp_env_free(env);
	mn_fp_expr_free(e);
}

static outcome bounded(const spec *sp)
{
	outcome o;
	memset(&o, 0, sizeof o);
	int fds[2];
	if (pipe(fds) != 0) {
		o.killed = KILL_CRASH;
		return o;
	}
	fflush(NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		long page = sysconf(_SC_PAGESIZE);
		wd_max_pages = bound_mb() * (1024L * 1024L / (page > 0 ? page : 4096));
		wd_max_ticks = (sig_atomic_t)((sp->seconds ? sp->seconds : budget_seconds()) * 50);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = watchdog;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = {{0, 20000}, {0, 20000}};
		setitimer(ITIMER_REAL, &it, NULL);
		outcome co;
		memset(&co, 0, sizeof co);
		run_spec(sp, &co);
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		ssize_t w = write(fds[1], &co, sizeof co);
		_exit(w == (ssize_t)sizeof co ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		o.killed = KILL_CRASH;
		return o;
	}
	size_t got = 0;
	while (got < sizeof o) {
		ssize_t n = read(fds[0], (char *)&o + got, sizeof o - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (got != sizeof o) {
		memset(&o, 0, sizeof o);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 100 + KILL_TIME)
			o.killed = KILL_TIME;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 100 + KILL_MEMORY)
			o.killed = KILL_MEMORY;
		else
			o.killed = KILL_CRASH;
	} else {
		o.ran = 1;
	}
	o.seconds = secs;
	return o;
}

static const char *describe(const outcome *o, char *buf, size_t n)
{
	if (!o->ran) {
		snprintf(buf, n, "%s after %.1f s",
		         o->killed == KILL_TIME     ? "over the time budget"
		         : o->killed == KILL_MEMORY ? "over the memory bound"
		                                    : "crashed (see the sanitizer report above)",
		         o->seconds);
	} else if (o->st != MN_OK) {
		snprintf(buf, n, "%s at stage %d (%d:%d) '%s' in %.1f s", mn_status_name(o->st), o->stage,
		         o->line, o->column, o->message, o->seconds);
	} else {
		snprintf(buf, n, "ok: %zu items, first kind %d integer %lld strlen %zu, %.1f s", o->count,
		         o->kind, o->integer, o->strlen, o->seconds);
	}
	return buf;
}

/* ---- expectations ------------------------------------------------------------ */

static char why[512];

/* Compiling fails with `code`, with a message and a column. */
#define EXPECT_COMPILE_ERROR(name, sp, code) do { \
	outcome o_ = bounded(sp); \
	CHECK_MSG(o_.ran && o_.stage == 1 && o_.st == (code) && o_.message[0] && o_.column > 0, \
	          "%s: want %s at compile, got %s", name, mn_status_name(code), \
	          describe(&o_, why, sizeof why)); \
} while (0)

/* Ends with MN_ELIMIT (at any stage). */
#define EXPECT_LIMIT(name, sp) do { \
	outcome o_ = bounded(sp); \
	CHECK_MSG(o_.ran && o_.st == MN_ELIMIT && o_.message[0], "%s: want limit-exceeded, got %s", \
	          name, describe(&o_, why, sizeof why)); \
} while (0)

/* One integer result equal to want. */
#define EXPECT_INT(name, sp, want) do { \
	outcome o_ = bounded(sp); \
	CHECK_MSG(o_.ran && o_.st == MN_OK && o_.count == 1 && o_.kind == MN_FP_INTEGER && \
	          o_.integer == (long long)(want), "%s: want %lld, got %s", name, \
	          (long long)(want), describe(&o_, why, sizeof why)); \
} while (0)

/* One integer result equal to want, or MN_ELIMIT: both are acceptable. */
#define EXPECT_INT_OR_LIMIT(name, sp, want) do { \
	outcome o_ = bounded(sp); \
	CHECK_MSG(o_.ran && ((o_.st == MN_OK && o_.count == 1 && o_.kind == MN_FP_INTEGER && \
	          o_.integer == (long long)(want)) || o_.st == MN_ELIMIT), \
	          "%s: want %lld or limit-exceeded, got %s", name, (long long)(want), \
	          describe(&o_, why, sizeof why)); \
} while (0)

/* Anything but a crash, a runaway or an undocumented code. */
#define EXPECT_SURVIVES(name, sp) do { \
	outcome o_ = bounded(sp); \
	CHECK_MSG(o_.ran && (o_.st == MN_OK || o_.st == MN_ELIMIT || o_.st == MN_ESYNTAX || \
	          o_.st == MN_ESEMANTIC || o_.st == MN_EEVAL), "%s: got %s", name, \
	          describe(&o_, why, sizeof why)); \
} while (0)

static spec expr_spec(const char *expr)
{
	spec s = {expr, -1, NULL, 0, NULL, false, false, 0};
	return s;
}

/* ---- the compiler ------------------------------------------------------------ */

static void test_compile_limits(void)
{
	spec sp;
	char *s;

	/* 10000 nested parentheses: over MN_FP_MAX_DEPTH (and within the length limit) */
	s = nest("(", 10000, "1", ")");
	sp = expr_spec(s);
	EXPECT_COMPILE_ERROR("10000 parentheses", &sp, MN_ELIMIT);
	free(s);

	/* half the depth limit is fine and evaluates */
	s = nest("(", MN_FP_MAX_DEPTH / 2, "1", ")");
	sp = expr_spec(s);
	EXPECT_INT("depth/2 parentheses", &sp, 1);
	free(s);

	/* just over the depth limit */
	s = nest("(", MN_FP_MAX_DEPTH + 1, "1", ")");
	sp = expr_spec(s);
	EXPECT_COMPILE_ERROR("depth+1 parentheses", &sp, MN_ELIMIT);
	free(s);

	/* 10000 unclosed parentheses */
	s = fill('(', 10000);
	sp = expr_spec(s);
	outcome o = bounded(&sp);
	CHECK_MSG(o.ran && o.stage == 1 && (o.st == MN_ELIMIT || o.st == MN_ESYNTAX),
	          "unclosed parentheses: %s", describe(&o, why, sizeof why));
	free(s);

	/* unary minus, nested calls, nested indexers, mixed nesting */
	s = nest("-", 10000, "1", "");
	sp = expr_spec(s);
	EXPECT_COMPILE_ERROR("10000 unary minus", &sp, MN_ELIMIT);
	free(s);
	s = nest("where(", 5000, "true", ")");
	sp = expr_spec(s);
	EXPECT_COMPILE_ERROR("5000 nested where()", &sp, MN_ELIMIT);
	free(s);
	s = nest("iif(true, ", 2000, "1", ", 2)");
	sp = expr_spec(s);
	EXPECT_COMPILE_ERROR("2000 nested iif()", &sp, MN_ELIMIT);
	free(s);
	s = nest("name[", 5000, "0", "]");
	sp = expr_spec(s);
	EXPECT_COMPILE_ERROR("5000 nested indexers", &sp, MN_ELIMIT);
	free(s);
	s = nest("-(", 5000, "1", ")");
	sp = expr_spec(s);
	EXPECT_COMPILE_ERROR("5000 -( nestings", &sp, MN_ELIMIT);
	free(s);
	s = nest("(1 + ", 5000, "1", ")");
	sp = expr_spec(s);
	EXPECT_COMPILE_ERROR("5000 right-nested sums", &sp, MN_ELIMIT);
	free(s);

	/* 100000-term a or b or ...: over MN_FP_MAX_EXPR_LEN */
	s = repeat_join("a", " or ", 100000);
	sp = expr_spec(s);
	o = bounded(&sp);
	CHECK_MSG(o.ran && o.stage == 1 && o.st == MN_ELIMIT && o.message[0], "100000-term or: %s",
	          describe(&o, why, sizeof why));
	free(s);
	/* as many terms as fit: a correct result or a limit, never a crash */
	s = repeat_join("false", " or ", MN_FP_MAX_EXPR_LEN / 9 - 1);
	sp = expr_spec(s);
	o = bounded(&sp);
	CHECK_MSG(o.ran && ((o.st == MN_OK && o.count == 1 && o.kind == MN_FP_BOOLEAN && o.truth == 0) ||
	                    o.st == MN_ELIMIT),
	          "7000-term or: %s", describe(&o, why, sizeof why));
	free(s);
	/* long left-deep chains: sums and paths */
	s = repeat_join("1", "+", 30000);
	sp = expr_spec(s);
	EXPECT_INT_OR_LIMIT("30000-term sum", &sp, 30000);
	free(s);
	s = repeat_join("1", "|", 20000);
	sp = expr_spec(s);
	EXPECT_SURVIVES("20000-term union", &sp);
	free(s);
	s = repeat_join("name", ".", 10000);
	sp = expr_spec(s);
	EXPECT_SURVIVES("10000-step path", &sp);
	free(s);
	s = repeat_join("first()", ".", 8000);
	sp = expr_spec(s);
	EXPECT_SURVIVES("8000 chained calls", &sp);
	free(s);

	/* the deepest expressions the parser accepts must evaluate without
	 * running out of stack: nested lambdas and nesting around a long chain */
	s = nest("where(", MN_FP_MAX_DEPTH - 8, "true", ")");
	char *w = malloc(strlen(s) + 32);
	sprintf(w, "(1 | 2).%s.count()", s);
	sp = expr_spec(w);
	EXPECT_INT_OR_LIMIT("deepest where()", &sp, 2);
	free(w);
	free(s);
	char *chain = repeat_join("1", "+", MN_FP_MAX_DEPTH * 2);
	s = nest("(", MN_FP_MAX_DEPTH - 8, chain, ")");
	sp = expr_spec(s);
	EXPECT_INT_OR_LIMIT("deep parentheses around a long chain", &sp, MN_FP_MAX_DEPTH * 2);
	free(s);
	s = nest("(1 + ", MN_FP_MAX_DEPTH - 8, chain, ")");
	sp = expr_spec(s);
	EXPECT_INT_OR_LIMIT("deep sums around a long chain", &sp,
	                    MN_FP_MAX_DEPTH * 2 + MN_FP_MAX_DEPTH - 8);
	free(s);
	free(chain);

	/* string literals: exactly at the length limit (fine), over it, 20 MB */
	size_t lit = MN_FP_MAX_EXPR_LEN - 2 - strlen(".length()");
	char *body = fill('x', lit);
	s = malloc(MN_FP_MAX_EXPR_LEN + 16);
	snprintf(s, MN_FP_MAX_EXPR_LEN + 16, "'%s'.length()", body);
	CHECK_INT(strlen(s), MN_FP_MAX_EXPR_LEN);
	sp = expr_spec(s);
	EXPECT_INT("literal at the length limit", &sp, lit);
	snprintf(s, MN_FP_MAX_EXPR_LEN + 16, "'%sx'.length()", body);
	sp = expr_spec(s);
	outcome o2 = bounded(&sp);
	CHECK_MSG(o2.ran && o2.stage == 1 && o2.st == MN_ELIMIT && o2.message[0],
	          "literal over the length limit: %s", describe(&o2, why, sizeof why));
	free(s);
	free(body);
	size_t big = 20u << 20;
	s = malloc(big + 3);
	s[0] = '\'';
	memset(s + 1, 'y', big);
	s[big + 1] = '\'';
	s[big + 2] = 0;
	sp = expr_spec(s);
	o2 = bounded(&sp);
	CHECK_MSG(o2.ran && o2.stage == 1 && o2.st == MN_ELIMIT, "20 MB literal: %s",
	          describe(&o2, why, sizeof why));
	free(s);

	/* junk: a NUL byte inside the given length, an empty expression */
	sp = expr_spec("name\0.given");
	sp.exprlen = 11;
	EXPECT_COMPILE_ERROR("NUL byte", &sp, MN_ESYNTAX);
	sp = expr_spec("");
	EXPECT_COMPILE_ERROR("empty", &sp, MN_ESYNTAX);
	sp = expr_spec("'never closed");
	EXPECT_COMPILE_ERROR("unterminated string", &sp, MN_ESYNTAX);
	sp = expr_spec("1 /* never closed");
	EXPECT_COMPILE_ERROR("unterminated comment", &sp, MN_ESYNTAX);
}

/* ---- collections and strings -------------------------------------------------- */

static void test_collections(void)
{
	spec sp;

	sp = expr_spec("(1|2|3).repeat($this).count()");
	EXPECT_INT("repeat with no new items", &sp, 3);
	sp = expr_spec("(1).repeat(iif($this < 2000, $this + 1, {})).count()");
	EXPECT_INT("repeat 2000 steps", &sp, 1999);

	/* repeat that never stops producing new items: MN_FP_MAX_ITEMS */
	sp = expr_spec("(1).repeat($this + 1).count()");
	EXPECT_LIMIT("repeat without end", &sp);

	/* %big has 1001 items; 1001 * 1001 is over MN_FP_MAX_ITEMS */
	sp = expr_spec("%big.count()");
	sp.big_var = true;
	EXPECT_INT("%big", &sp, 1001);
	sp.expr = "%big.select(%big).count()";
	EXPECT_LIMIT("1001 x 1001 items", &sp);
	sp.expr = "%big.select(%big.take(999)).count()";
	EXPECT_INT("1001 x 999 items", &sp, 1001 * 999);
	sp.expr = "%big.select(%big.take(999)).aggregate($total + 1, 0)";
	EXPECT_INT("aggregate over 999999 items", &sp, 1001 * 999);
	sp.expr = "%big.select(%big.take(500)).combine(%big.select(%big.take(500))).count()";
	EXPECT_LIMIT("combine to 1001000 items", &sp);
	sp.expr = "%big.select(%big.take(999)).where($this > 1000).count()";
	EXPECT_INT("where over 999999 items", &sp, 0);
	/* deduplication of a large collection must not be quadratic */
	sp.expr = "%big.select(%big.take(999)).distinct().count()";
	EXPECT_INT("distinct over 999999 items", &sp, 999);
	sp.expr = "(%big.select(%big.take(999)) | %big).count()";
	EXPECT_INT("union with 999999 items", &sp, 1001);
	sp.expr = "%big.select(%big.take(999)).isDistinct()";
	outcome o = bounded(&sp);
	CHECK_MSG(o.ran && o.st == MN_OK && o.count == 1 && o.truth == 0,
	          "isDistinct over 999999 items: %s", describe(&o, why, sizeof why));
	sp.expr = "(%big.select(%big.take(100)).repeat($this)).count()";
	EXPECT_INT("repeat over 100100 items", &sp, 100);
}

static void test_strings(void)
{
	spec sp;
	size_t n = 10u << 20;  /* 10 MiB: under MN_FP_MAX_STRING, twice is over */
	char *s = fill('a', n);

	/* doubling without end: MN_FP_MAX_STRING, not gigabytes */
	sp = expr_spec("'ab'.repeat($this & $this).count()");
	EXPECT_LIMIT("repeat doubling a string", &sp);
	sp = expr_spec("'ab'.repeat($this + $this).count()");
	EXPECT_LIMIT("repeat doubling a string with +", &sp);

	sp = expr_spec("%s.length()");
	sp.s_var = s;
	EXPECT_INT("10 MB variable", &sp, n);
	sp.expr = "(%s & %s).length()";
	EXPECT_LIMIT("& to 20 MB", &sp);
	sp.expr = "(%s + %s).length()";
	EXPECT_LIMIT("+ to 20 MB", &sp);
	sp.expr = "%s.replace('a', 'aa').length()";
	EXPECT_LIMIT("replace() to 20 MB", &sp);
	sp.expr = "%s.replace('a', %s).length()";
	EXPECT_LIMIT("replace() to 100 TB", &sp);
	sp.expr = "(%s | %s.upper()).join(',').length()";
	EXPECT_LIMIT("join() to 20 MB", &sp);
	sp.expr = "%s.toChars().count()";
	EXPECT_LIMIT("toChars() of 10 MB", &sp);
	sp.expr = "%s.upper().length()";
	EXPECT_INT("upper() of 10 MB", &sp, n);
	sp.expr = "%s.indexOf('b')";
	EXPECT_INT("indexOf() in 10 MB", &sp, -1);
	sp.expr = "%s.matches('^a*$')";
	outcome o = bounded(&sp);
	CHECK_MSG(o.ran && o.st == MN_OK && o.truth == 1, "matches() on 10 MB: %s",
	          describe(&o, why, sizeof why));
	sp.expr = "%s.substring(5).length()";
	EXPECT_INT("substring() of 10 MB", &sp, n - 5);
	sp.expr = "%s.encode('base64').length()";
	EXPECT_INT_OR_LIMIT("encode() of 10 MB", &sp, (n + 2) / 3 * 4);
	sp.expr = "%s.split('').count()";
	EXPECT_SURVIVES("split('') of 10 MB", &sp);
	free(s);

	/* Sparse matches (a 'b' every `gap` bytes): each regexec must not rescan
	 * the rest of the string, and 8192 x 2 KiB replacements pass
	 * MN_FP_MAX_STRING. 10 MB, 1 MB under AddressSanitizer: its regexec
	 * interceptor takes strlen of the subject on every call, which makes
	 * many matches over megabytes quadratic in sanitizer builds whatever
	 * the engine does. */
#ifdef MN_ASAN
	size_t sn = 1u << 20, gap = 128;
#else
	size_t sn = 10u << 20, gap = 1024;
#endif
	s = fill('a', sn);
	for (size_t i = gap - 1; i < sn; i += gap)
		s[i] = 'b';
	char *rep = fill('r', 2048);
	char *expr = malloc(4096);
	snprintf(expr, 4096, "%%s.replaceMatches('b', '%s').length()", rep);
	sp = expr_spec(expr);
	sp.s_var = s;
	EXPECT_LIMIT("replaceMatches() of sparse matches past 16 MB", &sp);
	snprintf(expr, 4096, "%%s.replaceMatches('b', 'c').length()");
	EXPECT_INT("replaceMatches() of sparse matches", &sp, sn);
	sp.expr = "%s.replace('b', 'cc').length()";
	EXPECT_INT("replace() of sparse matches", &sp, sn + sn / gap);
	free(expr);
	free(rep);
	free(s);

	/* patterns whose compiled form explodes (glibc regcomp copies the tree
	 * for each stacked or counted repetition, and closes over empty matches
	 * in time that grows faster than the square of the copies: '(a*)*{1500}'
	 * takes about 15 s): an error or a result within 5 seconds and the
	 * memory bound, whether the pattern is a literal (compiled with the
	 * expression) or computed */
	static const char *const patterns[] = {
		"'x'.matches('a++++++++++++++++++++++++++++++')",
		"'x'.matches('a' & '++++++++++++++++++++++++++++++')",
		"'x'.matches('((a{1000}){1000}){1000}')",
		"'x'.matches('(a*)*{1500}')",
		"'x'.replaceMatches('(a*)*{1500}', 'y')",
		"'x'.matches('(a|' & '(a*)*{1500})')",
		"'x'.matches('(a?){1999}')",
	};
	for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		sp = expr_spec(patterns[i]);
#ifdef MN_ASAN
		sp.seconds = 10;  /* sanitizer builds run the regex engine 2-3x slower; the blow-up takes far longer */
#else
		sp.seconds = 5;
#endif
		EXPECT_SURVIVES(patterns[i], &sp);
	}

	/* a regular expression with backreferences over a long input */
	sp = expr_spec("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.matches('^(a*)*(b|\\\\1\\\\1)$')");
	EXPECT_SURVIVES("backreference regex", &sp);
}

/* ---- FHIR documents ------------------------------------------------------------- */

/* A Questionnaire with `groups` groups of `items` items. */
static char *wide_questionnaire(int groups, int items)
{
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"resourceType\":\"Questionnaire\",\"status\":\"active\",\"item\":[");
	for (int g = 0; g < groups; g++) {
		mn_buf_printf(&b, "%s{\"linkId\":\"g%d\",\"type\":\"group\",\"item\":[", g ? "," : "", g);
		for (int i = 0; i < items; i++)
			mn_buf_printf(&b, "%s{\"linkId\":\"g%d.%d\",\"type\":\"string\"}", i ? "," : "", g, i);
		mn_buf_puts(&b, "]}");
	}
	mn_buf_puts(&b, "]}");
	return mn_buf_detach(&b, NULL);
}

/* A Questionnaire whose items nest `depth` deep. */
static char *deep_questionnaire(int depth)
{
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"resourceType\":\"Questionnaire\",\"status\":\"active\"");
	for (int i = 0; i < depth; i++)
		mn_buf_printf(&b, ",\"item\":[{\"linkId\":\"%d\",\"type\":\"group\"", i);
	for (int i = 0; i < depth; i++)
		mn_buf_puts(&b, "}]");
	mn_buf_puts(&b, "}");
	return mn_buf_detach(&b, NULL);
}

/* A Patient with extensions nested `depth` deep. */
static char *deep_extensions(int depth)
{
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"resourceType\":\"Patient\"");
	for (int i = 0; i < depth; i++)
		mn_buf_puts(&b, ",\"extension\":[{\"url\":\"http://example.org/x\"");
	mn_buf_puts(&b, ",\"valueString\":\"bottom\"");
	for (int i = 0; i < depth; i++)
		mn_buf_puts(&b, "}]");
	mn_buf_puts(&b, "}");
	return mn_buf_detach(&b, NULL);
}

/* A Patient with one name of `n` given names. */
static char *many_given(size_t n)
{
	mn_buf b = MN_BUF_INIT;
	mn_buf_puts(&b, "{\"resourceType\":\"Patient\",\"name\":[{\"given\":[");
	for (size_t i = 0; i < n; i++)
		mn_buf_puts(&b, i ? ",\"a\"" : "\"a\"");
	mn_buf_puts(&b, "]}]}");
	return mn_buf_detach(&b, NULL);
}

static spec doc_spec(const char *expr, const char *json)
{
	spec s = {expr, -1, json, strlen(json), NULL, false, false, 0};
	return s;
}

static void test_documents(void)
{
	spec sp;
	char *doc;

	/* repeat() over a large tree without cycles */
	doc = wide_questionnaire(40, 50);
	sp = doc_spec("Questionnaire.repeat(item).count()", doc);
	EXPECT_INT("repeat over 2040 items", &sp, 40 + 40 * 50);
	sp.expr = "Questionnaire.repeat(item).linkId.distinct().count()";
	EXPECT_INT("distinct linkIds", &sp, 40 + 40 * 50);
	sp.expr = "Questionnaire.descendants().where($this is Questionnaire.item).count()";
	EXPECT_SURVIVES("descendants of 2040 items", &sp);
	sp.expr = "Questionnaire.item.select(item.select(%resource.item.count())).sum()";
	EXPECT_SURVIVES("nested select over the tree", &sp);
	free(doc);

	doc = deep_questionnaire(200);
	sp = doc_spec("Questionnaire.repeat(item).count()", doc);
	EXPECT_INT("repeat down 200 levels", &sp, 200);
	sp.expr = "Questionnaire.descendants().ofType(Questionnaire.item).count()";
	EXPECT_SURVIVES("descendants down 200 levels", &sp);
	free(doc);

	doc = deep_extensions(240);
	sp = doc_spec("Patient.repeat(extension).count()", doc);
	EXPECT_INT("extensions 240 deep", &sp, 240);
	sp.expr = "Patient.descendants().count()";
	EXPECT_SURVIVES("descendants 240 deep", &sp);
	free(doc);

	/* extensions nested past MN_JSON_MAX_DEPTH: a located MN_ELIMIT at load */
	doc = deep_extensions(300);
	sp = doc_spec("Patient.count()", doc);
	outcome o = bounded(&sp);
	CHECK_MSG(o.ran && o.stage == 2 && o.st == MN_ELIMIT && o.line == 1 && o.column > 0,
	          "extensions 300 deep: %s", describe(&o, why, sizeof why));
	free(doc);

	/* huge arrays: under and over MN_FP_MAX_ITEMS */
	doc = many_given(500000);
	sp = doc_spec("Patient.name.given.count()", doc);
	EXPECT_INT("500000 given names", &sp, 500000);
	sp.expr = "Patient.name.given.distinct().count()";
	EXPECT_INT("distinct of 500000 equal names", &sp, 1);
	sp.expr = "Patient.name.given.last().length()";
	EXPECT_INT("last of 500000", &sp, 1);
	free(doc);
	doc = many_given(MN_FP_MAX_ITEMS + 10);
	sp = doc_spec("Patient.name.given.count()", doc);
	EXPECT_LIMIT("MN_FP_MAX_ITEMS + 10 given names", &sp);
	free(doc);

	/* a 20 MB string in the record: read fine, computing from it is bounded */
	size_t n = 20u << 20;
	char *big = fill('z', n);
	mn_buf b = MN_BUF_INIT;
	mn_buf_printf(&b, "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"%s\"}]}", big);
	free(big);
	doc = mn_buf_detach(&b, NULL);
	sp = doc_spec("Patient.name.family.length()", doc);
	EXPECT_INT_OR_LIMIT("20 MB family name", &sp, n);
	sp.expr = "(Patient.name.family & 'x').length()";
	EXPECT_LIMIT("20 MB family name & 'x'", &sp);
	sp.expr = "Patient.name.family.upper().length()";
	EXPECT_LIMIT("upper() of 20 MB", &sp);
	sp.expr = "Patient.name.family.startsWith('zzz')";
	o = bounded(&sp);
	CHECK_MSG(o.ran && ((o.st == MN_OK && o.truth == 1) || o.st == MN_ELIMIT),
	          "startsWith() on 20 MB: %s", describe(&o, why, sizeof why));
	free(doc);
}

/* ---- JSON ------------------------------------------------------------------------ */

static char *nested_json(const char *open, size_t depth, const char *middle, const char *close,
                         const char *sep)
{
	size_t lo = strlen(open), lc = strlen(close), ls = strlen(sep), lm = strlen(middle);
	char *s = malloc(depth * (lo + lc + 2 * ls) + lm + 1), *p = s;
	for (size_t i = 0; i < depth; i++) {
		memcpy(p, open, lo);
		p += lo;
		memcpy(p, sep, ls);
		p += ls;
	}
	memcpy(p, middle, lm);
	p += lm;
	for (size_t i = 0; i < depth; i++) {
		memcpy(p, sep, ls);
		p += ls;
		memcpy(p, close, lc);
		p += lc;
	}
	*p = 0;
	return s;
}

/* Parse text; on success *out (when asked) is the root and *arena holds it. */
static mn_status parse_json(const char *text, mn_error *err, const mn_json **out, mn_arena **arena)
{
	mn_arena *a = mn_arena_new();
	mn_json *v = NULL;
	mn_status st = mn_json_parse(a, "deep.json", text, strlen(text), &v, err);
	if (out)
		*out = st == MN_OK ? v : NULL;
	if (arena && st == MN_OK)
		*arena = a;
	else
		mn_arena_free(a);
	return st;
}

static void test_json(void)
{
	mn_error err;
	char *s;
	const mn_json *v;

	/* exactly the limit parses; one more is MN_ELIMIT at the offending bracket */
	s = nested_json("[", MN_JSON_MAX_DEPTH, "1", "]", "");
	CHECK_INT(parse_json(s, &err, NULL, NULL), MN_OK);
	free(s);
	s = nested_json("[", MN_JSON_MAX_DEPTH + 1, "1", "]", "");
	CHECK_INT(parse_json(s, &err, NULL, NULL), MN_ELIMIT);
	CHECK_INT(err.line, 1);
	CHECK_INT(err.column, MN_JSON_MAX_DEPTH + 1);
	CHECK(err.message[0] != 0);
	CHECK_STR(err.source, "deep.json");
	free(s);

	/* 600 levels, one per line: the line of the 513th level */
	s = nested_json("[", 600, "1", "]", "\n");
	CHECK_INT(parse_json(s, &err, NULL, NULL), MN_ELIMIT);
	CHECK_INT(err.line, MN_JSON_MAX_DEPTH + 1);
	CHECK_INT(err.column, 1);
	free(s);
	s = nested_json("{\"a\":", 600, "1", "}", "");
	CHECK_INT(parse_json(s, &err, NULL, NULL), MN_ELIMIT);
	CHECK_INT(err.line, 1);
	CHECK(err.column > 0);
	free(s);

	/* 100000 levels: MN_ELIMIT, no stack overflow */
	s = nested_json("[", 100000, "1", "]", "");
	CHECK_INT(parse_json(s, &err, NULL, NULL), MN_ELIMIT);
	free(s);
	s = nested_json("{\"a\":", 100000, "1", "}", "");
	CHECK_INT(parse_json(s, &err, NULL, NULL), MN_ELIMIT);
	free(s);
	s = fill('[', 100000);  /* never closed */
	CHECK_INT(parse_json(s, &err, NULL, NULL), MN_ELIMIT);
	free(s);

	/* the same through the case loader, with line and column */
	s = nested_json("[", 600, "1", "]", "");
	mn_case *c = NULL;
	CHECK_INT(mn_case_load("deep.json", s, strlen(s), &c, &err), MN_ELIMIT);
	CHECK(c == NULL);
	CHECK_INT(err.line, 1);
	CHECK_INT(err.column, MN_JSON_MAX_DEPTH + 1);
	free(s);
	s = nested_json("[", 100000, "1", "]", "");
	CHECK_INT(mn_case_load("deep.json", s, strlen(s), &c, &err), MN_ELIMIT);
	free(s);

	/* a huge array and a 20 MB string parse */
	size_t n = 2000000;
	char *arr = malloc(2 * n + 2), *p = arr;
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		*p++ = '0';
		*p++ = i + 1 < n ? ',' : ']';
	}
	*p = 0;
	mn_arena *a = NULL;
	CHECK_INT(parse_json(arr, &err, &v, &a), MN_OK);
	CHECK(v && v->type == MN_JSON_ARRAY && v->n == n);
	mn_arena_free(a);
	free(arr);
	size_t big = 20u << 20;
	s = malloc(big + 3);
	s[0] = '"';
	memset(s + 1, 'q', big);
	s[big + 1] = '"';
	s[big + 2] = 0;
	a = NULL;
	CHECK_INT(parse_json(s, &err, &v, &a), MN_OK);
	CHECK(v && v->type == MN_JSON_STRING && v->n == big);
	mn_arena_free(a);
	free(s);
}

int main(void)
{
	test_json();
	test_compile_limits();
	test_collections();
	test_strings();
	test_documents();
	TEST_END();
}
