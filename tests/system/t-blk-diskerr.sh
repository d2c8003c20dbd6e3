#!/bin/bash
# Disk errors through the block path (issue 10, "Tests"; tools/configs/blk-diskerr.dts): QEMU's
# blkdebug fails reads of disk sector 3048 and writes of disk sector 5048 with EIO. The AHCI
# driver reports the task-file error (and recovers the port), blkback answers
# BLKIF_RSP_ERROR for exactly the request that covers the sector: the victim guest
# (test=blkerr, its vbd starts at disk sector 2048) reads and writes 8-sector requests
# around each bad sector and only the one covering it fails; a 64-sector transfer across it
# fails, the next one works. The bystander guest (test=blk) writes, flushes and reads back
# its own range meanwhile, untouched.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
dir=$LOG_DIR/$TEST_NAME.d
mkdir -p "$dir"
img=$dir/disk.img
rm -f "$img"
truncate -s 16M "$img"
cat >"$dir/blkdebug.conf" <<'CONF'
[inject-error]
event = "read_aio"
errno = "5"
sector = "3048"
once = "off"

[inject-error]
event = "write_aio"
errno = "5"
sector = "5048"
once = "off"
CONF
run_mica --timeout 150 --config tools/configs/blk-diskerr.dts \
    --extra-qemu=-drive --extra-qemu="file=blkdebug:$dir/blkdebug.conf:$img,if=none,id=d0,format=raw" \
    --extra-qemu=-device --extra-qemu=ide-hd,drive=d0,bus=ide.0 "$PV" "$PV" "$PV"
expect_status 0
expect_regex '^\(d0\) pvguest: blkdev: ahci0: read of 8 sectors at 3048: -5 \(tfd 0x[0-9a-f]+\)$'
expect_regex '^\(d0\) pvguest: blkdev: ahci0: write of 8 sectors at 5048: -5 \(tfd 0x[0-9a-f]+\)$'
expect_line '(d1) pvguest: test blkerr: read: 8-sector requests from 968 to 1031 fail exactly at sector 1000 (ok)'
expect_line '(d1) pvguest: test blkerr: read of 64 sectors across it -> -5, the next 64 -> 0 (ok)'
expect_line '(d1) pvguest: test blkerr: write: 8-sector requests from 2968 to 3031 fail exactly at sector 3000 (ok)'
expect_line '(d1) pvguest: test blkerr: write of 64 sectors across it -> -5, the next 64 -> 0 (ok)'
expect_line '(d1) pvguest: test blkerr: passed'
expect_regex '^\(d0\) pvguest: blkback: vbd-d1-0: d1 closed: requests 20: ok 16, errors 4 \(refused 0, bad grants 0, disk 4\);'
expect_line '(d2) pvguest: test blk: passed'
expect_regex '^\(d0\) pvguest: blkback: vbd-d2-0: d2 closed: .*errors 1 \(refused 1, bad grants 0, disk 0\);'
expect_line '(d0) pvguest: test blkback: passed'
expect_no_line 'FAILED'
expect_line 'mica: power off (clean)'
finish
