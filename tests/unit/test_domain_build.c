/*
 * Unit tests for hypervisor/common/domain_build.c: PV domain layout, initial page tables,
 * start_info and the whole build, on fake guest memory.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/domain_build.h>
#include <mica/elf_xen.h>
#include <mica/errno.h>
#include "hv_unrename.h"

#include "elf_kernel.h"

#define MB       (1ULL << 20)
#define GB       (1ULL << 30)
#define MFN_BASE 0x12345ULL
#define STALE    0xcc

/* ---- Fake guest memory: PFN p is MFN MFN_BASE + nr_pages - 1 - p (reversed on purpose). ---- */

struct fake {
    uint64_t nr_pages;
    uint8_t *mem;
    int *level; /* level reported for each PFN by the table callback, 0 if none */
    unsigned int table_calls;
    uint64_t fail_pfn; /* map_pfn of this PFN fails */
};

static struct fake fk;

static void *fake_map(void *ctx, uint64_t pfn)
{
    struct fake *f = ctx;

    ck_assert_uint_lt(pfn, f->nr_pages);
    if (pfn == f->fail_pfn)
        return NULL;
    return f->mem + pfn * PAGE_SIZE;
}

static uint64_t fake_mfn(void *ctx, uint64_t pfn)
{
    struct fake *f = ctx;

    ck_assert_uint_lt(pfn, f->nr_pages);
    return MFN_BASE + f->nr_pages - 1 - pfn;
}

static uint64_t fake_pfn_of_mfn(uint64_t mfn)
{
    ck_assert_uint_ge(mfn, MFN_BASE);
    ck_assert_uint_lt(mfn - MFN_BASE, fk.nr_pages);
    return MFN_BASE + fk.nr_pages - 1 - mfn;
}

static void fake_table(void *ctx, uint64_t pfn, int level)
{
    struct fake *f = ctx;

    ck_assert_uint_lt(pfn, f->nr_pages);
    ck_assert_int_eq(f->level[pfn], 0);
    f->level[pfn] = level;
    f->table_calls++;
}

static const struct pv_mem fake_mem = {
    .ctx = &fk, .map_pfn = fake_map, .pfn_to_mfn = fake_mfn, .table = fake_table};

static void fake_init(uint64_t nr_pages)
{
    free(fk.mem);
    free(fk.level);
    fk.nr_pages = nr_pages;
    fk.mem = malloc(nr_pages * PAGE_SIZE);
    ck_assert_ptr_nonnull(fk.mem);
    memset(fk.mem, STALE, nr_pages * PAGE_SIZE);
    fk.level = calloc(nr_pages, sizeof(*fk.level));
    fk.table_calls = 0;
    fk.fail_pfn = PV_NO_PFN;
}

static void fake_fini(void)
{
    free(fk.mem);
    free(fk.level);
    memset(&fk, 0, sizeof(fk));
}

static uint8_t *page(uint64_t pfn)
{
    ck_assert_uint_lt(pfn, fk.nr_pages);
    return fk.mem + pfn * PAGE_SIZE;
}

/* Whether the @n bytes at @p all equal @val (one assertion per region, not per byte). */
static bool all_bytes(const uint8_t *p, size_t n, uint8_t val)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != val)
            return false;
    return true;
}

/* ---- Kernels. ---- */

static char msg[256];
static struct elf_xen_image kern;
static uint8_t img[64 * 1024];
static struct kb_spec spec;

/* A parsed kernel without an image, for layout tests: [kstart, kend) from virt_base. */
static void fake_kernel(uint64_t virt_base, uint64_t kstart_off, uint64_t kend_off)
{
    memset(&kern, 0, sizeof(kern));
    kern.virt_base = virt_base;
    kern.virt_kstart = virt_base + kstart_off;
    kern.virt_kend = virt_base + kend_off;
    kern.entry = kern.virt_kstart;
    kern.hypercall_page = ELF_XEN_NO_ADDR;
    kern.init_p2m = ELF_XEN_NO_ADDR;
}

/* The fixture's default ELF kernel, built and parsed. */
static void parse_kernel(void)
{
    size_t size = kb_build(&spec, img, sizeof(img));

    ck_assert_uint_gt(size, 0);
    ck_assert_msg(elf_xen_parse(&kern, img, size, ~0U, msg, sizeof(msg)) == 0, "%s", msg);
}

static void setup(void)
{
    kb_default(&spec);
    memset(msg, 0, sizeof(msg));
}

static void teardown(void)
{
    fake_fini();
}

/* ---- Layout. ---- */

static uint64_t regions(uint64_t s, uint64_t e, unsigned int shift)
{
    uint64_t n = 0;

    /* Count by walking, independently of the code under test. */
    for (uint64_t va = s & ~((1ULL << shift) - 1); va < e && va >= (s & ~((1ULL << shift) - 1));
         va += 1ULL << shift) {
        n++;
        if (va + (1ULL << shift) == 0)
            break;
    }
    return n;
}

/* Tables needed if the table area had @n frames (dom0_build.c's equations). */
static uint64_t tables_needed(const struct pv_layout *l, uint64_t n)
{
    uint64_t stack_end = l->pt_start + (n + 1) * PAGE_SIZE;
    uint64_t v_end = (stack_end + 4 * MB - 1) & ~(4 * MB - 1);

    if (v_end - stack_end < 512 * 1024)
        v_end += 4 * MB;
    return 1 + regions(l->v_start, v_end, 39) + regions(l->v_start, v_end, 30) +
           regions(l->v_start, v_end, 21);
}

