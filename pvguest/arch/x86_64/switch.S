/*
 * Cooperative thread switch (core/sched.c). A thread that gives up the CPU
 * saves the registers the SysV x86-64 ABI makes callee-saved (RBX, RBP,
 * R12-R15) on its own stack and records its stack pointer; the thread
 * switched to pops its own and returns into its own call of
 * arch_switch_stack. The caller-saved registers, including every XMM
 * register, need no saving: the switch is an ordinary function call. The
 * x87 control word and MXCSR, also callee-saved, are never changed by this
 * kernel, so they stay as they are.
 */
    .text

/* void arch_switch_stack(unsigned long *prev_sp, unsigned long next_sp) */
    .globl arch_switch_stack
    .type arch_switch_stack, @function
arch_switch_stack:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size arch_switch_stack, . - arch_switch_stack

/*
 * First code of a new thread: arch_thread_init_stack() left the C entry in
 * R12 and its argument in R13, and a 16-byte aligned stack. The entry does
 * not return.
 */
    .globl arch_thread_trampoline
    .type arch_thread_trampoline, @function
arch_thread_trampoline:
    mov %r13, %rdi
    xor %ebp, %ebp                  /* end of the frame-pointer chain */
    call *%r12
    ud2
    .size arch_thread_trampoline, . - arch_thread_trampoline
