# Makefile: builds pnpbox (DESIGN.md "Build outputs").
#
#   make          build/lib/libpnpbox.{a,so}, build/bin/pnpbox, build/pnpbox.pc, examples
#   make test     install missing packages, build, run every Criterion suite
#                 (JUnit XML in build/test-results/)
#   make asan     the same tests built with ASan+UBSan (in build/asan/)
#   make bench    the benchmarks (bench: NAME VALUE UNIT lines)
#   make demo     the main job on the embedded default machine
#   make fuzz     the INF fuzz target, run for FUZZ_SECONDS (libFuzzer, clang)
#   make deps     install what is missing with apt-get (quiet when all is there)
#
# Every module is a directory whose *.c files all go into the library, so a
# new file needs no Makefile change.  Objects depend on build/.flags, which
# is rewritten only when the flags change: changing flags rebuilds.

SHELL := /bin/bash
CC := gcc
TOP := $(CURDIR)
BUILD ?= build
OPT ?= -O2
SAN ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

PKGS := sqlite3 fuse3
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -ldl -lm
CRIT_CFLAGS := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1
endif

WARN := -Wall -Wextra -Werror -Wshadow=local -Wno-missing-field-initializers -Wno-multichar
CPPFLAGS_ALL := -I$(TOP)/include -I$(TOP)/include/wdk -I$(TOP) -D_GNU_SOURCE
CFLAGS_ALL := -std=c11 -fshort-wchar -fPIC -g $(OPT) $(WARN) $(SANFLAGS) $(PKG_CFLAGS)
LDFLAGS_ALL := $(SANFLAGS)

