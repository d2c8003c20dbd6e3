/*
 * probe_mmu_hostile: the hostile-guest suite of issue 5. One attack on the typed-frame rules
 * per line (Xen's xen/arch/x86/mm.c: get_page_from_l1e..l4e, get_lN_linear_pagetable,
 * do_mmu_update, do_mmuext_op, do_update_va_mapping; xen/common/memory.c
 * guest_remove_page), run as dom0 on Xen 4.17 and on mica and compared by
 * t-probe-mmu-hostile.sh (expected differences in probe_mmu_hostile.diff-ok).
 *
 * The attacks, in order:
 *   A  map one of its own page tables writable (update_va_mapping and mmu_update);
 *   B  make a page mapped writable into a page table (pin L1/L2/L4, hook it into an L2,
 *      load it as CR3);
 *   C  map frames it does not own: the frame-table class (the highest RAM frame: mica keeps
 *      its frame table at the top of RAM; on Xen it is hypervisor memory all the same),
 *      the hypervisor image, a hypervisor page table, another domain's frame (found through
 *      the M2P; only when one exists), and write into hypervisor memory with mmu_update;
 *   D  write into the hypervisor's L4 slots; a pinned L4's slots are replaced;
 *   E  superpages and reserved bits in L2-L4 entries;
 *   F  linear (recursive) entries: writable ones refused, read-only ones to the same table
 *      and to another L4 allowed, with Xen's XSA-240 rules;
 *   G  unpin tables that are not pinned;
 *   H  switch to an L4 that fails validation;
 *   I  give back (decrease_reservation) a frame in use as an L1 table, which keeps working
 *      until its last reference goes;
 *   J  mmu_update with a huge count, a buffer running into unmapped memory, bad success
 *      count pointers;
 *   K  update_va_mapping on hypervisor and non-canonical addresses.
 * No line prints a machine address: only results, and yes/no facts.
 *
 * As a domU (mica's domu_copies=1) the same attacks run, and section C also finds dom0's
 * frames. dom0, started with "guard", attacks nothing: it records its page tables, its
 * frames and a marker, yields while the domU attacks, and checks them afterwards
 * (t-mmu-hostile-domu.sh).
 */
#define PROBE_NAME "probe_mmu_hostile"

#include <string.h>

#include <pvguest/cmdline.h>

#include "probe.h"

#define RO  (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
#define RW  (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
#define TBL (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)

#define PAGE_ALIGNED __attribute__((aligned(PAGE_SIZE)))

static uint8_t scratch[PAGE_SIZE] PAGE_ALIGNED;
static uint64_t data[4][PAGE_SIZE / 8] PAGE_ALIGNED;
/* Pages made into tables (mapped read-only first). t_give is given back and never reused. */
static uint64_t t_l1[PAGE_SIZE / 8] PAGE_ALIGNED;
static uint64_t t_l4[PAGE_SIZE / 8] PAGE_ALIGNED;
static uint64_t t_l4b[PAGE_SIZE / 8] PAGE_ALIGNED;
static uint64_t t_l4c[PAGE_SIZE / 8] PAGE_ALIGNED;
static uint64_t t_bad[PAGE_SIZE / 8] PAGE_ALIGNED;
static uint64_t t_give[PAGE_SIZE / 8] PAGE_ALIGNED;
/* Two pages of mmu_update requests; the second is unmapped for the batch attacks. */
static struct mmu_update reqbuf[2][PAGE_SIZE / sizeof(struct mmu_update)] PAGE_ALIGNED;

#define MARKER(i) (0x6d6d756d61726b00UL | (i)) /* "\0kramumm" + i */

static long max_ram_page;
static unsigned long cur_l4, kern_l3, kern_l2, scratch_l1, scratch_mfn;
static unsigned int free_l2_slot; /* an empty slot of the kernel's L2 */

/* ---- Small helpers ---- */

static unsigned long mfn_of(const void *va)
{
    return (probe_leaf_pte((unsigned long)va) & PTE_FRAME_MASK) >> PAGE_SHIFT;
}

static unsigned long pfn_of(const void *va)
{
    return ((unsigned long)va - PROBE_VIRT_BASE) >> PAGE_SHIFT;
}

static uint64_t pte_of(unsigned long mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

/* Machine address of entry `slot` of table `mfn`, with mmu_update command `cmd`. */
static uint64_t entry_ma(unsigned long mfn, unsigned int slot, unsigned int cmd)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | (slot * 8UL) | cmd;
}

static long mmu_update(const struct mmu_update *req, unsigned int count, unsigned int *done)
{
    return hypercall4(__HYPERVISOR_mmu_update, (unsigned long)req, count, (unsigned long)done,
                      DOMID_SELF);
}

/* One MMU_NORMAL_PT_UPDATE: entry `slot` of table `mfn` := val. */
static long mmu1(unsigned long mfn, unsigned int slot, uint64_t val)
{
    struct mmu_update u = {.ptr = entry_ma(mfn, slot, MMU_NORMAL_PT_UPDATE), .val = val};

    return mmu_update(&u, 1, NULL);
}

