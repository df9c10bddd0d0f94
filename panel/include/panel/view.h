/* SPDX-License-Identifier: MIT */
/*
 * panel_view: the touch panel's screens (docs/panel.md) as a pure function
 * of what keyxchgd reports (struct panel_state, filled by panel_model from
 * its control socket's status and events) and of what people tapped, with
 * no I/O and no clock of its own (times are the caller's, in microseconds):
 * the golden-image tests render every screen from a fixed state.
 *
 *   Home          room name, this room's codeword, the meeting service's
 *                 state, Start meeting, Join (meeting code on a keypad),
 *                 Settings (behind the admin PIN)
 *   Meeting       the in-meeting bar: appears on a tap, hides after
 *                 PANEL_BAR_US; a muted room says so for good in a corner
 *                 (the bar would hide the codeword labels under the tiles)
 *   Participants  codeword, name, trust of each; Verify; Remove (host)
 *   Security      E2EE state, group security code, this room's and the
 *                 host's codewords, what this meeting never has
 *   PIN, Settings (panel/settings.c: keyxchgd checks the PIN) service address, room name (each changed on an
 *                 on-screen keyboard, keyxchgd's refusal shown), identity
 *                 reset (a confirmation that says what it breaks)
 *   Lobby         a modal dialog over any screen of the host: the knock's
 *                 name, codeword and pin state; Admit sends exactly the
 *                 knock shown (its hash), Deny
 *   Status        the states people must see (waiting for keys, out of
 *                 sync, meeting split, key changed, service unreachable)
 *                 as a card on every screen; "End-to-end encrypted" only
 *                 when none of them holds (panel_view_e2ee)
 *
 * Taps become actions (struct panel_action) the caller sends to keyxchgd.
 * Call order: panel_view_init, then any number of the others; one thread.
 */
#ifndef PANEL_VIEW_H
#define PANEL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2ee/codeword.h"
#include "panel/ui.h"

#define PANEL_BAR_US 5000000u
/* A lobby dialog whose knock changed takes no Admit for this long: a tap meant for
 * what was shown must not admit what replaced it under the finger. */
#define PANEL_KNOCK_SETTLE_US 1000000u
#define PANEL_MAX_PEOPLE 16u
#define PANEL_MAX_KNOCKS 8u
#define PANEL_NAME_MAX 65u /* PROTOCOL.md's 64 bytes and the NUL */
#define PANEL_KNOCK_HEX 65u
/* The meeting code on the keypad: each of its 5 proquints as 5 decimal digits. */
#define PANEL_CODE_DIGITS 25u
#define PANEL_CODE_SIZE (5 * 6) /* "babid-famug-zudav-huhus-zizum" and the NUL */
/* The admin PIN: 6 to 12 digits (keyxchgd checks it and counts the wrong
 * ones: keyxchg/CONTROL.md "The admin PIN"). */
#define PANEL_PIN_MAX 12u
#define PANEL_PIN_MIN 6u
/* Settings, the PIN keypad and the keyboard lock again after this long without a tap. */
#define PANEL_SETTINGS_IDLE_US 60000000ull
/* A setting typed on the keyboard: keyxchgd's bounds (CONTROL.md). */
#define PANEL_SETTING_MAX 128u
#define PANEL_ROOM_NAME_MAX 64u

enum panel_meeting {
	PANEL_M_IDLE = 0,
	PANEL_M_LOBBY,  /* knocked, waiting for the host */
	PANEL_M_IN,     /* in the meeting */
	PANEL_M_LEFT,
	PANEL_M_DENIED,
	PANEL_M_ENDED,
	PANEL_M_SPLIT, /* keyxchgd's "equivocation": two hosts seen, this room stopped */
};

enum panel_relay { PANEL_R_UNKNOWN = 0, PANEL_R_OPEN, PANEL_R_CONNECTING, PANEL_R_DOWN };

/* keyxchgd's sync (CONTROL.md's sync event and status field; PROTOCOL.md 6.6, 6.7). */
enum panel_sync {
	PANEL_SYNC_OK = 0, /* "in-sync" (or not in a meeting): the room sends */
	PANEL_SYNC_OUT,    /* "out-of-sync": this room stopped sending (the reason says why) */
	PANEL_SYNC_SPLIT,  /* "split": the meeting split; this room stopped sending */
};
/* keyxchgd's reason, as the card shows it (longer ones cut at a character). */
#define PANEL_REASON_MAX 161u

enum panel_trust {
	PANEL_T_NEW = 0,  /* never seen before this meeting */
	PANEL_T_SAME,     /* pinned earlier, not compared now */
	PANEL_T_VERIFIED, /* the people compared its codeword */
	PANEL_T_CHANGED,  /* a key other than the one pinned for that device */
};

struct panel_person {
	uint32_t id;
	char codeword[E2EE_CODEWORD_SIZE];
	char name[PANEL_NAME_MAX];
	enum panel_trust trust;
	bool self, host;
};

