/* SPDX-License-Identifier: MIT */
/*
 * e2ee-media: the media side of a room, reduced to one sender or one
 * receiver of end-to-end encrypted H.264 video and Opus audio over RTP/UDP.
 * A tool for the wire tests and the image's display test; the room's media
 * daemon is roomd (roomd.c), which shares its send chains and hygiene.
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
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <glib-unix.h>

#include "e2ee/keyring.h"
#include "e2ee/sframe.h"
#include "e2ee/secret.h"
#include "e2ee-media.h"
#include "gste2eekeyprovider.h"
#include "gste2eemarker.h"
#include "gste2eeparse.h"
#include "gste2eeroomdisplay.h"

#define MAX_PEERS 64

typedef struct _App App;

/* One remote sender: its receive branch and what came out of it. */
typedef struct
{
  App *app;
  guint sender;
  gint video_port, audio_port;
  guint decoded_frames;
  gchar *codeword, *name;       /* the label under its tile (--display) */
  enum wm_trust trust;
} Peer;

struct _App
{
  gboolean send, sender_index_set;
  gchar *key_file, *control, *host, *marker, *snapshot, *snapshot_prefix,
      *dump_slices, *codeword, *source, *encoder, *decoder, *display,
      *display_capture;
  guint display_width, display_height;
  guint send_grace_ms, recv_grace_ms;   /* 0: the key provider's defaults */
  uid_t control_uid;            /* --control-uid: keyxchgd's user */
  gboolean control_uid_set;
  gint video_port, audio_port, seconds, sender_index, width, height;
  guint8 *key;                  /* E2EE_SFRAME_MAX_BASE_KEY, gst_e2ee_media_key_memory () */
  gsize key_len;
  Peer peers[MAX_PEERS];
  guint n_peers;

  GstElement *pipeline;
  GMainLoop *loop;
  GstE2eeKeyProvider *kp;
  GstE2eeRoomDisplay *room;
  FILE *dump;
  gint marker_frames;
  guint decoded_frames;
  gint exit_code;
  gboolean eos_sent;
};


/* The file must be ours and private: it holds a media key. */
static gboolean
read_key (App * app)
{
  gchar buf[2 * E2EE_SFRAME_MAX_BASE_KEY + 4];
  struct stat st;
  gssize n;
  gsize len;
  gint fd = open (app->key_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0) {
    g_printerr ("e2ee-media: cannot open %s: %s\n", app->key_file,
        g_strerror (errno));
    return FALSE;
  }
  if (fstat (fd, &st) || !S_ISREG (st.st_mode) || st.st_uid != geteuid ()
      || (st.st_mode & 077)) {
    g_printerr ("e2ee-media: %s must be a regular file of ours, mode 0600\n",
        app->key_file);
    close (fd);
    return FALSE;
  }
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n < 0)
    n = 0;
  buf[n] = '\0';
  len = strcspn (buf, " \t\r\n");
  if (len % 2 || len < 32 || len / 2 > E2EE_SFRAME_MAX_BASE_KEY) {
    e2ee_wipe (buf, sizeof (buf));
    g_printerr ("e2ee-media: %s must hold 16 to 64 bytes of hex\n",
        app->key_file);
    return FALSE;
  }
  if (e2ee_hex_decode (buf, len, app->key, E2EE_SFRAME_MAX_BASE_KEY) < 0) {
    e2ee_wipe (buf, sizeof (buf));
    g_printerr ("e2ee-media: %s is not hex\n", app->key_file);
    return FALSE;
  }
  app->key_len = len / 2;
  e2ee_wipe (buf, sizeof (buf));
  return TRUE;
}

static gboolean
install_key (App * app, const gchar * name, guint64 stream, guint sender)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  guint64 kid = e2ee_kid_make (stream, (guint16) sender, 0);
  /* The element copies the key; this copy is wiped when it lets go. */
  GBytes *key = gst_e2ee_media_key_bytes (app->key, app->key_len);
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "add-key", kid, key,
      app->send ? E2EE_KEY_SEND : E2EE_KEY_RECV, &ok);
  if (ok && app->send)
    g_signal_emit_by_name (e, "set-send-kid", kid, &ok);
  g_bytes_unref (key);
  gst_object_unref (e);
  return ok;
}

/* Before e2eeenc: every slice NAL (types 1 and 5), length-prefixed. */
static GstPadProbeReturn
dump_slices (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  App *app = data;
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

static GstPadProbeReturn
count_decoded (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Peer *peer = data;

  peer->decoded_frames++;
  peer->app->decoded_frames++;
  return GST_PAD_PROBE_OK;
}

static void
add_probe (App * app, const gchar * name, const gchar * pad_name,
    GstPadProbeCallback cb, gpointer data, GDestroyNotify destroy)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cb, data, destroy);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static GstStructure *
