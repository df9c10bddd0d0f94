// SPDX-License-Identifier: MIT
/*
 * keyxchgd's control socket server (kx_ctl.c) on arbitrary byte streams
 * from a real client connection: the framing (lines split across reads,
 * many lines in one, a last line without its newline, a half-close), one
 * request per client per pump, the requests left waiting. The input is
 * chunks: a length byte, then that many bytes written at once; the server
 * is pumped between writes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../keyxchg/ctl/kx_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kx_ctl_server *server;
static char path[108];
static size_t calls, lines_sent;

static void on_request(void *user, int client, const struct kx_ctl_cmd *cmd)
{
	(void)user;
	calls++;
	/* Every request handed on is answered, as keyxchgd does. */
	kx_ctl_reply(server, client, cmd, 0, NULL, NULL);
}

/* One pump: at most one request of the one client reaches the callback. */
static void pump(void)
{
	struct pollfd fds[1 + KX_CTL_CLIENTS_MAX];
	size_t n = kx_ctl_server_fds(server, fds), before = calls;

	poll(fds, n, 0);
	kx_ctl_server_pump(server, fds, n, on_request, NULL);
	if (calls - before > 1)
		abort();
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t i = 0;
	int fd;

	if (!server) {
		snprintf(path, sizeof(path), "/tmp/fuzz-kx-ctl-%d.sock", (int)getpid());
		if (kx_ctl_server_open(path, &server, NULL, 0, (uid_t)-1))
			abort();
	}
	calls = lines_sent = 0;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		abort();
	pump(); /* accepted */
	while (i < size) {
		size_t len = data[i++];

		if (len > size - i)
			len = size - i;
		for (size_t k = 0; k < len; k++)
			lines_sent += data[i + k] == '\n';
		if (len && send(fd, data + i, len, MSG_NOSIGNAL) != (ssize_t)len)
			abort();
		i += len;
		pump();
		drain(fd);
	}
	shutdown(fd, SHUT_WR);
	/* Everything waiting is answered one pump at a time, then the client goes. */
	for (size_t round = 0; round < 2 * lines_sent + 8; round++) {
		pump();
		drain(fd);
	}
	if (kx_ctl_server_pending(server) || calls > lines_sent)
		abort();
	close(fd);
	pump();
	return 0;
}
