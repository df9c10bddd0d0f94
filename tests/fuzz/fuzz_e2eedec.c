// SPDX-License-Identifier: MIT
/*
 * e2eedec's whole decrypt path (NAL splitting, unescaping, buffer sizing,
 * the access-unit binding, per-KID order, the hold) against a relay that
 * replays, reorders, flips, cuts and splices what e2eeenc sent, injects
 * bytes of its own, and a clock that runs.
 *
 * The input is a script. e2eeenc (epoch 0 or 1) is given access units made
 * of the fuzzer's bytes; e2eedec, holding the epoch 0 key and later perhaps
 * the epoch 1 one, gets whatever the script makes of the ciphertexts. The
 * oracle: every frame e2eedec outputs carries exactly the protected NAL
 * units (for Opus: the frame) of one access unit e2eeenc accepted, and no
 * access unit comes out more often than it was sent. Parameter sets are
 * bound to the access unit (docs/media-path.md "Parameter sets are
 * bound"): the comparison takes them as their hash (gst_e2ee_ps_hash, which
 * leaves delimiters out), and every clear NAL unit that comes out passes
 * the checks e2eeenc applies before it lets one out (bounded, well escaped,
 * first fields in range), whoever wrote it: the script also puts NAL units
 * of the relay's bytes in front of what e2eeenc sent, or before its last
 * NAL unit (between two slices). And every NAL unit that comes out stands
 * in its place (docs/media-path.md "Where NAL units stand"): at most one
 * delimiter, and after the first slice no clear NAL unit at all (the
 * relay's delimiter or copied parameter set there split the access unit
 * at h264parse: review 7, finding 3).
 */
#define _GNU_SOURCE
#include <gst/check/gsttestclock.h>

#include "fuzz_e2ee_elements.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define SENT_MAX 16

typedef struct {
	GstBuffer *ct;
	GBytes *sig; /* the protected NAL units of the plaintext */
	unsigned int budget; /* times it may still come out */
} Sent;

static GstE2eeCodec codec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_elements_init();
	return 0;
}

/*
 * A frame as the oracle compares it: the parameter-set hash, then the
 * protected NAL units as e2eedec writes them (4-byte start codes).
 */
static GBytes *signature(const uint8_t *d, size_t size)
{
	GByteArray *a = g_byte_array_new();
	uint8_t ps_hash[GST_E2EE_PS_HASH_LEN];
	bool garbage = false;
	GstE2eeNal nal;
	size_t pos = 0;

	if (codec != GST_E2EE_CODEC_H264 && codec != GST_E2EE_CODEC_H265) {
		g_byte_array_append(a, d, (guint)size);
		return g_byte_array_free_to_bytes(a);
	}
	gst_e2ee_ps_hash(codec, d, size, ps_hash);
	g_byte_array_append(a, ps_hash, sizeof(ps_hash));
	while (gst_e2ee_nal_next(d, size, &pos, &nal, &garbage)) {
		if (nal.end - nal.start < gst_e2ee_nal_header_size(codec) ||
		    gst_e2ee_nal_is_clear(codec, d + nal.start))
			continue;
		g_byte_array_append(a, (const guint8 *)"\0\0\0\1", 4);
		g_byte_array_append(a, d + nal.start, (guint)(nal.end - nal.start));
	}
	return g_byte_array_free_to_bytes(a);
}

/* What reaches the parser in clear passed e2eeenc's checks on send. */
static void clear_nals_checked(const uint8_t *d, size_t size)
{
	size_t pos = 0, clear_bytes = 0;
	bool garbage = false;
	GstE2eeNal nal;

	if (codec != GST_E2EE_CODEC_H264 && codec != GST_E2EE_CODEC_H265)
		return;
	while (gst_e2ee_nal_next(d, size, &pos, &nal, &garbage))
		if (gst_e2ee_nal_is_clear(codec, d + nal.start) &&
		    !gst_e2ee_clear_nal_take(codec, d + nal.start, nal.end - nal.start,
					     &clear_bytes))
			abort();
}

/*
 * Where NAL units stand, checked apart from gst_e2ee_au_pos_take: no clear
 * NAL unit after a slice, at most one delimiter. What e2eeenc sent passes
 * (it refuses anything else), so an output that fails holds the relay's.
 */
