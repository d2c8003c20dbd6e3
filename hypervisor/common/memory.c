/*
 * HYPERVISOR_memory_op (xen/memory.h): the reservation queries. cmd is an unsigned long
 * (Xen's prototype), the sub-op in its low 6 bits. XENMEM_memory_map answers
 * -ENOSYS, as Xen 4.17 does for a PV dom0, so guests size their memory from nr_pages.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <xen/memory.h>

/* memory_op's cmd carries a continuation's start extent above bit 6 (Xen's
   MEMOP_EXTENT_SHIFT, internal to Xen's memory.c); the low 6 bits are the sub-op. */
#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK ((1UL << MEMOP_EXTENT_SHIFT) - 1)


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
