#!/bin/bash
# The block path on a RAM disk (issue 10; docs/pvguest.md "Block devices";
# tools/configs/blk-ram.dts): the driver domain (test=blkback) serves three LBA ranges of an
# 8 MiB RAM disk through blkback:
#   d1 writer: test=blk writes a pattern across its 8192 sectors (direct and indirect
#              requests), flushes, reads it back through partial segments and checks every
#              byte; one 2 MiB read of 47 requests (the ring holds 32) is checked too;
#              a read past the end fails;
#   d2 hostile: test=blkhostile sends malformed requests (sector past the end or wrapping,
#              ungranted, out-of-table and revoked grants, nr_segments 12, last_sect 8,
#              first_sect > last_sect, unknown operation, no segments, an indirect page of
#              garbage, 1000 indirect segments, an ungranted indirect page, an indirect
#              flush): each answered BLKIF_RSP_ERROR, a good read after them works; then it
#              moves req_prod 1000 past the ring: blkback stops serving that vbd only;
#   d3 reader: a read-only range: writes refused, reads work.
# The writer and the reader pass while the hostile guest attacks; every frontend closes and
# the driver domain powers the machine off cleanly.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
run_mica --timeout 120 --config tools/configs/blk-ram.dts "$PV" "$PV" "$PV" "$PV"
expect_status 0
expect_line '(d0) pvguest: blkback: vbd-d1-0: d1, ram0 sectors 0+8192, port 2, flush yes, indirect 256'
expect_line '(d0) pvguest: blkback: vbd-d3-0: d3, ram0 sectors 12288+4096 read-only'
expect_line '(d1) pvguest: blkfront: vbd 0: backend d0, 8192 sectors, flush yes, indirect 256'
expect_line '(d3) pvguest: blkfront: vbd 0: backend d0, 4096 sectors read-only'
# The writer.
expect_regex '^\(d1\) pvguest: test blk: wrote 8192 sectors in 16 transfers \(ok\)'
expect_line '(d1) pvguest: test blk: flush -> 0 (ok)'
expect_regex '^\(d1\) pvguest: test blk: read back 8192 sectors in 28 transfers, 0 bad sectors \(ok\)'
# One transfer of 47 requests: more than the ring's 32, all in flight that the ring holds.
expect_line '(d1) pvguest: test blk: one read of 4096 sectors: 47 requests, -> 0, 0 bad sectors (ok)'
expect_regex '^\(d1\) pvguest: test blk: requests [0-9]+, errors 1, most in flight 32,'
expect_line '(d1) pvguest: test blk: read past the end -> -5 (ok)'
expect_line '(d1) pvguest: test blk: passed'
# The hostile guest: every malformed request refused, the backend still serves it after.
for what in 'sector past the end' 'sector range wrapping 2^64' 'ungranted reference' \
    'reference beyond the grant table' 'revoked grant' 'nr_segments 12' \
    'last_sect 8 (past the page)' 'first_sect 5 > last_sect 2' 'unknown operation' \
    'read without segments' 'indirect page full of garbage' 'indirect nr_segments 1000' \
    'indirect page not granted' 'indirect flush'; do
    expect_line "(d2) pvguest: test blkhostile: $what -> -1 (ok)"
done
expect_line '(d2) pvguest: test blkhostile: good read after them -> 0 (ok)'
expect_line '(d0) pvguest: blkback: vbd-d2-0: ring protocol error -75 from d2: no longer served'
expect_line '(d2) pvguest: test blkhostile: passed'
# The read-only guest.
expect_line '(d3) pvguest: test blk: write to the read-only vbd -> -5 (ok)'
expect_line '(d3) pvguest: test blk: read of the read-only vbd -> 0 (ok)'
expect_line '(d3) pvguest: test blk: passed'
# The backend's accounts: the writer's 20480 sectors moved (8192 written, 12288 read), all hostile requests refused or
# their grants failed, the ring error kept to d2.
expect_regex '^\(d0\) pvguest: blkback: vbd-d1-0: d1 closed: requests [0-9]+: ok [0-9]+, errors 1 \(refused 1, bad grants 0, disk 0\); .*flushes 1, indirect [1-9][0-9]*, sectors 20480, .*ring error 0$'
expect_regex '^\(d0\) pvguest: blkback: vbd-d2-0: d2 closed: requests 15: ok 1, errors 14 \(refused 10, bad grants 4, disk 0\); .*ring error -75$'
expect_regex '^\(d0\) pvguest: blkback: vbd-d3-0: d3 closed: .*ring error 0$'
expect_line '(d0) pvguest: test blkback: passed'
expect_no_line 'FAILED'
expect_order '(d1) pvguest: test blk: passed' 'mica: dom0 powered off'
expect_line 'mica: power off (clean)'
finish
