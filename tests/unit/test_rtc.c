// SPDX-License-Identifier: MIT
/* webrtc/: the RFC 7983 demux, RTCP feedback, fingerprints and SDP, as
 * tables of named vectors (cmocka). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <gst/gst.h>

#include "rtc_demux.h"
#include "rtc_fingerprint.h"
#include "rtc_gst.h"
#include "rtc_peer.h"
#include "rtc_sdp.h"

static void demux_table(void **state)
{
	static const struct {
		const char *name;
		uint8_t b[16];
		size_t len;
		enum rtc_packet want;
	} t[] = {
		{ "empty", { 0 }, 0, RTC_PACKET_OTHER },
		{ "STUN binding (libnice keeps these)", { 0x00, 0x01 }, 16, RTC_PACKET_OTHER },
		{ "DTLS handshake record", { 22, 0xfe, 0xfd }, 13, RTC_PACKET_DTLS },
		{ "DTLS too short for a record header", { 22, 0xfe, 0xfd }, 12, RTC_PACKET_OTHER },
		{ "DTLS lowest (20)", { 20 }, 13, RTC_PACKET_DTLS },
		{ "DTLS highest (63)", { 63 }, 13, RTC_PACKET_DTLS },
		{ "TURN channel (64)", { 64 }, 13, RTC_PACKET_OTHER },
		{ "ZRTP (16)", { 16 }, 13, RTC_PACKET_OTHER },
		{ "RTP PT 96", { 0x80, 96 }, 12, RTC_PACKET_RTP },
		{ "RTP PT 96 marker", { 0x80, 0x80 | 96 }, 12, RTC_PACKET_RTP },
		{ "RTP too short", { 0x80, 96 }, 11, RTC_PACKET_OTHER },
		{ "RTCP SR (200)", { 0x80, 200 }, 8, RTC_PACKET_RTCP },
		{ "RTCP PSFB (206)", { 0x81, 206 }, 12, RTC_PACKET_RTCP },
		{ "RTCP lowest (192)", { 0x80, 192 }, 8, RTC_PACKET_RTCP },
		{ "RTCP highest (223)", { 0x80, 223 }, 8, RTC_PACKET_RTCP },
		{ "RTCP too short", { 0x80, 200 }, 7, RTC_PACKET_OTHER },
		{ "version 3 (192)", { 0xc0, 96 }, 12, RTC_PACKET_OTHER },
		{ "version 1 (64..127)", { 0x40, 96 }, 12, RTC_PACKET_OTHER },
		{ "byte 255", { 0xff }, 12, RTC_PACKET_OTHER },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t *copy = malloc(t[i].len + 1); /* exactly len readable, plus nothing */

		memcpy(copy, t[i].b, t[i].len < 16 ? t[i].len : 16);
		if (t[i].len > 16)
			memset(copy + 16, 0, t[i].len - 16);
		if (rtc_demux_classify(copy, t[i].len) != t[i].want)
			fail_msg("%s: classified %d, want %d", t[i].name,
				 rtc_demux_classify(copy, t[i].len), t[i].want);
		free(copy);
	}
}

static void rtcp_feedback(void **state)
{
	uint8_t pkt[96], pli[RTC_PLI_LEN];
	uint32_t ssrc = 0;
	/* An RR (empty, 8 bytes) then our PLI: a compound packet. */
	static const uint8_t rr[8] = { 0x80, 201, 0, 1, 1, 2, 3, 4 };
	/* A FIR for SSRC 0x0a0b0c0d (RFC 5104 4.3.1.1). */
	static const uint8_t fir[20] = { 0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0,
					 0x0a, 0x0b, 0x0c, 0x0d, 7, 0, 0, 0 };

	rtc_rtcp_pli(pli, 0x01020304, 0xa1b2c3d4);
	/* RFC 3550 6.1: the compound starts with a report. */
	assert_int_equal(pli[0], 0x81);
	assert_int_equal(pli[1], 201);
	assert_int_equal(pli[32 + 1], 206);
	assert_int_equal(rtc_rtcp_feedback(pli, sizeof(pli), &ssrc), RTC_FB_PLI);
	assert_int_equal(ssrc, 0xa1b2c3d4);
	memcpy(pkt, rr, 8);
	memcpy(pkt + 8, pli, sizeof(pli));
	assert_int_equal(rtc_rtcp_feedback(pkt, 8 + sizeof(pli), &ssrc), RTC_FB_PLI);
	assert_int_equal(ssrc, 0xa1b2c3d4);
	assert_int_equal(rtc_rtcp_feedback(fir, sizeof(fir), &ssrc), RTC_FB_FIR);
	assert_int_equal(ssrc, 0x0a0b0c0d);
	/* The PLI cut short: its length says more than is there. */
	assert_int_equal(rtc_rtcp_feedback(pkt, 8 + sizeof(pli) - 1, &ssrc), 0);
	/* Receiver report alone: nothing. */
	assert_int_equal(rtc_rtcp_feedback(rr, sizeof(rr), NULL), 0);
}

