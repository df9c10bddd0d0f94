// SPDX-License-Identifier: MIT
/*
 * keyxchgd as host (PROTOCOL.md 6, 6.1, 6.4, 7; DAEMON.md "Host"): the
 * meeting's start, each next epoch (joins batched and ratcheted, fresh
 * secrets sealed on leave, removal, rekey, takeover), resends to members that
 * have not acked, the lobby (knocks checked, spent, barred, bounded, their
 * codewords rate-limited, the allow list), deny, remove and end.
 */
#define _GNU_SOURCE
#include "keyxchgd.h"

/* Seals the held epoch secret for member to (PROTOCOL.md 7). */
static int send_epoch_key(struct app *a, const struct kx_member *to)
{
	const struct kx_roster *r = &a->chain->roster;
	const struct kx_member *host = kx_roster_find(r, (uint16_t)a->self);
	struct kx_pair_keys pk;
	struct kx_msg m = {.type = KX_MSG_EPOCH_KEY};
	uint8_t pair[KX_SECRET_BYTES];
	int ret;

	if (!host || r->host != a->self)
		return -EPERM;
	pk = (struct kx_pair_keys){host->ik, to->ik, host->ek, to->ek};
	memcpy(m.u.epoch_key.meeting, r->meeting, KX_MEETING_ID_BYTES);
	m.u.epoch_key.epoch = r->epoch;
	memcpy(m.u.epoch_key.roster, a->chain->hash, KX_HASH_BYTES);
	m.u.epoch_key.from = (uint16_t)a->self;
	m.u.epoch_key.to = to->id;
	ret = kx_pair_key(&a->ek, r->meeting, &pk, pair);
	if (!ret)
		ret = kx_epoch_key_seal(&m.u.epoch_key, pair, a->sec->epoch);
	sodium_memzero(pair, sizeof(pair));
	if (!ret)
		ret = kxd_send_msg(a, to->id, &m, true);
	return ret;
}

/*
 * The next roster from the held one: without `removed` (KX_NO_PARTICIPANT:
 * none), with every admission waiting in the batch (PROTOCOL.md 7, DAEMON.md
 * "Join batching"). Only additions ratchet the secret (one ratchet for the
 * whole batch, sealed to the joiners alone); a removal or `fresh` draws a
 * fresh secret, sealed to every member, joiners included. Returns 0 (also
 * when there is nothing to do) or -errno.
 */
