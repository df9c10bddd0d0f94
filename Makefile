# SPDX-License-Identifier: MIT
# sealroom: one GNU Makefile, out of tree.
#
#   make              build everything into $(O) (default build/)
#   make check        all tests; last line "N passed, M failed"
#   make run          the most complete end-to-end encrypted meeting so far
#   make bench        benchmark programs (figures and ratios, never pass/fail)
#   make fuzz         each libFuzzer target for FUZZ_SECONDS
#   make install      DESTDIR=... PREFIX=...
#
# Variables: O, V=1 (show commands), SANITIZE=address,undefined, CI=1 (-Werror).

O ?= build
PREFIX ?= /usr/local
DESTDIR ?=
FUZZ_SECONDS ?= 60
SANITIZE ?=
CI ?=
SHARED ?= $(abspath $(CURDIR)/../shared)

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif

CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config

# Debian 12 packages: the toolchain here; every part's fragment adds what its
# own code, tests, benchmarks and tools use to MORE_DEB_PACKAGES. `make deps`
# installs the missing ones (apt-get update first); every entry point runs it.
DEB_BUILD := build-essential pkg-config
DEB_PACKAGES = $(sort $(DEB_BUILD) $(MORE_DEB_PACKAGES))

# Warnings are errors on every build, not only CI's: a developer's build that
# passes compiles on CI too (a warning only CI made fatal once kept a whole
# session's work from landing). The toolchain is Debian 12's, so the set of
# warnings is the same everywhere.
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wvla -Werror

BASE_CFLAGS := -std=gnu11 -O2 -g -fPIC -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	-MMD -MP $(WARN)
BASE_LDFLAGS := -Wl,-z,relro,-z,now
ifneq ($(SANITIZE),)
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
BASE_LDFLAGS += -fsanitize=$(SANITIZE)
endif

pc = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pl = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

# Debian's mbedTLS 2.28 ships no .pc file.
MBEDTLS_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto

E2EE_CFLAGS := -Icrypto/include $(call pc,libsodium)
E2EE_LIBS := $(O)/lib/libe2ee.a $(MBEDTLS_LIBS) $(call pl,libsodium)

CFLAGS_ALL = $(BASE_CFLAGS) $(E2EE_CFLAGS) $(CFLAGS)

.PHONY: all check run bench fuzz install clean deps
.DEFAULT_GOAL := all
# Keep objects that pattern-rule chains would delete as intermediates.
.SECONDARY:

all:

# Each part of the firmware brings its own makefile fragment; it may add to
# MORE_DEB_PACKAGES, MORE_TESTS (test programs for `make check`), MORE_BENCH
# (commands for `make bench`) and FUZZ_TARGETS.
MORE_DEB_PACKAGES :=
MORE_TESTS :=
MORE_BENCH :=
FUZZ_TARGETS :=
include crypto/crypto.mk
include pipeline/pipeline.mk
include $(sort $(wildcard keyxchg/*.mk webrtc/*.mk watermark/*.mk drivers/*.mk board/*.mk rootfs/*.mk panel/*.mk))
include tests/tests.mk

# ---------------------------------------------------------------- generic rules

$(O)/obj/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(EXTRA_CFLAGS_$(subst /,_,$(dir $<))) -c $< -o $@

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "deps: need root for apt-get" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  lock="-o DPkg::Lock::Timeout=600"; \
	  apt-get $$lock update -qq && apt-get $$lock install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "deps: apt-get install of$$missing failed" >&2; exit 1; }; \
	fi

clean:
	rm -rf $(O)

# Not into $(O)/image*: whole root filesystems (their /etc/*.d folders).
-include $(shell find $(O) -path '$(O)/image*' -prune -o -name '*.d' -type f -print 2>/dev/null)

run: deps
	@$(MAKE) --no-print-directory all
	@O=$(O) crypto/demo.sh
	@O=$(O) /usr/bin/python3 pipeline/run_rooms.py
