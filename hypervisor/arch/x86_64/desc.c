/* GDT (Xen's PV layout), TSS with IST stacks, and the IDT (SDM Vol 3A §3.4.5, §6.10, §7.7). */
#include <arch/desc.h>
#include <arch/layout.h>
#include <mica/string.h>

/* 64-bit TSS (SDM Vol 3A §7.7, figure 7-11). */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7]; /* IST1..IST7: ist[n - 1] */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;

/* The layout must be exact: the CPU finds the I/O map base at offset 0x66. */
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes (SDM Vol 3A figure 7-11)");

struct idt_entry {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __packed;

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;

/*
 * The hypervisor's GDT page: entries FIRST_RESERVED_GDT_ENTRY onwards (Xen's reserved
 * selectors). The GDT the CPU uses is the GDT area of gdt.c: the running vCPU's own GDT
 * frames (FIRST_RESERVED_GDT_PAGE pages), then this page. Until gdt_area_init() builds that
 * area, GDTR points FIRST_RESERVED_GDT_BYTE before this page, so the reserved selectors are
 * the same (what Xen's load_default_gdt does); no guest selector is loaded before then.
 */
uint64_t hv_gdt_page[GDT_DESCS_PER_PAGE] __aligned(PAGE_SIZE) __section(".bss.page_aligned");
static struct tss64 tss __aligned(64);
static struct idt_entry idt[256] __aligned(16);
static uint8_t ist_stacks[3][IST_STACK_SIZE] __aligned(16);

extern uint8_t cpu0_stack_top[];
extern const uint8_t idt_stubs[]; /* 256 stubs of 16 bytes each (entry.S) */

#define DESC_CODE64_DPL0 0x00af9a000000ffffULL
#define DESC_DATA_DPL0   0x00cf92000000ffffULL
#define DESC_CODE32_DPL0 0x00cf9a000000ffffULL
#define DESC_CODE32_DPL3 0x00cffa000000ffffULL
#define DESC_DATA_DPL3   0x00cff2000000ffffULL
#define DESC_CODE64_DPL3 0x00affa000000ffffULL

/* Index in hv_gdt_page of reserved selector @sel. */
#define HV_GDT_INDEX(sel) (((sel) >> 3) - FIRST_RESERVED_GDT_ENTRY)

static void set_system_desc(uint16_t sel, uint64_t base, uint32_t limit, uint8_t type)
{
    const unsigned int index = HV_GDT_INDEX(sel);

    hv_gdt_page[index] = (limit & 0xffff) | ((base & 0xffffff) << 16) | ((uint64_t)type << 40) |
                         (1ULL << 47) /* present */ | ((uint64_t)((limit >> 16) & 0xf) << 48) |
                         (((base >> 24) & 0xff) << 56);
    hv_gdt_page[index + 1] = base >> 32;
}

static void set_gate(unsigned int vec, uint8_t ist, uint8_t dpl)
{
    uint64_t addr = (uint64_t)(idt_stubs + vec * 16);
    idt[vec] = (struct idt_entry){
        .offset_lo = addr & 0xffff,
        .selector = HYPERVISOR_CS,
        .ist = ist,
        .type_attr = 0x8e | (dpl << 5), /* present, 64-bit interrupt gate */
        .offset_mid = (addr >> 16) & 0xffff,
        .offset_hi = addr >> 32,
    };
}

void cpu_desc_init(void)
{
    struct desc_ptr gdtr = {GDT_ENTRIES_TOTAL * 8 - 1,
                            (uint64_t)hv_gdt_page - FIRST_RESERVED_GDT_BYTE};
    struct desc_ptr idtr = {sizeof(idt) - 1, (uint64_t)idt};

    hv_gdt_page[HV_GDT_INDEX(HYPERVISOR_CS)] = DESC_CODE64_DPL0;
    hv_gdt_page[HV_GDT_INDEX(HYPERVISOR_DS)] = DESC_DATA_DPL0;
    hv_gdt_page[HV_GDT_INDEX(HYPERVISOR_CS32)] = DESC_CODE32_DPL0;
    hv_gdt_page[HV_GDT_INDEX(GUEST_CS32_SEL)] = DESC_CODE32_DPL3;
    hv_gdt_page[HV_GDT_INDEX(GUEST_DS_SEL)] = DESC_DATA_DPL3;
    hv_gdt_page[HV_GDT_INDEX(GUEST_CS64_SEL)] = DESC_CODE64_DPL3;

    tss.rsp[0] = (uint64_t)cpu0_stack_top;
    tss.ist[IST_DF - 1] = (uint64_t)(ist_stacks[0] + IST_STACK_SIZE);
    tss.ist[IST_NMI - 1] = (uint64_t)(ist_stacks[1] + IST_STACK_SIZE);
    tss.ist[IST_MC - 1] = (uint64_t)(ist_stacks[2] + IST_STACK_SIZE);
    /* No I/O bitmap: every port access from ring 3 raises #GP, where mica emulates it. */
    tss.iomap_base = sizeof(tss);
    set_system_desc(TSS_SEL, (uint64_t)&tss, sizeof(tss) - 1, 0x9 /* available TSS */);

    for (unsigned int v = 0; v < 256; v++)
        set_gate(v, 0, 0);
    /* int3 and into from the guest (ring 3) reach their handlers directly, as on Xen;
       every other int $n from ring 3 raises #GP and is checked against the virtual IDT. */
    set_gate(3, 0, 3);
    set_gate(4, 0, 3);
    /* int $0x80 too, as Xen's int80 gate: traps.c turns it into what Xen's slow path gives. */
    set_gate(0x80, 0, 3);
    set_gate(2, IST_NMI, 0);
    set_gate(8, IST_DF, 0);
    set_gate(18, IST_MC, 0);

    __asm__ volatile("lgdt %0" : : "m"(gdtr));
    __asm__ volatile("mov %0, %%ds\n\t"
                     "mov %0, %%es\n\t"
                     "mov %0, %%ss\n\t"
                     "mov %1, %%fs\n\t"
                     "mov %1, %%gs\n\t"
                     "pushq %2\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:"
                     :
                     : "r"(HYPERVISOR_DS), "r"(0), "i"(HYPERVISOR_CS)
                     : "rax", "memory");
    __asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
    __asm__ volatile("lidt %0" : : "m"(idtr));
}
