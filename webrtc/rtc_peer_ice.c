// SPDX-License-Identifier: MIT
/*
 * A peer connection's ICE (rtc_peer_priv.h): the libnice agent made and
 * started, its signals (each handled on the ICE thread), the filter of the
 * remote's candidates (the SDP's and the peer-reflexive ones libnice learns),
 * the ICE thread and its tick (DTLS retransmission, libnice's queued
 * signals), and the count of datagrams libnice drops from unknown sources.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <debug.h>

#include "rtc_peer_priv.h"

/*
 * libnice's signals are only queued where they arise, and emitted by
 * whichever thread next releases the agent's lock: a libnice timer on the
 * ICE thread, or any nice_agent_send(), which DTLS calls with p->lock held
 * (on_tick, the receive thread's DTLS input). A handler that took p->lock
 * there would deadlock its own thread. So each handler only copies what it
 * was given into an event run on the ICE thread's loop, in order, where
 * p->lock is free; the one thing done at once is stopping our sends
 * (`dead`, atomic) on a peer-reflexive candidate refused.
 */
enum ice_event_kind { ICE_GATHERED, ICE_STATE, ICE_SELECTED, ICE_REFUSED };

struct ice_event {
	struct rtc_peer *p;
	enum ice_event_kind kind;
	guint state;
	NiceCandidate *local, *remote;
};

static void state_locked(struct rtc_peer *p, guint state)
{
	if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) {
		p->ice_ok = true;
		rtc_peer_start_dtls_locked(p);
	} else if (state == NICE_COMPONENT_STATE_FAILED && p->ice_ok) {
		/* After it connected: only consent freshness fails a pair. */
		rtc_peer_fail_locked(p, -ECONNRESET,
			    p->cfg.consent_freshness ?
				    "ICE consent lost: the peer stopped answering consent checks (RFC 7675)" :
				    "ICE failed after it connected");
	} else if (state == NICE_COMPONENT_STATE_FAILED) {
		rtc_peer_fail_locked(p, -ECONNREFUSED, "ICE failed: no candidate pair works");
	}
}

/* A remote address the allow-list refuses, in a peer-reflexive candidate
 * or a selected pair: the connection fails, naming it. */
static void refuse_locked(struct rtc_peer *p, const char *what, const NiceCandidate *c)
{
	char a[NICE_ADDRESS_STRING_LEN];

	if (p->failed)
		return;
	nice_address_to_string(&c->addr, a);
	snprintf(p->why_buf, sizeof(p->why_buf),
		 "ICE: %s %s:%u, an address not allowed for the peer: connection dropped (an "
		 "address the meeting service sends from must be one of its candidates')",
		 what, a, nice_address_get_port(&c->addr));
	rtc_peer_fail_locked(p, -EPERM, p->why_buf);
}

static void selected_locked(struct rtc_peer *p, const NiceCandidate *local,
			    const NiceCandidate *remote)
{
	static const char *const types[] = { "host", "srflx", "prflx", "relay" };
	const char *lt = (unsigned int)local->type < G_N_ELEMENTS(types) ? types[local->type] : "?";
	const char *rt = (unsigned int)remote->type < G_N_ELEMENTS(types) ? types[remote->type] : "?";
	char b[NICE_ADDRESS_STRING_LEN], l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];
	char as[NICE_ADDRESS_STRING_LEN + 16] = "";

	/* A second guard: a pair whose remote is refused is never used. */
	if (!rtc_peer_candidate_allowed(p, remote)) {
		refuse_locked(p, "a pair was selected with", remote);
		return;
	}
	/* Our socket's address (the base), and what the peer saw when the
	 * local candidate is another (peer-reflexive: a NAT between). */
	nice_address_to_string(&local->base_addr, b);
	nice_address_to_string(&local->addr, l);
	nice_address_to_string(&remote->addr, r);
	if (local->type != NICE_CANDIDATE_TYPE_HOST)
		snprintf(as, sizeof(as), " as %s:%u", l, nice_address_get_port(&local->addr));
	p->selected = remote->addr;
	p->have_selected = true;
	snprintf(p->pair, sizeof(p->pair), "%s:%u %s%s -> %s:%u %s", b,
		 nice_address_get_port(&local->base_addr), lt, as, r,
		 nice_address_get_port(&remote->addr), rt);
	rtc_peer_replay_early_locked(p);
}

