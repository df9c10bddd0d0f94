// SPDX-License-Identifier: MIT
/*
 * RFC 9605 against its published vectors (read from ../shared at test time),
 * whole and byte by byte, and every way a frame can be wrong.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "e2ee/sframe.h"
#include "json.h"
#include "testutil.h"

static struct json *vectors;

static int load(void **state)
{
	vectors = tu_load_vectors();
	return vectors ? 0 : -1;
}

static int unload(void **state)
{
	json_free(vectors);
	return 0;
}

static void test_header_vectors(void **state)
{
	const struct json *arr = json_get(vectors, "header");
	size_t n = json_len(arr);

	assert_int_equal(n, 289);
	for (size_t i = 0; i < n; i++) {
		const struct json *v = json_at(arr, i);
		uint64_t kid, ctr, pkid, pctr;
		size_t elen;
		uint8_t *enc = json_hex(v, "encoded", &elen);
		uint8_t *buf = tu_canary_alloc(E2EE_SFRAME_MAX_HEADER);
		uint8_t padded[E2EE_SFRAME_MAX_HEADER + 4];

		assert_non_null(enc);
		assert_true(json_u64(v, "kid", &kid));
		assert_true(json_u64(v, "ctr", &ctr));
		assert_int_equal(e2ee_sframe_header_encode(kid, ctr, buf, E2EE_SFRAME_MAX_HEADER),
				 (int)elen);
		assert_memory_equal(buf, enc, elen);
		assert_int_equal(e2ee_sframe_header_len(kid, ctr), elen);
		tu_canary_check(buf, E2EE_SFRAME_MAX_HEADER);

		/* Whole, then with trailing bytes (the ciphertext that follows). */
		assert_int_equal(e2ee_sframe_header_parse(enc, elen, &pkid, &pctr), (int)elen);
		assert_true(pkid == kid && pctr == ctr);
		memcpy(padded, enc, elen);
		memset(padded + elen, 0xff, 4);
		assert_int_equal(e2ee_sframe_header_parse(padded, elen + 4, &pkid, &pctr),
				 (int)elen);
		assert_true(pkid == kid && pctr == ctr);

		/* Byte by byte: every strict prefix is truncated. */
		for (size_t k = 0; k < elen; k++)
			assert_int_equal(e2ee_sframe_header_parse(enc, k, &pkid, &pctr), -EBADMSG);
		/* Encoding into every too-small buffer fails and writes nothing past it. */
		for (size_t k = 0; k < elen; k++)
			assert_int_equal(e2ee_sframe_header_encode(kid, ctr, buf, k), -ENOSPC);
		tu_canary_free(buf, E2EE_SFRAME_MAX_HEADER);
		free(enc);
	}
}

static void test_header_rejects_non_minimal(void **state)
{
	/* KID 5 written in extended form, CTR 0x0001 with a leading zero byte. */
	static const uint8_t kid_ext[] = { 0x80 | 0x00, 0x05 };
	static const uint8_t ctr_zero[] = { 0x09, 0x00, 0x01 };
	static const uint8_t kid_zero[] = { 0x90, 0x00, 0xff };
	uint64_t kid, ctr;

	assert_int_equal(e2ee_sframe_header_parse(kid_ext, sizeof(kid_ext), &kid, &ctr), -EBADMSG);
	assert_int_equal(e2ee_sframe_header_parse(ctr_zero, sizeof(ctr_zero), &kid, &ctr),
			 -EBADMSG);
	assert_int_equal(e2ee_sframe_header_parse(kid_zero, sizeof(kid_zero), &kid, &ctr),
			 -EBADMSG);
}

