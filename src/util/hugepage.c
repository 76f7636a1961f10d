/*
 * hugepage.c: big memory in transparent huge pages.
 *
 * A fresh 4 KiB page costs a page fault: 12-25 us on the virtual machines
 * this runs on, where a short process that reads megabytes of records spent
 * most of its time there (docs/PERFORMANCE.md). A transparent huge page
 * costs one fault per 2 MiB. Where the kernel's THP mode is "madvise"
 * (Debian's default) only memory advised with madvise(MADV_HUGEPAGE) gets
 * them. Two ways in:
 *
 * - mn_big_alloc: a block of 2 MiB or more (an arena block, a whole file)
 *   comes 2 MiB-aligned from aligned_alloc and is advised. free() releases
 *   it and the allocator keeps it for reuse like any other memory.
 * - mn_heap_huge_pages (programs only: it sets the allocator's top pad): the
 *   heap grows in steps of many MiB and each step is advised before it is
 *   used, what GLIBC_TUNABLES=glibc.malloc.hugetlb=1 does, without the
 *   environment variable, so that records smaller than 2 MiB, packed side by
 *   side in the heap, get huge pages too.
 *
 * The advice is only advice: where THP is off, or madvise fails (a kernel
 * without THP, valgrind, another allocator), the memory is ordinary memory
 * and nothing else changes.
 */
#define _DEFAULT_SOURCE 1  /* MADV_HUGEPAGE, sbrk */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "mednec/util.h"
#include "hugepage.h"

#define PAGE ((uintptr_t)4096)

static void advise(uintptr_t from, uintptr_t to)
{
#ifdef MADV_HUGEPAGE
	from = (from + PAGE - 1) & ~(PAGE - 1);
	if (to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
	(void)from;
	(void)to;
#endif
}

void *mn_big_alloc(size_t n, size_t *got)
{
	if (n < MN_BIG_ALLOC_MIN) {
		if (got)
			*got = n;
		return malloc(n);
	}
	if (n > SIZE_MAX - MN_BIG_ALLOC_MIN)
		return NULL;
	size_t total = (n + MN_BIG_ALLOC_MIN - 1) & ~(MN_BIG_ALLOC_MIN - 1);
	void *p = aligned_alloc(MN_BIG_ALLOC_MIN, total);
	if (!p)
		return NULL;
	advise((uintptr_t)p, (uintptr_t)p + total);
	if (got)
		*got = total;
	return p;
}

/* The end of the heap advised so far; 0: mn_heap_huge_pages is off. */
static _Atomic uintptr_t S_heap_advised;

void mn_heap_follow(void)
{
	uintptr_t end = atomic_load_explicit(&S_heap_advised, memory_order_relaxed);
	if (!end)
		return;
	/* sbrk(0) is glibc's cached program break, no system call */
	uintptr_t cur = (uintptr_t)sbrk(0);
	if (cur > end && cur != UINTPTR_MAX &&
	    atomic_compare_exchange_strong_explicit(&S_heap_advised, &end, cur, memory_order_relaxed,
	                                            memory_order_relaxed))
		advise(end, cur);
}

#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
/* The 2 MiB range that holds the old end of the heap is half below it, not advised, and stays in small pages
 * (a huge page must lie inside one advised mapping): whatever the allocator puts there next costs a fault per
 * 4 KiB, 0 to 512 faults depending on where the kernel placed the heap. Hold that gap instead, from the heap's
 * free top (top, the address the step's first allocation got) up to the first 2 MiB boundary of the step:
 * one allocation, never freed and never touched (no memory, only address space), so that what comes next
 * starts on a huge page. glibc's chunks on 64-bit: a 16-byte header before the address, a request of n bytes
 * takes (n + 8) rounded up to 16; the next chunk's address is then top + that. When the allocator answers from
 * elsewhere (a free chunk that fits), nothing is held. */
static void *S_heap_gap;

static void hold_gap(uintptr_t top, uintptr_t before)
{
	uintptr_t huge = (before + MN_BIG_ALLOC_MIN - 1) & ~(uintptr_t)(MN_BIG_ALLOC_MIN - 1);
	if (huge <= top + 64 || huge - top > 2 * MN_BIG_ALLOC_MIN || (huge - top) % 16 != 0)
		return;
	void *q = malloc(huge - top - 8);
	if ((uintptr_t)q != top)
		free(q);
	else
		S_heap_gap = q;
}
#endif

bool mn_heap_huge_pages(size_t step)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
	if (step < MN_BIG_ALLOC_MIN || step > ((size_t)1 << 30) || atomic_load(&S_heap_advised))
		return false;
	uintptr_t before = (uintptr_t)sbrk(0);
	if (before == UINTPTR_MAX || !mallopt(M_TOP_PAD, 0))
		return false;
	/* The first step now, advised before anything is written in it. The allocator writes one header when it
	 * grows the heap: the new top's, at the end of the request; a request of the whole step puts it in the
	 * step's last 2 MiB, which is not a whole huge page yet anyway. (Later steps are advised by
	 * mn_heap_follow right after the allocation that grew the heap, whose header has then been written: one
	 * 2 MiB range a step stays in small pages.) Freed at once, the step is the heap's free top; the program
	 * keeps it when its trim threshold is above the step (mednec: 256 MiB). */
	void *volatile p = malloc(step - MN_BIG_ALLOC_MIN);
	uintptr_t after = (uintptr_t)sbrk(0);
	bool grown = p && after != UINTPTR_MAX && after > before;
	if (grown)
		advise(before, after);
	free(p);
	if (grown)
		hold_gap((uintptr_t)p, before);
	mallopt(M_TOP_PAD, (int)step);
	atomic_store(&S_heap_advised, after != UINTPTR_MAX && after > before ? after : before);
	return true;
#else
	(void)step;
	return false;
#endif
}
