# tests/guests/guests.mk — probe guests: small PV kernels that link the guest
# kernel's boot library (libpvboot.a) and print one result per line.
# Included by pvguest/pvguest.mk, which supplies the compile rules for
# $(BUILD)/tests/guests/%.o and the pvguest_link macro.
#
# Each tests/guests/NAME.c is one probe, built as $(BUILD)/tests/guests/NAME.elf.
# It defines int main(void); returning 0 powers the domain off, anything else
# shuts it down as crashed (see docs/pvguest.md).

.PHONY: probe-guests

PROBE_GUESTS := $(patsubst tests/guests/%.c,%,$(wildcard tests/guests/*.c))
PROBE_GUEST_ELFS := $(PROBE_GUESTS:%=$(BUILD)/tests/guests/%.elf)

probe-guests: $(PROBE_GUEST_ELFS)

# Keep the objects (make would delete them as intermediates of the pattern rules).
.SECONDARY: $(PROBE_GUESTS:%=$(BUILD)/tests/guests/%.o)

$(BUILD)/tests/guests/%.elf: $(BUILD)/tests/guests/%.o $(PVGUEST_LINK_DEPS)
	$(call pvguest_link,$@,$<)

-include $(PROBE_GUESTS:%=$(BUILD)/tests/guests/%.d)
