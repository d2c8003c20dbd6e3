#!/bin/bash
# Hostile and unsupported ext2 images (issue 12, docs/running.md): made by editing real
# mke2fs output. The guest must refuse them with a message that says why, never crash or
# hang, and go on running the rest of its script (tools/mica-run --cmd). The detailed cases
# (every feature, every out-of-range number) are host unit tests: tests/unit/test_ext2.c.
. "$(dirname "$0")/lib.sh"

dir=$LOG_DIR/$TEST_NAME.d
rm -rf "$dir"
mkdir -p "$dir/tree/sub"
echo "readable" >"$dir/tree/ok.txt"
for i in $(seq 1 20); do echo "$i" >"$dir/tree/sub/file-$i"; done

# 1. Bad magic: the superblock's s_magic (byte 1024 + 56) zeroed.
img=$dir/badmagic.img
mke2fs -q -F -t ext2 -b 1024 -d "$dir/tree" "$img" 4M >/dev/null
printf '\0\0' | dd of="$img" bs=1 seek=$((1024 + 56)) conv=notrunc status=none
RUN=badmagic run_mica --disk "$img" --cmd 'ls /; uptime' --timeout 120
expect_status 1
expect_regex '^\(d1\) pvguest: mount: /: .*magic'
expect_regex '^\(d1\) ls: .*'
expect_line '(d1) pvguest: script: 1 command(s) failed'
expect_line 'mica: power off (failure)'

# 2. An incompatible feature the reader does not handle: extents (an ext4 image without a
#    journal, so that extents is what is refused).
img=$dir/extents.img
mke2fs -q -F -t ext4 -O ^has_journal,^64bit,^flex_bg,^metadata_csum -d "$dir/tree" "$img" 4M >/dev/null
RUN=extents run_mica --disk "$img" --cmd 'cat /ok.txt' --timeout 120
expect_status 1
expect_regex '^\(d1\) pvguest: mount: /: .*extents'
expect_line '(d1) pvguest: script: 1 command(s) failed'

# 3. A directory entry overrunning its block: /sub's first entry gets rec_len 0xfff0. Listing
#    /sub fails with an error; /ok.txt in the root still reads; the guest stays up.
img=$dir/dirent.img
mke2fs -q -F -t ext2 -b 1024 -d "$dir/tree" "$img" 4M >/dev/null
blk=$(debugfs -R 'blocks /sub' "$img" 2>/dev/null | awk '{print $1}')
check "debugfs found /sub's first block ($blk)" test -n "$blk"
printf '\xf0\xff' | dd of="$img" bs=1 seek=$((blk * 1024 + 4)) conv=notrunc status=none
RUN=dirent run_mica --disk "$img" --cmd 'ls /sub; cat /ok.txt; uptime' --timeout 120
expect_status 1
expect_regex '^\(d1\) ls: .*sub.*'
expect_line '(d1) readable'
expect_line '(d1) pvguest: script: 1 command(s) failed'
expect_no_line 'pvguest:   rax' # a guest fault's register dump
finish
