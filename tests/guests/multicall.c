/*
 * multicall: probe guest for HYPERVISOR_multicall (xen.h struct multicall_entry) and for the
 * continuation that keeps a long batch preemptible (docs/abi.md, "Batching and
 * continuations").
 *
 * As the hardware domain (dom0) it checks the edge cases whose answers Xen 4.17 defines
 * (xen/common/multicall.c), then runs one batch of MC_BIG_BATCH null calls
 * (xen_version XENVER_version) between the lines "multicall: batch start" and
 * "multicall: batch done", checks every result and prints "multicall: result ok" (or
 * "multicall: result FAILED") before powering off. Run as any other domain (mica's
 * domu_copies=1 makes a second copy of it d1) it prints "multicall: tick N" lines forever, a
 * few per time slice, each with its TSC value, so a test can see that d1 kept running while
 * dom0's batch was in the hypervisor: dom0 prints the batch's start and end TSC values (the TSC
 * is the machine's, the same in both domains), and no gap between d1's ticks within that time
 * should be much longer than a time slice.
 *
 * Each check prints one line "multicall: <what>: <got> (want <expected>) ok|FAILED".
 */
#include <inttypes.h>
#include <stdio.h>

#include <arch/hypercall.h>
#include <pvguest/boot.h>
#include <pvguest/xen.h>

#define MC_BIG_BATCH 100000
#define MC_ENOSYS    38
#define MC_EFAULT    14
#define MC_EINVAL    22

static multicall_entry_t big_batch[MC_BIG_BATCH];
static multicall_entry_t small[4];
static int failures;

static long multicall(const void *list, unsigned long nr)
{
    return hypercall2(__HYPERVISOR_multicall, (unsigned long)list, nr);
}

static void check(const char *what, long got, long want)
{
    printf("multicall: %s: %ld (want %ld) %s\n", what, got, want, got == want ? "ok" : "FAILED");
    if (got != want)
        failures++;
}

static void set_entry(multicall_entry_t *e, unsigned long op, unsigned long a0, unsigned long a1)
{
    *e = (multicall_entry_t){.op = op, .result = 0xdeadbeef, .args = {a0, a1}};
}

static void edge_cases(long version)
{
    /* An empty batch at a good address does nothing and succeeds. */
    check("nr_calls 0", multicall(small, 0), 0);
    /* Xen checks the list's start address even for an empty batch (__addr_ok). */
    check("nr_calls 0, list in the hypervisor's range",
          multicall((const void *)HYPERVISOR_VIRT_START, 0), -MC_EFAULT);
    check("nr_calls 0, non-canonical list", multicall((const void *)0x0000800000000000UL, 0),
          -MC_EFAULT);
    check("1 call, list in the hypervisor's range",
          multicall((const void *)HYPERVISOR_VIRT_START, 1), -MC_EFAULT);
    check("1 call, unmapped list", multicall((const void *)0x1000, 1), -MC_EFAULT);

    /* Per-entry failures land in the entries' results; the batch itself succeeds. */
    set_entry(&small[0], 64, 0, 0);
    set_entry(&small[1], ~0UL, 0, 0);
    set_entry(&small[2], __HYPERVISOR_xen_version, XENVER_version, 0);
    check("unknown ops: rc", multicall(small, 3), 0);
    check("unknown op 64: result", (long)small[0].result, -MC_ENOSYS);
    check("unknown op ~0: result", (long)small[1].result, -MC_ENOSYS);
    check("xen_version after them: result", (long)small[2].result, version);

    /* A multicall inside a multicall is refused (Xen: "Multicall reentry is disallowed"). */
    set_entry(&small[0], __HYPERVISOR_multicall, (unsigned long)&small[2], 1);
    set_entry(&small[1], __HYPERVISOR_xen_version, XENVER_version, 0);
    set_entry(&small[2], __HYPERVISOR_xen_version, XENVER_version, 0);
    check("nested multicall: rc", multicall(small, 2), 0);
    check("nested multicall: result", (long)small[0].result, -MC_EINVAL);
    check("nested multicall: inner entry untouched", (long)small[2].result, 0xdeadbeef);
    check("entry after the nested one: result", (long)small[1].result, version);

    /* SCHEDOP_yield inside a batch: the batch goes on after it. */
    set_entry(&small[0], __HYPERVISOR_xen_version, XENVER_version, 0);
    set_entry(&small[1], __HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    set_entry(&small[2], __HYPERVISOR_xen_version, XENVER_version, 0);
    check("batch with yield: rc", multicall(small, 3), 0);
    check("batch with yield: results",
          (long)(small[0].result == (unsigned long)version && small[1].result == 0 &&
                 small[2].result == (unsigned long)version),
          1);
    set_entry(&small[0], __HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    check("batch ending in yield: rc", multicall(small, 1), 0);
    check("batch ending in yield: result", (long)small[0].result, 0);
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void big(long version)
{
    unsigned long good = 0;

    for (unsigned long i = 0; i < MC_BIG_BATCH; i++)
        set_entry(&big_batch[i], __HYPERVISOR_xen_version, XENVER_version, 0);
    printf("multicall: batch start (%d xen_version calls)\n", MC_BIG_BATCH);
    fflush(stdout);
    uint64_t t0 = rdtsc();
    long rc = multicall(big_batch, MC_BIG_BATCH);
    uint64_t t1 = rdtsc();
    printf("multicall: batch done: from tsc %" PRIu64 " to %" PRIu64 " (%" PRIu64 " cycles)\n", t0,
           t1, t1 - t0);
    for (unsigned long i = 0; i < MC_BIG_BATCH; i++)
        good += big_batch[i].result == (unsigned long)version;
    check("big batch: rc", rc, 0);
    check("big batch: results equal to xen_version", (long)good, MC_BIG_BATCH);
}

/* The other domain's part: print a tick every few million TSC cycles (a few ms), forever. */
static void ticker(void)
{
    uint64_t next = rdtsc();

    for (unsigned long n = 0;; n++) {
        while (rdtsc() < next)
            ;
        uint64_t now = rdtsc();
        printf("multicall: tick %lu at tsc %" PRIu64 "\n", n, now);
        fflush(stdout);
        next = now + 4000000;
    }
}

int main(void)
{
    if (!(start_info->flags & SIF_INITDOMAIN))
        ticker();

    long version = hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
    printf("multicall: xen_version %#lx\n", version);
    edge_cases(version);
    big(version);
    printf("multicall: result %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
