// SPDX-License-Identifier: MIT
/*
 * drivers/display without a device: the software compositor (premultiplied
 * src-over, clipping, plane alpha) and the plane allocator on made-up plane
 * lists (vkms-like, virtio-gpu-like, planes with zpos ranges).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "drv/display.h"

#define W 8
#define H 6

static uint32_t pix_a[W * H], pix_b[W * H], pix_dst[W * H];

static struct drv_display_image image(uint32_t *px, uint32_t w, uint32_t h, uint32_t format)
{
	return (struct drv_display_image){
		.data = (uint8_t *)px, .width = w, .height = h, .stride = w * 4, .format = format
	};
}

static uint32_t at(const struct drv_display_image *img, uint32_t x, uint32_t y)
{
	return ((const uint32_t *)(img->data + y * img->stride))[x];
}

/* ---------------------------------------------------------------- compositor */

static void test_fill(void **state)
{
	struct drv_display_image d = image(pix_dst, W, H, DRM_FORMAT_XRGB8888);

	drv_display_fill(&d, 0x123456);
	for (uint32_t i = 0; i < W * H; i++)
		assert_int_equal(pix_dst[i], 0xff123456);
}

static void test_opaque_replaces_and_clips(void **state)
{
	struct drv_display_image d = image(pix_dst, W, H, DRM_FORMAT_XRGB8888);
	struct drv_display_image s = image(pix_a, 4, 4, DRM_FORMAT_XRGB8888);

	for (int i = 0; i < 16; i++)
		pix_a[i] = 0x00ff0000; /* X byte ignored */
	drv_display_fill(&d, 0x000000);
	assert_int_equal(drv_display_blend(&d, &s, -2, -1, DRV_DISPLAY_ALPHA_OPAQUE), 0);
	/* Covers x 0..1, y 0..2. */
	assert_int_equal(at(&d, 0, 0), 0xffff0000);
	assert_int_equal(at(&d, 1, 2), 0xffff0000);
	assert_int_equal(at(&d, 2, 0), 0xff000000);
	assert_int_equal(at(&d, 0, 3), 0xff000000);
	/* Past the right and bottom edges. */
	assert_int_equal(drv_display_blend(&d, &s, W - 1, H - 1, DRV_DISPLAY_ALPHA_OPAQUE), 0);
	assert_int_equal(at(&d, W - 1, H - 1), 0xffff0000);
	assert_int_equal(at(&d, W - 2, H - 1), 0xff000000);
	/* Wholly outside: nothing. */
	assert_int_equal(drv_display_blend(&d, &s, W, 0, DRV_DISPLAY_ALPHA_OPAQUE), 0);
	assert_int_equal(drv_display_blend(&d, &s, -4, 0, DRV_DISPLAY_ALPHA_OPAQUE), 0);
	assert_int_equal(at(&d, 3, 3), 0xff000000);
}

static void test_premultiplied_src_over(void **state)
{
	struct drv_display_image d = image(pix_dst, W, H, DRM_FORMAT_XRGB8888);
	struct drv_display_image s = image(pix_a, 1, 1, DRM_FORMAT_ARGB8888);

	/* Half-transparent premultiplied white over blue: 128 + 255 * 127/255. */
	drv_display_fill(&d, 0x0000ff);
	pix_a[0] = 0x80808080;
	assert_int_equal(drv_display_blend(&d, &s, 0, 0, DRV_DISPLAY_ALPHA_OPAQUE), 0);
	assert_int_equal(at(&d, 0, 0), 0xff8080ff);
	/* Fully transparent: unchanged. */
	pix_a[0] = 0;
	assert_int_equal(drv_display_blend(&d, &s, 1, 0, DRV_DISPLAY_ALPHA_OPAQUE), 0);
	assert_int_equal(at(&d, 1, 0), 0xff0000ff);
	/* Additive premultiplied color with alpha 0 (a glow): added. */
	pix_a[0] = 0x00400000;
	assert_int_equal(drv_display_blend(&d, &s, 2, 0, DRV_DISPLAY_ALPHA_OPAQUE), 0);
	assert_int_equal(at(&d, 2, 0), 0xff4000ff);
}

