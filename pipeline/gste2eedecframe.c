/* SPDX-License-Identifier: MIT */
/*
 * What e2eedec owns per frame: which KIDs it takes, the order of counters
 * per KID over the whole meeting, and the decryption of one frame (whole,
 * or NAL by NAL with the access unit bound together). The element itself
 * (properties, signals, the hold queue) is gste2eedec.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "e2ee/secret.h"
#include "gste2eedec.h"

typedef struct
{
  gsize start, end;             /* in the input */
  gsize ct_off, ct_len;         /* unescaped, in the scratch buffer */
  gsize md_len;                 /* clear bytes: header, first slice byte */
  guint64 ctr;
  gboolean clear;
} NalIn;

gsize
gst_e2ee_dec_nal_size (void)
{
  return sizeof (NalIn);
}

/* Frames of another stream or sender are never ours, whatever the keys say. */
gboolean
gst_e2ee_dec_kid_acceptable (GstE2eeDec * self, guint64 kid)
{
  if (e2ee_kid_stream (kid) != (guint64) self->stream)
    return FALSE;
  return self->sender_index < 0
      || e2ee_kid_sender (kid) == (guint16) self->sender_index;
}

/*
 * The state of a KID that outlives its key: the last counter output, and
 * when it was last installed. A key removed and installed again (a
 * reconnected key provider) keeps its order; the table holds the meeting's
 * KIDs, the least recently used one that has no key going first when full.
 */
GstE2eeKidState *
gst_e2ee_dec_kid_state (GstE2eeDec * self, guint64 kid, gboolean create)
{
  GstE2eeKidState *victim = NULL;

  for (guint i = 0; i < GST_E2EE_DEC_KIDS; i++)
    if (self->kids[i].used && self->kids[i].kid == kid)
      return &self->kids[i];
  if (!create)
    return NULL;
  for (guint i = 0; i < GST_E2EE_DEC_KIDS && !victim; i++)
    if (!self->kids[i].used)
      victim = &self->kids[i];
  /* Full: the least recently used KID without a key makes room. */
  for (guint i = 0; i < GST_E2EE_DEC_KIDS && (!victim || victim->used); i++) {
    GstE2eeKidState *s = &self->kids[i];

    if (!e2ee_keyring_has (self->ring, s->kid, E2EE_KEY_RECV)
        && (!victim || s->touched < victim->touched))
      victim = s;
  }
  if (!victim)
    return NULL;
  memset (victim, 0, sizeof (*victim));
  victim->used = TRUE;
  victim->kid = kid;
  victim->touched = ++self->kid_clock;
  return victim;
}

/*
 * Whether a frame under kid, which has no key here, may wait for its key:
 * only the epoch right after the newest one installed for that sender
 * (a rotation whose key is on its way). Any other epoch is either over
 * or an attacker's: dropped at once.
 */
gboolean
gst_e2ee_dec_may_hold (GstE2eeDec * self, guint64 kid)
{
  const GstE2eeKidState *newest = NULL;

  for (guint i = 0; i < GST_E2EE_DEC_KIDS; i++) {
    const GstE2eeKidState *s = &self->kids[i];

    if (s->used && s->installed && (s->kid >> E2EE_KID_EPOCH_BITS) ==
        (kid >> E2EE_KID_EPOCH_BITS)
        && (!newest || s->installed > newest->installed))
      newest = s;
  }
  return !newest || (guint8) (e2ee_kid_epoch (kid) -
      e2ee_kid_epoch (newest->kid)) == 1;
}

/* Is kid a receive key here? Sets *why for the ones that never will be. */
static GstE2eeDecResult
check_kid (GstE2eeDec * self, guint64 kid, gint * why)
{
  if (!gst_e2ee_dec_kid_acceptable (self, kid)
      || e2ee_keyring_has (self->ring, kid, E2EE_KEY_SEND)) {
    *why = -EPERM;
    return GST_E2EE_DEC_DROP;
  }
  if (!e2ee_keyring_has (self->ring, kid, E2EE_KEY_RECV)) {
    *why = -ENOKEY;
    return GST_E2EE_DEC_NO_KEY;
  }
  return GST_E2EE_DEC_OK;
}

