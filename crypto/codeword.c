// SPDX-License-Identifier: MIT
/* keying.md "The codeword": Argon2id over the identity key, four proquints. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "e2ee/codeword.h"
#include "e2ee/secret.h"

static const char consonants[16] = "bdfghjklmnprstvz";
static const char vowels[4] = "aiou";

/* Bits 15-12 consonant, 11-10 vowel, 9-6 consonant, 5-4 vowel, 3-0 consonant. */
void e2ee_proquint_encode(uint16_t v, char out[static E2EE_PROQUINT_LEN + 1])
{
	out[0] = consonants[(v >> 12) & 15];
	out[1] = vowels[(v >> 10) & 3];
	out[2] = consonants[(v >> 6) & 15];
	out[3] = vowels[(v >> 4) & 3];
	out[4] = consonants[v & 15];
	out[5] = '\0';
}

static int index_of(const char *set, size_t n, char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	for (size_t i = 0; i < n; i++)
		if (set[i] == c)
			return (int)i;
	return -1;
}

int e2ee_proquint_decode(const char s[static E2EE_PROQUINT_LEN], uint16_t *v)
{
	static const uint8_t shift[E2EE_PROQUINT_LEN] = { 12, 10, 6, 4, 0 };
	unsigned int x = 0;

	for (int i = 0; i < E2EE_PROQUINT_LEN; i++) {
		bool vowel = i & 1;
		int d = vowel ? index_of(vowels, 4, s[i]) : index_of(consonants, 16, s[i]);

		if (d < 0)
			return -EINVAL;
		x |= (unsigned int)d << shift[i];
	}
	*v = (uint16_t)x;
	return 0;
}

int e2ee_codeword(const uint8_t ik[static E2EE_IDENTITY_KEY_BYTES],
		  char out[static E2EE_CODEWORD_SIZE])
{
	static const char prefix[] = "sealroom codeword v1";
	static const char salt_text[] = "sealroom codeword salt v1";
	uint8_t password[sizeof(prefix) - 1 + E2EE_IDENTITY_KEY_BYTES];
	uint8_t digest[crypto_hash_sha256_BYTES];
	uint8_t hash[16];
	int ret = -ENOMEM;

	_Static_assert(sizeof(password) == 52, "keying.md: 52-byte password");
	if (sodium_init() < 0)
		goto out;
	memcpy(password, prefix, sizeof(prefix) - 1);
	memcpy(password + sizeof(prefix) - 1, ik, E2EE_IDENTITY_KEY_BYTES);
	crypto_hash_sha256(digest, (const uint8_t *)salt_text, sizeof(salt_text) - 1);
	/* The salt is the first 16 bytes of the digest (crypto_pwhash_SALTBYTES). */
	if (crypto_pwhash(hash, sizeof(hash), (const char *)password, sizeof(password), digest,
			  E2EE_CODEWORD_OPSLIMIT, E2EE_CODEWORD_MEMLIMIT,
			  crypto_pwhash_ALG_ARGON2ID13))
		goto out;
	for (int i = 0; i < 4; i++) {
		e2ee_proquint_encode((uint16_t)(hash[2 * i] << 8 | hash[2 * i + 1]),
				     out + i * (E2EE_PROQUINT_LEN + 1));
		out[i * (E2EE_PROQUINT_LEN + 1) + E2EE_PROQUINT_LEN] = i < 3 ? '-' : '\0';
	}
	ret = 0;
out:
	e2ee_wipe(hash, sizeof(hash));
	return ret;
}
