// SPDX-License-Identifier: MIT
/*
 * keyxchgd as member, knocker and successor (PROTOCOL.md 6, 6.2, 6.3, 6.5):
 * the host hello (meeting code, equivocation), the knock, the admitting roster
 * and the chain after it, opening sealed epoch secrets, the host's heartbeat,
 * takeover, leaves, deny and end as received, the trust that decides whether
 * media goes to the host, and leaving.
 */
#define _GNU_SOURCE
#include "keyxchgd.h"

/* A member sends media only to a host it has a reason to trust (PROTOCOL.md 6.5). */
bool kxd_media_allowed(const struct app *a)
{
	return a->sync == SYNC_OK && (a->host || a->host_trust != TRUST_NONE);
}

/* The people verified the host's codeword: media may go (PROTOCOL.md 6.5). */
void kxd_host_verified(struct app *a)
{
	bool held = !kxd_media_allowed(a) && a->sending;

	a->host_trust = TRUST_VERIFIED;
	if (held && kxd_media_allowed(a))
		kxd_emit_send_kids(a, a->send_epoch);
}

void kxd_knock(struct app *a)
{
	struct kx_msg m = {.type = KX_MSG_ANNOUNCE};

	memcpy(m.u.announce.meeting, a->meeting, KX_MEETING_ID_BYTES);
	m.u.announce.from = (uint16_t)a->self;
	strcpy(m.u.announce.device, a->device);
	strcpy(m.u.announce.name, a->display_name);
	memcpy(m.u.announce.ik, a->id.ik, KX_IK_BYTES);
	memcpy(m.u.announce.ek, a->ek.pk, KX_EK_BYTES);
	m.u.announce.time_ms = kxd_wall_ms();
	/* A deny names this knock by its hash (PROTOCOL.md 3.6). */
	a->have_knock = !kx_announce_hash(&m.u.announce, a->knock_hash);
	kxd_send_msg(a, a->hello->u.roster.host, &m, true);
}

/* The host hello held names the same meeting and host IK as roster m. */
static bool hello_same(const struct app *a, const struct kx_msg *m)
{
	const struct kx_roster *h = &a->hello->u.roster;

	return a->have_hello && !memcmp(h->meeting, m->u.roster.meeting, KX_MEETING_ID_BYTES) &&
	       !memcmp(kx_roster_find(h, h->host)->ik,
		       kx_roster_find(&m->u.roster, m->u.roster.host)->ik, KX_IK_BYTES);
}

/* Does roster m extend the hello held by the chain rules (a takeover)? */
static bool hello_succeeds(const struct app *a, const struct kx_msg *m)
{
	struct kx_chain *c = malloc(sizeof(*c));
	bool ok;

	if (!c)
		return false;
	*c = *a->hello_chain;
	ok = !kx_chain_accept(c, m);
	free(c);
	return ok;
}

/*
 * Does hello m, hosted by h, answer the meeting code typed (PROTOCOL.md 2.1)?
 * One Argon2id run; a relay sending hellos that fail gets HELLOS_REFUSED_MAX
 * runs of ours, then nothing (it can withhold the real hello anyway).
 */
static bool hello_bound(struct app *a, const struct kx_msg *m, const struct kx_member *h)
{
	if (a->hellos_refused >= HELLOS_REFUSED_MAX)
		return false;
	if (!kx_meeting_bound(m->u.roster.meeting, a->code, h->ik))
		return true;
	if (++a->hellos_refused == HELLOS_REFUSED_MAX)
		kxd_warn_event(a,
			       "%u host hellos failed the meeting code: further ones are ignored",
			       HELLOS_REFUSED_MAX);
	else
		kxd_warn_event(a,
			       "a host hello (p%u, device %s) that the meeting code does not name: "
			       "refused",
			       h->id, h->device);
	return false;
}

/*
 * The relay shows this room two hosts for one meeting (PROTOCOL.md 6.5): stop
 * (no kxd_knock, no key, no media), say so, and let the people join again.
 */
static void equivocation(struct app *a, const char *why)
{
	kxd_warn_event(a,
		       "EQUIVOCATION: %s: this room stopped; check the meeting code and join "
		       "again",
		       why);
	a->end_state = ST_EQUIVOCATION;
}

