/*
 * Device interrupts as pirq event channels (arch/irq.h; issue 9).
 *
 * Model, with Xen 4.17's semantics for a PV hardware domain (xen/arch/x86/physdev.c, irq.c):
 * PHYSDEVOP_map_pirq ties a GSI or a function's MSI to a pirq number of the owner,
 * EVTCHNOP_bind_pirq ties the pirq to a port and unmasks the source, and each interrupt sets
 * the port pending. A level-triggered GSI is masked at the I/O APIC when it fires and unmasked
 * by the owner's PHYSDEVOP_eoi (Xen's ACKTYPE_UNMASK); an MSI is edge-triggered and acknowledged
 * at once (PHYSDEVOP_eoi is then a no-op). irq_status_query always answers needs_eoi, as Xen's
 * does. Not done: PHYSDEVOP_pirq_eoi_gmfn_v1/v2 (-ENOSYS: the guest calls PHYSDEVOP_eoi), MSI-X,
 * multi-message MSI, sharing a GSI between domains.
 */
#include <arch/acpi.h>
#include <arch/io.h>
#include <arch/irq.h>
#include <arch/paging.h>
#include <arch/pci.h>
#include <arch/time.h>
#include <arch/traps.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/pci_assign.h>
#include <mica/console.h>
#include <mica/printf.h>
#include <xen/physdev.h>

/* I/O APIC registers (82093AA datasheet §3.2). */
#define IOAPIC_REGSEL     0x00
#define IOAPIC_WINDOW     0x10
#define IOAPIC_VERSION    0x01
#define IOAPIC_REDIR(pin) (0x10 + 2 * (pin))
#define RTE_POLARITY_LOW  (1u << 13)
#define RTE_LEVEL         (1u << 15)
#define RTE_MASKED        (1u << 16)

/* MSI message (SDM Vol 3A §10.11.1, §10.11.2): fixed delivery, physical destination, edge. */
#define MSI_ADDR_BASE     0xfee00000u
#define MSI_ADDR_DEST(id) ((uint32_t)(id) << 12)
#define MSI_ADDR_LO       4  /* message address, inside the MSI capability */
#define MSI_DATA_32       8  /* message data without a 64-bit address */
#define MSI_DATA_64       12 /* message data with one */

#define IRQ_VECTOR_BASE 0x40 /* device vectors 0x40..0x4f, below the timer's 0xf0 */
#define MAX_DEV_IRQS    16

/* ICH9's LPC function and its root complex base register (ICH9 datasheet §13.1.35). */
#define LPC_BDF    PCI_BDF(0, 31, 0)
#define LPC_RCBA   0xf0
#define RCBA_D31IR 0x3140 /* D31IR..D25IR: ICH9 datasheet §10.1.x */

/** One device interrupt source bound (or about to be) to a domain's pirq. */
struct dev_irq {
    bool used;
    bool msi;            /* MSI of function bdf; otherwise GSI gsi */
    bool level;          /* level-triggered (GSIs 16-23 on q35) */
    bool masked_for_eoi; /* fired, line masked until the owner's PHYSDEVOP_eoi */
    unsigned int gsi;
    uint16_t bdf;
    uint8_t vector;
    domid_t owner;
    unsigned int pirq;
    unsigned int port; /* 0: not bound */
    uint64_t count;    /* interrupts taken */
};

static struct dev_irq dev_irqs[MAX_DEV_IRQS];

struct ioapic {
    volatile uint8_t *base;
    unsigned int gsi_base, pins;
};
static struct ioapic ioapics[MAX_IOAPICS];
static unsigned int nr_ioapics;

static uint32_t ioapic_rd(const struct ioapic *a, uint32_t reg)
{
    mmio_write32(a->base + IOAPIC_REGSEL, reg);
    return mmio_read32(a->base + IOAPIC_WINDOW);
}

static void ioapic_wr(const struct ioapic *a, uint32_t reg, uint32_t v)
{
    mmio_write32(a->base + IOAPIC_REGSEL, reg);
    mmio_write32(a->base + IOAPIC_WINDOW, v);
}

static const struct ioapic *ioapic_of(unsigned int gsi, unsigned int *pin)
{
    for (unsigned int i = 0; i < nr_ioapics; i++) {
        if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].pins) {
            *pin = gsi - ioapics[i].gsi_base;
            return &ioapics[i];
        }
    }
    return NULL;
}

/* This CPU's initial APIC ID (CPUID.01H:EBX[31:24]), the destination of every device IRQ. */
static unsigned int boot_apic_id(void)
{
    uint32_t a = 1, b, c = 0, d;

    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return b >> 24;
}

