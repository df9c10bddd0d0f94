/* SPDX-License-Identifier: MIT */
/*
 * SFrame (RFC 9605): header codec, key derivation, protect and unprotect.
 *
 * Call order:
 *   e2ee_sframe_key_init()   derive sframe_key and sframe_salt from a base key
 *   e2ee_sframe_protect()    / e2ee_sframe_unprotect(), any number of times
 *   e2ee_sframe_key_wipe()   always, also after a failed init
 *
 * The caller owns every context and buffer; nothing here calls malloc. The
 * AEAD backend chosen at build time (libgcrypt by default, mbedTLS with
 * `make AEAD=mbedtls`; docs/crypto-backend.md) makes its cipher contexts
 * once inside e2ee_sframe_key_init() (libgcrypt: in its secure memory) and
 * wipes and frees them in e2ee_sframe_key_wipe(). Protect and unprotect
 * never allocate.
 *
 * A (base_key, KID, CTR) triple must never be used twice: this layer takes
 * the CTR from its caller, the keyring (keyring.h) owns the counters.
 */
#ifndef E2EE_SFRAME_H
#define E2EE_SFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define E2EE_API __attribute__((warn_unused_result))
#define E2EE_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))

/* RFC 9605 8.1, the IANA table. */
enum e2ee_suite {
	E2EE_SUITE_AES_128_CTR_HMAC_SHA256_80 = 0x0001,
	E2EE_SUITE_AES_128_CTR_HMAC_SHA256_64 = 0x0002,
	E2EE_SUITE_AES_128_CTR_HMAC_SHA256_32 = 0x0003,
	E2EE_SUITE_AES_128_GCM_SHA256_128 = 0x0004,
	E2EE_SUITE_AES_256_GCM_SHA512_128 = 0x0005,
};

#define E2EE_SUITE_DEFAULT E2EE_SUITE_AES_128_GCM_SHA256_128

/* Largest sizes over all suites. */
#define E2EE_SFRAME_MAX_HEADER 17 /* config byte, 8 KID bytes, 8 CTR bytes */
#define E2EE_SFRAME_MAX_TAG 16
#define E2EE_SFRAME_MAX_OVERHEAD (E2EE_SFRAME_MAX_HEADER + E2EE_SFRAME_MAX_TAG)
#define E2EE_SFRAME_MAX_NH 64
#define E2EE_SFRAME_MAX_NK 48
#define E2EE_SFRAME_NN 12
#define E2EE_SFRAME_MAX_BASE_KEY 64

/*
 * Metadata (authenticated, not sent) is bounded: AES-GCM in mbedTLS 2.28 takes
 * the whole AAD (header || metadata) in one call, staged on the stack, and
 * both backends keep the same limit. RFC 9605 sets no bound; real metadata is
 * an RTP header or a NAL header.
 */
#define E2EE_SFRAME_MAX_METADATA 1024

/* Frames larger than this are refused: AES-CTR's 32-bit block counter. */
#define E2EE_SFRAME_MAX_PAYLOAD ((size_t)1 << 30)

struct e2ee_suite_info {
	uint16_t id;
	const char *name;
	uint8_t nh; /* hash output size, also the ratchet's base key size */
	uint8_t nka; /* AES key size of the CTR+HMAC suites, 0 for GCM */
	uint8_t nk; /* sframe_key size */
	uint8_t nn; /* nonce size */
	uint8_t nt; /* tag size */
	bool gcm;
};

/* NULL for an unknown suite. Static storage. */
const struct e2ee_suite_info *e2ee_suite_lookup(uint16_t suite);

/*
 * The AEAD backend's per-key state (crypto/aead.h): libgcrypt's handles, or
 * mbedTLS's contexts in place. Opaque; the size fits either backend.
 */
#define E2EE_AEAD_STATE_SIZE 448
struct e2ee_aead_state {
	_Alignas(16) unsigned char opaque[E2EE_AEAD_STATE_SIZE];
};

/* Keys derived for one (base_key, KID, suite). Opaque: use the functions. */
struct e2ee_sframe_key {
	const struct e2ee_suite_info *suite;
	uint64_t kid;
	uint8_t salt[E2EE_SFRAME_NN];
	bool ready;
	struct e2ee_aead_state aead;
};

/*
 * The AEAD backend's process-wide set-up, once (thread-safe; key setup calls
 * it too). For libgcrypt: version check, secure memory (mlock'd if the
 * process may), initialisation finished, unless the application had
 * finished it already (then its settings stand). A process that drops
 * privileges calls it before, so that the pool is locked while it can.
 * Returns 0, -ENOTSUP (library older than built against) or -EIO.
 */
E2EE_API int e2ee_aead_init(void);

/* "libgcrypt" or "mbedtls". Static storage. */
const char *e2ee_aead_backend_name(void);

/* True when the backend keeps keys in memory locked against swapping. */
bool e2ee_aead_keys_locked(void);

/*
 * RFC 9605 4.3. Writes the header for (kid, ctr) into out[0..out_len) and
 * returns its length (1..17), or -ENOSPC.
 */
E2EE_API E2EE_NONNULL(3) int e2ee_sframe_header_encode(uint64_t kid, uint64_t ctr,
						       uint8_t *out, size_t out_len);

/*
 * RFC 9605 4.3. Parses a header at in[0..in_len); returns its length and sets
 * *kid and *ctr, or -EBADMSG for a truncated or non-minimal encoding.
 */
