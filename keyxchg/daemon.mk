# SPDX-License-Identifier: MIT
# keyxchg/daemon/: keyxchgd, on libkx (protocol core), keyxchg/net (relay
# transport) and keyxchg/ctl (control socket).

$(O)/obj/keyxchg/daemon/%.o: keyxchg/daemon/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Ikeyxchg/include -Irootfs $(call pc,jansson) -c $< -o $@

# One file per role (keyxchgd.h says which owns what).
KXD_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(wildcard keyxchg/daemon/*.c)) \
	$(O)/obj/rootfs/crash-report.o

$(O)/bin/keyxchgd: $(KXD_OBJS) $(O)/lib/libkx.a $(O)/lib/libkxnet.a \
		$(O)/lib/libkxctl.a $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $(KXD_OBJS) $(O)/lib/libkx.a $(O)/lib/libkxnet.a \
	  $(O)/lib/libkxctl.a $(call pl,jansson) -lwslay $(E2EE_LIBS)

all: $(O)/bin/keyxchgd

install: install-keyxchgd
.PHONY: install-keyxchgd
install-keyxchgd: $(O)/bin/keyxchgd
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(O)/bin/keyxchgd $(DESTDIR)$(PREFIX)/sbin/
MORE_TESTS += tests/integration/test_keying.py tests/integration/test_keying_v2.py \
	tests/integration/test_keying_restart.py tests/integration/test_media_restart.py \
	tests/integration/test_keying_part2.py tests/integration/test_kx_settings.py \
	tests/integration/test_keying_departed.py tests/integration/test_roomd_removed.py \
	tests/integration/test_kx_pin_flood.py
