/* SPDX-License-Identifier: MIT */
/**
 * SECTION:element-e2eeenc
 * @title: e2eeenc
 *
 * Encrypts encoded frames with SFrame (RFC 9605), between the encoder (or
 * its parser) and the RTP payloader: the place WebRTC Insertable Streams
 * give a browser.
 *
 * H.264 and H.265 (byte-stream, one access unit per buffer) are protected NAL
 * by NAL: parameter sets and access unit delimiters stay clear, every other
 * NAL keeps its header in clear (authenticated as SFrame metadata) and its
 * payload becomes one SFrame ciphertext, escaped so that no start code can
 * appear. The stock payloaders packetize the result and an SFU still sees
 * which NAL units are IDR. An access unit that e2eedec would refuse (a clear
 * NAL unit malformed or out of its place: docs/media-path.md) is dropped,
 * counted as malformed and reported as an element error. Every other codec
 * is one SFrame ciphertext per frame.
 *
 * Keys come in through action signals and can never be read back. Without a
 * send key every frame is dropped and counted: there is no pass-through.
 * When the send key changes, e2eeenc asks its encoder for a keyframe.
 *
 * ## Example
 * |[
 * gst-launch-1.0 videotestsrc ! x264enc ! h264parse ! \
 *     e2eeenc key-file=send.keys ! rtph264pay ! udpsink port=5000
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include <gst/video/video.h>

#include <sodium.h>

#include "e2ee/secret.h"
#include "gste2eeenc.h"

GST_DEBUG_CATEGORY_STATIC (gst_e2ee_enc_debug);
#define GST_CAT_DEFAULT gst_e2ee_enc_debug

enum
{
  PROP_0,
  PROP_CIPHER_SUITE,
  PROP_SENDER_INDEX,
  PROP_STREAM,
  PROP_KEY_FILE,
  PROP_STATS,
};

enum
{
  SIGNAL_ADD_KEY,
  SIGNAL_REMOVE_KEY,
  SIGNAL_SET_SEND_KID,
  SIGNAL_SET_KEY_EXPIRY,
  LAST_SIGNAL,
};

static guint signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_E2EE_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_E2EE_CAPS));

#define gst_e2ee_enc_parent_class parent_class
G_DEFINE_TYPE (GstE2eeEnc, gst_e2ee_enc, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (e2eeenc, "e2eeenc", GST_RANK_NONE,
    GST_TYPE_E2EE_ENC);

/* One protected or clear NAL unit of the access unit being built. */
typedef struct
{
  gsize start, end;             /* in the input */
  gsize ct_off, ct_len;         /* in the scratch buffer; ct_len 0 for clear */
  gboolean clear;
} NalOut;

static gboolean
kid_matches (GstE2eeEnc * self, guint64 kid)
{
  return e2ee_kid_stream (kid) == (guint64) self->stream
      && e2ee_kid_sender (kid) == self->sender_index;
}

/*
 * A send key starts at a random counter below 2^63, never at 0: the same
 * key may be handed to e2eeenc again (a media daemon that restarts and gets
 * the epoch's keys anew, a key file used twice), and a (key, KID, CTR) must
 * never repeat (RFC 9605 9.1). Two starts collide in a window of n frames
 * with probability about n / 2^62. The cost: an 8-byte CTR in every header.
 */
static gint
random_counter_start (GstE2eeEnc * self, guint64 kid)
{
  guint64 start;

  randombytes_buf (&start, sizeof (start));
  start >>= 1;
  return e2ee_keyring_advance_send_ctr (self->ring, kid, start);
}

