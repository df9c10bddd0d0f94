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

#include "rtc_demux.h"
#include "rtc_fingerprint.h"
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
		cmocka_unit_test(sdp_build_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
