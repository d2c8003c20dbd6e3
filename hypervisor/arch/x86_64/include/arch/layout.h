/*
 * mica's virtual address layout on x86-64. Everything lives in the L4 slots 256-271 that
 * Xen's PV ABI reserves for the hypervisor (xen-x86_64.h HYPERVISOR_VIRT_START/END), at the
 * addresses Xen itself uses, so a PV guest owns the rest of the address space as under Xen.
 *
 *   0xffff800000000000  slot 256   read-only M2P table for guests (MACH2PHYS_VIRT_START)
 *   0xffff820000000000  slot 260   GDT area: the running vCPU's GDT frames, then the
 *                                  hypervisor's GDT page (gdt.c; Xen's per-domain GDT slot)
 *   0xffff82c000000000  slot 261   ioremap area (MMIO: LAPIC, IOAPIC, ...)
 *   0xffff82d080000000  slot 261   hypervisor image (text at +2 MiB, as in Xen)
 *   0xffff830000000000  slots 262-271  direct map of all machine memory (5 TiB)
 *
 * Usable from assembly.
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#define HV_VIRT_OFFSET       0xffff82d080000000 /* image VA = PA + this */
#define HV_PHYS_START        0x200000           /* where the image is loaded, bytes */
#define IOREMAP_VIRT_START   0xffff82c000000000
#define IOREMAP_VIRT_END     0xffff82c040000000 /* 1 GiB of MMIO mappings */
#define DIRECTMAP_VIRT_START 0xffff830000000000
#define DIRECTMAP_VIRT_END   0xffff880000000000
#define RO_MPT_VIRT_START    0xffff800000000000
#define RO_MPT_VIRT_END      0xffff804000000000
#define GDT_VIRT_START       0xffff820000000000 /* (FIRST_RESERVED_GDT_PAGE + 1) pages */

#define HV_L4_SLOT_FIRST 256
#define HV_L4_SLOT_LAST  271

#define STACK_SIZE     (32 * 1024) /* the CPU's hypervisor stack, bytes */
#define IST_STACK_SIZE (8 * 1024)  /* each #DF/NMI/#MC stack, bytes */

#ifndef __ASSEMBLY__
#include <mica/types.h>

/** Hypervisor virtual address of machine address @pa through the direct map. */
static inline void *maddr_to_virt(paddr_t pa)
{
    return (void *)(pa + DIRECTMAP_VIRT_START);
}

/** Machine address of a direct-map or image virtual address. */
static inline paddr_t virt_to_maddr(const void *va)
{
    vaddr_t v = (vaddr_t)va;
    if (v >= HV_VIRT_OFFSET && v < HV_VIRT_OFFSET + 0x40000000UL)
        return v - HV_VIRT_OFFSET;
    return v - DIRECTMAP_VIRT_START;
}
#endif

#endif /* ARCH_LAYOUT_H */
