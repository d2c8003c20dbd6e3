/*
 * evt_timer: blocking, polling and timers as dom0 sees them, on Xen 4.17 and mica (issue 6,
 * "Tests": SCHEDOP_block waking on an event and on a timer, SCHEDOP_poll timing out, the
 * accuracy of a 10 ms single-shot timer).
 *
 * Events stay masked (evtchn_upcall_mask = 1, every port masked) except where a step needs
 * an upcall: SCHEDOP_block clears the upcall mask itself, and the pending port is unmasked
 * for it. The upcall then enters evt_callback (evt_util.h), which counts it, clears
 * evtchn_upcall_pending and returns with HYPERVISOR_iret; the probe looks at the port bits
 * and masks events again.
 *
 * Lines starting "evt_timer: " must be the same on both systems (compare-probe.sh); timing
 * lines start "evt_timer.t: " (the comparison drops them) and end in numbers a test checks:
 *   evt_timer.t: NAME: woke after N ns (late by L ns)       for each timed wait, where N counts
 *                from the call that armed the timer and L from its deadline.
 * Without -icount only the lower bound (never early) holds; under QEMU's
 * -icount shift=0,sleep=off a wait should end within one 10 ms scheduling slice of its
 * deadline, which tests/system/t-evt-timer.sh checks.
 */
#define PROBE_NAME "evt_timer"

#include "probe.h"

#include "evt_util.h"

#define MS 1000000ULL

static int failures;

static void mask_events(void)
{
    evt_vcpu()->evtchn_upcall_mask = 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/** Clear every port's pending bit and the vCPU's selector and upcall flags. */
static void clear_all(void)
{
    for (unsigned int i = 0; i < 64; i++)
        evt_test_and_clear(i);
    evt_clear_upcall();
}

static long set_singleshot(uint64_t deadline, uint32_t flags)
{
    struct vcpu_set_singleshot_timer s = {.timeout_abs_ns = deadline, .flags = flags};

    return HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &s);
}

static long set_periodic(uint64_t period_ns)
{
    struct vcpu_set_periodic_timer s = {.period_ns = period_ns};

    return HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &s);
}

/** Print the timing line for a wait that armed at @t0 for @deadline and ended at @t1. */
static void timing(const char *name, uint64_t t0, uint64_t deadline, uint64_t t1)
{
    printk(PROBE_NAME ".t: %s: woke after %llu ns (late by %lld ns)\n", name,
           (unsigned long long)(t1 - t0), (long long)(t1 - deadline));
}

/** Poll @port until it is pending or @deadline passed; returns whether it is pending. */
static bool poll_until(evtchn_port_t port, uint64_t deadline)
{
    while (!evt_pending(port) && evt_now_ns() < deadline)
        evt_poll(&port, 1, deadline);
    return evt_pending(port);
}

static const char *yes(bool b)
{
    return b ? "yes" : "NO";
}

static void expect(bool ok)
{
    failures += !ok;
}

/*
 * Count VIRQ_TIMER events on @T during @ns of system time while running: spin (no
 * hypercall, so the vCPU never leaves the CPU), clearing the pending bit as it comes.
 */
static unsigned int ticks_while_running(evtchn_port_t T, uint64_t ns)
{
    uint64_t end = evt_now_ns() + ns;
    unsigned int ticks = 0;

    while (evt_now_ns() < end)
        ticks += evt_test_and_clear(T);
    return ticks;
}

/*
 * A periodic timer while the vCPU is blocked in SCHEDOP_poll on @T with a timeout of
 * +55 ms: whether the poll ended before the timeout (woken by the timer) and whether @T
 * was pending when it returned. Xen 4.17 stops a vCPU's periodic timer when it leaves the
 * CPU and sends the event it missed when it is scheduled again (sched/core.c,
 * vcpu_periodic_timer_work): the poll runs to its timeout and returns with the event.
 */
static void periodic_while_blocked(evtchn_port_t T, const char *what)
{
    evt_test_and_clear(T);
    uint64_t t0 = evt_now_ns(), deadline = t0 + 55 * MS;
    long rc = evt_poll(&T, 1, deadline);
    uint64_t t1 = evt_now_ns();

    P("%s: poll(VIRQ_TIMER port, timeout +55 ms) = %s, pending %d", what, rc_str(rc),
      evt_pending(T));
    P("%s: woken before the timeout (the periodic timer wakes a blocked vCPU): %s", what,
      t1 < deadline ? "yes" : "no");
    printk(PROBE_NAME ".t: %s: poll returned after %llu ns\n", what, (unsigned long long)(t1 - t0));
    evt_test_and_clear(T);
}

