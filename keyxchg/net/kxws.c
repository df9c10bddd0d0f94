// SPDX-License-Identifier: MIT
/*
 * kxws: a command-line client of the signaling relay, over kx_ws (the
 * transport of keyxchgd), for people debugging a room and for tests.
 *
 *   kxws --ca FILE [--timeout-ms N] [--ping-ms N] [--idle-ms N]
 *        [--max-message N] [--count N] [--seconds S] [--send TEXT]...
 *        wss://HOST:PORT/PATH
 *
 * Prints "kxws: connected" on stderr once the upgrade is done, then each
 * message it receives on a line of its own on stdout; once the relay's
 * welcome has come, sends each --send TEXT (a whole envelope, see
 * tests/fixtures/relay.py); stops after --count messages or --seconds.
 * Exit 0, 1 when the connection fails or is lost before that (one line on
 * stderr, "kxws: connection lost: WHY"), 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kx_ws.h"

struct state {
	long count, seen;
	bool welcomed;
};

static void on_message(void *user, const char *text, size_t len)
{
	struct state *st = user;

	fwrite(text, 1, len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	if (!st->welcomed && len > 18 && strstr(text, "\"welcome\""))
		st->welcomed = true;
	st->seen++;
}

static int usage(void)
{
	fputs("usage: kxws --ca FILE [--timeout-ms N] [--ping-ms N] [--idle-ms N] "
	      "[--max-message N] [--count N] [--seconds S] [--send TEXT]... "
	      "wss://HOST:PORT/PATH\n",
	      stderr);
	return 2;
}

/* wss://HOST:PORT/PATH; the parts point into url, which is cut up. */
static int parse_url(char *url, struct kx_ws_config *cfg, char **path)
{
	char *host, *colon, *slash, *end;
	long port;

	if (strncmp(url, "wss://", 6))
		return -1;
	host = url + 6;
	slash = strchr(host, '/');
	colon = strchr(host, ':');
	if (!slash || !colon || colon > slash || colon == host)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (end != slash || port <= 0 || port > 65535)
		return -1;
	*path = strdup(slash);
	if (!*path)
		return -1;
	*colon = '\0';
	cfg->host = host;
	cfg->port = (uint16_t)port;
	cfg->path = *path;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "send", required_argument, NULL, 'm' },
		{ "ping-ms", required_argument, NULL, 'p' },
		{ "idle-ms", required_argument, NULL, 'i' },
		{ "max-message", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	struct kx_ws_config cfg = { .timeout_ms = 10000 };
	struct kx_ws_options opt = { 0 };
	struct state st = { .count = -1 };
	const char *sends[32], *detail = NULL;
	size_t nsend = 0;
	double seconds = 10;
	struct timespec t0, t;
	struct kx_ws *ws;
	char *url, *path = NULL;
	int c, ret, status = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg.ca_file = optarg;
			break;
		case 't':
			cfg.timeout_ms = atoi(optarg);
			break;
		case 'n':
			st.count = atol(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'p':
			opt.ping_interval_ms = atoi(optarg);
			break;
		case 'i':
			opt.idle_timeout_ms = atoi(optarg);
			break;
		case 'x':
			opt.max_message = (size_t)atol(optarg);
			break;
		case 'm':
			if (nsend == sizeof(sends) / sizeof(sends[0]))
				return usage();
			sends[nsend++] = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc || !cfg.ca_file)
		return usage();
	url = strdup(argv[optind]);
	if (!url || parse_url(url, &cfg, &path))
		return usage();
	/* Step by step (keyxchgd uses the blocking kx_ws_connect): both are tested. */
	ret = kx_ws_connect_start(&cfg, &ws, &detail);
	while (!ret) {
		struct pollfd p;

		ret = kx_ws_connect_step(ws, &detail);
		if (ret != -EINPROGRESS)
			break;
		p = (struct pollfd){ .fd = kx_ws_fd(ws), .events = kx_ws_connect_events(ws) };
		ret = poll(&p, 1, kx_ws_timeout_ms(ws)) < 0 && errno != EINTR ? -errno : 0;
	}
	if (ret) {
		fprintf(stderr, "kxws: %s (%s)\n", detail ? detail : "cannot connect",
			strerror(-ret));
		kx_ws_free(ws);
		free(url);
		free(path);
		return 1;
	}
	kx_ws_set_options(ws, &opt);
	fputs("kxws: connected\n", stderr);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = kx_ws_fd(ws), .events = POLLIN };

		if (st.welcomed && nsend) {
			for (size_t i = 0; i < nsend; i++)
				if (kx_ws_send(ws, sends[i], strlen(sends[i])))
					goto out;
			nsend = 0;
		}
		if (kx_ws_wants_write(ws))
			p.events |= POLLOUT;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9 >= seconds)
			break;
		if (st.count >= 0 && st.seen >= st.count && !nsend && !kx_ws_wants_write(ws))
			break;
		if (poll(&p, 1, kx_ws_timeout_ms(ws) < 100 ? kx_ws_timeout_ms(ws) : 100) < 0 &&
		    errno != EINTR)
			break;
		ret = kx_ws_pump(ws, on_message, &st);
		if (ret) {
			fprintf(stderr, "kxws: connection lost: %s (%s)\n", kx_ws_error(ws),
				strerror(-ret));
			status = 1;
			break;
		}
	}
out:
	kx_ws_free(ws);
	free(url);
	free(path);
	return status;
}