static bool aligned(uint64_t v)
{
    return (v & (PAGE_SIZE - 1)) == 0;
}

/* Every promise of xen.h's start-of-day layout. */
static void check_layout(const struct pv_layout *l, uint64_t module_len, uint64_t nr_pages)
{
    uint64_t va;

    ck_assert_uint_eq(l->nr_pages, nr_pages);
    ck_assert_uint_eq(l->v_start, kern.virt_base);
    ck_assert_uint_eq(l->kern_start, kern.virt_kstart);
    ck_assert_uint_eq(l->kern_end, kern.virt_kend);
    ck_assert_uint_eq(l->mod_len, module_len);
    va = l->kern_end;
    if (module_len && !l->mod_unmapped) {
        ck_assert_uint_eq(l->mod_start, va);
        ck_assert_uint_eq(l->mod_end, l->mod_start + ((module_len + 4095) & ~4095ULL));
        ck_assert_uint_eq(l->mod_pfn, (l->mod_start - l->v_start) / PAGE_SIZE);
        va = l->mod_end;
    } else {
        ck_assert_uint_eq(l->mod_start, l->mod_end);
        if (!module_len)
            ck_assert_uint_eq(l->mod_pfn, PV_NO_PFN);
    }
    ck_assert_uint_eq(l->p2m_start, va);
    ck_assert_uint_eq(l->p2m_end - l->p2m_start, (nr_pages * 8 + 4095) & ~4095ULL);
    ck_assert_uint_eq(l->start_info_start, l->p2m_end);
    ck_assert_uint_eq(l->start_info_end, l->start_info_start + PAGE_SIZE);
    ck_assert_uint_eq(l->pt_start, l->start_info_end);
    ck_assert_uint_eq(l->pt_end, l->pt_start + l->nr_pt_frames * PAGE_SIZE);
    ck_assert_uint_eq(l->stack_start, l->pt_end);
    ck_assert_uint_eq(l->stack_end, l->stack_start + PAGE_SIZE);
    ck_assert_uint_eq(l->v_end % (4 * MB), 0);
    ck_assert_uint_ge(l->v_end - l->stack_end, 512 * 1024);
    ck_assert_uint_lt(l->v_end - l->stack_end, 512 * 1024 + 4 * MB);
    ck_assert(aligned(l->v_start) && aligned(l->kern_start) && aligned(l->kern_end) &&
              aligned(l->mod_start) && aligned(l->mod_end) && aligned(l->p2m_start) &&
              aligned(l->p2m_end) && aligned(l->pt_start) && aligned(l->stack_end));
    ck_assert_uint_eq(l->nr_mapped, (l->v_end - l->v_start) / PAGE_SIZE);
    ck_assert_uint_le(l->nr_mapped, nr_pages);

    /* The table count: exactly what the range needs, and the smallest fixed point. */
    ck_assert_uint_eq(l->nr_l3, regions(l->v_start, l->v_end, 39));
    ck_assert_uint_eq(l->nr_l2, regions(l->v_start, l->v_end, 30));
    ck_assert_uint_eq(l->nr_l1, regions(l->v_start, l->v_end, 21));
    ck_assert_uint_eq(l->nr_pt_frames, 1 + l->nr_l3 + l->nr_l2 + l->nr_l1);
    ck_assert_uint_eq(tables_needed(l, l->nr_pt_frames), l->nr_pt_frames);
    ck_assert_uint_gt(tables_needed(l, l->nr_pt_frames - 1), l->nr_pt_frames - 1);
}

