/*
 * Typed frames and the update_va_mapping hypercall: Xen's reference-count and page-type
 * rules for PV page tables. The rules, and where they come from, are at the top of
 * <mica/page_types.h>; docs/abi.md ("Typed frames") lists where mica differs from Xen.
 *
 * Portable: frames are reached only through map_frame(), mfn_to_page() and mfn_valid(), so
 * this file also runs in the host unit tests (tests/unit/test_mm.c) on fake memory.
 */
#include <mica/descriptor.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/panic.h>
#include <mica/trace.h> /* issue 8 */
#include <xen/xen.h>

struct mm_counters mm_counters;

/*
 * While set, put_page() leaves the TLB flush for freed frames to its caller (one flush for a
 * whole teardown instead of one per frame).
 */
static bool defer_free_flush;

/*
 * Flags an entry may change without taking new references (Xen's FASTPATH_FLAG_WHITELIST;
 * with linear page tables allowed, _RW is not in it for L2-L4 either).
 */
#define PT_FASTPATH_FLAGS                                                                          \
    (PT_NX | PT_AVAIL_HIGH | PT_AVAIL | PT_GLOBAL | PT_DIRTY | PT_ACCESSED | PT_USER)

/* The MFN Xen treats as "no frame" in an L1 entry (all address bits set): -EINVAL. */
#define PT_INVALID_MFN (PT_ADDR_MASK >> PAGE_SHIFT)

static inline uint64_t page_count(const struct page_info *pg)
{
    return pg->count_info & PGC_count_mask;
}

static inline uint32_t type_count(const struct page_info *pg)
{
    return pg->type_info & PGT_count_mask;
}

/* The level (1-4) of a page-table type, or 0 for any other type. */
static inline unsigned int pt_level_of(uint32_t type_info)
{
    uint32_t t = type_info & PGT_type_mask;

    return (t >= PGT_l1_page_table && t <= PGT_l4_page_table) ? t >> PGT_type_shift : 0;
}

static inline bool is_hv_l4_slot(unsigned int slot)
{
    return slot >= PT_HV_L4_FIRST && slot <= PT_HV_L4_LAST;
}

/* A frame that is not RAM: beyond the frame table, or device memory (DOMID_IO). */
static inline bool is_iomem_frame(mfn_t mfn)
{
    return !mfn_valid(mfn) || mfn_to_page(mfn)->owner == DOMID_IO;
}

/*
 * Defaults until domains carry I/O permissions (the driver-domain issue): no domain may map
 * MMIO or choose cache attributes. Weak, so the hypervisor's domain code (and the unit
 * tests) replace them with real ones without touching this file.
 */
__attribute__((weak)) bool iomem_access_permitted(const struct domain *d, mfn_t mfn)
{
    (void)d;
    (void)mfn;
    return false;
}

__attribute__((weak)) bool domain_has_io_resources(const struct domain *d)
{
    (void)d;
    return false;
}

static void flush_tlb(void)
{
    mm_counters.tlb_flushes++;
    arch_flush_tlb_local();
}

/* ---- General references ---- */

bool get_page(mfn_t mfn, const struct domain *d)
{
    struct page_info *pg;
    uint64_t c;

    if (!mfn_valid(mfn))
        return false;
    pg = mfn_to_page(mfn);
    c = page_count(pg);
    /* Count 0: not allocated. Like Xen, keep the top two values unused (no wrap). */
    if (pg->owner != d->domain_id || c == 0 || c >= PGC_count_mask - 1)
        return false;
    pg->count_info++;
    return true;
}

void put_page(mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);
    struct domain *owner;

    BUG_ON(page_count(pg) == 0);
    pg->count_info--;
    if (page_count(pg) != 0 || (pg->count_info & PGC_xen_heap))
        return;
    /* The last reference: PGC_allocated and every type reference have gone before. */
    BUG_ON((pg->count_info & PGC_allocated) || type_count(pg) != 0);
    owner = domain_lookup(pg->owner);
    if (owner && owner->tot_pages)
        owner->tot_pages--;
    /*
     * A mapping removed without a flush may still sit in the TLB: drop it before the frame
     * can go to someone else (Xen filters this with TLB-flush timestamps; mica just flushes).
     */
    if (!defer_free_flush)
        flush_tlb();
    free_frames(mfn, 0);
}

/* ---- Validation of page-table frames ---- */

