/*
 * HYPERVISOR_memory_op (xen/memory.h): the reservation queries, and the reservation changes
 * of a PV guest (XENMEM_increase_reservation, XENMEM_decrease_reservation,
 * XENMEM_populate_physmap), whose extent lists hold MFNs. cmd is an unsigned long (Xen's
 * prototype), the sub-op in its low 6 bits. XENMEM_memory_map answers -ENOSYS, as Xen 4.17
 * does for a PV dom0, so guests size their memory from nr_pages.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/string.h>
#include <xen/memory.h>

/* memory_op's cmd carries a continuation's start extent above bit 6 (Xen's
   MEMOP_EXTENT_SHIFT, internal to Xen's memory.c); the low 6 bits are the sub-op. */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK     ((1UL << MEMOP_EXTENT_SHIFT) - 1)

/* Xen's largest extent orders (xen/arch/x86/include/asm/config.h, common/memory.c):
   a domU's, the hardware domain's, a control domain's, and the allocator's. */
#define DOMU_MAX_ORDER   9
#define HWDOM_MAX_ORDER  12
#define CTLDOM_MAX_ORDER 18
#define ALLOC_MAX_ORDER  18
/* Xen's MAX_NUMNODES on x86 (CONFIG_NR_NUMA_NODES default). */
#define MAX_NUMNODES 64

/* A reservation change in progress (Xen's struct memop_args). */
struct memop_args {
    struct domain *domain; /* whose reservation changes */
    uint64_t extent_list;  /* guest address of the xen_pfn_t list, 0 if none */
    unsigned long nr_extents;
    unsigned long nr_done; /* extents done so far, the result */
    unsigned int extent_order;
    unsigned int address_bits; /* frames must lie below 2^address_bits (0: anywhere) */
    bool populate_on_demand;
    bool preempted;
};

/* Xen's get_order_from_pages(): the smallest order with 2^order >= @n. */
static unsigned int order_from_pages(unsigned long n)
{
    unsigned int order = 0;

    while (order < 63 && (1UL << order) < n)
        order++;
    return order;
}

/* Xen's max_order(): dom0 is both hardware and control domain. */
static unsigned int max_order(const struct domain *d)
{
    return d->is_privileged ? CTLDOM_MAX_ORDER : DOMU_MAX_ORDER;
}

/* Xen's guest_handle_subrange_okay() for extents [first, last] of 8 bytes. */
static bool extents_ok(const struct memop_args *a)
{
    uint64_t start = a->extent_list + a->nr_done * sizeof(xen_pfn_t);

    return start < (1ULL << 47) || start >= HYPERVISOR_VIRT_END;
}

/*
 * One new frame for @d's PFN @pfn (~0 for none: increase_reservation), as Xen's
 * alloc_domheap_pages + assign_pages + guest_physmap_add_page do for a PV guest: owned by
 * @d with the allocation reference, untyped, zeroed, in tot_pages, and in the M2P.
 * Returns the MFN, or -E2BIG past max_pages, -ENOMEM, -ERANGE above @address_bits.
 */
static long domain_alloc_page(struct domain *d, unsigned long pfn, unsigned int address_bits)
{
    struct page_info *pg;
    long mfn;

    if (d->tot_pages >= d->max_pages)
        return -E2BIG; /* Xen's assign_pages: "Over-allocation" */
    mfn = alloc_frames(0, d->domain_id);
    if (mfn < 0)
        return -ENOMEM;
    if (address_bits && ((uint64_t)mfn >> (address_bits - PAGE_SHIFT))) {
        /* mica's allocator takes no address limit: give back a frame that is too high. */
        free_frames((mfn_t)mfn, 0);
        return -ERANGE;
    }
    /* Freed frames come back scrubbed, but RAM never used is as boot left it. */
    memset(map_frame((mfn_t)mfn), 0, PAGE_SIZE);
    pg = mfn_to_page((mfn_t)mfn);
    pg->count_info += PGC_allocated | 1;
    pg->type_info = 0;
    d->tot_pages++;
    machine_to_phys[mfn] = pfn;
    mm_counters.pages_allocated++;
    return mfn;
}

