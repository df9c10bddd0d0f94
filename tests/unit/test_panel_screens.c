// SPDX-License-Identifier: MIT
/*
 * The panel's screens (panel/view.h): every screen rendered from a fixed
 * state with the pinned fonts and compared with its golden image in
 * panel/golden/ (1280x720, qemu-x86_64's 344 x 194 mm: what make run shows),
 * every screen laid out on the other boards' screens too (the tap-target rule
 * holds at 1920x1080 and 3840x2160), the taps' actions (Admit names exactly
 * the knock shown, the PIN, the meeting code on the keypad, the bar that
 * hides), no screen in a failure state saying "End-to-end encrypted", and
 * panel_model's reading of keyxchgd's messages (a table of lines).
 *
 * Golden images: the panel's ARGB32 layer over a flat background, as RGB
 * PNG. A pixel matches when no channel differs by more than GOLDEN_TOL (8 of
 * 255: antialiasing noise of another FreeType or Cairo build); every pixel
 * must match. On a mismatch the actual image and a diff (red where pixels
 * differ, the actual dimmed elsewhere) go to $BUILD/test-logs/panel-golden/
 * and the failure names them. PANEL_UPDATE_GOLDEN=1 in the environment (make
 * check PANEL_UPDATE_GOLDEN=1 T=test_panel_screens) rewrites the goldens on
 * purpose instead.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cairo.h>
#include <cmocka.h>

#include <jansson.h>

#include "panel/model.h"
#include "panel_golden.h"
#include "panel/ui.h"
#include "panel/view.h"

#define BACKGROUND 0x101820u

static const char *const CW_SELF = "Mavoj-Pubip-Gubad-Gamiv";
static const char *const CW_B = "Lusab-Babad-Gutih-Tugad";
static const char *const CW_C = "Hidoz-Vikag-Sabom-Lonus";
static const char *const CW_D = "Fojup-Hafir-Kisuz-Mitom";
static const char *const GROUP = "Zadib-Nopuv-Rigal-Sofut";
static const char *const KNOCK =
	"5d41402abc4b2a76b9719d911017c592aa5d41402abc4b2a76b9719d911017c5";

static struct panel_widget widgets[PANEL_UI_MAX_WIDGETS];

static void person(struct panel_state *st, uint32_t id, const char *cw, const char *name,
		   enum panel_trust t, bool self, bool host)
{
	struct panel_person *p = &st->people[st->n_people++];

	*p = (struct panel_person){ .id = id, .trust = t, .self = self, .host = host };
	snprintf(p->codeword, sizeof(p->codeword), "%s", cw);
	snprintf(p->name, sizeof(p->name), "%s", name);
}

static void knock(struct panel_state *st, uint32_t id, const char *name, const char *cw,
		  enum panel_trust t)
{
	struct panel_knock *k = &st->knocks[st->n_knocks++];

	*k = (struct panel_knock){ .participant = id, .trust = t };
	snprintf(k->knock, sizeof(k->knock), "%s", KNOCK);
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->codeword, sizeof(k->codeword), "%s", cw);
}

/* The base: this room, keyxchgd up, idle. */
static void base(struct panel_view *v, const struct panel_metrics *m)
{
	panel_view_init(v, m);
	snprintf(v->st.room_name, sizeof(v->st.room_name), "Board room 4");
	snprintf(v->st.service, sizeof(v->st.service), "wss://meet.example.net:8443");
	snprintf(v->st.own_codeword, sizeof(v->st.own_codeword), "%s", CW_SELF);
	v->st.kx_up = true;
}

/* A host in a meeting of three, keys held. */
static void hosting(struct panel_view *v)
{
	v->st.meeting = PANEL_M_IN;
	v->st.host = true;
	v->st.relay = PANEL_R_OPEN;
	v->st.roomd_up = true;
	v->st.volume = 70;
	snprintf(v->st.group_code, sizeof(v->st.group_code), "%s", GROUP);
	person(&v->st, 0, CW_SELF, "Board room 4", PANEL_T_VERIFIED, true, true);
	person(&v->st, 1, CW_B, "Lab 2", PANEL_T_VERIFIED, false, false);
	person(&v->st, 2, CW_C, "Studio", PANEL_T_NEW, false, false);
	v->st.video[v->st.n_video++] = 1; /* room 1's frames arrive, room 2's not yet */
	panel_view_follow(v, 0);
}

struct screen {
	const char *name;
	void (*make)(struct panel_view *v);
	bool e2ee; /* whether it may say "End-to-end encrypted" */
};

