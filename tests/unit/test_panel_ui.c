// SPDX-License-Identifier: MIT
/*
 * panel_ui (panel/ui.h): the widget set's layout in millimetres, the tap
 * target rule, hit testing (a modal dialog takes every tap), and damage
 * tracking (only what changed is redrawn, pixels outside stay as they were).
 * The board is qemu-x86_64's 344 x 194 mm screen at the soft 1280x720 that
 * make run uses: 3.71 px/mm, 12 mm = 45 px.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "panel/ui.h"

#define W 1280u
#define H 720u

static struct panel_metrics m;

static struct panel_widget button(const char *id, int32_t x, int32_t y, int32_t w, int32_t h,
				  const char *text)
{
	struct panel_widget b = { .kind = PANEL_W_BUTTON, .r = { x, y, w, h } };

	snprintf(b.id, sizeof(b.id), "%s", id);
	snprintf(b.text, sizeof(b.text), "%s", text);
	return b;
}

static uint32_t px(const struct panel_ui *ui, int32_t x, int32_t y)
{
	uint32_t w, h, stride;
	const uint8_t *d = panel_ui_image(ui, &w, &h, &stride);

	return ((const uint32_t *)(d + (size_t)y * stride))[x];
}

static int setup(void **state)
{
	(void)state;
	return panel_metrics_init(&m, W, H, 344, 194);
}

static void test_metrics(void **state)
{
	struct panel_metrics x;

	(void)state;
	/* 1280/344 = 3.72, 720/194 = 3.71: the smaller. */
	assert_true(m.px_per_mm > 3.71 && m.px_per_mm < 3.712);
	assert_int_equal(panel_mm(&m, PANEL_TAP_MIN_MM), 45);
	assert_int_equal(panel_mm(&m, 0), 0);
	/* 4K on the RK3588 board's 65" screen: 2.69 px/mm, 12 mm = 33 px. */
	assert_int_equal(panel_metrics_init(&x, 3840, 2160, 1428, 804), 0);
	assert_int_equal(panel_mm(&x, PANEL_TAP_MIN_MM), 33);
	/* Sizes swapped (portrait millimetres for a landscape screen), zero, absurd. */
	assert_int_equal(panel_metrics_init(&x, 1920, 1080, 194, 344), -EINVAL);
	assert_int_equal(panel_metrics_init(&x, 1920, 1080, 0, 194), -EINVAL);
	assert_int_equal(panel_metrics_init(&x, 1920, 1080, 344, 10), -EINVAL);
	assert_int_equal(panel_metrics_init(&x, 0, 1080, 344, 194), -EINVAL);
	assert_int_equal(panel_metrics_init(&x, 1920, 1080, 9000, 5000), -EINVAL);
}

static void test_rects(void **state)
{
	struct panel_rect a = { 10, 10, 10, 10 }, b = { 19, 19, 5, 5 }, c = { 20, 10, 5, 5 };
	struct panel_rect e = { 0, 0, 0, 0 }, u = panel_rect_union(&a, &b);

	(void)state;
	assert_true(panel_rect_intersects(&a, &b));
	assert_false(panel_rect_intersects(&a, &c)); /* edges touch: no overlap */
	assert_false(panel_rect_intersects(&a, &e));
	assert_true(panel_rect_contains(&a, 10, 19));
	assert_false(panel_rect_contains(&a, 20, 10));
	assert_int_equal(u.x, 10);
	assert_int_equal(u.w, 14);
	u = panel_rect_union(&e, &c);
	assert_memory_equal(&u, &c, sizeof(c));
}

