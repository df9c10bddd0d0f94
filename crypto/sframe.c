// SPDX-License-Identifier: MIT
/*
 * SFrame, RFC 9605: suites, header codec, key schedule (HKDF on mbedTLS),
 * nonce and AAD framing, and the CTR+HMAC construction of 4.5.1. The
 * ciphers themselves are behind the AEAD backend boundary (aead.h).
 */
#include <errno.h>
#include <string.h>

#include <mbedtls/hkdf.h>

#include "aead.h"
#include "e2ee/secret.h"
#include "e2ee/sframe.h"

/* RFC 9605 8.1 */
static const struct e2ee_suite_info suites[] = {
	{ 0x0001, "AES_128_CTR_HMAC_SHA256_80", 32, 16, 48, 12, 10, false },
	{ 0x0002, "AES_128_CTR_HMAC_SHA256_64", 32, 16, 48, 12, 8, false },
	{ 0x0003, "AES_128_CTR_HMAC_SHA256_32", 32, 16, 48, 12, 4, false },
	{ 0x0004, "AES_128_GCM_SHA256_128", 32, 0, 16, 12, 16, true },
	{ 0x0005, "AES_256_GCM_SHA512_128", 64, 0, 32, 12, 16, true },
};

const struct e2ee_suite_info *e2ee_suite_lookup(uint16_t suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == suite)
			return &suites[i];
	return NULL;
}

static const mbedtls_md_info_t *suite_md(const struct e2ee_suite_info *s)
{
	return mbedtls_md_info_from_type(s->nh == 64 ? MBEDTLS_MD_SHA512 : MBEDTLS_MD_SHA256);
}

/* Bytes needed for v in a minimal big-endian encoding (RFC 9605 4.3). */
static unsigned int be_len(uint64_t v)
{
	unsigned int n = 1;

	while (n < 8 && (v >> (8 * n)))
		n++;
	return n;
}

static void put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

size_t e2ee_sframe_header_len(uint64_t kid, uint64_t ctr)
{
	return 1 + (kid < 8 ? 0 : be_len(kid)) + (ctr < 8 ? 0 : be_len(ctr));
}

/* RFC 9605 4.3: |X|K(3)|Y|C(3)|, then KID, then CTR. */
int e2ee_sframe_header_encode(uint64_t kid, uint64_t ctr, uint8_t *out, size_t out_len)
{
	size_t need = e2ee_sframe_header_len(kid, ctr);
	uint8_t *p = out + 1;
	unsigned int n;

	if (out_len < need)
		return -ENOSPC;
	if (kid < 8) {
		out[0] = (uint8_t)(kid << 4);
	} else {
		n = be_len(kid);
		out[0] = (uint8_t)(0x80 | ((n - 1) << 4));
		put_be(p, kid, n);
		p += n;
	}
	if (ctr < 8) {
		out[0] |= (uint8_t)ctr;
	} else {
		n = be_len(ctr);
		out[0] |= (uint8_t)(0x08 | (n - 1));
		put_be(p, ctr, n);
	}
	return (int)need;
}

/*
 * One field: either the 3-bit value, or a length-1 and that many bytes.
 * Non-minimal encodings (a value under 8 in extended form, a leading zero
 * byte) are refused: the sender MUST use the minimum (RFC 9605 4.3), and one
 * (KID, CTR) has exactly one header.
 */
static int field_parse(bool ext, unsigned int v, const uint8_t **p, const uint8_t *end,
		       uint64_t *out)
{
	unsigned int n = v + 1;
	uint64_t x = 0;

	if (!ext) {
		*out = v;
		return 0;
	}
	if ((size_t)(end - *p) < n)
		return -EBADMSG;
	for (unsigned int i = 0; i < n; i++)
		x = (x << 8) | (*p)[i];
	if (x < 8 || be_len(x) != n)
		return -EBADMSG;
	*p += n;
	*out = x;
	return 0;
}

int e2ee_sframe_header_parse(const uint8_t *in, size_t in_len, uint64_t *kid, uint64_t *ctr)
{
	const uint8_t *p = in + 1, *end = in + in_len;
	uint8_t c;

	if (in_len < 1)
		return -EBADMSG;
	c = in[0];
	if (field_parse(c & 0x80, (c >> 4) & 7, &p, end, kid) ||
	    field_parse(c & 0x08, c & 7, &p, end, ctr))
		return -EBADMSG;
	return (int)(p - in);
}

