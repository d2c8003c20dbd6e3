/*
 * x86-64 hypercall calling convention of a Xen PV guest.
 *
 * A hypercall is a `call` into the hypercall page, which the hypervisor fills
 * with one 32-byte stub per hypercall number (xen.h: "hypercall_page"; the
 * ELF note XEN_ELFNOTE_HYPERCALL_PAGE tells the hypervisor where it is).
 * Arguments go in rdi, rsi, rdx, r10, r8; the result comes back in rax
 * (arch-x86/xen-x86_64.h, "Hypercall calling convention"). The stubs keep
 * rcx and r11, but a hypervisor may scribble on argument registers a
 * hypercall does not use (Xen's debug builds do), so every argument
 * register is treated as clobbered.
 */
#ifndef PVGUEST_ARCH_HYPERCALL_H
#define PVGUEST_ARCH_HYPERCALL_H

/** The hypercall page: 4096 bytes in .text, filled by the hypervisor at domain build. */
extern char hypercall_page[4096];

/** Size in bytes of one hypercall stub in the hypercall page (Xen ABI). */
#define HYPERCALL_STUB_SIZE 32

/*
 * hypercall0()..hypercall5(): issue hypercall `nr` with 0-5 register-sized
 * arguments. Return the hypervisor's result: >= 0 on success, or a negated
 * Xen error code (xen/errno.h), e.g. -ENOSYS for an unknown `nr`.
 */

#define HYPERCALL_CLOBBERS "memory", "rcx", "r11"

/** Hypercall `nr` with no argument. */
static inline long hypercall0(unsigned int nr)
{
    register unsigned long rdi __asm__("rdi");
    register unsigned long rsi __asm__("rsi");
    register unsigned long rdx __asm__("rdx");
    register unsigned long r10 __asm__("r10");
    register unsigned long r8 __asm__("r8");
    long ret;

    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "=r"(rdi), "=r"(rsi), "=r"(rdx), "=r"(r10), "=r"(r8)
                     : [stub] "r"(hypercall_page + nr * HYPERCALL_STUB_SIZE)
                     : HYPERCALL_CLOBBERS);
    return ret;
}

/** Hypercall `nr` with one argument (rdi). */
static inline long hypercall1(unsigned int nr, unsigned long a1)
{
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi");
    register unsigned long rdx __asm__("rdx");
    register unsigned long r10 __asm__("r10");
    register unsigned long r8 __asm__("r8");
    long ret;

    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+r"(rdi), "=r"(rsi), "=r"(rdx), "=r"(r10), "=r"(r8)
                     : [stub] "r"(hypercall_page + nr * HYPERCALL_STUB_SIZE)
                     : HYPERCALL_CLOBBERS);
    return ret;
}

/** Hypercall `nr` with two arguments (rdi, rsi). */
static inline long hypercall2(unsigned int nr, unsigned long a1, unsigned long a2)
{
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    register unsigned long rdx __asm__("rdx");
    register unsigned long r10 __asm__("r10");
    register unsigned long r8 __asm__("r8");
    long ret;

    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "=r"(rdx), "=r"(r10), "=r"(r8)
                     : [stub] "r"(hypercall_page + nr * HYPERCALL_STUB_SIZE)
                     : HYPERCALL_CLOBBERS);
    return ret;
}

/** Hypercall `nr` with three arguments (rdi, rsi, rdx). */
static inline long hypercall3(unsigned int nr, unsigned long a1, unsigned long a2, unsigned long a3)
{
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    register unsigned long rdx __asm__("rdx") = a3;
    register unsigned long r10 __asm__("r10");
    register unsigned long r8 __asm__("r8");
    long ret;

    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "=r"(r10), "=r"(r8)
                     : [stub] "r"(hypercall_page + nr * HYPERCALL_STUB_SIZE)
                     : HYPERCALL_CLOBBERS);
    return ret;
}

/** Hypercall `nr` with four arguments (rdi, rsi, rdx, r10). */
static inline long hypercall4(unsigned int nr, unsigned long a1, unsigned long a2, unsigned long a3,
                              unsigned long a4)
{
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    register unsigned long rdx __asm__("rdx") = a3;
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8");
    long ret;

    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "=r"(r8)
                     : [stub] "r"(hypercall_page + nr * HYPERCALL_STUB_SIZE)
                     : HYPERCALL_CLOBBERS);
    return ret;
}

/** Hypercall `nr` with five arguments (rdi, rsi, rdx, r10, r8). */
static inline long hypercall5(unsigned int nr, unsigned long a1, unsigned long a2, unsigned long a3,
                              unsigned long a4, unsigned long a5)
{
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    register unsigned long rdx __asm__("rdx") = a3;
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    long ret;

    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
                     : [stub] "r"(hypercall_page + nr * HYPERCALL_STUB_SIZE)
                     : HYPERCALL_CLOBBERS);
    return ret;
}

#endif /* PVGUEST_ARCH_HYPERCALL_H */
