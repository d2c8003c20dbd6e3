/*
 * test=mm: the guest kernel's memory management (core/mm.c), exercised
 * through its public interface, one line per step, each ending in "(ok)"
 * or "(FAILED)". The lines are the same on Xen 4.17 and on mica except for
 * values (PFNs, MFNs, addresses, counts); tests/system/t-guest-mm.sh checks
 * them on both.
 *
 * test=rowrite: a plain write to a page mapped read-only, which the page-
 * fault handler reports as fatal.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xen/errno.h>

#include <arch/cpu.h>
#include <arch/mm_layout.h>
#include <arch/page.h>
#include <arch/probe.h>
#include <pvguest/boot.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>

#include "selftest.h"

static int failures;

static const char *verdict(int ok)
{
    if (!ok)
        failures++;
    return ok ? "ok" : "FAILED";
}

static unsigned long frame_of(uint64_t pte)
{
    return (unsigned long)((pte & PTE_FRAME_MASK) >> PAGE_SHIFT);
}

static long current_reservation(void)
{
    domid_t self = DOMID_SELF;

    return HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
}

/* Whether a one-byte read at `va` faults as a not-present read (#PF, error code 0). */
static int read_faults(const void *va, unsigned long *error_code)
{
    uint8_t v;

    if (probe_read_u8(va, &v) != -XEN_EFAULT)
        return 0;
    *error_code = probe_last_fault.error_code;
    return probe_last_fault.vector == 14 && probe_last_fault.address == (unsigned long)va;
}

static unsigned long tables_made(void)
{
    return mm_stats.tables_created[1] + mm_stats.tables_created[2] + mm_stats.tables_created[3] +
           mm_stats.tables_created[4];
}

/* ---- what mm_init found ---- */

static void test_init(void)
{
    const struct mm_stats *s = &mm_stats;
    unsigned long last = s->managed_pages - 1;
    uint64_t pte = mm_lookup((unsigned long)pfn_to_virt(last));
    volatile uint64_t *p = pfn_to_virt(last);

    printf("pvguest: mm: %lu pages; initial mapping pfn 0-%#lx (%lu MiB), first free pfn %#lx; "
           "direct map of %lu pages, %lu free (%s)\n",
           s->total_pages, s->initial_pages - 1, s->initial_pages >> (20 - PAGE_SHIFT),
           s->first_free_pfn, s->managed_pages, s->free_pages,
           verdict(mm_ready() && s->initial_pages % (4UL << (20 - PAGE_SHIFT)) == 0 &&
                   s->managed_pages ==
                       (s->total_pages - MM_WIRING_PAGES < (DIRECTMAP_SIZE >> PAGE_SHIFT)
                            ? s->total_pages - MM_WIRING_PAGES
                            : DIRECTMAP_SIZE >> PAGE_SHIFT) &&
                   s->free_pages > s->managed_pages / 2));
    printf("pvguest: mm: direct map: pfn %#lx at %p -> mfn %#lx, p2m says %#lx, m2p says pfn %#lx "
           "(%s)\n",
           last, (void *)p, frame_of(pte), pfn_to_mfn(last), mfn_to_pfn(frame_of(pte)),
           verdict((pte & _PAGE_PRESENT) && (pte & _PAGE_RW) && frame_of(pte) == pfn_to_mfn(last) &&
                   mfn_to_pfn(frame_of(pte)) == last));
}

/* ---- the page allocator ---- */

static void test_alloc(void)
{
    unsigned long free0 = mm_stats.free_pages;
    long a = page_alloc(), b = page_alloc(), c = page_alloc();
    int zero = 1;

    for (long *q = (long[]){a, b, c}, i = 0; i < 3; i++) {
        const uint64_t *page = q[i] >= 0 ? pfn_to_virt((unsigned long)q[i]) : NULL;

        for (unsigned long w = 0; page && w < PAGE_SIZE / 8; w++)
            zero &= page[w] == 0;
        if (!page)
            zero = 0;
    }
    unsigned long taken = free0 - mm_stats.free_pages;
    page_free((unsigned long)a);
    page_free((unsigned long)b);
    page_free((unsigned long)c);
    printf("pvguest: alloc: pfns %#lx %#lx %#lx, zeroed, distinct; free pages -%lu, back after "
           "page_free (%s)\n",
           a, b, c, taken,
           verdict(a >= 0 && b >= 0 && c >= 0 && a != b && b != c && a != c && zero && taken == 3 &&
                   mm_stats.free_pages == free0));
}