int kxd_host_next_epoch(struct app *a, uint16_t removed, bool fresh)
{
	struct kx_msg *m;
	struct kx_roster *r;
	struct kx_ek host_ek = {0};
	uint8_t next[KX_SECRET_BYTES];
	unsigned int added = 0;
	bool join, take;
	int ret;

	/* A KID names epoch mod 256: never two live epochs 256 apart. */
	if (a->chain->roster.epoch + 1 - kxd_oldest_held_epoch(a) >= KID_EPOCHS) {
		if (kxd_now_ms() - a->warned_at >= 1000) {
			a->warned_at = kxd_now_ms();
			kxd_warn_event(
			    a, "256 epochs within the keys' grace period: the next epoch waits");
		}
		return -EAGAIN;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->type = KX_MSG_ROSTER;
	r = &m->u.roster;
	*r = a->chain->roster;
	r->epoch++;
	memcpy(r->prev, a->chain->hash, KX_HASH_BYTES);
	if (removed != KX_NO_PARTICIPANT) {
		uint32_t j = 0;

		for (uint32_t i = 0; i < r->n_members; i++)
			if (r->members[i].id != removed)
				r->members[j++] = r->members[i];
		r->n_members = j;
		if (r->successor == removed || removed == a->chain->roster.host)
			r->successor = KX_NO_PARTICIPANT;
	}
	if (removed == a->chain->roster.host) {
		/* Successor takeover (PROTOCOL.md 6): we host from this epoch on. */
		r->host = (uint16_t)a->self;
		for (uint32_t i = 0; i < r->n_members; i++)
			if (r->members[i].id == a->self)
				r->members[i].role = KX_ROLE_HOST;
	}
	/* The successor gone (or a takeover): the lowest other member is the
	 * next one (DAEMON.md "Successor"), so that a meeting whose successor
	 * left does not die with its host. */
	for (uint32_t i = 0; r->successor == KX_NO_PARTICIPANT && i < r->n_members; i++)
		if (r->members[i].id != r->host)
			r->successor = r->members[i].id;
	/*
	 * A roster that adds members and removes none is a join to every member
	 * (PROTOCOL.md 7): they derive its secret. So a fresh secret that removes
	 * nobody (a rekey) takes no admission along, or the members would ratchet
	 * a secret the host never drew, install and ack its keys; the admissions
	 * wait for the batch's own epoch, right after.
	 */
	take = removed != KX_NO_PARTICIPANT || !fresh;

	for (size_t k = 0; take && a->host && k < KX_MAX_MEMBERS; k++) {
		const struct kx_announce *ann = &a->peers[k].admit_ann;
		uint32_t i = r->n_members;

		if (!a->peers[k].used || !a->peers[k].admit_pending || ann->from == removed)
			continue;
		if (kx_roster_find(r, ann->from)) {
			a->peers[k].admit_pending = false;
			continue;
		}
		if (i == KX_MAX_MEMBERS) {
			kxd_warn_event(a, "the meeting is full: p%u not admitted", ann->from);
			a->peers[k].admit_pending = false;
			continue;
		}
		/* ids strictly ascending (PROTOCOL.md 5) */
		while (i > 0 && r->members[i - 1].id > ann->from) {
			r->members[i] = r->members[i - 1];
			i--;
		}
		memset(&r->members[i], 0, sizeof(r->members[i]));
		r->members[i].id = ann->from;
		r->members[i].role = KX_ROLE_MEMBER;
		strcpy(r->members[i].device, ann->device);
		memcpy(r->members[i].ik, ann->ik, KX_IK_BYTES);
		memcpy(r->members[i].ek, ann->ek, KX_EK_BYTES);
		r->n_members++;
		added++;
		if (r->successor == KX_NO_PARTICIPANT)
			r->successor = ann->from;
	}
	join = added && removed == KX_NO_PARTICIPANT && !fresh;
	if (!added && removed == KX_NO_PARTICIPANT && !fresh) {
		free(m);
		return 0;
	}
	/* A fresh epoch: fresh EKs, ours and the members' (PROTOCOL.md 7.3). */
	ret = join ? 0 : kxd_host_fresh_eks(a, r, &host_ek);
	if (!ret)
		ret = kx_msg_sign(m, &a->id);
	if (!ret)
		ret = kx_chain_accept(a->chain, m);
	if (ret) {
		kxd_warn_event(a, "cannot make roster %llu: %s", (unsigned long long)r->epoch,
			       strerror(-ret));
		kx_ek_free(&host_ek);
		free(m);
		return ret;
	}
	kxd_chain_note(a);
	if (!join) {
		/* The old EK's secret goes: the sealed secrets of epochs before
		 * this one no longer open with anything this host holds. */
		kx_ek_free(&a->ek);
		a->ek = host_ek;
		for (uint32_t i = 0; i < r->n_members; i++) {
			struct peer *p = kxd_peer_get(a, r->members[i].id, false);

			if (p && p->have_next_ek && !memcmp(p->next_ek, r->members[i].ek, KX_EK_BYTES))
				p->have_next_ek = false;
		}
	}
	ret = join ? kx_epoch_join(a->sec->epoch, a->chain->hash, next) : kx_epoch_fresh(next);
	if (!ret)
		memcpy(a->sec->epoch, next, sizeof(next));
	sodium_memzero(next, sizeof(next));
	if (!join)
		a->fresh_at = kxd_now_ms();
	if (take)
		a->batch_at = 0;
	kxd_history_add(a, m);
	kxd_send_msg(a, -1, m, false);
	for (uint32_t i = 0; i < r->n_members; i++) {
		struct peer *p;
		bool joiner;

		if (r->members[i].id == a->self)
			continue;
		p = kxd_peer_get(a, r->members[i].id, true);
		if (!p)
			continue;
		joiner = p->admit_pending;
		if (joiner) {
			p->admit_pending = p->knocked = p->cw_pending = false;
			p->since = r->epoch;
			if (p->admit_ann.time_ms > p->spent_ms)
				p->spent_ms = p->admit_ann.time_ms;
			p->acked_epoch = -1;
			p->ack_time_ms = 0;
			p->have_next_ek = false;
		}
		p->resends = 0;
		p->resend_at = kxd_now_ms() + RESEND_MS;
		/* Joins: only the joiners get the secret; the others derive it. */
		if (!join || joiner)
			send_epoch_key(a, &r->members[i]);
	}
	free(m);
	kxd_logmsg("epoch %llu: %u members, %u joined (%s)",
		   (unsigned long long)a->chain->roster.epoch, a->chain->roster.n_members, added,
		   join ? "join ratchet" : "fresh secret");
	/* Who this roster drops (removed, left, the host taken over from):
	 * refused at once, before the new keys and the roster event. */
	kxd_drop_departed(a);
	kxd_install_epoch_keys(a);
	kxd_emit_roster(a);
	kxd_emit_state(a);
	return 0;
}

/* Admitted (by the person or the allow list): in the next epoch, batched. */
void kxd_admit_later(struct app *a, struct peer *p)
{
	p->admit_pending = true;
	p->admit_ann = p->ann;
	if (!a->batch_at)
		a->batch_at = kxd_now_ms() + a->batch_ms;
}

int kxd_host_start(struct app *a)
{
	struct kx_msg *m = calloc(1, sizeof(*m));
	struct kx_roster *r;
	int ret;

	if (!m)
		return -ENOMEM;
	m->type = KX_MSG_ROSTER; /* a->meeting drawn at join, bound to our IK */
	r = &m->u.roster;
	memcpy(r->meeting, a->meeting, sizeof(a->meeting));
	r->host = (uint16_t)a->self;
	r->successor = KX_NO_PARTICIPANT;
	r->policy = (struct kx_policy){.e2ee = true, .lobby_locked = true};
	r->n_members = 1;
	r->members[0].id = (uint16_t)a->self;
	r->members[0].role = KX_ROLE_HOST;
	strcpy(r->members[0].device, a->device);
	memcpy(r->members[0].ik, a->id.ik, KX_IK_BYTES);
	memcpy(r->members[0].ek, a->ek.pk, KX_EK_BYTES);
	ret = kx_msg_sign(m, &a->id);
	if (!ret)
		ret = kx_chain_start(a->chain, m, a->id.ik, (uint16_t)a->self, a->id.ik);
	if (!ret)
		kxd_chain_note(a);
	if (!ret)
		ret = kx_epoch_fresh(a->sec->epoch);
	if (ret) {
		free(m);
		return ret;
	}
	a->have_secret = true;
	a->fresh_at = kxd_now_ms();
	kxd_history_add(a, m);
	kxd_send_msg(a, -1, m, false);
	free(m);
	a->state = ST_MEETING;
	kxd_logmsg("meeting started as host, participant %d, codeword %s", a->self, a->codeword);
	kxd_install_epoch_keys(a);
	kxd_emit_roster(a);
	kxd_emit_state(a);
	return 0;
}

/* A member has not acked: the rosters it misses, then the sealed secret. */
void kxd_host_resend(struct app *a, struct peer *p)
{
	const struct kx_member *m = kx_roster_find(&a->chain->roster, p->id);
	uint64_t e = a->chain->roster.epoch;
	uint64_t from = p->acked_epoch < 0 ? e : (uint64_t)p->acked_epoch + 1;

	if (!m)
		return;
	if (e - from >= HISTORY)
		from = e - HISTORY + 1;
	for (uint64_t k = from; k <= e; k++)
		if (a->history[k % HISTORY] && a->history_epoch[k % HISTORY] == k)
			kxd_send_body(a, p->id, a->history[k % HISTORY]);
	send_epoch_key(a, m);
	p->resends++;
	p->resend_at = kxd_now_ms() + RESEND_MS;
}

static bool all_acked(struct app *a)
{
	const struct kx_roster *r = &a->chain->roster;

	for (uint32_t i = 0; i < r->n_members; i++) {
		struct peer *p = kxd_peer_get(a, r->members[i].id, false);

		if (r->members[i].id != a->self && (!p || p->acked_epoch != (long long)r->epoch))
			return false;
	}
	return true;
}

bool kxd_within_window(const struct app *a, uint64_t t_ms)
{
	uint64_t now = kxd_wall_ms(), w = (uint64_t)a->window_ms;

	return t_ms + w >= now && t_ms <= now + w;
}

/* Knocks held now (pending admissions included, members not). */
static unsigned int lobby_count(const struct app *a)
{
	unsigned int n = 0;

	for (size_t i = 0; i < KX_MAX_MEMBERS; i++)
		if (a->peers[i].used && a->peers[i].knocked)
			n++;
	return n;
}

/* Pins device -> ik after a person confirmed it (admit, verify). */
int kxd_pin_confirmed(struct app *a, const char *device, const uint8_t ik[static KX_IK_BYTES])
{
	int pin = kx_pin_check(&a->pins, device, ik);

	if (pin == KX_PIN_NEW)
		return kx_pin_add(&a->pins, device, ik);
	if (pin == KX_PIN_CHANGED)
		return kx_pin_replace(&a->pins, device, ik);
	return pin < 0 ? pin : 0;
}

/* Allow-listed with exactly this IK, and not pinned with another one. */
static bool allow_listed(struct app *a, const struct kx_announce *ann, int pin)
{
	uint8_t ik[KX_IK_BYTES];

	return pin != KX_PIN_CHANGED && kx_pin_lookup(&a->allow, ann->device, ik) &&
	       !sodium_memcmp(ik, ann->ik, KX_IK_BYTES);
}

/* Removed from this meeting by the host (IKs are public: a plain compare). */
static bool ik_barred(const struct app *a, const uint8_t ik[static KX_IK_BYTES])
{
	for (unsigned int i = 0; i < a->n_barred; i++)
		if (!memcmp(a->barred[i], ik, KX_IK_BYTES))
			return true;
	return false;
}

/* A knock whose codeword is known: shown, and admitted if allow-listed. */
static void knock_shown(struct app *a, struct peer *p)
{
	char hash[2 * KX_HASH_BYTES + 1];

	p->cw_pending = false;
	if (p->pin == KX_PIN_CHANGED)
		kxd_warn_event(a,
			       "device %s knocks with a CHANGED identity key (codeword %s): never "
			       "admitted automatically",
			       p->ann.device, p->codeword);
	kxd_logmsg("knock from p%u (%s), codeword %s, pin %s%s", p->id, p->ann.name, p->codeword,
		   kxd_pin_name(p->pin), p->auto_admit ? ", allow-listed: admitted" : "");
	/* The knock's hash names exactly this knock for `admit` (CONTROL.md). */
	sodium_bin2hex(hash, sizeof(hash), p->knock_hash, KX_HASH_BYTES);
	kxd_emit(a, KX_CTL_EV_ROSTER,
		 json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "event", "knock",
			   "participant", p->id, "knock", hash, "name", p->ann.name, "device",
			   p->ann.device, "codeword", p->codeword, "pinned", kxd_pin_name(p->pin),
			   "auto", p->auto_admit, "barred", p->barred));
	/* The allow list admits; it pins nothing (only a person does). */
	if (p->auto_admit)
		kxd_admit_later(a, p);
}

