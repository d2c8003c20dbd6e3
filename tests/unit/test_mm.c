/*
 * Unit tests for hypervisor/common/mm.c: Xen's typed-frame rules (general and type
 * references, validation of L1-L4 tables, pinning, CR3 references), update_va_mapping and
 * teardown, on a simulated frame table with fake frame memory.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/domain.h>
#include <mica/domain_build.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/panic.h>
#include "hv_unrename.h"

/* ---- The simulated machine ---- */

#define NFRAMES       2048
#define MFN_HV        1 /* hypervisor memory: DOMID_XEN, count 0 */
#define MFN_XENHEAP   2 /* hypervisor memory with a reference: DOMID_XEN, count 1 */
#define MFN_IO        3 /* device memory: DOMID_IO */
#define MFN_FREE      4 /* free frame */
#define MFN_FIRST_DOM 8 /* domains' frames are handed out from here */

static struct page_info frames[NFRAMES];
static uint64_t mem[NFRAMES][PT_ENTRIES] __attribute__((aligned(4096)));
static bool freed[NFRAMES];
static mfn_t next_free;
unsigned long max_mfn = NFRAMES;

static struct domain dom[3]; /* dom[1], dom[2] used: ids 1 and 2 */
static struct vcpu vcpus[3];
struct vcpu *current;

static unsigned int nr_flushes, nr_invlpg;
static uint64_t last_invlpg;
static bool io_domain;           /* what domain_has_io_resources()/iomem_access_permitted() say */
static unsigned long guest_bmap; /* contents of the guest's vCPU bitmap at BMAP_VA */
#define BMAP_VA 0x10000UL

struct page_info *mfn_to_page(mfn_t mfn)
{
    ck_assert_uint_lt(mfn, NFRAMES);
    return &frames[mfn];
}

bool mfn_valid(mfn_t mfn)
{
    return mfn < NFRAMES;
}

void *map_frame(mfn_t mfn)
{
    ck_assert_uint_lt(mfn, NFRAMES);
    return mem[mfn];
}

int free_frames(mfn_t mfn, unsigned int order)
{
    ck_assert_uint_eq(order, 0);
    ck_assert(!freed[mfn]);
    freed[mfn] = true;
    frames[mfn].owner = PAGE_OWNER_FREE;
    frames[mfn].count_info = 0;
    frames[mfn].type_info = 0;
    return 0;
}

struct domain *domain_lookup(domid_t domid)
{
    return (domid == 1 || domid == 2) ? &dom[domid] : NULL;
}

void arch_flush_tlb_local(void)
{
    nr_flushes++;
}

void arch_invlpg(uint64_t va)
{
    nr_invlpg++;
    last_invlpg = va;
}

/* The hypervisor's slots get a recognisable pattern. */
static uint64_t hv_slot_value(unsigned int slot)
{
    return 0x7000000000ULL | ((uint64_t)slot << PAGE_SHIFT) | PT_PRESENT | PT_RW;
}

void arch_init_hv_l4_slots(uint64_t *l4)
{
    for (unsigned int i = PT_HV_L4_FIRST; i <= PT_HV_L4_LAST; i++)
        l4[i] = hv_slot_value(i);
}

bool iomem_access_permitted(const struct domain *d, mfn_t mfn)
{
    (void)d;
    (void)mfn;
    return io_domain;
}

bool domain_has_io_resources(const struct domain *d)
{
    (void)d;
    return io_domain;
}

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    if (src != BMAP_VA || len != sizeof(guest_bmap))
        return -EFAULT;
    memcpy(dst, &guest_bmap, len);
    return 0;
}

void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ck_abort_msg("panic: %s", buf);
    abort();
}

