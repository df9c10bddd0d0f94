/* SPDX-License-Identifier: MIT */
/**
 * SECTION:element-rtpvp8e2eepay
 * @title: rtpvp8e2eepay
 *
 * Packetizes end-to-end encrypted VP8 frames into RTP (RFC 7741), without
 * reading a byte of them.
 *
 * The stock rtpvp8pay parses every frame: it bool-decodes the first
 * partition to find the partition boundaries, and fails with "Failed to
 * parse VP8 frame" on what e2eeenc makes of a frame (a few clear header
 * bytes and then SFrame ciphertext). Like the packetizer of libwebrtc, this
 * element takes what the descriptor needs from the buffer metadata the
 * encoder set instead: keyframe or not (GST_BUFFER_FLAG_DELTA_UNIT), and
 * droppable or not (GST_BUFFER_FLAG_DROPPABLE). It never maps the frame:
 * each packet is a freshly allocated RTP header and payload descriptor
 * followed by a sub-buffer sharing the frame's memory.
 *
 * Each packet carries the 4-byte payload descriptor libwebrtc sends for a
 * stream without temporal layers (RFC 7741 4.2):
 * |[
 *   |X=1|R=0|N|S|R=0|PID=0|   S on the first packet of the frame only,
 *   |I=1|L=0|T=0|K=0|RSV=0|   N on droppable delta frames only
 *   |M=1| PictureID[14:8] |   one 15-bit PictureID per frame, +1 each frame
 *   |   PictureID[7:0]    |
 * ]|
 * The frame is cut at the MTU, the marker bit is set on its last packet and
 * the RTP timestamp comes from its PTS. The caps (encoding-name=VP8) are
 * those of rtpvp8pay, so the stock rtpvp8depay and SFUs accept the stream.
 *
 * rtpvp8depay reads the first bytes of the reassembled frame: the low bit
 * of byte 0 (the VP8 frame tag's "not a keyframe" flag) on every frame, and
 * the profile and dimensions (bytes 0 and 6 to 9) of keyframes for its
 * caps; frames shorter than 10 bytes are dropped. This is why e2eeenc keeps
 * the first 10 bytes of a VP8 keyframe and the first 3 of a delta frame in
 * clear (as libwebrtc's and LiveKit's encrypted transforms do).
 *
 * No metas are copied onto the packets: they could carry plaintext past the
 * encryption.
 *
 * ## Example
 * |[
 * gst-launch-1.0 videotestsrc ! vp8enc ! e2eeenc key-file=send.keys ! \
 *     rtpvp8e2eepay ! udpsink port=5000
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtp/gstrtpbuffer.h>

#include "gstrtpvp8e2eepay.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtp_vp8_e2ee_pay_debug);
#define GST_CAT_DEFAULT gst_rtp_vp8_e2ee_pay_debug

/* RFC 7741 4.2: mandatory byte, X byte, 15-bit PictureID. */
#define DESCRIPTOR_LEN 4
#define PICTURE_ID_MASK 0x7fff

#define DEFAULT_PICTURE_ID_OFFSET -1

enum
{
  PROP_0,
  PROP_PICTURE_ID_OFFSET,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-vp8"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp, media = (string) video, "
        "payload = (int) " GST_RTP_PAYLOAD_DYNAMIC_STRING ", "
        "clock-rate = (int) 90000, encoding-name = (string) VP8"));

#define gst_rtp_vp8_e2ee_pay_parent_class parent_class
G_DEFINE_TYPE (GstRtpVP8E2eePay, gst_rtp_vp8_e2ee_pay,
    GST_TYPE_RTP_BASE_PAYLOAD);
GST_ELEMENT_REGISTER_DEFINE (rtpvp8e2eepay, "rtpvp8e2eepay", GST_RANK_NONE,
    GST_TYPE_RTP_VP8_E2EE_PAY);

/* Payload bytes per packet after the RTP header and a descriptor. */
static guint
max_payload_len (GstRTPBasePayload * payload, guint desc_len, guint csrcs)
{
  guint mtu = GST_RTP_BASE_PAYLOAD_MTU (payload);
  guint overhead = gst_rtp_buffer_calc_header_len (MIN (csrcs, 15)) +
      desc_len;

  return mtu > overhead ? mtu - overhead : 0;
}

