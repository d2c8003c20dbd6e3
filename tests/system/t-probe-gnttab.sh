#!/bin/bash
# Fidelity probe: tests/guests/probe_gnttab.c grants its own frames to itself
# (domid 0) and exercises every grant-table v1 operation and misuse
# (setup_table, query_size, set/get_version, map_grant_ref with device_map,
# host_map, readonly, application_map and contains_pte, unmap_grant_ref,
# copy, bad references, domains, addresses, handles and pointers, the pin
# counter's limit) as dom0 on Xen 4.17 and on mica; the answers must agree
# apart from tests/guests/probe_gnttab.diff-ok, and both runs must end with
# "probe: done" and a clean power-off. Xen runs with gnttab=max-ver:1, the
# grant-table version mica offers, so set_version(2) gives -ENOSYS on both.
. "$(dirname "$0")/lib.sh"

probe=probe_gnttab
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"

RUN=xen run_mica --xen --timeout 60 --append "gnttab=max-ver:1" "$elf"
expect_status 0
expect_line 'probe: done'
xen_log=$LOG

RUN=mica run_mica --timeout 60 "$elf"
expect_status 0
expect_line 'probe: done'
expect_line 'probe_gnttab: map host_map rw A at host = 0, status 0'
mica_log=$LOG

check "$probe: same answers on Xen 4.17 and mica (compare-probe.sh)" \
    tests/system/compare-probe.sh "$probe" "$xen_log" "$mica_log"
finish
