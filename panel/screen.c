// SPDX-License-Identifier: MIT
/* The room's screen: tiles of video and libwm's overlay on KMS planes (panel/screen.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "panel/screen.h"

_Static_assert(PANEL_SCREEN_MAX_TILES + 2 == DRV_DISPLAY_MAX_LAYERS,
	       "every tile, the overlay and the panel on a layer of their own");

/* Stacking: video, libwm's labels and banner above it, the touch panel on top. */
#define ZPOS_VIDEO 1
#define ZPOS_OVERLAY 2
#define ZPOS_PANEL 3
/* Rectangles the panel's back buffer lacks (the last change's, and this one's). */
#define PANEL_DIRTY_MAX (2 * PANEL_UI_MAX_DAMAGE)

struct tile {
	uint32_t id;
	char codeword[E2EE_CODEWORD_SIZE];
	char name[WM_SECOND_MAX + 1];
	bool has_name;
	enum wm_trust trust;
	struct wm_rect video, label;
	struct wm_rect raised; /* the label while the bar shows (label, or above the bar) */
	struct drv_display_buffer *buf[2];
	unsigned int shown; /* buf[shown] is (or is being put) on screen */
	bool ready;         /* buf[!shown] holds a frame not yet shown */
	/* A commit is putting buf[shown] up: buf[!shown] may still be on screen. */
	bool in_flight;
	bool writing; /* a put_frame is copying into buf[!shown] without the lock */
	unsigned int frames;
};

struct panel_screen {
	struct drv_display *disp; /* NULL: "soft", composited into screen */
	struct drv_display_image screen;
	struct wm_renderer *wm;
	uint32_t width, height;
	struct tile tiles[PANEL_SCREEN_MAX_TILES];
	size_t n_tiles;
	enum panel_screen_layout layout; /* and, for the speaker layout, its large tile */
	uint32_t speaker;
	uint32_t bottom; /* the panel's bar's rows: no label under them while it shows */
	bool bar;        /* the bar shows now: labels that reach into it are raised */
	bool relayout; /* the layout changed: set_tiles lays out even the same tiles */
	enum wm_e2ee_state e2ee;
	struct drv_display_buffer *overlay[2];
	unsigned int overlay_shown;
	/* overlay[!overlay_shown] holds what the next commit must show. */
	bool overlay_pending;
	/* The touch panel (panel_screen_set_panel): two screen-sized ARGB buffers. */
	struct drv_display_buffer *panel[2];
	unsigned int panel_shown;
	bool panel_pending, panel_visible, panel_next_visible;
	struct panel_rect panel_dirty[PANEL_DIRTY_MAX]; /* what panel[!panel_shown] lacks */
	size_t n_panel_dirty;
	struct drv_display_layer layers[PANEL_SCREEN_MAX_TILES + 2];
	/* panel_screen_set_tiles's next tiles (large for the stack), under the lock. */
	struct tile next[PANEL_SCREEN_MAX_TILES];

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool dirty;           /* a tile is ready */
	bool busy;            /* someone is committing (the device is theirs) */
	bool stop;
	unsigned int writers; /* put_frame copies under way (no relayout meanwhile) */
	unsigned int commits;
	struct drv_display_plan plan; /* the last commit's */
	pthread_t thread;
	bool thread_started;
};

/* A layer's buffer: a dumb buffer on a device; on "soft", memory that looks like one. */
static int buffer_new(struct panel_screen *s, uint32_t w, uint32_t h, uint32_t format,
		      struct drv_display_buffer **out)
{
	struct drv_display_buffer *b;

