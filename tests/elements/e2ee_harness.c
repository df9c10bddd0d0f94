// SPDX-License-Identifier: MIT
/* What the element tests share (e2ee_harness.h). */
#include <string.h>

#include <gst/app/gstappsink.h>

#include "e2ee_harness.h"

const guint8 key_a[16] = "key A, 16 bytes.";
const guint8 key_b[16] = "key B, 16 bytes.";

GstElement *
by_name (GstHarness * h, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (h->element), name);

  fail_unless (e != NULL, "no element %s", name);
  gst_object_unref (e);         /* the bin keeps it alive */
  return e;
}

gboolean
add_key (GstElement * e, guint64 kid, const guint8 * key, gsize len,
    gint usage)
{
  GBytes *b = g_bytes_new (key, len);
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "add-key", kid, b, usage, &ok);
  g_bytes_unref (b);
  return ok;
}

gboolean
set_send_kid (GstElement * e, guint64 kid)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "set-send-kid", kid, &ok);
  return ok;
}

guint64
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
GPtrArray *
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
GPtrArray *
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

gboolean
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

GstHarness *
harness_with_keys (const gchar * desc, guint64 kid, gboolean send,
    gboolean recv)
{
  GstHarness *h = gst_harness_new_parse (desc);

  if (send) {
    GstElement *e = by_name (h, "enc");

    fail_unless (add_key (e, kid, key_a, sizeof (key_a), E2EE_KEY_SEND));
    fail_unless (set_send_kid (e, kid));
  }
  if (recv)
    fail_unless (add_key (by_name (h, "dec"), kid, key_a, sizeof (key_a),
            E2EE_KEY_RECV));
  return h;
}

GstStructure *
pop_element_message (GstBus * bus, const gchar * name)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (s && gst_structure_has_name (s, name)) {
      GstStructure *copy = gst_structure_copy (s);

      gst_message_unref (msg);
      return copy;
    }
    gst_message_unref (msg);
  }
  return NULL;
}

/* The NAL units of an e2eeenc output buffer (4-byte start codes), as bytes. */
GPtrArray *
nals_of (GstBuffer * b)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  GstMapInfo m;
  gsize s = 0;

  gst_buffer_map (b, &m, GST_MAP_READ);
  fail_unless (m.size > 4 && memcmp (m.data, "\0\0\0\1", 4) == 0);
  /* Escaped, nothing inside a NAL unit looks like a start code. */
  for (gsize i = 4; i <= m.size; i++) {
    if (i < m.size && (i + 4 > m.size || memcmp (m.data + i, "\0\0\0\1", 4)))
      continue;
    g_ptr_array_add (out, g_bytes_new (m.data + s, i - s));
    s = i;
  }
  gst_buffer_unmap (b, &m);
  return out;
}

/* The NAL type after a 4-byte start code. */
guint
nal_type (GBytes * nal, gboolean h265)
{
  const guint8 *d = g_bytes_get_data (nal, NULL);

  return h265 ? (d[4] >> 1) & 0x3f : d[4] & 0x1f;
}

gboolean
is_param_set (GBytes * nal, gboolean h265)
{
  guint t = nal_type (nal, h265);

  return h265 ? t >= 32 && t <= 34 : t == 7 || t == 8;
}

/* A slice (VCL NAL unit). */
gboolean
is_vcl (GBytes * nal, gboolean h265)
{
  guint t = nal_type (nal, h265);

  return h265 ? t <= 31 : t >= 1 && t <= 5;
}
