// SPDX-License-Identifier: MIT
/*
 * The DRM/KMS device: atomic modesetting on one connector and CRTC, dumb
 * buffers that own their framebuffers, and writeback capture. Properties
 * are looked up by name once at open (kmscube's atomic helpers) and set only
 * where the object has them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "drv/display.h"

/* Writeback is signalled once the composer has run; under QEMU's TCG a
 * 1080p composition of a few planes takes a good part of a second. */
#define WRITEBACK_TIMEOUT_MS 10000

/*
 * An atomic request built in place: libdrm's drmModeAtomicCommit copies and
 * sorts the request into freshly allocated arrays at every call, which a
 * commit per video frame must not do. Properties are appended in order;
 * commit() groups them by object (the kernel wants each object once) into
 * the ioctl's arrays, all preallocated here.
 */
#define ATOMIC_MAX_PROPS 512

struct atomic_req {
	size_t n;
	uint32_t obj[ATOMIC_MAX_PROPS];
	uint32_t prop[ATOMIC_MAX_PROPS];
	uint64_t value[ATOMIC_MAX_PROPS];
	/* struct drm_mode_atomic's arrays */
	uint32_t objs[ATOMIC_MAX_PROPS];
	uint32_t count_props[ATOMIC_MAX_PROPS];
	uint32_t props[ATOMIC_MAX_PROPS];
	uint64_t values[ATOMIC_MAX_PROPS];
};

struct obj {
	uint32_t id;
	uint32_t type;
	drmModeObjectProperties *props;
	drmModePropertyRes **info;
};

struct drv_display {
	int fd;
	char driver[32];
	uint32_t crtc_id;
	unsigned int crtc_index;
	drmModeModeInfo mode;
	uint32_t mode_blob;
	struct obj crtc;
	struct obj conn;
	struct obj wb; /* id 0: no writeback connector */
	size_t n_planes;
	struct drv_display_plane_info planes[DRV_DISPLAY_MAX_PLANES];
	struct obj plane_obj[DRV_DISPLAY_MAX_PLANES];
	struct drv_display_buffer *primary[2];
	unsigned int back;
	/* primary[i] holds the background plain_bg[i] and nothing else: a scene
	 * with every layer on planes need not fill it again (per video frame). */
	bool plain[2];
	uint32_t plain_bg[2];
	/* One request, reused by every commit: none allocates. */
	struct atomic_req req;
	/* Capture with the writeback connector alone on the CRTC: the kernel's
	 * clone check (drm_atomic_check_valid_clones, in Debian's 6.1 since
	 * 6.1.12x) refuses vkms 6.1's output and writeback encoders together,
	 * as vkms does not declare them clones of each other. */
	bool wb_alone;
};

/* ------------------------------------------------------------ properties */

static int obj_get(int fd, uint32_t id, uint32_t type, struct obj *o)
{
	o->id = id;
	o->type = type;
	o->props = drmModeObjectGetProperties(fd, id, type);
	if (!o->props)
		return -errno ? -errno : -ENOMEM;
	o->info = calloc(o->props->count_props ? o->props->count_props : 1, sizeof(*o->info));
	if (!o->info)
		return -ENOMEM;
	for (uint32_t i = 0; i < o->props->count_props; i++)
		o->info[i] = drmModeGetProperty(fd, o->props->props[i]);
	return 0;
}

static void obj_put(struct obj *o)
{
	if (o->props) {
		for (uint32_t i = 0; o->info && i < o->props->count_props; i++)
			drmModeFreeProperty(o->info[i]);
		drmModeFreeObjectProperties(o->props);
	}
	free(o->info);
	memset(o, 0, sizeof(*o));
}

static const drmModePropertyRes *obj_prop(const struct obj *o, const char *name, uint64_t *value)
{
	for (uint32_t i = 0; o->props && i < o->props->count_props; i++) {
		if (o->info[i] && strcmp(o->info[i]->name, name) == 0) {
			if (value)
				*value = o->props->prop_values[i];
			return o->info[i];
		}
	}
	return NULL;
}

