// SPDX-License-Identifier: MIT
/* The touch panel in the screen process (panel/host.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "panel/host.h"
#include "panel/model.h"
#include "panel/ui.h"

#define LAYOUT_LINE_MAX 4096

struct panel_host {
	struct panel_screen *screen;
	struct panel_ui *ui;
	struct panel_view view;
	char meeting[129];
	char layout[LAYOUT_LINE_MAX]; /* the last page line printed */
	struct panel_knock shown;     /* the knock the lobby dialog shows now */
	char settings_said[512];      /* the last "panel: room ..." line */
	char card_said[PANEL_UI_TEXT_MAX + PANEL_UI_BODY_MAX + 8]; /* the last "panel: card" */
	struct panel_widget widgets[PANEL_UI_MAX_WIDGETS];
	bool bar_told; /* the screen raises the labels the bar would cover */
};

static bool tappable(const struct panel_widget *w)
{
	return !w->disabled && (w->kind == PANEL_W_BUTTON || w->kind == PANEL_W_TOGGLE ||
				w->kind == PANEL_W_KEYPAD || w->kind == PANEL_W_KEYBOARD ||
				(w->kind == PANEL_W_LIST && w->rows_tap));
}

/* The page and where its tap targets are, once per change. */
static void print_layout(struct panel_host *h, size_t n)
{
	char line[LAYOUT_LINE_MAX];
	size_t at;
	bool modal = false;

	for (size_t i = 0; i < n; i++)
		modal |= h->widgets[i].modal;
	at = (size_t)snprintf(line, sizeof(line), "page %s%s:", panel_page_name(h->view.page),
			      modal ? " (dialog)" : "");
	for (size_t i = 0; i < n && at < sizeof(line); i++) {
		const struct panel_widget *w = &h->widgets[i];

		/* Under a dialog nothing else takes a tap. */
		if (tappable(w) && (!modal || w->modal))
			at += (size_t)snprintf(line + at, sizeof(line) - at, " %s=%d,%d,%d,%d", w->id,
					       w->r.x, w->r.y, w->r.w, w->r.h);
	}
	/* What the lobby dialog shows, so that tests compare it with what admit sends. */
	if (h->view.st.host && h->view.st.n_knocks &&
	    memcmp(&h->shown, &h->view.st.knocks[0], sizeof(h->shown))) {
		const struct panel_knock *k = &h->view.st.knocks[0];

		h->shown = *k;
		printf("panel: lobby dialog: participant %u \"%s\" codeword %s pinned %s%s knock %s\n",
		       k->participant, k->name, k->codeword[0] ? k->codeword : "(being derived)",
		       k->trust == PANEL_T_CHANGED ? "changed"
		       : k->trust == PANEL_T_SAME  ? "same"
						   : "new",
		       k->barred ? " barred" : "", k->knock);
		fflush(stdout); /* a changed knock need not change the layout below */
	} else if (!h->view.st.n_knocks) {
		memset(&h->shown, 0, sizeof(h->shown));
	}
	/* The room's name, codeword and service as Home and Settings show them
	 * (keyxchgd's), so that tests compare them with keyxchgd's status. */
	{
		char said[sizeof(h->settings_said)];

		snprintf(said, sizeof(said), "room \"%s\" codeword %s service %s",
			 h->view.st.room_name, h->view.st.own_codeword[0] ? h->view.st.own_codeword
									 : "(none)",
			 h->view.st.service[0] ? h->view.st.service : "(none)");
		if (strcmp(said, h->settings_said)) {
			strcpy(h->settings_said, said);
			printf("panel: %s\n", said);
			fflush(stdout);
		}
	}
	/* The state card (out of sync, split, ...) as it shows, and when it goes. */
	{
		char title[PANEL_UI_TEXT_MAX], body[PANEL_UI_BODY_MAX];
		char said[sizeof(h->card_said)];

		if (panel_view_card(&h->view, title, body))
			snprintf(said, sizeof(said), "%s: %s", title, body);
		else
			snprintf(said, sizeof(said), "none");
		if (strcmp(said, h->card_said)) {
			strcpy(h->card_said, said);
			printf("panel: card %s\n", said);
			fflush(stdout);
		}
	}
	if (!strcmp(line, h->layout))
		return;
	strcpy(h->layout, line);
	printf("panel: %s\n", line);
	fflush(stdout);
}

/*
 * The labels the bar covers rise while it shows (panel_screen_set_bar): before the bar
 * appears and after it went, so that no commit shows a label under it.
 */
static void tell_bar(struct panel_host *h, bool bar)
{
	int ret;

	if (bar == h->bar_told)
		return;
	ret = panel_screen_set_bar(h->screen, bar);
	if (ret) {
		printf("panel: labels not %s the bar: %s\n", bar ? "raised above" : "lowered after",
		       strerror(-ret));
		fflush(stdout);
		return;
	}
	h->bar_told = bar;
}

