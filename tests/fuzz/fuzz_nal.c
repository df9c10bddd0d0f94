// SPDX-License-Identifier: MIT
/*
 * The byte-stream side of e2eeenc / e2eedec on arbitrary bytes:
 * - the NAL splitter terminates, and every NAL lies inside the input;
 * - unescape never writes more than it reads;
 * - escape then unescape gives back the input, exactly;
 * - what escape writes holds no start code (00 00 00..02) and never ends in
 *   0x00, so byte-stream parsers neither split nor trim it.
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
	return 0;
}
