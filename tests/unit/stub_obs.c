/*
 * Stand-ins for the observability hooks (issue 8: counters, trace points, debug keys) in the
 * hypervisor files the unit tests link (hypercall.c, sched.c, timer.c, event_channel.c,
 * mm.c, pv_traps.c): tracing off, counters that nobody reads, mica_stats_op refusing. Linked
 * into every unit test; all weak, so a test that links stats.c, trace.c or debug_keys.c gets
 * the real ones (test_stats, test_trace, test_keyhandler test those).
 */
#include <mica/errno.h>
#include <mica/keyhandler.h>
#include <mica/stats.h>
#include <mica/trace.h>

__attribute__((weak)) bool trace_on;
__attribute__((weak)) struct cpu_stats cpu_stats;

__attribute__((weak)) void trace_put(unsigned int type, unsigned int domid, uint32_t c, uint64_t a,
                                     uint64_t b)
{
}

__attribute__((weak)) uint64_t trace_total(void)
{
    return 0;
}

__attribute__((weak)) void stats_schedule(const struct vcpu *next)
{
}

__attribute__((weak)) void stats_idle_begin(void)
{
}

__attribute__((weak)) long do_mica_stats_op(unsigned long cmd, unsigned long arg, unsigned long a3,
                                            unsigned long a4, unsigned long a5)
{
    return -ENOSYS;
}

__attribute__((weak)) void debug_keys_register(void)
{
}
