// SPDX-License-Identifier: MIT
/*
 * The touch device: an evdev node found by name, read through libevdev (which
 * resynchronizes the state after SYN_DROPPED), its events fed to the
 * recognizer. The only clock read is here: poll's timeout for a pending long
 * press, on CLOCK_MONOTONIC like the events (libevdev_set_clock_id).
 */
#include "drv/touch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libevdev/libevdev.h>

#define QUEUE_LEN 64u

struct drv_touch {
	int fd;
	struct libevdev *dev;
	struct drv_touch_recognizer rec;
	bool multitouch;
	char path[PATH_MAX];
	/* Gestures recognized and not yet read (a ring). */
	struct drv_touch_gesture queue[QUEUE_LEN];
	size_t head, len;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Opens path and returns its libevdev if its name is name; else NULL with *fd closed. */
static struct libevdev *open_named(const char *path, const char *name, int *fd)
{
	struct libevdev *dev = NULL;

	*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	if (libevdev_new_from_fd(*fd, &dev) == 0 && libevdev_get_name(dev) &&
	    strcmp(libevdev_get_name(dev), name) == 0)
		return dev;
	libevdev_free(dev);
	close(*fd);
	*fd = -1;
	return NULL;
}

/*
 * The event<N> node under dir whose device is called name. Nodes that cannot
 * be opened or read are skipped: names are unique per device, and a node we
 * may not read is not one we could use. -ENODEV when none matches.
 */
static int find(const char *dir, const char *name, struct drv_touch *t)
{
	struct dirent *de;
	int ret = -ENODEV;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "event", 5) != 0)
			continue;
		if ((size_t)snprintf(t->path, sizeof(t->path), "%s/%s", dir, de->d_name) >=
		    sizeof(t->path))
			continue;
		t->dev = open_named(t->path, name, &t->fd);
		if (t->dev) {
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

int drv_touch_open(const char *dir, const char *name, uint32_t width, uint32_t height,
		   uint32_t slop_px, uint64_t long_press_us, struct drv_touch **out)
{
	struct drv_touch_config cfg = { 0 };
	struct drv_touch *t;
	int ret;

	*out = NULL;
	if (!name[0] || !width || !height)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = -1;
	ret = find(dir ? dir : "/dev/input", name, t);
	if (ret)
		goto out;
	if (!libevdev_has_event_code(t->dev, EV_ABS, ABS_X) ||
	    !libevdev_has_event_code(t->dev, EV_ABS, ABS_Y)) {
		ret = -ENOTSUP;
		goto out;
	}
	if (libevdev_has_event_code(t->dev, EV_KEY, BTN_TOUCH))
		cfg.contact_key = BTN_TOUCH;
	else if (libevdev_has_event_code(t->dev, EV_KEY, BTN_LEFT))
		cfg.contact_key = BTN_LEFT;
	else {
		ret = -ENOTSUP;
		goto out;
	}
	t->multitouch = libevdev_has_event_code(t->dev, EV_ABS, ABS_MT_SLOT);
	cfg.axes = (struct drv_touch_axes){
		.x_min = libevdev_get_abs_minimum(t->dev, ABS_X),
		.x_max = libevdev_get_abs_maximum(t->dev, ABS_X),
		.y_min = libevdev_get_abs_minimum(t->dev, ABS_Y),
		.y_max = libevdev_get_abs_maximum(t->dev, ABS_Y),
		.width = width,
		.height = height,
	};
	cfg.slop_px = slop_px ? slop_px : DRV_TOUCH_DEFAULT_SLOP_PX;
	cfg.long_press_us = long_press_us ? long_press_us : DRV_TOUCH_DEFAULT_LONG_PRESS_US;
	ret = drv_touch_recognizer_init(&t->rec, &cfg);
	if (ret) {
		ret = -ENOTSUP; /* an empty axis range */
		goto out;
	}
	/* The recognizer starts from where the axes are now, and in the slot
	 * the device is in: the kernel sends ABS_MT_SLOT only when it changes,
	 * so a contact in the current slot would be counted in slot 0 and a
	 * second finger in slot 0 not seen. (Contacts already down are not
	 * counted: their release yields nothing.) */
	t->rec.raw_x = libevdev_get_event_value(t->dev, EV_ABS, ABS_X);
	t->rec.raw_y = libevdev_get_event_value(t->dev, EV_ABS, ABS_Y);
	if (t->multitouch)
		t->rec.slot = libevdev_get_current_slot(t->dev);
	ret = libevdev_set_clock_id(t->dev, CLOCK_MONOTONIC);
out:
	if (ret) {
		drv_touch_close(t);
		return ret;
	}
	*out = t;
	return 0;
}

void drv_touch_close(struct drv_touch *t)
{
	if (!t)
		return;
	libevdev_free(t->dev);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

int drv_touch_fd(const struct drv_touch *t)
{
	return t->fd;
}

const char *drv_touch_path(const struct drv_touch *t)
{
	return t->path;
}

void drv_touch_info(const struct drv_touch *t, struct drv_touch_axes *axes, uint16_t *contact_key,
		    bool *multitouch)
{
	*axes = t->rec.cfg.axes;
	*contact_key = t->rec.cfg.contact_key;
	*multitouch = t->multitouch;
}

static void push(struct drv_touch *t, const struct drv_touch_gesture *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t->len == QUEUE_LEN) { /* a reader this slow loses the oldest */
			t->head = (t->head + 1) % QUEUE_LEN;
			t->len--;
		}
		t->queue[(t->head + t->len) % QUEUE_LEN] = g[i];
		t->len++;
	}
}

