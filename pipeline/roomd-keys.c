/* SPDX-License-Identifier: MIT */
/*
 * roomd's key subscription (roomd.h): keys come only from keyxchgd's
 * control socket (--control, keyxchg/CONTROL.md) through the key provider
 * (gste2eekeyprovider.h). roomd subscribes to keys and state and asks for
 * nothing else; it holds media keys only. Send keys go to the send chains'
 * e2eeenc; a sender's first receive key makes its receive branch
 * (roomd-branch.c), whose e2eedec takes it; the branch goes once the
 * sender's last receive key was removed, or the room left the meeting.
 * Through Janus without --sender-index, the first send key says who the
 * room publishes as. --control-uid UID: keyxchgd runs as UID (the image's
 * sealroom-kx), whose socket directory and server end (SO_PEERCRED) are
 * then trusted as well as root's and roomd's own.
 */
#include <string.h>

#include <gst/gst.h>

#include "e2ee/keyring.h"
#include "e2ee-media.h"
#include "roomd.h"

static GstElement *
kp_get_encoder (gpointer data, guint stream)
{
  Roomd *app = data;

  return gst_e2ee_media_sender_encryptor (app->pipeline, stream);
}

static GstElement *
kp_get_decoder (gpointer data, guint stream, guint sender, gboolean create)
{
  Roomd *app = data;
  RoomdPeer *p = roomd_find_peer (app, sender);

  if (stream > E2EE_STREAM_VIDEO
      || (gint) sender == gst_e2ee_key_provider_get_sender_index (app->kp))
    return NULL;
  if ((!p || !p->bin) && create)
    p = roomd_branch_add (app, sender);
  if (!p || !p->bin)
    return NULL;
  return roomd_branch_child (p->bin,
      stream == E2EE_STREAM_VIDEO ? "vdec" : "adec", sender);
}

static void
kp_handled (gpointer data, const GstE2eeKeyEvent * ev, gboolean applied)
{
  Roomd *app = data;
  guint sender = gst_e2ee_kid_sender (ev->kid);
  RoomdPeer *p;

  /* Through Janus without --sender-index: the first send key says who we
   * publish as. */
  if (app->rtc && ev->usage == E2EE_KEY_SEND && applied
      && gst_e2ee_key_provider_get_sender_index (app->kp) >= 0)
    roomd_rtc_set_sender (app->rtc,
        (guint) gst_e2ee_key_provider_get_sender_index (app->kp));
  if (ev->type == GST_E2EE_KEY_EVENT_STATE && strcmp (ev->state, "in-meeting")) {
    /* The provider removed every key. */
    g_hash_table_remove_all (app->recv_kids);
    for (guint i = 0; i < G_N_ELEMENTS (app->peers); i++)
      app->peers[i].keys = 0;
  } else if (ev->usage != E2EE_KEY_RECV
      || !(p = roomd_find_peer (app, sender))) {
    return;
  } else if (ev->type == GST_E2EE_KEY_EVENT_INSTALL && applied) {
    if (g_hash_table_add (app->recv_kids, g_memdup2 (&ev->kid,
                sizeof (ev->kid))))
      p->keys++;
  } else if (ev->type == GST_E2EE_KEY_EVENT_REMOVE) {
    if (g_hash_table_remove (app->recv_kids, &ev->kid) && p->keys)
      p->keys--;
  } else {
    return;
  }
  /* Not from inside the provider's call into our elements. */
  g_idle_add (roomd_branch_prune, app);
}

static void
kp_connection (gpointer data, gboolean up)
{
  g_print ("roomd: keyxchgd %s\n", up ? "connected" : "disconnected");
}

gboolean
roomd_keys_start (Roomd * app)
{
  static const GstE2eeKeyProviderCallbacks cb = {
    .get_encoder = kp_get_encoder,
    .get_decoder = kp_get_decoder,
    .handled = kp_handled,
    .connection = kp_connection,
  };

  app->kp = gst_e2ee_key_provider_new (app->control, app->sender_index, &cb,
      app);
  if (!app->kp) {
    g_printerr ("roomd: bad --control path\n");
    return FALSE;
  }
  if (app->control_uid >= 0)
    gst_e2ee_key_provider_set_server_uid (app->kp, (uid_t) app->control_uid);
  gst_e2ee_key_provider_start (app->kp);
  return TRUE;
}
