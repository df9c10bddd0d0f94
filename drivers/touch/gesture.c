// SPDX-License-Identifier: MIT
/*
 * The gesture recognizer: a state machine over input frames (the events up
 * to each SYN_REPORT), timed only by the events' own timestamps so that a
 * table of event sequences tests it completely on the host.
 */
#include "drv/touch.h"

#include <errno.h>
#include <linux/input.h>

enum state {
	IDLE,     /* no contact */
	PRESSED,  /* one finger, within the slop, before the long-press time */
	LONG,     /* long press recognized, finger still down */
	DRAGGING, /* moved beyond the slop */
	BLOCKED,  /* cancelled or several fingers: wait for every finger up */
};

int32_t drv_touch_map(int32_t v, int32_t min, int32_t max, uint32_t size)
{
	int64_t span = (int64_t)max - min, off;

	if (span <= 0 || size == 0)
		return 0;
	off = (int64_t)v - min;
	if (off < 0)
		off = 0;
	if (off > span)
		off = span;
	return (int32_t)((off * (int64_t)(size - 1) + span / 2) / span);
}

int drv_touch_recognizer_init(struct drv_touch_recognizer *r, const struct drv_touch_config *cfg)
{
	const struct drv_touch_axes *a = &cfg->axes;

	*r = (struct drv_touch_recognizer){ 0 };
	if (a->x_max <= a->x_min || a->y_max <= a->y_min || !a->width || !a->height ||
	    !cfg->long_press_us || (cfg->contact_key != BTN_TOUCH && cfg->contact_key != BTN_LEFT))
		return -EINVAL;
	r->cfg = *cfg;
	r->state = IDLE;
	return 0;
}

static unsigned int contacts(const struct drv_touch_recognizer *r)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < DRV_TOUCH_MAX_SLOTS; i++)
		n += r->slot_active[i];
	/* Single-touch devices, and the key with no slot (pointer emulation). */
	return n ? n : r->key_down;
}

static size_t emit(struct drv_touch_gesture *out, size_t n, enum drv_touch_gesture_type type,
		   int32_t x, int32_t y, uint64_t t)
{
	out[n] = (struct drv_touch_gesture){ .type = type, .x = x, .y = y, .time_us = t };
	return n + 1;
}

/* The long press, if its time has come by t. */
static size_t check_long(struct drv_touch_recognizer *r, uint64_t t, struct drv_touch_gesture *out,
			 size_t n)
{
	uint64_t due = r->t0 + r->cfg.long_press_us;

	if (r->state != PRESSED || t < due)
		return n;
	r->state = LONG;
	return emit(out, n, DRV_TOUCH_LONG_PRESS, r->x0, r->y0, due);
}

static bool beyond_slop(const struct drv_touch_recognizer *r)
{
	/* Screen coordinates are under 2^31, so the squares fit in 64 bits
	 * unsigned, and so does the slop's (under 2^32). */
	int64_t dx = (int64_t)r->x - r->x0, dy = (int64_t)r->y - r->y0;
	uint64_t slop = r->cfg.slop_px;

	return (uint64_t)(dx * dx) + (uint64_t)(dy * dy) > slop * slop;
}

