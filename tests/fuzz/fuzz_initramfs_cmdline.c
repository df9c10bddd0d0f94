// SPDX-License-Identifier: MIT
/*
 * The product initramfs's kernel command-line rule
 * (rootfs/initramfs-cmdline.c) on any text. Besides memory safety: an
 * accepted line has no byte outside printable ASCII but its final newline,
 * no quote, and each of its space-separated words is one of the allowed
 * ones, checked here by a second, plainer reading; the named argument is
 * always terminated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs-cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int plain_allowed(const char *w)
{
	static const char *const exact[] = { "rw", "ro", "quiet" };
	static const char *const prefix[] = { "console=", "root=", "loglevel=", "panic=",
					      "init=", "BOOT_IMAGE=", "sealroom." };

	for (size_t i = 0; i < 3; i++)
		if (!strcmp(w, exact[i]))
			return 1;
	for (size_t i = 0; i < 7; i++)
		if (!strncmp(w, prefix[i], strlen(prefix[i])))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), bad[32];
	int root, init, ret;
	size_t n;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	ret = initramfs_cmdline_check(line, bad, sizeof bad, &root, &init);
	if (strnlen(bad, sizeof bad) == sizeof bad)
		abort();
	if (ret != 0 && ret != -EPERM && ret != -EINVAL)
		abort();
	if (!ret) {
		n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e ||
			    line[i] == '"')
				abort();
		for (char *w = strtok(line, " "); w; w = strtok(NULL, " "))
			if (!plain_allowed(w))
				abort();
	}
	free(line);
	return 0;
}
