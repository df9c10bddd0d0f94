// SPDX-License-Identifier: MIT
/*
 * Unprotect on arbitrary frames, through the keyring as a receiver would.
 * Input: one byte choosing the suite, one byte of metadata length, the
 * metadata, then the frame. The ring holds receive keys for KIDs 0..7 and a
 * few long ones. A frame that fails must leave no plaintext in the output;
 * one that passes must fail the second time (replay).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2ee/keyring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct e2ee_keyring rings[5];
static bool ready;

static void setup(void)
{
	static const uint64_t kids[] = { 0, 1, 2, 3, 4, 5, 6, 7, 0x1000101, UINT64_MAX };
	static const uint8_t base[16] = { 0 };

	for (uint16_t s = 1; s <= 5; s++) {
		if (e2ee_keyring_init(&rings[s - 1], s, 128))
			abort();
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (e2ee_keyring_add(&rings[s - 1], kids[i], E2EE_KEY_RECV, base, 16))
				abort();
	}
	ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct e2ee_keyring *ring;
	size_t md_len, out_len;
	uint8_t *out;
	int ret;

	if (!ready)
		setup();
	if (size < 2)
		return 0;
	ring = &rings[data[0] % 5];
	md_len = data[1];
	if (size - 2 < md_len)
		return 0;
	const uint8_t *md = data + 2, *frame = data + 2 + md_len;
	size_t frame_len = size - 2 - md_len;

	out = malloc(frame_len + 1);
	if (!out)
		return 0;
	memset(out, 0xa5, frame_len + 1);
	ret = e2ee_keyring_unprotect(ring, md, md_len, frame, frame_len, out, frame_len, &out_len,
				     NULL, NULL);
	if (ret == 0) {
		if (out_len > frame_len)
			abort();
		if (e2ee_keyring_unprotect(ring, md, md_len, frame, frame_len, out, frame_len,
					   &out_len, NULL, NULL) != -EALREADY)
			abort();
	} else {
		if (out_len)
			abort();
		for (size_t i = 0; i < frame_len; i++)
			if (out[i] != 0xa5 && out[i] != 0)
				abort();
	}
	if (out[frame_len] != 0xa5)
		abort();
	free(out);
	return 0;
}
