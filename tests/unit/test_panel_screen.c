// SPDX-License-Identifier: MIT
/*
 * panel_screen (panel/screen.h) on the soft display: tiles that come and go
 * at run time. No tile (the banner alone), one, three, one again, none: each
 * time the layout is libwm's grid for that many tiles, a frame put into a
 * tile is on the screen at that tile's place after a capture, a removed
 * tile's id takes no frame (-ENOENT), a tile that stays keeps its frame
 * count, the same set again commits nothing, and a set with a junk
 * codeword, an id twice or too many tiles is refused and changes nothing.
 * The touch panel's layer is above every tile, takes only its damaged
 * rectangles, and goes off the screen when not visible.
 * The speaker layout (panel_screen_set_layout): at 1280x720 with 4 tiles
 * (5: the grid), all above the panel's bar, the chosen tile large and the others equal and smaller, every
 * tile on the screen with its label right under it, centred on it, as tall
 * as the grid's labels (legible: the size depends on the screen alone), no
 * label over another label or any video; a tap's point finds the tile under
 * it; another speaker, then the grid again, give the grid's rectangles back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "panel/screen.h"

#define W 640u
#define H 360u
/* The panel's bar at 1280x720 on 344 x 194 mm: 26 mm (panel_mm rounds up). */
#define BAR 97u

static const char *const cws[] = { "mavoj-pubip-gubad-gamiv", "lusab-babad-gutih-tugad",
				   "hidoz-vikag-sabom-lonus" };

static uint32_t pixel(const struct drv_display_image *img, int32_t x, int32_t y)
{
	return ((const uint32_t *)(img->data + (size_t)y * img->stride))[x] & 0xffffff;
}

/* A flat frame of colour at the tile's size into tile id, then the screen captured. */
static void put(struct panel_screen *s, uint32_t id, uint32_t colour,
		struct drv_display_image *screen)
{
	struct wm_rect v, l;
	uint32_t *frame;

	assert_int_equal(panel_screen_tile(s, id, &v, &l), 0);
	frame = malloc((size_t)v.width * v.height * 4);
	assert_non_null(frame);
	for (size_t i = 0; i < (size_t)v.width * v.height; i++)
		frame[i] = colour;
	assert_int_equal(panel_screen_put_frame(s, id, (uint8_t *)frame, v.width, v.height,
						v.width * 4),
			 0);
	free(frame);
	assert_int_equal(panel_screen_capture_image(s, screen), 0);
	assert_int_equal(pixel(screen, v.x + (int32_t)v.width / 2, v.y + (int32_t)v.height / 2),
			 colour);
}

