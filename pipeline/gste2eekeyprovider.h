/* SPDX-License-Identifier: MIT */
/*
 * The key provider: the media side of keyxchgd's control socket
 * (keyxchg/CONTROL.md). It connects to the socket, subscribes to "keys" and
 * "state", and puts each media key where it belongs:
 *
 *   send key of our sender index   add-key on the e2eeenc of its stream
 *   receive key of (stream, N)     add-key on the e2eedec of stream and
 *                                  sender N, which the owner finds or creates
 *   send-kid                       set-send-kid on the e2eeenc of its stream
 *   remove                         remove-key on the same element
 *   state other than in-meeting    every key it installed is removed
 *
 * When the connection to keyxchgd is lost, its keys go unless it is back
 * in time: send keys after a short grace (2 s), receive keys after the
 * epoch grace (12 s); the elements are told the same deadlines
 * ("set-key-expiry") as a backstop. A KID installed again with the same key
 * is kept as it is; with another key it is refused, loudly. It connects
 * only to a socket whose directory is root's or ours and writable by no one
 * else, and whose server end (SO_PEERCRED) is root, us, or that directory's
 * owner.
 *
 * It creates no element: the pipeline's owner answers get_encoder /
 * get_decoder. Every copy of a key it makes (the line, jansson's copies, the
 * decoded bytes, the GBytes handed to add-key) is wiped right after use; it
 * logs KIDs, never keys. It runs in the thread-default GLib main context of
 * whoever calls gst_e2ee_key_provider_start() (a GSource on the socket's
 * fd) and reconnects with backoff (100 ms doubling to 5 s) when keyxchgd
 * goes away. A refused line is logged and dropped; the connection stays.
 *
 * Call order: _new(), _start(), the main loop runs, _free().
 */
#ifndef GST_E2EE_KEY_PROVIDER_H
#define GST_E2EE_KEY_PROVIDER_H

#include <sys/types.h>

#include <gst/gst.h>

#include "gste2eekeyevent.h"

G_BEGIN_DECLS

typedef struct _GstE2eeKeyProvider GstE2eeKeyProvider;

typedef struct
{
  /* The e2eeenc of this stream (transfer full), or NULL: none here. */
  GstElement *(*get_encoder) (gpointer user_data, guint stream);
  /*
   * The e2eedec of (stream, sender) (transfer full), or NULL. With create
   * (a key is being installed) the owner may add the receive branch for a
   * sender it has not seen yet; without it (a removal) it only looks.
   */
  GstElement *(*get_decoder) (gpointer user_data, guint stream, guint sender,
      gboolean create);
  /*
   * Optional: after each event was handled; ev->key is already wiped.
   * applied: whether the elements took it (a refused line is not reported
   * here, see the stats). The end of a grace (keyxchgd still away) is
   * reported too: one REMOVE per key it removed, as if keyxchgd had sent it.
   */
  void (*handled) (gpointer user_data, const GstE2eeKeyEvent * ev,
      gboolean applied);
  /* Optional: the connection came up (subscribed) or went down. */
  void (*connection) (gpointer user_data, gboolean up);
} GstE2eeKeyProviderCallbacks;

typedef struct
{
  guint connects;               /* successful subscriptions */
  guint installed, removed, switched;
  guint refused;                /* lines that did not parse or fit */
  guint failed;                 /* well-formed events no element took */
} GstE2eeKeyProviderStats;

/*
 * socket_path: keyxchgd's control socket (copied). sender_index: this room's
 * sender index, or -1 to learn it from the first send key (then set as
 * "sender-index" on the encoders). callbacks is copied; user_data is passed
 * to them and not owned.
 */
GstE2eeKeyProvider *gst_e2ee_key_provider_new (const gchar * socket_path,
    gint sender_index, const GstE2eeKeyProviderCallbacks * callbacks,
    gpointer user_data);

/* Connects now, or keeps trying with backoff. Attaches to the thread-default context. */
void gst_e2ee_key_provider_start (GstE2eeKeyProvider * kp);

/* How long keys stay once keyxchgd is gone (defaults 2000 and 12000 ms). */
void gst_e2ee_key_provider_set_grace (GstE2eeKeyProvider * kp, guint send_ms,
    guint recv_ms);

/*
 * keyxchgd runs as a user of its own (the image: docs/processes.md): its
 * uid, whose socket directory and server end are then trusted as well as
 * root's and ours. Before _start().
 */
void gst_e2ee_key_provider_set_server_uid (GstE2eeKeyProvider * kp, uid_t uid);

/* -1 while unknown. */
gint gst_e2ee_key_provider_get_sender_index (GstE2eeKeyProvider * kp);

const GstE2eeKeyProviderStats *gst_e2ee_key_provider_get_stats (GstE2eeKeyProvider
    * kp);

/* Hands one line (without newline) to the provider as if it came from the
 * socket; for tests. The line is not modified. */
void gst_e2ee_key_provider_handle_line (GstE2eeKeyProvider * kp,
    const gchar * line, gsize len);

/* Disconnects, removes its sources, wipes its buffer. Installed keys stay in
 * the elements (they are the pipeline's). */
void gst_e2ee_key_provider_free (GstE2eeKeyProvider * kp);

G_END_DECLS

#endif
