/* SPDX-License-Identifier: MIT */
/* What the image test's screen checkers (drm-scene, display-check) share. */
#ifndef TESTS_QEMU_SCREEN_CHECK_H
#define TESTS_QEMU_SCREEN_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "drv/display.h"

/* Checks that failed so far (sc_expect). */
extern int sc_failures;

/* Prints "# ok: ..." or "# FAILED: ..." and counts a failure. */
void sc_expect(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The 32-bit pixel at (x, y). */
uint32_t sc_px(const struct drv_display_image *img, uint32_t x, uint32_t y);
/* The largest difference of the three colour channels. */
int sc_chdiff(uint32_t a, uint32_t b);

#endif
