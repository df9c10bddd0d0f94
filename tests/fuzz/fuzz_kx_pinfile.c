// SPDX-License-Identifier: MIT
/*
 * The pin-file parser (keyxchg/pinstore.c) on arbitrary contents: no crash,
 * and every pin it accepts has a valid device id, with no duplicates.
 */
#include "fuzz_kx_common.h"
#include "kx/pinstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kx_pinstore ps;

	memset(&ps, 0, sizeof(ps));
	if (kx_pin_parse(&ps, (const char *)data, size) == 0) {
		for (size_t i = 0; i < ps.n; i++) {
			if (!kx_device_id_valid(ps.pins[i].device, strlen(ps.pins[i].device)))
				abort();
			for (size_t j = 0; j < i; j++)
				if (!strcmp(ps.pins[i].device, ps.pins[j].device))
					abort();
		}
	}
	kx_pin_close(&ps);
	return 0;
}
