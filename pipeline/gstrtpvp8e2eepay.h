/* SPDX-License-Identifier: MIT */
#ifndef GST_RTP_VP8_E2EE_PAY_H
#define GST_RTP_VP8_E2EE_PAY_H

#include <gst/gst.h>
#include <gst/rtp/gstrtpbasepayload.h>

G_BEGIN_DECLS

#define GST_TYPE_RTP_VP8_E2EE_PAY (gst_rtp_vp8_e2ee_pay_get_type ())
G_DECLARE_FINAL_TYPE (GstRtpVP8E2eePay, gst_rtp_vp8_e2ee_pay, GST,
    RTP_VP8_E2EE_PAY, GstRTPBasePayload);

struct _GstRtpVP8E2eePay
{
  GstRTPBasePayload parent;

  /* Guarded by the object lock: properties come from application threads. */
  gint picture_id_offset;       /* -1: random start */
  guint16 picture_id;           /* 15 bits, that of the next frame */
};

GST_ELEMENT_REGISTER_DECLARE (rtpvp8e2eepay);

G_END_DECLS

#endif
