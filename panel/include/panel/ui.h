/* SPDX-License-Identifier: MIT */
/*
 * panel_ui: the touch panel's small retained widget set on Cairo and Pango,
 * no toolkit. Widgets: label, button, toggle, list, modal dialog, numeric
 * keypad, text keyboard, and plain boxes. Sizes are in millimetres of the board's screen
 * (panel_metrics: board screen_width_mm / screen_height_mm), so a tap target
 * is as large under a finger on a 15" panel as on a 65" one.
 *
 * Retained and damage-tracked: the caller describes the whole panel as it
 * should be now (panel_ui_sync with an array of widgets, each with a stable
 * id); the set keeps the widgets it has and compares: only what was added,
 * removed, moved or changed is damaged, and panel_ui_render redraws only the
 * damaged rectangles of the panel's own ARGB32 image (Cairo's premultiplied
 * CAIRO_FORMAT_ARGB32 = DRM_FORMAT_ARGB8888 on little-endian: the top overlay
 * plane's buffer, transparent where no widget is, so video shows through).
 *
 * Tap targets: every widget a finger can hit (button, toggle, each key of a
 * keypad, each row of a tappable list) is at least PANEL_TAP_MIN_MM in both
 * directions; panel_ui_sync refuses a set that breaks it, naming the widget.
 *
 * Hit testing: the widget under a point, topmost first; while a modal dialog
 * is in the set only widgets of the modal layer (the dialog and what is on
 * it) can be hit, a tap elsewhere hits nothing.
 *
 * Fonts are pinned (DejaVu Sans and DejaVu Sans Bold from fonts-dejavu-core
 * in a private fontconfig configuration, grayscale antialiasing, slight
 * hinting), so a rendering is the same on every machine: the golden-image
 * tests rely on it.
 *
 * Call order: panel_metrics_init, panel_ui_new, then any number of
 * panel_ui_sync / panel_ui_render / panel_ui_hit, panel_ui_free. One thread
 * at a time.
 */
#ifndef PANEL_UI_H
#define PANEL_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PANEL_TAP_MIN_MM 12.0
#define PANEL_UI_MAX_WIDGETS 96u
#define PANEL_UI_ID_MAX 32u    /* with the NUL */
#define PANEL_UI_TEXT_MAX 160u /* bytes of UTF-8, with the NUL */
#define PANEL_UI_BODY_MAX 512u
#define PANEL_UI_MAX_DAMAGE 16u
/* Physical screen sizes the layout accepts. */
#define PANEL_MM_MIN 20u
#define PANEL_MM_MAX 5000u

/* Pixels per millimetre of a screen. */
struct panel_metrics {
	uint32_t width, height;       /* pixels */
	uint32_t width_mm, height_mm; /* the board's physical size */
	double px_per_mm;             /* the smaller of the two axes' */
};

/*
 * A width x height pixel screen that is width_mm x height_mm. Returns 0, or
 * -EINVAL for a size out of range or pixels more than 10 % from square (a
 * board file with swapped or wrong sizes).
 */
__attribute__((warn_unused_result, nonnull)) int
panel_metrics_init(struct panel_metrics *m, uint32_t width, uint32_t height, uint32_t width_mm,
		   uint32_t height_mm);
/* mm in pixels, rounded up: a size given in mm is never smaller on screen. */
__attribute__((nonnull)) int32_t panel_mm(const struct panel_metrics *m, double mm);

struct panel_rect {
	int32_t x, y, w, h; /* pixels */
};

bool panel_rect_contains(const struct panel_rect *r, int32_t x, int32_t y);
bool panel_rect_intersects(const struct panel_rect *a, const struct panel_rect *b);
/* The smallest rectangle holding both (an empty one, w or h <= 0, is ignored). */
struct panel_rect panel_rect_union(const struct panel_rect *a, const struct panel_rect *b);

