/* SPDX-License-Identifier: MIT */
/*
 * e2ee-media: the media side of a room, reduced to one sender or one
 * receiver of end-to-end encrypted H.264 video and Opus audio over RTP/UDP.
 * A tool for the wire tests and the image's display test; the room's media
 * daemon is roomd (roomd.c), which shares its send chains and hygiene.
 * This file is the run: the pipeline made, the sender's marker and slice
 * dump, the main loop, the end, the results. Its parts (e2ee-media-tool.h):
 * the command line (e2ee-media-args.c), the keys (e2ee-media-keys.c), the
 * receiver's branches and display (e2ee-media-receiver.c); the sender's
 * chains are e2ee-media-pipeline.c's.
 *
 *   e2ee-media send    --key-file F --host H --video-port P --audio-port Q
 *                      [--seconds N] [--sender-index I] [--marker TEXT]
 *                      [--width W --height H] [--dump-slices FILE]
 *   e2ee-media receive --key-file F --video-port P --audio-port Q
 *                      [--seconds N] [--sender-index I] [--marker TEXT]
 *                      [--snapshot FILE.png]
 *   e2ee-media receive (--key-file F | --control SOCKET)
 *                      --peer SENDER:VIDEO_PORT:AUDIO_PORT [--peer ...]
 *                      [--snapshot-prefix PREFIX] [--seconds N] [--marker TEXT]
 *                      [--display DEVICE [--display-size WxH]
 *                       [--display-capture PNG]
 *                       --peer-codeword SENDER:CODEWORD[:NAME[:TRUST]] ...]
 *
 * Sender: --source DESC (raw video, gst-launch syntax; default a moving test
 * pattern) and --encoder DESC (default x264enc) for the board's camera and
 * encoder; receiver: --decoder DESC (default avdec_h264).
 *
 * --display shows every peer's decoded video on the screen through KMS (the
 * room display, gste2eeroomdisplay.h): a grid of tiles, each with the
 * peer's codeword label under it (--peer-codeword, required per peer: in
 * the room it comes from keyxchgd's roster; NAME its second line; TRUST
 * verified, unverified (default) or warning) on an overlay plane, and the
 * E2EE state in a banner (keys from a key file: on; from --control:
 * waiting until the first key is installed). It prints "display ..." lines
 * with the layout and, at the end, the frames shown per peer;
 * --display-capture saves the screen, captured through the writeback
 * connector, at the end. --display-size picks the mode (default the
 * screen's preferred one).
 *
 * Keys come from exactly one of:
 *
 *   --key-file F     one base key in hex (16 to 64 bytes), mode 0600. Video
 *                    and audio use it under their own KIDs (RFC 9605 5.2
 *                    layout: stream, sender, epoch 0), so each stream gets its
 *                    own SFrame key and counter.
 *   --control SOCK   keyxchgd's control socket (keyxchg/CONTROL.md): the key
 *                    provider (gste2eekeyprovider.h) installs the keys it is
 *                    sent, switches the send KID when told, removes old keys,
 *                    and reconnects when keyxchgd restarts. A sender without
 *                    --sender-index learns its index from its first send key.
 *                    --control-uid UID: keyxchgd runs as that user (the
 *                    image), whose socket directory and end are trusted too.
 *
 * A receiver has one receive branch (udpsrc, jitterbuffer, depayloader,
 * e2eedec bound to that sender, decoder) per remote sender and stream:
 * --peer SENDER:VIDEO_PORT:AUDIO_PORT, repeatable; --video-port and
 * --audio-port with --sender-index make the single peer of the original
 * form. It prints per sender "receiver sender=N video-frames=V
 * audio-frames=A decoded-frames=D auth-failed=F" (frames decrypted by
 * e2eedec, pictures out of the decoder) and, with --snapshot-prefix, saves
 * PREFIX<N>.png. With --control each key event handled is one line
 * "key ACTION kid=K usage=U applied=0|1 ...", a receiver's with the frame
 * counts of that sender at that moment.
 *
 * --marker puts TEXT in an SEI user-data NAL in every access unit before
 * e2eeenc (sender), and counts the decrypted access units that carry it
 * (receiver): a known plaintext that must never be seen on the wire.
 * --dump-slices writes every plaintext slice NAL the sender encrypts to FILE
 * (length-prefixed), so that a test can look for them on the wire.
 *
 * --seconds N ends the run after N seconds (default 10); 0 runs until
 * SIGTERM or SIGINT, which end it the same way.
 *
 * Each side prints "sender ready" / "receiver ready" once playing (its
 * sockets bound), and at the end one line per stream with the element's
 * statistics, and the receiver "marker-frames=N decoded-frames=N".
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <gst/gst.h>
#include <glib-unix.h>

#include "e2ee/keyring.h"
#include "e2ee/sframe.h"
#include "e2ee-media.h"
#include "e2ee-media-tool.h"
#include "gste2eemarker.h"

/* Before e2eeenc: every slice NAL (types 1 and 5), length-prefixed. */
static GstPadProbeReturn
dump_slices (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  E2eeMedia *app = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo m;

  gst_buffer_map (buf, &m, GST_MAP_READ);
  for (gsize i = 0; i + 3 < m.size; i++) {
    gsize start, end;
    guint32 len;

    if (m.data[i] || m.data[i + 1] || m.data[i + 2] != 1)
      continue;
    start = i + 3;
    for (end = start; end + 2 < m.size; end++)
      if (!m.data[end] && !m.data[end + 1] && m.data[end + 2] == 1)
        break;
    if (end + 2 >= m.size)
      end = m.size;
    while (end > start && !m.data[end - 1])
      end--;
    if (end > start && ((m.data[start] & 0x1f) == 1
            || (m.data[start] & 0x1f) == 5)) {
      len = (guint32) (end - start);
      fwrite (&len, sizeof (len), 1, app->dump);
      fwrite (m.data + start, 1, len, app->dump);
    }
    i = end - 1;
  }
  gst_buffer_unmap (buf, &m);
  return GST_PAD_PROBE_OK;
}

