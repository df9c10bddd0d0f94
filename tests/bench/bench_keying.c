// SPDX-License-Identifier: MIT
/*
 * bench-keying: what keying costs the host, and how long a rotation takes to
 * be acknowledged, for meetings of n = 10, 100 and 1000 participants
 * (../shared/design/keying.md "Key schedule", "Cost"), with libkx.
 *
 * The host and every member are simulated with their own identity key,
 * meeting key, roster chain and epoch secret. The host's CPU figures and the
 * "_mem" figures pass every message through memory as the JSON text the
 * daemon would hand to the relay. The "_to_acked" figures go over loopback:
 * the relay fixture (tests/fixtures/relay.py, Python, WebSocket over TLS) is
 * started here with a throwaway CA, and the host and every member hold their
 * own connection to it through kx_ws, keyxchgd's transport (mbedTLS, wslay).
 * n counts the host: a meeting of n is a roster of n members.
 *
 * One line per size (figures, never pass/fail; targets are printed beside):
 *   keying: n=100 join_host_cpu_ms=... leave_host_cpu_ms=... admit_to_acked_ms=...
 *           msgs_per_rotation=... bytes_per_rotation=... codeword_ms=... [more]
 *
 *   join_host_cpu_ms    host CPU to admit 1 joiner into a meeting of n: roster
 *                       e+1 (built, signed, accepted into its own chain, which
 *                       verifies and hashes it, as keyxchgd does), the join
 *                       ratchet, the joiner's pair key (new member: X25519 +
 *                       HKDF), seal and sign its epoch key, JSON of both.
 *                       join10_host_cpu_ms: the same for a batch of 10.
 *   leave_host_cpu_ms   host CPU for one leave in a meeting of n: roster e+1
 *                       without the leaver (signed, accepted, hashed), a fresh
 *                       secret, then for each of the n-2 others (n-1 remain,
 *                       the host among them) seal, sign and JSON-encode an
 *                       epoch key, with the pair keys CACHED per member (made
 *                       once at admission). leave_fresh_ek_host_cpu_ms: the
 *                       same with a fresh host EK in the roster and every
 *                       pair key made again with it (X25519 + HKDF per
 *                       member): what keyxchgd does since every fresh epoch
 *                       renews the EKs (PROTOCOL.md 7.3), so no pair key can
 *                       be cached. fresh_ek_over_cached: their ratio.
 *                       Every ack carries its time, an EK and the key
 *                       confirmation, which the host checks (PROTOCOL.md 7.2)
 *                       in the _to_acked and _mem figures.
 *   admit_to_acked_ms   wall time OVER LOOPBACK from the host's admit of 1
 *                       joiner to the host having parsed every ack: host
 *                       admit; the roster sent to "*" and the joiner's epoch
 *                       key to it, through the relay; each existing member
 *                       parses the envelope and the roster, accepts it,
 *                       ratchets E_{e+1}, signs and sends its ack; the joiner
 *                       starts its chain, opens its sealed epoch key and acks;
 *                       the host parses and checks every ack as it arrives.
 *                       Then every member's secret is compared with the
 *                       host's. The members live in this one process and run
 *                       one after the other as their messages come (a real
 *                       meeting runs them in parallel on n devices), the
 *                       relay in another: at n = 1000 this is bound by the
 *                       members' serial work here (each decrypts and parses
 *                       a 158 KB envelope, re-encodes and parses the roster),
 *                       the relay using about a tenth of the CPU.
 *                       leave_to_acked_ms: that joiner leaving again (every
 *                       member opens a freshly sealed secret).
 *   transport_ms        the baseline, in the same run and on the same
 *                       connections: a leave-shaped exchange without any
 *                       crypto (a roster-sized body to "*", an epoch-key-
 *                       sized body to each member, an ack-sized answer from
 *                       each). leave_over_transport = leave_to_acked_ms /
 *                       transport_ms.
 *   admit_relay_cpu_ms  the CPU the relay process (/proc) and this process
 *   admit_local_cpu_ms  (host and all members) spent during admit_to_acked:
 *                       on 2 cores the wall time is about their sum where
 *                       they wait for each other.
 *   admit_mem_ms        the admit with every side run serially through memory
 *                       (no relay, no TLS, no envelope); admit_over_mem =
 *                       admit_to_acked_ms / admit_mem_ms. admit_critical_ms is
 *                       what a real meeting would wait for without network:
 *                       host admit + the slowest member + the host's ack
 *                       parsing. leave_mem_ms / leave_critical_ms: the same
 *                       for the leave.
 *   msgs_per_rotation   messages the host sends for one fresh rotation (a
 *                       leave) of n: 1 roster (sent once, to "*": the relay
 *                       fans it out) + n-2 epoch keys.
 *   bytes_per_rotation  their JSON bytes (message bodies, without the relay's
 *                       few dozen bytes of envelope each); roster_bytes is the
 *                       roster's share.
 *   codeword_ms         one e2ee_codeword() (Argon2id, 16 MiB, opslimit 2).
 *   connect_ms          the n + 1 TLS WebSocket connections made, one after
 *                       the other (not part of any figure above).
 *
 * CPU is CLOCK_PROCESS_CPUTIME_ID read around the host's work only (the
 * program is single-threaded; the members' work is outside those windows).
 * The machine is noisy (2 shared cores): CPU figures are medians of several
 * repetitions on copies of the same meeting state; wall figures are medians
 * of fewer full runs (runs=, one at n = 1000).
 *
 * Needs /usr/bin/python3 and the relay fixture (tests/fixtures/relay.py from
 * the tree's root, or KX_BENCH_RELAY=path); it is started with
 * --no-presence (1000 joins would cost it n^2/2 presence events) and stopped
 * at the end. bench-keying [N...] runs other sizes.
 *
 * Exit status 1 only when the protocol does not work (a message refused, a
 * member ending with another secret than the host's, not every ack within
 * 300 s) or the relay cannot be started or reached, never on speed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "e2ee/codeword.h"
#include "kx/chain.h"
#include "kx/identity.h"
#include "kx/kx.h"
#include "kx/msg.h"
#include "kx/schedule.h"
#include "../../keyxchg/net/kx_ws.h"

#define HOST_ID	  1
#define JOINER_ID 60000 /* joiners: 60000.. (above every member id) */
#define BATCH_MAX 10
#define EK_JSON_CAP 1024 /* an epoch key's JSON is about 400 bytes */

