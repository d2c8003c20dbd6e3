/*
 * Time as guests see it (xen.h vcpu_time_info, shared_info wallclock) and the per-vCPU
 * timers that raise VIRQ_TIMER (vcpu.h VCPUOP_*_timer, set_timer_op).
 */
#ifndef MICA_TIME_H
#define MICA_TIME_H

#include <mica/types.h>

struct domain;
struct vcpu;

/** Read the RTC once at boot and fix the wall clock of system time 0. */
void wallclock_init(void);

/** Write the wall clock (wc_sec/wc_nsec, version protocol) into @d's shared_info. */
void domain_set_wallclock(struct domain *d);

/**
 * Give @v its timers: the periodic VIRQ_TIMER every 10 ms (Xen's default for every PV vCPU)
 * and an idle single-shot timer.
 */
void vcpu_timers_init(struct vcpu *v);

/**
 * @v is given the CPU: deliver a periodic tick that fell due meanwhile and re-arm the periodic
 * timer (Xen's vcpu_periodic_timer_work). The timer runs only while @v has the CPU.
 */
void vcpu_periodic_timer_work(struct vcpu *v);

/** @v leaves the CPU (descheduled, blocked, idle): its periodic timer stops. */
void vcpu_periodic_timer_stop(struct vcpu *v);

/** Stop all of @v's timers (domain teardown). */
void vcpu_timers_stop(struct vcpu *v);

/**
 * Refresh @v's vcpu_info.time (system time, TSC stamp and scale) under the version protocol
 * (odd while it changes). Called whenever @v is given the CPU.
 */
void update_vcpu_system_time(struct vcpu *v);

#endif /* MICA_TIME_H */
