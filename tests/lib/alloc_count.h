/* SPDX-License-Identifier: MIT */
/*
 * Counts the heap allocations of the whole process: linking alloc_count.o
 * wraps malloc, calloc and realloc around glibc's own. For tests and
 * benchmarks that check "no allocation per frame"; not under
 * AddressSanitizer, which owns malloc, nor in a static program (built with
 * TU_ALLOC_COUNT_OFF): tu_allocs() then stays 0 and tu_allocs_counted() is
 * false.
 */
#ifndef TESTS_ALLOC_COUNT_H
#define TESTS_ALLOC_COUNT_H

#include <stdbool.h>

/* Allocations so far, by every thread. */
long tu_allocs(void);

/* False when the wrappers are compiled out (sanitizers). */
bool tu_allocs_counted(void);

#endif
