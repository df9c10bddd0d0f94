// SPDX-License-Identifier: MIT
/*
 * The key schedule: pair keys, join ratchet, media keys, sealing E_e with
 * its associated data, fingerprints, and a whole meeting (join, leave,
 * removal) down to SFrame frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/sha256.h>

#include "e2ee/keyring.h"
#include "e2ee/secret.h"
#include "kx/schedule.h"
#include "kx_testutil.h"
#include "testutil.h"

static int setup(void **state)
{
	struct kt_party *p = calloc(KT_PARTIES, sizeof(*p));

	if (!p)
		return -1;
	kt_parties_init(p);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	kt_parties_free(*state);
	free(*state);
	return 0;
}

static void pair(struct kt_party *p, int h, int m, int self, uint8_t out[32])
{
	struct kx_pair_keys k = {p[h].ik.ik, p[m].ik.ik, p[h].ek.pk, p[m].ek.pk};

	assert_int_equal(kx_pair_key(&p[self].ek, kt_meeting, &k, out), 0);
}

static void test_pair_key(void **state)
{
	struct kt_party *p = *state;
	uint8_t a[32], b[32], c[32], zero[32] = {0};
	struct kx_pair_keys k = {p[0].ik.ik, p[1].ik.ik, p[0].ek.pk, p[1].ek.pk};

	pair(p, 0, 1, 0, a);
	pair(p, 0, 1, 1, b);
	assert_memory_equal(a, b, 32);
	/* Another member, another key; roles swapped, another key. */
	pair(p, 0, 2, 0, c);
	assert_memory_not_equal(a, c, 32);
	pair(p, 1, 0, 0, c);
	assert_memory_not_equal(a, c, 32);
	/* A third party's EK is neither side. */
	assert_int_equal(kx_pair_key(&p[2].ek, kt_meeting, &k, c), -EINVAL);
	/* A low-order peer: refused and nothing left in the output. */
	k.ek_member = zero;
	memset(c, 0xa5, sizeof(c));
	assert_int_equal(kx_pair_key(&p[0].ek, kt_meeting, &k, c), -EBADMSG);
	assert_true(tu_is_zero(c, sizeof(c)));
	/* Both sides the same key. */
	k.ek_member = p[0].ek.pk;
	assert_int_equal(kx_pair_key(&p[0].ek, kt_meeting, &k, c), -EINVAL);
}

static void test_join_ratchet_is_hkdf(void **state)
{
	static const uint8_t e0[32] = "epoch secret 0 ................";
	static const uint8_t h1[32] = "hash of roster 1 ...............";
	uint8_t prk[32], want[32], got[32];
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	/* RFC 5869 in two steps, by hand: extract(salt = H, ikm = E), expand(info). */
	assert_int_equal(mbedtls_hkdf_extract(md, h1, 32, e0, 32, prk), 0);
	assert_int_equal(
	    mbedtls_hkdf_expand(md, prk, 32, (const uint8_t *)"sealroom-v1 join", 16, want, 32), 0);
	assert_int_equal(kx_epoch_join(e0, h1, got), 0);
	assert_memory_equal(got, want, 32);
	assert_memory_not_equal(got, e0, 32);
}

/*
 * Key confirmation (PROTOCOL.md 7.2): an ack carrying the confirmation of the
 * checker's secret for its own meeting, epoch and roster passes; another
 * secret, epoch, roster hash or meeting, or one bit of the MAC, does not.
 */
static void test_confirm(void **state)
{
	uint8_t e[KX_SECRET_BYTES], other[KX_SECRET_BYTES];
	struct kx_ack a = { .epoch = 7, .from = 3 };

	(void)state;
	for (size_t i = 0; i < sizeof(e); i++) {
		e[i] = (uint8_t)i;
		other[i] = (uint8_t)(i ^ (i == 31));
	}
	memset(a.meeting, 0x11, sizeof(a.meeting));
	memset(a.roster, 0x22, sizeof(a.roster));
	assert_int_equal(kx_confirm(e, a.meeting, a.epoch, a.roster, a.confirm), 0);
	assert_int_equal(kx_confirm_check(e, &a), 0);
	assert_int_equal(kx_confirm_check(other, &a), -EBADMSG);
	a.epoch = 8;
	assert_int_equal(kx_confirm_check(e, &a), -EBADMSG);
	a.epoch = 7;
	a.roster[31] ^= 1;
	assert_int_equal(kx_confirm_check(e, &a), -EBADMSG);
	a.roster[31] ^= 1;
	a.meeting[0] ^= 1;
	assert_int_equal(kx_confirm_check(e, &a), -EBADMSG);
	a.meeting[0] ^= 1;
	a.confirm[0] ^= 0x80;
	assert_int_equal(kx_confirm_check(e, &a), -EBADMSG);
	a.confirm[0] ^= 0x80;
	assert_int_equal(kx_confirm_check(e, &a), 0);
}

