// SPDX-License-Identifier: MIT
/*
 * The room display never shows a frame while it is being written: an
 * appsrc thread pushes frames that are wholly one colour, alternating
 * between two, into the room display's sink as fast as it takes them (so
 * that copies come back to back and captures fall inside them), while
 * the main thread captures the (soft) screen over and over, each capture a
 * commit of its own. Every capture's tile must be one colour from edge to
 * edge (black before the first frame, or one of the two), and both colours
 * must have been seen: a writer that wrote into the buffer a commit is
 * showing would leave captures with two colours in the tile. (On KMS the
 * other half of the protocol, not writing the old buffer until the flip
 * that replaces it is done, cannot be seen in a software composition.)
 * TAP output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "drv/display.h"
#include "gste2eeroomdisplay.h"

/* Frames come until CAPTURES captures are taken (FRAMES at most). */
#define FRAMES 1000000u
#define CAPTURES 1000u
#define SCREEN_W 640u
#define SCREEN_H 360u
static const uint32_t colours[2] = { 0x00c02020, 0x002020c0 };

static int n_tests;
static bool all_ok = true;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	all_ok &= ok;
}

struct feeder {
	GstAppSrc *src;
	guint w, h;
	guint pushed;
	gint done;
	gint stop; /* set by the capturing thread */
};

/*
 * Frames back to back: the two colours are made once and each frame shares
 * one's memory, so that the sink copies one frame right after the other and
 * captures fall inside copies (a filled buffer per frame left long gaps
 * between copies, in which a commit could never catch one half done).
 */
static gpointer feed(gpointer data)
{
	struct feeder *f = data;
	GstBuffer *made[2];

	for (int c = 0; c < 2; c++) {
		GstMapInfo m;

		made[c] = gst_buffer_new_allocate(NULL, (gsize)f->w * f->h * 4, NULL);
		gst_buffer_map(made[c], &m, GST_MAP_WRITE);
		for (gsize p = 0; p < (gsize)f->w * f->h; p++)
			((uint32_t *)m.data)[p] = colours[c];
		gst_buffer_unmap(made[c], &m);
	}
	for (guint i = 0; i < FRAMES && !g_atomic_int_get(&f->stop); i++) {
		GstBuffer *b = gst_buffer_copy(made[i & 1]); /* shares the memory */

		GST_BUFFER_PTS(b) = i * GST_SECOND / 30;
		if (gst_app_src_push_buffer(f->src, b) != GST_FLOW_OK)
			break;
		f->pushed++;
	}
	gst_buffer_unref(made[0]);
	gst_buffer_unref(made[1]);
	gst_app_src_end_of_stream(f->src);
	g_atomic_int_set(&f->done, 1);
	return NULL;
}

/* The tile's colour: one for all of it, or -1 when it has two. */
static int64_t tile_colour(const struct drv_display_image *img, const struct wm_rect *v)
{
	/* Inside the trust frame (a few pixels) on every row. */
	const int32_t inset = 8;
	uint32_t first = ((const uint32_t *)(img->data + (size_t)(v->y + inset) *
						   img->stride))[v->x + inset] & 0xffffff;

	for (int32_t y = v->y + inset; y < v->y + (int32_t)v->height - inset; y++) {
		const uint32_t *row = (const uint32_t *)(img->data + (size_t)y * img->stride);

		for (int32_t x = v->x + inset; x < v->x + (int32_t)v->width - inset; x += 7)
			if ((row[x] & 0xffffff) != first)
				return -1;
	}
	return first;
}

int main(int argc, char **argv)
{
	const GstE2eeRoomTile tile = { 1, "mavoj-pubip-gubad-gamiv", "Tear test",
				       WM_TRUST_VERIFIED };
	struct feeder f = { 0 };
	struct wm_rect video, label;
	GstE2eeRoomDisplay *d;
	GstElement *p, *sink;
	GError *err = NULL;
	struct drv_display_image screen;
	gchar *desc, *sinkdesc;
	guint seen[3] = { 0 }, torn = 0, failed = 0, captures = 0;
	GThread *t;

	gst_init(&argc, &argv);
	d = gst_e2ee_room_display_new("soft", SCREEN_W, SCREEN_H, &tile, 1, WM_E2EE_ON, &err);
	tap(d != NULL, "soft room display of one tile (%s)", d ? "ok" : err->message);
	if (!d)
		return 1;
	gst_e2ee_room_display_tile(d, 0, &video, &label);
	sinkdesc = gst_e2ee_room_display_sink_description(d, 0, "sink");
	desc = g_strdup_printf("appsrc name=src format=time is-live=false block=true "
			       "max-bytes=%u caps=video/x-raw,format=BGRx,width=%u,height=%u,"
			       "framerate=30/1 ! %s",
			       video.width * video.height * 8, video.width, video.height,
			       sinkdesc);
	p = gst_parse_launch(desc, &err);
	g_free(desc);
	g_free(sinkdesc);
	tap(p != NULL, "appsrc ! the room display's sink");
	if (!p)
		return 1;
	sink = gst_bin_get_by_name(GST_BIN(p), "sink");
	gst_e2ee_room_display_attach(d, 0, sink);
	gst_object_unref(sink);
	f.src = GST_APP_SRC(gst_bin_get_by_name(GST_BIN(p), "src"));
	f.w = video.width;
	f.h = video.height;
	gst_element_set_state(p, GST_STATE_PLAYING);
	t = g_thread_new("feeder", feed, &f);

	screen = (struct drv_display_image){ g_malloc(SCREEN_W * SCREEN_H * 4), SCREEN_W,
					     SCREEN_H, SCREEN_W * 4, DRM_FORMAT_XRGB8888 };
	/* While frames come; at most CAPTURES. */
	while (!g_atomic_int_get(&f.done) && captures < CAPTURES) {
		int64_t c;

		captures++;
		if (gst_e2ee_room_display_capture_image(d, &screen)) {
			failed++;
			continue;
		}
		c = tile_colour(&screen, &video);
		if (c < 0)
			torn++;
		else
			seen[c == colours[0] ? 0 : c == colours[1] ? 1 : 2]++;
	}
	g_atomic_int_set(&f.stop, 1);
	g_thread_join(t);
	g_free(screen.data);

	printf("# %u frames pushed, %u shown, %u commits; captures: %u torn, %u red, %u blue, "
	       "%u other (black before the first frame), %u failed\n",
	       f.pushed, gst_e2ee_room_display_frames(d, 0), gst_e2ee_room_display_commits(d),
	       torn, seen[0], seen[1], seen[2], failed);
	tap(failed == 0 && captures >= 50, "%u captures taken while frames came (at least 50)",
	    captures);
	tap(torn == 0, "no capture shows a tile of two colours (%u torn)", torn);
	tap(seen[0] > 0 && seen[1] > 0,
	    "both colours were on screen (%u and %u captures): frames changed under the captures",
	    seen[0], seen[1]);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(f.src);
	gst_object_unref(p);
	gst_e2ee_room_display_free(d);
	printf("1..%d\n", n_tests);
	return all_ok ? 0 : 1;
}
