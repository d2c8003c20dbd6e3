/*
 * System time and wall-clock time from the shared records (xen.h, struct
 * vcpu_time_info and the wc_* fields of struct shared_info).
 */
#include <arch/cpu.h>
#include <pvguest/boot.h>
#include <pvguest/time.h>

void read_vcpu_time_info(struct vcpu_time_info *out)
{
    const volatile struct vcpu_time_info *t = &HYPERVISOR_shared_info->vcpu_info[0].time;
    uint32_t version;

    do {
        version = t->version;
        rmb();
        out->tsc_timestamp = t->tsc_timestamp;
        out->system_time = t->system_time;
        out->tsc_to_system_mul = t->tsc_to_system_mul;
        out->tsc_shift = t->tsc_shift;
        out->flags = t->flags;
        rmb();
    } while ((version & 1) != 0 || version != t->version);
    out->version = version;
}

uint64_t system_time_ns(void)
{
    const volatile struct vcpu_time_info *t = &HYPERVISOR_shared_info->vcpu_info[0].time;
    uint32_t version;
    uint64_t now;

    /* The TSC is read inside the loop: its value must belong to the record read. */
    do {
        version = t->version;
        rmb();
        uint64_t tsc = rdtsc();
        uint64_t stamp = t->tsc_timestamp;
        /* A record newer than our TSC read (another CPU's clock) counts as no time passed. */
        uint64_t delta = tsc > stamp ? tsc - stamp : 0;
        now = t->system_time + scale_tsc_delta(delta, t->tsc_to_system_mul, t->tsc_shift);
        rmb();
    } while ((version & 1) != 0 || version != t->version);
    return now;
}

void wall_clock_base(uint64_t *sec, uint32_t *nsec)
{
    const volatile struct shared_info *s = HYPERVISOR_shared_info;
    uint32_t version;

    do {
        version = s->wc_version;
        rmb();
        *sec = ((uint64_t)s->wc_sec_hi << 32) | s->wc_sec;
        *nsec = s->wc_nsec;
        rmb();
    } while ((version & 1) != 0 || version != s->wc_version);
}

uint64_t wall_clock_ns(void)
{
    uint64_t sec;
    uint32_t nsec;

    wall_clock_base(&sec, &nsec);
    return sec * NSEC_PER_SEC + nsec + system_time_ns();
}
