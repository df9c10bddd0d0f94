// SPDX-License-Identifier: MIT
/* keyxchgd's control socket: the request parser, and the server over a real socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kx_ctl.h"

struct parse_case {
	const char *name, *line;
	int want;
	enum kx_ctl_cmd_type type;
};

static const struct parse_case cases[] = {
	{ "join host", "{\"id\":\"1\",\"cmd\":\"join\",\"meeting\":\"m1\",\"role\":\"host\",\"name\":\"Room 1\"}", 0, KX_CTL_JOIN },
	{ "join member", "{\"cmd\":\"join\",\"meeting\":\"m1\",\"role\":\"member\",\"name\":\"R\"}", 0, KX_CTL_JOIN },
	{ "bare admit (names no knock)", "{\"cmd\":\"admit\",\"participant\":3}", -EINVAL, 0 },
	{ "admit with knock", "{\"cmd\":\"admit\",\"participant\":3,\"knock\":\"00ff\"}", 0, KX_CTL_ADMIT },
	{ "admit knock not a string", "{\"cmd\":\"admit\",\"participant\":3,\"knock\":1}", -EINVAL, 0 },
	{ "admit with codeword", "{\"cmd\":\"admit\",\"participant\":3,\"codeword\":\"mavoj-pubip-gubad-gamiv\"}", 0, KX_CTL_ADMIT },
	{ "admit codeword not a string", "{\"cmd\":\"admit\",\"participant\":3,\"codeword\":7}", -EINVAL, 0 },
	{ "remove", "{\"cmd\":\"remove\",\"participant\":3}", 0, KX_CTL_REMOVE },
	{ "remove without participant", "{\"cmd\":\"remove\"}", -EINVAL, 0 },
	{ "end", "{\"cmd\":\"end\"}", 0, KX_CTL_END },
	{ "end with a member", "{\"cmd\":\"end\",\"participant\":3}", -EINVAL, 0 },
	{ "deny takes no codeword", "{\"cmd\":\"deny\",\"participant\":3,\"codeword\":\"x\"}", -EINVAL, 0 },
	{ "deny", "{\"cmd\":\"deny\",\"participant\":0}", 0, KX_CTL_DENY },
	{ "verify", "{\"cmd\":\"verify\",\"participant\":65534}", 0, KX_CTL_VERIFY },
	{ "leave", "{\"cmd\":\"leave\"}", 0, KX_CTL_LEAVE },
	{ "rekey", "{\"cmd\":\"rekey\",\"id\":\"r\"}", 0, KX_CTL_REKEY },
	{ "status", "{\"cmd\":\"status\"}", 0, KX_CTL_STATUS },
	{ "subscribe", "{\"cmd\":\"subscribe\",\"events\":[\"roster\",\"keys\",\"state\"]}", 0, KX_CTL_SUBSCRIBE },
	{ "not json", "{\"cmd\":", -EINVAL, 0 },
	{ "trailing garbage", "{\"cmd\":\"status\"} x", -EINVAL, 0 },
	{ "not an object", "[\"status\"]", -EINVAL, 0 },
	{ "no cmd", "{\"id\":\"1\"}", -EINVAL, 0 },
	{ "cmd not a string", "{\"cmd\":7}", -EINVAL, 0 },
	{ "unknown cmd", "{\"cmd\":\"export-keys\"}", -EPROTONOSUPPORT, 0 },
	{ "unknown member", "{\"cmd\":\"status\",\"key\":\"00\"}", -EINVAL, 0 },
	{ "member of another cmd", "{\"cmd\":\"leave\",\"participant\":1}", -EINVAL, 0 },
	{ "duplicate member", "{\"cmd\":\"admit\",\"participant\":1,\"participant\":2}", -EINVAL, 0 },
	{ "join without role", "{\"cmd\":\"join\",\"meeting\":\"m1\",\"name\":\"R\"}", -EINVAL, 0 },
	{ "join bad role", "{\"cmd\":\"join\",\"meeting\":\"m1\",\"role\":\"admin\",\"name\":\"R\"}", -EINVAL, 0 },
	{ "join empty name", "{\"cmd\":\"join\",\"meeting\":\"m1\",\"role\":\"host\",\"name\":\"\"}", -EINVAL, 0 },
	{ "join control char", "{\"cmd\":\"join\",\"meeting\":\"m\\u0001\",\"role\":\"host\",\"name\":\"R\"}", -EINVAL, 0 },
	{ "join NUL in name", "{\"cmd\":\"join\",\"meeting\":\"m\",\"role\":\"host\",\"name\":\"a\\u0000b\"}", -EINVAL, 0 },
	{ "admit negative", "{\"cmd\":\"admit\",\"participant\":-1}", -EINVAL, 0 },
	{ "admit too big", "{\"cmd\":\"admit\",\"participant\":65535}", -EINVAL, 0 },
	{ "admit string", "{\"cmd\":\"admit\",\"participant\":\"3\"}", -EINVAL, 0 },
	{ "admit float", "{\"cmd\":\"admit\",\"participant\":3.0}", -EINVAL, 0 },
	{ "subscribe empty", "{\"cmd\":\"subscribe\",\"events\":[]}", -EINVAL, 0 },
	{ "subscribe unknown", "{\"cmd\":\"subscribe\",\"events\":[\"secrets\"]}", -EINVAL, 0 },
	{ "id too long", "{\"cmd\":\"status\",\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", -EINVAL, 0 },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kx_ctl_cmd cmd;
		const char *err = NULL;
		int r = kx_ctl_parse(cases[i].line, strlen(cases[i].line), &cmd, &err);

		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].name, r, cases[i].want);
		if (r == 0)
			assert_int_equal(cmd.type, cases[i].type);
		else
			assert_non_null(err);
	}
}

static void test_parse_fields(void **state)
{
	static const char join[] =
		"{\"id\":\"req-7\",\"cmd\":\"join\",\"meeting\":\"m-42\",\"role\":\"host\",\"name\":\"Board room\"}";
	static const char sub[] = "{\"cmd\":\"subscribe\",\"events\":[\"keys\",\"state\"]}";
	struct kx_ctl_cmd cmd;
	const char *err;
	char *big;

	assert_int_equal(kx_ctl_parse(join, strlen(join), &cmd, &err), 0);
	assert_string_equal(cmd.id, "req-7");
	assert_string_equal(cmd.meeting, "m-42");
	assert_string_equal(cmd.name, "Board room");
	assert_true(cmd.host);
	assert_int_equal(kx_ctl_parse(sub, strlen(sub), &cmd, &err), 0);
	assert_int_equal(cmd.events, KX_CTL_EV_KEYS | KX_CTL_EV_STATE);
	big = malloc(KX_CTL_LINE_MAX + 2);
	memset(big, ' ', KX_CTL_LINE_MAX + 1);
	assert_int_equal(kx_ctl_parse(big, KX_CTL_LINE_MAX + 1, &cmd, &err), -EMSGSIZE);
	free(big);
}

struct server_state {
	char dir[64], path[96];
	struct kx_ctl_server *s;
	int requests;
	struct kx_ctl_cmd last;
};

static void on_request(void *user, int client, const struct kx_ctl_cmd *cmd)
{
	struct server_state *st = user;

	if (cmd->type == KX_CTL_SUBSCRIBE)
		return; /* answered by the server already */
	st->requests++;
	st->last = *cmd;
	assert_int_equal(kx_ctl_reply(st->s, client, cmd, cmd->type == KX_CTL_LEAVE ? -ENOTCONN : 0,
				      cmd->type == KX_CTL_LEAVE ? "not in a meeting" : NULL,
				      cmd->type == KX_CTL_STATUS ? "{\"state\":\"idle\"}" : NULL),
			 0);
}

