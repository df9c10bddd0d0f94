// SPDX-License-Identifier: MIT
/*
 * bench-room-display: what the room display (pipeline/gste2eeroomdisplay.c)
 * costs per video frame, on the host's "soft" display (a 1920x1080 screen
 * in memory: every commit composites the tile and the overlay, which a KMS
 * device with planes does not have to do).
 *
 * Two pipelines of FRAMES frames of videotestsrc at the tile's size in BGRx:
 *   1. ... ! fakesink                         (the baseline)
 *   2. ... ! the room display's sink (appsink) (copy into the tile's back
 *      buffer, the display thread's commit)
 * and per pipeline, over the middle 60 % of the frames, the malloc family's
 * calls by every thread (GLib's slices included: G_SLICE=always-malloc, as
 * bench-media; the main thread only waits on the bus meanwhile) and the
 * process's CPU time.
 * Prints one line:
 *   room-display: screen=1920x1080 tile=WxH frames=N shown=S
 *   allocs_per_frame=A baseline_allocs_per_frame=B display_us_per_frame=D
 *   baseline_us_per_frame=E ratio=D/E
 * Exit 0 when it measured, 1 when something is broken. Never fails on speed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <gst/gst.h>

#include "alloc_count.h"
#include "gste2eeroomdisplay.h"

#define FRAMES 300u
#define CODEWORD "mavoj-pubip-gubad-gamiv"

struct window {
	guint frames;
	long allocs_at_start, allocs;
	double cpu_at_start, cpu;
};

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* On the sink pad: the window is frames FRAMES/5 .. FRAMES*4/5. */
static GstPadProbeReturn count(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct window *w = data;

	w->frames++;
	if (w->frames == FRAMES / 5) {
		w->allocs_at_start = tu_allocs();
		w->cpu_at_start = cpu_seconds();
	} else if (w->frames == FRAMES * 4 / 5) {
		w->allocs = tu_allocs() - w->allocs_at_start;
		w->cpu = cpu_seconds() - w->cpu_at_start;
	}
	return GST_PAD_PROBE_OK;
}

/* Runs desc to EOS with the probe on "sink"'s pad; 0 or -1. */
static int run(const char *desc, GstE2eeRoomDisplay *d, struct window *w)
{
	GError *err = NULL;
	GstElement *p = gst_parse_launch(desc, &err), *sink;
	GstPad *pad;
	GstBus *bus;
	GstMessage *msg;
	int ret = -1;

	if (!p) {
		fprintf(stderr, "bench-room-display: %s\n", err ? err->message : "?");
		g_clear_error(&err);
		return -1;
	}
	sink = gst_bin_get_by_name(GST_BIN(p), "sink");
	if (d)
		gst_e2ee_room_display_attach(d, 0, sink);
	pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count, w, NULL);
	gst_object_unref(pad);
	gst_object_unref(sink);
	bus = gst_element_get_bus(p);
	gst_element_set_state(p, GST_STATE_PLAYING);
	msg = gst_bus_timed_pop_filtered(bus, 300 * GST_SECOND,
					 GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS && w->frames == FRAMES)
		ret = 0;
	else
		fprintf(stderr, "bench-room-display: %u of %u frames, %s\n", w->frames, FRAMES,
			msg ? GST_MESSAGE_TYPE_NAME(msg) : "timeout");
	if (msg)
		gst_message_unref(msg);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(bus);
	gst_object_unref(p);
	return ret;
}

int main(int argc, char **argv)
{
	const GstE2eeRoomTile tile = { 1, CODEWORD, "Bench", WM_TRUST_VERIFIED };
	struct window base = { 0 }, disp = { 0 };
	struct wm_rect video, label;
	GstE2eeRoomDisplay *d;
	GError *err = NULL;
	gchar *src, *desc, *sinkdesc;
	guint shown, n = FRAMES * 3 / 5;
	int status = 1;

	/* As bench-media: GLib 2.74's slices through malloc too. */
	if (!getenv("G_SLICE")) {
		setenv("G_SLICE", "always-malloc", 1);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "bench-room-display: cannot re-execute with G_SLICE=always-malloc "
				"(%s)\n",
			strerror(errno));
	}
	gst_init(&argc, &argv);
	/* The counter counts (a zero below must mean something). */
	{
		long before = tu_allocs();
		gchar *probe = g_strdup_printf("%u", FRAMES);
		GstBuffer *b = gst_buffer_new();

		gst_buffer_unref(b);
		g_free(probe);
		if (tu_allocs() - before < 2) {
			fprintf(stderr, "bench-room-display: allocations are not counted\n");
			return 1;
		}
	}
	d = gst_e2ee_room_display_new("soft", 1920, 1080, &tile, 1, WM_E2EE_ON, &err);
	if (!d) {
		fprintf(stderr, "bench-room-display: %s\n", err->message);
		g_clear_error(&err);
		return 1;
	}
	gst_e2ee_room_display_tile(d, 0, &video, &label);
	src = g_strdup_printf("videotestsrc num-buffers=%u pattern=smpte ! "
			      "video/x-raw,format=BGRx,width=%u,height=%u,framerate=30/1 ! ",
			      FRAMES, video.width, video.height);
	desc = g_strconcat(src, "fakesink name=sink sync=false", NULL);
	if (run(desc, NULL, &base))
		goto out;
	g_free(desc);
	sinkdesc = gst_e2ee_room_display_sink_description(d, 0, "sink");
	desc = g_strconcat(src, sinkdesc, NULL);
	g_free(sinkdesc);
	if (run(desc, d, &disp))
		goto out;
	shown = gst_e2ee_room_display_frames(d, 0);
	printf("room-display: screen=1920x1080 tile=%ux%u frames=%u shown=%u "
	       "allocs_per_frame=%.2f baseline_allocs_per_frame=%.2f display_us_per_frame=%.0f "
	       "baseline_us_per_frame=%.0f ratio=%.1f\n",
	       video.width, video.height, FRAMES, shown, (double)disp.allocs / n,
	       (double)base.allocs / n, disp.cpu * 1e6 / n, base.cpu * 1e6 / n,
	       base.cpu > 0 ? disp.cpu / base.cpu : 0);
	status = 0;
out:
	g_free(desc);
	g_free(src);
	gst_e2ee_room_display_free(d);
	return status;
}
