/* SPDX-License-Identifier: MIT */
/**
 * SECTION:element-e2eedec
 * @title: e2eedec
 *
 * Decrypts SFrame-protected frames (RFC 9605) between the RTP depayloader
 * and the decoder or parser: the reverse of e2eeenc.
 *
 * It never hands undecrypted bytes downstream. Frames that do not
 * authenticate, replays (a sliding window per KID) and frames of another
 * stream or sender are dropped and counted. A frame under a KID it has no
 * key for yet is held for up to key-hold-ms (measured on the frames'
 * timestamps) in case the key is on its way; frames behind it wait too, so
 * that order is kept. After drops, and when a new key lets it decrypt again,
 * it asks upstream for a keyframe (at most once a second), which the
 * depayloader turns into an RTCP PLI.
 *
 * Element messages on the bus (at most once a second each):
 * "e2ee-waiting-for-key" (kid), "e2ee-resumed" (kid), "e2ee-auth-failed"
 * (auth-failed, replayed: totals so far).
 *
 * ## Example
 * |[
 * gst-launch-1.0 udpsrc port=5000 caps=application/x-rtp,encoding-name=H264 ! \
 *     rtph264depay ! e2eedec key-file=recv.keys ! avdec_h264 ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include <gst/video/video.h>

#include "e2ee/secret.h"
#include "gste2eedec.h"

GST_DEBUG_CATEGORY_STATIC (gst_e2ee_dec_debug);
#define GST_CAT_DEFAULT gst_e2ee_dec_debug

#define DEFAULT_KEY_HOLD_MS 1000

enum
{
  PROP_0,
  PROP_CIPHER_SUITE,
  PROP_SENDER_INDEX,
  PROP_STREAM,
  PROP_REPLAY_WINDOW,
  PROP_KEY_HOLD_MS,
  PROP_KEY_FILE,
  PROP_STATS,
};

enum
{
  SIGNAL_ADD_KEY,
  SIGNAL_REMOVE_KEY,
  LAST_SIGNAL,
};

static guint signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_E2EE_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_E2EE_CAPS));

#define gst_e2ee_dec_parent_class parent_class
G_DEFINE_TYPE (GstE2eeDec, gst_e2ee_dec, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (e2eedec, "e2eedec", GST_RANK_NONE,
    GST_TYPE_E2EE_DEC);

typedef struct
{
  gsize start, end;             /* in the input */
  gsize ct_off, ct_len;         /* unescaped, in the scratch buffer */
  gsize md_len;                 /* clear bytes: header, first slice byte */
  gboolean clear;
} NalIn;

typedef enum
{
  DEC_OK,
  DEC_NO_KEY,                   /* hold it: the key may be on its way */
  DEC_DROP,
} DecResult;

/* Frames of another stream or sender are never ours, whatever the keys say. */
static gboolean
kid_acceptable (GstE2eeDec * self, guint64 kid)
{
  if (e2ee_kid_stream (kid) != (guint64) self->stream)
    return FALSE;
  return self->sender_index < 0
      || e2ee_kid_sender (kid) == (guint16) self->sender_index;
}

