/* SPDX-License-Identifier: MIT */
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
 *     knockers;
 *   - version 2 (PROTOCOL.md): the host removes members (their IK barred)
 *     and ends the meeting (signed, terminal); admissions name the knock
 *     shown and only people pin keys; meeting ids bind the host's IK (the
 *     meeting code), two hellos for one meeting stop a joiner, media goes
 *     only to a confirmed host; one group security code per epoch; each
 *     epoch's media keys handed to the key subscriber once, a fresh epoch
 *     (at most one per 10 s on request) for a media daemon that restarts.
 *
 * This header: the state keyxchgd's files share (struct app, one per
 * process, owned by main(); peers, media key metadata, the secrets block)
 * and the functions they call across files (kxd_ prefix). Not an API.
 */
#ifndef KXD_KEYXCHGD_H
#define KXD_KEYXCHGD_H

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
#include "kx/settings.h"
#include "kx/adminpin.h"
#include "../net/kx_ws.h"
#include "../net/kx_ws_url.h"

#define RESEND_MS  1000
#define RESEND_MAX 30
#define SWITCH_MS  2000
#define GRACE_MS   10000
#define HISTORY	   16
/* EKs a member keeps announced and unused (one per heartbeat period, T/4:
 * 8 minutes of acks the host did not take at the default T). */
#define ANNOUNCED_MAX 64
#define KEYS_MAX   16384 /* 1024 members, 2 streams, a few epochs in their grace period */
#define STREAMS	   2	 /* audio 0, video 1 */
/* Defaults of the options (DAEMON.md) */
#define REKEY_INTERVAL_S  600  /* periodic fresh secret */
#define JOIN_BATCH_MS	  1000 /* admissions within this become one epoch */
#define ANNOUNCE_WINDOW_S 60   /* announce and leave times must be this close to ours */
#define LOBBY_MAX	  32   /* knocks of unknown identities held at once */
#define CODEWORDS_PER_S	  4    /* Argon2id runs for unknown identities */
#define KNOCK_TTL_MS	  (10 * 60 * 1000)
#define TAKEOVER_S	  30 /* the host silent this long: its successor takes over */
/* A member with no verified word from its host for its own epoch this long
 * (the takeover time / 2: two heartbeats lost) is out of sync (PROTOCOL.md 6.6). */
#define LIVENESS_DIV 2
/*
 * An epoch's media keys go to the key subscriber once (PROTOCOL.md 6.8): a
 * media daemon that subscribes again mid-epoch waits for a fresh epoch. The
 * host grants at most one fresh epoch on request per REKEY_REQUEST_GAP_MS
 * (requests meanwhile are held as one); a member resends its request every
 * REKEY_REQUEST_RESEND_MS until the fresh epoch's keys come.
 */
#define REKEY_REQUEST_GAP_MS	10000
#define REKEY_REQUEST_RESEND_MS 2000
/*
 * KIDs carry the epoch mod 256 (frame-format.md): no epoch may start while a
 * key of the epoch 256 before it is still held (its KID would be reused).
 */
#define KID_EPOCHS 256

enum state { ST_IDLE, ST_LOBBY, ST_MEETING, ST_LEFT, ST_DENIED, ST_ENDED, ST_EQUIVOCATION };
extern const char *const kxd_state_names[];

/*
 * A member's reason to send media to its host (PROTOCOL.md 6.5): none until
 * the host answers the meeting code typed, was pinned by a person before, or
 * is verified now.
 */
enum trust { TRUST_NONE, TRUST_BOUND, TRUST_PINNED, TRUST_VERIFIED };

/*
 * A member's sync with its host (PROTOCOL.md 6.6): in sync while it verified
 * a host message for its own epoch within the liveness bound and the host's
 * confirmation matches its secret; else out of sync, or split when the host
 * (or another member) signs another roster for the same epoch. Only in sync
 * does it send media (its send keys are withdrawn otherwise).
 */
enum sync { SYNC_OK, SYNC_OUT, SYNC_SPLIT };
extern const char *const kxd_sync_names[];
extern const char *const kxd_trust_names[];
#define HELLOS_REFUSED_MAX 16 /* Argon2id runs spent on hellos that fail the code */

