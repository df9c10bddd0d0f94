/* SPDX-License-Identifier: MIT */
/*
 * e2ee-media's hygiene (e2ee-media.h): nothing of the process in a core
 * dump, keys in memory left out of dumps and wiped, decrypted media in
 * files of this user's only (docs/media-path.md "The media process").
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "e2ee-media.h"
#include "e2ee/secret.h"
#include "e2ee/sframe.h"

/*
 * Nothing of this process in a core dump (it holds media keys and decrypted
 * pictures): not dumpable (which also keeps ptrace of other users and
 * /proc/PID/mem away), no core file at all.
 */
gboolean
gst_e2ee_media_make_undumpable (void)
{
  struct rlimit none = { 0, 0 };

  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) || setrlimit (RLIMIT_CORE, &none)) {
    g_printerr ("e2ee-media: cannot make the process undumpable: %s\n",
        g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* A page of its own for the key read from --key-file, left out of dumps. */
guint8 *
gst_e2ee_media_key_memory (void)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  void *p = mmap (NULL, page, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (p == MAP_FAILED)
    return NULL;
  if (madvise (p, page, MADV_DONTDUMP)) {
    munmap (p, page);
    return NULL;
  }
  return p;
}

void
gst_e2ee_media_key_memory_free (guint8 * p)
{
  if (!p)
    return;
  e2ee_wipe (p, (gsize) sysconf (_SC_PAGESIZE));
  munmap (p, (gsize) sysconf (_SC_PAGESIZE));
}

/*
 * Files of decrypted media (snapshots, the slices the wire test dumps) are
 * this user's alone, mode 0600, created new (O_EXCL, which never follows a
 * symlink either). private_file opens path itself, which must not exist;
 * fresh_file writes a new file beside path and renames it over path.
 */
FILE *
gst_e2ee_media_private_file (const gchar * path)
{
  gint fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
      0600);
  FILE *f = fd >= 0 ? fdopen (fd, "wb") : NULL;

  if (fd >= 0 && !f)
    close (fd);
  return f;
}

gboolean
gst_e2ee_media_fresh_file (const gchar * path, const guint8 * data, gsize len)
{
  gchar *tmp = g_strconcat (path, ".XXXXXX", NULL);
  gint fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  gboolean ok = fd >= 0;

  for (gsize done = 0; ok && done < len;) {
    gssize n = write (fd, data + done, len - done);

    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    done += ok ? (gsize) n : 0;
  }
  if (fd >= 0 && close (fd))
    ok = FALSE;
  if (ok && rename (tmp, path))
    ok = FALSE;
  if (!ok && fd >= 0)
    unlink (tmp);
  g_free (tmp);
  return ok;
}

static void
wipe_key_copy (gpointer p)
{
  e2ee_wipe (p, E2EE_SFRAME_MAX_BASE_KEY);
  g_free (p);
}

GBytes *
gst_e2ee_media_key_bytes (const guint8 * key, gsize len)
{
  guint8 *copy = g_malloc0 (E2EE_SFRAME_MAX_BASE_KEY);

  g_return_val_if_fail (len <= E2EE_SFRAME_MAX_BASE_KEY, NULL);
  memcpy (copy, key, len);
  return g_bytes_new_with_free_func (copy, len, wipe_key_copy, copy);
}

