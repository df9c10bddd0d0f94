// SPDX-License-Identifier: MIT
/*
 * codewordoverlay with GstHarness: the burned label against golden PNGs
 * (720p I420 and NV12, 4K NV12), only the label's rectangle changed, the
 * text present, junk refused, caps changes, pass-through.
 *
 * YUV goldens are grey images of the label's area plus a margin: the Y crop
 * on top, the U and V crops side by side under it, one byte a grey pixel.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "wm/label.h"
#include "wm_golden.h"

#define ZERO_KEY_HEX "0000000000000000000000000000000000000000000000000000000000000000"
#define ZERO_KEY_CODEWORD "mavoj-pubip-gubad-gamiv"
#define MARGIN 8

typedef struct
{
  guint x, y, w, h;
} Rect;

/* A known frame: gradients and bars, so that the label sits on busy video. */
static GstBuffer *
known_frame (const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info),
      NULL);
  guint w = GST_VIDEO_INFO_WIDTH (info), h = GST_VIDEO_INFO_HEIGHT (info);
  GstVideoFrame f;

  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  for (guint y = 0; y < h; y++) {
    for (guint x = 0; x < w; x++) {
      guint8 luma = (x / 40) % 4 == 3 ? 235 : 16 + (x + y) * 219 / (w + h);

      if (GST_VIDEO_INFO_IS_RGB (info)) {
        guint8 *p = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0)
            + y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0) + 4 * x;

        p[GST_VIDEO_FRAME_COMP_POFFSET (&f, 0)] = luma;
        p[GST_VIDEO_FRAME_COMP_POFFSET (&f, 1)] = (guint8) (255 - luma);
        p[GST_VIDEO_FRAME_COMP_POFFSET (&f, 2)] = (guint8) (x * 255 / w);
        p[6 - GST_VIDEO_FRAME_COMP_POFFSET (&f, 0)
            - GST_VIDEO_FRAME_COMP_POFFSET (&f, 1)
            - GST_VIDEO_FRAME_COMP_POFFSET (&f, 2)] = 0x5a;
      } else {
        ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, 0))[y *
            GST_VIDEO_FRAME_COMP_STRIDE (&f, 0) + x] = luma;
        if (x % 2 == 0 && y % 2 == 0) {
          guint cx = x / 2, cy = y / 2;
          guint8 *u = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, 1)
              + cy * GST_VIDEO_FRAME_COMP_STRIDE (&f, 1)
              + cx * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, 1);
          guint8 *v = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, 2)
              + cy * GST_VIDEO_FRAME_COMP_STRIDE (&f, 2)
              + cx * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, 2);

          *u = (guint8) (64 + (cx * 128 / (w / 2)));
          *v = (guint8) (192 - (cy * 128 / (h / 2)));
        }
      }
    }
  }
  gst_video_frame_unmap (&f);
  return buf;
}

/* Where the element documents the label goes: x, y of the room left. */
static Rect
expected_rect (guint fw, guint fh, const gchar * caption, gdouble fx,
    gdouble fy, gdouble scale)
{
  struct wm_renderer *r = NULL;
  struct wm_label label = { ZERO_KEY_CODEWORD, caption };
  guint32 w, h;
  Rect rect;

  fail_unless_equals_int (wm_renderer_new (&r), 0);
  fail_unless_equals_int (wm_measure (r, &label, (guint32) lrint (fh * scale),
          &w, &h), 0);
  wm_renderer_free (r);
  rect.x = fw > w ? (guint) lrint (fx * (fw - w)) & ~1u : 0;
  rect.y = fh > h ? (guint) lrint (fy * (fh - h)) & ~1u : 0;
  rect.w = MIN (w, fw - rect.x);
  rect.h = MIN (h, fh - rect.y);
  return rect;
}

