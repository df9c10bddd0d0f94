// SPDX-License-Identifier: MIT
/*
 * drivers/v4l2 without a device: node kinds from capabilities, m2m roles
 * from the queues' compressed flags, frame size and interval matching,
 * GStreamer element and format names, on tables of named cases.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drv/v4l2.h"

#define DC V4L2_CAP_DEVICE_CAPS
#define STREAM V4L2_CAP_STREAMING

static void test_kind(void **state)
{
	static const struct {
		const char *name;
		uint32_t caps, device_caps;
		enum drv_v4l2_kind kind;
		bool mplane;
	} t[] = {
		{ "vivid webcam", DC | V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_OUTPUT | STREAM,
		  V4L2_CAP_VIDEO_CAPTURE | STREAM, DRV_V4L2_CAPTURE, false },
		{ "node caps, not the driver's, decide",
		  DC | V4L2_CAP_VIDEO_M2M, V4L2_CAP_VIDEO_CAPTURE, DRV_V4L2_CAPTURE, false },
		{ "vicodec encoder (M2M)", DC | V4L2_CAP_VIDEO_M2M | STREAM, V4L2_CAP_VIDEO_M2M | STREAM,
		  DRV_V4L2_M2M, false },
		{ "hantro (M2M_MPLANE)", DC | V4L2_CAP_VIDEO_M2M_MPLANE,
		  V4L2_CAP_VIDEO_M2M_MPLANE | STREAM, DRV_V4L2_M2M, true },
		{ "old m2m: capture and output on one node", DC,
		  V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_OUTPUT, DRV_V4L2_M2M, false },
		{ "old m2m, mplane", DC,
		  V4L2_CAP_VIDEO_CAPTURE_MPLANE | V4L2_CAP_VIDEO_OUTPUT_MPLANE, DRV_V4L2_M2M, true },
		{ "uvc without DEVICE_CAPS", V4L2_CAP_VIDEO_CAPTURE | STREAM, 0xffffffff,
		  DRV_V4L2_CAPTURE, false },
		{ "capture mplane", DC, V4L2_CAP_VIDEO_CAPTURE_MPLANE, DRV_V4L2_CAPTURE, true },
		{ "output only", DC, V4L2_CAP_VIDEO_OUTPUT, DRV_V4L2_OTHER, false },
		{ "metadata", DC, V4L2_CAP_META_CAPTURE, DRV_V4L2_OTHER, false },
		{ "radio", DC, V4L2_CAP_RADIO | V4L2_CAP_TUNER, DRV_V4L2_OTHER, false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool mplane = !t[i].mplane;

		print_message("# %s\n", t[i].name);
		assert_int_equal(drv_v4l2_kind_of(t[i].caps, t[i].device_caps, &mplane), t[i].kind);
		assert_int_equal(mplane, t[i].mplane);
	}
}

#define RAW(f) { V4L2_PIX_FMT_##f, 0, #f }
#define CMP(f) { V4L2_PIX_FMT_##f, V4L2_FMT_FLAG_COMPRESSED, #f }

static void test_role(void **state)
{
	static const struct {
		const char *name;
		enum drv_v4l2_kind kind;
		struct drv_v4l2_format cap[3], out[3];
		size_t n_cap, n_out;
		enum drv_v4l2_role role;
	} t[] = {
		{ "vicodec stateful encoder", DRV_V4L2_M2M, { CMP(FWHT) }, { RAW(YUV420), RAW(NV12) }, 1, 2,
		  DRV_V4L2_ENCODER },
		{ "vicodec stateful decoder", DRV_V4L2_M2M, { RAW(YUV420), RAW(NV12) }, { CMP(FWHT) }, 2, 1,
		  DRV_V4L2_DECODER },
		{ "vicodec stateless decoder", DRV_V4L2_M2M, { RAW(YUV420) }, { CMP(FWHT_STATELESS) }, 1,
		  1, DRV_V4L2_DECODER },
		{ "H.264 encoder, two raw inputs", DRV_V4L2_M2M, { CMP(H264) }, { RAW(NV12), RAW(YUV420) },
		  1, 2, DRV_V4L2_ENCODER },
		{ "multi-codec decoder", DRV_V4L2_M2M, { RAW(NV12) }, { CMP(H264), CMP(HEVC), CMP(VP9) }, 1,
		  3, DRV_V4L2_DECODER },
		{ "scaler", DRV_V4L2_M2M, { RAW(NV12), RAW(RGB24) }, { RAW(NV12) }, 2, 1,
		  DRV_V4L2_CONVERTER },
		{ "transcoder (compressed both sides)", DRV_V4L2_M2M, { CMP(JPEG) }, { CMP(MJPEG) }, 1, 1,
		  DRV_V4L2_ROLE_NONE },
		{ "m2m with an empty queue", DRV_V4L2_M2M, { CMP(H264) }, { { 0 } }, 1, 0,
		  DRV_V4L2_ROLE_NONE },
		{ "camera with MJPEG is no encoder", DRV_V4L2_CAPTURE, { CMP(MJPEG), RAW(YUYV) }, { { 0 } },
		  2, 0, DRV_V4L2_ROLE_NONE },
	};
	static struct drv_v4l2_device d;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("# %s\n", t[i].name);
		memset(&d, 0, sizeof(d));
		d.kind = t[i].kind;
		memcpy(d.capture, t[i].cap, sizeof(t[i].cap));
		memcpy(d.output, t[i].out, sizeof(t[i].out));
		d.n_capture = t[i].n_cap;
		d.n_output = t[i].n_out;
		assert_int_equal(drv_v4l2_role_of(&d), t[i].role);
	}
	assert_true(drv_v4l2_has_format(d.capture, d.n_capture, V4L2_PIX_FMT_YUYV));
	assert_false(drv_v4l2_has_format(d.capture, 1, V4L2_PIX_FMT_YUYV));
}

static void test_sizes(void **state)
{
	struct v4l2_frmsizeenum fs = { .type = V4L2_FRMSIZE_TYPE_DISCRETE };

	fs.discrete.width = 640;
	fs.discrete.height = 360;
	assert_true(drv_v4l2_size_matches(&fs, 640, 360));
	assert_false(drv_v4l2_size_matches(&fs, 640, 480));
	assert_false(drv_v4l2_size_matches(&fs, 360, 640));

	fs.type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fs.stepwise = (struct v4l2_frmsize_stepwise){ 64, 4096, 16, 64, 2304, 8 };
	assert_true(drv_v4l2_size_matches(&fs, 3840, 2160));
	assert_true(drv_v4l2_size_matches(&fs, 64, 64));
	assert_false(drv_v4l2_size_matches(&fs, 3841, 2160)); /* off the step */
	assert_false(drv_v4l2_size_matches(&fs, 4112, 2160)); /* over the max */
	assert_false(drv_v4l2_size_matches(&fs, 48, 64));     /* under the min */
	assert_false(drv_v4l2_size_matches(&fs, 640, 2308));

	fs.type = V4L2_FRMSIZE_TYPE_CONTINUOUS;
	fs.stepwise = (struct v4l2_frmsize_stepwise){ 2, 8192, 1, 2, 8192, 1 };
	assert_true(drv_v4l2_size_matches(&fs, 3841, 2161));
	assert_false(drv_v4l2_size_matches(&fs, 8193, 100));
}