/*
 * XENMEM_increase_reservation and XENMEM_populate_physmap (Xen's increase_reservation and
 * populate_physmap, PV case): a new frame per extent, its MFN written back into the list
 * (increase_reservation: only if there is a list). Extents of order 0 only (mica's domain
 * frames are single frames); a larger order stops at the first extent. Stops at the first
 * failure; a->nr_done counts the extents done.
 */
static void populate(struct memop_args *a, bool physmap)
{
    struct domain *d = a->domain;
    unsigned long i;

    if ((physmap || a->extent_list) && !extents_ok(a))
        return;
    if (a->extent_order > (a->populate_on_demand ? ALLOC_MAX_ORDER : max_order(current->domain)))
        return;
    for (i = a->nr_done; i < a->nr_extents; i++) {
        const uint64_t slot = a->extent_list + i * sizeof(xen_pfn_t);
        xen_pfn_t gpfn = ~0UL;
        long mfn;

        if (i != a->nr_done && hypercall_preempt_check()) {
            a->preempted = true;
            break;
        }
        if (physmap && copy_from_guest(&gpfn, slot, sizeof(gpfn)))
            break;
        if (a->populate_on_demand) {
            /* Populate-on-demand is for HVM guests: nothing to do for PV, and never on
               oneself (Xen). */
            if (d == current->domain)
                break;
            continue;
        }
        if (a->extent_order)
            break;
        mfn = domain_alloc_page(d, physmap ? gpfn : ~0UL, a->address_bits);
        if (mfn < 0)
            break;
        if ((physmap || a->extent_list) &&
            copy_to_guest(slot, &(xen_pfn_t){(xen_pfn_t)mfn}, sizeof(xen_pfn_t)))
            break; /* the frame stays the domain's, as in Xen */
    }
    a->nr_done = i;
}

/*
 * XENMEM_decrease_reservation (Xen's decrease_reservation, PV case): each extent is an MFN;
 * its 2^extent_order frames are given back with guest_remove_page(). Stops at the first
 * frame refused; a->nr_done counts the extents done.
 */
static void decrease(struct memop_args *a)
{
    unsigned long i;

    if (!extents_ok(a) || a->extent_order > max_order(current->domain))
        return;
    for (i = a->nr_done; i < a->nr_extents; i++) {
        xen_pfn_t gmfn;

        if (i != a->nr_done && hypercall_preempt_check()) {
            a->preempted = true;
            break;
        }
        if (copy_from_guest(&gmfn, a->extent_list + i * sizeof(gmfn), sizeof(gmfn)))
            break;
        for (unsigned long j = 0; j < (1UL << a->extent_order); j++) {
            if (guest_remove_page(a->domain, (mfn_t)(gmfn + j)))
                goto out;
        }
    }
out:
    a->nr_done = i;
}

/*
 * Xen's propagate_node(): a node request without XENMEMF_vnode. mica has one node and
 * allocates anywhere; only the requests Xen refuses are refused.
 */
static bool node_request_ok(unsigned int mem_flags)
{
    const unsigned int node = XENMEMF_get_node(mem_flags);

    if (node == 0xff)
        return true; /* NUMA_NO_NODE */
    if (current->domain->is_privileged)
        return node < MAX_NUMNODES;
    return !(mem_flags & XENMEMF_exact_node_request);
}

/*
 * The three reservation changes (Xen's do_memory_op, first case). Returns the number of
 * extents done, counting from the continuation's @start (also when nothing could be done:
 * an unreadable argument, an unknown domain, another domain's without privilege, bad
 * flags), or a continuation.
 */
