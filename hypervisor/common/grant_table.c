/*
 * Grant tables, version 1: the per-domain tables and the GNTTABOP_* hypercall
 * (<mica/grant_table.h> describes the model). Rules and status codes are Xen 4.17's
 * (public grant_table.h; behaviour as xen/common/grant_table.c and
 * xen/arch/x86/pv/grant_table.c show it); docs/abi.md ("Grant tables") lists them with
 * mica's deviations.
 *
 * Portable: frames are reached through map_frame() and the typed-frame functions of mm.c,
 * so the host unit tests (tests/unit/test_grant_table.c) run this file on fake memory.
 */
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/grant_table.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/printf.h>
#include <mica/string.h>
#include <xen/xen.h>

struct gnttab_counters gnttab_counters;

/* Xen's GNTTABOP_CMD_MASK: the low 12 bits of cmd name the op; the rest is for continuations. */
#define GNTTABOP_CMD_MASK 0xfffU

/* ---- Table access ---------------------------------------------------------------------- */

static unsigned int nr_grant_entries(const struct grant_table *gt)
{
    return gt->nr_frames * GNTTAB_ENTRIES_PER_FRAME;
}

static grant_entry_v1_t *shared_entry(const struct grant_table *gt, grant_ref_t ref)
{
    grant_entry_v1_t *f = map_frame(gt->shared_mfn[ref / GNTTAB_ENTRIES_PER_FRAME]);

    return &f[ref % GNTTAB_ENTRIES_PER_FRAME];
}

static struct active_grant_entry *active_entry(const struct grant_table *gt, grant_ref_t ref)
{
    struct active_grant_entry *f = map_frame(gt->active_mfn[ref / GNTTAB_ACTIVE_PER_FRAME]);

    return &f[ref % GNTTAB_ACTIVE_PER_FRAME];
}

static struct grant_mapping *maptrack_entry(const struct grant_table *gt, grant_handle_t h)
{
    struct grant_mapping *f = map_frame(gt->maptrack_mfn[h / MAPTRACK_PER_FRAME]);

    return &f[h % MAPTRACK_PER_FRAME];
}

int gnttab_grant_access_for(struct domain *d, grant_ref_t ref, domid_t to, mfn_t mfn, bool readonly)
{
    struct grant_table *gt = d->grant_table;
    grant_entry_v1_t *sha;

    if (!gt || ref >= nr_grant_entries(gt))
        return -EINVAL;
    sha = shared_entry(gt, ref);
    sha->domid = to;
    sha->frame = (uint32_t)mfn;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* frame and domid before the flags (grant_table.h) */
    __atomic_store_n(&sha->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_SEQ_CST);
    return 0;
}

/* The shared flags word is the guest's too: change it only with atomic operations. */
static uint16_t read_flags(const grant_entry_v1_t *sha)
{
    return __atomic_load_n(&sha->flags, __ATOMIC_SEQ_CST);
}

static void clear_flags(grant_entry_v1_t *sha, uint16_t bits)
{
    __atomic_fetch_and(&sha->flags, (uint16_t)~bits, __ATOMIC_SEQ_CST);
}

/* ---- Maptrack handles: a FIFO free list, as Xen's (a freed handle goes to the tail) ---- */

static bool maptrack_grow(struct grant_table *gt)
{
    struct grant_mapping *f;
    grant_handle_t base;
    mfn_t mfn;

    if (gt->maptrack_frames >= gt->max_maptrack_frames)
        return false;
    f = alloc_hv_page(&mfn, DOMID_XEN);
    if (!f)
        return false;
    base = gt->maptrack_frames * MAPTRACK_PER_FRAME;
    for (unsigned int i = 0; i < MAPTRACK_PER_FRAME; i++) {
        f[i].ref = i + 1 < MAPTRACK_PER_FRAME ? base + i + 1 : MAPTRACK_END;
        f[i].flags = 0;
    }
    gt->maptrack_mfn[gt->maptrack_frames++] = (uint32_t)mfn;
    gt->maptrack_head = base;
    gt->maptrack_tail = base + MAPTRACK_PER_FRAME - 1;
    return true;
}

/* A free handle of @gt, or MAPTRACK_END when every allowed maptrack frame is full. */
static grant_handle_t get_maptrack_handle(struct grant_table *gt)
{
    struct grant_mapping *mt;
    grant_handle_t h;

    if (gt->maptrack_head == MAPTRACK_END && !maptrack_grow(gt))
        return MAPTRACK_END;
    h = gt->maptrack_head;
    mt = maptrack_entry(gt, h);
    gt->maptrack_head = mt->ref;
    if (gt->maptrack_head == MAPTRACK_END)
        gt->maptrack_tail = MAPTRACK_END;
    mt->ref = 0;
    mt->flags = 0;
    gt->maptrack_used++;
    return h;
}

static void put_maptrack_handle(struct grant_table *gt, grant_handle_t h)
{
    struct grant_mapping *mt = maptrack_entry(gt, h);

    mt->flags = 0;
    mt->ref = MAPTRACK_END;
    if (gt->maptrack_tail == MAPTRACK_END)
        gt->maptrack_head = h;
    else
        maptrack_entry(gt, gt->maptrack_tail)->ref = h;
    gt->maptrack_tail = h;
    gt->maptrack_used--;
}