static void setup(void)
{
    memset(frames, 0, sizeof(frames));
    memset(mem, 0, sizeof(mem));
    memset(freed, 0, sizeof(freed));
    memset(dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    memset(&mm_counters, 0, sizeof(mm_counters));
    for (mfn_t m = 0; m < NFRAMES; m++)
        frames[m].owner = DOMID_XEN;
    frames[MFN_XENHEAP].count_info = 1;
    frames[MFN_IO].owner = DOMID_IO;
    frames[MFN_FREE].owner = PAGE_OWNER_FREE;
    for (domid_t i = 1; i <= 2; i++) {
        dom[i].domain_id = i;
        dom[i].vcpu[0] = &vcpus[i];
        vcpus[i].domain = &dom[i];
    }
    current = &vcpus[1];
    next_free = MFN_FIRST_DOM;
    nr_flushes = nr_invlpg = 0;
    last_invlpg = 0;
    io_domain = false;
    guest_bmap = 0;
}

/* A fresh, zeroed frame for @d, as the builder gives it: PGC_allocated and one reference. */
static mfn_t new_frame(struct domain *d)
{
    mfn_t m = next_free++;

    ck_assert_uint_lt(m, NFRAMES);
    frames[m] = (struct page_info){
        .count_info = PGC_alloc_head | PGC_allocated | 1, .type_info = 0, .owner = d->domain_id};
    d->tot_pages++;
    return m;
}

static uint64_t pte(mfn_t mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

static uint64_t refs(mfn_t m)
{
    return frames[m].count_info & PGC_count_mask;
}

static uint32_t trefs(mfn_t m)
{
    return frames[m].type_info & PGT_count_mask;
}

static uint32_t ptype(mfn_t m)
{
    return frames[m].type_info & PGT_type_mask;
}

static bool validated(mfn_t m)
{
    return frames[m].type_info & PGT_validated;
}

#define RW  (PT_PRESENT | PT_RW | PT_USER | PT_ACCESSED | PT_DIRTY)
#define RO  (PT_PRESENT | PT_USER | PT_ACCESSED)
#define TBL (PT_PRESENT | PT_RW | PT_USER | PT_ACCESSED)

/* ---- General references ---- */

START_TEST(test_get_page_owner_and_count)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t a = new_frame(d1);

    ck_assert(get_page(a, d1));
    ck_assert_uint_eq(refs(a), 2);
    ck_assert(!get_page(a, d2));      /* another domain's frame */
    ck_assert(!get_page(MFN_HV, d1)); /* hypervisor memory */
    ck_assert(!get_page(MFN_XENHEAP, d1));
    ck_assert(!get_page(MFN_IO, d1));
    ck_assert(!get_page(MFN_FREE, d1));
    ck_assert(!get_page(NFRAMES, d1)); /* beyond the frame table */
    ck_assert(!get_page(~0UL, d1));
    ck_assert_uint_eq(refs(a), 2);
    put_page(a);
    ck_assert_uint_eq(refs(a), 1);
    ck_assert(frames[a].count_info & PGC_allocated);

    /* A frame the owner has given up (count 0) cannot be referenced. */
    mfn_t b = new_frame(d1);
    frames[b].count_info &= ~(PGC_allocated | PGC_count_mask);
    ck_assert(!get_page(b, d1));

    /* The count never wraps. */
    frames[a].count_info = PGC_allocated | (PGC_count_mask - 1);
    ck_assert(!get_page(a, d1));
    frames[a].count_info = PGC_allocated | (PGC_count_mask - 2);
    ck_assert(get_page(a, d1));
    ck_assert(!get_page(a, d1));
}
END_TEST

START_TEST(test_put_page_last_reference_frees)
{
    struct domain *d1 = &dom[1];
    mfn_t a = new_frame(d1);

    ck_assert_uint_eq(d1->tot_pages, 1);
    ck_assert(get_page(a, d1));
    frames[a].count_info &= ~PGC_allocated; /* the owner gives it back... */
    put_page(a);                            /* ...its allocation reference */
    ck_assert(!freed[a]);                   /* still referenced */
    unsigned int flushes = nr_flushes;
    put_page(a);
    ck_assert(freed[a]);
    ck_assert_uint_eq(nr_flushes, flushes + 1); /* no stale translation outlives the frame */
    ck_assert_uint_eq(d1->tot_pages, 0);
}
END_TEST

/* ---- Type references ---- */

START_TEST(test_writable_then_page_table_refused)
{
    struct domain *d1 = &dom[1];
    mfn_t a = new_frame(d1);

    ck_assert_int_eq(get_page_and_type(a, d1, PGT_writable_page), 0);
    ck_assert_uint_eq(ptype(a), PGT_writable_page);
    ck_assert(validated(a));
    ck_assert_uint_eq(trefs(a), 1);
    /* A second writable use stacks up. */
    ck_assert_int_eq(get_page_and_type(a, d1, PGT_writable_page), 0);
    ck_assert_uint_eq(trefs(a), 2);
    ck_assert_uint_eq(refs(a), 3);

    /* While mapped writable it cannot become a page table of any level. */
    for (unsigned int l = 1; l <= 4; l++)
        ck_assert_int_eq(get_page_and_type(a, d1, pgt_level_type(l)), -EINVAL);
    ck_assert_int_eq(pin_page_table(d1, a, 1), -EINVAL);
    ck_assert_uint_eq(refs(a), 3);
    ck_assert_uint_eq(trefs(a), 2);

    put_page_and_type(a);
    ck_assert_int_eq(get_page_and_type(a, d1, PGT_l1_page_table), -EINVAL);
    put_page_and_type(a);
    ck_assert_uint_eq(trefs(a), 0);
    ck_assert_uint_eq(ptype(a), PGT_writable_page); /* the type stays until it changes */

    /* Now it may: the change from writable flushes the TLB (stale writable entries). */
    unsigned int flushes = nr_flushes;
    ck_assert_int_eq(get_page_and_type(a, d1, PGT_l1_page_table), 0);
    ck_assert_uint_eq(nr_flushes, flushes + 1);
    ck_assert_uint_eq(ptype(a), PGT_l1_page_table);
    ck_assert(validated(a));
    ck_assert_uint_eq(refs(a), 2);
    put_page_and_type(a);
    ck_assert_uint_eq(refs(a), 1);
    ck_assert(!validated(a)); /* devalidated with its last type reference */
}
END_TEST

START_TEST(test_page_table_then_writable_refused)
{
    struct domain *d1 = &dom[1];
    mfn_t a = new_frame(d1);
    unsigned int flushes = nr_flushes;

    ck_assert_int_eq(pin_page_table(d1, a, 1), 0);
    ck_assert_uint_eq(nr_flushes, flushes); /* untyped -> L1: nothing to flush */
    ck_assert_uint_eq(trefs(a), 1);
    ck_assert(frames[a].type_info & PGT_pinned);
    ck_assert_int_eq(get_page_and_type(a, d1, PGT_writable_page), -EINVAL);
    ck_assert_int_eq(get_page_and_type(a, d1, PGT_l2_page_table), -EINVAL);
    ck_assert_int_eq(get_page_and_type(a, d1, PGT_seg_desc_page), -EINVAL);
    ck_assert_uint_eq(refs(a), 2);
    ck_assert_int_eq(unpin_page_table(d1, a), 0);
    ck_assert_uint_eq(refs(a), 1);
    ck_assert_uint_eq(trefs(a), 0);
    ck_assert_int_eq(get_page_and_type(a, d1, PGT_writable_page), 0);
    ck_assert_uint_eq(nr_flushes, flushes + 1); /* L1 -> writable flushes */
    put_page_and_type(a);
}
END_TEST

START_TEST(test_type_count_overflow)
{
    struct domain *d1 = &dom[1];
    mfn_t a = new_frame(d1);

    frames[a].type_info = PGT_writable_page | PGT_validated | (PGT_count_mask - 1);
    ck_assert_int_eq(get_page_type(a, PGT_writable_page), 0);
    ck_assert_int_eq(get_page_type(a, PGT_writable_page), -EINVAL);
    ck_assert_uint_eq(trefs(a), PGT_count_mask);
}
END_TEST

/* ---- L1 validation ---- */

START_TEST(test_l1_validation_refs_and_devalidation)
{
    struct domain *d1 = &dom[1];
    mfn_t l1 = new_frame(d1), w = new_frame(d1), r = new_frame(d1);

    mem[l1][0] = pte(w, RW);
    mem[l1][1] = pte(r, RO);
    mem[l1][2] = pte(w, RW);                 /* a second writable mapping of the same frame */
    mem[l1][3] = pte(l1, RO);                /* the table itself, read-only: allowed */
    mem[l1][4] = pte(w, PT_PRESENT | PT_RW); /* no _USER: Xen marks it a guest-kernel page */
    mem[l1][5] = 0xabc000;                   /* not present: anything goes */

    ck_assert_int_eq(pin_page_table(d1, l1, 1), 0);
    ck_assert(validated(l1));
    ck_assert_uint_eq(refs(w), 1 + 3);
    ck_assert_uint_eq(trefs(w), 3);
    ck_assert_uint_eq(ptype(w), PGT_writable_page);
    ck_assert_uint_eq(refs(r), 1 + 1);
    ck_assert_uint_eq(trefs(r), 0);
    ck_assert_uint_eq(ptype(r), PGT_none);
    ck_assert_uint_eq(refs(l1), 1 + 1 + 1); /* allocation, pin, its own RO mapping */
    ck_assert_uint_eq(mem[l1][4], pte(w, PT_PRESENT | PT_RW | PT_USER | PT_GUEST_KERNEL));
    ck_assert_uint_eq(mem[l1][0], pte(w, RW));
    ck_assert_uint_eq(mm_counters.tables_promoted, 1);
    ck_assert_uint_eq(mm_counters.entries_validated, 5);

    ck_assert_int_eq(unpin_page_table(d1, l1), 0);
    ck_assert(!validated(l1));
    ck_assert_uint_eq(refs(w), 1);
    ck_assert_uint_eq(trefs(w), 0);
    ck_assert_uint_eq(refs(r), 1);
    ck_assert_uint_eq(refs(l1), 1);
    ck_assert_uint_eq(mm_counters.tables_demoted, 1);
}
END_TEST

/* Pin @table as an L@level and expect @err with every count unchanged and the frame untyped. */
static void expect_pin_fails(mfn_t table, unsigned int level, int err)
{
    struct domain *d1 = &dom[1];
    uint64_t before[NFRAMES];
    uint32_t tbefore[NFRAMES];

    for (mfn_t m = 0; m < NFRAMES; m++) {
        before[m] = frames[m].count_info;
        tbefore[m] = frames[m].type_info;
    }
    ck_assert_int_eq(pin_page_table(d1, table, level), err);
    for (mfn_t m = 0; m < NFRAMES; m++) {
        ck_assert_msg(frames[m].count_info == before[m], "count of mfn %lu changed", m);
        /* A type whose count went back to zero may stay behind (as in Xen): compare counts,
           and whole type_info where references remain. */
        if (m != table && (tbefore[m] & PGT_count_mask))
            ck_assert_msg(frames[m].type_info == tbefore[m], "type of mfn %lu changed", m);
        if (m != table)
            ck_assert_msg(!(frames[m].type_info & (PGT_count_mask | PGT_pinned)) ==
                              !(tbefore[m] & (PGT_count_mask | PGT_pinned)),
                          "type count of mfn %lu changed", m);
    }
    ck_assert_uint_eq(frames[table].type_info, 0);
}

START_TEST(test_l1_validation_failure_rolls_back)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t l1 = new_frame(d1), w = new_frame(d1), r = new_frame(d1), foreign = new_frame(d2);

    mem[l1][0] = pte(w, RW);
    mem[l1][1] = pte(r, RO);
    mem[l1][7] = pte(w, RW);
    mem[l1][300] = pte(foreign, RO); /* fails late: the first three must be undone */
    expect_pin_fails(l1, 1, -EBUSY);
    ck_assert_uint_eq(mm_counters.validation_failures, 1);

    mem[l1][300] = pte(MFN_HV, RO); /* hypervisor memory */
    expect_pin_fails(l1, 1, -EBUSY);
    mem[l1][300] = pte(MFN_XENHEAP, RO);
    expect_pin_fails(l1, 1, -EBUSY);
    mem[l1][300] = pte(MFN_FREE, RO);
    expect_pin_fails(l1, 1, -EBUSY);
    mem[l1][300] = pte(r, RO | PT_PCD); /* cache attributes without I/O resources */
    expect_pin_fails(l1, 1, -EINVAL);
    mem[l1][300] = pte(l1, RW); /* the table itself, writable */
    expect_pin_fails(l1, 1, -EBUSY);
    mem[l1][300] = pte(NFRAMES + 5, RO); /* beyond the frame table: MMIO, not permitted */
    expect_pin_fails(l1, 1, -EPERM);

    mem[l1][300] = 0;
    ck_assert_int_eq(pin_page_table(d1, l1, 1), 0);
    ck_assert_uint_eq(refs(w), 3);
}
END_TEST