static void rtp_header(void **state)
{
	uint8_t p[32] = { 0x90 | 1, 96, 0, 1, 0, 0, 0, 0, 0xba, 0xdc, 0x0d, 0xe5,
			  1, 1, 1, 1, /* CSRC */ 0xbe, 0xde, 0, 1, 0, 0, 0, 0 };

	assert_int_equal(rtc_rtp_ssrc(p), 0xbadc0de5);
	assert_int_equal(rtc_rtp_pt(p), 96);
	assert_int_equal(rtc_rtp_payload_offset(p, sizeof(p)), 12 + 4 + 4 + 4);
	assert_int_equal(rtc_rtp_payload_offset(p, 19), -EBADMSG); /* extension cut */
	p[0] = 0x80;
	assert_int_equal(rtc_rtp_payload_offset(p, 12), 12);
}

static void fingerprint(void **state)
{
	static const uint8_t der[] = "not really a certificate, but bytes";
	uint8_t fp[RTC_FP_LEN], back[RTC_FP_LEN];
	char text[RTC_FP_TEXT_LEN + 1];
	char lower[RTC_FP_TEXT_LEN];

	memset(text + RTC_FP_TEXT_LEN, 0x5a, 1); /* canary */
	assert_int_equal(rtc_fingerprint_of(der, sizeof(der), fp), 0);
	rtc_fingerprint_format(fp, text);
	assert_int_equal(text[RTC_FP_TEXT_LEN], 0x5a);
	assert_int_equal(strlen(text), RTC_FP_TEXT_LEN - 1);
	assert_int_equal(rtc_fingerprint_parse(text, strlen(text), back), 0);
	assert_memory_equal(fp, back, RTC_FP_LEN);
	assert_true(rtc_fingerprint_matches(der, sizeof(der), back));
	/* Either case (RFC 8122 5 is case-insensitive for the hash name). */
	for (size_t i = 0; i <= strlen(text); i++)
		lower[i] = (char)g_ascii_tolower(text[i]);
	memcpy(lower, "SHA-256", 7);
	assert_int_equal(rtc_fingerprint_parse(lower, strlen(lower), back), 0);
	assert_memory_equal(fp, back, RTC_FP_LEN);
	/* One bit off anywhere: no match. */
	for (int i = 0; i < RTC_FP_LEN; i++) {
		back[i] ^= 1;
		assert_false(rtc_fingerprint_matches(der, sizeof(der), back));
		back[i] ^= 1;
	}
	assert_int_equal(rtc_fingerprint_parse("sha-1 00:11", 11, back), -ENOTSUP);
	assert_int_equal(rtc_fingerprint_parse(text, strlen(text) - 1, back), -EINVAL);
	text[10] = ';';
	assert_int_equal(rtc_fingerprint_parse(text, strlen(text), back), -EINVAL);
	assert_int_equal(rtc_fingerprint_parse("", 0, back), -EINVAL);
}

#define FP "sha-256 BF:24:EA:8D:F2:F5:D0:AB:F6:3C:7F:33:05:FA:8F:A6:D3:8B:F7:19:44:EC:87:32:3A:E9:7E:08:F3:74:42:6F"

/* Janus 1.1.2's answer to our offer, as it was on loopback. */
static const char janus_answer[] =
	"v=0\r\no=- 567826141060658658 2 IN IP4 127.0.0.1\r\ns=VideoRoom 1234\r\nt=0 0\r\n"
	"a=group:BUNDLE 0 1\r\na=ice-options:trickle\r\na=fingerprint:" FP "\r\n"
	"a=extmap-allow-mixed\r\na=msid-semantic: WMS *\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=recvonly\r\na=mid:0\r\n"
	"a=rtcp-mux\r\na=ice-ufrag:aI0r\r\na=ice-pwd:xNmcPX0AUZQoLtfKdD6HeO\r\n"
	"a=setup:active\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"
	"a=ssrc:2706982458 cname:janus\r\n"
	"a=candidate:1 1 udp 2015363327 127.0.0.2 34187 typ host\r\na=end-of-candidates\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 127.0.0.1\r\na=recvonly\r\na=mid:1\r\n"
	"a=rtcp-mux\r\na=ice-ufrag:aI0r\r\na=ice-pwd:xNmcPX0AUZQoLtfKdD6HeO\r\n"
	"a=setup:active\r\na=rtpmap:96 H264/90000\r\na=rtcp-fb:96 nack pli\r\n"
	"a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
	"a=ssrc:1257928753 cname:janus\r\n"
	"a=candidate:1 1 udp 2015363327 127.0.0.2 34187 typ host\r\na=end-of-candidates\r\n";

