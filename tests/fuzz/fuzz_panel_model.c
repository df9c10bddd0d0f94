// SPDX-License-Identifier: MIT
/*
 * What the panel parses of keyxchgd's control socket (panel_model: status
 * replies and events), and the taps after it: the input is lines of JSON,
 * each applied as a status reply or an event (its first byte says which),
 * then the panel's widgets built and checked by panel_ui_sync (tap targets,
 * UTF-8, rectangles, unique names) and a tap made where a byte points.
 * Aborts when the state holds more than its bounds, an unterminated string or
 * one participant twice, a screen in a failure state (out of sync or split
 * included) says "End-to-end encrypted", keyxchgd's sync reason is not one
 * line of UTF-8, a layout is refused, or Admit sends another knock than the
 * one the dialog showed.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "panel/model.h"
#include "panel/ui.h"
#include "panel/view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* fontconfig keeps its configuration's allocations for the life of the process
 * (the panel's fonts are loaded once, for every input); nothing of ours. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

static struct panel_ui *ui;
static struct panel_view view;
static struct panel_widget widgets[PANEL_UI_MAX_WIDGETS];
static const char claim[] = "End-to-end encrypted", nl_claim[] = "\nEnd-to-end encrypted";

static void check_state(const struct panel_state *st)
{
	if (st->n_people > PANEL_MAX_PEOPLE || st->n_knocks > PANEL_MAX_KNOCKS ||
	    !memchr(st->own_codeword, 0, sizeof(st->own_codeword)) ||
	    !memchr(st->group_code, 0, sizeof(st->group_code)) ||
	    !memchr(st->host_codeword, 0, sizeof(st->host_codeword)) ||
	    !memchr(st->meeting_code, 0, sizeof(st->meeting_code)) ||
	    !memchr(st->room_name, 0, sizeof(st->room_name)) ||
	    !memchr(st->service, 0, sizeof(st->service)))
		abort();
	/* keyxchgd's sync: a known value, its reason one line of UTF-8, none when in sync. */
	if ((unsigned int)st->sync > PANEL_SYNC_SPLIT ||
	    !memchr(st->sync_reason, 0, sizeof(st->sync_reason)) ||
	    !g_utf8_validate(st->sync_reason, -1, NULL) ||
	    (st->sync == PANEL_SYNC_OK && st->sync_reason[0]))
		abort();
	for (const char *p = st->sync_reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	/* One entry a participant (the page's widgets are named by it). */
	for (size_t i = 0; i < st->n_people; i++)
		for (size_t j = 0; j < i; j++)
			if (st->people[i].id == st->people[j].id)
				abort();
	if (st->roster_refused && st->n_people)
		abort();
	for (size_t i = 0; i < st->n_knocks; i++)
		if (strlen(st->knocks[i].knock) != PANEL_KNOCK_HEX - 1 ||
		    !memchr(st->knocks[i].name, 0, sizeof(st->knocks[i].name)))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct panel_metrics m;
	size_t at = 0;

	if (!ui) {
		if (panel_metrics_init(&m, 1280, 720, 344, 194) || panel_ui_new(&m, &ui))
			abort();
	}
	if (panel_metrics_init(&m, 1280, 720, 344, 194))
		abort();
	panel_view_init(&view, &m);
	view.st.kx_up = true;
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
		json_t *o;
		struct panel_knock shown = { 0 };
		bool had_knock;
		struct panel_hit hit;
		struct panel_action act;
		enum panel_page was_page;
		enum panel_edit was_editing;
		char typed[PANEL_SETTING_MAX + 1];
		size_t n;

		if (len < 3) {
			at += len + 1;
			continue;
		}
		o = json_loadb((const char *)data + at + 2, len - 2, JSON_REJECT_DUPLICATES, NULL);
		if (o) {
			panel_model_apply(&view.st, o, data[at] & 1);
			json_decref(o);
		}
		check_state(&view.st);
		panel_view_follow(&view, 0);
		n = panel_view_widgets(&view, widgets, PANEL_UI_MAX_WIDGETS);
		if (panel_ui_sync(ui, widgets, n, NULL))
			abort(); /* a page keyxchgd's words can break */
		/* The claim is the panel's own words, only when it holds: no widget's
		 * text, the room's name and the keyboard's entry included (both shown
		 * in quotes), reads as it (begins with it, or on a line of its own). */
		/* A room that stopped sending never claims it. */
		if (view.st.sync != PANEL_SYNC_OK && panel_view_e2ee(&view))
			abort();
		if (!panel_view_e2ee(&view))
			for (size_t i = 0; i < n; i++)
				if (!strncmp(widgets[i].text, claim, strlen(claim)) ||
				    strstr(widgets[i].text, nl_claim))
					abort();
		/* A tap where the second byte points (x in 10 px steps, y alike). */
		had_knock = view.st.host && view.st.n_knocks &&
			    (view.st.meeting == PANEL_M_IN || view.st.meeting == PANEL_M_LOBBY);
		if (had_knock)
			shown = view.st.knocks[0];
		was_page = view.page;
		was_editing = view.editing;
		snprintf(typed, sizeof(typed), "%s", view.edit);
		if (panel_ui_hit(ui, (data[at + 1] & 0x7f) * 10, (data[at + 1] >> 7) * 360 + 300, &hit)) {
			/* Long after the knock was shown (PANEL_KNOCK_SETTLE_US). */
			panel_view_tap(&view, &hit, 1ull << 40, &act);
			if (act.type == PANEL_A_ADMIT &&
			    (!had_knock || act.participant != shown.participant ||
			     strcmp(act.knock, shown.knock)))
				abort();
			/* A setting is sent only from the keyboard (behind the PIN), for
			 * the setting it edits, with what was typed before the tap, never
			 * empty. */
			if ((act.type == PANEL_A_SET_ROOM_NAME || act.type == PANEL_A_SET_SERVICE) &&
			    (was_page != PANEL_P_EDIT || !typed[0] || strcmp(act.text, typed) ||
			     (act.type == PANEL_A_SET_SERVICE) != (was_editing == PANEL_EDIT_SERVICE)))
				abort();
		}
		at += len + 1;
	}
	return 0;
}
