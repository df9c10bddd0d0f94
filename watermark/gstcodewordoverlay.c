/* SPDX-License-Identifier: MIT */
/**
 * SECTION:element-codewordoverlay
 * @title: codewordoverlay
 *
 * Burns the room's own codeword (keying.md, "The codeword") into its outgoing
 * video, on raw frames before the encoder, so that every participant sees
 * the codeword of the room they are looking at next to the one their own
 * device shows for it, and can compare the two.
 *
 * The label is what libwm draws for screens and overlay planes: the four
 * proquints, each capitalized ("Mavoj-Pubip-Gubad-Gamiv"), in white DejaVu
 * Sans Mono Bold on a dark translucent rounded backing, with an optional
 * caption under it. Its text is 1/32 of the frame's height (times #scale),
 * so it reads the same from 720p to 4K.
 *
 * Cheap at 4K: the label is rendered once, when the codeword, the caption,
 * the size, the position or the caps change, and converted once to the
 * frame's format (premultiplied Y, U, V or R, G, B and alpha, chroma
 * averaged over each 2x2 block). Each frame then only blends the label's
 * rectangle in place; no pixel outside it is touched and nothing is
 * allocated per frame. Formats: I420, YV12, NV12, NV21, and the 32-bit RGB
 * formats without alpha. The rectangle starts on even coordinates and has
 * even sides, so 4:2:0 chroma is blended whole.
 *
 * The codeword is public (derived from the public identity key): set it
 * with #codeword, or give the public key as #identity-key and the element
 * derives it (Argon2id, about 16 ms, once per key). A string that is no
 * codeword, or no 64-digit hex key, is refused with a warning and the
 * previous value stays. Without a codeword the element passes video through
 * untouched.
 *
 * ## Example
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,format=NV12,width=3840,height=2160 ! \
 *     codewordoverlay codeword=mavoj-pubip-gubad-gamiv caption="E2EE on" ! \
 *     x264enc ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <string.h>

#include "gstcodewordoverlay.h"

GST_DEBUG_CATEGORY_STATIC (gst_codeword_overlay_debug);
#define GST_CAT_DEFAULT gst_codeword_overlay_debug

#define DEFAULT_X 0.98
#define DEFAULT_Y 0.95
#define DEFAULT_SCALE 1.0

enum
{
  PROP_0,
  PROP_CODEWORD,
  PROP_IDENTITY_KEY,
  PROP_CAPTION,
  PROP_X,
  PROP_Y,
  PROP_SCALE,
  PROP_ENABLED,
};

#define FORMATS "{ I420, YV12, NV12, NV21, BGRx, RGBx, xRGB, xBGR }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

#define gst_codeword_overlay_parent_class parent_class
G_DEFINE_TYPE (GstCodewordOverlay, gst_codeword_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (codewordoverlay, "codewordoverlay",
    GST_RANK_NONE, GST_TYPE_CODEWORD_OVERLAY);

/* Passes through when there is nothing to burn. */
static void
update_passthrough (GstCodewordOverlay * self)
{
  gboolean pass;

  GST_OBJECT_LOCK (self);
  pass = !self->enabled || !self->codeword[0];
  GST_OBJECT_UNLOCK (self);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), pass);
}

static void
refuse (GstCodewordOverlay * self, const gchar * what)
{
  GST_WARNING_OBJECT (self, "refused: %s", what);
  GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS, ("%s", what), (NULL));
}