START_TEST(test_l1_flags)
{
    struct domain *d1 = &dom[1];
    mfn_t l1 = new_frame(d1), a = new_frame(d1);
    static const struct {
        uint64_t flags;
        int rc;
    } cases[] = {
        {RW | PT_PWT, -EINVAL}, {RW | PT_PCD, -EINVAL},
        {RW | PT_PAT, -EINVAL}, /* bit 7 of an L1 entry: PAT, never a superpage */
        {RW | PT_GLOBAL, 0},    {RW | PT_NX, 0},
        {RW | PT_AVAIL, 0},     {RW | PT_AVAIL_HIGH, 0},
        {RO | PT_DIRTY, 0},
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        mem[l1][9] = pte(a, cases[i].flags);
        ck_assert_msg(pin_page_table(d1, l1, 1) == cases[i].rc, "case %u", i);
        if (cases[i].rc == 0)
            ck_assert_int_eq(unpin_page_table(d1, l1), 0);
        ck_assert_uint_eq(refs(a), 1);
    }

    /* A domain with I/O resources may choose cache attributes. */
    io_domain = true;
    mem[l1][9] = pte(a, RW | PT_PCD | PT_PWT);
    ck_assert_int_eq(pin_page_table(d1, l1, 1), 0);
    ck_assert_int_eq(unpin_page_table(d1, l1), 0);
}
END_TEST

START_TEST(test_l1_mmio)
{
    struct domain *d1 = &dom[1];
    mfn_t l1 = new_frame(d1);

    mem[l1][0] = pte(MFN_IO, RW);
    expect_pin_fails(l1, 1, -EPERM);
    mem[l1][0] = pte(0xfee00, RW); /* LAPIC, beyond the frame table */
    expect_pin_fails(l1, 1, -EPERM);
    mem[l1][0] = PT_ADDR_MASK | RW; /* Xen's "invalid MFN" */
    expect_pin_fails(l1, 1, -EINVAL);

    /* With permission: no references, and the mapping forced uncached. */
    io_domain = true;
    mem[l1][0] = pte(MFN_IO, RW);
    mem[l1][1] = pte(0xfee00, RW | PT_PWT);
    ck_assert_int_eq(pin_page_table(d1, l1, 1), 0);
    ck_assert_uint_eq(refs(MFN_IO), 0);
    ck_assert_uint_eq(mem[l1][0], pte(MFN_IO, RW | PT_PCD | PT_PWT));
    ck_assert_uint_eq(mem[l1][1], pte(0xfee00, RW | PT_PCD | PT_PWT));
    ck_assert_int_eq(unpin_page_table(d1, l1), 0);
    ck_assert_uint_eq(refs(MFN_IO), 0);
}
END_TEST

START_TEST(test_shared_xen_page)
{
    struct domain *d1 = &dom[1];
    mfn_t l1 = new_frame(d1);
    mfn_t si = MFN_FIRST_DOM + 60; /* a hypervisor frame, like shared_info */

    frames[si] = (struct page_info){.count_info = PGC_alloc_head, .owner = DOMID_XEN};
    mem[l1][0] = pte(si, RW);
    expect_pin_fails(l1, 1, -EBUSY); /* not shared yet: the hypervisor's */

    share_xen_page_with_guest(si, d1);
    ck_assert_uint_eq(frames[si].owner, 1);
    ck_assert_uint_eq(d1->tot_pages, 1); /* not counted */
    ck_assert_int_eq(pin_page_table(d1, l1, 1), 0);
    ck_assert_uint_eq(refs(si), 2);
    ck_assert_uint_eq(trefs(si), 2);
    /* It can never become a page table. */
    ck_assert_int_eq(pin_page_table(d1, si, 1), -EINVAL);
    ck_assert_int_eq(unpin_page_table(d1, l1), 0);
    ck_assert_int_eq(pin_page_table(d1, si, 1), -EINVAL);

    /* A domain that may choose cache attributes still may not for a shared page. */
    io_domain = true;
    mem[l1][0] = pte(si, RW | PT_PCD);
    expect_pin_fails(l1, 1, -EACCES);

    /* Teardown drops everything but never frees it. */
    ck_assert_uint_eq(domain_relinquish_memory(d1), 0);
    ck_assert(!freed[si]);
    ck_assert_uint_eq(refs(si), 0);
    ck_assert_uint_eq(frames[si].type_info, 0);
}
END_TEST

/* ---- Upper levels ---- */

START_TEST(test_upper_level_flags_and_targets)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t l2 = new_frame(d1), l1 = new_frame(d1), data = new_frame(d1), foreign = new_frame(d2);

    mem[l2][0] = pte(l1, TBL | PT_PSE); /* a 2 MiB superpage */
    expect_pin_fails(l2, 2, -EINVAL);
    mem[l2][0] = pte(l1, TBL | PT_PWT);
    expect_pin_fails(l2, 2, -EINVAL);
    mem[l2][0] = pte(l1, TBL | PT_PCD);
    expect_pin_fails(l2, 2, -EINVAL);
    mem[l2][0] = pte(l1, TBL | PT_GLOBAL);
    expect_pin_fails(l2, 2, -EINVAL);
    mem[l2][0] = pte(foreign, TBL); /* not the domain's */
    expect_pin_fails(l2, 2, -EINVAL);
    mem[l2][0] = pte(MFN_HV, TBL);
    expect_pin_fails(l2, 2, -EINVAL);
    mem[l2][0] = pte(NFRAMES + 1, TBL);
    expect_pin_fails(l2, 2, -EINVAL);

    /* An L1 candidate mapped writable elsewhere cannot become the L1. */
    ck_assert_int_eq(get_page_and_type(data, d1, PGT_writable_page), 0);
    mem[l2][0] = pte(data, TBL);
    expect_pin_fails(l2, 2, -EINVAL);
    put_page_and_type(data);

    /* An L1 whose own validation fails passes its error up, and nothing is left. */
    mem[l1][5] = pte(foreign, RW);
    mem[l1][6] = pte(data, RW);
    mem[l2][0] = pte(l1, TBL);
    expect_pin_fails(l2, 2, -EBUSY);
    ck_assert_uint_eq(frames[l1].type_info, 0);

    /* Fixed, it validates, with NX and software bits allowed. */
    mem[l1][5] = 0;
    mem[l2][0] = pte(l1, TBL | PT_NX | PT_AVAIL);
    ck_assert_int_eq(pin_page_table(d1, l2, 2), 0);
    ck_assert_uint_eq(ptype(l1), PGT_l1_page_table);
    ck_assert_uint_eq(trefs(l1), 1);
    ck_assert_uint_eq(refs(l1), 2);
    ck_assert_uint_eq(trefs(data), 1);

    /* A level mismatch: an L2 where an L1 belongs. */
    mfn_t l2b = new_frame(d1);
    mem[l2b][0] = pte(l2, TBL);
    expect_pin_fails(l2b, 2, -EINVAL);
}
END_TEST

