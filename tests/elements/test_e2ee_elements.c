// SPDX-License-Identifier: MIT
/*
 * e2eeenc / e2eedec with GstHarness: real encoders, real payloaders, real
 * decoders, no sockets, no sleeps. Decoded output with the two elements in
 * the chain must be bit-identical to the same chain without them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <gst/rtp/gstrtpbuffer.h>

#include "e2ee/keyring.h"
#include "e2ee_harness.h"










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
round_trip_pay (const gchar * src, const gchar * enc, const gchar * pay,
    const gchar * e2ee_pay, const gchar * depay, const gchar * dec,
    gint stream, guint n)
{
  guint64 kid = e2ee_kid_make ((guint64) stream, 0, 0);
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (src, enc, n, &caps);
  gchar *plain_desc = g_strdup_printf ("%s ! %s ! %s", pay, depay, dec);
  gchar *e2ee_desc = g_strdup_printf ("e2eeenc name=enc stream=%d ! %s ! "
      "%s ! e2eedec name=dec stream=%d ! %s", stream, e2ee_pay, depay, stream,
      dec);
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
static void
round_trip (const gchar * src, const gchar * enc, const gchar * pay,
    const gchar * depay, const gchar * dec, gint stream, guint n)
{
  round_trip_pay (src, enc, pay, pay, depay, dec, stream, n);
}

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

/*
 * The stock rtpvp8pay / rtpvp9pay parse the bitstream and fail on
 * ciphertext; rtpvp8e2eepay / rtpvp9e2eepay (this plugin) do not. The plain
 * chain keeps the stock payloader: decoded frames must still be identical.
 */
GST_START_TEST (test_round_trip_vp8)
{
  round_trip_pay (VIDEO_SRC, VIDEO_RAW " ! vp8enc deadline=1 lag-in-frames=0 "
      "keyframe-max-dist=10", "rtpvp8pay", "rtpvp8e2eepay", "rtpvp8depay",
      "vp8dec",
      E2EE_STREAM_VIDEO, 20);
}
GST_END_TEST;

