// SPDX-License-Identifier: MIT
/*
 * libwm's KMS overlay (wm/overlay.h): the grid layout's geometry for 1..16
 * tiles on three screens; whole overlays against golden PNGs; each label on
 * the overlay equal to libwm's own rendering of that codeword; trust frames,
 * banner, transparency over the video; refusals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wm/overlay.h"
#include "wm_golden.h"

#define CW_A "mavoj-pubip-gubad-gamiv"
#define CW_B "lusab-babad-gutih-tugad"
#define CW_C "hidoz-vikag-sabom-lonus"

static uint32_t px(const struct wm_image *img, int32_t x, int32_t y)
{
	return ((const uint32_t *)(img->data + (size_t)y * img->stride))[x];
}

static bool overlap(const struct wm_rect *a, const struct wm_rect *b)
{
	return a->x < b->x + (int32_t)b->width && b->x < a->x + (int32_t)a->width &&
	       a->y < b->y + (int32_t)b->height && b->y < a->y + (int32_t)a->height;
}

static bool inside(const struct wm_rect *a, uint32_t w, uint32_t h)
{
	return a->x >= 0 && a->y >= 0 && a->x + a->width <= w && a->y + a->height <= h;
}

/* Every n: tiles and labels on screen, below the banner, 16:9, even, apart. */
static void test_layout_grid(void **state)
{
	static const uint32_t screens[][2] = { { 1280, 720 }, { 1920, 1080 }, { 3840, 2160 } };
	static const char *const cws[] = { CW_A, CW_B, CW_C };
	struct wm_renderer *r = *state;

	for (size_t s = 0; s < 3; s++) {
		uint32_t sw = screens[s][0], sh = screens[s][1], prev_w = sw;

		for (size_t n = 1; n <= 16; n++) {
			struct wm_rect video[16], labels[16], banner;
			struct wm_tile tiles[16];
			struct wm_overlay o = { .tiles = tiles, .n_tiles = n, .e2ee = WM_E2EE_ON };

			assert_int_equal(wm_layout_grid(r, n, sw, sh, video), 0);
			for (size_t i = 0; i < n; i++)
				tiles[i] = (struct wm_tile){ video[i], cws[i % 3], "Room", 0 };
			assert_int_equal(wm_overlay_place(r, &o, sw, sh, labels, &banner), 0);
			for (size_t i = 0; i < n; i++) {
				const struct wm_rect *v = &video[i];
				long d = (long)v->width * 9 - (long)v->height * 16;

				assert_true(inside(v, sw, sh) && inside(&labels[i], sw, sh));
				assert_true(v->width % 2 == 0 && v->height % 2 == 0 &&
					    v->x % 2 == 0 && v->y % 2 == 0);
				assert_true(d >= -32 && d <= 32); /* 16:9 to the even pixel */
				/* The label right under its own video, its strip clear. */
				assert_true(labels[i].y >= v->y + (int32_t)v->height);
				assert_true(labels[i].y < v->y + (int32_t)v->height +
								  (int32_t)v->height / 4 + 16);
				assert_false(overlap(v, &banner));
				assert_false(overlap(&labels[i], &banner));
				/* Equal tiles, none smaller than a label is wide for n <= 4. */
				assert_int_equal(v->width, video[0].width);
				if (n <= 4)
					assert_true(v->width >= labels[i].width);
				for (size_t j = 0; j < i; j++) {
					assert_false(overlap(v, &video[j]));
					assert_false(overlap(&labels[i], &video[j]));
					assert_false(overlap(v, &labels[j]));
					/* Labels apart too: cells a label wide (7, 8
					 * and 10 to 16 tiles overlapped before). */
					assert_false(overlap(&labels[i], &labels[j]));
				}
			}
			/* More tiles never make them bigger. */
			assert_true(video[0].width <= prev_w);
			prev_w = video[0].width;
			if (n == 1)
				assert_true(video[0].width >= sw / 2);
		}
	}
}

static struct wm_image screen_new(uint32_t w, uint32_t h)
{
	struct wm_image img = { .width = w, .height = h, .stride = w * 4 };

	img.data = malloc((size_t)img.stride * h);
	assert_non_null(img.data);
	memset(img.data, 0x5a, (size_t)img.stride * h); /* render must clear it */
	return img;
}

