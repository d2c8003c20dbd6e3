/*
 * Memory management of the guest kernel through Xen's PV MMU hypercalls
 * (xen.h: mmu_update, update_va_mapping, mmuext_op, multicall; memory.h:
 * decrease_reservation, populate_physmap). Interface and rules: pvguest/mm.h;
 * layout: arch/mm_layout.h; docs/pvguest.md, "Memory management".
 *
 * The guest never writes a page table itself: every table is mapped
 * read-only (the builder's, and each one made here), and every entry is
 * written by the hypervisor, which validates it (docs/abi.md, "Typed
 * frames"). Tables are read through the direct map: an entry's MFN gives
 * the PFN through the M2P table, and the PFN the address.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <xen/errno.h>

#include <arch/mm_layout.h>
#include <arch/page.h>
#include <pvguest/boot.h>
#include <pvguest/console.h>
#include <pvguest/hypercall.h>
#include <pvguest/mm.h>

#define DIRECTMAP_PAGES (DIRECTMAP_SIZE >> PAGE_SHIFT)
#define BITS_PER_LONG   64
#define MAX_LAZY_AREAS  16
#define MAX_MULTICALL   64

struct mm_stats mm_stats;

static bool up;
/* Set while an mm operation runs, so a page fault inside one is not served. */
static bool busy;
/* PFNs below this are mapped in the direct map (grows during mm_init). */
static unsigned long mapped_pfns;
/* One bit per PFN below DIRECTMAP_PAGES: set = free. */
static unsigned long free_map[DIRECTMAP_PAGES / BITS_PER_LONG];
static unsigned long free_hint;

/* The pending batch of mmu_update requests (batch_add, batch_flush). */
static mmu_update_t batch[MM_BATCH];
static unsigned int batch_len;

static unsigned long heap_brk = HEAP_START;
static unsigned long heap_mapped = HEAP_START;
static unsigned long vmap_next = VMAP_START;

struct lazy_area {
    unsigned long start, end; /* end == 0: slot unused */
};
static struct lazy_area lazy_areas[MAX_LAZY_AREAS];
static unsigned long lazy_next = LAZY_START;

/* ---- frames and addresses ---- */

unsigned long pfn_to_mfn(unsigned long pfn)
{
    return ((const unsigned long *)start_info->mfn_list)[pfn];
}

unsigned long mfn_to_pfn(unsigned long mfn)
{
    return machine_to_phys_mapping[mfn];
}

void *pfn_to_virt(unsigned long pfn)
{
    return (void *)(KERNEL_VIRT_BASE + (pfn << PAGE_SHIFT));
}

unsigned long virt_to_pfn(const void *va)
{
    return ((unsigned long)va - KERNEL_VIRT_BASE) >> PAGE_SHIFT;
}

static uint64_t pte_of(unsigned long pfn, uint64_t flags)
{
    return ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | flags;
}

static uint64_t leaf_flags(enum mm_prot prot)
{
    return prot == MM_WRITE ? PTE_KERNEL_RW : PTE_KERNEL_RO;
}

/* Machine address of a page-table entry read through the direct map (xen.h: mmu_update ptr). */
static uint64_t entry_maddr(const uint64_t *entry)
{
    return ((uint64_t)pfn_to_mfn(virt_to_pfn(entry)) << PAGE_SHIFT) |
           ((unsigned long)entry & ~PAGE_MASK);
}

/*
 * The table entry `e` points at, through the direct map; NULL if the entry
 * is not present or its frame is not one of this domain's mapped PFNs.
 */
static uint64_t *entry_table(uint64_t e)
{
    unsigned long mfn = (e & PTE_FRAME_MASK) >> PAGE_SHIFT;
    unsigned long pfn;

    if (!(e & _PAGE_PRESENT))
        return NULL;
    pfn = mfn_to_pfn(mfn);
    if (pfn >= mapped_pfns || pfn_to_mfn(pfn) != mfn)
        return NULL;
    return pfn_to_virt(pfn);
}

