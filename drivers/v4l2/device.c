// SPDX-License-Identifier: MIT
/* The V4L2 nodes themselves: VIDIOC_QUERYCAP, ENUM_FMT, ENUM_FRAMESIZES, ENUM_FRAMEINTERVALS. */
#include "drv/v4l2.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, req, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* Copies a fixed-size, maybe unterminated uAPI string. */
static void copy_str(char *dst, size_t n, const __u8 *src, size_t src_n)
{
	size_t len = strnlen((const char *)src, src_n);

	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
}

static size_t enum_formats(int fd, enum v4l2_buf_type type, struct drv_v4l2_format *out)
{
	size_t n = 0;

	for (uint32_t i = 0; n < DRV_V4L2_MAX_FORMATS; i++) {
		struct v4l2_fmtdesc d = { .index = i, .type = type };

		if (xioctl(fd, VIDIOC_ENUM_FMT, &d))
			break;
		out[n].fourcc = d.pixelformat;
		out[n].flags = d.flags;
		copy_str(out[n].description, sizeof(out[n].description), d.description,
			 sizeof(d.description));
		n++;
	}
	return n;
}

int drv_v4l2_query(const char *path, struct drv_v4l2_device *dev)
{
	struct v4l2_capability cap = { 0 };
	int fd, ret;

	memset(dev, 0, sizeof(*dev));
	if (strlen(path) >= sizeof(dev->path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = xioctl(fd, VIDIOC_QUERYCAP, &cap);
	if (ret)
		goto out;
	strcpy(dev->path, path);
	copy_str(dev->driver, sizeof(dev->driver), cap.driver, sizeof(cap.driver));
	copy_str(dev->card, sizeof(dev->card), cap.card, sizeof(cap.card));
	copy_str(dev->bus_info, sizeof(dev->bus_info), cap.bus_info, sizeof(cap.bus_info));
	dev->capabilities = cap.capabilities;
	dev->device_caps = cap.device_caps;
	dev->kind = drv_v4l2_kind_of(cap.capabilities, cap.device_caps, &dev->mplane);
	if (dev->kind != DRV_V4L2_OTHER)
		dev->n_capture = enum_formats(fd, dev->mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
							      : V4L2_BUF_TYPE_VIDEO_CAPTURE,
					      dev->capture);
	if (dev->kind == DRV_V4L2_M2M)
		dev->n_output = enum_formats(fd, dev->mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
							     : V4L2_BUF_TYPE_VIDEO_OUTPUT,
					     dev->output);
	dev->role = drv_v4l2_role_of(dev);
out:
	close(fd);
	return ret;
}

static int video_node(const struct dirent *de)
{
	return strncmp(de->d_name, "video", 5) == 0 && de->d_name[5] >= '0' && de->d_name[5] <= '9';
}

/* video2 before video10. */
static int by_number(const struct dirent **a, const struct dirent **b)
{
	return atoi((*a)->d_name + 5) - atoi((*b)->d_name + 5);
}

int drv_v4l2_enumerate(const char *dir, struct drv_v4l2_device *devs, size_t max)
{
	struct dirent **names;
	char path[64];
	int n, found = 0;

	dir = dir ? dir : "/dev";
	n = scandir(dir, &names, video_node, by_number);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if ((size_t)found < max &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < sizeof(path) &&
		    drv_v4l2_query(path, &devs[found]) == 0)
			found++;
		free(names[i]);
	}
	free(names);
	return found;
}

/*
 * Entries read of one enumeration at most: the driver ends it with EINVAL,
 * but a driver that never does must not hang the probe (uvcvideo lists a few
 * dozen sizes and rates).
 */
#define ENUM_MAX 1024u

/* Whether fourcc offers the size at the rate on fd's capture queue. */
static bool offers_in(int fd, uint32_t fourcc, uint32_t w, uint32_t h, uint32_t num, uint32_t den)
{
	bool size = false;

	for (uint32_t i = 0; !size && i < ENUM_MAX; i++) {
		struct v4l2_frmsizeenum fs = { .index = i, .pixel_format = fourcc };

		if (xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs))
			return false;
		size = drv_v4l2_size_matches(&fs, w, h);
		if (fs.type != V4L2_FRMSIZE_TYPE_DISCRETE)
			break; /* one stepwise entry only */
	}
	if (!size)
		return false;
	for (uint32_t i = 0; i < ENUM_MAX; i++) {
		struct v4l2_frmivalenum fi = {
			.index = i, .pixel_format = fourcc, .width = w, .height = h
		};

		if (xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi))
			return false;
		if (drv_v4l2_interval_matches(&fi, num, den))
			return true;
		if (fi.type != V4L2_FRMIVAL_TYPE_DISCRETE)
			return false;
	}
	return false;
}

int drv_v4l2_offers(const char *path, uint32_t fourcc, bool compressed, uint32_t width,
		    uint32_t height, uint32_t fps_num, uint32_t fps_den, uint32_t *found)
{
	struct drv_v4l2_device dev;
	int fd, ret;

	*found = 0;
	ret = drv_v4l2_query(path, &dev);
	if (ret)
		return ret;
	if (dev.kind != DRV_V4L2_CAPTURE)
		return -ENOENT;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = -ENOENT;
	for (size_t i = 0; i < dev.n_capture; i++) {
		const struct drv_v4l2_format *f = &dev.capture[i];
		bool c = (f->flags & V4L2_FMT_FLAG_COMPRESSED) != 0;

		if (fourcc ? f->fourcc != fourcc : c != compressed)
			continue;
		if (offers_in(fd, f->fourcc, width, height, fps_num, fps_den)) {
			*found = f->fourcc;
			ret = 0;
			break;
		}
	}
	close(fd);
	return ret;
}
