/* SPDX-License-Identifier: MIT */
/*
 * Codewords of identity keys (keying.md "The codeword": e2ee_codeword, an
 * Argon2id of 16 MiB, about 16 ms each), cached per IK because the display
 * shows the same few many times. Fixed capacity, caller-owned, no secret
 * inside (IKs and codewords are public); the oldest entry is replaced when
 * full. Not thread-safe.
 */
#ifndef KX_CODEWORDS_H
#define KX_CODEWORDS_H

#include "e2ee/codeword.h"
#include "kx/kx.h"

#define KX_CODEWORD_CACHE KX_MAX_MEMBERS /* a whole roster stays cached */

struct kx_codeword_cache {
	struct {
		uint8_t ik[KX_IK_BYTES];
		char word[E2EE_CODEWORD_SIZE];
	} e[KX_CODEWORD_CACHE];
	unsigned int n, next;
	unsigned long computed; /* Argon2id runs so far (tests check the caching) */
};

KX_NONNULL(1) void kx_codeword_cache_init(struct kx_codeword_cache *c);

/* The codeword of ik into out if cached (no Argon2id run): true, else false. */
KX_NONNULL(1, 2, 3) bool kx_codeword_cached(const struct kx_codeword_cache *c,
					    const uint8_t ik[static KX_IK_BYTES],
					    char out[static E2EE_CODEWORD_SIZE]);

/* The codeword of ik into out. Returns 0 or -ENOMEM (Argon2id's memory). */
KX_API KX_NONNULL(1, 2, 3) int kx_codeword(struct kx_codeword_cache *c,
					   const uint8_t ik[static KX_IK_BYTES],
					   char out[static E2EE_CODEWORD_SIZE]);

#endif
