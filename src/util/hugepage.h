/*
 * hugepage.h: big memory in transparent huge pages (hugepage.c), for the
 * arena's blocks (arena.c) and whole-file reads (buf.c).
 */
#ifndef MN_HUGEPAGE_H
#define MN_HUGEPAGE_H

#include <stddef.h>

/* 2 MiB: the transparent huge page of x86-64 (and of arm64 with 4 KiB pages). */
#define MN_BIG_ALLOC_MIN ((size_t)2 << 20)

/* malloc(n); from MN_BIG_ALLOC_MIN up, rounded up to a multiple of it, aligned to it and advised for huge
 * pages. *got (when not NULL): the usable size, n or more. Freed with free(); NULL when out of memory. */
void *mn_big_alloc(size_t n, size_t *got);

/* After a malloc: when mn_heap_huge_pages is on and the heap grew since the last call, advise what it grew by. */
void mn_heap_follow(void);

#endif
