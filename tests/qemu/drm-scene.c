// SPDX-License-Identifier: MIT
/*
 * drm-scene: the image test's composed screen. On the board's display
 * (vkms), a "video tile" (four color bars, XRGB8888) on one overlay plane
 * and a codeword label rendered by libwm (premultiplied ARGB8888, straddling
 * the tile's bottom edge) on another above it, over a background color;
 * the screen is captured through the writeback connector and checked:
 *   - the layers went on overlay planes (or, with --compose, were all
 *     composited in software into the primary plane's buffer);
 *   - the capture equals the scene composited in memory (max channel
 *     difference DIFF_MAX), and independently: each bar's color where the
 *     bar is, the background in the corners, white text and the darker
 *     backing where the label is;
 *   - with --reference, it equals an earlier capture (the planes' one).
 * --png saves the capture. Prints '#' lines and a summary; exits 0 when all
 * checks pass, 1 when one fails, 2 on usage errors.
 *
 *   drm-scene [--compose] [--size WxH] [--png OUT] [--reference PNG]
 *             [--codeword CW] DEVICE
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "drv/display.h"
#include "screen-check.h"
#include "wm/label.h"

#define DIFF_MAX 2
#define BACKGROUND 0x203050u
#define TILE_W 640u
#define TILE_H 360u

static const uint32_t bars[4] = { 0xc02020, 0x20c020, 0x2020c0, 0xc0c020 };

static void draw_tile(struct drv_display_image *img)
{
	for (uint32_t y = 0; y < img->height; y++)
		for (uint32_t x = 0; x < img->width; x++)
			((uint32_t *)(img->data + (size_t)y * img->stride))[x] =
				bars[x * 4 / img->width];
}

static int render_label(struct drv_display *d, const char *codeword, uint32_t screen_h,
			struct drv_display_buffer **out)
{
	const struct wm_label label = { .codeword = codeword, .second = "E2EE on" };
	struct wm_renderer *r = NULL;
	struct wm_image img = { 0 };
	uint32_t w, h;
	int ret;

	*out = NULL;
	ret = wm_renderer_new(&r);
	if (ret)
		goto out;
	ret = wm_measure(r, &label, screen_h, &w, &h);
	if (ret)
		goto out;
	ret = drv_display_buffer_new(d, w, h, DRM_FORMAT_ARGB8888, out);
	if (ret)
		goto out;
	/* Straight into the dumb buffer: libwm's ARGB32 is the plane's format. */
	img.data = (*out)->img.data;
	img.width = w;
	img.height = h;
	img.stride = (*out)->img.stride;
	ret = wm_render(r, &label, screen_h, &img);
out:
	wm_renderer_free(r);
	return ret;
}

