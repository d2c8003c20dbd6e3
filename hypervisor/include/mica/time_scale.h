/*
 * The arithmetic of guest time (xen.h struct vcpu_time_info): a TSC delta becomes ns as
 * ((delta << shift) * mul) >> 32 (a negative shift shifts right), and a record is published
 * under the version protocol (odd while it changes). Portable, tested on the host.
 */
#ifndef MICA_TIME_SCALE_H
#define MICA_TIME_SCALE_H

#include <mica/types.h>
#include <xen/xen.h>

/**
 * The (mul, shift) pair for a TSC of @khz kHz (> 0): ns per cycle scaled by 2^32, normalised
 * so that mul is in [2^31, 2^32) for the most precision.
 */
void time_scale_for_khz(uint64_t khz, uint32_t *mul, int8_t *shift);

/** Nanoseconds for a TSC difference of @delta cycles with (mul, shift), as guests compute. */
uint64_t time_scale_apply(uint64_t delta, uint32_t mul, int8_t shift);

/**
 * Publish a new record in @t under the version protocol: version made odd, fields written,
 * version made even again (each step a full barrier), so a reader that sees the same even
 * version before and after its copy has a consistent record.
 */
void vcpu_time_publish(struct vcpu_time_info *t, uint64_t tsc, uint64_t system_time_ns,
                       uint32_t mul, int8_t shift);

#endif /* MICA_TIME_SCALE_H */