/* Where the codeword labels are now, so that the meeting page's state card covers none. */
static void labels_of(struct panel_host *h)
{
	struct wm_rect l[PANEL_MAX_PEOPLE], r[PANEL_MAX_PEOPLE];
	size_t n = panel_screen_labels(h->screen, l, r, PANEL_MAX_PEOPLE);

	h->view.n_labels = n < PANEL_MAX_PEOPLE ? n : PANEL_MAX_PEOPLE;
	for (size_t i = 0; i < h->view.n_labels; i++) {
		h->view.labels[i] = (struct panel_rect){ l[i].x, l[i].y, (int32_t)l[i].width,
							 (int32_t)l[i].height };
		h->view.labels_bar[i] = (struct panel_rect){ r[i].x, r[i].y, (int32_t)r[i].width,
							     (int32_t)r[i].height };
	}
}

static int redraw(struct panel_host *h)
{
	struct panel_rect damage[PANEL_UI_MAX_DAMAGE];
	const char *bad = NULL;
	size_t n, nd;
	uint32_t w, ht, stride;
	const uint8_t *img;
	bool bar = false;
	int ret;

	labels_of(h);
	n = panel_view_widgets(&h->view, h->widgets, PANEL_UI_MAX_WIDGETS);

	ret = panel_ui_sync(h->ui, h->widgets, n, &bad);
	if (ret) {
		/* A layout bug: the panel keeps what it showed and says which widget. */
		printf("panel: page %s not shown: widget %s refused\n",
		       panel_page_name(h->view.page), bad ? bad : "?");
		fflush(stdout);
		return ret;
	}
	for (size_t i = 0; i < n; i++)
		bar |= !strcmp(h->widgets[i].id, "bar");
	if (bar)
		tell_bar(h, true);
	nd = panel_ui_render(h->ui, damage);
	if (nd) {
		img = panel_ui_image(h->ui, &w, &ht, &stride);
		ret = panel_screen_set_panel(h->screen, img, stride, damage, nd,
					     !panel_ui_empty(h->ui));
		if (ret) {
			/* Drawn again whole next time: the screen's buffers missed this damage. */
			panel_ui_damage_all(h->ui);
			printf("panel: not committed: %s\n", strerror(-ret));
			fflush(stdout);
		}
	}
	if (!bar && !ret)
		tell_bar(h, false);
	print_layout(h, n);
	return ret;
}

int panel_host_new(struct panel_screen *s, const struct panel_host_config *cfg,
		   struct panel_host **out, const char **what)
{
	struct panel_host *h = calloc(1, sizeof(*h));
	struct panel_metrics m;
	uint32_t w, ht;
	int ret;

	*out = NULL;
	*what = "memory";
	if (!h)
		return -ENOMEM;
	h->screen = s;
	panel_screen_size(s, &w, &ht);
	*what = "the screen's physical size (board screen_width_mm, screen_height_mm)";
	ret = panel_metrics_init(&m, w, ht, cfg->width_mm, cfg->height_mm);
	if (ret)
		goto fail;
	*what = "panel fonts (fonts-dejavu-core)";
	ret = panel_ui_new(&m, &h->ui);
	if (ret)
		goto fail;
	panel_view_init(&h->view, &m);
	if (cfg->bar_seconds)
		h->view.bar_us = (uint64_t)cfg->bar_seconds * 1000000u;
	snprintf(h->view.st.room_name, sizeof(h->view.st.room_name), "%s",
		 cfg->room_name ? cfg->room_name : "");
	snprintf(h->view.st.service, sizeof(h->view.st.service), "%s",
		 cfg->service ? cfg->service : "");
	snprintf(h->meeting, sizeof(h->meeting), "%s", cfg->meeting ? cfg->meeting : "sealroom");
	/* The bar's height, for the grid's labels (it is not shown yet). */
	*what = "the tiles' layout with the bar's height";
	ret = panel_screen_set_layout(s, PANEL_SCREEN_GRID, 0,
				      (uint32_t)panel_mm(&h->view.m, PANEL_BAR_MM));
	if (ret)
		goto fail;
	*what = "the panel's first picture";
	ret = redraw(h);
	if (ret)
		goto fail;
	*out = h;
	return 0;
fail:
	panel_host_free(h);
	return ret;
}

void panel_host_free(struct panel_host *h)
{
	if (!h)
		return;
	panel_view_clear(&h->view);
	panel_ui_free(h->ui);
	free(h);
}

void panel_host_kx(struct panel_host *h, bool up, uint64_t now_us)
{
	if (!up)
		panel_model_lost(&h->view.st);
	h->view.st.kx_up = up;
	panel_view_follow(&h->view, now_us);
	redraw(h);
}