/* Is hex the hash of the knock p holds (as the knock event showed it)? */
bool kxd_knock_named(const struct peer *p, const char *hex)
{
	uint8_t h[KX_HASH_BYTES];
	size_t n = 0;

	return !sodium_hex2bin(h, sizeof(h), hex, strlen(hex), NULL, &n, NULL) && n == sizeof(h) &&
	       strlen(hex) == 2 * sizeof(h) && !sodium_memcmp(h, p->knock_hash, sizeof(h));
}

/* Drops a knock (the knocker went, or its time ran out). */
void kxd_knock_drop(struct app *a, struct peer *p)
{
	p->knocked = p->cw_pending = p->admit_pending = p->auto_admit = false;
	if (!kx_roster_find(&a->chain->roster, p->id) && !p->denied && !p->spent_ms) {
		a->peer_slot[p->id] = 0;
		memset(p, 0, sizeof(*p));
	}
}

void kxd_on_announce(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg *m = calloc(1, sizeof(*m));
	uint8_t h[KX_HASH_BYTES];
	const struct kx_announce *ann;
	struct peer *p;
	bool known;
	int ret, pin;

	if (!m)
		return;
	ret = kx_msg_parse(json, len, KX_MSG_ANNOUNCE, NULL, m);
	if (ret) {
		kxd_warn_event(a, "rejected an announce from p%d: %s", from, strerror(-ret));
		goto out;
	}
	ann = &m->u.announce;
	if (ann->from != from || sodium_memcmp(ann->meeting, a->meeting, KX_MEETING_ID_BYTES)) {
		kxd_warn_event(a, "rejected an announce from p%d: another participant or meeting",
			       from);
		goto out;
	}
	/* Freshness (DAEMON.md): an old knock replayed is not a knock. */
	if (!kxd_within_window(a, ann->time_ms)) {
		a->stale_refused++;
		kxd_warn_event(
		    a, "rejected an announce from p%d: its time is outside the %lld s window", from,
		    a->window_ms / 1000);
		goto out;
	}
	if (kx_roster_find(&a->chain->roster, (uint16_t)from) || kx_announce_hash(ann, h))
		goto out; /* a member already */
	p = kxd_peer_get(a, (uint16_t)from, false);
	if (p && ((p->knocked && !memcmp(h, p->knock_hash, sizeof(h))) ||
		  (p->denied && !memcmp(h, p->denied_hash, sizeof(h)))))
		goto out; /* the same knock again */
	if (p && p->knocked && ann->time_ms <= p->ann.time_ms) {
		a->stale_refused++;
		kxd_warn_event(a, "rejected an announce from p%d: older than its knock held", from);
		goto out;
	}
	if (ann->time_ms < a->hosting_since_ms) {
		a->stale_refused++;
		kxd_warn_event(
		    a,
		    "rejected an announce from p%d: signed before this room took over as "
		    "host",
		    from);
		goto out;
	}
	if (p && ann->time_ms <= p->spent_ms) {
		a->stale_refused++;
		kxd_warn_event(
		    a,
		    "rejected an announce from p%d: not newer than its last admission or "
		    "leave (a replay)",
		    from);
		goto out;
	}
	pin = kx_pin_check(&a->pins, ann->device, ann->ik);
	/* Known identities (pinned with this IK, or allow-listed) cost no
	 * Argon2id budget and are not bound by the lobby's size: a relay cannot
	 * make up more of them, it can only replay their knocks (one each). */
	known = pin == KX_PIN_SAME || allow_listed(a, ann, pin);
	if ((!p || !p->knocked) && !known && lobby_count(a) >= a->lobby_max) {
		a->knocks_refused++;
		if (a->knocks_refused == 1 || a->knocks_refused % 100 == 0)
			kxd_warn_event(
			    a,
			    "the lobby is full (%u knocks): knock from p%d refused (%lu so "
			    "far)",
			    a->lobby_max, from, a->knocks_refused);
		goto out;
	}
	p = p ? p : kxd_peer_get(a, (uint16_t)from, true);
	if (!p)
		goto out;
	if (p->knocked && memcmp(p->ann.ik, ann->ik, KX_IK_BYTES)) {
		kxd_warn_event(a,
			       "p%d knocks again with ANOTHER identity key: the knock shown before "
			       "is void, compare the new codeword",
			       from);
		p->verified = false;
	}
	if (p->admit_pending && (memcmp(p->admit_ann.ik, ann->ik, KX_IK_BYTES) ||
				 memcmp(p->admit_ann.ek, ann->ek, KX_EK_BYTES))) {
		kxd_warn_event(a, "p%d's admission is void: it knocks again with other keys", from);
		p->admit_pending = false;
	}
	p->ann = *ann;
	memcpy(p->knock_hash, h, sizeof(h));
	p->knocked = true;
	p->denied = false;
	p->knocked_at = kxd_now_ms();
	p->knock_seq = ++a->knock_seq;
	p->pin = pin;
	/* A removed IK is never admitted without a person (PROTOCOL.md 6.4). */
	p->barred = ik_barred(a, ann->ik);
	p->auto_admit = !p->barred && allow_listed(a, ann, pin);
	p->codeword[0] = 0;
	if (known || kx_codeword_cached(&a->cw, ann->ik, p->codeword)) {
		if (kx_codeword(&a->cw, ann->ik, p->codeword))
			strcpy(p->codeword, "?");
		knock_shown(a, p);
	} else {
		p->cw_pending = true; /* shown when the Argon2id budget allows (timers) */
	}
out:
	free(m);
}

