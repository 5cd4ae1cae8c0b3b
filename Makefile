# ipcbench - one non-recursive Makefile.
#
#   make                 build $(BUILDDIR)/ipcbench
#   make test            build and run every test (unit, conformance, cli)
#   make install         install to $(DESTDIR)$(PREFIX) (uninstall removes it)
#   make SANITIZE=address,undefined test     sanitizer build
#   make WERROR=1 V=1 BUILDDIR=/tmp/b        stricter, verbose, elsewhere
#
# CFLAGS/LDFLAGS are the user's and come last; project flags live in
# IPCB_CFLAGS.  Changing any of them (or CC, SANITIZE, WERROR) rebuilds what
# they affect: see the flag files below.  Every .c under bench/, harness/ and transports/ is built, so a
# new transport is one new file plus its line in transports/registry.c.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/ipcbench
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
BUILDDIR  ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config

VERSION   := 0.1.0
GIT_REV   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
ZLIB_CFLAGS    := $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)
ZLIB_LIBS      := $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)
# Optional libraries (the transports built on them): each is found with
# pkg-config, or, for the two Debian ships without a .pc file (nng, wslay),
# by compiling and linking a one-line program against it.  Found, it
# defines HAVE_<NAME> and adds its flags; missing (or NAME=no on the command
# line, e.g. `make LIBZMQ=no`), the transports on it still build and are
# listed as unavailable, naming the package.
#   $(call optlib_pc,NAME,pkg-config module)
#   $(call optlib_cc,NAME,header,link flags)
OPT_CFLAGS :=
OPT_LIBS   :=
define optlib_pc
ifneq ($$($(1)),no)
ifeq ($$(shell $$(PKG_CONFIG) --exists $(2) 2>/dev/null && echo yes),yes)
OPT_CFLAGS += -DHAVE_$(1) $$(shell $$(PKG_CONFIG) --cflags $(2))
OPT_LIBS   += $$(shell $$(PKG_CONFIG) --libs $(2))
endif
endif
endef
define optlib_cc
ifneq ($$($(1)),no)
ifeq ($$(shell printf '#include <$(2)>\nint main(void) { return 0; }\n' | $$(CC) -x c - $(3) -o /dev/null 2>/dev/null && echo yes),yes)
OPT_CFLAGS += -DHAVE_$(1)
OPT_LIBS   += $(3)
endif
endif
endef
$(eval $(call optlib_pc,LIBURING,liburing))
$(eval $(call optlib_pc,LIBSYSTEMD,libsystemd))
$(eval $(call optlib_pc,LIBDBUS,dbus-1))
$(eval $(call optlib_pc,LIBTIRPC,libtirpc))
$(eval $(call optlib_pc,LIBGRPC,grpc))
$(eval $(call optlib_pc,LIBMICROHTTPD,libmicrohttpd))
$(eval $(call optlib_pc,LIBCURL,libcurl))
$(eval $(call optlib_pc,LIBNGHTTP2,libnghttp2))
$(eval $(call optlib_pc,LIBZMQ,libzmq))
$(eval $(call optlib_cc,LIBNNG,nng/nng.h,-lnng))
$(eval $(call optlib_cc,LIBWSLAY,wslay/wslay.h,-lwslay))

# Code generation: -O2 unless the user's CFLAGS choose an -O of their own.
IPCB_OPTFLAGS := $(if $(filter -O%,$(CFLAGS)),,-O2) -g
# What every compile shares; IPCB_CFLAGS adds the code generation flags.
IPCB_BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wno-format-truncation \
	-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread \
	-I. \
	-DIPCB_VERSION='"$(VERSION)"' -I$(BUILDDIR)/gen \
	-DIPCB_DATADIR='"$(DATADIR)"' \
	$(JANSSON_CFLAGS) $(ZLIB_CFLAGS) $(OPT_CFLAGS) -MMD -MP
IPCB_CFLAGS := $(IPCB_BASE_CFLAGS) $(IPCB_OPTFLAGS)
IPCB_LDLIBS := $(JANSSON_LIBS) $(ZLIB_LIBS) $(OPT_LIBS) -lrt -lm -pthread

