/* SPDX-License-Identifier: MIT */
/* The room display: decoded video and the codeword overlay on KMS planes. */
#include <errno.h>
#include <string.h>

#include <drm_fourcc.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "drv/display.h"
#include "gste2eeroomdisplay.h"

/* Under every tile and label; what the screen shows where nothing is. */
#define BACKGROUND 0x101010u

typedef struct
{
  GstE2eeRoomDisplay *d;
  guint index;
  guint sender;
  gchar *codeword, *name;
  enum wm_trust trust;
  struct wm_rect video, label;
  struct drv_display_buffer *buf[2];
  guint shown;                  /* buf[shown] is (or is being put) on screen */
  gboolean ready;               /* buf[!shown] holds a frame not yet shown */
  /* A commit is putting buf[shown] up: buf[!shown] may still be on screen. */
  gboolean in_flight;
  guint frames;                 /* frames committed */
} Tile;

struct _GstE2eeRoomDisplay
{
  struct drv_display *disp;     /* NULL: "soft", composited into screen */
  struct drv_display_image screen;
  struct wm_renderer *wm;
  guint width, height;
  Tile tiles[GST_E2EE_ROOM_DISPLAY_MAX_TILES];
  guint n_tiles;
  struct wm_tile wm_tiles[GST_E2EE_ROOM_DISPLAY_MAX_TILES];
  enum wm_e2ee_state e2ee;
  struct drv_display_buffer *overlay[2];
  guint overlay_shown;
  struct drv_display_layer layers[GST_E2EE_ROOM_DISPLAY_MAX_TILES + 1];

  GMutex lock;
  GCond cond;
  gboolean dirty;               /* a tile is ready */
  gboolean busy;                /* someone is committing (the device is theirs) */
  gboolean stop;
  guint commits;
  struct drv_display_plan plan; /* the last commit's */
  GThread *thread;
};

/*
 * A layer's buffer: a dumb buffer on a device; on "soft", memory that looks
 * like one (no framebuffer).
 */
static gint
buffer_new (GstE2eeRoomDisplay * d, guint w, guint h, guint32 format,
    struct drv_display_buffer **out)
{
  struct drv_display_buffer *b;

  if (d->disp)
    return drv_display_buffer_new (d->disp, w, h, format, out);
  b = g_new0 (struct drv_display_buffer, 1);
  b->img = (struct drv_display_image) {
  g_malloc0 ((gsize) w * h * 4), w, h, w * 4, format};
  b->fd = -1;
  *out = b;
  return 0;
}

static void
buffer_free (GstE2eeRoomDisplay * d, struct drv_display_buffer *b)
{
  if (d->disp || !b) {
    drv_display_buffer_free (b);
    return;
  }
  g_free (b->img.data);
  g_free (b);
}

/* "soft": the scene composited in memory, as drv_display does where planes run out. */
static gint
compose_soft (const struct drv_display_scene *scene,
    struct drv_display_image *out, struct drv_display_plan *plan)
{
  gint ret = 0;

  drv_display_fill (out, scene->background);
  for (gsize i = 0; i < scene->n_layers && !ret; i++)
    ret = drv_display_blend (out, &scene->layers[i].buf->img,
        scene->layers[i].x, scene->layers[i].y, scene->layers[i].alpha);
  plan->n_layers = scene->n_layers;
  plan->n_composed = scene->n_layers;
  return ret;
}

/* The scene of what is shown now; with the lock held. */
static void
build_scene (GstE2eeRoomDisplay * d, struct drv_display_scene *scene)
{
  guint n = 0;

  for (guint i = 0; i < d->n_tiles; i++) {
    Tile *t = &d->tiles[i];

    d->layers[n++] = (struct drv_display_layer) {
    t->buf[t->shown], t->video.x, t->video.y, DRV_DISPLAY_ALPHA_OPAQUE, 1};
  }
  d->layers[n++] = (struct drv_display_layer) {
  d->overlay[d->overlay_shown], 0, 0, DRV_DISPLAY_ALPHA_OPAQUE, 2};
  *scene = (struct drv_display_scene) {
  .background = BACKGROUND,.layers = d->layers,.n_layers = n};
}

/*
 * Called with the lock held and the device free: puts every ready tile up
 * (and the other overlay buffer with swap_overlay), commits without the
 * lock, and takes the lock again. Returns the commit's result.
 */
