/*
 * PCI configuration mechanism #1 and the boot-time enumeration (arch/pci.h).
 * Facts: PCI Local Bus 3.0 §3.2.2.3.2 (CONFIG_ADDRESS 0xcf8 / CONFIG_DATA 0xcfc),
 * §6.1 (header layout), §6.2.5.1 (BAR sizing: write all-ones with decoding off, read back),
 * §6.7 (capability list), §6.8.1 (MSI capability layout).
 */
#include <arch/io.h>
#include <arch/irq.h>
#include <arch/pci.h>
#include <mica/domain.h>
#include <mica/heap.h>
#include <mica/mm.h>
#include <mica/pci_assign.h>
#include <mica/console.h>
#include <mica/printf.h>
#include <xen/xen.h>

#define PCI_CF8 0xcf8
#define PCI_CFC 0xcfc

static uint32_t cf8_value(uint16_t bdf, unsigned int reg)
{
    return 0x80000000u | (uint32_t)bdf << 8 | (reg & 0xfc);
}

uint32_t pci_conf_read(uint16_t bdf, unsigned int reg, unsigned int size)
{
    outl(PCI_CF8, cf8_value(bdf, reg));
    switch (size) {
    case 1:
        return inb((uint16_t)(PCI_CFC + (reg & 3)));
    case 2:
        return inw((uint16_t)(PCI_CFC + (reg & 2)));
    default:
        return inl(PCI_CFC);
    }
}

void pci_conf_write(uint16_t bdf, unsigned int reg, unsigned int size, uint32_t val)
{
    outl(PCI_CF8, cf8_value(bdf, reg));
    switch (size) {
    case 1:
        outb((uint16_t)(PCI_CFC + (reg & 3)), (uint8_t)val);
        break;
    case 2:
        outw((uint16_t)(PCI_CFC + (reg & 2)), (uint16_t)val);
        break;
    default:
        outl(PCI_CFC, val);
        break;
    }
}

uint32_t pci_conf_guest_read(struct domain *d, uint32_t cf8, unsigned int off, unsigned int size)
{
    uint16_t bdf = (uint16_t)(cf8 >> 8);
    unsigned int reg = (cf8 & 0xfc) | off;
    uint32_t value = 0, hw = 0;

    if (pci_conf_read_needs_hw(d->domain_id, bdf, reg))
        hw = pci_conf_read(bdf, reg & ~3u, 4);
    switch (pci_conf_filter_read(d->domain_id, bdf, reg, size, hw, &value)) {
    case PCI_CONF_PASS:
        return pci_conf_read(bdf, reg, size);
    case PCI_CONF_VALUE:
        return value;
    default:
        if (d->is_privileged && pci_conf_hwdom_may_read(bdf))
            return pci_conf_read(bdf, reg, size); /* mica's bridges, read-only (as Xen) */
        return size == 4 ? ~0u : (1u << (size * 8)) - 1;
    }
}

void pci_conf_guest_write(struct domain *d, uint32_t cf8, unsigned int off, unsigned int size,
                          uint32_t val)
{
    uint16_t bdf = (uint16_t)(cf8 >> 8);
    unsigned int reg = (cf8 & 0xfc) | off;

    if (pci_conf_filter_write(d->domain_id, bdf, reg, size, val) == PCI_CONF_PASS)
        pci_conf_write(bdf, reg, size, val);
}

/* Size and decode the BARs of @f (@nr of them), decoding off meanwhile (§6.2.5.1). */
static void probe_bars(struct pci_func *f, unsigned int nr)
{
    uint16_t cmd = (uint16_t)pci_conf_read(f->bdf, PCI_COMMAND, 2);

    pci_conf_write(f->bdf, PCI_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
    for (unsigned int i = 0; i < nr; i++) {
        unsigned int reg = PCI_BAR0 + 4 * i;
        uint32_t lo = pci_conf_read(f->bdf, reg, 4), mask;
        struct pci_bar *b = &f->bar[i];

        pci_conf_write(f->bdf, reg, 4, 0xffffffffu);
        mask = pci_conf_read(f->bdf, reg, 4);
        pci_conf_write(f->bdf, reg, 4, lo);
        if (!mask)
            continue;
        if (lo & 1) {
            b->io = true;
            b->base = lo & ~3u;
            b->size = (uint16_t) ~(mask & ~3u) + 1u;
            continue;
        }
        b->base = lo & ~0xfu;
        if ((lo & 6) == 4 && i + 1 < nr) {
            uint32_t hi = pci_conf_read(f->bdf, reg + 4, 4), mask_hi;

            pci_conf_write(f->bdf, reg + 4, 4, 0xffffffffu);
            mask_hi = pci_conf_read(f->bdf, reg + 4, 4);
            pci_conf_write(f->bdf, reg + 4, 4, hi);
            b->is64 = true;
            b->base |= (uint64_t)hi << 32;
            b->size = ~(((uint64_t)mask_hi << 32) | (mask & ~0xfu)) + 1;
            i++;
        } else {
            b->size = (uint32_t)(~(mask & ~0xfu) + 1u);
        }
    }
    pci_conf_write(f->bdf, PCI_COMMAND, 2, cmd);
}

/* Find the MSI capability of @f (§6.7, §6.8.1). */
static void probe_msi(struct pci_func *f)
{
    unsigned int pos, guard = 48;

    if (!(pci_conf_read(f->bdf, PCI_STATUS, 2) & PCI_STATUS_CAPS))
        return;
    pos = pci_conf_read(f->bdf, PCI_CAP_PTR, 1) & 0xfc;
    while (pos >= 0x40 && guard--) {
        if (pci_conf_read(f->bdf, pos, 1) == PCI_CAP_ID_MSI) {
            uint16_t ctl = (uint16_t)pci_conf_read(f->bdf, pos + 2, 2);

            f->msi_cap = (uint8_t)pos;
            f->msi_cap_len = (uint8_t)(10 + (ctl & PCI_MSI_FLAGS_64 ? 4 : 0) +
                                       (ctl & PCI_MSI_FLAGS_MASK ? 10 : 0));
            return;
        }
        pos = pci_conf_read(f->bdf, pos + 1, 1) & 0xfc;
    }
}

/* Functions mica keeps: the host bridge and the ISA/LPC bridge (class 06 00 and 06 01), as
   mica drives the PIT, the RTC, the PM timer and the serial port behind the latter itself. */
static bool mica_keeps(uint32_t class_rev)
{
    uint32_t class = class_rev >> 16;

    return class == 0x0600 || class == 0x0601;
}

static void print_func(const struct pci_func *f)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "mica: pci %02x:%02x.%u %04x:%04x class %06x%s",
                     f->bdf >> 8, (f->bdf >> 3) & 0x1f, f->bdf & 7, f->vendor, f->device,
                     f->class_rev >> 8, f->owner == DOMID_XEN ? " (mica's)" : "");

    if (f->irq_pin && n > 0 && (size_t)n < sizeof(line))
        n += snprintf(line + n, sizeof(line) - (size_t)n, " INT%c gsi %u", 'A' + f->irq_pin - 1,
                      f->gsi);
    if (f->msi_cap && n > 0 && (size_t)n < sizeof(line))
        snprintf(line + n, sizeof(line) - (size_t)n, " msi@%#x", f->msi_cap);
    printk("%s\n", line);
    for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
        const struct pci_bar *b = &f->bar[i];

        if (b->size)
            printk("mica: pci     BAR%u %s %#lx size %#lx\n", i,
                   b->io ? "io " : (b->is64 ? "m64" : "mem"), (unsigned long)b->base,
                   (unsigned long)b->size);
    }
}

