// SPDX-License-Identifier: MIT
/* Golden-image comparison (wm_golden.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cairo.h>

#include "wm/label.h"
#include "wm_golden.h"

#ifndef WM_GOLDEN_DIR
#define WM_GOLDEN_DIR "tests/watermark/golden"
#endif

static void log_path(char *out, size_t n, const char *name, const char *suffix)
{
	const char *build = getenv("BUILD");
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/test-logs", build && build[0] ? build : "build");
	mkdir(build && build[0] ? build : "build", 0755);
	mkdir(dir, 0755);
	snprintf(out, n, "%s/wm-%s%s.png", dir, name, suffix);
}

static cairo_status_t write_png(const char *path, const uint8_t *data, uint32_t w, uint32_t h,
				uint32_t stride)
{
	cairo_surface_t *s = cairo_image_surface_create_for_data(
		(unsigned char *)data, CAIRO_FORMAT_ARGB32, (int)w, (int)h, (int)stride);
	cairo_status_t st = cairo_surface_write_to_png(s, path);

	cairo_surface_destroy(s);
	return st;
}

void wmt_save(const char *name, const uint8_t *data, uint32_t w, uint32_t h, uint32_t stride)
{
	char path[4200];

	log_path(path, sizeof(path), name, "");
	write_png(path, data, w, h, stride);
}

static int channel_diff(uint32_t a, uint32_t b)
{
	int m = 0;

	for (int s = 0; s < 32; s += 8) {
		int d = abs((int)((a >> s) & 255) - (int)((b >> s) & 255));

		if (d > m)
			m = d;
	}
	return m;
}

int wmt_golden_check(const char *name, const uint8_t *data, uint32_t w, uint32_t h,
		     uint32_t stride, char *msg, size_t msg_len)
{
	const char *dir = getenv("WM_GOLDEN_DIR") ? getenv("WM_GOLDEN_DIR") : WM_GOLDEN_DIR;
	char path[4200], out[4200];
	cairo_surface_t *golden = NULL, *argb = NULL, *diff = NULL;
	uint64_t differing = 0;
	int max_diff = 0, ret = -1;

	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	if (getenv("WM_UPDATE_GOLDEN")) {
		if (write_png(path, data, w, h, stride) != CAIRO_STATUS_SUCCESS) {
			snprintf(msg, msg_len, "cannot write %s", path);
			return -1;
		}
		fprintf(stderr, "# wrote golden %s\n", path);
		return 0;
	}
	golden = cairo_image_surface_create_from_png(path);
	if (cairo_surface_status(golden) != CAIRO_STATUS_SUCCESS) {
		snprintf(msg, msg_len, "cannot read %s: %s", path,
			 cairo_status_to_string(cairo_surface_status(golden)));
		goto out;
	}
	/* Whatever format the PNG loaded as, compare as ARGB32. */
	argb = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cairo_image_surface_get_width(golden),
					  cairo_image_surface_get_height(golden));
	{
		cairo_t *cr = cairo_create(argb);

		cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
		cairo_set_source_surface(cr, golden, 0, 0);
		cairo_paint(cr);
		cairo_destroy(cr);
	}
	cairo_surface_flush(argb);
	if ((uint32_t)cairo_image_surface_get_width(argb) != w ||
	    (uint32_t)cairo_image_surface_get_height(argb) != h) {
		snprintf(msg, msg_len, "%s: size %ux%u, golden %dx%d", name, w, h,
			 cairo_image_surface_get_width(argb), cairo_image_surface_get_height(argb));
		log_path(out, sizeof(out), name, "-actual");
		write_png(out, data, w, h, stride);
		goto out;
	}
	diff = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)w, (int)h);
	{
		const uint8_t *g = cairo_image_surface_get_data(argb);
		int gs = cairo_image_surface_get_stride(argb);
		uint8_t *d = cairo_image_surface_get_data(diff);
		int ds = cairo_image_surface_get_stride(diff);

		for (uint32_t y = 0; y < h; y++) {
			const uint32_t *a = (const uint32_t *)(data + (size_t)y * stride);
			const uint32_t *b = (const uint32_t *)(g + (size_t)y * gs);
			uint32_t *o = (uint32_t *)(d + (size_t)y * ds);

			for (uint32_t x = 0; x < w; x++) {
				int m = channel_diff(a[x], b[x]);
				uint32_t grey = (((a[x] >> 8) & 255) / 3) & 255;

				if (m > max_diff)
					max_diff = m;
				if (m > WMT_PIXEL_TOL) {
					differing++;
					o[x] = 0xffff0000u;
				} else {
					o[x] = 0xff000000u | grey << 16 | grey << 8 | grey;
				}
			}
		}
		cairo_surface_mark_dirty(diff);
	}
	if (differing > (uint64_t)(WMT_DIFF_FRACTION * (double)w * h)) {
		log_path(out, sizeof(out), name, "-actual");
		write_png(out, data, w, h, stride);
		log_path(out, sizeof(out), name, "-diff");
		cairo_surface_write_to_png(diff, out);
		snprintf(msg, msg_len,
			 "%s: %llu of %llu pixels differ by more than %d (max %d); actual and "
			 "diff next to %s",
			 name, (unsigned long long)differing, (unsigned long long)w * h,
			 WMT_PIXEL_TOL, max_diff, out);
		goto out;
	}
	fprintf(stderr, "# %s: %llu pixels differ by more than %d, max diff %d\n", name,
		(unsigned long long)differing, WMT_PIXEL_TOL, max_diff);
	ret = 0;
out:
	if (diff)
		cairo_surface_destroy(diff);
	if (argb)
		cairo_surface_destroy(argb);
	if (golden)
		cairo_surface_destroy(golden);
	return ret;
}

int wmt_renderer_setup(void **state)
{
	struct wm_renderer *r = NULL;

	if (wm_renderer_new(&r))
		return -1;
	*state = r;
	return 0;
}

int wmt_renderer_teardown(void **state)
{
	wm_renderer_free(*state);
	return 0;
}
