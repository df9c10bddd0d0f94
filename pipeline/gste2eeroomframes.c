/* SPDX-License-Identifier: MIT */
/*
 * roomd's frame output to the screen process (gste2eeroomframes.h): the
 * frame socket's connection, the pool and a ring per sender in it, RELEASE
 * and TILE.
 */
#define _GNU_SOURCE             /* struct ucred */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <glib-unix.h>

#include "panel/frames.h"
#include "gste2eeroomframes.h"

/* The screen's messages read at one dispatch of the frame socket. */
#define SCREEN_BATCH_MAX 256

#define RECONNECT_MS 500
#define RING_BUFFERS 3
/* Where a ring may start in the pool: a page boundary on every board (4 KiB
 * or 64 KiB pages), so that the screen maps no byte of another ring. */
#define RING_ALIGN (64u << 10)
/* New places of the rings in the pool (a relayout): a burst of four (the
 * first senders' first rings, then at the sizes the screen asks for), then
 * one a second; one relayout serves every sender that waits for it. */
#define RING_INTERVAL_US G_USEC_PER_SEC
#define RING_BURST 4
/* The screen's lines (a screen can make one a message): 20 in 10 s. */
#define SCREEN_LOG_LINES 20
#define SCREEN_LOG_INTERVAL_S 10

typedef struct
{
  GstE2eeRoomFrames *f;
  gboolean used, have_ring;
  gboolean announced;           /* the ring's BUFFERS went on this connection */
  guint sender;
  struct panel_frames_tx_ring ring;     /* a place in f->pool */
  guint32 generation;
  guint want_w, want_h;         /* the last frame's size, when it has no ring of it */
  guint tile_w, tile_h;         /* applied; 0 x 0: the screen shows no tile */
  guint ask_w, ask_h;           /* a TILE that waits for room on the screen */
  gboolean asking, ask_said;
  GstCaps *caps;                /* of the last frame, and its info */
  GstVideoInfo info;
  guint64 sent, dropped;
} Slot;

struct _GstE2eeRoomFrames
{
  gchar *path;
  gint64 screen_uid;
  GstE2eeRoomFramesTileFunc tile;
  GstE2eeRoomFramesMediaFunc media;
  gpointer user_data;
  /* lock: sock, the slots' rings, counts and tile sizes. The main loop
   * alone opens and closes sock, adds and removes slots. */
  GMutex lock;
  gint sock;
  guint watch, retry;
  gboolean said_waiting, said_refused;
  guint64 bad;                  /* main loop: the screen's messages refused */
  guint max_w, max_h;           /* the largest TILE taken (the screen's size) */
  guint64 tiles_refused;        /* main loop: TILEs beyond it */
  guint64 tiles_waiting;        /* main loop: TILEs that waited for room */
  guint64 ring_waits;           /* frames dropped waiting for a new ring */
  guint64 pool_waits;           /* frames dropped: no room in the pool */
  /* Every ring is a place in this one memfd, made once at _start: all the
   * screen can ever hold of roomd's memory (docs/frames.md). */
  struct panel_frames_tx_pool pool;
  gboolean relayout;            /* a slot waits for a ring of a new size */
  gint64 ring_tat;              /* the relayouts' rate limit (GCRA) */
  GstE2eeLogLimit log;          /* the screen's lines */
  Slot slots[PANEL_FRAMES_SENDERS_MAX];
};

/* The ring's place in the pool is free from the next relayout on. */
static void
free_ring (Slot * s)
{
  s->have_ring = FALSE;
  s->announced = FALSE;
  s->ring.busy = 0;
}

/* Under the lock: may the rings move now (peek), and take the turn (take)?
 * At most RING_BURST at once, then one each RING_INTERVAL_US: a screen that
 * changes a tile's size at every frame (or reconnects) makes roomd move its
 * rings at that rate, not at the frame rate. */
static gboolean
ring_allowed (GstE2eeRoomFrames * f, gboolean take)
{
  gint64 now = g_get_monotonic_time (), tat = MAX (f->ring_tat, now);

  if (tat - now > (RING_BURST - 1) * RING_INTERVAL_US)
    return FALSE;
  if (take)
    f->ring_tat = tat + RING_INTERVAL_US;
  return TRUE;
}

/* Under the lock: the screen holds a buffer of some ring. */
static gboolean
any_busy (GstE2eeRoomFrames * f)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->slots); i++)
    if (f->slots[i].used && f->slots[i].have_ring && f->slots[i].ring.busy)
      return TRUE;
  return FALSE;
}