/* The 100 Hz periodic VIRQ_TIMER every PV vCPU starts with, then stopped; a 10 ms one. */
static void periodic(evtchn_port_t T)
{
    unsigned int ticks = ticks_while_running(T, 55 * MS);

    P("default periodic timer: at least 2 ticks in 55 ms of running: %s", yes(ticks >= 2));
    printk(PROBE_NAME ".t: default periodic timer: %u ticks in 55 ms of running\n", ticks);
    expect(ticks >= 2);
    periodic_while_blocked(T, "default periodic timer");

    long rc = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    evt_test_and_clear(T);
    P("VCPUOP_stop_periodic_timer = %s", rc_str(rc));
    ticks = ticks_while_running(T, 30 * MS);
    P("periodic timer stopped: ticks in 30 ms of running: %u", ticks);
    expect(ticks == 0);

    /* SCHEDOP_poll timing out: nothing is pending and nothing comes. */
    uint64_t t0 = evt_now_ns();
    uint64_t deadline = t0 + 50 * MS;
    rc = evt_poll(&T, 1, deadline);
    uint64_t t1 = evt_now_ns();
    P("poll(VIRQ_TIMER port, timeout +50 ms) = %s, pending %d, not before the timeout: %s",
      rc_str(rc), evt_pending(T), yes(t1 >= deadline));
    timing("poll timeout 50 ms", t0, deadline, t1);
    expect(rc == 0 && !evt_pending(T) && t1 >= deadline);

    /* A periodic timer of our own: 1 ms is the shortest Xen accepts. */
    P("VCPUOP_set_periodic_timer(999999 ns) = %s", rc_str(set_periodic(999999)));
    rc = set_periodic(10 * MS);
    P("VCPUOP_set_periodic_timer(10 ms) = %s", rc_str(rc));
    ticks = ticks_while_running(T, 55 * MS);
    P("periodic 10 ms: at least 2 ticks in 55 ms of running: %s", yes(ticks >= 2));
    printk(PROBE_NAME ".t: periodic 10 ms: %u ticks in 55 ms of running\n", ticks);
    expect(ticks >= 2);
    periodic_while_blocked(T, "periodic 10 ms");
    rc = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    evt_test_and_clear(T);
    P("VCPUOP_stop_periodic_timer = %s", rc_str(rc));
}

/* SCHEDOP_poll's argument checks and quick returns. */
static void poll_cases(evtchn_port_t T, evtchn_port_t A, evtchn_port_t B)
{
    static evtchn_port_t many[129];
    evtchn_port_t bad[] = {0, 63, 64, 4096};
    long rc;

    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = evt_poll(&bad[i], 1, evt_now_ns() + 5 * MS);
        P("poll(port %u, timeout +5 ms) = %s", bad[i], rc_str(rc));
    }
    for (unsigned int i = 0; i < 129; i++)
        many[i] = T;
    P("poll(129 ports) = %s", rc_str(evt_poll(many, 129, evt_now_ns() + 5 * MS)));

    uint64_t t0 = evt_now_ns(), deadline = t0 + 10 * MS;
    rc = evt_poll(many, 128, deadline);
    uint64_t t1 = evt_now_ns();
    P("poll(128 ports, timeout +10 ms) = %s, not before the timeout: %s", rc_str(rc),
      yes(t1 >= deadline));
    timing("poll 128 ports timeout 10 ms", t0, deadline, t1);
    expect(t1 >= deadline);

    t0 = evt_now_ns();
    deadline = t0 + 10 * MS;
    rc = evt_poll(NULL, 0, deadline);
    t1 = evt_now_ns();
    P("poll(no ports, timeout +10 ms) = %s, not before the timeout: %s", rc_str(rc),
      yes(t1 >= deadline));
    timing("poll no ports timeout 10 ms", t0, deadline, t1);
    expect(t1 >= deadline);

    t0 = evt_now_ns();
    rc = evt_poll(&T, 1, t0 - 1 * MS);
    t1 = evt_now_ns();
    P("poll(VIRQ_TIMER port, timeout 1 ms ago) = %s, pending %d", rc_str(rc), evt_pending(T));
    timing("poll past timeout", t0, t0, t1);

    /* A masked port that is pending ends the poll at once. */
    P("send(port %u) = %s: port %u pending %d (masked)", B, rc_str(evt_send(B)), A, evt_pending(A));
    t0 = evt_now_ns();
    rc = evt_poll(&A, 1, t0 + 1000 * MS);
    t1 = evt_now_ns();
    P("poll(port %u, timeout +1 s) = %s, pending %d", A, rc_str(rc), evt_pending(A));
    timing("poll pending port", t0, t0, t1);
    expect(t1 - t0 < 500 * MS);
    evt_test_and_clear(A);

    /* The single-shot timer wakes a poll on the (masked) VIRQ_TIMER port. */
    t0 = evt_now_ns();
    deadline = t0 + 10 * MS;
    long rs = set_singleshot(deadline, 0);
    rc = evt_poll(&T, 1, t0 + 1000 * MS);
    t1 = evt_now_ns();
    P("singleshot +10 ms = %s; poll(VIRQ_TIMER port, timeout +1 s) = %s, pending %d, "
      "not before the deadline: %s",
      rc_str(rs), rc_str(rc), evt_pending(T), yes(t1 >= deadline));
    timing("poll woken by singleshot 10 ms", t0, deadline, t1);
    expect(evt_pending(T) && t1 >= deadline);
    evt_test_and_clear(T);
    clear_all();
}

