/* SPDX-License-Identifier: MIT */
/**
 * SECTION:element-rtpvp9e2eepay
 * @title: rtpvp9e2eepay
 *
 * Packetizes end-to-end encrypted VP9 frames into RTP (RFC 9628), without
 * reading a byte of them.
 *
 * The stock rtpvp9pay parses the uncompressed header of every frame (for
 * the keyframe flag and the resolution) and fails with "Failed to parse VP9
 * frame" on what e2eeenc makes of a frame: one SFrame ciphertext. Like the
 * packetizer of libwebrtc, this element takes the keyframe flag from the
 * buffer metadata the encoder set (GST_BUFFER_FLAG_DELTA_UNIT) instead, and
 * never maps the frame: each packet is a freshly allocated RTP header and
 * payload descriptor followed by a sub-buffer sharing the frame's memory.
 *
 * Each packet carries the descriptor of a stream without layers in
 * non-flexible mode (RFC 9628 4.2), as libwebrtc sends one:
 * |[
 *   |I=1|P|L=0|F=0|B|E|V|Z=0|  P on delta frames, B on the first packet of
 *   |M=1| PictureID[14:8]   |  the frame, E on its last, V see below
 *   |   PictureID[7:0]      |  one 15-bit PictureID per frame, +1 each frame
 * ]|
 * With #GstRtpVP9E2eePay:scalability-structure, the first packet of each
 * keyframe also carries a minimal scalability structure (RFC 9628 4.2.1):
 * |[
 *   |N_S=0|Y=1|G=0|0 0 0|     one spatial layer, its resolution, no PG
 *   |  WIDTH (16 bits)    |   from the sink caps
 *   |  HEIGHT (16 bits)   |
 * ]|
 * The frame is cut at the MTU, the marker bit is set on its last packet and
 * the RTP timestamp comes from its PTS. The caps (encoding-name=VP9) are
 * those of rtpvp9pay, so the stock rtpvp9depay and SFUs accept the stream.
 *
 * rtpvp9depay reads nothing of the frame but its length (at least 10
 * bytes): the P bit tells it keyframes, so the whole frame can be
 * ciphertext. Without a scalability structure its output caps have no
 * width and height, which the decoders do not need (they read the
 * resolution from the decrypted frame).
 *
 * No metas are copied onto the packets: they could carry plaintext past the
 * encryption.
 *
 * ## Example
 * |[
 * gst-launch-1.0 videotestsrc ! vp9enc ! e2eeenc key-file=send.keys ! \
 *     rtpvp9e2eepay ! udpsink port=5000
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtp/gstrtpbuffer.h>

#include "gstrtpvp9e2eepay.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtp_vp9_e2ee_pay_debug);
#define GST_CAT_DEFAULT gst_rtp_vp9_e2ee_pay_debug

/* RFC 9628 4.2: mandatory byte and 15-bit PictureID. */
#define DESCRIPTOR_LEN 3
/* RFC 9628 4.2.1: N_S|Y|G byte, one WIDTH and one HEIGHT. */
#define SS_LEN 5
#define PICTURE_ID_MASK 0x7fff

#define DEFAULT_PICTURE_ID_OFFSET -1
#define DEFAULT_SCALABILITY_STRUCTURE FALSE

enum
{
  PROP_0,
  PROP_PICTURE_ID_OFFSET,
  PROP_SCALABILITY_STRUCTURE,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-vp9"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp, media = (string) video, "
        "payload = (int) " GST_RTP_PAYLOAD_DYNAMIC_STRING ", "
        "clock-rate = (int) 90000, encoding-name = (string) VP9"));

#define gst_rtp_vp9_e2ee_pay_parent_class parent_class
G_DEFINE_TYPE (GstRtpVP9E2eePay, gst_rtp_vp9_e2ee_pay,
    GST_TYPE_RTP_BASE_PAYLOAD);
GST_ELEMENT_REGISTER_DEFINE (rtpvp9e2eepay, "rtpvp9e2eepay", GST_RANK_NONE,
    GST_TYPE_RTP_VP9_E2EE_PAY);

/* Payload bytes per packet after the RTP header and a descriptor. */
static guint
max_payload_len (GstRTPBasePayload * payload, guint desc_len, guint csrcs)
{
  guint mtu = GST_RTP_BASE_PAYLOAD_MTU (payload);
  guint overhead = gst_rtp_buffer_calc_header_len (MIN (csrcs, 15)) +
      desc_len;

  return mtu > overhead ? mtu - overhead : 0;
}

typedef struct
{
  guint16 picture_id;
  gboolean delta;
  gboolean ss;                  /* on the first packet */
} FrameInfo;

