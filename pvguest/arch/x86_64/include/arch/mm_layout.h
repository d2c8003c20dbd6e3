/*
 * The guest kernel's virtual memory layout on x86-64 (docs/pvguest.md,
 * "Memory management"). Xen's PV ABI keeps L4 slots 256-271 for the
 * hypervisor (arch-x86/xen-x86_64.h); the kernel uses slot 511 for its
 * image and direct map and slot 384 for the areas it builds itself.
 *
 *   0xffffffff80000000  VIRT_BASE: the initial mapping (image, p2m list,
 *                       start_info, boot page tables, padding), extended
 *                       by mm_init() to a direct map of every page:
 *                       pfn -> VIRT_BASE + pfn * 4 KiB, at most 1 GiB
 *                       (the one L2 table of L3 slot 510).
 *   0xffffc00000000000  the heap (sbrk), mapped in batches, 1 GiB
 *   0xffffc00040000000  lazy areas: demand-zero pages mapped on a fault, 1 GiB
 *   0xffffc00080000000  mappings of given pages (vmap), 1 GiB
 */
#ifndef PVGUEST_ARCH_MM_LAYOUT_H
#define PVGUEST_ARCH_MM_LAYOUT_H

/** Where the kernel is linked and the builder maps PFN 0 (the VIRT_BASE ELF note). */
#define KERNEL_VIRT_BASE 0xffffffff80000000UL
/** Bytes of the direct map at KERNEL_VIRT_BASE: one L2 table's reach. */
#define DIRECTMAP_SIZE (1UL << 30)

/** The heap that sbrk grows: [HEAP_START, HEAP_START + HEAP_SIZE_MAX). */
#define HEAP_START    0xffffc00000000000UL
#define HEAP_SIZE_MAX (1UL << 30)
/** Demand-zero areas: [LAZY_START, LAZY_START + LAZY_SIZE). */
#define LAZY_START 0xffffc00040000000UL
#define LAZY_SIZE  (1UL << 30)
/** Mappings of pages the caller names: [VMAP_START, VMAP_START + VMAP_SIZE). */
#define VMAP_START 0xffffc00080000000UL
#define VMAP_SIZE  (1UL << 30)

#endif /* PVGUEST_ARCH_MM_LAYOUT_H */
