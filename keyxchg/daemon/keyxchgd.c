// SPDX-License-Identifier: MIT
/*
 * keyxchgd: the keying daemon of a room (../shared/design/keying.md,
 * keyxchg/PROTOCOL.md). It holds the identity key, talks to the untrusted
 * signaling relay (keyxchg/net), lets the host admit or deny knockers, runs
 * the epoch schedule and hands only media keys to the media daemon over the
 * control socket (keyxchg/CONTROL.md). It never parses media.
 *
 *   keyxchgd --state-dir DIR --socket PATH --relay wss://HOST:PORT --ca FILE
 *            --device ID [--allow-uid UID]... [--media-uid UID]
 *            [--rekey-interval S] [--join-batch-ms MS] [--announce-window S]
 *            [--lobby-max N] [--codewords-per-second N] [--takeover-after S]
 *
 * Daemon behaviour on top of PROTOCOL.md (see DAEMON.md):
 *   - the relay room is the meeting name given to "join"; the host draws
 *     the meeting id and sends its current roster to whoever joins the room:
 *     that "host hello" tells a knocker the meeting id and the host's
 *     identity key (its codeword is shown), then the knocker announces;
 *   - every member acks every epoch it holds; the host resends the missing
 *     rosters and a sealed epoch key to whoever has not acked after 1 s;
 *   - a room switches its send keys to a new epoch 2 s after it holds it
 *     (the host earlier, once every member acked), and removes the keys of
 *     older epochs 10 s after that;
 *   - after a relay restart the daemon reconnects with backoff, asks for its
 *     old participant id, and the meeting goes on;
 *   - the host batches admissions (one epoch for those within a second),
 *     rekeys periodically, admits allow-listed devices by their pinned IK,
 *     answers a deny signed and bound to the knock, refuses announces and
 *     leaves outside a time window and leaves from before the leaver's
 *     admission, and bounds the lobby and the Argon2id runs of unknown
 *     knockers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "e2ee/secret.h"

#include "kx/chain.h"
#include "kx/codewords.h"
#include "kx/identity.h"
#include "kx/kx.h"
#include "kx/meeting.h"
#include "kx/msg.h"
#include "kx/pinstore.h"
#include "kx/schedule.h"
#include "../ctl/kx_ctl.h"
#include "../net/kx_ws.h"

#define RESEND_MS 1000
#define RESEND_MAX 30
#define SWITCH_MS 2000
#define GRACE_MS 10000
#define HISTORY 16
#define KEYS_MAX 16384 /* 1024 members, 2 streams, a few epochs in their grace period */
#define STREAMS 2 /* audio 0, video 1 */
/* Defaults of the options (DAEMON.md) */
#define REKEY_INTERVAL_S 600 /* periodic fresh secret */
#define JOIN_BATCH_MS 1000   /* admissions within this become one epoch */
#define ANNOUNCE_WINDOW_S 60 /* announce and leave times must be this close to ours */
#define LOBBY_MAX 32	     /* knocks of unknown identities held at once */
#define CODEWORDS_PER_S 4    /* Argon2id runs for unknown identities */
#define KNOCK_TTL_MS (10 * 60 * 1000)
#define TAKEOVER_S 30 /* the host silent this long: its successor takes over */
/*
 * KIDs carry the epoch mod 256 (frame-format.md): no epoch may start while a
 * key of the epoch 256 before it is still held (its KID would be reused).
 */
#define KID_EPOCHS 256

enum state { ST_IDLE, ST_LOBBY, ST_MEETING, ST_LEFT, ST_DENIED, ST_ENDED, ST_EQUIVOCATION };
static const char *state_names[] = { "idle",  "lobby", "in-meeting",  "left",
				     "denied", "ended", "equivocation" };

/*
 * A member's reason to send media to its host (PROTOCOL.md 6.5): none until
 * the host answers the meeting code typed, was pinned by a person before, or
 * is verified now.
 */
enum trust { TRUST_NONE, TRUST_BOUND, TRUST_PINNED, TRUST_VERIFIED };
static const char *trust_names[] = { "unconfirmed", "bound", "pinned", "verified" };
#define HELLOS_REFUSED_MAX 16 /* Argon2id runs spent on hellos that fail the code */

struct peer {
	bool used, knocked, verified;
	uint8_t verified_ik[KX_IK_BYTES]; /* verified means: this IK was compared */
	uint16_t id;
	struct kx_announce ann; /* the last valid announce */
	uint8_t knock_hash[KX_HASH_BYTES]; /* H(ann) */
	long long knocked_at;
	uint64_t knock_seq; /* arrival order, for the codeword queue */
	bool cw_pending;    /* its codeword waits for the Argon2id budget */
	bool auto_admit;    /* allow-listed with the same IK */
	bool barred;	    /* its knock's IK was removed from this meeting */
	bool admit_pending; /* admitted, waiting for the batch to close */
	struct kx_announce admit_ann; /* the knock that was admitted */
	bool denied;
	uint8_t denied_hash[KX_HASH_BYTES];
	uint64_t since; /* the epoch of the roster that last added it */
	/* Host: knocks signed no later than this (its clock) are spent: the one
	 * admitted, or anything before its signed leave (replays of a departed
	 * room's knock would bring back a ghost: an allow-listed one unasked). */
	uint64_t spent_ms;
	int pin; /* enum kx_pin_status */
	char codeword[E2EE_CODEWORD_SIZE];
	long long acked_epoch; /* -1: none */
	long long resend_at;
	int resends;
};

/* Metadata of a held media key; the key itself is in struct secrets. */
struct media_key {
	bool used;
	uint64_t kid, epoch;
	bool send;
	char fp[KX_FINGERPRINT_HEX_SIZE];
	long long remove_at; /* 0: current */
};

/*
 * Every secret the daemon holds past one function call, in one
 * sodium_malloc'd block (guard pages, mlocked where the limit allows, wiped
 * by sodium_free): the epoch secret and the media keys, kept for a media
 * daemon that subscribes late. media[j] belongs to keys[j] and is wiped
 * when that key is removed.
 */
struct secrets {
	uint8_t epoch[KX_SECRET_BYTES]; /* E_e of chain->roster.epoch */
	uint8_t media[KEYS_MAX][KX_SECRET_BYTES];
};

struct app {
	/* configuration */
	const char *state_dir, *socket_path, *ca, *device;
	char relay_host[256];
	uint16_t relay_port;
	uid_t allowed[KX_CTL_ALLOWED_MAX];
	size_t n_allowed;
	uid_t media_uid;
	long long rekey_ms, batch_ms, window_ms, takeover_ms;
	unsigned int lobby_max, cw_rate;

	struct kx_identity id;
	struct kx_pinstore pins;
	struct kx_pinstore allow; /* <state>/allow: auto-admitted device -> IK */
	struct kx_codeword_cache cw;
	char codeword[E2EE_CODEWORD_SIZE];
	struct kx_ctl_server *ctl;

