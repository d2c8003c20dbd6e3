# pvguest/pvguest.mk — the PV guest kernel and its boot library; included by
# the top Makefile, which defines BUILD, CC, LD, WARNINGS and XEN_IFACE.
#
#   make guest          -> $(BUILD)/pvguest.elf (and $(BUILD)/pvguest/libpvboot.a),
#                          and the probe guests $(BUILD)/tests/guests/*.elf
#
# newlib is built once into $(BUILD)/newlib by tools/build-newlib.sh.
#
# Probe guests (tests/guests/) build with the same flags and link the same
# library: objects $(BUILD)/tests/guests/%.o come from tests/guests/%.c or .S
# by the rules below, and an image is linked with
#   $(call pvguest_link,OUTPUT.elf,OBJECTS)
# after listing $(PVGUEST_LINK_DEPS) as prerequisites. The probe provides
# int main(void); see docs/pvguest.md.

.PHONY: guest

PVGUEST_OUT := $(BUILD)/pvguest
NEWLIB_DIR := $(BUILD)/newlib
NEWLIB_STAMP := $(NEWLIB_DIR)/.stamp
PVGUEST_LDS := pvguest/arch/x86_64/pvguest.lds
PVBOOT_LIB := $(PVGUEST_OUT)/libpvboot.a
# Only Xen's public headers from /usr/include: a private directory with a
# `xen` link keeps glibc's headers out of the guest's search path.
PVGUEST_XEN_INC := $(PVGUEST_OUT)/include

PVGUEST_CPPFLAGS := -nostdinc -isystem $(NEWLIB_DIR)/include $(SRING_CFLAGS) \
	-isystem $(shell $(CC) -print-file-name=include) \
	-Ipvguest/include -Ipvguest/arch/x86_64/include -I$(PVGUEST_XEN_INC) \
	$(XEN_IFACE) -MMD -MP
# Top 2 GiB (-mcmodel=kernel); no red zone (the hypervisor may push a frame
# on the kernel stack); SSE stays on for newlib (TOOLCHAIN.md).
PVGUEST_CFLAGS := -std=gnu11 -O2 -g -mcmodel=kernel -mno-red-zone -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
	-ffunction-sections -fdata-sections $(WARNINGS)
PVGUEST_ASFLAGS := -D__ASSEMBLY__ -g
PVGUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --gc-sections \
	--build-id=none -T $(PVGUEST_LDS)
# libfdt for the boot module's device tree, built from source with these flags
# (tools/libfdt.mk; pvguest/core/devtree.c).
include tools/libfdt.mk
PVGUEST_CPPFLAGS += $(LIBFDT_GUEST_CFLAGS)
PVGUEST_LIBS := $(LIBFDT_GUEST_LIB) $(NEWLIB_DIR)/lib/libc.a $(NEWLIB_DIR)/lib/libm.a \
	$(shell $(CC) -print-libgcc-file-name)

# The boot library: entry, ELF notes, hypercall page, start_info, shared_info,
# console, shutdown, command line, newlib system calls; and the kernel's
# subsystems, which an image links only if it calls them: exceptions and
# callbacks, memory probes, event channels, time, threads, memory management
# (sbrk refers to mm.c, which stays idle unless mm_init() is called). An
# archive member is linked only when something refers to it, so probe
# guests keep their own trap tables and masked events.
PVBOOT_SRCS := \
	pvguest/arch/x86_64/head.S \
	pvguest/arch/x86_64/entry.S \
	pvguest/arch/x86_64/probe.S \
	pvguest/arch/x86_64/switch.S \
	pvguest/arch/x86_64/traps.c \
	pvguest/core/boot.c \
	pvguest/core/cmdline.c \
	pvguest/core/console.c \
	pvguest/core/console_in.c \
	pvguest/core/devtree.c \
	pvguest/core/events.c \
	pvguest/core/gnttab.c \
	pvguest/core/mm.c \
	pvguest/core/sched.c \
	pvguest/core/shared_info.c \
	pvguest/core/shutdown.c \
	pvguest/core/time.c \
	pvguest/libc/syscalls.c
# Drivers of the driver domain (linked when referred to).
PVBOOT_SRCS += pvguest/drivers/ahci.c

# The guest kernel proper; system.c is the usable system's two roles (issue 12).
PVGUEST_SRCS := \
	pvguest/main.c \
	pvguest/system.c \
	pvguest/selftest.c \
	pvguest/selftest_mm.c
# Block path (issue 10): blkif checks, disks, backend, frontend and their tests.
PVGUEST_SRCS += pvguest/backends/blkif_check.c pvguest/backends/blkdev.c \
	pvguest/backends/blkdev_ahci.c pvguest/backends/blkback.c pvguest/frontends/blkfront.c \
	pvguest/frontends/blkfront_test.c
PVGUEST_SRCS += pvguest/selftest_ahci.c
# Read-only ext2 (issue 12)
PVGUEST_SRCS += pvguest/fs/ext2.c
PVGUEST_SRCS += pvguest/blkbench.c pvguest/sysbench.c

