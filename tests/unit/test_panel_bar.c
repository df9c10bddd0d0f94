// SPDX-License-Identifier: MIT
/*
 * The in-meeting bar never covers a codeword label (docs/panel.md "Layout"),
 * on the room's real screen (panel_screen on the soft display, libwm's
 * overlay) and the panel's real bar (panel_view's "bar" widget): on every
 * board of test_panel_screens (qemu-x86_64's 344 x 194 mm at 1280x720 and
 * 1920x1080, rk3588-room's 1428 x 804 mm at 3840x2160, a 217 x 136 mm
 * 1280x800 tablet), in the grid and the speaker layout, with 1 to 14 tiles:
 *
 * - without panel_screen_set_bar (the old behaviour) some grid label lies
 *   under the bar: counted and required, so this test can fail;
 * - while the bar shows, no label rectangle intersects the bar's rectangle;
 *   every label is centred on its own tile's video (or, wider than it, at the
 *   screen's edge) and inside the screen; a raised one lies on its own
 *   tile's video (it names that tile alone), over no other tile's video and
 *   no label that was not raised with it;
 * - once the bar went, every label is back under its video, and the corner
 *   that says a room is muted (camera and speakers off) covers none;
 * - a state card on the meeting page (out of sync, keyxchgd's reason) covers
 *   no label, with the bar and without, and stays above the bar (where its
 *   place 14 mm from the top would cover one, it goes lower down: counted).
 *
 * It prints what it costs: which tile counts keep the bar's rows free in the
 * grid (smaller tiles, from the start), and the time of a bar toggle (the
 * overlay drawn again and committed, no tile moved) against a re-layout (new
 * tile buffers, the overlay, a commit) on the soft display, and of libwm's
 * overlay render alone.
 * The golden panel/golden/meeting-bar-grid-labels.png: three tiles in the
 * grid at 1280x720 with the bar shown; the bottom tile's label above the bar.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo.h>
#include <cmocka.h>
#include <drm_fourcc.h>

#include "panel/screen.h"
#include "panel/ui.h"
#include "panel/view.h"
#include "panel_golden.h"

static const struct board {
	uint32_t w, h, w_mm, h_mm;
	const char *name;
} boards[] = {
	{ 1280, 720, 344, 194, "qemu-x86_64 1280x720" },
	{ 1920, 1080, 344, 194, "qemu-x86_64 1920x1080" },
	{ 3840, 2160, 1428, 804, "rk3588-room 3840x2160" },
	{ 1280, 800, 217, 136, "tablet 1280x800" },
};

static const char *const cws[] = { "mavoj-pubip-gubad-gamiv", "lusab-babad-gutih-tugad",
				   "hidoz-vikag-sabom-lonus", "fojup-hafir-kisuz-mitom" };

static struct panel_widget widgets[PANEL_UI_MAX_WIDGETS];

static bool overlap(const struct wm_rect *a, const struct wm_rect *b)
{
	return a->x < b->x + (int32_t)b->width && b->x < a->x + (int32_t)a->width &&
	       a->y < b->y + (int32_t)b->height && b->y < a->y + (int32_t)a->height;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* A host in the meeting with the bar shown: its widgets in widgets[]; returns how many. */
static size_t meeting_with_bar(struct panel_view *v, const struct panel_metrics *m)
{
	panel_view_init(v, m);
	v->st.kx_up = true;
	v->st.meeting = PANEL_M_IN;
	v->st.host = true;
	v->st.relay = PANEL_R_OPEN;
	v->st.roomd_up = true;
	v->st.volume = 70;
	snprintf(v->st.group_code, sizeof(v->st.group_code), "%s", "Zadib-Nopuv-Rigal-Sofut");
	panel_view_follow(v, 0); /* the meeting page, the bar shown */
	assert_int_equal(v->page, PANEL_P_MEETING);
	assert_true(v->bar);
	return panel_view_widgets(v, widgets, PANEL_UI_MAX_WIDGETS);
}

/* Widget id's rectangle as the panel draws it. */
static struct wm_rect widget_rect(size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(widgets[i].id, id))
			return (struct wm_rect){ widgets[i].r.x, widgets[i].r.y,
						 (uint32_t)widgets[i].r.w, (uint32_t)widgets[i].r.h };
	fail_msg("the meeting page has no \"%s\" widget", id);
	return (struct wm_rect){ 0 };
}

