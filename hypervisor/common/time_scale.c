/* Guest-time arithmetic and the version protocol (see time_scale.h). */
#include <mica/time_scale.h>

void time_scale_for_khz(uint64_t khz, uint32_t *mul, int8_t *shift)
{
    /* ns per cycle * 2^32 = 10^6 * 2^32 / khz. */
    uint64_t scale = (1000000ULL << 32) / khz;
    int sh = 0;

    while (scale >= (1ULL << 32)) {
        scale >>= 1;
        sh++;
    }
    while (scale < (1ULL << 31)) {
        scale <<= 1;
        sh--;
    }
    *mul = (uint32_t)scale;
    *shift = (int8_t)sh;
}

uint64_t time_scale_apply(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

void vcpu_time_publish(struct vcpu_time_info *t, uint64_t tsc, uint64_t system_time_ns,
                       uint32_t mul, int8_t shift)
{
    __atomic_add_fetch(&t->version, 1, __ATOMIC_SEQ_CST); /* odd: changing */
    t->tsc_timestamp = tsc;
    t->system_time = system_time_ns;
    t->tsc_to_system_mul = mul;
    t->tsc_shift = shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;                /* one CPU, one TSC */
    __atomic_add_fetch(&t->version, 1, __ATOMIC_SEQ_CST); /* even: stable */
}