struct party {
	uint16_t id;
	char device[KX_DEVICE_MAX + 1];
	struct kx_identity ik;
	struct kx_ek ek;
	struct kx_chain *chain;
	uint8_t secret[KX_SECRET_BYTES];
	uint8_t pair[KX_SECRET_BYTES]; /* host: cached pair key with this member */
	char *ack;		       /* the ack it sent (JSON), or NULL */
	size_t ack_len;
};

struct meeting {
	unsigned int n; /* participants, the host included */
	uint8_t id[KX_MEETING_ID_BYTES];
	struct party host;
	struct party *members; /* n - 1 */
	struct party joiners[BATCH_MAX];
	/* The host's outbox: the roster and one epoch key per member. */
	char *roster_json;
	size_t roster_len;
	char *ek_json;	   /* (n + BATCH_MAX) * EK_JSON_CAP */
	size_t *ek_len;	   /* per slot */
	uint16_t *ek_to;   /* per slot */
	size_t n_ek;
	struct kx_msg *msg; /* scratch message (about 132 KiB) */
	struct kx_msg *in;  /* scratch for parsing */
};

static void die(const char *what, int ret)
{
	fprintf(stderr, "bench-keying: %s: %s\n", what, strerror(ret < 0 ? -ret : ret));
	exit(1);
}

#define CHECK(what, expr)                      \
	do {                                   \
		int ret_ = (expr);             \
		if (ret_)                      \
			die((what), ret_);     \
	} while (0)

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void party_init(struct party *p, uint16_t id)
{
	uint8_t seed[KX_SEED_BYTES];

	memset(p, 0, sizeof(*p));
	p->id = id;
	/* A realistic device id (the roster's size depends on it). */
	snprintf(p->device, sizeof(p->device), "sealroom-%08x", randombytes_random());
	randombytes_buf(seed, sizeof(seed));
	CHECK("identity", kx_identity_from_seed(seed, &p->ik));
	sodium_memzero(seed, sizeof(seed));
	CHECK("meeting key", kx_ek_generate(&p->ek));
	p->chain = malloc(sizeof(*p->chain));
	if (!p->chain)
		die("malloc", -ENOMEM);
	kx_chain_init(p->chain);
}

static void party_free(struct party *p)
{
	kx_identity_close(&p->ik);
	kx_ek_free(&p->ek);
	free(p->chain);
	free(p->ack);
	sodium_memzero(p->secret, sizeof(p->secret));
	sodium_memzero(p->pair, sizeof(p->pair));
}

static void member_entry(struct kx_member *m, const struct party *p, enum kx_role role)
{
	memset(m, 0, sizeof(*m));
	m->id = p->id;
	m->role = (uint8_t)role;
	strcpy(m->device, p->device);
	memcpy(m->ik, p->ik.ik, KX_IK_BYTES);
	memcpy(m->ek, p->ek.pk, KX_EK_BYTES);
}

static struct party *party_by_id(struct meeting *mt, uint16_t id)
{
	if (id == HOST_ID)
		return &mt->host;
	if (id >= JOINER_ID)
		return id - JOINER_ID < BATCH_MAX ? &mt->joiners[id - JOINER_ID] : NULL;
	return id - 2u < mt->n - 1 ? &mt->members[id - 2] : NULL;
}

static int pair_key(struct kx_ek *self, const uint8_t *meeting, const struct kx_member *host,
		    const struct kx_member *member, uint8_t out[static KX_SECRET_BYTES])
{
	struct kx_pair_keys pk = { host->ik, member->ik, host->ek, member->ek };

	return kx_pair_key(self, meeting, &pk, out);
}

/*
 * The meeting of n at some epoch: the host's epoch-0 roster lists all n (a
 * shortcut of setup, untimed), every member starts its chain with it and
 * holds E_0; the host caches a pair key per member.
 */