static GstBuffer *
make_packet (GstRtpVP8E2eePay * self, GstBuffer * frame, guint16 picture_id,
    gboolean start, gboolean last, gboolean droppable)
{
  GstBuffer *out;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *p;

  out = gst_rtp_base_payload_allocate_output_buffer (GST_RTP_BASE_PAYLOAD
      (self), DESCRIPTOR_LEN, 0, 0);
  if (!gst_rtp_buffer_map (out, GST_MAP_WRITE, &rtp)) {
    gst_buffer_unref (out);
    return NULL;
  }
  p = gst_rtp_buffer_get_payload (&rtp);
  /* RFC 7741 4.2: PID 0 throughout, since partition boundaries are inside
   * the ciphertext; S only where the frame starts (4.4). */
  p[0] = 0x80 | (droppable ? 0x20 : 0) | (start ? 0x10 : 0);
  p[1] = 0x80;
  p[2] = 0x80 | (picture_id >> 8);
  p[3] = picture_id & 0xff;
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
gst_rtp_vp8_e2ee_pay_handle_buffer (GstRTPBasePayload * payload,
    GstBuffer * buffer)
{
  GstRtpVP8E2eePay *self = GST_RTP_VP8_E2EE_PAY (payload);
  const gsize size = gst_buffer_get_size (buffer);
  const gboolean delta = GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  /* RFC 7741 4.2 N: only what the encoder said; a keyframe never is. */
  const gboolean droppable = delta && GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DROPPABLE);
  GstBufferList *list;
  guint16 picture_id;
  gsize max, offset;

  if (size == 0) {
    GST_DEBUG_OBJECT (self, "dropping an empty buffer");
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  max = max_payload_len (payload, DESCRIPTOR_LEN,
      gst_rtp_base_payload_get_source_count (payload, buffer));
  if (max == 0) {
    GST_ELEMENT_ERROR (self, STREAM, ENCODE, (NULL),
        ("MTU %u leaves no room for payload",
            GST_RTP_BASE_PAYLOAD_MTU (payload)));
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  GST_OBJECT_LOCK (self);
  picture_id = self->picture_id;
  self->picture_id = (picture_id + 1) & PICTURE_ID_MASK;
  GST_OBJECT_UNLOCK (self);

  GST_LOG_OBJECT (self, "%s frame of %" G_GSIZE_FORMAT " bytes, picture id "
      "%u", delta ? "delta" : "key", size, picture_id);

  list = gst_buffer_list_new_sized ((size + max - 1) / max);
  for (offset = 0; offset < size;) {
    gsize len = MIN (max, size - offset);
    gboolean last = offset + len == size;
    GstBuffer *out = make_packet (self, buffer, picture_id, offset == 0,
        last, droppable);

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
gst_rtp_vp8_e2ee_pay_set_caps (GstRTPBasePayload * payload, GstCaps * caps)
{
  gst_rtp_base_payload_set_options (payload, "video", TRUE, "VP8", 90000);
  return gst_rtp_base_payload_set_outcaps (payload, NULL);
}

static void
reset_picture_id (GstRtpVP8E2eePay * self)
{
  GST_OBJECT_LOCK (self);
  if (self->picture_id_offset < 0)
    self->picture_id = g_random_int_range (0, PICTURE_ID_MASK + 1);
  else
    self->picture_id = self->picture_id_offset;
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_rtp_vp8_e2ee_pay_change_state (GstElement * element,
    GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    reset_picture_id (GST_RTP_VP8_E2EE_PAY (element));
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static void
gst_rtp_vp8_e2ee_pay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtpVP8E2eePay *self = GST_RTP_VP8_E2EE_PAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PICTURE_ID_OFFSET:
      self->picture_id_offset = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtp_vp8_e2ee_pay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtpVP8E2eePay *self = GST_RTP_VP8_E2EE_PAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PICTURE_ID_OFFSET:
      g_value_set_int (value, self->picture_id_offset);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtp_vp8_e2ee_pay_init (GstRtpVP8E2eePay * self)
{
  self->picture_id_offset = DEFAULT_PICTURE_ID_OFFSET;
  reset_picture_id (self);
}

static void
gst_rtp_vp8_e2ee_pay_class_init (GstRtpVP8E2eePayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRTPBasePayloadClass *pay_class = GST_RTP_BASE_PAYLOAD_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_rtp_vp8_e2ee_pay_debug, "rtpvp8e2eepay", 0,
      "RTP VP8 payloader for end-to-end encrypted frames");

  gobject_class->set_property = gst_rtp_vp8_e2ee_pay_set_property;
  gobject_class->get_property = gst_rtp_vp8_e2ee_pay_get_property;

  /**
   * GstRtpVP8E2eePay:picture-id-offset:
   *
   * The PictureID (RFC 7741 4.2, 15 bits) of the first frame after the
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

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "RTP VP8 payloader for encrypted frames", "Codec/Payloader/Network/RTP",
      "Puts end-to-end encrypted VP8 frames into RTP packets (RFC 7741) "
      "without parsing them", "sealroom");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_rtp_vp8_e2ee_pay_change_state);
  pay_class->handle_buffer =
      GST_DEBUG_FUNCPTR (gst_rtp_vp8_e2ee_pay_handle_buffer);
  pay_class->set_caps = GST_DEBUG_FUNCPTR (gst_rtp_vp8_e2ee_pay_set_caps);
}
