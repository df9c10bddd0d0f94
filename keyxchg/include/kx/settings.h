/* SPDX-License-Identifier: MIT */
/*
 * Small settings files of the state directory (keyxchg/DAEMON.md "State
 * files"): the room's name and the meeting service's address, each one file
 * holding exactly its value (no newline), mode 0600 in the 0700 directory,
 * owned by us, never a symlink. Written atomically (a temporary file of the
 * same directory, fsync, rename, fsync of the directory): after a crash the
 * file holds the old value or the new one, never a mix. What a value may be
 * is the caller's check (the same at write and at read-back).
 */
#ifndef KX_SETTINGS_H
#define KX_SETTINGS_H

#include "kx/kx.h"

#define KX_ROOM_NAME_FILE "room-name"
#define KX_SERVICE_FILE	  "service-url"

/*
 * Reads state_dir/name into out (at most size - 1 bytes, NUL-terminated;
 * *len its length). Returns 0, -ENOENT (no such file: the value is not set),
 * -EPERM (wrong owner, mode, type, or a symlink: said loudly), -EFBIG (longer
 * than size - 1: said loudly), or another -errno.
 */
KX_API KX_NONNULL(1, 2, 3, 5) int kx_setting_read(const char *state_dir, const char *name,
						  char *out, size_t size, size_t *len);

/* Replaces state_dir/name with data[0..len) atomically. Returns 0, -errno
 * (nothing changed), or KX_NOT_SYNCED: the file holds the new value but the
 * directory's fsync failed (said loudly); the value is set, adopt it. */
KX_API KX_NONNULL(1, 2, 3) int kx_setting_write(const char *state_dir, const char *name,
						const void *data, size_t len);

/* Removes state_dir/name (the value is not set then; none is no error) and
 * syncs the directory. Returns 0 or -errno. */
KX_API KX_NONNULL(1, 2) int kx_setting_remove(const char *state_dir, const char *name);

/* Renames state_dir/name to name.bad (a file, or a symlink itself, kept for
 * a person to look at) and syncs the directory. Returns 0 or -errno. */
KX_API KX_NONNULL(1, 2) int kx_setting_move_aside(const char *state_dir, const char *name);

#endif
