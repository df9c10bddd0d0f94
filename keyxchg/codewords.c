// SPDX-License-Identifier: MIT
/* Codewords per IK, cached (keying.md "The codeword": compute once per IK). */
#include <string.h>

#include "kx/codewords.h"

void kx_codeword_cache_init(struct kx_codeword_cache *c)
{
	memset(c, 0, sizeof(*c));
}

bool kx_codeword_cached(const struct kx_codeword_cache *c, const uint8_t ik[static KX_IK_BYTES],
			char out[static E2EE_CODEWORD_SIZE])
{
	for (unsigned int i = 0; i < c->n; i++) {
		if (!memcmp(c->e[i].ik, ik, KX_IK_BYTES)) {
			memcpy(out, c->e[i].word, E2EE_CODEWORD_SIZE);
			return true;
		}
	}
	return false;
}

int kx_codeword(struct kx_codeword_cache *c, const uint8_t ik[static KX_IK_BYTES],
		char out[static E2EE_CODEWORD_SIZE])
{
	char word[E2EE_CODEWORD_SIZE];
	unsigned int slot;
	int ret;

	/* IKs are public: a plain comparison is fine here. */
	if (kx_codeword_cached(c, ik, out))
		return 0;
	ret = e2ee_codeword(ik, word);
	c->computed++;
	if (ret)
		return ret;
	if (c->n < KX_CODEWORD_CACHE) {
		slot = c->n++;
	} else {
		slot = c->next; /* the oldest */
		c->next = (c->next + 1) % KX_CODEWORD_CACHE;
	}
	memcpy(c->e[slot].word, word, E2EE_CODEWORD_SIZE);
	memcpy(c->e[slot].ik, ik, KX_IK_BYTES);
	memcpy(out, c->e[slot].word, E2EE_CODEWORD_SIZE);
	return 0;
}