static void usage(void)
{
	fprintf(stderr, "usage: drm-scene [--compose] [--size WxH] [--png OUT] [--reference PNG] "
			"[--codeword CW] DEVICE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "compose", no_argument, NULL, 'c' },	  { "size", required_argument, NULL, 's' },
		{ "png", required_argument, NULL, 'p' },  { "reference", required_argument, NULL, 'r' },
		{ "codeword", required_argument, NULL, 'w' }, { NULL, 0, NULL, 0 },
	};
	const char *png = NULL, *reference = NULL, *codeword = "mavoj-pubip-gubad-gamiv";
	struct drv_display_buffer *tile = NULL, *label = NULL, *capture = NULL;
	struct drv_display_image expected = { 0 }, ref = { 0 };
	struct drv_display_layer layers[2];
	struct drv_display_scene scene;
	struct drv_display_plan plan;
	struct drv_display *d = NULL;
	uint32_t sw = 0, sh = 0, tx, ty, lx, ly;
	const struct drv_display_image *cap;
	bool compose = false;
	int c, ret, diff;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			compose = true;
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &sw, &sh) != 2)
				usage();
			break;
		case 'p':
			png = optarg;
			break;
		case 'r':
			reference = optarg;
			break;
		case 'w':
			codeword = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();

	ret = drv_display_open(argv[optind], sw, sh, &d);
	if (ret) {
		fprintf(stderr, "drm-scene: %s: %s\n", argv[optind], strerror(-ret));
		return 1;
	}
	drv_display_size(d, &sw, &sh);
	printf("# %s: driver %s, mode %ux%u, writeback %s\n", argv[optind], drv_display_driver(d),
	       sw, sh, drv_display_has_writeback(d) ? "yes" : "no");
	if (sw < TILE_W + 64 || sh < TILE_H * 2) {
		fprintf(stderr, "drm-scene: screen %ux%u too small\n", sw, sh);
		ret = -EINVAL;
		goto out;
	}

	ret = drv_display_buffer_new(d, TILE_W, TILE_H, DRM_FORMAT_XRGB8888, &tile);
	if (!ret)
		ret = render_label(d, codeword, sh, &label);
	if (!ret)
		ret = drv_display_buffer_new(d, sw, sh, DRM_FORMAT_XRGB8888, &capture);
	if (ret) {
		fprintf(stderr, "drm-scene: buffers: %s\n", strerror(-ret));
		goto out;
	}
	draw_tile(&tile->img);
	/* The tile centered in the top half, the label across its bottom edge. */
	tx = (sw - TILE_W) / 2;
	ty = sh / 4;
	lx = tx + (TILE_W > label->img.width ? (TILE_W - label->img.width) / 2 : 0);
	ly = ty + TILE_H - label->img.height / 2;
	layers[0] = (struct drv_display_layer){ tile, (int32_t)tx, (int32_t)ty,
						DRV_DISPLAY_ALPHA_OPAQUE, 1 };
	layers[1] = (struct drv_display_layer){ label, (int32_t)lx, (int32_t)ly,
						DRV_DISPLAY_ALPHA_OPAQUE, 2 };
	scene = (struct drv_display_scene){ .background = BACKGROUND, .layers = layers,
					    .n_layers = 2, .force_compose = compose };

	ret = drv_display_commit(d, &scene, capture, &plan);
	if (ret) {
		fprintf(stderr, "drm-scene: commit: %s\n", strerror(-ret));
		goto out;
	}
	cap = &capture->img;
	printf("# tile %ux%u at %u,%u; label %ux%u at %u,%u\n", TILE_W, TILE_H, tx, ty,
	       label->img.width, label->img.height, lx, ly);
	if (compose)
		sc_expect(plan.n_composed == 2, "both layers composited in software (%zu of 2)",
		       plan.n_composed);
	else
		sc_expect(plan.n_composed == 0 && plan.plane[0] >= 0 && plan.plane[1] >= 0,
		       "tile on plane %d, label on plane %d above it (%zu composited)",
		       plan.plane[0], plan.plane[1], plan.n_composed);

	/* The whole screen against the scene composited in memory. */
	expected = (struct drv_display_image){ .width = sw, .height = sh, .stride = sw * 4,
					       .format = DRM_FORMAT_XRGB8888 };
	expected.data = malloc((size_t)sw * sh * 4);
	if (!expected.data) {
		ret = -ENOMEM;
		goto out;
	}
	drv_display_fill(&expected, BACKGROUND);
	ret = drv_display_blend(&expected, &tile->img, (int32_t)tx, (int32_t)ty,
				DRV_DISPLAY_ALPHA_OPAQUE);
	if (!ret)
		ret = drv_display_blend(&expected, &label->img, (int32_t)lx, (int32_t)ly,
					DRV_DISPLAY_ALPHA_OPAQUE);
	if (ret)
		goto out;
	diff = drv_display_max_diff(cap, &expected);
	sc_expect(diff >= 0 && diff <= DIFF_MAX, "capture equals the scene composited in memory "
	       "(max channel difference %d, at most %d)", diff, DIFF_MAX);

	/* Spot checks that do not trust the compositor. */
	for (int i = 0; i < 4; i++) {
		uint32_t x = tx + TILE_W * (2 * i + 1) / 8, y = ty + TILE_H / 4;

		sc_expect(sc_chdiff(sc_px(cap, x, y), bars[i]) <= DIFF_MAX, "tile bar %d at %u,%u: %06x "
		       "(want %06x)", i, x, y, sc_px(cap, x, y) & 0xffffff, bars[i]);
	}
	{
		const uint32_t corners[4][2] = { { 4, 4 }, { sw - 5, 4 }, { 4, sh - 5 },
						 { sw - 5, sh - 5 } };
		unsigned int bg = 0, text = 0, darker = 0, area = 0;

		for (int i = 0; i < 4; i++)
			bg += sc_chdiff(sc_px(cap, corners[i][0], corners[i][1]), BACKGROUND) <= DIFF_MAX;
		sc_expect(bg == 4, "background %06x in %u of 4 corners", BACKGROUND, bg);
		/* The label: white text on a backing darker than what is under it. */
		for (uint32_t y = ly; y < ly + label->img.height; y++) {
			for (uint32_t x = lx; x < lx + label->img.width; x++) {
				uint32_t p = sc_px(cap, x, y), under = BACKGROUND, luma, ulum;

				if (x >= tx && x < tx + TILE_W && y >= ty && y < ty + TILE_H)
					under = bars[(x - tx) * 4 / TILE_W];
				luma = ((p >> 16) & 0xff) + ((p >> 8) & 0xff) + (p & 0xff);
				ulum = ((under >> 16) & 0xff) + ((under >> 8) & 0xff) +
				       (under & 0xff);
				text += luma >= 3 * 220;
				darker += luma + 24 < ulum;
				area++;
			}
		}
		sc_expect(text >= area / 100 && darker >= area / 4,
		       "label: %u white text pixels, %u backing pixels darker than below, of %u",
		       text, darker, area);
	}
	if (reference) {
		ret = drv_display_png_read(reference, &ref);
		if (ret) {
			fprintf(stderr, "drm-scene: %s: %s\n", reference, strerror(-ret));
			goto out;
		}
		diff = drv_display_max_diff(cap, &ref);
		sc_expect(diff >= 0 && diff <= DIFF_MAX, "capture equals %s (max channel difference "
		       "%d, at most %d)", reference, diff, DIFF_MAX);
	}
	if (png) {
		ret = drv_display_png_write(cap, png);
		if (ret) {
			fprintf(stderr, "drm-scene: %s: %s\n", png, strerror(-ret));
			goto out;
		}
		printf("# saved %s\n", png);
	}
out:
	free(ref.data);
	free(expected.data);
	drv_display_buffer_free(capture);
	drv_display_buffer_free(label);
	drv_display_buffer_free(tile);
	drv_display_close(d);
	if (ret)
		return 1;
	printf("drm-scene: %s, %d check(s) failed\n", compose ? "composited" : "planes", sc_failures);
	return sc_failures ? 1 : 0;
}
