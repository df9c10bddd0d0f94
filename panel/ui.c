// SPDX-License-Identifier: MIT
/* The panel's retained widget set on Cairo and Pango (panel/ui.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>

#include "panel/ui.h"

#ifndef PANEL_FONT_DIR
#define PANEL_FONT_DIR "/usr/share/fonts/truetype/dejavu"
#endif

/* fonts-dejavu-core: the panel's only fonts (see the header). */
static const char *const font_files[] = {
	PANEL_FONT_DIR "/DejaVuSans.ttf",
	PANEL_FONT_DIR "/DejaVuSans-Bold.ttf",
};

const char panel_keypad_keys[PANEL_KEYPAD_KEYS] = { '1', '2', '3', '4', '5', '6',
						    '7', '8', '9', '<', '0', '>' };

/* Defaults, in mm of the screen. */
#define TEXT_MM 5.0
#define BODY_MM 3.6
#define RADIUS_MM 2.0
#define PAD_MM 2.5
#define GAP_MM 2.0
#define ENTRY_MM 16.0
#define ROW_MM 14.0

struct panel_ui {
	struct panel_metrics m;
	uint8_t *data;
	uint32_t stride;
	cairo_surface_t *surface;
	PangoFontMap *map;
	PangoContext *ctx;
	PangoLayout *layout;
	struct panel_widget *w; /* PANEL_UI_MAX_WIDGETS, the set now */
	size_t n;
	struct panel_rect damage[PANEL_UI_MAX_DAMAGE];
	size_t n_damage;
	uint64_t drawn;
	bool has_modal;
	char bad[PANEL_UI_ID_MAX];
};

/* ------------------------------------------------------------------ geometry */

int panel_metrics_init(struct panel_metrics *m, uint32_t width, uint32_t height, uint32_t width_mm,
		       uint32_t height_mm)
{
	double px, py;

	if (!width || !height || width > 16384 || height > 16384 || width_mm < PANEL_MM_MIN ||
	    height_mm < PANEL_MM_MIN || width_mm > PANEL_MM_MAX || height_mm > PANEL_MM_MAX)
		return -EINVAL;
	px = (double)width / width_mm;
	py = (double)height / height_mm;
	/* Square pixels within 10 %: anything else is a wrong board file. */
	if (px > py * 1.1 || py > px * 1.1)
		return -EINVAL;
	*m = (struct panel_metrics){ width, height, width_mm, height_mm, px < py ? px : py };
	return 0;
}

int32_t panel_mm(const struct panel_metrics *m, double mm)
{
	/* Up, but not for a product that is whole save for floating-point noise. */
	return (int32_t)ceil(mm * m->px_per_mm - 1e-6);
}

bool panel_rect_contains(const struct panel_rect *r, int32_t x, int32_t y)
{
	return x >= r->x && y >= r->y && x - r->x < r->w && y - r->y < r->h;
}