/* A hand-computed case. */
START_TEST(test_layout_example)
{
    struct pv_layout l;

    fake_kernel(KB_VIRT_BASE, 0, 0x5000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(l.p2m_start, KB_VIRT_BASE + 0x5000);
    ck_assert_uint_eq(l.p2m_end, KB_VIRT_BASE + 0xd000); /* 4096 * 8 bytes = 8 pages */
    ck_assert_uint_eq(l.start_info_start, KB_VIRT_BASE + 0xd000);
    ck_assert_uint_eq(l.pt_start, KB_VIRT_BASE + 0xe000);
    ck_assert_uint_eq(l.nr_pt_frames, 5); /* L4, L3, L2, two L1 for [VB, VB + 4 MiB) */
    ck_assert_uint_eq(l.nr_l3, 1);
    ck_assert_uint_eq(l.nr_l2, 1);
    ck_assert_uint_eq(l.nr_l1, 2);
    ck_assert_uint_eq(l.stack_start, KB_VIRT_BASE + 0x13000);
    ck_assert_uint_eq(l.stack_end, KB_VIRT_BASE + 0x14000);
    ck_assert_uint_eq(l.v_end, KB_VIRT_BASE + 4 * MB);
    ck_assert_uint_eq(l.nr_mapped, 1024);
    check_layout(&l, 0, 4096);

    /* A stack within 512 KiB of a 4 MiB boundary takes 4 MiB more. */
    fake_kernel(KB_VIRT_BASE, 0, 0x3a0000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(l.v_end, KB_VIRT_BASE + 8 * MB);
    ck_assert_uint_eq(l.nr_pt_frames, 1 + 1 + 1 + 4);
    check_layout(&l, 0, 4096);
}
END_TEST

/*
 * What Xen 4.17 printed ("VIRTUAL MEMORY ARRANGEMENT") when it booted mica's pvguest as a
 * 32768-page dom0: kernel ffffffff80000000->ffffffff8011c450, Phys-Mach map
 * ffffffff8011d000->ffffffff8015d000, Start info ffffffff8015d000, Page tables
 * ffffffff8015e000->ffffffff80163000, Boot stack ffffffff80163000->ffffffff80164000, TOTAL
 * ffffffff80000000->ffffffff80400000.
 */
START_TEST(test_layout_matches_xen)
{
    struct pv_layout l;

    fake_kernel(KB_VIRT_BASE, 0, 0x11d000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 32768, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(l.p2m_start, 0xffffffff8011d000ULL);
    ck_assert_uint_eq(l.p2m_end, 0xffffffff8015d000ULL);
    ck_assert_uint_eq(l.start_info_start, 0xffffffff8015d000ULL);
    ck_assert_uint_eq(l.pt_start, 0xffffffff8015e000ULL);
    ck_assert_uint_eq(l.pt_end, 0xffffffff80163000ULL);
    ck_assert_uint_eq(l.nr_pt_frames, 5);
    ck_assert_uint_eq(l.stack_start, 0xffffffff80163000ULL);
    ck_assert_uint_eq(l.stack_end, 0xffffffff80164000ULL);
    ck_assert_uint_eq(l.v_end, 0xffffffff80400000ULL);
}
END_TEST

/* Many sizes of memory and module: every invariant, or a clean -ENOMEM. */
START_TEST(test_layout_sizes)
{
    static const uint64_t pages[] = {1,    512,   1023,   1024,       2048,      4096,
                                     8192, 65536, 262144, 1ULL << 20, 1ULL << 22};
    static const uint64_t mods[] = {0, 1, 4095, 4096, 4097, 3 * MB + 5, 40 * MB};
    static const struct {
        uint64_t base, kstart, kend;
    } kernels[] = {
        {KB_VIRT_BASE, 0, 0x5000},
        {KB_VIRT_BASE, 16 * MB, 46 * MB},     /* Linux-like */
        {0, 0x100000, 0x180000},              /* low half, VIRT_BASE 0 */
        {0xffff880000000000ULL, 0, 0x200000}, /* right after the hypervisor hole */
        {0xffffffffbfe00000ULL, 0, 0x180000}, /* crosses a 1 GiB boundary */
        {0xffffff7fffe00000ULL, 0, 0x180000}, /* crosses a 512 GiB boundary */
    };
    unsigned int ok = 0, nomem = 0;

    for (unsigned int ki = 0; ki < sizeof(kernels) / sizeof(kernels[0]); ki++) {
        fake_kernel(kernels[ki].base, kernels[ki].kstart, kernels[ki].kend);
        for (unsigned int pi = 0; pi < sizeof(pages) / sizeof(pages[0]); pi++) {
            for (unsigned int mi = 0; mi < sizeof(mods) / sizeof(mods[0]); mi++) {
                for (int unmapped = 0; unmapped < 2; unmapped++) {
                    struct pv_layout l;
                    int rc;

                    kern.mod_start_pfn = unmapped;
                    rc = pv_layout(&l, &kern, mods[mi], pages[pi], msg, sizeof(msg));
                    if (rc == -ENOMEM) {
                        nomem++;
                        ck_assert_msg(strstr(msg, "domain memory too small"), "%s", msg);
                        continue;
                    }
                    ck_assert_msg(rc == 0, "kernel %u pages %llu module %llu: %d %s", ki,
                                  (unsigned long long)pages[pi], (unsigned long long)mods[mi], rc,
                                  msg);
                    ok++;
                    ck_assert_int_eq(l.mod_unmapped, unmapped && mods[mi]);
                    check_layout(&l, mods[mi], pages[pi]);
                    if (l.mod_unmapped) {
                        ck_assert_uint_eq(l.mod_pfn, l.nr_mapped);
                        ck_assert_uint_le(l.nr_mapped + (mods[mi] + 4095) / 4096, pages[pi]);
                    }
                }
            }
        }
    }
    ck_assert_uint_gt(ok, 100);
    ck_assert_uint_gt(nomem, 10);
}
END_TEST

START_TEST(test_layout_crossing_boundaries)
{
    struct pv_layout l;

    /* v_end is rounded to an absolute 4 MiB boundary (dom0_build.c): a small kernel 2 MiB
       below a 1 GiB boundary ends on it; one within 512 KiB of it goes 4 MiB past. */
    fake_kernel(0xffffffffbfe00000ULL, 0, 0x5000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(l.v_end, 0xffffffffc0000000ULL);
    ck_assert_uint_eq(l.nr_l2, 1);
    fake_kernel(0xffffffffbfe00000ULL, 0, 0x180000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(l.v_end, 0xffffffffc0400000ULL);
    ck_assert_uint_eq(l.nr_l3, 1);
    ck_assert_uint_eq(l.nr_l2, 2);
    ck_assert_uint_eq(l.nr_l1, 3);

    fake_kernel(0xffffff7fffe00000ULL, 0, 0x180000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(l.nr_l3, 2);
    ck_assert_uint_eq(l.nr_l2, 2);
    ck_assert_uint_eq(l.nr_l1, 3);
    ck_assert_uint_eq(l.nr_pt_frames, 8);
}
END_TEST

START_TEST(test_layout_too_small)
{
    struct pv_layout l;

    fake_kernel(KB_VIRT_BASE, 0, 0x5000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 1023, msg, sizeof(msg)), -ENOMEM);
    ck_assert_str_eq(msg, "domain memory too small: 1023 pages, but the initial mapping "
                          "[0xffffffff80000000, 0xffffffff80400000) needs 1024");
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 1024, msg, sizeof(msg)), 0);
    /* A module pushes it over. */
    ck_assert_int_eq(pv_layout(&l, &kern, 4 * MB, 1024, msg, sizeof(msg)), -ENOMEM);
    /* An unmapped module needs its own pages after the mapping. */
    kern.mod_start_pfn = true;
    ck_assert_int_eq(pv_layout(&l, &kern, 4096, 1024, msg, sizeof(msg)), -ENOMEM);
    ck_assert_msg(strstr(msg, "plus the unmapped module"), "%s", msg);
    ck_assert_int_eq(pv_layout(&l, &kern, 4096, 1025, msg, sizeof(msg)), 0);
    ck_assert_uint_eq(l.mod_pfn, 1024);
    /* Nonsense sizes. */
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 0, msg, sizeof(msg)), -EINVAL);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, ~0ULL, msg, sizeof(msg)), -EINVAL);
    /* A huge kernel in a small domain ends quickly. */
    fake_kernel(KB_VIRT_BASE, 0, 1 * GB);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), -ENOMEM);
}
END_TEST

