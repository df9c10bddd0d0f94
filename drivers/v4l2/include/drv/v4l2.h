/* SPDX-License-Identifier: MIT */
/*
 * drv_v4l2: what the kernel's V4L2 devices offer, for checking a board file
 * against them (sealroom-probe) and for choosing the camera and codec nodes.
 *
 * Two parts:
 *   - pure functions (host unit-tested): the kind of a node from its
 *     capabilities (capture, memory-to-memory), the role of an m2m node
 *     from the compressed flags of its queues' formats (encoder: compressed
 *     on CAPTURE; decoder: compressed on OUTPUT), frame size and interval
 *     matching, GStreamer element and format names to V4L2 pixel formats;
 *   - the devices: drv_v4l2_query (VIDIOC_QUERYCAP, VIDIOC_ENUM_FMT on the
 *     node's queues), drv_v4l2_enumerate (/dev/video*), drv_v4l2_offers
 *     (VIDIOC_ENUM_FRAMESIZES, VIDIOC_ENUM_FRAMEINTERVALS).
 *
 * Nothing allocates; the caller owns every struct.
 */
#ifndef DRV_V4L2_H
#define DRV_V4L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/videodev2.h>

#define DRV_V4L2_MAX_FORMATS 48u
#define DRV_V4L2_MAX_DEVICES 32u

enum drv_v4l2_kind {
	DRV_V4L2_OTHER = 0, /* output-only, metadata, radio, ... */
	DRV_V4L2_CAPTURE,   /* a camera or capture card */
	DRV_V4L2_M2M,       /* memory to memory: codec or converter */
};

enum drv_v4l2_role {
	DRV_V4L2_ROLE_NONE = 0, /* not m2m, or compressed on both queues */
	DRV_V4L2_ENCODER,       /* raw in (OUTPUT queue), compressed out (CAPTURE) */
	DRV_V4L2_DECODER,       /* compressed in (OUTPUT), raw out (CAPTURE) */
	DRV_V4L2_CONVERTER,     /* raw on both (scaler, color converter) */
};

struct drv_v4l2_format {
	uint32_t fourcc;
	uint32_t flags; /* V4L2_FMT_FLAG_* */
	char description[32];
};

struct drv_v4l2_device {
	char path[64];
	char driver[16];
	char card[32];
	char bus_info[32];
	uint32_t capabilities;
	uint32_t device_caps; /* capabilities of this node (V4L2_CAP_DEVICE_CAPS) */
	enum drv_v4l2_kind kind;
	bool mplane;
	enum drv_v4l2_role role;
	/* The CAPTURE queue's formats (what comes out), then the OUTPUT queue's
	 * (what goes in; m2m only). */
	struct drv_v4l2_format capture[DRV_V4L2_MAX_FORMATS];
	size_t n_capture;
	struct drv_v4l2_format output[DRV_V4L2_MAX_FORMATS];
	size_t n_output;
};

/* ------------------------------------------------------------ pure */

/*
 * The node's kind from VIDIOC_QUERYCAP's fields (device_caps when
 * capabilities has V4L2_CAP_DEVICE_CAPS). M2M is V4L2_CAP_VIDEO_M2M(_MPLANE),
 * or capture and output on one node (older m2m drivers); *mplane is set for
 * the multi-planar API.
 */
__attribute__((warn_unused_result, nonnull)) enum drv_v4l2_kind
drv_v4l2_kind_of(uint32_t capabilities, uint32_t device_caps, bool *mplane);

/* The role of an m2m node from its queues' formats (dev->kind, capture[], output[]). */
__attribute__((warn_unused_result, nonnull)) enum drv_v4l2_role
drv_v4l2_role_of(const struct drv_v4l2_device *dev);

/* Whether one of formats (n of them) is fourcc. */
__attribute__((warn_unused_result)) bool drv_v4l2_has_format(const struct drv_v4l2_format *formats,
							      size_t n, uint32_t fourcc);

/* Whether a VIDIOC_ENUM_FRAMESIZES entry includes width x height. */
__attribute__((warn_unused_result, nonnull)) bool
drv_v4l2_size_matches(const struct v4l2_frmsizeenum *fs, uint32_t width, uint32_t height);

/* Whether a VIDIOC_ENUM_FRAMEINTERVALS entry includes the frame rate fps_num/fps_den. */
__attribute__((warn_unused_result, nonnull)) bool
drv_v4l2_interval_matches(const struct v4l2_frmivalenum *fi, uint32_t fps_num, uint32_t fps_den);

/*
 * A GStreamer V4L2 codec element name to what it needs of the kernel: a
 * stateful encoder (v4l2h264enc, v4l2video1h264enc, ...: compressed fourcc on
 * an encoder's CAPTURE queue), a stateful decoder (v4l2h264dec: on a
 * decoder's OUTPUT queue) or a stateless decoder (v4l2slh264dec: the parsed
 * slice format on a decoder's OUTPUT queue). Returns 0 with *role and
 * *fourcc, or -ENOENT when the element is not a V4L2 codec element.
 */
__attribute__((warn_unused_result, nonnull)) int
drv_v4l2_element_codec(const char *element, enum drv_v4l2_role *role, uint32_t *fourcc);

/* A GStreamer raw video format name (NV12, YUY2, I420, ...) to its V4L2 fourcc, or 0. */
__attribute__((warn_unused_result, nonnull)) uint32_t drv_v4l2_gst_format(const char *name);

/* "NV12", "H264", ... into buf (NUL-terminated; unprintable bytes as '.'). */
__attribute__((nonnull)) const char *drv_v4l2_fourcc_str(uint32_t fourcc, char buf[static 5]);
/* "capture", "m2m", "other"; "encoder", "decoder", "converter", "none". */
const char *drv_v4l2_kind_name(enum drv_v4l2_kind kind);
const char *drv_v4l2_role_name(enum drv_v4l2_role role);

/* ------------------------------------------------------------ devices */

/*
 * Queries the node at path (VIDIOC_QUERYCAP, the formats of its capture and,
 * for m2m, output queues) into *dev. Returns 0, -ENOTTY (not V4L2), or -errno.
 */
__attribute__((warn_unused_result, nonnull)) int drv_v4l2_query(const char *path,
								struct drv_v4l2_device *dev);

/*
 * Every /dev/video* under dir (NULL: /dev) that answers drv_v4l2_query, in
 * name order, at most max. Returns the number found, or -errno of opendir.
 */
__attribute__((warn_unused_result, nonnull(2))) int
drv_v4l2_enumerate(const char *dir, struct drv_v4l2_device *devs, size_t max);

/*
 * Whether the capture device at path offers width x height at fps_num/fps_den
 * in format fourcc, or (fourcc 0) in any raw (uncompressed) format, or
 * (fourcc 0, compressed true) any compressed one. Returns 0 and the format
 * found in *found, -ENOENT when not offered, or -errno.
 */
__attribute__((warn_unused_result, nonnull(1, 8))) int
drv_v4l2_offers(const char *path, uint32_t fourcc, bool compressed, uint32_t width,
		uint32_t height, uint32_t fps_num, uint32_t fps_den, uint32_t *found);

#endif
