/* SPDX-License-Identifier: MIT */
/*
 * roomd's WebRTC transport (docs/transport.md "roomd through Janus"): the
 * room publishes its send chains to Janus's videoroom and subscribes to
 * each remote sender it has a receive branch for, over webrtc/ (libnice,
 * DTLS-SRTP on mbedTLS, libsrtp2; Janus's API over kx_ws).
 *
 * Janus is untrusted, and so is a name. The room publishes as
 * "participant-N" (N: its participant id, the sender index of its KIDs); a
 * receive branch for sender N (made on N's first receive key, which
 * keyxchgd gives only for a participant of the roster) subscribes to every
 * publisher Janus lists as "participant-N", at most ROOMD_RTC_CANDIDATES
 * at once (ROOMD_RTC_EXTRA beyond each sender's first, in all), each into
 * a slot of the branch; the slots' depayloaded frames merge before the
 * branch's e2eedecs, which authenticate every frame with N's keys and keep
 * the first copy of each (a counter not above the last one output is
 * dropped). A slot that brought no authenticated frame for a while goes
 * when another slot of N does, or another claimant waits
 * (roomd-rtc-match.c). A publisher the roster does not list gets no
 * branch, so no subscription. With a pin, roomd joins the room with it.
 *
 * A thread of its own does the signaling (rtc_janus is synchronous): it
 * joins, publishes, lists the publishers every second, subscribes to the
 * ones wanted, re-subscribes when a publisher's feed changed, unsubscribes
 * when a branch went, and when Janus goes (the WebSocket closes, a request
 * times out, the publisher's ICE or DTLS fails) drops every peer
 * connection and joins again, once a second until it can.
 *
 * Order: roomd_rtc_new(); roomd_rtc_sink() for the video and audio send
 * chains (once each); the pipeline built; roomd_rtc_start(); receive
 * branches take roomd_rtc_src() and give back with roomd_rtc_drop() once
 * out of the pipeline; at the end roomd_rtc_stop() (every peer connection
 * closed), roomd_rtc_print(), the pipeline to NULL, roomd_rtc_free().
 * roomd_rtc_src() and roomd_rtc_drop() are for roomd's main thread.
 */
#ifndef ROOMD_RTC_H
#define ROOMD_RTC_H

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RoomdRtc RoomdRtc;

/* Publishers claiming one sender's name subscribed at once (slots of its
 * branch), and such subscriptions beyond each sender's first, in all. */
#define ROOMD_RTC_CANDIDATES 4
#define ROOMD_RTC_EXTRA 16

/* The main thread is asked (from its default main context) to build slot
 * of sender's branch: roomd_rtc_src() for each stream of that slot. A
 * sender without a branch by then is ignored. */
typedef void (*RoomdRtcSlotFunc) (gpointer data, guint sender, guint slot);

/* Borrowed strings. */
typedef struct
{
  const gchar *janus;           /* wss://HOST:PORT/ */
  const gchar *ca_file;         /* CA of Janus's certificate */
  guint64 room;
  const gchar *local_addr;      /* the only address ICE gathers */
  gint sender_index;            /* -1: roomd_rtc_set_sender() later */
  const gchar *pin;             /* the videoroom's pin, or NULL (copied) */
} RoomdRtcConfig;

/* NULL, with a line on stderr, when the URL is not wss://HOST:PORT. */
RoomdRtc *roomd_rtc_new (const RoomdRtcConfig * cfg);

/* Our sender index, once the key provider learnt it (its first send key):
 * the thread joins Janus only then (as "participant-N"). Only the first
 * call counts. Any thread. */
void roomd_rtc_set_sender (RoomdRtc * r, guint sender);

/* The appsink of stream (E2EE_STREAM_VIDEO, _AUDIO) for the send chain's
 * payloader (floating; the transport keeps a reference). */
GstElement *roomd_rtc_sink (RoomdRtc * r, guint stream);

/* Before roomd_rtc_start(): who builds a branch's further slots. */
void roomd_rtc_set_slot_func (RoomdRtc * r, RoomdRtcSlotFunc func,
    gpointer data);

/* Sets the payloaders' SSRCs (those of the offer) and starts the thread. */
gboolean roomd_rtc_start (RoomdRtc * r);

/* The appsrc of sender's stream in slot (< ROOMD_RTC_CANDIDATES;
 * floating) taking the authenticated RTP of one candidate: caps (taken)
 * with payload 96 (H.264) or 111 (Opus), changed to what Janus's offer
 * says. *authenticated: the slot's count, which the branch raises (atomic)
 * for each frame of that slot its e2eedecs let out; valid until
 * roomd_rtc_drop(). Slot 0 comes with the branch; the sender is
 * subscribed to once Janus lists it. */
GstElement *roomd_rtc_src (RoomdRtc * r, guint sender, guint slot,
    guint stream, GstCaps * caps, gint ** authenticated);

/* The branch of sender left the pipeline: unsubscribe. */
void roomd_rtc_drop (RoomdRtc * r, guint sender);

void roomd_rtc_stop (RoomdRtc * r);
/* A line "roomd candidate sender=N slot=K feed=F authenticated=A
 * rtp-pushed=P" per subscription, then one line "roomd transport: ..." of
 * the counts. */
void roomd_rtc_print (RoomdRtc * r);
void roomd_rtc_free (RoomdRtc * r);

G_END_DECLS

#endif
