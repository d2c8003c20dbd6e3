/*
 * HYPERVISOR_domctl (xen/domctl.h), the one operation dom0 needs to learn which domain died
 * after VIRQ_DOM_EXC: XEN_DOMCTL_getdomaininfo. Everything else answers -ENOSYS.
 */
#define __XEN_TOOLS__ 1 /* domctl.h is the toolstack's interface */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/string.h>
#include <xen/domctl.h>

/* Xen's getdomaininfo() for mica's domains: one vCPU each, no pausing, no debugger. A domU is
   torn down when it shuts down, so a stopped domain is both "shutdown" and "dying". */
static void fill_domaininfo(const struct domain *d, struct xen_domctl_getdomaininfo *info)
{
    const struct vcpu *v = d->vcpu[0];
    const bool alive = d->state == DOMAIN_RUNNING;

    memset(info, 0, sizeof(*info));
    info->domain = d->domain_id;
    info->max_vcpu_id = 0;
    info->nr_online_vcpus = alive ? 1 : 0;
    if (alive) {
        info->flags |= v->blocked ? XEN_DOMINF_blocked : 0;
        info->flags |= v == current ? XEN_DOMINF_running : 0;
    } else {
        info->flags |= XEN_DOMINF_shutdown | (d->is_privileged ? 0 : XEN_DOMINF_dying);
        info->flags |= (d->shutdown_code & XEN_DOMINF_shutdownmask) << XEN_DOMINF_shutdownshift;
    }
    info->tot_pages = d->tot_pages;
    info->max_pages = d->max_pages;
    info->shared_info_frame = d->shared_info_mfn;
}

long do_domctl(unsigned long arg, unsigned long a2, unsigned long a3, unsigned long a4,
               unsigned long a5)
{
    struct xen_domctl op;
    struct domain *d = NULL;

    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -EACCES;
    /* Xen's default XSM policy: domctls are for the privileged (control) domain. */
    if (!current->domain->is_privileged)
        return -EPERM;

    switch (op.cmd) {
    case XEN_DOMCTL_getdomaininfo:
        /* The first domain whose id is >= the one asked for, as Xen answers. */
        if (op.domain >= DOMID_FIRST_RESERVED)
            return -EINVAL;
        for (unsigned int id = op.domain; id < MAX_DOMAINS && !d; id++)
            d = domain_lookup((domid_t)id);
        if (!d)
            return -ESRCH;
        fill_domaininfo(d, &op.u.getdomaininfo);
        op.domain = d->domain_id;
        return copy_to_guest(arg, &op, sizeof(op)) ? -EFAULT : 0;
    default:
        return -ENOSYS;
    }
}
