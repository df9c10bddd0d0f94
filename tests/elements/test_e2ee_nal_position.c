// SPDX-License-Identifier: MIT
/*
 * Where NAL units stand in an access unit (security review 7, finding 3;
 * docs/media-path.md "Where NAL units stand"). A well-formed delimiter, or
 * a copy of the sender's own parameter sets, between the slices of an
 * authenticated access unit made h264parse / h265parse end it there and
 * the decoder show one picture as two. Both elements refuse a NAL unit out
 * of its place (gst_e2ee_au_pos_take): e2eeenc never sends one, e2eedec
 * drops the access unit whole, counted as malformed.
 *
 * Real x264enc / x265enc access units, real parsers and decoders, the
 * stock RTP payloader and depayloader; GstHarness, no sockets, no sleeps.
 */
#include <string.h>

#include <gst/rtp/gstrtpbuffer.h>

#include "e2ee_harness.h"

/*
 * Security review 7, finding 3: the relay puts a well-formed delimiter, or
 * a copy of the access unit's own parameter sets, before the last slice of
 * an authenticated access unit. Before the position rule, e2eedec passed
 * both, and h264parse / h265parse ended the access unit there: 20 access
 * units gave 40 pictures. All-intra streams here, so that an access unit
 * refused takes no other picture with it: the pictures out of the decoder
 * are exactly the access units e2eedec let out.
 */
#define N_SPLIT 12

#define H264_INTRA VIDEO_RAW " ! x264enc tune=zerolatency " \
    "speed-preset=ultrafast key-int-max=1 threads=1 " \
    "option-string=slices=3 ! h264parse ! " H264_AU
#define H265_INTRA VIDEO_RAW " ! x265enc tune=zerolatency " \
    "speed-preset=ultrafast key-int-max=1 option-string=slices=3 ! " \
    "h265parse ! " H265_AU

typedef enum
{
  AS_SENT,
  AUD_BEFORE_LAST_SLICE,
  PS_BEFORE_LAST_SLICE,
  N_SPLITS
} Split;

static const gchar *const split_names[N_SPLITS] = {
  "as sent", "a delimiter before the last slice",
  "its own parameter sets before its last slice",
};

/*
 * The NAL units of an Annex B access unit with 3- or 4-byte start codes,
 * each as 00 00 00 01 and the NAL unit (trailing zero bytes dropped).
 */
static GPtrArray *
nals_any (GstBuffer * b)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  gsize start = 0;
  GstMapInfo m;

  gst_buffer_map (b, &m, GST_MAP_READ);
  for (gsize i = 0; i + 3 <= m.size + 3; i++) {
    gboolean sc = i + 3 <= m.size && m.data[i] == 0 && m.data[i + 1] == 0
        && m.data[i + 2] == 1;
    gsize end = i;

    if (!sc && i < m.size)
      continue;
    if (start) {
      GByteArray *a = g_byte_array_new ();

      while (end > start && m.data[end - 1] == 0)
        end--;
      g_byte_array_append (a, (const guint8 *) "\0\0\0\1", 4);
      g_byte_array_append (a, m.data + start, (guint) (end - start));
      g_ptr_array_add (out, g_byte_array_free_to_bytes (a));
    }
    if (!sc)
      break;
    start = i + 3;
    i += 2;
  }
  gst_buffer_unmap (b, &m);
  fail_unless (out->len > 0);
  return out;
}

