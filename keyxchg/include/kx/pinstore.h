/* SPDX-License-Identifier: MIT */
/*
 * Trust on first use (keying.md "The codeword", "Pinned"): the first IK seen
 * for a device id is remembered; a different IK later is CHANGED, reported
 * loudly (kx_warn) and never admitted automatically: only an explicit
 * kx_pin_replace() (after people compared codewords) re-pins.
 *
 * File: <state_dir>/pins, mode 0600 in the 0700 state directory, one pin per
 * line, "<device id> <IK as 64 lowercase hex digits>\n", sorted by nothing in
 * particular; rewritten whole (temporary file, fsync, rename) on each change.
 * A file with group or other bits, another owner, a symlink, or a malformed
 * line is refused (-EPERM, -EBADMSG).
 *
 * Call order: kx_pin_open(), kx_pin_check() / kx_pin_add() / kx_pin_replace(),
 * kx_pin_close() always (safe on a zeroed struct).
 */
#ifndef KX_PINSTORE_H
#define KX_PINSTORE_H

#include "kx/kx.h"

#define KX_PIN_FILE "pins"
#define KX_PIN_MAX  4096

enum kx_pin_status {
	KX_PIN_NEW = 1,	    /* never seen: ask the person, then kx_pin_add() */
	KX_PIN_SAME = 2,    /* pinned with this IK */
	KX_PIN_CHANGED = 3, /* pinned with ANOTHER IK: warn, never auto-admit */
};

struct kx_pin {
	char device[KX_DEVICE_MAX + 1];
	uint8_t ik[KX_IK_BYTES];
};

struct kx_pinstore {
	char *path;	     /* malloc'd: <state_dir>/pins */
	char *dir;	     /* malloc'd: state_dir */
	char *file;	     /* malloc'd: the file's name in it, KX_PIN_FILE or another */
	struct kx_pin *pins; /* malloc'd array */
	size_t n, cap;
};

/* Opens (or creates empty) the pin file of state_dir. Returns 0 or -errno. */
KX_API KX_NONNULL(1, 2) int kx_pin_open(const char *state_dir, struct kx_pinstore *ps);

/*
 * The same for another file of state_dir in the same format and with the
 * same checks (keyxchgd's allow list, KX_ALLOW_FILE); absent means empty.
 * name is a plain file name. Returns 0 or -errno.
 */
#define KX_ALLOW_FILE "allow"
KX_API KX_NONNULL(1, 2, 3) int kx_pin_open_file(const char *state_dir, const char *name,
						struct kx_pinstore *ps);

/* The IK listed for device into ik: true, or false when it is not listed. */
KX_NONNULL(1, 2, 3) bool kx_pin_lookup(const struct kx_pinstore *ps, const char *device,
				       uint8_t ik[static KX_IK_BYTES]);

/*
 * KX_PIN_NEW, KX_PIN_SAME or KX_PIN_CHANGED (positive), or -EINVAL (bad
 * device id). CHANGED is also reported through kx_warn().
 */
KX_API KX_NONNULL(1, 2, 3) int kx_pin_check(const struct kx_pinstore *ps, const char *device,
					    const uint8_t ik[static KX_IK_BYTES]);

/*
 * Pins a new device and saves the file. Returns 0 (also when already pinned
 * with this IK), -EKEYREJECTED (pinned with another IK: never overwritten
 * here), -ENOSPC (KX_PIN_MAX), -EINVAL, or -errno of the save.
 */
KX_API KX_NONNULL(1, 2, 3) int kx_pin_add(struct kx_pinstore *ps, const char *device,
					  const uint8_t ik[static KX_IK_BYTES]);

/* Re-pins a device to a new IK after a human decision, and saves. */
KX_API KX_NONNULL(1, 2, 3) int kx_pin_replace(struct kx_pinstore *ps, const char *device,
					      const uint8_t ik[static KX_IK_BYTES]);

KX_NONNULL(1) void kx_pin_close(struct kx_pinstore *ps);

/*
 * Parses pin-file contents (buf need not be NUL-terminated) into ps->pins,
 * replacing them. For kx_pin_open() and the fuzzer. Returns 0, -EBADMSG,
 * -ENOSPC, -ENOMEM.
 */
KX_API KX_NONNULL(1, 2) int kx_pin_parse(struct kx_pinstore *ps, const char *buf, size_t len);

/* True for a valid device id: 1..64 bytes of [A-Za-z0-9._:@-]. */
KX_NONNULL(1) bool kx_device_id_valid(const char *s, size_t len);

#endif
