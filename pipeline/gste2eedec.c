/* SPDX-License-Identifier: MIT */
/**
 * SECTION:element-e2eedec
 * @title: e2eedec
 *
 * Decrypts SFrame-protected frames (RFC 9605) between the RTP depayloader
 * and the decoder or parser: the reverse of e2eeenc.
 *
 * It never hands undecrypted bytes downstream. Frames that do not
 * authenticate, replays (per KID, a counter not above the last one output),
 * access units cut, spliced or reordered, and frames of another stream or
 * sender are dropped and counted. H.264 / H.265 parameter sets and
 * delimiters stay clear: an access unit whose clear NAL units fail the
 * checks e2eeenc applies on send, or stand out of their place (two
 * delimiters; after a slice, anything that begins an access unit or a
 * picture), is dropped (malformed), and one whose
 * parameter sets are not the sender's fails authentication (their hash is
 * in every protected NAL unit's metadata, docs/media-path.md). A frame under the KID of the next epoch,
 * which it has no key for yet, is held for up to key-hold-ms of the
 * element's clock in case the key is on its way; frames behind it wait
 * too, so that order is kept. After drops, and when a new key lets it decrypt again,
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
/*
 * rtpjitterbuffer hands the depayloader packets in sequence order (late ones
 * are dropped, never delivered out of order), so frames reach e2eedec in
 * order and a counter not above the last one output is dropped anyway
 * (gste2eedecframe.c). The window only orders the NAL units inside an
 * access unit: the keyring's smallest, 128 counters.
 */
#define DEFAULT_REPLAY_WINDOW E2EE_REPLAY_WINDOW_MIN

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
  SIGNAL_SET_KEY_EXPIRY,
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
  if (!gst_e2ee_dec_kid_acceptable (self, kid)) {
    GST_WARNING_OBJECT (self, "KID %" G_GUINT64_FORMAT " is not of stream %d"
        " / sender %d", kid, self->stream, self->sender_index);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  ret = gst_e2ee_keyring_add_checked (self->ring, kid, E2EE_KEY_RECV, data,
      len);
  if (ret >= 0) {
    /* Its order (the last counter output) is kept from any earlier
     * install; the newest install sets the epoch frames may wait for. */
    GstE2eeKidState *st = gst_e2ee_dec_kid_state (self, kid, TRUE);

    if (st)
      st->installed = st->touched = ++self->kid_clock;
    ret = 0;
  }
  g_mutex_unlock (&self->lock);
  if (ret == -EKEYREJECTED)
    /* Loud (a bus warning: the stream goes on under the first key), as
     * keeping either key silently means decrypting nothing. */
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS, ("a different key for a KID "
            "that is installed"), ("KID %" G_GUINT64_FORMAT " was installed "
            "again with another key: refused, the first one stays", kid));
  else if (ret)
    GST_WARNING_OBJECT (self, "cannot add key %" G_GUINT64_FORMAT ": %s", kid,
        g_strerror (-ret));
  return ret == 0;
}

static gboolean
gst_e2ee_dec_set_key_expiry (GstE2eeDec * self, guint64 kid, gint64 ms)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = gst_e2ee_ring_set_expiry (self->ring, kid, ms);
  g_mutex_unlock (&self->lock);
  return ok;
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
    case -EILSEQ:
      self->stats.spliced++;
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

/*
 * Now, on the element's clock (the pipeline's), or the monotonic clock
 * outside a pipeline: never the frames' own timestamps, which whoever
 * sends them sets (docs/media-path.md "Holding frames for their key").
 */
static GstClockTime
now_ns (GstE2eeDec * self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime t;

  if (!clock)
    return (GstClockTime) g_get_monotonic_time () * GST_USECOND;
  t = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return t;
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
  self->held_bytes -= gst_buffer_get_size (buf);
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
  GstBuffer *evicted[GST_E2EE_HOLD_MAX];
  gsize size = gst_buffer_get_size (input);
  GstClockTime now = now_ns (self);
  guint n_evicted = 0;
  GstE2eeHeld *h;

  g_mutex_lock (&self->lock);
  if (size == 0 || size > gst_e2ee_max_au_size (self->stream)) {
    /* Never queued: no frame of this stream is empty or that large. */
    self->stats.malformed++;
    g_mutex_unlock (&self->lock);
    gst_buffer_unref (input);
    return GST_FLOW_OK;
  }
  /* Room by count and by bytes: the oldest waiting frames go first. */
  while (self->held_len && (self->held_len == GST_E2EE_HOLD_MAX
          || self->held_bytes + size > GST_E2EE_HOLD_MAX_BYTES)) {
    evicted[n_evicted++] = held_pop (self);
    self->stats.dropped_no_key++;
    self->stats.unknown_kid++;
  }
  h = held_at (self, self->held_len++);
  h->buf = input;
  h->ts = now;
  h->counted = FALSE;
  self->held_bytes += size;
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < n_evicted; i++)
    gst_buffer_unref (evicted[i]);
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
/*
 * Whether the frame at the head, whose key is not here, may keep waiting:
 * for at most key-hold-ms of the element's clock, only under the epoch
 * right after the newest one installed, and only while no frame under a
 * key that is here arrived behind it (the sender does not go back to an
 * older key: whatever waits then is not the sender's).
 */
