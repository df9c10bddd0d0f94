/* SPDX-License-Identifier: MIT */
/*
 * Which publishers roomd subscribes to for a sender (roomd-rtc-priv.h;
 * docs/transport.md "Names"). A name decides nothing: Janus lists
 * publishers by display name, and anyone who may publish in the room can
 * call itself "participant-N" (security review 6, finding 7: the first
 * one listed was taken, and a squatter publishing first silenced N).
 *
 * Every publisher claiming "participant-N" for a sender N with a branch is
 * a candidate. Each subscribed candidate has a slot of N's branch: its own
 * appsrcs, jitterbuffers and depayloaders (RTP sequence numbers and SSRCs
 * are per subscription, so the RTP of two cannot share a jitterbuffer),
 * merged by a funnel before the branch's e2eedecs. e2eedec authenticates
 * each frame with N's keys and outputs a counter only above the last one
 * it output (per KID): of two copies of a frame the first to arrive goes
 * out, every later or older one is dropped as a replay. So a squatter
 * that republishes N's genuine SFrame frames, whole or selectively,
 * delayed or not, adds nothing and removes nothing while N's own
 * publisher is subscribed: a frame it delays is a replay when it comes, a
 * frame it drops came through N's slot anyway. The branch counts, per
 * slot, the frames its e2eedecs let out (the streaming thread is the
 * slot's: roomd-branch.c), and that count decides which slots stay:
 *
 *   proven    a slot whose count rose within PROBATION_US
 *   idle      a slot connected PROBATION_US ago or more whose count did
 *             not rise in the last PROBATION_US
 *
 * An idle slot that never brought a frame first since subscribed is
 * unsubscribed, its feed set aside for BENCH_US, while another slot of the
 * sender is proven (a squatter, a replayer whose copies all came second)
 * or a claimant not subscribed waits for a slot. An idle slot that did
 * bring frames first stays: N's own publisher may lose the race to a
 * replayer for a while (seen under ASan and load), or go quiet while Janus
 * delays it, and must not be left to the replayer, nor to a squatter that
 * republishes under new feed ids to keep a claimant waiting. With every slot bringing frames and a claimant
 * waiting, the slot with the fewest frames first in its last whole window
 * makes room, at most once per PROBATION_US. Benched feeds wait only while
 * no slot is proven: with nothing proven every claimant is tried again in
 * turn. Bounds:
 * ROOMD_RTC_CANDIDATES slots a sender, ROOMD_RTC_EXTRA subscriptions
 * beyond each sender's first in all; claimants left out are counted and
 * named in a rate-limited line. A slot's chains are built on the main
 * thread when first wanted (RoomdRtcSlotFunc), then kept while the branch
 * lives: a sender nobody squats costs one slot, as before.
 *
 * Keyframe requests of the branch (e2eedec's, the decoder's) go to the
 * slot whose frame raised them (roomd-branch.c), so a squatter's frames,
 * refused, ask the squatter and not N for keyframes.
 */
#include <errno.h>
#include <string.h>

#include <gst/gst.h>

#include "e2ee/keyring.h"
#include "roomd-rtc-priv.h"

#define PROBATION_US (10 * G_USEC_PER_SEC)
#define BENCH_US (60 * G_USEC_PER_SEC)

static gboolean
slot_busy (const Slot * k)
{
  return k->peer != NULL;
}

static guint
n_busy (const Sub * s)
{
  guint n = 0;

  for (guint i = 0; i < ROOMD_RTC_CANDIDATES; i++)
    n += slot_busy (&s->slot[i]);
  return n;
}

static void
set_feed (RoomdRtc * r, Slot * k, guint64 feed)
{
  g_mutex_lock (&r->lock);
  k->feed = feed;
  g_mutex_unlock (&r->lock);
}

/* The peer connection of slot k goes (the branch and the slot stay). */
static void
unsubscribe (RoomdRtc * r, Slot * k, gboolean detach)
{
  const gchar *why = NULL;

  if (k->peer) {
    rtc_gst_set_peer (k->gst, NULL);
    roomd_rtc_add_stats (r, k->peer);
    rtc_peer_free (k->peer);
    k->peer = NULL;
  }
  if (detach && k->handle && r->j && !r->broken)
    roomd_rtc_check (r, rtc_janus_detach (r->j, k->handle, &why));
  k->handle = 0;
  set_feed (r, k, 0);
  k->connected_at = 0;
}

