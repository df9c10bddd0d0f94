/* SPDX-License-Identifier: MIT */
/* The key provider: keyxchgd's key events into e2eeenc / e2eedec. */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "e2ee/keyring.h"
#include "e2ee/secret.h"
#include "gste2eekeyprovider.h"
#include "gste2eeloglimit.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/*
 * Without keyxchgd, keys go: send keys after a short grace (a keyxchgd
 * restart takes less), receive keys after the epoch grace (keyxchgd itself
 * removes a receive key 12 s after its epoch ended, DAEMON.md), so that
 * frames already sent under them still decrypt.
 */
#define DEFAULT_SEND_GRACE_MS 2000
#define DEFAULT_RECV_GRACE_MS 12000
#define SUBSCRIBE_ID "media-keys"

typedef struct
{
  guint64 kid;
  gint usage;
} Installed;

struct _GstE2eeKeyProvider
{
  gchar *path;
  gint sender_index;
  GstE2eeKeyProviderCallbacks cb;
  gpointer user_data;

  gint fd;
  guint watch_id, retry_id, backoff_ms;
  guint grace_id[3];            /* by usage: removal once keyxchgd is gone */
  guint grace_ms[3];
  gboolean subscribed, discarding, down_reported, refused_reported;
  uid_t server_uid;             /* keyxchgd's own user, or (uid_t) -1: root or us */
  /* What arrived of the current line; wiped as soon as a line is consumed. */
  gchar buf[GST_E2EE_KEY_EVENT_LINE_MAX + 1];
  gsize len;

  GArray *installed;            /* of Installed: KIDs only, never keys */
  GstE2eeKeyProviderStats stats;
};

static void schedule_connect (GstE2eeKeyProvider * kp);

static void
say (const gchar * fmt, ...) G_GNUC_PRINTF (1, 2);

/*
 * Loud on purpose: on stderr, one line, prefixed; never a key in it. What
 * keyxchgd's events drive, so rate-limited (gste2eeloglimit.h): 64 lines in
 * 10 s, far above what a meeting's keys make (four a sender an epoch).
 */
static void
say (const gchar * fmt, ...)
{
  static GstE2eeLogLimit limit;
  static gsize once;
  va_list ap;
  gchar *text;

  if (g_once_init_enter (&once)) {
    gst_e2ee_log_limit_init (&limit, "keyprovider", "keyxchgd's events", 64,
        10);
    g_once_init_leave (&once, 1);
  }
  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  gst_e2ee_log_limit_print (&limit, TRUE, "keyprovider: %s", text);
  g_free (text);
}

static const gchar *
usage_name (gint usage)
{
  return usage == E2EE_KEY_SEND ? "send" : "receive";
}

static gint
find_installed (GstE2eeKeyProvider * kp, guint64 kid, gint usage)
{
  for (guint i = 0; i < kp->installed->len; i++) {
    Installed *in = &g_array_index (kp->installed, Installed, i);

    if (in->kid == kid && in->usage == usage)
      return (gint) i;
  }
  return -1;
}

/* The element a key of (kid, usage) goes to; NULL with why. */
static GstElement *
element_for (GstE2eeKeyProvider * kp, guint64 kid, gint usage,
    gboolean create, const gchar ** why)
{
  guint stream = gst_e2ee_kid_stream (kid), sender = gst_e2ee_kid_sender (kid);
  GstElement *e;

  if (usage == E2EE_KEY_SEND) {
    if (kp->sender_index < 0) {
      *why = "our sender index is not known yet";
      return NULL;
    }
    if ((gint) sender != kp->sender_index) {
      *why = "a send key of another sender";
      return NULL;
    }
    e = kp->cb.get_encoder ? kp->cb.get_encoder (kp->user_data, stream) : NULL;
    if (!e)
      *why = "no encoder for this stream";
    return e;
  }
  e = kp->cb.get_decoder ? kp->cb.get_decoder (kp->user_data, stream, sender,
      create) : NULL;
  if (!e)
    *why = "no receive branch for this sender and stream";
  return e;
}

