# SPDX-License-Identifier: MIT
# keyxchg/: libkx, the protocol core of the keying daemon (no networking):
# canonical encoding, identity, messages (JSON carriage), key schedule,
# roster chain, pin store, codeword cache. PROTOCOL.md is its wire spec.

MORE_DEB_PACKAGES += libjansson-dev python3-nacl python3-cryptography

KX_SRCS := $(wildcard keyxchg/*.c)
KX_OBJS := $(KX_SRCS:%.c=$(O)/obj/%.o)
KX_HEADERS := $(wildcard keyxchg/include/kx/*.h)
KX_CFLAGS := -Ikeyxchg/include $(call pc,jansson)
KX_LIBS := $(O)/lib/libkx.a $(call pl,jansson) $(E2EE_LIBS)

# The generic rule $(O)/obj/%.o: %.c adds EXTRA_CFLAGS_<folder>.
EXTRA_CFLAGS_keyxchg_ := $(KX_CFLAGS)

$(O)/lib/libkx.a: $(KX_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The known-answer CLI that tests/keyxchg/test_kx_vectors.py drives.
$(O)/tests/kx-vectors: $(O)/obj/tests/keyxchg/kx-vectors.o $(O)/lib/libkx.a $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(KX_LIBS)

all: $(O)/lib/libkx.a

# --------------------------------------------------------------------- tests

KX_TESTS := test_kx_canon test_kx_msg test_kx_schedule test_kx_chain test_kx_store
KX_TEST_BINS := $(KX_TESTS:%=$(O)/tests/%)
KX_TEST_OBJS := $(KX_TESTS:%=$(O)/obj/tests/keyxchg/%.o) $(O)/obj/tests/keyxchg/kx_testutil.o \
	$(O)/obj/tests/keyxchg/kx-vectors.o
KX_TESTLIB_OBJS := $(O)/obj/tests/lib/json.o $(O)/obj/tests/lib/testutil.o

$(KX_TEST_OBJS): CFLAGS += $(KX_CFLAGS) -Itests/keyxchg

$(KX_TEST_BINS): $(O)/tests/%: $(O)/obj/tests/keyxchg/%.o $(O)/obj/tests/keyxchg/kx_testutil.o \
		$(KX_TESTLIB_OBJS) $(O)/lib/libkx.a $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(O)/obj/tests/keyxchg/kx_testutil.o \
	  $(KX_TESTLIB_OBJS) $(KX_LIBS) $(TEST_LIBS)

MORE_TESTS += $(KX_TEST_BINS) tests/keyxchg/test_kx_vectors.py

.PHONY: test-programs
test-programs: $(O)/tests/kx-vectors

# -------------------------------------------------------------------- fuzzing
# One target per message parser; they link the sources for coverage.

KX_FUZZ := fuzz_kx_announce fuzz_kx_roster fuzz_kx_epoch_key fuzz_kx_ack fuzz_kx_leave fuzz_kx_deny \
	fuzz_kx_end fuzz_kx_rekey_request \
	fuzz_kx_pinfile fuzz_kx_adminpin
FUZZ_TARGETS += $(KX_FUZZ)
KX_FUZZ_BINS := $(KX_FUZZ:%=$(O)/fuzz/%)

$(KX_FUZZ_BINS): $(O)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_kx_common.h $(KX_SRCS) \
		$(KX_HEADERS) $(CRYPTO_SRCS) $(CRYPTO_HEADERS)
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(KX_CFLAGS) -o $@ $< $(KX_SRCS) $(CRYPTO_SRCS) \
	  $(call pl,jansson) $(MBEDTLS_LIBS) $(call pl,libsodium)