/*
 * Per KID, a frame whose first counter is not above the last one output is
 * dropped before any AES (a replay, or a reordering by the relay: the
 * jitter buffer already delivers in order). Survives re-installs.
 */
static gboolean
order_ok (GstE2eeDec * self, guint64 kid, guint64 first_ctr)
{
  const GstE2eeKidState *s = gst_e2ee_dec_kid_state (self, kid, FALSE);

  return !s || !s->output_any || first_ctr > s->last_ctr;
}

static void
order_commit (GstE2eeDec * self, guint64 kid, guint64 last_ctr)
{
  GstE2eeKidState *s = gst_e2ee_dec_kid_state (self, kid, TRUE);

  if (s) {
    s->output_any = TRUE;
    s->last_ctr = last_ctr;
    s->touched = ++self->kid_clock;
  }
}

static GstE2eeDecResult
decrypt_whole (GstE2eeDec * self, const GstMapInfo * in, GstBuffer ** outbuf,
    guint64 * kid, gint * why)
{
  long clear = gst_e2ee_clear_prefix_len (self->codec, in->data, in->size);
  const guint8 *sf;
  GstBuffer *out;
  GstMapInfo m;
  guint64 ctr;
  gsize len = 0, sf_len;
  GstE2eeDecResult r;

  if (clear < 0) {
    *why = -EINVAL;
    return GST_E2EE_DEC_DROP;
  }
  sf = in->data + clear;
  sf_len = in->size - (gsize) clear;
  if (e2ee_sframe_header_parse (sf, sf_len, kid, &ctr) < 0) {
    *why = -EINVAL;
    return GST_E2EE_DEC_DROP;
  }
  r = check_kid (self, *kid, why);
  if (r != GST_E2EE_DEC_OK)
    return r;
  if (!order_ok (self, *kid, ctr)) {
    *why = -EALREADY;
    return GST_E2EE_DEC_DROP;
  }
  out = gst_e2ee_out_pool_acquire (&self->out, in->size);
  if (!out) {
    *why = -ENOMEM;
    return GST_E2EE_DEC_DROP;
  }
  gst_buffer_map (out, &m, GST_MAP_WRITE);
  memcpy (m.data, in->data, (gsize) clear);
  /* The clear prefix is the frame's metadata: a flipped bit there fails too. */
  *why = e2ee_keyring_unprotect (self->ring, in->data, (gsize) clear, sf,
      sf_len, m.data + clear, m.size - (gsize) clear, &len, NULL, NULL);
  gst_buffer_unmap (out, &m);
  if (*why) {
    gst_buffer_unref (out);
    return GST_E2EE_DEC_DROP;
  }
  order_commit (self, *kid, ctr);
  gst_buffer_set_size (out, (gssize) ((gsize) clear + len));
  *outbuf = out;
  return GST_E2EE_DEC_OK;
}

/*
 * The protected NAL units of one access unit are one sender's, under one
 * KID, with consecutive counters (e2eeenc protects them in a row): anything
 * else was cut, spliced or reordered on the way, and is dropped before any
 * AES. Their metadata binds them too (index and count), so that a cut at
 * either end fails authentication.
 */
static gboolean
au_consistent (GstE2eeDec * self, guint64 * first_ctr, guint * count)
{
  guint n = 0;

  for (guint i = 0; i < self->nals->len; i++) {
    const NalIn *in = &g_array_index (self->nals, NalIn, i);

    if (in->clear)
      continue;
    if (n == 0)
      *first_ctr = in->ctr;
    else if (in->ctr < *first_ctr || in->ctr - *first_ctr != n)
      return FALSE;
    n++;
  }
  *count = n;
  return TRUE;
}