	/* the meeting */
	enum state state;
	bool host;
	char meeting_name[KX_CTL_TEXT_MAX + 1], display_name[KX_NAME_MAX + 1];
	uint8_t meeting[KX_MEETING_ID_BYTES];
	/* the host: its meeting's code; a member: the code a person typed, or "" */
	char meeting_code[KX_MEETING_CODE_SIZE];
	uint8_t code[KX_MEETING_CODE_BYTES];
	bool have_code; /* member: hellos must answer code */
	unsigned int hellos_refused;
	enum trust host_trust;
	int self; /* participant id, -1 before the relay's welcome */
	struct kx_ws *ws; /* under way (kx_ws_connect_step) until ws_open */
	bool ws_open;
	long long reconnect_at;
	int backoff_ms;
	struct kx_ek ek;
	bool have_ek;
	struct kx_chain *chain;
	struct secrets *sec; /* sodium_malloc'd */
	bool have_secret;
	/* The group security code of the held epoch (PROTOCOL.md 7.1), "" when
	 * its secret is not held. */
	char group_code[E2EE_CODEWORD_SIZE];
	struct kx_msg *hello; /* member: the host's roster before admission */
	struct kx_chain *hello_chain; /* the same, held to check a deny with */
	bool have_hello;
	uint8_t knock_hash[KX_HASH_BYTES]; /* member: H(the knock sent last) */
	bool have_knock;
	enum state end_state; /* ST_LEFT, ST_DENIED: tear down after the relay pump */
	bool host_left; /* the held roster's host signed its leave */
	long long host_seen; /* member: when the host last signed something we took */
	long long heartbeat_at; /* host: the next heartbeat */
	long long warned_at;
	char *history[HISTORY]; /* host: the JSON of the last rosters */
	uint64_t history_epoch[HISTORY];
	struct peer peers[KX_MAX_MEMBERS];
	uint16_t peer_slot[KX_NO_PARTICIPANT]; /* id -> slot + 1; 0: none */
	struct media_key keys[KEYS_MAX];
	long long switch_at; /* 0: none pending */
	uint64_t switch_epoch;
	bool sending; /* send_epoch is valid */
	uint64_t send_epoch;
	/* host */
	long long batch_at; /* 0: no admission waiting */
	long long fresh_at; /* when the last fresh secret was drawn */
	/* A successor that took over: knocks signed before (our clock) are the
	 * old host's, refused as spent (PROTOCOL.md 6.1). */
	uint64_t hosting_since_ms;
	uint64_t knock_seq;
	double cw_tokens;
	long long cw_at;
	unsigned long knocks_refused, stale_refused, leaves_refused;
	/* IKs the host removed from this meeting: never admitted again unless a
	 * person admits a new knock by its codeword (PROTOCOL.md 6.4). */
	uint8_t barred[KX_MAX_MEMBERS][KX_IK_BYTES];
	unsigned int n_barred;
	bool stop;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("keyxchgd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ------------------------------------------------------------ control events */

static void emit(struct app *a, unsigned int kind, json_t *ev)
{
	char *text = json_dumps(ev, JSON_COMPACT);

	if (text && a->ctl)
		kx_ctl_broadcast(a->ctl, kind, text);
	if (text && (kind & KX_CTL_EV_KEYS))
		sodium_memzero(text, strlen(text)); /* may hold a media key */
	kx_ctl_json_free(text);
	json_decref(ev);
}

static void warn_event(struct app *a, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	logmsg("WARNING: %s", buf);
	emit(a, KX_CTL_EV_ROSTER, json_pack("{s:s, s:s}", "event", "warning", "text", buf));
}

static void emit_state(struct app *a)
{
	emit(a, KX_CTL_EV_STATE,
	     json_pack("{s:s, s:s, s:s, s:I}", "event", "state", "state", state_names[a->state],
		       "meeting", a->meeting_name,
		       "epoch", (json_int_t)(a->chain && a->chain->started ? a->chain->roster.epoch : 0)));
}

/* The peer of id, found in constant time (acks of 1000 members add up). */
static struct peer *peer_get(struct app *a, uint16_t id, bool create)
{
	struct peer *p;

	if (id == KX_NO_PARTICIPANT)
		return NULL;
	if (a->peer_slot[id])
		return &a->peers[a->peer_slot[id] - 1];
	if (!create)
		return NULL;
	for (size_t i = 0; i < KX_MAX_MEMBERS; i++) {
		if (a->peers[i].used)
			continue;
		p = &a->peers[i];
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->id = id;
		p->acked_epoch = -1;
		a->peer_slot[id] = (uint16_t)(i + 1);
		return p;
	}
	return NULL;
}

static const char *pin_name(int pin)
{
	return pin == KX_PIN_SAME ? "same" : pin == KX_PIN_CHANGED ? "changed" : "new";
}

/* The codeword of ik, for one message (a static buffer). */
static const char *word_of(struct app *a, const uint8_t ik[static KX_IK_BYTES])
{
	static char word[E2EE_CODEWORD_SIZE];

	if (kx_codeword(&a->cw, ik, word))
		strcpy(word, "?");
	return word;
}

static json_t *roster_json(struct app *a)
{
	json_t *list = json_array();
	const struct kx_roster *r = &a->chain->roster;

	for (uint32_t i = 0; i < r->n_members; i++) {
		const struct kx_member *m = &r->members[i];
		struct peer *p = peer_get(a, m->id, false);
		char word[E2EE_CODEWORD_SIZE] = "";
		int pin = kx_pin_check(&a->pins, m->device, m->ik);

		if (kx_codeword(&a->cw, m->ik, word))
			strcpy(word, "?");
		/* The display name where this room knows it (its own, or a knock
		 * with this member's IK: rosters carry device ids, not names). */
		const char *name = m->id == a->self			       ? a->display_name :
				   p && p->ann.name[0] &&
						   !memcmp(p->ann.ik, m->ik, KX_IK_BYTES) ? p->ann.name :
											    NULL;

		json_array_append_new(
			list, json_pack("{s:i, s:s, s:s?, s:s, s:s, s:b, s:s, s:b}", "participant",
					m->id, "device", m->device, "name", name, "codeword", word,
					"role", m->role == KX_ROLE_HOST ? "host" : "member",
					"verified",
					p && p->verified && !memcmp(p->verified_ik, m->ik, KX_IK_BYTES),
					"pinned", m->id == a->self ? "self" : pin_name(pin), "self",
					m->id == a->self));
	}
	return json_pack("{s:s, s:I, s:i, s:o, s:s?}", "event", "roster", "epoch",
			 (json_int_t)r->epoch, "host", r->host, "participants", list, "group_code",
			 a->have_secret && a->group_code[0] ? a->group_code : NULL);
}

static void emit_roster(struct app *a)
{
	emit(a, KX_CTL_EV_ROSTER, roster_json(a));
}

/* ------------------------------------------------------------- media keys */

static void key_event(struct app *a, const struct media_key *k, bool install, const uint8_t *key)
{
	char hex[2 * KX_SECRET_BYTES + 1];
	json_t *ev = json_pack("{s:s, s:s, s:I, s:s}", "event", "media-key", "action",
			       install ? "install" : "remove", "kid", (json_int_t)k->kid, "usage",
			       k->send ? "send" : "receive");

	if (install) {
		sodium_bin2hex(hex, sizeof(hex), key, KX_SECRET_BYTES);
		json_object_set_new(ev, "key", json_string(hex));
		sodium_memzero(hex, sizeof(hex));
	}
	emit(a, KX_CTL_EV_KEYS, ev);
}

/* The media keys of every member of the held roster at its epoch (PROTOCOL.md 7). */
/* The oldest epoch of which a media key is still held, or the held epoch. */
static uint64_t oldest_held_epoch(const struct app *a)
{
	uint64_t e = a->chain->roster.epoch;

	for (size_t j = 0; j < KEYS_MAX; j++)
		if (a->keys[j].used && a->keys[j].epoch < e)
			e = a->keys[j].epoch;
	return e;
}

static void expire_keys(struct app *a, bool all);

static void install_epoch_keys(struct app *a)
{
	const struct kx_roster *r = &a->chain->roster;

	/* A KID names the epoch mod 256 and the key provider keeps the key it
	 * holds under a KID: a key of the epoch 256 before (a host that moved
	 * faster than our grace period) goes first, announced removed. */
	if (r->epoch - oldest_held_epoch(a) >= KID_EPOCHS) {
		for (size_t j = 0; j < KEYS_MAX; j++)
			if (a->keys[j].used && r->epoch - a->keys[j].epoch >= KID_EPOCHS)
				a->keys[j].remove_at = 1; /* due now */
		expire_keys(a, false);
	}
	for (uint32_t i = 0; i < r->n_members; i++) {
		for (unsigned int t = 0; t < STREAMS; t++) {
			uint8_t key[KX_SECRET_BYTES];
			struct media_key *k = NULL;

			for (size_t j = 0; j < KEYS_MAX && !k; j++)
				if (!a->keys[j].used)
					k = &a->keys[j];
			if (!k) {
				warn_event(a, "too many media keys held");
				return;
			}
			if (kx_media_key(a->sec->epoch, r->meeting, r->members[i].id, t, r->epoch, key)) {
				sodium_memzero(key, sizeof(key));
				continue;
			}
			k->used = true;
			k->kid = kx_media_kid(t, r->members[i].id, r->epoch);
			k->epoch = r->epoch;
			k->send = r->members[i].id == a->self;
			k->remove_at = 0;
			kx_fingerprint_hex(key, sizeof(key), k->fp);
			memcpy(a->sec->media[k - a->keys], key, sizeof(key));
			key_event(a, k, true, key);
			sodium_memzero(key, sizeof(key));
		}
	}
	a->switch_epoch = r->epoch;
	a->switch_at = now_ms() + SWITCH_MS;
	/* One code for every room of this epoch; the panel shows it (7.1). */
	if (kx_group_code(a->sec->epoch, r->meeting, r->epoch, a->chain->hash, a->group_code))
		a->group_code[0] = 0;
	else
		emit(a, KX_CTL_EV_ROSTER,
		     json_pack("{s:s, s:I, s:s}", "event", "group-code", "epoch", (json_int_t)r->epoch,
			       "code", a->group_code));
}

/* A member sends media only to a host it has a reason to trust (PROTOCOL.md 6.5). */
static bool media_allowed(const struct app *a)
{
	return a->host || a->host_trust != TRUST_NONE;
}

/* The media daemon moves e2eeenc's send KIDs to epoch's. */
static void emit_send_kids(struct app *a, uint64_t epoch)
{
	for (unsigned int t = 0; t < STREAMS; t++)
		emit(a, KX_CTL_EV_KEYS,
		     json_pack("{s:s, s:I}", "event", "send-kid", "kid",
			       (json_int_t)kx_media_kid(t, (uint16_t)a->self, epoch)));
}

/* The people verified the host's codeword: media may go (PROTOCOL.md 6.5). */
static void host_verified(struct app *a)
{
	bool held = !media_allowed(a) && a->sending;

	a->host_trust = TRUST_VERIFIED;
	if (held)
		emit_send_kids(a, a->send_epoch);
}

/* Send keys move to the held epoch; older keys go after the grace period. */
static void switch_send(struct app *a)
{
	long long now = now_ms();

	/* No media to an unconfirmed host (PROTOCOL.md 6.5): the keys are held,
	 * the send KID waits for the people's verify. */
	if (media_allowed(a))
		emit_send_kids(a, a->switch_epoch);
	for (size_t j = 0; j < KEYS_MAX; j++)
		if (a->keys[j].used && a->keys[j].epoch < a->switch_epoch && !a->keys[j].remove_at)
			a->keys[j].remove_at = now + GRACE_MS;
	a->switch_at = 0;
	a->sending = true;
	a->send_epoch = a->switch_epoch;
}

static void expire_keys(struct app *a, bool all)
{
	long long now = now_ms();

	for (size_t j = 0; j < KEYS_MAX; j++) {
		struct media_key *k = &a->keys[j];

		if (k->used && (all || (k->remove_at && k->remove_at <= now))) {
			key_event(a, k, false, NULL);
			sodium_memzero(a->sec->media[j], KX_SECRET_BYTES);
			sodium_memzero(k, sizeof(*k));
		}
	}
}

/* --------------------------------------------------------------- sending */

/* The relay connection is open (not absent, not still connecting). */
static bool relay_open(const struct app *a)
{
	return a->ws && a->ws_open;
}

static int send_body(struct app *a, int to, const char *json)
{
	char *env;
	int n, ret;

	if (!relay_open(a))
		return -ENOTCONN;
	n = to < 0 ? asprintf(&env, "{\"type\":\"send\",\"to\":\"*\",\"body\":%s}", json) :
		     asprintf(&env, "{\"type\":\"send\",\"to\":\"p%d\",\"body\":%s}", to, json);
	if (n < 0)
		return -ENOMEM;
	ret = kx_ws_send(a->ws, env, (size_t)n);
	free(env);
	return ret;
}

static int send_msg(struct app *a, int to, struct kx_msg *m, bool sign)
{
	static char json[KX_JSON_MAX];
	size_t len;
	int ret;

	if (sign && (ret = kx_msg_sign(m, &a->id)))
		return ret;
	ret = kx_msg_to_json(m, json, sizeof(json), &len);
	if (ret)
		return ret;
	return send_body(a, to, json);
}

static void history_add(struct app *a, const struct kx_msg *m)
{
	static char json[KX_JSON_MAX];
	size_t len, slot = m->u.roster.epoch % HISTORY;

	if (kx_msg_to_json(m, json, sizeof(json), &len))
		return;
	free(a->history[slot]);
	a->history[slot] = strdup(json);
	a->history_epoch[slot] = m->u.roster.epoch;
}

/* An ack of the held epoch; the host's own, to everyone, is its heartbeat. */
static int send_ack(struct app *a, int to)
{
	struct kx_msg m = { .type = KX_MSG_ACK };

	memcpy(m.u.ack.meeting, a->meeting, KX_MEETING_ID_BYTES);
	m.u.ack.epoch = a->chain->roster.epoch;
	memcpy(m.u.ack.roster, a->chain->hash, KX_HASH_BYTES);
	m.u.ack.from = (uint16_t)a->self;
	return send_msg(a, to, &m, true);
}

/* Seals the held epoch secret for member to (PROTOCOL.md 7). */
static int send_epoch_key(struct app *a, const struct kx_member *to)
{
	const struct kx_roster *r = &a->chain->roster;
	const struct kx_member *host = kx_roster_find(r, (uint16_t)a->self);
	struct kx_pair_keys pk;
	struct kx_msg m = { .type = KX_MSG_EPOCH_KEY };
	uint8_t pair[KX_SECRET_BYTES];
	int ret;

	if (!host || r->host != a->self)
		return -EPERM;
	pk = (struct kx_pair_keys){ host->ik, to->ik, host->ek, to->ek };
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
		ret = send_msg(a, to->id, &m, true);
	return ret;
}

/* ---------------------------------------------------------------- the host */

/*
 * The next roster from the held one: without `removed` (KX_NO_PARTICIPANT:
 * none), with every admission waiting in the batch (PROTOCOL.md 7, DAEMON.md
 * "Join batching"). Only additions ratchet the secret (one ratchet for the
 * whole batch, sealed to the joiners alone); a removal or `fresh` draws a
 * fresh secret, sealed to every member, joiners included. Returns 0 (also
 * when there is nothing to do) or -errno.
 */
static int host_next_epoch(struct app *a, uint16_t removed, bool fresh)
{
	struct kx_msg *m;
	struct kx_roster *r;
	uint8_t next[KX_SECRET_BYTES];
	unsigned int added = 0;
	bool join, take;
	int ret;

	/* A KID names epoch mod 256: never two live epochs 256 apart. */
	if (a->chain->roster.epoch + 1 - oldest_held_epoch(a) >= KID_EPOCHS) {
		if (now_ms() - a->warned_at >= 1000) {
			a->warned_at = now_ms();
			warn_event(a, "256 epochs within the keys' grace period: the next epoch waits");
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
			warn_event(a, "the meeting is full: p%u not admitted", ann->from);
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
	ret = kx_msg_sign(m, &a->id);
	if (!ret)
		ret = kx_chain_accept(a->chain, m);
	if (ret) {
		warn_event(a, "cannot make roster %llu: %s", (unsigned long long)r->epoch,
			   strerror(-ret));
		free(m);
		return ret;
	}
	ret = join ? kx_epoch_join(a->sec->epoch, a->chain->hash, next) : kx_epoch_fresh(next);
	if (!ret)
		memcpy(a->sec->epoch, next, sizeof(next));
	sodium_memzero(next, sizeof(next));
	if (!join)
		a->fresh_at = now_ms();
	if (take)
		a->batch_at = 0;
	history_add(a, m);
	send_msg(a, -1, m, false);
	for (uint32_t i = 0; i < r->n_members; i++) {
		struct peer *p;
		bool joiner;

		if (r->members[i].id == a->self)
			continue;
		p = peer_get(a, r->members[i].id, true);
		if (!p)
			continue;
		joiner = p->admit_pending;
		if (joiner) {
			p->admit_pending = p->knocked = p->cw_pending = false;
			p->since = r->epoch;
			if (p->admit_ann.time_ms > p->spent_ms)
				p->spent_ms = p->admit_ann.time_ms;
			p->acked_epoch = -1;
		}
		p->resends = 0;
		p->resend_at = now_ms() + RESEND_MS;
		/* Joins: only the joiners get the secret; the others derive it. */
		if (!join || joiner)
			send_epoch_key(a, &r->members[i]);
	}
	free(m);
	logmsg("epoch %llu: %u members, %u joined (%s)", (unsigned long long)a->chain->roster.epoch,
	       a->chain->roster.n_members, added, join ? "join ratchet" : "fresh secret");
	install_epoch_keys(a);
	emit_roster(a);
	emit_state(a);
	return 0;
}

/* Admitted (by the person or the allow list): in the next epoch, batched. */
static void admit_later(struct app *a, struct peer *p)
{
	p->admit_pending = true;
	p->admit_ann = p->ann;
	if (!a->batch_at)
		a->batch_at = now_ms() + a->batch_ms;
}

static int host_start(struct app *a)
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
	r->policy = (struct kx_policy){ .e2ee = true, .lobby_locked = true };
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
		ret = kx_epoch_fresh(a->sec->epoch);
	if (ret) {
		free(m);
		return ret;
	}
	a->have_secret = true;
	a->fresh_at = now_ms();
	history_add(a, m);
	send_msg(a, -1, m, false);
	free(m);
	a->state = ST_MEETING;
	logmsg("meeting started as host, participant %d, codeword %s", a->self, a->codeword);
	install_epoch_keys(a);
	emit_roster(a);
	emit_state(a);
	return 0;
}

/* A member has not acked: the rosters it misses, then the sealed secret. */
static void host_resend(struct app *a, struct peer *p)
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
			send_body(a, p->id, a->history[k % HISTORY]);
	send_epoch_key(a, m);
	p->resends++;
	p->resend_at = now_ms() + RESEND_MS;
}

static bool all_acked(struct app *a)
{
	const struct kx_roster *r = &a->chain->roster;

	for (uint32_t i = 0; i < r->n_members; i++) {
		struct peer *p = peer_get(a, r->members[i].id, false);

		if (r->members[i].id != a->self && (!p || p->acked_epoch != (long long)r->epoch))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------- receiving */

static bool within_window(const struct app *a, uint64_t t_ms)
{
	uint64_t now = wall_ms(), w = (uint64_t)a->window_ms;

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
static int pin_confirmed(struct app *a, const char *device, const uint8_t ik[static KX_IK_BYTES])
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
		warn_event(a, "device %s knocks with a CHANGED identity key (codeword %s): never "
			      "admitted automatically",
			   p->ann.device, p->codeword);
	logmsg("knock from p%u (%s), codeword %s, pin %s%s", p->id, p->ann.name, p->codeword,
	       pin_name(p->pin), p->auto_admit ? ", allow-listed: admitted" : "");
	/* The knock's hash names exactly this knock for `admit` (CONTROL.md). */
	sodium_bin2hex(hash, sizeof(hash), p->knock_hash, KX_HASH_BYTES);
	emit(a, KX_CTL_EV_ROSTER,
	     json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "event", "knock",
		       "participant", p->id, "knock", hash, "name", p->ann.name, "device",
		       p->ann.device, "codeword", p->codeword, "pinned", pin_name(p->pin), "auto",
		       p->auto_admit, "barred", p->barred));
	/* The allow list admits; it pins nothing (only a person does). */
	if (p->auto_admit)
		admit_later(a, p);
}

/* Is hex the hash of the knock p holds (as the knock event showed it)? */
static bool knock_named(const struct peer *p, const char *hex)
{
	uint8_t h[KX_HASH_BYTES];
	size_t n = 0;

	return !sodium_hex2bin(h, sizeof(h), hex, strlen(hex), NULL, &n, NULL) &&
	       n == sizeof(h) && strlen(hex) == 2 * sizeof(h) &&
	       !sodium_memcmp(h, p->knock_hash, sizeof(h));
}

/* Drops a knock (the knocker went, or its time ran out). */
static void knock_drop(struct app *a, struct peer *p)
{
	p->knocked = p->cw_pending = p->admit_pending = p->auto_admit = false;
	if (!kx_roster_find(&a->chain->roster, p->id) && !p->denied && !p->spent_ms) {
		a->peer_slot[p->id] = 0;
		memset(p, 0, sizeof(*p));
	}
}

static void on_announce(struct app *a, int from, const char *json, size_t len)
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
		warn_event(a, "rejected an announce from p%d: %s", from, strerror(-ret));
		goto out;
	}
	ann = &m->u.announce;
	if (ann->from != from || sodium_memcmp(ann->meeting, a->meeting, KX_MEETING_ID_BYTES)) {
		warn_event(a, "rejected an announce from p%d: another participant or meeting", from);
		goto out;
	}
	/* Freshness (DAEMON.md): an old knock replayed is not a knock. */
	if (!within_window(a, ann->time_ms)) {
		a->stale_refused++;
		warn_event(a, "rejected an announce from p%d: its time is outside the %lld s window",
			   from, a->window_ms / 1000);
		goto out;
	}
	if (kx_roster_find(&a->chain->roster, (uint16_t)from) || kx_announce_hash(ann, h))
		goto out; /* a member already */
	p = peer_get(a, (uint16_t)from, false);
	if (p && ((p->knocked && !memcmp(h, p->knock_hash, sizeof(h))) ||
		  (p->denied && !memcmp(h, p->denied_hash, sizeof(h)))))
		goto out; /* the same knock again */
	if (p && p->knocked && ann->time_ms <= p->ann.time_ms) {
		a->stale_refused++;
		warn_event(a, "rejected an announce from p%d: older than its knock held", from);
		goto out;
	}
	if (ann->time_ms < a->hosting_since_ms) {
		a->stale_refused++;
		warn_event(a, "rejected an announce from p%d: signed before this room took over as "
			      "host",
			   from);
		goto out;
	}
	if (p && ann->time_ms <= p->spent_ms) {
		a->stale_refused++;
		warn_event(a, "rejected an announce from p%d: not newer than its last admission or "
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
			warn_event(a, "the lobby is full (%u knocks): knock from p%d refused (%lu so "
				      "far)",
				   a->lobby_max, from, a->knocks_refused);
		goto out;
	}
	p = p ? p : peer_get(a, (uint16_t)from, true);
	if (!p)
		goto out;
	if (p->knocked && memcmp(p->ann.ik, ann->ik, KX_IK_BYTES)) {
		warn_event(a, "p%d knocks again with ANOTHER identity key: the knock shown before "
			      "is void, compare the new codeword",
			   from);
		p->verified = false;
	}
	if (p->admit_pending && (memcmp(p->admit_ann.ik, ann->ik, KX_IK_BYTES) ||
				 memcmp(p->admit_ann.ek, ann->ek, KX_EK_BYTES))) {
		warn_event(a, "p%d's admission is void: it knocks again with other keys", from);
		p->admit_pending = false;
	}
	p->ann = *ann;
	memcpy(p->knock_hash, h, sizeof(h));
	p->knocked = true;
	p->denied = false;
	p->knocked_at = now_ms();
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
static void codeword_queue(struct app *a)
{
	long long now = now_ms();

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

static void knock(struct app *a)
{
	struct kx_msg m = { .type = KX_MSG_ANNOUNCE };

	memcpy(m.u.announce.meeting, a->meeting, KX_MEETING_ID_BYTES);
	m.u.announce.from = (uint16_t)a->self;
	strcpy(m.u.announce.device, a->device);
	strcpy(m.u.announce.name, a->display_name);
	memcpy(m.u.announce.ik, a->id.ik, KX_IK_BYTES);
	memcpy(m.u.announce.ek, a->ek.pk, KX_EK_BYTES);
	m.u.announce.time_ms = wall_ms();
	/* A deny names this knock by its hash (PROTOCOL.md 3.6). */
	a->have_knock = !kx_announce_hash(&m.u.announce, a->knock_hash);
	send_msg(a, a->hello->u.roster.host, &m, true);
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
		warn_event(a, "%u host hellos failed the meeting code: further ones are ignored",
			   HELLOS_REFUSED_MAX);
	else
		warn_event(a, "a host hello (p%u, device %s) that the meeting code does not name: "
			      "refused",
			   h->id, h->device);
	return false;
}

/*
 * The relay shows this room two hosts for one meeting (PROTOCOL.md 6.5): stop
 * (no knock, no key, no media), say so, and let the people join again.
 */
static void equivocation(struct app *a, const char *why)
{
	warn_event(a, "EQUIVOCATION: %s: this room stopped; check the meeting code and join "
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

static void on_roster(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg *m = calloc(1, sizeof(*m));
	struct kx_roster *old = NULL;
	const struct kx_member *me;
	int ret;

	if (!m)
		return;
	ret = kx_msg_parse(json, len, KX_MSG_ROSTER, NULL, m);
	if (ret) {
		warn_event(a, "rejected a roster from p%d: %s", from, strerror(-ret));
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
				warn_event(a, "the host device %s shows a CHANGED identity key: not "
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
				logmsg("the meeting goes on under its successor p%u: knocking there",
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
					warn_event(a, "rejected a host roster (hello): its signature fails");
					goto out;
				}
				free(a->hello_chain);
				a->hello_chain = c;
			}
			*a->hello = *m;
			/* The same host's hello again (resent, or replayed by the relay)
			 * is no reason to knock again: a knock a relay could make us sign
			 * at will would also void a deny in flight (bound to the last
			 * knock). We knock again only when we reconnect (the welcome). */
			if (a->have_hello)
				goto out;
			a->have_hello = true;
			memcpy(a->meeting, m->u.roster.meeting, KX_MEETING_ID_BYTES);
			if (kx_codeword(&a->cw, h->ik, word))
				strcpy(word, "?");
			emit(a, KX_CTL_EV_ROSTER,
			     json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "event", "host", "participant",
				       h->id, "device", h->device, "codeword", word, "pinned",
				       pin_name(pin), "bound", a->have_code));
			logmsg("host p%u (codeword %s): knocking", h->id, word);
			knock(a);
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
				warn_event(a, "an admitting roster before any host hello: refused");
				goto out;
			}
			shown = kx_roster_find(&a->hello->u.roster, a->hello->u.roster.host);
			if (sodium_memcmp(m->u.roster.meeting, a->hello->u.roster.meeting,
					  KX_MEETING_ID_BYTES)) {
				warn_event(a, "an admitting roster of another meeting: refused");
				goto out;
			}
			if (pin == KX_PIN_CHANGED) {
				warn_event(a, "the host device %s shows a CHANGED identity key: "
					      "refused",
					   h->device);
				goto out;
			}
			/* The host's IK must be the one shown (kx_chain_start checks it). */
			ret = kx_chain_start(a->chain, m, shown->ik, (uint16_t)a->self, a->id.ik);
			if (ret) {
				warn_event(a, "rejected the admitting roster: %s", strerror(-ret));
				goto out;
			}
			/* Nothing is pinned until a person confirms it (`verify`). Media
			 * goes to a host bound by the code, pinned by a person before,
			 * or verified now; to no other (PROTOCOL.md 6.5). */
			a->host_trust = a->have_code	     ? TRUST_BOUND :
					pin == KX_PIN_SAME ? TRUST_PINNED :
							     TRUST_NONE;
			if (a->host_trust == TRUST_NONE)
				warn_event(a, "the host p%u (codeword %s) is neither named by a meeting "
					      "code nor verified: no media is sent until this room "
					      "verifies it",
					   h->id, word_of(a, h->ik));
			memcpy(a->meeting, m->u.roster.meeting, KX_MEETING_ID_BYTES);
			a->have_secret = false;
			a->state = ST_MEETING;
			logmsg("admitted at epoch %llu", (unsigned long long)m->u.roster.epoch);
			a->host_seen = now_ms();
			emit_roster(a);
			emit_state(a);
		}
		goto out;
	}
	if (a->host) {
		/* The host signs rosters and takes none: one signed by another room
		 * is a successor that took over while we were cut off (a fork). */
		if (m->u.roster.host != a->self)
			warn_event(a, "a roster signed by p%u while this room hosts: refused (a "
				      "successor took over; were we cut off?)",
				   m->u.roster.host);
		goto out;
	}
	/* A hello of another meeting while in one: the relay shows this room a
	 * second host (PROTOCOL.md 6.5). Harmless to a bound or verified host's
	 * meeting; with an unconfirmed host this room cannot tell which is real. */
	if (memcmp(m->u.roster.meeting, a->chain->roster.meeting, KX_MEETING_ID_BYTES)) {
		if (media_allowed(a))
			warn_event(a, "a roster of another meeting (the relay shows a second host): "
				      "ignored, this meeting's host is %s",
				   trust_names[a->host_trust]);
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
	    now_ms() - a->host_seen < a->takeover_ms) {
		warn_event(a, "a roster signed by p%u, not the host p%u, which has neither left nor "
			      "gone silent: refused",
			   m->u.roster.host, old->host);
		goto out;
	}
	ret = kx_chain_accept(a->chain, m);
	if (ret) {
		if (ret != -ESTALE) /* resends of rosters already held are normal */
			warn_event(a, "rejected a roster from p%d: %s", from, strerror(-ret));
		goto out;
	}
	a->host_seen = now_ms();
	if (m->u.roster.host != old->host)
		a->host_left = false; /* a new host, heard now */
	for (uint32_t i = 0; i < m->u.roster.n_members; i++) {
		const struct kx_member *n = &m->u.roster.members[i], *o = kx_roster_find(old, n->id);
		struct peer *p;

		if ((!o || memcmp(o->ik, n->ik, KX_IK_BYTES)) && (p = peer_get(a, n->id, true)))
			p->since = m->u.roster.epoch;
	}
	if (!me) {
		/* Out: torn down like a leave (keys removed, the secret wiped,
		 * the meeting key freed, the relay connection closed). */
		logmsg("removed from the meeting at epoch %llu",
		       (unsigned long long)m->u.roster.epoch);
		a->have_secret = false;
		sodium_memzero(a->sec->epoch, sizeof(a->sec->epoch));
		a->end_state = ST_LEFT;
		goto out;
	}
	if (a->have_secret && a->chain->roster.epoch == old->epoch + 1 && only_adds(old, &m->u.roster)) {
		uint8_t next[KX_SECRET_BYTES];

		if (!kx_epoch_join(a->sec->epoch, a->chain->hash, next)) {
			memcpy(a->sec->epoch, next, sizeof(next));
			sodium_memzero(next, sizeof(next));
			install_epoch_keys(a);
			send_ack(a, a->chain->roster.host);
		}
	} else {
		/* A fresh secret is on its way, sealed to us. Until it comes, the
		 * old epoch's keys go: sending in 2 s, receiving after the grace
		 * period, whether or not it comes (a removed member holds them; a
		 * relay that withholds the new secret must not keep us sending). */
		long long now = now_ms();

		a->have_secret = false;
		a->group_code[0] = 0;
		for (size_t j = 0; j < KEYS_MAX; j++) {
			struct media_key *k = &a->keys[j];

			if (k->used && k->epoch < a->chain->roster.epoch && !k->remove_at)
				k->remove_at = now + (k->send ? SWITCH_MS : GRACE_MS);
		}
	}
	emit_roster(a);
	emit_state(a);
out:
	free(old);
	free(m);
}

static void on_epoch_key(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg m;
	const struct kx_member *h, *me;
	struct kx_pair_keys pk;
	uint8_t pair[KX_SECRET_BYTES], secret[KX_SECRET_BYTES];
	int ret;

	if (!a->chain->started)
		return;
	ret = kx_msg_parse(json, len, KX_MSG_EPOCH_KEY, a->chain, &m);
	if (ret) {
		if (ret != -ESTALE)
			warn_event(a, "rejected an epoch key from p%d: %s", from, strerror(-ret));
		return;
	}
	if (m.u.epoch_key.to != a->self)
		return;
	h = kx_roster_find(&a->chain->roster, m.u.epoch_key.from);
	me = kx_roster_find(&a->chain->roster, (uint16_t)a->self);
	pk = (struct kx_pair_keys){ h->ik, me->ik, h->ek, me->ek };
	ret = kx_pair_key(&a->ek, a->chain->roster.meeting, &pk, pair);
	if (!ret)
		ret = kx_epoch_key_open(&m.u.epoch_key, pair, secret);
	sodium_memzero(pair, sizeof(pair));
	if (ret) {
		sodium_memzero(secret, sizeof(secret));
		warn_event(a, "an epoch key that does not open: %s", strerror(-ret));
		return;
	}
	a->host_seen = now_ms();
	/* A resend of the secret already held changes nothing but is acked. */
	if (!a->have_secret || sodium_memcmp(secret, a->sec->epoch, sizeof(secret))) {
		memcpy(a->sec->epoch, secret, sizeof(secret));
		a->have_secret = true;
		install_epoch_keys(a);
	}
	sodium_memzero(secret, sizeof(secret));
	send_ack(a, a->chain->roster.host);
}

static void on_ack(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg m;
	struct peer *p;
	int ret = kx_msg_parse(json, len, KX_MSG_ACK, a->chain, &m);

	if (ret) {
		if (ret != -ESTALE)
			warn_event(a, "rejected an ack from p%d: %s", from, strerror(-ret));
		return;
	}
	p = peer_get(a, m.u.ack.from, true);
	if (p)
		p->acked_epoch = (long long)m.u.ack.epoch;
	if (all_acked(a) && a->switch_at && a->switch_epoch == a->chain->roster.epoch)
		switch_send(a);
}

/*
 * The successor the held roster names takes over with a fresh secret
 * (PROTOCOL.md 6.3): after the host's signed leave, or after hearing nothing
 * signed by the host for --takeover-after. Members accept its roster under
 * the same rule, judged by what they heard themselves.
 */
static void take_over(struct app *a, const char *why)
{
	uint16_t old = a->chain->roster.host;

	if (a->host || a->chain->roster.successor != a->self || !a->have_ek)
		return;
	logmsg("%s: taking over as its successor", why);
	a->host = true;
	a->host_left = true;
	a->hosting_since_ms = wall_ms();
	if (host_next_epoch(a, old, true)) {
		a->host = false;
		return;
	}
	emit(a, KX_CTL_EV_ROSTER | KX_CTL_EV_STATE,
	     json_pack("{s:s, s:s}", "event", "warning", "text",
		       "the host is gone: this room hosts the meeting now"));
}

static void on_leave(struct app *a, int from, const char *json, size_t len)
{
	struct peer *p;
	struct kx_msg m;
	int ret = kx_msg_parse(json, len, KX_MSG_LEAVE, a->chain, &m);

	if (ret) {
		warn_event(a, "rejected a leave from p%d: %s", from, strerror(-ret));
		return;
	}
	if (!kx_roster_find(&a->chain->roster, m.u.leave.from))
		return;
	/* A leave counts for the membership it was signed in: one signed
	 * before the roster that last added this participant (a leave replayed
	 * across a re-admission), or outside the time window, is refused. */
	p = peer_get(a, m.u.leave.from, false);
	if ((p && m.u.leave.epoch < p->since) || !within_window(a, m.u.leave.time_ms)) {
		a->leaves_refused++;
		warn_event(a, "rejected a leave from p%u: signed at epoch %llu, before its admission "
			      "at %llu, or outside the time window",
			   m.u.leave.from, (unsigned long long)m.u.leave.epoch,
			   (unsigned long long)(p ? p->since : 0));
		return;
	}
	logmsg("p%u leaves", m.u.leave.from);
	if (p && m.u.leave.time_ms > p->spent_ms)
		p->spent_ms = m.u.leave.time_ms;
	if (m.u.leave.from == a->chain->roster.host)
		a->host_left = true;
	if (a->host) {
		host_next_epoch(a, m.u.leave.from, true);
	} else if (m.u.leave.from == a->chain->roster.host) {
		take_over(a, "the host left, signed");
	}
}

/* A member: the host's heartbeat (its own ack of the held epoch). */
static void on_host_ack(struct app *a, const char *json, size_t len)
{
	struct kx_msg m;

	if (!kx_msg_parse(json, len, KX_MSG_ACK, a->chain, &m) &&
	    m.u.ack.from == a->chain->roster.host)
		a->host_seen = now_ms();
}

/*
 * A member or knocker: the host ended the meeting (PROTOCOL.md 6.4). Signed
 * by the held roster's host (a knocker: the host of its hello), terminal:
 * keys wiped, no takeover, no knock again.
 */
static void on_end(struct app *a, int from, const char *json, size_t len)
{
	const struct kx_chain *c = a->chain->started ? a->chain : a->hello_chain;
	struct kx_msg m;
	int ret;

	if (a->host || (!a->chain->started && !a->have_hello))
		return;
	ret = kx_msg_parse(json, len, KX_MSG_END, c, &m);
	if (ret) {
		warn_event(a, "rejected an end from p%d: %s", from, strerror(-ret));
		return;
	}
	logmsg("the host ended the meeting at epoch %llu", (unsigned long long)m.u.end.epoch);
	a->end_state = ST_ENDED; /* torn down after this relay message */
}

/*
 * Host: removes a member (PROTOCOL.md 6.4): its IK barred from this meeting,
 * then at once a roster without it and a fresh secret sealed to the others.
 */
static int host_remove(struct app *a, uint16_t id)
{
	const struct kx_member *m = kx_roster_find(&a->chain->roster, id);
	struct peer *p = peer_get(a, id, false);

	if (!m || id == a->self)
		return -ENOENT;
	if (!ik_barred(a, m->ik)) {
		if (a->n_barred == KX_MAX_MEMBERS)
			return -ENOSPC;
		memcpy(a->barred[a->n_barred++], m->ik, KX_IK_BYTES);
	}
	if (p && p->knocked)
		knock_drop(a, p);
	logmsg("removing p%u", id);
	return host_next_epoch(a, id, true);
}

/* Host: tells a knocker no, signed and bound to the knock (PROTOCOL.md 3.6). */
static int send_deny(struct app *a, struct peer *p)
{
	struct kx_msg m = { .type = KX_MSG_DENY };

	memcpy(m.u.deny.meeting, a->meeting, KX_MEETING_ID_BYTES);
	m.u.deny.from = (uint16_t)a->self;
	m.u.deny.to = p->id;
	memcpy(m.u.deny.knock, p->knock_hash, KX_HASH_BYTES);
	m.u.deny.time_ms = wall_ms();
	return send_msg(a, p->id, &m, true);
}

/*
 * Knocker: a deny counts only when the host of the hello we knocked to
 * signed it, for us, naming the knock we sent last; then we stop knocking.
 */
static void on_deny(struct app *a, int from, const char *json, size_t len)
{
	struct kx_msg m;
	int ret;

	if (a->host || a->chain->started || !a->have_hello || !a->have_knock)
		return;
	ret = kx_msg_parse(json, len, KX_MSG_DENY, a->hello_chain, &m);
	if (!ret && (m.u.deny.to != a->self ||
		     sodium_memcmp(m.u.deny.knock, a->knock_hash, KX_HASH_BYTES)))
		ret = -ENOLINK;
	if (ret) {
		warn_event(a, "rejected a deny from p%d: %s", from, strerror(-ret));
		return;
	}
	logmsg("the host denied our knock");
	a->end_state = ST_DENIED; /* torn down after this relay message */
}

static int parse_pid(const char *s)
{
	char *end;
	long v;

	if (!s || s[0] != 'p')
		return -1;
	v = strtol(s + 1, &end, 10);
	return (*end || v < 0 || v >= KX_NO_PARTICIPANT) ? -1 : (int)v;
}

static void on_relay_message(void *user, const char *text, size_t len)
{
	struct app *a = user;
	/* Duplicated keys are refused anywhere (PROTOCOL.md 4.1), the body too. */
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *body;
	const char *type = json_string_value(json_object_get(o, "type"));

	if (!type)
		goto out;
	if (!strcmp(type, "welcome")) {
		int me = parse_pid(json_string_value(json_object_get(o, "you")));

		if (me < 0)
			goto out;
		if (a->self >= 0 && me != a->self) {
			warn_event(a, "the relay gave us id p%d, not p%d: leaving", me, a->self);
			a->end_state = ST_LEFT;
			goto out;
		}
		a->self = me;
		a->backoff_ms = 0;
		/* Our own outage is not the host's silence: count again from now. */
		if (!a->host)
			a->host_seen = now_ms();
		if (a->host && !a->chain->started) {
			json_t *who = json_object_get(o, "participants"), *w;
			size_t i;

			/* The host hello also to those who came before the host. */
			if (!host_start(a))
				json_array_foreach (who, i, w) {
					int pid = parse_pid(json_string_value(w));

					if (pid >= 0 && pid != a->self)
						send_body(a, pid,
							  a->history[a->chain->roster.epoch % HISTORY]);
				}
		} else if (a->host)
			send_body(a, -1, a->history[a->chain->roster.epoch % HISTORY]);
		else if (!a->chain->started && a->have_hello)
			knock(a);
	} else if (!strcmp(type, "presence")) {
		int pid = parse_pid(json_string_value(json_object_get(o, "participant")));
		const char *ev = json_string_value(json_object_get(o, "event"));

		if (pid < 0 || !ev || !a->host || !a->chain->started)
			goto out;
		if (!strcmp(ev, "joined")) {
			/* The host hello: the current roster, to the newcomer. */
			send_body(a, pid, a->history[a->chain->roster.epoch % HISTORY]);
		} else if (!strcmp(ev, "left")) {
			struct peer *p = peer_get(a, (uint16_t)pid, false);

			/* Unsigned: a hint, never a removal (PROTOCOL.md 6.4). A knock
			 * goes (the relay can withhold it anyway); a member stays until
			 * its signed leave or the host's `remove`, and the panel is told. */
			if (p && p->knocked)
				knock_drop(a, p);
			if (kx_roster_find(&a->chain->roster, (uint16_t)pid)) {
				logmsg("the relay says p%d left: a hint, p%d stays a member", pid, pid);
				emit(a, KX_CTL_EV_ROSTER,
				     json_pack("{s:s, s:i, s:s}", "event", "presence", "participant",
					       pid, "presence", "left"));
			}
		}
	} else if (!strcmp(type, "message")) {
		int from = parse_pid(json_string_value(json_object_get(o, "from")));
		const char *mtype;
		char *btext;

		body = json_object_get(o, "body");
		mtype = json_string_value(json_object_get(body, "type"));
		if (from < 0 || !mtype)
			goto out;
		btext = json_dumps(body, JSON_COMPACT);
		if (!btext)
			goto out;
		if (!strcmp(mtype, "announce") && a->host && a->chain->started)
			on_announce(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "roster"))
			on_roster(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "epoch_key"))
			on_epoch_key(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "ack") && a->host)
			on_ack(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "ack") && a->chain->started)
			on_host_ack(a, btext, strlen(btext));
		else if (!strcmp(mtype, "leave") && a->chain->started)
			on_leave(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "deny"))
			on_deny(a, from, btext, strlen(btext));
		else if (!strcmp(mtype, "end"))
			on_end(a, from, btext, strlen(btext));
		kx_ctl_json_free(btext);
	}
