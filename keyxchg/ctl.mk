# SPDX-License-Identifier: MIT
# keyxchg/ctl/: keyxchgd's control socket (CONTROL.md) and kxctl, its client.

KXCTL_SRCS := keyxchg/ctl/kx_ctl.c
KXCTL_OBJS := $(KXCTL_SRCS:%.c=$(O)/obj/%.o)

$(O)/obj/keyxchg/ctl/%.o: keyxchg/ctl/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(call pc,jansson) -c $< -o $@

$(O)/lib/libkxctl.a: $(KXCTL_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

# libe2ee for its wiping allocator: kxctl run as keyxchgd's user may print media keys.
$(O)/bin/kxctl: $(O)/obj/keyxchg/ctl/kxctl.o $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(call pl,jansson) $(E2EE_LIBS)

all: $(O)/lib/libkxctl.a $(O)/bin/kxctl

$(O)/obj/tests/ctl/test_kx_ctl.o: tests/ctl/test_kx_ctl.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -Ikeyxchg/ctl -c $< -o $@

$(O)/tests/test_kx_ctl: $(O)/obj/tests/ctl/test_kx_ctl.o $(O)/lib/libkxctl.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pl,jansson) $(call pl,cmocka)

MORE_TESTS += $(O)/tests/test_kx_ctl
MORE_DEB_PACKAGES += libjansson-dev

FUZZ_TARGETS += fuzz_kx_ctl
$(O)/fuzz/fuzz_kx_ctl: tests/fuzz/fuzz_kx_ctl.c $(KXCTL_SRCS) keyxchg/ctl/kx_ctl.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(call pc,jansson) -o $@ $< $(KXCTL_SRCS) $(call pl,jansson)

# The server's framing on byte streams from a real connection (one request per pump).
FUZZ_TARGETS += fuzz_kx_ctl_stream
$(O)/fuzz/fuzz_kx_ctl_stream: tests/fuzz/fuzz_kx_ctl_stream.c $(KXCTL_SRCS) keyxchg/ctl/kx_ctl.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(call pc,jansson) -o $@ $< $(KXCTL_SRCS) $(call pl,jansson)

install: install-kxctl
.PHONY: install-kxctl
install-kxctl: $(O)/bin/kxctl
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(O)/bin/kxctl $(DESTDIR)$(PREFIX)/bin/