/* ---- the tables made for the kernel's areas ---- */

static void test_tables(void)
{
    unsigned long l4 = mm_table_mfn(HEAP_START, 4);
    unsigned long l3 = mm_table_mfn(HEAP_START, 3);
    unsigned long l2 = mm_table_mfn(HEAP_START, 2);
    unsigned long l1 = mm_table_mfn(HEAP_START, 1);
    int read_only = 1;

    for (unsigned long mfn = l3, level = 3; level >= 1; level--) {
        uint64_t pte = mm_lookup((unsigned long)pfn_to_virt(mfn_to_pfn(mfn)));

        read_only &= (pte & _PAGE_PRESENT) && !(pte & _PAGE_RW);
        mfn = level == 3 ? l2 : l1;
    }
    printf("pvguest: tables: heap at %#lx: L4 mfn %#lx slot %lu -> L3 mfn %#lx -> L2 mfn %#lx -> "
           "L1 mfn %#lx, each read-only in the direct map (%s)\n",
           HEAP_START, l4, PT_INDEX(HEAP_START, 4), l3, l2, l1,
           verdict(l4 && l3 && l2 && l1 && read_only));
    printf("pvguest: tables: made since boot: L3 %lu, L2 %lu, L1 %lu (%s)\n",
           mm_stats.tables_created[3], mm_stats.tables_created[2], mm_stats.tables_created[1],
           verdict(mm_stats.tables_created[3] >= 1 && mm_stats.tables_created[2] >= 1 &&
                   mm_stats.tables_created[1] >= 1));
}

/* ---- the heap: sbrk and malloc ---- */

static void test_heap(void)
{
    struct mm_stats s0 = mm_stats;
    unsigned long ec = 0;
    char *old = sbrk(0);
    char *base = sbrk(64 * 1024);
    unsigned long pages_in = mm_stats.heap_pages - s0.heap_pages;
    unsigned long calls = mm_stats.mmu_update_calls - s0.mmu_update_calls;
    unsigned long new_tables = mm_stats.tables_created[1] - s0.tables_created[1];
    int ok = base == old && base != (char *)-1;

    if (ok) {
        memset(base, 0x5a, 64 * 1024);
        ok = base[0] == 0x5a && base[64 * 1024 - 1] == 0x5a;
    }
    printf("pvguest: heap: break at %p; sbrk(64 KiB) maps %lu pages with %lu mmu_update "
           "call(s) (%lu for new tables) (%s)\n",
           (void *)old, pages_in, calls, new_tables,
           verdict(ok && pages_in >= 15 && pages_in <= 17 && calls == 1 + new_tables));

    struct mm_stats s1 = mm_stats;
    char *back = sbrk(-64 * 1024);
    unsigned long pages_out = s1.heap_pages - mm_stats.heap_pages;
    char *top = (char *)(((unsigned long)old + PAGE_SIZE - 1) & PAGE_MASK) + 2 * PAGE_SIZE;
    int faulted = read_faults(top, &ec);
    printf("pvguest: heap: sbrk(-64 KiB) unmaps %lu pages with %lu multicall (mmu_update + TLB "
           "flush) and frees them; a read there faults, error code %#lx (%s)\n",
           pages_out, mm_stats.multicalls - s1.multicalls, ec,
           verdict(back == base + 64 * 1024 && sbrk(0) == old && pages_out == pages_in &&
                   mm_stats.free_pages == s1.free_pages + pages_out &&
                   mm_stats.multicalls == s1.multicalls + 1 && faulted && ec == 0));

    /*
     * GCC assumes malloc() changes no memory of ours, so without the
     * barriers it may read the counters on the wrong side of the call.
     */
    struct mm_stats s2 = mm_stats;
    size_t big = 16UL << 20;
    barrier();
    unsigned char *p = malloc(big);
    barrier();
    int written = 0;
    if (p) {
        memset(p, 0xa5, big);
        written = 1;
        for (size_t i = 0; i < big; i += PAGE_SIZE / 2)
            written &= p[i] == 0xa5;
    }
    unsigned long mapped = mm_stats.heap_pages - s2.heap_pages;
    unsigned long big_calls = mm_stats.mmu_update_calls - s2.mmu_update_calls;
    unsigned long big_tables = mm_stats.tables_created[1] - s2.tables_created[1];
    printf("pvguest: heap: malloc(16 MiB) -> %s: %lu pages mapped with %lu mmu_update calls "
           "(%lu entries, %lu new L1 tables), written and read back (%s)\n",
           p ? "ok" : "NULL", mapped, big_calls, mm_stats.pte_updates - s2.pte_updates, big_tables,
           verdict(p && written && mapped >= big / PAGE_SIZE &&
                   big_calls <= mapped / MM_BATCH + 1 + big_tables && big_tables >= 7));
    free(p);

    struct mm_stats s3 = mm_stats;
    size_t huge = (mm_stats.free_pages + 1024) * PAGE_SIZE;
    barrier();
    void *q = malloc(huge);
    barrier();
    printf("pvguest: heap: malloc(%zu MiB), more than is free -> %s; heap and free pages "
           "unchanged (%s)\n",
           huge >> 20, q ? "not NULL" : "NULL",
           verdict(!q && mm_stats.heap_pages == s3.heap_pages &&
                   mm_stats.free_pages == s3.free_pages));
    free(q);
}

