// SPDX-License-Identifier: MIT
/* The touch panel's screens (panel/view.h, docs/panel.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>


#include "view-builder.h"

/* ------------------------------------------------------------ the meeting code */

int panel_code_from_digits(const char *digits, char out[static PANEL_CODE_SIZE])
{
	char *p = out;

	if (strlen(digits) != PANEL_CODE_DIGITS)
		return -EINVAL;
	for (int g = 0; g < 5; g++) {
		unsigned long v = 0;

		for (int i = 0; i < 5; i++) {
			char c = digits[g * 5 + i];

			if (c < '0' || c > '9')
				return -EINVAL;
			v = v * 10 + (unsigned long)(c - '0');
		}
		if (v > 0xffff)
			return -EINVAL;
		e2ee_proquint_encode((uint16_t)v, p);
		p += E2EE_PROQUINT_LEN;
		*p++ = g < 4 ? '-' : '\0';
	}
	return 0;
}

int panel_code_to_digits(const char *code, char out[static PANEL_CODE_DIGITS + 1])
{
	uint16_t v;

	if (strlen(code) != PANEL_CODE_SIZE - 1)
		return -EINVAL;
	for (int g = 0; g < 5; g++) {
		if (e2ee_proquint_decode(code + g * 6, &v) || (g < 4 && code[g * 6 + 5] != '-'))
			return -EINVAL;
		snprintf(out + g * 5, 6, "%05u", v);
	}
	return 0;
}

/* ------------------------------------------------------------ state */

static const char *const page_names[] = { "home",     "join", "meeting",  "participants",
					  "security", "pin",  "settings", "edit" };

const char *panel_page_name(enum panel_page p)
{
	return (unsigned int)p < sizeof(page_names) / sizeof(page_names[0]) ? page_names[p] : "?";
}

void panel_view_init(struct panel_view *v, const struct panel_metrics *m)
{
	memset(v, 0, sizeof(*v));
	v->m = *m;
	v->bar_us = PANEL_BAR_US;
}

void panel_view_clear(struct panel_view *v)
{
	panel_settings_lock(v); /* wipes the PIN */
}

static bool meeting_page(enum panel_page p)
{
	return p == PANEL_P_MEETING || p == PANEL_P_PARTICIPANTS || p == PANEL_P_SECURITY;
}

static bool in_meeting(const struct panel_state *st)
{
	return st->meeting == PANEL_M_IN || st->meeting == PANEL_M_LOBBY;
}

static void show_bar(struct panel_view *v, uint64_t now_us)
{
	v->bar = true;
	v->bar_until_us = now_us + v->bar_us;
}

void panel_view_follow(struct panel_view *v, uint64_t now_us)
{
	/* The lobby dialog's knock changed (another knock of that participant, or the
	 * next one): when, so that Admit waits until it has been seen. */
	if (v->st.n_knocks &&
	    memcmp(&v->knock_shown, &v->st.knocks[0], sizeof(v->knock_shown))) {
		v->knock_shown = v->st.knocks[0];
		v->knock_since_us = now_us;
	}
	if (in_meeting(&v->st) && !meeting_page(v->page)) {
		v->page = PANEL_P_MEETING;
		v->notice[0] = '\0';
		show_bar(v, now_us);
	} else if (!in_meeting(&v->st) && meeting_page(v->page)) {
		v->page = PANEL_P_HOME;
	}
}

bool panel_view_tick(struct panel_view *v, uint64_t now_us)
{
	if (v->bar && v->page == PANEL_P_MEETING && now_us >= v->bar_until_us) {
		v->bar = false;
		return true;
	}
	return panel_settings_tick(v, now_us);
}

uint64_t panel_view_deadline(const struct panel_view *v)
{
	uint64_t at = v->bar && v->page == PANEL_P_MEETING ? v->bar_until_us : 0;

	return panel_settings_deadline(v, at);
}

static const struct panel_person *changed_person(const struct panel_state *st)
{
	for (size_t i = 0; i < st->n_people; i++)
		if (st->people[i].trust == PANEL_T_CHANGED)
			return &st->people[i];
	return NULL;
}