static void s_home(struct panel_view *v)
{
	(void)v;
}
static void s_home_unreachable(struct panel_view *v)
{
	v->st.kx_up = false;
	v->st.own_codeword[0] = '\0';
}
static void s_join(struct panel_view *v)
{
	v->page = PANEL_P_JOIN;
	snprintf(v->entry, sizeof(v->entry), "1234567890123");
}
static void s_meeting_bar(struct panel_view *v)
{
	hosting(v);
}
static void s_meeting_muted(struct panel_view *v)
{
	hosting(v);
	v->st.muted = true;
	v->bar = false;
	panel_view_follow(v, 0);
}
static void s_meeting_bar_muted(struct panel_view *v)
{
	hosting(v);
	v->st.muted = true;
	v->st.camera_off = true;
}
static void s_meeting_camera_off(struct panel_view *v)
{
	s_meeting_muted(v);
	v->st.camera_off = true;
}
static void s_meeting_bar_speakers_off(struct panel_view *v)
{
	hosting(v);
	v->st.volume = 0;
	v->st.muted = true;
}
static void s_meeting_speakers_off(struct panel_view *v)
{
	hosting(v);
	v->st.volume = 0;
	v->bar = false;
}
static void s_meeting_bar_speaker_layout(struct panel_view *v)
{
	hosting(v);
	v->st.volume = 100;
	v->layout = PANEL_L_SPEAKER;
}
static void s_lobby(struct panel_view *v)
{
	hosting(v);
	knock(&v->st, 3, "Huddle room", CW_D, PANEL_T_NEW);
}
static void s_lobby_changed(struct panel_view *v)
{
	hosting(v);
	knock(&v->st, 3, "Huddle room", CW_D, PANEL_T_CHANGED);
}
static void s_participants(struct panel_view *v)
{
	hosting(v);
	v->page = PANEL_P_PARTICIPANTS;
}
static void s_participants_member(struct panel_view *v)
{
	hosting(v);
	v->st.host = false;
	v->st.people[0].host = false;
	v->st.people[1].host = true;
	snprintf(v->st.host_codeword, sizeof(v->st.host_codeword), "%s", CW_B);
	v->page = PANEL_P_PARTICIPANTS;
}
static void s_security(struct panel_view *v)
{
	s_participants_member(v);
	v->page = PANEL_P_SECURITY;
}
static void s_security_waiting(struct panel_view *v)
{
	hosting(v);
	v->st.group_code[0] = '\0';
	v->page = PANEL_P_SECURITY;
}
static void s_pin(struct panel_view *v)
{
	v->page = PANEL_P_PIN;
	snprintf(v->pin, sizeof(v->pin), "24");
}
/* keyxchgd's lockout answer on the PIN page (panel_view_pin_answer). */
static void s_pin_locked(struct panel_view *v)
{
	v->page = PANEL_P_PIN;
	v->pin_checking = true;
	panel_view_pin_answer(v, false, 30000, "wrong PIN: locked for 30000 ms", 0);
}
static void s_settings(struct panel_view *v)
{
	v->page = PANEL_P_SETTINGS;
}
static void s_settings_reset(struct panel_view *v)
{
	v->page = PANEL_P_SETTINGS;
	v->confirm_reset = true;
}
static void s_edit_room(struct panel_view *v)
{
	v->page = PANEL_P_EDIT;
	v->editing = PANEL_EDIT_ROOM_NAME;
	snprintf(v->edit, sizeof(v->edit), "Board room 2");
}
static void s_edit_service_refused(struct panel_view *v)
{
	v->page = PANEL_P_EDIT;
	v->editing = PANEL_EDIT_SERVICE;
	v->shift = true;
	snprintf(v->edit, sizeof(v->edit), "wss://relay.example.org:8443/a/../b");
	snprintf(v->notice, sizeof(v->notice), "keyxchgd refused it: not a meeting service "
					       "address: the path has a '.' or '..' segment");
}
static void s_settings_refused(struct panel_view *v)
{
	v->page = PANEL_P_SETTINGS;
	snprintf(v->notice, sizeof(v->notice), "keyxchgd refused it: not during a meeting: "
					       "leave it first, then rename the room");
}
static void s_waiting_host(struct panel_view *v)
{
	v->st.meeting = PANEL_M_LOBBY;
	v->st.relay = PANEL_R_OPEN;
	snprintf(v->st.host_codeword, sizeof(v->st.host_codeword), "%s", CW_B);
	panel_view_follow(v, 0);
}
static void s_waiting_keys(struct panel_view *v)
{
	hosting(v);
	v->st.group_code[0] = '\0';
}
/* A member whose keyxchgd stopped sending: keyxchgd's reason on the card. */
static void out_of_sync(struct panel_view *v)
{
	hosting(v);
	v->st.host = false;
	v->st.people[0].host = false;
	v->st.people[1].host = true;
	v->st.sync = PANEL_SYNC_OUT;
	snprintf(v->st.sync_reason, sizeof(v->st.sync_reason),
		 "no word from the host for epoch 3 within 15 s");
}
static void s_out_of_sync(struct panel_view *v)
{
	out_of_sync(v);
}
static void s_out_of_sync_security(struct panel_view *v)
{
	out_of_sync(v);
	v->page = PANEL_P_SECURITY;
}
static void s_sync_split(struct panel_view *v)
{
	hosting(v);
	v->st.sync = PANEL_SYNC_SPLIT;
	snprintf(v->st.sync_reason, sizeof(v->st.sync_reason),
		 "the host's heartbeat confirms another roster for epoch 4");
}
static void s_split(struct panel_view *v)
{
	hosting(v);
	v->st.meeting = PANEL_M_SPLIT;
	v->page = PANEL_P_HOME;
}
static void s_key_changed(struct panel_view *v)
{
	hosting(v);
	v->st.people[2].trust = PANEL_T_CHANGED;
}
static void s_service_unreachable(struct panel_view *v)
{
	hosting(v);
	v->st.relay = PANEL_R_DOWN;
}

static const struct screen screens[] = {
	{ "home", s_home, false },
	{ "home-unreachable", s_home_unreachable, false },
	{ "join", s_join, false },
	{ "meeting-bar", s_meeting_bar, true },
	{ "meeting-muted", s_meeting_muted, true },
	{ "meeting-bar-muted", s_meeting_bar_muted, true },
	{ "meeting-muted-camera-off", s_meeting_camera_off, true },
	{ "lobby", s_lobby, true },
	{ "lobby-changed-key", s_lobby_changed, true },
	{ "participants-host", s_participants, true },
	{ "participants-member", s_participants_member, true },
	{ "security", s_security, true },
	{ "security-waiting", s_security_waiting, false },
	{ "pin", s_pin, false },
	{ "pin-locked", s_pin_locked, false },
	{ "settings", s_settings, false },
	{ "settings-reset", s_settings_reset, false },
	{ "settings-edit-room", s_edit_room, false },
	{ "settings-edit-service-refused", s_edit_service_refused, false },
	{ "settings-refused", s_settings_refused, false },
	{ "waiting-for-host", s_waiting_host, false },
	{ "error-waiting-for-keys", s_waiting_keys, false },
	{ "error-out-of-sync", s_out_of_sync, false },
	{ "error-out-of-sync-security", s_out_of_sync_security, false },
	{ "error-sync-split", s_sync_split, false },
	{ "error-meeting-split", s_split, false },
	{ "error-key-changed", s_key_changed, false },
	{ "error-service-unreachable", s_service_unreachable, false },
	{ "meeting-bar-speakers-off", s_meeting_bar_speakers_off, true },
	{ "meeting-speakers-off", s_meeting_speakers_off, true },
	{ "meeting-bar-speaker-layout", s_meeting_bar_speaker_layout, true },
};

static size_t build(struct panel_view *v, const struct screen *s, const struct panel_metrics *m)
{
	base(v, m);
	s->make(v);
	return panel_view_widgets(v, widgets, PANEL_UI_MAX_WIDGETS);
}

/* The panel over the background, as the RGB picture the golden holds. */
static cairo_surface_t *flatten(const struct panel_ui *ui)
{
	uint32_t w, h, stride;
	const uint8_t *d = panel_ui_image(ui, &w, &h, &stride);
	cairo_surface_t *src = cairo_image_surface_create_for_data((uint8_t *)d, CAIRO_FORMAT_ARGB32,
								   (int)w, (int)h, (int)stride);
	cairo_surface_t *out = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
	cairo_t *cr = cairo_create(out);

	cairo_set_source_rgb(cr, ((BACKGROUND >> 16) & 255) / 255.0, ((BACKGROUND >> 8) & 255) / 255.0,
			     (BACKGROUND & 255) / 255.0);
	cairo_paint(cr);
	cairo_set_source_surface(cr, src, 0, 0);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_destroy(src);
	cairo_surface_flush(out);
	return out;
}

static bool says_encrypted(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strstr(widgets[i].text, "End-to-end encrypted") ||
		    !strcmp(widgets[i].body, "encrypted"))
			return true;
	}
	return false;
}

