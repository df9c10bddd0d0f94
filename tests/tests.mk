# SPDX-License-Identifier: MIT
# tests/: unit tests (cmocka), CLI tests against an independent implementation,
# fuzz targets (libFuzzer), benchmarks. `make check` runs every test program
# through tests/run-tests.sh, whose last line is "N passed, M failed".

# cmocka (unit tests), clang and its runtime (libFuzzer, sanitizers), Python
# and its cryptography (the independent RFC 9605 implementation of tests/cli,
# the fixtures), libsrtp2 (bench-media's srtpenc baseline links it).
MORE_DEB_PACKAGES += libcmocka-dev clang libclang-rt-14-dev python3 python3-cryptography \
	libsrtp2-dev

TESTLIB_SRCS := tests/lib/json.c tests/lib/testutil.c
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(O)/obj/%.o)
TEST_CFLAGS := -Itests/lib $(call pc,cmocka)
TEST_LIBS := $(call pl,cmocka)

UNIT_TESTS := test_sframe test_keyring test_codeword test_aead
UNIT_BINS := $(UNIT_TESTS:%=$(O)/tests/%)

# test_aead checks the backend the build asked for (crypto.mk's AEAD).
AEAD_NAME_gcrypt := libgcrypt
AEAD_NAME_mbedtls := mbedtls
$(O)/obj/tests/unit/test_aead.o: TEST_CFLAGS += -DE2EE_TEST_BACKEND='"$(AEAD_NAME_$(AEAD))"' \
	$(if $(filter gcrypt,$(AEAD)),-DE2EE_TEST_GCRYPT $(call pc,libgcrypt))
$(O)/obj/tests/unit/test_aead.o: $(AEAD_STAMP)

$(O)/obj/tests/%.o: EXTRA_CFLAGS += $(TEST_CFLAGS)
$(O)/obj/tests/%.o: tests/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -c $< -o $@

$(O)/tests/%: $(O)/obj/tests/unit/%.o $(TESTLIB_OBJS) $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(filter $(ALLOC_COUNT_OBJ),$^) \
	  $(TESTLIB_OBJS) $(E2EE_LIBS) $(TEST_LIBS)

# The malloc-counting wrappers, only where a program asks for them.
ALLOC_COUNT_OBJ := $(O)/obj/tests/lib/alloc_count.o
$(O)/tests/test_aead: $(ALLOC_COUNT_OBJ)

# Element tests: gst-check with GstHarness, against the plugin in $(PLUGIN_DIR).
ELEMENT_TESTS := test_e2ee_elements test_e2ee_hostile test_e2ee_clear_nal \
	test_e2ee_nal_position
ELEMENT_BINS := $(ELEMENT_TESTS:%=$(O)/tests/%)
ELEMENT_HELPERS := $(O)/obj/tests/elements/e2ee_harness.o
CHECK_PKGS := gstreamer-check-1.0 gstreamer-video-1.0 gstreamer-app-1.0 gstreamer-rtp-1.0

$(O)/obj/tests/elements/%.o: tests/elements/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(call pc,$(CHECK_PKGS)) -c $< -o $@