static void
set_codeword (GstCodewordOverlay * self, const gchar * s)
{
  gchar shown[E2EE_CODEWORD_SIZE];

  if (s && s[0] && wm_codeword_format (s, shown)) {
    refuse (self, "not a codeword (four proquints joined by '-')");
    return;
  }
  /* Kept in keying.md's canonical lowercase; labels capitalize. */
  GST_OBJECT_LOCK (self);
  if (s && s[0])
    g_strlcpy (self->codeword, shown, sizeof (self->codeword));
  else
    self->codeword[0] = '\0';
  for (gchar * c = self->codeword; *c; c++)
    *c = g_ascii_tolower (*c);
  g_clear_pointer (&self->identity_key, g_free);
  self->changed = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
set_identity_key (GstCodewordOverlay * self, const gchar * hex)
{
  guint8 ik[E2EE_IDENTITY_KEY_BYTES];
  gchar word[E2EE_CODEWORD_SIZE];
  gchar *lower;
  gboolean same;

  if (!hex || !hex[0]) {
    set_codeword (self, NULL);
    return;
  }
  if (strlen (hex) != 2 * E2EE_IDENTITY_KEY_BYTES) {
    refuse (self, "identity-key is not 64 hex digits");
    return;
  }
  for (guint i = 0; i < E2EE_IDENTITY_KEY_BYTES; i++) {
    gint hi = g_ascii_xdigit_value (hex[2 * i]);
    gint lo = g_ascii_xdigit_value (hex[2 * i + 1]);

    if (hi < 0 || lo < 0) {
      refuse (self, "identity-key is not 64 hex digits");
      return;
    }
    ik[i] = (guint8) (hi << 4 | lo);
  }
  lower = g_ascii_strdown (hex, -1);
  GST_OBJECT_LOCK (self);
  same = g_strcmp0 (lower, self->identity_key) == 0;
  GST_OBJECT_UNLOCK (self);
  if (same) {                   /* cached: Argon2id costs 16 MiB and 16 ms */
    g_free (lower);
    return;
  }
  if (e2ee_codeword (ik, word)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("cannot derive the codeword"), ("Argon2id found no memory"));
    g_free (lower);
    return;
  }
  GST_INFO_OBJECT (self, "identity key %s has codeword %s", lower, word);
  GST_OBJECT_LOCK (self);
  g_strlcpy (self->codeword, word, sizeof (self->codeword));
  g_free (self->identity_key);
  self->identity_key = lower;
  self->changed = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_codeword_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstCodewordOverlay *self = GST_CODEWORD_OVERLAY (object);
  const gchar *s;

  switch (prop_id) {
    case PROP_CODEWORD:
      set_codeword (self, g_value_get_string (value));
      break;
    case PROP_IDENTITY_KEY:
      set_identity_key (self, g_value_get_string (value));
      break;
    case PROP_CAPTION:
      s = g_value_get_string (value);
      if (s && (strlen (s) > WM_SECOND_MAX || !g_utf8_validate (s, -1, NULL))) {
        refuse (self, "caption is not UTF-8 of at most 256 bytes");
        break;
      }
      GST_OBJECT_LOCK (self);
      g_free (self->caption);
      self->caption = s && s[0] ? g_strdup (s) : NULL;
      self->changed = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_X:
      GST_OBJECT_LOCK (self);
      self->x = g_value_get_double (value);
      self->changed = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_Y:
      GST_OBJECT_LOCK (self);
      self->y = g_value_get_double (value);
      self->changed = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_SCALE:
      GST_OBJECT_LOCK (self);
      self->scale = g_value_get_double (value);
      self->changed = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ENABLED:
      GST_OBJECT_LOCK (self);
      self->enabled = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
  }
  update_passthrough (self);
}

static void
gst_codeword_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstCodewordOverlay *self = GST_CODEWORD_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CODEWORD:
      g_value_set_string (value, self->codeword[0] ? self->codeword : NULL);
      break;
    case PROP_IDENTITY_KEY:
      g_value_set_string (value, self->identity_key);
      break;
    case PROP_CAPTION:
      g_value_set_string (value, self->caption);
      break;
    case PROP_X:
      g_value_set_double (value, self->x);
      break;
    case PROP_Y:
      g_value_set_double (value, self->y);
      break;
    case PROP_SCALE:
      g_value_set_double (value, self->scale);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The premultiplied contribution and the 255 - alpha of one ARGB32 pixel. */
typedef struct
{
  gdouble a;                    /* 0..1 */
  gdouble y, pb, pr;            /* premultiplied, Y in 0..a, Pb/Pr in -a/2..a/2 */
} Sample;