static void scan_bus(unsigned int bus, unsigned int depth)
{
    for (unsigned int dev = 0; dev < 32; dev++) {
        for (unsigned int fn = 0; fn < 8; fn++) {
            uint16_t bdf = PCI_BDF(bus, dev, fn);
            uint32_t id = pci_conf_read(bdf, PCI_VENDOR_ID, 4);
            uint8_t ht;
            struct pci_func f = {0};

            if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0) {
                if (fn == 0)
                    break;
                continue;
            }
            ht = (uint8_t)pci_conf_read(bdf, PCI_HEADER_TYPE, 1);
            f.bdf = bdf;
            f.vendor = (uint16_t)id;
            f.device = (uint16_t)(id >> 16);
            f.class_rev = pci_conf_read(bdf, PCI_CLASS_REV, 4);
            f.header_type = ht & 0x7f;
            f.irq_pin = (uint8_t)pci_conf_read(bdf, PCI_INTERRUPT_PIN, 1);
            if (f.irq_pin > 4)
                f.irq_pin = 0;
            f.gsi = f.irq_pin ? irq_intx_to_gsi(bdf, f.irq_pin) : ~0u;
            f.owner = mica_keeps(f.class_rev) ? DOMID_XEN : DOMID_INVALID;
            if (f.header_type <= 1)
                probe_bars(&f, f.header_type == 1 ? 2 : PCI_NR_BARS);
            probe_msi(&f);
            if (pci_register(&f))
                printk_warn("mica: pci %02x:%02x.%u: table full, ignored\n", bus, dev, fn);
            print_func(&f);
            if (f.header_type == 1 && depth < 4) {
                unsigned int sec = pci_conf_read(bdf, PCI_SECONDARY_BUS, 1);

                if (sec > bus)
                    scan_bus(sec, depth + 1);
            }
            if (fn == 0 && !(ht & 0x80))
                break; /* not multi-function */
        }
    }
}

/*
 * Memory BAR frames inside the frame table (a machine with RAM above the PCI hole) start out
 * as the hypervisor's; give them to DOMID_IO so mm.c treats them as MMIO, as Xen gives non-RAM
 * frames to dom_io. Frames beyond the table are MMIO already.
 */
static void bar_frames_to_dom_io(const struct pci_func *f)
{
    for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
        const struct pci_bar *b = &f->bar[i];

        if (b->io || !b->size || !b->base)
            continue;
        for (mfn_t mfn = b->base >> PAGE_SHIFT; mfn <= (b->base + b->size - 1) >> PAGE_SHIFT;
             mfn++) {
            struct page_info *pg;

            if (!mfn_valid(mfn))
                break;
            pg = mfn_to_page(mfn);
            if (pg->owner == DOMID_XEN && !pg->count_info)
                pg->owner = DOMID_IO;
        }
    }
}

void pci_init(void)
{
    const struct pci_func *f;

    scan_bus(0, 0);
    for (unsigned int i = 0; (f = pci_func_at(i)) != NULL; i++)
        bar_frames_to_dom_io(f);
}

unsigned int pci_assign_hardware_domain(struct domain *d)
{
    unsigned int n = 0;
    struct pci_func *f;

    for (unsigned int i = 0; (f = pci_func_at(i)) != NULL; i++) {
        if (f->owner == DOMID_INVALID && pci_assign(d, f->bdf) == 0)
            n++;
    }
    printk("mica: d%u owns %u PCI functions\n", d->domain_id, n);
    return n;
}
