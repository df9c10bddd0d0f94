/* SPDX-License-Identifier: MIT */
/*
 * roomd's WebRTC transport through Janus (roomd-rtc.h): the signaling
 * thread, the publisher and one subscriber peer connection per wanted
 * remote sender.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <gst/video/video.h>

#include "e2ee/keyring.h"
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
#define LIST_US (G_USEC_PER_SEC)        /* publishers listed this often */
#define LIST_WAITING_US (G_USEC_PER_SEC / 4)    /* ... while one is awaited */
#define RETRY_US (G_USEC_PER_SEC)       /* joining again after Janus went */
#define WAIT_SENDER_US (G_USEC_PER_SEC / 10)    /* our sender index known? */

/* A remote sender wanted (it has a receive branch). */
typedef struct
{
  guint sender;
  struct rtc_gst *gst;          /* its appsrcs; the main thread's until dropped */
  GstElement *src[2];           /* by stream; gst holds the references */
  gboolean drop;                /* under lock: the branch went */
  /* The thread's: */
  struct rtc_peer *peer;
  guint64 handle, feed;
  gint64 since;
  gboolean connected;
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
} Totals;

/* Janus drives these lines (offers, losses, publishers coming and going):
 * rate-limited, 30 in 10 s (gste2eeloglimit.h). One transport a process. */
static GstE2eeLogLimit *
janus_log (void)
{
  static GstE2eeLogLimit limit;
  static gsize once;

  if (g_once_init_enter (&once)) {
    gst_e2ee_log_limit_init (&limit, "roomd", "Janus", 30, 10);
    g_once_init_leave (&once, 1);
  }
  return &limit;
}

#define janus_say(to_stderr, ...) \
  gst_e2ee_log_limit_print (janus_log (), to_stderr, __VA_ARGS__)

struct _RoomdRtc
{
  gchar *host, *ca, *local;
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