struct panel_knock {
	uint32_t participant;
	char knock[PANEL_KNOCK_HEX]; /* H(announce), what admit names */
	char name[PANEL_NAME_MAX];
	char codeword[E2EE_CODEWORD_SIZE];
	enum panel_trust trust; /* NEW, SAME or CHANGED */
	bool barred;            /* removed from this meeting before */
};

/* What keyxchgd says now (panel_model keeps it). */
struct panel_state {
	char room_name[PANEL_NAME_MAX];
	char service[PANEL_SETTING_MAX + 1]; /* the meeting service's address (keyxchgd's) */
	char own_codeword[E2EE_CODEWORD_SIZE];
	bool kx_up; /* the control socket is connected and subscribed */
	enum panel_relay relay;
	enum panel_meeting meeting;
	bool host;
	char meeting_code[PANEL_CODE_SIZE];
	char group_code[E2EE_CODEWORD_SIZE]; /* "" until the epoch's secret is held */
	char host_codeword[E2EE_CODEWORD_SIZE];
	struct panel_person people[PANEL_MAX_PEOPLE];
	size_t n_people;
	bool roster_refused; /* keyxchgd's last roster named a participant twice: none shown */
	struct panel_knock knocks[PANEL_MAX_KNOCKS]; /* the host's lobby, oldest first */
	size_t n_knocks;
	enum panel_sync sync;                /* keyxchgd's word: whether this room sends */
	char sync_reason[PANEL_REASON_MAX]; /* its reason ("" in sync); no control characters */
	/* roomd, over the frame socket: connected, and what it applied (MEDIA_STATE). */
	bool roomd_up;
	bool muted;      /* the microphone, as roomd confirms it */
	bool camera_off; /* the camera, as roomd confirms it */
	uint32_t volume; /* the speakers, 0 (muted) .. 100 %, as roomd confirms it */
	/* Senders whose video this screen shows now (the frame socket's word). */
	uint32_t video[PANEL_MAX_PEOPLE];
	size_t n_video;
};

enum panel_page {
	PANEL_P_HOME = 0,
	PANEL_P_JOIN,
	PANEL_P_MEETING,
	PANEL_P_PARTICIPANTS,
	PANEL_P_SECURITY,
	PANEL_P_PIN,
	PANEL_P_SETTINGS,
	PANEL_P_EDIT, /* a setting on the keyboard (behind the PIN, like Settings) */
};

/* What the Settings' keyboard edits. */
enum panel_edit { PANEL_EDIT_ROOM_NAME = 0, PANEL_EDIT_SERVICE };

enum panel_action_type {
	PANEL_A_NONE = 0,
	PANEL_A_HOST,   /* join as host */
	PANEL_A_JOIN,   /* join as member with code */
	PANEL_A_ADMIT,  /* participant and knock: exactly the knock shown */
	PANEL_A_DENY,
	PANEL_A_VERIFY,
	PANEL_A_REMOVE,
	PANEL_A_LEAVE,
	PANEL_A_END,
	PANEL_A_RESET_IDENTITY,
	PANEL_A_MEDIA, /* to roomd (MEDIA), not keyxchgd: mute, camera_off, volume as wanted */
	PANEL_A_SET_ROOM_NAME, /* text */
	PANEL_A_SET_SERVICE,   /* text */
	PANEL_A_LAYOUT, /* the screen's own: the tiles are laid out again (layout, speaker) */
	PANEL_A_CHECK_PIN, /* pin: keyxchgd's check-pin; its answer: panel_view_pin_answer */
};

/* How the screen lays out the tiles (the screen's own choice, docs/panel.md). */
enum panel_layout {
	PANEL_L_GRID = 0, /* every tile the same size */
	PANEL_L_SPEAKER,  /* one tile large, the others in a strip under it */
};

/* The in-meeting bar's height at the bottom of the screen (the speaker layout keeps clear of it). */
#define PANEL_BAR_MM 26.0
/* A tap on − or + moves the speakers' volume by this many percent. */
#define PANEL_VOLUME_STEP 10u
#define PANEL_VOLUME_MAX 100u

struct panel_action {
	enum panel_action_type type;
	uint32_t participant;
	char knock[PANEL_KNOCK_HEX];
	char code[PANEL_CODE_SIZE];
	bool mute, camera_off;
	char text[PANEL_SETTING_MAX + 1]; /* a setting's new value */
	uint32_t volume; /* PANEL_A_MEDIA: 0..PANEL_VOLUME_MAX */
	/* The admin PIN (CHECK_PIN and the settings' actions): a secret; whoever
	 * gets the action wipes it (sodium_memzero) once the request went. */
	char pin[PANEL_PIN_MAX + 1];
};

