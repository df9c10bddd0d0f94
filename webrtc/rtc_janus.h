/* SPDX-License-Identifier: MIT */
/*
 * Janus's videoroom over its WebSocket API (subprotocol "janus-protocol",
 * TLS through kx_ws): a session, plugin handles, publish with an offer,
 * subscribe to a feed (Janus offers, we answer), trickle's end, keepalives.
 * Janus is untrusted: its JSON is parsed with jansson, bounded by kx_ws
 * (message size), and only the fields named here are read.
 *
 * Synchronous: each request waits (bounded by timeout_ms) for the answer
 * with its transaction, pumping the socket; rtc_janus_poll() sends the
 * keepalive when due. One thread at a time. The client owns its memory;
 * the SDP strings it returns are the caller's (free()). A *why outlives the
 * client (static text, or the thread's copy until its next failure).
 */
#ifndef RTC_JANUS_H
#define RTC_JANUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rtc_janus;

struct rtc_janus_config {
	const char *host; /* checked against Janus's certificate */
	uint16_t port;
	const char *ca_file;
	int timeout_ms; /* each request */
	/* The videoroom's pin, sent with every join (publisher and
	 * subscriber), or NULL; copied, the copy wiped at rtc_janus_free().
	 * It keeps publishers the service did not invite out of the room;
	 * Janus itself knows it (docs/transport.md "Names"). */
	const char *pin;
};

/* Connects and creates a session. 0 or -errno with *why. */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_connect(const struct rtc_janus_config *cfg, struct rtc_janus **out, const char **why);

/* Attaches janus.plugin.videoroom: a handle id in *handle. */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_attach(struct rtc_janus *j, uint64_t *handle, const char **why);

/* joinandconfigure as publisher with the offer (jsep e2ee: true): the answer
 * in *answer (free()), our feed id in *feed. */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_publish(struct rtc_janus *j, uint64_t handle, uint64_t room, const char *display,
		  const char *offer, char **answer, uint64_t *feed, const char **why);

/* join as subscriber to feed: Janus's offer in *offer (free()). */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_subscribe(struct rtc_janus *j, uint64_t handle, uint64_t room, uint64_t feed,
		    char **offer, const char **why);

/* start with our answer. */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_start(struct rtc_janus *j, uint64_t handle, const char *answer, const char **why);

/* The feed of the publisher called display in room, if it publishes:
 * 0 and *feed, -ENOENT, or -errno with *why. */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_find_publisher(struct rtc_janus *j, uint64_t handle, uint64_t room, const char *display,
			 uint64_t *feed, const char **why);

/* Detaches a handle: Janus hangs up its peer connection (a subscriber
 * whose source left, or one that failed). */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_detach(struct rtc_janus *j, uint64_t handle, const char **why);

/* Trickle's end (our candidates were in the SDP). */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_trickle_done(struct rtc_janus *j, uint64_t handle, const char **why);

/* Pumps for up to timeout_ms; the keepalive when due. */
__attribute__((warn_unused_result, nonnull)) int rtc_janus_poll(struct rtc_janus *j,
							       int timeout_ms, const char **why);

/* Parses one message from Janus (exposed for tests and fuzzing): its
 * "janus" kind, transaction, the plugin data's error (if any), the jsep
 * type and sdp, the "id" found in data or plugindata. Every output is
 * bounded by its buffer; sdp is malloc'd or NULL. 0 or -EBADMSG. */
#define RTC_JANUS_MAX_PARTICIPANTS 16

struct rtc_janus_participant {
	uint64_t id;
	char display[64];
	bool publisher;
};

struct rtc_janus_msg {
	char kind[24];
	char transaction[24];
	char jsep_type[8];
	char error[128];
	uint64_t id;
	char *sdp;
	/* listparticipants: the first RTC_JANUS_MAX_PARTICIPANTS. */
	unsigned int n_participants;
	struct rtc_janus_participant participants[RTC_JANUS_MAX_PARTICIPANTS];
};
/* The publishers in room (at most max of them, in Janus's order): 0 and
 * *n, or -errno with *why. Their display names are Janus's to give. */
__attribute__((warn_unused_result, nonnull)) int
rtc_janus_list(struct rtc_janus *j, uint64_t handle, uint64_t room,
	       struct rtc_janus_participant *out, unsigned int max, unsigned int *n,
	       const char **why);

__attribute__((warn_unused_result, nonnull)) int
rtc_janus_parse(const char *text, size_t len, struct rtc_janus_msg *m);
void rtc_janus_msg_clear(struct rtc_janus_msg *m);

void rtc_janus_free(struct rtc_janus *j);

#endif
