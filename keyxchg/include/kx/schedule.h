/* SPDX-License-Identifier: MIT */
/*
 * The key schedule of keying.md "Keys" and "Key schedule" (PROTOCOL.md
 * "Key schedule" has the exact byte strings). HKDF is HKDF-SHA256 (RFC
 * 5869, extract then expand) from mbedTLS; every output is 32 bytes.
 *
 *   pair key  = HKDF(ikm = X25519(EK_self, EK_peer), salt = meeting_id,
 *                    info = "sealroom-v1 pair" || IK_host || IK_member
 *                           || EK_host || EK_member)
 *   E_{e+1}   = HKDF(ikm = E_e, salt = H(roster_{e+1}), info = "sealroom-v1 join")
 *   media key = HKDF(ikm = E_e, salt = meeting_id,
 *                    info = "sealroom-v1 sframe" || sender(2) || stream(1) || epoch(8))
 *   seal      = XChaCha20-Poly1305(pair key, nonce(24), E_e,
 *                    AD = meeting_id || e(8) || H(roster_e) || host(2) || member(2))
 *
 * Every output buffer holds a secret: the caller wipes it (e2ee_wipe). On
 * error, outputs are wiped here.
 */
#ifndef KX_SCHEDULE_H
#define KX_SCHEDULE_H

#include "kx/kx.h"
#include "kx/msg.h"

struct kx_ek;

#define KX_LABEL_PAIR	     "sealroom-v1 pair"
#define KX_LABEL_JOIN	     "sealroom-v1 join"
#define KX_LABEL_SFRAME	     "sealroom-v1 sframe"
#define KX_LABEL_FINGERPRINT "sealroom-v1 fingerprint"
#define KX_LABEL_AUTHENTICATOR "sealroom-v2 epoch authenticator"
#define KX_LABEL_GROUP_CODE    "sealroom-v2 group code"
#define KX_LABEL_CONFIRM_KEY   "sealroom-v2 confirm"
#define KX_LABEL_CONFIRM       "sealroom-v2 confirmation"
#define KX_SEAL_AD_BYTES     (KX_MEETING_ID_BYTES + 8 + KX_HASH_BYTES + 2 + 2)
/* 16 hex digits and a NUL */
#define KX_FINGERPRINT_HEX_SIZE (2 * KX_FINGERPRINT_BYTES + 1)

/* Whose keys are whose: the host and the member of one pair. */
struct kx_pair_keys {
	const uint8_t *ik_host, *ik_member; /* KX_IK_BYTES each */
	const uint8_t *ek_host, *ek_member; /* KX_EK_BYTES each */
};

/*
 * The pair key between host and member, computed by either side: self is
 * this side's EK, whose public key must be ek_host or ek_member; the peer's
 * is the other one. Returns 0, -EINVAL (self is neither, or both are the
 * same key), -EBADMSG (low-order peer key).
 */
KX_API KX_NONNULL(1, 2, 3, 4) int kx_pair_key(struct kx_ek *self,
					      const uint8_t meeting[static KX_MEETING_ID_BYTES],
					      const struct kx_pair_keys *keys,
					      uint8_t out[static KX_SECRET_BYTES]);

/* E_{e+1} from E_e and H(roster_{e+1}): the join ratchet. */
KX_API KX_NONNULL(1, 2, 3) int kx_epoch_join(const uint8_t e_cur[static KX_SECRET_BYTES],
					     const uint8_t next_roster_hash[static KX_HASH_BYTES],
					     uint8_t out[static KX_SECRET_BYTES]);

/* A fresh random epoch secret (meeting start, leave, removal, periodic). */
KX_API KX_NONNULL(1) int kx_epoch_fresh(uint8_t out[static KX_SECRET_BYTES]);

/*
 * The SFrame base key of (epoch, sender, stream); use it under
 * kx_media_kid(stream, sender, epoch). stream is enum e2ee_stream (0..255).
 * Returns 0 or -EINVAL (stream > 255).
 */
KX_API KX_NONNULL(1, 2, 6) int kx_media_key(const uint8_t e_secret[static KX_SECRET_BYTES],
					    const uint8_t meeting[static KX_MEETING_ID_BYTES],
					    uint16_t sender, unsigned int stream, uint64_t epoch,
					    uint8_t out[static KX_SECRET_BYTES]);