get_stats (App * app, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  GstStructure *s = NULL;

  if (e) {
    g_object_get (e, "stats", &s, NULL);
    gst_object_unref (e);
  }
  return s;
}

static guint64
get_stat (App * app, const gchar * name, const gchar * field)
{
  return gst_e2ee_media_stat (app->pipeline, name, field);
}

static void
print_stats (App * app, const gchar * name, const gchar * label)
{
  GstStructure *s = get_stats (app, name);
  gchar *text = gst_structure_to_string (s);

  g_print ("%s %s: %s\n", app->send ? "sender" : "receiver", label, text);
  g_free (text);
  gst_structure_free (s);
}

static void
save_snapshot (App * app, const gchar * sink_name, const gchar * path)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (app->pipeline), sink_name);
  GstSample *sample = NULL, *png;
  GstCaps *caps;
  GError *err = NULL;

  g_object_get (sink, "last-sample", &sample, NULL);
  gst_object_unref (sink);
  if (!sample) {
    g_printerr ("e2ee-media: no decoded video to snapshot for %s\n", path);
    app->exit_code = 1;
    return;
  }
  caps = gst_caps_from_string ("image/png");
  png = gst_video_convert_sample (sample, caps, 5 * GST_SECOND, &err);
  gst_caps_unref (caps);
  gst_sample_unref (sample);
  if (!png) {
    g_printerr ("e2ee-media: snapshot: %s\n", err ? err->message : "?");
    g_clear_error (&err);
    app->exit_code = 1;
    return;
  }
  {
    GstMapInfo m;
    GstBuffer *b = gst_sample_get_buffer (png);

    gst_buffer_map (b, &m, GST_MAP_READ);
    if (!gst_e2ee_media_fresh_file (path, m.data, m.size)) {
      g_printerr ("e2ee-media: %s: %s\n", path, g_strerror (errno));
      app->exit_code = 1;
    } else {
      g_print ("receiver snapshot: %s (%" G_GSIZE_FORMAT " bytes)\n",
          path, m.size);
    }
    gst_buffer_unmap (b, &m);
  }
  gst_sample_unref (png);
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_e2ee_media_bus_error ("e2ee-media", msg, app->loop, &app->exit_code);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return TRUE;
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

static gboolean
on_eos_overdue (gpointer data)
{
  App *app = data;
  GstIterator *it = gst_bin_iterate_sinks (GST_BIN (app->pipeline));
  GValue v = G_VALUE_INIT;
  GString *stuck = g_string_new (NULL);

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
  g_printerr ("e2ee-media: the pipeline did not drain EOS within %d s "
      "(sinks without EOS:%s); stopping\n", EOS_GRACE_S,
      stuck->len ? stuck->str : " none");
  g_string_free (stuck, TRUE);
  app->exit_code = 1;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer data)
{
  App *app = data;

  /* The sender ends its streams properly, once; the receiver, or a second
   * signal, just stops. */
  if (app->send && !app->eos_sent) {
    app->eos_sent = TRUE;
    if (gst_element_send_event (app->pipeline, gst_event_new_eos ()))
      g_timeout_add_seconds (EOS_GRACE_S, on_eos_overdue, app);
    else {
      g_printerr ("e2ee-media: a source refused EOS; stopping\n");
      app->exit_code = 1;
      g_main_loop_quit (app->loop);
    }
  } else {
    g_main_loop_quit (app->loop);
  }
  return G_SOURCE_REMOVE;
}

/*
 * Parameter sets go in band before every IDR from h264parse, before
 * e2eeenc (they stay clear). Not rtph264pay config-interval=-1: in 1.22 it
 * puts SPS/PPS between the slices of a multi-slice IDR picture, which
 * corrupts the picture with or without E2EE.
 *
 * h264parse is in gst-plugins-bad, which the room image leaves out; there
 * the encoder's byte-stream goes to e2eeenc as it is (x264enc repeats SPS
 * and PPS before every IDR in byte-stream: measured, 3 of 3 keyframes) and
 * the decoder takes e2eedec's access units directly.
 */
static const gchar *
h264_parser (gboolean send)
{
  GstElementFactory *f = gst_element_factory_find ("h264parse");

  if (!f)
    return "identity";
  gst_object_unref (f);
  return send ? "h264parse config-interval=-1" : "h264parse";
}

