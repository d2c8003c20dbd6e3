/*
 * probe_ptwr: the writable page-table assist (xen.h VMASST_TYPE_writable_pagetables; Xen's
 * xen/arch/x86/pv/ro-page-fault.c) as dom0 on Xen 4.17 and on mica, compared with
 * tests/system/compare-probe.sh probe_ptwr.
 *
 * The probe's page tables are mapped read-only in its initial mapping. It takes the L1
 * entry that maps a page-aligned "window" in .bss and writes it directly, through that
 * read-only mapping, with each store form a guest kernel uses on PTEs: before the assist is
 * enabled (emulated all the same: Xen 4.17 emulates for the hardware domain whatever the
 * assist says, and the probe runs as dom0), then with it (the window maps another page of
 * the probe, read through it, made writable and written, unmapped, by MOV of 2, 4 and 8
 * bytes, XCHG, CMPXCHG, BTR/BTS, AND/OR), then with entries and stores the assist must
 * refuse (a frame it does not own, its own L1 writable, a store that straddles two
 * entries, stores into its L2 and L4; a failing CMPXCHG with an invalid new entry is no
 * fault, as nothing is stored), and once more after disabling it. A #PF handler records
 * the error code (its U/S bit masked: Xen clears it for guest kernel mode, mica does not
 * yet; see probe_traps) and whether CR2 and RIP point at the store, and resumes after it.
 *
 * As a domU (mica's domu_copies=; dom0 started with "wait" lets it finish), the first store,
 * before the assist is enabled, is a #PF: only the hardware domain has the emulation without
 * the assist.
 *
 * Entries are printed as their flag bits (the frame number differs between the two
 * hypervisors; whether it is the expected frame is printed as yes/no), without _PAGE_GLOBAL
 * (Xen adds it to user mappings, mica does not: docs/abi.md).
 */
#define PROBE_NAME "probe_ptwr"

#include <string.h>

#include <pvguest/cmdline.h>

#include "probe.h"

