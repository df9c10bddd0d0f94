/* SPDX-License-Identifier: MIT */
/*
 * One WebRTC peer connection of the transport: ICE (libnice: one stream,
 * one component; bundle and rtcp-mux), DTLS-SRTP (rtc_dtls), SRTP and
 * SRTCP (libsrtp2), SDP (rtc_sdp). Media only: no data channel.
 *
 * What reaches the caller: RTP that came from the selected ICE pair's
 * remote address, after DTLS completed, of an SSRC the remote SDP
 * announced, and that SRTP authenticated and decrypted. Everything else is
 * dropped and counted (rtc_peer_stats): a datagram from any other address,
 * one that is neither DTLS nor RTP/RTCP (RFC 7983), media before the keys,
 * media of another SSRC (before srtp_unprotect: libsrtp would keep a
 * stream for each), and media that fails authentication. RTCP is taken
 * from the announced SSRCs and, on a connection we offered, from at most
 * RTC_PEER_LEARN_SSRCS more learnt from the first authenticated packets.
 * A PLI or FIR in authenticated RTCP becomes on_keyframe_request.
 *
 * The peer's candidates: UDP only, and with remote_allow set, only those
 * at an address it allows (libnice sends checks to nothing else); the
 * others are dropped and counted.
 *
 * Call order, publisher (we offer):
 *   rtc_peer_new(); rtc_peer_offer() (gathers first, bounded);
 *   rtc_peer_set_answer(); rtc_peer_wait_connected(); rtc_peer_send_rtp()...
 * subscriber (the SFU offers):
 *   rtc_peer_new(); rtc_peer_set_offer(); rtc_peer_answer();
 *   rtc_peer_wait_connected(); media arrives through on_rtp
 * and rtc_peer_free() always.
 *
 * Threads: an ICE thread (the agent's GMainContext, DTLS timers) and a
 * receive thread (DTLS input, SRTP unprotect, the callbacks). on_rtp and
 * on_keyframe_request run on the receive thread; rtc_peer_send_rtp() and
 * rtc_peer_send_pli() may be called from any thread. The peer owns its
 * memory; the keys live in libsrtp's contexts only (wiped on the way).
 */
#ifndef RTC_PEER_H
#define RTC_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_sdp.h"

struct rtc_peer;

struct rtc_peer_config {
	const char *local_addr; /* the only address gathered, e.g. "127.0.0.1" */
	/* ICE consent freshness (RFC 7675, libnice's): once connected, a
	 * peer that stops answering the checks fails the connection
	 * ("ICE consent lost"). docs/transport.md says where roomd uses it. */
	bool consent_freshness;
	/* The addresses the remote's ICE candidates may have: numeric
	 * "ADDR" or "ADDR/PREFIX", NULL-terminated, copied by rtc_peer_new();
	 * an empty list allows none; NULL: any (a test's peer). */
	const char *const *remote_allow;
	/* RTP after SRTP; rtp is writable and valid only during the call. */
	void (*on_rtp)(void *user, uint8_t *rtp, size_t len);
	void (*on_keyframe_request)(void *user, uint32_t media_ssrc);
	void *user;
};

struct rtc_peer_stats {
	uint64_t rtp_in, rtcp_in, dtls_in;
	uint64_t rtp_out, rtcp_out;
	uint64_t dropped_foreign; /* not from the selected pair's remote address */
	uint64_t dropped_other;	  /* neither DTLS nor RTP/RTCP (RFC 7983) */
	uint64_t dropped_early;	  /* before a pair was selected; media before DTLS completed */
	uint64_t dropped_auth;	  /* SRTP/SRTCP authentication or replay failure */
	uint64_t keyframe_requests;
	uint64_t dropped_ssrc;	     /* of an SSRC not announced (nor learnt), before SRTP */
	uint64_t candidates_refused; /* remote candidates not given to libnice, and
				     * peer-reflexive ones at an address not allowed */
};

/* SRTCP sender SSRCs learnt on a connection we offered (rtc_peer_offer):
 * the answerer's RTCP may come from sources its answer does not name. */
#define RTC_PEER_LEARN_SSRCS 4
#define RTC_PEER_MAX_SSRCS   (RTC_SDP_MAX_MEDIA * RTC_SDP_MAX_SSRCS + RTC_PEER_LEARN_SSRCS)