static void test_media_keys(void **state)
{
	static const uint8_t e[32] = "epoch secret ...................";
	static const struct {
		const char *name;
		uint16_t sender;
		unsigned int stream;
		uint64_t epoch;
	} v[] = {
	    {"audio s0 e0", 0, E2EE_STREAM_AUDIO, 0},
	    {"video s0 e0", 0, E2EE_STREAM_VIDEO, 0},
	    {"video s1 e0", 1, E2EE_STREAM_VIDEO, 0},
	    {"video s1 e1", 1, E2EE_STREAM_VIDEO, 1},
	    {"video s1 e256 (same KID epoch byte as e0)", 1, E2EE_STREAM_VIDEO, 256},
	    {"content s256 e0", 256, E2EE_STREAM_CONTENT, 0},
	};
	uint8_t keys[6][32];

	for (size_t i = 0; i < 6; i++) {
		print_message("media key: %s\n", v[i].name);
		assert_int_equal(
		    kx_media_key(e, kt_meeting, v[i].sender, v[i].stream, v[i].epoch, keys[i]), 0);
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(keys[i], keys[j], 32);
		assert_true(kx_media_kid(v[i].stream, v[i].sender, v[i].epoch) ==
			    (((uint64_t)v[i].stream << 24) | ((uint64_t)v[i].sender << 8) |
			     (v[i].epoch & 0xff)));
	}
	assert_int_equal(kx_media_key(e, kt_meeting, 0, 256, 0, keys[0]), -EINVAL);
}

static void test_fingerprint(void **state)
{
	static const uint8_t key[32] = "a media key, 32 bytes long......";
	uint8_t buf[23 + 32], h[32], fp[8];
	char hex[KX_FINGERPRINT_HEX_SIZE];

	memcpy(buf, "sealroom-v1 fingerprint", 23);
	memcpy(buf + 23, key, 32);
	assert_int_equal(mbedtls_sha256_ret(buf, sizeof(buf), h, 0), 0);
	kx_fingerprint(key, 32, fp);
	assert_memory_equal(fp, h, 8);
	assert_memory_not_equal(fp, key, 8);
	kx_fingerprint_hex(key, 32, hex);
	assert_int_equal(strlen(hex), 16);
	for (int i = 0; i < 8; i++) {
		char two[3];

		snprintf(two, sizeof(two), "%02x", h[i]);
		assert_memory_equal(hex + 2 * i, two, 2);
	}
}

/* ------------------------------------------------------------------ sealing */

struct ad_vec {
	const char *name;
	size_t off; /* byte of struct kx_epoch_key changed after sealing */
};

#define AD(f, k)                                                                                   \
	{                                                                                          \
#f "[" #k "]", offsetof(struct kx_epoch_key, f) + (k)                              \
	}

static const struct ad_vec ad_vectors[] = {
    AD(meeting, 0), AD(meeting, 15), AD(epoch, 0),  AD(epoch, 7),   AD(roster, 0),
    AD(roster, 31), AD(from, 0),     AD(from, 1),   AD(to, 0),	    AD(to, 1),
    AD(nonce, 0),   AD(nonce, 23),   AD(sealed, 0), AD(sealed, 31), AD(sealed, 47),
};

