/* SPDX-License-Identifier: MIT */
/*
 * panel_screen: the room's screen without GStreamer. What people in the room
 * see of the meeting: one tile of decoded video per remote participant on
 * the board's screen through KMS (drivers/display), and libwm's overlay above
 * (watermark/: a codeword label and a trust frame per tile, the E2EE banner).
 * The screen process (sealroom-screen, frames from roomd over a socket,
 * docs/frames.md) and the GStreamer room display (pipeline/
 * gste2eeroomdisplay.c, an appsink adapter) both draw through it.
 *
 *   - The layout: wm_layout_grid for the tiles there are now (none: only the
 *     banner), or wm_layout_speaker (panel_screen_set_layout: one tile large,
 *     the others small under it; with one tile, or more than its strip
 *     holds with a label under each (7 tiles on a 16:9 screen), the grid). Tiles come and go at run time (panel_screen_set_tiles: the
 *     roster), each with the codeword, name and trust its caller vouches for
 *     (in the room: keyxchgd's roster, never roomd); a tile without a valid
 *     codeword is refused, never shown unlabelled.
 *   - Video: panel_screen_put_frame copies an XRGB8888 picture into one of
 *     the tile's two buffers, the one not on screen; the display thread
 *     commits it and only then lets the other be written again, so a frame
 *     is never torn and nothing is allocated per frame. Pictures are not
 *     scaled: the part that fits the tile is shown, top left (the sender
 *     scales to panel_screen_tile's size).
 *   - The overlay: a screen-sized ARGB8888 buffer on a plane above the video
 *     (two, alternating), rendered again only when the tiles or the E2EE
 *     state change.
 *
 * Buffers are dumb buffers on a device, or memory on "soft" (a screen in
 * memory, composited in software at every commit, read with
 * panel_screen_capture; for hosts without a display and for tests).
 *
 * Call order: panel_screen_new, then from any threads panel_screen_set_tiles,
 * _set_e2ee, _put_frame, the queries and _capture; panel_screen_free last,
 * once no other thread is inside a call. Tile ids are the caller's (the
 * participant id / SFrame sender index in the room).
 */
#ifndef PANEL_SCREEN_H
#define PANEL_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drv/display.h"
#include "panel/ui.h"
#include "wm/overlay.h"

/* Tiles plus the overlay and the touch panel must fit libdrv_display's layers. */
#define PANEL_SCREEN_MAX_TILES 14
/* Under every tile and label; what the screen shows where nothing is. */
#define PANEL_SCREEN_BACKGROUND 0x101010u

struct panel_screen;

/* How the tiles are laid out (the touch panel's Layout button). */
enum panel_screen_layout {
	PANEL_SCREEN_GRID = 0,
	PANEL_SCREEN_SPEAKER,
};

struct panel_screen_tile {
	uint32_t id;
	const char *codeword; /* wm_label's rules; copied */
	const char *name;     /* copied; NULL: none */
	enum wm_trust trust;
};

/*
 * Opens device (e.g. /dev/dri/card0) at a width x height mode (0 x 0: its
 * preferred one), or with device "soft" a width x height screen in memory
 * (64x64 to 16384x16384), with no tiles, and shows the first scene (the
 * banner for e2ee). Returns 0 and *out (panel_screen_free), or a negative
 * errno with *what naming the step that failed (static text).
 */
__attribute__((warn_unused_result, nonnull)) int
panel_screen_new(const char *device, uint32_t width, uint32_t height, enum wm_e2ee_state e2ee,
		 struct panel_screen **out, const char **what);

/*
 * The tiles from now on, in screen order: a tile whose id was there before
 * keeps its frame count; when the set, its order, a codeword, a name or a
 * trust changes, the grid is laid out again (new tile buffers, black until
 * their next frame), the overlay rendered again and committed. Returns 0;
 * -EINVAL (more than PANEL_SCREEN_MAX_TILES, an id twice, a junk codeword
 * or name: nothing changes), -ENOMEM, or the commit's error.
 */
__attribute__((warn_unused_result, nonnull(1))) int
panel_screen_set_tiles(struct panel_screen *s, const struct panel_screen_tile *tiles, size_t n);

/*
 * The touch panel (panel/ui.h's image: ARGB32 premultiplied, the screen's
 * size, stride bytes a row) on the top layer, above every tile and libwm's
 * overlay. Only the n damage rectangles changed since the last call (the
 * first call: what the panel drew; everything else is transparent); they
 * go into the panel's back buffer, with the rectangles that buffer missed
 * last time, and are committed. visible false takes the layer off the
 * screen (an empty panel needs no plane). Returns 0, -EINVAL, -ENOMEM, or
 * the commit's error (then the same damage must be given again).
 */