START_TEST(test_linear_entries)
{
    struct domain *d1 = &dom[1];
    mfn_t l4 = new_frame(d1), other = new_frame(d1), l2 = new_frame(d1);

    /* Read-only self entry (recursive mapping): allowed, no references. */
    mem[l4][510] = pte(l4, PT_PRESENT | PT_USER | PT_ACCESSED);
    ck_assert_int_eq(pin_page_table(d1, l4, 4), 0);
    ck_assert_uint_eq(refs(l4), 2);
    ck_assert_uint_eq(trefs(l4), 1);
    ck_assert_int_eq(unpin_page_table(d1, l4), 0);
    ck_assert_uint_eq(refs(l4), 1);

    /* Writable self entry: refused. */
    mem[l4][510] = pte(l4, TBL);
    expect_pin_fails(l4, 4, -EINVAL);

    /* Read-only entry to another validated L4 (Xen's same-level linear entry): allowed. */
    ck_assert_int_eq(pin_page_table(d1, other, 4), 0);
    mem[l4][510] = pte(other, PT_PRESENT | PT_USER);
    ck_assert_int_eq(pin_page_table(d1, l4, 4), 0);
    ck_assert_uint_eq(refs(other), 3); /* allocation, pin, the linear entry */
    ck_assert_uint_eq(trefs(other), 2);
    ck_assert_int_eq(frames[l4].linear_pt_count, 1);
    ck_assert_int_eq(frames[other].linear_pt_count, -1);
    /* Unpinning the target leaves it validated: the linear entry holds a type reference. */
    ck_assert_int_eq(unpin_page_table(d1, other), 0);
    ck_assert(validated(other));
    ck_assert_uint_eq(trefs(other), 1);
    /* Unpinning the table with the entry drops the last one: both demoted, counts 0. */
    ck_assert_int_eq(unpin_page_table(d1, l4), 0);
    ck_assert(!validated(other) && !validated(l4));
    ck_assert_uint_eq(refs(other), 1);
    ck_assert_uint_eq(refs(l4), 1);
    ck_assert_int_eq(frames[l4].linear_pt_count, 0);
    ck_assert_int_eq(frames[other].linear_pt_count, 0);

    /* A target that is not (yet) a validated L4 is refused: linear entries never validate. */
    expect_pin_fails(l4, 4, -EINVAL);
    ck_assert_uint_eq(refs(other), 1);

    /* The same rule at L2. */
    mem[l2][3] = pte(l2, PT_PRESENT | PT_USER);
    ck_assert_int_eq(pin_page_table(d1, l2, 2), 0);
    ck_assert_uint_eq(refs(l2), 2);
    ck_assert_int_eq(unpin_page_table(d1, l2), 0);
}
END_TEST

START_TEST(test_linear_entries_cross_table)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t a = new_frame(d1), b = new_frame(d1), c = new_frame(d1), l3 = new_frame(d1);
    mfn_t l3b = new_frame(d1), foreign = new_frame(d2);

    ck_assert_int_eq(pin_page_table(d1, a, 4), 0);
    ck_assert_int_eq(pin_page_table(d1, b, 4), 0);
    ck_assert_int_eq(pin_page_table(d1, c, 4), 0);

    /* Writable: refused, whatever the target. */
    ck_assert_int_eq(mod_pt_entry(d1, a, 5, pte(b, TBL)), -EINVAL);
    /* Another domain's L4: refused. */
    mem[foreign][0] = 0;
    ck_assert_int_eq(mod_pt_entry(d1, a, 5, pte(foreign, PT_PRESENT)), -EINVAL);

    /* a -> b read-only: a now has a linear entry, b is a linear target. */
    ck_assert_int_eq(mod_pt_entry(d1, a, 5, pte(b, PT_PRESENT)), 0);
    ck_assert_uint_eq(mem[a][5], pte(b, PT_PRESENT | PT_USER | PT_ACCESSED));
    ck_assert_int_eq(frames[a].linear_pt_count, 1);
    ck_assert_int_eq(frames[b].linear_pt_count, -1);
    ck_assert_uint_eq(trefs(b), 2);
    /* More entries from a, and c -> b: counts add up. */
    ck_assert_int_eq(mod_pt_entry(d1, a, 6, pte(c, PT_PRESENT)), 0);
    ck_assert_int_eq(mod_pt_entry(d1, c, 7, pte(b, PT_PRESENT)), -EINVAL); /* c is a target */
    ck_assert_int_eq(frames[a].linear_pt_count, 2);
    ck_assert_int_eq(frames[c].linear_pt_count, -1);

    /* XSA-240: a target may not get linear entries, a table with them may not be a target. */
    ck_assert_int_eq(mod_pt_entry(d1, b, 8, pte(c, PT_PRESENT)), -EINVAL);
    ck_assert_int_eq(mod_pt_entry(d1, b, 8, pte(a, PT_PRESENT)), -EINVAL); /* a loop */
    ck_assert_int_eq(mod_pt_entry(d1, c, 8, pte(a, PT_PRESENT)), -EINVAL);
    ck_assert_uint_eq(mem[b][8], 0);
    ck_assert_uint_eq(trefs(a), 1);
    /* An entry pointing at its own table is always fine, also in a linear target. */
    ck_assert_int_eq(mod_pt_entry(d1, b, 9, pte(b, PT_PRESENT)), 0);
    ck_assert_int_eq(frames[b].linear_pt_count, -1);

    /* The fast path (flags only) keeps counts; RO -> RW goes through the checks. */
    ck_assert_int_eq(mod_pt_entry(d1, a, 5, pte(b, PT_PRESENT | PT_NX)), 0);
    ck_assert_int_eq(frames[a].linear_pt_count, 2);
    ck_assert_int_eq(mod_pt_entry(d1, a, 5, pte(b, PT_PRESENT | PT_RW)), -EINVAL);
    ck_assert_uint_eq(trefs(b), 2);

    /* Removing the entries gives everything back. */
    ck_assert_int_eq(mod_pt_entry(d1, a, 5, 0), 0);
    ck_assert_int_eq(frames[b].linear_pt_count, 0);
    ck_assert_int_eq(frames[a].linear_pt_count, 1);
    ck_assert_uint_eq(trefs(b), 1);
    /* b has no linear role left: it may point at c, a target of a as well. */
    ck_assert_int_eq(mod_pt_entry(d1, b, 8, pte(c, PT_PRESENT)), 0);
    ck_assert_int_eq(frames[c].linear_pt_count, -2);
    ck_assert_int_eq(mod_pt_entry(d1, b, 8, 0), 0);
    ck_assert_int_eq(mod_pt_entry(d1, a, 6, 0), 0);
    ck_assert_int_eq(frames[a].linear_pt_count, 0);
    ck_assert_int_eq(frames[b].linear_pt_count, 0);
    ck_assert_int_eq(frames[c].linear_pt_count, 0);
    /* With all roles gone, the reverse direction works. */
    ck_assert_int_eq(mod_pt_entry(d1, b, 8, pte(a, PT_PRESENT)), 0);
    ck_assert_int_eq(frames[b].linear_pt_count, 1);
    ck_assert_int_eq(frames[a].linear_pt_count, -1);

    /* At L3: an L3 pointing read-only at another validated L3. */
    ck_assert_int_eq(pin_page_table(d1, l3b, 3), 0);
    mem[l3][1] = pte(l3b, PT_PRESENT);
    ck_assert_int_eq(pin_page_table(d1, l3, 3), 0);
    ck_assert_int_eq(frames[l3].linear_pt_count, 1);
    ck_assert_int_eq(frames[l3b].linear_pt_count, -1);
    ck_assert_uint_eq(trefs(l3b), 2);

    /* Validation failing after a linear entry rolls the counts back. */
    mfn_t l3c = new_frame(d1);
    mem[l3c][1] = pte(l3b, PT_PRESENT);
    mem[l3c][2] = pte(foreign, TBL);
    expect_pin_fails(l3c, 3, -EINVAL);
    ck_assert_int_eq(frames[l3b].linear_pt_count, -1);
    ck_assert_uint_eq(trefs(l3b), 2);
    ck_assert_uint_eq(refs(l3b), 3);

    /* Teardown: every count back to zero, every frame freed. */
    ck_assert_uint_eq(domain_relinquish_memory(d1), 0);
    mfn_t all[] = {a, b, c, l3, l3b, l3c};
    for (unsigned int i = 0; i < ARRAY_SIZE(all); i++) {
        ck_assert_msg(freed[all[i]], "mfn %lu not freed", all[i]);
        ck_assert_uint_eq(frames[all[i]].count_info, 0);
        ck_assert_uint_eq(frames[all[i]].type_info, 0);
    }
}
END_TEST

