// SPDX-License-Identifier: MIT
/*
 * keyxchgd's proof of a shared epoch (PROTOCOL.md 6.3, 6.6, 7.2, 7.3): the
 * acks and the host's heartbeat (its own ack, to everyone) with the sender's
 * time, its next meeting key and the key confirmation of the epoch secret;
 * the host's check of every ack; a member's sync with its host (liveness
 * bound, a newer epoch it cannot validate, a confirmation of another secret,
 * another roster for its own epoch: a split), during which its send keys are
 * withdrawn; and the fresh meeting keys (EKs) of every fresh epoch, the old
 * ones wiped.
 */
#define _GNU_SOURCE
#include "keyxchgd.h"

const char *const kxd_sync_names[] = { "in-sync", "out-of-sync", "split" };

/* The liveness bound: two heartbeats (every T/4) lost in a row. */
static long long liveness_ms(const struct app *a)
{
	return a->takeover_ms / LIVENESS_DIV;
}

/*
 * An ack of the held epoch (PROTOCOL.md 3.4): the sender's time, its EK for
 * the next fresh epoch (a member; drawn now if it has none pending) or its
 * current EK (the host), and the confirmation of the epoch secret. The
 * host's own, to everyone, is its heartbeat.
 */
int kxd_send_ack(struct app *a, int to)
{
	struct kx_msg m = {.type = KX_MSG_ACK};
	struct kx_ack *k = &m.u.ack;
	int ret;

	if (!a->have_secret || !a->have_ek)
		return -ENOKEY;
	if (!a->host && !a->have_next_ek) {
		struct kx_ek ek;

		if ((ret = kx_ek_generate(&ek)))
			return ret;
		if (a->n_announced == ANNOUNCED_MAX) { /* the oldest goes */
			kx_ek_free(&a->announced[0]);
			memmove(&a->announced[0], &a->announced[1],
				(ANNOUNCED_MAX - 1) * sizeof(a->announced[0]));
			a->n_announced--;
		}
		a->announced[a->n_announced++] = ek;
		a->have_next_ek = true;
	}
	memcpy(k->meeting, a->meeting, KX_MEETING_ID_BYTES);
	k->epoch = a->chain->roster.epoch;
	memcpy(k->roster, a->chain->hash, KX_HASH_BYTES);
	k->from = (uint16_t)a->self;
	k->time_ms = kxd_wall_ms();
	memcpy(k->ek, a->host ? a->ek.pk : a->announced[a->n_announced - 1].pk, KX_EK_BYTES);
	if ((ret = kx_confirm(a->sec->epoch, k->meeting, k->epoch, k->roster, k->confirm)))
		return ret;
	return kxd_send_msg(a, to, &m, true);
}

/*
 * Host: a member's ack (parsed against the held roster: same epoch and
 * roster hash, signed by a member). Taken only when newer than its last one
 * and when its confirmation is of our epoch secret; a mismatch is reported
 * and not counted as acked (the sealed secret goes again). Its next EK is
 * kept for the next fresh epoch. Returns whether it counts.
 */
bool kxd_ack_taken(struct app *a, const struct kx_msg *m)
{
	const struct kx_ack *k = &m->u.ack;
	const struct kx_member *mm = kx_roster_find(&a->chain->roster, k->from);
	struct peer *p = kxd_peer_get(a, k->from, true);
	int ret;

	if (!p || !mm || k->from == a->self)
		return false;
	if (k->time_ms <= p->ack_time_ms)
		return false; /* the same ack again, or an older one replayed */
	p->ack_time_ms = k->time_ms;
	ret = kx_confirm_check(a->sec->epoch, k);
	if (ret) {
		/* Warned once per hundred: replays of a new time cannot be made by
		 * the relay (signed), but a member can flood them. */
		if (p->confirm_failed++ % 100 == 0) {
			kxd_warn_event(a,
				       "KEY CONFIRMATION FAILED: p%u acked epoch %llu with another "
				       "epoch secret (%s): not counted as acked, its epoch key goes "
				       "again",
				       k->from, (unsigned long long)k->epoch, strerror(-ret));
			kxd_emit(a, KX_CTL_EV_ROSTER,
				 json_pack("{s:s, s:i, s:I}", "event", "confirm-failed",
					   "participant", k->from, "epoch", (json_int_t)k->epoch));
		}
		return false;
	}
	if (sodium_memcmp(mm->ek, k->ek, KX_EK_BYTES)) {
		memcpy(p->next_ek, k->ek, KX_EK_BYTES);
		p->have_next_ek = true;
	}
	return true;
}

