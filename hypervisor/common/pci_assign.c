/*
 * PCI function ownership and the configuration-cycle filter (pci_assign.h; issue 9).
 *
 * Rules: a domain sees the configuration space of the functions it owns only; others read
 * as all-ones and writes to them vanish (issue 9). BARs belong to mica: the owner may size
 * them (write all-ones, read the mask, as PCI Local Bus 3.0 §6.2.5.1 describes) but cannot
 * move them, since mica decided which frames and ports it may use from their addresses. The
 * MSI capability (PCI 3.0 §6.8.1) belongs to mica too, which writes the message address and
 * data in PHYSDEVOP_map_pirq; the owner may write the message control word, as Xen 4.17 lets
 * its dom0 do ("split brain": Xen programs the message, dom0 sets the enable bit; Xen's
 * msi_capability_init() and pci_msi_conf_write_intercept()).
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/iocap.h>
#include <mica/page_types.h>
#include <mica/pci_assign.h>
#include <mica/string.h>
#include <xen/xen.h>

/* Type-0 header registers (PCI Local Bus 3.0 §6.1). */
#define PCI_REG_BAR0       0x10
#define PCI_REG_ROM        0x30 /* expansion ROM base (type 0) */
#define PCI_REG_ROM_BRIDGE 0x38 /* expansion ROM base (type 1) */
#define MSI_CONTROL_OFF    2    /* message control word inside the MSI capability */

static struct pci_func funcs[PCI_MAX_FUNCS];
static unsigned int nr_funcs;

void pci_reset_table(void)
{
    nr_funcs = 0;
    memset(funcs, 0, sizeof(funcs));
}

int pci_register(const struct pci_func *f)
{
    if (pci_find(f->bdf))
        return -EEXIST;
    if (nr_funcs == PCI_MAX_FUNCS)
        return -ENOMEM;
    funcs[nr_funcs] = *f;
    funcs[nr_funcs].bar_sizing = 0;
    nr_funcs++;
    return 0;
}

struct pci_func *pci_find(uint16_t bdf)
{
    for (unsigned int i = 0; i < nr_funcs; i++) {
        if (funcs[i].bdf == bdf)
            return &funcs[i];
    }
    return NULL;
}

struct pci_func *pci_func_at(unsigned int i)
{
    return i < nr_funcs ? &funcs[i] : NULL;
}

int pci_assign(struct domain *d, uint16_t bdf)
{
    struct pci_func *f = pci_find(bdf);

    if (!f)
        return -ENODEV;
    if (f->owner == DOMID_XEN || (f->owner != DOMID_INVALID && f->owner != d->domain_id))
        return -EBUSY;
    for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
        const struct pci_bar *b = &f->bar[i];

        if (b->io && b->size && b->base) {
            int rc = ioports_permit_access(d, (unsigned int)b->base,
                                           (unsigned int)(b->base + b->size - 1));
            if (rc)
                return rc;
        }
    }
    f->owner = d->domain_id;
    f->bar_sizing = 0;
    return 0;
}

int pci_deassign(uint16_t bdf)
{
    struct pci_func *f = pci_find(bdf);

    if (!f)
        return -ENODEV;
    if (f->owner != DOMID_XEN)
        f->owner = DOMID_INVALID;
    f->bar_sizing = 0;
    return 0;
}

unsigned int pci_deassign_domain(domid_t domid)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < nr_funcs; i++) {
        if (pci_owned_by(domid, funcs[i].bdf)) {
            funcs[i].owner = DOMID_INVALID;
            funcs[i].bar_sizing = 0;
            n++;
        }
    }
    return n;
}

bool pci_owned_by(domid_t domid, uint16_t bdf)
{
    const struct pci_func *f = pci_find(bdf);

    return f && f->owner == domid && domid != DOMID_XEN && domid != DOMID_INVALID;
}

/* Number of BAR registers of a header type: 6 for a device, 2 for a PCI-PCI bridge. */
static unsigned int nr_bar_regs(const struct pci_func *f)
{
    return f->header_type == 1 ? 2 : PCI_NR_BARS;
}

/* The BAR index register @reg falls in, or -1. */
static int bar_index(const struct pci_func *f, unsigned int reg)
{
    if (reg < PCI_REG_BAR0 || reg >= PCI_REG_BAR0 + 4 * nr_bar_regs(f))
        return -1;
    return (int)((reg - PCI_REG_BAR0) / 4);
}