GST_START_TEST (test_round_trip_vp9)
{
  round_trip_pay (VIDEO_SRC, VIDEO_RAW " ! vp9enc deadline=1 lag-in-frames=0 "
      "keyframe-max-dist=10", "rtpvp9pay", "rtpvp9e2eepay", "rtpvp9depay",
      "vp9dec",
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


/* ------------------------------------------------------------------------ */



static GstBuffer *
find_by_pts (GPtrArray * a, GstClockTime pts)
{
  for (guint i = 0; i < a->len; i++)
    if (GST_BUFFER_PTS (g_ptr_array_index (a, i)) == pts)
      return g_ptr_array_index (a, i);
  return NULL;
}

/* RTP payload bytes of an H.264 packet carrying (part of) a slice. */
static gboolean
slice_payload (GstBuffer * rtp, gsize * off)
{
  GstRTPBuffer r = GST_RTP_BUFFER_INIT;
  gboolean ok = FALSE;

  fail_unless (gst_rtp_buffer_map (rtp, GST_MAP_READ, &r));
  if (gst_rtp_buffer_get_payload_len (&r) > 40) {
    const guint8 *p = gst_rtp_buffer_get_payload (&r);
    guint type = p[0] & 0x1f;

    if (type == 1 || type == 5) {
      *off = gst_rtp_buffer_get_header_len (&r) + 20;
      ok = TRUE;
    } else if (type == 28 && ((p[1] & 0x1f) == 1 || (p[1] & 0x1f) == 5)) {
      *off = gst_rtp_buffer_get_header_len (&r) + 20;
      ok = TRUE;
    }
  }
  gst_rtp_buffer_unmap (&r);
  return ok;
}

/*
 * Bits flipped in RTP payloads are dropped and counted; whatever comes out
 * is exactly what an untampered stream gives for that frame.
 */
GST_START_TEST (test_tamper_rtp)
{
  guint64 kid = KID_VIDEO (0);
  GstCaps *caps = NULL, *rtp_caps;
  GPtrArray *frames = encode (VIDEO_SRC, H264_ENC, 30, &caps);
  GstHarness *tx = harness_with_keys ("e2eeenc name=enc ! rtph264pay "
      "mtu=600", kid, TRUE, FALSE);
  GstHarness *ref = harness_with_keys ("rtph264depay ! e2eedec name=dec",
      kid, FALSE, TRUE);
  GstHarness *rx = harness_with_keys ("rtph264depay ! e2eedec name=dec",
      kid, FALSE, TRUE);
  GPtrArray *packets = run_chain (tx, caps, frames), *good, *got;
  guint tampered = 0;

  rtp_caps = gst_pad_get_current_caps (tx->sinkpad);
  good = run_chain (ref, rtp_caps, packets);
  fail_unless_equals_int (good->len, frames->len);
  for (guint i = 0; i < packets->len; i += 3) {
    GstBuffer *b = g_ptr_array_index (packets, i);
    GstMapInfo m;
    gsize off;

    if (!slice_payload (b, &off))
      continue;
    b = gst_buffer_make_writable (b);
    g_ptr_array_index (packets, i) = b;
    gst_buffer_map (b, &m, GST_MAP_WRITE);
    m.data[off + (i % 7)] ^= (guint8) (1u << (i % 8));
    gst_buffer_unmap (b, &m);
    tampered++;
  }
  fail_unless (tampered >= 5);
  got = run_chain (rx, rtp_caps, packets);
  fail_unless (got->len < good->len);
  for (guint i = 0; i < got->len; i++) {
    GstBuffer *b = g_ptr_array_index (got, i);
    GstBuffer *want = find_by_pts (good, GST_BUFFER_PTS (b));

    fail_unless (want != NULL && buffers_equal (b, want),
        "a tampered frame reached the decoder");
  }
  fail_unless (stat_of (by_name (rx, "dec"), "auth-failed") > 0);
  fail_unless_equals_uint64 (stat_of (by_name (rx, "dec"), "frames"),
      got->len);

  g_ptr_array_unref (got);
  g_ptr_array_unref (good);
  g_ptr_array_unref (packets);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_caps_unref (rtp_caps);
  gst_harness_teardown (tx);
  gst_harness_teardown (ref);
  gst_harness_teardown (rx);
}
GST_END_TEST;

/* A re-sent frame is dropped, for NAL-wise and whole-frame codecs. */
static void
replay (const gchar * src, const gchar * enc, gint stream)
{
  guint64 kid = e2ee_kid_make ((guint64) stream, 0, 0);
  gchar *desc_e = g_strdup_printf ("e2eeenc name=enc stream=%d", stream);
  gchar *desc_d = g_strdup_printf ("e2eedec name=dec stream=%d", stream);
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (src, enc, 10, &caps);
  GstHarness *tx = harness_with_keys (desc_e, kid, TRUE, FALSE);
  GstHarness *rx = harness_with_keys (desc_d, kid, FALSE, TRUE);
  GPtrArray *ct = run_chain (tx, caps, frames);
  GstElement *dec = by_name (rx, "dec");

  fail_unless_equals_int (ct->len, frames->len);
  gst_harness_set_src_caps (rx, gst_caps_ref (caps));
  for (guint i = 0; i < ct->len; i++) {
    GstBuffer *b = g_ptr_array_index (ct, i);

    gst_harness_push (rx, gst_buffer_copy (b));
    if (i == 4 || i == 7)
      gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (ct, 2)));
  }
  fail_unless_equals_int (gst_harness_buffers_received (rx), frames->len);
  fail_unless_equals_uint64 (stat_of (dec, "replayed"), 2);
  fail_unless_equals_uint64 (stat_of (dec, "frames"), frames->len);
  /* Each output is the encoder's frame, byte for byte (4-byte start codes). */
  if (stream == E2EE_STREAM_AUDIO)
    for (guint i = 0; i < frames->len; i++) {
      GstBuffer *o = gst_harness_pull (rx);

      fail_unless (buffers_equal (o, g_ptr_array_index (frames, i)));
      gst_buffer_unref (o);
    }
  g_ptr_array_unref (ct);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (tx);
  gst_harness_teardown (rx);
  g_free (desc_e);
  g_free (desc_d);
}

GST_START_TEST (test_replay_h264)
{
  replay (VIDEO_SRC, H264_ENC, E2EE_STREAM_VIDEO);
}
GST_END_TEST;

GST_START_TEST (test_replay_opus)
{
  replay (AUDIO_SRC, AUDIO_RAW " ! opusenc", E2EE_STREAM_AUDIO);
}
GST_END_TEST;


/*
 * e2eedec's output is plaintext: a buffer coming back to its pool is wiped
 * as far as it was written; one whose memory is still shared downstream is
 * not wiped under its reader (its memory is, when the last holder frees it).
 */