static Sample
sample_at (const struct wm_image *img, guint x, guint y, gdouble kr,
    gdouble kb)
{
  guint32 p = *(const guint32 *) (img->data + (gsize) y * img->stride + x * 4);
  gdouble r = ((p >> 16) & 255) / 255.0, g = ((p >> 8) & 255) / 255.0;
  gdouble b = (p & 255) / 255.0;
  Sample s;

  s.a = (p >> 24) / 255.0;
  s.y = kr * r + (1.0 - kr - kb) * g + kb * b;
  s.pb = (b - s.y) / (2.0 * (1.0 - kb));
  s.pr = (r - s.y) / (2.0 * (1.0 - kr));
  return s;
}

static guint8
to_byte (gdouble v)
{
  return (guint8) CLAMP (lrint (v), 0, 255);
}

/*
 * Converts the rendered label (its visible w x h part) to planes of the
 * frame's format. ITU-R BT.601/709/2020 per the caps' colorimetry: a
 * component of the frame is offset + scale * value for straight alpha, so
 * its premultiplied contribution is alpha * offset + scale * premultiplied
 * value.
 */
static gboolean
build_planes (GstCodewordOverlay * self, const GstVideoInfo * info, guint w,
    guint h)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  const struct wm_image *img = &self->argb;
  guint fw = GST_VIDEO_INFO_WIDTH (info), fh = GST_VIDEO_INFO_HEIGHT (info);
  gint offset[GST_VIDEO_MAX_COMPONENTS], scale[GST_VIDEO_MAX_COMPONENTS];
  gdouble kr, kb;
  gsize need = 0;
  guint8 *p;

  memset (self->planes, 0, sizeof (self->planes));
  if (GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)) {
    GstCodewordPlane *pl = &self->planes[0];

    self->n_planes = 1;
    *pl = (GstCodewordPlane) {
    .width = w * 4,.rows = h,.x_bytes = self->label_x * 4,.y_rows =
          self->label_y,.frame_width = fw * 4,.frame_rows = fh,.plane = 0};
  } else {
    guint cw = (w + 1) / 2, ch = (h + 1) / 2;

    self->planes[0] = (GstCodewordPlane) {
    .width = w,.rows = h,.x_bytes = self->label_x,.y_rows =
          self->label_y,.frame_width = fw,.frame_rows = fh,.plane = 0};
    if (GST_VIDEO_FORMAT_INFO_N_PLANES (finfo) == 2) {
      self->n_planes = 2;
      self->planes[1] = (GstCodewordPlane) {
      .width = 2 * cw,.rows = ch,.x_bytes = self->label_x,.y_rows =
            self->label_y / 2,.frame_width = 2 * ((fw + 1) / 2),.frame_rows =
            (fh + 1) / 2,.plane = 1};
    } else {
      self->n_planes = 3;
      for (guint c = 1; c <= 2; c++)
        self->planes[c] = (GstCodewordPlane) {
        .width = cw,.rows = ch,.x_bytes = self->label_x / 2,.y_rows =
              self->label_y / 2,.frame_width = (fw + 1) / 2,.frame_rows =
              (fh + 1) / 2,.plane = GST_VIDEO_FORMAT_INFO_PLANE (finfo, c)};
    }
  }
  for (guint i = 0; i < self->n_planes; i++)
    need += 2 * (gsize) self->planes[i].width * self->planes[i].rows;
  if (need > self->cache_size) {
    g_free (self->cache);
    self->cache = g_try_malloc (need);
    self->cache_size = self->cache ? need : 0;
    if (!self->cache)
      return FALSE;
  }
  p = self->cache;
  for (guint i = 0; i < self->n_planes; i++) {
    gsize n = (gsize) self->planes[i].width * self->planes[i].rows;

    self->planes[i].add = p;
    self->planes[i].keep = p + n;
    p += 2 * n;
  }

  if (GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)) {
    /* The label is RGB already: premultiplied bytes as they are. */
    GstCodewordPlane *pl = &self->planes[0];
    guint ro = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_R);
    guint go = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_G);
    guint bo = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_B);

    /* The padding byte: add nothing, keep all. */
    memset (pl->add, 0, (gsize) pl->width * pl->rows);
    memset (pl->keep, 255, (gsize) pl->width * pl->rows);
    for (guint y = 0; y < h; y++) {
      const guint32 *src = (const guint32 *) (img->data + (gsize) y *
          img->stride);
      guint8 *add = pl->add + (gsize) y * pl->width;
      guint8 *keep = pl->keep + (gsize) y * pl->width;

      for (guint x = 0; x < w; x++) {
        guint32 v = src[x];
        guint8 a = v >> 24;

        add[4 * x + ro] = (v >> 16) & 255;
        add[4 * x + go] = (v >> 8) & 255;
        add[4 * x + bo] = v & 255;
        keep[4 * x + ro] = keep[4 * x + go] = keep[4 * x + bo] = 255 - a;
      }
    }
    return TRUE;
  }

  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.2126;                /* BT.709 when the caps do not say */
    kb = 0.0722;
  }
  gst_video_color_range_offsets (info->colorimetry.range, finfo, offset,
      scale);

  for (guint y = 0; y < h; y++) {
    GstCodewordPlane *pl = &self->planes[0];
    guint8 *add = pl->add + (gsize) y * pl->width;
    guint8 *keep = pl->keep + (gsize) y * pl->width;

    for (guint x = 0; x < w; x++) {
      Sample s = sample_at (img, x, y, kr, kb);

      add[x] = to_byte (s.a * offset[0] + scale[0] * s.y);
      keep[x] = to_byte (255.0 * (1.0 - s.a));
    }
  }
  for (guint y = 0; y < (h + 1) / 2; y++) {
    for (guint x = 0; x < (w + 1) / 2; x++) {
      gdouble a = 0, pb = 0, pr = 0, cu, cv, k;
      guint n = 0;

      for (guint dy = 0; dy < 2 && 2 * y + dy < h; dy++) {
        for (guint dx = 0; dx < 2 && 2 * x + dx < w; dx++) {
          Sample s = sample_at (img, 2 * x + dx, 2 * y + dy, kr, kb);

          a += s.a;
          pb += s.pb;
          pr += s.pr;
          n++;
        }
      }
      a /= n;
      cu = a * offset[1] + scale[1] * pb / n;
      cv = a * offset[2] + scale[2] * pr / n;
      k = 255.0 * (1.0 - a);
      if (self->n_planes == 2) {
        GstCodewordPlane *pl = &self->planes[1];
        gsize i = (gsize) y * pl->width + 2 * x;
        guint uo = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_U);
        guint vo = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_V);

        pl->add[i + uo] = to_byte (cu);
        pl->add[i + vo] = to_byte (cv);
        pl->keep[i] = pl->keep[i + 1] = to_byte (k);
      } else {
        gsize i = (gsize) y * self->planes[1].width + x;

        self->planes[1].add[i] = to_byte (cu);
        self->planes[2].add[i] = to_byte (cv);
        self->planes[1].keep[i] = self->planes[2].keep[i] = to_byte (k);
      }
    }
  }
  return TRUE;
}