$(O)/tests/test_e2ee_%: $(O)/obj/tests/elements/test_e2ee_%.o $(ELEMENT_HELPERS) \
		$(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(ELEMENT_HELPERS) $(E2EE_LIBS) \
	  $(call pl,$(CHECK_PKGS))

# Scripts run as tests, in order after the compiled ones.
SCRIPT_TESTS := tests/lib/test_tap.py tests/lib/test_fuzz_targets.py tests/cli/test_cli.py tests/integration/test_udp_wire.py

TEST_PROGRAMS = $(UNIT_BINS) $(ELEMENT_BINS) $(MORE_TESTS) $(SCRIPT_TESTS)
# `make check T=word` runs only the tests whose path contains one of the words
# (T="test_roomd test_screen"); the whole list without it.
ifneq ($(T),)
TEST_PROGRAMS := $(foreach t,$(TEST_PROGRAMS),$(if $(strip $(foreach w,$(T),$(findstring $(w),$(t)))),$(t)))
endif

# Under sanitizers: whole stacks for LeakSanitizer and its suppressions of
# third-party allocations; the registry scanned in-process (the ASan plugin
# cannot load in the non-ASan gst-plugin-scanner).
ifneq ($(SANITIZE),)
SAN_ENV := ASAN_OPTIONS=fast_unwind_on_malloc=0:detect_leaks=1 \
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 GST_REGISTRY_FORK=no
endif

# The leaks tracer fails an element test that leaves one of these alive.
# Not GstCaps: rtph265depay 1.22 leaks one per negotiation, e2eedec or not
# (seen with gst-launch-1.0 alone); nothing of ours makes caps.
LEAKS_TRACER := leaks(filters="GstBuffer,GstBufferList,GstBufferPool,GstEvent,GstMessage,GstQuery,GstSample,GstE2eeEnc,GstE2eeDec,GstRtpVP8E2eePay,GstRtpVP9E2eePay")

check: deps
	@$(MAKE) --no-print-directory all test-programs
	@SFRAME_VECTORS=$(SHARED)/vectors/sframe/rfc9605.json BUILD=$(abspath $(O)) \
	  GST_PLUGIN_PATH=$(abspath $(PLUGIN_DIR)) GST_REGISTRY=$(abspath $(O))/gst-registry.bin \
	  GST_TRACERS='$(LEAKS_TRACER)' $(SAN_ENV) FUZZ_TARGETS='$(FUZZ_TARGETS)' \
	  TEST_LOGS=$(O)/test-logs tests/run-tests.sh $(TEST_PROGRAMS)

.PHONY: test-programs
test-programs: $(UNIT_BINS) $(ELEMENT_BINS) $(filter $(O)/%,$(MORE_TESTS))

# libe2ee's own tests alone, and the CLI against the independent
# implementation: CI runs them on the other backend (AEAD=mbedtls).
CRYPTO_TEST_PROGRAMS := $(addprefix $(O)/tests/,test_sframe test_keyring test_aead test_codeword)
.PHONY: check-crypto
check-crypto: deps
	@$(MAKE) --no-print-directory $(CRYPTO_TEST_PROGRAMS) $(O)/bin/e2ee-sframe
	@SFRAME_VECTORS=$(SHARED)/vectors/sframe/rfc9605.json BUILD=$(abspath $(O)) $(SAN_ENV) \
	  TEST_LOGS=$(O)/test-logs tests/run-tests.sh $(CRYPTO_TEST_PROGRAMS) tests/cli/test_cli.py

# ------------------------------------------------------------------ benchmarks

# bench-crypto's baselines: raw libgcrypt, raw OpenSSL (libssl-dev; only in
# this benchmark, never in the firmware) and raw mbedTLS.
MORE_DEB_PACKAGES += libssl-dev
BENCH_CRYPTO_PKGS := libgcrypt libcrypto
$(O)/obj/tests/bench/bench_crypto.o: TEST_CFLAGS += $(call pc,$(BENCH_CRYPTO_PKGS))
$(O)/bin/bench-crypto: $(O)/obj/tests/bench/bench_crypto.o $(ALLOC_COUNT_OBJ) $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(ALLOC_COUNT_OBJ) $(E2EE_LIBS) \
	  $(call pl,$(BENCH_CRYPTO_PKGS))

# bench-media: a 4K H.264 stream (encoded once into $(O)/bench/) through
# e2eeenc ! e2eedec against rtph264pay ! srtpenc ! srtpdec ! rtph264depay.
$(O)/obj/tests/bench/bench_media.o: tests/bench/bench_media.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(GST_CFLAGS) -c $< -o $@

$(O)/bin/bench-media: $(O)/obj/tests/bench/bench_media.o
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(call pl,gstreamer-1.0) -lmbedcrypto

BENCH_PROGRAMS := $(O)/bin/bench-crypto $(O)/bin/bench-media

# The benchmarks count allocations by wrapping malloc: not under SANITIZE.
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_PROGRAMS)
	$(O)/bin/bench-crypto
	@$(MAKE) --no-print-directory bench-arm64
	GST_PLUGIN_PATH=$(abspath $(PLUGIN_DIR)) GST_REGISTRY=$(abspath $(O))/gst-registry.bin \
	  $(O)/bin/bench-media $(O)/bench/media-4k.h264
	@for b in $(MORE_BENCH); do $$b || exit 1; done

# ---------------------------------------------------------------------- fuzzing
# libFuzzer needs clang; the targets link the library's sources directly so
# that they carry coverage instrumentation.

FUZZ_TARGETS += fuzz_sframe_header fuzz_sframe_unprotect fuzz_nal fuzz_keyfile
FUZZ_BINS := $(FUZZ_TARGETS:%=$(O)/fuzz/%)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Icrypto/include $(call pc,libsodium)

$(O)/fuzz/%: tests/fuzz/%.c $(CRYPTO_SRCS) $(CRYPTO_HEADERS)
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(CRYPTO_SRCS) $(MBEDTLS_LIBS) $(call pl,libsodium)

# The NAL splitter and escaper are the plugin's only parsers of untrusted bytes
# outside libe2ee; they build without GStreamer.
$(O)/fuzz/fuzz_nal: tests/fuzz/fuzz_nal.c pipeline/gste2eenal.c pipeline/gste2eenal.h
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< pipeline/gste2eenal.c $(call pl,libsodium)

$(O)/fuzz/fuzz_keyfile: tests/fuzz/fuzz_keyfile.c pipeline/gste2eecommon.c pipeline/gste2ee.h \
		$(CRYPTO_SRCS) $(CRYPTO_HEADERS)
	$(call say,FUZZ,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(GST_CFLAGS) -o $@ $< pipeline/gste2eecommon.c \
	  $(CRYPTO_SRCS) $(MBEDTLS_LIBS) $(call pl,libsodium) $(GST_LIBS)

# Every target's seeds first: libFuzzer stops at a missing seed directory,
# which would otherwise show only after the targets before it had run. Then
# the targets, FUZZ_JOBS at a time (one a core by default), each for
# FUZZ_SECONDS; a finding prints the target's last 40 log lines and stops.
FUZZ_JOBS ?= $(shell nproc)
fuzz: deps
	@for t in $(FUZZ_TARGETS); do \
	  [ -n "$$(ls -A tests/fuzz/seeds/$$t 2>/dev/null)" ] || \
	    { echo "fuzz: $$t has no seed in tests/fuzz/seeds/$$t" >&2; exit 1; }; \
	done
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) $(FUZZ_TARGETS:%=fuzz-run-%)

fuzz-run-%: $(O)/fuzz/%
	@mkdir -p $(O)/fuzz/corpus/$*
	@$(O)/fuzz/$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -artifact_prefix=$(O)/fuzz/$*- $(O)/fuzz/corpus/$* tests/fuzz/seeds/$* \
	  2>$(O)/fuzz/$*.log || \
	  { echo "fuzz: $* FAILED (log: $(O)/fuzz/$*.log)"; tail -n 40 $(O)/fuzz/$*.log; exit 1; }
	@echo "fuzz: $* for $(FUZZ_SECONDS) s: $$(awk '/stat::number_of_executed_units/ { r = $$2 } \
	  /stat::peak_rss_mb/ { m = $$2 } END { print r " runs, peak RSS " m " MB" }' $(O)/fuzz/$*.log)"