	if (s->disp)
		return drv_display_buffer_new(s->disp, w, h, format, out);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->img = (struct drv_display_image){ calloc((size_t)w * h, 4), w, h, w * 4, format };
	b->fd = -1;
	if (!b->img.data) {
		free(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

static void buffer_free(struct panel_screen *s, struct drv_display_buffer *b)
{
	if (s->disp || !b) {
		drv_display_buffer_free(b);
		return;
	}
	free(b->img.data);
	free(b);
}

/* "soft": the scene composited in memory, as drv_display does where planes run out. */
static int compose_soft(const struct drv_display_scene *scene, struct drv_display_image *out,
			struct drv_display_plan *plan)
{
	int ret = 0;

	drv_display_fill(out, scene->background);
	for (size_t i = 0; i < scene->n_layers && !ret; i++)
		ret = drv_display_blend(out, &scene->layers[i].buf->img, scene->layers[i].x,
					scene->layers[i].y, scene->layers[i].alpha);
	plan->n_layers = scene->n_layers;
	plan->n_composed = scene->n_layers;
	return ret;
}

/* The scene of what is shown now; with the lock held. */
static void build_scene(struct panel_screen *s, struct drv_display_scene *scene)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_tiles; i++) {
		struct tile *t = &s->tiles[i];

		s->layers[n++] = (struct drv_display_layer){ t->buf[t->shown], t->video.x,
							     t->video.y, DRV_DISPLAY_ALPHA_OPAQUE,
							     ZPOS_VIDEO };
	}
	s->layers[n++] = (struct drv_display_layer){ s->overlay[s->overlay_shown], 0, 0,
						     DRV_DISPLAY_ALPHA_OPAQUE, ZPOS_OVERLAY };
	/* Above every video plane: remote video can never draw over the panel. */
	if (s->panel_visible)
		s->layers[n++] = (struct drv_display_layer){ s->panel[s->panel_shown], 0, 0,
							     DRV_DISPLAY_ALPHA_OPAQUE, ZPOS_PANEL };
	*scene = (struct drv_display_scene){ .background = PANEL_SCREEN_BACKGROUND,
					     .layers = s->layers,
					     .n_layers = n };
}

static void wait_idle(struct panel_screen *s)
{
	while (s->busy)
		pthread_cond_wait(&s->cond, &s->lock);
}

/*
 * Called with the lock held: puts every ready tile up (and the pending
 * overlay), commits without the lock, and takes the lock again. Returns the
 * commit's result.
 */
static int commit_locked(struct panel_screen *s, struct drv_display_buffer *capture)
{
	struct drv_display_scene scene;
	struct drv_display_plan plan = { 0 };
	bool swap_overlay, swap_panel, was_visible = s->panel_visible;
	int ret;

	wait_idle(s);
	for (size_t i = 0; i < s->n_tiles; i++) {
		struct tile *t = &s->tiles[i];

		if (t->ready) {
			t->shown ^= 1;
			t->ready = false;
			t->in_flight = true;
			t->frames++;
		}
	}
	swap_overlay = s->overlay_pending;
	if (swap_overlay) {
		s->overlay_shown ^= 1;
		s->overlay_pending = false;
	}
	swap_panel = s->panel_pending;
	if (swap_panel) {
		s->panel_shown ^= 1;
		s->panel_pending = false;
		s->panel_visible = s->panel_next_visible;
	}
	s->dirty = false;
	build_scene(s, &scene);
	s->busy = true;
	pthread_mutex_unlock(&s->lock);

	if (s->disp)
		ret = drv_display_commit(s->disp, &scene, capture, &plan);
	else
		ret = compose_soft(&scene, capture ? &capture->img : &s->screen, &plan);

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_tiles; i++) {
		struct tile *t = &s->tiles[i];

		/* A refused commit left the previous buffers on screen: the new frame
		 * stays the back buffer, ready for the next commit, and the buffer on
		 * screen is not handed to the writer. */
		if (ret && t->in_flight) {
			t->shown ^= 1;
			t->ready = true;
			t->frames--;
		}
		t->in_flight = false;
	}
	if (ret && swap_overlay) {
		s->overlay_shown ^= 1;
		s->overlay_pending = true;
	}
	if (ret && swap_panel) {
		s->panel_shown ^= 1;
		s->panel_pending = true;
		s->panel_visible = was_visible;
	}
	s->busy = false;
	if (!ret)
		s->plan = plan;
	s->commits++;
	pthread_cond_broadcast(&s->cond);
	return ret;
}

