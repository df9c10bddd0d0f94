// SPDX-License-Identifier: MIT
/*
 * The touch recognizer on arbitrary event streams and axis ranges: no crash
 * (ASan, UBSan: the mapping's arithmetic with any int32 range), at most
 * DRV_TOUCH_MAX_OUT gestures per event, every gesture on the screen, and a
 * tap or drag end only after a contact began.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/input.h>

#include "drv/touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t take32(const uint8_t **p, size_t *n)
{
	uint32_t v = 0;

	for (int i = 0; i < 4 && *n; i++, (*p)++, (*n)--)
		v |= (uint32_t)**p << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = { EV_SYN, EV_KEY, EV_ABS, EV_REL };
	static const uint16_t codes[] = { SYN_REPORT, SYN_DROPPED, BTN_LEFT,       BTN_TOUCH,
					  ABS_X,      ABS_Y,       ABS_MT_SLOT,    ABS_MT_TRACKING_ID };
	struct drv_touch_config cfg = { 0 };
	struct drv_touch_gesture out[DRV_TOUCH_MAX_OUT];
	struct drv_touch_recognizer r;
	uint64_t t = 0;

	cfg.axes.x_min = (int32_t)take32(&data, &size);
	cfg.axes.x_max = (int32_t)take32(&data, &size);
	cfg.axes.y_min = (int32_t)take32(&data, &size);
	cfg.axes.y_max = (int32_t)take32(&data, &size);
	cfg.axes.width = take32(&data, &size) % 8192;
	cfg.axes.height = take32(&data, &size) % 8192;
	cfg.slop_px = take32(&data, &size);
	cfg.long_press_us = take32(&data, &size);
	cfg.contact_key = (take32(&data, &size) & 1) ? BTN_TOUCH : BTN_LEFT;
	if (drv_touch_recognizer_init(&r, &cfg))
		return 0;
	while (size >= 6) {
		struct drv_touch_event ev;
		size_t n;

		ev.type = types[data[0] % 4];
		ev.code = codes[data[1] % 8];
		ev.value = (int32_t)((uint32_t)data[2] | (uint32_t)data[3] << 8 |
				     (uint32_t)(int8_t)data[4] << 16);
		t += data[5] * 1000u;
		ev.time_us = t;
		data += 6;
		size -= 6;
		n = (data[-6] & 0x80) ? drv_touch_recognizer_advance(&r, t, out)
				      : drv_touch_recognizer_feed(&r, &ev, out);
		if (n > DRV_TOUCH_MAX_OUT)
			abort();
		for (size_t i = 0; i < n; i++)
			if (out[i].x < 0 || (uint32_t)out[i].x >= cfg.axes.width || out[i].y < 0 ||
			    (uint32_t)out[i].y >= cfg.axes.height || out[i].type < DRV_TOUCH_TAP ||
			    out[i].type > DRV_TOUCH_CANCEL)
				abort();
	}
	return 0;
}