START_TEST(test_linear_count_overlays_free_links)
{
    /* The count lives in the allocator's links: validation starts it from 0. */
    struct domain *d1 = &dom[1];
    mfn_t a = new_frame(d1), b = new_frame(d1);

    frames[a].next = frames[a].prev = PAGE_LIST_NULL; /* as the allocator leaves them */
    frames[b].next = frames[b].prev = PAGE_LIST_NULL;
    ck_assert_int_eq(pin_page_table(d1, b, 4), 0);
    mem[a][3] = pte(b, PT_PRESENT);
    ck_assert_int_eq(pin_page_table(d1, a, 4), 0);
    ck_assert_int_eq(frames[a].linear_pt_count, 1);
    ck_assert_int_eq(frames[b].linear_pt_count, -1);
    ck_assert_uint_eq(sizeof(struct page_info), 24);
}
END_TEST

START_TEST(test_l4_hypervisor_slots)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t l4 = new_frame(d1), foreign = new_frame(d2);

    /* Whatever the guest leaves in slots 256-271 is neither checked nor referenced... */
    for (unsigned int i = PT_HV_L4_FIRST; i <= PT_HV_L4_LAST; i++)
        mem[l4][i] = pte(foreign, TBL | PT_PSE);
    ck_assert_int_eq(pin_page_table(d1, l4, 4), 0);
    ck_assert_uint_eq(refs(foreign), 1);
    /* ...and is replaced by the hypervisor's entries. */
    for (unsigned int i = PT_HV_L4_FIRST; i <= PT_HV_L4_LAST; i++)
        ck_assert_uint_eq(mem[l4][i], hv_slot_value(i));
    ck_assert_uint_eq(mem[l4][255], 0);
    ck_assert_uint_eq(mem[l4][272], 0);

    /* No update may touch them, not even to clear one. */
    ck_assert_int_eq(mod_pt_entry(d1, l4, 256, 0), -EINVAL);
    ck_assert_int_eq(mod_pt_entry(d1, l4, 271, hv_slot_value(271)), -EINVAL);
    ck_assert_uint_eq(mem[l4][256], hv_slot_value(256));

    /* Unpinning never drops references for them. */
    ck_assert_int_eq(unpin_page_table(d1, l4), 0);
    ck_assert_uint_eq(refs(foreign), 1);
}
END_TEST

/* ---- A whole 4-level tree, as the domain builder makes it ---- */

#define VA_BASE 0xffffffff80000000ULL /* L4 511, L3 510, L2 0 */
#define NDATA   8

struct tree {
    mfn_t l4, l3, l2, l1, data[NDATA];
};

/*
 * Map VA_BASE.. : data frames writable, then the four tables read-only (pages NDATA..+3),
 * like the builder's initial mapping. L3 and L2 lie in the top L4 slot.
 */
static void build_tree(struct domain *d, struct tree *t)
{
    t->l4 = new_frame(d);
    t->l3 = new_frame(d);
    t->l2 = new_frame(d);
    t->l1 = new_frame(d);
    for (unsigned int i = 0; i < NDATA; i++)
        t->data[i] = new_frame(d);
    mem[t->l4][pt_index(VA_BASE, 4)] = pte(t->l3, TBL);
    mem[t->l3][pt_index(VA_BASE, 3)] = pte(t->l2, TBL);
    mem[t->l2][pt_index(VA_BASE, 2)] = pte(t->l1, TBL);
    for (unsigned int i = 0; i < NDATA; i++)
        mem[t->l1][i] = pte(t->data[i], RW);
    mem[t->l1][NDATA + 0] = pte(t->l4, RO);
    mem[t->l1][NDATA + 1] = pte(t->l3, RO);
    mem[t->l1][NDATA + 2] = pte(t->l2, RO);
    mem[t->l1][NDATA + 3] = pte(t->l1, RO);
}

/* Pin the tree and load it as @d's CR3, as the builder glue does. */
static void boot_tree(struct domain *d, struct tree *t)
{
    build_tree(d, t);
    ck_assert_int_eq(pin_page_table(d, t->l4, 4), 0);
    ck_assert_int_eq(vcpu_set_guest_table(d->vcpu[0], t->l4), 0);
    ck_assert_uint_eq(d->vcpu[0]->guest_table, (paddr_t)t->l4 << PAGE_SHIFT);
}

static void check_tree_counts(const struct tree *t)
{
    /* L4: allocation + pin + CR3 + its RO mapping; type: pin + CR3. */
    ck_assert_uint_eq(refs(t->l4), 4);
    ck_assert_uint_eq(trefs(t->l4), 2);
    ck_assert_uint_eq(frames[t->l4].type_info & (PGT_type_mask | PGT_pinned | PGT_validated),
                      PGT_l4_page_table | PGT_pinned | PGT_validated);
    /* L3, L2, L1: allocation + the entry above + RO mapping; type: the entry above. */
    ck_assert_uint_eq(refs(t->l3), 3);
    ck_assert_uint_eq(trefs(t->l3), 1);
    ck_assert_uint_eq(ptype(t->l3), PGT_l3_page_table);
    ck_assert_uint_eq(refs(t->l2), 3);
    ck_assert_uint_eq(trefs(t->l2), 1);
    ck_assert_uint_eq(ptype(t->l2), PGT_l2_page_table);
    ck_assert_uint_eq(refs(t->l1), 3);
    ck_assert_uint_eq(trefs(t->l1), 1);
    ck_assert_uint_eq(ptype(t->l1), PGT_l1_page_table);
    ck_assert(validated(t->l3) && validated(t->l2) && validated(t->l1));
    for (unsigned int i = 0; i < NDATA; i++) {
        ck_assert_uint_eq(refs(t->data[i]), 2);
        ck_assert_uint_eq(trefs(t->data[i]), 1);
        ck_assert_uint_eq(ptype(t->data[i]), PGT_writable_page);
    }
}

START_TEST(test_four_level_tree_pinned)
{
    struct domain *d1 = &dom[1];
    struct tree t;

    boot_tree(d1, &t);
    check_tree_counts(&t);
    ck_assert_uint_eq(mm_counters.tables_promoted, 4);
    /* Entries adjusted for a ring-3 kernel: _ACCESSED on L4 entries, _USER everywhere. */
    ck_assert_uint_eq(mem[t.l4][511], pte(t.l3, TBL));
    for (unsigned int i = PT_HV_L4_FIRST; i <= PT_HV_L4_LAST; i++)
        ck_assert_uint_eq(mem[t.l4][i], hv_slot_value(i));

    /* The pinned tables are mapped read-only: none of them can be mapped writable. */
    ck_assert_int_eq(get_page_and_type(t.l1, d1, PGT_writable_page), -EINVAL);
    ck_assert_int_eq(get_page_and_type(t.l4, d1, PGT_writable_page), -EINVAL);
    /* Pinning again fails and changes nothing. */
    ck_assert_int_eq(pin_page_table(d1, t.l4, 4), -EINVAL);
    /* Pinning an inner table is allowed once; as the wrong level, never. */
    ck_assert_int_eq(pin_page_table(d1, t.l2, 3), -EINVAL);
    ck_assert_int_eq(pin_page_table(d1, t.l2, 2), 0);
    ck_assert_int_eq(pin_page_table(d1, t.l2, 2), -EINVAL);
    ck_assert_int_eq(unpin_page_table(d1, t.l2), 0);
    ck_assert_int_eq(unpin_page_table(d1, t.l2), -EINVAL); /* not pinned */
    ck_assert_int_eq(pin_page_table(d1, t.l4, 0), -EINVAL);
    ck_assert_int_eq(pin_page_table(d1, t.l4, 5), -EINVAL);
    ck_assert_int_eq(pin_page_table(&dom[2], t.l4, 4), -EINVAL); /* not its frame */
    ck_assert_int_eq(unpin_page_table(&dom[2], t.l4), -EINVAL);
    check_tree_counts(&t);

    /* Unpinned, the CR3 reference keeps the tree validated. */
    ck_assert_int_eq(unpin_page_table(d1, t.l4), 0);
    ck_assert_uint_eq(trefs(t.l4), 1);
    ck_assert(validated(t.l1));
    /* Dropping CR3 demotes everything: all counts back to the allocation reference. */
    vcpu_put_guest_table(d1->vcpu[0]);
    ck_assert_uint_eq(d1->vcpu[0]->guest_table, 0);
    ck_assert_uint_eq(mm_counters.tables_demoted, 4);
    mfn_t all[] = {t.l4, t.l3, t.l2, t.l1};
    for (unsigned int i = 0; i < ARRAY_SIZE(all); i++) {
        ck_assert_uint_eq(refs(all[i]), 1);
        ck_assert_uint_eq(trefs(all[i]), 0);
        ck_assert(!validated(all[i]));
    }
    for (unsigned int i = 0; i < NDATA; i++) {
        ck_assert_uint_eq(refs(t.data[i]), 1);
        ck_assert_uint_eq(trefs(t.data[i]), 0);
    }
}
END_TEST