static gint
commit_locked (GstE2eeRoomDisplay * d, struct drv_display_buffer *capture,
    gboolean swap_overlay)
{
  struct drv_display_scene scene;
  struct drv_display_plan plan = { 0 };
  gint ret;

  while (d->busy)
    g_cond_wait (&d->cond, &d->lock);
  for (guint i = 0; i < d->n_tiles; i++) {
    Tile *t = &d->tiles[i];

    if (t->ready) {
      t->shown ^= 1;
      t->ready = FALSE;
      t->in_flight = TRUE;
      t->frames++;
    }
  }
  if (swap_overlay)
    d->overlay_shown ^= 1;
  d->dirty = FALSE;
  build_scene (d, &scene);
  d->busy = TRUE;
  g_mutex_unlock (&d->lock);

  if (d->disp)
    ret = drv_display_commit (d->disp, &scene, capture, &plan);
  else
    ret = compose_soft (&scene, capture ? &capture->img : &d->screen, &plan);

  g_mutex_lock (&d->lock);
  for (guint i = 0; i < d->n_tiles; i++) {
    Tile *t = &d->tiles[i];

    /* A refused commit left the previous buffers on screen: the new frame
     * stays the back buffer, ready for the next commit, and the buffer on
     * screen is not handed to the writer. */
    if (ret && t->in_flight) {
      t->shown ^= 1;
      t->ready = TRUE;
      t->frames--;
    }
    t->in_flight = FALSE;
  }
  if (ret && swap_overlay)
    d->overlay_shown ^= 1;
  d->busy = FALSE;
  if (!ret)
    d->plan = plan;
  d->commits++;
  g_cond_broadcast (&d->cond);
  return ret;
}

static gpointer
display_thread (gpointer data)
{
  GstE2eeRoomDisplay *d = data;
  gint ret, last = 0;
  guint failures = 0;

  g_mutex_lock (&d->lock);
  while (!d->stop) {
    if (!d->dirty || d->busy) {
      g_cond_wait (&d->cond, &d->lock);
      continue;
    }
    ret = commit_locked (d, NULL, FALSE);
    /* Once per change, not per frame (a display gone away fails them all). */
    if (ret && ret != last)
      g_printerr ("room display: commit: %s\n", g_strerror (-ret));
    else if (!ret && last)
      g_printerr ("room display: commits work again after %u failed\n",
          failures);
    failures = ret ? failures + 1 : 0;
    last = ret;
  }
  g_mutex_unlock (&d->lock);
  return NULL;
}

/* An appsink's streaming thread: the frame into the tile's back buffer. */
static GstFlowReturn
new_sample (GstAppSink * sink, gpointer data)
{
  Tile *t = data;
  GstE2eeRoomDisplay *d = t->d;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstVideoInfo info;
  GstVideoFrame frame;
  struct drv_display_image *dst;
  guint rows, bytes;

  if (!sample)
    return GST_FLOW_EOS;
  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_BGRx
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ)) {
    gst_sample_unref (sample);
    return GST_FLOW_ERROR;
  }
  g_mutex_lock (&d->lock);
  /* The back buffer may still be on screen until the commit is done. */
  while (t->in_flight && !d->stop)
    g_cond_wait (&d->cond, &d->lock);
  /* Copied without the lock, so that other tiles' frames and the commits
   * do not wait for this one's copy. Not ready while written: no commit
   * flips it (only ready tiles are), and none can be putting it up (not
   * in flight), so this thread alone touches buf[!shown] until it is. */
  t->ready = FALSE;
  dst = &t->buf[t->shown ^ 1]->img;
  g_mutex_unlock (&d->lock);
  rows = MIN ((guint) GST_VIDEO_FRAME_HEIGHT (&frame), dst->height);
  bytes = MIN ((guint) GST_VIDEO_FRAME_WIDTH (&frame), dst->width) * 4;
  for (guint y = 0; y < rows; y++)
    memcpy (dst->data + (gsize) y * dst->stride,
        (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), bytes);
  g_mutex_lock (&d->lock);
  t->ready = TRUE;
  d->dirty = TRUE;
  g_cond_broadcast (&d->cond);
  g_mutex_unlock (&d->lock);
  gst_video_frame_unmap (&frame);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static gint
render_overlay (GstE2eeRoomDisplay * d, struct drv_display_buffer *buf)
{
  struct wm_overlay o = { d->wm_tiles, d->n_tiles, d->e2ee };
  struct wm_image img = {
    .data = buf->img.data,.width = buf->img.width,.height = buf->img.height,
    .stride = buf->img.stride,
  };

  return wm_overlay_render (d->wm, &o, &img);
}

