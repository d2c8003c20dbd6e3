/*
 * test=events: the guest kernel's event channels, timers, threads and time
 * of day, exercised through their public interfaces, with one line per
 * step. The lines are the same on Xen 4.17 and on mica except for values
 * (ports, times, counts); tests/system/t-guest-events.sh checks them.
 *
 * test=block: one SCHEDOP_block woken by a timer, registers checked.
 *
 * test=pagefault / test=gp: a read of an unmapped or a non-canonical
 * address, to show the exception handler's report and crash.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <xen/errno.h>

#include <pvguest/blkback.h>
#include <pvguest/blkfront.h>
#include <pvguest/devtree.h>
#include <pvguest/events.h>
#include <pvguest/hypercall.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#include "blkbench.h"
#include "selftest.h"
#include "sysbench.h"
#include "net/selftest_net.h"

static int failures;

/* "ok", or "FAILED" and a count of failures. */
static const char *verdict(int ok)
{
    if (!ok)
        failures++;
    return ok ? "ok" : "FAILED";
}

static void msec(char *buf, size_t size, uint64_t ns)
{
    snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 " ms", (uint64_t)(ns / NSEC_PER_MSEC),
             (uint64_t)(ns % NSEC_PER_MSEC / NSEC_PER_USEC));
}

/* ---- time ---- */

static void test_system_time(void)
{
    struct vcpu_time_info t;

    read_vcpu_time_info(&t);
    uint64_t a = system_time_ns();
    uint64_t b = system_time_ns();
    printf("pvguest: time: system time %" PRIu64 " ns (tsc_to_system_mul %#" PRIx32
           ", tsc_shift %d, version %" PRIu32 ")\n",
           a, t.tsc_to_system_mul, t.tsc_shift, t.version);
    printf("pvguest: time: system time is running and monotonic (%s)\n",
           verdict(a > 0 && b >= a && t.tsc_to_system_mul != 0));
}

/* ---- threads and timers ---- */

#define SLEEPS   3
#define SLEEP_NS (10 * NSEC_PER_MSEC)

static struct wait_queue sleepers_done = WAIT_QUEUE_INIT;
static int sleepers_running;

static void sleeper(void *arg)
{
    const char *name = arg;
    char buf[32];

    for (int i = 1; i <= SLEEPS; i++) {
        uint64_t start = system_time_ns();
        sleep_ns(SLEEP_NS);
        uint64_t slept = system_time_ns() - start;
        msec(buf, sizeof(buf), slept);
        printf("pvguest: thread %s: sleep %d of %d: %s (%s)\n", name, i, SLEEPS, buf,
               verdict(slept >= SLEEP_NS));
    }
    sleepers_running--;
    wake_up(&sleepers_done);
}

static void test_threads(void)
{
    char buf[32];
    struct sched_stats before = sched_stats;
    uint64_t start = system_time_ns();

    printf("pvguest: threads: a and b sleep %d x 10 ms\n", SLEEPS);
    sleepers_running = 2;
    if (!thread_create("a", sleeper, "a", 0) || !thread_create("b", sleeper, "b", 0)) {
        printf("pvguest: threads: thread_create failed (%s)\n", verdict(0));
        return;
    }
    wait_event(sleepers_done, sleepers_running == 0);
    uint64_t took = system_time_ns() - start;
    msec(buf, sizeof(buf), took);
    unsigned long blocks = sched_stats.blocks - before.blocks;
    unsigned long timer_events = sched_stats.timer_events - before.timer_events;
    printf("pvguest: threads: done in %s, %lu SCHEDOP_block, %lu VIRQ_TIMER events (%s)\n", buf,
           blocks, timer_events,
           verdict(took >= SLEEPS * SLEEP_NS && blocks >= SLEEPS && timer_events >= SLEEPS));
}

/* ---- event channels: a loop within this domain ---- */

static volatile unsigned long calls_a, calls_b;
static struct wait_queue port_a_wq = WAIT_QUEUE_INIT;
static volatile int waiter_state; /* 0 not started, 1 waiting, 2 woken */

