/* SPDX-License-Identifier: MIT */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
      "malformed", G_TYPE_UINT64, s->malformed, NULL);
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

GstBuffer *
gst_e2ee_out_pool_acquire (GstE2eeOutPool * p, gsize size)
{
  GstBuffer *buf = NULL;

  if (!p->pool || size > p->buffer_size) {
    GstStructure *config;
    gsize n = MAX (size + size / 2, 4096);

    gst_e2ee_out_pool_free (p);
    p->pool = gst_buffer_pool_new ();
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
  return buf;
}

void
gst_e2ee_out_pool_free (GstE2eeOutPool * p)
{
  if (p->pool) {
    gst_buffer_pool_set_active (p->pool, FALSE);
    gst_object_unref (p->pool);
  }
  p->pool = NULL;
  p->buffer_size = 0;
}

guint64
gst_e2ee_now_ms (void)
{
  return (guint64) (g_get_monotonic_time () / 1000);
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
