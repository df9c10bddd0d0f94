// SPDX-License-Identifier: MIT
/*
 * The pages behind the admin PIN (docs/panel.md "Settings", "The admin
 * PIN"): the PIN's keypad, Settings (service address, room name, identity
 * reset) and the keyboard a setting is typed on. keyxchgd checks the PIN
 * (keyxchg/CONTROL.md "The admin PIN"): OK sends it with check-pin
 * (PANEL_A_CHECK_PIN) and keyxchgd's answer (panel_view_pin_answer) opens
 * Settings or says why not, its lockout included. The PIN keyxchgd took
 * stays in v->pin while Settings are open, to go with each setting's
 * command (act->pin), and is wiped when they close: Done, Cancel, the reset
 * (which leaves for Home), PANEL_SETTINGS_IDLE_US without a tap.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "view-builder.h"

bool panel_settings_page(enum panel_page p)
{
	return p == PANEL_P_PIN || p == PANEL_P_SETTINGS || p == PANEL_P_EDIT;
}

void panel_settings_lock(struct panel_view *v)
{
	v->page = PANEL_P_HOME;
	v->confirm_reset = false;
	v->shift = false;
	v->pin_checking = false;
	sodium_memzero(v->pin, sizeof(v->pin));
	sodium_memzero(v->edit, sizeof(v->edit));
}

/* ------------------------------------------------------------ pages */

static void page_pin(struct builder *b)
{
	char dots[PANEL_PIN_MAX * 3 + 1] = "", locked[64];
	double x, y;
	const char *title = b->v->pin_wrong ? "Wrong PIN" : "Admin PIN";

	for (size_t i = 0; b->v->pin[i]; i++)
		strcat(dots, "•");
	double h = panel_vb_card(b, "pin.card", 124, 132, &x, &y);

	if (b->v->pin_locked_s) {
		snprintf(locked, sizeof(locked), "Wrong PIN: locked %llu s",
			 (unsigned long long)b->v->pin_locked_s);
		title = locked;
	}
	panel_vb_add(b, "pin.title", PANEL_W_LABEL, b->v->pin_wrong ? PANEL_S_DANGER : PANEL_S_NORMAL,
		     panel_vb_mm(b, x + 6, y + 4, 112, 16), title,
		     "Settings are for the room's administrator")
		->text_mm = 5;
	panel_vb_keypad(b, "pin.keys", x + 6, y + 22, 112, dots[0] ? dots : " ");
	/* keyxchgd's word on the PIN (no PIN set, the tries left, the lockout). */
	panel_vb_notice(b, x + 50, y + h - 16, 70);
	panel_vb_add(b, "pin.cancel", PANEL_W_BUTTON, PANEL_S_NORMAL,
		     panel_vb_mm(b, x + 6, y + h - 18, 40, 14), "Cancel", NULL);
}

/* A setting's row: its name and value (id), and Change (id.edit). */
static void setting_row(struct builder *b, const char *id, double x, double y, const char *name,
			const char *value)
{
	char edit[PANEL_UI_ID_MAX];
	struct panel_widget *w;

	panel_vb_add(b, id, PANEL_W_LABEL, PANEL_S_NORMAL, panel_vb_mm(b, x + 6, y, 130, 16), name,
		     value)
		->text_mm = 4.5;
	snprintf(edit, sizeof(edit), "%s.edit", id);
	w = panel_vb_add(b, edit, PANEL_W_BUTTON, PANEL_S_NORMAL, panel_vb_mm(b, x + 140, y, 34, 14),
			 "Change", NULL);
	w->disabled = !b->v->st.kx_up;
}