static void handler_a(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    (void)port;
    (void)regs;
    (void)data;
    calls_a++;
    wake_up(&port_a_wq);
}

static void handler_b(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    (void)port;
    (void)regs;
    (void)data;
    calls_b++;
}

static void waiter(void *arg)
{
    (void)arg;
    waiter_state = 1;
    wait_event(port_a_wq, calls_a >= 1);
    waiter_state = 2;
}

/* A hypercall result: the number, and for a Xen error its name, "-22 (EINVAL)". */
static const char *rc_name(long rc)
{
    static const struct {
        long value;
        const char *name;
    } names[] = {
#define XEN_ERRNO(name, value) {value, #name},
#include <xen/errno.h>
    };
    static char bufs[4][32];
    static unsigned int next;
    char *buf = bufs[next++ % 4];

    snprintf(buf, sizeof(bufs[0]), "%ld", rc);
    for (unsigned int i = 0; rc < 0 && i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].value == -rc) {
            snprintf(buf, sizeof(bufs[0]), "%ld (%s)", rc, names[i].name);
            break;
        }
    }
    return buf;
}

static void test_event_channels(void)
{
    long a = evtchn_alloc_unbound(DOMID_SELF);
    long b = a >= 0 ? evtchn_bind_interdomain(DOMID_SELF, (evtchn_port_t)a, handler_b, NULL) : a;

    printf("pvguest: evtchn: alloc_unbound(self) -> port %ld, bind_interdomain(self, %ld) -> "
           "port %ld (%s)\n",
           a, a, b, verdict(a > 0 && b > 0 && a != b));
    if (a <= 0 || b <= 0)
        return;
    /*
     * Xen marks the new local port pending when binding, in case the remote
     * side notified before the bind (Xen's evtchn_bind_interdomain), so
     * port b's handler has run once already.
     */
    printf("pvguest: evtchn: port %ld pending after the bind: handler calls %lu (%s)\n", b, calls_b,
           verdict(calls_b == 1));
    long rc = evtchn_bind_handler((evtchn_port_t)a, handler_a, NULL);
    printf("pvguest: evtchn: handler bound to port %ld, unmask -> %s (%s)\n", a, rc_name(rc),
           verdict(rc == 0 && !evtchn_is_masked((evtchn_port_t)a)));

    /* A thread that blocks until port a's handler runs. */
    if (!thread_create("waiter", waiter, NULL, 0)) {
        printf("pvguest: evtchn: thread_create failed (%s)\n", verdict(0));
        return;
    }
    thread_yield();
    printf("pvguest: evtchn: waiter thread waits for port %ld (%s)\n", a,
           verdict(waiter_state == 1));

    /* Masked: the event stays pending, no handler runs, the waiter sleeps on. */
    evtchn_mask((evtchn_port_t)a);
    rc = evtchn_send((evtchn_port_t)b);
    sleep_ns(NSEC_PER_MSEC);
    int pending = evtchn_is_pending((evtchn_port_t)a);
    printf("pvguest: evtchn: port %ld masked, send on port %ld -> %s: pending %d, handler calls "
           "%lu, waiter %s (%s)\n",
           a, b, rc_name(rc), pending, calls_a, waiter_state == 1 ? "still waiting" : "woken",
           verdict(rc == 0 && pending == 1 && calls_a == 0 && waiter_state == 1));

    /* Unmasked: the hypervisor raises the upcall for the pending port. */
    rc = evtchn_unmask((evtchn_port_t)a);
    unsigned long after_unmask = calls_a;
    pending = evtchn_is_pending((evtchn_port_t)a);
    printf("pvguest: evtchn: unmask port %ld -> %s: pending %d, handler calls %lu (%s)\n", a,
           rc_name(rc), pending, after_unmask,
           verdict(rc == 0 && pending == 0 && after_unmask == 1));
    thread_yield();
    printf("pvguest: evtchn: waiter woken by the event (%s)\n", verdict(waiter_state == 2));

    /* The other direction, unmasked all along. */
    unsigned long before = calls_b;
    rc = evtchn_send((evtchn_port_t)a);
    printf("pvguest: evtchn: send on port %ld -> %s: port %ld handler calls +%lu (%s)\n", a,
           rc_name(rc), b, calls_b - before, verdict(rc == 0 && calls_b - before == 1));

    long close_a = evtchn_close((evtchn_port_t)a);
    long close_b = evtchn_close((evtchn_port_t)b);
    rc = evtchn_send((evtchn_port_t)b);
    printf("pvguest: evtchn: close ports %ld, %ld -> %s, %s; send on closed port %ld -> %s (%s)\n",
           a, b, rc_name(close_a), rc_name(close_b), b, rc_name(rc),
           verdict(close_a == 0 && close_b == 0 && rc == -XEN_EINVAL));
}