/*
 * Adds name = value to req; -ENOENT when the object has no such property,
 * -ENOSPC when the request is full.
 */
static int add_prop(struct atomic_req *req, const struct obj *o, const char *name, uint64_t value)
{
	const drmModePropertyRes *p = obj_prop(o, name, NULL);

	if (!p)
		return -ENOENT;
	if (req->n == ATOMIC_MAX_PROPS)
		return -ENOSPC;
	req->obj[req->n] = o->id;
	req->prop[req->n] = p->prop_id;
	req->value[req->n] = value;
	req->n++;
	return 0;
}

/*
 * DRM_IOCTL_MODE_ATOMIC with req's properties grouped by object in the
 * order objects first appear; of a property set twice the last value
 * counts (as with drmModeAtomicCommit). Returns 0 or -errno.
 */
static int atomic_commit(int fd, struct atomic_req *req, uint32_t flags)
{
	struct drm_mode_atomic atomic = { .flags = flags };
	size_t n_props = 0;
	bool done[ATOMIC_MAX_PROPS] = { false };

	for (size_t i = 0; i < req->n; i++) {
		uint32_t count = 0;

		if (done[i])
			continue;
		for (size_t j = i; j < req->n; j++) {
			bool later = false;

			if (done[j] || req->obj[j] != req->obj[i])
				continue;
			done[j] = true;
			for (size_t k = j + 1; k < req->n && !later; k++)
				later = req->obj[k] == req->obj[j] && req->prop[k] == req->prop[j];
			if (later)
				continue;
			req->props[n_props] = req->prop[j];
			req->values[n_props] = req->value[j];
			n_props++;
			count++;
		}
		req->objs[atomic.count_objs] = req->obj[i];
		req->count_props[atomic.count_objs] = count;
		atomic.count_objs++;
	}
	atomic.objs_ptr = (uint64_t)(uintptr_t)req->objs;
	atomic.count_props_ptr = (uint64_t)(uintptr_t)req->count_props;
	atomic.props_ptr = (uint64_t)(uintptr_t)req->props;
	atomic.prop_values_ptr = (uint64_t)(uintptr_t)req->values;
	return drmIoctl(fd, DRM_IOCTL_MODE_ATOMIC, &atomic) ? -errno : 0;
}

static void plane_info(int fd, const drmModePlane *p, const struct obj *o,
		       struct drv_display_plane_info *info)
{
	const drmModePropertyRes *zpos;
	uint64_t v = 0;

	memset(info, 0, sizeof(*info));
	info->id = p->plane_id;
	info->possible_crtcs = p->possible_crtcs;
	if (obj_prop(o, "type", &v))
		info->type = (enum drv_display_plane_type)v;
	for (uint32_t i = 0; i < p->count_formats; i++) {
		info->argb8888 |= p->formats[i] == DRM_FORMAT_ARGB8888;
		info->xrgb8888 |= p->formats[i] == DRM_FORMAT_XRGB8888;
	}
	zpos = obj_prop(o, "zpos", &v);
	if (zpos) {
		info->has_zpos = true;
		info->zpos_mutable = !(zpos->flags & DRM_MODE_PROP_IMMUTABLE);
		if ((zpos->flags & DRM_MODE_PROP_RANGE) && zpos->count_values == 2 &&
		    info->zpos_mutable) {
			info->zpos_min = zpos->values[0];
			info->zpos_max = zpos->values[1];
		} else {
			info->zpos_min = info->zpos_max = v;
		}
	}
	info->has_alpha = obj_prop(o, "alpha", NULL) != NULL;
}

/* ------------------------------------------------------------ open, close */

static bool mode_matches(const drmModeModeInfo *m, uint32_t w, uint32_t h)
{
	if (w == 0 && h == 0)
		return m->type & DRM_MODE_TYPE_PREFERRED;
	return m->hdisplay == w && m->vdisplay == h;
}