/* RFC 9605 4.4.2 labels: "SFrame 1.0 Secret key " || KID(8) || suite(2). */
static size_t make_label(uint8_t *out, const char *prefix, uint64_t kid, uint16_t suite)
{
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	put_be(out + n, kid, 8);
	put_be(out + n + 8, suite, 2);
	return n + 10;
}

int e2ee_sframe_derive(uint16_t suite, uint64_t kid, const uint8_t *base_key,
		       size_t base_key_len, uint8_t *secret, uint8_t *sframe_key,
		       uint8_t *sframe_salt)
{
	const struct e2ee_suite_info *s = e2ee_suite_lookup(suite);
	uint8_t label[40];
	size_t n;
	int ret = -EINVAL;

	if (!s || !base_key_len)
		return -EINVAL;
	if (mbedtls_hkdf_extract(suite_md(s), NULL, 0, base_key, base_key_len, secret))
		goto out;
	n = make_label(label, "SFrame 1.0 Secret key ", kid, suite);
	if (mbedtls_hkdf_expand(suite_md(s), secret, s->nh, label, n, sframe_key, s->nk))
		goto out;
	n = make_label(label, "SFrame 1.0 Secret salt ", kid, suite);
	if (mbedtls_hkdf_expand(suite_md(s), secret, s->nh, label, n, sframe_salt, s->nn))
		goto out;
	ret = 0;
out:
	if (ret) {
		e2ee_wipe(secret, s->nh);
		e2ee_wipe(sframe_key, s->nk);
		e2ee_wipe(sframe_salt, s->nn);
	}
	return ret;
}

int e2ee_sframe_key_init_raw(struct e2ee_sframe_key *key, uint16_t suite, uint64_t kid,
			     const uint8_t *sframe_key, const uint8_t *sframe_salt)
{
	const struct e2ee_suite_info *s = e2ee_suite_lookup(suite);
	int ret;

	memset(key, 0, sizeof(*key));
	if (!s)
		return -EINVAL;
	key->suite = s;
	key->kid = kid;
	memcpy(key->salt, sframe_salt, E2EE_SFRAME_NN);
	ret = e2ee_aead_setup(&key->aead, s, sframe_key);
	if (ret)
		goto out;
	key->ready = true;
out:
	if (ret)
		e2ee_sframe_key_wipe(key);
	return ret;
}

int e2ee_sframe_key_init(struct e2ee_sframe_key *key, uint16_t suite, uint64_t kid,
			 const uint8_t *base_key, size_t base_key_len)
{
	uint8_t secret[E2EE_SFRAME_MAX_NH];
	uint8_t skey[E2EE_SFRAME_MAX_NK];
	uint8_t salt[E2EE_SFRAME_NN];
	int ret;

	memset(key, 0, sizeof(*key));
	ret = e2ee_sframe_derive(suite, kid, base_key, base_key_len, secret, skey, salt);
	if (ret)
		goto out;
	ret = e2ee_sframe_key_init_raw(key, suite, kid, skey, salt);
out:
	e2ee_wipe(secret, sizeof(secret));
	e2ee_wipe(skey, sizeof(skey));
	e2ee_wipe(salt, sizeof(salt));
	return ret;
}

void e2ee_sframe_key_wipe(struct e2ee_sframe_key *key)
{
	if (key->suite)
		e2ee_aead_free(&key->aead, key->suite);
	e2ee_wipe(key, sizeof(*key));
}

size_t e2ee_sframe_overhead(const struct e2ee_sframe_key *key, uint64_t ctr)
{
	return e2ee_sframe_header_len(key->kid, ctr) + key->suite->nt;
}

/* RFC 9605 4.4.3: nonce = sframe_salt XOR encode_big_endian(CTR, Nn). */
static void make_nonce(const struct e2ee_sframe_key *key, uint64_t ctr,
		       uint8_t nonce[static E2EE_SFRAME_NN])
{
	memcpy(nonce, key->salt, E2EE_SFRAME_NN);
	for (unsigned int i = 0; i < 8; i++)
		nonce[E2EE_SFRAME_NN - 1 - i] ^= (uint8_t)(ctr >> (8 * i));
}