START_TEST(test_layout_hypervisor_hole)
{
    struct pv_layout l;

    fake_kernel(0xffff800000000000ULL, 0, 0x5000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), -EINVAL);
    ck_assert_str_eq(msg, "initial mapping [0xffff800000000000, 0xffff80000000e000) overlaps "
                          "the hypervisor's area [0xffff800000000000, 0xffff880000000000)");
    fake_kernel(0xffff87ffffe00000ULL, 0, 0x5000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), -EINVAL);
    ck_assert_msg(strstr(msg, "overlaps the hypervisor's area"), "%s", msg);
    fake_kernel(0xffff87ffff000000ULL, 0, 0x5000); /* its v_end reaches the next slot */
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), -EINVAL);
    fake_kernel(0xffff880000000000ULL, 0, 0x5000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(test_layout_not_canonical)
{
    struct pv_layout l;

    /* The slack after the stack would cross 2^47. */
    fake_kernel(0x00007fffffc00000ULL, 0, 0x380000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), -EINVAL);
    ck_assert_str_eq(msg, "initial mapping [0x7fffffc00000, 0x800000400000) is not canonical");
    /* VIRT_BASE 0 with the kernel in the upper half: a mapping across everything. */
    fake_kernel(0, KB_VIRT_BASE, KB_VIRT_BASE + 0x5000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), -EINVAL);
    ck_assert_msg(strstr(msg, "is not canonical"), "%s", msg);
}
END_TEST

START_TEST(test_layout_wraps)
{
    struct pv_layout l;

    fake_kernel(0xffffffffffc00000ULL, 0, 0x300000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 4096, msg, sizeof(msg)), -EINVAL);
    ck_assert_str_eq(msg, "initial mapping from 0xffffffffffc00000 wraps past the top of the "
                          "address space");
    ck_assert_int_eq(pv_layout(&l, &kern, 1ULL << 62, 4096, msg, sizeof(msg)), -EINVAL);
    ck_assert_int_eq(pv_layout(&l, &kern, ~0ULL, 4096, msg, sizeof(msg)), -EINVAL);
}
END_TEST

/* ---- Page tables. ---- */

/* Walk the tables for @va; returns the L1 entry, or 0 if some level is not present. */
static uint64_t walk(uint64_t l4_pfn, uint64_t va)
{
    uint64_t pfn = l4_pfn;

    for (int level = 4; level >= 1; level--) {
        unsigned int idx = (va >> (12 + 9 * (level - 1))) & 511;
        uint64_t e;

        memcpy(&e, page(pfn) + idx * 8, 8);
        if (!(e & PV_PTE_PRESENT))
            return 0;
        if (level == 1)
            return e;
        ck_assert_uint_eq(e & ~PV_PTE_ADDR, PV_TABLE_PROT);
        pfn = fake_pfn_of_mfn((e & PV_PTE_ADDR) >> 12);
        ck_assert_int_eq(fk.level[pfn], level - 1);
    }
    return 0;
}

static unsigned int present_entries(uint64_t pfn)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < 512; i++) {
        uint64_t e;

        memcpy(&e, page(pfn) + i * 8, 8);
        if (e) {
            ck_assert(e & PV_PTE_PRESENT);
            n++;
        }
    }
    return n;
}

