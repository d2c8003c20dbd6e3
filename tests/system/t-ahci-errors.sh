#!/bin/bash
# AHCI error handling (issue 10): QEMU's blkdebug fails every read of sector 4096 and every
# write of sector 6144 with EIO;
# QEMU's AHCI reports it as a task-file error (status ERR, error ABRT). test=ahci with
# ahci_errlba=4096, as dom0 on Xen 4.17 and on mica: the read over it fails with -EIO and
# the task file, the port is recovered (AHCI 1.3.1 §6.2.2) and reads again, and of four
# reads in flight together only the one over sector 4096 fails; the others are re-issued;
# the write over 6144 fails the same way and the next write succeeds.
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"
cfg=$LOG_DIR/$TEST_NAME.blkdebug.cfg
cat >"$cfg" <<'CFG'
[inject-error]
event = "read_aio"
sector = "4096"
errno = "5"
once = "off"

[inject-error]
event = "write_aio"
sector = "6144"
errno = "5"
once = "off"
CFG

for hv in xen mica; do
    disk=$LOG_DIR/$TEST_NAME.$hv.img
    rm -f "$disk"
    truncate -s 16M "$disk"
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    RUN=$hv run_mica "${opt[@]}" --timeout 120 \
        --extra-qemu=-drive --extra-qemu=file=blkdebug:$cfg:$disk,format=raw,if=none,id=hd0 \
        --extra-qemu=-device --extra-qemu=ide-hd,drive=hd0,bus=ide.0 \
        "$guest test=ahci ahci_errlba=4096 ahci_errwrite=6144"
    expect_status 0
    expect_line 'pvguest: ahci: read back in 16 requests: 0 failed, 0 sectors differ (ok)'
    expect_line 'pvguest: ahci: read of 8 sectors over LBA 4096: -5, task file status 0x41 error 0x4, port recovered yes (ok)'
    expect_line 'pvguest: ahci: read after recovery at LBA 4104: 0 (ok)'
    expect_line 'pvguest: ahci: 4 concurrent reads, the 2nd over LBA 4096: statuses 0 -5 0 0 (ok)'
    expect_line 'pvguest: ahci: write of 8 sectors over LBA 6144: -5, task file status 0x41 error 0x4 (ok)'
    expect_line 'pvguest: ahci: write after recovery at LBA 6152: 0 (ok)'
    expect_line 'pvguest: test ahci: passed'
    check "the pattern is in $hv's disk image" tests/system/ahci-check-image.py "$disk" 2048 512
done
rm -f "$LOG_DIR/$TEST_NAME".*.img
finish
