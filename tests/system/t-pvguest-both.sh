#!/bin/bash
# The same guest on both hypervisors: mica's PV guest kernel ($BUILD/pvguest.elf)
# runs as dom0 on mica and on Xen 4.17 (same QEMU machine, same CPU model,
# dom0_mem=128M on both). It must see the same memory (page counts compare),
# and each shutdown reason must give the same mica-run status on both:
# poweroff -> 0, crash -> 1, reboot -> 1. On Xen this also tests mica-run's
# watcher: it reads Xen's outcome line and ends QEMU itself.
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"

for hv in mica xen; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)

    RUN=$hv-poweroff run_mica "${opt[@]}" --timeout 30 "$guest shutdown=poweroff"
    expect_status 0
    expect_line 'pvguest: booted on Xen 4.17'
    expect_line 'dom0)'
    expect_line 'pvguest: memory: 32768 pages (128 MiB)'
    expect_line 'pvguest: reservation: current 32768 pages, maximum 32768 pages'
    expect_regex 'pvguest: m2p at 0x[0-9a-f]+: .* \(ok\)$'
    expect_line 'pvguest: newlib: "3.142 -1234567890123 ok", malloc ok'
    expect_line 'pvguest: shutting down (poweroff)'
    expect_line 'mica-run: clean power-off'
    if [ "$hv" = xen ]; then
        expect_line '(XEN) Hardware Dom0 halted: halting machine'
        expect_line 'mica-run: clean power-off (Xen: dom0 halted)'
    else
        expect_line 'mica: power off (clean)'
    fi

    RUN=$hv-crash run_mica "${opt[@]}" --timeout 30 "$guest shutdown=crash"
    expect_status 1
    expect_line 'pvguest: shutting down (crash)'
    if [ "$hv" = xen ]; then
        expect_line 'mica-run: failure: Xen reports dom0 crashed'
    else
        expect_line 'mica: power off (failure)'
    fi

    RUN=$hv-reboot run_mica "${opt[@]}" --timeout 30 "$guest shutdown=reboot"
    expect_status 1
    expect_line 'pvguest: shutting down (reboot)'
    if [ "$hv" = xen ]; then
        expect_line 'mica-run: failure: dom0 asked Xen for a reboot'
    fi
done
finish