static void meeting_setup(struct meeting *mt, unsigned int n)
{
	struct kx_roster *r;

	memset(mt, 0, sizeof(*mt));
	mt->n = n;
	randombytes_buf(mt->id, sizeof(mt->id));
	mt->members = calloc(n - 1, sizeof(*mt->members));
	mt->roster_json = malloc(KX_JSON_MAX);
	mt->ek_json = malloc((n + BATCH_MAX) * EK_JSON_CAP);
	mt->ek_len = calloc(n + BATCH_MAX, sizeof(*mt->ek_len));
	mt->ek_to = calloc(n + BATCH_MAX, sizeof(*mt->ek_to));
	mt->msg = malloc(sizeof(*mt->msg));
	mt->in = malloc(sizeof(*mt->in));
	if (!mt->members || !mt->roster_json || !mt->ek_json || !mt->ek_len || !mt->ek_to ||
	    !mt->msg || !mt->in)
		die("malloc", -ENOMEM);
	party_init(&mt->host, HOST_ID);
	for (unsigned int i = 0; i < n - 1; i++)
		party_init(&mt->members[i], (uint16_t)(i + 2));
	for (unsigned int i = 0; i < BATCH_MAX; i++)
		party_init(&mt->joiners[i], (uint16_t)(JOINER_ID + i));

	memset(mt->msg, 0, sizeof(*mt->msg));
	mt->msg->type = KX_MSG_ROSTER;
	r = &mt->msg->u.roster;
	memcpy(r->meeting, mt->id, sizeof(mt->id));
	r->host = HOST_ID;
	r->successor = n > 1 ? 2 : KX_NO_PARTICIPANT;
	r->policy = (struct kx_policy){ .e2ee = true, .lobby_locked = true };
	r->n_members = n;
	member_entry(&r->members[0], &mt->host, KX_ROLE_HOST);
	for (unsigned int i = 0; i < n - 1; i++)
		member_entry(&r->members[i + 1], &mt->members[i], KX_ROLE_MEMBER);
	CHECK("sign roster 0", kx_msg_sign(mt->msg, &mt->host.ik));
	CHECK("host chain", kx_chain_start(mt->host.chain, mt->msg, mt->host.ik.ik, HOST_ID,
					   mt->host.ik.ik));
	CHECK("E_0", kx_epoch_fresh(mt->host.secret));
	for (unsigned int i = 0; i < n - 1; i++) {
		struct party *p = &mt->members[i];

		CHECK("member chain", kx_chain_start(p->chain, mt->msg, mt->host.ik.ik, p->id,
						     p->ik.ik));
		memcpy(p->secret, mt->host.secret, KX_SECRET_BYTES);
		CHECK("pair key", pair_key(&mt->host.ek, mt->id, &r->members[0], &r->members[i + 1],
					   p->pair));
	}
}

static void meeting_free(struct meeting *mt)
{
	party_free(&mt->host);
	for (unsigned int i = 0; i < mt->n - 1; i++)
		party_free(&mt->members[i]);
	for (unsigned int i = 0; i < BATCH_MAX; i++)
		party_free(&mt->joiners[i]);
	free(mt->members);
	free(mt->roster_json);
	free(mt->ek_json);
	free(mt->ek_len);
	free(mt->ek_to);
	free(mt->msg);
	free(mt->in);
}

/* One epoch key from the host into the outbox. */
static void host_epoch_key(struct meeting *mt, const struct kx_member *to,
			   const uint8_t pair[static KX_SECRET_BYTES])
{
	const struct kx_chain *c = mt->host.chain;
	struct kx_msg *m = mt->msg;
	struct kx_epoch_key *k = &m->u.epoch_key;
	size_t slot = mt->n_ek++;

	m->type = KX_MSG_EPOCH_KEY;
	memcpy(k->meeting, c->roster.meeting, KX_MEETING_ID_BYTES);
	k->epoch = c->roster.epoch;
	memcpy(k->roster, c->hash, KX_HASH_BYTES);
	k->from = HOST_ID;
	k->to = to->id;
	CHECK("seal", kx_epoch_key_seal(k, pair, mt->host.secret));
	CHECK("sign epoch key", kx_msg_sign(m, &mt->host.ik));
	CHECK("epoch key JSON", kx_msg_to_json(m, mt->ek_json + slot * EK_JSON_CAP, EK_JSON_CAP,
					       &mt->ek_len[slot]));
	mt->ek_to[slot] = to->id;
}

/*
 * The host's work for one rotation, as keyxchgd's host_next_epoch(): roster
 * e+1 without `removed` (0: none) and with joiners[0..n_join), signed and
 * accepted into its chain (which verifies and hashes it); the join ratchet
 * or a fresh secret; the roster's JSON; the epoch keys (joiners only on a
 * join, everyone else otherwise).
 */
static void host_rotate(struct meeting *mt, uint16_t removed, unsigned int n_join, bool cached)
{
	struct party *h = &mt->host;
	struct kx_msg *m = mt->msg;
	struct kx_roster *r = &m->u.roster;
	bool join = n_join && !removed;
	/* Not cached, a fresh epoch: what keyxchgd does (PROTOCOL.md 7.3), a
	 * fresh host EK in the roster and every pair key made with it. */
	bool fresh_ek = !cached && !join;
	struct kx_ek fresh = { 0 };
	uint8_t next[KX_SECRET_BYTES];

	m->type = KX_MSG_ROSTER;
	*r = h->chain->roster;
	r->epoch++;
	memcpy(r->prev, h->chain->hash, KX_HASH_BYTES);
	if (removed) {
		uint32_t j = 0;

		for (uint32_t i = 0; i < r->n_members; i++)
			if (r->members[i].id != removed)
				r->members[j++] = r->members[i];
		r->n_members = j;
		if (r->successor == removed)
			r->successor = KX_NO_PARTICIPANT;
		/* Two or more members name a successor (PROTOCOL.md 5): the lowest. */
		for (uint32_t i = 0; r->successor == KX_NO_PARTICIPANT && i < r->n_members; i++)
			if (r->members[i].id != r->host)
				r->successor = r->members[i].id;
	}
	/* Joiner ids are above every member's: they go at the end, ascending. */
	for (unsigned int i = 0; i < n_join; i++)
		member_entry(&r->members[r->n_members++], &mt->joiners[i], KX_ROLE_MEMBER);
	if (fresh_ek) {
		CHECK("fresh host EK", kx_ek_generate(&fresh));
		memcpy(r->members[0].ek, fresh.pk, KX_EK_BYTES);
	}
	CHECK("sign roster", kx_msg_sign(m, &h->ik));
	CHECK("host accepts its roster", kx_chain_accept(h->chain, m));
	CHECK("roster JSON", kx_msg_to_json(m, mt->roster_json, KX_JSON_MAX, &mt->roster_len));
	CHECK("next secret", join ? kx_epoch_join(h->secret, h->chain->hash, next)
				  : kx_epoch_fresh(next));
	memcpy(h->secret, next, sizeof(next));
	sodium_memzero(next, sizeof(next));

	mt->n_ek = 0;
	r = &h->chain->roster;
	for (uint32_t i = 0; i < r->n_members; i++) {
		const struct kx_member *to = &r->members[i];
		struct party *p;
		uint8_t pair[KX_SECRET_BYTES];

		if (to->id == HOST_ID || (join && to->id < JOINER_ID))
			continue;
		p = party_by_id(mt, to->id);
		if (to->id >= JOINER_ID || !cached) {
			/* A new member's pair key is always made here. */
			CHECK("pair key", pair_key(fresh_ek ? &fresh : &h->ek, r->meeting,
						   &r->members[0], to, pair));
			if (to->id >= JOINER_ID)
				memcpy(p->pair, pair, sizeof(pair));
		} else {
			memcpy(pair, p->pair, sizeof(pair));
		}
		host_epoch_key(mt, to, pair);
		sodium_memzero(pair, sizeof(pair));
	}
	kx_ek_free(&fresh);
}

