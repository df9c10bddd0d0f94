/* SPDX-License-Identifier: MIT */
/*
 * The control socket of keyxchgd: a Unix stream socket for the room's media
 * daemon and touch panel, one JSON object per line. The protocol is in
 * keyxchg/CONTROL.md. Every peer is checked with SO_PEERCRED against the
 * uids allowed to talk to the daemon; media keys only go to peers that
 * subscribed to them.
 *
 * Call order (daemon side):
 *   kx_ctl_server_open()      bind, chmod, listen
 *   poll(kx_ctl_server_fds()) kx_ctl_server_pump() after every poll: at most
 *                             one request of each client reaches the
 *                             callback per pump; poll with a zero timeout
 *                             while kx_ctl_server_pending()
 *   kx_ctl_reply() / kx_ctl_broadcast()
 *   kx_ctl_server_close()
 */
#ifndef KX_CTL_H
#define KX_CTL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KX_CTL_LINE_MAX (64 * 1024)
#define KX_CTL_ID_MAX 64
#define KX_CTL_TEXT_MAX 128
#define KX_CTL_CLIENTS_MAX 16
#define KX_CTL_ALLOWED_MAX 8

enum kx_ctl_cmd_type {
	KX_CTL_JOIN = 1, /* meeting, role, name */
	KX_CTL_ADMIT, /* participant, and knock or codeword: the knock shown */
	KX_CTL_DENY, /* participant */
	KX_CTL_VERIFY, /* participant: the people in the room compared its codeword */
	KX_CTL_LEAVE,
	KX_CTL_REKEY, /* host: a fresh epoch secret now */
	KX_CTL_STATUS,
	KX_CTL_SUBSCRIBE, /* events: roster, keys, state (a bit set) */
	KX_CTL_REMOVE, /* participant: host, a member out with a fresh secret, its IK barred */
	KX_CTL_END, /* host: end the meeting for everyone */
	KX_CTL_SET_ROOM_NAME, /* name: the room's name in its knocks and status (persisted) */
	KX_CTL_SET_SERVICE, /* url: the meeting service's address (persisted; not in a meeting) */
	KX_CTL_RESET_IDENTITY, /* a new identity key, a new codeword (not in a meeting) */
	KX_CTL_CHECK_PIN, /* pin: the admin PIN, checked and counted (the panel's unlock) */
	KX_CTL_SET_ADMIN_PIN, /* pin (the current one), new_pin: the admin PIN changed */
};
/* The last command type: moves with the enum (the fuzz target's bound). */
#define KX_CTL_LAST KX_CTL_SET_ADMIN_PIN
/* The admin PIN a settings command carries: 6 to 12 digits (kx/adminpin.h). */
#define KX_CTL_PIN_MIN 6
#define KX_CTL_PIN_MAX 12

enum kx_ctl_events {
	KX_CTL_EV_ROSTER = 1 << 0, /* roster, knocks, warnings */
	KX_CTL_EV_KEYS = 1 << 1, /* media keys to install or remove, the send KID */
	KX_CTL_EV_STATE = 1 << 2, /* meeting state */
};

struct kx_ctl_cmd {
	enum kx_ctl_cmd_type type;
	char id[KX_CTL_ID_MAX + 1]; /* echoed in the reply; may be empty */
	char meeting[KX_CTL_TEXT_MAX + 1];
	char name[KX_CTL_TEXT_MAX + 1]; /* join: may be empty (the room name set) */
	char url[KX_CTL_TEXT_MAX + 1]; /* set-service */
	char code[KX_CTL_TEXT_MAX + 1]; /* join as member: the meeting code typed; may be empty */
	bool host;
	uint32_t participant;
	char codeword[KX_CTL_TEXT_MAX + 1]; /* admit: the codeword compared; may be empty */
	char knock[KX_CTL_TEXT_MAX + 1]; /* admit: the knock's hash as shown (hex); may be empty */
	unsigned int events;
	/* The admin PIN (set-room-name, set-service, reset-identity, check-pin):
	 * a secret. kx_ctl_server_pump wipes it, and the request line, once the
	 * callback returned; a caller of kx_ctl_parse wipes it itself. */
	char pin[KX_CTL_PIN_MAX + 1];
	char new_pin[KX_CTL_PIN_MAX + 1]; /* set-admin-pin: the new PIN (a secret, wiped alike) */
};