/*
 * Under the lock, with no buffer held by the screen: every sender's ring a
 * place in the pool, packed from its start in slot order at the size of the
 * sender's last frame (a sender the screen shows in no tile has none). A
 * ring that keeps its place and size keeps its generation; one that moves is
 * a new ring (announced before its next frame). A sender for which the pool
 * has no room left has no ring until a later relayout: frames dropped,
 * counted. Nothing is allocated: the pool is the same file, so what the
 * screen holds never grows.
 */
static void
relayout (GstE2eeRoomFrames * f)
{
  guint64 off = 0;

  for (guint i = 0; i < G_N_ELEMENTS (f->slots); i++) {
    Slot *s = &f->slots[i];
    guint w = s->have_ring ? s->ring.width : 0;
    guint h = s->have_ring ? s->ring.height : 0;
    guint64 need;

    if (!s->used)
      continue;
    if (s->want_w) {
      w = s->want_w;
      h = s->want_h;
    }
    need = panel_frames_tx_ring_bytes (w, h, RING_BUFFERS);
    if (!s->tile_w || !need) {
      free_ring (s);
      continue;
    }
    if (need > f->pool.size - off) {
      free_ring (s);            /* want_w stays: the next relayout tries again */
      continue;
    }
    if (!s->have_ring || s->ring.offset != off || s->ring.width != w
        || s->ring.height != h) {
      if (panel_frames_tx_ring_init (&s->ring, &f->pool, off, s->sender,
              ++s->generation, w, h, RING_BUFFERS)) {
        free_ring (s);
        continue;
      }
      s->have_ring = TRUE;
      s->announced = FALSE;
    }
    s->want_w = s->want_h = 0;
    off += (need + RING_ALIGN - 1) / RING_ALIGN * RING_ALIGN;
    if (off > f->pool.size)
      off = f->pool.size;
  }
  f->relayout = FALSE;
}

/* Under the lock: the slot has a ring of its last frame's size. */
static gboolean
ring_fits (const Slot * s)
{
  return s->have_ring && s->ring.width == (guint) s->info.width
      && s->ring.height == (guint) s->info.height;
}

/* Streaming thread: the frame into a free buffer of the ring, or dropped. */
static GstFlowReturn
new_sample (GstAppSink * sink, gpointer data)
{
  Slot *s = data;
  GstE2eeRoomFrames *f = s->f;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstCaps *caps;
  GstVideoFrame vf;
  guint32 index;
  guint8 *dst;
  gint ret = 0;

  if (!sample)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  caps = gst_sample_get_caps (sample);
  g_mutex_lock (&f->lock);
  if (caps && caps != s->caps) {
    gst_caps_replace (&s->caps, caps);
    if (!gst_video_info_from_caps (&s->info, caps)
        || GST_VIDEO_INFO_FORMAT (&s->info) != GST_VIDEO_FORMAT_BGRx)
      gst_caps_replace (&s->caps, NULL);
  }
  if (f->sock < 0 || !s->caps || !buf || !s->tile_w) {
    s->dropped++;
    goto out;
  }
  if (!ring_fits (s)) {
    s->want_w = (guint) s->info.width;
    s->want_h = (guint) s->info.height;
    f->relayout = TRUE;
  } else {
    s->want_w = s->want_h = 0;  /* back to the ring's size: no move wanted */
  }
  /* The rings move only while the screen holds none of their buffers (a
   * buffer's bytes may become another sender's), and at the rate limit's
   * pace; meanwhile the senders whose rings fit go on. */
  if (f->relayout && ring_allowed (f, FALSE)) {
    if (any_busy (f)) {
      s->dropped++;
      f->ring_waits++;
      goto out;
    }
    ring_allowed (f, TRUE);
    relayout (f);
  }
  /* The relayout may have placed a size an earlier frame wanted: only a
   * ring of this frame's size is written (the copy reads the frame's rows). */
  if (!ring_fits (s)) {
    s->dropped++;
    if (f->relayout && !ring_allowed (f, FALSE))
      f->ring_waits++;
    else
      f->pool_waits++;
    goto out;
  }
  if (!s->announced) {
    ret = panel_frames_tx_announce (f->sock, &s->ring);
    if (ret)
      goto out;
    s->announced = TRUE;
  }
  if (panel_frames_tx_acquire (&s->ring, &index, &dst)) {
    s->dropped++;               /* the screen holds all three */
    goto out;
  }
  if (!gst_video_frame_map (&vf, &s->info, buf, GST_MAP_READ)) {
    s->dropped++;
    goto out;
  }
  for (guint y = 0; y < s->ring.height; y++)
    memcpy (dst + (gsize) y * s->ring.stride,
        (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&vf, 0) +
        (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&vf, 0),
        (gsize) s->ring.width * 4);
  gst_video_frame_unmap (&vf);
  ret = panel_frames_tx_frame (f->sock, &s->ring, index,
      GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : 0);
  if (ret == -EAGAIN) {         /* the screen is behind */
    s->dropped++;
    ret = 0;
  } else if (!ret) {
    s->sent++;
  }
out:
  if (ret) {
    /* The connection is broken: the main loop sees the hang-up, closes it
     * and connects again (only it opens and closes the socket). */
    s->dropped++;
    shutdown (f->sock, SHUT_RDWR);
  }
  g_mutex_unlock (&f->lock);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static Slot *
find_slot (GstE2eeRoomFrames * f, guint sender)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->slots); i++)
    if (f->slots[i].used && f->slots[i].sender == sender)
      return &f->slots[i];
  return NULL;
}

