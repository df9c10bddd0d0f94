// SPDX-License-Identifier: MIT
/* PNG files of captured screens (libpng), for tests to keep and compare. */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include "drv/display.h"

/*
 * A captured screen is decrypted pictures: written to a fresh file beside
 * path (mkostemp: O_EXCL, mode 0600, so never through a symlink or into a
 * file someone else made), then renamed over path.
 */
int drv_display_png_write(const struct drv_display_image *img, const char *path)
{
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *row = NULL;
	char *tmp = malloc(strlen(path) + 8);
	FILE *f = NULL;
	volatile int ret = -EIO;
	int fd;

	if (!tmp)
		return -ENOMEM;
	strcpy(tmp, path);
	strcat(tmp, ".XXXXXX");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd >= 0 && !(f = fdopen(fd, "wb")))
		close(fd);
	if (!f) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	row = malloc((size_t)img->width * 3);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!row || !info) {
		ret = -ENOMEM;
		goto out;
	}
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, f);
	png_set_IHDR(png, info, img->width, img->height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	/* Fast over small: TCG runs this too. */
	png_set_compression_level(png, 1);
	png_write_info(png, info);
	for (uint32_t y = 0; y < img->height; y++) {
		const uint32_t *px = (const uint32_t *)(img->data + (size_t)y * img->stride);

		for (uint32_t x = 0; x < img->width; x++) {
			row[3 * x] = (uint8_t)(px[x] >> 16);
			row[3 * x + 1] = (uint8_t)(px[x] >> 8);
			row[3 * x + 2] = (uint8_t)px[x];
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	ret = 0;
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	free(row);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

int drv_display_png_read(const char *path, struct drv_display_image *img)
{
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *volatile row = NULL;
	uint8_t *volatile data = NULL;
	png_uint_32 w, h;
	volatile int ret = -EIO;
	int depth, type;
	FILE *f;

	memset(img, 0, sizeof(*img));
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	if (!info) {
		ret = -ENOMEM;
		goto out;
	}
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, f);
	png_read_info(png, info);
	png_get_IHDR(png, info, &w, &h, &depth, &type, NULL, NULL, NULL);
	if (depth != 8 || (type != PNG_COLOR_TYPE_RGB && type != PNG_COLOR_TYPE_RGBA) ||
	    w == 0 || h == 0 || w > 16384 || h > 16384)
		goto out;
	row = malloc(png_get_rowbytes(png, info));
	data = malloc((size_t)w * h * 4);
	if (!row || !data) {
		ret = -ENOMEM;
		goto out;
	}
	for (png_uint_32 y = 0; y < h; y++) {
		const unsigned int cpp = type == PNG_COLOR_TYPE_RGBA ? 4 : 3;
		uint32_t *px = (uint32_t *)(data + (size_t)y * w * 4);

		png_read_row(png, row, NULL);
		for (png_uint_32 x = 0; x < w; x++)
			px[x] = 0xff000000u | (uint32_t)row[cpp * x] << 16 |
				(uint32_t)row[cpp * x + 1] << 8 | row[cpp * x + 2];
	}
	img->data = data;
	img->width = w;
	img->height = h;
	img->stride = w * 4;
	img->format = DRM_FORMAT_XRGB8888;
	data = NULL;
	ret = 0;
out:
	if (png)
		png_destroy_read_struct(&png, info ? &info : NULL, NULL);
	free(row);
	free(data);
	fclose(f);
	return ret;
}
