/* Control registers, MSRs and CPU instructions (Intel SDM Vol 3A §2.5, Vol 4). */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <mica/types.h>

#define X86_CR0_TS         (1UL << 3)
#define X86_CR0_WP         (1UL << 16)
#define X86_CR4_PGE        (1UL << 7)
#define X86_CR4_OSFXSR     (1UL << 9)
#define X86_CR4_OSXMMEXCPT (1UL << 10)
#define X86_CR4_FSGSBASE   (1UL << 16)
#define X86_CR4_OSXSAVE    (1UL << 18)
#define X86_CR4_SMEP       (1UL << 20)

#define MSR_EFER           0xc0000080
#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_CSTAR          0xc0000083
#define MSR_FMASK          0xc0000084
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_APIC_BASE      0x1b
#define MSR_PAT            0x277
/* PAT0..7 = WB, WT, UC-, UC, WC, WP, UC, UC: the layout xen.h documents (Xen's XEN_MSR_PAT). */
#define XEN_PV_PAT 0x0000050100070406ULL
#define EFER_SCE   (1UL << 0)
#define EFER_NXE   (1UL << 11)

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR_ACCESSORS(n)                                                                     \
    static inline unsigned long read_cr##n(void)                                                   \
    {                                                                                              \
        unsigned long v;                                                                           \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                          \
        return v;                                                                                  \
    }                                                                                              \
    static inline void write_cr##n(unsigned long v)                                                \
    {                                                                                              \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                                 \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

/** CPUID leaf @leaf, subleaf @sub. */
static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
                               uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

static inline void local_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

static inline void local_irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}

static inline void halt(void)
{
    __asm__ volatile("hlt" ::: "memory");
}

static inline void invlpg(const void *va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/** Flush every TLB entry, global ones included (toggle CR4.PGE, SDM Vol 3A §4.10.4.1). */
static inline void flush_tlb_all(void)
{
    unsigned long cr4 = read_cr4();
    write_cr4(cr4 & ~X86_CR4_PGE);
    write_cr4(cr4);
}

#endif /* ARCH_CPU_H */