static void test_plane_alpha(void **state)
{
	struct drv_display_image d = image(pix_dst, W, H, DRM_FORMAT_XRGB8888);
	struct drv_display_image s = image(pix_a, 1, 1, DRM_FORMAT_XRGB8888);

	drv_display_fill(&d, 0x000000);
	pix_a[0] = 0xffff0000;
	/* Half plane alpha of opaque red over black: 128. */
	assert_int_equal(drv_display_blend(&d, &s, 0, 0, 0x8000), 0);
	assert_int_equal(at(&d, 0, 0), 0xff800000);
	/* Zero plane alpha: nothing. */
	assert_int_equal(drv_display_blend(&d, &s, 1, 0, 0), 0);
	assert_int_equal(at(&d, 1, 0), 0xff000000);
	/* Plane alpha on a translucent source multiplies both. */
	s.format = DRM_FORMAT_ARGB8888;
	pix_a[0] = 0x80800000;
	drv_display_fill(&d, 0x0000ff);
	assert_int_equal(drv_display_blend(&d, &s, 0, 0, 0x8000), 0);
	/* src 64 red, alpha 64: blue 255 * 191/255 = 191. */
	assert_int_equal(at(&d, 0, 0), 0xff4000bf);
}

static void test_bad_format_and_diff(void **state)
{
	struct drv_display_image d = image(pix_dst, W, H, DRM_FORMAT_XRGB8888);
	struct drv_display_image s = image(pix_a, 1, 1, DRM_FORMAT_RGB565);
	struct drv_display_image a = image(pix_a, W, H, DRM_FORMAT_XRGB8888);
	struct drv_display_image b = image(pix_b, W, H, DRM_FORMAT_XRGB8888);
	struct drv_display_image small = image(pix_b, W - 1, H, DRM_FORMAT_XRGB8888);

	assert_int_equal(drv_display_blend(&d, &s, 0, 0, DRV_DISPLAY_ALPHA_OPAQUE), -EINVAL);
	drv_display_fill(&a, 0x102030);
	drv_display_fill(&b, 0x102030);
	assert_int_equal(drv_display_max_diff(&a, &b), 0);
	pix_b[W + 3] = 0xff102033;
	pix_b[2 * W] = 0x00102030; /* alpha does not count */
	assert_int_equal(drv_display_max_diff(&a, &b), 3);
	assert_int_equal(drv_display_max_diff(&a, &small), -EINVAL);
}

/* ---------------------------------------------------------------- allocator */

#define SW 1920
#define SH 1080

static uint32_t dummy_px;
static struct drv_display_buffer tile = {
	.img = { (uint8_t *)&dummy_px, 640, 360, 2560, DRM_FORMAT_XRGB8888 },
};
static struct drv_display_buffer label = {
	.img = { (uint8_t *)&dummy_px, 400, 40, 1600, DRM_FORMAT_ARGB8888 },
};

static struct drv_display_plane_info plane(uint32_t id, enum drv_display_plane_type type)
{
	return (struct drv_display_plane_info){
		.id = id, .type = type, .possible_crtcs = 1, .argb8888 = true, .xrgb8888 = true,
	};
}

/* vkms with enable_overlay=1 enable_cursor=1: primary (XRGB only), 8 overlays, a cursor. */
static size_t vkms_planes(struct drv_display_plane_info *p)
{
	size_t n = 0;

	p[n] = plane(31, DRV_DISPLAY_PLANE_PRIMARY);
	p[n++].argb8888 = false;
	for (int i = 0; i < 8; i++)
		p[n++] = plane(32 + i, DRV_DISPLAY_PLANE_OVERLAY);
	p[n++] = plane(40, DRV_DISPLAY_PLANE_CURSOR);
	return n;
}

