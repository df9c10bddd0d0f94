// SPDX-License-Identifier: MIT
/*
 * The product image's initramfs /init (rootfs/README.md "The product
 * image"), the only program in that initramfs: no busybox, no shell, so
 * that the kernel's rdinit= has nothing to run but this, and nothing here
 * takes a program, a device or a switch from the kernel command line.
 *
 * What it does, in this order:
 *   1. mounts /proc, /sys and /dev (devtmpfs);
 *   2. loads the modules listed in /modules (one path a line, in order:
 *      those that reach the root file system, written by mkimage.sh);
 *   3. mounts the root device written at build time in /root-device (ext4,
 *      read-write, noatime) on /newroot, waiting up to 5 s for it to appear;
 *      root= on the command line is ignored (said once), as is init=;
 *   4. moves /dev there, unmounts /proc and /sys, deletes its own files
 *      (the initramfs is RAM) and makes /newroot the root;
 *   5. executes /sbin/sealroom-init.
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INIT "/sbin/sealroom-init"
#define NEWROOT "/newroot"
#define WAIT_MS 5000

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

/* Says which of root= and init= the command line gave: both are ignored. */
static void ignored_switches(void)
{
	char cmdline[4096], *arg, *save = NULL;
	FILE *f = fopen("/proc/cmdline", "re");
	int root = 0, init = 0;

	if (!f)
		return;
	if (!fgets(cmdline, sizeof cmdline, f))
		cmdline[0] = '\0';
	fclose(f);
	for (arg = strtok_r(cmdline, " \n", &save); arg; arg = strtok_r(NULL, " \n", &save)) {
		root |= !strncmp(arg, "root=", 5);
		init |= !strncmp(arg, "init=", 5);
	}
	if (init)
		say("product image: init= ignored; " INIT);
	if (root)
		say("product image: root= ignored; the image's root device");
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
			sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	char root[256];
	struct stat st;
	int waited = 0, fd;

	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ||
	    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL))
		restart("cannot mount /proc, /sys or /dev", errno);
	load_modules();
	ignored_switches();
	read_line("/root-device", root, sizeof root);
	if (strncmp(root, "/dev/", 5))
		restart("no root device in the initramfs's /root-device", ENOENT);
	while (stat(root, &st) || !S_ISBLK(st.st_mode)) {
		if (waited >= WAIT_MS)
			restart(root, ENODEV);
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
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &st))
		delete_tree(fd, st.st_dev);
	else if (fd >= 0)
		close(fd);
	if (chdir(NEWROOT) || mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		restart("cannot make the root file system the root", errno);
	execl(INIT, INIT, (char *)NULL);
	restart("cannot execute " INIT, errno);
}