/*
 * RFC 9605 4.5.1 compute_tag: HMAC(auth_key, len(aad) || len(ct) || Nt ||
 * nonce || aad || ct), aad being header || metadata, lengths 8 bytes BE.
 * Writes the full HMAC to mac.
 */
static int ctr_hmac_tag(struct e2ee_sframe_key *key, const uint8_t *nonce,
			const struct e2ee_span aad[static 2], const uint8_t *ct, size_t ct_len,
			uint8_t mac[static E2EE_SFRAME_MAX_NH])
{
	uint8_t lens[24];
	const struct e2ee_span parts[] = {
		{ lens, sizeof(lens) }, { nonce, E2EE_SFRAME_NN }, aad[0], aad[1], { ct, ct_len },
	};

	put_be(lens, aad[0].len + aad[1].len, 8);
	put_be(lens + 8, ct_len, 8);
	put_be(lens + 16, key->suite->nt, 8);
	return e2ee_aead_hmac(&key->aead, parts, sizeof(parts) / sizeof(parts[0]), mac);
}

/* RFC 9605 4.5.1: initial counter = nonce || 0x00000000. */
static int aes_ctr(struct e2ee_sframe_key *key, const uint8_t *nonce, const uint8_t *in,
		   size_t len, uint8_t *out)
{
	uint8_t iv[E2EE_CTR_IV] = { 0 };

	memcpy(iv, nonce, E2EE_SFRAME_NN);
	return e2ee_aead_ctr(&key->aead, iv, in, len, out);
}

/* Both pieces of the AAD are bounded (the mbedTLS backend stages them). */
static int check_aad(const struct e2ee_span aad[static 2])
{
	return aad[0].len + aad[1].len > E2EE_SFRAME_MAX_HEADER + E2EE_SFRAME_MAX_METADATA
		       ? -EMSGSIZE
		       : 0;
}