E2EE_API E2EE_NONNULL(1, 3, 4) int e2ee_sframe_header_parse(const uint8_t *in, size_t in_len,
							     uint64_t *kid, uint64_t *ctr);

/* Size of the header for (kid, ctr). */
size_t e2ee_sframe_header_len(uint64_t kid, uint64_t ctr);

/*
 * RFC 9605 4.4.2. Derives sframe_key and sframe_salt for (base_key, kid,
 * suite). Returns 0, -EINVAL (unknown suite, empty base key), -ENOMEM
 * when the backend could not set up its cipher context, or an
 * e2ee_aead_init() error. The base key is not
 * kept. Call e2ee_sframe_key_wipe() in every case.
 */
E2EE_API E2EE_NONNULL(1, 4) int e2ee_sframe_key_init(struct e2ee_sframe_key *key, uint16_t suite,
						     uint64_t kid, const uint8_t *base_key,
						     size_t base_key_len);

/* Frees and wipes every derived secret. Safe on a zeroed or wiped key. */
E2EE_NONNULL(1) void e2ee_sframe_key_wipe(struct e2ee_sframe_key *key);

/* Overhead of a frame under this key and counter: header plus tag. */
size_t e2ee_sframe_overhead(const struct e2ee_sframe_key *key, uint64_t ctr);

/*
 * RFC 9605 4.4.3. Writes header || ciphertext || tag to out (out_cap bytes)
 * and its length to *out_len. pt and out must not overlap. metadata may be
 * NULL when md_len is 0.
 * Returns 0, -EINVAL (key not ready), -EMSGSIZE (metadata or payload too
 * large), -ENOSPC (out too small; nothing written).
 */
E2EE_API E2EE_NONNULL(1, 7, 9) int e2ee_sframe_protect(struct e2ee_sframe_key *key, uint64_t ctr,
						       const uint8_t *metadata, size_t md_len,
						       const uint8_t *pt, size_t pt_len, uint8_t *out,
						       size_t out_cap, size_t *out_len);

/*
 * RFC 9605 4.4.4. Checks and decrypts a whole SFrame ciphertext whose header
 * names this key's KID. Writes the plaintext to out, its length to *out_len,
 * and the frame's counter to *ctr (may be NULL).
 * Returns 0, -EBADMSG (malformed, wrong KID, or authentication failed: out
 * is wiped), -ENOSPC, -EMSGSIZE, -EINVAL.
 * The tag is checked in constant time; no plaintext is left in out on error.
 */
E2EE_API E2EE_NONNULL(1, 4, 6, 8) int e2ee_sframe_unprotect(
	struct e2ee_sframe_key *key, const uint8_t *metadata, size_t md_len, const uint8_t *in,
	size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len, uint64_t *ctr);

/*
 * RFC 9605 5.1. out = HKDF-Expand(HKDF-Extract("", base_key),
 * "SFrame 1.0 Ratchet", Nh), out_len must be the suite's Nh.
 */
E2EE_API E2EE_NONNULL(2, 4) int e2ee_sframe_ratchet(uint16_t suite, const uint8_t *base_key,
						    size_t base_key_len, uint8_t *out, size_t out_len);

/*
 * The RFC 9605 4.4.2 intermediate values, for tests and the CLI's vectors:
 * secret (Nh), sframe_key (Nk), sframe_salt (Nn). Callers wipe them.
 */
E2EE_API E2EE_NONNULL(3, 5, 6, 7) int e2ee_sframe_derive(uint16_t suite, uint64_t kid,
							 const uint8_t *base_key, size_t base_key_len,
							 uint8_t *secret, uint8_t *sframe_key,
							 uint8_t *sframe_salt);

/*
 * The layer below SFrame, for tests against RFC 9605's AEAD vectors and for
 * callers that frame differently. key_init_raw takes sframe_key (Nk bytes)
 * and sframe_salt (Nn bytes) as derived by e2ee_sframe_derive().
 * aead_encrypt writes ciphertext || tag (pt_len + Nt bytes) to out; the AAD
 * is aad1 || aad2 (each may be empty). aead_decrypt takes ciphertext || tag
 * and writes in_len - Nt bytes, or wipes them and returns -EBADMSG.
 */
E2EE_API E2EE_NONNULL(1, 4, 5) int e2ee_sframe_key_init_raw(struct e2ee_sframe_key *key,
							     uint16_t suite, uint64_t kid,
							     const uint8_t *sframe_key,
							     const uint8_t *sframe_salt);
E2EE_API E2EE_NONNULL(1, 2) int e2ee_aead_encrypt(struct e2ee_sframe_key *key,
						  const uint8_t nonce[static E2EE_SFRAME_NN],
						  const uint8_t *aad1, size_t aad1_len,
						  const uint8_t *aad2, size_t aad2_len,
						  const uint8_t *pt, size_t pt_len, uint8_t *out);
E2EE_API E2EE_NONNULL(1, 2) int e2ee_aead_decrypt(struct e2ee_sframe_key *key,
						  const uint8_t nonce[static E2EE_SFRAME_NN],
						  const uint8_t *aad1, size_t aad1_len,
						  const uint8_t *aad2, size_t aad2_len,
						  const uint8_t *in, size_t in_len, uint8_t *out);

#endif