/* The member's own send keys go: no frame leaves while it is not in sync. */
static void withdraw_send(struct app *a)
{
	for (size_t j = 0; j < KEYS_MAX; j++)
		if (a->keys[j].used && a->keys[j].send) {
			/* Handed (by an event or at subscribe): never again (6.8). */
			if (a->keys[j].handed && a->keys[j].epoch == a->chain->roster.epoch) {
				a->send_handed = true;
				a->send_handed_epoch = a->keys[j].epoch;
			}
			kxd_key_remove(a, j);
		}
}

/*
 * Back in sync: the send keys of the held epoch again, and the send KID;
 * unless they went to the media daemon already (withdrawn since): a key is
 * handed once (PROTOCOL.md 6.8), so the room asks for a fresh epoch instead,
 * as for a media daemon that subscribed again.
 */
static void resume_send(struct app *a)
{
	const struct kx_roster *r = &a->chain->roster;
	bool held = false;

	if (!a->have_secret)
		return;
	if (a->send_handed && a->send_handed_epoch == r->epoch) {
		bool kept = false;

		for (size_t j = 0; j < KEYS_MAX; j++)
			kept |= a->keys[j].used && a->keys[j].send && a->keys[j].epoch == r->epoch;
		if (!kept) {
			kxd_keys_withheld(a, r->epoch);
			return;
		}
	}
	for (size_t j = 0; j < KEYS_MAX; j++)
		if (a->keys[j].used && a->keys[j].send && a->keys[j].epoch == r->epoch)
			held = true;
	for (unsigned int t = 0; !held && t < STREAMS; t++)
		if (kxd_key_install(a, (uint16_t)a->self, t) == -ENOSPC)
			return;
	if (a->sending && a->send_epoch == r->epoch && kxd_media_allowed(a))
		kxd_emit_send_kids(a, a->send_epoch);
}

static void sync_event(struct app *a)
{
	kxd_emit(a, KX_CTL_EV_ROSTER | KX_CTL_EV_STATE,
		 json_pack("{s:s, s:s, s:s, s:I}", "event", "sync", "sync", kxd_sync_names[a->sync],
			   "reason", a->sync == SYNC_OK ? "" : a->sync_why, "epoch",
			   (json_int_t)a->chain->roster.epoch));
}

/*
 * A member stops sending and says why (PROTOCOL.md 6.6): out of sync until
 * it holds and confirms the current epoch again; split until a later epoch
 * confirmed by its host (or leaving and joining again).
 */
void kxd_out_of_sync(struct app *a, enum sync s, const char *fmt, ...)
{
	va_list ap;

	if ((a->host && s != SYNC_SPLIT) || a->state != ST_MEETING || s == SYNC_OK ||
	    a->sync == SYNC_SPLIT || a->sync == s)
		return;
	va_start(ap, fmt);
	vsnprintf(a->sync_why, sizeof(a->sync_why), fmt, ap);
	va_end(ap);
	a->sync = s;
	if (s == SYNC_SPLIT)
		a->split_epoch = a->chain->roster.epoch;
	kxd_warn_event(a, "%s: %s: this room stopped sending",
		       s == SYNC_SPLIT ? "MEETING SPLIT" : "OUT OF SYNC", a->sync_why);
	withdraw_send(a);
	sync_event(a);
}

/*
 * A verified host word for the held epoch, its secret held (confirmed: by the
 * host's heartbeat). Out of sync ends; a split only with a confirmed later epoch.
 */
void kxd_in_sync(struct app *a, bool confirmed)
{
	a->synced_at = kxd_now_ms();
	if (a->host || a->sync == SYNC_OK ||
	    (a->sync == SYNC_SPLIT && (!confirmed || a->chain->roster.epoch <= a->split_epoch)))
		return;
	kxd_logmsg("in sync again at epoch %llu", (unsigned long long)a->chain->roster.epoch);
	a->sync = SYNC_OK;
	a->sync_why[0] = 0;
	resume_send(a);
	sync_event(a);
}

void kxd_sync_timers(struct app *a)
{
	if (a->host || a->state != ST_MEETING || !a->chain->started || a->sync != SYNC_OK ||
	    kxd_now_ms() - a->synced_at <= liveness_ms(a))
		return;
	kxd_out_of_sync(a, SYNC_OUT,
			"no verified word from the host for epoch %llu in %lld s (liveness bound)",
			(unsigned long long)a->chain->roster.epoch, liveness_ms(a) / 1000);
}

