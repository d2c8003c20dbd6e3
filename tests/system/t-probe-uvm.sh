#!/bin/bash
# Fidelity probe: tests/guests/probe_uvm.c calls update_va_mapping with
# foreign, hypervisor and beyond-RAM frames, its own page tables writable and
# read-only, restricted PTE bits, bad addresses and flush flags, then good
# updates, as dom0 on Xen 4.17 and on mica; the answers must agree apart from
# tests/guests/probe_uvm.diff-ok, and both runs must end with "probe: done"
# and a clean power-off.
. "$(dirname "$0")/lib.sh"

compare_probe probe_uvm
finish
