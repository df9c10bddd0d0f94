/* SPDX-License-Identifier: MIT */
/*
 * The signaling messages of keying.md "Messages": their structs, canonical
 * encodings (what the signatures cover), signing, and their JSON carriage.
 * PROTOCOL.md gives every field, size, order and JSON shape.
 *
 * Sending:  fill a struct kx_msg (type and the union member), kx_msg_sign(),
 *           kx_msg_to_json().
 * Receiving: kx_msg_parse() with the chain held (kx/chain.h); a roster then
 *           goes to kx_chain_accept() / kx_chain_start().
 *
 * All structs are plain data owned by the caller; a struct kx_msg holding a
 * roster is about 132 KiB, so keep it off small stacks. None holds a secret:
 * the epoch key message carries E_e sealed only.
 */
#ifndef KX_MSG_H
#define KX_MSG_H

#include "kx/kx.h"

struct kx_identity;
struct kx_chain;

enum kx_msg_type {
	KX_MSG_NONE = 0, /* for kx_msg_parse(): accept any type */
	KX_MSG_ANNOUNCE = 1,
	KX_MSG_ROSTER = 2,
	KX_MSG_EPOCH_KEY = 3,
	KX_MSG_ACK = 4,
	KX_MSG_LEAVE = 5,
	KX_MSG_DENY = 6,
	KX_MSG_END = 7,
	KX_MSG_REKEY_REQUEST = 8,
};
#define KX_MSG_LAST KX_MSG_REKEY_REQUEST

enum kx_role {
	KX_ROLE_HOST = 1,
	KX_ROLE_MEMBER = 2,
};

/* 1. announce / knock: a device asks to join (self-signed). */
struct kx_announce {
	uint8_t meeting[KX_MEETING_ID_BYTES];
	uint16_t from; /* participant id */
	char device[KX_DEVICE_MAX + 1];
	char name[KX_NAME_MAX + 1]; /* display name, UTF-8 */
	uint8_t ik[KX_IK_BYTES];
	uint8_t ek[KX_EK_BYTES];
	uint64_t time_ms; /* sender's clock, ms since 1970 */
};

struct kx_member {
	uint16_t id;  /* participant id, the SFrame sender index */
	uint8_t role; /* enum kx_role */
	char device[KX_DEVICE_MAX + 1];
	uint8_t ik[KX_IK_BYTES];
	uint8_t ek[KX_EK_BYTES];
};

struct kx_policy {
	bool e2ee, recording, pstn, lobby_locked;
};

/* 2. roster: the host's signed member list at epoch e; a hash chain. */
struct kx_roster {
	uint8_t meeting[KX_MEETING_ID_BYTES];
	uint64_t epoch;
	uint8_t prev[KX_HASH_BYTES]; /* H(roster_{e-1}); zeros at the first roster */
	uint16_t host;		     /* the signer */
	uint16_t successor;	     /* KX_NO_PARTICIPANT: none */
	struct kx_policy policy;
	uint32_t n_members;
	struct kx_member members[KX_MAX_MEMBERS]; /* strictly ascending ids */
};

/* 3. epoch key: E_e for one member, sealed under the pair key. */
struct kx_epoch_key {
	uint8_t meeting[KX_MEETING_ID_BYTES];
	uint64_t epoch;
	uint8_t roster[KX_HASH_BYTES]; /* H(roster_e) */
	uint16_t from;		       /* host */
	uint16_t to;		       /* member */
	uint8_t nonce[KX_NONCE_BYTES];
	uint8_t sealed[KX_SEALED_BYTES];
};

/*
 * 4. ack: a member has E_e of roster_e, and proves it (PROTOCOL.md 3.4);
 * the host's own ack to everyone is its heartbeat (PROTOCOL.md 6.3).
 */
struct kx_ack {
	uint8_t meeting[KX_MEETING_ID_BYTES];
	uint64_t epoch;
	uint8_t roster[KX_HASH_BYTES];
	uint16_t from;
	uint64_t time_ms;		/* sender's clock: a heartbeat replayed is refused */
	uint8_t ek[KX_EK_BYTES];	/* a member: its EK for the next fresh epoch;
					 * the host: its EK of roster_e */
	uint8_t confirm[KX_HASH_BYTES]; /* kx_confirm() of E_e: key confirmation */
};

/* 5. leave. */
struct kx_leave {
	uint8_t meeting[KX_MEETING_ID_BYTES];
	uint64_t epoch; /* the last epoch the leaver holds */
	uint16_t from;
	uint64_t time_ms;
};

/* 6. deny: the host turns a knock down; bound to that knock by its hash. */
struct kx_deny {
	uint8_t meeting[KX_MEETING_ID_BYTES];
	uint16_t from;		     /* the host */
	uint16_t to;		     /* the knocker */
	uint8_t knock[KX_HASH_BYTES]; /* kx_announce_hash() of the knock denied */
	uint64_t time_ms;
};

/*
 * 7. end: the host ends the meeting for everyone (PROTOCOL.md 3.7). Terminal
 * for a member: keys wiped, no takeover. Distinct from the host's leave,
 * which hands the meeting to its successor.
 */
struct kx_end {
	uint8_t meeting[KX_MEETING_ID_BYTES];
	uint64_t epoch; /* the host's final epoch */
	uint16_t from;	/* the host */
	uint64_t time_ms;
};

/*
 * 8. rekey request: a member asks the host for a fresh epoch because its
 * media daemon restarted and keyxchgd hands an epoch's media keys once
 * (PROTOCOL.md 3.8, 6.8). A leave's fields under its own label; epoch is
 * the epoch the member holds, whose keys its media daemon cannot have.
 */
