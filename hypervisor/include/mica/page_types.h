/*
 * Typed frames: Xen's reference-count and page-type rules for PV guests (the comment at the
 * top of Xen's xen/arch/x86/mm.c; get_page, get_page_type, get_page_from_l1e..l4e and
 * mod_l1_entry there), over the frame table of <mica/mm.h>.
 *
 * The model, in brief:
 *  - General references (count_info): anything that may access a frame holds one. Every
 *    present L1 entry holds one on the frame it maps; the owner holds one while the frame is
 *    allocated to it (PGC_allocated). When the count reaches zero the frame is freed.
 *  - Type references (type_info): a frame has one type at a time (PGT_l1..l4_page_table,
 *    PGT_writable_page, ...). The type may change only while the type count is zero.
 *    A writable L1 entry holds a PGT_writable_page type reference on the frame it maps; a
 *    present L2/L3/L4 entry holds a PGT_l1/l2/l3_page_table type reference (and a general
 *    reference) on the table it points to. So a frame is never a page table and writable
 *    at once: that is what keeps a guest from writing its own page tables.
 *  - The first type reference of a page-table type validates the frame: every present
 *    entry is checked and takes its references (get_page_from_lNe). A failure part-way
 *    drops the references already taken and leaves the frame untyped (Xen keeps a partially
 *    validated frame for a preemptible retry; mica validates in one go).
 *  - When the last type reference of a page-table type goes, the frame is devalidated: its
 *    entries' references are dropped (as Xen 4.17 does), and the next use validates again.
 *  - Pinning (PGT_pinned) holds one general and one type reference, so a table keeps its
 *    type without being referenced from anywhere; a vCPU's CR3 holds another pair.
 *
 * Entry rules (Xen 4.17, 64-bit PV guest):
 *  - L1: the flags may not include PWT, PCD or PAT (bit 7) unless the domain has I/O
 *    resources (-EINVAL); the frame must be RAM the domain owns, with a free general
 *    reference (-EBUSY otherwise: another domain's frame, a free frame, the hypervisor's);
 *    a frame beyond the frame table or owned by DOMID_IO is MMIO: -EPERM unless
 *    iomem_access_permitted() (then no reference is taken, as in Xen); a writable entry
 *    needs a PGT_writable_page type reference (-EBUSY if the frame is a page table, a
 *    descriptor page, ...).
 *  - L2/L3/L4: the flags may not include PWT, PCD, PSE (no superpages) or GLOBAL (-EINVAL);
 *    the target must be a frame the domain owns (-EINVAL) that validates as the next lower
 *    level (its validation error otherwise). A read-only entry pointing at its own table is
 *    a linear (recursive) mapping: allowed, takes no reference. A read-only entry pointing
 *    at another validated table of the same level is allowed as in Xen 4.17
 *    (get_lN_linear_pagetable, XSA-240): it takes a general and a type reference, and
 *    page_info's linear_pt_count keeps a table with such entries from being the target of
 *    one, and a target from having any. A writable linear entry is refused (-EINVAL).
 *  - L4 slots 256-271 belong to the hypervisor: validation neither reads nor references
 *    them and then rewrites them from the hypervisor's own L4 (arch_init_hv_l4_slots());
 *    no update may change them (-EINVAL).
 *  - Validated entries are adjusted as Xen adjusts them for a ring-3 guest kernel: _USER is
 *    set on every present entry (an L1 entry that lacked it also gets PT_GUEST_KERNEL),
 *    _ACCESSED on L4 entries. Unlike Xen, mica does not add _GLOBAL to user mappings.
 *
 * Not thread-safe: mica is uniprocessor and the hypervisor is not preemptible, so callers
 * are serialised. Functions take MFNs (not page_info pointers): a frame's contents are only
 * reachable by MFN (map_frame()), and freeing needs it.
 */
#ifndef MICA_PAGE_TYPES_H
#define MICA_PAGE_TYPES_H

#include <mica/heap.h> /* mfn_to_page(), mfn_valid(), map_frame(), free_frames() */
#include <mica/mm.h>
#include <mica/types.h>

struct domain;
struct vcpu;