/*
 * Adjust a validated present entry as Xen does for a 64-bit PV guest, whose kernel runs in
 * ring 3 (Xen's adjust_guest_l1e..l4e): _USER everywhere, the guest-kernel marker on L1
 * entries that lacked _USER, _ACCESSED on L4 entries. Xen also adds _GLOBAL to user L1
 * mappings; mica does not (its TLB flushes would have to cover them).
 */
static uint64_t adjust_guest_entry(uint64_t e, unsigned int level)
{
    if (!(e & PT_PRESENT))
        return e;
    switch (level) {
    case 1:
        if (!(e & PT_USER))
            e |= PT_GUEST_KERNEL | PT_USER;
        return e;
    case 4:
        return e | PT_USER | PT_ACCESSED;
    default:
        return e | PT_USER;
    }
}

/*
 * Check and reference L1 entry *@pe of a table of @d that maps a frame of @pg_dom (@d itself
 * except in mmu_update with a foreign domain or DOMID_IO; Xen's get_page_from_l1e).
 */
static int get_page_from_l1e(uint64_t *pe, struct domain *d, struct domain *pg_dom)
{
    uint64_t e = *pe;
    uint64_t disallow = PT_L1_DISALLOW;
    mfn_t mfn = pte_mfn(e);

    if (domain_has_io_resources(d))
        disallow &= ~PT_CACHE_ATTRS;
    if (e & disallow)
        return -EINVAL;

    if (is_iomem_frame(mfn)) {
        /* DOMID_IO stands for the caller in the permission check (Xen). */
        const struct domain *io_dom = pg_dom->domain_id == DOMID_IO ? d : pg_dom;

        /* MMIO takes no references (Xen): only the permission matters. */
        if (!iomem_access_permitted(io_dom, mfn))
            return mfn == PT_INVALID_MFN ? -EINVAL : -EPERM;
        /* MMIO is never cached unless asked for: WB, WT and WP become UC (Xen). */
        switch (e & PT_CACHE_ATTRS) {
        case 0:
        case PT_PWT:
        case PT_PWT | PT_PAT:
            *pe = (e & ~PT_CACHE_ATTRS) | PT_PCD | PT_PWT;
            break;
        }
        return 0;
    }

    /* Another domain's frame, a free one, the hypervisor's: Xen's could_not_pin. */
    if (!get_page(mfn, pg_dom))
        return -EBUSY;
    if ((e & PT_RW) && get_page_type(mfn, PGT_writable_page) != 0) {
        put_page(mfn);
        return -EBUSY;
    }
    if ((e & PT_CACHE_ATTRS) && (mfn_to_page(mfn)->count_info & PGC_xen_heap)) {
        if (e & PT_RW)
            put_page_type(mfn);
        put_page(mfn);
        return -EACCES;
    }
    return 0;
}

static void put_page_from_l1e(uint64_t e)
{
    mfn_t mfn = pte_mfn(e);

    if (!(e & PT_PRESENT) || is_iomem_frame(mfn))
        return;
    if (e & PT_RW)
        put_page_and_type(mfn);
    else
        put_page(mfn);
}

/*
 * A read-only L2-L4 entry of table @table pointing at a table of the SAME level @level (Xen's
 * get_lN_linear_pagetable, XSA-240). An entry pointing at its own table takes nothing. One
 * pointing at another table of @d takes a general and a type reference on it, without
 * validating: the target must already be a validated level-@level table. Neither table may
 * be on the other side of a linear relation already (linear_pt_count in <mica/mm.h>): a
 * table with linear entries is never a linear target, so no chain of linear references can
 * form a loop that would keep tables alive forever. Returns 0 or -EINVAL (as Xen: the
 * caller's -EINVAL stands).
 */
static int get_linear_pagetable(uint64_t e, unsigned int level, mfn_t table, struct domain *d)
{
    mfn_t mfn = pte_mfn(e);
    struct page_info *pg, *ptpg;
    uint32_t x;

    if (e & PT_RW)
        return -EINVAL; /* a writable one would let the guest write its own entries */
    if (mfn == table)
        return 0;
    ptpg = mfn_to_page(table);
    if (ptpg->owner != d->domain_id || !get_page(mfn, d))
        return -EINVAL;
    pg = mfn_to_page(mfn);
    x = pg->type_info;
    if (ptpg->linear_pt_count < 0 || ptpg->linear_pt_count == INT16_MAX ||
        pg->linear_pt_count > 0 || pg->linear_pt_count == INT16_MIN ||
        (x & PGT_count_mask) == PGT_count_mask ||
        (x & (PGT_type_mask | PGT_validated)) != (pgt_level_type(level) | PGT_validated)) {
        put_page(mfn);
        return -EINVAL;
    }
    ptpg->linear_pt_count++;
    pg->linear_pt_count--;
    pg->type_info = x + 1;
    return 0;
}