/* Did roster r only add members to the one held before (a join)? */
static bool only_adds(const struct kx_roster *old, const struct kx_roster *r)
{
	for (uint32_t i = 0; i < old->n_members; i++) {
		const struct kx_member *o = &old->members[i], *n = kx_roster_find(r, o->id);

		if (!n || memcmp(n->ik, o->ik, KX_IK_BYTES) || memcmp(n->ek, o->ek, KX_EK_BYTES))
			return false;
	}
	return r->n_members > old->n_members;
}

void kxd_on_roster(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg *m = calloc(1, sizeof(*m));
	struct kx_roster *old = NULL;
	const struct kx_member *me;
	int ret;

	if (!m)
		return;
	ret = kx_msg_parse(json, len, KX_MSG_ROSTER, NULL, m);
	if (ret) {
		kxd_warn_event(a, "rejected a roster from p%d: %s", from, strerror(-ret));
		goto out;
	}
	me = kx_roster_find(&m->u.roster, (uint16_t)a->self);
	if (!a->chain->started) {
		if (!me || memcmp(me->ik, a->id.ik, KX_IK_BYTES) ||
		    (a->have_ek && memcmp(me->ek, a->ek.pk, KX_EK_BYTES))) {
			/* A host hello: who hosts, which meeting. Knock there. */
			const struct kx_member *h = kx_roster_find(&m->u.roster, m->u.roster.host);
			char word[E2EE_CODEWORD_SIZE];
			int pin = kx_pin_check(&a->pins, h->device, h->ik);

			if (pin == KX_PIN_CHANGED) {
				kxd_warn_event(
				    a,
				    "the host device %s shows a CHANGED identity key: not "
				    "knocking",
				    h->device);
				goto out;
			}
			/* The meeting went on under the successor while we knocked: its
			 * roster extends the hello held (PROTOCOL.md 6.5). */
			bool next = a->have_hello && !hello_same(a, m) && hello_succeeds(a, m);

			/* A meeting code typed: only a hello of the host it names counts
			 * (PROTOCOL.md 2.1); the relay's own is refused, not held. */
			if (a->have_code && !next && !hello_same(a, m) && !hello_bound(a, m, h))
				goto out;
			/* Two different valid hellos for one meeting: the relay plays
			 * host to someone. Never "first wins" (PROTOCOL.md 6.5). */
			if (a->have_hello && !next && !hello_same(a, m)) {
				equivocation(a, "two different host hellos for this meeting");
				goto out;
			}
			if (next) {
				kxd_logmsg(
				    "the meeting goes on under its successor p%u: knocking there",
				    m->u.roster.host);
				a->have_hello = false; /* shown and knocked to below */
			}
			/* Checked (self-signed by its host) before it replaces the
			 * hello held: a forged one changes nothing. */
			{
				struct kx_chain *c = calloc(1, sizeof(*c));

				if (!c)
					goto out;
				kx_chain_init(c);
				if (kx_chain_start(c, m, NULL, KX_NO_PARTICIPANT, NULL)) {
					free(c);
					kxd_warn_event(
					    a,
					    "rejected a host roster (hello): its signature fails");
					goto out;
				}
				free(a->hello_chain);
				a->hello_chain = c;
			}
			*a->hello = *m;
			/* The same host's hello again (resent, or replayed by the relay)
			 * is no reason to knock again: a knock a relay could make us sign
			 * at will would also void a deny in flight (bound to the last
			 * kxd_knock). We knock again only when we reconnect (the welcome). */
			if (a->have_hello)
				goto out;
			a->have_hello = true;
			memcpy(a->meeting, m->u.roster.meeting, KX_MEETING_ID_BYTES);
			if (kx_codeword(&a->cw, h->ik, word))
				strcpy(word, "?");
			kxd_emit(a, KX_CTL_EV_ROSTER,
				 json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "event", "host",
					   "participant", h->id, "device", h->device, "codeword",
					   word, "pinned", kxd_pin_name(pin), "bound",
					   a->have_code));
			kxd_logmsg("host p%u (codeword %s): knocking", h->id, word);
			kxd_knock(a);
			goto out;
		}
		/* The roster that admits us starts the chain (PROTOCOL.md 6). */
		{
			const struct kx_member *h = kx_roster_find(&m->u.roster, m->u.roster.host);
			const struct kx_member *shown;
			int pin = kx_pin_check(&a->pins, h->device, h->ik);

			/* Admission counts only from the host whose codeword was shown and
			 * knocked to, for that meeting: else the relay could admit us into
			 * a meeting of its own, keyed with its own sealed secret. */
			if (!a->have_hello) {
				kxd_warn_event(
				    a, "an admitting roster before any host hello: refused");
				goto out;
			}
			shown = kx_roster_find(&a->hello->u.roster, a->hello->u.roster.host);
			if (sodium_memcmp(m->u.roster.meeting, a->hello->u.roster.meeting,
					  KX_MEETING_ID_BYTES)) {
				kxd_warn_event(a,
					       "an admitting roster of another meeting: refused");
				goto out;
			}
			if (pin == KX_PIN_CHANGED) {
				kxd_warn_event(a,
					       "the host device %s shows a CHANGED identity key: "
					       "refused",
					       h->device);
				goto out;
			}
			/* The host's IK must be the one shown (kx_chain_start checks it). */
			ret = kx_chain_start(a->chain, m, shown->ik, (uint16_t)a->self, a->id.ik);
			if (ret) {
				kxd_warn_event(a, "rejected the admitting roster: %s",
					       strerror(-ret));
				goto out;
			}
			kxd_chain_note(a);
			/* Nothing is pinned until a person confirms it (`verify`). Media
			 * goes to a host bound by the code, pinned by a person before,
			 * or verified now; to no other (PROTOCOL.md 6.5). */
			a->host_trust = a->have_code	     ? TRUST_BOUND
					: pin == KX_PIN_SAME ? TRUST_PINNED
							     : TRUST_NONE;
			if (a->host_trust == TRUST_NONE)
				kxd_warn_event(
				    a,
				    "the host p%u (codeword %s) is neither named by a meeting "
				    "code nor verified: no media is sent until this room "
				    "verifies it",
				    h->id, kxd_word_of(a, h->ik));
			memcpy(a->meeting, m->u.roster.meeting, KX_MEETING_ID_BYTES);
			a->have_secret = false;
			a->state = ST_MEETING;
			kxd_logmsg("admitted at epoch %llu", (unsigned long long)m->u.roster.epoch);
			a->host_seen = a->synced_at = kxd_now_ms();
			kxd_emit_roster(a);
			kxd_emit_state(a);
		}
		goto out;
	}
	if (a->host) {
		/* The host signs rosters and takes none: one signed by another room
		 * is a successor that took over while we were cut off (a fork). */
		if (m->u.roster.host != a->self)
			kxd_warn_event(a,
				       "a roster signed by p%u while this room hosts: refused (a "
				       "successor took over; were we cut off?)",
				       m->u.roster.host);
		goto out;
	}
	/* A hello of another meeting while in one: the relay shows this room a
	 * second host (PROTOCOL.md 6.5). Harmless to a bound or verified host's
	 * meeting; with an unconfirmed host this room cannot tell which is real. */
	if (memcmp(m->u.roster.meeting, a->chain->roster.meeting, KX_MEETING_ID_BYTES)) {
		if (kxd_media_allowed(a))
			kxd_warn_event(
			    a,
			    "a roster of another meeting (the relay shows a second host): "
			    "ignored, this meeting's host is %s",
			    kxd_trust_names[a->host_trust]);
		else
			equivocation(a, "a second host while this meeting's host is unconfirmed");
		goto out;
	}
	old = malloc(sizeof(*old));
	if (!old)
		goto out;
	*old = a->chain->roster;
	/* A successor's roster counts only once the host signed its leave: the
	 * chain alone would let a member depose the host. */
	if (m->u.roster.host != old->host && !a->host_left &&
	    kxd_now_ms() - a->host_seen < a->takeover_ms) {
		kxd_warn_event(
		    a,
		    "a roster signed by p%u, not the host p%u, which has neither left nor "
		    "gone silent: refused",
		    m->u.roster.host, old->host);
		goto out;
	}
	ret = kx_chain_accept(a->chain, m);
	if (ret) {
		if (ret != -ESTALE) /* resends of rosters already held are normal */
			kxd_warn_event(a, "rejected a roster from p%d: %s", from, strerror(-ret));
		goto out;
	}
	a->host_seen = a->synced_at = kxd_now_ms();
	kxd_chain_note(a);
	if (m->u.roster.host != old->host) {
		a->host_left = false; /* a new host, heard now */
		a->heartbeat_ms = 0;  /* its heartbeats' times are its clock's, not the old host's */
		kxd_deposed(a, old, m->u.roster.epoch);
	}
	for (uint32_t i = 0; i < m->u.roster.n_members; i++) {
		const struct kx_member *n = &m->u.roster.members[i],
				       *o = kx_roster_find(old, n->id);
		struct peer *p;

		if ((!o || memcmp(o->ik, n->ik, KX_IK_BYTES)) && (p = kxd_peer_get(a, n->id, true)))
			p->since = m->u.roster.epoch;
	}
	if (!me) {
		/* Out: torn down like a leave (keys removed, the secret wiped,
		 * the meeting key freed, the relay connection closed). */
		kxd_logmsg("removed from the meeting at epoch %llu",
			   (unsigned long long)m->u.roster.epoch);
		a->have_secret = false;
		sodium_memzero(a->sec->epoch, sizeof(a->sec->epoch));
		a->end_state = ST_LEFT;
		goto out;
	}
	/* Who this roster drops (removed, left, a host taken over from): its
	 * keys of every epoch go now, before any key of this epoch and the
	 * roster event; the grace below is for those who remain (6.4). */
	kxd_drop_departed(a);
	/* A fresh epoch lists the EK our last ack announced: the old one goes. */
	if (kxd_member_ek_rotate(a, me))
		kxd_out_of_sync(a, SYNC_OUT,
				"roster %llu lists a meeting key (EK) of ours this room does not hold",
				(unsigned long long)m->u.roster.epoch);
	if (a->have_secret && a->chain->roster.epoch == old->epoch + 1 &&
	    only_adds(old, &m->u.roster)) {
		uint8_t next[KX_SECRET_BYTES];

		if (!kx_epoch_join(a->sec->epoch, a->chain->hash, next)) {
			memcpy(a->sec->epoch, next, sizeof(next));
			sodium_memzero(next, sizeof(next));
			kxd_install_epoch_keys(a);
			kxd_send_ack(a, a->chain->roster.host);
			kxd_in_sync(a, false);
		}
	} else {
		/* A fresh secret is on its way, sealed to us. Until it comes, the
		 * old epoch's keys go: sending in 2 s, receiving (of the senders
		 * still listed) after the grace period, whether or not it comes (a
		 * relay that withholds the new secret must not keep us sending). */
		long long now = kxd_now_ms();

		/* The old secret goes too (its media keys are derived): a snapshot
		 * taken while the relay withholds the new one opens nothing more. */
		a->have_secret = false;
		sodium_memzero(a->sec->epoch, sizeof(a->sec->epoch));
		a->group_code[0] = 0;
		for (size_t j = 0; j < KEYS_MAX; j++) {
			struct media_key *k = &a->keys[j];

			if (k->used && k->epoch < a->chain->roster.epoch && !k->remove_at)
				k->remove_at = now + (k->send ? SWITCH_MS : GRACE_MS);
		}
	}
	kxd_emit_roster(a);
	kxd_emit_state(a);
