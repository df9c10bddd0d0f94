// SPDX-License-Identifier: MIT
/*
 * What e2eedec lets through in clear (security review 6, finding 6):
 * parameter sets and access unit delimiters are neither encrypted nor
 * authenticated, and whatever e2eedec passes on is parsed by h264parse /
 * h265parse and the decoder in roomd, the process holding the media keys.
 * A relay (Janus) writes clear NAL units of its own in front of a genuine,
 * authenticated access unit: e2eedec applies the checks e2eeenc applies
 * before it lets them out (gst_e2ee_clear_nal_take) and drops the access
 * unit whole, counted as malformed, when one fails them.
 * Where they stand: test_e2ee_nal_position.c.
 *
 * Real x264enc / x265enc access units through e2eeenc; GstHarness, no
 * sockets, no sleeps.
 */
#define _GNU_SOURCE
#include <string.h>

#include "e2ee_harness.h"

#define H265_ENC VIDEO_RAW " ! x265enc tune=zerolatency " \
    "speed-preset=ultrafast key-int-max=10 ! h265parse ! " H265_AU

/* Several slices per picture (where a relay would split one). threads=1:
 * with sliced threads x264 makes one slice per thread, whatever slices=. */
#define H264_SLICED VIDEO_RAW " ! x264enc tune=zerolatency " \
    "speed-preset=ultrafast key-int-max=10 threads=1 " \
    "option-string=slices=3 ! h264parse ! " H264_AU
#define H265_SLICED VIDEO_RAW " ! x265enc tune=zerolatency " \
    "speed-preset=ultrafast key-int-max=10 option-string=slices=3 ! " \
    "h265parse ! " H265_AU

/* A forged clear NAL unit: its first bytes, then filler to len. */
typedef struct
{
  const gchar *name;
  const guint8 *head;
  gsize head_len;
  gsize len;                    /* the NAL unit's size, head included */
  guint copies;                 /* of it, in a row */
} Forged;

/* Filler with no zero byte (no start code, no escape) and no 0x03. */
static GBytes *
forged_nal (const Forged * f)
{
  GByteArray *a = g_byte_array_new ();

  for (guint c = 0; c < MAX (f->copies, 1); c++) {
    g_byte_array_append (a, (const guint8 *) "\0\0\0\1", 4);
    g_byte_array_append (a, f->head, (guint) f->head_len);
    for (gsize i = f->head_len; i < f->len; i++) {
      guint8 v = 0x5a;

      g_byte_array_append (a, &v, 1);
    }
  }
  return g_byte_array_free_to_bytes (a);
}

/* A copy of ct with extra in front, its timestamps kept. */
static GstBuffer *
prefixed (GstBuffer * ct, GBytes * extra)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (extra, &n);
  GstBuffer *b = gst_buffer_new_memdup (d, n);

  b = gst_buffer_append (b, gst_buffer_copy_deep (ct));
  gst_buffer_copy_into (b, ct, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  return b;
}

/* Does the output hold 16 bytes of the forged NAL units from their header? */
static gboolean
holds (GstBuffer * b, GBytes * forged)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (forged, &n);
  GstMapInfo m;
  gboolean found;

  gst_buffer_map (b, &m, GST_MAP_READ);
  found = memmem (m.data, m.size, d + 4, MIN (n - 4, 16)) != NULL;
  gst_buffer_unmap (b, &m);
  return found;
}

/* Access units of a real encoder, encrypted by e2eeenc. */
static GPtrArray *
encrypted (const gchar * enc, GstCaps ** caps)
{
  GPtrArray *frames = encode (VIDEO_SRC, enc, 3, caps);
  GstHarness *tx = harness_with_keys ("e2eeenc name=enc", KID_VIDEO (0), TRUE,
      FALSE);
  GPtrArray *ct = run_chain (tx, *caps, frames);

  fail_unless_equals_int (ct->len, 3);
  gst_harness_teardown (tx);
  g_ptr_array_unref (frames);
  return ct;
}

/*
 * For each forged clear NAL unit: access unit 0, access unit 1 with the
 * forgery in front, access unit 1 as sent, access unit 2. The forged one
 * is dropped whole and counted as malformed (not as an authentication
 * failure: nothing was decrypted); the genuine ones all come out.
 */
