/* SPDX-License-Identifier: MIT */
/* libkx internals shared by identity.c and pinstore.c; not an API. */
#ifndef KX_INTERNAL_H
#define KX_INTERNAL_H

#include <sys/stat.h>

#include "kx/kx.h"

/*
 * Opens (creating it 0700 when absent) the state directory and checks that
 * it is a directory of ours without group or other bits. Returns an fd or
 * -EPERM (loudly), -errno.
 */
int kx_state_dir_open(const char *dir);
/* Our own regular file (or directory) without group or other bits; else -EPERM, loudly. */
int kx_check_owner_only(const struct stat *st, const char *what, const char *path, bool dir);
/*
 * Opens name in the directory dfd for reading: a regular file of ours without
 * group or other bits, not a symlink (refused loudly as what at path, -EPERM);
 * *st its stat. Returns the fd, or -ENOENT (absent), -EPERM, -errno.
 */
int kx_open_owned(int dfd, const char *name, const char *what, const char *path,
		  struct stat *st);
/* Reads exactly len bytes. Returns 0, -EBADMSG (the file ended first), -errno. */
int kx_read_all(int fd, void *p, size_t len);
int kx_write_all(int fd, const void *p, size_t len);
/*
 * Replaces dir/name with data atomically: dir/name.tmp (0600, O_EXCL), fsync,
 * rename, fsync of the directory. Returns 0; -errno when nothing changed
 * (the old file stays); KX_NOT_SYNCED when the rename happened but the
 * directory's fsync failed twice (said loudly): the name holds the new data,
 * which the caller adopts (DAEMON.md "State files").
 */
int kx_replace_file(int dfd, const char *name, const void *data, size_t len);

#endif