static gboolean try_connect (gpointer data);

static void
disconnect (GstE2eeRoomFrames * f, const gchar * why)
{
  g_mutex_lock (&f->lock);
  close (f->sock);
  f->sock = -1;
  /* The screen unmapped every ring: the next connection hears the same
   * rings again (the same pool, the same places), nothing is made anew. */
  for (guint i = 0; i < G_N_ELEMENTS (f->slots); i++) {
    f->slots[i].announced = FALSE;
    f->slots[i].ring.busy = 0;
  }
  g_mutex_unlock (&f->lock);
  gst_e2ee_log_limit_print (&f->log, FALSE, "roomd: screen disconnected (%s)",
      why);
  f->said_waiting = FALSE;
  f->retry = g_timeout_add (RECONNECT_MS, try_connect, f);
}

/* Under the lock: the tiles' area, slot except (NULL: all). */
static guint64
tiles_area (GstE2eeRoomFrames * f, const Slot * except)
{
  guint64 a = 0;

  for (guint i = 0; i < G_N_ELEMENTS (f->slots); i++)
    if (f->slots[i].used && &f->slots[i] != except)
      a += (guint64) f->slots[i].tile_w * f->slots[i].tile_h;
  return a;
}

/*
 * Under the lock, main loop: the TILEs asked that fit, applied. All the
 * tiles together cover at most the screen (max_w x max_h, security review
 * 7 finding 5): a layout never needs more, and it bounds what roomd scales
 * to and writes. A TILE that does not fit waits (the sender keeps its size)
 * until others shrink; counted once and said. Returns how many of tiles
 * (sender, width, height) the owner is to scale to.
 */
static guint
apply_tiles (GstE2eeRoomFrames * f, guint tiles[][3])
{
  guint64 screen = (guint64) f->max_w * f->max_h;
  guint n = 0;
  gboolean applied = TRUE;

  /* Until nothing more fits: a shrink later in the slots makes room for a
   * grow before it. At most one application a slot. */
  while (applied) {
    applied = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (f->slots); i++) {
      Slot *s = &f->slots[i];

      if (!s->used || !s->asking || tiles_area (f, s)
          + (guint64) s->ask_w * s->ask_h > screen)
        continue;
      s->asking = FALSE;
      if (s->ask_w == s->tile_w && s->ask_h == s->tile_h)
        continue;
      s->tile_w = s->ask_w;
      s->tile_h = s->ask_h;
      applied = TRUE;
      if (s->tile_w) {
        tiles[n][0] = s->sender;
        tiles[n][1] = s->tile_w;
        tiles[n++][2] = s->tile_h;
      }
    }
  }
  for (guint i = 0; i < G_N_ELEMENTS (f->slots); i++) {
    Slot *s = &f->slots[i];

    if (!s->used || !s->asking || s->ask_said)
      continue;
    s->ask_said = TRUE;
    f->tiles_waiting++;
    gst_e2ee_log_limit_print (&f->log, TRUE, "roomd: a TILE of %ux%u for "
        "sender %u waits: with the other tiles (%" G_GUINT64_FORMAT " pixels) "
        "it would cover more than the screen's %ux%u", s->ask_w, s->ask_h,
        s->sender, tiles_area (f, s), f->max_w, f->max_h);
  }
  return n;
}

