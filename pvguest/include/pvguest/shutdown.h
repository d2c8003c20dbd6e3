/*
 * Domain shutdown (sched.h, SCHEDOP_shutdown) and the names of its reasons
 * (xen.h, SHUTDOWN_*).
 */
#ifndef PVGUEST_SHUTDOWN_H
#define PVGUEST_SHUTDOWN_H

/**
 * Shut this domain down with `reason` (SHUTDOWN_poweroff, _reboot, _crash,
 * ...). Does not return: if the hypercall fails, retries with
 * SHUTDOWN_crash, then yields forever.
 */
void guest_shutdown(unsigned int reason) __attribute__((noreturn));

/** Name of a SHUTDOWN_* reason ("poweroff", "reboot", ...), or "unknown". */
const char *shutdown_reason_name(unsigned int reason);

/**
 * Parse a reason name (as printed by shutdown_reason_name) into *reason.
 * Returns 0, or -1 if the name is not a SHUTDOWN_* reason.
 */
int shutdown_reason_parse(const char *name, unsigned int *reason);

#endif /* PVGUEST_SHUTDOWN_H */
