/*
 * probe_uvm: update_va_mapping (xen.h; Xen's do_update_va_mapping and the L1
 * checks of get_page_from_l1e) as dom0 on Xen 4.17 and on mica, compared by
 * t-probe-uvm.sh (expected differences in probe_uvm.diff-ok).
 *
 * A page-aligned scratch page in .bss is remapped to:
 *   - frames the guest does not own: the highest RAM frame
 *     (XENMEM_maximum_ram_page - 1), MFN 1, MFNs inside the hypervisor's image
 *     and one of the hypervisor's page tables (the frame behind the first
 *     present hypervisor slot, 256-271, of the guest's own L4), frames beyond
 *     RAM;
 *   - the guest's own page tables (its L4 at pt_base, the L1 that maps the
 *     scratch page) writable (refused) and read-only (allowed);
 *   - its own frames with each PTE flag bit that is reserved or restricted
 *     for a PV guest (PWT, PCD, PAT, G, software bits, bit 52..62, NX, a frame
 *     number with bit 51);
 * then update_va_mapping at bad virtual addresses (hypervisor range,
 * non-canonical, unmapped, unaligned), with bad flush flags and a bad vCPU
 * bitmap pointer, and finally a good remap, an alias, the shared_info frame,
 * an unmap and a remap. After every case the scratch page is mapped back to
 * its own frame; the last line counts those restores.
 */
#define PROBE_NAME "probe_uvm"

#include <string.h>

#include "probe.h"

