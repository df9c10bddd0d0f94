/* SPDX-License-Identifier: MIT */
/*
 * Golden-image comparison for the watermark tests. Images are ARGB32
 * (premultiplied, Cairo's format); goldens are PNGs in WM_GOLDEN_DIR.
 *
 * A pixel differs when one of its channels differs by more than
 * WMT_PIXEL_TOL; an image matches when its size is the golden's and at most
 * WMT_DIFF_FRACTION of its pixels differ. The tolerance absorbs antialiasing
 * changes in a later FreeType, Cairo or Pango; a glyph moved by a pixel, a
 * different font or a missing backing fails.
 *
 * With WM_UPDATE_GOLDEN=1 in the environment the golden is (re)written
 * instead. On a mismatch the actual image and a diff (red: differing
 * pixels; grey: the actual image, dimmed) are written to
 * $BUILD/test-logs/wm-NAME-actual.png and wm-NAME-diff.png.
 */
#ifndef TESTS_WM_GOLDEN_H
#define TESTS_WM_GOLDEN_H

#include <stddef.h>
#include <stdint.h>

#define WMT_PIXEL_TOL 32
#define WMT_DIFF_FRACTION 0.005

/*
 * Compares w x h pixels of data (stride bytes per row) with golden NAME.
 * Returns 0 when they match (or the golden was written), else -1 with a
 * reason in msg.
 */
int wmt_golden_check(const char *name, const uint8_t *data, uint32_t w, uint32_t h,
		     uint32_t stride, char *msg, size_t msg_len);

/* Writes an ARGB32 image as $BUILD/test-logs/wm-NAME.png (for looking at). */
void wmt_save(const char *name, const uint8_t *data, uint32_t w, uint32_t h, uint32_t stride);

/* cmocka group fixtures: a wm_renderer in *state. */
int wmt_renderer_setup(void **state);
int wmt_renderer_teardown(void **state);

#endif
