#!/bin/bash
# Two domains in strict ping-pong over an interdomain event channel, and a peer that dies in
# the middle of it (issue 6, "Tests"; mica only: domu_copies=1 runs tests/guests/evt_pingpong.c
# as dom0 and as d1).
#   pingpong    100,000 round trips: d1 allocates port 1 unbound for dom0, dom0 binds it
#               (port 2) and pings, d1 pongs; each side waits with SCHEDOP_poll for the
#               other's event before it sends. Both count every event, and every wait must
#               end with exactly the expected port pending. The hypervisor's own counters
#               (loglvl=debug, printed when a domain dies) must show each raise as a new
#               event (none already pending, so none was merged into another); d1 powers off
#               and dom0 sees VIRQ_DOM_EXC and its port reverted to unbound.
#   pingpong-block  the same with SCHEDOP_block instead of SCHEDOP_poll (wait=block): the
#               ports deliver upcalls to the probe's event callback, every one counted.
#   die-crash   d1 calls SCHEDOP_shutdown(crash) on receiving ping 50,000 instead of answering;
#   die-fault   d1 faults (no trap table) on receiving ping 1,000 of 2,000;
#   die-block   as die-crash at ping 1,000 of 2,000, with wait=block (dom0 is woken from
#               SCHEDOP_block by the VIRQ_DOM_EXC upcall).
#               In each, dom0 finds VIRQ_DOM_EXC pending while waiting for that pong, after
#               exactly one round trip fewer, its port unbound (remote dom 1), a send to it
#               dropped (0), and powers off cleanly.
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/evt_pingpong.elf
check "$elf exists (make guest)" test -f "$elf"
hv="console=com1 domu_copies=1 loglvl=debug"

echo " pingpong:"
RUN=pingpong run_mica --timeout 90 --append "$hv" "$elf"
expect_status 0
expect_line '(d1) evt_pingpong: d1: alloc_unbound(remote dom 0) = 1'
expect_line '(d0) evt_pingpong: d0: bind_virq(VIRQ_DOM_EXC) = 1'
expect_line '(d0) evt_pingpong: d0: bind_interdomain(dom 1, port 1) = 2'
expect_line '(d0) evt_pingpong: d0: port 2 pending after the bind: 1'
expect_line '(d0) evt_pingpong: d0: status(port 2) = interdomain dom 1 port 1'
expect_line '(d1) evt_pingpong: d1: received 100000 pings, sent 100000 pongs, 0 unexpected, 0 spurious wake-ups'
expect_line '(d1) evt_pingpong: d1: no event after ping 100000'
expect_line '(d0) evt_pingpong: d0: 100000 round trips, 100000 pongs received, 0 unexpected, 0 spurious wake-ups'
expect_regex '^\(d0\) evt_pingpong\.t: d0: 100000 round trips in [0-9.]+ ms of system time: [0-9]+ ns per round trip$'
# The hypervisor's view: d1 sent 100,000 pongs and its port was raised 100,000 times, each time
# a new event (0 already pending); dom0 sent 100,000 pings plus one to the dead peer, and its
# ports were raised 100,002 times: the bind, 100,000 pongs, VIRQ_DOM_EXC.
expect_regex '^mica: d1 events: sends 100000 raised 100000 upcalls 0 suppressed: pending 0 masked 100000 coalesced 0;'
expect_regex '^mica: d0 events: sends 100001 raised 100002 upcalls 0 suppressed: pending 0 masked 100002 coalesced 0;'
# At most one SCHEDOP_poll per wait (a wait that finds its event already pending needs none):
# d1's sched_op count (hypercall 29) is its polls, the 20 ms quiet check and its shutdown.
polls=$(sed -nE 's/^mica: d1 hypercalls \(nr:count\):.* 29:([0-9]+) .*/\1/p' "$LOG")
check "d1 made ${polls:-?} sched_op calls, at most 100,002" test "${polls:-999999}" -le 100002
expect_order '(d1) evt_pingpong: d1: no event after ping 100000' 'mica: d1 shut down: poweroff'
expect_order 'mica: d1 shut down: poweroff' '(d0) evt_pingpong: d0: VIRQ_DOM_EXC after the exchange: 1'
expect_line '(d0) evt_pingpong: d0: port 2 pending after d1'"'"'s end: 0'
expect_line '(d0) evt_pingpong: d0: status(port 2) = 0 unbound dom 1'
expect_line '(d0) evt_pingpong: d0: send(port 2) to the dead peer = 0'
expect_line '(d0) evt_pingpong: d0: status(port 1) = virq 3'
expect_line '(d0) evt_pingpong: result ok'
expect_line 'mica: power off (clean)'
expect_no_line 'FAIL'
expect_faster_than 60
ns=$(sed -nE 's/.*evt_pingpong\.t: d0: 100000 round trips in .* ([0-9]+) ns per round trip$/\1/p' "$LOG")
echo "  one round trip: ${ns:-?} ns of system time (two events, two wake-ups, two switches)"

