/* SPDX-License-Identifier: MIT */
/*
 * e2ee-media's receiver (e2ee-media-tool.h): one receive branch per peer
 * (--peer, or the single peer of --video-port / --audio-port), each a bin
 * "peer-N" from a description made of numbers and our own names (udpsrc,
 * jitterbuffer, depayloader, e2eedec bound to sender N, parser, the
 * validated --decoder, a sink), the decoded pictures counted; --display's
 * room display (the screen, its tiles and codeword labels); and at the
 * end, per sender, the elements' statistics and counts, the display's
 * figures and capture, the snapshots.
 */
#include <errno.h>
#include <string.h>

#include <gst/video/video.h>

#include "e2ee/keyring.h"
#include "e2ee-media.h"
#include "e2ee-media-tool.h"
#include "gste2eemarker.h"
#include "gste2eeparse.h"

static GstPadProbeReturn
count_decoded (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  E2eeMediaPeer *peer = data;

  peer->decoded_frames++;
  peer->app->decoded_frames++;
  return GST_PAD_PROBE_OK;
}

static guint64
get_stat (E2eeMedia * app, const gchar * name, const gchar * field)
{
  return gst_e2ee_media_stat (app->pipeline, name, field);
}

static void
save_snapshot (E2eeMedia * app, const gchar * sink_name, const gchar * path)
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
peer_description (const E2eeMediaPeer * p, const gchar * decoder,
    const gchar * sink)
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

gchar *
e2ee_media_peer_name (const gchar * what, guint sender)
{
  return g_strdup_printf ("%s-%u", what, sender);
}

/*
 * Adds the receive branch of one peer as a bin of its own; works before the
 * pipeline runs and while it plays (the bin follows the pipeline's state),
 * so a branch can be added for a sender that joins later.
 */
static gboolean
add_peer_branch (E2eeMedia * app, E2eeMediaPeer * p)
{
  GError *err = NULL;
  guint index = (guint) (p - app->peers);
  gchar *sink_name = e2ee_media_peer_name ("vsink", p->sender);
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
  name = e2ee_media_peer_name ("peer", p->sender);
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

    name = e2ee_media_peer_name ("vdec", p->sender);
    e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
    gst_e2ee_marker_count (e, app->marker, &app->marker_frames);
    gst_object_unref (e);
    g_free (name);
  }
  name = e2ee_media_peer_name ("vdecoder", p->sender);
  e2ee_media_add_probe (app, name, "src", count_decoded, p, NULL);
  g_free (name);
  if (GST_STATE (app->pipeline) > GST_STATE_NULL)
    gst_element_sync_state_with_parent (bin);
  return TRUE;
}

E2eeMediaPeer *
e2ee_media_find_peer (E2eeMedia * app, guint sender)
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
void
e2ee_media_print_peer (E2eeMedia * app, E2eeMediaPeer * p,
    const gchar * prefix)
{
  gchar *v = e2ee_media_peer_name ("vdec", p->sender);
  gchar *a = e2ee_media_peer_name ("adec", p->sender);
  gchar *vjb = e2ee_media_peer_name ("vjb", p->sender);
  gchar *ajb = e2ee_media_peer_name ("ajb", p->sender);

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


/* The screen: layout and overlay first, as the tiles' sizes make the caps. */
gboolean
e2ee_media_open_display (E2eeMedia * app)
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

gboolean
e2ee_media_build_receiver (E2eeMedia * app)
{
  app->pipeline = gst_pipeline_new ("receiver");
  for (guint i = 0; i < app->n_peers; i++)
    if (!add_peer_branch (app, &app->peers[i]))
      return FALSE;
  return TRUE;
}

void
e2ee_media_receiver_results (E2eeMedia * app)
{
  for (guint i = 0; i < app->n_peers; i++) {
    E2eeMediaPeer *p = &app->peers[i];
    gchar *v = e2ee_media_peer_name ("vdec", p->sender);
    gchar *a = e2ee_media_peer_name ("adec", p->sender);

    if (app->n_peers == 1 && app->legacy_ports) {
      e2ee_media_print_stats (app, v, "video");
      e2ee_media_print_stats (app, a, "audio");
    } else {
      gchar *lv = g_strdup_printf ("video sender=%u", p->sender);
      gchar *la = g_strdup_printf ("audio sender=%u", p->sender);

      e2ee_media_print_stats (app, v, lv);
      e2ee_media_print_stats (app, a, la);
      g_free (lv);
      g_free (la);
    }
    g_free (v);
    g_free (a);
    e2ee_media_print_peer (app, p, "receiver ");
    g_print ("\n");
  }
  g_print ("receiver marker-frames=%d decoded-frames=%u\n",
      g_atomic_int_get (&app->marker_frames), app->decoded_frames);
  if (app->room) {
    guint layers, composited;

    for (guint i = 0; i < app->n_peers; i++)
      g_print ("display sender=%u frames-shown=%u\n",
          app->peers[i].sender,
          gst_e2ee_room_display_frames (app->room, i));
    gst_e2ee_room_display_plan (app->room, &layers, &composited);
    g_print ("display commits=%u layers=%u composited=%u\n",
        gst_e2ee_room_display_commits (app->room), layers, composited);
    if (app->display_capture) {
      gint ret = gst_e2ee_room_display_capture (app->room,
          app->display_capture);

      if (ret) {
        g_printerr ("e2ee-media: display capture: %s\n",
            g_strerror (-ret));
        app->exit_code = 1;
      } else {
        g_print ("display capture: %s\n", app->display_capture);
      }
    }
  }
  for (guint i = 0; i < app->n_peers; i++) {
    gchar *sink = e2ee_media_peer_name ("vsink", app->peers[i].sender);
    gchar *path = NULL;

    if (app->snapshot)
      path = g_strdup (app->snapshot);
    else if (app->snapshot_prefix)
      path = g_strdup_printf ("%s%u.png", app->snapshot_prefix,
          app->peers[i].sender);
    if (path)
      save_snapshot (app, sink, path);
    g_free (sink);
    g_free (path);
  }
}
