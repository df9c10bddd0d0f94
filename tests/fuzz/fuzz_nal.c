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

	esc_len = gst_e2ee_escape_size(data, size);
	esc = malloc(esc_len + 1);
	n = gst_e2ee_escape(data, size, esc);
	if (n != esc_len)
		abort();
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
