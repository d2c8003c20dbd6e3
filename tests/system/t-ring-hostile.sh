#!/bin/bash
# Hostile peers on a shared ring (issue 7, "Demonstration and tests"; docs/rings.md, "The
# demonstration"): tests/guests/ring_hostile.c on mica with domu_copies=1 domu_rings, one run
# per attack. d1 (frontend) makes 10 honest round trips with dom0 (backend), then attacks;
# the victim must report what it saw, disconnect (close its port, unmap the ring), try the
# grant again and an invalid one, and power off cleanly; neither it nor the hypervisor may
# crash. The attacks and what the victim must see:
#   ahead      req_prod 1000 ahead                        -75 (EOVERFLOW) from the ring API
#   backwards  req_prod moved back by 4 while 8 are held  -34 (ERANGE)
#   garbage    5 requests with a wrong op/check word       5 invalid, answered -EINVAL; the rest in order
#   revoke     grant flags cleared while mapped            the exchange goes on; re-map: GNTST_general_error
#   flood      100,000 EVTCHNOP_send in a tight loop        events with no request counted; all served in order
#   close      EVTCHNOP_close mid-stream                    its port unbound; the last request served
#   die        SHUTDOWN_crash with the page mapped           VIRQ_DOM_EXC, port unbound, page still readable, unmap ok,
#                                                           re-map: GNTST_bad_domain
#   backend    (dom0 hostile) 6 responses to 1 request     d1's API: -75 (EOVERFLOW); d1 powers off cleanly
# In every run but die and backend, a fresh map of d1's grant works (or, revoked, is refused)
# and gref 100000 gives GNTST_bad_gntref (-3).
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/ring_hostile.elf
check "$elf exists (make guest)" test -f "$elf"
hv="console=com1 domu_copies=1 domu_rings"
P='ring_hostile'

# attack_run NAME — boot the attack; the common evidence of a victim dom0 that carried on.
attack_run() {
    echo " $1:"
    RUN=$1 run_mica --timeout 90 --append "$hv" "$elf attack=$1"
    expect_status 0
    expect_line "(d0) $P: d0: attack=$1; bind_virq(VIRQ_DOM_EXC) = 1, map d1's gref 8 = 0 (okay), bind_interdomain(dom 1, port 1) = 2"
    expect_line "(d1) $P: d1: round trips 1-10: all answered in order"
    expect_line "(d0) $P: d0: disconnect: close(port 2) = 0, unmap d1's ring = 0 (okay)"
    expect_line "(d0) $P: d0: VIRQ_DOM_EXC (d1 shut down): 1"
    expect_line "(d0) $P: result ok"
    expect_line 'mica: dom0 powered off; powering the machine off'
    expect_line 'mica: power off (clean)'
    expect_no_line 'mica: d0 crashed'
    expect_no_line 'FAIL'
}

# d1 alive at the victim's checks: its grant maps again (or not, if revoked); gref 100000 does not.
alive_checks() { # STATUS-OF-THE-REMAP
    expect_line "(d0) $P: d0: map d1's gref 8 again = $1"
    expect_line "(d0) $P: d0: map d1's gref 100000 = -3 (bad_gntref)"
    expect_line "(d1) $P: d1: after the victim's disconnect: port 1 $2"
    expect_order "(d0) $P: d0: map d1's gref 100000" 'mica: d1 shut down: poweroff'
}

attack_run ahead
expect_line "(d1) $P: d1: attack: req_prod moved 1000 ahead; send = 0"
expect_line "(d0) $P: d0: victim: ring protocol error -75 (EOVERFLOW) after 10 requests (10 answered, 0 held)"
expect_line "(d0) $P: d0: victim: stopped serving: protocol error"
expect_line "(d0) $P: d0: backend ring: posted 10, consumed 10, ring full 0, protocol errors 1"
alive_checks '0 (okay)' 'unbound dom 0, grant permit_access'

attack_run backwards
expect_line "(d1) $P: d1: attack: 8 requests posted, then req_prod moved back by 4 (none answered yet); send = 0"
expect_line "(d0) $P: d0: victim: ring protocol error -34 (ERANGE) after 18 requests (10 answered, 8 held)"
expect_line "(d0) $P: d0: backend ring: posted 10, consumed 18, ring full 0, protocol errors 1"
alive_checks '0 (okay)' 'unbound dom 0, grant permit_access'