void irq_init(const struct acpi_madt_info *madt)
{
    for (unsigned int i = 0; i < madt->nr_ioapics && i < MAX_IOAPICS; i++) {
        struct ioapic *a = &ioapics[nr_ioapics];

        a->base = ioremap(madt->ioapic[i].address, PAGE_SIZE);
        if (!a->base)
            continue;
        a->gsi_base = madt->ioapic[i].gsi_base;
        a->pins = ((ioapic_rd(a, IOAPIC_VERSION) >> 16) & 0xff) + 1;
        nr_ioapics++;
    }
}

/* Program the redirection entry of @gsi: vector, trigger, unmasked or not. */
static void ioapic_program(unsigned int gsi, uint8_t vector, bool level, bool masked)
{
    unsigned int pin;
    const struct ioapic *a = ioapic_of(gsi, &pin);
    uint32_t lo = vector | (level ? RTE_LEVEL : 0) | (masked ? RTE_MASKED : 0);

    if (!a)
        return;
    ioapic_wr(a, IOAPIC_REDIR(pin) + 1, boot_apic_id() << 24);
    ioapic_wr(a, IOAPIC_REDIR(pin), lo);
}

static void ioapic_set_mask(unsigned int gsi, bool masked)
{
    unsigned int pin;
    const struct ioapic *a = ioapic_of(gsi, &pin);
    uint32_t lo;

    if (!a)
        return;
    lo = ioapic_rd(a, IOAPIC_REDIR(pin));
    lo = masked ? lo | RTE_MASKED : lo & ~RTE_MASKED;
    ioapic_wr(a, IOAPIC_REDIR(pin), lo);
}

/*
 * INTx routing on q35 (QEMU 7.2 hw/isa/lpc_ich9.c ich9_lpc_pic/ich9_cc_update, ICH9 datasheet
 * §10.1.x): bus-0 slots 0-24 use a fixed table, PIRQ (slot + pin) mod 4 + 4 (E-H), pin 0 =
 * INTA; slots 25-31 use the DxxIR registers in the chipset configuration space at RCBA, four
 * 3-bit fields (INTA in bits 2:0, INTB 6:4, INTC 10:8, INTD 14:12) naming PIRQ A-H, default
 * 0x3210. QEMU's q35 DSDT (hw/i386/acpi-build.c) makes PIRQ A-H GSI 16-23, level, active-high.
 */
#define Q35_PIRQ_GSI_BASE 16
static const uint16_t dxxir_offset[7] = {
    /* slot 25 .. 31 */
    0x3150, 0x314c, 0x3148, 0x3146, 0x3144, 0x3142, RCBA_D31IR,
};

static uint16_t read_dxxir(unsigned int slot)
{
    static volatile uint8_t *rcba;
    static bool tried;
    uint16_t off = dxxir_offset[slot - 25];

    if (!tried) {
        uint32_t r = pci_conf_read(LPC_BDF, LPC_RCBA, 4);

        tried = true;
        if ((r & 1) && (r & ~0x3fffu))
            rcba = ioremap(r & ~0x3fffu, 0x4000);
    }
    if (!rcba)
        return 0x3210; /* the reset default */
    return (uint16_t)(mmio_read32(rcba + (off & ~3u)) >> ((off & 2) * 8));
}

unsigned int irq_intx_to_gsi(uint16_t bdf, unsigned int pin)
{
    unsigned int slot = (bdf >> 3) & 0x1f, pirq;

    if ((bdf >> 8) != 0 || pin < 1 || pin > 4)
        return ~0u;
    if (slot <= 24)
        pirq = (slot + pin - 1) % 4 + 4;
    else
        pirq = (read_dxxir(slot) >> (4 * (pin - 1))) & 7;
    return Q35_PIRQ_GSI_BASE + pirq;
}

/* ---- Delivery ---- */

static void dev_irq_interrupt(struct cpu_regs *regs)
{
    struct dev_irq *di = &dev_irqs[regs->vector - IRQ_VECTOR_BASE];
    struct domain *d;

    if (di->used && di->level) {
        ioapic_set_mask(di->gsi, true);
        di->masked_for_eoi = true;
    }
    lapic_eoi();
    if (!di->used)
        return;
    di->count++;
    d = domain_lookup(di->owner);
    if (d && di->port && d->vcpu[0])
        evtchn_set_pending(d->vcpu[0], di->port);
}

static struct dev_irq *find_pirq(domid_t owner, unsigned int pirq)
{
    for (unsigned int i = 0; i < MAX_DEV_IRQS; i++) {
        if (dev_irqs[i].used && dev_irqs[i].owner == owner && dev_irqs[i].pirq == pirq)
            return &dev_irqs[i];
    }
    return NULL;
}

