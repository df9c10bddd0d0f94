// SPDX-License-Identifier: MIT
/*
 * display-check: checks the room display's screen (e2ee-media --display,
 * captured through writeback) against what libwm says should be there,
 * computing the layout itself (wm_layout_grid) rather than trusting the
 * program it checks. One tile per remote sender, in --peer order, each
 * given as CODEWORD:COLOUR[:NAME]: the sender's video is a flat colour with
 * its codeword burned in by codewordoverlay (e2ee-media send --codeword:
 * the caption "E2EE on", default position and scale):
 *
 *   - video: each tile shows its source's colour (not black, not the
 *     background) away from the burned-in label;
 *   - overlay: every pixel outside the videos, and the frames over them, is
 *     wm_overlay_render's overlay for these codewords and names over the
 *     background (a pixel differs when a channel differs by more than 8; at
 *     most 0.1 % may, none in a label), and the overlay with the wrong
 *     codeword differs in the labels;
 *   - burned-in codeword: where codewordoverlay drew it (scaled to the
 *     tile), the luma correlates with libwm's rendering of the tile's
 *     codeword over its colour (at least MIN_CORR) much better than with the
 *     wrong codeword's (by MIN_MARGIN): H.264 and scaling blur, so
 *     correlation, not pixels. So the label under a tile and the codeword in
 *     its video must be the same sender's.
 *
 * --e2ee waiting expects the banner of a room without keys yet; --no-video
 * expects black tiles (nothing decoded) and skips the burned-in check;
 * --no-burn checks the tiles' colours but not a burned-in codeword (flat
 * frames, as tests/integration/frame-sender sends); --empty expects no tile
 * at all (the banner alone over the background; no --tile then).
 *
 * With --decoded PNG only the burned-in check runs, for the first tile, on a
 * decoded frame (e.g. e2ee-media's --snapshot) instead of the screen.
 *
 *   display-check --tile CODEWORD:RRGGBB[:NAME] [--tile ...] --wrong CW
 *                 --frame WxH [--background RRGGBB] [--e2ee on|waiting]
 *                 [--no-video | --no-burn] (--screen PNG | --decoded PNG)
 *   display-check --empty [--e2ee on|waiting] --screen PNG
 *
 * Prints '#' lines; exits 0 when all checks pass, 1 when one fails, 2 on
 * usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "drv/display.h"
#include "screen-check.h"
#include "wm/overlay.h"

#define PIXEL_TOL 8
#define MAX_TILES 16
#define MAX_DIFF_FRACTION 0.001
#define MIN_CORR 0.6
#define MIN_MARGIN 0.15
/* e2ee-media's sender: codewordoverlay's defaults and this caption. */
#define BURN_CAPTION "E2EE on"
#define BURN_X 0.98
#define BURN_Y 0.95


static uint32_t px(const uint8_t *data, uint32_t stride, int32_t x, int32_t y)
{
	return ((const uint32_t *)(data + (size_t)y * stride))[x];
}

static double luma(uint32_t p)
{
	return 0.299 * ((p >> 16) & 255) + 0.587 * ((p >> 8) & 255) + 0.114 * (p & 255);
}

/* Premultiplied ARGB src over an opaque colour. */
static uint32_t over(uint32_t src, uint32_t bg)
{
	uint32_t a = src >> 24, out = 0;

	for (int sh = 0; sh <= 16; sh += 8) {
		uint32_t c = ((src >> sh) & 255) + (((bg >> sh) & 255) * (255 - a) + 127) / 255;

		out |= (c > 255 ? 255 : c) << sh;
	}
	return out;
}

/* Bilinear luma of img at (fx, fy), clamped to the image. */
static double sample_luma(const struct drv_display_image *img, double fx, double fy)
{
	int32_t x0, y0;
	double ax, ay, l = 0;

	fx = fx < 0 ? 0 : fx > img->width - 1.001 ? img->width - 1.001 : fx;
	fy = fy < 0 ? 0 : fy > img->height - 1.001 ? img->height - 1.001 : fy;
	x0 = (int32_t)fx;
	y0 = (int32_t)fy;
	ax = fx - x0;
	ay = fy - y0;
	for (int j = 0; j < 2; j++)
		for (int i = 0; i < 2; i++)
			l += (i ? ax : 1 - ax) * (j ? ay : 1 - ay) *
			     luma(px(img->data, img->stride, x0 + i, y0 + j));
	return l;
}