/* au with a delimiter or its own parameter sets before its last slice. */
static GstBuffer *
split_edit (GstBuffer * au, Split how, gboolean h265)
{
  static const guint8 aud264[] = { 0, 0, 0, 1, 0x09, 0xf0 };
  static const guint8 aud265[] = { 0, 0, 0, 1, 0x46, 0x01, 0x50 };
  GPtrArray *n = nals_any (au);
  GByteArray *a = g_byte_array_new (), *ins = g_byte_array_new ();
  guint last = 0, slices = 0;
  GstBuffer *b;
  gsize len;
  const guint8 *d;

  for (guint k = 0; k < n->len; k++) {
    GBytes *nal = g_ptr_array_index (n, k);

    if (is_vcl (nal, h265)) {
      last = k;
      slices++;
    }
    if (how == PS_BEFORE_LAST_SLICE && is_param_set (nal, h265)) {
      d = g_bytes_get_data (nal, &len);
      g_byte_array_append (ins, d, (guint) len);
    }
  }
  if (how == AUD_BEFORE_LAST_SLICE)
    g_byte_array_append (ins, h265 ? aud265 : aud264,
        h265 ? sizeof (aud265) : sizeof (aud264));
  /* Every access unit of an all-intra stream has both. */
  fail_unless (slices >= 2 && ins->len > 0, "%s: %u slices, %u bytes to put "
      "between them", split_names[how], slices, ins->len);
  for (guint k = 0; k < n->len; k++) {
    if (k == last)
      g_byte_array_append (a, ins->data, ins->len);
    d = g_bytes_get_data (g_ptr_array_index (n, k), &len);
    g_byte_array_append (a, d, (guint) len);
  }
  b = gst_buffer_new_wrapped (a->data, a->len);
  g_byte_array_free (a, FALSE);
  g_byte_array_free (ins, TRUE);
  g_ptr_array_unref (n);
  gst_buffer_copy_into (b, au, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  return b;
}

/*
 * What rx has ready, pushed into dec (whose caps are rx's output caps,
 * set with the first buffer); returns out plus how many.
 */
static guint
forward (GstHarness * rx, GstHarness * dec, guint out)
{
  GstBuffer *b;

  while ((b = gst_harness_try_pull (rx))) {
    if (out == 0)
      gst_harness_set_src_caps (dec, gst_pad_get_current_caps (rx->sinkpad));
    fail_unless_equals_int (gst_harness_push (dec, b), GST_FLOW_OK);
    out++;
  }
  return out;
}

/* End of stream into dec: the pictures it gives. */
static guint
pictures_of (GstHarness * dec)
{
  guint n = 0;
  GstBuffer *b;

  fail_unless (gst_harness_push_event (dec, gst_event_new_eos ()));
  while ((b = gst_harness_try_pull (dec))) {
    gst_buffer_unref (b);
    n++;
  }
  return n;
}

/*
 * e2eeenc ! (the relay edits every other access unit) ! e2eedec !
 * h264parse ! avdec_h264: each edited one is dropped whole and counted as
 * malformed, and the decoder shows exactly one picture per access unit
 * e2eedec let out.
 */
static void
split_through_decoder (const gchar * enc, gboolean h265)
{
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, enc, N_SPLIT, &caps);
  GstHarness *tx = harness_with_keys ("e2eeenc name=enc", KID_VIDEO (0), TRUE,
      FALSE);
  GPtrArray *ct = run_chain (tx, caps, frames);

  fail_unless_equals_int (ct->len, N_SPLIT);
  for (Split how = AS_SENT; how < N_SPLITS; how++) {
    GstHarness *rx = harness_with_keys ("e2eedec name=dec", KID_VIDEO (0),
        FALSE, TRUE);
    GstHarness *dec = gst_harness_new_parse (h265 ? "h265parse ! avdec_h265" :
        "h264parse ! avdec_h264");
    GstElement *d = by_name (rx, "dec");
    guint edited = 0, out = 0, pictures = 0;
    GstBuffer *b;

    gst_harness_set_src_caps (rx, gst_caps_ref (caps));
    for (guint i = 0; i < ct->len; i++) {
      GstBuffer *au = g_ptr_array_index (ct, i);

      if (how != AS_SENT && i % 2 == 1) {
        b = split_edit (au, how, h265);
        edited++;
      } else {
        b = gst_buffer_ref (au);
      }
      fail_unless_equals_int (gst_harness_push (rx, b), GST_FLOW_OK);
      out = forward (rx, dec, out);
    }
    pictures = pictures_of (dec);
    g_print ("%s %s: edited %u of %u access units; e2eedec out %u "
        "(malformed %" G_GUINT64_FORMAT ", auth-failed %" G_GUINT64_FORMAT
        "); decoder out %u pictures\n", h265 ? "H.265" : "H.264",
        split_names[how], edited, ct->len, out, stat_of (d, "malformed"),
        stat_of (d, "auth-failed"), pictures);
    fail_unless_equals_uint64 (stat_of (d, "malformed"), edited);
    fail_unless_equals_uint64 (stat_of (d, "auth-failed"), 0);
    fail_unless_equals_int (out, ct->len - edited);
    fail_unless (pictures == out, "%s: %u access units gave %u pictures",
        split_names[how], out, pictures);
    gst_harness_teardown (dec);
    gst_harness_teardown (rx);
  }
  gst_harness_teardown (tx);
  g_ptr_array_unref (ct);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
}