static void page_settings(struct builder *b)
{
	const struct panel_state *st = &b->v->st;
	double x, y;
	struct panel_widget *w;

	panel_vb_card(b, "set.card", 180, 120, &x, &y);
	panel_vb_add(b, "set.title", PANEL_W_LABEL, PANEL_S_NORMAL,
		     panel_vb_mm(b, x + 6, y + 4, 168, 10), "Settings", NULL);
	setting_row(b, "set.service", x, y + 18, "Meeting service",
		    st->service[0] ? st->service : "(not configured)");
	setting_row(b, "set.room", x, y + 36, "Room name",
		    st->room_name[0] ? st->room_name : "(not set)");
	w = panel_vb_add(b, "set.reset", PANEL_W_BUTTON, PANEL_S_DANGER,
			 panel_vb_mm(b, x + 6, y + 60, 70, 16), "Reset identity…", NULL);
	w->disabled = !st->kx_up;
	panel_vb_notice(b, x + 6, y + 80, 168);
	panel_vb_add(b, "set.done", PANEL_W_BUTTON, PANEL_S_NORMAL,
		     panel_vb_mm(b, x + 140, y + 100, 34, 14), "Done", NULL);
	if (!b->v->confirm_reset)
		return;
	y = panel_vb_top(b, 120, 30);
	w = panel_vb_add(
		b, "reset", PANEL_W_DIALOG, PANEL_S_DANGER,
		panel_vb_mm(b, (b->sw - 190) / 2, y, 190, 120), "Reset this room's identity?",
		"A new identity key gives this room a new codeword. Every room that pinned or "
		"verified this one will show KEY CHANGED in red until its people compare the new "
		"codeword aloud and verify it again; a host that admitted this room without "
		"asking no longer will. This room's own pins stay. It cannot be undone.");
	w->modal = true;
	w = panel_vb_add(b, "reset.cancel", PANEL_W_BUTTON, PANEL_S_NORMAL,
			 panel_vb_mm(b, (b->sw - 190) / 2 + 8, y + 100, 60, 16), "Cancel", NULL);
	w->modal = true;
	w = panel_vb_add(b, "reset.confirm", PANEL_W_BUTTON, PANEL_S_DANGER,
			 panel_vb_mm(b, (b->sw + 190) / 2 - 88, y + 100, 80, 16),
			 "Reset identity", NULL);
	w->modal = true;
}

/* A setting on the keyboard: keyxchgd checks it, and its refusal shows here. */
static void page_edit(struct builder *b)
{
	const struct panel_view *v = b->v;
	bool svc = v->editing == PANEL_EDIT_SERVICE;
	double x, y, kw = b->sw - 20 < 240 ? b->sw - 20 : 240;
	double h = panel_vb_card(b, "edit.card", kw + 12, 142, &x, &y);
	double kh = h - 30 < 100 ? h - 30 : 100;
	char quoted[PANEL_SETTING_MAX + 8];
	struct panel_widget *w;

	panel_vb_add(b, "edit.title", PANEL_W_LABEL, PANEL_S_NORMAL, panel_vb_mm(b, x + 6, y + 3, kw, 14),
		     svc ? "Meeting service address" : "Room name",
		     svc ? "wss://host[:port][/path]: the service keyxchgd connects to for meetings"
			 : "Shown to the other rooms when this room knocks; up to 64 bytes")
		->text_mm = 5;
	/* What is typed, in quotes (as Home shows the name). */
	snprintf(quoted, sizeof(quoted), "\u201c%s\u201d", v->edit);
	w = panel_vb_add(b, "edit.keys", PANEL_W_KEYBOARD, PANEL_S_NORMAL,
			 panel_vb_mm(b, x + 6, y + 19, kw, kh), v->edit[0] ? quoted : " ", NULL);
	w->on = v->shift;
	panel_vb_notice(b, x + 6, y + 20 + kh, kw);
}