static void test_tiles_follow(void **state)
{
	struct panel_screen *s = NULL;
	struct drv_display_image screen = { malloc(W * H * 4), W, H, W * 4, DRM_FORMAT_XRGB8888 };
	struct panel_screen_tile t[PANEL_SCREEN_MAX_TILES + 1];
	struct wm_rect v, l, one, three;
	const char *what = "";

	assert_non_null(screen.data);
	assert_int_equal(panel_screen_new("soft", W, H, WM_E2EE_WAITING, &s, &what), 0);
	assert_int_equal(panel_screen_n_tiles(s), 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	assert_int_equal(pixel(&screen, W / 2, H / 2), PANEL_SCREEN_BACKGROUND);
	assert_int_equal(panel_screen_put_frame(s, 5, screen.data, 8, 8, 32), -ENOENT);

	t[0] = (struct panel_screen_tile){ 5, cws[0], "Five", WM_TRUST_UNVERIFIED };
	assert_int_equal(panel_screen_set_tiles(s, t, 1), 0);
	assert_int_equal(panel_screen_tile(s, 5, &one, &l), 0);
	put(s, 5, 0x3070c0, &screen);
	assert_int_equal(panel_screen_frames(s, 5), 1);

	/* Two more: the grid of three, tile 5 first and smaller, its count kept. */
	t[1] = (struct panel_screen_tile){ 9, cws[1], NULL, WM_TRUST_VERIFIED };
	t[2] = (struct panel_screen_tile){ 2, cws[2], "Two", WM_TRUST_WARNING };
	assert_int_equal(panel_screen_set_tiles(s, t, 3), 0);
	assert_int_equal(panel_screen_n_tiles(s), 3);
	assert_int_equal(panel_screen_tile(s, 5, &three, &l), 0);
	assert_true(three.width < one.width);
	assert_int_equal(panel_screen_frames(s, 5), 1);
	put(s, 9, 0xc06030, &screen);
	put(s, 2, 0x30c060, &screen);
	put(s, 5, 0x808080, &screen);
	assert_int_equal(panel_screen_frames(s, 5), 2);
	/* The same roster again (codewords in another case): nothing to lay out or commit. */
	{
		unsigned int commits = panel_screen_commits(s);

		assert_int_equal(panel_screen_set_tiles(s, t, 3), 0);
		assert_int_equal(panel_screen_commits(s), commits);
	}

	/* Refused, and nothing changes: a junk codeword, an id twice, too many. */
	{
		struct panel_screen_tile bad[2] = { t[0], t[1] };

		bad[1].codeword = "mavoj-pubip-gubad-gamie";
		assert_int_equal(panel_screen_set_tiles(s, bad, 2), -EINVAL);
		bad[1] = t[0];
		assert_int_equal(panel_screen_set_tiles(s, bad, 2), -EINVAL);
		for (size_t i = 0; i <= PANEL_SCREEN_MAX_TILES; i++)
			t[i] = (struct panel_screen_tile){ (uint32_t)(100 + i), cws[0], NULL,
							   WM_TRUST_UNVERIFIED };
		assert_int_equal(panel_screen_set_tiles(s, t, PANEL_SCREEN_MAX_TILES + 1),
				 -EINVAL);
		assert_int_equal(panel_screen_n_tiles(s), 3);
		assert_int_equal(panel_screen_tile(s, 2, &v, &l), 0);
	}

	/* Tile 9 alone: 5 and 2 are gone, 9 takes the single tile's place. */
	t[0] = (struct panel_screen_tile){ 9, cws[1], NULL, WM_TRUST_VERIFIED };
	assert_int_equal(panel_screen_set_tiles(s, t, 1), 0);
	assert_int_equal(panel_screen_tile(s, 5, &v, &l), -ENOENT);
	assert_int_equal(panel_screen_put_frame(s, 2, screen.data, 8, 8, 32), -ENOENT);
	assert_int_equal(panel_screen_tile(s, 9, &v, &l), 0);
	assert_memory_equal(&v, &one, sizeof(v));
	put(s, 9, 0x102030, &screen);

	/* None: the background where the tile was. */
	assert_int_equal(panel_screen_set_tiles(s, NULL, 0), 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	assert_int_equal(pixel(&screen, v.x + (int32_t)v.width / 2, v.y + (int32_t)v.height / 2),
			 PANEL_SCREEN_BACKGROUND);
	assert_int_equal(panel_screen_set_e2ee(s, WM_E2EE_ON), 0);
	panel_screen_free(s);
	free(screen.data);
}

/* A frame larger or smaller than the tile: the part that fits, top left. */
/*
 * The touch panel's layer: above the tiles (a frame put into a tile under the
 * panel does not show through it), only the damaged rectangles copied (a
 * pixel outside them keeps what the panel's buffer had), off the screen when
 * not visible.
 */
static void test_panel_layer(void **state)
{
	struct panel_screen *s = NULL;
	struct drv_display_image screen = { malloc(W * H * 4), W, H, W * 4, DRM_FORMAT_XRGB8888 };
	struct panel_screen_tile t = { 7, cws[0], "Lab", WM_TRUST_VERIFIED };
	uint32_t *panel = calloc((size_t)W * H, 4);
	struct panel_rect d = { 0, 0, 0, 0 }, two[2];
	struct wm_rect v, l;
	const char *what;
	int32_t cx, cy;

	(void)state;
	assert_non_null(screen.data);
	assert_non_null(panel);
	assert_int_equal(panel_screen_new("soft", W, H, WM_E2EE_ON, &s, &what), 0);
	assert_int_equal(panel_screen_set_tiles(s, &t, 1), 0);
	assert_int_equal(panel_screen_tile(s, 7, &v, &l), 0);
	cx = v.x + (int32_t)v.width / 2;
	cy = v.y + (int32_t)v.height / 2;
	/* An opaque blue box on the panel over the middle of the tile. */
	d = (struct panel_rect){ cx - 20, cy - 20, 40, 40 };
	for (int32_t y = d.y; y < d.y + d.h; y++)
		for (int32_t x = d.x; x < d.x + d.w; x++)
			panel[(size_t)y * W + (size_t)x] = 0xff0000ffu;
	/* Drawn on the panel's image but outside the damage: must not reach the screen. */
	panel[(size_t)(cy + 40) * W + (size_t)cx] = 0xffff0000u;
	assert_int_equal(panel_screen_set_panel(s, (uint8_t *)panel, W * 4, &d, 1, true), 0);
	{
		/* A green frame into the tile: the middle shows the panel, not it. */
		uint32_t *frame = malloc((size_t)v.width * v.height * 4);

		assert_non_null(frame);
		for (size_t i = 0; i < (size_t)v.width * v.height; i++)
			frame[i] = 0x00ff00;
		assert_int_equal(panel_screen_put_frame(s, 7, (uint8_t *)frame, v.width, v.height,
							v.width * 4),
				 0);
		free(frame);
		assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	}
	assert_int_equal(pixel(&screen, cx, cy), 0x0000ff);
	assert_int_equal(pixel(&screen, cx, cy + 40), 0x00ff00);
	assert_int_equal(pixel(&screen, cx + 30, cy), 0x00ff00);
	/* The next change: both buffers hold the box (the one the back buffer missed is
	 * copied too), the new damage is the red pixel's. */
	two[0] = (struct panel_rect){ cx, cy + 40, 1, 1 };
	assert_int_equal(panel_screen_set_panel(s, (uint8_t *)panel, W * 4, two, 1, true), 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	assert_int_equal(pixel(&screen, cx, cy), 0x0000ff);
	assert_int_equal(pixel(&screen, cx, cy + 40), 0xff0000);
	/* And once more (the other buffer again): still the box and the pixel. */
	assert_int_equal(panel_screen_set_panel(s, (uint8_t *)panel, W * 4, two, 0, true), 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	assert_int_equal(pixel(&screen, cx, cy), 0x0000ff);
	assert_int_equal(pixel(&screen, cx, cy + 40), 0xff0000);
	/* Not visible: the tile's frame again. */
	assert_int_equal(panel_screen_set_panel(s, (uint8_t *)panel, W * 4, two, 0, false), 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	assert_int_equal(pixel(&screen, cx, cy), 0x00ff00);
	/* Junk: a stride shorter than the screen, too many rectangles. */
	assert_int_equal(panel_screen_set_panel(s, (uint8_t *)panel, W, &d, 1, true), -EINVAL);
	assert_int_equal(panel_screen_set_panel(s, (uint8_t *)panel, W * 4, &d,
						PANEL_UI_MAX_DAMAGE + 1, true),
			 -EINVAL);
	panel_screen_free(s);
	free(panel);
	free(screen.data);
}

static bool overlap(const struct wm_rect *a, const struct wm_rect *b)
{
	return a->x < b->x + (int32_t)b->width && b->x < a->x + (int32_t)a->width &&
	       a->y < b->y + (int32_t)b->height && b->y < a->y + (int32_t)a->height;
}

/*
 * Every tile's rectangles on a sw x sh screen: inside it and above row limit, the label right under the video
 * and centred on it, label_h tall; no label over another label or any video, no video over
 * another video.
 */
static void check_labelled_above(struct panel_screen *s, const struct panel_screen_tile *t,
				 size_t n, uint32_t sw, uint32_t sh, uint32_t limit, uint32_t label_h)
{
	struct wm_rect v[PANEL_SCREEN_MAX_TILES], l[PANEL_SCREEN_MAX_TILES];

	for (size_t i = 0; i < n; i++) {
		int32_t vc, lc;
		uint32_t id = 0;

		assert_int_equal(panel_screen_tile(s, t[i].id, &v[i], &l[i]), 0);
		assert_true(v[i].x >= 0 && v[i].y >= 0 && v[i].x + v[i].width <= sw &&
			    v[i].y + v[i].height <= sh);
		assert_true(l[i].x >= 0 && l[i].x + l[i].width <= sw &&
			    l[i].y + l[i].height <= limit);
		assert_int_equal(l[i].height, label_h);
		/* Under its video, within a few pixels, and centred on it. */
		assert_true(l[i].y >= v[i].y + (int32_t)v[i].height);
		assert_true(l[i].y <= v[i].y + (int32_t)v[i].height + 16);
		vc = v[i].x + (int32_t)v[i].width / 2;
		lc = l[i].x + (int32_t)l[i].width / 2;
		assert_true(vc - lc <= 2 && lc - vc <= 2);
		/* A tap in the middle of the video finds this tile. */
		assert_int_equal(panel_screen_tile_at(s, vc, v[i].y + (int32_t)v[i].height / 2, &id),
				 0);
		assert_int_equal(id, t[i].id);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			assert_false(overlap(&l[i], &v[j]));
			if (i != j) {
				assert_false(overlap(&l[i], &l[j]));
				assert_false(overlap(&v[i], &v[j]));
			}
		}
}

static void check_labelled(struct panel_screen *s, const struct panel_screen_tile *t, size_t n,
			   uint32_t sw, uint32_t sh, uint32_t label_h)
{
	check_labelled_above(s, t, n, sw, sh, sh, label_h);
}

static void test_speaker_layout(void **state)
{
	const uint32_t sw = 1280, sh = 720;
	struct panel_screen *s = NULL;
	struct drv_display_image screen = { malloc(sw * sh * 4), sw, sh, sw * 4,
					    DRM_FORMAT_XRGB8888 };
	struct panel_screen_tile t[PANEL_SCREEN_MAX_TILES];
	struct wm_rect grid[4], v, l, big, small;
	uint32_t label_h, id;
	const char *what = "";

	(void)state;
	assert_non_null(screen.data);
	assert_int_equal(panel_screen_new("soft", sw, sh, WM_E2EE_ON, &s, &what), 0);
	for (size_t i = 0; i < 4; i++)
		t[i] = (struct panel_screen_tile){ (uint32_t)(10 + i), cws[i % 3],
						   i % 2 ? "Lab" : "Board room", WM_TRUST_VERIFIED };
	assert_int_equal(panel_screen_set_tiles(s, t, 4), 0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(panel_screen_tile(s, t[i].id, &grid[i], &l), 0);
	label_h = l.height;
	assert_true(label_h >= 2 * 8); /* two lines of libwm's smallest text at least */
	check_labelled(s, t, 4, sw, sh, label_h);
	assert_int_equal(panel_screen_tile_at(s, 0, 0, &id), -ENOENT); /* the banner's corner */

	/* Speaker: tile 11 (the second) large, the others equal and smaller, all labelled. */
	assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_SPEAKER, 11, BAR), 0);
	assert_int_equal(panel_screen_tile(s, 11, &big, &l), 0);
	assert_true(big.width > grid[1].width && big.height > grid[1].height);
	for (size_t i = 0; i < 4; i++) {
		if (t[i].id == 11)
			continue;
		assert_int_equal(panel_screen_tile(s, t[i].id, &small, &l), 0);
		assert_true(small.width * 2 <= big.width);
		assert_true(small.y > big.y); /* in the strip under the large one */
		assert_int_equal(small.width * 9 / 16 & ~1u, small.height);
	}
	check_labelled_above(s, t, 4, sw, sh, sh - BAR, label_h); /* the bar covers no label */
	put(s, 11, 0xc06030, &screen);
	put(s, 13, 0x30c060, &screen);
	/* The label under the large tile is drawn (the overlay, not the background). */
	assert_int_equal(panel_screen_tile(s, 11, &v, &l), 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	{
		size_t drawn = 0;

		for (int32_t y = l.y; y < l.y + (int32_t)l.height; y++)
			for (int32_t x = l.x; x < l.x + (int32_t)l.width; x++)
				drawn += pixel(&screen, x, y) != PANEL_SCREEN_BACKGROUND;
		assert_true(drawn * 2 > (size_t)l.width * l.height);
	}

	/* Another speaker: 13 large, 11 back in the strip. */
	assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_SPEAKER, 13, BAR), 0);
	assert_int_equal(panel_screen_tile(s, 13, &v, &l), 0);
	assert_memory_equal(&v, &big, sizeof(v));
	assert_int_equal(panel_screen_tile(s, 11, &v, &l), 0);
	assert_true(v.width < big.width);
	check_labelled_above(s, t, 4, sw, sh, sh - BAR, label_h);
	/* The same layout again changes nothing. */
	{
		unsigned int commits = panel_screen_commits(s);

		assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_SPEAKER, 13, BAR), 0);
		assert_int_equal(panel_screen_commits(s), commits);
	}

	for (size_t i = 0; i < PANEL_SCREEN_MAX_TILES; i++)
		t[i] = (struct panel_screen_tile){ (uint32_t)(10 + i), cws[i % 3], "Room",
						   WM_TRUST_UNVERIFIED };
	/* More than the strip holds (4 tiles at 16:9 above the bar): the grid's rectangles. */
	{
		struct wm_rect sp[5];

		assert_int_equal(panel_screen_set_tiles(s, t, 5), 0);
		for (size_t i = 0; i < 5; i++)
			assert_int_equal(panel_screen_tile(s, t[i].id, &sp[i], &l), 0);
		assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_GRID, 0, BAR), 0);
		for (size_t i = 0; i < 5; i++) {
			assert_int_equal(panel_screen_tile(s, t[i].id, &v, &l), 0);
			assert_memory_equal(&v, &sp[i], sizeof(v));
		}
		assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_SPEAKER, 13, BAR), 0);
	}

	/* The grid again: the grid's rectangles. */
	assert_int_equal(panel_screen_set_tiles(s, t, 4), 0);
	assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_GRID, 0, BAR), 0);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(panel_screen_tile(s, t[i].id, &v, &l), 0);
		assert_memory_equal(&v, &grid[i], sizeof(v));
	}
	/* One tile in the speaker layout is the grid's one tile. */
	assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_SPEAKER, 10, BAR), 0);
	assert_int_equal(panel_screen_set_tiles(s, t, 1), 0);
	check_labelled(s, t, 1, sw, sh, label_h);
	assert_int_equal(panel_screen_set_layout(s, 7, 0, BAR), -EINVAL);
	panel_screen_free(s);
	free(screen.data);
}