/* The most pressing state people must see, or NULL. */
static bool status(const struct panel_view *v, enum panel_style *style, char *title, size_t tn,
		   char *body, size_t bn)
{
	const struct panel_state *st = &v->st;
	const struct panel_person *p = changed_person(st);

	*style = PANEL_S_DANGER;
	if (!st->kx_up) {
		snprintf(title, tn, "Meeting service unreachable");
		snprintf(body, bn, "This room's keying daemon does not answer: no meeting, no labels.");
	} else if (st->meeting == PANEL_M_SPLIT) {
		snprintf(title, tn, "Meeting split");
		snprintf(body, bn, "The service showed this room two hosts for one meeting. "
				   "This room stopped; nothing is sent.");
	} else if (st->sync == PANEL_SYNC_SPLIT) {
		snprintf(title, tn, "Meeting split: this room stopped sending");
		snprintf(body, bn, "%s%s Compare the group code aloud; leave and join again.",
			 st->sync_reason[0] ? st->sync_reason : "The rooms do not hold one meeting.",
			 st->sync_reason[0] ? "." : "");
	} else if (st->relay == PANEL_R_DOWN) {
		snprintf(title, tn, "Meeting service unreachable");
		snprintf(body, bn, "The signaling relay does not answer; this room keeps trying.");
	} else if (st->relay == PANEL_R_CONNECTING && st->meeting != PANEL_M_IDLE) {
		*style = PANEL_S_WARN;
		snprintf(title, tn, "Connecting to the meeting service");
		snprintf(body, bn, "Nothing is sent until the relay answers.");
	} else if (st->sync == PANEL_SYNC_OUT) {
		/* keyxchgd's reason (PROTOCOL.md 6.6); it sends again once back in sync. */
		snprintf(title, tn, "Out of sync: this room stopped sending");
		snprintf(body, bn, "keyxchgd: %s. It sends again once it holds the meeting's "
				   "current keys.",
			 st->sync_reason[0] ? st->sync_reason : "no reason given");
	} else if (st->roster_refused &&
		   (st->meeting == PANEL_M_IN || st->meeting == PANEL_M_LOBBY)) {
		snprintf(title, tn, "Participants not shown");
		snprintf(body, bn, "keyxchgd's roster named one participant twice; this panel "
				   "shows none until it reports one it can read.");
	} else if (p) {
		snprintf(title, tn, "Key changed: %s", p->codeword);
		snprintf(body, bn, "Not the key pinned for this device. Compare its codeword "
				   "before trusting it.");
	} else if (st->meeting == PANEL_M_IN && !st->group_code[0]) {
		*style = PANEL_S_WARN;
		snprintf(title, tn, "Waiting for keys");
		snprintf(body, bn, "Admitted; the meeting's keys are not held yet.");
	} else if (st->meeting == PANEL_M_LOBBY) {
		*style = PANEL_S_WARN;
		snprintf(title, tn, "Waiting for the host to admit this room");
		snprintf(body, bn, "Host codeword %s: compare it with the host room's.",
			 st->host_codeword[0] ? st->host_codeword : "(not known yet)");
	} else if (st->meeting == PANEL_M_DENIED || st->meeting == PANEL_M_ENDED ||
		   st->meeting == PANEL_M_LEFT) {
		*style = PANEL_S_WARN;
		snprintf(title, tn, "%s",
			 st->meeting == PANEL_M_DENIED  ? "The host turned this room down"
			 : st->meeting == PANEL_M_ENDED ? "The host ended the meeting"
							: "This room left the meeting");
		body[0] = '\0';
	} else {
		return false;
	}
	return true;
}

bool panel_view_card(const struct panel_view *v, char title[static PANEL_UI_TEXT_MAX],
		     char body[static PANEL_UI_BODY_MAX])
{
	enum panel_style s;

	return status(v, &s, title, PANEL_UI_TEXT_MAX, body, PANEL_UI_BODY_MAX);
}

bool panel_view_e2ee(const struct panel_view *v)
{
	enum panel_style s;
	char t[PANEL_UI_TEXT_MAX], b[PANEL_UI_BODY_MAX];

	return v->st.meeting == PANEL_M_IN && v->st.group_code[0] &&
	       !status(v, &s, t, sizeof(t), b, sizeof(b));
}

/* ------------------------------------------------------------ widgets */

