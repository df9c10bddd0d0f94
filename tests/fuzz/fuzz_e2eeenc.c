// SPDX-License-Identifier: MIT
/*
 * e2eeenc's whole input path (issue 11, finding 1) with the oracle: no
 * plaintext byte of a slice ever appears in the output.
 *
 * The input describes an access unit record by record; each record is a NAL
 * unit framed as Annex B (4- or 3-byte start code) or as AVC (a 4-byte
 * length: what the review found leaking under byte-stream caps). A slice's
 * body is a canary sequence the fuzzer cannot write itself (its bytes
 * 0xA5 are turned into 0xA4 everywhere else); any 8 canary bytes in a row
 * in e2eeenc's output are plaintext that left in clear. Everything else
 * (headers, parameter sets, delimiters, framing, lengths) is the fuzzer's.
 */
#define _GNU_SOURCE
#include "fuzz_e2ee_elements.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const uint8_t canary[8] = { 0xa5, 0x5a, 0xc3, 0x3c, 0x96, 0x69, 0xf0, 0x1f };

#define AU_MAX (64 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_elements_init();
	return 0;
}

/* Appends a NAL unit to au with the framing asked for. */
static size_t frame_nal(uint8_t *au, size_t at, unsigned int framing, const uint8_t *nal,
			size_t len)
{
	if (framing == 0) {
		memcpy(au + at, "\0\0\0\1", 4);
		at += 4;
	} else if (framing == 1) {
		memcpy(au + at, "\0\0\1", 3);
		at += 3;
	} else {
		au[at++] = (uint8_t)(len >> 24);
		au[at++] = (uint8_t)(len >> 16);
		au[at++] = (uint8_t)(len >> 8);
		au[at++] = (uint8_t)len;
	}
	memcpy(au + at, nal, len);
	return at + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t au[AU_MAX], nal[4096];
	bool h265;
	size_t at = 0, i = 1;
	GstHarness *h;
	GstBuffer *out;

	if (size < 1)
		return 0;
	h265 = data[0] & 1;
	while (i + 3 <= size) {
		unsigned int ctl = data[i], framing = ctl & 3;
		size_t len = ((size_t)data[i + 1] << 8 | data[i + 2]) % 2048, hs = h265 ? 2 : 1;

		i += 3;
		if (framing == 3)
			framing = 2;
		if (ctl & 4) {
			/* A slice: its header (IDR or not), then the canary. */
			unsigned int type = (ctl >> 3) & 1;

			if (h265) {
				nal[0] = (uint8_t)((type ? 19 : 1) << 1);
				nal[1] = 1;
			} else {
				nal[0] = (uint8_t)((ctl & 0x60) | (type ? 5 : 1));
			}
			len += hs + 1;
			for (size_t k = hs; k < len; k++)
				nal[k] = canary[(k - hs) % sizeof(canary)];
		} else {
			/* Anything else: the fuzzer's bytes, never a canary's. */
			len = len < size - i ? len : size - i;
			for (size_t k = 0; k < len; k++)
				nal[k] = data[i + k] == 0xa5 ? 0xa4 : data[i + k];
			i += len;
		}
		if (at + 4 + len > AU_MAX)
			break;
		at = frame_nal(au, at, framing, nal, len);
	}

	h = fuzz_encoder(h265 ? "video/x-h265,stream-format=byte-stream,alignment=au" :
				"video/x-h264,stream-format=byte-stream,alignment=au",
			 E2EE_STREAM_VIDEO, e2ee_kid_make(E2EE_STREAM_VIDEO, 0, 0));
	/* gst_buffer_new_memdup takes no empty data: an empty buffer is new. */
	if (gst_harness_push(h, at ? gst_buffer_new_memdup(au, at) : gst_buffer_new()) !=
	    GST_FLOW_OK)
		abort();
	while ((out = gst_harness_try_pull(h))) {
		GstMapInfo m;

		gst_buffer_map(out, &m, GST_MAP_READ);
		for (size_t r = 0; r < sizeof(canary); r++) {
			uint8_t win[sizeof(canary)];

			for (size_t k = 0; k < sizeof(win); k++)
				win[k] = canary[(r + k) % sizeof(canary)];
			/* Plaintext of a slice on the wire. */
			if (fuzz_contains(m.data, m.size, win, sizeof(win)))
				abort();
		}
		gst_buffer_unmap(out, &m);
		gst_buffer_unref(out);
	}
	gst_harness_teardown(h);
	return 0;
}