static gboolean
gst_e2ee_dec_add_key (GstE2eeDec * self, guint64 kid, GBytes * key,
    gint usage)
{
  gsize len = 0;
  const guint8 *data = key ? g_bytes_get_data (key, &len) : NULL;
  gint ret;

  if (usage != E2EE_KEY_RECV || !data) {
    GST_WARNING_OBJECT (self, "e2eedec takes receive keys only");
    return FALSE;
  }
  if (!kid_acceptable (self, kid)) {
    GST_WARNING_OBJECT (self, "KID %" G_GUINT64_FORMAT " is not of stream %d"
        " / sender %d", kid, self->stream, self->sender_index);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  ret = e2ee_keyring_add (self->ring, kid, E2EE_KEY_RECV, data, len);
  g_mutex_unlock (&self->lock);
  if (ret)
    GST_WARNING_OBJECT (self, "cannot add key %" G_GUINT64_FORMAT ": %s", kid,
        g_strerror (-ret));
  return ret == 0;
}

static gboolean
gst_e2ee_dec_remove_key (GstE2eeDec * self, guint64 kid)
{
  gint ret;

  g_mutex_lock (&self->lock);
  ret = e2ee_keyring_remove (self->ring, kid);
  g_mutex_unlock (&self->lock);
  return ret == 0;
}

static void
reset_ring (GstE2eeDec * self)
{
  e2ee_keyring_clear (self->ring);
  if (e2ee_keyring_init (self->ring, self->suite, self->replay_window))
    g_assert_not_reached ();
}

/* Is kid a receive key here? Sets *why for the ones that never will be. */
static DecResult
check_kid (GstE2eeDec * self, guint64 kid, gint * why)
{
  if (!kid_acceptable (self, kid)
      || e2ee_keyring_has (self->ring, kid, E2EE_KEY_SEND)) {
    *why = -EPERM;
    return DEC_DROP;
  }
  if (!e2ee_keyring_has (self->ring, kid, E2EE_KEY_RECV)) {
    *why = -ENOKEY;
    return DEC_NO_KEY;
  }
  return DEC_OK;
}

static DecResult
decrypt_whole (GstE2eeDec * self, const GstMapInfo * in, GstBuffer ** outbuf,
    guint64 * kid, gint * why)
{
  long clear = gst_e2ee_clear_prefix_len (self->codec, in->data, in->size);
  const guint8 *sf;
  GstBuffer *out;
  GstMapInfo m;
  guint64 ctr;
  gsize len = 0, sf_len;
  DecResult r;

  if (clear < 0) {
    *why = -EINVAL;
    return DEC_DROP;
  }
  sf = in->data + clear;
  sf_len = in->size - (gsize) clear;
  if (e2ee_sframe_header_parse (sf, sf_len, kid, &ctr) < 0) {
    *why = -EINVAL;
    return DEC_DROP;
  }
  r = check_kid (self, *kid, why);
  if (r != DEC_OK)
    return r;
  out = gst_e2ee_out_pool_acquire (&self->out, in->size);
  if (!out) {
    *why = -ENOMEM;
    return DEC_DROP;
  }
  gst_buffer_map (out, &m, GST_MAP_WRITE);
  memcpy (m.data, in->data, (gsize) clear);
  /* The clear prefix is the frame's metadata: a flipped bit there fails too. */
  *why = e2ee_keyring_unprotect (self->ring, in->data, (gsize) clear, sf,
      sf_len, m.data + clear, m.size - (gsize) clear, &len, NULL, NULL);
  gst_buffer_unmap (out, &m);
  if (*why) {
    gst_buffer_unref (out);
    return DEC_DROP;
  }
  gst_buffer_set_size (out, (gssize) ((gsize) clear + len));
  *outbuf = out;
  return DEC_OK;
}

static DecResult
decrypt_nals (GstE2eeDec * self, const GstMapInfo * in, GstBuffer ** outbuf,
    guint64 * kid, gint * why)
{
  const gsize hs = gst_e2ee_nal_header_size (self->codec);
  gsize pos = 0, used = 0, bound = 0, written = 0;
  bool garbage = false;
  DecResult r = DEC_OK;
  GstE2eeNal nal;
  GstBuffer *out;
  GstMapInfo m;

  /* Pass 1: split, unescape, and check every KID before any counter of the
   * replay window moves, so that a frame held for its key can be retried. */
  g_array_set_size (self->nals, 0);
  while (gst_e2ee_nal_next (in->data, in->size, &pos, &nal, &garbage)) {
    NalIn n = { nal.start, nal.end, 0, 0, 0, FALSE };
    gsize len = nal.end - nal.start;
    guint64 k, ctr;
    long ul;

    if (len < hs) {
      *why = -EINVAL;
      return DEC_DROP;
    }
    n.clear = gst_e2ee_nal_is_clear (self->codec, in->data + nal.start);
    if (!n.clear) {
      gsize extra = gst_e2ee_nal_clear_len (self->codec, in->data + nal.start,
          len) - hs;

      if (!gst_e2ee_scratch_reserve (&self->scratch, used + len, used)) {
        *why = -ENOMEM;
        return DEC_DROP;
      }
      /* Unescaped: the clear slice byte (if any), then the SFrame. */
      ul = gst_e2ee_unescape (in->data + nal.start + hs, len - hs,
          self->scratch.data + used);
      if (ul < (long) extra || e2ee_sframe_header_parse (self->scratch.data +
              used + extra, (gsize) ul - extra, &k, &ctr) < 0) {
        *why = -EINVAL;
        return DEC_DROP;
      }
      n.ct_off = used + extra;
      n.ct_len = (gsize) ul - extra;
      n.md_len = hs + extra;
      used += (gsize) ul;
      if (r == DEC_OK) {
        r = check_kid (self, k, why);
        *kid = k;
      }
    }
    bound += 4 + len;
    g_array_append_val (self->nals, n);
  }
  if (garbage || self->nals->len == 0 || used == 0) {
    /* An access unit of parameter sets and delimiters only carries nothing
     * authenticated: it could be anybody's (the relay's). */
    *why = -EINVAL;
    return DEC_DROP;
  }
  if (r != DEC_OK)
    return r;

  /* Pass 2: decrypt into the output, NAL header in front of each. */
  out = gst_e2ee_out_pool_acquire (&self->out, bound);
  if (!out) {
    *why = -ENOMEM;
    return DEC_DROP;
  }
  gst_buffer_map (out, &m, GST_MAP_WRITE);
  *why = 0;
  for (guint i = 0; i < self->nals->len && !*why; i++) {
    const NalIn *n = &g_array_index (self->nals, NalIn, i);
    const guint8 *nal_data = in->data + n->start;
    gsize pt_len = 0;

    memcpy (m.data + written, "\0\0\0\1", 4);
    written += 4;
    if (n->clear) {
      memcpy (m.data + written, nal_data, n->end - n->start);
      written += n->end - n->start;
      continue;
    }
    memcpy (m.data + written, nal_data, n->md_len);
    written += n->md_len;
    /* RFC 9605 4.4.3: the clear bytes are the frame's metadata. The first
     * slice byte is the same escaped or not: escaping only inserts after
     * two zero bytes. */
    *why = e2ee_keyring_unprotect (self->ring, nal_data, n->md_len,
        self->scratch.data + n->ct_off, n->ct_len, m.data + written,
        m.size - written, &pt_len, kid, NULL);
    written += pt_len;
  }
  if (*why) {
    /* Earlier NALs of this frame are plaintext: never back into the pool. */
    e2ee_wipe (m.data, m.size);
    gst_buffer_unmap (out, &m);
    gst_buffer_unref (out);
    return DEC_DROP;
  }
  gst_buffer_unmap (out, &m);
  gst_buffer_set_size (out, (gssize) written);
  *outbuf = out;
  return DEC_OK;
}

static DecResult
decrypt_frame (GstE2eeDec * self, GstBuffer * in, GstBuffer ** out,
    guint64 * kid, gint * why)
{
  GstMapInfo m;
  DecResult r;

  *out = NULL;
  *kid = 0;
  if (!gst_buffer_map (in, &m, GST_MAP_READ)) {
    *why = -EIO;
    return DEC_DROP;
  }
  if (self->codec != GST_E2EE_CODEC_H264 && self->codec != GST_E2EE_CODEC_H265)
    r = decrypt_whole (self, &m, out, kid, why);
  else
    r = decrypt_nals (self, &m, out, kid, why);
  if (r == DEC_OK) {
    self->stats.frames++;
    self->stats.bytes += gst_buffer_get_size (*out);
  }
  gst_buffer_unmap (in, &m);
  return r;
}

static void
count_drop (GstE2eeDec * self, gint why)
{
  switch (why) {
    case -EBADMSG:
      self->stats.auth_failed++;
      break;
    case -EALREADY:
      self->stats.replayed++;
      break;
    case -EPERM:
    case -ENOKEY:
      self->stats.unknown_kid++;
      break;
    default:
      self->stats.malformed++;
      break;
  }
}

static GstClockTime
buffer_time (GstBuffer * buf)
{
  if (GST_BUFFER_DTS_IS_VALID (buf))
    return GST_BUFFER_DTS (buf);
  if (GST_BUFFER_PTS_IS_VALID (buf))
    return GST_BUFFER_PTS (buf);
  return (GstClockTime) g_get_monotonic_time () * GST_USECOND;
}

static GstE2eeHeld *
held_at (GstE2eeDec * self, guint i)
{
  return &self->held[(self->held_head + i) % GST_E2EE_HOLD_MAX];
}

static GstBuffer *
held_pop (GstE2eeDec * self)
{
  GstE2eeHeld *h = held_at (self, 0);
  GstBuffer *buf = h->buf;

  h->buf = NULL;
  self->held_head = (self->held_head + 1) % GST_E2EE_HOLD_MAX;
  self->held_len--;
  return buf;
}

static void
held_clear (GstE2eeDec * self)
{
  while (self->held_len)
    gst_buffer_unref (held_pop (self));
  self->waiting = FALSE;
}

static GstFlowReturn
gst_e2ee_dec_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  GstE2eeDec *self = GST_E2EE_DEC (trans);
  GstBuffer *evicted = NULL;
  GstE2eeHeld *h;

  g_mutex_lock (&self->lock);
  if (self->held_len == GST_E2EE_HOLD_MAX) {
    evicted = held_pop (self);
    self->stats.dropped_no_key++;
    self->stats.unknown_kid++;
  }
  h = held_at (self, self->held_len++);
  h->buf = input;
  h->ts = buffer_time (input);
  h->counted = FALSE;
  if (!GST_CLOCK_TIME_IS_VALID (self->newest_ts) || h->ts > self->newest_ts)
    self->newest_ts = h->ts;
  g_mutex_unlock (&self->lock);
  if (evicted)
    gst_buffer_unref (evicted);
  return GST_FLOW_OK;
}

