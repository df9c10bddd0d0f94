// SPDX-License-Identifier: MIT
/*
 * libwm: codeword labels against golden PNGs at 720p and 4K sizes, their
 * geometry, caller-owned buffers (canaries around the label), refusals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wm/label.h"
#include "wm_golden.h"

/* keying.md's known answer: the codeword of 32 zero bytes. */
#define ZERO_KEY_CODEWORD "mavoj-pubip-gubad-gamiv"

static void test_codeword_format(void **state)
{
	static const char *const junk[] = {
		"",
		"mavoj",
		"mavoj-pubip-gubad",
		"mavoj-pubip-gubad-gami",
		"mavoj-pubip-gubad-gamivx",
		"mavoj-pubip-gubad-gamiv-",
		"mavoj pubip gubad gamiv",
		"mavoj_pubip-gubad-gamiv",
		"mavoj-pubip-gubad-gamie", /* e is no consonant */
		"mbvoj-pubip-gubad-gamiv", /* b is no vowel */
		"mavoj-pubip-gubad-gam\xc3\xa9",
		"mavoj--pubip-gubad-gami",
		"<span>-pubip-gubad-gamiv",
	};
	char out[E2EE_CODEWORD_SIZE];

	assert_int_equal(wm_codeword_format(ZERO_KEY_CODEWORD, out), 0);
	assert_string_equal(out, "Mavoj-Pubip-Gubad-Gamiv");
	assert_int_equal(wm_codeword_format("MAVOJ-pUbIp-gubad-GAMIV", out), 0);
	assert_string_equal(out, "Mavoj-Pubip-Gubad-Gamiv");
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		if (wm_codeword_format(junk[i], out) != -EINVAL)
			fail_msg("accepted \"%s\"", junk[i]);
	}
}

static void test_text_px(void **state)
{
	assert_int_equal(wm_text_px(720), 23);
	assert_int_equal(wm_text_px(1080), 34);
	assert_int_equal(wm_text_px(2160), 68);
	assert_int_equal(wm_text_px(64), 8);
}