struct kx_rekey_request {
	uint8_t meeting[KX_MEETING_ID_BYTES];
	uint64_t epoch; /* the epoch held by the requester */
	uint16_t from;	/* the member */
	uint64_t time_ms;
};

struct kx_msg {
	enum kx_msg_type type;
	uint8_t sig[KX_SIG_BYTES];
	union {
		struct kx_announce announce;
		struct kx_roster roster;
		struct kx_epoch_key epoch_key;
		struct kx_ack ack;
		struct kx_leave leave;
		struct kx_deny deny;
		struct kx_end end;
		struct kx_rekey_request rekey_request;
	} u;
};

/*
 * Upper bound of any canonical encoding: the roster with KX_MAX_MEMBERS
 * members of the longest device id (PROTOCOL.md gives the arithmetic).
 */
#define KX_CANON_MAX (160 * 1024)

/*
 * A display name as PROTOCOL.md 2 allows it: 1..64 bytes of strict UTF-8,
 * without C0 or C1 controls, DEL, Unicode format characters (Cf: bidi
 * controls, zero-width characters) or line and paragraph separators.
 */
KX_NONNULL(1) bool kx_display_name_valid(const char *s, size_t len);

/* The domain label of a type (static string), or NULL. */
const char *kx_msg_label(enum kx_msg_type type);
/* The JSON "type" of a type (static string), or NULL. */
const char *kx_msg_type_name(enum kx_msg_type type);

/*
 * Checks a message's fields against the protocol's rules (the same checks a
 * parser applies; PROTOCOL.md "Field rules"). Returns 0, -EINVAL, -EPROTO.
 */
KX_API KX_NONNULL(1) int kx_msg_check(const struct kx_msg *m);

/*
 * The canonical encoding of m (without its signature) into out[0..cap).
 * Returns 0 and sets *len, -ENOSPC, or a kx_msg_check() error.
 */
KX_API KX_NONNULL(1, 2, 4) int kx_msg_canon(const struct kx_msg *m, uint8_t *out, size_t cap,
					    size_t *len);

/* Signs m's canonical encoding with id into m->sig. */
KX_API KX_NONNULL(1, 2) int kx_msg_sign(struct kx_msg *m, struct kx_identity *id);

/* Verifies m->sig over m's canonical encoding with ik. Returns 0, -EBADMSG, -EINVAL. */
KX_API KX_NONNULL(1, 2) int kx_msg_verify(const struct kx_msg *m,
					  const uint8_t ik[static KX_IK_BYTES]);

/* H(roster) = SHA-256 of the roster's canonical encoding (not the signature). */
KX_API KX_NONNULL(1, 2) int kx_roster_hash(const struct kx_roster *r,
					   uint8_t out[static KX_HASH_BYTES]);

/*
 * H(announce) = SHA-256 of the announce's canonical encoding (label
 * included, not the signature): what a deny names. Returns 0 or a
 * kx_msg_check() error.
 */
KX_API KX_NONNULL(1, 2) int kx_announce_hash(const struct kx_announce *a,
					     uint8_t out[static KX_HASH_BYTES]);

/* The member with participant id `id`, or NULL. */
KX_NONNULL(1) const struct kx_member *kx_roster_find(const struct kx_roster *r, uint16_t id);

/*
 * Writes m with its signature as compact JSON (NUL-terminated) into
 * out[0..cap); *len gets the length without the NUL. Returns 0, -ENOSPC,
 * -ENOMEM, or a kx_msg_check() error.
 */
KX_API KX_NONNULL(1, 2, 4) int kx_msg_to_json(const struct kx_msg *m, char *out, size_t cap,
					      size_t *len);

/*
 * Strict JSON -> struct, without any signature check: exact key sets, exact
 * types, bounded lengths and ranges (PROTOCOL.md). expect is a type or
 * KX_MSG_NONE. Returns 0, -EMSGSIZE, -EINVAL, -EPROTONOSUPPORT (unknown
 * version or type, or not the type expected), -EPROTO, -ENOMEM. *out is
 * zeroed first and only meaningful on success. Untrusted until verified:
 * use kx_msg_parse().
 */
KX_API KX_NONNULL(1, 4) int kx_msg_decode(const char *json, size_t len, enum kx_msg_type expect,
					  struct kx_msg *out);

/*
 * kx_msg_decode(), then the signature over the canonical encoding, checked
 * with the key the protocol says:
 *   announce   its own IK (proof of possession);
 *   roster     the IK of its own host entry (kx_chain_* then decides whether
 *              that host may sign it);
 *   epoch_key, ack, leave, deny, end
 *              the IK the held roster (chain, required) lists for "from";
 *              (a knocker holds the host hello it knocked to as its chain);
 *              meeting and epoch must match (epoch key, ack: the held epoch
 *              and H(roster); leave: an epoch not after the held one) and
 *              an epoch key must come from the held roster's host and be
 *              addressed to a member of it; a deny must come from the held
 *              roster's host (the knocker then checks "to" and "knock");
 *              an end must come from the held roster's host and name an
 *              epoch not before the held one; a rekey request must come
 *              from a member of the held roster and name the held epoch.
 * chain may be NULL for announce and roster. Returns 0 or: the
 * kx_msg_decode() errors, -EBADMSG, -ENOKEY, -EXDEV, -ESTALE, -ENOLINK, -EPERM.
 */
KX_API KX_NONNULL(1, 5) int kx_msg_parse(const char *json, size_t len, enum kx_msg_type expect,
					 const struct kx_chain *chain, struct kx_msg *out);

#endif