enum panel_kind {
	PANEL_W_BOX = 1, /* a filled rounded box (a bar's or card's backing) */
	PANEL_W_LABEL,   /* text, and an optional second, smaller line (body) */
	PANEL_W_BUTTON,  /* text on a button; body: its state ("Muted") under it */
	PANEL_W_TOGGLE,  /* text and a switch showing on */
	PANEL_W_LIST,    /* rows: row_text[i] and row_body[i], tappable when rows_tap */
	PANEL_W_DIALOG,  /* modal: dims everything under it; text: title, body */
	PANEL_W_KEYPAD,  /* 1-9, erase, 0, OK; text: the entry shown above the keys */
	PANEL_W_KEYBOARD, /* letters, digits, . : / - _ space, shift, erase, Cancel,
			   * Done; text: the entry above the keys; on: shift */
};

enum panel_style {
	PANEL_S_NORMAL = 0,
	PANEL_S_PRIMARY, /* blue: the expected action */
	PANEL_S_GOOD,    /* green: verified, encrypted */
	PANEL_S_WARN,    /* amber: waiting, new */
	PANEL_S_DANGER,  /* red: a changed key, remove, end, failures */
	PANEL_S_DIM,     /* grey text: secondary information */
};

#define PANEL_LIST_MAX_ROWS 16u

struct panel_widget {
	char id[PANEL_UI_ID_MAX]; /* stable across syncs; unique in a set */
	enum panel_kind kind;
	enum panel_style style;
	struct panel_rect r;
	char text[PANEL_UI_TEXT_MAX];
	char body[PANEL_UI_BODY_MAX];
	double text_mm; /* text height in mm; 0: the kind's default */
	bool on;        /* toggle */
	bool disabled;  /* drawn greyed, never hit */
	bool modal;     /* on the modal layer (a dialog and its buttons) */
	/* A list's rows. */
	uint32_t n_rows;
	bool rows_tap;
	char row_text[PANEL_LIST_MAX_ROWS][PANEL_UI_ID_MAX * 3];
	char row_body[PANEL_LIST_MAX_ROWS][PANEL_UI_TEXT_MAX];
	enum panel_style row_style[PANEL_LIST_MAX_ROWS];
};

struct panel_ui;

/* What a point hits: the widget's id, and a list's row or a keypad's key. */
struct panel_hit {
	char id[PANEL_UI_ID_MAX];
	enum panel_kind kind;
	int32_t row; /* list: 0..n_rows-1; else -1 */
	char key;    /* keypad: '0'..'9', '<' (erase), '>' (OK); keyboard: its key
		      * (lower case; PANEL_KEY_*); else 0 */
};

/* A keypad's key rectangles (row by row: 1 2 3 / 4 5 6 / 7 8 9 / < 0 >). */
#define PANEL_KEYPAD_KEYS 12u
extern const char panel_keypad_keys[PANEL_KEYPAD_KEYS];
/* Where the keys of a keypad widget w are drawn (the entry is above them). */
__attribute__((nonnull)) void panel_keypad_layout(const struct panel_metrics *m,
						 const struct panel_widget *w,
						 struct panel_rect keys[PANEL_KEYPAD_KEYS]);
/*
 * The keyboard (PANEL_W_KEYBOARD, panel/keyboard.c): 5 rows of 10 units
 * (1-0 / q-p / a-l : / shift z-m . / / Cancel - _ space erase Done), under an
 * entry showing the text. On qemu-x86_64's 344 mm wide screen a keyboard
 * 240 mm wide has 22 mm keys; panel_ui_sync refuses one whose keys are
 * under PANEL_TAP_MIN_MM.
 */
#define PANEL_KEYBOARD_KEYS 46u
#define PANEL_KEYBOARD_ENTRY_MM 16.0
#define PANEL_KEYBOARD_GAP_MM 2.0
#define PANEL_KEY_ERASE '<'
#define PANEL_KEY_OK '>'
#define PANEL_KEY_SHIFT '^'
#define PANEL_KEY_CANCEL '!'
extern const char panel_keyboard_keys[PANEL_KEYBOARD_KEYS];
__attribute__((nonnull)) void panel_keyboard_layout(const struct panel_metrics *m,
						   const struct panel_widget *w,
						   struct panel_rect keys[PANEL_KEYBOARD_KEYS]);
