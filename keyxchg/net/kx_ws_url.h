/* SPDX-License-Identifier: MIT */
/*
 * The meeting service's address (keyxchg/DAEMON.md "The relay"): the one
 * URL form keyxchgd connects to, wss://host[:port][/path], parsed strictly.
 * It is typed on a panel and read back from the state directory, so it is
 * treated as untrusted text (fuzzed: tests/fuzz/fuzz_kx_ws_url.c).
 *
 *   host  a DNS name (labels of 1..63 letters, digits and '-', not starting
 *         or ending with '-', 253 bytes at most) or an IPv4 address in
 *         dotted decimal (no leading zeros); a name whose last label is all
 *         digits must be such an address. No IPv6 literal, no user info.
 *   port  1..65535 in decimal without leading zeros; 443 when absent.
 *   path  "" or "/" (both: none), or segments "/seg" of letters, digits and
 *         "-._~", none empty, "." or "..", no trailing '/'. The relay's
 *         rooms are under it: <path>/v1/rooms/<meeting>.
 *   No query, fragment, percent escape, space or other character; at most
 *   KX_WS_URL_MAX bytes.
 */
#ifndef KX_WS_URL_H
#define KX_WS_URL_H

#include <stddef.h>
#include <stdint.h>

#define KX_WS_URL_MAX  128
#define KX_WS_HOST_MAX 253

struct kx_ws_url {
	char host[KX_WS_HOST_MAX + 1];
	uint16_t port;
	char path[KX_WS_URL_MAX + 1]; /* "" or "/seg[/seg...]" */
};

/*
 * Parses s[0..len) (no NUL needed, one inside is refused). Returns 0 and
 * *out, or -EINVAL with *why (static text, one line) saying what is wrong.
 */
__attribute__((warn_unused_result, nonnull(3, 4))) int
kx_ws_url_parse(const char *s, size_t len, struct kx_ws_url *out, const char **why);

#endif
