/*
 * The guest kernel's memory management, through hypercalls only (xen.h:
 * mmu_update, update_va_mapping, mmuext_op, multicall; memory.h:
 * reservations). docs/pvguest.md, "Memory management", has the pictures.
 *
 * - Pages: the PFNs the builder did not use (start_info: everything after
 *   the bootstrap page tables, nr_pages in all; the p2m list gives each
 *   PFN's MFN) are free. mm_init() maps every PFN in the direct map at
 *   KERNEL_VIRT_BASE + PFN * PAGE_SIZE (arch/mm_layout.h) and hands them
 *   out one page at a time, zeroed.
 * - Page tables: the builder's tables are read-only to the guest. A new
 *   table is a page the kernel clears, remaps read-only in the direct map
 *   (update_va_mapping) and links into its parent with mmu_update
 *   (MMU_NORMAL_PT_UPDATE at the machine address of the parent entry).
 *   Leaf entries are written in batches: one mmu_update for up to
 *   MM_BATCH entries.
 * - Areas: the heap that sbrk grows, lazy (demand-zero) areas whose pages
 *   the page-fault handler maps, and vmap mappings of given pages.
 *
 * Errors are negated Xen error codes (xen/errno.h): -XEN_ENOMEM, -XEN_EINVAL,
 * -XEN_EBUSY, or what the hypervisor returned. Not reentrant: event handlers
 * must not call it; the page-fault handler refuses to run inside it.
 */
#ifndef PVGUEST_MM_H
#define PVGUEST_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Most leaf entries one mmu_update call writes. */
#define MM_BATCH 512
/** A PFN that has no page (unmapped entry, page given back). */
#define MM_NO_PFN (~0UL)

/** A p2m list entry for a PFN without a frame (the value Linux and Mini-OS use). */
#define INVALID_P2M_ENTRY (~0UL)

/** Rights of a mapping: read-only, or read-write. */
enum mm_prot { MM_READ, MM_WRITE };

/** What the memory manager did, for reports and tests. Counts since mm_init(). */
struct mm_stats {
    unsigned long total_pages;       /* start_info->nr_pages */
    unsigned long initial_pages;     /* PFNs the builder mapped (the initial mapping) */
    unsigned long first_free_pfn;    /* the first PFN after the bootstrap page tables */
    unsigned long managed_pages;     /* PFNs in the direct map */
    unsigned long free_pages;        /* pages the allocator can hand out now */
    unsigned long tables_created[5]; /* new page tables by level (1-4) */
    unsigned long mmu_update_calls;  /* mmu_update hypercalls (batches and single entries) */
    unsigned long pte_updates;       /* entries those calls wrote */
    unsigned long uvm_calls;         /* update_va_mapping hypercalls */
    unsigned long multicalls;        /* multicall hypercalls */
    unsigned long lazy_faults;       /* demand-zero pages mapped by the fault handler */
    unsigned long heap_pages;        /* pages mapped in the heap */
};

/** The counters (read-only for callers). */
extern struct mm_stats mm_stats;

/**
 * Take over memory from start_info: find the end of the initial mapping,
 * extend the direct map to every PFN (at most DIRECTMAP_SIZE), build the
 * free-page allocator, and switch sbrk to the growing heap. Silent; call
 * once, after traps_init(). Returns 0 or a negated error (then nothing
 * changed: sbrk keeps its small static heap).
 */
long mm_init(void);

/** Whether mm_init() succeeded. */
bool mm_ready(void);

/** MFN of pseudo-physical frame `pfn`, from the p2m list (start_info->mfn_list). */
unsigned long pfn_to_mfn(unsigned long pfn);
/** PFN of machine frame `mfn`, from the read-only M2P table (xen-x86_64.h). */
unsigned long mfn_to_pfn(unsigned long mfn);
/** The direct-map address of `pfn` (valid for managed PFNs). */
void *pfn_to_virt(unsigned long pfn);
/** The PFN of direct-map address `va`. */
unsigned long virt_to_pfn(const void *va);

/** A free page, zeroed and mapped in the direct map: its PFN, or -XEN_ENOMEM. */
long page_alloc(void);
/** Give page `pfn` back to the allocator (it must be mapped in the direct map again). */
void page_free(unsigned long pfn);

