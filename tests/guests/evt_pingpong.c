/*
 * evt_pingpong: two domains in strict ping-pong over an interdomain event channel, and a
 * peer that dies in the middle of it (issue 6, "Tests"). mica only: it needs two domains
 * (the hypervisor option domu_copies=1 runs a copy of this kernel as d1, with the same
 * command line); a guest tells dom0 from d1 by start_info->flags & SIF_INITDOMAIN.
 *
 * Both domains keep events masked (evtchn_upcall_mask = 1, every port masked) and wait with
 * SCHEDOP_poll, reading and clearing the pending bits themselves (evt_util.h). With
 * wait=block they wait with SCHEDOP_block instead: the ports they wait on are unmasked, and
 * each wait clears evtchn_upcall_pending and the selector, looks at the port bits with events
 * masked and, if nothing is there, blocks (which unmasks events; the upcall goes to
 * evt_callback and the probe masks events again). A single-shot timer (VIRQ_TIMER, periodic
 * timer stopped) at the wait's deadline turns a lost wake-up into a "lost" report, not a
 * hang.
 *
 *   d1    alloc_unbound(remote dom 0): the first free port, 1. Then, for round 1..N: wait for
 *         dom0's event (ping), clear it, send (pong). After round N it checks for 20 ms that
 *         nothing more arrives, prints its counts and powers off.
 *   dom0  bind_virq(VIRQ_DOM_EXC) (port 1); bind_interdomain(1, 1), retried with
 *         SCHEDOP_yield until d1 has allocated its port (port 2; the new port is pending
 *         once, as Xen raises it); then, for round 1..N: send (ping), wait for d1's event
 *         (pong), clear it. Afterwards it waits for VIRQ_DOM_EXC (d1 powered off), checks
 *         that its port reverted to unbound (EVTCHNOP_status), prints the round-trip time in
 *         system time and powers off.
 *
 * Every wait must end with exactly the expected port pending: another port pending with it
 * counts as "unexpected", a return from SCHEDOP_poll with nothing pending as "spurious", no
 * event within WAIT_NS of system time as "lost" (and ends the run). Since each side sends only
 * after it received the other's event, no two events can ever be outstanding.
 *
 * Command line:
 *   rounds=N        round trips (default 100000)
 *   die=K           d1 dies on receiving ping K instead of answering it (K <= N)
 *   how=crash|fault how it dies: SCHEDOP_shutdown(SHUTDOWN_crash) (default) or a load from
 *                   an unmapped address with no trap table (the hypervisor crashes it)
 *   wait=poll|block how each side waits (default poll)
 * With die=K dom0 must see VIRQ_DOM_EXC while waiting for pong K, after K-1 round trips,
 * with its port reverted to unbound (remote dom 1); a send on it is then dropped (0).
 *
 * The last line of dom0 is "evt_pingpong: result ok" or "evt_pingpong: result FAILED".
 */
#define PROBE_NAME "evt_pingpong"

#include <stdlib.h>

#include <pvguest/cmdline.h>
#include <pvguest/shutdown.h>

#include "probe.h"

#include "evt_util.h"

#define DEFAULT_ROUNDS 100000UL
#define WAIT_NS        2000000000ULL  /* longest wait for one event: 2 s of system time */
#define FIRST_WAIT_NS  20000000000ULL /* d1's wait for the first ping (dom0 binds first) */
#define QUIET_NS       20000000ULL    /* d1 checks for 20 ms that nothing more arrives */
#define BIND_TRIES     100000
#define FAULT_ADDR     0x10000000UL /* lower half, not mapped by the domain builder */

#define BIT(port) ((xen_ulong_t)1 << (port))

static unsigned long opt_ulong(const char *key, unsigned long dflt)
{
    char buf[24];

    if (cmdline_get(key, buf, sizeof(buf)) <= 0)
        return dflt;
    return strtoul(buf, NULL, 0);
}

/** What a wait found. */
enum wait_result { GOT_EVENT, PEER_DIED, LOST };

struct counts {
    unsigned long received;   /* waits that ended with our port pending */
    unsigned long unexpected; /* another port pending with it, or ours pending too early */
    unsigned long spurious;   /* SCHEDOP_poll returned with nothing pending */
};

static bool use_block;  /* wait=block */
static long timer_port; /* VIRQ_TIMER, for wait=block's deadlines */

/*
 * Wait for @port (and, if @virq_port is non-zero, VIRQ_DOM_EXC on it) until @deadline, with
 * SCHEDOP_poll or (wait=block) SCHEDOP_block. Clears @port's pending bit when it is set.
 */
