/* SPDX-License-Identifier: MIT */
/* The room display: decoded video from appsinks into the room screen (panel/screen.h). */
#include <errno.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "gste2eeroomdisplay.h"

G_STATIC_ASSERT (GST_E2EE_ROOM_DISPLAY_MAX_TILES == PANEL_SCREEN_MAX_TILES);

typedef struct
{
  GstE2eeRoomDisplay *d;
  guint index;
  struct wm_rect video;
} Tile;

struct _GstE2eeRoomDisplay
{
  struct panel_screen *screen;
  Tile tiles[GST_E2EE_ROOM_DISPLAY_MAX_TILES];
  guint n_tiles;
};

/* An appsink's streaming thread: the frame into the tile's back buffer. */
static GstFlowReturn
new_sample (GstAppSink * sink, gpointer data)
{
  Tile *t = data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstVideoInfo info;
  GstVideoFrame frame;
  gint ret;

  if (!sample)
    return GST_FLOW_EOS;
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_BGRx
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ)) {
    gst_sample_unref (sample);
    return GST_FLOW_ERROR;
  }
  ret = panel_screen_put_frame (t->d->screen, t->index,
      GST_VIDEO_FRAME_PLANE_DATA (&frame, 0), GST_VIDEO_FRAME_WIDTH (&frame),
      GST_VIDEO_FRAME_HEIGHT (&frame), GST_VIDEO_FRAME_PLANE_STRIDE (&frame,
          0));
  gst_video_frame_unmap (&frame);
  gst_sample_unref (sample);
  /* Shutting down: the frame is not shown, the stream goes on to its end. */
  return ret && ret != -ESHUTDOWN ? GST_FLOW_ERROR : GST_FLOW_OK;
}

GstE2eeRoomDisplay *
gst_e2ee_room_display_new (const gchar * device, guint width, guint height,
    const GstE2eeRoomTile * tiles, guint n_tiles, enum wm_e2ee_state e2ee,
    GError ** err)
{
  GstE2eeRoomDisplay *d = g_new0 (GstE2eeRoomDisplay, 1);
  struct panel_screen_tile st[GST_E2EE_ROOM_DISPLAY_MAX_TILES];
  struct wm_rect label;
  const gchar *what = "number of tiles";
  gint ret = -EINVAL;

  if (n_tiles == 0 || n_tiles > GST_E2EE_ROOM_DISPLAY_MAX_TILES)
    goto fail;
  ret = panel_screen_new (device, width, height, e2ee, &d->screen, &what);
  if (ret)
    goto fail;
  for (guint i = 0; i < n_tiles; i++)
    st[i] = (struct panel_screen_tile) {
    i, tiles[i].codeword, tiles[i].name, tiles[i].trust};
  what = "layout, codeword or name";
  ret = panel_screen_set_tiles (d->screen, st, n_tiles);
  if (ret)
    goto fail;
  d->n_tiles = n_tiles;
  for (guint i = 0; i < n_tiles; i++) {
    d->tiles[i].d = d;
    d->tiles[i].index = i;
    panel_screen_tile (d->screen, i, &d->tiles[i].video, &label);
  }
  return d;
fail:
  g_set_error (err, G_FILE_ERROR, g_file_error_from_errno (-ret),
      "room display: %s: %s", what, g_strerror (-ret));
  gst_e2ee_room_display_free (d);
  return NULL;
}

gchar *
gst_e2ee_room_display_sink_description (GstE2eeRoomDisplay * d, guint i,
    const gchar * name)
{
  const struct wm_rect *v;

  g_return_val_if_fail (i < d->n_tiles, NULL);
  v = &d->tiles[i].video;
  /* BGRx in memory is XRGB8888 as a little-endian 32-bit word. */
  return g_strdup_printf ("videoconvert ! videoscale add-borders=true ! "
      "video/x-raw,format=BGRx,width=%u,height=%u,pixel-aspect-ratio=1/1 ! "
      "appsink name=%s sync=false max-buffers=1 drop=true "
      "enable-last-sample=true", v->width, v->height, name);
}

void
gst_e2ee_room_display_attach (GstE2eeRoomDisplay * d, guint i,
    GstElement * appsink)
{
  GstAppSinkCallbacks cb = {.new_sample = new_sample };

  g_return_if_fail (i < d->n_tiles && GST_IS_APP_SINK (appsink));
  gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &cb, &d->tiles[i],
      NULL);
}

void
gst_e2ee_room_display_set_e2ee (GstE2eeRoomDisplay * d,
    enum wm_e2ee_state e2ee)
{
  gint ret = panel_screen_set_e2ee (d->screen, e2ee);

  if (ret)
    g_printerr ("room display: overlay: %s\n", g_strerror (-ret));
}

void
gst_e2ee_room_display_tile (GstE2eeRoomDisplay * d, guint i,
    struct wm_rect *video, struct wm_rect *label)
{
  g_return_if_fail (i < d->n_tiles);
  panel_screen_tile (d->screen, i, video, label);
}

void
gst_e2ee_room_display_size (GstE2eeRoomDisplay * d, guint * width,
    guint * height)
{
  panel_screen_size (d->screen, width, height);
}

guint
gst_e2ee_room_display_frames (GstE2eeRoomDisplay * d, guint i)
{
  g_return_val_if_fail (i < d->n_tiles, 0);
  return panel_screen_frames (d->screen, i);
}

guint
gst_e2ee_room_display_commits (GstE2eeRoomDisplay * d)
{
  return panel_screen_commits (d->screen);
}

void
gst_e2ee_room_display_plan (GstE2eeRoomDisplay * d, guint * layers,
    guint * composited)
{
  panel_screen_plan (d->screen, layers, composited);
}

gint
gst_e2ee_room_display_capture_image (GstE2eeRoomDisplay * d,
    struct drv_display_image *out)
{
  return panel_screen_capture_image (d->screen, out);
}

gint
gst_e2ee_room_display_capture (GstE2eeRoomDisplay * d, const gchar * path)
{
  return panel_screen_capture (d->screen, path);
}

void
gst_e2ee_room_display_free (GstE2eeRoomDisplay * d)
{
  if (!d)
    return;
  panel_screen_free (d->screen);
  g_free (d);
}
