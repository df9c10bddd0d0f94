/* SPDX-License-Identifier: MIT */
/*
 * The codeword of a device: four proquints derived with Argon2id from its
 * Ed25519 public identity key (keying.md, "The codeword"). People compare
 * it aloud; forging a chosen one costs 2^64 Argon2id runs.
 *
 * Argon2id needs 16 MiB of working memory, which libsodium allocates and
 * wipes inside e2ee_codeword(); compute it once per key and cache it.
 */
#ifndef E2EE_CODEWORD_H
#define E2EE_CODEWORD_H

#include <stddef.h>
#include <stdint.h>

#define E2EE_IDENTITY_KEY_BYTES 32
#define E2EE_PROQUINT_LEN 5
/* "xxxxx-xxxxx-xxxxx-xxxxx" and its NUL */
#define E2EE_CODEWORD_LEN (4 * E2EE_PROQUINT_LEN + 3)
#define E2EE_CODEWORD_SIZE (E2EE_CODEWORD_LEN + 1)

/* Argon2id v1.3 parameters of keying.md. */
#define E2EE_CODEWORD_OPSLIMIT 2
#define E2EE_CODEWORD_MEMLIMIT (16u * 1024 * 1024)

/*
 * Writes the codeword of ik to out (NUL-terminated, E2EE_CODEWORD_SIZE
 * bytes). Returns 0, or -ENOMEM when Argon2id could not get its memory.
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
e2ee_codeword(const uint8_t ik[static E2EE_IDENTITY_KEY_BYTES],
	      char out[static E2EE_CODEWORD_SIZE]);

/* One proquint: 5 lowercase letters and a NUL. */
__attribute__((nonnull(2))) void e2ee_proquint_encode(uint16_t v,
						      char out[static E2EE_PROQUINT_LEN + 1]);

/*
 * Parses exactly five letters (case-insensitive) of s. Returns 0 and sets
 * *v, or -EINVAL.
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
e2ee_proquint_decode(const char s[static E2EE_PROQUINT_LEN], uint16_t *v);

#endif