/* get_page_from_pte() with the owner @pg_dom of the frame an L1 entry maps. */
static int get_page_from_pte_as(uint64_t *e, unsigned int level, mfn_t table, struct domain *d,
                                struct domain *pg_dom)
{
    mfn_t mfn = pte_mfn(*e);
    int rc;

    if (!(*e & PT_PRESENT))
        return 0;
    if (level == 1) {
        rc = get_page_from_l1e(e, d, pg_dom);
    } else {
        if (*e & PT_BASE_DISALLOW)
            return -EINVAL;
        rc = get_page_and_type(mfn, d, pgt_level_type(level - 1));
        /* Not a table of the level below: maybe a read-only linear entry (Xen's order). */
        if (rc == -EINVAL)
            rc = get_linear_pagetable(*e, level, table, d);
    }
    if (rc == 0)
        mm_counters.entries_validated++;
    return rc;
}

int get_page_from_pte(uint64_t *e, unsigned int level, mfn_t table, struct domain *d)
{
    return get_page_from_pte_as(e, level, table, d, d);
}

void put_page_from_pte(uint64_t e, unsigned int level, mfn_t table, struct domain *d)
{
    mfn_t mfn = pte_mfn(e);

    (void)d;
    if (!(e & PT_PRESENT))
        return;
    if (level == 1) {
        put_page_from_l1e(e);
    } else if (mfn != table) { /* an entry pointing at its own table holds nothing */
        struct page_info *pg = mfn_to_page(mfn);

        /* A target of the table's own level: a linear entry (Xen's _put_page_type). */
        if (pt_level_of(pg->type_info) == level) {
            pg->linear_pt_count++;
            mfn_to_page(table)->linear_pt_count--;
        }
        put_page_and_type(mfn);
    }
}

/* Drop the references of entries [0, end) of a level-@level table (skipping slots 256-271). */
static void put_entries(mfn_t mfn, unsigned int level, unsigned int end, struct domain *d)
{
    const uint64_t *t = map_frame(mfn);

    for (unsigned int i = 0; i < end; i++) {
        if (level == 4 && is_hv_l4_slot(i))
            continue;
        put_page_from_pte(t[i], level, mfn, d);
    }
}

/*
 * Validate frame @mfn as a level-@level table of @d: every present guest entry takes its
 * references and is adjusted; an L4 then gets the hypervisor's slots. On failure, the
 * references taken so far are dropped again and the entry's error returned.
 */
static int validate_table(mfn_t mfn, unsigned int level, struct domain *d)
{
    uint64_t *t = map_frame(mfn);

    trace_event(TRC_PT_VALIDATE, d->domain_id, level, mfn, 0); /* issue 8 */

    for (unsigned int i = 0; i < PT_ENTRIES; i++) {
        uint64_t e = t[i];
        int rc;

        if ((level == 4 && is_hv_l4_slot(i)) || !(e & PT_PRESENT))
            continue;
        rc = get_page_from_pte(&e, level, mfn, d);
        if (rc) {
            put_entries(mfn, level, i, d);
            mm_counters.validation_failures++;
            return rc;
        }
        t[i] = adjust_guest_entry(e, level);
    }
    if (level == 4)
        arch_init_hv_l4_slots(t);
    mm_counters.tables_promoted++;
    return 0;
}

/* ---- Type references ---- */

