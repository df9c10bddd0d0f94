// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

struct json *tu_load_vectors(void)
{
	const char *path = getenv("SFRAME_VECTORS");
	struct json *j;

	if (!path || !*path)
		path = "../shared/vectors/sframe/rfc9605.json";
	j = json_load(path);
	if (!j)
		fprintf(stderr, "cannot read RFC 9605 vectors at %s (set SFRAME_VECTORS)\n", path);
	return j;
}

uint8_t *tu_canary_alloc(size_t n)
{
	uint8_t *p = malloc(n + TU_CANARY_LEN);

	assert_non_null(p);
	memset(p, 0, n);
	memset(p + n, TU_CANARY_BYTE, TU_CANARY_LEN);
	return p;
}

void tu_canary_check(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < TU_CANARY_LEN; i++)
		assert_int_equal(p[n + i], TU_CANARY_BYTE);
}

void tu_canary_free(uint8_t *p, size_t n)
{
	tu_canary_check(p, n);
	free(p);
}

bool tu_is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

bool tu_untouched_or_wiped(const uint8_t *p, size_t n, uint8_t fill)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0 && p[i] != fill)
			return false;
	return true;
}