/* The first send key tells a provider without --sender-index who we are. */
static void
learn_sender (GstE2eeKeyProvider * kp, guint sender)
{
  if (kp->sender_index >= 0)
    return;
  kp->sender_index = (gint) sender;
  say ("sender index %u (from the first send key)", sender);
  for (guint s = 0; s <= GST_E2EE_KEY_EVENT_STREAM_MAX; s++) {
    GstElement *e = kp->cb.get_encoder ? kp->cb.get_encoder (kp->user_data, s)
        : NULL;

    if (e) {
      g_object_set (e, "sender-index", sender, NULL);
      gst_object_unref (e);
    }
  }
}

static void
wipe_free (gpointer p)
{
  /* The size is not passed: the block is always GST_E2EE_KEY_EVENT_KEY_MAX. */
  e2ee_wipe (p, GST_E2EE_KEY_EVENT_KEY_MAX);
  g_free (p);
}

static gboolean
install (GstE2eeKeyProvider * kp, GstE2eeKeyEvent * ev)
{
  const gchar *why = NULL;
  GstElement *e;
  GBytes *key;
  guint8 *copy;
  gboolean ok = FALSE;

  gboolean again = find_installed (kp, ev->kid, ev->usage) >= 0;

  /* Installed again (a reconnection): the element keeps the same key as it
   * is (its counter, its replay state) and refuses, loudly, another one. */
  if (ev->usage == E2EE_KEY_SEND)
    learn_sender (kp, gst_e2ee_kid_sender (ev->kid));
  e = element_for (kp, ev->kid, ev->usage, TRUE, &why);
  if (!e) {
    say ("install kid=%" G_GUINT64_FORMAT " usage=%s not applied: %s",
        ev->kid, usage_name (ev->usage), why);
    return FALSE;
  }
  /* A copy of our own that is wiped when the last reference goes. */
  copy = g_malloc0 (GST_E2EE_KEY_EVENT_KEY_MAX);
  memcpy (copy, ev->key, ev->key_len);
  key = g_bytes_new_with_free_func (copy, ev->key_len, wipe_free, copy);
  g_signal_emit_by_name (e, "add-key", ev->kid, key, ev->usage, &ok);
  g_bytes_unref (key);
  gst_object_unref (e);
  if (ok && !again) {
    Installed in = { ev->kid, ev->usage };

    g_array_append_val (kp->installed, in);
    kp->stats.installed++;
  }
  if (!ok && again)
    say ("ERROR: kid=%" G_GUINT64_FORMAT " usage=%s installed again with a "
        "DIFFERENT key: refused, the first key stays (keyxchgd and this "
        "device disagree on the epoch's keys)", ev->kid,
        usage_name (ev->usage));
  else
    say ("install kid=%" G_GUINT64_FORMAT " (stream %u sender %u epoch %u) "
        "usage=%s: %s", ev->kid, gst_e2ee_kid_stream (ev->kid),
        gst_e2ee_kid_sender (ev->kid), gst_e2ee_kid_epoch (ev->kid),
        usage_name (ev->usage), !ok ? "refused by the element" :
        again ? "the same key again, kept" : "ok");
  return ok;
}

static gboolean
remove_key (GstE2eeKeyProvider * kp, guint64 kid, gint usage)
{
  const gchar *why = NULL;
  GstElement *e = element_for (kp, kid, usage, FALSE, &why);
  gint at = find_installed (kp, kid, usage);
  gboolean ok = FALSE;

  if (at >= 0)
    g_array_remove_index_fast (kp->installed, (guint) at);
  if (!e) {
    say ("remove kid=%" G_GUINT64_FORMAT " usage=%s not applied: %s", kid,
        usage_name (usage), why);
    return FALSE;
  }
  g_signal_emit_by_name (e, "remove-key", kid, &ok);
  gst_object_unref (e);
  if (ok)
    kp->stats.removed++;
  say ("remove kid=%" G_GUINT64_FORMAT " usage=%s: %s", kid,
      usage_name (usage), ok ? "ok" : "no such key");
  return ok;
}

