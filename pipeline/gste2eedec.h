/* SPDX-License-Identifier: MIT */
#ifndef GST_E2EE_DEC_H
#define GST_E2EE_DEC_H

#include "gste2ee.h"

G_BEGIN_DECLS

#define GST_TYPE_E2EE_DEC (gst_e2ee_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstE2eeDec, gst_e2ee_dec, GST, E2EE_DEC,
    GstBaseTransform);

/* Frames waiting for their key, oldest first; a fixed ring, no allocation. */
#define GST_E2EE_HOLD_MAX 256

typedef struct
{
  GstBuffer *buf;
  GstClockTime ts;              /* PTS, or arrival on the monotonic clock */
  gboolean counted;             /* already counted as held */
} GstE2eeHeld;

struct _GstE2eeDec
{
  GstBaseTransform parent;

  /* Guards everything below: signals come from application threads. */
  GMutex lock;
  struct e2ee_keyring *ring;    /* owned, wiped at finalize */
  guint16 suite;
  gint sender_index;            /* -1: any sender */
  gint stream;
  guint replay_window;
  guint key_hold_ms;
  gchar *key_file;

  GstE2eeHeld held[GST_E2EE_HOLD_MAX];
  guint held_head, held_len;
  GstClockTime newest_ts;
  gboolean waiting;             /* the head waits for its key */
  guint64 waiting_kid;
  guint keyframe_count;

  GstE2eeCodec codec;
  GArray *nals;                 /* of NalIn, reused per frame */
  GstE2eeScratch scratch;       /* unescaped ciphertexts */
  GstE2eeOutPool out;
  GstE2eeStats stats;
  GstE2eeRateLimit rl;
};

GST_ELEMENT_REGISTER_DECLARE (e2eedec);

G_END_DECLS

#endif
