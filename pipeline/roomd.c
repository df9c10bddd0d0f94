/* SPDX-License-Identifier: MIT */
/*
 * roomd: the room's media daemon (docs/processes.md), the whole GStreamer
 * side of a room in one process. It owns the pipeline: the send chains and
 * one receive branch per remote sender; the frame output to the screen
 * process is gste2eeroomframes.c's, the keys come through the key provider
 * (gste2eekeyprovider.c), the send chains are e2ee-media-pipeline.c's.
 *
 *   roomd --control SOCKET --frames PATH [--sender-index I]
 *         (--janus wss://HOST:PORT/ --janus-ca FILE [--janus-room N]
 *          | --plain-rtp --video-port P --audio-port Q --rx-base PORT
 *            [--send-host HOST])
 *         [--rx-address ADDR] [--codeword CW] [--source DESC]
 *         [--encoder DESC] [--decoder DESC] [--width W --height H]
 *         [--marker TEXT] [--seconds N] [--screen-uid UID]
 *         [--control-uid UID] [--audio-sink DESC]
 *
 * Send: source (--source, default a test pattern), the room's codeword
 * burned in (--codeword), encoder (--encoder, default x264enc), e2eeenc,
 * RTP, then the transport. --janus: WebRTC through Janus's videoroom
 * (roomd-rtc.c: published as "participant-I"; without --sender-index, I
 * is learnt from keyxchgd's first send key and Janus joined only then, as
 * the image's service does; ICE gathering on
 * --rx-address only, DTLS-SRTP; Janus's certificate checked against
 * --janus-ca). --plain-rtp: the old test path, plain RTP over UDP to
 * --send-host (default 127.0.0.1) --video-port / --audio-port.
 *
 * Receive: when the key provider installs the first receive key of a
 * sender N, a branch for N: through Janus, an appsrc fed by the
 * subscription to "participant-N" (only from its ICE pair, after DTLS, what
 * SRTP authenticated); with --plain-rtp, udpsrc bound to --rx-address
 * (default 127.0.0.1, never the wildcard) port --rx-base + 2N (video) and
 * + 2N + 1 (audio). Then rtpjitterbuffer, depayloader, e2eedec bound to N,
 * parser, decoder (--decoder, validated, default avdec_h264),
 * videoconvert, videoscale, BGRx at the size the screen shows N at (TILE;
 * 640x360 until it says), appsink -> the frame socket (--frames, the
 * screen's, which must be of root, roomd's own user or --screen-uid:
 * SO_PEERCRED). Audio: rtpjitterbuffer, depayloader, e2eedec, opusdec,
 * into the room's audio output (roomd-audio.c: a mixer, the volume the
 * screen's MEDIA sets, a level, the board's sink --audio-sink DESC, default
 * "fakesink sync=true": no speaker). The branch goes, and the
 * screen is told GONE, when N's last receive key was removed: by keyxchgd,
 * by the key provider at the end of its grace (keyxchgd away too long), or
 * because the room is no longer in a meeting.
 *
 * Keys come only from keyxchgd's control socket (--control): roomd
 * subscribes to keys and state and asks for nothing else; it holds media
 * keys only. It is undumpable from the start. --control-uid UID: keyxchgd
 * runs as UID (the image's sealroom-kx), whose socket directory and server
 * end (SO_PEERCRED) are then trusted as well as root's and roomd's own.
 *
 * --marker puts TEXT into every access unit it sends (before e2eeenc) and
 * counts it in what it decrypts (gste2eemarker.h). --seconds N stops after
 * N seconds (default 0: at SIGTERM or SIGINT).
 *
 * Prints "roomd ready" once the pipeline plays (its sockets bound), a line
 * per branch added or removed, and at the end one line per sender it
 * received: "roomd sender=N video-frames=V decoded-frames=D frames-sent=S
 * dropped=X auth-failed=F lost=L" (L: RTP packets lost or late),
 * "roomd marker-frames=M", "roomd microphone=on|muted camera=on|off
 * volume=V" (the screen's MEDIA: the panel's choices, applied to this room's
 * own send chains and its audio output), "roomd screen: bad-messages=B"
 * (messages from the screen refused: each closed the connection), once a
 * second "roomd audio-out: volume=V rms-db=R peak-db=P" (the level after the
 * volume) and at the end "roomd audio-out levels=N last-rms-db=R",
 * and through Janus "roomd transport: ..." (the transport's counts: joins,
 * losses of Janus, datagrams dropped and why). SIGUSR1 prints the lines of
 * the end (from "roomd sender=") at once, and roomd goes on.
 * Exit 0; 1 when the pipeline fails; 2 on usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <gst/gst.h>

#include "e2ee/keyring.h"
#include "e2ee/sframe.h"
#include "e2ee-media.h"
#include "gste2eekeyprovider.h"
#include "gste2eemarker.h"
#include "gste2eeroomframes.h"
#include "panel/frames.h"
#include "roomd-audio.h"
#include "roomd-rtc.h"

#define MAX_PEERS 64            /* senders seen in one run (stats kept) */
#define MAX_BRANCHES 16         /* PANEL_FRAMES_SENDERS_MAX */
#define TEARDOWN_S 30