/* Everything readable now, fed to the recognizer. */
static int drain(struct drv_touch *t)
{
	struct drv_touch_gesture g[DRV_TOUCH_MAX_OUT];
	unsigned int flag = LIBEVDEV_READ_FLAG_NORMAL;
	struct input_event ev;
	int rc;

	for (;;) {
		rc = libevdev_next_event(t->dev, flag, &ev);
		if (rc == -EAGAIN) {
			if (flag == LIBEVDEV_READ_FLAG_SYNC) {
				flag = LIBEVDEV_READ_FLAG_NORMAL; /* resynchronized */
				continue;
			}
			return 0;
		}
		if (rc < 0)
			return rc;
		/* SYN_DROPPED comes with LIBEVDEV_READ_STATUS_SYNC: read the
		 * sync events (the device's state now) until -EAGAIN. */
		if (rc == LIBEVDEV_READ_STATUS_SYNC)
			flag = LIBEVDEV_READ_FLAG_SYNC;
		struct drv_touch_event e = {
			.type = ev.type,
			.code = ev.code,
			.value = ev.value,
			.time_us = (uint64_t)ev.input_event_sec * 1000000u +
				   (uint64_t)ev.input_event_usec,
		};
		push(t, g, drv_touch_recognizer_feed(&t->rec, &e, g));
	}
}

/* The oldest queued gesture into *out; false when none. */
static bool pop(struct drv_touch *t, struct drv_touch_gesture *out)
{
	if (!t->len)
		return false;
	*out = t->queue[t->head];
	t->head = (t->head + 1) % QUEUE_LEN;
	t->len--;
	return true;
}

int drv_touch_read(struct drv_touch *t, int timeout_ms, struct drv_touch_gesture *out)
{
	struct drv_touch_gesture g[DRV_TOUCH_MAX_OUT];
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	uint64_t deadline, due;
	int ret;

	deadline = timeout_ms < 0 ? UINT64_MAX : now_us() + (uint64_t)timeout_ms * 1000u;
	for (;;) {
		uint64_t now = now_us(), until = deadline;
		int wait_ms;

		/* A long press whose time has come without events. */
		push(t, g, drv_touch_recognizer_advance(&t->rec, now, g));
		if (pop(t, out))
			return 1;
		if (drv_touch_recognizer_deadline(&t->rec, &due) && due < until)
			until = due;
		if (until == UINT64_MAX)
			wait_ms = -1;
		else
			wait_ms = until > now ? (int)((until - now + 999) / 1000) : 0;
		ret = poll(&pfd, 1, wait_ms);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (ret > 0) {
			if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
				return -ENODEV;
			ret = drain(t);
			if (ret)
				return ret;
		}
		if (!t->len && now_us() >= deadline) {
			push(t, g, drv_touch_recognizer_advance(&t->rec, now_us(), g));
			return pop(t, out) ? 1 : 0;
		}
	}
}