/* ---- Table lifetime --------------------------------------------------------------------- */

/* Active-entry frames needed for @nr_frames shared frames. */
static unsigned int active_frames_for(unsigned int nr_frames)
{
    return (nr_frames * GNTTAB_ENTRIES_PER_FRAME + GNTTAB_ACTIVE_PER_FRAME - 1) /
           GNTTAB_ACTIVE_PER_FRAME;
}

/*
 * Grow @d's table to @nr shared frames (Xen's gnttab_grow_table): new zeroed frames, shared
 * with @d writable (share_xen_page_with_guest(): it maps them, cannot retype them) and their
 * active entries. Returns 0 or -ENOMEM (nothing changed).
 */
static int gnttab_grow_table(struct domain *d, unsigned int nr)
{
    struct grant_table *gt = d->grant_table;
    unsigned int act_old = active_frames_for(gt->nr_frames), act_new = active_frames_for(nr);
    unsigned int i;
    mfn_t mfn;

    for (i = act_old; i < act_new; i++) {
        if (!alloc_hv_page(&mfn, DOMID_XEN))
            goto fail_active;
        gt->active_mfn[i] = (uint32_t)mfn;
    }
    for (i = gt->nr_frames; i < nr; i++) {
        if (!alloc_hv_page(&mfn, DOMID_XEN))
            goto fail_shared;
        gt->shared_mfn[i] = (uint32_t)mfn;
    }
    for (i = gt->nr_frames; i < nr; i++)
        share_xen_page_with_guest(gt->shared_mfn[i], d);
    gt->nr_frames = nr;
    return 0;

fail_shared:
    while (i-- > gt->nr_frames)
        free_frames(gt->shared_mfn[i], 0);
    i = act_new;
fail_active:
    while (i-- > act_old)
        free_frames(gt->active_mfn[i], 0);
    return -ENOMEM;
}

int grant_table_init(struct domain *d)
{
    struct grant_table *gt;
    mfn_t mfn;

    gt = alloc_hv_page(&mfn, DOMID_XEN);
    if (!gt)
        return -ENOMEM;
    memset(gt, 0, sizeof(*gt));
    gt->version = 1;
    gt->max_frames = GNTTAB_MAX_FRAMES;
    gt->max_maptrack_frames = MAPTRACK_MAX_FRAMES;
    gt->maptrack_head = gt->maptrack_tail = MAPTRACK_END;
    gt->self_mfn = mfn;
    d->grant_table = gt;
    if (gnttab_grow_table(d, GNTTAB_INITIAL_FRAMES)) {
        d->grant_table = NULL;
        free_frames(mfn, 0);
        return -ENOMEM;
    }
    return 0;
}

/* Free everything of @d's table (no pins left). */
static void grant_table_free(struct domain *d)
{
    struct grant_table *gt = d->grant_table;
    unsigned long busy = 0;

    for (unsigned int i = 0; i < gt->nr_frames; i++) {
        struct page_info *pg = mfn_to_page(gt->shared_mfn[i]);

        /*
         * domain_relinquish_memory() dropped the allocation and the permanent type
         * reference; a frame still mapped somewhere stays (it is the hypervisor's: freeing
         * it under a live mapping would hand out memory someone can still write).
         */
        if ((pg->count_info & PGC_count_mask) == 0 && pg->owner == d->domain_id) {
            pg->count_info &= ~(PGC_xen_heap | PGC_allocated);
            pg->type_info = 0;
            free_frames(gt->shared_mfn[i], 0);
        } else {
            busy++;
        }
    }
    for (unsigned int i = 0; i < active_frames_for(gt->nr_frames); i++)
        free_frames(gt->active_mfn[i], 0);
    for (unsigned int i = 0; i < gt->maptrack_frames; i++)
        free_frames(gt->maptrack_mfn[i], 0);
    if (busy)
        printk_warn("mica: d%u: %lu grant-table frames still mapped, left allocated\n",
                    d->domain_id, busy);
    d->grant_table = NULL;
    free_frames(gt->self_mfn, 0);
}

void grant_table_destroy(struct domain *d)
{
    struct grant_table *gt = d->grant_table;

    if (!gt)
        return;
    if (gt->active_grants) {
        /* Peers still map its grants: the last unpin frees the table (put_pin()). */
        gt->released = true;
        printk_debug("mica: d%u: %lu grants still mapped by others; table kept until unmapped\n",
                     d->domain_id, gt->active_grants);
        return;
    }
    grant_table_free(d);
}

/* ---- Pins and GTF bits -------------------------------------------------------------------- */

/*
 * Take the access a new pin needs in the shared entry (Xen's _set_status_v1): an unpinned
 * entry must be GTF_permit_access (and, for a mapping, not GTF_sub_page) for @ldomid; a
 * writable pin needs an entry without GTF_readonly. Sets GTF_reading, and GTF_writing for a
 * writable pin. Returns GNTST_okay or GNTST_general_error.
 */
