#!/bin/bash
# Blocking, polling and timers (issue 6, "Tests"): tests/guests/evt_timer.c as dom0 on Xen 4.17
# and on mica. SCHEDOP_block woken by an event already pending (send to self on a loopback
# channel, upcall through the probe's own event callback), not woken by a masked port's
# event, woken by the single-shot timer (VCPUOP_set_singleshot_timer and set_timer_op with
# VIRQ_TIMER bound and the periodic timer stopped); SCHEDOP_poll timing out, its argument
# checks, a masked pending port and the timer ending it; the default 100 Hz periodic timer,
# stopping it, a 10 ms one; cancelling (set_timer_op(0), VCPUOP_stop_singleshot_timer),
# deadlines in the past, set_timer_op's 100 ms guard for a deadline over 2^50 ns away, vCPU 1. The "evt_timer: " lines must agree (tests/guests/evt_timer.diff-ok
# lists the difference that remains); the "evt_timer.t: " lines carry the timings.
#
# Accuracy, in system time as the guest reads it: no timed wait ends before its deadline,
# ever; under QEMU's -icount shift=0,sleep=off (deterministic time) every wait on a 10 or 20
# ms timer or timeout also ends within one 10 ms scheduling slice after its deadline, on mica
# and on Xen, and the 100 Hz periodic timers give 5 or 6 events in 55 ms of running. Without
# -icount host load stretches TCG time, so only the lower bound is checked (and at least 2
# periodic events in 55 ms).
. "$(dirname "$0")/lib.sh"

probe=evt_timer
elf=$BUILD/tests/guests/$probe.elf

# The timed waits: "evt_timer.t: NAME: woke after N ns (late by L ns)" for a timer or timeout
# set at a deadline (the others measure a wait that should end at once).
timed='(poll timeout|poll 128 ports timeout|poll no ports timeout|poll woken by singleshot|block woken by singleshot|singleshot 10 ms #|set_timer_op 10 ms #|set_timer_op 2\^51 ns)'

# late_values: L of every timed wait in $LOG, one a line.
late_values() {
    grep -E "evt_timer\.t: $timed" "$LOG" | sed -nE 's/.*\(late by (-?[0-9]+) ns\)$/\1/p'
}

# check_lower_bound: 14 timed waits, none ended before its deadline.
check_lower_bound() {
    local n bad
    n=$(late_values | wc -l)
    bad=$(late_values | awk '$1 < 0' | wc -l)
    check "14 timed waits reported (got $n)" test "$n" -eq 14
    check "no timed wait ended before its deadline ($bad early)" test "$bad" -eq 0
}

# check_upper_bound: every timed wait ended less than one 10 ms slice after its deadline.
check_upper_bound() {
    local worst
    worst=$(late_values | sort -n | tail -n1)
    check "every timed wait within 10 ms after its deadline (latest ${worst:-?} ns)" \
        test "${worst:-99999999999}" -lt 10000000
}

compare_probe "$probe"
for run in xen mica; do
    LOG=$BUILD/tests/system/$TEST_NAME.$run.log
    echo " $run:"
    expect_line 'evt_timer: result ok'
    check_lower_bound
done

for hv in mica xen; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    echo " $hv under -icount:"
    RUN=$hv-icount run_mica "${opt[@]}" --timeout 150 --extra-qemu=-icount \
        --extra-qemu=shift=0,sleep=off "$elf"
    expect_status 0
    expect_line 'evt_timer: result ok'
    expect_line 'probe: done'
    check_lower_bound
    check_upper_bound
    # 100 Hz: 5 or 6 periodic events in 55 ms of running (at 0, 10, ... 50 ms or so).
    expect_number_between 'evt_timer\.t: default periodic timer: ([0-9]+) ticks in 55 ms' 5 6
    expect_number_between 'evt_timer\.t: periodic 10 ms: ([0-9]+) ticks in 55 ms' 5 6
done
finish