static void positions_checked(const uint8_t *d, size_t size)
{
	const size_t hs = gst_e2ee_nal_header_size(codec);
	bool garbage = false, slice = false;
	unsigned int auds = 0;
	size_t pos = 0;
	GstE2eeNal nal;

	if (codec != GST_E2EE_CODEC_H264 && codec != GST_E2EE_CODEC_H265)
		return;
	while (gst_e2ee_nal_next(d, size, &pos, &nal, &garbage)) {
		const uint8_t *h = d + nal.start;
		unsigned int t = codec == GST_E2EE_CODEC_H264 ? h[0] & 0x1f : (h[0] >> 1) & 0x3f;

		if (nal.end - nal.start < hs)
			abort();
		if (codec == GST_E2EE_CODEC_H264 ? t == 9 : t == 35)
			auds++;
		if (auds > 1 || (slice && gst_e2ee_nal_is_clear(codec, h)))
			abort();
		slice |= codec == GST_E2EE_CODEC_H264 ? t >= 1 && t <= 5 : t <= 31;
	}
}

static void check_outputs(GstHarness *rx, Sent *sent, unsigned int n_sent)
{
	GstBuffer *out;

	while ((out = gst_harness_try_pull(rx))) {
		GstMapInfo m;
		GBytes *sig;
		bool found = false;

		gst_buffer_map(out, &m, GST_MAP_READ);
		sig = signature(m.data, m.size);
		clear_nals_checked(m.data, m.size);
		positions_checked(m.data, m.size);
		gst_buffer_unmap(out, &m);
		for (unsigned int k = 0; k < n_sent && !found; k++)
			if (sent[k].budget && g_bytes_equal(sig, sent[k].sig)) {
				sent[k].budget--;
				found = true;
			}
		/* Plaintext that was never sent as such, or more often than sent. */
		if (!found)
			abort();
		g_bytes_unref(sig);
		gst_buffer_unref(out);
	}
}

