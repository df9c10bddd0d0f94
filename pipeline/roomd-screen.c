/* SPDX-License-Identifier: MIT */
/*
 * roomd's side of the frame socket (--frames, docs/frames.md) beyond the
 * frames themselves (gste2eeroomframes.c): what the screen may ask of
 * roomd. TILE: the size the screen shows a sender at, to which its branch
 * scales (roomd-branch.c), never above the screen's (--max-tile: the frame
 * output refuses a larger TILE).
 * MEDIA: the panel's microphone, camera and volume, applied to this
 * room's own send chains and its audio output; MEDIA_STATE back says what
 * is applied (a line only when that changed). Nothing the screen sends reaches
 * the roster or the keys (docs/processes.md).
 */
#include <gst/gst.h>

#include "e2ee-media.h"
#include "panel/frames.h"
#include "roomd.h"

/*
 * The screen shows sender at width x height: scale to it. The frame output
 * refused a TILE wider or taller than the screen (--max-tile) and holds
 * back one that would make all the tiles cover more than the screen's
 * area, so what roomd scales to, and the rings it fills in its pool, are
 * at most one screen's worth in all.
 * Scaled up too when the tile is larger than the decoded picture: the
 * screen does not scale (docs/frames.md, TILE), and a smaller frame would
 * leave the rest of its tile stale.
 */
static void
on_tile (gpointer data, guint sender, guint width, guint height)
{
  Roomd *app = data;
  RoomdPeer *p = roomd_find_peer (app, sender);
  GstElement *e = p && p->bin ? roomd_branch_child (p->bin, "vcaps", sender)
      : NULL;
  GstCaps *caps;

  if (!e)
    return;
  caps = roomd_tile_caps (width, height);
  g_object_set (e, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_object_unref (e);
  gst_e2ee_log_limit_print (gst_e2ee_room_frames_log (app->out), FALSE,
      "roomd: sender %u scaled to %ux%u", sender, width, height);
}

/*
 * The panel's MEDIA (from the screen, over the frame socket): the microphone
 * muted, the camera off, on this room's own send chains only; the screen is
 * told what is applied (MEDIA_STATE). Nothing the screen sends reaches the
 * roster or the keys (docs/processes.md).
 */
static void
on_media (gpointer data, guint flags, guint volume)
{
  Roomd *app = data;
  GstElement *a = gst_bin_get_by_name (GST_BIN (app->pipeline),
      GST_E2EE_MEDIA_MUTE_NAME);
  GstElement *v = gst_bin_get_by_name (GST_BIN (app->pipeline),
      GST_E2EE_MEDIA_CAMERA_NAME);
  gboolean muted = (flags & PANEL_FRAMES_MIC_MUTED) != 0;
  gboolean off = (flags & PANEL_FRAMES_CAMERA_OFF) != 0;
  gboolean was_muted = app->mic_muted, was_off = app->camera_off;
  guint was_volume = roomd_audio_volume (app->audio);
  GstE2eeLogLimit *log = gst_e2ee_room_frames_log (app->out);

  if (a) {
    g_object_set (a, "mute", muted, NULL);
    app->mic_muted = muted;
    gst_object_unref (a);
  } else {
    gst_e2ee_log_limit_print (log, TRUE, "roomd: no %s element: the "
        "microphone cannot be muted",
        GST_E2EE_MEDIA_MUTE_NAME);
  }
  if (v) {
    /* Black and grey: every pixel's luma and chroma flattened. */
    g_object_set (v, "brightness", off ? -1.0 : 0.0, "contrast", off ? 0.0 : 1.0,
        "saturation", off ? 0.0 : 1.0, NULL);
    app->camera_off = off;
    gst_object_unref (v);
  } else {
    gst_e2ee_log_limit_print (log, TRUE, "roomd: no %s element: the camera "
        "cannot be turned off",
        GST_E2EE_MEDIA_CAMERA_NAME);
  }
  /* The one thing the screen may change on the receive side (frames.c
   * refused anything above 100 %). */
  if (!roomd_audio_set_volume (app->audio, volume))
    gst_e2ee_log_limit_print (log, TRUE, "roomd: volume %u%% refused", volume);
  /* A line when what is applied changed, not one a message: the screen
   * sends MEDIA as often as it likes (security review 6, finding 10). */
  if (was_muted != app->mic_muted || was_off != app->camera_off
      || was_volume != roomd_audio_volume (app->audio))
    gst_e2ee_log_limit_print (log, FALSE, "roomd: microphone %s, camera %s, "
        "volume %u%% (the screen's MEDIA)", app->mic_muted ? "muted" : "on",
        app->camera_off ? "off" : "on", roomd_audio_volume (app->audio));
  /* What is applied now, not what was asked. */
  gst_e2ee_room_frames_media_state (app->out,
      (app->mic_muted ? PANEL_FRAMES_MIC_MUTED : 0) |
      (app->camera_off ? PANEL_FRAMES_CAMERA_OFF : 0),
      roomd_audio_volume (app->audio));
}

gboolean
roomd_screen_start (Roomd * app)
{
  GError *err = NULL;

  app->out = gst_e2ee_room_frames_new (app->frames, app->screen_uid, on_tile,
      app);
  gst_e2ee_room_frames_set_max_tile (app->out, app->max_tile_w,
      app->max_tile_h);
  gst_e2ee_room_frames_set_media_func (app->out, on_media);
  if (!gst_e2ee_room_frames_start (app->out, &err)) {
    g_printerr ("roomd: %s\n", err->message);
    g_error_free (err);
    return FALSE;
  }
  g_print ("roomd: frames to the screen through a pool of %.1f MiB (3 x its %ux%u)\n",
      gst_e2ee_room_frames_pool_size (app->out) / 1048576.0, app->max_tile_w,
      app->max_tile_h);
  return TRUE;
}