/* Host CPU of one rotation, on a copy of the host's state (restored after). */
static double host_rotation_cpu(struct meeting *mt, uint16_t removed, unsigned int n_join,
				bool cached, struct kx_chain *saved)
{
	uint8_t secret[KX_SECRET_BYTES];
	double t0, t1;

	*saved = *mt->host.chain;
	memcpy(secret, mt->host.secret, sizeof(secret));
	t0 = cpu_ms();
	host_rotate(mt, removed, n_join, cached);
	t1 = cpu_ms();
	*mt->host.chain = *saved;
	memcpy(mt->host.secret, secret, sizeof(secret));
	sodium_memzero(secret, sizeof(secret));
	return t1 - t0;
}

/* A member (or joiner) acks the epoch it holds. */
static void member_ack(struct meeting *mt, struct party *p)
{
	struct kx_msg m = { .type = KX_MSG_ACK };
	char json[512];
	size_t len;

	memcpy(m.u.ack.meeting, p->chain->roster.meeting, KX_MEETING_ID_BYTES);
	m.u.ack.epoch = p->chain->roster.epoch;
	memcpy(m.u.ack.roster, p->chain->hash, KX_HASH_BYTES);
	m.u.ack.from = p->id;
	/* PROTOCOL.md 3.4: time, the EK for the next fresh epoch (here the
	 * current one: the bench's members keep theirs), the key confirmation. */
	m.u.ack.time_ms = (uint64_t)time(NULL) * 1000;
	memcpy(m.u.ack.ek, p->ek.pk, KX_EK_BYTES);
	CHECK("ack confirmation", kx_confirm(p->secret, m.u.ack.meeting, m.u.ack.epoch,
					     m.u.ack.roster, m.u.ack.confirm));
	CHECK("sign ack", kx_msg_sign(&m, &p->ik));
	CHECK("ack JSON", kx_msg_to_json(&m, json, sizeof(json), &len));
	free(p->ack);
	p->ack = strdup(json);
	p->ack_len = len;
	if (!p->ack)
		die("strdup", -ENOMEM);
}

/* A member opens an epoch key addressed to it (as keyxchgd's on_epoch_key). */
static void member_open_text(struct meeting *mt, struct party *p, const char *json, size_t len)
{
	const struct kx_roster *r = &p->chain->roster;
	const struct kx_member *h, *me;
	uint8_t pair[KX_SECRET_BYTES];

	CHECK("member parses its epoch key",
	      kx_msg_parse(json, len, KX_MSG_EPOCH_KEY, p->chain, mt->in));
	h = kx_roster_find(r, mt->in->u.epoch_key.from);
	me = kx_roster_find(r, p->id);
	if (!h || !me)
		die("epoch key from or to a non-member", -EBADMSG);
	CHECK("member pair key", pair_key(&p->ek, r->meeting, h, me, pair));
	CHECK("open", kx_epoch_key_open(&mt->in->u.epoch_key, pair, p->secret));
	sodium_memzero(pair, sizeof(pair));
}

/* The one in the host's outbox (the relay delivers each member its own). */
static void member_open(struct meeting *mt, struct party *p)
{
	size_t slot;

	for (slot = 0; slot < mt->n_ek && mt->ek_to[slot] != p->id; slot++)
		;
	if (slot == mt->n_ek)
		die("no epoch key for a member", -ENOENT);
	member_open_text(mt, p, mt->ek_json + slot * EK_JSON_CAP, mt->ek_len[slot]);
}

/*
 * A member takes roster e+1 (as keyxchgd's on_roster): a joiner starts its
 * chain with it (the host's IK as compared: codeword, pin), a member accepts
 * it; on a join, members ratchet to E_{e+1}.
 */
static void member_takes_roster(struct meeting *mt, struct party *p, const char *json, size_t len,
				bool ratchet)
{
	CHECK("member parses the roster", kx_msg_parse(json, len, KX_MSG_ROSTER, NULL, mt->in));
	if (p->id >= JOINER_ID) {
		kx_chain_init(p->chain);
		CHECK("joiner starts its chain",
		      kx_chain_start(p->chain, mt->in, mt->host.ik.ik, p->id, p->ik.ik));
	} else {
		CHECK("member accepts the roster", kx_chain_accept(p->chain, mt->in));
	}
	if (ratchet) {
		uint8_t next[KX_SECRET_BYTES];

		CHECK("join ratchet", kx_epoch_join(p->secret, p->chain->hash, next));
		memcpy(p->secret, next, sizeof(next));
		sodium_memzero(next, sizeof(next));
	}
}