static gboolean
switch_send_kid (GstE2eeKeyProvider * kp, guint64 kid)
{
  const gchar *why = NULL;
  GstElement *e = element_for (kp, kid, E2EE_KEY_SEND, FALSE, &why);
  gboolean ok = FALSE;

  if (!e) {
    say ("send-kid kid=%" G_GUINT64_FORMAT " not applied: %s", kid, why);
    return FALSE;
  }
  g_signal_emit_by_name (e, "set-send-kid", kid, &ok);
  gst_object_unref (e);
  if (ok)
    kp->stats.switched++;
  say ("send-kid kid=%" G_GUINT64_FORMAT " (stream %u epoch %u): %s", kid,
      gst_e2ee_kid_stream (kid), gst_e2ee_kid_epoch (kid),
      ok ? "ok" : "no such send key");
  return ok;
}

/* Every key of that usage (0: both) it installed. */
static void
remove_usage (GstE2eeKeyProvider * kp, gint usage)
{
  for (guint i = kp->installed->len; i-- > 0;) {
    Installed in = g_array_index (kp->installed, Installed, i);

    if (!usage || in.usage == usage)
      remove_key (kp, in.kid, in.usage);
  }
}

/* Outside a meeting no media key may stay in this process. */
static void
remove_all (GstE2eeKeyProvider * kp)
{
  remove_usage (kp, 0);
}

/*
 * The elements' own expiry of every key of usage (a backstop that holds
 * even when this main loop does not run): in ms from now, or -1 to clear.
 */
static void
set_expiry (GstE2eeKeyProvider * kp, gint usage, gint64 ms)
{
  for (guint i = 0; i < kp->installed->len; i++) {
    Installed *in = &g_array_index (kp->installed, Installed, i);
    const gchar *why = NULL;
    GstElement *e;
    gboolean ok = FALSE;

    if (in->usage != usage
        || !(e = element_for (kp, in->kid, in->usage, FALSE, &why)))
      continue;
    g_signal_emit_by_name (e, "set-key-expiry", in->kid, ms, &ok);
    gst_object_unref (e);
  }
}

