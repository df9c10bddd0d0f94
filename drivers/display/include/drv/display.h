/* SPDX-License-Identifier: MIT */
/*
 * drv_display: the room's screen through DRM/KMS atomic modesetting.
 *
 * A scene is a background color and up to DRV_DISPLAY_MAX_LAYERS layers
 * (video tiles, codeword labels, panel controls), each a buffer placed at a
 * screen position with a stacking order (zpos) and a plane alpha. The
 * display puts layers on overlay planes where the device has planes that
 * take them, and composites the rest in software into the primary plane's
 * buffer (premultiplied src-over, the KMS "Pre-multiplied" blend mode), so
 * the screen shows the same picture either way (architecture.md, Display).
 *
 * Three parts, the first two without a device (unit-tested on the host):
 *   - images and the software compositor: drv_display_fill, drv_display_blend;
 *   - the plane allocator: drv_display_plan, a pure function of a plane list
 *     (drv_display_plane_info, as the device reports it or made up by a test)
 *     and the layers;
 *   - the device: drv_display_open, buffers (dumb buffers, each owning its
 *     framebuffer), drv_display_commit (optionally captured through a
 *     writeback connector), drv_display_close.
 *
 * Pixels are DRM_FORMAT_ARGB8888 (premultiplied alpha; what libwm renders)
 * or DRM_FORMAT_XRGB8888 (opaque), native-endian 32-bit 0xAARRGGBB words.
 * Layers are never scaled: a layer covers its buffer's size on screen.
 *
 * Call order: drv_display_open, then drv_display_buffer_new for each layer's
 * buffer, any number of drv_display_commit, then drv_display_buffer_free for
 * each buffer and drv_display_close. Not thread-safe: one thread owns a
 * display and its buffers.
 */
#ifndef DRV_DISPLAY_H
#define DRV_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DRV_DISPLAY_MAX_PLANES 32u
#define DRV_DISPLAY_MAX_LAYERS 16u
/* Plane alpha as the KMS "alpha" property takes it. */
#define DRV_DISPLAY_ALPHA_OPAQUE 0xffffu

/* ------------------------------------------------------------- images */

/* A mapped picture; data is owned by whoever made the image. */
struct drv_display_image {
	uint8_t *data;
	uint32_t width;
	uint32_t height;
	uint32_t stride; /* bytes, a multiple of 4 */
	uint32_t format; /* DRM_FORMAT_ARGB8888 or DRM_FORMAT_XRGB8888 */
};

/* Fills the whole image with xrgb (alpha forced to 0xff). */
__attribute__((nonnull)) void drv_display_fill(struct drv_display_image *dst, uint32_t xrgb);

/*
 * Premultiplied src-over of src at (x, y) on dst, with a plane alpha
 * (0..DRV_DISPLAY_ALPHA_OPAQUE) multiplying src's color and alpha; clipped
 * to dst. An XRGB8888 src counts as opaque. dst's alpha channel is left
 * opaque (dst is a scanout buffer). Returns 0, or -EINVAL for a format other
 * than the two above.
 */
__attribute__((warn_unused_result, nonnull)) int
drv_display_blend(struct drv_display_image *dst, const struct drv_display_image *src, int32_t x,
		  int32_t y, uint16_t alpha);

/* The largest difference of any color channel between a and b (same size), or -EINVAL. */
__attribute__((nonnull)) int drv_display_max_diff(const struct drv_display_image *a,
						  const struct drv_display_image *b);

/* ------------------------------------------------------------- buffers */

/*
 * A dumb buffer, mapped, with its framebuffer: the buffer owns fb_id and
 * removes it in drv_display_buffer_free. All fields are read-only to callers;
 * img.data is the mapping (write pixels there).
 */
struct drv_display_buffer {
	struct drv_display_image img;
	uint32_t fb_id;
	uint32_t handle;
	uint64_t size;
	int fd; /* the display's, not owned */
};

/* ------------------------------------------------------------- planes */

/* Values of the KMS "type" property (DRM_PLANE_TYPE_*). */
enum drv_display_plane_type {
	DRV_DISPLAY_PLANE_OVERLAY = 0,
	DRV_DISPLAY_PLANE_PRIMARY = 1,
	DRV_DISPLAY_PLANE_CURSOR = 2,
};

/* What the allocator needs to know of a plane. */
struct drv_display_plane_info {
	uint32_t id;
	enum drv_display_plane_type type;
	uint32_t possible_crtcs; /* bit i: the CRTC at index i */
	bool argb8888;
	bool xrgb8888;
	/* "zpos" property: absent (the driver stacks planes in its own order,
	 * for vkms the order of the plane list), immutable (min == max), or a
	 * range the display sets. */
	bool has_zpos;
	bool zpos_mutable;
	uint64_t zpos_min;
	uint64_t zpos_max;
	bool has_alpha; /* "alpha" property */
};

/* ------------------------------------------------------------- scenes */

struct drv_display_layer {
	const struct drv_display_buffer *buf; /* not owned; its img is what is shown */
	int32_t x;                            /* screen position of the buffer's top left */
	int32_t y;
	uint16_t alpha;                       /* plane alpha, DRV_DISPLAY_ALPHA_OPAQUE for none */
	uint32_t zpos;                        /* higher is above; ties keep the array's order */
};