static void scene2(struct drv_display_layer *l, struct drv_display_scene *s)
{
	/* Given top first, to check the ordering by zpos. */
	l[0] = (struct drv_display_layer){ &label, 760, 500, DRV_DISPLAY_ALPHA_OPAQUE, 2 };
	l[1] = (struct drv_display_layer){ &tile, 640, 200, DRV_DISPLAY_ALPHA_OPAQUE, 1 };
	*s = (struct drv_display_scene){ .background = 0x202020, .layers = l, .n_layers = 2 };
}

static void test_plan_vkms(void **state)
{
	struct drv_display_plane_info p[DRV_DISPLAY_MAX_PLANES];
	struct drv_display_layer l[2];
	struct drv_display_scene s;
	struct drv_display_plan plan;
	size_t n = vkms_planes(p);

	scene2(l, &s);
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.primary, 0);
	assert_int_equal(plan.n_layers, 2);
	assert_int_equal(plan.n_composed, 0);
	/* Bottom to top: the tile, then the label, on the list's first overlays. */
	assert_int_equal(plan.order[0], 1);
	assert_int_equal(plan.order[1], 0);
	assert_int_equal(plan.plane[0], 1);
	assert_int_equal(plan.plane[1], 2);

	s.force_compose = true;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 2);
	assert_int_equal(plan.plane[0], -1);
	assert_int_equal(plan.plane[1], -1);
}

static void test_plan_virtio_gpu(void **state)
{
	/* A primary and a cursor, no overlay: everything composited. */
	struct drv_display_plane_info p[2] = { plane(1, DRV_DISPLAY_PLANE_PRIMARY),
					       plane(2, DRV_DISPLAY_PLANE_CURSOR) };
	struct drv_display_layer l[2];
	struct drv_display_scene s;
	struct drv_display_plan plan;

	scene2(l, &s);
	assert_int_equal(drv_display_plan(p, 2, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.primary, 0);
	assert_int_equal(plan.n_composed, 2);
	assert_int_equal(plan.order[0], 1);
	assert_int_equal(plan.order[1], 0);
}

static void test_plan_fewer_planes_than_layers(void **state)
{
	struct drv_display_plane_info p[3] = { plane(1, DRV_DISPLAY_PLANE_PRIMARY),
					       plane(2, DRV_DISPLAY_PLANE_OVERLAY),
					       plane(3, DRV_DISPLAY_PLANE_OVERLAY) };
	struct drv_display_layer l[3];
	struct drv_display_scene s;
	struct drv_display_plan plan;

	for (int i = 0; i < 3; i++)
		l[i] = (struct drv_display_layer){ &tile, 100 * i, 0, DRV_DISPLAY_ALPHA_OPAQUE, 0 };
	s = (struct drv_display_scene){ .layers = l, .n_layers = 3 };
	assert_int_equal(drv_display_plan(p, 3, 0, &s, SW, SH, &plan), 0);
	/* Ties keep the array's order; the bottom one is composited. */
	assert_int_equal(plan.n_composed, 1);
	assert_int_equal(plan.order[0], 0);
	assert_int_equal(plan.order[1], 1);
	assert_int_equal(plan.order[2], 2);
	assert_int_equal(plan.plane[1], 1);
	assert_int_equal(plan.plane[2], 2);
}

static void test_plan_constraints(void **state)
{
	struct drv_display_plane_info p[DRV_DISPLAY_MAX_PLANES];
	struct drv_display_layer l[2];
	struct drv_display_scene s;
	struct drv_display_plan plan;
	size_t n = vkms_planes(p);

	/* A translucent top layer on planes without "alpha": all composited
	 * (the composited run must be a bottom one). */
	scene2(l, &s);
	l[0].alpha = 0x8000;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 2);
	/* A translucent bottom layer: only it is composited. */
	scene2(l, &s);
	l[1].alpha = 0x8000;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 1);
	assert_int_equal(plan.plane[1], 1);
	/* With "alpha" on the overlays both go on planes. */
	for (size_t i = 0; i < n; i++)
		p[i].has_alpha = true;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 0);
	/* Partly off screen: composited (and clipped there). */
	scene2(l, &s);
	l[0].x = SW - 100;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 2);
	/* An overlay without ARGB8888 is skipped for the label. */
	scene2(l, &s);
	p[2].argb8888 = false;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 0);
	assert_int_equal(plan.plane[0], 1);
	assert_int_equal(plan.plane[1], 3);
	/* Planes of another CRTC are not used. */
	for (size_t i = 1; i < n; i++)
		p[i].possible_crtcs = 2;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 2);
}

