/* SPDX-License-Identifier: MIT */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "e2ee/secret.h"
#include "gste2ee.h"

GType
gst_e2ee_cipher_suite_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {E2EE_SUITE_AES_128_CTR_HMAC_SHA256_80, "AES_128_CTR_HMAC_SHA256_80 (short tag: forgery risk, RFC 9605 7.5)",
        "aes-128-ctr-hmac-sha256-80"},
    {E2EE_SUITE_AES_128_CTR_HMAC_SHA256_64, "AES_128_CTR_HMAC_SHA256_64 (short tag: forgery risk, RFC 9605 7.5)",
        "aes-128-ctr-hmac-sha256-64"},
    {E2EE_SUITE_AES_128_CTR_HMAC_SHA256_32, "AES_128_CTR_HMAC_SHA256_32 (short tag: forgery risk, RFC 9605 7.5)",
        "aes-128-ctr-hmac-sha256-32"},
    {E2EE_SUITE_AES_128_GCM_SHA256_128, "AES_128_GCM_SHA256_128",
        "aes-128-gcm-sha256-128"},
    {E2EE_SUITE_AES_256_GCM_SHA512_128, "AES_256_GCM_SHA512_128",
        "aes-256-gcm-sha512-128"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstE2eeCipherSuite", values));
  return type;
}

GType
gst_e2ee_stream_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {E2EE_STREAM_AUDIO, "Audio (KID context 0)", "audio"},
    {E2EE_STREAM_VIDEO, "Camera video (KID context 1)", "video"},
    {E2EE_STREAM_CONTENT, "Content / screen share (KID context 2)", "content"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstE2eeStream", values));
  return type;
}

GType
gst_e2ee_key_usage_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {E2EE_KEY_SEND, "Send (e2eeenc)", "send"},
    {E2EE_KEY_RECV, "Receive (e2eedec)", "receive"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstE2eeKeyUsage",
            values));
  return type;
}

GstStructure *
gst_e2ee_stats_to_structure (const GstE2eeStats * s, const gchar * name)
{
  return gst_structure_new (name,
      "frames", G_TYPE_UINT64, s->frames,
      "bytes", G_TYPE_UINT64, s->bytes,
      "dropped-no-key", G_TYPE_UINT64, s->dropped_no_key,
      "auth-failed", G_TYPE_UINT64, s->auth_failed,
      "replayed", G_TYPE_UINT64, s->replayed,
      "unknown-kid", G_TYPE_UINT64, s->unknown_kid,
      "held", G_TYPE_UINT64, s->held,
      "malformed", G_TYPE_UINT64, s->malformed,
      "spliced", G_TYPE_UINT64, s->spliced, NULL);
}

GstE2eeCodec
gst_e2ee_codec_from_caps (GstCaps * caps)
{
  const gchar *name;

  if (!caps || gst_caps_get_size (caps) < 1)
    return GST_E2EE_CODEC_WHOLE;
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (g_str_equal (name, "video/x-h264"))
    return GST_E2EE_CODEC_H264;
  if (g_str_equal (name, "video/x-h265"))
    return GST_E2EE_CODEC_H265;
  if (g_str_equal (name, "video/x-vp8"))
    return GST_E2EE_CODEC_VP8;
  return GST_E2EE_CODEC_WHOLE;
}

gboolean
gst_e2ee_scratch_reserve (GstE2eeScratch * s, gsize size, gsize keep)
{
  guint8 *p;
  gsize n;

  if (size <= s->size)
    return TRUE;
  n = MAX (size + size / 2, 64 * 1024);
  p = g_try_malloc (n);
  if (!p)
    return FALSE;
  if (keep)
    memcpy (p, s->data, MIN (keep, s->size));
  gst_e2ee_scratch_free (s);
  s->data = p;
  s->size = n;
  return TRUE;
}

void
gst_e2ee_scratch_free (GstE2eeScratch * s)
{
  if (s->data) {
    e2ee_wipe (s->data, s->size);
    g_free (s->data);
  }
  s->data = NULL;
  s->size = 0;
}

/*
 * The wiping pool: buffers of one memory each, g_malloc'd and wrapped so
 * that the memory is wiped when it is finally freed, by whoever holds it
 * last (a buffer can outlive its pool downstream). The extent written is
 * tracked per memory so that a buffer coming back costs a wipe of what it
 * held, not of the whole (up to 1.5 times the largest frame) allocation.
 */
typedef struct
{
  guint8 *data;
  gsize maxsize;
  gsize dirty;                  /* bytes from data that may hold plaintext */
} WipeMem;