static int client_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(addr.sun_path, path);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return -1;
	return fd;
}

/* Runs the server until the client has a line to read, then reads it. */
static char *exchange(struct server_state *st, int fd, const char *request)
{
	static char line[4096];
	size_t len = 0;

	if (request)
		assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	for (int round = 0; round < 200; round++) {
		struct pollfd fds[1 + KX_CTL_CLIENTS_MAX], cp = { .fd = fd, .events = POLLIN };
		size_t n = kx_ctl_server_fds(st->s, fds);

		poll(fds, n, 20);
		kx_ctl_server_pump(st->s, fds, n, on_request, st);
		if (poll(&cp, 1, 0) == 1) {
			ssize_t r = read(fd, line + len, sizeof(line) - 1 - len);

			if (r <= 0)
				return NULL;
			len += (size_t)r;
			if (memchr(line, '\n', len)) {
				line[len] = '\0';
				return line;
			}
		}
	}
	return NULL;
}

static int setup(void **state)
{
	struct server_state *st = calloc(1, sizeof(*st));

	strcpy(st->dir, "/tmp/kxctl-test-XXXXXX");
	if (!mkdtemp(st->dir))
		return -1;
	snprintf(st->path, sizeof(st->path), "%s/kx.sock", st->dir);
	if (kx_ctl_server_open(st->path, &st->s, NULL, 0, (uid_t)-1))
		return -1;
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	struct server_state *st = *state;

	kx_ctl_server_close(st->s);
	rmdir(st->dir);
	free(st);
	return 0;
}