/* What a sized BAR register reads as: the size mask with the type bits of @hw. */
static uint32_t bar_size_mask(const struct pci_func *f, int i, uint32_t hw)
{
    const struct pci_bar *b = &f->bar[i];

    if (i > 0 && f->bar[i - 1].is64) /* the high half of a 64-bit BAR */
        return (uint32_t)(~(f->bar[i - 1].size - 1) >> 32);
    if (!b->size)
        return 0;
    if (b->io)
        return ((uint32_t) ~(b->size - 1) & ~3u) | (hw & 3u);
    return ((uint32_t) ~(b->size - 1) & ~0xfu) | (hw & 0xfu);
}

bool pci_conf_hwdom_may_read(uint16_t bdf)
{
    const struct pci_func *f = pci_find(bdf);

    return f && f->owner == DOMID_XEN;
}

bool pci_conf_read_needs_hw(domid_t domid, uint16_t bdf, unsigned int reg)
{
    const struct pci_func *f = pci_find(bdf);
    int i;

    if (!f || !pci_owned_by(domid, bdf))
        return false;
    i = bar_index(f, reg);
    return i >= 0 && (f->bar_sizing & (1u << i));
}

enum pci_conf_action pci_conf_filter_read(domid_t domid, uint16_t bdf, unsigned int reg,
                                          unsigned int size, uint32_t hw, uint32_t *value)
{
    const struct pci_func *f = pci_find(bdf);
    int i;

    if (!f || !pci_owned_by(domid, bdf))
        return PCI_CONF_ALL_ONES;
    i = bar_index(f, reg);
    if (i >= 0 && (f->bar_sizing & (1u << i))) {
        uint32_t v = bar_size_mask(f, i, hw) >> ((reg & 3) * 8);

        *value = size >= 4 ? v : v & ((1u << (size * 8)) - 1);
        return PCI_CONF_VALUE;
    }
    return PCI_CONF_PASS;
}

enum pci_conf_action pci_conf_filter_write(domid_t domid, uint16_t bdf, unsigned int reg,
                                           unsigned int size, uint32_t value)
{
    struct pci_func *f = pci_find(bdf);
    int i;

    if (!f || !pci_owned_by(domid, bdf))
        return PCI_CONF_DROP;
    i = bar_index(f, reg);
    if (i >= 0) {
        /* A whole-register all-ones write starts sizing; anything else ends it. */
        if (size == 4 && (reg & 3) == 0 && value == 0xffffffffu)
            f->bar_sizing |= (uint8_t)(1u << i);
        else
            f->bar_sizing &= (uint8_t) ~(1u << i);
        return PCI_CONF_DROP;
    }
    if ((f->header_type == 0 && reg >= PCI_REG_ROM && reg < PCI_REG_ROM + 4) ||
        (f->header_type == 1 && reg >= PCI_REG_ROM_BRIDGE && reg < PCI_REG_ROM_BRIDGE + 4))
        return PCI_CONF_DROP; /* the ROM BAR moves nothing either */
    if (f->msi_cap && reg + size > f->msi_cap && reg < (unsigned int)f->msi_cap + f->msi_cap_len) {
        if (reg == (unsigned int)f->msi_cap + MSI_CONTROL_OFF && size == 2)
            return PCI_CONF_PASS; /* message control: the owner enables MSI (Xen's dom0) */
        return PCI_CONF_DROP;
    }
    return PCI_CONF_PASS;
}

bool pci_iomem_permitted(domid_t domid, uint64_t mfn)
{
    uint64_t addr = mfn << PAGE_SHIFT;

    for (unsigned int i = 0; i < nr_funcs; i++) {
        const struct pci_func *f = &funcs[i];

        if (!pci_owned_by(domid, f->bdf))
            continue;
        for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
            const struct pci_bar *bar = &f->bar[b];

            if (bar->io || !bar->size || !bar->base)
                continue;
            /* Frames the BAR touches (a BAR under 4 KiB shares its frame: Xen allows that
               for dom0 too, as the frame is device memory either way). */
            if (addr + PAGE_SIZE > bar->base && addr < bar->base + bar->size)
                return true;
        }
    }
    return false;
}

bool pci_domain_has_devices(domid_t domid)
{
    for (unsigned int i = 0; i < nr_funcs; i++) {
        if (pci_owned_by(domid, funcs[i].bdf))
            return true;
    }
    return false;
}

/* ---- mm.c's hooks (page_types.h; the weak defaults there refuse everything) ---- */

/* Xen's iomem_access_permitted(): here, the frames of memory BARs of the domain's functions. */
bool iomem_access_permitted(const struct domain *d, mfn_t mfn)
{
    return pci_iomem_permitted(d->domain_id, mfn);
}

/* Xen's "has I/O resources" (cache attributes, cache flushes): the hardware domain, as on Xen,
   and any domain owning a PCI function. */
bool domain_has_io_resources(const struct domain *d)
{
    return d->is_privileged || pci_domain_has_devices(d->domain_id);
}
