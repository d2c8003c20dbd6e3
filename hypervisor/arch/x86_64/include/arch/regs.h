/*
 * The register frame every exception and interrupt entry saves (entry.S), lowest address
 * first. The last five are the hardware's long-mode interrupt frame (SDM Vol 3A §6.14.2).
 */
#ifndef ARCH_REGS_H
#define ARCH_REGS_H

#include <mica/types.h>

struct cpu_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi;
    uint64_t vector;     /* pushed by the entry stub */
    uint64_t error_code; /* pushed by the CPU, or 0 by the stub for vectors without one */
    uint64_t rip, cs, rflags, rsp, ss;
};

/* Pseudo-vectors in struct cpu_regs.vector (entry.S): a frame built by SYSCALL (from 64-bit
   and from compatibility mode), which return_to_guest may leave with SYSRET, and one that must
   be left with IRETQ because every register matters (the iret hypercall's full context). */
#define SYSCALL_FRAME_VECTOR   0x100
#define SYSCALL32_FRAME_VECTOR 0x101
#define IRET_FRAME_VECTOR      0x102

/** True if the frame was interrupted in ring 3 (a guest), not in the hypervisor. */
static inline bool regs_from_guest(const struct cpu_regs *regs)
{
    return (regs->cs & 3) == 3;
}

#endif /* ARCH_REGS_H */
