/*
 * The architecture's half of cooperative threads (core/sched.c): switching
 * stacks (arch/x86_64/switch.S) and the initial stack of a new thread.
 */
#ifndef PVGUEST_ARCH_THREAD_H
#define PVGUEST_ARCH_THREAD_H

#include <stdint.h>

/**
 * Save the callee-saved registers on the current stack, store the stack
 * pointer in *prev_sp, and continue on the stack `next_sp` (saved by an
 * earlier call, or prepared by arch_thread_init_stack). Returns when some
 * thread switches back to *prev_sp.
 */
void arch_switch_stack(unsigned long *prev_sp, unsigned long next_sp);

/** First code a new thread runs (switch.S): calls entry(arg) from R12/R13. */
void arch_thread_trampoline(void);

/**
 * Prepare the stack [stack, stack + size) so that the first
 * arch_switch_stack() to the returned stack pointer calls entry(arg), with
 * the SysV ABI's 16-byte stack alignment. `entry` must not return.
 */
static inline unsigned long arch_thread_init_stack(void *stack, unsigned long size,
                                                   void (*entry)(void *), void *arg)
{
    /* The trampoline starts with RSP = top - 16, a multiple of 16, as a call needs. */
    uint64_t *sp = (uint64_t *)(((uintptr_t)stack + size) & ~(uintptr_t)15) - 2;

    sp[0] = 0;
    sp[1] = 0;
    *--sp = (uint64_t)(uintptr_t)arch_thread_trampoline; /* popped by ret */
    *--sp = 0;                                           /* rbp */
    *--sp = 0;                                           /* rbx */
    *--sp = (uint64_t)(uintptr_t)entry;                  /* r12 */
    *--sp = (uint64_t)(uintptr_t)arg;                    /* r13 */
    *--sp = 0;                                           /* r14 */
    *--sp = 0;                                           /* r15 */
    return (unsigned long)sp;
}

#endif /* PVGUEST_ARCH_THREAD_H */