static struct panel_rect mm(const struct builder *b, double x, double y, double w, double h)
{
	const struct panel_metrics *m = &b->v->m;
	struct panel_rect r = { (int32_t)floor(x * m->px_per_mm), (int32_t)floor(y * m->px_per_mm),
				panel_mm(m, w), panel_mm(m, h) };

	/* Clipped to the screen (a small screen gets smaller cards, never off it). */
	if (r.x < 0)
		r.x = 0;
	if (r.y < 0)
		r.y = 0;
	if (r.x + r.w > (int32_t)m->width)
		r.w = (int32_t)m->width - r.x;
	if (r.y + r.h > (int32_t)m->height)
		r.h = (int32_t)m->height - r.y;
	return r;
}

/* A text cut at its buffer's size (keyxchgd's error text, a reason) may end in
 * part of a character: cut it there, or panel_ui_sync refuses the page. */
static void utf8_cut(char *s)
{
	const char *end;

	if (!g_utf8_validate(s, -1, &end))
		*(char *)end = '\0';
}

static struct panel_widget *add(struct builder *b, const char *id, enum panel_kind kind,
				enum panel_style style, struct panel_rect r, const char *text,
				const char *body)
{
	static struct panel_widget spare;
	struct panel_widget *w = b->n < b->max ? &b->w[b->n++] : &spare;

	memset(w, 0, sizeof(*w));
	snprintf(w->id, sizeof(w->id), "%s", id);
	w->kind = kind;
	w->style = style;
	w->r = r;
	snprintf(w->text, sizeof(w->text), "%s", text ? text : "");
	snprintf(w->body, sizeof(w->body), "%s", body ? body : "");
	utf8_cut(w->text);
	utf8_cut(w->body);
	return w;
}

static const char *trust_text(enum panel_trust t)
{
	switch (t) {
	case PANEL_T_VERIFIED:
		return "verified";
	case PANEL_T_SAME:
		return "known key, not compared in this meeting";
	case PANEL_T_CHANGED:
		return "KEY CHANGED";
	default:
		return "new: compare the codeword";
	}
}

static enum panel_style trust_style(enum panel_trust t)
{
	return t == PANEL_T_VERIFIED ? PANEL_S_GOOD
	       : t == PANEL_T_CHANGED ? PANEL_S_DANGER
				      : PANEL_S_WARN;
}