/*
 * One remote sender's receive branch, its elements named after the sender
 * (vdec-N, adec-N, vdecoder-N, vsink-N). Each e2eedec is bound to that
 * sender (sender-index), so a relay cannot move one participant's stream
 * into another's branch even when the room holds both keys.
 */
static gchar *
peer_description (const Peer * p, const gchar * decoder, const gchar * sink)
{
  return g_strdup_printf
      ("udpsrc port=%d caps=\"application/x-rtp,media=video,"
      "encoding-name=H264,clock-rate=90000,payload=96\" ! "
      "rtpjitterbuffer name=vjb-%u latency=200 ! rtph264depay ! "
      "e2eedec name=vdec-%u stream=video sender-index=%u ! %s ! "
      "%s name=vdecoder-%u ! %s "
      "udpsrc port=%d caps=\"application/x-rtp,media=audio,"
      "encoding-name=OPUS,clock-rate=48000,payload=111\" ! "
      "rtpjitterbuffer name=ajb-%u latency=200 ! rtpopusdepay ! "
      "e2eedec name=adec-%u stream=audio sender-index=%u ! opusdec ! "
      "fakesink sync=false",
      p->video_port, p->sender, p->sender, p->sender, h264_parser (FALSE),
      decoder, p->sender, sink,
      p->audio_port, p->sender, p->sender, p->sender);
}

static gchar *
peer_name (const gchar * what, guint sender)
{
  return g_strdup_printf ("%s-%u", what, sender);
}

/*
 * Adds the receive branch of one peer as a bin of its own; works before the
 * pipeline runs and while it plays (the bin follows the pipeline's state),
 * so a branch can be added for a sender that joins later.
 */
static gboolean
add_peer_branch (App * app, Peer * p)
{
  GError *err = NULL;
  guint index = (guint) (p - app->peers);
  gchar *sink_name = peer_name ("vsink", p->sender);
  gchar *sink = app->room ?
      gst_e2ee_room_display_sink_description (app->room, index, sink_name) :
      g_strdup_printf ("videoconvert ! fakesink name=%s sync=false "
      "enable-last-sample=true", sink_name);
  gchar *desc, *name;
  GstElement *bin, *check;

  /* --decoder is a description by design: parsed alone and validated (no
   * sink, tee or network element: decoded pictures go to the display
   * only) before it is part of this one. The rest is numbers and ours. */
  if (app->decoder) {
    check = gst_e2ee_media_validated_bin ("--decoder", app->decoder, TRUE);
    if (!check) {
      g_free (sink);
      g_free (sink_name);
      return FALSE;
    }
    gst_object_unref (check);
  }
  desc = peer_description (p, app->decoder ? app->decoder : "avdec_h264",
      sink);
  bin = gst_e2ee_parse_bin (desc, FALSE, &err);
  g_free (desc);
  g_free (sink);
  if (!bin) {
    g_printerr ("e2ee-media: receive branch of sender %u: %s\n", p->sender,
        err->message);
    g_clear_error (&err);
    return FALSE;
  }
  name = peer_name ("peer", p->sender);
  gst_object_set_name (GST_OBJECT (bin), name);
  g_free (name);
  gst_bin_add (GST_BIN (app->pipeline), bin);
  if (app->room) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), sink_name);

    gst_e2ee_room_display_attach (app->room, index, e);
    gst_object_unref (e);
  }
  g_free (sink_name);
  if (app->marker) {
    GstElement *e;

    name = peer_name ("vdec", p->sender);
    e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
    gst_e2ee_marker_count (e, app->marker, &app->marker_frames);
    gst_object_unref (e);
    g_free (name);
  }
  name = peer_name ("vdecoder", p->sender);
  add_probe (app, name, "src", count_decoded, p, NULL);
  g_free (name);
  if (GST_STATE (app->pipeline) > GST_STATE_NULL)
    gst_element_sync_state_with_parent (bin);
  return TRUE;
}

static Peer *
find_peer (App * app, guint sender)
{
  for (guint i = 0; i < app->n_peers; i++)
    if (app->peers[i].sender == sender)
      return &app->peers[i];
  return NULL;
}

/*
 * lost: RTP packets the jitterbuffers never got or got too late (a frame
 * with a packet missing inside a NAL fails authentication, as it must: a
 * test tells loss from a key that does not fit by comparing the two).
 */
