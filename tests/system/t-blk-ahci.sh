#!/bin/bash
# The block path on the AHCI disk (issue 10; tools/configs/blk-ahci.dts): the driver domain
# runs the AHCI driver on a 16 MiB image at port 0 and serves two 4 MiB LBA ranges of it
# through blkback; two guests write a pattern across their ranges at the same time
# (blkfront, direct and indirect requests, DMA straight into their granted pages), flush,
# read it back and check it. After the power-off the host reads the image itself: each range
# holds exactly its guest's pattern (sector numbers relative to the range, its seed), and
# the rest of the disk is untouched (zero).
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
dir=$LOG_DIR/$TEST_NAME.d
mkdir -p "$dir"
img=$dir/disk.img
rm -f "$img"
truncate -s 16M "$img"
run_mica --timeout 150 --disk "$img" --config tools/configs/blk-ahci.dts "$PV" "$PV" "$PV"
expect_status 0
expect_regex '^\(d0\) pvguest: blkdev: ahci0: "QEMU HARDDISK", 32768 sectors, flush yes'
expect_line '(d0) pvguest: blkback: vbd-d1-0: d1, ahci0 sectors 0+8192'
expect_line '(d0) pvguest: blkback: vbd-d2-0: d2, ahci0 sectors 8192+8192'
for d in d1 d2; do
    expect_regex "^\\($d\\) pvguest: test blk: wrote 8192 sectors in 16 transfers \\(ok\\)"
    expect_line "($d) pvguest: test blk: flush -> 0 (ok)"
    expect_regex "^\\($d\\) pvguest: test blk: read back 8192 sectors in 28 transfers, 0 bad sectors \\(ok\\)"
    expect_line "($d) pvguest: test blk: one read of 4096 sectors: 47 requests, -> 0, 0 bad sectors (ok)"
    expect_line "($d) pvguest: test blk: read past the end -> -5 (ok)"
    expect_line "($d) pvguest: test blk: passed"
done
expect_regex '^\(d0\) pvguest: blkback: vbd-d1-0: d1 closed: .*errors 1 \(refused 1, bad grants 0, disk 0\); .*flushes 1, .*sectors 20480, .*ring error 0$'
expect_regex '^\(d0\) pvguest: blkback: vbd-d2-0: d2 closed: .*errors 1 \(refused 1, bad grants 0, disk 0\); .*flushes 1, .*sectors 20480, .*ring error 0$'
expect_line '(d0) pvguest: test blkback: passed'
expect_no_line 'FAILED'
expect_line 'mica: power off (clean)'

# The image, read by the host: pattern() as in pvguest/frontends/blkfront_test.c.
check_image() {
    python3 - "$img" <<'PY'
import struct, sys
M = (1 << 64) - 1
def pattern(seed, s, i):
    x = (((seed + 1) * 0x9e3779b97f4a7c15) & M) ^ (s << 8) ^ i
    x ^= x >> 29
    return (x * 0xbf58476d1ce4e5b9) & M
data = open(sys.argv[1], "rb").read()
bad = 0
for start, n, seed in ((0, 8192, 7), (8192, 8192, 9)):
    for s in range(n):
        words = struct.unpack_from("<64Q", data, (start + s) * 512)
        if any(words[i] != pattern(seed, s, i) for i in range(64)):
            if not bad:
                print("  image: sector %d differs" % (start + s))
            bad += 1
rest = data[16384 * 512:]
if rest.count(0) != len(rest):
    print("  image: data beyond sector 16384")
    bad += 1
print("  image: %d bad sectors" % bad)
sys.exit(1 if bad else 0)
PY
}
check "the host finds each guest's pattern in its range of the image, nothing beyond" check_image
finish