/* Without the bar, a muted room (camera and speakers off too) says so in a corner. */
static struct wm_rect muted_chip(struct panel_view *v, const struct panel_metrics *m)
{
	meeting_with_bar(v, m);
	v->bar = false;
	v->st.muted = v->st.camera_off = true;
	v->st.volume = 0;
	return widget_rect(panel_view_widgets(v, widgets, PANEL_UI_MAX_WIDGETS), "muted.box");
}

static void tiles_of(struct panel_screen_tile *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		t[i] = (struct panel_screen_tile){ (uint32_t)(20 + i), cws[i % 4],
						   i % 2 ? "Lab" : "Board room",
						   i % 3 ? WM_TRUST_VERIFIED : WM_TRUST_UNVERIFIED };
}

/* Labels under the bar as things are now; checks every label's place. */
static size_t check_labels(struct panel_screen *s, const struct panel_screen_tile *t, size_t n,
			   const struct board *b, const struct wm_rect *bar, bool shown,
			   const char *what)
{
	struct wm_rect v[PANEL_SCREEN_MAX_TILES], l[PANEL_SCREEN_MAX_TILES];
	size_t under = 0;

	for (size_t i = 0; i < n; i++) {
		int32_t vc, lc;

		assert_int_equal(panel_screen_tile(s, t[i].id, &v[i], &l[i]), 0);
		vc = v[i].x + (int32_t)v[i].width / 2;
		lc = l[i].x + (int32_t)l[i].width / 2;
		/* Centred, unless a label wider than its tile meets the screen's edge. */
		if (l[i].x < 0 || l[i].y < 0 || l[i].x + l[i].width > b->w ||
		    l[i].y + l[i].height > b->h ||
		    ((vc - lc > 2 || lc - vc > 2) && l[i].x && l[i].x + l[i].width != b->w))
			fail_msg("%s, %s, %zu tiles: tile %u's label %d,%d,%ux%u is off the screen "
				 "or not centred on its video %d,%d,%ux%u",
				 b->name, what, n, t[i].id, l[i].x, l[i].y, l[i].width, l[i].height,
				 v[i].x, v[i].y, v[i].width, v[i].height);
		/* Under its video, or (raised while the bar shows) from within its own video
		 * down (into its own label strip: what is under it is the bar). */
		if (!(l[i].y >= v[i].y + (int32_t)v[i].height ||
		      (shown && l[i].y >= v[i].y)))
			fail_msg("%s, %s, %zu tiles: tile %u's label at row %d is neither under its "
				 "video (%d..%d) nor on it",
				 b->name, what, n, t[i].id, l[i].y, v[i].y,
				 v[i].y + (int32_t)v[i].height);
		under += overlap(&l[i], bar);
	}
	/* A raised label covers nothing of another tile: its video, or a label not raised
	 * (raised ones of a row moved together). No label covers another's, raised or
	 * not: the grid's cells are a label wide (before, 7, 8 and 10 to 14 tiles had
	 * their neighbours' labels overlap, on every board). */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (i != j && ((l[i].y < v[i].y + (int32_t)v[i].height &&
					(overlap(&l[i], &v[j]) ||
					 (l[j].y >= v[j].y + (int32_t)v[j].height &&
					  overlap(&l[i], &l[j])))) ||
				       overlap(&l[i], &l[j])))
				fail_msg("%s, %s, %zu tiles: tile %u's label %d,%d,%ux%u is over tile "
					 "%u's label or video",
					 b->name, what, n, t[i].id, l[i].x, l[i].y, l[i].width,
					 l[i].height, t[j].id);
	return under;
}