static long reservation_op(unsigned int op, unsigned long start, unsigned long arg)
{
    struct xen_memory_reservation r;
    struct domain *self = current->domain;
    struct memop_args a = {.nr_done = start};
    unsigned int bits;

    if (copy_from_guest(&r, arg, sizeof(r)))
        return (long)start;
    /* Too many to encode a continuation's start extent in cmd (Xen). */
    if (r.nr_extents > (0xffffffffUL >> MEMOP_EXTENT_SHIFT) || start >= r.nr_extents)
        return (long)start;
    a.domain = r.domid == DOMID_SELF ? self : domain_lookup(r.domid);
    if (!a.domain)
        return (long)start;
    a.extent_list = (uint64_t)(uintptr_t)r.extent_start.p;
    a.nr_extents = r.nr_extents;
    a.extent_order = r.extent_order;
    bits = XENMEMF_get_address_bits(r.mem_flags);
    /* A limit at or above the top of RAM is no limit (Xen). */
    if (bits && bits < order_from_pages(max_mfn) + PAGE_SHIFT) {
        if (bits <= PAGE_SHIFT)
            return (long)start;
        a.address_bits = bits;
    }
    if (!(r.mem_flags & XENMEMF_vnode) && !node_request_ok(r.mem_flags))
        return (long)start; /* a vnode request: PV guests have no vNUMA, nothing to check */
    a.populate_on_demand =
        op == XENMEM_populate_physmap && (r.mem_flags & XENMEMF_populate_on_demand);
    /* xsm_memory_adjust_reservation */
    if (a.domain != self && !self->is_privileged)
        return (long)start;

    switch (op) {
    case XENMEM_increase_reservation:
        populate(&a, false);
        break;
    case XENMEM_decrease_reservation:
        decrease(&a);
        break;
    default:
        populate(&a, true);
        break;
    }
    if (a.preempted)
        return hypercall_create_continuation(__HYPERVISOR_memory_op,
                                             op | (a.nr_done << MEMOP_EXTENT_SHIFT), arg);
    return (long)a.nr_done;
}

/* The domain a reservation query names: itself, or any domain for a privileged caller. */
static struct domain *query_target(unsigned long arg, long *rc)
{
    struct domain *self = current->domain, *d;
    domid_t domid;

    if (copy_from_guest(&domid, arg, sizeof(domid))) {
        *rc = -EFAULT;
        return NULL;
    }
    if (domid == DOMID_SELF || domid == self->domain_id)
        return self;
    d = domain_lookup(domid);
    if (!d) {
        *rc = -ESRCH;
        return NULL;
    }
    if (!self->is_privileged) {
        *rc = -EPERM;
        return NULL;
    }
    return d;
}

long do_memory_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                  unsigned long a5)
{
    struct domain *d;
    long rc = 0;

    /* These sub-ops have no extents: a continuation's start extent is refused (Xen). */
    const bool extent = (cmd >> MEMOP_EXTENT_SHIFT) != 0;

    switch (cmd & MEMOP_CMD_MASK) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return reservation_op(cmd & MEMOP_CMD_MASK, cmd >> MEMOP_EXTENT_SHIFT, arg);
    case XENMEM_memory_map: {
        /* Xen reads the argument before it finds it has no map for a PV guest. */
        struct xen_memory_map map;
        if (copy_from_guest(&map, arg, sizeof(map)))
            return -EFAULT;
        return -ENOSYS;
    }
    case XENMEM_maximum_ram_page:
        if (extent)
            return -EINVAL;
        return (long)max_mfn;
    case XENMEM_maximum_gpfn:
        if (extent)
            return -EINVAL;
        d = query_target(arg, &rc);
        if (!d)
            return rc;
        /* A PV guest states its own size in shared_info's max_pfn (Xen's arch_get_max_pfn);
           the answer is that minus one, and 0 while it is unset. */
        return (long)(d->shared_info->arch.max_pfn ? d->shared_info->arch.max_pfn : 1) - 1;
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
        if (extent)
            return -EINVAL;
        d = query_target(arg, &rc);
        if (!d)
            return rc;
        return (cmd & MEMOP_CMD_MASK) == XENMEM_current_reservation ? (long)d->tot_pages
                                                                    : (long)d->max_pages;
    default:
        return -ENOSYS;
    }
    return rc;
}
