# SPDX-License-Identifier: GPL-2.0
#
# memtrace top-level Makefile.
#
#   make              build module/memtrace.ko (for KDIR) and reader/memtrace-reader
#   make demo         the main job: boot the VM, run a workload, print the CSV
#                     (on Debian's 6.1; KERNEL=LINE for another kernel line,
#                     e.g. KERNEL=6.12: tests/vm/run --list-kernels)
#   make check        every test (host unit tests, then the VM suite);
#                     last line "N passed, N failed"
#   make check-all    the same with every VM scenario on every kernel line,
#                     the debug-6.12 kernel included (tests/run --all)
#   make deps         install build/test packages, fetch the VM's kernel (root)
#   make vm-module    build/vm/memtrace.ko for the Debian kernel the VM boots
#                     (6.1; the other lines: scripts/build-vm-module LINE)
#   make bench        benchmarks against /proc pollers, pidstat, clear_refs,
#                     trace-cmd (Documentation/benchmarks.rst)
#   make fuzz         fuzz the reader's decoders until Ctrl-C (FUZZ_SECONDS=N
#                     to stop after N s); `make check` fuzzes for 60 s
#   make doc          build/man/memtrace-reader.1 from Documentation/ (rst2man)
#   sudo make install the module into /lib/modules/KVER/updates (KVER: KDIR's
#                     kernel) + depmod, the reader into $(PREFIX)/bin, its man
#                     page into $(PREFIX)/share/man/man1 (PREFIX=/usr/local;
#                     DESTDIR, INSTALL_MOD_PATH for staging); make uninstall
#                     removes them
#   make deb          build/deb/memtrace-dkms_*.deb (module sources for DKMS)
#                     and memtrace-tools_*.deb (reader, man page)
#   make clean
#
# KDIR: the kernel build tree the module is built against.  Default: the
# running kernel's /lib/modules/$(uname -r)/build when it exists, else the
# Debian 6.1 headers (linux-headers-amd64) that the VM tests use.

DEB_KVER := $(shell scripts/kver 2>/dev/null)
DEB_KDIR := /usr/src/linux-headers-$(DEB_KVER)
RUN_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(RUN_KDIR)/Makefile),$(RUN_KDIR),$(DEB_KDIR))

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
READER_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Ireader
READER_LIBS := -lcsv
# Linked statically: no dynamic loading and relocation at each start, which
# is about half the start-up of a short `memtrace-reader -i` (the VM copies
# the binary alone).  READER_LDFLAGS= links it dynamically.
READER_LDFLAGS ?= -static

