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
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP) {
			kx_warn("REFUSED %s: a symlink", path);
			ret = -EPERM;
		}
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	ret = kx_check_owner_only(&st, "setting", path, false);
	if (ret)
		goto out;
	if ((size_t)st.st_size > size - 1) {
		kx_warn("REFUSED %s: %lld bytes, at most %zu", path, (long long)st.st_size,
			size - 1);
		ret = -EFBIG;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, out + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
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