/* ---- the page allocator ---- */

static void mark_free(unsigned long pfn)
{
    free_map[pfn / BITS_PER_LONG] |= 1UL << (pfn % BITS_PER_LONG);
    mm_stats.free_pages++;
    if (pfn < free_hint)
        free_hint = pfn;
}

/* The lowest free PFN, taken; MM_NO_PFN if none. */
static unsigned long take_free(void)
{
    for (unsigned long w = free_hint / BITS_PER_LONG; w < DIRECTMAP_PAGES / BITS_PER_LONG; w++) {
        if (free_map[w] == 0)
            continue;
        unsigned long bit = (unsigned long)__builtin_ctzl(free_map[w]);
        free_map[w] &= ~(1UL << bit);
        mm_stats.free_pages--;
        free_hint = w * BITS_PER_LONG + bit;
        return free_hint;
    }
    free_hint = DIRECTMAP_PAGES;
    return MM_NO_PFN;
}

long page_alloc(void)
{
    unsigned long pfn = take_free();

    if (pfn == MM_NO_PFN)
        return -XEN_ENOMEM;
    memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
    return (long)pfn;
}

void page_free(unsigned long pfn)
{
    /* Not a managed page, already free, or given back (no frame): ignored. */
    if (pfn < mapped_pfns && !(free_map[pfn / BITS_PER_LONG] & (1UL << (pfn % BITS_PER_LONG))) &&
        pfn_to_mfn(pfn) != INVALID_P2M_ENTRY)
        mark_free(pfn);
}

/* ---- hypercall helpers, counted ---- */

static long uvm(unsigned long va, uint64_t pte, unsigned long flags)
{
    mm_stats.uvm_calls++;
    return HYPERVISOR_update_va_mapping(va, pte, flags);
}

static long mmu_update_one(uint64_t maddr, uint64_t val)
{
    mmu_update_t req = {.ptr = maddr | MMU_NORMAL_PT_UPDATE, .val = val};

    mm_stats.mmu_update_calls++;
    long rc = HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF);
    if (rc == 0)
        mm_stats.pte_updates++;
    return rc;
}

/* Write the pending batch with one mmu_update. */
static long batch_flush(void)
{
    unsigned int done = 0;
    long rc;

    if (batch_len == 0)
        return 0;
    mm_stats.mmu_update_calls++;
    rc = HYPERVISOR_mmu_update(batch, batch_len, &done, DOMID_SELF);
    mm_stats.pte_updates += done;
    batch_len = 0;
    return rc;
}

/*
 * Write the pending batch and flush the TLB, both in one multicall: the
 * entries may have been present (an L1 change through mmu_update is not
 * flushed by the hypervisor).
 */
static long batch_flush_tlb(void)
{
    unsigned int done = 0;
    struct mmuext_op flush = {.cmd = MMUEXT_TLB_FLUSH_LOCAL};
    multicall_entry_t calls[2] = {
        {.op = __HYPERVISOR_mmu_update,
         .args = {(unsigned long)batch, batch_len, (unsigned long)&done, DOMID_SELF}},
        {.op = __HYPERVISOR_mmuext_op, .args = {(unsigned long)&flush, 1, 0, DOMID_SELF}},
    };
    long rc;

    if (batch_len == 0)
        return 0;
    mm_stats.multicalls++;
    mm_stats.mmu_update_calls++;
    rc = HYPERVISOR_multicall(calls, 2);
    mm_stats.pte_updates += done;
    batch_len = 0;
    if (rc < 0)
        return rc;
    if ((long)calls[0].result < 0)
        return (long)calls[0].result;
    return (long)calls[1].result;
}

static long batch_add(const uint64_t *entry, uint64_t val, bool flush_tlb)
{
    long rc = 0;

    if (batch_len == MM_BATCH)
        rc = flush_tlb ? batch_flush_tlb() : batch_flush();
    batch[batch_len++] =
        (mmu_update_t){.ptr = entry_maddr(entry) | MMU_NORMAL_PT_UPDATE, .val = val};
    return rc;
}

