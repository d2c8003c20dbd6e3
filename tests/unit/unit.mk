# Host unit tests (Check) for the hypervisor's portable code.
#
#   make unit-tests     build $(BUILD)/tests/unit/test_<name> for every tests/unit/test_<name>.c
#
# Each test links the hypervisor sources it exercises, compiled for the host with
# tests/unit/hv_rename.h forced in (memcpy -> hv_memcpy, ...) so they do not clash
# with libc. Each executable runs its own Check suite and exits non-zero on failure.

UNIT_OUT := $(BUILD)/tests/unit
UNIT_HOSTCC ?= gcc

# The hypervisor sources each test needs (paths under hypervisor/).
UNIT_SRCS_string     := lib/string.c
UNIT_SRCS_printf     := lib/vsnprintf.c lib/string.c
UNIT_SRCS_cmdline    := common/cmdline.c lib/string.c
UNIT_SRCS_memmap     := common/memmap.c lib/string.c
UNIT_SRCS_page_alloc := common/page_alloc.c lib/string.c

# Domain builder (helper: elf_xen, domain_build). The fixture kernels are built in C by
# tests/unit/elf_kernel.h, so no extra rule is needed.
UNIT_SRCS_elf_xen      := common/elf_xen.c lib/string.c lib/vsnprintf.c
UNIT_SRCS_domain_build := common/domain_build.c common/elf_xen.c lib/string.c lib/vsnprintf.c

# Decoder of the privileged-instruction emulation path (helper: insn_decode). Freestanding,
# no library calls; the test fences every input with a guard page and exact-size mallocs.
UNIT_SRCS_insn_decode := common/insn_decode.c

# Hypercall handlers (helper: hypercall argument checks). They run over the test doubles in
# tests/unit/fake_guest.c (guest memory, domains, serial). guest_access.c is built a second
# way, with its copy functions renamed real_copy_*, so the fakes reuse its range rule.
UNIT_SRCS_hypercalls := common/version.c common/console.c common/sched.c common/vm_assist.c \
    common/memory.c common/hypercall.c common/timer.c lib/vsnprintf.c lib/string.c
UNIT_HC_CFLAGS := -Ihypervisor/arch/x86_64/include -Wno-unused-parameter
UNIT_HC_GA := $(UNIT_OUT)/hv/common/guest_access_hc.o
$(patsubst %.c,$(UNIT_OUT)/hv/%.o,$(filter common/%,$(UNIT_SRCS_hypercalls))) \
$(UNIT_OUT)/obj/test_hypercalls.o: UNIT_CFLAGS += $(UNIT_HC_CFLAGS)
$(UNIT_OUT)/obj/fake_guest.o: tests/unit/fake_guest.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) $(UNIT_HC_CFLAGS) -Itests/unit -c $< -o $@
$(UNIT_HC_GA): hypervisor/common/guest_access.c tests/unit/hv_rename.h
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) $(UNIT_HC_CFLAGS) -include tests/unit/hv_rename.h \
	    -Dcopy_from_guest=real_copy_from_guest -Dcopy_to_guest=real_copy_to_guest -c $< -o $@
$(UNIT_OUT)/test_hypercalls: $(UNIT_OUT)/obj/fake_guest.o $(UNIT_HC_GA)

# Typed frames and update_va_mapping (helper: mm). mm.c runs over the fakes in test_mm.c;
# <mica/domain.h> needs <arch/regs.h>, hence the arch include path.
UNIT_SRCS_mm := common/mm.c common/domain_build.c common/elf_xen.c lib/string.c lib/vsnprintf.c
$(UNIT_OUT)/hv/common/mm.o $(UNIT_OUT)/obj/test_mm.o: UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include

# Guest-time arithmetic and the version protocol (lead); the reader thread needs -pthread.
UNIT_SRCS_time := common/time_scale.c

# PV64 bounce frames (lead): pure computation over struct cpu_regs.
UNIT_SRCS_bounce := common/bounce.c
$(UNIT_OUT)/hv/common/bounce.o $(UNIT_OUT)/obj/test_bounce.o: UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include

# multicall and hypercall continuations (helper: multicall). multicall.c runs over the fakes
# in test_multicall.c (guest list, dispatch, clock, guest frame); <arch/regs.h> needs the arch
# include path.
UNIT_SRCS_multicall := common/multicall.c
$(UNIT_OUT)/hv/common/multicall.o $(UNIT_OUT)/obj/test_multicall.o: \
    UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include -Wno-unused-parameter