/*
 * The label on the overlay, pixel for pixel, is libwm's own rendering of
 * codeword with second line; and a wrong codeword's rendering is not.
 */
static void check_label(struct wm_renderer *r, const struct wm_image *img,
			const struct wm_rect *at, const char *codeword, const char *second,
			const char *wrong)
{
	struct wm_label label = { codeword, second };
	struct wm_image own = { 0 };
	uint64_t differ = 0;

	assert_int_equal(wm_render(r, &label, img->height, &own), 0);
	assert_int_equal(own.width, at->width);
	assert_int_equal(own.height, at->height);
	for (uint32_t y = 0; y < own.height; y++)
		assert_memory_equal(img->data + (size_t)(at->y + (int32_t)y) * img->stride +
					    (size_t)at->x * 4,
				    own.data + (size_t)y * own.stride, own.width * 4);
	wm_image_free(&own);
	label.codeword = wrong;
	assert_int_equal(wm_render(r, &label, img->height, &own), 0);
	for (uint32_t y = 0; y < own.height; y++)
		for (uint32_t x = 0; x < own.width; x++)
			differ += px(img, at->x + (int32_t)x, at->y + (int32_t)y) !=
				  ((const uint32_t *)(own.data + (size_t)y * own.stride))[x];
	assert_true(differ > (uint64_t)own.width * own.height / 50);
	wm_image_free(&own);
}

static void test_three_tiles_720p(void **state)
{
	struct wm_renderer *r = *state;
	struct wm_rect video[3], labels[3], banner;
	struct wm_tile tiles[3];
	struct wm_overlay o = { .tiles = tiles, .n_tiles = 3, .e2ee = WM_E2EE_ON };
	struct wm_image img = screen_new(1280, 720), again = screen_new(1280, 720);
	char msg[8192];

	assert_int_equal(wm_layout_grid(r, 3, 1280, 720, video), 0);
	tiles[0] = (struct wm_tile){ video[0], CW_A, "Board room", WM_TRUST_VERIFIED };
	tiles[1] = (struct wm_tile){ video[1], CW_B, "Lab", WM_TRUST_UNVERIFIED };
	tiles[2] = (struct wm_tile){ video[2], CW_C, "Studio", WM_TRUST_WARNING };
	assert_int_equal(wm_overlay_render(r, &o, &img), 0);
	assert_int_equal(wm_overlay_place(r, &o, 1280, 720, labels, &banner), 0);
	if (wmt_golden_check("screen-720p", img.data, img.width, img.height, img.stride, msg,
			     sizeof(msg)))
		fail_msg("%s", msg);

	check_label(r, &img, &labels[0], CW_A, "Board room", CW_B);
	check_label(r, &img, &labels[1], CW_B, "Lab", CW_A);
	check_label(r, &img, &labels[2], CW_C, "KEY CHANGED \xe2\x80\x93 Studio", CW_A);
	for (int i = 0; i < 3; i++) {
		const struct wm_rect *v = &video[i];
		/* Straight colour of the frame's top-left pixel, opaque. */
		uint32_t f = px(&img, v->x, v->y);
		uint32_t rr = (f >> 16) & 255, g = (f >> 8) & 255, b = f & 255;

		/* The video shows through: transparent inside the frame. */
		assert_int_equal(px(&img, v->x + (int32_t)v->width / 2,
				    v->y + (int32_t)v->height / 2), 0);
		assert_int_equal(px(&img, v->x + 20, v->y + 20), 0);
		assert_int_equal(f >> 24, 255);
		if (i == 0)
			assert_true(g > 150 && rr < 80 && b < 110);      /* green */
		else if (i == 1)
			assert_true(rr > 200 && g > 140 && b < 60);      /* amber */
		else
			assert_true(rr > 200 && g < 80 && b < 80);       /* red */
	}
	/* The banner: opaque-ish green with white text, transparent beside it. */
	{
		uint64_t white = 0, green = 0;

		for (uint32_t y = 0; y < banner.height; y++)
			for (uint32_t x = 0; x < banner.width; x++) {
				uint32_t p = px(&img, banner.x + (int32_t)x, banner.y + (int32_t)y);

				white += p == 0xffffffffu;
				green += (p >> 24) >= 200 && ((p >> 8) & 255) > ((p >> 16) & 255) * 2;
			}
		assert_true(white > (uint64_t)banner.width * banner.height / 20);
		assert_true(green > (uint64_t)banner.width * banner.height / 3);
		assert_int_equal(px(&img, 0, banner.y + (int32_t)banner.height / 2), 0);
	}
	/* Deterministic, and the 0x5a fill was cleared everywhere. */
	assert_int_equal(wm_overlay_render(r, &o, &again), 0);
	assert_memory_equal(img.data, again.data, (size_t)img.stride * img.height);
	assert_int_equal(px(&img, 1279, 719), 0);
	free(img.data);
	free(again.data);
}