/* ---- page tables ---- */

/*
 * A new level-`level` table for the empty entry `parent`: a zeroed page,
 * remapped read-only in the direct map (no writable mapping of a page table
 * may exist), then linked in with mmu_update, which validates it.
 */
static long new_table(uint64_t *parent, int level, uint64_t **table)
{
    long pfn = page_alloc();
    long rc;

    if (pfn < 0)
        return pfn;
    void *va = pfn_to_virt((unsigned long)pfn);
    rc = uvm((unsigned long)va, pte_of((unsigned long)pfn, PTE_KERNEL_RO), UVMF_INVLPG);
    if (rc == 0) {
        rc = mmu_update_one(entry_maddr(parent), pte_of((unsigned long)pfn, PTE_TABLE));
        if (rc == 0) {
            mm_stats.tables_created[level]++;
            *table = va;
            return 0;
        }
        uvm((unsigned long)va, pte_of((unsigned long)pfn, PTE_KERNEL_RW), UVMF_INVLPG);
    }
    page_free((unsigned long)pfn);
    return rc;
}

/*
 * The level-`level` entry for `va`: walks down from the L4 (start_info's
 * pt_base, the running table), creating missing tables if `create`.
 * -XEN_ENOENT if a table is missing and !create; -XEN_EINVAL if an entry on the way
 * maps something that is not one of our tables.
 */
static long walk(unsigned long va, int level, bool create, uint64_t **entry)
{
    uint64_t *table = (uint64_t *)start_info->pt_base;

    for (int l = PT_LEVELS; l > level; l--) {
        uint64_t *e = &table[PT_INDEX(va, l)];
        uint64_t *next = entry_table(*e);

        if (!next) {
            if (*e & _PAGE_PRESENT)
                return -XEN_EINVAL;
            if (!create)
                return -XEN_ENOENT;
            long rc = new_table(e, l - 1, &next);
            if (rc < 0)
                return rc;
        }
        table = next;
    }
    *entry = &table[PT_INDEX(va, level)];
    return 0;
}

uint64_t mm_lookup(unsigned long va)
{
    uint64_t *e;

    return walk(va, 1, false, &e) == 0 ? *e : 0;
}

unsigned long mm_table_mfn(unsigned long va, int level)
{
    uint64_t *e;

    if (level == PT_LEVELS)
        return pfn_to_mfn(virt_to_pfn((void *)start_info->pt_base));
    if (walk(va, level + 1, false, &e) < 0 || !(*e & _PAGE_PRESENT))
        return 0;
    return (*e & PTE_FRAME_MASK) >> PAGE_SHIFT;
}

static long map_locked(unsigned long va, const unsigned long *pfns, unsigned long n,
                       enum mm_prot prot)
{
    uint64_t *e;
    long rc;

    for (unsigned long i = 0; i < n; i++) {
        rc = walk(va + i * PAGE_SIZE, 1, true, &e);
        if (rc == 0 && (*e & _PAGE_PRESENT))
            rc = -XEN_EBUSY;
        if (rc < 0)
            return rc;
    }
    for (unsigned long i = 0; i < n; i++) {
        walk(va + i * PAGE_SIZE, 1, false, &e);
        rc = batch_add(e, pte_of(pfns[i], leaf_flags(prot)), false);
        if (rc < 0) {
            batch_len = 0;
            return rc;
        }
    }
    return batch_flush();
}

long mm_map(unsigned long va, const unsigned long *pfns, unsigned long n, enum mm_prot prot)
{
    busy = true;
    long rc = map_locked(va, pfns, n, prot);
    busy = false;
    return rc;
}

long mm_map_multicall(unsigned long va, const unsigned long *pfns, unsigned long n,
                      enum mm_prot prot)
{
    static multicall_entry_t calls[MAX_MULTICALL];
    uint64_t *e;
    long rc = 0;

