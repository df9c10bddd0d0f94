/* SPDX-License-Identifier: MIT */
/*
 * What arrived on the ICE component, by its first bytes (RFC 7983 7, RFC
 * 5761 4), and the few RTCP feedback messages the transport acts on. Pure
 * functions over untrusted bytes: no allocation, reads only p[0..len).
 * Fuzzed by tests/fuzz/fuzz_rtc_parse.c.
 */
#ifndef RTC_DEMUX_H
#define RTC_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum rtc_packet {
	RTC_PACKET_OTHER, /* dropped and counted */
	RTC_PACKET_DTLS,  /* 20..63, at least a record header */
	RTC_PACKET_RTP,	  /* 128..191, version 2, not an RTCP type */
	RTC_PACKET_RTCP,  /* 128..191, version 2, packet type 192..223 */
};

#define RTC_DTLS_RECORD_HEADER 13
#define RTC_RTP_HEADER	       12
#define RTC_RTCP_HEADER	       8
#define RTC_PLI_LEN	       44 /* RR with one report block, then the PLI */

__attribute__((warn_unused_result)) enum rtc_packet rtc_demux_classify(const uint8_t *p,
									size_t len);

/* Feedback found in a (decrypted) compound RTCP packet. */
#define RTC_FB_PLI 1u /* RFC 4585 6.3.1 */
#define RTC_FB_FIR 2u /* RFC 5104 4.3.1 */

/*
 * Walks a compound RTCP packet (RFC 3550 6.1); returns the RTC_FB_* bits
 * found, and the media SSRC of the last one in *media_ssrc (may be NULL).
 * A malformed compound returns what was found before the fault.
 */
__attribute__((warn_unused_result)) unsigned int rtc_rtcp_feedback(const uint8_t *p, size_t len,
								   uint32_t *media_ssrc);

/* A PLI (RFC 4585 6.3.1) in a compound packet that starts with a receiver
 * report (RFC 3550 6.1; no reduced-size RTCP was negotiated) whose one
 * report block names media_ssrc: Janus finds the stream by it. Before
 * SRTCP protection. */
void rtc_rtcp_pli(uint8_t out[static RTC_PLI_LEN], uint32_t sender_ssrc, uint32_t media_ssrc);

/* RTP header fields (RFC 3550 5.1) of a packet rtc_demux_classify() called
 * RTP; the payload offset past CSRCs and a header extension, or -EBADMSG. */
__attribute__((warn_unused_result)) int rtc_rtp_payload_offset(const uint8_t *p, size_t len);
uint32_t rtc_rtp_ssrc(const uint8_t p[static RTC_RTP_HEADER]);
uint8_t rtc_rtp_pt(const uint8_t p[static RTC_RTP_HEADER]);
/* The sender SSRC of a (compound, SRTCP-protected or not) RTCP packet that
 * rtc_demux_classify() called RTCP: its first packet's, the one SRTCP keys
 * its stream by (RFC 3711 3.4). */
uint32_t rtc_rtcp_ssrc(const uint8_t p[static RTC_RTCP_HEADER]);

#endif
