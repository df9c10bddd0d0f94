// SPDX-License-Identifier: MIT
/*
 * drivers/touch without a device: the recognizer on a table of named event
 * sequences (what libevdev delivers), each with the gestures expected, and
 * the axis mapping with odd ranges and offsets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/input.h>

#include "drv/touch.h"

/* The virtio tablet: 0..32767 on both axes, BTN_LEFT. */
static const struct drv_touch_config tablet = {
	.axes = { 0, 32767, 0, 32767, 1920, 1080 },
	.contact_key = BTN_LEFT,
	.slop_px = 24,
	.long_press_us = 500000,
};
/* A multitouch panel with offsets: x 100..4195, y -50..2349, BTN_TOUCH. */
static const struct drv_touch_config panel = {
	.axes = { 100, 4195, -50, 2349, 3840, 2160 },
	.contact_key = BTN_TOUCH,
	.slop_px = 24,
	.long_press_us = 500000,
};

/* The tablet with the largest slop: no movement is a drag. */
static const struct drv_touch_config no_drag = {
	.axes = { 0, 32767, 0, 32767, 1920, 1080 },
	.contact_key = BTN_LEFT,
	.slop_px = UINT32_MAX,
	.long_press_us = 500000,
};

#define MS 1000u
#define X(v, t) { EV_ABS, ABS_X, v, t }
#define Y(v, t) { EV_ABS, ABS_Y, v, t }
#define KEY(k, v, t) { EV_KEY, k, v, t }
#define SYN(t) { EV_SYN, SYN_REPORT, 0, t }
#define DROPPED(t) { EV_SYN, SYN_DROPPED, 0, t }
#define SLOT(s, t) { EV_ABS, ABS_MT_SLOT, s, t }
#define TRACK(id, t) { EV_ABS, ABS_MT_TRACKING_ID, id, t }
/* Tablet units for screen pixel p on 1920 / 1080 wide axes of 0..32767. */
#define TX(p) ((int32_t)(((int64_t)(p) * 32767 + 959) / 1919))
#define TY(p) ((int32_t)(((int64_t)(p) * 32767 + 539) / 1079))

struct seq {
	const char *name;
	const struct drv_touch_config *cfg;
	struct drv_touch_event ev[24];
	size_t n_ev;
	struct drv_touch_gesture want[8];
	size_t n_want;
	uint64_t advance_to; /* then drv_touch_recognizer_advance, if not 0 */
};

#define EVS(...) .ev = { __VA_ARGS__ }, .n_ev = sizeof((struct drv_touch_event[]){ __VA_ARGS__ }) / sizeof(struct drv_touch_event)
#define WANT(...) .want = { __VA_ARGS__ }, .n_want = sizeof((struct drv_touch_gesture[]){ __VA_ARGS__ }) / sizeof(struct drv_touch_gesture)
#define NONE .n_want = 0