    if (n > MAX_MULTICALL)
        return -XEN_EINVAL;
    busy = true;
    for (unsigned long i = 0; i < n && rc == 0; i++) {
        unsigned long a = va + i * PAGE_SIZE;

        rc = walk(a, 1, true, &e);
        if (rc == 0 && (*e & _PAGE_PRESENT))
            rc = -XEN_EBUSY;
        calls[i] = (multicall_entry_t){
            .op = __HYPERVISOR_update_va_mapping,
            .args = {a, pte_of(pfns[i], leaf_flags(prot)), UVMF_NONE},
        };
    }
    if (rc == 0) {
        mm_stats.multicalls++;
        mm_stats.uvm_calls += n;
        rc = HYPERVISOR_multicall(calls, (unsigned int)n);
        for (unsigned long i = 0; i < n && rc == 0; i++)
            rc = (long)calls[i].result;
    }
    busy = false;
    return rc;
}

static long unmap_locked(unsigned long va, unsigned long n, unsigned long *pfns)
{
    long cleared = 0, rc;
    uint64_t *e;

    for (unsigned long i = 0; i < n; i++) {
        unsigned long a = va + i * PAGE_SIZE;

        if (pfns)
            pfns[i] = MM_NO_PFN;
        if (walk(a, 1, false, &e) < 0 || !(*e & _PAGE_PRESENT))
            continue;
        if (pfns)
            pfns[i] = mfn_to_pfn((*e & PTE_FRAME_MASK) >> PAGE_SHIFT);
        rc = batch_add(e, 0, true);
        if (rc < 0) {
            batch_len = 0;
            return rc;
        }
        cleared++;
    }
    rc = batch_flush_tlb();
    return rc < 0 ? rc : cleared;
}

long mm_unmap(unsigned long va, unsigned long n, unsigned long *pfns)
{
    busy = true;
    long rc = unmap_locked(va, n, pfns);
    busy = false;
    return rc;
}

long mm_protect(unsigned long va, enum mm_prot prot)
{
    uint64_t pte = mm_lookup(va);

    if (!(pte & _PAGE_PRESENT))
        return -XEN_ENOENT;
    return uvm(va & PAGE_MASK, (pte & PTE_FRAME_MASK) | leaf_flags(prot), UVMF_INVLPG);
}

/* ---- start-up: the initial mapping, the direct map ---- */

/*
 * Map PFNs [from, to) at their direct-map addresses: one mmu_update per L1
 * table (2 MiB), the table itself taken from pages already mapped, and the
 * new pages made free once mapped. PFNs in [skip_from, skip_to) (an
 * unmapped boot module) and PFNs without a frame are mapped but not freed.
 */
static long extend_direct_map(unsigned long from, unsigned long to, unsigned long skip_from,
                              unsigned long skip_to)
{
    uint64_t *e;
    long rc;

    for (unsigned long pfn = from; pfn < to;) {
        unsigned long end = (pfn | (PT_ENTRIES - 1)) + 1;
        unsigned long start = pfn;

        if (end > to)
            end = to;
        for (; pfn < end; pfn++) {
            if (pfn_to_mfn(pfn) == INVALID_P2M_ENTRY)
                continue;
            rc = walk((unsigned long)pfn_to_virt(pfn), 1, true, &e);
            if (rc < 0)
                return rc;
            rc = batch_add(e, pte_of(pfn, PTE_KERNEL_RW), false);
            if (rc < 0)
                return rc;
        }
        rc = batch_flush();
        if (rc < 0)
            return rc;
        mapped_pfns = end;
        for (unsigned long p = start; p < end; p++)
            if ((p < skip_from || p >= skip_to) && pfn_to_mfn(p) != INVALID_P2M_ENTRY)
                mark_free(p);
    }
    return 0;
}