/* Main loop: RELEASE and TILE from the screen. */
static gboolean
on_socket (gint fd, GIOCondition cond, gpointer data)
{
  GstE2eeRoomFrames *f = data;
  struct panel_frames_msg m;
  guint tiles[PANEL_FRAMES_SENDERS_MAX][3];
  guint n_tiles = 0, media = 0, volume = 0, tile_w = 0, tile_h = 0;
  gboolean have_media = FALSE, tile_refused = FALSE;
  guint batch = 0;
  gint ret = 0;

  g_mutex_lock (&f->lock);
  /* A bounded batch (as the screen reads roomd's): a screen that keeps
   * writing never holds the lock, which every branch's new frame waits for,
   * nor the main loop (keys, signals) for longer than this many messages. */
  while (batch++ < SCREEN_BATCH_MAX
      && (ret = panel_frames_tx_recv (f->sock, &m)) == 0) {
    Slot *s;

    /* The room's own media (docs/frames.md: MEDIA names no sender). */
    if (m.type == PANEL_FRAMES_MEDIA) {
      media = m.flags;
      volume = m.volume;
      have_media = TRUE;
      continue;
    }
    if (m.type == PANEL_FRAMES_TILE
        && (m.width > f->max_w || m.height > f->max_h)) {
      /* Bigger than the screen: no screen of ours asks for it. */
      tile_refused = TRUE;
      tile_w = m.width;
      tile_h = m.height;
      ret = -EMSGSIZE;
      break;
    }
    s = find_slot (f, m.sender);
    if (!s)
      continue;
    if (m.type == PANEL_FRAMES_RELEASE && s->have_ring) {
      panel_frames_tx_released (&s->ring, &m);
    } else if (m.type == PANEL_FRAMES_TILE) {
      /* Applied below, once the whole batch is read: a layout's shrinks may
       * come after its grows. */
      s->ask_w = m.width;
      s->ask_h = m.height;
      s->asking = TRUE;
      s->ask_said = FALSE;
    }
  }
  n_tiles = apply_tiles (f, tiles);
  g_mutex_unlock (&f->lock);
  /* Outside the lock: the owner changes caps, which may wait for a
   * streaming thread that wants the lock. */
  for (guint i = 0; i < n_tiles; i++)
    f->tile (f->user_data, tiles[i][0], tiles[i][1], tiles[i][2]);
  if (have_media && f->media)
    f->media (f->user_data, media, volume);
  /* A full batch: the rest at the next dispatch (the source is level-triggered). */
  if (ret == 0 || (ret == -EAGAIN && !(cond & (G_IO_HUP | G_IO_ERR))))
    return G_SOURCE_CONTINUE;
  /* Refused (malformed, a field out of range: panel_frames_parse), counted,
   * and the connection closed, as the screen does with roomd's. */
  if (ret == -EBADMSG || ret == -EPROTONOSUPPORT) {
    f->bad++;
    gst_e2ee_log_limit_print (&f->log, TRUE, "roomd: refused a message from "
        "the screen (%s)", g_strerror (-ret));
  } else if (tile_refused) {
    /* Counted apart from the malformed ones: the message is well formed. */
    f->tiles_refused++;
    gst_e2ee_log_limit_print (&f->log, TRUE, "roomd: refused a TILE of "
        "%ux%u from the screen: larger than the screen's %ux%u (--max-tile)",
        tile_w, tile_h, f->max_w, f->max_h);
  }
  f->watch = 0;
  disconnect (f, ret == -EAGAIN ? "hang-up" : tile_refused ? "a TILE refused"
      : g_strerror (-ret));
  return G_SOURCE_REMOVE;
}

/* The listening end is the screen's: root, us, or --screen-uid. */
static gboolean
screen_ok (GstE2eeRoomFrames * f, gint sock)
{
  struct ucred cred;
  socklen_t len = sizeof (cred);

  if (getsockopt (sock, SOL_SOCKET, SO_PEERCRED, &cred, &len)
      || len != sizeof (cred))
    return FALSE;
  if (cred.uid == 0 || cred.uid == geteuid ()
      || (f->screen_uid >= 0 && cred.uid == (uid_t) f->screen_uid))
    return TRUE;
  if (!f->said_refused)
    gst_e2ee_log_limit_print (&f->log, TRUE, "roomd: refusing the screen at "
        "%s: its uid %u is not root's, ours or the screen's", f->path, (guint) cred.uid);
  f->said_refused = TRUE;
  return FALSE;
}

