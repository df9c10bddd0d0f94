/* SPDX-License-Identifier: MIT */
/*
 * The writer of sealroom-log (rootfs/sealroom-log.c): a service's output
 * into LOG, at most max bytes, and the one previous file LOG.1.
 *
 * Call order: log_writer_open(), then log_writer_take() for each piece of
 * output as it comes, then log_writer_close() (which writes a last line that
 * did not end). The caller owns struct log_writer; path must outlive it.
 *
 * Output goes to LOG in records: a whole line (up to and with its '\n'), or,
 * of a line longer than max, each max bytes of it (the last piece when its
 * '\n' comes). A record goes to the current file if it fits there, else to
 * a new one: LOG never passes max bytes and a line of up to max bytes is
 * never split between LOG.1 and LOG, however its bytes arrive. A line waits
 * in memory (at most max bytes) until it ends.
 *
 * Rotation: LOG.1 becomes a second name of LOG (an older LOG.1 is gone), the
 * next LOG is made as LOG.new and renamed over LOG: LOG is never missing, and
 * `tail -F LOG` follows it. A failed write drops the record, is said once on
 * stderr, and once writing works again a line in LOG says how much was lost.
 */
#ifndef SEALROOM_LOG_WRITER_H
#define SEALROOM_LOG_WRITER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* sealroom-log's --max-bytes range; the writer itself takes from 1 byte
 * (its fuzz target uses small bounds to rotate often). */
#define LOG_WRITER_MIN_BYTES 1024
#define LOG_WRITER_MAX_BYTES (64L * 1024 * 1024)

struct log_writer {
	const char *path;
	char old[PATH_MAX]; /* path.1 */
	char new[PATH_MAX]; /* path.new, the next LOG while it is made */
	int fd;             /* -1 while LOG cannot be opened */
	long max;           /* bytes */
	long size;          /* bytes in the current file */
	char *pend;         /* a line not ended yet: max bytes, owned */
	long pend_len;
	unsigned long long dropped;
	int drop_errno;
	bool said; /* the first drop is said on stderr */
};

/* Removes an old LOG.1, opens LOG truncated. 0, or a negative errno (said
 * by the caller); -EINVAL for a max outside 1..LOG_WRITER_MAX_BYTES,
 * -ENAMETOOLONG, -ENOMEM. */
int log_writer_open(struct log_writer *l, const char *path, long max)
	__attribute__((warn_unused_result, nonnull));
void log_writer_take(struct log_writer *l, const char *buf, size_t len) __attribute__((nonnull));
/* write(2) until all of buf is written (EINTR retried): 0, or a negative
 * errno with the rest not written. */
int log_writer_write_all(int fd, const char *buf, size_t len) __attribute__((warn_unused_result));
/* The line that did not end, then LOG closed and the memory freed. */
void log_writer_close(struct log_writer *l) __attribute__((nonnull));

#endif