int get_page_type(mfn_t mfn, uint32_t type)
{
    struct page_info *pg = mfn_to_page(mfn);
    uint32_t x = pg->type_info;
    unsigned int level = pt_level_of(type);
    struct domain *d;
    int rc;

    if ((x & PGT_count_mask) == PGT_count_mask)
        return -EINVAL;
    if ((x & PGT_count_mask) != 0) {
        /*
         * The type must match. A matching type that is not validated would be a frame in
         * the middle of its own validation, reached again: impossible while table levels
         * strictly decrease, refused all the same.
         */
        if ((x & PGT_type_mask) != type || !(x & PGT_validated))
            return -EINVAL;
        pg->type_info = x + 1;
        return 0;
    }

    /* Type count 0 -> 1: the type may change. */
    if ((x & PGT_type_mask) != type) {
        /*
         * A frame that had another type may still have translations in the TLB (a
         * writable mapping removed without a flush, or entries cached from a former
         * page table): flush before it takes on the new type (Xen does the same).
         */
        if ((x & PGT_type_mask) != PGT_none)
            flush_tlb();
        x = (x & ~(PGT_type_mask | PGT_validated)) | type;
    }
    pg->type_info = x + 1;
    if (x & PGT_validated)
        return 0;
    if (type == PGT_seg_desc_page) {
        /* A GDT/LDT frame: every descriptor is checked (descriptor.c; Xen's validate_page). */
        rc = validate_segdesc_page(mfn);
        if (rc) {
            pg->type_info = 0;
            mm_counters.validation_failures++;
            return rc;
        }
        pg->type_info |= PGT_validated;
        return 0;
    }
    if (!level) {
        pg->type_info |= PGT_validated;
        return 0;
    }

    /*
     * The count is 1 and PGT_validated clear while the contents are checked. The linear
     * count shares its bytes with the allocator's links: start it afresh (as Xen).
     */
    pg->linear_pt_count = 0;
    d = domain_lookup(pg->owner);
    rc = d ? validate_table(mfn, level, d) : -EINVAL;
    if (rc) {
        pg->type_info = 0; /* untyped, as Xen leaves a frame that failed validation */
        return rc;
    }
    pg->type_info |= PGT_validated;
    return 0;
}

void put_page_type(mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);
    uint32_t x = pg->type_info;
    unsigned int level = pt_level_of(x);

    BUG_ON((x & PGT_count_mask) == 0);
    if ((x & PGT_count_mask) == 1) {
        BUG_ON(x & PGT_pinned); /* the pin holds a reference of its own */
        if (level && (x & PGT_validated)) {
            /* Devalidate with the count still 1, so no one can take the type meanwhile. */
            struct domain *d = domain_lookup(pg->owner);

            pg->type_info = x & ~PGT_validated;
            put_entries(mfn, level, PT_ENTRIES, d);
            mm_counters.tables_demoted++;
        }
    }
    pg->type_info--;
}

int get_page_and_type(mfn_t mfn, const struct domain *d, uint32_t type)
{
    int rc;

    if (!get_page(mfn, d))
        return -EINVAL;
    rc = get_page_type(mfn, type);
    if (rc)
        put_page(mfn);
    return rc;
}

void put_page_and_type(mfn_t mfn)
{
    put_page_type(mfn);
    put_page(mfn);
}

/* ---- Updates ---- */

int mod_pt_entry_as(struct domain *d, struct domain *pg_dom, mfn_t table, unsigned int slot,
                    uint64_t val, bool preserve_ad)
{
    const struct page_info *pg;
    unsigned int level;
    uint64_t *t, old;
    int rc;

    if (slot >= PT_ENTRIES || !mfn_valid(table))
        return -EINVAL;
    pg = mfn_to_page(table);
    level = pt_level_of(pg->type_info);
    if (pg->owner != d->domain_id || !level || !(pg->type_info & PGT_validated) ||
        type_count(pg) == 0)
        return -EINVAL;
    if (level == 4 && is_hv_l4_slot(slot))
        return -EINVAL; /* Xen: "L4 update in Xen-private area" */
    if (level > 1 && pg_dom != d)
        return -EINVAL; /* only L1 entries map another domain's frames (Xen's mmu_update) */

    t = map_frame(table);
    old = t[slot];
    if (val & PT_PRESENT) {
        uint64_t disallow = level == 1 ? PT_L1_DISALLOW : PT_BASE_DISALLOW;

        if (level == 1 && domain_has_io_resources(d))
            disallow &= ~PT_CACHE_ATTRS;
        if (val & disallow)
            return -EINVAL;
        val = adjust_guest_entry(val, level);
        /* Same frame, same permissions and caching: the references carry over. */
        if ((old & PT_PRESENT) && !((old ^ val) & ~PT_FASTPATH_FLAGS)) {
            t[slot] = preserve_ad ? val | (old & (PT_ACCESSED | PT_DIRTY)) : val;
            return 0;
        }
        rc = get_page_from_pte_as(&val, level, table, d, pg_dom);
        if (rc)
            return rc;
    }
    /* Xen's update_intpte: PRESERVE_AD ORs in the old A/D bits, present or not. */
    t[slot] = preserve_ad ? val | (old & (PT_ACCESSED | PT_DIRTY)) : val;
    put_page_from_pte(old, level, table, d);
    return 0;
}

int mod_pt_entry(struct domain *d, mfn_t table, unsigned int slot, uint64_t val)
{
    return mod_pt_entry_as(d, d, table, slot, val, false);
}

