# SPDX-License-Identifier: MIT
#
# libioasid: plain GNU make, no configure step.  Everything is built under
# $(BUILD) (default build/; O=DIR or BUILD=DIR moves it).
#
#   make                 library, ioasctl and man pages
#   make demo            run examples/demo.batch on the simulator, told
#                        step by step (examples/demo.sh)
#   make check           every test (check-fast, then the VM suite)
#   make check-fast      tests that need no VM: unit, scripts, headers, man
#                        pages, ABI, install
#   make bench | vmcheck | vmbench | vmbench-nested | check-abi | man |
#        install | uninstall | clean
#
# Knobs: V=1 (show commands), PREFIX, LIBDIR, INCLUDEDIR, BINDIR, MANDIR,
# PKGCONFIGDIR, DESTDIR, CC, CFLAGS, LDFLAGS, CROSS_COMPILE, PKG_CONFIG, WERROR=0,
# UAPI_CFLAGS (Linux uAPI headers for lib/backend/kernel/),
# NO_DEPS=1 (do not run scripts/deps.sh).

.DEFAULT_GOAL := all
SHELL := /bin/bash

# Goals that need no installed packages.
NODEPS_GOALS := clean uninstall help deps distclean
GOALS := $(or $(MAKECMDGOALS),$(.DEFAULT_GOAL))

ifeq ($(IOASID_DEPS_DONE)$(NO_DEPS)$(filter-out $(NODEPS_GOALS),$(GOALS)),)
# Only goals that need nothing: fall through to the rules below.
IOASID_DEPS_DONE := 1
endif

ifeq ($(IOASID_DEPS_DONE)$(NO_DEPS),)
# ---------------------------------------------------------------------------
# First pass: install (or name) the missing packages, then run the real
# build in a sub-make, whose $(shell pkg-config ...) calls then find them.
# Without this, a fresh machine would fail at parse time with cryptic
# compiler errors before any rule could install anything.

DEPS_GROUPS := core
ifneq ($(filter check vmcheck,$(GOALS)),)
ifneq ($(wildcard tests/vm/run.sh),)
DEPS_GROUPS += vm vm-arm64
endif
endif
ifneq ($(filter bench,$(GOALS)),)
DEPS_GROUPS += bench
endif
ifneq ($(filter check check-fast check-fuzz fuzz,$(GOALS)),)
DEPS_GROUPS += fuzz
endif

.PHONY: $(GOALS) ioasid-deps-then-make
$(GOALS): ioasid-deps-then-make
	@:
ioasid-deps-then-make:
	@scripts/deps.sh $(DEPS_GROUPS)
	@$(MAKE) --no-print-directory IOASID_DEPS_DONE=1 $(GOALS)

else
# ---------------------------------------------------------------------------
# Second pass: the real rules.

VERSION := $(strip $(shell cat VERSION))
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
VERSION_PATCH := $(word 3,$(subst ., ,$(VERSION)))
ifneq ($(words $(subst ., ,$(VERSION))),3)
$(error VERSION must be MAJOR.MINOR.PATCH, not '$(VERSION)')
endif

ifdef O
BUILD := $(O)
endif
BUILD ?= build
# No trailing slash, so that paths compare equal.
override BUILD := $(patsubst %/,%,$(BUILD))

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions

CC := $(CROSS_COMPILE)$(if $(filter default,$(origin CC)),gcc,$(CC))
CXX := $(CROSS_COMPILE)$(if $(filter default,$(origin CXX)),g++,$(CXX))
AR := $(CROSS_COMPILE)$(if $(filter default,$(origin AR)),ar,$(AR))
NM ?= $(CROSS_COMPILE)nm
PKG_CONFIG ?= pkg-config
INSTALL ?= install
SCDOC ?= $(shell $(PKG_CONFIG) --variable=scdoc scdoc 2>/dev/null || echo scdoc)

CFLAGS ?= -O2 -g
# Flags the build cannot do without go in BASE_CFLAGS, so that CFLAGS=...
# on the command line changes optimisation, not correctness.
# WERROR=0 keeps warnings from failing the build (for newer compilers).
WERROR ?= 1
BASE_CFLAGS := -std=gnu11 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) \
	-D_GNU_SOURCE -MMD -MP
PUBLIC_INCLUDES := -Iinclude -I$(BUILD)/include

# bookworm's iniparser ships no .pc file; trixie's does.
INIPARSER_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags iniparser 2>/dev/null || echo -I/usr/include/iniparser)
INIPARSER_LIBS ?= $(shell $(PKG_CONFIG) --libs iniparser 2>/dev/null || echo -liniparser)
JSONC_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags json-c 2>/dev/null)
JSONC_LIBS ?= $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null || echo -ljson-c)
CMOCKA_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS ?= $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
# Recursive, so pkg-config runs only when the bench is built.
GLIB_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags glib-2.0 2>/dev/null)
GLIB_LIBS ?= $(shell $(PKG_CONFIG) --libs glib-2.0 2>/dev/null)

LIB_LIBS := $(INIPARSER_LIBS) -lpthread

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

# SOURCE_DATE_EPOCH makes the man pages' dates reproducible.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1767225600)
export SOURCE_DATE_EPOCH

# ---------------------------------------------------------------------------
# Library

# The library's layers are its folders (docs/DESIGN.md).  A file sees the
# headers of its own folder and of the layers below it, nothing else: the
# include path is the rule, so a call across layers the design does not
# allow fails to compile.  Headers are included by name only ("util.h",
# never "../util/util.h"; tests/include/check-layers.sh checks that).
# File names may repeat across folders (the simulator's files are named
# after the kernel's, core's after the public objects).
comma := ,
LIB_LAYERS := util model host backend/sim backend/kernel core viommu
LAYER_INCLUDES_util := util
LAYER_INCLUDES_model := util model
LAYER_INCLUDES_host := util model host
LAYER_INCLUDES_backend/sim := util model host backend backend/sim
LAYER_INCLUDES_backend/kernel := util model host backend backend/kernel
LAYER_INCLUDES_core := util model host backend backend/kernel core
# The device model is a client of the public API: util is all it shares.
LAYER_INCLUDES_viommu := util viommu
# Which layers' symbols each layer may use (check-layers): those it may
# include, except that core, through the seam's header, calls both
# backends' constructors, and the device model calls only what the
# version map exports ("public").
LAYER_USES_core := util model host backend/sim backend/kernel core
LAYER_USES_viommu := util viommu public
layer_uses = $(or $(LAYER_USES_$(1)),$(LAYER_INCLUDES_$(1)))
# $(1): a source path under lib/ without lib/ (backend/sim/ioas.c).
layer_of = $(patsubst %/,%,$(dir $(1)))
layer_includes = $(addprefix -Ilib/,$(or $(LAYER_INCLUDES_$(call layer_of,$(1))),\
	$(error lib/$(1): folder $(call layer_of,$(1)) is not a layer in LIB_LAYERS)))