# Network (issue 11): the e1000 driver, lwIP's port (pvguest/net/) and test=net. liblwip.a is
# compiled from Debian's lwip source package by tools/build-lwip.sh with the guest's flags.
LWIP_DIR := $(BUILD)/lwip
LWIP_LIB := $(LWIP_DIR)/liblwip.a
LWIP_PORT_INC := pvguest/net/include
PVBOOT_SRCS += pvguest/drivers/e1000.c pvguest/net/net.c
PVGUEST_SRCS += pvguest/net/selftest_net.c
PVGUEST_LIBS += $(LWIP_LIB)
PVGUEST_LINK_DEPS += $(LWIP_LIB)
$(LWIP_LIB): tools/build-lwip.sh $(LWIP_PORT_INC)/lwipopts.h $(LWIP_PORT_INC)/arch/cc.h \
		| $(NEWLIB_STAMP)
	CC="$(CC)" CFLAGS="$(filter-out -MMD -MP,$(PVGUEST_CPPFLAGS)) $(PVGUEST_CFLAGS) \
		-I$(LWIP_PORT_INC)" tools/build-lwip.sh $(BUILD)
$(PVGUEST_OUT)/net/net.o $(PVGUEST_OUT)/net/selftest_net.o: $(LWIP_LIB)
$(PVGUEST_OUT)/net/%.o: PVGUEST_CPPFLAGS += -I$(LWIP_PORT_INC) -I$(LWIP_DIR)/src/include

# The network backend, its bridge and the frontend (issue 11), linked when referred to.
PVBOOT_SRCS += pvguest/backends/netback.c pvguest/backends/bridge.c \
	pvguest/backends/bridge_table.c pvguest/backends/netif_check.c pvguest/frontends/netfront.c
PVGUEST_SRCS += pvguest/selftest_netif.c
# lwIP on the bridge (driver domain) and on netfront (guest): test=netback-net, netfront-net.
PVBOOT_SRCS += pvguest/backends/netback_net.c pvguest/frontends/netfront_net.c
$(PVGUEST_OUT)/frontends/netfront_net.o: $(LWIP_LIB)
$(PVGUEST_OUT)/frontends/netfront_net.o: PVGUEST_CPPFLAGS += -I$(LWIP_PORT_INC) -I$(LWIP_DIR)/src/include

# The HTTP/1.0 server on ext2 (issue 12): its request parser is portable (tests/unit);
# httpd.c uses lwIP (the net/%.o rule above gives it lwIP's headers).
PVGUEST_SRCS += pvguest/net/httpd.c pvguest/net/http_parse.c
$(PVGUEST_OUT)/net/httpd.o: $(LWIP_LIB)

# The shell (issue 12): commands on files, the disk, the network and the system.
PVGUEST_SRCS += pvguest/shell/shell.c pvguest/shell/shell_parse.c pvguest/shell/cmd_fs.c \
	pvguest/shell/cmd_sys.c pvguest/shell/sha256.c
$(PVGUEST_OUT)/shell/cmd_sys.o: PVGUEST_CPPFLAGS += -I$(LWIP_PORT_INC) -I$(LWIP_DIR)/src/include
$(PVGUEST_OUT)/shell/cmd_sys.o: $(LWIP_LIB)

pvguest_objs = $(patsubst pvguest/%,$(PVGUEST_OUT)/%.o,$(basename $(1)))
PVBOOT_OBJS := $(call pvguest_objs,$(PVBOOT_SRCS))
PVGUEST_OBJS := $(call pvguest_objs,$(PVGUEST_SRCS))

# What every guest image's link depends on, and the link itself.
PVGUEST_LINK_DEPS := $(PVBOOT_LIB) $(PVGUEST_LDS) $(NEWLIB_STAMP) $(LIBFDT_GUEST_LIB)
pvguest_link = $(LD) $(PVGUEST_LDFLAGS) -o $(1) $(2) \
	--start-group $(PVBOOT_LIB) $(PVGUEST_LIBS) --end-group

# The probe guests build with the kernel, so `make` (all) has them ready for tests/run.
guest: $(BUILD)/pvguest.elf probe-guests

$(BUILD)/pvguest.elf: $(PVGUEST_OBJS) $(PVGUEST_LINK_DEPS)
	$(call pvguest_link,$@,$(PVGUEST_OBJS))

$(PVBOOT_LIB): $(PVBOOT_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(NEWLIB_STAMP): tools/build-newlib.sh
	tools/build-newlib.sh $(BUILD)
	@touch $@

$(PVGUEST_XEN_INC)/xen:
	@mkdir -p $(@D)
	ln -sfn /usr/include/xen $@

$(PVGUEST_OUT)/%.o: pvguest/%.c | $(NEWLIB_STAMP) $(PVGUEST_XEN_INC)/xen $(LIBFDT_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PVGUEST_CPPFLAGS) $(PVGUEST_CFLAGS) -c -o $@ $<

$(PVGUEST_OUT)/%.o: pvguest/%.S | $(NEWLIB_STAMP) $(PVGUEST_XEN_INC)/xen
	@mkdir -p $(@D)
	$(CC) $(PVGUEST_CPPFLAGS) $(PVGUEST_ASFLAGS) -c -o $@ $<

$(BUILD)/tests/guests/%.o: tests/guests/%.c | $(NEWLIB_STAMP) $(PVGUEST_XEN_INC)/xen
	@mkdir -p $(@D)
	$(CC) $(PVGUEST_CPPFLAGS) $(PVGUEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/guests/%.o: tests/guests/%.S | $(NEWLIB_STAMP) $(PVGUEST_XEN_INC)/xen
	@mkdir -p $(@D)
	$(CC) $(PVGUEST_CPPFLAGS) $(PVGUEST_ASFLAGS) -c -o $@ $<

-include $(PVBOOT_OBJS:.o=.d) $(PVGUEST_OBJS:.o=.d)

include tests/guests/guests.mk
$(PVGUEST_OUT)/system.o: $(LWIP_LIB)
