/*
 * arena.c: a bump allocator freed in one call.
 *
 * Memory comes in blocks that double in size up to 4 MiB; an allocation
 * larger than a quarter block gets a block of its own. A block of 2 MiB or
 * more is 2 MiB-aligned, a whole number of 2 MiB, and advised for
 * transparent huge pages (hugepage.c). With MN_ARENA_DEBUG
 * every allocation is its own malloc, chained for mn_arena_free, so that
 * AddressSanitizer and valgrind see each object's bounds.
 *
 * A refused allocation sets the arena's sticky `failed` flag, so a builder
 * that allocates in many places can check once at the end. For tests,
 * mn_alloc_fail_at(n) makes the n-th allocation request from now fail once
 * (arena requests, arena creation and mn_buf growth count; off by default);
 * a program's first request reads MN_TEST_FAIL_ALLOCATION=n from the
 * environment the same way, so the CLI tests can fail its n-th allocation.
 *
 * A short evaluation makes and frees an arena each time: each thread keeps
 * the last arena it freed (its blocks but the inline one released) for its
 * next mn_arena_new, which then costs no malloc, and one freed block of the
 * first size (FIRST_BLOCK) for the next arena that outgrows its inline block;
 * a pthread key's destructor frees both when the thread exits.
 * MN_ARENA_DEBUG builds keep none, so every allocation is its own malloc
 * there too.
 *
 * mn_arena_alloc's common case (room in the current block, no failure to
 * inject) is a short function; the rest is alloc_slow.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mednec/util.h"
#include "hugepage.h"

#define ALIGN 16u
#define FIRST_BLOCK 4096u
#define MAX_BLOCK (4u << 20)

typedef struct block {
	struct block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
} block;

struct mn_arena {
	block *head;
	block *first;   /* allocated with the arena itself; never freed alone */
	size_t next_size;
	size_t used;
	bool failed;    /* sticky: an allocation was refused */
};

/* The arena and a small first block come from one malloc small enough for
 * the allocator's fast per-thread cache: a short evaluation costs one malloc
 * and one free. */
#define INLINE_BLOCK 768u

/* ---- allocation failure injection (tests) ---- */

static _Thread_local long fail_countdown;
static _Thread_local bool fail_configured;
/* Whether any thread may have a failure to inject: 0 not known yet (the
 * environment not read), 1 none, 2 maybe (MN_TEST_FAIL_ALLOCATION set, or a
 * thread called mn_alloc_fail_at(n >= 1)). mn_arena_alloc's common case
 * reads only this, no thread-local. */
static atomic_int fail_state;

void mn_alloc_fail_at(long n)
{
	fail_configured = true;
	fail_countdown = n > 0 ? n : 0;
	if (n > 0)
		atomic_store_explicit(&fail_state, 2, memory_order_relaxed);
}

bool mn_alloc_fail_pending(void)
{
	return fail_countdown > 0;
}

bool mn_alloc_inject_failure(void)
{
	if (!fail_configured) {
		/* the CLI tests set it from outside: MN_TEST_FAIL_ALLOCATION=n */
		const char *e = getenv("MN_TEST_FAIL_ALLOCATION");
		long n = e && *e ? strtol(e, NULL, 10) : 0;
		mn_alloc_fail_at(n);
		int unknown = 0;
		atomic_compare_exchange_strong_explicit(&fail_state, &unknown, 1, memory_order_relaxed,
		                                        memory_order_relaxed);
	}
	return fail_countdown > 0 && --fail_countdown == 0;
}

/* ---- the thread's spare arena ---- */

#if !MN_ARENA_DEBUG
static _Thread_local mn_arena *spare;       /* freed, kept for the next mn_arena_new */
static _Thread_local struct block *spare_block;  /* a free block of the first size, or NULL */
static _Thread_local bool spare_registered; /* this thread set spare_key (or cannot) */
static _Thread_local bool spare_ok;         /* ... and may keep a spare */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static bool spare_key_made;

/* At a thread's exit (the key's value is only a marker: spare may change
 * without a pthread_setspecific). */
static void spare_drop(void *marker)
{
	(void)marker;
	free(spare);
	spare = NULL;
	free(spare_block);
	spare_block = NULL;
	spare_ok = false;  /* an arena freed by a later destructor is freed at once */
}

static void spare_make_key(void)
{
	spare_key_made = pthread_key_create(&spare_key, spare_drop) == 0;
}

/* Whether this thread may keep a spare: its first call registers it. */
static bool spare_allowed(void)
{
	if (!spare_registered) {
		spare_registered = true;
		pthread_once(&spare_once, spare_make_key);
		spare_ok = spare_key_made && pthread_setspecific(spare_key, &spare_registered) == 0;
	}
	return spare_ok;
}

static mn_arena *take_spare(void)
{
	mn_arena *a = spare;
	spare = NULL;
	return a;
}
#else
static mn_arena *take_spare(void)
{
	return NULL;
}
#endif