static gboolean
grace_over (gpointer data, gint usage)
{
  GstE2eeKeyProvider *kp = data;

  kp->grace_id[usage] = 0;
  say ("keyxchgd still away after %u ms: removing the %s keys",
      kp->grace_ms[usage], usage_name (usage));
  /* Each removal is reported as keyxchgd's own would be: the owner drops
   * what hangs on the key (roomd: a sender's receive branch). */
  for (guint i = kp->installed->len; i-- > 0;) {
    Installed in = g_array_index (kp->installed, Installed, i);
    GstE2eeKeyEvent ev = {.type = GST_E2EE_KEY_EVENT_REMOVE,.kid = in.kid,
      .usage = in.usage
    };
    gboolean ok;

    if (in.usage != usage)
      continue;
    ok = remove_key (kp, in.kid, in.usage);
    if (kp->cb.handled)
      kp->cb.handled (kp->user_data, &ev, ok);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
send_grace_over (gpointer data)
{
  return grace_over (data, E2EE_KEY_SEND);
}

static gboolean
recv_grace_over (gpointer data)
{
  return grace_over (data, E2EE_KEY_RECV);
}

/* keyxchgd went away: its keys go after their grace unless it comes back. */
static void
start_grace (GstE2eeKeyProvider * kp)
{
  static const gint usages[] = { E2EE_KEY_SEND, E2EE_KEY_RECV };

  for (guint i = 0; i < G_N_ELEMENTS (usages); i++) {
    gint u = usages[i];

    if (kp->grace_id[u])
      continue;
    set_expiry (kp, u, kp->grace_ms[u]);
    kp->grace_id[u] = g_timeout_add (kp->grace_ms[u], u == E2EE_KEY_SEND ?
        send_grace_over : recv_grace_over, kp);
  }
}

static void
stop_grace (GstE2eeKeyProvider * kp)
{
  static const gint usages[] = { E2EE_KEY_SEND, E2EE_KEY_RECV };

  for (guint i = 0; i < G_N_ELEMENTS (usages); i++) {
    gint u = usages[i];

    if (!kp->grace_id[u])
      continue;
    g_source_remove (kp->grace_id[u]);
    kp->grace_id[u] = 0;
    set_expiry (kp, u, -1);
  }
}

void
gst_e2ee_key_provider_handle_line (GstE2eeKeyProvider * kp,
    const gchar * line, gsize len)
{
  GstE2eeKeyEvent ev;
  const char *err = NULL;
  gboolean applied = FALSE;

  if (gst_e2ee_key_event_parse (line, len, &ev, &err)) {
    kp->stats.refused++;
    say ("refused a line from keyxchgd (%" G_GSIZE_FORMAT " bytes): %s", len,
        err);
    return;
  }
  switch (ev.type) {
    case GST_E2EE_KEY_EVENT_REPLY:
      if (!ev.ok) {
        say ("keyxchgd refused: %s", ev.error[0] ? ev.error : "(no reason)");
      } else if (!kp->subscribed && !strcmp (ev.id, SUBSCRIBE_ID)) {
        kp->subscribed = TRUE;
        kp->down_reported = FALSE;
        kp->refused_reported = FALSE;
        stop_grace (kp);
        kp->backoff_ms = BACKOFF_MIN_MS;
        kp->stats.connects++;
        say ("subscribed to keys and state at %s", kp->path);
        if (kp->cb.connection)
          kp->cb.connection (kp->user_data, TRUE);
      }
      applied = ev.ok;
      break;
    case GST_E2EE_KEY_EVENT_INSTALL:
      applied = install (kp, &ev);
      break;
    case GST_E2EE_KEY_EVENT_REMOVE:
      applied = remove_key (kp, ev.kid, ev.usage);
      break;
    case GST_E2EE_KEY_EVENT_SEND_KID:
      applied = switch_send_kid (kp, ev.kid);
      break;
    case GST_E2EE_KEY_EVENT_STATE:
      say ("state %s meeting=%s", ev.state, ev.meeting[0] ? ev.meeting : "-");
      if (strcmp (ev.state, "in-meeting"))
        remove_all (kp);
      applied = TRUE;
      break;
  }
  if (!applied && ev.type != GST_E2EE_KEY_EVENT_REPLY)
    kp->stats.failed++;
  /* The key's last copy here. */
  e2ee_wipe (ev.key, sizeof (ev.key));
  ev.key_len = 0;
  if (kp->cb.handled)
    kp->cb.handled (kp->user_data, &ev, applied);
  gst_e2ee_key_event_clear (&ev);
}

static void
disconnect (GstE2eeKeyProvider * kp)
{
  if (kp->watch_id)
    g_source_remove (kp->watch_id);
  kp->watch_id = 0;
  if (kp->fd >= 0)
    close (kp->fd);
  kp->fd = -1;
  e2ee_wipe (kp->buf, sizeof (kp->buf));
  kp->len = 0;
  kp->discarding = FALSE;
  if (kp->subscribed && kp->cb.connection)
    kp->cb.connection (kp->user_data, FALSE);
  kp->subscribed = FALSE;
}

/* Every complete line in the buffer; each is wiped once handled. */
static void
consume_lines (GstE2eeKeyProvider * kp)
{
  gchar *nl;

  while (kp->fd >= 0 && (nl = memchr (kp->buf, '\n', kp->len))) {
    gsize n = (gsize) (nl - kp->buf);

    if (kp->discarding)
      kp->discarding = FALSE;
    else
      gst_e2ee_key_provider_handle_line (kp, kp->buf, n);
    e2ee_wipe (kp->buf, n + 1);
    memmove (kp->buf, nl + 1, kp->len - n - 1);
    kp->len -= n + 1;
    e2ee_wipe (kp->buf + kp->len, n + 1);
  }
  if (kp->len == GST_E2EE_KEY_EVENT_LINE_MAX) {
    /* Too long for any event we take: refused whole, up to its newline. */
    if (!kp->discarding) {
      kp->stats.refused++;
      say ("refused a line from keyxchgd: longer than %d bytes",
          GST_E2EE_KEY_EVENT_LINE_MAX);
    }
    kp->discarding = TRUE;
    e2ee_wipe (kp->buf, sizeof (kp->buf));
    kp->len = 0;
  }
}

static gboolean
on_socket (gint fd, GIOCondition cond, gpointer data)
{
  GstE2eeKeyProvider *kp = data;
  gssize r;

  if (cond & G_IO_IN) {
    r = read (fd, kp->buf + kp->len, GST_E2EE_KEY_EVENT_LINE_MAX - kp->len);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
      return G_SOURCE_CONTINUE;
    if (r > 0) {
      kp->len += (gsize) r;
      consume_lines (kp);
      return G_SOURCE_CONTINUE;
    }
  } else if (!(cond & (G_IO_HUP | G_IO_ERR))) {
    return G_SOURCE_CONTINUE;
  }
  /* EOF, error or hang-up: keyxchgd went away. Its keys go after their
   * grace unless it comes back (start_grace). */
  say ("connection to keyxchgd lost; reconnecting; send keys go in %u ms, "
      "receive keys in %u ms unless it is back", kp->grace_ms[E2EE_KEY_SEND],
      kp->grace_ms[E2EE_KEY_RECV]);
  kp->watch_id = 0;             /* this source ends by returning REMOVE */
  if (kp->subscribed)
    start_grace (kp);
  disconnect (kp);
  schedule_connect (kp);
  return G_SOURCE_REMOVE;
}

/*
 * Whoever may create the socket is whoever can write its directory: it must
 * be ours, root's or keyxchgd's user's (when we were told it:
 * gst_e2ee_key_provider_set_server_uid; the image gives keyxchgd a directory
 * of its own, docs/processes.md) and writable by no one else. Its owner is
 * then trusted like us.
 */
static gboolean
socket_dir_ok (const gchar * path, uid_t server_uid, uid_t * owner)
{
  gchar *dir = g_path_get_dirname (path);
  struct stat st;
  gboolean ok = stat (dir, &st) == 0 && S_ISDIR (st.st_mode)
      && (st.st_uid == geteuid () || st.st_uid == 0
      || (server_uid != (uid_t) - 1 && st.st_uid == server_uid))
      && !(st.st_mode & (S_IWGRP | S_IWOTH));

  g_free (dir);
  *owner = st.st_uid;
  return ok;
}

/* The server end is keyxchgd's: root, us, or the socket directory's owner. */
static gboolean
peer_ok (gint fd, uid_t dir_owner, uid_t * uid)
{
  struct ucred cred;
  socklen_t len = sizeof (cred);

  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)
      || len != sizeof (cred))
    return FALSE;
  *uid = cred.uid;
  return cred.uid == 0 || cred.uid == geteuid () || cred.uid == dir_owner;
}

