#!/bin/bash
# Multiboot modules are listed with index, address range, size and string.
# Module 0 is dom0's kernel: two files that are not PV kernels are listed,
# then refused (mica panics: it cannot build dom0 from module 0).
. "$(dirname "$0")/lib.sh"

dir=$LOG_DIR/$TEST_NAME.d
mkdir -p "$dir"
head -c 5000 /dev/zero | tr '\0' 'A' >"$dir/first.bin"
printf 'second module\n' >"$dir/second,comma.txt"

run_mica "$dir/first.bin arg=1 two" "$dir/second,comma.txt"
expect_regex "^mica: module 0: 0x[0-9a-f]+-0x[0-9a-f]+ \\(5000 bytes\\) \"$dir/first.bin arg=1 two\"\$"
expect_regex "^mica: module 1: 0x[0-9a-f]+-0x[0-9a-f]+ \\(14 bytes\\) \"$dir/second,comma.txt\"\$"
expect_no_line 'mica: module 2:'
expect_status 1
expect_line 'mica: cannot build d0: bad kernel: not an ELF file'
expect_line '*** mica: PANIC: could not build dom0 from module 0'
expect_line 'mica: power off (failure)'
finish