static void
refused (const gchar * enc, const Forged * cases, guint n_cases)
{
  GstCaps *caps = NULL;
  GPtrArray *ct = encrypted (enc, &caps);

  for (guint c = 0; c < n_cases; c++) {
    GstHarness *rx = harness_with_keys ("e2eedec name=dec", KID_VIDEO (0),
        FALSE, TRUE);
    GstElement *dec = by_name (rx, "dec");
    GBytes *forged = forged_nal (&cases[c]);
    GstBuffer *out;
    guint got = 0;

    gst_harness_set_src_caps (rx, gst_caps_ref (caps));
    gst_harness_push (rx, gst_buffer_ref (g_ptr_array_index (ct, 0)));
    gst_harness_push (rx, prefixed (g_ptr_array_index (ct, 1), forged));
    fail_unless_equals_uint64 (stat_of (dec, "malformed"), 1);
    gst_harness_push (rx, gst_buffer_ref (g_ptr_array_index (ct, 1)));
    gst_harness_push (rx, gst_buffer_ref (g_ptr_array_index (ct, 2)));
    while ((out = gst_harness_try_pull (rx))) {
      fail_if (holds (out, forged), "%s: the forged NAL unit came out",
          cases[c].name);
      gst_buffer_unref (out);
      got++;
    }
    fail_unless (got == 3, "%s: %u of the 3 genuine access units came out",
        cases[c].name, got);
    fail_unless_equals_uint64 (stat_of (dec, "malformed"), 1);
    fail_unless_equals_uint64 (stat_of (dec, "auth-failed"), 0);
    fail_unless_equals_uint64 (stat_of (dec, "frames"), 3);
    g_bytes_unref (forged);
    gst_harness_teardown (rx);
  }
  g_ptr_array_unref (ct);
  gst_caps_unref (caps);
}

/* 67: nal_ref_idc 3, SPS; 42 c0 1f: Baseline, constraint flags, level 3.1. */
#define SPS_OK 0x67, 0x42, 0xc0, 0x1f, 0xe9

GST_START_TEST (test_forged_clear_h264)
{
  static const guint8 sps_ok[] = { SPS_OK };
  static const guint8 sps_escape[] = { SPS_OK, 0x00, 0x00, 0x02 };
  static const guint8 sps_profile[] = { 0x67, 0x07, 0xc0, 0x1f, 0xe9 };
  static const guint8 sps_ref0[] = { 0x07, 0x42, 0xc0, 0x1f, 0xe9 };
  /* pps_id ue(v) = 1022 (9 leading zeros). */
  static const guint8 pps_id[] = { 0x68, 0x00, 0x7f, 0xc0 };
  static const guint8 aud[] = { 0x09, 0xf0, 0x55 };
  static const guint8 aud_ok[] = { 0x09, 0xf0 };
  static const guint8 review[] = { 0x67 };
  const Forged cases[] = {
    /* The review's reproduction: a 4000-byte NAL of type 7, 67 5a 5a ... */
    {"the review's 4000-byte SPS", review, 1, 4000, 1},
    {"a 256-byte SPS", sps_ok, sizeof (sps_ok), 256, 1},
    {"an SPS with 00 00 02 inside", sps_escape, sizeof (sps_escape), 40, 1},
    {"an SPS of an unknown profile", sps_profile, sizeof (sps_profile), 20, 1},
    {"an SPS with nal_ref_idc 0", sps_ref0, sizeof (sps_ref0), 20, 1},
    {"a PPS with pps_id 1022", pps_id, sizeof (pps_id), 4, 1},
    {"an AUD with payload", aud, sizeof (aud), 3, 1},
    {"five 250-byte SPS: 1250 clear bytes", sps_ok, sizeof (sps_ok), 250, 5},
    /* x264enc's access units start with one (h264parse): a second one. */
    {"a second delimiter", aud_ok, sizeof (aud_ok), 2, 1},
  };

  refused (H264_ENC, cases, G_N_ELEMENTS (cases));
}
GST_END_TEST;

/* 42 01: SPS; 01: sps_max_sub_layers_minus1 0; 01: profile_space 0. */
#define H265_SPS_OK 0x42, 0x01, 0x01, 0x01

