// SPDX-License-Identifier: MIT
/*
 * keyxchgd's core: the process (options, the poll loop, timers, signals), what
 * every role shares (clocks, the log, the participant table, pin names and
 * codewords), and the media keys handed to the media daemon (derivation per
 * epoch, the send switch, grace periods, the KID guard, teardown). The roles
 * are in kxd_host.c (host), kxd_member.c (member, knocker, successor),
 * kxd_relay.c (the relay link) and kxd_control.c (the control socket);
 * keyxchgd.h holds the state they share.
 */
#define _GNU_SOURCE
#include "crash-report.h"
#include "keyxchgd.h"

const char *const kxd_state_names[] = { "idle",  "lobby", "in-meeting",  "left",
					 "denied", "ended", "equivocation" };
const char *const kxd_trust_names[] = { "unconfirmed", "bound", "pinned", "verified" };

long long kxd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t kxd_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void kxd_logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("keyxchgd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The peer of id, found in constant time (acks of 1000 members add up). */
struct peer *kxd_peer_get(struct app *a, uint16_t id, bool create)
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

const char *kxd_pin_name(int pin)
{
	return pin == KX_PIN_SAME ? "same" : pin == KX_PIN_CHANGED ? "changed" : "new";
}

/* The codeword of ik, for one message (a static buffer). */
const char *kxd_word_of(struct app *a, const uint8_t ik[static KX_IK_BYTES])
{
	static char word[E2EE_CODEWORD_SIZE];

	if (kx_codeword(&a->cw, ik, word))
		strcpy(word, "?");
	return word;
}

static void key_event(struct app *a, struct media_key *k, bool install, const uint8_t *key)
{
	int n;

	char hex[2 * KX_SECRET_BYTES + 1];
	json_t *ev = json_pack("{s:s, s:s, s:I, s:s}", "event", "media-key", "action",
			       install ? "install" : "remove", "kid", (json_int_t)k->kid, "usage",
			       k->send ? "send" : "receive");

	if (install) {
		sodium_bin2hex(hex, sizeof(hex), key, KX_SECRET_BYTES);
		json_object_set_new(ev, "key", json_string(hex));
		sodium_memzero(hex, sizeof(hex));
	}
	n = kxd_emit(a, KX_CTL_EV_KEYS, ev);
	/* Handed to a subscriber: never handed again (PROTOCOL.md 6.8), not
	 * even after it was withdrawn (out of sync, kxd_sync.c). */
	if (install && n > 0) {
		k->handed = true;
		if (k->send) {
			a->send_handed = true;
			a->send_handed_epoch = k->epoch;
		}
	}
}

/* Key j goes: announced removed, wiped. */
void kxd_key_remove(struct app *a, size_t j)
{
	struct media_key *k = &a->keys[j];

	key_event(a, k, false, NULL);
	sodium_memzero(a->sec->media[j], KX_SECRET_BYTES);
	sodium_memzero(k, sizeof(*k));
}

static void expire_keys(struct app *a, bool all)
{
	long long now = kxd_now_ms();

	for (size_t j = 0; j < KEYS_MAX; j++) {
		struct media_key *k = &a->keys[j];

		if (k->used && (all || (k->remove_at && k->remove_at <= now)))
			kxd_key_remove(a, j);
	}
}

/* The oldest epoch of which a media key is still held, or the held epoch. */
uint64_t kxd_oldest_held_epoch(const struct app *a)
{
	uint64_t e = a->chain->roster.epoch;

	for (size_t j = 0; j < KEYS_MAX; j++)
		if (a->keys[j].used && a->keys[j].epoch < e)
			e = a->keys[j].epoch;
	return e;
}

/*
 * The media key of (held epoch, sender, stream t), derived from the epoch
 * secret and handed over. Returns 0, -ENOSPC (no slot: said), -EIO.
 */
int kxd_key_install(struct app *a, uint16_t sender, unsigned int t)
{
	const struct kx_roster *r = &a->chain->roster;
	uint8_t key[KX_SECRET_BYTES];
	struct media_key *k = NULL;

	for (size_t j = 0; j < KEYS_MAX && !k; j++)
		if (!a->keys[j].used)
			k = &a->keys[j];
	if (!k) {
		kxd_warn_event(a, "too many media keys held");
		return -ENOSPC;
	}
	if (kx_media_key(a->sec->epoch, r->meeting, sender, t, r->epoch, key)) {
		sodium_memzero(key, sizeof(key));
		return -EIO;
	}
	k->used = true;
	k->kid = kx_media_kid(t, sender, r->epoch);
	k->epoch = r->epoch;
	k->sender = sender;
	k->send = sender == a->self;
	k->remove_at = 0;
	kx_fingerprint_hex(key, sizeof(key), k->fp);
	memcpy(a->sec->media[k - a->keys], key, sizeof(key));
	key_event(a, k, true, key);
	sodium_memzero(key, sizeof(key));
	return 0;
}

/*
 * Is the sender of a key of epoch e still in the held roster, as the same
 * participant (not a later admission under its id: the roster that last
 * added it, `since`, is not after e)?
 */
static bool sender_listed(struct app *a, uint16_t sender, uint64_t e)
{
	const struct peer *p;

	if (!kx_roster_find(&a->chain->roster, sender))
		return false;
	p = kxd_peer_get(a, sender, false);
	return !p || p->since <= e;
}

/*
 * The held roster no longer lists a participant (removed, left, dropped by a
 * takeover): its keys of every epoch go at once, grace period or not
 * (PROTOCOL.md 6.4). The grace is for the frames in flight of the senders who
 * remain; the people who pressed Remove want none of a removed sender's. Called
 * on every roster taken or made, before its keys are installed and before the
 * roster event (CONTROL.md): a key subscriber that comes later finds no key of
 * a departed sender to be handed either.
 */
void kxd_drop_departed(struct app *a)
{
	char who[64] = "";
	size_t used = 0;
	unsigned int n = 0;
	uint16_t last = KX_NO_PARTICIPANT;

	for (size_t j = 0; j < KEYS_MAX; j++) {
		struct media_key *k = &a->keys[j];

		if (!k->used || sender_listed(a, k->sender, k->epoch))
			continue;
		/* Named in the log line (keys of one sender mostly come together). */
		if (k->sender != last && used < sizeof(who) - 8)
			used += (size_t)snprintf(who + used, sizeof(who) - used, " p%u", k->sender);
		last = k->sender;
		n++;
		kxd_key_remove(a, j);
	}
	if (n)
		kxd_logmsg("epoch %llu: not in the roster:%s; their %u keys removed at once",
			   (unsigned long long)a->chain->roster.epoch, who, n);
}

/* The media keys of every member of the held roster at its epoch (PROTOCOL.md 7). */
void kxd_install_epoch_keys(struct app *a)
{
	const struct kx_roster *r = &a->chain->roster;

	/* A KID names the epoch mod 256 and the key provider keeps the key it
	 * holds under a KID: a key of the epoch 256 before (a host that moved
	 * faster than our grace period) goes first, announced removed. */
	if (r->epoch - kxd_oldest_held_epoch(a) >= KID_EPOCHS) {
		for (size_t j = 0; j < KEYS_MAX; j++)
			if (a->keys[j].used && r->epoch - a->keys[j].epoch >= KID_EPOCHS)
				a->keys[j].remove_at = 1; /* due now */
		expire_keys(a, false);
	}
	for (uint32_t i = 0; i < r->n_members; i++)
		for (unsigned int t = 0; t < STREAMS; t++)
			/* Not in sync: no send key (PROTOCOL.md 6.6); it comes back then. */
			if ((r->members[i].id != a->self || a->sync == SYNC_OK) &&
			    kxd_key_install(a, r->members[i].id, t) == -ENOSPC)
				return;
	/* A media daemon that waited for a fresh epoch has its keys now. */
	if (a->keys_waiting && r->epoch > a->keys_waiting_epoch) {
		a->keys_waiting = false;
		kxd_logmsg("epoch %llu: the waiting media daemon is keyed again",
			   (unsigned long long)r->epoch);
	}
	a->switch_epoch = r->epoch;
	a->switch_at = kxd_now_ms() + SWITCH_MS;
	/* One code for every room of this epoch; the panel shows it (7.1). */
	if (kx_group_code(a->sec->epoch, r->meeting, r->epoch, a->chain->hash, a->group_code))
		a->group_code[0] = 0;
	else
		kxd_emit(a, KX_CTL_EV_ROSTER,
			 json_pack("{s:s, s:I, s:s}", "event", "group-code", "epoch",
				   (json_int_t)r->epoch, "code", a->group_code));
}

/* The media daemon moves e2eeenc's send KIDs to epoch's. */
void kxd_emit_send_kids(struct app *a, uint64_t epoch)
{
	for (unsigned int t = 0; t < STREAMS; t++)
		kxd_emit(a, KX_CTL_EV_KEYS,
		     json_pack("{s:s, s:I}", "event", "send-kid", "kid",
			       (json_int_t)kx_media_kid(t, (uint16_t)a->self, epoch)));
}

/* Send keys move to the held epoch; older keys go after the grace period. */
void kxd_switch_send(struct app *a)
{
	long long now = kxd_now_ms();

	/* No media to an unconfirmed host (PROTOCOL.md 6.5): the keys are held,
	 * the send KID waits for the people's verify. */
	if (kxd_media_allowed(a))
		kxd_emit_send_kids(a, a->switch_epoch);
	for (size_t j = 0; j < KEYS_MAX; j++)
		if (a->keys[j].used && a->keys[j].epoch < a->switch_epoch && !a->keys[j].remove_at)
			a->keys[j].remove_at = now + GRACE_MS;
	a->switch_at = 0;
	a->sending = true;
	a->send_epoch = a->switch_epoch;
}

/* Out of the meeting (state: left or denied): every key removed, the secret wiped. */
void kxd_teardown(struct app *a, enum state state)
{
	kx_ws_free(a->ws);
	a->ws = NULL;
	a->ws_open = false;
	a->reconnect_at = 0;
	a->state = state;
	a->meeting_code[0] = '\0'; /* status names no code of a meeting gone */
	sodium_memzero(a->code, sizeof(a->code));
	a->have_code = false;
	a->have_secret = false;
	a->group_code[0] = 0;
	a->sending = false;
	a->switch_at = 0;
	a->end_state = ST_IDLE;
	a->have_knock = false;
	a->batch_at = 0;
	a->keys_waiting = a->rekey_pending = a->send_handed = false;
	if (a->have_ek) {
		kx_ek_free(&a->ek); /* forward secrecy of this meeting */
		a->have_ek = false;
	}
	kxd_free_next_eks(a);
	a->sync = SYNC_OK;
	a->heartbeat_ms = 0;
	a->have_deposed = false;
	a->host_ahead = 0;
	memset(a->chain_have, 0, sizeof(a->chain_have));
	sodium_memzero(a->sec->epoch, sizeof(a->sec->epoch));
	expire_keys(a, true);
	kxd_emit_state(a);
}

static void timers(struct app *a)
{
	long long now = kxd_now_ms();

	if (!a->ws && a->reconnect_at && now >= a->reconnect_at &&
	    (a->state == ST_LOBBY || a->state == ST_MEETING))
		kxd_relay_connect(a);
	if (a->switch_at && now >= a->switch_at)
		kxd_switch_send(a);
	expire_keys(a, false);
	if (a->host && a->state == ST_MEETING && kxd_relay_open(a) && now >= a->heartbeat_at) {
		/* Alive: members take a successor's roster only after silence. */
		kxd_send_ack(a, -1);
		a->heartbeat_at = now + a->takeover_ms / 4;
	}
	if (!a->host && a->state == ST_MEETING && a->keys_waiting && kxd_relay_open(a) &&
	    now >= a->rekey_req_at)
		kxd_send_rekey_request(a);
	if (!a->host && a->state == ST_MEETING && a->chain->started && kxd_relay_open(a) &&
	    now - a->host_seen >= a->takeover_ms)
		kxd_take_over(a, "the host has signed nothing for too long");
	kxd_sync_timers(a);
	if (a->host && a->state == ST_MEETING) {
		kxd_codeword_queue(a);
		for (size_t i = 0; i < KX_MAX_MEMBERS; i++)
			if (a->peers[i].used && a->peers[i].knocked && !a->peers[i].admit_pending &&
			    now - a->peers[i].knocked_at > KNOCK_TTL_MS)
				kxd_knock_drop(a, &a->peers[i]);
		/* The batch of admissions closes; or a periodic fresh secret
		 * (which takes the admissions waiting along). */
		if (a->rekey_ms && now - a->fresh_at >= a->rekey_ms)
			kxd_host_next_epoch(a, KX_NO_PARTICIPANT, true);
		else if (a->rekey_pending && now - a->rekey_granted_at >= REKEY_REQUEST_GAP_MS)
			kxd_host_rekey_requested(a, a->rekey_pending_epoch);
		else if (a->batch_at && now >= a->batch_at)
			kxd_host_next_epoch(a, KX_NO_PARTICIPANT, false);
	}
	if (a->host && a->chain->started && kxd_relay_open(a))
		for (size_t i = 0; i < KX_MAX_MEMBERS; i++) {
			struct peer *p = &a->peers[i];

			if (p->used && kx_roster_find(&a->chain->roster, p->id) &&
			    p->acked_epoch != (long long)a->chain->roster.epoch && p->resend_at &&
			    now >= p->resend_at && p->resends < RESEND_MAX)
				kxd_host_resend(a, p);
		}
}

static volatile sig_atomic_t stop_signal;

static void ctl_log(const char *line)
{
	kxd_logmsg("%s", line);
}

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
	fputs("usage: keyxchgd --state-dir DIR --socket PATH --relay wss://HOST[:PORT][/PATH] --ca FILE "
	      "--device ID [--allow-uid UID]... [--media-uid UID] [--rekey-interval S] "
	      "[--join-batch-ms MS] [--announce-window S] [--lobby-max N] "
	      "[--codewords-per-second N] [--takeover-after S]\n"
	      "       keyxchgd --hash-admin-pin < PIN (prints the admin PIN's verifier)\n",
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

	if (crash_report_install("keyxchgd"))
		return 1;
	/* Provisioning (DAEMON.md "The admin PIN"): no state, any user. */
	if (argc == 2 && !strcmp(argv[1], "--hash-admin-pin"))
		return kxd_hash_admin_pin();
	/* The identity key and the power to admit belong to a user of their own
	 * (docs/processes.md): as root, SO_PEERCRED's rules would guard nothing. */
	if (getuid() == 0 || geteuid() == 0) {
		fputs("keyxchgd: refusing to run as root: run it as its own user "
		      "(docs/processes.md)\n",
		      stderr);
		return 1;
	}
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
	    !kx_device_id_valid(a->device, strlen(a->device)))
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
		kxd_logmsg("cannot open the state directory %s: %s", a->state_dir, strerror(-ret));
		return 1;
	}
	/* The room name and the meeting service (--relay, or what was set). */
	ret = kxd_settings_load(a, relay);
	if (ret == -EINVAL && !a->service[0])
		return usage();
	if (ret)
		return 1;
	kxd_pin_load(a);
	kx_codeword_cache_init(&a->cw);
	if (kx_codeword(&a->cw, a->id.ik, a->codeword))
		return 1;
	a->chain = calloc(1, sizeof(*a->chain));
	a->hello = calloc(1, sizeof(*a->hello));
	a->hello_chain = calloc(1, sizeof(*a->hello_chain));
	if (!a->chain || !a->hello || !a->hello_chain)
		return 1;
	a->cw_tokens = a->cw_rate;
	a->cw_at = kxd_now_ms();
	kx_chain_init(a->chain);
	ret = kx_ctl_server_open(a->socket_path, &a->ctl, a->allowed, a->n_allowed, a->media_uid);
	if (ret) {
		kxd_logmsg("cannot listen on %s: %s", a->socket_path, strerror(-ret));
		return 1;
	}
	kx_ctl_server_set_log(a->ctl, ctl_log);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	kxd_logmsg("%s identity, codeword %s; control socket %s", created ? "new" : "existing",
	       a->codeword, a->socket_path);
	printf("keyxchgd ready codeword=%s\n", a->codeword);
	fflush(stdout);

	while (!stop_signal && !a->stop) {
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
		/* A client's requests queued in its buffer go one per pass
		 * (kx_ctl): no waiting while some are left. */
		if (poll(fds, n, kx_ctl_server_pending(a->ctl) ? 0 : 100) < 0 && errno != EINTR)
			break;
		kx_ctl_server_pump(a->ctl, fds, ws_at, kxd_on_request, a);
		if (a->ws && !a->ws_open) {
			/* Step also without an event: the attempt's deadline. */
			kxd_relay_step(a);
		} else if (a->ws && (n > ws_at && fds[ws_at].revents)) {
			if (kx_ws_pump(a->ws, kxd_on_relay_message, a))
				kxd_relay_lost(a);
		} else if (a->ws && kx_ws_wants_write(a->ws) &&
			   kx_ws_pump(a->ws, kxd_on_relay_message, a)) {
			kxd_relay_lost(a);
		}
		if (a->end_state != ST_IDLE)
			kxd_teardown(a, a->end_state);
		timers(a);
	}
	kxd_logmsg("stopping");
	expire_keys(a, true);
	sodium_memzero(a->sec->epoch, sizeof(a->sec->epoch));
	kx_ws_free(a->ws);
	kx_ctl_server_close(a->ctl);
	if (a->have_ek)
		kx_ek_free(&a->ek);
	kxd_free_next_eks(a);
	for (size_t i = 0; i < HISTORY; i++)
		free(a->history[i]);
	free(a->chain);
	free(a->hello);
	free(a->hello_chain);
	kx_pin_close(&a->allow);
	sodium_free(a->sec); /* wipes */
	kx_pin_close(&a->pins);
	kx_identity_close(&a->id);
	sodium_memzero(a->pin_verifier, sizeof(a->pin_verifier));
	return 0;
}