static GstBuffer *
make_packet (GstRtpVP9E2eePay * self, GstBuffer * frame,
    const FrameInfo * fi, gboolean start, gboolean last)
{
  const gboolean ss = start && fi->ss;
  GstBuffer *out;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *p;

  out = gst_rtp_base_payload_allocate_output_buffer (GST_RTP_BASE_PAYLOAD
      (self), DESCRIPTOR_LEN + (ss ? SS_LEN : 0), 0, 0);
  if (!gst_rtp_buffer_map (out, GST_MAP_WRITE, &rtp)) {
    gst_buffer_unref (out);
    return NULL;
  }
  p = gst_rtp_buffer_get_payload (&rtp);
  /* RFC 9628 4.2: I, P, B, E, V; no layer indices (L=0), non-flexible
   * (F=0) so no reference indices, Z=0. */
  p[0] = 0x80 | (fi->delta ? 0x40 : 0) | (start ? 0x08 : 0) |
      (last ? 0x04 : 0) | (ss ? 0x02 : 0);
  p[1] = 0x80 | (fi->picture_id >> 8);
  p[2] = fi->picture_id & 0xff;
  if (ss) {
    /* RFC 9628 4.2.1: N_S=0 (one spatial layer), Y=1, G=0. */
    p[3] = 0x10;
    GST_WRITE_UINT16_BE (p + 4, self->width);
    GST_WRITE_UINT16_BE (p + 6, self->height);
  }
  gst_rtp_buffer_set_marker (&rtp, last);
  gst_rtp_buffer_unmap (&rtp);

  if (last)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_MARKER);
  GST_BUFFER_PTS (out) = GST_BUFFER_PTS (frame);
  GST_BUFFER_DTS (out) = GST_BUFFER_DTS (frame);
  GST_BUFFER_DURATION (out) = GST_BUFFER_DURATION (frame);
  return out;
}

static GstFlowReturn
gst_rtp_vp9_e2ee_pay_handle_buffer (GstRTPBasePayload * payload,
    GstBuffer * buffer)
{
  GstRtpVP9E2eePay *self = GST_RTP_VP9_E2EE_PAY (payload);
  const gsize size = gst_buffer_get_size (buffer);
  FrameInfo fi = { 0, };
  GstBufferList *list;
  gsize max, max_first, offset;
  guint csrcs;

  if (size == 0) {
    GST_DEBUG_OBJECT (self, "dropping an empty buffer");
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  fi.delta = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);

  GST_OBJECT_LOCK (self);
  fi.picture_id = self->picture_id;
  self->picture_id = (fi.picture_id + 1) & PICTURE_ID_MASK;
  fi.ss = self->send_ss && !fi.delta;
  GST_OBJECT_UNLOCK (self);
  if (fi.ss && (self->width <= 0 || self->height <= 0 ||
          self->width > G_MAXUINT16 || self->height > G_MAXUINT16)) {
    GST_DEBUG_OBJECT (self, "no resolution in the caps: keyframe without "
        "scalability structure");
    fi.ss = FALSE;
  }

  csrcs = gst_rtp_base_payload_get_source_count (payload, buffer);
  max = max_payload_len (payload, DESCRIPTOR_LEN, csrcs);
  max_first = max_payload_len (payload, DESCRIPTOR_LEN +
      (fi.ss ? SS_LEN : 0), csrcs);
  if (max_first == 0) {
    GST_ELEMENT_ERROR (self, STREAM, ENCODE, (NULL),
        ("MTU %u leaves no room for payload",
            GST_RTP_BASE_PAYLOAD_MTU (payload)));
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  GST_LOG_OBJECT (self, "%s frame of %" G_GSIZE_FORMAT " bytes, picture id "
      "%u", fi.delta ? "delta" : "key", size, fi.picture_id);

  list = gst_buffer_list_new_sized ((size + max - 1) / max + 1);
  for (offset = 0; offset < size;) {
    gsize len = MIN (offset == 0 ? max_first : max, size - offset);
    gboolean last = offset + len == size;
    GstBuffer *out = make_packet (self, buffer, &fi, offset == 0, last);

    if (!out) {
      gst_buffer_list_unref (list);
      gst_buffer_unref (buffer);
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE, (NULL),
          ("cannot map an RTP buffer"));
      return GST_FLOW_ERROR;
    }
    /* Memory only: no flags, no metas from the frame. */
    out = gst_buffer_append (out, gst_buffer_copy_region (buffer,
            GST_BUFFER_COPY_MEMORY, offset, len));
    gst_buffer_list_add (list, out);
    offset += len;
  }
  gst_buffer_unref (buffer);
  return gst_rtp_base_payload_push_list (payload, list);
}

