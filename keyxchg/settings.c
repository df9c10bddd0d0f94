// SPDX-License-Identifier: MIT
/* Settings files of the state directory (kx/settings.h). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"
#include "kx/settings.h"

int kx_setting_read(const char *state_dir, const char *name, char *out, size_t size, size_t *len)
{
	char path[512];
	struct stat st;
	size_t got = 0;
	int dfd, fd, ret;

	*len = 0;
	if (!size)
		return -EINVAL;
	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	dfd = kx_state_dir_open(state_dir);
	if (dfd < 0)
		return dfd;
	fd = kx_open_owned(dfd, name, "setting", path, &st);
	close(dfd);
	if (fd < 0)
		return fd;
	if ((size_t)st.st_size > size - 1) {
		kx_warn("REFUSED %s: %lld bytes, at most %zu", path, (long long)st.st_size,
			size - 1);
		ret = -EFBIG;
		goto out;
	}
	got = (size_t)st.st_size;
	ret = kx_read_all(fd, out, got);
	if (ret) {
		out[0] = '\0';
		goto out;
	}
	out[got] = '\0';
	*len = got;
out:
	close(fd);
	return ret;
}

int kx_setting_write(const char *state_dir, const char *name, const void *data, size_t len)
{
	int dfd = kx_state_dir_open(state_dir), ret;

	if (dfd < 0)
		return dfd;
	ret = kx_replace_file(dfd, name, data, len);
	close(dfd);
	return ret;
}

int kx_setting_remove(const char *state_dir, const char *name)
{
	int dfd = kx_state_dir_open(state_dir), ret = 0;

	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, name, 0) && errno != ENOENT)
		ret = -errno;
	else if (fsync(dfd))
		ret = -errno;
	close(dfd);
	return ret;
}

int kx_setting_move_aside(const char *state_dir, const char *name)
{
	char bad[128];
	int dfd, ret = 0;

	if (snprintf(bad, sizeof(bad), "%s.bad", name) >= (int)sizeof(bad))
		return -ENAMETOOLONG;
	dfd = kx_state_dir_open(state_dir);
	if (dfd < 0)
		return dfd;
	if (renameat(dfd, name, dfd, bad) || fsync(dfd))
		ret = -errno;
	close(dfd);
	return ret;
}