/**
 * Map `n` pages `pfns[]` at `va` (page aligned) with rights `prot`, creating
 * missing L3/L2/L1 tables; one mmu_update per MM_BATCH entries. Every entry
 * must be empty (-XEN_EBUSY otherwise, checked before any change). Returns 0 or
 * a negated error (then the entries written so far stay).
 */
long mm_map(unsigned long va, const unsigned long *pfns, unsigned long n, enum mm_prot prot);

/**
 * As mm_map(), with one update_va_mapping per page, all of them in one
 * multicall (at most 64 pages). Returns 0 or the first failing entry's
 * result (or the multicall's own error).
 */
long mm_map_multicall(unsigned long va, const unsigned long *pfns, unsigned long n,
                      enum mm_prot prot);

/**
 * Clear the `n` entries from `va`: one multicall holding an mmu_update of
 * up to MM_BATCH entries and a local TLB flush (mmuext_op). If `pfns` is not
 * NULL, pfns[i] receives the PFN page i mapped, or MM_NO_PFN. The pages are
 * not freed. Returns the number of entries cleared, or a negated error.
 */
long mm_unmap(unsigned long va, unsigned long n, unsigned long *pfns);

/** Change the rights of the mapped page at `va` (update_va_mapping, UVMF_INVLPG). */
long mm_protect(unsigned long va, enum mm_prot prot);

/** The L1 entry that maps `va` (as the hypervisor stored it), or 0 if none. */
uint64_t mm_lookup(unsigned long va);

/** The level-`level` page table on the way to `va`: its MFN, or 0 if there is none. */
unsigned long mm_table_mfn(unsigned long va, int level);

/**
 * Reserve `n` pages of virtual space in the vmap window, followed by an
 * unmapped guard page, without mapping anything. Returns the address, or 0.
 */
unsigned long vmap_reserve(unsigned long n);

/**
 * Reserve `n` pages of virtual space in the vmap window and map `pfns[]`
 * there (mm_map). Returns the address, or NULL (window full, map failed).
 */
void *vmap(const unsigned long *pfns, unsigned long n, enum mm_prot prot);

/**
 * Reserve `size` bytes (rounded up to pages) of demand-zero memory: no page
 * is mapped until the first access, when the page-fault handler maps a
 * zeroed page. Returns the start, or NULL.
 */
void *lazy_alloc(size_t size);

/**
 * Release the lazy area that starts at `start`: unmap the pages that were
 * faulted in (one batch) and free them. Later accesses fault fatally.
 * Returns the number of pages freed, or -XEN_EINVAL for an unknown area.
 */
long lazy_free(void *start);

/**
 * Move the heap's break by `incr` bytes, mapping new pages in batches when
 * it grows and unmapping and freeing them when it shrinks. Returns the old
 * break, or (void *)-1 (out of memory or heap space).
 */
void *mm_sbrk(intptr_t incr);

/**
 * Give page `pfn` (allocated) back to the hypervisor: unmap it from the
 * direct map, XENMEM_decrease_reservation its MFN, mark it absent in the p2m
 * list. Returns 0 or a negated error.
 */
long mm_give_back(unsigned long pfn);

/**
 * Get a new frame for a PFN given back with mm_give_back():
 * XENMEM_populate_physmap, p2m entry, direct map. Returns the new MFN (> 0),
 * or a negated error.
 */
long mm_repopulate(unsigned long pfn);

/**
 * The page-fault policy (called by the #PF handler with CR2 and the error
 * code, PF_* in arch/page.h): maps a zeroed page for a not-present fault in
 * a lazy area and returns true; false for every other fault.
 */
bool mm_handle_page_fault(unsigned long addr, unsigned long error_code);

/** Print (printk) one line saying what a fatal page fault hit and where. */
void mm_report_page_fault(unsigned long addr, unsigned long error_code);

/* Pages at the top of memory the hypervisor's domain builder may take for devices (mica's
   BUILD_SPARE_PAGES: rings and control pages); mm_init never hands them out. */
#define MM_WIRING_PAGES 4

#endif /* PVGUEST_MM_H */
