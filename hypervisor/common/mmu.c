/*
 * The guest-facing page-table hypercalls (xen.h): HYPERVISOR_mmu_update (entries of any
 * validated table, M2P entries), HYPERVISOR_mmuext_op (pins, base pointers, TLB and cache
 * flushes, LDT, page clear/copy) and HYPERVISOR_update_va_mapping_otherdomain, over the
 * typed-frame rules of mm.c (<mica/page_types.h>).
 *
 * Xen 4.17's do_mmu_update, do_mmuext_op and do_update_va_mapping_otherdomain
 * (xen/arch/x86/mm.c) are the rule for every error code, the success count and the
 * continuation encoding; docs/abi.md ("mmu_update, mmuext_op and memory reservations")
 * lists where mica differs and why.
 *
 * Batches: requests run in order and stop at the first failure, whose error is the result;
 * *success_count (if given) gets the number that succeeded. When the time slice ends
 * (hypercall_preempt_check()) a batch becomes a continuation: the guest re-issues the call
 * with the request pointer advanced and count = remaining | MMU_UPDATE_PREEMPTED, and the
 * continued call reads the success count back from the guest and adds to it.
 *
 * Portable: runs in the host unit tests (tests/unit/test_mmu.c) over fake frames.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/string.h>
#include <xen/xen.h>

/*
 * Xen's flag in @count of a continued batch (xen/arch/x86/include/asm/hypercall.h): the bits
 * below it are the requests still to run; the success count so far is already in the guest.
 */
#define MMU_UPDATE_PREEMPTED (~(~0U >> 1))

/* LDT limit of MMUEXT_SET_LDT (Xen: 8192 descriptors, a 64 KiB LDT). */
#define LDT_MAX_ENTRIES 8192

/*
 * The pseudo-domains a caller may name as page owner (Xen's dom_io and dom_xen). They own
 * frames (DOMID_IO: device memory; DOMID_XEN: the hypervisor's) but never run.
 */
static struct domain dom_io = {.domain_id = DOMID_IO};
static struct domain dom_xen = {.domain_id = DOMID_XEN};

/*
 * Xen's __addr_ok (asm/x86_64/uaccess.h): a guest array may start anywhere but in the
 * hypervisor's range; a run past the lower half faults on the non-canonical hole.
 */
static bool addr_ok(uint64_t addr)
{
    return addr < (1ULL << 47) || addr >= HYPERVISOR_VIRT_END;
}

/*
 * Xen's get_pg_owner(): the domain a batch's frames belong to. The caller's own id is
 * refused ("Cannot specify itself as foreign domain"); DOMID_SELF means the caller.
 * Returns NULL for those and for unknown ids (the caller answers -ESRCH).
 */
static struct domain *get_pg_owner(domid_t domid)
{
    struct domain *curr = current->domain;

    if (domid == curr->domain_id)
        return NULL;
    switch (domid) {
    case DOMID_SELF:
        return curr;
    case DOMID_IO:
        return &dom_io;
    case DOMID_XEN:
        return &dom_xen;
    default:
        return domain_lookup(domid);
    }
}

/* Xen's XSM_TARGET rule under the dummy policy: oneself, or a privileged caller. */
static bool may_target(const struct domain *d, const struct domain *t)
{
    return d == t || d->is_privileged;
}

static void flush_tlb_counted(void)
{
    mm_counters.tlb_flushes++;
    arch_flush_tlb_local();
}

static void invlpg_counted(uint64_t va)
{
    mm_counters.invlpgs++;
    arch_invlpg(va);
}

/*
 * Write @val into word @slot of frame @mfn, which is not a page table (Xen writes any
 * frame it can give the writable type this way: "writable_mmu_updates").
 */
static void write_word(mfn_t mfn, unsigned int slot, uint64_t val)
{
    ((uint64_t *)map_frame(mfn))[slot] = val;
}

/*
 * One MMU_NORMAL_PT_UPDATE / MMU_PT_UPDATE_PRESERVE_AD request: word @ptr (machine address,
 * command bits cleared) of a frame of @pt_owner gets @val. A validated L1-L4 table is updated
 * through mod_pt_entry_as(); an L2-L4 update sets *@flush. Any other frame that can be
 * typed writable is written as it is. Xen's do_mmu_update, normal case.
 */
