/* SPDX-License-Identifier: MIT */
/* NAL splitting and escaping for e2eeenc / e2eedec (frame-format.md). */
#include <string.h>

#include <sodium.h>

#include "gste2eenal.h"

/* Position of the next 00 00 01 at or after from, or size. */
static size_t
find_start_code (const uint8_t * d, size_t size, size_t from)
{
  size_t i = from;

  while (i + 3 <= size) {
    const uint8_t *z = memchr (d + i + 2, 0x01, size - i - 2);

    if (!z)
      return size;
    i = (size_t) (z - d) - 2;
    if (d[i] == 0 && d[i + 1] == 0)
      return i;
    i += 1;
  }
  return size;
}

bool
gst_e2ee_nal_next (const uint8_t * data, size_t size, size_t * pos,
    GstE2eeNal * nal, bool * garbage)
{
  size_t sc = find_start_code (data, size, *pos), next, end;

  /* Only zero bytes (leading_zero_8bits, trailing_zero_8bits) may lie
   * between NAL units and before the first one. */
  for (size_t i = *pos; i < sc; i++)
    if (data[i] != 0)
      *garbage = true;
  if (sc >= size) {
    *pos = size;
    return false;
  }
  nal->start = sc + 3;
  next = find_start_code (data, size, nal->start);
  end = next;
  while (end > nal->start && data[end - 1] == 0)
    end--;
  nal->end = end;
  *pos = end;
  return true;
}

long
gst_e2ee_clear_prefix_len (GstE2eeCodec codec, const uint8_t * data,
    size_t size)
{
  size_t n;

  if (codec != GST_E2EE_CODEC_VP8)
    return 0;
  if (size < 1)
    return -1;
  /* RFC 6386 9.1: bit 0 of the frame tag is 0 on keyframes. */
  n = (data[0] & 1) == 0 ? 10 : 3;
  return size < n ? -1 : (long) n;
}

bool
gst_e2ee_nal_is_vcl (GstE2eeCodec codec, const uint8_t * hdr)
{
  if (codec == GST_E2EE_CODEC_H264)
    return (hdr[0] & 0x1f) >= 1 && (hdr[0] & 0x1f) <= 5;
  return ((hdr[0] >> 1) & 0x3f) <= 31;
}

size_t
gst_e2ee_nal_clear_len (GstE2eeCodec codec, const uint8_t * nal, size_t len)
{
  size_t hs = gst_e2ee_nal_header_size (codec);

  (void) len;
  return gst_e2ee_nal_is_vcl (codec, nal) ? hs + 1 : hs;
}

bool
gst_e2ee_au_starts_annexb (const uint8_t * d, size_t size)
{
  if (size >= 3 && d[0] == 0 && d[1] == 0 && d[2] == 1)
    return true;
  return size >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 1;
}

bool
gst_e2ee_nal_header_ok (GstE2eeCodec codec, const uint8_t * nal, size_t len)
{
  unsigned int type;

  if (len < gst_e2ee_nal_header_size (codec) || (nal[0] & 0x80))
    return false;
  if (codec == GST_E2EE_CODEC_H264) {
    /* H.264 Table 7-1: 0 and 24..31 are unspecified. */
    type = nal[0] & 0x1f;
    return type >= 1 && type <= 23;
  }
  /* H.265 Table 7-1: 41..47 reserved, 48..63 unspecified; 7.4.2.2. */
  type = (nal[0] >> 1) & 0x3f;
  return type <= 40 && (nal[0] & 1) == 0 && (nal[1] >> 3) == 0
      && (nal[1] & 7) != 0;
}

/* Emulation prevention as H.264 / H.265 7.4.1 require it inside a NAL unit. */
static bool
escaping_ok (const uint8_t * d, size_t len)
{
  size_t zeros = 0;

  for (size_t i = 0; i < len; i++) {
    if (zeros >= 2) {
      if (d[i] <= 2)
        return false;
      if (d[i] == 3) {
        if (i + 1 < len && d[i + 1] > 3)
          return false;
        zeros = 0;
        continue;
      }
    }
    zeros = d[i] ? 0 : zeros + 1;
  }
  return true;
}

/* A bit reader over an RBSP (emulation prevention removed). */
typedef struct
{
  const uint8_t *d;
  size_t len, bit;
} Bits;