struct panel_view {
	struct panel_metrics m;
	struct panel_state st;
	enum panel_page page;
	bool bar;
	uint64_t bar_until_us;
	uint64_t bar_us; /* how long the bar stays after a tap: PANEL_BAR_US unless set */
	char entry[PANEL_CODE_DIGITS + 1]; /* the keypad's digits */
	/* The PIN being typed; while Settings are open, the one keyxchgd took
	 * (each setting carries it). Wiped when they close (settings.c). */
	char pin[PANEL_PIN_MAX + 1];
	bool pin_checking;             /* check-pin sent, keyxchgd's answer to come */
	bool pin_wrong;
	uint64_t pin_locked_until_us;  /* keyxchgd's lockout: no PIN sent before this */
	uint64_t pin_locked_s;         /* that lockout as the page shows it */
	uint64_t last_tap_us;          /* Settings relock PANEL_SETTINGS_IDLE_US after it */
	bool confirm_reset;
	enum panel_edit editing;              /* PANEL_P_EDIT: which setting */
	char edit[PANEL_SETTING_MAX + 1];     /* what the keyboard typed */
	bool shift;
	struct panel_knock knock_shown; /* what the lobby dialog shows, and since when */
	uint64_t knock_since_us;
	char notice[PANEL_UI_TEXT_MAX]; /* one line: what the last action did or why not */
	enum panel_layout layout;       /* the tiles' layout (the bar's Layout toggles it) */
	uint32_t speaker;               /* PANEL_L_SPEAKER: the large tile's id (a tap on a tile) */
	bool have_speaker;              /* false: the first tile is the large one */
	uint32_t volume_before;         /* the level before the speakers went off (0: none) */
	/* The codeword labels on the screen now, where they are without the bar and
	 * while it shows (the caller's, from panel_screen): the meeting page's state
	 * card goes where it covers none. */
	struct panel_rect labels[PANEL_MAX_PEOPLE], labels_bar[PANEL_MAX_PEOPLE];
	size_t n_labels;
};

/* An idle view on the metrics' screen. */
__attribute__((nonnull)) void panel_view_init(struct panel_view *v, const struct panel_metrics *m);
/* Closes Settings and wipes the PIN. */
__attribute__((nonnull)) void panel_view_clear(struct panel_view *v);

/*
 * After the state changed: follows the meeting (Home outside it, Meeting
 * once in; a page of the meeting goes when the meeting does).
 */
__attribute__((nonnull)) void panel_view_follow(struct panel_view *v, uint64_t now_us);

/* The widgets of the page as it is now; returns how many (at most max). */
__attribute__((nonnull)) size_t panel_view_widgets(const struct panel_view *v,
						   struct panel_widget *out, size_t max);

/*
 * A tap: hit is what it hit (NULL: nothing tappable there). Returns the
 * action to send (PANEL_A_NONE for most taps) in *act.
 */
__attribute__((nonnull(1, 4))) void panel_view_tap(struct panel_view *v, const struct panel_hit *hit,
						   uint64_t now_us, struct panel_action *act);

/*
 * keyxchgd's answer to check-pin (panel/settings.c): ok opens Settings with
 * the PIN kept for the settings' commands; else the PIN is wiped, and error
 * (keyxchgd's words) and locked_ms (its lockout, -1: none said) show on the
 * PIN page. An answer nobody waits for (Cancel, relocked) only wipes.
 */
__attribute__((nonnull(1))) void panel_view_pin_answer(struct panel_view *v, bool ok,
						       long long locked_ms, const char *error,
						       uint64_t now_us);

/* keyxchgd refused a setting's PIN (its error, e.g. "wrong PIN: ..."): Settings
 * close, the PIN is wiped, the notice says why. */
__attribute__((nonnull)) void panel_view_pin_refused(struct panel_view *v, const char *error);

/* Time passes: the bar hides, a PIN lockout ends, Settings idle for
 * PANEL_SETTINGS_IDLE_US lock again. Returns true when the page changed. */
__attribute__((nonnull)) bool panel_view_tick(struct panel_view *v, uint64_t now_us);
/* When panel_view_tick next has something to do (0: never). */
__attribute__((nonnull)) uint64_t panel_view_deadline(const struct panel_view *v);

/* The state card shown now (docs/panel.md "States people must see"): true and its
 * title and body, or false for none. */
__attribute__((nonnull)) bool panel_view_card(const struct panel_view *v,
					      char title[static PANEL_UI_TEXT_MAX],
					      char body[static PANEL_UI_BODY_MAX]);

/* Whether the screen may say "End-to-end encrypted": in a meeting, keyxchgd
 * reachable, the epoch's secret held, and no failure state. */
__attribute__((nonnull)) bool panel_view_e2ee(const struct panel_view *v);

/*
 * The meeting code from the keypad's 25 digits (5 groups of 5, each 0..65535,
 * one proquint each). Returns 0 and out, or -EINVAL.
 */
__attribute__((warn_unused_result, nonnull)) int
panel_code_from_digits(const char *digits, char out[static PANEL_CODE_SIZE]);
/* The other way: a meeting code as the 25 digits to type (for showing it). */
__attribute__((warn_unused_result, nonnull)) int
panel_code_to_digits(const char *code, char out[static PANEL_CODE_DIGITS + 1]);

const char *panel_page_name(enum panel_page p);

#endif