static void test_one_tile_1080p_waiting(void **state)
{
	struct wm_renderer *r = *state;
	struct wm_rect video, label, banner;
	struct wm_tile tile;
	struct wm_overlay o = { .tiles = &tile, .n_tiles = 1, .e2ee = WM_E2EE_WAITING };
	struct wm_image img = screen_new(1920, 1080);
	char msg[8192];

	assert_int_equal(wm_layout_grid(r, 1, 1920, 1080, &video), 0);
	tile = (struct wm_tile){ video, CW_B, NULL, WM_TRUST_UNVERIFIED };
	assert_int_equal(wm_overlay_render(r, &o, &img), 0);
	if (wmt_golden_check("screen-1080p", img.data, img.width, img.height, img.stride, msg,
			     sizeof(msg)))
		fail_msg("%s", msg);
	assert_int_equal(wm_overlay_place(r, &o, 1920, 1080, &label, &banner), 0);
	check_label(r, &img, &label, CW_B, NULL, CW_C);
	/* The banner is amber: more red than blue. */
	{
		uint32_t p = px(&img, banner.x + 4, banner.y + (int32_t)banner.height / 2);

		assert_true(((p >> 16) & 255) > (p & 255) + 60);
	}
	free(img.data);
}

static void test_refusals(void **state)
{
	struct wm_renderer *r = *state;
	struct wm_rect video[WM_OVERLAY_MAX_TILES + 1];
	struct wm_tile tile = { { 0, 0, 320, 180 }, CW_A, NULL, WM_TRUST_VERIFIED };
	struct wm_overlay o = { .tiles = &tile, .n_tiles = 1, .e2ee = WM_E2EE_ON };
	struct wm_image img = screen_new(640, 360), none = { 0 };

	assert_int_equal(wm_layout_grid(r, 0, 1920, 1080, video), -EINVAL);
	assert_int_equal(wm_layout_grid(r, WM_OVERLAY_MAX_TILES + 1, 1920, 1080, video),
			 -EINVAL);
	assert_int_equal(wm_layout_grid(r, 64, 320, 180, video), -EINVAL);
	assert_int_equal(wm_overlay_render(r, &o, &img), 0);
	tile.codeword = "mavoj-pubip-gubad-gamie";
	assert_int_equal(wm_overlay_render(r, &o, &img), -EINVAL);
	tile.codeword = CW_A;
	tile.name = "\xff\xfe";
	assert_int_equal(wm_overlay_render(r, &o, &img), -EINVAL);
	tile.name = NULL;
	tile.trust = (enum wm_trust)7;
	assert_int_equal(wm_overlay_render(r, &o, &img), -EINVAL);
	tile.trust = WM_TRUST_VERIFIED;
	o.e2ee = (enum wm_e2ee_state)9;
	assert_int_equal(wm_overlay_render(r, &o, &img), -EINVAL);
	o.e2ee = WM_E2EE_OFF;
	o.n_tiles = WM_OVERLAY_MAX_TILES + 1;
	assert_int_equal(wm_overlay_render(r, &o, &img), -EINVAL);
	o.n_tiles = 1;
	none.width = 640;
	none.height = 360;
	none.stride = 640 * 4;
	assert_int_equal(wm_overlay_render(r, &o, &none), -EINVAL);
	free(img.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_grid),
		cmocka_unit_test(test_three_tiles_720p),
		cmocka_unit_test(test_one_tile_1080p_waiting),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, wmt_renderer_setup, wmt_renderer_teardown);
}
