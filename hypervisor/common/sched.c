/*
 * HYPERVISOR_sched_op (xen/sched.h). This round has one vCPU per domain and no scheduler
 * yet, so SCHEDOP_yield returns at once; blocking and polling come with event channels.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <xen/sched.h>

long do_sched_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                 unsigned long a5)
{
    struct domain *d = current->domain;

    switch ((int)cmd) {
    case SCHEDOP_yield:
        return 0;
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        /* Xen takes the reason as a u8 and refuses codes it does not know. */
        if ((uint8_t)s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        domain_shutdown(d, (uint8_t)s.reason);
        return 0;
    }
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if ((uint8_t)s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        d->shutdown_code = (uint8_t)s.reason;
        return 0;
    }
    default:
        return -ENOSYS;
    }
}
