#!/bin/bash
# The reference path with a guest: mica's PV guest kernel ($BUILD/pvguest.elf)
# runs as dom0 on Xen 4.17. Its shutdown reason maps to mica-run's statuses:
# poweroff -> 0 (Xen's "halted" line; QEMU ended by mica-run), crash -> 1,
# reboot -> 1.
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"

RUN=poweroff run_mica --xen --timeout 30 "$guest shutdown=poweroff"
expect_status 0
expect_line 'pvguest: shutting down (poweroff)'
expect_line '(XEN) Hardware Dom0 halted: halting machine'
expect_line 'mica-run: clean power-off (Xen: dom0 halted)'

RUN=crash run_mica --xen --timeout 30 "$guest shutdown=crash"
expect_status 1
expect_line 'pvguest: shutting down (crash)'
expect_line 'mica-run: failure: Xen reports dom0 crashed'

RUN=reboot run_mica --xen --timeout 30 "$guest shutdown=reboot"
expect_status 1
expect_line 'pvguest: shutting down (reboot)'
expect_line 'mica-run: failure: dom0 asked Xen for a reboot'
finish
