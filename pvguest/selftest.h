/*
 * Self-tests of the guest kernel, chosen on its command line with
 * `test=NAME` (docs/pvguest.md lists them). Each prints lines starting
 * with "pvguest: " and a last line saying whether it passed.
 */
#ifndef PVGUEST_SELFTEST_H
#define PVGUEST_SELFTEST_H

/**
 * Run self-test `name`: "events" (event channels, timers, threads, time of
 * day), "block" (one SCHEDOP_block woken by a timer), "pagefault" or "gp" (a deliberate fault: the
 * exception handler reports it and crashes the domain, so these do not return). Returns 0 if the
 * test passed, 1 if it failed, -1 for an unknown name.
 */
int selftest_run(const char *name);

#endif /* PVGUEST_SELFTEST_H */
