/* SPDX-License-Identifier: MIT */
/*
 * roomd's frame output: each remote sender's decoded video, from the
 * appsink at the end of its receive branch, to the screen process over the
 * frame socket (docs/frames.md, panel/include/panel/frames.h's sending half).
 *
 * It owns the connection to the screen (connects, and connects again every
 * 500 ms while the screen is not there, is not of the screen's user, or
 * went away), the pool (one sealed memfd made at _start, 3 x the screen's
 * pixels: every ring is a place in it, so that whatever the screen keeps
 * of what it was passed, it holds this one file), a ring of three buffers
 * per sender in it (at the size of the sender's frames; the rings are
 * packed again, a relayout, when a size changes, while the screen holds
 * none of their buffers; announced again, the same places, on a
 * reconnection), and the frame counts. Frames are copied into a free buffer of the ring in the
 * appsink's streaming thread; RELEASE and TILE are read in the GLib main
 * loop (the thread-default context of whoever calls _start). A mutex is
 * held by both around the socket and the rings. A frame is dropped, and
 * counted, when the screen holds every buffer, is not connected, shows the
 * sender in no tile (TILE 0 x 0), or is behind (-EAGAIN). Nothing is
 * allocated per frame here.
 *
 * A TILE for a sender is passed on to the owner (tile callback, main loop)
 * so that it scales that sender's video to the size asked for
 * (roomd-screen.c); until then a sender's tile size is
 * GST_E2EE_ROOM_FRAMES_DEFAULT_W x _H. A TILE wider or taller than the
 * screen (_set_max_tile; default GST_E2EE_ROOM_FRAMES_MAX_TILE_W x _H) is
 * refused, counted, and closes the connection, as a malformed message does.
 * The tiles together cover at most the screen's area: a TILE beyond that
 * waits (counted) until others shrink. Relayouts happen at most once a
 * second after a burst of four (frames of a new size are dropped, and
 * counted, until then): what a compromised screen can make roomd hold is
 * the pool, docs/frames.md.
 * Peer-driven lines (the screen's) go through one rate limit
 * (gste2eeloglimit.h), which the owner uses for its own screen lines too.
 *
 * Call order: _new, _set_max_tile, _start, per sender _add (before its branch plays) ...
 * _gone (after its branch is at NULL), _free (after the pipeline is at NULL).
 */
#ifndef __GST_E2EE_ROOM_FRAMES_H__
#define __GST_E2EE_ROOM_FRAMES_H__

#include <gst/gst.h>

#include "gste2eeloglimit.h"

G_BEGIN_DECLS

#define GST_E2EE_ROOM_FRAMES_DEFAULT_W 640
#define GST_E2EE_ROOM_FRAMES_DEFAULT_H 360
/* Without --max-tile: a 1080p screen's size (a ring of 3 x 7.9 MiB). */
#define GST_E2EE_ROOM_FRAMES_MAX_TILE_W 1920
#define GST_E2EE_ROOM_FRAMES_MAX_TILE_H 1080

typedef struct _GstE2eeRoomFrames GstE2eeRoomFrames;

/* The screen shows sender at width x height now (main loop). */
typedef void (*GstE2eeRoomFramesTileFunc) (gpointer user_data, guint sender,
    guint width, guint height);

/*
 * path is copied; user_data is passed to tile, not owned. The screen's end
 * of the socket (SO_PEERCRED at connect) must be root's, ours or
 * screen_uid's (-1: none other): decoded video goes only to the screen.
 */
GstE2eeRoomFrames *gst_e2ee_room_frames_new (const gchar * path,
    gint64 screen_uid, GstE2eeRoomFramesTileFunc tile, gpointer user_data);
/*
 * The screen asked for the room's own media to change (MEDIA: flags
 * PANEL_FRAMES_MIC_MUTED, _CAMERA_OFF; volume 0..100, checked; main loop).
 * The owner applies the flags to its send chains and the volume to its
 * audio output only, and answers with gst_e2ee_room_frames_media_state.
 */
typedef void (*GstE2eeRoomFramesMediaFunc) (gpointer user_data, guint flags,
    guint volume);
void gst_e2ee_room_frames_set_media_func (GstE2eeRoomFrames * f,
    GstE2eeRoomFramesMediaFunc media);
/* Tells the screen what is applied now (MEDIA_STATE); FALSE when not sent. */
gboolean gst_e2ee_room_frames_media_state (GstE2eeRoomFrames * f, guint flags,
    guint volume);
/* Messages from the screen refused (malformed, a volume over 100 %, ...): each closed
 * the connection. */
guint64 gst_e2ee_room_frames_bad_messages (GstE2eeRoomFrames * f);
/* The largest TILE taken, the screen's size (before _start). */
void gst_e2ee_room_frames_set_max_tile (GstE2eeRoomFrames * f, guint width,
    guint height);
/* TILEs refused (beyond the screen): each closed the connection. */
guint64 gst_e2ee_room_frames_tiles_refused (GstE2eeRoomFrames * f);
/* Frames dropped because a sender's new ring had to wait (the rate limit,
 * or the screen holding buffers while the rings move). */
guint64 gst_e2ee_room_frames_ring_waits (GstE2eeRoomFrames * f);
/* Frames dropped because the pool had no room for the sender's ring. */
guint64 gst_e2ee_room_frames_pool_waits (GstE2eeRoomFrames * f);
/* TILEs that had to wait: the tiles would have covered more than the screen. */
guint64 gst_e2ee_room_frames_tiles_waiting (GstE2eeRoomFrames * f);
/* The pool's bytes for a screen of max_w x max_h; the pool made (0: none). */
guint64 gst_e2ee_room_frames_pool_bytes (guint max_w, guint max_h);
guint64 gst_e2ee_room_frames_pool_size (GstE2eeRoomFrames * f);
/* The screen's log limit (owned by f; valid until _free). */
GstE2eeLogLimit *gst_e2ee_room_frames_log (GstE2eeRoomFrames * f);
/* Makes the pool (FALSE and *error when it cannot), then connects now or
 * keeps trying; attaches to the thread-default context. */
gboolean gst_e2ee_room_frames_start (GstE2eeRoomFrames * f, GError ** error);
/*
 * Takes sender's frames from appsink (borrowed; BGRx caps, set by the
 * owner). FALSE when PANEL_FRAMES_SENDERS_MAX senders are there already or
 * sender is there.
 */
gboolean gst_e2ee_room_frames_add (GstE2eeRoomFrames * f, guint sender,
    GstElement * appsink);
/* The sender's branch is gone: GONE to the screen, its ring freed. */
void gst_e2ee_room_frames_gone (GstE2eeRoomFrames * f, guint sender);
/* Frames sent to and dropped for the screen; FALSE for an unknown sender. */
gboolean gst_e2ee_room_frames_stats (GstE2eeRoomFrames * f, guint sender,
    guint64 * sent, guint64 * dropped);
gboolean gst_e2ee_room_frames_connected (GstE2eeRoomFrames * f);
void gst_e2ee_room_frames_free (GstE2eeRoomFrames * f);

G_END_DECLS

#endif
