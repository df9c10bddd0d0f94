/* SPDX-License-Identifier: MIT */
/*
 * roomd's WebRTC transport through Janus (roomd-rtc.h): the signaling
 * thread, joining and the publisher, the API. Which publishers a sender's
 * branch subscribes to is roomd-rtc-match.c's (roomd-rtc-priv.h).
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <sodium.h>
#include <gst/video/video.h>

#include "e2ee/keyring.h"
#include "roomd-rtc-priv.h"

#define LIST_US (G_USEC_PER_SEC)        /* publishers listed this often */
#define LIST_WAITING_US (G_USEC_PER_SEC / 4)    /* ... while one is awaited */
#define RETRY_US (G_USEC_PER_SEC)       /* joining again after Janus went */
#define WAIT_SENDER_US (G_USEC_PER_SEC / 10)    /* our sender index known? */

/* Janus drives these lines (offers, losses, publishers coming and going):
 * rate-limited, 30 in 10 s (gste2eeloglimit.h). One transport a process. */
GstE2eeLogLimit *
roomd_rtc_log (void)
{
  static GstE2eeLogLimit limit;
  static gsize once;

  if (g_once_init_enter (&once)) {
    gst_e2ee_log_limit_init (&limit, "roomd", "Janus", 30, 10);
    g_once_init_leave (&once, 1);
  }
  return &limit;
}

void
roomd_rtc_add_stats (RoomdRtc * r, struct rtc_peer *p)
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

void
roomd_rtc_count_consent_lost (RoomdRtc * r)
{
  g_mutex_lock (&r->lock);
  r->t.consent_lost++;
  g_mutex_unlock (&r->lock);
}

/* Janus's strings (its SDP's names, its error text) as roomd prints them:
 * no newline, terminal escape or other byte that is not printable ASCII
 * reaches the log as it is (g_strescape: C escapes, octal). */
gchar *
roomd_rtc_printable (const gchar * janus_text)
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
int
roomd_rtc_check (RoomdRtc * r, int ret)
{
  if (ret == -ECONNRESET || ret == -ETIMEDOUT || ret == -EIO)
    r->broken = TRUE;
  return ret;
}

/* ------------------------------------------------------------- publisher */

/* Every peer connection and the session go. */
static void
leave (RoomdRtc * r)
{
  roomd_rtc_close_subscriptions (r);
  if (r->pub) {
    rtc_gst_set_peer (r->pub_gst, NULL);
    roomd_rtc_add_stats (r, r->pub);
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
  struct rtc_janus_config jc = { r->host, r->port, r->ca, REQUEST_MS, r->pin };
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
      if (ret == -ECONNRESET)   /* not a refused peer-reflexive check */
        roomd_rtc_count_consent_lost (r);
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

    roomd_rtc_drop_subscriptions (r);
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
      r->next_list = now + (roomd_rtc_match (r) ? LIST_WAITING_US : LIST_US);
    roomd_rtc_watch_subscriptions (r, now);
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
  r->pin = g_strdup (cfg->pin);
  for (guint i = 0; i < 2; i++)
    r->ssrc[i] = g_random_int_range (1, G_MAXINT32);
  g_mutex_init (&r->lock);
  r->subs = g_ptr_array_new ();
  r->pub_gst = rtc_gst_new ();
  return r;
}

void
roomd_rtc_set_slot_func (RoomdRtc * r, RoomdRtcSlotFunc func, gpointer data)
{
  r->slot_func = func;
  r->slot_data = data;
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
roomd_rtc_src (RoomdRtc * r, guint sender, guint slot, guint stream,
    GstCaps * caps, gint ** authenticated)
{
  gchar *name = slot ? g_strdup_printf ("rtc-%s-%u-%u",
      stream == E2EE_STREAM_VIDEO ? "video" : "audio", sender, slot) :
      g_strdup_printf ("rtc-%s-%u",
      stream == E2EE_STREAM_VIDEO ? "video" : "audio", sender);
  GstElement *e = NULL;
  Sub *s;

  g_return_val_if_fail (slot < ROOMD_RTC_CANDIDATES, NULL);
  g_mutex_lock (&r->lock);
  s = roomd_rtc_find_sub (r, sender);
  if (!s) {
    s = g_new0 (Sub, 1);
    s->sender = sender;
    g_ptr_array_add (r->subs, s);
  }
  if (!s->slot[slot].gst)
    s->slot[slot].gst = rtc_gst_new ();
  e = rtc_gst_src (s->slot[slot].gst, name, caps,
      stream == E2EE_STREAM_VIDEO ? PT_VIDEO : PT_AUDIO, 0);
  s->slot[slot].src[stream == E2EE_STREAM_VIDEO] = e;
  *authenticated = &s->slot[slot].authenticated;
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
  for (guint i = 0; i < r->subs->len; i++)
    for (guint k = 0; k < ROOMD_RTC_CANDIDATES; k++) {
      struct rtc_gst *g = ((Sub *) r->subs->pdata[i])->slot[k].gst;

      plis += g ? rtc_gst_plis_sent (g) : 0;
      pool_empty += g ? rtc_gst_pool_empty (g) : 0;
    }
  g_mutex_unlock (&r->lock);
  /* The candidates' lines first: once the transport line is there, they
   * are too (tests wait for it). */
  roomd_rtc_print_candidates (r);
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
      G_GUINT64_FORMAT " consent-lost=%" G_GUINT64_FORMAT " candidates=%"
      G_GUINT64_FORMAT " candidates-pruned=%" G_GUINT64_FORMAT
      " candidates-over=%" G_GUINT64_FORMAT "\n", t.joins, t.losses,
      t.subscriptions,
      t.resubscriptions, t.rtp_in, t.rtp_out, t.dropped_foreign,
      t.dropped_other, t.dropped_early, t.dropped_auth, t.dropped_ssrc,
      t.candidates_refused, pool_empty, unknown, t.keyframe_requests,
      rtc_gst_force_key_units (r->pub_gst),
      rtc_gst_keyframes_deferred (r->pub_gst),
      rtc_gst_keyframes_refused (r->pub_gst), plis, t.consent_lost,
      t.candidates, t.candidates_pruned, t.candidates_over);
  g_free (unknown);
}

void
roomd_rtc_free (RoomdRtc * r)
{
  if (!r)
    return;
  roomd_rtc_stop (r);
  for (guint i = 0; i < r->subs->len; i++)
    roomd_rtc_free_sub (r->subs->pdata[i]);
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
  if (r->pin)
    sodium_memzero (r->pin, strlen (r->pin));
  g_free (r->pin);
  g_free (r);
}