static long pt_update(struct domain *pt_owner, struct domain *pg_owner, uint64_t ptr, uint64_t val,
                      bool preserve_ad, bool *flush)
{
    const struct domain *d = current->domain;
    const mfn_t mfn = (mfn_t)(ptr >> PAGE_SHIFT);
    const unsigned int slot = (unsigned int)(ptr & (PAGE_SIZE - 1)) / sizeof(uint64_t);
    const struct page_info *pg;
    uint32_t t;
    long rc = -EINVAL;

    /* xsm_mmu_update: DOMID_IO as page owner needs no permission of its own. */
    if ((pg_owner != &dom_io && !may_target(d, pg_owner)) || !may_target(d, pt_owner))
        return -EPERM;
    if (!get_page(mfn, pt_owner))
        return -EINVAL; /* "Could not get page for normal update" */

    pg = mfn_to_page(mfn);
    t = pg->type_info;
    if ((t & PGT_validated) && (t & PGT_count_mask)) {
        switch (t & PGT_type_mask) {
        case PGT_l1_page_table:
            rc = mod_pt_entry_as(pt_owner, pg_owner, mfn, slot, val, preserve_ad);
            break;
        case PGT_l2_page_table:
        case PGT_l3_page_table:
        case PGT_l4_page_table:
            if (pg_owner != pt_owner)
                break; /* only L1 entries may map another owner's frames */
            rc = mod_pt_entry_as(pt_owner, pg_owner, mfn, slot, val, preserve_ad);
            if (!rc)
                *flush = true;
            break;
        case PGT_writable_page:
            write_word(mfn, slot, val);
            rc = 0;
            break;
        default:
            break; /* descriptor and shared pages: -EINVAL */
        }
    } else if (get_page_type(mfn, PGT_writable_page) == 0) {
        write_word(mfn, slot, val);
        put_page_type(mfn);
        rc = 0;
    }
    put_page(mfn);
    return rc;
}

/* One MMU_MACHPHYS_UPDATE request: machine_to_phys[@ptr >> 12] = @val (Xen). */
static long machphys_update(struct domain *pt_owner, struct domain *pg_owner, uint64_t ptr,
                            uint64_t val)
{
    struct domain *d = current->domain;
    const mfn_t mfn = (mfn_t)(ptr >> PAGE_SHIFT);

    if (d != pt_owner)
        return -EPERM;
    if (pg_owner != &dom_io && !may_target(d, pg_owner))
        return -EPERM;
    if (!get_page(mfn, pg_owner))
        return -EINVAL; /* "Could not get page for mach->phys update" */
    machine_to_phys[mfn] = (unsigned long)val;
    put_page(mfn);
    return 0;
}

/* The guest's success count: add @n to what it held (@done) and write it back, if asked. */
static void report_done(unsigned long pdone, unsigned int done, unsigned int n)
{
    done += n;
    if (pdone)
        (void)copy_to_guest(pdone, &done, sizeof(done)); /* Xen ignores a bad pointer too */
}

/* A continued batch's success count so far, from the guest (0 if unreadable). */
static unsigned int read_done(unsigned long pdone)
{
    unsigned int done = 0;

    if (pdone && copy_from_guest(&done, pdone, sizeof(done)))
        done = 0;
    return done;
}

/**
 * HYPERVISOR_mmu_update(@ureqs, @count, @pdone, @foreigndom) (xen.h): run @count (an
 * unsigned int) struct mmu_update requests at guest address @ureqs. The low 3 bits of ptr
 * select the command: MMU_NORMAL_PT_UPDATE and MMU_PT_UPDATE_NO_TRANSLATE (the same for a PV
 * guest), MMU_PT_UPDATE_PRESERVE_AD (the old A/D bits ORed in), MMU_MACHPHYS_UPDATE.
 * @foreigndom: the low 16 bits name the owner of the frames L1 entries map (DOMID_SELF
 * normally), the high 16 bits, if non-zero, 1 + the domain whose tables are updated.
 *
 * Returns 0; the first failed request's error (-EINVAL: not a table or frame of the domain,
 * a refused entry; -EBUSY, -EPERM: see mm.c; -ENOSYS: unknown command; -EFAULT: a request
 * that cannot be read); before any request, -EFAULT for @ureqs in the hypervisor's range and
 * -ESRCH for an unknown or self-naming @foreigndom. *@pdone (unsigned int; NULL allowed,
 * a bad pointer ignored) gets the number of requests that succeeded. An L2-L4 change flushes
 * the TLB once at the end (Xen's flush_linear_pt).
 */
