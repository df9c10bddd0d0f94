/* SPDX-License-Identifier: MIT */
/*
 * The panel's golden images (panel/golden/NAME.png), for test_panel_screens and
 * test_panel_bar: a pixel matches when no channel differs by more than
 * GOLDEN_TOL (8 of 255: antialiasing noise of another FreeType or Cairo
 * build); every pixel must match. On a mismatch the actual image and a diff
 * (red where pixels differ) go to $BUILD/test-logs/panel-golden/ and the
 * failure names them. PANEL_UPDATE_GOLDEN=1 in the environment rewrites the
 * golden instead.
 */
#ifndef PANEL_GOLDEN_H
#define PANEL_GOLDEN_H

#include <cairo.h>

#define GOLDEN_TOL 8

/* actual (RGB24, not owned) against panel/golden/NAME.png; a cmocka failure if it differs. */
void panel_golden(const char *name, cairo_surface_t *actual);

#endif
