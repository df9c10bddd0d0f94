/* SPDX-License-Identifier: MIT */
/*
 * e2ee-media's command line (e2ee-media-tool.h): every option into
 * E2eeMedia, strictly (numbers in their range and nothing else, a --peer
 * once, a codeword of letters and dashes), then checked whole: one key
 * source, a sender's or a receiver's options only, the single-peer form or
 * --peer, each --display peer with its --peer-codeword. What the options
 * mean is e2ee-media.c's header.
 */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "e2ee-media.h"
#include "e2ee-media-tool.h"

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
parse_peer_codeword (E2eeMedia * app, const gchar * arg, GPtrArray * labels)
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
apply_peer_codewords (E2eeMedia * app, GPtrArray * labels)
{
  for (guint i = 0; i < labels->len; i++) {
    gchar **f = g_strsplit (g_ptr_array_index (labels, i), ":", 4);
    E2eeMediaPeer *p = e2ee_media_find_peer (app,
        (guint) g_ascii_strtoull (f[0], NULL, 10));

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

/* SENDER:VIDEO_PORT:AUDIO_PORT */
static gboolean
parse_peer (E2eeMedia * app, const gchar * arg)
{
  guint64 v[3];
  gchar **f = g_strsplit (arg, ":", -1);
  gboolean ok = g_strv_length (f) == 3;
  E2eeMediaPeer *p;

  for (guint i = 0; ok && i < 3; i++)
    ok = g_ascii_string_to_unsigned (f[i], 10, 0, i ? 65535 : 65534, &v[i],
        NULL) && (i == 0 || v[i] > 0);
  g_strfreev (f);
  if (!ok || app->n_peers == E2EE_MEDIA_MAX_PEERS
      || e2ee_media_find_peer (app, (guint) v[0]))
    return FALSE;
  p = &app->peers[app->n_peers++];
  p->app = app;
  p->sender = (guint) v[0];
  p->video_port = (gint) v[1];
  p->audio_port = (gint) v[2];
  return TRUE;
}

gint
e2ee_media_parse_args (E2eeMedia * app, int argc, char **argv)
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
  GPtrArray *labels = g_ptr_array_new_with_free_func (g_free);
  gint c;

  if (argc < 2)
    return usage ();
  if (!strcmp (argv[1], "send"))
    app->send = TRUE;
  else if (strcmp (argv[1], "receive"))
    return usage ();
  app->host = g_strdup ("127.0.0.1");
  app->seconds = 10;
  app->width = 640;
  app->height = 360;
  optind = 2;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'k':
        g_free (app->key_file);
        app->key_file = g_strdup (optarg);
        break;
      case 'c':
        g_free (app->control);
        app->control = g_strdup (optarg);
        break;
      case 'H':
        g_free (app->host);
        app->host = g_strdup (optarg);
        break;
      case 'v':
        if (!gst_e2ee_media_number ("e2ee-media", "--video-port", optarg, 1, 65535,
                &app->video_port))
          return usage ();
        break;
      case 'a':
        if (!gst_e2ee_media_number ("e2ee-media", "--audio-port", optarg, 1, 65535,
                &app->audio_port))
          return usage ();
        break;
      case 'P':
        if (app->send || !parse_peer (app, optarg)) {
          g_printerr ("e2ee-media: --peer SENDER:VIDEO_PORT:AUDIO_PORT "
              "(receiver; sender 0..65534, once each, at most %d)\n",
              E2EE_MEDIA_MAX_PEERS);
          return usage ();
        }
        break;
      case 's':
        if (!gst_e2ee_media_number ("e2ee-media", "--seconds", optarg, 0, 86400 * 365,
                &app->seconds))
          return usage ();
        break;
      case 'i':
        if (!gst_e2ee_media_number ("e2ee-media", "--sender-index", optarg, 0,
                65534, &app->sender_index))
          return usage ();
        app->sender_index_set = TRUE;
        break;
      case 'm':
        g_free (app->marker);
        app->marker = g_strdup (optarg);
        break;
      case 'p':
        g_free (app->snapshot);
        app->snapshot = g_strdup (optarg);
        break;
      case 'x':
        g_free (app->snapshot_prefix);
        app->snapshot_prefix = g_strdup (optarg);
        break;
      case 'd':
        g_free (app->dump_slices);
        app->dump_slices = g_strdup (optarg);
        break;
      case 'W':
        if (!gst_e2ee_media_number ("e2ee-media", "--width", optarg, 16, 8192,
                &app->width))
          return usage ();
        break;
      case 'G':
        if (!gst_e2ee_media_number ("e2ee-media", "--height", optarg, 16, 8192,
                &app->height))
          return usage ();
        break;
      case 'w':
        /* Public (derived from the public identity key); the element
         * checks its form and refuses junk. Letters and dashes only here. */
        if (strspn (optarg, "abcdefghijklmnopqrstuvwxyz-") != strlen (optarg))
          return usage ();
        g_free (app->codeword);
        app->codeword = g_strdup (optarg);
        break;
      case 'S':
        g_free (app->source);
        app->source = g_strdup (optarg);
        break;
      case 'E':
        g_free (app->encoder);
        app->encoder = g_strdup (optarg);
        break;
      case 'D':
        g_free (app->decoder);
        app->decoder = g_strdup (optarg);
        break;
      case 'y':
        g_free (app->display);
        app->display = g_strdup (optarg);
        break;
      case 'Z':
        /* WxH */
        if (!parse_two (optarg, "x", 16384, &app->display_width,
                &app->display_height))
          return usage ();
        break;
      case 'C':
        g_free (app->display_capture);
        app->display_capture = g_strdup (optarg);
        break;
      case 'L':
        if (!parse_peer_codeword (app, optarg, labels))
          return usage ();
        break;
      case 'U':{
        /* keyxchgd's own user (the image runs it as one): its socket
         * directory and server end are trusted too. Strict: digits only. */
        guint64 uid;

        if (!g_ascii_string_to_unsigned (optarg, 10, 1, G_MAXUINT32 - 1, &uid,
                NULL))
          return usage ();
        app->control_uid = (uid_t) uid;
        app->control_uid_set = TRUE;
        break;
      }
      case 'g':
        /* SEND_MS:RECV_MS, how long keys outlive keyxchgd (tests). */
        if (!parse_two (optarg, ":", 600000, &app->send_grace_ms,
                &app->recv_grace_ms))
          return usage ();
        break;
      default:
        return usage ();
    }
  }
  /* The original form: one peer given by its ports and --sender-index. */
  app->legacy_ports = app->video_port || app->audio_port;
  if (!app->key_file == !app->control) {
    g_printerr ("e2ee-media: exactly one of --key-file and --control\n");
    return usage ();
  }
  if ((app->legacy_ports || app->send) && (app->video_port <= 0
          || app->video_port > 65535 || app->audio_port <= 0
          || app->audio_port > 65535))
    return usage ();
  if (app->seconds < 0 || app->sender_index < 0 || app->sender_index > 65535
      || app->width < 16 || app->height < 16 || optind != argc
      || (app->marker && (!*app->marker || strlen (app->marker) > 200)))
    return usage ();
  if (!app->send) {
    if (app->legacy_ports && app->n_peers) {
      g_printerr ("e2ee-media: --peer or --video-port/--audio-port, "
          "not both\n");
      return usage ();
    }
    if (!app->legacy_ports && !app->n_peers)
      return usage ();
    if (app->snapshot && (app->n_peers || app->snapshot_prefix)) {
      g_printerr ("e2ee-media: --snapshot is for the single-peer form; "
          "--snapshot-prefix for --peer\n");
      return usage ();
    }
    if (app->legacy_ports) {
      app->peers[0] = (E2eeMediaPeer) {
      app, (guint) app->sender_index, app->video_port, app->audio_port, 0};
      app->n_peers = 1;
    }
  } else if (app->snapshot || app->snapshot_prefix || app->display
      || app->decoder || labels->len) {
    return usage ();
  }
  if (!app->send && (app->source || app->encoder))
    return usage ();
  if ((app->display_capture || labels->len) && !app->display)
    return usage ();
  if (app->display && !apply_peer_codewords (app, labels))
    return 1;
  g_ptr_array_unref (labels);
  return 0;
}