out:
	json_decref(o);
}

/* --------------------------------------------------------------- the relay */

/* The next connection attempt after the backoff (200 ms doubling to 5 s). */
static void relay_retry(struct app *a, const char *detail, int ret)
{
	a->backoff_ms = a->backoff_ms ? (a->backoff_ms * 2 > 5000 ? 5000 : a->backoff_ms * 2) : 200;
	a->reconnect_at = now_ms() + a->backoff_ms;
	logmsg("relay: %s (%s); again in %d ms", detail ? detail : "cannot connect", strerror(-ret),
	       a->backoff_ms);
}

/*
 * Drives the connection under way as far as it goes without blocking
 * (keyxchg/net/README.md): the loop keeps answering the control socket while
 * a slow or mute relay holds the TCP connect, TLS handshake or upgrade, each
 * bounded by the 5 s of the attempt.
 */
static void relay_step(struct app *a)
{
	const char *detail = NULL;
	int ret = kx_ws_connect_step(a->ws, &detail);

	if (ret == -EINPROGRESS)
		return;
	if (ret) {
		kx_ws_free(a->ws);
		a->ws = NULL;
		relay_retry(a, detail, ret);
		return;
	}
	a->ws_open = true;
	a->reconnect_at = 0;
	logmsg("relay: connected");
}

