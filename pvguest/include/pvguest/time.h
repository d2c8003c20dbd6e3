/*
 * Time in the guest, read without a hypercall from the records the
 * hypervisor keeps in shared memory (xen.h):
 *   - system time, nanoseconds since the hypervisor booted, from
 *     vcpu_info.time (struct vcpu_time_info) and the TSC;
 *   - wall-clock time, the Unix time at system time 0, from shared_info's
 *     wc_sec_hi:wc_sec and wc_nsec.
 * Both records are written under a version counter (odd while an update is
 * in progress), read like a seqlock.
 */
#ifndef PVGUEST_TIME_H
#define PVGUEST_TIME_H

#include <stdint.h>

#include <pvguest/xen.h>

/** Nanoseconds per second. */
#define NSEC_PER_SEC 1000000000ULL
/** Nanoseconds per millisecond. */
#define NSEC_PER_MSEC 1000000ULL
/** Nanoseconds per microsecond. */
#define NSEC_PER_USEC 1000ULL

/**
 * Scale a TSC difference to nanoseconds as vcpu_time_info defines it
 * (xen.h): shift left by tsc_shift (right if negative), multiply by the
 * 32.32 fixed-point factor tsc_to_system_mul and keep bits 32-95 of the
 * 128-bit product. Pure arithmetic, no side effects.
 */
static inline uint64_t scale_tsc_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/**
 * System time in nanoseconds since the hypervisor booted, from vcpu 0's
 * time record and the TSC under the version protocol. Monotonic as long
 * as the hypervisor keeps its records consistent.
 */
uint64_t system_time_ns(void);

/**
 * Copy vcpu 0's time record consistently (version even and unchanged
 * across the copy) into *out.
 */
void read_vcpu_time_info(struct vcpu_time_info *out);

/**
 * Wall-clock time of system time 0 from shared_info (wc_sec_hi:wc_sec
 * seconds, wc_nsec ns since the Unix epoch), read under wc_version.
 */
void wall_clock_base(uint64_t *sec, uint32_t *nsec);

/** The current Unix time in nanoseconds: the wall-clock base plus system time. */
uint64_t wall_clock_ns(void);

#endif /* PVGUEST_TIME_H */