  GMutex lock;                  /* subs (membership, drop), totals */
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

static void
add_stats (RoomdRtc * r, struct rtc_peer *p)
{
  struct rtc_peer_stats s;

  rtc_peer_get_stats (p, &s);
  g_mutex_lock (&r->lock);
  r->t.rtp_in += s.rtp_in;
  r->t.rtp_out += s.rtp_out;
  r->t.dropped_foreign += s.dropped_foreign;
  r->t.dropped_other += s.dropped_other;
  r->t.dropped_early += s.dropped_early;
  r->t.dropped_auth += s.dropped_auth;
  r->t.dropped_ssrc += s.dropped_ssrc;
  r->t.candidates_refused += s.candidates_refused;
  if (p == r->pub)
    r->t.keyframe_requests += s.keyframe_requests;
  g_mutex_unlock (&r->lock);
}

static void
count_consent_lost (RoomdRtc * r)
{
  g_mutex_lock (&r->lock);
  r->t.consent_lost++;
  g_mutex_unlock (&r->lock);
}

/* Janus's strings (its SDP's names, its error text) as roomd prints them:
 * no newline, terminal escape or other byte that is not printable ASCII
 * reaches the log as it is (g_strescape: C escapes, octal). */
static gchar *
printable (const gchar * janus_text)
{
  return g_strescape (janus_text, NULL);
}

/* The addresses Janus's ICE candidates may have (rtc_peer_config's
 * remote_allow): those its host name resolves to, as for the WebSocket
 * (kx_ws), and the URL's media=. Resolved at each join. */
static void
resolve_allowed (RoomdRtc * r)
{
  struct addrinfo hints = {.ai_family = AF_UNSPEC,.ai_socktype = SOCK_STREAM };
  struct addrinfo *ai = NULL;
  GPtrArray *a = g_ptr_array_new ();

  for (gchar ** m = r->media; m && *m; m++)
    g_ptr_array_add (a, g_strdup (*m));
  if (!getaddrinfo (r->host, NULL, &hints, &ai))
    for (struct addrinfo * i = ai; i; i = i->ai_next) {
      gchar host[NI_MAXHOST];

      if (!getnameinfo (i->ai_addr, i->ai_addrlen, host, sizeof (host),
              NULL, 0, NI_NUMERICHOST))
        g_ptr_array_add (a, g_strdup (host));
    }
  if (ai)
    freeaddrinfo (ai);
  /* Resolving failed and no media=: an empty list, which allows no
   * candidate (the join fails and is tried again), never "any". */
  if (!a->len)
    g_printerr ("roomd: Janus's host name %s resolves to no address and "
        "--janus names no media=: no ICE candidate of Janus is taken\n",
        r->host);
  g_ptr_array_add (a, NULL);
  g_strfreev (r->allow);
  r->allow = (gchar **) g_ptr_array_free (a, FALSE);
}

/* Janus's request failed in a way that says the connection is gone. */
static int
check (RoomdRtc * r, int ret)
{
  if (ret == -ECONNRESET || ret == -ETIMEDOUT || ret == -EIO)
    r->broken = TRUE;
  return ret;
}

/* ------------------------------------------------------------ subscribers */

/* The peer connection of s goes (the sender's branch stays). */
static void
unsubscribe (RoomdRtc * r, Sub * s, gboolean detach)
{
  const gchar *why = NULL;

  if (s->peer) {
    rtc_gst_set_peer (s->gst, NULL);
    add_stats (r, s->peer);
    rtc_peer_free (s->peer);
    s->peer = NULL;
  }
  if (detach && s->handle && r->j && !r->broken)
    check (r, rtc_janus_detach (r->j, s->handle, &why));
  s->handle = s->feed = 0;
  s->connected = FALSE;
}

/* Janus's offer must be H.264 and Opus (in payload types of its choice:
 * the appsrcs follow them). */
static const gchar *
offer_fits (Sub * s, const struct rtc_sdp *sdp)
{
  for (guint i = 0; i < sdp->n_media; i++) {
    const struct rtc_sdp_media *m = &sdp->media[i];
    guint stream = !strcmp (m->kind, "video") ? E2EE_STREAM_VIDEO :
        E2EE_STREAM_AUDIO;

    if (m->rejected)
      continue;
    if (g_ascii_strcasecmp (m->codec, stream == E2EE_STREAM_VIDEO ? "H264" :
            "opus")) {
      gchar *kind = printable (m->kind), *codec = printable (m->codec);

      janus_say (TRUE, "roomd: sender %u: Janus offers %s as %s", s->sender,
          kind, codec);
      g_free (kind);
      g_free (codec);
      return "Janus offers other than H.264 video and Opus audio";
    }
    if (s->src[stream])
      rtc_gst_src_set_pt (s->gst, s->src[stream], m->pt);
  }
  return NULL;
}

static int
subscribe (RoomdRtc * r, Sub * s, guint64 feed, const gchar ** why)
{
  struct rtc_peer_config pc = {.local_addr = r->local,.remote_allow =
        (const char *const *) r->allow };
  char *offer = NULL, *answer = NULL;
  int ret;

  ret = check (r, rtc_janus_attach (r->j, &s->handle, why));
  if (ret)
    return ret;
  rtc_gst_peer_config (s->gst, &pc);
  ret = rtc_peer_new (&pc, &s->peer);
  if (ret) {
    *why = "no peer connection (libnice)";
    goto out;
  }
  ret = check (r, rtc_janus_subscribe (r->j, s->handle, r->room, feed, &offer,
          why));
  if (!ret)
    ret = rtc_peer_set_offer (s->peer, offer, strlen (offer), why);
  if (!ret && (*why = offer_fits (s, rtc_peer_remote (s->peer))))
    ret = -ENOTSUP;
  if (!ret && !(answer = rtc_peer_answer (s->peer, GATHER_MS))) {
    *why = "no answer (gathering did not finish)";
    ret = -ETIMEDOUT;
  }
  if (ret)
    goto out;
  rtc_gst_set_peer (s->gst, s->peer);
  ret = check (r, rtc_janus_start (r->j, s->handle, answer, why));
  if (!ret)
    ret = check (r, rtc_janus_trickle_done (r->j, s->handle, why));
  if (ret)
    goto out;
  s->feed = feed;
  s->since = g_get_monotonic_time ();
  g_mutex_lock (&r->lock);
  r->t.subscriptions++;
  g_mutex_unlock (&r->lock);
  janus_say (FALSE, "roomd: subscribing to sender %u (Janus feed %"
      G_GUINT64_FORMAT
      ") on %s port %u", s->sender, feed, r->local,
      rtc_peer_local_port (s->peer));
out:
  if (ret)
    unsubscribe (r, s, TRUE);
  free (offer);
  g_free (answer);
  return ret;
}

/* ICE and DTLS within CONNECT_US, or the subscription goes (and is made
 * again at the next listing). */
static void
watch_subscription (RoomdRtc * r, Sub * s, gint64 now)
{
  const gchar *why = NULL;
  int ret;

  if (!s->peer)
    return;
  ret = rtc_peer_wait_connected (s->peer, 0, &why);
  if (s->connected) {
    /* Connected once: a later failure (ICE consent lost) subscribes again. */
    if (ret) {
      janus_say (TRUE, "roomd: sender %u: %s; subscribing again", s->sender,
          why);
      count_consent_lost (r);
      unsubscribe (r, s, TRUE);
    }
    return;
  }
  if (!ret) {
    gchar pair[RTC_PEER_PAIR_LEN];

    s->connected = TRUE;
    rtc_peer_selected_pair (s->peer, pair, sizeof (pair));
    janus_say (FALSE, "roomd: receiving sender %u through Janus (ICE and DTLS "
        "done, pair %s)", s->sender, pair);
  } else if (ret != -ETIMEDOUT || now - s->since > CONNECT_US) {
    janus_say (TRUE, "roomd: sender %u: %s; subscribing again", s->sender, why);
    unsubscribe (r, s, TRUE);
  }
}

/* The subscriptions not dropped, for the thread to work on without the
 * lock (only the thread frees them). */
static GPtrArray *
wanted (RoomdRtc * r)
{
  GPtrArray *subs = g_ptr_array_new ();

  g_mutex_lock (&r->lock);
  for (guint i = 0; i < r->subs->len; i++) {
    Sub *s = r->subs->pdata[i];

    if (!s->drop)
      g_ptr_array_add (subs, s);
  }
  g_mutex_unlock (&r->lock);
  return subs;
}

/* The publishers Janus lists against the senders wanted: whether a sender
 * wanted is not published yet. */
static gboolean
match_publishers (RoomdRtc * r)
{
  struct rtc_janus_participant list[RTC_JANUS_MAX_PARTICIPANTS];
  const gchar *why = NULL;
  GPtrArray *subs;
  gboolean waiting = FALSE;
  guint n;

  if (check (r, rtc_janus_list (r->j, r->pub_handle, r->room, list,
              G_N_ELEMENTS (list), &n, &why))) {
    janus_say (TRUE, "roomd: listing Janus's publishers: %s", why);
    return TRUE;
  }
  subs = wanted (r);
  for (guint i = 0; i < subs->len && !r->broken; i++) {
    Sub *s = subs->pdata[i];
    gchar *name = g_strdup_printf ("participant-%u", s->sender);
    guint64 feed = 0;

    /* The first of that name: a second one claiming it is someone else,
     * whose frames e2eedec would refuse anyway. */
    for (guint k = 0; k < n && !feed; k++)
      if (!strcmp (list[k].display, name))
        feed = list[k].id;
    g_free (name);
    if (s->peer && s->feed != feed) {
      janus_say (FALSE, "roomd: sender %u %s Janus; unsubscribing", s->sender,
          feed ? "published again to" : "no longer publishes to");
      unsubscribe (r, s, TRUE);
      if (feed) {
        g_mutex_lock (&r->lock);
        r->t.resubscriptions++;
        g_mutex_unlock (&r->lock);
      }
    }
    if (feed && !s->peer && !r->broken && subscribe (r, s, feed, &why))
      janus_say (TRUE, "roomd: subscribing to sender %u: %s", s->sender, why);
    /* Listed again soon while a sender is awaited; one whose subscription
     * failed is tried again at the normal pace (each try says why). */
    waiting |= !s->peer && !feed;
  }
  g_ptr_array_unref (subs);
  return waiting;
}

/* Branches that went: their subscriptions and appsrcs go. */
static void
drop_subscriptions (RoomdRtc * r)
{
  GPtrArray *gone = g_ptr_array_new ();

  g_mutex_lock (&r->lock);
  for (guint i = r->subs->len; i-- > 0;) {
    Sub *s = r->subs->pdata[i];

    if (s->drop)
      g_ptr_array_add (gone, g_ptr_array_steal_index (r->subs, i));
  }
  g_mutex_unlock (&r->lock);
  for (guint i = 0; i < gone->len; i++) {
    Sub *s = gone->pdata[i];

    if (s->peer)
      janus_say (FALSE, "roomd: unsubscribing from sender %u (its branch went)",
          s->sender);
    unsubscribe (r, s, TRUE);
    g_mutex_lock (&r->lock);
    r->t.plis_sent += rtc_gst_plis_sent (s->gst);
    r->t.pool_empty += rtc_gst_pool_empty (s->gst);
    g_mutex_unlock (&r->lock);
    rtc_gst_free (s->gst);
    g_free (s);
  }
  g_ptr_array_unref (gone);
}

/* ------------------------------------------------------------- publisher */

/* Every peer connection and the session go. */
static void
leave (RoomdRtc * r)
{
  GPtrArray *subs = wanted (r);

  /* Dropped ones too go at the next drop_subscriptions(). */
  for (guint i = 0; i < subs->len; i++)
    unsubscribe (r, subs->pdata[i], FALSE);
  g_ptr_array_unref (subs);
  if (r->pub) {
    rtc_gst_set_peer (r->pub_gst, NULL);
    add_stats (r, r->pub);
    rtc_peer_free (r->pub);
    r->pub = NULL;
  }
  rtc_janus_free (r->j);
  r->j = NULL;
  r->pub_handle = 0;
  r->pub_connected = r->broken = FALSE;
}

static int
join (RoomdRtc * r, const gchar ** why)
{
  struct rtc_janus_config jc = { r->host, r->port, r->ca, REQUEST_MS };
  /* Consent freshness on the publisher's connection only: Janus (ICE
   * controlled there) answers its checks; on a subscription, where Janus is
   * the controlling agent, Janus 1.1.2 stopped answering them 5 to 20 s in
   * when a NAT was between (the image test, docs/transport.md). */
  struct rtc_peer_config pc = {.local_addr = r->local,.consent_freshness =
        TRUE };
  /* What the send chains make (e2ee-media-pipeline.c), SFrame inside. */
  struct rtc_peer_media media[2] = {
    {"audio", "opus", "minptime=10;useinbandfec=1", PT_AUDIO, 48000, 2,
        r->ssrc[E2EE_STREAM_AUDIO]},
    {"video", "H264", "level-asymmetry-allowed=1;packetization-mode=1;"
          "profile-level-id=42e01f", PT_VIDEO, 90000, 0,
        r->ssrc[E2EE_STREAM_VIDEO]},
  };
  char *offer = NULL, *answer = NULL;
  guint64 feed = 0;
  int ret;

  resolve_allowed (r);
  pc.remote_allow = (const char *const *) r->allow;
  ret = rtc_janus_connect (&jc, &r->j, why);
  if (!ret)
    ret = rtc_janus_attach (r->j, &r->pub_handle, why);
  rtc_gst_peer_config (r->pub_gst, &pc);
  if (!ret && (ret = rtc_peer_new (&pc, &r->pub)))
    *why = "no peer connection (libnice)";
  if (!ret && !(offer = rtc_peer_offer (r->pub, media, 2, GATHER_MS))) {
    *why = "no offer (gathering did not finish)";
    ret = -ETIMEDOUT;
  }
  if (!ret)
    ret = rtc_janus_publish (r->j, r->pub_handle, r->room, r->display, offer,
        &answer, &feed, why);
  if (!ret)
    ret = rtc_peer_set_answer (r->pub, answer, strlen (answer), why);
  if (!ret)
    ret = rtc_janus_trickle_done (r->j, r->pub_handle, why);
  g_free (offer);
  free (answer);
  if (ret) {
    leave (r);
    return ret;
  }
  rtc_gst_set_peer (r->pub_gst, r->pub);
  r->pub_since = g_get_monotonic_time ();
  r->next_list = 0;
  g_mutex_lock (&r->lock);
  r->t.joins++;
  g_mutex_unlock (&r->lock);
  g_print ("roomd: published to Janus room %" G_GUINT64_FORMAT " as \"%s\" "
      "(feed %" G_GUINT64_FORMAT ") from %s port %u\n", r->room, r->display,
      feed, r->local, rtc_peer_local_port (r->pub));
  return 0;
}

/* The publisher connects within CONNECT_US or Janus is taken for gone. */
static void
watch_publisher (RoomdRtc * r, gint64 now)
{
  const gchar *why = NULL;
  int ret;

  ret = rtc_peer_wait_connected (r->pub, 0, &why);
  if (r->pub_connected) {
    /* Connected once: only a later failure (ICE consent lost) counts. */
    if (ret) {
      janus_say (TRUE, "roomd: publishing: %s", why);
      count_consent_lost (r);
      r->broken = TRUE;
    }
    return;
  }
  if (!ret) {
    gchar pair[RTC_PEER_PAIR_LEN];

    r->pub_connected = TRUE;
    rtc_peer_selected_pair (r->pub, pair, sizeof (pair));
    janus_say (FALSE, "roomd: publishing through Janus (ICE and DTLS done, "
        "pair %s)",
        pair);
    /* A keyframe for whoever subscribes now (Janus also asks). */
    for (guint i = 0; i < G_N_ELEMENTS (r->sinks); i++) {
      GstPad *pad = gst_element_get_static_pad (r->sinks[i], "sink");

      gst_pad_push_event (pad,
          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
              TRUE, 0));
      gst_object_unref (pad);
    }
  } else if (ret != -ETIMEDOUT || now - r->pub_since > CONNECT_US) {
    janus_say (TRUE, "roomd: publishing: %s", why);
    r->broken = TRUE;
  }
}

