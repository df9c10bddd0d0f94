// SPDX-License-Identifier: MIT
/*
 * The board file parser (board/board.c) on tables of named inputs, valid and
 * malformed; the repository's board files against what sh reads from them;
 * the camera_caps and display_planes value parsers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "board/board.h"

static struct board b;

struct good {
	const char *name;
	const char *text;
	const char *key; /* one key and its expected value */
	const char *value;
	size_t n_vars;
};

static const struct good goods[] = {
	{ "plain", "a=b\n", "a", "b", 1 },
	{ "no final newline", "a=b", "a", "b", 1 },
	{ "empty value", "a=\n", "a", "", 1 },
	{ "empty quoted", "a=\"\"\n", "a", "", 1 },
	{ "quoted with spaces", "mods=\"virtio_console uinput vkms\"\n", "mods",
	  "virtio_console uinput vkms", 1 },
	{ "comments and blanks", "# c\n\n  # indented\n\t\nx_1=/dev/dri/card0\n", "x_1",
	  "/dev/dri/card0", 1 },
	{ "leading and trailing blanks", "  k=v  \n", "k", "v", 1 },
	{ "underscore first, digits", "_k9=v\n", "_k9", "v", 1 },
	{ "comment with any other text", "# \xc3\xa9 $(x) `y` \"\na=1\n", "a", "1", 1 },
	{ "equals in value", "module_vivid=n_devs=1\n", "module_vivid", "n_devs=1", 1 },
	{ "caps word", "c=video/x-raw,width=640,height=360,framerate=30/1\n", "c",
	  "video/x-raw,width=640,height=360,framerate=30/1", 1 },
	{ "second of two", "a=1\nb=\"2 3\"\n", "b", "2 3", 2 },
	{ "empty file", "", NULL, NULL, 0 },
	{ "hash inside quotes", "a=\"x # y\"\n", "a", "x # y", 1 },
};

struct bad {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen */
	int err;
	unsigned int line;
};

static const struct bad bads[] = {
	{ "no equals", "a\n", 0, -EINVAL, 1 },
	{ "space before equals", "a =b\n", 0, -EINVAL, 1 },
	{ "key starts with digit", "1a=b\n", 0, -EINVAL, 1 },
	{ "unquoted space", "a=b c\n", 0, -EINVAL, 1 },
	{ "unterminated quote", "a=\"b\n", 0, -EINVAL, 1 },
	{ "text after quote", "a=\"b\"c\n", 0, -EINVAL, 1 },
	{ "dollar expansion", "a=\"$HOME\"\n", 0, -EINVAL, 1 },
	{ "unquoted dollar", "a=$b\n", 0, -EINVAL, 1 },
	{ "backquote", "a=\"`id`\"\n", 0, -EINVAL, 1 },
	{ "command substitution", "a=$(id)\n", 0, -EINVAL, 1 },
	{ "backslash", "a=\"b\\\"\"\n", 0, -EINVAL, 1 },
	{ "single quotes", "a='b'\n", 0, -EINVAL, 1 },
	{ "semicolon", "a=b;reboot\n", 0, -EINVAL, 1 },
	{ "trailing comment", "a=b # c\n", 0, -EINVAL, 1 },
	{ "CR line ending", "a=b\r\n", 0, -EINVAL, 1 },
	{ "NUL byte", "a=b\0c\n", 6, -EINVAL, 1 },
	{ "non-ASCII in quotes", "a=\"\xc3\xa9\"\n", 0, -EINVAL, 1 },
	{ "duplicate key", "a=1\n#\nb=2\na=3\n", 0, -EEXIST, 4 },
	{ "error on line 3", "a=1\n\nb c\n", 0, -EINVAL, 3 },
	{ "export", "export a=b\n", 0, -EINVAL, 1 },
	{ "IFS (sh's own variable)", "a=1\nIFS=x\n", 0, -EINVAL, 2 },
	{ "PATH (sh's own variable)", "PATH=/tmp\n", 0, -EINVAL, 1 },
	{ "capital in a key", "board_Name=x\n", 0, -EINVAL, 1 },
	{ "NUL in a comment", "# a\0b\na=1\n", 10, -EINVAL, 1 },
	{ "CR in a comment", "a=1\n# c\r\n", 0, -EINVAL, 2 },
};

static void test_good(void **state)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		unsigned int line = 99;

		print_message("# %s\n", g->name);
		assert_int_equal(board_parse(g->text, strlen(g->text), &b, &line), 0);
		assert_int_equal(b.n_vars, g->n_vars);
		if (g->key)
			assert_string_equal(board_get(&b, g->key), g->value);
		assert_null(board_get(&b, "absent"));
	}
}

static void test_bad(void **state)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *t = &bads[i];
		size_t len = t->len ? t->len : strlen(t->text);
		unsigned int line = 0;

		print_message("# %s\n", t->name);
		assert_int_equal(board_parse(t->text, len, &b, &line), t->err);
		assert_int_equal(line, t->line);
		/* Nothing half-parsed is left. */
		assert_int_equal(b.n_vars, 0);
		assert_null(board_get(&b, "a"));
	}
}

