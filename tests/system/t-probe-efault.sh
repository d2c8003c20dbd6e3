#!/bin/bash
# Fidelity probe: tests/guests/probe_efault.c hands bad pointers (NULL,
# hypervisor, non-canonical, unmapped, straddling, read-only) to every
# hypercall that takes one, as dom0 on Xen 4.17 and on mica; the answers
# (-EFAULT) must agree apart from tests/guests/probe_efault.diff-ok, and both
# runs must end with "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

compare_probe probe_efault
finish
