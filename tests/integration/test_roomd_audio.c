/* SPDX-License-Identifier: MIT */
/*
 * roomd's audio output (roomd-audio.c) in a pipeline of its own, with the
 * board's default sink: inputs that are slow to start, or never send, must
 * not stop it.
 *
 * The case that was seen (CI, one run in a few dozen under load): the live
 * silence's first buffer came after the mixer's first deadline; GStreamer
 * 1.22's audiomixer with ignore-inactive-pads then counted its only input
 * as inactive, called that EOS, and the output stopped for good after one
 * level. Here the first buffers are held by blocking pad probes, as long as
 * the test needs, not by a sleep: nothing depends on how fast this machine
 * is. Every wait is on an event, bounded, and says what it waited for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gst/gst.h>

#include "roomd-audio.h"

#define WAIT_S 20

typedef struct
{
  GMutex lock;
  GCond cond;
  guint buffers, eos;           /* what reached the board's sink */
} SinkSeen;

typedef struct
{
  GstElement *pipeline;
  RoomdAudio *audio;
  GstBus *bus;
  SinkSeen seen;
} Out;

static GstPadProbeReturn
on_sink_data (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  SinkSeen *s = data;

  (void) pad;
  g_mutex_lock (&s->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    s->buffers++;
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    s->eos++;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  return GST_PAD_PROBE_OK;
}

/* Holds a pad's first buffer until the probe is removed. */
static GstPadProbeReturn
hold (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  (void) pad;
  (void) info;
  (void) data;
  return GST_PAD_PROBE_OK;
}

static gulong
hold_first_buffer (GstElement * e)
{
  GstPad *pad = gst_element_get_static_pad (e, "src");
  gulong id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, hold, NULL, NULL);

  gst_object_unref (pad);
  return id;
}

static void
release (GstElement * e, gulong id)
{
  GstPad *pad = gst_element_get_static_pad (e, "src");

  gst_pad_remove_probe (pad, id);
  gst_object_unref (pad);
}

static GstElement *
the_sink (GstElement * pipeline)
{
  GstIterator *it = gst_bin_iterate_sinks (GST_BIN (pipeline));
  GValue v = G_VALUE_INIT;
  GstElement *sink = NULL;

  if (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    sink = g_value_dup_object (&v);
    g_value_unset (&v);
  }
  gst_iterator_free (it);
  return sink;
}

static void
out_new (Out * o)
{
  GstElement *sink;
  GstPad *pad;

  *o = (Out) {
  0};
  g_mutex_init (&o->seen.lock);
  g_cond_init (&o->seen.cond);
  o->pipeline = gst_pipeline_new (NULL);
  o->audio = roomd_audio_new (o->pipeline, ROOMD_AUDIO_DEFAULT_SINK);
  assert_non_null (o->audio);
  sink = the_sink (o->pipeline);
  assert_non_null (sink);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_data, &o->seen, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  o->bus = gst_element_get_bus (o->pipeline);
}

static void
out_free (Out * o)
{
  gst_element_set_state (o->pipeline, GST_STATE_NULL);
  roomd_audio_free (o->audio);
  gst_object_unref (o->bus);
  gst_object_unref (o->pipeline);
  g_mutex_clear (&o->seen.lock);
  g_cond_clear (&o->seen.cond);
}

/* Until the sink has had a buffer or an EOS: which one, or a failure. */
static void
wait_sink (Out * o, guint * buffers, guint * eos)
{
  gint64 end = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  g_mutex_lock (&o->seen.lock);
  while (!o->seen.buffers && !o->seen.eos)
    if (!g_cond_wait_until (&o->seen.cond, &o->seen.lock, end))
      break;
  *buffers = o->seen.buffers;
  *eos = o->seen.eos;
  g_mutex_unlock (&o->seen.lock);
  if (!*buffers && !*eos)
    fail_msg ("the board's sink had neither a buffer nor an EOS in %d s",
        WAIT_S);
}

/* Bus messages until n more levels, or until the loudest reaches min_db
 * (when min_db > -200); fails on an EOS, an error or WAIT_S without. */