/*
 * Find the L1 table that maps guest address @va in @v's page tables, as the hardware walk
 * (and Xen's linear-map lookup, map_guest_l1e) finds it. Returns its MFN, or false if an
 * upper level is not present or is a superpage.
 */
static bool guest_l1_table(const struct vcpu *v, uint64_t va, mfn_t *l1)
{
    mfn_t mfn = (mfn_t)(v->guest_table >> PAGE_SHIFT);

    if (!v->guest_table)
        return false;
    for (unsigned int level = 4; level > 1; level--) {
        uint64_t e;

        if (!mfn_valid(mfn))
            return false;
        e = ((const uint64_t *)map_frame(mfn))[pt_index(va, level)];
        if ((e & (PT_PRESENT | PT_PSE)) != PT_PRESENT)
            return false;
        mfn = pte_mfn(e);
    }
    if (!mfn_valid(mfn))
        return false;
    *l1 = mfn;
    return true;
}

/*
 * The flush an update_va_mapping asks for (xen.h UVMF_*), once the entry is written. With
 * one CPU, UVMF_LOCAL, UVMF_ALL and a vCPU bitmap that names this vCPU all flush here; the
 * bitmap is read as Xen reads it (one unsigned long for a one-vCPU domain).
 */
static long uvmf_flush(const struct vcpu *v, uint64_t va, unsigned long flags)
{
    unsigned long type = flags & UVMF_FLUSHTYPE_MASK;
    unsigned long bmap = flags & ~UVMF_FLUSHTYPE_MASK;
    bool flush = true;

    if (type != UVMF_TLB_FLUSH && type != UVMF_INVLPG)
        return 0; /* UVMF_NONE, and type 3, which Xen ignores too */
    if (bmap != UVMF_LOCAL && bmap != UVMF_ALL) {
        unsigned long vmask;

        if (copy_from_guest(&vmask, bmap, sizeof(vmask)))
            return -EFAULT;
        flush = (vmask >> v->vcpu_id) & 1;
    }
    if (!flush)
        return 0;
    if (type == UVMF_TLB_FLUSH) {
        flush_tlb();
    } else {
        mm_counters.invlpgs++;
        arch_invlpg(va);
    }
    return 0;
}

long do_update_va_mapping(unsigned long va, unsigned long val, unsigned long flags,
                          unsigned long a4, unsigned long a5)
{
    (void)a4;
    (void)a5;
    return update_va_mapping_as(va, val, flags, current->domain);
}

long update_va_mapping_as(unsigned long va, uint64_t val, unsigned long flags,
                          struct domain *pg_dom)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    mfn_t l1;
    int rc;

    mm_counters.update_va_mapping++;
    /* Xen's xsm_update_va_mapping (dummy policy): a foreign owner needs a privileged caller. */
    if (pg_dom != d && !d->is_privileged)
        return -EPERM;

    /* The hypervisor's range and non-canonical addresses have no guest L1 (Xen __addr_ok). */
    if (va >= PT_GUEST_VA_LOW_END && va < PT_GUEST_VA_HIGH_START)
        return -EINVAL;
    if (!guest_l1_table(v, va, &l1) || !get_page(l1, d))
        return -EINVAL;
    if ((mfn_to_page(l1)->type_info & PGT_type_mask) != PGT_l1_page_table) {
        put_page(l1);
        return -EINVAL;
    }
    rc = mod_pt_entry_as(d, pg_dom, l1, pt_index(va, 1), val, false);
    put_page(l1);
    if (rc)
        return rc; /* nothing changed: no flush (Xen 4.17) */
    return uvmf_flush(v, va, flags);
}

/* ---- Pinning, CR3, sharing, teardown ---- */

int pin_page_table(struct domain *d, mfn_t mfn, unsigned int level)
{
    int rc;

    if (level < 1 || level > 4)
        return -EINVAL;
    if (!get_page(mfn, d))
        return -EINVAL;
    rc = get_page_type(mfn, pgt_level_type(level));
    if (rc) {
        put_page(mfn);
        return rc;
    }
    if (mfn_to_page(mfn)->type_info & PGT_pinned) {
        put_page_and_type(mfn); /* Xen: "already pinned" */
        return -EINVAL;
    }
    mfn_to_page(mfn)->type_info |= PGT_pinned;
    return 0;
}

