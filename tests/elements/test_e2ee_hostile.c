// SPDX-License-Identifier: MIT
/*
 * e2eeenc / e2eedec against bad input, a hostile relay and a hostile
 * member (issue 11), with GstHarness: no sockets, no sleeps; time is a
 * GstTestClock where it matters.
 *
 *   1  input that is not Annex B never leaves e2eeenc in clear
 *   2  an access unit is authenticated whole; per KID, order
 *   3  a key installed again keeps its order (no replay of the epoch)
 *   4  a KID installed again with another key is refused, loudly
 *   5  holding is bounded by the element's clock, one epoch, a count
 *   7  empty and oversize frames, header-only slices
 */
#define _GNU_SOURCE
#include <string.h>

#include <gst/check/gsttestclock.h>

#include "e2ee_harness.h"

static const GstCaps *
h264_caps (void)
{
  static GstCaps *caps;

  if (!caps)
    caps = gst_caps_from_string ("video/x-h264,stream-format=byte-stream,"
        "alignment=au,width=320,height=240,framerate=30/1");
  return caps;
}

/* A slice body: no zero byte, no 0x03, recognisable. */
static void
fill_body (guint8 * p, gsize n, guint8 seed)
{
  for (gsize i = 0; i < n; i++)
    p[i] = (guint8) (seed + i * 37) | 0x10;
}

/* An encrypting harness with a send key, its bus to look at. */
static GstHarness *
sender (const gchar * desc, guint64 kid, const gchar * caps, GstBus ** bus)
{
  GstHarness *h = harness_with_keys (desc, kid, TRUE, FALSE);

  if (caps)
    gst_harness_set_src_caps_str (h, caps);
  *bus = gst_bus_new ();
  gst_element_set_bus (h->element, *bus);
  return h;
}

#define VIDEO_SENDER "e2eeenc name=enc", KID_VIDEO (0)
#define AUDIO_SENDER "e2eeenc name=enc stream=audio", KID_AUDIO (0)

static void
sender_free (GstHarness * h, GstBus * bus)
{
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

static gboolean
pop_message (GstBus * bus, GstMessageType type)
{
  GstMessage *m = gst_bus_pop_filtered (bus, type);

  if (!m)
    return FALSE;
  gst_message_unref (m);
  return TRUE;
}

#define pop_error(bus) pop_message ((bus), GST_MESSAGE_ERROR)
#define pop_warning(bus) pop_message ((bus), GST_MESSAGE_WARNING)

/* Does any 16-byte window of body appear in b? */
static gboolean
leaks (GstBuffer * b, const guint8 * body, gsize n)
{
  GstMapInfo m;
  gboolean found = FALSE;

  gst_buffer_map (b, &m, GST_MAP_READ);
  for (gsize off = 0; off + 16 <= n && !found; off += 8)
    found = memmem (m.data, m.size, body + off, 16) != NULL;
  gst_buffer_unmap (b, &m);
  return found;
}

/*
 * 1. The review's case: AVC (4-byte lengths) under byte-stream caps. The
 * length 0x107 reads as 00 00 01 and an SPS header; the IDR slice after it
 * used to go out as a clear parameter set. H.265: 0x142 reads as an SPS.
 */
static void
avc_under_bytestream (const gchar * caps, const guint8 * prefix, gsize pl,
    gsize body_len)
{
  guint8 au[4 + 2 + 400], body[400];
  GstBus *bus;
  GstHarness *h = sender (VIDEO_SENDER, caps, &bus);
  GstBuffer *out;

  fail_unless (body_len <= sizeof (body));
  fill_body (body, body_len, 0x41);
  memcpy (au, prefix, pl);
  memcpy (au + pl, body, body_len);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_memdup (au,
              pl + body_len)), GST_FLOW_OK);
  out = gst_harness_try_pull (h);
  if (out) {
    fail_if (leaks (out, body, body_len), "plaintext slice bytes on the wire");
    gst_buffer_unref (out);
    fail ("e2eeenc passed on an access unit that is not Annex B");
  }
  fail_unless_equals_uint64 (stat_of (by_name (h, "enc"), "malformed"), 1);
  fail_unless (pop_error (bus), "no error posted for the dropped AU");
  sender_free (h, bus);
}