/* Janus's offer must be H.264 and Opus (in payload types of its choice:
 * the appsrcs follow them). */
static const gchar *
offer_fits (Sub * s, Slot * k, const struct rtc_sdp *sdp)
{
  for (guint i = 0; i < sdp->n_media; i++) {
    const struct rtc_sdp_media *m = &sdp->media[i];
    guint stream = !strcmp (m->kind, "video") ? E2EE_STREAM_VIDEO :
        E2EE_STREAM_AUDIO;

    if (m->rejected)
      continue;
    if (g_ascii_strcasecmp (m->codec, stream == E2EE_STREAM_VIDEO ? "H264" :
            "opus")) {
      gchar *kind = roomd_rtc_printable (m->kind);
      gchar *codec = roomd_rtc_printable (m->codec);

      janus_say (TRUE, "roomd: sender %u: Janus offers %s as %s", s->sender,
          kind, codec);
      g_free (kind);
      g_free (codec);
      return "Janus offers other than H.264 video and Opus audio";
    }
    if (k->src[stream])
      rtc_gst_src_set_pt (k->gst, k->src[stream], m->pt);
  }
  return NULL;
}

static int
subscribe (RoomdRtc * r, Sub * s, guint slot, guint64 feed, guint of,
    const gchar ** why)
{
  Slot *k = &s->slot[slot];
  struct rtc_peer_config pc = {.local_addr = r->local,.remote_allow =
        (const char *const *) r->allow };
  char *offer = NULL, *answer = NULL;
  int ret;

  ret = roomd_rtc_check (r, rtc_janus_attach (r->j, &k->handle, why));
  if (ret)
    return ret;
  rtc_gst_peer_config (k->gst, &pc);
  ret = rtc_peer_new (&pc, &k->peer);
  if (ret) {
    *why = "no peer connection (libnice)";
    goto out;
  }
  ret = roomd_rtc_check (r, rtc_janus_subscribe (r->j, k->handle, r->room,
          feed, &offer, why));
  if (!ret)
    ret = rtc_peer_set_offer (k->peer, offer, strlen (offer), why);
  if (!ret && (*why = offer_fits (s, k, rtc_peer_remote (k->peer))))
    ret = -ENOTSUP;
  if (!ret && !(answer = rtc_peer_answer (k->peer, GATHER_MS))) {
    *why = "no answer (gathering did not finish)";
    ret = -ETIMEDOUT;
  }
  if (ret)
    goto out;
  rtc_gst_set_peer (k->gst, k->peer);
  ret = roomd_rtc_check (r, rtc_janus_start (r->j, k->handle, answer, why));
  if (!ret)
    ret = roomd_rtc_check (r, rtc_janus_trickle_done (r->j, k->handle, why));
  if (ret)
    goto out;
  g_mutex_lock (&r->lock);
  k->feed = feed;
  k->auth_base = g_atomic_int_get (&k->authenticated);
  g_mutex_unlock (&r->lock);
  k->since = g_get_monotonic_time ();
  k->last_auth = g_atomic_int_get (&k->authenticated);
  k->last_auth_at = 0;
  k->mark_at = 0;
  k->window = -1;
  g_mutex_lock (&r->lock);
  r->t.subscriptions++;
  if (n_busy (s) > 1)
    r->t.candidates++;
  g_mutex_unlock (&r->lock);
  janus_say (FALSE, "roomd: subscribing to sender %u (Janus feed %"
      G_GUINT64_FORMAT ", slot %u, %u publishers claim participant-%u) on %s "
      "port %u", s->sender, feed, slot, of, s->sender, r->local,
      rtc_peer_local_port (k->peer));
out:
  if (ret)
    unsubscribe (r, k, TRUE);
  free (offer);
  g_free (answer);
  return ret;
}

/* ICE and DTLS within CONNECT_US, or the subscription goes (and is made
 * again at the next listing); its authenticated frames read. */
