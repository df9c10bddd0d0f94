// SPDX-License-Identifier: MIT
/* The room's KMS overlay: labels under tiles, trust frames, E2EE banner (wm/overlay.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "renderer.h"
#include "wm/overlay.h"

/* A codeword only sizes the strip: every codeword has the same width (monospace). */
#define SIZING_CODEWORD "mavoj-pubip-gubad-gamiv"
/* Trust frames: straight RGB, opaque. */
static const double trust_rgb[][3] = {
	[WM_TRUST_UNVERIFIED] = { 0.94, 0.69, 0.13 },
	[WM_TRUST_VERIFIED] = { 0.19, 0.75, 0.31 },
	[WM_TRUST_WARNING] = { 0.88, 0.19, 0.19 },
};
/* The banner: text and backing (85 % opaque) per E2EE state. */
static const struct {
	const char *text;
	double rgb[3];
} banners[] = {
	[WM_E2EE_OFF] = { "Not encrypted", { 0.70, 0.10, 0.10 } },
	[WM_E2EE_WAITING] = { "Waiting for keys", { 0.60, 0.42, 0.05 } },
	[WM_E2EE_ON] = { "End-to-end encrypted", { 0.08, 0.45, 0.20 } },
};
#define BANNER_ALPHA 0.85
/* Under a label raised over its own tile's video: opaque, the screen's background. */
#define RAISED_BACKING 0x101010u

/* Pixels between a tile's video and its label, and around the banner. */
static uint32_t gap_px(uint32_t em)
{
	return em / 4 < 2 ? 2 : em / 4;
}

static uint32_t frame_px(uint32_t em)
{
	return em / 8 < 2 ? 2 : em / 8;
}

/* The banner's size and text layout (owned by the caller, g_object_unref). */
static PangoLayout *banner_layout(struct wm_renderer *r, enum wm_e2ee_state s, uint32_t em,
				  uint32_t *w, uint32_t *h)
{
	PangoLayout *l = pango_layout_new(r->ctx);
	PangoRectangle rect;

	if (!l)
		return NULL;
	pango_font_description_set_absolute_size(r->second_font, (double)em * PANGO_SCALE);
	pango_layout_set_font_description(l, r->second_font);
	pango_layout_set_text(l, banners[s].text, -1);
	pango_layout_get_pixel_extents(l, NULL, &rect);
	*w = ((uint32_t)(rect.width + 2 * wm_scaled(em, WM_PAD_X)) + 1) & ~1u;
	*h = ((uint32_t)(rect.height + 2 * wm_scaled(em, WM_PAD_Y)) + 1) & ~1u;
	return l;
}

/* The height above the grid: the banner and a gap on each side. */
static int banner_strip(struct wm_renderer *r, uint32_t screen_height, uint32_t *strip)
{
	uint32_t em = wm_text_px(screen_height), w, h;
	PangoLayout *l = banner_layout(r, WM_E2EE_ON, em, &w, &h);

	if (!l)
		return -ENOMEM;
	g_object_unref(l);
	*strip = h + 2 * gap_px(em);
	return 0;
}

/*
 * What every layout keeps free: the banner's strip at the top (*top) and, under each tile,
 * a strip for a two-line label of the screen's size (*strip; the label *lw wide).
 */
static int label_strips(struct wm_renderer *r, uint32_t screen_height, uint32_t *lw,
			uint32_t *strip, uint32_t *top, uint32_t *em)
{
	const struct wm_label sizing = { SIZING_CODEWORD, "Name" };
	uint32_t lh;
	int ret = wm_measure(r, &sizing, screen_height, lw, &lh);

	if (ret)
		return ret;
	ret = banner_strip(r, screen_height, top);
	if (ret)
		return ret;
	*em = wm_text_px(screen_height);
	*strip = lh + 2 * gap_px(*em);
	return *top + *strip >= screen_height ? -EINVAL : 0;
}

int wm_layout_grid(struct wm_renderer *r, size_t n, uint32_t screen_width,
		   uint32_t screen_height, struct wm_rect *video)
{
	return wm_layout_grid_above(r, n, screen_width, screen_height, 0, video);
}