static bool
read_bits (Bits * b, unsigned int n, uint32_t * v)
{
  *v = 0;
  for (unsigned int i = 0; i < n; i++, b->bit++) {
    if (b->bit >= 8 * b->len)
      return false;
    *v = (*v << 1) | ((b->d[b->bit / 8] >> (7 - b->bit % 8)) & 1);
  }
  return true;
}

/* ue(v), up to max. */
static bool
read_ue (Bits * b, uint32_t max, uint32_t * v)
{
  unsigned int zeros = 0;
  uint32_t bit = 0, rest;

  while (read_bits (b, 1, &bit) && !bit)
    if (++zeros > 16)
      return false;
  if (!bit || !read_bits (b, zeros, &rest))
    return false;
  *v = (1u << zeros) - 1 + rest;
  return *v <= max;
}

static bool
in_list (unsigned int v, const uint8_t * list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (list[i] == v)
      return true;
  return false;
}

/* The first fields of a parameter set, from its RBSP after the header. */
static bool
param_set_ok (GstE2eeCodec codec, unsigned int type, const uint8_t * r,
    size_t len)
{
  /* H.264 A.2 profile_idc and Table A-1 level_idc values. */
  static const uint8_t profiles[] = { 66, 77, 88, 100, 110, 122, 244, 44, 83,
    86, 118, 128, 138, 139, 134, 135
  };
  static const uint8_t levels[] = { 9, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32,
    40, 41, 42, 50, 51, 52, 60, 61, 62
  };
  Bits b = { r, len, 0 };
  uint32_t v;

  if (codec == GST_E2EE_CODEC_H264 && type == 7)        /* 7.3.2.1.1 */
    return len >= 4 && in_list (r[0], profiles, sizeof (profiles))
        && (r[1] & 0x03) == 0 && in_list (r[2], levels, sizeof (levels))
        && (b.bit = 24, read_ue (&b, 31, &v));
  if (codec == GST_E2EE_CODEC_H264)     /* 8, 7.3.2.2 */
    return read_ue (&b, 255, &v) && read_ue (&b, 31, &v);
  if (type == 32)               /* 7.3.2.1: max_sub_layers_minus1, 0xffff */
    return len >= 4 && ((r[1] >> 1) & 7) <= 6 && r[2] == 0xff && r[3] == 0xff;
  if (type == 33)               /* 7.3.2.2: sub-layers, general_profile_space */
    return len >= 2 && ((r[0] >> 1) & 7) <= 6 && (r[1] >> 6) == 0;
  /* 34, 7.3.2.3 */
  return read_ue (&b, 63, &v) && read_ue (&b, 15, &v);
}

bool
gst_e2ee_clear_nal_ok (GstE2eeCodec codec, const uint8_t * nal, size_t len)
{
  const size_t hs = gst_e2ee_nal_header_size (codec);
  uint8_t rbsp[GST_E2EE_CLEAR_NAL_MAX];
  unsigned int type;
  long n;

  if (!gst_e2ee_nal_header_ok (codec, nal, len) || len > GST_E2EE_CLEAR_NAL_MAX
      || !escaping_ok (nal, len))
    return false;
  if (codec == GST_E2EE_CODEC_H264) {
    type = nal[0] & 0x1f;
    /* 7.3.2.4: primary_pic_type (3 bits), then the stop bit. */
    if (type == 9)
      return len == 2 && (nal[0] & 0x60) == 0 && (nal[1] & 0x1f) == 0x10;
    if ((nal[0] & 0x60) == 0)
      return false;
  } else {
    type = (nal[0] >> 1) & 0x3f;
    /* 7.3.2.5: pic_type (3 bits, at most 2), then the stop bit. */
    if (type == 35)
      return len == 3 && (nal[2] >> 5) <= 2 && (nal[2] & 0x1f) == 0x10;
  }
  n = gst_e2ee_unescape (nal + hs, len - hs, rbsp);
  return n > 0 && param_set_ok (codec, type, rbsp, (size_t) n);
}

bool
gst_e2ee_clear_nal_take (GstE2eeCodec codec, const uint8_t * nal, size_t len,
    size_t * clear_bytes)
{
  *clear_bytes += len;
  return *clear_bytes <= GST_E2EE_CLEAR_AU_MAX
      && gst_e2ee_clear_nal_ok (codec, nal, len);
}

static bool
is_aud (GstE2eeCodec codec, const uint8_t * hdr)
{
  if (codec == GST_E2EE_CODEC_H264)
    return (hdr[0] & 0x1f) == 9;
  return ((hdr[0] >> 1) & 0x3f) == 35;
}

