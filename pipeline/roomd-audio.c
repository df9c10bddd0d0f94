/* SPDX-License-Identifier: MIT */
/*
 * roomd's audio output (roomd-audio.h): the mixer, a level before the output
 * volume and one after it, and the board's sink.
 */
#include <math.h>
#include <string.h>

#include <gst/base/gstaggregator.h>

#include "e2ee-media.h"
#include "roomd-audio.h"

#define LEVEL_INTERVAL_NS (1000 * GST_MSECOND)
#define FLOOR_DB -200.0

struct _RoomdAudio
{
  GstElement *pipeline;         /* a reference, for do_latency's sake */
  gulong do_latency;            /* the pipeline's handler, on_do_latency */
  GstElement *mixer, *volume, *level_in, *level, *sink;
  /* The pipeline's latency as last set (do-latency: whichever thread
   * recalculates it, the main loop's or a state change's). */
  GMutex latency_lock;
  GstClockTime latency;
  guint percent;
  guint64 levels;
  gdouble rms_db, peak_db;
  /* The mix before the volume, for the window that ended at in_end (the
   * same buffers reach both levels: their windows line up). */
  gdouble rms_in_db;
  GstClockTime in_end;
  /* The watchdog's: when the last level came (monotonic, us; or when the
   * pipeline was last seen not PLAYING), and a stall said. */
  gint64 last_level_us;
  gboolean stalled;
};

/* The board's sink: one element that is a sink, nothing around it. */
static GstElement *
board_sink (const gchar * desc)
{
  GError *err = NULL;
  GstElement *e = gst_parse_launch_full (desc, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS | GST_PARSE_FLAG_NO_SINGLE_ELEMENT_BINS,
      &err);
  GstElementFactory *f;
  const gchar *klass;

  if (!e) {
    g_printerr ("roomd: audio sink \"%s\" cannot be made: %s (alsasink: "
        "Debian package gstreamer1.0-alsa; fakesink: gstreamer1.0-plugins-"
        "base)\n", desc, err ? err->message : "?");
    g_clear_error (&err);
    return NULL;
  }
  gst_object_ref_sink (e);
  f = gst_element_get_factory (e);
  klass = f ? gst_element_factory_get_metadata (f,
      GST_ELEMENT_METADATA_KLASS) : NULL;
  if (GST_IS_BIN (e) || !klass || !strstr (klass, "Sink") || e->numsrcpads) {
    g_printerr ("roomd: audio sink \"%s\" must be one sink element with its "
        "properties\n", desc);
    gst_object_unref (e);
    return NULL;
  }
  return e;
}

/*
 * The mixer, live from its construction (force-live, construct-only): it
 * mixes on the clock whatever its inputs hold, from the first buffer on.
 * Not ignore-inactive-pads: in GStreamer 1.22 a live audiomixer that times
 * out while none of its inputs has had a first buffer (the live silence
 * slow to start, under load) counts every input as inactive, calls that
 * EOS and pushes EOS to the sink: the output stopped for good after one
 * level, seen in CI. An input without data is mixed as silence instead.
 */
static GstElement *
live_mixer (GstElement * pipeline)
{
  GstElement *e = gst_element_factory_make_full ("audiomixer", "name",
      "spkmix", "force-live", TRUE, "latency", (guint64)
      ROOMD_AUDIO_LATENCY_MS * GST_MSECOND, NULL);

  if (!e) {
    g_printerr ("roomd: no element audiomixer (Debian package "
        "gstreamer1.0-plugins-base)\n");
    return NULL;
  }
  if (!gst_bin_add (GST_BIN (pipeline), e)) {
    g_printerr ("roomd: the audio mixer is not added: its name is taken\n");
    return NULL;
  }
  return e;
}

/*
 * The pipeline's latency: the pipeline's do-latency, in place of GstBin's.
 * GStreamer computes it when the pipeline goes to PLAYING, and again on
 * GST_MESSAGE_LATENCY only if the application asks (roomd_audio_bus_message
 * does). The mixer's deadline grows with each input's upstream latency (a
 * receive branch's jitter buffer, its decoder); the board's sink must play
 * the mix that much later, or it drops what the mixer gives it as late
 * (alsasink does; fakesink renders it late). Unlike GstBin's, only a live
 * answer is taken: an input linked before its source has its caps fails
 * the mixer's query, and the pipeline then answers "not live, 0", which
 * would have the sink play at once until that input's first buffer. Said
 * when it changes.
 */