GST_START_TEST (test_forged_clear_h265)
{
  static const guint8 vps[] = { 0x40, 0x01 };
  static const guint8 vps_no_ffff[] = { 0x40, 0x01, 0x0c, 0x01, 0xfe, 0xff };
  static const guint8 sps_ok[] = { H265_SPS_OK };
  static const guint8 sps_space[] = { 0x42, 0x01, 0x01, 0x41 };
  static const guint8 sps_layer[] = { 0x42, 0x09, 0x01, 0x01 };
  static const guint8 sps_escape[] = { H265_SPS_OK, 0x00, 0x00, 0x01 };
  static const guint8 aud[] = { 0x46, 0x01, 0x50, 0x55 };
  static const guint8 aud_ok[] = { 0x46, 0x01, 0x50 };
  const Forged cases[] = {
    {"a 4000-byte VPS", vps, sizeof (vps), 4000, 1},
    {"a 300-byte SPS", sps_ok, sizeof (sps_ok), 300, 1},
    {"a VPS without its 0xffff", vps_no_ffff, sizeof (vps_no_ffff), 20, 1},
    {"an SPS of profile space 1", sps_space, sizeof (sps_space), 20, 1},
    {"an SPS with nuh_layer_id 1", sps_layer, sizeof (sps_layer), 20, 1},
    /* 00 00 01 inside: the relay's bytes end a NAL unit early; the start
     * code then opens a NAL of type 0x2d (0x5a >> 1): reserved, refused. */
    {"an SPS with a start code inside", sps_escape, sizeof (sps_escape), 40,
        1},
    {"an AUD with payload", aud, sizeof (aud), 4, 1},
    {"five 250-byte SPS: 1250 clear bytes", sps_ok, sizeof (sps_ok), 250, 5},
    {"two delimiters", aud_ok, sizeof (aud_ok), 3, 2},
  };

  refused (H265_ENC, cases, G_N_ELEMENTS (cases));
}
GST_END_TEST;

/* ---------------------------------------------------- bound to the AU */

typedef enum
{
  FORGED_IN_FRONT,              /* an in-range SPS of the relay's before AU 1 */
  SPS_REPLACED,                 /* AU 0's SPS swapped for that one */
  PS_REMOVED,                   /* AU 0 without its parameter sets */
  PS_REPLAYED,                  /* AU 0's parameter sets in front of AU 1 */
  PS_REPEATED,                  /* AU 0's parameter sets twice (sprop): passes */
  PS_REPEATED_LATE,             /* again before its last slice: malformed */
} Edit;

