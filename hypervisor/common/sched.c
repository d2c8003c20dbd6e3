/*
 * HYPERVISOR_sched_op (xen/sched.h) and the scheduler. One vCPU per domain; blocking and
 * polling come with event channels.
 */
#include <arch/cpu.h>
#include <arch/guest.h>
#include <arch/platform.h>
#include <arch/time.h>
#include <mica/console.h>
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
        /* The result is written into the frame now: schedule() does not come back here. */
        guest_cpu_regs()->rax = 0;
        schedule();
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        /* Xen takes the reason as a u8, any value (an unknown one is reported as such). */
        domain_shutdown(d, (uint8_t)s.reason);
        return 0;
    }
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        /* The first code set wins; a later SCHEDOP_shutdown uses it (Xen). */
        if (d->shutdown_code == SHUTDOWN_CODE_INVALID)
            d->shutdown_code = (uint8_t)s.reason;
        return 0;
    }
    default:
        return -ENOSYS;
    }
}

/* ---- The scheduler: round-robin over domains, one vCPU each, LAPIC-timer time slices. ---- */

bool vcpu_runnable(const struct vcpu *v)
{
    return v && v->domain->state == DOMAIN_RUNNING;
}

/* The next runnable vCPU after current's domain in domain-id order, or NULL. */
static struct vcpu *pick_next(void)
{
    unsigned int start = current ? current->domain->domain_id + 1u : 0;

    for (unsigned int i = 0; i < MAX_DOMAINS; i++) {
        struct domain *d = domain_lookup((domid_t)((start + i) % MAX_DOMAINS));
        if (d && vcpu_runnable(d->vcpu[0]))
            return d->vcpu[0];
    }
    return NULL;
}

static bool any_domain_alive(void)
{
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_lookup((domid_t)id);
        if (d && d->state == DOMAIN_RUNNING)
            return true;
    }
    return false;
}

/* End of the running vCPU's time slice, now_ns() clock; 0 before the first slice. */
static uint64_t slice_end_ns;

/* For hypercall_preempt_check() (common/multicall.c): a long hypercall stops at this time,
   when the slice timer is due, and continues after the interrupt. */
uint64_t sched_slice_end_ns(void)
{
    return slice_end_ns;
}

/* The time slice ran out: let the next vCPU run. Interrupts reach the hypervisor only
   from a guest or from the idle loop, so the current context is always safe to leave. */
static void slice_expired(void)
{
    schedule();
}

void schedule(void)
{
    struct vcpu *next;

    local_irq_disable();
    while (!(next = pick_next())) {
        if (!any_domain_alive()) {
            printk("mica: no domain left to run\n");
            printk("mica: power off (clean)\n");
            machine_power_off(true);
        }
        /* Idle: nothing runnable now; wait for an interrupt to change that. */
        idle_enter();
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    next->slices++;
    slice_end_ns = now_ns() + SCHED_SLICE_NS;
    lapic_timer_oneshot(SCHED_SLICE_NS, slice_expired);
    context_switch(next);
}