GST_START_TEST (test_avc_under_bytestream_h264)
{
  /* 00 00 01 07: length 263; then the IDR slice's header 0x65. */
  static const guint8 prefix[] = { 0, 0, 1, 7, 0x65, 0x88 };

  avc_under_bytestream ("video/x-h264,stream-format=byte-stream,alignment=au",
      prefix, sizeof (prefix), 263 - 2);
}
GST_END_TEST;

GST_START_TEST (test_avc_under_bytestream_h265)
{
  /* 00 00 01 42: length 322, read as an SPS (type 33); then IDR_W_RADL. */
  static const guint8 prefix[] = { 0, 0, 1, 0x42, 0x26, 0x01, 0xaf };

  avc_under_bytestream ("video/x-h265,stream-format=byte-stream,alignment=au",
      prefix, sizeof (prefix), 322 - 3);
}
GST_END_TEST;

/* A whole encoded stream rewritten with 4-byte lengths: nothing of a slice out. */
GST_START_TEST (test_avc_stream_no_slice_bytes)
{
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, H264_ENC, 20, &caps);
  GstBus *bus;
  GstHarness *h = sender (VIDEO_SENDER, NULL, &bus);
  GPtrArray *bodies = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  guint out = 0;

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  for (guint f = 0; f < frames->len; f++) {
    GstMapInfo m;
    GByteArray *avc = g_byte_array_new ();
    GstBuffer *b;

    gst_buffer_map (g_ptr_array_index (frames, f), &m, GST_MAP_READ);
    for (gsize i = 0; i + 3 <= m.size;) {
      gsize s, e;
      guint8 len[4];

      if (m.data[i] || m.data[i + 1] || m.data[i + 2] != 1) {
        i++;
        continue;
      }
      s = i + 3;
      /* To the next start code, 3 or 4 bytes. */
      e = s;
      while (e + 3 <= m.size && !(m.data[e] == 0 && m.data[e + 1] == 0
              && m.data[e + 2] == 1))
        e++;
      if (e + 3 > m.size)
        e = m.size;
      else if (m.data[e - 1] == 0)
        e--;
      len[0] = (guint8) ((e - s) >> 24);
      len[1] = (guint8) ((e - s) >> 16);
      len[2] = (guint8) ((e - s) >> 8);
      len[3] = (guint8) (e - s);
      g_byte_array_append (avc, len, 4);
      g_byte_array_append (avc, m.data + s, (guint) (e - s));
      if (((m.data[s] & 0x1f) == 1 || (m.data[s] & 0x1f) == 5) && e - s > 40)
        g_ptr_array_add (bodies, g_bytes_new (m.data + s + 2, e - s - 2));
      i = e;
    }
    gst_buffer_unmap (g_ptr_array_index (frames, f), &m);
    b = gst_buffer_new_wrapped (avc->data, avc->len);
    g_byte_array_free (avc, FALSE);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    while ((b = gst_harness_try_pull (h))) {
      for (guint k = 0; k < bodies->len; k++) {
        gsize n;
        const guint8 *body = g_bytes_get_data (g_ptr_array_index (bodies, k),
            &n);

        fail_if (leaks (b, body, n), "frame %u: slice bytes on the wire", f);
      }
      gst_buffer_unref (b);
      out++;
    }
  }
  fail_unless (bodies->len >= frames->len, "the control found no slices");
  fail_unless_equals_int (out, 0);
  fail_unless_equals_uint64 (stat_of (by_name (h, "enc"), "malformed"),
      frames->len);
  fail_unless (pop_error (bus));
  g_ptr_array_unref (bodies);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  sender_free (h, bus);
}
GST_END_TEST;

