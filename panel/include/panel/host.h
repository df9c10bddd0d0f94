/* SPDX-License-Identifier: MIT */
/*
 * panel_host: the touch panel inside the screen process. It keeps the
 * panel's state from keyxchgd's messages (panel_model), its screens
 * (panel_view) and widgets (panel_ui), puts the widgets on the top layer of
 * the room's screen (panel_screen_set_panel: above every video tile and
 * libwm's labels), turns gestures from libdrv_touch's recognizer into taps
 * and taps into keyxchgd commands (panel_host_request).
 *
 * It prints one line on stdout each time the page or its tap targets change,
 *   panel: page lobby: lobby.deny=x,y,w,h lobby.admit=x,y,w,h ...
 * (pixels), so that tests and make run tap where a button is drawn, and a
 * line per tap ("panel: tap x,y -> lobby.admit") followed by the page line
 * as the tap left it, and "panel: card TITLE: BODY" (or "panel: card none")
 * whenever the state card changes. It tells the screen when the in-meeting
 * bar shows (panel_screen_set_bar: the labels it would cover rise above it)
 * and the bar's height (panel_screen_set_layout's bottom).
 *
 * Call order: panel_host_new, then from one thread any of the others,
 * panel_host_free.
 */
#ifndef PANEL_HOST_H
#define PANEL_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "drv/touch.h"
#include "panel/screen.h"
#include "panel/view.h"

struct panel_host;

struct panel_host_config {
	uint32_t width_mm, height_mm; /* the board's screen_width_mm, screen_height_mm */
	const char *room_name;        /* shown on Home; the name a join sends */
	const char *service;          /* the meeting service's address, shown */
	const char *meeting;          /* the relay's meeting name a join uses */
	unsigned int bar_seconds;     /* the in-meeting bar's stay; 0: PANEL_BAR_US */
};

/*
 * The panel on screen s (not owned). Returns 0 and *out, -EINVAL (a
 * physical size that does not fit the screen's pixels), -ENOENT (fonts),
 * -ENOMEM, or the first commit's error; *what names the step.
 */
__attribute__((warn_unused_result, nonnull)) int
panel_host_new(struct panel_screen *s, const struct panel_host_config *cfg,
	       struct panel_host **out, const char **what);
void panel_host_free(struct panel_host *h);

/* keyxchgd connected (and subscribed) or lost. */
__attribute__((nonnull)) void panel_host_kx(struct panel_host *h, bool up, uint64_t now_us);
/* One message from keyxchgd: a status reply (is_status) or an event. */
__attribute__((nonnull)) void panel_host_control(struct panel_host *h, json_t *msg, bool is_status,
						 uint64_t now_us);

/* roomd connected or not, and what it applied (MEDIA_STATE flags: the microphone
 * muted, the camera off; the speakers' volume, 0..100 %). */
__attribute__((nonnull)) void panel_host_media(struct panel_host *h, bool roomd_up, bool muted,
					       bool camera_off, uint32_t volume, uint64_t now_us);

/* Whether the screen shows sender's video now (its frames arrive), for Participants. */
__attribute__((nonnull)) void panel_host_video(struct panel_host *h, uint32_t sender, bool shown);

/* A gesture from the recognizer; a tap may produce a request for keyxchgd. */
__attribute__((nonnull)) void panel_host_gesture(struct panel_host *h,
						 const struct drv_touch_gesture *g,
						 uint64_t now_us, struct panel_action *act);
/* The screen's tiles changed (their labels moved): the state card finds its place again. */
__attribute__((nonnull)) void panel_host_tiles(struct panel_host *h);
/* Time passes (the bar hides). */
__attribute__((nonnull)) void panel_host_tick(struct panel_host *h, uint64_t now_us);
/* Milliseconds until panel_host_tick has work, -1 for none. */
__attribute__((nonnull)) int panel_host_timeout_ms(const struct panel_host *h, uint64_t now_us);

/* Whether the screen may claim "End-to-end encrypted" (panel_view_e2ee). */
__attribute__((nonnull)) bool panel_host_e2ee(const struct panel_host *h);
/* A one-line notice on the panel (what an action did or why not). */
__attribute__((nonnull)) void panel_host_notice(struct panel_host *h, const char *text);

/*
 * The control-socket request for act (keyxchg/CONTROL.md), one line with
 * its '\n', id as its "id". Returns its length, 0 for an action keyxchgd has
 * no command for (*why says so), or -ENOSPC. check-pin and the settings
 * carry act->pin: the caller wipes buf (and act) once it is sent, and logs
 * it only through panel_host_redact.
 */
__attribute__((nonnull)) int panel_host_request(const struct panel_host *h,
						const struct panel_action *act, const char *id,
						char *buf, size_t len, const char **why);

/* The admin PIN's digits in a request line made above, as '*' (for logs). */
__attribute__((nonnull)) void panel_host_redact(char *line);

/* keyxchgd's answer to check-pin: locked_ms its lockout (-1: none), error its
 * words (NULL when ok). */
__attribute__((nonnull(1))) void panel_host_pin_answer(struct panel_host *h, bool ok,
						       long long locked_ms, const char *error,
						       uint64_t now_us);

/* keyxchgd refused a setting's PIN: Settings close, the PIN is wiped (panel_view_pin_refused). */
__attribute__((nonnull)) void panel_host_pin_refused(struct panel_host *h, const char *error);

#endif
