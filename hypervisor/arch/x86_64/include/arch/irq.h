/*
 * Device interrupts for the driver domain (issue 9): INTx routed through the I/O APIC by the
 * ICH9 table, MSI, and their delivery as pirq event channels with Xen's physdev_op semantics
 * (xen/include/public/physdev.h, event_channel.h EVTCHNOP_bind_pirq).
 */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <mica/types.h>

struct acpi_madt_info;
struct domain;

#define IRQ_NR_PIRQS 256 /* pirq numbers a domain may use: 0..255 (Xen's d->nr_pirqs) */

/** Remember the I/O APICs of @madt (already all masked by ioapic_mask_all()). Call once. */
void irq_init(const struct acpi_madt_info *madt);

/**
 * The GSI that INTx pin @pin (1 = INTA .. 4 = INTD) of function @bdf raises on QEMU q35, or
 * ~0u if unknown (only bus 0 is routed). Source: ICH9 datasheet §5.9 / §10.1.x (D25IR-D31IR)
 * and QEMU 7.2 hw/isa/lpc_ich9.c, hw/i386/acpi-build.c (PIRQ A-H are GSI 16-23).
 */
unsigned int irq_intx_to_gsi(uint16_t bdf, unsigned int pin);

/**
 * PHYSDEVOP_map_pirq, unmap_pirq, eoi, irq_status_query, setup_gsi, pci_device_add for
 * do_physdev_op() (iocap.c hands over every command it does not know). Returns the
 * hypercall's result; -ENOSYS for a command that is not one of these.
 */
long physdev_irq_op(int cmd, unsigned long arg);

/**
 * EVTCHNOP_bind_pirq's half (event_channel.c): bind @pirq of @d to its free port @port.
 * Returns 0; -EINVAL for a pirq out of range; -EPERM if @d has not mapped it; -EEXIST if it is
 * bound already (checks in Xen's order, xen/common/event_channel.c evtchn_bind_pirq()).
 * The line (or MSI) is unmasked once bound.
 */
int pirq_guest_bind(struct domain *d, unsigned int pirq, unsigned int port, bool will_share);

/** EVTCHNOP_close of a pirq port: unbind @pirq of @d and mask its line. */
void pirq_guest_unbind(struct domain *d, unsigned int pirq);

/**
 * Domain @d is going away: release every pirq it mapped (lines masked, MSI disabled) and give
 * back its PCI functions (pci_deassign_domain). Its ports were closed already (evtchn_destroy).
 * To be called from domain_shutdown() for a domain that is torn down.
 */
void irq_release_domain(struct domain *d);

#endif /* ARCH_IRQ_H */
