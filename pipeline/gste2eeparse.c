/* SPDX-License-Identifier: MIT */
/*
 * Owns: building pipelines from descriptions strictly (gste2eeparse.h), and
 * the table of which Debian 12 package provides the elements sealroom's
 * programs and tests name.
 */
#include "gste2eeparse.h"

#include <string.h>

/* Debian 12 (GStreamer 1.22): the elements we name, by package. */
static const struct
{
  const gchar *package;
  const gchar *elements;        /* space-separated, with a space at each end */
} packages[] = {
  {"gstreamer1.0-plugins-base", " videotestsrc audiotestsrc videoconvert "
        "videoscale videorate audioconvert audioresample opusenc opusdec "
        "appsrc appsink playbin decodebin uridecodebin tee "},
  {"gstreamer1.0-x", " timeoverlay textoverlay clockoverlay textrender "
        "ximagesink xvimagesink "},
  {"gstreamer1.0-plugins-good", " rtph264pay rtph264depay rtph265pay "
        "rtph265depay rtpopuspay rtpopusdepay rtpvp8pay rtpvp8depay "
        "rtpvp9pay rtpvp9depay rtpjitterbuffer rtpbin udpsrc udpsink pngenc "
        "vp8enc vp8dec vp9enc vp9dec v4l2src v4l2h264enc v4l2h264dec "
        "v4l2convert matroskamux qtmux "},
  {"gstreamer1.0-plugins-bad", " h264parse h265parse vp9parse srtpenc "
        "srtpdec kmssink openh264enc openh264dec "},
  {"gstreamer1.0-plugins-ugly", " x264enc "},
  {"gstreamer1.0-libav", " avdec_h264 avdec_h265 avdec_vp8 avdec_vp9 "},
};

const gchar *
gst_e2ee_element_package (const gchar * factory_name)
{
  gchar *needle;
  const gchar *found = NULL;

  if (!factory_name || !*factory_name || strchr (factory_name, ' '))
    return NULL;
  needle = g_strdup_printf (" %s ", factory_name);
  for (gsize i = 0; i < G_N_ELEMENTS (packages) && !found; i++)
    if (strstr (packages[i].elements, needle))
      found = packages[i].package;
  g_free (needle);
  return found;
}

/* Replaces *error by one line naming every missing element and its package. */
static void
explain (GstParseContext * ctx, GError ** error)
{
  gchar **missing = gst_parse_context_get_missing_elements (ctx);
  GString *s;

  if (!missing || !missing[0]) {
    g_strfreev (missing);
    return;
  }
  s = g_string_new ("cannot make element");
  for (gchar ** m = missing; *m; m++) {
    const gchar *pkg = gst_e2ee_element_package (*m);

    g_string_append_printf (s, "%s \"%s\"", m == missing ? "" : ",", *m);
    if (pkg)
      g_string_append_printf (s, " (Debian package %s)", pkg);
    else
      g_string_append (s, " (no such element installed)");
  }
  g_strfreev (missing);
  g_clear_error (error);
  g_set_error_literal (error, GST_PARSE_ERROR,
      GST_PARSE_ERROR_NO_SUCH_ELEMENT, s->str);
  g_string_free (s, TRUE);
}

static GstElement *
finish (GstElement * e, GstParseContext * ctx, GError ** error, GError * err)
{
  if (err) {
    /* Recoverable or not: a pipeline that is not the one described never
     * runs. */
    if (e)
      gst_object_unref (gst_object_ref_sink (e));
    e = NULL;
    explain (ctx, &err);
    g_propagate_error (error, err);
  } else if (!e) {
    g_set_error_literal (error, GST_PARSE_ERROR, GST_PARSE_ERROR_SYNTAX,
        "the description built nothing");
  }
  gst_parse_context_free (ctx);
  return e;
}

GstElement *
gst_e2ee_parse_launch (const gchar * description, GError ** error)
{
  GstParseContext *ctx = gst_parse_context_new ();
  GError *err = NULL;
  GstElement *e = gst_parse_launch_full (description, ctx,
      GST_PARSE_FLAG_FATAL_ERRORS, &err);

  return finish (e, ctx, error, err);
}

GstElement *
gst_e2ee_parse_bin (const gchar * description, gboolean ghost_unlinked_pads,
    GError ** error)
{
  GstParseContext *ctx = gst_parse_context_new ();
  GError *err = NULL;
  GstElement *e = gst_parse_bin_from_description_full (description,
      ghost_unlinked_pads, ctx, GST_PARSE_FLAG_FATAL_ERRORS, &err);

  return finish (e, ctx, error, err);
}
