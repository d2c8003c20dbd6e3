/*
 * The CPUID a PV guest sees through Xen's forced-emulation prefix (XEN_CPUID in
 * arch-x86/xen.h: ud2; .ascii "xen"; cpuid). QEMU's TCG has no CPUID faulting, so a plain
 * cpuid reaches the emulated CPU on mica and on Xen alike (docs/abi.md).
 * Hypervisor leaves from arch-x86/cpuid.h.
 */
#include <arch/cpu.h>
#include <arch/guest.h>
#include <xen/arch-x86/cpuid.h>

#define MICA_MAX_HV_LEAF       XEN_CPUID_LEAF(2)
#define XEN_MSR_HYPERCALL_BASE 0x40000000

enum { EAX, EBX, ECX, EDX };

void guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;

    /* The hypervisor range: mica's leaves, zeroes for the rest (never the CPU's answer). */
    if (leaf >= XEN_CPUID_FIRST_LEAF && leaf < 0x50000000) {
        switch (leaf) {
        case XEN_CPUID_LEAF(0):
            out[EAX] = MICA_MAX_HV_LEAF;
            out[EBX] = XEN_CPUID_SIGNATURE_EBX;
            out[ECX] = XEN_CPUID_SIGNATURE_ECX;
            out[EDX] = XEN_CPUID_SIGNATURE_EDX;
            break;
        case XEN_CPUID_LEAF(1):
            out[EAX] = (4 << 16) | 17; /* the Xen interface version mica implements */
            break;
        case XEN_CPUID_LEAF(2):
            out[EAX] = 1; /* hypercall pages */
            out[EBX] = XEN_MSR_HYPERCALL_BASE;
            break;
        }
        return;
    }

    /* A leaf above the CPU's maximum would return its highest basic leaf's data (SDM Vol 2A
       CPUID): out-of-range leaves read as zeroes, as Xen's policy gives them. */
    uint32_t max[4];
    cpuid_count(leaf & 0x80000000, 0, &max[EAX], &max[EBX], &max[ECX], &max[EDX]);
    if (leaf > max[EAX])
        return;
    cpuid_count(leaf, subleaf, &out[EAX], &out[EBX], &out[ECX], &out[EDX]);
    switch (leaf) {
    case 1:
        /* Hidden: VMX (5), PCID (17), x2APIC (21), TSC-deadline (24), XSAVE (26), OSXSAVE (27),
           AVX (28) and what needs AVX state, FMA (12) and F16C (29), and MONITOR (3): none is
           virtualized. XCR0 stays x87|SSE. */
        out[ECX] &= ~((1u << 3) | (1u << 5) | (1u << 12) | (1u << 17) | (1u << 21) | (1u << 24) |
                      (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29));
        out[ECX] |= 1u << 31; /* running on a hypervisor */
        /* As Xen for PV guests: no PSE (3), PGE (13) or PSE-36 (17): guest page tables take
           neither superpages nor (architecturally) global pages. */
        out[EDX] &= ~((1u << 3) | (1u << 13) | (1u << 17));
        break;
    case 7:
        if (subleaf == 0) {
            /* Hidden: AVX2 (5), INVPCID (10), AVX-512 (16-17, 21, 26-28, 30-31), FSGSBASE (0),
               which the hypervisor does not enable for guests, and SMEP (7), a hypervisor
               feature (Xen hides it too). */
            out[EBX] &=
                ~((1u << 0) | (1u << 5) | (1u << 7) | (1u << 10) | (1u << 16) | (1u << 17) |
                  (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31));
            out[ECX] = 0;
            out[EDX] = 0;
        }
        break;
    case 0xd: /* XSAVE state enumeration: no XSAVE offered */
        out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;
        break;
    }
}