static void sdp_parse_janus(void **state)
{
	struct rtc_sdp *s = g_new0(struct rtc_sdp, 1);
	const char *why = NULL;

	assert_int_equal(rtc_sdp_parse(janus_answer, strlen(janus_answer), s, &why), 0);
	assert_string_equal(s->ufrag, "aI0r");
	assert_int_equal(s->setup, RTC_SETUP_ACTIVE);
	assert_int_equal(s->n_media, 2);
	assert_string_equal(s->media[1].codec, "H264");
	assert_int_equal(s->media[1].pt, 96);
	assert_int_equal(s->media[1].ssrc, 1257928753u);
	assert_string_equal(s->media[0].mid, "0");
	assert_int_equal(s->media[0].channels, 2);
	assert_int_equal(s->n_candidates, 2);
	assert_int_equal(s->fingerprint[0], 0xBF);
	g_free(s);
}

/* Each refused with a reason: edits of the Janus answer. */
static void sdp_refusals(void **state)
{
	static const struct {
		const char *name, *from, *to;
	} t[] = {
		{ "no rtcp-mux", "a=rtcp-mux\r\na=ice-ufrag:aI0r\r\na=ice-pwd:xNmcPX0AUZQoLtfKdD6HeO\r\n"
				 "a=setup:active\r\na=rtpmap:96",
		  "a=ice-ufrag:aI0r\r\na=ice-pwd:xNmcPX0AUZQoLtfKdD6HeO\r\na=setup:active\r\na=rtpmap:96" },
		{ "sha-1 fingerprint", "a=fingerprint:sha-256 ", "a=fingerprint:sha-1 " },
		{ "not bundled", "a=group:BUNDLE 0 1\r\n", "" },
		{ "two transports", "a=ice-ufrag:aI0r\r\na=ice-pwd:xNmcPX0AUZQoLtfKdD6HeO\r\n"
				    "a=setup:active\r\na=rtpmap:96",
		  "a=ice-ufrag:zzzz\r\na=ice-pwd:xNmcPX0AUZQoLtfKdD6HeO\r\na=setup:active\r\na=rtpmap:96" },
		{ "plain RTP/AVP", "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9 RTP/AVP 96" },
		{ "no mid", "a=mid:1\r\n", "" },
		{ "no setup", "a=setup:active\r\n", "" },
	};
	struct rtc_sdp *s = g_new0(struct rtc_sdp, 1);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *at = strstr(janus_answer, t[i].from);
		GString *e;
		const char *why = NULL;

		assert_non_null(at);
		e = g_string_new_len(janus_answer, at - janus_answer);
		g_string_append(e, t[i].to);
		g_string_append(e, at + strlen(t[i].from));
		if (!rtc_sdp_parse(e->str, e->len, s, &why))
			fail_msg("%s: accepted", t[i].name);
		if (!why)
			fail_msg("%s: refused without a reason", t[i].name);
		g_string_free(e, TRUE);
	}
	g_free(s);
}

/* janus_answer with the video's a=ssrc line replaced by to. */
static GString *edit_ssrc(const char *to)
{
	static const char from[] = "a=ssrc:1257928753 cname:janus\r\n";
	const char *at = strstr(janus_answer, from);
	GString *e = g_string_new_len(janus_answer, at - janus_answer);

	g_string_append(e, to);
	g_string_append(e, at + strlen(from));
	return e;
}

/* RFC 5576: every distinct a=ssrc of an m-line (a source has several
 * lines; RTX is another source), at most 4, each a decimal 32-bit id. */
