/* SPDX-License-Identifier: MIT */
/*
 * A peer connection's state (rtc_peer.h), shared by its two files:
 * rtc_peer.c (the connection's life, SDP, DTLS and SRTP, receive and send)
 * and rtc_peer_ice.c (the libnice agent: its signals, the remote candidate
 * filter, the ICE thread). Nothing outside webrtc/rtc_peer*.c includes it.
 */
#ifndef RTC_PEER_PRIV_H
#define RTC_PEER_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <agent.h>
#include <gio/gio.h>
#include <srtp2/srtp.h>

#include "rtc_dtls.h"
#include "rtc_peer.h"

#define RTC_PEER_RECV_MAX  2048 /* a datagram read */
#define RTC_PEER_EARLY_MAX 8	/* early DTLS datagrams kept */
#define RTC_PEER_EARLY_US  (1 * G_USEC_PER_SEC)

struct rtc_peer {
	struct rtc_peer_config cfg;
	GMainContext *ctx;
	GMainLoop *loop;
	GThread *ice_thread, *recv_thread;
	GCancellable *cancel;
	NiceAgent *agent;
	guint stream;
	GSource *timer;

	GMutex lock; /* everything below */
	GCond changed;
	bool gathered, ice_ok, ice_failed;
	NiceAddress selected; /* the remote address of the selected pair */
	bool have_selected;
	char pair[RTC_PEER_PAIR_LEN]; /* the selected pair, described */
	struct rtc_dtls *dtls;
	bool dtls_started, have_remote;
	/* DTLS that came before the pair or DTLS was known here (the peer's
	 * first flight, while libnice's events of the same moment are still
	 * on their way to the ICE thread): replayed in order once both are,
	 * dropped after RTC_PEER_EARLY_US. */
	struct rtc_peer_early {
		uint8_t data[RTC_PEER_RECV_MAX];
		size_t len;
		NiceAddress from;
		gint64 at; /* monotonic, us */
	} early[RTC_PEER_EARLY_MAX];
	unsigned int n_early;
	struct rtc_sdp remote;
	const char *why;
	char why_buf[320]; /* a failure's reason with an address in it */
	int failed;
	gint dead; /* failed: nothing more is sent (atomic) */

	/* Set once, before `ready`; srtp_in is the receive thread's alone. */
	srtp_t srtp_in, srtp_out;
	gint ready;
	GMutex out_lock; /* srtp_out */
	uint32_t rtcp_ssrc;
	/* The remote's SSRCs: announced (set with the remote description,
	 * before the receive thread starts), then learnt (the receive
	 * thread's alone), RTCP only, when we offered. */
	uint32_t ssrcs[RTC_PEER_MAX_SSRCS];
	unsigned int n_announced, n_ssrcs;
	bool offered;
	GPtrArray *allow; /* GInetAddressMask, or NULL: any */

	struct rtc_peer_stats stats;
};

static inline void rtc_peer_count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* rtc_peer.c; p->lock held. The first failure is kept and said (its why
 * must outlive the peer, or be p->why_buf); sends stop. */
void rtc_peer_fail_locked(struct rtc_peer *p, int err, const char *why);
/* What a DTLS call returned: failed, or done (SRTP keyed). */
void rtc_peer_dtls_check_locked(struct rtc_peer *p, int ret);
/* Once ICE connected and the remote description is set. */
void rtc_peer_start_dtls_locked(struct rtc_peer *p);

/* rtc_peer_ice.c. The agent on p->ctx, its signals connected, the one
 * local address added, the stream made, the ICE thread and its 20 ms tick
 * started; 0 or -errno (said; p is then freed by rtc_peer_free). */
int rtc_peer_ice_start(struct rtc_peer *p);
/* rtc_peer.c: the early DTLS datagrams into DTLS once the pair is selected
 * and DTLS started (else nothing); p->lock held. */
void rtc_peer_replay_early_locked(struct rtc_peer *p);
/* Drops those older than RTC_PEER_EARLY_US (the ICE thread's tick). */
void rtc_peer_expire_early_locked(struct rtc_peer *p, gint64 now);
/* Whether libnice may use c: UDP, at an address remote_allow allows. */
bool rtc_peer_candidate_allowed(const struct rtc_peer *p, const NiceCandidate *c);

#endif