void panel_settings_widgets(struct builder *b)
{
	switch (b->v->page) {
	case PANEL_P_PIN:
		page_pin(b);
		break;
	case PANEL_P_SETTINGS:
		page_settings(b);
		break;
	case PANEL_P_EDIT:
		page_edit(b);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ time */

bool panel_settings_tick(struct panel_view *v, uint64_t now_us)
{
	if (panel_settings_page(v->page) && now_us - v->last_tap_us >= PANEL_SETTINGS_IDLE_US) {
		panel_settings_lock(v);
		snprintf(v->notice, sizeof(v->notice),
			 "Settings locked again: %llu s without a tap.",
			 (unsigned long long)(PANEL_SETTINGS_IDLE_US / 1000000));
		return true;
	}
	if (v->page == PANEL_P_PIN && v->pin_locked_s && now_us >= v->pin_locked_until_us) {
		v->pin_locked_s = 0; /* the page says "Admin PIN" again */
		v->notice[0] = '\0';
		return true;
	}
	return false;
}

uint64_t panel_settings_deadline(const struct panel_view *v, uint64_t at)
{
	if (panel_settings_page(v->page)) {
		uint64_t idle = v->last_tap_us + PANEL_SETTINGS_IDLE_US;

		if (!at || idle < at)
			at = idle;
		if (v->page == PANEL_P_PIN && v->pin_locked_s && v->pin_locked_until_us < at)
			at = v->pin_locked_until_us;
	}
	return at;
}

/* ------------------------------------------------------------ taps */

/* The PIN's OK: keyxchgd checks it (check-pin); the panel only counts digits. */
static void enter_pin(struct panel_view *v, uint64_t now_us, struct panel_action *act)
{
	size_t n = strlen(v->pin);

	if (v->pin_checking)
		return; /* keyxchgd's answer to the last one is still to come */
	if (v->pin_locked_s && now_us < v->pin_locked_until_us) {
		/* keyxchgd said so: it would not check this one either. */
		char text[PANEL_UI_TEXT_MAX];

		snprintf(text, sizeof(text), "Too many wrong PINs: try again in %llu s.",
			 (unsigned long long)((v->pin_locked_until_us - now_us + 999999) / 1000000));
		panel_vb_say(v, text);
		sodium_memzero(v->pin, sizeof(v->pin));
		return;
	}
	if (n < PANEL_PIN_MIN) {
		panel_vb_say(v, "The admin PIN is 6 to 12 digits.");
		return;
	}
	act->type = PANEL_A_CHECK_PIN;
	memcpy(act->pin, v->pin, n + 1);
	v->pin_checking = true;
	panel_vb_say(v, "Checking…");
}

void panel_view_pin_answer(struct panel_view *v, bool ok, long long locked_ms, const char *error,
			   uint64_t now_us)
{
	bool waited = v->pin_checking && v->page == PANEL_P_PIN;

	v->pin_checking = false;
	if (!waited) { /* cancelled or relocked meanwhile: nothing to open */
		sodium_memzero(v->pin, sizeof(v->pin));
		return;
	}
	if (ok) {
		/* The PIN stays (v->pin) while Settings are open: each setting carries it. */
		v->pin_wrong = false;
		v->pin_locked_s = 0;
		v->page = PANEL_P_SETTINGS;
		v->notice[0] = '\0';
		return;
	}
	sodium_memzero(v->pin, sizeof(v->pin));
	v->pin_wrong = locked_ms >= 0 || (error && !strncmp(error, "wrong PIN", 9));
	v->pin_locked_s = 0;
	if (locked_ms > 0) {
		v->pin_locked_until_us = now_us + (uint64_t)locked_ms * 1000;
		v->pin_locked_s = ((uint64_t)locked_ms + 999) / 1000;
	}
	snprintf(v->notice, sizeof(v->notice), "%s", error ? error : "Not checked.");
}

void panel_view_pin_refused(struct panel_view *v, const char *error)
{
	/* The PIN held no longer opens anything (changed, or a lockout): forget it. */
	panel_settings_lock(v);
	snprintf(v->notice, sizeof(v->notice), "Settings locked: %s", error);
}

/* A key of the Settings' keyboard; Done sends the setting, Cancel leaves it. */
static void edit_key(struct panel_view *v, char key, struct panel_action *act)
{
	size_t max = v->editing == PANEL_EDIT_SERVICE ? PANEL_SETTING_MAX : PANEL_ROOM_NAME_MAX;

	if (key == PANEL_KEY_SHIFT) {
		v->shift = !v->shift;
	} else if (key == PANEL_KEY_CANCEL) {
		v->page = PANEL_P_SETTINGS;
		v->notice[0] = '\0';
	} else if (key == PANEL_KEY_OK) {
		if (!v->edit[0]) {
			panel_vb_say(v, "Type a value first (Cancel keeps the one set).");
			return;
		}
		act->type = v->editing == PANEL_EDIT_SERVICE ? PANEL_A_SET_SERVICE
							      : PANEL_A_SET_ROOM_NAME;
		snprintf(act->text, sizeof(act->text), "%s", v->edit);
		memcpy(act->pin, v->pin, sizeof(act->pin));
		/* Settings show keyxchgd's value (status) or its refusal (the notice). */
		v->page = PANEL_P_SETTINGS;
		v->notice[0] = '\0';
	} else if (panel_keyboard_type(v->edit, max, key, v->shift)) {
		v->shift = false; /* one capital, as phone keyboards do */
		v->notice[0] = '\0';
	} else if (key != PANEL_KEY_ERASE) {
		panel_vb_say(v, v->editing == PANEL_EDIT_SERVICE ? "At most 128 characters."
								  : "At most 64 bytes.");
	}
}

bool panel_settings_tap(struct panel_view *v, const struct panel_hit *hit, uint64_t now_us,
			struct panel_action *act)
{
	const char *id = hit->id;

	if (!strcmp(id, "home.settings")) {
		/* keyxchgd decides (no PIN set, a lockout): the keypad always opens. */
		v->page = PANEL_P_PIN;
		sodium_memzero(v->pin, sizeof(v->pin));
		v->pin_wrong = false;
		v->pin_checking = false;
		v->notice[0] = '\0';
		if (now_us >= v->pin_locked_until_us)
			v->pin_locked_s = 0;
	} else if (!strcmp(id, "pin.cancel") || !strcmp(id, "set.done")) {
		panel_settings_lock(v);
		v->notice[0] = '\0';
	} else if (!strcmp(id, "pin.keys")) {
		if (hit->key != '>' && !v->pin_checking)
			panel_vb_type_key(v->pin, PANEL_PIN_MAX, hit->key);
		else if (hit->key == '>')
			enter_pin(v, now_us, act);
	} else if (!strcmp(id, "set.reset")) {
		v->confirm_reset = true;
	} else if (!strcmp(id, "reset.cancel")) {
		v->confirm_reset = false;
	} else if (!strcmp(id, "reset.confirm")) {
		/* Home shows the new codeword once keyxchgd reports it; Settings close. */
		act->type = PANEL_A_RESET_IDENTITY;
		memcpy(act->pin, v->pin, sizeof(act->pin));
		panel_settings_lock(v);
		panel_vb_say(v, "Resetting this room's identity…");
	} else if (!strcmp(id, "set.room.edit") || !strcmp(id, "set.service.edit")) {
		/* The keyboard starts from keyxchgd's current value. */
		v->editing = id[4] == 'r' ? PANEL_EDIT_ROOM_NAME : PANEL_EDIT_SERVICE;
		snprintf(v->edit, sizeof(v->edit), "%s",
			 v->editing == PANEL_EDIT_SERVICE ? v->st.service : v->st.room_name);
		v->shift = false;
		v->page = PANEL_P_EDIT;
		v->notice[0] = '\0';
	} else if (!strcmp(id, "edit.keys")) {
		edit_key(v, hit->key, act);
	} else {
		return false;
	}
	return true;
}
