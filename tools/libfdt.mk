# tools/libfdt.mk — libfdt compiled from source twice: for the hypervisor (ring 0, its own
# string functions) and for the guest kernel (over newlib). Included by hypervisor/hypervisor.mk
# and pvguest/pvguest.mk; the sources come from tools/build-libfdt.sh (cached in $(BUILD)/libfdt).
# Debian's libfdt.a is not used there: it carries the stack protector (TOOLCHAIN.md).
#
#   $(LIBFDT_HV_LIB), $(LIBFDT_HV_CFLAGS)        link / compile flags for the hypervisor
#   $(LIBFDT_GUEST_LIB), $(LIBFDT_GUEST_CFLAGS)  the same for the guest kernel
#   $(BOOTCFG_DTBS)                              tools/configs/*.dts compiled with dtc

ifndef LIBFDT_MK_INCLUDED
LIBFDT_MK_INCLUDED := 1

LIBFDT_DIR := $(BUILD)/libfdt
LIBFDT_STAMP := $(LIBFDT_DIR)/.stamp
# The C files tools/build-libfdt.sh unpacks (dtc 1.6.1, without fdt_overlay.c).
LIBFDT_NAMES := fdt fdt_addresses fdt_check fdt_empty_tree fdt_ro fdt_rw fdt_strerror fdt_sw \
	fdt_wip
LIBFDT_HV_LIB := $(LIBFDT_DIR)/hv/libfdt.a
LIBFDT_GUEST_LIB := $(LIBFDT_DIR)/guest/libfdt.a
LIBFDT_HV_CFLAGS := -I$(LIBFDT_DIR)/hv -I$(LIBFDT_DIR)/include
LIBFDT_GUEST_CFLAGS := -I$(LIBFDT_DIR)/guest -I$(LIBFDT_DIR)/include

$(LIBFDT_STAMP): tools/build-libfdt.sh
	tools/build-libfdt.sh $(BUILD)
	@touch $@

$(LIBFDT_DIR)/src/%.c: $(LIBFDT_STAMP) ;
# The unpacked sources are not intermediate files to delete after a build: the stamp says
# they exist, and nothing but build-libfdt.sh can bring them back.
.SECONDARY: $(patsubst %,$(LIBFDT_DIR)/src/%.c,$(LIBFDT_NAMES))

# libfdt is third-party code: its own warnings are not ours to fix (-w).
$(LIBFDT_DIR)/hv/%.o: $(LIBFDT_DIR)/src/%.c $(LIBFDT_STAMP)
	$(CC) $(filter-out -MMD -MP,$(HV_CFLAGS)) $(LIBFDT_HV_CFLAGS) -w -c $< -o $@

$(LIBFDT_DIR)/guest/%.o: $(LIBFDT_DIR)/src/%.c $(LIBFDT_STAMP) | $(BUILD)/newlib/.stamp
	$(CC) $(filter-out -MMD -MP,$(PVGUEST_CPPFLAGS)) $(PVGUEST_CFLAGS) $(LIBFDT_GUEST_CFLAGS) \
		-w -c $< -o $@

$(LIBFDT_HV_LIB): $(patsubst %,$(LIBFDT_DIR)/hv/%.o,$(LIBFDT_NAMES))
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBFDT_GUEST_LIB): $(patsubst %,$(LIBFDT_DIR)/guest/%.o,$(LIBFDT_NAMES))
	@rm -f $@
	$(AR) rcs $@ $^

# Boot configurations (docs/bootcfg.md): tools/configs/NAME.dts -> $(BUILD)/configs/NAME.dtb.
BOOTCFG_DTBS := $(patsubst tools/configs/%.dts,$(BUILD)/configs/%.dtb,$(wildcard tools/configs/*.dts))

$(BUILD)/configs/%.dtb: tools/configs/%.dts
	@mkdir -p $(@D)
	dtc -q -I dts -O dtb -o $@ $<

endif
