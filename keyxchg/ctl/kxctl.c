// SPDX-License-Identifier: MIT
/*
 * kxctl: a command-line client of keyxchgd's control socket, for people and
 * for tests (keyxchg/CONTROL.md).
 *
 *   kxctl [--socket PATH] join --meeting M --role host|member [--name N] [--code CODE]
 *   kxctl [--socket PATH] admit PARTICIPANT --knock HASH | --codeword WORD
 *   kxctl [--socket PATH] deny|verify|remove PARTICIPANT
 *   kxctl [--socket PATH] leave|end|rekey|status
 *   kxctl [--socket PATH] set-room-name NAME | set-service wss://HOST[:PORT][/PATH] < PIN
 *   kxctl [--socket PATH] reset-identity | check-pin < PIN
 *   kxctl [--socket PATH] set-admin-pin < PIN NEW-PIN (two lines)
 *   kxctl [--socket PATH] events roster[,keys][,state] [--count N] [--seconds S]
 *
 * The settings and check-pin carry the admin PIN, read from the first line
 * of stdin (never argv: /proc shows argv to everyone), sent, and wiped.
 *
 * Prints the daemon's reply (or the events) as JSON lines. Exit 0 when the
 * reply says ok, 1 when it says why not, 2 on bad usage, 3 when the daemon
 * cannot be reached.
 *
 * Run as keyxchgd's own user, `events keys` gets media keys (CONTROL.md):
 * then they are on stdout as asked, and nowhere else in this process once a
 * line is printed: the line buffer is wiped as it is consumed, jansson's
 * copies through libe2ee's wiping allocator, stdout unbuffered.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "e2ee/secret.h"

#define DEFAULT_SOCKET "/run/sealroom/kx/keyxchgd.sock"

static int usage(void)
{
	fputs("usage: kxctl [--socket PATH] join --meeting M --role host|member [--name N] "
	      "[--code CODE]\n"
	      "       kxctl [--socket PATH] admit PARTICIPANT --knock HASH | --codeword WORD\n"
	      "       kxctl [--socket PATH] deny|verify|remove PARTICIPANT\n"
	      "       kxctl [--socket PATH] leave|end|rekey|status\n"
	      "       kxctl [--socket PATH] set-room-name NAME | set-service URL < PIN\n"
	      "       kxctl [--socket PATH] reset-identity | check-pin < PIN\n"
	      "       kxctl [--socket PATH] set-admin-pin < PIN NEW-PIN (two lines)\n"
	      "       kxctl [--socket PATH] events roster[,keys][,state] [--count N] [--seconds S]\n",
	      stderr);
	return 2;
}

/* A decimal number (a digit first) above 0 and at most max; else -1. */
static double positive(const char *s, double max)
{
	char *end;
	double v;

	if (!(*s >= '0' && *s <= '9'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	return (errno || *end || v <= 0 || v > max) ? -1 : v;
}

/*
 * An admin PIN from stdin's next line into req's member key (jansson's copy
 * is wiped when freed: e2ee_wiping_free). Returns 0, or 2 (usage) without one.
 */
static int pin_from_stdin(json_t *req, const char *key)
{
	char line[64];
	size_t n;
	int ret = 0;

	if (!fgets(line, sizeof(line), stdin)) {
		fputs("kxctl: this command takes the admin PIN on stdin (one line)\n", stderr);
		return 2;
	}
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	/* keyxchgd checks it: a malformed PIN is refused there, saying why. */
	if (json_object_set_new(req, key, json_stringn(line, n)))
		ret = 2;
	e2ee_wipe(line, sizeof(line));
	return ret;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_line(int fd, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	size_t len = text ? strlen(text) : 0;
	int ok = text && write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1;

	e2ee_wiping_free(text); /* jansson's allocator (main) */
	return ok ? 0 : -1;
}

/*
 * Reads lines until want events (0: until the reply to id; -1: every event
 * until the deadline) or the deadline. Returns the reply's "ok", 1 when want
 * events came (or the deadline of want -1 passed), or -1 when none came.
 */
static int read_lines(int fd, const char *id, long want, double seconds)
{
	/* Kept across calls: events that came in the same read as the reply. */
	static char buf[65537];
	static size_t len;
	long seen = 0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (bool first = true;; first = false) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t r;
		double el;

		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) * 1e-9;
		if (!first || !memchr(buf, '\n', len)) {
			if (el >= seconds || poll(&p, 1, (int)((seconds - el) * 1000) + 1) <= 0)
				return want < 0 ? 1 : -1;
			r = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (r <= 0)
				return -1;
			len += (size_t)r;
		}
		while ((nl = memchr(buf, '\n', len))) {
			json_t *o = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
			const char *rid;

			fwrite(buf, 1, (size_t)(nl - buf) + 1, stdout);
			fflush(stdout);
			{
				size_t had = len;

				len -= (size_t)(nl - buf) + 1;
				memmove(buf, nl + 1, len);
				e2ee_wipe(buf + len, had - len); /* the line, and the stale tail */
			}
			if (!o)
				continue;
			rid = json_string_value(json_object_get(o, "id"));
			if (id && rid && !strcmp(rid, id) && !want) {
				int ok = json_is_true(json_object_get(o, "ok"));

				json_decref(o);
				return ok;
			}
			if (json_object_get(o, "event") && want > 0 && ++seen >= want) {
				json_decref(o);
				return 1;
			}
			json_decref(o);
		}
		if (len == sizeof(buf) - 1)
			return -1;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "meeting", required_argument, NULL, 'm' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ "code", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("KXCTL_SOCKET"), *meeting = NULL, *role = NULL, *name = NULL;
	const char *code = NULL;
	long count = 0;
	double seconds = 10;
	bool events = false;
	char id[32];
	json_t *req;
	int c, fd, ok;

	if (!path)
		path = DEFAULT_SOCKET;
	json_set_alloc_funcs(e2ee_wiping_malloc, e2ee_wiping_free);
	setvbuf(stdout, NULL, _IONBF, 0);
	/* The admin PIN comes on stdin: no stdio buffer keeps a copy of it. */
	setvbuf(stdin, NULL, _IONBF, 0);
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'm':
			meeting = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'c':
			if ((count = positive(optarg, 1e9)) < 1)
				return usage();
			break;
		case 't':
			if ((seconds = positive(optarg, 86400)) <= 0)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc)
		return usage();
	snprintf(id, sizeof(id), "kxctl-%d", (int)getpid());
	req = json_pack("{s:s, s:s}", "id", id, "cmd", argv[optind]);
	if (!strcmp(argv[optind], "join")) {
		/* getopt stopped at the command: its own options follow it */
		optind++;
		while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
			if (c == 'm')
				meeting = optarg;
			else if (c == 'r')
				role = optarg;
			else if (c == 'n')
				name = optarg;
			else if (c == 'k')
				code = optarg;
			else if (c == 's')
				path = optarg;
			else
				return usage();
		}
		if (!meeting || !role || optind != argc)
			return usage();
		json_object_set_new(req, "meeting", json_string(meeting));
		json_object_set_new(req, "role", json_string(role));
		if (name) /* else the room's name (set-room-name) */
			json_object_set_new(req, "name", json_string(name));
		if (code)
			json_object_set_new(req, "code", json_string(code));
	} else if (!strcmp(argv[optind], "admit") || !strcmp(argv[optind], "deny") ||
		   !strcmp(argv[optind], "verify") || !strcmp(argv[optind], "remove")) {
		char *end;
		long p;

		bool admit = !strcmp(argv[optind], "admit");

		if (optind + 2 > argc)
			return usage();
		errno = 0;
		p = strtol(argv[optind + 1], &end, 10);
		if (errno || end == argv[optind + 1] || *end || p < 0 || p > 65534)
			return usage();
		json_object_set_new(req, "participant", json_integer(p));
		/* admit names the knock shown: --knock HASH or --codeword WORD (or both). */
		for (int i = optind + 2; admit && i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "--codeword"))
				json_object_set_new(req, "codeword", json_string(argv[i + 1]));
			else if (!strcmp(argv[i], "--knock"))
				json_object_set_new(req, "knock", json_string(argv[i + 1]));
			else
				return usage();
		}
		if (admit ? (argc - optind) % 2 || argc - optind < 4 || argc - optind > 6 :
			    optind + 2 != argc)
			return usage();
	} else if (!strcmp(argv[optind], "set-room-name") ||
		   !strcmp(argv[optind], "set-service")) {
		/* One argument, as typed: keyxchgd checks it (CONTROL.md). */
		if (optind + 2 != argc)
			return usage();
		json_object_set_new(req, !strcmp(argv[optind], "set-service") ? "url" : "name",
				    json_string(argv[optind + 1]));
		if (pin_from_stdin(req, "pin")) {
			json_decref(req);
			return 2;
		}
	} else if (!strcmp(argv[optind], "reset-identity") ||
		   !strcmp(argv[optind], "check-pin") || !strcmp(argv[optind], "set-admin-pin")) {
		if (optind + 1 != argc || pin_from_stdin(req, "pin") ||
		    (!strcmp(argv[optind], "set-admin-pin") && pin_from_stdin(req, "new_pin"))) {
			json_decref(req);
			return optind + 1 != argc ? usage() : 2;
		}
	} else if (!strcmp(argv[optind], "events")) {
		json_t *ev = json_array();
		char *list, *save = NULL;

		if (optind + 2 > argc)
			return usage();
		list = strdup(argv[optind + 1]);
		for (char *e = strtok_r(list, ",", &save); e; e = strtok_r(NULL, ",", &save))
			json_array_append_new(ev, json_string(e));
		free(list);
		json_object_set_new(req, "cmd", json_string("subscribe"));
		json_object_set_new(req, "events", ev);
		optind += 2;
		while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
			if (c == 'c' && (count = positive(optarg, 1e9)) < 1)
				return usage();
			if (c == 't' && (seconds = positive(optarg, 86400)) <= 0)
				return usage();
			if (c != 'c' && c != 't')
				return usage();
		}
		events = true;
		if (optind != argc)
			return usage();
	} else if (optind + 1 != argc) {
		return usage();
	}

	fd = connect_to(path);
	if (fd < 0) {
		fprintf(stderr, "kxctl: cannot reach keyxchgd at %s: %s\n", path, strerror(errno));
		json_decref(req);
		return 3;
	}
	if (send_line(fd, req)) {
		fprintf(stderr, "kxctl: cannot send to keyxchgd\n");
		close(fd);
		json_decref(req);
		return 3;
	}
	json_decref(req);
	ok = read_lines(fd, id, 0, seconds);
	/* events: N of them (--count), or all that come in S seconds (CONTROL.md) */
	if (ok == 1 && events)
		ok = read_lines(fd, NULL, count > 0 ? count : -1, seconds);
	close(fd);
	if (ok < 0) {
		fprintf(stderr, "kxctl: no answer from keyxchgd\n");
		return 3;
	}
	return ok ? 0 : 1;
}
