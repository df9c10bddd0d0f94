/* SPDX-License-Identifier: MIT */
/* One SFrame round trip through libe2ee's keyring (KID 0x1000101, one byte
 * of metadata), as bench-crypto and bench-transport time it. */
#ifndef BENCH_SFRAME_H
#define BENCH_SFRAME_H

#include <stdint.h>
#include <stdlib.h>

#include "e2ee/keyring.h"

#define BENCH_KID 0x1000101

static inline void sframe_round(struct e2ee_keyring *tx, struct e2ee_keyring *rx,
				const uint8_t *pt, uint8_t *ct, uint8_t *out, size_t n)
{
	static const uint8_t md[1] = { 0x65 };
	size_t clen, olen;

	if (e2ee_keyring_protect(tx, BENCH_KID, md, 1, pt, n, ct, n + E2EE_SFRAME_MAX_OVERHEAD,
				 &clen) ||
	    e2ee_keyring_unprotect(rx, md, 1, ct, clen, out, n + E2EE_SFRAME_MAX_OVERHEAD, &olen,
				   NULL, NULL) ||
	    olen != n)
		abort();
}

#endif