/* Every side of a rotation after the host's: returns the slowest side's ms. */
static double members_side(struct meeting *mt, uint16_t removed, unsigned int n_join)
{
	bool join = n_join && !removed;
	double slowest = 0;

	for (unsigned int i = 0; i < mt->n - 1 + n_join; i++) {
		bool joiner = i >= mt->n - 1;
		struct party *p = joiner ? &mt->joiners[i - (mt->n - 1)] : &mt->members[i];
		double t0 = wall_ms(), t;

		if (p->id == removed)
			continue; /* the leaver only learns it is out: not waited for */
		member_takes_roster(mt, p, mt->roster_json, mt->roster_len, join && !joiner);
		if (joiner || !join)
			member_open(mt, p);
		member_ack(mt, p);
		t = wall_ms() - t0;
		if (t > slowest)
			slowest = t;
	}
	return slowest;
}

/* The host parses every ack; returns how many check out. */
static unsigned int host_acks(struct meeting *mt, uint16_t removed, unsigned int n_join)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < mt->n - 1 + n_join; i++) {
		bool joiner = i >= mt->n - 1;
		struct party *p = joiner ? &mt->joiners[i - (mt->n - 1)] : &mt->members[i];

		if (p->id == removed)
			continue;
		CHECK("host parses an ack",
		      kx_msg_parse(p->ack, p->ack_len, KX_MSG_ACK, mt->host.chain, mt->in));
		if (mt->in->u.ack.epoch == mt->host.chain->roster.epoch &&
		    !kx_confirm_check(mt->host.secret, &mt->in->u.ack) &&
		    !sodium_memcmp(p->secret, mt->host.secret, KX_SECRET_BYTES))
			ok++;
	}
	return ok;
}

/*
 * One full rotation with every side: the wall time from the host's decision
 * to every ack parsed (serial, one process), and the critical path.
 */
static void full_rotation(struct meeting *mt, uint16_t removed, unsigned int n_join,
			  double *serial, double *critical)
{
	/* Everyone in the new roster but the host acks. */
	unsigned int want;
	double t0 = wall_ms(), t_host, slowest, t_members, t_acks;

	host_rotate(mt, removed, n_join, true);
	t_host = wall_ms();
	slowest = members_side(mt, removed, n_join);
	t_members = wall_ms();
	want = mt->host.chain->roster.n_members - 1;
	if (host_acks(mt, removed, n_join) != want)
		die("a member does not hold the host's secret", -EBADMSG);
	t_acks = wall_ms();
	*serial = t_acks - t0;
	*critical = (t_host - t0) + slowest + (t_acks - t_members);
}

/* ----------------------------------------------- over loopback, through the relay */

/*
 * The meeting again, every side with a connection of its own to the relay
 * fixture (tests/fixtures/relay.py, WebSocket over TLS, started here on
 * loopback with a throwaway CA) through kx_ws, keyxchgd's transport: the host
 * sends the roster to "*" and each epoch key to its member; each member, in
 * its message callback, parses the envelope and the body as keyxchgd does
 * (jansson, json_dumps of the body), accepts the roster, opens its epoch key
 * (or ratchets, on a join) and sends its signed ack to the host, which
 * parses and checks each. All members live in this one process and run one
 * after the other as their messages arrive; the relay is a second process.
 */
struct conn {
	struct kx_ws *ws;
	struct meeting *mt;
	struct party *p;
	bool welcomed, rostered;
	char *pending; /* an epoch key that came before its roster */
	size_t pending_len;
};

/* The rotation in flight (the program is single-threaded). */
static struct {
	uint16_t removed;
	bool join, echo;
	unsigned int acks;
} rot;

static struct conn *conns;
static struct pollfd *fds; /* one per connection */
static size_t n_conns;
static char *envelope; /* KX_JSON_MAX + 64 */
static pid_t relay_pid;

static void conn_send(struct conn *c, const char *to, const char *body, size_t len)
{
	int n = snprintf(envelope, KX_JSON_MAX + 64, "{\"type\":\"send\",\"to\":\"%s\",\"body\":%.*s}",
			 to, (int)len, body);

	if (n < 0 || n >= KX_JSON_MAX + 64)
		die("envelope", -EMSGSIZE);
	CHECK("send", kx_ws_send(c->ws, envelope, (size_t)n));
}

static void member_acks(struct conn *c)
{
	member_ack(c->mt, c->p);
	conn_send(c, "p1", c->p->ack, c->p->ack_len);
}

static void member_roster(struct conn *c, const char *json, size_t len)
{
	struct meeting *mt = c->mt;
	struct party *p = c->p;
	bool joiner = p->id >= JOINER_ID;

	if (p->id == rot.removed || (joiner && !rot.join))
		return; /* the leaver only learns it is out */
	member_takes_roster(mt, p, json, len, rot.join && !joiner);
	c->rostered = true;
	if (rot.join && !joiner) {
		member_acks(c);
	} else if (c->pending) {
		member_open_text(mt, p, c->pending, c->pending_len);
		free(c->pending);
		c->pending = NULL;
		member_acks(c);
	}
}

