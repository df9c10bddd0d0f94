// SPDX-License-Identifier: MIT
/*
 * The touch panel's taps (panel/view.h panel_view_tap, docs/panel.md): a
 * tap on a widget of the page shown into the page's next state and, where
 * it asks keyxchgd or roomd for something, the one action the host sends.
 * The pages themselves are view.c's; Settings' taps are settings.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "view-builder.h"

static void drop_knock(struct panel_state *st)
{
	memmove(&st->knocks[0], &st->knocks[1], (st->n_knocks - 1) * sizeof(st->knocks[0]));
	st->n_knocks--;
}

static bool person_action(struct panel_view *v, const char *id, const char *prefix,
			  enum panel_action_type type, struct panel_action *act)
{
	size_t n = strlen(prefix);
	char *end;
	unsigned long p;

	if (strncmp(id, prefix, n))
		return false;
	p = strtoul(id + n, &end, 10);
	if (*end || p > 65534)
		return false;
	act->type = type;
	act->participant = (uint32_t)p;
	(void)v;
	return true;
}

void panel_view_tap(struct panel_view *v, const struct panel_hit *hit, uint64_t now_us,
		    struct panel_action *act)
{
	const char *id = hit ? hit->id : "";

	memset(act, 0, sizeof(*act));
	/* On the video a tap brings the bar and the next one sends it away (as
	 * the room systems' panels do); a tap on one of its buttons keeps it. */
	if (v->page == PANEL_P_MEETING && !hit && v->bar) {
		v->bar = false;
		return;
	}
	if (v->page == PANEL_P_MEETING)
		panel_vb_show_bar(v, now_us);
	/* A tap after the idle time finds Settings locked, whatever it hit. */
	if (panel_settings_page(v->page) && now_us - v->last_tap_us >= PANEL_SETTINGS_IDLE_US) {
		panel_view_tick(v, now_us);
		return;
	}
	v->last_tap_us = now_us;
	if (!hit)
		return;
	if (!strcmp(id, "lobby.admit") || !strcmp(id, "lobby.deny")) {
		const struct panel_knock *k = &v->st.knocks[0];

		if (!v->st.n_knocks)
			return;
		if (id[6] == 'a' && now_us - v->knock_since_us < PANEL_KNOCK_SETTLE_US) {
			panel_vb_say(
			    v, "The knock just changed: compare the codeword again, then Admit.");
			return;
		}
		act->type = id[6] == 'a' ? PANEL_A_ADMIT : PANEL_A_DENY;
		act->participant = k->participant;
		memcpy(act->knock, k->knock, sizeof(act->knock));
		drop_knock(&v->st);
	} else if (!strcmp(id, "home.start")) {
		act->type = PANEL_A_HOST;
		panel_vb_say(v, "Starting a meeting…");
	} else if (!strcmp(id, "home.join")) {
		v->page = PANEL_P_JOIN;
		v->entry[0] = v->notice[0] = '\0';
	} else if (panel_settings_tap(v, hit, now_us, act)) {
		/* the PIN, Settings and the keyboard: settings.c */
	} else if (!strcmp(id, "join.keys")) {
		if (hit->key != '>') {
			panel_vb_type_key(v->entry, PANEL_CODE_DIGITS, hit->key);
			v->notice[0] = '\0';
		} else if (panel_code_from_digits(v->entry, act->code)) {
			panel_vb_say(
			    v, "Not a meeting code: 5 groups of 5 digits, each at most 65535.");
		} else {
			act->type = PANEL_A_JOIN;
			panel_vb_say(v, "Knocking…");
		}
	} else if (!strcmp(id, "join.cancel")) {
		v->page = PANEL_P_HOME;
		v->notice[0] = '\0';
	} else if (!strcmp(id, "bar.participants")) {
		v->page = PANEL_P_PARTICIPANTS;
		v->notice[0] = '\0';
	} else if (!strcmp(id, "bar.security")) {
		v->page = PANEL_P_SECURITY;
	} else if (!strcmp(id, "people.close") || !strcmp(id, "sec.close")) {
		v->page = PANEL_P_MEETING;
		panel_vb_show_bar(v, now_us);
	} else if (!strcmp(id, "bar.mic") || !strcmp(id, "bar.camera") || !strcmp(id, "bar.vol-") ||
		   !strcmp(id, "bar.vol+") || !strcmp(id, "bar.volume")) {
		/* The whole MEDIA state: what roomd confirmed, with this tap's change. */
		act->type = PANEL_A_MEDIA;
		act->mute = !strcmp(id, "bar.mic") ? !v->st.muted : v->st.muted;
		act->camera_off = !strcmp(id, "bar.camera") ? !v->st.camera_off : v->st.camera_off;
		act->volume = v->st.volume;
		if (!strcmp(id, "bar.vol-"))
			act->volume =
			    act->volume > PANEL_VOLUME_STEP ? act->volume - PANEL_VOLUME_STEP : 0;
		else if (!strcmp(id, "bar.vol+"))
			act->volume = act->volume + PANEL_VOLUME_STEP < PANEL_VOLUME_MAX
					  ? act->volume + PANEL_VOLUME_STEP
					  : PANEL_VOLUME_MAX;
		else if (!strcmp(id, "bar.volume") && v->st.volume)
			v->volume_before = v->st.volume, act->volume = 0; /* speakers off */
		else if (!strcmp(id, "bar.volume"))
			act->volume = v->volume_before ? v->volume_before : PANEL_VOLUME_MAX / 2;
		panel_vb_show_bar(v, now_us);
	} else if (!strcmp(id, "bar.layout")) {
		v->layout = v->layout == PANEL_L_GRID ? PANEL_L_SPEAKER : PANEL_L_GRID;
		act->type = PANEL_A_LAYOUT;
		panel_vb_show_bar(v, now_us);
	} else if (!strcmp(id, "bar.leave")) {
		act->type = PANEL_A_LEAVE;
	} else if (!strcmp(id, "bar.end")) {
		act->type = PANEL_A_END;
	} else if (!person_action(v, id, "verify.", PANEL_A_VERIFY, act)) {
		person_action(v, id, "remove.", PANEL_A_REMOVE, act);
	}
}