struct peer {
	bool used, knocked, verified;
	uint8_t verified_ik[KX_IK_BYTES]; /* verified means: this IK was compared */
	uint16_t id;
	struct kx_announce ann;		   /* the last valid announce */
	uint8_t knock_hash[KX_HASH_BYTES]; /* H(ann) */
	long long knocked_at;
	uint64_t knock_seq;	      /* arrival order, for the codeword queue */
	bool cw_pending;	      /* its codeword waits for the Argon2id budget */
	bool auto_admit;	      /* allow-listed with the same IK */
	bool barred;		      /* its knock's IK was removed from this meeting */
	bool admit_pending;	      /* admitted, waiting for the batch to close */
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
	uint64_t rekey_req_ms; /* host: time of its last accepted rekey request */
	long long acked_epoch; /* -1: none */
	uint64_t ack_time_ms;  /* host: the time of its last ack taken (replays refused) */
	/* host: the EK its last ack announced for the next fresh epoch */
	uint8_t next_ek[KX_EK_BYTES];
	bool have_next_ek;
	unsigned long confirm_failed; /* acks whose confirmation was another secret's */
	long long resend_at;
	int resends;
};

/* Metadata of a held media key; the key itself is in struct secrets. */
struct media_key {
	bool used;
	uint64_t kid, epoch;
	uint16_t sender; /* the participant whose media it opens (or sends) */
	bool send;
	bool handed; /* went to a key subscriber: never again (PROTOCOL.md 6.8) */
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
	/* The meeting service (--relay, or <state>/service-url once set):
	 * the address as given, and its parts (kx_ws_url.h). */
	char service[KX_WS_URL_MAX + 1];
	char relay_host[KX_WS_HOST_MAX + 1];
	uint16_t relay_port;
	char relay_path[KX_WS_URL_MAX + 1]; /* "" or "/seg...": rooms are under it */
	char room_name[KX_NAME_MAX + 1];    /* <state>/room-name; "" when not set */
	const char *relay_option;           /* --relay: the service when none is set */
	long long settings_at;              /* kxd_now_ms() of the last settings write, 0: none */
	/* The admin PIN (kxd_pin.c): its verifier, wrong PINs since the last
	 * right one, and the lockout's end (kxd_now_ms(), 0: none). */
	bool have_pin;
	char pin_verifier[KX_PIN_VERIFIER_MAX + 1];
	unsigned int pin_failures;
	long long pin_locked_until;
	/* Per peer uid (keyxchgd's own and each --allow-uid): the PIN checks'
	 * rate limit (the time its next check is due, GCRA) and whether it gave
	 * the right PIN since this start (then its checks write nothing ahead). */
	struct pin_peer {
		uid_t uid;
		long long due;
		bool proven;
	} pin_peers[1 + KX_CTL_ALLOWED_MAX];
	size_t n_pin_peers;
	unsigned long pin_checks, pin_checks_refused; /* Argon2id runs; refused by the rate */
	long long pin_refused_said; /* the last log line about the refusals */
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
	int self;	  /* participant id, -1 before the relay's welcome */
	struct kx_ws *ws; /* under way (kx_ws_connect_step) until ws_open */
	bool ws_open;
	long long reconnect_at;
	int backoff_ms;
	struct kx_ek ek;
	bool have_ek;
	/* member: the EKs its acks announced for the next fresh epoch (PROTOCOL.md
	 * 7.3), oldest first, a new one in every ack answering a heartbeat; the
	 * newest is the one its acks announce while have_next_ek. Each is kept
	 * until a roster lists it or a later one: the host lists the EK of the
	 * last ack it took, which may be any of them when acks were lost (keeping
	 * only the last two locked a member out for good). The one a roster lists
	 * becomes ek; it, the old ek and those announced before it are wiped. */
	struct kx_ek announced[ANNOUNCED_MAX];
	unsigned int n_announced;
	bool have_next_ek;
	struct kx_chain *chain;
	struct secrets *sec; /* sodium_malloc'd */
	bool have_secret;
	/* The group security code of the held epoch (PROTOCOL.md 7.1), "" when
	 * its secret is not held. */
	char group_code[E2EE_CODEWORD_SIZE];
	struct kx_msg *hello;	      /* member: the host's roster before admission */
	struct kx_chain *hello_chain; /* the same, held to check a deny with */
	bool have_hello;
	uint8_t knock_hash[KX_HASH_BYTES]; /* member: H(the knock sent last) */
	bool have_knock;
	enum state end_state;	/* ST_LEFT, ST_DENIED: tear down after the relay pump */
	bool host_left;		/* the held roster's host signed its leave */
	long long host_seen;	/* member: when the host last signed something we took */
	long long heartbeat_at; /* host: the next heartbeat */
	uint64_t heartbeat_ms;	/* member: the host time of the last heartbeat taken */
	unsigned long heartbeats_refused;
	enum sync sync;		/* member (PROTOCOL.md 6.6) */
	char sync_why[160];
	uint64_t split_epoch;	/* the held epoch when the split was seen */
	uint64_t host_ahead;	/* member: the latest epoch its host was seen signing */
	long long synced_at;	/* member: the last verified host word for its own epoch */
	/* Our chain's last HISTORY (epoch, H(roster)): a signed word of another
	 * roster for one of them is a fork (PROTOCOL.md 6.7). */
	uint8_t chain_hashes[HISTORY][KX_HASH_BYTES];
	uint64_t chain_epochs[HISTORY];
	bool chain_have[HISTORY];
	/* After a takeover: the host taken over from; its word for the takeover
	 * epoch or later shows it still hosts (a fork). */
	bool have_deposed;
	uint16_t deposed_id;
	uint8_t deposed_ik[KX_IK_BYTES];
	uint64_t deposed_epoch;
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
	/* A key subscriber came back mid-epoch: the epoch's keys were handed
	 * already, so it waits for a fresh epoch (PROTOCOL.md 6.8). */
	bool keys_waiting;
	uint64_t keys_waiting_epoch;
	long long rekey_req_at; /* member: the next (re)send of its request */
	/* host: a fresh epoch owed on request, when the gap allows */
	bool rekey_pending;
	uint64_t rekey_pending_epoch;
	long long rekey_granted_at;
	unsigned long rekey_requests, rekey_requests_refused, rekeys_on_request;
	/* The epoch whose send keys went to the media daemon last: a member back
	 * in sync in that epoch asks for a fresh one instead of handing them
	 * again (its counters would start again under the same key). */
	bool send_handed;
	uint64_t send_handed_epoch;
	/* IKs the host removed from this meeting: never admitted again unless a
	 * person admits a new knock by its codeword (PROTOCOL.md 6.4). */
	uint8_t barred[KX_MAX_MEMBERS][KX_IK_BYTES];
	unsigned int n_barred;
	bool stop;
};