static void test_bar_covers_no_label(void **state)
{
	struct panel_screen_tile t[PANEL_SCREEN_MAX_TILES];

	(void)state;
	tiles_of(t, PANEL_SCREEN_MAX_TILES);
	for (size_t bi = 0; bi < sizeof(boards) / sizeof(boards[0]); bi++) {
		const struct board *b = &boards[bi];
		static struct panel_view view;
		struct panel_metrics m;
		struct panel_screen *s = NULL;
		struct wm_renderer *r = NULL;
		struct wm_rect bar, chip, plain[PANEL_SCREEN_MAX_TILES];
		const char *what = "";
		size_t covered_before = 0, reserved = 0;
		uint32_t bottom;

		assert_int_equal(panel_metrics_init(&m, b->w, b->h, b->w_mm, b->h_mm), 0);
		bar = widget_rect(meeting_with_bar(&view, &m), "bar");
		chip = muted_chip(&view, &m);
		bottom = (uint32_t)panel_mm(&m, PANEL_BAR_MM);
		assert_true(bar.y >= (int32_t)(b->h - bottom));
		assert_int_equal(wm_renderer_new(&r), 0);
		assert_int_equal(panel_screen_new("soft", b->w, b->h, WM_E2EE_ON, &s, &what), 0);
		for (int layout = PANEL_SCREEN_GRID; layout <= PANEL_SCREEN_SPEAKER; layout++) {
			const char *name = layout == PANEL_SCREEN_GRID ? "grid" : "speaker layout";

			for (size_t n = 1; n <= PANEL_SCREEN_MAX_TILES; n++) {
				struct wm_rect v, l;

				assert_int_equal(panel_screen_set_tiles(s, t, n), 0);
				assert_int_equal(panel_screen_set_layout(
							 s, (enum panel_screen_layout)layout,
							 t[n - 1].id, bottom),
						 0);
				covered_before += check_labels(s, t, n, b, &bar, false, name);
				assert_int_equal(panel_screen_set_bar(s, true), 0);
				if (check_labels(s, t, n, b, &bar, true, name))
					fail_msg("%s, %s, %zu tiles: a label under the bar %d,%d,%ux%u",
						 b->name, name, n, bar.x, bar.y, bar.width,
						 bar.height);
				assert_int_equal(panel_screen_set_bar(s, false), 0);
				check_labels(s, t, n, b, &bar, false, name);
				/* Without the bar: the muted chip in its corner covers none. */
				if (check_labels(s, t, n, b, &chip, false, name))
					fail_msg("%s, %s, %zu tiles: a label under the muted chip",
						 b->name, name, n);
				/* What the bar costs the grid: its rows kept free where a label
				 * cannot rise on its own tile. */
				assert_int_equal(wm_layout_grid(r, n, b->w, b->h, plain), 0);
				assert_int_equal(panel_screen_tile(s, t[0].id, &v, &l), 0);
				if (layout == PANEL_SCREEN_GRID && v.width != plain[0].width) {
					reserved++;
					fprintf(stderr,
						"# %s: %zu tiles: the grid keeps the bar's %u rows "
						"free: tiles %ux%u instead of %ux%u\n",
						b->name, n, bottom, v.width, v.height,
						plain[0].width, plain[0].height);
				}
			}
		}
		/* The old screen (labels never raised) had some under the bar. */
		fprintf(stderr,
			"# %s: bar %d,%d,%ux%u; labels it covered without raising: %zu; grids "
			"with the bar's rows kept free: %zu of 14\n",
			b->name, bar.x, bar.y, bar.width, bar.height, covered_before, reserved);
		assert_true(covered_before > 0);
		wm_renderer_free(r);
		panel_screen_free(s);
	}
}

/* The labels as the screen has them, into the view (as panel_host does). */
static void labels_into(struct panel_view *v, struct panel_screen *s)
{
	struct wm_rect l[PANEL_MAX_PEOPLE], r[PANEL_MAX_PEOPLE];

	v->n_labels = panel_screen_labels(s, l, r, PANEL_MAX_PEOPLE);
	for (size_t i = 0; i < v->n_labels; i++) {
		v->labels[i] = (struct panel_rect){ l[i].x, l[i].y, (int32_t)l[i].width,
						    (int32_t)l[i].height };
		v->labels_bar[i] = (struct panel_rect){ r[i].x, r[i].y, (int32_t)r[i].width,
							(int32_t)r[i].height };
	}
}

/*
 * A state card on the meeting page (out of sync, with keyxchgd's reason) covers no label
 * either, with the bar and without, on every board, layout and tile count; it stays a
 * card the panel accepts (on the screen) and above the bar.
 */
