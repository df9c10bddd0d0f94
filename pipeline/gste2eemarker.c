/* SPDX-License-Identifier: MIT */
/* The plaintext marker SEI, inserted and counted (gste2eemarker.h). */
#include <string.h>

#include "gste2eemarker.h"

/* 16-byte UUID of the marker SEI (user_data_unregistered), no zero bytes. */
static const guint8 marker_uuid[16] = {
  0x5e, 0xa1, 0x20, 0x0d, 0xc0, 0xde, 0x4d, 0x61,
  0x72, 0x6b, 0x65, 0x72, 0x2d, 0x76, 0x31, 0x21,
};

typedef struct
{
  gchar *marker;
  gint *count;
} Counter;

/* An SEI user_data_unregistered NAL carrying the marker (H.264 7.3.2.3). */
static GBytes *
marker_sei (const gchar * marker)
{
  GByteArray *a = g_byte_array_new ();
  gsize len = strlen (marker), size = 16 + len;
  const guint8 head[] = { 0, 0, 0, 1, 0x06, 0x05 };

  g_byte_array_append (a, head, sizeof (head));
  while (size >= 255) {
    g_byte_array_append (a, (const guint8 *) "\xff", 1);
    size -= 255;
  }
  g_byte_array_append (a, (const guint8 *) &size, 1);
  g_byte_array_append (a, marker_uuid, 16);
  g_byte_array_append (a, (const guint8 *) marker, len);
  g_byte_array_append (a, (const guint8 *) "\x80", 1);
  return g_byte_array_free_to_bytes (a);
}

/* Before e2eeenc: insert the marker SEI behind the AUD (or first). */
static GstPadProbeReturn
insert_marker (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GBytes *sei = data;
  GstBuffer *in = GST_PAD_PROBE_INFO_BUFFER (info), *out;
  GstMapInfo m;
  gsize at = 0, sei_len;
  const guint8 *sei_data = g_bytes_get_data (sei, &sei_len);

  gst_buffer_map (in, &m, GST_MAP_READ);
  /* 00 00 00 01 09 xx: an access unit delimiter of 6 bytes comes first. */
  if (m.size >= 6 && !memcmp (m.data, "\0\0\0\1", 4) && (m.data[4] & 0x1f) == 9)
    at = 6;
  out = gst_buffer_new_allocate (NULL, m.size + sei_len, NULL);
  gst_buffer_fill (out, 0, m.data, at);
  gst_buffer_fill (out, at, sei_data, sei_len);
  gst_buffer_fill (out, at + sei_len, m.data + at, m.size - at);
  gst_buffer_unmap (in, &m);
  gst_buffer_copy_into (out, in, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  gst_buffer_unref (in);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  return GST_PAD_PROBE_OK;
}

/* After e2eedec: does this access unit carry the marker? */
static GstPadProbeReturn
count_marker (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Counter *c = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo m;
  gsize len = strlen (c->marker);

  gst_buffer_map (buf, &m, GST_MAP_READ);
  for (gsize i = 0; i + 16 + len <= m.size; i++)
    if (!memcmp (m.data + i, marker_uuid, 16)
        && !memcmp (m.data + i + 16, c->marker, len)) {
      g_atomic_int_inc (c->count);
      break;
    }
  gst_buffer_unmap (buf, &m);
  return GST_PAD_PROBE_OK;
}

static void
counter_free (gpointer data)
{
  Counter *c = data;

  g_free (c->marker);
  g_free (c);
}

static void
add_probe (GstElement * e, const gchar * pad_name, GstPadProbeCallback cb,
    gpointer data, GDestroyNotify destroy)
{
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cb, data, destroy);
  gst_object_unref (pad);
}

void
gst_e2ee_marker_insert (GstElement * encryptor, const gchar * marker)
{
  add_probe (encryptor, "sink", insert_marker, marker_sei (marker),
      (GDestroyNotify) g_bytes_unref);
}

void
gst_e2ee_marker_count (GstElement * decryptor, const gchar * marker,
    gint * count)
{
  Counter *c = g_new0 (Counter, 1);

  c->marker = g_strdup (marker);
  c->count = count;
  add_probe (decryptor, "src", count_marker, c, counter_free);
}
