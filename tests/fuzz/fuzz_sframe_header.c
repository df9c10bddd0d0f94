// SPDX-License-Identifier: MIT
/*
 * The SFrame header parser (RFC 9605 4.3) on arbitrary bytes. Whatever it
 * accepts must be canonical: encoding the parsed (KID, CTR) gives back
 * exactly the bytes it consumed.
 */
#include <stdlib.h>
#include <string.h>

#include "e2ee/sframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t enc[E2EE_SFRAME_MAX_HEADER];
	uint64_t kid, ctr;
	int n = e2ee_sframe_header_parse(data, size, &kid, &ctr);

	if (n < 0)
		return 0;
	if ((size_t)n > size || n > E2EE_SFRAME_MAX_HEADER)
		abort();
	if (e2ee_sframe_header_encode(kid, ctr, enc, sizeof(enc)) != n || memcmp(enc, data, (size_t)n))
		abort();
	if (e2ee_sframe_header_len(kid, ctr) != (size_t)n)
		abort();
	return 0;
}