LIB_DIRS := base regdb fs emu harness
LIB_SRCS := $(sort $(wildcard $(addsuffix /*.c,$(LIB_DIRS))))
CLI_SRCS := $(sort $(wildcard harness/cli/*.c))
# The Criterion harness is its own library, so programs without Criterion never link it.
CRITLIB_SRCS := $(sort $(wildcard harness/criterion/*.c))
SUPPORT_SRCS := $(sort $(wildcard tests/support/*.c))
TEST_DIRS := $(sort $(filter-out support fuzz data,$(notdir $(patsubst %/,%,$(wildcard tests/*/)))))
BENCH_SRCS := $(sort $(wildcard bench/*.c))
EXAMPLE_DIRS := $(sort $(notdir $(patsubst %/,%,$(wildcard examples/*/))))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJS := $(call obj,$(LIB_SRCS))
CLI_OBJS := $(call obj,$(CLI_SRCS))
SUPPORT_OBJS := $(call obj,$(SUPPORT_SRCS))
# Each examples/<name>/tests/ is a Criterion suite with the driver linked in.
EXAMPLE_TEST_DIRS := $(sort $(foreach e,$(EXAMPLE_DIRS),$(if $(wildcard examples/$(e)/tests/*.c),$(e))))
TEST_BINS := $(addprefix $(BUILD)/tests/,$(TEST_DIRS)) \
             $(foreach e,$(EXAMPLE_TEST_DIRS),$(BUILD)/examples/$(e)/test_$(e))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
# Each examples/<name>/ becomes a package directory build/examples/<name>/:
# its INF, and the driver compiled as <name>.sys (a shared object pnpbox loads).
EXAMPLE_PKGS := $(foreach e,$(EXAMPLE_DIRS),$(BUILD)/examples/$(e)/$(e).sys $(BUILD)/examples/$(e)/$(e).inf)

CRITLIB_OBJS := $(call obj,$(CRITLIB_SRCS))
LIBA := $(BUILD)/lib/libpnpbox.a
CRITLIB := $(BUILD)/lib/libpnpbox-criterion.a
CRITPC := $(BUILD)/pnpbox-criterion.pc
LIBSO := $(BUILD)/lib/libpnpbox.so
CLI := $(BUILD)/bin/pnpbox
PC := $(BUILD)/pnpbox.pc

.PHONY: all lib cli tests benches examples test asan bench demo deps fuzz clean \
        build-and-test run-tests run-bench run-demo docs FORCE
.DEFAULT_GOAL := all
# Objects made through pattern rules are kept (not deleted as intermediates),
# so a second make does not rebuild them.
.SECONDARY:

all: lib cli $(PC) $(CRITLIB) $(CRITPC) examples
lib: $(LIBA) $(LIBSO)
cli: $(CLI)
tests: $(TEST_BINS)
benches: $(BENCH_BINS)
examples: $(EXAMPLE_PKGS)

# ---- flags stamp: rebuild everything when the flags change ----
FLAGS_LINE := $(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) $(PKG_LIBS)
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(FLAGS_LINE)' | cmp -s - $@ || echo '$(FLAGS_LINE)' > $@

$(BUILD)/obj/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(if $(filter tests/% harness/criterion/% examples/%/tests/% bench/bench_harness.c,$<),$(CRIT_CFLAGS)) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(CRITLIB): $(CRITLIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(LIBSO): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL) $(PKG_LIBS)

# Driver shared objects resolve the WDK API from the program that loads
# them, so programs link the whole library and export its symbols.
WHOLE_LIBA = -Wl,--whole-archive $(LIBA) -Wl,--no-whole-archive

$(CLI): $(CLI_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(CLI_OBJS) $(WHOLE_LIBA) $(LDFLAGS_ALL) $(PKG_LIBS) -rdynamic

$(PC): $(BUILD)/.flags
	@mkdir -p $(dir $@)
	@printf '%s\n' \
	  'prefix=$(TOP)' \
	  'libdir=$(TOP)/$(BUILD)/lib' \
	  '' \
	  'Name: pnpbox' \
	  'Description: Windows PnP / driver-store emulator for testing driver package isolation' \
	  'Version: 0.1.0' \
	  'Requires.private: sqlite3 fuse3' \
	  'Cflags: -fshort-wchar -Wno-multichar -I$${prefix}/include -I$${prefix}/include/wdk' \
	  'Libs: -L$${libdir} -Wl,-rpath,$${libdir} -lpnpbox $(PKG_LIBS)' > $@

$(CRITPC): $(BUILD)/.flags
	@mkdir -p $(dir $@)
	@printf '%s\n' \
	  'prefix=$(TOP)' \
	  'libdir=$(TOP)/$(BUILD)/lib' \
	  '' \
	  'Name: pnpbox-criterion' \
	  'Description: Criterion harness for pnpbox driver tests (fresh machine per test, isolation assertions)' \
	  'Version: 0.1.0' \
	  'Requires: pnpbox criterion' \
	  'Libs: -L$${libdir} -lpnpbox-criterion -Wl,--whole-archive -lpnpbox -Wl,--no-whole-archive -rdynamic' > $@

# One Criterion binary per tests/<module>/ directory; it gets pnpbox's
# harness main (sharding) unless it defines its own.
.SECONDEXPANSION:
$(BUILD)/tests/%: $$(call obj,$$(sort $$(wildcard tests/%/*.c))) $(SUPPORT_OBJS) $(CRITLIB) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(filter %.o,$^) $(CRITLIB) $(WHOLE_LIBA) $(LDFLAGS_ALL) $(CRIT_LIBS) $(PKG_LIBS) -rdynamic

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(WHOLE_LIBA) $(LDFLAGS_ALL) $(PKG_LIBS) -rdynamic

# The harness benchmark runs the Criterion fixture, so it links the harness.
$(BUILD)/bench/bench_harness: $(BUILD)/obj/bench/bench_harness.o $(CRITLIB) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(CRITLIB) $(WHOLE_LIBA) $(LDFLAGS_ALL) $(CRIT_LIBS) $(PKG_LIBS) -rdynamic

# An example driver is a shared object built with the pkg-config flags; it
# resolves the WDK API from the program that loads it.
define EXAMPLE_RULES
$(BUILD)/examples/$(1)/$(1).sys: $(call obj,$(sort $(wildcard examples/$(1)/*.c)))
	@mkdir -p $$(dir $$@)
	$(CC) -shared -o $$@ $$^ $(LDFLAGS_ALL)
$(BUILD)/examples/$(1)/$(1).inf: examples/$(1)/$(1).inf
	@mkdir -p $$(dir $$@)
	cp $$< $$@
endef
$(foreach e,$(EXAMPLE_DIRS),$(eval $(call EXAMPLE_RULES,$(e))))

# An example's tests link its driver code in and find its package (the INF and
# the .sys) through EXAMPLE_PKG_DIR.
define EXAMPLE_TEST_RULES
$(BUILD)/obj/examples/$(1)/tests/%.o: examples/$(1)/tests/%.c $(BUILD)/.flags
	@mkdir -p $$(dir $$@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(CRIT_CFLAGS) -DEXAMPLE_PKG_DIR='"$(TOP)/$(BUILD)/examples/$(1)"' -MMD -MP -c $$< -o $$@
$(BUILD)/examples/$(1)/test_$(1): $(call obj,$(sort $(wildcard examples/$(1)/*.c examples/$(1)/tests/*.c))) $(CRITLIB) $(LIBA) $(BUILD)/examples/$(1)/$(1).sys $(BUILD)/examples/$(1)/$(1).inf
	@mkdir -p $$(dir $$@)
	$(CC) -o $$@ $$(filter %.o,$$^) $(CRITLIB) $(WHOLE_LIBA) $(LDFLAGS_ALL) $(CRIT_LIBS) $(PKG_LIBS) -rdynamic
endef
$(foreach e,$(EXAMPLE_TEST_DIRS),$(eval $(call EXAMPLE_TEST_RULES,$(e))))

# ---- the user-facing targets ----
deps:
	@tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory build-and-test

build-and-test:
	@$(MAKE) --no-print-directory -j$(JOBS) all tests
	@$(MAKE) --no-print-directory run-tests

# Under SAN=1 a suite also fails when its output holds a sanitizer report:
# LeakSanitizer runs as each Criterion worker exits, after the test has
# already been counted as passed, so the exit status alone would miss leaks.
run-tests: $(TEST_BINS)
	@mkdir -p $(BUILD)/test-results
	@fail=0; for t in $(TEST_BINS); do \
	  name=$$(basename $$t); \
	  echo "== $$name"; \
	  log=$(BUILD)/test-results/$$name.log; \
	  PNPBOX_TOP=$(TOP) PNPBOX_BUILD=$(TOP)/$(BUILD) $$t -j$(JOBS) --xml=$(BUILD)/test-results/$$name.xml \
	    > >(tee $$log) 2> >(tee -a $$log >&2) || fail=1; \
	  wait; \
	  if [ "$(SAN)" = 1 ] && grep -qE 'ERROR: (Address|Leak)Sanitizer|SUMMARY: (Address|Undefined|Leak)Sanitizer|runtime error:' $$log; then \
	    echo "$$name: sanitizer report in $$log"; fail=1; \
	  fi; \
	done; \
	if [ $$fail = 0 ]; then echo "all test suites passed"; else echo "some test suites failed"; exit 1; fi

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build-and-test

bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all benches
	@$(MAKE) --no-print-directory run-bench

run-bench: $(BENCH_BINS)
	@for b in $(BENCH_BINS); do \
	  PNPBOX_TOP=$(TOP) PNPBOX_BUILD=$(TOP)/$(BUILD) $$b || exit 1; \
	done

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@PNPBOX_BUILD=$(TOP)/$(BUILD) tools/demo.sh

# docs/rules.md is generated from the rule catalogue (tests/cli checks it is current).
docs: deps
	@$(MAKE) --no-print-directory -j$(JOBS) cli
	$(CLI) explain --markdown > docs/rules.md

FUZZ_SECONDS ?= 60
fuzz: deps
	@tools/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
