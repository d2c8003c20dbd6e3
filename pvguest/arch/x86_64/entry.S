/*
 * Entry points the hypervisor bounces to: the exception handlers of the
 * trap table (set_trap_table), the event callback and the failsafe callback
 * (callback.h, CALLBACKTYPE_event / _failsafe), and the way back to the
 * interrupted code through HYPERVISOR_iret.
 *
 * On entry the hypervisor has pushed a PV64 bounce frame on the kernel stack
 * (arch-x86/xen-x86_64.h; Xen's create_bounce_frame): from the new RSP up,
 * RCX, R11, [error code,] RIP, CS, RFLAGS, RSP, SS. Events are masked
 * (vcpu_info.evtchn_upcall_mask = 1) for the event callback, and for the
 * exceptions whose trap_info asks for it. Each stub
 *   1. pops RCX and R11 back into their registers (the bounce frame is then
 *      shaped like a hardware interrupt frame),
 *   2. pushes a zero error code where the vector has none, and its vector
 *      number,
 *   3. jumps to entry_common, which saves the other registers as a struct
 *      pt_regs (arch/regs.h), saves the FPU/SSE state (the interrupted code
 *      may be in the middle of SSE work and C handlers may use SSE), and
 *      calls trap_entry(regs) in C on a 16-byte aligned stack.
 * When trap_entry returns, entry_common restores everything and returns with
 * HYPERVISOR_iret: it leaves RIP, CS, RFLAGS, RSP, SS on the stack, pushes
 * the iret_context flags word (0: restore RAX, R11 and RCX, not
 * VGCF_in_syscall) and jumps to the hypercall page's iret stub, which pushes
 * RCX, R11 and RAX itself (xen-x86_64.h, struct iret_context). The
 * hypervisor restores the event upcall mask from the saved RFLAGS.IF, so
 * the return re-enables events atomically; an event that became pending
 * meanwhile is delivered right after it.
 *
 * Linux returns directly with iretq when it can; this kernel always uses
 * HYPERVISOR_iret, which is simpler and cannot lose an event.
 */
#include <xen/xen.h>

#define VECTOR_EVENT    256
#define VECTOR_FAILSAFE 257

    .text

/* exception_stub VEC, HAS_ERROR_CODE: entry point exception_VEC. */
.macro exception_stub vec:req, has_error_code:req
    .globl exception_\vec
    .type exception_\vec, @function
exception_\vec:
    pop %rcx
    pop %r11
    .if \has_error_code == 0
    push $0
    .endif
    push $\vec
    jmp entry_common
    .size exception_\vec, . - exception_\vec
.endm

    exception_stub 0, 0     /* #DE */
    exception_stub 1, 0     /* #DB */
    exception_stub 3, 0     /* #BP */
    exception_stub 4, 0     /* #OF */
    exception_stub 5, 0     /* #BR */
    exception_stub 6, 0     /* #UD */
    exception_stub 7, 0     /* #NM */
    exception_stub 10, 1    /* #TS */
    exception_stub 11, 1    /* #NP */
    exception_stub 12, 1    /* #SS */
    exception_stub 13, 1    /* #GP */
    exception_stub 14, 1    /* #PF */
    exception_stub 16, 0    /* #MF */
    exception_stub 17, 1    /* #AC */
    exception_stub 19, 0    /* #XM */

/* The event callback (CALLBACKTYPE_event): events are masked on entry. */
    .globl hypervisor_callback
    .type hypervisor_callback, @function
hypervisor_callback:
    pop %rcx
    pop %r11
    push $0
    push $VECTOR_EVENT
    jmp entry_common
    .size hypervisor_callback, . - hypervisor_callback

/*
 * The failsafe callback (CALLBACKTYPE_failsafe): the hypervisor could not
 * load a data segment selector while returning to us. Its frame has DS, ES,
 * FS and GS between R11 and RIP, so the pt_regs fields from `rip` on hold
 * DS, ES, FS, GS, RIP, ...; trap_entry reports it and crashes the domain
 * and never returns here.
 */
    .globl failsafe_callback
    .type failsafe_callback, @function
failsafe_callback:
    pop %rcx
    pop %r11
    push $0
    push $VECTOR_FAILSAFE
    jmp entry_common
    .size failsafe_callback, . - failsafe_callback

    .type entry_common, @function
entry_common:
    /* struct pt_regs, from rdi down to r15 (arch/regs.h). */
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rax
    push %r8
    push %r9
    push %r10
    push %r11
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rbx                  /* the pt_regs; rbx survives the call */
    and $-16, %rsp                  /* the SysV ABI and FXSAVE want 16 bytes */
    sub $512, %rsp
    fxsave64 (%rsp)
    mov %rbx, %rdi
    cld
    call trap_entry
    fxrstor64 (%rsp)
    mov %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rax
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
    add $16, %rsp                   /* vector, error code */
    push $0                         /* iret_context.flags */
    jmp hypercall_page + __HYPERVISOR_iret * 32
    .size entry_common, . - entry_common