static gboolean
gst_rtp_vp9_e2ee_pay_set_caps (GstRTPBasePayload * payload, GstCaps * caps)
{
  GstRtpVP9E2eePay *self = GST_RTP_VP9_E2EE_PAY (payload);
  GstStructure *s = gst_caps_get_structure (caps, 0);

  /* Only for the scalability structure: the frame itself is not read. */
  if (!gst_structure_get_int (s, "width", &self->width))
    self->width = 0;
  if (!gst_structure_get_int (s, "height", &self->height))
    self->height = 0;

  gst_rtp_base_payload_set_options (payload, "video", TRUE, "VP9", 90000);
  return gst_rtp_base_payload_set_outcaps (payload, NULL);
}

static void
reset_picture_id (GstRtpVP9E2eePay * self)
{
  GST_OBJECT_LOCK (self);
  if (self->picture_id_offset < 0)
    self->picture_id = g_random_int_range (0, PICTURE_ID_MASK + 1);
  else
    self->picture_id = self->picture_id_offset;
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_rtp_vp9_e2ee_pay_change_state (GstElement * element,
    GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    reset_picture_id (GST_RTP_VP9_E2EE_PAY (element));
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static void
gst_rtp_vp9_e2ee_pay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtpVP9E2eePay *self = GST_RTP_VP9_E2EE_PAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PICTURE_ID_OFFSET:
      self->picture_id_offset = g_value_get_int (value);
      break;
    case PROP_SCALABILITY_STRUCTURE:
      self->send_ss = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtp_vp9_e2ee_pay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtpVP9E2eePay *self = GST_RTP_VP9_E2EE_PAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PICTURE_ID_OFFSET:
      g_value_set_int (value, self->picture_id_offset);
      break;
    case PROP_SCALABILITY_STRUCTURE:
      g_value_set_boolean (value, self->send_ss);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtp_vp9_e2ee_pay_init (GstRtpVP9E2eePay * self)
{
  self->picture_id_offset = DEFAULT_PICTURE_ID_OFFSET;
  self->send_ss = DEFAULT_SCALABILITY_STRUCTURE;
  reset_picture_id (self);
}

static void
gst_rtp_vp9_e2ee_pay_class_init (GstRtpVP9E2eePayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRTPBasePayloadClass *pay_class = GST_RTP_BASE_PAYLOAD_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_rtp_vp9_e2ee_pay_debug, "rtpvp9e2eepay", 0,
      "RTP VP9 payloader for end-to-end encrypted frames");

  gobject_class->set_property = gst_rtp_vp9_e2ee_pay_set_property;
  gobject_class->get_property = gst_rtp_vp9_e2ee_pay_get_property;

  /**
   * GstRtpVP9E2eePay:picture-id-offset:
   *
   * The PictureID (RFC 9628 4.2, 15 bits) of the first frame after the
   * element goes from READY to PAUSED; -1 picks a random one. It then grows
   * by one per frame, wrapping at 2^15. Changing it takes effect at the
   * next start only, since a jump mid-stream reads as lost frames.
   */
  g_object_class_install_property (gobject_class, PROP_PICTURE_ID_OFFSET,
      g_param_spec_int ("picture-id-offset", "Picture ID offset",
          "PictureID of the first frame (15 bits) after the element starts, "
          "-1 for a random one; then one more per frame",
          -1, PICTURE_ID_MASK, DEFAULT_PICTURE_ID_OFFSET,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRtpVP9E2eePay:scalability-structure:
   *
   * Whether the first packet of each keyframe carries a scalability
   * structure (RFC 9628 4.2.1) with the width and height of the sink caps.
   * Neither rtpvp9depay nor libwebrtc need it for a stream without layers;
   * with it rtpvp9depay puts the resolution in its output caps. It tells
   * the network the resolution, which the ciphertext otherwise hides.
   */
  g_object_class_install_property (gobject_class, PROP_SCALABILITY_STRUCTURE,
      g_param_spec_boolean ("scalability-structure", "Scalability structure",
          "Send a scalability structure with the resolution of the caps on "
          "keyframes (reveals the resolution to the network)",
          DEFAULT_SCALABILITY_STRUCTURE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "RTP VP9 payloader for encrypted frames", "Codec/Payloader/Network/RTP",
      "Puts end-to-end encrypted VP9 frames into RTP packets (RFC 9628) "
      "without parsing them", "sealroom");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_rtp_vp9_e2ee_pay_change_state);
  pay_class->handle_buffer =
      GST_DEBUG_FUNCPTR (gst_rtp_vp9_e2ee_pay_handle_buffer);
  pay_class->set_caps = GST_DEBUG_FUNCPTR (gst_rtp_vp9_e2ee_pay_set_caps);
}
