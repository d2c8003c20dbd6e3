#!/bin/bash
# The guest kernel's events, timers and threads (pvguest test=block, then
# test=events), as dom0 on Debian's Xen 4.17 and on mica: VIRQ_TIMER bound
# and the periodic timer stopped; two threads sleeping 3 x 10 ms each on
# singleshot deadlines with the vCPU blocked in SCHEDOP_block meanwhile; an
# alloc_unbound + bind_interdomain(self) loop with one port masked (the
# event stays pending, no handler, the waiting thread sleeps on), then
# unmasked (the handler runs at once and wakes the thread); close; the time
# of day. Each check line of the guest ends in "(ok)" or "(FAILED)".
#
# Both systems must print the same lines once values (numbers) are blanked;
# thread lines may interleave differently, so the comparison sorts them.
# A second pair of runs under QEMU's -icount (deterministic time) bounds
# every 10 ms sleep from both sides: at least 10 ms, less than 10 ms plus one
# 10 ms scheduling slice. Without -icount only the lower bound holds (host
# load stretches TCG time).
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"

# check_events_run HV: the lines of one test=events run ($LOG).
check_events_run() {
    expect_status 0
    expect_line 'pvguest: test events: start'
    expect_regex 'pvguest: time: system time [0-9]+ ns \(tsc_to_system_mul 0x[0-9a-f]+, tsc_shift -?[0-9]+, version [0-9]+\)$'
    expect_line 'pvguest: time: system time is running and monotonic (ok)'
    expect_regex 'pvguest: virq: VIRQ_TIMER on port [0-9]+, periodic timer stop -> 0 \(ok\)$'
    for t in a b; do
        for i in 1 2 3; do
            expect_regex "pvguest: thread $t: sleep $i of 3: [0-9]+\.[0-9]{3} ms \(ok\)$"
        done
    done
    expect_regex 'pvguest: threads: done in [0-9.]+ ms, [0-9]+ SCHEDOP_block, [0-9]+ VIRQ_TIMER events \(ok\)$'
    expect_regex 'pvguest: evtchn: alloc_unbound\(self\) -> port ([0-9]+), bind_interdomain\(self, [0-9]+\) -> port [0-9]+ \(ok\)$'
    expect_regex 'pvguest: evtchn: port [0-9]+ pending after the bind: handler calls 1 \(ok\)$'
    expect_regex 'pvguest: evtchn: handler bound to port [0-9]+, unmask -> 0 \(ok\)$'
    expect_regex 'pvguest: evtchn: waiter thread waits for port [0-9]+ \(ok\)$'
    expect_regex 'pvguest: evtchn: port [0-9]+ masked, send on port [0-9]+ -> 0: pending 1, handler calls 0, waiter still waiting \(ok\)$'
    expect_regex 'pvguest: evtchn: unmask port [0-9]+ -> 0: pending 0, handler calls 1 \(ok\)$'
    expect_line 'pvguest: evtchn: waiter woken by the event (ok)'
    expect_regex 'pvguest: evtchn: send on port [0-9]+ -> 0: port [0-9]+ handler calls \+1 \(ok\)$'
    expect_regex 'pvguest: evtchn: close ports [0-9]+, [0-9]+ -> 0, 0; send on closed port [0-9]+ -> -22 \(EINVAL\) \(ok\)$'
    expect_regex 'pvguest: time of day: 20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC; time\(\) [0-9]+, gettimeofday [0-9]+\.[0-9]{6}, wall clock base [0-9]+\.[0-9]{9} \(ok\)$'
    expect_line 'pvguest: test events: passed'
    expect_no_line '(FAILED)'
    expect_line 'pvguest: shutting down (poweroff)'
    expect_line 'mica-run: clean power-off'
}

# shape LOG: the test's lines with the (d0) prefix dropped and every number
# blanked, sorted (the order of the two threads' lines may differ).
shape() {
    sed -n '/pvguest: test events: start/,/pvguest: test events: /p' "$1" |
        sed -E 's/^\(d[0-9]+\) //; s/0x[0-9a-f]+/N/g; s/[0-9]+/N/g' | sort
}

# The smallest case first: one SCHEDOP_block woken by a 5 ms singleshot
# timer keeps the callee-saved registers and returns 0 after the upcall.
for hv in xen mica; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    RUN=$hv-block run_mica "${opt[@]}" --timeout 30 "$guest test=block"
    expect_status 0
    expect_regex 'pvguest: test block: singleshot timer in 5 ms -> 0, then SCHEDOP_block$'
    expect_regex 'pvguest: test block: SCHEDOP_block -> 0 after [0-9]+\.[0-9]{3} ms, VIRQ_TIMER events \+1, callee-saved registers kept \(ok\)$'
    expect_line 'pvguest: test block: passed'
done

declare -A logs
for hv in xen mica; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    RUN=$hv run_mica "${opt[@]}" --timeout 60 "$guest test=events"
    check_events_run
    logs[$hv]=$LOG
done

LOG=${logs[mica]}
check "mica prints the lines Xen prints (numbers aside)" \
    diff <(shape "${logs[xen]}") <(shape "${logs[mica]}")

# Deterministic time: each 10 ms sleep ends within [10 ms, 20 ms).
for hv in xen mica; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    RUN=$hv-icount run_mica "${opt[@]}" --timeout 120 --extra-qemu=-icount \
        --extra-qemu=shift=0,sleep=off "$guest test=events"
    expect_status 0
    expect_line 'pvguest: test events: passed'
    for t in a b; do
        for i in 1 2 3; do
            expect_number_between "pvguest: thread $t: sleep $i of 3: ([0-9]+)\.[0-9]{3} ms" 10 19
        done
    done
done
finish
