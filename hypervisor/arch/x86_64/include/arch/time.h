/*
 * Time in the hypervisor: the TSC, calibrated against the PIT at boot, gives system time in
 * ns since boot; the local APIC timer (one-shot mode) raises the timer interrupt. QEMU's TCG
 * offers neither TSC-deadline mode nor x2APIC, so mica uses xAPIC MMIO and one-shot counts.
 */
#ifndef ARCH_TIME_H
#define ARCH_TIME_H

#include <mica/types.h>

#define TIMER_VECTOR 0xf0
#define SPURIOUS_VECTOR 0xff

/** TSC frequency in kHz, as calibrated by time_init(). */
extern uint64_t tsc_khz;

/**
 * Calibrate the TSC against PIT channel 2 (8254 datasheet, mode 0) and the LAPIC timer
 * against the TSC; enable the LAPIC at @lapic_pa, mask the 8259 PICs. Panics if the PIT
 * gives no usable measurement.
 */
void time_init(paddr_t lapic_pa);

/** System time: ns since time_init(). */
uint64_t now_ns(void);

/** Convert TSC cycles to ns with the calibrated scale. */
uint64_t tsc_to_ns(uint64_t cycles);

/** Handler of the timer interrupt, called with interrupts off. */
typedef void (*timer_handler_t)(void);

/** Arm the LAPIC timer to fire once @delta_ns from now (0 disarms); @fn runs on expiry. */
void lapic_timer_oneshot(uint64_t delta_ns, timer_handler_t fn);

/** Enable the LAPIC at @lapic_pa and calibrate its timer (time_init's second half). */
void time_init_lapic(paddr_t lapic_pa);

/** Signal end of interrupt to the local APIC. */
void lapic_eoi(void);

struct acpi_madt_info;

/** Mask every redirection entry of every I/O APIC @madt lists. Returns the pins masked. */
unsigned int ioapic_mask_all(const struct acpi_madt_info *madt);

#endif /* ARCH_TIME_H */