attack_run garbage
expect_line "(d1) $P: d1: attack: 5 garbage requests, 5 answered with -EINVAL"
expect_line "(d1) $P: d1: round trips 16-25: all answered in order"
expect_line "(d0) $P: d0: victim: stopped serving: goodbye"
expect_line "(d0) $P: d0: victim: 26 requests: 21 in order, 0 out of order, 5 invalid; 26 answered; at most 1 held"
alive_checks '0 (okay)' 'unbound dom 0, grant permit_access'

attack_run revoke
expect_line "(d1) $P: d1: attack: grant 8 was permit_access,reading,writing, flags cleared while mapped"
expect_line "(d1) $P: d1: round trips 11-20: all answered in order"
expect_line "(d0) $P: d0: victim: stopped serving: goodbye"
expect_line "(d0) $P: d0: victim: 21 requests: 21 in order, 0 out of order, 0 invalid; 21 answered; at most 1 held"
alive_checks '-1 (general_error)' 'unbound dom 0, grant invalid'

attack_run flood
expect_line "(d1) $P: d1: attack: 100000 sends in a tight loop, 0 failed"
expect_line "(d1) $P: d1: round trips 11-20: all answered in order"
expect_line "(d0) $P: d0: victim: 21 requests: 21 in order, 0 out of order, 0 invalid; 21 answered; at most 1 held"
expect_number_between "$P: d0: victim: [0-9]+ events, ([0-9]+) of them with no new request" 1 100000
alive_checks '0 (okay)' 'unbound dom 0, grant permit_access'
echo "  $(sed -nE "s/.*$P: d0: victim: ([0-9]+ events.*)/\1/p" "$LOG")"

attack_run close
expect_line "(d1) $P: d1: attack: close(port 1) = 0"
expect_line "(d1) $P: d1: posted request 11; send on the closed port = -22 (EINVAL)"
expect_line "(d0) $P: d0: victim: d1 closed its end of the channel (port 2 unbound) after 11 requests (11 answered)"
alive_checks '0 (okay)' 'closed, grant permit_access'

attack_run die
expect_line "(d1) $P: d1: attack: posted request 11, crashing with the ring mapped by dom0"
expect_line 'mica: d1 shut down: crash'
expect_line "(d0) $P: d0: victim: d1 died (VIRQ_DOM_EXC) after 11 requests (10 answered)"
expect_line "(d0) $P: d0: victim: the dead peer's page is still mapped: req_prod 11, rsp_prod 10; port 2: unbound dom 1"
expect_line "(d0) $P: d0: map d1's gref 8 again = -2 (bad_domain)"
expect_order 'mica: d1 shut down: crash' "(d0) $P: d0: victim: d1 died"

echo " backend:"
RUN=backend run_mica --timeout 90 --append "$hv" "$elf attack=backend"
expect_status 0
expect_line "(d1) $P: d1: round trips 1-10: all answered in order"
expect_line "(d0) $P: d0: attack: request 11 answered with 6 responses (rsp_prod +6); send = 0"
expect_line "(d1) $P: d1: victim: waiting for response 11: -75 (EOVERFLOW)"
expect_line "(d1) $P: d1: victim: the API refuses more: get_response = -75 (EOVERFLOW), post = -75 (EOVERFLOW)"
expect_line "(d1) $P: d1: frontend ring: posted 11, consumed 10, ring full 0, protocol errors 1"
expect_line "(d1) $P: d1: victim: close(port 1) = 0; carrying on, then powering off"
expect_line "(d1) $P: result ok"
expect_line 'mica: d1 shut down: poweroff'
expect_line "(d0) $P: d0: VIRQ_DOM_EXC (d1 shut down): 1; port 2 unbound: yes"
expect_line "(d0) $P: d0: disconnect: close(port 2) = 0, unmap d1's ring = 0 (okay)"
expect_line "(d0) $P: d0: map d1's gref 8 again = -2 (bad_domain)"
expect_line "(d0) $P: d0: attacker done"
expect_line 'mica: power off (clean)'
expect_no_line 'FAIL'
finish