/*
 * Codewords of unknown knockers, at most cw_rate Argon2id runs a second
 * (a token bucket), oldest knock first: a flood of fake knocks cannot pin
 * the CPU, and the lobby's bound keeps the queue short.
 */
void kxd_codeword_queue(struct app *a)
{
	long long now = kxd_now_ms();

	a->cw_tokens += (double)(now - a->cw_at) * a->cw_rate / 1000.0;
	if (a->cw_tokens > a->cw_rate)
		a->cw_tokens = a->cw_rate;
	a->cw_at = now;
	while (a->cw_tokens >= 1) {
		struct peer *next = NULL;

		for (size_t i = 0; i < KX_MAX_MEMBERS; i++) {
			struct peer *p = &a->peers[i];

			if (p->used && p->knocked && p->cw_pending &&
			    (!next || p->knock_seq < next->knock_seq))
				next = p;
		}
		if (!next)
			return;
		a->cw_tokens -= 1;
		if (kx_codeword(&a->cw, next->ann.ik, next->codeword))
			strcpy(next->codeword, "?");
		knock_shown(a, next);
	}
}

void kxd_on_ack(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg m;
	struct peer *p;
	int ret = kx_msg_parse(json, len, KX_MSG_ACK, a->chain, &m);

	if (ret) {
		kxd_cross_check(a, json, len, ret); /* a fork's word (PROTOCOL.md 6.7) */
		if (ret != -ESTALE)
			kxd_warn_event(a, "rejected an ack from p%d: %s", from, strerror(-ret));
		return;
	}
	/* Newer than its last, confirming our secret (PROTOCOL.md 7.2). */
	if (!kxd_ack_taken(a, &m))
		return;
	p = kxd_peer_get(a, m.u.ack.from, true);
	if (p)
		p->acked_epoch = (long long)m.u.ack.epoch;
	if (all_acked(a) && a->switch_at && a->switch_epoch == a->chain->roster.epoch)
		kxd_switch_send(a);
}