__attribute__((warn_unused_result, nonnull)) int
panel_screen_set_panel(struct panel_screen *s, const uint8_t *data, uint32_t stride,
		       const struct panel_rect *damage, size_t n, bool visible);

/* The banner's state: the overlay is rendered again and committed. Returns 0 or an error
 * (the banner on screen is then still the old state's, and the same call tries again). */
__attribute__((warn_unused_result, nonnull)) int
panel_screen_set_e2ee(struct panel_screen *s, enum wm_e2ee_state e2ee);

/*
 * Copies a width x height XRGB8888 picture (stride bytes a row) into tile
 * id's back buffer (the part that fits, top left) for the next commit. Waits
 * while the back buffer may still be on screen. Returns 0, -ENOENT (no such
 * tile now), -EINVAL, -ESHUTDOWN (panel_screen_free is under way).
 */
__attribute__((warn_unused_result, nonnull)) int
panel_screen_put_frame(struct panel_screen *s, uint32_t id, const uint8_t *data, uint32_t width,
		       uint32_t height, uint32_t stride);

/*
 * The layout from now on: the grid, or the speaker layout with tile speaker
 * large (when there is no such tile, the first one) and the bottom rows of
 * the screen left free (the touch panel's bar: it then covers no label).
 * bottom is the bar's height in either layout (0: no bar): the grid's
 * labels it would cover rise above it while it shows (panel_screen_set_bar). When it changes, the
 * tiles are laid out again as by panel_screen_set_tiles (new tile buffers,
 * the overlay's labels under the new rectangles). Returns 0, -EINVAL, or
 * panel_screen_set_tiles's errors.
 */
__attribute__((warn_unused_result, nonnull)) int
panel_screen_set_layout(struct panel_screen *s, enum panel_screen_layout layout, uint32_t speaker,
			uint32_t bottom);

/*
 * Whether the touch panel's bar (the bottom rows given as set_layout's
 * bottom) shows now: while it does, every label it would cover is drawn
 * raised just above it, over the bottom of its own tile's video; the
 * overlay alone is rendered again and committed, no tile moves (where a
 * tile is too short for its label to rise on it, the grid was laid out
 * above the bar's rows from the start). Call it before the bar appears and
 * after it went. Returns 0 or the overlay's or commit's error (the labels
 * then stay where they were).
 */
__attribute__((warn_unused_result, nonnull)) int panel_screen_set_bar(struct panel_screen *s,
								     bool shown);

/* The tile whose video rectangle holds pixel x, y: 0 and *id, or -ENOENT. */
__attribute__((nonnull)) int panel_screen_tile_at(struct panel_screen *s, int32_t x, int32_t y,
						  uint32_t *id);

/* Tile id's video and label rectangles (the label where it is drawn now: raised while the
 * bar shows). Returns 0 or -ENOENT. */
__attribute__((nonnull)) int panel_screen_tile(struct panel_screen *s, uint32_t id,
					       struct wm_rect *video, struct wm_rect *label);
/*
 * Every tile's label rectangle, in tile order, as drawn without the bar
 * (labels) and while it shows (raised; either may be NULL), at most max.
 * Returns how many tiles there are (those beyond max left out).
 */
__attribute__((nonnull(1))) size_t panel_screen_labels(struct panel_screen *s, struct wm_rect *labels,
						       struct wm_rect *raised, size_t max);
/* How many tiles there are now. */
__attribute__((nonnull)) size_t panel_screen_n_tiles(struct panel_screen *s);
__attribute__((nonnull)) void panel_screen_size(const struct panel_screen *s, uint32_t *width,
						uint32_t *height);
/* Frames of tile id committed to the screen (0 for no such tile); commits in all. */
__attribute__((nonnull)) unsigned int panel_screen_frames(struct panel_screen *s, uint32_t id);
__attribute__((nonnull)) unsigned int panel_screen_commits(struct panel_screen *s);
/* The last commit's layers (tiles and overlay) and how many of them were composited in
 * software (the rest went on overlay planes). */
__attribute__((nonnull)) void panel_screen_plan(struct panel_screen *s, unsigned int *layers,
						unsigned int *composited);

/*
 * The screen as it is now, captured through the writeback connector (or
 * composited, on "soft"), into out, a caller-owned XRGB8888 image of the
 * screen's size. Returns 0, -EINVAL (size or format), -ENOTSUP (no
 * writeback connector), or the commit's error.
 */
__attribute__((warn_unused_result, nonnull)) int
panel_screen_capture_image(struct panel_screen *s, struct drv_display_image *out);
/* The same as an RGB PNG at path. */
__attribute__((warn_unused_result, nonnull)) int panel_screen_capture(struct panel_screen *s,
								      const char *path);

/* Stops the display thread, frees the buffers; the last scene stays. NULL is a no-op. */
void panel_screen_free(struct panel_screen *s);

#endif