void panel_host_control(struct panel_host *h, json_t *msg, bool is_status, uint64_t now_us)
{
	if (!panel_model_apply(&h->view.st, msg, is_status))
		return;
	panel_view_follow(&h->view, now_us);
	redraw(h);
}

void panel_host_media(struct panel_host *h, bool roomd_up, bool muted, bool camera_off,
		      uint32_t volume, uint64_t now_us)
{
	if (!roomd_up)
		volume = 0;
	if (h->view.st.roomd_up == roomd_up && h->view.st.muted == muted &&
	    h->view.st.camera_off == camera_off && h->view.st.volume == volume)
		return;
	h->view.st.roomd_up = roomd_up;
	h->view.st.muted = roomd_up && muted;
	h->view.st.camera_off = roomd_up && camera_off;
	h->view.st.volume = volume;
	if (!roomd_up)
		h->view.st.n_video = 0; /* no roomd, no video */
	panel_view_follow(&h->view, now_us);
	/* Unmuted: the bar goes back to hiding from now. */
	if (!h->view.st.muted)
		h->view.bar_until_us = now_us + h->view.bar_us;
	redraw(h);
}

void panel_host_video(struct panel_host *h, uint32_t sender, bool shown)
{
	struct panel_state *st = &h->view.st;
	size_t i;

	for (i = 0; i < st->n_video && st->video[i] != sender; i++)
		;
	if (shown == (i < st->n_video) || (shown && st->n_video == PANEL_MAX_PEOPLE))
		return;
	if (shown)
		st->video[st->n_video++] = sender;
	else
		st->video[i] = st->video[--st->n_video];
	redraw(h);
}

void panel_host_gesture(struct panel_host *h, const struct drv_touch_gesture *g, uint64_t now_us,
			struct panel_action *act)
{
	struct panel_hit hit;
	bool on = false;

	memset(act, 0, sizeof(*act));
	if (g->type != DRV_TOUCH_TAP)
		return;
	on = panel_ui_hit(h->ui, g->x, g->y, &hit);
	if (on && (hit.kind == PANEL_W_KEYPAD || hit.kind == PANEL_W_KEYBOARD))
		printf("panel: tap %d,%d -> %s key %c\n", g->x, g->y, hit.id, hit.key);
	else
		printf("panel: tap %d,%d -> %s\n", g->x, g->y, on ? hit.id : "nothing");
	fflush(stdout);
	panel_view_tap(&h->view, on ? &hit : NULL, now_us, act);
	/* Speaker layout: a tap on a tile (not on the panel's buttons) makes it the large one. */
	if (h->view.page == PANEL_P_MEETING && h->view.layout == PANEL_L_SPEAKER &&
	    act->type == PANEL_A_NONE && (!on || hit.kind == PANEL_W_BOX || hit.kind == PANEL_W_LABEL)) {
		uint32_t id;

		if (!panel_screen_tile_at(h->screen, g->x, g->y, &id) &&
		    (!h->view.have_speaker || h->view.speaker != id)) {
			h->view.speaker = id;
			h->view.have_speaker = true;
			act->type = PANEL_A_LAYOUT;
		}
	}
	if (act->type == PANEL_A_LAYOUT) {
		int ret = panel_screen_set_layout(h->screen,
						  h->view.layout == PANEL_L_SPEAKER ? PANEL_SCREEN_SPEAKER
										    : PANEL_SCREEN_GRID,
						  h->view.speaker,
						  (uint32_t)panel_mm(&h->view.m, PANEL_BAR_MM));

		printf("panel: layout %s", h->view.layout == PANEL_L_SPEAKER ? "speaker" : "grid");
		if (h->view.layout == PANEL_L_SPEAKER && h->view.have_speaker)
			printf(" (large: %u)", h->view.speaker);
		printf("%s%s\n", ret ? ": not laid out: " : "", ret ? strerror(-ret) : "");
		fflush(stdout);
	}
	/* The page line again after every tap: what the tap left on the screen. */
	h->layout[0] = '\0';
	redraw(h);
}

void panel_host_tiles(struct panel_host *h)
{
	redraw(h);
}

void panel_host_tick(struct panel_host *h, uint64_t now_us)
{
	if (panel_view_tick(&h->view, now_us))
		redraw(h);
}

int panel_host_timeout_ms(const struct panel_host *h, uint64_t now_us)
{
	uint64_t at = panel_view_deadline(&h->view);

	if (!at)
		return -1;
	return at <= now_us ? 0 : (int)((at - now_us + 999) / 1000);
}

bool panel_host_e2ee(const struct panel_host *h)
{
	return panel_view_e2ee(&h->view);
}

void panel_host_notice(struct panel_host *h, const char *text)
{
	snprintf(h->view.notice, sizeof(h->view.notice), "%s", text);
	redraw(h);
}