out:
	free(old);
	free(m);
}

void kxd_on_epoch_key(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg m;
	const struct kx_member *h, *me;
	struct kx_pair_keys pk;
	uint8_t pair[KX_SECRET_BYTES], secret[KX_SECRET_BYTES];
	int ret;
	bool fresh;

	if (!a->chain->started)
		return;
	ret = kx_msg_parse(json, len, KX_MSG_EPOCH_KEY, a->chain, &m);
	if (ret) {
		if (ret != -ESTALE)
			kxd_warn_event(a, "rejected an epoch key from p%d: %s", from,
				       strerror(-ret));
		return;
	}
	if (m.u.epoch_key.to != a->self)
		return;
	h = kx_roster_find(&a->chain->roster, m.u.epoch_key.from);
	me = kx_roster_find(&a->chain->roster, (uint16_t)a->self);
	pk = (struct kx_pair_keys){h->ik, me->ik, h->ek, me->ek};
	ret = kx_pair_key(&a->ek, a->chain->roster.meeting, &pk, pair);
	if (!ret)
		ret = kx_epoch_key_open(&m.u.epoch_key, pair, secret);
	sodium_memzero(pair, sizeof(pair));
	if (ret) {
		sodium_memzero(secret, sizeof(secret));
		kxd_warn_event(a, "an epoch key that does not open: %s", strerror(-ret));
		return;
	}
	/* A resend of the secret already held changes nothing but is acked: it
	 * carries no time, so the relay could replay it at will; it is not a
	 * word of the host (PROTOCOL.md 6.3, 6.6): only the first opening is. */
	fresh = !a->have_secret || sodium_memcmp(secret, a->sec->epoch, sizeof(secret));
	if (fresh) {
		/* Another secret for the held epoch (the host's resend after a
		 * failed confirmation): the keys of the wrong one go first, the
		 * media daemon keeps the first key under a KID. */
		if (a->have_secret)
			for (size_t j = 0; j < KEYS_MAX; j++)
				if (a->keys[j].used && a->keys[j].epoch == a->chain->roster.epoch)
					kxd_key_remove(a, j);
		memcpy(a->sec->epoch, secret, sizeof(secret));
		a->have_secret = true;
		a->host_seen = kxd_now_ms();
		kxd_install_epoch_keys(a);
	}
	sodium_memzero(secret, sizeof(secret));
	kxd_send_ack(a, a->chain->roster.host);
	if (fresh)
		kxd_in_sync(a, false);
}

