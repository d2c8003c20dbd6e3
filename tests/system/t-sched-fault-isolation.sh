#!/bin/bash
# A fault that cannot be delivered crashes only its domain (issue 4, mica only: two domains).
# tests/guests/sched_fault_isolation.c runs as dom0 and, with domu_copies=1, as d1: d1 loads
# from an unmapped address after a few ticks, dom0 keeps printing ticks and powers off.
#   nohandler  no trap table: "mica: d1 crashed:" names vector 14 and the faulting RIP
#   badstack   a #PF handler, but the stack is unmapped: the bounce frame cannot be written
#   rostack    the same with the stack in the domain's read-only L4 page
#   hvstack    the same with the stack inside the hypervisor's reserved range
# In every case the crash message names the vector and the RIP (issue 4: "the console says
# which domain, which vector, at which RIP"), d1 is torn down, dom0 prints after the crash
# and the run ends with dom0's clean power-off.
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/sched_fault_isolation.elf
check "$elf exists (make guest)" test -f "$elf"

for mode in nohandler badstack rostack hvstack; do
    echo " $mode:"
    RUN=$mode run_mica --timeout 30 --append "console=com1 domu_copies=1" "$elf fault=$mode"
    expect_status 0
    expect_line "(d1) fault-iso: domU tick 5"
    expect_regex "^\(d1\) fault-iso: domU faulting: load from 0x10000000 at rip 0x[0-9a-f]+.* \($mode\)$"
    rip=$(sed -nE 's/^\(d1\) fault-iso: domU faulting: .* at rip (0x[0-9a-f]+).*/\1/p' "$LOG" | head -n1)
    crash=$(grep -m1 '^mica: d1 crashed: ' "$LOG")
    check "d1's crash is reported" test -n "$crash"
    check "the crash line names vector 14 (#PF): $crash" grep -qE 'exception 14 \(#PF' <<<"$crash"
    check "the crash line names the faulting rip ${rip:-?} ($crash)" grep -qF "rip ${rip:-none}" <<<"$crash"
    if [ "$mode" = nohandler ]; then
        check "the crash line says there is no handler" grep -qF 'no guest handler' <<<"$crash"
    else
        check "the crash line says the bounce frame could not be written" \
            grep -qF 'fault writing the bounce frame' <<<"$crash"
    fi
    expect_order 'fault-iso: domU faulting' 'mica: d1 crashed: '
    expect_order 'mica: d1 crashed: ' 'mica: d1 shut down: crash'
    # dom0 kept running: it printed at least 10 ticks after the crash, then powered off.
    after=$(sed -n '/^mica: d1 crashed: /,$p' "$LOG" | grep -cE '^\(d0\) fault-iso: dom0 tick [0-9]+$')
    check "dom0 printed $after ticks (>= 10) after d1's crash" test "$after" -ge 10
    expect_order 'mica: d1 crashed: ' '(d0) fault-iso: dom0 done'
    expect_line 'mica: dom0 powered off; powering the machine off'
    expect_line 'mica: power off (clean)'
    expect_no_line 'FAIL'
    expect_no_line 'mica: d0 crashed'
done
finish