/* keyxchgd.c: the core (clocks, log, peers, media keys, teardown) */
long long kxd_now_ms(void);
uint64_t kxd_wall_ms(void);
__attribute__((format(printf, 1, 2))) void kxd_logmsg(const char *fmt, ...);
struct peer *kxd_peer_get(struct app *a, uint16_t id, bool create);
const char *kxd_pin_name(int pin);
const char *kxd_word_of(struct app *a, const uint8_t ik[static KX_IK_BYTES]);
uint64_t kxd_oldest_held_epoch(const struct app *a);
void kxd_key_remove(struct app *a, size_t j);
int kxd_key_install(struct app *a, uint16_t sender, unsigned int t);
void kxd_install_epoch_keys(struct app *a);
void kxd_emit_send_kids(struct app *a, uint64_t epoch);
void kxd_drop_departed(struct app *a);
void kxd_switch_send(struct app *a);
void kxd_teardown(struct app *a, enum state state);

/* kxd_control.c: events and requests of the control socket */
int kxd_emit(struct app *a, unsigned int kind, json_t *ev);
__attribute__((format(printf, 2, 3))) void kxd_warn_event(struct app *a, const char *fmt, ...);
void kxd_emit_state(struct app *a);
void kxd_emit_roster(struct app *a);
void kxd_on_request(void *user, int client, const struct kx_ctl_cmd *cmd);

/* kxd_settings.c: the room's settings (room name, meeting service, identity
 * reset; DAEMON.md "State files") */
int kxd_settings_load(struct app *a, const char *relay_option);
void kxd_on_settings_request(struct app *a, int client, const struct kx_ctl_cmd *cmd);
/* The settings' rate limit: true, the write counted; false, refused (replied). */
bool kxd_settings_rate_ok(struct app *a, int client, const struct kx_ctl_cmd *cmd);