bool panel_rect_intersects(const struct panel_rect *a, const struct panel_rect *b)
{
	return a->w > 0 && a->h > 0 && b->w > 0 && b->h > 0 && a->x < b->x + b->w &&
	       b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

struct panel_rect panel_rect_union(const struct panel_rect *a, const struct panel_rect *b)
{
	int32_t x0, y0, x1, y1;

	if (a->w <= 0 || a->h <= 0)
		return *b;
	if (b->w <= 0 || b->h <= 0)
		return *a;
	x0 = a->x < b->x ? a->x : b->x;
	y0 = a->y < b->y ? a->y : b->y;
	x1 = a->x + a->w > b->x + b->w ? a->x + a->w : b->x + b->w;
	y1 = a->y + a->h > b->y + b->h ? a->y + a->h : b->y + b->h;
	return (struct panel_rect){ x0, y0, x1 - x0, y1 - y0 };
}

void panel_keypad_layout(const struct panel_metrics *m, const struct panel_widget *w,
			 struct panel_rect keys[PANEL_KEYPAD_KEYS])
{
	int32_t gap = panel_mm(m, GAP_MM), top = w->r.y + panel_mm(m, ENTRY_MM) + gap;
	int32_t kw = (w->r.w - 2 * gap) / 3, kh = (w->r.y + w->r.h - top - 3 * gap) / 4;

	for (unsigned int i = 0; i < PANEL_KEYPAD_KEYS; i++)
		keys[i] = (struct panel_rect){ w->r.x + (int32_t)(i % 3) * (kw + gap),
					       top + (int32_t)(i / 3) * (kh + gap), kw, kh };
}

struct panel_rect panel_list_row(const struct panel_metrics *m, const struct panel_widget *w,
				 uint32_t i)
{
	int32_t h = panel_mm(m, ROW_MM);

	return (struct panel_rect){ w->r.x, w->r.y + (int32_t)i * h, w->r.w, h };
}

/* ------------------------------------------------------------------ the set */

int panel_ui_new(const struct panel_metrics *m, struct panel_ui **out)
{
	struct panel_ui *ui;
	cairo_font_options_t *fo = NULL;
	FcConfig *cfg = NULL;
	int ret = -ENOMEM;

	*out = NULL;
	for (size_t i = 0; i < sizeof(font_files) / sizeof(font_files[0]); i++)
		if (access(font_files[i], R_OK))
			return -ENOENT;
	ui = calloc(1, sizeof(*ui));
	if (!ui)
		return -ENOMEM;
	ui->m = *m;
	ui->stride = (uint32_t)cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, (int)m->width);
	ui->data = calloc((size_t)ui->stride * m->height, 1);
	ui->w = calloc(PANEL_UI_MAX_WIDGETS, sizeof(*ui->w));
	cfg = FcConfigCreate();
	if (!ui->data || !ui->w || !cfg)
		goto out;
	ui->surface = cairo_image_surface_create_for_data(ui->data, CAIRO_FORMAT_ARGB32,
							  (int)m->width, (int)m->height,
							  (int)ui->stride);
	if (cairo_surface_status(ui->surface) != CAIRO_STATUS_SUCCESS)
		goto out;
	/* Our files and no rules: neither the system's fonts nor its settings change a pixel. */
	for (size_t i = 0; i < sizeof(font_files) / sizeof(font_files[0]); i++)
		if (!FcConfigAppFontAddFile(cfg, (const FcChar8 *)font_files[i])) {
			ret = -ENOENT;
			goto out;
		}
	ui->map = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
	if (!ui->map)
		goto out;
	pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(ui->map), cfg);
	ui->ctx = pango_font_map_create_context(ui->map);
	fo = cairo_font_options_create();
	if (!ui->ctx || cairo_font_options_status(fo) != CAIRO_STATUS_SUCCESS)
		goto out;
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_ON);
	pango_cairo_context_set_font_options(ui->ctx, fo);
	pango_cairo_context_set_resolution(ui->ctx, 72.0);
	pango_context_set_round_glyph_positions(ui->ctx, TRUE);
	pango_context_set_base_dir(ui->ctx, PANGO_DIRECTION_LTR);
	ui->layout = pango_layout_new(ui->ctx);
	if (!ui->layout)
		goto out;
	*out = ui;
	ui = NULL;
	ret = 0;
out:
	if (fo)
		cairo_font_options_destroy(fo);
	if (cfg)
		FcConfigDestroy(cfg); /* the font map holds its own reference */
	panel_ui_free(ui);
	return ret;
}

void panel_ui_free(struct panel_ui *ui)
{
	if (!ui)
		return;
	if (ui->layout)
		g_object_unref(ui->layout);
	if (ui->ctx)
		g_object_unref(ui->ctx);
	if (ui->map)
		g_object_unref(ui->map);
	if (ui->surface)
		cairo_surface_destroy(ui->surface);
	free(ui->data);
	free(ui->w);
	free(ui);
}

