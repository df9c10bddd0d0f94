// SPDX-License-Identifier: MIT
/* Codeword labels with Cairo and Pango (see include/wm/label.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>

#include "renderer.h"
#include "wm/label.h"

/* fonts-dejavu-core's files behind WM_FONT_CODEWORD and WM_FONT_SECOND. */
static const char *const font_files[] = {
	WM_FONT_DIR "/DejaVuSansMono-Bold.ttf",
	WM_FONT_DIR "/DejaVuSans-Bold.ttf",
};

/*
 * The backing is black at 70 % opacity: white text on it keeps a contrast of
 * at least 4.5:1 (WCAG AA) over a white picture.
 */
#define BACKING_ALPHA 0.70

struct geometry {
	uint32_t width, height; /* whole label, even */
	int text_x;
	int cw_y;
	int second_y;
	int radius;
	bool has_second;
};

uint32_t wm_text_px(uint32_t screen_height)
{
	uint32_t px = (screen_height + 16) / 32;

	return px < 8 ? 8 : px;
}

int wm_codeword_format(const char *in, char out[static E2EE_CODEWORD_SIZE])
{
	uint16_t v;

	if (strlen(in) != E2EE_CODEWORD_LEN)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		const char *p = in + i * (E2EE_PROQUINT_LEN + 1);

		if (e2ee_proquint_decode(p, &v))
			return -EINVAL;
		if (i < 3 && p[E2EE_PROQUINT_LEN] != '-')
			return -EINVAL;
	}
	for (size_t i = 0; i < E2EE_CODEWORD_LEN; i++) {
		char c = in[i];
		bool first = i % (E2EE_PROQUINT_LEN + 1) == 0;

		if (first && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!first && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
	}
	out[E2EE_CODEWORD_LEN] = '\0';
	return 0;
}

static bool font_is(PangoFontMap *map, PangoContext *ctx, const PangoFontDescription *want)
{
	PangoFont *font = pango_font_map_load_font(map, ctx, want);
	PangoFontDescription *got;
	bool ok;

	if (!font)
		return false;
	got = pango_font_describe(font);
	ok = g_strcmp0(pango_font_description_get_family(got),
		       pango_font_description_get_family(want)) == 0 &&
	     pango_font_description_get_weight(got) == PANGO_WEIGHT_BOLD;
	pango_font_description_free(got);
	g_object_unref(font);
	return ok;
}

int wm_renderer_new(struct wm_renderer **out)
{
	struct wm_renderer *r = NULL;
	cairo_font_options_t *fo = NULL;
	FcConfig *cfg = NULL;
	int ret = -ENOMEM;

	*out = NULL;
	for (size_t i = 0; i < sizeof(font_files) / sizeof(font_files[0]); i++) {
		if (access(font_files[i], R_OK)) {
			ret = -ENOENT;
			goto out;
		}
	}
	r = calloc(1, sizeof(*r));
	cfg = FcConfigCreate();
	if (!r || !cfg)
		goto out;
	/*
	 * A configuration of our two files and no rules: the system's fonts and
	 * fontconfig settings cannot change what a label looks like.
	 */
	for (size_t i = 0; i < sizeof(font_files) / sizeof(font_files[0]); i++) {
		if (!FcConfigAppFontAddFile(cfg, (const FcChar8 *)font_files[i])) {
			ret = -ENOENT;
			goto out;
		}
	}
	r->map = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
	if (!r->map)
		goto out;
	pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(r->map), cfg);
	r->ctx = pango_font_map_create_context(r->map);
	fo = cairo_font_options_create();
	if (!r->ctx || cairo_font_options_status(fo) != CAIRO_STATUS_SUCCESS)
		goto out;
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_ON);
	pango_cairo_context_set_font_options(r->ctx, fo);
	pango_cairo_context_set_resolution(r->ctx, 72.0);
	pango_context_set_round_glyph_positions(r->ctx, TRUE);
	pango_context_set_base_dir(r->ctx, PANGO_DIRECTION_LTR);

	r->cw_font = pango_font_description_from_string(WM_FONT_CODEWORD);
	r->second_font = pango_font_description_from_string(WM_FONT_SECOND);
	if (!r->cw_font || !r->second_font)
		goto out;
	pango_font_description_set_absolute_size(r->cw_font, 32 * PANGO_SCALE);
	pango_font_description_set_absolute_size(r->second_font, 32 * PANGO_SCALE);
	if (!font_is(r->map, r->ctx, r->cw_font) || !font_is(r->map, r->ctx, r->second_font)) {
		ret = -ENOENT;
		goto out;
	}
	r->cw = pango_layout_new(r->ctx);
	r->second = pango_layout_new(r->ctx);
	if (!r->cw || !r->second)
		goto out;
	pango_layout_set_single_paragraph_mode(r->second, TRUE);
	pango_layout_set_ellipsize(r->second, PANGO_ELLIPSIZE_END);
	*out = r;
	r = NULL;
	ret = 0;
out:
	if (fo)
		cairo_font_options_destroy(fo);
	if (cfg)
		FcConfigDestroy(cfg); /* the font map keeps its own reference */
	wm_renderer_free(r);
	return ret;
}

void wm_renderer_free(struct wm_renderer *r)
{
	if (!r)
		return;
	if (r->cw)
		g_object_unref(r->cw);
	if (r->second)
		g_object_unref(r->second);
	if (r->cw_font)
		pango_font_description_free(r->cw_font);
	if (r->second_font)
		pango_font_description_free(r->second_font);
	if (r->ctx)
		g_object_unref(r->ctx);
	if (r->map)
		g_object_unref(r->map);
	free(r);
}

int wm_scaled(uint32_t em, int hundredths)
{
	return (int)((em * (uint32_t)hundredths + 50) / 100);
}