static void
print_peer (App * app, Peer * p, const gchar * prefix)
{
  gchar *v = peer_name ("vdec", p->sender), *a = peer_name ("adec", p->sender);
  gchar *vjb = peer_name ("vjb", p->sender), *ajb = peer_name ("ajb", p->sender);

  g_print ("%ssender=%u video-frames=%" G_GUINT64_FORMAT " audio-frames=%"
      G_GUINT64_FORMAT " decoded-frames=%u auth-failed=%" G_GUINT64_FORMAT
      " lost=%" G_GUINT64_FORMAT,
      prefix, p->sender, get_stat (app, v, "frames"),
      get_stat (app, a, "frames"), p->decoded_frames,
      get_stat (app, v, "auth-failed") + get_stat (app, a, "auth-failed"),
      get_stat (app, vjb, "num-lost") + get_stat (app, vjb, "num-late") +
      get_stat (app, ajb, "num-lost") + get_stat (app, ajb, "num-late"));
  g_free (v);
  g_free (a);
  g_free (vjb);
  g_free (ajb);
}

/* ------------------------------------------------- the key provider's side */

static GstElement *
kp_get_encoder (gpointer data, guint stream)
{
  App *app = data;

  return app->send ? gst_e2ee_media_sender_encryptor (app->pipeline, stream)
      : NULL;
}

/* Branches come from --peer: a sender without one has no branch here. */
static GstElement *
kp_get_decoder (gpointer data, guint stream, guint sender, gboolean create)
{
  App *app = data;
  GstElement *e;
  gchar *name;

  if (app->send || stream > E2EE_STREAM_VIDEO || !find_peer (app, sender))
    return NULL;
  name = peer_name (stream == E2EE_STREAM_VIDEO ? "vdec" : "adec", sender);
  e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  g_free (name);
  return e;
}

static void
kp_handled (gpointer data, const GstE2eeKeyEvent * ev, gboolean applied)
{
  static const gchar *const names[] = {
    [GST_E2EE_KEY_EVENT_REPLY] = "reply",
    [GST_E2EE_KEY_EVENT_INSTALL] = "install",
    [GST_E2EE_KEY_EVENT_REMOVE] = "remove",
    [GST_E2EE_KEY_EVENT_SEND_KID] = "send-kid",
    [GST_E2EE_KEY_EVENT_STATE] = "state",
  };
  App *app = data;
  Peer *p;

  if (ev->type == GST_E2EE_KEY_EVENT_REPLY)
    return;
  /* The banner says "End-to-end encrypted" once a key is in place. */
  if (app->room && ev->type == GST_E2EE_KEY_EVENT_INSTALL && applied)
    gst_e2ee_room_display_set_e2ee (app->room, WM_E2EE_ON);
  g_print ("key %s kid=%" G_GUINT64_FORMAT " usage=%s applied=%d",
      names[ev->type], ev->kid, ev->usage == E2EE_KEY_SEND ? "send" :
      ev->usage == E2EE_KEY_RECV ? "receive" : "-", applied);
  if (!app->send && ev->type != GST_E2EE_KEY_EVENT_STATE
      && (p = find_peer (app, gst_e2ee_kid_sender (ev->kid))))
    print_peer (app, p, " ");
  g_print ("\n");
}

static void
kp_connection (gpointer data, gboolean up)
{
  App *app = data;

  g_print ("keyxchgd %s\n", up ? "connected" : "disconnected");
  /* Without keyxchgd the room cannot know its keys are current: the
   * banner says so at once (the keys themselves go after their grace);
   * it says "End-to-end encrypted" again once a key is installed. */
  if (!up) {
    if (app->room)
      gst_e2ee_room_display_set_e2ee (app->room, WM_E2EE_WAITING);
    g_print ("display e2ee waiting-for-keys\n");
  }
}

static int
usage (void)
{
  g_printerr ("usage: e2ee-media send|receive (--key-file F | --control SOCKET) "
      "--video-port P --audio-port Q [--host H] [--seconds N] "
      "[--sender-index I] [--marker TEXT] [--snapshot PNG] "
      "[--dump-slices FILE] [--width W --height H]\n"
      "       e2ee-media receive (--key-file F | --control SOCKET) "
      "--peer SENDER:VIDEO_PORT:AUDIO_PORT [--peer ...] "
      "[--snapshot-prefix PREFIX] [--seconds N] [--marker TEXT]\n"
      "         [--display DEVICE [--display-size WxH] [--display-capture PNG] "
      "--peer-codeword SENDER:CODEWORD[:NAME[:verified|unverified|warning]] "
      "...]\n"
      "       sender: [--source DESC] [--encoder DESC] [--codeword CW]; "
      "receiver: [--decoder DESC]\n");
  return 2;
}