static bool rects_overlap(const struct panel_rect *a, const struct panel_rect *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Whether a card at r would cover a codeword label on the video (the meeting page). */
static bool covers_label(const struct builder *b, struct panel_rect r)
{
	const struct panel_view *v = b->v;
	const struct panel_rect *l = v->bar ? v->labels_bar : v->labels;

	for (size_t i = 0; i < v->n_labels; i++)
		if (rects_overlap(&r, &l[i]))
			return true;
	return false;
}

/*
 * The state card: 14 mm from the top; on the meeting page lower down where that
 * covers a codeword label (never into the bar), then 16 mm tall instead of 20,
 * then its title alone, 10 mm tall, then 8 mm in smaller type (many tiles:
 * their label strips a row apart), then where it was (docs/panel.md "Still to
 * come": no place found).
 */
static void status_card(struct builder *b)
{
	static const double heights[] = { 20, 16, 10, 8 };
	enum panel_style style;
	char title[PANEL_UI_TEXT_MAX], body[PANEL_UI_BODY_MAX];
	double w = b->sw - 20 < 170 ? b->sw - 20 : 170, x = (b->sw - w) / 2, y = 14, h = 20;
	double bottom = b->sh - (b->v->bar ? PANEL_BAR_MM : 0);

	if (!status(b->v, &style, title, sizeof(title), body, sizeof(body)))
		return;
	if (b->v->page == PANEL_P_MEETING && covers_label(b, mm(b, x, y, w, h))) {
		bool found = false;

		for (size_t i = 0; i < sizeof(heights) / sizeof(heights[0]) && !found; i++)
			for (h = heights[i], y = 14; y + h <= bottom && !found; y += 0.5)
				found = !covers_label(b, mm(b, x, y, w, h));
		if (found) {
			y -= 0.5;
		} else {
			y = 14;
			h = 20;
		}
	}
	add(b, "status.box", PANEL_W_BOX, PANEL_S_NORMAL, mm(b, x, y, w, h), NULL, NULL);
	add(b, "status", PANEL_W_LABEL, style,
	    h < 16 ? mm(b, x + 4, y + 1, w - 8, h - 2) : mm(b, x + 4, y + 2, w - 8, h - 3), title,
	    h < 16 ? NULL : body)
		->text_mm = h < 10 ? 3.5 : 4.5;
}

/* Where a box of height h goes: at pref mm from the top, or higher on a small screen. */
static double top(const struct builder *b, double h, double pref)
{
	double y = pref + h <= b->sh - 2 ? pref : (b->sh - h) / 2;

	return y < 1 ? 1 : y;
}

/*
 * A card in the middle of the screen; returns its height (h, or less on a
 * small screen: what is at its bottom goes at y + height - ...).
 */
static double card(struct builder *b, const char *id, double w, double h, double *x, double *y)
{
	if (w > b->sw - 8)
		w = b->sw - 8;
	if (h > b->sh - 4)
		h = b->sh - 4;
	*x = (b->sw - w) / 2;
	*y = top(b, h, 36);
	add(b, id, PANEL_W_BOX, PANEL_S_NORMAL, mm(b, *x, *y, w, h), NULL, NULL);
	return h;
}

static void notice(struct builder *b, double x, double y, double w)
{
	if (b->v->notice[0])
		add(b, "notice", PANEL_W_LABEL, PANEL_S_DIM, mm(b, x, y, w, 8), b->v->notice, NULL)
			->text_mm = 3.6;
}

static void page_home(struct builder *b)
{
	const struct panel_state *st = &b->v->st;
	const char *svc = !st->kx_up			 ? "unreachable"
			  : st->relay == PANEL_R_OPEN	 ? "connected"
			  : st->relay == PANEL_R_DOWN	 ? "unreachable"
			  : st->relay == PANEL_R_UNKNOWN ? "not in use until a meeting starts"
							 : "connecting";
	enum panel_style ss = !st->kx_up || st->relay == PANEL_R_DOWN ? PANEL_S_DANGER
			      : st->relay == PANEL_R_OPEN		 ? PANEL_S_GOOD
									 : PANEL_S_DIM;
	char line[PANEL_UI_TEXT_MAX];
	double x, y;
	struct panel_widget *w;

	double h = card(b, "home.card", 180, 140, &x, &y);

	/* The room's name in quotes: text the administrator set never reads as
	 * the panel's own words ("End-to-end encrypted" is only ever the panel's). */
	if (st->room_name[0])
		snprintf(line, sizeof(line), "\u201c%s\u201d", st->room_name);
	add(b, "home.room", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, x + 8, y + 6, 164, 12),
	    st->room_name[0] ? line : "This room", NULL)
		->text_mm = 8;
	w = add(b, "home.codeword", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, x + 8, y + 22, 164, 24),
		st->own_codeword[0] ? st->own_codeword : "(codeword not known yet)",
		"This room's codeword: the other rooms see it under this room's picture.");
	w->text_mm = 6.5;
	snprintf(line, sizeof(line), "Meeting service: %s", svc);
	add(b, "home.service", PANEL_W_LABEL, ss, mm(b, x + 8, y + 48, 164, 18), line,
	    st->service[0] ? st->service : NULL);
	w = add(b, "home.start", PANEL_W_BUTTON, PANEL_S_PRIMARY, mm(b, x + 8, y + 72, 80, 18),
		"Start meeting", "this room hosts");
	w->disabled = !st->kx_up;
	w = add(b, "home.join", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x + 92, y + 72, 80, 18),
		"Join", "with a meeting code");
	w->disabled = !st->kx_up;
	add(b, "home.settings", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x + 124, y + h - 16, 48, 14),
	    "Settings", NULL);
	notice(b, x + 8, y + 96, 164);
}

static void keypad(struct builder *b, const char *id, double x, double y, double w,
		   const char *entry)
{
	add(b, id, PANEL_W_KEYPAD, PANEL_S_NORMAL, mm(b, x, y, w, 84), entry, NULL)->text_mm = 5;
}

