/*
 * Local APIC (xAPIC MMIO, Intel SDM Vol 3A ch. 10), its timer, the I/O APICs (82093AA
 * datasheet) and the legacy 8259 PICs, which mica keeps fully masked.
 */
#include <arch/acpi.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/paging.h>
#include <arch/time.h>
#include <arch/traps.h>
#include <mica/console.h>
#include <mica/panic.h>
#include <mica/timer.h>

#define LAPIC_ID            0x20
#define LAPIC_VERSION       0x30
#define LAPIC_TPR           0x80
#define LAPIC_EOI           0xb0
#define LAPIC_SVR           0xf0
#define LAPIC_LVT_TIMER     0x320
#define LAPIC_LVT_LINT0     0x350
#define LAPIC_LVT_LINT1     0x360
#define LAPIC_LVT_ERROR     0x370
#define LAPIC_TIMER_INIT    0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE  0x3e0
#define LVT_MASKED          (1u << 16)
#define SVR_ENABLE          (1u << 8)
#define TIMER_DIVIDE_16     0x3
#define APIC_BASE_ENABLE    (1UL << 11)

#define IOAPIC_REGSEL        0x00
#define IOAPIC_WINDOW        0x10
#define IOAPIC_REG_VERSION   0x01
#define IOAPIC_REDIR_LO(pin) (0x10 + 2 * (pin))
#define IOAPIC_REDIR_MASKED  (1u << 16)

static volatile uint8_t *lapic;
static uint64_t lapic_timer_khz; /* LAPIC timer ticks per ms, after the divider */

static uint32_t lapic_read(unsigned int reg)
{
    return mmio_read32(lapic + reg);
}

static void lapic_write(unsigned int reg, uint32_t v)
{
    mmio_write32(lapic + reg, v);
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

static void lapic_timer_interrupt(struct cpu_regs *regs)
{
    lapic_eoi();
    timer_interrupt(regs);
}

static void spurious_interrupt(struct cpu_regs *regs)
{
    /* No EOI for spurious interrupts (SDM Vol 3A §10.9). */
}

static void pic_mask_all(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

static void lapic_init(paddr_t lapic_pa)
{
    lapic = ioremap(lapic_pa, PAGE_SIZE);
    if (!lapic)
        panic("cannot map the local APIC at %#lx", lapic_pa);
    wrmsr(MSR_APIC_BASE, (rdmsr(MSR_APIC_BASE) & 0xfff) | lapic_pa | APIC_BASE_ENABLE);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
    set_irq_handler(TIMER_VECTOR, lapic_timer_interrupt);
    set_irq_handler(SPURIOUS_VECTOR, spurious_interrupt);
}

/* One read of the LAPIC timer's current count bracketed by TSC reads; the tightest of a
   few wins (an MMIO access may wait for QEMU's global lock under TCG). */
static void lapic_count_sample(uint64_t *tsc, uint32_t *count)
{
    uint64_t best_err = ~0ULL;

    *tsc = 0;
    *count = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t a = rdtsc();
        uint32_t c = lapic_read(LAPIC_TIMER_CURRENT);
        uint64_t b = rdtsc();
        if (b - a < best_err) {
            best_err = b - a;
            *tsc = a + (b - a) / 2;
            *count = c;
        }
    }
}

/* LAPIC timer ticks per ms (after the divider), against ~5 ms of calibrated TSC time. */
static void lapic_timer_calibrate(void)
{
    uint64_t t0 = 0, t1 = 0;
    uint32_t c0 = 0, c1 = 0;

    lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
    lapic_count_sample(&t0, &c0);
    while (rdtsc() - t0 < tsc_khz * 5)
        cpu_relax();
    lapic_count_sample(&t1, &c1);
    lapic_write(LAPIC_TIMER_INIT, 0);
    lapic_timer_khz = (uint64_t)(c0 - c1) * tsc_khz / (t1 - t0);
    if (!lapic_timer_khz)
        panic("LAPIC timer calibration failed (no ticks in 5 ms)");
}

void lapic_timer_program(uint64_t delta_ns)
{
    uint64_t ticks;

    if (!delta_ns) {
        lapic_write(LAPIC_TIMER_INIT, 0);
        return;
    }
    ticks = (delta_ns * lapic_timer_khz + 999999) / 1000000;
    if (ticks > 0xffffffff)
        ticks = 0xffffffff;                     /* a shorter one-shot; the handler re-arms */
    lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR); /* one-shot, unmasked */
    lapic_write(LAPIC_TIMER_INIT, ticks ? (uint32_t)ticks : 1);
}

static uint32_t ioapic_read(volatile uint8_t *base, uint32_t reg)
{
    mmio_write32(base + IOAPIC_REGSEL, reg);
    return mmio_read32(base + IOAPIC_WINDOW);
}

static void ioapic_write(volatile uint8_t *base, uint32_t reg, uint32_t v)
{
    mmio_write32(base + IOAPIC_REGSEL, reg);
    mmio_write32(base + IOAPIC_WINDOW, v);
}

unsigned int ioapic_mask_all(const struct acpi_madt_info *madt)
{
    unsigned int masked = 0;

    for (unsigned int i = 0; i < madt->nr_ioapics; i++) {
        volatile uint8_t *base = ioremap(madt->ioapic[i].address, PAGE_SIZE);
        if (!base)
            panic("cannot map I/O APIC %u at %#lx", i, madt->ioapic[i].address);
        unsigned int pins = ((ioapic_read(base, IOAPIC_REG_VERSION) >> 16) & 0xff) + 1;
        for (unsigned int pin = 0; pin < pins; pin++)
            ioapic_write(base, IOAPIC_REDIR_LO(pin), IOAPIC_REDIR_MASKED);
        printk("mica: I/O APIC %u (id %u) at %#lx: GSIs %u-%u, all masked\n", i, madt->ioapic[i].id,
               madt->ioapic[i].address, madt->ioapic[i].gsi_base,
               madt->ioapic[i].gsi_base + pins - 1);
        masked += pins;
    }
    return masked;
}

void time_init_lapic(paddr_t lapic_pa)
{
    pic_mask_all();
    lapic_init(lapic_pa);
    lapic_timer_calibrate();
    printk("mica: local APIC at %#lx, id %u, timer %lu kHz (after /16)\n", lapic_pa,
           lapic_read(LAPIC_ID) >> 24, lapic_timer_khz);
}