static long mmuext(unsigned int cmd, unsigned long arg1)
{
    struct mmuext_op op = {.cmd = cmd};

    op.arg1.mfn = arg1;
    return hypercall4(__HYPERVISOR_mmuext_op, (unsigned long)&op, 1, 0, DOMID_SELF);
}

static long uvm(const void *va, uint64_t pte)
{
    return HYPERVISOR_update_va_mapping((unsigned long)va, pte, UVMF_INVLPG);
}

static void flush(void)
{
    mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

/* Whether machine frame `mfn` is one of this domain's (the M2P and p2m agree). */
static int owned(unsigned long mfn)
{
    if (max_ram_page <= 0 || mfn >= (unsigned long)max_ram_page)
        return 0;
    unsigned long pfn = probe_mfn_to_pfn(mfn);

    return pfn < start_info->nr_pages && probe_pfn_to_mfn(pfn) == mfn;
}

static const char *yesno(int b)
{
    return b ? "yes" : "no";
}

/* Make a .bss page read-only in the initial mapping, so that it can become a table. */
static long make_ro(const void *va)
{
    return uvm(va, pte_of(mfn_of(va), RO));
}

static long make_rw(const void *va, unsigned long mfn)
{
    return uvm(va, pte_of(mfn, RW));
}

/* Entry `slot` of our own table `mfn`, read through its read-only mapping. */
static uint64_t table_entry(unsigned long mfn, unsigned int slot)
{
    const uint64_t *t = probe_table_va(mfn);

    return t ? t[slot] : 0;
}

static void restore_scratch(void)
{
    if (uvm(scratch, pte_of(scratch_mfn, RW)) != 0)
        P("FAIL: scratch page not restored");
}

/* Map `mfn` at the scratch page read-only and writable, print both, map scratch back. */
static void try_map(const char *what, unsigned long mfn)
{
    P("update_va_mapping(scratch, %s read-only) = %s", what, rc_str(uvm(scratch, pte_of(mfn, RO))));
    restore_scratch();
    P("update_va_mapping(scratch, %s writable) = %s", what, rc_str(uvm(scratch, pte_of(mfn, RW))));
    restore_scratch();
    /* The same through mmu_update on the scratch page's L1 entry. */
    P("mmu_update(scratch's L1 entry := %s writable) = %s", what,
      rc_str(mmu1(scratch_l1, (((unsigned long)scratch) >> PAGE_SHIFT) & 511, pte_of(mfn, RW))));
    restore_scratch();
}

/* ---- The attacks ---- */

static void own_tables_writable(void)
{
    P("-- A: its own page tables writable");
    try_map("own running L4", cur_l4);
    try_map("own kernel L2", kern_l2);
    try_map("scratch's own L1", scratch_l1);
    P("make_ro(t_l1) = %s", rc_str(make_ro(t_l1)));
    P("pin t_l1 as L1 = %s", rc_str(mmuext(MMUEXT_PIN_L1_TABLE, mfn_of(t_l1))));
    try_map("pinned L1 t_l1", mfn_of(t_l1));
    P("update_va_mapping(t_l1, writable) while pinned = %s", rc_str(make_rw(t_l1, mfn_of(t_l1))));
}

static void writable_into_table(void)
{
    unsigned long d = mfn_of(data[0]);

    P("-- B: a page mapped writable made into a page table");
    P("pin data page (mapped writable) as L1 = %s", rc_str(mmuext(MMUEXT_PIN_L1_TABLE, d)));
    P("pin data page (mapped writable) as L2 = %s", rc_str(mmuext(MMUEXT_PIN_L2_TABLE, d)));
    P("pin data page (mapped writable) as L3 = %s", rc_str(mmuext(MMUEXT_PIN_L3_TABLE, d)));
    P("pin data page (mapped writable) as L4 = %s", rc_str(mmuext(MMUEXT_PIN_L4_TABLE, d)));
    P("mmu_update(kernel L2 free slot := data page as L1) = %s",
      rc_str(mmu1(kern_l2, free_l2_slot, pte_of(d, TBL))));
    P("mmu_update(kernel L3 slot 0 := data page as L2) = %s",
      rc_str(mmu1(kern_l3, 0, pte_of(d, TBL))));
    P("mmuext NEW_BASEPTR(data page, mapped writable) = %s", rc_str(mmuext(MMUEXT_NEW_BASEPTR, d)));
    P("mmuext NEW_USER_BASEPTR(data page, mapped writable) = %s",
      rc_str(mmuext(MMUEXT_NEW_USER_BASEPTR, d)));
    P("data page still writable: %s", yesno((data[0][0] = MARKER(0)) == MARKER(0)));
}

/* The frame behind the first present hypervisor slot (256..271) of the running L4. */
static unsigned long hypervisor_table_mfn(void)
{
    const uint64_t *l4 = (const uint64_t *)start_info->pt_base;

    for (unsigned int slot = 256; slot < 272; slot++) {
        if (l4[slot] & _PAGE_PRESENT)
            return (l4[slot] & PTE_FRAME_MASK) >> PAGE_SHIFT;
    }
    return 0;
}

/*
 * A frame of another domain: the lowest MFN whose M2P entry is a plausible PFN but which is
 * not ours. Xen and mica mark every other frame INVALID_M2P_ENTRY (~0), so with no other
 * domain there is none.
 */
static unsigned long other_domain_mfn(void)
{
    for (unsigned long m = 1; m < (unsigned long)max_ram_page; m++) {
        unsigned long pfn = probe_mfn_to_pfn(m);

        if (pfn < (1UL << 20) && !owned(m))
            return m;
    }
    return 0;
}

static void not_owned(void)
{
    unsigned long top = (unsigned long)max_ram_page - 1, hv = hypervisor_table_mfn();

    P("-- C: frames it does not own");
    P("highest RAM frame owned by the guest: %s", owned(top) ? "YES (probe broken)" : "no");
    try_map("frame-table class (highest RAM frame)", top);
    try_map("hypervisor image (MFN 0x200)", 0x200);
    P("hypervisor L4 slot present: %s", yesno(hv != 0));
    if (hv) {
        P("hypervisor page table owned by the guest: %s", owned(hv) ? "YES (probe broken)" : "no");
        try_map("hypervisor page table", hv);
        P("mmu_update(hypervisor page table entry 0 := 0) = %s", rc_str(mmu1(hv, 0, 0)));
        P("pin hypervisor page table as L3 = %s", rc_str(mmuext(MMUEXT_PIN_L3_TABLE, hv)));
    }
    P("mmu_update(hypervisor image word := 0) = %s", rc_str(mmu1(0x200, 0, 0)));
    P("mmu_update(frame-table class word := 0) = %s", rc_str(mmu1(top, 0, 0)));
    P("pin hypervisor image frame as L1 = %s", rc_str(mmuext(MMUEXT_PIN_L1_TABLE, 0x200)));
    struct mmu_update m2p = {.ptr = entry_ma(0x200, 0, MMU_MACHPHYS_UPDATE), .val = 0};
    P("mmu_update(MMU_MACHPHYS_UPDATE of the hypervisor image frame) = %s",
      rc_str(mmu_update(&m2p, 1, NULL)));

    unsigned long other = other_domain_mfn();
    P("another domain's frame found: %s", yesno(other != 0));
    if (!other)
        return;
    try_map("another domain's frame", other);
    P("mmu_update(another domain's frame word := 0) = %s", rc_str(mmu1(other, 0, 0)));
    P("pin another domain's frame as L1 = %s", rc_str(mmuext(MMUEXT_PIN_L1_TABLE, other)));
    P("unpin another domain's frame = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, other)));
    P("mmuext NEW_BASEPTR(another domain's frame) = %s", rc_str(mmuext(MMUEXT_NEW_BASEPTR, other)));
    m2p.ptr = entry_ma(other, 0, MMU_MACHPHYS_UPDATE);
    P("mmu_update(MMU_MACHPHYS_UPDATE of another domain's frame) = %s",
      rc_str(mmu_update(&m2p, 1, NULL)));
    xen_pfn_t list[1] = {other};
    struct xen_memory_reservation r = {.nr_extents = 1, .domid = DOMID_SELF};
    set_xen_guest_handle(r.extent_start, list);
    P("decrease_reservation(another domain's frame) = %s",
      rc_str(HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r)));
    P("another domain's frame still not ours and its M2P entry kept: %s",
      yesno(!owned(other) && probe_mfn_to_pfn(other) < (1UL << 20)));
}

static void hypervisor_slots(void)
{
    P("-- D: the hypervisor's L4 slots");
    P("mmu_update(running L4 slot 256 := 0) = %s", rc_str(mmu1(cur_l4, 256, 0)));
    P("mmu_update(running L4 slot 261 := kernel L3) = %s",
      rc_str(mmu1(cur_l4, 261, pte_of(kern_l3, TBL))));
    P("mmu_update(running L4 slot 271 := running L4 read-only) = %s",
      rc_str(mmu1(cur_l4, 271, pte_of(cur_l4, RO))));
    P("mmu_update(running L4 slot 272 := 0) = %s", rc_str(mmu1(cur_l4, 272, 0)));

    /* A fresh L4 with the guest's values in slots 256-271: pinned, they are replaced. */
    for (unsigned int i = 0; i < 512; i++)
        t_l4[i] = 0;
    for (unsigned int i = 256; i < 272; i++)
        t_l4[i] = pte_of(mfn_of(data[1]), RW | _PAGE_PSE);
    P("make_ro(t_l4) = %s", rc_str(make_ro(t_l4)));
    P("pin t_l4 (garbage in slots 256-271) as L4 = %s",
      rc_str(mmuext(MMUEXT_PIN_L4_TABLE, mfn_of(t_l4))));
    unsigned int kept = 0, present = 0;
    for (unsigned int i = 256; i < 272; i++) {
        kept += t_l4[i] == pte_of(mfn_of(data[1]), RW | _PAGE_PSE);
        present += (t_l4[i] & _PAGE_PRESENT) != 0;
    }
    /* Which slots are filled is the hypervisor's business (Xen leaves 256 empty in a new L4). */
    P("  slots still holding the guest's values: %u; some hypervisor slot present: %s", kept,
      yesno(present != 0));
    P("  data page behind the garbage still writable: %s",
      yesno((data[1][0] = MARKER(1)) == MARKER(1)));
    P("mmu_update(t_l4 slot 260 := 0) = %s", rc_str(mmu1(mfn_of(t_l4), 260, 0)));
    P("unpin t_l4 = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, mfn_of(t_l4))));
}

static void superpages_and_bits(void)
{
    unsigned long d = mfn_of(data[2]);

    P("-- E: superpages and reserved bits");
    P("mmu_update(kernel L2 free slot := 2 MiB superpage) = %s",
      rc_str(mmu1(kern_l2, free_l2_slot, pte_of(d & ~511UL, TBL | _PAGE_PSE))));
    P("mmu_update(kernel L3 slot 0 := 1 GiB superpage) = %s",
      rc_str(mmu1(kern_l3, 0, pte_of(0, TBL | _PAGE_PSE))));
    P("mmu_update(running L4 slot 1 := kernel L3 + PSE) = %s",
      rc_str(mmu1(cur_l4, 1, pte_of(kern_l3, TBL | _PAGE_PSE))));

    /* Hook a real L1 into the free L2 slot, then try to turn the entry into a superpage
       (XSA-148: a flag change must not skip the checks). */
    for (unsigned int i = 0; i < 512; i++)
        t_bad[i] = 0;
    t_bad[0] = pte_of(d, RO);
    P("make_ro(t_bad) = %s", rc_str(make_ro(t_bad)));
    P("mmu_update(kernel L2 free slot := t_bad as L1) = %s",
      rc_str(mmu1(kern_l2, free_l2_slot, pte_of(mfn_of(t_bad), TBL))));
    static const struct {
        const char *name;
        uint64_t bits;
    } bits[] = {
        {"PSE", _PAGE_PSE},
        {"PWT", _PAGE_PWT},
        {"PCD", _PAGE_PCD},
        {"GLOBAL", _PAGE_GLOBAL},
    };
    for (unsigned int i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        P("mmu_update(that L2 entry + %s) = %s", bits[i].name,
          rc_str(mmu1(kern_l2, free_l2_slot, pte_of(mfn_of(t_bad), TBL | bits[i].bits))));
    }
    P("  entry unchanged: %s", yesno((table_entry(kern_l2, free_l2_slot) &
                                      (_PAGE_PSE | _PAGE_PWT | _PAGE_PCD | _PAGE_GLOBAL)) == 0));
    P("mmu_update(running L4 slot 1 := kernel L3 + PCD) = %s",
      rc_str(mmu1(cur_l4, 1, pte_of(kern_l3, TBL | _PAGE_PCD))));
    P("mmu_update(kernel L2 free slot := 0) = %s", rc_str(mmu1(kern_l2, free_l2_slot, 0)));
    flush();
    P("make_rw(t_bad) = %s", rc_str(make_rw(t_bad, mfn_of(t_bad))));
}

/* The address that reads the running L4 through a self entry in every level at `slot`. */
static const uint64_t *linear_l4_view(unsigned int slot)
{
    unsigned long s = slot;

    return (const uint64_t *)((s << 39) | (s << 30) | (s << 21) | (s << 12));
}

static void linear_entries(void)
{
    P("-- F: linear (recursive) entries");
    P("mmu_update(running L4 slot 2 := itself writable) = %s",
      rc_str(mmu1(cur_l4, 2, pte_of(cur_l4, TBL))));
    P("mmu_update(running L4 slot 2 := itself read-only) = %s",
      rc_str(mmu1(cur_l4, 2, pte_of(cur_l4, RO))));
    flush();
    const uint64_t *view = linear_l4_view(2);
    P("  the linear view reads the running L4: %s",
      yesno(view[511] == ((const uint64_t *)start_info->pt_base)[511]));
    P("mmu_update(running L4 slot 2: upgrade to writable) = %s",
      rc_str(mmu1(cur_l4, 2, pte_of(cur_l4, TBL))));
    P("  entry still read-only: %s", yesno(!(table_entry(cur_l4, 2) & _PAGE_RW)));
    P("mmu_update(kernel L2 free slot := kernel L2 writable) = %s",
      rc_str(mmu1(kern_l2, free_l2_slot, pte_of(kern_l2, TBL))));
    P("mmu_update(kernel L2 free slot := kernel L2 read-only) = %s",
      rc_str(mmu1(kern_l2, free_l2_slot, pte_of(kern_l2, RO))));
    P("mmu_update(kernel L2 free slot := 0) = %s", rc_str(mmu1(kern_l2, free_l2_slot, 0)));
    P("mmu_update(kernel L3 slot 0 := kernel L3 read-only) = %s",
      rc_str(mmu1(kern_l3, 0, pte_of(kern_l3, RO))));
    P("mmu_update(kernel L3 slot 0 := 0) = %s", rc_str(mmu1(kern_l3, 0, 0)));

    /* Same-level linear entries to another L4 (Xen's get_l4_linear_pagetable). */
    unsigned long b = mfn_of(t_l4b), c = mfn_of(t_l4c);
    memset(t_l4b, 0, PAGE_SIZE);
    memset(t_l4c, 0, PAGE_SIZE);
    P("make_ro(t_l4b) = %s, make_ro(t_l4c) = %s", rc_str(make_ro(t_l4b)), rc_str(make_ro(t_l4c)));
    /* Untyped and empty, it is taken as an L3 (the level below is tried first). */
    P("mmu_update(running L4 slot 3 := t_l4b read-only, untyped) = %s",
      rc_str(mmu1(cur_l4, 3, pte_of(b, RO))));
    P("mmu_update(running L4 slot 3 := 0) = %s", rc_str(mmu1(cur_l4, 3, 0)));
    P("pin t_l4b as L4 = %s", rc_str(mmuext(MMUEXT_PIN_L4_TABLE, b)));
    P("pin t_l4c as L4 = %s", rc_str(mmuext(MMUEXT_PIN_L4_TABLE, c)));
    P("mmu_update(running L4 slot 3 := t_l4b writable) = %s",
      rc_str(mmu1(cur_l4, 3, pte_of(b, TBL))));
    P("mmu_update(running L4 slot 3 := t_l4b read-only) = %s",
      rc_str(mmu1(cur_l4, 3, pte_of(b, RO))));
    P("unpin t_l4b = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, b)));
    P("update_va_mapping(t_l4b, writable) while the linear entry holds it = %s",
      rc_str(make_rw(t_l4b, b)));
    P("mmu_update(t_l4b slot 4 := t_l4c read-only: a linear target with its own) = %s",
      rc_str(mmu1(b, 4, pte_of(c, RO))));
    P("mmu_update(t_l4c slot 4 := running L4 read-only: a table with linear entries as "
      "target) = %s",
      rc_str(mmu1(c, 4, pte_of(cur_l4, RO))));
    P("mmu_update(t_l4c slot 4 := t_l4b read-only: two tables, one target) = %s",
      rc_str(mmu1(c, 4, pte_of(b, RO))));
    P("mmu_update(t_l4c slot 4 := 0) = %s", rc_str(mmu1(c, 4, 0)));
    P("mmu_update(running L4 slot 3 := 0) = %s", rc_str(mmu1(cur_l4, 3, 0)));
    P("mmu_update(running L4 slot 2 := 0) = %s", rc_str(mmu1(cur_l4, 2, 0)));
    flush();
    P("update_va_mapping(t_l4b, writable) once unreferenced = %s", rc_str(make_rw(t_l4b, b)));
    P("unpin t_l4c = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, c)));
    P("update_va_mapping(t_l4c, writable) = %s", rc_str(make_rw(t_l4c, c)));
}

static void unpin_unpinned(void)
{
    P("-- G: unpin what is not pinned");
    P("unpin data page = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, mfn_of(data[0]))));
    P("unpin t_l4b (no longer a table) = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, mfn_of(t_l4b))));
    P("unpin kernel L3 (a table, not pinned) = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, kern_l3)));
    P("pin t_l1 as L1 again (already pinned) = %s",
      rc_str(mmuext(MMUEXT_PIN_L1_TABLE, mfn_of(t_l1))));
    P("unpin t_l1 = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, mfn_of(t_l1))));
    P("unpin t_l1 again = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, mfn_of(t_l1))));
    P("update_va_mapping(t_l1, writable) once unpinned = %s", rc_str(make_rw(t_l1, mfn_of(t_l1))));
}

static void bad_baseptr(void)
{
    unsigned long bad = mfn_of(t_bad);

    P("-- H: switch to an L4 that fails validation");
    memset(t_bad, 0, PAGE_SIZE);
    t_bad[0] = pte_of(mfn_of(data[3]), TBL); /* a page mapped writable where an L3 belongs */
    t_bad[511] = ((const uint64_t *)start_info->pt_base)[511];
    P("make_ro(t_bad) = %s", rc_str(make_ro(t_bad)));
    P("mmuext NEW_BASEPTR(L4 with a writable page as L3) = %s",
      rc_str(mmuext(MMUEXT_NEW_BASEPTR, bad)));
    P("mmuext NEW_USER_BASEPTR(the same) = %s", rc_str(mmuext(MMUEXT_NEW_USER_BASEPTR, bad)));
    P("make_rw(t_bad) = %s", rc_str(make_rw(t_bad, bad)));
    t_bad[0] = pte_of(0x200, TBL); /* the hypervisor's frame as L3 */
    P("make_ro(t_bad) = %s", rc_str(make_ro(t_bad)));
    P("mmuext NEW_BASEPTR(L4 with a hypervisor frame as L3) = %s",
      rc_str(mmuext(MMUEXT_NEW_BASEPTR, bad)));
    P("make_rw(t_bad) = %s", rc_str(make_rw(t_bad, bad)));
    t_bad[0] = pte_of(mfn_of(data[3]), TBL | _PAGE_PSE);
    P("make_ro(t_bad) = %s", rc_str(make_ro(t_bad)));
    P("mmuext NEW_BASEPTR(L4 with a PSE entry) = %s", rc_str(mmuext(MMUEXT_NEW_BASEPTR, bad)));
    P("make_rw(t_bad) = %s", rc_str(make_rw(t_bad, bad)));
    P("mmuext NEW_BASEPTR(hypervisor image frame) = %s", rc_str(mmuext(MMUEXT_NEW_BASEPTR, 0x200)));
    P("mmuext NEW_BASEPTR(MFN far beyond RAM) = %s",
      rc_str(mmuext(MMUEXT_NEW_BASEPTR, 0xfffffffffUL)));
    P("still running on the old L4, page tables intact: %s",
      yesno(probe_leaf_pte((unsigned long)scratch) != 0));
}

static long current_reservation(void)
{
    domid_t self = DOMID_SELF;

    return HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
}

static long give_back(unsigned long mfn)
{
    xen_pfn_t list[1] = {mfn};
    struct xen_memory_reservation r = {.nr_extents = 1, .domid = DOMID_SELF};

    set_xen_guest_handle(r.extent_start, list);
    return HYPERVISOR_memory_op(XENMEM_decrease_reservation, &r);
}

static void give_back_table(void)
{
    unsigned long g = mfn_of(t_give);
    const volatile uint64_t *win =
        (const volatile uint64_t *)(PROBE_VIRT_BASE + ((unsigned long)free_l2_slot << 21));

    P("-- I: give back a frame in use as a page table");
    for (unsigned int i = 0; i < 3; i++)
        data[i][0] = MARKER(i);
    memset(t_give, 0, PAGE_SIZE);
    t_give[0] = pte_of(mfn_of(data[0]), RO);
    t_give[1] = pte_of(mfn_of(data[1]), RO);
    P("make_ro(t_give) = %s", rc_str(make_ro(t_give)));
    P("mmu_update(kernel L2 free slot := t_give as L1) = %s",
      rc_str(mmu1(kern_l2, free_l2_slot, pte_of(g, TBL))));
    P("pin t_give as L1 = %s", rc_str(mmuext(MMUEXT_PIN_L1_TABLE, g)));
    P("  reads through it: %s", yesno(win[0] == MARKER(0) && win[512] == MARKER(1)));
    long before = current_reservation();
    P("decrease_reservation(t_give: a pinned, hooked L1 table) = %s", rc_str(give_back(g)));
    P("  reservation drop right after: %ld", before - current_reservation());
    P("  the table still works: %s", yesno(win[0] == MARKER(0) && win[512] == MARKER(1)));
    P("mmu_update(t_give entry 2 := data page 2 read-only) after giving it back = %s",
      rc_str(mmu1(g, 2, pte_of(mfn_of(data[2]), RO))));
    P("  reads the new entry: %s", yesno(win[1024] == MARKER(2)));
    P("decrease_reservation(t_give) again = %s", rc_str(give_back(g)));
    P("unpin t_give = %s", rc_str(mmuext(MMUEXT_UNPIN_TABLE, g)));
    P("  the table still works (hooked in the L2): %s", yesno(win[0] == MARKER(0)));
    P("mmu_update(kernel L2 free slot := 0) = %s", rc_str(mmu1(kern_l2, free_l2_slot, 0)));
    flush();
    P("  reservation drop with the read-only mapping left: %ld", before - current_reservation());
    P("update_va_mapping(t_give's own mapping := 0) = %s", rc_str(uvm(t_give, 0)));
    P("  reservation drop once the last reference went: %ld", before - current_reservation());
    P("mmu_update(t_give entry 0 := 0) once freed = %s", rc_str(mmu1(g, 0, 0)));
    P("pin t_give as L1 once freed = %s", rc_str(mmuext(MMUEXT_PIN_L1_TABLE, g)));
    P("update_va_mapping(scratch, freed frame read-only) = %s",
      rc_str(uvm(scratch, pte_of(g, RO))));
    restore_scratch();
}

static void batches(void)
{
    const unsigned int per_page = PAGE_SIZE / sizeof(struct mmu_update);
    unsigned long page1 = mfn_of(reqbuf[1]);
    unsigned int done;
    long rc;

    P("-- J: mmu_update batches");
    /* Harmless requests: write scratch's own M2P entry. */
    for (unsigned int i = 0; i < per_page; i++) {
        reqbuf[0][i].ptr = entry_ma(scratch_mfn, 0, MMU_MACHPHYS_UPDATE);
        reqbuf[0][i].val = pfn_of(scratch);
    }
    done = 12345;
    P("mmu_update(count 0) = %s, done %u", rc_str(mmu_update(reqbuf[0], 0, &done)), done);
    P("update_va_mapping(second request page := 0) = %s", rc_str(uvm(reqbuf[1], 0)));
    done = 12345;
    rc = mmu_update(reqbuf[0], 0x7fffffff, &done);
    P("mmu_update(count 0x7fffffff, buffer runs into an unmapped page) = %s, done %u", rc_str(rc),
      done);
    done = 12345;
    rc = mmu_update(&reqbuf[0][per_page - 1], 2, &done);
    P("mmu_update(2 requests, the second in the unmapped page) = %s, done %u", rc_str(rc), done);
    done = 12345;
    rc = mmu_update((const struct mmu_update *)((unsigned long)reqbuf[1] - 8), 1, &done);
    P("mmu_update(1 request straddling into the unmapped page) = %s, done %u", rc_str(rc), done);
    P("update_va_mapping(second request page := its frame) = %s",
      rc_str(make_rw(reqbuf[1], page1)));

    reqbuf[0][3].ptr = entry_ma(0x200, 0, MMU_NORMAL_PT_UPDATE);
    reqbuf[0][3].val = 0;
    done = 12345;
    rc = mmu_update(reqbuf[0], 0x7fffffff, &done);
    P("mmu_update(count 0x7fffffff, fourth request writes hypervisor memory) = %s, done %u",
      rc_str(rc), done);
    reqbuf[0][3] = reqbuf[0][2];

    static const struct {
        const char *name;
        unsigned long ptr;
    } bad[] = {
        {"NULL", 0},
        {"0x10000000 (unmapped)", 0x10000000UL},
        {"0xffff800000001000 (hypervisor)", 0xffff800000001000UL},
        {"0x0000800000000000 (non-canonical)", 0x0000800000000000UL},
    };
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        P("mmu_update(4 requests, success count at %s) = %s", bad[i].name,
          rc_str(mmu_update(reqbuf[0], 4, (unsigned int *)bad[i].ptr)));
    }
    P("mmu_update(1 request, success count in its own read-only L4) = %s",
      rc_str(mmu_update(reqbuf[0], 1, (unsigned int *)start_info->pt_base)));
    for (unsigned int i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
        done = 12345;
        rc = mmu_update((const struct mmu_update *)bad[i].ptr, 1, &done);
        P("mmu_update(requests at %s) = %s, done %u", bad[i].name, rc_str(rc), done);
    }
    done = 12345;
    rc = mmu_update(reqbuf[0], 0x80000000U, &done);
    P("mmu_update(count MMU_UPDATE_PREEMPTED alone) = %s, done %u", rc_str(rc), done);

    /* mmuext_op: the same kind of batch. */
    static struct mmuext_op ops[PAGE_SIZE / sizeof(struct mmuext_op) + 1];
    for (unsigned int i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        ops[i].cmd = MMUEXT_TLB_FLUSH_LOCAL;
    ops[5].cmd = MMUEXT_UNPIN_TABLE;
    ops[5].arg1.mfn = mfn_of(data[0]);
    done = 12345;
    rc = hypercall4(__HYPERVISOR_mmuext_op, (unsigned long)ops, 0x7fffffff, (unsigned long)&done,
                    DOMID_SELF);
    P("mmuext_op(count 0x7fffffff, sixth op unpins a data page) = %s, done %u", rc_str(rc), done);
}

static void bad_addresses(void)
{
    static const struct {
        const char *name;
        unsigned long va;
    } vas[] = {
        {"0xffff800000000000 (hypervisor, first)", 0xffff800000000000UL},
        {"0xffff830000000000 (hypervisor, direct map)", 0xffff830000000000UL},
        {"0xffff87fffffff000 (hypervisor, last)", 0xffff87fffffff000UL},
        {"0x0000800000000000 (non-canonical, first)", 0x0000800000000000UL},
        {"0xffff7ffffffff000 (non-canonical, last)", 0xffff7ffffffff000UL},
        {"0x8000000000000000 (non-canonical)", 0x8000000000000000UL},
    };

    P("-- K: update_va_mapping on hypervisor and non-canonical addresses");
    for (unsigned int i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
        P("update_va_mapping(%s, own frame RW) = %s", vas[i].name,
          rc_str(HYPERVISOR_update_va_mapping(vas[i].va, pte_of(scratch_mfn, RW), UVMF_INVLPG)));
        P("update_va_mapping(%s, 0) = %s", vas[i].name,
          rc_str(HYPERVISOR_update_va_mapping(vas[i].va, 0, UVMF_INVLPG)));
    }
    P("mmuext INVLPG_LOCAL(0xffff800000000000) = %s",
      rc_str(mmuext(MMUEXT_INVLPG_LOCAL, 0xffff800000000000UL)));
    P("mmuext INVLPG_ALL(0x0000800000000000) = %s",
      rc_str(mmuext(MMUEXT_INVLPG_ALL, 0x0000800000000000UL)));

    /* XSA-212: XENMEM_exchange writing its output list into hypervisor memory. */
    static xen_pfn_t in_list[1];
    struct xen_memory_exchange exch = {
        .in = {.nr_extents = 1, .domid = DOMID_SELF},
        .out = {.nr_extents = 1, .domid = DOMID_SELF},
    };
    in_list[0] = pfn_of(data[3]);
    set_xen_guest_handle(exch.in.extent_start, in_list);
    set_xen_guest_handle(exch.out.extent_start, (xen_pfn_t *)0xffff800000001000UL);
    P("memory_op(XENMEM_exchange, output list in hypervisor memory) = %s, nr_exchanged %lu",
      rc_str(HYPERVISOR_memory_op(XENMEM_exchange, &exch)), (unsigned long)exch.nr_exchanged);
}

/* ---- dom0's watch while a domU attacks (t-mmu-hostile-domu.sh) ---- */

static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        h = (h ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
    return h;
}

/* A digest of what dom0 owns: its L4's guest slots, every leaf entry of its initial mapping
   (which also covers its page tables), and whether each of its frames is still its own. */
static uint64_t digest(unsigned long end, unsigned long *not_owned)
{
    const uint64_t *l4 = (const uint64_t *)start_info->pt_base;
    uint64_t h = 0xcbf29ce484222325ULL;

    for (unsigned int i = 0; i < 512; i++) {
        if (i < 256 || i >= 272)
            h = fnv(h, l4[i] & ~(_PAGE_ACCESSED | _PAGE_DIRTY));
    }
    for (unsigned long va = PROBE_VIRT_BASE; va < end; va += PAGE_SIZE)
        h = fnv(h, probe_leaf_pte(va) & ~(_PAGE_ACCESSED | _PAGE_DIRTY));
    *not_owned = 0;
    for (unsigned long pfn = 0; pfn < start_info->nr_pages; pfn++)
        *not_owned += !owned(probe_pfn_to_mfn(pfn));
    return h;
}

static void guard(void)
{
    unsigned long end = probe_mapping_end(), lost0, lost1;

    for (unsigned int i = 0; i < 4; i++)
        data[i][1] = MARKER(0x10 + i);
    uint64_t before = digest(end, &lost0);
    P("dom0: guarding %lu pages of mappings, %lu frames not its own", (end - PROBE_VIRT_BASE) >> 12,
      lost0);
    for (int t = 0; t < 20; t++) {
        P("dom0: tick %d", t);
        for (int i = 0; i < 100; i++)
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    uint64_t after = digest(end, &lost1);
    int markers = 1;
    for (unsigned int i = 0; i < 4; i++)
        markers &= data[i][1] == MARKER(0x10 + i);
    P("dom0: page tables as before: %s; frames all still its own: %s; memory intact: %s",
      yesno(before == after), yesno(lost1 == 0), yesno(markers));
    P("dom0: can still map and unmap: %s",
      yesno(uvm(scratch, 0) == 0 && uvm(scratch, pte_of(scratch_mfn, RW)) == 0 &&
            (scratch[0] = 7) == 7));
    P("dom0: a second domain unharmed: %s",
      yesno(before == after && lost1 == 0 && markers && scratch[0] == 7));
}

int main(void)
{
    char word[8];

    max_ram_page = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);
    scratch[0] = 1;
    for (unsigned int i = 0; i < 4; i++)
        data[i][0] = MARKER(i);
    scratch_mfn = mfn_of(scratch);

    if ((start_info->flags & SIF_INITDOMAIN) && cmdline_get("guard", word, sizeof(word)) >= 0) {
        guard();
        probe_done();
        return 0;
    }

    /* A domU lets a guarding dom0 record its state first (t-mmu-hostile-domu.sh). */
    if (!(start_info->flags & SIF_INITDOMAIN)) {
        for (int i = 0; i < 200; i++)
            HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    }
    cur_l4 = mfn_of((const void *)start_info->pt_base);
    kern_l3 = (((const uint64_t *)start_info->pt_base)[511] & PTE_FRAME_MASK) >> PAGE_SHIFT;
    kern_l2 = (table_entry(kern_l3, (PROBE_VIRT_BASE >> 30) & 511) & PTE_FRAME_MASK) >> PAGE_SHIFT;
    uint64_t l2e = table_entry(kern_l2, (((unsigned long)scratch) >> 21) & 511);
    scratch_l1 = (l2e & PTE_FRAME_MASK) >> PAGE_SHIFT;
    free_l2_slot = (unsigned int)(((probe_mapping_end() + (1UL << 21) - 1) >> 21) & 511);
    P("setup: scratch owned: %s; tables found: %s; free L2 slot empty: %s",
      yesno(owned(scratch_mfn)),
      yesno(owned(cur_l4) && owned(kern_l3) && owned(kern_l2) && owned(scratch_l1)),
      yesno(free_l2_slot != 0 && !(table_entry(kern_l2, free_l2_slot) & _PAGE_PRESENT)));

    own_tables_writable();
    writable_into_table();
    not_owned();
    hypervisor_slots();
    superpages_and_bits();
    linear_entries();
    unpin_unpinned();
    bad_baseptr();
    give_back_table();
    batches();
    bad_addresses();
    P("after all attacks: scratch writable: %s; data intact: %s", yesno((scratch[0] = 9) == 9),
      yesno(data[0][0] == MARKER(0) && data[3][0] == MARKER(3)));
    probe_done();
    return 0;
}