static void page_join(struct builder *b)
{
	char shown[PANEL_CODE_DIGITS + 8] = "", *p = shown;
	double x, y;

	for (size_t i = 0; b->v->entry[i]; i++) {
		if (i && i % 5 == 0)
			*p++ = ' ';
		*p++ = b->v->entry[i];
	}
	*p = '\0';
	double h = card(b, "join.card", 124, 132, &x, &y);

	add(b, "join.title", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, x + 6, y + 4, 112, 16),
	    "Join with a meeting code", "25 digits: the code's five words as numbers")
		->text_mm = 5;
	keypad(b, "join.keys", x + 6, y + 22, 112, shown[0] ? shown : "-----");
	add(b, "join.cancel", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x + 6, y + h - 18, 40, 14),
	    "Cancel", NULL);
	notice(b, x + 50, y + h - 16, 68);
}

/*
 * The volume: − and + around the level roomd confirmed (each a 12 mm target at least); the
 * level itself is a button too: speakers off, and back to where they were.
 */
static void volume_control(struct builder *b, double x, double y, double w)
{
	const struct panel_state *st = &b->v->st;
	double bw = 12.5, lw = w - 2 * bw - 2;
	bool off = st->roomd_up && !st->volume;
	struct panel_widget *l, *minus, *plus;
	char level[16];

	snprintf(level, sizeof(level), "%u %%", st->volume);
	minus = add(b, "bar.vol-", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x, y, bw, 18), "\u2212",
		    NULL);
	/* roomd's word on what it applied; the speakers off are not the microphone muted. */
	l = add(b, "bar.volume", PANEL_W_BUTTON, off ? PANEL_S_DANGER : PANEL_S_NORMAL,
		mm(b, x + bw + 1, y, lw, 18), off ? "Speakers" : "Volume",
		!st->roomd_up ? "no media daemon"
		: off	      ? "OFF"
			      : level);
	plus = add(b, "bar.vol+", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x + w - bw, y, bw, 18), "+",
		   NULL);
	minus->text_mm = plus->text_mm = 7;
	l->text_mm = 4.2;
	l->disabled = !st->roomd_up;
	minus->disabled = !st->roomd_up || !st->volume;
	plus->disabled = !st->roomd_up || st->volume >= PANEL_VOLUME_MAX;
}

static void bar(struct builder *b)
{
	const struct panel_state *st = &b->v->st;
	size_t n = st->host ? 8 : 7;
	/* The volume's slot is wider than the others by vol_extra: − level +. */
	double gap = 3, vol_extra = 20, bw, x, y;
	char people[64];
	struct panel_widget *w;

	bw = (b->sw - 8 - vol_extra - gap * (double)(n - 1)) / (double)n;
	if (bw > 38)
		bw = 38;
	x = (b->sw - (bw * (double)n + vol_extra + gap * (double)(n - 1))) / 2;
	y = b->sh - PANEL_BAR_MM + 2;
	add(b, "bar", PANEL_W_BOX, PANEL_S_NORMAL, mm(b, 0, y - 2, b->sw, PANEL_BAR_MM), NULL, NULL);
	for (size_t i = 0; i < 2; i++, x += bw + gap) {
		/* Microphone and camera: roomd's word on what it applied, never the panel's wish. */
		bool off = i ? st->camera_off : st->muted;

		w = add(b, i ? "bar.camera" : "bar.mic", PANEL_W_BUTTON,
			off ? PANEL_S_DANGER : PANEL_S_NORMAL, mm(b, x, y, bw, 18),
			i ? "Camera" : "Microphone",
			!st->roomd_up ? "no media daemon"
			: off	      ? (i ? "OFF" : "MUTED")
				      : "on");
		w->disabled = !st->roomd_up;
		w->text_mm = 4.2;
	}
	volume_control(b, x, y, bw + vol_extra);
	x += bw + vol_extra + gap;
	/* The layout is the screen's own: no daemon to wait for. */
	add(b, "bar.layout", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x, y, bw, 18), "Layout",
	    b->v->layout == PANEL_L_SPEAKER ? "speaker" : "grid")
		->text_mm = 4.2;
	x += bw + gap;
	snprintf(people, sizeof(people), "%zu in the meeting", st->n_people);
	add(b, "bar.participants", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x, y, bw, 18),
	    "Participants", people)
		->text_mm = 4.2;
	x += bw + gap;
	add(b, "bar.security", PANEL_W_BUTTON,
	    panel_view_e2ee(b->v) ? PANEL_S_NORMAL : PANEL_S_DANGER, mm(b, x, y, bw, 18),
	    "Security", panel_view_e2ee(b->v)	    ? "encrypted"
			: st->sync != PANEL_SYNC_OK ? "NOT sending"
						    : "NOT encrypted");
	x += bw + gap;
	add(b, "bar.leave", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x, y, bw, 18), "Leave", NULL);
	x += bw + gap;
	if (st->host)
		add(b, "bar.end", PANEL_W_BUTTON, PANEL_S_DANGER, mm(b, x, y, bw, 18), "End",
		    "for everyone");
}