/* Access units that must not pass, and one that must (the control). */
GST_START_TEST (test_enc_validates_positively)
{
  static const guint8 aud[] = { 0, 0, 0, 1, 0x09, 0x10 };
  static const guint8 sps[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0xe9,
    0x55
  };
  static const guint8 pps[] = { 0, 0, 0, 1, 0x68, 0xce, 0x38, 0x80 };
  static const guint8 idr[] = { 0, 0, 0, 1, 0x65, 0x88 };
  struct
  {
    const gchar *name;
    const guint8 *head;
    gsize head_len;
    gsize big_sps;              /* an SPS of this many bytes first */
    guint sps_copies;
  } cases[] = {
    {"leading zero byte", (const guint8 *) "\0\0\0\0\1\x65\x88", 7, 0, 0},
    {"forbidden_zero_bit", (const guint8 *) "\0\0\0\1\xe5\x88", 6, 0, 0},
    {"unspecified type 0", (const guint8 *) "\0\0\0\1\x00\x88\0\0\0\1\x65\x88",
        12, 0, 0},
    {"AUD with payload", (const guint8 *) "\0\0\0\1\x09\xf0\x55\0\0\0\1\x65\x88",
        13, 0, 0},
    {"SPS with nal_ref_idc 0",
        (const guint8 *) "\0\0\0\1\x07\x42\xc0\x1f\xe9\0\0\0\1\x65\x88", 15, 0,
        0},
    {"SPS of an unknown profile",
        (const guint8 *) "\0\0\0\1\x67\x07\xc0\x1f\xe9\0\0\0\1\x65\x88", 15, 0,
        0},
    {"SPS of 300 bytes", NULL, 0, 300, 1},
    {"1250 clear bytes in one AU", NULL, 0, 250, 5},
    {"header-only slice", (const guint8 *) "\0\0\0\1\x41", 5, 0, 0},
  };
  GstBus *bus;
  GstHarness *h = sender (VIDEO_SENDER, "video/x-h264,"
      "stream-format=byte-stream,alignment=au", &bus);
  GstElement *enc = by_name (h, "enc");
  guint8 body[300];
  GstBuffer *b;

  fill_body (body, sizeof (body), 3);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    GByteArray *a = g_byte_array_new ();

    for (guint k = 0; k < cases[c].sps_copies; k++) {
      guint8 big[4 + 300];

      memcpy (big, sps, 9);
      memcpy (big + 9, body, cases[c].big_sps - 5);
      g_byte_array_append (a, big, (guint) (4 + cases[c].big_sps));
    }
    if (cases[c].head)
      g_byte_array_append (a, cases[c].head, (guint) cases[c].head_len);
    else
      g_byte_array_append (a, idr, sizeof (idr));
    if (cases[c].head_len != 5)
      g_byte_array_append (a, body, 100);
    b = gst_buffer_new_wrapped (a->data, a->len);
    g_byte_array_free (a, FALSE);
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    b = gst_harness_try_pull (h);
    fail_if (b != NULL, "%s: went out", cases[c].name);
    fail_unless_equals_uint64 (stat_of (enc, "malformed"), c + 1);
  }
  /* The control: a well-formed AU with clear AUD, SPS, PPS goes out. */
  {
    GByteArray *a = g_byte_array_new ();

    g_byte_array_append (a, aud, sizeof (aud));
    g_byte_array_append (a, sps, sizeof (sps));
    g_byte_array_append (a, pps, sizeof (pps));
    g_byte_array_append (a, idr, sizeof (idr));
    g_byte_array_append (a, body, 100);
    b = gst_buffer_new_wrapped (a->data, a->len);
    g_byte_array_free (a, FALSE);
  }
  fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  b = gst_harness_try_pull (h);
  fail_unless (b != NULL, "a well-formed access unit was dropped");
  fail_if (leaks (b, body, 100));
  gst_buffer_unref (b);
  sender_free (h, bus);
}
GST_END_TEST;

/* ------------------------------------------------------------------ (2) */

/*
 * Access unit i of ct again: what precedes its three slices (AUD, parameter
 * sets, SEI), then the slices in the order given, then extra if not NULL.
 */