/* A whole frame has arrived at time t. */
static size_t frame(struct drv_touch_recognizer *r, uint64_t t, struct drv_touch_gesture *out)
{
	const struct drv_touch_axes *a = &r->cfg.axes;
	unsigned int fingers = contacts(r);
	int32_t px = r->x, py = r->y;
	size_t n = 0;

	r->x = drv_touch_map(r->raw_x, a->x_min, a->x_max, a->width);
	r->y = drv_touch_map(r->raw_y, a->y_min, a->y_max, a->height);
	switch (r->state) {
	case IDLE:
		if (fingers == 1) {
			r->state = PRESSED;
			r->x0 = r->x;
			r->y0 = r->y;
			r->t0 = t;
		} else if (fingers > 1) {
			r->state = BLOCKED;
		}
		break;
	case PRESSED:
	case LONG:
	case DRAGGING:
		n = check_long(r, t, out, n);
		if (fingers > 1) {
			r->state = BLOCKED;
			n = emit(out, n, DRV_TOUCH_CANCEL, r->x, r->y, t);
			break;
		}
		if (r->state != DRAGGING && beyond_slop(r)) {
			r->state = DRAGGING;
			n = emit(out, n, DRV_TOUCH_DRAG_START, r->x0, r->y0, t);
			n = emit(out, n, DRV_TOUCH_DRAG_MOVE, r->x, r->y, t);
		} else if (r->state == DRAGGING && (r->x != px || r->y != py)) {
			n = emit(out, n, DRV_TOUCH_DRAG_MOVE, r->x, r->y, t);
		}
		if (fingers == 0) {
			if (r->state == PRESSED)
				n = emit(out, n, DRV_TOUCH_TAP, r->x0, r->y0, t);
			else if (r->state == DRAGGING)
				n = emit(out, n, DRV_TOUCH_DRAG_END, r->x, r->y, t);
			r->state = IDLE;
		}
		break;
	case BLOCKED:
		if (fingers == 0)
			r->state = IDLE;
		break;
	}
	return n;
}

size_t drv_touch_recognizer_feed(struct drv_touch_recognizer *r, const struct drv_touch_event *ev,
				 struct drv_touch_gesture out[static DRV_TOUCH_MAX_OUT])
{
	switch (ev->type) {
	case EV_SYN:
		if (ev->code == SYN_REPORT)
			return frame(r, ev->time_us, out);
		if (ev->code == SYN_DROPPED) {
			/* Events were lost: whatever was under way is not trusted.
			 * libevdev's sync events (the state now) follow. */
			size_t n = 0;

			if (r->state == PRESSED || r->state == LONG || r->state == DRAGGING)
				n = emit(out, n, DRV_TOUCH_CANCEL, r->x, r->y, ev->time_us);
			r->state = BLOCKED;
			return n;
		}
		return 0;
	case EV_KEY:
		if (ev->code == r->cfg.contact_key)
			r->key_down = ev->value != 0;
		return 0;
	case EV_ABS:
		switch (ev->code) {
		case ABS_X:
			r->raw_x = ev->value;
			break;
		case ABS_Y:
			r->raw_y = ev->value;
			break;
		case ABS_MT_SLOT:
			r->slot = ev->value;
			break;
		case ABS_MT_TRACKING_ID:
			if (r->slot >= 0 && (uint32_t)r->slot < DRV_TOUCH_MAX_SLOTS)
				r->slot_active[r->slot] = ev->value >= 0;
			break;
		}
		return 0;
	default:
		return 0;
	}
}

size_t drv_touch_recognizer_advance(struct drv_touch_recognizer *r, uint64_t now_us,
				    struct drv_touch_gesture out[static DRV_TOUCH_MAX_OUT])
{
	return check_long(r, now_us, out, 0);
}

bool drv_touch_recognizer_deadline(const struct drv_touch_recognizer *r, uint64_t *deadline_us)
{
	if (r->state != PRESSED)
		return false;
	*deadline_us = r->t0 + r->cfg.long_press_us;
	return true;
}

const char *drv_touch_gesture_name(enum drv_touch_gesture_type type)
{
	switch (type) {
	case DRV_TOUCH_TAP:
		return "tap";
	case DRV_TOUCH_LONG_PRESS:
		return "long-press";
	case DRV_TOUCH_DRAG_START:
		return "drag-start";
	case DRV_TOUCH_DRAG_MOVE:
		return "drag-move";
	case DRV_TOUCH_DRAG_END:
		return "drag-end";
	case DRV_TOUCH_CANCEL:
		return "cancel";
	}
	return "?";
}