/*
 * The successor the held roster names takes over with a fresh secret
 * (PROTOCOL.md 6.3): after the host's signed leave, or after hearing nothing
 * signed by the host for --takeover-after. Members accept its roster under
 * the same rule, judged by what they heard themselves.
 */
void kxd_take_over(struct app *a, const char *why)
{
	uint16_t old = a->chain->roster.host;

	if (a->host || a->chain->roster.successor != a->self || !a->have_ek)
		return;
	/* Not current: the host signed a later epoch than ours (PROTOCOL.md 6.3). */
	if (a->host_ahead > a->chain->roster.epoch) {
		if (kxd_now_ms() - a->warned_at >= 10000) {
			a->warned_at = kxd_now_ms();
			kxd_warn_event(a,
				       "%s, but the host signed epoch %llu and this room holds %llu: "
				       "not current, it does not take over",
				       why, (unsigned long long)a->host_ahead,
				       (unsigned long long)a->chain->roster.epoch);
		}
		return;
	}
	/* Split: this room already saw two meetings; hosting would clear that
	 * state and make a third (PROTOCOL.md 6.7: a split ends only by a later
	 * epoch its host confirms, or by leaving). */
	if (a->sync == SYNC_SPLIT) {
		if (kxd_now_ms() - a->warned_at >= 10000) {
			a->warned_at = kxd_now_ms();
			kxd_warn_event(a, "%s, but this room sees a meeting split: it does not take over",
				       why);
		}
		return;
	}
	kxd_logmsg("%s: taking over as its successor", why);
	kxd_deposed(a, &a->chain->roster, a->chain->roster.epoch + 1);
	a->host = true;
	/* The host signs its epochs: in sync by definition (its send keys come
	 * with the new epoch), unless a split is seen later (PROTOCOL.md 6.7). */
	a->sync = SYNC_OK;
	a->host_left = true;
	a->hosting_since_ms = kxd_wall_ms();
	if (kxd_host_next_epoch(a, old, true)) {
		a->host = false;
		return;
	}
	/* A host announces no next EK: a fresh one comes with every fresh epoch. */
	kxd_free_next_eks(a);
	kxd_emit(a, KX_CTL_EV_ROSTER | KX_CTL_EV_STATE,
		 json_pack("{s:s, s:s}", "event", "warning", "text",
			   "the host is gone: this room hosts the meeting now"));
}