static void test_measure(void **state)
{
	struct wm_renderer *r = *state;
	struct wm_label label = { ZERO_KEY_CODEWORD, NULL };
	struct wm_label two = { ZERO_KEY_CODEWORD, "E2EE on" };
	struct wm_label long_name = { ZERO_KEY_CODEWORD,
				      "A meeting room with a very long name indeed, longer than the "
				      "codeword by far" };
	uint32_t w720, h720, w4k, h4k, w, h;
	char big[WM_SECOND_MAX + 2];

	assert_int_equal(wm_measure(r, &label, 720, &w720, &h720), 0);
	assert_int_equal(wm_measure(r, &label, 2160, &w4k, &h4k), 0);
	assert_true(w720 % 2 == 0 && h720 % 2 == 0 && w4k % 2 == 0 && h4k % 2 == 0);
	/* A quarter to a third of a 16:9 frame's width, three times as big at 4K. */
	assert_in_range(w720, 1280 / 5, 1280 / 3);
	assert_in_range(w4k, 3 * w720 - 24, 3 * w720 + 24);
	assert_in_range(h4k, 3 * h720 - 12, 3 * h720 + 12);

	assert_int_equal(wm_measure(r, &two, 720, &w, &h), 0);
	assert_int_equal(w, w720);
	assert_true(h > h720 + 10);
	/* A long second line is cut, never wider than the codeword. */
	assert_int_equal(wm_measure(r, &long_name, 720, &w, &h), 0);
	assert_int_equal(w, w720);

	assert_int_equal(wm_measure(r, &label, WM_SCREEN_HEIGHT_MIN - 1, &w, &h), -EINVAL);
	assert_int_equal(wm_measure(r, &label, WM_SCREEN_HEIGHT_MAX + 1, &w, &h), -EINVAL);
	label.codeword = "mavoj-pubip-gubad-gamie";
	assert_int_equal(wm_measure(r, &label, 720, &w, &h), -EINVAL);
	label.codeword = ZERO_KEY_CODEWORD;
	label.second = "\xff\xfe not UTF-8";
	assert_int_equal(wm_measure(r, &label, 720, &w, &h), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	label.second = big;
	assert_int_equal(wm_measure(r, &label, 720, &w, &h), -EINVAL);
	big[WM_SECOND_MAX] = '\0';
	assert_int_equal(wm_measure(r, &label, 720, &w, &h), 0);
}

/* Premultiplied, transparent corners, the backing, white text. */
static void check_label_pixels(const struct wm_image *img)
{
	uint64_t white = 0, backing = 0;

	for (uint32_t y = 0; y < img->height; y++) {
		const uint32_t *row = (const uint32_t *)(img->data + (size_t)y * img->stride);

		for (uint32_t x = 0; x < img->width; x++) {
			uint32_t p = row[x], a = p >> 24;

			assert_true(((p >> 16) & 255) <= a && ((p >> 8) & 255) <= a &&
				    (p & 255) <= a);
			white += p == 0xffffffffu;
			backing += p == 0xb3000000u; /* black at 70 % */
		}
	}
	assert_int_equal(((const uint32_t *)img->data)[0], 0);
	assert_int_equal(((const uint32_t *)(img->data + (size_t)(img->height - 1) *
						     img->stride))[img->width - 1],
			 0);
	assert_true(white > (uint64_t)img->width * img->height / 20);
	assert_true(backing > (uint64_t)img->width * img->height / 3);
}

static void golden(void **state, const char *name, const char *second, uint32_t screen_h)
{
	struct wm_renderer *r = *state;
	struct wm_label label = { ZERO_KEY_CODEWORD, second };
	struct wm_image img = { 0 }, again = { 0 };
	char msg[8192];
	uint32_t w, h;

	assert_int_equal(wm_measure(r, &label, screen_h, &w, &h), 0);
	assert_int_equal(wm_render(r, &label, screen_h, &img), 0);
	assert_true(img.owned);
	assert_int_equal(img.width, w);
	assert_int_equal(img.height, h);
	assert_int_equal(img.stride, w * 4);
	check_label_pixels(&img);
	if (wmt_golden_check(name, img.data, img.width, img.height, img.stride, msg,
			     sizeof(msg)))
		fail_msg("%s", msg);
	/* Deterministic. */
	assert_int_equal(wm_render(r, &label, screen_h, &again), 0);
	assert_memory_equal(img.data, again.data, (size_t)img.stride * img.height);
	wm_image_free(&again);
	wm_image_free(&img);
	assert_null(img.data);
}

static void test_golden_720p(void **state)
{
	golden(state, "label-720p", "E2EE on", 720);
}

static void test_golden_1080p_one_line(void **state)
{
	golden(state, "label-1080p", NULL, 1080);
}

static void test_golden_4k(void **state)
{
	golden(state, "label-2160p", "E2EE on", 2160);
}

/*
 * Into a caller's buffer (as into a KMS dumb buffer): at an offset, only
 * the label's rectangle written, the same pixels as a wm-allocated image.
 */
static void test_caller_buffer(void **state)
{
	struct wm_renderer *r = *state;
	struct wm_label label = { ZERO_KEY_CODEWORD, "Board room" };
	struct wm_image own = { 0 }, in = { 0 };
	const uint32_t bw = 1280, bh = 200, stride = bw * 4 + 64, ox = 101, oy = 17;
	uint8_t *buf;

	assert_int_equal(wm_render(r, &label, 720, &own), 0);
	buf = malloc((size_t)stride * bh);
	assert_non_null(buf);
	memset(buf, 0xa5, (size_t)stride * bh);

	in.data = buf + (size_t)oy * stride + ox * 4;
	in.width = bw - ox;
	in.height = bh - oy;
	in.stride = stride;
	assert_int_equal(wm_render(r, &label, 720, &in), 0);
	assert_false(in.owned);
	assert_int_equal(in.width, bw - ox); /* the caller's, untouched */
	for (uint32_t y = 0; y < bh; y++) {
		for (uint32_t x = 0; x < stride; x++) {
			bool inside = y >= oy && y < oy + own.height && x >= ox * 4 &&
				      x < (ox + own.width) * 4;
			uint8_t v = buf[(size_t)y * stride + x];

			if (inside) {
				uint8_t want = own.data[(size_t)(y - oy) * own.stride + x - ox * 4];

				if (v != want)
					fail_msg("label pixel byte %u,%u: %u, want %u", x, y, v,
						 want);
			} else if (v != 0xa5) {
				fail_msg("byte %u,%u outside the label written", x, y);
			}
		}
	}
	wm_image_free(&in); /* not owned: frees nothing */
	assert_null(in.data);

	/* Too small, misaligned. */
	in = (struct wm_image){ buf, own.width - 1, own.height, stride, false };
	assert_int_equal(wm_render(r, &label, 720, &in), -ENOSPC);
	in = (struct wm_image){ buf, own.width, own.height - 1, stride, false };
	assert_int_equal(wm_render(r, &label, 720, &in), -ENOSPC);
	in = (struct wm_image){ buf, own.width, own.height, stride - 2, false };
	assert_int_equal(wm_render(r, &label, 720, &in), -EINVAL);
	in = (struct wm_image){ buf, own.width, own.height, own.width * 4 - 4, false };
	assert_int_equal(wm_render(r, &label, 720, &in), -EINVAL);
	in = (struct wm_image){ buf + 1, own.width, own.height, stride, false };
	assert_int_equal(wm_render(r, &label, 720, &in), -EINVAL);
	label.codeword = "not-a-code-word";
	in = (struct wm_image){ NULL, 0, 0, 0, false };
	assert_int_equal(wm_render(r, &label, 720, &in), -EINVAL);
	assert_null(in.data);

	free(buf);
	wm_image_free(&own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codeword_format),
		cmocka_unit_test(test_text_px),
		cmocka_unit_test(test_measure),
		cmocka_unit_test(test_golden_720p),
		cmocka_unit_test(test_golden_1080p_one_line),
		cmocka_unit_test(test_golden_4k),
		cmocka_unit_test(test_caller_buffer),
	};

	return cmocka_run_group_tests(tests, wmt_renderer_setup, wmt_renderer_teardown);
}