/* Build tables for @l on fresh fake memory and check every entry. */
static void check_page_tables(const struct pv_layout *l, uint64_t nr_pages)
{
    uint64_t l4_pfn = pv_pfn_of(l, l->pt_start), pt_end_pfn = l4_pfn + l->nr_pt_frames;
    unsigned int per_level[5] = {0}, entries[5] = {0};

    fake_init(nr_pages);
    ck_assert_msg(pv_build_page_tables(l, &fake_mem, msg, sizeof(msg)) == 0, "%s", msg);
    ck_assert_uint_eq(fk.table_calls, l->nr_pt_frames);
    ck_assert_int_eq(fk.level[l4_pfn], 4);
    for (uint64_t pfn = 0; pfn < nr_pages; pfn++) {
        bool is_pt = pfn >= l4_pfn && pfn < pt_end_pfn;

        ck_assert_int_eq(fk.level[pfn] != 0, is_pt);
        if (is_pt) {
            per_level[fk.level[pfn]]++;
            entries[fk.level[pfn]] += present_entries(pfn);
        }
    }
    ck_assert_uint_eq(per_level[4], 1);
    ck_assert_uint_eq(per_level[3], l->nr_l3);
    ck_assert_uint_eq(per_level[2], l->nr_l2);
    ck_assert_uint_eq(per_level[1], l->nr_l1);
    /* Nothing but the range is mapped: one entry per lower table, one leaf per page. */
    ck_assert_uint_eq(entries[4], l->nr_l3);
    ck_assert_uint_eq(entries[3], l->nr_l2);
    ck_assert_uint_eq(entries[2], l->nr_l1);
    ck_assert_uint_eq(entries[1], l->nr_mapped);
    for (unsigned int slot = PV_L4_HV_FIRST; slot <= PV_L4_HV_LAST; slot++) {
        uint64_t e;

        memcpy(&e, page(l4_pfn) + slot * 8, 8);
        ck_assert_uint_eq(e, 0);
    }
    for (uint64_t pfn = 0; pfn < l->nr_mapped; pfn++) {
        uint64_t va = l->v_start + pfn * PAGE_SIZE;
        uint64_t e = walk(l4_pfn, va);
        bool is_pt = pfn >= l4_pfn && pfn < pt_end_pfn;

        ck_assert_msg(e, "va %#llx not mapped", (unsigned long long)va);
        ck_assert_uint_eq((e & PV_PTE_ADDR) >> 12, fake_mfn(&fk, pfn));
        ck_assert_uint_eq(e & ~PV_PTE_ADDR, is_pt ? PV_L1_PROT_RO : PV_L1_PROT);
    }
    /* Just outside the range: nothing. */
    if (l->v_start >= PAGE_SIZE && (l->v_start >> 39) == ((l->v_start - 1) >> 39))
        ck_assert_uint_eq(walk(l4_pfn, l->v_start - PAGE_SIZE), 0);
    ck_assert_uint_eq(walk(l4_pfn, l->v_end), 0);
}

START_TEST(test_page_tables)
{
    static const struct {
        uint64_t base, kend;
        uint64_t nr_pages;
    } cases[] = {
        {KB_VIRT_BASE, 0x5000, 1024},
        {KB_VIRT_BASE, 0x5000, 4096},
        {KB_VIRT_BASE + 0x3ff000, 0x5000, 8192}, /* not 2 MiB-aligned */
        {0xffffffffbfe00000ULL, 0x180000, 2048}, /* crosses a 1 GiB boundary */
        {0xffffff7fffe00000ULL, 0x180000, 2048}, /* crosses a 512 GiB boundary */
        {0x400000, 0x600000, 16384},             /* low half, several L1s */
        {0xffff880000000000ULL, 0x5000, 1024},   /* first slot after the hypervisor's */
    };

    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pv_layout l;

        fake_kernel(cases[i].base, 0, cases[i].kend);
        ck_assert_msg(pv_layout(&l, &kern, 0, cases[i].nr_pages, msg, sizeof(msg)) == 0, "%s", msg);
        check_page_tables(&l, cases[i].nr_pages);
    }
}
END_TEST

START_TEST(test_page_tables_map_failure)
{
    struct pv_layout l;

    fake_kernel(KB_VIRT_BASE, 0, 0x5000);
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 1024, msg, sizeof(msg)), 0);
    fake_init(1024);
    fk.fail_pfn = pv_pfn_of(&l, l.pt_start) + 2;
    ck_assert_int_eq(pv_build_page_tables(&l, &fake_mem, msg, sizeof(msg)), -EFAULT);
    ck_assert_str_eq(msg, "cannot map guest PFN 0xa");
}
END_TEST

/* ---- start_info and the whole build. ---- */

static const char module_text[] = "an initrd of a few thousand bytes ";

static struct pv_boot_state boot;
static uint8_t module[9000];

static int build(uint64_t nr_pages, size_t module_len, const char *cmdline, uint32_t flags)
{
    struct pv_build_args a = {
        .kernel = &kern,
        .module = module_len ? module : NULL,
        .module_len = module_len,
        .nr_pages = nr_pages,
        .si = {.shared_info_maddr = 0xabcd000, .flags = flags, .cmdline = cmdline},
    };

    for (size_t i = 0; i < sizeof(module); i++)
        module[i] = (uint8_t)module_text[i % (sizeof(module_text) - 1)];
    fake_init(nr_pages);
    return pv_build(&a, &fake_mem, &boot, msg, sizeof(msg));
}

static const start_info_t *start_info(void)
{
    return (const start_info_t *)page(boot.start_info_pfn);
}

