/*
 * Exceptions and callbacks: the guest's virtual IDT (set_trap_table,
 * arch-x86/xen.h struct trap_info) and its event and failsafe callbacks
 * (callback.h). The entry code is arch/x86_64/entry.S.
 *
 * A page fault in a lazy area is served by the memory manager
 * (mm_handle_page_fault, pvguest/mm.h), and a fault of a memory probe
 * (arch/probe.h) makes the probe return -EFAULT. Every other exception is
 * fatal: the handler prints the vector, the error code (and for a page
 * fault CR2, from vcpu_info.arch.cr2 as the PV ABI passes it, and what the
 * address was) and the saved registers on the console with printk, then
 * shuts the domain down with SHUTDOWN_crash.
 */
#ifndef PVGUEST_TRAPS_H
#define PVGUEST_TRAPS_H

#include <arch/regs.h>

/**
 * Register the trap table, the event callback and the failsafe callback.
 * Events stay masked until events_init(). Returns 0, or the negated Xen
 * error code of the first hypercall that failed.
 */
long traps_init(void);

/**
 * C entry from entry.S for every exception, event upcall and failsafe
 * callback; dispatches on regs->vector. Returns for event upcalls, served
 * page faults and probe faults (the interrupted code then resumes).
 */
void trap_entry(struct pt_regs *regs);

#endif /* PVGUEST_TRAPS_H */
