// SPDX-License-Identifier: MIT
/*
 * One peer connection: libnice + rtc_dtls + libsrtp2 (rtc_peer.h). This
 * file: the connection's life, the SDP offer and answer, DTLS and SRTP, the
 * receive thread and sending; its ICE is rtc_peer_ice.c (rtc_peer_priv.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>
#include <gio/gio.h>
#include <mbedtls/platform_util.h>
#include <srtp2/srtp.h>

#include "rtc_demux.h"
#include "rtc_dtls.h"
#include "rtc_peer_priv.h"
#include "rtc_srtp.h"



void rtc_peer_fail_locked(struct rtc_peer *p, int err, const char *why)
{
	if (!p->failed) {
		p->failed = err;
		p->why = why;
		g_atomic_int_set(&p->dead, 1);
		g_printerr("rtc: %s\n", why);
	}
	g_cond_broadcast(&p->changed);
}

/* ------------------------------------------------------------------- SRTP */

/* DTLS is done: SRTP keyed from its exporter, the keys wiped here. */
static void dtls_done_locked(struct rtc_peer *p)
{
	struct rtc_srtp_keys keys;

	if (g_atomic_int_get(&p->ready))
		return;
	if (rtc_dtls_keys(p->dtls, &keys) || rtc_srtp_new(&p->srtp_in, keys.remote, true) ||
	    rtc_srtp_new(&p->srtp_out, keys.local, false))
		rtc_peer_fail_locked(p, -EIO, "SRTP could not be keyed");
	else
		g_atomic_int_set(&p->ready, 1);
	mbedtls_platform_zeroize(&keys, sizeof(keys));
	g_cond_broadcast(&p->changed);
}

void rtc_peer_dtls_check_locked(struct rtc_peer *p, int ret)
{
	if (ret || rtc_dtls_state(p->dtls) == RTC_DTLS_FAILED)
		rtc_peer_fail_locked(p, -EPROTO, rtc_dtls_error(p->dtls));
	else if (rtc_dtls_state(p->dtls) == RTC_DTLS_DONE)
		dtls_done_locked(p);
}

static int dtls_send(void *user, const uint8_t *data, size_t len)
{
	struct rtc_peer *p = user;

	if (g_atomic_int_get(&p->dead))
		return -ENOTCONN;
	return nice_agent_send(p->agent, p->stream, 1, len, (const gchar *)data) < 0 ? -EIO : 0;
}

/* RFC 5763 5: a=setup:active (ours) sends the ClientHello. */
void rtc_peer_start_dtls_locked(struct rtc_peer *p)
{
	bool client;

	if (p->dtls_started || !p->have_remote || !p->ice_ok)
		return;
	p->dtls_started = true;
	client = p->remote.setup == RTC_SETUP_PASSIVE || p->remote.setup == RTC_SETUP_ACTPASS;
	rtc_peer_dtls_check_locked(p, rtc_dtls_start(p->dtls, client, p->remote.fingerprint));
	rtc_peer_replay_early_locked(p);
}

void rtc_peer_replay_early_locked(struct rtc_peer *p)
{
	if (!p->have_selected || !p->dtls_started)
		return;
	for (unsigned int i = 0; i < p->n_early; i++) {
		struct rtc_peer_early *e = &p->early[i];

		if (!nice_address_equal(&e->from, &p->selected) || p->failed) {
			rtc_peer_count(&p->stats.dropped_early);
			continue;
		}
		rtc_peer_count(&p->stats.dtls_in);
		rtc_peer_dtls_check_locked(p, rtc_dtls_input(p->dtls, e->data, e->len));
	}
	p->n_early = 0;
}

void rtc_peer_expire_early_locked(struct rtc_peer *p, gint64 now)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < p->n_early; i++) {
		if (now - p->early[i].at > RTC_PEER_EARLY_US)
			rtc_peer_count(&p->stats.dropped_early);
		else if (k++ != i)
			p->early[k - 1] = p->early[i];
	}
	p->n_early = k;
}

/* ---------------------------------------------------------------- receive */

/* A packet of an SSRC not taken: counted, the first of each connection
 * named (what, the SSRC: numbers only) so that a peer outside the rules
 * shows in the log once. */