int e2ee_aead_encrypt(struct e2ee_sframe_key *key, const uint8_t nonce[static E2EE_SFRAME_NN],
		      const uint8_t *aad1, size_t aad1_len, const uint8_t *aad2, size_t aad2_len,
		      const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	const struct e2ee_span aad[2] = { { aad1, aad1_len }, { aad2, aad2_len } };
	uint8_t mac[E2EE_SFRAME_MAX_NH];
	size_t nt;
	int ret;

	if (!key->ready)
		return -EINVAL;
	if (pt_len > E2EE_SFRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	nt = key->suite->nt;
	ret = check_aad(aad);
	if (ret)
		goto out;
	if (key->suite->gcm) {
		ret = e2ee_aead_gcm_seal(&key->aead, nonce, aad, pt, pt_len, out, out + pt_len);
	} else {
		ret = aes_ctr(key, nonce, pt, pt_len, out);
		if (!ret)
			ret = ctr_hmac_tag(key, nonce, aad, out, pt_len, mac);
		if (!ret)
			memcpy(out + pt_len, mac, nt);
	}
out:
	if (ret)
		e2ee_wipe(out, pt_len + nt);
	e2ee_wipe(mac, sizeof(mac));
	return ret;
}

int e2ee_aead_decrypt(struct e2ee_sframe_key *key, const uint8_t nonce[static E2EE_SFRAME_NN],
		      const uint8_t *aad1, size_t aad1_len, const uint8_t *aad2, size_t aad2_len,
		      const uint8_t *in, size_t in_len, uint8_t *out)
{
	const struct e2ee_span aad[2] = { { aad1, aad1_len }, { aad2, aad2_len } };
	uint8_t mac[E2EE_SFRAME_MAX_NH];
	size_t nt, ct_len;
	int ret;

	if (!key->ready)
		return -EINVAL;
	nt = key->suite->nt;
	if (in_len < nt)
		return -EBADMSG;
	ct_len = in_len - nt;
	if (ct_len > E2EE_SFRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	ret = check_aad(aad);
	if (ret)
		goto out;
	if (key->suite->gcm) {
		/* GCM decrypts and hashes in one pass: out is wiped below if the tag fails. */
		ret = e2ee_aead_gcm_open(&key->aead, nonce, aad, in, ct_len, in + ct_len, out);
	} else {
		/* Tag first: nothing is decrypted before the frame is authentic. */
		ret = ctr_hmac_tag(key, nonce, aad, in, ct_len, mac);
		if (!ret && !e2ee_ct_equal(mac, in + ct_len, nt))
			ret = -EBADMSG;
		if (!ret)
			ret = aes_ctr(key, nonce, in, ct_len, out);
	}
out:
	if (ret)
		e2ee_wipe(out, ct_len);
	e2ee_wipe(mac, sizeof(mac));
	return ret;
}

int e2ee_sframe_protect(struct e2ee_sframe_key *key, uint64_t ctr, const uint8_t *metadata,
			size_t md_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
			size_t out_cap, size_t *out_len)
{
	uint8_t nonce[E2EE_SFRAME_NN];
	size_t hdr_len;
	int ret;

	*out_len = 0;
	if (!key->ready)
		return -EINVAL;
	if (md_len > E2EE_SFRAME_MAX_METADATA || pt_len > E2EE_SFRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	hdr_len = e2ee_sframe_header_len(key->kid, ctr);
	if (out_cap < hdr_len || out_cap - hdr_len < pt_len + key->suite->nt)
		return -ENOSPC;
	ret = e2ee_sframe_header_encode(key->kid, ctr, out, out_cap);
	if (ret < 0)
		return ret;
	make_nonce(key, ctr, nonce);
	/* RFC 9605 4.4.3: aad = header || metadata. */
	ret = e2ee_aead_encrypt(key, nonce, out, hdr_len, metadata, md_len, pt, pt_len,
				out + hdr_len);
	if (ret)
		e2ee_wipe(out, hdr_len);
	else
		*out_len = hdr_len + pt_len + key->suite->nt;
	return ret;
}

int e2ee_sframe_unprotect(struct e2ee_sframe_key *key, const uint8_t *metadata, size_t md_len,
			  const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
			  size_t *out_len, uint64_t *ctr_out)
{
	uint8_t nonce[E2EE_SFRAME_NN];
	uint64_t kid, ctr;
	size_t ct_len;
	int hdr_len, ret;

	*out_len = 0;
	if (!key->ready)
		return -EINVAL;
	if (md_len > E2EE_SFRAME_MAX_METADATA)
		return -EMSGSIZE;
	hdr_len = e2ee_sframe_header_parse(in, in_len, &kid, &ctr);
	if (hdr_len < 0 || kid != key->kid || in_len - (size_t)hdr_len < key->suite->nt)
		return -EBADMSG;
	ct_len = in_len - (size_t)hdr_len - key->suite->nt;
	if (ct_len > E2EE_SFRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (out_cap < ct_len)
		return -ENOSPC;
	make_nonce(key, ctr, nonce);
	ret = e2ee_aead_decrypt(key, nonce, in, (size_t)hdr_len, metadata, md_len, in + hdr_len,
				in_len - (size_t)hdr_len, out);
	if (!ret) {
		*out_len = ct_len;
		if (ctr_out)
			*ctr_out = ctr;
	}
	return ret;
}

int e2ee_sframe_ratchet(uint16_t suite, const uint8_t *base_key, size_t base_key_len,
			uint8_t *out, size_t out_len)
{
	static const char label[] = "SFrame 1.0 Ratchet";
	const struct e2ee_suite_info *s = e2ee_suite_lookup(suite);
	uint8_t secret[E2EE_SFRAME_MAX_NH];
	int ret = -EINVAL;

	if (!s || out_len != s->nh || !base_key_len)
		return -EINVAL;
	if (mbedtls_hkdf_extract(suite_md(s), NULL, 0, base_key, base_key_len, secret) ||
	    mbedtls_hkdf_expand(suite_md(s), secret, s->nh, (const uint8_t *)label,
				sizeof(label) - 1, out, out_len))
		goto out;
	ret = 0;
out:
	e2ee_wipe(secret, sizeof(secret));
	if (ret)
		e2ee_wipe(out, out_len);
	return ret;
}
