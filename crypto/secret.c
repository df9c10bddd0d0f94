// SPDX-License-Identifier: MIT
#include <mbedtls/constant_time.h>
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
