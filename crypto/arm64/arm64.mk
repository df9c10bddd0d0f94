# SPDX-License-Identifier: MIT
# The first artifact of the arm64 port: libe2ee and bench-crypto cross-built
# with Debian's aarch64 compiler, linked statically against Debian's arm64
# -dev packages (unpacked into a sysroot by sysroot.sh, no multiarch), and run
# under qemu-aarch64-static -cpu max, which counts the instructions per byte
# of one seal+open pair (count.sh). `make bench` runs it; `make bench-arm64`
# alone; `make deps-arm64` fetches the sysroot (network, once per $(O)).

ARM64_O := $(O)/arm64
ARM64_SYSROOT := $(ARM64_O)/sysroot
ARM64_CC ?= aarch64-linux-gnu-gcc
ARM64_DEV_PACKAGES := libgcrypt20-dev libgpg-error-dev libmbedtls-dev libsodium-dev libssl-dev
# libc6-dev-arm64-cross is only a Recommends of the compiler: named here.
MORE_DEB_PACKAGES += gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static

ARM64_LIBDIR := $(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu
ARM64_CFLAGS := -std=gnu11 -O2 -g -MMD -MP $(WARN) -Icrypto/include -Itests/lib \
	-isystem $(ARM64_SYSROOT)/usr/include/aarch64-linux-gnu -isystem $(ARM64_SYSROOT)/usr/include
ARM64_LIBS := $(ARM64_LIBDIR)/libgcrypt.a $(ARM64_LIBDIR)/libgpg-error.a \
	$(ARM64_LIBDIR)/libcrypto.a $(ARM64_LIBDIR)/libmbedtls.a $(ARM64_LIBDIR)/libmbedx509.a \
	$(ARM64_LIBDIR)/libmbedcrypto.a $(ARM64_LIBDIR)/libsodium.a -lpthread
ARM64_OBJS := $(patsubst %.c,$(ARM64_O)/obj/%.o,$(CRYPTO_SRCS) tests/bench/bench_crypto.c \
	tests/lib/alloc_count.c)

.PHONY: deps-arm64 bench-arm64
deps-arm64: deps $(ARM64_SYSROOT)/.packages

$(ARM64_SYSROOT)/.packages: crypto/arm64/sysroot.sh
	$(call say,SYSROOT,$(ARM64_SYSROOT))
	$(Q)crypto/arm64/sysroot.sh $(ARM64_SYSROOT) $(ARM64_DEV_PACKAGES)

$(ARM64_O)/obj/%.o: %.c $(ARM64_SYSROOT)/.packages
	$(call say,CC-ARM64,$<)
	@mkdir -p $(dir $@)
	$(Q)$(ARM64_CC) $(ARM64_CFLAGS) -c $< -o $@

# Static: glibc's malloc cannot be wrapped there (instructions are counted, not allocations).
$(ARM64_O)/obj/tests/lib/alloc_count.o: ARM64_CFLAGS += -DTU_ALLOC_COUNT_OFF

# ld warns that libcrypto.a and libgpg-error.a name NSS functions in a static
# program (bench-crypto calls none): kept in a log, shown when the link fails.
$(ARM64_O)/bench-crypto: $(ARM64_OBJS)
	$(call say,LD-ARM64,$@)
	$(Q)$(ARM64_CC) -static -o $@ $(ARM64_OBJS) $(ARM64_LIBS) 2>$@.ld.log \
	  || { cat $@.ld.log; exit 1; }

bench-arm64: deps-arm64
	@$(MAKE) --no-print-directory $(ARM64_O)/bench-crypto
	@crypto/arm64/count.sh $(ARM64_O)/bench-crypto