/* ---- lazy (demand-zero) areas ---- */

#define LAZY_PAGES   1024 /* 4 MiB */
#define LAZY_TOUCHED 64   /* every 16th page */

static void test_lazy(void)
{
    unsigned long free0 = mm_stats.free_pages;
    unsigned long faults0 = mm_stats.lazy_faults;
    unsigned long tables0 = tables_made();
    volatile uint8_t *area = lazy_alloc(LAZY_PAGES * PAGE_SIZE);
    int zero = 1, kept = 1;

    if (!area) {
        printf("pvguest: lazy: lazy_alloc(4 MiB) failed (%s)\n", verdict(0));
        return;
    }
    unsigned long before = mm_lookup((unsigned long)area) & _PAGE_PRESENT;
    for (int i = 0; i < LAZY_TOUCHED; i++) {
        volatile uint8_t *page = area + (unsigned long)i * 16 * PAGE_SIZE;

        zero &= page[0] == 0 && page[PAGE_SIZE - 1] == 0;
        page[1] = (uint8_t)(i + 1);
    }
    unsigned long faults = mm_stats.lazy_faults - faults0;
    printf("pvguest: lazy: 4 MiB at %p, nothing mapped; %d pages touched: %lu demand-zero faults, "
           "every page read as zero (%s)\n",
           (void *)area, LAZY_TOUCHED, faults, verdict(!before && faults == LAZY_TOUCHED && zero));

    for (int i = 0; i < LAZY_TOUCHED; i++)
        kept &= area[(unsigned long)i * 16 * PAGE_SIZE + 1] == (uint8_t)(i + 1);
    printf("pvguest: lazy: a second pass reads what was written, no new fault (%s)\n",
           verdict(kept && mm_stats.lazy_faults - faults0 == LAZY_TOUCHED));

    struct mm_stats s1 = mm_stats;
    long freed = lazy_free((void *)area);
    unsigned long tables = tables_made() - tables0;
    printf("pvguest: lazy: lazy_free -> %ld pages unmapped (%lu multicall) and freed; free pages "
           "as before but %lu new table(s) (%s)\n",
           freed, mm_stats.multicalls - s1.multicalls, tables,
           verdict(freed == LAZY_TOUCHED && mm_stats.multicalls - s1.multicalls >= 1 &&
                   mm_stats.free_pages + tables == free0));

    unsigned long ec = 0;
    int faulted = read_faults((const void *)(area + 16 * PAGE_SIZE), &ec);
    printf("pvguest: lazy: a read after lazy_free faults: #PF error code %#lx, not served (%s)\n",
           ec, verdict(faulted && ec == 0 && mm_stats.lazy_faults == s1.lazy_faults));
}

/* ---- read-only mappings ---- */