static enum wait_result wait_for(evtchn_port_t port, evtchn_port_t virq_port, uint64_t deadline,
                                 struct counts *c)
{
    evtchn_port_t ports[2] = {port, virq_port};
    xen_ulong_t expected = BIT(port) | (virq_port ? BIT(virq_port) : 0);
    bool armed = false;

    for (;;) {
        long rc;

        if (use_block) {
            /* Clear the upcall flags before reading the bits: an event after this sets them
               again and the block below returns at once. */
            evt_clear_upcall();
            if (timer_port > 0)
                evt_test_and_clear((evtchn_port_t)timer_port);
        }
        xen_ulong_t w = evt_pending_word0();
        if (armed && (w & expected))
            HYPERVISOR_set_timer_op(0); /* the deadline is not needed any more */
        if (w & BIT(port)) {
            evt_test_and_clear(port);
            if (w & ~expected)
                c->unexpected++;
            c->received++;
            return GOT_EVENT;
        }
        if (virq_port && (w & BIT(virq_port)))
            return PEER_DIED;
        if (evt_now_ns() >= deadline)
            return LOST;
        if (use_block) {
            if (!armed) {
                HYPERVISOR_set_timer_op(deadline);
                armed = true;
            }
            rc = HYPERVISOR_sched_op(SCHEDOP_block, NULL);
            evt_vcpu()->evtchn_upcall_mask = 1;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
        } else {
            rc = evt_poll(ports, virq_port ? 2 : 1, deadline);
        }
        if (rc) {
            P("FAIL: %s = %s", use_block ? "SCHEDOP_block" : "SCHEDOP_poll", rc_str(rc));
            return LOST;
        }
        if (!(evt_pending_word0() & expected))
            c->spurious++;
    }
}

static void setup(void)
{
    evt_vcpu()->evtchn_upcall_mask = 1;
    evt_mask_all_ports();
}

/*
 * wait=block, after the channel is set up (so that its port numbers do not change): the
 * event callback, VIRQ_TIMER for the deadlines with the periodic timer stopped, and the
 * ports waited on (@a, @b if non-zero) unmasked so that they deliver upcalls.
 */
static void block_setup(const char *who, evtchn_port_t a, evtchn_port_t b)
{
    if (!use_block)
        return;
    long rc = evt_register_callback();
    timer_port = evt_bind_virq(VIRQ_TIMER);
    long stop = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    P("%s: wait=block: callback_op(register) = %s, VIRQ_TIMER port %s, stop_periodic_timer = %s",
      who, rc_str(rc), rc_str(timer_port), rc_str(stop));
    evt_unmask((evtchn_port_t)timer_port);
    evt_unmask(a);
    if (b)
        evt_unmask(b);
}

static __attribute__((noreturn)) void die(const char *how)
{
    if (strcmp(how, "fault") == 0) {
        P("d1: dying: load from %#lx (no trap table)", FAULT_ADDR);
        (void)*(volatile unsigned long *)FAULT_ADDR;
        P("FAIL: d1 survived the fault");
    } else {
        P("d1: dying: SCHEDOP_shutdown(SHUTDOWN_crash)");
    }
    guest_shutdown(SHUTDOWN_crash);
}

static int run_d1(unsigned long rounds, unsigned long die_at, const char *how)
{
    struct counts c = {0, 0, 0};
    long port = evt_alloc_unbound(DOMID_SELF, 0);

    P("d1: alloc_unbound(remote dom 0) = %s", rc_str(port));
    if (port <= 0)
        return 1;
    block_setup("d1", (evtchn_port_t)port, 0);
    for (unsigned long i = 1; i <= rounds; i++) {
        uint64_t deadline = evt_now_ns() + (i == 1 ? FIRST_WAIT_NS : WAIT_NS);

        if (wait_for((evtchn_port_t)port, 0, deadline, &c) != GOT_EVENT) {
            P("d1: FAIL: ping %lu lost (no event in time)", i);
            return 1;
        }
        if (i == die_at) {
            P("d1: received ping %lu", i);
            die(how);
        }
        /* dom0 sends only after our answer: our port cannot be pending again yet. */
        if (evt_pending((evtchn_port_t)port))
            c.unexpected++;
        long rc = evt_send((evtchn_port_t)port);
        if (rc) {
            P("d1: FAIL: send(port %ld) in round %lu = %s", port, i, rc_str(rc));
            return 1;
        }
    }
    /* Nothing may follow the last ping. */
    evtchn_port_t p = (evtchn_port_t)port;
    uint64_t quiet_end = evt_now_ns() + QUIET_NS;
    while (evt_now_ns() < quiet_end && !evt_pending(p))
        evt_poll(&p, 1, quiet_end);
    bool extra = evt_pending(p);
    P("d1: received %lu pings, sent %lu pongs, %lu unexpected, %lu spurious wake-ups", c.received,
      c.received, c.unexpected, c.spurious);
    P("d1: %s after ping %lu", extra ? "FAIL: an extra event" : "no event", rounds);
    return c.received == rounds && !c.unexpected && !extra ? 0 : 1;
}