static GstBuffer *bytes_buffer(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
	GstBuffer *buf = gst_buffer_new_allocate(NULL, la + lb, NULL);

	gst_buffer_fill(buf, 0, a, la);
	gst_buffer_fill(buf, la, b, lb);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const caps[] = {
		"video/x-h264,stream-format=byte-stream,alignment=au",
		"video/x-h265,stream-format=byte-stream,alignment=au",
		"audio/x-opus",
	};
	Sent sent[SENT_MAX];
	unsigned int n_sent = 0, which;
	int stream;
	GstHarness *tx[2], *rx;
	GstClockTime now = 0;
	bool have1 = false;
	size_t i = 1;

	if (size < 1)
		return 0;
	which = data[0] % 3;
	codec = which == 0 ? GST_E2EE_CODEC_H264 : which == 1 ? GST_E2EE_CODEC_H265 :
		GST_E2EE_CODEC_WHOLE;
	stream = which == 2 ? E2EE_STREAM_AUDIO : E2EE_STREAM_VIDEO;
	for (int e = 0; e < 2; e++)
		tx[e] = fuzz_encoder(caps[which], stream, e2ee_kid_make(stream, 0, e));
	rx = gst_harness_new("e2eedec");
	g_object_set(rx->element, "stream", stream, NULL);
	fuzz_add_key(rx->element, e2ee_kid_make(stream, 0, 0), E2EE_KEY_RECV);
	gst_harness_use_testclock(rx);
	gst_harness_set_time(rx, 0);
	gst_harness_set_src_caps_str(rx, caps[which]);

	while (i + 3 <= size) {
		unsigned int op = data[i] % 8, a = data[i + 1], b = data[i + 2];
		Sent *s = n_sent ? &sent[a % n_sent] : NULL, *t = n_sent ? &sent[b % n_sent] : NULL;
		GstMapInfo m, m2;
		GstBuffer *buf = NULL, *ct;

		i += 3;
		switch (op) {
		case 0: {
			/* An access unit of the fuzzer's bytes, after a start code. */
			size_t len = a < size - i ? a : size - i;
			const uint8_t *d = data + i;
			bool nal = codec != GST_E2EE_CODEC_WHOLE;

			buf = nal ? bytes_buffer((const uint8_t *)"\0\0\0\1", 4, d, len) :
				    bytes_buffer(d, len, NULL, 0);
			i += len;
			gst_harness_push(tx[b & 1], buf);
			buf = NULL;
			ct = gst_harness_try_pull(tx[b & 1]);
			if (!ct)
				break;
			if (n_sent == SENT_MAX) {
				gst_buffer_unref(ct);
				break;
			}
			sent[n_sent].ct = ct;
			{
				uint8_t *pt = g_malloc(len + 4);
				size_t pl = 0;

				if (nal) {
					memcpy(pt, "\0\0\0\1", 4);
					pl = 4;
				}
				memcpy(pt + pl, d, len);
				sent[n_sent].sig = signature(pt, pl + len);
				g_free(pt);
			}
			sent[n_sent].budget = 1;
			n_sent++;
			break;
		}
		case 1: /* replayed or reordered */
			if (s)
				buf = gst_buffer_copy(s->ct);
			break;
		case 2: /* a byte flipped */
		case 3: /* cut short */
			if (!s)
				break;
			gst_buffer_map(s->ct, &m, GST_MAP_READ);
			buf = bytes_buffer(m.data, op == 3 ? b % m.size : m.size, NULL, 0);
			gst_buffer_unmap(s->ct, &m);
			if (op == 2) {
				gst_buffer_map(buf, &m, GST_MAP_WRITE);
				m.data[(a * 7 + b) % m.size] ^= (uint8_t)(1u << (b % 8));
				gst_buffer_unmap(buf, &m);
			}
			break;
		case 4: /* the head of one, the tail of another */
			if (!s)
				break;
			gst_buffer_map(s->ct, &m, GST_MAP_READ);
			gst_buffer_map(t->ct, &m2, GST_MAP_READ);
			buf = bytes_buffer(m.data, (a * 13u) % m.size, m2.data + (b * 13u) % m2.size,
					   m2.size - (b * 13u) % m2.size);
			gst_buffer_unmap(s->ct, &m);
			gst_buffer_unmap(t->ct, &m2);
			break;
		case 5: { /* the relay's own bytes, alone or as NAL units in front of one
			   * sent, or before its last NAL unit (b & 2) */
			size_t len = a < size - i ? a : size - i;

			if ((b & 1) && s && codec != GST_E2EE_CODEC_WHOLE) {
				size_t at = 0;

				gst_buffer_map(s->ct, &m, GST_MAP_READ);
				/* e2eeenc writes 00 00 00 01 before each NAL unit. */
				if (b & 2)
					for (size_t k = 4; k + 4 <= m.size; k++)
						if (!memcmp(m.data + k, "\0\0\0\1", 4))
							at = k;
				buf = bytes_buffer(m.data, at, (const uint8_t *)"\0\0\0\1", 4);
				gst_buffer_unmap(s->ct, &m);
				buf = gst_buffer_append(buf, bytes_buffer(data + i, len, NULL, 0));
				buf = gst_buffer_append(buf, gst_buffer_copy_region(s->ct,
						GST_BUFFER_COPY_MEMORY, at, gst_buffer_get_size(s->ct) - at));
			} else {
				buf = bytes_buffer(data + i, len, NULL, 0);
			}
			i += len;
			break;
		}
		case 6: /* time passes on the element's clock */
			now += (GstClockTime)a * 10 * GST_MSECOND;
			gst_harness_set_time(rx, now);
			break;
		case 7: /* the next epoch's key arrives */
			if (!have1)
				fuzz_add_key(rx->element, e2ee_kid_make(stream, 0, 1), E2EE_KEY_RECV);
			have1 = true;
			break;
		}
		if (buf) {
			GST_BUFFER_PTS(buf) = (GstClockTime)b * GST_SECOND * 1000;
			gst_harness_push(rx, buf);
		}
		check_outputs(rx, sent, n_sent);
	}
	gst_harness_push_event(rx, gst_event_new_eos());
	check_outputs(rx, sent, n_sent);
	for (unsigned int k = 0; k < n_sent; k++) {
		gst_buffer_unref(sent[k].ct);
		g_bytes_unref(sent[k].sig);
	}
	gst_harness_teardown(rx);
	gst_harness_teardown(tx[0]);
	gst_harness_teardown(tx[1]);
	return 0;
}