static GstE2eeDecResult
decrypt_nals (GstE2eeDec * self, const GstMapInfo * in, GstBuffer ** outbuf,
    guint64 * kid, gint * why)
{
  const gsize hs = gst_e2ee_nal_header_size (self->codec);
  gsize pos = 0, used = 0, bound = 0, written = 0, clear_bytes = 0;
  guint64 kid0 = 0, first_ctr = 0;
  gboolean any = FALSE, mixed = FALSE;
  bool garbage = false;
  GstE2eeAuPos where = { false, false };
  GstE2eeDecResult r;
  guint count = 0, index = 0;
  guint8 ps_hash[GST_E2EE_PS_HASH_LEN];
  GstE2eeNal nal;
  GstBuffer *out;
  GstMapInfo m;

  /* Pass 1: split, unescape, and read every KID and counter before any
   * counter of the replay window moves, so that a frame held for its key
   * can be retried. */
  g_array_set_size (self->nals, 0);
  if (!gst_e2ee_au_starts_annexb (in->data, in->size)) {
    *why = -EINVAL;
    return GST_E2EE_DEC_DROP;
  }
  while (gst_e2ee_nal_next (in->data, in->size, &pos, &nal, &garbage)) {
    NalIn n = { nal.start, nal.end, 0, 0, 0, 0, FALSE };
    gsize len = nal.end - nal.start;
    guint64 k;
    long ul;

    /* Each NAL unit in its place, as e2eeenc sends it: a relay's delimiter
     * or copied parameter set between two slices would make h264parse end
     * the access unit there, and the decoder show one authenticated
     * picture as two (docs/media-path.md "Where NAL units stand"). */
    if (!gst_e2ee_nal_header_ok (self->codec, in->data + nal.start, len)
        || !gst_e2ee_au_pos_take (self->codec, &where, in->data + nal.start,
            len)) {
      *why = -EINVAL;
      return GST_E2EE_DEC_DROP;
    }
    n.clear = gst_e2ee_nal_is_clear (self->codec, in->data + nal.start);
    /* Clear NAL units are not decrypted but parsed downstream (h264parse,
     * the decoder), in this process: they pass what e2eeenc checks before
     * it lets them out, or the whole access unit goes (docs/media-path.md
     * "What e2eedec lets through in clear"). */
    if (n.clear && !gst_e2ee_clear_nal_take (self->codec, in->data + nal.start,
            len, &clear_bytes)) {
      *why = -EINVAL;
      return GST_E2EE_DEC_DROP;
    }
    if (!n.clear) {
      gsize extra = gst_e2ee_nal_clear_len (self->codec, in->data + nal.start,
          len) - hs;

      if (!gst_e2ee_scratch_reserve (&self->scratch, used + len, used)) {
        *why = -ENOMEM;
        return GST_E2EE_DEC_DROP;
      }
      /* Unescaped: the clear slice byte (if any), then the SFrame. */
      ul = gst_e2ee_unescape (in->data + nal.start + hs, len - hs,
          self->scratch.data + used);
      if (ul < (long) extra || e2ee_sframe_header_parse (self->scratch.data +
              used + extra, (gsize) ul - extra, &k, &n.ctr) < 0) {
        *why = -EINVAL;
        return GST_E2EE_DEC_DROP;
      }
      n.ct_off = used + extra;
      n.ct_len = (gsize) ul - extra;
      n.md_len = hs + extra;
      used += (gsize) ul;
      if (!any)
        kid0 = k;
      else if (k != kid0)
        mixed = TRUE;           /* two KIDs in one access unit */
      any = TRUE;
    }
    bound += 4 + len;
    g_array_append_val (self->nals, n);
  }
  if (garbage || self->nals->len == 0 || !any) {
    /* An access unit of parameter sets and delimiters only carries nothing
     * authenticated: it could be anybody's (the relay's). */
    *why = -EINVAL;
    return GST_E2EE_DEC_DROP;
  }
  if (mixed || !au_consistent (self, &first_ctr, &count)) {
    *why = -EILSEQ;
    return GST_E2EE_DEC_DROP;
  }
  *kid = kid0;
  r = check_kid (self, kid0, why);
  if (r != GST_E2EE_DEC_OK)
    return r;
  if (!order_ok (self, kid0, first_ctr)) {
    *why = -EALREADY;
    return GST_E2EE_DEC_DROP;
  }

  /* The parameter sets as received: one the relay wrote, changed, dropped
   * or took from another access unit makes every protected NAL unit fail
   * authentication (copies and order do not count). */
  gst_e2ee_ps_hash (self->codec, in->data, in->size, ps_hash);

  /* Pass 2: decrypt into the output, NAL header in front of each. */
  out = gst_e2ee_out_pool_acquire (&self->out, bound);
  if (!out) {
    *why = -ENOMEM;
    return GST_E2EE_DEC_DROP;
  }
  gst_buffer_map (out, &m, GST_MAP_WRITE);
  *why = 0;
  for (guint i = 0; i < self->nals->len && !*why; i++) {
    const NalIn *n = &g_array_index (self->nals, NalIn, i);
    const guint8 *nal_data = in->data + n->start;
    guint8 md[3 + GST_E2EE_AU_TAG_LEN];
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
    /* RFC 9605 4.4.3: the clear bytes and the access-unit tag are the
     * frame's metadata. The first slice byte is the same escaped or not:
     * escaping only inserts after two zero bytes. */
    memcpy (md, nal_data, n->md_len);
    gst_e2ee_au_tag (md + n->md_len, index++, count, ps_hash);
    *why = e2ee_keyring_unprotect (self->ring, md,
        n->md_len + GST_E2EE_AU_TAG_LEN, self->scratch.data + n->ct_off,
        n->ct_len, m.data + written, m.size - written, &pt_len, NULL, NULL);
    written += pt_len;
  }
  if (*why) {
    /* Earlier NALs of this frame are plaintext: never back into the pool. */
    e2ee_wipe (m.data, m.size);
    gst_buffer_unmap (out, &m);
    gst_buffer_unref (out);
    return GST_E2EE_DEC_DROP;
  }
  order_commit (self, kid0, first_ctr + count - 1);
  gst_buffer_unmap (out, &m);
  gst_buffer_set_size (out, (gssize) written);
  *outbuf = out;
  return GST_E2EE_DEC_OK;
}