static gboolean ice_event_run(gpointer data)
{
	struct ice_event *ev = data;
	struct rtc_peer *p = ev->p;

	g_mutex_lock(&p->lock);
	switch (ev->kind) {
	case ICE_GATHERED:
		p->gathered = true;
		break;
	case ICE_STATE:
		state_locked(p, ev->state);
		break;
	case ICE_SELECTED:
		selected_locked(p, ev->local, ev->remote);
		break;
	case ICE_REFUSED:
		refuse_locked(p, "a check came from", ev->remote);
		break;
	}
	g_cond_broadcast(&p->changed);
	g_mutex_unlock(&p->lock);
	return G_SOURCE_REMOVE;
}

static void ice_event_free(gpointer data)
{
	struct ice_event *ev = data;

	if (ev->local)
		nice_candidate_free(ev->local);
	if (ev->remote)
		nice_candidate_free(ev->remote);
	g_free(ev);
}

/* Runs the event on the ICE thread, after those deferred before it (one
 * priority, dispatched in the order attached), before the DTLS tick. */
static void defer(struct rtc_peer *p, enum ice_event_kind kind, guint state,
		  const NiceCandidate *local, const NiceCandidate *remote)
{
	struct ice_event *ev = g_new0(struct ice_event, 1);
	GSource *s = g_idle_source_new();

	ev->p = p;
	ev->kind = kind;
	ev->state = state;
	ev->local = local ? nice_candidate_copy(local) : NULL;
	ev->remote = remote ? nice_candidate_copy(remote) : NULL;
	g_source_set_priority(s, G_PRIORITY_HIGH);
	g_source_set_callback(s, ice_event_run, ev, ice_event_free);
	g_source_attach(s, p->ctx);
	g_source_unref(s);
}

static void on_gathered(NiceAgent *agent, guint stream, gpointer user)
{
	defer(user, ICE_GATHERED, 0, NULL, NULL);
}

static void on_state(NiceAgent *agent, guint stream, guint component, guint state, gpointer user)
{
	defer(user, ICE_STATE, state, NULL, NULL);
}

/* A remote candidate libnice learnt from a check (peer-reflexive, RFC 8445
 * 7.3.1.3): any address whose Binding request carries the connection's ICE
 * password. libnice has no way to refuse one; it sends a triggered check to
 * it and may select its pair: the remote could steer our media to a third
 * address. One at an address the SDP's candidates could not have stops our
 * sends now and fails the connection (the caller connects again). */
static void on_remote_candidate(NiceAgent *agent, NiceCandidate *c, gpointer user)
{
	struct rtc_peer *p = user;

	if (c->type != NICE_CANDIDATE_TYPE_PEER_REFLEXIVE || rtc_peer_candidate_allowed(p, c))
		return;
	g_atomic_int_set(&p->dead, 1);
	rtc_peer_count(&p->stats.candidates_refused);
	defer(p, ICE_REFUSED, 0, NULL, c);
}

static void on_selected(NiceAgent *agent, guint stream, guint component, NiceCandidate *local,
			NiceCandidate *remote, gpointer user)
{
	struct rtc_peer *p = user;

	if (!rtc_peer_candidate_allowed(p, remote))
		g_atomic_int_set(&p->dead, 1);
	defer(p, ICE_SELECTED, 0, local, remote);
}

void rtc_peer_selected_pair(struct rtc_peer *p, char *out, size_t len)
{
	g_mutex_lock(&p->lock);
	snprintf(out, len, "%s", p->have_selected ? p->pair : "(none)");
	g_mutex_unlock(&p->lock);
}

static gboolean on_tick(gpointer user)
{
	struct rtc_peer *p = user;
	NiceCandidate *local, *remote;

	/* libnice emits what it queued (a peer-reflexive candidate learnt by
	 * the receive thread's blocking read waits for it) when one of its
	 * calls releases the agent: this one does, so every signal reaches
	 * its handler within a tick, traffic or none. */
	nice_agent_get_selected_pair(p->agent, p->stream, 1, &local, &remote);
	g_mutex_lock(&p->lock);
	rtc_peer_expire_early_locked(p, g_get_monotonic_time());
	if (p->dtls_started && rtc_dtls_state(p->dtls) == RTC_DTLS_HANDSHAKE)
		rtc_peer_dtls_check_locked(p, rtc_dtls_tick(p->dtls));
	g_mutex_unlock(&p->lock);
	return G_SOURCE_CONTINUE;
}