static void test_goldens(void **state)
{
	struct panel_metrics m;
	struct panel_rect dmg[PANEL_UI_MAX_DAMAGE];
	static struct panel_view v;

	(void)state;
	assert_int_equal(panel_metrics_init(&m, 1280, 720, 344, 194), 0);
	for (size_t i = 0; i < sizeof(screens) / sizeof(screens[0]); i++) {
		struct panel_ui *ui;
		const char *bad = NULL;
		size_t n = build(&v, &screens[i], &m);
		cairo_surface_t *img;

		assert_int_equal(panel_ui_new(&m, &ui), 0);
		if (panel_ui_sync(ui, widgets, n, &bad))
			fail_msg("%s: widget %s refused (a tap target under 12 mm, or off the screen)",
				 screens[i].name, bad ? bad : "?");
		assert_int_equal(panel_view_e2ee(&v), screens[i].e2ee);
		if (!screens[i].e2ee && says_encrypted(n))
			fail_msg("%s: a failure state says it is encrypted", screens[i].name);
		panel_ui_render(ui, dmg);
		img = flatten(ui);
		panel_golden(screens[i].name, img);
		cairo_surface_destroy(img);
		panel_ui_free(ui);
	}
}

/* Every screen lays out on the other boards' screens: no tap target under 12 mm. */
static void test_other_boards(void **state)
{
	static const uint32_t sizes[][4] = { { 1920, 1080, 344, 194 }, { 3840, 2160, 1428, 804 },
					     { 1280, 800, 217, 136 } };
	static struct panel_view v;

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct panel_metrics m;
		struct panel_ui *ui;

		assert_int_equal(panel_metrics_init(&m, sizes[s][0], sizes[s][1], sizes[s][2],
						    sizes[s][3]),
				 0);
		assert_int_equal(panel_ui_new(&m, &ui), 0);
		for (size_t i = 0; i < sizeof(screens) / sizeof(screens[0]); i++) {
			const char *bad = NULL;
			size_t n = build(&v, &screens[i], &m);

			if (panel_ui_sync(ui, widgets, n, &bad))
				fail_msg("%s at %ux%u: widget %s refused", screens[i].name,
					 sizes[s][0], sizes[s][1], bad ? bad : "?");
		}
		panel_ui_free(ui);
	}
}

/* The centre of widget id as laid out now. */
/* The view's widgets now, synced into ui (a layout the 12 mm rule refuses fails). */
static void sync_view(struct panel_ui *ui, struct panel_view *v)
{
	assert_int_equal(panel_ui_sync(ui, widgets, panel_view_widgets(v, widgets, PANEL_UI_MAX_WIDGETS),
				       NULL),
			 0);
}

static struct panel_hit hit_of(struct panel_ui *ui, struct panel_view *v, const char *id)
{
	size_t n = panel_view_widgets(v, widgets, PANEL_UI_MAX_WIDGETS);
	const struct panel_widget *w;
	struct panel_hit hit;

	assert_int_equal(panel_ui_sync(ui, widgets, n, NULL), 0);
	w = panel_ui_find(ui, id);
	if (!w)
		fail_msg("no widget %s on page %s", id, panel_page_name(v->page));
	assert_true(panel_ui_hit(ui, w->r.x + w->r.w / 2, w->r.y + w->r.h / 2, &hit));
	assert_string_equal(hit.id, id);
	return hit;
}

/* A tap in the middle of key of the Settings' keyboard (edit.keys). */
static void tap_board(struct panel_ui *ui, struct panel_view *v, char key, struct panel_action *act)
{
	struct panel_rect keys[PANEL_KEYBOARD_KEYS];
	struct panel_hit hit;
	size_t n = panel_view_widgets(v, widgets, PANEL_UI_MAX_WIDGETS);
	const char *at = memchr(panel_keyboard_keys, key, PANEL_KEYBOARD_KEYS);
	const struct panel_rect *r;

	assert_non_null(at);
	assert_int_equal(panel_ui_sync(ui, widgets, n, NULL), 0);
	panel_keyboard_layout(&v->m, panel_ui_find(ui, "edit.keys"), keys);
	r = &keys[at - panel_keyboard_keys];
	assert_true(panel_ui_hit(ui, r->x + r->w / 2, r->y + r->h / 2, &hit));
	assert_string_equal(hit.id, "edit.keys");
	assert_int_equal(hit.key, key);
	panel_view_tap(v, &hit, 0, act);
}

static void tap_key(struct panel_ui *ui, struct panel_view *v, const char *pad, char key,
		    struct panel_action *act)
{
	struct panel_rect keys[PANEL_KEYPAD_KEYS];
	struct panel_hit hit;
	size_t n = panel_view_widgets(v, widgets, PANEL_UI_MAX_WIDGETS);

	assert_int_equal(panel_ui_sync(ui, widgets, n, NULL), 0);
	panel_keypad_layout(&v->m, panel_ui_find(ui, pad), keys);
	for (unsigned int i = 0; i < PANEL_KEYPAD_KEYS; i++)
		if (panel_keypad_keys[i] == key) {
			assert_true(panel_ui_hit(ui, keys[i].x + 5, keys[i].y + 5, &hit));
			assert_int_equal(hit.key, key);
			panel_view_tap(v, &hit, 0, act);
			return;
		}
	fail();
}