static gboolean
gst_e2ee_enc_add_key (GstE2eeEnc * self, guint64 kid, GBytes * key,
    gint usage)
{
  gsize len = 0;
  const guint8 *data = key ? g_bytes_get_data (key, &len) : NULL;
  gint ret;

  if (usage != E2EE_KEY_SEND || !data) {
    GST_WARNING_OBJECT (self, "e2eeenc takes send keys only");
    return FALSE;
  }
  if (!kid_matches (self, kid)) {
    GST_WARNING_OBJECT (self, "KID %" G_GUINT64_FORMAT " is not stream %d, "
        "sender %u", kid, self->stream, self->sender_index);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  ret = gst_e2ee_keyring_add_checked (self->ring, kid, E2EE_KEY_SEND, data,
      len);
  /* The same key again keeps its counter: never a second start. */
  if (ret == 0)
    ret = random_counter_start (self, kid);
  else if (ret == 1)
    ret = 0;
  g_mutex_unlock (&self->lock);
  if (ret == -EKEYREJECTED)
    /* Loud (a bus warning: the stream goes on under the first key), as
     * keeping either key silently means receivers decrypt nothing. */
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("a different key for a KID "
            "that is installed"), ("KID %" G_GUINT64_FORMAT " was installed "
            "again with another key: refused, the first one stays", kid));
  else if (ret)
    GST_WARNING_OBJECT (self, "cannot add key %" G_GUINT64_FORMAT ": %s", kid,
        g_strerror (-ret));
  return ret == 0;
}

static gboolean
gst_e2ee_enc_set_key_expiry (GstE2eeEnc * self, guint64 kid, gint64 ms)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = gst_e2ee_ring_set_expiry (self->ring, kid, ms);
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
gst_e2ee_enc_remove_key (GstE2eeEnc * self, guint64 kid)
{
  gint ret;

  g_mutex_lock (&self->lock);
  ret = e2ee_keyring_remove (self->ring, kid);
  g_mutex_unlock (&self->lock);
  return ret == 0;
}

static gboolean
gst_e2ee_enc_set_send_kid (GstE2eeEnc * self, guint64 kid)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = e2ee_keyring_has (self->ring, kid, E2EE_KEY_SEND);
  if (ok) {
    self->have_send_kid = TRUE;
    self->send_kid = kid;
  }
  g_mutex_unlock (&self->lock);
  if (!ok)
    GST_WARNING_OBJECT (self, "no send key %" G_GUINT64_FORMAT, kid);
  return ok;
}

/* Re-creates the (empty) keyring for a new suite: keys are per suite. */
static void
reset_ring (GstE2eeEnc * self)
{
  e2ee_keyring_clear (self->ring);
  if (e2ee_keyring_init (self->ring, self->suite, E2EE_REPLAY_WINDOW_MIN))
    g_assert_not_reached ();
  self->have_send_kid = FALSE;
}

