// SPDX-License-Identifier: MIT
/* The key schedule (keying.md "Keys", "Key schedule"; PROTOCOL.md "Key schedule"). */
#include <stdio.h>
#include <string.h>

#include <mbedtls/hkdf.h>
#include <sodium.h>

#include "e2ee/codeword.h"
#include "e2ee/keyring.h"
#include "e2ee/secret.h"
#include "kx/canon.h"
#include "kx/identity.h"
#include "kx/meeting.h"
#include "kx/schedule.h"

#define LEN(s) (sizeof(s) - 1)

static int hkdf(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		const uint8_t *info, size_t info_len, uint8_t out[static KX_SECRET_BYTES])
{
	/* RFC 5869: extract with salt, expand with info; mbedTLS wipes its PRK. */
	if (mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, salt_len, ikm, ikm_len,
			 info, info_len, out, KX_SECRET_BYTES)) {
		e2ee_wipe(out, KX_SECRET_BYTES);
		return -EIO;
	}
	return 0;
}

int kx_pair_key(struct kx_ek *self, const uint8_t meeting[static KX_MEETING_ID_BYTES],
		const struct kx_pair_keys *keys, uint8_t out[static KX_SECRET_BYTES])
{
	uint8_t info[LEN(KX_LABEL_PAIR) + 2 * KX_IK_BYTES + 2 * KX_EK_BYTES];
	uint8_t shared[32];
	const uint8_t *peer;
	uint8_t *p = info;
	int ret;

	if (!keys->ik_host || !keys->ik_member || !keys->ek_host || !keys->ek_member)
		return -EINVAL;
	if (e2ee_ct_equal(keys->ek_host, keys->ek_member, KX_EK_BYTES))
		return -EINVAL;
	if (e2ee_ct_equal(self->pk, keys->ek_host, KX_EK_BYTES))
		peer = keys->ek_member;
	else if (e2ee_ct_equal(self->pk, keys->ek_member, KX_EK_BYTES))
		peer = keys->ek_host;
	else
		return -EINVAL;

	memcpy(p, KX_LABEL_PAIR, LEN(KX_LABEL_PAIR));
	p += LEN(KX_LABEL_PAIR);
	memcpy(p, keys->ik_host, KX_IK_BYTES);
	p += KX_IK_BYTES;
	memcpy(p, keys->ik_member, KX_IK_BYTES);
	p += KX_IK_BYTES;
	memcpy(p, keys->ek_host, KX_EK_BYTES);
	p += KX_EK_BYTES;
	memcpy(p, keys->ek_member, KX_EK_BYTES);

	ret = kx_ek_dh(self, peer, shared);
	if (ret)
		goto out;
	ret = hkdf(meeting, KX_MEETING_ID_BYTES, shared, sizeof(shared), info, sizeof(info), out);
out:
	e2ee_wipe(shared, sizeof(shared));
	if (ret)
		e2ee_wipe(out, KX_SECRET_BYTES);
	return ret;
}

int kx_epoch_join(const uint8_t e_cur[static KX_SECRET_BYTES],
		  const uint8_t next_roster_hash[static KX_HASH_BYTES],
		  uint8_t out[static KX_SECRET_BYTES])
{
	return hkdf(next_roster_hash, KX_HASH_BYTES, e_cur, KX_SECRET_BYTES,
		    (const uint8_t *)KX_LABEL_JOIN, LEN(KX_LABEL_JOIN), out);
}

int kx_epoch_fresh(uint8_t out[static KX_SECRET_BYTES])
{
	if (kx_init())
		return -EIO;
	randombytes_buf(out, KX_SECRET_BYTES);
	return 0;
}

/*
 * HMAC-SHA256(key = HKDF(E_e, meeting, key_label || e), msg = msg_label ||
 * meeting || e || H(roster_e)): the group code's MAC (7.1) and the
 * confirmation MAC of acks (7.2) differ only in their labels.
 */
