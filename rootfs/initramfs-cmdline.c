// SPDX-License-Identifier: MIT
/*
 * The product initramfs's rule for the kernel command line
 * (initramfs-cmdline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "initramfs-cmdline.h"

/* Whether the argument at arg (len bytes) is one the product boots with. */
static int allowed(const char *arg, size_t len)
{
	static const char *const bare[] = { "rw", "ro", "quiet" };
	/* sealroom-init ignores each sealroom.* in a product, and says so. */
	static const char *const valued[] = { "console=", "root=", "loglevel=", "panic=",
					      "init=", "BOOT_IMAGE=", "sealroom." };

	for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
		if (len == strlen(bare[i]) && !memcmp(arg, bare[i], len))
			return 1;
	for (size_t i = 0; i < sizeof valued / sizeof valued[0]; i++)
		if (len >= strlen(valued[i]) && !memcmp(arg, valued[i], strlen(valued[i])))
			return 1;
	return 0;
}

int initramfs_cmdline_check(const char *cmdline, char *bad, size_t badlen, int *has_root,
			    int *has_init)
{
	size_t n = strlen(cmdline);

	*has_root = *has_init = 0;
	if (badlen)
		bad[0] = '\0';
	if (n && cmdline[n - 1] == '\n')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cmdline[i];

		if (c < 0x20 || c > 0x7e || c == '"') {
			if (badlen)
				snprintf(bad, badlen, "byte 0x%02x at %zu", c, i);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n;) {
		size_t len = 0;

		if (cmdline[i] == ' ') {
			i++;
			continue;
		}
		while (i + len < n && cmdline[i + len] != ' ')
			len++;
		if (!allowed(cmdline + i, len)) {
			if (badlen)
				snprintf(bad, badlen, "%.*s", (int)(len < 64 ? len : 64), cmdline + i);
			return -EPERM;
		}
		*has_root |= len >= 5 && !memcmp(cmdline + i, "root=", 5);
		*has_init |= len >= 5 && !memcmp(cmdline + i, "init=", 5);
		i += len;
	}
	return 0;
}