/* Page-table entry bits (Intel SDM Vol 3A §4.5, 4-level paging), as 64-bit masks. */
#define PT_PRESENT    (1ULL << 0)
#define PT_RW         (1ULL << 1)
#define PT_USER       (1ULL << 2)
#define PT_PWT        (1ULL << 3)
#define PT_PCD        (1ULL << 4)
#define PT_ACCESSED   (1ULL << 5)
#define PT_DIRTY      (1ULL << 6)
#define PT_PSE        (1ULL << 7) /* L2/L3: superpage */
#define PT_PAT        (1ULL << 7) /* L1: PAT index bit 2 */
#define PT_GLOBAL     (1ULL << 8)
#define PT_AVAIL      (7ULL << 9)      /* software bits 9-11 */
#define PT_AVAIL_HIGH (0x7ffULL << 52) /* software bits 52-62 */
#define PT_NX         (1ULL << 63)
#define PT_ADDR_MASK  0x000ffffffffff000ULL /* bits 12-51: the frame's machine address */
/* Xen's marker on an L1 entry the guest made without _USER (a guest-kernel page). */
#define PT_GUEST_KERNEL (1ULL << 52)
#define PT_CACHE_ATTRS  (PT_PAT | PT_PCD | PT_PWT)

/* Flags any guest entry may carry (Xen's base_disallow_mask complement); address excluded. */
#define PT_GUEST_FLAGS                                                                             \
    (PT_PRESENT | PT_RW | PT_USER | PT_ACCESSED | PT_DIRTY | PT_AVAIL | PT_AVAIL_HIGH | PT_NX)
/* Xen's base_disallow_mask (L2-L4 entries): PWT, PCD, PSE, GLOBAL. */
#define PT_BASE_DISALLOW (~(PT_GUEST_FLAGS | PT_ADDR_MASK))
/* Xen's L1_DISALLOW_MASK: GLOBAL allowed; PWT, PCD, PAT without I/O resources. */
#define PT_L1_DISALLOW (PT_BASE_DISALLOW & ~PT_GLOBAL)

#define PT_ENTRIES 512 /* entries per table */

/* L4 slots the hypervisor owns (xen-x86_64.h HYPERVISOR_VIRT_START..END). */
#define PT_HV_L4_FIRST 256
#define PT_HV_L4_LAST  271
/* Guest virtual addresses [2^47, HYPERVISOR_VIRT_END) are never the guest's (Xen __addr_ok). */
#define PT_GUEST_VA_LOW_END    (1ULL << 47)
#define PT_GUEST_VA_HIGH_START 0xffff880000000000ULL