/*
 * Host: removes a member (PROTOCOL.md 6.4): its IK barred from this meeting,
 * then at once a roster without it and a fresh secret sealed to the others.
 */
int kxd_host_remove(struct app *a, uint16_t id)
{
	const struct kx_member *m = kx_roster_find(&a->chain->roster, id);
	struct peer *p = kxd_peer_get(a, id, false);

	if (!m || id == a->self)
		return -ENOENT;
	if (!ik_barred(a, m->ik)) {
		if (a->n_barred == KX_MAX_MEMBERS)
			return -ENOSPC;
		memcpy(a->barred[a->n_barred++], m->ik, KX_IK_BYTES);
	}
	if (p && p->knocked)
		kxd_knock_drop(a, p);
	kxd_logmsg("removing p%u", id);
	return kxd_host_next_epoch(a, id, true);
}

/* Host: tells a knocker no, signed and bound to the knock (PROTOCOL.md 3.6). */
int kxd_send_deny(struct app *a, struct peer *p)
{
	struct kx_msg m = {.type = KX_MSG_DENY};

	memcpy(m.u.deny.meeting, a->meeting, KX_MEETING_ID_BYTES);
	m.u.deny.from = (uint16_t)a->self;
	m.u.deny.to = p->id;
	memcpy(m.u.deny.knock, p->knock_hash, KX_HASH_BYTES);
	m.u.deny.time_ms = kxd_wall_ms();
	return kxd_send_msg(a, p->id, &m, true);
}

