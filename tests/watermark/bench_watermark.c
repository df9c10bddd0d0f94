// SPDX-License-Identifier: MIT
/*
 * codewordoverlay at 4K: the time per frame of burning the label in (in
 * place, through a GstHarness) against a plain copy of the same frame,
 * measured in the same run. One line per format:
 *
 *   watermark: format=I420 width=3840 height=2160 overlay_us_per_frame=...
 *     copy_us_per_frame=... ratio=... first_frame_us=...
 *
 * first_frame_us includes rendering the label and converting it to the
 * frame's format, which happens once per codeword, size or caps change.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define WIDTH 3840
#define HEIGHT 2160
#define FRAMES 300

static double
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
bench (const gchar * format)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, WIDTH, HEIGHT);
  GstHarness *h = gst_harness_new ("codewordoverlay");
  GstVideoInfo info;
  GstCaps *c = gst_caps_from_string (caps);
  GstBuffer *buf, *dst;
  GstMapInfo m, d;
  double t0, first, overlay, copy;
  volatile guint8 sink = 0;

  if (!gst_video_info_from_caps (&info, c))
    return 1;
  gst_caps_unref (c);
  g_object_set (h->element, "codeword", "mavoj-pubip-gubad-gamiv", "caption",
      "E2EE on", NULL);
  gst_harness_set_src_caps_str (h, caps);

  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (buf, 0, 0x80, GST_VIDEO_INFO_SIZE (&info));
  t0 = now_us ();
  if (gst_harness_push (h, buf) != GST_FLOW_OK)
    return 1;
  buf = gst_harness_pull (h);
  first = now_us () - t0;

  /* The only reference comes back each time, so the element works in place. */
  t0 = now_us ();
  for (int i = 0; i < FRAMES; i++) {
    if (gst_harness_push (h, buf) != GST_FLOW_OK)
      return 1;
    buf = gst_harness_pull (h);
  }
  overlay = (now_us () - t0) / FRAMES;

  dst = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_map (buf, &m, GST_MAP_READ);
  gst_buffer_map (dst, &d, GST_MAP_WRITE);
  memset (d.data, 0, d.size);
  t0 = now_us ();
  for (int i = 0; i < FRAMES; i++) {
    memcpy (d.data, m.data, m.size);
    sink ^= d.data[i % d.size];
  }
  copy = (now_us () - t0) / FRAMES;
  gst_buffer_unmap (dst, &d);
  gst_buffer_unmap (buf, &m);
  (void) sink;

  printf ("watermark: format=%s width=%d height=%d overlay_us_per_frame=%.1f "
      "copy_us_per_frame=%.1f ratio=%.3f first_frame_us=%.0f\n", format,
      WIDTH, HEIGHT, overlay, copy, overlay / copy, first);
  gst_buffer_unref (dst);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
  g_free (caps);
  return 0;
}

int
main (int argc, char **argv)
{
  int ret = 0;

  gst_init (&argc, &argv);
#ifdef WM_PLUGIN_FILE
  {
    GError *err = NULL;
    GstPlugin *p = gst_plugin_load_file (WM_PLUGIN_FILE, &err);

    if (!p) {
      fprintf (stderr, "bench-watermark: %s\n", err ? err->message : "?");
      return 1;
    }
    gst_object_unref (p);
  }
#endif
  ret |= bench ("I420");
  ret |= bench ("NV12");
  ret |= bench ("BGRx");
  return ret;
}
