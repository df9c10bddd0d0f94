/* SPDX-License-Identifier: MIT */
/*
 * panel_input: what people give the panel in the screen process. Taps, from
 * the board's evdev touch device (libdrv_touch, by name) and, for tests, from
 * a stream of evdev records (struct input_event, axes ABS_X/ABS_Y 0..32767,
 * BTN_TOUCH) in a file or FIFO: a TEST INPUT fed to the same recognizer
 * (docs/panel.md "Touch"). The admin PIN is keyxchgd's to check: the panel
 * reads no PIN file (keyxchg/CONTROL.md "The admin PIN").
 *
 * Call order: panel_input_open, then per poll panel_input_fds and
 * panel_input_read, panel_input_close. One thread.
 */
#ifndef PANEL_INPUT_H
#define PANEL_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "drv/touch.h"

struct panel_input;

/*
 * Opens the touch device named touch_name and/or the test stream at
 * events_path (either may be NULL) for a width x height screen. Returns 0
 * and *out, or a negative errno with *what naming the input.
 */
__attribute__((warn_unused_result, nonnull(5, 6))) int
panel_input_open(const char *touch_name, const char *events_path, uint32_t width, uint32_t height,
		 struct panel_input **out, const char **what);
void panel_input_close(struct panel_input *in);

/* The descriptors to poll (-1: none): the device's, the test stream's. */
__attribute__((nonnull)) void panel_input_fds(const struct panel_input *in, int fds[2]);

/*
 * Reads what poll found ready (revents as poll returned them for the two
 * descriptors) and writes up to max gestures to out; returns how many. A
 * device gone or the stream's end closes that input and says so in note
 * (note[0] is '\0' otherwise).
 */
__attribute__((nonnull)) size_t panel_input_read(struct panel_input *in, const short revents[2],
						 struct drv_touch_gesture *out, size_t max,
						 char *note, size_t note_len);

#endif