/* Starts a connection; 0 when under way (relay_step finishes it), or -errno. */
static int relay_connect(struct app *a)
{
	char path[KX_CTL_TEXT_MAX + 32];
	struct kx_ws_config cfg = { a->relay_host, a->relay_port, path, a->ca, 5000 };
	const char *detail = NULL;
	int ret;

	if (a->self >= 0)
		snprintf(path, sizeof(path), "/v1/rooms/%s?id=%d", a->meeting_name, a->self);
	else
		snprintf(path, sizeof(path), "/v1/rooms/%s", a->meeting_name);
	a->ws_open = false;
	ret = kx_ws_connect_start(&cfg, &a->ws, &detail); /* copies what it needs of cfg */
	if (ret) {
		relay_retry(a, detail, ret);
		return ret;
	}
	a->reconnect_at = 0;
	relay_step(a);
	return 0;
}

static void relay_lost(struct app *a)
{
	kx_ws_free(a->ws);
	a->ws = NULL;
	a->ws_open = false;
	if (a->state == ST_LOBBY || a->state == ST_MEETING) {
		a->backoff_ms = a->backoff_ms ? a->backoff_ms : 200;
		a->reconnect_at = now_ms() + a->backoff_ms;
		logmsg("relay: connection lost; reconnecting");
	}
}

