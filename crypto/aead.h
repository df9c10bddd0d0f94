/* SPDX-License-Identifier: MIT */
/*
 * The AEAD backend boundary inside libe2ee (internal: not installed).
 *
 * sframe.c owns the framing (nonce, AAD = header || metadata, RFC 9605
 * 4.5.1's HMAC input, the order "tag first" and the wipes); a backend owns
 * only the primitives, on state the caller holds in struct e2ee_sframe_key:
 *
 *   aead_gcrypt.c   libgcrypt, the default (make AEAD=gcrypt)
 *   aead_mbedtls.c  mbedTLS 2.28 (make AEAD=mbedtls)
 *
 * Call order, per KID:
 *   e2ee_aead_setup()    once: expands sframe_key into st (may allocate,
 *                        once, inside the library: secure memory for libgcrypt)
 *   e2ee_aead_gcm_seal() / e2ee_aead_gcm_open()       GCM suites, per frame
 *   e2ee_aead_ctr() and e2ee_aead_hmac()              CTR+HMAC suites, per frame
 *   e2ee_aead_free()     always, also after a failed setup; the caller then
 *                        wipes st itself
 * Per frame nothing allocates. Not thread-safe per st; the caller serializes.
 */
#ifndef E2EE_AEAD_H
#define E2EE_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "e2ee/sframe.h"

/* One piece of AAD or HMAC input; p may be NULL when len is 0. */
struct e2ee_span {
	const uint8_t *p;
	size_t len;
};

#define E2EE_GCM_TAG 16
#define E2EE_CTR_IV 16

/*
 * Expands sframe_key (s->nk bytes) for suite s into st. For the CTR+HMAC
 * suites enc_key is sframe_key[0..Nka) and auth_key the rest (RFC 9605
 * 4.5.1). Returns 0, -ENOMEM or -EIO. The key bytes are not kept beyond
 * the library's own expanded form.
 */
int e2ee_aead_setup(struct e2ee_aead_state *st, const struct e2ee_suite_info *s,
		    const uint8_t *sframe_key);

/* Releases what setup made (library contexts wiped by the library). */
void e2ee_aead_free(struct e2ee_aead_state *st, const struct e2ee_suite_info *s);

/* AES-GCM: ct = E(pt), tag over aad[0] || aad[1] || ct. Returns 0 or -EIO. */
int e2ee_aead_gcm_seal(struct e2ee_aead_state *st, const uint8_t nonce[static E2EE_SFRAME_NN],
		       const struct e2ee_span aad[static 2], const uint8_t *pt, size_t len,
		       uint8_t *ct, uint8_t tag[static E2EE_GCM_TAG]);

/*
 * AES-GCM: pt = D(ct) and the tag checked in constant time. Returns 0,
 * -EBADMSG (pt holds unauthenticated bytes: the caller wipes it) or -EIO.
 */
int e2ee_aead_gcm_open(struct e2ee_aead_state *st, const uint8_t nonce[static E2EE_SFRAME_NN],
		       const struct e2ee_span aad[static 2], const uint8_t *ct, size_t len,
		       const uint8_t tag[static E2EE_GCM_TAG], uint8_t *pt);

/* AES-CTR from the 16-byte initial counter block iv, 32-bit big-endian counter. */
int e2ee_aead_ctr(struct e2ee_aead_state *st, const uint8_t iv[static E2EE_CTR_IV],
		  const uint8_t *in, size_t len, uint8_t *out);

/* HMAC-SHA256 under auth_key over the concatenation of parts; 32 bytes to mac. */
int e2ee_aead_hmac(struct e2ee_aead_state *st, const struct e2ee_span *parts, size_t n,
		   uint8_t mac[static E2EE_SFRAME_MAX_NH]);

#endif