/* Lays both lines out for this label and screen height. */
static int layout(struct wm_renderer *r, const struct wm_label *label, uint32_t screen_height,
		  struct geometry *g)
{
	char text[E2EE_CODEWORD_SIZE];
	PangoRectangle cw_rect, second_rect;
	uint32_t em, w, h;
	int ret;

	if (screen_height < WM_SCREEN_HEIGHT_MIN || screen_height > WM_SCREEN_HEIGHT_MAX)
		return -EINVAL;
	ret = wm_codeword_format(label->codeword, text);
	if (ret)
		return ret;
	g->has_second = label->second && label->second[0];
	if (g->has_second && (strnlen(label->second, WM_SECOND_MAX + 1) > WM_SECOND_MAX ||
			      !g_utf8_validate(label->second, -1, NULL)))
		return -EINVAL;

	em = wm_text_px(screen_height);
	pango_font_description_set_absolute_size(r->cw_font, (double)em * PANGO_SCALE);
	pango_layout_set_font_description(r->cw, r->cw_font);
	pango_layout_set_text(r->cw, text, -1);
	pango_layout_get_pixel_extents(r->cw, NULL, &cw_rect);

	g->text_x = wm_scaled(em, WM_PAD_X);
	g->cw_y = wm_scaled(em, WM_PAD_Y);
	g->radius = wm_scaled(em, WM_RADIUS);
	w = (uint32_t)(cw_rect.width + 2 * g->text_x);
	h = (uint32_t)(cw_rect.height + 2 * g->cw_y);
	if (g->has_second) {
		pango_font_description_set_absolute_size(
			r->second_font, (double)wm_scaled(em, WM_SECOND_SIZE) * PANGO_SCALE);
		pango_layout_set_font_description(r->second, r->second_font);
		/* No wider than the codeword: a long name never hides it or grows the label. */
		pango_layout_set_width(r->second, cw_rect.width * PANGO_SCALE);
		pango_layout_set_text(r->second, label->second, -1);
		pango_layout_get_pixel_extents(r->second, NULL, &second_rect);
		g->second_y = g->cw_y + cw_rect.height + wm_scaled(em, WM_GAP);
		h += (uint32_t)(second_rect.height + wm_scaled(em, WM_GAP));
	}
	g->width = (w + 1) & ~1u;
	g->height = (h + 1) & ~1u;
	return 0;
}

int wm_measure(struct wm_renderer *r, const struct wm_label *label, uint32_t screen_height,
	       uint32_t *width, uint32_t *height)
{
	struct geometry g;
	int ret = layout(r, label, screen_height, &g);

	if (ret)
		return ret;
	*width = g.width;
	*height = g.height;
	return 0;
}

cairo_t *wm_cairo_cleared(uint8_t *data, uint32_t w, uint32_t h, uint32_t stride,
			  cairo_surface_t **surface)
{
	cairo_t *cr;

	*surface = cairo_image_surface_create_for_data(data, CAIRO_FORMAT_ARGB32, (int)w, (int)h,
						       (int)stride);
	cr = cairo_create(*surface);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
		cairo_destroy(cr);
		return NULL;
	}
	cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
	cairo_paint(cr);
	cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
	return cr;
}

void wm_rounded_rect(cairo_t *cr, double w, double h, double rad)
{
	cairo_new_sub_path(cr);
	cairo_arc(cr, w - rad, rad, rad, -G_PI / 2, 0);
	cairo_arc(cr, w - rad, h - rad, rad, 0, G_PI / 2);
	cairo_arc(cr, rad, h - rad, rad, G_PI / 2, G_PI);
	cairo_arc(cr, rad, rad, rad, G_PI, 3 * G_PI / 2);
	cairo_close_path(cr);
}

int wm_render(struct wm_renderer *r, const struct wm_label *label, uint32_t screen_height,
	      struct wm_image *img)
{
	cairo_surface_t *surface = NULL;
	cairo_t *cr = NULL;
	struct geometry g;
	uint32_t stride;
	uint8_t *data;
	bool allocated = false;
	int ret;

	ret = layout(r, label, screen_height, &g);
	if (ret)
		return ret;
	if (img->data) {
		if ((uintptr_t)img->data % 4 || img->stride % 4 ||
		    img->stride / 4 < img->width)
			return -EINVAL;
		if (img->width < g.width || img->height < g.height)
			return -ENOSPC;
		data = img->data;
		stride = img->stride;
	} else {
		stride = g.width * 4;
		data = calloc(g.height, stride);
		if (!data)
			return -ENOMEM;
		allocated = true;
	}

	cr = wm_cairo_cleared(data, g.width, g.height, stride, &surface);
	if (!cr) {
		ret = -ENOMEM;
		goto out;
	}

	cairo_set_source_rgba(cr, 0, 0, 0, BACKING_ALPHA);
	wm_rounded_rect(cr, g.width, g.height, g.radius);
	cairo_fill(cr);

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_move_to(cr, g.text_x, g.cw_y);
	pango_cairo_show_layout(cr, r->cw);
	if (g.has_second) {
		cairo_move_to(cr, g.text_x, g.second_y);
		pango_cairo_show_layout(cr, r->second);
	}
	cairo_surface_flush(surface);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
		ret = -ENOMEM;
		goto out;
	}
	if (allocated) {
		img->data = data;
		img->width = g.width;
		img->height = g.height;
		img->stride = stride;
		img->owned = true;
		allocated = false;
	}
	ret = 0;
out:
	if (cr)
		cairo_destroy(cr);
	if (surface)
		cairo_surface_destroy(surface);
	if (allocated)
		free(data);
	return ret;
}

void wm_image_free(struct wm_image *img)
{
	if (img->owned)
		free(img->data);
	memset(img, 0, sizeof(*img));
}