/* kxd_pin.c: the admin PIN (verifier, wrong PINs counted, lockout) */
void kxd_pin_load(struct app *a);
/* Whether cmd's PIN is right; if not, the reply is sent (what: for the log). */
bool kxd_pin_check(struct app *a, int client, const struct kx_ctl_cmd *cmd, const char *what);
void kxd_on_check_pin(struct app *a, int client, const struct kx_ctl_cmd *cmd);
void kxd_set_admin_pin(struct app *a, int client, const struct kx_ctl_cmd *cmd);
/* keyxchgd --hash-admin-pin: a PIN on stdin, its verifier on stdout; exit status. */
int kxd_hash_admin_pin(void);

/* kxd_relay.c: the relay link */
bool kxd_relay_open(const struct app *a);
int kxd_send_body(struct app *a, int to, const char *json);
int kxd_send_msg(struct app *a, int to, struct kx_msg *m, bool sign);
void kxd_history_add(struct app *a, const struct kx_msg *m);
void kxd_on_relay_message(void *user, const char *text, size_t len);
void kxd_relay_step(struct app *a);
int kxd_relay_connect(struct app *a);
void kxd_relay_lost(struct app *a);
void kxd_relay_flush(struct app *a);

/* kxd_host.c: the host */
int kxd_host_next_epoch(struct app *a, uint16_t removed, bool fresh);
void kxd_admit_later(struct app *a, struct peer *p);
int kxd_host_start(struct app *a);
void kxd_host_resend(struct app *a, struct peer *p);
bool kxd_within_window(const struct app *a, uint64_t t_ms);
int kxd_pin_confirmed(struct app *a, const char *device, const uint8_t ik[static KX_IK_BYTES]);
bool kxd_knock_named(const struct peer *p, const char *hex);
void kxd_knock_drop(struct app *a, struct peer *p);
void kxd_on_announce(struct app *a, int from, const char *json, size_t len);
void kxd_codeword_queue(struct app *a);
void kxd_on_ack(struct app *a, int from, const char *json, size_t len);
int kxd_host_remove(struct app *a, uint16_t id);
int kxd_send_deny(struct app *a, struct peer *p);
void kxd_end_meeting(struct app *a);
void kxd_host_rekey_requested(struct app *a, uint64_t epoch);
void kxd_on_rekey_request(struct app *a, int from, const char *json, size_t len);

/* kxd_member.c: member, knocker, successor */
bool kxd_media_allowed(const struct app *a);
void kxd_host_verified(struct app *a);
void kxd_knock(struct app *a);
void kxd_on_roster(struct app *a, int from, const char *json, size_t len);
void kxd_on_epoch_key(struct app *a, int from, const char *json, size_t len);
void kxd_take_over(struct app *a, const char *why);
void kxd_on_leave(struct app *a, int from, const char *json, size_t len);
void kxd_on_end(struct app *a, int from, const char *json, size_t len);
void kxd_on_deny(struct app *a, int from, const char *json, size_t len);
void kxd_leave_meeting(struct app *a);
void kxd_keys_withheld(struct app *a, uint64_t epoch);
void kxd_send_rekey_request(struct app *a);

/* kxd_sync.c: heartbeats and acks (time, next EK, key confirmation), a
 * member's sync with its host (liveness, out of sync, split), fresh EKs */
int kxd_send_ack(struct app *a, int to);
void kxd_on_host_ack(struct app *a, const char *json, size_t len);
bool kxd_ack_taken(struct app *a, const struct kx_msg *m);
void kxd_out_of_sync(struct app *a, enum sync s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void kxd_in_sync(struct app *a, bool confirmed);
void kxd_sync_timers(struct app *a);
void kxd_chain_note(struct app *a);
void kxd_deposed(struct app *a, const struct kx_roster *old, uint64_t epoch);
void kxd_cross_check(struct app *a, const char *json, size_t len, int ret);
int kxd_host_fresh_eks(struct app *a, struct kx_roster *r, struct kx_ek *host_ek);
int kxd_member_ek_rotate(struct app *a, const struct kx_member *me);
void kxd_free_next_eks(struct app *a);

#endif