long do_mmu_update(unsigned long ureqs, unsigned long count_arg, unsigned long pdone,
                   unsigned long foreigndom_arg, unsigned long a5)
{
    const unsigned int foreigndom = (unsigned int)foreigndom_arg;
    unsigned int count = (unsigned int)count_arg;
    struct domain *d = current->domain, *pt_owner = d, *pg_owner;
    unsigned int i = 0, done = 0, pt_dom;
    bool flush = false, preempted = false;
    long rc = 0;

    (void)a5;
    /*
     * Xen's encoding for handing a deferred result to a continuation (after a preempted
     * put of an old page table): NULL requests with exactly this count return @foreigndom.
     */
    if (count == MMU_UPDATE_PREEMPTED && !ureqs)
        return (int)foreigndom;
    if (count & MMU_UPDATE_PREEMPTED) {
        count &= ~MMU_UPDATE_PREEMPTED;
        done = read_done(pdone);
    } else {
        mm_counters.mmu_update_calls++;
    }
    if (!addr_ok(ureqs))
        return -EFAULT;

    pt_dom = foreigndom >> 16;
    if (pt_dom) {
        pt_owner = domain_lookup((domid_t)(pt_dom - 1));
        if (!pt_owner)
            return -ESRCH;
        if (pt_owner != d && !pt_owner->vcpu[0]) {
            rc = -EINVAL;
            goto out;
        }
    }
    pg_owner = get_pg_owner((domid_t)foreigndom);
    if (!pg_owner) {
        rc = -ESRCH;
        goto out;
    }

    for (i = 0; i < count; i++) {
        struct mmu_update req;
        unsigned int cmd;

        if (i && hypercall_preempt_check()) {
            preempted = true;
            break;
        }
        if (copy_from_guest(&req, ureqs + (uint64_t)i * sizeof(req), sizeof(req))) {
            rc = -EFAULT;
            break;
        }
        cmd = req.ptr & (sizeof(uint64_t) - 1);
        switch (cmd) {
        case MMU_NORMAL_PT_UPDATE:
        case MMU_PT_UPDATE_PRESERVE_AD:
        case MMU_PT_UPDATE_NO_TRANSLATE:
            rc = pt_update(pt_owner, pg_owner, req.ptr - cmd, req.val,
                           cmd == MMU_PT_UPDATE_PRESERVE_AD, &flush);
            break;
        case MMU_MACHPHYS_UPDATE:
            rc = machphys_update(pt_owner, pg_owner, req.ptr, req.val);
            break;
        default:
            rc = -ENOSYS;
            break;
        }
        if (rc)
            break;
        mm_counters.mmu_updates++;
    }

    if (preempted)
        rc = hypercall_create_continuation(__HYPERVISOR_mmu_update,
                                           ureqs + (uint64_t)i * sizeof(struct mmu_update),
                                           (count - i) | MMU_UPDATE_PREEMPTED, pdone, foreigndom);
    /* A changed L2-L4 entry may still be cached: flush, also when stopping early (Xen). */
    if (flush)
        flush_tlb_counted();
out:
    report_done(pdone, done, i);
    return rc;
}

/*
 * MMUEXT_NEW_BASEPTR: make @mfn @v's kernel L4 (Xen's new_guest_cr3). The new table is
 * referenced (validated on the spot) first, loaded into CR3 if @v runs in kernel mode, and
 * only then is the old table's reference dropped, which may devalidate or free it.
 */
static long new_guest_cr3(struct vcpu *v, mfn_t mfn)
{
    const paddr_t old = v->guest_table;
    int rc;

    if (old && (old >> PAGE_SHIFT) == mfn) {
        if (v->kernel_mode)
            arch_load_guest_table(old); /* Xen reloads it (write_ptbase) */
        mm_counters.tlb_flushes++;
        return 0;
    }
    rc = get_page_and_type(mfn, v->domain, PGT_l4_page_table);
    if (rc)
        return rc;
    v->guest_table = (paddr_t)mfn << PAGE_SHIFT;
    if (v->kernel_mode) {
        arch_load_guest_table(v->guest_table);
        mm_counters.tlb_flushes++;
    }
    if (old)
        put_page_and_type((mfn_t)(old >> PAGE_SHIFT));
    return 0;
}

/* The vCPU bitmap of TLB_FLUSH_MULTI / INVLPG_MULTI names the caller's vCPU (Xen reads one
   unsigned long per 64 vCPUs; mica domains have one). -EINVAL if it cannot be read. */