static void test_plan_zpos(void **state)
{
	struct drv_display_plane_info p[4] = {
		plane(1, DRV_DISPLAY_PLANE_PRIMARY), plane(2, DRV_DISPLAY_PLANE_OVERLAY),
		plane(3, DRV_DISPLAY_PLANE_OVERLAY), plane(4, DRV_DISPLAY_PLANE_OVERLAY)
	};
	struct drv_display_layer l[2];
	struct drv_display_scene s;
	struct drv_display_plan plan;

	/* Primary immutable at 2; plane 2 immutable at 1 (under the primary,
	 * useless); planes 3 and 4 mutable 0..5, listed in any order. */
	p[0].has_zpos = true;
	p[0].zpos_min = p[0].zpos_max = 2;
	p[1].has_zpos = true;
	p[1].zpos_min = p[1].zpos_max = 1;
	for (int i = 2; i < 4; i++) {
		p[i].has_zpos = p[i].zpos_mutable = true;
		p[i].zpos_max = 5;
	}
	scene2(l, &s);
	assert_int_equal(drv_display_plan(p, 4, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 0);
	assert_int_equal(plan.primary_zpos, 2);
	assert_int_equal(plan.plane[0], 2);
	assert_int_equal(plan.zpos[0], 3);
	assert_int_equal(plan.plane[1], 3);
	assert_int_equal(plan.zpos[1], 4);
	/* A range too narrow for two layers above the primary: the bottom one composited. */
	p[2].zpos_max = p[3].zpos_max = 3;
	assert_int_equal(drv_display_plan(p, 4, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 1);
	assert_int_equal(plan.zpos[1], 3);
}

static void test_plan_errors(void **state)
{
	struct drv_display_plane_info p[DRV_DISPLAY_MAX_PLANES];
	struct drv_display_layer l[DRV_DISPLAY_MAX_LAYERS + 1];
	struct drv_display_scene s;
	struct drv_display_plan plan;
	size_t n = vkms_planes(p);

	for (size_t i = 0; i <= DRV_DISPLAY_MAX_LAYERS; i++)
		l[i] = (struct drv_display_layer){ &tile, 0, 0, DRV_DISPLAY_ALPHA_OPAQUE, 0 };
	s = (struct drv_display_scene){ .layers = l, .n_layers = DRV_DISPLAY_MAX_LAYERS + 1 };
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), -EINVAL);
	s.n_layers = 2;
	l[1].buf = NULL;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), -EINVAL);
	l[1].buf = &tile;
	/* No primary for CRTC 1. */
	assert_int_equal(drv_display_plan(p, n, 1, &s, SW, SH, &plan), -ENODEV);
	assert_int_equal(drv_display_plan(NULL, 0, 0, &s, SW, SH, &plan), -ENODEV);
	/* No layers: just the primary. */
	s.n_layers = 0;
	assert_int_equal(drv_display_plan(p, n, 0, &s, SW, SH, &plan), 0);
	assert_int_equal(plan.n_composed, 0);
	assert_int_equal(plan.n_layers, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_opaque_replaces_and_clips),
		cmocka_unit_test(test_premultiplied_src_over),
		cmocka_unit_test(test_plane_alpha),
		cmocka_unit_test(test_bad_format_and_diff),
		cmocka_unit_test(test_plan_vkms),
		cmocka_unit_test(test_plan_virtio_gpu),
		cmocka_unit_test(test_plan_fewer_planes_than_layers),
		cmocka_unit_test(test_plan_constraints),
		cmocka_unit_test(test_plan_zpos),
		cmocka_unit_test(test_plan_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