static void drop_ssrc(struct rtc_peer *p, const char *what, uint32_t ssrc)
{
	if (!__atomic_fetch_add(&p->stats.dropped_ssrc, 1, __ATOMIC_RELAXED))
		g_printerr("rtc: %s of SSRC %" PRIu32 " dropped: not announced by the peer's SDP%s "
			   "(%u announced; further drops only counted)\n",
			   what, ssrc, p->offered ? " nor learnt" : "", p->n_announced);
}

/* Whether ssrc is one of the first n of the remote's. */
static bool known_ssrc(const struct rtc_peer *p, unsigned int n, uint32_t ssrc)
{
	for (unsigned int i = 0; i < n; i++)
		if (p->ssrcs[i] == ssrc)
			return true;
	return false;
}

static void on_rtcp(struct rtc_peer *p, uint8_t *buf, int len)
{
	uint32_t ssrc = rtc_rtcp_ssrc(buf);
	bool learn = false;

	/* libsrtp (ssrc_any_inbound) keeps a stream for every SSRC whose
	 * first packet authenticates, for the session's life: what it may see
	 * is bounded here, before it. */
	if (!known_ssrc(p, p->n_ssrcs, ssrc)) {
		learn = p->offered && p->n_ssrcs - p->n_announced < RTC_PEER_LEARN_SSRCS;
		if (!learn) {
			drop_ssrc(p, "SRTCP", ssrc);
			return;
		}
	}
	if (srtp_unprotect_rtcp(p->srtp_in, buf, &len) != srtp_err_status_ok) {
		rtc_peer_count(&p->stats.dropped_auth);
		return;
	}
	if (learn)
		p->ssrcs[p->n_ssrcs++] = ssrc;
	rtc_peer_count(&p->stats.rtcp_in);
	ssrc = 0;
	if (rtc_rtcp_feedback(buf, (size_t)len, &ssrc)) {
		rtc_peer_count(&p->stats.keyframe_requests);
		if (p->cfg.on_keyframe_request)
			p->cfg.on_keyframe_request(p->cfg.user, ssrc);
	}
}

static void on_datagram(struct rtc_peer *p, uint8_t *buf, size_t len, const NiceAddress *from)
{
	enum rtc_packet kind = rtc_demux_classify(buf, len);
	bool selected, ours;
	int n = (int)len;

	/* libnice delivers what came to the component's socket; only the
	 * selected pair's remote address is the peer (RFC 8445 12). Before
	 * our side selected a pair the peer may already send (its DTLS
	 * ClientHello, retransmitted anyway): early, not foreign. */
	g_mutex_lock(&p->lock);
	selected = p->have_selected;
	ours = selected && nice_address_equal(from, &p->selected);
	/* The peer's first DTLS flight (its ClientHello, right after its
	 * nominating check) can come before libnice's events of that moment
	 * (the pair selected, ICE connected) reached the ICE thread: kept,
	 * and replayed once they did, rather than lost to a retransmission a
	 * second later. */
	if (kind == RTC_PACKET_DTLS && (!selected || (ours && !p->dtls_started))) {
		if (p->n_early < RTC_PEER_EARLY_MAX && len <= sizeof(p->early[0].data)) {
			struct rtc_peer_early *e = &p->early[p->n_early++];

			memcpy(e->data, buf, len);
			e->len = len;
			e->from = *from;
			e->at = g_get_monotonic_time();
		} else {
			rtc_peer_count(&p->stats.dropped_early);
		}
		g_mutex_unlock(&p->lock);
		return;
	}
	g_mutex_unlock(&p->lock);
	if (!ours) {
		rtc_peer_count(selected ? &p->stats.dropped_foreign : &p->stats.dropped_early);
		return;
	}
	switch (kind) {
	case RTC_PACKET_DTLS:
		rtc_peer_count(&p->stats.dtls_in);
		g_mutex_lock(&p->lock);
		if (p->dtls_started)
			rtc_peer_dtls_check_locked(p, rtc_dtls_input(p->dtls, buf, len));
		g_mutex_unlock(&p->lock);
		return;
	case RTC_PACKET_RTP:
	case RTC_PACKET_RTCP:
		if (!g_atomic_int_get(&p->ready)) {
			rtc_peer_count(&p->stats.dropped_early);
			return;
		}
		if (kind == RTC_PACKET_RTCP) {
			on_rtcp(p, buf, n);
			return;
		}
		/* Only the SSRCs announced: none other reaches libsrtp. */
		if (!known_ssrc(p, p->n_announced, rtc_rtp_ssrc(buf))) {
			drop_ssrc(p, "RTP", rtc_rtp_ssrc(buf));
			return;
		}
		if (srtp_unprotect(p->srtp_in, buf, &n) != srtp_err_status_ok) {
			rtc_peer_count(&p->stats.dropped_auth);
			return;
		}
		rtc_peer_count(&p->stats.rtp_in);
		if (p->cfg.on_rtp)
			p->cfg.on_rtp(p->cfg.user, buf, (size_t)n);
		return;
	default:
		rtc_peer_count(&p->stats.dropped_other);
		return;
	}
}