ifeq ($(WERROR),1)
IPCB_CFLAGS += -Werror
endif
IPCB_SANFLAGS :=
ifneq ($(SANITIZE),)
IPCB_SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
IPCB_CFLAGS += $(IPCB_SANFLAGS)
IPCB_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Quoting: shq makes text safe inside '...' for the shell, cstr inside "..." in C.
shq = $(subst ','\'',$(1))
cstr = $(subst ",\",$(subst \,\\,$(1)))

# Every result records the flags that decide the code: the optimisation,
# the sanitizers and the user's CFLAGS, in the order the compiler sees them.
# The flag files below make every object depend on them, so this is what
# every object of the binary was really built with.
IPCB_BUILD_FLAGS := $(strip $(IPCB_OPTFLAGS) $(IPCB_SANFLAGS) $(CFLAGS))
IPCB_CFLAGS += -DIPCB_BUILD_FLAGS='"$(call shq,$(call cstr,$(IPCB_BUILD_FLAGS)))"'

# The flag files (after git's GIT-CFLAGS): the exact compile and link
# commands, rewritten only when they change.  Every object depends on the
# first, every program on the second, so a change of CC, CFLAGS, SANITIZE,
# WERROR, LDFLAGS or a pkg-config answer rebuilds all that it affects,
# and an unchanged build rebuilds nothing.
# $(call write_if_changed,TEXT) is the recipe that keeps $@ equal to TEXT.
define write_if_changed
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(call shq,$(1))' >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else \
		[ -f $@ ] && echo "  FLAGS   $(notdir $@) changed: rebuilding"; mv $@.new $@; fi
endef
# The texts are fixed here, at parse time: the target-specific additions
# below (IPCB_SRCDIR) would otherwise leak into them from whichever object
# asked first.
BUILD_CFLAGS       := $(BUILDDIR)/BUILD-CFLAGS
BUILD_LDFLAGS      := $(BUILDDIR)/BUILD-LDFLAGS
BUILD_CFLAGS_TEXT  := $(CC) $(IPCB_CFLAGS) $(CFLAGS) IPCB_SRCDIR=$(CURDIR)
BUILD_LDFLAGS_TEXT := $(CC) $(IPCB_LDFLAGS) $(LDFLAGS) $(IPCB_LDLIBS) $(LDLIBS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS   := $(sort $(wildcard common/*.c harness/*.c harness/*/*.c transports/*.c) $(filter-out bench/main.c,$(wildcard bench/*.c)))
MAIN_SRC   := bench/main.c
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
CONF_SRCS  := $(sort $(wildcard tests/conformance/test_*.c))
TEST_LIB   := tests/runner.c $(filter-out tests/unit/test_% tests/conformance/test_%,$(wildcard tests/unit/*.c tests/conformance/*.c))
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(BUILDDIR)/obj/%.o,$(1))
LIB_OBJS   := $(call obj,$(LIB_SRCS))
TEST_OBJS  := $(call obj,$(TEST_LIB))
BIN        := $(BUILDDIR)/ipcbench
TEST_BINS  := $(patsubst tests/%.c,$(BUILDDIR)/tests/%,$(UNIT_SRCS) $(CONF_SRCS))

.PHONY: all test check install uninstall clean format-check lint tests fuzz fuzz-build FORCE
all: $(BIN)

$(BIN): $(call obj,$(MAIN_SRC)) $(BUILDDIR)/libipcbench.a $(BUILD_LDFLAGS)
	@echo "  LD      $@"
	$(Q)$(CC) $(IPCB_LDFLAGS) $(LDFLAGS) -o $@ $(filter-out $(BUILD_LDFLAGS),$^) $(IPCB_LDLIBS) $(LDLIBS)

$(BUILDDIR)/libipcbench.a: $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# The revision goes into every result: gitrev.h is rewritten only when it
# changes, so the files that include it are rebuilt exactly then.
$(BUILDDIR)/gen/gitrev.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define IPCB_GIT_REV "$(GIT_REV)"' >$@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@
FORCE:

$(BUILD_CFLAGS): FORCE
	$(call write_if_changed,$(BUILD_CFLAGS_TEXT))
$(BUILD_LDFLAGS): FORCE
	$(call write_if_changed,$(BUILD_LDFLAGS_TEXT))

$(BUILDDIR)/obj/%.o: %.c $(BUILD_CFLAGS) | $(BUILDDIR)/gen/gitrev.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(IPCB_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILDDIR)/obj/tests/%.o: IPCB_CFLAGS += -DIPCB_SRCDIR='"$(CURDIR)"'
# plot finds its templates in the source tree when not installed
$(BUILDDIR)/obj/harness/analysis/gnuplot.o: IPCB_CFLAGS += -DIPCB_SRCDIR='"$(CURDIR)"'

$(BUILDDIR)/tests/%: $(BUILDDIR)/obj/tests/%.o $(TEST_OBJS) $(BUILDDIR)/libipcbench.a $(BUILD_LDFLAGS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(IPCB_LDFLAGS) $(LDFLAGS) -o $@ $(filter-out $(BUILD_LDFLAGS),$^) $(IPCB_LDLIBS) $(LDLIBS)

tests: $(BIN) $(TEST_BINS)

# The README's test command.  tests/run.sh prints one line per test and
# ends with the total "N passed, N failed, N skipped".
test check: tests
	$(Q)BUILDDIR=$(BUILDDIR) sh tests/run.sh

# install fails on the first file it cannot install; uninstall removes
# exactly those files, and DATADIR only when nothing else is left in it.
# What is installed: the binary, the gnuplot templates plot and report read
# at run time (DATADIR, compiled into the binary), the man page and the
# bash completion.
GP_FILES := $(sort $(wildcard scripts/*.gp))
INSTALLED := $(DESTDIR)$(BINDIR)/ipcbench $(addprefix $(DESTDIR)$(DATADIR)/,$(notdir $(GP_FILES))) \
	$(DESTDIR)$(MANDIR)/man1/ipcbench.1 $(DESTDIR)$(BASHCOMPDIR)/ipcbench

install: $(BIN)
	@[ -n "$(GP_FILES)" ] || { echo "install: no gnuplot templates (scripts/*.gp) to install" >&2; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/ipcbench
	install -m 0644 $(GP_FILES) $(DESTDIR)$(DATADIR)/
	install -m 0644 man/ipcbench.1 $(DESTDIR)$(MANDIR)/man1/ipcbench.1
	install -m 0644 completion/ipcbench $(DESTDIR)$(BASHCOMPDIR)/ipcbench

uninstall:
	rm -f $(INSTALLED)
	@if [ -d $(DESTDIR)$(DATADIR) ]; then rmdir $(DESTDIR)$(DATADIR) 2>/dev/null || \
		echo "uninstall: kept $(DESTDIR)$(DATADIR): it holds files ipcbench did not install"; fi

clean:
	rm -rf $(BUILDDIR)

SRCS_ALL := $(wildcard common/*.[ch] bench/*.[ch] harness/*.[ch] harness/*/*.[ch] transports/*.[ch] tests/*.[ch] tests/*/*.[ch])
format-check:
	$(Q)clang-format --dry-run --Werror $(SRCS_ALL)

# cppcheck, then the layering and banned-call rules (scripts/lint-layers.sh);
# both always run, and either failing fails lint.
lint:
	@command -v cppcheck >/dev/null || { echo "lint: cppcheck is missing (sh scripts/install-deps.sh)"; exit 1; }
	$(Q)status=0; \
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem -I . $(SRCS_ALL) || status=1; \
	sh scripts/lint-layers.sh || status=1; \
	exit $$status

# Fuzzing (libFuzzer, Debian's clang + libclang-rt-14-dev): each target in
# tests/fuzz/ runs for FUZZ_SECONDS from the committed seeds in
# tests/fuzz/corpus/<target>/; what it discovers goes to a scratch corpus
# under $(BUILDDIR)/fuzz so the committed seeds stay small.  A crash leaves
# its input as $(BUILDDIR)/fuzz/crash-* and fails the target.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILDDIR)/fuzz
FUZZ_GENFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := $(filter-out -MMD -MP,$(IPCB_BASE_CFLAGS)) $(FUZZ_GENFLAGS) \
	-DIPCB_BUILD_FLAGS='"$(FUZZ_GENFLAGS)"'
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))

FUZZ_FLAGS_FILE := $(FUZZ_DIR)/FUZZ-FLAGS
FUZZ_FLAGS_TEXT := $(FUZZ_CC) $(FUZZ_CFLAGS) IPCB_SRCDIR=$(CURDIR) / $(IPCB_LDLIBS)
$(FUZZ_FLAGS_FILE): FORCE
	$(call write_if_changed,$(FUZZ_FLAGS_TEXT))

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_FLAGS_FILE) | $(BUILDDIR)/gen/gitrev.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-unknown-warning-option -c -o $@ $<

$(FUZZ_DIR)/libipcbench.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libipcbench.a $(FUZZ_FLAGS_FILE)
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $(filter-out $(FUZZ_FLAGS_FILE),$^) $(IPCB_LDLIBS)

.SECONDARY:

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@set -e; for f in $(FUZZ_BINS); do \
		name=$$(basename $$f | sed 's/^fuzz_//'); \
		mkdir -p $(FUZZ_DIR)/corpus-$$name; \
		echo "== fuzz $$name for $(FUZZ_SECONDS)s"; \
		( cd $(FUZZ_DIR) && ./$$(basename $$f) -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 corpus-$$name $(CURDIR)/tests/fuzz/corpus/$$name ) \
			2>&1 | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==|SUMMARY|artifact)' || true; \
		found=$$(ls $(FUZZ_DIR)/crash-* $(FUZZ_DIR)/leak-* $(FUZZ_DIR)/timeout-* 2>/dev/null || true); \
		if [ -n "$$found" ]; then echo "fuzz $$name found a failing input:"; echo "$$found"; exit 1; fi; \
	done

-include $(shell find $(BUILDDIR)/obj -name '*.d' 2>/dev/null)
