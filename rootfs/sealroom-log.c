// SPDX-License-Identifier: MIT
/*
 * sealroom-log: a service run with its output in a log of bounded size.
 *
 *   sealroom-log [--max-bytes N] [--pid-file FILE] LOG SERVICE [ARG...]
 *
 * sealroom-init starts every service through it (rootfs/README.md "Service
 * logs"): the logs are in /run, a tmpfs, so a service that logs without end
 * (or a peer that makes it) would otherwise fill the device's RAM.
 *
 * What it does, in this order:
 *   1. opens LOG (truncated; a LOG.1 left from before is removed);
 *   2. forks the writer, which is then orphaned (a second fork) so that PID 1
 *      reaps it and the service never sees a child it did not make: it reads
 *      the service's output from a pipe and appends it to LOG; before LOG
 *      would pass N bytes (default 1 MiB) it renames LOG to LOG.1 (the one
 *      previous file; an older one is gone) and starts a new LOG. A rotation
 *      happens at a line's end whenever the line fits in N bytes, so lines
 *      are never split between the two files; a longer line is cut at N
 *      bytes. The writer ends when the last holder of the pipe's write end
 *      (the service and whatever it started) is gone;
 *   3. writes its own process id to FILE (written whole: a temporary file
 *      renamed over it), then execs SERVICE with standard output and error on
 *      the pipe and standard input from /dev/null: the process id in FILE is
 *      the service's (and that of the daemon the service script execs).
 *
 * Bounds: LOG at most N bytes, LOG.1 at most N bytes; nothing else is kept.
 * `tail -F LOG` follows LOG across a rotation (a rename: the old file keeps
 * its inode, and the writer never writes to LOG.1 again).
 *
 * Exit status (only when SERVICE was not run): 2 usage, 1 LOG, the pipe, the
 * writer or FILE could not be made (said on standard error, one line), 127
 * SERVICE could not be executed (said in LOG).
 *
 * The writer runs as root (it creates files in root's /run/sealroom) and
 * parses nothing: it looks for '\n' and counts bytes. A failed write (e.g.
 * /run full) drops output rather than blocking the service; the writer says
 * so once on standard error and, once a write succeeds again, in LOG.
 */
#define _GNU_SOURCE /* memrchr, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_MAX_BYTES (1024 * 1024)
#define MIN_MAX_BYTES 1024
#define MAX_MAX_BYTES (1024L * 1024 * 1024)

struct log {
	const char *path;
	char old[PATH_MAX]; /* path.1 */
	char new[PATH_MAX]; /* path.new, the next LOG while it is made */
	int fd;             /* -1 while LOG cannot be opened */
	long max;           /* bytes */
	long size;          /* bytes in the current file */
	unsigned long long dropped;
	int drop_errno;
	bool said;          /* the first drop is said on stderr */
};

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
}

/* Writes all of buf or nothing more (a failure drops the rest). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void drop(struct log *l, size_t len, int err)
{
	l->dropped += len;
	l->drop_errno = err;
	if (!l->said) {
		fprintf(stderr, "sealroom-log: %s: %s; the service's output is dropped until a write succeeds\n",
			l->path, strerror(err));
		l->said = true;
	}
}

/* The current file becomes LOG.1 and a new, empty LOG is the current one.
 * LOG never goes missing: LOG.1 is a second name of the current file, then
 * a new file, made as LOG.new, is renamed over LOG (one step), so a reader
 * that opens LOG by name always finds it, and `tail -F` sees it replaced. */
static void rotate(struct log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->size = 0;
	if ((unlink(l->old) < 0 && errno != ENOENT) || link(l->path, l->old) < 0)
		/* The bound holds all the same: the new LOG replaces this one. */
		fprintf(stderr, "sealroom-log: %s to %s: %s; its lines are lost\n", l->path, l->old,
			strerror(errno));
	int fd = open_log(l->new);
	if (fd < 0 || rename(l->new, l->path) < 0) {
		drop(l, 0, errno);
		if (fd >= 0)
			close(fd);
		unlink(l->new);
		unlink(l->path); /* not written past the bound: append() opens it anew */
		return;
	}
	l->fd = fd;
}

/* Appends len bytes that fit (size + len <= max) to the current file. */
static void append(struct log *l, const char *buf, size_t len)
{
	if (l->fd < 0) {
		l->fd = open_log(l->path);
		l->size = 0;
		if (l->fd < 0) {
			drop(l, len, errno);
			return;
		}
	}
	if (l->dropped) {
		char note[160];
		int n = snprintf(note, sizeof(note), "sealroom-log: %llu bytes dropped (%s)\n",
				 l->dropped, strerror(l->drop_errno));
		if (n > 0 && (size_t)n < sizeof(note) && l->size + n + (long)len <= l->max &&
		    write_all(l->fd, note, (size_t)n) == 0) {
			l->size += n;
			l->dropped = 0;
		}
	}
	int err = write_all(l->fd, buf, len);
	if (err < 0) {
		drop(l, len, -err);
		return;
	}
	l->size += (long)len;
}

