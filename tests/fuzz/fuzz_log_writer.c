// SPDX-License-Identifier: MIT
/*
 * sealroom-log's writer (rootfs/log-writer.c) on any output cut into any
 * pieces, with a bound from 1 to 256 bytes (small, so that short inputs
 * rotate often and hold lines longer than the bound), into files in a scratch
 * directory. After every piece: LOG and LOG.1 each at most the bound, no
 * LOG.new left. At the end: LOG.1 then LOG are exactly the end of the
 * output, and each of the two files starts where a line starts, unless the
 * line there is longer than the bound (a line of up to the bound is never
 * split between the files).
 *
 * Input: a byte of bound, then pieces: a length byte L, then L bytes
 * (fewer at the end), each written as one piece.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log-writer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz-log-writer-XXXXXX";
static char log_path[64], old_path[64], new_path[64];
static uint8_t out[1 << 20];

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static size_t read_into(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* Does the file that starts at out[pos] start at a line's start, or inside
 * a line longer than max (which may be cut anywhere a max bytes fall)? */
static int starts_right(const uint8_t *all, size_t n, size_t pos, long max)
{
	if (pos == 0 || pos >= n || all[pos - 1] == '\n')
		return 1;
	size_t s = pos, e = pos;
	while (s > 0 && all[s - 1] != '\n')
		s--;
	while (e < n && all[e] != '\n')
		e++;
	return (long)(e - s + (e < n)) > max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!log_path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(log_path, sizeof(log_path), "%s/svc.log", dir);
		snprintf(old_path, sizeof(old_path), "%s/svc.log.1", dir);
		snprintf(new_path, sizeof(new_path), "%s/svc.log.new", dir);
	}
	if (size < 1)
		return 0;
	long max = 1 + data[0];
	data++;
	size--;

	struct log_writer l;
	if (log_writer_open(&l, log_path, max) != 0)
		abort();
	size_t total = 0;
	while (size > 0) {
		size_t len = data[0];
		data++;
		size--;
		if (len > size)
			len = size;
		log_writer_take(&l, (const char *)data, len);
		if (total + len > sizeof(out))
			abort(); /* libFuzzer's inputs are far smaller */
		memcpy(out + total, data, len);
		total += len;
		data += len;
		size -= len;
		if (file_size(log_path) > max || file_size(old_path) > max || file_size(new_path) >= 0)
			abort();
	}
	log_writer_close(&l);

	static uint8_t kept[2 * 256];
	size_t n_old = read_into(old_path, kept, sizeof(kept));
	size_t n_cur = read_into(log_path, kept + n_old, sizeof(kept) - n_old);
	if ((long)n_old > max || (long)n_cur > max)
		abort();
	size_t n = n_old + n_cur;
	/* Exactly the end of the output (nothing lost but whole files). */
	if (n > total || memcmp(kept, out + total - n, n) != 0)
		abort();
	/* Both files are there once anything was written. */
	if (total > 0 && file_size(log_path) < 0)
		abort();
	if (n_old && !starts_right(out, total, total - n, max))
		abort();
	if (n_old && n_cur && !starts_right(out, total, total - n_cur, max))
		abort();
	/* No LOG.1 (a rotation always leaves one non-empty): LOG has it all. */
	if (n_old == 0 && n_cur != total)
		abort();
	unlink(log_path);
	unlink(old_path);
	return 0;
}
