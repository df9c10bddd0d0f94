// SPDX-License-Identifier: MIT
/* The panel's inputs: taps (panel/input.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/input.h>

#include "panel/input.h"
#include "panel/view.h"

struct panel_input {
	struct drv_touch *touch;
	int events_fd;
	struct drv_touch_recognizer rec;
	uint8_t buf[sizeof(struct input_event)];
	size_t len;
};

static int open_events(struct panel_input *in, const char *path, uint32_t w, uint32_t h)
{
	struct drv_touch_config cfg = { { 0, 32767, 0, 32767, w, h }, BTN_TOUCH,
					DRV_TOUCH_DEFAULT_SLOP_PX, DRV_TOUCH_DEFAULT_LONG_PRESS_US };
	struct stat st;
	int ret = drv_touch_recognizer_init(&in->rec, &cfg);

	if (ret)
		return ret;
	if (stat(path, &st))
		return -errno;
	/* A FIFO opened for reading and writing here never ends when a writer closes it. */
	in->events_fd =
		open(path, (S_ISFIFO(st.st_mode) ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC);
	return in->events_fd < 0 ? -errno : 0;
}

int panel_input_open(const char *touch_name, const char *events_path, uint32_t width,
		     uint32_t height, struct panel_input **out, const char **what)
{
	struct panel_input *in = calloc(1, sizeof(*in));
	int ret = 0;

	*out = NULL;
	*what = "memory";
	if (!in)
		return -ENOMEM;
	in->events_fd = -1;
	if (touch_name) {
		*what = touch_name;
		ret = drv_touch_open(NULL, touch_name, width, height, 0, 0, &in->touch);
	}
	if (!ret && events_path) {
		*what = events_path;
		ret = open_events(in, events_path, width, height);
	}
	if (ret) {
		panel_input_close(in);
		return ret;
	}
	*out = in;
	return 0;
}

void panel_input_close(struct panel_input *in)
{
	if (!in)
		return;
	drv_touch_close(in->touch);
	if (in->events_fd >= 0)
		close(in->events_fd);
	free(in);
}

void panel_input_fds(const struct panel_input *in, int fds[2])
{
	fds[0] = in->touch ? drv_touch_fd(in->touch) : -1;
	fds[1] = in->events_fd;
}

/* The test stream: whole records into the recognizer, gestures out. */
static size_t read_events(struct panel_input *in, struct drv_touch_gesture *out, size_t max,
			  char *note, size_t note_len)
{
	size_t n_out = 0;
	ssize_t n;

	while (n_out + DRV_TOUCH_MAX_OUT <= max &&
	       (n = read(in->events_fd, in->buf + in->len, sizeof(in->buf) - in->len)) > 0) {
		struct input_event ie;
		struct drv_touch_event ev;

		in->len += (size_t)n;
		if (in->len < sizeof(ie))
			continue;
		memcpy(&ie, in->buf, sizeof(ie));
		in->len = 0;
		ev = (struct drv_touch_event){ ie.type, ie.code, ie.value,
					       (uint64_t)ie.input_event_sec * 1000000u +
						       (uint64_t)ie.input_event_usec };
		n_out += drv_touch_recognizer_feed(&in->rec, &ev, out + n_out);
	}
	if (n_out + DRV_TOUCH_MAX_OUT <= max && n == 0) {
		snprintf(note, note_len, "touch events: end of the test input");
		close(in->events_fd);
		in->events_fd = -1;
	}
	return n_out;
}

size_t panel_input_read(struct panel_input *in, const short revents[2],
			struct drv_touch_gesture *out, size_t max, char *note, size_t note_len)
{
	size_t n = 0;
	int ret = 0;

	note[0] = '\0';
	if (in->touch && revents[0]) {
		while (n < max && (ret = drv_touch_read(in->touch, 0, &out[n])) == 1)
			n++;
		if (ret < 0) {
			snprintf(note, note_len, "touch: %s: %s; taps are off",
				 drv_touch_path(in->touch), strerror(-ret));
			drv_touch_close(in->touch);
			in->touch = NULL;
		}
	}
	if (in->events_fd >= 0 && revents[1] && !note[0])
		n += read_events(in, out + n, max - n, note, note_len);
	return n;
}