static int epoch_mac(const uint8_t e_secret[static KX_SECRET_BYTES],
		     const uint8_t meeting[static KX_MEETING_ID_BYTES], uint64_t epoch,
		     const uint8_t roster_hash[static KX_HASH_BYTES], const char *key_label,
		     const char *msg_label, uint8_t mac[static crypto_auth_hmacsha256_BYTES])
{
	size_t kl = strlen(key_label), ml = strlen(msg_label);
	uint8_t info[64 + 8], auth[KX_SECRET_BYTES];
	uint8_t msg[64 + KX_MEETING_ID_BYTES + 8 + KX_HASH_BYTES];
	int ret;

	if (kl > 64 || ml > 64)
		return -EINVAL;
	memcpy(info, key_label, kl);
	kx_put_be64(info + kl, epoch);
	memcpy(msg, msg_label, ml);
	memcpy(msg + ml, meeting, KX_MEETING_ID_BYTES);
	kx_put_be64(msg + ml + KX_MEETING_ID_BYTES, epoch);
	memcpy(msg + ml + KX_MEETING_ID_BYTES + 8, roster_hash, KX_HASH_BYTES);
	ret = hkdf(meeting, KX_MEETING_ID_BYTES, e_secret, KX_SECRET_BYTES, info, kl + 8, auth);
	if (!ret)
		crypto_auth_hmacsha256(mac, msg, ml + KX_MEETING_ID_BYTES + 8 + KX_HASH_BYTES,
				       auth);
	e2ee_wipe(auth, sizeof(auth));
	return ret;
}

int kx_group_code(const uint8_t e_secret[static KX_SECRET_BYTES],
		  const uint8_t meeting[static KX_MEETING_ID_BYTES], uint64_t epoch,
		  const uint8_t roster_hash[static KX_HASH_BYTES], char out[static 24])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	int ret;

	_Static_assert(E2EE_CODEWORD_SIZE == 24, "four proquints, like the codeword");
	ret = epoch_mac(e_secret, meeting, epoch, roster_hash, KX_LABEL_AUTHENTICATOR,
			KX_LABEL_GROUP_CODE, mac);
	if (!ret)
		kx_proquints(mac, 4, out);
	e2ee_wipe(mac, sizeof(mac));
	return ret;
}

int kx_confirm(const uint8_t e_secret[static KX_SECRET_BYTES],
	       const uint8_t meeting[static KX_MEETING_ID_BYTES], uint64_t epoch,
	       const uint8_t roster_hash[static KX_HASH_BYTES], uint8_t out[static KX_HASH_BYTES])
{
	_Static_assert(KX_HASH_BYTES == crypto_auth_hmacsha256_BYTES, "a whole HMAC-SHA256");
	return epoch_mac(e_secret, meeting, epoch, roster_hash, KX_LABEL_CONFIRM_KEY,
			 KX_LABEL_CONFIRM, out);
}

int kx_confirm_check(const uint8_t e_secret[static KX_SECRET_BYTES], const struct kx_ack *a)
{
	uint8_t want[KX_HASH_BYTES];
	int ret = kx_confirm(e_secret, a->meeting, a->epoch, a->roster, want);

	if (!ret && !e2ee_ct_equal(want, a->confirm, sizeof(want)))
		ret = -EBADMSG;
	e2ee_wipe(want, sizeof(want));
	return ret;
}

int kx_media_key(const uint8_t e_secret[static KX_SECRET_BYTES],
		 const uint8_t meeting[static KX_MEETING_ID_BYTES], uint16_t sender,
		 unsigned int stream, uint64_t epoch, uint8_t out[static KX_SECRET_BYTES])
{
	uint8_t info[LEN(KX_LABEL_SFRAME) + 2 + 1 + 8];

	if (stream > 255)
		return -EINVAL;
	memcpy(info, KX_LABEL_SFRAME, LEN(KX_LABEL_SFRAME));
	kx_put_be16(info + LEN(KX_LABEL_SFRAME), sender);
	info[LEN(KX_LABEL_SFRAME) + 2] = (uint8_t)stream;
	kx_put_be64(info + LEN(KX_LABEL_SFRAME) + 3, epoch);
	return hkdf(meeting, KX_MEETING_ID_BYTES, e_secret, KX_SECRET_BYTES, info, sizeof(info),
		    out);
}

