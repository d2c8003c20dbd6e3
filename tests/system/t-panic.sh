#!/bin/bash
# panic() (test-only option debug_fault=panic) reports, backtraces and ends
# with the failure power-off.
. "$(dirname "$0")/lib.sh"

run_mica --append "console=com1 debug_fault=panic"
expect_status 1
expect_line '*** mica: PANIC:'
expect_line 'Backtrace:'
expect_line 'mica: power off (failure)'
expect_line 'mica-run: failure power-off'
expect_no_line 'mica: power off (clean)'
finish
