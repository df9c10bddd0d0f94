/* SPDX-License-Identifier: MIT */
/*
 * roomd's side of the frame socket (--frames, docs/frames.md) beyond the
 * frames themselves (gste2eeroomframes.c): what the screen may ask of
 * roomd. TILE: the size the screen shows a sender at, to which its branch
 * scales (roomd-branch.c), never above the size it is decoded at, nor
 * above the screen's (--max-tile: the frame output refuses a larger TILE).
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
 * Under scale_lock: the size p is scaled to. The tile, made smaller (its
 * shape kept) until it fits the decoded size: roomd never scales a sender
 * up (an upscaled frame carries nothing more, and costs the screen's ring
 * and videoscale's buffers at the larger size; the screen shows a smaller
 * frame from its tile's top left). The tile itself is within the screen
 * (the frame output refused a larger one).
 */
static void
fit (const RoomdPeer * p, guint * w, guint * h)
{
  guint64 tw = p->tile_w, th = p->tile_h;

  *w = p->tile_w;
  *h = p->tile_h;
  if (!p->dec_w || !p->dec_h || (tw <= p->dec_w && th <= p->dec_h))
    return;
  /* The smaller of the two ratios dec/tile, in integers. */
  if (tw * p->dec_h >= th * p->dec_w) {
    *w = p->dec_w;
    *h = (guint) MAX (1, th * p->dec_w / tw);
  } else {
    *h = p->dec_h;
    *w = (guint) MAX (1, tw * p->dec_h / th);
  }
}

/* The line of a sender's scaling: a TILE, or a new decoded size that
 * changed it. */
static void
say_scaled (Roomd * app, guint sender, guint tw, guint th, guint w, guint h)
{
  gst_e2ee_log_limit_print (gst_e2ee_room_frames_log (app->out), FALSE,
      "roomd: sender %u: tile %ux%u, scaled to %ux%u%s", sender, tw, th, w, h,
      w != tw || h != th ? " (no larger than it is decoded)" : "");
}

/* Under scale_lock: the capsfilter at fit()'s size; TRUE when it changed. */
static gboolean
apply (Roomd * app, RoomdPeer * p, guint * w, guint * h)
{
  GstElement *e = roomd_branch_child (p->bin, "vcaps", p->sender);
  GstCaps *caps;

  fit (p, w, h);
  if (!e || (*w == p->out_w && *h == p->out_h)) {
    g_clear_object (&e);
    return FALSE;
  }
  caps = roomd_tile_caps (*w, *h);
  g_object_set (e, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_object_unref (e);
  p->out_w = *w;
  p->out_h = *h;
  return TRUE;
}

/* The caps are set under the lock: the main loop (TILE) and the streaming
 * thread (a new decoded size) cannot leave the older size set. */
void
roomd_screen_rescale (Roomd * app, RoomdPeer * p)
{
  guint w, h, tw, th;
  gboolean changed;

  g_mutex_lock (&app->scale_lock);
  changed = apply (app, p, &w, &h);
  tw = p->tile_w;
  th = p->tile_h;
  g_mutex_unlock (&app->scale_lock);
  if (changed)
    say_scaled (app, p->sender, tw, th, w, h);
}

/* The screen shows sender at width x height (within the screen's size:
 * the frame output refused a larger TILE): scale to it. */
static void
on_tile (gpointer data, guint sender, guint width, guint height)
{
  Roomd *app = data;
  RoomdPeer *p = roomd_find_peer (app, sender);
  guint w, h;

  if (!p || !p->bin)
    return;
  g_mutex_lock (&app->scale_lock);
  p->tile_w = width;
  p->tile_h = height;
  apply (app, p, &w, &h);
  g_mutex_unlock (&app->scale_lock);
  say_scaled (app, sender, width, height, w, h);
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

void
roomd_screen_start (Roomd * app)
{
  app->out = gst_e2ee_room_frames_new (app->frames, app->screen_uid, on_tile,
      app);
  gst_e2ee_room_frames_set_max_tile (app->out, app->max_tile_w,
      app->max_tile_h);
  gst_e2ee_room_frames_set_media_func (app->out, on_media);
  gst_e2ee_room_frames_start (app->out);
}
