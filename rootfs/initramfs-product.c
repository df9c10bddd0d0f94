// SPDX-License-Identifier: MIT
/*
 * The product image's initramfs /init (rootfs/README.md "The product
 * image"), the only program in that initramfs: no busybox, no shell, so
 * that the kernel's rdinit= has nothing to run but this, and nothing here
 * takes a program, a device or a switch from the kernel command line.
 *
 * What it does, in this order:
 *   1. refuses to run as anything but PID 1 (the kernel runs usermode
 *      helpers, kernel.modprobe for one, from this root too);
 *   2. mounts /proc, /sys and /dev (devtmpfs), its console on fds 0-2;
 *   3. reads the kernel command line and refuses it (a restart) unless each
 *      argument is one the product boots with (initramfs-cmdline.h:
 *      console=, root=, rw, ro, quiet, loglevel=, panic=, BOOT_IMAGE=,
 *      init= and sealroom.*, separated by spaces, printable ASCII, no
 *      quotes; root=, init= and sealroom.* are ignored, and said so).
 *      Anything else may already have acted in the kernel
 *      (sysctl.kernel.core_pattern=|... runs a program as root at the first
 *      crash; NAME=VALUE becomes init's environment; module.param= reaches
 *      modprobe later), so the machine does not come up with it;
 *   4. loads the modules listed in /modules (one path a line, in order:
 *      those that reach the root file system, written by mkimage.sh);
 *   5. mounts the root device written at build time in /root-device (ext4,
 *      read-write, noatime) on /newroot, waiting up to 10 s for it to appear,
 *      once its ext4 superblock has the UUID written in /root-uuid (the
 *      image's, from mke2fs -U): another disk that takes the device's name
 *      is refused; root= is ignored, as is init=;
 *   6. moves /dev there, unmounts /proc and /sys, deletes its own files
 *      (the initramfs is RAM) and makes /newroot the root;
 *   7. executes /sbin/sealroom-init with a fixed environment (PATH, HOME,
 *      TERM), nothing from the command line.
 * Any step that fails is said in one line on the console, then the machine
 * restarts after 10 s: nothing interactive, ever.
 *
 * Built static (glibc's libc.a): the initramfs has no loader or library.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "initramfs-cmdline.h"

#define INIT "/sbin/sealroom-init"
#define NEWROOT "/newroot"
#define WAIT_MS 10000
/* ext4's superblock at 1024: its magic at 56, its UUID at 104. */
#define EXT4_SB 1024
#define EXT4_MAGIC_AT 56
#define EXT4_UUID_AT 104

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("initramfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The end of every failure: a restart, never a shell. */
static void __attribute__((noreturn)) restart(const char *what, int err)
{
	say("%s: %s (product image: no shell); restarting in 10 s", what, strerror(err));
	sync();
	sleep(10);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* The first line of a file of the initramfs, its newline cut; "" if none. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void load_modules(void)
{
	FILE *f = fopen("/modules", "re");
	char path[512];

	if (!f)
		return;
	while (fgets(path, sizeof path, f)) {
		int fd;

		path[strcspn(path, "\n")] = '\0';
		if (!path[0])
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		/* EEXIST: built in, or loaded as another's dependency. */
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST))
			say("insmod %s failed: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
}

/* The kernel command line against the product's rule (initramfs-cmdline.h):
 * anything else is a restart; root= and init= are said to be ignored. */
static void check_cmdline(void)
{
	char cmdline[4096], bad[96];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC), root, init, ret;
	ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof cmdline - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 0 || (size_t)n >= sizeof cmdline - 1)
		restart("the kernel command line cannot be read whole", n < 0 ? errno : E2BIG);
	cmdline[n] = '\0';
	ret = initramfs_cmdline_check(cmdline, bad, sizeof bad, &root, &init);
	if (ret) {
		say("product image: the kernel command line has %s%s%s, which the product "
		    "does not boot with", ret == -EPERM ? "\"" : "", bad,
		    ret == -EPERM ? "\"" : "");
		restart("refused the kernel command line", -ret);
	}
	if (init)
		say("product image: init= ignored; " INIT);
	if (root)
		say("product image: root= ignored; the image's root device");
}

/* Whether dev holds the ext4 file system whose UUID is uuid (32 hex digits,
 * as mkimage.sh gave mke2fs -U, dashes left out). */
static int is_the_root(const char *dev, const char *uuid)
{
	unsigned char sb[EXT4_UUID_AT + 16];
	char hex[33];
	int fd = open(dev, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = pread(fd, sb, sizeof sb, EXT4_SB) == (ssize_t)sizeof sb;
	close(fd);
	if (!ok || sb[EXT4_MAGIC_AT] != 0x53 || sb[EXT4_MAGIC_AT + 1] != 0xef)
		return 0;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", sb[EXT4_UUID_AT + i]);
	return !strcmp(hex, uuid);
}

/* Deletes the initramfs's files (RAM), not crossing into other mounts. */
static void delete_tree(int dirfd, dev_t dev)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd, e->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				delete_tree(sub, dev);
			unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

int main(void)
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/",
				     "TERM=linux", NULL };
	static char *const argv[] = { INIT, NULL };
	char root[256], uuid[64];
	struct stat st;
	struct statfs sfs;
	int waited = 0, fd;

	/* A usermode helper the kernel runs from this root is not PID 1. */
	if (getpid() != 1)
		return 1;
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ||
	    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL))
		restart("cannot mount /proc, /sys or /dev", errno);
	/* The console, when the kernel found none to give (no /dev/console in
	 * the initramfs before devtmpfs). */
	if (fcntl(2, F_GETFD) < 0 && (fd = open("/dev/console", O_RDWR | O_NOCTTY)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	check_cmdline();
	load_modules();
	read_line("/root-device", root, sizeof root);
	read_line("/root-uuid", uuid, sizeof uuid);
	if (strncmp(root, "/dev/", 5) || strlen(uuid) != 32)
		restart("no root device or UUID in the initramfs", ENOENT);
	/* The device, and its superblock readable (a slow disk's first read
	 * may fail just after its node appears), within WAIT_MS. */
	while (stat(root, &st) || !S_ISBLK(st.st_mode) || !is_the_root(root, uuid)) {
		if (waited >= WAIT_MS) {
			if (!stat(root, &st) && S_ISBLK(st.st_mode)) {
				say("%s is not this image's root file system (ext4 UUID %s)", root,
				    uuid);
				restart("refused the root device", EPERM);
			}
			restart(root, ENODEV);
		}
		usleep(50 * 1000);
		waited += 50;
	}
	mkdir(NEWROOT, 0755);
	if (mount(root, NEWROOT, "ext4", MS_NOATIME, NULL))
		restart(root, errno);
	if (mount("/dev", NEWROOT "/dev", NULL, MS_MOVE, NULL))
		restart("cannot move /dev to the root", errno);
	umount2("/proc", MNT_DETACH);
	umount2("/sys", MNT_DETACH);
	/* Only the initramfs (rootfs: ramfs or tmpfs) is ever deleted. */
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &st) && !fstatfs(fd, &sfs) &&
	    (sfs.f_type == RAMFS_MAGIC || sfs.f_type == TMPFS_MAGIC))
		delete_tree(fd, st.st_dev);
	else if (fd >= 0)
		close(fd);
	if (chdir(NEWROOT) || mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		restart("cannot make the root file system the root", errno);
	execve(INIT, argv, env);
	restart("cannot execute " INIT, errno);
}