static void test_read_only(void)
{
    long pfn = page_alloc();
    uint8_t *direct = pfn >= 0 ? pfn_to_virt((unsigned long)pfn) : NULL;
    uint8_t v = 0;

    if (!direct) {
        printf("pvguest: read-only: page_alloc failed (%s)\n", verdict(0));
        return;
    }
    direct[0] = 0x11;
    unsigned long upfn = (unsigned long)pfn;
    uint8_t *ro = vmap(&upfn, 1, MM_READ);
    uint64_t pte = ro ? mm_lookup((unsigned long)ro) : 0;
    int read_ok = ro && probe_read_u8(ro, &v) == 0 && v == 0x11;
    printf("pvguest: read-only: pfn %#lx mapped read-only at %p (pte flags %#lx): reads %#x (%s)\n",
           upfn, (void *)ro, (unsigned long)(pte & 0xfff), v,
           verdict(read_ok && (pte & _PAGE_PRESENT) && !(pte & _PAGE_RW) &&
                   frame_of(pte) == pfn_to_mfn(upfn)));
    if (!ro)
        return;

    long rc = probe_write_u8(ro, 0x22);
    printf("pvguest: read-only: a write faults: %ld, #PF error code %#lx at the page, memory "
           "unchanged (%s)\n",
           rc, probe_last_fault.error_code,
           verdict(rc == -XEN_EFAULT && probe_last_fault.vector == 14 &&
                   probe_last_fault.error_code == (PF_PRESENT | PF_WRITE) &&
                   probe_last_fault.address == (unsigned long)ro && direct[0] == 0x11));

    long prc = mm_protect((unsigned long)ro, MM_WRITE);
    rc = probe_write_u8(ro, 0x33);
    printf("pvguest: read-only: made writable (update_va_mapping -> %ld): the write lands, %#x in "
           "the direct map (%s)\n",
           prc, direct[0], verdict(prc == 0 && rc == 0 && direct[0] == 0x33));

    prc = mm_protect((unsigned long)ro, MM_READ);
    rc = probe_write_u8(ro, 0x44);
    printf("pvguest: read-only: read-only again (-> %ld): a write faults again (%s)\n", prc,
           verdict(prc == 0 && rc == -XEN_EFAULT && direct[0] == 0x33));

    unsigned long out = MM_NO_PFN;
    long n = mm_unmap((unsigned long)ro, 1, &out);
    page_free(upfn);
    printf("pvguest: read-only: unmapped (%ld entry, pfn %#lx), page freed (%s)\n", n, out,
           verdict(n == 1 && out == upfn && mm_lookup((unsigned long)ro) == 0));
}

/* ---- batches: one mmu_update for many entries, a multicall ---- */

#define MC_PAGES 16

