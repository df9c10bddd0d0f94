/* SPDX-License-Identifier: MIT */
/*
 * The device's identity key IK (Ed25519, long-term) and the per-meeting key
 * EK (X25519, fresh for every meeting); keying.md "Keys".
 *
 * The IK lives in a state directory that only its owner may read:
 *   <state_dir>/           mode 0700 (no group or other bits), owned by us
 *   <state_dir>/identity.key   the 32-byte Ed25519 seed (RFC 8032 private
 *                              key), raw, mode 0600 (0400 accepted)
 * kx_identity_open() creates both on first start and refuses, loudly
 * (kx_warn) and with -EPERM, a directory or file with group or other
 * permission bits, another owner, or a symlink. The key is kept in
 * sodium_malloc'd memory that is PROT_NONE except during kx_identity_sign().
 *
 * Call order: kx_identity_open() or kx_identity_from_seed(), then
 * kx_identity_sign() any number of times, then kx_identity_close() always
 * (also after a failed open: it is safe on a zeroed struct).
 * Not thread-safe: one thread signs at a time.
 */
#ifndef KX_IDENTITY_H
#define KX_IDENTITY_H

#include "kx/kx.h"

#define KX_IDENTITY_FILE "identity.key"
#define KX_SEED_BYTES	 32

struct kx_identity {
	uint8_t ik[KX_IK_BYTES]; /* public */
	unsigned char *sk;	 /* sodium_malloc'd Ed25519 secret key (64 bytes), PROT_NONE */
};

/*
 * Loads the identity of state_dir, creating the directory (0700) and a fresh
 * key (0600) when absent. *created (may be NULL) tells whether the key is new.
 * Returns 0, -EPERM (wrong owner, permissions or file type), -EBADMSG (the
 * file is not exactly 32 bytes), -ENOMEM, or the errno of a failed system call.
 */
KX_API KX_NONNULL(1, 2) int kx_identity_open(const char *state_dir, struct kx_identity *id,
					     bool *created);

/*
 * A new identity key for state_dir, replacing the one in id: a fresh seed
 * replaces the key file atomically (0600), the old file's blocks are
 * overwritten and synced, the old secret key is wiped from memory. On
 * failure nothing changed (id still holds the old key). Returns 0, -EPERM
 * (the state directory is not ours alone), -ENOMEM, or -errno.
 */
KX_API KX_NONNULL(1, 2) int kx_identity_reset(const char *state_dir, struct kx_identity *id);

/* An identity from a known seed (tests, known answers). Returns 0 or -ENOMEM. */
KX_API KX_NONNULL(1, 2) int kx_identity_from_seed(const uint8_t seed[static KX_SEED_BYTES],
						  struct kx_identity *id);

/* Ed25519 (RFC 8032, pure) signature of m[0..len). Returns 0, -EINVAL (not loaded). */
KX_API KX_NONNULL(1, 4) int kx_identity_sign(struct kx_identity *id, const uint8_t *m, size_t len,
					     uint8_t sig[static KX_SIG_BYTES]);

/* Wipes and frees the secret key. */
KX_NONNULL(1) void kx_identity_close(struct kx_identity *id);

/* Checks an Ed25519 signature. Returns 0 or -EBADMSG. */
KX_API KX_NONNULL(1, 2, 4) int kx_sig_verify(const uint8_t ik[static KX_IK_BYTES], const uint8_t *m,
					     size_t len, const uint8_t sig[static KX_SIG_BYTES]);

/* The per-meeting X25519 key. The secret is sodium_malloc'd. */
struct kx_ek {
	uint8_t pk[KX_EK_BYTES];
	unsigned char *sk; /* 32 bytes, PROT_NONE while idle */
};

/* A fresh EK. Returns 0 or -ENOMEM. kx_ek_free() always. */
KX_API KX_NONNULL(1) int kx_ek_generate(struct kx_ek *ek);
/* An EK from a known secret scalar (tests, known answers). */
KX_API KX_NONNULL(1, 2) int kx_ek_from_secret(const uint8_t sk[static 32], struct kx_ek *ek);
/* Wipes the secret at meeting end (forward secrecy). Safe on a zeroed struct. */
KX_NONNULL(1) void kx_ek_free(struct kx_ek *ek);

/*
 * X25519(ek, peer) into out (32 bytes). Returns 0, -EINVAL (not loaded) or
 * -EBADMSG (peer is a low-order point: all-zero shared secret).
 */
KX_API KX_NONNULL(1, 2, 3) int kx_ek_dh(struct kx_ek *ek, const uint8_t peer[static KX_EK_BYTES],
					uint8_t out[static 32]);

#endif
