/* SPDX-License-Identifier: MIT */
/* e2ee-media's sender pipeline, from elements and validated descriptions (e2ee-media.h). */
#include <string.h>

#include "e2ee-media.h"
#include "gste2eeparse.h"
#include "e2ee/keyring.h"

/*
 * The sender's pipeline is built element by element: configuration (host,
 * ports, sizes, the codeword) goes into properties, never into a pipeline
 * description, so that no value can add an element (a tee to the network
 * around e2eeenc). --source and --encoder are gst-launch descriptions by
 * design (the board's camera and encoder): each is parsed alone and
 * validated (validated_bin) before it is linked in.
 *
 * A missing element is fatal, with its name and the Debian package that
 * has it; so is an element its bin refuses (a name taken: GStreamer then
 * drops the element).
 */
GstElement *
gst_e2ee_media_add_element (GstElement * pipe, const gchar * factory,
    const gchar * name, const gchar * package)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (!e) {
    g_printerr ("%s: no element %s (Debian package %s)\n", g_get_prgname (),
        factory, package);
    return NULL;
  }
  /* Refused (a name the bin has): GStreamer drops the element. */
  if (!gst_bin_add (GST_BIN (pipe), e)) {
    g_printerr ("%s: element %s (%s) not added: its name is taken\n",
        g_get_prgname (), GST_STR_NULL (name), factory);
    return NULL;
  }
  return e;
}

/* A caps filter from fixed numbers, not from a string of configuration. */
GstElement *
gst_e2ee_media_add_capsfilter (GstElement * pipe, GstCaps * caps)
{
  GstElement *e = gst_e2ee_media_add_element (pipe, "capsfilter", NULL,
      "gstreamer1.0-plugins-base");

  if (e)
    g_object_set (e, "caps", caps, NULL);
  gst_caps_unref (caps);
  return e;
}

/* Whether e is, or holds, an element a media description must not add. */
static void
forbidden_element (const GValue * v, gpointer data)
{
  GstElement *e = g_value_get_object (v);
  GstElementFactory *f = gst_element_get_factory (e);
  const gchar *klass = f ? gst_element_factory_get_metadata (f,
      GST_ELEMENT_METADATA_KLASS) : "";
  gboolean *bad = data;

  /* Sinks (the network, files), tees (a copy to anywhere), anything that
   * talks to the network, and this firmware's own E2EE elements. */
  if (GST_OBJECT_FLAG_IS_SET (e, GST_ELEMENT_FLAG_SINK)
      || (f && !strcmp (GST_OBJECT_NAME (f), "tee"))
      || (klass && (strstr (klass, "Network") || strstr (klass, "Sink"))))
    *bad = TRUE;
}

/*
 * A --source (want_sink FALSE: one src pad) or --encoder / --decoder
 * (want_sink TRUE: one sink and one src pad) description, parsed on its own
 * into a bin whose unlinked pads are ghosted, and refused when it holds a
 * sink, a tee, a network element or an encoder that is a source.
 */
GstElement *
gst_e2ee_media_validated_bin (const gchar * what, const gchar * desc,
    gboolean want_sink)
{
  GError *err = NULL;
  GstElement *bin = gst_e2ee_parse_bin (desc, TRUE, &err);
  GstIterator *it;
  gboolean bad = FALSE;
  guint srcs, sinks;

  if (!bin) {
    g_printerr ("e2ee-media: %s: %s\n", what, err ? err->message : "?");
    g_clear_error (&err);
    return NULL;
  }
  gst_object_ref_sink (bin);
  it = gst_bin_iterate_recurse (GST_BIN (bin));
  while (gst_iterator_foreach (it, forbidden_element, &bad) ==
      GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
  srcs = bin->numsrcpads;
  sinks = bin->numsinkpads;
  if (bad || srcs != 1 || sinks != (want_sink ? 1u : 0u)) {
    g_printerr ("e2ee-media: %s must be %s with no sink, tee or network "
        "element in it\n", what, want_sink ? "one filter (one input, one "
        "output)" : "one source (one output)");
    gst_object_unref (bin);
    return NULL;
  }
  return bin;
}

/*
 * h264parse config-interval=-1 (send) where it exists; identity where it
 * does not (gst-plugins-bad, which the room image leaves out:
 * e2ee-media-receiver.c h264_parser says why that works).
 */
GstElement *
gst_e2ee_media_h264_parser (GstElement * pipe, gboolean send)
{
  GstElementFactory *f = gst_element_factory_find ("h264parse");
  GstElement *e;

  if (!f)
    return gst_e2ee_media_add_element (pipe, "identity", NULL, "gstreamer1.0-plugins-base");
  gst_object_unref (f);
  e = gst_e2ee_media_add_element (pipe, "h264parse", NULL, "gstreamer1.0-plugins-bad");
  if (e && send)
    g_object_set (e, "config-interval", -1, NULL);
  return e;
}

guint64
gst_e2ee_media_stat (GstElement * bin, const gchar * name, const gchar * field)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), name);
  GstStructure *s = NULL;
  guint64 v = 0;

  if (!e)
    return 0;
  g_object_get (e, "stats", &s, NULL);
  gst_object_unref (e);
  if (s) {
    gst_structure_get_uint64 (s, field, &v);
    gst_structure_free (s);
  }
  return v;
}

