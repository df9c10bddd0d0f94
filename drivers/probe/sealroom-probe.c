// SPDX-License-Identifier: MIT
/*
 * sealroom-probe: checks the board file against what the kernel offers.
 *
 *   sealroom-probe [--board FILE]   (default /etc/sealroom/board)
 *   sealroom-probe --list           the V4L2 nodes, classified
 *
 * One line per check, "sealroom-probe: ok WHAT: ..." or
 * "sealroom-probe: FAIL WHAT: ..." (WHAT is camera, display, touch, encoder
 * or decoder), then a summary. Exit 0 when everything the board names is
 * there, 1 when something is not, 2 when the board file cannot be read or
 * parsed (usage errors too).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <drm_fourcc.h>
#include <linux/input.h>

#include "board/board.h"
#include "drv/display.h"
#include "drv/touch.h"
#include "drv/v4l2.h"

static struct board board;
static struct drv_v4l2_device devs[DRV_V4L2_MAX_DEVICES];
static int n_devs;
static unsigned int checks, failed;

__attribute__((format(printf, 3, 4))) static void report(bool ok, const char *what,
							 const char *fmt, ...)
{
	va_list ap;

	checks++;
	failed += !ok;
	printf("sealroom-probe: %s %s: ", ok ? "ok" : "FAIL", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A board key the check needs; reports its absence. */
static const char *need(const char *what, const char *key)
{
	const char *v = board_get(&board, key);

	if (!v || !v[0]) {
		report(false, what, "the board names no %s", key);
		return NULL;
	}
	return v;
}

static bool dimension(const char *what, const char *key, uint32_t *out)
{
	const char *v = need(what, key);

	if (v && board_parse_u32(v, strlen(v), 65535, out) == 0 && *out)
		return true;
	if (v)
		report(false, what, "%s=\"%s\" is not a size in pixels", key, v);
	return false;
}

/* The first word of an element description ("x264enc tune=..."). */
static void element_name(const char *desc, char *out, size_t n)
{
	size_t len = strcspn(desc, " \t");

	if (len >= n)
		len = n - 1;
	memcpy(out, desc, len);
	out[len] = 0;
}

static void check_camera(void)
{
	const char *driver = need("camera", "camera_driver");
	const char *caps_s = need("camera", "camera_caps");
	struct board_caps caps;
	uint32_t fourcc = 0, found;
	bool compressed = false, any = false;
	char fcc[5];

	if (!driver || !caps_s)
		return;
	if (board_parse_caps(caps_s, &caps)) {
		report(false, "camera", "camera_caps \"%s\" is not media/type,width=,height=,framerate=",
		       caps_s);
		return;
	}
	if (strcmp(caps.media_type, "image/jpeg") == 0) {
		compressed = true;
		fourcc = V4L2_PIX_FMT_MJPEG;
	} else if (strcmp(caps.media_type, "video/x-raw") != 0) {
		report(false, "camera", "camera_caps media type %s is not checked (video/x-raw or image/jpeg)",
		       caps.media_type);
		return;
	} else if (caps.format[0] && !(fourcc = drv_v4l2_gst_format(caps.format))) {
		report(false, "camera", "camera_caps format %s has no V4L2 equivalent here", caps.format);
		return;
	}
	for (int i = 0; i < n_devs; i++) {
		const struct drv_v4l2_device *d = &devs[i];
		int ret;

		if (d->kind != DRV_V4L2_CAPTURE || strcmp(d->driver, driver) != 0)
			continue;
		any = true;
		ret = drv_v4l2_offers(d->path, fourcc, compressed, caps.width, caps.height,
				      caps.fps_num, caps.fps_den, &found);
		if (ret == 0) {
			report(true, "camera", "%s at %s offers %s %ux%u at %u/%u fps", driver, d->path,
			       drv_v4l2_fourcc_str(found, fcc), caps.width, caps.height, caps.fps_num,
			       caps.fps_den);
			return;
		}
		if (ret != -ENOENT) {
			report(false, "camera", "%s: %s", d->path, strerror(-ret));
			return;
		}
	}
	if (!any)
		report(false, "camera", "no V4L2 capture device of driver %s", driver);
	else
		report(false, "camera", "%s offers no %s%s%ux%u at %u/%u fps (camera_caps %s)", driver,
		       caps.format[0] ? caps.format : compressed ? "MJPEG" : "raw format",
		       " ", caps.width, caps.height, caps.fps_num, caps.fps_den, caps_s);
}