static int16_t set_status(grant_entry_v1_t *sha, const struct active_grant_entry *act,
                          bool readonly, bool mapflag, domid_t ldomid)
{
    uint16_t mask = GTF_type_mask | (mapflag ? GTF_sub_page : 0);
    uint16_t flags = read_flags(sha);
    domid_t domid = __atomic_load_n(&sha->domid, __ATOMIC_SEQ_CST);

    if (!act->pin && ((flags & mask) != GTF_permit_access || domid != ldomid))
        return GNTST_general_error;
    if (!readonly && (flags & GTF_readonly))
        return GNTST_general_error;
    __atomic_fetch_or(&sha->flags, (uint16_t)(GTF_reading | (readonly ? 0 : GTF_writing)),
                      __ATOMIC_SEQ_CST);
    return GNTST_okay;
}

/*
 * Clear the GTF bits the remaining pins no longer need (Xen's reduce_status_for_pin):
 * GTF_reading when no pin is left, GTF_writing (after a writable use) when no writable pin is.
 */
static void reduce_status_for_pin(grant_entry_v1_t *sha, const struct active_grant_entry *act,
                                  bool readonly)
{
    uint16_t clear = act->pin ? 0 : GTF_reading;

    if (!readonly && !(act->pin & (GNTPIN_hstw_mask | GNTPIN_devw_mask)))
        clear |= GTF_writing;
    if (clear)
        clear_flags(sha, clear);
}

/* Add @incr to @act's pins, keeping the count of active entries of @gt. */
static void add_pin(struct grant_table *gt, struct active_grant_entry *act, uint32_t incr)
{
    if (!act->pin)
        gt->active_grants++;
    act->pin += incr;
}

/*
 * Take @decr off the pins of entry @ref of @rd's table and reduce its GTF bits. The last pin
 * of a dead domain's last active grant frees its table.
 */
static void put_pin(struct domain *rd, grant_ref_t ref, uint32_t decr, bool readonly)
{
    struct grant_table *gt = rd->grant_table;
    struct active_grant_entry *act = active_entry(gt, ref);

    act->pin -= decr;
    reduce_status_for_pin(shared_entry(gt, ref), act, readonly);
    if (act->pin)
        return;
    gt->active_grants--;
    if (!gt->active_grants && gt->released)
        grant_table_free(rd);
}

/*
 * The frame an unpinned grant names, with a general reference for @rd (Xen's get_paged_frame
 * for a PV granter: the frame is an MFN @rd must own). GNTST_bad_page otherwise.
 */
static int16_t get_paged_frame(uint64_t frame, struct domain *rd, mfn_t *mfn)
{
    if (!get_page((mfn_t)frame, rd))
        return GNTST_bad_page;
    *mfn = (mfn_t)frame;
    return GNTST_okay;
}

/* A domain a grant names by id (no DOMID_SELF, as Xen's rcu_lock_domain_by_id), alive. */
static struct domain *granting_domain(domid_t domid)
{
    struct domain *d = domain_lookup(domid);

    /* mica refuses a dead granter outright (Xen: its pages are gone, so a later check fails). */
    if (!d || !d->grant_table || d->state != DOMAIN_RUNNING)
        return NULL;
    return d;
}

/* ---- Host mappings: the mapper's L1 entry (Xen's create/replace_grant_pv_mapping) ------- */

/*
 * The L1 entry a host mapping of @v's domain goes in: at guest address @addr in @v's page
 * tables (the walk the MMU does), or, with GNTMAP_contains_pte, at machine address @addr
 * (8-byte aligned). The table must be the domain's own validated, in-use L1 table.
 * Returns a pointer to the entry, or NULL (Xen: GNTST_general_error).
 */
static uint64_t *grant_pte_slot(const struct vcpu *v, uint64_t addr, bool contains_pte)
{
    const struct page_info *pg;
    unsigned int slot;
    mfn_t mfn;

    if (contains_pte) {
        if (addr & 7)
            return NULL;
        mfn = (mfn_t)(addr >> PAGE_SHIFT);
        slot = (unsigned int)(addr & ~PAGE_MASK) / 8;
    } else {
        /* The hypervisor's range and non-canonical addresses have no guest L1 (__addr_ok). */
        if ((addr >= PT_GUEST_VA_LOW_END && addr < PT_GUEST_VA_HIGH_START) || !v->guest_table)
            return NULL;
        mfn = (mfn_t)(v->guest_table >> PAGE_SHIFT);
        for (unsigned int level = 4; level > 1; level--) {
            uint64_t e;

            if (!mfn_valid(mfn))
                return NULL;
            e = ((const uint64_t *)map_frame(mfn))[pt_index(addr, level)];
            if ((e & (PT_PRESENT | PT_PSE)) != PT_PRESENT)
                return NULL;
            mfn = pte_mfn(e);
        }
        slot = pt_index(addr, 1);
    }
    if (!mfn_valid(mfn))
        return NULL;
    pg = mfn_to_page(mfn);
    if (pg->owner != v->domain->domain_id || !(pg->count_info & PGC_count_mask) ||
        (pg->type_info & (PGT_type_mask | PGT_validated)) != (PGT_l1_page_table | PGT_validated) ||
        !(pg->type_info & PGT_count_mask))
        return NULL;
    return (uint64_t *)map_frame(mfn) + slot;
}