GST_START_TEST (test_split_h264)
{
  split_through_decoder (H264_INTRA, FALSE);
}
GST_END_TEST;

GST_START_TEST (test_split_h265)
{
  split_through_decoder (H265_INTRA, TRUE);
}
GST_END_TEST;

/*
 * The same edits made to the sender's own access units before e2eeenc, and
 * a second delimiter: e2eeenc refuses to send them (malformed, an element
 * error on the bus), and sends the same access unit unedited.
 */
static void
enc_refuses_split (const gchar * enc, gboolean h265)
{
  static const guint8 aud264[] = { 0, 0, 0, 1, 0x09, 0xf0 };
  static const guint8 aud265[] = { 0, 0, 0, 1, 0x46, 0x01, 0x50 };
  GstCaps *caps = NULL;
  GPtrArray *frames = encode (VIDEO_SRC, enc, 2, &caps);
  GstHarness *tx = harness_with_keys ("e2eeenc name=enc", KID_VIDEO (0), TRUE,
      FALSE);
  GstElement *e = by_name (tx, "enc");
  GstBus *bus = gst_bus_new ();
  GstBuffer *edits[3], *b;
  GstMessage *msg;

  gst_element_set_bus (e, bus);
  gst_harness_set_src_caps (tx, gst_caps_ref (caps));
  edits[0] = split_edit (g_ptr_array_index (frames, 0), AUD_BEFORE_LAST_SLICE,
      h265);
  edits[1] = split_edit (g_ptr_array_index (frames, 0), PS_BEFORE_LAST_SLICE,
      h265);
  {
    /* Two delimiters in front. */
    gsize n = h265 ? sizeof (aud265) : sizeof (aud264);
    const guint8 *aud = h265 ? aud265 : aud264;

    edits[2] = gst_buffer_new_memdup (aud, n);
    edits[2] = gst_buffer_append (edits[2], gst_buffer_new_memdup (aud, n));
    edits[2] = gst_buffer_append (edits[2],
        gst_buffer_copy_deep (g_ptr_array_index (frames, 0)));
  }
  for (guint k = 0; k < G_N_ELEMENTS (edits); k++) {
    fail_unless_equals_int (gst_harness_push (tx, edits[k]), GST_FLOW_OK);
    b = gst_harness_try_pull (tx);
    fail_if (b != NULL, "edit %u went out", k);
    fail_unless_equals_uint64 (stat_of (e, "malformed"), k + 1);
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "e2eeenc posted no error");
  gst_message_unref (msg);
  fail_unless_equals_int (gst_harness_push (tx,
          gst_buffer_ref (g_ptr_array_index (frames, 0))), GST_FLOW_OK);
  b = gst_harness_try_pull (tx);
  fail_unless (b != NULL, "the access unit as encoded did not go out");
  gst_buffer_unref (b);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (tx);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
}

GST_START_TEST (test_enc_refuses_split)
{
  enc_refuses_split (H264_INTRA, FALSE);
  enc_refuses_split (H265_INTRA, TRUE);
}
GST_END_TEST;