/*
 * Host: ends the meeting for everyone (PROTOCOL.md 6.4), unlike its leave,
 * which hands it to the successor: a signed end to all, then out.
 */
void kxd_end_meeting(struct app *a)
{
	struct kx_msg m = {.type = KX_MSG_END};

	memcpy(m.u.end.meeting, a->meeting, KX_MEETING_ID_BYTES);
	m.u.end.epoch = a->chain->roster.epoch;
	m.u.end.from = (uint16_t)a->self;
	m.u.end.time_ms = kxd_wall_ms();
	kxd_send_msg(a, -1, &m, true);
	kxd_relay_flush(a);
	kxd_logmsg("meeting ended at epoch %llu", (unsigned long long)m.u.end.epoch);
	kxd_teardown(a, ST_ENDED);
}

/*
 * A fresh epoch owed to a media daemon that subscribed again mid-epoch (this
 * room's own, or a member's by its rekey request; PROTOCOL.md 6.8): at once,
 * or held as one until REKEY_REQUEST_GAP_MS after the last one granted, so
 * that requests cannot make the host rekey in a loop. Owed only while the
 * epoch requested is held: any later epoch keyed everyone afresh.
 */
void kxd_host_rekey_requested(struct app *a, uint64_t epoch)
{
	long long now = kxd_now_ms();

	if (epoch != a->chain->roster.epoch) {
		a->rekey_pending = false;
		return;
	}
	if (a->rekey_granted_at && now - a->rekey_granted_at < REKEY_REQUEST_GAP_MS) {
		a->rekey_pending = true;
		a->rekey_pending_epoch = epoch;
		return;
	}
	if (kxd_host_next_epoch(a, KX_NO_PARTICIPANT, true) == 0 &&
	    a->chain->roster.epoch != epoch) {
		a->rekey_granted_at = now;
		a->rekey_pending = false;
		a->rekeys_on_request++;
		kxd_logmsg("epoch %llu: fresh, on request", (unsigned long long)a->chain->roster.epoch);
	} else {
		a->rekey_pending = true; /* -EAGAIN (KIDs) or an error: retried */
		a->rekey_pending_epoch = epoch;
		a->rekey_granted_at = now; /* not before the next gap */
	}
}