void
e2ee_media_add_probe (E2eeMedia * app, const gchar * name,
    const gchar * pad_name, GstPadProbeCallback cb, gpointer data,
    GDestroyNotify destroy)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cb, data, destroy);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static GstStructure *
get_stats (E2eeMedia * app, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  GstStructure *s = NULL;

  if (e) {
    g_object_get (e, "stats", &s, NULL);
    gst_object_unref (e);
  }
  return s;
}

void
e2ee_media_print_stats (E2eeMedia * app, const gchar * name,
    const gchar * label)
{
  GstStructure *s = get_stats (app, name);
  gchar *text = gst_structure_to_string (s);

  g_print ("%s %s: %s\n", app->send ? "sender" : "receiver", label, text);
  g_free (text);
  gst_structure_free (s);
}

/*
 * A sender's end is bounded: EOS goes in, and a pipeline that has not
 * drained it within EOS_GRACE_S is stuck. It says which sinks never saw EOS
 * and stops, failed (a wait without an end is a hang, and says nothing).
 */
#define EOS_GRACE_S 20
/* Tearing down (capture, snapshots, state NULL) is bounded too: past this,
 * the process says so and exits 1 (gst_e2ee_media_bound_teardown). */
#define TEARDOWN_S 60

/* The end failed: why, in one line, and the run stops with exit 1. A
 * GSourceFunc's return. */