static void test_requests_and_replies(void **state)
{
	struct server_state *st = *state;
	int fd = client_connect(st->path);
	char *line;

	assert_true(fd >= 0);
	line = exchange(st, fd, "{\"id\":\"a\",\"cmd\":\"status\"}\n");
	assert_non_null(line);
	assert_non_null(strstr(line, "\"id\":\"a\""));
	assert_non_null(strstr(line, "\"ok\":true"));
	assert_non_null(strstr(line, "\"state\":\"idle\""));
	assert_int_equal(st->last.type, KX_CTL_STATUS);

	line = exchange(st, fd, "{\"id\":\"b\",\"cmd\":\"leave\"}\n");
	assert_non_null(strstr(line, "\"ok\":false"));
	assert_non_null(strstr(line, "not in a meeting"));

	/* A bad request is answered, never passed on. */
	line = exchange(st, fd, "{\"cmd\":\"export-keys\"}\n");
	assert_non_null(strstr(line, "\"ok\":false"));
	assert_int_equal(st->requests, 2);
	close(fd);
}

static void test_events_by_subscription(void **state)
{
	struct server_state *st = *state;
	int a = client_connect(st->path), b = client_connect(st->path);
	char *line;

	assert_non_null(strstr(exchange(st, a, "{\"cmd\":\"subscribe\",\"events\":[\"roster\"]}\n"),
			       "\"ok\":true"));
	assert_non_null(strstr(exchange(st, b, "{\"cmd\":\"subscribe\",\"events\":[\"keys\"]}\n"),
			       "\"ok\":true"));
	assert_int_equal(kx_ctl_broadcast(st->s, KX_CTL_EV_ROSTER, "{\"event\":\"roster\"}"), 1);
	line = exchange(st, a, NULL);
	assert_non_null(strstr(line, "roster"));
	assert_int_equal(kx_ctl_broadcast(st->s, KX_CTL_EV_KEYS, "{\"event\":\"media-key\"}"), 1);
	line = exchange(st, b, NULL);
	assert_non_null(strstr(line, "media-key"));
	close(a);
	close(b);
}

/*
 * SO_PEERCRED: a peer of another uid is refused; one that is allowed may
 * talk but not take media keys. Needs root to act as another uid.
 */