static gboolean
all_zero (const guint8 * p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (p[i])
      return FALSE;
  return TRUE;
}

GST_START_TEST (test_dec_wipes_output)
{
  guint64 kid = KID_VIDEO (0);
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, H264_ENC, 4, &caps);
  GstHarness *tx = harness_with_keys ("e2eeenc name=enc", kid, TRUE, FALSE);
  GstHarness *rx = harness_with_keys ("e2eedec name=dec", kid, FALSE, TRUE);
  GPtrArray *ct = run_chain (tx, caps, frames);
  GstElement *dec = by_name (rx, "dec");
  GstBuffer *b, *share;
  GstMapInfo m;
  const guint8 *data;
  guint8 *copy;
  gsize size;

  fail_unless_equals_int (ct->len, frames->len);
  gst_harness_set_src_caps (rx, gst_caps_ref (caps));

  /* Returned alone: wiped. */
  fail_unless_equals_int (gst_harness_push (rx,
          gst_buffer_copy (g_ptr_array_index (ct, 0))), GST_FLOW_OK);
  b = gst_harness_pull (rx);
  fail_unless (buffers_equal (b, g_ptr_array_index (frames, 0)));
  fail_unless (gst_buffer_map (b, &m, GST_MAP_READ));
  data = m.data;
  size = m.size;
  fail_unless (size > 0 && !all_zero (data, size));
  gst_buffer_unmap (b, &m);
  fail_unless_equals_uint64 (stat_of (dec, "wiped-bytes"), 0);
  gst_buffer_unref (b);
  /* The pool still owns that memory (an idle buffer): readable here. */
  fail_unless (all_zero (data, size), "a returned output buffer holds plaintext");
  fail_unless (stat_of (dec, "wiped-bytes") >= size);

  /* Still shared downstream when returned: left to its reader. */
  fail_unless_equals_int (gst_harness_push (rx,
          gst_buffer_copy (g_ptr_array_index (ct, 1))), GST_FLOW_OK);
  b = gst_harness_pull (rx);
  fail_unless (gst_buffer_map (b, &m, GST_MAP_READ));
  copy = g_memdup2 (m.data, m.size);
  size = m.size;
  gst_buffer_unmap (b, &m);
  share = gst_buffer_copy_region (b, GST_BUFFER_COPY_MEMORY, 0, size);
  gst_buffer_unref (b);
  fail_unless (gst_buffer_map (share, &m, GST_MAP_READ));
  fail_unless (m.size == size && memcmp (m.data, copy, size) == 0,
      "a buffer still read downstream was wiped");
  gst_buffer_unmap (share, &m);
  gst_buffer_unref (share);

  g_free (copy);
  g_ptr_array_unref (ct);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (tx);
  gst_harness_teardown (rx);
}
GST_END_TEST;

/* No key, no output: e2eeenc drops and says so; e2eedec never passes through. */
GST_START_TEST (test_no_key)
{
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, H264_ENC, 10, &caps);
  GstHarness *tx = gst_harness_new_parse ("e2eeenc name=enc");
  GstHarness *rx = gst_harness_new_parse ("e2eedec name=dec key-hold-ms=0");
  GstHarness *tx2 = gst_harness_new_parse ("e2eeenc name=enc");
  GstBus *bus = gst_bus_new ();
  GPtrArray *out;
  GstStructure *s;

  gst_element_set_bus (tx->element, bus);
  out = run_chain (tx, caps, frames);
  fail_unless_equals_int (out->len, 0);
  fail_unless_equals_uint64 (stat_of (by_name (tx, "enc"), "dropped-no-key"),
      frames->len);
  s = pop_element_message (bus, "e2ee-waiting-for-key");
  fail_unless (s != NULL, "no e2ee-waiting-for-key message");
  gst_structure_free (s);
  g_ptr_array_unref (out);

  /* A send key that was never chosen as the send KID is not used either. */
  fail_unless (add_key (by_name (tx2, "enc"), KID_VIDEO (0), key_a,
          sizeof (key_a), E2EE_KEY_SEND));
  out = run_chain (tx2, caps, frames);
  fail_unless_equals_int (out->len, 0);
  g_ptr_array_unref (out);

  /* Encrypted frames at a receiver without keys: nothing comes out. */
  {
    GstHarness *enc = harness_with_keys ("e2eeenc name=enc", KID_VIDEO (0),
        TRUE, FALSE);
    GPtrArray *ct = run_chain (enc, caps, frames);

    out = run_chain (rx, caps, ct);
    fail_unless_equals_int (out->len, 0);
    fail_unless_equals_uint64 (stat_of (by_name (rx, "dec"), "unknown-kid"),
        frames->len);
    g_ptr_array_unref (out);
    g_ptr_array_unref (ct);
    gst_harness_teardown (enc);
  }
  gst_element_set_bus (tx->element, NULL);
  gst_object_unref (bus);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (tx);
  gst_harness_teardown (tx2);
  gst_harness_teardown (rx);
}
GST_END_TEST;