/* Links a chain of elements; NULL in it (a missing element) fails. */
gboolean
gst_e2ee_media_link_chain (GstElement ** chain, guint n)
{
  for (guint i = 0; i < n; i++)
    if (!chain[i])
      return FALSE;
  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (chain[i], chain[i + 1])) {
      g_printerr ("e2ee-media: cannot link %s to %s\n",
          GST_OBJECT_NAME (chain[i]), GST_OBJECT_NAME (chain[i + 1]));
      return FALSE;
    }
  return TRUE;
}

GstElement *
gst_e2ee_media_add_bin (GstElement * pipe, GstElement * bin)
{
  gboolean added;

  if (!bin)
    return NULL;
  added = gst_bin_add (GST_BIN (pipe), bin);
  gst_object_unref (bin);       /* validated_bin's reference; the pipe has one */
  if (!added) {
    g_printerr ("%s: a description's bin not added: its name is taken\n",
        g_get_prgname ());
    return NULL;
  }
  return bin;
}

/* The caller's RTP sink (the WebRTC transport's), or udpsink to host:port. */
static GstElement *
rtp_sink (const GstE2eeMediaSender * app, GstElement * pipe, GstElement * sink,
    gint port, const gchar * name)
{
  GstElement *e;

  if (sink) {
    /* The transport keeps its own reference: refused, it is not freed. */
    if (!gst_bin_add (GST_BIN (pipe), sink)) {
      g_printerr ("%s: the transport's sink not added: its name is taken\n",
          g_get_prgname ());
      return NULL;
    }
    return sink;
  }
  e = gst_e2ee_media_add_element (pipe, "udpsink", name, "gstreamer1.0-plugins-good");
  /* Not async: a room without a send key yet (e2eeenc passes nothing)
   * must not hold the pipeline's PLAYING, and with it what it receives and
   * plays (the transport's appsinks are not async either). */
  if (e)
    g_object_set (e, "host", app->host, "port", port, "sync", FALSE, "async",
        FALSE, NULL);
  return e;
}

static gboolean
build_video_sender (const GstE2eeMediaSender * app, GstElement * pipe)
{
  GstElement *v[12];
  guint n = 0;

  if (app->source) {
    v[n++] = gst_e2ee_media_add_bin (pipe, gst_e2ee_media_validated_bin ("--source", app->source, FALSE));
    v[n++] = gst_e2ee_media_add_element (pipe, "videoconvert", NULL,
        "gstreamer1.0-plugins-base");
    v[n++] = gst_e2ee_media_add_element (pipe, "videoscale", NULL,
        "gstreamer1.0-plugins-base");
    v[n++] = gst_e2ee_media_add_capsfilter (pipe, gst_caps_new_simple ("video/x-raw",
            "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, app->width,
            "height", G_TYPE_INT, app->height, NULL));
  } else {
    v[n] = gst_e2ee_media_add_element (pipe, "videotestsrc", NULL,
        "gstreamer1.0-plugins-base");
    if (v[n]) {
      g_object_set (v[n], "is-live", TRUE, NULL);
      gst_util_set_object_arg (G_OBJECT (v[n]), "pattern", "ball");
      gst_util_set_object_arg (G_OBJECT (v[n]), "motion", "sweep");
    }
    n++;
    v[n++] = gst_e2ee_media_add_capsfilter (pipe, gst_caps_new_simple ("video/x-raw",
            "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, app->width,
            "height", G_TYPE_INT, app->height, "framerate", GST_TYPE_FRACTION,
            30, 1, NULL));
    v[n] = gst_e2ee_media_add_element (pipe, "timeoverlay", NULL,
        "gstreamer1.0-plugins-base");
    if (v[n])
      g_object_set (v[n], "font-desc", "Sans 24", NULL);
    n++;
  }
  /* Camera off (roomd: the panel's MEDIA): black frames before the codeword and
   * the encoder, so video goes on at the same rate, the codeword still burned
   * in. Passthrough while untouched. */
  v[n++] = gst_e2ee_media_add_element (pipe, "videobalance",
      GST_E2EE_MEDIA_CAMERA_NAME, "gstreamer1.0-plugins-base");
  if (app->codeword) {
    /* The room's own codeword burned into what it sends (watermark/). */
    v[n] = gst_e2ee_media_add_element (pipe, "codewordoverlay", NULL, "sealroom (this firmware)");
    if (v[n])
      g_object_set (v[n], "codeword", app->codeword, "caption", "E2EE on",
          NULL);
    n++;
  }
  if (app->encoder) {
    v[n++] = gst_e2ee_media_add_bin (pipe, gst_e2ee_media_validated_bin ("--encoder", app->encoder, TRUE));
  } else {
    v[n] = gst_e2ee_media_add_element (pipe, "x264enc", NULL, "gstreamer1.0-plugins-ugly");
    if (v[n]) {
      gst_util_set_object_arg (G_OBJECT (v[n]), "tune", "zerolatency");
      gst_util_set_object_arg (G_OBJECT (v[n]), "speed-preset", "ultrafast");
      g_object_set (v[n], "key-int-max", 60, "bitrate", 2000, "aud", TRUE,
          NULL);
    }
    n++;
  }
  v[n] = gst_e2ee_media_h264_parser (pipe, TRUE);
  n++;
  v[n++] = gst_e2ee_media_add_capsfilter (pipe, gst_caps_new_simple ("video/x-h264",
          "stream-format", G_TYPE_STRING, "byte-stream", "alignment",
          G_TYPE_STRING, "au", NULL));
  v[n] = gst_e2ee_media_add_element (pipe, "e2eeenc", "venc", "sealroom (this firmware)");
  if (v[n])
    g_object_set (v[n], "stream", E2EE_STREAM_VIDEO, "sender-index",
        (guint) app->sender_index, NULL);
  n++;
  v[n] = gst_e2ee_media_add_element (pipe, "rtph264pay", NULL, "gstreamer1.0-plugins-good");
  if (v[n])
    g_object_set (v[n], "pt", 96, "mtu", 1200, NULL);
  n++;
  v[n++] = rtp_sink (app, pipe, app->video_sink, app->video_port,
      "video-udpsink");
  return gst_e2ee_media_link_chain (v, n);
}