/* ------------------------------------------------------------- commands */

/* Out of the meeting (state: left or denied): every key removed, the secret wiped. */
static void teardown(struct app *a, enum state state)
{
	kx_ws_free(a->ws);
	a->ws = NULL;
	a->ws_open = false;
	a->reconnect_at = 0;
	a->state = state;
	a->have_secret = false;
	a->group_code[0] = 0;
	a->sending = false;
	a->switch_at = 0;
	a->end_state = ST_IDLE;
	a->have_knock = false;
	a->batch_at = 0;
	if (a->have_ek) {
		kx_ek_free(&a->ek); /* forward secrecy of this meeting */
		a->have_ek = false;
	}
	sodium_memzero(a->sec->epoch, sizeof(a->sec->epoch));
	expire_keys(a, true);
	emit_state(a);
}

/* The last message out before the connection closes (at most 1 s). */
static void relay_flush(struct app *a)
{
	for (int i = 0; i < 20 && relay_open(a) && kx_ws_wants_write(a->ws); i++) {
		struct pollfd p = { .fd = kx_ws_fd(a->ws), .events = POLLOUT };

		poll(&p, 1, 50);
		if (kx_ws_pump(a->ws, on_relay_message, a))
			break;
	}
}

static void leave_meeting(struct app *a)
{
	if (a->chain->started && a->state == ST_MEETING) {
		struct kx_msg m = { .type = KX_MSG_LEAVE };

		memcpy(m.u.leave.meeting, a->meeting, KX_MEETING_ID_BYTES);
		m.u.leave.epoch = a->chain->roster.epoch;
		m.u.leave.from = (uint16_t)a->self;
		m.u.leave.time_ms = wall_ms();
		/* A host's leave goes to everyone: its successor takes over. */
		send_msg(a, a->host ? -1 : a->chain->roster.host, &m, true);
		relay_flush(a);
	}
	teardown(a, ST_LEFT);
}

