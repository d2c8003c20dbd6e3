#!/bin/bash
# Ping-pong over a shared ring (issue 7, "Demonstration and tests"; docs/rings.md, "The
# demonstration"): tests/guests/ring_pingpong.c, the ping ring of ring_util.h through the
# sring API.
#   domains   mica, domu_copies=1 domu_rings: the builder gives d1 an empty ring page granted
#             to dom0 (gref 8) and an unbound port for dom0; d1 (frontend) posts requests 1..N
#             one at a time, dom0 (backend) maps the grant, binds the port, copies each
#             request out, validates it and answers with the same sequence number. 100,000
#             round trips, every message in order on both sides, the API's notification
#             counts, d1 powers off, dom0 sees VIRQ_DOM_EXC, its port unbound, unmaps, and
#             the machine powers off cleanly.
#   self      one domain is both ends (grants a page to itself, binds an interdomain channel
#             to itself), as dom0 on Xen 4.17 and on mica: 100,000 round trips each, the
#             same lines on both apart from the timings (".t:" lines; compare-probe.sh).
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/ring_pingpong.elf
check "$elf exists (make guest)" test -f "$elf"
P='ring_pingpong'

echo " domains:"
RUN=domains run_mica --timeout 90 --append "console=com1 domu_copies=1 domu_rings loglvl=debug" "$elf"
expect_status 0
expect_regex '^mica: wired d1 \(frontend, ring pfn 0x[0-9a-f]+, gref 8, port 1\) to d0 \(backend\)$'
expect_line "(d1) $P: d1: ring pfn nr_pages - 1, gref 8, port 1, backend dom 0"
expect_line "(d1) $P: d1: map the ring page = 0"
expect_line "(d1) $P: d1: attach to the builder's ring = 0 (128 slots)"
expect_line "(d0) $P: d0: map d1's gref 8 = 0 (okay)"
expect_line "(d0) $P: d0: bind_interdomain(dom 1, port 1) = 2"
expect_line "(d0) $P: d0: attach = 0 (128 slots)"
expect_line "(d1) $P: d1: 100000 round trips: 100000 responses in order, 0 out of order, 0 bad; 0 rounds with a request still in flight"
expect_line "(d1) $P: d1: frontend ring: posted 100000, consumed 100000, ring full 0, protocol errors 0"
expect_line "(d0) $P: d0: 100000 requests: 100000 in order, 0 out of order, 0 invalid"
expect_line "(d0) $P: d0: backend ring: posted 100000, consumed 100000, ring full 0, protocol errors 0"
# Every push is either a notification or a suppressed one; the exact split depends on the
# scheduler (on mica the woken frontend runs at once, so the backend never sleeps and the
# frontend's notifications are suppressed: one event per round trip instead of two).
expect_regex "^\(d1\) $P: d1: frontend ring: pushes 100000: notifications sent [0-9]+, suppressed [0-9]+; final checks [0-9]+, races [0-9]+$"
expect_regex "^\(d0\) $P: d0: backend ring: pushes 100000: notifications sent [0-9]+, suppressed [0-9]+; final checks [0-9]+, races [0-9]+$"
for side in d0 d1; do
    sum=$(sed -nE "s/.*$P: $side: (frontend|backend) ring: pushes [0-9]+: notifications sent ([0-9]+), suppressed ([0-9]+);.*/\2 \3/p" "$LOG" |
        awk '{ print $1 + $2 }')
    check "$side: notifications sent + suppressed = 100000 pushes (${sum:-?})" test "${sum:-0}" = 100000
done
# The events the hypervisor counted match the notifications the API asked for.
d1_sent=$(sed -nE "s/.*$P: d1: frontend ring: pushes [0-9]+: notifications sent ([0-9]+),.*/\1/p" "$LOG")
d0_sent=$(sed -nE "s/.*$P: d0: backend ring: pushes [0-9]+: notifications sent ([0-9]+),.*/\1/p" "$LOG")
expect_regex "^mica: d1 events: sends ${d1_sent:-x} "
expect_regex "^mica: d0 events: sends ${d0_sent:-x} "
expect_regex "^\(d1\) $P\.t: d1: 100000 round trips in [0-9.]+ ms of system time: [0-9]+ ns per round trip$"
expect_regex "^\(d0\) $P\.t: d0: 99999 round trips in [0-9.]+ ms of system time: [0-9]+ ns per round trip$"
expect_order "(d1) $P: d1: powering off" 'mica: d1 shut down: poweroff'
expect_order 'mica: d1 shut down: poweroff' "(d0) $P: d0: VIRQ_DOM_EXC (d1 shut down): 1"
expect_line "(d0) $P: d0: status(port 2) = unbound dom 1"
expect_line "(d0) $P: d0: unmap d1's ring = 0 (okay)"
expect_line "(d0) $P: result ok"
expect_line 'mica: power off (clean)'
expect_no_line 'FAIL'
expect_faster_than 60
echo "  d1: $(sed -nE "s/.*$P\.t: d1: (.*)/\1/p" "$LOG")"
echo "  d1: $(sed -nE "s/.*$P: d1: frontend ring: (pushes.*)/\1/p" "$LOG")"
echo "  d0: $(sed -nE "s/.*$P: d0: backend ring: (pushes.*)/\1/p" "$LOG")"

self_lines() {
    expect_line "$P: self: backend: map gref 8 = 0 (okay); same frame: yes"
    expect_line "$P: self: frontend: alloc_unbound(remote dom 0) = 1; backend: bind_interdomain(dom 0, port 1) = 2"
    expect_line "$P: self: 100000 round trips: 100000 responses in order, 0 out of order, 0 bad; 0 rounds with a request still in flight"
    expect_line "$P: self: 100000 requests: 100000 in order, 0 out of order, 0 invalid"
    expect_line "$P: self: frontend ring: pushes 100000: notifications sent 100000, suppressed 0; final checks 100000, races 0"
    expect_line "$P: self: backend ring: pushes 100000: notifications sent 100000, suppressed 0; final checks 100000, races 0"
    expect_line "$P: self: close(frontend port) = 0; backend port: unbound dom 0"
    expect_line "$P: self: backend: unmap = 0 (okay); grant flags 0x1"
    expect_line "$P: result ok"
    expect_line 'probe: done'
    expect_no_line 'FAIL'
    echo "  $(sed -nE "s/.*$P\.t: self: (100000 .*)/\1/p" "$LOG")"
}

echo " self on Xen 4.17:"
RUN=self-xen run_mica --xen --timeout 150 "$elf mode=self"
expect_status 0
self_lines
xen_log=$LOG
echo " self on mica:"
RUN=self-mica run_mica --timeout 60 "$elf mode=self"
expect_status 0
self_lines
expect_line 'mica: power off (clean)'
check "ring_pingpong mode=self: same lines on Xen 4.17 and mica apart from timings (compare-probe.sh)" \
    tests/system/compare-probe.sh ring_pingpong "$xen_log" "$LOG"
finish