/* H.264 7.4.1.2.3, H.265 7.4.2.4.4: a NAL unit of this type after a VCL
 * NAL unit begins the next access unit. */
static bool
begins_au (GstE2eeCodec codec, const uint8_t * hdr)
{
  unsigned int type;

  if (codec == GST_E2EE_CODEC_H264) {
    type = hdr[0] & 0x1f;
    return (type >= 6 && type <= 9) || (type >= 14 && type <= 18);
  }
  type = (hdr[0] >> 1) & 0x3f;
  return (type >= 32 && type <= 35) || type == 39 || (type >= 41
      && type <= 44) || (type >= 48 && type <= 55);
}

/* A slice whose first slice-header bit says that it begins a picture:
 * first_mb_in_slice 0 (ue(v) "1") in H.264 slices 1, 2, 5 (partitions B and
 * C start with slice_id), first_slice_segment_in_pic_flag in H.265. */
static bool
begins_picture (GstE2eeCodec codec, const uint8_t * nal)
{
  const size_t hs = gst_e2ee_nal_header_size (codec);

  if (codec == GST_E2EE_CODEC_H264) {
    unsigned int type = nal[0] & 0x1f;

    if (type != 1 && type != 2 && type != 5)
      return false;
  }
  return (nal[hs] & 0x80) != 0;
}

bool
gst_e2ee_au_pos_take (GstE2eeCodec codec, GstE2eeAuPos * pos,
    const uint8_t * nal, size_t len)
{
  bool vcl = gst_e2ee_nal_is_vcl (codec, nal);

  if (vcl && len <= gst_e2ee_nal_header_size (codec))
    return false;
  if (is_aud (codec, nal)) {
    if (pos->aud_seen)
      return false;
    pos->aud_seen = true;
  }
  if (pos->vcl_seen && (begins_au (codec, nal) || (vcl
              && begins_picture (codec, nal))))
    return false;
  pos->vcl_seen |= vcl;
  return true;
}

static void
put_be32 (uint8_t out[4], uint32_t v)
{
  for (int i = 0; i < 4; i++)
    out[i] = (uint8_t) (v >> (24 - 8 * i));
}

void
gst_e2ee_au_tag (uint8_t out[GST_E2EE_AU_TAG_LEN], uint32_t index,
    uint32_t count, const uint8_t ps_hash[GST_E2EE_PS_HASH_LEN])
{
  put_be32 (out, index);
  put_be32 (out + 4, count);
  memcpy (out + 8, ps_hash, GST_E2EE_PS_HASH_LEN);
}

/*
 * The hash binds the set of parameter sets, not where they stand: the
 * stock RTP elements add copies of them at other places of an access unit
 * (docs/media-path.md "Parameter sets are bound": rtph264depay's caps'
 * sprop-parameter-sets in front of its first access unit, rtph264pay's
 * stored ones in front of a keyframe after a force-key-unit event with
 * all-headers, ahead of a marker SEI the sender put first). So the distinct
 * ones are hashed in ascending order of (length, bytes). An access unit
 * that passed the checks holds at most one per 2 clear bytes; on other
 * bytes those beyond that are left out, on both sides alike. That they
 * all stand before the first slice is gst_e2ee_au_pos_take's rule.
 */
#define PS_SEEN_MAX (GST_E2EE_CLEAR_AU_MAX / 2)

/* Order of (length, bytes); 0 for a copy. */
static int
ps_cmp (const uint8_t * au, const GstE2eeNal * a, const GstE2eeNal * b)
{
  size_t la = a->end - a->start, lb = b->end - b->start;

  if (la != lb)
    return la < lb ? -1 : 1;
  return memcmp (au + a->start, au + b->start, la);
}

