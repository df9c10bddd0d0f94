// SPDX-License-Identifier: MIT
/* The keyring: usage, counters, replay window, capacity, expiry, ratchet. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/hkdf.h>

#include "e2ee/keyring.h"
#include "testutil.h"

static const uint8_t base_a[16] = "sixteen byte key";
static const uint8_t base_b[16] = "another base key";

struct pair {
	struct e2ee_keyring tx, rx;
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (!p || e2ee_keyring_init(&p->tx, E2EE_SUITE_DEFAULT, 128) ||
	    e2ee_keyring_init(&p->rx, E2EE_SUITE_DEFAULT, 128))
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	e2ee_keyring_clear(&p->tx);
	e2ee_keyring_clear(&p->rx);
	free(p);
	return 0;
}

/* Sends one frame from tx under kid; returns its length in ct. */
static size_t send_frame(struct e2ee_keyring *tx, uint64_t kid, uint8_t *ct, size_t cap)
{
	static const uint8_t pt[40] = "an encoded frame, any bytes at all......";
	size_t len;

	assert_int_equal(e2ee_keyring_protect(tx, kid, NULL, 0, pt, sizeof(pt), ct, cap, &len), 0);
	return len;
}

static int recv_frame(struct e2ee_keyring *rx, const uint8_t *ct, size_t len, uint64_t *ctr)
{
	uint8_t out[64];
	size_t olen;
	uint64_t kid;

	return e2ee_keyring_unprotect(rx, NULL, 0, ct, len, out, sizeof(out), &olen, &kid, ctr);
}

static void test_round_trip_and_counter(void **state)
{
	struct pair *p = *state;
	uint8_t ct[128];
	uint64_t ctr;

	assert_int_equal(e2ee_keyring_add(&p->tx, 7, E2EE_KEY_SEND, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->rx, 7, E2EE_KEY_RECV, base_a, 16), 0);
	for (uint64_t i = 0; i < 300; i++) {
		size_t len = send_frame(&p->tx, 7, ct, sizeof(ct));

		assert_int_equal(recv_frame(&p->rx, ct, len, &ctr), 0);
		assert_true(ctr == i);
	}
}

static void test_unknown_kid(void **state)
{
	struct pair *p = *state;
	uint8_t ct[128], out[64];
	size_t len, olen;
	uint64_t kid = 0;

	assert_int_equal(e2ee_keyring_add(&p->tx, 300, E2EE_KEY_SEND, base_a, 16), 0);
	len = send_frame(&p->tx, 300, ct, sizeof(ct));
	assert_int_equal(
		e2ee_keyring_unprotect(&p->rx, NULL, 0, ct, len, out, sizeof(out), &olen, &kid, NULL),
		-ENOKEY);
	assert_true(kid == 300);
	assert_int_equal(e2ee_keyring_protect(&p->tx, 301, NULL, 0, out, 1, ct, sizeof(ct), &len),
			 -ENOENT);
}

static void test_usage_is_exclusive(void **state)
{
	struct pair *p = *state;
	uint8_t ct[128], pt[8] = { 0 };
	size_t len;

	assert_int_equal(e2ee_keyring_add(&p->tx, 1, E2EE_KEY_SEND, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->tx, 2, E2EE_KEY_RECV, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->tx, 2, E2EE_KEY_SEND, base_a, 16), -EEXIST);
	assert_int_equal(e2ee_keyring_add(&p->tx, 3, E2EE_KEY_SEND | E2EE_KEY_RECV, base_a, 16),
			 -EINVAL);
	/* A receive key used to send. */
	assert_int_equal(e2ee_keyring_protect(&p->tx, 2, NULL, 0, pt, sizeof(pt), ct, sizeof(ct),
					      &len),
			 -EPERM);
	/* A send key used to receive: the frame names KID 1, which tx holds for sending. */
	len = send_frame(&p->tx, 1, ct, sizeof(ct));
	assert_int_equal(recv_frame(&p->tx, ct, len, NULL), -EPERM);
	assert_true(e2ee_keyring_has(&p->tx, 1, E2EE_KEY_SEND));
	assert_false(e2ee_keyring_has(&p->tx, 1, E2EE_KEY_RECV));
}

