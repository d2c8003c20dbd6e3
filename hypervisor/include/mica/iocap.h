/*
 * I/O port permissions of domains and the virtual IOPL of PV vCPUs.
 *
 * Two independent checks decide whether a guest's IN/OUT/INS/OUTS, trapped with #GP and
 * emulated (emul_priv_op.c), may go ahead; they are Xen 4.17's (xen/arch/x86/pv/
 * emul-priv-op.c):
 *
 *  - The guest's own check (Xen's guest_io_okay()): what the guest kernel allowed itself.
 *    Either the vCPU's virtual IOPL (PHYSDEVOP_set_iopl) covers the privilege level the
 *    guest runs at, or the guest's virtual I/O bitmap (PHYSDEVOP_set_iobitmap) clears the
 *    port's bits. A 64-bit PV guest kernel counts as ring 1 (ring 0 with
 *    VMASST_TYPE_architectural_iopl), guest user mode as ring 3. Failing it raises #GP.
 *  - The administrator's grant (Xen's admin_io_okay() over d->arch.ioport_caps): the ports
 *    the domain may touch on the real hardware. A port that passes the guest's check but not
 *    this one is not an error: a read gives all-ones, a write is dropped (mica does not
 *    emulate the devices Xen emulates there: PIT, RTC, PCI configuration; docs/abi.md).
 *
 * The hardware domain (dom0) gets what Xen's dom0_setup_permissions() gives it: every port,
 * minus the ones the hypervisor keeps (iocap_hypervisor_ports[]). Other domains get none
 * until a port range is given to them. Ports the hypervisor keeps are never given to any
 * domain, whatever ioports_permit_access() is asked.
 *
 * The range set is portable (host unit tests: tests/unit/test_iocap.c).
 */
#ifndef MICA_IOCAP_H
#define MICA_IOCAP_H

#include <mica/types.h>

struct domain;

/* Highest I/O port number (ports are 16-bit: SDM Vol 1 §19.2). */
#define IOPORT_MAX 0xffffu

/* Capacity of a domain's port range set. dom0's set needs about 12 ranges. */
#define IOPORT_CAPS_MAX_RANGES 32

/** An inclusive range of I/O ports [first, last]. */
struct ioport_range {
    uint16_t first, last;
};

/**
 * A set of I/O ports: sorted, disjoint, non-adjacent inclusive ranges (Xen's rangeset, of
 * fixed capacity). Zero-initialised it is empty and not yet initialised.
 */
struct ioport_caps {
    bool initialised; /* set up for its domain (iocap_domain_caps()) */
    unsigned int nr;  /* ranges in use */
    struct ioport_range r[IOPORT_CAPS_MAX_RANGES];
};

/** The port ranges mica itself drives; no domain is ever given them. */
extern const struct ioport_range iocap_hypervisor_ports[];
extern const unsigned int iocap_nr_hypervisor_ports;

/* ---- The range set (pure; no domain involved) ---- */

/** Empty @c. */
void ioport_caps_clear(struct ioport_caps *c);

/**
 * Add ports [@first, @last] to @c, merging with overlapping or adjacent ranges.
 * Returns 0; -EINVAL if @first > @last or @last > IOPORT_MAX; -ENOMEM if the set is full
 * (nothing changed).
 */
int ioport_caps_add(struct ioport_caps *c, unsigned int first, unsigned int last);

/**
 * Remove ports [@first, @last] from @c (removing ports not in it is fine). Returns 0;
 * -EINVAL as ioport_caps_add(); -ENOMEM if a range would have to be split and the set is
 * full (nothing changed).
 */
int ioport_caps_remove(struct ioport_caps *c, unsigned int first, unsigned int last);

/** True if every port of [@first, @last] is in @c (false if @first > @last). */
bool ioport_caps_contains(const struct ioport_caps *c, unsigned int first, unsigned int last);

/** True if @c holds no port. */
bool ioport_caps_empty(const struct ioport_caps *c);

/**
 * Fill @c with the hardware domain's default grant: ports 0-0xffff minus
 * iocap_hypervisor_ports[] (Xen's dom0_setup_permissions() and the serial driver's
 * ioports_deny_access(); see docs/abi-priv-ops.md). Returns 0, or -ENOMEM.
 */
int ioport_caps_init_hardware_domain(struct ioport_caps *c);

/* ---- The two checks ---- */

/**
 * The virtual-IOPL half of Xen's guest_io_okay() (iopl_ok()): true if virtual IOPL @iopl
 * (0-3) allows I/O, CLI and STI at the privilege the guest runs at. @kernel_mode: the
 * guest kernel (ring 1 for this check, or ring 0 if @architectural_iopl, i.e.
 * VMASST_TYPE_architectural_iopl is on); otherwise guest user mode (ring 3).
 */
bool iopl_ok(unsigned int iopl, bool kernel_mode, bool architectural_iopl);

/**
 * The virtual-I/O-bitmap half of Xen's guest_io_okay(): true if the @bytes (1, 2 or 4)
 * ports from @port are all allowed by @bitmap, the two bitmap bytes covering them (byte
 * @port / 8 and the next one, as Xen reads them; a byte that could not be read from the
 * guest is passed as 0xff), for a bitmap of @nr_ports ports (PHYSDEVOP_set_iobitmap).
 * A clear bit allows the port (SDM Vol 1 §19.5.2).
 */
bool iobitmap_ok(const uint8_t bitmap[2], unsigned int nr_ports, unsigned int port,
                 unsigned int bytes);

/**
 * The administrator's check (Xen's admin_io_okay()): true if a @bytes-wide access at @port
 * may go to the hardware for a domain granted @c. Besides @c, a 4-byte access at 0xcf8
 * (PCI CONFIG_ADDRESS) and any access touching the RTC/CMOS ports 0x70-0x71 are never
 * direct (Xen's rule).
 */
bool admin_io_okay(const struct ioport_caps *c, unsigned int port, unsigned int bytes);

/* ---- Per domain (Xen's names, xen/include/xen/iocap.h) ---- */

/**
 * @d's port set, set up on first use: the hardware domain's default grant if
 * d->is_privileged, else empty (so domain_create() needs no call).
 */
struct ioport_caps *iocap_domain_caps(struct domain *d);

/**
 * Give @d ports [@first, @last], minus the hypervisor's own ports. Returns 0, -EINVAL or
 * -ENOMEM (ioport_caps_add()).
 */
int ioports_permit_access(struct domain *d, unsigned int first, unsigned int last);

/** Take ports [@first, @last] from @d. Returns 0, -EINVAL or -ENOMEM. */
int ioports_deny_access(struct domain *d, unsigned int first, unsigned int last);

/** True if @d was given every port of [@first, @last]. */
bool ioports_access_permitted(struct domain *d, unsigned int first, unsigned int last);

/**
 * True if @d may flush the caches (WBINVD really executed): it has I/O ports or MMIO
 * (Xen's cache_flush_permitted(); mica has no MMIO grants yet, so ports only).
 */
bool cache_flush_permitted(struct domain *d);

/**
 * physdev_op hypercall (physdev.h): PHYSDEVOP_set_iopl and PHYSDEVOP_set_iobitmap as Xen
 * 4.17 does them; every other command -ENOSYS. Errors: -EFAULT (argument unreadable),
 * -EINVAL (iopl > 3; bitmap not in guest space or nr_ports > 65536).
 */
long do_physdev_op(unsigned long cmd, unsigned long arg, unsigned long a3, unsigned long a4,
                   unsigned long a5);

#endif /* MICA_IOCAP_H */