/*
 * A member's signed rekey request (PROTOCOL.md 3.8, 6.8): from a member of
 * the held roster, for the held epoch, within the time window and later than
 * its last one accepted (a replay by the relay is refused).
 */
void kxd_on_rekey_request(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg m;
	const struct kx_rekey_request *r = &m.u.rekey_request;
	struct peer *p = NULL;
	const char *why = NULL;
	int ret = kx_msg_parse(json, len, KX_MSG_REKEY_REQUEST, a->chain, &m);

	if (ret)
		why = strerror(-ret);
	else if (r->from == a->self)
		why = "in this room's name";
	else if (!kxd_within_window(a, r->time_ms))
		why = "outside the time window";
	else if (!(p = kxd_peer_get(a, r->from, true)))
		why = "no room for its state";
	else if (r->time_ms <= p->rekey_req_ms)
		why = "replayed (not later than its last)";
	if (why) {
		/* Warned once per hundred: a flood of them must not flood the panel. */
		if (a->rekey_requests_refused++ % 100 == 0)
			kxd_warn_event(a, "refused a rekey request (envelope p%d): %s", from, why);
		else
			kxd_logmsg("refused a rekey request (envelope p%d): %s", from, why);
		return;
	}
	p->rekey_req_ms = r->time_ms;
	a->rekey_requests++;
	kxd_logmsg("p%u asks for a fresh epoch (its media daemon holds no key of epoch %llu)",
		   r->from, (unsigned long long)r->epoch);
	kxd_host_rekey_requested(a, r->epoch);
}