static void
push_variant (GstHarness * rx, GPtrArray * ct, GPtrArray ** n, guint i,
    const gint * slices, guint n_slices, GBytes * extra)
{
  GByteArray *a = g_byte_array_new ();
  guint first_slice = n[i]->len - 3;
  GstBuffer *b;
  gsize len;
  const guint8 *d;

  for (guint k = 0; k < first_slice + n_slices; k++) {
    guint at = k < first_slice ? k : first_slice + slices[k - first_slice];

    d = g_bytes_get_data (g_ptr_array_index (n[i], at), &len);
    g_byte_array_append (a, d, (guint) len);
  }
  if (extra) {
    d = g_bytes_get_data (extra, &len);
    g_byte_array_append (a, d, (guint) len);
  }
  b = gst_buffer_new_wrapped (a->data, a->len);
  g_byte_array_free (a, FALSE);
  gst_buffer_copy_into (b, g_ptr_array_index (ct, i),
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  fail_unless_equals_int (gst_harness_push (rx, b), GST_FLOW_OK);
}

/*
 * Multi-slice pictures (x264 slices=3): a relay that cuts a slice, moves
 * one into the next access unit or swaps two gets nothing through.
 */
GST_START_TEST (test_au_cut_splice_reorder)
{
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, VIDEO_RAW " ! x264enc "
      "tune=zerolatency speed-preset=ultrafast key-int-max=30 threads=1 "
      "option-string=slices=3 ! h264parse ! " H264_AU, 8, &caps);
  GstHarness *tx = harness_with_keys ("e2eeenc name=enc", KID_VIDEO (0), TRUE,
      FALSE);
  GstHarness *rx = harness_with_keys ("e2eedec name=dec", KID_VIDEO (0),
      FALSE, TRUE);
  GPtrArray *ct = run_chain (tx, caps, frames), *n[8];
  GstElement *dec = by_name (rx, "dec");
  GstBuffer *b;

  fail_unless_equals_int (ct->len, 8);
  for (guint i = 0; i < 8; i++) {
    n[i] = nals_of (g_ptr_array_index (ct, i));
    /* Three slices at the end (AUD, SPS, PPS, SEI before them on the
     * first). threads=1: with sliced threads, x264 makes one slice per
     * thread whatever slices says (two on a 2-core machine, and this test
     * then swapped a slice with the delimiter). */
    fail_unless (n[i]->len >= 4, "AU %u has %u NAL units", i, n[i]->len);
    for (guint k = n[i]->len - 3; k < n[i]->len; k++) {
      guint t = *((const guint8 *) g_bytes_get_data (g_ptr_array_index (n[i],
                  k), NULL) + 4) & 0x1f;

      fail_unless (t == 1 || t == 5, "AU %u: NAL unit %u of type %u is not "
          "a slice", i, k, t);
    }
  }
  gst_harness_set_src_caps (rx, gst_caps_ref (caps));
  /* 1 intact; 2 without its last slice, 3 without its middle one; 4 loses
   * its last slice to 5; 6 with two slices swapped; 7 intact. */
  push_variant (rx, ct, n, 1, (const gint[]) { 0, 1, 2}, 3, NULL);
  push_variant (rx, ct, n, 2, (const gint[]) { 0, 1}, 2, NULL);
  push_variant (rx, ct, n, 3, (const gint[]) { 0, 2}, 2, NULL);
  push_variant (rx, ct, n, 4, (const gint[]) { 0, 1}, 2, NULL);
  push_variant (rx, ct, n, 5, (const gint[]) { 0, 1, 2}, 3,
      g_ptr_array_index (n[4], n[4]->len - 1));
  push_variant (rx, ct, n, 6, (const gint[]) { 0, 2, 1}, 3, NULL);
  push_variant (rx, ct, n, 7, (const gint[]) { 0, 1, 2}, 3, NULL);
  /* Only 1 and 7 came out. */
  fail_unless_equals_int (gst_harness_buffers_received (rx), 2);
  b = gst_harness_pull (rx);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b),
      GST_BUFFER_PTS (g_ptr_array_index (frames, 1)));
  gst_buffer_unref (b);
  b = gst_harness_pull (rx);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b),
      GST_BUFFER_PTS (g_ptr_array_index (frames, 7)));
  gst_buffer_unref (b);
  fail_unless_equals_uint64 (stat_of (dec, "auth-failed") + stat_of (dec,
          "spliced"), 5);
  fail_unless (stat_of (dec, "spliced") >= 2);
  for (guint i = 0; i < 8; i++)
    g_ptr_array_unref (n[i]);
  g_ptr_array_unref (ct);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (tx);
  gst_harness_teardown (rx);
}
GST_END_TEST;

/* Opus frames encrypted under KID_AUDIO (0), and a receiver with its key. */
typedef struct
{
  GstCaps *caps;
  GPtrArray *frames, *ct;
  GstHarness *tx, *rx;
  GstElement *dec;
} AudioPair;

