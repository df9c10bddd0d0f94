// SPDX-License-Identifier: MIT
/*
 * sealroom-log's writer: records into LOG, rotated to LOG.1 before LOG
 * would pass max bytes (log-writer.h says what a record is and why).
 */
#define _GNU_SOURCE /* memrchr */
#include "log-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
}

int log_writer_write_all(int fd, const char *buf, size_t len)
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

static void drop(struct log_writer *l, size_t len, int err)
{
	l->dropped += len;
	l->drop_errno = err;
	if (!l->said) {
		fprintf(stderr, "sealroom-log: %s: %s; the service's output is dropped until a write succeeds\n",
			l->path, strerror(err));
		l->said = true;
	}
}

/* The current file becomes LOG.1 and a new, empty LOG the current one. */
static void rotate(struct log_writer *l)
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

/* len bytes that fit in the current file (size + len <= max). */
static void append(struct log_writer *l, const char *buf, size_t len)
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
		int n = snprintf(note, sizeof(note), "sealroom-log: %llu bytes dropped (%s)\n", l->dropped,
				 strerror(l->drop_errno));
		if (n > 0 && (size_t)n < sizeof(note) && l->size + n + (long)len <= l->max &&
		    log_writer_write_all(l->fd, note, (size_t)n) == 0) {
			l->size += n;
			l->dropped = 0;
		}
	}
	int err = log_writer_write_all(l->fd, buf, len);
	if (err < 0) {
		drop(l, len, -err);
		return;
	}
	l->size += (long)len;
}

/* One record (len <= max): where it fits whole. */
static void record(struct log_writer *l, const char *buf, size_t len)
{
	if (l->size + (long)len > l->max)
		rotate(l);
	append(l, buf, len);
}

int log_writer_open(struct log_writer *l, const char *path, long max)
{
	*l = (struct log_writer){ .path = path, .fd = -1, .max = max };
	if (max < 1 || max > LOG_WRITER_MAX_BYTES)
		return -EINVAL;
	int n = snprintf(l->old, sizeof(l->old), "%s.1", path);
	int m = snprintf(l->new, sizeof(l->new), "%s.new", path);
	if (n < 0 || (size_t)n >= sizeof(l->old) || m < 0 || (size_t)m >= sizeof(l->new))
		return -ENAMETOOLONG;
	l->pend = malloc((size_t)max);
	if (!l->pend)
		return -ENOMEM;
	if (unlink(l->old) < 0 && errno != ENOENT)
		goto fail;
	l->fd = open_log(path);
	if (l->fd < 0)
		goto fail;
	return 0;
fail:
	n = -errno;
	free(l->pend);
	l->pend = NULL;
	return n;
}

void log_writer_take(struct log_writer *l, const char *buf, size_t len)
{
	while (len > 0) {
		if (l->pend_len == 0) {
			/* Whole lines that fit in the current file: one write. */
			size_t room = (size_t)(l->max - l->size);
			const char *nl = memrchr(buf, '\n', len < room ? len : room);
			if (nl) {
				size_t n = (size_t)(nl - buf) + 1;
				append(l, buf, n);
				buf += n;
				len -= n;
				continue;
			}
		}
		/* The next line, through the pending buffer: a record when it
		 * ends, or when it has max bytes (a line longer than max). */
		size_t room = (size_t)(l->max - l->pend_len);
		size_t n = len < room ? len : room;
		const char *nl = memchr(buf, '\n', n);
		if (nl)
			n = (size_t)(nl - buf) + 1;
		memcpy(l->pend + l->pend_len, buf, n);
		l->pend_len += (long)n;
		buf += n;
		len -= n;
		if (nl || l->pend_len == l->max) {
			record(l, l->pend, (size_t)l->pend_len);
			l->pend_len = 0;
		}
	}
}

void log_writer_close(struct log_writer *l)
{
	if (l->pend_len > 0)
		record(l, l->pend, (size_t)l->pend_len);
	l->pend_len = 0;
	if (l->dropped)
		fprintf(stderr, "sealroom-log: %s: %llu bytes dropped in all (%s)\n", l->path, l->dropped,
			strerror(l->drop_errno));
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->pend);
	l->pend = NULL;
}