START_TEST(test_guest_table_switch)
{
    struct domain *d1 = &dom[1];
    struct tree t;
    mfn_t l4b = new_frame(d1), bad = new_frame(d1), data = new_frame(d1);

    boot_tree(d1, &t);
    mem[l4b][0] = pte(t.l3, TBL); /* shares the L3 */
    ck_assert_int_eq(vcpu_set_guest_table(d1->vcpu[0], l4b), 0);
    ck_assert_uint_eq(d1->vcpu[0]->guest_table, (paddr_t)l4b << PAGE_SHIFT);
    ck_assert_uint_eq(trefs(t.l4), 1); /* only the pin */
    ck_assert_uint_eq(trefs(t.l3), 2);
    ck_assert_uint_eq(refs(l4b), 2);
    /* The same table again: nothing changes. */
    ck_assert_int_eq(vcpu_set_guest_table(d1->vcpu[0], l4b), 0);
    ck_assert_uint_eq(refs(l4b), 2);
    /* A table that fails validation is refused and the old one stays. */
    ck_assert_int_eq(get_page_and_type(data, d1, PGT_writable_page), 0);
    mem[bad][3] = pte(data, TBL); /* writable data where an L3 belongs */
    ck_assert_int_eq(vcpu_set_guest_table(d1->vcpu[0], bad), -EINVAL);
    ck_assert_uint_eq(d1->vcpu[0]->guest_table, (paddr_t)l4b << PAGE_SHIFT);
    ck_assert_uint_eq(frames[bad].type_info, 0);
    ck_assert_int_eq(vcpu_set_guest_table(d1->vcpu[0], MFN_HV), -EINVAL); /* not its frame */
    put_page_and_type(data);

    ck_assert_int_eq(vcpu_set_guest_table(d1->vcpu[0], t.l4), 0);
    ck_assert_uint_eq(refs(l4b), 1);
    ck_assert_uint_eq(trefs(l4b), 0);
    ck_assert_uint_eq(trefs(t.l3), 1);
    check_tree_counts(&t);
}
END_TEST

START_TEST(test_mod_pt_entry_upper_levels)
{
    struct domain *d1 = &dom[1];
    struct tree t;
    mfn_t l1b = new_frame(d1), data = new_frame(d1);

    boot_tree(d1, &t);
    mem[l1b][0] = pte(data, RW);
    /* Hook a new L1 into the L2: validated on the spot. */
    ck_assert_int_eq(mod_pt_entry(d1, t.l2, 1, pte(l1b, TBL)), 0);
    ck_assert_uint_eq(ptype(l1b), PGT_l1_page_table);
    ck_assert_uint_eq(trefs(data), 1);
    ck_assert_uint_eq(mem[t.l2][1], pte(l1b, TBL));
    /* A flag-only change (A/D) keeps the references. */
    ck_assert_int_eq(mod_pt_entry(d1, t.l2, 1, pte(l1b, PT_PRESENT | PT_RW | PT_USER)), 0);
    ck_assert_uint_eq(trefs(l1b), 1);
    ck_assert_uint_eq(refs(l1b), 2);
    /* Superpages and writable linear entries are refused and change nothing. */
    ck_assert_int_eq(mod_pt_entry(d1, t.l2, 2, pte(data, TBL | PT_PSE)), -EINVAL);
    ck_assert_int_eq(mod_pt_entry(d1, t.l2, 2, pte(t.l2, TBL)), -EINVAL);
    ck_assert_uint_eq(mem[t.l2][2], 0);
    ck_assert_int_eq(mod_pt_entry(d1, t.l2, 2, pte(t.l2, PT_PRESENT)), 0);
    ck_assert_uint_eq(mem[t.l2][2], pte(t.l2, PT_PRESENT | PT_USER));
    /* Unhooking the L1 demotes it and releases its data frame. */
    ck_assert_int_eq(mod_pt_entry(d1, t.l2, 1, 0), 0);
    ck_assert_uint_eq(trefs(l1b), 0);
    ck_assert(!validated(l1b));
    ck_assert_uint_eq(refs(data), 1);
    ck_assert_uint_eq(trefs(data), 0);
    /* Tables that are not validated page tables of the domain are refused. */
    ck_assert_int_eq(mod_pt_entry(d1, l1b, 0, 0), -EINVAL);
    ck_assert_int_eq(mod_pt_entry(d1, data, 0, 0), -EINVAL);
    ck_assert_int_eq(mod_pt_entry(&dom[2], t.l2, 0, 0), -EINVAL);
    ck_assert_int_eq(mod_pt_entry(d1, t.l2, 512, 0), -EINVAL);
    ck_assert_int_eq(mod_pt_entry(d1, NFRAMES, 0, 0), -EINVAL);
    /* Unhooking the L3 from the L4 demotes the subtree but the rest stays. */
    ck_assert_int_eq(mod_pt_entry(d1, t.l4, 511, 0), 0);
    ck_assert_uint_eq(trefs(t.l3), 0);
    ck_assert_uint_eq(trefs(t.l1), 0);
    ck_assert_uint_eq(refs(t.data[0]), 1);
    ck_assert(validated(t.l4));
}
END_TEST

static long uvm(uint64_t va, uint64_t val, unsigned long flags)
{
    return do_update_va_mapping(va, val, flags, 0, 0);
}

/* ---- The domain builder's initial tables (common/domain_build.c) ---- */

#define BUILD_PAGES 1200

static mfn_t build_p2m[BUILD_PAGES];

static void *build_map_pfn(void *ctx, uint64_t pfn)
{
    (void)ctx;
    return pfn < BUILD_PAGES ? mem[build_p2m[pfn]] : NULL;
}

static uint64_t build_pfn_to_mfn(void *ctx, uint64_t pfn)
{
    (void)ctx;
    return build_p2m[pfn];
}

START_TEST(test_builder_tables_validate)
{
    struct domain *d1 = &dom[1];
    static struct elf_xen_image k;
    struct pv_layout l;
    char msg[160];
    const struct pv_mem pm = {.map_pfn = build_map_pfn, .pfn_to_mfn = build_pfn_to_mfn};

    memset(&k, 0, sizeof(k));
    k.virt_base = k.virt_kstart = k.entry = VA_BASE;
    k.virt_kend = VA_BASE + 16 * PAGE_SIZE;
    k.hypercall_page = k.init_p2m = ELF_XEN_NO_ADDR;
    ck_assert_int_eq(pv_layout(&l, &k, 0, BUILD_PAGES, msg, sizeof(msg)), 0);
    /* Machine frames in reverse order, so PFN and MFN never coincide. */
    next_free = MFN_FIRST_DOM + BUILD_PAGES;
    for (unsigned long pfn = 0; pfn < BUILD_PAGES; pfn++) {
        build_p2m[pfn] = MFN_FIRST_DOM + BUILD_PAGES - 1 - pfn;
        frames[build_p2m[pfn]] = (struct page_info){
            .count_info = PGC_alloc_head | PGC_allocated | 1, .owner = d1->domain_id};
        d1->tot_pages++;
    }
    ck_assert_int_eq(pv_build_page_tables(&l, &pm, msg, sizeof(msg)), 0);

    mfn_t l4 = build_p2m[pv_pfn_of(&l, l.pt_start)];
    ck_assert_int_eq(pin_page_table(d1, l4, 4), 0);
    ck_assert_int_eq(vcpu_set_guest_table(d1->vcpu[0], l4), 0);
    ck_assert_uint_eq(mm_counters.tables_promoted, l.nr_pt_frames);

    /* Every table typed and validated at its level; every other mapped page writable. */
    for (unsigned long pfn = 0; pfn < l.nr_mapped; pfn++) {
        mfn_t m = build_p2m[pfn];
        uint64_t va = l.v_start + pfn * PAGE_SIZE;

        if (va >= l.pt_start && va < l.pt_end) {
            unsigned long i = pv_pfn_of(&l, va) - pv_pfn_of(&l, l.pt_start);
            unsigned int level = i == 0 ? 4 : i <= l.nr_l3 ? 3 : i <= l.nr_l3 + l.nr_l2 ? 2 : 1;
            ck_assert_uint_eq(ptype(m), pgt_level_type(level));
            ck_assert(validated(m));
            ck_assert_uint_eq(trefs(m), level == 4 ? 2 : 1);
            ck_assert_uint_eq(refs(m), level == 4 ? 4 : 3); /* + its read-only mapping */
        } else {
            ck_assert_msg(ptype(m) == PGT_writable_page && trefs(m) == 1 && refs(m) == 2, "pfn %lu",
                          pfn);
        }
    }
    for (unsigned long pfn = l.nr_mapped; pfn < BUILD_PAGES; pfn++)
        ck_assert_uint_eq(refs(build_p2m[pfn]), 1);
    /* The hypervisor's L4 slots were filled by validation. */
    ck_assert_uint_eq(mem[l4][PT_HV_L4_FIRST], hv_slot_value(PT_HV_L4_FIRST));

    /* The guest can now remap one of its pages, but never one of its tables writable. */
    uint64_t va = l.stack_start;
    mfn_t spare = build_p2m[BUILD_PAGES - 1];
    ck_assert_int_eq(uvm(va, pte(spare, RW), UVMF_INVLPG), 0);
    ck_assert_int_eq(uvm(va, pte(build_p2m[pv_pfn_of(&l, l.pt_start) + 1], RW), UVMF_INVLPG),
                     -EBUSY);
    ck_assert_int_eq(uvm(l.pt_start, pte(l4, RW), UVMF_INVLPG), -EBUSY);

    ck_assert_uint_eq(domain_relinquish_memory(d1), 0);
    for (unsigned long pfn = 0; pfn < BUILD_PAGES; pfn++)
        ck_assert(freed[build_p2m[pfn]]);
    ck_assert_uint_eq(d1->tot_pages, 0);
}
END_TEST

