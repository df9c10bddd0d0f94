/* SPDX-License-Identifier: MIT */
/*
 * What e2eeenc and e2eedec share: caps, enums, the keyring behind a lock,
 * statistics, the output buffer pool, key files, rate-limited bus messages.
 */
#ifndef GST_E2EE_H
#define GST_E2EE_H

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

#include "e2ee/keyring.h"
#include "gste2eenal.h"

G_BEGIN_DECLS

#define GST_E2EE_CAPS \
  "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au; " \
  "video/x-h265, stream-format=(string)byte-stream, alignment=(string)au; " \
  "audio/x-opus; video/x-vp8; video/x-vp9; video/x-av1"

#define GST_TYPE_E2EE_CIPHER_SUITE (gst_e2ee_cipher_suite_get_type ())
#define GST_TYPE_E2EE_STREAM (gst_e2ee_stream_get_type ())
#define GST_TYPE_E2EE_KEY_USAGE (gst_e2ee_key_usage_get_type ())
GType gst_e2ee_cipher_suite_get_type (void);
GType gst_e2ee_stream_get_type (void);
GType gst_e2ee_key_usage_get_type (void);

typedef struct
{
  guint64 frames;               /* frames out */
  guint64 bytes;                /* payload bytes in those frames */
  guint64 dropped_no_key;       /* e2eeenc: no send key; e2eedec: held past key-hold-ms */
  guint64 auth_failed;
  guint64 replayed;
  guint64 unknown_kid;
  guint64 held;                 /* frames that waited for their key */
  guint64 malformed;            /* frames that are not the caps' format */
  guint64 spliced;              /* e2eedec: access units cut or spliced */
} GstE2eeStats;

GstStructure *gst_e2ee_stats_to_structure (const GstE2eeStats * stats,
    const gchar * name);

GstE2eeCodec gst_e2ee_codec_from_caps (GstCaps * caps);

/* Grows and never shrinks, so that steady state allocates nothing. Wiped when freed. */
typedef struct
{
  guint8 *data;
  gsize size;
} GstE2eeScratch;

/* Makes room for size bytes, keeping the first `keep` bytes. */
gboolean gst_e2ee_scratch_reserve (GstE2eeScratch * s, gsize size, gsize keep);
void gst_e2ee_scratch_free (GstE2eeScratch * s);

/*
 * Output buffers from a pool sized to the largest frame seen so far (grown
 * by half again when a larger one comes), resized to what was written.
 *
 * With wipe set (e2eedec, whose output is plaintext; docs/media-path.md
 * "Wiping decrypted frames"), every buffer is wiped when it comes back to
 * the pool, as far as it was written, and its memory wholly when freed
 * (pool teardown, growth, a buffer the pool discards), whoever drops it
 * last. wiped counts the bytes wiped on return, by pools already freed.
 */
typedef struct
{
  GstBufferPool *pool;
  gsize buffer_size;
  gboolean wipe;
  guint64 wiped;
} GstE2eeOutPool;

GstBuffer *gst_e2ee_out_pool_acquire (GstE2eeOutPool * p, gsize size);
void gst_e2ee_out_pool_free (GstE2eeOutPool * p);
/* Bytes wiped on return so far, by this element's pools. */
guint64 gst_e2ee_out_pool_wiped (GstE2eeOutPool * p);

/*
 * The elements' keyring, zeroed, in pages of its own left out of core dumps
 * (MADV_DONTDUMP); wiped and unmapped by _free. Aborts when memory is out
 * (at element creation, like g_new).
 */
struct e2ee_keyring *gst_e2ee_ring_new (void);
void gst_e2ee_ring_free (struct e2ee_keyring *ring);

/*
 * The "set-key-expiry" action of both elements: kid goes ms from now (0:
 * at the next frame), or never again when ms is negative. The elements
 * call gst_e2ee_ring_expire with every frame. Returns whether kid is there.
 */
gboolean gst_e2ee_ring_set_expiry (struct e2ee_keyring *ring, guint64 kid,
    gint64 ms);
/* Removes (and wipes) the keys whose time is up; returns how many. */
guint gst_e2ee_ring_expire (struct e2ee_keyring *ring);

/* Monotonic milliseconds, the keyring's clock for expiry. */
guint64 gst_e2ee_now_ms (void);

/*
 * Loads a key file: lines "KID send|recv HEX" ('#' starts a comment), the
 * file owned by this user and not readable by group or others (0600). Keys
 * of the other usage than `want` are refused. Returns the number of keys
 * added, or -1 with *error set.
 */
gint gst_e2ee_load_key_file (struct e2ee_keyring *ring, const gchar * path,
    enum e2ee_key_usage want, guint64 * first_kid, GError ** error);

/* Element messages at most once per interval per kind. */
typedef struct
{
  gint64 last_us[8];
} GstE2eeRateLimit;

enum
{
  GST_E2EE_MSG_WAITING = 0,
  GST_E2EE_MSG_RESUMED,
  GST_E2EE_MSG_AUTH_FAILED,
  GST_E2EE_MSG_KEYFRAME,
  GST_E2EE_MSG_MALFORMED,
  GST_E2EE_MSG_REKEYED,
};

/*
 * The largest frame (access unit) either element takes, per stream
 * (docs/media-path.md "Sizes"): 8 MiB of video or content (a 4K keyframe at
 * 20 Mbit/s is about 1 MB), 64 KiB of audio (an Opus packet is at most
 * 1275 bytes per 20 ms, 6 frames at most).
 */
#define GST_E2EE_MAX_AU_VIDEO (8 * 1024 * 1024)
#define GST_E2EE_MAX_AU_AUDIO (64 * 1024)

static inline gsize
gst_e2ee_max_au_size (gint stream)
{
  return stream == E2EE_STREAM_AUDIO ? GST_E2EE_MAX_AU_AUDIO :
      GST_E2EE_MAX_AU_VIDEO;
}

/*
 * Adds a key, or checks a re-install: 0 added, 1 the same key was there
 * already (kept, with its counter or replay state), -EKEYREJECTED another
 * key under that KID (a loud error for the caller: one of the two sides
 * would encrypt or decrypt nothing), or e2ee_keyring_add's error. The keys
 * are compared in constant time.
 */
gint gst_e2ee_keyring_add_checked (struct e2ee_keyring *ring, guint64 kid,
    enum e2ee_key_usage usage, const guint8 * key, gsize len);

gboolean gst_e2ee_rate_ok (GstE2eeRateLimit * r, gint kind,
    gint64 interval_us);

G_END_DECLS

#endif
