// SPDX-License-Identifier: MIT
/*
 * The admin PIN's state files (keyxchg/adminpin.c) on arbitrary contents:
 * the verifier file's parser accepts only a bounded-cost Argon2id string and
 * gives it back byte for byte (less one trailing newline); the tries file's
 * parser accepts only what keyxchgd writes ("%u\n", at most the cap). The
 * first byte picks the parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kx/adminpin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1, *why = NULL;
	char out[KX_PIN_VERIFIER_MAX + 1], text[KX_PIN_TRIES_FILE_MAX];
	unsigned int failures;
	size_t len;

	if (!size)
		return 0;
	len = size - 1;
	if (data[0] & 1) {
		if (kx_admin_pin_tries_parse(buf, len, &failures) == 0) {
			int n = snprintf(text, sizeof(text), "%u\n", failures);

			if (failures > KX_PIN_FAILURES_MAX || (size_t)n != len || memcmp(text, buf, len))
				abort();
			if (kx_admin_pin_lockout_ms(failures) > KX_PIN_DELAY_MAX_MS ||
			    kx_admin_pin_lockout_ms(failures) < 0)
				abort();
		}
		return 0;
	}
	if (kx_admin_pin_verifier_parse(buf, len, out, &why) == 0) {
		size_t n = strlen(out);

		if (why || n > KX_PIN_VERIFIER_MAX || strncmp(out, "$argon2id$v=19$m=", 17) ||
		    memcmp(out, buf, n) || (len != n && (len != n + 1 || buf[n] != '\n')))
			abort();
	} else if (!why) {
		abort();
	}
	return 0;
}