/*
 * Pearson correlation, over the label's inner rectangle, of the picture's
 * luma (the frame placed at rect on img) with libwm's label for codeword
 * over colour. Returns -2 when the label cannot be rendered.
 */
static double burned_corr(struct wm_renderer *r, const struct drv_display_image *img,
			  const struct wm_rect *rect, uint32_t fw, uint32_t fh, const char *codeword,
			  uint32_t colour, struct wm_rect *where)
{
	const struct wm_label label = { codeword, BURN_CAPTION };
	struct wm_image lab = { 0 };
	double sx = (double)rect->width / fw, sy = (double)rect->height / fh;
	double se = 0, sa = 0, see = 0, saa = 0, sea = 0, n = 0;
	uint32_t lx, ly, inset;

	if (wm_render(r, &label, fh, &lab))
		return -2;
	/* gstcodewordoverlay.c's placement. */
	lx = fw > lab.width ? (uint32_t)lrint(BURN_X * (fw - lab.width)) & ~1u : 0;
	ly = fh > lab.height ? (uint32_t)lrint(BURN_Y * (fh - lab.height)) & ~1u : 0;
	*where = (struct wm_rect){ (int32_t)lx, (int32_t)ly, lab.width, lab.height };
	/* The codeword's line only (the caption is the same for any codeword),
	 * clear of the rounded corners. */
	inset = wm_text_px(fh) / 3;
	for (uint32_t y = wm_text_px(fh) / 5; y < wm_text_px(fh) * 3 / 2 && y < lab.height &&
					      ly + y < fh; y++) {
		for (uint32_t x = inset; x + inset < lab.width && lx + x < fw; x++) {
			double e = luma(over(px(lab.data, lab.stride, (int32_t)x, (int32_t)y),
					     colour));
			double a = sample_luma(img, rect->x + (lx + x + 0.5) * sx - 0.5,
					       rect->y + (ly + y + 0.5) * sy - 0.5);

			se += e;
			sa += a;
			see += e * e;
			saa += a * a;
			sea += e * a;
			n++;
		}
	}
	wm_image_free(&lab);
	if (n < 16)
		return -2;
	{
		double cov = sea - se * sa / n, ve = see - se * se / n, va = saa - sa * sa / n;

		return ve > 0 && va > 0 ? cov / sqrt(ve * va) : 0;
	}
}

static void check_burned(struct wm_renderer *r, const struct drv_display_image *img,
			 const struct wm_rect *rect, uint32_t fw, uint32_t fh, const char *cw,
			 const char *wrong, uint32_t colour)
{
	struct wm_rect at;
	double right = burned_corr(r, img, rect, fw, fh, cw, colour, &at);
	double other = burned_corr(r, img, rect, fw, fh, wrong, colour, &at);

	printf("# burned-in label at %d,%d %ux%u of the %ux%u frame\n", at.x, at.y, at.width,
	       at.height, fw, fh);
	sc_expect(right >= MIN_CORR && right - other >= MIN_MARGIN,
	       "burned-in codeword %s: correlation %.3f with it, %.3f with %s (want >= %.2f and "
	       "a margin of %.2f)",
	       cw, right, other, wrong, MIN_CORR, MIN_MARGIN);
}

static bool in_rect(const struct wm_rect *r, int32_t x, int32_t y)
{
	return x >= r->x && x < r->x + (int32_t)r->width && y >= r->y &&
	       y < r->y + (int32_t)r->height;
}

/*
 * Screen pixels outside the videos, and the frames over them, against the
 * overlay for these tiles over the background. Returns the differing
 * pixels; *label_diff counts those in the labels' rectangles, *label_area
 * their size.
 */