/* ---- update_va_mapping ---- */

START_TEST(test_uvm_map_remap_unmap)
{
    struct domain *d1 = &dom[1];
    struct tree t;
    mfn_t a = new_frame(d1), b = new_frame(d1);
    uint64_t va = VA_BASE + 20 * PAGE_SIZE;

    boot_tree(d1, &t);
    /* Map. */
    ck_assert_int_eq(uvm(va, pte(a, RW), UVMF_INVLPG), 0);
    ck_assert_uint_eq(mem[t.l1][20], pte(a, RW));
    ck_assert_uint_eq(refs(a), 2);
    ck_assert_uint_eq(trefs(a), 1);
    ck_assert_uint_eq(nr_invlpg, 1);
    ck_assert_uint_eq(last_invlpg, va);
    /* Remap to another frame: the new one referenced, the old one released. */
    unsigned int flushes = nr_flushes;
    ck_assert_int_eq(uvm(va, pte(b, RO), UVMF_TLB_FLUSH | UVMF_ALL), 0);
    ck_assert_uint_eq(nr_flushes, flushes + 1);
    ck_assert_uint_eq(refs(a), 1);
    ck_assert_uint_eq(trefs(a), 0);
    ck_assert_uint_eq(refs(b), 2);
    ck_assert_uint_eq(trefs(b), 0);
    /* Read-only to writable on the same frame takes the type reference. */
    ck_assert_int_eq(uvm(va, pte(b, RW), UVMF_NONE), 0);
    ck_assert_uint_eq(refs(b), 2);
    ck_assert_uint_eq(trefs(b), 1);
    /* Only the dirty bit: the fast path keeps everything. */
    ck_assert_int_eq(uvm(va, pte(b, RW & ~PT_DIRTY), UVMF_NONE), 0);
    ck_assert_uint_eq(refs(b), 2);
    ck_assert_uint_eq(trefs(b), 1);
    /* A kernel-only mapping gets _USER and the guest-kernel marker, as on Xen. */
    ck_assert_int_eq(uvm(va, pte(b, PT_PRESENT | PT_RW), UVMF_NONE), 0);
    ck_assert_uint_eq(mem[t.l1][20], pte(b, PT_PRESENT | PT_RW | PT_USER | PT_GUEST_KERNEL));
    /* Unmap. */
    ck_assert_int_eq(uvm(va, 0, UVMF_INVLPG | UVMF_LOCAL), 0);
    ck_assert_uint_eq(mem[t.l1][20], 0);
    ck_assert_uint_eq(refs(b), 1);
    ck_assert_uint_eq(trefs(b), 0);
    /* Non-present values are stored as given and hold nothing. */
    ck_assert_int_eq(uvm(va, pte(a, RW & ~PT_PRESENT), UVMF_NONE), 0);
    ck_assert_uint_eq(refs(a), 1);
    ck_assert_uint_eq(mm_counters.update_va_mapping, 7);
    check_tree_counts(&t);
}
END_TEST

START_TEST(test_uvm_refusals)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    struct tree t;
    mfn_t a = new_frame(d1), foreign = new_frame(d2);
    uint64_t va = VA_BASE + 20 * PAGE_SIZE;

    boot_tree(d1, &t);
    ck_assert_int_eq(uvm(va, pte(a, RW), UVMF_NONE), 0);
    unsigned int flushes = nr_flushes, invlpgs = nr_invlpg;

    /* Each refusal leaves the old mapping and every count as they were, and no flush. */
    static const struct {
        const char *what;
        int rc;
    } expect[] = {
        {"another domain's frame", -EBUSY},
        {"own L1 writable", -EBUSY},
        {"own L4 writable", -EBUSY},
        {"hypervisor memory", -EBUSY},
        {"hypervisor heap frame", -EBUSY},
        {"free frame", -EBUSY},
        {"PAT/PSE bit", -EINVAL},
        {"PCD", -EINVAL},
        {"PWT", -EINVAL},
        {"address beyond RAM", -EPERM},
        {"device memory", -EPERM},
        {"all address bits", -EINVAL},
    };
    const uint64_t vals[] = {
        pte(foreign, RW),     pte(t.l1, RW),       pte(t.l4, RW),       pte(MFN_HV, RO),
        pte(MFN_XENHEAP, RO), pte(MFN_FREE, RO),   pte(a, RW | PT_PAT), pte(a, RW | PT_PCD),
        pte(a, RW | PT_PWT),  pte(1ULL << 30, RW), pte(MFN_IO, RO),     PT_ADDR_MASK | RW,
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(vals); i++) {
        ck_assert_msg(uvm(va, vals[i], UVMF_TLB_FLUSH) == expect[i].rc, "%s", expect[i].what);
        ck_assert_uint_eq(mem[t.l1][20], pte(a, RW));
        ck_assert_uint_eq(refs(a), 2);
        ck_assert_uint_eq(trefs(a), 1);
    }
    ck_assert_uint_eq(refs(foreign), 1);
    ck_assert_uint_eq(nr_flushes, flushes);
    ck_assert_uint_eq(nr_invlpg, invlpgs);
    check_tree_counts(&t);

    /* Mapping a page table read-only is fine. */
    ck_assert_int_eq(uvm(va, pte(t.l2, RO), UVMF_NONE), 0);
    ck_assert_uint_eq(refs(t.l2), 4);
    ck_assert_uint_eq(trefs(a), 0);
}
END_TEST

