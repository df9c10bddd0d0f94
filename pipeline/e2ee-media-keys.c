/* SPDX-License-Identifier: MIT */
/*
 * e2ee-media's keys (e2ee-media-tool.h), from exactly one of two places.
 * --key-file: one base key in hex, in a regular file of ours, mode 0600,
 * read into a page of its own (gst_e2ee_media_key_memory), installed under
 * each stream's KID (RFC 9605 5.2 layout: stream, sender, epoch 0) into the
 * sender's e2eeenc or each peer's e2eedec, then wiped: the elements hold
 * their copies. --control: the key provider (gste2eekeyprovider.h) is
 * told where the elements are and puts keyxchgd's keys there; each event
 * it handled is one line "key ACTION kid=K usage=U applied=0|1 ...", and
 * the room display's banner follows it (keys in place: on; keyxchgd gone:
 * waiting). No key is ever printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2ee/keyring.h"
#include "e2ee/sframe.h"
#include "e2ee/secret.h"
#include "e2ee-media.h"
#include "e2ee-media-tool.h"

/* ------------------------------------------------------------ --key-file */

/* The file must be ours and private: it holds a media key. */
static gboolean
read_key (E2eeMedia * app)
{
  gchar buf[2 * E2EE_SFRAME_MAX_BASE_KEY + 4];
  struct stat st;
  gssize n;
  gsize len;
  gint fd = open (app->key_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0) {
    g_printerr ("e2ee-media: cannot open %s: %s\n", app->key_file,
        g_strerror (errno));
    return FALSE;
  }
  if (fstat (fd, &st) || !S_ISREG (st.st_mode) || st.st_uid != geteuid ()
      || (st.st_mode & 077)) {
    g_printerr ("e2ee-media: %s must be a regular file of ours, mode 0600\n",
        app->key_file);
    close (fd);
    return FALSE;
  }
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n < 0)
    n = 0;
  buf[n] = '\0';
  len = strcspn (buf, " \t\r\n");
  if (len % 2 || len < 32 || len / 2 > E2EE_SFRAME_MAX_BASE_KEY) {
    e2ee_wipe (buf, sizeof (buf));
    g_printerr ("e2ee-media: %s must hold 16 to 64 bytes of hex\n",
        app->key_file);
    return FALSE;
  }
  if (e2ee_hex_decode (buf, len, app->key, E2EE_SFRAME_MAX_BASE_KEY) < 0) {
    e2ee_wipe (buf, sizeof (buf));
    g_printerr ("e2ee-media: %s is not hex\n", app->key_file);
    return FALSE;
  }
  app->key_len = len / 2;
  e2ee_wipe (buf, sizeof (buf));
  return TRUE;
}

static gboolean
install_key (E2eeMedia * app, const gchar * name, guint64 stream, guint sender)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  guint64 kid = e2ee_kid_make (stream, (guint16) sender, 0);
  /* The element copies the key; this copy is wiped when it lets go. */
  GBytes *key = gst_e2ee_media_key_bytes (app->key, app->key_len);
  gboolean ok = FALSE;

  g_signal_emit_by_name (e, "add-key", kid, key,
      app->send ? E2EE_KEY_SEND : E2EE_KEY_RECV, &ok);
  if (ok && app->send)
    g_signal_emit_by_name (e, "set-send-kid", kid, &ok);
  g_bytes_unref (key);
  gst_object_unref (e);
  return ok;
}

gboolean
e2ee_media_read_key_file (E2eeMedia * app)
{
  return (app->key = gst_e2ee_media_key_memory ()) && read_key (app);
}

gboolean
e2ee_media_install_keys (E2eeMedia * app)
{
  if (!app->key_file)
    return TRUE;
  if (app->send) {
    if (!install_key (app, "venc", E2EE_STREAM_VIDEO,
            (guint) app->sender_index)
        || !install_key (app, "aenc", E2EE_STREAM_AUDIO,
            (guint) app->sender_index))
      return FALSE;
  } else {
    for (guint i = 0; i < app->n_peers; i++) {
      gchar *v = e2ee_media_peer_name ("vdec", app->peers[i].sender);
      gchar *a = e2ee_media_peer_name ("adec", app->peers[i].sender);
      gboolean ok = install_key (app, v, E2EE_STREAM_VIDEO,
          app->peers[i].sender)
          && install_key (app, a, E2EE_STREAM_AUDIO, app->peers[i].sender);

      g_free (v);
      g_free (a);
      if (!ok)
        return FALSE;
    }
  }
  /* The elements have copied the key: this process needs it no more. */
  gst_e2ee_media_key_memory_free (app->key);
  app->key = NULL;
  return TRUE;
}

