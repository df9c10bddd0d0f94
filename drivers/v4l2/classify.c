// SPDX-License-Identifier: MIT
/*
 * The device-free part of drv_v4l2: node kinds, m2m roles, frame size and
 * interval matching, element and format names (V4L2 uAPI: the "Codec
 * Interface" chapter for the encoder/decoder queue conventions).
 */
#include "drv/v4l2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum drv_v4l2_kind drv_v4l2_kind_of(uint32_t capabilities, uint32_t device_caps, bool *mplane)
{
	uint32_t c = (capabilities & V4L2_CAP_DEVICE_CAPS) ? device_caps : capabilities;
	bool cap_s = c & V4L2_CAP_VIDEO_CAPTURE, cap_m = c & V4L2_CAP_VIDEO_CAPTURE_MPLANE;
	bool out_s = c & V4L2_CAP_VIDEO_OUTPUT, out_m = c & V4L2_CAP_VIDEO_OUTPUT_MPLANE;

	*mplane = false;
	if (c & V4L2_CAP_VIDEO_M2M_MPLANE || (cap_m && out_m)) {
		*mplane = true;
		return DRV_V4L2_M2M;
	}
	if (c & V4L2_CAP_VIDEO_M2M || (cap_s && out_s))
		return DRV_V4L2_M2M;
	if (cap_m && !cap_s)
		*mplane = true;
	if (cap_s || cap_m)
		return DRV_V4L2_CAPTURE;
	return DRV_V4L2_OTHER;
}

static bool any_compressed(const struct drv_v4l2_format *f, size_t n, bool *any)
{
	bool c = false;

	*any = n > 0;
	for (size_t i = 0; i < n; i++)
		c |= (f[i].flags & V4L2_FMT_FLAG_COMPRESSED) != 0;
	return c;
}

enum drv_v4l2_role drv_v4l2_role_of(const struct drv_v4l2_device *dev)
{
	bool have_cap, have_out;
	bool cap = any_compressed(dev->capture, dev->n_capture, &have_cap);
	bool out = any_compressed(dev->output, dev->n_output, &have_out);

	if (dev->kind != DRV_V4L2_M2M || !have_cap || !have_out)
		return DRV_V4L2_ROLE_NONE;
	if (cap && !out)
		return DRV_V4L2_ENCODER;
	if (out && !cap)
		return DRV_V4L2_DECODER;
	if (!cap && !out)
		return DRV_V4L2_CONVERTER;
	return DRV_V4L2_ROLE_NONE;
}

bool drv_v4l2_has_format(const struct drv_v4l2_format *formats, size_t n, uint32_t fourcc)
{
	for (size_t i = 0; i < n; i++)
		if (formats[i].fourcc == fourcc)
			return true;
	return false;
}

static bool in_steps(uint32_t v, uint32_t min, uint32_t max, uint32_t step)
{
	if (v < min || v > max)
		return false;
	return step == 0 || (v - min) % step == 0;
}

bool drv_v4l2_size_matches(const struct v4l2_frmsizeenum *fs, uint32_t width, uint32_t height)
{
	switch (fs->type) {
	case V4L2_FRMSIZE_TYPE_DISCRETE:
		return fs->discrete.width == width && fs->discrete.height == height;
	case V4L2_FRMSIZE_TYPE_CONTINUOUS:
		return in_steps(width, fs->stepwise.min_width, fs->stepwise.max_width, 1) &&
		       in_steps(height, fs->stepwise.min_height, fs->stepwise.max_height, 1);
	case V4L2_FRMSIZE_TYPE_STEPWISE:
		return in_steps(width, fs->stepwise.min_width, fs->stepwise.max_width,
				fs->stepwise.step_width) &&
		       in_steps(height, fs->stepwise.min_height, fs->stepwise.max_height,
				fs->stepwise.step_height);
	}
	return false;
}

/* a/b compared with c/d (b, d > 0): <0, 0, >0. */
static int frac_cmp(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t l = a * d, r = c * b;

	return l < r ? -1 : l > r;
}

bool drv_v4l2_interval_matches(const struct v4l2_frmivalenum *fi, uint32_t fps_num,
			       uint32_t fps_den)
{
	/* The interval is the inverse of the rate: fps_den / fps_num seconds. */
	const struct v4l2_fract *mn = &fi->stepwise.min, *mx = &fi->stepwise.max;

	if (!fps_num || !fps_den)
		return false;
	switch (fi->type) {
	case V4L2_FRMIVAL_TYPE_DISCRETE:
		return fi->discrete.denominator &&
		       frac_cmp(fi->discrete.numerator, fi->discrete.denominator, fps_den, fps_num) ==
			       0;
	case V4L2_FRMIVAL_TYPE_CONTINUOUS:
	case V4L2_FRMIVAL_TYPE_STEPWISE:
		/* Steps of an interval range are not checked: drivers that
		 * report them accept the nearest (VIDIOC_S_PARM rounds). */
		return mn->denominator && mx->denominator &&
		       frac_cmp(mn->numerator, mn->denominator, fps_den, fps_num) <= 0 &&
		       frac_cmp(fps_den, fps_num, mx->numerator, mx->denominator) <= 0;
	}
	return false;
}