START_TEST(test_build_dom0)
{
    const struct pv_layout *l = &boot.layout;
    const start_info_t *si;
    uint64_t kpfn;
    struct elf64_phdr text, data;

    parse_kernel();
    ck_assert_msg(build(2048, 5000, "console=hvc0 loglvl=all", SIF_PRIVILEGED | SIF_INITDOMAIN) ==
                      0,
                  "%s", msg);
    ck_assert_str_eq(msg, "");
    check_layout(l, 5000, 2048);

    /* Registers and frames for the arch code. */
    ck_assert_uint_eq(boot.rip, KB_VIRT_BASE + 0x10);
    ck_assert_uint_eq(boot.rsp, l->stack_end);
    ck_assert_uint_eq(boot.rsi, l->start_info_start);
    ck_assert_uint_eq(boot.l4_pfn, pv_pfn_of(l, l->pt_start));
    ck_assert_uint_eq(boot.l4_mfn, fake_mfn(&fk, boot.l4_pfn));
    ck_assert_uint_eq(boot.hypercall_pfn, 1);
    ck_assert_uint_eq(boot.start_info_pfn, pv_pfn_of(l, l->start_info_start));

    /* start_info. */
    si = start_info();
    ck_assert_str_eq(si->magic, "xen-3.0-x86_64");
    ck_assert_uint_eq(si->nr_pages, 2048);
    ck_assert_uint_eq(si->shared_info, 0xabcd000);
    ck_assert_uint_eq(si->flags, SIF_PRIVILEGED | SIF_INITDOMAIN);
    ck_assert_uint_eq(si->store_mfn, 0);
    ck_assert_uint_eq(si->store_evtchn, 0);
    ck_assert_uint_eq(si->console.dom0.info_off, 0);
    ck_assert_uint_eq(si->console.dom0.info_size, 0);
    ck_assert_uint_eq(si->pt_base, l->pt_start);
    ck_assert_uint_eq(si->nr_pt_frames, l->nr_pt_frames);
    ck_assert_uint_eq(si->mfn_list, l->p2m_start);
    ck_assert_uint_eq(si->mod_start, l->mod_start);
    ck_assert_uint_eq(si->mod_start, KB_VIRT_BASE + 0x5000);
    ck_assert_uint_eq(si->mod_len, 5000);
    ck_assert_str_eq((const char *)si->cmd_line, "console=hvc0 loglvl=all");
    ck_assert_uint_eq(si->first_p2m_pfn, 0);
    ck_assert_uint_eq(si->nr_p2m_frames, 0);
    ck_assert(all_bytes((const uint8_t *)si + sizeof(*si), PAGE_SIZE - sizeof(*si), 0));

    /* The p2m list. */
    for (uint64_t pfn = 0; pfn < 2048; pfn++) {
        unsigned long mfn;

        memcpy(&mfn, page(pv_pfn_of(l, l->p2m_start)) + pfn * sizeof(mfn), sizeof(mfn));
        ck_assert_uint_eq(mfn, fake_mfn(&fk, pfn));
    }

    /* The kernel: file bytes, then bss and gaps zero. */
    text = kb_get_ph(img, 0);
    data = kb_get_ph(img, 1);
    kpfn = pv_pfn_of(l, l->kern_start);
    for (uint64_t i = 0; i < 0x5000; i++) {
        uint8_t b = page(kpfn + i / PAGE_SIZE)[i % PAGE_SIZE];

        if (i < 0x1800)
            ck_assert_uint_eq(b, kb_pattern(text.p_offset + i));
        else if (i >= 0x2000 && i < 0x2100)
            ck_assert_uint_eq(b, kb_pattern(data.p_offset + i - 0x2000));
        else
            ck_assert_uint_eq(b, 0);
    }
    /* The module, and its last page's tail cleared. */
    ck_assert_mem_eq(page(l->mod_pfn), module, 4096);
    ck_assert_mem_eq(page(l->mod_pfn + 1), module + 4096, 5000 - 4096);
    ck_assert(all_bytes(page(l->mod_pfn + 1) + 5000 - 4096, PAGE_SIZE - (5000 - 4096), 0));
    /* Stack and slack are zero; pages beyond the mapping are the caller's (untouched). */
    for (uint64_t pfn = pv_pfn_of(l, l->stack_start); pfn < l->nr_mapped; pfn++)
        ck_assert_msg(all_bytes(page(pfn), PAGE_SIZE, 0), "PFN %#llx not cleared",
                      (unsigned long long)pfn);
    for (uint64_t pfn = l->nr_mapped; pfn < 2048; pfn++)
        ck_assert_uint_eq(page(pfn)[100], STALE);

    /* And the page tables, walked. */
    {
        uint64_t l4_pfn = boot.l4_pfn;

        for (uint64_t pfn = 0; pfn < l->nr_mapped; pfn++) {
            uint64_t e = walk(l4_pfn, l->v_start + pfn * PAGE_SIZE);
            bool is_pt = pfn >= l4_pfn && pfn < l4_pfn + l->nr_pt_frames;

            ck_assert_uint_eq((e & PV_PTE_ADDR) >> 12, fake_mfn(&fk, pfn));
            ck_assert_uint_eq(e & ~PV_PTE_ADDR, is_pt ? PV_L1_PROT_RO : PV_L1_PROT);
        }
    }
}
END_TEST