static void
watch_slot (RoomdRtc * r, Sub * s, guint slot, gint64 now)
{
  Slot *k = &s->slot[slot];
  const gchar *why = NULL;
  gint auth;
  int ret;

  if (!k->peer)
    return;
  auth = g_atomic_int_get (&k->authenticated);
  if (auth != k->last_auth) {
    if (!k->last_auth_at)
      janus_say (FALSE, "roomd: sender %u: Janus feed %" G_GUINT64_FORMAT
          " (slot %u) brings frames that authenticate", s->sender, k->feed,
          slot);
    k->last_auth = auth;
    k->last_auth_at = now;
  }
  /* Frames per PROBATION_US window since it connected (the rotation). */
  if (k->connected_at && now - k->mark_at >= PROBATION_US) {
    if (k->mark_at)
      k->window = auth - k->mark_auth;
    k->mark_auth = auth;
    k->mark_at = now;
  }
  ret = rtc_peer_wait_connected (k->peer, 0, &why);
  if (k->connected_at) {
    /* Connected once: a later failure (ICE consent lost) subscribes again. */
    if (ret) {
      janus_say (TRUE, "roomd: sender %u: %s; subscribing again", s->sender,
          why);
      if (ret == -ECONNRESET)   /* not a refused peer-reflexive check */
        roomd_rtc_count_consent_lost (r);
      unsubscribe (r, k, TRUE);
    }
    return;
  }
  if (!ret) {
    gchar pair[RTC_PEER_PAIR_LEN];

    k->connected_at = now;
    rtc_peer_selected_pair (k->peer, pair, sizeof (pair));
    janus_say (FALSE, "roomd: receiving sender %u through Janus (ICE and DTLS "
        "done, pair %s)", s->sender, pair);
  } else if (ret != -ETIMEDOUT || now - k->since > CONNECT_US) {
    janus_say (TRUE, "roomd: sender %u: %s; subscribing again", s->sender, why);
    unsubscribe (r, k, TRUE);
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

void
roomd_rtc_watch_subscriptions (RoomdRtc * r, gint64 now)
{
  GPtrArray *subs = wanted (r);

  for (guint i = 0; i < subs->len; i++)
    for (guint k = 0; k < ROOMD_RTC_CANDIDATES; k++)
      watch_slot (r, subs->pdata[i], k, now);
  g_ptr_array_unref (subs);
}

static gboolean
proven (const Slot * k, gint64 now)
{
  return k->peer && k->last_auth_at && now - k->last_auth_at < PROBATION_US;
}

static gboolean
idle (const Slot * k, gint64 now)
{
  return k->peer && k->connected_at && now - k->connected_at >= PROBATION_US
      && !proven (k, now);
}

static Slot *
slot_of_feed (Sub * s, guint64 feed)
{
  for (guint i = 0; i < ROOMD_RTC_CANDIDATES; i++)
    if (s->slot[i].peer && s->slot[i].feed == feed)
      return &s->slot[i];
  return NULL;
}

/* Until when feed is set aside (0: it is not). */
static gint64
benched_until (const Sub * s, guint64 feed, gint64 now)
{
  for (guint i = 0; i < ROOMD_RTC_BENCHED; i++)
    if (s->bench[i].feed == feed && s->bench[i].until > now)
      return s->bench[i].until;
  return 0;
}

static void
bench (Sub * s, guint64 feed, gint64 now)
{
  guint oldest = 0;

  for (guint i = 0; i < ROOMD_RTC_BENCHED; i++) {
    if (s->bench[i].feed == feed || s->bench[i].until <= now) {
      oldest = i;
      break;
    }
    if (s->bench[i].until < s->bench[oldest].until)
      oldest = i;
  }
  s->bench[oldest] = (Benched) {
  feed, now + BENCH_US};
}

/* Subscriptions beyond each sender's first, over every sender. */
static guint
extra_subscriptions (GPtrArray * subs)
{
  guint extra = 0;

  for (guint i = 0; i < subs->len; i++) {
    guint n = n_busy (subs->pdata[i]);

    extra += n > 1 ? n - 1 : 0;
  }
  return extra;
}

/* The main thread builds slot of s (roomd-branch.c), once. */
typedef struct
{
  RoomdRtc *r;
  guint sender, slot;
} SlotAsk;

static gboolean
build_slot (gpointer data)
{
  SlotAsk *a = data;

  if (a->r->slot_func)
    a->r->slot_func (a->r->slot_data, a->sender, a->slot);
  g_free (a);
  return G_SOURCE_REMOVE;
}

/* A free slot whose chains are built, or NULL (and the next one asked). */
static gint
free_slot (RoomdRtc * r, Sub * s)
{
  for (guint i = 0; i < ROOMD_RTC_CANDIDATES; i++) {
    Slot *k = &s->slot[i];
    gboolean built, begun;

    if (slot_busy (k))
      continue;
    /* Both streams' appsrcs (roomd_rtc_src() makes one at a time). */
    g_mutex_lock (&r->lock);
    built = k->gst && k->src[0] && k->src[1];
    begun = k->gst != NULL;
    g_mutex_unlock (&r->lock);
    if (built)
      return (gint) i;
    /* One stream's made, the other's not yet: the main thread is building
     * it (slot 0 with the sender's branch). Asked again, it would make the
     * same elements twice. */
    if (!begun && !k->requested) {
      SlotAsk *a = g_new (SlotAsk, 1);

      *a = (SlotAsk) {
      r, s->sender, i};
      k->requested = TRUE;
      g_idle_add (build_slot, a);
    }
    return -1;
  }
  return -1;
}

/* The claimants of s waiting for a slot, best first: never set aside, in
 * Janus's order, then (only while no slot is proven) the set-aside ones,
 * the soonest to come back first. */
static guint
waiting_claimants (Sub * s, const guint64 * claim, guint n_claim,
    gboolean any_proven, gint64 now, guint64 * out)
{
  guint n = 0;

  for (guint i = 0; i < n_claim; i++)
    if (!slot_of_feed (s, claim[i]) && !benched_until (s, claim[i], now))
      out[n++] = claim[i];
  if (any_proven)
    return n;
  for (guint first = n, i = 0; i < n_claim; i++) {
    gint64 until = benched_until (s, claim[i], now);
    guint at = n;

    if (slot_of_feed (s, claim[i]) || !until)
      continue;
    while (at > first && benched_until (s, out[at - 1], now) > until) {
      out[at] = out[at - 1];
      at--;
    }
    out[at] = claim[i];
    n++;
  }
  return n;
}

/* Slot i of s unsubscribed, its feed set aside for BENCH_US; why says
 * what it brought ("... while WHY"). */
static void
prune (RoomdRtc * r, Sub * s, guint i, gint64 now, gboolean fewest,
    const gchar * why)
{
  Slot *k = &s->slot[i];
  gchar *what = fewest ? g_strdup_printf ("the fewest frames first "
      "(%d in %d s)", k->window, (int) (PROBATION_US / G_USEC_PER_SEC)) :
      g_strdup_printf ("no frame that authenticates first in %d s",
      (int) (PROBATION_US / G_USEC_PER_SEC));

  janus_say (TRUE, "roomd: sender %u: Janus feed %" G_GUINT64_FORMAT
      " (slot %u) brought %s while %s; unsubscribed, set aside for %d s",
      s->sender, k->feed, i, what, why, (int) (BENCH_US / G_USEC_PER_SEC));
  g_free (what);
  bench (s, k->feed, now);
  unsubscribe (r, k, TRUE);
  g_mutex_lock (&r->lock);
  r->t.candidates_pruned++;
  g_mutex_unlock (&r->lock);
}

/* One sender against the listing: TRUE while it is awaited. */
static gboolean
match_sender (RoomdRtc * r, Sub * s, const struct rtc_janus_participant *list,
    guint n, GPtrArray * subs, gint64 now)
{
  gchar *name = g_strdup_printf ("participant-%u", s->sender);
  guint64 claim[RTC_JANUS_MAX_PARTICIPANTS], wait[RTC_JANUS_MAX_PARTICIPANTS];
  guint n_claim = 0, n_wait, taken = 0;
  gboolean any_proven = FALSE, asked = FALSE;
  const gchar *why = NULL;

  for (guint i = 0; i < n; i++)
    if (!strcmp (list[i].display, name) && list[i].id)
      claim[n_claim++] = list[i].id;
  g_free (name);
  /* Gone from the listing: unsubscribed. */
  for (guint i = 0; i < ROOMD_RTC_CANDIDATES; i++) {
    Slot *k = &s->slot[i];
    gboolean listed = FALSE;

    for (guint c = 0; c < n_claim && k->peer; c++)
      listed |= claim[c] == k->feed;
    if (!k->peer || listed)
      continue;
    janus_say (FALSE, "roomd: sender %u: Janus feed %" G_GUINT64_FORMAT
        " no longer publishes as participant-%u; unsubscribing", s->sender,
        k->feed, s->sender);
    unsubscribe (r, k, TRUE);
    if (n_claim) {
      g_mutex_lock (&r->lock);
      r->t.resubscriptions++;
      g_mutex_unlock (&r->lock);
    }
  }
  for (guint i = 0; i < ROOMD_RTC_CANDIDATES; i++)
    any_proven |= proven (&s->slot[i], now);
  n_wait = waiting_claimants (s, claim, n_claim, any_proven, now, wait);
  /* Idle slots that never brought a frame first go, while another slot of
   * N does (a squatter; a replayer whose copies all came second) or a
   * claimant waits for a place. An idle slot that did bring frames first
   * stays: it may be N's own, behind a replayer that won the race for a
   * while or a path Janus delays, and a squatter republishing under new
   * feed ids always has a claimant waiting (security review 8, finding 2).
   * Only the rotation below moves it, with every slot full. */
  for (guint i = 0; i < ROOMD_RTC_CANDIDATES && !r->broken; i++) {
    Slot *k = &s->slot[i];

    if (!idle (k, now) || k->last_auth_at || !(any_proven || n_wait))
      continue;
    prune (r, s, i, now, FALSE, n_wait ? "another publisher claims the name" :
        "another publisher of participant-N did");
  }
  /* Every slot full and bringing frames, a claimant waiting: the one that
   * brought the fewest frames first in its last window makes room, at most
   * once per PROBATION_US (N's own publisher, first with nearly every
   * frame, is not the one). */
  if (n_wait && n_busy (s) == ROOMD_RTC_CANDIDATES && now >= s->next_rotation
      && !r->broken) {
    gint worst = 0;

    /* Only once every slot has a whole window to compare. */
    for (guint i = 0; i < ROOMD_RTC_CANDIDATES && worst >= 0; i++)
      if (s->slot[i].window < 0)
        worst = -1;
      else if (s->slot[i].window < s->slot[worst].window)
        worst = (gint) i;
    if (worst >= 0) {
      s->next_rotation = now + PROBATION_US;
      prune (r, s, (guint) worst, now, TRUE, "every slot brought frames and "
          "another publisher claims the name");
    }
  }
  for (guint w = 0; w < n_wait && !r->broken; w++) {
    gint slot;

    if (n_busy (s) >= 1 && extra_subscriptions (subs) >= ROOMD_RTC_EXTRA)
      break;
    if ((slot = free_slot (r, s)) < 0) {
      asked = n_busy (s) < ROOMD_RTC_CANDIDATES;
      break;
    }
    if (subscribe (r, s, (guint) slot, wait[w], n_claim, &why))
      janus_say (TRUE, "roomd: subscribing to sender %u: %s", s->sender, why);
    taken = w + 1;
  }
  /* Said at most once per PROBATION_US a sender (the listing is every
   * second), counted at every listing. */
  if (taken < n_wait && !asked && now >= s->next_over_line) {
    GString *feeds = g_string_new (NULL);

    s->next_over_line = now + PROBATION_US;
    for (guint w = taken; w < n_wait; w++)
      g_string_append_printf (feeds, " %" G_GUINT64_FORMAT, wait[w]);
    janus_say (TRUE, "roomd: sender %u: %u more publishers claim "
        "participant-%u than are subscribed at once (%d a sender, %d beyond "
        "each sender's first in all); left out for now: feeds%s", s->sender,
        n_wait - taken, s->sender, ROOMD_RTC_CANDIDATES, ROOMD_RTC_EXTRA,
        feeds->str);
    g_string_free (feeds, TRUE);
  }
  if (taken < n_wait && !asked) {
    g_mutex_lock (&r->lock);
    r->t.candidates_over++;
    g_mutex_unlock (&r->lock);
  }
  /* Listed again soon while the sender is not published yet, or a slot is
   * being built; one whose subscription failed is tried again at the
   * normal pace (each try says why). */
  return asked || (!n_busy (s) && !n_claim);
}

gboolean
roomd_rtc_match (RoomdRtc * r)
{
  struct rtc_janus_participant list[RTC_JANUS_MAX_PARTICIPANTS];
  const gchar *why = NULL;
  gint64 now = g_get_monotonic_time ();
  GPtrArray *subs;
  gboolean waiting = FALSE;
  guint n;

  if (roomd_rtc_check (r, rtc_janus_list (r->j, r->pub_handle, r->room, list,
              G_N_ELEMENTS (list), &n, &why))) {
    janus_say (TRUE, "roomd: listing Janus's publishers: %s", why);
    return TRUE;
  }
  subs = wanted (r);
  for (guint i = 0; i < subs->len && !r->broken; i++)
    waiting |= match_sender (r, subs->pdata[i], list, n, subs, now);
  g_ptr_array_unref (subs);
  return waiting;
}

void
roomd_rtc_free_sub (Sub * s)
{
  for (guint i = 0; i < ROOMD_RTC_CANDIDATES; i++)
    rtc_gst_free (s->slot[i].gst);
  g_free (s);
}

/* Branches that went: their subscriptions and appsrcs go. */
void
roomd_rtc_drop_subscriptions (RoomdRtc * r)
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

    if (n_busy (s))
      janus_say (FALSE, "roomd: unsubscribing from sender %u (its branch went)",
          s->sender);
    for (guint k = 0; k < ROOMD_RTC_CANDIDATES; k++) {
      Slot *slot = &s->slot[k];

      unsubscribe (r, slot, TRUE);
      if (!slot->gst)
        continue;
      g_mutex_lock (&r->lock);
      r->t.plis_sent += rtc_gst_plis_sent (slot->gst);
      r->t.pool_empty += rtc_gst_pool_empty (slot->gst);
      g_mutex_unlock (&r->lock);
    }
    roomd_rtc_free_sub (s);
  }
  g_ptr_array_unref (gone);
}