/*
 * A member: the host's heartbeat (PROTOCOL.md 6.3, 6.6). Its signed time must
 * grow (a replay is refused) and not lie ahead of our clock by more than the
 * window; the host is heard at the time it signed. For the held epoch and
 * roster its confirmation must be of our secret; a heartbeat of a later
 * epoch, or of another roster for ours, stops our sending.
 */
void kxd_on_host_ack(struct app *a, const char *json, size_t len)
{
	const struct kx_roster *r = &a->chain->roster;
	struct kx_msg m;
	uint64_t wall = kxd_wall_ms();
	long long ago;
	int ret = kx_msg_parse(json, len, KX_MSG_ACK, a->chain, &m);

	kxd_cross_check(a, json, len, ret);
	if (ret || m.u.ack.from != r->host)
		return;
	if (m.u.ack.time_ms <= a->heartbeat_ms || m.u.ack.time_ms > wall + (uint64_t)a->window_ms) {
		a->heartbeats_refused++;
		kxd_warn_event(a,
			       "rejected a heartbeat of the host p%u: its time is not after the "
			       "last one's (a replay) or ahead of our clock",
			       r->host);
		return;
	}
	a->heartbeat_ms = m.u.ack.time_ms;
	ago = wall > m.u.ack.time_ms ? (long long)(wall - m.u.ack.time_ms) : 0;
	if (kxd_now_ms() - ago > a->host_seen)
		a->host_seen = kxd_now_ms() - ago;
	if (!a->have_secret)
		return; /* its epoch key is on its way: nothing to confirm yet */
	ret = kx_confirm_check(a->sec->epoch, &m.u.ack);
	if (ret) {
		kxd_out_of_sync(a, SYNC_OUT,
				"KEY CONFIRMATION FAILED: the host's epoch %llu secret is not this "
				"room's",
				(unsigned long long)r->epoch);
		return;
	}
	if (ago > liveness_ms(a))
		return;
	kxd_in_sync(a, true);
	/* Post-compromise security (PROTOCOL.md 7.3): a new next EK each heartbeat
	 * period, so a snapshot of this room is healed by the first fresh epoch
	 * after this ack. The one announced before stays until a roster decides. */
	a->have_next_ek = false; /* the next ack draws one; this one stays announced */
	kxd_send_ack(a, r->host);
}

/*
 * Host, a fresh epoch (PROTOCOL.md 7.3): a fresh EK of its own into roster r
 * (host_ek, which replaces ours once r is held) and every member of the held
 * roster listed with the next EK its last ack announced. Returns 0 or -errno.
 */
int kxd_host_fresh_eks(struct app *a, struct kx_roster *r, struct kx_ek *host_ek)
{
	int ret = kx_ek_generate(host_ek);

	if (ret)
		return ret;
	for (uint32_t i = 0; i < r->n_members; i++) {
		struct kx_member *mb = &r->members[i];
		struct peer *p = kxd_peer_get(a, mb->id, false);

		if (mb->id == a->self)
			memcpy(mb->ek, host_ek->pk, KX_EK_BYTES);
		else if (p && p->have_next_ek && kx_roster_find(&a->chain->roster, mb->id) &&
			 !p->admit_pending)
			memcpy(mb->ek, p->next_ek, KX_EK_BYTES);
	}
	return 0;
}

/*
 * Member, a roster accepted: when it lists our next EK, that one is ours now
 * and the old secret is wiped (forward secrecy); when it lists the current
 * one, nothing changes. Returns 0, or -EKEYREJECTED (a key we do not hold).
 */
int kxd_member_ek_rotate(struct app *a, const struct kx_member *me)
{
	unsigned int i, n = a->n_announced;

	if (!sodium_memcmp(me->ek, a->ek.pk, KX_EK_BYTES))
		return 0;
	for (i = 0; i < n && sodium_memcmp(me->ek, a->announced[i].pk, KX_EK_BYTES); i++)
		;
	if (i == n)
		return -EKEYREJECTED;
	kx_ek_free(&a->ek);
	a->ek = a->announced[i];
	/* Announced before the one used: the host took a later ack, never listed now. */
	for (unsigned int j = 0; j < i; j++)
		kx_ek_free(&a->announced[j]);
	memmove(&a->announced[0], &a->announced[i + 1], (n - i - 1) * sizeof(a->announced[0]));
	memset(&a->announced[n - i - 1], 0, (i + 1) * sizeof(a->announced[0]));
	a->n_announced = n - i - 1;
	if (!a->n_announced)
		a->have_next_ek = false;
	return 0;
}

