// SPDX-License-Identifier: MIT
/*
 * touch-probe: the image test's check of libdrv_touch on real evdev devices.
 *
 *   touch-probe info NAME WIDTH HEIGHT
 *       opens the device named NAME through /dev/input/event* and prints its
 *       node, axis ranges, contact key and multitouch; exit 0 if found.
 *   touch-probe uinput NAME WIDTH HEIGHT
 *       creates a uinput device with the capabilities of the device NAME
 *       (named "sealroom touch probe"), opens that by name through
 *       libdrv_touch, injects a tap, a long press, a drag and a tap in the
 *       far corner at known screen positions, and checks each gesture read
 *       back (type and screen position); exit 0 when all match.
 *   touch-probe host-tap NAME WIDTH HEIGHT ANNOUNCE
 *       opens the device NAME (QEMU's virtio tablet), writes to the file
 *       ANNOUNCE (the console) the line
 *         sealroom: touch-probe: host, click at x=RAW_X y=RAW_Y
 *       for the host (tests/qemu/test_qemu_boot.sh clicks there through
 *       QMP) and waits up to 120 s for a tap at the matching screen position.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>

#include "drv/touch.h"

#define PROBE_NAME "sealroom touch probe"
/* Longer than the product's, so that a tap survives a stalled TCG guest. */
#define LONG_PRESS_US 1000000u

static int failures;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The raw value that maps to screen pixel p (checked against drv_touch_map). */
static int32_t raw_for(int32_t p, int32_t min, int32_t max, uint32_t size)
{
	int64_t span = (int64_t)max - min;
	int32_t v = (int32_t)(min + ((int64_t)p * span + (size - 1) / 2) / (size - 1));

	if (drv_touch_map(v, min, max, size) != p) {
		fprintf(stderr, "touch-probe: no raw value maps to pixel %d\n", p);
		failures++;
	}
	return v;
}

struct inject {
	struct libevdev_uinput *ui;
	struct drv_touch_axes axes;
	uint16_t key;
};

static void write_ev(struct inject *in, unsigned int type, unsigned int code, int value)
{
	int ret = libevdev_uinput_write_event(in->ui, type, code, value);

	if (ret) {
		fprintf(stderr, "touch-probe: uinput write: %s\n", strerror(-ret));
		exit(1);
	}
}

static void move(struct inject *in, int32_t x, int32_t y)
{
	write_ev(in, EV_ABS, ABS_X, raw_for(x, in->axes.x_min, in->axes.x_max, in->axes.width));
	write_ev(in, EV_ABS, ABS_Y, raw_for(y, in->axes.y_min, in->axes.y_max, in->axes.height));
	write_ev(in, EV_SYN, SYN_REPORT, 0);
}

static void press(struct inject *in, int32_t x, int32_t y)
{
	write_ev(in, EV_ABS, ABS_X, raw_for(x, in->axes.x_min, in->axes.x_max, in->axes.width));
	write_ev(in, EV_ABS, ABS_Y, raw_for(y, in->axes.y_min, in->axes.y_max, in->axes.height));
	write_ev(in, EV_KEY, in->key, 1);
	write_ev(in, EV_SYN, SYN_REPORT, 0);
}

static void release(struct inject *in)
{
	write_ev(in, EV_KEY, in->key, 0);
	write_ev(in, EV_SYN, SYN_REPORT, 0);
}

/* Reads the next gesture and compares it; prints a line either way. */
static void expect(struct drv_touch *t, enum drv_touch_gesture_type type, int32_t x, int32_t y)
{
	struct drv_touch_gesture g;
	int ret = drv_touch_read(t, 5000, &g);

	if (ret != 1) {
		printf("touch-probe: FAIL want %s %d,%d, got %s\n", drv_touch_gesture_name(type), x,
		       y, ret == 0 ? "nothing within 5 s" : strerror(-ret));
		failures++;
		return;
	}
	if (g.type != type || g.x != x || g.y != y) {
		printf("touch-probe: FAIL want %s %d,%d, got %s %d,%d\n", drv_touch_gesture_name(type),
		       x, y, drv_touch_gesture_name(g.type), g.x, g.y);
		failures++;
		return;
	}
	printf("touch-probe: ok %s %d,%d\n", drv_touch_gesture_name(g.type), g.x, g.y);
}

