/* The few ACPI facts mica needs at boot (ACPI 6.4 §5.2: RSDP, RSDT/XSDT, MADT). */
#ifndef ARCH_ACPI_H
#define ARCH_ACPI_H

#include <mica/types.h>

#define MAX_IOAPICS 8

struct ioapic_info {
    uint8_t id;
    paddr_t address;   /* MMIO base */
    uint32_t gsi_base; /* first global system interrupt it serves */
};

/** What the MADT says about interrupt controllers. */
struct acpi_madt_info {
    paddr_t lapic_address;
    unsigned int nr_cpus; /* enabled processor LAPIC entries */
    unsigned int nr_ioapics;
    struct ioapic_info ioapic[MAX_IOAPICS];
};

/**
 * Find the RSDP (in the BIOS area 0xe0000-0xfffff), then the MADT through the XSDT or RSDT,
 * and fill @out. Returns 0, or -ENOENT when no valid RSDP or MADT exists (checksums are
 * verified), in which case @out holds the architectural defaults (LAPIC 0xfee00000,
 * one IOAPIC at 0xfec00000).
 */
int acpi_find_madt(struct acpi_madt_info *out);

#endif /* ARCH_ACPI_H */
