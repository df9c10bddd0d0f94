// SPDX-License-Identifier: MIT
/*
 * The meeting service's address parser (keyxchg/net/kx_ws_url.c) on
 * arbitrary bytes: what a panel sends keyxchgd and what keyxchgd reads back
 * from its state directory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../keyxchg/net/kx_ws_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kx_ws_url u;
	const char *why = NULL;
	char *s = malloc(size ? size : 1); /* exact size: ASan sees any overread */
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	r = kx_ws_url_parse(s, size, &u, &why);
	/* Accepted: a host of the allowed alphabet, a port, a path inside the
	 * text; refused: with a reason. */
	if (r == 0) {
		size_t hn = strlen(u.host), pn = strlen(u.path);

		if (why || !hn || hn > KX_WS_HOST_MAX || !u.port || pn > size ||
		    (pn && u.path[0] != '/') || strspn(u.host, "abcdefghijklmnopqrstuvwxyz"
						      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != hn ||
		    strncmp(s, "wss://", 6))
			abort();
	} else if (!why) {
		abort();
	}
	free(s);
	return 0;
}
