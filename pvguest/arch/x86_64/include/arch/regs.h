/*
 * The register frame the guest's entry code (arch/x86_64/entry.S) saves for
 * an exception, an event upcall or the failsafe callback.
 *
 * The hypervisor delivers each of them through a PV64 bounce frame on the
 * guest kernel stack (arch-x86/xen-x86_64.h; Xen's create_bounce_frame):
 * from the new RSP up, RCX, R11, [error code,] RIP, CS, RFLAGS, RSP, SS,
 * with the vCPU's previous event upcall mask in bits 32-39 of the CS word.
 * The entry code reloads RCX and R11 from it, inserts a zero error code
 * where there is none, adds the vector number and pushes the other general
 * registers, so every handler sees the same struct pt_regs. The FPU/SSE
 * state is saved separately (FXSAVE) below the frame.
 */
#ifndef PVGUEST_ARCH_REGS_H
#define PVGUEST_ARCH_REGS_H

#include <stdint.h>

/** Vector number entry.S gives an event upcall (not an exception vector). */
#define VECTOR_EVENT 256UL
/** Vector number entry.S gives the failsafe callback. */
#define VECTOR_FAILSAFE 257UL

/** Saved registers, lowest address first (the order entry.S pushes them in reverse). */
struct pt_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx;
    uint64_t r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    uint64_t vector;     /* exception vector 0-31, VECTOR_EVENT or VECTOR_FAILSAFE */
    uint64_t error_code; /* the hardware error code, 0 for vectors without one */
    /* The interrupted context, as the hypervisor's bounce frame gave it. */
    uint64_t rip;
    uint64_t cs; /* selector in bits 0-15; saved event upcall mask in bits 32-39 */
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};

/** The selector part of a saved CS word. */
static inline uint16_t pt_regs_cs(const struct pt_regs *regs)
{
    return (uint16_t)regs->cs;
}

/** The event upcall mask the vCPU had when this frame was delivered (xen-x86_64.h). */
static inline uint8_t pt_regs_saved_upcall_mask(const struct pt_regs *regs)
{
    return (uint8_t)(regs->cs >> 32);
}

#endif /* PVGUEST_ARCH_REGS_H */