/*
 * Parses one request line (without its newline). Strict: an object, known
 * "cmd", the fields that command takes with the right types and sizes, no
 * others. Returns 0, or -EINVAL / -EMSGSIZE / -EPROTONOSUPPORT with *err a
 * static description.
 */
__attribute__((warn_unused_result, nonnull(1, 3, 4))) int
kx_ctl_parse(const char *line, size_t len, struct kx_ctl_cmd *cmd, const char **err);

struct kx_ctl_server;

/*
 * A request from client `client`; reply with kx_ctl_reply(). Subscriptions
 * are answered here; the callback then gets them too (without replying), to
 * send the subscriber what it missed.
 */
typedef void (*kx_ctl_request_cb)(void *user, int client, const struct kx_ctl_cmd *cmd);

/*
 * Listens at path (replacing a stale socket), mode 0660. Peers whose uid is
 * not ours and not in allowed[0..n_allowed) are refused at accept. Only our
 * own uid and media_uid (the media daemon's; (uid_t)-1 for none) may
 * subscribe to media keys.
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
kx_ctl_server_open(const char *path, struct kx_ctl_server **out, const uid_t *allowed,
		   size_t n_allowed, uid_t media_uid);

/* Fills fds (at most 1 + KX_CTL_CLIENTS_MAX) for poll(); returns how many. */
size_t kx_ctl_server_fds(const struct kx_ctl_server *s, struct pollfd *fds);

/*
 * Accepts and reads what poll reported, then hands the callback at most one
 * request of each client (the first line it has waiting): a client that
 * queues many lines gets one answered per pump, so the caller's loop runs
 * between them. A client whose unanswered requests fill its 64 KiB buffer
 * is dropped (said through the log function). Never blocks.
 */
void kx_ctl_server_pump(struct kx_ctl_server *s, const struct pollfd *fds, size_t n,
			kx_ctl_request_cb cb, void *user);

/* Whether a client has a request waiting that no poll will report: the
 * caller pumps again without waiting (poll timeout 0). */
bool kx_ctl_server_pending(const struct kx_ctl_server *s);

/* One line saying why a client was dropped (no newline); may be unset. */
typedef void (*kx_ctl_log_fn)(const char *line);
void kx_ctl_server_set_log(struct kx_ctl_server *s, kx_ctl_log_fn log);

/* The uid (SO_PEERCRED at accept) of a connected client: 0 or -ENOTCONN. */
__attribute__((warn_unused_result, nonnull(1, 3))) int
kx_ctl_client_uid(const struct kx_ctl_server *s, int client, uid_t *uid);

/* How many clients were dropped for a request too long or too many queued. */
unsigned int kx_ctl_dropped(const struct kx_ctl_server *s);

/* Sends one JSON object (a line, without newline) to a client. */
int kx_ctl_send(struct kx_ctl_server *s, int client, const char *json);

/* {"id": ..., "ok": true|false, "error"?: ..., plus extra members (a JSON
 * object text whose members are merged in, or NULL)}. */
int kx_ctl_reply(struct kx_ctl_server *s, int client, const struct kx_ctl_cmd *cmd, int status,
		 const char *error, const char *extra_object);

/* Sends an event line to every client subscribed to kind. Returns how many got it. */
int kx_ctl_broadcast(struct kx_ctl_server *s, unsigned int kind, const char *json);

/* How many peers were refused by the credential check (for tests and status). */
unsigned int kx_ctl_refused(const struct kx_ctl_server *s);

void kx_ctl_server_close(struct kx_ctl_server *s);

/*
 * Frees text made by jansson (json_dumps) with jansson's current free
 * function, which keyxchgd sets to libe2ee's wiping one
 * (json_set_alloc_funcs): plain free() on such a block is heap corruption.
 * Use it for every json_dumps() result, here and in the daemon.
 */
void kx_ctl_json_free(char *text);

#endif
