# ipcbench - one non-recursive Makefile.
#
#   make                 build $(BUILDDIR)/ipcbench
#   make test            build and run every test (unit, conformance, cli)
#   make install         install to $(DESTDIR)$(PREFIX)/bin
#   make SANITIZE=address,undefined test     sanitizer build
#   make WERROR=1 V=1 BUILDDIR=/tmp/b        stricter, verbose, elsewhere
#
# CFLAGS/LDFLAGS are the user's and come last; project flags live in
# IPCB_CFLAGS.  Every .c under bench/, harness/ and transports/ is built, so a
# new transport is one new file plus its line in transports/registry.c.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/ipcbench
BUILDDIR  ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config

VERSION   := 0.1.0
GIT_REV   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
ZLIB_CFLAGS    := $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)
ZLIB_LIBS      := $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)

IPCB_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wno-format-truncation \
	-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread \
	-I. \
	-DIPCB_VERSION='"$(VERSION)"' -I$(BUILDDIR)/gen \
	-DIPCB_DATADIR='"$(DATADIR)"' \
	$(JANSSON_CFLAGS) $(ZLIB_CFLAGS) -MMD -MP
IPCB_LDLIBS := $(JANSSON_LIBS) $(ZLIB_LIBS) -lrt -lm -pthread

ifeq ($(WERROR),1)
IPCB_CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
IPCB_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
IPCB_LDFLAGS += -fsanitize=$(SANITIZE)
endif
# The exact flags go into every result file.
IPCB_BUILD_FLAGS := $(strip -O2 $(if $(SANITIZE),-fsanitize=$(SANITIZE)) $(CFLAGS))
IPCB_CFLAGS += -DIPCB_BUILD_FLAGS='"$(IPCB_BUILD_FLAGS)"'

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

$(BIN): $(call obj,$(MAIN_SRC)) $(BUILDDIR)/libipcbench.a
	@echo "  LD      $@"
	$(Q)$(CC) $(IPCB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(IPCB_LDLIBS) $(LDLIBS)

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

$(BUILDDIR)/obj/%.o: %.c | $(BUILDDIR)/gen/gitrev.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(IPCB_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILDDIR)/obj/tests/%.o: IPCB_CFLAGS += -DIPCB_SRCDIR='"$(CURDIR)"'
# plot finds its templates in the source tree when not installed
$(BUILDDIR)/obj/harness/analysis/gnuplot.o: IPCB_CFLAGS += -DIPCB_SRCDIR='"$(CURDIR)"'

$(BUILDDIR)/tests/%: $(BUILDDIR)/obj/tests/%.o $(TEST_OBJS) $(BUILDDIR)/libipcbench.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(IPCB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(IPCB_LDLIBS) $(LDLIBS)

tests: $(BIN) $(TEST_BINS)

# The README's test command.  tests/run.sh prints one line per test and
# ends with the total "N passed, N failed, N skipped".
test check: tests
	$(Q)BUILDDIR=$(BUILDDIR) sh tests/run.sh

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/ipcbench
	install -m 0644 scripts/*.gp $(DESTDIR)$(DATADIR)/ 2>/dev/null || true

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ipcbench
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(BUILDDIR)

SRCS_ALL := $(wildcard common/*.[ch] bench/*.[ch] harness/*.[ch] harness/*/*.[ch] transports/*.[ch] tests/*.[ch] tests/*/*.[ch])
format-check:
	clang-format --dry-run --Werror $(SRCS_ALL)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem -I . $(SRCS_ALL)

# Fuzzing (libFuzzer, Debian's clang + libclang-rt-14-dev): each target in
# tests/fuzz/ runs for FUZZ_SECONDS from the committed seeds in
# tests/fuzz/corpus/<target>/; what it discovers goes to a scratch corpus
# under $(BUILDDIR)/fuzz so the committed seeds stay small.  A crash leaves
# its input as $(BUILDDIR)/fuzz/crash-* and fails the target.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILDDIR)/fuzz
FUZZ_CFLAGS  := $(filter-out -O2 -MMD -MP,$(IPCB_CFLAGS)) -O1 -g \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))

$(FUZZ_DIR)/obj/%.o: %.c | $(BUILDDIR)/gen/gitrev.h
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-unknown-warning-option -c -o $@ $<

$(FUZZ_DIR)/libipcbench.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libipcbench.a
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(IPCB_LDLIBS)

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
		if ls $(FUZZ_DIR)/crash-* $(FUZZ_DIR)/leak-* $(FUZZ_DIR)/timeout-* >/dev/null 2>&1; then \
			echo "fuzz $$name found a failing input:"; ls $(FUZZ_DIR)/crash-* $(FUZZ_DIR)/leak-* $(FUZZ_DIR)/timeout-* 2>/dev/null; exit 1; fi; \
	done

-include $(shell find $(BUILDDIR)/obj -name '*.d' 2>/dev/null)
