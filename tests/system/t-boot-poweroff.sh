#!/bin/bash
# The bare hypervisor boots, reports its memory, finds no dom0 kernel and
# powers off cleanly (isa-debug-exit 0x10 -> mica-run 0).
. "$(dirname "$0")/lib.sh"

run_mica
expect_status 0
expect_line 'mica: hypervisor booting'
expect_regex '^mica: memory: [0-9]+ MiB usable'
expect_line 'mica: no dom0 kernel module'
expect_line 'mica: power off (clean)'
expect_faster_than 3
expect_order 'mica: hypervisor booting' 'mica: power off (clean)'
expect_line 'mica-run: clean power-off'
expect_no_line '*** mica:'
expect_no_line 'unknown command-line option'
finish