static uint64_t overlay_diff(struct wm_renderer *r, const struct drv_display_image *scr,
			     const struct wm_tile *tiles, size_t n, enum wm_e2ee_state e2ee,
			     uint32_t background, uint64_t *compared, uint64_t *label_diff,
			     uint64_t *label_area)
{
	struct wm_overlay o = { .tiles = tiles, .n_tiles = n, .e2ee = e2ee };
	struct wm_image ov = { .width = scr->width, .height = scr->height,
			       .stride = scr->width * 4 };
	struct wm_rect labels[MAX_TILES];
	uint64_t differ = 0;

	*compared = *label_diff = *label_area = 0;
	ov.data = calloc(scr->height, ov.stride);
	if (!ov.data || wm_overlay_render(r, &o, &ov) ||
	    wm_overlay_place(r, &o, scr->width, scr->height, labels, NULL)) {
		free(ov.data);
		return UINT64_MAX;
	}
	for (size_t i = 0; i < n; i++) {
		printf("# tile %zu: video %d,%d %ux%u, label %s at %d,%d %ux%u\n", i,
		       tiles[i].video.x, tiles[i].video.y, tiles[i].video.width,
		       tiles[i].video.height, tiles[i].codeword, labels[i].x, labels[i].y,
		       labels[i].width, labels[i].height);
		*label_area += (uint64_t)labels[i].width * labels[i].height;
	}
	for (int32_t y = 0; y < (int32_t)scr->height; y++) {
		for (int32_t x = 0; x < (int32_t)scr->width; x++) {
			uint32_t o_px = px(ov.data, ov.stride, x, y);
			bool in_video = false, in_label = false, d;

			for (size_t i = 0; i < n; i++) {
				in_video |= in_rect(&tiles[i].video, x, y);
				in_label |= in_rect(&labels[i], x, y);
			}
			if (in_video && o_px >> 24 != 255)
				continue; /* the video shows there */
			d = sc_chdiff(px(scr->data, scr->stride, x, y), over(o_px, background)) >
			    PIXEL_TOL;
			differ += d;
			(*compared)++;
			*label_diff += d && in_label;
		}
	}
	free(ov.data);
	return differ;
}

static void usage(void)
{
	fprintf(stderr, "usage: display-check --tile CODEWORD:RRGGBB[:NAME] [--tile ...] "
			"--wrong CW --frame WxH [--background RRGGBB] [--e2ee on|waiting] "
			"[--no-video | --no-burn] (--screen PNG | --decoded PNG)\n"
			"       display-check --empty [--e2ee on|waiting] --screen PNG\n");
	exit(2);
}