/* A connected connector with the mode, and a CRTC its encoders can drive. */
static int find_output(struct drv_display *d, const drmModeRes *res, uint32_t w, uint32_t h)
{
	int ret = -ENODEV;

	for (int i = 0; i < res->count_connectors && ret; i++) {
		drmModeConnector *c = drmModeGetConnector(d->fd, res->connectors[i]);
		int m = -1;

		if (!c)
			continue;
		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			if (!d->wb.id && obj_get(d->fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR,
						 &d->wb))
				obj_put(&d->wb);
			drmModeFreeConnector(c);
			continue;
		}
		for (int j = 0; c->connection == DRM_MODE_CONNECTED && j < c->count_modes; j++)
			if (mode_matches(&c->modes[j], w, h)) {
				m = j;
				break;
			}
		/* No preferred mode flagged: the first one. */
		if (m < 0 && w == 0 && h == 0 && c->connection == DRM_MODE_CONNECTED &&
		    c->count_modes > 0)
			m = 0;
		for (int e = 0; m >= 0 && e < c->count_encoders && ret; e++) {
			drmModeEncoder *enc = drmModeGetEncoder(d->fd, c->encoders[e]);

			for (int k = 0; enc && k < res->count_crtcs; k++) {
				if (!(enc->possible_crtcs & (1u << k)))
					continue;
				d->crtc_id = res->crtcs[k];
				d->crtc_index = (unsigned int)k;
				d->mode = c->modes[m];
				ret = obj_get(d->fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR,
					      &d->conn);
				break;
			}
			drmModeFreeEncoder(enc);
		}
		drmModeFreeConnector(c);
	}
	/* A writeback connector listed after the output one. */
	for (int i = 0; i < res->count_connectors && !ret && !d->wb.id; i++) {
		drmModeConnector *c = drmModeGetConnector(d->fd, res->connectors[i]);

		if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK &&
		    obj_get(d->fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR, &d->wb))
			obj_put(&d->wb);
		drmModeFreeConnector(c);
	}
	return ret;
}

static int find_planes(struct drv_display *d)
{
	drmModePlaneRes *pr = drmModeGetPlaneResources(d->fd);
	int ret = 0;

	if (!pr)
		return -errno ? -errno : -ENOMEM;
	for (uint32_t i = 0; i < pr->count_planes && d->n_planes < DRV_DISPLAY_MAX_PLANES; i++) {
		drmModePlane *p = drmModeGetPlane(d->fd, pr->planes[i]);
		struct obj *o = &d->plane_obj[d->n_planes];

		if (!p)
			continue;
		ret = obj_get(d->fd, p->plane_id, DRM_MODE_OBJECT_PLANE, o);
		if (ret) {
			drmModeFreePlane(p);
			break;
		}
		plane_info(d->fd, p, o, &d->planes[d->n_planes++]);
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pr);
	return ret;
}

int drv_display_open(const char *path, uint32_t width, uint32_t height, struct drv_display **out)
{
	struct drv_display *d;
	drmModeRes *res = NULL;
	drmVersion *ver;
	int ret;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		ret = -errno;
		goto out;
	}
	if (drmSetClientCap(d->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ||
	    drmSetClientCap(d->fd, DRM_CLIENT_CAP_ATOMIC, 1)) {
		ret = -ENOTSUP;
		goto out;
	}
	/* Optional: writeback connectors are listed only to clients that ask. */
	drmSetClientCap(d->fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);
	ver = drmGetVersion(d->fd);
	if (ver) {
		snprintf(d->driver, sizeof(d->driver), "%s", ver->name);
		drmFreeVersion(ver);
	}
	res = drmModeGetResources(d->fd);
	if (!res) {
		ret = -ENODEV;
		goto out;
	}
	ret = find_output(d, res, width, height);
	if (ret)
		goto out;
	ret = obj_get(d->fd, d->crtc_id, DRM_MODE_OBJECT_CRTC, &d->crtc);
	if (ret)
		goto out;
	ret = find_planes(d);
	if (ret)
		goto out;
	if (drmModeCreatePropertyBlob(d->fd, &d->mode, sizeof(d->mode), &d->mode_blob)) {
		ret = -errno ? -errno : -ENOMEM;
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		ret = drv_display_buffer_new(d, d->mode.hdisplay, d->mode.vdisplay,
					     DRM_FORMAT_XRGB8888, &d->primary[i]);
		if (ret)
			goto out;
	}
	*out = d;
	d = NULL;
out:
	drmModeFreeResources(res);
	drv_display_close(d);
	return ret;
}