static uint8_t window[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t target[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t flushpage[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define MAGIC 0x7074777270726f62UL /* "borprwtp" */
#define RO    (_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_DIRTY)
#define RW    (RO | _PAGE_RW)

/* The last #PF: filled in by pf_record() from the bounce frame. */
static volatile struct {
    int hit;
    uint64_t ec, rip, cr2;
} seen;

/* Set before each store: where it is and where to resume after a #PF. */
uint64_t probe_store_rip, probe_resume_rip;

/* Called by trap_pf with the bounce frame (RCX, R11, error code, RIP, CS, RFLAGS, RSP, SS). */
void pf_record(uint64_t *frame)
{
    seen.hit = 1;
    seen.ec = frame[2];
    seen.rip = frame[3];
    frame[3] = probe_resume_rip;
    seen.cr2 = HYPERVISOR_shared_info->vcpu_info[0].arch.cr2;
}

/* The #PF entry: save the caller-saved registers, record, leave through HYPERVISOR_iret. */
__asm__(".pushsection .text\n"
        ".globl trap_pf\n"
        "trap_pf:\n"
        "push %rax; push %rdx; push %rsi; push %rdi; push %r8; push %r9; push %r10; push %rbp\n"
        "lea 64(%rsp), %rdi\n"
        "mov %rsp, %rbp\n"
        "and $-16, %rsp\n"
        "call pf_record\n"
        "mov %rbp, %rsp\n"
        "pop %rbp; pop %r10; pop %r9; pop %r8; pop %rdi; pop %rsi; pop %rdx; pop %rax\n"
        "pop %rcx; pop %r11\n"
        "add $8, %rsp\n" /* the error code */
        "push $0\n"      /* iret_context.flags */
        "jmp hypercall_page + 23*32\n"
        ".popsection\n");
void trap_pf(void);

/*
 * Run the store INSN (operands as in an asm statement, after the colon-separated lists
 * OUT and IN): note its address and resume label, clear the record, execute it.
 */
/* clang-format off */
#define STORE(insn, out, in)                                                                       \
    do {                                                                                           \
        seen.hit = 0;                                                                              \
        __asm__ volatile("lea 0f(%%rip), %%r11\n\t"                                                \
                         "mov %%r11, probe_store_rip(%%rip)\n\t"                                   \
                         "lea 1f(%%rip), %%r11\n\t"                                                \
                         "mov %%r11, probe_resume_rip(%%rip)\n\t"                                  \
                         "0: " insn "\n\t"                                                         \
                         "1:\n\t"                                                                  \
                         : out                                                                     \
                         : in                                                                      \
                         : "r11", "rcx", "memory", "cc");                                          \
    } while (0)
#define ARGS(...) __VA_ARGS__
/* clang-format on */

static uint64_t *entry; /* the window's L1 entry, in the read-only mapping of its L1 */
static unsigned long target_mfn, l1_mfn;

static uint64_t pte_of(unsigned long mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

/* Flags of an entry as printed: everything but the frame number and _PAGE_GLOBAL. */
static unsigned long flags_of(uint64_t e)
{
    return (unsigned long)(e & ~(PTE_FRAME_MASK | _PAGE_GLOBAL));
}

static const char *frame_name(uint64_t e)
{
    unsigned long mfn = (e & PTE_FRAME_MASK) >> PAGE_SHIFT;

    if (!(e & _PAGE_PRESENT))
        return "(not present)";
    if (mfn == target_mfn)
        return "target";
    if (mfn == probe_pfn_to_mfn(((unsigned long)window - PROBE_VIRT_BASE) >> PAGE_SHIFT))
        return "window's own";
    return "other";
}

/* Flush the TLB with a no-op update_va_mapping (mica has no mmuext_op yet). */
static void flush_tlb(void)
{
    HYPERVISOR_update_va_mapping((unsigned long)flushpage, probe_leaf_pte((unsigned long)flushpage),
                                 UVMF_TLB_FLUSH | UVMF_LOCAL);
}

/* One line: what the store did (a #PF or not) and the entry afterwards. */
static void report(const char *what, uint64_t addr)
{
    uint64_t e = *entry;

    if (seen.hit)
        P("%s: #PF error code %#lx (U/S masked), cr2 at the store: %s, rip at the store: %s", what,
          (unsigned long)(seen.ec & ~4UL), seen.cr2 == addr ? "yes" : "no",
          seen.rip == probe_store_rip ? "yes" : "no");
    else
        P("%s: no fault", what);
    P("  entry: frame %s, flags %#lx", frame_name(e), flags_of(e));
}

/* Read the window's first word (a #PF if it is not mapped). */
static void read_window(const char *what)
{
    uint64_t v = 0;

    flush_tlb();
    STORE("mov (%1), %0", ARGS("=r"(v)), ARGS("r"(window)));
    if (seen.hit)
        P("%s: read #PF error code %#lx (U/S masked)", what, (unsigned long)(seen.ec & ~4UL));
    else
        P("%s: read %s", what, v == MAGIC ? "target's magic" : v == 0 ? "0" : "something else");
}

/* Write the window's first word (a #PF unless it is mapped writable). */
static void write_window(const char *what, uint64_t v)
{
    flush_tlb();
    STORE("movq %1, (%0)", , ARGS("r"(window), "r"(v)));
    if (seen.hit)
        P("%s: write #PF error code %#lx (U/S masked)", what, (unsigned long)(seen.ec & ~4UL));
    else
        P("%s: write done, target's first word is %s", what,
          *(volatile uint64_t *)target == v ? "the value written" : "unchanged");
}

static void mov64(const char *what, uint64_t *p, uint64_t v)
{
    STORE("movq %1, (%0)", , ARGS("r"(p), "r"(v)));
    report(what, (uint64_t)p);
}

/* The L1 of the window: walk L4 -> L3 -> L2 through the read-only mappings. */
static unsigned long find_l1(unsigned long va, uint64_t **l2_entry)
{
    uint64_t *t = (uint64_t *)start_info->pt_base;

    for (int level = 4; level >= 2 && t; level--) {
        uint64_t *e = &t[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511];
        unsigned long mfn = (*e & PTE_FRAME_MASK) >> PAGE_SHIFT;

        if (level == 2) {
            *l2_entry = e;
            return mfn;
        }
        t = (uint64_t *)probe_table_va(mfn);
    }
    return 0;
}

static void emulated_stores(void)
{
    uint64_t v, rax;
    uint8_t zf = 0, cf = 0;

    mov64("mov r64: map target read-only", entry, pte_of(target_mfn, RO));
    read_window("  through the window");
    write_window("  through the window", 1);

    /* mov r32 into each half of the entry: Xen merges it with the other half. */
    v = (uint32_t)pte_of(target_mfn, RW);
    STORE("movl %k1, (%0)", , ARGS("r"(entry), "r"(v)));
    report("mov r32 to the low half: make it writable", (uint64_t)entry);
    write_window("  through the window", MAGIC);
    v = (uint32_t)(*entry >> 32) | 0x80000000u;
    STORE("movl %k1, 4(%0)", , ARGS("r"(entry), "r"(v)));
    report("mov r32 to the high half: set NX", (uint64_t)entry + 4);
    v = (uint16_t)pte_of(target_mfn, RO);
    STORE("movw %w1, (%0)", , ARGS("r"(entry), "r"(v)));
    report("mov r16 to the low 16 bits: read-only again", (uint64_t)entry);
    write_window("  through the window", 2);

    STORE("movq $0, (%0)", , ARGS("r"(entry)));
    report("mov imm32 (sign-extended) 0: unmap", (uint64_t)entry);
    read_window("  through the window");

    /* xchg, as Linux's ptep_get_and_clear(): the old entry comes back in the register. */
    v = pte_of(target_mfn, RO);
    STORE("xchg %0, (%1)", ARGS("+r"(v)), ARGS("r"(entry)));
    report("xchg r64: map target", (uint64_t)entry);
    P("  xchg returned: %s", v == 0 ? "0 (the old entry)" : "something else");
    read_window("  through the window");
    v = 0;
    STORE("xchg %0, (%1)", ARGS("+r"(v)), ARGS("r"(entry)));
    report("xchg r64 0: get and clear", (uint64_t)entry);
    P("  xchg returned: frame %s, flags %#lx", frame_name(v), flags_of(v));

    /* cmpxchg: a match stores, a mismatch loads rax and clears ZF. */
    rax = 0;
    v = pte_of(target_mfn, RO);
    STORE("lock cmpxchg %2, (%3); setz %1", ARGS("+a"(rax), "+q"(zf)), ARGS("r"(v), "r"(entry)));
    report("lock cmpxchg r64, expected 0: map target", (uint64_t)entry);
    P("  ZF %u, rax %s", zf, rax == 0 ? "0" : "changed");
    rax = 0;
    v = 0;
    STORE("lock cmpxchg %2, (%3); setz %1", ARGS("+a"(rax), "+q"(zf)), ARGS("r"(v), "r"(entry)));
    report("lock cmpxchg r64, expected 0 (stale)", (uint64_t)entry);
    P("  ZF %u, rax: frame %s, flags %#lx", zf, frame_name(rax), flags_of(rax));
    v = pte_of(target_mfn, RW);
    STORE("cmpxchg %2, (%3); setz %1", ARGS("+a"(rax), "+q"(zf)), ARGS("r"(v), "r"(entry)));
    report("cmpxchg r64 (no lock), expected the current entry: make it writable", (uint64_t)entry);
    P("  ZF %u", zf);

    /* Bit operations as Linux's clear_bit()/test_and_clear_bit() emit them. */
    STORE("lock btrq $1, (%1); setc %0", ARGS("+q"(cf)), ARGS("r"(entry)));
    report("lock btr $1 (clear _PAGE_RW)", (uint64_t)entry);
    P("  CF %u", cf);
    STORE("lock btsq $1, (%1); setc %0", ARGS("+q"(cf)), ARGS("r"(entry)));
    report("lock bts $1 (set _PAGE_RW)", (uint64_t)entry);
    P("  CF %u", cf);
    STORE("lock andb $0xfd, (%0)", , ARGS("r"(entry)));
    report("lock andb $~_PAGE_RW", (uint64_t)entry);
    STORE("lock orb $2, (%0)", , ARGS("r"(entry)));
    report("lock orb $_PAGE_RW", (uint64_t)entry);
    write_window("  through the window", 3);
}

static void refused_stores(uint64_t *l2_entry)
{
    uint64_t good = pte_of(target_mfn, RO), v, rax;
    uint8_t zf = 0;

    mov64("mov r64: map target read-only", entry, good);
    mov64("mov r64: MFN 0x200 (the hypervisor's, not the guest's)", entry, pte_of(0x200, RO));
    mov64("mov r64: its own L1 writable", entry, pte_of(l1_mfn, RW));

    v = 0;
    STORE("movq %1, 4(%0)", , ARGS("r"(entry), "r"(v)));
    report("mov r64 straddling two entries (entry + 4)", (uint64_t)entry + 4);

    rax = 0x1234000; /* not the current entry */
    v = pte_of(0x200, RO);
    STORE("lock cmpxchg %2, (%3); setz %1", ARGS("+a"(rax), "+q"(zf)), ARGS("r"(v), "r"(entry)));
    report("lock cmpxchg, mismatch, new entry MFN 0x200", (uint64_t)entry);
    rax = 0x1234000;
    v = 0;
    STORE("lock cmpxchg %2, (%3); setz %1", ARGS("+a"(rax), "+q"(zf)), ARGS("r"(v), "r"(entry)));
    report("lock cmpxchg, mismatch, new entry 0", (uint64_t)entry);
    P("  ZF %u, rax: frame %s", zf, frame_name(rax));

    v = *l2_entry;
    STORE("movq %1, (%0)", , ARGS("r"(l2_entry), "r"(v)));
    report("mov r64 into its L2 (the same value)", (uint64_t)l2_entry);
    uint64_t *l4_entry = (uint64_t *)start_info->pt_base + 511;
    v = *l4_entry;
    STORE("movq %1, (%0)", , ARGS("r"(l4_entry), "r"(v)));
    report("mov r64 into its L4 slot 511 (the same value)", (uint64_t)l4_entry);
}

int main(void)
{
    static trap_info_t traps[] = {
        {14, 0, FLAT_KERNEL_CS, (unsigned long)trap_pf},
        {0, 0, 0, 0},
    };
    uint64_t *l2_entry = NULL;
    unsigned long va = (unsigned long)window;

    P("set_trap_table = %s", rc_str(hypercall1(__HYPERVISOR_set_trap_table, (unsigned long)traps)));
    *(volatile uint64_t *)target = MAGIC;
    target_mfn = probe_pfn_to_mfn(((unsigned long)target - PROBE_VIRT_BASE) >> PAGE_SHIFT);
    l1_mfn = find_l1(va, &l2_entry);
    uint64_t *l1 = l1_mfn ? (uint64_t *)probe_table_va(l1_mfn) : NULL;
    P("L1 of the window found in the initial mapping: %s", l1 ? "yes" : "no");
    if (!l1)
        return 1;
    P("  mapped read-only: %s", (probe_leaf_pte((unsigned long)l1) & _PAGE_RW) ? "no" : "yes");
    entry = &l1[(va >> PAGE_SHIFT) & 511];
    uint64_t orig = *entry;
    P("window's entry: frame %s, flags %#lx", frame_name(orig), flags_of(orig));

    mov64("assist off: mov r64", entry, pte_of(target_mfn, RO));
    P("vm_assist(enable, writable_pagetables) = %s",
      rc_str(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables)));
    emulated_stores();
    refused_stores(l2_entry);
    P("vm_assist(disable, writable_pagetables) = %s",
      rc_str(HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables)));
    mov64("assist off again: mov r64", entry, orig);

    P("restore the window = %s",
      rc_str(HYPERVISOR_update_va_mapping(va, orig, UVMF_INVLPG | UVMF_LOCAL)));
    P("window's entry: frame %s, flags %#lx", frame_name(*entry), flags_of(*entry));

    /* With "wait", dom0 lets the domUs (mica's domu_copies=) run the probe to its end first:
       tests/system/t-ptwr-domu.sh. */
    char word[8];
    if ((start_info->flags & SIF_INITDOMAIN) && cmdline_get("wait", word, sizeof(word)) >= 0) {
        for (int i = 0; i < 1000; i++)
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    probe_done();
    return 0;
}