typedef struct _App App;

/* One remote sender: its branch while it has receive keys, its counts. */
typedef struct
{
  App *app;
  guint sender;
  GstElement *bin;              /* the pipeline's child, or NULL: no branch */
  GstPad *mix_pad;              /* the audio output's input for it, or NULL */
  gint decoded;                 /* atomic: pictures out of the decoder */
  guint keys;                   /* receive keys installed */
  guint64 video_frames, auth_failed, sent, dropped, lost;       /* of removed branches */
} Peer;

struct _App
{
  gchar *control, *frames, *send_host, *rx_address, *codeword, *source,
      *encoder, *decoder, *marker, *janus, *janus_ca, *audio_sink;
  gint video_port, audio_port, rx_base, sender_index, width, height, seconds;
  gboolean plain_rtp;
  guint64 janus_room;
  RoomdRtc *rtc;                /* --janus */
  RoomdAudio *audio;            /* the room's audio output */
  gint64 screen_uid;            /* -1: the screen is root or us */
  gint64 t0;                    /* start, monotonic */
  gint64 control_uid;           /* -1: keyxchgd is root or us */
  Peer peers[MAX_PEERS];
  guint n_peers;
  GHashTable *recv_kids;        /* receive KIDs installed (guint64 -> sender) */
  GstElement *pipeline;
  GMainLoop *loop;
  GstE2eeKeyProvider *kp;
  GstE2eeRoomFrames *out;
  gint marker_frames;
  gboolean mic_muted, camera_off;
  gint exit_code;
};

static gchar *
peer_name (const gchar * what, guint sender)
{
  return g_strdup_printf ("%s-%u", what, sender);
}

static GstElement *
get_child (GstElement * bin, const gchar * what, guint sender)
{
  gchar *name = peer_name (what, sender);
  GstElement *e = gst_bin_get_by_name (GST_BIN (bin), name);

  g_free (name);
  return e;
}

static guint64
get_stat (GstElement * bin, const gchar * what, guint sender,
    const gchar * field)
{
  gchar *name = peer_name (what, sender);
  guint64 v = bin ? gst_e2ee_media_stat (bin, name, field) : 0;

  g_free (name);
  return v;
}

static Peer *
find_peer (App * app, guint sender)
{
  Peer *p = app->peers, *end = app->peers + app->n_peers;

  while (p < end && p->sender != sender)
    p++;
  return p < end ? p : NULL;
}

static guint
n_branches (App * app)
{
  guint n = 0;

  for (guint i = 0; i < app->n_peers; i++)
    n += app->peers[i].bin != NULL;
  return n;
}

/* ------------------------------------------------------ receive branches */

static GstPadProbeReturn
count_decoded (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Peer *p = data;

  /* The join's figure (bench_join.py): from roomd's start. */
  if (g_atomic_int_add (&p->decoded, 1) == 0)
    g_print ("roomd: first picture of sender %u decoded %" G_GINT64_FORMAT
        " ms after the start\n", p->sender,
        (g_get_monotonic_time () - p->app->t0) / 1000);
  return GST_PAD_PROBE_OK;
}

static GstCaps *
tile_caps (guint width, guint height)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "BGRx",
      "width", G_TYPE_INT, (gint) width, "height", G_TYPE_INT, (gint) height,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
}

/* The RTP of sender's stream: the transport's appsrc, or udpsrc. */
static GstElement *
add_rtp_src (App * app, GstElement * bin, guint sender, guint stream,
    GstCaps * caps)
{
  GstElement *e;

  if (app->rtc) {
    e = roomd_rtc_src (app->rtc, sender, stream, caps);
    if (e)
      gst_bin_add (GST_BIN (bin), e);
    return e;
  }
  e = gst_e2ee_media_add_element (bin, "udpsrc", NULL,
      "gstreamer1.0-plugins-good");
  if (e)
    g_object_set (e, "address", app->rx_address, "port", app->rx_base +
        2 * (gint) sender + (stream == E2EE_STREAM_VIDEO ? 0 : 1), "caps",
        caps, NULL);
  gst_caps_unref (caps);
  return e;
}

static GstElement *
add_named (GstElement * bin, const gchar * factory, const gchar * what,
    guint sender, const gchar * package)
{
  gchar *name = what ? peer_name (what, sender) : NULL;
  GstElement *e = gst_e2ee_media_add_element (bin, factory, name, package);

  g_free (name);
  return e;
}

/*
 * The video chain of sender N, element by element (the address and ports
 * into properties; --decoder validated alone before it is added).
 */