/*
 * The same attack where Janus makes it: between rtph264pay and
 * rtph264depay, as an RTP packet of its own (a single-NAL-unit packet
 * holding a delimiter, RFC 6184 5.6, with or without the marker bit)
 * before the packet that starts the last slice of every other access unit,
 * the sequence numbers after it shifted. rtph264depay (1.22) itself ends
 * the access unit at such a delimiter (a NAL unit of type 6..9 after a
 * slice, or the marker bit), before e2eedec: both halves fail
 * authentication, before the position rule as after it (measured: 12
 * auth-failed for 6 edited). The test keeps that so: whatever cuts the
 * access unit, no edited one comes out and no picture is doubled.
 */
static GstBuffer *
aud_packet (GstBuffer * like, gboolean marker)
{
  static const guint8 aud[] = { 0x09, 0xf0 };
  GstRTPBuffer in = GST_RTP_BUFFER_INIT, out = GST_RTP_BUFFER_INIT;
  GstBuffer *b = gst_rtp_buffer_new_allocate (sizeof (aud), 0, 0);

  fail_unless (gst_rtp_buffer_map (like, GST_MAP_READ, &in));
  fail_unless (gst_rtp_buffer_map (b, GST_MAP_WRITE, &out));
  gst_rtp_buffer_set_ssrc (&out, gst_rtp_buffer_get_ssrc (&in));
  gst_rtp_buffer_set_payload_type (&out, gst_rtp_buffer_get_payload_type (&in));
  gst_rtp_buffer_set_timestamp (&out, gst_rtp_buffer_get_timestamp (&in));
  gst_rtp_buffer_set_marker (&out, marker);
  memcpy (gst_rtp_buffer_get_payload (&out), aud, sizeof (aud));
  gst_rtp_buffer_unmap (&out);
  gst_rtp_buffer_unmap (&in);
  gst_buffer_copy_into (b, like, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  return b;
}

/* Does this RTP packet start a slice (single NAL unit, or FU-A start)? */
static gboolean
starts_slice (GstBuffer * pkt, gboolean * marker)
{
  GstRTPBuffer r = GST_RTP_BUFFER_INIT;
  const guint8 *p;
  guint len, t;
  gboolean yes = FALSE;

  fail_unless (gst_rtp_buffer_map (pkt, GST_MAP_READ, &r));
  p = gst_rtp_buffer_get_payload (&r);
  len = gst_rtp_buffer_get_payload_len (&r);
  *marker = gst_rtp_buffer_get_marker (&r);
  if (len >= 1) {
    t = p[0] & 0x1f;
    if (t == 28 && len >= 2)    /* FU-A: S bit, then the type */
      yes = (p[1] & 0x80) && ((p[1] & 0x1f) == 1 || (p[1] & 0x1f) == 5);
    else
      yes = t == 1 || t == 5;
    /* Anything else would be a packet type this test does not expect. */
    fail_unless (t <= 23 || t == 28, "RTP payload type %u", t);
  }
  gst_rtp_buffer_unmap (&r);
  return yes;
}

/* The packets of pkts with the relay's delimiters; *edited access units. */
static GPtrArray *
relay_edits (GPtrArray * pkts, gboolean aud_marker, guint * edited)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  guint first = 0, au = 0;
  guint16 seq = 0;

  *edited = 0;
  for (guint i = 0; i < pkts->len; i++) {
    gboolean marker, last_start_seen = FALSE;
    guint last_start = 0, slices = 0;

    starts_slice (g_ptr_array_index (pkts, i), &marker);
    if (!marker)
      continue;
    /* Packets first..i are one access unit: its last slice start. */
    for (guint k = first; k <= i; k++)
      if (starts_slice (g_ptr_array_index (pkts, k), &marker)) {
        last_start = k;
        last_start_seen = TRUE;
        slices++;
      }
    for (guint k = first; k <= i; k++) {
      GstRTPBuffer r = GST_RTP_BUFFER_INIT;
      GstBuffer *b;

      if (au % 2 == 1 && last_start_seen && slices >= 2 && k == last_start) {
        g_ptr_array_add (out, aud_packet (g_ptr_array_index (pkts, k),
                aud_marker));
        (*edited)++;
      }
      g_ptr_array_add (out, gst_buffer_copy (g_ptr_array_index (pkts, k)));
      /* Consecutive sequence numbers, the inserted packet's included. */
      for (; seq < out->len; seq++) {
        b = g_ptr_array_index (out, seq);
        fail_unless (gst_rtp_buffer_map (b, GST_MAP_WRITE, &r));
        gst_rtp_buffer_set_seq (&r, (guint16) (1000 + seq));
        gst_rtp_buffer_unmap (&r);
      }
    }
    first = i + 1;
    au++;
  }
  return out;
}