/* Renders and converts the label for the current properties and caps. */
static void
rebuild (GstCodewordOverlay * self, const GstVideoInfo * info)
{
  struct wm_label label = { 0 };
  gchar codeword[E2EE_CODEWORD_SIZE];
  gchar *caption;
  gdouble fx, fy, scale;
  guint fw = GST_VIDEO_INFO_WIDTH (info), fh = GST_VIDEO_INFO_HEIGHT (info);
  guint screen_h, w, h;
  gint ret;

  GST_OBJECT_LOCK (self);
  g_strlcpy (codeword, self->codeword, sizeof (codeword));
  caption = g_strdup (self->caption);
  fx = self->x;
  fy = self->y;
  scale = self->scale;
  self->changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  self->have_label = FALSE;
  wm_image_free (&self->argb);
  if (!codeword[0] || fw == 0 || fh == 0)
    goto out;
  if (!self->wm && (ret = wm_renderer_new (&self->wm))) {
    GST_ELEMENT_WARNING (self, LIBRARY, INIT, ("cannot load the label fonts"),
        ("wm_renderer_new: %s", g_strerror (-ret)));
    goto out;
  }
  screen_h = (guint) CLAMP (lrint (fh * scale), WM_SCREEN_HEIGHT_MIN,
      WM_SCREEN_HEIGHT_MAX);
  label.codeword = codeword;
  label.second = caption;
  ret = wm_render (self->wm, &label, screen_h, &self->argb);
  if (ret) {
    GST_ELEMENT_WARNING (self, LIBRARY, FAILED, ("cannot render the label"),
        ("wm_render: %s", g_strerror (-ret)));
    goto out;
  }
  /* x and y place the label in the room the frame leaves around it. */
  self->label_x = fw > self->argb.width ?
      (guint) lrint (fx * (fw - self->argb.width)) & ~1u : 0;
  self->label_y = fh > self->argb.height ?
      (guint) lrint (fy * (fh - self->argb.height)) & ~1u : 0;
  w = MIN (self->argb.width, fw - self->label_x);
  h = MIN (self->argb.height, fh - self->label_y);
  self->label_w = w;
  self->label_h = h;
  if (!build_planes (self, info, w, h)) {
    GST_ELEMENT_WARNING (self, RESOURCE, NO_SPACE_LEFT,
        ("cannot convert the label"), (NULL));
    goto out;
  }
  /* Only the converted planes are blended; the ARGB image can go. */
  wm_image_free (&self->argb);
  self->have_label = TRUE;
  GST_DEBUG_OBJECT (self, "label %s at %u,%u, %ux%u, for a %ux%u frame",
      codeword, self->label_x, self->label_y, w, h, fw, fh);
out:
  g_free (caption);
}