/* Speakers at 0 % as roomd confirms it (never while roomd is not there: unknown). */
static bool speakers_off(const struct panel_state *st)
{
	return st->roomd_up && !st->volume;
}

/*
 * A muted room (or one with its camera off) says so for good, in the top left corner above the tiles: the
 * bar would cover the codeword labels under the tiles, which must stay in view.
 */
static void muted_chip(struct builder *b)
{
	const struct panel_state *st = &b->v->st;
	char text[PANEL_UI_TEXT_MAX] = "";
	size_t parts = 0;
	double w;

	if (st->muted)
		parts++, strcat(text, "Microphone muted");
	if (st->camera_off)
		strcat(text, parts++ ? ", camera off" : "Camera off");
	if (speakers_off(st))
		strcat(text, parts++ ? ", speakers off" : "Speakers off");
	w = parts == 1 ? 56 : parts == 2 ? 86 : 116;

	add(b, "muted.box", PANEL_W_BOX, PANEL_S_DANGER, mm(b, 3, 2, w, 9.5), NULL, NULL);
	add(b, "muted", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, 5.5, 3.5, w - 4, 7), text, NULL)
		->text_mm = 4.2;
}

static bool shows_video(const struct panel_state *st, uint32_t id)
{
	for (size_t i = 0; i < st->n_video; i++)
		if (st->video[i] == id)
			return true;
	return false;
}

static void page_participants(struct builder *b)
{
	const struct panel_state *st = &b->v->st;
	double x, y, w = b->sw - 20 < 230 ? b->sw - 20 : 230;
	size_t rows = st->n_people;
	struct panel_widget *list;

	double h = card(b, "people.card", w, 150, &x, &y);
	size_t fit = (size_t)((h - 16 - 20) / 14);

	add(b, "people.title", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, x + 6, y + 4, w - 12, 10),
	    "Participants", NULL);
	if (rows > fit)
		rows = fit;
	list = add(b, "people", PANEL_W_LIST, PANEL_S_NORMAL,
		   mm(b, x + 6, y + 16, w - 12, 14 * (double)(rows ? rows : 1)), NULL, NULL);
	list->n_rows = (uint32_t)rows;
	/* Whole rows of the list's own height in pixels, however mm round. */
	list->r.h = (int32_t)(rows ? rows : 1) * panel_mm(&b->v->m, 14);
	for (size_t i = 0; i < rows; i++) {
		const struct panel_person *p = &st->people[i];
		struct panel_rect row = panel_list_row(&b->v->m, list, (uint32_t)i);
		double ry = row.y / b->v->m.px_per_mm + 0.5;
		char id[PANEL_UI_ID_MAX];

		snprintf(list->row_text[i], sizeof(list->row_text[i]), "%s%s%s", p->codeword,
			 p->self ? "  (this room)" : "", p->host ? "  host" : "");
		snprintf(list->row_body[i], sizeof(list->row_body[i]), "%s%s%s%s",
			 p->name[0] ? p->name : "", p->name[0] ? " · " : "",
			 p->self ? "this room" : trust_text(p->trust),
			 p->self ? "" : shows_video(st, p->id) ? " · video" : " · no video yet");
		utf8_cut(list->row_text[i]);
		utf8_cut(list->row_body[i]);
		list->row_style[i] = p->self ? PANEL_S_DIM : trust_style(p->trust);
		if (p->self)
			continue;
		if (p->trust != PANEL_T_VERIFIED) {
			snprintf(id, sizeof(id), "verify.%u", p->id);
			add(b, id, PANEL_W_BUTTON, PANEL_S_PRIMARY,
			    mm(b, x + w - 6 - (st->host ? 64 : 30), ry, 30, 13), "Verify", NULL)
				->text_mm = 4;
		}
		if (st->host) {
			snprintf(id, sizeof(id), "remove.%u", p->id);
			add(b, id, PANEL_W_BUTTON, PANEL_S_DANGER, mm(b, x + w - 6 - 30, ry, 30, 13),
			    "Remove", NULL)
				->text_mm = 4;
		}
	}
	notice(b, x + 6, y + h - 14, w - 50);
	add(b, "people.close", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x + w - 40, y + h - 18, 34, 14),
	    "Close", NULL);
}

