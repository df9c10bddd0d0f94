/* SPDX-License-Identifier: MIT */
#ifndef GST_E2EE_ENC_H
#define GST_E2EE_ENC_H

#include "gste2ee.h"

G_BEGIN_DECLS

#define GST_TYPE_E2EE_ENC (gst_e2ee_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstE2eeEnc, gst_e2ee_enc, GST, E2EE_ENC,
    GstBaseTransform);

struct _GstE2eeEnc
{
  GstBaseTransform parent;

  /* Guards everything below: signals come from application threads. */
  GMutex lock;
  struct e2ee_keyring *ring;    /* owned, wiped at finalize */
  guint16 suite;
  guint16 sender_index;
  gint stream;
  gchar *key_file;

  gboolean have_send_kid;
  guint64 send_kid;
  gboolean kid_used;            /* a frame went out under last_kid */
  guint64 last_kid;
  gboolean waiting;             /* dropping for want of a send key */
  guint keyframe_count;

  GstE2eeCodec codec;
  GArray *nals;                 /* of NalOut, reused per frame */
  GstE2eeScratch scratch;       /* ciphertexts before escaping */
  GstE2eeOutPool out;
  GstE2eeStats stats;
  GstE2eeRateLimit rl;
};

GST_ELEMENT_REGISTER_DECLARE (e2eeenc);

G_END_DECLS

#endif
