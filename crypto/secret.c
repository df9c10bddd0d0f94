// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <mbedtls/constant_time.h>
#include <sodium.h>
#include <mbedtls/platform_util.h>

#include "e2ee/secret.h"

void e2ee_wipe(void *p, size_t len)
{
	if (len)
		mbedtls_platform_zeroize(p, len);
}

bool e2ee_ct_equal(const void *a, const void *b, size_t len)
{
	return mbedtls_ct_memcmp(a, b, len) == 0;
}

#define WIPE_HDR 16 /* keeps max_align_t alignment */

void *e2ee_wiping_malloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - WIPE_HDR)
		return NULL;
	p = malloc(n + WIPE_HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + WIPE_HDR;
}

void e2ee_wiping_free(void *ptr)
{
	unsigned char *p;
	size_t n;

	if (!ptr)
		return;
	p = (unsigned char *)ptr - WIPE_HDR;
	memcpy(&n, p, sizeof(n));
	e2ee_wipe(p, n + WIPE_HDR);
	free(p);
}

long e2ee_hex_decode(const char *hex, size_t len, unsigned char *out, size_t cap)
{
	size_t n = 0;

	if (len % 2 || len / 2 > cap)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (sodium_hex2bin(out, cap, hex, len, NULL, &n, NULL) || n != len / 2) {
		e2ee_wipe(out, cap);
		return -EINVAL;
	}
	return (long)n;
}