static void page_security(struct builder *b)
{
	const struct panel_state *st = &b->v->st;
	bool ok = panel_view_e2ee(b->v);
	double x, y, w = b->sw - 20 < 230 ? b->sw - 20 : 230;
	char line[PANEL_UI_TEXT_MAX], why[PANEL_UI_BODY_MAX];

	double h = card(b, "sec.card", w, 150, &x, &y);

	add(b, "sec.title", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, x + 6, y + 4, w - 12, 10),
	    "Security", NULL);
	if (st->sync != PANEL_SYNC_OK) {
		/* keyxchgd withdrew the send keys: nothing leaves this room now. */
		snprintf(why, sizeof(why), "This room is not sending (keyxchgd: %s); it "
					   "still receives with the keys it holds.",
			 st->sync_reason[0] ? st->sync_reason : "no reason given");
	}
	add(b, "sec.e2ee", PANEL_W_LABEL, ok ? PANEL_S_GOOD : PANEL_S_DANGER,
	    mm(b, x + 6, y + 16, w - 12, 18),
	    ok			     ? "End-to-end encrypted"
	    : st->sync == PANEL_SYNC_SPLIT ? "Not sending: the meeting split"
	    : st->sync == PANEL_SYNC_OUT   ? "Not sending: out of sync"
					   : "Not end-to-end encrypted now",
	    ok ? "Media is encrypted in this room before it leaves; the service relays what it "
		 "cannot read."
	    : st->sync != PANEL_SYNC_OK ? why
					: "See the warning at the top of the screen.");
	add(b, "sec.group", PANEL_W_LABEL, st->group_code[0] ? PANEL_S_NORMAL : PANEL_S_WARN,
	    mm(b, x + 6, y + 36, w - 12, 24),
	    st->group_code[0] ? st->group_code : "No group security code yet",
	    "Group security code: every room of this meeting shows the same. Read it aloud.")
		->text_mm = 7;
	snprintf(line, sizeof(line), "This room: %s", st->own_codeword);
	add(b, "sec.own", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, x + 6, y + 62, w - 12, 9), line,
	    NULL)
		->text_mm = 4.5;
	if (st->host)
		snprintf(line, sizeof(line), "Host: this room");
	else
		snprintf(line, sizeof(line), "Host: %s",
			 st->host_codeword[0] ? st->host_codeword : "(not known)");
	add(b, "sec.host", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, x + 6, y + 72, w - 12, 9), line,
	    NULL)
		->text_mm = 4.5;
	add(b, "sec.off", PANEL_W_LABEL, PANEL_S_NORMAL, mm(b, x + 6, y + 84, w - 12, 30),
	    "Recording: off    PSTN dial-in: off    Devices without E2EE: off",
	    "This meeting has no recorder, no telephone bridge and no gateway: every "
	    "participant holds the keys and is listed under Participants.")
		->text_mm = 4.5;
	add(b, "sec.close", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x + w - 40, y + h - 18, 34, 14),
	    "Close", NULL);
}

