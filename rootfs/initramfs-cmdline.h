// SPDX-License-Identifier: MIT
/*
 * The product initramfs's rule for the kernel command line
 * (initramfs-product.c, rootfs/README.md "The product image"): which
 * command lines a product boots with. A pure function, tested on the host
 * (tests/unit/test_initramfs_cmdline.c).
 */
#ifndef SEALROOM_INITRAMFS_CMDLINE_H
#define SEALROOM_INITRAMFS_CMDLINE_H

#include <stddef.h>

/*
 * cmdline: /proc/cmdline's text (NUL-terminated; one newline at its end is
 * allowed). Returns 0 when every argument is one the product boots with:
 * console=, root=, loglevel=, panic=, init=, BOOT_IMAGE=, sealroom.* (any
 * value) and rw, ro, quiet, separated by spaces. Anything else is refused:
 *   -EINVAL: a byte the product never takes: a quote (the kernel's parser
 *            groups words with them), or any byte outside printable ASCII
 *            (the kernel splits on \t \n \v \f \r and 0xA0 too: an argument
 *            hidden behind one would pass a check that splits on spaces);
 *   -EPERM:  an argument that is not one of those (a sysctl.*, a NAME=VALUE
 *            for init's environment, a module parameter, rdinit=, --, ...).
 * bad (badlen bytes, always terminated) says which: the argument, cut, or
 * the byte and its offset. *has_root and *has_init say whether root= and
 * init= came (both are ignored, and said so).
 */
int initramfs_cmdline_check(const char *cmdline, char *bad, size_t badlen, int *has_root,
			    int *has_init);

#endif
