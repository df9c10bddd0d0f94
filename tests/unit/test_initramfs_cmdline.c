// SPDX-License-Identifier: MIT
/*
 * The product initramfs's kernel command-line rule (rootfs/initramfs-cmdline.h)
 * as a table of named command lines: the ones the product boots with, and
 * the ones a review or a second reader brought: a sysctl, init's
 * environment, module parameters, rdinit=, "--", and arguments hidden
 * behind a byte the kernel splits on but a split on spaces does not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "initramfs-cmdline.h"

static const struct {
	const char *name, *cmdline;
	int ret, root, init;
	const char *bad;
} vectors[] = {
	{ "QEMU's (run-qemu.sh)",
	  "console=ttyS0 root=/dev/vda rw quiet loglevel=3 panic=-1 \n", 0, 1, 0, "" },
	{ "the product test's switches",
	  "console=ttyS0 root=/dev/vda rw quiet loglevel=3 panic=-1  sealroom.mode=test "
	  "sealroom.test=x sealroom.hostroom=1 sealroom.modules=vivid "
	  "sealroom.board=qemu-x86_64-virtio-gpu init=/bin/sh root=/dev/vdb\n",
	  0, 1, 1, "" },
	{ "GRUB's BOOT_IMAGE, ro", "BOOT_IMAGE=/boot/vmlinuz ro console=tty0", 0, 0, 0, "" },
	{ "empty", "", 0, 0, 0, "" },
	{ "only a newline", "\n", 0, 0, 0, "" },
	/* refused: arguments */
	{ "a sysctl (core_pattern)", "console=ttyS0 sysctl.kernel.core_pattern=|/bin/sh",
	  -EPERM, 0, 0, "sysctl.kernel.core_pattern=|/bin/sh" },
	{ "init's environment", "rw SEALROOM_ETC=/run", -EPERM, 0, 0, "SEALROOM_ETC=/run" },
	{ "LD_PRELOAD", "LD_PRELOAD=/tmp/x.so", -EPERM, 0, 0, "LD_PRELOAD=/tmp/x.so" },
	{ "a module parameter", "virtio_blk.queue_depth=1", -EPERM, 0, 0,
	  "virtio_blk.queue_depth=1" },
	{ "rdinit=", "rdinit=/init", -EPERM, 0, 0, "rdinit=/init" },
	{ "init's arguments after --", "console=ttyS0 -- single", -EPERM, 0, 0, "--" },
	{ "initrd= (the EFI stub loads more cpio)", "initrd=\\x.img", -EPERM, 0, 0,
	  "initrd=\\x.img" },
	{ "rootwait (a board must not add it)", "root=/dev/mmcblk0p2 rootwait", -EPERM, 1, 0,
	  "rootwait" },
	{ "a prefix that is not the argument (rootfstype=)", "rootfstype=ext4", -EPERM, 0, 0,
	  "rootfstype=ext4" },
	{ "panic_on_warn is not panic=", "panic_on_warn=1", -EPERM, 0, 0, "panic_on_warn=1" },
	{ "a bare word that only starts like one", "quietly", -EPERM, 0, 0, "quietly" },
	/* refused: bytes */
	{ "a quote", "console=\"ttyS0 sysctl.x=1\"", -EINVAL, 0, 0, "byte 0x22 at 8" },
	{ "\\v hides a sysctl behind console=",
	  "console=ttyS0\vsysctl.kernel.core_pattern=|/bin/sh", -EINVAL, 0, 0, "byte 0x0b at 13" },
	{ "0xA0 hides a sysctl behind loglevel=", "loglevel=3\xa0sysctl.kernel.modprobe=/x",
	  -EINVAL, 0, 0, "byte 0xa0 at 10" },
	{ "\\r hides init's environment behind panic=", "panic=-1\rSEALROOM_ETC=/run", -EINVAL,
	  0, 0, "byte 0x0d at 8" },
	{ "\\f hides a module parameter behind sealroom.*", "sealroom.a\fvirtio_blk.x=1",
	  -EINVAL, 0, 0, "byte 0x0c at 10" },
	{ "a tab", "rw\tquiet", -EINVAL, 0, 0, "byte 0x09 at 2" },
	{ "a newline inside", "rw\nSEALROOM_ETC=/run\n", -EINVAL, 0, 0, "byte 0x0a at 2" },
	{ "DEL", "rw\x7f", -EINVAL, 0, 0, "byte 0x7f at 2" },
};

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		char bad[96];
		int root = -1, init = -1;
		int ret = initramfs_cmdline_check(vectors[i].cmdline, bad, sizeof bad, &root,
						  &init);

		print_message("# %s: %d (%s)\n", vectors[i].name, ret, bad);
		assert_int_equal(ret, vectors[i].ret);
		assert_string_equal(bad, vectors[i].bad);
		if (!ret) {
			assert_int_equal(root, vectors[i].root);
			assert_int_equal(init, vectors[i].init);
		}
	}
}

/* The argument named in bad is cut, bad always terminated. */
static void test_bad_bounded(void **state)
{
	char line[300], bad[16];
	int root, init;

	(void)state;
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	memset(bad, 0x55, sizeof bad);
	assert_int_equal(initramfs_cmdline_check(line, bad, sizeof bad, &root, &init), -EPERM);
	assert_int_equal(strlen(bad), sizeof bad - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_bad_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
