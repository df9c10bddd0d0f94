// SPDX-License-Identifier: MIT
/*
 * e2eeenc / e2eedec with GstHarness: real encoders, real payloaders, real
 * decoders, no sockets, no sleeps. Decoded output with the two elements in
 * the chain must be bit-identical to the same chain without them.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "e2ee/keyring.h"

static const guint8 key_a[16] = "key A, 16 bytes.";
G_GNUC_UNUSED static const guint8 key_b[16] = "key B, 16 bytes.";

#define KID_VIDEO(epoch) e2ee_kid_make (E2EE_STREAM_VIDEO, 0, (epoch))
#define KID_AUDIO(epoch) e2ee_kid_make (E2EE_STREAM_AUDIO, 0, (epoch))

static GstElement *
by_name (GstHarness * h, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (h->element), name);

  fail_unless (e != NULL, "no element %s", name);
  gst_object_unref (e);         /* the bin keeps it alive */
  return e;
}

static gboolean
add_key (GstElement * e, guint64 kid, const guint8 * key, gsize len,
    gint usage)
{
  GBytes *b = g_bytes_new (key, len);
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "add-key", kid, b, usage, &ok);
  g_bytes_unref (b);
  return ok;
}

static gboolean
set_send_kid (GstElement * e, guint64 kid)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "set-send-kid", kid, &ok);
  return ok;
}

static guint64
stat_of (GstElement * e, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = G_MAXUINT64;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no stat %s", field);
  gst_structure_free (s);
  return v;
}

/*
 * Encodes n frames of src with enc, in a pipeline of its own that ends in an
 * appsink; returns the buffers and their caps.
 */
