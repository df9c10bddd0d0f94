// SPDX-License-Identifier: MIT
/*
 * The byte-stream side of e2eeenc / e2eedec on arbitrary bytes:
 * - the NAL splitter terminates, and every NAL lies inside the input;
 * - unescape never writes more than it reads;
 * - escape then unescape gives back the input, exactly;
 * - what escape writes holds no start code (00 00 00..02) and never ends in
 *   0x00, so byte-stream parsers neither split nor trim it;
 * - the parameter-set hash reads only inside the input, and a copy of the
 *   parameter sets before its first protected NAL unit in front of it (a
 *   depayloader's sprop) hashes the same;
 * - where NAL units may stand (gst_e2ee_au_pos_take) agrees, NAL unit by
 *   NAL unit, with the rule written out from H.264 7.4.1.2.3 and H.265
 *   7.4.2.4.4 as a table here.
 */
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/gste2eenal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The rules of frame-format.md, a byte at a time: the reference. */
static bool ref_trailer(const uint8_t *d, size_t len)
{
	while (len && d[len - 1] == 0x03)
		len--;
	return len && d[len - 1] == 0x00;
}

static size_t ref_escape(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t j = 0, zeros = 0;

	for (size_t i = 0; i < len; i++) {
		if (zeros >= 2 && in[i] <= 3) {
			out[j++] = 0x03;
			zeros = 0;
		}
		out[j++] = in[i];
		zeros = in[i] ? 0 : zeros + 1;
	}
	if (ref_trailer(in, len))
		out[j++] = 0x03;
	return j;
}

static long ref_unescape(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t j = 0, zeros = 0;

	for (size_t i = 0; i < len; i++) {
		if (zeros >= 2 && in[i] <= 2)
			return -1;
		if (zeros >= 2 && in[i] == 3) {
			zeros = 0;
			continue;
		}
		out[j++] = in[i];
		zeros = in[i] ? 0 : zeros + 1;
	}
	if (j && out[j - 1] == 0x03 && ref_trailer(out, j))
		j--;
	return (long)j;
}

/*
 * The parameter sets (H.264 7, 8; H.265 32..34) of data before its first
 * protected NAL unit, each after 00 00 01: what a depayloader's
 * sprop-parameter-sets put in front of a first access unit.
 */
static size_t param_sets(GstE2eeCodec codec, const uint8_t *data, size_t size, uint8_t *out)
{
	size_t pos = 0, n = 0;
	bool garbage = false;
	GstE2eeNal nal;

	while (gst_e2ee_nal_next(data, size, &pos, &nal, &garbage)) {
		size_t len = nal.end - nal.start;
		unsigned int t;

		if (len < gst_e2ee_nal_header_size(codec))
			continue;
		t = codec == GST_E2EE_CODEC_H264 ? data[nal.start] & 0x1f : (data[nal.start] >> 1) & 0x3f;
		if (!gst_e2ee_nal_is_clear(codec, data + nal.start))
			break;
		if (!(codec == GST_E2EE_CODEC_H264 ? t == 7 || t == 8 : t >= 32 && t <= 34))
			continue;
		memcpy(out + n, "\0\0\1", 3);
		memcpy(out + n + 3, data + nal.start, len);
		n += 3 + len;
	}
	return n;
}

static void ps_hash_checks(const uint8_t *data, size_t size)
{
	static const GstE2eeCodec codecs[] = { GST_E2EE_CODEC_H264, GST_E2EE_CODEC_H265 };
	uint8_t h1[GST_E2EE_PS_HASH_LEN], h2[GST_E2EE_PS_HASH_LEN];

	/* Only access units that start with a start code: the copies go in front. */
	if (!gst_e2ee_au_starts_annexb(data, size))
		return;
	for (size_t c = 0; c < 2; c++) {
		uint8_t *au = malloc(3 * size + 3);
		size_t n = param_sets(codecs[c], data, size, au);

		gst_e2ee_ps_hash(codecs[c], data, size, h1);
		memcpy(au + n, data, size);
		gst_e2ee_ps_hash(codecs[c], au, n + size, h2);
		if (memcmp(h1, h2, sizeof(h1)))
			abort();
		free(au);
	}
}

/*
 * The reference: per NAL type, what it is once a slice came. H.264: 1..5
 * slices (1, 2, 5 read first_mb_in_slice), 6..9 and 14..18 begin an access
 * unit. H.265: 0..31 slices, 32..35, 39, 41..44, 48..55 begin one.
 */
enum { ANY = 0, SLICE = 1, SLICE_MB = 2, BEGINS_AU = 3, DELIM = 4 };