START_TEST(test_build_domu_no_module)
{
    const start_info_t *si;

    parse_kernel();
    ck_assert_msg(build(1024, 0, NULL, 0) == 0, "%s", msg);
    si = start_info();
    ck_assert_uint_eq(si->flags, 0);
    ck_assert_uint_eq(si->mod_start, 0);
    ck_assert_uint_eq(si->mod_len, 0);
    ck_assert_uint_eq(si->cmd_line[0], 0);
    ck_assert_uint_eq(si->mfn_list, KB_VIRT_BASE + 0x5000);
    ck_assert_uint_eq(boot.layout.mod_pfn, PV_NO_PFN);
}
END_TEST

START_TEST(test_build_unmapped_module)
{
    const start_info_t *si;
    const struct pv_layout *l = &boot.layout;

    kb_note_num(&spec, XEN_ELFNOTE_MOD_START_PFN, 1, 4);
    parse_kernel();
    ck_assert_msg(build(2048, 9000, "", SIF_PRIVILEGED | SIF_INITDOMAIN) == 0, "%s", msg);
    si = start_info();
    ck_assert(l->mod_unmapped);
    ck_assert_uint_eq(si->flags, SIF_PRIVILEGED | SIF_INITDOMAIN | SIF_MOD_START_PFN);
    ck_assert_uint_eq(si->mod_start, l->nr_mapped);
    ck_assert_uint_eq(si->mod_len, 9000);
    ck_assert_uint_eq(si->mfn_list, KB_VIRT_BASE + 0x5000);
    ck_assert_mem_eq(page(si->mod_start), module, 4096);
    ck_assert_mem_eq(page(si->mod_start + 1), module + 4096, 4096);
    ck_assert_mem_eq(page(si->mod_start + 2), module + 8192, 9000 - 8192);
    ck_assert(all_bytes(page(si->mod_start + 2) + 9000 - 8192, PAGE_SIZE - (9000 - 8192), 0));
    ck_assert_uint_eq(page(si->mod_start + 3)[0], STALE);
}
END_TEST

START_TEST(test_build_cmdline_length)
{
    char line[MAX_GUEST_CMDLINE + 1];

    parse_kernel();
    memset(line, 'a', sizeof(line));
    line[MAX_GUEST_CMDLINE - 1] = '\0'; /* 1023 characters: fits with its NUL */
    ck_assert_msg(build(1024, 0, line, 0) == 0, "%s", msg);
    ck_assert_uint_eq(strlen((const char *)start_info()->cmd_line), MAX_GUEST_CMDLINE - 1);

    line[MAX_GUEST_CMDLINE - 1] = 'a';
    line[MAX_GUEST_CMDLINE] = '\0'; /* 1024: refused, not truncated */
    ck_assert_int_eq(build(1024, 0, line, 0), -E2BIG);
    ck_assert_str_eq(msg, "command line is longer than 1023 bytes (start_info.cmd_line)");
    /* Refused before anything was written. */
    ck_assert(all_bytes(fk.mem, fk.nr_pages * PAGE_SIZE, STALE));
}
END_TEST

