/* SPDX-License-Identifier: MIT */
/*
 * roomd's transport through Janus, inside (roomd-rtc.h is its API). Two
 * files own it:
 *
 *   roomd-rtc.c        the signaling thread (join, publish, the loop, Janus
 *                      lost and joined again) and the API
 *   roomd-rtc-match.c  the publishers that claim a sender's name: every
 *                      candidate subscribed (bounded), each into a slot of
 *                      the sender's receive branch, and the authenticated
 *                      frames each slot brought deciding which stay
 *                      (docs/transport.md "Names")
 *
 * The lock guards: subs (membership, drop), each slot's gst, src and feed
 * (made by the main thread, read by the others), the totals. Everything
 * else of a Sub and its slots is the signaling thread's; a slot's
 * authenticated count is atomic (the branch's streaming threads count).
 */
#ifndef ROOMD_RTC_PRIV_H
#define ROOMD_RTC_PRIV_H

#include "rtc_gst.h"
#include "rtc_janus.h"
#include "rtc_peer.h"
#include "gste2eeloglimit.h"
#include "roomd-rtc.h"

#define PT_VIDEO 96
#define PT_AUDIO 111
#define REQUEST_MS 5000         /* each Janus request */
#define GATHER_MS 5000
#define CONNECT_US (20 * G_USEC_PER_SEC)        /* ICE + DTLS of a peer */

/* Feeds of a sender set aside (they brought no authenticated frame while
 * another did), remembered at most this many a sender. */
#define ROOMD_RTC_BENCHED 8

/* One candidate subscription of a sender: a publisher that claims its
 * name, into slot k of its branch (slot k's appsrcs, jitterbuffers and
 * depayloaders, merged before the branch's e2eedecs). */
typedef struct
{
  /* Under lock: made by roomd_rtc_src() (the main thread), never freed
   * before the Sub. */
  struct rtc_gst *gst;
  GstElement *src[2];           /* by stream; gst holds the references */
  guint64 feed;                 /* under lock (the thread writes it) */
  gint authenticated;           /* atomic: frames out of the branch's e2eedecs */
  gint auth_base;               /* under lock: authenticated at subscribing */
  /* The thread's: */
  struct rtc_peer *peer;
  guint64 handle;
  gint64 since;                 /* subscribed */
  gint64 connected_at;          /* 0 until ICE and DTLS are done */
  gint64 last_auth_at;          /* when authenticated last rose; 0: not
                                 * since subscribed */
  gint last_auth;
  gint64 mark_at;               /* the current window's start */
  gint mark_auth;               /* authenticated at mark_at */
  gint window;                  /* frames in the last whole window, or -1 */
  gboolean requested;           /* its chains asked of the main thread */
} Slot;

typedef struct
{
  guint64 feed;
  gint64 until;
} Benched;

/* A remote sender wanted (it has a receive branch). */
typedef struct
{
  guint sender;
  gboolean drop;                /* under lock: the branch went */
  Slot slot[ROOMD_RTC_CANDIDATES];
  Benched bench[ROOMD_RTC_BENCHED];     /* the thread's */
  gint64 next_rotation;         /* the thread's: rotation not before */
  gint64 next_over_line;        /* the thread's: "left out" said not before */
} Sub;

/* Counts of peer connections gone, and of the signaling. */
typedef struct
{
  guint64 joins, losses, subscriptions, resubscriptions;
  guint64 rtp_in, dropped_foreign, dropped_other, dropped_early, dropped_auth;
  guint64 rtp_out, keyframe_requests, plis_sent;
  guint64 dropped_ssrc, candidates_refused;
  guint64 pool_empty;           /* of branches gone */
  guint64 consent_lost;         /* connected peers failed later (RFC 7675) */
  /* Names (roomd-rtc-match.c): subscriptions to a second or later
   * publisher claiming a sender at once; those unsubscribed for bringing
   * no authenticated frame; listings that left claimants out (bounds). */
  guint64 candidates, candidates_pruned, candidates_over;
} Totals;

struct _RoomdRtc
{
  gchar *host, *ca, *local;
  gchar *pin;                   /* the room's pin, or NULL; wiped at the end */
  gchar **media;                /* the URL's media=: Janus's ICE addresses */
  gchar **allow;                /* the thread's: media + what host resolved to */
  gchar *display;               /* the thread's, from sender */
  gint sender;                  /* atomic: -1 until the key provider knows */
  guint16 port;
  guint64 room;
  guint32 ssrc[2];              /* by stream */
  struct rtc_gst *pub_gst;
  GstElement *sinks[2];
  GThread *thread;
  gint stop;
  RoomdRtcSlotFunc slot_func;   /* the main thread's, set before start */
  gpointer slot_data;

  GMutex lock;                  /* see above */
  GPtrArray *subs;
  Totals t;

  /* The signaling thread's. */
  struct rtc_janus *j;
  struct rtc_peer *pub;
  guint64 pub_handle;
  gint64 pub_since, next_list;
  gboolean pub_connected, broken;
  gchar *last_error;
};

/* Janus drives these lines: rate-limited (roomd-rtc.c). */
GstE2eeLogLimit *roomd_rtc_log (void);
#define janus_say(to_stderr, ...) \
  gst_e2ee_log_limit_print (roomd_rtc_log (), to_stderr, __VA_ARGS__)

/* roomd-rtc.c: a request's failure that says Janus is gone sets broken. */
int roomd_rtc_check (RoomdRtc * r, int ret);
/* Janus's text made printable (g_strescape), the caller's to free. */
gchar *roomd_rtc_printable (const gchar * janus_text);
/* A peer connection's counts into the totals (before it is freed). */
void roomd_rtc_add_stats (RoomdRtc * r, struct rtc_peer *p);
void roomd_rtc_count_consent_lost (RoomdRtc * r);

/* roomd-rtc-match.c, the signaling thread's. Lists the publishers,
 * subscribes and prunes: TRUE while a sender is awaited (listed sooner). */
gboolean roomd_rtc_match (RoomdRtc * r);
/* Every subscription's ICE and DTLS watched, its authenticated frames read. */
void roomd_rtc_watch_subscriptions (RoomdRtc * r, gint64 now);
/* Subscriptions of branches that went freed with their slots. */
void roomd_rtc_drop_subscriptions (RoomdRtc * r);
/* Every subscription's peer connection closed (Janus went). */
void roomd_rtc_close_subscriptions (RoomdRtc * r);
/* Any thread, under the caller's lock: the Sub of sender not dropped. */
Sub *roomd_rtc_find_sub (RoomdRtc * r, guint sender);
/* The transport line's part of the names, and a line per candidate. */
void roomd_rtc_print_candidates (RoomdRtc * r);
void roomd_rtc_free_sub (Sub * s);

#endif