# I/O port permissions and physdev_op (helper: privileged-instruction emulation). The test
# supplies current, copy_from_guest() and guest_range_ok(); <mica/domain.h> needs <arch/regs.h>.
UNIT_SRCS_iocap := common/iocap.c lib/string.c
$(UNIT_OUT)/hv/common/iocap.o $(UNIT_OUT)/obj/test_iocap.o: UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include

# Event channels (helper: event channels). event_channel.c runs over the fakes in
# test_event_channel.c (domains with shared_info pages, guest memory, the scheduler's kick);
# <mica/domain.h> needs the arch include path.
UNIT_SRCS_event_channel := common/event_channel.c lib/string.c
$(UNIT_OUT)/hv/common/event_channel.o $(UNIT_OUT)/obj/test_event_channel.o: \
    UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include

# Writable page-table assist (helper: ptwr): the store decoder, store semantics, and the
# #PF path over mm.c's typed frames, on the fakes in test_ptwr.c.
UNIT_SRCS_ptwr := common/ptwr.c common/insn_decode_store.c common/mm.c lib/string.c \
    lib/vsnprintf.c
$(UNIT_OUT)/hv/common/ptwr.o $(UNIT_OUT)/obj/test_ptwr.o: UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include

# Guest descriptor tables (helper: GDT). descriptor.c runs over the fake frame table in
# test_descriptor.c, with mm.c's typed frames.
UNIT_SRCS_descriptor := common/descriptor.c common/mm.c lib/string.c lib/vsnprintf.c
$(UNIT_OUT)/hv/common/descriptor.o $(UNIT_OUT)/obj/test_descriptor.o: \
    UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include

# Guest page-table hypercalls and reservations (helper: mmu). mmu.c, memory.c and mm.c run
# over the fakes in test_mmu.c. test_hypercalls links memory.c and hypercall.c without mm.c:
# tests/unit/stub_mmu.c gives it refusing stand-ins for what they now call.
UNIT_SRCS_mmu := common/mmu.c common/memory.c common/mm.c lib/string.c lib/vsnprintf.c
$(UNIT_OUT)/hv/common/mmu.o $(UNIT_OUT)/hv/common/memory.o $(UNIT_OUT)/obj/test_mmu.o: \
    UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include
$(UNIT_OUT)/obj/stub_mmu.o: tests/unit/stub_mmu.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ihypervisor/arch/x86_64/include -Wno-unused-parameter -c $< -o $@
$(UNIT_OUT)/test_hypercalls: $(UNIT_OUT)/obj/stub_mmu.o

# Grant tables v1 (helper: grant tables). grant_table.c runs over mm.c's typed frames and the
# fakes in test_grant_table.c. test_hypercalls links hypercall.c without it: stub_gnttab.c
# gives it a refusing do_grant_table_op.
UNIT_SRCS_grant_table := common/grant_table.c common/mm.c lib/string.c lib/vsnprintf.c
$(UNIT_OUT)/hv/common/grant_table.o $(UNIT_OUT)/obj/test_grant_table.o: \
    UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include
$(UNIT_OUT)/obj/stub_gnttab.o: tests/unit/stub_gnttab.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -c $< -o $@
$(UNIT_OUT)/test_hypercalls: $(UNIT_OUT)/obj/stub_gnttab.o

# Observability (helper: issue 8, "seeing inside"): the counters (stats.c), the trace buffer
# (trace.c) and the debug-key input filter (keyhandler.c), each over the fakes in its test. The
# hooks in hypercall.c, sched.c, timer.c, event_channel.c and mm.c resolve to the weak
# stand-ins of tests/unit/stub_obs.c, linked into every unit test; test_hypercalls links the
# real keyhandler.c, through which CONSOLEIO_read now reads.
UNIT_SRCS_stats := common/stats.c lib/string.c lib/vsnprintf.c
UNIT_SRCS_trace := common/trace.c lib/string.c lib/vsnprintf.c
UNIT_SRCS_keyhandler := common/keyhandler.c lib/string.c lib/vsnprintf.c
UNIT_SRCS_hypercalls += common/keyhandler.c
$(foreach o,stats trace keyhandler,$(UNIT_OUT)/hv/common/$(o).o $(UNIT_OUT)/obj/test_$(o).o): \
    UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include -Wno-unused-parameter
