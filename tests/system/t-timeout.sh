#!/bin/bash
# A hypervisor that never powers off (test-only option debug_fault=hang) is
# killed at mica-run's timeout: status 124. The boot line proves it ran.
. "$(dirname "$0")/lib.sh"

run_mica --append "console=com1 debug_fault=hang" --timeout 2
expect_status 124
expect_line 'mica: hypervisor booting'
expect_line 'mica: debug_fault=hang'
expect_line 'mica-run: timeout: no power-off within 2 s'
expect_no_line 'mica: power off'
finish
