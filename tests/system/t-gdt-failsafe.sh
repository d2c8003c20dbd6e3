#!/bin/bash
# A bad data selector left in a saved context reaches the failsafe callback (issue 4, mica
# only: it needs a second domain to switch to). tests/guests/probe_gdt.c with "failsafe":
# dom0 loads selector 0x000b of its own GDT into %ds, makes that descriptor not present with
# update_descriptor and yields; d1 (domu_copies=1) has a present descriptor at the same
# selector of its own GDT, loaded in its %ds, yields 20 times and powers off. When mica
# switches back to dom0 the saved %ds no longer loads: dom0 must get its failsafe callback
# with ds 0x000b in the frame and %ds null; d1's %ds must survive every switch (each vCPU's
# GDT is switched with it); d1's teardown must release its GDT frames.
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/probe_gdt.elf
check "$elf exists (make guest)" test -f "$elf"

run_mica --timeout 60 --append "console=com1 domu_copies=1" "$elf failsafe"
expect_status 0
expect_line '(d0) probe_gdt: failsafe callback: ds 0x000b es 0x0000 fs 0x0000 gs 0x0000, %ds now 0x0000'
expect_line '(d1) probe_gdt: domU: set_gdt([frame 0], 512) = 0'
expect_line '(d1) probe_gdt: domU: %ds = 0x000b after 20 yields'
expect_line 'mica: d1 shut down: poweroff'
# The callback comes at the first switch back to dom0: after its own yield, or earlier if
# the timer preempted it between update_descriptor and its "yielding" line (seen under host
# load), in which case that line never prints (the callback ends the probe).
if grep -qF '(d0) probe_gdt: %ds = 0x000b, yielding' "$LOG"; then
    expect_order '(d0) probe_gdt: %ds = 0x000b, yielding' '(d0) probe_gdt: failsafe callback'
else
    expect_order '(d0) probe_gdt: update_descriptor(data DPL 3 not present at [1]' \
        '(d0) probe_gdt: failsafe callback'
fi
expect_line '(d0) probe: done'
expect_line 'mica: power off (clean)'
expect_no_line 'failsafe callback not reached'
expect_no_line 'frames still referenced'
expect_no_line 'crashed'

# On Xen 4.17 as a lone dom0 nothing else runs, so a yield never reloads %ds: the probe
# says so, which shows the callback above comes from the domain switch.
RUN=xen run_mica --xen --timeout 30 "$elf failsafe"
expect_status 0
expect_line 'probe_gdt: failsafe callback not reached after 200 yields, %ds = 0x000b'
expect_line 'probe: done'
finish
