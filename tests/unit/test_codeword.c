// SPDX-License-Identifier: MIT
/* The codeword (keying.md) and proquints; secret helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e2ee/codeword.h"
#include "e2ee/secret.h"

static void test_known_answer(void **state)
{
	static const uint8_t zero[32];
	char word[E2EE_CODEWORD_SIZE];

	memset(word, 'x', sizeof(word));
	assert_int_equal(e2ee_codeword(zero, word), 0);
	assert_string_equal(word, "mavoj-pubip-gubad-gamiv");
}

static void test_different_keys_differ(void **state)
{
	uint8_t ik[32] = { 0 };
	char a[E2EE_CODEWORD_SIZE], b[E2EE_CODEWORD_SIZE];

	assert_int_equal(e2ee_codeword(ik, a), 0);
	ik[31] = 1;
	assert_int_equal(e2ee_codeword(ik, b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(b), E2EE_CODEWORD_LEN);
	/* Deterministic. */
	assert_int_equal(e2ee_codeword(ik, a), 0);
	assert_string_equal(a, b);
}

static void test_proquint(void **state)
{
	char s[E2EE_PROQUINT_LEN + 1];
	uint16_t v;

	/* The proquint paper's example: 127.0.0.1 is lusab-babad. */
	e2ee_proquint_encode(0x7f00, s);
	assert_string_equal(s, "lusab");
	e2ee_proquint_encode(0x0001, s);
	assert_string_equal(s, "babad");
	for (unsigned int x = 0; x <= 0xffff; x++) {
		e2ee_proquint_encode((uint16_t)x, s);
		assert_int_equal(e2ee_proquint_decode(s, &v), 0);
		assert_int_equal(v, x);
	}
	assert_int_equal(e2ee_proquint_decode("LUSAB", &v), 0);
	assert_int_equal(v, 0x7f00);
	assert_int_equal(e2ee_proquint_decode("lusae", &v), -EINVAL); /* e is no consonant */
	assert_int_equal(e2ee_proquint_decode("lbsab", &v), -EINVAL); /* b is no vowel */
	assert_int_equal(e2ee_proquint_decode("lus-b", &v), -EINVAL);
}

static void test_secret_helpers(void **state)
{
	uint8_t a[33], b[33];

	memset(a, 0x42, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(e2ee_ct_equal(a, b, sizeof(a)));
	for (size_t i = 0; i < sizeof(a) * 8; i++) {
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_false(e2ee_ct_equal(a, b, sizeof(a)));
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_true(e2ee_ct_equal(a, b, 0));
	e2ee_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		assert_int_equal(a[i], 0);
	e2ee_wipe(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_different_keys_differ),
		cmocka_unit_test(test_proquint),
		cmocka_unit_test(test_secret_helpers),
	};

	return cmocka_run_group_tests_name("codeword", tests, NULL, NULL);
}