static void test_taps(void **state)
{
	struct panel_metrics m;
	struct panel_ui *ui;
	struct panel_action act;
	struct panel_hit hit;
	static struct panel_view v;
	const char *digits = "00000111112222233333444445";

	(void)state;
	assert_int_equal(panel_metrics_init(&m, 1280, 720, 344, 194), 0);
	assert_int_equal(panel_ui_new(&m, &ui), 0);

	/* The lobby: a tap outside the dialog does nothing; Admit names the knock shown. */
	assert_string_equal(screens[7].name, "lobby");
	build(&v, &screens[7], &m);
	assert_false(panel_ui_hit(ui, 5, 5, &hit));
	hit = hit_of(ui, &v, "lobby.admit");
	/* The knock changes under the finger (the relay replaced it): a tap within
	 * PANEL_KNOCK_SETTLE_US of the change admits nothing. */
	v.st.knocks[0].knock[0] = 'f';
	panel_view_follow(&v, 10 * PANEL_KNOCK_SETTLE_US);
	panel_view_tap(&v, &hit, 10 * PANEL_KNOCK_SETTLE_US + PANEL_KNOCK_SETTLE_US - 1, &act);
	assert_int_equal(act.type, PANEL_A_NONE);
	assert_int_equal(v.st.n_knocks, 1);
	v.st.knocks[0].knock[0] = KNOCK[0];
	panel_view_follow(&v, 0);
	panel_view_tap(&v, &hit, PANEL_KNOCK_SETTLE_US, &act);
	assert_int_equal(act.type, PANEL_A_ADMIT);
	assert_int_equal(act.participant, 3);
	assert_string_equal(act.knock, KNOCK);
	assert_int_equal(v.st.n_knocks, 0);
	/* A knock whose codeword is not derived yet cannot be admitted. */
	knock(&v.st, 4, "Late room", "", PANEL_T_NEW);
	assert_int_equal(panel_ui_sync(ui, widgets, panel_view_widgets(&v, widgets, PANEL_UI_MAX_WIDGETS), NULL), 0);
	assert_true(panel_ui_find(ui, "lobby.admit")->disabled);
	hit = hit_of(ui, &v, "lobby.deny");
	panel_view_tap(&v, &hit, 0, &act);
	assert_int_equal(act.type, PANEL_A_DENY);
	assert_int_equal(act.participant, 4);

	/* The bar: shown on a tap, hidden PANEL_BAR_US later; Participants -> Remove. */
	v.bar = false;
	panel_view_tap(&v, NULL, 1000, &act);
	assert_true(v.bar);
	assert_int_equal(panel_view_deadline(&v), 1000 + PANEL_BAR_US);
	assert_false(panel_view_tick(&v, 1000 + PANEL_BAR_US - 1));
	assert_true(panel_view_tick(&v, 1000 + PANEL_BAR_US));
	assert_false(v.bar);
	/* A tap on the video while the bar shows sends it away; the next brings it. */
	panel_view_tap(&v, NULL, 1500, &act);
	assert_true(v.bar);
	panel_view_tap(&v, NULL, 1600, &act);
	assert_false(v.bar);
	assert_int_equal(act.type, PANEL_A_NONE);
	assert_int_equal(panel_view_deadline(&v), 0);
	panel_view_tap(&v, NULL, 2000, &act);
	assert_true(v.bar);
	hit = hit_of(ui, &v, "bar.participants");
	panel_view_tap(&v, &hit, 2000, &act);
	assert_int_equal(v.page, PANEL_P_PARTICIPANTS);
	hit = hit_of(ui, &v, "remove.2");
	panel_view_tap(&v, &hit, 2000, &act);
	assert_int_equal(act.type, PANEL_A_REMOVE);
	assert_int_equal(act.participant, 2);
	hit = hit_of(ui, &v, "verify.2");
	panel_view_tap(&v, &hit, 2000, &act);
	assert_int_equal(act.type, PANEL_A_VERIFY);
	/* Verified rooms have no Verify; this room has neither. */
	assert_null(panel_ui_find(ui, "verify.1"));
	assert_null(panel_ui_find(ui, "remove.0"));
	/* The microphone: a tap asks roomd for the other state (roomd's word shown). */
	v.page = PANEL_P_MEETING;
	v.st.muted = false;
	v.bar = false; /* a tap on the video brings it */
	panel_view_tap(&v, NULL, 3000, &act);
	hit = hit_of(ui, &v, "bar.mic");
	panel_view_tap(&v, &hit, 3000, &act);
	assert_int_equal(act.type, PANEL_A_MEDIA);
	assert_true(act.mute && !act.camera_off);
	assert_false(v.st.muted); /* not until roomd says so */
	v.st.muted = true; /* roomd said so: the camera's tap keeps the mute */
	hit = hit_of(ui, &v, "bar.camera");
	panel_view_tap(&v, &hit, 3000, &act);
	assert_int_equal(act.type, PANEL_A_MEDIA);
	assert_true(act.mute && act.camera_off);
	/* The volume: − and + move roomd's confirmed level by a step, the rest of MEDIA kept. */
	v.st.camera_off = false;
	v.st.volume = 70;
	hit = hit_of(ui, &v, "bar.vol-");
	panel_view_tap(&v, &hit, 3000, &act);
	assert_int_equal(act.type, PANEL_A_MEDIA);
	assert_int_equal(act.volume, 70 - PANEL_VOLUME_STEP);
	assert_true(act.mute && !act.camera_off);
	assert_int_equal(v.st.volume, 70); /* not until roomd says so */
	hit = hit_of(ui, &v, "bar.vol+");
	panel_view_tap(&v, &hit, 3000, &act);
	assert_int_equal(act.volume, 70 + PANEL_VOLUME_STEP);
	/* The level itself: speakers off, then back to where they were. */
	hit = hit_of(ui, &v, "bar.volume");
	panel_view_tap(&v, &hit, 3000, &act);
	assert_int_equal(act.type, PANEL_A_MEDIA);
	assert_int_equal(act.volume, 0);
	v.st.volume = 0;
	sync_view(ui, &v);
	assert_true(panel_ui_find(ui, "bar.vol-")->disabled);
	assert_string_equal(panel_ui_find(ui, "bar.volume")->text, "Speakers");
	assert_string_equal(panel_ui_find(ui, "bar.volume")->body, "OFF");
	assert_string_equal(panel_ui_find(ui, "bar.mic")->body, "MUTED"); /* a different word */
	hit = hit_of(ui, &v, "bar.volume");
	panel_view_tap(&v, &hit, 3000, &act);
	assert_int_equal(act.volume, 70);
	v.st.volume = 100;
	sync_view(ui, &v);
	assert_true(panel_ui_find(ui, "bar.vol+")->disabled);
	assert_string_equal(panel_ui_find(ui, "bar.volume")->body, "100 %");
	/* Layout: the screen's own, toggled at once (no daemon to confirm it). */
	assert_int_equal(v.layout, PANEL_L_GRID);
	hit = hit_of(ui, &v, "bar.layout");
	panel_view_tap(&v, &hit, 3000, &act);
	assert_int_equal(act.type, PANEL_A_LAYOUT);
	assert_int_equal(v.layout, PANEL_L_SPEAKER);
	sync_view(ui, &v);
	assert_string_equal(panel_ui_find(ui, "bar.layout")->body, "speaker");
	hit = hit_of(ui, &v, "bar.layout");
	panel_view_tap(&v, &hit, 3000, &act);
	assert_int_equal(v.layout, PANEL_L_GRID);
	v.st.muted = false;
	v.st.roomd_up = false;
	assert_int_equal(panel_ui_sync(ui, widgets, panel_view_widgets(&v, widgets, PANEL_UI_MAX_WIDGETS),
				       NULL),
			 0);
	assert_true(panel_ui_find(ui, "bar.mic")->disabled);
	v.st.roomd_up = true;
	/* A muted room says so for good once the bar hides (not over the tiles' labels). */
	v.page = PANEL_P_MEETING;
	v.st.muted = true;
	assert_true(panel_view_tick(&v, UINT64_MAX));
	assert_int_equal(panel_ui_sync(ui, widgets, panel_view_widgets(&v, widgets, PANEL_UI_MAX_WIDGETS),
				       NULL),
			 0);
	assert_non_null(panel_ui_find(ui, "muted"));
	assert_true(panel_ui_find(ui, "muted")->r.y + panel_ui_find(ui, "muted")->r.h <= 50);

	/* Join: 25 digits on the keypad become the meeting code's proquints. */
	build(&v, &screens[0], &m);
	hit = hit_of(ui, &v, "home.join");
	panel_view_tap(&v, &hit, 0, &act);
	assert_int_equal(v.page, PANEL_P_JOIN);
	for (const char *p = digits; *p; p++)
		tap_key(ui, &v, "join.keys", *p, &act);
	assert_int_equal(strlen(v.entry), PANEL_CODE_DIGITS); /* the 26th digit is not taken */
	tap_key(ui, &v, "join.keys", '<', &act);
	tap_key(ui, &v, "join.keys", '4', &act);
	tap_key(ui, &v, "join.keys", '>', &act);
	assert_int_equal(act.type, PANEL_A_JOIN);
	{
		char d[PANEL_CODE_DIGITS + 1], c[PANEL_CODE_SIZE];

		assert_int_equal(panel_code_to_digits(act.code, d), 0);
		assert_string_equal(d, "0000011111222223333344444");
		/* Proquints of 0, 11111, 22222, 33333, 44444 (computed by hand from the
		 * proquint table: consonants bdfghjklmnprstvz, vowels aiou). */
		assert_string_equal(act.code, "babab-fotol-jirav-mamuj-pukis");
		assert_int_equal(panel_code_from_digits("0000011111222223333399999", c), -EINVAL);
		assert_int_equal(panel_code_from_digits("00000", c), -EINVAL);
	}

	/* Settings: keyxchgd checks the PIN (check-pin); its yes opens them, and
	 * the reset asks first and carries the PIN. */
	build(&v, &screens[0], &m);
	hit = hit_of(ui, &v, "home.settings");
	panel_view_tap(&v, &hit, 0, &act);
	assert_int_equal(v.page, PANEL_P_PIN);
	for (const char *p = "24681>"; *p; p++)
		tap_key(ui, &v, "pin.keys", *p, &act);
	assert_int_equal(act.type, PANEL_A_NONE); /* 5 digits: not sent */
	assert_int_equal(v.page, PANEL_P_PIN);
	tap_key(ui, &v, "pin.keys", '3', &act);
	tap_key(ui, &v, "pin.keys", '>', &act);
	assert_int_equal(act.type, PANEL_A_CHECK_PIN);
	assert_string_equal(act.pin, "246813");
	assert_int_equal(v.page, PANEL_P_PIN); /* until keyxchgd answers */
	panel_view_pin_answer(&v, true, -1, NULL, 0);
	assert_int_equal(v.page, PANEL_P_SETTINGS);
	assert_string_equal(v.pin, "246813"); /* kept while Settings are open */
	hit = hit_of(ui, &v, "set.reset");
	panel_view_tap(&v, &hit, 0, &act);
	assert_int_equal(act.type, PANEL_A_NONE);
	assert_true(v.confirm_reset);
	assert_false(panel_ui_hit(ui, 5, 5, &hit)); /* the dialog takes every tap */
	hit = hit_of(ui, &v, "reset.confirm");
	panel_view_tap(&v, &hit, 0, &act);
	assert_int_equal(act.type, PANEL_A_RESET_IDENTITY);
	assert_string_equal(act.pin, "246813");
	/* Home then shows keyxchgd's new codeword; Settings closed, the PIN wiped. */
	assert_int_equal(v.page, PANEL_P_HOME);
	assert_string_equal(v.pin, "");

	/* Room name: the keyboard starts from the value set; erase, shift, Done. */
	v.page = PANEL_P_SETTINGS;
	snprintf(v.pin, sizeof(v.pin), "246813");
	snprintf(v.st.room_name, sizeof(v.st.room_name), "Ré");
	hit = hit_of(ui, &v, "set.room.edit");
	panel_view_tap(&v, &hit, 0, &act);
	assert_int_equal(v.page, PANEL_P_EDIT);
	assert_string_equal(v.edit, "Ré");
	for (const char *p = "<<^b ^x-2"; *p; p++)
		tap_board(ui, &v, *p, &act);
	assert_string_equal(v.edit, "B X-2");
	assert_int_equal(act.type, PANEL_A_NONE);
	tap_board(ui, &v, PANEL_KEY_OK, &act);
	assert_int_equal(act.type, PANEL_A_SET_ROOM_NAME);
	assert_string_equal(act.text, "B X-2");
	assert_string_equal(act.pin, "246813");
	assert_int_equal(v.page, PANEL_P_SETTINGS);
	/* The service: Cancel sends nothing; Done sends what was typed. */
	hit = hit_of(ui, &v, "set.service.edit");
	panel_view_tap(&v, &hit, 0, &act);
	assert_string_equal(v.edit, v.st.service);
	tap_board(ui, &v, 'z', &act);
	tap_board(ui, &v, PANEL_KEY_CANCEL, &act);
	assert_int_equal(act.type, PANEL_A_NONE);
	assert_int_equal(v.page, PANEL_P_SETTINGS);
	hit = hit_of(ui, &v, "set.service.edit");
	panel_view_tap(&v, &hit, 0, &act);
	while (v.edit[0])
		tap_board(ui, &v, PANEL_KEY_ERASE, &act);
	for (const char *p = "wss://h:1/p_q.r"; *p; p++)
		tap_board(ui, &v, *p, &act);
	tap_board(ui, &v, PANEL_KEY_OK, &act);
	assert_int_equal(act.type, PANEL_A_SET_SERVICE);
	assert_string_equal(act.text, "wss://h:1/p_q.r");
	assert_string_equal(act.pin, "246813");
	panel_view_clear(&v);
	assert_string_equal(v.pin, "");
	panel_ui_free(ui);
}