static void
wait_levels (Out * o, guint n, gdouble min_db, const char *what)
{
  gint64 end = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  guint64 first, now;
  gdouble rms = -200.0;

  roomd_audio_stats (o->audio, &first, &rms);
  for (;;) {
    gint64 left = end - g_get_monotonic_time ();
    GstMessage *m;

    roomd_audio_stats (o->audio, &now, &rms);
    if (now >= first + n && (min_db <= -200.0 || rms >= min_db))
      return;
    if (left <= 0)
      fail_msg ("%s: %" G_GUINT64_FORMAT " levels in %d s, the last at "
          "%.1f dB", what, now - first, WAIT_S, rms);
    m = gst_bus_timed_pop (o->bus, left * GST_USECOND);
    if (!m)
      continue;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS
        || GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      gst_message_unref (m);
      fail_msg ("%s: the output ended (%s) after %" G_GUINT64_FORMAT
          " levels", what, GST_MESSAGE_TYPE_NAME (m), now - first);
    }
    roomd_audio_bus_message (o->audio, m);
    gst_message_unref (m);
  }
}

/* A remote sender's decoded audio as roomd links it, added to the playing
 * output: a live tone at the output's format on a new mixer input, its
 * first buffer held (*held: the probe). */
static GstElement *
add_sender (Out * o, gdouble freq, gulong * held)
{
  GstElement *src = gst_element_factory_make ("audiotestsrc", NULL);
  GstElement *caps = gst_element_factory_make ("capsfilter", NULL);
  GstCaps *c = gst_caps_from_string ("audio/x-raw,format=S16LE,rate=48000,"
      "channels=2,layout=interleaved");
  GstPad *pad, *mixer_pad;

  assert_non_null (src);
  assert_non_null (caps);
  g_object_set (caps, "caps", c, NULL);
  gst_caps_unref (c);
  g_object_set (src, "is-live", TRUE, "freq", freq, "volume", 0.5, NULL);
  assert_true (gst_bin_add (GST_BIN (o->pipeline), src));
  assert_true (gst_bin_add (GST_BIN (o->pipeline), caps));
  assert_true (gst_element_link (src, caps));
  pad = gst_element_get_static_pad (caps, "src");
  mixer_pad = roomd_audio_link (o->audio, pad);
  assert_non_null (mixer_pad);
  gst_object_unref (mixer_pad);
  gst_object_unref (pad);
  *held = hold_first_buffer (src);
  assert_true (gst_element_sync_state_with_parent (caps));
  assert_true (gst_element_sync_state_with_parent (src));
  return src;
}

/* The live silence's first buffer held past the mixer's deadline: the sink
 * gets mixed silence, not an EOS, and the levels go on once it is let go. */
static void
test_slow_silence (void **state)
{
  Out o;
  GstElement *silence;
  gulong id;
  guint buffers, eos;

  (void) state;
  out_new (&o);
  silence = gst_bin_get_by_name (GST_BIN (o.pipeline), "spksilence");
  assert_non_null (silence);
  id = hold_first_buffer (silence);
  assert_int_not_equal (gst_element_set_state (o.pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  wait_sink (&o, &buffers, &eos);
  print_message ("# silence held: the sink had %u buffers, %u EOS first\n",
      buffers, eos);
  assert_int_equal (eos, 0);
  release (silence, id);
  gst_object_unref (silence);
  wait_levels (&o, 3, -200.0, "after the silence was let go");
  g_mutex_lock (&o.seen.lock);
  assert_int_equal (o.seen.eos, 0);
  g_mutex_unlock (&o.seen.lock);
  out_free (&o);
}

/* A sender linked to the mixer that never sends: the output goes on. */
static void
test_silent_sender (void **state)
{
  Out o;
  GstElement *sender;
  gulong id;

  (void) state;
  out_new (&o);
  assert_int_not_equal (gst_element_set_state (o.pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  wait_levels (&o, 2, -200.0, "before the sender");
  sender = add_sender (&o, 660.0, &id);
  wait_levels (&o, 3, -200.0, "with a sender that sends nothing");
  release (sender, id);
  wait_levels (&o, 1, -30.0, "once the sender's tone came");
  out_free (&o);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_slow_silence),
    cmocka_unit_test (test_silent_sender),
  };

  gst_init (&argc, &argv);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
