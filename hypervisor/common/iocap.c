/*
 * I/O port permissions of domains, the virtual IOPL and I/O bitmap checks, and the
 * physdev_op commands that set them (iocap.h; Xen 4.17's xen/common/rangeset.c semantics,
 * xen/arch/x86/dom0_build.c dom0_setup_permissions(), xen/arch/x86/pv/emul-priv-op.c
 * guest_io_okay()/admin_io_okay(), xen/arch/x86/physdev.c).
 */
#include <arch/irq.h> /* physdev_irq_op (issue 9) */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/iocap.h>
#include <mica/string.h>
#include <xen/physdev.h>

/*
 * What the hypervisor keeps. Xen's dom0 loses the PICs, the PIT, port 0x61, the ACPI PM
 * timer, PCI configuration data (0xcfc-0xcff) and the serial port Xen's console uses; mica
 * keeps the same and, because it drives them itself, PCI CONFIG_ADDRESS and the reset
 * control register (0xcf8-0xcfb, Xen leaves 0xcf8 to dom0 except for dword accesses) and
 * QEMU's isa-debug-exit port (0xf4-0xf7), its power-off path on the test machine, and the
 * RTC/CMOS (Xen never gives it directly either, but emulates it for dom0; mica does not).
 */
const struct ioport_range iocap_hypervisor_ports[] = {
    {0x0020, 0x0021}, /* PIC, master */
    {0x0040, 0x0043}, /* PIT */
    {0x0061, 0x0061}, /* PIT channel 2 gate / speaker (NMI status) */
    {0x0070, 0x0071}, /* RTC/CMOS: mica reads the wall clock there (Xen emulates it) */
    {0x00a0, 0x00a1}, /* PIC, slave */
    {0x00f4, 0x00f7}, /* QEMU isa-debug-exit (mica's exit status on the test machine) */
    {0x03f8, 0x03ff}, /* COM1, mica's console */
    {0x0608, 0x060b}, /* ACPI PM timer (q35: PMBASE 0x600 + 8) */
    {0x0cf8, 0x0cff}, /* PCI configuration mechanism #1, and reset control at 0xcf9 */
};
const unsigned int iocap_nr_hypervisor_ports = ARRAY_SIZE(iocap_hypervisor_ports);

/* RTC/CMOS index and data ports (Xen's RTC_PORT(0), RTC_PORT(1)). */
#define RTC_PORT0 0x70
#define RTC_PORT1 0x71
/* PCI CONFIG_ADDRESS (PCI Local Bus 3.0 §3.2.2.3.2). */
#define PCI_CF8 0xcf8

/* ---- The range set ---- */

void ioport_caps_clear(struct ioport_caps *c)
{
    c->nr = 0;
}

static bool range_args_ok(unsigned int first, unsigned int last)
{
    return first <= last && last <= IOPORT_MAX;
}

int ioport_caps_add(struct ioport_caps *c, unsigned int first, unsigned int last)
{
    unsigned int i, j;

    if (!range_args_ok(first, last))
        return -EINVAL;
    /* i: first range that ends at or after first - 1 (it may merge); j: first range that
       starts after last + 1 (it stays). Ranges i..j-1 merge with the new one. */
    for (i = 0; i < c->nr && (unsigned int)c->r[i].last + 1 < first; i++)
        ;
    for (j = i; j < c->nr && c->r[j].first <= last + 1; j++)
        ;
    if (i == j) {
        if (c->nr == IOPORT_CAPS_MAX_RANGES)
            return -ENOMEM;
        memmove(&c->r[i + 1], &c->r[i], (c->nr - i) * sizeof(c->r[0]));
        c->r[i].first = (uint16_t)first;
        c->r[i].last = (uint16_t)last;
        c->nr++;
        return 0;
    }
    c->r[i].first = (uint16_t)MIN(first, (unsigned int)c->r[i].first);
    c->r[i].last = (uint16_t)MAX(last, (unsigned int)c->r[j - 1].last);
    memmove(&c->r[i + 1], &c->r[j], (c->nr - j) * sizeof(c->r[0]));
    c->nr -= j - i - 1;
    return 0;
}

int ioport_caps_remove(struct ioport_caps *c, unsigned int first, unsigned int last)
{
    unsigned int i = 0;

    if (!range_args_ok(first, last))
        return -EINVAL;
    while (i < c->nr) {
        struct ioport_range *r = &c->r[i];

        if (r->last < first || r->first > last) {
            i++;
            continue;
        }
        if (r->first < first && r->last > last) {
            /* The hole is inside this range: split it in two. */
            if (c->nr == IOPORT_CAPS_MAX_RANGES)
                return -ENOMEM;
            memmove(&c->r[i + 1], &c->r[i], (c->nr - i) * sizeof(c->r[0]));
            c->nr++;
            c->r[i].last = (uint16_t)(first - 1);
            c->r[i + 1].first = (uint16_t)(last + 1);
            return 0;
        }
        if (r->first < first) {
            r->last = (uint16_t)(first - 1);
            i++;
        } else if (r->last > last) {
            r->first = (uint16_t)(last + 1);
            i++;
        } else {
            memmove(&c->r[i], &c->r[i + 1], (c->nr - i - 1) * sizeof(c->r[0]));
            c->nr--;
        }
    }
    return 0;
}