static gpointer ice_main(gpointer user)
{
	struct rtc_peer *p = user;

	g_main_context_push_thread_default(p->ctx);
	g_main_loop_run(p->loop);
	g_main_context_pop_thread_default(p->ctx);
	return NULL;
}

/* Whether libnice may send checks to c: UDP (any type), at an address
 * remote_allow allows (the SFU's; else it would probe the room's network
 * for whoever writes the SDP). */
bool rtc_peer_candidate_allowed(const struct rtc_peer *p, const NiceCandidate *c)
{
	char s[NICE_ADDRESS_STRING_LEN];
	GInetAddress *a;
	bool ok = false;

	if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP)
		return false;
	if (!p->allow)
		return true;
	nice_address_to_string(&c->addr, s);
	a = g_inet_address_new_from_string(s);
	for (guint i = 0; a && i < p->allow->len && !ok; i++)
		ok = g_inet_address_mask_matches(p->allow->pdata[i], a);
	g_clear_object(&a);
	return ok;
}

/*
 * libnice drops a datagram from an address that is no remote candidate
 * before we see it, and says so only in its verbose debug log (domain
 * "libnice", "DROPPING packet from unknown source"), which it formats only
 * when NICE_DEBUG names nice-verbose (or all) as it starts: about four
 * messages per packet, so not by default. Then its debug log is switched on
 * and a log handler counts them; the default handler still prints only
 * under G_MESSAGES_DEBUG.
 */
static uint64_t dropped_unknown;

static void on_nice_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
	if (strstr(msg, "DROPPING packet from unknown source"))
		__atomic_fetch_add(&dropped_unknown, 1, __ATOMIC_RELAXED);
	g_log_default_handler(domain, level, msg, data);
}

bool rtc_peer_counting_unknown(void)
{
	const char *flags = g_getenv("NICE_DEBUG");

	return flags && (strstr(flags, "nice-verbose") || strstr(flags, "all"));
}

static void count_unknown_sources(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		if (rtc_peer_counting_unknown()) {
			g_log_set_handler("libnice", G_LOG_LEVEL_DEBUG, on_nice_log, NULL);
			nice_debug_enable(FALSE); /* verbose needs it too */
		}
		g_once_init_leave(&once, 1);
	}
}

uint64_t rtc_peer_dropped_unknown(void)
{
	return __atomic_load_n(&dropped_unknown, __ATOMIC_RELAXED);
}

int rtc_peer_ice_start(struct rtc_peer *p)
{
	const struct rtc_peer_config *cfg = &p->cfg;
	NiceAddress addr;

	/* Full ICE (RFC 8445), UDP only, no STUN/TURN servers, no UPnP: a
	 * host candidate on the one address configured. Consent freshness
	 * (RFC 7675) when asked: libnice checks the selected pair every 5 s or
	 * so, and a peer that has not answered for 10 s fails the component
	 * (nothing more is sent): on_state says "consent lost". */
	count_unknown_sources();
	p->agent = nice_agent_new_full(p->ctx, NICE_COMPATIBILITY_RFC5245,
				       NICE_AGENT_OPTION_REGULAR_NOMINATION |
					       (cfg->consent_freshness ?
							NICE_AGENT_OPTION_CONSENT_FRESHNESS :
							0));
	g_object_set(p->agent, "upnp", FALSE, "ice-tcp", FALSE, "ice-udp", TRUE, NULL);
	nice_address_init(&addr);
	if (!nice_address_set_from_string(&addr, cfg->local_addr ? cfg->local_addr : "127.0.0.1") ||
	    !nice_agent_add_local_address(p->agent, &addr)) {
		g_printerr("rtc: the local address is not usable\n");
		return -EINVAL;
	}
	g_signal_connect(p->agent, "candidate-gathering-done", G_CALLBACK(on_gathered), p);
	g_signal_connect(p->agent, "component-state-changed", G_CALLBACK(on_state), p);
	g_signal_connect(p->agent, "new-selected-pair-full", G_CALLBACK(on_selected), p);
	g_signal_connect(p->agent, "new-remote-candidate-full", G_CALLBACK(on_remote_candidate), p);
	p->stream = nice_agent_add_stream(p->agent, 1);
	if (!p->stream)
		return -EIO;
	p->timer = g_timeout_source_new(20);
	g_source_set_callback(p->timer, on_tick, p, NULL);
	g_source_attach(p->timer, p->ctx);
	p->ice_thread = g_thread_new("rtc-ice", ice_main, p);
	return 0;
}