/* The PTE flags of a host mapping (Xen's grant_to_pte_flags plus adjust_guest_l1e). */
static uint64_t grant_pte_flags(uint32_t flags)
{
    uint64_t f = PT_PRESENT | PT_ACCESSED | PT_DIRTY | PT_NX;

    if (flags & GNTMAP_application_map)
        f |= PT_USER;
    else
        f |= PT_USER | PT_GUEST_KERNEL; /* a guest-kernel mapping, as Xen marks it */
    if (!(flags & GNTMAP_readonly))
        f |= PT_RW;
    f |= ((uint64_t)(flags >> _GNTMAP_guest_avail0) << 9) & PT_AVAIL;
    return f;
}

static void flush_grant_va(uint64_t addr, bool contains_pte)
{
    if (contains_pte)
        arch_flush_tlb_local(); /* the linear address is not known */
    else
        arch_invlpg(addr);
}

/*
 * Install the host mapping of @mfn at @addr (see grant_pte_slot()) for the current vCPU. The
 * caller holds the references the new entry needs; the old entry's are dropped. Returns
 * GNTST_okay or GNTST_general_error.
 */
static int16_t create_grant_host_mapping(uint64_t addr, mfn_t mfn, uint32_t flags)
{
    bool contains_pte = flags & GNTMAP_contains_pte;
    uint64_t *pl1e = grant_pte_slot(current, addr, contains_pte);
    uint64_t old;

    if (!pl1e)
        return GNTST_general_error;
    old = *pl1e;
    *pl1e = ((uint64_t)mfn << PAGE_SHIFT) | grant_pte_flags(flags);
    if (old & PT_PRESENT) {
        put_page_from_pte(old, 1, 0, current->domain);
        flush_grant_va(addr, contains_pte);
    }
    return GNTST_okay;
}

/*
 * Remove the host mapping of @mfn at @addr: the entry must map @mfn, present, with the
 * mapping's write permission (Xen's replace_grant_pv_mapping with no new address). The
 * entry's references are the caller's to drop. Returns GNTST_okay or GNTST_general_error.
 */
static int16_t destroy_grant_host_mapping(uint64_t addr, mfn_t mfn, uint32_t flags)
{
    bool contains_pte = flags & GNTMAP_contains_pte;
    uint64_t *pl1e = grant_pte_slot(current, addr, contains_pte);
    uint64_t old;

    if (!pl1e)
        return GNTST_general_error;
    old = *pl1e;
    if (pte_mfn(old) != mfn || ((old ^ grant_pte_flags(flags)) & (PT_PRESENT | PT_RW)))
        return GNTST_general_error;
    *pl1e = 0;
    flush_grant_va(addr, contains_pte);
    return GNTST_okay;
}

/* ---- GNTTABOP_map_grant_ref ------------------------------------------------------------ */

/* One map operation (Xen's map_grant_ref; the order of its checks is Xen's). */
static void map_grant_ref(struct gnttab_map_grant_ref *op)
{
    struct domain *ld = current->domain, *rd;
    struct grant_table *lgt = ld->grant_table, *rgt;
    bool readonly = op->flags & GNTMAP_readonly;
    unsigned int refcnt = 0, typecnt = 0;
    struct active_grant_entry *act;
    grant_entry_v1_t *sha;
    uint32_t pin_incr = 0;
    grant_handle_t handle;
    int16_t rc;
    mfn_t mfn;

    if (op->flags & GNTMAP_device_map)
        pin_incr += readonly ? GNTPIN_devr_inc : GNTPIN_devw_inc;
    if (op->flags & GNTMAP_host_map)
        pin_incr += readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
    if (!pin_incr) {
        op->status = GNTST_bad_gntref; /* Xen: "Bad flags in grant map op" */
        return;
    }
    rd = granting_domain(op->dom);
    if (!rd) {
        op->status = GNTST_bad_domain;
        return;
    }
    handle = get_maptrack_handle(lgt);
    if (handle == MAPTRACK_END) {
        op->status = GNTST_no_space;
        return;
    }
    rgt = rd->grant_table;
    if (op->ref >= nr_grant_entries(rgt)) {
        rc = GNTST_bad_gntref;
        goto out_handle;
    }
    sha = shared_entry(rgt, op->ref);
    act = active_entry(rgt, op->ref);

    /* Pinned already: by this domain only, and no 8-bit pin counter may reach its top bit. */
    if (act->pin &&
        (act->domid != ld->domain_id || (act->pin & (pin_incr << (GNTPIN_CNTR_WIDTH - 1))))) {
        rc = GNTST_general_error;
        goto out_handle;
    }
    if (!act->pin || (!readonly && !(act->pin & (GNTPIN_hstw_mask | GNTPIN_devw_mask)))) {
        rc = set_status(sha, act, readonly, true, ld->domain_id);
        if (rc != GNTST_okay)
            goto out_handle;
        if (!act->pin) {
            /* The general reference this takes is the mapping's first. */
            rc = get_paged_frame(sha->frame, rd, &mfn);
            if (rc != GNTST_okay) {
                reduce_status_for_pin(sha, act, readonly);
                goto out_handle;
            }
            refcnt++;
            act->domid = ld->domain_id;
            act->mfn = mfn;
        }
    }
    add_pin(rgt, act, pin_incr);
    mfn = (mfn_t)act->mfn;

    if (!refcnt) {
        if (!get_page(mfn, rd))
            goto could_not_pin;
        refcnt++;
    }
    if ((op->flags & GNTMAP_device_map) && !readonly) {
        if (get_page_type(mfn, PGT_writable_page))
            goto could_not_pin;
        typecnt++;
    }
    if (op->flags & GNTMAP_host_map) {
        /* A second general reference when the device mapping took the first. */
        if (op->flags & GNTMAP_device_map) {
            if (!get_page(mfn, rd))
                goto could_not_pin;
            refcnt++;
        }
        if (!readonly) {
            if (get_page_type(mfn, PGT_writable_page))
                goto could_not_pin;
            typecnt++;
        }
        rc = create_grant_host_mapping(op->host_addr, mfn, op->flags);
        if (rc != GNTST_okay)
            goto undo;
    }

    struct grant_mapping *mt = maptrack_entry(lgt, handle);
    mt->domid = op->dom;
    mt->ref = op->ref;
    mt->flags = (uint16_t)op->flags;
    op->dev_bus_addr = (uint64_t)mfn << PAGE_SHIFT;
    op->handle = handle;
    op->status = GNTST_okay;
    return;

could_not_pin:
    rc = GNTST_general_error;
undo:
    while (typecnt--)
        put_page_type(mfn);
    while (refcnt--)
        put_page(mfn);
    put_pin(rd, op->ref, pin_incr, readonly);
out_handle:
    op->status = rc;
    put_maptrack_handle(lgt, handle);
}

