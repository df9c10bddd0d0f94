/* SPDX-License-Identifier: MIT */
/*
 * roomd's side of the frame socket (--frames, docs/frames.md) beyond the
 * frames themselves (gste2eeroomframes.c): what the screen may ask of
 * roomd. TILE: the size the screen shows a sender at, to which its branch
 * scales (roomd-branch.c). MEDIA: the panel's microphone, camera and
 * volume, applied to this room's own send chains and its audio output;
 * MEDIA_STATE back says what is applied. Nothing the screen sends reaches
 * the roster or the keys (docs/processes.md).
 */
#include <gst/gst.h>

#include "e2ee-media.h"
#include "panel/frames.h"
#include "roomd.h"

/* The screen shows sender at width x height: scale to it. */
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
  g_print ("roomd: sender %u scaled to %ux%u\n", sender, width, height);
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

void
roomd_screen_start (Roomd * app)
{
  app->out = gst_e2ee_room_frames_new (app->frames, app->screen_uid, on_tile,
      app);
  gst_e2ee_room_frames_set_media_func (app->out, on_media);
  gst_e2ee_room_frames_start (app->out);
}