/*
 * Host: ends the meeting for everyone (PROTOCOL.md 6.4), unlike its leave,
 * which hands it to the successor: a signed end to all, then out.
 */
static void end_meeting(struct app *a)
{
	struct kx_msg m = { .type = KX_MSG_END };

	memcpy(m.u.end.meeting, a->meeting, KX_MEETING_ID_BYTES);
	m.u.end.epoch = a->chain->roster.epoch;
	m.u.end.from = (uint16_t)a->self;
	m.u.end.time_ms = wall_ms();
	send_msg(a, -1, &m, true);
	relay_flush(a);
	logmsg("meeting ended at epoch %llu", (unsigned long long)m.u.end.epoch);
	teardown(a, ST_ENDED);
}

static void on_request(void *user, int client, const struct kx_ctl_cmd *cmd)
{
	struct app *a = user;
	struct peer *p;
	int ret = 0;

	switch (cmd->type) {
	case KX_CTL_SUBSCRIBE:
		/* A media daemon that starts (or restarts) late gets the keys held now. */
		if (cmd->events & KX_CTL_EV_KEYS) {
			for (size_t j = 0; j < KEYS_MAX; j++) {
				char hex[2 * KX_SECRET_BYTES + 1], *text;
				json_t *ev;

				if (!a->keys[j].used)
					continue;
				sodium_bin2hex(hex, sizeof(hex), a->sec->media[j], KX_SECRET_BYTES);
				ev = json_pack("{s:s, s:s, s:I, s:s, s:s}", "event", "media-key", "action",
					       "install", "kid", (json_int_t)a->keys[j].kid, "usage",
					       a->keys[j].send ? "send" : "receive", "key", hex);
				sodium_memzero(hex, sizeof(hex));
				text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
				if (text) {
					kx_ctl_send(a->ctl, client, text);
					sodium_memzero(text, strlen(text));
				}
				kx_ctl_json_free(text);
				json_decref(ev);
			}
			for (unsigned int t = 0; a->sending && media_allowed(a) && t < STREAMS; t++) {
				char *text;
				json_t *ev = json_pack("{s:s, s:I}", "event", "send-kid", "kid",
						       (json_int_t)kx_media_kid(t, (uint16_t)a->self,
										a->send_epoch));

				text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
				if (text)
					kx_ctl_send(a->ctl, client, text);
				kx_ctl_json_free(text);
				json_decref(ev);
			}
		}
		if (cmd->events & KX_CTL_EV_STATE) {
			json_t *ev = json_pack("{s:s, s:s, s:s, s:I}", "event", "state", "state",
					       state_names[a->state], "meeting", a->meeting_name,
					       "epoch",
					       (json_int_t)(a->chain->started ? a->chain->roster.epoch : 0));
			char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

			if (text)
				kx_ctl_send(a->ctl, client, text);
			kx_ctl_json_free(text);
			json_decref(ev);
		}
		return;
	case KX_CTL_JOIN:
		if (a->state == ST_LOBBY || a->state == ST_MEETING) {
			kx_ctl_reply(a->ctl, client, cmd, -EBUSY, "already in a meeting", NULL);
			return;
		}
		/* A meeting name is a relay room name: keep it to a safe alphabet. */
		for (const char *c = cmd->meeting; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
				    *c)) {
				kx_ctl_reply(a->ctl, client, cmd, -EINVAL,
					     "meeting names are letters, digits, - _ .", NULL);
				return;
			}
		if (!kx_display_name_valid(cmd->name, strlen(cmd->name))) {
			kx_ctl_reply(a->ctl, client, cmd, -EINVAL,
				     "a name is 1 to 64 bytes of UTF-8 without control or format "
				     "characters",
				     NULL);
			return;
		}
		a->have_code = false;
		a->meeting_code[0] = 0;
		a->hellos_refused = 0;
		a->host_trust = TRUST_NONE;
		if (cmd->code[0]) {
			/* The meeting code a person typed (or a link carried): hellos
			 * must answer it (PROTOCOL.md 2.1). */
			if (kx_meeting_code_parse(cmd->code, a->code)) {
				kx_ctl_reply(a->ctl, client, cmd, -EINVAL,
					     "a meeting code is five proquints joined by -", NULL);
				return;
			}
			a->have_code = true;
			kx_meeting_code_text(a->code, a->meeting_code); /* canonical spelling */
		} else if (cmd->host) {
			/* The host's meeting id names its IK: its code is what people
			 * type to join (one Argon2id run now). */
			if (kx_meeting_id_new(a->id.ik, a->meeting)) {
				kx_ctl_reply(a->ctl, client, cmd, -ENOMEM, "cannot draw a meeting id",
					     NULL);
				return;
			}
			kx_meeting_code_text(a->meeting, a->meeting_code);
		}
		kx_chain_init(a->chain);
		a->host_left = false;
		a->end_state = ST_IDLE;
		a->batch_at = 0;
		memset(a->peers, 0, sizeof(a->peers));
		memset(a->peer_slot, 0, sizeof(a->peer_slot));
		a->n_barred = 0;
		a->hosting_since_ms = 0;
		a->have_hello = a->have_secret = false;
		a->self = -1;
		a->host = cmd->host;
		strcpy(a->meeting_name, cmd->meeting);
		strcpy(a->display_name, cmd->name);
		if (a->have_ek)
			kx_ek_free(&a->ek);
		ret = kx_ek_generate(&a->ek); /* fresh for every meeting */
		a->have_ek = !ret;
		kx_ws_free(a->ws); /* none after a teardown; never two */
		a->ws = NULL;
		a->backoff_ms = 0;
		if (!ret)
			ret = relay_connect(a); /* under way; the loop finishes it */
		if (ret) {
			kx_ctl_reply(a->ctl, client, cmd, ret, "cannot reach the relay", NULL);
			return;
		}
		a->state = ST_LOBBY;
		emit_state(a);
		if (a->meeting_code[0]) {
			char extra[64];

			snprintf(extra, sizeof(extra), "{\"meeting_code\":\"%s\"}", a->meeting_code);
			kx_ctl_reply(a->ctl, client, cmd, 0, NULL, extra);
			return;
		}
		break;
	case KX_CTL_ADMIT:
	case KX_CTL_DENY:
		p = peer_get(a, (uint16_t)cmd->participant, false);
		if (!a->host || a->state != ST_MEETING) {
			kx_ctl_reply(a->ctl, client, cmd, -EPERM, "only the host admits", NULL);
			return;
		}
		if (!p || !p->knocked) {
			kx_ctl_reply(a->ctl, client, cmd, -ENOENT, "no such knock", NULL);
			return;
		}
		if (cmd->type == KX_CTL_DENY) {
			/* The knocker is told, signed and bound to its knock. */
			ret = send_deny(a, p);
			/* Spent: the denied knock and any earlier one of this knocker,
			 * replayed, is refused (PROTOCOL.md 6.1). */
			if (p->ann.time_ms > p->spent_ms)
				p->spent_ms = p->ann.time_ms;
			p->denied = true;
			memcpy(p->denied_hash, p->knock_hash, KX_HASH_BYTES);
			knock_drop(a, p);
			break;
		}
		if (p->cw_pending) {
			kx_ctl_reply(a->ctl, client, cmd, -EAGAIN,
				     "the knock's codeword is not shown yet", NULL);
			return;
		}
		/* The knock the person saw, by its hash or codeword, must still be
		 * the one held: the relay may have replaced it since it was shown. */
		if (cmd->knock[0] && !knock_named(p, cmd->knock)) {
			kx_ctl_reply(a->ctl, client, cmd, -ESTALE,
				     "the knock was replaced since it was shown", NULL);
			return;
		}
		if (cmd->codeword[0] && strcmp(cmd->codeword, p->codeword)) {
			kx_ctl_reply(a->ctl, client, cmd, -EKEYREJECTED,
				     "the knock's codeword is no longer the one given", NULL);
			return;
		}
		/* Removed from this meeting: only a person who compared the
		 * codeword brings it back (PROTOCOL.md 6.4). */
		if (p->barred && !cmd->codeword[0]) {
			kx_ctl_reply(a->ctl, client, cmd, -EACCES,
				     "removed from this meeting: admit it again by its codeword",
				     NULL);
			return;
		}
		for (unsigned int i = 0; p->barred && i < a->n_barred; i++)
			if (!memcmp(a->barred[i], p->ann.ik, KX_IK_BYTES))
				memcpy(a->barred[i], a->barred[--a->n_barred], KX_IK_BYTES);
		p->barred = false;
		/* A person admitted this knock: now, not before, its key is pinned
		 * (a changed one replaced knowingly). */
		ret = pin_confirmed(a, p->ann.device, p->ann.ik);
		if (!ret)
			admit_later(a, p); /* one epoch for the admissions of a second */
		break;
	case KX_CTL_VERIFY:
		/* A slot only for a member or a knock: ids of nobody take none. */
		p = peer_get(a, (uint16_t)cmd->participant,
			     a->chain->started &&
				     kx_roster_find(&a->chain->roster, (uint16_t)cmd->participant));
		if (!p) {
			kx_ctl_reply(a->ctl, client, cmd, -ENOENT, "no such participant", NULL);
			return;
		}
		{
			const struct kx_member *m =
				a->chain->started ? kx_roster_find(&a->chain->roster, p->id) : NULL;

			if (!m && !p->knocked) {
				kx_ctl_reply(a->ctl, client, cmd, -ENOENT, "no such participant", NULL);
				return;
			}
			memcpy(p->verified_ik, m ? m->ik : p->ann.ik, KX_IK_BYTES);
			p->verified = true;
			/* A person compared this key: the one act that pins it (or
			 * re-pins a changed one, knowingly). */
			if (m && m->id != a->self)
				ret = pin_confirmed(a, m->device, m->ik);
			if (!ret && m && !a->host && m->id == a->chain->roster.host)
				host_verified(a);
		}
		if (a->chain->started)
			emit_roster(a);
		break;
	case KX_CTL_LEAVE:
		if (a->state != ST_LOBBY && a->state != ST_MEETING) {
			kx_ctl_reply(a->ctl, client, cmd, -ENOTCONN, "not in a meeting", NULL);
			return;
		}
		leave_meeting(a);
		break;
	case KX_CTL_REMOVE:
		if (!a->host || a->state != ST_MEETING) {
			kx_ctl_reply(a->ctl, client, cmd, -EPERM, "only the host removes", NULL);
			return;
		}
		ret = host_remove(a, (uint16_t)cmd->participant);
		if (ret == -ENOENT) {
			kx_ctl_reply(a->ctl, client, cmd, ret, "no such member", NULL);
			return;
		}
		break;
	case KX_CTL_END:
		if (!a->host || a->state != ST_MEETING) {
			kx_ctl_reply(a->ctl, client, cmd, -EPERM, "only the host ends the meeting",
				     NULL);
			return;
		}
		end_meeting(a);
		break;
	case KX_CTL_REKEY:
		if (!a->host || a->state != ST_MEETING) {
			kx_ctl_reply(a->ctl, client, cmd, -EPERM, "only the host rekeys", NULL);
			return;
		}
		ret = host_next_epoch(a, KX_NO_PARTICIPANT, true);
		break;
	case KX_CTL_STATUS: {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:b}", "state", state_names[a->state],
				      "meeting", a->meeting_name, "codeword", a->codeword,
				      "participant", a->self, "host", a->host);
		json_t *keys = json_array();
		char *text;

		if (a->chain->started) {
			json_t *r = roster_json(a);

			json_object_set(o, "epoch", json_object_get(r, "epoch"));
			json_object_set(o, "participants", json_object_get(r, "participants"));
			if (json_object_get(r, "group_code"))
				json_object_set(o, "group_code", json_object_get(r, "group_code"));
			json_decref(r);
		}
		for (size_t j = 0; j < KEYS_MAX; j++)
			if (a->keys[j].used)
				json_array_append_new(
					keys, json_pack("{s:I, s:I, s:s, s:s}", "kid",
							(json_int_t)a->keys[j].kid, "epoch",
							(json_int_t)a->keys[j].epoch, "usage",
							a->keys[j].send ? "send" : "receive", "fp",
							a->keys[j].fp));
		json_object_set_new(o, "keys", keys);
		json_object_set_new(o, "have_secret", json_boolean(a->have_secret));
		if (a->meeting_code[0])
			json_object_set_new(o, "meeting_code", json_string(a->meeting_code));
		/* A knocker shows the host it knocked to, for the people to compare. */
		if (!a->host && (a->have_hello || a->chain->started)) {
			const struct kx_roster *hr =
				a->chain->started ? &a->chain->roster : &a->hello->u.roster;
			const struct kx_member *h = kx_roster_find(hr, hr->host);

			json_object_set_new(o, "host_participant", json_integer(h->id));
			json_object_set_new(o, "host_codeword", json_string(word_of(a, h->ik)));
		}
		/* Media: sending, or held back until the host is confirmed (6.5). */
		json_object_set_new(o, "host_trust",
				    json_string(a->host ? "self" : trust_names[a->host_trust]));
		json_object_set_new(o, "sending", json_boolean(a->sending && media_allowed(a)));
		json_object_set_new(o, "send_held", json_boolean(a->sending && !media_allowed(a)));
		json_object_set_new(o, "relay",
				    json_string(relay_open(a) ? "open" : a->ws ? "connecting" : "down"));
		if (a->host) {
			json_t *lobby = json_array();

			for (size_t i = 0; i < KX_MAX_MEMBERS; i++) {
				const struct peer *k = &a->peers[i];

				char hash[2 * KX_HASH_BYTES + 1];

				if (!k->used || !k->knocked)
					continue;
				sodium_bin2hex(hash, sizeof(hash), k->knock_hash, KX_HASH_BYTES);
				json_array_append_new(
					lobby, json_pack("{s:i, s:s, s:s, s:b, s:b, s:b}", "participant",
							 k->id, "knock", hash, "codeword",
							 k->cw_pending ? "" : k->codeword, "shown",
							 !k->cw_pending, "admitted", k->admit_pending,
							 "barred", k->barred));
			}
			json_object_set_new(o, "lobby", lobby);
			json_object_set_new(o, "knocks_refused", json_integer((json_int_t)a->knocks_refused));
			json_object_set_new(o, "stale_refused", json_integer((json_int_t)a->stale_refused));
			json_object_set_new(o, "leaves_refused", json_integer((json_int_t)a->leaves_refused));
			json_object_set_new(o, "codewords_computed",
					    json_integer((json_int_t)a->cw.computed));
		}
		text = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		kx_ctl_reply(a->ctl, client, cmd, 0, NULL, text);
		kx_ctl_json_free(text);
		return;
	}
	default:
		break;
	}
	kx_ctl_reply(a->ctl, client, cmd, ret, ret ? strerror(-ret) : NULL, NULL);
}