/* Xen's guest_handle_okay for a 64-bit PV guest: the count fits and the start is a guest's. */
static bool handle_okay(uint64_t addr, uint64_t count, uint64_t size)
{
    return count < ~0UL / size && (addr < PT_GUEST_VA_LOW_END || addr >= HYPERVISOR_VIRT_END);
}

static long gnttab_map_grant_ref(uint64_t uop, unsigned int count, unsigned int *done)
{
    struct gnttab_map_grant_ref op;

    for (unsigned int i = 0; i < count; i++) {
        uint64_t at = uop + (uint64_t)i * sizeof(op);

        if (i && hypercall_preempt_check()) {
            *done = i;
            return 1;
        }
        if (copy_from_guest(&op, at, sizeof(op)))
            return -EFAULT;
        map_grant_ref(&op);
        if (op.status == GNTST_okay)
            gnttab_counters.maps++;
        else
            gnttab_counters.map_failures++;
        if (copy_to_guest(at, &op, sizeof(op)))
            return -EFAULT;
    }
    return 0;
}

/* ---- GNTTABOP_unmap_grant_ref ---------------------------------------------------------- */

/* One unmap operation (Xen's unmap_common and unmap_common_complete in one). */
static int16_t unmap_grant_ref(const struct gnttab_unmap_grant_ref *op)
{
    struct domain *ld = current->domain, *rd;
    struct grant_table *lgt = ld->grant_table;
    struct active_grant_entry *act;
    struct grant_mapping *map;
    uint32_t flags, done = 0;
    int16_t rc = GNTST_okay;
    mfn_t mfn;

    if (op->handle >= lgt->maptrack_frames * MAPTRACK_PER_FRAME)
        return GNTST_bad_handle;
    map = maptrack_entry(lgt, op->handle);
    flags = map->flags;
    if (!flags)
        return GNTST_bad_handle;
    rd = domain_lookup(map->domid);
    if (!rd || !rd->grant_table || map->ref >= nr_grant_entries(rd->grant_table))
        return GNTST_bad_handle; /* unreachable: a pinned granter keeps its table */
    act = active_entry(rd->grant_table, map->ref);
    mfn = (mfn_t)act->mfn;

    if (op->dev_bus_addr && (flags & GNTMAP_device_map) &&
        op->dev_bus_addr != ((uint64_t)mfn << PAGE_SHIFT))
        return GNTST_bad_dev_addr;
    if (op->host_addr && (flags & GNTMAP_host_map)) {
        rc = destroy_grant_host_mapping(op->host_addr, mfn, flags);
        if (rc != GNTST_okay)
            return rc;
        map->flags &= ~GNTMAP_host_map;
        done |= GNTMAP_host_map;
    }
    if (op->dev_bus_addr && (flags & GNTMAP_device_map)) {
        map->flags &= ~GNTMAP_device_map;
        done |= GNTMAP_device_map;
    }

    grant_ref_t ref = map->ref;
    bool readonly = flags & GNTMAP_readonly;
    uint32_t pin_decr = 0;

    if (!(map->flags & (GNTMAP_device_map | GNTMAP_host_map)))
        put_maptrack_handle(lgt, op->handle);
    /* The references the removed uses held (the PTE is gone and flushed). */
    if (done & GNTMAP_device_map) {
        if (readonly) {
            put_page(mfn);
        } else {
            put_page_type(mfn);
            put_page(mfn);
        }
        pin_decr += readonly ? GNTPIN_devr_inc : GNTPIN_devw_inc;
    }
    if (done & GNTMAP_host_map) {
        if (!readonly)
            put_page_type(mfn);
        put_page(mfn);
        pin_decr += readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
    }
    if (pin_decr)
        put_pin(rd, ref, pin_decr, readonly);
    return rc;
}

