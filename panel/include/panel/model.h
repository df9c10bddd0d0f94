/* SPDX-License-Identifier: MIT */
/*
 * panel_model: what keyxchgd says on its control socket (keyxchg/CONTROL.md:
 * the status reply, the roster, state, group-code, knock, host and sync
 * events) kept in a struct panel_state for the panel's screens. Strings are
 * copied only when they fit and are what the protocol allows (codewords in
 * wm_label's form, knock hashes of 64 hex digits, names up to 64 bytes of
 * UTF-8 without control characters); anything else leaves that entry out.
 * A roster naming one participant twice is refused whole (roster_refused:
 * no one shown, the panel says why) rather than one entry picked.
 * keyxchgd's sync reason is kept as text (valid UTF-8, cut at
 * PANEL_REASON_MAX, control characters made spaces); a sync value it does
 * not know counts as out of sync (fail closed: the room may not be sending).
 *
 * The connection's own state (kx_up) is the caller's: panel_model_lost
 * clears everything keyxchgd vouched for.
 */
#ifndef PANEL_MODEL_H
#define PANEL_MODEL_H

#include <stdbool.h>

#include <jansson.h>

#include "panel/view.h"

/*
 * One message from keyxchgd (a reply to "status" when is_status, else an
 * event). Returns true when st changed.
 */
__attribute__((nonnull)) bool panel_model_apply(struct panel_state *st, json_t *msg,
						bool is_status);

/* keyxchgd went away: no meeting, roster, lobby or codes are shown as its word. */
__attribute__((nonnull)) void panel_model_lost(struct panel_state *st);

#endif