static guint
count_force_key_unit (GstHarness * h)
{
  GstEvent *ev;
  guint n = 0;

  while ((ev = gst_harness_try_pull_upstream_event (h))) {
    if (gst_video_event_is_force_key_unit (ev))
      n++;
    gst_event_unref (ev);
  }
  return n;
}

/*
 * Rotation mid-stream with the receiver holding both keys: no frame lost,
 * every frame decodes, and e2eeenc asked its encoder for a keyframe.
 */
GST_START_TEST (test_rotation)
{
  guint64 k0 = KID_VIDEO (0), k1 = KID_VIDEO (1);
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, H264_ENC, 30, &caps);
  GstHarness *plain = gst_harness_new_parse ("rtph264pay ! rtph264depay ! "
      "avdec_h264 max-threads=1");
  GstHarness *h = gst_harness_new_parse ("e2eeenc name=enc ! rtph264pay ! "
      "rtph264depay ! e2eedec name=dec ! avdec_h264 max-threads=1");
  GstElement *e = by_name (h, "enc"), *d = by_name (h, "dec");
  GPtrArray *want = run_chain (plain, caps, frames);
  GstBuffer *b;
  guint got = 0;

  fail_unless (add_key (e, k0, key_a, 16, E2EE_KEY_SEND));
  fail_unless (add_key (e, k1, key_b, 16, E2EE_KEY_SEND));
  fail_unless (add_key (d, k0, key_a, 16, E2EE_KEY_RECV));
  fail_unless (add_key (d, k1, key_b, 16, E2EE_KEY_RECV));
  fail_unless (set_send_kid (e, k0));
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  for (guint i = 0; i < frames->len; i++) {
    if (i == 12)
      fail_unless (set_send_kid (e, k1));
    gst_harness_push (h, gst_buffer_copy (g_ptr_array_index (frames, i)));
    while ((b = gst_harness_try_pull (h))) {
      fail_unless (buffers_equal (b, g_ptr_array_index (want, got)));
      got++;
      gst_buffer_unref (b);
    }
  }
  gst_harness_push_event (h, gst_event_new_eos ());
  while ((b = gst_harness_try_pull (h))) {
    fail_unless (buffers_equal (b, g_ptr_array_index (want, got)));
    got++;
    gst_buffer_unref (b);
  }
  fail_unless_equals_int (got, want->len);
  fail_unless_equals_uint64 (stat_of (d, "frames"), frames->len);
  fail_unless_equals_uint64 (stat_of (d, "auth-failed"), 0);
  fail_unless_equals_uint64 (stat_of (d, "dropped-no-key"), 0);
  /* The switch to k1 asked upstream (the encoder) for a keyframe. */
  fail_unless (count_force_key_unit (h) >= 1);
  /* The old key can go: e2eedec forgets it. */
  {
    gboolean ok = FALSE;

    g_signal_emit_by_name (d, "remove-key", k0, &ok);
    fail_unless (ok);
    g_signal_emit_by_name (d, "remove-key", k0, &ok);
    fail_if (ok);
  }
  g_ptr_array_unref (want);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (plain);
  gst_harness_teardown (h);
}
GST_END_TEST;

/*
 * A frame whose key arrives within key-hold-ms is decrypted late, in order;
 * frames held longer are dropped and counted.
 */
