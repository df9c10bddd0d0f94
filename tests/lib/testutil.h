/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests: vectors, canaries. */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define TU_CANARY_LEN 32
#define TU_CANARY_BYTE 0xa5

/*
 * The RFC 9605 vectors, from $SFRAME_VECTORS or else
 * ../shared/vectors/sframe/rfc9605.json relative to the source tree. NULL
 * (and a message) when missing: the caller fails.
 */
struct json *tu_load_vectors(void);

/* n bytes followed by TU_CANARY_LEN canary bytes. */
uint8_t *tu_canary_alloc(size_t n);
/* Fails the running test when a canary byte after p[n] changed. */
void tu_canary_check(const uint8_t *p, size_t n);
void tu_canary_free(uint8_t *p, size_t n);

bool tu_is_zero(const void *p, size_t n);
/* Every byte is either the fill byte (never written) or zero (wiped). */
bool tu_untouched_or_wiped(const uint8_t *p, size_t n, uint8_t fill);

#endif