uint64_t kx_media_kid(unsigned int stream, uint16_t sender, uint64_t epoch)
{
	return e2ee_kid_make(stream, sender, epoch);
}

void kx_fingerprint(const uint8_t *key, size_t len, uint8_t out[static KX_FINGERPRINT_BYTES])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)KX_LABEL_FINGERPRINT,
				  LEN(KX_LABEL_FINGERPRINT));
	crypto_hash_sha256_update(&st, key, len);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, KX_FINGERPRINT_BYTES);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(h, sizeof(h));
}

void kx_fingerprint_hex(const uint8_t *key, size_t len, char out[static KX_FINGERPRINT_HEX_SIZE])
{
	uint8_t fp[KX_FINGERPRINT_BYTES];

	kx_fingerprint(key, len, fp);
	sodium_bin2hex(out, KX_FINGERPRINT_HEX_SIZE, fp, sizeof(fp));
}

void kx_seal_ad(const struct kx_epoch_key *m, uint8_t ad[static KX_SEAL_AD_BYTES])
{
	/* keying.md 3: meeting_id || e || H(roster_e) || host id || member id */
	memcpy(ad, m->meeting, KX_MEETING_ID_BYTES);
	kx_put_be64(ad + 16, m->epoch);
	memcpy(ad + 24, m->roster, KX_HASH_BYTES);
	kx_put_be16(ad + 56, m->from);
	kx_put_be16(ad + 58, m->to);
}

int kx_epoch_key_seal_nonce(struct kx_epoch_key *m, const uint8_t pair_key[static KX_SECRET_BYTES],
			    const uint8_t e_secret[static KX_SECRET_BYTES],
			    const uint8_t nonce[static KX_NONCE_BYTES])
{
	uint8_t ad[KX_SEAL_AD_BYTES];
	unsigned long long clen;

	if (kx_init())
		return -EIO;
	memmove(m->nonce, nonce, KX_NONCE_BYTES);
	kx_seal_ad(m, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(m->sealed, &clen, e_secret, KX_SECRET_BYTES, ad,
						   sizeof(ad), NULL, m->nonce, pair_key);
	return clen == KX_SEALED_BYTES ? 0 : -EIO;
}

int kx_epoch_key_seal(struct kx_epoch_key *m, const uint8_t pair_key[static KX_SECRET_BYTES],
		      const uint8_t e_secret[static KX_SECRET_BYTES])
{
	uint8_t nonce[KX_NONCE_BYTES];

	/* 192-bit random nonces: no counter state to lose across restarts. */
	if (kx_init())
		return -EIO;
	randombytes_buf(nonce, sizeof(nonce));
	return kx_epoch_key_seal_nonce(m, pair_key, e_secret, nonce);
}

int kx_epoch_key_open(const struct kx_epoch_key *m, const uint8_t pair_key[static KX_SECRET_BYTES],
		      uint8_t e_secret[static KX_SECRET_BYTES])
{
	uint8_t ad[KX_SEAL_AD_BYTES];
	unsigned long long mlen;

	if (kx_init())
		return -EIO;
	kx_seal_ad(m, ad);
	/* libsodium checks the tag (in constant time) before it decrypts. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(e_secret, &mlen, NULL, m->sealed,
						       KX_SEALED_BYTES, ad, sizeof(ad), m->nonce,
						       pair_key) ||
	    mlen != KX_SECRET_BYTES) {
		e2ee_wipe(e_secret, KX_SECRET_BYTES);
		return -EBADMSG;
	}
	return 0;
}