struct drv_display_scene {
	uint32_t background; /* XRGB8888, under every layer */
	const struct drv_display_layer *layers;
	size_t n_layers;
	bool force_compose; /* composite every layer in software (tests, debugging) */
};

/*
 * Where each layer goes. order[] lists the layer indices bottom to top; the
 * bottom n_composed of them are composited into the primary plane's buffer
 * (the primary is the bottom plane, so only a bottom run can be), each of the
 * others is on planes[plane[i]] with zpos[i] (set where the plane has a
 * mutable zpos).
 */
struct drv_display_plan {
	size_t n_layers;
	size_t n_composed;
	uint32_t order[DRV_DISPLAY_MAX_LAYERS];
	int plane[DRV_DISPLAY_MAX_LAYERS];
	uint64_t zpos[DRV_DISPLAY_MAX_LAYERS];
	int primary; /* index into planes */
	uint64_t primary_zpos;
};

/*
 * The plane allocation: the fewest layers composited in software such that
 * the rest fit on overlay planes of CRTC crtc_index, stacked in the layers'
 * order. A layer fits a plane that takes its format, has an "alpha" property
 * when the layer is translucent, and lies wholly on the screen. Cursor
 * planes are left alone (size limits). Returns 0; -EINVAL for too many
 * layers or a layer without a buffer; -ENODEV when no primary plane serves
 * the CRTC with XRGB8888.
 */
__attribute__((warn_unused_result, nonnull(4, 7))) int
drv_display_plan(const struct drv_display_plane_info *planes, size_t n_planes,
		 unsigned int crtc_index, const struct drv_display_scene *scene,
		 uint32_t screen_width, uint32_t screen_height, struct drv_display_plan *plan);

/* ------------------------------------------------------------- device */

struct drv_display;

/*
 * Opens the DRM device at path as an atomic client, finds a connected
 * connector with a mode of width x height (0 x 0: its preferred mode), a CRTC
 * for it, its planes and a writeback connector if there is one. Returns 0
 * and *out (freed with drv_display_close), -errno of open, -ENOTSUP for no
 * atomic modesetting, -ENODEV for no usable connector, CRTC or primary
 * plane, -ENOMEM.
 */
__attribute__((warn_unused_result, nonnull(1, 4))) int
drv_display_open(const char *path, uint32_t width, uint32_t height, struct drv_display **out);
/* Turns nothing off (the last scene stays on screen); NULL is a no-op. */
void drv_display_close(struct drv_display *d);

/* The mode's size, the driver's name, whether it has a writeback connector. */
__attribute__((nonnull)) void drv_display_size(const struct drv_display *d, uint32_t *width,
					       uint32_t *height);
__attribute__((nonnull)) const char *drv_display_driver(const struct drv_display *d);
__attribute__((nonnull)) bool drv_display_has_writeback(const struct drv_display *d);
/* The device's planes (as the allocator sees them) and the CRTC's index. */
__attribute__((nonnull)) const struct drv_display_plane_info *
drv_display_planes(const struct drv_display *d, size_t *n, unsigned int *crtc_index);

/*
 * A width x height dumb buffer in format (ARGB8888 or XRGB8888), mapped and
 * zeroed, with its framebuffer. Returns 0 and *out (freed with
 * drv_display_buffer_free, before drv_display_close), -EINVAL, -ENOMEM,
 * -EIO (the driver's pitch or size does not cover width x height) or the
 * ioctl's -errno.
 */
__attribute__((warn_unused_result, nonnull)) int
drv_display_buffer_new(struct drv_display *d, uint32_t width, uint32_t height, uint32_t format,
		       struct drv_display_buffer **out);
/* Removes the framebuffer, unmaps and destroys the buffer; NULL is a no-op. */
void drv_display_buffer_free(struct drv_display_buffer *buf);

/*
 * Shows scene: plans it (drv_display_plan), composites the layers the planes
 * cannot take into the next of two primary buffers, checks the plane
 * configuration with a test-only commit (and composites everything when the
 * device refuses it), then commits and waits for it. With capture (an
 * XRGB8888 buffer of the mode's size) the writeback connector writes the
 * composed screen into it and the call returns once it is written; where the
 * kernel refuses the output and writeback connectors together on one CRTC
 * (vkms 6.1 on Debian's 6.1 kernel: its clone check) the capture commit
 * drives the CRTC with the writeback connector alone. The plan
 * used is stored in *plan if not NULL. Returns 0, -EINVAL, -ENOTSUP (capture
 * without a writeback connector), -ETIMEDOUT (writeback not signalled), or
 * the commit's -errno.
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
drv_display_commit(struct drv_display *d, const struct drv_display_scene *scene,
		   struct drv_display_buffer *capture, struct drv_display_plan *plan);

/* ------------------------------------------------------------- PNG */

/*
 * Writes img (alpha dropped) as an 8-bit RGB PNG, mode 0600, through a new
 * file (O_EXCL) renamed over path. Returns 0, -errno, or -EIO.
 */
__attribute__((warn_unused_result, nonnull)) int
drv_display_png_write(const struct drv_display_image *img, const char *path);
/*
 * Reads an 8-bit RGB or RGBA PNG into a new XRGB8888 image (data malloc'd,
 * freed by the caller with free(img->data)). Returns 0, -errno, -EIO, -ENOMEM.
 */
__attribute__((warn_unused_result, nonnull)) int
drv_display_png_read(const char *path, struct drv_display_image *img);

#endif