void kxd_on_leave(struct app *a, int from, const char *json, size_t len)
{
	struct peer *p;
	struct kx_msg m;
	int ret = kx_msg_parse(json, len, KX_MSG_LEAVE, a->chain, &m);

	if (ret) {
		kxd_warn_event(a, "rejected a leave from p%d: %s", from, strerror(-ret));
		return;
	}
	if (!kx_roster_find(&a->chain->roster, m.u.leave.from))
		return;
	/* A leave counts for the membership it was signed in: one signed
	 * before the roster that last added this participant (a leave replayed
	 * across a re-admission), or outside the time window, is refused. */
	p = kxd_peer_get(a, m.u.leave.from, false);
	if ((p && m.u.leave.epoch < p->since) || !kxd_within_window(a, m.u.leave.time_ms)) {
		a->leaves_refused++;
		kxd_warn_event(
		    a,
		    "rejected a leave from p%u: signed at epoch %llu, before its admission "
		    "at %llu, or outside the time window",
		    m.u.leave.from, (unsigned long long)m.u.leave.epoch,
		    (unsigned long long)(p ? p->since : 0));
		return;
	}
	kxd_logmsg("p%u leaves", m.u.leave.from);
	if (p && m.u.leave.time_ms > p->spent_ms)
		p->spent_ms = m.u.leave.time_ms;
	if (m.u.leave.from == a->chain->roster.host)
		a->host_left = true;
	if (a->host) {
		kxd_host_next_epoch(a, m.u.leave.from, true);
	} else if (m.u.leave.from == a->chain->roster.host) {
		kxd_take_over(a, "the host left, signed");
	}
}