static void test_replay_and_window(void **state)
{
	struct pair *p = *state;
	uint8_t frames[300][128];
	size_t lens[300];

	assert_int_equal(e2ee_keyring_add(&p->tx, 9, E2EE_KEY_SEND, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->rx, 9, E2EE_KEY_RECV, base_a, 16), 0);
	for (int i = 0; i < 300; i++)
		lens[i] = send_frame(&p->tx, 9, frames[i], sizeof(frames[i]));

	/* Out of order within the window is fine, once. */
	assert_int_equal(recv_frame(&p->rx, frames[5], lens[5], NULL), 0);
	assert_int_equal(recv_frame(&p->rx, frames[2], lens[2], NULL), 0);
	assert_int_equal(recv_frame(&p->rx, frames[5], lens[5], NULL), -EALREADY);
	assert_int_equal(recv_frame(&p->rx, frames[2], lens[2], NULL), -EALREADY);

	/* Top 299: the window of 128 covers 172..299. */
	assert_int_equal(recv_frame(&p->rx, frames[299], lens[299], NULL), 0);
	assert_int_equal(recv_frame(&p->rx, frames[172], lens[172], NULL), 0);
	assert_int_equal(recv_frame(&p->rx, frames[171], lens[171], NULL), -EALREADY);
	assert_int_equal(recv_frame(&p->rx, frames[3], lens[3], NULL), -EALREADY);
	assert_int_equal(recv_frame(&p->rx, frames[299], lens[299], NULL), -EALREADY);
	for (int i = 173; i < 299; i++)
		assert_int_equal(recv_frame(&p->rx, frames[i], lens[i], NULL), 0);
	for (int i = 172; i < 300; i++)
		assert_int_equal(recv_frame(&p->rx, frames[i], lens[i], NULL), -EALREADY);
}

/* A forged frame with a huge counter must not move the window. */
static void test_forgery_does_not_move_window(void **state)
{
	struct pair *p = *state;
	uint8_t ct[128], forged[128];
	size_t len;

	assert_int_equal(e2ee_keyring_add(&p->tx, 9, E2EE_KEY_SEND, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->rx, 9, E2EE_KEY_RECV, base_a, 16), 0);
	len = send_frame(&p->tx, 9, ct, sizeof(ct));
	/* Header KID 9, CTR 2^40 (6 bytes), then the real frame's body. */
	forged[0] = 0x80 | 0x08 | 5;
	forged[1] = 9;
	memset(forged + 2, 0, 6);
	forged[2] = 1;
	/* The real frame's header is 2 bytes (KID 9 extended, CTR 0 inline). */
	memcpy(forged + 8, ct + 2, len - 2);
	assert_int_equal(recv_frame(&p->rx, forged, len + 6, NULL), -EBADMSG);
	assert_int_equal(recv_frame(&p->rx, ct, len, NULL), 0);
}

