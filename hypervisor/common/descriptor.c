/*
 * Guest segment descriptors: validation, a vCPU's GDT frames and update_descriptor. The
 * rules and where they come from are at the top of <mica/descriptor.h>.
 *
 * Portable: frames are reached only through map_frame() and the typed-frame functions, so
 * this file also runs in the host unit tests (tests/unit/test_descriptor.c, test_mm.c).
 */
#include <mica/descriptor.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/hypercall.h>
#include <mica/page_types.h>

/* Bits 0-7 of a call gate's high word: the parameter count and reserved bits; a 64-bit
   gate has neither (SDM Vol 3A figure 5-9), and Xen refuses a 64-bit PV gate with any. */
#define CALL_GATE_RESERVED 0xffU

/*
 * True if a call gate may target code selector @sel: a guest GDT entry, any LDT selector
 * (the guest owns its LDT), or the flat kernel code segment; never one of the hypervisor's
 * own entries, whose RPL the CPU would ignore on a gate (Xen's guest_gate_selector_okay).
 */
static bool gate_selector_okay(uint16_t sel)
{
    return (sel >> 3) < FIRST_RESERVED_GDT_ENTRY || sel == FLAT_KERNEL_CS || (sel & 4);
}

bool check_descriptor(uint64_t *desc)
{
    uint32_t lo = (uint32_t)*desc, hi = (uint32_t)(*desc >> 32);
    uint16_t target;
    const unsigned int dpl = 3; /* the guest kernel's ring (Xen's GUEST_KERNEL_RPL) */

    /* Loading a not-present descriptor always faults, whatever else it says. */
    if (!(hi & SEGDESC_P))
        return true;

    /* The guest kernel runs in ring 3: nothing of the guest's may be more privileged. */
    hi = (hi & ~SEGDESC_DPL) | (dpl << SEGDESC_DPL_SHIFT);

    if (hi & SEGDESC_S) {
        /* Code and data: in 64-bit mode base and limit do not protect anything. */
        *desc = ((uint64_t)hi << 32) | lo;
        return true;
    }

    /* Type 0 is invalid to the CPU, and is what the upper half of a call gate looks like. */
    if ((hi & SEGDESC_TYPE) == 0)
        return true;

    /* Of the system descriptors, only call gates are allowed: no LDT, TSS or IDT gates. */
    if ((hi & SEGDESC_TYPE) != SEGDESC_TYPE_CALL_GATE)
        return false;
    target = (uint16_t)(lo >> 16);
    if (!gate_selector_okay(target))
        return false;
    if (hi & CALL_GATE_RESERVED)
        return false;
    /*
     * A ring-3 kernel cannot tell a gate into itself from a gate used by its own user mode,
     * so every use must trap: DPL 0 makes the far call raise #GP (for emulation), and the
     * gate's DPL (raised to 3 like any guest DPL) is kept in the target selector's RPL, as
     * Xen keeps it.
     */
    hi &= ~SEGDESC_DPL;
    target = (uint16_t)((target & ~3U) | dpl);
    lo = (lo & 0xffffU) | ((uint32_t)target << 16);
    *desc = ((uint64_t)hi << 32) | lo;
    return true;
}

int validate_segdesc_page(mfn_t mfn)
{
    uint64_t *descs = map_frame(mfn);

    for (unsigned int i = 0; i < GDT_DESCS_PER_FRAME; i++) {
        if (!check_descriptor(&descs[i]))
            return -EINVAL;
    }
    return 0;
}

unsigned int vcpu_gdt_frames(const struct vcpu *v)
{
    return (v->gdt_ents + GDT_DESCS_PER_FRAME - 1) / GDT_DESCS_PER_FRAME;
}

void pv_destroy_gdt(struct vcpu *v)
{
    unsigned int n = vcpu_gdt_frames(v);

    for (unsigned int i = 0; i < n; i++) {
        put_page_and_type(v->gdt_frames[i]);
        v->gdt_frames[i] = 0;
    }
    v->gdt_ents = 0;
}

int pv_set_gdt(struct vcpu *v, const uint64_t *frames, unsigned int entries)
{
    unsigned int i, n = (entries + GDT_DESCS_PER_FRAME - 1) / GDT_DESCS_PER_FRAME;

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    /* References on the new frames first: one that is also in the old GDT stays valid. */
    for (i = 0; i < n; i++) {
        if (get_page_and_type(frames[i], v->domain, PGT_seg_desc_page))
            goto fail;
    }
    pv_destroy_gdt(v);
    for (i = 0; i < n; i++)
        v->gdt_frames[i] = frames[i];
    v->gdt_ents = entries;
    return 0;

fail:
    /* Whatever the frame's error (type conflict, refused descriptor), Xen says -EINVAL. */
    while (i-- > 0)
        put_page_and_type(frames[i]);
    return -EINVAL;
}

long do_update_descriptor(unsigned long maddr, unsigned long desc, unsigned long a3,
                          unsigned long a4, unsigned long a5)
{
    struct domain *d = current->domain;
    const mfn_t mfn = (mfn_t)(maddr >> PAGE_SHIFT);
    uint64_t val = desc;
    uint32_t type;

    (void)a3;
    (void)a4;
    (void)a5;
    /* A misaligned write would straddle two descriptors. */
    if ((maddr & (sizeof(val) - 1)) || !check_descriptor(&val))
        return -EINVAL;
    if (!get_page(mfn, d))
        return -EINVAL;
    /*
     * A descriptor frame (in a GDT or not) keeps its type; any other frame must be one the
     * guest could map writable anyway, i.e. not a page table (Xen's rule).
     */
    type = (mfn_to_page(mfn)->type_info & PGT_type_mask) == PGT_seg_desc_page ? PGT_seg_desc_page
                                                                              : PGT_writable_page;
    if (get_page_type(mfn, type)) {
        put_page(mfn);
        return -EINVAL;
    }
    /* One 8-byte store: the CPU may be reading this GDT. */
    *(volatile uint64_t *)((uint8_t *)map_frame(mfn) + (maddr & (PAGE_SIZE - 1))) = val;
    put_page_type(mfn);
    put_page(mfn);
    return 0;
}