static GstHarness *
new_harness (const gchar * caps, const gchar * caption)
{
  GstHarness *h = gst_harness_new ("codewordoverlay");

  g_object_set (h->element, "codeword", ZERO_KEY_CODEWORD, "caption", caption,
      NULL);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

static GstBuffer *
push_pull (GstHarness * h, GstBuffer * in)
{
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  return gst_harness_pull (h);
}

static void
info_from (GstVideoInfo * info, const gchar * caps_str)
{
  GstCaps *caps = gst_caps_from_string (caps_str);

  fail_unless (gst_video_info_from_caps (info, caps));
  gst_caps_unref (caps);
}

/*
 * Compares every plane byte of out and in: outside r they must be equal;
 * returns the bounding box of the changed pixels (in luma or RGB pixels).
 */
static Rect
changed_box (const GstVideoInfo * info, GstBuffer * in, GstBuffer * out,
    Rect r)
{
  GstVideoFrame a, b;
  guint minx = G_MAXUINT, miny = G_MAXUINT, maxx = 0, maxy = 0;
  Rect box = { 0, 0, 0, 0 };

  fail_unless (gst_video_frame_map (&a, (GstVideoInfo *) info, in,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&b, (GstVideoInfo *) info, out,
          GST_MAP_READ));
  for (guint c = 0; c < GST_VIDEO_INFO_N_COMPONENTS (info); c++) {
    guint cw = GST_VIDEO_FRAME_COMP_WIDTH (&a, c);
    guint ch = GST_VIDEO_FRAME_COMP_HEIGHT (&a, c);
    guint ws = GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, c);
    guint hs = GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, c);
    guint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&a, c);

    for (guint y = 0; y < ch; y++) {
      const guint8 *pa = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&a, c)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (&a, c);
      const guint8 *pb = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&b, c)
          + y * GST_VIDEO_FRAME_COMP_STRIDE (&b, c);

      for (guint x = 0; x < cw; x++) {
        guint lx = x << ws, ly = y << hs;
        gboolean inside = lx >= r.x && lx < r.x + r.w && ly >= r.y
            && ly < r.y + r.h;

        if (pa[x * ps] == pb[x * ps])
          continue;
        if (!inside)
          fail ("component %u changed at %u,%u, outside the label %u,%u %ux%u",
              c, x, y, r.x, r.y, r.w, r.h);
        if (c == 0) {
          minx = MIN (minx, x);
          miny = MIN (miny, y);
          maxx = MAX (maxx, x);
          maxy = MAX (maxy, y);
        }
      }
    }
  }
  /* Padding bytes of the RGB formats and between planes: untouched too. */
  if (GST_VIDEO_INFO_IS_RGB (info)) {
    for (guint y = 0; y < (guint) GST_VIDEO_INFO_HEIGHT (info); y++) {
      const guint8 *pa = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&a, 0)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&a, 0);
      const guint8 *pb = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&b, 0)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&b, 0);

      for (guint x = 0; x < (guint) GST_VIDEO_INFO_WIDTH (info); x++)
        for (guint k = 0; k < 4; k++)
          if (pa[4 * x + k] != pb[4 * x + k] && (x < r.x || x >= r.x + r.w
                  || y < r.y || y >= r.y + r.h))
            fail ("byte %u of pixel %u,%u changed", k, x, y);
    }
  }
  gst_video_frame_unmap (&a);
  gst_video_frame_unmap (&b);
  if (maxx >= minx) {
    box.x = minx;
    box.y = miny;
    box.w = maxx - minx + 1;
    box.h = maxy - miny + 1;
  }
  return box;
}

/*
 * The text is there: in the label's area, luma (or green) much darker than
 * the input on the backing, and bright text pixels.
 */
static void
check_text_present (const GstVideoInfo * info, GstBuffer * in,
    GstBuffer * out, Rect r)
{
  GstVideoFrame a, b;
  guint darker = 0, bright = 0, n = r.w * r.h;
  gint comp = GST_VIDEO_INFO_IS_RGB (info) ? GST_VIDEO_COMP_G : 0;

  fail_unless (gst_video_frame_map (&a, (GstVideoInfo *) info, in,
          GST_MAP_READ));
  fail_unless (gst_video_frame_map (&b, (GstVideoInfo *) info, out,
          GST_MAP_READ));
  for (guint y = r.y; y < r.y + r.h; y++) {
    for (guint x = r.x; x < r.x + r.w; x++) {
      gsize o = y * GST_VIDEO_FRAME_COMP_STRIDE (&a, comp)
          + x * GST_VIDEO_FRAME_COMP_PSTRIDE (&a, comp);
      gint va = ((const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&a, comp))[o];
      gint vb = ((const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&b, comp))[o];

      darker += vb <= va / 2 + 16;
      bright += vb >= 200;
    }
  }
  gst_video_frame_unmap (&a);
  gst_video_frame_unmap (&b);
  fail_unless (darker > n / 2, "backing: %u of %u pixels darker", darker, n);
  fail_unless (bright > n / 20, "text: %u of %u pixels bright", bright, n);
}