static void sdp_ssrcs(void **state)
{
	static const struct {
		const char *name, *lines;
		int ret;
		unsigned int n;
		uint32_t ssrc[4];
	} t[] = {
		{ "one source, two lines",
		  "a=ssrc:1257928753 cname:janus\r\na=ssrc:1257928753 msid:janus janusv0\r\n", 0,
		  1, { 1257928753u } },
		{ "media and RTX (Janus's FID group)",
		  "a=ssrc-group:FID 1257928753 99\r\na=ssrc:1257928753 cname:janus\r\n"
		  "a=ssrc:99 cname:janus\r\n",
		  0, 2, { 1257928753u, 99 } },
		{ "the largest id", "a=ssrc:4294967295 cname:x\r\n", 0, 1, { 4294967295u } },
		{ "none", "", 0, 0, { 0 } },
		{ "four", "a=ssrc:1 cname:x\r\na=ssrc:2 cname:x\r\na=ssrc:3 cname:x\r\na=ssrc:4 cname:x\r\n",
		  0, 4, { 1, 2, 3, 4 } },
		{ "five: refused", /* n, ssrc unused: refused */
		  "a=ssrc:1 cname:x\r\na=ssrc:2 cname:x\r\na=ssrc:3 cname:x\r\na=ssrc:4 cname:x\r\n"
		  "a=ssrc:5 cname:x\r\n",
		  -EINVAL, 0, { 0 } },
		{ "past 32 bits: refused", "a=ssrc:4294967296 cname:x\r\n", -EINVAL, 0, { 0 } },
		{ "not a number: refused", "a=ssrc:12x cname:x\r\n", -EINVAL, 0, { 0 } },
		{ "empty id: refused", "a=ssrc: cname:x\r\n", -EINVAL, 0, { 0 } },
		{ "11 digits: refused", "a=ssrc:00000000001 cname:x\r\n", -EINVAL, 0, { 0 } },
	};
	struct rtc_sdp *s = g_new0(struct rtc_sdp, 1);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		GString *e = edit_ssrc(t[i].lines);
		const char *why = NULL;
		int ret = rtc_sdp_parse(e->str, e->len, s, &why);

		if (ret != t[i].ret)
			fail_msg("%s: %d (%s), want %d", t[i].name, ret, why ? why : "", t[i].ret);
		if (!ret && (s->media[1].n_ssrcs != t[i].n ||
			     memcmp(s->media[1].ssrcs, t[i].ssrc, t[i].n * sizeof(uint32_t)) ||
			     s->media[1].ssrc != t[i].ssrc[0]))
			fail_msg("%s: %u SSRCs, the first %u", t[i].name, s->media[1].n_ssrcs,
				 s->media[1].ssrc);
		if (!ret && (s->media[0].n_ssrcs != 1 || s->media[0].ssrc != 2706982458u))
			fail_msg("%s: the audio's SSRC changed", t[i].name);
		g_string_free(e, TRUE);
	}
	g_free(s);
}

/* The remote's candidates: only those at an allowed address reach libnice
 * (rtc_peer_config.remote_allow); the others are counted. */
static void peer_candidates(void **state)
{
	static const struct {
		const char *name;
		const char *allow[3];
		int ret;
		uint64_t refused;
	} t[] = {
		{ "Janus's address", { "127.0.0.2", NULL }, 0, 1 },
		{ "a prefix holding both", { "0.0.0.0/0", NULL }, 0, 0 },
		{ "the LAN host only", { "10.0.0.99", NULL }, 0, 1 },
		{ "neither: refused", { "192.168.0.0/16", "::1", NULL }, -EINVAL, 2 },
		{ "an empty list allows none", { NULL }, -EINVAL, 2 },
	};
	/* The audio's candidate points at a host on the LAN. */
	GString *sdp = g_string_new(janus_answer);
	const char *at = strstr(sdp->str, "127.0.0.2 34187");

	g_string_overwrite(sdp, at - sdp->str, "10.0.0.99 34187"); /* same length */
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rtc_peer_config cfg = { .local_addr = "127.0.0.1", .remote_allow = t[i].allow };
		struct rtc_peer *p;
		struct rtc_peer_stats st;
		const char *why = NULL;
		int ret;

		assert_int_equal(rtc_peer_new(&cfg, &p), 0);
		ret = rtc_peer_set_answer(p, sdp->str, sdp->len, &why);
		rtc_peer_get_stats(p, &st);
		if (ret != t[i].ret || st.candidates_refused != t[i].refused)
			fail_msg("%s: %d (%s), %llu refused", t[i].name, ret, why ? why : "",
				 (unsigned long long)st.candidates_refused);
		rtc_peer_free(p);
	}
	{
		static const char *const bad[] = { "janus.example", NULL };
		struct rtc_peer_config cfg = { .local_addr = "127.0.0.1", .remote_allow = bad };
		struct rtc_peer *p;

		assert_int_equal(rtc_peer_new(&cfg, &p), -EINVAL);
		assert_null(p);
	}
	g_string_free(sdp, TRUE);
}

/* The receive queue: appsrc past max-bytes drops its oldest (leaky-type
 * downstream), so 40,000 packets that nothing downstream takes leave it at
 * its bound, and every pool buffer it dropped is back in the pool. */
