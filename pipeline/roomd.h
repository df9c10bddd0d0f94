/* SPDX-License-Identifier: MIT */
/*
 * roomd's parts (docs/processes.md) and the state they share. Each file
 * owns one thing:
 *
 *   roomd.c          the daemon: its options, the start (send chains, audio
 *                    output, frame socket, key subscription, transport), the
 *                    main loop, the results printed at the end
 *   roomd-branch.c   the receive branches, one per remote sender: built,
 *                    added to the playing pipeline, removed, counted
 *   roomd-keys.c     the key subscription: the key provider's callbacks
 *                    (keys into the send chains and the branches, a branch
 *                    on a sender's first receive key, gone after its last)
 *   roomd-screen.c   the frame socket's requests from the screen: a tile's
 *                    size (TILE) and the panel's MEDIA, MEDIA_STATE back
 *   roomd-rtc.c      the transport through Janus (roomd-rtc.h)
 *   roomd-rtc-match.c  which publishers claiming a sender's name the
 *                    transport subscribes to, each into a slot of the
 *                    sender's branch (roomd-rtc-priv.h)
 *   roomd-audio.c    the room's audio output (roomd-audio.h)
 *
 * All of it runs on roomd's main thread (the key provider and the frame
 * output call back from its main loop), except RoomdPeer.decoded, which a
 * streaming thread counts, and the transport's signaling thread
 * (roomd-rtc.c), which asks the main thread for a branch's slots. Roomd owns every pointer in it.
 */
#ifndef ROOMD_H
#define ROOMD_H

#include <gst/gst.h>

#include "gste2eekeyprovider.h"
#include "gste2eeloglimit.h"
#include "gste2eeroomframes.h"
#include "roomd-audio.h"
#include "roomd-rtc.h"

G_BEGIN_DECLS

#define ROOMD_MAX_BRANCHES 16   /* PANEL_FRAMES_SENDERS_MAX: senders at once */
#define ROOMD_DEPARTED 64       /* departed senders whose counts are listed */

typedef struct _Roomd Roomd;

/* A sender's counts (of one branch, or summed over several). */
typedef struct
{
  guint sender;
  guint64 video, decoded, sent, dropped, auth, lost;
  guint64 replayed;             /* frames e2eedec dropped as replays */
} RoomdCounts;

/* One remote sender with a branch: an entry is used from the branch's
 * making to its removal, then free for any other sender. */
typedef struct
{
  Roomd *app;
  gboolean used;
  guint sender;
  GstElement *bin;              /* the pipeline's child */
  GstPad *mix_pad;              /* the audio output's input for it, or NULL */
  gint decoded;                 /* atomic: pictures out of the decoder */
  guint keys;                   /* receive keys installed */
} RoomdPeer;

struct _Roomd
{
  gchar *control, *frames, *send_host, *rx_address, *codeword, *source,
      *encoder, *decoder, *marker, *janus, *janus_ca, *janus_pin_file,
      *audio_sink;
  gint video_port, audio_port, rx_base, sender_index, width, height, seconds;
  guint max_tile_w, max_tile_h; /* --max-tile: the screen's size */
  gboolean plain_rtp;
  guint64 janus_room;
  RoomdRtc *rtc;                /* --janus */
  RoomdAudio *audio;            /* the room's audio output */
  gint64 screen_uid;            /* -1: the screen is root or us */
  gint64 t0;                    /* start, monotonic */
  gint64 control_uid;           /* -1: keyxchgd is root or us */
  RoomdPeer peers[ROOMD_MAX_BRANCHES];
  /* Senders whose branches went: a ring of the last ROOMD_DEPARTED (one
   * entry a sender, summed over its branches), and every removed branch's
   * counts summed (gone_total.sender: branches removed). */
  RoomdCounts departed[ROOMD_DEPARTED];
  guint n_departed, departed_next;
  RoomdCounts gone_total;
  guint64 branches;             /* branches made in the run */
  GstE2eeLogLimit log_senders;  /* lines keyxchgd's keys and senders drive */
  GstE2eeLogLimit log_warnings; /* the elements' bus warnings */
  GHashTable *recv_kids;        /* receive KIDs installed (guint64 -> sender) */
  GstElement *pipeline;
  GMainLoop *loop;
  GstE2eeKeyProvider *kp;
  GstE2eeRoomFrames *out;
  gint marker_frames;
  gboolean mic_muted, camera_off;
  gint exit_code;
};

/* roomd-branch.c. The peer of sender, or NULL: it has no branch. */
RoomdPeer *roomd_find_peer (Roomd * app, guint sender);
/* The element "WHAT-SENDER" in bin (transfer full), or NULL. */
GstElement *roomd_branch_child (GstElement * bin, const gchar * what,
    guint sender);
/* BGRx at width x height, square pixels: what the screen shows a tile at. */
GstCaps *roomd_tile_caps (guint width, guint height);
/* The branch of sender added to the playing pipeline (or the one there);
 * NULL, said on stderr, when it cannot be (exit_code 1 when it failed). */
RoomdPeer *roomd_branch_add (Roomd * app, guint sender);
/* A GSourceFunc (data: the Roomd): removes the branches whose senders have
 * no receive key left; the screen hears GONE. */
gboolean roomd_branch_prune (gpointer data);
/* The counts of p's branch now. */
void roomd_peer_counts (Roomd * app, RoomdPeer * p, RoomdCounts * c);
/* RoomdRtcSlotFunc (data: the Roomd): slot of sender's branch made. */
void roomd_branch_add_slot (gpointer data, guint sender, guint slot);
/* The end-of-run lines of every sender received (roomd.c says which). */
void roomd_branch_print_results (Roomd * app);

/* roomd-keys.c. Subscribes to keyxchgd's keys and state (--control) and
 * starts; FALSE, said on stderr, when the path is bad. */
gboolean roomd_keys_start (Roomd * app);

/* roomd-screen.c. The frame socket (--frames) made, its TILE and MEDIA
 * handled, started. */
/* The frame output to the screen: FALSE (said) when its pool cannot be made. */
gboolean roomd_screen_start (Roomd * app);

G_END_DECLS

#endif