static gboolean G_GNUC_PRINTF (2, 3)
stop_failed (E2eeMedia * app, const gchar * fmt, ...)
{
  va_list ap;
  gchar *why;

  va_start (ap, fmt);
  why = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_printerr ("e2ee-media: %s; stopping\n", why);
  g_free (why);
  app->exit_code = 1;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_eos_refused (gpointer data)
{
  return stop_failed (data, "a source refused EOS");
}

/* The EOS thread: the sources take it (each takes its stream lock to queue
 * it), the main loop runs on meanwhile. */
static gpointer
eos_thread (gpointer data)
{
  E2eeMedia *app = data;

  if (!gst_element_send_event (app->pipeline, gst_event_new_eos ()))
    g_idle_add (on_eos_refused, app);
  return NULL;
}

/*
 * EOS into the sources, once the pipeline is PLAYING, from a thread of its
 * own. Not while its change to PLAYING is still under way (asynchronous
 * while a sink prerolls; the send chains' udpsinks no longer do, since a
 * room without a send KID must still play what it receives, but any sink
 * that does brings this back): a udpsink that prerolled waited for PLAYING
 * in its streaming thread, which holds its source's stream lock; a source
 * takes that lock to queue EOS (GstBaseSrc send_event), and
 * gst_element_send_event holds the pipeline's state lock the while, which
 * the bin's continuation to PLAYING (a GStreamer pool thread) needs: each
 * waited for the other for good. It was seen when the video sink
 * prerolled late (a loaded machine: x264enc's first frame seconds after
 * the audio's) and --seconds ran out first: every thread in a futex wait,
 * the main loop with them, its overdue timer never fired. tests/
 * integration/test_e2ee_media_end.py holds the video's first frame back
 * past --seconds. The thread keeps the main loop, and its overdue timer,
 * free of any wait on a streaming thread.
 */
static void
send_eos (E2eeMedia * app)
{
  if (app->eos_thread)
    return;
  app->eos_thread = g_thread_new ("e2ee-media-eos", eos_thread, app);
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  E2eeMedia *app = data;
  GstState state;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_e2ee_media_bus_error ("e2ee-media", msg, app->loop, &app->exit_code);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    case GST_MESSAGE_STATE_CHANGED:
      /* The end was asked before the pipeline was PLAYING: now. */
      if (app->eos_wanted && GST_MESSAGE_SRC (msg) == GST_OBJECT (app->pipeline)) {
        gst_message_parse_state_changed (msg, NULL, &state, NULL);
        if (state == GST_STATE_PLAYING)
          send_eos (app);
      }
      break;
    default:
      break;
  }
  return TRUE;
}