static gboolean
on_do_latency (GstBin * bin, gpointer data)
{
  RoomdAudio *a = data;
  GstQuery *q = gst_query_new_latency ();
  GstClockTime min = GST_CLOCK_TIME_NONE, was;
  gboolean live = FALSE;

  /* One computation at a time, its event and its record in that order:
   * the state change's thread (which holds this recursive lock already)
   * and the main loop's recalculation both come here. */
  GST_STATE_LOCK (bin);
  if (gst_element_query (GST_ELEMENT (bin), q))
    gst_query_parse_latency (q, &live, &min, NULL);
  gst_query_unref (q);
  if (!live || !GST_CLOCK_TIME_IS_VALID (min)) {
    GST_STATE_UNLOCK (bin);
    return FALSE;
  }
  /* The sinks take it even if one refuses (GstBin's own does the same). */
  gst_element_send_event (GST_ELEMENT (bin), gst_event_new_latency (min));
  g_mutex_lock (&a->latency_lock);
  was = a->latency;
  a->latency = min;
  g_mutex_unlock (&a->latency_lock);
  GST_STATE_UNLOCK (bin);
  if (min != was)
    g_print ("roomd: the pipeline's latency is %" G_GUINT64_FORMAT " ms (the "
        "audio output plays that late)\n", min / GST_MSECOND);
  return TRUE;
}

RoomdAudio *
roomd_audio_new (GstElement * pipeline, const gchar * sink_desc)
{
  const gchar *base = "gstreamer1.0-plugins-base";
  RoomdAudio *a = g_new0 (RoomdAudio, 1);
  GstElement *c[10], *sink = board_sink (sink_desc);
  GstCaps *caps;

  if (!sink) {
    g_free (a);
    return NULL;
  }
  c[0] = gst_e2ee_media_add_element (pipeline, "audiotestsrc", "spksilence",
      base);
  if (c[0]) {
    g_object_set (c[0], "is-live", TRUE, NULL);
    gst_util_set_object_arg (G_OBJECT (c[0]), "wave", "silence");
  }
  caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
      "rate", G_TYPE_INT, 48000, "channels", G_TYPE_INT, 2, "layout",
      G_TYPE_STRING, "interleaved", NULL);
  c[1] = gst_e2ee_media_add_capsfilter (pipeline, gst_caps_ref (caps));
  c[2] = a->mixer = live_mixer (pipeline);
  c[3] = gst_e2ee_media_add_capsfilter (pipeline, caps);
  c[4] = a->level_in = gst_e2ee_media_add_element (pipeline, "level",
      "spklevelin", "gstreamer1.0-plugins-good");
  c[5] = a->volume = gst_e2ee_media_add_element (pipeline, "volume", "spkvol",
      base);
  c[6] = a->level = gst_e2ee_media_add_element (pipeline, "level", "spklevel",
      "gstreamer1.0-plugins-good");
  for (int i = 4; i <= 6; i += 2)
    if (c[i])
      g_object_set (c[i], "post-messages", TRUE, "interval", LEVEL_INTERVAL_NS,
          NULL);
  gst_bin_add (GST_BIN (pipeline), sink);
  gst_object_unref (sink);      /* the pipeline's now */
  c[7] = a->sink = sink;
  g_mutex_init (&a->latency_lock);
  a->latency = GST_CLOCK_TIME_NONE;
  a->percent = ROOMD_AUDIO_VOLUME_MAX;
  a->rms_db = a->peak_db = a->rms_in_db = FLOOR_DB;
  a->in_end = GST_CLOCK_TIME_NONE;
  a->last_level_us = g_get_monotonic_time ();
  if (!gst_e2ee_media_link_chain (c, 8)) {
    g_printerr ("roomd: the audio output (mixer, level, volume, level, \"%s\") "
        "cannot be linked\n", sink_desc);
    g_mutex_clear (&a->latency_lock);
    g_free (a);
    return NULL;
  }
  /* Held until roomd_audio_free disconnects: the handler never outlives a. */
  a->pipeline = gst_object_ref (pipeline);
  a->do_latency = g_signal_connect (pipeline, "do-latency",
      G_CALLBACK (on_do_latency), a);
  return a;
}

/* Asks the main loop for the pipeline's latency again (roomd_audio_bus_message). */
static void
ask_latency (GstElement * mixer)
{
  gst_element_post_message (mixer, gst_message_new_latency (GST_OBJECT
          (mixer)));
}

