#!/bin/bash
# Fidelity probe: tests/guests/probe_evtchn.c runs every EVTCHNOP and its misuses (loopback
# channels within dom0, masking and unmasking, VIRQs, IPIs, reset, port exhaustion) as dom0
# on Xen 4.17 and on mica; the answers must agree apart from tests/guests/probe_evtchn.diff-ok,
# and both runs must end with "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

probe=probe_evtchn
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"

RUN=xen run_mica --xen --timeout 60 "$elf"
expect_status 0
expect_line 'probe: done'
xen_log=$LOG

RUN=mica run_mica --timeout 60 "$elf"
expect_status 0
expect_line 'probe: done'
mica_log=$LOG

check "$probe: same answers on Xen 4.17 and mica (compare-probe.sh)" \
    tests/system/compare-probe.sh "$probe" "$xen_log" "$mica_log"
finish
