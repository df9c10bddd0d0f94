// SPDX-License-Identifier: MIT
/* Meeting ids bound to the host's IK (PROTOCOL.md 2.1; kx/meeting.h). */
#include <string.h>

#include <sodium.h>

#include "e2ee/codeword.h"
#include "kx/meeting.h"

/* The codeword's Argon2id parameters (keying.md "The codeword"). */
#define ARGON2_OUT 16 /* crypto_pwhash's smallest output */

int kx_meeting_tag(const uint8_t ik[static KX_IK_BYTES],
		   const uint8_t s[static KX_MEETING_SALT_BYTES],
		   uint8_t tag[static KX_MEETING_TAG_BYTES])
{
	uint8_t password[sizeof(KX_LABEL_MEETING) - 1 + KX_IK_BYTES + KX_MEETING_SALT_BYTES];
	uint8_t salt[crypto_hash_sha256_BYTES], out[ARGON2_OUT];
	int ret = -ENOMEM;

	if (kx_init())
		return ret;
	memcpy(password, KX_LABEL_MEETING, sizeof(KX_LABEL_MEETING) - 1);
	memcpy(password + sizeof(KX_LABEL_MEETING) - 1, ik, KX_IK_BYTES);
	memcpy(password + sizeof(KX_LABEL_MEETING) - 1 + KX_IK_BYTES, s, KX_MEETING_SALT_BYTES);
	crypto_hash_sha256(salt, (const uint8_t *)KX_LABEL_MEETING_SALT,
			   sizeof(KX_LABEL_MEETING_SALT) - 1);
	/* The salt is the digest's first crypto_pwhash_SALTBYTES (16) bytes. */
	if (!crypto_pwhash(out, sizeof(out), (const char *)password, sizeof(password), salt,
			   E2EE_CODEWORD_OPSLIMIT, E2EE_CODEWORD_MEMLIMIT,
			   crypto_pwhash_ALG_ARGON2ID13)) {
		memcpy(tag, out, KX_MEETING_TAG_BYTES);
		ret = 0;
	}
	return ret;
}

int kx_meeting_id_new(const uint8_t ik[static KX_IK_BYTES], uint8_t id[static KX_MEETING_ID_BYTES])
{
	if (kx_init())
		return -ENOMEM;
	randombytes_buf(id, KX_MEETING_ID_BYTES);
	/* s || tag || 6 random bytes */
	return kx_meeting_tag(ik, id, id + KX_MEETING_SALT_BYTES);
}

void kx_proquints(const uint8_t *b, unsigned int words, char *out)
{
	for (unsigned int i = 0; i < words; i++) {
		e2ee_proquint_encode((uint16_t)(b[2 * i] << 8 | b[2 * i + 1]),
				     out + i * (E2EE_PROQUINT_LEN + 1));
		out[i * (E2EE_PROQUINT_LEN + 1) + E2EE_PROQUINT_LEN] = i + 1 < words ? '-' : '\0';
	}
}

void kx_meeting_code_text(const uint8_t code[static KX_MEETING_CODE_BYTES],
			  char out[static KX_MEETING_CODE_SIZE])
{
	kx_proquints(code, KX_MEETING_CODE_BYTES / 2, out);
}

int kx_meeting_code_parse(const char *text, uint8_t code[static KX_MEETING_CODE_BYTES])
{
	if (strlen(text) != KX_MEETING_CODE_SIZE - 1)
		return -EINVAL;
	for (int i = 0; i < KX_MEETING_CODE_BYTES / 2; i++) {
		const char *w = text + i * (E2EE_PROQUINT_LEN + 1);
		uint16_t v;

		if ((i < KX_MEETING_CODE_BYTES / 2 - 1 && w[E2EE_PROQUINT_LEN] != '-') ||
		    e2ee_proquint_decode(w, &v))
			return -EINVAL;
		code[2 * i] = (uint8_t)(v >> 8);
		code[2 * i + 1] = (uint8_t)v;
	}
	return 0;
}

int kx_meeting_bound(const uint8_t id[static KX_MEETING_ID_BYTES],
		     const uint8_t code[static KX_MEETING_CODE_BYTES],
		     const uint8_t ik[static KX_IK_BYTES])
{
	uint8_t tag[KX_MEETING_TAG_BYTES];
	int ret;

	/* The cheap check first: a hello of another meeting costs no Argon2id. */
	if (memcmp(id, code, KX_MEETING_CODE_BYTES))
		return -EKEYREJECTED;
	ret = kx_meeting_tag(ik, code, tag);
	if (!ret && memcmp(tag, code + KX_MEETING_SALT_BYTES, KX_MEETING_TAG_BYTES))
		ret = -EKEYREJECTED;
	return ret;
}
