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
 *
 * And the output's latency: a sender whose upstream is late (as a receive
 * branch's jitter buffer is) makes the mixer wait for it; the board's sink,
 * here one that drops what comes more than 20 ms late (as alsasink does),
 * must then play that much later, or it drops every block of the mix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gst/gst.h>

#include "roomd-audio.h"

#define WAIT_S 20
/* A sink that drops what is late, as a board's alsasink does. */
#define STRICT_SINK "fakesink sync=true max-lateness=20000000"

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

static GstElement *
out_sink (Out * o)
{
  GstElement *sink = the_sink (o->pipeline);

  assert_non_null (sink);
  return sink;
}

/* The output alone in a pipeline, with the board's sink sink_desc. */
static void
out_new (Out * o, const gchar * sink_desc)
{
  GstElement *sink;
  GstPad *pad;

  o->pipeline = gst_pipeline_new (NULL);
  o->audio = roomd_audio_new (o->pipeline, sink_desc);
  assert_non_null (o->audio);
  sink = out_sink (o);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_data, &o->seen, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  o->bus = gst_element_get_bus (o->pipeline);
}

/* cmocka's setup and teardown: the fixture on the heap, so that a failed
 * check (a longjmp out of the test) leaves nothing pointing into a dead
 * stack frame; the teardown stops the pipeline (which lets go of any held
 * probe) whatever the test did. */
static int
setup (void **state)
{
  Out *o = g_new0 (Out, 1);

  g_mutex_init (&o->seen.lock);
  g_cond_init (&o->seen.cond);
  *state = o;
  return 0;
}

static int
teardown (void **state)
{
  Out *o = *state;

  if (o->pipeline) {
    gst_element_set_state (o->pipeline, GST_STATE_NULL);
    gst_object_unref (o->pipeline);
  }
  if (o->bus)
    gst_object_unref (o->bus);
  roomd_audio_free (o->audio);
  g_mutex_clear (&o->seen.lock);
  g_cond_clear (&o->seen.cond);
  g_free (o);
  return 0;
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
  GstMessage *m;

  /* What is queued already counts before, not toward n. */
  while ((m = gst_bus_pop (o->bus))) {
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS
        || GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
      fail_msg ("%s: the output had ended (%s) before", what,
          GST_MESSAGE_TYPE_NAME (m));
    roomd_audio_bus_message (o->audio, m);
    gst_message_unref (m);
  }
  roomd_audio_stats (o->audio, &first, &rms);
  for (;;) {
    gint64 left = end - g_get_monotonic_time ();

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
        || GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
      fail_msg ("%s: the output ended (%s) after %" G_GUINT64_FORMAT
          " levels", what, GST_MESSAGE_TYPE_NAME (m), now - first);
    roomd_audio_bus_message (o->audio, m);
    gst_message_unref (m);
  }
}

/* A remote sender's decoded audio as roomd links it, added to the playing
 * output: a live tone at the output's format on a new mixer input, each
 * buffer late_ms after its time (a queue holding that much, and saying so
 * in its latency, as a receive branch's jitter buffer does), its first
 * buffer held when held is given (*held: the probe); its mixer pad in
 * *mixer_pad_out when that is given (owned: for roomd_audio_unlink). */