typedef struct
{
  GstStructure *msg[3];
  gboolean keyframe;
} Pending;

static void
flush_pending (GstE2eeDec * self, Pending * p)
{
  for (guint i = 0; i < G_N_ELEMENTS (p->msg); i++)
    if (p->msg[i])
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_element (GST_OBJECT (self), p->msg[i]));
  if (p->keyframe) {
    GST_INFO_OBJECT (self, "asking upstream for a keyframe");
    gst_pad_push_event (GST_BASE_TRANSFORM_SINK_PAD (self),
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
            TRUE, ++self->keyframe_count));
  }
  memset (p, 0, sizeof (*p));
}

/*
 * Takes frames from the head of the queue until one can go out, or the head
 * must wait for its key. With drain, nothing waits (EOS).
 */
static GstBuffer *
next_output (GstE2eeDec * self, gboolean drain, Pending * p)
{
  const GstClockTime hold = (GstClockTime) self->key_hold_ms * GST_MSECOND;
  GstBuffer *out = NULL;
  gboolean dropped = FALSE;

  while (self->held_len && !out) {
    GstE2eeHeld *h = held_at (self, 0);
    guint64 kid = 0;
    gint why = 0;
    DecResult r = decrypt_frame (self, h->buf, &out, &kid, &why);

    if (r == DEC_OK) {
      if (self->waiting) {
        self->waiting = FALSE;
        p->msg[1] = gst_structure_new ("e2ee-resumed", "kid", G_TYPE_UINT64,
            kid, NULL);
        p->keyframe = TRUE;
      }
      gst_buffer_copy_into (out, h->buf, GST_BUFFER_COPY_FLAGS |
          GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
      gst_buffer_unref (held_pop (self));
      break;
    }
    if (r == DEC_NO_KEY) {
      /* Every frame queued behind the head waits with it. */
      for (guint i = 0; i < self->held_len; i++) {
        GstE2eeHeld *w = held_at (self, i);

        if (!w->counted) {
          w->counted = TRUE;
          self->stats.held++;
        }
      }
      if (!self->waiting || self->waiting_kid != kid) {
        self->waiting = TRUE;
        self->waiting_kid = kid;
        if (gst_e2ee_rate_ok (&self->rl, GST_E2EE_MSG_WAITING,
                G_USEC_PER_SEC))
          p->msg[0] = gst_structure_new ("e2ee-waiting-for-key", "kid",
              G_TYPE_UINT64, kid, NULL);
      }
      if (!drain && self->newest_ts - h->ts < hold)
        break;
      self->stats.dropped_no_key++;
    }
    count_drop (self, why);
    GST_DEBUG_OBJECT (self, "dropping a frame: %s", g_strerror (-why));
    if (why == -EBADMSG && gst_e2ee_rate_ok (&self->rl,
            GST_E2EE_MSG_AUTH_FAILED, G_USEC_PER_SEC))
      p->msg[2] = gst_structure_new ("e2ee-auth-failed", "auth-failed",
          G_TYPE_UINT64, self->stats.auth_failed, "replayed", G_TYPE_UINT64,
          self->stats.replayed, NULL);
    gst_buffer_unref (held_pop (self));
    dropped = TRUE;
  }
  if (dropped && gst_e2ee_rate_ok (&self->rl, GST_E2EE_MSG_KEYFRAME,
          G_USEC_PER_SEC))
    p->keyframe = TRUE;
  return out;
}

static GstFlowReturn
gst_e2ee_dec_generate_output (GstBaseTransform * trans, GstBuffer ** outbuf)
{
  GstE2eeDec *self = GST_E2EE_DEC (trans);
  Pending p = { {NULL}, FALSE };

  g_mutex_lock (&self->lock);
  *outbuf = next_output (self, FALSE, &p);
  g_mutex_unlock (&self->lock);
  flush_pending (self, &p);
  return GST_FLOW_OK;
}

static gboolean
gst_e2ee_dec_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstE2eeDec *self = GST_E2EE_DEC (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&self->lock);
      held_clear (self);
      self->newest_ts = GST_CLOCK_TIME_NONE;
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_EOS:{
      /* Whatever can be decrypted goes out; whatever still waits is dropped. */
      for (;;) {
        Pending p = { {NULL}, FALSE };
        GstBuffer *out;

        g_mutex_lock (&self->lock);
        out = next_output (self, TRUE, &p);
        g_mutex_unlock (&self->lock);
        flush_pending (self, &p);
        if (!out)
          break;
        if (gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), out) !=
            GST_FLOW_OK)
          break;
      }
      g_mutex_lock (&self->lock);
      held_clear (self);
      g_mutex_unlock (&self->lock);
      break;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_e2ee_dec_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstE2eeDec *self = GST_E2EE_DEC (trans);

  self->codec = gst_e2ee_codec_from_caps (incaps);
  return TRUE;
}