static gboolean
on_eos_overdue (gpointer data)
{
  E2eeMedia *app = data;
  GstIterator *it;
  GValue v = G_VALUE_INIT;
  GString *stuck;
  GstState state, pending;

  if (!app->eos_thread) {
    gst_element_get_state (app->pipeline, &state, &pending, 0);
    return stop_failed (app, "the pipeline did not reach PLAYING within %d s "
        "of the end (%s, %s pending)", EOS_GRACE_S,
        gst_element_state_get_name (state),
        gst_element_state_get_name (pending));
  }
  it = gst_bin_iterate_sinks (GST_BIN (app->pipeline));
  stuck = g_string_new (NULL);
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *sink = g_value_get_object (&v);
    GstPad *pad = gst_element_get_static_pad (sink, "sink");

    if (pad && !GST_PAD_IS_EOS (pad))
      g_string_append_printf (stuck, " %s", GST_OBJECT_NAME (sink));
    if (pad)
      gst_object_unref (pad);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  stop_failed (app, "the pipeline did not drain EOS within %d s (sinks "
      "without EOS:%s)", EOS_GRACE_S, stuck->len ? stuck->str : " none");
  g_string_free (stuck, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer data)
{
  E2eeMedia *app = data;

  /* The sender ends its streams properly, once (send_eos says when); the
   * receiver, or a second signal, just stops. A zero timeout: the state
   * lock is not taken. */
  if (app->send && !app->eos_wanted) {
    app->eos_wanted = TRUE;
    g_timeout_add_seconds (EOS_GRACE_S, on_eos_overdue, app);
    if (gst_element_get_state (app->pipeline, NULL, NULL, 0) !=
        GST_STATE_CHANGE_ASYNC)
      send_eos (app);
  } else {
    g_main_loop_quit (app->loop);
  }
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  static E2eeMedia app = { 0 };
  GstBus *bus;
  gint ret;

  /* Before any key or picture is in memory. */
  if (!gst_e2ee_media_make_undumpable ())
    return 1;
  /* Our libgcrypt settings (a secure pool for media keys) before any
   * other library's: FFmpeg's libssh-gcrypt would leave a 32 KiB pool. */
  if (e2ee_aead_init ()) {
    g_printerr ("%s: the AEAD library does not start\n", argv[0]);
    return 1;
  }
  gst_init (&argc, &argv);
  if ((ret = e2ee_media_parse_args (&app, argc, argv)))
    return ret;
  if (app.display && !e2ee_media_open_display (&app))
    return 1;
  if (app.key_file && !e2ee_media_read_key_file (&app))
    return 2;

  if (app.send) {
    /* Element by element (e2ee-media-pipeline.c): no description. */
    GstE2eeMediaSender cfg = { app.source, app.encoder, app.codeword,
      app.host, app.width, app.height, app.sender_index, app.video_port,
      app.audio_port
    };

    app.pipeline = gst_pipeline_new ("sender");
    if (!gst_e2ee_media_build_sender (app.pipeline, &cfg))
      return 1;
  } else if (!e2ee_media_build_receiver (&app)) {
    return 1;
  }
  if (!e2ee_media_install_keys (&app))
    return 1;
  if (app.send) {
    if (app.marker) {
      GstElement *e = gst_bin_get_by_name (GST_BIN (app.pipeline), "venc");

      gst_e2ee_marker_insert (e, app.marker);
      gst_object_unref (e);
    }
    if (app.dump_slices) {
      app.dump = gst_e2ee_media_private_file (app.dump_slices);
      if (!app.dump) {
        g_printerr ("e2ee-media: %s: %s\n", app.dump_slices,
            g_strerror (errno));
        return 1;
      }
      e2ee_media_add_probe (&app, "venc", "sink", dump_slices, &app, NULL);
    }
  }

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_bus, &app);
  /* --seconds 0: until SIGTERM or SIGINT (a service). */
  if (app.seconds)
    g_timeout_add_seconds ((guint) app.seconds, on_timeout, &app);
  g_unix_signal_add (SIGTERM, on_timeout, &app);
  g_unix_signal_add (SIGINT, on_timeout, &app);
  if (!e2ee_media_keys_start (&app))
    return 2;
  if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("e2ee-media: the pipeline does not start\n");
    return 1;
  }
  /* The sockets are bound once set_state returns: the other side may start. */
  g_print ("%s ready\n", app.send ? "sender" : "receiver");
  fflush (stdout);
  g_main_loop_run (app.loop);
  gst_e2ee_media_bound_teardown ("e2ee-media", TEARDOWN_S);

  if (app.send) {
    e2ee_media_print_stats (&app, "venc", "video");
    e2ee_media_print_stats (&app, "aenc", "audio");
  } else {
    e2ee_media_receiver_results (&app);
  }
  e2ee_media_keys_stop (&app);
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  if (app.eos_thread)
    g_thread_join (app.eos_thread);
  gst_e2ee_room_display_free (app.room);
  for (guint i = 0; i < app.n_peers; i++) {
    g_free (app.peers[i].codeword);
    g_free (app.peers[i].name);
  }
  g_free (app.source);
  g_free (app.encoder);
  g_free (app.decoder);
  g_free (app.display);
  g_free (app.display_capture);
  if (app.dump)
    fclose (app.dump);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (app.pipeline);
  g_main_loop_unref (app.loop);
  g_free (app.key_file);
  g_free (app.control);
  g_free (app.host);
  g_free (app.marker);
  g_free (app.snapshot);
  g_free (app.snapshot_prefix);
  g_free (app.dump_slices);
  return app.exit_code;
}