/* The EKs announced and not used (leaving, or hosting: a host announces none). */
void kxd_free_next_eks(struct app *a)
{
	for (unsigned int j = 0; j < a->n_announced; j++)
		kx_ek_free(&a->announced[j]);
	a->n_announced = 0;
	a->have_next_ek = false;
}

/* Our chain moved (started or accepted): its epoch and hash are noted. */
void kxd_chain_note(struct app *a)
{
	size_t slot = a->chain->roster.epoch % HISTORY;

	memcpy(a->chain_hashes[slot], a->chain->hash, KX_HASH_BYTES);
	a->chain_epochs[slot] = a->chain->roster.epoch;
	a->chain_have[slot] = true;
}

/* A takeover at epoch: old's host is deposed; its later word is a fork. */
void kxd_deposed(struct app *a, const struct kx_roster *old, uint64_t epoch)
{
	const struct kx_member *h = kx_roster_find(old, old->host);

	if (!h)
		return;
	a->have_deposed = true;
	a->deposed_id = h->id;
	memcpy(a->deposed_ik, h->ik, KX_IK_BYTES);
	a->deposed_epoch = epoch;
}

/*
 * An ack that did not parse against our chain, decoded again (kx_msg_parse
 * keeps nothing it refuses) and its signature checked: 1 when a member of
 * our roster signed it, 2 when the host we took over from did, else 0.
 */
static int ack_signer(const struct app *a, const char *json, size_t len, struct kx_msg *m)
{
	const struct kx_member *mb;

	if (kx_msg_decode(json, len, KX_MSG_ACK, m) ||
	    sodium_memcmp(m->u.ack.meeting, a->chain->roster.meeting, KX_MEETING_ID_BYTES))
		return 0;
	mb = kx_roster_find(&a->chain->roster, m->u.ack.from);
	if (mb)
		return kx_msg_verify(m, mb->ik) ? 0 : 1;
	if (a->have_deposed && m->u.ack.from == a->deposed_id)
		return kx_msg_verify(m, a->deposed_ik) ? 0 : 2;
	return 0;
}

/*
 * The cross-check of PROTOCOL.md 6.7 on an ack or heartbeat that kx_msg_parse
 * refused against our chain (ret): signed by a member of our roster for an
 * epoch of our chain under another roster hash, or by the host we took over
 * from for the takeover epoch or later, it shows a fork: the meeting is
 * split. Signed by our host for a later epoch: a member is out of sync.
 */
void kxd_cross_check(struct app *a, const char *json, size_t len, int ret)
{
	struct kx_msg m;
	const struct kx_ack *k = &m.u.ack;
	size_t slot;
	int who;

	if ((ret != -ENOLINK && ret != -ESTALE && ret != -ENOKEY) || !a->chain->started)
		return;
	who = ack_signer(a, json, len, &m);
	slot = k->epoch % HISTORY;
	if (who == 2 && k->epoch >= a->deposed_epoch)
		kxd_out_of_sync(a, SYNC_SPLIT,
				"the host p%u, taken over from at epoch %llu, still signs epoch "
				"%llu: two meetings under one id",
				k->from, (unsigned long long)a->deposed_epoch,
				(unsigned long long)k->epoch);
	else if (who == 1 && a->chain_have[slot] && a->chain_epochs[slot] == k->epoch &&
		 sodium_memcmp(a->chain_hashes[slot], k->roster, KX_HASH_BYTES))
		kxd_out_of_sync(a, SYNC_SPLIT,
				"p%u signs another roster for epoch %llu than this room's: two "
				"meetings under one id",
				k->from, (unsigned long long)k->epoch);
	else if (who == 1 && k->from == a->chain->roster.host && k->epoch > a->chain->roster.epoch &&
		 !a->host) {
		/* The host is alive, ahead of us: heard (a fresh, signed time), and
		 * this room is not current: it may not take over (PROTOCOL.md 6.3). */
		uint64_t wall = kxd_wall_ms();

		if (k->time_ms > a->heartbeat_ms && k->time_ms <= wall + (uint64_t)a->window_ms) {
			long long ago = wall > k->time_ms ? (long long)(wall - k->time_ms) : 0;

			a->heartbeat_ms = k->time_ms;
			if (kxd_now_ms() - ago > a->host_seen)
				a->host_seen = kxd_now_ms() - ago;
		}
		if (k->epoch > a->host_ahead)
			a->host_ahead = k->epoch;
		kxd_out_of_sync(a, SYNC_OUT, "the host is at epoch %llu, this room holds %llu",
				(unsigned long long)k->epoch,
				(unsigned long long)a->chain->roster.epoch);
	}
}