static bool apply(struct panel_state *st, const char *line, bool is_status)
{
	json_t *o = json_loads(line, 0, NULL);
	bool changed;

	assert_non_null(o);
	changed = panel_model_apply(st, o, is_status);
	json_decref(o);
	return changed;
}

/* A tap at now_us on the widget id (key for keypads), without geometry. */
static void tap_at(struct panel_view *v, const char *id, char key, uint64_t now_us,
		   struct panel_action *act)
{
	struct panel_hit hit = { .row = -1, .key = key };

	snprintf(hit.id, sizeof(hit.id), "%s", id);
	panel_view_tap(v, &hit, now_us, act);
}

static void type_pin_at(struct panel_view *v, const char *pin, uint64_t now_us,
			struct panel_action *act)
{
	for (const char *p = pin; *p; p++)
		tap_at(v, "pin.keys", *p, now_us, act);
}

/* The pin.title widget's text now. */
static const char *pin_title(const struct panel_view *v)
{
	static struct panel_widget w[PANEL_UI_MAX_WIDGETS];
	size_t n = panel_view_widgets(v, w, PANEL_UI_MAX_WIDGETS);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(w[i].id, "pin.title"))
			return w[i].text;
	return "(no pin.title)";
}

/* The admin PIN's guard, keyxchgd's now (docs/panel.md "The admin PIN"): OK
 * sends check-pin; keyxchgd's refusal and lockout show on the PIN page, and
 * during the lockout nothing is sent; its yes opens Settings with the PIN
 * kept for the settings' commands, wiped at Done, Cancel or 60 s without a
 * tap; an answer that comes after Cancel opens nothing. */