static void damage(struct panel_ui *ui, struct panel_rect r)
{
	struct panel_rect screen = { 0, 0, (int32_t)ui->m.width, (int32_t)ui->m.height };

	if (!panel_rect_intersects(&r, &screen))
		return;
	/* Overlapping damage merges; past the list's size everything becomes one box. */
	for (size_t i = 0; i < ui->n_damage; i++) {
		if (panel_rect_intersects(&ui->damage[i], &r)) {
			struct panel_rect u = panel_rect_union(&ui->damage[i], &r);

			ui->damage[i] = ui->damage[--ui->n_damage];
			damage(ui, u);
			return;
		}
	}
	if (ui->n_damage == PANEL_UI_MAX_DAMAGE) {
		for (size_t i = 1; i < ui->n_damage; i++)
			ui->damage[0] = panel_rect_union(&ui->damage[0], &ui->damage[i]);
		ui->damage[0] = panel_rect_union(&ui->damage[0], &r);
		ui->n_damage = 1;
		return;
	}
	ui->damage[ui->n_damage++] = r;
}

void panel_ui_damage_all(struct panel_ui *ui)
{
	ui->n_damage = 0;
	damage(ui, (struct panel_rect){ 0, 0, (int32_t)ui->m.width, (int32_t)ui->m.height });
}

static bool tappable(const struct panel_widget *w)
{
	return w->kind == PANEL_W_BUTTON || w->kind == PANEL_W_TOGGLE ||
	       (w->kind == PANEL_W_LIST && w->rows_tap) || w->kind == PANEL_W_KEYPAD ||
	       w->kind == PANEL_W_KEYBOARD;
}

static bool big_enough(const struct panel_ui *ui, const struct panel_rect *r)
{
	int32_t min = panel_mm(&ui->m, PANEL_TAP_MIN_MM);

	return r->w >= min && r->h >= min;
}

static bool utf8(const char *s, size_t max)
{
	return memchr(s, 0, max) && g_utf8_validate(s, -1, NULL);
}

static bool valid(const struct panel_ui *ui, const struct panel_widget *w)
{
	struct panel_rect keys[PANEL_KEYBOARD_KEYS];
	const struct panel_rect *r = &w->r;

	if (!w->id[0] || !memchr(w->id, 0, sizeof(w->id)) || w->kind < PANEL_W_BOX ||
	    w->kind > PANEL_W_KEYBOARD || (unsigned int)w->style > PANEL_S_DIM)
		return false;
	if (r->w <= 0 || r->h <= 0 || r->x < 0 || r->y < 0 || r->w > (int32_t)ui->m.width ||
	    r->h > (int32_t)ui->m.height || r->x > (int32_t)ui->m.width - r->w ||
	    r->y > (int32_t)ui->m.height - r->h)
		return false;
	if (!utf8(w->text, sizeof(w->text)) || !utf8(w->body, sizeof(w->body)) ||
	    !(w->text_mm == 0 || (w->text_mm >= 1 && w->text_mm <= 100)))
		return false;
	if (w->kind == PANEL_W_LIST) {
		struct panel_rect last;

		if (w->n_rows > PANEL_LIST_MAX_ROWS)
			return false;
		for (uint32_t i = 0; i < w->n_rows; i++)
			if (!utf8(w->row_text[i], sizeof(w->row_text[i])) ||
			    !utf8(w->row_body[i], sizeof(w->row_body[i])) ||
			    (unsigned int)w->row_style[i] > PANEL_S_DIM)
				return false;
		last = panel_list_row(&ui->m, w, w->n_rows ? w->n_rows - 1 : 0);
		if (w->n_rows && last.y + last.h > r->y + r->h)
			return false;
		if (w->rows_tap && !big_enough(ui, &last))
			return false;
	} else if (w->kind == PANEL_W_KEYPAD) {
		panel_keypad_layout(&ui->m, w, keys);
		for (unsigned int i = 0; i < PANEL_KEYPAD_KEYS; i++)
			if (!big_enough(ui, &keys[i]))
				return false;
	} else if (w->kind == PANEL_W_KEYBOARD) {
		panel_keyboard_layout(&ui->m, w, keys);
		for (unsigned int i = 0; i < PANEL_KEYBOARD_KEYS; i++)
			if (!big_enough(ui, &keys[i]))
				return false;
	} else if (tappable(w) && !big_enough(ui, r)) {
		return false;
	}
	return true;
}