static void test_batches(void)
{
    static unsigned long pfns[MM_BATCH];
    unsigned long out[MC_PAGES];
    int ok = 1, contents = 1;

    for (int i = 0; i < MM_BATCH; i++) {
        long pfn = page_alloc();

        ok &= pfn >= 0;
        pfns[i] = pfn >= 0 ? (unsigned long)pfn : 0;
        if (pfn >= 0)
            *(uint32_t *)pfn_to_virt(pfns[i]) = 0x1000u + (unsigned)i;
    }
    /* Tables first, so that the batch is one call: map and unmap the first and the last page. */
    unsigned long va = vmap_reserve(MM_BATCH);
    unsigned long last = va + (MM_BATCH - 1) * PAGE_SIZE;
    ok &= va != 0 && mm_map(va, pfns, 1, MM_WRITE) == 0 && mm_map(last, pfns, 1, MM_WRITE) == 0 &&
          mm_unmap(va, 1, NULL) == 1 && mm_unmap(last, 1, NULL) == 1;

    struct mm_stats s0 = mm_stats;
    long rc = ok ? mm_map(va, pfns, MM_BATCH, MM_WRITE) : -1;
    for (int i = 0; rc == 0 && i < MM_BATCH; i++)
        contents &=
            *(volatile uint32_t *)(va + (unsigned long)i * PAGE_SIZE) == 0x1000u + (unsigned)i;
    printf("pvguest: batch: %d entries in one mmu_update -> %ld (%lu call, %lu entries); each "
           "page shows its frame (%s)\n",
           MM_BATCH, rc, mm_stats.mmu_update_calls - s0.mmu_update_calls,
           mm_stats.pte_updates - s0.pte_updates,
           verdict(ok && rc == 0 && contents &&
                   mm_stats.mmu_update_calls - s0.mmu_update_calls == 1 &&
                   mm_stats.pte_updates - s0.pte_updates == MM_BATCH));

    struct mm_stats s1 = mm_stats;
    long n = mm_unmap(va, MM_BATCH, pfns);
    unsigned long ec = 0;
    int faulted = read_faults((const void *)(va + 7 * PAGE_SIZE), &ec);
    printf("pvguest: batch: unmap %ld entries in one multicall (one mmu_update + TLB flush); a "
           "read faults, error code %#lx (%s)\n",
           n, ec,
           verdict(n == MM_BATCH && mm_stats.multicalls - s1.multicalls == 1 &&
                   mm_stats.mmu_update_calls - s1.mmu_update_calls == 1 && faulted && ec == 0));

    /* A multicall of update_va_mapping calls, one per page. */
    unsigned long mva = vmap_reserve(MC_PAGES);
    unsigned long mlast = mva + (MC_PAGES - 1) * PAGE_SIZE;
    ok = mva != 0 && mm_map(mva, pfns, 1, MM_WRITE) == 0 && mm_map(mlast, pfns, 1, MM_WRITE) == 0 &&
         mm_unmap(mva, 1, NULL) == 1 && mm_unmap(mlast, 1, NULL) == 1;
    struct mm_stats s2 = mm_stats;
    rc = ok ? mm_map_multicall(mva, pfns + 100, MC_PAGES, MM_READ) : -1;
    contents = 1;
    for (int i = 0; rc == 0 && i < MC_PAGES; i++)
        contents &= *(volatile uint32_t *)(mva + (unsigned long)i * PAGE_SIZE) ==
                    0x1000u + 100 + (unsigned)i;
    printf("pvguest: multicall: %d update_va_mapping in one multicall -> %ld (%lu multicall); "
           "each page shows its frame (%s)\n",
           MC_PAGES, rc, mm_stats.multicalls - s2.multicalls,
           verdict(rc == 0 && contents && mm_stats.multicalls - s2.multicalls == 1 &&
                   mm_stats.mmu_update_calls == s2.mmu_update_calls));

    n = mm_unmap(mva, MC_PAGES, out);
    int same = 1;
    for (int i = 0; i < MC_PAGES; i++)
        same &= out[i] == pfns[100 + i];
    printf("pvguest: multicall: unmapped %ld, the PFNs read back from the entries match (%s)\n", n,
           verdict(n == MC_PAGES && same));

    /*
     * A batch that fails part-way: the 5th of 8 requests maps this very L1
     * table writable, which no hypervisor may allow (docs/abi.md, "Typed
     * frames"). mmu_update stops there, with the success count at 4.
     */
    unsigned long fva = vmap_reserve(8);
    unsigned long flast = fva + 7 * PAGE_SIZE;
    ok = fva != 0 && mm_map(fva, pfns, 1, MM_WRITE) == 0 && mm_map(flast, pfns, 1, MM_WRITE) == 0 &&
         mm_unmap(fva, 1, NULL) == 1 && mm_unmap(flast, 1, NULL) == 1 &&
         mm_table_mfn(fva, 1) == mm_table_mfn(flast, 1);
    unsigned long l1 = mm_table_mfn(fva, 1);
    mmu_update_t req[8];
    for (int i = 0; i < 8; i++) {
        req[i].ptr = ((uint64_t)l1 << PAGE_SHIFT) + PT_INDEX(fva, 1) * 8 + (uint64_t)i * 8;
        req[i].val = ((uint64_t)pfn_to_mfn(pfns[200 + i]) << PAGE_SHIFT) | PTE_KERNEL_RW;
    }
    req[4].val = ((uint64_t)l1 << PAGE_SHIFT) | PTE_KERNEL_RW;
    unsigned int done = 99;
    rc = ok ? HYPERVISOR_mmu_update(req, 8, &done, DOMID_SELF) : 0;
    int applied = 1;
    for (int i = 0; i < 8; i++)
        applied &= !!(mm_lookup(fva + (unsigned long)i * PAGE_SIZE) & _PAGE_PRESENT) == (i < 4);
    n = mm_unmap(fva, 8, NULL);
    printf("pvguest: batch: 8 entries, the 5th maps the L1 table itself writable -> %ld, success "
           "count %u: the first 4 are mapped, the rest not (%s)\n",
           rc, done, verdict(ok && rc < 0 && done == 4 && applied && n == 4));

    for (int i = 0; i < MM_BATCH; i++)
        page_free(pfns[i]);
}