static const struct seq seqs[] = {
	{ "tap (BTN_LEFT, virtio tablet)", &tablet,
	  EVS(X(TX(480), 0), Y(TY(270), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      KEY(BTN_LEFT, 0, 80 * MS), SYN(80 * MS)),
	  WANT({ DRV_TOUCH_TAP, 480, 270, 80 * MS }) },
	{ "tap with jitter inside the slop", &tablet,
	  EVS(X(TX(100), 0), Y(TY(100), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      X(TX(110), 20 * MS), Y(TY(115), 20 * MS), SYN(20 * MS),
	      KEY(BTN_LEFT, 0, 90 * MS), SYN(90 * MS)),
	  WANT({ DRV_TOUCH_TAP, 100, 100, 90 * MS }) },
	{ "long press completed at release", &tablet,
	  EVS(X(TX(1500), 0), Y(TY(900), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      KEY(BTN_LEFT, 0, 700 * MS), SYN(700 * MS)),
	  WANT({ DRV_TOUCH_LONG_PRESS, 1500, 900, 500 * MS }) },
	{ "long press by advance (no events)", &tablet,
	  EVS(X(TX(10), 1000 * MS), Y(TY(20), 1000 * MS), KEY(BTN_LEFT, 1, 1000 * MS),
	      SYN(1000 * MS)),
	  WANT({ DRV_TOUCH_LONG_PRESS, 10, 20, 1500 * MS }), .advance_to = 1500 * MS },
	{ "advance before the long-press time: nothing", &tablet,
	  EVS(X(TX(10), 1000 * MS), Y(TY(20), 1000 * MS), KEY(BTN_LEFT, 1, 1000 * MS),
	      SYN(1000 * MS)),
	  NONE, .advance_to = 1499 * MS },
	{ "a release just before the long-press time is a tap", &tablet,
	  EVS(X(TX(10), 0), Y(TY(20), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      KEY(BTN_LEFT, 0, 499 * MS), SYN(499 * MS)),
	  WANT({ DRV_TOUCH_TAP, 10, 20, 499 * MS }) },
	{ "movement beyond the slop: a drag, no tap", &tablet,
	  EVS(X(TX(100), 0), Y(TY(100), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      X(TX(130), 30 * MS), SYN(30 * MS),
	      X(TX(200), 60 * MS), SYN(60 * MS),
	      KEY(BTN_LEFT, 0, 90 * MS), SYN(90 * MS)),
	  WANT({ DRV_TOUCH_DRAG_START, 100, 100, 30 * MS }, { DRV_TOUCH_DRAG_MOVE, 130, 100, 30 * MS },
	       { DRV_TOUCH_DRAG_MOVE, 200, 100, 60 * MS }, { DRV_TOUCH_DRAG_END, 200, 100, 90 * MS }) },
	{ "movement in the release frame still cancels the tap", &tablet,
	  EVS(X(TX(100), 0), Y(TY(100), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      Y(TY(140), 50 * MS), KEY(BTN_LEFT, 0, 50 * MS), SYN(50 * MS)),
	  WANT({ DRV_TOUCH_DRAG_START, 100, 100, 50 * MS }, { DRV_TOUCH_DRAG_MOVE, 100, 140, 50 * MS },
	       { DRV_TOUCH_DRAG_END, 100, 140, 50 * MS }) },
	{ "long press, then a move: a drag after it", &tablet,
	  EVS(X(TX(300), 0), Y(TY(300), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      X(TX(400), 600 * MS), SYN(600 * MS),
	      KEY(BTN_LEFT, 0, 700 * MS), SYN(700 * MS)),
	  WANT({ DRV_TOUCH_LONG_PRESS, 300, 300, 500 * MS },
	       { DRV_TOUCH_DRAG_START, 300, 300, 600 * MS }, { DRV_TOUCH_DRAG_MOVE, 400, 300, 600 * MS },
	       { DRV_TOUCH_DRAG_END, 400, 300, 700 * MS }) },
	{ "largest slop: corner to corner is still a tap", &no_drag,
	  EVS(X(0, 0), Y(0, 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      X(32767, 50 * MS), Y(32767, 50 * MS), KEY(BTN_LEFT, 0, 50 * MS), SYN(50 * MS)),
	  WANT({ DRV_TOUCH_TAP, 0, 0, 50 * MS }) },
	{ "BTN_TOUCH device: BTN_LEFT is not a contact", &panel,
	  EVS(X(100, 0), Y(-50, 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      KEY(BTN_LEFT, 0, 50 * MS), SYN(50 * MS)),
	  NONE },
	{ "BTN_TOUCH device: BTN_TOUCH tap at the range's minimum is pixel 0", &panel,
	  EVS(X(100, 0), Y(-50, 0), KEY(BTN_TOUCH, 1, 0), SYN(0),
	      KEY(BTN_TOUCH, 0, 50 * MS), SYN(50 * MS)),
	  WANT({ DRV_TOUCH_TAP, 0, 0, 50 * MS }) },
	{ "BTN_LEFT device: BTN_TOUCH is not a contact", &tablet,
	  EVS(X(TX(5), 0), Y(TY(5), 0), KEY(BTN_TOUCH, 1, 0), SYN(0),
	      KEY(BTN_TOUCH, 0, 50 * MS), SYN(50 * MS)),
	  NONE },
	{ "multitouch: one finger (slots) taps at the range's maximum", &panel,
	  EVS(SLOT(0, 0), TRACK(7, 0), X(4195, 0), Y(2349, 0), KEY(BTN_TOUCH, 1, 0), SYN(0),
	      TRACK(-1, 60 * MS), KEY(BTN_TOUCH, 0, 60 * MS), SYN(60 * MS)),
	  WANT({ DRV_TOUCH_TAP, 3839, 2159, 60 * MS }) },
	{ "multitouch: a second finger cancels the tap", &panel,
	  EVS(SLOT(0, 0), TRACK(7, 0), X(2000, 0), Y(1000, 0), KEY(BTN_TOUCH, 1, 0), SYN(0),
	      SLOT(1, 30 * MS), TRACK(8, 30 * MS), SYN(30 * MS),
	      TRACK(-1, 60 * MS), SYN(60 * MS),
	      SLOT(0, 90 * MS), TRACK(-1, 90 * MS), KEY(BTN_TOUCH, 0, 90 * MS), SYN(90 * MS)),
	  WANT({ DRV_TOUCH_CANCEL, 1781, 945, 30 * MS }) },
	{ "multitouch: two fingers down in one frame, then a clean tap", &panel,
	  EVS(SLOT(0, 0), TRACK(1, 0), SLOT(1, 0), TRACK(2, 0), KEY(BTN_TOUCH, 1, 0), SYN(0),
	      TRACK(-1, 700 * MS), SLOT(0, 700 * MS), TRACK(-1, 700 * MS),
	      KEY(BTN_TOUCH, 0, 700 * MS), SYN(700 * MS),
	      TRACK(3, 800 * MS), X(100, 800 * MS), Y(-50, 800 * MS), KEY(BTN_TOUCH, 1, 800 * MS),
	      SYN(800 * MS), TRACK(-1, 850 * MS), KEY(BTN_TOUCH, 0, 850 * MS), SYN(850 * MS)),
	  WANT({ DRV_TOUCH_TAP, 0, 0, 850 * MS }) },
	{ "SYN_DROPPED during a touch: cancel, no tap (sync says up)", &tablet,
	  EVS(X(TX(50), 0), Y(TY(60), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      DROPPED(40 * MS), KEY(BTN_LEFT, 0, 40 * MS), SYN(40 * MS),
	      X(TX(70), 100 * MS), Y(TY(80), 100 * MS), KEY(BTN_LEFT, 1, 100 * MS), SYN(100 * MS),
	      KEY(BTN_LEFT, 0, 150 * MS), SYN(150 * MS)),
	  WANT({ DRV_TOUCH_CANCEL, 50, 60, 40 * MS }, { DRV_TOUCH_TAP, 70, 80, 150 * MS }) },
	{ "SYN_DROPPED with the finger still down: nothing until it is up", &tablet,
	  EVS(X(TX(50), 0), Y(TY(60), 0), KEY(BTN_LEFT, 1, 0), SYN(0),
	      DROPPED(40 * MS), X(TX(55), 40 * MS), SYN(40 * MS),
	      KEY(BTN_LEFT, 0, 100 * MS), SYN(100 * MS),
	      KEY(BTN_LEFT, 1, 200 * MS), SYN(200 * MS),
	      KEY(BTN_LEFT, 0, 900 * MS), SYN(900 * MS)),
	  WANT({ DRV_TOUCH_CANCEL, 50, 60, 40 * MS }, { DRV_TOUCH_LONG_PRESS, 55, 60, 700 * MS }) },
	{ "SYN_DROPPED while idle: no cancel, the next tap counts", &tablet,
	  EVS(DROPPED(10 * MS), SYN(10 * MS), X(TX(1), 20 * MS), KEY(BTN_LEFT, 1, 20 * MS),
	      SYN(20 * MS), KEY(BTN_LEFT, 0, 30 * MS), SYN(30 * MS)),
	  WANT({ DRV_TOUCH_TAP, 1, 0, 30 * MS }) },
	{ "events without SYN_REPORT complete nothing", &tablet,
	  EVS(X(TX(50), 0), Y(TY(60), 0), KEY(BTN_LEFT, 1, 0), KEY(BTN_LEFT, 0, 50 * MS)),
	  NONE },
	{ "other keys and relative axes are ignored", &tablet,
	  EVS({ EV_REL, REL_WHEEL, 1, 0 }, KEY(BTN_RIGHT, 1, 0), SYN(0),
	      KEY(BTN_RIGHT, 0, 10 * MS), SYN(10 * MS)),
	  NONE },
};

static void test_sequences(void **state)
{
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const struct seq *s = &seqs[i];
		struct drv_touch_gesture got[32], out[DRV_TOUCH_MAX_OUT];
		struct drv_touch_recognizer r;
		size_t n = 0, k;

		print_message("# %s\n", s->name);
		assert_int_equal(drv_touch_recognizer_init(&r, s->cfg), 0);
		for (size_t e = 0; e < s->n_ev; e++) {
			k = drv_touch_recognizer_feed(&r, &s->ev[e], out);
			assert_true(k <= DRV_TOUCH_MAX_OUT && n + k <= 32);
			memcpy(got + n, out, k * sizeof(*out));
			n += k;
		}
		if (s->advance_to) {
			k = drv_touch_recognizer_advance(&r, s->advance_to, out);
			memcpy(got + n, out, k * sizeof(*out));
			n += k;
		}
		for (size_t g = 0; g < n; g++)
			print_message("#   got %s %d,%d at %llu us\n", drv_touch_gesture_name(got[g].type),
				      got[g].x, got[g].y, (unsigned long long)got[g].time_us);
		assert_int_equal(n, s->n_want);
		for (size_t g = 0; g < n; g++) {
			assert_int_equal(got[g].type, s->want[g].type);
			assert_int_equal(got[g].x, s->want[g].x);
			assert_int_equal(got[g].y, s->want[g].y);
			assert_int_equal(got[g].time_us, s->want[g].time_us);
		}
	}
}

static void test_deadline(void **state)
{
	const struct drv_touch_event down[] = { KEY(BTN_LEFT, 1, 7 * MS), SYN(7 * MS) };
	struct drv_touch_gesture out[DRV_TOUCH_MAX_OUT];
	struct drv_touch_recognizer r;
	uint64_t due = 0;

	assert_int_equal(drv_touch_recognizer_init(&r, &tablet), 0);
	assert_false(drv_touch_recognizer_deadline(&r, &due));
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(drv_touch_recognizer_feed(&r, &down[i], out), 0);
	assert_true(drv_touch_recognizer_deadline(&r, &due));
	assert_int_equal(due, 507 * MS);
	assert_int_equal(drv_touch_recognizer_advance(&r, due, out), 1);
	assert_int_equal(out[0].type, DRV_TOUCH_LONG_PRESS);
	/* Once recognized, no deadline and no second long press. */
	assert_false(drv_touch_recognizer_deadline(&r, &due));
	assert_int_equal(drv_touch_recognizer_advance(&r, 10000 * MS, out), 0);
}

struct map_case {
	const char *name;
	int32_t v, min, max;
	uint32_t size;
	int32_t want;
};

static const struct map_case maps[] = {
	{ "tablet min", 0, 0, 32767, 1920, 0 },
	{ "tablet max", 32767, 0, 32767, 1920, 1919 },
	{ "tablet middle", 16384, 0, 32767, 1920, 960 },
	{ "offset min", 100, 100, 4195, 3840, 0 },
	{ "offset max", 4195, 100, 4195, 3840, 3839 },
	{ "negative min", -50, -50, 2349, 2160, 0 },
	{ "negative range, middle", 0, -1000, 1000, 1001, 500 },
	{ "below the range clamps", -5, 0, 100, 101, 0 },
	{ "above the range clamps", 1000, 0, 100, 101, 100 },
	{ "range smaller than the screen", 1, 0, 2, 1080, 540 },
	{ "one-unit range", 1, 0, 1, 1920, 1919 },
	{ "full int32 range", INT32_MAX, INT32_MIN, INT32_MAX, 3840, 3839 },
	{ "full int32 range, min", INT32_MIN, INT32_MIN, INT32_MAX, 3840, 0 },
	{ "one-pixel screen", 77, 0, 100, 1, 0 },
};

static void test_map(void **state)
{
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		print_message("# %s\n", maps[i].name);
		assert_int_equal(drv_touch_map(maps[i].v, maps[i].min, maps[i].max, maps[i].size),
				 maps[i].want);
	}
	/* Monotonic over the whole tablet range. */
	for (int32_t v = 1, last = 0; v <= 32767; v++) {
		int32_t x = drv_touch_map(v, 0, 32767, 1920);

		assert_true(x >= last && x - last <= 1);
		last = x;
	}
	/* Every screen pixel the image test aims at is hit by the inverse the test uses. */
	for (int32_t p = 0; p < 1920; p++)
		assert_int_equal(drv_touch_map(TX(p), 0, 32767, 1920), p);
	for (int32_t p = 0; p < 1080; p++)
		assert_int_equal(drv_touch_map(TY(p), 0, 32767, 1080), p);
}

static void test_bad_config(void **state)
{
	struct drv_touch_recognizer r;
	struct drv_touch_config c;

	c = tablet;
	c.axes.x_max = c.axes.x_min;
	assert_int_equal(drv_touch_recognizer_init(&r, &c), -EINVAL);
	c = tablet;
	c.axes.y_max = -1;
	assert_int_equal(drv_touch_recognizer_init(&r, &c), -EINVAL);
	c = tablet;
	c.axes.height = 0;
	assert_int_equal(drv_touch_recognizer_init(&r, &c), -EINVAL);
	c = tablet;
	c.long_press_us = 0;
	assert_int_equal(drv_touch_recognizer_init(&r, &c), -EINVAL);
	c = tablet;
	c.contact_key = BTN_RIGHT;
	assert_int_equal(drv_touch_recognizer_init(&r, &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
