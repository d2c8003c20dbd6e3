#!/bin/bash
# A page fault in the hypervisor (test-only option debug_fault=pf) produces
# the full exception report and the failure power-off (0x11 -> mica-run 1).
. "$(dirname "$0")/lib.sh"

run_mica --append "console=com1 debug_fault=pf"
expect_status 1
expect_line '*** mica: hypervisor exception 14 (#PF)'
expect_regex 'CR2: ?[0-9a-f]+'
expect_regex 'RIP'
expect_line 'Backtrace:'
expect_regex 'debug_fault'
expect_order '*** mica: hypervisor exception 14 (#PF)' 'Backtrace:'
expect_line 'mica: power off (failure)'
expect_line 'mica-run: failure power-off'
expect_no_line 'mica: power off (clean)'
finish
