/*
 * probe_gdt: fidelity probe for the guest descriptor tables, HYPERVISOR_set_gdt and
 * HYPERVISOR_update_descriptor (xen.h; Xen 4.17's arch/x86/pv/descriptor-tables.c), run as
 * dom0 on Xen 4.17 and on mica (tests/system/compare-probe.sh).
 *
 * It checks set_gdt's arguments and frames (too many entries, an unreadable list, frames
 * that are writable, page tables, not the domain's, or hold a refused descriptor), installs
 * a GDT and loads a selector from it, and has update_descriptor write each kind of
 * descriptor: code and data (DPL raised to 3), not present, call gates (DPL moved into the
 * target's RPL), and the refused system descriptors (LDT, TSS, interrupt and trap gates).
 * Every descriptor written is read back through the guest's read-only mapping.
 *
 * With "failsafe" on its command line it then leaves a selector of its GDT in %ds, makes
 * that descriptor not present with update_descriptor and yields: when the hypervisor
 * switches to another domain and back it cannot reload %ds and must enter the failsafe
 * callback, which prints the saved selectors. That needs a second domain (mica:
 * domu_copies=1); on Xen as a lone dom0 no switch happens and the probe says the callback
 * was not reached. The copy (not privileged) installs a GDT of its own with a present
 * descriptor at the same selector, loads it into %ds, yields 20 times, prints %ds (still its
 * selector: each vCPU's GDT is switched with it) and powers off, so its GDT frames are
 * released by the domain's teardown while dom0 goes on.
 */
#define PROBE_NAME "probe_gdt"
#include "probe.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/cmdline.h>
#include <xen/sched.h>

