// SPDX-License-Identifier: MIT
/*
 * The on-screen keyboard widget's keys (panel/ui.h PANEL_W_KEYBOARD): their
 * table, layout in the widget, labels, and what a key does to the text being
 * typed. Drawing and hit testing are panel_ui's, as for every widget.
 */
#include <string.h>

#include <glib.h>

#include "panel/ui.h"

/* Row by row, 10 units each; spans below. */
const char panel_keyboard_keys[PANEL_KEYBOARD_KEYS] =
	"1234567890"
	"qwertyuiop"
	"asdfghjkl:"
	"^zxcvbnm./"
	"!-_ <>";

#define UNITS 10
#define ROWS  5
/* Row and unit where each key starts (keys[i]), and its span in units. */
static unsigned int span_of(char k)
{
	return k == ' ' ? 3 : (k == PANEL_KEY_CANCEL || k == PANEL_KEY_OK) ? 2 : 1;
}

void panel_keyboard_layout(const struct panel_metrics *m, const struct panel_widget *w,
			   struct panel_rect keys[PANEL_KEYBOARD_KEYS])
{
	int32_t gap = panel_mm(m, PANEL_KEYBOARD_GAP_MM);
	int32_t top = w->r.y + panel_mm(m, PANEL_KEYBOARD_ENTRY_MM) + gap;
	int32_t uw = (w->r.w - (UNITS - 1) * gap) / UNITS;
	int32_t kh = (w->r.y + w->r.h - top - (ROWS - 1) * gap) / ROWS;
	unsigned int row = 0, unit = 0;

	for (unsigned int i = 0; i < PANEL_KEYBOARD_KEYS; i++) {
		unsigned int s = span_of(panel_keyboard_keys[i]);

		if (unit + s > UNITS) {
			row++;
			unit = 0;
		}
		keys[i] = (struct panel_rect){ w->r.x + (int32_t)unit * (uw + gap),
					       top + (int32_t)row * (kh + gap),
					       (int32_t)s * uw + (int32_t)(s - 1) * gap, kh };
		unit += s;
	}
}

const char *panel_keyboard_label(char key, bool shift, char buf[static 2])
{
	switch (key) {
	case PANEL_KEY_ERASE:
		return "⌫";
	case PANEL_KEY_OK:
		return "Done";
	case PANEL_KEY_CANCEL:
		return "Cancel";
	case PANEL_KEY_SHIFT:
		return "⇧";
	case ' ':
		return "space";
	default:
		buf[0] = shift && key >= 'a' && key <= 'z' ? (char)(key - 'a' + 'A') : key;
		buf[1] = '\0';
		return buf;
	}
}

bool panel_keyboard_type(char *buf, size_t max, char key, bool shift)
{
	size_t n = strlen(buf);

	if (key == PANEL_KEY_ERASE) {
		/* A whole character, also one of several bytes (a name set elsewhere). */
		const char *prev = n ? g_utf8_find_prev_char(buf, buf + n) : NULL;

		if (!prev)
			return false;
		buf[prev - buf] = '\0';
		return true;
	}
	if (key == PANEL_KEY_OK || key == PANEL_KEY_CANCEL || key == PANEL_KEY_SHIFT || n >= max ||
	    !memchr(panel_keyboard_keys, key, PANEL_KEYBOARD_KEYS) || key == '\0')
		return false;
	buf[n] = shift && key >= 'a' && key <= 'z' ? (char)(key - 'a' + 'A') : key;
	buf[n + 1] = '\0';
	return true;
}
