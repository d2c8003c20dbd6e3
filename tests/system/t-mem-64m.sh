#!/bin/bash
# A 64 MiB machine boots to the clean power-off and reports about 64 MiB.
# (QEMU's firmware keeps some below 1 MiB and at the top: 55..64 is "about".)
. "$(dirname "$0")/lib.sh"

run_mica --memory 64 --dom0-mem 32M
expect_status 0
expect_line 'mica: hypervisor booting'
expect_number_between '^mica: memory: ([0-9]+) MiB usable' 55 64
expect_line 'mica: power off (clean)'
finish
