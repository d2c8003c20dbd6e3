/*
 * The GDT area and HYPERVISOR_set_gdt (xen.h; Xen 4.17's arch/x86/pv/descriptor-tables.c
 * do_set_gdt, and its per-vCPU GDT mapping in arch/x86/domain.c). The descriptor rules and
 * the frames' references are portable (common/descriptor.c); this file makes the CPU see them.
 *
 *   GDT_VIRT_START + 0 ... 13 pages   the running vCPU's GDT frames, read-write for the
 *                                     hypervisor only; unused slots a read-only zero page
 *   GDT_VIRT_START + 14 pages         hv_gdt_page: the reserved selectors 0xe000 onwards
 *
 * The guest frames are mapped writable, as Xen maps them: the CPU sets the accessed bit of
 * a descriptor when it loads it, an implicit supervisor write. The guest itself cannot write
 * them: a PGT_seg_desc_page frame has no writable guest mapping.
 */
#include <arch/cpu.h>
#include <arch/desc.h>
#include <arch/gdt.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <mica/descriptor.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>

#define GDT_GUEST_PTE (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX)
#define GDT_ZERO_PTE  (_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_NX)
#define GDT_HV_PTE    (GDT_GUEST_PTE | _PAGE_GLOBAL)

struct gdt_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;

/* All-zero descriptors (not present) for the slots a vCPU's GDT does not cover. */
static uint8_t gdt_zero_page[PAGE_SIZE] __aligned(PAGE_SIZE) __section(".bss.page_aligned");

/* The L1 entries of the guest slots of the area. */
static uint64_t *gdt_l1e[FIRST_RESERVED_GDT_PAGE];

static vaddr_t gdt_slot_va(unsigned int slot)
{
    return GDT_VIRT_START + (vaddr_t)slot * PAGE_SIZE;
}

void gdt_area_init(void)
{
    const struct gdt_ptr gdtr = {GDT_ENTRIES_TOTAL * 8 - 1, GDT_VIRT_START};

    for (unsigned int i = 0; i < FIRST_RESERVED_GDT_PAGE; i++) {
        gdt_l1e[i] = paging_l1e(gdt_slot_va(i));
        *gdt_l1e[i] = virt_to_maddr(gdt_zero_page) | GDT_ZERO_PTE;
    }
    *paging_l1e(gdt_slot_va(FIRST_RESERVED_GDT_PAGE)) = virt_to_maddr(hv_gdt_page) | GDT_HV_PTE;
    flush_tlb_all();
    /* The loaded CS, SS and TR keep their cached descriptors: nothing else to reload. */
    __asm__ volatile("lgdt %0" : : "m"(gdtr));
}

void gdt_load(const struct vcpu *v)
{
    const unsigned int n = v ? vcpu_gdt_frames(v) : 0;

    for (unsigned int i = 0; i < FIRST_RESERVED_GDT_PAGE; i++) {
        uint64_t pte = i < n ? (v->gdt_frames[i] << PAGE_SHIFT) | GDT_GUEST_PTE
                             : virt_to_maddr(gdt_zero_page) | GDT_ZERO_PTE;

        if (*gdt_l1e[i] == pte)
            continue;
        *gdt_l1e[i] = pte;
        invlpg((const void *)gdt_slot_va(i));
    }
}

long do_set_gdt(unsigned long frame_list, unsigned long entries_arg, unsigned long a3,
                unsigned long a4, unsigned long a5)
{
    const unsigned int entries = (unsigned int)entries_arg; /* an unsigned int in Xen's ABI */
    uint64_t frames[FIRST_RESERVED_GDT_PAGE];
    unsigned int n;
    int rc;

    (void)a3;
    (void)a4;
    (void)a5;
    /* Checked again by pv_set_gdt(); here it bounds the copy. */
    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    n = (entries + GDT_DESCS_PER_FRAME - 1) / GDT_DESCS_PER_FRAME;
    /* Nothing is read for 0 entries, so any list address will do then (as on Xen). */
    if (n && copy_from_guest(frames, frame_list, n * sizeof(frames[0])))
        return -EFAULT;
    rc = pv_set_gdt(current, frames, entries);
    if (rc)
        return rc;
    gdt_load(current);
    return 0;
}