GstE2eeRoomDisplay *
gst_e2ee_room_display_new (const gchar * device, guint width, guint height,
    const GstE2eeRoomTile * tiles, guint n_tiles, enum wm_e2ee_state e2ee,
    GError ** err)
{
  GstE2eeRoomDisplay *d = g_new0 (GstE2eeRoomDisplay, 1);
  struct wm_rect video[GST_E2EE_ROOM_DISPLAY_MAX_TILES];
  struct wm_rect labels[GST_E2EE_ROOM_DISPLAY_MAX_TILES];
  struct wm_overlay o;
  const gchar *what = "";
  gint ret;

  g_mutex_init (&d->lock);
  g_cond_init (&d->cond);
  d->e2ee = e2ee;
  if (n_tiles == 0 || n_tiles > GST_E2EE_ROOM_DISPLAY_MAX_TILES) {
    ret = -EINVAL;
    what = "number of tiles";
    goto fail;
  }
  what = device;
  if (!strcmp (device, "soft")) {
    what = "soft: the screen's size must be 64x64 to 16384x16384";
    ret = width >= 64 && height >= 64 && width <= 16384 && height <= 16384 ?
        0 : -EINVAL;
    if (ret)
      goto fail;
    d->width = width;
    d->height = height;
    d->screen = (struct drv_display_image) {
    g_malloc0 ((gsize) width * height * 4), width, height, width * 4,
          DRM_FORMAT_XRGB8888};
  } else {
    ret = drv_display_open (device, width, height, &d->disp);
    if (ret)
      goto fail;
    drv_display_size (d->disp, &d->width, &d->height);
  }
  what = "label fonts";
  ret = wm_renderer_new (&d->wm);
  if (ret)
    goto fail;
  what = "layout";
  ret = wm_layout_grid (d->wm, n_tiles, d->width, d->height, video);
  if (ret)
    goto fail;
  d->n_tiles = n_tiles;
  for (guint i = 0; i < n_tiles; i++) {
    Tile *t = &d->tiles[i];

    t->d = d;
    t->index = i;
    t->sender = tiles[i].sender;
    t->codeword = g_strdup (tiles[i].codeword);
    t->name = g_strdup (tiles[i].name);
    t->trust = tiles[i].trust;
    t->video = video[i];
    d->wm_tiles[i] = (struct wm_tile) {
    video[i], t->codeword, t->name, t->trust};
  }
  o = (struct wm_overlay) {
  d->wm_tiles, n_tiles, e2ee};
  what = "codeword or name";
  ret = wm_overlay_place (d->wm, &o, d->width, d->height, labels, NULL);
  if (ret)
    goto fail;
  what = "buffers";
  for (guint i = 0; i < n_tiles; i++) {
    d->tiles[i].label = labels[i];
    for (guint b = 0; b < 2 && !ret; b++)
      ret = buffer_new (d, video[i].width, video[i].height,
          DRM_FORMAT_XRGB8888, &d->tiles[i].buf[b]);
    if (ret)
      goto fail;
  }
  for (guint b = 0; b < 2 && !ret; b++)
    ret = buffer_new (d, d->width, d->height, DRM_FORMAT_ARGB8888,
        &d->overlay[b]);
  if (ret)
    goto fail;
  what = "overlay";
  ret = render_overlay (d, d->overlay[0]);
  if (ret)
    goto fail;
  what = "first commit";
  g_mutex_lock (&d->lock);
  ret = commit_locked (d, NULL, FALSE);
  g_mutex_unlock (&d->lock);
  if (ret)
    goto fail;
  d->thread = g_thread_new ("room-display", display_thread, d);
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
  enum wm_e2ee_state before;
  gint ret;

  g_mutex_lock (&d->lock);
  if (e2ee == d->e2ee) {
    g_mutex_unlock (&d->lock);
    return;
  }
  while (d->busy)
    g_cond_wait (&d->cond, &d->lock);
  /* Only this thread renders, and the back overlay is not on screen. */
  before = d->e2ee;
  d->e2ee = e2ee;
  g_mutex_unlock (&d->lock);
  ret = render_overlay (d, d->overlay[d->overlay_shown ^ 1]);
  g_mutex_lock (&d->lock);
  if (!ret)
    ret = commit_locked (d, NULL, TRUE);
  /* Not shown: the banner on screen is still the old state's, and the same
   * call again must try again. */
  if (ret)
    d->e2ee = before;
  g_mutex_unlock (&d->lock);
  if (ret)
    g_printerr ("room display: overlay: %s\n", g_strerror (-ret));
}