static void check_display(void)
{
	const char *path = need("display", "display_device");
	const char *driver = need("display", "display_driver");
	const char *planes_s = need("display", "display_planes");
	const char *ofmt = need("display", "display_overlay_format");
	const char *wb_s = need("display", "display_writeback");
	const struct drv_display_plane_info *pl;
	unsigned int have[3] = { 0 }, argb = 0, crtc;
	struct board_planes want;
	struct drv_display *d;
	uint32_t w, h, wb;
	size_t n;
	int ret;

	if (!dimension("display", "screen_width", &w) || !dimension("display", "screen_height", &h) ||
	    !path || !driver || !planes_s || !ofmt || !wb_s)
		return;
	if (board_parse_planes(planes_s, &want)) {
		report(false, "display", "display_planes \"%s\" is not primary=N overlay=N cursor=N",
		       planes_s);
		return;
	}
	if (board_parse_u32(wb_s, strlen(wb_s), 1, &wb)) {
		report(false, "display", "display_writeback \"%s\" is not 0 or 1", wb_s);
		return;
	}
	if (strcmp(ofmt, "ARGB8888") != 0) {
		report(false, "display", "display_overlay_format %s is not checked (ARGB8888)", ofmt);
		return;
	}
	ret = drv_display_open(path, w, h, &d);
	if (ret) {
		report(false, "display", "%s: %s%s", path, strerror(-ret),
		       ret == -ENODEV ? " (no connected output with a mode of the screen's size)" : "");
		return;
	}
	pl = drv_display_planes(d, &n, &crtc);
	for (size_t i = 0; i < n; i++) {
		if (!(pl[i].possible_crtcs & (1u << crtc)) || pl[i].type > DRV_DISPLAY_PLANE_CURSOR)
			continue;
		have[pl[i].type]++;
		argb += pl[i].type == DRV_DISPLAY_PLANE_OVERLAY && pl[i].argb8888;
	}
	if (strcmp(drv_display_driver(d), driver) != 0)
		report(false, "display", "%s is driven by %s, the board names %s", path,
		       drv_display_driver(d), driver);
	else
		report(true, "display", "%s is %s with a %ux%u mode", path, driver, w, h);
	/* The board names the planes the firmware may use: the kernel must
	 * offer at least those (for the CRTC that drives the screen). */
	if (have[DRV_DISPLAY_PLANE_PRIMARY] < want.primary ||
	    have[DRV_DISPLAY_PLANE_OVERLAY] < want.overlay ||
	    have[DRV_DISPLAY_PLANE_CURSOR] < want.cursor || argb < want.overlay)
		report(false, "display",
		       "planes primary=%u overlay=%u (ARGB8888: %u) cursor=%u, the board names %s",
		       have[1], have[0], argb, have[2], planes_s);
	else
		report(true, "display", "planes primary=%u overlay=%u (ARGB8888: %u) cursor=%u", have[1],
		       have[0], argb, have[2]);
	if (wb && !drv_display_has_writeback(d))
		report(false, "display", "no writeback connector (display_writeback=1)");
	else
		report(true, "display", "writeback %s", drv_display_has_writeback(d) ? "present" : "not needed");
	drv_display_close(d);
}

static void check_touch(void)
{
	const char *name = need("touch", "touch_name");
	struct drv_touch_axes a;
	struct drv_touch *t;
	uint32_t w, h;
	uint16_t key;
	bool mt;
	int ret;

	if (!name || !dimension("touch", "screen_width", &w) || !dimension("touch", "screen_height", &h))
		return;
	ret = drv_touch_open(NULL, name, w, h, 0, 0, &t);
	if (ret) {
		report(false, "touch", "\"%s\": %s", name,
		       ret == -ENODEV	? "no input device of that name"
		       : ret == -ENOTSUP ? "not an absolute pointer (ABS_X, ABS_Y, BTN_TOUCH or BTN_LEFT)"
					 : strerror(-ret));
		return;
	}
	drv_touch_info(t, &a, &key, &mt);
	report(true, "touch", "\"%s\" at %s, x %d..%d, y %d..%d, %s%s", name, drv_touch_path(t),
	       a.x_min, a.x_max, a.y_min, a.y_max, key == BTN_TOUCH ? "BTN_TOUCH" : "BTN_LEFT",
	       mt ? ", multitouch" : "");
	drv_touch_close(t);
}