/* 16-bit lanes so that the compiler vectorizes it (-O3 in watermark.mk). */
static inline void
blend_row (guint8 * restrict d, const guint8 * restrict add,
    const guint8 * restrict keep, guint width)
{
  for (guint i = 0; i < width; i++) {
    /* d * keep / 255 rounded, exact for all bytes, then saturated. */
    guint16 t = (guint16) (d[i] * keep[i] + 128u);
    guint16 v = (guint16) (add[i] + ((t + (t >> 8)) >> 8));

    d[i] = v > 255u ? 255u : (guint8) v;
  }
}

static inline void
blend_plane (const GstCodewordPlane * pl, guint8 * base, gint stride)
{
  /* Locals: stores through d (a byte pointer) could alias *pl otherwise. */
  const guint width = pl->width, rows = pl->rows;
  const guint8 *add = pl->add, *keep = pl->keep;

  base += (gsize) pl->y_rows * stride + pl->x_bytes;
  for (guint r = 0; r < rows; r++) {
    blend_row (base + (gsize) r * stride, add + (gsize) r * width,
        keep + (gsize) r * width, width);
  }
}

static GstFlowReturn
gst_codeword_overlay_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstCodewordOverlay *self = GST_CODEWORD_OVERLAY (filter);
  gboolean changed;

  GST_OBJECT_LOCK (self);
  changed = self->changed;
  GST_OBJECT_UNLOCK (self);
  if (changed)
    rebuild (self, &frame->info);
  if (!self->have_label) {
    if (!self->warned_empty)
      GST_WARNING_OBJECT (self, "no label to burn in");
    self->warned_empty = TRUE;
    return GST_FLOW_OK;
  }
  for (guint i = 0; i < self->n_planes; i++) {
    const GstCodewordPlane *pl = &self->planes[i];

    blend_plane (pl, GST_VIDEO_FRAME_PLANE_DATA (frame, pl->plane),
        GST_VIDEO_FRAME_PLANE_STRIDE (frame, pl->plane));
  }
  return GST_FLOW_OK;
}