static void
say_once (RoomdRtc * r, const gchar * what, const gchar * why)
{
  gchar *line = g_strdup_printf ("%s: %s", what, why ? why : "?");

  if (g_strcmp0 (line, r->last_error))
    janus_say (TRUE, "roomd: %s (trying again every second)", line);
  g_free (r->last_error);
  r->last_error = line;
}

static gpointer
run (gpointer data)
{
  RoomdRtc *r = data;
  const gchar *why = NULL;

  while (!g_atomic_int_get (&r->stop)) {
    gint64 now = g_get_monotonic_time ();
    GPtrArray *subs;

    drop_subscriptions (r);
    if (!r->j && !r->display) {
      gint sender = g_atomic_int_get (&r->sender);

      if (sender < 0) {
        /* Published as participant-N only: until keyxchgd's first send
         * key says N (the room is in a meeting), nothing to join. */
        g_usleep (WAIT_SENDER_US);
        continue;
      }
      r->display = g_strdup_printf ("participant-%d", sender);
    }
    if (!r->j) {
      if (join (r, &why)) {
        say_once (r, "cannot join Janus", why);
        g_usleep (RETRY_US);
        continue;
      }
      g_clear_pointer (&r->last_error, g_free);
    }
    watch_publisher (r, now);
    if (!r->broken && now >= r->next_list)
      r->next_list = now + (match_publishers (r) ? LIST_WAITING_US : LIST_US);
    subs = wanted (r);
    for (guint i = 0; i < subs->len; i++)
      watch_subscription (r, subs->pdata[i], now);
    g_ptr_array_unref (subs);
    if (!r->broken && rtc_janus_poll (r->j, 100, &why)) {
      janus_say (TRUE, "roomd: Janus: %s", why);
      r->broken = TRUE;
    }
    if (r->broken) {
      janus_say (FALSE, "roomd: Janus connection lost; every peer connection "
          "closed, "
          "joining again");
      g_mutex_lock (&r->lock);
      r->t.losses++;
      g_mutex_unlock (&r->lock);
      leave (r);
    }
  }
  leave (r);
  return NULL;
}