/* GDT frames: in .bss, so mapped writable at first by the initial mapping. */
static uint64_t frame[3][512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t frame_list[FIRST_RESERVED_GDT_PAGE];

#define DESC_DATA_DPL0   0x00cf92000000ffffUL /* flat 32-bit data, DPL 0 */
#define DESC_DATA_DPL1   0x00cfb2000000ffffUL
#define DESC_DATA_DPL3   0x00cff2000000ffffUL
#define DESC_CODE64_DPL0 0x00af9a000000ffffUL
#define DESC_CONF64_DPL0 0x00af9e000000ffffUL /* conforming 64-bit code */
#define DESC_NP_TSS      0x0000090000001234UL /* a TSS, not present */
#define DESC_LDT         0x0000820000000fffUL
#define DESC_TSS_AVAIL   0x0000890000000067UL
#define DESC_TSS_BUSY    0x00008b0000000067UL
#define DESC_TSS16       0x0000810000000067UL
#define DESC_SYS_TYPE0   0x0000800000000000UL /* present, type 0: upper half of a gate */
#define DESC_RESERVED_D  0x00008d0000000000UL /* reserved system type 13 */

/* A 64-bit call, interrupt or trap gate: type, DPL, target selector, offset bits 0-31. */
static uint64_t gate(unsigned int type, unsigned int dpl, uint16_t sel, uint32_t off)
{
    return ((uint64_t)(off & 0xffff0000) << 32) | (1UL << 47) | ((uint64_t)dpl << 45) |
           ((uint64_t)type << 40) | ((uint64_t)sel << 16) | (off & 0xffff);
}

static unsigned long va_mfn(const void *va)
{
    return probe_pfn_to_mfn(((unsigned long)va - PROBE_VIRT_BASE) >> PAGE_SHIFT);
}

static unsigned long va_maddr(const void *va)
{
    return (va_mfn(va) << PAGE_SHIFT) | ((unsigned long)va & (PAGE_SIZE - 1));
}

static long map_page(const void *va, bool writable)
{
    uint64_t pte = (va_mfn(va) << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;

    if (writable)
        pte |= _PAGE_RW | _PAGE_DIRTY;
    return HYPERVISOR_update_va_mapping((unsigned long)va, pte, UVMF_INVLPG);
}

static long set_gdt(const void *list, unsigned long entries)
{
    return hypercall2(__HYPERVISOR_set_gdt, (unsigned long)list, entries);
}

static long update_descriptor(unsigned long maddr, uint64_t desc)
{
    return hypercall2(__HYPERVISOR_update_descriptor, maddr, desc);
}

/* Write @desc at frame[f][i] with update_descriptor, print the result and what is there. */
static void upd(const char *what, unsigned int f, unsigned int i, uint64_t desc)
{
    long rc = update_descriptor(va_maddr(&frame[f][i]), desc);

    P("update_descriptor(%s 0x%016lx) = %s, reads 0x%016lx", what, desc, rc_str(rc), frame[f][i]);
}

static uint16_t read_ds(void)
{
    uint16_t sel;

    __asm__ volatile("mov %%ds, %0" : "=r"(sel));
    return sel;
}

static void load_ds(uint16_t sel)
{
    __asm__ volatile("mov %0, %%ds" : : "r"((uint32_t)sel) : "memory");
}

static void set_gdt_checks(void)
{
    const unsigned long l4_mfn = va_mfn((const void *)start_info->pt_base);

    P("set_gdt(list, 7169 entries) = %s", rc_str(set_gdt(frame_list, 7169)));
    P("set_gdt(NULL, 0 entries) = %s", rc_str(set_gdt(NULL, 0)));
    P("set_gdt(NULL, 1 entry) = %s", rc_str(set_gdt(NULL, 1)));
    P("set_gdt(hypervisor address, 1 entry) = %s",
      rc_str(set_gdt((const void *)HYPERVISOR_VIRT_START, 1)));

    frame_list[0] = va_mfn(frame[0]);
    P("set_gdt([writable frame], 512) = %s", rc_str(set_gdt(frame_list, 512)));
    frame_list[0] = l4_mfn;
    P("set_gdt([its L4 table], 512) = %s", rc_str(set_gdt(frame_list, 512)));
    frame_list[0] = start_info->shared_info >> PAGE_SHIFT;
    P("set_gdt([shared_info frame], 512) = %s", rc_str(set_gdt(frame_list, 512)));
    frame_list[0] = 0x7ffffffUL;
    P("set_gdt([mfn 0x7ffffff, no RAM], 512) = %s", rc_str(set_gdt(frame_list, 512)));
}

/* A frame with a refused descriptor does not validate; fixed with update_descriptor it does. */
static void gdt_with_bad_descriptor(void)
{
    frame[0][1] = DESC_DATA_DPL0;
    frame[0][2] = DESC_CODE64_DPL0;
    frame[0][3] = DESC_LDT;
    P("update_va_mapping(frame 0 read-only) = %s", rc_str(map_page(frame[0], false)));
    frame_list[0] = va_mfn(frame[0]);
    P("set_gdt([frame 0 with an LDT descriptor at 3], 512) = %s", rc_str(set_gdt(frame_list, 512)));
    P("frame 0 after the refused set_gdt: [1] 0x%016lx [2] 0x%016lx [3] 0x%016lx", frame[0][1],
      frame[0][2], frame[0][3]);
    upd("fix [3]: zero", 0, 3, 0);
    P("set_gdt([frame 0], 512) = %s", rc_str(set_gdt(frame_list, 512)));
    P("frame 0 in the GDT: [1] 0x%016lx [2] 0x%016lx", frame[0][1], frame[0][2]);

    load_ds(0x0b);
    P("mov 0x000b to %%ds: %%ds = 0x%04x", read_ds());
    load_ds(0);

    P("update_va_mapping(frame 0 writable, in the GDT) = %s", rc_str(map_page(frame[0], true)));
}

static void descriptor_checks(void)
{
    long rc;

    rc = update_descriptor(va_maddr(&frame[0][4]) + 4, DESC_DATA_DPL3);
    P("update_descriptor(maddr + 4, data) = %s", rc_str(rc));
    upd("data DPL 0", 0, 4, DESC_DATA_DPL0);
    upd("data DPL 1", 0, 5, DESC_DATA_DPL1);
    upd("data DPL 3", 0, 6, DESC_DATA_DPL3);
    upd("code64 DPL 0", 0, 7, DESC_CODE64_DPL0);
    upd("conforming code64 DPL 0", 0, 8, DESC_CONF64_DPL0);
    upd("not-present TSS", 0, 9, DESC_NP_TSS);
    upd("system type 0", 0, 10, DESC_SYS_TYPE0);
    upd("LDT", 0, 11, DESC_LDT);
    upd("available TSS", 0, 11, DESC_TSS_AVAIL);
    upd("busy TSS", 0, 11, DESC_TSS_BUSY);
    upd("16-bit TSS", 0, 11, DESC_TSS16);
    upd("reserved type 13", 0, 11, DESC_RESERVED_D);
    upd("interrupt gate", 0, 11, gate(14, 3, 0x0010, 0x1000));
    upd("trap gate", 0, 11, gate(15, 3, 0x0010, 0x1000));
    upd("16-bit call gate", 0, 11, gate(4, 3, 0x0010, 0x1000));
    upd("call gate DPL 3 -> 0x0010", 0, 12, gate(12, 3, 0x0010, 0x12345678));
    upd("call gate DPL 0 -> 0x0010", 0, 14, gate(12, 0, 0x0010, 0x1000));
    upd("call gate -> FLAT_KERNEL_CS", 0, 16, gate(12, 3, FLAT_KERNEL_CS, 0x1000));
    upd("call gate -> LDT 0xe00c", 0, 18, gate(12, 3, 0xe00c, 0x1000));
    upd("call gate -> 0xdff8", 0, 20, gate(12, 3, 0xdff8, 0x1000));
    upd("call gate -> 0xe008 (hypervisor CS)", 0, 22, gate(12, 3, 0xe008, 0x1000));
    upd("call gate -> 0xe030", 0, 22, gate(12, 3, 0xe030, 0x1000));
    upd("call gate, 1 parameter", 0, 22, gate(12, 3, 0x0010, 0x1000) | (1UL << 32));
    upd("call gate, reserved bit 7", 0, 22, gate(12, 3, 0x0010, 0x1000) | (1UL << 39));
    upd("zero", 0, 4, 0);

    /* Frames outside any GDT. */
    upd("data DPL 0 into a writable frame", 1, 7, DESC_DATA_DPL0);
    rc = update_descriptor(va_maddr((const void *)start_info->pt_base), DESC_DATA_DPL3);
    P("update_descriptor(into its L4 table) = %s", rc_str(rc));
    P("update_descriptor(maddr 1 TiB) = %s", rc_str(update_descriptor(1UL << 40, 0)));
    P("update_descriptor(maddr 0) = %s", rc_str(update_descriptor(0, 0)));
    P("update_descriptor(maddr ~7) = %s", rc_str(update_descriptor(~7UL, 0)));
}

static void set_gdt_frames(void)
{
    P("update_va_mapping(frame 2 read-only) = %s", rc_str(map_page(frame[2], false)));
    frame_list[0] = va_mfn(frame[0]);
    frame_list[1] = va_mfn(frame[2]);
    P("set_gdt([frame 0, frame 2], 1024) = %s", rc_str(set_gdt(frame_list, 1024)));
    P("update_va_mapping(frame 2 writable, in the GDT) = %s", rc_str(map_page(frame[2], true)));
    for (unsigned int i = 0; i < FIRST_RESERVED_GDT_PAGE; i++)
        frame_list[i] = va_mfn(frame[0]);
    P("set_gdt([frame 0 x 14], 7168) = %s", rc_str(set_gdt(frame_list, 7168)));
    P("update_va_mapping(frame 2 writable, out of the GDT) = %s", rc_str(map_page(frame[2], true)));
    P("set_gdt([frame 0], 1 | 1 << 32) = %s", rc_str(set_gdt(frame_list, 1 | (1UL << 32))));
    load_ds(0x0b);
    P("mov 0x000b to %%ds: %%ds = 0x%04x", read_ds());
    load_ds(0);
    P("set_gdt(NULL, 0) = %s", rc_str(set_gdt(NULL, 0)));
    P("update_va_mapping(frame 0 writable, out of the GDT) = %s", rc_str(map_page(frame[0], true)));
}

/* ---- The failsafe callback (xen.h CALLBACKTYPE_failsafe; frame as in Xen's
   create_bounce_frame: rcx, r11, ds, es, fs, gs, rip, cs, rflags, rsp, ss). ---- */

void failsafe_c(const uint64_t *f);
__asm__(".pushsection .text\n"
        ".globl failsafe_entry\n"
        "failsafe_entry:\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call failsafe_c\n"
        "    ud2\n"
        ".popsection");
extern const char failsafe_entry[];

void failsafe_c(const uint64_t *f)
{
    P("failsafe callback: ds 0x%04lx es 0x%04lx fs 0x%04lx gs 0x%04lx, %%ds now 0x%04x",
      f[2] & 0xffff, f[3] & 0xffff, f[4] & 0xffff, f[5] & 0xffff, read_ds());
    /* Time for the other domain to finish. */
    for (unsigned int i = 0; i < 100; i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    probe_done();
    exit(0);
}

static void failsafe_test(void)
{
    const unsigned int yields = 200;
    long rc;

    rc = hypercall3(__HYPERVISOR_set_callbacks, 0, (unsigned long)failsafe_entry, 0);
    P("set_callbacks(failsafe) = %s", rc_str(rc));
    P("update_va_mapping(frame 0 read-only) = %s", rc_str(map_page(frame[0], false)));
    frame_list[0] = va_mfn(frame[0]);
    P("set_gdt([frame 0], 512) = %s", rc_str(set_gdt(frame_list, 512)));
    upd("data DPL 3 at [1]", 0, 1, DESC_DATA_DPL3);
    load_ds(0x0b);
    upd("data DPL 3 not present at [1]", 0, 1, DESC_DATA_DPL3 & ~(1UL << 47));
    P("%%ds = 0x%04x, yielding", read_ds());
    for (unsigned int i = 0; i < yields; i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    P("failsafe callback not reached after %u yields, %%ds = 0x%04x", yields, read_ds());
}

/* The second domain of the failsafe test: its own GDT, the same selector, but present. */
static void domu_gdt(void)
{
    long rc;

    rc = hypercall3(__HYPERVISOR_set_callbacks, 0, (unsigned long)failsafe_entry, 0);
    P("domU: set_callbacks(failsafe) = %s", rc_str(rc));
    frame[0][1] = DESC_DATA_DPL3;
    P("domU: update_va_mapping(frame 0 read-only) = %s", rc_str(map_page(frame[0], false)));
    frame_list[0] = va_mfn(frame[0]);
    P("domU: set_gdt([frame 0], 512) = %s", rc_str(set_gdt(frame_list, 512)));
    load_ds(0x0b);
    for (unsigned int i = 0; i < 20; i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    P("domU: %%ds = 0x%04x after 20 yields", read_ds());
    exit(0);
}

int main(void)
{
    char arg[8];
    const bool failsafe = cmdline_get("failsafe", arg, sizeof(arg)) >= 0;

    if (!(start_info->flags & SIF_PRIVILEGED)) {
        if (failsafe)
            domu_gdt();
        for (;;)
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    set_gdt_checks();
    gdt_with_bad_descriptor();
    descriptor_checks();
    set_gdt_frames();
    if (failsafe)
        failsafe_test();
    probe_done();
    return 0;
}