static long vcpumask_has_self(const struct mmuext_op *op, bool *self)
{
    uint64_t mask_ptr, mask;

    memcpy(&mask_ptr, &op->arg2, sizeof(mask_ptr)); /* the vcpumask handle */
    if (copy_from_guest(&mask, mask_ptr, sizeof(mask)))
        return -EINVAL;
    *self = (mask >> current->vcpu_id) & 1;
    return 0;
}

/* MMUEXT_CLEAR_PAGE and MMUEXT_COPY_PAGE: @dst (and @src) frames of @pg_owner. */
static long clear_or_copy_page(struct domain *pg_owner, mfn_t dst, const mfn_t *src)
{
    if (src && !get_page(*src, pg_owner))
        return -EINVAL; /* "Error copying from mfn" */
    if (!get_page(dst, pg_owner)) {
        if (src)
            put_page(*src);
        return -EINVAL;
    }
    if (get_page_type(dst, PGT_writable_page)) {
        put_page(dst);
        if (src)
            put_page(*src);
        return -EINVAL; /* a page table, a descriptor page...: never written this way */
    }
    if (src)
        memcpy(map_frame(dst), map_frame(*src), PAGE_SIZE);
    else
        memset(map_frame(dst), 0, PAGE_SIZE);
    put_page_and_type(dst);
    if (src)
        put_page(*src);
    return 0;
}

/* One mmuext_op for the current vCPU, frames owned by @pg_owner (Xen's do_mmuext_op body). */
static long mmuext_one(const struct mmuext_op *op, struct domain *pg_owner)
{
    struct vcpu *v = current;
    struct domain *d = v->domain;
    const bool foreign = d != pg_owner;
    bool self;
    long rc;

    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE:
        return pin_page_table(pg_owner, (mfn_t)op->arg1.mfn, op->cmd - MMUEXT_PIN_L1_TABLE + 1);

    case MMUEXT_UNPIN_TABLE:
        return unpin_page_table(pg_owner, (mfn_t)op->arg1.mfn);

    case MMUEXT_NEW_BASEPTR:
        return foreign ? -EPERM : new_guest_cr3(v, (mfn_t)op->arg1.mfn);

    case MMUEXT_NEW_USER_BASEPTR:
        return foreign ? -EPERM : vcpu_set_guest_table_user(v, (mfn_t)op->arg1.mfn);

    case MMUEXT_TLB_FLUSH_LOCAL:
    case MMUEXT_TLB_FLUSH_ALL: /* one CPU: "all" is this one */
        if (foreign)
            return -EPERM;
        flush_tlb_counted();
        return 0;

    case MMUEXT_INVLPG_LOCAL:
        if (foreign)
            return -EPERM;
        /* Xen's paging_invlpg: a non-canonical address is ignored. */
        if (op->arg1.linear_addr < (1ULL << 47) || op->arg1.linear_addr >= (~0ULL << 47))
            invlpg_counted(op->arg1.linear_addr);
        return 0;

    case MMUEXT_INVLPG_ALL:
        if (foreign)
            return -EPERM;
        if (addr_ok(op->arg1.linear_addr))
            invlpg_counted(op->arg1.linear_addr);
        return 0;

    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_INVLPG_MULTI:
        if (foreign)
            return -EPERM;
        rc = vcpumask_has_self(op, &self);
        if (rc || !self)
            return rc;
        if (op->cmd == MMUEXT_TLB_FLUSH_MULTI)
            flush_tlb_counted();
        else if (addr_ok(op->arg1.linear_addr))
            invlpg_counted(op->arg1.linear_addr);
        return 0;

    case MMUEXT_FLUSH_CACHE:
        if (foreign)
            return -EPERM;
        /* Xen's cache_flush_permitted(): a domain with I/O resources. */
        if (!domain_has_io_resources(d))
            return -EACCES;
        arch_flush_cache();
        return 0;

    case MMUEXT_FLUSH_CACHE_GLOBAL:
        if (foreign)
            return -EPERM;
        if (!domain_has_io_resources(d))
            return -EINVAL; /* Xen's answer differs from FLUSH_CACHE's */
        arch_flush_cache();
        return 0;

    case MMUEXT_SET_LDT: {
        const unsigned int ents = op->arg2.nr_ents;
        const uint64_t base = op->arg1.linear_addr;

        if (foreign)
            return -EPERM;
        /* Xen's argument checks first, so bad arguments fail alike on both. */
        if (ents > LDT_MAX_ENTRIES || (ents && ((base & (PAGE_SIZE - 1)) || !addr_ok(base))))
            return -EINVAL;
        /* mica has no guest LDTs: "none" is all it can be set to (docs/abi.md). */
        return ents ? -EOPNOTSUPP : 0;
    }

    case MMUEXT_CLEAR_PAGE:
        return clear_or_copy_page(pg_owner, (mfn_t)op->arg1.mfn, NULL);

    case MMUEXT_COPY_PAGE: {
        const mfn_t src = (mfn_t)op->arg2.src_mfn;

        return clear_or_copy_page(pg_owner, (mfn_t)op->arg1.mfn, &src);
    }

    case MMUEXT_MARK_SUPER:
    case MMUEXT_UNMARK_SUPER:
        return -EOPNOTSUPP; /* as in Xen 4.17: superpages are gone */

    default:
        return -ENOSYS;
    }
}