/* The service's output in: the current file never passes max bytes. */
static void take(struct log *l, const char *buf, size_t len)
{
	while (len > 0) {
		size_t room = (size_t)(l->max - l->size);
		if (len <= room) {
			append(l, buf, len);
			return;
		}
		/* Up to the last line end that fits, then a new file. */
		const char *nl = room ? memrchr(buf, '\n', room) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - buf) + 1;
			append(l, buf, n);
			buf += n;
			len -= n;
		} else if (l->size == 0) {
			/* A line longer than the whole file: cut. */
			append(l, buf, room);
			buf += room;
			len -= room;
		}
		rotate(l);
	}
}

static void writer(struct log *l, int in)
{
	static char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "sealroom-log: reading the service's output for %s: %s\n", l->path,
				strerror(errno));
			break;
		}
		take(l, buf, (size_t)n);
	}
	if (l->dropped)
		fprintf(stderr, "sealroom-log: %s: %llu bytes dropped in all (%s)\n", l->path, l->dropped,
			strerror(l->drop_errno));
}

static int write_pid(const char *file)
{
	char tmp[PATH_MAX], line[32];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	int err = write_all(fd, line, (size_t)n);
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, file) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int usage(void)
{
	fprintf(stderr, "usage: sealroom-log [--max-bytes N] [--pid-file FILE] LOG SERVICE [ARG...]\n"
			"       (N from %d to %ld, default %d)\n",
		MIN_MAX_BYTES, MAX_MAX_BYTES, DEFAULT_MAX_BYTES);
	return 2;
}

int main(int argc, char **argv)
{
	struct log l = { .fd = -1, .max = DEFAULT_MAX_BYTES };
	const char *pid_file = NULL;
	int i = 1;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--max-bytes")) {
			char *end;
			errno = 0;
			long v = strtol(argv[i + 1], &end, 10);
			if (errno || end == argv[i + 1] || *end || v < MIN_MAX_BYTES || v > MAX_MAX_BYTES) {
				fprintf(stderr, "sealroom-log: --max-bytes %s: not a number from %d to %ld\n",
					argv[i + 1], MIN_MAX_BYTES, MAX_MAX_BYTES);
				return 2;
			}
			l.max = v;
		} else if (!strcmp(argv[i], "--pid-file")) {
			pid_file = argv[i + 1];
		} else {
			return usage();
		}
	}
	if (argc - i < 2)
		return usage();
	l.path = argv[i];
	char **service = argv + i + 1;
	int n = snprintf(l.old, sizeof(l.old), "%s.1", l.path);
	int m = snprintf(l.new, sizeof(l.new), "%s.new", l.path);
	if (n < 0 || (size_t)n >= sizeof(l.old) || m < 0 || (size_t)m >= sizeof(l.new)) {
		fprintf(stderr, "sealroom-log: %s: path too long\n", l.path);
		return 1;
	}

	if (unlink(l.old) < 0 && errno != ENOENT) {
		fprintf(stderr, "sealroom-log: cannot remove the old %s: %s\n", l.old, strerror(errno));
		return 1;
	}
	l.fd = open_log(l.path);
	if (l.fd < 0) {
		fprintf(stderr, "sealroom-log: cannot open %s: %s; %s not started\n", l.path,
			strerror(errno), service[0]);
		return 1;
	}
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int p[2];
	if (null < 0 || pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "sealroom-log: no pipe for %s: %s; %s not started\n", l.path,
			strerror(errno), service[0]);
		return 1;
	}

	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "sealroom-log: cannot fork the writer of %s: %s; %s not started\n", l.path,
			strerror(errno), service[0]);
		return 1;
	}
	if (child == 0) {
		/* The first child only forks the writer and exits: orphaned, the
		 * writer is PID 1's to reap, not the service's. */
		pid_t w = fork();
		if (w < 0) {
			fprintf(stderr, "sealroom-log: cannot fork the writer of %s: %s\n", l.path,
				strerror(errno));
			_exit(1);
		}
		if (w > 0)
			_exit(0);
		close(p[1]);
		dup2(null, STDIN_FILENO);
		signal(SIGPIPE, SIG_IGN);
		/* Not stopped by a terminal's signals sent to the service's group. */
		setsid();
		writer(&l, p[0]);
		_exit(0);
	}
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sealroom-log: the writer of %s did not start; %s not started\n", l.path,
			service[0]);
		return 1;
	}
	close(p[0]);
	close(l.fd);

	if (pid_file) {
		int err = write_pid(pid_file);
		if (err < 0) {
			fprintf(stderr, "sealroom-log: cannot write %s: %s; %s not started\n", pid_file,
				strerror(-err), service[0]);
			return 1;
		}
	}
	if (dup2(null, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0 ||
	    dup2(p[1], STDERR_FILENO) < 0) {
		fprintf(stderr, "sealroom-log: cannot give %s its output: %s\n", service[0], strerror(errno));
		return 1;
	}
	execvp(service[0], service);
	/* On the pipe: the writer puts it in LOG. */
	fprintf(stderr, "sealroom-log: cannot run %s: %s\n", service[0], strerror(errno));
	return 127;
}