static void
audio_pair_init (AudioPair * p, guint n)
{
  memset (p, 0, sizeof (*p));
  p->frames = encode (AUDIO_SRC, AUDIO_RAW " ! opusenc", n, &p->caps);
  p->tx = harness_with_keys ("e2eeenc name=enc stream=audio", KID_AUDIO (0),
      TRUE, FALSE);
  p->rx = harness_with_keys ("e2eedec name=dec stream=audio", KID_AUDIO (0),
      FALSE, TRUE);
  p->ct = run_chain (p->tx, p->caps, p->frames);
  p->dec = by_name (p->rx, "dec");
  gst_harness_set_src_caps (p->rx, gst_caps_ref (p->caps));
}

static void
audio_pair_clear (AudioPair * p)
{
  g_ptr_array_unref (p->ct);
  g_ptr_array_unref (p->frames);
  gst_caps_unref (p->caps);
  gst_harness_teardown (p->tx);
  gst_harness_teardown (p->rx);
}

/* Opus frames reordered by the relay: only those after the last output pass. */
GST_START_TEST (test_audio_reorder)
{
  AudioPair p;
  guint n;

  audio_pair_init (&p, 50);
  n = p.ct->len & ~1u;
  fail_unless (n >= 50);
  /* 1 0 3 2 5 4 ...: each even frame comes after a later one. */
  for (guint i = 0; i < n; i++)
    gst_harness_push (p.rx, gst_buffer_copy (g_ptr_array_index (p.ct, i ^ 1)));
  fail_unless_equals_uint64 (stat_of (p.dec, "frames"), n / 2);
  fail_unless_equals_uint64 (stat_of (p.dec, "replayed"), n / 2);
  audio_pair_clear (&p);
}
GST_END_TEST;

/* ------------------------------------------------------------------ (3, 4) */

/* A key removed and installed again (a reconnected key provider): no replay. */
GST_START_TEST (test_reinstall_keeps_order)
{
  AudioPair p;
  gboolean ok = FALSE;

  audio_pair_init (&p, 10);
  for (guint i = 0; i < 5; i++)
    gst_harness_push (p.rx, gst_buffer_copy (g_ptr_array_index (p.ct, i)));
  fail_unless_equals_int (gst_harness_buffers_received (p.rx), 5);
  g_signal_emit_by_name (p.dec, "remove-key", KID_AUDIO (0), &ok);
  fail_unless (ok);
  fail_unless (add_key (p.dec, KID_AUDIO (0), key_a, 16, E2EE_KEY_RECV));
  for (guint i = 0; i < 5; i++)
    gst_harness_push (p.rx, gst_buffer_copy (g_ptr_array_index (p.ct, i)));
  fail_unless_equals_int (gst_harness_buffers_received (p.rx), 5);
  fail_unless_equals_uint64 (stat_of (p.dec, "replayed"), 5);
  for (guint i = 5; i < 10; i++)
    gst_harness_push (p.rx, gst_buffer_copy (g_ptr_array_index (p.ct, i)));
  fail_unless_equals_int (gst_harness_buffers_received (p.rx), 10);
  audio_pair_clear (&p);
}
GST_END_TEST;

static guint64
counter_of (GstBuffer * b)
{
  GstMapInfo m;
  guint64 kid, ctr = 0;

  gst_buffer_map (b, &m, GST_MAP_READ);
  fail_unless (e2ee_sframe_header_parse (m.data, m.size, &kid, &ctr) > 0);
  gst_buffer_unmap (b, &m);
  return ctr;
}

/*
 * The same KID again: the same key is kept as it is (the send counter goes
 * on); another key is refused with an error on the bus.
 */
