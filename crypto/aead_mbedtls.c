// SPDX-License-Identifier: MIT
/*
 * The mbedTLS 2.28 AEAD backend (aead.h), kept for `make AEAD=mbedtls`:
 * AES-GCM for suites 4 and 5, AES-CTR and HMAC-SHA256 for suites 1 to 3,
 * every context inside the caller's struct e2ee_sframe_key. mbedTLS itself
 * allocates its cipher context once per key (mbedtls_gcm_setkey,
 * mbedtls_md_setup) and wipes and frees it in e2ee_aead_free().
 * docs/crypto-backend.md says why it is no longer the default.
 */
#include <errno.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>

#include "aead.h"
#include "e2ee/secret.h"

union __attribute__((may_alias)) mstate {
	mbedtls_gcm_context gcm;
	struct {
		mbedtls_aes_context aes;
		mbedtls_md_context_t hmac;
	} ctr;
};

_Static_assert(sizeof(union mstate) <= sizeof(struct e2ee_aead_state), "state too large");

/* mbedTLS needs no process-wide set-up, and locks nothing. */
int e2ee_aead_init(void)
{
	return 0;
}

bool e2ee_aead_keys_locked(void)
{
	return false;
}

const char *e2ee_aead_backend_name(void)
{
	return "mbedtls";
}

int e2ee_aead_setup(struct e2ee_aead_state *st, const struct e2ee_suite_info *s,
		    const uint8_t *sframe_key)
{
	union mstate *m = (union mstate *)st;

	memset(m, 0, sizeof(*m));
	if (s->gcm) {
		mbedtls_gcm_init(&m->gcm);
		if (mbedtls_gcm_setkey(&m->gcm, MBEDTLS_CIPHER_ID_AES, sframe_key, s->nk * 8u))
			return -ENOMEM;
		return 0;
	}
	mbedtls_aes_init(&m->ctr.aes);
	mbedtls_md_init(&m->ctr.hmac);
	if (mbedtls_aes_setkey_enc(&m->ctr.aes, sframe_key, s->nka * 8u) ||
	    mbedtls_md_setup(&m->ctr.hmac, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) ||
	    mbedtls_md_hmac_starts(&m->ctr.hmac, sframe_key + s->nka, s->nk - s->nka))
		return -ENOMEM;
	return 0;
}

void e2ee_aead_free(struct e2ee_aead_state *st, const struct e2ee_suite_info *s)
{
	union mstate *m = (union mstate *)st;

	/* The *_free functions zeroize what they free and the context itself. */
	if (s->gcm) {
		mbedtls_gcm_free(&m->gcm);
	} else {
		mbedtls_aes_free(&m->ctr.aes);
		mbedtls_md_free(&m->ctr.hmac);
	}
}

/*
 * mbedTLS 2.28's one-shot GCM takes the AAD in one piece: stage aad[0] ||
 * aad[1] on the stack (hence E2EE_SFRAME_MAX_METADATA).
 */
#define AAD_MAX (E2EE_SFRAME_MAX_HEADER + E2EE_SFRAME_MAX_METADATA)

static int stage_aad(uint8_t aad[static AAD_MAX], const struct e2ee_span *in, size_t *len)
{
	if (in[0].len + in[1].len > AAD_MAX)
		return -EMSGSIZE;
	if (in[0].len)
		memcpy(aad, in[0].p, in[0].len);
	if (in[1].len)
		memcpy(aad + in[0].len, in[1].p, in[1].len);
	*len = in[0].len + in[1].len;
	return 0;
}

int e2ee_aead_gcm_seal(struct e2ee_aead_state *st, const uint8_t nonce[static E2EE_SFRAME_NN],
		       const struct e2ee_span aad[static 2], const uint8_t *pt, size_t len,
		       uint8_t *ct, uint8_t tag[static E2EE_GCM_TAG])
{
	union mstate *m = (union mstate *)st;
	uint8_t buf[AAD_MAX];
	size_t alen;
	int ret = stage_aad(buf, aad, &alen);

	if (!ret && mbedtls_gcm_crypt_and_tag(&m->gcm, MBEDTLS_GCM_ENCRYPT, len, nonce,
					      E2EE_SFRAME_NN, buf, alen, pt, ct, E2EE_GCM_TAG, tag))
		ret = -EIO;
	return ret;
}

int e2ee_aead_gcm_open(struct e2ee_aead_state *st, const uint8_t nonce[static E2EE_SFRAME_NN],
		       const struct e2ee_span aad[static 2], const uint8_t *ct, size_t len,
		       const uint8_t tag[static E2EE_GCM_TAG], uint8_t *pt)
{
	union mstate *m = (union mstate *)st;
	uint8_t buf[AAD_MAX];
	size_t alen;
	int ret = stage_aad(buf, aad, &alen);

	if (ret)
		return ret;
	/* Constant-time tag compare inside mbedTLS (it also zeroes pt on failure). */
	ret = mbedtls_gcm_auth_decrypt(&m->gcm, len, nonce, E2EE_SFRAME_NN, buf, alen, tag,
				       E2EE_GCM_TAG, ct, pt);
	return ret == MBEDTLS_ERR_GCM_AUTH_FAILED ? -EBADMSG : ret ? -EIO : 0;
}

int e2ee_aead_ctr(struct e2ee_aead_state *st, const uint8_t iv[static E2EE_CTR_IV],
		  const uint8_t *in, size_t len, uint8_t *out)
{
	union mstate *m = (union mstate *)st;
	uint8_t block[E2EE_CTR_IV], stream[16];
	size_t off = 0;
	int ret;

	memcpy(block, iv, sizeof(block));
	ret = mbedtls_aes_crypt_ctr(&m->ctr.aes, len, &off, block, stream, in, out) ? -EIO : 0;
	e2ee_wipe(stream, sizeof(stream));
	return ret;
}

int e2ee_aead_hmac(struct e2ee_aead_state *st, const struct e2ee_span *parts, size_t n,
		   uint8_t mac[static E2EE_SFRAME_MAX_NH])
{
	mbedtls_md_context_t *h = &((union mstate *)st)->ctr.hmac;

	if (mbedtls_md_hmac_reset(h))
		return -EIO;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len && mbedtls_md_hmac_update(h, parts[i].p, parts[i].len))
			return -EIO;
	return mbedtls_md_hmac_finish(h, mac) ? -EIO : 0;
}