/* ------------------------------------------- --control: the key provider */

static GstElement *
kp_get_encoder (gpointer data, guint stream)
{
  E2eeMedia *app = data;

  return app->send ? gst_e2ee_media_sender_encryptor (app->pipeline, stream)
      : NULL;
}

/* Branches come from --peer: a sender without one has no branch here. */
static GstElement *
kp_get_decoder (gpointer data, guint stream, guint sender, gboolean create)
{
  E2eeMedia *app = data;
  GstElement *e;
  gchar *name;

  if (app->send || stream > E2EE_STREAM_VIDEO
      || !e2ee_media_find_peer (app, sender))
    return NULL;
  name = e2ee_media_peer_name (stream == E2EE_STREAM_VIDEO ? "vdec" : "adec",
      sender);
  e = gst_bin_get_by_name (GST_BIN (app->pipeline), name);
  g_free (name);
  return e;
}

static void
kp_handled (gpointer data, const GstE2eeKeyEvent * ev, gboolean applied)
{
  static const gchar *const names[] = {
    [GST_E2EE_KEY_EVENT_REPLY] = "reply",
    [GST_E2EE_KEY_EVENT_INSTALL] = "install",
    [GST_E2EE_KEY_EVENT_REMOVE] = "remove",
    [GST_E2EE_KEY_EVENT_SEND_KID] = "send-kid",
    [GST_E2EE_KEY_EVENT_STATE] = "state",
  };
  E2eeMedia *app = data;
  E2eeMediaPeer *p;

  if (ev->type == GST_E2EE_KEY_EVENT_REPLY)
    return;
  /* The banner says "End-to-end encrypted" once a key is in place. */
  if (app->room && ev->type == GST_E2EE_KEY_EVENT_INSTALL && applied)
    gst_e2ee_room_display_set_e2ee (app->room, WM_E2EE_ON);
  g_print ("key %s kid=%" G_GUINT64_FORMAT " usage=%s applied=%d",
      names[ev->type], ev->kid, ev->usage == E2EE_KEY_SEND ? "send" :
      ev->usage == E2EE_KEY_RECV ? "receive" : "-", applied);
  if (!app->send && ev->type != GST_E2EE_KEY_EVENT_STATE
      && (p = e2ee_media_find_peer (app, gst_e2ee_kid_sender (ev->kid))))
    e2ee_media_print_peer (app, p, " ");
  g_print ("\n");
}

static void
kp_connection (gpointer data, gboolean up)
{
  E2eeMedia *app = data;

  g_print ("keyxchgd %s\n", up ? "connected" : "disconnected");
  /* Without keyxchgd the room cannot know its keys are current: the
   * banner says so at once (the keys themselves go after their grace);
   * it says "End-to-end encrypted" again once a key is installed. */
  if (!up) {
    if (app->room)
      gst_e2ee_room_display_set_e2ee (app->room, WM_E2EE_WAITING);
    g_print ("display e2ee waiting-for-keys\n");
  }
}

gboolean
e2ee_media_keys_start (E2eeMedia * app)
{
  static const GstE2eeKeyProviderCallbacks cb = {
    .get_encoder = kp_get_encoder,
    .get_decoder = kp_get_decoder,
    .handled = kp_handled,
    .connection = kp_connection,
  };

  if (!app->control)
    return TRUE;
  /* A receiver sends nothing: it has no sender index of its own here. */
  app->kp = gst_e2ee_key_provider_new (app->control, app->send
      && app->sender_index_set ? app->sender_index : -1, &cb, app);
  if (!app->kp) {
    g_printerr ("e2ee-media: bad --control path\n");
    return FALSE;
  }
  if (app->send_grace_ms)
    gst_e2ee_key_provider_set_grace (app->kp, app->send_grace_ms,
        app->recv_grace_ms);
  if (app->control_uid_set)
    gst_e2ee_key_provider_set_server_uid (app->kp, app->control_uid);
  /* Keys arrive through the main loop, like everything else here. */
  gst_e2ee_key_provider_start (app->kp);
  return TRUE;
}

void
e2ee_media_keys_stop (E2eeMedia * app)
{
  const GstE2eeKeyProviderStats *st;

  if (!app->kp)
    return;
  st = gst_e2ee_key_provider_get_stats (app->kp);
  g_print ("%s keyprovider: connects=%u installed=%u removed=%u "
      "switched=%u refused=%u failed=%u\n", app->send ? "sender" : "receiver",
      st->connects, st->installed, st->removed, st->switched, st->refused,
      st->failed);
  gst_e2ee_key_provider_free (app->kp);
  app->kp = NULL;
}