static gboolean
try_connect (gpointer data)
{
  GstE2eeRoomFrames *f = data;
  gint sock, ret = panel_frames_connect (f->path, &sock);

  if (!ret && !screen_ok (f, sock)) {
    close (sock);
    return G_SOURCE_CONTINUE;
  }
  if (ret) {
    if (!f->said_waiting)
      g_print ("roomd: screen not reachable at %s yet (%s)\n", f->path,
          g_strerror (-ret));
    f->said_waiting = TRUE;
    return G_SOURCE_CONTINUE;
  }
  g_mutex_lock (&f->lock);
  f->sock = sock;
  g_mutex_unlock (&f->lock);
  f->retry = 0;
  f->watch = g_unix_fd_add (sock, G_IO_IN | G_IO_HUP | G_IO_ERR, on_socket,
      f);
  gst_e2ee_log_limit_print (&f->log, FALSE, "roomd: screen connected at %s",
      f->path);
  return G_SOURCE_REMOVE;
}

void
gst_e2ee_room_frames_set_media_func (GstE2eeRoomFrames * f,
    GstE2eeRoomFramesMediaFunc media)
{
  f->media = media;
}

gboolean
gst_e2ee_room_frames_media_state (GstE2eeRoomFrames * f, guint flags,
    guint volume)
{
  gint ret = -ENOTCONN;

  g_mutex_lock (&f->lock);
  if (f->sock >= 0)
    ret = panel_frames_tx_media_state (f->sock, flags, volume);
  g_mutex_unlock (&f->lock);
  return ret == 0;
}

guint64
gst_e2ee_room_frames_bad_messages (GstE2eeRoomFrames * f)
{
  return f->bad;
}

void
gst_e2ee_room_frames_set_max_tile (GstE2eeRoomFrames * f, guint width,
    guint height)
{
  f->max_w = width;
  f->max_h = height;
}

guint64
gst_e2ee_room_frames_tiles_refused (GstE2eeRoomFrames * f)
{
  return f->tiles_refused;
}

/* A count the streaming threads change, read under the lock. */
static guint64
locked_count (GstE2eeRoomFrames * f, const guint64 * count)
{
  guint64 n;

  g_mutex_lock (&f->lock);
  n = *count;
  g_mutex_unlock (&f->lock);
  return n;
}

guint64
gst_e2ee_room_frames_ring_waits (GstE2eeRoomFrames * f)
{
  return locked_count (f, &f->ring_waits);
}

guint64
gst_e2ee_room_frames_pool_waits (GstE2eeRoomFrames * f)
{
  return locked_count (f, &f->pool_waits);
}

guint64
gst_e2ee_room_frames_tiles_waiting (GstE2eeRoomFrames * f)
{
  return f->tiles_waiting;
}

guint64
gst_e2ee_room_frames_pool_size (GstE2eeRoomFrames * f)
{
  return f->pool.size;
}

GstE2eeLogLimit *
gst_e2ee_room_frames_log (GstE2eeRoomFrames * f)
{
  return &f->log;
}

GstE2eeRoomFrames *
gst_e2ee_room_frames_new (const gchar * path, gint64 screen_uid,
    GstE2eeRoomFramesTileFunc tile, gpointer user_data)
{
  GstE2eeRoomFrames *f = g_new0 (GstE2eeRoomFrames, 1);

  f->path = g_strdup (path);
  f->screen_uid = screen_uid;
  f->tile = tile;
  f->user_data = user_data;
  f->sock = -1;
  f->pool.fd = -1;
  f->max_w = GST_E2EE_ROOM_FRAMES_MAX_TILE_W;
  f->max_h = GST_E2EE_ROOM_FRAMES_MAX_TILE_H;
  g_mutex_init (&f->lock);
  gst_e2ee_log_limit_init (&f->log, "roomd", "the screen", SCREEN_LOG_LINES,
      SCREEN_LOG_INTERVAL_S);
  return f;
}

