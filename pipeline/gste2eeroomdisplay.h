/* SPDX-License-Identifier: MIT */
/*
 * The room display: what people in the room see of the meeting, on the
 * board's screen through KMS, for a process that decodes the video itself
 * (e2ee-media --display). An appsink adapter over the room screen
 * (panel/include/panel/screen.h: the layout, the tiles' buffers, libwm's
 * overlay with each sender's codeword and name, the banner, the commits and
 * captures, all without GStreamer, shared with the screen process
 * sealroom-screen).
 *
 *   - Video: each sender's decoded video ends in an appsink (the caller
 *     puts gst_e2ee_room_display_sink_description () after its decoder),
 *     scaled and converted to BGRx (= DRM_FORMAT_XRGB8888) at the tile's
 *     size; each frame is handed to panel_screen_put_frame (copied into
 *     the tile's back buffer, committed by the screen's display thread:
 *     never torn, nothing allocated per frame).
 *   - The tiles are fixed at _new (tile i is the screen's tile of id i).
 *
 * The codeword shown for a sender is the caller's (in the room, keyxchgd's
 * roster's); a tile without one is refused, never shown unlabelled.
 *
 * Threads: _new, _set_e2ee, _capture and _free from the owner's thread; the
 * appsinks' streaming threads write frames; the room screen's display thread
 * owns the KMS commits. _free stops the thread; call it after the pipeline
 * is in NULL (or at least no longer PLAYING).
 */
#ifndef GST_E2EE_ROOM_DISPLAY_H
#define GST_E2EE_ROOM_DISPLAY_H

#include <gst/gst.h>

#include "drv/display.h"
#include "panel/screen.h"
#include "wm/overlay.h"

G_BEGIN_DECLS

/* Tiles plus the overlay must fit libdrv_display's layers. */
#define GST_E2EE_ROOM_DISPLAY_MAX_TILES 14

typedef struct _GstE2eeRoomDisplay GstE2eeRoomDisplay;

typedef struct
{
  guint sender;                 /* SFrame sender index */
  const gchar *codeword;        /* copied */
  const gchar *name;            /* copied; NULL: none */
  enum wm_trust trust;
} GstE2eeRoomTile;

/*
 * Opens device (e.g. /dev/dri/card0) at a width x height mode (0 x 0: its
 * preferred one), or with device "soft" a width x height screen in memory
 * (no KMS: every commit composites tiles and overlay in software, as
 * drivers/display does where planes run out; for hosts without a display
 * and for tests, which read it with _capture). Lays out
 * n_tiles tiles, renders the overlay and shows the first scene (black
 * tiles under their labels). Returns NULL with a message in *err.
 */
GstE2eeRoomDisplay *gst_e2ee_room_display_new (const gchar * device,
    guint width, guint height, const GstE2eeRoomTile * tiles, guint n_tiles, enum wm_e2ee_state e2ee,
    GError ** err);

/*
 * The gst-launch description of tile i's sink ("videoconvert ! videoscale
 * ! caps ! appsink name=NAME"), to end a decoder's branch with (g_free).
 */
gchar *gst_e2ee_room_display_sink_description (GstE2eeRoomDisplay * d,
    guint i, const gchar * name);
/* Connects tile i to the appsink of that description, once it exists.
 * Here and below, i is under the n_tiles given to _new (else a critical
 * warning and nothing done). */
void gst_e2ee_room_display_attach (GstE2eeRoomDisplay * d, guint i,
    GstElement * appsink);

/* The banner's state: the overlay is re-rendered and committed. */
void gst_e2ee_room_display_set_e2ee (GstE2eeRoomDisplay * d,
    enum wm_e2ee_state e2ee);

/* Tile i's video and label rectangles on the screen; the screen's size. */
void gst_e2ee_room_display_tile (GstE2eeRoomDisplay * d, guint i,
    struct wm_rect *video, struct wm_rect *label);
void gst_e2ee_room_display_size (GstE2eeRoomDisplay * d, guint * width,
    guint * height);
/* Frames shown of tile i (committed to the screen); commits in all. */
guint gst_e2ee_room_display_frames (GstE2eeRoomDisplay * d, guint i);
guint gst_e2ee_room_display_commits (GstE2eeRoomDisplay * d);
/* The last commit's layers (tiles and overlay) and how many of them were
 * composited in software (the rest went on overlay planes). */
void gst_e2ee_room_display_plan (GstE2eeRoomDisplay * d, guint * layers,
    guint * composited);

/*
 * The screen as it is now, captured through the writeback connector (or
 * composited, on "soft"), as an RGB PNG at path. Returns 0 or a negative errno (-ENOTSUP: no
 * writeback connector).
 */
gint gst_e2ee_room_display_capture (GstE2eeRoomDisplay * d,
    const gchar * path);
/*
 * The same into out, a caller-owned XRGB8888 image of the screen's size.
 * Returns 0, -EINVAL (size or format), -ENOTSUP, or the commit's error.
 */
gint gst_e2ee_room_display_capture_image (GstE2eeRoomDisplay * d,
    struct drv_display_image *out);

/* Stops the display thread, frees the buffers; the last scene stays. */
void gst_e2ee_room_display_free (GstE2eeRoomDisplay * d);

G_END_DECLS
#endif