static void on_message(void *user, const char *text, size_t len)
{
	struct conn *c = user;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *body;
	const char *type = json_string_value(json_object_get(o, "type")), *btype;
	char *btext = NULL;
	size_t blen;

	if (!type)
		die("a relay message without a type", -EBADMSG);
	if (!strcmp(type, "welcome")) {
		char want[8];

		snprintf(want, sizeof(want), "p%u", c->p->id);
		if (strcmp(json_string_value(json_object_get(o, "you")) ?: "", want))
			die("the relay gave another participant id", -EBADMSG);
		c->welcomed = true;
		goto out;
	}
	body = json_object_get(o, "body");
	btype = json_string_value(json_object_get(body, "type"));
	if (strcmp(type, "message") || !btype || !(btext = json_dumps(body, JSON_COMPACT)))
		die("an unexpected relay message", -EBADMSG);
	blen = strlen(btext);
	if (c->p == &c->mt->host) {
		if (!strcmp(btype, "ack")) {
			CHECK("host parses an ack",
			      kx_msg_parse(btext, blen, KX_MSG_ACK, c->mt->host.chain, c->mt->in));
			if (c->mt->in->u.ack.epoch == c->mt->host.chain->roster.epoch &&
			    !kx_confirm_check(c->mt->host.secret, &c->mt->in->u.ack))
				rot.acks++;
		} else if (!strcmp(btype, "echo_ack")) {
			rot.acks++;
		}
	} else if (!strcmp(btype, "roster")) {
		member_roster(c, btext, blen);
	} else if (!strcmp(btype, "epoch_key")) {
		if (c->rostered) {
			member_open_text(c->mt, c->p, btext, blen);
			member_acks(c);
		} else {
			c->pending = btext;
			c->pending_len = blen;
			btext = NULL;
		}
	} else if (!strcmp(btype, "echo_ek")) {
		/* The baseline: an ack-sized answer, no crypto. */
		static const char pad[] = "{\"type\":\"echo_ack\",\"pad\":\"%0*d\"}";
		char a[512];
		int n = snprintf(a, sizeof(a), pad, 240, 0);

		conn_send(c, "p1", a, (size_t)n);
	}
out:
	free(btext);
	json_decref(o);
}

/* Pumps every connection once (poll up to 100 ms). */
static void pump_all(void)
{
	for (size_t i = 0; i < n_conns; i++)
		fds[i] = (struct pollfd){ .fd = kx_ws_fd(conns[i].ws),
					  .events = POLLIN | (kx_ws_wants_write(conns[i].ws) ?
								      POLLOUT :
								      0) };
	if (poll(fds, n_conns, 100) < 0 && errno != EINTR)
		die("poll", -errno);
	for (size_t i = 0; i < n_conns; i++) {
		struct kx_ws *ws = conns[i].ws;

		if ((fds[i].revents || kx_ws_wants_write(ws)) &&
		    kx_ws_pump(ws, on_message, &conns[i])) {
			fprintf(stderr, "bench-keying: relay connection: %s\n", kx_ws_error(ws));
			exit(1);
		}
	}
}

static void wait_acks(unsigned int want)
{
	double until = wall_ms() + 300000;

	while (rot.acks < want) {
		if (wall_ms() > until)
			die("not every ack came within 300 s", -ETIMEDOUT);
		pump_all();
	}
}