static gpointer recv_main(gpointer user)
{
	struct rtc_peer *p = user;
	uint8_t buf[RTC_PEER_RECV_MAX];
	NiceAddress from;

	for (;;) {
		GInputVector v = { buf, sizeof(buf) };
		NiceInputMessage m = { &v, 1, &from, 0 };
		GError *err = NULL;
		gint n = nice_agent_recv_messages(p->agent, p->stream, 1, &m, 1, p->cancel, &err);

		if (n < 0 || g_cancellable_is_cancelled(p->cancel)) {
			if (!g_cancellable_is_cancelled(p->cancel))
				g_printerr("rtc: receiving stopped: %s\n",
					   err ? err->message : "unknown error");
			g_clear_error(&err);
			break;
		}
		if (n == 1 && m.length)
			on_datagram(p, buf, m.length, &from);
	}
	mbedtls_platform_zeroize(buf, sizeof(buf));
	return NULL;
}

/* ------------------------------------------------------------------ API */

int rtc_peer_new(const struct rtc_peer_config *cfg, struct rtc_peer **out)
{
	struct rtc_peer *p;
	int ret;

	*out = NULL;
	if (rtc_srtp_init())
		return -EIO;
	p = g_new0(struct rtc_peer, 1);
	p->cfg = *cfg;
	g_mutex_init(&p->lock);
	g_mutex_init(&p->out_lock);
	g_cond_init(&p->changed);
	p->ctx = g_main_context_new();
	p->loop = g_main_loop_new(p->ctx, FALSE);
	p->cancel = g_cancellable_new();
	/* An empty list allows nothing (fail closed), only NULL any. */
	if (cfg->remote_allow)
		p->allow = g_ptr_array_new_with_free_func(g_object_unref);
	for (const char *const *a = cfg->remote_allow; a && *a; a++) {
		GInetAddressMask *m = g_inet_address_mask_new_from_string(*a, NULL);

		if (!m) {
			g_printerr("rtc: \"%s\" is no address or prefix for the remote's candidates\n",
				   *a);
			ret = -EINVAL;
			goto fail;
		}
		g_ptr_array_add(p->allow, m);
	}
	p->cfg.remote_allow = NULL; /* the caller's; copied above */
	ret = rtc_dtls_init(&p->dtls, dtls_send, p);
	if (ret) {
		g_printerr("rtc: cannot make the DTLS certificate\n");
		goto fail;
	}
	ret = rtc_peer_ice_start(p);
	if (ret)
		goto fail;
	p->rtcp_ssrc = g_random_int();
	*out = p;
	return 0;
fail:
	rtc_peer_free(p);
	return ret;
}