/* "A<sep>B", two decimals in 1..max and nothing else. */
static gboolean
parse_two (const gchar * arg, const gchar * sep, guint64 max, guint * a,
    guint * b)
{
  gchar **f = g_strsplit (arg, sep, 3);
  guint64 x, y;
  gboolean ok = g_strv_length (f) == 2
      && g_ascii_string_to_unsigned (f[0], 10, 1, max, &x, NULL)
      && g_ascii_string_to_unsigned (f[1], 10, 1, max, &y, NULL);

  g_strfreev (f);
  if (ok) {
    *a = (guint) x;
    *b = (guint) y;
  }
  return ok;
}

/* SENDER:CODEWORD[:NAME[:TRUST]], for a --peer given before or after. */
static gboolean
parse_peer_codeword (App * app, const gchar * arg, GPtrArray * labels)
{
  gchar **f = g_strsplit (arg, ":", 4);
  guint n = g_strv_length (f);
  guint64 sender;
  gboolean ok = n >= 2 && g_ascii_string_to_unsigned (f[0], 10, 0, 65534,
      &sender, NULL) && (n < 4 || !strcmp (f[3], "verified")
      || !strcmp (f[3], "unverified") || !strcmp (f[3], "warning"));

  if (ok)
    g_ptr_array_add (labels, g_strdup (arg));
  g_strfreev (f);
  return ok;
}

/* The labels onto the peers, once all --peer are known. */
static gboolean
apply_peer_codewords (App * app, GPtrArray * labels)
{
  for (guint i = 0; i < labels->len; i++) {
    gchar **f = g_strsplit (g_ptr_array_index (labels, i), ":", 4);
    Peer *p = find_peer (app, (guint) g_ascii_strtoull (f[0], NULL, 10));

    if (!p || p->codeword) {
      g_printerr ("e2ee-media: --peer-codeword %s: no such --peer, or twice\n",
          f[0]);
      g_strfreev (f);
      return FALSE;
    }
    p->codeword = g_strdup (f[1]);
    p->name = f[2] && f[2][0] ? g_strdup (f[2]) : NULL;
    p->trust = !f[2] || !f[3] ? WM_TRUST_UNVERIFIED :
        !strcmp (f[3], "verified") ? WM_TRUST_VERIFIED :
        !strcmp (f[3], "warning") ? WM_TRUST_WARNING : WM_TRUST_UNVERIFIED;
    g_strfreev (f);
  }
  for (guint i = 0; i < app->n_peers; i++)
    if (!app->peers[i].codeword) {
      g_printerr ("e2ee-media: --display needs --peer-codeword for sender "
          "%u: a tile is never shown without its codeword\n",
          app->peers[i].sender);
      return FALSE;
    }
  return TRUE;
}