GST_START_TEST (test_reinstall_other_key)
{
  GstBus *bus;
  GstHarness *tx = sender (AUDIO_SENDER, "audio/x-opus", &bus);
  GstElement *enc = by_name (tx, "enc");
  GstElement *dec = gst_element_factory_make ("e2eedec", NULL);
  GstBuffer *a, *b;

  gst_harness_push (tx, gst_buffer_new_memdup ("opus frame", 10));
  a = gst_harness_pull (tx);
  fail_unless (add_key (enc, KID_AUDIO (0), key_a, 16, E2EE_KEY_SEND));
  fail_if (pop_warning (bus));
  gst_harness_push (tx, gst_buffer_new_memdup ("opus frame", 10));
  b = gst_harness_pull (tx);
  fail_unless_equals_uint64 (counter_of (b), counter_of (a) + 1);
  fail_if (add_key (enc, KID_AUDIO (0), key_b, 16, E2EE_KEY_SEND));
  fail_unless (pop_warning (bus), "a different key was refused silently");
  gst_buffer_unref (a);
  gst_buffer_unref (b);

  gst_element_set_bus (dec, bus);
  fail_unless (add_key (dec, KID_VIDEO (0), key_a, 16, E2EE_KEY_RECV));
  fail_unless (add_key (dec, KID_VIDEO (0), key_a, 16, E2EE_KEY_RECV));
  fail_if (pop_warning (bus));
  fail_if (add_key (dec, KID_VIDEO (0), key_b, 16, E2EE_KEY_RECV));
  fail_unless (pop_warning (bus));
  gst_element_set_bus (dec, NULL);
  gst_object_unref (dec);
  sender_free (tx, bus);
}
GST_END_TEST;

static gboolean
set_expiry (GstElement * e, guint64 kid, gint64 ms)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "set-key-expiry", kid, ms, &ok);
  return ok;
}

/*
 * The elements' own backstop (set by the key provider when keyxchgd goes
 * away): a key whose time is up is gone with the next frame; cleared, it
 * stays.
 */
GST_START_TEST (test_key_expiry)
{
  AudioPair p;
  GstElement *enc;
  GstHarness *tx;
  GstBuffer *b;
  GstBus *bus;

  audio_pair_init (&p, 6);
  gst_harness_push (p.rx, gst_buffer_copy (g_ptr_array_index (p.ct, 0)));
  fail_unless (set_expiry (p.dec, KID_AUDIO (0), 600000));
  gst_harness_push (p.rx, gst_buffer_copy (g_ptr_array_index (p.ct, 1)));
  fail_unless (set_expiry (p.dec, KID_AUDIO (0), -1));
  gst_harness_push (p.rx, gst_buffer_copy (g_ptr_array_index (p.ct, 2)));
  fail_unless_equals_int (gst_harness_buffers_received (p.rx), 3);
  fail_unless (set_expiry (p.dec, KID_AUDIO (0), 0));
  gst_harness_push (p.rx, gst_buffer_copy (g_ptr_array_index (p.ct, 3)));
  fail_unless_equals_int (gst_harness_buffers_received (p.rx), 3);
  fail_if (set_expiry (p.dec, KID_AUDIO (0), -1), "the expired key is still there");
  /* The sender's key likewise: nothing is sent under it any more. */
  tx = sender (AUDIO_SENDER, "audio/x-opus", &bus);
  enc = by_name (tx, "enc");
  fail_unless (set_expiry (enc, KID_AUDIO (0), 0));
  gst_harness_push (tx, gst_buffer_new_memdup ("opus frame", 10));
  b = gst_harness_try_pull (tx);
  fail_if (b != NULL);
  fail_unless_equals_uint64 (stat_of (enc, "dropped-no-key"), 1);
  sender_free (tx, bus);
  audio_pair_clear (&p);
}
GST_END_TEST;

/* ------------------------------------------------------------------ (5) */

/* Frames of one sender under KID_VIDEO (epoch), encrypted with key. */
static GPtrArray *
encrypted (GPtrArray * frames, GstCaps * caps, guint64 kid,
    const guint8 * key)
{
  GstHarness *tx = gst_harness_new_parse ("e2eeenc name=enc");
  GPtrArray *ct;

  fail_unless (add_key (by_name (tx, "enc"), kid, key, 16, E2EE_KEY_SEND));
  fail_unless (set_send_kid (by_name (tx, "enc"), kid));
  ct = run_chain (tx, caps, frames);
  gst_harness_teardown (tx);
  return ct;
}

/*
 * The review's stall: one frame under the next epoch's KID with a
 * far-future timestamp. Genuine frames behind it still come out at once.
 */
