#!/bin/bash
# Fidelity probe: tests/guests/probe_gdt.c (set_gdt and update_descriptor: argument and
# frame checks, every kind of descriptor, a selector loaded from the guest's GDT) runs as
# dom0 on Xen 4.17 and on mica; its lines must agree (no difference is expected), and both
# runs must end with "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

probe=probe_gdt
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"

RUN=xen run_mica --xen --timeout 30 "$elf"
expect_status 0
expect_line 'probe_gdt: set_gdt([frame 0], 512) = 0'
expect_line 'probe: done'
xen_log=$LOG

RUN=mica run_mica --timeout 30 "$elf"
expect_status 0
expect_line 'probe_gdt: set_gdt([frame 0], 512) = 0'
expect_line 'probe: done'
mica_log=$LOG

check "$probe: same answers on Xen 4.17 and mica (compare-probe.sh)" \
    tests/system/compare-probe.sh "$probe" "$xen_log" "$mica_log"
finish
