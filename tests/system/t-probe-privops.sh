#!/bin/bash
# Fidelity probe: tests/guests/probe_privops.c (see its header comment),
# run as dom0 on Xen 4.17 and on mica;
# tests/guests/probe_privops.diff-ok, and both runs must end with "probe: done"
# and a clean power-off.
. "$(dirname "$0")/lib.sh"

compare_probe probe_privops
finish
