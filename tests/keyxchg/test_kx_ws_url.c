// SPDX-License-Identifier: MIT
/*
 * The meeting service's address (keyxchg/net/kx_ws_url.h): a table of named
 * addresses, each accepted (with the host, port and path it gives) or
 * refused with its reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../keyxchg/net/kx_ws_url.h"

struct vec {
	const char *name, *url;
	const char *host; /* NULL: refused */
	uint16_t port;
	const char *path;
	const char *why; /* refused: a part of the reason */
};

static const struct vec vecs[] = {
	{ "a name", "wss://relay.example.org", "relay.example.org", 443, "", NULL },
	{ "a name and a port", "wss://relay.example.org:8443", "relay.example.org", 8443, "", NULL },
	{ "an address, port, path", "wss://127.0.0.1:9000/sealroom/v2", "127.0.0.1", 9000,
	  "/sealroom/v2", NULL },
	{ "a lone slash", "wss://localhost/", "localhost", 443, "", NULL },
	{ "port 65535", "wss://a:65535", "a", 65535, "", NULL },
	{ "path characters", "wss://a/x-y_z.~1", "a", 443, "/x-y_z.~1", NULL },
	{ "http", "http://relay.example.org", NULL, 0, NULL, "start with wss://" },
	{ "ws", "ws://relay.example.org", NULL, 0, NULL, "start with wss://" },
	{ "upper-case scheme", "WSS://relay", NULL, 0, NULL, "start with wss://" },
	{ "empty", "", NULL, 0, NULL, "empty" },
	{ "no host", "wss://", NULL, 0, NULL, "no host" },
	{ "no host, a port", "wss://:443", NULL, 0, NULL, "no host" },
	{ "user info", "wss://me@relay", NULL, 0, NULL, "no user" },
	{ "IPv6", "wss://[::1]:443", NULL, 0, NULL, "no IPv6" },
	{ "a space", "wss://relay example", NULL, 0, NULL, "letters, digits" },
	{ "an empty label", "wss://relay..org", NULL, 0, NULL, "empty label" },
	{ "a trailing dot", "wss://relay.org.", NULL, 0, NULL, "empty label" },
	{ "a label ending in -", "wss://relay-.org", NULL, 0, NULL, "starts or ends" },
	{ "a 64-byte label",
	  "wss://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org", NULL, 0, NULL,
	  "longer than 63" },
	{ "three numbers", "wss://1.2.3", NULL, 0, NULL, "IPv4" },
	{ "an octet over 255", "wss://1.2.3.256", NULL, 0, NULL, "IPv4" },
	{ "a leading zero", "wss://1.2.3.04", NULL, 0, NULL, "IPv4" },
	{ "port 0", "wss://a:0", NULL, 0, NULL, "1..65535" },
	{ "port 65536", "wss://a:65536", NULL, 0, NULL, "1..65535" },
	{ "port with a leading zero", "wss://a:0443", NULL, 0, NULL, "1..65535" },
	{ "an empty port", "wss://a:", NULL, 0, NULL, "1..65535" },
	{ "a signed port", "wss://a:+443", NULL, 0, NULL, "1..65535" },
	{ "a port and junk", "wss://a:443x", NULL, 0, NULL, "1..65535" },
	{ "a query", "wss://a/x?y=1", NULL, 0, NULL, "no query" },
	{ "a fragment", "wss://a/x#y", NULL, 0, NULL, "no query" },
	{ "an escape", "wss://a/x%2f", NULL, 0, NULL, "no query" },
	{ "a dot-dot segment", "wss://a/x/../y", NULL, 0, NULL, "'..'" },
	{ "a dot segment", "wss://a/./y", NULL, 0, NULL, "'..'" },
	{ "a double slash", "wss://a//y", NULL, 0, NULL, "empty segment" },
	{ "a trailing slash", "wss://a/y/", NULL, 0, NULL, "empty segment" },
	{ "a newline", "wss://a/y\n", NULL, 0, NULL, "no query" },
	{ "too long",
	  "wss://a/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  NULL, 0, NULL, "longer than 128" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		struct kx_ws_url u;
		const char *why = NULL;
		int r = kx_ws_url_parse(v->url, strlen(v->url), &u, &why);

		print_message("%s: %s\n", v->name, r ? why : "accepted");
		if (v->host) {
			assert_int_equal(r, 0);
			assert_null(why);
			assert_string_equal(u.host, v->host);
			assert_int_equal(u.port, v->port);
			assert_string_equal(u.path, v->path);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_non_null(why);
			if (!strstr(why, v->why))
				fail_msg("%s: the reason \"%s\" does not say \"%s\"", v->name, why,
					 v->why);
		}
	}
}

/* A NUL inside, and the length honoured (no reading past it). */
static void test_bounds(void **state)
{
	struct kx_ws_url u;
	const char *why;

	(void)state;
	assert_int_equal(kx_ws_url_parse("wss://a\0b", 9, &u, &why), -EINVAL);
	assert_non_null(strstr(why, "NUL"));
	assert_int_equal(kx_ws_url_parse("wss://ab:443/xyz", 7, &u, &why), 0);
	assert_string_equal(u.host, "a");
	assert_int_equal(u.port, 443);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
