/* SPDX-License-Identifier: MIT */
/*
 * H.264 / H.265 byte-stream helpers for e2eeenc / e2eedec, free of GStreamer
 * so that they can be fuzzed alone: NAL unit splitting, which NAL types stay
 * clear, and the emulation-prevention escaping that keeps a ciphertext from
 * ever containing a start code (frame-format.md).
 */
#ifndef GST_E2EE_NAL_H
#define GST_E2EE_NAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum
{
  GST_E2EE_CODEC_WHOLE = 0,     /* Opus, VP9, AV1, anything else */
  GST_E2EE_CODEC_H264,
  GST_E2EE_CODEC_H265,
  GST_E2EE_CODEC_VP8,           /* whole frame, its header bytes clear */
} GstE2eeCodec;

/* One NAL unit inside a byte-stream access unit. */
typedef struct
{
  size_t start;                 /* first byte of the NAL header */
  size_t end;                   /* one past the last byte, trailing zeros excluded */
} GstE2eeNal;

/*
 * Finds the NAL unit that starts at or after *pos. Returns false at the end.
 * Sets *garbage when bytes other than zeros precede the first start code
 * (a malformed byte stream: callers drop the frame, they never pass it on).
 */
bool gst_e2ee_nal_next (const uint8_t * data, size_t size, size_t * pos,
    GstE2eeNal * nal, bool * garbage);

/*
 * Bytes at the start of a whole frame that stay clear (authenticated as
 * metadata): for VP8 the frame tag, and on keyframes the start code and
 * dimensions (10 bytes, else 3), as libwebrtc's E2EE leaves them, so that
 * depayloaders and SFUs see keyframes and sizes. 0 for the other codecs;
 * -1 when the frame is too short to hold them.
 */
long gst_e2ee_clear_prefix_len (GstE2eeCodec codec, const uint8_t * data,
    size_t size);

/*
 * Bytes of a protected NAL unit that stay clear, as SFrame metadata: its
 * header, and for a slice (VCL NAL) the first byte of the slice header too.
 * That byte starts with first_mb_in_slice (H.264) or
 * first_slice_segment_in_pic_flag (H.265), which rtph264depay and
 * rtph265depay read to find where a picture starts; ciphertext there would
 * split access units at random. It tells no more than an SFU sees anyway
 * (where pictures start, the slice type).
 */
size_t gst_e2ee_nal_clear_len (GstE2eeCodec codec, const uint8_t * nal,
    size_t len);

/* Size of the NAL header: 1 for H.264, 2 for H.265. */
size_t gst_e2ee_nal_header_size (GstE2eeCodec codec);

/*
 * True for the NAL types that stay clear: parameter sets and access unit
 * delimiters (H.264 SPS 7, PPS 8, AUD 9; H.265 VPS 32, SPS 33, PPS 34,
 * AUD 35). hdr holds at least the header.
 */
bool gst_e2ee_nal_is_clear (GstE2eeCodec codec, const uint8_t * hdr);

/*
 * Emulation prevention over a ciphertext (frame-format.md): a 0x03 goes after
 * every 0x00 0x00 that precedes a byte 0x00..0x03, and one 0x03 is appended
 * when the data, once its trailing 0x03 bytes are set aside, ends in 0x00.
 * The result holds no start code and never ends in 0x00, so that byte-stream
 * parsers neither split it nor strip its end as trailing zeros.
 */
size_t gst_e2ee_escape_size (const uint8_t * in, size_t len);
/* Writes exactly gst_e2ee_escape_size(in, len) bytes to out. */
size_t gst_e2ee_escape (const uint8_t * in, size_t len, uint8_t * out);

/*
 * The inverse. out may equal in (unescaping only shrinks). Returns the
 * length written, or -1 when the input cannot be the output of
 * gst_e2ee_escape (a 0x00 0x00 followed by 0x00..0x02, or a 0x00 0x00 0x03
 * followed by a byte above 0x03 is accepted as the H.264 rules do).
 */
long gst_e2ee_unescape (const uint8_t * in, size_t len, uint8_t * out);

#endif