GST_START_TEST (test_key_hold)
{
  guint64 kid = KID_VIDEO (3);
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, H264_ENC, 10, &caps);
  GstHarness *enc = gst_harness_new_parse ("e2eeenc name=enc");
  GstHarness *rx = gst_harness_new_parse ("e2eedec name=dec key-hold-ms=1000");
  GstHarness *rx2 = gst_harness_new_parse ("e2eedec name=dec key-hold-ms=100");
  GstElement *d = by_name (rx, "dec"), *d2 = by_name (rx2, "dec");
  GstBus *bus = gst_bus_new ();
  GPtrArray *ct;
  GstStructure *s;
  GstBuffer *b;

  fail_unless (add_key (by_name (enc, "enc"), kid, key_a, 16, E2EE_KEY_SEND));
  fail_unless (set_send_kid (by_name (enc, "enc"), kid));
  ct = run_chain (enc, caps, frames);
  fail_unless_equals_int (ct->len, 10);

  gst_element_set_bus (rx->element, bus);
  gst_harness_set_src_caps (rx, gst_caps_ref (caps));
  gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (ct, 0)));
  gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (ct, 1)));
  fail_unless_equals_int (gst_harness_buffers_received (rx), 0);
  fail_unless_equals_uint64 (stat_of (d, "held"), 2);
  s = pop_element_message (bus, "e2ee-waiting-for-key");
  fail_unless (s != NULL);
  gst_structure_free (s);
  fail_unless (add_key (d, kid, key_a, 16, E2EE_KEY_RECV));
  gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (ct, 2)));
  fail_unless_equals_int (gst_harness_buffers_received (rx), 3);
  for (guint i = 0; i < 3; i++) {
    b = gst_harness_pull (rx);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b),
        GST_BUFFER_PTS (g_ptr_array_index (frames, i)));
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (stat_of (d, "dropped-no-key"), 0);
  s = pop_element_message (bus, "e2ee-resumed");
  fail_unless (s != NULL);
  gst_structure_free (s);
  /* Resuming asks upstream for a keyframe. */
  fail_unless (count_force_key_unit (rx) >= 1);

  /* Hold 100 ms of the element's clock (a test clock here), whatever the
   * frames' timestamps say: frames 0-2 arrive at 0 ms, 3-4 at 60 ms, 5 at
   * 100 ms, when 0-2 have waited 100 ms and are dropped. */
  gst_harness_use_testclock (rx2);
  fail_unless (gst_harness_set_time (rx2, 0));
  gst_harness_set_src_caps (rx2, gst_caps_ref (caps));
  for (guint i = 0; i < 6; i++) {
    if (i == 3)
      fail_unless (gst_harness_set_time (rx2, 60 * GST_MSECOND));
    if (i == 5)
      fail_unless (gst_harness_set_time (rx2, 100 * GST_MSECOND));
    gst_harness_push (rx2, gst_buffer_copy (g_ptr_array_index (ct, i)));
  }
  fail_unless_equals_int (gst_harness_buffers_received (rx2), 0);
  fail_unless_equals_uint64 (stat_of (d2, "dropped-no-key"), 3);
  fail_unless (add_key (d2, kid, key_a, 16, E2EE_KEY_RECV));
  gst_harness_push (rx2, gst_buffer_copy (g_ptr_array_index (ct, 6)));
  fail_unless_equals_int (gst_harness_buffers_received (rx2), 4);
  b = gst_harness_pull (rx2);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b),
      GST_BUFFER_PTS (g_ptr_array_index (frames, 3)));
  gst_buffer_unref (b);

  gst_element_set_bus (rx->element, NULL);
  gst_object_unref (bus);
  g_ptr_array_unref (ct);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (enc);
  gst_harness_teardown (rx);
  gst_harness_teardown (rx2);
}
GST_END_TEST;

static gboolean
contains (const guint8 * hay, gsize n, const guint8 * needle, gsize k)
{
  return memmem (hay, n, needle, k) != NULL;
}

/* 00 00 followed by a byte up to max: 2 finds start codes, 3 escapes too. */
static gboolean
has_zero_run (const guint8 * p, gsize n, guint8 max)
{
  for (gsize i = 0; i + 2 < n; i++)
    if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] <= max)
      return TRUE;
  return FALSE;
}

