/*
 * Self-tests of the guest kernel, chosen on its command line with
 * `test=NAME` (docs/pvguest.md lists them). Each prints lines starting
 * with "pvguest: " and a last line saying whether it passed.
 */
#ifndef PVGUEST_SELFTEST_H
#define PVGUEST_SELFTEST_H

/**
 * Run self-test `name`: "events" (event channels, timers, threads, time of
 * day), "block" (one SCHEDOP_block woken by a timer), "mm" (memory management),
 * "pagefault", "gp" or "rowrite" (a deliberate fault: the exception handler reports it and
 * crashes the domain, so these do not return). Returns 0 if the test passed, 1 if it failed, -1
 * for an unknown name.
 */
int selftest_run(const char *name);

/** test=mm (selftest_mm.c): page allocator, page tables, heap, lazy areas, batches. 0 or 1. */
int selftest_mm(void);

/** test=ahci (selftest_ahci.c): the AHCI driver on a scratch disk. 0 or 1. */
int selftest_ahci(void);

/** test=netback|netfront|netfront-hostile (selftest_netif.c, issue 11): 0, 1, or -1 (unknown). */
int selftest_netif(const char *name);

/** test=rowrite: write to a page mapped read-only; the fault is fatal. Returns 1 if not. */
int selftest_mm_rowrite(void);

#endif /* PVGUEST_SELFTEST_H */