/* The label's area of a 4:2:0 frame as a grey image (see the top). */
static void
check_golden_yuv (const gchar * name, const GstVideoInfo * info,
    GstBuffer * out, Rect r)
{
  guint x0 = r.x >= MARGIN ? r.x - MARGIN : 0;
  guint y0 = r.y >= MARGIN ? r.y - MARGIN : 0;
  guint w = MIN (r.x + r.w + MARGIN, (guint) GST_VIDEO_INFO_WIDTH (info)) - x0;
  guint h = MIN (r.y + r.h + MARGIN, (guint) GST_VIDEO_INFO_HEIGHT (info)) - y0;
  guint gh = h + h / 2, stride = w * 4;
  guint32 *img = g_new0 (guint32, (gsize) w * gh);
  GstVideoFrame f;
  gchar msg[8192];

  fail_unless (x0 % 2 == 0 && y0 % 2 == 0 && w % 2 == 0 && h % 2 == 0);
  fail_unless (gst_video_frame_map (&f, (GstVideoInfo *) info, out,
          GST_MAP_READ));
  for (guint y = 0; y < gh; y++) {
    for (guint x = 0; x < w; x++) {
      guint c = y < h ? 0 : x < w / 2 ? 1 : 2;
      guint sx = c == 0 ? x0 + x : x0 / 2 + x % (w / 2);
      guint sy = c == 0 ? y0 + y : y0 / 2 + (y - h);
      guint8 v = ((const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f, c))[sy *
          GST_VIDEO_FRAME_COMP_STRIDE (&f, c) +
          sx * GST_VIDEO_FRAME_COMP_PSTRIDE (&f, c)];

      img[(gsize) y * w + x] = 0xff000000u | v << 16 | v << 8 | v;
    }
  }
  gst_video_frame_unmap (&f);
  if (wmt_golden_check (name, (const guint8 *) img, w, gh, stride, msg,
          sizeof (msg)))
    fail ("%s", msg);
  g_free (img);
}

static void
run_frame (const gchar * caps, const gchar * golden, Rect * rect_out)
{
  GstVideoInfo info;
  GstHarness *h = new_harness (caps, "E2EE on");
  GstBuffer *in, *ref, *out;
  Rect r, box;

  info_from (&info, caps);
  r = expected_rect (GST_VIDEO_INFO_WIDTH (&info),
      GST_VIDEO_INFO_HEIGHT (&info), "E2EE on", 0.98, 0.95, 1.0);
  in = known_frame (&info);
  ref = gst_buffer_copy_deep (in);
  out = push_pull (h, in);
  box = changed_box (&info, ref, out, r);
  /* The backing covers the whole rectangle but its rounded corners. */
  fail_unless (box.x == r.x && box.y == r.y && box.w == r.w && box.h == r.h,
      "changed %u,%u %ux%u, label %u,%u %ux%u", box.x, box.y, box.w, box.h,
      r.x, r.y, r.w, r.h);
  check_text_present (&info, ref, out, r);
  if (golden)
    check_golden_yuv (golden, &info, out, r);
  if (rect_out)
    *rect_out = r;
  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_START_TEST (test_golden_i420_720p)
{
  run_frame ("video/x-raw,format=I420,width=1280,height=720,framerate=30/1",
      "overlay-720p", NULL);
}

GST_END_TEST;

/* NV12 is blended from the same conversion: the same golden. */
GST_START_TEST (test_golden_nv12_720p)
{
  run_frame ("video/x-raw,format=NV12,width=1280,height=720,framerate=30/1",
      "overlay-720p", NULL);
}

GST_END_TEST;

GST_START_TEST (test_golden_nv12_4k)
{
  Rect r;

  run_frame ("video/x-raw,format=NV12,width=3840,height=2160,framerate=30/1",
      "overlay-2160p", &r);
  fail_unless (r.w > 900 && r.h > 150, "4K label %ux%u", r.w, r.h);
}

GST_END_TEST;

GST_START_TEST (test_i420_4k_yv12_nv21)
{
  run_frame ("video/x-raw,format=I420,width=3840,height=2160,framerate=30/1",
      "overlay-2160p", NULL);
  run_frame ("video/x-raw,format=YV12,width=1280,height=720,framerate=30/1",
      "overlay-720p", NULL);
  run_frame ("video/x-raw,format=NV21,width=1280,height=720,framerate=30/1",
      "overlay-720p", NULL);
}

GST_END_TEST;

GST_START_TEST (test_rgb_formats)
{
  static const gchar *const formats[] = { "BGRx", "RGBx", "xRGB", "xBGR" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=1280,"
        "height=720,framerate=30/1", formats[i]);

    run_frame (caps, NULL, NULL);
    g_free (caps);
  }
  run_frame ("video/x-raw,format=BGRx,width=3840,height=2160,framerate=30/1",
      NULL, NULL);
}