/* ---- time of day ---- */

static void test_time_of_day(void)
{
    struct timeval tv;
    uint64_t wc_sec;
    uint32_t wc_nsec;
    struct tm tm;
    char date[64];

    wall_clock_base(&wc_sec, &wc_nsec);
    int rc = gettimeofday(&tv, NULL);
    time_t now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("pvguest: time of day: %s; time() %lld, gettimeofday %lld.%06ld, wall clock base "
           "%" PRIu64 ".%09" PRIu32 " (%s)\n",
           date, (long long)now, (long long)tv.tv_sec, (long)tv.tv_usec, wc_sec, wc_nsec,
           verdict(rc == 0 && tm.tm_year + 1900 >= 2020 && now - tv.tv_sec >= 0 &&
                   now - tv.tv_sec <= 1));
}

static int test_events(void)
{
    printf("pvguest: test events: start\n");
    test_system_time();
    printf("pvguest: virq: VIRQ_TIMER on port %ld, periodic timer stop -> %s (%s)\n",
           (long)sched_timer_port, rc_name(sched_periodic_timer_rc),
           verdict(sched_timer_port > 0 && sched_periodic_timer_rc == 0));
    test_threads();
    test_event_channels();
    test_time_of_day();
    printf("pvguest: events: %lu upcalls, %lu handler calls, %lu without handler; scheduler: %lu "
           "switches, %lu blocks, %lu timer deadlines, %lu timer events\n",
           evtchn_stats.upcalls, evtchn_stats.dispatched, evtchn_stats.unhandled,
           sched_stats.switches, sched_stats.blocks, sched_stats.timer_sets,
           sched_stats.timer_events);
    if (failures == 0)
        printf("pvguest: test events: passed\n");
    else
        printf("pvguest: test events: FAILED (%d checks)\n", failures);
    return failures == 0 ? 0 : 1;
}

/*
 * test=block: one SCHEDOP_block woken by a singleshot timer 5 ms ahead,
 * with known values in the callee-saved registers across the hypercall
 * (the hypervisor keeps every register but RAX, as for any hypercall). A
 * hypervisor that loses a blocked vCPU's registers fails it in the
 * smallest way.
 */

/* test_block's callee-saved register values: loaded before SCHEDOP_block, stored after. */
static uint64_t block_regs[5];