/* An input's first buffer: its upstream answers the latency query now (a
 * source does once it has its caps), and the mixer's deadline takes it.
 * data: the mixer (a reference the probe holds). */
static GstPadProbeReturn
on_first_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  (void) pad;
  (void) info;
  ask_latency (data);
  return GST_PAD_PROBE_REMOVE;
}

GstPad *
roomd_audio_link (RoomdAudio * a, GstPad * src)
{
  GstPad *pad = gst_element_request_pad_simple (a->mixer, "sink_%u");

  if (!pad)
    return NULL;
  if (gst_pad_link (src, pad) != GST_PAD_LINK_OK) {
    gst_element_release_request_pad (a->mixer, pad);
    gst_object_unref (pad);
    return NULL;
  }
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, on_first_buffer, gst_object_ref
      (a->mixer), gst_object_unref);
  ask_latency (a->mixer);
  return pad;
}

void
roomd_audio_unlink (RoomdAudio * a, GstPad * mixer_pad)
{
  if (!mixer_pad)
    return;
  gst_element_release_request_pad (a->mixer, mixer_pad);
  gst_object_unref (mixer_pad);
  /* The mixer waits no more for that input: less latency may do. */
  ask_latency (a->mixer);
}

gboolean
roomd_audio_set_volume (RoomdAudio * a, guint percent)
{
  gdouble v = percent / (gdouble) ROOMD_AUDIO_VOLUME_MAX;

  if (percent > ROOMD_AUDIO_VOLUME_MAX)
    return FALSE;
  /* A cubic curve, as GstStreamVolume's: equal steps sound equal. */
  g_object_set (a->volume, "volume", v * v * v, "mute", percent == 0, NULL);
  a->percent = percent;
  return TRUE;
}

guint
roomd_audio_volume (const RoomdAudio * a)
{
  return a->percent;
}

/* The loudest channel of a level field (dB), FLOOR_DB for silence. */
static gdouble
loudest (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);
  gdouble best = FLOOR_DB;
  GValueArray *arr;

  /* level posts GValueArrays (GLib deprecated them; GStreamer 1.22 still uses them). */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
  if (!v || !G_VALUE_HOLDS (v, g_value_array_get_type ()))
    return best;
  arr = g_value_get_boxed (v);
  for (guint i = 0; arr && i < arr->n_values; i++) {
    gdouble d = g_value_get_double (g_value_array_get_nth (arr, i));

    if (isfinite (d) && d > best)
      best = d;
  }
  G_GNUC_END_IGNORE_DEPRECATIONS;
  return best;
}

gboolean
roomd_audio_bus_message (RoomdAudio * a, GstMessage * msg)
{
  const GstStructure *s;
  GstClockTime end = GST_CLOCK_TIME_NONE;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_LATENCY) {
    gst_bin_recalculate_latency (GST_BIN (a->pipeline));
    return TRUE;
  }
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT
      || (GST_MESSAGE_SRC (msg) != GST_OBJECT (a->level)
          && GST_MESSAGE_SRC (msg) != GST_OBJECT (a->level_in))
      || !(s = gst_message_get_structure (msg))
      || !gst_structure_has_name (s, "level"))
    return FALSE;
  gst_structure_get_clock_time (s, "endtime", &end);
  if (GST_MESSAGE_SRC (msg) == GST_OBJECT (a->level_in)) {
    /* Upstream of the volume: posted before the same window's output. */
    a->rms_in_db = loudest (s, "rms");
    a->in_end = end;
    return TRUE;
  }
  a->rms_db = loudest (s, "rms");
  a->peak_db = loudest (s, "peak");
  a->levels++;
  if (a->stalled)
    g_print ("roomd: the audio output resumed after %.1f s\n",
        (g_get_monotonic_time () - a->last_level_us) / 1e6);
  a->stalled = FALSE;
  a->last_level_us = g_get_monotonic_time ();
  /* After the volume: what the room hears (tests follow it); the mix
   * before it over the same window, where the windows line up. */
  if (GST_CLOCK_TIME_IS_VALID (end) && end == a->in_end)
    g_print ("roomd audio-out: volume=%u rms-db=%.1f peak-db=%.1f "
        "in-rms-db=%.1f\n", a->percent, a->rms_db, a->peak_db, a->rms_in_db);
  else
    g_print ("roomd audio-out: volume=%u rms-db=%.1f peak-db=%.1f\n",
        a->percent, a->rms_db, a->peak_db);
  return TRUE;
}

