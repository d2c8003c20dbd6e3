#!/bin/bash
# Restart (issue 9; <mica/restart.h>, docs/bootcfg.md "Restart"): tests/guests/ring_restart.c
# from tests/system/ring-restart.dts. d1 (frontend of a vbd wired to dom0) makes 1000 round
# trips on the builder's ring, then asks for a reboot; its on-reboot is "restart". dom0 (the
# backend) sees VIRQ_DOM_EXC, its port reverted to unbound, closes it, unmaps: its mapping
# count (mica_stats_op: maps - unmaps) is back to 0; mica then builds d1 again from its
# configuration with the same references and port, and dom0 reconnects. Three restarts,
# then the fourth reboot destroys d1. The memory comes back: mica's free-frame count when
# each life is released is the same, and one frame short of the count before d1's first
# build: dom0's first grant mapping allocated its maptrack frame, which it keeps.
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/ring_restart.elf
check "$elf exists (make guest)" test -f "$elf"
P=ring_restart

run_mica --timeout 120 --config tests/system/ring-restart.dts "$elf" "$elf"
expect_status 0
expect_line 'mica: config: d1 "guest": guest, kernel module 2, 16384 KiB, 0 PCI device(s), 1 virtual device(s), on poweroff/reboot/crash: destroy/restart/destroy'
for life in 1 2 3 4; do
    expect_line "(d0) $P: d0: life $life: bind_interdomain(dom 1, port 1) = ok"
    expect_line "(d0) $P: d0: life $life: map d1's gref 9 = 0 (okay); mappings held 1"
    expect_line "(d0) $P: d0: life $life: 1000 requests, 1000 in order"
    expect_line "(d0) $P: d0: life $life: VIRQ_DOM_EXC (d1 died): 1"
    expect_line "(d0) $P: d0: life $life: status(our port) = unbound dom 1"
    expect_line "(d0) $P: d0: life $life: unmap = 0 (okay); mappings held 0"
done
check "d1 ran 4 lives of 1000 round trips" \
    test "$(grep -c "(d1) $P: d1: 1000 round trips, 1000 responses in order; asking for a reboot" "$LOG")" = 4
check "d1 was wired 4 times" \
    test "$(grep -c '^mica: wired d1 vbd@0 (frontend; ring refs 9, control ref 8, port 1) to d0 (backend)$' "$LOG")" = 4
for n in 1 2 3; do
    expect_line "mica: d1: restart $n of 3"
done
expect_no_line 'mica: d1: restart 4'
expect_line 'mica: d1 has been restarted 3 times; destroying it instead'
expect_order "(d0) $P: d0: life 1: unmap = 0 (okay); mappings held 0" 'mica: d1: restart 1 of 3'
expect_order 'mica: d1: restart 1 of 3' "(d0) $P: d0: life 2: bind_interdomain"
expect_line "(d0) $P: result ok"
expect_line 'mica: power off (clean)'
expect_no_line 'FAIL'

# The memory comes back.
first=$(sed -nE 's/^mica: d1: ([0-9]+) frames free before it is built$/\1/p' "$LOG" | head -1)
released=$(sed -nE 's/^mica: d1 released: ([0-9]+) frames free$/\1/p' "$LOG" | sort -u)
echo "  free frames: before d1's first build ${first:-?}; when each life was released: ${released//$'\n'/ }"
check "3 releases, all with the same free-frame count" \
    test "$(sed -nE 's/^mica: d1 released: ([0-9]+) frames free$/\1/p' "$LOG" | wc -l)" = 3 -a \
    "$(echo "$released" | wc -l)" = 1
check "released = before the first build - 1 (dom0's maptrack frame)" \
    test -n "$first" -a -n "$released" -a "$((first - 1))" = "${released:-0}"
finish