typedef struct
{
  GstBufferPool parent;
  gsize size;
  gint64 wiped;                 /* atomic: buffers come back on any thread */
} GstE2eeWipePool;

typedef struct
{
  GstBufferPoolClass parent_class;
} GstE2eeWipePoolClass;

static GType gst_e2ee_wipe_pool_get_type (void);
G_DEFINE_TYPE (GstE2eeWipePool, gst_e2ee_wipe_pool, GST_TYPE_BUFFER_POOL);

static GQuark
wipe_mem_quark (void)
{
  static GQuark q;

  if (!q)
    q = g_quark_from_static_string ("GstE2eeWipeMem");
  return q;
}

static void
wipe_mem_free (gpointer user)
{
  WipeMem *w = user;

  e2ee_wipe (w->data, w->maxsize);
  g_free (w->data);
  g_free (w);
}

static gboolean
wipe_pool_set_config (GstBufferPool * pool, GstStructure * config)
{
  guint size;

  if (!gst_buffer_pool_config_get_params (config, NULL, &size, NULL, NULL))
    return FALSE;
  ((GstE2eeWipePool *) pool)->size = size;
  return GST_BUFFER_POOL_CLASS (gst_e2ee_wipe_pool_parent_class)->set_config
      (pool, config);
}

static GstFlowReturn
wipe_pool_alloc (GstBufferPool * pool, GstBuffer ** buf,
    GstBufferPoolAcquireParams * params)
{
  gsize size = ((GstE2eeWipePool *) pool)->size;
  WipeMem *w = g_new0 (WipeMem, 1);

  /* A frame's worth: may fail without aborting the process. */
  w->data = g_try_malloc (size);
  if (!w->data) {
    g_free (w);
    return GST_FLOW_ERROR;
  }
  w->maxsize = size;
  *buf = gst_buffer_new ();
  gst_buffer_append_memory (*buf, gst_memory_new_wrapped (0, w->data, size, 0,
          size, w, wipe_mem_free));
  gst_mini_object_set_qdata (GST_MINI_OBJECT (*buf), wipe_mem_quark (), w,
      NULL);
  return GST_FLOW_OK;
}

/*
 * The memory of buf as this pool made it, or NULL: a buffer whose memory
 * was added, removed or replaced carries TAG_MEMORY (and the pool discards
 * it: its memory is wiped when freed).
 */
static WipeMem *
wipe_mem_of (GstBuffer * buf)
{
  if (gst_buffer_n_memory (buf) != 1
      || GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_TAG_MEMORY))
    return NULL;
  return gst_mini_object_get_qdata (GST_MINI_OBJECT (buf), wipe_mem_quark ());
}

/* Before the size is reset to the whole: what downstream left counts too. */
static void
wipe_pool_reset (GstBufferPool * pool, GstBuffer * buf)
{
  WipeMem *w = wipe_mem_of (buf);

  if (w) {
    GstMemory *mem = gst_buffer_peek_memory (buf, 0);

    w->dirty = MIN (MAX (w->dirty, mem->offset + mem->size), w->maxsize);
  }
  GST_BUFFER_POOL_CLASS (gst_e2ee_wipe_pool_parent_class)->reset_buffer
      (pool, buf);
}

static void
wipe_pool_release (GstBufferPool * pool, GstBuffer * buf)
{
  WipeMem *w = wipe_mem_of (buf);

  /* Only memory no one else holds (a share downstream still reads it):
   * that one is wiped when freed, by its last holder. */
  if (w && gst_buffer_is_all_memory_writable (buf)) {
    e2ee_wipe (w->data, w->dirty);
    __atomic_add_fetch (&((GstE2eeWipePool *) pool)->wiped, (gint64) w->dirty,
        __ATOMIC_RELAXED);
    w->dirty = 0;
  }
  GST_BUFFER_POOL_CLASS (gst_e2ee_wipe_pool_parent_class)->release_buffer
      (pool, buf);
}

static void
gst_e2ee_wipe_pool_class_init (GstE2eeWipePoolClass * klass)
{
  GstBufferPoolClass *pc = GST_BUFFER_POOL_CLASS (klass);

  pc->set_config = wipe_pool_set_config;
  pc->alloc_buffer = wipe_pool_alloc;
  pc->reset_buffer = wipe_pool_reset;
  pc->release_buffer = wipe_pool_release;
}

static void
gst_e2ee_wipe_pool_init (GstE2eeWipePool * pool)
{
}