READER_SRCS := $(wildcard reader/*.c)
REPORT_ASSETS := build/report_assets.c
READER_HDRS := $(wildcard reader/*.h) include/uapi/memtrace.h
MODULE_SRCS := $(wildcard module/*.c module/*.h module/wrapper/*.h module/Kbuild tracepoints/*.h) include/uapi/memtrace.h

.PHONY: all module reader vm-module memload stress check check-all demo deps clean doc fuzz bench

all: module reader

module: module/memtrace.ko
reader: reader/memtrace-reader

module/memtrace.ko: $(MODULE_SRCS)
	@test -f $(KDIR)/Makefile || { echo "no kernel build tree at '$(KDIR)': set KDIR= or run 'sudo make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module modules

reader/memtrace-reader: $(READER_SRCS) $(READER_HDRS) $(REPORT_ASSETS)
	$(CC) $(READER_CFLAGS) $(READER_LDFLAGS) -o $@ $(READER_SRCS) $(REPORT_ASSETS) $(READER_LIBS)

# The HTML report's page (--html, reader/html.h): uPlot from the npm registry
# at the version report/package-lock.json pins, fetched by `npm ci` into
# report/node_modules, and embedded with report/'s page into a C file of
# string constants (scripts/report-assets).  Needs node/npm and xxd.
REPORT_NPM := report/node_modules/.package-lock.json
$(REPORT_NPM): report/package.json report/package-lock.json
	cd report && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
$(REPORT_ASSETS): scripts/report-assets report/template.html report/report.js \
		report/report.css $(REPORT_NPM)
	scripts/report-assets report $@

# memload: the workload with a known footprint that the demo and tests run
# in the guest (static, so it needs nothing from the initramfs).
memload: build/memload
build/memload: tests/memload.c
	@mkdir -p build
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -static -pthread -o $@ $<

# Static helpers of the stress and hostile-input scenarios (tests/vm/t/9*.sh),
# added to the guest as /extra/stress.
STRESS_SRCS := $(wildcard tests/stress/*.c)
STRESS_BINS := $(patsubst tests/stress/%.c,build/stress/%,$(STRESS_SRCS))
stress: $(STRESS_BINS) build/stress/getdelays
# getdelays, the kernel's own taskstats client (tools/accounting/getdelays.c
# of Debian's linux-source-6.1, which make deps installs): the ground truth
# of 12-delays.  Built as it is, without our warning flags.
LINUX_SRC_TAR := /usr/src/linux-source-6.1.tar.xz
build/stress/getdelays: $(LINUX_SRC_TAR)
	@mkdir -p build/stress
	tar -xJOf $(LINUX_SRC_TAR) linux-source-6.1/tools/accounting/getdelays.c > build/getdelays.c
	$(CC) -O2 -static -o $@ build/getdelays.c
build/stress/%: tests/stress/%.c
	@mkdir -p build/stress
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -static -pthread -o $@ $<

# The module for the guest kernel, built in a mirror of the sources so that a
# native build in module/ (for the running kernel) is left alone.
VM_BUILD := build/vm
vm-module: $(VM_BUILD)/memtrace.ko

$(VM_BUILD)/memtrace.ko: $(MODULE_SRCS)
	scripts/build-vm-module 6.1 >/dev/null
	@touch $@

deps:
	scripts/deps

fuzz: deps
	$(MAKE) -C tests/fuzz run

# bench: memtrace against /proc polling, pidstat, clear_refs and trace-cmd
# (bench/run, Documentation/benchmarks.rst); BENCH_ARGS=--smoke for a quick
# check, BENCH_ARGS=--native on a machine that can load the module
bench: deps
	bench/run $(BENCH_ARGS)

MAN_PAGES := build/man/memtrace-reader.1
doc: $(MAN_PAGES)

build/man/%.1: Documentation/%.rst
	@mkdir -p $(dir $@)
	rst2man --halt=warning $< > $@.tmp
	mv $@.tmp $@

check: deps
	$(MAKE) reader vm-module memload stress
	tests/run

check-all: deps
	$(MAKE) reader vm-module memload stress
	tests/run --all

# the kernel line of `make demo` (scripts/kernel-line --list)
KERNEL ?= 6.1
demo: deps
	$(MAKE) reader memload
	MEMTRACE_VM_KERNEL=$(KERNEL) tests/demo

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/module clean 2>/dev/null
	-$(MAKE) -C tests/host clean
	-$(MAKE) -C tests/fuzz clean
	rm -rf build reader/memtrace-reader

# --- install, uninstall, Debian packages ---------------------------------------
# `sudo make install`: memtrace.ko for KDIR's kernel (by default the running
# one) into $(INSTALL_MOD_PATH)/lib/modules/KVER/$(INSTALL_MOD_DIR)/ (kbuild's
# modules_install), then depmod KVER; memtrace-reader into $(DESTDIR)$(BINDIR)
# and its man page into $(DESTDIR)$(MANDIR)/man1/.  With DESTDIR or
# INSTALL_MOD_PATH (a staging directory) depmod is left to the target.
# `make uninstall` (same variables) removes exactly those files.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
INSTALL_MOD_DIR ?= updates
INSTALL_MOD_PATH ?= $(DESTDIR)
DEPMOD ?= depmod
# KDIR's kernel release, as in the module's vermagic (Debian's headers have
# the upstream version in include/config/kernel.release)
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MOD_DEST = $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)
# kbuild signs at install on CONFIG_MODULE_SIG_ALL kernels with the key of
# the kernel's own build, which distribution headers lack (sign-file then
# prints an SSL error and the module stays unsigned): no signing without it
SIG_KEY = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' $(KDIR)/include/config/auto.conf 2>/dev/null)
NO_SIGN = $(if $(filter pkcs11:%,$(SIG_KEY)),,$(if $(wildcard $(if $(filter /%,$(SIG_KEY)),,$(KDIR)/)$(SIG_KEY)),,CONFIG_MODULE_SIG_ALL=))
MAN1 := memtrace-reader.1

.PHONY: install uninstall deb
install: module reader doc
	@test -n "$(KREL)" || { echo "cannot tell the kernel release of '$(KDIR)'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) $(NO_SIGN) modules_install
	$(if $(INSTALL_MOD_PATH),@echo "depmod skipped (staged install): run 'depmod $(KREL)' on the target",$(DEPMOD) $(KREL))
	install -D -m 0755 reader/memtrace-reader $(DESTDIR)$(BINDIR)/memtrace-reader
	install -D -m 0644 build/man/$(MAN1) $(DESTDIR)$(MANDIR)/man1/$(MAN1)

uninstall:
	@test -n "$(KREL)" || { echo "cannot tell the kernel release of '$(KDIR)'" >&2; exit 1; }
	rm -f $(foreach z,.ko .ko.gz .ko.xz .ko.zst,$(MOD_DEST)/memtrace$(z))
	[ ! -d $(MOD_DEST) ] || rmdir --ignore-fail-on-non-empty $(MOD_DEST)
	$(if $(INSTALL_MOD_PATH),,$(DEPMOD) $(KREL))
	rm -f $(DESTDIR)$(BINDIR)/memtrace-reader $(DESTDIR)$(MANDIR)/man1/$(MAN1)

# `make deb`: build/deb/memtrace-dkms_VERSION_all.deb and
# memtrace-tools_VERSION_ARCH.deb (debian/; scripts/build-deb).  VERSION is
# debian/changelog's, which dkms.conf's PACKAGE_VERSION must equal.
# (braces: make would end $(shell at the sed script's parenthesis)
PKG_VERSION := ${shell sed -n '1s/^memtrace (\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null}
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEBS := build/deb/memtrace-dkms_$(PKG_VERSION)_all.deb build/deb/memtrace-tools_$(PKG_VERSION)_$(DEB_ARCH).deb
deb: $(DEBS)
$(DEBS) &: Makefile dkms.conf $(MODULE_SRCS) $(READER_SRCS) $(READER_HDRS) \
		Documentation/memtrace-reader.rst scripts/build-deb $(filter-out debian/source,$(wildcard debian/*)) debian/source/format
	scripts/build-deb build/deb
