/* SPDX-License-Identifier: MIT */
/*
 * A fixed-capacity keyring of SFrame keys, by KID.
 *
 * Each key is either for sending or for receiving, never both: a send key
 * owns its counter (it only ever goes up and refuses to wrap), a receive key
 * owns a replay window. The caller owns the ring (it may live on the stack or
 * inside a GStreamer element); nothing allocates beyond the AEAD backend's
 * cipher contexts, once per key (sframe.h).
 *
 * Call order:
 *   e2ee_keyring_init()
 *   e2ee_keyring_add() ... e2ee_keyring_protect() / e2ee_keyring_unprotect()
 *   e2ee_keyring_expire() from time to time, e2ee_keyring_remove()
 *   e2ee_keyring_clear()  always: wipes every key
 *
 * Not thread-safe: the caller serializes calls on one ring.
 */
#ifndef E2EE_KEYRING_H
#define E2EE_KEYRING_H

#include "e2ee/sframe.h"

#define E2EE_KEYRING_CAPACITY 32
#define E2EE_REPLAY_WINDOW_MIN 128
#define E2EE_REPLAY_WINDOW_MAX 4096
#define E2EE_REPLAY_WINDOW_DEFAULT 1024

enum e2ee_key_usage {
	E2EE_KEY_SEND = 1,
	E2EE_KEY_RECV = 2,
};

/* RFC 9605 5.2 KID layout (frame-format.md): context | sender | epoch. */
#define E2EE_KID_EPOCH_BITS 8
#define E2EE_KID_SENDER_BITS 16

enum e2ee_stream {
	E2EE_STREAM_AUDIO = 0,
	E2EE_STREAM_VIDEO = 1,
	E2EE_STREAM_CONTENT = 2,
};

static inline uint64_t e2ee_kid_make(uint64_t stream, uint16_t sender, uint64_t epoch)
{
	return (stream << (E2EE_KID_SENDER_BITS + E2EE_KID_EPOCH_BITS)) |
	       ((uint64_t)sender << E2EE_KID_EPOCH_BITS) |
	       (epoch & ((1u << E2EE_KID_EPOCH_BITS) - 1));
}

static inline uint64_t e2ee_kid_stream(uint64_t kid)
{
	return kid >> (E2EE_KID_SENDER_BITS + E2EE_KID_EPOCH_BITS);
}

static inline uint16_t e2ee_kid_sender(uint64_t kid)
{
	return (uint16_t)(kid >> E2EE_KID_EPOCH_BITS);
}

static inline uint8_t e2ee_kid_epoch(uint64_t kid)
{
	return (uint8_t)kid;
}

struct e2ee_keyring_slot {
	bool used;
	bool exhausted; /* send: the counter reached 2^64-1 and was used */
	uint8_t usage;
	uint8_t base_key_len;
	uint64_t kid;
	uint64_t expires_ms; /* 0: never */
	uint64_t next_ctr; /* send */
	uint64_t top; /* receive: highest counter accepted */
	bool seen_any; /* receive: top is meaningful */
	uint64_t window[E2EE_REPLAY_WINDOW_MAX / 64 + 1];
	uint8_t base_key[E2EE_SFRAME_MAX_BASE_KEY]; /* kept for the ratchet only */
	struct e2ee_sframe_key key;
};

struct e2ee_keyring {
	uint16_t suite;
	uint32_t replay_window; /* counters, a multiple of 64 */
	struct e2ee_keyring_slot slot[E2EE_KEYRING_CAPACITY];
};

/*
 * Empties the ring for one suite. replay_window is rounded up to a multiple
 * of 64 and must lie in [E2EE_REPLAY_WINDOW_MIN, E2EE_REPLAY_WINDOW_MAX].
 * Returns 0 or -EINVAL.
 */
E2EE_API E2EE_NONNULL(1) int e2ee_keyring_init(struct e2ee_keyring *ring, uint16_t suite,
					       uint32_t replay_window);

