#!/bin/bash
# The usable guest reads real files (issue 12, docs/running.md): an ext2 image made by
# `mke2fs -d` from a tree of random files (nested directories, an empty file, a file that
# needs double-indirect blocks at 1 KiB blocks, names with spaces, a symlink), attached to
# the AHCI controller; the demo's guest mounts it through blkfront -> blkback -> AHCI and runs
# `sha256sum` over every file (tools/mica-run --cmd). Each line must equal the host's
# sha256sum's, with 1 KiB and with 4 KiB blocks; the run exits 0 (every command succeeded).
. "$(dirname "$0")/lib.sh"

dir=$LOG_DIR/$TEST_NAME.d
rm -rf "$dir"
mkdir -p "$dir/tree/a/b/c" "$dir/tree/with space" "$dir/tree/empty-dir"
tree=$dir/tree
head -c 1 /dev/urandom >"$tree/one"
: >"$tree/empty"
head -c 4095 /dev/urandom >"$tree/a/almost-4k"
head -c 12288 /dev/urandom >"$tree/a/b/direct-12k"
head -c 70000 /dev/urandom >"$tree/a/b/c/indirect"
# 12 direct + 256 single-indirect blocks of 1 KiB = 268 KiB: 600 KiB needs double-indirect.
head -c 614400 /dev/urandom >"$tree/a/double indirect.bin"
head -c 3000 /dev/urandom >"$tree/with space/file name with spaces"
for i in $(seq 1 40); do head -c $((i * 37)) /dev/urandom >"$tree/a/b/many-$i"; done
ln -s a/b/c/indirect "$tree/link-to-indirect"

# The command: every regular file, quoted for the guest's shell ('...' keeps the spaces).
mapfile -t files < <(cd "$tree" && find . -type f | sed 's|^\.||' | LC_ALL=C sort)
cmd="sha256sum"
for f in "${files[@]}"; do cmd+=" '$f'"; done
(cd "$tree" && for f in "${files[@]}"; do sha256sum ".$f"; done) | sed 's|  \./|  /|' \
    >"$dir/expected"
check "${#files[@]} files to hash" test "${#files[@]}" -ge 45

for bs in 1024 4096; do
    img=$dir/ext2-$bs.img
    mke2fs -q -F -t ext2 -b "$bs" -L "t$bs" -d "$tree" "$img" 8M >/dev/null
    RUN=$bs run_mica --disk "$img" --cmd "$cmd; ls -l /" --timeout 240
    expect_status 0
    expect_regex "^\(d1\) pvguest: mounted ext2 \(revision 1, $bs-byte blocks"
    expect_line '(d1) pvguest: script: all commands succeeded'
    expect_regex '^\(d1\) l.* link-to-indirect -> a/b/c/indirect$'
    sed -n 's/^(d1) \([0-9a-f]\{64\}  \/.*\)$/\1/p' "$LOG" >"$dir/got-$bs"
    check "$bs-byte blocks: every sha256sum line equals the host's ($(wc -l <"$dir/expected") files)" \
        diff -u "$dir/expected" "$dir/got-$bs"
done
finish
