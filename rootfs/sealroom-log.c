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
 *      the service's output from a pipe into LOG through log-writer.c: LOG
 *      at most N bytes (default 1 MiB), then LOG.1 (the one previous file;
 *      an older one is gone) and a new LOG; a line of up to N bytes never
 *      split between them, a longer one cut at N bytes (log-writer.h). The
 *      writer ends when the last holder of the pipe's write end (the service
 *      and whatever it started) is gone, after the line that did not end;
 *   3. writes its own process id to FILE (written whole: a temporary file
 *      renamed over it), then execs SERVICE with standard output and error on
 *      the pipe and standard input from /dev/null: the process id in FILE is
 *      the service's (and that of the daemon the service script execs).
 *
 * Bounds: LOG at most N bytes, LOG.1 at most N bytes, a line not ended yet
 * (at most N bytes) in the writer's memory; nothing else is kept. `tail -F
 * LOG` follows LOG across a rotation (LOG is replaced by a rename, never
 * missing; the writer never writes to LOG.1 again).
 *
 * Exit status (only when SERVICE was not run): 2 usage, 1 LOG, the pipe, the
 * writer or FILE could not be made (said on standard error, one line), 127
 * SERVICE could not be executed (said in LOG).
 *
 * The writer runs as root (it creates files in root's /run/sealroom) and
 * parses nothing: it looks for '\n' and counts bytes (tests/fuzz/
 * fuzz_log_writer.c). A failed write (e.g. /run full) drops output rather
 * than blocking the service; the writer says so once on standard error and,
 * once a write succeeds again, in LOG.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log-writer.h"

#define DEFAULT_MAX_BYTES (1024 * 1024)

static void writer(struct log_writer *l, int in)
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
		log_writer_take(l, buf, (size_t)n);
	}
	log_writer_close(l);
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
	int err = log_writer_write_all(fd, line, (size_t)n);
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
		LOG_WRITER_MIN_BYTES, LOG_WRITER_MAX_BYTES, DEFAULT_MAX_BYTES);
	return 2;
}

int main(int argc, char **argv)
{
	struct log_writer l;
	long max = DEFAULT_MAX_BYTES;
	const char *pid_file = NULL;
	int i = 1;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--max-bytes")) {
			char *end;
			errno = 0;
			long v = strtol(argv[i + 1], &end, 10);
			if (errno || end == argv[i + 1] || *end || v < LOG_WRITER_MIN_BYTES ||
			    v > LOG_WRITER_MAX_BYTES) {
				fprintf(stderr, "sealroom-log: --max-bytes %s: not a number from %d to %ld\n",
					argv[i + 1], LOG_WRITER_MIN_BYTES, LOG_WRITER_MAX_BYTES);
				return 2;
			}
			max = v;
		} else if (!strcmp(argv[i], "--pid-file")) {
			pid_file = argv[i + 1];
		} else {
			return usage();
		}
	}
	if (argc - i < 2)
		return usage();
	char **service = argv + i + 1;
	int err = log_writer_open(&l, argv[i], max);
	if (err < 0) {
		fprintf(stderr, "sealroom-log: cannot open %s (or remove its old .1): %s; %s not started\n",
			argv[i], strerror(-err), service[0]);
		return 1;
	}
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int p[2];
	if (null < 0 || pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "sealroom-log: no pipe for %s: %s; %s not started\n", l.path,
			strerror(errno), service[0]);
		log_writer_close(&l);
		return 1;
	}

	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "sealroom-log: cannot fork the writer of %s: %s; %s not started\n", l.path,
			strerror(errno), service[0]);
		log_writer_close(&l);
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
	int status = 0, w;
	while ((w = waitpid(child, &status, 0)) < 0 && errno == EINTR)
		;
	if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sealroom-log: the writer of %s did not start; %s not started\n", l.path,
			service[0]);
		log_writer_close(&l);
		return 1;
	}
	close(p[0]);
	/* The writer's now: this process closes LOG and frees the line buffer
	 * (nothing is pending in it). */
	log_writer_close(&l);

	if (pid_file) {
		err = write_pid(pid_file);
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
