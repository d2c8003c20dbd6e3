/*
 * Guest time (xen.h: vcpu_time_info, shared_info wc_*) and per-vCPU timers (sched.h
 * set_timer_op, vcpu.h VCPUOP_{set,stop}_{periodic,singleshot}_timer), as Xen 4.17.
 */
#include <arch/time.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/time.h>
#include <mica/time_scale.h>
#include <xen/vcpu.h>

#define MILLISECS(ms)   ((uint64_t)(ms)*1000000ULL)
#define DEFAULT_PERIOD  MILLISECS(10) /* 100 Hz, as Xen gives every PV vCPU */
#define STIME_DELTA_MAX (1ULL << 62)  /* Xen's bound on a periodic timer's period */

static uint64_t wallclock_at_boot_ns; /* wall-clock time (ns since the epoch) at system time 0 */

void wallclock_init(void)
{
    uint64_t now = now_ns();
    wallclock_at_boot_ns = rtc_read_unix_seconds() * 1000000000ULL - now;
}

void domain_set_wallclock(struct domain *d)
{
    struct shared_info *si = d->shared_info;
    uint64_t sec = wallclock_at_boot_ns / 1000000000ULL;

    __atomic_add_fetch(&si->wc_version, 1, __ATOMIC_SEQ_CST); /* odd: changing */
    si->wc_sec = (uint32_t)sec;
    si->wc_sec_hi = (uint32_t)(sec >> 32);
    si->wc_nsec = (uint32_t)(wallclock_at_boot_ns % 1000000000ULL);
    __atomic_add_fetch(&si->wc_version, 1, __ATOMIC_SEQ_CST); /* even: stable */
}

void update_vcpu_system_time(struct vcpu *v)
{
    uint32_t mul;
    int8_t shift;

    tsc_scale_for_guests(&mul, &shift);
    vcpu_time_publish(&v->vcpu_info->time, read_tsc(), now_ns(), mul, shift);
}

/*
 * The periodic timer runs only while its vCPU has the CPU, as Xen's (sched/core.c
 * vcpu_periodic_timer_work): a tick that fell due while the vCPU was descheduled or blocked
 * is delivered once when it runs again, and a blocked vCPU is not woken by it.
 */
void vcpu_periodic_timer_work(struct vcpu *v)
{
    uint64_t now = now_ns(), next;

    if (!v->periodic_period)
        return;
    next = v->periodic_last_event + v->periodic_period;
    if (now >= next) {
        send_guest_virq(v, VIRQ_TIMER);
        v->periodic_last_event = now;
        next = now + v->periodic_period;
    }
    timer_set(&v->periodic_timer, next);
}

void vcpu_periodic_timer_stop(struct vcpu *v)
{
    timer_stop(&v->periodic_timer);
}

static void periodic_fired(void *data)
{
    vcpu_periodic_timer_work(data);
}

static void singleshot_fired(void *data)
{
    send_guest_virq(data, VIRQ_TIMER);
}

static void set_periodic(struct vcpu *v, uint64_t period)
{
    timer_stop(&v->periodic_timer);
    v->periodic_last_event = now_ns();
    v->periodic_period = period;
    if (period && v == current)
        vcpu_periodic_timer_work(v);
}

void vcpu_timers_init(struct vcpu *v)
{
    timer_init(&v->periodic_timer, periodic_fired, v);
    timer_init(&v->singleshot_timer, singleshot_fired, v);
    sched_vcpu_init(v);
    set_periodic(v, DEFAULT_PERIOD);
}

void vcpu_timers_stop(struct vcpu *v)
{
    timer_stop(&v->periodic_timer);
    timer_stop(&v->singleshot_timer);
    timer_stop(&v->poll_timer);
    v->periodic_period = 0;
}

long do_set_timer_op(unsigned long timeout, unsigned long a2, unsigned long a3, unsigned long a4,
                     unsigned long a5)
{
    struct vcpu *v = current;
    int64_t offset = (int64_t)(timeout - now_ns());

    if (!timeout) {
        timer_stop(&v->singleshot_timer);
    } else if ((int64_t)timeout < 0 || (offset > 0 && (offset >> 50))) {
        /* Xen's guard against wrapped or absurd timeouts: fire in 100 ms instead. */
        timer_set(&v->singleshot_timer, now_ns() + MILLISECS(100));
    } else {
        timer_set(&v->singleshot_timer, timeout);
    }
    return 0;
}

long do_vcpu_op(unsigned long cmd, unsigned long vcpuid, unsigned long arg, unsigned long a4,
                unsigned long a5)
{
    struct domain *d = current->domain;
    struct vcpu *v;

    /* One vCPU per domain on mica: any other id is a vCPU that does not exist. */
    if ((unsigned int)vcpuid != 0 || !(v = d->vcpu[0]))
        return -ENOENT;

    switch ((int)cmd) {
    case VCPUOP_is_up:
        return 1;
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer set;
        if (copy_from_guest(&set, arg, sizeof(set)))
            return -EFAULT;
        if (set.period_ns < MILLISECS(1) || set.period_ns > STIME_DELTA_MAX)
            return -EINVAL;
        set_periodic(v, set.period_ns);
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        set_periodic(v, 0);
        return 0;
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer set;
        if (v != current)
            return -EINVAL;
        if (copy_from_guest(&set, arg, sizeof(set)))
            return -EFAULT;
        if (set.timeout_abs_ns < now_ns()) {
            /* Already due: Xen 4.17 raises the event at once (ignoring _future). */
            timer_stop(&v->singleshot_timer);
            send_guest_virq(v, VIRQ_TIMER);
            return 0;
        }
        timer_set(&v->singleshot_timer, set.timeout_abs_ns);
        return 0;
    }
    case VCPUOP_stop_singleshot_timer:
        if (v != current)
            return -EINVAL;
        timer_stop(&v->singleshot_timer);
        return 0;
    default:
        /* initialise, up, down (one vCPU, already up), runstate areas, vcpu_info placement,
           NMIs, physid: not on mica (docs/abi.md). */
        return -ENOSYS;
    }
}