static void lobby(struct builder *b)
{
	const struct panel_knock *k = &b->v->st.knocks[0];
	bool loud = k->trust == PANEL_T_CHANGED || k->barred;
	double w = b->sw - 8 < 190 ? b->sw - 8 : 190, x = (b->sw - w) / 2, y = top(b, 92, 28);
	char title[PANEL_UI_TEXT_MAX], body[PANEL_UI_BODY_MAX];
	struct panel_widget *d;

	snprintf(title, sizeof(title), "%s%s is knocking", loud ? "WARNING: " : "",
		 k->name[0] ? k->name : "A room");
	snprintf(body, sizeof(body), "%s",
		 k->trust == PANEL_T_CHANGED
			 ? "KEY CHANGED: this device's key is not the one this room pinned for it. "
			   "Admit only if its people read you this codeword now."
		 : k->barred ? "Removed from this meeting earlier: admitted only if you mean it."
		 : k->trust == PANEL_T_SAME
			 ? "A key this room knows. Compare the codeword with the one on the "
			   "knocking room's screen."
			 : "A new room. Compare the codeword with the one on the knocking room's "
			   "screen.");
	d = add(b, "lobby", PANEL_W_DIALOG, loud ? PANEL_S_DANGER : PANEL_S_NORMAL,
		mm(b, x, y, w, 92), title, NULL);
	d->modal = true;
	d = add(b, "lobby.codeword", PANEL_W_LABEL, loud ? PANEL_S_DANGER : PANEL_S_NORMAL,
		mm(b, x + 6, y + 16, w - 12, 48), k->codeword[0] ? k->codeword : "(being derived)",
		body);
	d->text_mm = 7.5;
	d->modal = true;
	d = add(b, "lobby.deny", PANEL_W_BUTTON, PANEL_S_NORMAL, mm(b, x + 6, y + 70, 60, 16),
		"Deny", NULL);
	d->modal = true;
	d = add(b, "lobby.admit", PANEL_W_BUTTON, loud ? PANEL_S_DANGER : PANEL_S_PRIMARY,
		mm(b, x + w - 86, y + 70, 80, 16), loud ? "Admit anyway" : "Admit", NULL);
	d->modal = true;
	/* Nothing to admit until keyxchgd derived the codeword the people compare. */
	d->disabled = !k->codeword[0];
}

size_t panel_view_widgets(const struct panel_view *v, struct panel_widget *out, size_t max)
{
	struct builder b = { v, out, 0, max, v->m.width / v->m.px_per_mm,
			     v->m.height / v->m.px_per_mm };

	switch (v->page) {
	case PANEL_P_HOME:
		page_home(&b);
		break;
	case PANEL_P_JOIN:
		page_join(&b);
		break;
	case PANEL_P_MEETING:
		if (v->bar)
			bar(&b);
		else if (v->st.muted || v->st.camera_off || speakers_off(&v->st))
			muted_chip(&b);
		break;
	case PANEL_P_PARTICIPANTS:
		page_participants(&b);
		break;
	case PANEL_P_SECURITY:
		page_security(&b);
		break;
	case PANEL_P_PIN:
	case PANEL_P_SETTINGS:
	case PANEL_P_EDIT:
		panel_settings_widgets(&b);
		break;
	}
	status_card(&b);
	if (v->st.host && v->st.n_knocks && in_meeting(&v->st))
		lobby(&b);
	return b.n;
}

/* ------------------------------------------------- for settings.c and view-tap.c */

struct panel_rect panel_vb_mm(const struct builder *b, double x, double y, double w, double h)
{
	return mm(b, x, y, w, h);
}

struct panel_widget *panel_vb_add(struct builder *b, const char *id, enum panel_kind kind,
				  enum panel_style style, struct panel_rect r, const char *text,
				  const char *body)
{
	return add(b, id, kind, style, r, text, body);
}

double panel_vb_card(struct builder *b, const char *id, double w, double h, double *x, double *y)
{
	return card(b, id, w, h, x, y);
}

double panel_vb_top(const struct builder *b, double h, double pref)
{
	return top(b, h, pref);
}

void panel_vb_notice(struct builder *b, double x, double y, double w)
{
	notice(b, x, y, w);
}

void panel_vb_keypad(struct builder *b, const char *id, double x, double y, double w,
		     const char *entry)
{
	keypad(b, id, x, y, w, entry);
}

void panel_vb_say(struct panel_view *v, const char *text)
{
	snprintf(v->notice, sizeof(v->notice), "%s", text);
	utf8_cut(v->notice);
}

void panel_vb_show_bar(struct panel_view *v, uint64_t now_us)
{
	show_bar(v, now_us);
}

void panel_vb_type_key(char *buf, size_t max, char key)
{
	size_t n = strlen(buf);

	if (key == '<' && n)
		buf[n - 1] = '\0';
	else if (key >= '0' && key <= '9' && n < max) {
		buf[n] = key;
		buf[n + 1] = '\0';
	}
}