echo " pingpong-block:"
RUN=pingpong-block run_mica --timeout 90 --append "$hv" "$elf wait=block"
expect_status 0
expect_line '(d1) evt_pingpong: d1: alloc_unbound(remote dom 0) = 1'
expect_line '(d0) evt_pingpong: d0: bind_interdomain(dom 1, port 1) = 2'
expect_line '(d1) evt_pingpong: d1: wait=block: callback_op(register) = 0, VIRQ_TIMER port 2, stop_periodic_timer = 0'
expect_line '(d0) evt_pingpong: d0: wait=block: callback_op(register) = 0, VIRQ_TIMER port 3, stop_periodic_timer = 0'
expect_line '(d1) evt_pingpong: d1: received 100000 pings, sent 100000 pongs, 0 unexpected, 0 spurious wake-ups'
expect_line '(d1) evt_pingpong: d1: no event after ping 100000'
expect_line '(d0) evt_pingpong: d0: 100000 round trips, 100000 pongs received, 0 unexpected, 0 spurious wake-ups'
# Every raise of a waited-on port was a new event (never one still pending, never merged),
# and each became an upcall — at once, or, when it arrived while the receiver was still in
# its event callback (events masked until its iret; a timer interrupt can put the peer in
# between), right after: so upcalls + masked raises = raises, and masked raises are rare.
# dom0's bind raised its port once more, masked.
events_balance() { # DOMAIN SENDS RAISES
    awk -v d="$1" -v sends="$2" -v raised="$3" '
        $1 == "mica:" && $2 == d && $3 == "events:" {
            for (i = 4; i < NF; i++) if (!($i in v)) v[$i] = $(i + 1) + 0
            found = 1
            ok = v["sends"] == sends && v["raised"] == raised && v["pending"] == 0 &&
                 v["coalesced"] == 0 && v["upcalls"] + v["masked"] == raised && v["masked"] <= 100
        }
        END { exit !(found && ok) }' "$LOG"
}
check "d1 events: 100000 sent and raised, every raise an upcall (at once or after unmask)" \
    events_balance d1 100000 100000
check "d0 events: 100001 sent, 100002 raised, every raise an upcall or the masked bind" \
    events_balance d0 100001 100002
expect_line '(d0) evt_pingpong: d0: VIRQ_DOM_EXC after the exchange: 1'
expect_line '(d0) evt_pingpong: d0: status(port 2) = 0 unbound dom 1'
expect_line '(d0) evt_pingpong: result ok'
expect_line 'mica: power off (clean)'
expect_no_line 'FAIL'
expect_faster_than 60

die_run() { # NAME ROUNDS DIE_AT HOW [WAIT]
    local name=$1 rounds=$2 at=$3 how=$4 wait=${5:-poll}
    echo " $name:"
    RUN=$name run_mica --timeout 90 --append "$hv" "$elf rounds=$rounds die=$at how=$how wait=$wait"
    expect_status 0
    expect_line "(d0) evt_pingpong: d0: exchange: $rounds round trips, d1 dies on one"
    expect_line "(d1) evt_pingpong: d1: received ping $at"
    expect_regex '^mica: d1 shut down: crash'
    expect_line "(d0) evt_pingpong: d0: $((at - 1)) round trips, $((at - 1)) pongs received, 0 unexpected, 0 spurious wake-ups"
    expect_line "(d0) evt_pingpong: d0: VIRQ_DOM_EXC while waiting for pong $at"
    expect_order 'mica: d1 shut down: crash' "(d0) evt_pingpong: d0: VIRQ_DOM_EXC while waiting for pong $at"
    expect_line '(d0) evt_pingpong: d0: port 2 pending after d1'"'"'s end: 0'
    expect_line '(d0) evt_pingpong: d0: status(port 2) = 0 unbound dom 1'
    expect_line '(d0) evt_pingpong: d0: send(port 2) to the dead peer = 0'
    expect_line '(d0) evt_pingpong: result ok'
    expect_line 'mica: dom0 powered off; powering the machine off'
    expect_line 'mica: power off (clean)'
    expect_no_line 'FAIL'
    expect_no_line 'mica: d0 crashed'
}

die_run die-crash 100000 50000 crash
expect_line '(d1) evt_pingpong: d1: dying: SCHEDOP_shutdown(SHUTDOWN_crash)'
die_run die-fault 2000 1000 fault
expect_line '(d1) evt_pingpong: d1: dying: load from 0x10000000 (no trap table)'
expect_regex '^mica: d1 crashed: exception 14 \(#PF'
die_run die-block 2000 1000 crash block
expect_line '(d0) evt_pingpong: d0: wait=block: callback_op(register) = 0, VIRQ_TIMER port 3, stop_periodic_timer = 0'
finish