/* ------------------------------------------------------------ the API */

/* The URL's query: "media=A[,A...]" (A an address or ADDR/PREFIX where
 * Janus's ICE candidates may be besides its host name's addresses), nothing
 * else. NULL (media none) or a list; FALSE with a line when it is wrong. */
static gboolean
parse_query (const gchar * query, gchar *** media)
{
  GHashTable *params;
  const gchar *m;
  gboolean ok = TRUE;

  *media = NULL;
  if (!query || !*query)
    return TRUE;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  m = params ? g_hash_table_lookup (params, "media") : NULL;
  if (!m || g_hash_table_size (params) != 1) {
    g_printerr ("roomd: --janus takes only ?media=ADDR[/PREFIX][,...], not "
        "\"?%s\"\n", query);
    ok = FALSE;
  } else {
    *media = g_strsplit (m, ",", -1);
    for (gchar ** a = *media; ok && *a; a++) {
      GInetAddressMask *mask = g_inet_address_mask_new_from_string (*a, NULL);

      if (!mask)
        g_printerr ("roomd: --janus media=: \"%s\" is no address or "
            "ADDR/PREFIX\n", *a);
      ok = mask != NULL;
      g_clear_object (&mask);
    }
  }
  if (params)
    g_hash_table_unref (params);
  if (!ok)
    g_clear_pointer (media, g_strfreev);
  return ok;
}