void
gst_e2ee_ps_hash (GstE2eeCodec codec, const uint8_t * au, size_t size,
    uint8_t out[GST_E2EE_PS_HASH_LEN])
{
  const size_t hs = gst_e2ee_nal_header_size (codec);
  crypto_hash_sha256_state st;
  GstE2eeNal seen[PS_SEEN_MAX];
  size_t pos = 0, n_seen = 0;
  bool garbage = false;
  GstE2eeNal nal;

  while (gst_e2ee_nal_next (au, size, &pos, &nal, &garbage)) {
    size_t len = nal.end - nal.start, at = n_seen;
    int c = 1;

    if (len < hs || !gst_e2ee_nal_is_clear (codec, au + nal.start)
        || is_aud (codec, au + nal.start) || n_seen == PS_SEEN_MAX)
      continue;
    /* Insertion into the sorted distinct ones; a copy goes nowhere. */
    while (at > 0 && (c = ps_cmp (au, &seen[at - 1], &nal)) > 0)
      at--;
    if (at > 0 && c == 0)
      continue;
    memmove (&seen[at + 1], &seen[at], (n_seen - at) * sizeof (seen[0]));
    seen[at] = nal;
    n_seen++;
  }
  crypto_hash_sha256_init (&st);
  for (size_t k = 0; k < n_seen; k++) {
    uint8_t pre[4];

    put_be32 (pre, (uint32_t) (seen[k].end - seen[k].start));
    crypto_hash_sha256_update (&st, pre, sizeof (pre));
    crypto_hash_sha256_update (&st, au + seen[k].start,
        seen[k].end - seen[k].start);
  }
  crypto_hash_sha256_final (&st, out);
}

size_t
gst_e2ee_nal_header_size (GstE2eeCodec codec)
{
  return codec == GST_E2EE_CODEC_H265 ? 2 : 1;
}

bool
gst_e2ee_nal_is_clear (GstE2eeCodec codec, const uint8_t * hdr)
{
  unsigned int type;

  if (codec == GST_E2EE_CODEC_H264) {
    type = hdr[0] & 0x1f;
    return type == 7 || type == 8 || type == 9;
  }
  if (codec == GST_E2EE_CODEC_H265) {
    type = (hdr[0] >> 1) & 0x3f;
    return type >= 32 && type <= 35;
  }
  return false;
}

/* Set aside the trailing 0x03 bytes: does what is left end in 0x00? */
static bool
needs_trailer (const uint8_t * d, size_t len)
{
  while (len && d[len - 1] == 0x03)
    len--;
  return len && d[len - 1] == 0x00;
}

/*
 * The escaping loops only have work to do around zero bytes, which are one
 * in 256 of a ciphertext: while no zero is pending, they skip (or copy)
 * straight to the next zero with memchr.
 */
static size_t
next_zero (const uint8_t * in, size_t len, size_t i)
{
  const uint8_t *z = memchr (in + i, 0, len - i);

  return z ? (size_t) (z - in) : len;
}

size_t
gst_e2ee_escape_size (const uint8_t * in, size_t len)
{
  size_t n = len, zeros = 0;

  for (size_t i = 0; i < len; i++) {
    if (!zeros) {
      i = next_zero (in, len, i);
      if (i == len)
        break;
    }
    if (zeros >= 2 && in[i] <= 3) {
      n++;
      zeros = 0;
    }
    zeros = in[i] ? 0 : zeros + 1;
  }
  return n + needs_trailer (in, len);
}

size_t
gst_e2ee_escape (const uint8_t * in, size_t len, uint8_t * out)
{
  size_t j = 0, zeros = 0;

  for (size_t i = 0; i < len; i++) {
    if (!zeros) {
      size_t z = next_zero (in, len, i);

      memcpy (out + j, in + i, z - i);
      j += z - i;
      i = z;
      if (i == len)
        break;
    }
    if (zeros >= 2 && in[i] <= 3) {
      out[j++] = 0x03;
      zeros = 0;
    }
    out[j++] = in[i];
    zeros = in[i] ? 0 : zeros + 1;
  }
  if (needs_trailer (in, len))
    out[j++] = 0x03;
  return j;
}

long
gst_e2ee_unescape (const uint8_t * in, size_t len, uint8_t * out)
{
  size_t j = 0, zeros = 0;

  for (size_t i = 0; i < len; i++) {
    uint8_t b;

    if (!zeros) {
      size_t z = next_zero (in, len, i);

      memmove (out + j, in + i, z - i);
      j += z - i;
      i = z;
      if (i == len)
        break;
    }
    b = in[i];
    if (zeros >= 2) {
      if (b <= 2)
        return -1;
      if (b == 3) {
        zeros = 0;
        continue;
      }
    }
    out[j++] = b;
    zeros = b ? 0 : zeros + 1;
  }
  /* The appended trailer: the last 0x03 of data whose 0x03 tail follows a 0x00. */
  if (j && out[j - 1] == 0x03 && needs_trailer (out, j))
    j--;
  return (long) j;
}