/**
 * HYPERVISOR_mmuext_op(@uops, @count, @pdone, @foreigndom) (xen.h): run @count (an unsigned
 * int) struct mmuext_op at guest address @uops; @foreigndom (its low 16 bits) names the
 * owner of the frames pins, unpins, CLEAR_PAGE and COPY_PAGE act on (DOMID_SELF normally;
 * any other needs a privileged caller, and the vCPU's own ops then answer -EPERM).
 *
 * Returns 0; the first failed op's error (-EINVAL: a frame not the owner's, a table that
 * fails validation or is already pinned, unpinning a table that is not pinned, bad SET_LDT
 * arguments; -EPERM; -EACCES; -EOPNOTSUPP; -ENOSYS: unknown command; -EFAULT: an op that
 * cannot be read); before any op, -EFAULT for @uops in the hypervisor's range, -ESRCH for an
 * unknown or self-naming @foreigndom, -EPERM for a foreign one without privilege. Success
 * count and continuations as do_mmu_update().
 */
long do_mmuext_op(unsigned long uops, unsigned long count_arg, unsigned long pdone,
                  unsigned long foreigndom_arg, unsigned long a5)
{
    const unsigned int foreigndom = (unsigned int)foreigndom_arg;
    unsigned int count = (unsigned int)count_arg;
    struct domain *d = current->domain, *pg_owner;
    unsigned int i, done = 0;
    bool preempted = false;
    long rc = 0;

    (void)a5;
    if (count == MMU_UPDATE_PREEMPTED && !uops)
        return (int)foreigndom; /* see do_mmu_update() */
    if (count & MMU_UPDATE_PREEMPTED) {
        count &= ~MMU_UPDATE_PREEMPTED;
        done = read_done(pdone);
    } else {
        mm_counters.mmuext_op_calls++;
    }
    if (!addr_ok(uops))
        return -EFAULT;
    pg_owner = get_pg_owner((domid_t)foreigndom);
    if (!pg_owner)
        return -ESRCH;
    if (!may_target(d, pg_owner))
        return -EPERM; /* xsm_mmuext_op; no success count written (Xen) */

    for (i = 0; i < count; i++) {
        struct mmuext_op op;

        if (i && hypercall_preempt_check()) {
            preempted = true;
            break;
        }
        if (copy_from_guest(&op, uops + (uint64_t)i * sizeof(op), sizeof(op))) {
            rc = -EFAULT;
            break;
        }
        rc = mmuext_one(&op, pg_owner);
        if (rc)
            break;
        mm_counters.mmuext_ops++;
    }

    if (preempted)
        rc = hypercall_create_continuation(__HYPERVISOR_mmuext_op,
                                           uops + (uint64_t)i * sizeof(struct mmuext_op),
                                           (count - i) | MMU_UPDATE_PREEMPTED, pdone, foreigndom);
    report_done(pdone, done, i);
    return rc;
}

/**
 * HYPERVISOR_update_va_mapping_otherdomain(@va, @val, @flags, @domid) (xen.h): as
 * update_va_mapping, with the new L1 entry mapping a frame of domain @domid (a domid_t).
 * Returns -ESRCH for an unknown @domid or the caller's own id (DOMID_SELF is the caller);
 * -EPERM for another domain, DOMID_IO or DOMID_XEN unless the caller is privileged; else
 * update_va_mapping's results (Xen's do_update_va_mapping_otherdomain).
 */
long do_update_va_mapping_otherdomain(unsigned long va, unsigned long val, unsigned long flags,
                                      unsigned long domid, unsigned long a5)
{
    struct domain *pg_owner = get_pg_owner((domid_t)domid);

    (void)a5;
    if (!pg_owner)
        return -ESRCH;
    return update_va_mapping_as(va, val, flags, pg_owner);
}
