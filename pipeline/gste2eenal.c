/* SPDX-License-Identifier: MIT */
/* NAL splitting and escaping for e2eeenc / e2eedec (frame-format.md). */
#include <string.h>

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

size_t
gst_e2ee_nal_clear_len (GstE2eeCodec codec, const uint8_t * nal, size_t len)
{
  size_t hs = gst_e2ee_nal_header_size (codec);
  bool vcl;

  if (len <= hs)
    return len;
  if (codec == GST_E2EE_CODEC_H264)
    vcl = (nal[0] & 0x1f) >= 1 && (nal[0] & 0x1f) <= 5;
  else
    vcl = ((nal[0] >> 1) & 0x3f) <= 31;
  return vcl ? hs + 1 : hs;
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