static void receive_queue_bound(void **state)
{
	struct rtc_gst *g = rtc_gst_new();
	struct rtc_peer_config cfg = { 0 };
	GstCaps *caps = gst_caps_from_string("application/x-rtp,media=video,encoding-name=H264,"
					     "clock-rate=90000,payload=96");
	GstElement *pipe = gst_pipeline_new(NULL), *src = rtc_gst_src(g, "src", caps, 96, 0);
	GstElement *sink = gst_element_factory_make("fakesink", NULL);
	uint8_t pkt[1200] = { 0x80, 96 };
	guint64 level = 0, max = 0, buffers = 0;

	assert_non_null(src);
	gst_bin_add_many(GST_BIN(pipe), src, sink, NULL);
	assert_true(gst_element_link(src, sink));
	/* Live: in PAUSED nothing leaves the appsrc's queue. */
	assert_int_not_equal(gst_element_set_state(pipe, GST_STATE_PAUSED),
			     GST_STATE_CHANGE_FAILURE);
	rtc_gst_peer_config(g, &cfg);
	for (unsigned int i = 0; i < 40000; i++) {
		pkt[2] = (uint8_t)(i >> 8);
		pkt[3] = (uint8_t)i;
		cfg.on_rtp(cfg.user, pkt, sizeof(pkt));
	}
	g_object_get(src, "current-level-bytes", &level, "max-bytes", &max,
		     "current-level-buffers", &buffers, NULL);
	print_message("# 40000 packets of 1200 bytes pushed: current-level-bytes=%llu "
		      "(max-bytes %llu), %llu buffers queued, pushed %llu, pool empty %llu\n",
		      (unsigned long long)level, (unsigned long long)max,
		      (unsigned long long)buffers, (unsigned long long)rtc_gst_pushed(g),
		      (unsigned long long)rtc_gst_pool_empty(g));
	/* appsrc drops the oldest once the queue is full, before it queues
	 * the new one: at most max-bytes and one packet. */
	assert_true(max > 0 && level <= max + RTC_PEER_MAX_RTP);
	assert_true(level + sizeof(pkt) > max); /* full: the bound was reached */
	assert_int_equal(rtc_gst_pushed(g), 40000);
	assert_int_equal(rtc_gst_pool_empty(g), 0);
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_caps_unref(caps);
	gst_object_unref(pipe);
	rtc_gst_free(g);
}

static void sdp_build_roundtrip(void **state)
{
	uint8_t fp[RTC_FP_LEN];
	struct rtc_sdp_local l = {
		.session_id = 42, .ufrag = "abcd", .pwd = "abcdefghijklmnopqrstuv", .cname = "x",
		.fingerprint = fp, .setup = RTC_SETUP_ACTPASS, .n_media = 2,
		.media = { { "audio", "0", "opus", "useinbandfec=1", 111, 48000, 2, 7, RTC_DIR_SENDONLY },
			   { "video", "1", "H264", "packetization-mode=1", 96, 90000, 0, 8,
			     RTC_DIR_SENDONLY } },
		.n_candidates = 1, .candidate = { "1 1 UDP 2015364095 127.0.0.1 53157 typ host" },
	};
	struct rtc_sdp *s = g_new0(struct rtc_sdp, 1);
	const char *why = NULL;
	char *text;

	for (int i = 0; i < RTC_FP_LEN; i++)
		fp[i] = (uint8_t)(i * 7);
	text = rtc_sdp_build(&l);
	assert_non_null(text);
	assert_int_equal(rtc_sdp_parse(text, strlen(text), s, &why), 0);
	assert_memory_equal(s->fingerprint, fp, RTC_FP_LEN);
	assert_int_equal(s->setup, RTC_SETUP_ACTPASS);
	assert_int_equal(s->media[1].ssrc, 8);
	assert_int_equal(s->media[0].dir, RTC_DIR_SENDONLY);
	assert_int_equal(s->n_candidates, 1);
	assert_non_null(strstr(text, "a=group:BUNDLE 0 1"));
	g_free(text);
	g_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demux_table),	       cmocka_unit_test(rtcp_feedback),
		cmocka_unit_test(rtp_header),	       cmocka_unit_test(fingerprint),
		cmocka_unit_test(sdp_parse_janus),     cmocka_unit_test(sdp_refusals),
		cmocka_unit_test(sdp_build_roundtrip), cmocka_unit_test(sdp_ssrcs),
		cmocka_unit_test(peer_candidates),     cmocka_unit_test(receive_queue_bound),
	};

	gst_init(NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
