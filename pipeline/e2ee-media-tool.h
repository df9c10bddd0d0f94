/* SPDX-License-Identifier: MIT */
/*
 * The e2ee-media tool's parts and the state they share (what it shares
 * with roomd is e2ee-media.h's). Each file owns one thing:
 *
 *   e2ee-media.c           the run: the pipeline made, the sender's marker
 *                          and slice dump, the main loop, the end (a
 *                          sender's EOS, bounded), the results printed
 *   e2ee-media-args.c      the command line into E2eeMedia, checked whole
 *   e2ee-media-keys.c      the keys: --key-file (read, installed, wiped) or
 *                          the key provider (--control) and what it says
 *   e2ee-media-receiver.c  the receiver: a branch per --peer, the room
 *                          display, per-sender counts, snapshots
 *
 * Main thread only (the key provider calls back from the main loop, the
 * decoded-picture probe counts from a streaming thread, EOS goes in from a
 * thread of its own that reads pipeline and loop only). E2eeMedia owns
 * every pointer in it.
 */
#ifndef E2EE_MEDIA_TOOL_H
#define E2EE_MEDIA_TOOL_H

#include <stdio.h>
#include <sys/types.h>

#include <gst/gst.h>

#include "gste2eekeyprovider.h"
#include "gste2eeroomdisplay.h"

G_BEGIN_DECLS

#define E2EE_MEDIA_MAX_PEERS 64

typedef struct _E2eeMedia E2eeMedia;

/* One remote sender: its receive branch and what came out of it. */
typedef struct
{
  E2eeMedia *app;
  guint sender;
  gint video_port, audio_port;
  guint decoded_frames;
  gchar *codeword, *name;       /* the label under its tile (--display) */
  enum wm_trust trust;
} E2eeMediaPeer;

struct _E2eeMedia
{
  gboolean send, sender_index_set;
  gchar *key_file, *control, *host, *marker, *snapshot, *snapshot_prefix,
      *dump_slices, *codeword, *source, *encoder, *decoder, *display,
      *display_capture;
  guint display_width, display_height;
  guint send_grace_ms, recv_grace_ms;   /* 0: the key provider's defaults */
  uid_t control_uid;            /* --control-uid: keyxchgd's user */
  gboolean control_uid_set;
  gint video_port, audio_port, seconds, sender_index, width, height;
  guint8 *key;                  /* E2EE_SFRAME_MAX_BASE_KEY bytes, from
                                   gst_e2ee_media_key_memory () */
  gsize key_len;
  E2eeMediaPeer peers[E2EE_MEDIA_MAX_PEERS];
  guint n_peers;

  GstElement *pipeline;
  GMainLoop *loop;
  GstE2eeKeyProvider *kp;
  GstE2eeRoomDisplay *room;
  FILE *dump;
  gint marker_frames;
  guint decoded_frames;
  gint exit_code;
  gboolean eos_wanted;          /* the sender's end was asked */
  GThread *eos_thread;          /* EOS sent from it (e2ee-media.c send_eos) */
  gboolean legacy_ports;        /* --video-port/--audio-port: the single peer */
};

/* e2ee-media-args.c. argv into app; 0, or the exit status: 2 after the
 * usage (a bad or missing option), 1 when --peer-codeword fits no --peer. */
gint e2ee_media_parse_args (E2eeMedia * app, int argc, char **argv);

/* e2ee-media-keys.c. --key-file read into app->key (a page of its own);
 * FALSE, said on stderr, when it is not a private file of hex. */
gboolean e2ee_media_read_key_file (E2eeMedia * app);
/* --key-file's key into the encryptors (sender) or each peer's decryptors
 * (receiver), then wiped here; TRUE without --key-file. */
gboolean e2ee_media_install_keys (E2eeMedia * app);
/* --control: the key provider made and started (FALSE, said: a bad path);
 * TRUE without --control. */
gboolean e2ee_media_keys_start (E2eeMedia * app);
/* The key provider's counts ("ROLE keyprovider: ..."), then it is freed. */
void e2ee_media_keys_stop (E2eeMedia * app);

/* e2ee-media-receiver.c. The peer of sender, or NULL. */
E2eeMediaPeer *e2ee_media_find_peer (E2eeMedia * app, guint sender);
/* "WHAT-SENDER", the name of a branch's element (g_free it). */
gchar *e2ee_media_peer_name (const gchar * what, guint sender);
/* --display: the screen, its layout and labels; FALSE, said, on failure. */
gboolean e2ee_media_open_display (E2eeMedia * app);
/* The receiver's pipeline, a branch per peer; FALSE, said, on failure. */
gboolean e2ee_media_build_receiver (E2eeMedia * app);
/* "PREFIXsender=N video-frames=V ... lost=L" without the newline. */
void e2ee_media_print_peer (E2eeMedia * app, E2eeMediaPeer * p,
    const gchar * prefix);
/* At the end: per-sender statistics, the display's, snapshots. */
void e2ee_media_receiver_results (E2eeMedia * app);

/* e2ee-media.c. A buffer probe on the pad of bin element name. */
void e2ee_media_add_probe (E2eeMedia * app, const gchar * name,
    const gchar * pad_name, GstPadProbeCallback cb, gpointer data,
    GDestroyNotify destroy);
/* "sender|receiver LABEL: STATS" of the element name. */
void e2ee_media_print_stats (E2eeMedia * app, const gchar * name,
    const gchar * label);

G_END_DECLS

#endif