static void test_seal_open_and_ad(void **state)
{
	static const uint8_t secret[32] = "the epoch secret E_e ...........";
	uint8_t key[32], *out = tu_canary_alloc(32);
	struct kx_epoch_key k = {.epoch = 0x0102030405060708ull, .from = 10, .to = 11};
	uint8_t ad[KX_SEAL_AD_BYTES];

	pair((struct kt_party *)*state, 0, 1, 0, key);
	memcpy(k.meeting, kt_meeting, 16);
	memset(k.roster, 0x33, 32);
	assert_int_equal(kx_epoch_key_seal(&k, key, secret), 0);
	assert_memory_not_equal(k.sealed, secret, 32);
	assert_int_equal(kx_epoch_key_open(&k, key, out), 0);
	assert_memory_equal(out, secret, 32);
	tu_canary_check(out, 32);

	/* AD layout: meeting || e(8, BE) || H(roster) || host(2, BE) || member(2, BE). */
	kx_seal_ad(&k, ad);
	assert_memory_equal(ad, kt_meeting, 16);
	assert_memory_equal(ad + 16, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_memory_equal(ad + 24, k.roster, 32);
	assert_memory_equal(ad + 56, "\x00\x0a\x00\x0b", 4);

	for (size_t i = 0; i < sizeof(ad_vectors) / sizeof(ad_vectors[0]); i++) {
		struct kx_epoch_key t = k;

		print_message("changed: %s\n", ad_vectors[i].name);
		((uint8_t *)&t)[ad_vectors[i].off] ^= 0x01;
		memset(out, 0xa5, 32);
		assert_int_equal(kx_epoch_key_open(&t, key, out), -EBADMSG);
		assert_true(tu_is_zero(out, 32));
		tu_canary_check(out, 32);
	}
	/* Another pair's key. */
	pair((struct kt_party *)*state, 0, 2, 0, key);
	assert_int_equal(kx_epoch_key_open(&k, key, out), -EBADMSG);
	assert_true(tu_is_zero(out, 32));
	/* Two seals of one secret differ (fresh nonces). */
	{
		struct kx_epoch_key k2 = k;

		assert_int_equal(kx_epoch_key_seal(&k2, key, secret), 0);
		assert_memory_not_equal(k2.nonce, k.nonce, KX_NONCE_BYTES);
	}
	tu_canary_free(out, 32);
}

/* ------------------------------------------------------------ a whole meeting */

/* Host h seals e for member m under roster r; m opens it. */
static void deliver(struct kt_party *p, int h, int m, const struct kx_roster *r,
		    const uint8_t hash[32], const uint8_t e[32], uint8_t got[32])
{
	struct kx_epoch_key k = {.epoch = r->epoch, .from = p[h].id, .to = p[m].id};
	uint8_t key[32];

	memcpy(k.meeting, r->meeting, 16);
	memcpy(k.roster, hash, 32);
	pair(p, h, m, h, key);
	assert_int_equal(kx_epoch_key_seal(&k, key, e), 0);
	e2ee_wipe(key, 32);
	pair(p, h, m, m, key);
	assert_int_equal(kx_epoch_key_open(&k, key, got), 0);
	e2ee_wipe(key, 32);
}

/* Sender s protects a frame under the media key; receiver's keyring gets it from its own E. */
static int media(struct kt_party *p, int s, const uint8_t *e_s, const uint8_t *e_r, uint64_t epoch)
{
	struct e2ee_keyring *tx = malloc(sizeof(*tx)), *rx = malloc(sizeof(*rx));
	uint8_t ks[32], kr[32], ct[128], pt[64];
	uint64_t kid = kx_media_kid(E2EE_STREAM_VIDEO, p[s].id, epoch);
	size_t len, plen;
	int ret;

	assert_int_equal(kx_media_key(e_s, kt_meeting, p[s].id, E2EE_STREAM_VIDEO, epoch, ks), 0);
	assert_int_equal(kx_media_key(e_r, kt_meeting, p[s].id, E2EE_STREAM_VIDEO, epoch, kr), 0);
	assert_int_equal(e2ee_keyring_init(tx, E2EE_SUITE_DEFAULT, 128), 0);
	assert_int_equal(e2ee_keyring_init(rx, E2EE_SUITE_DEFAULT, 128), 0);
	assert_int_equal(e2ee_keyring_add(tx, kid, E2EE_KEY_SEND, ks, 32), 0);
	assert_int_equal(e2ee_keyring_add(rx, kid, E2EE_KEY_RECV, kr, 32), 0);
	assert_int_equal(e2ee_keyring_protect(tx, kid, NULL, 0, (const uint8_t *)"frame", 5, ct,
					      sizeof(ct), &len),
			 0);
	ret = e2ee_keyring_unprotect(rx, NULL, 0, ct, len, pt, sizeof(pt), &plen, NULL, NULL);
	e2ee_keyring_clear(tx);
	e2ee_keyring_clear(rx);
	free(tx);
	free(rx);
	e2ee_wipe(ks, 32);
	e2ee_wipe(kr, 32);
	return ret;
}

static void test_meeting(void **state)
{
	struct kt_party *p = *state;
	struct kx_msg *r = calloc(3, sizeof(*r));
	uint8_t h[3][32], e0[32], e1[32], e2[32], got[4][32];

	/* Epoch 0: host 0 with members 1 and 2; E_0 random, sealed to each. */
	kt_roster(&r[0], p, 0x7, 0, 1, 0, NULL, 0);
	assert_int_equal(kx_roster_hash(&r[0].u.roster, h[0]), 0);
	assert_int_equal(kx_epoch_fresh(e0), 0);
	deliver(p, 0, 1, &r[0].u.roster, h[0], e0, got[1]);
	deliver(p, 0, 2, &r[0].u.roster, h[0], e0, got[2]);
	assert_memory_equal(got[1], e0, 32);
	assert_memory_equal(got[2], e0, 32);
	assert_int_equal(media(p, 1, got[1], got[2], 0), 0);

	/* Epoch 1: 3 joins. Members ratchet locally; only the joiner gets E_1 sealed. */
	kt_roster(&r[1], p, 0xf, 0, 1, 1, h[0], 0);
	assert_int_equal(kx_roster_hash(&r[1].u.roster, h[1]), 0);
	assert_int_equal(kx_epoch_join(e0, h[1], e1), 0);
	assert_int_equal(kx_epoch_join(got[1], h[1], got[1]), 0);
	assert_int_equal(kx_epoch_join(got[2], h[1], got[2]), 0);
	deliver(p, 0, 3, &r[1].u.roster, h[1], e1, got[3]);
	assert_memory_equal(got[1], e1, 32);
	assert_memory_equal(got[3], e1, 32);
	assert_int_equal(media(p, 3, got[3], got[2], 1), 0);
	/* The joiner cannot go back: E_0 is not derivable from E_1 (it differs, and epoch 0 media
	 * fails). */
	assert_int_equal(media(p, 1, e0, got[3], 0), -EBADMSG);

	/* Epoch 2: 2 is removed. Fresh E_2, sealed to 1 and 3 only. */
	kt_roster(&r[2], p, 0xb, 0, 1, 2, h[1], 0);
	assert_int_equal(kx_roster_hash(&r[2].u.roster, h[2]), 0);
	assert_int_equal(kx_epoch_fresh(e2), 0);
	assert_memory_not_equal(e2, e1, 32);
	deliver(p, 0, 1, &r[2].u.roster, h[2], e2, got[1]);
	deliver(p, 0, 3, &r[2].u.roster, h[2], e2, got[3]);
	assert_int_equal(media(p, 1, got[1], got[3], 2), 0);
	/* 2 still holds E_1 and ratchets it: it cannot follow. */
	assert_int_equal(kx_epoch_join(got[2], h[2], got[2]), 0);
	assert_int_equal(media(p, 1, got[1], got[2], 2), -EBADMSG);
	/* 2's pair key does not open 1's epoch key. */
	{
		struct kx_epoch_key k = {.epoch = 2, .from = p[0].id, .to = p[1].id};
		uint8_t key[32], out[32];

		memcpy(k.meeting, kt_meeting, 16);
		memcpy(k.roster, h[2], 32);
		pair(p, 0, 1, 0, key);
		assert_int_equal(kx_epoch_key_seal(&k, key, e2), 0);
		pair(p, 0, 2, 2, key);
		assert_int_equal(kx_epoch_key_open(&k, key, out), -EBADMSG);
	}
	e2ee_wipe(got, sizeof(got));
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pair_key, setup, teardown),
	    cmocka_unit_test(test_join_ratchet_is_hkdf),
	    cmocka_unit_test(test_media_keys),
	    cmocka_unit_test(test_confirm),
	    cmocka_unit_test(test_fingerprint),
	    cmocka_unit_test_setup_teardown(test_seal_open_and_ad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meeting, setup, teardown),
	};

	return cmocka_run_group_tests_name("kx_schedule", tests, NULL, NULL);
}
