/* SPDX-License-Identifier: MIT */
/*
 * The SDP of a WebRTC peer connection as this transport uses it (RFC 8829
 * in spirit, RFC 8843 bundle, RFC 5761 rtcp-mux, RFC 8839 ICE, RFC 8122
 * fingerprint, RFC 5763 setup), through GstSDP. Only what the transport
 * needs is read; what it cannot do (no bundle, no rtcp-mux, no sha-256
 * fingerprint, differing credentials or fingerprints between m-lines) is
 * refused with a sentence.
 *
 * Ownership: rtc_sdp_parse() fills a caller-owned struct (fixed sizes, no
 * allocation kept); rtc_sdp_build() returns text the caller frees with
 * g_free().
 */
#ifndef RTC_SDP_H
#define RTC_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_fingerprint.h"

#define RTC_SDP_MAX_MEDIA      4
#define RTC_SDP_MAX_CANDIDATES 16
#define RTC_SDP_CANDIDATE_MAX  256
#define RTC_SDP_MAX_SSRCS      4 /* distinct a=ssrc per m-line (media, RTX, ...) */

enum rtc_setup { RTC_SETUP_NONE, RTC_SETUP_ACTPASS, RTC_SETUP_ACTIVE, RTC_SETUP_PASSIVE };
enum rtc_dir { RTC_DIR_SENDRECV, RTC_DIR_SENDONLY, RTC_DIR_RECVONLY, RTC_DIR_INACTIVE };

struct rtc_sdp_media {
	char kind[8];  /* "audio" or "video" */
	char mid[32];  /* RFC 8843: required */
	char codec[16]; /* encoding name of the first format with an rtpmap */
	char fmtp[160]; /* its a=fmtp parameters, or "" */
	int pt;
	unsigned int clock, channels;
	uint32_t ssrc; /* the first a=ssrc, 0 if none */
	/* Every distinct a=ssrc (RFC 5576 4.1) of the m-line, in order: the
	 * sources the peer announces; an m-line naming more is refused. */
	unsigned int n_ssrcs;
	uint32_t ssrcs[RTC_SDP_MAX_SSRCS];
	enum rtc_dir dir;
	bool rejected; /* port 0 */
};

struct rtc_sdp {
	char ufrag[64], pwd[128];
	uint8_t fingerprint[RTC_FP_LEN];
	enum rtc_setup setup;
	unsigned int n_media;
	struct rtc_sdp_media media[RTC_SDP_MAX_MEDIA];
	unsigned int n_candidates;
	char candidate[RTC_SDP_MAX_CANDIDATES][RTC_SDP_CANDIDATE_MAX]; /* after "candidate:" */
};

/* 0, or -EINVAL / -ENOTSUP with *why a static sentence. */
__attribute__((warn_unused_result, nonnull)) int rtc_sdp_parse(const char *text, size_t len,
							       struct rtc_sdp *out, const char **why);

struct rtc_sdp_local_media {
	const char *kind, *mid, *codec, *fmtp; /* fmtp may be NULL */
	int pt;
	unsigned int clock, channels; /* channels 0: none written */
	uint32_t ssrc;		      /* 0: no a=ssrc */
	enum rtc_dir dir;
	bool rejected;
};

struct rtc_sdp_local {
	uint64_t session_id;
	const char *ufrag, *pwd, *cname;
	const uint8_t *fingerprint; /* RTC_FP_LEN bytes */
	enum rtc_setup setup;
	unsigned int n_media;
	struct rtc_sdp_local_media media[RTC_SDP_MAX_MEDIA];
	unsigned int n_candidates;
	const char *candidate[RTC_SDP_MAX_CANDIDATES]; /* after "candidate:" */
};

/* Bundled, rtcp-mux, UDP/TLS/RTP/SAVPF; NULL if something is missing. */
__attribute__((warn_unused_result, nonnull)) char *rtc_sdp_build(const struct rtc_sdp_local *l);

#endif