static int run_dom0(unsigned long rounds, unsigned long die_at)
{
    struct counts c = {0, 0, 0};
    char st[64];
    long virq = evt_bind_virq(VIRQ_DOM_EXC);
    long local = -1, rc;
    unsigned int tries;
    int failures = 0;

    P("d0: bind_virq(VIRQ_DOM_EXC) = %s", rc_str(virq));
    if (virq <= 0)
        return 1;
    for (tries = 1; tries <= BIND_TRIES; tries++) {
        local = evt_bind_interdomain(1, 1);
        if (local > 0)
            break;
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    P("d0: bind_interdomain(dom 1, port 1) = %s", rc_str(local));
    if (local <= 0)
        return 1;
    printk(PROBE_NAME ".t: d0: bound after %u tries\n", tries);
    evtchn_port_t L = (evtchn_port_t)local, V = (evtchn_port_t)virq;
    P("d0: port %u pending after the bind: %d", L, evt_test_and_clear(L));
    evt_status(L, st, sizeof(st));
    P("d0: status(port %u) = %s", L, st);
    block_setup("d0", L, V);

    P("d0: exchange: %lu round trips%s", rounds, die_at ? ", d1 dies on one" : "");
    uint64_t t0 = evt_now_ns(), t1 = t0;
    unsigned long done = 0;
    enum wait_result r = GOT_EVENT;
    for (unsigned long i = 1; i <= rounds; i++) {
        if (evt_pending(L))
            c.unexpected++;
        rc = evt_send(L);
        if (rc) {
            P("d0: FAIL: send(port %u) in round %lu = %s", L, i, rc_str(rc));
            return 1;
        }
        r = wait_for(L, V, evt_now_ns() + WAIT_NS, &c);
        if (r != GOT_EVENT)
            break;
        done = i;
    }
    t1 = evt_now_ns();

    if (r == LOST) {
        P("d0: FAIL: pong %lu lost (no event in time)", done + 1);
        return 1;
    }
    P("d0: %lu round trips, %lu pongs received, %lu unexpected, %lu spurious wake-ups", done,
      c.received, c.unexpected, c.spurious);
    failures += c.received != done || c.unexpected != 0;
    if (done) {
        uint64_t ns = t1 - t0;
        printk(PROBE_NAME ".t: d0: %lu round trips in %llu.%03llu ms of system time: %llu ns "
                          "per round trip\n",
               done, (unsigned long long)(ns / 1000000), (unsigned long long)(ns / 1000 % 1000),
               (unsigned long long)(ns / done));
    }
    if (r == PEER_DIED) {
        P("d0: VIRQ_DOM_EXC while waiting for pong %lu", done + 1);
        failures += done + 1 != die_at;
    } else {
        /* All rounds done: d1 powers off after its quiet check. */
        evtchn_port_t ports[1] = {V};
        uint64_t deadline = evt_now_ns() + 10 * WAIT_NS;
        while (!evt_pending(V) && evt_now_ns() < deadline)
            evt_poll(ports, 1, deadline);
        P("d0: VIRQ_DOM_EXC after the exchange: %d", evt_pending(V));
        failures += !evt_pending(V) || die_at;
    }
    evt_test_and_clear(V);
    P("d0: port %u pending after d1's end: %d", L, evt_pending(L));
    failures += evt_pending(L);
    rc = evt_status(L, st, sizeof(st));
    P("d0: status(port %u) = %s %s", L, rc_str(rc), st);
    failures += rc != 0 || strcmp(st, "unbound dom 1") != 0;
    rc = evt_send(L);
    P("d0: send(port %u) to the dead peer = %s", L, rc_str(rc));
    failures += rc != 0;
    evt_status(V, st, sizeof(st));
    P("d0: status(port %u) = %s", V, st);
    P("result %s", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

int main(void)
{
    unsigned long rounds = opt_ulong("rounds", DEFAULT_ROUNDS);
    unsigned long die_at = opt_ulong("die", 0);
    char how[16] = "crash", wait[16] = "poll";

    cmdline_get("how", how, sizeof(how));
    cmdline_get("wait", wait, sizeof(wait));
    use_block = strcmp(wait, "block") == 0;
    setup();
    if (!(start_info->flags & SIF_INITDOMAIN))
        return run_d1(rounds, die_at, how);
    return run_dom0(rounds, die_at);
}