/* RFC 9605 4.5.1, the three AES-CTR+HMAC vectors: key split, nonce, aad, tag. */
static void test_aes_ctr_hmac_vectors(void **state)
{
	const struct json *arr = json_get(vectors, "aes_ctr_hmac");

	assert_int_equal(json_len(arr), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct json *v = json_at(arr, i);
		size_t klen, eklen, aklen, nlen, alen, plen, clen, got;
		uint8_t *key = json_hex(v, "key", &klen), *ek = json_hex(v, "enc_key", &eklen);
		uint8_t *ak = json_hex(v, "auth_key", &aklen), *nonce = json_hex(v, "nonce", &nlen);
		uint8_t *aad = json_hex(v, "aad", &alen), *pt = json_hex(v, "pt", &plen);
		uint8_t *ct = json_hex(v, "ct", &clen);
		uint8_t salt[E2EE_SFRAME_NN] = { 0 };
		struct e2ee_sframe_key k;
		uint64_t suite;
		uint8_t *out;

		assert_true(key && ek && ak && nonce && aad && pt && ct);
		assert_true(json_u64(v, "cipher_suite", &suite));
		assert_int_equal(nlen, E2EE_SFRAME_NN);
		/* enc_key || auth_key is the sframe_key (RFC 9605 4.5.1). */
		assert_int_equal(eklen + aklen, klen);
		assert_memory_equal(key, ek, eklen);
		assert_memory_equal(key + eklen, ak, aklen);

		assert_int_equal(e2ee_sframe_key_init_raw(&k, (uint16_t)suite, 0, key, salt), 0);
		out = tu_canary_alloc(clen);
		assert_int_equal(e2ee_aead_encrypt(&k, nonce, aad, alen, NULL, 0, pt, plen, out), 0);
		assert_memory_equal(out, ct, clen);
		tu_canary_check(out, clen);
		/* The AAD split in two pieces gives the same tag. */
		assert_int_equal(e2ee_aead_encrypt(&k, nonce, aad, 3, aad + 3, alen - 3, pt, plen, out),
				 0);
		assert_memory_equal(out, ct, clen);
		tu_canary_free(out, clen);

		out = tu_canary_alloc(plen);
		assert_int_equal(e2ee_aead_decrypt(&k, nonce, aad, alen, NULL, 0, ct, clen, out), 0);
		assert_memory_equal(out, pt, plen);
		tu_canary_check(out, plen);
		got = clen;
		for (size_t bit = 0; bit < got * 8; bit++) {
			ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(e2ee_aead_decrypt(&k, nonce, aad, alen, NULL, 0, ct, clen, out),
					 -EBADMSG);
			assert_true(tu_is_zero(out, plen));
			ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		tu_canary_free(out, plen);
		e2ee_sframe_key_wipe(&k);
		free(key), free(ek), free(ak), free(nonce), free(aad), free(pt), free(ct);
	}
}

struct sframe_vec {
	uint64_t suite, kid, ctr;
	uint8_t *base_key, *key_label, *salt_label, *secret, *sframe_key, *sframe_salt;
	uint8_t *metadata, *nonce, *aad, *pt, *ct;
	size_t base_key_len, key_label_len, salt_label_len, secret_len, sframe_key_len,
		sframe_salt_len, metadata_len, nonce_len, aad_len, pt_len, ct_len;
};

static void vec_load(const struct json *v, struct sframe_vec *s)
{
	memset(s, 0, sizeof(*s));
	assert_true(json_u64(v, "cipher_suite", &s->suite));
	assert_true(json_u64(v, "kid", &s->kid));
	assert_true(json_u64(v, "ctr", &s->ctr));
#define HEX(field, name) assert_non_null(s->field = json_hex(v, name, &s->field##_len))
	HEX(base_key, "base_key");
	HEX(key_label, "sframe_key_label");
	HEX(salt_label, "sframe_salt_label");
	HEX(secret, "sframe_secret");
	HEX(sframe_key, "sframe_key");
	HEX(sframe_salt, "sframe_salt");
	HEX(metadata, "metadata");
	HEX(nonce, "nonce");
	HEX(aad, "aad");
	HEX(pt, "pt");
	HEX(ct, "ct");
#undef HEX
}

static void vec_free(struct sframe_vec *s)
{
	free(s->base_key), free(s->key_label), free(s->salt_label), free(s->secret);
	free(s->sframe_key), free(s->sframe_salt), free(s->metadata), free(s->nonce);
	free(s->aad), free(s->pt), free(s->ct);
}

static void test_sframe_vectors(void **state)
{
	const struct json *arr = json_get(vectors, "sframe");

	assert_int_equal(json_len(arr), 5);
	for (size_t i = 0; i < 5; i++) {
		const struct e2ee_suite_info *info;
		uint8_t secret[E2EE_SFRAME_MAX_NH], skey[E2EE_SFRAME_MAX_NK];
		uint8_t salt[E2EE_SFRAME_NN], hdr[E2EE_SFRAME_MAX_HEADER];
		uint8_t nonce[E2EE_SFRAME_NN];
		struct e2ee_sframe_key k;
		struct sframe_vec s;
		uint64_t ctr = 0;
		size_t len;
		int hlen;
		uint8_t *out;

		vec_load(json_at(arr, i), &s);
		info = e2ee_suite_lookup((uint16_t)s.suite);
		assert_non_null(info);
		assert_int_equal(s.secret_len, info->nh);
		assert_int_equal(s.sframe_key_len, info->nk);

		/* Labels: "SFrame 1.0 Secret key " || KID(8) || suite(2) (RFC 9605 4.4.2). */
		assert_int_equal(s.key_label_len, 22 + 10);
		assert_memory_equal(s.key_label, "SFrame 1.0 Secret key ", 22);
		assert_int_equal(s.salt_label_len, 23 + 10);
		assert_memory_equal(s.salt_label, "SFrame 1.0 Secret salt ", 23);

		/* Every intermediate value. */
		assert_int_equal(e2ee_sframe_derive((uint16_t)s.suite, s.kid, s.base_key,
						    s.base_key_len, secret, skey, salt),
				 0);
		assert_memory_equal(secret, s.secret, s.secret_len);
		assert_memory_equal(skey, s.sframe_key, s.sframe_key_len);
		assert_memory_equal(salt, s.sframe_salt, s.sframe_salt_len);
		for (size_t b = 0; b < E2EE_SFRAME_NN; b++)
			nonce[b] = (uint8_t)(salt[b] ^ (b < 4 ? 0 : (uint8_t)(s.ctr >> (8 * (11 - b)))));
		assert_memory_equal(nonce, s.nonce, E2EE_SFRAME_NN);
		hlen = e2ee_sframe_header_encode(s.kid, s.ctr, hdr, sizeof(hdr));
		assert_true(hlen > 0);
		assert_int_equal(s.aad_len, (size_t)hlen + s.metadata_len);
		assert_memory_equal(s.aad, hdr, (size_t)hlen);
		assert_memory_equal(s.aad + hlen, s.metadata, s.metadata_len);

		/* Whole frame: protect gives ct, unprotect gives pt. */
		assert_int_equal(e2ee_sframe_key_init(&k, (uint16_t)s.suite, s.kid, s.base_key,
						      s.base_key_len),
				 0);
		out = tu_canary_alloc(s.ct_len);
		assert_int_equal(e2ee_sframe_protect(&k, s.ctr, s.metadata, s.metadata_len, s.pt,
						     s.pt_len, out, s.ct_len, &len),
				 0);
		assert_int_equal(len, s.ct_len);
		assert_memory_equal(out, s.ct, s.ct_len);
		tu_canary_check(out, s.ct_len);
		/* One byte short: nothing written past the buffer. */
		assert_int_equal(e2ee_sframe_protect(&k, s.ctr, s.metadata, s.metadata_len, s.pt,
						     s.pt_len, out, s.ct_len - 1, &len),
				 -ENOSPC);
		tu_canary_free(out, s.ct_len);

		out = tu_canary_alloc(s.ct_len);
		assert_int_equal(e2ee_sframe_unprotect(&k, s.metadata, s.metadata_len, s.ct, s.ct_len,
						       out, s.ct_len, &len, &ctr),
				 0);
		assert_int_equal(len, s.pt_len);
		assert_true(ctr == s.ctr);
		assert_memory_equal(out, s.pt, s.pt_len);
		tu_canary_check(out, s.ct_len);

		/* Byte by byte: every truncation and every extension is refused. */
		for (size_t n = 0; n < s.ct_len; n++) {
			memset(out, 0x5a, s.ct_len);
			assert_int_equal(e2ee_sframe_unprotect(&k, s.metadata, s.metadata_len, s.ct, n,
							       out, s.ct_len, &len, NULL),
					 -EBADMSG);
			assert_true(tu_untouched_or_wiped(out, s.ct_len, 0x5a));
		}
		tu_canary_check(out, s.ct_len);

		/* Every single-bit flip of header, ciphertext and tag. */
		for (size_t bit = 0; bit < s.ct_len * 8; bit++) {
			s.ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(out, 0x5a, s.ct_len);
			assert_int_equal(e2ee_sframe_unprotect(&k, s.metadata, s.metadata_len, s.ct,
							       s.ct_len, out, s.ct_len, &len, NULL),
					 -EBADMSG);
			assert_int_equal(len, 0);
			assert_true(tu_untouched_or_wiped(out, s.ct_len, 0x5a));
			s.ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* Every single-bit flip of the metadata (authenticated, not sent). */
		for (size_t bit = 0; bit < s.metadata_len * 8; bit++) {
			s.metadata[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(out, 0x5a, s.ct_len);
			assert_int_equal(e2ee_sframe_unprotect(&k, s.metadata, s.metadata_len, s.ct,
							       s.ct_len, out, s.ct_len, &len, NULL),
					 -EBADMSG);
			assert_true(tu_untouched_or_wiped(out, s.ct_len, 0x5a));
			s.metadata[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* Output buffer one byte short. The out buffers above hold ct_len bytes,
		 * as a real caller's would, so a header flip that shortens the header
		 * is an authentication failure, not a short buffer. */
		if (s.pt_len)
			assert_int_equal(e2ee_sframe_unprotect(&k, s.metadata, s.metadata_len, s.ct,
							       s.ct_len, out, s.pt_len - 1, &len, NULL),
					 -ENOSPC);
		tu_canary_free(out, s.ct_len);
		e2ee_sframe_key_wipe(&k);
		vec_free(&s);
	}
}

/* A frame under another KID is not this key's, whatever its tag. */
static void test_wrong_kid_and_limits(void **state)
{
	static const uint8_t base[16] = { 1, 2, 3 };
	static uint8_t big_md[E2EE_SFRAME_MAX_METADATA + 1];
	uint8_t pt[32] = { 7 }, ct[64], out[64];
	struct e2ee_sframe_key a, b;
	size_t len;

	assert_int_equal(e2ee_sframe_key_init(&a, 4, 10, base, sizeof(base)), 0);
	assert_int_equal(e2ee_sframe_key_init(&b, 4, 11, base, sizeof(base)), 0);
	assert_int_equal(e2ee_sframe_protect(&a, 1, NULL, 0, pt, sizeof(pt), ct, sizeof(ct), &len), 0);
	assert_int_equal(e2ee_sframe_unprotect(&b, NULL, 0, ct, len, out, sizeof(out), &len, NULL),
			 -EBADMSG);
	assert_int_equal(e2ee_sframe_protect(&a, 1, big_md, sizeof(big_md), pt, sizeof(pt), ct,
					     sizeof(ct), &len),
			 -EMSGSIZE);
	e2ee_sframe_key_wipe(&b);
	assert_int_equal(e2ee_sframe_key_init(&b, 9, 11, base, sizeof(base)), -EINVAL);
	assert_int_equal(e2ee_sframe_key_init(&b, 4, 11, base, 0), -EINVAL);
	assert_int_equal(e2ee_sframe_protect(&b, 1, NULL, 0, pt, sizeof(pt), ct, sizeof(ct), &len),
			 -EINVAL);
	e2ee_sframe_key_wipe(&a);
	e2ee_sframe_key_wipe(&b);
	/* A wiped key holds nothing. */
	assert_true(tu_is_zero(&a, sizeof(a)));
}

/* Every suite, every header size: round trip at the counter extremes. */
static void test_round_trip_extremes(void **state)
{
	static const uint64_t values[] = { 0, 7, 8, 255, 256, 0xffffffffull, UINT64_MAX - 1,
					   UINT64_MAX };
	uint8_t base[32], pt[100], ct[200], out[100], md[5] = { 1, 2, 3, 4, 5 };

	for (size_t i = 0; i < sizeof(base); i++)
		base[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	for (uint16_t suite = 1; suite <= 5; suite++)
		for (size_t ki = 0; ki < 8; ki++)
			for (size_t ci = 0; ci < 8; ci++) {
				struct e2ee_sframe_key k;
				uint64_t ctr;
				size_t len, plen;

				assert_int_equal(
					e2ee_sframe_key_init(&k, suite, values[ki], base, sizeof(base)),
					0);
				assert_int_equal(e2ee_sframe_protect(&k, values[ci], md, sizeof(md), pt,
								     sizeof(pt), ct, sizeof(ct), &len),
						 0);
				assert_int_equal(len, e2ee_sframe_overhead(&k, values[ci]) + sizeof(pt));
				assert_int_equal(e2ee_sframe_unprotect(&k, md, sizeof(md), ct, len, out,
								       sizeof(out), &plen, &ctr),
						 0);
				assert_true(ctr == values[ci]);
				assert_memory_equal(out, pt, sizeof(pt));
				e2ee_sframe_key_wipe(&k);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_vectors),
		cmocka_unit_test(test_header_rejects_non_minimal),
		cmocka_unit_test(test_aes_ctr_hmac_vectors),
		cmocka_unit_test(test_sframe_vectors),
		cmocka_unit_test(test_wrong_kid_and_limits),
		cmocka_unit_test(test_round_trip_extremes),
	};

	return cmocka_run_group_tests_name("sframe", tests, load, unload);
}