static void test_tap_min(void **state)
{
	struct panel_ui *ui;
	struct panel_widget w[2];
	const char *bad;

	(void)state;
	assert_int_equal(panel_ui_new(&m, &ui), 0);
	/* 44 px is 11.86 mm: refused, by name; 45 px is 12.1 mm. */
	w[0] = button("ok", 0, 0, 100, 45, "OK");
	w[1] = button("small", 200, 0, 100, 44, "Small");
	assert_int_equal(panel_ui_sync(ui, w, 2, &bad), -EINVAL);
	assert_string_equal(bad, "small");
	assert_null(panel_ui_find(ui, "ok")); /* nothing changed */
	w[1].r.h = 45;
	assert_int_equal(panel_ui_sync(ui, w, 2, &bad), 0);
	assert_null(bad);
	/* A label is not a tap target: any size. */
	w[1].kind = PANEL_W_LABEL;
	w[1].r.h = 10;
	assert_int_equal(panel_ui_sync(ui, w, 2, NULL), 0);
	/* A keypad whose keys would be under 12 mm. */
	w[1] = (struct panel_widget){ .id = "keys", .kind = PANEL_W_KEYPAD, .r = { 0, 100, 200, 200 } };
	assert_int_equal(panel_ui_sync(ui, w, 2, &bad), -EINVAL);
	assert_string_equal(bad, "keys");
	w[1].r = (struct panel_rect){ 0, 100, 3 * 45 + 2 * 8, 60 + 8 + 4 * 45 + 3 * 8 };
	assert_int_equal(panel_ui_sync(ui, w, 2, &bad), 0);
	/* Same id twice, off the screen, junk UTF-8. */
	w[1] = button("ok", 300, 0, 100, 45, "Again");
	assert_int_equal(panel_ui_sync(ui, w, 2, &bad), -EINVAL);
	w[1] = button("off", W - 50, 0, 100, 45, "Off");
	assert_int_equal(panel_ui_sync(ui, w, 2, &bad), -EINVAL);
	assert_string_equal(bad, "off");
	w[1] = button("utf", 300, 0, 100, 45, "\xff\xfe");
	assert_int_equal(panel_ui_sync(ui, w, 2, &bad), -EINVAL);
	panel_ui_free(ui);
}

static void test_hit(void **state)
{
	struct panel_ui *ui;
	struct panel_widget w[6];
	struct panel_rect keys[PANEL_KEYPAD_KEYS];
	struct panel_hit hit;

	(void)state;
	assert_int_equal(panel_ui_new(&m, &ui), 0);
	w[0] = button("a", 10, 10, 100, 50, "A");
	w[1] = button("b", 120, 10, 100, 50, "B");
	w[1].disabled = true;
	w[2] = (struct panel_widget){ .id = "list", .kind = PANEL_W_LIST, .rows_tap = true,
				      .n_rows = 3, .r = { 300, 10, 400, 300 } };
	w[3] = (struct panel_widget){ .id = "pad", .kind = PANEL_W_KEYPAD, .r = { 800, 10, 300, 400 } };
	assert_int_equal(panel_ui_sync(ui, w, 4, NULL), 0);
	assert_true(panel_ui_hit(ui, 60, 35, &hit));
	assert_string_equal(hit.id, "a");
	assert_int_equal(hit.row, -1);
	assert_false(panel_ui_hit(ui, 5, 5, &hit));
	assert_false(panel_ui_hit(ui, 170, 35, &hit)); /* disabled */
	/* Rows are 14 mm = 52 px: y 10+52+1 is the second row. */
	assert_true(panel_ui_hit(ui, 310, 10 + 52 + 1, &hit));
	assert_string_equal(hit.id, "list");
	assert_int_equal(hit.row, 1);
	assert_false(panel_ui_hit(ui, 310, 10 + 3 * 52 + 5, &hit)); /* under the last row */
	panel_keypad_layout(&m, &w[3], keys);
	for (unsigned int i = 0; i < PANEL_KEYPAD_KEYS; i++) {
		assert_true(panel_ui_hit(ui, keys[i].x + keys[i].w / 2, keys[i].y + keys[i].h / 2,
					 &hit));
		assert_string_equal(hit.id, "pad");
		assert_int_equal(hit.key, panel_keypad_keys[i]);
	}
	assert_false(panel_ui_hit(ui, 810, 20, &hit)); /* the entry, not a key */

	/* A modal dialog: only its buttons take taps, anywhere else nothing. */
	w[4] = (struct panel_widget){ .id = "dlg", .kind = PANEL_W_DIALOG, .modal = true,
				      .r = { 200, 100, 600, 400 } };
	w[5] = button("yes", 220, 400, 150, 60, "Yes");
	w[5].modal = true;
	assert_int_equal(panel_ui_sync(ui, w, 6, NULL), 0);
	assert_false(panel_ui_hit(ui, 60, 35, &hit));
	assert_false(panel_ui_hit(ui, 400, 200, &hit)); /* the dialog's face */
	assert_true(panel_ui_hit(ui, 300, 430, &hit));
	assert_string_equal(hit.id, "yes");
	panel_ui_free(ui);
}