static gboolean
build_video_branch (App * app, Peer * p, GstElement * bin)
{
  const gchar *good = "gstreamer1.0-plugins-good",
      *base = "gstreamer1.0-plugins-base", *ours = "sealroom (this firmware)";
  GstElement *v[11];
  GstPad *pad;
  guint n = 0;

  v[n++] = add_rtp_src (app, bin, p->sender, E2EE_STREAM_VIDEO,
      gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
          "video", "encoding-name", G_TYPE_STRING, "H264", "clock-rate",
          G_TYPE_INT, 90000, "payload", G_TYPE_INT, 96, NULL));
  v[n] = add_named (bin, "rtpjitterbuffer", "vjb", p->sender, good);
  if (v[n])
    g_object_set (v[n], "latency", 200, NULL);
  n++;
  v[n++] = add_named (bin, "rtph264depay", NULL, 0, good);
  v[n] = add_named (bin, "e2eedec", "vdec", p->sender, ours);
  if (v[n])
    g_object_set (v[n], "stream", E2EE_STREAM_VIDEO, "sender-index",
        p->sender, NULL);
  n++;
  v[n++] = gst_e2ee_media_h264_parser (bin, FALSE);
  if (app->decoder) {
    v[n++] = gst_e2ee_media_add_bin (bin,
        gst_e2ee_media_validated_bin ("--decoder", app->decoder, TRUE));
  } else {
    v[n] = add_named (bin, "avdec_h264", NULL, 0, "gstreamer1.0-libav");
    /* Broken pictures from the network are dropped, not fatal. */
    if (v[n])
      g_object_set (v[n], "max-errors", -1, NULL);
    n++;
  }
  v[n++] = add_named (bin, "videoconvert", NULL, 0, base);
  v[n++] = add_named (bin, "videoscale", NULL, 0, base);
  v[n] = add_named (bin, "capsfilter", "vcaps", p->sender, base);
  if (v[n]) {
    GstCaps *caps = tile_caps (GST_E2EE_ROOM_FRAMES_DEFAULT_W,
        GST_E2EE_ROOM_FRAMES_DEFAULT_H);

    g_object_set (v[n], "caps", caps, NULL);
    gst_caps_unref (caps);
  }
  n++;
  v[n] = add_named (bin, "appsink", "vsink", p->sender, base);
  if (v[n])
    g_object_set (v[n], "sync", FALSE, "async", FALSE, "max-buffers", 2,
        "drop", TRUE, NULL);
  n++;
  if (!gst_e2ee_media_link_chain (v, n))
    return FALSE;
  if (app->marker) {
    GstElement *e = get_child (bin, "vdec", p->sender);

    gst_e2ee_marker_count (e, app->marker, &app->marker_frames);
    gst_object_unref (e);
  }
  /* Pictures out of the decoder (the element before videoconvert). */
  pad = gst_element_get_static_pad (v[n - 5], "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_decoded, p, NULL);
  gst_object_unref (pad);
  if (!gst_e2ee_room_frames_add (app->out, p->sender, v[n - 1])) {
    g_printerr ("roomd: no frame output for sender %u\n", p->sender);
    return FALSE;
  }
  return TRUE;
}

static gboolean
build_audio_branch (App * app, Peer * p, GstElement * bin)
{
  const gchar *good = "gstreamer1.0-plugins-good",
      *base = "gstreamer1.0-plugins-base";
  GstElement *a[7];
  GstPad *pad, *ghost;

  a[0] = add_rtp_src (app, bin, p->sender, E2EE_STREAM_AUDIO,
      gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
          "audio", "encoding-name", G_TYPE_STRING, "OPUS", "clock-rate",
          G_TYPE_INT, 48000, "payload", G_TYPE_INT, 111, NULL));
  a[1] = add_named (bin, "rtpjitterbuffer", "ajb", p->sender, good);
  if (a[1])
    g_object_set (a[1], "latency", 200, NULL);
  a[2] = add_named (bin, "rtpopusdepay", NULL, 0, good);
  a[3] = add_named (bin, "e2eedec", "adec", p->sender,
      "sealroom (this firmware)");
  if (a[3])
    g_object_set (a[3], "stream", E2EE_STREAM_AUDIO, "sender-index",
        p->sender, NULL);
  a[4] = add_named (bin, "opusdec", NULL, 0, base);
  a[5] = add_named (bin, "audioconvert", NULL, 0, base);
  a[6] = add_named (bin, "audioresample", NULL, 0, base);
  if (!gst_e2ee_media_link_chain (a, G_N_ELEMENTS (a)))
    return FALSE;
  /* Out of the branch into the room's mixer. */
  pad = gst_element_get_static_pad (a[6], "src");
  ghost = gst_ghost_pad_new ("audio", pad);
  gst_object_unref (pad);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (bin, ghost);
  p->mix_pad = roomd_audio_link (app->audio, ghost);
  if (!p->mix_pad)
    g_printerr ("roomd: sender %u's audio cannot join the audio output\n",
        p->sender);
  return p->mix_pad != NULL;
}