$(UNIT_OUT)/obj/stub_obs.o: tests/unit/stub_obs.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ihypervisor/arch/x86_64/include -Wno-unused-parameter -c $< -o $@
$(patsubst tests/unit/test_%.c,$(UNIT_OUT)/test_%,$(wildcard tests/unit/test_*.c)): \
    $(UNIT_OUT)/obj/stub_obs.o

# Boot configuration (helper: boot configuration). bootcfg.c runs over the host's libfdt
# (Debian's libfdt.a: its stack protector is harmless on the host); the test compiles its
# .dts cases with dtc at run time.
UNIT_SRCS_bootcfg := common/bootcfg.c lib/string.c lib/vsnprintf.c
$(UNIT_OUT)/test_bootcfg: $(shell $(UNIT_HOSTCC) -print-file-name=libfdt.a)

# PCI ownership and the configuration filter (helper: driver-domain hardware, issue 9).
# pci_assign.c runs over the port-grant double in test_pci_assign.c; <mica/domain.h> needs
# the arch include path.
UNIT_SRCS_pci_assign := common/pci_assign.c lib/string.c
$(UNIT_OUT)/hv/common/pci_assign.o $(UNIT_OUT)/obj/test_pci_assign.o: \
    UNIT_CFLAGS += -Ihypervisor/arch/x86_64/include

# mm.c validates descriptor pages and drops GDT references through descriptor.c: every
# unit test that links common/mm.c links common/descriptor.c too. Keep this just before
# UNIT_NAMES, after every UNIT_SRCS_* definition.
$(foreach v,$(filter UNIT_SRCS_%,$(.VARIABLES)),$(if $(filter common/mm.c,$($(v))),$(if \
    $(filter common/descriptor.c,$($(v))),,$(eval $(v) += common/descriptor.c))))

UNIT_NAMES ?= $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(addprefix $(UNIT_OUT)/test_,$(UNIT_NAMES))

# Evaluated once, and only when a unit-test rule needs them.
UNIT_SAN = $(eval UNIT_SAN := $(shell echo 'int main(void){return 0;}' | \
    $(UNIT_HOSTCC) -fsanitize=address,undefined -x c - -o /dev/null 2>/dev/null && \
    echo -fsanitize=address,undefined -fno-sanitize-recover=undefined))$(UNIT_SAN)
UNIT_CHECK_CFLAGS = $(eval UNIT_CHECK_CFLAGS := $(shell pkg-config --cflags check))$(UNIT_CHECK_CFLAGS)
UNIT_CHECK_LIBS = $(eval UNIT_CHECK_LIBS := $(shell pkg-config --libs check))$(UNIT_CHECK_LIBS)

UNIT_CFLAGS = -std=gnu11 -O2 -g -fno-omit-frame-pointer -Wall -Wextra $(WERROR) \
    -Ihypervisor/include $(XEN_IFACE) $(UNIT_SAN) -MMD -MP

.PHONY: unit-tests
unit-tests: $(UNIT_BINS)

# Hypervisor sources, renamed for the host.
$(UNIT_OUT)/hv/%.o: hypervisor/%.c tests/unit/hv_rename.h
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -include tests/unit/hv_rename.h -c $< -o $@

# Test objects live in obj/ so that $(UNIT_OUT)/test_* are exactly the executables.
$(UNIT_OUT)/obj/test_%.o: tests/unit/test_%.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) $(UNIT_CHECK_CFLAGS) -Itests/unit -c $< -o $@

# One link rule per test: its own object plus the hypervisor sources it lists.
define UNIT_LINK_RULE
$(UNIT_OUT)/test_$(1): $(UNIT_OUT)/obj/test_$(1).o $(patsubst %.c,$(UNIT_OUT)/hv/%.o,$(UNIT_SRCS_$(1)))
	$$(UNIT_HOSTCC) $$(UNIT_SAN) $$^ $$(UNIT_CHECK_LIBS) -o $$@
endef
$(foreach t,$(UNIT_NAMES),$(eval $(call UNIT_LINK_RULE,$(t))))

-include $(wildcard $(UNIT_OUT)/obj/*.d $(UNIT_OUT)/hv/*/*.d)

# Shared rings (helper: shared-rings). Header-only (shared-rings/include/sring/), compiled for
# the host as is; the freestanding build check of shared-rings.mk runs first. The stress test
# runs two threads (pthreads, in glibc's libc; Check's cflags already carry -pthread).
include shared-rings/shared-rings.mk
$(UNIT_OUT)/obj/test_rings.o $(UNIT_OUT)/obj/test_rings_stress.o: UNIT_CFLAGS += $(SRING_CFLAGS)
$(UNIT_OUT)/obj/test_rings.o $(UNIT_OUT)/obj/test_rings_stress.o: | $(SRING_OUT)/check.stamp


