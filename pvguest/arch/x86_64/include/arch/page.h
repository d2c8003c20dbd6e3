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

/* Four-level paging: 512 entries per table; level 1 maps 4 KiB pages, level 4 is the root. */
/** Number of page-table levels. */
#define PT_LEVELS 4
/** Entries per page-table page. */
#define PT_ENTRIES 512
/** log2 of the bytes one entry of a level-`level` table covers (12, 21, 30, 39). */
#define PT_SHIFT(level) (PAGE_SHIFT + 9 * ((level)-1))
/** Index of virtual address `va` in its level-`level` table. */
#define PT_INDEX(va, level) (((unsigned long)(va) >> PT_SHIFT(level)) & (PT_ENTRIES - 1))

/* Page-fault error code bits (SDM vol. 3, 4.7 "Page-Fault Exceptions"). */
#define PF_PRESENT 0x01UL /* the page was present (a protection fault) */
#define PF_WRITE   0x02UL /* the access was a write */
#define PF_USER    0x04UL /* user mode (a PV hypervisor clears it for the guest kernel) */
#define PF_RSVD    0x08UL /* a reserved bit was set in an entry */
#define PF_INSTR   0x10UL /* an instruction fetch */

/** A read-only data mapping of the guest kernel (page tables, read-only pages). */
#define PTE_KERNEL_RO (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
/** Flags of an L2-L4 entry pointing at a lower table (the leaf decides the rights). */
#define PTE_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)

#endif /* PVGUEST_ARCH_PAGE_H */
