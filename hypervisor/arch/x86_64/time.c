/* System time from the TSC, calibrated against the 8254 PIT (channel 2, mode 0). */
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/time.h>
#include <mica/console.h>
#include <mica/panic.h>
#include <mica/time_scale.h>

#define PIT_HZ   1193182
#define PIT_CH2  0x42
#define PIT_MODE 0x43
#define PORT_B   0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */

uint64_t tsc_khz;
static uint64_t boot_tsc;
static uint64_t tsc_to_ns_mul; /* ns = cycles * mul >> 32 */

/* One reading of PIT channel 2's count, bracketed by two TSC reads. */
struct pit_sample {
    uint64_t tsc;   /* midpoint of the two TSC reads */
    uint64_t err;   /* their distance: how uncertain tsc is, cycles */
    uint16_t count; /* the latched count */
};

static struct pit_sample pit_sample(void)
{
    struct pit_sample s;
    uint64_t a, b;
    uint8_t lo, hi;

    a = rdtsc();
    outb(PIT_MODE, 0x80); /* counter latch command, channel 2 */
    lo = inb(PIT_CH2);
    hi = inb(PIT_CH2);
    b = rdtsc();
    s.tsc = a + (b - a) / 2;
    s.err = b - a;
    s.count = (uint16_t)(lo | (hi << 8));
    return s;
}

/* The sample with the tightest TSC bracket of a few: a read the host delayed (under TCG a
   port access can wait for QEMU's global lock) shows a wide bracket and loses. */
static struct pit_sample best_sample(void)
{
    struct pit_sample best = pit_sample();
    for (int i = 0; i < 4; i++) {
        struct pit_sample s = pit_sample();
        if (s.err < best.err)
            best = s;
    }
    return best;
}

/*
 * TSC frequency in kHz against PIT channel 2 counting down from 0xffff (mode 0, 8254
 * datasheet) for about @ms ms. The count is read with the latch command at both ends, each
 * read bracketed by TSC reads, so delays outside the reads do not matter (the method Linux's
 * quick PIT calibration uses).
 */
static uint64_t pit_calibrate_tsc_khz(unsigned int ms)
{
    const uint32_t ticks = PIT_HZ * ms / 1000;
    struct pit_sample start, end;
    unsigned long spins = 0;

    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01); /* gate on, speaker off */
    outb(PIT_MODE, 0xb0);                       /* channel 2, lobyte/hibyte, mode 0 */
    outb(PIT_CH2, 0xff);
    outb(PIT_CH2, 0xff);
    start = best_sample();
    do {
        end = pit_sample();
        if (++spins > 100000000UL)
            panic("PIT channel 2 does not count: cannot calibrate the TSC");
    } while ((uint16_t)(start.count - end.count) < ticks);
    end = best_sample();
    outb(PORT_B, inb(PORT_B) & ~0x01);

    uint64_t pit_ticks = (uint16_t)(start.count - end.count);
    return (end.tsc - start.tsc) * PIT_HZ / pit_ticks / 1000;
}

uint64_t tsc_to_ns(uint64_t cycles)
{
    return (uint64_t)(((unsigned __int128)cycles * tsc_to_ns_mul) >> 32);
}

uint64_t now_ns(void)
{
    return tsc_to_ns(rdtsc() - boot_tsc);
}

void time_init(paddr_t lapic_pa)
{
    const unsigned int ms = 10;

    tsc_khz = pit_calibrate_tsc_khz(ms);
    if (tsc_khz < 1000)
        panic("TSC calibration gave %lu kHz: implausible", tsc_khz);
    tsc_to_ns_mul = (1000000ULL << 32) / tsc_khz;
    boot_tsc = rdtsc();
    printk("mica: TSC %lu.%03lu MHz (calibrated against the PIT over %u ms)\n", tsc_khz / 1000,
           tsc_khz % 1000, ms);
    time_init_lapic(lapic_pa);
}

void tsc_scale_for_guests(uint32_t *mul, int8_t *shift)
{
    time_scale_for_khz(tsc_khz, mul, shift);
}

uint64_t read_tsc(void)
{
    return rdtsc();
}