/* Our media in an offer. */
struct rtc_peer_media {
	const char *kind, *codec, *fmtp;
	int pt;
	unsigned int clock, channels;
	uint32_t ssrc;
};

__attribute__((warn_unused_result, nonnull)) int rtc_peer_new(const struct rtc_peer_config *cfg,
							      struct rtc_peer **out);

/* The publisher's offer (sendonly, a=setup:actpass, ICE controlling),
 * after gathering (bounded by timeout_ms). NULL on failure; g_free(). */
__attribute__((warn_unused_result, nonnull)) char *
rtc_peer_offer(struct rtc_peer *p, const struct rtc_peer_media *media, unsigned int n,
	       int timeout_ms);

/* The remote description, once (no renegotiation): its SSRCs are the
 * ones taken. 0, or -errno with *why a static sentence. */
__attribute__((warn_unused_result, nonnull)) int
rtc_peer_set_answer(struct rtc_peer *p, const char *sdp, size_t len, const char **why);
__attribute__((warn_unused_result, nonnull)) int
rtc_peer_set_offer(struct rtc_peer *p, const char *sdp, size_t len, const char **why);

/* The subscriber's answer to the offer set: each H.264 or Opus m-line
 * received (recvonly), others rejected; a=setup:active. g_free(). */
__attribute__((warn_unused_result, nonnull)) char *rtc_peer_answer(struct rtc_peer *p,
								   int timeout_ms);

/* The offer or answer the peer sent, as parsed. */
const struct rtc_sdp *rtc_peer_remote(const struct rtc_peer *p);

/* Until ICE and DTLS completed and SRTP is keyed: 0, -ETIMEDOUT, or
 * -EPROTO / -ECONNREFUSED with *why (e.g. a fingerprint mismatch). */
__attribute__((warn_unused_result, nonnull)) int
rtc_peer_wait_connected(struct rtc_peer *p, int timeout_ms, const char **why);
bool rtc_peer_connected(const struct rtc_peer *p);

/* Protects and sends one RTP packet (len <= RTC_PEER_MAX_RTP). 0, -ENOTCONN
 * before the keys, -EMSGSIZE, -EIO. */
#define RTC_PEER_MAX_RTP 1400
__attribute__((nonnull)) int rtc_peer_send_rtp(struct rtc_peer *p, const uint8_t *rtp,
					       size_t len);
/* A PLI (RFC 4585 6.3.1) for media_ssrc, over SRTCP. */
__attribute__((nonnull)) int rtc_peer_send_pli(struct rtc_peer *p, uint32_t media_ssrc);
/* One (compound) RTCP packet as it is, protected and sent (len <=
 * RTC_PEER_MAX_RTP): 0, -EINVAL (not RTCP), or as rtc_peer_send_rtp(). */
__attribute__((nonnull)) int rtc_peer_send_rtcp(struct rtc_peer *p, const uint8_t *rtcp,
						size_t len);

__attribute__((nonnull)) void rtc_peer_get_stats(struct rtc_peer *p, struct rtc_peer_stats *s);

/* Datagrams libnice dropped, in this process, because they came from an
 * address that is no remote candidate of their agent: counted from its
 * verbose debug log, only when NICE_DEBUG names nice-verbose (or all)
 * at the first rtc_peer_new() (rtc_peer_counting_unknown(); rtc_peer.c
 * says why not always). */
uint64_t rtc_peer_dropped_unknown(void);
bool rtc_peer_counting_unknown(void);

/* The selected candidate pair, "BASE:PORT TYPE[ as MAPPED:PORT] -> REMOTE:PORT
 * TYPE" (BASE our socket's address; types host, srflx, prflx, relay; MAPPED
 * what the peer saw, for a local candidate other than host, e.g. through a
 * NAT), or "(none)" before ICE selected one. */
#define RTC_PEER_PAIR_LEN 128
__attribute__((nonnull)) void rtc_peer_selected_pair(struct rtc_peer *p, char *out, size_t len);

/* The local UDP port of the component (0 before gathering). */
__attribute__((nonnull)) unsigned int rtc_peer_local_port(struct rtc_peer *p);

void rtc_peer_free(struct rtc_peer *p);

#endif
