# shared-rings/shared-rings.mk — the ring library frontends and backends share (header-only:
# shared-rings/include/sring/*.h, over Xen's xen/io/ring.h). Included by the top Makefile,
# which defines BUILD, CC, WARNINGS and XEN_IFACE.
#
# Users add $(SRING_CFLAGS) to their compiler flags and include <sring/blkif.h> or
# <sring/netif.h>. Nothing is linked: every function is static inline.
#
#   make shared-rings-check   compile the whole API freestanding with the hypervisor's and the
#                             guest kernel's code-generation flags, and fail if the objects
#                             need any symbol besides memcpy and memset
#
# The host unit tests (tests/unit/test_rings*.c) depend on the check, so `make unit-tests`
# runs it too. tests/unit/unit.mk includes this file as well; the guard makes a second
# include (from the top Makefile) harmless.

ifndef SRING_CFLAGS

SRING_CFLAGS := -Ishared-rings/include
SRING_OUT := $(BUILD)/shared-rings
SRING_HEADERS := $(wildcard shared-rings/include/sring/*.h)

# No libc headers at all: gcc's own freestanding ones (stdint.h, stddef.h, stdbool.h) and a
# directory holding only a `xen` link, so nothing from /usr/include leaks in.
SRING_FREESTANDING := -std=gnu11 -O2 -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -I$(SRING_OUT)/include \
	$(SRING_CFLAGS) $(XEN_IFACE) $(WARNINGS) -fno-stack-protector -fno-asynchronous-unwind-tables
# The guest kernel's code model (pvguest/pvguest.mk) and the hypervisor's (hypervisor.mk).
SRING_GUEST_FLAGS := -mcmodel=kernel -mno-red-zone -fno-pic -fno-pie
SRING_HV_FLAGS := -fpie -mno-red-zone -mno-sse -mno-mmx -mno-80387

SRING_CHECK_OBJS := $(SRING_OUT)/check-guest.o $(SRING_OUT)/check-hv.o

.PHONY: shared-rings-check
shared-rings-check: $(SRING_OUT)/check.stamp

$(SRING_OUT)/include/xen:
	@mkdir -p $(@D)
	ln -sfn /usr/include/xen $@

$(SRING_OUT)/check-guest.o: shared-rings/check/freestanding.c $(SRING_HEADERS) | $(SRING_OUT)/include/xen
	$(CC) $(SRING_FREESTANDING) $(SRING_GUEST_FLAGS) -c $< -o $@

$(SRING_OUT)/check-hv.o: shared-rings/check/freestanding.c $(SRING_HEADERS) | $(SRING_OUT)/include/xen
	$(CC) $(SRING_FREESTANDING) $(SRING_HV_FLAGS) -c $< -o $@

$(SRING_OUT)/check.stamp: $(SRING_CHECK_OBJS)
	@bad=$$($(NM) -u $^ | awk 'NF == 2 && $$2 != "memcpy" && $$2 != "memset" { print $$2 }'); \
	if [ -n "$$bad" ]; then echo "shared-rings: freestanding objects need: $$bad" >&2; exit 1; fi
	@touch $@

endif # SRING_CFLAGS