/* The relay on loopback, with a throwaway CA in dir; returns its port. */
static uint16_t relay_start(const char *relay_py, const char *dir)
{
	char certs[256], port_file[256];
	FILE *f;
	unsigned int port = 0;

	snprintf(certs, sizeof(certs), "%s/certs", dir);
	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	relay_pid = fork();
	if (relay_pid < 0)
		die("fork", -errno);
	if (!relay_pid) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		/* One process pumps every connection in turn: under load a pass
		 * takes longer than the relay's default 20 s for a pong, and the
		 * relay closed connections (status 1011; kx_ws then said only
		 * "cannot queue a ping"). Its pong timeout outlasts our bounded
		 * waits (300 s) instead. */
		execl("/usr/bin/python3", "python3", relay_py, "--make-certs", certs, "--certs",
		      certs, "--port-file", port_file, "--no-presence", "--ping-timeout", "600",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600 && !port; i++) {
		int st;

		if (waitpid(relay_pid, &st, WNOHANG) == relay_pid)
			die("the relay fixture exited", -ECHILD);
		if ((f = fopen(port_file, "r"))) {
			if (fscanf(f, "%u", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (!port)
			usleep(50000);
	}
	if (!port || port > 65535)
		die("the relay fixture did not start", -ETIMEDOUT);
	return (uint16_t)port;
}

/* The relay's CPU so far (user + system, /proc), in ms; 0 if unreadable. */
static double relay_cpu_ms(void)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)relay_pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "pid (comm) ": state is field 3, utime 14 and stime 15. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return 0;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static void relay_stop(void)
{
	if (relay_pid > 0) {
		kill(relay_pid, SIGTERM);
		waitpid(relay_pid, NULL, 0);
		relay_pid = 0;
	}
}

/* Connects the host, the n - 1 members and one joiner; returns the ms taken. */
static double net_connect(struct meeting *mt, uint16_t port, const char *ca)
{
	double t0 = wall_ms();
	char path[64];

	n_conns = mt->n + 1;
	conns = calloc(n_conns, sizeof(*conns));
	fds = calloc(n_conns, sizeof(*fds));
	envelope = malloc(KX_JSON_MAX + 64);
	if (!conns || !fds || !envelope)
		die("malloc", -ENOMEM);
	for (size_t i = 0; i < n_conns; i++) {
		struct conn *c = &conns[i];
		struct kx_ws_config cfg = { "localhost", port, path, ca, 30000 };
		const char *detail = NULL;
		int ret;

		c->mt = mt;
		c->p = i == 0 ? &mt->host : i < mt->n ? &mt->members[i - 1] : &mt->joiners[0];
		snprintf(path, sizeof(path), "/v1/rooms/bench-%u?id=%u", mt->n, c->p->id);
		ret = kx_ws_connect(&cfg, &c->ws, &detail);
		if (ret) {
			fprintf(stderr, "bench-keying: connection %zu to the relay: %s (%s)\n", i,
				detail, strerror(-ret));
			exit(1);
		}
	}
	for (;;) {
		size_t w = 0;

		for (size_t i = 0; i < n_conns; i++)
			w += conns[i].welcomed;
		if (w == n_conns)
			break;
		pump_all();
	}
	return wall_ms() - t0;
}

static void net_close(void)
{
	for (size_t i = 0; i < n_conns; i++) {
		kx_ws_free(conns[i].ws);
		free(conns[i].pending);
	}
	free(conns);
	free(fds);
	free(envelope);
	conns = NULL;
	fds = NULL;
	n_conns = 0;
}

static void rotation_start(uint16_t removed, unsigned int n_join, bool echo)
{
	rot.removed = removed;
	rot.join = n_join && !removed;
	rot.echo = echo;
	rot.acks = 0;
	for (size_t i = 0; i < n_conns; i++)
		conns[i].rostered = false;
}

/*
 * One rotation over loopback: host decision to every ack parsed, in ms; the
 * CPU the relay and this process (host and members) spent meanwhile.
 */
static double net_rotation(struct meeting *mt, uint16_t removed, unsigned int n_join,
			   double *relay_cpu, double *local_cpu)
{
	struct conn *host = &conns[0];
	double t0, r0 = relay_cpu_ms(), c0 = cpu_ms();
	unsigned int want;

	rotation_start(removed, n_join, false);
	t0 = wall_ms();
	host_rotate(mt, removed, n_join, true);
	conn_send(host, "*", mt->roster_json, mt->roster_len);
	for (size_t i = 0; i < mt->n_ek; i++) {
		char to[8];

		snprintf(to, sizeof(to), "p%u", mt->ek_to[i]);
		conn_send(host, to, mt->ek_json + i * EK_JSON_CAP, mt->ek_len[i]);
	}
	want = mt->host.chain->roster.n_members - 1;
	wait_acks(want);
	t0 = wall_ms() - t0;
	*relay_cpu = relay_cpu_ms() - r0;
	*local_cpu = cpu_ms() - c0;
	/* Every member in the roster holds the host's secret. */
	for (uint32_t i = 0; i < mt->host.chain->roster.n_members; i++) {
		struct party *p = party_by_id(mt, mt->host.chain->roster.members[i].id);

		if (!p || sodium_memcmp(p->secret, mt->host.secret, KX_SECRET_BYTES))
			die("a member does not hold the host's secret", -EBADMSG);
	}
	return t0;
}

/*
 * The baseline of the same run: a leave-shaped rotation with no crypto at
 * all: the host sends a roster-sized body to "*" and an epoch-key-sized body
 * to each of the same members, each answers an ack-sized body. What the
 * relay, TLS and JSON cost alone.
 */
static double net_echo(struct meeting *mt, size_t roster_len, size_t ek_len)
{
	struct conn *host = &conns[0];
	char *body = malloc(roster_len + 64);
	double t0;
	int n;

	if (!body)
		die("malloc", -ENOMEM);
	rotation_start(0, 0, true);
	t0 = wall_ms();
	n = snprintf(body, roster_len + 64, "{\"type\":\"echo\",\"pad\":\"%0*d\"}",
		     (int)roster_len - 30, 0);
	conn_send(host, "*", body, (size_t)n);
	n = snprintf(body, roster_len + 64, "{\"type\":\"echo_ek\",\"pad\":\"%0*d\"}",
		     (int)ek_len - 30, 0);
	for (unsigned int i = 0; i < mt->n - 1; i++) {
		char to[8];

		snprintf(to, sizeof(to), "p%u", mt->members[i].id);
		conn_send(host, to, body, (size_t)n);
	}
	wait_acks(mt->n - 1);
	free(body);
	return wall_ms() - t0;
}

static void bench_size(unsigned int n, double codeword, uint16_t port, const char *ca)
{
	struct meeting mt;
	struct kx_chain *saved = malloc(sizeof(*saved));
	int reps = n <= 10 ? 101 : n <= 100 ? 31 : 7;
	int e2e = n <= 10 ? 21 : n <= 100 ? 5 : 1;
	double *join1 = calloc((size_t)reps, sizeof(double));
	double *join10 = calloc((size_t)reps, sizeof(double));
	double *leave = calloc((size_t)reps, sizeof(double));
	double *leave_nc = calloc((size_t)reps, sizeof(double));
	double *adm = calloc((size_t)e2e, sizeof(double)), *adm_c = calloc((size_t)e2e, sizeof(double));
	double *lv = calloc((size_t)e2e, sizeof(double)), *lv_c = calloc((size_t)e2e, sizeof(double));
	double *nadm = calloc((size_t)e2e, sizeof(double)), *nlv = calloc((size_t)e2e, sizeof(double));
	double *echo = calloc((size_t)e2e, sizeof(double)), connect_ms;
	double *rcpu = calloc((size_t)e2e, sizeof(double)), *lcpu = calloc((size_t)e2e, sizeof(double));
	double ignore;
	uint16_t leaver = (uint16_t)(n / 2 + 1); /* a member, not the successor */
	size_t msgs, bytes, roster_bytes;

	if (!saved || !join1 || !join10 || !leave || !leave_nc || !adm || !adm_c || !lv || !lv_c ||
	    !nadm || !nlv || !echo || !rcpu || !lcpu)
		die("malloc", -ENOMEM);
	meeting_setup(&mt, n);

	/* Host CPU, on copies of the same state. */
	for (int i = 0; i < reps; i++) {
		join1[i] = host_rotation_cpu(&mt, 0, 1, true, saved);
		join10[i] = host_rotation_cpu(&mt, 0, BATCH_MAX, true, saved);
		leave[i] = host_rotation_cpu(&mt, leaver, 0, true, saved);
		leave_nc[i] = host_rotation_cpu(&mt, leaver, 0, false, saved);
	}
	/* The traffic of one fresh rotation (the last leave above). */
	msgs = 1 + mt.n_ek;
	roster_bytes = mt.roster_len;
	bytes = roster_bytes;
	for (size_t i = 0; i < mt.n_ek; i++)
		bytes += mt.ek_len[i];

	/* Every side, for real: a join of 1, then that joiner leaves again. */
	for (int i = 0; i < e2e; i++) {
		full_rotation(&mt, 0, 1, &adm[i], &adm_c[i]);
		full_rotation(&mt, JOINER_ID, 0, &lv[i], &lv_c[i]);
	}

	/* Over loopback: every side on its own TLS WebSocket through the relay. */
	connect_ms = net_connect(&mt, port, ca);
	for (int i = 0; i < e2e; i++) {
		nadm[i] = net_rotation(&mt, 0, 1, &rcpu[i], &lcpu[i]);
		nlv[i] = net_rotation(&mt, JOINER_ID, 0, &ignore, &ignore);
		echo[i] = net_echo(&mt, mt.roster_len, mt.ek_len[0]);
	}
	net_close();

	printf("keying: n=%u join_host_cpu_ms=%.3f leave_host_cpu_ms=%.3f admit_to_acked_ms=%.1f "
	       "msgs_per_rotation=%zu bytes_per_rotation=%zu codeword_ms=%.1f "
	       "leave_to_acked_ms=%.1f transport_ms=%.1f leave_over_transport=%.2f "
	       "admit_relay_cpu_ms=%.0f admit_local_cpu_ms=%.0f "
	       "admit_mem_ms=%.1f admit_over_mem=%.2f admit_critical_ms=%.2f "
	       "join10_host_cpu_ms=%.3f leave_fresh_ek_host_cpu_ms=%.3f fresh_ek_over_cached=%.2f "
	       "leave_mem_ms=%.1f leave_critical_ms=%.2f roster_bytes=%zu connect_ms=%.0f runs=%d\n",
	       n, median(join1, reps), median(leave, reps), median(nadm, e2e), msgs, bytes, codeword,
	       median(nlv, e2e), median(echo, e2e), median(nlv, e2e) / median(echo, e2e),
	       median(rcpu, e2e), median(lcpu, e2e), median(adm, e2e), median(nadm, e2e) / median(adm, e2e), median(adm_c, e2e),
	       median(join10, reps), median(leave_nc, reps), median(leave_nc, reps) / median(leave, reps),
	       median(lv, e2e), median(lv_c, e2e),
	       roster_bytes, connect_ms, e2e);
	fflush(stdout);

	meeting_free(&mt);
	free(saved);
	free(join1);
	free(join10);
	free(leave);
	free(leave_nc);
	free(adm);
	free(adm_c);
	free(lv);
	free(lv_c);
	free(nadm);
	free(nlv);
	free(echo);
	free(rcpu);
	free(lcpu);
}

static double bench_codeword(void)
{
	double t[5];
	uint8_t ik[E2EE_IDENTITY_KEY_BYTES];
	char word[E2EE_CODEWORD_SIZE];

	for (int i = 0; i < 5; i++) {
		double t0;

		randombytes_buf(ik, sizeof(ik));
		t0 = wall_ms();
		CHECK("codeword", e2ee_codeword(ik, word));
		t[i] = wall_ms() - t0;
	}
	return median(t, 5);
}

/* bench-keying [N...]: the sizes (default 10 100 1000). */
int main(int argc, char **argv)
{
	unsigned int sizes[8] = { 10, 100, 1000 };
	size_t n_sizes = 3;
	const char *relay_py = getenv("KX_BENCH_RELAY") ?: "tests/fixtures/relay.py";
	char dir[] = "/tmp/bench-keying-XXXXXX", ca[64];
	struct rlimit nofile;
	double codeword;
	uint16_t port;

	if (argc > 1) {
		for (n_sizes = 0; n_sizes < 8 && (int)n_sizes + 1 < argc; n_sizes++)
			sizes[n_sizes] = (unsigned int)strtoul(argv[n_sizes + 1], NULL, 10);
		for (size_t i = 0; i < n_sizes; i++)
			if (sizes[i] < 3) {
				fprintf(stderr, "usage: bench-keying [N...] (each N >= 3)\n");
				return 2;
			}
	}
	CHECK("kx_init", kx_init());
	/* 1000 connections here and as many in the relay (which inherits this). */
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 4096) {
		nofile.rlim_cur = nofile.rlim_max < 4096 ? nofile.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (access(relay_py, R_OK) || !mkdtemp(dir)) {
		fprintf(stderr, "bench-keying: needs the relay fixture %s (KX_BENCH_RELAY) and /tmp\n",
			relay_py);
		return 1;
	}
	port = relay_start(relay_py, dir);
	snprintf(ca, sizeof(ca), "%s/certs/ca.pem", dir);
	printf("keying: n counts the host; CPU = the host's only, pair keys cached unless "
	       "'fresh_ek' (a fresh EK for every fresh epoch: keyxchgd); admit_to_acked/leave_to_acked = over loopback: host and every member "
	       "on its own TLS WebSocket (kx_ws) through the Python relay fixture, members in "
	       "this one process; transport_ms = the same traffic without crypto (baseline); "
	       "*_mem = every side in memory, serially; *_critical = host + slowest member + "
	       "host's ack parsing (memory)\n");
	printf("keying: targets (issue): leave in a meeting of 100 under 10 ms of host CPU, "
	       "of 1000 under 100 ms\n");
	fflush(stdout);
	codeword = bench_codeword();
	for (size_t i = 0; i < n_sizes; i++) {
		if (sizes[i] + BATCH_MAX > KX_MAX_MEMBERS) {
			printf("keying: n=%u skipped: above KX_MAX_MEMBERS (%d)\n", sizes[i],
			       KX_MAX_MEMBERS);
			continue;
		}
		bench_size(sizes[i], codeword, port, ca);
	}
	relay_stop();
	{
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "bench-keying: could not remove %s\n", dir);
	}
	return 0;
}