long mm_init(void)
{
    const start_info_t *si = start_info;
    unsigned long pt_pfn = virt_to_pfn((void *)si->pt_base);
    unsigned long first_free = pt_pfn + si->nr_pt_frames;
    /* mica's domain builder wires devices with the domain's last MM_WIRING_PAGES pages (ring
       and control pages, announced on the command line or in the device tree: docs/abi.md,
       docs/bootcfg.md); they are never free memory. On Xen they are simply left unused. */
    unsigned long usable = si->nr_pages > MM_WIRING_PAGES ? si->nr_pages - MM_WIRING_PAGES : 0;
    unsigned long total = usable < DIRECTMAP_PAGES ? usable : DIRECTMAP_PAGES;
    unsigned long skip_from = 0, skip_to = 0, end;
    long rc;

    if (up || si->pt_base < KERNEL_VIRT_BASE || first_free > total)
        return -XEN_EINVAL;

    /*
     * The initial mapping runs from PFN 0 (xen.h, start_info: kernel, module,
     * p2m list, start_info, bootstrap tables, stack, padding) to the first
     * address its tables do not map, each page at KERNEL_VIRT_BASE + PFN.
     */
    mapped_pfns = first_free;
    for (end = first_free; end < total; end++) {
        uint64_t pte = mm_lookup((unsigned long)pfn_to_virt(end));

        if (!(pte & _PAGE_PRESENT) || (pte & PTE_FRAME_MASK) >> PAGE_SHIFT != pfn_to_mfn(end))
            break;
    }
    /* A module the builder left unmapped sits in PFNs of its own (SIF_MOD_START_PFN). */
    if ((si->flags & SIF_MOD_START_PFN) && si->mod_len) {
        skip_from = si->mod_start;
        skip_to = si->mod_start + ((si->mod_len + PAGE_SIZE - 1) >> PAGE_SHIFT);
    }

    mm_stats.total_pages = si->nr_pages;
    mm_stats.initial_pages = end;
    mm_stats.first_free_pfn = first_free;
    mapped_pfns = end;
    free_hint = DIRECTMAP_PAGES;
    for (unsigned long p = first_free; p < end; p++)
        if (p < skip_from || p >= skip_to)
            mark_free(p);

    busy = true;
    rc = extend_direct_map(end, total, skip_from, skip_to);
    busy = false;
    mm_stats.managed_pages = mapped_pfns;
    if (rc < 0)
        return rc;
    up = true;
    return 0;
}

bool mm_ready(void)
{
    return up;
}

/* ---- areas: vmap, lazy, heap ---- */

unsigned long vmap_reserve(unsigned long n)
{
    unsigned long va = vmap_next;

    if (!up || n == 0 || n > (VMAP_START + VMAP_SIZE - va) / PAGE_SIZE - 1)
        return 0;
    vmap_next = va + (n + 1) * PAGE_SIZE; /* one unmapped guard page after each */
    return va;
}

void *vmap(const unsigned long *pfns, unsigned long n, enum mm_prot prot)
{
    unsigned long va = vmap_reserve(n);

    if (va == 0 || mm_map(va, pfns, n, prot) < 0)
        return NULL;
    return (void *)va;
}

static struct lazy_area *lazy_find(unsigned long addr)
{
    for (int i = 0; i < MAX_LAZY_AREAS; i++)
        if (lazy_areas[i].end && addr >= lazy_areas[i].start && addr < lazy_areas[i].end)
            return &lazy_areas[i];
    return NULL;
}

void *lazy_alloc(size_t size)
{
    unsigned long pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;

    if (!up || pages == 0 || pages > (LAZY_START + LAZY_SIZE - lazy_next) / PAGE_SIZE - 1)
        return NULL;
    for (int i = 0; i < MAX_LAZY_AREAS; i++) {
        if (lazy_areas[i].end == 0) {
            lazy_areas[i].start = lazy_next;
            lazy_areas[i].end = lazy_next + pages * PAGE_SIZE;
            lazy_next = lazy_areas[i].end + PAGE_SIZE; /* guard page */
            return (void *)lazy_areas[i].start;
        }
    }
    return NULL;
}

