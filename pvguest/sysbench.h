/*
 * test=hello (issue 13; docs/benchmarks.md "Memory" and "Boot"): the smallest guest that
 * answers. tools/mica-bench boots 1, 8 and 32 copies of it (domu_copies=) to count that all
 * answer and to read the hypervisor's footprint (debug key 'm') while they are all alive.
 */
#ifndef PVGUEST_SYSBENCH_H
#define PVGUEST_SYSBENCH_H

/**
 * Print `pvguest: hello: up at N ms` (N: vcpu system time, ms since the hypervisor's boot),
 * then stay alive, blocked, for `hold_s=` seconds (default 600) so that its state stays
 * allocated while the bench reads it. Returns 0.
 */
int hello_run(void);

#endif /* PVGUEST_SYSBENCH_H */
