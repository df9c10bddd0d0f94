// SPDX-License-Identifier: MIT
/*
 * The plane allocator: which layers go on which overlay planes, and which
 * are composited in software into the primary plane's buffer.
 *
 * Not libliftoff (Debian 12 packages 0.3.0): it decides by test-only commits
 * against a device, so its decisions cannot be unit-tested from a made-up
 * plane list, and its partial composition hands the caller a composition
 * layer to fill anyway. The room's scenes are small (a few tiles and their
 * labels) and the planes of the boards named so far are uniform (vkms: eight
 * identical overlays; virtio-gpu: none), so a greedy match in stacking order
 * is enough here; drv_display_commit still checks the result with a
 * test-only commit and composites everything when the device refuses it.
 *
 * Stacking: the primary plane is the bottom one, so the layers composited
 * into it must be a bottom run of the scene; the others go on overlay planes
 * whose order (zpos, or for planes without a zpos property the order of the
 * plane list, which is how vkms stacks them) follows the layers' order.
 */
#include <errno.h>
#include <string.h>

#include <drm_fourcc.h>

#include "drv/display.h"

struct cand {
	int idx;
	uint64_t key;
};

static bool layer_fits(const struct drv_display_plane_info *p, const struct drv_display_layer *l,
		       uint32_t screen_width, uint32_t screen_height)
{
	const struct drv_display_image *img = &l->buf->img;

	if (img->format == DRM_FORMAT_ARGB8888 ? !p->argb8888 : !p->xrgb8888)
		return false;
	if (l->alpha != DRV_DISPLAY_ALPHA_OPAQUE && !p->has_alpha)
		return false;
	/* Wholly on screen: not every driver clips planes. */
	return img->width > 0 && img->height > 0 && l->x >= 0 && l->y >= 0 &&
	       (uint64_t)l->x + img->width <= screen_width &&
	       (uint64_t)l->y + img->height <= screen_height;
}

/* Puts layers order[k..] on the candidate planes; false when they do not fit. */
static bool place(const struct drv_display_plane_info *planes, const struct cand *cand, size_t nc,
		  const struct drv_display_scene *scene, uint32_t w, uint32_t h, size_t k,
		  bool primary_has_zpos, struct drv_display_plan *plan)
{
	bool have_last = primary_has_zpos;
	uint64_t last_z = plan->primary_zpos;
	size_t pos = 0;

	for (size_t i = k; i < plan->n_layers; i++) {
		const struct drv_display_layer *l = &scene->layers[plan->order[i]];
		uint64_t z = 0;

		for (; pos < nc; pos++) {
			const struct drv_display_plane_info *p = &planes[cand[pos].idx];

			if (!layer_fits(p, l, w, h))
				continue;
			if (!p->has_zpos)
				break;
			z = p->zpos_min;
			if (p->zpos_mutable && have_last && last_z + 1 > z)
				z = last_z + 1;
			if ((have_last && z <= last_z) || z > p->zpos_max)
				continue;
			break;
		}
		if (pos == nc)
			return false;
		plan->plane[i] = cand[pos].idx;
		plan->zpos[i] = z;
		if (planes[cand[pos].idx].has_zpos) {
			last_z = z;
			have_last = true;
		}
		pos++;
	}
	return true;
}

int drv_display_plan(const struct drv_display_plane_info *planes, size_t n_planes,
		     unsigned int crtc_index, const struct drv_display_scene *scene,
		     uint32_t screen_width, uint32_t screen_height, struct drv_display_plan *plan)
{
	const uint32_t crtc_bit = crtc_index < 32 ? 1u << crtc_index : 0;
	struct cand cand[DRV_DISPLAY_MAX_PLANES];
	const struct drv_display_plane_info *primary;
	size_t nc = 0, n = scene->n_layers;

	memset(plan, 0, sizeof(*plan));
	plan->primary = -1;
	if (n > DRV_DISPLAY_MAX_LAYERS || (n && !scene->layers))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!scene->layers[i].buf || !scene->layers[i].buf->img.data)
			return -EINVAL;
	if (n_planes > DRV_DISPLAY_MAX_PLANES)
		n_planes = DRV_DISPLAY_MAX_PLANES;

	for (size_t i = 0; i < n_planes && plan->primary < 0; i++)
		if (planes[i].type == DRV_DISPLAY_PLANE_PRIMARY &&
		    (planes[i].possible_crtcs & crtc_bit) && planes[i].xrgb8888)
			plan->primary = (int)i;
	if (plan->primary < 0)
		return -ENODEV;
	primary = &planes[plan->primary];
	plan->primary_zpos = primary->has_zpos ? primary->zpos_min : 0;

	/* Layers bottom to top, a stable insertion sort by zpos. */
	plan->n_layers = n;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		while (j > 0 && scene->layers[plan->order[j - 1]].zpos > scene->layers[i].zpos) {
			plan->order[j] = plan->order[j - 1];
			j--;
		}
		plan->order[j] = (uint32_t)i;
	}

	/* Overlay planes of this CRTC, bottom to top; immutable ones under the
	 * primary are of no use. */
	for (size_t i = 0; i < n_planes; i++) {
		const struct drv_display_plane_info *p = &planes[i];
		size_t j = nc;

		if (p->type != DRV_DISPLAY_PLANE_OVERLAY || !(p->possible_crtcs & crtc_bit))
			continue;
		if (p->has_zpos && primary->has_zpos && p->zpos_max <= plan->primary_zpos)
			continue;
		while (j > 0 && cand[j - 1].key > (p->has_zpos ? p->zpos_min : i)) {
			cand[j] = cand[j - 1];
			j--;
		}
		cand[j].idx = (int)i;
		cand[j].key = p->has_zpos ? p->zpos_min : i;
		nc++;
	}

	/* The fewest bottom layers composited; all of them when forced. */
	for (size_t k = scene->force_compose ? n : 0; k <= n; k++) {
		if (place(planes, cand, nc, scene, screen_width, screen_height, k,
			  primary->has_zpos, plan)) {
			plan->n_composed = k;
			for (size_t i = 0; i < k; i++)
				plan->plane[i] = -1;
			return 0;
		}
	}
	return -EINVAL; /* not reached: k == n places nothing */
}
