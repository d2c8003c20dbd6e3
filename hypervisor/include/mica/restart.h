/*
 * Restarting a configured domain (issue 9; docs/bootcfg.md, "Restart"): a guest whose
 * configured action for its shutdown reason is "restart" is torn down as for "destroy", and
 * once every grant of it is unmapped (its backends saw VIRQ_DOM_EXC and their ports revert,
 * and unmapped) it is built again from its configuration: the same kernel module, boot
 * module, memory and command line, and its devices wired to the same grant references and
 * port numbers, so its backends reconnect from what they already know. At most
 * BOOTCFG_MAX_RESTARTS restarts per domain; after that "restart" means "destroy".
 */
#ifndef MICA_RESTART_H
#define MICA_RESTART_H

#include <mica/types.h>

struct domain;

/** Restarts allowed per domain over the machine's life. */
#define BOOTCFG_MAX_RESTARTS 3

/** How often a pending restart checks whether its old life is released, ns (10 ms). */
#define RESTART_POLL_NS 10000000ULL

/**
 * Whether @domid, whose action is "restart", may be restarted now: a configured guest (not
 * the driver domain) with restarts left. Prints the line saying so when the bound is reached.
 */
bool bootcfg_restart_allowed(domid_t domid);

/**
 * Build @domid again from the configuration and wire its devices (bootcfg_start.c). Its old
 * life must be gone from the domain table (domain.c). Stops the machine (panic) if the
 * domain cannot be built: its memory was there at boot.
 */
void bootcfg_restart(domid_t domid);

/**
 * Called by domain_shutdown() after tearing @d down: restart it once its grant table is
 * released (polled every RESTART_POLL_NS from a timer, so at a point where no hypercall is
 * in progress), then raise VIRQ_DOM_EXC so that backends look again.
 */
void domain_restart_when_released(struct domain *d);

#endif /* MICA_RESTART_H */