static void test_other_sizes(void **state)
{
	struct panel_screen *s = NULL;
	struct drv_display_image screen = { malloc(W * H * 4), W, H, W * 4, DRM_FORMAT_XRGB8888 };
	const struct panel_screen_tile t = { 1, cws[0], NULL, WM_TRUST_UNVERIFIED };
	uint32_t small[16 * 16], *big;
	struct wm_rect v, l;
	const char *what = "";

	assert_int_equal(panel_screen_new("soft", W, H, WM_E2EE_ON, &s, &what), 0);
	assert_int_equal(panel_screen_set_tiles(s, &t, 1), 0);
	assert_int_equal(panel_screen_tile(s, 1, &v, &l), 0);
	big = malloc((size_t)(v.width + 64) * (v.height + 64) * 4);
	assert_non_null(big);
	for (size_t i = 0; i < (size_t)(v.width + 64) * (v.height + 64); i++)
		big[i] = 0x00ff00;
	assert_int_equal(panel_screen_put_frame(s, 1, (uint8_t *)big, v.width + 64, v.height + 64,
						(v.width + 64) * 4),
			 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	assert_int_equal(pixel(&screen, v.x + (int32_t)v.width - 8, v.y + (int32_t)v.height - 8),
			 0x00ff00);
	for (size_t i = 0; i < 16 * 16; i++)
		small[i] = 0x0000ff;
	assert_int_equal(panel_screen_put_frame(s, 1, (uint8_t *)small, 16, 16, 64), 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	assert_int_equal(pixel(&screen, v.x + 10, v.y + 10), 0x0000ff);
	assert_int_equal(panel_screen_put_frame(s, 1, (uint8_t *)small, 16, 16, 60), -EINVAL);
	free(big);
	panel_screen_free(s);
	free(screen.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiles_follow),
		cmocka_unit_test(test_other_sizes),
		cmocka_unit_test(test_speaker_layout),
		cmocka_unit_test(test_panel_layer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