/*
 * Opus at a constant bitrate, without DTX: with constrained VBR (opusenc's
 * default) the size of every packet tells speech from silence on the wire,
 * SFrame adds no padding (docs/media-path.md "What sizes still tell").
 */
static gboolean
build_audio_sender (const GstE2eeMediaSender * app, GstElement * pipe)
{
  GstElement *a[7];

  a[0] = gst_e2ee_media_add_element (pipe, "audiotestsrc", NULL, "gstreamer1.0-plugins-base");
  if (a[0]) {
    /* Each sender its own pitch (330 Hz + 110 Hz per index, six of them):
     * two rooms' tones of one pitch add up in a listener's mix at whatever
     * phase their delays give, down to silence; and people tell rooms apart. */
    g_object_set (a[0], "is-live", TRUE, "freq", 330.0 + 110.0 * (app->sender_index % 6),
        "volume", 0.3, NULL);
    gst_util_set_object_arg (G_OBJECT (a[0]), "wave", "sine");
  }
  a[1] = gst_e2ee_media_add_capsfilter (pipe, gst_caps_new_simple ("audio/x-raw", "rate",
          G_TYPE_INT, 48000, "channels", G_TYPE_INT, 1, NULL));
  /* The microphone's mute (roomd: the panel's MEDIA): silence before the
   * encoder, so the packets go on at the same rate and size, still encrypted. */
  a[2] = gst_e2ee_media_add_element (pipe, "volume", GST_E2EE_MEDIA_MUTE_NAME,
      "gstreamer1.0-plugins-base");
  a[3] = gst_e2ee_media_add_element (pipe, "opusenc", NULL, "gstreamer1.0-plugins-base");
  if (a[3]) {
    gst_util_set_object_arg (G_OBJECT (a[3]), "bitrate-type", "cbr");
    g_object_set (a[3], "dtx", FALSE, NULL);
  }
  a[4] = gst_e2ee_media_add_element (pipe, "e2eeenc", "aenc", "sealroom (this firmware)");
  if (a[4])
    g_object_set (a[4], "stream", E2EE_STREAM_AUDIO, "sender-index",
        (guint) app->sender_index, NULL);
  a[5] = gst_e2ee_media_add_element (pipe, "rtpopuspay", NULL, "gstreamer1.0-plugins-good");
  if (a[5])
    g_object_set (a[5], "pt", 111, NULL);
  a[6] = rtp_sink (app, pipe, app->audio_sink, app->audio_port,
      "audio-udpsink");
  return gst_e2ee_media_link_chain (a, G_N_ELEMENTS (a));
}

GstElement *
gst_e2ee_media_sender_encryptor (GstElement * pipe, guint stream)
{
  if (stream > E2EE_STREAM_VIDEO)
    return NULL;
  return gst_bin_get_by_name (GST_BIN (pipe),
      stream == E2EE_STREAM_VIDEO ? "venc" : "aenc");
}

gboolean
gst_e2ee_media_build_sender (GstElement * pipe, const GstE2eeMediaSender * s)
{
  return build_video_sender (s, pipe) && build_audio_sender (s, pipe);
}
