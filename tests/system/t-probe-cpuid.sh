#!/bin/bash
# Fidelity probe: tests/guests/probe_cpuid.c reads the hypervisor leaves
# (0x40000000..) and the basic leaves through Xen's forced-emulation prefix,
# and plain cpuid, as dom0 on Xen 4.17 and on mica; the answers must agree
# apart from tests/guests/probe_cpuid.diff-ok, and both runs must end with
# "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

compare_probe probe_cpuid
finish
