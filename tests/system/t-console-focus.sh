#!/bin/bash
# Serial input to one domain at a time (issue 9, <mica/console_input.h>): two domains run
# tests/guests/console_read.elf (each binds VIRQ_CONSOLE, reads the console until a '.'), from
# tests/system/console-focus.dts. tools/mica-run --console-domain 1 gives d1 the input first
# (console_to=1); Ctrl-A 0 and Ctrl-A 1 move it; d1's power-off gives it back to d0; Ctrl-A 9
# names no domain. Each domain must read exactly what was typed while it held the input, and
# see VIRQ_CONSOLE.
. "$(dirname "$0")/lib.sh"

probe=$BUILD/tests/guests/console_read.elf
check "$probe exists (make guest)" test -f "$probe"

run_mica --config tests/system/console-focus.dts --console-domain 1 \
    --input-after 'waiting for console input' \
    --input 'a' --input '\x010' --input 'x' --input '\x011' --input 'b.' --input '\x019' \
    --input 'y.' "$probe" "$probe"
expect_status 0
expect_line 'mica: command line: console=com1 dom0_mem=128M console_to=1'
expect_line 'mica: serial input to d1 (Ctrl-A then a digit switches)'
expect_line "mica: debug key '0': serial input to d0"
expect_line "mica: debug key '1': serial input to d1"
expect_line '(d1) console_read: console input "ab."'
expect_line '(d1) console_read: VIRQ_CONSOLE events seen'
expect_line 'mica: d1 is gone; serial input to d0'
expect_line 'mica: no domain d9; serial input stays with d0'
expect_line '(d0) console_read: console input "xy."'
expect_line '(d0) console_read: VIRQ_CONSOLE events seen'
expect_order 'mica: serial input to d1 (Ctrl-A' "mica: debug key '0'" "mica: debug key '1'" \
    '(d1) console_read: console input' 'mica: d1 is gone' '(d0) console_read: console input'
expect_no_line 'CONSOLEIO_read = '
expect_line 'mica: power off (clean)'
finish
