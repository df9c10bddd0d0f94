/* SPDX-License-Identifier: MIT */
#ifndef GST_CODEWORD_OVERLAY_H
#define GST_CODEWORD_OVERLAY_H

#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include "e2ee/codeword.h"
#include "wm/label.h"

G_BEGIN_DECLS

#define GST_TYPE_CODEWORD_OVERLAY (gst_codeword_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstCodewordOverlay, gst_codeword_overlay, GST,
    CODEWORD_OVERLAY, GstVideoFilter);

/*
 * One plane of the label converted to the frame's format: for each byte of
 * the frame plane under the label, the premultiplied value to add and the
 * factor (255 - alpha) to keep of what is there.
 */
typedef struct
{
  guint8 *add;                  /* into the cache's one allocation */
  guint8 *keep;
  guint width;                  /* bytes per row */
  guint rows;
  guint x_bytes, y_rows;        /* where it goes in the frame plane */
  guint frame_width, frame_rows;        /* of the frame plane, to clip */
  gint plane;                   /* frame plane index */
} GstCodewordPlane;

struct _GstCodewordOverlay
{
  GstVideoFilter parent;

  /* Properties, under the object lock; `changed` tells the streaming thread. */
  gchar codeword[E2EE_CODEWORD_SIZE];   /* as shown, "" for none */
  gchar *identity_key;          /* lowercase hex, or NULL */
  gchar *caption;
  gdouble x, y, scale;
  gboolean enabled;
  gboolean changed;

  /* Streaming thread only: the label, rendered once per change. */
  struct wm_renderer *wm;
  struct wm_image argb;         /* only while converting */
  guint8 *cache;
  gsize cache_size;
  GstCodewordPlane planes[3];
  guint n_planes;
  guint label_x, label_y, label_w, label_h;     /* in the frame, pixels */
  gboolean have_label;
  gboolean warned_empty;
};

GST_ELEMENT_REGISTER_DECLARE (codewordoverlay);

G_END_DECLS

#endif
