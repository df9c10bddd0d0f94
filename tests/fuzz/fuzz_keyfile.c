// SPDX-License-Identifier: MIT
/*
 * The elements' key-file parser (gst_e2ee_load_key_file) on arbitrary file
 * contents: it must not crash, add at most one key per line, and either fail
 * with an error or succeed without one.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../pipeline/gste2ee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct e2ee_keyring ring;
	GError *error = NULL;
	size_t lines = 1;
	guint64 first = 0;
	int fd, n;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz-keyfile-%d", (int)getpid());
	if (e2ee_keyring_init(&ring, E2EE_SUITE_DEFAULT, 128))
		abort();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	n = gst_e2ee_load_key_file(&ring, path, E2EE_KEY_SEND, &first, &error);
	if ((n < 0) != (error != NULL) || (n >= 0 && (size_t)n > lines))
		abort();
	g_clear_error(&error);
	e2ee_keyring_clear(&ring);
	return 0;
}
