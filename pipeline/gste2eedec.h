/* SPDX-License-Identifier: MIT */
#ifndef GST_E2EE_DEC_H
#define GST_E2EE_DEC_H

#include "gste2ee.h"

G_BEGIN_DECLS

#define GST_TYPE_E2EE_DEC (gst_e2ee_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstE2eeDec, gst_e2ee_dec, GST, E2EE_DEC,
    GstBaseTransform);

/*
 * Frames waiting for their key, oldest first; a fixed ring, no allocation.
 * At most GST_E2EE_HOLD_MAX frames and GST_E2EE_HOLD_MAX_BYTES bytes wait
 * (the oldest goes first), each at most key-hold-ms of the element's clock
 * (docs/media-path.md "Holding frames for their key").
 */
#define GST_E2EE_HOLD_MAX 64
#define GST_E2EE_HOLD_MAX_BYTES (16 * 1024 * 1024)

typedef struct
{
  GstBuffer *buf;
  GstClockTime ts;              /* arrival, on the element's clock */
  gboolean counted;             /* already counted as held */
} GstE2eeHeld;

/*
 * Per KID, for the meeting (the element's life): the last counter output
 * and when its key was last installed. Outlives the key, so that a key
 * removed and installed again does not open a replay.
 */
#define GST_E2EE_DEC_KIDS 256

typedef struct
{
  guint64 kid;
  guint64 last_ctr;             /* the highest counter output */
  guint64 installed;            /* kid_clock when last installed; 0 never */
  guint64 touched;              /* kid_clock when last used, for eviction */
  gboolean used, output_any;
} GstE2eeKidState;

typedef enum
{
  GST_E2EE_DEC_OK,
  GST_E2EE_DEC_NO_KEY,          /* hold it: the key may be on its way */
  GST_E2EE_DEC_DROP,
} GstE2eeDecResult;

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
  gsize held_bytes;
  GstE2eeKidState kids[GST_E2EE_DEC_KIDS];
  guint64 kid_clock;
  gboolean waiting;             /* the head waits for its key */
  guint64 waiting_kid;
  guint keyframe_count;

  GstE2eeCodec codec;
  GArray *nals;                 /* of NalIn (gste2eedecframe.c), reused */
  GstE2eeScratch scratch;       /* unescaped ciphertexts */
  GstE2eeOutPool out;
  GstE2eeStats stats;
  GstE2eeRateLimit rl;
};

GST_ELEMENT_REGISTER_DECLARE (e2eedec);

/* gste2eedecframe.c; called with the lock held. */
gsize gst_e2ee_dec_nal_size (void);
gboolean gst_e2ee_dec_kid_acceptable (GstE2eeDec * self, guint64 kid);
GstE2eeKidState *gst_e2ee_dec_kid_state (GstE2eeDec * self, guint64 kid,
    gboolean create);
gboolean gst_e2ee_dec_may_hold (GstE2eeDec * self, guint64 kid);
GstE2eeDecResult gst_e2ee_dec_decrypt_frame (GstE2eeDec * self,
    GstBuffer * in, GstBuffer ** out, guint64 * kid, gint * why);
gboolean gst_e2ee_dec_peek_kid (GstE2eeDec * self, GstBuffer * buf,
    guint64 * kid);

G_END_DECLS

#endif