static void test_card_covers_no_label(void **state)
{
	struct panel_screen_tile t[PANEL_SCREEN_MAX_TILES];

	(void)state;
	tiles_of(t, PANEL_SCREEN_MAX_TILES);
	for (size_t bi = 0; bi < sizeof(boards) / sizeof(boards[0]); bi++) {
		const struct board *b = &boards[bi];
		static struct panel_view view;
		struct panel_metrics m;
		struct panel_screen *s = NULL;
		struct panel_ui *ui = NULL;
		const char *what = "";
		size_t moved = 0;
		uint32_t bottom;

		assert_int_equal(panel_metrics_init(&m, b->w, b->h, b->w_mm, b->h_mm), 0);
		assert_int_equal(panel_ui_new(&m, &ui), 0);
		bottom = (uint32_t)panel_mm(&m, PANEL_BAR_MM);
		assert_int_equal(panel_screen_new("soft", b->w, b->h, WM_E2EE_ON, &s, &what), 0);
		for (int layout = PANEL_SCREEN_GRID; layout <= PANEL_SCREEN_SPEAKER; layout++)
			for (size_t n = 1; n <= PANEL_SCREEN_MAX_TILES; n++)
				for (int bar = 0; bar < 2; bar++) {
					const char *bad = NULL;
					struct wm_rect card, bar_r = { 0 };
					size_t k;

					assert_int_equal(panel_screen_set_tiles(s, t, n), 0);
					assert_int_equal(
						panel_screen_set_layout(s, (enum panel_screen_layout)layout,
									t[0].id, bottom),
						0);
					assert_int_equal(panel_screen_set_bar(s, bar), 0);
					meeting_with_bar(&view, &m);
					view.bar = bar;
					view.st.sync = PANEL_SYNC_OUT;
					snprintf(view.st.sync_reason, sizeof(view.st.sync_reason),
						 "no verified word from the host for epoch 1 in 3 s "
						 "(liveness bound)");
					labels_into(&view, s);
					k = panel_view_widgets(&view, widgets, PANEL_UI_MAX_WIDGETS);
					if (panel_ui_sync(ui, widgets, k, &bad))
						fail_msg("%s, %zu tiles: widget %s refused", b->name, n,
							 bad ? bad : "?");
					card = widget_rect(k, "status.box");
					moved += card.y > (int32_t)(14 * m.px_per_mm) + 1;
					if (bar)
						bar_r = widget_rect(k, "bar");
					if (check_labels(s, t, n, b, &card, bar, "with a state card") ||
					    (bar && card.y + (int32_t)card.height > bar_r.y))
						fail_msg("%s, layout %d, %zu tiles%s: the state card %d,%d,"
							 "%ux%u covers a label or the bar",
							 b->name, layout, n, bar ? ", the bar shown" : "",
							 card.x, card.y, card.width, card.height);
				}
		fprintf(stderr, "# %s: the state card moved down off the labels in %zu of 56 "
				"screens\n", b->name, moved);
		panel_ui_free(ui);
		panel_screen_free(s);
	}
}

/* What a bar toggle costs against a re-layout, one tile in the grid, on each board. */
static void test_bar_cost(void **state)
{
	struct panel_screen_tile t[PANEL_SCREEN_MAX_TILES];

	(void)state;
	tiles_of(t, PANEL_SCREEN_MAX_TILES);
	for (size_t bi = 0; bi < sizeof(boards) / sizeof(boards[0]); bi++) {
		const struct board *b = &boards[bi];
		struct panel_metrics m;
		struct panel_screen *s = NULL;
		struct wm_renderer *r = NULL;
		struct wm_tile wt = { { 0 }, cws[0], "Board room", WM_TRUST_VERIFIED };
		struct wm_overlay o = { &wt, 1, WM_E2EE_ON, 0 };
		struct wm_image img = { malloc((size_t)b->w * b->h * 4), b->w, b->h, b->w * 4, false };
		struct wm_rect l;
		struct timespec t0;
		const char *what = "";
		uint32_t bottom;
		double toggle, relayout, render;
		const int rounds = 6;

		assert_non_null(img.data);
		assert_int_equal(panel_metrics_init(&m, b->w, b->h, b->w_mm, b->h_mm), 0);
		bottom = (uint32_t)panel_mm(&m, PANEL_BAR_MM);
		assert_int_equal(panel_screen_new("soft", b->w, b->h, WM_E2EE_ON, &s, &what), 0);
		assert_int_equal(panel_screen_set_tiles(s, t, 1), 0);
		assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_GRID, 0, bottom), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < rounds; i++)
			assert_int_equal(panel_screen_set_bar(s, !(i & 1)), 0);
		toggle = ms_since(&t0) / rounds;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < rounds; i++)
			assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_GRID, 0,
								 bottom + (uint32_t)(i & 1) * 2),
					 0);
		relayout = ms_since(&t0) / rounds;
		assert_int_equal(panel_screen_tile(s, t[0].id, &wt.video, &l), 0);
		assert_int_equal(wm_renderer_new(&r), 0);
		o.clear_bottom = bottom;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < rounds; i++)
			assert_int_equal(wm_overlay_render(r, &o, &img), 0);
		render = ms_since(&t0) / rounds;
		fprintf(stderr,
			"# %s: a bar toggle (overlay drawn again, committed) %.1f ms; a re-layout "
			"(new tile buffers, overlay, commit) %.1f ms; libwm's overlay render alone "
			"%.1f ms (soft display, load %s)\n",
			b->name, toggle, relayout, render, "as it is");
		wm_renderer_free(r);
		free(img.data);
		panel_screen_free(s);
	}
}

