// SPDX-License-Identifier: MIT
/*
 * drm-planes: what a DRM device offers, for the image test. Prints one line
 *   driver=vkms primary=1 overlay=8 cursor=1 writeback=1 overlay_argb8888=8
 * and exits 0, or exits 1 when the device cannot be opened or queried.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

/* DRM_PLANE_TYPE_* as the "type" property's value (drm_mode.h). */
enum { TYPE_OVERLAY = 0, TYPE_PRIMARY = 1, TYPE_CURSOR = 2 };

static int plane_type(int fd, uint32_t plane_id)
{
	drmModeObjectProperties *props;
	int type = -1;

	props = drmModeObjectGetProperties(fd, plane_id, DRM_MODE_OBJECT_PLANE);
	if (!props)
		return -1;
	for (uint32_t i = 0; i < props->count_props; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);

		if (!p)
			continue;
		if (strcmp(p->name, "type") == 0)
			type = (int)props->prop_values[i];
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return type;
}

static int has_format(const drmModePlane *plane, uint32_t fourcc)
{
	for (uint32_t i = 0; i < plane->count_formats; i++)
		if (plane->formats[i] == fourcc)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/dri/card0";
	unsigned int n[3] = { 0 }, argb = 0, writeback = 0;
	drmModePlaneRes *planes = NULL;
	drmModeRes *res = NULL;
	drmVersion *ver = NULL;
	int fd, ret = 1;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "drm-planes: %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* Writeback connectors are only listed to atomic clients. */
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ||
	    drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1))
		fprintf(stderr, "drm-planes: no atomic client caps\n");
	drmSetClientCap(fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);

	ver = drmGetVersion(fd);
	planes = drmModeGetPlaneResources(fd);
	res = drmModeGetResources(fd);
	if (!ver || !planes || !res) {
		fprintf(stderr, "drm-planes: %s: cannot query the device\n", path);
		goto out;
	}
	for (uint32_t i = 0; i < planes->count_planes; i++) {
		drmModePlane *p = drmModeGetPlane(fd, planes->planes[i]);
		int type = plane_type(fd, planes->planes[i]);

		if (!p)
			continue;
		if (type >= 0 && type <= 2)
			n[type]++;
		if (type == TYPE_OVERLAY && has_format(p, DRM_FORMAT_ARGB8888))
			argb++;
		drmModeFreePlane(p);
	}
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);

		if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK)
			writeback++;
		drmModeFreeConnector(c);
	}
	printf("driver=%s primary=%u overlay=%u cursor=%u writeback=%u overlay_argb8888=%u\n",
	       ver->name, n[TYPE_PRIMARY], n[TYPE_OVERLAY], n[TYPE_CURSOR], writeback, argb);
	ret = 0;
out:
	drmModeFreeResources(res);
	drmModeFreePlaneResources(planes);
	drmFreeVersion(ver);
	close(fd);
	return ret;
}
