# SPDX-License-Identifier: MIT
# crypto/: libe2ee (SFrame, keyring, codeword) and the e2ee-sframe tool.

# mbedTLS (SFrame's AEAD, TLS) and libsodium (identity keys, Argon2id, wiping).
MORE_DEB_PACKAGES += libmbedtls-dev libsodium-dev

CRYPTO_SRCS := crypto/sframe.c crypto/keyring.c crypto/codeword.c crypto/secret.c
CRYPTO_OBJS := $(CRYPTO_SRCS:%.c=$(O)/obj/%.o)
CRYPTO_HEADERS := $(wildcard crypto/include/e2ee/*.h)

$(O)/lib/libe2ee.a: $(CRYPTO_OBJS)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/bin/e2ee-sframe: $(O)/obj/crypto/e2ee-sframe.o $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(E2EE_LIBS)

all: $(O)/lib/libe2ee.a $(O)/bin/e2ee-sframe

install: $(O)/lib/libe2ee.a $(O)/bin/e2ee-sframe
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/e2ee
	install -m 0755 $(O)/bin/e2ee-sframe $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(O)/lib/libe2ee.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 $(CRYPTO_HEADERS) $(DESTDIR)$(PREFIX)/include/e2ee/