static struct dev_irq *alloc_dev_irq(void)
{
    for (unsigned int i = 0; i < MAX_DEV_IRQS; i++) {
        if (!dev_irqs[i].used) {
            struct dev_irq *di = &dev_irqs[i];

            *di = (struct dev_irq){.used = true, .vector = (uint8_t)(IRQ_VECTOR_BASE + i)};
            set_irq_handler(di->vector, dev_irq_interrupt);
            return di;
        }
    }
    return NULL;
}

/* Whether @domid owns a function whose INTx is routed to @gsi. */
static bool gsi_owned_by(domid_t domid, unsigned int gsi)
{
    const struct pci_func *f;

    for (unsigned int i = 0; (f = pci_func_at(i)) != NULL; i++) {
        if (f->gsi == gsi && pci_owned_by(domid, f->bdf))
            return true;
    }
    return false;
}

/* A free pirq of @domid: GSIs from 16 upwards, MSIs from the top down (Xen's get_free_pirq). */
static int free_pirq(domid_t domid, bool msi)
{
    if (msi) {
        for (int p = IRQ_NR_PIRQS - 1; p >= 24; p--)
            if (!find_pirq(domid, (unsigned int)p))
                return p;
    } else {
        for (int p = 16; p < 24; p++)
            if (!find_pirq(domid, (unsigned int)p))
                return p;
    }
    return -ENOSPC;
}

static int map_pirq(struct domain *d, struct physdev_map_pirq *m)
{
    struct dev_irq *di;
    bool msi = m->type == MAP_PIRQ_TYPE_MSI;
    uint16_t bdf = (uint16_t)((m->bus & 0xff) << 8 | m->devfn);
    const struct pci_func *f = NULL;

    if (m->type != MAP_PIRQ_TYPE_GSI && m->type != MAP_PIRQ_TYPE_MSI)
        return -EINVAL;
    if (m->pirq >= IRQ_NR_PIRQS)
        return -EINVAL;
    if (msi) {
        if (m->table_base || m->entry_nr > 0)
            return -EINVAL; /* MSI-X and multi-message MSI: not supported */
        f = pci_find(bdf);
        if (!f || !f->msi_cap)
            return -ENODEV;
        if (!pci_owned_by(d->domain_id, bdf))
            return -EPERM;
        for (unsigned int i = 0; i < MAX_DEV_IRQS; i++)
            if (dev_irqs[i].used && dev_irqs[i].msi && dev_irqs[i].bdf == bdf) {
                m->pirq = (int)dev_irqs[i].pirq; /* already mapped (Xen: same pirq) */
                return dev_irqs[i].owner == d->domain_id ? 0 : -EBUSY;
            }
    } else {
        if (m->index < 0 || m->index >= 24)
            return -EINVAL;
        if (!gsi_owned_by(d->domain_id, (unsigned int)m->index))
            return -EPERM;
        for (unsigned int i = 0; i < MAX_DEV_IRQS; i++)
            if (dev_irqs[i].used && !dev_irqs[i].msi && dev_irqs[i].gsi == (unsigned)m->index) {
                if (dev_irqs[i].owner != d->domain_id)
                    return -EBUSY;
                if (m->pirq >= 0 && (unsigned int)m->pirq != dev_irqs[i].pirq)
                    return -EEXIST;
                m->pirq = (int)dev_irqs[i].pirq;
                return 0;
            }
    }
    if (m->pirq < 0) {
        int p = free_pirq(d->domain_id, msi);

        if (p < 0)
            return p;
        m->pirq = p;
    } else if (find_pirq(d->domain_id, (unsigned int)m->pirq)) {
        return -EEXIST;
    }
    di = alloc_dev_irq();
    if (!di)
        return -ENOSPC;
    di->msi = msi;
    di->owner = d->domain_id;
    di->pirq = (unsigned int)m->pirq;
    if (msi) {
        uint16_t ctl = (uint16_t)pci_conf_read(bdf, f->msi_cap + 2, 2);
        bool is64 = ctl & PCI_MSI_FLAGS_64;

        di->bdf = bdf;
        /* Program the message with MSI off (Xen leaves the enable bit to dom0). */
        pci_conf_write(bdf, f->msi_cap + 2, 2, ctl & ~1u);
        pci_conf_write(bdf, f->msi_cap + MSI_ADDR_LO, 4,
                       MSI_ADDR_BASE | MSI_ADDR_DEST(boot_apic_id()));
        if (is64)
            pci_conf_write(bdf, f->msi_cap + MSI_ADDR_LO + 4, 4, 0);
        pci_conf_write(bdf, f->msi_cap + (is64 ? MSI_DATA_64 : MSI_DATA_32), 2, di->vector);
        pci_conf_write(bdf, f->msi_cap + 2, 2, ctl & ~0x71u); /* one message, as before */
    } else {
        di->gsi = (unsigned int)m->index;
        di->level = di->gsi >= Q35_PIRQ_GSI_BASE;
        ioapic_program(di->gsi, di->vector, di->level, true);
    }
    return 0;
}