static void test_intervals(void **state)
{
	struct v4l2_frmivalenum fi = { .type = V4L2_FRMIVAL_TYPE_DISCRETE };

	fi.discrete = (struct v4l2_fract){ 1, 30 };
	assert_true(drv_v4l2_interval_matches(&fi, 30, 1));
	assert_true(drv_v4l2_interval_matches(&fi, 60, 2)); /* same rate, other terms */
	assert_false(drv_v4l2_interval_matches(&fi, 25, 1));
	assert_false(drv_v4l2_interval_matches(&fi, 1, 30)); /* the inverse is not the rate */
	assert_false(drv_v4l2_interval_matches(&fi, 30, 0));
	fi.discrete = (struct v4l2_fract){ 1001, 30000 };
	assert_true(drv_v4l2_interval_matches(&fi, 30000, 1001));
	assert_false(drv_v4l2_interval_matches(&fi, 30, 1));
	fi.discrete = (struct v4l2_fract){ 2, 25 }; /* vivid's 12.5 fps */
	assert_true(drv_v4l2_interval_matches(&fi, 25, 2));
	fi.discrete = (struct v4l2_fract){ 1, 0 };
	assert_false(drv_v4l2_interval_matches(&fi, 30, 1));

	/* Continuous 1/60 s .. 1 s: 30 fps yes, 120 fps no, 0.5 fps no. */
	fi.type = V4L2_FRMIVAL_TYPE_CONTINUOUS;
	fi.stepwise.min = (struct v4l2_fract){ 1, 60 };
	fi.stepwise.max = (struct v4l2_fract){ 1, 1 };
	fi.stepwise.step = (struct v4l2_fract){ 1, 1 };
	assert_true(drv_v4l2_interval_matches(&fi, 30, 1));
	assert_true(drv_v4l2_interval_matches(&fi, 60, 1));
	assert_true(drv_v4l2_interval_matches(&fi, 1, 1));
	assert_false(drv_v4l2_interval_matches(&fi, 120, 1));
	assert_false(drv_v4l2_interval_matches(&fi, 1, 2));
}