/* Index of @va in its level-@level table (1-4). */
static inline unsigned int pt_index(uint64_t va, unsigned int level)
{
    return (unsigned int)(va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

/* The MFN an entry points to. */
static inline mfn_t pte_mfn(uint64_t pte)
{
    return (mfn_t)((pte & PT_ADDR_MASK) >> PAGE_SHIFT);
}

/* The PGT_l<level>_page_table type (level 1-4). */
static inline uint32_t pgt_level_type(unsigned int level)
{
    return (uint32_t)level << PGT_type_shift;
}

/** Counters for measurement (DESIGN.md §2.5); only ever incremented. */
struct mm_counters {
    uint64_t entries_validated; /* present entries that took references (get_page_from_lNe) */
    uint64_t tables_promoted;   /* frames validated as L1-L4 tables */
    uint64_t tables_demoted;    /* frames devalidated (last type reference dropped) */
    uint64_t validation_failures;
    uint64_t tlb_flushes;       /* full local flushes (type changes and UVMF_TLB_FLUSH) */
    uint64_t invlpgs;           /* single-entry flushes (UVMF_INVLPG) */
    uint64_t update_va_mapping; /* update_va_mapping calls */
    /* mmu_update, mmuext_op and memory_op (common/mmu.c, common/memory.c) */
    uint64_t mmu_update_calls; /* mmu_update calls (a continuation is not a new call) */
    uint64_t mmu_updates;      /* mmu_update requests that succeeded */
    uint64_t mmuext_op_calls;  /* mmuext_op calls */
    uint64_t mmuext_ops;       /* mmuext_op operations that succeeded */
    uint64_t pages_allocated;  /* frames given by populate_physmap */
    uint64_t pages_released;   /* allocation references dropped by decrease_reservation */
};
extern struct mm_counters mm_counters;

/*
 * Functions mm.c needs from its environment. The hypervisor implements them (heap.c,
 * arch/x86_64/paging.c, domain.c); the unit tests implement them over fake memory.
 * mfn_to_page(), mfn_valid(), map_frame() and free_frames() are declared in <mica/heap.h>.
 */

/**
 * Flush this CPU's TLB of every guest translation, global ones included (a guest may set
 * _PAGE_GLOBAL in its L1 entries, as Xen allows).
 */
void arch_flush_tlb_local(void);

/** Flush the TLB entry of one virtual address @va (global or not). */
void arch_invlpg(uint64_t va);

/** Write the hypervisor's L4 slots 256-271 into the guest L4 table @l4 (512 entries). */
void arch_init_hv_l4_slots(uint64_t *l4);

/**
 * True if @d may map machine frame @mfn that is not RAM (beyond the frame table or owned by
 * DOMID_IO): Xen's iomem_access_permitted(). Also decides, per Xen's l1_disallow_mask(),
 * whether @d may use the cache attributes PAT/PCD/PWT: with any I/O resource at all, it may.
 * mm.c has weak defaults returning false (no domain has I/O resources in this round); the
 * domain code overrides them once domains carry I/O permissions.
 */
bool iomem_access_permitted(const struct domain *d, mfn_t mfn);
bool domain_has_io_resources(const struct domain *d);

/** The domain with id @domid, or NULL (domain.c); used to account freed frames. */
struct domain *domain_lookup(domid_t domid);

/* ---- General references (count_info) ---- */

/**
 * Take a general reference on frame @mfn for domain @d. Succeeds (true) only if @mfn is in
 * the frame table, owned by @d, allocated (count non-zero) and the count cannot overflow
 * (Xen's get_page()).
 */
bool get_page(mfn_t mfn, const struct domain *d);

/**
 * Drop a general reference. The last one frees the frame: back to the frame allocator with
 * free_frames(mfn, 0) and out of its owner's tot_pages (so domain frames must be order-0
 * allocations), after a TLB flush (a mapping removed without one may still be cached),
 * except for a PGC_xen_heap frame, which the hypervisor frees itself.
 */
void put_page(mfn_t mfn);

/* ---- Type references (type_info) ---- */

/**
 * Take a type reference of @type (PGT_*) on @mfn, which the caller holds a general
 * reference on. With a type count of zero the type may change (PGT_validated cleared, and
 * the TLB flushed if the frame had another non-none type, so no stale writable or
 * page-table translation survives); otherwise it must equal @type. The first reference of a
 * page-table type validates the frame (see the top of this file).
 * Returns 0; -EINVAL for a type conflict or a type-count overflow; or the error of the
 * first entry that failed validation (nothing is left referenced then).
 */
int get_page_type(mfn_t mfn, uint32_t type);

/** Drop a type reference; the last one of a page-table type devalidates the frame. */
void put_page_type(mfn_t mfn);

/**
 * get_page() then get_page_type(). Returns 0; -EINVAL if get_page() fails; the
 * get_page_type() error otherwise (the general reference dropped again).
 */
int get_page_and_type(mfn_t mfn, const struct domain *d, uint32_t type);

/** put_page_type() then put_page(). */
void put_page_and_type(mfn_t mfn);

/* ---- Entries ---- */

/**
 * Check the new level-@level entry @e (level 1-4) for domain @d and take the references it
 * needs (Xen's get_page_from_l1e..l4e). @table is the MFN of the table the entry goes in
 * (for linear entries). A non-present entry needs nothing. *@e may be adjusted (MMIO cache
 * attributes). Returns 0 or the error described at the top of this file.
 */
int get_page_from_pte(uint64_t *e, unsigned int level, mfn_t table, struct domain *d);

/** Drop the references a valid level-@level entry @e of table @table holds. */
void put_page_from_pte(uint64_t e, unsigned int level, mfn_t table, struct domain *d);

/**
 * Replace entry @slot (0-511) of page table @table (owned by @d, typed and validated as an
 * L1-L4 table) with @val: check and reference the new entry, write it, then drop the old
 * entry's references (Xen's mod_l1_entry..mod_l4_entry, for update_va_mapping and
 * mmu_update). An entry that changes only in A/D, USER, GLOBAL, NX or software bits keeps
 * its references (Xen's fast path). No TLB flush.
 * Returns 0; -EINVAL if @table is not a validated page table of @d, or for an L4 slot in
 * 256-271; the entry's error (nothing changed) otherwise.
 */
int mod_pt_entry(struct domain *d, mfn_t table, unsigned int slot, uint64_t val);

/**
 * mod_pt_entry() as mmu_update needs it (Xen's mod_l1_entry..mod_l4_entry): an L1 entry may
 * map a frame of @pg_dom (@d itself; a foreign domain for a privileged caller; or a domain
 * whose domain_id is DOMID_IO, for MMIO only, with @d's I/O permissions); and
 * @preserve_ad (MMU_PT_UPDATE_PRESERVE_AD) ORs the old entry's _ACCESSED and _DIRTY bits
 * into the value written. Returns mod_pt_entry()'s errors; -EINVAL also for an L2-L4 table
 * with @pg_dom not @d.
 */
int mod_pt_entry_as(struct domain *d, struct domain *pg_dom, mfn_t table, unsigned int slot,
                    uint64_t val, bool preserve_ad);

/**
 * update_va_mapping (in mm.c, <mica/hypercall.h>) with the owner @pg_dom of the frame @val
 * maps: update_va_mapping_otherdomain's worker (Xen's __do_update_va_mapping). -EPERM if
 * @pg_dom is not the caller's domain and the caller is not privileged; otherwise
 * do_update_va_mapping's results.
 */
long update_va_mapping_as(unsigned long va, uint64_t val, unsigned long flags,
                          struct domain *pg_dom);

/* ---- Pinning, CR3 and teardown ---- */

/**
 * Pin @mfn as a level-@level (1-4) page table of @d (MMUEXT_PIN_L<level>_TABLE): take a
 * general and a validated type reference and set PGT_pinned. The domain builder pins the
 * initial L4 this way, which validates the whole initial tree.
 * Returns 0; -EINVAL if @level is not 1-4, @mfn is not @d's, or it is already pinned; the
 * get_page_type() error otherwise (nothing changed).
 */
int pin_page_table(struct domain *d, mfn_t mfn, unsigned int level);

/**
 * Unpin @mfn (MMUEXT_UNPIN_TABLE): drop the pin's references. Returns 0, or -EINVAL if @mfn
 * is not @d's or not pinned.
 */
int unpin_page_table(struct domain *d, mfn_t mfn);

/**
 * Make @mfn the L4 of @v (CR3 = @mfn << PAGE_SHIFT, v->guest_table): take a general and a
 * PGT_l4_page_table reference (validating @mfn if needed), then drop those of the previous
 * table. Does not load CR3. Returns 0, or the get_page_and_type() error (nothing changed).
 */
int vcpu_set_guest_table(struct vcpu *v, mfn_t mfn);

/**
 * Drop @v's CR3 references, kernel and user, and set v->guest_table and v->guest_table_user
 * to 0 (teardown).
 */
void vcpu_put_guest_table(struct vcpu *v);

/**
 * Make @mfn the user-mode L4 of @v (MMUEXT_NEW_USER_BASEPTR; v->guest_table_user), or none
 * for @mfn 0, as Xen: a general and a PGT_l4_page_table reference on the new table
 * (validating it if needed; the kernel's own L4 is allowed), then the old one's dropped.
 * The same table again does nothing. Does not load CR3 (hypercalls run in kernel mode).
 * Returns 0, or the get_page_and_type() error (nothing changed).
 */
int vcpu_set_guest_table_user(struct vcpu *v, mfn_t mfn);

/**
 * Load @l4_maddr (a validated L4) into CR3 and flush the TLB, global entries included: the
 * running vCPU's kernel page tables changed (MMUEXT_NEW_BASEPTR; Xen's write_ptbase).
 * Arch code (arch/x86_64/guest_table.c).
 */
void arch_load_guest_table(paddr_t l4_maddr);

/** Write back and invalidate the caches (WBINVD; MMUEXT_FLUSH_CACHE). Arch code. */
void arch_flush_cache(void);

/* ---- Frames taken back (memory_op) ---- */

/**
 * Take frame @mfn back from @d (XENMEM_decrease_reservation for a PV guest; Xen's
 * guest_remove_page): drop its allocation reference. A frame still referenced (mapped, a
 * pinned or CR3 page table, ...) stays until the last reference goes, as in Xen; a frame
 * whose allocation reference is already gone is accepted again.
 * Returns 0; -EINVAL if @mfn has no frame-table entry; -ENXIO if @d cannot reference it
 * (not its frame, or already freed).
 */
int guest_remove_page(struct domain *d, mfn_t mfn);

/**
 * Share the hypervisor-allocated frame @mfn (shared_info) with @d as Xen's
 * share_xen_page_with_guest(SHARE_rw) does: owner @d, PGC_xen_heap | PGC_allocated and one
 * general reference, and a permanent PGT_writable_page type reference, so @d can map it
 * writable and never make it a page table. Not counted in tot_pages; put_page() never frees
 * it.
 */
void share_xen_page_with_guest(mfn_t mfn, struct domain *d);

/**
 * Drop every page-table reference @d holds: its vCPUs' CR3 references and every pin
 * (scanning the frame table for @d's pinned frames, O(max_mfn)). Afterwards none of @d's
 * frames has a page-table type reference left (the XSA-240 rule keeps same-level linear
 * entries from forming loops, so every table hangs off a pin or a CR3).
 */
void put_domain_page_tables(struct domain *d);

/**
 * Release @d's memory: put_domain_page_tables(), then drop the allocation reference
 * (PGC_allocated) of every frame @d owns, which frees each frame nothing else references.
 * Returns the number of frames still referenced by others (0 when nothing leaked).
 */
unsigned long domain_relinquish_memory(struct domain *d);

#endif /* MICA_PAGE_TYPES_H */
