#!/bin/bash
# The block-path benchmark runs (issue 10, "Performance"; docs/benchmarks.md "Block path"):
# tools/configs/blk-bench.dts on a fresh 256 MiB image: the driver domain's native pass and
# the guest's pass through blkfront -> blkback each print five well-formed result lines (128
# and 64 KiB requests each way, random reads),
# no I/O fails, and the guest's vbd closes cleanly. Nothing here depends on speed.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
dir=$LOG_DIR/$TEST_NAME.d
mkdir -p "$dir"
img=$dir/disk.img
rm -f "$img"
truncate -s 256M "$img"
run_mica --timeout 150 --disk "$img" --config tools/configs/blk-bench.dts "$PV" "$PV"
expect_status 0
num='[0-9]+\.[0-9]'
for side in d0:native d1:guest; do
    d=${side%%:*} s=${side#*:}
    for b in seq_write seq_read seq_write_64k seq_read_64k; do
        expect_regex "^\\($d\\) pvguest: bench: name=blk_${b}_$s unit=MB/s iters=16 batches=8 median=$num min=$num max=$num\$"
    done
    expect_regex "^\\($d\\) pvguest: bench: name=blk_rand_read_4k_$s unit=IOPS iters=2048 batches=8 median=$num min=$num max=$num\$"
done
expect_regex '^\(d0\) pvguest: blkback: vbd-d1-0: d1 closed: requests 22528: ok 22528, errors 0 .*ring error 0$'
expect_line '(d0) pvguest: test blkback: passed'
expect_no_line 'bench: error'
expect_line 'mica: power off (clean)'
rm -f "$img"
finish