static GstElement *
add_sender (Out * o, gdouble freq, guint late_ms, gulong * held,
    GstPad ** mixer_pad_out)
{
  GstElement *src = gst_element_factory_make ("audiotestsrc", NULL);
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstElement *caps = gst_element_factory_make ("capsfilter", NULL);
  GstCaps *c = gst_caps_from_string ("audio/x-raw,format=S16LE,rate=48000,"
      "channels=2,layout=interleaved");
  GstPad *pad, *mixer_pad;

  assert_non_null (src);
  assert_non_null (queue);
  assert_non_null (caps);
  g_object_set (caps, "caps", c, NULL);
  gst_caps_unref (c);
  g_object_set (src, "is-live", TRUE, "freq", freq, "volume", 0.5, NULL);
  g_object_set (queue, "min-threshold-time", (guint64) late_ms * GST_MSECOND,
      "max-size-time", (guint64) (late_ms + 1000) * GST_MSECOND,
      "max-size-buffers", 0, "max-size-bytes", 0, NULL);
  assert_true (gst_bin_add (GST_BIN (o->pipeline), src));
  assert_true (gst_bin_add (GST_BIN (o->pipeline), queue));
  assert_true (gst_bin_add (GST_BIN (o->pipeline), caps));
  assert_true (gst_element_link_many (src, queue, caps, NULL));
  pad = gst_element_get_static_pad (caps, "src");
  mixer_pad = roomd_audio_link (o->audio, pad);
  assert_non_null (mixer_pad);
  if (mixer_pad_out)
    *mixer_pad_out = mixer_pad;
  else
    gst_object_unref (mixer_pad);
  gst_object_unref (pad);
  if (held)
    *held = hold_first_buffer (src);
  assert_true (gst_element_sync_state_with_parent (caps));
  assert_true (gst_element_sync_state_with_parent (queue));
  assert_true (gst_element_sync_state_with_parent (src));
  return src;
}

/* The live silence's first buffer held past the mixer's deadline: the sink
 * gets mixed silence, not an EOS, and the levels go on once it is let go. */