static void
post_message (GstE2eeEnc * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/*
 * The whole frame is one SFrame ciphertext, after the codec's clear prefix
 * (VP8's frame header), which is its authenticated metadata.
 */
static GstBuffer *
protect_whole (GstE2eeEnc * self, const GstMapInfo * in, gint * err)
{
  long clear = gst_e2ee_clear_prefix_len (self->codec, in->data, in->size);
  GstBuffer *out;
  GstMapInfo m;
  gsize len = 0;

  if (clear < 0) {
    *err = -EBADMSG;
    return NULL;
  }
  out = gst_e2ee_out_pool_acquire (&self->out,
      in->size + E2EE_SFRAME_MAX_OVERHEAD);
  if (!out) {
    *err = -ENOMEM;
    return NULL;
  }
  gst_buffer_map (out, &m, GST_MAP_WRITE);
  memcpy (m.data, in->data, (gsize) clear);
  *err = e2ee_keyring_protect (self->ring, self->send_kid, in->data,
      (gsize) clear, in->data + clear, in->size - (gsize) clear,
      m.data + clear, m.size - (gsize) clear, &len);
  gst_buffer_unmap (out, &m);
  if (*err) {
    gst_buffer_unref (out);
    return NULL;
  }
  gst_buffer_set_size (out, (gssize) ((gsize) clear + len));
  return out;
}

/*
 * Pass 1 of protect_nals: split and validate the whole access unit before
 * any byte of it is copied out or any counter is spent. Positive checks
 * only (docs/media-path.md "What e2eeenc lets out in clear"): Annex B from
 * offset 0, nothing but zeros between NAL units, every header valid, every
 * NAL unit in its place (one delimiter at most; after the first slice
 * nothing that begins an access unit or a picture), every clear NAL well
 * formed and bounded, the clear bytes of the access unit bounded, every
 * slice long enough for its clear byte. Returns the number
 * of protected NAL units, or -EBADMSG.
 */
static gint
split_and_check (GstE2eeEnc * self, const GstMapInfo * in)
{
  gsize pos = 0, clear_bytes = 0;
  bool garbage = false;
  GstE2eeNal nal;
  GstE2eeAuPos where = { false, false };
  gint protected_nals = 0;

  g_array_set_size (self->nals, 0);
  if (!gst_e2ee_au_starts_annexb (in->data, in->size))
    return -EBADMSG;
  while (gst_e2ee_nal_next (in->data, in->size, &pos, &nal, &garbage)) {
    const guint8 *d = in->data + nal.start;
    gsize len = nal.end - nal.start;
    NalOut n = { nal.start, nal.end, 0, 0, FALSE };

    /* Never send what e2eedec refuses: a NAL unit out of its place would
     * end the access unit at the receiver's parser (docs/media-path.md
     * "Where NAL units stand"). */
    if (!gst_e2ee_nal_header_ok (self->codec, d, len)
        || !gst_e2ee_au_pos_take (self->codec, &where, d, len))
      return -EBADMSG;
    n.clear = gst_e2ee_nal_is_clear (self->codec, d);
    if (n.clear) {
      if (!gst_e2ee_clear_nal_take (self->codec, d, len, &clear_bytes))
        return -EBADMSG;
    } else {
      /* A slice without its first slice-header byte is malformed: e2eedec
       * would take a different metadata length for it. */
      if (len < gst_e2ee_nal_clear_len (self->codec, d, len)
          || protected_nals == G_MAXINT)
        return -EBADMSG;
      protected_nals++;
    }
    g_array_append_val (self->nals, n);
  }
  /* Fail closed: bytes outside NAL units, or no NAL at all, is not H.26x. */
  if (garbage || self->nals->len == 0)
    return -EBADMSG;
  return protected_nals;
}

/*
 * frame-format.md: NAL by NAL, headers clear and authenticated; each
 * protected NAL's metadata also binds it to its access unit (its index
 * among the protected NAL units and their count, docs/media-path.md).
 */
static GstBuffer *
protect_nals (GstE2eeEnc * self, const GstMapInfo * in, gint * err)
{
  const gsize hs = gst_e2ee_nal_header_size (self->codec);
  gsize used = 0, total = 0;
  gint count = split_and_check (self, in);
  guint8 ps_hash[GST_E2EE_PS_HASH_LEN];
  guint32 index = 0;
  GstBuffer *out;
  GstMapInfo m;
  guint8 *w;

  if (count < 0) {
    *err = count;
    return NULL;
  }
  gst_e2ee_ps_hash (self->codec, in->data, in->size, ps_hash);
  for (guint i = 0; i < self->nals->len; i++) {
    NalOut *n = &g_array_index (self->nals, NalOut, i);
    const guint8 *d = in->data + n->start;
    gsize len = n->end - n->start;
    guint8 md[3 + GST_E2EE_AU_TAG_LEN];
    gsize cl, extra, need, ct_len = 0;

    if (n->clear) {
      total += 4 + len;
      continue;
    }
    cl = gst_e2ee_nal_clear_len (self->codec, d, len);
    extra = cl - hs;
    need = used + extra + (len - cl) + E2EE_SFRAME_MAX_OVERHEAD;
    if (!gst_e2ee_scratch_reserve (&self->scratch, need, used)) {
      *err = -ENOMEM;
      return NULL;
    }
    memcpy (md, d, cl);
    gst_e2ee_au_tag (md + cl, index++, (guint32) count, ps_hash);
    /* What follows the header, escaped as one: the clear slice byte (if
     * any) and the SFrame ciphertext, whose metadata is every clear byte
     * and the access-unit tag. */
    memcpy (self->scratch.data + used, d + hs, extra);
    *err = e2ee_keyring_protect (self->ring, self->send_kid, md,
        cl + GST_E2EE_AU_TAG_LEN, d + cl, len - cl,
        self->scratch.data + used + extra,
        self->scratch.size - used - extra, &ct_len);
    if (*err)
      return NULL;
    n->ct_off = used;
    n->ct_len = extra + ct_len;
    used += n->ct_len;
    total += 4 + hs + gst_e2ee_escape_size (self->scratch.data + n->ct_off,
        n->ct_len);
  }
  out = gst_e2ee_out_pool_acquire (&self->out, total);
  if (!out) {
    *err = -ENOMEM;
    return NULL;
  }
  gst_buffer_map (out, &m, GST_MAP_WRITE);
  w = m.data;
  for (guint i = 0; i < self->nals->len; i++) {
    const NalOut *n = &g_array_index (self->nals, NalOut, i);

    memcpy (w, "\0\0\0\1", 4);
    w += 4;
    if (!n->clear) {
      memcpy (w, in->data + n->start, hs);
      w += hs;
      w += gst_e2ee_escape (self->scratch.data + n->ct_off, n->ct_len, w);
    } else {
      memcpy (w, in->data + n->start, n->end - n->start);
      w += n->end - n->start;
    }
  }
  g_assert ((gsize) (w - m.data) == total);
  gst_buffer_unmap (out, &m);
  *err = 0;
  return out;
}

static void
request_keyframe (GstE2eeEnc * self)
{
  GstEvent *ev = gst_video_event_new_upstream_force_key_unit
      (GST_CLOCK_TIME_NONE, TRUE, ++self->keyframe_count);

  GST_INFO_OBJECT (self, "send key changed: asking upstream for a keyframe");
  gst_pad_push_event (GST_BASE_TRANSFORM_SINK_PAD (self), ev);
}

static GstFlowReturn
gst_e2ee_enc_generate_output (GstBaseTransform * trans, GstBuffer ** outbuf)
{
  GstE2eeEnc *self = GST_E2EE_ENC (trans);
  GstBuffer *in = trans->queued_buf, *out = NULL;
  GstStructure *msg = NULL;
  gboolean keyframe = FALSE, too_big = FALSE, loud = FALSE;
  GstMapInfo m;
  gsize size;
  gint err = 0;

  *outbuf = NULL;
  if (!in)
    return GST_FLOW_OK;
  trans->queued_buf = NULL;
  if (!gst_buffer_map (in, &m, GST_MAP_READ)) {
    gst_buffer_unref (in);
    return GST_FLOW_ERROR;
  }

  g_mutex_lock (&self->lock);
  gst_e2ee_ring_expire (self->ring);
  if (!self->have_send_kid
      || !e2ee_keyring_has (self->ring, self->send_kid, E2EE_KEY_SEND)) {
    self->stats.dropped_no_key++;
    if (!self->waiting && gst_e2ee_rate_ok (&self->rl, GST_E2EE_MSG_WAITING,
            G_USEC_PER_SEC))
      msg = gst_structure_new ("e2ee-waiting-for-key", "dropped",
          G_TYPE_UINT64, self->stats.dropped_no_key, NULL);
    self->waiting = TRUE;
    goto out;
  }
  if (!self->kid_used || self->last_kid != self->send_kid) {
    /* The encoder's first frame is a keyframe anyway; but when frames were
     * dropped for want of a key, the first encrypted one need not be. */
    keyframe = self->kid_used || self->waiting;
    self->kid_used = TRUE;
    self->last_kid = self->send_kid;
  }
  if (self->waiting) {
    self->waiting = FALSE;
    msg = gst_structure_new ("e2ee-resumed", "kid", G_TYPE_UINT64,
        self->send_kid, NULL);
  }
  if (m.size == 0 || m.size > gst_e2ee_max_au_size (self->stream)) {
    /* Nothing to protect, or more than any frame of this stream may be
     * (docs/media-path.md "Sizes"): never handed to the parsers. */
    err = -EBADMSG;
    too_big = m.size > 0;
  } else if (self->codec != GST_E2EE_CODEC_H264
      && self->codec != GST_E2EE_CODEC_H265) {
    out = protect_whole (self, &m, &err);
  } else {
    out = protect_nals (self, &m, &err);
  }
  if (!out) {
    if (err == -EBADMSG) {
      self->stats.malformed++;
      loud = gst_e2ee_rate_ok (&self->rl, GST_E2EE_MSG_MALFORMED,
          G_USEC_PER_SEC);
    } else {
      self->stats.dropped_no_key++;
    }
  } else {
    self->stats.frames++;
    self->stats.bytes += m.size;
  }
out:
  g_mutex_unlock (&self->lock);
  size = m.size;
  gst_buffer_unmap (in, &m);

  if (err == -EOVERFLOW)
    GST_ELEMENT_WARNING (self, STREAM, FAILED, ("send key exhausted"),
        ("the counter of KID %" G_GUINT64_FORMAT " is spent: install a new "
            "send key", self->send_kid));
  else if (err == -EBADMSG && loud)
    /* Fail closed and say so: the whole access unit is dropped, and what
     * sends it is misconfigured (AVC under byte-stream caps) or hostile. */
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("dropped an access unit that "
            "e2eeenc cannot prove safe to send"), ("%" G_GSIZE_FORMAT
            " bytes: %s", size, too_big ? "larger than this stream's cap" :
            "empty, not Annex B from its first byte, a clear NAL unit "
            "that is malformed or too large, or a NAL unit out of its place "
            "(a second delimiter; after a slice, a parameter set, delimiter, "
            "SEI or a slice that begins a picture)"));
  else if (err == -EBADMSG)
    GST_DEBUG_OBJECT (self, "dropped a malformed access unit");
  else if (err)
    GST_WARNING_OBJECT (self, "dropping a frame: %s", g_strerror (-err));
  if (msg)
    post_message (self, msg);
  if (keyframe)
    request_keyframe (self);
  if (out) {
    /* Timestamps and flags only: metas (captions, regions) could carry
     * plaintext past the encryption. */
    gst_buffer_copy_into (out, in, GST_BUFFER_COPY_FLAGS |
        GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
    *outbuf = out;
  }
  gst_buffer_unref (in);
  return GST_FLOW_OK;
}

static gboolean
gst_e2ee_enc_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstE2eeEnc *self = GST_E2EE_ENC (trans);

  self->codec = gst_e2ee_codec_from_caps (incaps);
  return TRUE;
}