/* SCHEDOP_block: on an event already pending, on the timer, not on a masked port. */
static void block_cases(evtchn_port_t T, evtchn_port_t A, evtchn_port_t B)
{
    unsigned long up0;
    uint64_t t0, t1, deadline;
    long rc;

    /* Send to self, then block: the event is pending, so block returns at once, with the
       upcall delivered on the way out. */
    P("unmask(port %u) = %s", A, rc_str(evt_unmask(A)));
    rc = evt_send(B);
    P("send(port %u) = %s: port %u pending %d, upcall_pending %u, upcalls %lu", B, rc_str(rc), A,
      evt_pending(A), evt_vcpu()->evtchn_upcall_pending, evt_upcalls);
    up0 = evt_upcalls;
    t0 = evt_now_ns();
    rc = HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    t1 = evt_now_ns();
    unsigned int mask_after = evt_vcpu()->evtchn_upcall_mask;
    mask_events();
    P("block with port %u pending = %s: upcall_mask %u after, upcalls +%lu, port %u pending %d", A,
      rc_str(rc), mask_after, evt_upcalls - up0, A, evt_pending(A));
    timing("block on a pending event", t0, t0, t1);
    expect(rc == 0 && mask_after == 0 && evt_upcalls - up0 == 1 && evt_pending(A));
    evt_set_mask(A, true);
    clear_all();

    /* A masked port's event does not end the block; the single-shot timer does. */
    P("unmask(port %u) = %s", T, rc_str(evt_unmask(T)));
    rc = evt_send(B);
    P("send(port %u) = %s with port %u masked: pending %d, upcall_pending %u", B, rc_str(rc), A,
      evt_pending(A), evt_vcpu()->evtchn_upcall_pending);
    up0 = evt_upcalls;
    t0 = evt_now_ns();
    deadline = t0 + 20 * MS;
    long rs = set_singleshot(deadline, 0);
    rc = HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    t1 = evt_now_ns();
    mask_events();
    P("singleshot +20 ms = %s; block = %s: upcalls +%lu, VIRQ_TIMER pending %d, port %u "
      "pending %d, not before the deadline: %s",
      rc_str(rs), rc_str(rc), evt_upcalls - up0, evt_pending(T), A, evt_pending(A),
      yes(t1 >= deadline));
    timing("block woken by singleshot 20 ms", t0, deadline, t1);
    expect(evt_upcalls - up0 == 1 && evt_pending(T) && evt_pending(A) && t1 >= deadline);
    clear_all();

    /* Accuracy: a 10 ms single-shot, five times, with VCPUOP_set_singleshot_timer. */
    unsigned int woke = 0, early = 0;
    for (int i = 1; i <= 5; i++) {
        char name[40];
        up0 = evt_upcalls;
        t0 = evt_now_ns();
        deadline = t0 + 10 * MS;
        rs = set_singleshot(deadline, 0);
        rc = HYPERVISOR_sched_op(SCHEDOP_block, NULL);
        t1 = evt_now_ns();
        mask_events();
        woke += rs == 0 && rc == 0 && evt_upcalls - up0 == 1 && evt_pending(T);
        early += t1 < deadline;
        snprintf(name, sizeof(name), "singleshot 10 ms #%d", i);
        timing(name, t0, deadline, t1);
        clear_all();
    }
    P("singleshot +10 ms then block, 5 times: woken by VIRQ_TIMER %u, early %u", woke, early);
    expect(woke == 5 && early == 0);

    /* The same with set_timer_op (absolute system time). */
    woke = early = 0;
    for (int i = 1; i <= 3; i++) {
        char name[40];
        up0 = evt_upcalls;
        t0 = evt_now_ns();
        deadline = t0 + 10 * MS;
        rs = HYPERVISOR_set_timer_op(deadline);
        rc = HYPERVISOR_sched_op(SCHEDOP_block, NULL);
        t1 = evt_now_ns();
        mask_events();
        woke += rs == 0 && rc == 0 && evt_upcalls - up0 == 1 && evt_pending(T);
        early += t1 < deadline;
        snprintf(name, sizeof(name), "set_timer_op 10 ms #%d", i);
        timing(name, t0, deadline, t1);
        clear_all();
    }
    P("set_timer_op(+10 ms) then block, 3 times: woken by VIRQ_TIMER %u, early %u", woke, early);
    expect(woke == 3 && early == 0);
    evt_set_mask(T, true);
}