bool ioport_caps_contains(const struct ioport_caps *c, unsigned int first, unsigned int last)
{
    if (first > last)
        return false;
    /* Ranges never touch, so [first, last] must lie inside a single one. */
    for (unsigned int i = 0; i < c->nr; i++) {
        if (c->r[i].first <= first && last <= c->r[i].last)
            return true;
    }
    return false;
}

bool ioport_caps_empty(const struct ioport_caps *c)
{
    return c->nr == 0;
}

int ioport_caps_init_hardware_domain(struct ioport_caps *c)
{
    int rc;

    ioport_caps_clear(c);
    rc = ioport_caps_add(c, 0, IOPORT_MAX);
    for (unsigned int i = 0; !rc && i < iocap_nr_hypervisor_ports; i++)
        rc = ioport_caps_remove(c, iocap_hypervisor_ports[i].first, iocap_hypervisor_ports[i].last);
    return rc;
}

/* ---- The checks ---- */

bool iopl_ok(unsigned int iopl, bool kernel_mode, bool architectural_iopl)
{
    unsigned int cpl = kernel_mode ? (architectural_iopl ? 0 : 1) : 3;

    return cpl <= iopl;
}

bool iobitmap_ok(const uint8_t bitmap[2], unsigned int nr_ports, unsigned int port,
                 unsigned int bytes)
{
    unsigned int mask = bitmap[0] | (unsigned int)bitmap[1] << 8;

    if (port + bytes > nr_ports)
        return false;
    return (mask & (((1u << bytes) - 1) << (port & 7))) == 0;
}

bool admin_io_okay(const struct ioport_caps *c, unsigned int port, unsigned int bytes)
{
    if (port == PCI_CF8 && bytes == 4)
        return false;
    if (port <= RTC_PORT1 && port + bytes > RTC_PORT0)
        return false;
    return ioport_caps_contains(c, port, port + bytes - 1);
}

/* ---- Per domain ---- */

struct ioport_caps *iocap_domain_caps(struct domain *d)
{
    struct ioport_caps *c = &d->ioport_caps;

    if (!c->initialised) {
        /* A failure here would be a too-small IOPORT_CAPS_MAX_RANGES: the set stays as
           far as it got, never larger than intended. */
        if (d->is_privileged)
            (void)ioport_caps_init_hardware_domain(c);
        else
            ioport_caps_clear(c);
        c->initialised = true;
    }
    return c;
}

int ioports_permit_access(struct domain *d, unsigned int first, unsigned int last)
{
    struct ioport_caps *c = iocap_domain_caps(d);
    struct ioport_caps tmp = *c;
    int rc = ioport_caps_add(&tmp, first, last);

    for (unsigned int i = 0; !rc && i < iocap_nr_hypervisor_ports; i++)
        rc = ioport_caps_remove(&tmp, iocap_hypervisor_ports[i].first,
                                iocap_hypervisor_ports[i].last);
    if (!rc)
        *c = tmp;
    return rc;
}

int ioports_deny_access(struct domain *d, unsigned int first, unsigned int last)
{
    return ioport_caps_remove(iocap_domain_caps(d), first, last);
}

bool ioports_access_permitted(struct domain *d, unsigned int first, unsigned int last)
{
    return ioport_caps_contains(iocap_domain_caps(d), first, last);
}

bool cache_flush_permitted(struct domain *d)
{
    return !ioport_caps_empty(iocap_domain_caps(d));
}

/* ---- physdev_op ---- */

/*
 * The interrupt commands (PHYSDEVOP_map_pirq, eoi, ...) live in arch irq.c (issue 9); this weak
 * default keeps hosts without it (the unit tests) at -ENOSYS.
 */
__attribute__((weak)) long physdev_irq_op(int cmd, unsigned long arg)
{
    (void)cmd, (void)arg;
    return -ENOSYS;
}

/* Xen's IOBMP_BYTES: a full I/O bitmap, one bit per port. */
#define IOBMP_BYTES ((IOPORT_MAX + 1) / 8)

long do_physdev_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                   unsigned long a5)
{
    struct vcpu *v = current;

    (void)a3, (void)a4, (void)a5;
    /* The command is an int in Xen's prototype: high bits are ignored. */
    switch ((int)cmd) {
    case PHYSDEVOP_set_iopl: {
        struct physdev_set_iopl s;

        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if (s.iopl > 3)
            return -EINVAL;
        v->iopl = s.iopl;
        return 0;
    }
    case PHYSDEVOP_set_iobitmap: {
        struct physdev_set_iobitmap s;
        uint64_t bitmap;

        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        bitmap = (uint64_t)(uintptr_t)s.bitmap.p;
        if (!guest_range_ok(bitmap, IOBMP_BYTES) || s.nr_ports > IOPORT_MAX + 1)
            return -EINVAL;
        v->iobmp = bitmap;
        v->iobmp_limit = s.nr_ports;
        return 0;
    }
    default:
        return physdev_irq_op((int)cmd, arg); /* issue 9: pirqs, GSIs, PCI devices */
    }
}