/* The last buffer that left e2eeenc: what goes on the wire. */
static GstPadProbeReturn
keep_last (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer **last = data;

  gst_clear_buffer (last);
  *last = gst_buffer_copy (GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* The counter of the first protected NAL of an e2eeenc output buffer. */
static guint64
wire_counter (GstBuffer * b)
{
  guint8 un[64];
  gsize n = 0, zeros = 0;
  guint64 kid, ctr;
  GstMapInfo m;

  gst_buffer_map (b, &m, GST_MAP_READ);
  /* 4-byte start code, NAL header, first slice byte, then the escaped SFrame. */
  for (gsize i = 6; i < m.size && n < sizeof (un); i++) {
    if (zeros >= 2 && m.data[i] == 3) {
      zeros = 0;
      continue;
    }
    un[n++] = m.data[i];
    zeros = m.data[i] ? 0 : zeros + 1;
  }
  gst_buffer_unmap (b, &m);
  fail_unless (e2ee_sframe_header_parse (un, n, &kid, &ctr) > 0);
  return ctr;
}

/*
 * Escaping: a slice whose ciphertext holds 00 00 00, 00 00 01, 00 00 02,
 * 00 00 03 and a run of zeros, and ends in 0x00, survives rtph264pay and
 * rtph264depay. The ciphertext is forced: with the key and counter known,
 * the plaintext is the wanted ciphertext XOR the keystream, and one byte is
 * varied until the tag ends in 0x00. e2eeenc starts its counter at random:
 * a first frame shows where, the forced one uses the next.
 */
GST_START_TEST (test_escaping)
{
  const guint64 kid = KID_VIDEO (0);
  /* nal_ref_idc 2, type 1 (a non-IDR slice), then the first slice header
   * byte, which stays clear: both are the SFrame metadata. */
  const guint8 md[2] = { 0x41, 0x9a };
  /* The SFrame metadata: those clear bytes, then the access-unit tag
   * (index 0 of 1 protected NAL unit, then the parameter-set hash of an
   * access unit without any: SHA-256 of the empty input, FIPS 180-4;
   * docs/media-path.md). */
  const guint8 aad[42] = { 0x41, 0x9a, 0, 0, 0, 0, 0, 0, 0, 1,
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8,
    0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
    0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55
  };
  enum { L = 200 };
  guint8 want[L], zero[L] = { 0 }, ks[L], pt[L], ct[L + 64], au[4 + 2 + L];
  guint8 dummy[4 + 2 + 50];
  struct e2ee_sframe_key k;
  gsize len = 0, hdr = 0;
  gboolean found = FALSE;
  GstBuffer *in, *out, *wire = NULL;
  GstHarness *rt;
  GstMapInfo m;
  GstCaps *caps;
  GstPad *src;
  guint64 ctr;

  caps = gst_caps_from_string ("video/x-h264,stream-format=byte-stream,"
      "alignment=au,width=320,height=240,framerate=30/1");
  rt = harness_with_keys ("e2eeenc name=enc ! rtph264pay ! rtph264depay ! "
      "e2eedec name=dec", kid, TRUE, TRUE);
  src = gst_element_get_static_pad (by_name (rt, "enc"), "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, keep_last, &wire, NULL);
  gst_harness_set_src_caps (rt, gst_caps_ref (caps));

  memcpy (dummy, "\0\0\0\1", 4);
  memcpy (dummy + 4, md, 2);
  memset (dummy + 6, 0x55, sizeof (dummy) - 6);
  in = gst_buffer_new_memdup (dummy, sizeof (dummy));
  GST_BUFFER_PTS (in) = 0;
  fail_unless_equals_int (gst_harness_push (rt, in), GST_FLOW_OK);
  fail_unless (wire != NULL);
  ctr = wire_counter (wire) + 1;
  fail_unless (ctr > 1, "e2eeenc's counter did not start at random");

  fail_unless_equals_int (e2ee_sframe_key_init (&k, E2EE_SUITE_DEFAULT, kid,
          key_a, sizeof (key_a)), 0);
  fail_unless_equals_int (e2ee_sframe_protect (&k, ctr, aad, sizeof (aad),
          zero, L, ct, sizeof (ct), &len), 0);
  hdr = len - L - 16;
  memcpy (ks, ct + hdr, L);
  for (guint v = 0; v < 65536 && !found; v++) {
    for (guint i = 0; i < L; i++)
      want[i] = (guint8) (0x11 + i * 37) | 0x10;
    memcpy (want + 20, "\0\0\0", 3);
    memcpy (want + 40, "\0\0\1", 3);
    memcpy (want + 60, "\0\0\2", 3);
    memcpy (want + 80, "\0\0\3", 3);
    memset (want + 100, 0, 6);
    want[150] = (guint8) (v & 0xff) | 0x10;
    want[151] = (guint8) (v >> 8) | 0x10;
    /* The keystream may turn the fixed last byte into 0x00, for every v:
     * change that byte then (once in 256 runs). */
    if ((want[L - 1] ^ ks[L - 1]) == 0)
      want[L - 1] ^= 0x20;
    for (guint i = 0; i < L; i++)
      pt[i] = want[i] ^ ks[i];
    if (has_zero_run (pt, L, 3) || pt[L - 1] == 0)
      continue;
    fail_unless_equals_int (e2ee_sframe_protect (&k, ctr, aad, sizeof (aad),
            pt, L, ct, sizeof (ct), &len), 0);
    found = ct[len - 1] == 0x00;
  }
  e2ee_sframe_key_wipe (&k);
  fail_unless (found, "no plaintext gives the wanted ciphertext");
  fail_unless (memcmp (ct + hdr, want, L) == 0);

  memcpy (au, "\0\0\0\1", 4);
  memcpy (au + 4, md, 2);
  memcpy (au + 6, pt, L);
  in = gst_buffer_new_memdup (au, sizeof (au));
  GST_BUFFER_PTS (in) = 33 * GST_MSECOND;
  fail_unless_equals_int (gst_harness_push (rt, in), GST_FLOW_OK);

  /* What went on the wire: the runs escaped, the final zero followed by 03. */
  fail_unless_equals_uint64 (wire_counter (wire), ctr);
  gst_buffer_map (wire, &m, GST_MAP_READ);
  fail_unless (contains (m.data, m.size, (const guint8 *) "\0\0\3\0", 4));
  fail_unless (contains (m.data, m.size, (const guint8 *) "\0\0\3\1", 4));
  fail_unless (contains (m.data, m.size, (const guint8 *) "\0\0\3\2", 4));
  fail_unless (contains (m.data, m.size, (const guint8 *) "\0\0\3\3", 4));
  fail_unless (m.data[m.size - 2] == 0x00 && m.data[m.size - 1] == 0x03);
  fail_unless (m.data[4] == md[0] && m.data[5] == md[1]);
  fail_if (has_zero_run (m.data + 5, m.size - 5, 2));
  gst_buffer_unmap (wire, &m);

  /* Through the stock payloader and depayloader: the same access units. */
  gst_harness_push_event (rt, gst_event_new_eos ());
  out = gst_harness_pull (rt);
  in = gst_buffer_new_memdup (dummy, sizeof (dummy));
  fail_unless (buffers_equal (out, in));
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  out = gst_harness_pull (rt);
  gst_buffer_map (out, &m, GST_MAP_READ);
  fail_unless_equals_int (m.size, sizeof (au));
  fail_unless (memcmp (m.data, au, sizeof (au)) == 0);
  gst_buffer_unmap (out, &m);
  gst_buffer_unref (out);

  gst_clear_buffer (&wire);
  gst_object_unref (src);
  gst_caps_unref (caps);
  gst_harness_teardown (rt);
}
GST_END_TEST;

/* No property, however read, shows a key. */
static void
assert_no_key_in_properties (GstElement * e)
{
  guint n = 0;
  GParamSpec **props = g_object_class_list_properties (G_OBJECT_GET_CLASS (e),
      &n);
  gchar *hex = g_strdup ("");

  for (guint i = 0; i < sizeof (key_a); i++) {
    gchar *t = g_strdup_printf ("%s%02x", hex, key_a[i]);

    g_free (hex);
    hex = t;
  }
  for (guint i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;
    gchar *text;

    if (!(props[i]->flags & G_PARAM_READABLE))
      continue;
    g_value_init (&v, props[i]->value_type);
    g_object_get_property (G_OBJECT (e), props[i]->name, &v);
    text = g_strdup_value_contents (&v);
    fail_if (strstr (text, hex) || strstr (text, "key A"),
        "property %s shows the key", props[i]->name);
    g_free (text);
    g_value_unset (&v);
  }
  g_free (props);
  g_free (hex);
}

GST_START_TEST (test_keys_not_readable)
{
  GstElement *e = gst_element_factory_make ("e2eeenc", NULL);
  GstElement *d = gst_element_factory_make ("e2eedec", NULL);

  fail_unless (add_key (e, KID_VIDEO (0), key_a, 16, E2EE_KEY_SEND));
  fail_unless (add_key (d, KID_VIDEO (0), key_a, 16, E2EE_KEY_RECV));
  /* Usage is enforced: no receive key in e2eeenc, no send key in e2eedec. */
  fail_if (add_key (e, KID_VIDEO (1), key_a, 16, E2EE_KEY_RECV));
  fail_if (add_key (d, KID_VIDEO (1), key_a, 16, E2EE_KEY_SEND));
  assert_no_key_in_properties (e);
  assert_no_key_in_properties (d);
  gst_object_unref (e);
  gst_object_unref (d);
}
GST_END_TEST;

/* A relay must not show one sender's video in another's tile. */
GST_START_TEST (test_stream_and_sender_bound)
{
  GstElement *e = gst_element_factory_make ("e2eeenc", NULL);
  GstElement *d = gst_element_factory_make ("e2eedec", NULL);

  g_object_set (d, "sender-index", 5, NULL);
  fail_if (add_key (d, e2ee_kid_make (E2EE_STREAM_VIDEO, 4, 0), key_a, 16,
          E2EE_KEY_RECV));
  fail_unless (add_key (d, e2ee_kid_make (E2EE_STREAM_VIDEO, 5, 0), key_a,
          16, E2EE_KEY_RECV));
  fail_if (add_key (d, e2ee_kid_make (E2EE_STREAM_AUDIO, 5, 0), key_a, 16,
          E2EE_KEY_RECV));
  g_object_set (e, "stream", E2EE_STREAM_AUDIO, "sender-index", 2, NULL);
  fail_if (add_key (e, e2ee_kid_make (E2EE_STREAM_VIDEO, 2, 0), key_a, 16,
          E2EE_KEY_SEND));
  fail_if (add_key (e, e2ee_kid_make (E2EE_STREAM_AUDIO, 3, 0), key_a, 16,
          E2EE_KEY_SEND));
  fail_unless (add_key (e, e2ee_kid_make (E2EE_STREAM_AUDIO, 2, 0), key_a,
          16, E2EE_KEY_SEND));
  gst_object_unref (e);
  gst_object_unref (d);
}
GST_END_TEST;

/* A key file readable by others is refused; a 0600 one is used. */
GST_START_TEST (test_key_file)
{
  gchar *dir = g_dir_make_tmp ("e2ee-keys-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "send.keys", NULL);
  gchar *line = g_strdup_printf ("# a comment\n%" G_GUINT64_FORMAT " send "
      "000102030405060708090a0b0c0d0e0f\n", KID_AUDIO (0));
  GstHarness *h;
  GstElement *e;
  int fd;

  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  fail_unless (fd >= 0);
  fail_unless_equals_int (write (fd, line, strlen (line)), (gssize) strlen (line));
  close (fd);
  fail_unless_equals_int (chmod (path, 0644), 0);
  e = gst_element_factory_make ("e2eeenc", NULL);
  g_object_set (e, "key-file", path, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);

  fail_unless_equals_int (chmod (path, 0600), 0);
  {
    gchar *desc = g_strdup_printf ("e2eeenc name=enc stream=audio "
        "key-file=\"%s\"", path);

    h = gst_harness_new_parse (desc);
    g_free (desc);
  }
  gst_harness_set_src_caps_str (h, "audio/x-opus");
  {
    GstBuffer *b = gst_buffer_new_memdup ("opus frame", 10);

    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    b = gst_harness_try_pull (h);
    fail_unless (b != NULL, "the key file's key was not used");
    /* The header (KID 0 inline, a random CTR), the frame, a 16-byte tag. */
    {
      GstMapInfo bm;
      guint64 kid, ctr;
      int hl;

      gst_buffer_map (b, &bm, GST_MAP_READ);
      hl = e2ee_sframe_header_parse (bm.data, bm.size, &kid, &ctr);
      gst_buffer_unmap (b, &bm);
      fail_unless (hl > 0 && kid == KID_AUDIO (0) && ctr > 0);
      fail_unless_equals_int (gst_buffer_get_size (b), (gsize) hl + 10 + 16);
    }
    gst_buffer_unref (b);
  }
  gst_harness_teardown (h);
  unlink (path);
  rmdir (dir);
  g_free (line);
  g_free (path);
  g_free (dir);
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

  tc = tcase_create ("behaviour");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tamper_rtp);
  tcase_add_test (tc, test_replay_h264);
  tcase_add_test (tc, test_replay_opus);
  tcase_add_test (tc, test_no_key);
  tcase_add_test (tc, test_dec_wipes_output);
  tcase_add_test (tc, test_rotation);
  tcase_add_test (tc, test_key_hold);
  tcase_add_test (tc, test_escaping);
  tcase_add_test (tc, test_keys_not_readable);
  tcase_add_test (tc, test_stream_and_sender_bound);
  tcase_add_test (tc, test_key_file);
  return s;
}

GST_CHECK_MAIN (e2ee);