static void
refuse (GstE2eeKeyProvider * kp, const gchar * what)
{
  if (!kp->refused_reported)
    say ("ERROR: refusing keyxchgd at %s: %s", kp->path, what);
  kp->refused_reported = TRUE;
}

static gboolean
try_connect (gpointer data)
{
  GstE2eeKeyProvider *kp = data;
  struct sockaddr_un addr = {.sun_family = AF_UNIX };
  static const char req[] = "{\"id\":\"" SUBSCRIBE_ID "\",\"cmd\":\"subscribe\","
      "\"events\":[\"keys\",\"state\"]}\n";
  uid_t dir_owner = 0, peer = 0;
  gboolean connected;
  gint fd;

  kp->retry_id = 0;
  if (!socket_dir_ok (kp->path, kp->server_uid, &dir_owner)) {
    refuse (kp, "its directory is not root's, ours or keyxchgd's user's, or "
        "others may write it");
    goto retry;
  }
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto retry;
  strcpy (addr.sun_path, kp->path);
  connected = connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0;
  if (connected && !peer_ok (fd, dir_owner, &peer)) {
    gchar *why = g_strdup_printf ("the peer's uid %u is not root's, ours or "
        "the socket directory's owner's", (guint) peer);

    refuse (kp, why);
    g_free (why);
    close (fd);
    goto retry;
  }
  if (!connected || send (fd, req, sizeof (req) - 1, MSG_NOSIGNAL) !=
      (gssize) sizeof (req) - 1 || !g_unix_set_fd_nonblocking (fd, TRUE, NULL)) {
    if (!kp->down_reported)
      say ("cannot reach keyxchgd at %s: %s; retrying", kp->path,
          g_strerror (errno));
    kp->down_reported = TRUE;
    close (fd);
    goto retry;
  }
  kp->fd = fd;
  kp->watch_id = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_socket,
      kp);
  return G_SOURCE_REMOVE;