is_kernel_backend = $(filter backend/kernel/%,$(1))

LIB_SRCS := $(sort $(foreach l,$(LIB_LAYERS),$(wildcard lib/$(l)/*.c)))
LIB_PIC_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/pic/%.o,$(LIB_SRCS))
LIB_STATIC_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/static/%.o,$(LIB_SRCS))
LIB_CFLAGS = $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(INIPARSER_CFLAGS) \
	-fvisibility=hidden $(CFLAGS)
# White-box tests see every layer.
LIB_TEST_INCLUDES := -Ilib $(addprefix -Ilib/,$(LIB_LAYERS) backend)

LIB_MAP := lib/libioasid.map
SONAME := libioasid.so.$(VERSION_MAJOR)
SHLIB := $(BUILD)/libioasid.so.$(VERSION)
STATICLIB := $(BUILD)/libioasid.a
VERSION_H := $(BUILD)/include/ioasid/version.h
PC_FILE := $(BUILD)/libioasid.pc
PUBLIC_HEADERS := $(sort $(wildcard include/ioasid/*.h))

# lib/backend/kernel/ needs newer Linux uAPI headers than bookworm's
# linux-libc-dev.  scripts/uapi-headers.sh prints an include directory that
# has them; it runs once per build directory, and only for that object.
UAPI_SCRIPT := $(wildcard scripts/uapi-headers.sh)
UAPI_STAMP := $(if $(UAPI_CFLAGS),,$(if $(UAPI_SCRIPT),$(BUILD)/uapi-cflags))
uapi_flags = $(if $(UAPI_CFLAGS),$(UAPI_CFLAGS),$(if $(UAPI_STAMP),$$(cat $(UAPI_STAMP))))

$(BUILD)/uapi-cflags: $(UAPI_SCRIPT) | $(BUILD)/
	$(call msg,UAPI,$@)
	$(Q)dir=$$($(UAPI_SCRIPT)) && [ -n "$$dir" ] && echo "-I$$dir" > $@.tmp && mv $@.tmp $@

$(VERSION_H): include/ioasid/version.h.in VERSION
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's/@MAJOR@/$(VERSION_MAJOR)/' -e 's/@MINOR@/$(VERSION_MINOR)/' \
		-e 's/@PATCH@/$(VERSION_PATCH)/' -e 's/@VERSION@/$(VERSION)/' $< > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/lib/pic/%.o: lib/%.c | $(VERSION_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LIB_CFLAGS) $(call layer_includes,$*) -fPIC \
		$(if $(call is_kernel_backend,$*),$(uapi_flags)) -c $< -o $@

$(BUILD)/lib/static/%.o: lib/%.c | $(VERSION_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LIB_CFLAGS) $(call layer_includes,$*) \
		$(if $(call is_kernel_backend,$*),$(uapi_flags)) -c $< -o $@

# Only the kernel backend sees the Linux uAPI headers.
KERNEL_BACKEND_SRCS := $(filter lib/backend/kernel/%,$(LIB_SRCS))
$(patsubst lib/%.c,$(BUILD)/lib/pic/%.o,$(KERNEL_BACKEND_SRCS)) \
$(patsubst lib/%.c,$(BUILD)/lib/static/%.o,$(KERNEL_BACKEND_SRCS)): $(UAPI_STAMP)

# The newest node of the version map (the last one) must name this release.
MAP_VERSION = $(lastword $(shell sed -n 's/^IOASID_\([0-9][0-9.]*\)[[:space:]]*{.*/\1/p' $(LIB_MAP)))

$(SHLIB): $(LIB_PIC_OBJS) $(LIB_MAP)
	$(if $(filter $(VERSION),$(MAP_VERSION)),,$(error $(LIB_MAP): newest node IOASID_$(MAP_VERSION) but VERSION is $(VERSION): versions are out of sync))
	$(call msg,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(LIB_MAP) \
		-Wl,-z,defs $(LDFLAGS) -o $@ $(LIB_PIC_OBJS) $(LIB_LIBS)
	$(Q)ln -sf $(notdir $@) $(BUILD)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(BUILD)/libioasid.so

$(STATICLIB): $(LIB_STATIC_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# Rewritten only when the paths change, so that the .pc file follows PREFIX.
PATHS_STAMP := $(BUILD)/install-paths
$(PATHS_STAMP): FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' | cmp -s - $@ 2>/dev/null || \
		echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' > $@

$(PC_FILE): libioasid.pc.in VERSION $(PATHS_STAMP)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

.PHONY: lib
lib: $(SHLIB) $(STATICLIB) $(PC_FILE)

# ---------------------------------------------------------------------------
# ioasctl: a client of the public API only, linked with the static library.

CLI_SRCS := $(sort $(wildcard cli/*.c))
CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/cli/%.o,$(CLI_SRCS))
IOASCTL := $(BUILD)/ioasctl
CLI_CFLAGS = $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(JSONC_CFLAGS) $(CFLAGS)

$(BUILD)/cli/%.o: cli/%.c | $(VERSION_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CLI_CFLAGS) -c $< -o $@

$(IOASCTL): $(CLI_OBJS) $(STATICLIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(STATICLIB) $(JSONC_LIBS) $(LIB_LIBS)

.PHONY: cli
cli: $(if $(CLI_SRCS),$(IOASCTL))

# ---------------------------------------------------------------------------
# Man pages: man/NAME.SECTION.scd -> $(BUILD)/man/NAME.SECTION.  Other
# names listed under NAME of a section-3 page become ".so" alias pages.

MAN_SRCS := $(sort $(wildcard man/*.scd))
MAN_PAGES := $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))

$(BUILD)/man/%: man/%.scd
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(SCDOC) < $< > $@.tmp && mv $@.tmp $@

$(BUILD)/man/aliases.stamp: $(MAN_SRCS) scripts/man-aliases.sh
	$(call msg,GEN,$(BUILD)/man/aliases)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/man-aliases.sh $(MAN_SRCS) | while read -r alias page; do \
		echo ".so $$page" > $(BUILD)/man/$$(basename $$alias); done
	$(Q)scripts/man-aliases.sh $(MAN_SRCS) > $@

.PHONY: man
man: $(MAN_PAGES) $(BUILD)/man/aliases.stamp

# ---------------------------------------------------------------------------

.PHONY: all
all: lib cli man

$(BUILD)/:
	$(Q)mkdir -p $@

# ---------------------------------------------------------------------------
# Tests.  Every suite records "passed failed" under $(BUILD)/results via
# scripts/run-suite.sh and does not stop the others; check-fast and check
# print the total and fail if anything failed.

RESULTS := $(BUILD)/results
RUN_SUITE := scripts/run-suite.sh $(RESULTS)

# Unit tests: tests/unit/test_*.c, each its own program.  Other .c files in
# tests/unit/ are helpers linked into every test.  A test that needs extra
# link flags (for example -Wl,--wrap=ioctl) names them on a line
#     TEST_LDFLAGS: -Wl,--wrap=ioctl
# in its source (inside a comment).
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELPER_SRCS := $(filter-out $(UNIT_SRCS),$(sort $(wildcard tests/unit/*.c)))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_HELPER_OBJS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%.o,$(UNIT_HELPER_SRCS))
TEST_CFLAGS = $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(LIB_TEST_INCLUDES) -Itests/unit \
	$(INIPARSER_CFLAGS) $(CMOCKA_CFLAGS) $(CFLAGS)
test_ldflags = $(shell sed -n 's/.*TEST_LDFLAGS:[[:space:]]*\(.*[^/*[:space:]]\).*/\1/p' $(1))

$(BUILD)/tests/unit/%.o: tests/unit/%.c | $(VERSION_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o $(UNIT_HELPER_OBJS) $(STATICLIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(call test_ldflags,tests/unit/test_$*.c) -o $@ \
		$< $(UNIT_HELPER_OBJS) $(STATICLIB) $(CMOCKA_LIBS) $(LIB_LIBS)

# The recorded guest trace (tests/data), found from any directory.
$(BUILD)/tests/unit/test_viommu_trace.o: TEST_CFLAGS += -DIOASID_TEST_TRACE='"$(abspath $(TRACE))"'

# ioasctl's error printing: the test links ioasctl's objects but main.o.
CLI_TEST_OBJS = $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJS))
$(BUILD)/tests/unit/test_cli_errors.o: TEST_CFLAGS += -Icli $(JSONC_CFLAGS)
$(BUILD)/tests/unit/test_cli_errors: $(CLI_TEST_OBJS)
$(BUILD)/tests/unit/test_cli_errors: UNIT_HELPER_OBJS += $(CLI_TEST_OBJS)
$(BUILD)/tests/unit/test_cli_errors: LIB_LIBS += $(JSONC_LIBS)

# Keep the objects: make would delete them as intermediates and rebuild.
.SECONDARY: $(UNIT_BINS:=.o) $(UNIT_HELPER_OBJS)

# ThreadSanitizer: the library again with -fsanitize=thread under
# $(BUILD)/tsan, and the programs of tests/tsan/ linked against it; a
# reported race fails the run (halt_on_error).
TSAN_FLAGS := -fsanitize=thread -g -O1
TSAN_LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/tsan/lib/%.o,$(LIB_SRCS))
TSAN_SRCS := $(sort $(wildcard tests/tsan/*.c))
TSAN_BINS := $(patsubst tests/tsan/%.c,$(BUILD)/tsan/%,$(TSAN_SRCS))
.SECONDARY: $(TSAN_LIB_OBJS)

$(patsubst lib/%.c,$(BUILD)/tsan/lib/%.o,$(KERNEL_BACKEND_SRCS)): $(UAPI_STAMP)
$(BUILD)/tsan/lib/%.o: lib/%.c | $(VERSION_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LIB_CFLAGS) $(call layer_includes,$*) $(TSAN_FLAGS) \
		$(if $(call is_kernel_backend,$*),$(uapi_flags)) -c -o $@ $<

$(BUILD)/tsan/%: tests/tsan/%.c $(TSAN_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(PUBLIC_INCLUDES) -Ilib/util $(TSAN_FLAGS) -o $@ $< \
		$(TSAN_LIB_OBJS) $(LIB_LIBS)


.PHONY: unit check-unit check-scripts check-headers check-install check-abi check-man
unit: $(UNIT_BINS)

check-unit: $(UNIT_BINS)
	$(Q)$(RUN_SUITE) check-unit tests/run-unit.sh $(UNIT_BINS)

# Script tests (golden ioasctl batch output).
check-scripts: $(IOASCTL)
	$(Q)if [ -x tests/scripts/run.sh ]; then \
		IOASCTL=$(abspath $(IOASCTL)) TOPOLOGIES=$(abspath examples/topologies) \
			$(RUN_SUITE) check-scripts tests/scripts/run.sh; \
	else echo "check-scripts: tests/scripts/run.sh is not there yet"; fi

# Every public header compiles on its own in C and C++.
HEADER_CHECK_HEADERS := $(PUBLIC_HEADERS) $(VERSION_H)
# The layers of lib/ (see LIB_LAYERS): includes by name, and no object
# using a symbol of a layer it may not use.
.PHONY: check-layers
check-layers: $(STATICLIB)
	$(Q)$(RUN_SUITE) check-layers tests/include/check-layers.sh "$(NM)" \
		$(BUILD)/lib/static $(LIB_MAP) $(foreach l,$(LIB_LAYERS),\
		$(l)=$(subst $(eval) ,$(comma),$(call layer_uses,$(l))))

check-headers: $(VERSION_H)
	$(Q)$(RUN_SUITE) check-headers tests/include/check-headers.sh \
		"$(CC)" "$(CXX)" $(BUILD)/tests/include $(PUBLIC_INCLUDES) -- \
		$(patsubst include/%,%,$(PUBLIC_HEADERS)) ioasid/version.h

# Install into a staging directory, build programs against it with
# pkg-config (shared and static), run them, then uninstall and check that
# nothing is left behind.
STAGE := $(abspath $(BUILD)/stage)
check-install: lib man $(if $(CLI_SRCS),$(IOASCTL))
	$(Q)rm -rf $(STAGE)
	$(Q)$(RUN_SUITE) check-install tests/include/check-install.sh \
		"$(MAKE) --no-print-directory IOASID_DEPS_DONE=1 BUILD=$(BUILD) PREFIX=/usr DESTDIR=$(STAGE)" \
		$(STAGE) /usr "$(CC)" $(BUILD)/tests/install

# Every public header's declarations in one file, for the checks that
# read a header.
API_DECLS := $(BUILD)/api-decls.h
$(API_DECLS): $(PUBLIC_HEADERS) | $(BUILD)/
	$(Q)cat $(PUBLIC_HEADERS) > $@

# Section 3 pages: one per function (or an alias), the header's prototypes,
# no groff warnings.
check-man: man $(API_DECLS)
	$(Q)$(RUN_SUITE) check-man tests/include/check-man.sh $(API_DECLS) \
		$(BUILD)/man $(filter man/%.3.scd,$(MAN_SRCS))

# Exported symbols == version map == IOASID_API functions of the headers,
# <ioasid/testing.h>'s in the IOASID_TESTING_* nodes, the others in the
# release nodes.
check-abi: $(SHLIB) $(PUBLIC_HEADERS)
	$(Q)$(RUN_SUITE) check-abi scripts/check-abi.sh "$(NM)" $(SHLIB) $(LIB_MAP) $(PUBLIC_HEADERS)

# Example programs: built against the static library and run (on the
# simulator), so they cannot rot.
EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRCS))

$(BUILD)/examples/%: examples/%.c $(STATICLIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(STATICLIB) $(LIB_LIBS)

.PHONY: check-examples
check-examples: $(EXAMPLE_BINS)
	$(Q)$(RUN_SUITE) check-examples tests/run-unit.sh $(EXAMPLE_BINS)

# The examples again under ThreadSanitizer (viommu-vmm is a multi-threaded
# VMM skeleton), linked with the TSan library and run by check-tsan.
TSAN_EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/tsan/examples/%,$(EXAMPLE_SRCS))

$(BUILD)/tsan/examples/%: examples/%.c $(TSAN_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(TSAN_FLAGS) -o $@ $< \
		$(TSAN_LIB_OBJS) $(LIB_LIBS)

# After TSAN_EXAMPLE_BINS: a prerequisite list is expanded where the rule
# is read.
.PHONY: check-tsan
check-tsan: $(TSAN_BINS) $(TSAN_EXAMPLE_BINS)
	$(Q)TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" \
		$(RUN_SUITE) check-tsan tests/run-unit.sh $(TSAN_BINS) $(TSAN_EXAMPLE_BINS)

.PHONY: check-fast check vmcheck check-results-reset
check-results-reset:
	$(Q)rm -rf $(RESULTS) && mkdir -p $(RESULTS)

FAST_SUITES := check-unit check-tsan check-scripts check-layers check-headers check-man check-abi check-install check-examples check-fuzz
check-fast: all
	$(Q)$(MAKE) --no-print-directory check-results-reset
	$(Q)for t in $(FAST_SUITES); do $(MAKE) --no-print-directory $$t || \
		[ -e $(RESULTS)/$$t ] || $(RUN_SUITE) $$t false || true; done
	$(Q)scripts/run-suite.sh --total $(RESULTS)

# Library tests that run inside the VM (docs/TESTING.md): one static
# binary per tests/vm/lib/*.c, which tests/vm/run.sh collects from
# $(BUILD)/vm/tests; plus a static ioasctl for scripts run in the guest.
VM_ARCH ?= x86
VM_LIB_SRCS := $(sort $(wildcard tests/vm/lib/*.c))
VM_LIB_BINS := $(patsubst tests/vm/lib/%.c,$(BUILD)/vm/tests/%.t,$(VM_LIB_SRCS))
VM_UAPI = $(shell tests/vm/kernel.sh --arch $(VM_ARCH) --print-uapi)/include
VM_IOASCTL := $(BUILD)/vm/ioasctl

$(BUILD)/vm/tests/%.t: tests/vm/lib/%.c $(wildcard tests/vm/lib/*.h) $(STATICLIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(LIB_TEST_INCLUDES) -Itests/vm/lib \
		-isystem $(VM_UAPI) $(CFLAGS) $(LDFLAGS) -static -o $@ $< \
		$(STATICLIB) $(LIB_LIBS)

# fail_nth_batch runs ioasctl's main() in-process (the kernel's fault
# injection is per thread): cli/main.c's main() renamed ioasctl_main().
$(BUILD)/vm/cli-main.o: $(BUILD)/cli/main.o
	$(Q)$(OBJCOPY) --redefine-sym main=ioasctl_main $< $@
$(BUILD)/vm/tests/fail_nth_batch.t: tests/vm/lib/fail_nth_batch.c $(wildcard tests/vm/lib/*.h) \
		$(BUILD)/vm/cli-main.o $(CLI_TEST_OBJS) $(STATICLIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(LIB_TEST_INCLUDES) -Itests/vm/lib \
		-isystem $(VM_UAPI) $(CFLAGS) $(LDFLAGS) -static -o $@ $< \
		$(BUILD)/vm/cli-main.o $(CLI_TEST_OBJS) $(STATICLIB) $(JSONC_LIBS) $(LIB_LIBS)

# bench_nested counts the library's ioctls by wrapping ioctl at link time.
$(BUILD)/vm/tests/bench_nested.t: LDFLAGS += -Wl,--wrap=ioctl

# Public-API tests on both backends (tests/harness/, docs/TESTING.md): each
# tests/harness/api_NAME.c is linked with harness-sim.c as a unit test
# (check-unit) and, static, with harness-kernel.c as a VM test (vmcheck).
HX_SRCS := $(sort $(wildcard tests/harness/api_*.c))
HX_UNIT_BINS := $(patsubst tests/harness/%.c,$(BUILD)/tests/harness/%,$(HX_SRCS))
HX_VM_BINS := $(patsubst tests/harness/%.c,$(BUILD)/vm/tests/%.t,$(HX_SRCS))
HX_DEPS := tests/harness/harness.c $(wildcard tests/harness/*.h) $(STATICLIB)
HX_CFLAGS = $(filter-out -MMD -MP,$(BASE_CFLAGS)) $(PUBLIC_INCLUDES) \
	$(LIB_TEST_INCLUDES) -Itests/harness $(CFLAGS)
UNIT_BINS += $(HX_UNIT_BINS)
unit check-unit: $(HX_UNIT_BINS)
VM_LIB_BINS += $(HX_VM_BINS)

$(BUILD)/tests/harness/%: tests/harness/%.c tests/harness/harness-sim.c $(HX_DEPS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HX_CFLAGS) -DHX_MOCK_INI='"$(abspath examples/topologies/mock.ini)"' \
		$(LDFLAGS) -o $@ $< tests/harness/harness.c \
		tests/harness/harness-sim.c $(STATICLIB) $(LIB_LIBS)

$(BUILD)/vm/tests/%.t: tests/harness/%.c tests/harness/harness-kernel.c $(HX_DEPS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HX_CFLAGS) -isystem $(VM_UAPI) $(LDFLAGS) -static -o $@ $< \
		tests/harness/harness.c tests/harness/harness-kernel.c \
		$(STATICLIB) $(LIB_LIBS)

$(VM_IOASCTL): $(CLI_OBJS) $(STATICLIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -static -o $@ $(CLI_OBJS) $(STATICLIB) \
		$(JSONC_LIBS) $(LIB_LIBS)

# Shell-driven VM tests (tests/vm/scripts/): the differential run of the
# "# differential" batch scripts on the kernel and the exec hand-over.
# Their data goes to /files in the guest: the static ioasctl, the batch
# scripts with their golden files, and exec_helper; and the recorded
# guest trace for bench_nested (tests/data, part of the repository).
VM_FILES := $(BUILD)/vm/files
TRACE := tests/data/linux-guest-blk-strict.trace
VM_TRACE ?= $(abspath $(TRACE))
VM_SCRIPT_TESTS := $(BUILD)/vm/tests/differential.t $(BUILD)/vm/tests/exec.t
HASH := \#
VM_DIFF_SCRIPTS = $(shell grep -lx '$(HASH) differential' tests/scripts/*.batch)

$(BUILD)/vm/tests/%.t: tests/vm/scripts/%.sh
	$(Q)mkdir -p $(@D)
	$(Q)install -m 755 $< $@

$(BUILD)/vm/exec_helper: tests/vm/scripts/exec_helper.c $(STATICLIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(CFLAGS) $(LDFLAGS) \
		-static -o $@ $< $(STATICLIB) $(LIB_LIBS)

.PHONY: vm-files
vm-files: $(VM_IOASCTL) $(BUILD)/vm/exec_helper
	$(Q)rm -rf $(VM_FILES) && mkdir -p $(VM_FILES)/scripts
	$(Q)cp $(VM_IOASCTL) $(BUILD)/vm/exec_helper $(VM_FILES)/
	$(Q)for f in $(VM_DIFF_SCRIPTS); do cp $$f $${f%.batch}.out \
		$(VM_FILES)/scripts/ || exit 1; \
		[ ! -e $${f%.batch}.json.out ] || cp $${f%.batch}.json.out $(VM_FILES)/scripts/; done
	$(Q)mkdir -p $(VM_FILES)/traces && cp $(VM_TRACE) $(VM_FILES)/traces/
	$(Q)mkdir -p $(VM_FILES)/topologies && cp examples/topologies/*.ini $(VM_FILES)/topologies/

.PHONY: vm-tests
vm-tests: $(VM_LIB_BINS) $(VM_IOASCTL) $(VM_SCRIPT_TESTS) vm-files

# VM_VARIANT names the QEMU configuration (tests/vm/run.sh --variant:
# address width, edu devices, CPUs).
# VM_ARCH=arm64 or arm64-64k: the arm64 lane; the library, ioasctl and the
# static tests are cross-built (aarch64-linux-gnu-gcc, the arm64 uAPI
# headers of kernel.sh, json-c and iniparser from tests/vm/sysroot.sh) in
# $(BUILD)/arm64 by a sub-make, and run.sh boots qemu-system-aarch64.
# make check runs every ARCH:VARIANT of VM_CHECK_LANES, each as its own
# suite (vmcheck, vmcheck-aw39, vmcheck-arm64, ...).
VM_RUN := $(wildcard tests/vm/run.sh)
VM_VARIANT ?= default
# The guest kernel (tests/vm/kernel.sh --kernel) and, if set, the tests
# to run (names in $(BUILD)/vm/tests; default: all of them).  A lane of
# VM_CHECK_LANES is ARCH[@KERNEL]:VARIANT.  On the kernel without iommufd
# only what needs none of it runs: the capability report and inspection.
# On 6.12 what a host has without the iommufd mock, whose MOCK_DOMAIN
# answers EINVAL there (docs/TESTING.md): real edu DMA, MSIs, hw_info and
# the capability report.
VM_KERNEL ?= 7.3
VM_TESTS ?=
VM_TESTS_NOIOMMUFD := caps.t
VM_TESTS_6_12 := caps.t edu_dma.t edu_dma_raw.t edu_msi.t hw_info.t
# The noiommu variant's guest has no IOMMU: only its own test is about it.
VM_TESTS_NOIOMMU := noiommu.t
VM_CHECK_LANES ?= x86:default x86:aw39 x86:viommu x86:noiommu arm64:default \
	arm64-64k:default x86@6.12:default x86@7.3-noiommufd:default
ifeq ($(VM_ARCH),x86)
vmcheck: all vm-tests
ifneq ($(VM_RUN),)
	$(Q)IOASCTL=$(abspath $(IOASCTL)) BUILD=$(abspath $(BUILD)) tests/vm/run.sh \
		--kernel $(VM_KERNEL) --variant $(VM_VARIANT) --files $(abspath $(VM_FILES)) \
		$(addprefix $(abspath $(BUILD))/vm/tests/,$(VM_TESTS))
else
	@echo "vmcheck: the VM suite (tests/vm/run.sh) is not there yet"
endif
else
VM_XBUILD := $(BUILD)/arm64
.PHONY: vm-cross-tests
vm-cross-tests:
	$(Q)sr=$$(tests/vm/sysroot.sh --arch $(VM_ARCH)) && \
	ua=$$(tests/vm/kernel.sh --arch $(VM_ARCH) --print-uapi) && \
	L="-L$$sr/usr/lib/aarch64-linux-gnu" && \
	$(MAKE) --no-print-directory O=$(VM_XBUILD) VM_ARCH=$(VM_ARCH) \
		CROSS_COMPILE=aarch64-linux-gnu- UAPI_CFLAGS="-I$$ua/include" \
		JSONC_LIBS="$$L -ljson-c" INIPARSER_LIBS="$$L -liniparser" vm-tests
vmcheck: vm-cross-tests
	$(Q)BUILD=$(abspath $(VM_XBUILD)) tests/vm/run.sh --arch $(VM_ARCH) \
		--kernel $(VM_KERNEL) --variant $(VM_VARIANT) \
		--files $(abspath $(VM_XBUILD))/vm/files \
		$(addprefix $(abspath $(VM_XBUILD))/vm/tests/,$(VM_TESTS))
endif

# The library-vs-raw-ioctl benchmark alone, in its full length
# (tests/vm/lib/bench_overhead.c, docs/BENCHMARKS.md).
.PHONY: vmbench
vmbench: all $(BUILD)/vm/tests/bench_overhead.t
	$(Q)BUILD=$(abspath $(BUILD)) tests/vm/run.sh --name vmbench \
		--append ioasid_bench=full $(BUILD)/vm/tests/bench_overhead.t

# The recorded guest trace in shadow and nested mode on the kernel's mock
# devices, full length (tests/vm/lib/bench_nested.c, docs/BENCHMARKS.md).
.PHONY: vmbench-nested
vmbench-nested: all $(BUILD)/vm/tests/bench_nested.t vm-files
	$(Q)BUILD=$(abspath $(BUILD)) tests/vm/run.sh --name vmbench-nested \
		--append ioasid_bench=full --files $(abspath $(VM_FILES)) \
		$(BUILD)/vm/tests/bench_nested.t

check: all
	$(Q)$(MAKE) --no-print-directory check-results-reset
	$(Q)for t in $(FAST_SUITES); do $(MAKE) --no-print-directory $$t || \
		[ -e $(RESULTS)/$$t ] || $(RUN_SUITE) $$t false || true; done
ifneq ($(VM_RUN),)
	$(Q)for l in $(VM_CHECK_LANES); do a=$${l%%:*} v=$${l#*:}; \
		k=7.3; case $$a in *@*) k=$${a#*@} a=$${a%%@*} ;; esac; \
		n=vmcheck; [ $$a = x86 ] || n=$$n-$$a; [ $$k = 7.3 ] || n=$$n-$$k; \
		[ $$v = default ] || n=$$n-$$v; \
		$(RUN_SUITE) $$n $(MAKE) --no-print-directory vmcheck VM_ARCH=$$a \
			VM_KERNEL=$$k VM_VARIANT=$$v \
			VM_TESTS="$$(case $$k:$$v in 7.3-noiommufd:*) echo '$(VM_TESTS_NOIOMMUFD)' ;; \
				6.12:*) echo '$(VM_TESTS_6_12)' ;; \
				*:noiommu) echo '$(VM_TESTS_NOIOMMU)' ;; esac)" || true; \
	done
else
	@echo "check: the VM suite (tests/vm/run.sh) is not there yet; ran check-fast only"
endif
	$(Q)scripts/run-suite.sh --total $(RESULTS)

# ---------------------------------------------------------------------------
# Demo and bench

.PHONY: demo bench
demo: all
	$(Q)examples/demo.sh $(IOASCTL) examples/demo.batch

BENCH_SRCS := $(sort $(wildcard tests/bench/*.c))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_CFLAGS = $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(LIB_TEST_INCLUDES) $(GLIB_CFLAGS) $(CFLAGS)

$(BUILD)/bench/%: tests/bench/%.c $(STATICLIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $< $(STATICLIB) $(GLIB_LIBS) $(LIB_LIBS) -lm

$(BUILD)/bench/bench_nested: BENCH_CFLAGS += -DIOASID_TEST_TRACE='"$(abspath $(TRACE))"'

bench: $(BENCH_BINS)
	$(Q)for b in $(BENCH_BINS); do echo "== $$b"; $$b || exit 1; done

# ---------------------------------------------------------------------------
# Fuzzing: the library again, with clang and ASan/UBSan/libFuzzer coverage,
# under $(BUILD)/fuzz; fuzz_batch adds ioasctl's objects (main() renamed
# ioasctl_main(), exec's fork()/execvp() and ioas map's open() to the
# target's stubs).  check-fuzz runs every target for a short while (the
# inputs of past findings in tests/fuzz/regress/NAME first); make fuzz
# FUZZ_TARGET=NAME FUZZ_TIME=SECONDS runs one longer (docs/TESTING.md).

CLANG ?= $(shell command -v clang-14 || command -v clang || echo clang)
FUZZ_TIME ?= 600
FUZZ_TARGET ?= viommu
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -MMD -MP $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link $(PUBLIC_INCLUDES) $(INIPARSER_CFLAGS)
FUZZ_LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/fuzz/lib/%.o,$(LIB_SRCS))
FUZZ_CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/fuzz/cli/%.o,$(CLI_SRCS))
FUZZ_TRACE ?= $(abspath $(TRACE))
FUZZ_NAMES := restore batch ini trace viommu
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
# Per target: the seed maker (run.sh's MAKE_SEEDS), its TRACE argument,
# and the seconds check-fuzz gives it.
FUZZ_SEEDS_viommu = $(BUILD)/fuzz/make_seeds
FUZZ_SEEDS_restore = -
FUZZ_SEEDS_batch = tests/fuzz/seeds.sh batch
FUZZ_SEEDS_ini = tests/fuzz/seeds.sh ini
FUZZ_SEEDS_trace = tests/fuzz/seeds.sh trace
FUZZ_TRACE_ARG_viommu = $(FUZZ_TRACE)
FUZZ_TRACE_ARG_trace = $(FUZZ_TRACE)
FUZZ_CHECK_TIME_viommu = 60
FUZZ_CHECK_TIME_restore = 20
FUZZ_CHECK_TIME_batch = 15
FUZZ_CHECK_TIME_ini = 10
FUZZ_CHECK_TIME_trace = 10
# $(1) target name, $(2) work directory, $(3) seconds
fuzz_run = tests/fuzz/run.sh $(BUILD)/fuzz/fuzz_$(1) "$(FUZZ_SEEDS_$(1))" \
	$(or $(FUZZ_TRACE_ARG_$(1)),-) $(2) $(3) $(wildcard tests/fuzz/regress/$(1))

$(patsubst lib/%.c,$(BUILD)/fuzz/lib/%.o,$(KERNEL_BACKEND_SRCS)): $(UAPI_STAMP)
$(BUILD)/fuzz/lib/%.o: lib/%.c $(VERSION_H)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(call layer_includes,$*) -fvisibility=hidden \
		$(if $(call is_kernel_backend,$*),$(uapi_flags)) -c -o $@ $<

$(BUILD)/fuzz/cli/%.o: cli/%.c $(VERSION_H)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(JSONC_CFLAGS) -MF $(@:.o=.d) -MT $@ -c -o $@.tmp $<
	$(Q)$(OBJCOPY) --redefine-sym main=ioasctl_main --redefine-sym fork=fuzz_fork \
		--redefine-sym execvp=fuzz_execvp --redefine-sym open=fuzz_open \
		$@.tmp $@ && rm -f $@.tmp

$(BUILD)/fuzz/%.o: tests/fuzz/%.c $(VERSION_H)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(LIB_TEST_INCLUDES) -c -o $@ $<

$(BUILD)/fuzz/fuzz_batch.o: FUZZ_CFLAGS += $(JSONC_CFLAGS) -DFUZZ_ROOT='"$(abspath .)"'

$(BUILD)/fuzz/fuzz_batch: $(BUILD)/fuzz/fuzz_batch.o $(FUZZ_CLI_OBJS) $(FUZZ_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(JSONC_LIBS) $(LIB_LIBS)

$(filter-out %/fuzz_batch,$(FUZZ_BINS)): $(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIB_LIBS)

$(BUILD)/fuzz/make_seeds: tests/fuzz/make_seeds.c $(STATICLIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(PUBLIC_INCLUDES) -Ilib/util $(CFLAGS) -o $@ $< $(STATICLIB) $(LIB_LIBS)

.SECONDARY: $(FUZZ_BINS:=.o) $(FUZZ_CLI_OBJS)

# Each target a suite of its own (check-fuzz-NAME; the virtio-iommu
# device model's is check-fuzz); one that fails does not stop the others.
.PHONY: check-fuzz fuzz
check-fuzz: $(FUZZ_BINS) $(BUILD)/fuzz/make_seeds
	$(Q)rm -rf $(BUILD)/fuzz/check $(BUILD)/fuzz/check-*
	$(Q)fail=0; $(foreach t,$(FUZZ_NAMES),$(RUN_SUITE) \
		$(if $(filter viommu,$(t)),check-fuzz,check-fuzz-$(t)) \
		$(call fuzz_run,$(t),$(BUILD)/fuzz/check-$(t),$(FUZZ_CHECK_TIME_$(t))) \
		|| fail=1;) exit $$fail

fuzz: $(BUILD)/fuzz/fuzz_$(FUZZ_TARGET) $(if $(filter viommu,$(FUZZ_TARGET)),$(BUILD)/fuzz/make_seeds)
	$(call fuzz_run,$(FUZZ_TARGET),$(BUILD)/fuzz/long-$(FUZZ_TARGET),$(FUZZ_TIME))

# ---------------------------------------------------------------------------
# Fault injection (tests/fault/, docs/TESTING.md): the library and ioasctl
# again with ASan/UBSan under $(BUILD)/fault; objcopy renames the
# library's calls of allocators and system calls to the harness's
# (tests/fault/fault.syms), and the public entry points are wrapped at
# link time (every W_*() line of tests/fault/api.c).  check-fault runs
# every scenario with each failure point failed in turn.

OBJCOPY ?= $(CROSS_COMPILE)objcopy
FAULT_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g -O1
FAULT_LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/fault/lib/%.o,$(LIB_SRCS))
FAULT_CLI_OBJS := $(patsubst cli/%.c,$(BUILD)/fault/cli/%.o,$(CLI_SRCS))
FAULT_OBJS := $(patsubst tests/fault/%.c,$(BUILD)/fault/%.o,$(sort $(wildcard tests/fault/*.c)))
fault_lparen := (
FAULT_WRAPS = $(shell sed -n 's/^W_[A-Z_]*[$(fault_lparen)]\(ioasid_[a-z0-9_]*\),.*/-Wl,--wrap=\1/p' tests/fault/api.c)
FAULT_BIN := $(BUILD)/fault/fault
.SECONDARY: $(FAULT_LIB_OBJS) $(FAULT_CLI_OBJS) $(FAULT_OBJS)

$(patsubst lib/%.c,$(BUILD)/fault/lib/%.o,$(KERNEL_BACKEND_SRCS)): $(UAPI_STAMP)
$(BUILD)/fault/lib/%.o: lib/%.c tests/fault/fault.syms | $(VERSION_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LIB_CFLAGS) $(call layer_includes,$*) $(FAULT_SAN) -MF $(@:.o=.d) \
		$(if $(call is_kernel_backend,$*),$(uapi_flags)) -c -o $@.tmp $<
	$(Q)$(OBJCOPY) --redefine-syms=tests/fault/fault.syms $@.tmp $@ && rm -f $@.tmp

# ioasctl's main() becomes ioasctl_main() for the batch scenario.
$(BUILD)/fault/cli/%.o: cli/%.c | $(VERSION_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CLI_CFLAGS) $(FAULT_SAN) -MF $(@:.o=.d) -c -o $@.tmp $<
	$(Q)$(OBJCOPY) --redefine-sym main=ioasctl_main $@.tmp $@ && rm -f $@.tmp

$(BUILD)/fault/%.o: tests/fault/%.c | $(VERSION_H)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(PUBLIC_INCLUDES) $(LIB_TEST_INCLUDES) \
		$(INIPARSER_CFLAGS) $(FAULT_SAN) -c -o $@ $<

$(FAULT_BIN): $(FAULT_OBJS) $(FAULT_CLI_OBJS) $(FAULT_LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(FAULT_SAN) $(LDFLAGS) $(FAULT_WRAPS) -o $@ $(FAULT_OBJS) \
		$(FAULT_CLI_OBJS) $(FAULT_LIB_OBJS) $(JSONC_LIBS) $(LIB_LIBS)

.PHONY: check-fault
check-fault: $(FAULT_BIN)
	$(Q)FAULT_SRC=$(abspath tests/fault) \
		ASAN_OPTIONS="detect_leaks=1 $${ASAN_OPTIONS:-}" \
		UBSAN_OPTIONS="print_stacktrace=1 $${UBSAN_OPTIONS:-}" \
		$(RUN_SUITE) check-fault $(FAULT_BIN)
FAST_SUITES += check-fault
-include $(wildcard $(BUILD)/fault/*.d $(BUILD)/fault/cli/*.d \
	$(BUILD)/fault/lib/*/*.d $(BUILD)/fault/lib/*/*/*.d)

# ---------------------------------------------------------------------------
# Install

D := $(DESTDIR)
MAN_INSTALLED = $(foreach p,$(MAN_SRCS),$(D)$(MANDIR)/man$(subst .,,$(suffix $(basename $(p))))/$(notdir $(basename $(p))))
BASHCOMP_SRC := $(wildcard cli/bash-completion/ioasctl)

.PHONY: install install-lib install-headers install-pc install-cli install-man uninstall
install: install-lib install-headers install-pc install-cli install-man

install-lib: $(SHLIB) $(STATICLIB)
	$(call msg,INSTALL,$(D)$(LIBDIR))
	$(Q)$(INSTALL) -d $(D)$(LIBDIR)
	$(Q)$(INSTALL) -m 644 $(STATICLIB) $(D)$(LIBDIR)/libioasid.a
	$(Q)$(INSTALL) -m 755 $(SHLIB) $(D)$(LIBDIR)/libioasid.so.$(VERSION)
	$(Q)ln -sf libioasid.so.$(VERSION) $(D)$(LIBDIR)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(D)$(LIBDIR)/libioasid.so

install-headers: $(VERSION_H)
	$(call msg,INSTALL,$(D)$(INCLUDEDIR)/ioasid)
	$(Q)$(INSTALL) -d $(D)$(INCLUDEDIR)/ioasid
	$(Q)$(INSTALL) -m 644 $(PUBLIC_HEADERS) $(VERSION_H) $(D)$(INCLUDEDIR)/ioasid/

install-pc: $(PC_FILE)
	$(call msg,INSTALL,$(D)$(PKGCONFIGDIR)/libioasid.pc)
	$(Q)$(INSTALL) -D -m 644 $(PC_FILE) $(D)$(PKGCONFIGDIR)/libioasid.pc

install-cli: $(if $(CLI_SRCS),$(IOASCTL))
ifneq ($(CLI_SRCS),)
	$(call msg,INSTALL,$(D)$(BINDIR)/ioasctl)
	$(Q)$(INSTALL) -D -m 755 $(IOASCTL) $(D)$(BINDIR)/ioasctl
endif
ifneq ($(BASHCOMP_SRC),)
	$(Q)$(INSTALL) -D -m 644 $(BASHCOMP_SRC) $(D)$(BASHCOMPDIR)/ioasctl
endif

install-man: man
	$(call msg,INSTALL,$(D)$(MANDIR))
	$(Q)for p in $(patsubst man/%.scd,%,$(MAN_SRCS)); do \
		s=$${p##*.}; $(INSTALL) -D -m 644 $(BUILD)/man/$$p $(D)$(MANDIR)/man$$s/$$p || exit 1; done
	$(Q)scripts/man-aliases.sh $(MAN_SRCS) | while read -r alias page; do \
		$(INSTALL) -D -m 644 $(BUILD)/man/$$alias \
			$(D)$(MANDIR)/$$(dirname $$page)/$$alias || exit 1; done

# Removes exactly what install adds; computed from the sources, so it
# works without a build directory.
uninstall:
	$(call msg,UNINST,$(D)$(PREFIX))
	$(Q)rm -f $(D)$(LIBDIR)/libioasid.a $(D)$(LIBDIR)/libioasid.so.$(VERSION) \
		$(D)$(LIBDIR)/$(SONAME) $(D)$(LIBDIR)/libioasid.so \
		$(D)$(PKGCONFIGDIR)/libioasid.pc \
		$(addprefix $(D)$(INCLUDEDIR)/ioasid/,$(notdir $(PUBLIC_HEADERS)) version.h) \
		$(if $(CLI_SRCS),$(D)$(BINDIR)/ioasctl) \
		$(if $(BASHCOMP_SRC),$(D)$(BASHCOMPDIR)/ioasctl) \
		$(MAN_INSTALLED)
	$(Q)scripts/man-aliases.sh $(MAN_SRCS) | while read -r alias page; do \
		rm -f $(D)$(MANDIR)/$$(dirname $$page)/$$alias; done
	$(Q)rmdir $(D)$(INCLUDEDIR)/ioasid 2>/dev/null || true

# ---------------------------------------------------------------------------

.PHONY: clean distclean help deps FORCE
FORCE:

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)
distclean: clean

deps:
	$(Q)scripts/deps.sh core $(if $(VM_RUN),vm vm-arm64) bench fuzz

help:
	@sed -n '3,17s/^# \{0,1\}//p' Makefile

# The fuzz build's objects too: a header change must rebuild them.
-include $(wildcard $(BUILD)/lib/*/*.d $(BUILD)/lib/*/*/*.d $(BUILD)/lib/*/*/*/*.d \
	$(BUILD)/cli/*.d $(BUILD)/tests/unit/*.d \
	$(BUILD)/fuzz/*.d $(BUILD)/fuzz/cli/*.d $(BUILD)/fuzz/lib/*.d $(BUILD)/fuzz/lib/*/*.d $(BUILD)/fuzz/lib/*/*/*.d \
	$(BUILD)/tsan/lib/*.d $(BUILD)/tsan/lib/*/*.d $(BUILD)/tsan/lib/*/*/*.d)

endif
