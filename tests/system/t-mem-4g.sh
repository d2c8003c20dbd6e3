#!/bin/bash
# A 4 GiB machine (RAM split around q35's PCI hole, part of it above 4 GiB)
# boots to the clean power-off, reports about 4 GiB, and is not much slower
# than a small one: the frame table must not be touched frame by frame.
. "$(dirname "$0")/lib.sh"

run_mica --memory 4096 --timeout 30
expect_status 0
expect_line 'mica: hypervisor booting'
expect_number_between '^mica: memory: ([0-9]+) MiB usable' 3900 4096
expect_line 'mica: power off (clean)'
expect_faster_than 3
finish