void drv_display_close(struct drv_display *d)
{
	if (!d)
		return;
	for (int i = 0; i < 2; i++)
		drv_display_buffer_free(d->primary[i]);
	if (d->mode_blob)
		drmModeDestroyPropertyBlob(d->fd, d->mode_blob);
	for (size_t i = 0; i < d->n_planes; i++)
		obj_put(&d->plane_obj[i]);
	obj_put(&d->crtc);
	obj_put(&d->conn);
	obj_put(&d->wb);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

void drv_display_size(const struct drv_display *d, uint32_t *width, uint32_t *height)
{
	*width = d->mode.hdisplay;
	*height = d->mode.vdisplay;
}

const char *drv_display_driver(const struct drv_display *d)
{
	return d->driver;
}

bool drv_display_has_writeback(const struct drv_display *d)
{
	return d->wb.id != 0;
}

const struct drv_display_plane_info *drv_display_planes(const struct drv_display *d, size_t *n,
							 unsigned int *crtc_index)
{
	*n = d->n_planes;
	*crtc_index = d->crtc_index;
	return d->planes;
}

/* ------------------------------------------------------------ buffers */

int drv_display_buffer_new(struct drv_display *d, uint32_t width, uint32_t height, uint32_t format,
			   struct drv_display_buffer **out)
{
	struct drm_mode_create_dumb create = { .width = width, .height = height, .bpp = 32 };
	struct drm_mode_map_dumb map = { 0 };
	struct drv_display_buffer *b;
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	void *data;
	int ret;

	*out = NULL;
	if (!width || !height || width > 16384 || height > 16384 ||
	    (format != DRM_FORMAT_ARGB8888 && format != DRM_FORMAT_XRGB8888))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fd = d->fd;
	if (drmIoctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create)) {
		ret = -errno;
		free(b);
		return ret;
	}
	b->handle = create.handle;
	b->size = create.size;
	/* The driver's pitch and size bound every write into the mapping:
	 * refuse a buffer they do not cover. */
	if (create.pitch < width * 4 || create.pitch % 4 ||
	    create.size < (uint64_t)create.pitch * height) {
		ret = -EIO;
		goto fail;
	}
	b->img.width = width;
	b->img.height = height;
	b->img.stride = create.pitch;
	b->img.format = format;
	map.handle = create.handle;
	if (drmIoctl(d->fd, DRM_IOCTL_MODE_MAP_DUMB, &map)) {
		ret = -errno;
		goto fail;
	}
	data = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, map.offset);
	if (data == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	b->img.data = data;
	memset(data, 0, create.size);
	handles[0] = create.handle;
	pitches[0] = create.pitch;
	if (drmModeAddFB2(d->fd, width, height, format, handles, pitches, offsets, &b->fb_id, 0)) {
		ret = -errno;
		goto fail;
	}
	*out = b;
	return 0;
fail:
	drv_display_buffer_free(b);
	return ret;
}