static long gnttab_unmap_grant_ref(uint64_t uop, unsigned int count, unsigned int *done)
{
    struct gnttab_unmap_grant_ref op;

    for (unsigned int i = 0; i < count; i++) {
        uint64_t at = uop + (uint64_t)i * sizeof(op);

        if (i && hypercall_preempt_check()) {
            *done = i;
            return 1;
        }
        if (copy_from_guest(&op, at, sizeof(op)))
            return -EFAULT;
        op.status = unmap_grant_ref(&op);
        if (op.status == GNTST_okay)
            gnttab_counters.unmaps++;
        else
            gnttab_counters.unmap_failures++;
        if (copy_to_guest(at + offsetof(struct gnttab_unmap_grant_ref, status), &op.status,
                          sizeof(op.status)))
            return -EFAULT;
    }
    return 0;
}

/* ---- GNTTABOP_copy --------------------------------------------------------------------- */

/* One side of a copy while it is held: its frame and what was taken on it. */
struct copy_buf {
    struct domain *domain;
    mfn_t mfn;
    bool have_page, have_type;
    bool have_grant; /* a pin on (domain, ref) */
    grant_ref_t ref;
    bool read_only;
};

static void release_copy_buf(struct copy_buf *b)
{
    if (b->have_grant)
        put_pin(b->domain, b->ref, b->read_only ? GNTPIN_hstr_inc : GNTPIN_hstw_inc, b->read_only);
    if (b->have_type)
        put_page_type(b->mfn);
    if (b->have_page)
        put_page(b->mfn);
    b->have_grant = b->have_type = b->have_page = false;
}

/*
 * Pin grant @ref of @rd for a copy by @ldom (Xen's acquire_grant_for_copy, v1) and take a
 * general reference on its frame. Returns GNTST_okay or the status.
 */
static int16_t acquire_grant_for_copy(struct domain *rd, grant_ref_t ref, domid_t ldom,
                                      bool readonly, mfn_t *mfn)
{
    struct grant_table *rgt = rd->grant_table;
    uint32_t pin_incr = readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
    struct active_grant_entry *act;
    grant_entry_v1_t *sha;
    int16_t rc;

    if (ref >= nr_grant_entries(rgt))
        return GNTST_bad_gntref;
    sha = shared_entry(rgt, ref);
    act = active_entry(rgt, ref);
    if (act->pin && (act->domid != ldom || (act->pin & (pin_incr << (GNTPIN_CNTR_WIDTH - 1)))))
        return GNTST_general_error;
    if (!act->pin || (!readonly && !(act->pin & (GNTPIN_devw_mask | GNTPIN_hstw_mask)))) {
        rc = set_status(sha, act, readonly, false, ldom);
        if (rc != GNTST_okay)
            return rc;
        rc = get_paged_frame(sha->frame, rd, mfn);
        if (rc != GNTST_okay) {
            reduce_status_for_pin(sha, act, readonly);
            return rc;
        }
        if (!act->pin) {
            act->domid = ldom;
            act->mfn = *mfn;
        }
    } else {
        *mfn = (mfn_t)act->mfn;
        if (!get_page(*mfn, rd)) {
            reduce_status_for_pin(sha, act, readonly);
            return GNTST_bad_domain;
        }
    }
    add_pin(rgt, act, pin_incr);
    return GNTST_okay;
}

/* Take one side of a copy: by grant reference or, for DOMID_SELF only, by MFN. */
static int16_t claim_copy_buf(const struct gnttab_copy_ptr *ptr, bool is_gref, bool read_only,
                              struct copy_buf *b)
{
    int16_t rc;

    b->read_only = read_only;
    if (is_gref) {
        rc = acquire_grant_for_copy(b->domain, ptr->u.ref, current->domain->domain_id, read_only,
                                    &b->mfn);
        if (rc != GNTST_okay)
            return rc;
        b->ref = ptr->u.ref;
        b->have_grant = true;
    } else {
        rc = get_paged_frame(ptr->u.gmfn, b->domain, &b->mfn);
        if (rc != GNTST_okay)
            return rc;
    }
    b->have_page = true;
    if (!read_only) {
        if (get_page_type(b->mfn, PGT_writable_page))
            return GNTST_general_error; /* Xen: "Could not get writable frame" */
        b->have_type = true;
    }
    return GNTST_okay;
}

/* The domain of one side of a copy (Xen's gnttab_copy_lock_domain). */
static int16_t copy_domain(domid_t domid, bool is_gref, struct domain **d)
{
    if (domid != DOMID_SELF && !is_gref)
        return GNTST_permission_denied; /* only DOMID_SELF may name a frame */
    *d = domid == DOMID_SELF ? current->domain : granting_domain(domid);
    return *d ? GNTST_okay : GNTST_bad_domain;
}

