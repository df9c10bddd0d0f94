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
 * Decided by the NAL type alone, so that e2eeenc and e2eedec agree: a slice
 * shorter than that is malformed (the caller drops it).
 * That byte starts with first_mb_in_slice (H.264) or
 * first_slice_segment_in_pic_flag (H.265), which rtph264depay and
 * rtph265depay read to find where a picture starts; ciphertext there would
 * split access units at random. It tells no more than an SFU sees anyway
 * (where pictures start, the slice type).
 */
size_t gst_e2ee_nal_clear_len (GstE2eeCodec codec, const uint8_t * nal,
    size_t len);

/*
 * Positive validation before e2eeenc lets a byte out in clear
 * (docs/media-path.md "What e2eeenc lets out in clear"). A clear NAL unit
 * is at most GST_E2EE_CLEAR_NAL_MAX bytes: an AVC length prefix can only
 * read as a start code (00 00 01 xx) when the NAL it prefixes is 256 bytes
 * or longer, and the NAL unit it would then fake holds that whole NAL, so
 * it is never that short. The clear NAL units of one access unit are at
 * most GST_E2EE_CLEAR_AU_MAX bytes together.
 */
#define GST_E2EE_CLEAR_NAL_MAX 255
#define GST_E2EE_CLEAR_AU_MAX 1024

/* The access unit begins with a start code at offset 0 (3 or 4 bytes). */
bool gst_e2ee_au_starts_annexb (const uint8_t * data, size_t size);

/*
 * The NAL header is one this firmware sends: forbidden_zero_bit 0, a type
 * the codec defines (H.264 1..23; H.265 0..40 with nuh_layer_id 0 and
 * nuh_temporal_id_plus1 not 0). len is at least the header size.
 */
bool gst_e2ee_nal_header_ok (GstE2eeCodec codec, const uint8_t * nal,
    size_t len);

/*
 * A clear NAL unit (gst_e2ee_nal_is_clear) is well formed and bounded:
 * at most GST_E2EE_CLEAR_NAL_MAX bytes, valid emulation prevention, an
 * access unit delimiter of exactly its size with its stop bit, parameter
 * sets whose first fields are in range (H.264 7.3.2.1 / 7.3.2.2, H.265
 * 7.3.2.1-7.3.2.3) and whose nal_ref_idc is not 0 (H.264 7.4.1).
 */
bool gst_e2ee_clear_nal_ok (GstE2eeCodec codec, const uint8_t * nal,
    size_t len);

/*
 * The same check for the clear NAL units of one access unit in turn, on
 * send (e2eeenc) and on receive (e2eedec, where the relay may have written
 * them): adds len to *clear_bytes (0 before the first) and is true while
 * the total stays within GST_E2EE_CLEAR_AU_MAX and this NAL unit passes
 * gst_e2ee_clear_nal_ok.
 */
bool gst_e2ee_clear_nal_take (GstE2eeCodec codec, const uint8_t * nal,
    size_t len, size_t * clear_bytes);

/*
 * Where the NAL units of one access unit may stand (docs/media-path.md
 * "Where NAL units stand"), the same rule on send and on receive: a relay
 * that moves or inserts a clear NAL unit (a delimiter, a copy of the
 * sender's own parameter sets) between the slices of an authenticated
 * access unit makes h264parse / h265parse end the access unit there
 * (H.264 7.4.1.2.3, H.265 7.4.2.4.4), and the decoder turns one picture
 * into two. In order, for each NAL unit:
 *  - at most one access unit delimiter;
 *  - after the access unit's first VCL NAL unit, no NAL unit of a type
 *    that begins an access unit (H.264 SEI 6, SPS 7, PPS 8, AUD 9, 14..18;
 *    H.265 VPS 32, SPS 33, PPS 34, AUD 35, prefix SEI 39, 41..44, 48..55)
 *    and no slice that begins a picture (H.264 types 1, 2, 5 with
 *    first_mb_in_slice 0; H.265 first_slice_segment_in_pic_flag 1: the
 *    first bit of the first slice-header byte, clear and authenticated).
 * Zero the state before an access unit's first NAL unit; nal has passed
 * gst_e2ee_nal_header_ok. False when this NAL unit breaks the rule (a slice
 * without its first slice-header byte too).
 */
typedef struct
{
  bool vcl_seen;                /* a VCL NAL unit came */
  bool aud_seen;                /* an access unit delimiter came */
} GstE2eeAuPos;

bool gst_e2ee_au_pos_take (GstE2eeCodec codec, GstE2eeAuPos * pos,
    const uint8_t * nal, size_t len);

/* True for slices (VCL NAL units), whose first slice-header byte stays clear. */
bool gst_e2ee_nal_is_vcl (GstE2eeCodec codec, const uint8_t * hdr);

/*
 * The access unit's parameter sets, bound to its protected NAL units
 * (docs/media-path.md "Parameter sets are bound"): SHA-256 over the
 * access unit's distinct parameter sets (H.264 7, 8; H.265 32, 33, 34) in
 * ascending order of (length, bytes), each as its length (32-bit
 * big-endian) then its bytes as sent (header included, escaped, trailing
 * zero bytes excluded). Access unit delimiters are left out. au is an
 * access unit the caller has validated (split whole, every NAL header
 * valid); on any other bytes it reads only inside them.
 */
#define GST_E2EE_PS_HASH_LEN 32
void gst_e2ee_ps_hash (GstE2eeCodec codec, const uint8_t * au, size_t size,
    uint8_t out[GST_E2EE_PS_HASH_LEN]);

/*
 * The access-unit binding appended to every protected NAL unit's SFrame
 * metadata (docs/media-path.md "An access unit is authenticated whole"):
 * the NAL's index among the access unit's protected NAL units and their
 * count, both 32-bit big-endian, then the parameter-set hash.
 */
#define GST_E2EE_AU_TAG_LEN (8 + GST_E2EE_PS_HASH_LEN)
void gst_e2ee_au_tag (uint8_t out[GST_E2EE_AU_TAG_LEN], uint32_t index,
    uint32_t count, const uint8_t ps_hash[GST_E2EE_PS_HASH_LEN]);

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
