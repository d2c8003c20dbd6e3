#!/bin/bash
# An unknown hypervisor option is reported, not ignored, and boot goes on.
. "$(dirname "$0")/lib.sh"

run_mica --append "console=com1 frobnicate=1"
expect_status 0
expect_line "mica: unknown command-line option 'frobnicate'"
expect_line 'mica: power off (clean)'
finish