/*
 * A member or knocker: the host ended the meeting (PROTOCOL.md 6.4). Signed
 * by the held roster's host (a knocker: the host of its hello), terminal:
 * keys wiped, no takeover, no knock again.
 */
void kxd_on_end(struct app *a, int from, const char *json, size_t len)
{
	const struct kx_chain *c = a->chain->started ? a->chain : a->hello_chain;
	struct kx_msg m;
	int ret;

	if (a->host || (!a->chain->started && !a->have_hello))
		return;
	ret = kx_msg_parse(json, len, KX_MSG_END, c, &m);
	if (ret) {
		kxd_warn_event(a, "rejected an end from p%d: %s", from, strerror(-ret));
		return;
	}
	kxd_logmsg("the host ended the meeting at epoch %llu", (unsigned long long)m.u.end.epoch);
	a->end_state = ST_ENDED; /* torn down after this relay message */
}

/*
 * Knocker: a deny counts only when the host of the hello we knocked to
 * signed it, for us, naming the knock we sent last; then we stop knocking.
 */
void kxd_on_deny(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg m;
	int ret;

	if (a->host || a->chain->started || !a->have_hello || !a->have_knock)
		return;
	ret = kx_msg_parse(json, len, KX_MSG_DENY, a->hello_chain, &m);
	if (!ret &&
	    (m.u.deny.to != a->self || sodium_memcmp(m.u.deny.knock, a->knock_hash, KX_HASH_BYTES)))
		ret = -ENOLINK;
	if (ret) {
		kxd_warn_event(a, "rejected a deny from p%d: %s", from, strerror(-ret));
		return;
	}
	kxd_logmsg("the host denied our knock");
	a->end_state = ST_DENIED; /* torn down after this relay message */
}

void kxd_leave_meeting(struct app *a)
{
	if (a->chain->started && a->state == ST_MEETING) {
		struct kx_msg m = {.type = KX_MSG_LEAVE};

		memcpy(m.u.leave.meeting, a->meeting, KX_MEETING_ID_BYTES);
		m.u.leave.epoch = a->chain->roster.epoch;
		m.u.leave.from = (uint16_t)a->self;
		m.u.leave.time_ms = kxd_wall_ms();
		/* A host's leave goes to everyone: its successor takes over. */
		kxd_send_msg(a, a->host ? -1 : a->chain->roster.host, &m, true);
		kxd_relay_flush(a);
	}
	kxd_teardown(a, ST_LEFT);
}

/*
 * A key subscriber came back while the keys of the held epoch were handed
 * already (PROTOCOL.md 6.8): it gets none of them; this room asks for a
 * fresh epoch (the host starts one; a member asks its host, signed).
 */
void kxd_keys_withheld(struct app *a, uint64_t epoch)
{
	if (a->state != ST_MEETING)
		return;
	kxd_warn_event(a,
		       "the media keys of epoch %llu were handed already: the media daemon "
		       "waits for a fresh epoch",
		       (unsigned long long)epoch);
	a->keys_waiting = true;
	a->keys_waiting_epoch = epoch;
	if (a->host) {
		kxd_host_rekey_requested(a, epoch);
	} else {
		a->rekey_req_at = 0; /* now, from the timers */
	}
}

/* The member's rekey request to its host, for the held epoch; resent until it is keyed. */
void kxd_send_rekey_request(struct app *a)
{
	struct kx_msg m = {.type = KX_MSG_REKEY_REQUEST};
	struct kx_rekey_request *r = &m.u.rekey_request;

	a->rekey_req_at = kxd_now_ms() + REKEY_REQUEST_RESEND_MS;
	/* A later roster is held (its secret on the way): that epoch keys the
	 * media daemon afresh; asking again would cost the meeting another. */
	if (!a->chain->started || a->chain->roster.epoch > a->keys_waiting_epoch)
		return;
	memcpy(r->meeting, a->chain->roster.meeting, sizeof(r->meeting));
	r->epoch = a->chain->roster.epoch;
	r->from = (uint16_t)a->self;
	r->time_ms = kxd_wall_ms();
	if (kxd_send_msg(a, a->chain->roster.host, &m, true))
		kxd_logmsg("cannot send the rekey request for epoch %llu",
			   (unsigned long long)r->epoch);
}
