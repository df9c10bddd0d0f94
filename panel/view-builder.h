/* SPDX-License-Identifier: MIT */
/*
 * Private to panel_view's files (view.c, view-tap.c, settings.c): the page
 * builder that panel_view_widgets fills (view.c owns it and its helpers;
 * settings.c builds the pages behind the admin PIN with them), the bar and
 * the keypad for view-tap.c, and the Settings' entry points view.c and
 * view-tap.c call. Not an API: nothing outside panel_view includes it.
 */
#ifndef PANEL_VIEW_BUILDER_H
#define PANEL_VIEW_BUILDER_H

#include "panel/view.h"

struct builder {
	const struct panel_view *v;
	struct panel_widget *w; /* the caller's array */
	size_t n, max;
	double sw, sh; /* the screen in mm */
};

/* view.c's helpers (docs in view.c at their static twins): mm to pixels,
 * a widget, a centred card, a box's top, the notice line, a keypad. */
struct panel_rect panel_vb_mm(const struct builder *b, double x, double y, double w, double h);
struct panel_widget *panel_vb_add(struct builder *b, const char *id, enum panel_kind kind,
				  enum panel_style style, struct panel_rect r, const char *text,
				  const char *body);
double panel_vb_card(struct builder *b, const char *id, double w, double h, double *x, double *y);
double panel_vb_top(const struct builder *b, double h, double pref);
void panel_vb_notice(struct builder *b, double x, double y, double w);
void panel_vb_keypad(struct builder *b, const char *id, double x, double y, double w,
		     const char *entry);
/* The notice line says text. */
void panel_vb_say(struct panel_view *v, const char *text);
/* A keypad key into buf (digits up to max, '<' erases). */
void panel_vb_type_key(char *buf, size_t max, char key);
/* The meeting's bar shown (again) from now_us for the bar's seconds. */
void panel_vb_show_bar(struct panel_view *v, uint64_t now_us);

/* settings.c: the PIN page, Settings and the keyboard (docs/panel.md "Settings"). */
/* Whether p is behind the admin PIN (the PIN's own keypad included). */
bool panel_settings_page(enum panel_page p);
/* The page's widgets when panel_settings_page(v->page). */
void panel_settings_widgets(struct builder *b);
/* Leaves the admin pages for Home, the PIN wiped. */
void panel_settings_lock(struct panel_view *v);
/* Settings idle PANEL_SETTINGS_IDLE_US relock; a lockout's end redraws. */
bool panel_settings_tick(struct panel_view *v, uint64_t now_us);
/* The earlier of at (0: none) and the Settings' next deadline. */
uint64_t panel_settings_deadline(const struct panel_view *v, uint64_t at);
/* A tap on one of the Settings' widgets (or on Home's Settings); false: not theirs. */
bool panel_settings_tap(struct panel_view *v, const struct panel_hit *hit, uint64_t now_us,
			struct panel_action *act);

#endif