/* The grid's screen with the bar: three tiles, the bottom one's label raised above it. */
static void test_golden_grid_bar(void **state)
{
	const struct board *b = &boards[0];
	static const uint32_t colours[] = { 0x305080, 0x508030, 0x803050 };
	struct panel_screen_tile t[3];
	struct panel_rect dmg[PANEL_UI_MAX_DAMAGE];
	static struct panel_view view;
	struct panel_metrics m;
	struct panel_screen *s = NULL;
	struct panel_ui *ui = NULL;
	struct drv_display_image screen = { malloc((size_t)b->w * b->h * 4), b->w, b->h, b->w * 4,
					    DRM_FORMAT_XRGB8888 };
	const char *what = "", *bad = NULL;
	uint32_t w, h, stride;
	const uint8_t *img;
	cairo_surface_t *out;
	size_t n, nd;

	(void)state;
	assert_non_null(screen.data);
	tiles_of(t, 3);
	assert_int_equal(panel_metrics_init(&m, b->w, b->h, b->w_mm, b->h_mm), 0);
	assert_int_equal(panel_screen_new("soft", b->w, b->h, WM_E2EE_ON, &s, &what), 0);
	assert_int_equal(panel_screen_set_layout(s, PANEL_SCREEN_GRID, 0,
						 (uint32_t)panel_mm(&m, PANEL_BAR_MM)),
			 0);
	assert_int_equal(panel_screen_set_tiles(s, t, 3), 0);
	for (size_t i = 0; i < 3; i++) {
		struct wm_rect v, l;
		uint32_t *frame;

		assert_int_equal(panel_screen_tile(s, t[i].id, &v, &l), 0);
		frame = malloc((size_t)v.width * v.height * 4);
		assert_non_null(frame);
		for (size_t p = 0; p < (size_t)v.width * v.height; p++)
			frame[p] = colours[i];
		assert_int_equal(panel_screen_put_frame(s, t[i].id, (uint8_t *)frame, v.width,
							v.height, v.width * 4),
				 0);
		free(frame);
	}
	n = meeting_with_bar(&view, &m);
	assert_int_equal(panel_ui_new(&m, &ui), 0);
	assert_int_equal(panel_ui_sync(ui, widgets, n, &bad), 0);
	nd = panel_ui_render(ui, dmg);
	img = panel_ui_image(ui, &w, &h, &stride);
	assert_int_equal(panel_screen_set_bar(s, true), 0);
	assert_int_equal(panel_screen_set_panel(s, img, stride, dmg, nd, true), 0);
	assert_int_equal(panel_screen_capture_image(s, &screen), 0);
	out = cairo_image_surface_create_for_data(screen.data, CAIRO_FORMAT_RGB24, (int)b->w,
						  (int)b->h, (int)screen.stride);
	panel_golden("meeting-bar-grid-labels", out);
	cairo_surface_destroy(out);
	panel_ui_free(ui);
	panel_screen_free(s);
	free(screen.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bar_covers_no_label),
		cmocka_unit_test(test_card_covers_no_label),
		cmocka_unit_test(test_bar_cost),
		cmocka_unit_test(test_golden_grid_bar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
