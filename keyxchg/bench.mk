# SPDX-License-Identifier: MIT
# bench-keying (tests/bench/bench_keying.c): the host's CPU per join and per
# leave, the time to every ack and the traffic of a rotation, for meetings of
# 10, 100 and 1000 simulated with libkx, the acks timed over loopback through
# the relay fixture (tests/fixtures/relay.py, run from the tree's root: `make
# bench` runs it there; KX_BENCH_RELAY=path elsewhere).

$(O)/obj/tests/bench/bench_keying.o: tests/bench/bench_keying.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Ikeyxchg/include $(call pc,jansson) -c $< -o $@

$(O)/bin/bench-keying: $(O)/obj/tests/bench/bench_keying.o $(O)/lib/libkx.a $(O)/lib/libkxnet.a \
		$(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(O)/lib/libkx.a $(O)/lib/libkxnet.a \
	  $(call pl,jansson) $(KXNET_LIBS) $(E2EE_LIBS)

# Built with `all`: `make bench` builds only `all` and tests.mk's own programs.
all: $(O)/bin/bench-keying
MORE_BENCH += $(O)/bin/bench-keying