static void test_counter_exhaustion(void **state)
{
	struct pair *p = *state;
	uint8_t ct[128], pt[4] = { 0 };
	uint64_t ctr;
	size_t len;

	assert_int_equal(e2ee_keyring_add(&p->tx, 4, E2EE_KEY_SEND, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->rx, 4, E2EE_KEY_RECV, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_advance_send_ctr(&p->tx, 4, UINT64_MAX - 1), 0);
	/* Never backwards. */
	assert_int_equal(e2ee_keyring_advance_send_ctr(&p->tx, 4, 5), -EINVAL);
	len = send_frame(&p->tx, 4, ct, sizeof(ct));
	assert_int_equal(recv_frame(&p->rx, ct, len, &ctr), 0);
	assert_true(ctr == UINT64_MAX - 1);
	len = send_frame(&p->tx, 4, ct, sizeof(ct));
	assert_int_equal(recv_frame(&p->rx, ct, len, &ctr), 0);
	assert_true(ctr == UINT64_MAX);
	/* The counter space is spent: refuse, do not wrap to 0. */
	assert_int_equal(e2ee_keyring_protect(&p->tx, 4, NULL, 0, pt, sizeof(pt), ct, sizeof(ct),
					      &len),
			 -EOVERFLOW);
	assert_int_equal(e2ee_keyring_advance_send_ctr(&p->tx, 4, UINT64_MAX), -EINVAL);
	assert_int_equal(e2ee_keyring_protect(&p->tx, 4, NULL, 0, pt, sizeof(pt), ct, sizeof(ct),
					      &len),
			 -EOVERFLOW);
}

/* A failed protect (buffer too small) does not consume a counter. */
static void test_failed_protect_keeps_counter(void **state)
{
	struct pair *p = *state;
	uint8_t ct[128], pt[40] = { 0 };
	uint64_t ctr;
	size_t len;

	assert_int_equal(e2ee_keyring_add(&p->tx, 4, E2EE_KEY_SEND, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->rx, 4, E2EE_KEY_RECV, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_protect(&p->tx, 4, NULL, 0, pt, sizeof(pt), ct, 10, &len),
			 -ENOSPC);
	len = send_frame(&p->tx, 4, ct, sizeof(ct));
	assert_int_equal(recv_frame(&p->rx, ct, len, &ctr), 0);
	assert_true(ctr == 0);
}

static void test_capacity_remove_expire(void **state)
{
	struct pair *p = *state;

	for (uint64_t i = 0; i < E2EE_KEYRING_CAPACITY; i++)
		assert_int_equal(e2ee_keyring_add(&p->rx, 1000 + i, E2EE_KEY_RECV, base_b, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->rx, 5, E2EE_KEY_RECV, base_b, 16), -ENOSPC);
	assert_int_equal(e2ee_keyring_remove(&p->rx, 1000), 0);
	assert_int_equal(e2ee_keyring_remove(&p->rx, 1000), -ENOENT);
	assert_int_equal(e2ee_keyring_add(&p->rx, 5, E2EE_KEY_RECV, base_b, 16), 0);

	assert_int_equal(e2ee_keyring_set_expiry(&p->rx, 1001, 100), 0);
	assert_int_equal(e2ee_keyring_set_expiry(&p->rx, 1002, 200), 0);
	assert_int_equal(e2ee_keyring_set_expiry(&p->rx, 77, 200), -ENOENT);
	assert_int_equal(e2ee_keyring_expire(&p->rx, 99), 0);
	assert_int_equal(e2ee_keyring_expire(&p->rx, 100), 1);
	assert_false(e2ee_keyring_has(&p->rx, 1001, E2EE_KEY_RECV));
	assert_true(e2ee_keyring_has(&p->rx, 1002, E2EE_KEY_RECV));
	assert_int_equal(e2ee_keyring_expire(&p->rx, 1000), 1);
	assert_true(e2ee_keyring_has(&p->rx, 5, E2EE_KEY_RECV));

	/* A removed slot holds no key material. */
	for (size_t i = 0; i < E2EE_KEYRING_CAPACITY; i++)
		if (!p->rx.slot[i].used)
			assert_true(tu_is_zero(&p->rx.slot[i], sizeof(p->rx.slot[i])));
	e2ee_keyring_clear(&p->rx);
	assert_true(tu_is_zero(p->rx.slot, sizeof(p->rx.slot)));
}

static void test_init_arguments(void **state)
{
	struct e2ee_keyring *r = malloc(sizeof(*r));

	assert_int_equal(e2ee_keyring_init(r, 4, 64), -EINVAL);
	assert_int_equal(e2ee_keyring_init(r, 4, E2EE_REPLAY_WINDOW_MAX + 64), -EINVAL);
	assert_int_equal(e2ee_keyring_init(r, 6, 128), -EINVAL);
	assert_int_equal(e2ee_keyring_init(r, 4, 129), 0);
	assert_int_equal(r->replay_window, 192);
	assert_int_equal(e2ee_keyring_add(r, 1, E2EE_KEY_SEND, base_a, 0), -EINVAL);
	assert_int_equal(e2ee_keyring_add(r, 1, E2EE_KEY_SEND, base_a, 65), -EINVAL);
	e2ee_keyring_clear(r);
	free(r);
}

/* The largest window works at its edges too. */
static void test_max_window(void **state)
{
	static struct e2ee_keyring tx, rx;
	static uint8_t frames[E2EE_REPLAY_WINDOW_MAX + 2][64];
	static size_t lens[E2EE_REPLAY_WINDOW_MAX + 2];
	const int n = E2EE_REPLAY_WINDOW_MAX + 2;

	assert_int_equal(e2ee_keyring_init(&tx, 4, E2EE_REPLAY_WINDOW_MAX), 0);
	assert_int_equal(e2ee_keyring_init(&rx, 4, E2EE_REPLAY_WINDOW_MAX), 0);
	assert_int_equal(e2ee_keyring_add(&tx, 1, E2EE_KEY_SEND, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&rx, 1, E2EE_KEY_RECV, base_a, 16), 0);
	for (int i = 0; i < n; i++) {
		static const uint8_t pt[4] = "abcd";

		assert_int_equal(e2ee_keyring_protect(&tx, 1, NULL, 0, pt, 4, frames[i], 64, &lens[i]),
				 0);
	}
	assert_int_equal(recv_frame(&rx, frames[n - 1], lens[n - 1], NULL), 0);
	/* top = n-1 = W+1: W counters accepted, W+1 .. 2 */
	assert_int_equal(recv_frame(&rx, frames[1], lens[1], NULL), -EALREADY);
	assert_int_equal(recv_frame(&rx, frames[2], lens[2], NULL), 0);
	for (int i = 3; i < n - 1; i++)
		assert_int_equal(recv_frame(&rx, frames[i], lens[i], NULL), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(recv_frame(&rx, frames[i], lens[i], NULL), -EALREADY);
	e2ee_keyring_clear(&tx);
	e2ee_keyring_clear(&rx);
}

/* RFC 9605 5.1: base_key' = HKDF-Expand(HKDF-Extract("", base_key), "SFrame 1.0 Ratchet", Nh). */
static void test_ratchet(void **state)
{
	struct pair *p = *state;
	uint8_t prk[32], expect[32], got[32], ct[128];
	uint64_t kid = 0x10, next = e2ee_kid_ratchet_next(kid, 4);
	size_t len;

	assert_true(next == 0x11);
	assert_true(e2ee_kid_ratchet_next(0x1f, 4) == 0x10);
	assert_int_equal(mbedtls_hkdf_extract(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), NULL, 0,
					      base_a, 16, prk),
			 0);
	assert_int_equal(mbedtls_hkdf_expand(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), prk, 32,
					     (const uint8_t *)"SFrame 1.0 Ratchet", 18, expect, 32),
			 0);
	assert_int_equal(e2ee_sframe_ratchet(4, base_a, 16, got, 32), 0);
	assert_memory_equal(got, expect, 32);
	assert_int_equal(e2ee_sframe_ratchet(4, base_a, 16, got, 16), -EINVAL);

	assert_int_equal(e2ee_keyring_add(&p->tx, kid, E2EE_KEY_SEND, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_add(&p->rx, kid, E2EE_KEY_RECV, base_a, 16), 0);
	assert_int_equal(e2ee_keyring_ratchet(&p->tx, kid, next), 0);
	assert_int_equal(e2ee_keyring_ratchet(&p->rx, kid, next), 0);
	assert_int_equal(e2ee_keyring_ratchet(&p->rx, kid, next), -EEXIST);
	assert_int_equal(e2ee_keyring_ratchet(&p->rx, 0x99, 0x9a), -ENOENT);
	assert_true(e2ee_keyring_has(&p->tx, next, E2EE_KEY_SEND));
	assert_true(e2ee_keyring_has(&p->rx, next, E2EE_KEY_RECV));
	len = send_frame(&p->tx, next, ct, sizeof(ct));
	assert_int_equal(recv_frame(&p->rx, ct, len, NULL), 0);

	/* The ratcheted key is the one a fresh ring gets from base_key'. */
	e2ee_keyring_clear(&p->rx);
	assert_int_equal(e2ee_keyring_init(&p->rx, 4, 128), 0);
	assert_int_equal(e2ee_keyring_add(&p->rx, next, E2EE_KEY_RECV, expect, 32), 0);
	len = send_frame(&p->tx, next, ct, sizeof(ct));
	assert_int_equal(recv_frame(&p->rx, ct, len, NULL), 0);
}

static void test_kid_layout(void **state)
{
	uint64_t kid = e2ee_kid_make(E2EE_STREAM_CONTENT, 0xbeef, 0x1234);

	/* frame-format.md: (context << 24) | (sender << 8) | epoch mod 256. */
	assert_true(kid == ((2ull << 24) | (0xbeefull << 8) | 0x34));
	assert_true(e2ee_kid_stream(kid) == E2EE_STREAM_CONTENT);
	assert_int_equal(e2ee_kid_sender(kid), 0xbeef);
	assert_int_equal(e2ee_kid_epoch(kid), 0x34);
	assert_true(e2ee_kid_make(E2EE_STREAM_AUDIO, 0, 0) == 0);
	assert_true(e2ee_kid_make(E2EE_STREAM_VIDEO, 1, 1) == 0x1000101);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_and_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_kid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_is_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_and_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forgery_does_not_move_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_protect_keeps_counter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_remove_expire, setup, teardown),
		cmocka_unit_test(test_init_arguments),
		cmocka_unit_test(test_max_window),
		cmocka_unit_test_setup_teardown(test_ratchet, setup, teardown),
		cmocka_unit_test(test_kid_layout),
	};

	return cmocka_run_group_tests_name("keyring", tests, NULL, NULL);
}
