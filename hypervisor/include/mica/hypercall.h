/*
 * Hypercall dispatch and the handlers' prototypes. A handler takes the guest's argument
 * registers (xen.h: rdi, rsi, rdx, r10, r8, r9) and returns the value for rax: >= 0 for
 * success, -Exxx (Xen's values) for failure. Every handler checks every argument.
 */
#ifndef MICA_HYPERCALL_H
#define MICA_HYPERCALL_H

#include <arch/regs.h>
#include <mica/types.h>

typedef long (*hypercall_fn_t)(unsigned long a1, unsigned long a2, unsigned long a3,
                               unsigned long a4, unsigned long a5);

/** Run hypercall number @nr for the current vCPU with the arguments in @regs. */
long hypercall_dispatch(unsigned long nr, const struct cpu_regs *regs);

long do_console_io(unsigned long cmd, unsigned long count, unsigned long buffer, unsigned long a4,
                   unsigned long a5);
long do_xen_version(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                    unsigned long a5);
long do_sched_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                 unsigned long a5);
long do_vm_assist(unsigned long cmd, unsigned long type, unsigned long a3, unsigned long a4,
                  unsigned long a5);
long do_memory_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                  unsigned long a5);
long do_update_va_mapping(unsigned long va, unsigned long val, unsigned long flags,
                          unsigned long a4, unsigned long a5);

#endif /* MICA_HYPERCALL_H */
