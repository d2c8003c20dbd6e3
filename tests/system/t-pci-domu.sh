#!/bin/bash
# An unprivileged guest cannot touch the hardware (issue 9; mica only: Xen 4.17 here runs a
# lone dom0). With domu_copies=1, tests/guests/probe_pci.c runs as dom0 (which owns the
# devices and takes their interrupts) and as d1, which without privilege makes the same moves
# and is refused at each: port I/O and PCI configuration cycles #GP (it asked for no IOPL),
# physdev_op -EPERM (Xen's XSM default), bind_pirq -EPERM (a pirq it has no access to), eoi
# -EINVAL (no such pirq), MMIO mapping -EPERM (no iomem permission; -EINVAL already for
# the uncached PTE bits, which need I/O resources, as Xen's l1_disallow_mask).
. "$(dirname "$0")/lib.sh"

probe=probe_pci
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"
disk=$LOG_DIR/$TEST_NAME.disk.img
rm -f "$disk"
truncate -s 1M "$disk"

run_mica --timeout 90 --append "console=com1 domu_copies=1" \
    --extra-qemu=-device --extra-qemu=e1000,netdev=n0 \
    --extra-qemu=-netdev --extra-qemu=user,id=n0,restrict=on \
    --extra-qemu=-drive --extra-qemu=file=$disk,format=raw,if=none,id=hd0 \
    --extra-qemu=-device --extra-qemu=ide-hd,drive=hd0,bus=ide.0 "$elf"
expect_status 0
expect_line "(d0) $probe: e1000 ICS.LSC: event received"
expect_line "(d0) $probe: ahci PxIS.DHRS: event received"
p="(d1) $probe: unprivileged:"
expect_line "$p outl 0xcf8 = #GP"
expect_line "$p inl 0xcfc = #GP"
expect_line "$p inl 0xc000 (e1000 I/O BAR) = #GP"
expect_line "$p setup_gsi(21) = -1 (EPERM)"
expect_line "$p pci_device_add(00:01.0) = -1 (EPERM)"
expect_line "$p map_pirq(GSI 21) = -1 (EPERM)"
expect_line "$p map_pirq(MSI 00:1f.2) = -1 (EPERM)"
expect_line "(d1) $probe: bind_pirq(unprivileged: GSI 21) = -1 (EPERM)"
expect_line "$p eoi(21) = -22 (EINVAL)"
expect_line "$p update_va_mapping(e1000 frame, PCD|PWT) = -22 (EINVAL)"
expect_line "$p mmu_update(DOMID_IO, e1000 frame, PCD|PWT) = -22 (EINVAL)"
expect_line "$p update_va_mapping(e1000 frame) = -1 (EPERM)"
expect_line "$p mmu_update(DOMID_IO, e1000 frame) = -1 (EPERM)"
expect_line "(d1) probe: done"
expect_line "mica: d0 owns 3 PCI functions"
expect_no_line "(d1) $probe: e1000"
rm -f "$disk"
finish