static void
test_slow_silence (void **state)
{
  Out *o = *state;
  GstElement *silence;
  gulong id;
  guint buffers, eos;

  out_new (o, ROOMD_AUDIO_DEFAULT_SINK);
  silence = gst_bin_get_by_name (GST_BIN (o->pipeline), "spksilence");
  assert_non_null (silence);
  id = hold_first_buffer (silence);
  assert_int_not_equal (gst_element_set_state (o->pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  wait_sink (o, &buffers, &eos);
  if (eos)
    fail_msg ("the silence held: the sink had an EOS first (%u buffers), "
        "not mixed silence", buffers);
  release (silence, id);
  gst_object_unref (silence);
  wait_levels (o, 3, -200.0, "after the silence was let go");
  g_mutex_lock (&o->seen.lock);
  eos = o->seen.eos;
  g_mutex_unlock (&o->seen.lock);
  assert_int_equal (eos, 0);
}

/* A sender linked to the mixer that never sends: the output goes on, and
 * has the sender's tone once it comes. */
static void
test_silent_sender (void **state)
{
  Out *o = *state;
  GstElement *sender;
  gulong id;

  out_new (o, ROOMD_AUDIO_DEFAULT_SINK);
  assert_int_not_equal (gst_element_set_state (o->pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  wait_levels (o, 2, -200.0, "before the sender");
  sender = add_sender (o, 660.0, 0, &id, NULL);
  wait_levels (o, 3, -200.0, "with a sender that sends nothing");
  release (sender, id);
  wait_levels (o, 1, -30.0, "once the sender's tone came");
}

/* The element e's src pad is linked to (a reference). */
static GstElement *
downstream (GstElement * e)
{
  GstPad *pad = gst_element_get_static_pad (e, "src"), *peer;
  GstElement *next;

  assert_non_null (pad);
  peer = gst_pad_get_peer (pad);
  gst_object_unref (pad);
  assert_non_null (peer);
  next = gst_pad_get_parent_element (peer);
  gst_object_unref (peer);
  assert_non_null (next);
  return next;
}

/* The sink's counts ("stats": rendered, dropped as late). */
static void
sink_counts (Out * o, guint64 * rendered, guint64 * dropped)
{
  GstElement *sink = out_sink (o);
  GstStructure *st = NULL;

  g_object_get (sink, "stats", &st, NULL);
  assert_non_null (st);
  assert_true (gst_structure_get_uint64 (st, "rendered", rendered));
  assert_true (gst_structure_get_uint64 (st, "dropped", dropped));
  gst_structure_free (st);
  gst_object_unref (sink);
}

/* A sender whose audio comes 500 ms after its time (as a receive branch's
 * can, its jitter buffer waiting out a loss) joins a playing output: the
 * mixer waits
 * for it (its 300 ms on top), the pipeline's latency must take both, and a
 * sink that drops what is late then drops nothing of the mix. With the
 * latency GStreamer computed at PLAYING (about 350 ms) it drops the most. */
static void
test_late_sender (void **state)
{
  Out *o = *state;
  GstClockTime before, after, gone;
  guint64 rendered0, dropped0, rendered, dropped;
  GstElement *sender, *queue, *caps;
  GstPad *mixer_pad = NULL;

  out_new (o, STRICT_SINK);
  assert_int_not_equal (gst_element_set_state (o->pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  wait_levels (o, 2, -200.0, "before the sender");
  before = roomd_audio_latency (o->audio);
  sender = add_sender (o, 440.0, 500, NULL, &mixer_pad);
  wait_levels (o, 2, -30.0, "the late sender's tone");
  after = roomd_audio_latency (o->audio);
  print_message ("# the pipeline's latency: %" G_GUINT64_FORMAT " ms, then "
      "%" G_GUINT64_FORMAT " ms with the sender\n", before / GST_MSECOND,
      after / GST_MSECOND);
  if (!GST_CLOCK_TIME_IS_VALID (before) || !GST_CLOCK_TIME_IS_VALID (after)
      || after < (ROOMD_AUDIO_LATENCY_MS + 500) * GST_MSECOND)
    fail_msg ("the pipeline's latency did not take the sender's 500 ms and "
        "the mixer's %d ms: "
        "%" G_GINT64_FORMAT " ms, then %" G_GINT64_FORMAT " ms",
        ROOMD_AUDIO_LATENCY_MS, GST_CLOCK_TIME_IS_VALID (before) ? (gint64) (before / GST_MSECOND) :
        -1, GST_CLOCK_TIME_IS_VALID (after) ? (gint64) (after / GST_MSECOND) :
        -1);
  sink_counts (o, &rendered0, &dropped0);
  wait_levels (o, 3, -30.0, "the mix with the late sender");
  sink_counts (o, &rendered, &dropped);
  print_message ("# the sink over 3 s: %" G_GUINT64_FORMAT " rendered, %"
      G_GUINT64_FORMAT " dropped as late\n", rendered - rendered0,
      dropped - dropped0);
  /* A few at most (a machine that stalls a thread for 300 ms); with the
   * latency left as it was, all of them. */
  if (dropped - dropped0 > 5 || rendered <= rendered0)
    fail_msg ("the sink dropped %" G_GUINT64_FORMAT " blocks of the mix as "
        "late (rendered %" G_GUINT64_FORMAT ") after the latency grew",
        dropped - dropped0, rendered - rendered0);

  /* The sender goes, as a receive branch does (stopped, out of the
   * pipeline, then its mixer pad released): the latency comes down. */
  queue = downstream (sender);
  caps = downstream (queue);
  for (GstElement ** e = (GstElement *[]) {
      sender, queue, caps, NULL}; *e; e++) {
    gst_element_set_state (*e, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (o->pipeline), *e);
  }
  gst_object_unref (queue);
  gst_object_unref (caps);
  roomd_audio_unlink (o->audio, mixer_pad);
  wait_levels (o, 2, -200.0, "after the sender went");
  gone = roomd_audio_latency (o->audio);
  print_message ("# the pipeline's latency after the sender went: %"
      G_GUINT64_FORMAT " ms\n", gone / GST_MSECOND);
  if (!GST_CLOCK_TIME_IS_VALID (gone) || gone != before)
    fail_msg ("the pipeline's latency did not come back to %" G_GUINT64_FORMAT
        " ms once the sender went", before / GST_MSECOND);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_slow_silence, setup, teardown),
    cmocka_unit_test_setup_teardown (test_silent_sender, setup, teardown),
    cmocka_unit_test_setup_teardown (test_late_sender, setup, teardown),
  };
  int ret;

  gst_init (&argc, &argv);
  ret = cmocka_run_group_tests (tests, NULL, NULL);
  gst_deinit ();
  return ret;
}