static gboolean
gst_codeword_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstCodewordOverlay *self = GST_CODEWORD_OVERLAY (filter);

  GST_OBJECT_LOCK (self);
  self->changed = TRUE;         /* size and format: render again */
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_codeword_overlay_stop (GstBaseTransform * trans)
{
  GstCodewordOverlay *self = GST_CODEWORD_OVERLAY (trans);

  wm_image_free (&self->argb);
  g_clear_pointer (&self->cache, g_free);
  self->cache_size = 0;
  self->have_label = FALSE;
  GST_OBJECT_LOCK (self);
  self->changed = TRUE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_codeword_overlay_finalize (GObject * object)
{
  GstCodewordOverlay *self = GST_CODEWORD_OVERLAY (object);

  wm_image_free (&self->argb);
  g_free (self->cache);
  wm_renderer_free (self->wm);
  g_free (self->identity_key);
  g_free (self->caption);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_codeword_overlay_init (GstCodewordOverlay * self)
{
  self->x = DEFAULT_X;
  self->y = DEFAULT_Y;
  self->scale = DEFAULT_SCALE;
  self->enabled = TRUE;
  self->changed = TRUE;
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_codeword_overlay_class_init (GstCodewordOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_codeword_overlay_debug, "codewordoverlay", 0,
      "Codeword burn-in");

  gobject_class->set_property = gst_codeword_overlay_set_property;
  gobject_class->get_property = gst_codeword_overlay_get_property;
  gobject_class->finalize = gst_codeword_overlay_finalize;

  /**
   * GstCodewordOverlay:codeword:
   *
   * The codeword to burn in, "xxxxx-xxxxx-xxxxx-xxxxx" in any case; read
   * back in lowercase. Anything else is refused and the previous value
   * stays. Setting it clears #identity-key; NULL or "" burns nothing.
   */
  g_object_class_install_property (gobject_class, PROP_CODEWORD,
      g_param_spec_string ("codeword", "Codeword",
          "The room's codeword, four proquints joined by '-' (public); "
          "anything else is refused", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCodewordOverlay:identity-key:
   *
   * The room's Ed25519 public identity key as 64 hex digits; sets
   * #codeword to its codeword (keying.md), derived once per key.
   */
  g_object_class_install_property (gobject_class, PROP_IDENTITY_KEY,
      g_param_spec_string ("identity-key", "Identity key",
          "The room's Ed25519 public identity key (64 hex digits), from "
          "which the codeword is derived once", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCodewordOverlay:caption:
   *
   * An optional second line under the codeword, such as "E2EE on" or the
   * room's name: UTF-8 of at most 256 bytes, shown on one line and cut
   * with an ellipsis at the codeword's width.
   */
  g_object_class_install_property (gobject_class, PROP_CAPTION,
      g_param_spec_string ("caption", "Caption",
          "Optional second line under the codeword (UTF-8, at most 256 "
          "bytes, ellipsized to the codeword's width)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCodewordOverlay:x:
   *
   * Horizontal position as a fraction of the room the frame leaves beside
   * the label: 0 puts it against the left edge, 1 against the right, 0.5
   * centres it. The label always stays inside the frame.
   */
  g_object_class_install_property (gobject_class, PROP_X,
      g_param_spec_double ("x", "X",
          "Horizontal position: 0 left edge, 1 right edge, as a fraction of "
          "the frame's width minus the label's", 0.0, 1.0, DEFAULT_X,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCodewordOverlay:y:
   *
   * Vertical position as a fraction of the room the frame leaves above and
   * below the label: 0 top, 1 bottom.
   */
  g_object_class_install_property (gobject_class, PROP_Y,
      g_param_spec_double ("y", "Y",
          "Vertical position: 0 top edge, 1 bottom edge, as a fraction of "
          "the frame's height minus the label's", 0.0, 1.0, DEFAULT_Y,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCodewordOverlay:scale:
   *
   * Label size relative to the default, whose codeword text is 1/32 of the
   * frame's height (34 px at 1080p).
   */
  g_object_class_install_property (gobject_class, PROP_SCALE,
      g_param_spec_double ("scale", "Scale",
          "Label size relative to the default (text 1/32 of the frame's "
          "height)", 0.25, 4.0, DEFAULT_SCALE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstCodewordOverlay:enabled:
   *
   * Whether to burn the label in; FALSE passes video through untouched.
   */
  g_object_class_install_property (gobject_class, PROP_ENABLED,
      g_param_spec_boolean ("enabled", "Enabled",
          "Burn the label in (FALSE: pass through)", TRUE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_CONTROLLABLE | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Codeword overlay", "Filter/Effect/Video",
      "Burns the room's E2EE codeword into raw video before the encoder",
      "sealroom");

  trans_class->stop = GST_DEBUG_FUNCPTR (gst_codeword_overlay_stop);
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_codeword_overlay_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_codeword_overlay_transform_frame_ip);
}