guint64
gst_e2ee_room_frames_pool_bytes (guint max_w, guint max_h)
{
  /* The screen's pixels times the ring depth, and a ring's rounding up to
   * RING_ALIGN for each sender that may have one. */
  return (guint64) max_w * max_h * 4 * RING_BUFFERS +
      (guint64) PANEL_FRAMES_SENDERS_MAX * RING_ALIGN;
}

gboolean
gst_e2ee_room_frames_start (GstE2eeRoomFrames * f, GError ** error)
{
  guint64 size = gst_e2ee_room_frames_pool_bytes (f->max_w, f->max_h);
  gint ret = panel_frames_tx_pool_new (&f->pool, size);

  if (ret) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (-ret),
        "cannot make the frame pool of %.1f MiB (3 x the screen's %ux%u): %s",
        size / 1048576.0, f->max_w, f->max_h, g_strerror (-ret));
    return FALSE;
  }
  if (try_connect (f) == G_SOURCE_CONTINUE)
    f->retry = g_timeout_add (RECONNECT_MS, try_connect, f);
  return TRUE;
}

gboolean
gst_e2ee_room_frames_add (GstE2eeRoomFrames * f, guint sender,
    GstElement * appsink)
{
  static GstAppSinkCallbacks cb = {.new_sample = new_sample };
  Slot *s = NULL;

  if (find_slot (f, sender))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (f->slots) && !s; i++)
    if (!f->slots[i].used)
      s = &f->slots[i];
  if (!s)
    return FALSE;
  g_mutex_lock (&f->lock);
  *s = (Slot) {
  .f = f,.used = TRUE,.sender = sender,.generation = s->generation};
  /* The default tile counts in the screen's area as any: when the others
   * leave no room for it, the sender waits for the screen's TILE (or for
   * room: the next batch of the screen's messages applies it). */
  if (tiles_area (f, NULL) + (guint64) GST_E2EE_ROOM_FRAMES_DEFAULT_W *
      GST_E2EE_ROOM_FRAMES_DEFAULT_H <= (guint64) f->max_w * f->max_h) {
    s->tile_w = GST_E2EE_ROOM_FRAMES_DEFAULT_W;
    s->tile_h = GST_E2EE_ROOM_FRAMES_DEFAULT_H;
  } else {
    s->ask_w = GST_E2EE_ROOM_FRAMES_DEFAULT_W;
    s->ask_h = GST_E2EE_ROOM_FRAMES_DEFAULT_H;
    s->asking = s->ask_said = TRUE;
  }
  g_mutex_unlock (&f->lock);
  gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &cb, s, NULL);
  return TRUE;
}

void
gst_e2ee_room_frames_gone (GstE2eeRoomFrames * f, guint sender)
{
  Slot *s = find_slot (f, sender);

  if (!s)
    return;
  g_mutex_lock (&f->lock);
  if (f->sock >= 0 && panel_frames_tx_gone (f->sock, sender))
    g_print ("roomd: GONE of sender %u not sent\n", sender);
  free_ring (s);
  gst_caps_replace (&s->caps, NULL);
  s->used = FALSE;
  g_mutex_unlock (&f->lock);
}

gboolean
gst_e2ee_room_frames_stats (GstE2eeRoomFrames * f, guint sender,
    guint64 * sent, guint64 * dropped)
{
  Slot *s = find_slot (f, sender);

  if (!s)
    return FALSE;
  g_mutex_lock (&f->lock);
  *sent = s->sent;
  *dropped = s->dropped;
  g_mutex_unlock (&f->lock);
  return TRUE;
}

gboolean
gst_e2ee_room_frames_connected (GstE2eeRoomFrames * f)
{
  gboolean up;

  g_mutex_lock (&f->lock);
  up = f->sock >= 0;
  g_mutex_unlock (&f->lock);
  return up;
}

void
gst_e2ee_room_frames_free (GstE2eeRoomFrames * f)
{
  if (!f)
    return;
  if (f->watch)
    g_source_remove (f->watch);
  if (f->retry)
    g_source_remove (f->retry);
  for (guint i = 0; i < G_N_ELEMENTS (f->slots); i++) {
    free_ring (&f->slots[i]);
    gst_caps_replace (&f->slots[i].caps, NULL);
  }
  panel_frames_tx_pool_free (&f->pool);
  if (f->sock >= 0)
    close (f->sock);
  g_mutex_clear (&f->lock);
  gst_e2ee_log_limit_flush (&f->log);
  gst_e2ee_log_limit_clear (&f->log);
  g_free (f->path);
  g_free (f);
}
