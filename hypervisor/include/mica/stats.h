/*
 * Measurement counters in one place (DESIGN.md §2.5; issue 8 "Seeing inside").
 *
 * The counters themselves stay where the work is done: hypercalls by number and event
 * counters in struct domain, page-table and grant counters in mm_counters, ptwr_counters and
 * gnttab_counters (one set for the machine), the per-CPU ones below. common/stats.c gathers them
 * into the public structures of <public/mica_stats.h> for HYPERVISOR_mica_stats_op and the `c`
 * debug key.
 *
 * The machine-wide page-table counters are attributed to domains by difference: at every
 * change of the running domain (stats_schedule(), stats_idle_begin()) what they grew by since
 * the last change is added to the domain that was running. mica is uniprocessor and does
 * page-table and grant work only for the running domain (or at boot, for no domain), so this
 * is exact for hypercalls and write faults and costs nothing in mm.c or grant_table.c. (A
 * dying domain's teardown counts for the domain that was running when it died.)
 */
#ifndef MICA_STATS_H
#define MICA_STATS_H

#include <mica/types.h>
#include <public/mica_stats.h>

struct domain;
struct vcpu;

/** One physical CPU's counters (mica is uniprocessor: cpu_stats is CPU 0's). */
struct cpu_stats {
    uint64_t context_switches; /* the running vCPU (or idle) changed */
    uint64_t idle_entries;     /* the CPU went idle */
    uint64_t idle_ns;          /* ns spent idle, up to the last change */
    uint64_t timer_interrupts; /* LAPIC timer interrupts */
    uint64_t hypercalls;       /* hypercalls dispatched */
    uint64_t debug_keys;       /* debug keys handled */
};
extern struct cpu_stats cpu_stats;

/** Count one LAPIC timer interrupt (common/timer.c). */
static inline void stats_timer_interrupt(void)
{
    cpu_stats.timer_interrupts++;
}

/** Count one hypercall dispatched (common/hypercall.c). */
static inline void stats_hypercall(void)
{
    cpu_stats.hypercalls++;
}

/**
 * schedule() gives the CPU to @next (never NULL): account the time and page-table work of
 * whatever ran before, count a context switch if @next's domain is not the one that ran
 * last (idle counts as another), and write a context-switch trace record.
 */
void stats_schedule(const struct vcpu *next);

/**
 * schedule() found nothing runnable and is about to halt. The first call after a vCPU ran
 * counts an idle entry and starts the idle clock; further calls while idle do nothing.
 */
void stats_idle_begin(void);

/**
 * Fill @out (whose domid and version the caller set) with @d's counters in the layout of
 * out->version. Returns 0, or -EINVAL for a version this hypervisor does not know.
 */
int stats_read_domain(const struct domain *d, struct mica_stats_domain *out);

/** Fill @out with CPU 0's counters (out->cpu and version set). Returns 0 or -EINVAL. */
int stats_read_cpu(struct mica_stats_cpu *out);

/** Zero @d's counters (hypercalls, events, attributed page-table work, slices, run time). */
void stats_reset_domain(struct domain *d);

/** Zero the per-CPU counters. */
void stats_reset_cpu(void);

/** Print CPU 0's counters and those of every domain (the `c` debug key), at any log level. */
void stats_print_all(void);

/**
 * HYPERVISOR_mica_stats_op(cmd, arg): hypercall 55 (<public/mica_stats.h>, docs/abi.md).
 * Returns MICA_STATS_VERSION for MICA_STATSOP_version, 0 for the others on success;
 * -EFAULT, -EINVAL (version), -EPERM (another domain's counters or a reset without
 * privilege), -ESRCH (no such domain), -ENOENT (no such CPU), -ENOSYS (unknown cmd).
 */
long do_mica_stats_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                      unsigned long a5);

#endif /* MICA_STATS_H */