/*
 * The group security code of epoch e (PROTOCOL.md 7.1, MLS's epoch
 * authenticator): every room that holds this epoch's secret and roster shows
 * the same four proquints, and rooms of a split meeting show different ones.
 *   auth = HKDF(ikm = E_e, salt = meeting_id, info = "sealroom-v2 epoch authenticator" || e(8))
 *   code = proquints of the first 8 bytes of
 *          HMAC-SHA256(auth, "sealroom-v2 group code" || meeting_id || e(8) || H(roster_e))
 * out is E2EE_CODEWORD_SIZE bytes (the codeword's shape). Returns 0 or -EIO.
 */
KX_API KX_NONNULL(1, 2, 4, 5) int kx_group_code(const uint8_t e_secret[static KX_SECRET_BYTES],
						const uint8_t meeting[static KX_MEETING_ID_BYTES],
						uint64_t epoch,
						const uint8_t roster_hash[static KX_HASH_BYTES],
						char out[static 24]);

/*
 * Key confirmation (PROTOCOL.md 7.2, MLS's confirmation tag): what every ack
 * and heartbeat of epoch e carries, proof that its sender holds E_e of the
 * roster whose hash it names:
 *   key     = HKDF(ikm = E_e, salt = meeting_id, info = "sealroom-v2 confirm" || e(8))
 *   confirm = HMAC-SHA256(key, "sealroom-v2 confirmation" || meeting_id || e(8) || H(roster_e))
 * Returns 0 or -EIO.
 */
KX_API KX_NONNULL(1, 2, 4, 5) int kx_confirm(const uint8_t e_secret[static KX_SECRET_BYTES],
					     const uint8_t meeting[static KX_MEETING_ID_BYTES],
					     uint64_t epoch,
					     const uint8_t roster_hash[static KX_HASH_BYTES],
					     uint8_t out[static KX_HASH_BYTES]);

/*
 * Does ack a (parsed, signature checked) carry the confirmation of e_secret
 * for its own meeting, epoch and roster hash? Constant-time compare.
 * Returns 0, -EBADMSG (another secret), -EIO.
 */
KX_API KX_NONNULL(1, 2) int kx_confirm_check(const uint8_t e_secret[static KX_SECRET_BYTES],
					     const struct kx_ack *a);

/* e2ee_kid_make(stream, sender, epoch): frame-format.md's KID layout. */
uint64_t kx_media_kid(unsigned int stream, uint16_t sender, uint64_t epoch);

/*
 * A fingerprint of a key for logs and tests that does not reveal it: the
 * first 8 bytes of SHA-256("sealroom-v1 fingerprint" || key), and as hex.
 */
KX_NONNULL(1, 3)
void kx_fingerprint(const uint8_t *key, size_t len, uint8_t out[static KX_FINGERPRINT_BYTES]);
KX_NONNULL(1, 3)
void kx_fingerprint_hex(const uint8_t *key, size_t len, char out[static KX_FINGERPRINT_HEX_SIZE]);

/* The 60 bytes of associated data of an epoch key message. */
KX_NONNULL(1, 2) void kx_seal_ad(const struct kx_epoch_key *m, uint8_t ad[static KX_SEAL_AD_BYTES]);

/*
 * Host: seals e_secret for m->to into m->sealed under pair_key, with a fresh
 * random nonce in m->nonce; m's meeting, epoch, roster, from and to must be
 * set (they are the associated data). Sign m afterwards.
 */
KX_API KX_NONNULL(1, 2, 3) int kx_epoch_key_seal(struct kx_epoch_key *m,
						 const uint8_t pair_key[static KX_SECRET_BYTES],
						 const uint8_t e_secret[static KX_SECRET_BYTES]);

/* Same with a caller-chosen nonce (known-answer tests only; never reuse a nonce). */
KX_API KX_NONNULL(1, 2, 3,
		  4) int kx_epoch_key_seal_nonce(struct kx_epoch_key *m,
						 const uint8_t pair_key[static KX_SECRET_BYTES],
						 const uint8_t e_secret[static KX_SECRET_BYTES],
						 const uint8_t nonce[static KX_NONCE_BYTES]);

/*
 * Member: opens m (already verified by kx_msg_parse) into e_secret.
 * Returns 0 or -EBADMSG (e_secret wiped).
 */
KX_API KX_NONNULL(1, 2, 3) int kx_epoch_key_open(const struct kx_epoch_key *m,
						 const uint8_t pair_key[static KX_SECRET_BYTES],
						 uint8_t e_secret[static KX_SECRET_BYTES]);

#endif
