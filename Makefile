# mica — top-level build.
#
#   make            build the hypervisor (build/mica, build/mica.elf) and the guest kernel
#   make run        install dependencies, build, boot the demo (a guest's shell) under QEMU
#   make test       install dependencies, build everything, run unit and system tests
#   make gdb        start gdb on build/mica.elf attached to `tools/mica-run --gdb`
#   make bench      microbenchmarks on mica and Xen 4.17 -> build/bench/ (QUICK=1: short run)
#   make deps       install the Debian packages the project needs (only the missing ones)
#
# BUILD=dir puts every output under dir (default build/), so two trees can build side by side.

BUILD ?= build
CC := gcc
LD := ld
OBJCOPY := objcopy
NM := nm
PYTHON ?= python3
# `make run` is interactive: no timeout unless asked (RUN_ARGS="--timeout 60").
RUN_ARGS ?= --timeout 0

# CI builds with -Werror; a developer's build warns but goes on.
ifeq ($(CI),true)
WERROR := -Werror
endif

WARNINGS := -Wall -Wextra -Wno-unused-parameter $(WERROR)

# Code that includes Xen's public headers must see the 4.17 interface,
# or xen-compat.h silently selects the old compat hypercall numbers.
XEN_IFACE := -D__XEN_INTERFACE_VERSION__=0x00040e00

.PHONY: all deps run test unit-tests system-tests gdb clean format bench
all: hypervisor guest

# Before the hypervisor and guest makefiles: they use $(SRING_CFLAGS).
include shared-rings/shared-rings.mk
include hypervisor/hypervisor.mk
-include pvguest/pvguest.mk
-include tests/unit/unit.mk

deps:
	@tools/deps.sh

# The demo (docs/running.md): the driver domain and one guest (tools/configs/demo.dts) with a
# fresh ext2 disk made from tools/demo-disk/ (blkwrite may change it: each run starts clean),
# the e1000 with free host ports forwarded to the guest's HTTP (80) and UDP echo (7) ports
# (restrict=off: QEMU 7.2's restrict=on drops the guest's UDP replies to the host), serial
# input to the guest's shell.
DEMO_IMG := $(BUILD)/demo.img
DEMO_IMG_MIB := 16
run: deps
	@$(MAKE) --no-print-directory all
	@rm -f $(DEMO_IMG) && mke2fs -q -F -t ext2 -L mica-demo -d tools/demo-disk $(DEMO_IMG) \
		$(DEMO_IMG_MIB)M >/dev/null
	tools/mica-run $(RUN_ARGS) --disk $(DEMO_IMG) --net --net-restrict off \
		--hostfwd tcp::auto-:80 --hostfwd udp::auto-:7 --console-domain 1

test: deps
	@$(MAKE) --no-print-directory all unit-tests
	@BUILD=$(BUILD) tests/run

# Benchmarks are not tests (docs/benchmarks.md): results, no pass/fail. Both runs add the
# whole-system suite (disk, network, boot, memory, scaling: mica guest vs native vs Xen dom0)
# and rewrite its table in docs/benchmarks.md; the full run adds the block-path suite too.
# BENCH_ARGS go to tools/mica-bench (e.g. BENCH_ARGS="--systems mica,xen,xen-noxpti").
bench: deps
	@$(MAKE) --no-print-directory all
	BUILD=$(BUILD) QUICK=$(QUICK) tools/mica-bench $(if $(QUICK),,--block) --system \
		--update-docs $(BENCH_ARGS)

gdb: hypervisor
	gdb -q -x tools/gdbinit $(BUILD)/mica.elf

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