static const struct panel_widget *find(const struct panel_widget *w, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(w[i].id, id))
			return &w[i];
	return NULL;
}

static bool same(const struct panel_widget *a, const struct panel_widget *b)
{
	if (a->kind != b->kind || a->style != b->style || a->on != b->on ||
	    a->disabled != b->disabled || a->modal != b->modal || a->text_mm != b->text_mm ||
	    memcmp(&a->r, &b->r, sizeof(a->r)) || strcmp(a->text, b->text) ||
	    strcmp(a->body, b->body) || a->n_rows != b->n_rows || a->rows_tap != b->rows_tap)
		return false;
	for (uint32_t i = 0; i < a->n_rows; i++)
		if (strcmp(a->row_text[i], b->row_text[i]) ||
		    strcmp(a->row_body[i], b->row_body[i]) || a->row_style[i] != b->row_style[i])
			return false;
	return true;
}

int panel_ui_sync(struct panel_ui *ui, const struct panel_widget *w, size_t n, const char **bad)
{
	struct panel_rect all = { 0, 0, (int32_t)ui->m.width, (int32_t)ui->m.height };
	bool modal = false;

	if (bad)
		*bad = NULL;
	if (n > PANEL_UI_MAX_WIDGETS || (n && !w))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!valid(ui, &w[i]) || find(w, i, w[i].id)) {
			snprintf(ui->bad, sizeof(ui->bad), "%s", w[i].id);
			if (bad)
				*bad = ui->bad;
			return -EINVAL;
		}
		modal |= w[i].modal;
	}
	/* A dialog coming or going dims or undims the whole screen. */
	if (modal != ui->has_modal) {
		damage(ui, all);
	} else {
		for (size_t i = 0; i < ui->n; i++) {
			const struct panel_widget *now = find(w, n, ui->w[i].id);

			if (!now || !same(now, &ui->w[i]))
				damage(ui, ui->w[i].r);
		}
		for (size_t i = 0; i < n; i++) {
			const struct panel_widget *was = find(ui->w, ui->n, w[i].id);

			if (!was || !same(was, &w[i]))
				damage(ui, w[i].r);
		}
	}
	memcpy(ui->w, w, n * sizeof(*w));
	ui->n = n;
	ui->has_modal = modal;
	return 0;
}

/* ------------------------------------------------------------------ drawing */

struct rgb {
	double r, g, b;
};

static struct rgb fill_of(enum panel_style s)
{
	switch (s) {
	case PANEL_S_PRIMARY:
		return (struct rgb){ 0.12, 0.43, 0.92 };
	case PANEL_S_GOOD:
		return (struct rgb){ 0.13, 0.55, 0.25 };
	case PANEL_S_WARN:
		return (struct rgb){ 0.75, 0.52, 0.0 };
	case PANEL_S_DANGER:
		return (struct rgb){ 0.82, 0.14, 0.18 };
	default:
		return (struct rgb){ 0.22, 0.24, 0.28 };
	}
}

/* Text colour on the panel's dark boxes. */
static struct rgb ink_of(enum panel_style s)
{
	switch (s) {
	case PANEL_S_GOOD:
		return (struct rgb){ 0.35, 0.85, 0.45 };
	case PANEL_S_WARN:
		return (struct rgb){ 1.0, 0.75, 0.2 };
	case PANEL_S_DANGER:
		return (struct rgb){ 1.0, 0.35, 0.35 };
	case PANEL_S_DIM:
		return (struct rgb){ 0.7, 0.72, 0.75 };
	case PANEL_S_PRIMARY:
		return (struct rgb){ 0.45, 0.7, 1.0 };
	default:
		return (struct rgb){ 1, 1, 1 };
	}
}