/* Access unit 0 or 1 of ct, edited; the NAL units appended to a. */
static GstBuffer *
edited (GPtrArray * ct, Edit e, gboolean h265, GBytes * forged)
{
  GPtrArray *n0 = nals_of (g_ptr_array_index (ct, 0));
  GPtrArray *n1 = nals_of (g_ptr_array_index (ct, 1));
  gboolean au1 = e == FORGED_IN_FRONT || e == PS_REPLAYED;
  GPtrArray *au = au1 ? n1 : n0;
  GByteArray *a = g_byte_array_new ();
  const guint sps = h265 ? 33 : 7;
  GstBuffer *b;
  guint ps = 0;
  gsize len;
  const guint8 *d;

  if (e == FORGED_IN_FRONT) {
    d = g_bytes_get_data (forged, &len);
    g_byte_array_append (a, d, (guint) len);
  }
  for (guint k = 0; k < n0->len && (e == PS_REPLAYED || e == PS_REPEATED); k++)
    if (is_param_set (g_ptr_array_index (n0, k), h265)) {
      d = g_bytes_get_data (g_ptr_array_index (n0, k), &len);
      g_byte_array_append (a, d, (guint) len);
      ps++;
    }
  for (guint k = 0; k < au->len; k++) {
    GBytes *nal = g_ptr_array_index (au, k);

    if (e == PS_REPEATED_LATE && k == au->len - 1)
      for (guint j = 0; j < n0->len; j++)
        if (is_param_set (g_ptr_array_index (n0, j), h265)) {
          d = g_bytes_get_data (g_ptr_array_index (n0, j), &len);
          g_byte_array_append (a, d, (guint) len);
          ps++;
        }

    if (e == PS_REMOVED && is_param_set (nal, h265)) {
      ps++;
      continue;
    }
    if (e == SPS_REPLACED && nal_type (nal, h265) == sps) {
      nal = forged;
      ps++;
    }
    d = g_bytes_get_data (nal, &len);
    g_byte_array_append (a, d, (guint) len);
  }
  fail_unless (e == FORGED_IN_FRONT || ps > 0,
      "access unit 0 holds no parameter set to edit");
  b = gst_buffer_new_wrapped (a->data, a->len);
  g_byte_array_free (a, FALSE);
  gst_buffer_copy_into (b, g_ptr_array_index (ct, au1 ? 1 : 0),
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  g_ptr_array_unref (n0);
  g_ptr_array_unref (n1);
  return b;
}

/*
 * Parameter sets are bound to the access unit's protected NAL units
 * (docs/media-path.md "Parameter sets are bound"): a relay that writes an
 * in-range one of its own, swaps, removes or replays the sender's, gets
 * the access unit refused as an authentication failure; copies of the
 * sender's parameter sets in front (what rtph264depay does with its caps'
 * sprop-parameter-sets, and rtph264pay after a force-key-unit event with
 * all-headers) still pass: the hash binds the set. The same copies between
 * two slices would end the access unit at the parser: refused by where
 * they stand, before any AES (malformed, not an authentication failure).
 */
static void
bound (const gchar * enc, gboolean h265, GBytes * forged)
{
  static const struct
  {
    const gchar *name;
    Edit edit;
    guint auth_failed, malformed;
  } cases[] = {
    {"an in-range SPS of the relay's in front", FORGED_IN_FRONT, 1, 0},
    {"the sender's SPS replaced by an in-range one", SPS_REPLACED, 1, 0},
    {"the sender's parameter sets removed", PS_REMOVED, 1, 0},
    {"an earlier access unit's parameter sets replayed", PS_REPLAYED, 1, 0},
    {"the sender's parameter sets repeated in front", PS_REPEATED, 0, 0},
    {"the sender's parameter sets repeated before its last slice",
        PS_REPEATED_LATE, 0, 1},
  };
  GstCaps *caps = NULL;
  GPtrArray *ct = encrypted (enc, &caps);
  GPtrArray *n0 = nals_of (g_ptr_array_index (ct, 0));
  guint slices = 0;

  /* Access unit 0 has several slices: "before its last slice" is after
   * its first one. */
  for (guint k = 0; k < n0->len; k++)
    slices += is_vcl (g_ptr_array_index (n0, k), h265);
  g_ptr_array_unref (n0);
  fail_unless (slices >= 2, "access unit 0 has %u slices", slices);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    GstHarness *rx = harness_with_keys ("e2eedec name=dec", KID_VIDEO (0),
        FALSE, TRUE);
    GstElement *dec = by_name (rx, "dec");
    gboolean passes = cases[c].auth_failed + cases[c].malformed == 0;
    gboolean au1 = cases[c].edit == FORGED_IN_FRONT
        || cases[c].edit == PS_REPLAYED;
    GstBuffer *out;

    gst_harness_set_src_caps (rx, gst_caps_ref (caps));
    if (au1) {
      gst_harness_push (rx, gst_buffer_ref (g_ptr_array_index (ct, 0)));
      gst_buffer_unref (gst_harness_pull (rx));
    }
    gst_harness_push (rx, edited (ct, cases[c].edit, h265, forged));
    out = gst_harness_try_pull (rx);
    fail_unless ((out != NULL) == passes, "%s: %s", cases[c].name,
        out ? "came out" : "was refused");
    if (out) {
      fail_if (holds (out, forged));
      gst_buffer_unref (out);
    }
    fail_unless_equals_uint64 (stat_of (dec, "auth-failed"),
        cases[c].auth_failed);
    fail_unless_equals_uint64 (stat_of (dec, "malformed"), cases[c].malformed);
    /* The sender's access unit as sent still goes: nothing moved. */
    gst_harness_push (rx, gst_buffer_ref (g_ptr_array_index (ct, au1 ? 1 : 0)));
    out = gst_harness_try_pull (rx);
    fail_unless ((out != NULL) == !passes, "%s: the genuine access unit "
        "after it %s", cases[c].name, out ? "came out" : "did not come out");
    if (out)
      gst_buffer_unref (out);
    gst_harness_teardown (rx);
  }
  g_ptr_array_unref (ct);
  gst_caps_unref (caps);
}

GST_START_TEST (test_bound_h264)
{
  static const guint8 sps_ok[] = { SPS_OK };
  const Forged f = { "an in-range SPS", sps_ok, sizeof (sps_ok), 40, 1 };
  GBytes *forged = forged_nal (&f);

  bound (H264_SLICED, FALSE, forged);
  g_bytes_unref (forged);
}
GST_END_TEST;

GST_START_TEST (test_bound_h265)
{
  static const guint8 sps_ok[] = { H265_SPS_OK };
  const Forged f = { "an in-range SPS", sps_ok, sizeof (sps_ok), 40, 1 };
  GBytes *forged = forged_nal (&f);

  bound (H265_SLICED, TRUE, forged);
  g_bytes_unref (forged);
}
GST_END_TEST;

static Suite *
clear_nal_suite (void)
{
  Suite *s = suite_create ("e2ee_clear_nal");
  TCase *tc = tcase_create ("clear");

  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_forged_clear_h264);
  tcase_add_test (tc, test_forged_clear_h265);
  tcase_add_test (tc, test_bound_h264);
  tcase_add_test (tc, test_bound_h265);
  return s;
}

GST_CHECK_MAIN (clear_nal);