void
gst_e2ee_room_display_tile (GstE2eeRoomDisplay * d, guint i,
    struct wm_rect *video, struct wm_rect *label)
{
  g_return_if_fail (i < d->n_tiles);
  *video = d->tiles[i].video;
  *label = d->tiles[i].label;
}

void
gst_e2ee_room_display_size (GstE2eeRoomDisplay * d, guint * width,
    guint * height)
{
  *width = d->width;
  *height = d->height;
}

guint
gst_e2ee_room_display_frames (GstE2eeRoomDisplay * d, guint i)
{
  guint n;

  g_return_val_if_fail (i < d->n_tiles, 0);
  g_mutex_lock (&d->lock);
  n = d->tiles[i].frames;
  g_mutex_unlock (&d->lock);
  return n;
}

guint
gst_e2ee_room_display_commits (GstE2eeRoomDisplay * d)
{
  guint n;

  g_mutex_lock (&d->lock);
  n = d->commits;
  g_mutex_unlock (&d->lock);
  return n;
}

void
gst_e2ee_room_display_plan (GstE2eeRoomDisplay * d, guint * layers,
    guint * composited)
{
  g_mutex_lock (&d->lock);
  *layers = (guint) d->plan.n_layers;
  *composited = (guint) d->plan.n_composed;
  g_mutex_unlock (&d->lock);
}

gint
gst_e2ee_room_display_capture_image (GstE2eeRoomDisplay * d,
    struct drv_display_image *out)
{
  struct drv_display_buffer *cap = NULL, mem;
  gint ret;

  if (out->width != d->width || out->height != d->height
      || out->format != DRM_FORMAT_XRGB8888 || out->stride < d->width * 4)
    return -EINVAL;
  if (d->disp && !drv_display_has_writeback (d->disp))
    return -ENOTSUP;
  if (d->disp) {
    ret = drv_display_buffer_new (d->disp, d->width, d->height,
        DRM_FORMAT_XRGB8888, &cap);
    if (ret)
      return ret;
  } else {
    /* Composited straight into the caller's image. */
    mem = (struct drv_display_buffer) {.img = *out,.fd = -1 };
    cap = &mem;
  }
  g_mutex_lock (&d->lock);
  ret = commit_locked (d, cap, FALSE);
  g_mutex_unlock (&d->lock);
  if (d->disp) {
    for (guint y = 0; !ret && y < d->height; y++)
      memcpy (out->data + (gsize) y * out->stride,
          cap->img.data + (gsize) y * cap->img.stride, (gsize) d->width * 4);
    drv_display_buffer_free (cap);
  }
  return ret;
}

gint
gst_e2ee_room_display_capture (GstE2eeRoomDisplay * d, const gchar * path)
{
  struct drv_display_image img = {
    NULL, d->width, d->height, d->width * 4, DRM_FORMAT_XRGB8888
  };
  gint ret;

  img.data = g_try_malloc ((gsize) d->width * d->height * 4);
  if (!img.data)
    return -ENOMEM;
  ret = gst_e2ee_room_display_capture_image (d, &img);
  if (!ret)
    ret = drv_display_png_write (&img, path);
  g_free (img.data);
  return ret;
}

void
gst_e2ee_room_display_free (GstE2eeRoomDisplay * d)
{
  if (!d)
    return;
  if (d->thread) {
    g_mutex_lock (&d->lock);
    d->stop = TRUE;
    g_cond_broadcast (&d->cond);
    g_mutex_unlock (&d->lock);
    g_thread_join (d->thread);
  }
  for (guint i = 0; i < GST_E2EE_ROOM_DISPLAY_MAX_TILES; i++) {
    for (guint b = 0; b < 2; b++)
      buffer_free (d, d->tiles[i].buf[b]);
    g_free (d->tiles[i].codeword);
    g_free (d->tiles[i].name);
  }
  for (guint b = 0; b < 2; b++)
    buffer_free (d, d->overlay[b]);
  g_free (d->screen.data);
  wm_renderer_free (d->wm);
  drv_display_close (d->disp);
  g_mutex_clear (&d->lock);
  g_cond_clear (&d->cond);
  g_free (d);
}
