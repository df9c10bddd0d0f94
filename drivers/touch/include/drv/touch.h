/* SPDX-License-Identifier: MIT */
/*
 * drv_touch: the room's touch panel through evdev (libevdev).
 *
 * Two parts:
 *   - the recognizer, a pure state machine without a device or a clock (host
 *     unit-tested): fed with input events as libevdev delivers them, each
 *     with its own timestamp, it maps the device's absolute axes to screen
 *     pixels and recognizes taps, long presses, drags and cancellations;
 *   - the device: drv_touch_open finds an evdev device by its name (the
 *     board's touch_name) under /dev/input, reads its axis ranges and feeds
 *     its events to a recognizer; drv_touch_read returns the gestures.
 *
 * Gestures (one finger; positions in screen pixels, 0..width-1, 0..height-1):
 *   TAP         down and up within long_press_us, never moved more than
 *               slop_px from where it went down; at the down position;
 *   LONG_PRESS  held for long_press_us within the slop; at the down
 *               position, timed at down + long_press_us; the release after
 *               it yields nothing more;
 *   DRAG_START  the first move beyond the slop (at the down position), then
 *   DRAG_MOVE   each new position, and
 *   DRAG_END    the release (at the last position);
 *   CANCEL      a second finger, or events lost (SYN_DROPPED), during a
 *               gesture: no tap or drag end follows; nothing more is
 *               recognized until every finger is up.
 *
 * A contact is the device's BTN_TOUCH, or BTN_LEFT where it has no BTN_TOUCH
 * (QEMU's virtio tablet: BTN_LEFT with ABS_X/ABS_Y), or a multitouch slot
 * with a tracking id; the position is ABS_X/ABS_Y (multitouch drivers
 * emulate them for the first finger).
 *
 * Call order: drv_touch_open, any number of drv_touch_read, drv_touch_close.
 * Not thread-safe: one thread owns a struct drv_touch (and a recognizer).
 */
#ifndef DRV_TOUCH_H
#define DRV_TOUCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DRV_TOUCH_MAX_SLOTS 16u
/* Gestures one event can complete (LONG_PRESS, DRAG_START, DRAG_MOVE, DRAG_END). */
#define DRV_TOUCH_MAX_OUT 4u
#define DRV_TOUCH_DEFAULT_SLOP_PX 24u
#define DRV_TOUCH_DEFAULT_LONG_PRESS_US 500000u

/* ------------------------------------------------------------ recognizer */

/* The device's absolute range (inclusive, as EVIOCGABS reports it) and the screen. */
struct drv_touch_axes {
	int32_t x_min, x_max;
	int32_t y_min, y_max;
	uint32_t width, height; /* screen pixels */
};

struct drv_touch_config {
	struct drv_touch_axes axes;
	uint16_t contact_key;   /* BTN_TOUCH or BTN_LEFT */
	uint32_t slop_px;       /* movement that makes a touch a drag */
	uint64_t long_press_us; /* hold that makes a touch a long press, > 0 */
};

enum drv_touch_gesture_type {
	DRV_TOUCH_TAP = 1,
	DRV_TOUCH_LONG_PRESS,
	DRV_TOUCH_DRAG_START,
	DRV_TOUCH_DRAG_MOVE,
	DRV_TOUCH_DRAG_END,
	DRV_TOUCH_CANCEL,
};

struct drv_touch_gesture {
	enum drv_touch_gesture_type type;
	int32_t x, y;     /* screen pixels */
	uint64_t time_us; /* on the events' clock */
};

/* An input event (struct input_event's fields, the time in microseconds). */
struct drv_touch_event {
	uint16_t type;
	uint16_t code;
	int32_t value;
	uint64_t time_us;
};

/* All fields private. */
struct drv_touch_recognizer {
	struct drv_touch_config cfg;
	int32_t raw_x, raw_y;
	bool key_down;
	bool slot_active[DRV_TOUCH_MAX_SLOTS];
	int32_t slot;
	int state;
	int32_t x0, y0, x, y;
	uint64_t t0;
};

/*
 * A raw axis value to a screen coordinate: min..max onto 0..size-1, rounded,
 * values outside the range clamped. Needs max > min and size > 0.
 */
__attribute__((warn_unused_result)) int32_t drv_touch_map(int32_t v, int32_t min, int32_t max,
							  uint32_t size);

/* Returns 0, or -EINVAL for an empty axis range, a zero screen or hold, another key. */
__attribute__((warn_unused_result, nonnull)) int
drv_touch_recognizer_init(struct drv_touch_recognizer *r, const struct drv_touch_config *cfg);

/*
 * One event, in the order libevdev delivers them (after a SYN_DROPPED, its
 * sync events up to SYN_REPORT). Gestures complete at SYN_REPORT; writes
 * them to out and returns how many (0..DRV_TOUCH_MAX_OUT).
 */
__attribute__((warn_unused_result, nonnull)) size_t
drv_touch_recognizer_feed(struct drv_touch_recognizer *r, const struct drv_touch_event *ev,
			  struct drv_touch_gesture out[static DRV_TOUCH_MAX_OUT]);

/*
 * Time passed without events: now_us (on the events' clock) may complete a
 * long press. Returns the number of gestures written to out (0 or 1).
 */
__attribute__((warn_unused_result, nonnull)) size_t
drv_touch_recognizer_advance(struct drv_touch_recognizer *r, uint64_t now_us,
			     struct drv_touch_gesture out[static DRV_TOUCH_MAX_OUT]);

/* Whether a long press is pending, and when it completes. */
__attribute__((warn_unused_result, nonnull)) bool
drv_touch_recognizer_deadline(const struct drv_touch_recognizer *r, uint64_t *deadline_us);

/* "tap", "long-press", ... */
const char *drv_touch_gesture_name(enum drv_touch_gesture_type type);

/* ------------------------------------------------------------ device */

struct drv_touch;

/*
 * Opens the evdev device under dir (NULL: /dev/input) whose name is name,
 * with absolute ABS_X and ABS_Y and a contact key (BTN_TOUCH or BTN_LEFT),
 * mapped onto a width x height screen; its events are timed on
 * CLOCK_MONOTONIC. slop_px and long_press_us of 0 take the defaults.
 * Returns 0 and *out (freed with drv_touch_close), -ENODEV when no device
 * has that name, -ENOTSUP when it has not the axes or key, -EINVAL, -ENOMEM,
 * or -errno of opening it.
 */
__attribute__((warn_unused_result, nonnull(2, 7))) int
drv_touch_open(const char *dir, const char *name, uint32_t width, uint32_t height,
	       uint32_t slop_px, uint64_t long_press_us, struct drv_touch **out);
/* NULL is a no-op. */
void drv_touch_close(struct drv_touch *t);

/* The device's node (a string owned by t, valid until drv_touch_close), its
 * axes and contact key, and whether it has multitouch slots. */
__attribute__((nonnull)) const char *drv_touch_path(const struct drv_touch *t);
__attribute__((nonnull)) void drv_touch_info(const struct drv_touch *t,
					     struct drv_touch_axes *axes, uint16_t *contact_key,
					     bool *multitouch);

/* The device's file descriptor, for poll(2) beside other sources (owned by t). */
__attribute__((nonnull)) int drv_touch_fd(const struct drv_touch *t);

/*
 * The next gesture, waiting up to timeout_ms (-1: no limit). Returns 1 and
 * *out, 0 on timeout, or -errno (-ENODEV: the device went away).
 */
__attribute__((warn_unused_result, nonnull)) int
drv_touch_read(struct drv_touch *t, int timeout_ms, struct drv_touch_gesture *out);

#endif