int unpin_page_table(struct domain *d, mfn_t mfn)
{
    struct page_info *pg;

    if (!get_page(mfn, d))
        return -EINVAL;
    pg = mfn_to_page(mfn);
    if (!(pg->type_info & PGT_pinned)) {
        put_page(mfn);
        return -EINVAL;
    }
    pg->type_info &= ~PGT_pinned;
    put_page_and_type(mfn); /* the pin's references */
    put_page(mfn);          /* ours */
    return 0;
}

int vcpu_set_guest_table(struct vcpu *v, mfn_t mfn)
{
    paddr_t old = v->guest_table;
    int rc;

    if (old && (old >> PAGE_SHIFT) == mfn)
        return 0;
    rc = get_page_and_type(mfn, v->domain, PGT_l4_page_table);
    if (rc)
        return rc;
    v->guest_table = (paddr_t)mfn << PAGE_SHIFT;
    if (old)
        put_page_and_type((mfn_t)(old >> PAGE_SHIFT));
    return 0;
}

void vcpu_put_guest_table(struct vcpu *v)
{
    paddr_t old = v->guest_table;
    paddr_t old_user = v->guest_table_user;

    v->guest_table = 0;
    v->guest_table_user = 0;
    if (old)
        put_page_and_type((mfn_t)(old >> PAGE_SHIFT));
    if (old_user)
        put_page_and_type((mfn_t)(old_user >> PAGE_SHIFT));
}

int vcpu_set_guest_table_user(struct vcpu *v, mfn_t mfn)
{
    paddr_t old = v->guest_table_user;
    int rc;

    if ((old >> PAGE_SHIFT) == mfn)
        return 0; /* the same table again, or 0 with none: nothing to do (Xen) */
    if (mfn) {
        rc = get_page_and_type(mfn, v->domain, PGT_l4_page_table);
        if (rc)
            return rc;
    }
    v->guest_table_user = (paddr_t)mfn << PAGE_SHIFT;
    if (old)
        put_page_and_type((mfn_t)(old >> PAGE_SHIFT));
    return 0;
}

/* ---- Taking frames back (memory_op) ---- */

int guest_remove_page(struct domain *d, mfn_t mfn)
{
    struct page_info *pg;

    if (!mfn_valid(mfn))
        return -EINVAL;
    if (!get_page(mfn, d))
        return -ENXIO; /* Xen: "Bad page free" */
    pg = mfn_to_page(mfn);
    /* Any other reference (a mapping, a pin, a CR3) keeps the frame until it goes. */
    if (pg->count_info & PGC_allocated) {
        pg->count_info &= ~PGC_allocated;
        put_page(mfn);
        mm_counters.pages_released++;
    }
    put_page(mfn);
    return 0;
}

void share_xen_page_with_guest(mfn_t mfn, struct domain *d)
{
    struct page_info *pg = mfn_to_page(mfn);

    pg->owner = d->domain_id;
    pg->count_info = (pg->count_info & ~PGC_count_mask) | PGC_xen_heap | PGC_allocated | 1;
    pg->type_info = PGT_writable_page | PGT_validated | 1;
}

void put_domain_page_tables(struct domain *d)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(d->vcpu); i++) {
        if (d->vcpu[i]) {
            vcpu_put_guest_table(d->vcpu[i]);
            pv_destroy_gdt(d->vcpu[i]); /* its GDT frames' descriptor-page references */
        }
    }
    for (mfn_t mfn = 0; mfn < max_mfn; mfn++) {
        const struct page_info *pg = mfn_to_page(mfn);

        if (pg->owner == d->domain_id && (pg->type_info & PGT_pinned))
            unpin_page_table(d, mfn);
    }
}

unsigned long domain_relinquish_memory(struct domain *d)
{
    unsigned long busy = 0;

    put_domain_page_tables(d);
    defer_free_flush = true;
    for (mfn_t mfn = 0; mfn < max_mfn; mfn++) {
        struct page_info *pg = mfn_to_page(mfn);

        if (pg->owner != d->domain_id)
            continue;
        if ((pg->count_info & PGC_xen_heap) && type_count(pg) == 1 &&
            (pg->type_info & PGT_type_mask) == PGT_writable_page)
            pg->type_info = 0; /* the permanent writable reference of a shared page */
        if (pg->count_info & PGC_allocated) {
            pg->count_info &= ~PGC_allocated;
            put_page(mfn); /* frees the frame unless someone else still holds it */
        }
        if (pg->owner == d->domain_id && page_count(pg) != 0)
            busy++;
    }
    defer_free_flush = false;
    flush_tlb();
    return busy;
}