/* Cancelling and past deadlines. */
static void cancel_cases(evtchn_port_t T)
{
    long r1 = HYPERVISOR_set_timer_op(evt_now_ns() + 10 * MS);
    long r2 = HYPERVISOR_set_timer_op(0);
    bool fired = poll_until(T, evt_now_ns() + 30 * MS);
    P("set_timer_op(+10 ms) = %s, set_timer_op(0) = %s: VIRQ_TIMER in 30 ms: %d", rc_str(r1),
      rc_str(r2), fired);
    expect(r1 == 0 && r2 == 0 && !fired);
    clear_all();

    r1 = set_singleshot(evt_now_ns() + 10 * MS, 0);
    r2 = HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
    fired = poll_until(T, evt_now_ns() + 30 * MS);
    P("singleshot +10 ms = %s, VCPUOP_stop_singleshot_timer = %s: VIRQ_TIMER in 30 ms: %d",
      rc_str(r1), rc_str(r2), fired);
    expect(r1 == 0 && r2 == 0 && !fired);
    clear_all();

    /* Xen's guard against wrapped deadlines: more than 2^50 ns away fires in 100 ms. */
    uint64_t t0 = evt_now_ns();
    r1 = HYPERVISOR_set_timer_op(t0 + (1ULL << 51));
    fired = poll_until(T, t0 + 1000 * MS);
    uint64_t t1 = evt_now_ns();
    P("set_timer_op(+2^51 ns) = %s: VIRQ_TIMER within 1 s: %d, not before 100 ms: %s", rc_str(r1),
      fired, yes(t1 - t0 >= 100 * MS));
    timing("set_timer_op 2^51 ns (100 ms guard)", t0, t0 + 100 * MS, t1);
    expect(r1 == 0 && fired && t1 - t0 >= 100 * MS);
    clear_all();

    struct vcpu_set_singleshot_timer far = {.timeout_abs_ns = evt_now_ns() + 10 * MS};
    P("VCPUOP_set_singleshot_timer(vcpu 1) = %s",
      rc_str(HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 1, &far)));
    P("VCPUOP_stop_periodic_timer(vcpu 1) = %s",
      rc_str(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 1, NULL)));

    r1 = set_singleshot(evt_now_ns() - 1 * MS, 0);
    P("singleshot 1 ms ago = %s: VIRQ_TIMER pending at once %d", rc_str(r1), evt_pending(T));
    clear_all();
    r1 = set_singleshot(evt_now_ns() - 1 * MS, VCPU_SSHOTTMR_future);
    P("singleshot 1 ms ago, VCPU_SSHOTTMR_future = %s: VIRQ_TIMER pending at once %d", rc_str(r1),
      evt_pending(T));
    clear_all();
}

int main(void)
{
    long rc;

    mask_events();
    evt_mask_all_ports();
    clear_all();
    rc = evt_register_callback();
    P("callback_op(register event callback) = %s", rc_str(rc));

    long T = evt_bind_virq(VIRQ_TIMER);
    P("bind_virq(VIRQ_TIMER) = %s", rc_str(T));
    long A = evt_alloc_unbound(DOMID_SELF, DOMID_SELF);
    long B = A > 0 ? evt_bind_interdomain(DOMID_SELF, (evtchn_port_t)A) : -1;
    P("loopback: alloc_unbound(self) = %s, bind_interdomain(self, it) = %s", rc_str(A), rc_str(B));
    if (rc || T <= 0 || A <= 0 || B <= 0) {
        P("result FAILED (setup)");
        return 1;
    }
    P("port %ld pending after the bind: %d", B, evt_test_and_clear((evtchn_port_t)B));

    periodic((evtchn_port_t)T);
    poll_cases((evtchn_port_t)T, (evtchn_port_t)A, (evtchn_port_t)B);
    block_cases((evtchn_port_t)T, (evtchn_port_t)A, (evtchn_port_t)B);
    cancel_cases((evtchn_port_t)T);

    P("result %s", failures ? "FAILED" : "ok");
    probe_done();
    return failures ? 1 : 0;
}