void drv_display_buffer_free(struct drv_display_buffer *b)
{
	struct drm_mode_destroy_dumb destroy = { 0 };

	if (!b)
		return;
	if (b->fb_id)
		drmModeRmFB(b->fd, b->fb_id);
	if (b->img.data)
		munmap(b->img.data, b->size);
	destroy.handle = b->handle;
	if (b->handle)
		drmIoctl(b->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	free(b);
}

/* ------------------------------------------------------------ commit */

/* The plane state of a layer or of the primary: position, size, no scaling. */
static int add_plane(struct atomic_req *req, const struct drv_display *d, int idx,
		     const struct drv_display_buffer *buf, int32_t x, int32_t y, uint16_t alpha,
		     const uint64_t *zpos)
{
	const struct obj *o = &d->plane_obj[idx];
	const struct drv_display_plane_info *p = &d->planes[idx];
	int ret = 0;

	ret |= add_prop(req, o, "FB_ID", buf->fb_id);
	ret |= add_prop(req, o, "CRTC_ID", d->crtc_id);
	ret |= add_prop(req, o, "SRC_X", 0);
	ret |= add_prop(req, o, "SRC_Y", 0);
	ret |= add_prop(req, o, "SRC_W", (uint64_t)buf->img.width << 16);
	ret |= add_prop(req, o, "SRC_H", (uint64_t)buf->img.height << 16);
	ret |= add_prop(req, o, "CRTC_X", (uint64_t)(int64_t)x);
	ret |= add_prop(req, o, "CRTC_Y", (uint64_t)(int64_t)y);
	ret |= add_prop(req, o, "CRTC_W", buf->img.width);
	ret |= add_prop(req, o, "CRTC_H", buf->img.height);
	if (ret)
		return -EINVAL;
	if (p->has_alpha && add_prop(req, o, "alpha", alpha))
		return -ENOMEM;
	if (zpos && p->has_zpos && p->zpos_mutable && add_prop(req, o, "zpos", *zpos))
		return -ENOMEM;
	return 0;
}

static int build(struct atomic_req *req, struct drv_display *d, const struct drv_display_scene *s,
		 const struct drv_display_plan *plan, struct drv_display_buffer *primary,
		 struct drv_display_buffer *capture, int *fence)
{
	bool used[DRV_DISPLAY_MAX_PLANES] = { false };
	int ret;

	if (add_prop(req, &d->conn, "CRTC_ID", capture && d->wb_alone ? 0 : d->crtc_id) ||
	    add_prop(req, &d->crtc, "MODE_ID", d->mode_blob) ||
	    add_prop(req, &d->crtc, "ACTIVE", 1))
		return -EINVAL;
	ret = add_plane(req, d, plan->primary, primary, 0, 0, DRV_DISPLAY_ALPHA_OPAQUE,
			&plan->primary_zpos);
	if (ret)
		return ret;
	used[plan->primary] = true;
	for (size_t i = plan->n_composed; i < plan->n_layers; i++) {
		const struct drv_display_layer *l = &s->layers[plan->order[i]];

		ret = add_plane(req, d, plan->plane[i], l->buf, l->x, l->y, l->alpha,
				&plan->zpos[i]);
		if (ret)
			return ret;
		used[plan->plane[i]] = true;
	}
	/* Every other plane of this CRTC off (a previous scene's). */
	for (size_t i = 0; i < d->n_planes; i++) {
		if (used[i] || !(d->planes[i].possible_crtcs & (1u << d->crtc_index)))
			continue;
		if (add_prop(req, &d->plane_obj[i], "FB_ID", 0) ||
		    add_prop(req, &d->plane_obj[i], "CRTC_ID", 0))
			return -EINVAL;
	}
	if (d->wb.id) {
		if (add_prop(req, &d->wb, "CRTC_ID", capture ? d->crtc_id : 0))
			return -EINVAL;
		if (capture && (add_prop(req, &d->wb, "WRITEBACK_FB_ID", capture->fb_id) ||
				add_prop(req, &d->wb, "WRITEBACK_OUT_FENCE_PTR",
					 (uint64_t)(uintptr_t)fence)))
			return -EINVAL;
	}
	return 0;
}

/*
 * Composites the plan's bottom run of layers over the background into the
 * back primary buffer; a buffer that already holds just this background is
 * left alone when nothing is to be composited.
 */
static int compose(struct drv_display *d, const struct drv_display_scene *s,
		   const struct drv_display_plan *plan)
{
	struct drv_display_buffer *buf = d->primary[d->back];

	if (!plan->n_composed && d->plain[d->back] && d->plain_bg[d->back] == s->background)
		return 0;
	d->plain[d->back] = false;
	drv_display_fill(&buf->img, s->background);
	for (size_t i = 0; i < plan->n_composed; i++) {
		const struct drv_display_layer *l = &s->layers[plan->order[i]];
		int ret = drv_display_blend(&buf->img, &l->buf->img, l->x, l->y, l->alpha);

		if (ret)
			return ret;
	}
	d->plain[d->back] = !plan->n_composed;
	d->plain_bg[d->back] = s->background;
	return 0;
}

static int try_commit(struct drv_display *d, const struct drv_display_scene *s,
		      const struct drv_display_plan *plan, struct drv_display_buffer *capture,
		      int *fence, uint32_t flags)
{
	int ret;

	d->req.n = 0;
	ret = build(&d->req, d, s, plan, d->primary[d->back], capture, fence);
	if (!ret)
		ret = atomic_commit(d->fd, &d->req, flags | DRM_MODE_ATOMIC_ALLOW_MODESET);
	return ret;
}

int drv_display_commit(struct drv_display *d, const struct drv_display_scene *s,
		       struct drv_display_buffer *capture, struct drv_display_plan *plan_out)
{
	struct drv_display_plan plan;
	int fence = -1, ret;

	if (capture && !d->wb.id)
		return -ENOTSUP;
	if (capture && (capture->img.width != d->mode.hdisplay ||
			capture->img.height != d->mode.vdisplay ||
			capture->img.format != DRM_FORMAT_XRGB8888))
		return -EINVAL;
	ret = drv_display_plan(d->planes, d->n_planes, d->crtc_index, s, d->mode.hdisplay,
			       d->mode.vdisplay, &plan);
	if (ret)
		return ret;
	ret = compose(d, s, &plan);
	if (ret)
		return ret;
	/* The device has the last word: test the planes, then everything
	 * composited; with a capture, each with and without the output
	 * connector on the CRTC (the last way that worked first). */
	for (int pass = 0; pass < 2; pass++) {
		const bool alone[2] = { d->wb_alone, !d->wb_alone };

		if (pass == 1) {
			struct drv_display_scene all = *s;

			if (plan.n_composed == plan.n_layers)
				break;
			all.force_compose = true;
			ret = drv_display_plan(d->planes, d->n_planes, d->crtc_index, &all,
					       d->mode.hdisplay, d->mode.vdisplay, &plan);
			if (!ret)
				ret = compose(d, &all, &plan);
			if (ret)
				return ret;
		}
		for (int a = 0; a < (capture ? 2 : 1); a++) {
			d->wb_alone = alone[a];
			if (!try_commit(d, s, &plan, capture, &fence, DRM_MODE_ATOMIC_TEST_ONLY))
				goto tested;
		}
	}
tested:
	ret = try_commit(d, s, &plan, capture, &fence, 0);
	if (ret)
		goto out;
	d->back ^= 1;
	if (capture) {
		struct pollfd pfd = { .fd = fence, .events = POLLIN };
		int n;

		if (fence < 0) {
			ret = -EIO;
			goto out;
		}
		do
			n = poll(&pfd, 1, WRITEBACK_TIMEOUT_MS);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			ret = -errno;
		else if (n == 0)
			ret = -ETIMEDOUT;
	}
	if (plan_out)
		*plan_out = plan;
out:
	if (fence >= 0)
		close(fence);
	return ret;
}