RoomdRtc *
roomd_rtc_new (const RoomdRtcConfig * cfg)
{
  GUri *uri = g_uri_parse (cfg->janus, G_URI_FLAGS_NONE, NULL);
  gchar **media = NULL;
  RoomdRtc *r;

  if (!uri || g_strcmp0 (g_uri_get_scheme (uri), "wss")
      || !g_uri_get_host (uri) || g_uri_get_port (uri) <= 0) {
    g_printerr ("roomd: --janus must be wss://HOST:PORT/[?media=ADDR], not "
        "\"%s\"\n", cfg->janus);
    g_clear_pointer (&uri, g_uri_unref);
    return NULL;
  }
  if (!parse_query (g_uri_get_query (uri), &media)) {
    g_uri_unref (uri);
    return NULL;
  }
  /* A peer that closed its socket is an error to handle, not a death. */
  signal (SIGPIPE, SIG_IGN);
  r = g_new0 (RoomdRtc, 1);
  r->host = g_strdup (g_uri_get_host (uri));
  r->port = (guint16) g_uri_get_port (uri);
  r->media = media;
  g_uri_unref (uri);
  r->ca = g_strdup (cfg->ca_file);
  r->local = g_strdup (cfg->local_addr);
  r->room = cfg->room;
  r->sender = cfg->sender_index;
  for (guint i = 0; i < 2; i++)
    r->ssrc[i] = g_random_int_range (1, G_MAXINT32);
  g_mutex_init (&r->lock);
  r->subs = g_ptr_array_new ();
  r->pub_gst = rtc_gst_new ();
  return r;
}

