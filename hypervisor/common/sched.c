/*
 * HYPERVISOR_sched_op (xen/sched.h) and the scheduler: round-robin, one vCPU per domain,
 * blocking and polling on event channels.
 */
#include <arch/cpu.h>
#include <arch/guest.h>
#include <arch/platform.h>
#include <arch/time.h>
#include <mica/console.h>
#include <mica/event.h>
#include <mica/time.h>
#include <mica/timer.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/stats.h> /* context-switch and idle counters (issue 8) */
#include <xen/sched.h>

static long sched_block(void);
static long sched_poll(unsigned long arg);

long do_sched_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                 unsigned long a5)
{
    struct domain *d = current->domain;

    switch ((int)cmd) {
    case SCHEDOP_yield:
        /* The result is written into the frame now: schedule() does not come back here. */
        guest_cpu_regs()->rax = 0;
        schedule();
    case SCHEDOP_block:
        return sched_block();
    case SCHEDOP_poll:
        return sched_poll(arg);
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

static struct timer slice_timer;
static bool need_resched;

bool vcpu_runnable(const struct vcpu *v)
{
    return v && v->domain->state == DOMAIN_RUNNING && !v->blocked;
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

/* For hypercall_preempt_check() (common/multicall.c): a long hypercall stops at this time,
   when the slice timer is due, and continues after the interrupt. */
uint64_t sched_slice_end_ns(void)
{
    return slice_timer.active ? slice_timer.expires : 0;
}

/* The time slice ran out: the next exit to a guest goes through the scheduler. */
static void slice_expired(void *data)
{
    need_resched = true;
}

/*
 * On every exit to a guest: switch if a wake-up or the slice timer asked for it, or if the
 * slice is over by the clock though its timer interrupt has not come yet. QEMU's TCG raises
 * the LAPIC timer's interrupt late (from its own timer thread), while hypercall_preempt_check
 * reads the clock: without the second test a preempted batch hypercall (a grant unmap of 256
 * entries) came back for one entry at a time until the interrupt arrived, 906 of 1057 unmap
 * calls of one 4-guest scaling run (issue 13). Xen's equivalent: the preemption check and the
 * exit path both look at the same pending softirq.
 */
void sched_check_preempt(void)
{
    if (need_resched || (slice_timer.active && now_ns() >= slice_timer.expires))
        schedule();
}

void vcpu_unblock(struct vcpu *v)
{
    if (!v->blocked)
        return;
    v->blocked = false;
    v->polling = false;
    timer_stop(&v->poll_timer);
    /* Like Xen's boost for a woken vCPU: it runs at the next exit from a guest, so a
       ping-pong between domains does not wait for time slices. */
    need_resched = true;
}

void vcpu_kick(struct vcpu *v)
{
    vcpu_unblock(v);
}

void evtchn_check_pollers(struct domain *d, unsigned int port)
{
    struct vcpu *v = d->vcpu[0];

    if (v && v->polling && (v->poll_port < 0 || (unsigned int)v->poll_port == port))
        vcpu_unblock(v);
}

static void poll_timeout(void *data)
{
    vcpu_unblock(data);
}

void sched_vcpu_init(struct vcpu *v)
{
    timer_init(&v->poll_timer, poll_timeout, v);
}

void schedule(void)
{
    struct vcpu *next;

    local_irq_disable();
    need_resched = false;
    if (!slice_timer.fn)
        timer_init(&slice_timer, slice_expired, NULL);
    next = pick_next();
    /* The vCPU leaving the CPU stops its periodic timer (Xen: it runs only while running). */
    if (current && next != current)
        vcpu_periodic_timer_stop(current);
    while (!next) {
        if (!any_domain_alive()) {
            printk("mica: no domain left to run\n");
            printk("mica: power off (clean)\n");
            machine_power_off(true);
        }
        /* Idle: nothing runnable now; wait for an interrupt (a timer, an event) to change
           that. Interrupts taken here run their handlers on this stack and come back. */
        stats_idle_begin(); /* issue 8: idle counters and trace */
        idle_enter();
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        next = pick_next();
    }
    next->slices++;
    vcpu_periodic_timer_work(next);
    stats_schedule(next); /* issue 8: context-switch counters and trace */
    timer_set(&slice_timer, now_ns() + SCHED_SLICE_NS);
    need_resched = false;
    context_switch(next);
}

/* Block the current vCPU until vcpu_unblock(). The hypercall's result (0) is stored first:
   the vCPU resumes in the guest, not here. */
static __noreturn void block_current(void)
{
    guest_cpu_regs()->rax = 0;
    current->blocked = true;
    schedule();
}

/* SCHEDOP_block: re-enable events, sleep until one is pending (no lost wake-up: the check
   comes after unmasking, and an event arriving later finds the vCPU blocked and wakes it). */
static long sched_block(void)
{
    struct vcpu_info *vi = current->vcpu_info;

    vi->evtchn_upcall_mask = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (vi->evtchn_upcall_pending)
        return 0;
    block_current();
}

/* SCHEDOP_poll (Xen's do_poll): wait for one of @ports to be pending, or the timeout
   (absolute system time, 0 = none), or any event that would be delivered. */
static long sched_poll(unsigned long arg)
{
    struct vcpu *v = current;
    struct sched_poll sp;
    evtchn_port_t port = 0;

    if (copy_from_guest(&sp, arg, sizeof(sp)))
        return -EFAULT;
    if (sp.nr_ports > 128) /* Xen's limit */
        return -EINVAL;
    if (!guest_range_ok((uint64_t)sp.ports.p, (size_t)sp.nr_ports * sizeof(evtchn_port_t)))
        return -EFAULT;
    if (v->vcpu_info->evtchn_upcall_pending && !v->vcpu_info->evtchn_upcall_mask)
        return 0;
    for (unsigned int i = 0; i < sp.nr_ports; i++) {
        if (copy_from_guest(&port, (uint64_t)sp.ports.p + i * sizeof(port), sizeof(port)))
            return -EFAULT;
        int rc = evtchn_port_poll(v->domain, port);
        if (rc)
            return rc > 0 ? 0 : rc;
    }
    v->polling = true;
    v->poll_port = sp.nr_ports == 1 ? (int)port : -1;
    if (sp.timeout)
        timer_set(&v->poll_timer, sp.timeout);
    block_current();
}