/*
 * The keyboard: 46 keys, each at least 12 mm on qemu-x86_64's screen when the
 * keyboard is 240 x 100 mm (22 x 15 mm keys), none overlapping, each hit as
 * itself; one too small refused by name; shift redraws the keyboard only.
 */
static void test_keyboard(void **state)
{
	struct panel_ui *ui;
	struct panel_widget w = { .id = "kb", .kind = PANEL_W_KEYBOARD, .text = "Room" };
	struct panel_rect keys[PANEL_KEYBOARD_KEYS], dmg[PANEL_UI_MAX_DAMAGE];
	struct panel_hit hit;
	const char *bad;
	int32_t min = panel_mm(&m, PANEL_TAP_MIN_MM);

	(void)state;
	assert_int_equal(panel_ui_new(&m, &ui), 0);
	w.r = (struct panel_rect){ 100, 100, panel_mm(&m, 240), panel_mm(&m, 100) };
	assert_int_equal(panel_ui_sync(ui, &w, 1, &bad), 0);
	panel_keyboard_layout(&m, &w, keys);
	for (unsigned int i = 0; i < PANEL_KEYBOARD_KEYS; i++) {
		assert_true(keys[i].w >= min && keys[i].h >= min);
		assert_true(keys[i].x >= w.r.x && keys[i].x + keys[i].w <= w.r.x + w.r.w &&
			    keys[i].y + keys[i].h <= w.r.y + w.r.h);
		for (unsigned int j = 0; j < i; j++)
			assert_false(panel_rect_intersects(&keys[i], &keys[j]));
		assert_true(panel_ui_hit(ui, keys[i].x + keys[i].w / 2, keys[i].y + keys[i].h / 2,
					 &hit));
		assert_string_equal(hit.id, "kb");
		assert_int_equal(hit.key, panel_keyboard_keys[i]);
	}
	/* Every character the settings need is there. */
	for (const char *c = "abcdefghijklmnopqrstuvwxyz0123456789.:/-_ "; *c; c++)
		assert_non_null(memchr(panel_keyboard_keys, *c, PANEL_KEYBOARD_KEYS));
	assert_false(panel_ui_hit(ui, w.r.x + 5, w.r.y + 5, &hit)); /* the entry */
	panel_ui_render(ui, dmg);
	/* Shift: only the keyboard is redrawn. */
	w.on = true;
	assert_int_equal(panel_ui_sync(ui, &w, 1, NULL), 0);
	assert_int_equal(panel_ui_render(ui, dmg), 1);
	assert_memory_equal(&dmg[0], &w.r, sizeof(w.r));
	/* 10 keys across 130 mm: each under 12 mm, refused by name. */
	w.r.w = panel_mm(&m, 130);
	assert_int_equal(panel_ui_sync(ui, &w, 1, &bad), -EINVAL);
	assert_string_equal(bad, "kb");
	panel_ui_free(ui);
}

/* Typing: bounds, shift, erase of a whole UTF-8 character, keys that type nothing. */
static void test_keyboard_type(void **state)
{
	char buf[8] = "R\xc3\xa9";
	char one[2];

	(void)state;
	assert_true(panel_keyboard_type(buf, 7, PANEL_KEY_ERASE, false));
	assert_string_equal(buf, "R");
	assert_true(panel_keyboard_type(buf, 7, 'b', true));
	assert_true(panel_keyboard_type(buf, 7, ':', true));
	assert_true(panel_keyboard_type(buf, 7, 'c', false));
	assert_string_equal(buf, "RB:c");
	assert_false(panel_keyboard_type(buf, 7, PANEL_KEY_OK, false));
	assert_false(panel_keyboard_type(buf, 7, PANEL_KEY_SHIFT, false));
	assert_false(panel_keyboard_type(buf, 7, '#', false));
	assert_false(panel_keyboard_type(buf, 7, '\n', false));
	assert_true(panel_keyboard_type(buf, 7, ' ', false));
	assert_true(panel_keyboard_type(buf, 7, '9', false));
	assert_true(panel_keyboard_type(buf, 7, '/', false));
	assert_false(panel_keyboard_type(buf, 7, 'x', false)); /* 7 bytes: full */
	assert_string_equal(buf, "RB:c 9/");
	for (int i = 0; i < 7; i++)
		assert_true(panel_keyboard_type(buf, 7, PANEL_KEY_ERASE, false));
	assert_false(panel_keyboard_type(buf, 7, PANEL_KEY_ERASE, false));
	assert_string_equal(buf, "");
	assert_string_equal(panel_keyboard_label('q', true, one), "Q");
	assert_string_equal(panel_keyboard_label('q', false, one), "q");
	assert_string_equal(panel_keyboard_label(PANEL_KEY_OK, false, one), "Done");
}

