// SPDX-License-Identifier: MIT
/* The state directory: owner-only permissions, atomic file replacement. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int kx_check_owner_only(const struct stat *st, const char *what, const char *path, bool dir)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		kx_warn("REFUSED %s %s: not a %s", what, path, dir ? "directory" : "regular file");
		return -EPERM;
	}
	if (st->st_uid != geteuid()) {
		kx_warn("REFUSED %s %s: owned by uid %u, not by us (uid %u)", what, path,
			(unsigned int)st->st_uid, (unsigned int)geteuid());
		return -EPERM;
	}
	if (st->st_mode & 077) {
		kx_warn("REFUSED %s %s: mode %04o gives access to group or others (want %s)", what,
			path, (unsigned int)(st->st_mode & 07777), dir ? "0700" : "0600");
		return -EPERM;
	}
	return 0;
}

int kx_state_dir_open(const char *dir)
{
	struct stat st;
	int fd, ret;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP || ret == -ENOTDIR) {
			kx_warn("REFUSED state directory %s: not a directory (or a symlink)", dir);
			return -EPERM;
		}
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		goto fail;
	}
	ret = kx_check_owner_only(&st, "state directory", dir, true);
	if (ret)
		goto fail;
	return fd;
fail:
	close(fd);
	return ret;
}

int kx_open_owned(int dfd, const char *name, const char *what, const char *path,
		  struct stat *st)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret;

	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP) {
			kx_warn("REFUSED %s %s: a symlink", what, path);
			ret = -EPERM;
		}
		return ret;
	}
	if (fstat(fd, st))
		ret = -errno;
	else
		ret = kx_check_owner_only(st, what, path, false);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int kx_read_all(int fd, void *data, size_t len)
{
	uint8_t *p = data;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int kx_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int kx_replace_file(int dfd, const char *name, const void *data, size_t len)
{
	char tmp[128];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (unlinkat(dfd, tmp, 0) && errno != ENOENT)
		return -errno;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = fchmod(fd, 0600) ? -errno : 0;
	if (!ret)
		ret = kx_write_all(fd, data, len);
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && renameat(dfd, tmp, dfd, name))
		ret = -errno;
	if (ret) {
		unlinkat(dfd, tmp, 0);
		return ret; /* nothing changed */
	}
	/* Renamed: the name holds the new data from now on, whatever the
	 * directory's sync says. One retry; then the change stands, unsynced. */
	if (fsync(dfd) && fsync(dfd)) {
		kx_warn("%s replaced, but the directory's fsync failed (%s): the new data is in "
			"use and may not survive a power cut",
			name, strerror(errno));
		return KX_NOT_SYNCED;
	}
	return 0;
}
