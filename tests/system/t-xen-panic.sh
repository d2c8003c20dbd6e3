#!/bin/bash
# The reference path: Debian's Xen 4.17 on the same QEMU machine, with no
# dom0 kernel, panics; mica-run sees the panic on Xen's console, ends QEMU
# itself and exits 1.
. "$(dirname "$0")/lib.sh"

run_mica --xen --timeout 30
expect_status 1
expect_line '(XEN) Xen version 4.17'
expect_line 'dom0_mem=128M,max:128M'
expect_line 'Panic on CPU 0:'
expect_line 'dom0 kernel not specified'
expect_line 'mica-run: failure: Xen panic: dom0 kernel not specified'
finish