static void *display_thread(void *data)
{
	struct panel_screen *s = data;
	unsigned int failures = 0;
	int ret, last = 0;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		if (!s->dirty || s->busy) {
			pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		ret = commit_locked(s, NULL);
		/* Once per change, not per frame (a display gone away fails them all). */
		if (ret && ret != last)
			fprintf(stderr, "room screen: commit: %s\n", strerror(-ret));
		else if (!ret && last)
			fprintf(stderr, "room screen: commits work again after %u failed\n",
				failures);
		failures = ret ? failures + 1 : 0;
		last = ret;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void wm_tiles_of(const struct tile *tiles, size_t n, struct wm_tile *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (struct wm_tile){ tiles[i].video, tiles[i].codeword,
					   tiles[i].has_name ? tiles[i].name : NULL,
					   tiles[i].trust };
}

/* The overlay of tiles and e2ee into the back overlay buffer (not on screen), to be shown
 * by the next commit. With the lock held and nobody committing. */
static int render_overlay(struct panel_screen *s, const struct tile *tiles, size_t n,
			  enum wm_e2ee_state e2ee)
{
	struct drv_display_buffer *buf = s->overlay[s->overlay_shown ^ 1];
	struct wm_tile wm_tiles[PANEL_SCREEN_MAX_TILES];
	struct wm_overlay o = { wm_tiles, n, e2ee, s->bar ? s->bottom : 0 };
	struct wm_image img = {
		.data = buf->img.data,
		.width = buf->img.width,
		.height = buf->img.height,
		.stride = buf->img.stride,
	};
	int ret;

	wm_tiles_of(tiles, n, wm_tiles);
	ret = wm_overlay_render(s->wm, &o, &img);
	if (!ret)
		s->overlay_pending = true;
	return ret;
}

int panel_screen_new(const char *device, uint32_t width, uint32_t height, enum wm_e2ee_state e2ee,
		     struct panel_screen **out, const char **what)
{
	struct panel_screen *s = calloc(1, sizeof(*s));
	int ret;

	*out = NULL;
	*what = "memory";
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->e2ee = e2ee;
	if (!strcmp(device, "soft")) {
		*what = "soft: the screen's size must be 64x64 to 16384x16384";
		ret = width >= 64 && height >= 64 && width <= 16384 && height <= 16384 ? 0
										       : -EINVAL;
		if (ret)
			goto fail;
		s->width = width;
		s->height = height;
		s->screen = (struct drv_display_image){ calloc((size_t)width * height, 4), width,
							height, width * 4, DRM_FORMAT_XRGB8888 };
		ret = s->screen.data ? 0 : -ENOMEM;
		*what = "memory";
	} else {
		*what = device;
		ret = drv_display_open(device, width, height, &s->disp);
		if (!ret)
			drv_display_size(s->disp, &s->width, &s->height);
	}
	if (ret)
		goto fail;
	*what = "label fonts";
	ret = wm_renderer_new(&s->wm);
	if (ret)
		goto fail;
	*what = "buffers";
	for (unsigned int b = 0; b < 2 && !ret; b++)
		ret = buffer_new(s, s->width, s->height, DRM_FORMAT_ARGB8888, &s->overlay[b]);
	if (ret)
		goto fail;
	*what = "overlay";
	pthread_mutex_lock(&s->lock);
	ret = render_overlay(s, NULL, 0, e2ee);
	if (!ret) {
		*what = "first commit";
		ret = commit_locked(s, NULL);
	}
	pthread_mutex_unlock(&s->lock);
	if (ret)
		goto fail;
	*what = "display thread";
	ret = -pthread_create(&s->thread, NULL, display_thread, s);
	if (ret)
		goto fail;
	s->thread_started = true;
	*out = s;
	return 0;
fail:
	panel_screen_free(s);
	return ret;
}

static bool same_tile(const struct tile *t, const struct panel_screen_tile *n)
{
	char word[E2EE_CODEWORD_SIZE];

	/* Kept as shown ("Mavoj-Pubip-..."), given in any case. */
	return t->id == n->id && n->codeword && !wm_codeword_format(n->codeword, word) &&
	       !strcmp(t->codeword, word) &&
	       t->has_name == (n->name != NULL) && (!n->name || !strcmp(t->name, n->name)) &&
	       t->trust == n->trust;
}

static struct tile *find(struct panel_screen *s, uint32_t id)
{
	for (size_t i = 0; i < s->n_tiles; i++)
		if (s->tiles[i].id == id)
			return &s->tiles[i];
	return NULL;
}

/* The new tiles' labels and layout in nt[], each codeword and name checked. */
static int lay_out(struct panel_screen *s, const struct panel_screen_tile *tiles, size_t n,
		   struct tile *nt)
{
	struct wm_rect video[PANEL_SCREEN_MAX_TILES], labels[PANEL_SCREEN_MAX_TILES];
	struct wm_rect raised[PANEL_SCREEN_MAX_TILES];
	struct wm_tile wm_tiles[PANEL_SCREEN_MAX_TILES];
	struct wm_overlay o = { wm_tiles, n, s->e2ee, 0 }, up = { wm_tiles, n, s->e2ee, s->bottom };
	bool grid = true;
	int ret;

	for (size_t i = 0; i < n; i++) {
		struct tile *t = &nt[i];

		for (size_t j = 0; j < i; j++)
			if (tiles[j].id == tiles[i].id)
				return -EINVAL;
		if (!tiles[i].codeword || (unsigned int)tiles[i].trust > WM_TRUST_WARNING ||
		    (tiles[i].name && strlen(tiles[i].name) > WM_SECOND_MAX))
			return -EINVAL;
		ret = wm_codeword_format(tiles[i].codeword, t->codeword);
		if (ret)
			return ret;
		t->id = tiles[i].id;
		t->has_name = tiles[i].name != NULL;
		strcpy(t->name, tiles[i].name ? tiles[i].name : "");
		t->trust = tiles[i].trust;
	}
	if (!n)
		return 0;
	if (s->layout == PANEL_SCREEN_SPEAKER && n >= 2) {
		size_t big = 0;

		for (size_t i = 0; i < n; i++)
			if (tiles[i].id == s->speaker)
				big = i;
		ret = wm_layout_speaker(s->wm, n, big, s->width, s->height, s->bottom, video);
		grid = ret == -EINVAL;
	}
	/* The grid (or the speaker layout's fallback: more tiles than its strip
	 * holds with a label under each). */
	if (grid)
		ret = wm_layout_grid(s->wm, n, s->width, s->height, video);
	for (size_t i = 0; i < n && !ret; i++)
		nt[i].video = video[i];
	wm_tiles_of(nt, n, wm_tiles);
	if (!ret)
		ret = wm_overlay_place(s->wm, &o, s->width, s->height, labels, NULL);
	/* While the bar shows, a label it would cover is raised above it over its own
	 * tile's video (the overlay alone is drawn again: no tile moves per tap).
	 * Where a tile is too short for that, the grid leaves the bar's rows free. */
	if (!ret && s->bottom)
		ret = wm_overlay_place(s->wm, &up, s->width, s->height, raised, NULL);
	if (ret == -ERANGE && grid) {
		ret = wm_layout_grid_above(s->wm, n, s->width, s->height, s->bottom, video);
		for (size_t i = 0; i < n && !ret; i++)
			nt[i].video = video[i];
		wm_tiles_of(nt, n, wm_tiles);
		if (!ret)
			ret = wm_overlay_place(s->wm, &o, s->width, s->height, labels, NULL);
		if (!ret)
			ret = wm_overlay_place(s->wm, &up, s->width, s->height, raised, NULL);
	}
	for (size_t i = 0; i < n && !ret; i++) {
		nt[i].label = labels[i];
		nt[i].raised = s->bottom ? raised[i] : labels[i];
	}
	return ret;
}

int panel_screen_set_tiles(struct panel_screen *s, const struct panel_screen_tile *tiles, size_t n)
{
	struct tile *nt = s->next;
	struct drv_display_buffer *old[2 * PANEL_SCREEN_MAX_TILES];
	size_t n_old = 0;
	bool same;
	int ret = 0;

	if (n > PANEL_SCREEN_MAX_TILES || (n && !tiles))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	/* Nobody copies into a tile or commits while the tiles change. */
	while (s->busy || s->writers)
		pthread_cond_wait(&s->cond, &s->lock);
	same = n == s->n_tiles && !s->relayout;
	for (size_t i = 0; i < n && same; i++)
		same = same_tile(&s->tiles[i], &tiles[i]);
	if (same)
		goto out;
	memset(s->next, 0, sizeof(s->next));
	ret = lay_out(s, tiles, n, nt);
	for (size_t i = 0; i < n && !ret; i++) {
		struct tile *was = find(s, nt[i].id);

		if (!was)
			continue;
		nt[i].frames = was->frames;
		/* The same place: the picture on screen stays until the next frame. */
		if (was->video.width == nt[i].video.width &&
		    was->video.height == nt[i].video.height) {
			memcpy(nt[i].buf, was->buf, sizeof(nt[i].buf));
			nt[i].shown = was->shown;
			nt[i].ready = was->ready;
			memset(was->buf, 0, sizeof(was->buf));
		}
	}
	for (size_t i = 0; i < n && !ret; i++)
		for (unsigned int b = 0; b < 2 && !ret && !nt[i].buf[b]; b++)
			ret = buffer_new(s, nt[i].video.width, nt[i].video.height,
					 DRM_FORMAT_XRGB8888, &nt[i].buf[b]);
	if (!ret)
		ret = render_overlay(s, nt, n, s->e2ee);
	if (ret) {
		/* Nothing changes: the buffers taken over go back. */
		for (size_t i = 0; i < n; i++) {
			struct tile *was = find(s, nt[i].id);

			for (unsigned int b = 0; b < 2; b++) {
				if (was && !was->buf[b])
					was->buf[b] = nt[i].buf[b];
				else
					buffer_free(s, nt[i].buf[b]);
			}
		}
		goto out;
	}
	for (size_t i = 0; i < s->n_tiles; i++)
		for (unsigned int b = 0; b < 2; b++)
			if (s->tiles[i].buf[b])
				old[n_old++] = s->tiles[i].buf[b];
	memcpy(s->tiles, nt, n * sizeof(nt[0]));
	s->n_tiles = n;
	s->relayout = false;
	ret = commit_locked(s, NULL);
	/* No longer on screen (or, after a failed commit, taken down with their framebuffers). */
	for (size_t i = 0; i < n_old; i++)
		buffer_free(s, old[i]);
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int panel_screen_set_e2ee(struct panel_screen *s, enum wm_e2ee_state e2ee)
{
	int ret = 0;

	if ((unsigned int)e2ee > WM_E2EE_ON)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	wait_idle(s);
	if (e2ee != s->e2ee || s->overlay_pending) {
		ret = render_overlay(s, s->tiles, s->n_tiles, e2ee);
		if (!ret) {
			s->e2ee = e2ee;
			ret = commit_locked(s, NULL);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int panel_screen_set_bar(struct panel_screen *s, bool shown)
{
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	wait_idle(s);
	if (shown != s->bar || s->overlay_pending) {
		bool was = s->bar;

		s->bar = shown;
		ret = render_overlay(s, s->tiles, s->n_tiles, s->e2ee);
		if (!ret)
			ret = commit_locked(s, NULL);
		if (ret)
			s->bar = was;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* Rectangle r of the panel's image into buffer dst (clipped to the screen). */
static void copy_rect(struct drv_display_buffer *dst, const uint8_t *data, uint32_t stride,
		      struct panel_rect r)
{
	int32_t w = (int32_t)dst->img.width, h = (int32_t)dst->img.height;

	if (r.x < 0) {
		r.w += r.x;
		r.x = 0;
	}
	if (r.y < 0) {
		r.h += r.y;
		r.y = 0;
	}
	if (r.x + r.w > w)
		r.w = w - r.x;
	if (r.y + r.h > h)
		r.h = h - r.y;
	for (int32_t y = r.y; r.w > 0 && y < r.y + r.h; y++)
		memcpy(dst->img.data + (size_t)y * dst->img.stride + (size_t)r.x * 4,
		       data + (size_t)y * stride + (size_t)r.x * 4, (size_t)r.w * 4);
}

int panel_screen_set_panel(struct panel_screen *s, const uint8_t *data, uint32_t stride,
			   const struct panel_rect *damage, size_t n, bool visible)
{
	struct drv_display_buffer *back;
	int ret = 0;

	if (stride / 4 < s->width || n > PANEL_UI_MAX_DAMAGE)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	wait_idle(s);
	for (unsigned int b = 0; b < 2 && !ret; b++)
		if (!s->panel[b])
			ret = buffer_new(s, s->width, s->height, DRM_FORMAT_ARGB8888, &s->panel[b]);
	if (ret)
		goto out;
	/* Damage tracking: the back buffer gets this change and the last one it missed,
	 * never the whole screen. */
	back = s->panel[s->panel_shown ^ 1];
	for (size_t i = 0; i < s->n_panel_dirty; i++)
		copy_rect(back, data, stride, s->panel_dirty[i]);
	for (size_t i = 0; i < n; i++)
		copy_rect(back, data, stride, damage[i]);
	memcpy(s->panel_dirty, damage, n * sizeof(*damage));
	s->n_panel_dirty = n;
	s->panel_pending = true;
	s->panel_next_visible = visible;
	ret = commit_locked(s, NULL);
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int panel_screen_put_frame(struct panel_screen *s, uint32_t id, const uint8_t *data,
			   uint32_t width, uint32_t height, uint32_t stride)
{
	struct drv_display_image *dst;
	struct tile *t;
	uint32_t rows, bytes;
	size_t at;

	if (!width || !height || stride / 4 < width)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		t = find(s, id);
		if (s->stop || !t) {
			pthread_mutex_unlock(&s->lock);
			return s->stop ? -ESHUTDOWN : -ENOENT;
		}
		/* The back buffer may still be on screen until the commit is done. */
		if (!t->in_flight && !t->writing)
			break;
		pthread_cond_wait(&s->cond, &s->lock);
	}
	/* Copied without the lock, so that other tiles' frames and the commits do
	 * not wait for this one's copy. Not ready while written: no commit flips
	 * it (only ready tiles are), none can be putting it up (not in flight), and
	 * the tiles do not change while a writer is counted. */
	t->ready = false;
	t->writing = true;
	s->writers++;
	at = (size_t)(t - s->tiles);
	dst = &t->buf[t->shown ^ 1]->img;
	pthread_mutex_unlock(&s->lock);
	rows = height < dst->height ? height : dst->height;
	bytes = (width < dst->width ? width : dst->width) * 4;
	for (uint32_t y = 0; y < rows; y++)
		memcpy(dst->data + (size_t)y * dst->stride, data + (size_t)y * stride, bytes);
	pthread_mutex_lock(&s->lock);
	t = &s->tiles[at];
	t->writing = false;
	t->ready = true;
	s->writers--;
	s->dirty = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int panel_screen_set_layout(struct panel_screen *s, enum panel_screen_layout layout,
			    uint32_t speaker, uint32_t bottom)
{
	struct panel_screen_tile now[PANEL_SCREEN_MAX_TILES];
	char words[PANEL_SCREEN_MAX_TILES][E2EE_CODEWORD_SIZE];
	char names[PANEL_SCREEN_MAX_TILES][WM_SECOND_MAX + 1];
	size_t n;

	if ((unsigned int)layout > PANEL_SCREEN_SPEAKER || bottom >= s->height)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->layout == layout && s->bottom == bottom &&
	    (layout == PANEL_SCREEN_GRID || s->speaker == speaker)) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	s->layout = layout;
	s->speaker = speaker;
	s->bottom = bottom;
	s->relayout = true;
	/* The same tiles, as they are now, laid out again. */
	n = s->n_tiles;
	for (size_t i = 0; i < n; i++) {
		memcpy(words[i], s->tiles[i].codeword, sizeof(words[i]));
		memcpy(names[i], s->tiles[i].name, sizeof(names[i]));
		now[i] = (struct panel_screen_tile){ s->tiles[i].id, words[i],
						     s->tiles[i].has_name ? names[i] : NULL,
						     s->tiles[i].trust };
	}
	pthread_mutex_unlock(&s->lock);
	return panel_screen_set_tiles(s, now, n);
}

int panel_screen_tile_at(struct panel_screen *s, int32_t x, int32_t y, uint32_t *id)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_tiles && ret; i++) {
		const struct wm_rect *v = &s->tiles[i].video;

		if (x >= v->x && y >= v->y && x < v->x + (int32_t)v->width &&
		    y < v->y + (int32_t)v->height) {
			*id = s->tiles[i].id;
			ret = 0;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int panel_screen_tile(struct panel_screen *s, uint32_t id, struct wm_rect *video,
		      struct wm_rect *label)
{
	struct tile *t;

	pthread_mutex_lock(&s->lock);
	t = find(s, id);
	if (t) {
		*video = t->video;
		*label = s->bar ? t->raised : t->label;
	}
	pthread_mutex_unlock(&s->lock);
	return t ? 0 : -ENOENT;
}

size_t panel_screen_labels(struct panel_screen *s, struct wm_rect *labels, struct wm_rect *raised,
			   size_t max)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n_tiles;
	for (size_t i = 0; i < n && i < max; i++) {
		if (labels)
			labels[i] = s->tiles[i].label;
		if (raised)
			raised[i] = s->tiles[i].raised;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t panel_screen_n_tiles(struct panel_screen *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n_tiles;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void panel_screen_size(const struct panel_screen *s, uint32_t *width, uint32_t *height)
{
	*width = s->width;
	*height = s->height;
}

unsigned int panel_screen_frames(struct panel_screen *s, uint32_t id)
{
	struct tile *t;
	unsigned int n;

	pthread_mutex_lock(&s->lock);
	t = find(s, id);
	n = t ? t->frames : 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

unsigned int panel_screen_commits(struct panel_screen *s)
{
	unsigned int n;

	pthread_mutex_lock(&s->lock);
	n = s->commits;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void panel_screen_plan(struct panel_screen *s, unsigned int *layers, unsigned int *composited)
{
	pthread_mutex_lock(&s->lock);
	*layers = (unsigned int)s->plan.n_layers;
	*composited = (unsigned int)s->plan.n_composed;
	pthread_mutex_unlock(&s->lock);
}

int panel_screen_capture_image(struct panel_screen *s, struct drv_display_image *out)
{
	struct drv_display_buffer *cap = NULL, mem;
	int ret = 0;

	if (out->width != s->width || out->height != s->height ||
	    out->format != DRM_FORMAT_XRGB8888 || out->stride / 4 < s->width)
		return -EINVAL;
	if (s->disp && !drv_display_has_writeback(s->disp))
		return -ENOTSUP;
	pthread_mutex_lock(&s->lock);
	if (s->disp) {
		/* The device is the committer's: allocate while nobody commits. */
		wait_idle(s);
		ret = drv_display_buffer_new(s->disp, s->width, s->height, DRM_FORMAT_XRGB8888,
					     &cap);
	} else {
		/* Composited straight into the caller's image. */
		mem = (struct drv_display_buffer){ .img = *out, .fd = -1 };
		cap = &mem;
	}
	if (!ret)
		ret = commit_locked(s, cap);
	if (s->disp && cap) {
		for (uint32_t y = 0; !ret && y < s->height; y++)
			memcpy(out->data + (size_t)y * out->stride,
			       cap->img.data + (size_t)y * cap->img.stride, (size_t)s->width * 4);
		wait_idle(s);
		drv_display_buffer_free(cap);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int panel_screen_capture(struct panel_screen *s, const char *path)
{
	struct drv_display_image img = { NULL, s->width, s->height, s->width * 4,
					 DRM_FORMAT_XRGB8888 };
	int ret;

	img.data = malloc((size_t)s->width * s->height * 4);
	if (!img.data)
		return -ENOMEM;
	ret = panel_screen_capture_image(s, &img);
	if (!ret)
		ret = drv_display_png_write(&img, path);
	free(img.data);
	return ret;
}

void panel_screen_free(struct panel_screen *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	for (size_t i = 0; i < s->n_tiles; i++)
		for (unsigned int b = 0; b < 2; b++)
			buffer_free(s, s->tiles[i].buf[b]);
	for (unsigned int b = 0; b < 2; b++) {
		buffer_free(s, s->overlay[b]);
		buffer_free(s, s->panel[b]);
	}
	free(s->screen.data);
	wm_renderer_free(s->wm);
	drv_display_close(s->disp);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}