static int info(const char *name, uint32_t w, uint32_t h)
{
	struct drv_touch_axes a;
	struct drv_touch *t;
	uint16_t key;
	bool mt;
	int ret;

	ret = drv_touch_open(NULL, name, w, h, 0, 0, &t);
	if (ret) {
		printf("touch-probe: \"%s\": %s\n", name, strerror(-ret));
		return 1;
	}
	drv_touch_info(t, &a, &key, &mt);
	printf("touch-probe: \"%s\" at %s x=%d..%d y=%d..%d key=%s multitouch=%d screen=%ux%u\n",
	       name, drv_touch_path(t), a.x_min, a.x_max, a.y_min, a.y_max,
	       key == BTN_TOUCH ? "BTN_TOUCH" : "BTN_LEFT", mt, a.width, a.height);
	drv_touch_close(t);
	return 0;
}

/* The libevdev of the device named name (for its capabilities), or NULL. */
static struct libevdev *template_of(const char *name, int *fd)
{
	char path[64];

	for (int i = 0; i < 64; i++) {
		struct libevdev *dev = NULL;

		snprintf(path, sizeof(path), "/dev/input/event%d", i);
		*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (*fd < 0)
			continue;
		if (libevdev_new_from_fd(*fd, &dev) == 0 && strcmp(libevdev_get_name(dev), name) == 0)
			return dev;
		libevdev_free(dev);
		close(*fd);
	}
	return NULL;
}

static int inject_and_check(const char *name, uint32_t w, uint32_t h)
{
	struct inject in = { 0 };
	struct drv_touch *t = NULL;
	struct libevdev *tmpl;
	bool mt;
	int fd, ret;

	tmpl = template_of(name, &fd);
	if (!tmpl) {
		printf("touch-probe: no device \"%s\" to copy\n", name);
		return 1;
	}
	libevdev_set_name(tmpl, PROBE_NAME);
	ret = libevdev_uinput_create_from_device(tmpl, LIBEVDEV_UINPUT_OPEN_MANAGED, &in.ui);
	libevdev_free(tmpl);
	close(fd);
	if (ret) {
		printf("touch-probe: uinput: %s\n", strerror(-ret));
		return 1;
	}
	printf("touch-probe: uinput device \"%s\" at %s (capabilities of \"%s\")\n", PROBE_NAME,
	       libevdev_uinput_get_devnode(in.ui) ? libevdev_uinput_get_devnode(in.ui) : "?", name);
	/* devtmpfs makes the node shortly after the device: wait for it (up to
	 * 5 s), then open it by name like the firmware does. */
	for (int i = 0; i < 100; i++) {
		ret = drv_touch_open(NULL, PROBE_NAME, w, h, 0, LONG_PRESS_US, &t);
		if (ret != -ENODEV)
			break;
		sleep_ms(50);
	}
	if (ret) {
		printf("touch-probe: opening \"%s\" by name: %s\n", PROBE_NAME, strerror(-ret));
		libevdev_uinput_destroy(in.ui);
		return 1;
	}
	drv_touch_info(t, &in.axes, &in.key, &mt);
	printf("touch-probe: opened \"%s\" at %s\n", PROBE_NAME, drv_touch_path(t));

	press(&in, 480, 270);
	release(&in);
	expect(t, DRV_TOUCH_TAP, 480, 270);

	/* Held: the long press comes from the read's timer, before the release. */
	press(&in, 1500, 900);
	expect(t, DRV_TOUCH_LONG_PRESS, 1500, 900);
	release(&in);

	press(&in, 100, 100);
	move(&in, 300, 200);
	move(&in, 600, 400);
	release(&in);
	expect(t, DRV_TOUCH_DRAG_START, 100, 100);
	expect(t, DRV_TOUCH_DRAG_MOVE, 300, 200);
	expect(t, DRV_TOUCH_DRAG_MOVE, 600, 400);
	expect(t, DRV_TOUCH_DRAG_END, 600, 400);

	press(&in, (int32_t)w - 1, (int32_t)h - 1);
	release(&in);
	expect(t, DRV_TOUCH_TAP, (int32_t)w - 1, (int32_t)h - 1);

	/* Nothing else: not the long press's release, not a tap. */
	{
		struct drv_touch_gesture g;

		ret = drv_touch_read(t, 300, &g);
		if (ret != 0) {
			printf("touch-probe: FAIL an extra gesture: %s\n",
			       ret == 1 ? drv_touch_gesture_name(g.type) : strerror(-ret));
			failures++;
		}
	}
	drv_touch_close(t);
	libevdev_uinput_destroy(in.ui);
	printf("touch-probe: %d failures\n", failures);
	return failures ? 1 : 0;
}