static gboolean
gst_e2ee_dec_start (GstBaseTransform * trans)
{
  GstE2eeDec *self = GST_E2EE_DEC (trans);
  GError *error = NULL;
  gint n;

  self->newest_ts = GST_CLOCK_TIME_NONE;
  if (!self->key_file)
    return TRUE;
  g_mutex_lock (&self->lock);
  n = gst_e2ee_load_key_file (self->ring, self->key_file, E2EE_KEY_RECV, NULL,
      &error);
  g_mutex_unlock (&self->lock);
  if (n < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("cannot load receive keys"), ("%s", error->message));
    g_clear_error (&error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_e2ee_dec_stop (GstBaseTransform * trans)
{
  GstE2eeDec *self = GST_E2EE_DEC (trans);

  g_mutex_lock (&self->lock);
  held_clear (self);
  g_mutex_unlock (&self->lock);
  gst_e2ee_out_pool_free (&self->out);
  return TRUE;
}

static void
gst_e2ee_dec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstE2eeDec *self = GST_E2EE_DEC (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_CIPHER_SUITE:
      self->suite = (guint16) g_value_get_enum (value);
      reset_ring (self);
      break;
    case PROP_SENDER_INDEX:
      self->sender_index = g_value_get_int (value);
      break;
    case PROP_STREAM:
      self->stream = g_value_get_enum (value);
      break;
    case PROP_REPLAY_WINDOW:
      self->replay_window = g_value_get_uint (value);
      reset_ring (self);
      break;
    case PROP_KEY_HOLD_MS:
      self->key_hold_ms = g_value_get_uint (value);
      break;
    case PROP_KEY_FILE:
      g_free (self->key_file);
      self->key_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_e2ee_dec_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstE2eeDec *self = GST_E2EE_DEC (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_CIPHER_SUITE:
      g_value_set_enum (value, self->suite);
      break;
    case PROP_SENDER_INDEX:
      g_value_set_int (value, self->sender_index);
      break;
    case PROP_STREAM:
      g_value_set_enum (value, self->stream);
      break;
    case PROP_REPLAY_WINDOW:
      g_value_set_uint (value, self->replay_window);
      break;
    case PROP_KEY_HOLD_MS:
      g_value_set_uint (value, self->key_hold_ms);
      break;
    case PROP_KEY_FILE:
      g_value_set_string (value, self->key_file);
      break;
    case PROP_STATS:
    {
      GstStructure *st = gst_e2ee_stats_to_structure (&self->stats,
          "e2eedec-stats");

      gst_structure_set (st, "wiped-bytes", G_TYPE_UINT64,
          gst_e2ee_out_pool_wiped (&self->out), NULL);
      g_value_take_boxed (value, st);
    }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_e2ee_dec_finalize (GObject * object)
{
  GstE2eeDec *self = GST_E2EE_DEC (object);

  held_clear (self);
  e2ee_keyring_clear (self->ring);
  e2ee_wipe (self->ring, sizeof (*self->ring));
  g_free (self->ring);
  gst_e2ee_scratch_free (&self->scratch);
  gst_e2ee_out_pool_free (&self->out);
  g_array_unref (self->nals);
  g_free (self->key_file);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_e2ee_dec_init (GstE2eeDec * self)
{
  g_mutex_init (&self->lock);
  self->suite = E2EE_SUITE_DEFAULT;
  self->stream = E2EE_STREAM_VIDEO;
  self->sender_index = -1;
  self->replay_window = E2EE_REPLAY_WINDOW_DEFAULT;
  self->key_hold_ms = DEFAULT_KEY_HOLD_MS;
  self->newest_ts = GST_CLOCK_TIME_NONE;
  self->ring = g_new0 (struct e2ee_keyring, 1);
  reset_ring (self);
  self->nals = g_array_sized_new (FALSE, TRUE, sizeof (NalIn), 32);
  /* Its output is plaintext: wiped when it comes back (docs/media-path.md). */
  self->out.wipe = TRUE;
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), FALSE);
}

static void
gst_e2ee_dec_class_init (GstE2eeDecClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_e2ee_dec_debug, "e2eedec", 0,
      "SFrame decryption of encoded frames");

  gobject_class->set_property = gst_e2ee_dec_set_property;
  gobject_class->get_property = gst_e2ee_dec_get_property;
  gobject_class->finalize = gst_e2ee_dec_finalize;

  g_object_class_install_property (gobject_class, PROP_CIPHER_SUITE,
      g_param_spec_enum ("cipher-suite", "Cipher suite",
          "SFrame cipher suite (RFC 9605 8.1). Setting it removes every key: "
          "set it before adding keys",
          GST_TYPE_E2EE_CIPHER_SUITE, E2EE_SUITE_DEFAULT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SENDER_INDEX,
      g_param_spec_int ("sender-index", "Sender index",
          "The remote sender whose frames this element decrypts (KID bits "
          "8-23); frames of any other sender are dropped even when a key "
          "would open them, so that a relay cannot show one participant's "
          "video in another's tile. -1: any sender", -1, 65535, -1,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_STREAM,
      g_param_spec_enum ("stream", "Stream",
          "The stream this element decrypts (KID context); frames of other "
          "streams are dropped", GST_TYPE_E2EE_STREAM, E2EE_STREAM_VIDEO,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_REPLAY_WINDOW,
      g_param_spec_uint ("replay-window", "Replay window",
          "Counters remembered per KID against replay, rounded up to a "
          "multiple of 64. Setting it removes every key",
          E2EE_REPLAY_WINDOW_MIN, E2EE_REPLAY_WINDOW_MAX,
          E2EE_REPLAY_WINDOW_DEFAULT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_KEY_HOLD_MS,
      g_param_spec_uint ("key-hold-ms", "Key hold (ms)",
          "How long a frame under an unknown KID waits for its key, in "
          "stream time (frame timestamps), before it is dropped. 0: never "
          "wait", 0, 60000, DEFAULT_KEY_HOLD_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_KEY_FILE,
      g_param_spec_string ("key-file", "Key file",
          "Path of a file of receive keys, read when the element starts: "
          "lines \"KID recv HEX\", mode 0600, owned by this user. The path is "
          "readable, the keys are not", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "frames and bytes decrypted; dropped-no-key (held past "
          "key-hold-ms), auth-failed, replayed, unknown-kid (no key, another "
          "stream or sender, or a send key), malformed, held (frames "
          "that waited for a key), and wiped-bytes (decrypted output wiped "
          "as its buffers came back to the pool)", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstE2eeDec::add-key:
   * @kid: the key id (RFC 9605 5.2 layout: stream, sender, epoch)
   * @key: the base key, 1 to 64 bytes; copied, never readable back
   * @usage: must be receive
   *
   * Frames held for this KID are decrypted with the next buffer.
   * Returns: whether the key was added.
   */
  signals[SIGNAL_ADD_KEY] = g_signal_new_class_handler ("add-key",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_e2ee_dec_add_key), NULL, NULL, NULL, G_TYPE_BOOLEAN, 3,
      G_TYPE_UINT64, G_TYPE_BYTES, GST_TYPE_E2EE_KEY_USAGE);
  /**
   * GstE2eeDec::remove-key:
   * @kid: the key to remove and wipe
   *
   * Returns: whether it was there.
   */
  signals[SIGNAL_REMOVE_KEY] = g_signal_new_class_handler ("remove-key",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_e2ee_dec_remove_key), NULL, NULL, NULL, G_TYPE_BOOLEAN,
      1, G_TYPE_UINT64);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "SFrame decrypter", "Filter/Network/E2EE",
      "Decrypts SFrame (RFC 9605) end-to-end encrypted frames", "sealroom");

  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_e2ee_dec_submit_input_buffer);
  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_e2ee_dec_generate_output);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_e2ee_dec_sink_event);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_e2ee_dec_set_caps);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_e2ee_dec_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_e2ee_dec_stop);
  trans_class->passthrough_on_same_caps = FALSE;
}