/* Gathers (once), bounded; the candidates as SDP values. */
static int gather(struct rtc_peer *p, int timeout_ms, char ***cands)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	GSList *list, *l;
	unsigned int n = 0;
	int ret = 0;

	/* Without the lock: libnice may signal the end of gathering from
	 * within the call. */
	g_mutex_lock(&p->lock);
	if (!p->gathered) {
		g_mutex_unlock(&p->lock);
		if (!nice_agent_gather_candidates(p->agent, p->stream))
			return -EIO;
		g_mutex_lock(&p->lock);
	}
	while (!p->gathered)
		if (!g_cond_wait_until(&p->changed, &p->lock, end)) {
			ret = -ETIMEDOUT;
			break;
		}
	g_mutex_unlock(&p->lock);
	if (ret)
		return ret;
	list = nice_agent_get_local_candidates(p->agent, p->stream, 1);
	*cands = g_new0(char *, RTC_SDP_MAX_CANDIDATES + 1);
	for (l = list; l && n < RTC_SDP_MAX_CANDIDATES; l = l->next) {
		char *s = nice_agent_generate_local_candidate_sdp(p->agent, l->data);

		/* "a=candidate:..." -> the attribute's value. */
		if (s && g_str_has_prefix(s, "a=candidate:"))
			(*cands)[n++] = g_strdup(s + strlen("a=candidate:"));
		g_free(s);
	}
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	return n ? 0 : -EADDRNOTAVAIL;
}

static char *describe(struct rtc_peer *p, struct rtc_sdp_local *l, int timeout_ms)
{
	char **cands = NULL, *ufrag = NULL, *pwd = NULL, *text = NULL;

	if (gather(p, timeout_ms, &cands) ||
	    !nice_agent_get_local_credentials(p->agent, p->stream, &ufrag, &pwd))
		goto out;
	l->ufrag = ufrag;
	l->pwd = pwd;
	l->cname = "sealroom";
	l->fingerprint = rtc_dtls_fingerprint(p->dtls);
	l->session_id = ((uint64_t)g_random_int() << 32) | g_random_int();
	for (l->n_candidates = 0; cands[l->n_candidates]; l->n_candidates++)
		l->candidate[l->n_candidates] = cands[l->n_candidates];
	text = rtc_sdp_build(l);
out:
	g_strfreev(cands);
	g_free(ufrag);
	g_free(pwd);
	return text;
}

char *rtc_peer_offer(struct rtc_peer *p, const struct rtc_peer_media *media, unsigned int n,
		     int timeout_ms)
{
	struct rtc_sdp_local l = { .setup = RTC_SETUP_ACTPASS, .n_media = n };
	char mids[RTC_SDP_MAX_MEDIA][4];

	if (!n || n > RTC_SDP_MAX_MEDIA)
		return NULL;
	/* RFC 8445 6.1.1: the offerer of a full-ICE pair controls. */
	g_object_set(p->agent, "controlling-mode", TRUE, NULL);
	p->offered = true;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(mids[i], sizeof(mids[i]), "%u", i);
		l.media[i] = (struct rtc_sdp_local_media){
			.kind = media[i].kind, .mid = mids[i], .codec = media[i].codec,
			.fmtp = media[i].fmtp, .pt = media[i].pt, .clock = media[i].clock,
			.channels = media[i].channels, .ssrc = media[i].ssrc,
			.dir = RTC_DIR_SENDONLY,
		};
	}
	return describe(p, &l, timeout_ms);
}

/* The remote's announced SSRCs, every m-line's (rejected ones announce
 * nothing that is taken: Janus names none there). */
static void announce_ssrcs(struct rtc_peer *p, const struct rtc_sdp *r)
{
	for (unsigned int i = 0; i < r->n_media; i++)
		for (unsigned int k = 0; !r->media[i].rejected && k < r->media[i].n_ssrcs; k++)
			if (!known_ssrc(p, p->n_announced, r->media[i].ssrcs[k]))
				p->ssrcs[p->n_announced++] = r->media[i].ssrcs[k];
	p->n_ssrcs = p->n_announced;
}