void
roomd_rtc_close_subscriptions (RoomdRtc * r)
{
  GPtrArray *subs = wanted (r);

  /* Dropped ones too go at the next drop_subscriptions(). */
  for (guint i = 0; i < subs->len; i++)
    for (guint k = 0; k < ROOMD_RTC_CANDIDATES; k++)
      unsubscribe (r, &((Sub *) subs->pdata[i])->slot[k], FALSE);
  g_ptr_array_unref (subs);
}

Sub *
roomd_rtc_find_sub (RoomdRtc * r, guint sender)
{
  for (guint i = 0; i < r->subs->len; i++) {
    Sub *s = r->subs->pdata[i];

    if (s->sender == sender && !s->drop)
      return s;
  }
  return NULL;
}

void
roomd_rtc_print_candidates (RoomdRtc * r)
{
  g_mutex_lock (&r->lock);
  for (guint i = 0; i < r->subs->len; i++) {
    Sub *s = r->subs->pdata[i];

    for (guint k = 0; k < ROOMD_RTC_CANDIDATES; k++)
      if (s->slot[k].feed)
        g_print ("roomd candidate sender=%u slot=%u feed=%" G_GUINT64_FORMAT
            " authenticated=%d rtp-pushed=%" G_GUINT64_FORMAT "\n", s->sender,
            k, s->slot[k].feed, g_atomic_int_get (&s->slot[k].authenticated)
            - s->slot[k].auth_base,
            rtc_gst_pushed (s->slot[k].gst));
  }
  g_mutex_unlock (&r->lock);
}
