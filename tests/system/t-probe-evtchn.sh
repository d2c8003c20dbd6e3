#!/bin/bash
# Fidelity probe: tests/guests/probe_evtchn.c runs every EVTCHNOP and its misuses (loopback
# channels within dom0, masking and unmasking, VIRQs, IPIs, reset, port exhaustion) as dom0
# on Xen 4.17 and on mica; the answers must agree apart from tests/guests/probe_evtchn.diff-ok,
# and both runs must end with "probe: done" and a clean power-off.
. "$(dirname "$0")/lib.sh"

compare_probe probe_evtchn
finish
