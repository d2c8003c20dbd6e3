/*
 * HYPERVISOR_vm_assist (xen.h VMASST_*). mica accepts the assists that need nothing from it
 * on x86-64 or that it implements, and refuses the rest with -EINVAL (the code Xen gives for
 * a type it does not offer) rather than accept and ignore them; docs/abi.md lists them.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/hypercall.h>

/* 4gb_segments(_notify) and pae_extended_cr3 only matter to 32-bit guests; m2p_strict is
   recorded for the page-table work; writable_pagetables turns on the emulation of stores to
   the guest's read-only L1 tables (ptwr.c, <mica/ptwr.h>); architectural_iopl makes the
   virtual IOPL follow RFLAGS.IOPL of the iret hypercall (emul_priv_op.c, pv_traps.c). */
#define MICA_VMASST_VALID                                                                          \
    ((1UL << VMASST_TYPE_4gb_segments) | (1UL << VMASST_TYPE_4gb_segments_notify) |                \
     (1UL << VMASST_TYPE_writable_pagetables) | (1UL << VMASST_TYPE_pae_extended_cr3) |            \
     (1UL << VMASST_TYPE_architectural_iopl) | (1UL << VMASST_TYPE_m2p_strict))

long do_vm_assist(unsigned long cmd, unsigned long type, unsigned long a3, unsigned long a4,
                  unsigned long a5)
{
    struct domain *d = current->domain;

    /* Both arguments are unsigned int in the ABI (Xen's hypercall-defs). */
    cmd = (unsigned int)cmd;
    type = (unsigned int)type;
    if (type >= 64 || !((1UL << type) & MICA_VMASST_VALID))
        return -EINVAL;
    switch (cmd) {
    case VMASST_CMD_enable:
        d->vm_assist |= 1UL << type;
        return 0;
    case VMASST_CMD_disable:
        d->vm_assist &= ~(1UL << type);
        return 0;
    default:
        return -ENOSYS;
    }
}