static guint64
wipe_pool_wiped (GstBufferPool * pool)
{
  return (guint64) __atomic_load_n (&((GstE2eeWipePool *) pool)->wiped,
      __ATOMIC_RELAXED);
}

GstBuffer *
gst_e2ee_out_pool_acquire (GstE2eeOutPool * p, gsize size)
{
  GstBuffer *buf = NULL;

  if (!p->pool || size > p->buffer_size) {
    GstStructure *config;
    gsize n;

    /* The pool's size is a guint: never truncated (the elements cap frames
     * far below this anyway). */
    if (size > G_MAXUINT / 3 * 2)
      return NULL;
    n = MAX (size + size / 2, 4096);
    gst_e2ee_out_pool_free (p);
    p->pool = p->wipe ? g_object_new (gst_e2ee_wipe_pool_get_type (), NULL) :
        gst_buffer_pool_new ();
    if (p->wipe)
      gst_object_ref_sink (p->pool);
    config = gst_buffer_pool_get_config (p->pool);
    gst_buffer_pool_config_set_params (config, NULL, (guint) n, 0, 0);
    if (!gst_buffer_pool_set_config (p->pool, config)
        || !gst_buffer_pool_set_active (p->pool, TRUE)) {
      gst_e2ee_out_pool_free (p);
      return NULL;
    }
    p->buffer_size = n;
  }
  if (gst_buffer_pool_acquire_buffer (p->pool, &buf, NULL) != GST_FLOW_OK)
    return NULL;
  gst_buffer_set_size (buf, (gssize) size);
  if (p->wipe) {
    WipeMem *w = wipe_mem_of (buf);

    /* What this element may write; a pool buffer always is one of ours. */
    if (w)
      w->dirty = MAX (w->dirty, size);
  }
  return buf;
}

void
gst_e2ee_out_pool_free (GstE2eeOutPool * p)
{
  if (p->pool) {
    if (p->wipe)
      p->wiped += wipe_pool_wiped (p->pool);
    /* Idle buffers are freed (and their memory wiped) now, the ones still
     * downstream when they come back. */
    gst_buffer_pool_set_active (p->pool, FALSE);
    gst_object_unref (p->pool);
  }
  p->pool = NULL;
  p->buffer_size = 0;
}

guint64
gst_e2ee_out_pool_wiped (GstE2eeOutPool * p)
{
  return p->wiped + (p->pool && p->wipe ? wipe_pool_wiped (p->pool) : 0);
}

gint
gst_e2ee_keyring_add_checked (struct e2ee_keyring *ring, guint64 kid,
    enum e2ee_key_usage usage, const guint8 * key, gsize len)
{
  gint ret = e2ee_keyring_add (ring, kid, usage, key, len);

  if (ret != -EEXIST)
    return ret;
  for (guint i = 0; i < E2EE_KEYRING_CAPACITY; i++) {
    const struct e2ee_keyring_slot *s = &ring->slot[i];

    if (!s->used || s->kid != kid)
      continue;
    if (s->usage == usage && s->base_key_len == len
        && sodium_memcmp (s->base_key, key, len) == 0)
      return 1;
    return -EKEYREJECTED;
  }
  return -EEXIST;
}

static gsize
ring_pages (void)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);

  return (sizeof (struct e2ee_keyring) + page - 1) / page * page;
}