int wm_layout_grid_above(struct wm_renderer *r, size_t n, uint32_t screen_width,
			 uint32_t screen_height, uint32_t bottom, struct wm_rect *video)
{
	static const struct {
		bool label_wide;
		uint32_t min_w;
	} passes[] = { { true, 64 }, { true, 16 }, { false, 64 } };
	uint32_t em, lw, top, strip, best_w = 0, best_cols = 0;
	int ret;

	if (n == 0 || n > WM_OVERLAY_MAX_TILES || bottom >= screen_height)
		return -EINVAL;
	ret = label_strips(r, screen_height, &lw, &strip, &top, &em);
	if (ret)
		return ret;
	if (top + bottom >= screen_height)
		return -EINVAL;
	/* The rows left free are not the grid's: it lays out as on a shorter screen
	 * (the labels keep the whole screen's size). */
	screen_height -= bottom;
	/* The column count that gives the largest tiles, among those whose cells
	 * are a label wide (no label covers its neighbour's) with tiles at least
	 * 64 pixels wide; where none is, 16 (a small tile under a readable
	 * label); where none is either (more rows of labels than the screen is
	 * tall), any count with tiles of 64: bigger tiles again, labels over
	 * each other. */
	for (size_t pass = 0; pass < sizeof(passes) / sizeof(passes[0]) && !best_w; pass++)
		for (uint32_t cols = 1; cols <= n; cols++) {
			uint32_t rows = (uint32_t)((n + cols - 1) / cols);
			uint32_t cell_w = screen_width / cols, cell_h = (screen_height - top) / rows;
			uint32_t w, h;

			if (cell_h <= strip + gap_px(em) || cell_w <= 2 * gap_px(em) ||
			    (passes[pass].label_wide && cell_w < lw + 2 * gap_px(em)))
				continue;
			w = cell_w - 2 * gap_px(em);
			h = cell_h - strip - gap_px(em);
			if (w * 9 > h * 16)
				w = h * 16 / 9;
			w &= ~1u;
			if (w >= passes[pass].min_w && w > best_w) {
				best_w = w;
				best_cols = cols;
			}
		}
	if (!best_w)
		return -EINVAL;
	{
		uint32_t cols = best_cols, rows = (uint32_t)((n + cols - 1) / cols);
		uint32_t cell_w = screen_width / cols, cell_h = (screen_height - top) / rows;
		uint32_t w = best_w, h = (best_w * 9 / 16) & ~1u;

		for (size_t i = 0; i < n; i++) {
			uint32_t c = (uint32_t)(i % cols), row = (uint32_t)(i / cols);
			/* The last row's tiles centred as a group. */
			uint32_t in_row = row == rows - 1 ? (uint32_t)(n - (size_t)row * cols) : cols;
			uint32_t x0 = (screen_width - in_row * cell_w) / 2;

			video[i].x = (int32_t)((x0 + c * cell_w + (cell_w - w) / 2) & ~1u);
			video[i].y = (int32_t)((top + row * cell_h + (cell_h - h - strip) / 2) & ~1u);
			video[i].width = w;
			video[i].height = h;
		}
	}
	return 0;
}

int wm_layout_speaker(struct wm_renderer *r, size_t n, size_t big, uint32_t screen_width,
		      uint32_t screen_height, uint32_t bottom, struct wm_rect *video)
{
	uint32_t em, lw, top, strip, g, cols, rows, cell_w, w, h, big_w, big_h, avail;
	size_t others = n - 1, k = 0;
	int ret;

	if (n < 2 || n > WM_OVERLAY_MAX_TILES || big >= n || bottom >= screen_height)
		return -EINVAL;
	ret = label_strips(r, screen_height, &lw, &strip, &top, &em);
	if (ret)
		return ret;
	g = gap_px(em);
	/* The strip's cells are at least a label wide: no label covers its neighbour's. */
	cols = screen_width / (lw + 2 * g);
	if (!cols)
		return -EINVAL;
	if (cols > others)
		cols = (uint32_t)others;
	rows = (uint32_t)((others + cols - 1) / cols);
	/* Cells never narrower than a label; the video in them at most a sixth of the screen
	 * wide (the label may be wider than its small tile: it is centred under it). */
	cell_w = screen_width / (cols > 4 ? cols : 4);
	if (cell_w < lw + 2 * g)
		cell_w = lw + 2 * g;
	w = (cell_w - 2 * g) & ~1u;
	if (w > screen_width / 6)
		w = (screen_width / 6) & ~1u;
	h = (w * 9 / 16) & ~1u;
	/* What is left above the strip is the large tile's, with its own label strip. */
	if (top + rows * (h + strip + g) + strip + g + bottom >= screen_height)
		return -EINVAL;
	avail = screen_height - bottom - top - rows * (h + strip + g) - strip - g;
	big_w = screen_width - 2 * g;
	if (big_w * 9 > avail * 16)
		big_w = avail * 16 / 9;
	big_w &= ~1u;
	big_h = (big_w * 9 / 16) & ~1u;
	/* The large one is larger than the small ones by half at least, or this is no layout. */
	if (big_w < 64 || w < 64 || 2 * big_w < 3 * w)
		return -EINVAL;
	video[big] = (struct wm_rect){ (int32_t)(((screen_width - big_w) / 2) & ~1u),
				       (int32_t)((top + g) & ~1u), big_w, big_h };
	for (size_t i = 0; i < n; i++) {
		uint32_t c, row, in_row, x0, y0;

		if (i == big)
			continue;
		c = (uint32_t)(k % cols);
		row = (uint32_t)(k / cols);
		/* Each row's tiles centred as a group. */
		in_row = row == rows - 1 ? (uint32_t)(others - (size_t)row * cols) : cols;
		x0 = (screen_width - in_row * cell_w) / 2;
		y0 = top + g + big_h + strip + row * (h + strip + g);
		video[i] = (struct wm_rect){ (int32_t)((x0 + c * cell_w + (cell_w - w) / 2) & ~1u),
					     (int32_t)(y0 & ~1u), w, h };
		k++;
	}
	return 0;
}