START_TEST(test_start_info_direct)
{
    struct pv_layout l;
    start_info_t si;
    struct pv_start_info_args a = {.shared_info_maddr = 0x1000, .flags = 0, .cmdline = "x"};
    char line[MAX_GUEST_CMDLINE + 5];

    fake_kernel(KB_VIRT_BASE, 0, 0x5000);
    kern.pae = true;
    ck_assert_int_eq(pv_layout(&l, &kern, 0, 1024, msg, sizeof(msg)), 0);
    memset(&si, 0xee, sizeof(si));
    ck_assert_int_eq(pv_fill_start_info(&si, &l, &kern, &a, msg, sizeof(msg)), 0);
    ck_assert_str_eq(si.magic, "xen-3.0-x86_64p"); /* dom0_build.c's PAE suffix */
    ck_assert_str_eq((const char *)si.cmd_line, "x");
    ck_assert_uint_eq(si.cmd_line[1], 0);
    ck_assert_uint_eq(si.nr_pages, 1024);
    ck_assert_uint_eq(si.pt_base, l.pt_start);
    ck_assert_uint_eq(si.store_mfn, 0);

    memset(line, 'b', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    a.cmdline = line;
    ck_assert_int_eq(pv_fill_start_info(&si, &l, &kern, &a, msg, sizeof(msg)), -E2BIG);
}
END_TEST

START_TEST(test_build_dom0_feature)
{
    kb_note_num(&spec, XEN_ELFNOTE_SUPPORTED_FEATURES, 1U << XENFEAT_writable_page_tables, 4);
    parse_kernel();
    ck_assert_int_eq(build(1024, 0, NULL, SIF_PRIVILEGED | SIF_INITDOMAIN), -EINVAL);
    ck_assert_msg(strstr(msg, "does not support dom0 operation"), "%s", msg);
    ck_assert_msg(build(1024, 0, NULL, 0) == 0, "%s", msg); /* fine as a domU */

    kb_note_num(&spec, XEN_ELFNOTE_SUPPORTED_FEATURES, 1U << XENFEAT_dom0, 4);
    parse_kernel();
    ck_assert_msg(build(1024, 0, NULL, SIF_PRIVILEGED | SIF_INITDOMAIN) == 0, "%s", msg);

    /* Through the FEATURES string too. */
    kb_default(&spec);
    kb_note_num(&spec, XEN_ELFNOTE_SUPPORTED_FEATURES, 0, 4);
    kb_drop_note(&spec, XEN_ELFNOTE_FEATURES);
    kb_note_str(&spec, XEN_ELFNOTE_FEATURES, "dom0");
    parse_kernel();
    ck_assert_msg(build(1024, 0, NULL, SIF_PRIVILEGED | SIF_INITDOMAIN) == 0, "%s", msg);
}
END_TEST

START_TEST(test_build_too_small)
{
    parse_kernel();
    ck_assert_int_eq(build(1000, 0, NULL, 0), -ENOMEM);
    ck_assert_msg(strstr(msg, "domain memory too small: 1000 pages"), "%s", msg);
    ck_assert(all_bytes(fk.mem, fk.nr_pages * PAGE_SIZE, STALE));
}
END_TEST

START_TEST(test_build_map_failure)
{
    parse_kernel();
    ck_assert_int_eq(build(1024, 0, NULL, 0), 0);
    for (uint64_t bad = 0; bad < 1024; bad += 97) {
        struct pv_build_args a = {.kernel = &kern, .nr_pages = 1024};

        fake_init(1024);
        fk.fail_pfn = bad;
        ck_assert_int_eq(pv_build(&a, &fake_mem, &boot, msg, sizeof(msg)), -EFAULT);
        ck_assert_msg(strstr(msg, "cannot map guest PFN"), "%s", msg);
    }
}
END_TEST

START_TEST(test_build_module_without_data)
{
    struct pv_build_args a = {.kernel = &kern, .nr_pages = 1024, .module_len = 10};

    parse_kernel();
    fake_init(1024);
    ck_assert_int_eq(pv_build(&a, &fake_mem, &boot, msg, sizeof(msg)), -EINVAL);
}
END_TEST

/* A Linux-shaped kernel: image at VIRT_BASE + 16 MiB, PFNs below it mapped and zero. */
START_TEST(test_build_linux_shape)
{
    const struct pv_layout *l = &boot.layout;

    spec.segs[0].paddr = 0x1000000;
    spec.segs[1].paddr = 0x1002000;
    kb_drop_note(&spec, XEN_ELFNOTE_ENTRY);
    kb_drop_note(&spec, XEN_ELFNOTE_HYPERCALL_PAGE);
    kb_note_num(&spec, XEN_ELFNOTE_ENTRY, KB_VIRT_BASE + 0x1000000, 8);
    kb_note_num(&spec, XEN_ELFNOTE_HYPERCALL_PAGE, KB_VIRT_BASE + 0x1001000, 8);
    parse_kernel();
    ck_assert_int_eq(build(4096, 0, NULL, 0), -ENOMEM);
    ck_assert_msg(build(8192, 0, NULL, SIF_PRIVILEGED | SIF_INITDOMAIN) == 0, "%s", msg);
    ck_assert_uint_eq(l->kern_start, KB_VIRT_BASE + 0x1000000);
    ck_assert_uint_eq(boot.hypercall_pfn, 0x1001);
    ck_assert_uint_eq(boot.rip, KB_VIRT_BASE + 0x1000000);
    ck_assert_uint_eq(page(0x1000)[0], kb_pattern(kb_get_ph(img, 0).p_offset));
    for (uint64_t pfn = 0; pfn < 0x1000; pfn += 33)
        ck_assert_uint_eq(page(pfn)[7], 0);
    check_layout(l, 0, 8192);
}
END_TEST

static Suite *domain_build_suite(void)
{
    Suite *s = suite_create("domain_build");
    TCase *tl = tcase_create("layout");
    TCase *tp = tcase_create("page_tables");
    TCase *tb = tcase_create("build");

    tcase_add_checked_fixture(tl, setup, teardown);
    tcase_add_test(tl, test_layout_example);
    tcase_add_test(tl, test_layout_matches_xen);
    tcase_add_test(tl, test_layout_sizes);
    tcase_add_test(tl, test_layout_crossing_boundaries);
    tcase_add_test(tl, test_layout_too_small);
    tcase_add_test(tl, test_layout_hypervisor_hole);
    tcase_add_test(tl, test_layout_not_canonical);
    tcase_add_test(tl, test_layout_wraps);
    suite_add_tcase(s, tl);

    tcase_add_checked_fixture(tp, setup, teardown);
    tcase_set_timeout(tp, 60);
    tcase_add_test(tp, test_page_tables);
    tcase_add_test(tp, test_page_tables_map_failure);
    suite_add_tcase(s, tp);

    tcase_add_checked_fixture(tb, setup, teardown);
    tcase_set_timeout(tb, 60);
    tcase_add_test(tb, test_build_dom0);
    tcase_add_test(tb, test_build_domu_no_module);
    tcase_add_test(tb, test_build_unmapped_module);
    tcase_add_test(tb, test_build_cmdline_length);
    tcase_add_test(tb, test_start_info_direct);
    tcase_add_test(tb, test_build_dom0_feature);
    tcase_add_test(tb, test_build_too_small);
    tcase_add_test(tb, test_build_map_failure);
    tcase_add_test(tb, test_build_module_without_data);
    tcase_add_test(tb, test_build_linux_shape);
    suite_add_tcase(s, tb);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(domain_build_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