static int host_tap(const char *name, uint32_t w, uint32_t h, const char *announce)
{
	/* Long: the host's two QMP commands must read as a tap even when the
	 * machine is loaded. */
	const uint64_t long_press_us = 3000000;
	int32_t x = (int32_t)(w * 2 / 3), y = (int32_t)(h / 4), rx, ry;
	struct drv_touch_gesture g;
	struct drv_touch_axes a;
	struct drv_touch *t;
	uint16_t key;
	FILE *f;
	bool mt;
	int ret;

	ret = drv_touch_open(NULL, name, w, h, 0, long_press_us, &t);
	if (ret) {
		printf("touch-probe: \"%s\": %s\n", name, strerror(-ret));
		return 1;
	}
	drv_touch_info(t, &a, &key, &mt);
	rx = raw_for(x, a.x_min, a.x_max, w);
	ry = raw_for(y, a.y_min, a.y_max, h);
	f = fopen(announce, "w");
	if (!f || fprintf(f, "sealroom: touch-probe: host, click at x=%d y=%d\n", rx, ry) < 0 ||
	    fclose(f)) {
		printf("touch-probe: %s: %s\n", announce, strerror(errno));
		drv_touch_close(t);
		return 1;
	}
	printf("touch-probe: asked the host for a click at tablet %d,%d (screen %d,%d)\n", rx, ry, x,
	       y);
	ret = drv_touch_read(t, 120000, &g);
	if (ret == 1 && g.type == DRV_TOUCH_TAP && g.x == x && g.y == y)
		printf("touch-probe: ok tap %d,%d from \"%s\"\n", g.x, g.y, name);
	else if (ret == 1)
		printf("touch-probe: FAIL want tap %d,%d, got %s %d,%d\n", x, y,
		       drv_touch_gesture_name(g.type), g.x, g.y);
	else
		printf("touch-probe: FAIL want tap %d,%d, got %s\n", x, y,
		       ret == 0 ? "nothing within 120 s" : strerror(-ret));
	drv_touch_close(t);
	return ret == 1 && g.type == DRV_TOUCH_TAP && g.x == x && g.y == y && !failures ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned long w, h;

	if (argc < 5 || !(w = strtoul(argv[3], NULL, 10)) || !(h = strtoul(argv[4], NULL, 10)) ||
	    w > 65535 || h > 65535)
		goto usage;
	if (strcmp(argv[1], "host-tap") == 0 && argc == 6)
		return host_tap(argv[2], (uint32_t)w, (uint32_t)h, argv[5]);
	if (argc != 5)
		goto usage;
	if (strcmp(argv[1], "info") == 0)
		return info(argv[2], (uint32_t)w, (uint32_t)h);
	if (strcmp(argv[1], "uinput") == 0)
		return inject_and_check(argv[2], (uint32_t)w, (uint32_t)h);
usage:
	fprintf(stderr, "usage: touch-probe info|uinput NAME WIDTH HEIGHT\n"
			"       touch-probe host-tap NAME WIDTH HEIGHT ANNOUNCE_FILE\n");
	return 2;
}
