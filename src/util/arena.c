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
 */
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

void mn_alloc_fail_at(long n)
{
	fail_configured = true;
	fail_countdown = n > 0 ? n : 0;
}

bool mn_alloc_fail_pending(void)
{
	return fail_countdown > 0;
}

bool mn_alloc_inject_failure(void)
{
	if (!fail_configured) {
		/* the CLI tests set it from outside: MN_TEST_FAIL_ALLOCATION=n */
		fail_configured = true;
		const char *e = getenv("MN_TEST_FAIL_ALLOCATION");
		long n = e && *e ? strtol(e, NULL, 10) : 0;
		fail_countdown = n > 0 ? n : 0;
	}
	return fail_countdown > 0 && --fail_countdown == 0;
}

mn_arena *mn_arena_new(void)
{
	if (mn_alloc_inject_failure())
		return NULL;
	size_t head = (sizeof(mn_arena) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	mn_arena *a = malloc(head + sizeof(block) + INLINE_BLOCK);
	if (!a)
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

static void free_blocks(mn_arena *a)
{
	for (block *b = a->head, *next; b; b = next) {
		next = b->next;
		if (b != a->first)
			free(b);
	}
}

void mn_arena_free(mn_arena *a)
{
	if (!a)
		return;
	free_blocks(a);
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

void *mn_arena_alloc(mn_arena *a, size_t n)
{
	if (!a)
		return NULL;
	/* the test hook costs two thread-local reads once configured and off */
	void *p = (!fail_configured || fail_countdown > 0) && mn_alloc_inject_failure() ? NULL : alloc_inner(a, n);
	if (!p)
		a->failed = true;
	return p;
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
