/*
 * The hypervisor's own page tables (4-level paging, Intel SDM Vol 3A §4.5): a direct map of
 * machine memory, the image mapped with W^X permissions, and an ioremap area for MMIO.
 */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <mica/types.h>

#define _PAGE_PRESENT  (1UL << 0)
#define _PAGE_RW       (1UL << 1)
#define _PAGE_USER     (1UL << 2)
#define _PAGE_PWT      (1UL << 3)
#define _PAGE_PCD      (1UL << 4)
#define _PAGE_ACCESSED (1UL << 5)
#define _PAGE_DIRTY    (1UL << 6)
#define _PAGE_PSE      (1UL << 7)
#define _PAGE_GLOBAL   (1UL << 8)
#define _PAGE_NX       (1UL << 63)
#define PTE_ADDR_MASK  0x000ffffffffff000UL

/** Source of zeroed page-table frames: returns a machine address, or 0 when out of memory. */
typedef paddr_t (*pt_frame_alloc_t)(void);

/**
 * Build and load the hypervisor's final page tables. @directmap_end (bytes) is the end of the
 * machine address range to direct-map; at least 4 GiB is always mapped. Page-table frames
 * come from @alloc, which later calls (ioremap) keep using until paging_set_allocator().
 * Also turns on CR4.PGE and, where the CPU has it, CR4.SMEP.
 */
void paging_init(paddr_t directmap_end, pt_frame_alloc_t alloc);

/** Replace the page-table frame source (once the frame allocator is up). */
void paging_set_allocator(pt_frame_alloc_t alloc);

/**
 * Map @len bytes of MMIO at machine address @pa uncached (PCD|PWT) in the ioremap area.
 * Returns the virtual address (same offset into the page as @pa), or NULL if the area or
 * memory for page tables is exhausted.
 */
void *ioremap(paddr_t pa, size_t len);

/**
 * Map the M2P table (@len bytes of machine memory at @pa) read-only and user-accessible at
 * RO_MPT_VIRT_START (L4 slot 256), where PV guests read it (xen-x86_64.h
 * machine_to_phys_mapping).
 */
void paging_map_m2p(paddr_t pa, size_t len);

/** Copy the hypervisor's L4 slots 256-271 into a guest's L4 table @l4 (Xen's PV layout). */
void arch_init_hv_l4_slots(uint64_t *l4);

/** Flush this CPU's whole TLB, global entries included (guests may set _PAGE_GLOBAL). */
void arch_flush_tlb_local(void);

/** Flush the TLB entry of one virtual address. */
void arch_invlpg(uint64_t va);

/** Machine address of the L4 table the hypervisor runs on (idle page tables). */
paddr_t paging_idle_l4(void);

/**
 * The L1 entry that maps hypervisor address @va (in slots 256-271) in the hypervisor's page
 * tables, creating the tables above it; every guest shares it through the copied L4 slots.
 * For areas whose mappings change at run time (the GDT area, gdt.c). Panics when out of
 * memory for a table.
 */
uint64_t *paging_l1e(vaddr_t va);

#endif /* ARCH_PAGING_H */
