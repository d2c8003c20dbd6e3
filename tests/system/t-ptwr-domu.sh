#!/bin/bash
# The writable page-table assist for an unprivileged domain (mica only: Xen 4.17 here runs
# a lone dom0). tests/guests/probe_ptwr.c runs as dom0 ("wait": it yields until d1 is done)
# and, with domu_copies=1, as d1. d1's first store through its read-only L1, before it
# enables VMASST_TYPE_writable_pagetables, must be a #PF (only the hardware domain has the
# emulation without the assist, as on Xen); after vm_assist(enable) every store form is
# emulated; everything else d1 prints must equal what dom0 prints.
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/probe_ptwr.elf
check "$elf exists (make guest)" test -f "$elf"

run_mica --timeout 60 --append "console=com1 domu_copies=1" "$elf wait"
expect_status 0
expect_line '(d0) probe_ptwr: assist off: mov r64: no fault'
expect_line '(d1) probe_ptwr: assist off: mov r64: #PF error code 0x3 (U/S masked), cr2 at the store: yes, rip at the store: yes'
expect_line '(d1) probe_ptwr: vm_assist(enable, writable_pagetables) = 0'
expect_line '(d1) probe_ptwr: mov r64: map target read-only: no fault'
expect_line '(d1) probe_ptwr: assist off again: mov r64: #PF error code 0x3 (U/S masked), cr2 at the store: yes, rip at the store: yes'
expect_line '(d1) probe: done'
expect_line 'mica: d1 shut down: poweroff'
expect_order '(d1) probe: done' '(d0) probe: done'
expect_line 'mica: power off (clean)'
expect_no_line 'frames still referenced'
expect_no_line 'crashed'

# Apart from the two stores made without the assist (a line and the entry after it, each),
# d1 prints what dom0 prints.
d0=$(sed -n 's/^(d0) \(probe.*\)/\1/p' "$LOG" | sed '/assist off/,+1d')
d1=$(sed -n 's/^(d1) \(probe.*\)/\1/p' "$LOG" | sed '/assist off/,+1d')
check "d1 and dom0 agree apart from the stores without the assist" test "$d0" = "$d1"
check "both printed the whole probe ($(echo "$d0" | wc -l) lines)" test "$(echo "$d0" | wc -l)" -gt 60
finish