static int set_remote(struct rtc_peer *p, const char *sdp, size_t len, const char **why)
{
	struct rtc_sdp *r = g_new0(struct rtc_sdp, 1);
	GSList *cands = NULL;
	int ret = rtc_sdp_parse(sdp, len, r, why);

	if (ret)
		goto out;
	if (p->have_remote) {
		*why = "a second remote description (no renegotiation)";
		ret = -EALREADY;
		goto out;
	}
	for (unsigned int i = 0; i < r->n_candidates; i++) {
		char *line = g_strconcat("a=candidate:", r->candidate[i], NULL);
		NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(p->agent, p->stream, line);

		g_free(line);
		if (c && rtc_peer_candidate_allowed(p, c)) {
			cands = g_slist_append(cands, c);
			continue;
		}
		rtc_peer_count(&p->stats.candidates_refused);
		if (c)
			nice_candidate_free(c);
	}
	if (!cands) {
		*why = "the SDP has no usable ICE candidate (UDP, at an address allowed for the peer)";
		ret = -EINVAL;
		goto out;
	}
	g_mutex_lock(&p->lock);
	p->remote = *r;
	p->have_remote = true;
	/* Before the receive thread starts (below), which reads them. */
	announce_ssrcs(p, r);
	g_mutex_unlock(&p->lock);
	if (!nice_agent_set_remote_credentials(p->agent, p->stream, r->ufrag, r->pwd) ||
	    nice_agent_set_remote_candidates(p->agent, p->stream, 1, cands) <= 0) {
		*why = "libnice refused the remote credentials or candidates";
		ret = -EINVAL;
		goto out;
	}
	if (!p->recv_thread)
		p->recv_thread = g_thread_new("rtc-recv", recv_main, p);
	g_mutex_lock(&p->lock);
	rtc_peer_start_dtls_locked(p);
	g_mutex_unlock(&p->lock);
out:
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	g_free(r);
	return ret;
}

int rtc_peer_set_answer(struct rtc_peer *p, const char *sdp, size_t len, const char **why)
{
	int ret = set_remote(p, sdp, len, why);

	/* RFC 5763 5: the answerer picks active or passive, never actpass. */
	if (!ret && p->remote.setup == RTC_SETUP_ACTPASS) {
		*why = "the answer says a=setup:actpass";
		return -EINVAL;
	}
	return ret;
}

int rtc_peer_set_offer(struct rtc_peer *p, const char *sdp, size_t len, const char **why)
{
	g_object_set(p->agent, "controlling-mode", FALSE, NULL);
	return set_remote(p, sdp, len, why);
}

char *rtc_peer_answer(struct rtc_peer *p, int timeout_ms)
{
	struct rtc_sdp_local l = { .setup = RTC_SETUP_ACTIVE };
	const struct rtc_sdp *r = &p->remote;

	if (!p->have_remote || r->setup != RTC_SETUP_ACTPASS)
		return NULL;
	l.n_media = r->n_media;
	for (unsigned int i = 0; i < r->n_media; i++) {
		const struct rtc_sdp_media *m = &r->media[i];
		bool ok = !m->rejected &&
			  ((!strcmp(m->kind, "video") && !g_ascii_strcasecmp(m->codec, "H264")) ||
			   (!strcmp(m->kind, "audio") && !g_ascii_strcasecmp(m->codec, "opus")));

		l.media[i] = (struct rtc_sdp_local_media){
			.kind = m->kind, .mid = m->mid, .codec = m->codec, .fmtp = m->fmtp,
			.pt = m->pt, .clock = m->clock, .channels = m->channels,
			.dir = RTC_DIR_RECVONLY, .rejected = !ok,
		};
	}
	return describe(p, &l, timeout_ms);
}

const struct rtc_sdp *rtc_peer_remote(const struct rtc_peer *p)
{
	return &p->remote;
}

bool rtc_peer_connected(const struct rtc_peer *p)
{
	return g_atomic_int_get(&((struct rtc_peer *)p)->ready);
}

int rtc_peer_wait_connected(struct rtc_peer *p, int timeout_ms, const char **why)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	int ret = 0;

	g_mutex_lock(&p->lock);
	while (!p->failed && !g_atomic_int_get(&p->ready))
		if (!g_cond_wait_until(&p->changed, &p->lock, end)) {
			ret = -ETIMEDOUT;
			*why = !p->ice_ok ? "ICE did not connect in time" :
					    "the DTLS handshake did not complete in time";
			break;
		}
	if (p->failed) {
		ret = p->failed;
		*why = p->why;
	}
	g_mutex_unlock(&p->lock);
	return ret;
}

