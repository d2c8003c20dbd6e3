# The ring-0 hypervisor: build/mica (multiboot 1 image for QEMU -kernel) and build/mica.elf (symbols).
#
# The image is linked inside the L4 slots Xen's PV ABI reserves for the hypervisor
# (0xffff800000000000-0xffff87ffffffffff), at 0xffff82d080200000, so -mcmodel=kernel is out:
# code is PC-relative (-fpie, everything hidden) and linked as a static non-PIE executable.
# The symbol table used by backtraces is linked in by a second pass (see gen-symbols.sh).

HV_ARCH := x86_64
HV_OUT := $(BUILD)/hypervisor

HV_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fpie -mno-red-zone -mno-sse -mno-mmx -mno-80387 \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-strict-aliasing \
	-include hypervisor/include/mica/visibility.h $(SRING_CFLAGS) \
	-Ihypervisor/include -Ihypervisor/arch/$(HV_ARCH)/include $(XEN_IFACE) $(WARNINGS) -MMD -MP
HV_ASFLAGS := $(filter-out -std=gnu11,$(HV_CFLAGS)) -D__ASSEMBLY__
# libfdt, built from source with these flags (tools/libfdt.mk): the boot configuration.
include tools/libfdt.mk
HV_CFLAGS += $(LIBFDT_HV_CFLAGS)
HV_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

HV_SRCS := $(wildcard hypervisor/common/*.c hypervisor/lib/*.c hypervisor/arch/$(HV_ARCH)/*.c \
	hypervisor/arch/$(HV_ARCH)/*.S)
HV_OBJS := $(patsubst %,$(HV_OUT)/%.o,$(HV_SRCS))
HV_LDS := hypervisor/arch/$(HV_ARCH)/link/mica.lds

.PHONY: hypervisor
hypervisor: $(BUILD)/mica $(BUILD)/mica.elf $(BOOTCFG_DTBS) # boot configurations (libfdt.mk)

$(HV_OUT)/%.c.o: %.c | $(LIBFDT_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -c $< -o $@

$(HV_OUT)/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(HV_ASFLAGS) -c $< -o $@

# Pass 1 links with an empty symbol table, pass 2 with the real one. The table sits after
# .text and .rodata, so no function moves between the passes (gen-symbols.sh checks it).
$(HV_OUT)/syms0.S.o: hypervisor/arch/$(HV_ARCH)/link/symbols-empty.S
	@mkdir -p $(dir $@)
	$(CC) $(HV_ASFLAGS) -c $< -o $@

$(HV_OUT)/mica.pass1: $(HV_OBJS) $(HV_OUT)/syms0.S.o $(HV_LDS) $(LIBFDT_HV_LIB)
	$(LD) $(HV_LDFLAGS) -T $(HV_LDS) -o $@ $(HV_OBJS) $(HV_OUT)/syms0.S.o $(LIBFDT_HV_LIB)

$(HV_OUT)/symbols.S: $(HV_OUT)/mica.pass1 tools/gen-symbols.sh
	tools/gen-symbols.sh $< > $@

$(HV_OUT)/symbols.o: $(HV_OUT)/symbols.S
	$(CC) $(HV_ASFLAGS) -c $< -o $@

$(BUILD)/mica.elf: $(HV_OBJS) $(HV_OUT)/symbols.o $(HV_LDS) $(LIBFDT_HV_LIB)
	$(LD) $(HV_LDFLAGS) -T $(HV_LDS) -o $@ $(HV_OBJS) $(HV_OUT)/symbols.o $(LIBFDT_HV_LIB)
	tools/gen-symbols.sh --check $(HV_OUT)/mica.pass1 $@

# QEMU's -kernel wants multiboot 1; the header uses the a.out kludge (load addresses in the
# header), so the image is the flat physical layout of the ELF.
$(BUILD)/mica: $(BUILD)/mica.elf
	$(OBJCOPY) -O binary $< $@

-include $(HV_OBJS:.o=.d)
