/* SPDX-License-Identifier: MIT */
/*
 * roomd: the room's media daemon (docs/processes.md), the whole GStreamer
 * side of a room in one process. This file is the daemon: its options, the
 * start (the pipeline with the send chains, the audio output, the frame
 * socket, the key subscription, the transport), the main loop and the
 * results at the end. Its parts (roomd.h): the receive branches
 * (roomd-branch.c), the key subscription (roomd-keys.c), the screen's
 * requests on the frame socket (roomd-screen.c), the transport through
 * Janus (roomd-rtc.c), the audio output (roomd-audio.c); the send chains
 * are e2ee-media-pipeline.c's, the frame output gste2eeroomframes.c's, the
 * key provider gste2eekeyprovider.c's.
 *
 *   roomd --control SOCKET --frames PATH [--sender-index I]
 *         (--janus wss://HOST:PORT/ --janus-ca FILE [--janus-room N]
 *          [--janus-pin-file FILE] | --plain-rtp --video-port P --audio-port Q --rx-base PORT
 *            [--send-host HOST])
 *         [--rx-address ADDR] [--codeword CW] [--source DESC]
 *         [--encoder DESC] [--decoder DESC] [--width W --height H]
 *         [--marker TEXT] [--seconds N] [--screen-uid UID]
 *         [--control-uid UID] [--audio-sink DESC] [--max-tile WxH]
 *
 * Send: source (--source, default a test pattern), the room's codeword
 * burned in (--codeword), encoder (--encoder, default x264enc), e2eeenc,
 * RTP, then the transport. --janus: WebRTC through Janus's videoroom
 * (roomd-rtc.c: published as "participant-I"; without --sender-index, I
 * is learnt from keyxchgd's first send key and Janus joined only then, as
 * the image's service does; ICE gathering on
 * --rx-address only, DTLS-SRTP; Janus's certificate checked against
 * --janus-ca; the room's pin, when it has one, read from --janus-pin-file,
 * never from the command line). --plain-rtp: the old test path, plain RTP over UDP to
 * --send-host (default 127.0.0.1) --video-port / --audio-port.
 *
 * Receive (roomd-branch.c): when the key provider installs the first
 * receive key of a sender N, a branch for N: through Janus, an appsrc per
 * slot, each fed by the subscription to one publisher claiming
 * "participant-N" (only from its ICE pair, after DTLS, what SRTP
 * authenticated), their frames merged before e2eedec (roomd-rtc-match.c); with --plain-rtp, udpsrc bound to --rx-address
 * (default 127.0.0.1, never the wildcard) port --rx-base + 2N (video) and
 * + 2N + 1 (audio). Then rtpjitterbuffer, depayloader, e2eedec bound to N,
 * parser, decoder (--decoder, validated, default avdec_h264),
 * videoconvert, videoscale, BGRx at the size the screen shows N at (TILE;
 * 640x360 until it says; never beyond the screen: --max-tile), appsink ->
 * the frame socket (--frames, the
 * screen's, which must be of root, roomd's own user or --screen-uid:
 * SO_PEERCRED). Audio: rtpjitterbuffer, depayloader, e2eedec, opusdec,
 * into the room's audio output (roomd-audio.c: a mixer, the volume the
 * screen's MEDIA sets, a level, the board's sink --audio-sink DESC, default
 * "fakesink sync=true": no speaker). The branch goes, and the
 * screen is told GONE, when N's last receive key was removed: by keyxchgd,
 * by the key provider at the end of its grace (keyxchgd away too long), or
 * because the room is no longer in a meeting.
 *
 * --max-tile WxH: the screen's size (the board's screen_width x
 * screen_height; default 1920x1080): a TILE wider or taller is refused,
 * counted and closes the screen's connection (docs/frames.md says what a
 * compromised screen can still cost roomd). The lines a peer drives (the
 * screen, keyxchgd's keys and the senders, Janus) are rate-limited per peer
 * (gste2eeloglimit.h: "... K more lines about PEER suppressed").
 *
 * Keys come only from keyxchgd's control socket (--control; roomd-keys.c,
 * which says what --control-uid UID trusts): roomd subscribes to keys and
 * state and asks for nothing else; it holds media keys only. It is
 * undumpable from the start.
 *
 * --marker puts TEXT into every access unit it sends (before e2eeenc) and
 * counts it in what it decrypts (gste2eemarker.h). --seconds N stops after
 * N seconds (default 0: at SIGTERM or SIGINT).
 *
 * Prints "roomd ready" once the pipeline plays (its sockets bound), a line
 * per branch added or removed, and at the end one line per sender it
 * received (the current ones and the last 64 departed, each summed over its
 * branches): "roomd sender=N video-frames=V decoded-frames=D frames-sent=S
 * dropped=X auth-failed=F lost=L replayed=P" (L: RTP packets lost or late,
 * over every slot; P: frames e2eedec dropped as copies of frames already
 * output, e.g. a replaying squatter's: docs/transport.md "Names"), then
 * "roomd senders: branches=B listed=N video-frames=V ..." (the same counts
 * summed over every branch of the run, listed or not),
 * "roomd marker-frames=M", "roomd microphone=on|muted camera=on|off
 * volume=V" (the screen's MEDIA: the panel's choices, applied to this room's
 * own send chains and its audio output), "roomd screen: bad-messages=B
 * tiles-refused=T ring-waits=R tiles-waiting=W pool-waits=P pool-bytes=S"
 * (messages from the screen refused, TILEs beyond --max-tile refused: each
 * closed the connection; frames dropped while the rings waited to move
 * (the rate limit, or buffers the screen held); TILEs that waited because
 * the tiles would have covered more than the screen; frames dropped for
 * want of room in the pool; the pool's size, all the screen can hold of
 * roomd's memory: docs/frames.md), once a
 * second "roomd audio-out: volume=V rms-db=R peak-db=P" (the level after the
 * volume) and at the end "roomd audio-out levels=N last-rms-db=R",
 * and through Janus "roomd transport: ..." (the transport's counts: joins,
 * losses of Janus, datagrams dropped and why, the publishers claiming a
 * sender's name; before it a "roomd candidate ..." line per subscription).
 * SIGUSR1 prints the lines of the end (from "roomd sender=", the
 * transport's included) at once, and roomd goes on.
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
#include <sodium.h>

#include "e2ee/keyring.h"
#include "e2ee/sframe.h"
#include "e2ee-media.h"
#include "gste2eekeyprovider.h"
#include "gste2eemarker.h"
#include "gste2eeroomframes.h"
#include "roomd.h"
#include "crash-report.h"

#define TEARDOWN_S 30

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  Roomd *app = data;
  GstState old, now;

  if (roomd_audio_bus_message (app->audio, msg)
      || gst_e2ee_media_bus_error ("roomd", msg, app->loop, &app->exit_code))
    return TRUE;
  /* The pipeline's own state, every change: an output that stops while
   * the pipeline is not PLAYING is out of the watchdog's sight. */
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_STATE_CHANGED
      && GST_MESSAGE_SRC (msg) == GST_OBJECT (app->pipeline)) {
    gst_message_parse_state_changed (msg, &old, &now, NULL);
    g_print ("roomd: the pipeline is %s (was %s), %.1f s after start\n",
        gst_element_state_get_name (now), gst_element_state_get_name (old),
        (g_get_monotonic_time () - app->t0) / 1e6);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    gst_e2ee_log_limit_print (&app->log_warnings, TRUE, "roomd: warning from "
        "%s: %.200s", GST_MESSAGE_SRC_NAME (msg), err->message);
    g_clear_error (&err);
  }
  return TRUE;
}