/* What key shows (buf holds a one-letter label). */
__attribute__((nonnull)) const char *panel_keyboard_label(char key, bool shift,
							  char buf[static 2]);
/*
 * key typed into buf (NUL-terminated, room for max bytes and the NUL): a
 * character appended while the text is under max bytes (a letter in upper
 * case with shift), erase takes the last UTF-8 character away; shift, Done
 * and Cancel are the caller's. Returns true when buf changed.
 */
__attribute__((nonnull)) bool panel_keyboard_type(char *buf, size_t max, char key, bool shift);

/* Row i of a list widget. */
__attribute__((nonnull)) struct panel_rect panel_list_row(const struct panel_metrics *m,
							  const struct panel_widget *w,
							  uint32_t i);

/*
 * A panel for the metrics' screen: an ARGB32 image of width x height, all
 * transparent, no widgets. Returns 0 and *out (panel_ui_free), -ENOENT when
 * a pinned font is missing (fonts-dejavu-core), -ENOMEM.
 */
__attribute__((warn_unused_result, nonnull)) int panel_ui_new(const struct panel_metrics *m,
							      struct panel_ui **out);
void panel_ui_free(struct panel_ui *ui);

/*
 * The panel from now on is the n widgets w (drawn in array order, later
 * above earlier; modal ones above all). Widgets of the same id that did not
 * change are not redrawn; the rectangles of changed, added and removed ones
 * are damaged. Returns 0; -EINVAL with *bad (if not NULL) the offending id
 * (a copy, static storage of the ui) for an id empty or twice, a rectangle
 * outside the screen, a tap target under PANEL_TAP_MIN_MM, too many rows or
 * widgets, text that is not UTF-8: nothing changes then.
 */
__attribute__((warn_unused_result, nonnull(1))) int
panel_ui_sync(struct panel_ui *ui, const struct panel_widget *w, size_t n, const char **bad);

/* Damages the whole panel (the first frame, a buffer lost). */
__attribute__((nonnull)) void panel_ui_damage_all(struct panel_ui *ui);

/*
 * Redraws the damaged rectangles (cleared to transparent, then every widget
 * that intersects them, clipped) and hands them out: writes up to
 * PANEL_UI_MAX_DAMAGE rectangles to damage and returns how many (0: nothing
 * changed). The damage is then cleared.
 */
__attribute__((nonnull)) size_t panel_ui_render(struct panel_ui *ui,
						struct panel_rect damage[PANEL_UI_MAX_DAMAGE]);

/* The panel's image: ARGB32 premultiplied, width x height, stride bytes. */
__attribute__((nonnull)) const uint8_t *panel_ui_image(const struct panel_ui *ui, uint32_t *width,
							 uint32_t *height, uint32_t *stride);
/* Whether anything is drawn at all (an empty panel need not be on a plane). */
__attribute__((nonnull)) bool panel_ui_empty(const struct panel_ui *ui);

/* What (x, y) hits. Returns true and *hit, or false (nothing tappable there). */
__attribute__((warn_unused_result, nonnull)) bool
panel_ui_hit(const struct panel_ui *ui, int32_t x, int32_t y, struct panel_hit *hit);

/* Widget id as it is now (a pointer into the ui, valid until the next sync), or NULL. */
__attribute__((nonnull)) const struct panel_widget *panel_ui_find(const struct panel_ui *ui,
								  const char *id);

/* Pixels redrawn by panel_ui_render since panel_ui_new (for tests of damage tracking). */
__attribute__((nonnull)) uint64_t panel_ui_pixels_drawn(const struct panel_ui *ui);

#endif