/* ---------------------------------------------------------------- main */

static void timers(struct app *a)
{
	long long now = now_ms();

	if (!a->ws && a->reconnect_at && now >= a->reconnect_at &&
	    (a->state == ST_LOBBY || a->state == ST_MEETING))
		relay_connect(a);
	if (a->switch_at && now >= a->switch_at)
		switch_send(a);
	expire_keys(a, false);
	if (a->host && a->state == ST_MEETING && relay_open(a) && now >= a->heartbeat_at) {
		/* Alive: members take a successor's roster only after silence. */
		send_ack(a, -1);
		a->heartbeat_at = now + a->takeover_ms / 4;
	}
	if (!a->host && a->state == ST_MEETING && a->chain->started && relay_open(a) &&
	    now - a->host_seen >= a->takeover_ms)
		take_over(a, "the host has signed nothing for too long");
	if (a->host && a->state == ST_MEETING) {
		codeword_queue(a);
		for (size_t i = 0; i < KX_MAX_MEMBERS; i++)
			if (a->peers[i].used && a->peers[i].knocked && !a->peers[i].admit_pending &&
			    now - a->peers[i].knocked_at > KNOCK_TTL_MS)
				knock_drop(a, &a->peers[i]);
		/* The batch of admissions closes; or a periodic fresh secret
		 * (which takes the admissions waiting along). */
		if (a->rekey_ms && now - a->fresh_at >= a->rekey_ms)
			host_next_epoch(a, KX_NO_PARTICIPANT, true);
		else if (a->batch_at && now >= a->batch_at)
			host_next_epoch(a, KX_NO_PARTICIPANT, false);
	}
	if (a->host && a->chain->started && relay_open(a))
		for (size_t i = 0; i < KX_MAX_MEMBERS; i++) {
			struct peer *p = &a->peers[i];

			if (p->used && kx_roster_find(&a->chain->roster, p->id) &&
			    p->acked_epoch != (long long)a->chain->roster.epoch && p->resend_at &&
			    now >= p->resend_at && p->resends < RESEND_MAX)
				host_resend(a, p);
		}
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* A decimal number 0..max, or -1. */
static long long number(const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	return (errno || end == s || *end || v < 0 || v > max) ? -1 : v;
}

/*
 * A uid for --allow-uid or --media-uid: decimal digits only, not root (0)
 * and not our own (which may do everything anyway): else -1, said why.
 */
static long long peer_uid(const char *s)
{
	long long v = s[0] >= '0' && s[0] <= '9' ? number(s, UINT32_MAX - 1) : -1;

	if (v < 0) {
		fprintf(stderr, "keyxchgd: a uid is a decimal number, not '%s'\n", s);
	} else if (v == 0 || (uid_t)v == geteuid()) {
		fprintf(stderr, "keyxchgd: uid %lld refused: root and keyxchgd's own uid are "
				"never peers to allow\n",
			v);
		v = -1;
	}
	return v;
}

static int usage(void)
{
	fputs("usage: keyxchgd --state-dir DIR --socket PATH --relay wss://HOST:PORT --ca FILE "
	      "--device ID [--allow-uid UID]... [--media-uid UID] [--rekey-interval S] "
	      "[--join-batch-ms MS] [--announce-window S] [--lobby-max N] "
	      "[--codewords-per-second N] [--takeover-after S]\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "relay", required_argument, NULL, 'r' },
		{ "ca", required_argument, NULL, 'c' },
		{ "device", required_argument, NULL, 'v' },
		{ "allow-uid", required_argument, NULL, 'u' },
		{ "media-uid", required_argument, NULL, 'm' },
		{ "rekey-interval", required_argument, NULL, 'R' },
		{ "join-batch-ms", required_argument, NULL, 'B' },
		{ "announce-window", required_argument, NULL, 'W' },
		{ "lobby-max", required_argument, NULL, 'L' },
		{ "codewords-per-second", required_argument, NULL, 'C' },
		{ "takeover-after", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	static struct app app;
	struct app *a = &app;
	const char *relay = NULL;
	bool created = false;
	long long v;
	int c, ret;

	a->media_uid = (uid_t)-1;
	a->self = -1;
	a->rekey_ms = REKEY_INTERVAL_S * 1000LL;
	a->batch_ms = JOIN_BATCH_MS;
	a->window_ms = ANNOUNCE_WINDOW_S * 1000LL;
	a->lobby_max = LOBBY_MAX;
	a->cw_rate = CODEWORDS_PER_S;
	a->takeover_ms = TAKEOVER_S * 1000LL;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->state_dir = optarg;
			break;
		case 's':
			a->socket_path = optarg;
			break;
		case 'r':
			relay = optarg;
			break;
		case 'c':
			a->ca = optarg;
			break;
		case 'v':
			a->device = optarg;
			break;
		case 'u':
			if (a->n_allowed == KX_CTL_ALLOWED_MAX || (v = peer_uid(optarg)) < 0)
				return usage();
			a->allowed[a->n_allowed++] = (uid_t)v;
			break;
		case 'm':
			if ((v = peer_uid(optarg)) < 0)
				return usage();
			a->media_uid = (uid_t)v;
			break;
		case 'R': /* seconds, 0: never */
			if ((v = number(optarg, 7 * 86400)) < 0)
				return usage();
			a->rekey_ms = v * 1000;
			break;
		case 'B':
			if ((v = number(optarg, 60000)) < 0)
				return usage();
			a->batch_ms = v;
			break;
		case 'W':
			if ((v = number(optarg, 86400)) < 1)
				return usage();
			a->window_ms = v * 1000;
			break;
		case 'L':
			if ((v = number(optarg, KX_MAX_MEMBERS)) < 1)
				return usage();
			a->lobby_max = (unsigned int)v;
			break;
		case 'T':
			if ((v = number(optarg, 86400)) < 1)
				return usage();
			a->takeover_ms = v * 1000;
			break;
		case 'C':
			if ((v = number(optarg, 1000)) < 1)
				return usage();
			a->cw_rate = (unsigned int)v;
			break;
		default:
			return usage();
		}
	}
	if (!a->state_dir || !a->socket_path || !relay || !a->ca || !a->device || optind != argc ||
	    !kx_device_id_valid(a->device, strlen(a->device)) ||
	    sscanf(relay, "wss://%255[^:]:%hu", a->relay_host, &a->relay_port) != 2)
		return usage();
	if (kx_init() || sodium_init() < 0)
		return 1;
	/* jansson's copies (key hex in events, the lexer's buffers) are wiped
	 * when freed; every json_dumps() text goes through kx_ctl_json_free(). */
	json_set_alloc_funcs(e2ee_wiping_malloc, e2ee_wiping_free);
	a->sec = sodium_malloc(sizeof(*a->sec));
	if (!a->sec)
		return 1;
	sodium_memzero(a->sec, sizeof(*a->sec));
	ret = kx_identity_open(a->state_dir, &a->id, &created);
	if (!ret)
		ret = kx_pin_open(a->state_dir, &a->pins);
	if (!ret)
		ret = kx_pin_open_file(a->state_dir, KX_ALLOW_FILE, &a->allow);
	if (ret) {
		logmsg("cannot open the state directory %s: %s", a->state_dir, strerror(-ret));
		return 1;
	}
	kx_codeword_cache_init(&a->cw);
	if (kx_codeword(&a->cw, a->id.ik, a->codeword))
		return 1;
	a->chain = calloc(1, sizeof(*a->chain));
	a->hello = calloc(1, sizeof(*a->hello));
	a->hello_chain = calloc(1, sizeof(*a->hello_chain));
	if (!a->chain || !a->hello || !a->hello_chain)
		return 1;
	a->cw_tokens = a->cw_rate;
	a->cw_at = now_ms();
	kx_chain_init(a->chain);
	ret = kx_ctl_server_open(a->socket_path, &a->ctl, a->allowed, a->n_allowed, a->media_uid);
	if (ret) {
		logmsg("cannot listen on %s: %s", a->socket_path, strerror(-ret));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	logmsg("%s identity, codeword %s; control socket %s", created ? "new" : "existing",
	       a->codeword, a->socket_path);
	printf("keyxchgd ready codeword=%s\n", a->codeword);
	fflush(stdout);

	while (!stop_signal) {
		struct pollfd fds[2 + KX_CTL_CLIENTS_MAX];
		size_t n = kx_ctl_server_fds(a->ctl, fds), ws_at = n;

		if (a->ws) {
			fds[n] = (struct pollfd){ .fd = kx_ws_fd(a->ws), .events = POLLIN };
			if (!a->ws_open)
				fds[n].events = kx_ws_connect_events(a->ws);
			else if (kx_ws_wants_write(a->ws))
				fds[n].events |= POLLOUT;
			n++;
		}
		if (poll(fds, n, 100) < 0 && errno != EINTR)
			break;
		kx_ctl_server_pump(a->ctl, fds, ws_at, on_request, a);
		if (a->ws && !a->ws_open) {
			/* Step also without an event: the attempt's deadline. */
			relay_step(a);
		} else if (a->ws && (n > ws_at && fds[ws_at].revents)) {
			if (kx_ws_pump(a->ws, on_relay_message, a))
				relay_lost(a);
		} else if (a->ws && kx_ws_wants_write(a->ws) && kx_ws_pump(a->ws, on_relay_message, a)) {
			relay_lost(a);
		}
		if (a->end_state != ST_IDLE)
			teardown(a, a->end_state);
		timers(a);
	}
	logmsg("stopping");
	expire_keys(a, true);
	sodium_memzero(a->sec->epoch, sizeof(a->sec->epoch));
	kx_ws_free(a->ws);
	kx_ctl_server_close(a->ctl);
	if (a->have_ek)
		kx_ek_free(&a->ek);
	for (size_t i = 0; i < HISTORY; i++)
		free(a->history[i]);
	free(a->chain);
	free(a->hello);
	free(a->hello_chain);
	kx_pin_close(&a->allow);
	sodium_free(a->sec); /* wipes */
	kx_pin_close(&a->pins);
	kx_identity_close(&a->id);
	return 0;
}