static const struct {
	const char *name;
	uint32_t stateful;  /* v4l2<name>enc / v4l2<name>dec */
	uint32_t stateless; /* v4l2sl<name>dec, 0 for none */
} codecs[] = {
	{ "h264", V4L2_PIX_FMT_H264, V4L2_PIX_FMT_H264_SLICE },
	{ "h265", V4L2_PIX_FMT_HEVC, V4L2_PIX_FMT_HEVC_SLICE },
	{ "vp8", V4L2_PIX_FMT_VP8, V4L2_PIX_FMT_VP8_FRAME },
	{ "vp9", V4L2_PIX_FMT_VP9, V4L2_PIX_FMT_VP9_FRAME },
	{ "mpeg2", V4L2_PIX_FMT_MPEG2, V4L2_PIX_FMT_MPEG2_SLICE },
	{ "mpeg4", V4L2_PIX_FMT_MPEG4, 0 },
	{ "jpeg", V4L2_PIX_FMT_JPEG, 0 },
	{ "fwht", V4L2_PIX_FMT_FWHT, 0 },
};

int drv_v4l2_element_codec(const char *element, enum drv_v4l2_role *role, uint32_t *fourcc)
{
	const char *p = element;
	bool stateless = false;
	size_t len;

	if (strncmp(p, "v4l2", 4) != 0)
		return -ENOENT;
	p += 4;
	if (strncmp(p, "sl", 2) == 0) {
		stateless = true;
		p += 2;
	} else if (strncmp(p, "video", 5) == 0) {
		/* GStreamer names the codec nodes after the first v4l2videoN<codec>enc. */
		p += 5;
		if (*p < '0' || *p > '9')
			return -ENOENT;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	len = strlen(p);
	if (len < 4)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		size_t n = strlen(codecs[i].name);

		if (len != n + 3 || strncmp(p, codecs[i].name, n) != 0)
			continue;
		if (strcmp(p + n, "enc") == 0 && !stateless) {
			*role = DRV_V4L2_ENCODER;
			*fourcc = codecs[i].stateful;
			return 0;
		}
		if (strcmp(p + n, "dec") == 0) {
			*role = DRV_V4L2_DECODER;
			*fourcc = stateless ? codecs[i].stateless : codecs[i].stateful;
			return *fourcc ? 0 : -ENOENT;
		}
	}
	return -ENOENT;
}

uint32_t drv_v4l2_gst_format(const char *name)
{
	static const struct {
		const char *gst;
		uint32_t v4l2;
	} map[] = {
		{ "NV12", V4L2_PIX_FMT_NV12 },   { "NV21", V4L2_PIX_FMT_NV21 },
		{ "NV16", V4L2_PIX_FMT_NV16 },   { "I420", V4L2_PIX_FMT_YUV420 },
		{ "YV12", V4L2_PIX_FMT_YVU420 }, { "YUY2", V4L2_PIX_FMT_YUYV },
		{ "UYVY", V4L2_PIX_FMT_UYVY },   { "YVYU", V4L2_PIX_FMT_YVYU },
		{ "RGB", V4L2_PIX_FMT_RGB24 },   { "BGR", V4L2_PIX_FMT_BGR24 },
		{ "BGRx", V4L2_PIX_FMT_XBGR32 }, { "xRGB", V4L2_PIX_FMT_XRGB32 },
		{ "GRAY8", V4L2_PIX_FMT_GREY },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].gst, name) == 0)
			return map[i].v4l2;
	return 0;
}

const char *drv_v4l2_fourcc_str(uint32_t fourcc, char buf[static 5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((fourcc >> (8 * i)) & 0xff);

		buf[i] = (c >= 0x20 && c <= 0x7e) ? c : '.';
	}
	buf[4] = 0;
	return buf;
}

const char *drv_v4l2_kind_name(enum drv_v4l2_kind kind)
{
	switch (kind) {
	case DRV_V4L2_CAPTURE:
		return "capture";
	case DRV_V4L2_M2M:
		return "m2m";
	case DRV_V4L2_OTHER:
		break;
	}
	return "other";
}

const char *drv_v4l2_role_name(enum drv_v4l2_role role)
{
	switch (role) {
	case DRV_V4L2_ENCODER:
		return "encoder";
	case DRV_V4L2_DECODER:
		return "decoder";
	case DRV_V4L2_CONVERTER:
		return "converter";
	case DRV_V4L2_ROLE_NONE:
		break;
	}
	return "none";
}