long lazy_free(void *start)
{
    static unsigned long pfns[MM_BATCH];
    struct lazy_area *a = lazy_find((unsigned long)start);
    long freed = 0;

    if (!a || a->start != (unsigned long)start)
        return -XEN_EINVAL;
    for (unsigned long va = a->start; va < a->end; va += MM_BATCH * PAGE_SIZE) {
        unsigned long n = (a->end - va) >> PAGE_SHIFT;

        if (n > MM_BATCH)
            n = MM_BATCH;
        long rc = mm_unmap(va, n, pfns);
        if (rc < 0)
            return rc;
        for (unsigned long i = 0; i < n; i++) {
            if (pfns[i] != MM_NO_PFN) {
                page_free(pfns[i]);
                freed++;
            }
        }
    }
    a->end = 0;
    return freed;
}

/* Map pages at [heap_mapped, heap_mapped + pages * PAGE_SIZE), MM_BATCH per mmu_update. */
static long heap_grow(unsigned long pages)
{
    static unsigned long pfns[MM_BATCH];

    while (pages > 0) {
        unsigned long n = pages < MM_BATCH ? pages : MM_BATCH;

        for (unsigned long i = 0; i < n; i++) {
            long pfn = page_alloc();

            if (pfn < 0) {
                while (i-- > 0)
                    page_free(pfns[i]);
                return pfn;
            }
            pfns[i] = (unsigned long)pfn;
        }
        long rc = mm_map(heap_mapped, pfns, n, MM_WRITE);
        if (rc < 0) {
            for (unsigned long i = 0; i < n; i++)
                page_free(pfns[i]);
            return rc;
        }
        heap_mapped += n * PAGE_SIZE;
        mm_stats.heap_pages += n;
        pages -= n;
    }
    return 0;
}

/* Unmap and free the heap's pages from `new_end` (page aligned) up. */
static long heap_shrink(unsigned long new_end)
{
    static unsigned long pfns[MM_BATCH];

    while (heap_mapped > new_end) {
        unsigned long n = (heap_mapped - new_end) >> PAGE_SHIFT;

        if (n > MM_BATCH)
            n = MM_BATCH;
        unsigned long va = heap_mapped - n * PAGE_SIZE;
        long rc = mm_unmap(va, n, pfns);
        if (rc < 0)
            return rc;
        for (unsigned long i = 0; i < n; i++)
            if (pfns[i] != MM_NO_PFN)
                page_free(pfns[i]);
        heap_mapped = va;
        mm_stats.heap_pages -= n;
    }
    return 0;
}

void *mm_sbrk(intptr_t incr)
{
    unsigned long old = heap_brk;
    unsigned long new_brk = old + (unsigned long)incr;

    if (incr > 0) {
        if ((unsigned long)incr > HEAP_START + HEAP_SIZE_MAX - old)
            return (void *)-1;
        unsigned long want = (new_brk + PAGE_SIZE - 1) & PAGE_MASK;
        if (want > heap_mapped) {
            unsigned long pages = (want - heap_mapped) >> PAGE_SHIFT;
            /* Keep a reserve for the page tables the mapping may need. */
            if (pages + 8 > mm_stats.free_pages || heap_grow(pages) < 0)
                return (void *)-1;
        }
    } else if (incr < 0) {
        if ((unsigned long)-incr > old - HEAP_START)
            return (void *)-1;
        if (heap_shrink((new_brk + PAGE_SIZE - 1) & PAGE_MASK) < 0)
            return (void *)-1;
    }
    heap_brk = new_brk;
    return (void *)old;
}

/* ---- reservations ---- */

static long reservation(unsigned int cmd, xen_pfn_t *frame)
{
    struct xen_memory_reservation r = {.nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF};

    set_xen_guest_handle(r.extent_start, frame);
    return HYPERVISOR_memory_op(cmd, &r);
}