static uint8_t scratch[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t scratch2[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define RO (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
#define RW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)

static unsigned long scratch_mfn, scratch2_mfn;
static long max_ram_page; /* XENMEM_maximum_ram_page: the M2P covers MFNs below it */
static unsigned int restores, restore_failures;

static long uvm(unsigned long va, uint64_t pte, unsigned long flags)
{
    return HYPERVISOR_update_va_mapping(va, pte, flags);
}

static uint64_t pte_of(unsigned long mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

/* Map the scratch pages back to their own frames. */
static void restore(void)
{
    restores++;
    if (uvm((unsigned long)scratch, pte_of(scratch_mfn, RW), UVMF_INVLPG) != 0 ||
        uvm((unsigned long)scratch2, pte_of(scratch2_mfn, RW), UVMF_INVLPG) != 0)
        restore_failures++;
}

/* Whether machine frame `mfn` is one of this domain's (the M2P and p2m agree). */
static int owned(unsigned long mfn)
{
    if (max_ram_page <= 0 || mfn >= (unsigned long)max_ram_page)
        return 0; /* beyond the M2P table (reading it there would fault) */
    unsigned long pfn = probe_mfn_to_pfn(mfn);

    return pfn < start_info->nr_pages && probe_pfn_to_mfn(pfn) == mfn;
}

/* One case: remap the scratch page to `pte`, print the result, map it back. */
static void try_scratch(const char *what, uint64_t pte)
{
    long rc = uvm((unsigned long)scratch, pte, UVMF_INVLPG);

    P("update_va_mapping(scratch, %s) = %s", what, rc_str(rc));
    restore();
}

/* A foreign frame read-only and writable; its M2P entry must not say it is ours. */
static void try_foreign(const char *what, unsigned long mfn)
{
    char buf[96];

    P("%s: owned by the guest: %s", what, owned(mfn) ? "YES (probe broken)" : "no");
    snprintf(buf, sizeof(buf), "%s read-only", what);
    try_scratch(buf, pte_of(mfn, RO));
    snprintf(buf, sizeof(buf), "%s writable", what);
    try_scratch(buf, pte_of(mfn, RW));
}

/* The frame behind the first present hypervisor slot (256..271) of the guest's L4. */
static unsigned long hypervisor_table_mfn(void)
{
    const uint64_t *l4 = (const uint64_t *)start_info->pt_base;

    for (unsigned int slot = 256; slot < 272; slot++) {
        if (l4[slot] & _PAGE_PRESENT)
            return (l4[slot] & PTE_FRAME_MASK) >> PAGE_SHIFT;
    }
    return 0;
}

static void foreign_frames(void)
{
    long maxram = max_ram_page;

    try_foreign("highest RAM frame (maximum_ram_page - 1)", (unsigned long)maxram - 1);
    try_foreign("MFN 1", 1);
    /* 2 MiB: where both hypervisors' images are first loaded by multiboot. */
    try_foreign("MFN 0x200 (hypervisor image)", 0x200);
    try_foreign("MFN 0x210 (hypervisor image)", 0x210);
    unsigned long hv = hypervisor_table_mfn();
    P("hypervisor L4 slot present in the guest's L4: %s", hv ? "yes" : "no");
    if (hv)
        try_foreign("hypervisor page table (first hypervisor L4 slot)", hv);
    /* Beyond RAM: Xen's dom0 may map non-RAM (I/O) frames; maximum_ram_page + 0x1000 is
       past RAM but below 4 GiB's MMIO hole on this machine. */
    try_foreign("MFN maximum_ram_page + 0x1000 (beyond RAM)", (unsigned long)maxram + 0x1000);
    try_foreign("MFN 0xfffffffff (far beyond RAM)", 0xfffffffffUL);
}

static void own_tables(void)
{
    unsigned long l4_mfn = (probe_leaf_pte(start_info->pt_base) & PTE_FRAME_MASK) >> PAGE_SHIFT;
    P("pt_base maps its own frame: %s",
      l4_mfn == probe_pfn_to_mfn((start_info->pt_base - PROBE_VIRT_BASE) >> PAGE_SHIFT) ? "yes"
                                                                                        : "no");
    try_scratch("own L4 (pt_base) writable", pte_of(l4_mfn, RW));
    try_scratch("own L4 (pt_base) read-only", pte_of(l4_mfn, RO));

    /* The L1 that maps the scratch page: walk L4 -> L3 -> L2 and take the L2 entry's frame. */
    const uint64_t *t = (const uint64_t *)start_info->pt_base;
    unsigned long va = (unsigned long)scratch, l1_mfn = 0;
    for (int level = 4; level >= 2 && t; level--) {
        uint64_t e = t[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511];
        unsigned long mfn = (e & PTE_FRAME_MASK) >> PAGE_SHIFT;
        if (level == 2)
            l1_mfn = mfn;
        else
            t = probe_table_va(mfn);
    }
    P("L1 of the scratch page found: %s", l1_mfn ? "yes" : "no");
    try_scratch("own L1 writable", pte_of(l1_mfn, RW));
    try_scratch("own L1 read-only", pte_of(l1_mfn, RO));

    /* The start_info page is ordinary guest RAM. */
    unsigned long si_mfn =
        probe_pfn_to_mfn(((unsigned long)start_info - PROBE_VIRT_BASE) >> PAGE_SHIFT);
    try_scratch("own start_info frame writable", pte_of(si_mfn, RW));
}

static void flag_bits(void)
{
    static const struct {
        const char *name;
        uint64_t bits;
    } flags[] = {
        {"PWT", _PAGE_PWT},
        {"PCD", _PAGE_PCD},
        {"PAT (PSE position in an L1)", _PAGE_PSE},
        {"GLOBAL", _PAGE_GLOBAL},
        {"software bits 9-11", 0xe00UL},
        {"bit 52", 1UL << 52},
        {"bit 62", 1UL << 62},
        {"NX", _PAGE_NX},
        {"frame bit 51 (beyond MAXPHYADDR)", 1UL << 51},
        {"not present, garbage", 0x0123456789abc000UL},
    };

    for (unsigned int i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        char buf[80];
        uint64_t pte = pte_of(scratch_mfn, RW) | flags[i].bits;

        if (flags[i].bits == 0x0123456789abc000UL)
            pte = flags[i].bits; /* P clear: anything goes */
        snprintf(buf, sizeof(buf), "own frame RW + %s", flags[i].name);
        try_scratch(buf, pte);
    }
}

static void bad_va_and_flags(void)
{
    uint64_t good = pte_of(scratch_mfn, RW);
    static const struct {
        const char *name;
        unsigned long va;
    } vas[] = {
        {"0xffff800000001000 (hypervisor)", 0xffff800000001000UL},
        {"0xffff87fffffff000 (hypervisor, top)", 0xffff87fffffff000UL},
        {"0x0000800000000000 (non-canonical)", 0x0000800000000000UL},
        {"0x8000000000000000 (non-canonical)", 0x8000000000000000UL},
        {"0x10000000 (no L1)", 0x10000000UL},
        {"0xfffffffffffff000 (no L3 entry)", 0xfffffffffffff000UL},
    };

    for (unsigned int i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
        P("update_va_mapping(%s, own frame RW, UVMF_INVLPG) = %s", vas[i].name,
          rc_str(uvm(vas[i].va, good, UVMF_INVLPG)));
        restore();
    }
    P("update_va_mapping(scratch + 0x123, own frame RW, UVMF_INVLPG) = %s",
      rc_str(uvm((unsigned long)scratch + 0x123, good, UVMF_INVLPG)));
    restore();

    static const struct {
        const char *name;
        unsigned long flags;
    } fl[] = {
        {"UVMF_NONE", UVMF_NONE},
        {"UVMF_TLB_FLUSH", UVMF_TLB_FLUSH},
        {"3 (no flush type)", 3},
        {"UVMF_INVLPG | UVMF_ALL", UVMF_INVLPG | UVMF_ALL},
        {"UVMF_TLB_FLUSH | UVMF_ALL", UVMF_TLB_FLUSH | UVMF_ALL},
    };
    for (unsigned int i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
        P("update_va_mapping(scratch, own frame RW, %s) = %s", fl[i].name,
          rc_str(uvm((unsigned long)scratch, good, fl[i].flags)));
        restore();
    }

    /* Any other value is a pointer to a vCPU bitmap (with the flush type in the low bits). */
    static unsigned long mask = 1; /* vCPU 0 */
    P("update_va_mapping(scratch, own frame RW, &mask{1} | UVMF_INVLPG) = %s",
      rc_str(uvm((unsigned long)scratch, good, (unsigned long)&mask | UVMF_INVLPG)));
    restore();
    static const struct {
        const char *name;
        unsigned long ptr;
    } bad_masks[] = {
        {"0x10000000 (unmapped)", 0x10000000UL},
        {"0xffff800000001000 (hypervisor)", 0xffff800000001000UL},
        {"0x0000800000000000 (non-canonical)", 0x0000800000000000UL},
    };
    for (unsigned int i = 0; i < sizeof(bad_masks) / sizeof(bad_masks[0]); i++) {
        P("update_va_mapping(scratch, own frame RO, vcpumask %s | UVMF_INVLPG) = %s",
          bad_masks[i].name,
          rc_str(uvm((unsigned long)scratch, pte_of(scratch_mfn, RO),
                     bad_masks[i].ptr | UVMF_INVLPG)));
        /* Xen writes the entry before it reads the bitmap: the mapping is now read-only. */
        P("  scratch entry after it: %s",
          (probe_leaf_pte((unsigned long)scratch) & _PAGE_RW) ? "writable" : "read-only");
        restore();
    }
}

static void good_updates(void)
{
    const unsigned long va = (unsigned long)scratch;
    volatile uint64_t *word = (volatile uint64_t *)scratch;
    volatile uint64_t *word2 = (volatile uint64_t *)scratch2;

    *word = 0x1234567890abcdefUL;
    P("update_va_mapping(scratch, own frame RW) = %s",
      rc_str(uvm(va, pte_of(scratch_mfn, RW), UVMF_INVLPG)));
    uint64_t e = probe_leaf_pte(va);
    P("  entry: frame is scratch's: %s; P RW US A D: %s; G: %s; bit 52: %s",
      ((e & PTE_FRAME_MASK) >> PAGE_SHIFT) == scratch_mfn ? "yes" : "no",
      (e & RW) == RW ? "set" : "NOT all set", e & _PAGE_GLOBAL ? "set" : "clear",
      e & (1UL << 52) ? "set" : "clear");
    P("  contents kept: %s", *word == 0x1234567890abcdefUL ? "yes" : "no");

    /* Without _PAGE_USER: Xen adds it (64-bit PV kernels run in ring 3), with bit 52. */
    P("update_va_mapping(scratch, own frame P|RW|A|D, no US) = %s",
      rc_str(uvm(va, pte_of(scratch_mfn, RW & ~_PAGE_USER), UVMF_INVLPG)));
    e = probe_leaf_pte(va);
    P("  entry: US: %s; G: %s; bit 52: %s", e & _PAGE_USER ? "set" : "clear",
      e & _PAGE_GLOBAL ? "set" : "clear", e & (1UL << 52) ? "set" : "clear");
    restore();

    P("update_va_mapping(scratch2, scratch's frame RW) = %s",
      rc_str(uvm((unsigned long)scratch2, pte_of(scratch_mfn, RW), UVMF_INVLPG)));
    P("  alias sees scratch's contents: %s", *word2 == 0x1234567890abcdefUL ? "yes" : "no");
    restore();

    unsigned long si_mfn = start_info->shared_info >> PAGE_SHIFT;
    P("update_va_mapping(scratch, shared_info frame RW) = %s",
      rc_str(uvm(va, pte_of(si_mfn, RW), UVMF_INVLPG)));
    P("  reads shared_info: %s",
      memcmp(scratch, (const void *)HYPERVISOR_shared_info, 64) == 0 ? "yes" : "no");
    restore();
    P("update_va_mapping(scratch, shared_info frame RW + PCD) = %s",
      rc_str(uvm(va, pte_of(si_mfn, RW | _PAGE_PCD), UVMF_INVLPG)));
    restore();

    P("update_va_mapping(scratch, 0) = %s", rc_str(uvm(va, 0, UVMF_INVLPG)));
    P("  entry after unmap: %#lx", (unsigned long)probe_leaf_pte(va));
    P("update_va_mapping(scratch, 0) again = %s", rc_str(uvm(va, 0, UVMF_INVLPG)));
    P("update_va_mapping(scratch, own frame RW) after unmap = %s",
      rc_str(uvm(va, pte_of(scratch_mfn, RW), UVMF_INVLPG)));
    P("  contents kept: %s", *word == 0x1234567890abcdefUL ? "yes" : "no");
}

int main(void)
{
    max_ram_page = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);
    scratch[0] = scratch2[0] = 1; /* touch them */
    scratch_mfn = (probe_leaf_pte((unsigned long)scratch) & PTE_FRAME_MASK) >> PAGE_SHIFT;
    scratch2_mfn = (probe_leaf_pte((unsigned long)scratch2) & PTE_FRAME_MASK) >> PAGE_SHIFT;
    P("scratch pages mapped, owned: %s",
      scratch_mfn && scratch2_mfn && owned(scratch_mfn) && owned(scratch2_mfn) ? "yes" : "no");

    foreign_frames();
    own_tables();
    flag_bits();
    bad_va_and_flags();
    good_updates();
    P("restores: %u, failed: %u", restores, restore_failures);
    probe_done();
    return 0;
}