static void rounded(cairo_t *cr, const struct panel_rect *r, double radius)
{
	double x = r->x, y = r->y, w = r->w, h = r->h;

	cairo_new_sub_path(cr);
	cairo_arc(cr, x + w - radius, y + radius, radius, -M_PI / 2, 0);
	cairo_arc(cr, x + w - radius, y + h - radius, radius, 0, M_PI / 2);
	cairo_arc(cr, x + radius, y + h - radius, radius, M_PI / 2, M_PI);
	cairo_arc(cr, x + radius, y + radius, radius, M_PI, 3 * M_PI / 2);
	cairo_close_path(cr);
}

static void box(struct panel_ui *ui, cairo_t *cr, const struct panel_rect *r, struct rgb c,
		double alpha)
{
	cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
	rounded(cr, r, panel_mm(&ui->m, RADIUS_MM));
	cairo_fill(cr);
}

enum align { LEFT, CENTRE };

/* One line (or wrapped lines: wrap) of text in r at the given height; returns its height. */
static int text(struct panel_ui *ui, cairo_t *cr, const char *s, double mm, bool bold,
		const struct panel_rect *r, enum align align, bool wrap, struct rgb c,
		double alpha)
{
	PangoFontDescription *fd = pango_font_description_new();
	int w, h;

	pango_font_description_set_family(fd, "DejaVu Sans");
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(fd, panel_mm(&ui->m, mm) * PANGO_SCALE);
	pango_layout_set_font_description(ui->layout, fd);
	pango_font_description_free(fd);
	pango_layout_set_text(ui->layout, s, -1);
	pango_layout_set_width(ui->layout, r->w * PANGO_SCALE);
	pango_layout_set_wrap(ui->layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_ellipsize(ui->layout, wrap ? PANGO_ELLIPSIZE_NONE : PANGO_ELLIPSIZE_END);
	pango_layout_set_alignment(ui->layout, align == CENTRE ? PANGO_ALIGN_CENTER
							       : PANGO_ALIGN_LEFT);
	pango_layout_get_pixel_size(ui->layout, &w, &h);
	cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
	cairo_move_to(cr, r->x, r->y);
	pango_cairo_show_layout(cr, ui->layout);
	return h;
}

/* Text and body centred vertically in r. */
static void centred_pair(struct panel_ui *ui, cairo_t *cr, const struct panel_widget *w,
			 const struct panel_rect *r, struct rgb c, double alpha)
{
	double tmm = w->text_mm ? w->text_mm : TEXT_MM;
	int32_t th = panel_mm(&ui->m, tmm * 1.2), bh = w->body[0] ? panel_mm(&ui->m, BODY_MM * 1.3) : 0;
	struct panel_rect t = { r->x, r->y + (r->h - th - bh) / 2, r->w, th };
	struct panel_rect b = { r->x, t.y + th, r->w, bh };

	text(ui, cr, w->text, tmm, true, &t, CENTRE, false, c, alpha);
	if (bh)
		text(ui, cr, w->body, BODY_MM, false, &b, CENTRE, false, c, alpha * 0.85);
}

static void draw(struct panel_ui *ui, cairo_t *cr, const struct panel_widget *w)
{
	int32_t pad = panel_mm(&ui->m, PAD_MM);
	double alpha = w->disabled ? 0.4 : 1.0;
	struct panel_rect in = { w->r.x + pad, w->r.y + pad, w->r.w - 2 * pad, w->r.h - 2 * pad };
	struct rgb white = { 1, 1, 1 };

	switch (w->kind) {
	case PANEL_W_BOX:
		box(ui, cr, &w->r,
		    w->style == PANEL_S_NORMAL ? (struct rgb){ 0.08, 0.09, 0.1 } : fill_of(w->style),
		    0.92);
		break;
	case PANEL_W_LABEL: {
		double tmm = w->text_mm ? w->text_mm : TEXT_MM;
		struct panel_rect b = w->r;
		int h = text(ui, cr, w->text, tmm, true, &w->r, LEFT, false, ink_of(w->style), alpha);

		b.y += h;
		b.h -= h;
		/* The body grows with a large title (a dialog's codeword and its warning). */
		if (w->body[0] && b.h > 0)
			text(ui, cr, w->body, tmm * 0.6 > BODY_MM ? tmm * 0.6 : BODY_MM, false, &b,
			     LEFT, true,
			     ink_of(w->style == PANEL_S_NORMAL ? PANEL_S_DIM : w->style), alpha);
		break;
	}
	case PANEL_W_BUTTON:
		box(ui, cr, &w->r, fill_of(w->style), alpha);
		centred_pair(ui, cr, w, &in, white, alpha);
		break;
	case PANEL_W_TOGGLE: {
		int32_t sw = panel_mm(&ui->m, 10), sh = panel_mm(&ui->m, 5.5);
		struct panel_rect track = { in.x + in.w - sw, w->r.y + (w->r.h - sh) / 2, sw, sh };
		struct panel_rect knob = { w->on ? track.x + sw - sh : track.x, track.y, sh, sh };
		struct panel_rect label = { in.x, in.y, in.w - sw - pad, in.h };

		box(ui, cr, &w->r, fill_of(PANEL_S_NORMAL), alpha);
		cairo_set_source_rgba(cr, 0, 0, 0, 0); /* the track's radius is its half height */
		cairo_set_source_rgba(cr, w->on ? 0.13 : 0.45, w->on ? 0.55 : 0.47,
				      w->on ? 0.25 : 0.5, alpha);
		rounded(cr, &track, sh / 2.0);
		cairo_fill(cr);
		cairo_set_source_rgba(cr, 1, 1, 1, alpha);
		cairo_arc(cr, knob.x + sh / 2.0, knob.y + sh / 2.0, sh / 2.0 - 2, 0, 2 * M_PI);
		cairo_fill(cr);
		centred_pair(ui, cr, w, &label, white, alpha);
		break;
	}
	case PANEL_W_LIST:
		box(ui, cr, &w->r, (struct rgb){ 0.08, 0.09, 0.1 }, 0.92);
		for (uint32_t i = 0; i < w->n_rows; i++) {
			struct panel_rect row = panel_list_row(&ui->m, w, i);
			struct panel_rect t = { row.x + pad, row.y + pad / 2, row.w - 2 * pad,
						panel_mm(&ui->m, TEXT_MM * 1.25) };
			struct panel_rect b = { t.x, t.y + t.h, t.w, row.h - t.h - pad / 2 };

			if (i) {
				cairo_set_source_rgba(cr, 1, 1, 1, 0.15);
				cairo_rectangle(cr, row.x + pad, row.y, row.w - 2 * pad, 1);
				cairo_fill(cr);
			}
			text(ui, cr, w->row_text[i], TEXT_MM, true, &t, LEFT, false, white, alpha);
			text(ui, cr, w->row_body[i], BODY_MM, false, &b, LEFT, false,
			     ink_of(w->row_style[i] == PANEL_S_NORMAL ? PANEL_S_DIM
								      : w->row_style[i]),
			     alpha);
		}
		break;
	case PANEL_W_DIALOG: {
		struct panel_rect t = { in.x, in.y, in.w,
					panel_mm(&ui->m, (w->text_mm ? w->text_mm : 6.5) * 1.3) };
		struct panel_rect b = { in.x, t.y + t.h + pad, in.w, in.h - t.h - pad };

		box(ui, cr, &w->r, (struct rgb){ 0.1, 0.11, 0.13 }, 1.0);
		if (w->style != PANEL_S_NORMAL) {
			/* A warning dialog is framed in its colour: it must not look routine. */
			struct rgb c = fill_of(w->style);

			cairo_set_source_rgb(cr, c.r, c.g, c.b);
			cairo_set_line_width(cr, panel_mm(&ui->m, 1.2));
			rounded(cr, &w->r, panel_mm(&ui->m, RADIUS_MM));
			cairo_stroke(cr);
		}
		text(ui, cr, w->text, w->text_mm ? w->text_mm : 6.5, true, &t, LEFT, false,
		     w->style == PANEL_S_NORMAL ? white : ink_of(w->style), 1);
		text(ui, cr, w->body, TEXT_MM * 0.9, false, &b, LEFT, true, white, 1);
		break;
	}
	case PANEL_W_KEYPAD: {
		struct panel_rect keys[PANEL_KEYPAD_KEYS];
		struct panel_rect entry = { w->r.x, w->r.y, w->r.w, panel_mm(&ui->m, ENTRY_MM) };
		struct panel_rect et = { entry.x + pad, entry.y + pad, entry.w - 2 * pad,
					 entry.h - 2 * pad };

		box(ui, cr, &entry, (struct rgb){ 0.02, 0.02, 0.03 }, 0.95);
		text(ui, cr, w->text, w->text_mm ? w->text_mm : TEXT_MM * 1.3, true, &et, CENTRE, false,
		     white, 1);
		panel_keypad_layout(&ui->m, w, keys);
		for (unsigned int i = 0; i < PANEL_KEYPAD_KEYS; i++) {
			char k = panel_keypad_keys[i];
			const char *label = k == '<' ? "⌫" : k == '>' ? "OK" : (char[]){ k, 0 };
			struct panel_rect kt = { keys[i].x, keys[i].y +
								(keys[i].h - panel_mm(&ui->m, 8.5)) / 2,
						 keys[i].w, panel_mm(&ui->m, 8.5) };

			box(ui, cr, &keys[i], fill_of(k == '>' ? PANEL_S_PRIMARY : PANEL_S_NORMAL),
			    alpha);
			text(ui, cr, label, 7, true, &kt, CENTRE, false, white, alpha);
		}
		break;
	}
	case PANEL_W_KEYBOARD: {
		struct panel_rect keys[PANEL_KEYBOARD_KEYS];
		struct panel_rect entry = { w->r.x, w->r.y, w->r.w,
					    panel_mm(&ui->m, PANEL_KEYBOARD_ENTRY_MM) };
		struct panel_rect et = { entry.x + pad, entry.y + pad, entry.w - 2 * pad,
					 entry.h - 2 * pad };

		box(ui, cr, &entry, (struct rgb){ 0.02, 0.02, 0.03 }, 0.95);
		/* Long addresses wrap to a second line rather than leave the box. */
		text(ui, cr, w->text, w->text_mm ? w->text_mm : TEXT_MM * 0.9, false, &et, LEFT,
		     true, white, 1);
		panel_keyboard_layout(&ui->m, w, keys);
		for (unsigned int i = 0; i < PANEL_KEYBOARD_KEYS; i++) {
			char k = panel_keyboard_keys[i], one[2];
			const char *label = panel_keyboard_label(k, w->on, one);
			bool wide = k == PANEL_KEY_OK || k == PANEL_KEY_CANCEL || k == ' ';
			double lmm = wide ? 5 : 6.5;
			struct panel_rect kt = { keys[i].x, keys[i].y +
								(keys[i].h - panel_mm(&ui->m, lmm * 1.3)) / 2,
						 keys[i].w, panel_mm(&ui->m, lmm * 1.3) };
			enum panel_style ks = k == PANEL_KEY_OK			  ? PANEL_S_PRIMARY
					      : k == PANEL_KEY_SHIFT && w->on ? PANEL_S_PRIMARY
									      : PANEL_S_NORMAL;

			box(ui, cr, &keys[i], fill_of(ks), alpha);
			text(ui, cr, label, lmm, true, &kt, CENTRE, false, white, alpha);
		}
		break;
	}
	}
}

size_t panel_ui_render(struct panel_ui *ui, struct panel_rect out[PANEL_UI_MAX_DAMAGE])
{
	cairo_t *cr = cairo_create(ui->surface);
	size_t n = ui->n_damage;

	for (size_t d = 0; d < n; d++) {
		const struct panel_rect *r = &ui->damage[d];

		cairo_save(cr);
		cairo_rectangle(cr, r->x, r->y, r->w, r->h);
		cairo_clip(cr);
		cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
		cairo_set_source_rgba(cr, 0, 0, 0, 0);
		cairo_paint(cr);
		cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
		for (int layer = 0; layer < 2; layer++) {
			if (layer && ui->has_modal) {
				cairo_set_source_rgba(cr, 0, 0, 0, 0.55);
				cairo_paint(cr);
			}
			for (size_t i = 0; i < ui->n; i++)
				if (ui->w[i].modal == (layer == 1) &&
				    panel_rect_intersects(&ui->w[i].r, r))
					draw(ui, cr, &ui->w[i]);
		}
		cairo_restore(cr);
		ui->drawn += (uint64_t)r->w * (uint64_t)r->h;
		out[d] = *r;
	}
	cairo_destroy(cr);
	cairo_surface_flush(ui->surface);
	ui->n_damage = 0;
	return n;
}

const uint8_t *panel_ui_image(const struct panel_ui *ui, uint32_t *width, uint32_t *height,
			      uint32_t *stride)
{
	*width = ui->m.width;
	*height = ui->m.height;
	*stride = ui->stride;
	return ui->data;
}

bool panel_ui_empty(const struct panel_ui *ui)
{
	return ui->n == 0;
}

/* The key of a keypad or keyboard at (x, y), or 0 (its entry, a gap). */
static char key_at(const struct panel_ui *ui, const struct panel_widget *w, int32_t x, int32_t y)
{
	struct panel_rect keys[PANEL_KEYBOARD_KEYS];
	bool pad = w->kind == PANEL_W_KEYPAD;
	unsigned int n = pad ? PANEL_KEYPAD_KEYS : PANEL_KEYBOARD_KEYS;

	if (pad)
		panel_keypad_layout(&ui->m, w, keys);
	else
		panel_keyboard_layout(&ui->m, w, keys);
	for (unsigned int i = 0; i < n; i++)
		if (panel_rect_contains(&keys[i], x, y))
			return pad ? panel_keypad_keys[i] : panel_keyboard_keys[i];
	return 0;
}

bool panel_ui_hit(const struct panel_ui *ui, int32_t x, int32_t y, struct panel_hit *hit)
{
	for (size_t k = ui->n; k-- > 0;) {
		const struct panel_widget *w = &ui->w[k];

		if (ui->has_modal && !w->modal)
			continue;
		if (!panel_rect_contains(&w->r, x, y))
			continue;
		if (w->modal && w->kind == PANEL_W_DIALOG)
			continue; /* the dialog's own face: its buttons are above it */
		if (w->disabled || !tappable(w))
			continue;
		memset(hit, 0, sizeof(*hit));
		snprintf(hit->id, sizeof(hit->id), "%s", w->id);
		hit->kind = w->kind;
		hit->row = -1;
		if (w->kind == PANEL_W_LIST) {
			for (uint32_t i = 0; i < w->n_rows; i++) {
				struct panel_rect row = panel_list_row(&ui->m, w, i);

				if (panel_rect_contains(&row, x, y))
					hit->row = (int32_t)i;
			}
			if (hit->row < 0)
				continue;
		} else if (w->kind == PANEL_W_KEYPAD || w->kind == PANEL_W_KEYBOARD) {
			hit->key = key_at(ui, w, x, y);
			if (!hit->key)
				continue;
		}
		return true;
	}
	return false;
}

const struct panel_widget *panel_ui_find(const struct panel_ui *ui, const char *id)
{
	return find(ui->w, ui->n, id);
}

uint64_t panel_ui_pixels_drawn(const struct panel_ui *ui)
{
	return ui->drawn;
}