/* CODEWORD:RRGGBB[:NAME], the strings kept in arg (modified). */
static bool parse_tile(char *arg, struct wm_tile *t, uint32_t *colour)
{
	char *c = strchr(arg, ':'), *name, *end;

	if (!c)
		return false;
	*c++ = '\0';
	name = strchr(c, ':');
	if (name)
		*name++ = '\0';
	*colour = (uint32_t)strtoul(c, &end, 16);
	*t = (struct wm_tile){ .codeword = arg, .name = name, .trust = WM_TRUST_UNVERIFIED };
	return *end == '\0' && end != c;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tile", required_argument, NULL, 't' },
		{ "wrong", required_argument, NULL, 'w' },
		{ "frame", required_argument, NULL, 'f' },
		{ "background", required_argument, NULL, 'b' },
		{ "screen", required_argument, NULL, 's' },
		{ "decoded", required_argument, NULL, 'd' },
		{ "e2ee", required_argument, NULL, 'e' },
		{ "no-video", no_argument, NULL, 'n' },
		{ "no-burn", no_argument, NULL, 'B' },
		{ "empty", no_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	const char *wrong = NULL, *screen = NULL, *decoded = NULL;
	struct wm_tile tiles[MAX_TILES];
	struct wm_rect video[MAX_TILES];
	uint32_t colours[MAX_TILES], background = 0x101010, fw = 0, fh = 0;
	struct drv_display_image img = { 0 };
	struct wm_renderer *r = NULL;
	enum wm_e2ee_state e2ee = WM_E2EE_ON;
	bool no_video = false, no_burn = false, empty = false;
	size_t n = 0;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (n == MAX_TILES || !parse_tile(optarg, &tiles[n], &colours[n]))
				usage();
			n++;
			break;
		case 'w':
			wrong = optarg;
			break;
		case 'f':
			if (sscanf(optarg, "%ux%u", &fw, &fh) != 2)
				usage();
			break;
		case 'b':
			background = (uint32_t)strtoul(optarg, NULL, 16);
			break;
		case 's':
			screen = optarg;
			break;
		case 'd':
			decoded = optarg;
			break;
		case 'e':
			if (!strcmp(optarg, "on"))
				e2ee = WM_E2EE_ON;
			else if (!strcmp(optarg, "waiting"))
				e2ee = WM_E2EE_WAITING;
			else
				usage();
			break;
		case 'n':
			no_video = true;
			break;
		case 'B':
			no_burn = true;
			break;
		case 'E':
			empty = true;
			break;
		default:
			usage();
		}
	}
	if (empty ? n || !screen || decoded || optind != argc
		  : !n || !wrong || !fw || !fh || !screen == !decoded || optind != argc)
		usage();
	ret = drv_display_png_read(screen ? screen : decoded, &img);
	if (ret) {
		fprintf(stderr, "display-check: %s: %s\n", screen ? screen : decoded,
			strerror(-ret));
		return 1;
	}
	ret = wm_renderer_new(&r);
	if (ret) {
		fprintf(stderr, "display-check: fonts: %s\n", strerror(-ret));
		free(img.data);
		return 1;
	}
	if (empty) {
		uint64_t compared, label_diff, label_area,
			differ = overlay_diff(r, &img, NULL, 0, e2ee, background, &compared,
					      &label_diff, &label_area);

		printf("# screen %ux%u, no tile\n", img.width, img.height);
		sc_expect(differ != UINT64_MAX && differ <= compared * MAX_DIFF_FRACTION,
			  "no tile: the banner alone over the background, %llu of %llu pixels "
			  "differ (at most %.1f %%)",
			  (unsigned long long)differ, (unsigned long long)compared,
			  100 * MAX_DIFF_FRACTION);
	} else if (decoded) {
		struct wm_rect all = { 0, 0, img.width, img.height };

		check_burned(r, &img, &all, fw, fh, tiles[0].codeword, wrong, colours[0]);
	} else {
		uint64_t compared, label_diff, label_area, differ;

		if (wm_layout_grid(r, n, img.width, img.height, video)) {
			fprintf(stderr, "display-check: no layout of %zu tiles for %ux%u\n", n,
				img.width, img.height);
			return 1;
		}
		printf("# screen %ux%u, %zu tile(s)\n", img.width, img.height, n);
		for (size_t i = 0; i < n; i++) {
			const struct wm_rect *v = &video[i];

			tiles[i].video = *v;
			/* The video: the source's colour at five points clear of the label. */
			for (int k = 0; k < 5; k++) {
				static const double at[5][2] = { { .5, .5 },  { .25, .25 },
								 { .75, .25 }, { .25, .6 },
								 { .5, .15 } };
				int32_t x = v->x + (int32_t)(at[k][0] * v->width);
				int32_t y = v->y + (int32_t)(at[k][1] * v->height);
				uint32_t p = px(img.data, img.stride, x, y) & 0xffffff;

				if (no_video)
					sc_expect(p == 0, "tile %zu at %d,%d: %06x (no video yet: "
						  "black)", i, x, y, p);
				else
					sc_expect(sc_chdiff(p, colours[i]) <= 24 && luma(p) > 20,
						  "tile %zu video at %d,%d: %06x (source %06x)", i,
						  x, y, p, colours[i]);
			}
		}
		differ = overlay_diff(r, &img, tiles, n, e2ee, background, &compared,
				      &label_diff, &label_area);
		sc_expect(differ != UINT64_MAX && differ <= compared * MAX_DIFF_FRACTION &&
				  label_diff == 0,
			  "overlay (labels under the tiles, trust frames, banner, background): "
			  "%llu of %llu pixels differ, %llu in the labels (at most %.1f %%)",
			  (unsigned long long)differ, (unsigned long long)compared,
			  (unsigned long long)label_diff, 100 * MAX_DIFF_FRACTION);
		{
			struct wm_tile bad[MAX_TILES];

			for (size_t i = 0; i < n; i++) {
				bad[i] = tiles[i];
				bad[i].codeword = wrong;
			}
			differ = overlay_diff(r, &img, bad, n, e2ee, background, &compared,
					      &label_diff, &label_area);
			sc_expect(differ != UINT64_MAX && label_diff > label_area / 50,
				  "the overlay with the wrong codeword %s differs in %llu of "
				  "the labels' %llu pixels",
				  wrong, (unsigned long long)label_diff,
				  (unsigned long long)label_area);
		}
		for (size_t i = 0; i < n && !no_video && !no_burn; i++)
			check_burned(r, &img, &video[i], fw, fh, tiles[i].codeword, wrong,
				     colours[i]);
	}
	wm_renderer_free(r);
	free(img.data);
	printf("display-check: %d check(s) failed\n", sc_failures);
	return sc_failures ? 1 : 0;
}
