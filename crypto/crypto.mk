# SPDX-License-Identifier: MIT
# crypto/: libe2ee (SFrame, keyring, codeword) and the e2ee-sframe tool.
#
# AEAD=gcrypt (default) or AEAD=mbedtls: the backend under SFrame
# (crypto/aead.h, docs/crypto-backend.md). mbedTLS stays linked either way:
# HKDF, secret.c and the TLS and DTLS elsewhere use it.

# mbedTLS (HKDF, the mbedTLS AEAD backend, TLS), libsodium (identity keys,
# Argon2id, wiping), libgcrypt (the default AEAD backend).
MORE_DEB_PACKAGES += libmbedtls-dev libsodium-dev libgcrypt20-dev

AEAD ?= gcrypt
ifeq ($(filter gcrypt mbedtls,$(AEAD)),)
$(error AEAD must be gcrypt or mbedtls, not '$(AEAD)')
endif
AEAD_LIBS_gcrypt := $(call pl,libgcrypt)
AEAD_LIBS_mbedtls :=
AEAD_LIBS := $(AEAD_LIBS_$(AEAD))
E2EE_LIBS += $(AEAD_LIBS)
# The rules that compile libe2ee's sources into their own program (the fuzz
# targets, in several fragments) all link $(MBEDTLS_LIBS): the backend's
# library rides along there, so that they link whichever backend is chosen.
MBEDTLS_LIBS += $(AEAD_LIBS)

CRYPTO_SRCS := crypto/sframe.c crypto/keyring.c crypto/codeword.c crypto/secret.c \
	crypto/aead_$(AEAD).c
CRYPTO_OBJS := $(CRYPTO_SRCS:%.c=$(O)/obj/%.o)
CRYPTO_HEADERS := $(wildcard crypto/include/e2ee/*.h)

# The backend the archive was last made with: a change of AEAD in the same
# $(O) remakes the archive (and so relinks every program).
AEAD_STAMP := $(O)/obj/crypto/aead-backend
$(shell mkdir -p $(O)/obj/crypto && { [ "$$(cat $(AEAD_STAMP) 2>/dev/null)" = $(AEAD) ] \
	|| echo $(AEAD) >$(AEAD_STAMP); })

$(O)/lib/libe2ee.a: $(CRYPTO_OBJS) $(AEAD_STAMP)
	$(call say,AR,$@)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $(CRYPTO_OBJS)

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
include crypto/arm64/arm64.mk