GST_START_TEST (test_hold_no_stall)
{
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, H264_ENC, 30, &caps);
  GPtrArray *ct = encrypted (frames, caps, KID_VIDEO (0), key_a);
  GPtrArray *evil = encrypted (frames, caps, KID_VIDEO (1), key_b);
  GstHarness *rx = harness_with_keys ("e2eedec name=dec", KID_VIDEO (0),
      FALSE, TRUE);
  GstElement *dec = by_name (rx, "dec");
  GstBuffer *inject = gst_buffer_copy (g_ptr_array_index (evil, 3));

  /* Far ahead of the stream's own timestamps (x264enc starts at 1000 h). */
  GST_BUFFER_PTS (inject) = GST_BUFFER_DTS (inject) =
      GST_BUFFER_PTS (g_ptr_array_index (ct, 0)) + 1000000 * GST_SECOND;
  gst_harness_set_src_caps (rx, gst_caps_ref (caps));
  for (guint i = 0; i < 30; i++) {
    if (i == 6)
      gst_harness_push (rx, gst_buffer_ref (inject));
    gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (ct, i)));
    /* Before EOS, every genuine frame is out once the next one arrived. */
    fail_unless (gst_harness_buffers_received (rx) >= i, "stalled at %u", i);
  }
  fail_unless_equals_int (gst_harness_buffers_received (rx), 30);
  fail_unless_equals_uint64 (stat_of (dec, "dropped-no-key"), 1);
  gst_buffer_unref (inject);
  g_ptr_array_unref (evil);
  g_ptr_array_unref (ct);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (rx);
}
GST_END_TEST;

/*
 * Frames under the next epoch wait at most key-hold-ms of the element's
 * clock, whatever their timestamps; two epochs ahead they do not wait; at
 * most GST_E2EE_HOLD_MAX (64) wait.
 */
GST_START_TEST (test_hold_bounded)
{
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, H264_ENC, 10, &caps);
  GPtrArray *next = encrypted (frames, caps, KID_VIDEO (1), key_b);
  GPtrArray *far = encrypted (frames, caps, KID_VIDEO (2), key_b);
  GstHarness *rx = harness_with_keys ("e2eedec name=dec key-hold-ms=1000",
      KID_VIDEO (0), FALSE, TRUE);
  GstHarness *rx2 = harness_with_keys ("e2eedec name=dec key-hold-ms=60000",
      KID_VIDEO (0), FALSE, TRUE);
  GstElement *dec = by_name (rx, "dec"), *dec2 = by_name (rx2, "dec");
  GstBuffer *b;

  gst_harness_use_testclock (rx);
  fail_unless (gst_harness_set_time (rx, 0));
  gst_harness_set_src_caps (rx, gst_caps_ref (caps));
  /* Far-future timestamps change nothing. */
  b = gst_buffer_copy (g_ptr_array_index (next, 0));
  GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) =
      GST_BUFFER_PTS (g_ptr_array_index (next, 0)) + 1000000 * GST_SECOND;
  gst_harness_push (rx, b);
  fail_unless (gst_harness_set_time (rx, 999 * GST_MSECOND));
  gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (next, 1)));
  fail_unless_equals_uint64 (stat_of (dec, "dropped-no-key"), 0);
  fail_unless (gst_harness_set_time (rx, 1000 * GST_MSECOND));
  gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (next, 2)));
  fail_unless_equals_uint64 (stat_of (dec, "dropped-no-key"), 1);
  /* Once its key is here, what still waits comes out. */
  fail_unless (add_key (dec, KID_VIDEO (1), key_b, 16, E2EE_KEY_RECV));
  gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (next, 3)));
  fail_unless_equals_int (gst_harness_buffers_received (rx), 3);
  /* Epoch 1 is the newest installed now: epoch 3 is two ahead. */
  {
    GPtrArray *e3 = encrypted (frames, caps, KID_VIDEO (3), key_b);

    gst_harness_push (rx, gst_buffer_copy (g_ptr_array_index (e3, 4)));
    fail_unless_equals_uint64 (stat_of (dec, "dropped-no-key"), 2);
    g_ptr_array_unref (e3);
  }

  /* Two epochs ahead of the only key: dropped at once. */
  gst_harness_set_src_caps (rx2, gst_caps_ref (caps));
  gst_harness_push (rx2, gst_buffer_copy (g_ptr_array_index (far, 0)));
  fail_unless_equals_uint64 (stat_of (dec2, "dropped-no-key"), 1);
  /* At most 64 wait, however long the hold. */
  for (guint i = 0; i < 100; i++)
    gst_harness_push (rx2, gst_buffer_copy (g_ptr_array_index (next,
                i % 10)));
  fail_unless_equals_uint64 (stat_of (dec2, "dropped-no-key"), 1 + 36);
  fail_unless_equals_int (gst_harness_buffers_received (rx2), 0);

  g_ptr_array_unref (next);
  g_ptr_array_unref (far);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (rx);
  gst_harness_teardown (rx2);
}
GST_END_TEST;

