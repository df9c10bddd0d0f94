/* SPDX-License-Identifier: MIT */
/*
 * e2ee-media: the media side of a room, reduced to one sender or one
 * receiver of end-to-end encrypted H.264 video and Opus audio over RTP/UDP.
 * It is what `make run` and the wire test drive; the room's media daemon
 * grows from it.
 *
 *   e2ee-media send    --key-file F --host H --video-port P --audio-port Q
 *                      [--seconds N] [--sender-index I] [--marker TEXT]
 *                      [--width W --height H] [--dump-slices FILE]
 *   e2ee-media receive --key-file F --video-port P --audio-port Q
 *                      [--seconds N] [--sender-index I] [--marker TEXT]
 *                      [--snapshot FILE.png]
 *
 * The key file holds one base key in hex (16 to 64 bytes), mode 0600. Video
 * and audio use it under their own KIDs (RFC 9605 5.2 layout: stream,
 * sender, epoch 0), so each stream gets its own SFrame key and counter.
 *
 * --marker puts TEXT in an SEI user-data NAL in every access unit before
 * e2eeenc (sender), and counts the decrypted access units that carry it
 * (receiver): a known plaintext that must never be seen on the wire.
 * --dump-slices writes every plaintext slice NAL the sender encrypts to FILE
 * (length-prefixed), so that a test can look for them on the wire.
 *
 * Each side prints "sender ready" / "receiver ready" once playing (its
 * sockets bound), and at the end one line per stream with the element's
 * statistics, and the receiver "marker-frames=N decoded-frames=N".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "e2ee/keyring.h"
#include "e2ee/secret.h"

/* 16-byte UUID of the marker SEI (user_data_unregistered), no zero bytes. */
static const guint8 marker_uuid[16] = {
  0x5e, 0xa1, 0x20, 0x0d, 0xc0, 0xde, 0x4d, 0x61,
  0x72, 0x6b, 0x65, 0x72, 0x2d, 0x76, 0x31, 0x21,
};

typedef struct
{
  gboolean send;
  gchar *key_file, *host, *marker, *snapshot, *dump_slices;
  gint video_port, audio_port, seconds, sender_index, width, height;
  guint8 key[E2EE_SFRAME_MAX_BASE_KEY];
  gsize key_len;

  GstElement *pipeline;
  GMainLoop *loop;
  FILE *dump;
  guint marker_frames, decoded_frames;
  gint exit_code;
} App;

static gint
hexval (gchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

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
  for (gsize i = 0; i < len / 2; i++) {
    gint hi = hexval (buf[2 * i]), lo = hexval (buf[2 * i + 1]);

    if (hi < 0 || lo < 0) {
      e2ee_wipe (buf, sizeof (buf));
      e2ee_wipe (app->key, sizeof (app->key));
      g_printerr ("e2ee-media: %s is not hex\n", app->key_file);
      return FALSE;
    }
    app->key[i] = (guint8) (hi << 4 | lo);
  }
  app->key_len = len / 2;
  e2ee_wipe (buf, sizeof (buf));
  return TRUE;
}

static gboolean
install_key (App * app, const gchar * name, guint64 stream)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  guint64 kid = e2ee_kid_make (stream, (guint16) app->sender_index, 0);
  GBytes *key = g_bytes_new (app->key, app->key_len);
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "add-key", kid, key,
      app->send ? E2EE_KEY_SEND : E2EE_KEY_RECV, &ok);
  if (ok && app->send)
    g_signal_emit_by_name (e, "set-send-kid", kid, &ok);
  g_bytes_unref (key);
  gst_object_unref (e);
  return ok;
}

/* An SEI user_data_unregistered NAL carrying the marker (H.264 7.3.2.3). */
static GBytes *
marker_sei (const gchar * marker)
{
  GByteArray *a = g_byte_array_new ();
  gsize len = strlen (marker), size = 16 + len;
  const guint8 head[] = { 0, 0, 0, 1, 0x06, 0x05 };

  g_byte_array_append (a, head, sizeof (head));
  while (size >= 255) {
    g_byte_array_append (a, (const guint8 *) "\xff", 1);
    size -= 255;
  }
  g_byte_array_append (a, (const guint8 *) &size, 1);
  g_byte_array_append (a, marker_uuid, 16);
  g_byte_array_append (a, (const guint8 *) marker, len);
  g_byte_array_append (a, (const guint8 *) "\x80", 1);
  return g_byte_array_free_to_bytes (a);
}

