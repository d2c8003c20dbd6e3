#!/bin/bash
# A page fault in the hypervisor (test-only option debug_fault=pf) produces
# the full exception report and the failure power-off (0x11 -> mica-run 1).
. "$(dirname "$0")/lib.sh"

run_mica --append "console=com1 debug_fault=pf"
expect_status 1
expect_line '*** mica: hypervisor exception 14 (#PF)'
expect_regex '^CR2: [0-9a-f]{16} \(page fault address; page not present, write'
expect_regex '^RIP: +e008:\[<[0-9a-f]{16}>\] debug_fault_trigger\+0x[0-9a-f]+/0x[0-9a-f]+$'
expect_regex '^rax: [0-9a-f]{16} '
expect_line 'Backtrace:'
# Symbolized frames: the faulting function and its caller.
expect_regex '^ +\[<[0-9a-f]{16}>\] debug_fault_trigger\+0x'
expect_regex '^ +\[<[0-9a-f]{16}>\] start_mica\+0x'
expect_order '*** mica: hypervisor exception 14 (#PF)' 'Backtrace:'
expect_line 'mica: power off (failure)'
expect_line 'mica-run: failure power-off'
expect_no_line 'mica: power off (clean)'
finish
