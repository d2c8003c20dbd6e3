#!/bin/bash
# Driver-domain hardware against the real thing (issue 9): tests/guests/probe_pci.c as dom0
# on Xen 4.17 and on mica, on q35 with an e1000 (QEMU user network, restrict=on: nothing
# leaves the machine) and a 1 MiB blank disk on AHCI port 0 (the port reset answers with a
# D2H FIS only when a drive is there). Both must find the AHCI and the e1000, size and map
# their BARs, read their registers and receive an interrupt from each as a pirq event
# (e1000: a level GSI; AHCI: MSI); tests/guests/probe_pci.diff-ok lists what may differ.
. "$(dirname "$0")/lib.sh"

disk=$LOG_DIR/$TEST_NAME.disk.img
rm -f "$disk"
truncate -s 1M "$disk"
hw=(--extra-qemu=-device --extra-qemu=e1000,netdev=n0
    --extra-qemu=-netdev --extra-qemu=user,id=n0,restrict=on
    --extra-qemu=-drive --extra-qemu=file=$disk,format=raw,if=none,id=hd0
    --extra-qemu=-device --extra-qemu=ide-hd,drive=hd0,bus=ide.0)

compare_probe probe_pci "${hw[@]}"
for sys in xen mica; do
    LOG=$LOG_DIR/$TEST_NAME.$sys.log
    expect_line "probe_pci: bus 0: 5 functions, ahci found, e1000 found"
    expect_line "probe_pci: e1000 ICS.LSC: event received"
    expect_line "probe_pci: e1000 second ICS.LSC: event received"
    expect_line "probe_pci: ahci PxIS.DHRS: event received"
done
# mica's boot lines: what it enumerated and what dom0 got.
expect_regex "^mica: pci 00:1f\.2 8086:2922 class 010601 INTA gsi 16 msi@0x80$"
expect_regex "^mica: pci 00:01\.0 8086:100e class 020000 INTA gsi 21$"
expect_line "mica: pci 00:1f.0 8086:2918 class 060100 (mica's)"
expect_line "mica: d0 owns 3 PCI functions"
# The ICH9 table against the real thing: an e1000 in slot 3 raises INTA on PIRQ H, GSI 23
# ((3 + 0) mod 4 + 4); mica maps the GSI only if its own table agrees, Xen delivers the
# interrupt only if the routing is real.
hw3=("${hw[@]}")
hw3[1]=--extra-qemu=e1000,netdev=n0,addr=0x3
compare_probe probe_pci "${hw3[@]}"
for sys in xen mica; do
    LOG=$LOG_DIR/$TEST_NAME.$sys.log
    expect_line "probe_pci: e1000 INTA routed to gsi 23"
    expect_line "probe_pci: e1000 ICS.LSC: event received"
done

# With 4 GiB the frame table spans the PCI hole: BAR frames must still count as MMIO.
RUN=mica-4g run_mica --timeout 60 --memory 4096 --dom0-mem 256M "${hw[@]}" \
    "$BUILD/tests/guests/probe_pci.elf"
expect_status 0
expect_line "(d0) probe_pci: update_va_mapping(e1000 BAR0 frame) = 0"
expect_line "(d0) probe_pci: mmu_update(DOMID_IO, ahci ABAR frame) = 0"
expect_line "(d0) probe_pci: ahci PxIS.DHRS: event received"
rm -f "$disk"
finish
