#!/bin/bash
# The AHCI driver (pvguest/drivers/ahci.c, issue 10) as dom0 on Xen 4.17 and on mica, each
# with its own blank 16 MiB disk on AHCI port 0 (QEMU q35's ICH9 at 00:1f.2, MSI).
# pvguest's test=ahci identifies the disk, writes a pattern with several commands in
# flight (NCQ, as the QEMU disk offers it), flushes, reads it back and compares, and measures
# throughput; a third run on mica uses only non-queued commands. Both runs must pass
# and print the same lines (times and counts aside); afterwards the host finds the pattern
# in each image (ahci-check-image.py).
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"

declare -A logs
for hv in xen mica; do
    disk=$LOG_DIR/$TEST_NAME.$hv.img
    rm -f "$disk"
    truncate -s 16M "$disk"
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    RUN=$hv run_mica "${opt[@]}" --timeout 120 \
        --extra-qemu=-drive --extra-qemu=file=$disk,format=raw,if=none,id=hd0 \
        --extra-qemu=-device --extra-qemu=ide-hd,drive=hd0,bus=ide.0 "$guest test=ahci"
    expect_status 0
    expect_line 'pvguest: ahci: init: 0 (ok)'
    expect_line 'pvguest: ahci: pci 00:1f.2, 32 command slots, disk on port 0'
    expect_line 'pvguest: ahci: identify: model "QEMU HARDDISK", serial "QM00001", firmware "2.5+"'
    expect_regex 'pvguest: ahci: identify: 32768 sectors of 512 bytes \(16 MiB\), lba48 yes, flush ext yes'
    expect_line 'pvguest: ahci: several commands in flight: yes (ok)'
    expect_line 'pvguest: ahci: perf: NCQ on'
    expect_line 'pvguest: ahci: read back in 16 requests: 0 failed, 0 sectors differ (ok)'
    expect_regex 'pvguest: ahci: perf: random read 4 KiB: .* 0 failed$'
    expect_line 'pvguest: test ahci: passed'
    expect_no_line 'FAILED'
    logs[$hv]=$LOG
    check "the pattern is in $hv's disk image" tests/system/ahci-check-image.py "$disk" 2048 512
done

# The same driver on two hypervisors: the same lines, except measurements.
ahci_lines() {
    sed -n 's/^\((d0) \)\{0,1\}\(pvguest: \(ahci\|test ahci\)\)/\2/p' "$1" |
        grep -v -e '^pvguest: ahci: perf:' -e '^pvguest: ahci: stats:'
}
check "same test=ahci lines on Xen 4.17 and mica" \
    diff <(ahci_lines "${logs[xen]}") <(ahci_lines "${logs[mica]}")

# Non-queued commands only (ahci_ncq=0), on mica: the same pattern test passes.
disk=$LOG_DIR/$TEST_NAME.noncq.img
rm -f "$disk"
truncate -s 16M "$disk"
RUN=mica-noncq run_mica --timeout 120 \
    --extra-qemu=-drive --extra-qemu=file=$disk,format=raw,if=none,id=hd0 \
    --extra-qemu=-device --extra-qemu=ide-hd,drive=hd0,bus=ide.0 "$guest test=ahci ahci_ncq=0"
expect_status 0
expect_line 'pvguest: ahci: perf: NCQ off'
expect_line 'pvguest: test ahci: passed'
check "the pattern is in the image (non-queued)" tests/system/ahci-check-image.py "$disk" 2048 512
rm -f "$LOG_DIR/$TEST_NAME".*.img
finish