static const uint8_t ref_h264[32] = {
	[1] = SLICE_MB, [2] = SLICE_MB, [3] = SLICE, [4] = SLICE, [5] = SLICE_MB,
	[6] = BEGINS_AU, [7] = BEGINS_AU, [8] = BEGINS_AU, [9] = DELIM,
	[14] = BEGINS_AU, [15] = BEGINS_AU, [16] = BEGINS_AU, [17] = BEGINS_AU,
	[18] = BEGINS_AU,
};

static void pos_checks(const uint8_t *data, size_t size)
{
	for (int c = 0; c < 2; c++) {
		GstE2eeCodec codec = c ? GST_E2EE_CODEC_H265 : GST_E2EE_CODEC_H264;
		const size_t hs = gst_e2ee_nal_header_size(codec);
		GstE2eeAuPos p = { false, false };
		bool garbage = false, slice = false, delim = false, ok = true;
		size_t pos = 0;
		GstE2eeNal nal;

		while (ok && gst_e2ee_nal_next(data, size, &pos, &nal, &garbage)) {
			const uint8_t *h = data + nal.start;
			size_t len = nal.end - nal.start;
			unsigned int t, kind;
			bool want;

			if (len < hs || !gst_e2ee_nal_header_ok(codec, h, len))
				continue;
			if (c) {
				t = (h[0] >> 1) & 0x3f;
				kind = t <= 31 ? SLICE_MB : t == 35 ? DELIM :
				       (t >= 32 && t <= 34) || t == 39 || (t >= 41 && t <= 44) ||
				       (t >= 48 && t <= 55) ? BEGINS_AU : ANY;
			} else {
				t = h[0] & 0x1f;
				kind = ref_h264[t];
			}
			want = true;
			if (kind != ANY && kind != BEGINS_AU && kind != DELIM && len <= hs)
				want = false;
			else if (kind == DELIM && delim)
				want = false;
			else if (slice && (kind == BEGINS_AU || kind == DELIM ||
					   (kind == SLICE_MB && (h[hs] & 0x80))))
				want = false;
			ok = gst_e2ee_au_pos_take(codec, &p, h, len);
			if (ok != want)
				abort();
			delim |= kind == DELIM;
			slice |= kind == SLICE || kind == SLICE_MB;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, last = 0, esc_len, n;
	bool garbage = false;
	GstE2eeNal nal;
	uint8_t *esc, *back;
	long ul;

	while (gst_e2ee_nal_next(data, size, &pos, &nal, &garbage)) {
		if (nal.start > nal.end || nal.end > size || nal.start < last)
			abort();
		last = nal.end;
		/* The elements check the header's size before they look at it. */
		if (nal.end - nal.start >= gst_e2ee_nal_header_size(GST_E2EE_CODEC_H265))
			(void)gst_e2ee_nal_is_clear(GST_E2EE_CODEC_H265, data + nal.start);
		if (nal.end - nal.start >= gst_e2ee_nal_header_size(GST_E2EE_CODEC_H264))
			(void)gst_e2ee_nal_is_clear(GST_E2EE_CODEC_H264, data + nal.start);
	}

	back = malloc(size + 1);
	ul = gst_e2ee_unescape(data, size, back);
	if (ul > (long)size)
		abort();
	{
		/* The fast paths give exactly what the byte loops give. */
		uint8_t *r = malloc(2 * size + 2);
		long rl = ref_unescape(data, size, r);

		if (rl != ul || (ul > 0 && memcmp(r, back, (size_t)ul)))
			abort();
		if (ref_escape(data, size, r) != gst_e2ee_escape_size(data, size))
			abort();
		free(r);
	}

	esc_len = gst_e2ee_escape_size(data, size);
	esc = malloc(esc_len + 1);
	n = gst_e2ee_escape(data, size, esc);
	if (n != esc_len)
		abort();
	{
		uint8_t *r = malloc(2 * size + 2);

		if (ref_escape(data, size, r) != n || memcmp(r, esc, n))
			abort();
		free(r);
	}
	for (size_t i = 0; i + 2 < n; i++)
		if (esc[i] == 0 && esc[i + 1] == 0 && esc[i + 2] <= 2)
			abort();
	if (n && esc[n - 1] == 0)
		abort();
	free(back);
	back = malloc(n + 1);
	ul = gst_e2ee_unescape(esc, n, back);
	if (ul != (long)size || memcmp(back, data, size))
		abort();
	free(esc);
	free(back);
	ps_hash_checks(data, size);
	pos_checks(data, size);
	return 0;
}