/* Once a second: the audio output's watchdog (roomd-audio.h). */
static gboolean
on_watch (gpointer data)
{
  Roomd *app = data;

  roomd_audio_watch (app->audio, app->pipeline);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stop (gpointer data)
{
  Roomd *app = data;

  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static int
usage (void)
{
  g_printerr ("usage: roomd --control SOCKET --frames PATH [--sender-index I] "
      "(--janus wss://HOST:PORT/ --janus-ca FILE [--janus-room N] "
      "[--janus-pin-file FILE] | "
      "--plain-rtp --video-port P --audio-port Q --rx-base PORT "
      "[--send-host HOST]) [--rx-address ADDR] [--codeword CW] "
      "[--source DESC] [--encoder DESC] [--decoder DESC] [--width W "
      "--height H] [--marker TEXT] [--seconds N] [--screen-uid UID] "
      "[--control-uid UID] [--audio-sink DESC] [--max-tile WxH]\n");
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

/* WxH, each 16..8192 (PANEL_FRAMES_DIM_MAX). */
static gboolean
size (const gchar * opt, const gchar * arg, guint * w, guint * h)
{
  gchar **wh = g_strsplit (arg, "x", 3);
  guint64 a = 0, b = 0;
  gboolean ok = g_strv_length (wh) == 2
      && g_ascii_string_to_unsigned (wh[0], 10, 16, 8192, &a, NULL)
      && g_ascii_string_to_unsigned (wh[1], 10, 16, 8192, &b, NULL);

  g_strfreev (wh);
  if (!ok) {
    g_printerr ("roomd: %s is WIDTHxHEIGHT, each 16..8192, not \"%s\"\n", opt,
        arg);
    return FALSE;
  }
  *w = (guint) a;
  *h = (guint) b;
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
parse_args (Roomd * app, int argc, char **argv)
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
    {"janus-pin-file", required_argument, NULL, 'K'},
    {"plain-rtp", no_argument, NULL, 'P'},
    {"control-uid", required_argument, NULL, 'U'},
    {"audio-sink", required_argument, NULL, 'O'},
    {"max-tile", required_argument, NULL, 'T'},
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
  app->max_tile_w = GST_E2EE_ROOM_FRAMES_MAX_TILE_W;
  app->max_tile_h = GST_E2EE_ROOM_FRAMES_MAX_TILE_H;
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
      case 'K':
        ok = set_string (&app->janus_pin_file, "--janus-pin-file", optarg);
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
      case 'T':
        ok = size ("--max-tile", optarg, &app->max_tile_w, &app->max_tile_h);
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
print_results (Roomd * app)
{
  roomd_branch_print_results (app);
  if (app->marker)
    g_print ("roomd marker-frames=%d\n", g_atomic_int_get (&app->marker_frames));
  g_print ("roomd microphone=%s camera=%s volume=%u\n",
      app->mic_muted ? "muted" : "on", app->camera_off ? "off" : "on",
      roomd_audio_volume (app->audio));
  g_print ("roomd screen: bad-messages=%" G_GUINT64_FORMAT " tiles-refused=%"
      G_GUINT64_FORMAT " ring-waits=%" G_GUINT64_FORMAT " tiles-waiting=%"
      G_GUINT64_FORMAT " pool-waits=%" G_GUINT64_FORMAT " pool-bytes=%"
      G_GUINT64_FORMAT "\n",
      gst_e2ee_room_frames_bad_messages (app->out),
      gst_e2ee_room_frames_tiles_refused (app->out),
      gst_e2ee_room_frames_ring_waits (app->out),
      gst_e2ee_room_frames_tiles_waiting (app->out),
      gst_e2ee_room_frames_pool_waits (app->out),
      gst_e2ee_room_frames_pool_size (app->out));
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

/*
 * The videoroom's pin (docs/transport.md "Names"): the file's first line,
 * 1 to 64 printable ASCII characters, no spaces (Janus compares it as a
 * string). A file that is missing, empty or holds anything else stops
 * roomd: a room configured closed never joins open.
 */
static gchar *
read_pin (const gchar * path)
{
  gchar *text = NULL, *pin = NULL;
  gsize size = 0, len;
  gboolean ok = TRUE;
  GError *err = NULL;

  if (!g_file_get_contents (path, &text, &size, &err)) {
    g_printerr ("roomd: --janus-pin-file: %s\n", err->message);
    g_error_free (err);
    return NULL;
  }
  len = strcspn (text, "\r\n");
  for (gsize i = 0; i < len; i++)
    ok &= g_ascii_isgraph (text[i]);
  if (ok && len >= 1 && len <= 64)
    pin = g_strndup (text, len);
  if (!pin)
    g_printerr ("roomd: --janus-pin-file %s: the first line is not a pin (1 "
        "to 64 printable ASCII characters, no spaces)\n", path);
  /* The whole file, past a NUL too (strlen would stop there). */
  sodium_memzero (text, size);
  g_free (text);
  return pin;
}

/* SIGUSR1: the counts of the end, now (tests follow a sender's decoding),
 * and the transport's (its candidates for each sender's name). */
static gboolean
on_stats (gpointer data)
{
  Roomd *app = data;

  print_results (app);
  if (app->rtc)
    roomd_rtc_print (app->rtc);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  static Roomd app = { 0 };
  GstE2eeMediaSender send;
  GstBus *bus;

  app.t0 = g_get_monotonic_time ();
  /* Before any key or picture is in memory. */
  if (!gst_e2ee_media_make_undumpable ())
    return 1;
  if (crash_report_install ("roomd"))
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
  /* A sender's join or departure makes a few lines: 64 in 10 s. */
  gst_e2ee_log_limit_init (&app.log_senders, "roomd", "keyxchgd's keys and "
      "the senders", 64, 10);
  /* Elements' bus warnings (e2eedec's, driven by keys and peers): their own
   * budget, so that they never crowd out the senders' lines. */
  gst_e2ee_log_limit_init (&app.log_warnings, "roomd", "the elements' "
      "warnings", 10, 10);
  app.recv_kids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      NULL);
  app.pipeline = gst_pipeline_new ("roomd");
  send = (GstE2eeMediaSender) {
  app.source, app.encoder, app.codeword, app.send_host, app.width,
        app.height, app.sender_index < 0 ? 0 : app.sender_index,
        app.video_port, app.audio_port};
  if (app.janus) {
    RoomdRtcConfig rc = { app.janus, app.janus_ca, app.janus_room,
      app.rx_address, app.sender_index, NULL
    };
    gchar *pin = NULL;

    if (app.janus_pin_file && !(pin = read_pin (app.janus_pin_file)))
      return 2;
    rc.pin = pin;
    app.rtc = roomd_rtc_new (&rc);
    if (pin) {
      sodium_memzero (pin, strlen (pin));
      g_free (pin);
    }
    if (!app.rtc)
      return 2;
    roomd_rtc_set_slot_func (app.rtc, roomd_branch_add_slot, &app);
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
  if (!roomd_screen_start (&app))
    return 2;
  bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_bus, &app);
  if (app.seconds)
    g_timeout_add_seconds ((guint) app.seconds, on_stop, &app);
  g_unix_signal_add (SIGTERM, on_stop, &app);
  g_unix_signal_add (SIGINT, on_stop, &app);
  g_unix_signal_add (SIGUSR1, on_stats, &app);
  g_timeout_add_seconds (1, on_watch, &app);
  if (!roomd_keys_start (&app))
    return 2;
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
  g_free (app.janus_pin_file);
  g_free (app.audio_sink);
  roomd_audio_free (app.audio);
  gst_e2ee_log_limit_flush (&app.log_senders);
  gst_e2ee_log_limit_clear (&app.log_senders);
  gst_e2ee_log_limit_flush (&app.log_warnings);
  gst_e2ee_log_limit_clear (&app.log_warnings);
  return app.exit_code;
}