static GPtrArray *
encode (const gchar * src, const gchar * enc, guint n, GstCaps ** caps)
{
  gchar *desc = g_strdup_printf ("%s num-buffers=%u ! %s ! appsink name=out "
      "sync=false", src, n, enc);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstElement *sink;
  GstSample *sample;

  fail_unless (pipe != NULL, "cannot build %s: %s", desc,
      err ? err->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    if (!*caps)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    g_ptr_array_add (out, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  fail_unless (gst_app_sink_is_eos (GST_APP_SINK (sink)), "%s: no EOS", desc);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  fail_unless (*caps != NULL);
  fail_unless (out->len > 0);
  return out;
}

/* Pushes every buffer (a copy) through h, then EOS; returns what came out. */
static GPtrArray *
run_chain (GstHarness * h, GstCaps * caps, GPtrArray * in)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstBuffer *b;

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  for (guint i = 0; i < in->len; i++) {
    fail_unless_equals_int (gst_harness_push (h,
            gst_buffer_copy (g_ptr_array_index (in, i))), GST_FLOW_OK);
    while ((b = gst_harness_try_pull (h)))
      g_ptr_array_add (out, b);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((b = gst_harness_try_pull (h)))
    g_ptr_array_add (out, b);
  return out;
}

static gboolean
buffers_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean eq;

  gst_buffer_map (a, &ma, GST_MAP_READ);
  gst_buffer_map (b, &mb, GST_MAP_READ);
  eq = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return eq;
}

static void
assert_same_output (GPtrArray * a, GPtrArray * b)
{
  fail_unless_equals_int (a->len, b->len);
  for (guint i = 0; i < a->len; i++)
    fail_unless (buffers_equal (g_ptr_array_index (a, i),
            g_ptr_array_index (b, i)), "decoded frame %u differs", i);
}

/*
 * The round trip of the issue: encoder ! e2eeenc ! pay ! depay ! e2eedec !
 * decoder gives what encoder ! pay ! depay ! decoder gives.
 */
static void
round_trip (const gchar * src, const gchar * enc, const gchar * pay,
    const gchar * depay, const gchar * dec, gint stream, guint n)
{
  guint64 kid = e2ee_kid_make ((guint64) stream, 0, 0);
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (src, enc, n, &caps);
  gchar *plain_desc = g_strdup_printf ("%s ! %s ! %s", pay, depay, dec);
  gchar *e2ee_desc = g_strdup_printf ("e2eeenc name=enc stream=%d ! %s ! "
      "%s ! e2eedec name=dec stream=%d ! %s", stream, pay, depay, stream, dec);
  GstHarness *plain = gst_harness_new_parse (plain_desc);
  GstHarness *e2ee = gst_harness_new_parse (e2ee_desc);
  GstElement *e = by_name (e2ee, "enc"), *d = by_name (e2ee, "dec");
  GPtrArray *want, *got;

  fail_unless (add_key (e, kid, key_a, sizeof (key_a), E2EE_KEY_SEND));
  fail_unless (add_key (d, kid, key_a, sizeof (key_a), E2EE_KEY_RECV));
  fail_unless (set_send_kid (e, kid));

  want = run_chain (plain, caps, frames);
  got = run_chain (e2ee, caps, frames);
  fail_unless (want->len > 0, "the plain chain decoded nothing");
  assert_same_output (want, got);
  fail_unless_equals_uint64 (stat_of (e, "frames"), frames->len);
  fail_unless_equals_uint64 (stat_of (d, "frames"), frames->len);
  fail_unless_equals_uint64 (stat_of (d, "auth-failed"), 0);

  g_ptr_array_unref (want);
  g_ptr_array_unref (got);
  gst_harness_teardown (plain);
  gst_harness_teardown (e2ee);
  g_free (plain_desc);
  g_free (e2ee_desc);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
}

/* Bare caps do not parse inside the harness's bin.( ): capsfilter it is. */
#define VIDEO_SRC "videotestsrc pattern=ball"
#define VIDEO_RAW "video/x-raw,format=I420,width=320,height=240,framerate=30/1"
#define AUDIO_SRC "audiotestsrc wave=sine"
#define AUDIO_RAW "audio/x-raw,format=S16LE,rate=48000,channels=1"
#define H264_AU "capsfilter caps=\"video/x-h264,stream-format=byte-stream," \
  "alignment=au\""
#define H265_AU "capsfilter caps=\"video/x-h265,stream-format=byte-stream," \
  "alignment=au\""

GST_START_TEST (test_round_trip_h264)
{
  round_trip (VIDEO_SRC, VIDEO_RAW " ! x264enc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=10 ! h264parse ! " H264_AU, "rtph264pay", "rtph264depay",
      "avdec_h264 max-threads=1", E2EE_STREAM_VIDEO, 30);
}
GST_END_TEST;

GST_START_TEST (test_round_trip_h265)
{
  round_trip (VIDEO_SRC, VIDEO_RAW " ! x265enc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=10 ! h265parse ! " H265_AU, "rtph265pay", "rtph265depay",
      "avdec_h265 max-threads=1", E2EE_STREAM_VIDEO, 20);
}
GST_END_TEST;

GST_START_TEST (test_round_trip_opus)
{
  round_trip (AUDIO_SRC, AUDIO_RAW " ! opusenc", "rtpopuspay", "rtpopusdepay",
      "opusdec", E2EE_STREAM_AUDIO, 50);
}
GST_END_TEST;

GST_START_TEST (test_round_trip_vp8)
{
  round_trip (VIDEO_SRC, VIDEO_RAW " ! vp8enc deadline=1 lag-in-frames=0 "
      "keyframe-max-dist=10", "rtpvp8pay", "rtpvp8depay", "vp8dec",
      E2EE_STREAM_VIDEO, 20);
}
GST_END_TEST;

GST_START_TEST (test_round_trip_vp9)
{
  round_trip (VIDEO_SRC, VIDEO_RAW " ! vp9enc deadline=1 lag-in-frames=0 "
      "keyframe-max-dist=10", "rtpvp9pay", "rtpvp9depay", "vp9dec",
      E2EE_STREAM_VIDEO, 20);
}
GST_END_TEST;

/* Debian 12 packages an AV1 encoder but no AV1 RTP payloader (rtpav1pay is
 * in gst-plugins-rs): the frames go straight from e2eeenc to e2eedec. */
GST_START_TEST (test_round_trip_av1)
{
  round_trip (VIDEO_SRC, VIDEO_RAW " ! av1enc cpu-used=10 usage-profile=realtime "
      "keyframe-max-dist=10 ! av1parse", "identity", "identity",
      "av1dec", E2EE_STREAM_VIDEO, 10);
}
GST_END_TEST;

static Suite *
e2ee_suite (void)
{
  Suite *s = suite_create ("e2ee-elements");
  TCase *tc = tcase_create ("round-trip");

  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_h264);
  tcase_add_test (tc, test_round_trip_h265);
  tcase_add_test (tc, test_round_trip_opus);
  tcase_add_test (tc, test_round_trip_vp8);
  tcase_add_test (tc, test_round_trip_vp9);
  tcase_add_test (tc, test_round_trip_av1);
  return s;
}

GST_CHECK_MAIN (e2ee);