static void test_damage(void **state)
{
	struct panel_ui *ui;
	struct panel_widget w[3];
	struct panel_rect d[PANEL_UI_MAX_DAMAGE];
	uint64_t before;
	size_t n;

	(void)state;
	assert_int_equal(panel_ui_new(&m, &ui), 0);
	assert_true(panel_ui_empty(ui));
	w[0] = button("a", 10, 10, 200, 60, "Start meeting");
	w[1] = button("b", 300, 10, 200, 60, "Join");
	w[2] = button("c", 600, 300, 200, 60, "Settings");
	assert_int_equal(panel_ui_sync(ui, w, 3, NULL), 0);
	n = panel_ui_render(ui, d);
	assert_int_equal(n, 3);
	assert_int_equal(panel_ui_pixels_drawn(ui), 3 * 200 * 60);
	/* Drawn where the buttons are (opaque), transparent elsewhere. */
	assert_int_equal(px(ui, 20, 40) >> 24, 0xff);
	assert_int_equal(px(ui, 250, 40), 0);
	assert_int_equal(px(ui, 5, 5), 0);

	/* The same set: nothing to redraw. */
	assert_int_equal(panel_ui_sync(ui, w, 3, NULL), 0);
	assert_int_equal(panel_ui_render(ui, d), 0);

	/* One button's text changes: exactly its rectangle, and c's pixels untouched. */
	before = panel_ui_pixels_drawn(ui);
	{
		uint32_t c = px(ui, 610, 310);

		snprintf(w[1].text, sizeof(w[1].text), "Join by ID");
		assert_int_equal(panel_ui_sync(ui, w, 3, NULL), 0);
		n = panel_ui_render(ui, d);
		assert_int_equal(n, 1);
		assert_memory_equal(&d[0], &w[1].r, sizeof(d[0]));
		assert_int_equal(panel_ui_pixels_drawn(ui) - before, 200 * 60);
		assert_int_equal(px(ui, 610, 310), c);
	}
	/* A moved widget damages where it was and where it is; a removed one where it was. */
	w[0].r.x = 40;
	assert_int_equal(panel_ui_sync(ui, w, 2, NULL), 0);
	n = panel_ui_render(ui, d);
	assert_int_equal(n, 2); /* a's old and new overlap: merged; c's place */
	assert_int_equal(px(ui, 610, 310), 0);
	assert_int_equal(px(ui, 15, 40), 0);
	assert_int_equal(px(ui, 45, 40) >> 24, 0xff);
	/* A dialog dims the whole screen: all of it damaged. */
	w[2] = (struct panel_widget){ .id = "dlg", .kind = PANEL_W_DIALOG, .modal = true,
				      .r = { 300, 200, 600, 300 } };
	assert_int_equal(panel_ui_sync(ui, w, 3, NULL), 0);
	n = panel_ui_render(ui, d);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].w, W);
	assert_int_equal(d[0].h, H);
	assert_int_equal(px(ui, 5, 5) >> 24, 140); /* 0.55 black */
	panel_ui_damage_all(ui);
	assert_int_equal(panel_ui_render(ui, d), 1);
	panel_ui_free(ui);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics), cmocka_unit_test(test_rects),
		cmocka_unit_test(test_tap_min), cmocka_unit_test(test_hit),
		cmocka_unit_test(test_damage), cmocka_unit_test(test_keyboard),
		cmocka_unit_test(test_keyboard_type),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