struct e2ee_keyring *
gst_e2ee_ring_new (void)
{
  void *p = mmap (NULL, ring_pages (), PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (p == MAP_FAILED)
    g_error ("e2ee: cannot map %" G_GSIZE_FORMAT " bytes for keys",
        ring_pages ());
  /* Best effort: the media process is also made undumpable as a whole. */
  (void) madvise (p, ring_pages (), MADV_DONTDUMP);
  return p;
}

void
gst_e2ee_ring_free (struct e2ee_keyring *ring)
{
  if (!ring)
    return;
  e2ee_wipe (ring, ring_pages ());
  munmap (ring, ring_pages ());
}

guint64
gst_e2ee_now_ms (void)
{
  return (guint64) (g_get_monotonic_time () / 1000);
}

gboolean
gst_e2ee_ring_set_expiry (struct e2ee_keyring *ring, guint64 kid, gint64 ms)
{
  /* 0 means never to the keyring: a deadline is at least 1. */
  guint64 at = ms < 0 ? 0 : MAX (gst_e2ee_now_ms () + (guint64) ms, 1);

  return e2ee_keyring_set_expiry (ring, kid, at) == 0;
}

guint
gst_e2ee_ring_expire (struct e2ee_keyring *ring)
{
  return e2ee_keyring_expire (ring, gst_e2ee_now_ms ());
}

gboolean
gst_e2ee_rate_ok (GstE2eeRateLimit * r, gint kind, gint64 interval_us)
{
  gint64 now = g_get_monotonic_time ();

  if (r->last_us[kind] && now - r->last_us[kind] < interval_us)
    return FALSE;
  r->last_us[kind] = now;
  return TRUE;
}


/* One line: "KID send|recv HEX". The key bytes never reach an error message. */
static gboolean
parse_key_line (gchar * line, guint64 * kid, enum e2ee_key_usage *usage,
    guint8 key[static E2EE_SFRAME_MAX_BASE_KEY], gsize * key_len)
{
  gchar *save = NULL, *tok_kid, *tok_usage, *tok_key, *end = NULL;
  gsize n;

  tok_kid = strtok_r (line, " \t", &save);
  tok_usage = strtok_r (NULL, " \t", &save);
  tok_key = strtok_r (NULL, " \t\r\n", &save);
  if (!tok_kid || !tok_usage || !tok_key || strtok_r (NULL, " \t\r\n", &save))
    return FALSE;
  if (tok_kid[0] < '0' || tok_kid[0] > '9')
    return FALSE;
  errno = 0;
  *kid = g_ascii_strtoull (tok_kid, &end, 10);
  if (errno || !end || *end)
    return FALSE;
  if (g_str_equal (tok_usage, "send"))
    *usage = E2EE_KEY_SEND;
  else if (g_str_equal (tok_usage, "recv") || g_str_equal (tok_usage, "receive"))
    *usage = E2EE_KEY_RECV;
  else
    return FALSE;
  n = strlen (tok_key);
  if (n % 2 || n == 0 || n / 2 > E2EE_SFRAME_MAX_BASE_KEY)
    return FALSE;
  if (e2ee_hex_decode (tok_key, n, key, E2EE_SFRAME_MAX_BASE_KEY) < 0)
    return FALSE;
  *key_len = n / 2;
  return TRUE;
}

gint
gst_e2ee_load_key_file (struct e2ee_keyring *ring, const gchar * path,
    enum e2ee_key_usage want, guint64 * first_kid, GError ** error)
{
  guint8 key[E2EE_SFRAME_MAX_BASE_KEY];
  gchar *text = NULL;
  gsize len = 0, key_len = 0;
  struct stat st;
  gint fd, added = 0, lineno = 0;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot open key file %s: %s", path, g_strerror (errno));
    return -1;
  }
  if (fstat (fd, &st) || !S_ISREG (st.st_mode) || st.st_uid != geteuid ()
      || (st.st_mode & 077) || st.st_size > 64 * 1024) {
    close (fd);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
        "key file %s must be a regular file under 64 KiB owned by this user "
        "with mode 0600", path);
    return -1;
  }
  /* Read from the descriptor that was checked, not from the path again. */
  text = g_malloc0 ((gsize) st.st_size + 1);
  while (len < (gsize) st.st_size) {
    ssize_t r = read (fd, text + len, (gsize) st.st_size - len);

    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (gsize) r;
  }
  close (fd);
  /* Parsed in place, so that wiping text wipes every copy of a key. */
  for (gchar * l = text, *next; l && l < text + len; l = next) {
    guint64 kid;
    enum e2ee_key_usage usage;
    gchar *s;
    gint ret;

    next = strchr (l, '\n');
    if (next)
      *next++ = '\0';
    s = g_strstrip (l);
    lineno++;
    if (!*s || *s == '#')
      continue;
    if (!parse_key_line (s, &kid, &usage, key, &key_len)) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s:%d: expected \"KID send|recv HEX\" (1 to 64 key bytes)", path,
          lineno);
      added = -1;
      break;
    }
    if (usage != want) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s:%d: a %s key, this element takes %s keys", path, lineno,
          usage == E2EE_KEY_SEND ? "send" : "receive",
          want == E2EE_KEY_SEND ? "send" : "receive");
      added = -1;
      break;
    }
    ret = e2ee_keyring_add (ring, kid, usage, key, key_len);
    e2ee_wipe (key, sizeof (key));
    if (ret) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s:%d: cannot add key %" G_GUINT64_FORMAT ": %s", path, lineno, kid,
          g_strerror (-ret));
      added = -1;
      break;
    }
    if (added == 0 && first_kid)
      *first_kid = kid;
    added++;
  }
  e2ee_wipe (key, sizeof (key));
  e2ee_wipe (text, len);
  g_free (text);
  return added;
}