/*
 * The branch of sender, added to the playing pipeline. Its sinks do not
 * preroll (async FALSE): a sink that did would make the whole pipeline,
 * the send chains with it, go back to PAUSED and wait for it.
 */
static Peer *
add_branch (App * app, guint sender)
{
  Peer *p = find_peer (app, sender);
  gchar *name;
  GstElement *bin;

  if (p && p->bin)
    return p;
  if (!app->rtc && app->rx_base + 2 * (gint) sender + 1 > 65535) {
    g_printerr ("roomd: sender %u: port %d out of range; not received\n",
        sender, app->rx_base + 2 * (gint) sender);
    return NULL;
  }
  if (n_branches (app) == MAX_BRANCHES || (!p && app->n_peers == MAX_PEERS)) {
    g_printerr ("roomd: sender %u: already %u senders; not received\n",
        sender, n_branches (app));
    return NULL;
  }
  if (!p) {
    p = &app->peers[app->n_peers++];
    *p = (Peer) {
    .app = app,.sender = sender};
  }
  name = peer_name ("peer", sender);
  bin = gst_bin_new (name);
  g_free (name);
  gst_bin_add (GST_BIN (app->pipeline), bin);
  if (!build_video_branch (app, p, bin) || !build_audio_branch (app, p, bin)) {
    gst_e2ee_room_frames_gone (app->out, sender);
    gst_bin_remove (GST_BIN (app->pipeline), bin);
    roomd_audio_unlink (app->audio, p->mix_pad);
    p->mix_pad = NULL;
    if (app->rtc)
      roomd_rtc_drop (app->rtc, sender);
    g_printerr ("roomd: no receive branch for sender %u\n", sender);
    app->exit_code = 1;
    return NULL;
  }
  p->bin = bin;
  gst_element_sync_state_with_parent (bin);
  if (app->rtc)
    g_print ("roomd: receiving sender %u through Janus (participant-%u)\n",
        sender, sender);
  else
    g_print ("roomd: receiving sender %u on %s ports %d and %d\n", sender,
        app->rx_address, app->rx_base + 2 * (gint) sender,
        app->rx_base + 2 * (gint) sender + 1);
  return p;
}

/*
 * lost: RTP packets the jitterbuffers never got or got too late. A packet
 * lost inside a NAL fails that frame's authentication, as it must; keys that
 * do not fit fail every frame: tests compare the two.
 */
static void
peer_counts (App * app, Peer * p, guint64 * video, guint64 * auth,
    guint64 * sent, guint64 * dropped, guint64 * lost)
{
  guint64 s = 0, d = 0;

  *video = p->video_frames + get_stat (p->bin, "vdec", p->sender, "frames");
  *auth = p->auth_failed + get_stat (p->bin, "vdec", p->sender, "auth-failed")
      + get_stat (p->bin, "adec", p->sender, "auth-failed");
  *lost = p->lost + get_stat (p->bin, "vjb", p->sender, "num-lost")
      + get_stat (p->bin, "vjb", p->sender, "num-late")
      + get_stat (p->bin, "ajb", p->sender, "num-lost")
      + get_stat (p->bin, "ajb", p->sender, "num-late");
  if (p->bin)
    gst_e2ee_room_frames_stats (app->out, p->sender, &s, &d);
  *sent = p->sent + s;
  *dropped = p->dropped + d;
}

/* Main loop: the branch stops, leaves the pipeline, the screen hears GONE. */
static void
remove_branch (App * app, Peer * p)
{
  GstElement *bin = p->bin;

  peer_counts (app, p, &p->video_frames, &p->auth_failed, &p->sent,
      &p->dropped, &p->lost);
  /* The mixer's input first: released, it is flushing, so the branch's
   * streaming thread is not left waiting in the mixer while the branch
   * stops. */
  roomd_audio_unlink (app->audio, p->mix_pad);
  p->mix_pad = NULL;
  gst_element_set_locked_state (bin, TRUE);
  gst_element_set_state (bin, GST_STATE_NULL);
  p->bin = NULL;
  gst_bin_remove (GST_BIN (app->pipeline), bin);
  if (app->rtc)
    roomd_rtc_drop (app->rtc, p->sender);
  gst_e2ee_room_frames_gone (app->out, p->sender);
  g_print ("roomd: sender %u gone (no receive key left)\n", p->sender);
}