START_TEST(test_uvm_bad_addresses)
{
    struct domain *d1 = &dom[1];
    struct tree t;
    mfn_t a = new_frame(d1);

    boot_tree(d1, &t);
    static const uint64_t bad_va[] = {
        0xffff800000000000ULL,  /* hypervisor: slot 256 (M2P) */
        0xffff82d080200000ULL,  /* hypervisor image */
        0xffff87ffffffffffULL,  /* last hypervisor byte */
        0x0000800000000000ULL,  /* non-canonical */
        0x8000000000000000ULL,  /* non-canonical */
        0x0000000000400000ULL,  /* canonical but no L3 there */
        VA_BASE + (2ULL << 21), /* L2 present, no L1 */
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad_va); i++)
        ck_assert_msg(uvm(bad_va[i], pte(a, RW), UVMF_INVLPG) == -EINVAL, "va %#llx",
                      (unsigned long long)bad_va[i]);
    ck_assert_uint_eq(nr_invlpg, 0);
    ck_assert_uint_eq(refs(a), 1);

    /* An address whose walk ends in a table that is not an L1 (through a linear entry). */
    ck_assert_int_eq(mod_pt_entry(d1, t.l4, 300, pte(t.l4, PT_PRESENT)), 0);
    uint64_t linear = 0xffff000000000000ULL | (300ULL << 39) | (511ULL << 30) | (510ULL << 21);
    ck_assert_int_eq(uvm(linear, pte(a, RO), UVMF_NONE), -EINVAL); /* lands in the L2 */
    /* No guest table at all. */
    vcpu_put_guest_table(d1->vcpu[0]);
    ck_assert_int_eq(uvm(VA_BASE, pte(a, RO), UVMF_NONE), -EINVAL);
    ck_assert_uint_eq(refs(a), 1);
}
END_TEST

START_TEST(test_uvm_flush_flags)
{
    struct domain *d1 = &dom[1];
    struct tree t;
    mfn_t a = new_frame(d1);
    uint64_t va = VA_BASE + 30 * PAGE_SIZE;

    boot_tree(d1, &t);
    ck_assert_int_eq(uvm(va, pte(a, RO), UVMF_NONE), 0);
    ck_assert_uint_eq(nr_flushes + nr_invlpg, 0);
    ck_assert_int_eq(uvm(va, pte(a, RO), UVMF_TLB_FLUSH | UVMF_LOCAL), 0);
    ck_assert_uint_eq(nr_flushes, 1);
    ck_assert_int_eq(uvm(va, pte(a, RO), UVMF_INVLPG | UVMF_ALL), 0);
    ck_assert_uint_eq(nr_invlpg, 1);
    /* Flush type 3 is not a flush (Xen ignores it), and bits above are never checked. */
    ck_assert_int_eq(uvm(va, pte(a, RO), 3), 0);
    ck_assert_int_eq(uvm(va, pte(a, RO), UVMF_NONE | 0xfff0), 0);
    ck_assert_uint_eq(nr_flushes, 1);
    ck_assert_uint_eq(nr_invlpg, 1);
    /* A vCPU bitmap pointer: read from the guest; our vCPU's bit set means flush. */
    guest_bmap = 1;
    ck_assert_int_eq(uvm(va, pte(a, RO), UVMF_TLB_FLUSH | BMAP_VA), 0);
    ck_assert_uint_eq(nr_flushes, 2);
    guest_bmap = 2; /* only a vCPU that does not exist */
    ck_assert_int_eq(uvm(va, pte(a, RO), UVMF_INVLPG | BMAP_VA), 0);
    ck_assert_uint_eq(nr_invlpg, 1);
    /* A bad pointer: -EFAULT, but (as on Xen) the entry has been written already. */
    ck_assert_int_eq(uvm(va, pte(a, RW), UVMF_INVLPG | 0x20000), -EFAULT);
    ck_assert_uint_eq(mem[t.l1][30], pte(a, RW));
    ck_assert_uint_eq(trefs(a), 1);
    ck_assert_int_eq(uvm(va, 0, UVMF_TLB_FLUSH | 0xffff800000000000UL), -EFAULT);
    ck_assert_uint_eq(refs(a), 1);
    /* A refused update never reads the bitmap nor flushes. */
    ck_assert_int_eq(uvm(va, pte(a, RW | PT_PSE), UVMF_TLB_FLUSH | 0x20000), -EINVAL);
    ck_assert_uint_eq(nr_flushes, 2);
}
END_TEST

/* ---- Teardown ---- */

START_TEST(test_teardown_returns_counts_to_zero)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    struct tree t, t2;
    mfn_t extra_l1 = new_frame(d1), a = new_frame(d1);

    boot_tree(d1, &t);
    boot_tree(d2, &t2);
    /* More state: a separately pinned L1 also hooked into the tree, an extra mapping. */
    mem[extra_l1][0] = pte(a, RW);
    ck_assert_int_eq(pin_page_table(d1, extra_l1, 1), 0);
    ck_assert_int_eq(mod_pt_entry(d1, t.l2, 5, pte(extra_l1, TBL)), 0);
    ck_assert_int_eq(uvm(VA_BASE + 40 * PAGE_SIZE, pte(a, RO), UVMF_NONE), 0);
    ck_assert_uint_eq(d1->tot_pages, 4 + NDATA + 2);
    unsigned int flushes = nr_flushes;

    bool owned[NFRAMES];
    for (mfn_t m = 0; m < NFRAMES; m++)
        owned[m] = frames[m].owner == 1;

    ck_assert_uint_eq(domain_relinquish_memory(d1), 0);
    ck_assert_uint_eq(nr_flushes, flushes + 1); /* one flush for the whole teardown */
    ck_assert_uint_eq(d1->tot_pages, 0);
    ck_assert_uint_eq(d1->vcpu[0]->guest_table, 0);
    for (mfn_t m = 0; m < NFRAMES; m++) {
        if (!owned[m])
            continue;
        ck_assert_msg(freed[m], "mfn %lu not freed", m);
        ck_assert_msg(frames[m].count_info == 0 && frames[m].type_info == 0,
                      "mfn %lu: count %#llx type %#x", m, (unsigned long long)frames[m].count_info,
                      frames[m].type_info);
    }
    /* The other domain is untouched. */
    current = &vcpus[2];
    check_tree_counts(&t2);
    ck_assert_uint_eq(domain_relinquish_memory(d2), 0);
    for (mfn_t m = MFN_FIRST_DOM; m < next_free; m++) {
        ck_assert_msg(freed[m], "mfn %lu not freed", m);
        ck_assert_uint_eq(frames[m].count_info, 0);
    }
    /* Hypervisor frames were never touched. */
    ck_assert_uint_eq(frames[MFN_XENHEAP].count_info, 1);
}
END_TEST

START_TEST(test_teardown_reports_foreign_references)
{
    struct domain *d1 = &dom[1];
    mfn_t a = new_frame(d1);

    ck_assert(get_page(a, d1)); /* e.g. a grant mapping held elsewhere */
    ck_assert_uint_eq(domain_relinquish_memory(d1), 1);
    ck_assert(!freed[a]);
    put_page(a);
    ck_assert(freed[a]);
}
END_TEST

static Suite *mm_suite(void)
{
    Suite *s = suite_create("mm");
    TCase *tc = tcase_create("typed frames");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_get_page_owner_and_count);
    tcase_add_test(tc, test_put_page_last_reference_frees);
    tcase_add_test(tc, test_writable_then_page_table_refused);
    tcase_add_test(tc, test_page_table_then_writable_refused);
    tcase_add_test(tc, test_type_count_overflow);
    tcase_add_test(tc, test_l1_validation_refs_and_devalidation);
    tcase_add_test(tc, test_l1_validation_failure_rolls_back);
    tcase_add_test(tc, test_l1_flags);
    tcase_add_test(tc, test_l1_mmio);
    tcase_add_test(tc, test_shared_xen_page);
    tcase_add_test(tc, test_upper_level_flags_and_targets);
    tcase_add_test(tc, test_linear_entries);
    tcase_add_test(tc, test_linear_entries_cross_table);
    tcase_add_test(tc, test_linear_count_overlays_free_links);
    tcase_add_test(tc, test_l4_hypervisor_slots);
    tcase_add_test(tc, test_four_level_tree_pinned);
    tcase_add_test(tc, test_guest_table_switch);
    tcase_add_test(tc, test_mod_pt_entry_upper_levels);
    tcase_add_test(tc, test_builder_tables_validate);
    suite_add_tcase(s, tc);

    tc = tcase_create("update_va_mapping");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_uvm_map_remap_unmap);
    tcase_add_test(tc, test_uvm_refusals);
    tcase_add_test(tc, test_uvm_bad_addresses);
    tcase_add_test(tc, test_uvm_flush_flags);
    suite_add_tcase(s, tc);

    tc = tcase_create("teardown");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_teardown_returns_counts_to_zero);
    tcase_add_test(tc, test_teardown_reports_foreign_references);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mm_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
