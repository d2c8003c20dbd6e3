/*
 * PCI configuration mechanism #1 and the boot-time enumeration (PCI Local Bus 3.0 §3.2.2.3.2,
 * §6.1-§6.2, §6.8.1). What is found goes into the ownership table of <mica/pci_assign.h>.
 */
#ifndef ARCH_PCI_H
#define ARCH_PCI_H

#include <mica/types.h>

struct domain;

/* Configuration registers used by mica (PCI Local Bus 3.0 §6.1, §6.7, §6.8.1). */
#define PCI_VENDOR_ID      0x00
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_CLASS_REV      0x08
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SECONDARY_BUS  0x19 /* type-1 header */
#define PCI_CAP_PTR        0x34
#define PCI_INTERRUPT_PIN  0x3d
#define PCI_CMD_IO         0x1
#define PCI_CMD_MEM        0x2
#define PCI_STATUS_CAPS    0x10
#define PCI_CAP_ID_MSI     0x05
#define PCI_MSI_FLAGS_64   0x80  /* message control: 64-bit address capable */
#define PCI_MSI_FLAGS_MASK 0x100 /* message control: per-vector masking capable */

/** Read @size (1, 2, 4) bytes at register @reg (naturally aligned) of function @bdf. */
uint32_t pci_conf_read(uint16_t bdf, unsigned int reg, unsigned int size);

/** Write @size bytes of @val at register @reg (naturally aligned) of function @bdf. */
void pci_conf_write(uint16_t bdf, unsigned int reg, unsigned int size, uint32_t val);

/**
 * A configuration read by domain @d through its virtual CONFIG_ADDRESS @cf8 (enable bit set),
 * @size bytes at byte @off (0-3) of the addressed dword, filtered by pci_conf_filter_read():
 * all-ones unless @d owns the function. Returns the bytes, at bit 0.
 */
uint32_t pci_conf_guest_read(struct domain *d, uint32_t cf8, unsigned int off, unsigned int size);

/** The write counterpart: done on the hardware only if pci_conf_filter_write() passes it. */
void pci_conf_guest_write(struct domain *d, uint32_t cf8, unsigned int off, unsigned int size,
                          uint32_t val);

/**
 * Enumerate bus 0 and the buses behind PCI-PCI bridges through mechanism #1, register every
 * function (<mica/pci_assign.h>) with its BARs (sized by the all-ones probe with decoding
 * off), interrupt pin, INTx GSI (irq.c) and MSI capability, print one line per function, and
 * keep for mica the functions it drives itself (host bridge, ISA/LPC bridge). Call once,
 * after irq_init().
 */
void pci_init(void);

/**
 * Give the hardware domain @d every PCI function mica does not keep (Xen's dom0 model, until a
 * boot configuration names the driver domain's devices). Returns how many it got.
 */
unsigned int pci_assign_hardware_domain(struct domain *d);

#endif /* ARCH_PCI_H */