/* The label's second line: the name, or the warning with it. */
static const char *second_line(const struct wm_tile *t, char *buf, size_t len)
{
	if (t->trust != WM_TRUST_WARNING)
		return t->name;
	snprintf(buf, len, "KEY CHANGED%s%s", t->name ? " \xe2\x80\x93 " : "",
		 t->name ? t->name : "");
	return buf;
}

static bool overlap(const struct wm_rect *a, const struct wm_rect *b)
{
	return a->x < b->x + (int32_t)b->width && b->x < a->x + (int32_t)a->width &&
	       a->y < b->y + (int32_t)b->height && b->y < a->y + (int32_t)a->height;
}

static int32_t clamp_i32(int64_t v, int64_t lo, int64_t hi)
{
	return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

int wm_overlay_place(struct wm_renderer *r, const struct wm_overlay *o, uint32_t screen_width,
		     uint32_t screen_height, struct wm_rect *labels, struct wm_rect *banner)
{
	uint32_t em = wm_text_px(screen_height);
	char buf[WM_SECOND_MAX + 32];
	int ret;

	if (o->n_tiles > WM_OVERLAY_MAX_TILES || (o->n_tiles && !o->tiles) ||
	    (unsigned int)o->e2ee > WM_E2EE_ON || screen_height < WM_SCREEN_HEIGHT_MIN ||
	    screen_height > WM_SCREEN_HEIGHT_MAX || o->clear_bottom >= screen_height)
		return -EINVAL;
	for (size_t i = 0; i < o->n_tiles; i++) {
		const struct wm_tile *t = &o->tiles[i];
		struct wm_label label = { t->codeword, NULL };
		uint32_t w, h;

		if ((unsigned int)t->trust > WM_TRUST_WARNING || !t->codeword ||
		    (t->name && strlen(t->name) > WM_SECOND_MAX))
			return -EINVAL;
		label.second = second_line(t, buf, sizeof(buf));
		ret = wm_measure(r, &label, screen_height, &w, &h);
		if (ret)
			return ret;
		if (w > screen_width || h > screen_height)
			return -EINVAL;
		{
			int64_t x = (int64_t)t->video.x + ((int64_t)t->video.width - w) / 2;
			int64_t y = (int64_t)t->video.y + t->video.height + gap_px(em);
			int64_t clear = (int64_t)screen_height - o->clear_bottom;
			struct wm_rect at = { clamp_i32(x, 0, screen_width - w) & ~1,
					      clamp_i32(y, 0, screen_height - h) & ~1, w, h };

			/* Covered at the bottom: just above the cover, still on its own
			 * tile (from its video's bottom down) and over no other tile's
			 * video, or not at all (-ERANGE). */
			if (o->clear_bottom && at.y + (int64_t)h > clear) {
				at.y = (int32_t)((clear - gap_px(em) - h) & ~1);
				if (at.y < t->video.y)
					return -ERANGE;
				for (size_t j = 0; j < o->n_tiles; j++)
					if (j != i && overlap(&at, &o->tiles[j].video))
						return -ERANGE;
			}
			if (labels)
				labels[i] = at;
		}
	}
	if (banner) {
		uint32_t w, h;
		PangoLayout *l = banner_layout(r, o->e2ee, em, &w, &h);

		if (!l)
			return -ENOMEM;
		g_object_unref(l);
		if (w > screen_width)
			return -EINVAL;
		banner->x = (int32_t)((screen_width - w) / 2) & ~1;
		banner->y = (int32_t)gap_px(em) & ~1;
		banner->width = w;
		banner->height = h;
	}
	return 0;
}

int wm_overlay_render(struct wm_renderer *r, const struct wm_overlay *o, struct wm_image *img)
{
	struct wm_rect labels[WM_OVERLAY_MAX_TILES], banner;
	cairo_surface_t *surface = NULL;
	cairo_t *cr = NULL;
	PangoLayout *bl = NULL;
	char buf[WM_SECOND_MAX + 32];
	uint32_t em, bw, bh;
	int ret;

	if (!img->data || (uintptr_t)img->data % 4 || img->stride % 4 ||
	    img->stride / 4 < img->width)
		return -EINVAL;
	ret = wm_overlay_place(r, o, img->width, img->height, labels, &banner);
	if (ret)
		return ret;
	em = wm_text_px(img->height);
	cr = wm_cairo_cleared(img->data, img->width, img->height, img->stride, &surface);
	if (!cr) {
		ret = -ENOMEM;
		goto out;
	}

	/* Trust frames just inside each tile's video. */
	for (size_t i = 0; i < o->n_tiles; i++) {
		const struct wm_tile *t = &o->tiles[i];
		double f = frame_px(em);

		cairo_set_source_rgb(cr, trust_rgb[t->trust][0], trust_rgb[t->trust][1],
				     trust_rgb[t->trust][2]);
		cairo_set_line_width(cr, f);
		cairo_rectangle(cr, t->video.x + f / 2, t->video.y + f / 2, t->video.width - f,
				t->video.height - f);
		cairo_stroke(cr);
	}
	cairo_surface_flush(surface);

	/* Labels: libwm straight into the screen at their places. */
	for (size_t i = 0; i < o->n_tiles; i++) {
		const struct wm_tile *t = &o->tiles[i];
		struct wm_label label = { t->codeword, second_line(t, buf, sizeof(buf)) };
		struct wm_image at = {
			.data = img->data + (size_t)labels[i].y * img->stride +
				(size_t)labels[i].x * 4,
			.width = img->width - (uint32_t)labels[i].x,
			.height = img->height - (uint32_t)labels[i].y,
			.stride = img->stride,
		};

		ret = wm_render(r, &label, img->height, &at);
		if (ret)
			goto out;
	}
	cairo_surface_mark_dirty(surface);
	/* A label raised over its tile's video (the bar below it, clear_bottom) gets an
	 * opaque backing behind it: no pixel of that video shows through the label that
	 * names it (libwm's label itself is slightly translucent). */
	cairo_save(cr);
	cairo_set_operator(cr, CAIRO_OPERATOR_DEST_OVER);
	cairo_set_source_rgb(cr, ((RAISED_BACKING >> 16) & 255) / 255.0,
			     ((RAISED_BACKING >> 8) & 255) / 255.0, (RAISED_BACKING & 255) / 255.0);
	for (size_t i = 0; i < o->n_tiles; i++)
		if (labels[i].y < o->tiles[i].video.y + (int32_t)o->tiles[i].video.height)
			cairo_rectangle(cr, labels[i].x, labels[i].y, labels[i].width,
					labels[i].height);
	cairo_fill(cr);
	cairo_restore(cr);

	bl = banner_layout(r, o->e2ee, em, &bw, &bh);
	if (!bl) {
		ret = -ENOMEM;
		goto out;
	}
	cairo_save(cr);
	cairo_translate(cr, banner.x, banner.y);
	cairo_set_source_rgba(cr, banners[o->e2ee].rgb[0], banners[o->e2ee].rgb[1],
			      banners[o->e2ee].rgb[2], BANNER_ALPHA);
	wm_rounded_rect(cr, bw, bh, wm_scaled(em, WM_RADIUS));
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_move_to(cr, wm_scaled(em, WM_PAD_X), wm_scaled(em, WM_PAD_Y));
	pango_cairo_show_layout(cr, bl);
	cairo_restore(cr);
	cairo_surface_flush(surface);
	ret = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : -ENOMEM;
out:
	if (bl)
		g_object_unref(bl);
	if (cr)
		cairo_destroy(cr);
	if (surface)
		cairo_surface_destroy(surface);
	return ret;
}