static void test_peer_credentials(void **state)
{
	struct server_state *st = *state;
	const uid_t other = 65534;
	struct kx_ctl_server *s2;
	pid_t pid;
	int status;

	if (geteuid() != 0)
		fail_msg("this test needs root (to connect as uid 65534)");
	assert_int_equal(chmod(st->dir, 0755), 0);
	assert_int_equal(chmod(st->path, 0666), 0);
	pid = fork();
	if (pid == 0) {
		int fd;

		if (setuid(other))
			_exit(10);
		fd = client_connect(st->path);
		if (fd < 0)
			_exit(11);
		/* The server closes a refused peer: the read ends. */
		char c;
		_exit(read(fd, &c, 1) == 0 ? 0 : 12);
	}
	for (int i = 0; i < 100 && kx_ctl_refused(st->s) == 0; i++) {
		struct pollfd fds[1 + KX_CTL_CLIENTS_MAX];
		size_t n = kx_ctl_server_fds(st->s, fds);

		poll(fds, n, 20);
		kx_ctl_server_pump(st->s, fds, n, on_request, st);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(kx_ctl_refused(st->s), 1);

	/* The media daemon: keys yes, commands no (a decoder exploit must not admit). */
	kx_ctl_server_close(st->s);
	assert_int_equal(kx_ctl_server_open(st->path, &s2, NULL, 0, other), 0);
	st->s = s2;
	assert_int_equal(chmod(st->path, 0666), 0);
	pid = fork();
	if (pid == 0) {
		char buf[1024] = { 0 };
		size_t got = 0;
		int fd;

		if (setuid(other))
			_exit(10);
		fd = client_connect(st->path);
		if (fd < 0)
			_exit(11);
		static const char req[] = "{\"cmd\":\"subscribe\",\"events\":[\"keys\"]}\n"
					  "{\"cmd\":\"admit\",\"participant\":2,\"knock\":\"00\"}\n";

		if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
			_exit(12);
		while (got < sizeof(buf) - 1 && !strstr(buf, "only subscribe")) {
			ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);

			if (r <= 0)
				break;
			got += (size_t)r;
		}
		_exit(strstr(buf, "\"ok\":true") && strstr(buf, "only subscribe") ? 0 : 13);
	}
	for (int i = 0; i < 100; i++) {
		struct pollfd fds[1 + KX_CTL_CLIENTS_MAX];
		size_t n = kx_ctl_server_fds(st->s, fds);
		pid_t w;

		poll(fds, n, 20);
		kx_ctl_server_pump(st->s, fds, n, on_request, st);
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(st->requests, 0);

	/* Allowed, but not the media daemon: no keys. */
	kx_ctl_server_close(st->s);
	assert_int_equal(kx_ctl_server_open(st->path, &s2, &other, 1, (uid_t)-1), 0);
	st->s = s2;
	assert_int_equal(chmod(st->path, 0666), 0);
	pid = fork();
	if (pid == 0) {
		char buf[512] = { 0 };
		int fd;
		ssize_t r;

		if (setuid(other))
			_exit(10);
		fd = client_connect(st->path);
		if (fd < 0)
			_exit(11);
		if (write(fd, "{\"cmd\":\"subscribe\",\"events\":[\"keys\"]}\n", 38) != 38)
			_exit(12);
		r = read(fd, buf, sizeof(buf) - 1);
		_exit(r > 0 && strstr(buf, "\"ok\":false") && strstr(buf, "media daemon") ? 0 : 13);
	}
	for (int i = 0; i < 100; i++) {
		struct pollfd fds[1 + KX_CTL_CLIENTS_MAX];
		size_t n = kx_ctl_server_fds(st->s, fds);
		pid_t w;

		poll(fds, n, 20);
		kx_ctl_server_pump(st->s, fds, n, on_request, st);
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(kx_ctl_refused(st->s), 0);
}

static char logged[256];

static void log_line(const char *line)
{
	snprintf(logged, sizeof(logged), "%s", line);
}

/* Polls and pumps until the server took n requests in all (bounded: 200 rounds). */
static void pump_until(struct server_state *st, int n)
{
	for (int round = 0; round < 200 && st->requests < n; round++) {
		struct pollfd fds[1 + KX_CTL_CLIENTS_MAX];
		size_t k = kx_ctl_server_fds(st->s, fds);

		poll(fds, k, 20);
		kx_ctl_server_pump(st->s, fds, k, on_request, st);
	}
	assert_int_equal(st->requests, n);
}

/* One pump with nothing new from poll: what kx_ctl_server_pending() promised. */
static void pump_pending(struct server_state *st)
{
	struct pollfd fds[1 + KX_CTL_CLIENTS_MAX];
	size_t k = kx_ctl_server_fds(st->s, fds);

	assert_true(kx_ctl_server_pending(st->s));
	poll(fds, k, 0);
	kx_ctl_server_pump(st->s, fds, k, on_request, st);
}

/*
 * One request per client per pump: three lines in one write (then the
 * client shuts its side) reach the callback one pump at a time, the
 * server says it has more waiting meanwhile, and each is answered before
 * the half-closed client is let go.
 */
static void test_one_request_per_pump(void **state)
{
	static const char req[] = "{\"id\":\"a\",\"cmd\":\"status\"}\n"
				  "{\"id\":\"b\",\"cmd\":\"status\"}\n"
				  "{\"id\":\"c\",\"cmd\":\"status\"}\n";
	struct server_state *st = *state;
	int fd = client_connect(st->path);
	char buf[1024] = { 0 };
	size_t got = 0;
	ssize_t r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	pump_until(st, 1);
	assert_true(kx_ctl_server_pending(st->s));
	pump_pending(st);
	assert_int_equal(st->requests, 2);
	pump_pending(st);
	assert_int_equal(st->requests, 3);
	/* Answered, then let go: nothing waits any more. */
	for (int round = 0; round < 10 && kx_ctl_server_pending(st->s); round++)
		pump_pending(st);
	assert_false(kx_ctl_server_pending(st->s));
	while (got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	assert_non_null(strstr(buf, "\"id\":\"a\""));
	assert_non_null(strstr(buf, "\"id\":\"c\""));
	assert_true(strstr(buf, "\"id\":\"a\"") < strstr(buf, "\"id\":\"b\""));
	assert_true(strstr(buf, "\"id\":\"b\"") < strstr(buf, "\"id\":\"c\""));
	assert_int_equal(kx_ctl_dropped(st->s), 0);
	close(fd);
}

/* A client that queues more than its 64 KiB buffer of requests is dropped, told and said. */
static void test_queue_bound(void **state)
{
	static const char line[] = "{\"cmd\":\"status\"}\n";
	struct server_state *st = *state;
	size_t lines = KX_CTL_LINE_MAX / (sizeof(line) - 1) + 16, len = lines * (sizeof(line) - 1);
	char *req = malloc(len), buf[512] = { 0 };
	int fd = client_connect(st->path);
	size_t got = 0;
	ssize_t r;

	assert_non_null(req);
	assert_true(fd >= 0);
	for (size_t i = 0; i < lines; i++)
		memcpy(req + i * (sizeof(line) - 1), line, sizeof(line) - 1);
	logged[0] = '\0';
	kx_ctl_server_set_log(st->s, log_line);
	assert_int_equal(write(fd, req, len), (ssize_t)len);
	for (int round = 0; round < 200 && !kx_ctl_dropped(st->s); round++) {
		struct pollfd fds[1 + KX_CTL_CLIENTS_MAX];
		size_t k = kx_ctl_server_fds(st->s, fds);

		poll(fds, k, 20);
		kx_ctl_server_pump(st->s, fds, k, on_request, st);
	}
	assert_int_equal(kx_ctl_dropped(st->s), 1);
	assert_int_equal(st->requests, 0); /* dropped before any was answered */
	assert_non_null(strstr(logged, "queued more than 64 KiB of requests"));
	while (got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	assert_non_null(strstr(buf, "\"error\":\"more than 64 KiB of requests waiting for their "
				    "replies\""));
	free(req);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test_setup_teardown(test_requests_and_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_by_subscription, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_request_per_pump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bound, setup, teardown),
	};

	return cmocka_run_group_tests_name("kx_ctl", tests, NULL, NULL);
}