/* ------------------------------------------------------------------ (7) */

/* Empty and oversize buffers, at both elements: dropped, counted, no UB. */
GST_START_TEST (test_empty_and_oversize)
{
  GstBus *bus;
  GstHarness *tx = sender (AUDIO_SENDER, "audio/x-opus", &bus);
  GstHarness *txv = harness_with_keys ("e2eeenc name=enc", KID_VIDEO (0),
      TRUE, FALSE);
  GstHarness *rx = harness_with_keys ("e2eedec name=dec stream=audio",
      KID_AUDIO (0), FALSE, TRUE);
  GstHarness *rxv = harness_with_keys ("e2eedec name=dec", KID_VIDEO (0),
      FALSE, TRUE);
  GstElement *enc = by_name (tx, "enc");
  guint8 *big = g_malloc0 (64 * 1024 + 1);

  gst_harness_set_src_caps_str (txv, "video/x-h264,stream-format=byte-stream,"
      "alignment=au");
  gst_harness_set_src_caps_str (rx, "audio/x-opus");
  gst_harness_set_src_caps (rxv, gst_caps_copy (h264_caps ()));

  gst_harness_push (tx, gst_buffer_new ());
  gst_harness_push (txv, gst_buffer_new ());
  gst_harness_push (rx, gst_buffer_new ());
  gst_harness_push (rxv, gst_buffer_new ());
  /* 64 KiB and a byte of audio: more than any Opus packet. */
  gst_harness_push (tx, gst_buffer_new_memdup (big, 64 * 1024 + 1));
  gst_harness_push (rx, gst_buffer_new_memdup (big, 64 * 1024 + 1));
  fail_unless_equals_int (gst_harness_buffers_received (tx), 0);
  fail_unless_equals_int (gst_harness_buffers_received (txv), 0);
  fail_unless_equals_int (gst_harness_buffers_received (rx), 0);
  fail_unless_equals_int (gst_harness_buffers_received (rxv), 0);
  fail_unless_equals_uint64 (stat_of (enc, "malformed"), 2);
  fail_unless_equals_uint64 (stat_of (by_name (txv, "enc"), "malformed"), 1);
  fail_unless_equals_uint64 (stat_of (by_name (rx, "dec"), "malformed"), 2);
  fail_unless_equals_uint64 (stat_of (by_name (rxv, "dec"), "malformed"), 1);
  /* An audio frame of 64 KiB still goes. */
  gst_harness_push (tx, gst_buffer_new_memdup (big, 64 * 1024));
  fail_unless_equals_int (gst_harness_buffers_received (tx), 1);
  g_free (big);
  sender_free (tx, bus);
  gst_harness_teardown (txv);
  gst_harness_teardown (rx);
  gst_harness_teardown (rxv);
}
GST_END_TEST;

static Suite *
e2ee_hostile_suite (void)
{
  Suite *s = suite_create ("e2ee-hostile");
  TCase *tc = tcase_create ("hostile");

  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_avc_under_bytestream_h264);
  tcase_add_test (tc, test_avc_under_bytestream_h265);
  tcase_add_test (tc, test_avc_stream_no_slice_bytes);
  tcase_add_test (tc, test_enc_validates_positively);
  tcase_add_test (tc, test_au_cut_splice_reorder);
  tcase_add_test (tc, test_audio_reorder);
  tcase_add_test (tc, test_reinstall_keeps_order);
  tcase_add_test (tc, test_reinstall_other_key);
  tcase_add_test (tc, test_key_expiry);
  tcase_add_test (tc, test_hold_no_stall);
  tcase_add_test (tc, test_hold_bounded);
  tcase_add_test (tc, test_empty_and_oversize);
  return s;
}

GST_CHECK_MAIN (e2ee_hostile);
