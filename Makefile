# callrec: plain Makefile with pkg-config. `make` builds everything into build/.
# make deps | all | check | demo | install | clean      V=1 shows commands.
# Tests: test-build (what unit and integration tests run; gcc only) | fuzz-build (clang) |
# bench-build | asan | ubsan | tsan (the same sources with a sanitizer, in build-asan/ ...).

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/callrec
ALSA_PLUGIN_DIR ?= $(shell pkg-config --variable=libdir alsa 2>/dev/null)/alsa-lib

VERSION := 0.1.0
B := build
CC ?= cc
PKGS := alsa samplerate gnutls yaml-0.1 sqlite3 jansson sndfile
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS ?= -O2 -g
CFLAGS += -DCR_DATADIR=\"$(DATADIR)\" -DCR_VERSION=\"$(VERSION)\"
CFLAGS += -std=c11 -D_GNU_SOURCE -fPIC -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	  -Wno-missing-field-initializers -Icommon $(PKG_CFLAGS)
DEPFLAGS = -MMD -MP
LDFLAGS += -Wl,--as-needed -Wl,-z,relro -Wl,-z,now
# SANITIZE=address|undefined|thread builds everything with that gcc sanitizer (make asan, ubsan,
# tsan set it, each with its own build directory).
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

lib = $(shell pkg-config --libs $(1) 2>/dev/null)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# --- sources ------------------------------------------------------------------------------
COMMON_SRCS := $(wildcard common/*.c)
PLUGIN_SRCS := $(wildcard plugin/*.c) common/ring.c
AGENT_SRCS := $(filter-out agent/main.c,$(wildcard agent/*.c))
# The archive daemon is one folder per concern (archive/daemon/README.md); its files include
# each other as "FOLDER/NAME.h" from archive/daemon.
ARCHIVED_SRCS := $(filter-out archive/daemon/main.c,$(wildcard archive/daemon/*.c archive/daemon/*/*.c))
ARCHIVE_SRCS := $(filter-out archive/cli/main.c,$(wildcard archive/cli/*.c)) \
	$(wildcard archive/cli/console/*.c)
TOOLS_SRCS := $(filter-out tools/callrec.c,$(wildcard tools/*.c))
S3_SRCS := $(wildcard archive/s3/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PLUGIN := $(B)/libasound_module_pcm_callrec.so
PROGS := $(B)/callrec-agent $(B)/callrec-archived $(B)/callrec-archive $(B)/callrec

LIBCOMMON := $(B)/libcallrec-common.a
LIBAGENT := $(B)/libcallrec-agent.a
LIBARCHIVED := $(B)/libcallrec-archived.a
LIBARCHIVE := $(B)/libcallrec-archive.a
LIBTOOLS := $(B)/libcallrec-tools.a
# The S3 client (archive/s3/): link $(LIBS3) before $(LIBCOMMON) (its hex codec), with $(S3_LIBS).
LIBS3 := $(B)/libcallrec-s3.a
S3_LIBS := $(call lib,libcurl)

ALL_LIBS := -lm -lpthread $(call lib,$(PKGS))
# The console's HTTP server: callrec-archive (and its unit tests) only; never the plugin.
CONSOLE_PKGS := libmicrohttpd
CONSOLE_LIBS := $(call lib,$(CONSOLE_PKGS))
# The console's pages: installed in $(DATADIR)/console; a build run from the tree uses these.
CONSOLE_WEB := archive/cli/console/web
$(B)/obj/archive/cli/console/webroot.o: CFLAGS += -DCRA_CONSOLE_BUILD_WEBDIR=\"$(abspath $(CONSOLE_WEB))\"
$(B)/obj/archive/cli/console/%.o: CFLAGS += $(shell pkg-config --cflags $(CONSOLE_PKGS) 2>/dev/null)

# Disclosure announcements, synthesized at build time from the texts in conf/announcements/
# (NAME = LANG-PURPOSE), as 48 kHz mono 16-bit WAV.
ANNOUNCE_TXTS := $(wildcard conf/announcements/*.txt)
ANNOUNCE_WAVS := $(patsubst conf/announcements/%.txt,$(B)/announcements/%.wav,$(ANNOUNCE_TXTS))
$(B)/announcements/%.wav: conf/announcements/%.txt
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  SPEAK   $@")
	$(Q)espeak-ng -v $(firstword $(subst -, ,$*)) -s 150 -w $@.tmp.wav -f $< && \
		sox -D $@.tmp.wav -r 48000 -c 1 -b 16 $@ && rm -f $@.tmp.wav

# Keep object files that pattern rules chain through, so rebuilds stay incremental.
.SECONDARY:

.PHONY: all deps check demo install uninstall clean test-build bench fuzz
all: $(PLUGIN) $(PROGS) $(ANNOUNCE_WAVS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@
# The daemon, its unit tests and the fuzz target that drives its manifest code.
ARCHIVED_INC := -Iarchive/daemon
$(B)/obj/archive/daemon/%.o $(B)/obj/tests/unit/test_archived_%.o: CFLAGS += $(ARCHIVED_INC)

$(B)/%.a:
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBCOMMON): $(call obj,$(COMMON_SRCS))
$(LIBAGENT): $(call obj,$(AGENT_SRCS))
$(LIBARCHIVED): $(call obj,$(ARCHIVED_SRCS))
$(LIBARCHIVE): $(call obj,$(ARCHIVE_SRCS))
$(LIBTOOLS): $(call obj,$(TOOLS_SRCS))
$(LIBS3): $(call obj,$(S3_SRCS))
$(call obj,$(S3_SRCS)): CFLAGS += $(shell pkg-config --cflags libcurl 2>/dev/null)

# The plugin is loaded into every program that plays a sound: alsa-lib and libc only.
$(PLUGIN): $(call obj,$(PLUGIN_SRCS)) plugin/exports.map
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,--no-undefined -Wl,--version-script=plugin/exports.map $(LDFLAGS) -o $@ $(filter %.o,$^) $(call lib,alsa)

$(B)/callrec-agent: $(call obj,agent/main.c) $(LIBAGENT) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)
$(B)/callrec-archived: $(call obj,archive/daemon/main.c) $(LIBARCHIVED) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)
$(B)/callrec-archive: $(call obj,archive/cli/main.c) $(LIBARCHIVE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS) $(CONSOLE_LIBS)
$(B)/callrec: $(call obj,tools/callrec.c) $(LIBTOOLS) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

# --- tests ----------------------------------------------------------------------------------
# The archive daemon with its fault-injection hooks (archive/daemon/testhooks.h): every daemon
# object built again with -DCALLREC_TEST_HOOKS. Only the crash and retention tests run it; the
# installed callrec-archived has no such code.
TESTHOOKS := $(B)/tests/callrec-archived-testhooks
$(B)/testhooks/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (test hooks)")
	$(Q)$(CC) $(CFLAGS) $(ARCHIVED_INC) -DCALLREC_TEST_HOOKS $(DEPFLAGS) -c $< -o $@
$(TESTHOOKS): $(patsubst %.c,$(B)/testhooks/obj/%.o,archive/daemon/main.c $(ARCHIVED_SRCS)) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)
-include $(shell find $(B)/testhooks/obj -name '*.d' 2>/dev/null)

# tests/unit/test_*.c: cmocka programs, linked with every component library.
# tests/slave/*.c: ALSA test-double slave plugins (ioplug), alsa-lib only.
# tests/programs/*.c: one program per file, used by integration tests and the demo.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
SLAVE_SRCS := $(wildcard tests/slave/pcm_*.c)
SLAVE_LIBS := $(patsubst tests/slave/pcm_%.c,$(B)/tests/libasound_module_pcm_%.so,$(SLAVE_SRCS))
TEST_PROGRAM_SRCS := $(wildcard tests/programs/*.c)
TEST_PROGRAM_BINS := $(patsubst tests/programs/%.c,$(B)/tests/%,$(TEST_PROGRAM_SRCS))

# Each unit test links only the component it tests, so one component's broken build does not
# stop the others' tests: test_agent_* (agent), test_archived_* (archive daemon), test_cli_*
# (operator and user commands), test_common_* (common).
define unit_test_rule
$(B)/tests/test_$(1)_%: $(call obj,tests/unit/test_$(1)_%.c) $(2) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(ALL_LIBS) $(3) $$(call lib,cmocka)
endef
$(eval $(call unit_test_rule,agent,$(LIBAGENT)))
$(eval $(call unit_test_rule,archived,$(LIBARCHIVED)))
$(eval $(call unit_test_rule,cli,$(LIBARCHIVE) $(LIBTOOLS),$(CONSOLE_LIBS)))
$(eval $(call unit_test_rule,common,))
$(eval $(call unit_test_rule,s3,$(LIBS3)))
$(B)/tests/test_s3_%: ALL_LIBS += $(S3_LIBS)
$(B)/tests/libasound_module_pcm_%.so: $(call obj,tests/slave/pcm_%.c)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,--no-undefined $(LDFLAGS) -o $@ $^ $(call lib,alsa) -lpthread
$(B)/tests/%: $(call obj,tests/programs/%.c) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

# s3probe drives the S3 client against a real RGW (tests/integration/s3_objectlock.sh).
# The pattern rule puts $(LIBCOMMON) before $(LIBS3), which needs it: once more after.
$(B)/tests/s3probe: $(LIBS3)
$(B)/tests/s3probe: ALL_LIBS += $(LIBCOMMON) $(S3_LIBS)

# tests/softphone/*.c: LD_PRELOAD probes for the softphone tests (alsa-lib, libc, libdl).
PROBE_SRCS := $(wildcard tests/softphone/*.c)
PROBE_LIBS := $(patsubst tests/softphone/%.c,$(B)/tests/%.so,$(PROBE_SRCS))
$(B)/tests/%.so: $(call obj,tests/softphone/%.c)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,--no-undefined $(LDFLAGS) -o $@ $^ $(call lib,alsa) -ldl -lpthread

# bench/*.c: one program per file (load generators for `make bench`), linked like the test tools.
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
$(B)/bench/%: $(call obj,bench/%.c) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

# libFuzzer targets: tests/fuzz/fuzz_NAME.c with corpus tests/fuzz/corpus/NAME/. `make check`
# replays the corpora; `make fuzz FUZZ_SECONDS=600` fuzzes each target for that long.
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
FUZZ_COMMON := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(COMMON_SRCS))
FUZZ_SECONDS ?= 60

$(B)/fuzz/obj/archive/daemon/%.o $(B)/fuzz/obj/tests/fuzz/fuzz_manifest.o: CFLAGS += $(ARCHIVED_INC)
$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(filter-out -O2 -Wformat=2,$(CFLAGS)) $(FUZZ_FLAGS) $(DEPFLAGS) -c $< -o $@
$(B)/fuzz/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_COMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(ALL_LIBS)

# fuzz_manifest drives the archive daemon's manifest code and verify's checks: it links static
# libraries of their fuzz-compiled objects, from which the linker takes only what it needs.
FUZZ_ARCHIVED := $(B)/fuzz/libcallrec-archived.a
FUZZ_VERIFY := $(B)/fuzz/libcallrec-verify.a
$(FUZZ_ARCHIVED): $(patsubst %.c,$(B)/fuzz/obj/%.o,$(ARCHIVED_SRCS))
$(FUZZ_VERIFY): $(patsubst %,$(B)/fuzz/obj/archive/cli/%.o,verify_core pubkey tsp)
$(B)/fuzz/fuzz_manifest: $(FUZZ_VERIFY) $(FUZZ_ARCHIVED)
# fuzz_s3xml: the S3 client's response parsers (no libcurl in them).
$(B)/fuzz/fuzz_s3xml: $(patsubst %.c,$(B)/fuzz/obj/%.o,$(addprefix archive/s3/,s3_xml.c s3_parse.c s3_time.c))
# fuzz_http_range: the console's Range header parser.
$(B)/fuzz/fuzz_http_range: $(B)/fuzz/obj/archive/cli/console/range.o
# fuzz_bundle: verify's checks of a bundle's timestamp and summary.
$(B)/fuzz/fuzz_bundle: $(FUZZ_VERIFY)
# Header dependencies of the fuzz objects too: they share structures with the daemon's.
-include $(shell find $(B)/fuzz/obj -name '*.d' 2>/dev/null)

fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	for f in $(FUZZ_BINS); do n=$$(basename $$f | sed 's/^fuzz_//'); \
		mkdir -p $(B)/fuzz/corpus-$$n; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(B)/fuzz/corpus-$$n tests/fuzz/corpus/$$n \
			|| exit 1; done

# --- sanitizer builds -------------------------------------------------------------------------
# make asan | ubsan | tsan: programs, plugin and unit tests built with that sanitizer into
# $(B)-asan/ (-ubsan/, -tsan/), then the unit tests run from there; tsan also runs the plugin's
# threaded tests (duplex's two threads and the reconnecting control thread against that plugin).
# Not part of `make check`: each is a full second build.
TSAN_PLUGIN := $(B)-tsan/libasound_module_pcm_callrec.so
.PHONY: asan ubsan tsan unit-build fuzz-build bench-build FORCE
asan: SANITIZER := address
ubsan: SANITIZER := undefined
tsan: SANITIZER := thread
asan ubsan tsan: deps
	$(Q)$(MAKE) --no-print-directory B=$(B)-$@ SANITIZE=$(SANITIZER) all unit-build
	$(Q)BUILD=$(B)-$@ tests/run.sh --unit
	$(Q)$(if $(filter tsan,$@),$(MAKE) --no-print-directory test-build && \
		TESTS="plugin_sanitizers plugin_reconnect" tests/run.sh --integration)
# The tests' ThreadSanitizer plugin: the tsan build of the plugin alone.
$(TSAN_PLUGIN): FORCE
	$(Q)$(MAKE) --no-print-directory B=$(B)-tsan SANITIZE=thread $@
FORCE:

bench-build: $(BENCH_BINS)

# What the unit and integration tests run, built with $(CC) alone: `make test-build` and then
# `bash tests/integration/NAME.sh` runs any one of them (fuzz_replay.sh also wants fuzz-build).
# archive_streams.sh drives the archive with bench's load generator, so that one is here too;
# plugin_sanitizers.sh and plugin_reconnect.sh load the ThreadSanitizer build of the plugin.
unit-build: $(UNIT_BINS)
test-build: all unit-build $(SLAVE_LIBS) $(TEST_PROGRAM_BINS) $(PROBE_LIBS) $(B)/bench/archload \
	    $(TSAN_PLUGIN) $(TESTHOOKS)

# --- the README's two commands ----------------------------------------------------------------
deps:
	$(Q)packaging/install-deps.sh packaging/debian-packages.txt

# make check also replays the fuzz corpora (fuzz_replay.sh), so it builds the fuzzers too.
check: deps
	$(Q)$(MAKE) --no-print-directory test-build fuzz-build
	$(Q)tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)tests/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory test-build bench-build
	$(Q)BUILD=$(abspath $(B)) bench/run.sh

# Long versions of the fault and format tests (10-minute network cut, full plugin matrix, an
# hour-long softphone call, ...), on demand; never part of make check.
soak: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)for s in tests/soak/*_soak.sh; do echo "== $$s"; BUILD=$(abspath $(B)) bash $$s || exit 1; done

.PHONY: soak deb deb-check
# Debian binary packages into $(B)/deb/ (dpkg-buildpackage -b from a copy of the tree with
# packaging/debian at ./debian; lintian errors fail).
deb:
	$(Q)packaging/build-deb.sh $(abspath $(B))/deb

# Installs the packages on THIS machine (root, throwaway CI), records a call with the installed
# files, purges them. About a minute; not part of `make check`.
deb-check: deps
	$(Q)$(MAKE) --no-print-directory test-build deb
	$(Q)DEBS=$(abspath $(B))/deb BUILD=$(abspath $(B)) bash tests/deb/deb_check.sh

# --- install ----------------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(ALSA_PLUGIN_DIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(PLUGIN) $(DESTDIR)$(ALSA_PLUGIN_DIR)/
	install -m 0755 $(B)/callrec $(B)/callrec-archive $(DESTDIR)$(BINDIR)/
	install -m 0755 $(B)/callrec-agent $(B)/callrec-archived $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(DATADIR)/announcements
	install -m 0644 $(ANNOUNCE_WAVS) $(ANNOUNCE_TXTS) $(DESTDIR)$(DATADIR)/announcements/
	install -d $(DESTDIR)$(DATADIR)/console
	install -m 0644 $(wildcard $(CONSOLE_WEB)/*) $(DESTDIR)$(DATADIR)/console/
	for m in docs/man/*.1; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/; done; true
	for m in docs/man/*.8; do [ -e "$$m" ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done; true

uninstall:
	rm -f $(DESTDIR)$(ALSA_PLUGIN_DIR)/libasound_module_pcm_callrec.so
	rm -f $(DESTDIR)$(BINDIR)/callrec $(DESTDIR)$(BINDIR)/callrec-archive
	rm -f $(DESTDIR)$(SBINDIR)/callrec-agent $(DESTDIR)$(SBINDIR)/callrec-archived
	rm -rf $(DESTDIR)$(DATADIR)/console

clean:
	rm -rf $(B) $(B)-asan $(B)-ubsan $(B)-tsan

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