static int send_protected(struct rtc_peer *p, const uint8_t *pkt, size_t len, bool rtcp)
{
	uint8_t buf[RTC_PEER_MAX_RTP + SRTP_MAX_TRAILER_LEN + 4];
	int n = (int)len, ret = 0;
	srtp_err_status_t st;

	if (!g_atomic_int_get(&p->ready) || g_atomic_int_get(&p->dead))
		return -ENOTCONN;
	if (len > RTC_PEER_MAX_RTP)
		return -EMSGSIZE;
	memcpy(buf, pkt, len);
	g_mutex_lock(&p->out_lock);
	st = rtcp ? srtp_protect_rtcp(p->srtp_out, buf, &n) : srtp_protect(p->srtp_out, buf, &n);
	g_mutex_unlock(&p->out_lock);
	if (st != srtp_err_status_ok)
		ret = -EIO;
	else if (nice_agent_send(p->agent, p->stream, 1, (guint)n, (const gchar *)buf) != n)
		ret = -EIO;
	else
		rtc_peer_count(rtcp ? &p->stats.rtcp_out : &p->stats.rtp_out);
	return ret;
}

int rtc_peer_send_rtp(struct rtc_peer *p, const uint8_t *rtp, size_t len)
{
	if (rtc_demux_classify(rtp, len) != RTC_PACKET_RTP)
		return -EINVAL;
	return send_protected(p, rtp, len, false);
}

int rtc_peer_send_pli(struct rtc_peer *p, uint32_t media_ssrc)
{
	uint8_t pli[RTC_PLI_LEN];

	rtc_rtcp_pli(pli, p->rtcp_ssrc, media_ssrc);
	return send_protected(p, pli, sizeof(pli), true);
}

int rtc_peer_send_rtcp(struct rtc_peer *p, const uint8_t *rtcp, size_t len)
{
	if (rtc_demux_classify(rtcp, len) != RTC_PACKET_RTCP)
		return -EINVAL;
	return send_protected(p, rtcp, len, true);
}

void rtc_peer_get_stats(struct rtc_peer *p, struct rtc_peer_stats *s)
{
	uint64_t *d = (uint64_t *)s, *src = (uint64_t *)&p->stats;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		d[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

unsigned int rtc_peer_local_port(struct rtc_peer *p)
{
	GSList *list = nice_agent_get_local_candidates(p->agent, p->stream, 1);
	unsigned int port = list ? nice_address_get_port(&((NiceCandidate *)list->data)->addr) : 0;

	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	return port;
}

static gboolean quit_loop(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

void rtc_peer_free(struct rtc_peer *p)
{
	if (!p)
		return;
	g_cancellable_cancel(p->cancel);
	if (p->agent && p->stream)
		nice_agent_remove_stream(p->agent, p->stream);
	if (p->recv_thread)
		g_thread_join(p->recv_thread);
	if (p->ice_thread) {
		/* Quit from inside the loop: a g_main_loop_quit() before the
		 * thread reached g_main_loop_run() would be lost (run sets the
		 * loop running again), and a peer freed at once (a refused
		 * remote description) hung here; seen under ASan. */
		GSource *quit = g_idle_source_new();

		g_source_set_callback(quit, quit_loop, p->loop, NULL);
		g_source_attach(quit, p->ctx);
		g_source_unref(quit);
		g_thread_join(p->ice_thread);
	}
	if (p->timer) {
		g_source_destroy(p->timer);
		g_source_unref(p->timer);
	}
	if (p->agent)
		g_object_unref(p->agent);
	if (p->srtp_in)
		srtp_dealloc(p->srtp_in);
	if (p->srtp_out)
		srtp_dealloc(p->srtp_out);
	rtc_dtls_free(p->dtls);
	if (p->allow)
		g_ptr_array_unref(p->allow);
	g_object_unref(p->cancel);
	g_main_loop_unref(p->loop);
	g_main_context_unref(p->ctx);
	g_mutex_clear(&p->lock);
	g_mutex_clear(&p->out_lock);
	g_cond_clear(&p->changed);
	mbedtls_platform_zeroize(p, sizeof(*p));
	g_free(p);
}
