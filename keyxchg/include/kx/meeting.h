/* SPDX-License-Identifier: MIT */
/*
 * Meeting ids bound to the host's identity key (PROTOCOL.md 2.1): what a
 * person types on the panel (or a link carries) to join, the meeting code,
 * names the host's IK through a stretched hash, so that the relay cannot
 * present a host of its own for it without an Argon2id search.
 *
 *   s    = 4 random bytes (the host draws them per meeting)
 *   tag  = first 6 bytes of Argon2id(password = "sealroom-v2 meeting" || IK || s,
 *                                    salt = first 16 bytes of
 *                                           SHA-256("sealroom meeting salt v2"),
 *                                    opslimit 2, memlimit 16 MiB, output 16 bytes)
 *   code = s || tag (10 bytes), written as five proquints
 *   meeting id = code || 6 random bytes (16 bytes)
 *
 * Forging: an IK of the relay's own whose tag matches a given (s, tag) costs
 * 2^48 Argon2id runs on average (one target per meeting: s is fresh, so
 * nothing is precomputed). Each run takes 16 MiB and about 16 ms.
 *
 * Call order: the host kx_meeting_id_new(), shows kx_meeting_code_text();
 * a joiner kx_meeting_code_parse() what the person typed, then
 * kx_meeting_bound() on the host hello. No secret here: IKs, codes and ids
 * are public; the caller owns every buffer.
 */
#ifndef KX_MEETING_H
#define KX_MEETING_H

#include "kx/kx.h"

#define KX_MEETING_SALT_BYTES 4
#define KX_MEETING_TAG_BYTES  6
#define KX_MEETING_CODE_BYTES (KX_MEETING_SALT_BYTES + KX_MEETING_TAG_BYTES)
/* five proquints, four dashes, a NUL */
#define KX_MEETING_CODE_SIZE 30
#define KX_LABEL_MEETING      "sealroom-v2 meeting"
#define KX_LABEL_MEETING_SALT "sealroom meeting salt v2"

/*
 * b[0..2*words) as proquints joined by '-' (PROTOCOL.md 8): out holds
 * 6 * words bytes with the NUL. Meeting codes (5 words), group codes (4).
 */
KX_NONNULL(1, 3) void kx_proquints(const uint8_t *b, unsigned int words, char *out);

/* The tag of (ik, s): one Argon2id run. Returns 0 or -ENOMEM. */
KX_API KX_NONNULL(1, 2, 3) int kx_meeting_tag(const uint8_t ik[static KX_IK_BYTES],
					      const uint8_t s[static KX_MEETING_SALT_BYTES],
					      uint8_t tag[static KX_MEETING_TAG_BYTES]);

/* A fresh meeting id bound to ik (the host's). Returns 0 or -ENOMEM. */
KX_API KX_NONNULL(1, 2) int kx_meeting_id_new(const uint8_t ik[static KX_IK_BYTES],
					      uint8_t id[static KX_MEETING_ID_BYTES]);

/* A meeting code (a meeting id's first 10 bytes) as five proquints. */
KX_NONNULL(1, 2) void kx_meeting_code_text(const uint8_t code[static KX_MEETING_CODE_BYTES],
					   char out[static KX_MEETING_CODE_SIZE]);

/*
 * Parses five proquints separated by '-' (case-insensitive) into the 10-byte
 * code. Returns 0 or -EINVAL.
 */
KX_API KX_NONNULL(1, 2) int kx_meeting_code_parse(const char *text,
						  uint8_t code[static KX_MEETING_CODE_BYTES]);

/*
 * Does meeting id `id`, hosted by ik, answer the code a person typed? Its
 * first 10 bytes must be the code and the code's tag ik's. Returns 0,
 * -EKEYREJECTED (another meeting, or a host the code does not name), -ENOMEM.
 */
KX_API KX_NONNULL(1, 2, 3) int kx_meeting_bound(const uint8_t id[static KX_MEETING_ID_BYTES],
						const uint8_t code[static KX_MEETING_CODE_BYTES],
						const uint8_t ik[static KX_IK_BYTES]);

#endif
