/*
 * Time in the hypervisor: the TSC, calibrated against the PIT at boot, gives system time in
 * ns since boot; the local APIC timer (one-shot mode) raises the timer interrupt. QEMU's TCG
 * offers neither TSC-deadline mode nor x2APIC, so mica uses xAPIC MMIO and one-shot counts.
 */
#ifndef ARCH_TIME_H
#define ARCH_TIME_H

#include <mica/types.h>

#define TIMER_VECTOR    0xf0
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

/**
 * Make the LAPIC timer interrupt once, @delta_ns from now (0 stops it). The interrupt calls
 * timer_interrupt() (mica/timer.h), which runs the hypervisor's timers and reprograms.
 */
void lapic_timer_program(uint64_t delta_ns);

/** Enable the LAPIC at @lapic_pa and calibrate its timer (time_init's second half). */
void time_init_lapic(paddr_t lapic_pa);

/** The CMOS RTC's date and time as seconds since 1970-01-01 00:00 UTC (the RTC runs UTC). */
uint64_t rtc_read_unix_seconds(void);

/**
 * The TSC-to-ns scale as Xen's vcpu_time_info expresses it: ns = ((tsc << shift) * mul) >> 32,
 * with a negative @shift meaning a right shift (xen.h struct vcpu_time_info).
 */
void tsc_scale_for_guests(uint32_t *mul, int8_t *shift);

/** Read the TSC (for vcpu_time_info.tsc_timestamp). */
uint64_t read_tsc(void);

/** Signal end of interrupt to the local APIC. */
void lapic_eoi(void);

struct acpi_madt_info;

/** Mask every redirection entry of every I/O APIC @madt lists. Returns the pins masked. */
unsigned int ioapic_mask_all(const struct acpi_madt_info *madt);

#endif /* ARCH_TIME_H */