# blkif request validation and splitting (helper: blkback/blkfront, issue 10). The portable
# module lives in pvguest/backends/ and builds for the host as is (no renaming).
$(UNIT_OUT)/obj/test_blkif.o: UNIT_CFLAGS += -Ipvguest/include
$(UNIT_OUT)/obj/blkif_check.o: pvguest/backends/blkif_check.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ipvguest/include -c $< -o $@
$(UNIT_OUT)/test_blkif: $(UNIT_OUT)/obj/blkif_check.o

# netif TX validation and the bridge's forwarding table (helper: netback, issue 11). The
# portable modules live in pvguest/backends/ and build for the host as they are.
$(UNIT_OUT)/obj/test_netif.o: UNIT_CFLAGS += -Ipvguest/include
$(UNIT_OUT)/obj/netif_check.o: pvguest/backends/netif_check.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ipvguest/include -c $< -o $@
$(UNIT_OUT)/obj/bridge_table.o: pvguest/backends/bridge_table.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ipvguest/include -c $< -o $@
$(UNIT_OUT)/test_netif: $(UNIT_OUT)/obj/netif_check.o $(UNIT_OUT)/obj/bridge_table.o

# The guest shell's SHA-256 and its tokenizer and line editor (helper: shell, issue 12). The
# portable modules live in pvguest/shell/ and build for the host as they are.
$(UNIT_OUT)/obj/test_sha256.o: UNIT_CFLAGS += -Ipvguest/include
$(UNIT_OUT)/obj/sha256.o: pvguest/shell/sha256.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ipvguest/include -c $< -o $@
$(UNIT_OUT)/test_sha256: $(UNIT_OUT)/obj/sha256.o
$(UNIT_OUT)/obj/test_shell_parse.o: UNIT_CFLAGS += -Ipvguest/shell
$(UNIT_OUT)/obj/shell_parse.o: pvguest/shell/shell_parse.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ipvguest/shell -c $< -o $@
$(UNIT_OUT)/test_shell_parse: $(UNIT_OUT)/obj/shell_parse.o

# The guest web server's request parser and text helpers (helper: httpd, issue 12). The
# portable module lives in pvguest/net/ and builds for the host as is.
$(UNIT_OUT)/obj/test_http_parse.o: UNIT_CFLAGS += -Ipvguest/include
$(UNIT_OUT)/obj/http_parse.o: pvguest/net/http_parse.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ipvguest/include -c $< -o $@
$(UNIT_OUT)/test_http_parse: $(UNIT_OUT)/obj/http_parse.o

# Read-only ext2 (helper: ext2 reader, issue 12). The portable reader lives in pvguest/fs/ and
# builds for the host as is; the test makes its images with mke2fs (e2fsprogs) at run time.
$(UNIT_OUT)/obj/test_ext2.o: UNIT_CFLAGS += -Ipvguest/include
$(UNIT_OUT)/obj/ext2.o: pvguest/fs/ext2.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) -Ipvguest/include -c $< -o $@
$(UNIT_OUT)/test_ext2: $(UNIT_OUT)/obj/ext2.o

# The shell's file and disk commands over the ext2 reader, with the guest's calls stubbed in
# the test (helper: shell, issue 12).
UNIT_SHELL_SRCS := pvguest/shell/shell.c pvguest/shell/shell_parse.c pvguest/shell/cmd_fs.c \
    pvguest/shell/sha256.c pvguest/fs/ext2.c
UNIT_SHELL_CFLAGS := -Ipvguest/include -Ipvguest/arch/x86_64/include -Ipvguest/shell \
    $(SRING_CFLAGS) -Wno-unused-parameter
$(UNIT_OUT)/obj/test_shell_cmds.o: UNIT_CFLAGS += $(UNIT_SHELL_CFLAGS)
$(UNIT_OUT)/obj/shell/%.o: pvguest/%.c
	@mkdir -p $(dir $@)
	$(UNIT_HOSTCC) $(UNIT_CFLAGS) $(UNIT_SHELL_CFLAGS) -c $< -o $@
$(UNIT_OUT)/test_shell_cmds: $(patsubst pvguest/%.c,$(UNIT_OUT)/obj/shell/%.o,$(UNIT_SHELL_SRCS))
