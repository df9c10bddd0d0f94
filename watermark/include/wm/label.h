/* SPDX-License-Identifier: MIT */
/*
 * Codeword labels: a device's codeword (keying.md, "The codeword") as people
 * read it, "Mavoj-Pubip-Gubad-Gamiv", in white on a dark translucent rounded
 * backing that stays readable on any video, with an optional second line
 * (a display name, "E2EE on").
 *
 * The output is Cairo's CAIRO_FORMAT_ARGB32: native-endian 32-bit pixels
 * 0xAARRGGBB with premultiplied alpha. On little-endian machines that is
 * DRM_FORMAT_ARGB8888 in the KMS plane's default "Pre-multiplied" blend
 * mode, so a label rendered straight into a mapped dumb buffer (its pitch as
 * the stride) is ready to scan out on an overlay plane.
 *
 * The size follows the height of the frame or screen the label is shown on:
 * the codeword's text is screen_height / 32 pixels (wm_text_px), about the
 * same share of the picture from 720p (23 px) to 4K (68 px). Fonts are
 * pinned: DejaVu Sans Mono Bold for the codeword, DejaVu Sans Bold for the
 * second line, loaded from fonts-dejavu-core's files into a private
 * fontconfig configuration, so that neither other installed fonts nor the
 * system's fontconfig rules change a pixel. Hinting is slight, antialiasing
 * grayscale, whatever the system's settings.
 *
 * Call order: wm_renderer_new, then any number of wm_measure / wm_render,
 * then wm_renderer_free. A renderer is used by one thread at a time; it
 * allocates in wm_renderer_new and while laying text out, never per video
 * frame (render once, blend the cached result).
 */
#ifndef WM_LABEL_H
#define WM_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2ee/codeword.h"

#ifndef WM_FONT_DIR
#define WM_FONT_DIR "/usr/share/fonts/truetype/dejavu"
#endif
#define WM_FONT_CODEWORD "DejaVu Sans Mono Bold"
#define WM_FONT_SECOND "DejaVu Sans Bold"

/* Screen heights a label can be sized for. */
#define WM_SCREEN_HEIGHT_MIN 64u
#define WM_SCREEN_HEIGHT_MAX 16384u
/* The second line in bytes of UTF-8, its terminating NUL not counted. */
#define WM_SECOND_MAX 256u

struct wm_renderer;

struct wm_label {
	/* "xxxxx-xxxxx-xxxxx-xxxxx", any case; shown with each proquint capitalized. */
	const char *codeword;
	/* Optional second line, valid UTF-8 shown as one line (ellipsized to the
	 * codeword's width), or NULL. */
	const char *second;
};

/*
 * An ARGB32 (premultiplied) image. For a caller-owned buffer, data points at
 * the label's top-left pixel (e.g. inside a dumb buffer, offset by
 * y * stride + x * 4), 4-byte aligned, with stride a multiple of 4, and
 * width/height the room available there. With data NULL, wm_render
 * allocates exactly the label (stride width * 4) and wm_image_free frees it.
 */
struct wm_image {
	uint8_t *data;
	uint32_t width;
	uint32_t height;
	uint32_t stride; /* bytes */
	bool owned;      /* set by wm_render when it allocated data */
};

/*
 * Loads the fonts. Returns 0 and *out (owned by the caller, freed with
 * wm_renderer_free), -ENOENT when a font file is missing, or -ENOMEM.
 */
__attribute__((warn_unused_result, nonnull(1))) int wm_renderer_new(struct wm_renderer **out);
/* NULL is a no-op. */
void wm_renderer_free(struct wm_renderer *r);

/* The codeword's text size in pixels for a screen height: round(h / 32), at least 8. */
uint32_t wm_text_px(uint32_t screen_height);

/*
 * Checks that in is a codeword (four proquints joined by '-', any case)
 * and writes it to out the way labels show it: "Mavoj-Pubip-Gubad-Gamiv".
 * Returns 0 or -EINVAL.
 */
__attribute__((warn_unused_result, nonnull(1, 2))) int
wm_codeword_format(const char *in, char out[static E2EE_CODEWORD_SIZE]);

/*
 * The label's size in pixels for a screen (or frame) of screen_height rows:
 * both even, so that the label covers whole 4:2:0 chroma samples. Returns 0,
 * or -EINVAL for a junk codeword, a second line that is not UTF-8 or longer
 * than WM_SECOND_MAX, or a screen height outside the WM_SCREEN_HEIGHT_ range.
 */
__attribute__((warn_unused_result, nonnull(1, 2, 4, 5))) int
wm_measure(struct wm_renderer *r, const struct wm_label *label, uint32_t screen_height,
	   uint32_t *width, uint32_t *height);

/*
 * Renders the label into img at its top left, replacing exactly the
 * measured width x height pixels there (transparent outside the rounded
 * backing) and touching nothing else. With img->data NULL the image is
 * allocated to the label's size. Returns 0; the wm_measure errors; -ENOSPC
 * when a caller-owned image is smaller than the label; -EINVAL for a
 * misaligned caller-owned buffer; -ENOMEM.
 */
__attribute__((warn_unused_result, nonnull(1, 2, 4))) int
wm_render(struct wm_renderer *r, const struct wm_label *label, uint32_t screen_height,
	  struct wm_image *img);

/* Frees what wm_render allocated (nothing for a caller-owned buffer) and zeroes *img. */
void wm_image_free(struct wm_image *img);

#endif
