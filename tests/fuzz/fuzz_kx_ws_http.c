// SPDX-License-Identifier: MIT
/*
 * kx_ws's check of the relay's upgrade answer (keyxchg/net/kx_ws_http.c) on
 * arbitrary bytes. The expected Sec-WebSocket-Accept is fixed (the one of
 * RFC 6455 1.3's example key), so that the seeds can reach acceptance.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../keyxchg/net/kx_ws_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char accept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
	const char *detail = NULL;
	char *head;
	int r;

	/* An exact-size copy: ASan catches any read past len. */
	head = malloc(size ? size : 1);
	if (!head)
		return 0;
	memcpy(head, data, size);
	r = kx_ws_check_upgrade(head, size, accept, sizeof(accept) - 1, &detail);
	/* Accepted only with the accept value in it; refused only with a reason. */
	if ((r == 0 && (detail || !memmem(head, size, accept, sizeof(accept) - 1))) ||
	    (r != 0 && !detail))
		abort();
	free(head);
	return 0;
}