/* The screen: layout and overlay first, as the tiles' sizes make the caps. */
static gboolean
open_display (App * app)
{
  GstE2eeRoomTile tiles[GST_E2EE_ROOM_DISPLAY_MAX_TILES];
  GError *err = NULL;
  guint w, h;

  if (app->n_peers > GST_E2EE_ROOM_DISPLAY_MAX_TILES) {
    g_printerr ("e2ee-media: --display shows at most %d peers\n",
        GST_E2EE_ROOM_DISPLAY_MAX_TILES);
    return FALSE;
  }
  for (guint i = 0; i < app->n_peers; i++)
    tiles[i] = (GstE2eeRoomTile) {
    app->peers[i].sender, app->peers[i].codeword, app->peers[i].name,
          app->peers[i].trust};
  app->room = gst_e2ee_room_display_new (app->display, app->display_width,
      app->display_height, tiles, app->n_peers,
      app->key_file ? WM_E2EE_ON : WM_E2EE_WAITING, &err);
  if (!app->room) {
    g_printerr ("e2ee-media: %s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  gst_e2ee_room_display_size (app->room, &w, &h);
  g_print ("display %s %ux%u tiles=%u\n", app->display, w, h, app->n_peers);
  for (guint i = 0; i < app->n_peers; i++) {
    struct wm_rect v, l;

    gst_e2ee_room_display_tile (app->room, i, &v, &l);
    g_print ("display tile sender=%u video=%d,%d,%ux%u label=%d,%d,%ux%u\n",
        app->peers[i].sender, v.x, v.y, v.width, v.height, l.x, l.y, l.width,
        l.height);
  }
  return TRUE;
}

/* SENDER:VIDEO_PORT:AUDIO_PORT */
static gboolean
parse_peer (App * app, const gchar * arg)
{
  guint64 v[3];
  gchar **f = g_strsplit (arg, ":", -1);
  gboolean ok = g_strv_length (f) == 3;
  Peer *p;

  for (guint i = 0; ok && i < 3; i++)
    ok = g_ascii_string_to_unsigned (f[i], 10, 0, i ? 65535 : 65534, &v[i],
        NULL) && (i == 0 || v[i] > 0);
  g_strfreev (f);
  if (!ok || app->n_peers == MAX_PEERS || find_peer (app, (guint) v[0]))
    return FALSE;
  p = &app->peers[app->n_peers++];
  p->app = app;
  p->sender = (guint) v[0];
  p->video_port = (gint) v[1];
  p->audio_port = (gint) v[2];
  return TRUE;
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"key-file", required_argument, NULL, 'k'},
    {"control", required_argument, NULL, 'c'},
    {"host", required_argument, NULL, 'H'},
    {"video-port", required_argument, NULL, 'v'},
    {"audio-port", required_argument, NULL, 'a'},
    {"peer", required_argument, NULL, 'P'},
    {"seconds", required_argument, NULL, 's'},
    {"sender-index", required_argument, NULL, 'i'},
    {"marker", required_argument, NULL, 'm'},
    {"snapshot", required_argument, NULL, 'p'},
    {"snapshot-prefix", required_argument, NULL, 'x'},
    {"dump-slices", required_argument, NULL, 'd'},
    {"width", required_argument, NULL, 'W'},
    {"height", required_argument, NULL, 'G'},
    {"codeword", required_argument, NULL, 'w'},
    {"source", required_argument, NULL, 'S'},
    {"encoder", required_argument, NULL, 'E'},
    {"decoder", required_argument, NULL, 'D'},
    {"display", required_argument, NULL, 'y'},
    {"display-capture", required_argument, NULL, 'C'},
    {"display-size", required_argument, NULL, 'Z'},
    {"peer-codeword", required_argument, NULL, 'L'},
    {"key-grace-ms", required_argument, NULL, 'g'},
    {"control-uid", required_argument, NULL, 'U'},
    {NULL, 0, NULL, 0},
  };
  static App app = { 0 };
  GPtrArray *labels = g_ptr_array_new_with_free_func (g_free);
  GstBus *bus;
  gboolean legacy_ports;
  gint c;

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
  if (argc < 2)
    return usage ();
  if (!strcmp (argv[1], "send"))
    app.send = TRUE;
  else if (strcmp (argv[1], "receive"))
    return usage ();
  app.host = g_strdup ("127.0.0.1");
  app.seconds = 10;
  app.width = 640;
  app.height = 360;
  optind = 2;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'k':
        g_free (app.key_file);
        app.key_file = g_strdup (optarg);
        break;
      case 'c':
        g_free (app.control);
        app.control = g_strdup (optarg);
        break;
      case 'H':
        g_free (app.host);
        app.host = g_strdup (optarg);
        break;
      case 'v':
        if (!gst_e2ee_media_number ("e2ee-media", "--video-port", optarg, 1, 65535,
                &app.video_port))
          return usage ();
        break;
      case 'a':
        if (!gst_e2ee_media_number ("e2ee-media", "--audio-port", optarg, 1, 65535,
                &app.audio_port))
          return usage ();
        break;
      case 'P':
        if (app.send || !parse_peer (&app, optarg)) {
          g_printerr ("e2ee-media: --peer SENDER:VIDEO_PORT:AUDIO_PORT "
              "(receiver; sender 0..65534, once each, at most %d)\n",
              MAX_PEERS);
          return usage ();
        }
        break;
      case 's':
        if (!gst_e2ee_media_number ("e2ee-media", "--seconds", optarg, 0, 86400 * 365,
                &app.seconds))
          return usage ();
        break;
      case 'i':
        if (!gst_e2ee_media_number ("e2ee-media", "--sender-index", optarg, 0,
                65534, &app.sender_index))
          return usage ();
        app.sender_index_set = TRUE;
        break;
      case 'm':
        g_free (app.marker);
        app.marker = g_strdup (optarg);
        break;
      case 'p':
        g_free (app.snapshot);
        app.snapshot = g_strdup (optarg);
        break;
      case 'x':
        g_free (app.snapshot_prefix);
        app.snapshot_prefix = g_strdup (optarg);
        break;
      case 'd':
        g_free (app.dump_slices);
        app.dump_slices = g_strdup (optarg);
        break;
      case 'W':
        if (!gst_e2ee_media_number ("e2ee-media", "--width", optarg, 16, 8192,
                &app.width))
          return usage ();
        break;
      case 'G':
        if (!gst_e2ee_media_number ("e2ee-media", "--height", optarg, 16, 8192,
                &app.height))
          return usage ();
        break;
      case 'w':
        /* Public (derived from the public identity key); the element
         * checks its form and refuses junk. Letters and dashes only here. */
        if (strspn (optarg, "abcdefghijklmnopqrstuvwxyz-") != strlen (optarg))
          return usage ();
        g_free (app.codeword);
        app.codeword = g_strdup (optarg);
        break;
      case 'S':
        g_free (app.source);
        app.source = g_strdup (optarg);
        break;
      case 'E':
        g_free (app.encoder);
        app.encoder = g_strdup (optarg);
        break;
      case 'D':
        g_free (app.decoder);
        app.decoder = g_strdup (optarg);
        break;
      case 'y':
        g_free (app.display);
        app.display = g_strdup (optarg);
        break;
      case 'Z':
        /* WxH */
        if (!parse_two (optarg, "x", 16384, &app.display_width,
                &app.display_height))
          return usage ();
        break;
      case 'C':
        g_free (app.display_capture);
        app.display_capture = g_strdup (optarg);
        break;
      case 'L':
        if (!parse_peer_codeword (&app, optarg, labels))
          return usage ();
        break;
      case 'U':{
        /* keyxchgd's own user (the image runs it as one): its socket
         * directory and server end are trusted too. Strict: digits only. */
        guint64 uid;

        if (!g_ascii_string_to_unsigned (optarg, 10, 1, G_MAXUINT32 - 1, &uid,
                NULL))
          return usage ();
        app.control_uid = (uid_t) uid;
        app.control_uid_set = TRUE;
        break;
      }
      case 'g':
        /* SEND_MS:RECV_MS, how long keys outlive keyxchgd (tests). */
        if (!parse_two (optarg, ":", 600000, &app.send_grace_ms,
                &app.recv_grace_ms))
          return usage ();
        break;
      default:
        return usage ();
    }
  }
  /* The original form: one peer given by its ports and --sender-index. */
  legacy_ports = app.video_port || app.audio_port;
  if (!app.key_file == !app.control) {
    g_printerr ("e2ee-media: exactly one of --key-file and --control\n");
    return usage ();
  }
  if ((legacy_ports || app.send) && (app.video_port <= 0
          || app.video_port > 65535 || app.audio_port <= 0
          || app.audio_port > 65535))
    return usage ();
  if (app.seconds < 0 || app.sender_index < 0 || app.sender_index > 65535
      || app.width < 16 || app.height < 16 || optind != argc
      || (app.marker && (!*app.marker || strlen (app.marker) > 200)))
    return usage ();
  if (!app.send) {
    if (legacy_ports && app.n_peers) {
      g_printerr ("e2ee-media: --peer or --video-port/--audio-port, "
          "not both\n");
      return usage ();
    }
    if (!legacy_ports && !app.n_peers)
      return usage ();
    if (app.snapshot && (app.n_peers || app.snapshot_prefix)) {
      g_printerr ("e2ee-media: --snapshot is for the single-peer form; "
          "--snapshot-prefix for --peer\n");
      return usage ();
    }
    if (legacy_ports) {
      app.peers[0] = (Peer) {
      &app, (guint) app.sender_index, app.video_port, app.audio_port, 0};
      app.n_peers = 1;
    }
  } else if (app.snapshot || app.snapshot_prefix || app.display
      || app.decoder || labels->len) {
    return usage ();
  }
  if (!app.send && (app.source || app.encoder))
    return usage ();
  if ((app.display_capture || labels->len) && !app.display)
    return usage ();
  if (app.display && (!apply_peer_codewords (&app, labels)
          || !open_display (&app)))
    return 1;
  g_ptr_array_unref (labels);
  if (app.key_file && (!(app.key = gst_e2ee_media_key_memory ()) || !read_key (&app)))
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
  } else {
    app.pipeline = gst_pipeline_new ("receiver");
    for (guint i = 0; i < app.n_peers; i++)
      if (!add_peer_branch (&app, &app.peers[i]))
        return 1;
  }
  if (app.send) {
    if (app.key_file && (!install_key (&app, "venc", E2EE_STREAM_VIDEO,
                (guint) app.sender_index)
            || !install_key (&app, "aenc", E2EE_STREAM_AUDIO,
                (guint) app.sender_index)))
      return 1;
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
      add_probe (&app, "venc", "sink", dump_slices, &app, NULL);
    }
  } else if (app.key_file) {
    for (guint i = 0; i < app.n_peers; i++) {
      gchar *v = peer_name ("vdec", app.peers[i].sender);
      gchar *a = peer_name ("adec", app.peers[i].sender);
      gboolean ok = install_key (&app, v, E2EE_STREAM_VIDEO,
          app.peers[i].sender)
          && install_key (&app, a, E2EE_STREAM_AUDIO, app.peers[i].sender);

      g_free (v);
      g_free (a);
      if (!ok)
        return 1;
    }
  }
  /* The elements have copied the key: this process needs it no more. */
  gst_e2ee_media_key_memory_free (app.key);
  app.key = NULL;

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_bus, &app);
  /* --seconds 0: until SIGTERM or SIGINT (a service). */
  if (app.seconds)
    g_timeout_add_seconds ((guint) app.seconds, on_timeout, &app);
  g_unix_signal_add (SIGTERM, on_timeout, &app);
  g_unix_signal_add (SIGINT, on_timeout, &app);
  if (app.control) {
    static const GstE2eeKeyProviderCallbacks cb = {
      .get_encoder = kp_get_encoder,
      .get_decoder = kp_get_decoder,
      .handled = kp_handled,
      .connection = kp_connection,
    };

    /* A receiver sends nothing: it has no sender index of its own here. */
    app.kp = gst_e2ee_key_provider_new (app.control, app.send
        && app.sender_index_set ? app.sender_index : -1, &cb, &app);
    if (!app.kp) {
      g_printerr ("e2ee-media: bad --control path\n");
      return 2;
    }
    if (app.send_grace_ms)
      gst_e2ee_key_provider_set_grace (app.kp, app.send_grace_ms,
          app.recv_grace_ms);
    if (app.control_uid_set)
      gst_e2ee_key_provider_set_server_uid (app.kp, app.control_uid);
    /* Keys arrive through the main loop, like everything else here. */
    gst_e2ee_key_provider_start (app.kp);
  }
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
    print_stats (&app, "venc", "video");
    print_stats (&app, "aenc", "audio");
  } else {
    for (guint i = 0; i < app.n_peers; i++) {
      Peer *p = &app.peers[i];
      gchar *v = peer_name ("vdec", p->sender);
      gchar *a = peer_name ("adec", p->sender);

      if (app.n_peers == 1 && legacy_ports) {
        print_stats (&app, v, "video");
        print_stats (&app, a, "audio");
      } else {
        gchar *lv = g_strdup_printf ("video sender=%u", p->sender);
        gchar *la = g_strdup_printf ("audio sender=%u", p->sender);

        print_stats (&app, v, lv);
        print_stats (&app, a, la);
        g_free (lv);
        g_free (la);
      }
      g_free (v);
      g_free (a);
      print_peer (&app, p, "receiver ");
      g_print ("\n");
    }
    g_print ("receiver marker-frames=%d decoded-frames=%u\n",
        g_atomic_int_get (&app.marker_frames), app.decoded_frames);
    if (app.room) {
      guint layers, composited;

      for (guint i = 0; i < app.n_peers; i++)
        g_print ("display sender=%u frames-shown=%u\n",
            app.peers[i].sender,
            gst_e2ee_room_display_frames (app.room, i));
      gst_e2ee_room_display_plan (app.room, &layers, &composited);
      g_print ("display commits=%u layers=%u composited=%u\n",
          gst_e2ee_room_display_commits (app.room), layers, composited);
      if (app.display_capture) {
        gint ret = gst_e2ee_room_display_capture (app.room,
            app.display_capture);

        if (ret) {
          g_printerr ("e2ee-media: display capture: %s\n",
              g_strerror (-ret));
          app.exit_code = 1;
        } else {
          g_print ("display capture: %s\n", app.display_capture);
        }
      }
    }
    for (guint i = 0; i < app.n_peers; i++) {
      gchar *sink = peer_name ("vsink", app.peers[i].sender), *path = NULL;

      if (app.snapshot)
        path = g_strdup (app.snapshot);
      else if (app.snapshot_prefix)
        path = g_strdup_printf ("%s%u.png", app.snapshot_prefix,
            app.peers[i].sender);
      if (path)
        save_snapshot (&app, sink, path);
      g_free (sink);
      g_free (path);
    }
  }
  if (app.kp) {
    const GstE2eeKeyProviderStats *st = gst_e2ee_key_provider_get_stats (app.kp);

    g_print ("%s keyprovider: connects=%u installed=%u removed=%u "
        "switched=%u refused=%u failed=%u\n", app.send ? "sender" : "receiver",
        st->connects, st->installed, st->removed, st->switched, st->refused,
        st->failed);
    gst_e2ee_key_provider_free (app.kp);
  }
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
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
