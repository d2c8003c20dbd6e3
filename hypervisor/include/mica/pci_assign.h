/*
 * Which domain owns which PCI function, and the filter on the configuration cycles a domain
 * makes through the emulated 0xcf8/0xcfc (issue 9, "Handing hardware to the driver domain").
 * Portable: the arch enumerator (arch/pci.h) registers what it found; the filter is pure
 * computation over that table and is unit-tested on the host.
 */
#ifndef MICA_PCI_ASSIGN_H
#define MICA_PCI_ASSIGN_H

#include <mica/types.h>

struct domain;

#define PCI_MAX_FUNCS         64 /* functions mica tracks (q35 plus a few devices uses ~10) */
#define PCI_NR_BARS           6  /* type-0 header BARs, PCI Local Bus 3.0 §6.2.5.1 */
#define PCI_BDF(bus, dev, fn) ((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))

/** One base address register as enumerated (sizes by the all-ones probe). */
struct pci_bar {
    uint64_t base; /* bus address (memory) or port (I/O); 0 if unused */
    uint64_t size; /* bytes; 0 if the BAR is not implemented */
    bool io;       /* I/O space BAR */
    bool is64;     /* 64-bit memory BAR: the next BAR holds the high half */
};

/** One PCI function mica knows of. */
struct pci_func {
    uint16_t bdf; /* bus << 8 | device << 3 | function */
    uint16_t vendor, device;
    uint32_t class_rev;  /* configuration dword 0x08: class code << 8 | revision */
    uint8_t header_type; /* 0 for a device, 1 for a PCI-PCI bridge (bit 7 stripped) */
    uint8_t irq_pin;     /* 1 = INTA .. 4 = INTD, 0 = none */
    uint8_t msi_cap;     /* offset of the MSI capability, 0 if none */
    uint8_t msi_cap_len; /* its length in bytes (10, 14, 20 or 24; PCI 3.0 §6.8.1) */
    unsigned int gsi;    /* INTx routed to this GSI (irq.c), ~0u if none */
    domid_t owner;       /* DOMID_XEN: mica keeps it; DOMID_INVALID: unassigned */
    uint8_t bar_sizing;  /* bit i: the owner wrote all-ones to BAR i (sizing in progress) */
    struct pci_bar bar[PCI_NR_BARS];
};

/**
 * Add @f (copied) to the table, unassigned unless f->owner says otherwise.
 * Returns 0, -EEXIST for a BDF already there, -ENOMEM when the table is full.
 */
int pci_register(const struct pci_func *f);

/** The function at @bdf, or NULL. */
struct pci_func *pci_find(uint16_t bdf);

/** The @i-th registered function (0-based), or NULL past the end. */
struct pci_func *pci_func_at(unsigned int i);

/** Forget every function (unit tests; a reboot of the table). */
void pci_reset_table(void);

/**
 * Give the function at @bdf to @d: it alone may then see its configuration space, use its
 * I/O BARs' ports and map its memory BARs' frames. Returns 0; -ENODEV if mica does not know
 * @bdf; -EBUSY if mica keeps it or another domain owns it; an ioports_permit_access() error.
 */
int pci_assign(struct domain *d, uint16_t bdf);

/** Take @bdf back from whoever owns it (the ports stay as iocap has them). 0 or -ENODEV. */
int pci_deassign(uint16_t bdf);

/** Take back every function domain @domid owns (it died). Returns how many. */
unsigned int pci_deassign_domain(domid_t domid);

/** Whether domain @domid owns the function at @bdf. */
bool pci_owned_by(domid_t domid, uint16_t bdf);

/** What the emulator does with one configuration cycle. */
enum pci_conf_action {
    PCI_CONF_PASS,     /* do the cycle on the hardware (a write: with the value as given) */
    PCI_CONF_ALL_ONES, /* a read returns all-ones, no cycle (not the domain's function) */
    PCI_CONF_DROP,     /* a write is ignored (not its function, or a register mica owns) */
    PCI_CONF_VALUE,    /* a read returns *value (an emulated register: a BAR being sized) */
};

/**
 * Filter a read of @size (1, 2, 4) bytes at register @reg of function @bdf by domain @domid.
 * @hw is the register's current hardware dword at reg & ~3, which the filter needs only for
 * a BAR being sized (the caller may pass it lazily: see pci_conf_read_needs_hw()).
 * Returns the action; for PCI_CONF_VALUE, *value holds the bytes to return (shifted down to
 * bit 0, size bytes wide). Rule: others' functions read as all-ones (issue 9).
 */
enum pci_conf_action pci_conf_filter_read(domid_t domid, uint16_t bdf, unsigned int reg,
                                          unsigned int size, uint32_t hw, uint32_t *value);

/**
 * Whether the hardware domain may read (never write) the configuration space of @bdf although
 * the filter says all-ones: the functions mica keeps (host bridge, LPC), which Xen's dom0 sees
 * too; so that dom0 finds the same bus on mica and on Xen.
 */
bool pci_conf_hwdom_may_read(uint16_t bdf);

/** Whether pci_conf_filter_read() for this cycle needs the hardware dword. */
bool pci_conf_read_needs_hw(domid_t domid, uint16_t bdf, unsigned int reg);

/**
 * Filter a write of @size bytes of @value at @reg of @bdf by @domid. BAR writes are owned by
 * mica: an all-ones write starts sizing (reads then return the size mask), any other value is
 * dropped (the BAR keeps its address); writes into the MSI capability are dropped (mica
 * programs MSI through PHYSDEVOP_map_pirq). Returns PCI_CONF_PASS or PCI_CONF_DROP.
 */
enum pci_conf_action pci_conf_filter_write(domid_t domid, uint16_t bdf, unsigned int reg,
                                           unsigned int size, uint32_t value);

/** Whether @d may map machine frame @mfn as MMIO: inside a memory BAR of a function it owns. */
bool pci_iomem_permitted(domid_t domid, uint64_t mfn);

/** Whether domain @domid owns any PCI function. */
bool pci_domain_has_devices(domid_t domid);

#endif /* MICA_PCI_ASSIGN_H */