/* One mixer input: "sink_N from ELEMENT: queued|empty[, eos][, flushing],
 * flow F". */
static void
describe_input (const GValue * v, gpointer data)
{
  GstPad *pad = g_value_get_object (v), *peer = gst_pad_get_peer (pad);
  GstObject *from = peer ? gst_pad_get_parent (peer) : NULL;
  GstAggregatorPad *ap = GST_AGGREGATOR_PAD (pad);

  g_string_append_printf (data, "; %s from %s: %s%s%s, flow %s",
      GST_OBJECT_NAME (pad), from ? GST_OBJECT_NAME (from) : "nothing",
      gst_aggregator_pad_has_buffer (ap) ? "queued" : "empty",
      gst_aggregator_pad_is_eos (ap) ? ", eos" : "",
      GST_PAD_IS_FLUSHING (pad) ? ", flushing" : "",
      gst_flow_get_name (gst_pad_get_last_flow_return (pad)));
  if (from)
    gst_object_unref (from);
  if (peer)
    gst_object_unref (peer);
}

/* The running time of the sink's last buffer (NONE without one). */
static GstClockTime
sink_last_running_time (GstElement * sink)
{
  GstSample *sample = NULL;
  GstClockTime t = GST_CLOCK_TIME_NONE;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "last-sample"))
    g_object_get (sink, "last-sample", &sample, NULL);
  if (sample && gst_sample_get_buffer (sample) && gst_sample_get_segment
      (sample))
    t = gst_segment_to_running_time (gst_sample_get_segment (sample),
        GST_FORMAT_TIME, GST_BUFFER_PTS (gst_sample_get_buffer (sample)));
  if (sample)
    gst_sample_unref (sample);
  return t;
}

void
roomd_audio_watch (RoomdAudio * a, GstElement * pipeline)
{
  gint64 now = g_get_monotonic_time ();
  GstState state = GST_STATE_VOID_PENDING;
  GstClock *clock;
  GstClockTime running = GST_CLOCK_TIME_NONE;
  GstPad *src;
  GstIterator *it;
  GString *where;

  /* Only PLAYING counts: starting, the sinks preroll first. */
  if (gst_element_get_state (pipeline, &state, NULL, 0) ==
      GST_STATE_CHANGE_ASYNC || state != GST_STATE_PLAYING) {
    a->last_level_us = now;
    return;
  }
  if (a->stalled || now - a->last_level_us < ROOMD_AUDIO_STALL_S * G_USEC_PER_SEC)
    return;
  a->stalled = TRUE;
  if ((clock = gst_element_get_clock (pipeline))) {
    running = gst_clock_get_time (clock) - gst_element_get_base_time (pipeline);
    gst_object_unref (clock);
  }
  src = gst_element_get_static_pad (a->mixer, "src");
  where = g_string_new (NULL);
  g_string_append_printf (where, "mixer output flow %s",
      gst_flow_get_name (gst_pad_get_last_flow_return (src)));
  gst_object_unref (src);
  it = gst_element_iterate_sink_pads (a->mixer);
  while (gst_iterator_foreach (it, describe_input, where) ==
      GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
  g_print ("roomd: the audio output stalled: no level for %.1f s while "
      "PLAYING (%s; the sink's last buffer at running time %" GST_TIME_FORMAT
      ", now %" GST_TIME_FORMAT ")\n", (now - a->last_level_us) / 1e6,
      where->str, GST_TIME_ARGS (sink_last_running_time (a->sink)),
      GST_TIME_ARGS (running));
  g_string_free (where, TRUE);
}

void
roomd_audio_stats (const RoomdAudio * a, guint64 * levels, gdouble * rms_db)
{
  *levels = a->levels;
  *rms_db = a->rms_db;
}

GstClockTime
roomd_audio_latency (RoomdAudio * a)
{
  GstClockTime t;

  g_mutex_lock (&a->latency_lock);
  t = a->latency;
  g_mutex_unlock (&a->latency_lock);
  return t;
}

void
roomd_audio_free (RoomdAudio * a)
{
  if (!a)
    return;
  g_signal_handler_disconnect (a->pipeline, a->do_latency);
  gst_object_unref (a->pipeline);
  g_mutex_clear (&a->latency_lock);
  g_free (a);
}
