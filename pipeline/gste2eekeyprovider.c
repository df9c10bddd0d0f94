/* SPDX-License-Identifier: MIT */
/* The key provider: keyxchgd's key events into e2eeenc / e2eedec. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "e2ee/keyring.h"
#include "e2ee/secret.h"
#include "gste2eekeyprovider.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
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
  gboolean subscribed, discarding, down_reported;
  /* What arrived of the current line; wiped as soon as a line is consumed. */
  gchar buf[GST_E2EE_KEY_EVENT_LINE_MAX + 1];
  gsize len;

  GArray *installed;            /* of Installed: KIDs only, never keys */
  GstE2eeKeyProviderStats stats;
};

static void schedule_connect (GstE2eeKeyProvider * kp);

static void
say (const gchar * fmt, ...) G_GNUC_PRINTF (1, 2);

/* Loud on purpose: on stderr, one line, prefixed; never a key in it. */
static void
say (const gchar * fmt, ...)
{
  va_list ap;
  gchar *text;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_printerr ("keyprovider: %s\n", text);
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

  if (find_installed (kp, ev->kid, ev->usage) >= 0) {
    /* Never replace: a send key re-added would restart its counter (RFC 9605 9.1). */
    say ("kid=%" G_GUINT64_FORMAT " usage=%s already installed, kept",
        ev->kid, usage_name (ev->usage));
    return TRUE;
  }
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
  if (ok) {
    Installed in = { ev->kid, ev->usage };

    g_array_append_val (kp->installed, in);
    kp->stats.installed++;
  }
  say ("install kid=%" G_GUINT64_FORMAT " (stream %u sender %u epoch %u) "
      "usage=%s: %s", ev->kid, gst_e2ee_kid_stream (ev->kid),
      gst_e2ee_kid_sender (ev->kid), gst_e2ee_kid_epoch (ev->kid),
      usage_name (ev->usage), ok ? "ok" : "refused by the element");
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

/* Outside a meeting no media key may stay in this process. */
static void
remove_all (GstE2eeKeyProvider * kp)
{
  while (kp->installed->len) {
    Installed in = g_array_index (kp->installed, Installed,
        kp->installed->len - 1);

    remove_key (kp, in.kid, in.usage);
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
  /* EOF, error or hang-up: keyxchgd went away. Keys stay installed. */
  say ("connection to keyxchgd lost; reconnecting");
  kp->watch_id = 0;             /* this source ends by returning REMOVE */
  disconnect (kp);
  schedule_connect (kp);
  return G_SOURCE_REMOVE;
}

static gboolean
try_connect (gpointer data)
{
  GstE2eeKeyProvider *kp = data;
  struct sockaddr_un addr = {.sun_family = AF_UNIX };
  static const char req[] = "{\"id\":\"" SUBSCRIBE_ID "\",\"cmd\":\"subscribe\","
      "\"events\":[\"keys\",\"state\"]}\n";
  gint fd;

  kp->retry_id = 0;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto retry;
  strcpy (addr.sun_path, kp->path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr))
      || send (fd, req, sizeof (req) - 1, MSG_NOSIGNAL) !=
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
  kp->cb = *callbacks;
  kp->user_data = user_data;
  kp->fd = -1;
  kp->backoff_ms = BACKOFF_MIN_MS;
  kp->installed = g_array_new (FALSE, FALSE, sizeof (Installed));
  return kp;
}

void
gst_e2ee_key_provider_start (GstE2eeKeyProvider * kp)
{
  if (kp->fd < 0 && !kp->retry_id)
    try_connect (kp);
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
  g_array_free (kp->installed, TRUE);
  g_free (kp->path);
  e2ee_wipe (kp, sizeof (*kp));
  g_free (kp);
}