static gboolean
gst_e2ee_enc_start (GstBaseTransform * trans)
{
  GstE2eeEnc *self = GST_E2EE_ENC (trans);
  GError *error = NULL;
  guint64 first = 0;
  gint n;

  if (!self->key_file)
    return TRUE;
  g_mutex_lock (&self->lock);
  n = gst_e2ee_load_key_file (self->ring, self->key_file, E2EE_KEY_SEND,
      &first, &error);
  for (guint i = 0; n > 0 && i < E2EE_KEYRING_CAPACITY; i++)
    if (self->ring->slot[i].used && self->ring->slot[i].next_ctr == 0
        && random_counter_start (self, self->ring->slot[i].kid))
      n = -1;
  if (n > 0 && !self->have_send_kid) {
    self->have_send_kid = TRUE;
    self->send_kid = first;
  }
  g_mutex_unlock (&self->lock);
  if (n < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("cannot load send keys"),
        ("%s", error->message));
    g_clear_error (&error);
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_e2ee_enc_stop (GstBaseTransform * trans)
{
  GstE2eeEnc *self = GST_E2EE_ENC (trans);

  gst_e2ee_out_pool_free (&self->out);
  return TRUE;
}

static void
gst_e2ee_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstE2eeEnc *self = GST_E2EE_ENC (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_CIPHER_SUITE:
      self->suite = (guint16) g_value_get_enum (value);
      reset_ring (self);
      break;
    case PROP_SENDER_INDEX:
      self->sender_index = (guint16) g_value_get_uint (value);
      break;
    case PROP_STREAM:
      self->stream = g_value_get_enum (value);
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
gst_e2ee_enc_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstE2eeEnc *self = GST_E2EE_ENC (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_CIPHER_SUITE:
      g_value_set_enum (value, self->suite);
      break;
    case PROP_SENDER_INDEX:
      g_value_set_uint (value, self->sender_index);
      break;
    case PROP_STREAM:
      g_value_set_enum (value, self->stream);
      break;
    case PROP_KEY_FILE:
      g_value_set_string (value, self->key_file);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_e2ee_stats_to_structure (&self->stats,
              "e2eeenc-stats"));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_e2ee_enc_finalize (GObject * object)
{
  GstE2eeEnc *self = GST_E2EE_ENC (object);

  e2ee_keyring_clear (self->ring);
  gst_e2ee_ring_free (self->ring);
  gst_e2ee_scratch_free (&self->scratch);
  gst_e2ee_out_pool_free (&self->out);
  g_array_unref (self->nals);
  g_free (self->key_file);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_e2ee_enc_init (GstE2eeEnc * self)
{
  g_mutex_init (&self->lock);
  self->suite = E2EE_SUITE_DEFAULT;
  self->stream = E2EE_STREAM_VIDEO;
  self->ring = gst_e2ee_ring_new ();
  reset_ring (self);
  self->nals = g_array_sized_new (FALSE, TRUE, sizeof (NalOut), 32);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), FALSE);
}

static void
gst_e2ee_enc_class_init (GstE2eeEncClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_e2ee_enc_debug, "e2eeenc", 0,
      "SFrame encryption of encoded frames");

  gobject_class->set_property = gst_e2ee_enc_set_property;
  gobject_class->get_property = gst_e2ee_enc_get_property;
  gobject_class->finalize = gst_e2ee_enc_finalize;

  g_object_class_install_property (gobject_class, PROP_CIPHER_SUITE,
      g_param_spec_enum ("cipher-suite", "Cipher suite",
          "SFrame cipher suite (RFC 9605 8.1). Setting it removes every key: "
          "set it before adding keys",
          GST_TYPE_E2EE_CIPHER_SUITE, E2EE_SUITE_DEFAULT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SENDER_INDEX,
      g_param_spec_uint ("sender-index", "Sender index",
          "This room's sender index in the meeting (KID bits 8-23); send "
          "keys of other senders are refused", 0, 65535, 0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STREAM,
      g_param_spec_enum ("stream", "Stream",
          "The stream this element protects (KID context); each stream has "
          "its own keys and counters", GST_TYPE_E2EE_STREAM,
          E2EE_STREAM_VIDEO,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_KEY_FILE,
      g_param_spec_string ("key-file", "Key file",
          "Path of a file of send keys, read when the element starts: lines "
          "\"KID send HEX\", mode 0600, owned by this user. The first key is "
          "the send key unless set-send-kid chose one. The path is readable, "
          "the keys are not", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "frames, bytes, dropped-no-key (no send key, or its counter is "
          "spent), malformed (not a byte-stream access unit); auth-failed, "
          "replayed, unknown-kid and held stay 0 here",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstE2eeEnc::add-key:
   * @kid: the key id (RFC 9605 5.2 layout: stream, sender-index, epoch)
   * @key: the base key, 1 to 64 bytes; copied, never readable back
   * @usage: must be send
   *
   * Returns: whether the key was added.
   */
  signals[SIGNAL_ADD_KEY] = g_signal_new_class_handler ("add-key",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_e2ee_enc_add_key), NULL, NULL, NULL, G_TYPE_BOOLEAN, 3,
      G_TYPE_UINT64, G_TYPE_BYTES, GST_TYPE_E2EE_KEY_USAGE);
  /**
   * GstE2eeEnc::remove-key:
   * @kid: the key to remove and wipe
   *
   * Returns: whether it was there.
   */
  signals[SIGNAL_REMOVE_KEY] = g_signal_new_class_handler ("remove-key",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_e2ee_enc_remove_key), NULL, NULL, NULL, G_TYPE_BOOLEAN,
      1, G_TYPE_UINT64);
  /**
   * GstE2eeEnc::set-send-kid:
   * @kid: an added send key to protect the next frames with
   *
   * Switching asks the encoder for a keyframe. Returns: whether the key exists.
   */
  signals[SIGNAL_SET_SEND_KID] = g_signal_new_class_handler ("set-send-kid",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_e2ee_enc_set_send_kid), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_UINT64);

  /**
   * GstE2eeEnc::set-key-expiry:
   * @kid: an installed key
   * @ms: milliseconds from now after which the key is removed and wiped
   *   (0: with the next frame), or negative: no expiry
   *
   * A backstop for whoever installs keys (the key provider sets it when
   * keyxchgd goes away). Returns: whether the key exists.
   */
  signals[SIGNAL_SET_KEY_EXPIRY] = g_signal_new_class_handler ("set-key-expiry",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_e2ee_enc_set_key_expiry), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_UINT64, G_TYPE_INT64);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "SFrame encrypter", "Filter/Network/E2EE",
      "End-to-end encrypts encoded frames with SFrame (RFC 9605)",
      "sealroom");

  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_e2ee_enc_generate_output);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_e2ee_enc_set_caps);
  trans_class->start = GST_DEBUG_FUNCPTR (gst_e2ee_enc_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_e2ee_enc_stop);
  trans_class->passthrough_on_same_caps = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_E2EE_CIPHER_SUITE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_E2EE_STREAM, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_E2EE_KEY_USAGE, 0);
}
