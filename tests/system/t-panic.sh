#!/bin/bash
# panic() (test-only option debug_fault=panic) reports, backtraces and ends
# with the failure power-off.
. "$(dirname "$0")/lib.sh"

run_mica --append "console=com1 debug_fault=panic"
expect_status 1
expect_line '*** mica: PANIC:'
expect_line '*** mica: PANIC: debug_fault=panic requested on the command line'
expect_regex '^RIP: +e008:\[<[0-9a-f]{16}>\] panic\+0x'
expect_line 'Backtrace:'
# Every frame symbolized, down to the caller of panic() and start_mica.
expect_regex '^ +\[<[0-9a-f]{16}>\] debug_fault_trigger\+0x'
expect_regex '^ +\[<[0-9a-f]{16}>\] start_mica\+0x'
expect_no_line '] ?'
expect_line 'mica: power off (failure)'
expect_line 'mica-run: failure power-off'
expect_no_line 'mica: power off (clean)'
finish