static gboolean
keep_waiting (GstE2eeDec * self, GstE2eeHeld * h, guint64 kid,
    GstClockTime now, GstClockTime hold)
{
  guint64 tail_kid;

  if (!gst_e2ee_dec_may_hold (self, kid))
    return FALSE;
  if (now < h->ts || now - h->ts >= hold)
    return FALSE;
  if (self->held_len > 1 && gst_e2ee_dec_peek_kid (self,
          held_at (self, self->held_len - 1)->buf, &tail_kid)
      && gst_e2ee_dec_kid_acceptable (self, tail_kid)
      && e2ee_keyring_has (self->ring, tail_kid, E2EE_KEY_RECV))
    return FALSE;
  return TRUE;
}

static GstBuffer *
next_output (GstE2eeDec * self, gboolean drain, Pending * p)
{
  const GstClockTime hold = (GstClockTime) self->key_hold_ms * GST_MSECOND;
  const GstClockTime now = now_ns (self);
  GstBuffer *out = NULL;
  gboolean dropped = FALSE;

  while (self->held_len && !out) {
    GstE2eeHeld *h = held_at (self, 0);
    guint64 kid = 0;
    gint why = 0;
    GstE2eeDecResult r = gst_e2ee_dec_decrypt_frame (self, h->buf, &out, &kid,
        &why);

    if (r == GST_E2EE_DEC_OK) {
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
    if (r == GST_E2EE_DEC_NO_KEY) {
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
      if (!drain && keep_waiting (self, h, kid, now, hold))
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
  gst_e2ee_ring_expire (self->ring);
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

  if (!self->key_file)
    return TRUE;
  g_mutex_lock (&self->lock);
  n = gst_e2ee_load_key_file (self->ring, self->key_file, E2EE_KEY_RECV, NULL,
      &error);
  for (guint i = 0; n > 0 && i < E2EE_KEYRING_CAPACITY; i++) {
    GstE2eeKidState *st = self->ring->slot[i].used ?
        gst_e2ee_dec_kid_state (self, self->ring->slot[i].kid, TRUE) : NULL;

    if (st)
      st->installed = st->touched = ++self->kid_clock;
  }
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
  gst_e2ee_ring_free (self->ring);
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
  self->replay_window = DEFAULT_REPLAY_WINDOW;
  self->key_hold_ms = DEFAULT_KEY_HOLD_MS;
  self->ring = gst_e2ee_ring_new ();
  reset_ring (self);
  self->nals = g_array_sized_new (FALSE, TRUE, gst_e2ee_dec_nal_size (), 32);
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
          DEFAULT_REPLAY_WINDOW,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_KEY_HOLD_MS,
      g_param_spec_uint ("key-hold-ms", "Key hold (ms)",
          "How long a frame under an unknown KID waits for its key, on the "
          "element's clock (never the frames' timestamps), before it is "
          "dropped. Only the epoch after the newest installed waits, and "
          "only until a frame under a key that is here arrives. 0: never "
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
          "key-hold-ms), auth-failed, replayed (or not after the last "
          "counter output), spliced (access units cut, spliced or "
          "reordered: several KIDs or counters not in a row), unknown-kid "
          "(no key, another "
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

  /**
   * GstE2eeDec::set-key-expiry:
   * @kid: an installed key
   * @ms: milliseconds from now after which the key is removed and wiped
   *   (0: with the next frame), or negative: no expiry
   *
   * A backstop for whoever installs keys (the key provider sets it when
   * keyxchgd goes away). Returns: whether the key exists.
   */
  signals[SIGNAL_SET_KEY_EXPIRY] = g_signal_new_class_handler ("set-key-expiry",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_e2ee_dec_set_key_expiry), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_UINT64, G_TYPE_INT64);

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
