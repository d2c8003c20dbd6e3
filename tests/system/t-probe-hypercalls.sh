#!/bin/bash
# Fidelity probe: tests/guests/probe_hypercalls.c runs as dom0 on Xen 4.17 and
# on mica (same QEMU machine and CPU); its lines must agree apart from the
# differences listed in tests/guests/probe_hypercalls.diff-ok, and both runs
# must end with "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

compare_probe probe_hypercalls
finish