mn_arena *mn_arena_new(void)
{
	if (atomic_load_explicit(&fail_state, memory_order_relaxed) != 1 && mn_alloc_inject_failure())
		return NULL;
	size_t head = (sizeof(mn_arena) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	mn_arena *a = take_spare();
	if (!a && !(a = malloc(head + sizeof(block) + INLINE_BLOCK)))
		return NULL;
	a->next_size = FIRST_BLOCK;
	a->used = 0;
	a->failed = false;
#if MN_ARENA_DEBUG
	a->first = NULL;
	a->head = NULL;
#else
	a->first = (block *)((unsigned char *)a + head);
	a->first->next = NULL;
	a->first->size = INLINE_BLOCK;
	a->first->used = 0;
	a->head = a->first;
#endif
	return a;
}

/* The size of the first block an arena adds to its inline one. */
#define FIRST_BLOCK_DATA (FIRST_BLOCK - sizeof(block))

static void free_blocks(mn_arena *a)
{
	for (block *b = a->head, *next; b; b = next) {
		next = b->next;
		if (b == a->first)
			continue;
#if !MN_ARENA_DEBUG
		if (!spare_block && b->size == FIRST_BLOCK_DATA && spare_allowed()) {
			spare_block = b;  /* for the next arena's first block (new_block) */
			continue;
		}
#endif
		free(b);
	}
}

void mn_arena_free(mn_arena *a)
{
	if (!a)
		return;
	free_blocks(a);
#if !MN_ARENA_DEBUG
	if (!spare && spare_allowed()) {
		spare = a;  /* mn_arena_new sets every field again */
		return;
	}
#endif
	free(a);
}

void mn_arena_reset(mn_arena *a)
{
	if (!a)
		return;
	free_blocks(a);
	a->head = a->first;
	if (a->first) {
		a->first->next = NULL;
		a->first->used = 0;
	}
	a->next_size = FIRST_BLOCK;
	a->used = 0;
	a->failed = false;
}

size_t mn_arena_used(const mn_arena *a)
{
	return a ? a->used : 0;
}

bool mn_arena_failed(const mn_arena *a)
{
	return a && a->failed;
}

static block *new_block(size_t size)
{
#if !MN_ARENA_DEBUG
	if (size == FIRST_BLOCK_DATA && spare_block) {
		block *b = spare_block;
		spare_block = NULL;
		b->used = 0;
		return b;
	}
#endif
	if (size > SIZE_MAX - sizeof(block))
		return NULL;
	size_t got;
	block *b = mn_big_alloc(sizeof(block) + size, &got);
	mn_heap_follow();
	if (b) {
		b->size = got - sizeof(block);  /* a huge block's rounding is used too */
		b->used = 0;
	}
	return b;
}

static void *alloc_inner(mn_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN)
		return NULL;
#if MN_ARENA_DEBUG
	block *b = new_block(n);
	if (!b)
		return NULL;
	b->used = n;
	b->next = a->head;
	a->head = b;
	a->used += n;
	return b->data;
#else
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	block *b = a->head;
	if (!b || b->size - b->used < need) {
		if (need > a->next_size / 4) {
			/* A big object gets its own block behind the current one so
			 * the current block's free space is not wasted. */
			block *big = new_block(need);
			if (!big)
				return NULL;
			big->used = need;
			if (b) {
				big->next = b->next;
				b->next = big;
			} else {
				big->next = NULL;
				a->head = big;
			}
			a->used += n;
			return big->data;
		}
		b = new_block(a->next_size - sizeof(block));  /* the header counted: 4 KiB, ..., 2 MiB, 4 MiB */
		if (!b)
			return NULL;
		if (a->next_size < MAX_BLOCK)
			a->next_size *= 2;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->used += n;
	return p;
#endif
}

static void *alloc_slow(mn_arena *a, size_t n) __attribute__((noinline));
static void *alloc_slow(mn_arena *a, size_t n)
{
	if (!a)
		return NULL;
	/* the test hook costs two thread-local reads once configured and off */
	void *p = (!fail_configured || fail_countdown > 0) && mn_alloc_inject_failure() ? NULL : alloc_inner(a, n);
	if (!p)
		a->failed = true;
	return p;
}

void *mn_arena_alloc(mn_arena *a, size_t n)
{
#if !MN_ARENA_DEBUG
	/* no failure to inject and room in the current block; need is 0 when n
	 * is 0 or too large to round up (alloc_slow's cases) */
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	block *b;
	if (atomic_load_explicit(&fail_state, memory_order_relaxed) == 1 && a && (b = a->head) && need - 1 < b->size - b->used) {
		void *p = b->data + b->used;
		b->used += need;
		a->used += n;
		return p;
	}
#endif
	return alloc_slow(a, n);
}

void *mn_arena_calloc(mn_arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size) {
		if (a)
			a->failed = true;
		return NULL;
	}
	void *p = mn_arena_alloc(a, count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

char *mn_arena_strndup(mn_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX) {
		if (a)
			a->failed = true;
		return NULL;
	}
	char *p = mn_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *mn_arena_join(mn_arena *a, const char *x, char sep, const char *y)
{
	size_t xl = strlen(x), yl = strlen(y);
	char *p = mn_arena_alloc(a, xl + yl + 2);
	if (!p)
		return NULL;
	memcpy(p, x, xl);
	p[xl] = sep;
	memcpy(p + xl + 1, y, yl + 1);
	return p;
}

char *mn_arena_strdup(mn_arena *a, const char *s)
{
	return mn_arena_strndup(a, s, strlen(s));
}

char *mn_arena_printf(mn_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = mn_vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = NULL;
	if (n >= 0 && (p = mn_arena_alloc(a, (size_t)n + 1)) != NULL && mn_vsnprintf(p, (size_t)n + 1, fmt, ap2) != n)
		p = NULL;
	if (!p && a)
		a->failed = true;
	va_end(ap2);
	return p;
}