/* The actions whose command carries the admin PIN (keyxchg/CONTROL.md). */
static bool with_pin(enum panel_action_type t)
{
	return t == PANEL_A_CHECK_PIN || t == PANEL_A_SET_ROOM_NAME || t == PANEL_A_SET_SERVICE ||
	       t == PANEL_A_RESET_IDENTITY;
}

int panel_host_request(const struct panel_host *h, const struct panel_action *act, const char *id,
		       char *buf, size_t len, const char **why)
{
	const char *name = h->view.st.room_name[0] ? h->view.st.room_name : "Room";
	json_t *o = NULL;
	char *text;
	size_t n, pin;

	*why = NULL;
	switch (act->type) {
	case PANEL_A_HOST:
		o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "cmd", "join", "id", id, "meeting",
			      h->meeting, "role", "host", "name", name);
		break;
	case PANEL_A_JOIN:
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "cmd", "join", "id", id, "meeting",
			      h->meeting, "role", "member", "name", name, "code", act->code);
		break;
	case PANEL_A_ADMIT:
		/* Exactly the knock the people saw: keyxchgd refuses it if the relay swapped it. */
		o = json_pack("{s:s, s:s, s:i, s:s}", "cmd", "admit", "id", id, "participant",
			      (int)act->participant, "knock", act->knock);
		break;
	case PANEL_A_DENY:
	case PANEL_A_VERIFY:
	case PANEL_A_REMOVE:
		o = json_pack("{s:s, s:s, s:i}", "cmd",
			      act->type == PANEL_A_DENY	    ? "deny"
			      : act->type == PANEL_A_VERIFY ? "verify"
							    : "remove",
			      "id", id, "participant", (int)act->participant);
		break;
	case PANEL_A_LEAVE:
	case PANEL_A_END:
		o = json_pack("{s:s, s:s}", "cmd", act->type == PANEL_A_LEAVE ? "leave" : "end",
			      "id", id);
		break;
	case PANEL_A_MEDIA:
		*why = NULL; /* roomd's, not keyxchgd's: the caller sends MEDIA */
		return 0;
	case PANEL_A_LAYOUT:
		*why = NULL; /* the screen's own: laid out already, the caller tells roomd the sizes */
		return 0;
	case PANEL_A_RESET_IDENTITY:
		o = json_pack("{s:s, s:s}", "cmd", "reset-identity", "id", id);
		break;
	case PANEL_A_CHECK_PIN:
		o = json_pack("{s:s, s:s}", "cmd", "check-pin", "id", id);
		break;
	case PANEL_A_SET_ROOM_NAME:
	case PANEL_A_SET_SERVICE:
		/* As typed: keyxchgd checks it and says why not (shown as the notice). */
		o = act->type == PANEL_A_SET_SERVICE
			? json_pack("{s:s, s:s, s:s}", "cmd", "set-service", "id", id, "url",
				    act->text)
			: json_pack("{s:s, s:s, s:s}", "cmd", "set-room-name", "id", id, "name",
				    act->text);
		break;
	case PANEL_A_NONE:
		return 0;
	}
	if (!o)
		return -ENOMEM;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	/* The admin PIN goes in here, not through jansson (whose copies would be
	 * freed unwiped): digits only, so no escaping; the caller wipes buf. */
	pin = with_pin(act->type) ? strlen(act->pin) : 0;
	if (with_pin(act->type) && (pin < PANEL_PIN_MIN || pin > PANEL_PIN_MAX ||
				    strspn(act->pin, "0123456789") != pin)) {
		free(text);
		*why = "Settings are locked: open them with the admin PIN again.";
		return 0;
	}
	if (n + (pin ? sizeof(",\"pin\":\"\"") - 1 + pin : 0) + 2 > len) {
		free(text);
		return -ENOSPC;
	}
	memcpy(buf, text, n);
	if (pin) /* text ends with its object's '}' */
		n = n - 1 + (size_t)sprintf(buf + n - 1, ",\"pin\":\"%s\"}", act->pin);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	free(text);
	return (int)n + 1;
}

void panel_host_redact(char *line)
{
	char *p = strstr(line, ",\"pin\":\"");

	if (!p)
		return;
	for (p += sizeof(",\"pin\":\"") - 1; *p >= '0' && *p <= '9'; p++)
		*p = '*';
}

void panel_host_pin_refused(struct panel_host *h, const char *error)
{
	panel_view_pin_refused(&h->view, error);
	redraw(h);
}

void panel_host_pin_answer(struct panel_host *h, bool ok, long long locked_ms, const char *error,
			   uint64_t now_us)
{
	panel_view_pin_answer(&h->view, ok, locked_ms, error, now_us);
	h->layout[0] = '\0'; /* the page line again: the PIN page said keyxchgd's word */
	redraw(h);
}