retry:
  schedule_connect (kp);
  return G_SOURCE_REMOVE;
}

static void
schedule_connect (GstE2eeKeyProvider * kp)
{
  if (kp->retry_id)
    return;
  kp->retry_id = g_timeout_add (kp->backoff_ms, try_connect, kp);
  kp->backoff_ms = MIN (kp->backoff_ms * 2, BACKOFF_MAX_MS);
}

GstE2eeKeyProvider *
gst_e2ee_key_provider_new (const gchar * socket_path, gint sender_index,
    const GstE2eeKeyProviderCallbacks * callbacks, gpointer user_data)
{
  GstE2eeKeyProvider *kp;

  g_return_val_if_fail (socket_path && callbacks, NULL);
  if (strlen (socket_path) >= sizeof (((struct sockaddr_un *) 0)->sun_path)
      || sender_index < -1 || sender_index > 65535)
    return NULL;
  if (gst_e2ee_key_event_init ())
    say ("jansson's allocator is someone else's: its freed copies are "
        "not wiped");
  kp = g_new0 (GstE2eeKeyProvider, 1);
  kp->path = g_strdup (socket_path);
  kp->sender_index = sender_index;
  kp->server_uid = (uid_t) - 1;
  kp->cb = *callbacks;
  kp->user_data = user_data;
  kp->fd = -1;
  kp->backoff_ms = BACKOFF_MIN_MS;
  kp->grace_ms[E2EE_KEY_SEND] = DEFAULT_SEND_GRACE_MS;
  kp->grace_ms[E2EE_KEY_RECV] = DEFAULT_RECV_GRACE_MS;
  kp->installed = g_array_new (FALSE, FALSE, sizeof (Installed));
  return kp;
}

void
gst_e2ee_key_provider_start (GstE2eeKeyProvider * kp)
{
  if (kp->fd < 0 && !kp->retry_id)
    try_connect (kp);
}

void
gst_e2ee_key_provider_set_grace (GstE2eeKeyProvider * kp, guint send_ms,
    guint recv_ms)
{
  kp->grace_ms[E2EE_KEY_SEND] = send_ms;
  kp->grace_ms[E2EE_KEY_RECV] = recv_ms;
}

void
gst_e2ee_key_provider_set_server_uid (GstE2eeKeyProvider * kp, uid_t uid)
{
  kp->server_uid = uid;
}

gint
gst_e2ee_key_provider_get_sender_index (GstE2eeKeyProvider * kp)
{
  return kp->sender_index;
}

const GstE2eeKeyProviderStats *
gst_e2ee_key_provider_get_stats (GstE2eeKeyProvider * kp)
{
  return &kp->stats;
}

void
gst_e2ee_key_provider_free (GstE2eeKeyProvider * kp)
{
  if (!kp)
    return;
  kp->cb.connection = NULL;
  disconnect (kp);
  if (kp->retry_id)
    g_source_remove (kp->retry_id);
  for (guint i = 0; i < G_N_ELEMENTS (kp->grace_id); i++)
    if (kp->grace_id[i])
      g_source_remove (kp->grace_id[i]);
  g_array_free (kp->installed, TRUE);
  g_free (kp->path);
  e2ee_wipe (kp, sizeof (*kp));
  g_free (kp);
}