GstE2eeDecResult
gst_e2ee_dec_decrypt_frame (GstE2eeDec * self, GstBuffer * in,
    GstBuffer ** out, guint64 * kid, gint * why)
{
  GstE2eeDecResult r;
  GstMapInfo m;

  *out = NULL;
  *kid = 0;
  if (!gst_buffer_map (in, &m, GST_MAP_READ)) {
    *why = -EIO;
    return GST_E2EE_DEC_DROP;
  }
  if (m.size == 0 || m.size > gst_e2ee_max_au_size (self->stream)) {
    *why = -EINVAL;
    r = GST_E2EE_DEC_DROP;
  } else if (self->codec != GST_E2EE_CODEC_H264
      && self->codec != GST_E2EE_CODEC_H265) {
    r = decrypt_whole (self, &m, out, kid, why);
  } else {
    r = decrypt_nals (self, &m, out, kid, why);
  }
  if (r == GST_E2EE_DEC_OK) {
    self->stats.frames++;
    self->stats.bytes += gst_buffer_get_size (*out);
  }
  gst_buffer_unmap (in, &m);
  return r;
}

/*
 * The KID of a frame without decrypting it (the first protected NAL's for
 * H.26x), for the hold: FALSE when it has none that parses.
 */
gboolean
gst_e2ee_dec_peek_kid (GstE2eeDec * self, GstBuffer * buf, guint64 * kid)
{
  const gsize hs = gst_e2ee_nal_header_size (self->codec);
  gboolean found = FALSE;
  bool garbage = false;
  GstE2eeNal nal;
  gsize pos = 0;
  GstMapInfo m;
  guint64 ctr;

  if (!gst_buffer_map (buf, &m, GST_MAP_READ))
    return FALSE;
  if (self->codec != GST_E2EE_CODEC_H264 && self->codec != GST_E2EE_CODEC_H265) {
    long clear = gst_e2ee_clear_prefix_len (self->codec, m.data, m.size);

    found = clear >= 0 && e2ee_sframe_header_parse (m.data + clear,
        m.size - (gsize) clear, kid, &ctr) > 0;
  } else {
    while (!found && gst_e2ee_nal_next (m.data, m.size, &pos, &nal,
            &garbage)) {
      const guint8 *d = m.data + nal.start;
      gsize len = nal.end - nal.start, extra;
      guint8 head[40];
      long ul;

      if (len <= hs || gst_e2ee_nal_is_clear (self->codec, d))
        continue;
      extra = gst_e2ee_nal_clear_len (self->codec, d, len) - hs;
      ul = gst_e2ee_unescape (d + hs, MIN (len - hs, 32), head);
      found = ul > (long) extra && e2ee_sframe_header_parse (head + extra,
          (gsize) ul - extra, kid, &ctr) > 0;
      break;
    }
  }
  gst_buffer_unmap (buf, &m);
  return found;
}
