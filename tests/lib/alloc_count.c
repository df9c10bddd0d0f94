// SPDX-License-Identifier: MIT
/* The allocation counter of alloc_count.h: malloc's family wrapping glibc's. */
#include <stdatomic.h>
#include <stddef.h>

#include "alloc_count.h"

static atomic_long allocs;

long tu_allocs(void)
{
	return atomic_load(&allocs);
}

#if defined(__SANITIZE_ADDRESS__) || defined(TU_ALLOC_COUNT_OFF)
bool tu_allocs_counted(void)
{
	return false;
}
#else
bool tu_allocs_counted(void)
{
	return true;
}

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
void *malloc(size_t n);
void *calloc(size_t a, size_t b);
void *realloc(void *p, size_t n);

void *malloc(size_t n)
{
	atomic_fetch_add(&allocs, 1);
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	atomic_fetch_add(&allocs, 1);
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	atomic_fetch_add(&allocs, 1);
	return __libc_realloc(p, n);
}
#endif
