// SPDX-License-Identifier: MIT
/*
 * The software compositor: what the planes would show, drawn into the
 * primary plane's buffer when the device has too few planes (virtio-gpu has
 * no overlay plane). Premultiplied src-over, as KMS blends in its default
 * "Pre-multiplied" blend mode (drm_plane_create_blend_mode_property):
 *   out = src * plane_alpha + dst * (1 - src_alpha * plane_alpha)
 * vkms computes the same in 16 bits per channel; the results differ by at
 * most one step of 8 bits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "drv/display.h"

/* x / 255, rounded, for x <= 255 * 255 * 2. */
static inline uint32_t div255(uint32_t x)
{
	x += 128;
	return (x + (x >> 8)) >> 8;
}

static bool known_format(uint32_t format)
{
	return format == DRM_FORMAT_ARGB8888 || format == DRM_FORMAT_XRGB8888;
}

void drv_display_fill(struct drv_display_image *dst, uint32_t xrgb)
{
	uint32_t px = xrgb | 0xff000000u;

	for (uint32_t y = 0; y < dst->height; y++) {
		uint32_t *row = (uint32_t *)(dst->data + (size_t)y * dst->stride);

		for (uint32_t x = 0; x < dst->width; x++)
			row[x] = px;
	}
}

int drv_display_blend(struct drv_display_image *dst, const struct drv_display_image *src,
		      int32_t x, int32_t y, uint16_t alpha)
{
	/* Plane alpha in 8 bits; 0xffff maps to 255 exactly. */
	const uint32_t ga = (uint32_t)(((uint64_t)alpha * 255 + 0x7fff) / 0xffff);
	const bool opaque_src = src->format == DRM_FORMAT_XRGB8888;
	int64_t x0, y0, x1, y1;

	if (!known_format(dst->format) || !known_format(src->format))
		return -EINVAL;
	/* The part of src that lands on dst. */
	x0 = x < 0 ? 0 : x;
	y0 = y < 0 ? 0 : y;
	x1 = (int64_t)x + src->width;
	y1 = (int64_t)y + src->height;
	if (x1 > dst->width)
		x1 = dst->width;
	if (y1 > dst->height)
		y1 = dst->height;
	if (ga == 0)
		return 0;
	for (int64_t dy = y0; dy < y1; dy++) {
		uint32_t *d = (uint32_t *)(dst->data + (size_t)dy * dst->stride);
		const uint32_t *s = (const uint32_t *)(src->data + (size_t)(dy - y) * src->stride);

		for (int64_t dx = x0; dx < x1; dx++) {
			uint32_t sp = s[dx - x], dp = d[dx];
			uint32_t sa = opaque_src ? 255 : sp >> 24;
			uint32_t out = 0xff000000u;

			if (ga != 255)
				sa = div255(sa * ga);
			if (sa == 255 && ga == 255) {
				d[dx] = sp | 0xff000000u;
				continue;
			}
			for (int sh = 0; sh <= 16; sh += 8) {
				uint32_t sc = (sp >> sh) & 0xff, dc = (dp >> sh) & 0xff;
				uint32_t c;

				if (ga != 255)
					sc = div255(sc * ga);
				c = sc + div255(dc * (255 - sa));
				out |= (c > 255 ? 255 : c) << sh;
			}
			d[dx] = out;
		}
	}
	return 0;
}

int drv_display_max_diff(const struct drv_display_image *a, const struct drv_display_image *b)
{
	int worst = 0;

	if (a->width != b->width || a->height != b->height)
		return -EINVAL;
	for (uint32_t y = 0; y < a->height; y++) {
		const uint32_t *pa = (const uint32_t *)(a->data + (size_t)y * a->stride);
		const uint32_t *pb = (const uint32_t *)(b->data + (size_t)y * b->stride);

		for (uint32_t x = 0; x < a->width; x++) {
			for (int sh = 0; sh <= 16; sh += 8) {
				int d = abs((int)((pa[x] >> sh) & 0xff) - (int)((pb[x] >> sh) & 0xff));

				if (d > worst)
					worst = d;
			}
		}
	}
	return worst;
}
