#!/bin/bash
# Hostile-guest suite (issue 5): tests/guests/probe_mmu_hostile.c attacks the typed-frame
# rules one way per line (own page tables writable, writable pages made into tables,
# frames it does not own, the hypervisor's L4 slots, superpages and reserved bits, linear
# entries, unpinning, bad CR3s, giving back a page table, mmu_update batch abuse, bad
# update_va_mapping addresses), as dom0 on Xen 4.17 and on mica; the answers must agree
# apart from tests/guests/probe_mmu_hostile.diff-ok, and both runs must end with
# "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

probe=probe_mmu_hostile
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"

RUN=xen run_mica --xen --timeout 60 "$elf"
expect_status 0
expect_line 'probe: done'
expect_line "$probe: after all attacks: scratch writable: yes; data intact: yes"
xen_log=$LOG

RUN=mica run_mica --timeout 60 "$elf"
expect_status 0
expect_line 'probe: done'
expect_line "$probe: after all attacks: scratch writable: yes; data intact: yes"
expect_line "$probe:   the table still works: yes"
expect_no_line 'frames still referenced'
mica_log=$LOG

check "$probe: same answers on Xen 4.17 and mica (compare-probe.sh)" \
    tests/system/compare-probe.sh "$probe" "$xen_log" "$mica_log"
finish
