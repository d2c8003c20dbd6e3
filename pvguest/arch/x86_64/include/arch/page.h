/*
 * x86-64 paging constants for the PV guest: page size and page-table entry
 * bits (Intel SDM vol. 3, 4.5 "4-Level Paging"). A PV guest writes PTEs
 * whose frame field holds a machine frame number (MFN), not a pseudo-
 * physical one (xen.h, "page-table updates").
 */
#ifndef PVGUEST_ARCH_PAGE_H
#define PVGUEST_ARCH_PAGE_H

/** log2 of the page size. */
#define PAGE_SHIFT 12
/** Page size in bytes. */
#define PAGE_SIZE (1UL << PAGE_SHIFT)
/** Mask that clears the offset within a page. */
#define PAGE_MASK (~(PAGE_SIZE - 1))

/* PTE flag bits (SDM vol. 3, table 4-19). */
#define _PAGE_PRESENT  0x001UL
#define _PAGE_RW       0x002UL
#define _PAGE_USER     0x004UL
#define _PAGE_PWT      0x008UL
#define _PAGE_PCD      0x010UL
#define _PAGE_ACCESSED 0x020UL
#define _PAGE_DIRTY    0x040UL
#define _PAGE_PSE      0x080UL
#define _PAGE_GLOBAL   0x100UL
#define _PAGE_NX       (1UL << 63)

/** Mask of the frame-number field of a PTE (bits 12-51). */
#define PTE_FRAME_MASK 0x000ffffffffff000UL

/*
 * Flags of a writable data mapping in the guest kernel. 64-bit PV kernels
 * run in ring 3, so their pages are user pages; Xen adds _PAGE_USER itself
 * to a 64-bit PV guest's kernel mappings, and setting it here makes the
 * entry mean the same on a hypervisor that does not.
 */
#define PTE_KERNEL_RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)

#endif /* PVGUEST_ARCH_PAGE_H */