/* After the key event: senders whose last receive key went. */
static gboolean
prune_branches (gpointer data)
{
  App *app = data;

  for (guint i = 0; i < app->n_peers; i++)
    if (app->peers[i].bin && !app->peers[i].keys)
      remove_branch (app, &app->peers[i]);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------ the key provider's side */

static GstElement *
kp_get_encoder (gpointer data, guint stream)
{
  App *app = data;

  return gst_e2ee_media_sender_encryptor (app->pipeline, stream);
}

static GstElement *
kp_get_decoder (gpointer data, guint stream, guint sender, gboolean create)
{
  App *app = data;
  Peer *p = find_peer (app, sender);

  if (stream > E2EE_STREAM_VIDEO
      || (gint) sender == gst_e2ee_key_provider_get_sender_index (app->kp))
    return NULL;
  if ((!p || !p->bin) && create)
    p = add_branch (app, sender);
  if (!p || !p->bin)
    return NULL;
  return get_child (p->bin, stream == E2EE_STREAM_VIDEO ? "vdec" : "adec",
      sender);
}

static void
kp_handled (gpointer data, const GstE2eeKeyEvent * ev, gboolean applied)
{
  App *app = data;
  guint sender = gst_e2ee_kid_sender (ev->kid);
  Peer *p;

  /* Through Janus without --sender-index: the first send key says who we
   * publish as. */
  if (app->rtc && ev->usage == E2EE_KEY_SEND && applied
      && gst_e2ee_key_provider_get_sender_index (app->kp) >= 0)
    roomd_rtc_set_sender (app->rtc,
        (guint) gst_e2ee_key_provider_get_sender_index (app->kp));
  if (ev->type == GST_E2EE_KEY_EVENT_STATE && strcmp (ev->state, "in-meeting")) {
    /* The provider removed every key. */
    g_hash_table_remove_all (app->recv_kids);
    for (guint i = 0; i < app->n_peers; i++)
      app->peers[i].keys = 0;
  } else if (ev->usage != E2EE_KEY_RECV || !(p = find_peer (app, sender))) {
    return;
  } else if (ev->type == GST_E2EE_KEY_EVENT_INSTALL && applied) {
    if (g_hash_table_add (app->recv_kids, g_memdup2 (&ev->kid,
                sizeof (ev->kid))))
      p->keys++;
  } else if (ev->type == GST_E2EE_KEY_EVENT_REMOVE) {
    if (g_hash_table_remove (app->recv_kids, &ev->kid) && p->keys)
      p->keys--;
  } else {
    return;
  }
  /* Not from inside the provider's call into our elements. */
  g_idle_add (prune_branches, app);
}

static void
kp_connection (gpointer data, gboolean up)
{
  g_print ("roomd: keyxchgd %s\n", up ? "connected" : "disconnected");
}

/* The screen shows sender at width x height: scale to it. */
static void
on_tile (gpointer data, guint sender, guint width, guint height)
{
  App *app = data;
  Peer *p = find_peer (app, sender);
  GstElement *e = p && p->bin ? get_child (p->bin, "vcaps", sender) : NULL;
  GstCaps *caps;

  if (!e)
    return;
  caps = tile_caps (width, height);
  g_object_set (e, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_object_unref (e);
  g_print ("roomd: sender %u scaled to %ux%u\n", sender, width, height);
}

/*
 * The panel's MEDIA (from the screen, over the frame socket): the microphone
 * muted, the camera off, on this room's own send chains only; the screen is told what
 * is applied (MEDIA_STATE). Nothing the screen sends reaches the roster or
 * the keys (docs/processes.md).
 */
static void
on_media (gpointer data, guint flags, guint volume)
{
  App *app = data;
  GstElement *a = gst_bin_get_by_name (GST_BIN (app->pipeline),
      GST_E2EE_MEDIA_MUTE_NAME);
  GstElement *v = gst_bin_get_by_name (GST_BIN (app->pipeline),
      GST_E2EE_MEDIA_CAMERA_NAME);
  gboolean muted = (flags & PANEL_FRAMES_MIC_MUTED) != 0;
  gboolean off = (flags & PANEL_FRAMES_CAMERA_OFF) != 0;

  if (a) {
    g_object_set (a, "mute", muted, NULL);
    app->mic_muted = muted;
    gst_object_unref (a);
  } else {
    g_printerr ("roomd: no %s element: the microphone cannot be muted\n",
        GST_E2EE_MEDIA_MUTE_NAME);
  }
  if (v) {
    /* Black and grey: every pixel's luma and chroma flattened. */
    g_object_set (v, "brightness", off ? -1.0 : 0.0, "contrast", off ? 0.0 : 1.0,
        "saturation", off ? 0.0 : 1.0, NULL);
    app->camera_off = off;
    gst_object_unref (v);
  } else {
    g_printerr ("roomd: no %s element: the camera cannot be turned off\n",
        GST_E2EE_MEDIA_CAMERA_NAME);
  }
  /* The one thing the screen may change on the receive side (frames.c
   * refused anything above 100 %). */
  if (!roomd_audio_set_volume (app->audio, volume))
    g_printerr ("roomd: volume %u%% refused\n", volume);
  g_print ("roomd: microphone %s, camera %s, volume %u%% (the screen's "
      "MEDIA)\n", app->mic_muted ? "muted" : "on",
      app->camera_off ? "off" : "on", roomd_audio_volume (app->audio));
  /* What is applied now, not what was asked. */
  gst_e2ee_room_frames_media_state (app->out,
      (app->mic_muted ? PANEL_FRAMES_MIC_MUTED : 0) |
      (app->camera_off ? PANEL_FRAMES_CAMERA_OFF : 0),
      roomd_audio_volume (app->audio));
}

/* ------------------------------------------------------------------ main */

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;

  if (!roomd_audio_bus_message (app->audio, msg))
    gst_e2ee_media_bus_error ("roomd", msg, app->loop, &app->exit_code);
  return TRUE;
}

static gboolean
on_stop (gpointer data)
{
  App *app = data;

  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static int
usage (void)
{
  g_printerr ("usage: roomd --control SOCKET --frames PATH [--sender-index I] "
      "(--janus wss://HOST:PORT/ --janus-ca FILE [--janus-room N] | "
      "--plain-rtp --video-port P --audio-port Q --rx-base PORT "
      "[--send-host HOST]) [--rx-address ADDR] [--codeword CW] "
      "[--source DESC] [--encoder DESC] [--decoder DESC] [--width W "
      "--height H] [--marker TEXT] [--seconds N] [--screen-uid UID] "
      "[--control-uid UID] [--audio-sink DESC]\n");
  return 2;
}

/* A decimal in min..max and nothing else, or a loud refusal. */
static gboolean
number (const gchar * opt, const gchar * arg, gint min, gint max, gint * out)
{
  return gst_e2ee_media_number ("roomd", opt, arg, min, max, out);
}

/* A uid in decimal digits, given once. */
static gboolean
one_uid (const gchar * opt, const gchar * arg, gint64 * out)
{
  guint64 v = 0;

  if (*out >= 0 || !g_ascii_string_to_unsigned (arg, 10, 0, G_MAXUINT32 - 1,
          &v, NULL)) {
    g_printerr ("roomd: %s is one uid, not \"%s\"\n", opt, arg);
    return FALSE;
  }
  *out = (gint64) v;
  return TRUE;
}

static gboolean
set_string (gchar ** where, const gchar * opt, const gchar * arg)
{
  if (*where) {
    g_printerr ("roomd: %s given twice\n", opt);
    return FALSE;
  }
  *where = g_strdup (arg);
  return TRUE;
}

static gboolean
parse_args (App * app, int argc, char **argv)
{
  static const struct option opts[] = {
    {"control", required_argument, NULL, 'c'},
    {"frames", required_argument, NULL, 'f'},
    {"send-host", required_argument, NULL, 'H'},
    {"video-port", required_argument, NULL, 'v'},
    {"audio-port", required_argument, NULL, 'a'},
    {"rx-base", required_argument, NULL, 'r'},
    {"rx-address", required_argument, NULL, 'A'},
    {"sender-index", required_argument, NULL, 'i'},
    {"codeword", required_argument, NULL, 'w'},
    {"source", required_argument, NULL, 'S'},
    {"encoder", required_argument, NULL, 'E'},
    {"decoder", required_argument, NULL, 'D'},
    {"width", required_argument, NULL, 'W'},
    {"height", required_argument, NULL, 'G'},
    {"marker", required_argument, NULL, 'm'},
    {"seconds", required_argument, NULL, 's'},
    {"screen-uid", required_argument, NULL, 'u'},
    {"janus", required_argument, NULL, 'J'},
    {"janus-ca", required_argument, NULL, 'C'},
    {"janus-room", required_argument, NULL, 'R'},
    {"plain-rtp", no_argument, NULL, 'P'},
    {"control-uid", required_argument, NULL, 'U'},
    {"audio-sink", required_argument, NULL, 'O'},
    {NULL, 0, NULL, 0},
  };
  GInetAddress *addr;
  gint c;
  gboolean ok = TRUE;

  app->sender_index = -1;
  app->screen_uid = -1;
  app->control_uid = -1;
  app->width = 640;
  app->height = 360;
  while (ok && (c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'c':
        ok = set_string (&app->control, "--control", optarg);
        break;
      case 'f':
        ok = set_string (&app->frames, "--frames", optarg);
        break;
      case 'H':
        ok = set_string (&app->send_host, "--send-host", optarg);
        break;
      case 'A':
        ok = set_string (&app->rx_address, "--rx-address", optarg);
        break;
      case 'v':
        ok = number ("--video-port", optarg, 1, 65535, &app->video_port);
        break;
      case 'a':
        ok = number ("--audio-port", optarg, 1, 65535, &app->audio_port);
        break;
      case 'r':
        ok = number ("--rx-base", optarg, 1, 65534, &app->rx_base);
        break;
      case 'i':
        ok = number ("--sender-index", optarg, 0, 65534, &app->sender_index);
        break;
      case 'W':
        ok = number ("--width", optarg, 16, 8192, &app->width);
        break;
      case 'G':
        ok = number ("--height", optarg, 16, 8192, &app->height);
        break;
      case 's':
        ok = number ("--seconds", optarg, 0, 86400 * 365, &app->seconds);
        break;
      case 'u':
        ok = one_uid ("--screen-uid", optarg, &app->screen_uid);
        break;
      case 'U':
        ok = one_uid ("--control-uid", optarg, &app->control_uid);
        break;
      case 'w':
        /* Public; the element checks its form. Letters and dashes only. */
        ok = strspn (optarg, "abcdefghijklmnopqrstuvwxyz-") == strlen (optarg)
            && set_string (&app->codeword, "--codeword", optarg);
        if (!ok)
          g_printerr ("roomd: --codeword is lower-case words and dashes\n");
        break;
      case 'S':
        ok = set_string (&app->source, "--source", optarg);
        break;
      case 'J':
        ok = set_string (&app->janus, "--janus", optarg);
        break;
      case 'C':
        ok = set_string (&app->janus_ca, "--janus-ca", optarg);
        break;
      case 'R':
        ok = g_ascii_string_to_unsigned (optarg, 10, 1, G_MAXINT64,
            &app->janus_room, NULL);
        if (!ok)
          g_printerr ("roomd: --janus-room is a room number\n");
        break;
      case 'P':
        app->plain_rtp = TRUE;
        break;
      case 'E':
        ok = set_string (&app->encoder, "--encoder", optarg);
        break;
      case 'D':
        ok = set_string (&app->decoder, "--decoder", optarg);
        break;
      case 'O':
        ok = set_string (&app->audio_sink, "--audio-sink", optarg);
        break;
      case 'm':
        ok = set_string (&app->marker, "--marker", optarg);
        if (ok && (!*optarg || strlen (optarg) > 200)) {
          g_printerr ("roomd: --marker is 1 to 200 bytes\n");
          ok = FALSE;
        }
        break;
      default:
        ok = FALSE;
    }
  }
  if (!ok)
    return FALSE;
  if (optind != argc) {
    g_printerr ("roomd: unexpected argument \"%s\"\n", argv[optind]);
    return FALSE;
  }
  if (!app->control || !app->frames) {
    g_printerr ("roomd: --control and --frames are required\n");
    return FALSE;
  }
  /* One transport, named: no media goes anywhere by default. */
  if (!app->plain_rtp == !app->janus || (app->janus && !app->janus_ca)
      || (app->plain_rtp && (!app->video_port || !app->audio_port
              || !app->rx_base))) {
    g_printerr ("roomd: either --janus and --janus-ca, or --plain-rtp with "
        "--video-port, --audio-port and --rx-base\n");
    return FALSE;
  }
  if (!app->janus_room)
    app->janus_room = 1234;
  if (!app->send_host)
    app->send_host = g_strdup ("127.0.0.1");
  if (!app->rx_address)
    app->rx_address = g_strdup ("127.0.0.1");
  /* An address, not a name, and not the wildcard: untrusted media is taken
   * on the one interface configured for it. */
  addr = g_inet_address_new_from_string (app->rx_address);
  ok = addr && !g_inet_address_get_is_any (addr);
  g_clear_object (&addr);
  if (!ok) {
    g_printerr ("roomd: --rx-address must be a numeric address other than "
        "the wildcard, not \"%s\"\n", app->rx_address);
    return FALSE;
  }
  /* The decoder's description is checked now, not when the first sender
   * arrives. */
  if (app->decoder) {
    GstElement *check = gst_e2ee_media_validated_bin ("--decoder",
        app->decoder, TRUE);

    if (!check)
      return FALSE;
    gst_object_unref (check);
  }
  return TRUE;
}

static void
print_results (App * app)
{
  for (guint i = 0; i < app->n_peers; i++) {
    Peer *p = &app->peers[i];
    guint64 video, auth, sent, dropped, lost;

    peer_counts (app, p, &video, &auth, &sent, &dropped, &lost);
    g_print ("roomd sender=%u video-frames=%" G_GUINT64_FORMAT
        " decoded-frames=%d frames-sent=%" G_GUINT64_FORMAT " dropped=%"
        G_GUINT64_FORMAT " auth-failed=%" G_GUINT64_FORMAT " lost=%"
        G_GUINT64_FORMAT "\n", p->sender, video,
        g_atomic_int_get (&p->decoded), sent, dropped, auth, lost);
  }
  if (app->marker)
    g_print ("roomd marker-frames=%d\n", g_atomic_int_get (&app->marker_frames));
  g_print ("roomd microphone=%s camera=%s volume=%u\n",
      app->mic_muted ? "muted" : "on", app->camera_off ? "off" : "on",
      roomd_audio_volume (app->audio));
  g_print ("roomd screen: bad-messages=%" G_GUINT64_FORMAT "\n",
      gst_e2ee_room_frames_bad_messages (app->out));
  {
    guint64 levels;
    gdouble rms;

    roomd_audio_stats (app->audio, &levels, &rms);
    g_print ("roomd audio-out levels=%" G_GUINT64_FORMAT " last-rms-db=%.1f\n",
        levels, rms);
  }
  if (app->kp) {
    const GstE2eeKeyProviderStats *st = gst_e2ee_key_provider_get_stats (app->kp);

    g_print ("roomd keyprovider: connects=%u installed=%u removed=%u "
        "switched=%u refused=%u failed=%u\n", st->connects, st->installed,
        st->removed, st->switched, st->refused, st->failed);
  }
}

/* SIGUSR1: the counts of the end, now (tests follow a sender's decoding). */
static gboolean
on_stats (gpointer data)
{
  print_results (data);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  static const GstE2eeKeyProviderCallbacks cb = {
    .get_encoder = kp_get_encoder,
    .get_decoder = kp_get_decoder,
    .handled = kp_handled,
    .connection = kp_connection,
  };
  static App app = { 0 };
  GstE2eeMediaSender send;
  GstBus *bus;

  app.t0 = g_get_monotonic_time ();
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
  if (!parse_args (&app, argc, argv))
    return usage ();
  app.recv_kids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      NULL);
  app.pipeline = gst_pipeline_new ("roomd");
  send = (GstE2eeMediaSender) {
  app.source, app.encoder, app.codeword, app.send_host, app.width,
        app.height, app.sender_index < 0 ? 0 : app.sender_index,
        app.video_port, app.audio_port};
  if (app.janus) {
    RoomdRtcConfig rc = { app.janus, app.janus_ca, app.janus_room,
      app.rx_address, app.sender_index
    };

    if (!(app.rtc = roomd_rtc_new (&rc)))
      return 2;
    send.video_sink = roomd_rtc_sink (app.rtc, E2EE_STREAM_VIDEO);
    send.audio_sink = roomd_rtc_sink (app.rtc, E2EE_STREAM_AUDIO);
  }
  if (!gst_e2ee_media_build_sender (app.pipeline, &send))
    return 1;
  /* The board's speaker (or none): fail loudly, not silently. */
  app.audio = roomd_audio_new (app.pipeline, app.audio_sink ? app.audio_sink
      : ROOMD_AUDIO_DEFAULT_SINK);
  if (!app.audio)
    return 1;
  if (app.marker) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (app.pipeline), "venc");

    gst_e2ee_marker_insert (e, app.marker);
    gst_object_unref (e);
  }
  app.loop = g_main_loop_new (NULL, FALSE);
  app.out = gst_e2ee_room_frames_new (app.frames, app.screen_uid, on_tile,
      &app);
  gst_e2ee_room_frames_set_media_func (app.out, on_media);
  gst_e2ee_room_frames_start (app.out);
  bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_bus, &app);
  if (app.seconds)
    g_timeout_add_seconds ((guint) app.seconds, on_stop, &app);
  g_unix_signal_add (SIGTERM, on_stop, &app);
  g_unix_signal_add (SIGINT, on_stop, &app);
  g_unix_signal_add (SIGUSR1, on_stats, &app);
  app.kp = gst_e2ee_key_provider_new (app.control, app.sender_index, &cb,
      &app);
  if (!app.kp) {
    g_printerr ("roomd: bad --control path\n");
    return 2;
  }
  if (app.control_uid >= 0)
    gst_e2ee_key_provider_set_server_uid (app.kp, (uid_t) app.control_uid);
  gst_e2ee_key_provider_start (app.kp);
  /* After the key provider chose jansson's allocator. */
  if (app.rtc && !roomd_rtc_start (app.rtc))
    return 1;
  if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("roomd: the pipeline does not start\n");
    return 1;
  }
  g_print ("roomd ready\n");
  fflush (stdout);
  g_main_loop_run (app.loop);
  gst_e2ee_media_bound_teardown ("roomd", TEARDOWN_S);

  if (app.rtc)
    roomd_rtc_stop (app.rtc);
  print_results (&app);
  if (app.rtc)
    roomd_rtc_print (app.rtc);
  gst_e2ee_key_provider_free (app.kp);
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  gst_e2ee_room_frames_free (app.out);
  roomd_rtc_free (app.rtc);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (app.pipeline);
  g_main_loop_unref (app.loop);
  g_hash_table_unref (app.recv_kids);
  g_free (app.control);
  g_free (app.frames);
  g_free (app.send_host);
  g_free (app.rx_address);
  g_free (app.codeword);
  g_free (app.source);
  g_free (app.encoder);
  g_free (app.decoder);
  g_free (app.marker);
  g_free (app.janus);
  g_free (app.janus_ca);
  g_free (app.audio_sink);
  roomd_audio_free (app.audio);
  return app.exit_code;
}