static void test_limits(void **state)
{
	static char text[BOARD_FILE_MAX + 2];
	unsigned int line = 0;
	size_t n = 0;

	/* Key of BOARD_KEY_MAX - 1 characters fits, one more does not. */
	memset(text, 'k', BOARD_KEY_MAX);
	text[BOARD_KEY_MAX - 1] = '=';
	assert_int_equal(board_parse(text, BOARD_KEY_MAX, &b, &line), 0);
	text[BOARD_KEY_MAX - 1] = 'k';
	text[BOARD_KEY_MAX] = '=';
	assert_int_equal(board_parse(text, BOARD_KEY_MAX + 1, &b, &line), -E2BIG);
	/* Value of BOARD_VALUE_MAX - 1 fits, one more does not. */
	text[0] = 'v';
	text[1] = '=';
	memset(text + 2, 'x', BOARD_VALUE_MAX);
	assert_int_equal(board_parse(text, 2 + BOARD_VALUE_MAX - 1, &b, &line), 0);
	assert_int_equal(strlen(board_get(&b, "v")), BOARD_VALUE_MAX - 1);
	assert_int_equal(board_parse(text, 2 + BOARD_VALUE_MAX, &b, &line), -E2BIG);
	/* BOARD_MAX_VARS variables, then one more. */
	for (unsigned int i = 0; i <= BOARD_MAX_VARS; i++)
		n += (size_t)sprintf(text + n, "v%u=%u\n", i, i);
	assert_int_equal(board_parse(text, n, &b, &line), -E2BIG);
	assert_int_equal(line, BOARD_MAX_VARS + 1);
	assert_int_equal(board_parse(text, n - strlen("v64=64\n"), &b, &line), 0);
	assert_int_equal(b.n_vars, BOARD_MAX_VARS);
	/* The file size. */
	memset(text, '\n', sizeof(text));
	assert_int_equal(board_parse(text, BOARD_FILE_MAX, &b, &line), 0);
	assert_int_equal(board_parse(text, BOARD_FILE_MAX + 1, &b, &line), -E2BIG);
	assert_int_equal(line, 0);
}

/* What sh reads for key after sourcing path, the way the image's init does. */
static char *sh_value(const char *path, const char *key)
{
	static char out[BOARD_VALUE_MAX + 2];
	char cmd[512];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "sh -c '. \"$1\" && printf %%s \"$%s\"' sh '%s'", key, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	assert_int_equal(pclose(f), 0);
	return out;
}

static void test_repository_boards_match_sh(void **state)
{
	static const char *const files[] = { "board/qemu-x86_64.board",
					      "board/qemu-x86_64-virtio-gpu.board",
					      "board/rk3588-room.board" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		unsigned int line = 0;

		print_message("# %s\n", files[i]);
		assert_int_equal(board_load(files[i], &b, &line), 0);
		assert_true(b.n_vars >= 15);
		for (size_t j = 0; j < b.n_vars; j++)
			assert_string_equal(b.vars[j].value, sh_value(files[i], b.vars[j].key));
	}
	assert_int_equal(board_load("board/no-such.board", &b, NULL), -ENOENT);
}

static void test_caps(void **state)
{
	struct board_caps c;

	assert_int_equal(board_parse_caps("video/x-raw,width=640,height=360,framerate=30/1", &c), 0);
	assert_string_equal(c.media_type, "video/x-raw");
	assert_string_equal(c.format, "");
	assert_int_equal(c.width, 640);
	assert_int_equal(c.height, 360);
	assert_int_equal(c.fps_num, 30);
	assert_int_equal(c.fps_den, 1);
	assert_int_equal(board_parse_caps("video/x-raw,format=NV12,width=(int)3840,height=2160,"
					  "framerate=(fraction)30000/1001,pixel-aspect-ratio=1/1",
					  &c),
			 0);
	assert_string_equal(c.format, "NV12");
	assert_int_equal(c.width, 3840);
	assert_int_equal(c.fps_num, 30000);
	assert_int_equal(c.fps_den, 1001);

	static const char *const bad[] = {
		"",
		"video",
		"video/x-raw",                                           /* no size */
		"video/x-raw,width=640,height=360",                      /* no rate */
		"video/x-raw,width=640,height=360,framerate=30",         /* not a fraction */
		"video/x-raw,width=640,height=360,framerate=30/0",       /* zero denominator */
		"video/x-raw,width=0,height=360,framerate=30/1",         /* zero width */
		"video/x-raw,width=-640,height=360,framerate=30/1",      /* sign */
		"video/x-raw,width=640,width=640,height=360,framerate=30/1", /* twice */
		"video/x-raw,width=99999999999,height=360,framerate=30/1",  /* overflow */
		"video/x-raw,width=640,,height=360,framerate=30/1",      /* empty field */
		"video/x-raw,format=N V12,width=640,height=360,framerate=30/1",
		"video/x-raw,width=640,height=360,framerate=30/1,",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# caps \"%s\"\n", bad[i]);
		assert_int_equal(board_parse_caps(bad[i], &c), -EINVAL);
		assert_int_equal(c.width, 0);
	}
}

static void test_planes(void **state)
{
	struct board_planes p;

	assert_int_equal(board_parse_planes("primary=1 overlay=8 cursor=1", &p), 0);
	assert_int_equal(p.primary, 1);
	assert_int_equal(p.overlay, 8);
	assert_int_equal(p.cursor, 1);
	assert_int_equal(board_parse_planes(" cursor=0\toverlay=7 primary=1 ", &p), 0);
	assert_int_equal(p.overlay, 7);
	assert_int_equal(p.cursor, 0);

	static const char *const bad[] = {
		"", "primary=1 overlay=8", "primary=1 overlay=8 cursor=1 primary=1",
		"primary=1 overlay=x cursor=1", "primary=1 overlay=8 cursor=1 sprite=2",
		"primary overlay=8 cursor=1", "primary=01 overlay=8 cursor=1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# planes \"%s\"\n", bad[i]);
		assert_int_equal(board_parse_planes(bad[i], &p), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_repository_boards_match_sh),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_planes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