GST_START_TEST (test_split_through_rtp)
{
  GstCaps *caps = NULL, *rtp_caps;
  GPtrArray *frames = encode (VIDEO_SRC, H264_INTRA, N_SPLIT, &caps);
  GstHarness *tx = harness_with_keys ("e2eeenc name=enc ! rtph264pay",
      KID_VIDEO (0), TRUE, FALSE);
  GPtrArray *pkts = run_chain (tx, caps, frames), *edited_pkts;

  rtp_caps = gst_pad_get_current_caps (tx->sinkpad);
  fail_unless (rtp_caps != NULL);
  for (gint pass = 0; pass < 3; pass++) {
    GstHarness *rx = harness_with_keys ("rtph264depay ! e2eedec name=dec",
        KID_VIDEO (0), FALSE, TRUE);
    GstHarness *dec = gst_harness_new_parse ("h264parse ! avdec_h264");
    GstElement *d = by_name (rx, "dec");
    guint edited = 0, out = 0, pictures = 0;
    guint64 refused;

    edited_pkts = pass ? relay_edits (pkts, pass == 2, &edited) :
        g_ptr_array_ref (pkts);
    gst_harness_set_src_caps (rx, gst_caps_ref (rtp_caps));
    for (guint i = 0; i < edited_pkts->len; i++) {
      fail_unless_equals_int (gst_harness_push (rx,
              gst_buffer_ref (g_ptr_array_index (edited_pkts, i))),
          GST_FLOW_OK);
      out = forward (rx, dec, out);
    }
    fail_unless (gst_harness_push_event (rx, gst_event_new_eos ()));
    out = forward (rx, dec, out);
    pictures = pictures_of (dec);
    refused = stat_of (d, "malformed") + stat_of (d, "auth-failed")
        + stat_of (d, "spliced");
    g_print ("RTP, %s: %u delimiter packets put in %u access units; "
        "e2eedec out %u (malformed %" G_GUINT64_FORMAT ", auth-failed %"
        G_GUINT64_FORMAT ", spliced %" G_GUINT64_FORMAT "); decoder out %u "
        "pictures\n", pass == 2 ? "the relay's delimiters, marker bit set" :
        pass ? "the relay's delimiters" : "as sent", edited,
        N_SPLIT, out, stat_of (d, "malformed"), stat_of (d, "auth-failed"),
        stat_of (d, "spliced"), pictures);
    fail_unless_equals_int (edited, pass ? N_SPLIT / 2 : 0);
    /* Each edited access unit is refused (however rtph264depay cut it),
     * each other one comes out, and each that comes out is one picture. */
    fail_unless_equals_int (out, N_SPLIT - edited);
    fail_unless (refused >= edited, "%" G_GUINT64_FORMAT " refused for %u "
        "edited", refused, edited);
    fail_unless (pictures == out, "%u access units gave %u pictures", out,
        pictures);
    g_ptr_array_unref (edited_pkts);
    gst_harness_teardown (dec);
    gst_harness_teardown (rx);
  }
  gst_caps_unref (rtp_caps);
  g_ptr_array_unref (pkts);
  g_ptr_array_unref (frames);
  gst_caps_unref (caps);
  gst_harness_teardown (tx);
}
GST_END_TEST;

static Suite *
nal_position_suite (void)
{
  Suite *s = suite_create ("e2ee_nal_position");
  TCase *tc = tcase_create ("position");

  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_split_h264);
  tcase_add_test (tc, test_split_h265);
  tcase_add_test (tc, test_enc_refuses_split);
  tcase_add_test (tc, test_split_through_rtp);
  return s;
}

GST_CHECK_MAIN (nal_position);
