/* Exceptions and interrupts in the hypervisor. */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <arch/regs.h>

/** Handler of one IDT vector >= 32 (an interrupt). Runs with interrupts disabled. */
typedef void (*irq_handler_t)(struct cpu_regs *regs);

/** Route interrupt vector @vector (32..255) to @handler. */
void set_irq_handler(unsigned int vector, irq_handler_t handler);

/** Called by entry.S for every vector with the saved registers. */
void do_trap(struct cpu_regs *regs);

/**
 * Print the registers of @regs (or, with @regs NULL, of the caller) and a frame-pointer
 * backtrace starting at @regs' rbp, at error level.
 */
void show_registers_and_backtrace(const struct cpu_regs *regs);

/** Trigger a fault on purpose for the `debug_fault=` test option (ud, pf, gp, de). */
int debug_fault_trigger(const char *kind);

#endif /* ARCH_TRAPS_H */