void
roomd_rtc_set_sender (RoomdRtc * r, guint sender)
{
  if (g_atomic_int_compare_and_exchange (&r->sender, -1, (gint) sender))
    g_print ("roomd: sender index %u: joining Janus as \"participant-%u\"\n",
        sender, sender);
}

GstElement *
roomd_rtc_sink (RoomdRtc * r, guint stream)
{
  g_return_val_if_fail (stream < 2 && !r->sinks[stream], NULL);
  r->sinks[stream] = rtc_gst_sink (r->pub_gst,
      stream == E2EE_STREAM_VIDEO ? "rtc-video" : "rtc-audio");
  return r->sinks[stream];
}

gboolean
roomd_rtc_start (RoomdRtc * r)
{
  for (guint i = 0; i < 2; i++) {
    GstPad *pad = r->sinks[i] ? gst_element_get_static_pad (r->sinks[i],
        "sink") : NULL;
    GstPad *peer = pad ? gst_pad_get_peer (pad) : NULL;
    GstElement *pay = peer ? gst_pad_get_parent_element (peer) : NULL;
    gboolean ok = pay != NULL;

    /* The SSRCs the offer names (a=ssrc). */
    if (pay)
      g_object_set (pay, "ssrc", r->ssrc[i], NULL);
    g_clear_object (&pay);
    g_clear_object (&peer);
    g_clear_object (&pad);
    if (!ok) {
      g_printerr ("roomd: the transport's sinks are not linked to payloaders\n");
      return FALSE;
    }
  }
  r->thread = g_thread_new ("roomd-janus", run, r);
  return TRUE;
}

GstElement *
roomd_rtc_src (RoomdRtc * r, guint sender, guint stream, GstCaps * caps)
{
  gchar *name = g_strdup_printf ("rtc-%s-%u",
      stream == E2EE_STREAM_VIDEO ? "video" : "audio", sender);
  GstElement *e;
  Sub *s = NULL;

  g_mutex_lock (&r->lock);
  for (guint i = 0; i < r->subs->len && !s; i++) {
    Sub *c = r->subs->pdata[i];

    if (c->sender == sender && !c->drop)
      s = c;
  }
  if (!s) {
    s = g_new0 (Sub, 1);
    s->sender = sender;
    s->gst = rtc_gst_new ();
    g_ptr_array_add (r->subs, s);
  }
  e = rtc_gst_src (s->gst, name, caps,
      stream == E2EE_STREAM_VIDEO ? PT_VIDEO : PT_AUDIO, 0);
  s->src[stream == E2EE_STREAM_VIDEO] = e;
  g_mutex_unlock (&r->lock);
  gst_caps_unref (caps);
  g_free (name);
  return e;
}