static int test_block(void)
{
    static const uint64_t expect[5] = {0x1111111111111111, 0x1212121212121212, 0x1313131313131313,
                                       0x1414141414141414, 0x1515151515151515};
    unsigned long timer_events = sched_stats.timer_events;
    uint64_t start = system_time_ns();
    struct vcpu_set_singleshot_timer timer = {.timeout_abs_ns = start + 5 * NSEC_PER_MSEC};
    long set = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &timer);
    long rc;
    char buf[32];

    printf("pvguest: test block: singleshot timer in 5 ms -> %s, then SCHEDOP_block\n",
           rc_name(set));
    fflush(stdout);
    memcpy(block_regs, expect, sizeof(block_regs));
    /*
     * Events are enabled: the VIRQ_TIMER upcall comes as the hypercall
     * returns. Only fixed registers and block_regs are used around the
     * call, so nothing the compiler keeps in a register is at stake.
     */
    __asm__ volatile("mov block_regs+0(%%rip), %%rbx\n\t"
                     "mov block_regs+8(%%rip), %%r12\n\t"
                     "mov block_regs+16(%%rip), %%r13\n\t"
                     "mov block_regs+24(%%rip), %%r14\n\t"
                     "mov block_regs+32(%%rip), %%r15\n\t"
                     "mov %[cmd], %%edi\n\t"
                     "xor %%esi, %%esi\n\t"
                     "call hypercall_page + %c[nr] * 32\n\t"
                     "mov %%rbx, block_regs+0(%%rip)\n\t"
                     "mov %%r12, block_regs+8(%%rip)\n\t"
                     "mov %%r13, block_regs+16(%%rip)\n\t"
                     "mov %%r14, block_regs+24(%%rip)\n\t"
                     "mov %%r15, block_regs+32(%%rip)"
                     : "=a"(rc)
                     : [cmd] "i"(SCHEDOP_block), [nr] "i"(__HYPERVISOR_sched_op)
                     : "rbx", "r12", "r13", "r14", "r15", "rdi", "rsi", "rdx", "r8", "r9", "r10",
                       "rcx", "r11", "memory");
    uint64_t took = system_time_ns() - start;
    msec(buf, sizeof(buf), took);
    int kept = memcmp(block_regs, expect, sizeof(block_regs)) == 0;
    unsigned long events = sched_stats.timer_events - timer_events;
    printf("pvguest: test block: SCHEDOP_block -> %s after %s, VIRQ_TIMER events +%lu, "
           "callee-saved registers %s (%s)\n",
           rc_name(rc), buf, events, kept ? "kept" : "LOST",
           verdict(set == 0 && rc == 0 && took >= 5 * NSEC_PER_MSEC && events == 1 && kept));
    if (failures == 0)
        printf("pvguest: test block: passed\n");
    return failures == 0 ? 0 : 1;
}

static int test_fault(const char *name, uintptr_t address)
{
    printf("pvguest: test %s: reading address %#lx\n", name, (unsigned long)address);
    fflush(stdout);
    unsigned long value = *(volatile unsigned long *)address;
    printf("pvguest: test %s: read %#lx, no exception (FAILED)\n", name, value);
    return 1;
}

int selftest_run(const char *name)
{
    if (strcmp(name, "devtree") == 0)
        return devtree_selftest(); /* boot configurations (issue 9) */
    if (strcmp(name, "events") == 0)
        return test_events();
    if (strcmp(name, "block") == 0)
        return test_block();
    if (strcmp(name, "mm") == 0)
        return selftest_mm();
    if (strcmp(name, "ahci") == 0)
        return selftest_ahci(); /* the AHCI driver (issue 10), selftest_ahci.c */
    if (strcmp(name, "netback") == 0 || strcmp(name, "netfront") == 0 ||
        strcmp(name, "netfront-hostile") == 0 || strcmp(name, "netback-net") == 0 ||
        strcmp(name, "netfront-net") == 0)
        return selftest_netif(name); /* the netif ring path (issue 11), selftest_netif.c */
    if (strcmp(name, "rowrite") == 0)
        return selftest_mm_rowrite();
    if (strcmp(name, "pagefault") == 0)
        return test_fault(name, 0x1000); /* below the kernel: nothing maps it */
    if (strcmp(name, "blkback") == 0)
        return blkback_selftest(); /* block backend (issue 10) */
    if (strcmp(name, "blk") == 0)
        return blkfront_selftest(); /* block frontend (issue 10) */
    if (strcmp(name, "blkhostile") == 0)
        return blkfront_hostile_selftest(); /* hostile block frontend (issue 10) */
    if (strcmp(name, "blkerr") == 0)
        return blkfront_error_selftest(); /* disk errors through the block path (issue 10) */
    if (strcmp(name, "hello") == 0)
        return hello_run(); /* whole-system benchmarks (issue 13), sysbench.c */
    if (strcmp(name, "blkbench") == 0)
        return blkbench_run(); /* block-path benchmark (issue 10), blkbench.c */
    if (strcmp(name, "net") == 0)
        return net_selftest(); /* e1000 + lwIP, driver domain (issue 11), net/selftest_net.c */
    if (strcmp(name, "gp") == 0)
        return test_fault(name, 0x8000000000000000UL); /* non-canonical */
    return -1;
}
