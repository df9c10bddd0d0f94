/* SPDX-License-Identifier: MIT */
/*
 * The room's KMS overlay: what sits on a plane above the remote
 * participants' video (architecture.md, Display). For each remote tile a
 * codeword label (wm/label.h) in the strip under the tile, with the
 * participant's display name as its second line and a frame around the
 * video in the colour of the trust state; across the top a banner with the
 * meeting's E2EE state.
 *
 * The tile rectangles come from the media daemon; wm_layout_grid is the grid
 * it uses (N tiles of 16:9 video, each with a label strip under it, under the
 * banner), a pure function of N, the screen and the label's size;
 * wm_layout_speaker the other one (one tile large, the others small under it).
 *
 * wm_overlay_render draws the whole overlay into a screen-sized ARGB32
 * (premultiplied, = DRM_FORMAT_ARGB8888) image, typically a mapped dumb
 * buffer: transparent where nothing is drawn, so the video shows through.
 * It is called when the layout, a codeword, a name or a state changes, never
 * per video frame.
 *
 * Call order: a wm_renderer (wm_renderer_new), then any number of
 * wm_layout_grid / wm_overlay_place / wm_overlay_render. The same threading
 * rule as the renderer: one thread at a time.
 */
#ifndef WM_OVERLAY_H
#define WM_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "wm/label.h"

#define WM_OVERLAY_MAX_TILES 64u

struct wm_rect {
	int32_t x;
	int32_t y;
	uint32_t width;
	uint32_t height;
};

/* What the room knows of a remote participant's key (keying.md, pins). */
enum wm_trust {
	WM_TRUST_UNVERIFIED = 0, /* admitted, codeword not confirmed: amber frame */
	WM_TRUST_VERIFIED,       /* codeword compared and confirmed: green frame */
	WM_TRUST_WARNING,        /* the device's key changed: red frame, warning line */
};

/* The meeting's E2EE state, shown in the banner. */
enum wm_e2ee_state {
	WM_E2EE_OFF = 0, /* no media keys: red "Not encrypted" */
	WM_E2EE_WAITING, /* joined, keys not yet held: amber "Waiting for keys" */
	WM_E2EE_ON,      /* media end-to-end encrypted: green "End-to-end encrypted" */
};

struct wm_tile {
	struct wm_rect video; /* where the participant's video is on the screen */
	const char *codeword; /* the participant's codeword (wm_label's rules) */
	const char *name;     /* display name (the label's second line), or NULL */
	enum wm_trust trust;
};

struct wm_overlay {
	const struct wm_tile *tiles; /* not owned */
	size_t n_tiles;              /* at most WM_OVERLAY_MAX_TILES */
	enum wm_e2ee_state e2ee;
	/*
	 * The bottom clear_bottom rows are covered now (the touch panel's bar):
	 * a label that would reach into them is raised just above them, over the
	 * bottom of its own tile's video (never outside its tile's rectangle, so
	 * it still names that tile alone). 0: every label under its tile.
	 */
	uint32_t clear_bottom;
};

/*
 * The grid for n tiles on a screen_width x screen_height screen: the column
 * count that gives the largest tiles among those whose cells are a label
 * wide (no label covers its neighbour's) with tiles at least 64 pixels
 * wide, else at least 16, else (more rows of labels than the screen is
 * tall) any count with tiles of 64, bigger
 * again, labels overlapping. Each cell a 16:9 video rectangle (even sizes,
 * centred in its cell) above a label strip tall enough for a two-line
 * label sized for the screen, all under the banner's strip. Writes n
 * rectangles to video. Returns 0, -EINVAL for n of 0 or above
 * WM_OVERLAY_MAX_TILES or a screen too small for n tiles of at least 64x36
 * (16x8 label-wide).
 */
__attribute__((warn_unused_result, nonnull)) int
wm_layout_grid(struct wm_renderer *r, size_t n, uint32_t screen_width, uint32_t screen_height,
	       struct wm_rect *video);
/*
 * The same grid above the bottom bottom pixels (left free, as the speaker
 * layout leaves them: the touch panel's bar there covers no label), for
 * where a label raised by clear_bottom would leave its tile (wm_overlay_place's
 * -ERANGE). wm_layout_grid is this with bottom 0. Returns as wm_layout_grid,
 * and -EINVAL for bottom not under the screen's height.
 */
__attribute__((warn_unused_result, nonnull)) int
wm_layout_grid_above(struct wm_renderer *r, size_t n, uint32_t screen_width,
		     uint32_t screen_height, uint32_t bottom, struct wm_rect *video);

/*
 * The speaker layout for n >= 2 tiles: tile big large (16:9, as wide as the
 * screen allows) under the banner with its label strip, the n - 1 others in
 * order, small, in rows under it, all above the bottom bottom pixels (left
 * free: the touch panel's bar there covers no label), each in a cell at least a label wide (no
 * label covers another) with its label strip under it. Labels are the size
 * the grid's are (they depend on the screen's height only). Writes n
 * rectangles to video. Returns 0, -EINVAL for n under 2 or above
 * WM_OVERLAY_MAX_TILES, big >= n, bottom not under the screen's height, or a
 * screen too small for a large tile
 * and the strip of tiles of at least 64 pixels wide, the large one one and
 * a half times as wide as the small ones (on a 16:9 screen three labels fit
 * a row; with a bar of 26 mm left free, one row: n is at most 4).
 */
__attribute__((warn_unused_result, nonnull)) int
wm_layout_speaker(struct wm_renderer *r, size_t n, size_t big, uint32_t screen_width,
		  uint32_t screen_height, uint32_t bottom, struct wm_rect *video);

/*
 * Where wm_overlay_render puts each tile's label (labels[i] for tiles[i]:
 * centred under the video, clipped to the screen; with clear_bottom, raised
 * above the bottom rows where it would reach into them) and the banner.
 * Either output may be NULL. Returns 0, -EINVAL (a junk codeword or name, a
 * screen height outside libwm's range, too many tiles, clear_bottom not
 * under the screen's height), or -ERANGE (a label raised above clear_bottom
 * would leave its tile's video or cover another tile's: lay the tiles out
 * above it instead, wm_layout_grid_above).
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
wm_overlay_place(struct wm_renderer *r, const struct wm_overlay *o, uint32_t screen_width,
		 uint32_t screen_height, struct wm_rect *labels, struct wm_rect *banner);

/*
 * Draws the overlay into img, a caller-owned screen (img->width x
 * img->height pixels, data 4-byte aligned, stride a multiple of 4): clears
 * it to transparent, then the trust frames, labels and banner. Returns 0,
 * -EINVAL (as wm_overlay_place, or img->data NULL), -ENOMEM.
 */
__attribute__((warn_unused_result, nonnull)) int
wm_overlay_render(struct wm_renderer *r, const struct wm_overlay *o, struct wm_image *img);

#endif
