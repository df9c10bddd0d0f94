# SPDX-License-Identifier: MIT
# board/: libboard, the board file parser (board_), for the device probe
# (drivers/v4l2's sealroom-probe) and anything else in C that reads
# /etc/sealroom/board. Host unit test and a fuzz target.
BOARD_CFLAGS := -Iboard/include
BOARD_SRCS := board/board.c
BOARD_OBJS := $(BOARD_SRCS:%.c=$(O)/obj/%.o)
BOARD_LIB := $(O)/lib/libboard.a

$(O)/obj/board/%.o: board/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(BOARD_CFLAGS) -c $< -o $@

$(BOARD_LIB): $(BOARD_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

all: $(BOARD_LIB)

$(O)/obj/tests/unit/test_board.o: tests/unit/test_board.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(BOARD_CFLAGS) $(call pc,cmocka) -c $< -o $@

$(O)/tests/test_board: $(O)/obj/tests/unit/test_board.o $(BOARD_LIB)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_board

FUZZ_TARGETS += fuzz_board
$(O)/fuzz/fuzz_board: tests/fuzz/fuzz_board.c $(BOARD_SRCS) board/include/board/board.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(BOARD_CFLAGS) -o $@ $< $(BOARD_SRCS)
