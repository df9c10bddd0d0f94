# SPDX-License-Identifier: MIT
# keyxchg/net/: the signaling transport of keyxchgd (WebSocket over TLS:
# mbedTLS and wslay) and kxws, a command-line client of the relay.

MORE_DEB_PACKAGES += libwslay-dev python3-websockets
KXNET_SRCS := keyxchg/net/kx_ws.c keyxchg/net/kx_ws_http.c keyxchg/net/kx_ws_url.c
KXNET_OBJS := $(KXNET_SRCS:%.c=$(O)/obj/%.o)
# Debian ships no .pc file for wslay.
KXNET_LIBS := -lwslay $(MBEDTLS_LIBS)

$(O)/lib/libkxnet.a: $(KXNET_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/bin/kxws: $(O)/obj/keyxchg/net/kxws.o $(O)/lib/libkxnet.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(O)/lib/libkxnet.a $(KXNET_LIBS)

all: $(O)/bin/kxws
MORE_TESTS += tests/integration/test_relay_ws.py

install: install-kxws
.PHONY: install-kxws
install-kxws: $(O)/bin/kxws
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(O)/bin/kxws $(DESTDIR)$(PREFIX)/bin/

# The upgrade answer's check is a parser of the relay's bytes: fuzzed alone.
FUZZ_TARGETS += fuzz_kx_ws_http
$(O)/fuzz/fuzz_kx_ws_http: tests/fuzz/fuzz_kx_ws_http.c keyxchg/net/kx_ws_http.c \
		keyxchg/net/kx_ws_http.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< keyxchg/net/kx_ws_http.c

# The meeting service's address: typed on the panel, read back from the state
# directory (kx_ws_url.h).
FUZZ_TARGETS += fuzz_kx_ws_url
$(O)/fuzz/fuzz_kx_ws_url: tests/fuzz/fuzz_kx_ws_url.c keyxchg/net/kx_ws_url.c \
		keyxchg/net/kx_ws_url.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< keyxchg/net/kx_ws_url.c

# The upgrade answer's check against a table of named answers.
$(O)/tests/test_kx_ws_http: $(O)/obj/tests/keyxchg/test_kx_ws_http.o $(O)/lib/libkxnet.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

MORE_TESTS += $(O)/tests/test_kx_ws_http

# The service address against a table of named addresses.
$(O)/tests/test_kx_ws_url: $(O)/obj/tests/keyxchg/test_kx_ws_url.o $(O)/lib/libkxnet.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

MORE_TESTS += $(O)/tests/test_kx_ws_url