GST_END_TEST;

/* Odd sizes, a frame smaller than the label: clipped, never outside. */
GST_START_TEST (test_odd_and_tiny_frames)
{
  run_frame ("video/x-raw,format=I420,width=641,height=361,framerate=30/1",
      NULL, NULL);
  run_frame ("video/x-raw,format=NV12,width=1001,height=1001,framerate=30/1",
      NULL, NULL);
  {
    const gchar *caps =
        "video/x-raw,format=I420,width=160,height=90,framerate=30/1";
    GstHarness *h = new_harness (caps, NULL);
    GstVideoInfo info;
    GstBuffer *in, *ref, *out;
    Rect r = { 0, 0, 160, 90 };

    info_from (&info, caps);
    in = known_frame (&info);
    ref = gst_buffer_copy_deep (in);
    out = push_pull (h, in);
    changed_box (&info, ref, out, r);
    gst_buffer_unref (ref);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_refuses_junk)
{
  GstElement *e = gst_element_factory_make ("codewordoverlay", NULL);
  static const gchar *const junk[] = {
    "mavoj-pubip-gubad-gamie", "mavoj-pubip-gubad", "hello world",
    "mavoj pubip gubad gamiv", "mavoj-pubip-gubad-gamiv-babab",
    "<b>mavoj</b>-pubip-gubad-gamiv",
  };
  static const gchar *const junk_keys[] = {
    "00", ZERO_KEY_HEX "00",
    "000000000000000000000000000000000000000000000000000000000000000g",
    "0x00000000000000000000000000000000000000000000000000000000000000",
  };
  gchar *s = NULL;

  fail_unless (e != NULL);
  g_object_get (e, "codeword", &s, NULL);
  fail_unless (s == NULL);
  for (guint i = 0; i < G_N_ELEMENTS (junk); i++) {
    g_object_set (e, "codeword", junk[i], NULL);
    g_object_get (e, "codeword", &s, NULL);
    fail_unless (s == NULL, "accepted %s", junk[i]);
  }
  g_object_set (e, "codeword", "Mavoj-Pubip-GUBAD-gamiv", NULL);
  g_object_get (e, "codeword", &s, NULL);
  fail_unless_equals_string (s, ZERO_KEY_CODEWORD);
  g_free (s);
  for (guint i = 0; i < G_N_ELEMENTS (junk); i++) {
    g_object_set (e, "codeword", junk[i], NULL);
    g_object_get (e, "codeword", &s, NULL);
    fail_unless_equals_string (s, ZERO_KEY_CODEWORD);
    g_free (s);
  }
  g_object_set (e, "codeword", "lusab-babad-gutih-tugad", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (junk_keys); i++) {
    g_object_set (e, "identity-key", junk_keys[i], NULL);
    g_object_get (e, "codeword", &s, NULL);
    fail_unless_equals_string (s, "lusab-babad-gutih-tugad");
    g_free (s);
    g_object_get (e, "identity-key", &s, NULL);
    fail_unless (s == NULL);
  }
  /* keying.md's known answer, derived with Argon2id. */
  g_object_set (e, "identity-key", ZERO_KEY_HEX, NULL);
  g_object_get (e, "codeword", &s, NULL);
  fail_unless_equals_string (s, ZERO_KEY_CODEWORD);
  g_free (s);
  g_object_get (e, "identity-key", &s, NULL);
  fail_unless_equals_string (s, ZERO_KEY_HEX);
  g_free (s);
  /* A codeword set directly drops the key it no longer matches. */
  g_object_set (e, "codeword", "lusab-babad-gutih-tugad", NULL);
  g_object_get (e, "identity-key", &s, NULL);
  fail_unless (s == NULL);
  /* A caption that is not UTF-8 is refused too. */
  g_object_set (e, "caption", "Room", NULL);
  g_object_set (e, "caption", "\xff\xfe", NULL);
  g_object_get (e, "caption", &s, NULL);
  fail_unless_equals_string (s, "Room");
  g_free (s);
  gst_object_unref (e);
}

GST_END_TEST;

/* The same frame through a harness: identical bytes out? */
static gboolean
unchanged_through (GstHarness * h, const GstVideoInfo * info)
{
  GstBuffer *in = known_frame (info), *ref = gst_buffer_copy_deep (in), *out;
  GstMapInfo a, b;
  gboolean same;

  out = push_pull (h, in);
  gst_buffer_map (ref, &a, GST_MAP_READ);
  gst_buffer_map (out, &b, GST_MAP_READ);
  same = a.size == b.size && memcmp (a.data, b.data, a.size) == 0;
  gst_buffer_unmap (ref, &a);
  gst_buffer_unmap (out, &b);
  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  return same;
}

GST_START_TEST (test_passthrough)
{
  const gchar *caps =
      "video/x-raw,format=I420,width=1280,height=720,framerate=30/1";
  GstHarness *h = gst_harness_new ("codewordoverlay");
  GstVideoInfo info;

  info_from (&info, caps);
  gst_harness_set_src_caps_str (h, caps);
  /* No codeword: nothing to burn. */
  fail_unless (unchanged_through (h, &info));
  g_object_set (h->element, "codeword", ZERO_KEY_CODEWORD, NULL);
  fail_unless (!unchanged_through (h, &info));
  g_object_set (h->element, "enabled", FALSE, NULL);
  fail_unless (unchanged_through (h, &info));
  g_object_set (h->element, "enabled", TRUE, NULL);
  fail_unless (!unchanged_through (h, &info));
  g_object_set (h->element, "codeword", NULL, NULL);
  fail_unless (unchanged_through (h, &info));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* New caps render the label again, at the new size and format. */
GST_START_TEST (test_caps_change)
{
  static const gchar *const caps[] = {
    "video/x-raw,format=I420,width=1280,height=720,framerate=30/1",
    "video/x-raw,format=NV12,width=3840,height=2160,framerate=30/1",
    "video/x-raw,format=BGRx,width=1920,height=1080,framerate=30/1",
    "video/x-raw,format=I420,width=1280,height=720,framerate=30/1",
  };
  GstHarness *h = new_harness (caps[0], NULL);

  for (guint i = 0; i < G_N_ELEMENTS (caps); i++) {
    GstVideoInfo info;
    GstBuffer *in, *ref, *out;
    Rect r, box;

    if (i > 0)
      gst_harness_set_src_caps_str (h, caps[i]);
    info_from (&info, caps[i]);
    r = expected_rect (GST_VIDEO_INFO_WIDTH (&info),
        GST_VIDEO_INFO_HEIGHT (&info), NULL, 0.98, 0.95, 1.0);
    for (guint n = 0; n < 2; n++) {
      in = known_frame (&info);
      ref = gst_buffer_copy_deep (in);
      out = push_pull (h, in);
      box = changed_box (&info, ref, out, r);
      fail_unless (box.x == r.x && box.y == r.y && box.w == r.w
          && box.h == r.h, "caps %s: changed %u,%u %ux%u, label %u,%u %ux%u",
          caps[i], box.x, box.y, box.w, box.h, r.x, r.y, r.w, r.h);
      gst_buffer_unref (ref);
      gst_buffer_unref (out);
    }
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Position and size properties, changed while running. */
GST_START_TEST (test_position_and_scale)
{
  const gchar *caps =
      "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1";
  GstHarness *h = new_harness (caps, NULL);
  static const gdouble pos[][3] = {
    {0.0, 0.0, 1.0}, {1.0, 1.0, 1.0}, {0.5, 0.5, 2.0}, {0.0, 1.0, 0.5},
  };
  GstVideoInfo info;

  info_from (&info, caps);
  for (guint i = 0; i < G_N_ELEMENTS (pos); i++) {
    GstBuffer *in = known_frame (&info), *ref = gst_buffer_copy_deep (in);
    GstBuffer *out;
    Rect r, box;

    g_object_set (h->element, "x", pos[i][0], "y", pos[i][1], "scale",
        pos[i][2], NULL);
    r = expected_rect (1920, 1080, NULL, pos[i][0], pos[i][1], pos[i][2]);
    out = push_pull (h, in);
    box = changed_box (&info, ref, out, r);
    fail_unless (box.x == r.x && box.y == r.y && box.w == r.w
        && box.h == r.h);
    if (pos[i][0] == 1.0)
      fail_unless (r.x + r.w >= 1918);
    gst_buffer_unref (ref);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
wm_overlay_suite (void)
{
  Suite *s = suite_create ("codewordoverlay");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_golden_i420_720p);
  tcase_add_test (tc, test_golden_nv12_720p);
  tcase_add_test (tc, test_golden_nv12_4k);
  tcase_add_test (tc, test_i420_4k_yv12_nv21);
  tcase_add_test (tc, test_rgb_formats);
  tcase_add_test (tc, test_odd_and_tiny_frames);
  tcase_add_test (tc, test_refuses_junk);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_caps_change);
  tcase_add_test (tc, test_position_and_scale);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (wm_overlay);