/* Wipes and frees every key. The ring can be initialized again. */
E2EE_NONNULL(1) void e2ee_keyring_clear(struct e2ee_keyring *ring);

/*
 * Adds a key. The base key is copied (1..64 bytes). Returns 0, -EEXIST (the
 * KID is present), -ENOSPC (ring full), -EINVAL.
 */
E2EE_API E2EE_NONNULL(1, 4) int e2ee_keyring_add(struct e2ee_keyring *ring, uint64_t kid,
						 enum e2ee_key_usage usage,
						 const uint8_t *base_key, size_t base_key_len);

/* Removes and wipes a key. Returns 0 or -ENOENT. */
E2EE_API E2EE_NONNULL(1) int e2ee_keyring_remove(struct e2ee_keyring *ring, uint64_t kid);

/* True when the ring holds kid with that usage. */
E2EE_NONNULL(1) bool e2ee_keyring_has(const struct e2ee_keyring *ring, uint64_t kid,
				      enum e2ee_key_usage usage);

/* Sets the monotonic time (ms) after which e2ee_keyring_expire drops kid. 0: never. */
E2EE_API E2EE_NONNULL(1) int e2ee_keyring_set_expiry(struct e2ee_keyring *ring, uint64_t kid,
						     uint64_t expires_ms);

/* Removes every key whose expiry is set and not after now_ms; returns how many. */
E2EE_NONNULL(1) unsigned int e2ee_keyring_expire(struct e2ee_keyring *ring, uint64_t now_ms);

/*
 * Moves a send key's counter forward to ctr (never back: -EINVAL). For a
 * sender that resumes a key whose earlier counters it knows are spent.
 */
E2EE_API E2EE_NONNULL(1) int e2ee_keyring_advance_send_ctr(struct e2ee_keyring *ring,
							   uint64_t kid, uint64_t ctr);

/*
 * Protects pt with the send key kid and its next counter.
 * Returns 0, -ENOENT (no such key), -EPERM (a receive key), -EOVERFLOW (the
 * counter space is spent: install a new key), or an e2ee_sframe_protect
 * error. The counter is consumed only on success.
 */
E2EE_API E2EE_NONNULL(1, 7, 9) int e2ee_keyring_protect(
	struct e2ee_keyring *ring, uint64_t kid, const uint8_t *metadata, size_t md_len,
	const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Unprotects a whole SFrame ciphertext with the receive key its header names.
 * Returns 0, -EBADMSG (malformed or not authentic), -ENOKEY (unknown KID; *kid
 * is set so the caller may hold the frame), -EPERM (a send key), -EALREADY
 * (replayed counter, or older than the window), or an e2ee_sframe_unprotect
 * error. The replay window moves only for authentic frames. kid and ctr may be
 * NULL.
 */
E2EE_API E2EE_NONNULL(1, 4, 6, 8) int e2ee_keyring_unprotect(
	struct e2ee_keyring *ring, const uint8_t *metadata, size_t md_len, const uint8_t *in,
	size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len, uint64_t *kid,
	uint64_t *ctr);

/*
 * RFC 9605 5.1: installs under new_kid, with the same usage, the base key
 * ratcheted once from the key of old_kid. Returns 0, -ENOENT, -EEXIST,
 * -ENOSPC, -EINVAL.
 */
E2EE_API E2EE_NONNULL(1) int e2ee_keyring_ratchet(struct e2ee_keyring *ring, uint64_t old_kid,
						  uint64_t new_kid);

/* RFC 9605 5.1 KID for ratcheting: the low r_bits are the generation. */
static inline uint64_t e2ee_kid_ratchet_next(uint64_t kid, unsigned int r_bits)
{
	uint64_t mask = (r_bits >= 64) ? UINT64_MAX : (((uint64_t)1 << r_bits) - 1);

	return (kid & ~mask) | ((kid + 1) & mask);
}

#endif