/* Elements that run on the CPU: no kernel device to find. */
static bool software_element(const char *e)
{
	static const char *const sw[] = { "x264enc", "x265enc", "openh264enc", "openh264dec",
					   "vp8enc", "vp8dec", "vp9enc", "vp9dec", "dav1ddec",
					   "av1enc", "av1dec", "theoraenc", "theoradec", "jpegenc",
					   "jpegdec" };

	if (strncmp(e, "avdec_", 6) == 0 || strncmp(e, "avenc_", 6) == 0)
		return true;
	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
		if (strcmp(e, sw[i]) == 0)
			return true;
	return false;
}

static void check_codec(const char *what, const char *key)
{
	const char *desc = need(what, key), *node;
	enum drv_v4l2_role role;
	char e[64], fcc[5];
	uint32_t fourcc;
	struct stat st;

	if (!desc)
		return;
	element_name(desc, e, sizeof(e));
	if (drv_v4l2_element_codec(e, &role, &fourcc) == 0) {
		for (int i = 0; i < n_devs; i++) {
			const struct drv_v4l2_device *d = &devs[i];
			bool has = role == DRV_V4L2_ENCODER
					   ? drv_v4l2_has_format(d->capture, d->n_capture, fourcc)
					   : drv_v4l2_has_format(d->output, d->n_output, fourcc);

			if (d->kind == DRV_V4L2_M2M && d->role == role && has) {
				report(true, what, "%s: V4L2 m2m %s %s (%s) at %s", e,
				       drv_v4l2_role_name(role), drv_v4l2_fourcc_str(fourcc, fcc),
				       d->driver, d->path);
				return;
			}
		}
		report(false, what, "%s needs a V4L2 m2m %s of %s: none found", e,
		       drv_v4l2_role_name(role), drv_v4l2_fourcc_str(fourcc, fcc));
		return;
	}
	if (software_element(e)) {
		report(true, what, "%s is a software codec: no kernel device needed", e);
		return;
	}
	/* A vendor element (Rockchip MPP, ...): the board names its device. */
	node = board_get(&board, "codec_device");
	if (!node || !node[0]) {
		report(false, what, "%s is neither a V4L2 codec element nor a known software one; "
				    "the board names no codec_device",
		       e);
		return;
	}
	if (stat(node, &st) == 0 && S_ISCHR(st.st_mode))
		report(true, what, "%s: vendor codec, its device %s is present", e, node);
	else
		report(false, what, "%s: vendor codec, its device %s is missing", e, node);
}

static void list(void)
{
	char fcc[5];

	for (int i = 0; i < n_devs; i++) {
		const struct drv_v4l2_device *d = &devs[i];

		printf("%s driver=%s card=\"%s\" caps=0x%08x device_caps=0x%08x kind=%s%s role=%s",
		       d->path, d->driver, d->card, d->capabilities, d->device_caps,
		       drv_v4l2_kind_name(d->kind), d->mplane ? "-mplane" : "",
		       drv_v4l2_role_name(d->role));
		printf(" capture=");
		for (size_t j = 0; j < d->n_capture; j++)
			printf("%s%s%s", j ? "," : "", drv_v4l2_fourcc_str(d->capture[j].fourcc, fcc),
			       d->capture[j].flags & V4L2_FMT_FLAG_COMPRESSED ? "*" : "");
		printf(" output=");
		for (size_t j = 0; j < d->n_output; j++)
			printf("%s%s%s", j ? "," : "", drv_v4l2_fourcc_str(d->output[j].fourcc, fcc),
			       d->output[j].flags & V4L2_FMT_FLAG_COMPRESSED ? "*" : "");
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	const char *path = "/etc/sealroom/board";
	unsigned int line = 0;
	int ret;

	n_devs = drv_v4l2_enumerate(NULL, devs, DRV_V4L2_MAX_DEVICES);
	if (n_devs < 0)
		n_devs = 0;
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		list();
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--board") == 0)
		path = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: sealroom-probe [--board FILE] | --list\n");
		return 2;
	}
	ret = board_load(path, &board, &line);
	if (ret) {
		printf("sealroom-probe: FAIL board: %s line %u: %s\n", path, line, board_strerror(ret));
		return 2;
	}
	printf("sealroom-probe: board %s (%s), %d V4L2 nodes\n", path,
	       board_get(&board, "board_name") ? board_get(&board, "board_name") : "?", n_devs);
	check_camera();
	check_display();
	check_touch();
	check_codec("encoder", "video_encoder");
	check_codec("decoder", "video_decoder");
	printf("sealroom-probe: %u checks, %u failed\n", checks, failed);
	return failed ? 1 : 0;
}
