// SPDX-License-Identifier: MIT
/* The panel's golden images (panel_golden.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "panel_golden.h"

#ifndef PANEL_GOLDEN_DIR
#define PANEL_GOLDEN_DIR "panel/golden"
#endif

static void golden_log_path(char *out, size_t n, const char *name, const char *suffix)
{
	const char *b = getenv("BUILD");
	char dir[2048];

	snprintf(dir, sizeof(dir), "%s/test-logs", b && b[0] ? b : "build");
	mkdir(dir, 0755);
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/panel-golden");
	mkdir(dir, 0755);
	snprintf(out, n, "%s/%s%s.png", dir, name, suffix);
}

static int channel_max_diff(uint32_t a, uint32_t b)
{
	int m = 0;

	for (int s = 0; s < 24; s += 8) {
		int d = abs((int)((a >> s) & 255) - (int)((b >> s) & 255));

		m = d > m ? d : m;
	}
	return m;
}

void panel_golden(const char *name, cairo_surface_t *actual)
{
	char path[2300], out[2300], diffp[2300];
	const char *dir = getenv("PANEL_GOLDEN_DIR") ? getenv("PANEL_GOLDEN_DIR") : PANEL_GOLDEN_DIR;
	int w = cairo_image_surface_get_width(actual), h = cairo_image_surface_get_height(actual);
	cairo_surface_t *g, *gr, *diff;
	uint64_t bad = 0;
	int worst = 0;
	cairo_t *cr;

	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	if (getenv("PANEL_UPDATE_GOLDEN") && !strcmp(getenv("PANEL_UPDATE_GOLDEN"), "1")) {
		assert_int_equal(cairo_surface_write_to_png(actual, path), CAIRO_STATUS_SUCCESS);
		fprintf(stderr, "# wrote golden %s\n", path);
		return;
	}
	g = cairo_image_surface_create_from_png(path);
	if (cairo_surface_status(g) != CAIRO_STATUS_SUCCESS)
		fail_msg("%s: cannot read the golden %s (%s)", name, path,
			 cairo_status_to_string(cairo_surface_status(g)));
	gr = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cr = cairo_create(gr);
	cairo_set_source_surface(cr, g, 0, 0);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_flush(gr);
	diff = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	if (cairo_image_surface_get_width(g) != w || cairo_image_surface_get_height(g) != h) {
		bad = (uint64_t)w * (uint64_t)h;
	} else {
		for (int y = 0; y < h; y++) {
			const uint32_t *a = (const uint32_t *)(cairo_image_surface_get_data(actual) +
							       y * cairo_image_surface_get_stride(actual));
			const uint32_t *b = (const uint32_t *)(cairo_image_surface_get_data(gr) +
							       y * cairo_image_surface_get_stride(gr));
			uint32_t *o = (uint32_t *)(cairo_image_surface_get_data(diff) +
						   y * cairo_image_surface_get_stride(diff));

			for (int x = 0; x < w; x++) {
				int d = channel_max_diff(a[x], b[x]);
				uint32_t grey = ((a[x] >> 8) & 255) / 3;

				worst = d > worst ? d : worst;
				bad += d > GOLDEN_TOL;
				o[x] = d > GOLDEN_TOL ? 0xff0000u : grey << 16 | grey << 8 | grey;
			}
		}
		cairo_surface_mark_dirty(diff);
	}
	if (bad) {
		golden_log_path(out, sizeof(out), name, "-actual");
		golden_log_path(diffp, sizeof(diffp), name, "-diff");
		cairo_surface_write_to_png(actual, out);
		cairo_surface_write_to_png(diff, diffp);
	}
	cairo_surface_destroy(diff);
	cairo_surface_destroy(gr);
	cairo_surface_destroy(g);
	if (bad)
		fail_msg("%s: %llu pixels differ from %s by more than %d (max %d); actual %s, "
			 "diff %s",
			 name, (unsigned long long)bad, path, GOLDEN_TOL, worst, out, diffp);
	fprintf(stderr, "# %s: matches %s (max channel difference %d)\n", name, path, worst);
}