static void test_elements(void **state)
{
	static const struct {
		const char *element;
		int ret;
		enum drv_v4l2_role role;
		uint32_t fourcc;
	} t[] = {
		{ "v4l2h264enc", 0, DRV_V4L2_ENCODER, V4L2_PIX_FMT_H264 },
		{ "v4l2h265enc", 0, DRV_V4L2_ENCODER, V4L2_PIX_FMT_HEVC },
		{ "v4l2video11h264enc", 0, DRV_V4L2_ENCODER, V4L2_PIX_FMT_H264 },
		{ "v4l2h264dec", 0, DRV_V4L2_DECODER, V4L2_PIX_FMT_H264 },
		{ "v4l2vp9dec", 0, DRV_V4L2_DECODER, V4L2_PIX_FMT_VP9 },
		{ "v4l2fwhtenc", 0, DRV_V4L2_ENCODER, V4L2_PIX_FMT_FWHT },
		{ "v4l2fwhtdec", 0, DRV_V4L2_DECODER, V4L2_PIX_FMT_FWHT },
		{ "v4l2slh264dec", 0, DRV_V4L2_DECODER, V4L2_PIX_FMT_H264_SLICE },
		{ "v4l2slvp8dec", 0, DRV_V4L2_DECODER, V4L2_PIX_FMT_VP8_FRAME },
		{ "v4l2slh265dec", 0, DRV_V4L2_DECODER, V4L2_PIX_FMT_HEVC_SLICE },
		{ "v4l2sljpegdec", -ENOENT, 0, 0 }, /* no stateless JPEG */
		{ "v4l2slh264enc", -ENOENT, 0, 0 }, /* no stateless encoders in GStreamer */
		{ "v4l2videoh264enc", -ENOENT, 0, 0 },
		{ "v4l2h264", -ENOENT, 0, 0 },
		{ "v4l2h264encx", -ENOENT, 0, 0 },
		{ "v4l2src", -ENOENT, 0, 0 },
		{ "x264enc", -ENOENT, 0, 0 },
		{ "mpph264enc", -ENOENT, 0, 0 },
		{ "avdec_h264", -ENOENT, 0, 0 },
		{ "", -ENOENT, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum drv_v4l2_role role = DRV_V4L2_ROLE_NONE;
		uint32_t fourcc = 0;

		print_message("# %s\n", t[i].element);
		assert_int_equal(drv_v4l2_element_codec(t[i].element, &role, &fourcc), t[i].ret);
		if (t[i].ret == 0) {
			assert_int_equal(role, t[i].role);
			assert_int_equal(fourcc, t[i].fourcc);
		}
	}
}

static void test_names(void **state)
{
	char b[5];

	assert_int_equal(drv_v4l2_gst_format("NV12"), V4L2_PIX_FMT_NV12);
	assert_int_equal(drv_v4l2_gst_format("YUY2"), V4L2_PIX_FMT_YUYV);
	assert_int_equal(drv_v4l2_gst_format("I420"), V4L2_PIX_FMT_YUV420);
	assert_int_equal(drv_v4l2_gst_format("nv12"), 0);
	assert_int_equal(drv_v4l2_gst_format("P010"), 0);
	assert_string_equal(drv_v4l2_fourcc_str(V4L2_PIX_FMT_H264, b), "H264");
	assert_string_equal(drv_v4l2_fourcc_str(0x00010203, b), "....");
	assert_string_equal(drv_v4l2_kind_name(DRV_V4L2_M2M), "m2m");
	assert_string_equal(drv_v4l2_role_name(DRV_V4L2_DECODER), "decoder");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind),      cmocka_unit_test(test_role),
		cmocka_unit_test(test_sizes),     cmocka_unit_test(test_intervals),
		cmocka_unit_test(test_elements),  cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
