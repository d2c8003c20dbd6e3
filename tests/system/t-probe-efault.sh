#!/bin/bash
# Fidelity probe: tests/guests/probe_efault.c hands bad pointers (NULL,
# hypervisor, non-canonical, unmapped, straddling, read-only) to every
# hypercall that takes one, as dom0 on Xen 4.17 and on mica; the answers
# (-EFAULT) must agree apart from tests/guests/probe_efault.diff-ok, and both
# runs must end with "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

probe=probe_efault
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"

RUN=xen run_mica --xen --timeout 30 "$elf"
expect_status 0
expect_line 'probe: done'
xen_log=$LOG

RUN=mica run_mica --timeout 30 "$elf"
expect_status 0
expect_line 'probe: done'
mica_log=$LOG

check "$probe: same answers on Xen 4.17 and mica (compare-probe.sh)" \
    tests/system/compare-probe.sh "$probe" "$xen_log" "$mica_log"
finish