/* ---- giving a frame back to the hypervisor and getting a new one ---- */

static void test_reservation(void)
{
    long pfn = page_alloc();
    long cur0 = current_reservation();

    if (pfn < 0) {
        printf("pvguest: reservation: page_alloc failed (%s)\n", verdict(0));
        return;
    }
    unsigned long upfn = (unsigned long)pfn;
    unsigned long old_mfn = pfn_to_mfn(upfn);
    long rc = mm_give_back(upfn);
    long cur1 = current_reservation();
    unsigned long ec = 0;
    int faulted = read_faults(pfn_to_virt(upfn), &ec);
    printf(
        "pvguest: reservation: decrease_reservation(mfn %#lx of pfn %#lx) -> %ld: %ld -> %ld "
        "pages, the direct map no longer maps it (%s)\n",
        old_mfn, upfn, rc, cur0, cur1,
        verdict(rc == 0 && cur1 == cur0 - 1 && faulted && pfn_to_mfn(upfn) == INVALID_P2M_ENTRY));

    long mfn = mm_repopulate(upfn);
    long cur2 = current_reservation();
    volatile uint64_t *page = pfn_to_virt(upfn);
    int rw = 0;
    if (mfn > 0) {
        page[3] = 0x1234;
        rw = page[3] == 0x1234;
    }
    printf("pvguest: reservation: populate_physmap(pfn %#lx) -> mfn %#lx: %ld pages, m2p says pfn "
           "%#lx, mapped again (%s)\n",
           upfn, mfn, cur2, mfn > 0 ? mfn_to_pfn((unsigned long)mfn) : 0UL,
           verdict(mfn > 0 && cur2 == cur0 && mfn_to_pfn((unsigned long)mfn) == upfn &&
                   pfn_to_mfn(upfn) == (unsigned long)mfn && rw));
    if (mfn > 0)
        page_free(upfn);
}

int selftest_mm(void)
{
    failures = 0;
    printf("pvguest: test mm: start\n");
    if (!mm_ready()) {
        printf("pvguest: mm: not initialised (%s)\n", verdict(0));
    } else {
        test_init();
        test_alloc();
        test_heap();
        test_tables();
        test_lazy();
        test_read_only();
        test_batches();
        test_reservation();
        const struct mm_stats *s = &mm_stats;
        printf("pvguest: mm: %lu mmu_update calls (%lu entries), %lu update_va_mapping, %lu "
               "multicalls, %lu demand-zero faults; tables made: L3 %lu, L2 %lu, L1 %lu; %lu "
               "heap pages, %lu free\n",
               s->mmu_update_calls, s->pte_updates, s->uvm_calls, s->multicalls, s->lazy_faults,
               s->tables_created[3], s->tables_created[2], s->tables_created[1], s->heap_pages,
               s->free_pages);
    }
    if (failures)
        printf("pvguest: test mm: FAILED (%d checks)\n", failures);
    else
        printf("pvguest: test mm: passed\n");
    return failures ? 1 : 0;
}

int selftest_mm_rowrite(void)
{
    long pfn = page_alloc();
    unsigned long upfn = (unsigned long)pfn;
    volatile uint8_t *ro = pfn >= 0 ? vmap(&upfn, 1, MM_READ) : NULL;

    if (!ro) {
        printf("pvguest: test rowrite: could not map a page (FAILED)\n");
        return 1;
    }
    printf("pvguest: test rowrite: writing to %p, mapped read-only\n", (void *)ro);
    fflush(stdout);
    *ro = 1;
    printf("pvguest: test rowrite: no exception (FAILED)\n");
    return 1;
}