long mm_give_back(unsigned long pfn)
{
    xen_pfn_t mfn = pfn_to_mfn(pfn);
    long rc;

    if (pfn >= mapped_pfns || mfn == INVALID_P2M_ENTRY)
        return -XEN_EINVAL;
    rc = uvm((unsigned long)pfn_to_virt(pfn), 0, UVMF_INVLPG);
    if (rc < 0)
        return rc;
    rc = reservation(XENMEM_decrease_reservation, &mfn);
    if (rc != 1) {
        uvm((unsigned long)pfn_to_virt(pfn), pte_of(pfn, PTE_KERNEL_RW), UVMF_INVLPG);
        return rc < 0 ? rc : -XEN_EBUSY;
    }
    ((unsigned long *)start_info->mfn_list)[pfn] = INVALID_P2M_ENTRY;
    return 0;
}

long mm_repopulate(unsigned long pfn)
{
    xen_pfn_t frame = pfn;
    long rc;

    if (pfn >= mapped_pfns || pfn_to_mfn(pfn) != INVALID_P2M_ENTRY)
        return -XEN_EINVAL;
    rc = reservation(XENMEM_populate_physmap, &frame);
    if (rc != 1)
        return rc < 0 ? rc : -XEN_ENOMEM;
    ((unsigned long *)start_info->mfn_list)[pfn] = frame;
    rc = uvm((unsigned long)pfn_to_virt(pfn), pte_of(pfn, PTE_KERNEL_RW), UVMF_INVLPG);
    return rc < 0 ? rc : (long)frame;
}

/* ---- page faults ---- */

bool mm_handle_page_fault(unsigned long addr, unsigned long error_code)
{
    uint64_t *e;
    long pfn;

    if (!up || busy || (error_code & (PF_PRESENT | PF_RSVD)) || !lazy_find(addr))
        return false;
    busy = true;
    pfn = page_alloc();
    if (pfn >= 0 && walk(addr, 1, true, &e) == 0 &&
        uvm(addr & PAGE_MASK, pte_of((unsigned long)pfn, PTE_KERNEL_RW), UVMF_INVLPG) == 0) {
        mm_stats.lazy_faults++;
        busy = false;
        return true;
    }
    if (pfn >= 0)
        page_free((unsigned long)pfn);
    busy = false;
    printk("pvguest:   lazy area: no page for %#lx (%lu free)\n", addr, mm_stats.free_pages);
    return false;
}

/* Which of the kernel's areas `addr` is in, for a fault report. */
static const char *area_name(unsigned long addr)
{
    extern char __image_end[];

    if (addr >= HEAP_START && addr < HEAP_START + HEAP_SIZE_MAX)
        return addr < heap_brk ? "in the heap" : "in the heap, above the break";
    if (addr >= LAZY_START && addr < LAZY_START + LAZY_SIZE)
        return lazy_find(addr) ? "in a lazy area" : "in the lazy window, outside every lazy area";
    if (addr >= VMAP_START && addr < VMAP_START + VMAP_SIZE)
        return "in the vmap window";
    if (addr >= KERNEL_VIRT_BASE && addr < (unsigned long)__image_end)
        return "in the kernel image";
    if (addr >= KERNEL_VIRT_BASE && addr < KERNEL_VIRT_BASE + DIRECTMAP_SIZE)
        return "in the direct map";
    return "outside every area the kernel maps";
}

void mm_report_page_fault(unsigned long addr, unsigned long error_code)
{
    const char *access = (error_code & PF_INSTR)   ? "instruction fetch from"
                         : (error_code & PF_WRITE) ? "write to"
                                                   : "read of";
    const char *page = (error_code & PF_RSVD)       ? "a page with reserved bits set"
                       : !(error_code & PF_PRESENT) ? "a not-present page"
                       : (error_code & PF_WRITE)    ? "a read-only page"
                       : (error_code & PF_INSTR)    ? "a no-execute page"
                                                    : "a present page";

    printk("pvguest:   page fault: %s %s at %#lx, %s\n", access, page, addr, area_name(addr));
}
