/* System time from the TSC, calibrated against the 8254 PIT (channel 2, mode 0). */
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/time.h>
#include <mica/console.h>
#include <mica/panic.h>

#define PIT_HZ 1193182
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PORT_B 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */

uint64_t tsc_khz;
static uint64_t boot_tsc;
static uint64_t tsc_to_ns_mul; /* ns = cycles * mul >> 32 */

/* TSC cycles elapsed while PIT channel 2 counts @ms milliseconds down to zero. */
static uint64_t pit_measure_tsc(unsigned int ms)
{
    const uint32_t latch = PIT_HZ * ms / 1000;
    uint64_t t0, t1;
    unsigned long spins = 0;

    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
    outb(PIT_MODE, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(PIT_CH2, latch & 0xff);
    outb(PIT_CH2, latch >> 8);
    t0 = rdtsc();
    while (!(inb(PORT_B) & 0x20)) {
        if (++spins > 100000000UL)
            panic("PIT channel 2 never reached terminal count: cannot calibrate the TSC");
    }
    t1 = rdtsc();
    outb(PORT_B, inb(PORT_B) & ~0x01);
    return t1 - t0;
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
    /* Six 2 ms measurements; the shortest wins. Interference (an SMI, or the host
       descheduling QEMU's vCPU thread under TCG) only ever makes a measurement longer. */
    const unsigned int ms = 2, rounds = 6;
    uint64_t cycles = pit_measure_tsc(ms);
    for (unsigned int i = 1; i < rounds; i++)
        cycles = MIN(cycles, pit_measure_tsc(ms));
    tsc_khz = cycles / ms;
    if (tsc_khz < 1000)
        panic("TSC calibration gave %lu kHz: implausible", tsc_khz);
    tsc_to_ns_mul = (1000000ULL << 32) / tsc_khz;
    boot_tsc = rdtsc();
    printk("mica: TSC %lu.%03lu MHz (calibrated against the PIT, best of %u x %u ms)\n",
           tsc_khz / 1000, tsc_khz % 1000, rounds, ms);
    time_init_lapic(lapic_pa);
}

void tsc_scale_for_guests(uint32_t *mul, int8_t *shift)
{
    /* ns per cycle * 2^32 = 10^6 * 2^32 / tsc_khz; keep it in [2^31, 2^32) for precision. */
    uint64_t scale = (1000000ULL << 32) / tsc_khz;
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

uint64_t read_tsc(void)
{
    return rdtsc();
}