static void test_pin_guard(void **state)
{
	struct panel_metrics m;
	struct panel_action act;
	static struct panel_view v;
	const uint64_t s = 1000000, t0 = 1000 * s;

	(void)state;
	assert_int_equal(panel_metrics_init(&m, 1280, 720, 344, 194), 0);
	base(&v, &m);
	tap_at(&v, "home.settings", 0, t0, &act);
	assert_int_equal(v.page, PANEL_P_PIN);
	/* Fewer than 6 digits: not sent. */
	type_pin_at(&v, "12345>", t0 + 1, &act);
	assert_int_equal(act.type, PANEL_A_NONE);
	assert_string_equal(v.notice, "The admin PIN is 6 to 12 digits.");
	tap_at(&v, "pin.keys", '<', t0 + 1, &act);
	while (v.pin[0])
		tap_at(&v, "pin.keys", '<', t0 + 1, &act);
	/* A wrong PIN: sent, keyxchgd says so, the PIN wiped. */
	type_pin_at(&v, "111111>", t0 + 1, &act);
	assert_int_equal(act.type, PANEL_A_CHECK_PIN);
	assert_string_equal(act.pin, "111111");
	assert_true(v.pin_checking);
	type_pin_at(&v, "9>", t0 + 1, &act); /* while keyxchgd checks: nothing typed or sent */
	assert_int_equal(act.type, PANEL_A_NONE);
	assert_string_equal(v.pin, "111111");
	panel_view_pin_answer(&v, false, -1, "wrong PIN: 2 more before a lockout", t0 + 1);
	assert_int_equal(v.page, PANEL_P_PIN);
	assert_true(v.pin_wrong);
	assert_string_equal(v.pin, "");
	assert_string_equal(v.notice, "wrong PIN: 2 more before a lockout");
	assert_string_equal(pin_title(&v), "Wrong PIN");
	/* keyxchgd's lockout: the page shows it, and nothing is sent during it. */
	type_pin_at(&v, "111111>", t0 + 2, &act);
	assert_int_equal(act.type, PANEL_A_CHECK_PIN);
	panel_view_pin_answer(&v, false, 30000, "wrong PIN: locked for 30000 ms", t0 + 2);
	assert_int_equal(v.pin_locked_s, 30);
	assert_string_equal(pin_title(&v), "Wrong PIN: locked 30 s");
	type_pin_at(&v, "246813>", t0 + 10 * s, &act);
	assert_int_equal(act.type, PANEL_A_NONE);
	assert_string_equal(v.pin, "");
	assert_string_equal(v.notice, "Too many wrong PINs: try again in 21 s.");
	assert_int_equal(panel_view_deadline(&v), t0 + 2 + 30 * s);
	assert_true(panel_view_tick(&v, t0 + 2 + 30 * s));
	assert_int_equal(v.pin_locked_s, 0);
	assert_string_equal(pin_title(&v), "Wrong PIN");
	/* keyxchgd restarted meanwhile: its lockout (not the panel's clock) holds. */
	type_pin_at(&v, "246813>", t0 + 31 * s, &act);
	assert_int_equal(act.type, PANEL_A_CHECK_PIN);
	panel_view_pin_answer(&v, false, 29001, "too many wrong PINs: try again in 29001 ms",
			      t0 + 31 * s);
	assert_int_equal(v.pin_locked_s, 30);
	assert_string_equal(v.pin, "");
	/* No verifier on keyxchgd: its words, no "Wrong PIN". */
	tap_at(&v, "home.settings", 0, t0 + 61 * s, &act);
	type_pin_at(&v, "246813>", t0 + 61 * s, &act);
	panel_view_pin_answer(&v, false, -1, "no admin PIN is set: settings are locked",
			      t0 + 61 * s);
	assert_false(v.pin_wrong);
	assert_string_equal(v.notice, "no admin PIN is set: settings are locked");
	assert_int_equal(v.page, PANEL_P_PIN);
	/* An answer after Cancel opens nothing. */
	type_pin_at(&v, "246813>", t0 + 62 * s, &act);
	assert_int_equal(act.type, PANEL_A_CHECK_PIN);
	tap_at(&v, "pin.cancel", 0, t0 + 62 * s, &act);
	assert_string_equal(v.pin, "");
	panel_view_pin_answer(&v, true, -1, NULL, t0 + 62 * s);
	assert_int_equal(v.page, PANEL_P_HOME);
	assert_string_equal(v.pin, "");
	/* The right one: Settings, the PIN kept for each setting, wiped at Done. */
	tap_at(&v, "home.settings", 0, t0 + 63 * s, &act);
	type_pin_at(&v, "246813>", t0 + 63 * s, &act);
	panel_view_pin_answer(&v, true, -1, NULL, t0 + 63 * s);
	assert_int_equal(v.page, PANEL_P_SETTINGS);
	assert_string_equal(v.pin, "246813");
	tap_at(&v, "set.done", 0, t0 + 64 * s, &act);
	assert_int_equal(v.page, PANEL_P_HOME);
	assert_string_equal(v.pin, "");
	/* keyxchgd refuses the PIN Settings hold (changed meanwhile): they close. */
	tap_at(&v, "home.settings", 0, t0 + 65 * s, &act);
	type_pin_at(&v, "246813>", t0 + 65 * s, &act);
	panel_view_pin_answer(&v, true, -1, NULL, t0 + 65 * s);
	assert_int_equal(v.page, PANEL_P_SETTINGS);
	panel_view_pin_refused(&v, "wrong PIN: 2 more before a lockout");
	assert_int_equal(v.page, PANEL_P_HOME);
	assert_string_equal(v.pin, "");
	assert_string_equal(v.notice, "Settings locked: wrong PIN: 2 more before a lockout");
	/* 60 s without a tap: Settings lock again (tick), the keyboard and the PIN too. */
	tap_at(&v, "home.settings", 0, t0 + 50000 * s, &act);
	type_pin_at(&v, "246813>", t0 + 50000 * s, &act);
	panel_view_pin_answer(&v, true, -1, NULL, t0 + 50000 * s);
	tap_at(&v, "set.room.edit", 0, t0 + 50010 * s, &act);
	assert_int_equal(v.page, PANEL_P_EDIT);
	assert_false(panel_view_tick(&v, t0 + 50069 * s));
	assert_int_equal(panel_view_deadline(&v), t0 + 50070 * s);
	assert_true(panel_view_tick(&v, t0 + 50070 * s));
	assert_int_equal(v.page, PANEL_P_HOME);
	assert_string_equal(v.edit, "");
	assert_string_equal(v.pin, "");
	assert_string_equal(v.notice, "Settings locked again: 60 s without a tap.");
	/* A tap after the idle time (no tick came) finds Settings locked, not the key. */
	tap_at(&v, "home.settings", 0, t0 + 60000 * s, &act);
	type_pin_at(&v, "246813>", t0 + 60000 * s, &act);
	panel_view_pin_answer(&v, true, -1, NULL, t0 + 60000 * s);
	assert_int_equal(v.page, PANEL_P_SETTINGS);
	tap_at(&v, "set.reset", 0, t0 + 60061 * s, &act);
	assert_int_equal(v.page, PANEL_P_HOME);
	assert_false(v.confirm_reset);
	assert_int_equal(act.type, PANEL_A_NONE);
	assert_string_equal(v.pin, "");
	panel_view_clear(&v);
}