/* One copy operation (Xen's gnttab_copy_one with its buffers taken and released each time). */
static int16_t copy_one(const struct gnttab_copy *op)
{
    struct copy_buf src = {0}, dest = {0};
    int16_t rc;

    rc = copy_domain(op->source.domid, op->flags & GNTCOPY_source_gref, &src.domain);
    if (rc == GNTST_okay)
        rc = copy_domain(op->dest.domid, op->flags & GNTCOPY_dest_gref, &dest.domain);
    if (rc != GNTST_okay)
        return rc;
    rc = claim_copy_buf(&op->source, op->flags & GNTCOPY_source_gref, true, &src);
    if (rc == GNTST_okay)
        rc = claim_copy_buf(&op->dest, op->flags & GNTCOPY_dest_gref, false, &dest);
    if (rc == GNTST_okay) {
        if ((unsigned int)op->source.offset + op->len > PAGE_SIZE ||
            (unsigned int)op->dest.offset + op->len > PAGE_SIZE) {
            rc = GNTST_bad_copy_arg;
        } else {
            memmove((uint8_t *)map_frame(dest.mfn) + op->dest.offset,
                    (const uint8_t *)map_frame(src.mfn) + op->source.offset, op->len);
            gnttab_counters.bytes_copied += op->len;
        }
    }
    release_copy_buf(&dest);
    release_copy_buf(&src);
    return rc;
}

static long gnttab_copy(uint64_t uop, unsigned int count, unsigned int *done)
{
    struct gnttab_copy op;

    for (unsigned int i = 0; i < count; i++) {
        uint64_t at = uop + (uint64_t)i * sizeof(op);

        if (i && hypercall_preempt_check()) {
            *done = i;
            return 1;
        }
        if (copy_from_guest(&op, at, sizeof(op)))
            return -EFAULT;
        op.status = copy_one(&op);
        if (op.status == GNTST_okay)
            gnttab_counters.copies++;
        else
            gnttab_counters.copy_failures++;
        if (copy_to_guest(at + offsetof(struct gnttab_copy, status), &op.status, sizeof(op.status)))
            return -EFAULT;
    }
    return 0;
}

/* ---- Table set-up and queries ------------------------------------------------------------ */

/* The domain a caller names by @domid (DOMID_SELF allowed: Xen's rcu_lock_domain_by_any_id). */
static struct domain *any_domain(domid_t domid)
{
    struct domain *d = domid == DOMID_SELF ? current->domain : domain_lookup(domid);

    return d && d->grant_table ? d : NULL;
}

/* Xen's XSM_TARGET under the dummy policy: itself, or a privileged caller. */
static bool may_target(const struct domain *d)
{
    return d == current->domain || current->domain->is_privileged;
}

static long gnttab_setup_table(uint64_t uop, unsigned int count)
{
    struct gnttab_setup_table op;
    struct domain *d;
    struct grant_table *gt;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    if (!handle_okay((uint64_t)(uintptr_t)op.frame_list.p, op.nr_frames, sizeof(xen_pfn_t)))
        return -EFAULT;
    d = any_domain(op.dom);
    if (!d) {
        op.status = GNTST_bad_domain;
    } else if (!may_target(d)) {
        op.status = GNTST_permission_denied;
    } else {
        gt = d->grant_table;
        if (op.nr_frames > gt->max_frames) {
            op.status = GNTST_general_error; /* Xen: "limited to %u grant-table frames" */
        } else if (op.nr_frames > gt->nr_frames && gnttab_grow_table(d, op.nr_frames)) {
            op.status = GNTST_general_error;
        } else {
            op.status = GNTST_okay;
            for (unsigned int i = 0; i < op.nr_frames; i++) {
                xen_pfn_t mfn = gt->shared_mfn[i]; /* a PV guest's frame list holds MFNs */

                if (copy_to_guest((uint64_t)(uintptr_t)(op.frame_list.p + i), &mfn, sizeof(mfn)))
                    op.status = GNTST_bad_virt_addr;
            }
        }
    }
    if (copy_to_guest(uop + offsetof(struct gnttab_setup_table, status), &op.status,
                      sizeof(op.status)))
        return -EFAULT;
    return 0;
}

static long gnttab_query_size(uint64_t uop, unsigned int count)
{
    struct gnttab_query_size op;
    struct domain *d;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    d = any_domain(op.dom);
    if (!d) {
        op.status = GNTST_bad_domain;
    } else if (!may_target(d)) {
        op.status = GNTST_permission_denied;
    } else {
        op.nr_frames = d->grant_table->nr_frames;
        op.max_nr_frames = d->grant_table->max_frames;
        op.status = GNTST_okay;
    }
    if (copy_to_guest(uop, &op, sizeof(op)))
        return -EFAULT;
    return 0;
}

static long gnttab_set_version(uint64_t uop)
{
    struct gnttab_set_version op;
    long rc;

    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    if (op.version != 1 && op.version != 2)
        rc = -EINVAL;
    else if (op.version == 2)
        rc = -ENOSYS; /* Xen with a maximum version of 1: "behave as before set_version" */
    else
        rc = 0;
    op.version = current->domain->grant_table->version;
    if (copy_to_guest(uop, &op, sizeof(op)))
        rc = -EFAULT;
    return rc;
}

