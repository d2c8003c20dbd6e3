#!/bin/bash
# Fidelity probe: tests/guests/probe_ptwr.c writes its own L1 entries through
# their read-only mappings (the writable page-table assist, VMASST_TYPE_
# writable_pagetables) with MOV, XCHG, CMPXCHG, BTR/BTS and AND/OR, and tries
# stores the assist refuses (foreign frame, own L1 writable, straddling two
# entries, into its L2 and L4), as dom0 on Xen 4.17 and on mica; the answers
# must agree apart from tests/guests/probe_ptwr.diff-ok, and both runs must
# end with "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

probe=probe_ptwr
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"

RUN=xen run_mica --xen --timeout 30 "$elf"
expect_status 0
expect_line 'probe: done'
xen_log=$LOG

RUN=mica run_mica --timeout 30 "$elf"
expect_status 0
expect_line 'probe: done'
expect_line 'probe_ptwr: mov r64: map target read-only: no fault'
mica_log=$LOG

check "$probe: same answers on Xen 4.17 and mica (compare-probe.sh)" \
    tests/system/compare-probe.sh "$probe" "$xen_log" "$mica_log"
finish
