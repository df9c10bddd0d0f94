/* SPDX-License-Identifier: MIT */
/*
 * board_: the board file (board/README.md) parsed without a shell.
 *
 * The format is a strict subset of POSIX sh: lines `key=value`, `#` comment
 * lines, blank lines; a value is either a word without blanks, quotes or
 * shell metacharacters, or a double-quoted string without `"`, `\`, `$` or
 * a backquote (so sh and this parser read the same value). Anything else is
 * refused with the line number: a NUL byte or a CR (in a comment too), an
 * unterminated quote, text after the closing quote, a key that is not a shell
 * name of lowercase letters, digits and '_' (no capital: sh's own variables,
 * IFS, PATH, ENV ..., are capitals, and the init sources the file), a key
 * given twice, a line or a file too long. Fail closed: a board that does not parse
 * is not half-used.
 *
 * Also the parsers of the values the device probe reads: GStreamer caps as
 * camera_caps writes them, and display_planes.
 *
 * Caller-owned storage, no allocation. Not thread-safe per struct board.
 */
#ifndef BOARD_BOARD_H
#define BOARD_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_MAX_VARS 64u
#define BOARD_KEY_MAX 64u    /* with the NUL */
#define BOARD_VALUE_MAX 512u /* with the NUL */
#define BOARD_FILE_MAX 65536u

struct board_var {
	char key[BOARD_KEY_MAX];
	char value[BOARD_VALUE_MAX];
};

struct board {
	struct board_var vars[BOARD_MAX_VARS];
	size_t n_vars;
};

/*
 * Parses len bytes of text (need not be NUL-terminated) into *b. Returns 0,
 * or -EINVAL (syntax), -E2BIG (line, value, file or variable count over the
 * limits), -EEXIST (a key twice); *err_line (if not NULL) is then the
 * 1-based line at fault (0 for the file size), and *b is emptied.
 */
__attribute__((warn_unused_result, nonnull(1, 3))) int
board_parse(const char *text, size_t len, struct board *b, unsigned int *err_line);

/* Reads and parses the file at path: 0, -errno of open/read, or as board_parse. */
__attribute__((warn_unused_result, nonnull(1, 2))) int
board_load(const char *path, struct board *b, unsigned int *err_line);

/* The value of key, or NULL when the board does not set it. Owned by *b. */
__attribute__((warn_unused_result, nonnull)) const char *board_get(const struct board *b,
								 const char *key);

/* A short English description of a board_parse error code. */
const char *board_strerror(int err);

/*
 * GStreamer caps as camera_caps writes them,
 *   media/type[,field=value]...   e.g. video/x-raw,format=NV12,width=3840,height=2160,framerate=30/1
 * with optional "(type)" casts (width=(int)640). Fields other than format,
 * width, height and framerate are ignored; each of those at most once.
 * Returns 0 or -EINVAL (missing width, height or framerate, a value out of
 * range, a syntax error).
 */
struct board_caps {
	char media_type[32]; /* "video/x-raw", "image/jpeg" */
	char format[16];     /* GStreamer format name, "" for any */
	uint32_t width;
	uint32_t height;
	uint32_t fps_num;
	uint32_t fps_den;
};
__attribute__((warn_unused_result, nonnull)) int board_parse_caps(const char *s,
								 struct board_caps *caps);

/*
 * display_planes, "primary=N overlay=N cursor=N" (any order, each once, all
 * three). Returns 0 or -EINVAL.
 */
struct board_planes {
	uint32_t primary;
	uint32_t overlay;
	uint32_t cursor;
};
__attribute__((warn_unused_result, nonnull)) int board_parse_planes(const char *s,
								   struct board_planes *planes);

/* A decimal 0..max with no sign, blanks or leading zeros (but "0"). Returns 0 or -EINVAL. */
__attribute__((warn_unused_result, nonnull)) int board_parse_u32(const char *s, size_t len,
								uint32_t max, uint32_t *out);

#endif