static long gnttab_get_version(uint64_t uop)
{
    struct gnttab_get_version op;
    struct domain *d;

    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    d = any_domain(op.dom);
    if (!d)
        return -ESRCH;
    if (!may_target(d))
        return -EPERM;
    op.version = d->grant_table->version;
    if (copy_to_guest(uop + offsetof(struct gnttab_get_version, version), &op.version,
                      sizeof(op.version)))
        return -EFAULT;
    return 0;
}

/* ---- The hypercall ----------------------------------------------------------------------- */

long do_grant_table_op(unsigned long cmd_arg, unsigned long uop, unsigned long count_arg,
                       unsigned long a4, unsigned long a5)
{
    unsigned int cmd = (unsigned int)cmd_arg, count = (unsigned int)count_arg;
    unsigned int done = 0;
    size_t size;
    long rc;

    (void)a4;
    (void)a5;
    gnttab_counters.calls++;
    if ((int)count < 0)
        return -EINVAL;
    if (cmd & ~GNTTABOP_CMD_MASK)
        return -EINVAL; /* continuation bits belong to cache_flush only, which mica lacks */

    switch (cmd) {
    case GNTTABOP_map_grant_ref:
        size = sizeof(struct gnttab_map_grant_ref);
        if (!handle_okay(uop, count, size))
            return -EFAULT;
        rc = gnttab_map_grant_ref(uop, count, &done);
        break;
    case GNTTABOP_unmap_grant_ref:
        size = sizeof(struct gnttab_unmap_grant_ref);
        if (!handle_okay(uop, count, size))
            return -EFAULT;
        rc = gnttab_unmap_grant_ref(uop, count, &done);
        break;
    case GNTTABOP_copy:
        size = sizeof(struct gnttab_copy);
        if (!handle_okay(uop, count, size))
            return -EFAULT;
        rc = gnttab_copy(uop, count, &done);
        break;
    case GNTTABOP_setup_table:
        return gnttab_setup_table(uop, count);
    case GNTTABOP_query_size:
        return gnttab_query_size(uop, count);
    case GNTTABOP_set_version:
        return gnttab_set_version(uop);
    case GNTTABOP_get_version:
        return gnttab_get_version(uop);
    default:
        /* transfer, unmap_and_replace, get_status_frames, swap_grant_ref, cache_flush */
        return -ENOSYS;
    }
    if (rc > 0) /* preempted after @done operations: the rest continues later */
        return hypercall_create_continuation(__HYPERVISOR_grant_table_op, cmd, uop + done * size,
                                             count - done);
    return rc;
}

/* ---- Death -------------------------------------------------------------------------------- */

void gnttab_release_mappings(struct domain *d)
{
    struct grant_table *gt = d->grant_table;

    if (!gt)
        return;
    for (grant_handle_t h = 0; h < gt->maptrack_frames * MAPTRACK_PER_FRAME; h++) {
        struct grant_mapping *map = maptrack_entry(gt, h);
        struct domain *rd;
        uint32_t flags = map->flags, pin_decr = 0;
        bool readonly = flags & GNTMAP_readonly;
        mfn_t mfn;

        if (!(flags & (GNTMAP_device_map | GNTMAP_host_map)))
            continue;
        rd = domain_lookup(map->domid);
        if (!rd || !rd->grant_table) {
            put_maptrack_handle(gt, h);
            continue;
        }
        mfn = (mfn_t)active_entry(rd->grant_table, map->ref)->mfn;
        if (flags & GNTMAP_device_map) {
            pin_decr += readonly ? GNTPIN_devr_inc : GNTPIN_devw_inc;
            if (!readonly)
                put_page_type(mfn);
            put_page(mfn);
        }
        /* A host mapping's references are its L1 entry's: the page-table teardown drops them. */
        if (flags & GNTMAP_host_map)
            pin_decr += readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
        grant_ref_t ref = map->ref;
        put_maptrack_handle(gt, h);
        put_pin(rd, ref, pin_decr, readonly);
        gnttab_counters.released++;
    }

    /* The counters, machine-wide, at each death: what a researcher asks about a run. */
    char line[256];
    gnttab_format_counters(line, sizeof(line));
    printk_debug("mica: grants (all domains): %s\n", line);
}

void gnttab_format_counters(char *buf, size_t len)
{
    const struct gnttab_counters *c = &gnttab_counters;

    snprintf(buf, len,
             "calls=%lu maps=%lu map_failures=%lu unmaps=%lu unmap_failures=%lu copies=%lu "
             "copy_failures=%lu bytes_copied=%lu released=%lu",
             (unsigned long)c->calls, (unsigned long)c->maps, (unsigned long)c->map_failures,
             (unsigned long)c->unmaps, (unsigned long)c->unmap_failures, (unsigned long)c->copies,
             (unsigned long)c->copy_failures, (unsigned long)c->bytes_copied,
             (unsigned long)c->released);
}