void
roomd_rtc_drop (RoomdRtc * r, guint sender)
{
  g_mutex_lock (&r->lock);
  for (guint i = 0; i < r->subs->len; i++) {
    Sub *s = r->subs->pdata[i];

    if (s->sender == sender)
      s->drop = TRUE;
  }
  g_mutex_unlock (&r->lock);
}

void
roomd_rtc_stop (RoomdRtc * r)
{
  if (!r->thread)
    return;
  g_atomic_int_set (&r->stop, 1);
  g_thread_join (r->thread);
  r->thread = NULL;
}

void
roomd_rtc_print (RoomdRtc * r)
{
  Totals t;
  guint64 plis, pool_empty;
  gchar *unknown;

  g_mutex_lock (&r->lock);
  t = r->t;
  plis = t.plis_sent;
  pool_empty = t.pool_empty;
  for (guint i = 0; i < r->subs->len; i++) {
    plis += rtc_gst_plis_sent (((Sub *) r->subs->pdata[i])->gst);
    pool_empty += rtc_gst_pool_empty (((Sub *) r->subs->pdata[i])->gst);
  }
  g_mutex_unlock (&r->lock);
  /* Only when libnice's verbose log is on (rtc_peer.h). */
  unknown = rtc_peer_counting_unknown ()? g_strdup_printf
      (" dropped-unknown-source=%" G_GUINT64_FORMAT,
      rtc_peer_dropped_unknown ()) : g_strdup ("");
  g_print ("roomd transport: janus-joins=%" G_GUINT64_FORMAT " janus-lost=%"
      G_GUINT64_FORMAT " subscriptions=%" G_GUINT64_FORMAT
      " resubscriptions=%" G_GUINT64_FORMAT " rtp-in=%" G_GUINT64_FORMAT
      " rtp-out=%" G_GUINT64_FORMAT " dropped-foreign=%" G_GUINT64_FORMAT
      " dropped-other=%" G_GUINT64_FORMAT " dropped-early=%" G_GUINT64_FORMAT
      " dropped-auth=%" G_GUINT64_FORMAT " dropped-ssrc=%" G_GUINT64_FORMAT
      " candidates-refused=%" G_GUINT64_FORMAT " receive-pool-empty=%"
      G_GUINT64_FORMAT "%s keyframe-requests=%" G_GUINT64_FORMAT
      " force-key-units=%" G_GUINT64_FORMAT " keyframes-deferred=%"
      G_GUINT64_FORMAT " keyframes-refused=%" G_GUINT64_FORMAT " plis-sent=%"
      G_GUINT64_FORMAT " consent-lost=%" G_GUINT64_FORMAT "\n", t.joins, t.losses, t.subscriptions,
      t.resubscriptions, t.rtp_in, t.rtp_out, t.dropped_foreign,
      t.dropped_other, t.dropped_early, t.dropped_auth, t.dropped_ssrc,
      t.candidates_refused, pool_empty, unknown, t.keyframe_requests,
      rtc_gst_force_key_units (r->pub_gst),
      rtc_gst_keyframes_deferred (r->pub_gst),
      rtc_gst_keyframes_refused (r->pub_gst), plis, t.consent_lost);
  g_free (unknown);
}

void
roomd_rtc_free (RoomdRtc * r)
{
  if (!r)
    return;
  roomd_rtc_stop (r);
  for (guint i = 0; i < r->subs->len; i++) {
    Sub *s = r->subs->pdata[i];

    rtc_gst_free (s->gst);
    g_free (s);
  }
  g_ptr_array_unref (r->subs);
  rtc_gst_free (r->pub_gst);
  g_mutex_clear (&r->lock);
  g_free (r->host);
  g_strfreev (r->media);
  g_strfreev (r->allow);
  g_free (r->ca);
  g_free (r->local);
  g_free (r->display);
  g_free (r->last_error);
  g_free (r);
}
