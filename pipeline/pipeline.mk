# SPDX-License-Identifier: MIT
# pipeline/: the GStreamer plugin "e2ee" (e2eeenc, e2eedec, and the
# non-parsing payloaders rtpvp8e2eepay / rtpvp9e2eepay), and e2ee-media.

GST_PKGS := gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0 gstreamer-rtp-1.0
GST_CFLAGS = $(call pc,$(GST_PKGS))
GST_LIBS = $(call pl,$(GST_PKGS))

PLUGIN_SRCS := pipeline/gste2ee.c pipeline/gste2eeenc.c pipeline/gste2eedec.c \
	pipeline/gste2eecommon.c pipeline/gste2eenal.c \
	pipeline/gstrtpvp8e2eepay.c pipeline/gstrtpvp9e2eepay.c
PLUGIN_OBJS := $(PLUGIN_SRCS:%.c=$(O)/obj/%.o)
PLUGIN_DIR := $(O)/lib/gstreamer-1.0
PLUGIN := $(PLUGIN_DIR)/libgste2ee.so
PACKAGE_VERSION := 0.1.0

$(O)/obj/pipeline/%.o: pipeline/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(GST_CFLAGS) -DPACKAGE_VERSION='"$(PACKAGE_VERSION)"' -DPACKAGE='"sealroom"' -Wno-missing-field-initializers \
	  -DGST_USE_UNSTABLE_API -c $< -o $@

$(PLUGIN): $(PLUGIN_OBJS) $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) -shared $(BASE_LDFLAGS) $(LDFLAGS) -Wl,--no-undefined -o $@ $(PLUGIN_OBJS) \
	  $(E2EE_LIBS) $(GST_LIBS)

$(O)/bin/e2ee-media: $(O)/obj/pipeline/e2ee-media.o $(O)/lib/libe2ee.a
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_LDFLAGS) $(LDFLAGS) -o $@ $< $(E2EE_LIBS) $(GST_LIBS)

all: $(PLUGIN) $(O)/bin/e2ee-media

install: install-plugin
.PHONY: install-plugin
install-plugin: $(PLUGIN) $(O)/bin/e2ee-media
	install -d $(DESTDIR)$(PREFIX)/lib/gstreamer-1.0 $(DESTDIR)$(PREFIX)/bin
	install -m 0644 $(PLUGIN) $(DESTDIR)$(PREFIX)/lib/gstreamer-1.0/
	install -m 0755 $(O)/bin/e2ee-media $(DESTDIR)$(PREFIX)/bin/