static void test_model(void **state)
{
	struct panel_state st = { .kx_up = true };
	char k2[80];

	(void)state;
	/* Idle: own codeword (shown as labels show it), the relay not in use yet. */
	assert_true(apply(&st, "{\"ok\":true,\"state\":\"idle\",\"codeword\":\"mavoj-pubip-gubad-gamiv\","
			       "\"host\":false,\"relay\":\"down\"}", true));
	assert_int_equal(st.meeting, PANEL_M_IDLE);
	assert_string_equal(st.own_codeword, CW_SELF);
	assert_int_equal(st.relay, PANEL_R_UNKNOWN);
	/* A refused status changes nothing. */
	assert_false(apply(&st, "{\"ok\":false,\"state\":\"in-meeting\"}", true));
	/* Hosting: the roster makes people (self marked, trust from pinned and verified). */
	assert_true(apply(&st, "{\"event\":\"state\",\"state\":\"in-meeting\"}", false));
	assert_true(apply(&st, "{\"event\":\"roster\",\"group_code\":\"zadib-nopuv-rigal-sofut\","
			       "\"participants\":[{\"participant\":0,\"codeword\":\"mavoj-pubip-gubad-gamiv\","
			       "\"role\":\"host\",\"pinned\":\"self\",\"self\":true},"
			       "{\"participant\":1,\"codeword\":\"lusab-babad-gutih-tugad\",\"name\":\"Lab\","
			       "\"pinned\":\"same\",\"verified\":true},"
			       "{\"participant\":2,\"codeword\":\"hidoz-vikag-sabom-lonus\",\"pinned\":\"changed\","
			       "\"verified\":true},"
			       "{\"participant\":3,\"codeword\":\"junk\"}]}", false));
	assert_int_equal(st.n_people, 3); /* the junk codeword left out */
	assert_true(st.host && st.people[0].self);
	assert_int_equal(st.people[1].trust, PANEL_T_VERIFIED);
	assert_string_equal(st.people[1].name, "Lab");
	assert_int_equal(st.people[2].trust, PANEL_T_CHANGED); /* verified before, not this key */
	assert_string_equal(st.group_code, GROUP);
	/* Knocks: auto-admitted ones never asked; a second knock of one participant
	 * replaces the first (Admit names the new one); a bad hash is left out. */
	snprintf(k2, sizeof(k2), "%.63s0", KNOCK);
	assert_false(apply(&st, "{\"event\":\"knock\",\"participant\":4,\"knock\":\"5d41402abc4b2a76b9719d911017c592aa5d41402abc4b2a76b9719d911017c5\","
				"\"codeword\":\"fojup-hafir-kisuz-mitom\",\"auto\":true}", false));
	assert_true(apply(&st, "{\"event\":\"knock\",\"participant\":4,\"knock\":\"5d41402abc4b2a76b9719d911017c592aa5d41402abc4b2a76b9719d911017c5\","
			       "\"name\":\"Huddle\",\"codeword\":\"fojup-hafir-kisuz-mitom\",\"pinned\":\"changed\"}", false));
	assert_int_equal(st.n_knocks, 1);
	assert_int_equal(st.knocks[0].trust, PANEL_T_CHANGED);
	assert_true(apply(&st, "{\"event\":\"knock\",\"participant\":4,\"knock\":\"5d41402abc4b2a76b9719d911017c592aa5d41402abc4b2a76b9719d911017c0\","
			       "\"name\":\"Huddle\",\"codeword\":\"\",\"pinned\":\"new\"}", false));
	assert_int_equal(st.n_knocks, 1);
	assert_string_equal(st.knocks[0].knock, k2);
	assert_string_equal(st.knocks[0].codeword, ""); /* being derived: Admit stays off */
	assert_false(apply(&st, "{\"event\":\"knock\",\"participant\":5,\"knock\":\"XYZ\"}", false));
	/* Admitted: in the roster, so the dialog goes. */
	assert_true(apply(&st, "{\"event\":\"roster\",\"participants\":[{\"participant\":4,"
			       "\"codeword\":\"fojup-hafir-kisuz-mitom\",\"pinned\":\"new\"}]}", false));
	assert_int_equal(st.n_knocks, 0);
	assert_string_equal(st.group_code, ""); /* no group_code in that roster: not held */
	/* A roster naming one participant twice (two codewords for participant 1):
	 * neither is picked, no one is shown, the card says why and the claim
	 * goes; the Participants page is still drawn (its widgets are named by
	 * participant: a twice-named one had made the page refused, the screen
	 * frozen on what it showed before; the fuzzer found it). The next roster
	 * it can read is shown again. */
	{
		struct panel_metrics m;
		struct panel_ui *ui;
		struct panel_view v;
		struct panel_widget w[PANEL_UI_MAX_WIDGETS];
		char title[PANEL_UI_TEXT_MAX], body[PANEL_UI_BODY_MAX];
		const char *bad = NULL;
		size_t n;
		static const char twice[] =
			"{\"event\":\"roster\",\"group_code\":\"zadib-nopuv-rigal-sofut\","
			"\"participants\":[{\"participant\":0,\"codeword\":\"mavoj-pubip-gubad-gamiv\","
			"\"role\":\"member\",\"self\":true},"
			"{\"participant\":1,\"codeword\":\"lusab-babad-gutih-tugad\"},"
			"{\"participant\":1,\"codeword\":\"hidoz-vikag-sabom-lonus\"}]}";

		assert_int_equal(panel_metrics_init(&m, 1280, 720, 344, 194), 0);
		assert_int_equal(panel_ui_new(&m, &ui), 0);
		panel_view_init(&v, &m);
		v.st = st;
		assert_true(apply(&v.st, twice, false));
		assert_true(v.st.roster_refused && v.st.n_people == 0);
		/* Nothing of it taken: not its self entry's role, not its group code. */
		assert_true(v.st.host && !v.st.group_code[0]);
		assert_true(panel_view_card(&v, title, body));
		assert_string_equal(title, "Participants not shown");
		assert_false(panel_view_e2ee(&v));
		v.page = PANEL_P_PARTICIPANTS;
		n = panel_view_widgets(&v, w, PANEL_UI_MAX_WIDGETS);
		assert_int_equal(panel_ui_sync(ui, w, n, &bad), 0);
		assert_true(apply(&v.st, "{\"event\":\"roster\",\"group_code\":\"zadib-nopuv-rigal-sofut\","
					 "\"participants\":[{\"participant\":1,\"codeword\":"
					 "\"lusab-babad-gutih-tugad\"},{\"participant\":2,\"codeword\":"
					 "\"hidoz-vikag-sabom-lonus\"}]}", false));
		assert_true(!v.st.roster_refused && v.st.n_people == 2);
		assert_false(panel_view_card(&v, title, body) && !strcmp(title, "Participants not shown"));
		n = panel_view_widgets(&v, w, PANEL_UI_MAX_WIDGETS);
		assert_int_equal(panel_ui_sync(ui, w, n, &bad), 0);
		/* Twice again, then the meeting ends: nothing of the refusal stays;
		 * a late roster after the end does not reach the next meeting. */
		assert_true(apply(&v.st, twice, false));
		assert_true(apply(&v.st, "{\"event\":\"state\",\"state\":\"ended\"}", false));
		assert_false(v.st.roster_refused);
		assert_false(apply(&v.st, twice, false));
		/* Nor does a late readable one, or its group code (the next meeting
		 * would have claimed E2EE with it). */
		assert_false(apply(&v.st, "{\"event\":\"roster\",\"group_code\":"
					  "\"zadib-nopuv-rigal-sofut\",\"participants\":[{"
					  "\"participant\":1,\"codeword\":\"lusab-babad-gutih-tugad\"}]}",
				   false));
		assert_false(apply(&v.st, "{\"event\":\"group-code\",\"code\":"
					  "\"zadib-nopuv-rigal-sofut\"}", false));
		assert_true(apply(&v.st, "{\"event\":\"state\",\"state\":\"lobby\"}", false));
		assert_true(!v.st.roster_refused && !v.st.n_people && !v.st.group_code[0]);
		assert_true(panel_view_card(&v, title, body));
		assert_string_equal(title, "Waiting for the host to admit this room");
		/* A notice (keyxchgd's error text) cut inside a character at its
		 * buffer's size: the cut character goes, the page is still drawn. */
		memset(v.notice, 'a', sizeof(v.notice));
		memcpy(v.notice + sizeof(v.notice) - 2, "\xc3", 1);
		v.notice[sizeof(v.notice) - 1] = '\0';
		v.page = PANEL_P_HOME;
		n = panel_view_widgets(&v, w, PANEL_UI_MAX_WIDGETS);
		assert_int_equal(panel_ui_sync(ui, w, n, &bad), 0);
		panel_ui_free(ui);
	}
	/* keyxchgd's sync (PROTOCOL.md 6.6): a warning is no longer read as out of sync. */
	assert_false(apply(&st, "{\"event\":\"warning\",\"text\":\"a roster was rejected\"}", false));
	assert_int_equal(st.sync, PANEL_SYNC_OK);
	assert_true(apply(&st, "{\"event\":\"sync\",\"sync\":\"out-of-sync\",\"reason\":"
			       "\"no heartbeat of the host for 15 s\\nEnd-to-end encrypted\",\"epoch\":3}",
			  false));
	assert_int_equal(st.sync, PANEL_SYNC_OUT);
	/* One line: a control character is a space, so no line of it reads as the claim. */
	assert_string_equal(st.sync_reason, "no heartbeat of the host for 15 s End-to-end encrypted");
	assert_true(apply(&st, "{\"event\":\"sync\",\"sync\":\"in-sync\",\"reason\":\"\",\"epoch\":3}",
			  false));
	assert_true(st.sync == PANEL_SYNC_OK && !st.sync_reason[0]);
	assert_true(apply(&st, "{\"event\":\"sync\",\"sync\":\"split\",\"reason\":\"two rosters "
			       "for epoch 4\",\"epoch\":4}", false));
	assert_int_equal(st.sync, PANEL_SYNC_SPLIT);
	/* A sync value it does not know: not sending (fail closed), said so. */
	assert_true(apply(&st, "{\"event\":\"sync\",\"sync\":\"ok\",\"epoch\":4}", false));
	assert_true(st.sync == PANEL_SYNC_OUT && strstr(st.sync_reason, "does not know"));
	/* Status carries it too: sync and sync_reason; without them, in sync. */
	assert_true(apply(&st, "{\"ok\":true,\"state\":\"in-meeting\",\"sync\":\"out-of-sync\","
			       "\"sync_reason\":\"a heartbeat names epoch 9\"}", true));
	assert_true(st.sync == PANEL_SYNC_OUT && !strcmp(st.sync_reason, "a heartbeat names epoch 9"));
	assert_true(apply(&st, "{\"ok\":true,\"state\":\"in-meeting\",\"sync\":\"in-sync\"}", true));
	assert_int_equal(st.sync, PANEL_SYNC_OK);
	assert_true(apply(&st, "{\"event\":\"sync\",\"sync\":\"out-of-sync\",\"reason\":\"x\"}", false));
	/* The meeting ends: nothing of it stays; keyxchgd lost: not even the state. */
	assert_true(apply(&st, "{\"event\":\"state\",\"state\":\"ended\"}", false));
	assert_int_equal(st.meeting, PANEL_M_ENDED);
	assert_true(st.n_people == 0 && st.sync == PANEL_SYNC_OK && !st.group_code[0]);
	/* Outside a meeting a sync event changes nothing. */
	assert_false(apply(&st, "{\"event\":\"sync\",\"sync\":\"out-of-sync\",\"reason\":\"x\"}", false));
	assert_true(apply(&st, "{\"event\":\"state\",\"state\":\"equivocation\"}", false));
	assert_int_equal(st.meeting, PANEL_M_SPLIT);
	panel_model_lost(&st);
	assert_true(!st.kx_up && st.meeting == PANEL_M_IDLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goldens),
		cmocka_unit_test(test_other_boards),
		cmocka_unit_test(test_taps),
		cmocka_unit_test(test_pin_guard),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