static void release(struct dev_irq *di)
{
    if (di->msi) {
        const struct pci_func *f = pci_find(di->bdf);

        if (f && f->msi_cap) {
            uint16_t ctl = (uint16_t)pci_conf_read(di->bdf, f->msi_cap + 2, 2);
            pci_conf_write(di->bdf, f->msi_cap + 2, 2, ctl & ~1u);
        }
    } else {
        ioapic_set_mask(di->gsi, true);
    }
    di->used = false; /* the vector's handler stays: a late interrupt finds it unused */
}

int pirq_guest_bind(struct domain *d, unsigned int pirq, unsigned int port, bool will_share)
{
    struct dev_irq *di;

    (void)will_share;
    if (pirq >= IRQ_NR_PIRQS)
        return -EINVAL;
    di = find_pirq(d->domain_id, pirq);
    if (!di)
        return -EPERM; /* Xen: pirq_access_permitted() */
    if (di->port)
        return -EEXIST;
    di->port = port;
    di->masked_for_eoi = false;
    if (!di->msi)
        ioapic_set_mask(di->gsi, false);
    return 0;
}

void pirq_guest_unbind(struct domain *d, unsigned int pirq)
{
    struct dev_irq *di = find_pirq(d->domain_id, pirq);

    if (!di)
        return;
    di->port = 0;
    if (!di->msi)
        ioapic_set_mask(di->gsi, true);
}

long physdev_irq_op(int cmd, unsigned long arg)
{
    struct domain *d = current->domain;

    switch (cmd) {
    case PHYSDEVOP_map_pirq: {
        struct physdev_map_pirq m;
        int rc;

        if (copy_from_guest(&m, arg, sizeof(m)))
            return -EFAULT;
        if (m.domid != DOMID_SELF && m.domid != d->domain_id)
            return d->is_privileged ? -ESRCH : -EPERM; /* mapping for others: not done */
        if (!d->is_privileged)
            return -EPERM; /* Xen's xsm_map_domain_pirq (XSM_DM_PRIV) */
        rc = map_pirq(d, &m);
        if (!rc && copy_to_guest(arg, &m, sizeof(m)))
            return -EFAULT;
        return rc;
    }
    case PHYSDEVOP_unmap_pirq: {
        struct physdev_unmap_pirq u;
        struct dev_irq *di;

        if (copy_from_guest(&u, arg, sizeof(u)))
            return -EFAULT;
        if (!d->is_privileged)
            return -EPERM;
        if (u.pirq < 0 || u.pirq >= IRQ_NR_PIRQS)
            return -EINVAL;
        di = find_pirq(d->domain_id, (unsigned int)u.pirq);
        if (!di)
            return -EINVAL;
        release(di);
        return 0;
    }
    case PHYSDEVOP_eoi: {
        struct physdev_eoi e;
        struct dev_irq *di;

        if (copy_from_guest(&e, arg, sizeof(e)))
            return -EFAULT;
        if (e.irq >= IRQ_NR_PIRQS)
            return -EINVAL;
        di = find_pirq(d->domain_id, e.irq);
        if (!di)
            return -EINVAL;
        if (di->masked_for_eoi && di->port) {
            di->masked_for_eoi = false;
            ioapic_set_mask(di->gsi, false);
        }
        return 0;
    }
    case PHYSDEVOP_irq_status_query: {
        struct physdev_irq_status_query q;

        if (copy_from_guest(&q, arg, sizeof(q)))
            return -EFAULT;
        if (q.irq >= IRQ_NR_PIRQS)
            return -EINVAL;
        q.flags = XENIRQSTAT_needs_eoi; /* Xen 4.17: always, to be safe for any source */
        if (copy_to_guest(arg, &q, sizeof(q)))
            return -EFAULT;
        return 0;
    }
    case PHYSDEVOP_setup_gsi: {
        struct physdev_setup_gsi s;

        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if (!d->is_privileged)
            return -EPERM;
        if (s.gsi < 0 || s.gsi >= 24)
            return -EINVAL;
        return 0; /* q35's GSIs are fixed: 16-23 level, active-high (see above) */
    }
    case PHYSDEVOP_pci_device_add: {
        struct physdev_pci_device_add a;

        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        if (!d->is_privileged)
            return -EPERM;
        if (a.seg || !pci_find((uint16_t)(a.bus << 8 | a.devfn)))
            return -ENODEV;
        return 0;
    }
    default:
        return -ENOSYS;
    }
}

void irq_release_domain(struct domain *d)
{
    for (unsigned int i = 0; i < MAX_DEV_IRQS; i++) {
        if (dev_irqs[i].used && dev_irqs[i].owner == d->domain_id)
            release(&dev_irqs[i]);
    }
    pci_deassign_domain(d->domain_id);
}
