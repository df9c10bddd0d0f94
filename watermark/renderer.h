/* SPDX-License-Identifier: MIT */
/* libwm's renderer, shared by label.c and overlay.c (not installed). */
#ifndef WM_RENDERER_H
#define WM_RENDERER_H

#include <stdint.h>

#include <pango/pangocairo.h>

struct wm_renderer {
	PangoFontMap *map;   /* our two fonts only (label.c, wm_renderer_new) */
	PangoContext *ctx;
	PangoLayout *cw;     /* the codeword line */
	PangoLayout *second; /* the second line */
	PangoFontDescription *cw_font;
	PangoFontDescription *second_font;
};

/*
 * Proportions in 1/100 of the codeword's text size (em): padding around the
 * text, the gap between the lines, the corner radius, the second line's
 * size (label.c; the overlay's banner uses the same).
 */
#define WM_PAD_X 45
#define WM_PAD_Y 22
#define WM_GAP 8
#define WM_RADIUS 35
#define WM_SECOND_SIZE 70

/*
 * A Cairo context on an ARGB32 image, cleared to transparent, operator OVER;
 * NULL when Cairo fails. *surface is set either way (destroy it after cr).
 */
cairo_t *wm_cairo_cleared(uint8_t *data, uint32_t w, uint32_t h, uint32_t stride,
			  cairo_surface_t **surface);
/* A rounded rectangle path of w x h at the origin. */
void wm_rounded_rect(cairo_t *cr, double w, double h, double rad);
/* em * hundredths / 100, rounded. */
int wm_scaled(uint32_t em, int hundredths);

#endif