/* Before e2eeenc: insert the marker SEI behind the AUD (or first). */
static GstPadProbeReturn
insert_marker (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GBytes *sei = data;
  GstBuffer *in = GST_PAD_PROBE_INFO_BUFFER (info), *out;
  GstMapInfo m;
  gsize at = 0, sei_len;
  const guint8 *sei_data = g_bytes_get_data (sei, &sei_len);

  gst_buffer_map (in, &m, GST_MAP_READ);
  /* 00 00 00 01 09 xx: an access unit delimiter of 6 bytes comes first. */
  if (m.size >= 6 && !memcmp (m.data, "\0\0\0\1", 4) && (m.data[4] & 0x1f) == 9)
    at = 6;
  out = gst_buffer_new_allocate (NULL, m.size + sei_len, NULL);
  gst_buffer_fill (out, 0, m.data, at);
  gst_buffer_fill (out, at, sei_data, sei_len);
  gst_buffer_fill (out, at + sei_len, m.data + at, m.size - at);
  gst_buffer_unmap (in, &m);
  gst_buffer_copy_into (out, in, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  gst_buffer_unref (in);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  return GST_PAD_PROBE_OK;
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

/* After e2eedec: does this access unit carry the marker? */
static GstPadProbeReturn
count_marker (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  App *app = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo m;
  gsize len = strlen (app->marker);

  gst_buffer_map (buf, &m, GST_MAP_READ);
  for (gsize i = 0; i + 16 + len <= m.size; i++)
    if (!memcmp (m.data + i, marker_uuid, 16)
        && !memcmp (m.data + i + 16, app->marker, len)) {
      app->marker_frames++;
      break;
    }
  gst_buffer_unmap (buf, &m);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_decoded (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  ((App *) data)->decoded_frames++;
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

static void
print_stats (App * app, const gchar * name, const gchar * label)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  GstStructure *s = NULL;
  gchar *text;

  g_object_get (e, "stats", &s, NULL);
  text = gst_structure_to_string (s);
  g_print ("%s %s: %s\n", app->send ? "sender" : "receiver", label, text);
  g_free (text);
  gst_structure_free (s);
  gst_object_unref (e);
}

static void
save_snapshot (App * app)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (app->pipeline), "vsink");
  GstSample *sample = NULL, *png;
  GstCaps *caps;
  GError *err = NULL;

  g_object_get (sink, "last-sample", &sample, NULL);
  gst_object_unref (sink);
  if (!sample) {
    g_printerr ("e2ee-media: no decoded video to snapshot\n");
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
    if (!g_file_set_contents (app->snapshot, (const gchar *) m.data,
            (gssize) m.size, &err)) {
      g_printerr ("e2ee-media: %s\n", err->message);
      g_clear_error (&err);
      app->exit_code = 1;
    } else {
      g_print ("receiver snapshot: %s (%" G_GSIZE_FORMAT " bytes)\n",
          app->snapshot, m.size);
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
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("e2ee-media: %s: %s (%s)\n", GST_OBJECT_NAME (msg->src),
          err->message, dbg ? dbg : "");
      g_clear_error (&err);
      g_free (dbg);
      app->exit_code = 1;
      g_main_loop_quit (app->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return TRUE;
}

static gboolean
on_timeout (gpointer data)
{
  App *app = data;

  /* The sender ends its streams properly; the receiver just stops. */
  if (app->send)
    gst_element_send_event (app->pipeline, gst_event_new_eos ());
  else
    g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

/*
 * Parameter sets go in band before every IDR from h264parse, before
 * e2eeenc (they stay clear). Not rtph264pay config-interval=-1: in 1.22 it
 * puts SPS/PPS between the slices of a multi-slice IDR picture, which
 * corrupts the picture with or without E2EE.
 */
static gchar *
sender_description (App * app)
{
  return g_strdup_printf
      ("videotestsrc is-live=true pattern=ball motion=sweep ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=30/1 ! "
      "timeoverlay font-desc=\"Sans 24\" ! "
      "x264enc name=x264 tune=zerolatency speed-preset=ultrafast "
      "key-int-max=60 bitrate=2000 aud=true ! h264parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "e2eeenc name=venc stream=video sender-index=%d ! "
      "rtph264pay pt=96 mtu=1200 ! "
      "udpsink host=%s port=%d sync=false "
      "audiotestsrc is-live=true wave=sine freq=440 volume=0.3 ! "
      "audio/x-raw,rate=48000,channels=1 ! opusenc ! "
      "e2eeenc name=aenc stream=audio sender-index=%d ! "
      "rtpopuspay pt=111 ! udpsink host=%s port=%d sync=false",
      app->width, app->height, app->sender_index, app->host, app->video_port,
      app->sender_index, app->host, app->audio_port);
}

static gchar *
receiver_description (App * app)
{
  return g_strdup_printf
      ("udpsrc port=%d caps=\"application/x-rtp,media=video,"
      "encoding-name=H264,clock-rate=90000,payload=96\" ! "
      "rtpjitterbuffer latency=200 ! rtph264depay ! "
      "e2eedec name=vdec stream=video sender-index=%d ! h264parse ! "
      "avdec_h264 name=vdecoder ! videoconvert ! "
      "fakesink name=vsink sync=false enable-last-sample=true "
      "udpsrc port=%d caps=\"application/x-rtp,media=audio,"
      "encoding-name=OPUS,clock-rate=48000,payload=111\" ! "
      "rtpjitterbuffer latency=200 ! rtpopusdepay ! "
      "e2eedec name=adec stream=audio sender-index=%d ! opusdec ! "
      "fakesink sync=false",
      app->video_port, app->sender_index, app->audio_port,
      app->sender_index);
}

static int
usage (void)
{
  g_printerr ("usage: e2ee-media send|receive --key-file F --video-port P "
      "--audio-port Q [--host H] [--seconds N] [--sender-index I] "
      "[--marker TEXT] [--snapshot PNG] [--dump-slices FILE] "
      "[--width W --height H]\n");
  return 2;
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"key-file", required_argument, NULL, 'k'},
    {"host", required_argument, NULL, 'H'},
    {"video-port", required_argument, NULL, 'v'},
    {"audio-port", required_argument, NULL, 'a'},
    {"seconds", required_argument, NULL, 's'},
    {"sender-index", required_argument, NULL, 'i'},
    {"marker", required_argument, NULL, 'm'},
    {"snapshot", required_argument, NULL, 'p'},
    {"dump-slices", required_argument, NULL, 'd'},
    {"width", required_argument, NULL, 'W'},
    {"height", required_argument, NULL, 'G'},
    {NULL, 0, NULL, 0},
  };
  App app = { 0 };
  GError *err = NULL;
  GstBus *bus;
  gchar *desc;
  gint c;

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
        app.key_file = g_strdup (optarg);
        break;
      case 'H':
        g_free (app.host);
        app.host = g_strdup (optarg);
        break;
      case 'v':
        app.video_port = atoi (optarg);
        break;
      case 'a':
        app.audio_port = atoi (optarg);
        break;
      case 's':
        app.seconds = atoi (optarg);
        break;
      case 'i':
        app.sender_index = atoi (optarg);
        break;
      case 'm':
        app.marker = g_strdup (optarg);
        break;
      case 'p':
        app.snapshot = g_strdup (optarg);
        break;
      case 'd':
        app.dump_slices = g_strdup (optarg);
        break;
      case 'W':
        app.width = atoi (optarg);
        break;
      case 'G':
        app.height = atoi (optarg);
        break;
      default:
        return usage ();
    }
  }
  if (!app.key_file || app.video_port <= 0 || app.video_port > 65535
      || app.audio_port <= 0 || app.audio_port > 65535 || app.seconds <= 0
      || app.sender_index < 0 || app.sender_index > 65535 || app.width < 16
      || app.height < 16 || optind != argc
      || (app.marker && (!*app.marker || strlen (app.marker) > 200)))
    return usage ();
  if (!read_key (&app))
    return 2;

  desc = app.send ? sender_description (&app) : receiver_description (&app);
  app.pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (!app.pipeline) {
    g_printerr ("e2ee-media: %s\n", err->message);
    return 1;
  }
  if (app.send) {
    if (!install_key (&app, "venc", E2EE_STREAM_VIDEO)
        || !install_key (&app, "aenc", E2EE_STREAM_AUDIO))
      return 1;
    if (app.marker)
      add_probe (&app, "venc", "sink", insert_marker,
          marker_sei (app.marker), (GDestroyNotify) g_bytes_unref);
    if (app.dump_slices) {
      app.dump = fopen (app.dump_slices, "wb");
      if (!app.dump) {
        g_printerr ("e2ee-media: %s: %s\n", app.dump_slices,
            g_strerror (errno));
        return 1;
      }
      add_probe (&app, "venc", "sink", dump_slices, &app, NULL);
    }
  } else {
    if (!install_key (&app, "vdec", E2EE_STREAM_VIDEO)
        || !install_key (&app, "adec", E2EE_STREAM_AUDIO))
      return 1;
    if (app.marker)
      add_probe (&app, "vdec", "src", count_marker, &app, NULL);
    add_probe (&app, "vdecoder", "src", count_decoded, &app, NULL);
  }
  /* The elements have copied the key: this process needs it no more. */
  e2ee_wipe (app.key, sizeof (app.key));

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (app.pipeline);
  gst_bus_add_watch (bus, on_bus, &app);
  g_timeout_add_seconds ((guint) app.seconds, on_timeout, &app);
  if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("e2ee-media: the pipeline does not start\n");
    return 1;
  }
  /* The sockets are bound once set_state returns: the other side may start. */
  g_print ("%s ready\n", app.send ? "sender" : "receiver");
  fflush (stdout);
  g_main_loop_run (app.loop);

  if (app.send) {
    print_stats (&app, "venc", "video");
    print_stats (&app, "aenc", "audio");
  } else {
    print_stats (&app, "vdec", "video");
    print_stats (&app, "adec", "audio");
    g_print ("receiver marker-frames=%u decoded-frames=%u\n",
        app.marker_frames, app.decoded_frames);
    if (app.snapshot)
      save_snapshot (&app);
  }
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  if (app.dump)
    fclose (app.dump);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (app.pipeline);
  g_main_loop_unref (app.loop);
  g_free (app.key_file);
  g_free (app.host);
  g_free (app.marker);
  g_free (app.snapshot);
  g_free (app.dump_slices);
  return app.exit_code;
}
