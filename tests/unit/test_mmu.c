/*
 * Unit tests for hypervisor/common/mmu.c (mmu_update, mmuext_op,
 * update_va_mapping_otherdomain) and the reservation sub-ops of common/memory.c
 * (increase_reservation, decrease_reservation, populate_physmap), over mm.c's typed-frame
 * rules on a simulated frame table, fake frame memory and a fake guest address space.
 * Expected values are Xen 4.17's (xen/arch/x86/mm.c, xen/common/memory.c).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/panic.h>
#include <xen/memory.h>
#include <xen/xen.h>
#include "hv_unrename.h"

#define PREEMPTED 0x80000000U /* Xen's MMU_UPDATE_PREEMPTED */

/* ---- The simulated machine ---- */

#define NFRAMES       512
#define MFN_HV        1   /* hypervisor memory: DOMID_XEN, count 0 */
#define MFN_IO        3   /* device memory: DOMID_IO */
#define MFN_FIRST_DOM 8   /* domains' frames are handed out from here */
#define MFN_POOL      400 /* [MFN_POOL, NFRAMES): the allocator's free frames */

static struct page_info frames[NFRAMES];
static uint64_t mem[NFRAMES][PT_ENTRIES] __attribute__((aligned(4096)));
static bool freed[NFRAMES];
static mfn_t next_free;
static unsigned long m2p[NFRAMES];
unsigned long max_mfn = NFRAMES;
unsigned long *machine_to_phys = m2p;

static struct domain dom[3]; /* dom[1] (unprivileged), dom[2] (privileged, when set) */
static struct vcpu vcpus[3];
struct vcpu *current;

static unsigned int nr_flushes, nr_invlpg, nr_cr3_loads, nr_cache_flushes;
static uint64_t last_invlpg;
static paddr_t last_cr3;
static bool io_domain;

/* The guest's memory: [GUEST_BASE, GUEST_BASE + GUEST_SIZE); the rest is unmapped. */
#define GUEST_BASE 0x10000000UL
#define GUEST_SIZE 0x10000UL
#define G_REQS     GUEST_BASE            /* request arrays */
#define G_DONE     (GUEST_BASE + 0xf000) /* success count */
#define G_MASK     (GUEST_BASE + 0xf008) /* a vCPU bitmap */
#define G_RES      (GUEST_BASE + 0xf100) /* a struct xen_memory_reservation */
#define G_LIST     (GUEST_BASE + 0xe000) /* an extent list */
#define G_BAD      0xdead0000UL          /* unmapped */
static uint8_t guest[GUEST_SIZE];

/* Preemption: hypercall_preempt_check() says yes once it has been asked this many times. */
static int preempt_after;
static unsigned int nr_continuations, cont_op, cont_nargs;
static unsigned long cont_args[5];

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

long alloc_frames(unsigned int order, domid_t owner)
{
    ck_assert_uint_eq(order, 0);
    for (mfn_t m = MFN_POOL; m < NFRAMES; m++) {
        if (frames[m].owner == PAGE_OWNER_FREE) {
            frames[m] = (struct page_info){.count_info = PGC_alloc_head, .owner = owner};
            freed[m] = false;
            memset(mem[m], 0x5a, sizeof(mem[m])); /* old contents: must not reach a guest */
            return (long)m;
        }
    }
    return -ENOMEM;
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

void arch_init_hv_l4_slots(uint64_t *l4)
{
    for (unsigned int i = PT_HV_L4_FIRST; i <= PT_HV_L4_LAST; i++)
        l4[i] = 0x7000000000ULL | ((uint64_t)i << PAGE_SHIFT) | PT_PRESENT | PT_RW;
}

void arch_load_guest_table(paddr_t l4_maddr)
{
    nr_cr3_loads++;
    last_cr3 = l4_maddr;
}

void arch_flush_cache(void)
{
    nr_cache_flushes++;
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

/* Descriptor pages (another helper's descriptor.c) are not part of these tests. */
int validate_segdesc_page(mfn_t mfn);
void pv_destroy_gdt(struct vcpu *v);
__attribute__((weak)) int validate_segdesc_page(mfn_t mfn)
{
    (void)mfn;
    return -EINVAL;
}
__attribute__((weak)) void pv_destroy_gdt(struct vcpu *v)
{
    (void)v;
}

static void *guest_ptr(uint64_t addr, size_t len)
{
    if (addr < GUEST_BASE || addr + len > GUEST_BASE + GUEST_SIZE || addr + len < addr)
        return NULL;
    return &guest[addr - GUEST_BASE];
}

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    void *p = guest_ptr(src, len);

    if (!p)
        return -EFAULT;
    memcpy(dst, p, len);
    return 0;
}

int copy_to_guest(uint64_t dst, const void *src, size_t len)
{
    void *p = guest_ptr(dst, len);

    if (!p)
        return -EFAULT;
    memcpy(p, src, len);
    return 0;
}

bool hypercall_preempt_check(void)
{
    return preempt_after >= 0 && preempt_after-- == 0;
}

long hypercall_continuation(unsigned int op, unsigned int nr_args, const unsigned long *args)
{
    nr_continuations++;
    cont_op = op;
    cont_nargs = nr_args;
    memcpy(cont_args, args, nr_args * sizeof(*args));
    return op;
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
    memset(guest, 0, sizeof(guest));
    memset(&mm_counters, 0, sizeof(mm_counters));
    memset(m2p, 0xff, sizeof(m2p));
    for (mfn_t m = 0; m < NFRAMES; m++)
        frames[m].owner = m >= MFN_POOL ? PAGE_OWNER_FREE : DOMID_XEN;
    frames[MFN_IO].owner = DOMID_IO;
    for (domid_t i = 1; i <= 2; i++) {
        dom[i].domain_id = i;
        dom[i].vcpu[0] = &vcpus[i];
        dom[i].max_pages = 1000;
        vcpus[i].domain = &dom[i];
        vcpus[i].kernel_mode = true;
    }
    current = &vcpus[1];
    next_free = MFN_FIRST_DOM;
    nr_flushes = nr_invlpg = nr_cr3_loads = nr_cache_flushes = 0;
    last_invlpg = 0;
    last_cr3 = 0;
    io_domain = false;
    preempt_after = -1;
    nr_continuations = cont_op = cont_nargs = 0;
    memset(cont_args, 0, sizeof(cont_args));
}

/* A fresh, zeroed frame for @d, as the builder gives it: PGC_allocated and one reference. */
static mfn_t new_frame(struct domain *d)
{
    mfn_t m = next_free++;

    ck_assert_uint_lt(m, MFN_POOL);
    frames[m] = (struct page_info){
        .count_info = PGC_alloc_head | PGC_allocated | 1, .type_info = 0, .owner = d->domain_id};
    d->tot_pages++;
    return m;
}

static uint64_t pte(mfn_t mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

static uint64_t ma(mfn_t mfn, unsigned int slot)
{
    return ((uint64_t)mfn << PAGE_SHIFT) + slot * 8;
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

/* A domain's page tables: L4 -> L3 -> L2 -> L1 for virtual address 0, the L4 pinned and CR3. */
struct tree {
    mfn_t l4, l3, l2, l1;
};

static struct tree make_tree(struct domain *d)
{
    struct tree t = {new_frame(d), new_frame(d), new_frame(d), new_frame(d)};

    mem[t.l4][0] = pte(t.l3, TBL);
    mem[t.l3][0] = pte(t.l2, TBL);
    mem[t.l2][0] = pte(t.l1, TBL);
    ck_assert_int_eq(pin_page_table(d, t.l4, 4), 0);
    ck_assert_int_eq(vcpu_set_guest_table(d->vcpu[0], t.l4), 0);
    return t;
}

static unsigned int guest_done(void)
{
    unsigned int v;

    memcpy(&v, &guest[G_DONE - GUEST_BASE], sizeof(v));
    return v;
}

static void set_done(unsigned int v)
{
    memcpy(&guest[G_DONE - GUEST_BASE], &v, sizeof(v));
}

static void put_reqs(const struct mmu_update *r, unsigned int n)
{
    memcpy(&guest[G_REQS - GUEST_BASE], r, n * sizeof(*r));
}

static long mmu(const struct mmu_update *r, unsigned int n, unsigned long pdone,
                unsigned int foreigndom)
{
    put_reqs(r, n);
    return do_mmu_update(G_REQS, n, pdone, foreigndom, 0);
}

static void put_ops(const struct mmuext_op *o, unsigned int n)
{
    memcpy(&guest[G_REQS - GUEST_BASE], o, n * sizeof(*o));
}

static long ext(const struct mmuext_op *o, unsigned int n, unsigned int foreigndom)
{
    put_ops(o, n);
    set_done(0xdeadbeef);
    return do_mmuext_op(G_REQS, n, G_DONE, foreigndom, 0);
}

static long ext1(unsigned int cmd, unsigned long arg1, unsigned long arg2)
{
    struct mmuext_op o = {.cmd = cmd};

    o.arg1.mfn = arg1;
    o.arg2.src_mfn = arg2;
    return ext(&o, 1, DOMID_SELF);
}

/* Tear @d down and expect nothing left: frames freed, counts and tot_pages at zero. */
static void expect_clean_teardown(struct domain *d)
{
    ck_assert_uint_eq(domain_relinquish_memory(d), 0);
    ck_assert_uint_eq(d->tot_pages, 0);
    for (mfn_t m = 0; m < NFRAMES; m++) {
        ck_assert_msg(frames[m].owner != d->domain_id, "mfn %lu still owned", m);
    }
}

/* ---- mmu_update: good paths ---- */

START_TEST(test_mmu_update_l1_entries)
{
    struct domain *d = &dom[1];
    struct tree t = make_tree(d);
    mfn_t data = new_frame(d), ro = new_frame(d);
    struct mmu_update r[3] = {
        {ma(t.l1, 5), pte(data, RW)},
        {ma(t.l1, 6) | MMU_PT_UPDATE_NO_TRANSLATE, pte(ro, RO)},
        {ma(t.l1, 7), pte(data, PT_PRESENT | PT_RW)},
    };

    set_done(0);
    ck_assert_int_eq(mmu(r, 3, G_DONE, DOMID_SELF), 0);
    ck_assert_uint_eq(guest_done(), 3);
    ck_assert_uint_eq(mem[t.l1][5], pte(data, RW));
    ck_assert_uint_eq(mem[t.l1][6], pte(ro, RO));
    ck_assert_uint_eq(mem[t.l1][7], pte(data, PT_PRESENT | PT_RW | PT_USER | PT_GUEST_KERNEL));
    ck_assert_uint_eq(ptype(data), PGT_writable_page);
    ck_assert_uint_eq(trefs(data), 2);
    ck_assert_uint_eq(refs(data), 3);
    ck_assert_uint_eq(refs(ro), 2);
    ck_assert_uint_eq(mm_counters.mmu_updates, 3);
    ck_assert_uint_eq(mm_counters.mmu_update_calls, 1);
    ck_assert_uint_eq(nr_flushes, 0); /* L1 changes: the guest flushes itself (Xen) */

    /* Removing them drops the references. */
    struct mmu_update z[3] = {{ma(t.l1, 5), 0}, {ma(t.l1, 6), 0}, {ma(t.l1, 7), 0}};
    ck_assert_int_eq(mmu(z, 3, 0, DOMID_SELF), 0); /* no success count: fine */
    ck_assert_uint_eq(refs(data), 1);
    ck_assert_uint_eq(trefs(data), 0);
    ck_assert_uint_eq(refs(ro), 1);
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_mmu_update_preserve_ad)
{
    struct domain *d = &dom[1];
    struct tree t = make_tree(d);
    mfn_t a = new_frame(d), b = new_frame(d);
    struct mmu_update r = {ma(t.l1, 9), pte(a, RW)};

    ck_assert_int_eq(mmu(&r, 1, 0, DOMID_SELF), 0);
    /* Same frame without A/D: PRESERVE_AD keeps them, a normal update drops them. */
    r = (struct mmu_update){ma(t.l1, 9) | MMU_PT_UPDATE_PRESERVE_AD,
                            pte(a, PT_PRESENT | PT_RW | PT_USER)};
    ck_assert_int_eq(mmu(&r, 1, 0, DOMID_SELF), 0);
    ck_assert_uint_eq(mem[t.l1][9], pte(a, RW));
    /* Another frame: the old entry's A/D bits are still ORed in (Xen's update_intpte). */
    r.val = pte(b, PT_PRESENT | PT_USER);
    ck_assert_int_eq(mmu(&r, 1, 0, DOMID_SELF), 0);
    ck_assert_uint_eq(mem[t.l1][9], pte(b, PT_PRESENT | PT_USER | PT_ACCESSED | PT_DIRTY));
    ck_assert_uint_eq(trefs(a), 0);
    ck_assert_uint_eq(refs(a), 1);
    r = (struct mmu_update){ma(t.l1, 9), pte(b, PT_PRESENT | PT_USER)};
    ck_assert_int_eq(mmu(&r, 1, 0, DOMID_SELF), 0);
    ck_assert_uint_eq(mem[t.l1][9], pte(b, PT_PRESENT | PT_USER));
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_mmu_update_upper_levels_flush)
{
    struct domain *d = &dom[1];
    struct tree t = make_tree(d);
    mfn_t l1b = new_frame(d), l2b = new_frame(d), l3b = new_frame(d);
    struct mmu_update r[3] = {
        {ma(t.l2, 1), pte(l1b, TBL)},
        {ma(t.l3, 1), pte(l2b, TBL)},
        {ma(t.l4, 1), pte(l3b, TBL)},
    };

    ck_assert_int_eq(mmu(r, 3, 0, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_flushes, 1); /* once for the batch */
    ck_assert_uint_eq(ptype(l1b), PGT_l1_page_table);
    ck_assert_uint_eq(ptype(l2b), PGT_l2_page_table);
    ck_assert_uint_eq(ptype(l3b), PGT_l3_page_table);
    ck_assert(validated(l3b));
    ck_assert_uint_eq(mem[t.l4][1], pte(l3b, TBL));

    /* Unhooking them demotes them. */
    uint64_t demoted = mm_counters.tables_demoted;
    struct mmu_update z[3] = {{ma(t.l2, 1), 0}, {ma(t.l3, 1), 0}, {ma(t.l4, 1), 0}};
    ck_assert_int_eq(mmu(z, 3, 0, DOMID_SELF), 0);
    ck_assert_uint_eq(mm_counters.tables_demoted, demoted + 3);
    ck_assert_uint_eq(trefs(l1b) + trefs(l2b) + trefs(l3b), 0);
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_mmu_update_plain_frame_and_m2p)
{
    struct domain *d = &dom[1];
    mfn_t data = new_frame(d);
    struct mmu_update r[2] = {
        {ma(data, 3), 0x1122334455667788ULL}, /* not a page table: written as it is (Xen) */
        {ma(data, 0) | MMU_MACHPHYS_UPDATE, 0x42},
    };

    ck_assert_int_eq(mmu(r, 2, G_DONE, DOMID_SELF), 0);
    ck_assert_uint_eq(guest_done(), 2);
    ck_assert_uint_eq(mem[data][3], 0x1122334455667788ULL);
    ck_assert_uint_eq(m2p[data], 0x42);
    ck_assert_uint_eq(trefs(data), 0);
    ck_assert_uint_eq(refs(data), 1);
    expect_clean_teardown(d);
}
END_TEST

/* ---- mmu_update: refusals, each with Xen's code, and nothing changed ---- */

static void expect_refused(struct mmu_update r, unsigned int foreigndom, long err)
{
    set_done(0);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, foreigndom), err);
    ck_assert_uint_eq(guest_done(), 0);
}

START_TEST(test_mmu_update_refusals)
{
    struct domain *d = &dom[1], *d2 = &dom[2];
    struct tree t = make_tree(d);
    mfn_t data = new_frame(d), other = new_frame(d2), pinned_l1 = new_frame(d);
    uint64_t before;

    ck_assert_int_eq(pin_page_table(d, pinned_l1, 1), 0);
    /* The PTE's frame is not the caller's: another domain's, the hypervisor's, free, none. */
    expect_refused((struct mmu_update){ma(other, 0), 0}, DOMID_SELF, -EINVAL);
    expect_refused((struct mmu_update){ma(MFN_HV, 0), 0}, DOMID_SELF, -EINVAL);
    expect_refused((struct mmu_update){ma(MFN_POOL, 0), 0}, DOMID_SELF, -EINVAL);
    expect_refused((struct mmu_update){ma(NFRAMES + 10, 0), 0}, DOMID_SELF, -EINVAL);
    /* Entries mm.c refuses. */
    expect_refused((struct mmu_update){ma(t.l1, 1), pte(other, RO)}, DOMID_SELF, -EBUSY);
    expect_refused((struct mmu_update){ma(t.l1, 1), pte(MFN_HV, RO)}, DOMID_SELF, -EBUSY);
    expect_refused((struct mmu_update){ma(t.l1, 1), pte(t.l2, RW)}, DOMID_SELF, -EBUSY);
    expect_refused((struct mmu_update){ma(t.l1, 1), pte(MFN_IO, RW)}, DOMID_SELF, -EPERM);
    expect_refused((struct mmu_update){ma(t.l1, 1), pte(data, RW | PT_PCD)}, DOMID_SELF, -EINVAL);
    expect_refused((struct mmu_update){ma(t.l2, 1), pte(data, TBL | PT_PSE)}, DOMID_SELF, -EINVAL);
    expect_refused((struct mmu_update){ma(t.l2, 1), pte(t.l2, TBL)}, DOMID_SELF, -EINVAL);
    expect_refused((struct mmu_update){ma(t.l4, 256), 0}, DOMID_SELF, -EINVAL);
    expect_refused((struct mmu_update){ma(t.l4, 270), pte(t.l3, TBL)}, DOMID_SELF, -EINVAL);
    /* The L4 hypervisor slots are untouched. */
    ck_assert_uint_eq(mem[t.l4][256],
                      0x7000000000ULL | (256ULL << PAGE_SHIFT) | PT_PRESENT | PT_RW);
    /* A writable mapping of a pinned page table; a page table that is mapped writable. */
    expect_refused((struct mmu_update){ma(t.l1, 1), pte(pinned_l1, RW)}, DOMID_SELF, -EBUSY);
    ck_assert_int_eq(mmu(&(struct mmu_update){ma(t.l1, 2), pte(data, RW)}, 1, 0, DOMID_SELF), 0);
    expect_refused((struct mmu_update){ma(t.l2, 1), pte(data, TBL)}, DOMID_SELF, -EINVAL);
    /* Unknown commands. */
    for (unsigned int cmd = 4; cmd < 8; cmd++)
        expect_refused((struct mmu_update){ma(t.l1, 1) | cmd, 0}, DOMID_SELF, -ENOSYS);
    /* M2P of a frame that is not the caller's. */
    expect_refused((struct mmu_update){ma(other, 0) | MMU_MACHPHYS_UPDATE, 1}, DOMID_SELF, -EINVAL);
    expect_refused((struct mmu_update){ma(MFN_HV, 0) | MMU_MACHPHYS_UPDATE, 1}, DOMID_SELF,
                   -EINVAL);
    ck_assert_uint_eq(m2p[other], ~0UL);
    before = mem[t.l1][1];
    ck_assert_uint_eq(before, 0);
    ck_assert_uint_eq(mm_counters.mmu_updates, 1);
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_mmu_update_batch_stops_at_first_failure)
{
    struct domain *d = &dom[1], *d2 = &dom[2];
    struct tree t = make_tree(d);
    mfn_t a = new_frame(d), other = new_frame(d2);
    struct mmu_update r[4] = {
        {ma(t.l1, 1), pte(a, RO)},
        {ma(t.l1, 2), pte(a, RO)},
        {ma(t.l1, 3), pte(other, RO)},
        {ma(t.l1, 4), pte(a, RO)},
    };

    set_done(77);
    ck_assert_int_eq(mmu(r, 4, G_DONE, DOMID_SELF), -EBUSY);
    ck_assert_uint_eq(guest_done(), 2); /* a new batch starts counting at 0 */
    ck_assert_uint_eq(mem[t.l1][2], pte(a, RO));
    ck_assert_uint_eq(mem[t.l1][3], 0);
    ck_assert_uint_eq(mem[t.l1][4], 0);
    ck_assert_uint_eq(refs(a), 3);

    /* An upper-level change before the failure is still flushed. */
    mfn_t l1b = new_frame(d);
    struct mmu_update u[2] = {{ma(t.l2, 5), pte(l1b, TBL)}, {ma(t.l2, 6), pte(other, TBL)}};
    unsigned int flushes = nr_flushes;
    ck_assert_int_eq(mmu(u, 2, G_DONE, DOMID_SELF), -EINVAL);
    ck_assert_uint_eq(guest_done(), 1);
    ck_assert_uint_eq(nr_flushes, flushes + 1);
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_mmu_update_bad_buffers)
{
    struct domain *d = &dom[1];
    struct tree t = make_tree(d);
    mfn_t a = new_frame(d);
    const unsigned int last = GUEST_SIZE / sizeof(struct mmu_update) - 1;
    struct mmu_update r = {ma(t.l1, 1), pte(a, RO)};
    uint64_t at;

    /* Requests in the hypervisor's range: -EFAULT before anything, no count written. */
    set_done(5);
    ck_assert_int_eq(do_mmu_update(HYPERVISOR_VIRT_START, 1, G_DONE, DOMID_SELF, 0), -EFAULT);
    ck_assert_int_eq(do_mmu_update(0xffff800000001000UL, 0, G_DONE, DOMID_SELF, 0), -EFAULT);
    ck_assert_uint_eq(guest_done(), 5);
    /* Unmapped requests: -EFAULT at the first, count 0. */
    ck_assert_int_eq(do_mmu_update(G_BAD, 3, G_DONE, DOMID_SELF, 0), -EFAULT);
    ck_assert_uint_eq(guest_done(), 0);

    /* A huge count, the buffer running into unmapped memory after 3 good requests. */
    at = GUEST_BASE + (uint64_t)(last - 2) * sizeof(r);
    for (unsigned int i = 0; i < 3; i++) {
        r.ptr = ma(t.l1, 10 + i);
        memcpy(&guest[at - GUEST_BASE + i * sizeof(r)], &r, sizeof(r));
    }
    ck_assert_int_eq(do_mmu_update(at, 0x7fffffff, G_DONE, DOMID_SELF, 0), -EFAULT);
    ck_assert_uint_eq(guest_done(), 3);
    ck_assert_uint_eq(mem[t.l1][12], pte(a, RO));

    /* 2^31 is MMU_UPDATE_PREEMPTED with nothing left: 0, the count read back and rewritten. */
    set_done(9);
    ck_assert_int_eq(do_mmu_update(at, PREEMPTED, G_DONE, DOMID_SELF, 0), 0);
    ck_assert_uint_eq(guest_done(), 9);
    /* With no requests it returns @foreigndom (Xen's deferred-result encoding). */
    ck_assert_int_eq(do_mmu_update(0, PREEMPTED, G_DONE, 1234, 0), 1234);
    ck_assert_int_eq(do_mmu_update(0, PREEMPTED, 0, -22, 0), -22);

    /* A bad success-count pointer is ignored: the requests still run. */
    r.ptr = ma(t.l1, 20);
    ck_assert_int_eq(mmu(&r, 1, G_BAD, DOMID_SELF), 0);
    ck_assert_int_eq(mmu(&r, 1, HYPERVISOR_VIRT_START, DOMID_SELF), 0);
    ck_assert_uint_eq(mem[t.l1][20], pte(a, RO));
    /* count is an unsigned int: upper register bits are ignored. */
    r.ptr = ma(t.l1, 21);
    put_reqs(&r, 1);
    ck_assert_int_eq(do_mmu_update(G_REQS, 0x100000001UL, 0, DOMID_SELF, 0), 0);
    ck_assert_uint_eq(mem[t.l1][21], pte(a, RO));
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_mmu_update_foreigndom)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    struct tree t1 = make_tree(d1);
    mfn_t a1 = new_frame(d1), a2 = new_frame(d2), l1_2 = new_frame(d2);
    struct mmu_update r = {ma(t1.l1, 1), pte(a1, RO)};

    /* Naming oneself by id, or an unknown domain: -ESRCH, count 0 written. */
    set_done(5);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, 1), -ESRCH);
    ck_assert_uint_eq(guest_done(), 0);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, 7), -ESRCH);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, DOMID_INVALID), -ESRCH);
    /* Unknown page-table owner: -ESRCH before anything (no count). */
    set_done(5);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, (9 + 1) << 16 | DOMID_SELF), -ESRCH);
    ck_assert_uint_eq(guest_done(), 5);
    /* Upper bits: the page-table owner is oneself. */
    ck_assert_int_eq(mmu(&r, 1, G_DONE, (1 + 1) << 16 | DOMID_SELF), 0);
    ck_assert_uint_eq(guest_done(), 1);

    /* Unprivileged with another domain, DOMID_XEN: each request -EPERM. */
    r = (struct mmu_update){ma(t1.l1, 2), pte(a2, RO)};
    ck_assert_int_eq(mmu(&r, 1, G_DONE, 2), -EPERM);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, DOMID_XEN), -EPERM);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, (2 + 1) << 16 | DOMID_SELF), -EPERM);
    r.ptr = ma(a1, 0) | MMU_MACHPHYS_UPDATE;
    ck_assert_int_eq(mmu(&r, 1, G_DONE, 2), -EPERM);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, DOMID_IO), -EINVAL); /* not DOMID_IO's frame */
    /* DOMID_IO: MMIO only; a RAM frame is refused. */
    r = (struct mmu_update){ma(t1.l1, 3), pte(a1, RO)};
    ck_assert_int_eq(mmu(&r, 1, G_DONE, DOMID_IO), -EBUSY);
    r.ptr = ma(t1.l2, 3);
    r.val = pte(new_frame(d1), TBL);
    ck_assert_int_eq(mmu(&r, 1, G_DONE, DOMID_IO), -EINVAL);

    /* Privileged: maps the other domain's frame in its own L1. */
    d1->is_privileged = true;
    r = (struct mmu_update){ma(t1.l1, 4), pte(a2, RW)};
    ck_assert_int_eq(mmu(&r, 1, G_DONE, 2), 0);
    ck_assert_uint_eq(refs(a2), 2);
    ck_assert_uint_eq(ptype(a2), PGT_writable_page);
    r.ptr = ma(a2, 0) | MMU_MACHPHYS_UPDATE;
    r.val = 0x99;
    ck_assert_int_eq(mmu(&r, 1, G_DONE, 2), 0);
    ck_assert_uint_eq(m2p[a2], 0x99);
    /* ...and updates the other domain's own tables (page-table owner in the upper bits). */
    ck_assert_int_eq(pin_page_table(d2, l1_2, 1), 0);
    r = (struct mmu_update){ma(l1_2, 0), pte(a2, RO)};
    ck_assert_int_eq(mmu(&r, 1, G_DONE, (2 + 1) << 16 | 2), 0);
    ck_assert_uint_eq(mem[l1_2][0], pte(a2, RO));
    /* The machine-to-phys update needs the caller's own tables. */
    r.ptr = ma(a2, 0) | MMU_MACHPHYS_UPDATE;
    ck_assert_int_eq(mmu(&r, 1, G_DONE, (2 + 1) << 16 | 2), -EPERM);

    /* d1's teardown drops its reference on d2's frame. */
    expect_clean_teardown(d1);
    ck_assert_uint_eq(refs(a2), 2); /* allocation + d2's own L1 entry */
    expect_clean_teardown(d2);
}
END_TEST

START_TEST(test_mmu_update_continuation)
{
    struct domain *d = &dom[1];
    struct tree t = make_tree(d);
    mfn_t a = new_frame(d);
    struct mmu_update r[5];

    for (unsigned int i = 0; i < 5; i++)
        r[i] = (struct mmu_update){ma(t.l1, 30 + i), pte(a, RO)};
    put_reqs(r, 5);
    set_done(0);
    preempt_after = 1; /* asked before request 1 (no) and 2 (yes) */
    ck_assert_int_eq(do_mmu_update(G_REQS, 5, G_DONE, DOMID_SELF, 0), __HYPERVISOR_mmu_update);
    ck_assert_uint_eq(nr_continuations, 1);
    ck_assert_uint_eq(cont_op, __HYPERVISOR_mmu_update);
    ck_assert_uint_eq(cont_nargs, 4);
    ck_assert_uint_eq(cont_args[0], G_REQS + 2 * sizeof(struct mmu_update));
    ck_assert_uint_eq(cont_args[1], 3 | PREEMPTED);
    ck_assert_uint_eq(cont_args[2], G_DONE);
    ck_assert_uint_eq(cont_args[3], DOMID_SELF);
    ck_assert_uint_eq(guest_done(), 2);
    ck_assert_uint_eq(mem[t.l1][31], pte(a, RO));
    ck_assert_uint_eq(mem[t.l1][32], 0);

    /* The guest re-issues it: the count goes on from 2. */
    preempt_after = -1;
    ck_assert_int_eq(do_mmu_update(cont_args[0], cont_args[1], cont_args[2], cont_args[3], 0), 0);
    ck_assert_uint_eq(guest_done(), 5);
    ck_assert_uint_eq(mem[t.l1][34], pte(a, RO));
    ck_assert_uint_eq(mm_counters.mmu_update_calls, 1); /* a continuation is not a new call */
    ck_assert_uint_eq(mm_counters.mmu_updates, 5);

    /* The first request always runs: no continuation without progress. */
    preempt_after = 0;
    r[0].val = 0;
    ck_assert_int_eq(mmu(r, 2, G_DONE, DOMID_SELF), __HYPERVISOR_mmu_update);
    ck_assert_uint_eq(guest_done(), 1);
    ck_assert_uint_eq(cont_args[1], 1 | PREEMPTED);
    expect_clean_teardown(d);
}
END_TEST

/* ---- mmuext_op ---- */

START_TEST(test_mmuext_pin_unpin)
{
    struct domain *d = &dom[1], *d2 = &dom[2];
    struct tree t = make_tree(d);
    mfn_t l1 = new_frame(d), l2 = new_frame(d), l3 = new_frame(d), l4 = new_frame(d);
    mfn_t w = new_frame(d), other = new_frame(d2);

    ck_assert_int_eq(ext1(MMUEXT_PIN_L1_TABLE, l1, 0), 0);
    ck_assert_uint_eq(guest_done(), 1);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L2_TABLE, l2, 0), 0);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L3_TABLE, l3, 0), 0);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L4_TABLE, l4, 0), 0);
    ck_assert_uint_eq(ptype(l3), PGT_l3_page_table);
    ck_assert(frames[l4].type_info & PGT_pinned);
    ck_assert_uint_eq(mem[l4][256] & PT_PRESENT, PT_PRESENT); /* hypervisor slots filled */

    /* Already pinned, another level, not the caller's, not RAM, mapped writable. */
    ck_assert_int_eq(ext1(MMUEXT_PIN_L1_TABLE, l1, 0), -EINVAL);
    ck_assert_uint_eq(guest_done(), 0);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L2_TABLE, l1, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L1_TABLE, other, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L1_TABLE, MFN_HV, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L1_TABLE, NFRAMES + 1, 0), -EINVAL);
    ck_assert_int_eq(mmu(&(struct mmu_update){ma(t.l1, 1), pte(w, RW)}, 1, 0, DOMID_SELF), 0);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L1_TABLE, w, 0), -EINVAL);
    /* A table that fails validation: its entry's error. */
    mem[w][0] = 0;
    mfn_t bad = new_frame(d);
    mem[bad][0] = pte(other, RO);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L1_TABLE, bad, 0), -EBUSY);
    ck_assert_uint_eq(frames[bad].type_info, 0);

    /* Unpin: pinned tables, even the CR3 one; not pinned: -EINVAL. */
    ck_assert_int_eq(ext1(MMUEXT_UNPIN_TABLE, l1, 0), 0);
    ck_assert(!validated(l1));
    ck_assert_int_eq(ext1(MMUEXT_UNPIN_TABLE, l1, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_UNPIN_TABLE, w, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_UNPIN_TABLE, other, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_UNPIN_TABLE, t.l4, 0), 0);
    ck_assert(validated(t.l4)); /* CR3 holds its own reference */
    ck_assert_uint_eq(trefs(t.l4), 1);
    ck_assert_int_eq(ext1(MMUEXT_UNPIN_TABLE, t.l4, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_PIN_L4_TABLE, t.l4, 0), 0); /* and may be pinned again */
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_mmuext_new_baseptr)
{
    struct domain *d = &dom[1], *d2 = &dom[2];
    struct tree t = make_tree(d);
    mfn_t l4b = new_frame(d), bad = new_frame(d);

    ck_assert_int_eq(ext1(MMUEXT_UNPIN_TABLE, t.l4, 0), 0);
    mem[l4b][0] = pte(t.l3, TBL); /* shares the L3 */
    ck_assert_int_eq(ext1(MMUEXT_NEW_BASEPTR, l4b, 0), 0);
    ck_assert_uint_eq(d->vcpu[0]->guest_table, (paddr_t)l4b << PAGE_SHIFT);
    ck_assert_uint_eq(last_cr3, (paddr_t)l4b << PAGE_SHIFT);
    ck_assert_uint_eq(nr_cr3_loads, 1);
    ck_assert(validated(l4b));
    ck_assert(!validated(t.l4)); /* its last reference (CR3's) went: demoted */
    ck_assert_uint_eq(trefs(t.l3), 1);

    /* The same table again: reloaded, nothing else. */
    ck_assert_int_eq(ext1(MMUEXT_NEW_BASEPTR, l4b, 0), 0);
    ck_assert_uint_eq(nr_cr3_loads, 2);
    ck_assert_uint_eq(trefs(l4b), 1);

    /* An L4 that fails validation (a writable linear entry), not the caller's, not L4. */
    mem[bad][3] = pte(bad, TBL);
    ck_assert_int_eq(ext1(MMUEXT_NEW_BASEPTR, bad, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_NEW_BASEPTR, new_frame(d2), 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_NEW_BASEPTR, t.l3, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_NEW_BASEPTR, MFN_HV, 0), -EINVAL);
    ck_assert_uint_eq(d->vcpu[0]->guest_table, (paddr_t)l4b << PAGE_SHIFT);
    ck_assert_uint_eq(nr_cr3_loads, 2);

    /* A read-only linear entry is fine. */
    mem[bad][3] = pte(bad, RO);
    ck_assert_int_eq(ext1(MMUEXT_NEW_BASEPTR, bad, 0), 0);
    ck_assert(!validated(l4b));

    /* Foreign page owner: -EPERM (even for a privileged caller). */
    d->is_privileged = true;
    struct mmuext_op o = {.cmd = MMUEXT_NEW_BASEPTR};
    o.arg1.mfn = bad;
    ck_assert_int_eq(ext(&o, 1, 2), -EPERM);
    o.cmd = MMUEXT_NEW_USER_BASEPTR;
    ck_assert_int_eq(ext(&o, 1, 2), -EPERM);
    o.cmd = MMUEXT_TLB_FLUSH_LOCAL;
    ck_assert_int_eq(ext(&o, 1, 2), -EPERM);
    expect_clean_teardown(d);
    expect_clean_teardown(d2);
}
END_TEST

START_TEST(test_mmuext_new_user_baseptr)
{
    struct domain *d = &dom[1];
    struct tree t = make_tree(d);
    mfn_t ul4 = new_frame(d);
    struct vcpu *v = d->vcpu[0];

    /* None: allowed, no change. */
    ck_assert_int_eq(ext1(MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    ck_assert_uint_eq(v->guest_table_user, 0);
    /* The kernel's own table: another L4 reference. */
    ck_assert_int_eq(ext1(MMUEXT_NEW_USER_BASEPTR, t.l4, 0), 0);
    ck_assert_uint_eq(v->guest_table_user, (paddr_t)t.l4 << PAGE_SHIFT);
    ck_assert_uint_eq(trefs(t.l4), 3);  /* pin, CR3, user CR3 */
    ck_assert_uint_eq(nr_cr3_loads, 0); /* a hypercall runs in kernel mode */
    /* A table of its own; the old reference goes. */
    ck_assert_int_eq(ext1(MMUEXT_NEW_USER_BASEPTR, ul4, 0), 0);
    ck_assert_uint_eq(trefs(t.l4), 2);
    ck_assert_uint_eq(trefs(ul4), 1);
    ck_assert_uint_eq(ptype(ul4), PGT_l4_page_table);
    /* Refused: not an L4 (nothing changes). */
    ck_assert_int_eq(ext1(MMUEXT_NEW_USER_BASEPTR, t.l1, 0), -EINVAL);
    ck_assert_uint_eq(v->guest_table_user, (paddr_t)ul4 << PAGE_SHIFT);
    /* Back to none. */
    ck_assert_int_eq(ext1(MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    ck_assert_uint_eq(trefs(ul4), 0);
    ck_assert(!validated(ul4));
    /* Teardown drops a user table too. */
    ck_assert_int_eq(ext1(MMUEXT_NEW_USER_BASEPTR, ul4, 0), 0);
    expect_clean_teardown(d);
    ck_assert_uint_eq(v->guest_table_user, 0);
}
END_TEST

START_TEST(test_mmuext_flushes)
{
    struct mmuext_op o = {.cmd = MMUEXT_TLB_FLUSH_LOCAL};
    uint64_t mask = 1;

    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_flushes, 1);
    o.cmd = MMUEXT_TLB_FLUSH_ALL;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_flushes, 2);

    o.cmd = MMUEXT_INVLPG_LOCAL;
    o.arg1.linear_addr = 0x400000;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(last_invlpg, 0x400000);
    o.arg1.linear_addr = 0x0000800000000000UL; /* non-canonical: ignored */
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_invlpg, 1);
    o.cmd = MMUEXT_INVLPG_ALL;
    o.arg1.linear_addr = HYPERVISOR_VIRT_START; /* the hypervisor's: ignored */
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_invlpg, 1);
    o.arg1.linear_addr = 0xffff880000001000UL;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_invlpg, 2);
    ck_assert_uint_eq(mm_counters.invlpgs, 2);

    /* The vCPU-bitmap flushes: unreadable bitmap -EINVAL; our bit set or not. */
    o.cmd = MMUEXT_TLB_FLUSH_MULTI;
    o.arg2.vcpumask.p = (const void *)G_BAD;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), -EINVAL);
    memcpy(&guest[G_MASK - GUEST_BASE], &mask, sizeof(mask));
    o.arg2.vcpumask.p = (const void *)G_MASK;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_flushes, 3);
    mask = 2;
    memcpy(&guest[G_MASK - GUEST_BASE], &mask, sizeof(mask));
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_flushes, 3);
    o.cmd = MMUEXT_INVLPG_MULTI;
    mask = 1;
    memcpy(&guest[G_MASK - GUEST_BASE], &mask, sizeof(mask));
    o.arg1.linear_addr = 0x5000;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(last_invlpg, 0x5000);

    /* Cache flushes need I/O resources. */
    o.cmd = MMUEXT_FLUSH_CACHE;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), -EACCES);
    o.cmd = MMUEXT_FLUSH_CACHE_GLOBAL;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), -EINVAL);
    io_domain = true;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    o.cmd = MMUEXT_FLUSH_CACHE;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    ck_assert_uint_eq(nr_cache_flushes, 2);
}
END_TEST

START_TEST(test_mmuext_ldt_and_unknown)
{
    struct mmuext_op o = {.cmd = MMUEXT_SET_LDT};

    o.arg1.linear_addr = 0x12345; /* ignored with no entries */
    o.arg2.nr_ents = 0;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), 0);
    o.arg2.nr_ents = 8193;
    o.arg1.linear_addr = 0x10000;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), -EINVAL);
    o.arg2.nr_ents = 1;
    o.arg1.linear_addr = 0x10008; /* not page-aligned */
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), -EINVAL);
    o.arg1.linear_addr = HYPERVISOR_VIRT_START;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), -EINVAL);
    o.arg1.linear_addr = 0x10000; /* valid: mica has no LDTs */
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), -EOPNOTSUPP);
    o.arg2.nr_ents = 8192;
    ck_assert_int_eq(ext(&o, 1, DOMID_SELF), -EOPNOTSUPP);

    ck_assert_int_eq(ext1(MMUEXT_MARK_SUPER, 8, 0), -EOPNOTSUPP);
    ck_assert_int_eq(ext1(MMUEXT_UNMARK_SUPER, 8, 0), -EOPNOTSUPP);
    ck_assert_int_eq(ext1(14, 0, 0), -ENOSYS); /* unused number */
    ck_assert_int_eq(ext1(21, 0, 0), -ENOSYS);
    ck_assert_int_eq(ext1(0x80000000U, 0, 0), -ENOSYS);
}
END_TEST

START_TEST(test_mmuext_clear_copy_page)
{
    struct domain *d = &dom[1], *d2 = &dom[2];
    struct tree t = make_tree(d);
    mfn_t src = new_frame(d), dst = new_frame(d), other = new_frame(d2);

    memset(mem[src], 0xab, sizeof(mem[src]));
    ck_assert_int_eq(ext1(MMUEXT_COPY_PAGE, dst, src), 0);
    ck_assert_int_eq(memcmp(mem[src], mem[dst], PAGE_SIZE), 0);
    ck_assert_uint_eq(trefs(dst), 0);
    ck_assert_uint_eq(refs(dst), 1);
    ck_assert_uint_eq(refs(src), 1);
    ck_assert_int_eq(ext1(MMUEXT_CLEAR_PAGE, dst, 0), 0);
    ck_assert_uint_eq(mem[dst][17], 0);
    /* A page table is never written this way; copying from one is fine. */
    ck_assert_int_eq(ext1(MMUEXT_CLEAR_PAGE, t.l1, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_COPY_PAGE, t.l2, src), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_COPY_PAGE, dst, t.l2), 0);
    ck_assert_uint_eq(mem[dst][0], mem[t.l2][0]);
    /* Frames that are not the caller's. */
    ck_assert_int_eq(ext1(MMUEXT_CLEAR_PAGE, other, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_CLEAR_PAGE, MFN_HV, 0), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_COPY_PAGE, dst, other), -EINVAL);
    ck_assert_int_eq(ext1(MMUEXT_COPY_PAGE, other, src), -EINVAL);
    ck_assert_uint_eq(refs(src), 1);
    ck_assert_uint_eq(refs(dst), 1);
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_mmuext_batch_foreign_continuation)
{
    struct domain *d = &dom[1], *d2 = &dom[2];
    mfn_t a = new_frame(d), b = new_frame(d), c = new_frame(d);
    struct mmuext_op o[4] = {{.cmd = MMUEXT_PIN_L1_TABLE},
                             {.cmd = MMUEXT_PIN_L1_TABLE},
                             {.cmd = MMUEXT_UNPIN_TABLE},
                             {.cmd = MMUEXT_PIN_L1_TABLE}};

    o[0].arg1.mfn = a;
    o[1].arg1.mfn = b;
    o[2].arg1.mfn = c; /* not pinned: stops here */
    o[3].arg1.mfn = c;
    ck_assert_int_eq(ext(o, 4, DOMID_SELF), -EINVAL);
    ck_assert_uint_eq(guest_done(), 2);
    ck_assert(frames[b].type_info & PGT_pinned);
    ck_assert(!(frames[c].type_info & PGT_pinned));

    /* Foreign owner, unprivileged: -EPERM before anything, no count written. */
    ck_assert_int_eq(ext(o, 1, 2), -EPERM);
    ck_assert_uint_eq(guest_done(), 0xdeadbeef);
    ck_assert_int_eq(ext(o, 1, 1), -ESRCH); /* oneself by id */
    ck_assert_int_eq(ext(o, 1, 9), -ESRCH);
    ck_assert_int_eq(ext(o, 1, DOMID_IO), -EPERM);
    ck_assert_int_eq(do_mmuext_op(HYPERVISOR_VIRT_START, 1, G_DONE, DOMID_SELF, 0), -EFAULT);
    ck_assert_int_eq(do_mmuext_op(0, PREEMPTED, 0, 321, 0), 321);
    /* Privileged: pins another domain's table. */
    d->is_privileged = true;
    mfn_t f = new_frame(d2);
    o[0].arg1.mfn = f;
    ck_assert_int_eq(ext(o, 1, 2), 0);
    ck_assert(frames[f].type_info & PGT_pinned);
    o[0].cmd = MMUEXT_UNPIN_TABLE;
    ck_assert_int_eq(ext(o, 1, 2), 0);
    o[0].arg1.mfn = a;
    ck_assert_int_eq(ext(o, 1, 2), -EINVAL); /* a is not d2's */

    /* Continuation: 3 flushes, preempted before the third. */
    struct mmuext_op fl[3] = {{.cmd = MMUEXT_TLB_FLUSH_LOCAL},
                              {.cmd = MMUEXT_TLB_FLUSH_LOCAL},
                              {.cmd = MMUEXT_TLB_FLUSH_LOCAL}};
    put_ops(fl, 3);
    set_done(0);
    preempt_after = 1;
    ck_assert_int_eq(do_mmuext_op(G_REQS, 3, G_DONE, DOMID_SELF, 0), __HYPERVISOR_mmuext_op);
    ck_assert_uint_eq(cont_args[0], G_REQS + 2 * sizeof(struct mmuext_op));
    ck_assert_uint_eq(cont_args[1], 1 | PREEMPTED);
    ck_assert_uint_eq(guest_done(), 2);
    ck_assert_int_eq(do_mmuext_op(cont_args[0], cont_args[1], cont_args[2], cont_args[3], 0), 0);
    ck_assert_uint_eq(guest_done(), 3);
    ck_assert_uint_eq(nr_flushes, 3);
    expect_clean_teardown(d);
    expect_clean_teardown(d2);
}
END_TEST

/* ---- update_va_mapping_otherdomain ---- */

START_TEST(test_uvm_otherdomain)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    struct tree t = make_tree(d1);
    mfn_t a1 = new_frame(d1), a2 = new_frame(d2);
    const unsigned long va = 7UL << PAGE_SHIFT; /* slot 7 of t.l1 */

    ck_assert_int_eq(do_update_va_mapping_otherdomain(va, pte(a1, RW), UVMF_INVLPG, DOMID_SELF, 0),
                     0);
    ck_assert_uint_eq(mem[t.l1][7], pte(a1, RW));
    ck_assert_uint_eq(last_invlpg, va);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(va, 0, 0, 1, 0), -ESRCH);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(va, 0, 0, 5, 0), -ESRCH);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(va, pte(a2, RW), 0, 2, 0), -EPERM);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(va, pte(a1, RW), 0, DOMID_IO, 0), -EPERM);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(va, 0, 0, DOMID_XEN, 0), -EPERM);
    ck_assert_uint_eq(mem[t.l1][7], pte(a1, RW));

    d1->is_privileged = true;
    ck_assert_int_eq(do_update_va_mapping_otherdomain(va, pte(a2, RW), 0, 2, 0), 0);
    ck_assert_uint_eq(refs(a2), 2);
    ck_assert_uint_eq(refs(a1), 1);
    /* The named owner must own the frame. */
    ck_assert_int_eq(do_update_va_mapping_otherdomain(va, pte(a1, RW), 0, 2, 0), -EBUSY);
    ck_assert_int_eq(do_update_va_mapping_otherdomain(HYPERVISOR_VIRT_START, 0, 0, 2, 0), -EINVAL);
    expect_clean_teardown(d1);
    ck_assert_uint_eq(refs(a2), 1);
    expect_clean_teardown(d2);
}
END_TEST

/* ---- memory_op: reservations ---- */

static long reservation(unsigned int op, unsigned long start, uint64_t list, unsigned long n,
                        unsigned int order, unsigned int flags, domid_t domid)
{
    struct xen_memory_reservation r = {
        .nr_extents = n, .extent_order = order, .mem_flags = flags, .domid = domid};

    set_xen_guest_handle(r.extent_start, (xen_pfn_t *)list);
    memcpy(&guest[G_RES - GUEST_BASE], &r, sizeof(r));
    return do_memory_op(op | (start << 6), G_RES, 0, 0, 0);
}

static xen_pfn_t *extents(void)
{
    return (xen_pfn_t *)&guest[G_LIST - GUEST_BASE];
}

START_TEST(test_populate_and_decrease)
{
    struct domain *d = &dom[1];
    xen_pfn_t got[3];

    for (unsigned int i = 0; i < 3; i++)
        extents()[i] = 0x100 + i; /* the guest's PFNs */
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 3, 0, 0, DOMID_SELF), 3);
    ck_assert_uint_eq(d->tot_pages, 3);
    for (unsigned int i = 0; i < 3; i++) {
        mfn_t m = got[i] = extents()[i];

        ck_assert_uint_ge(m, MFN_POOL);
        ck_assert_uint_eq(frames[m].owner, 1);
        ck_assert_uint_eq(refs(m), 1);
        ck_assert(frames[m].count_info & PGC_allocated);
        ck_assert_uint_eq(frames[m].type_info, 0);
        ck_assert_uint_eq(m2p[m], 0x100 + i);
        for (unsigned int j = 0; j < PT_ENTRIES; j++)
            ck_assert_uint_eq(mem[m][j], 0); /* scrubbed */
    }
    ck_assert_uint_eq(mm_counters.pages_allocated, 3);

    /* Give two back: freed at once (nothing else references them). */
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 2, 0, 0, DOMID_SELF), 2);
    ck_assert(freed[got[0]] && freed[got[1]]);
    ck_assert_uint_eq(d->tot_pages, 1);
    /* Again: no longer the domain's, -ENXIO inside, nothing done. */
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 2, 0, 0, DOMID_SELF), 0);
    /* Not a frame at all; the hypervisor's; another domain's. */
    extents()[0] = NFRAMES + 3;
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 1, 0, 0, DOMID_SELF), 0);
    extents()[0] = MFN_HV;
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 1, 0, 0, DOMID_SELF), 0);
    extents()[0] = new_frame(&dom[2]);
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 1, 0, 0, DOMID_SELF), 0);
    ck_assert_uint_eq(refs(extents()[0]), 1);

    /* increase_reservation: frames without M2P entries, MFNs written if there is a list. */
    ck_assert_int_eq(reservation(XENMEM_increase_reservation, 0, G_LIST, 2, 0, 0, DOMID_SELF), 2);
    ck_assert_uint_eq(m2p[extents()[1]], ~0UL);
    ck_assert_int_eq(reservation(XENMEM_increase_reservation, 0, 0, 1, 0, 0, DOMID_SELF), 1);
    ck_assert_uint_eq(d->tot_pages, 4);
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_decrease_page_table_frame)
{
    struct domain *d = &dom[1];
    struct tree t = make_tree(d);
    mfn_t data = new_frame(d);

    /* A page table still pinned and CR3, and a mapped page: accepted, kept until unused. */
    ck_assert_int_eq(mmu(&(struct mmu_update){ma(t.l1, 1), pte(data, RW)}, 1, 0, DOMID_SELF), 0);
    extents()[0] = t.l4;
    extents()[1] = t.l1;
    extents()[2] = data;
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 3, 0, 0, DOMID_SELF), 3);
    ck_assert(!(frames[t.l4].count_info & PGC_allocated));
    ck_assert(!freed[t.l4] && !freed[t.l1] && !freed[data]);
    ck_assert(validated(t.l4));
    ck_assert_uint_eq(mm_counters.pages_released, 3);
    /* Given back twice: its allocation reference is gone already; accepted (Xen). */
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 1, 0, 0, DOMID_SELF), 1);
    ck_assert_uint_eq(mm_counters.pages_released, 3);

    /* Unmapping the page frees it; so does dropping the table's last uses. */
    ck_assert_int_eq(mmu(&(struct mmu_update){ma(t.l1, 1), 0}, 1, 0, DOMID_SELF), 0);
    ck_assert(freed[data]);
    ck_assert_int_eq(ext1(MMUEXT_UNPIN_TABLE, t.l4, 0), 0);
    ck_assert(!freed[t.l4]); /* CR3 still holds it */
    vcpu_put_guest_table(d->vcpu[0]);
    ck_assert(freed[t.l4] && freed[t.l1]);
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_reservation_limits)
{
    struct domain *d = &dom[1];

    d->max_pages = 2;
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 3, 0, 0, DOMID_SELF), 2);
    ck_assert_uint_eq(d->tot_pages, 2);
    d->max_pages = 100;
    /* mica's extents are single frames: order 1 does nothing (Xen would allocate). */
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 1, 0, DOMID_SELF), 0);
    /* Beyond Xen's max order for a domU: nothing, for both. */
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 10, 0, DOMID_SELF), 0);
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 1, 10, 0, DOMID_SELF), 0);
    /* An extent list in the hypervisor's range; an unreadable argument; a start past the end:
       the start extent. */
    ck_assert_int_eq(
        reservation(XENMEM_populate_physmap, 0, HYPERVISOR_VIRT_START, 1, 0, 0, DOMID_SELF), 0);
    ck_assert_int_eq(do_memory_op(XENMEM_populate_physmap | (5 << 6), G_BAD, 0, 0, 0), 5);
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 4, G_LIST, 3, 0, 0, DOMID_SELF), 4);
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1UL << 26, 0, 0, DOMID_SELF),
                     0);
    /* Another domain, unprivileged; an unknown one; a bad node request. */
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 0, 0, 2), 0);
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 0, 0, 9), 0);
    ck_assert_int_eq(
        reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 0, XENMEMF_exact_node(0), DOMID_SELF),
        0);
    /* Populate-on-demand on oneself: nothing. An address limit at 4 KiB: nothing. */
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 0,
                                 XENMEMF_populate_on_demand, DOMID_SELF),
                     0);
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 0, 12, DOMID_SELF), 0);
    /* An address limit below every free frame: the allocation is given back, nothing done. */
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 0, 13, DOMID_SELF), 0);
    ck_assert_uint_eq(d->tot_pages, 2);
    /* An extent list that cannot be written: the frame stays the domain's, not counted. */
    ck_assert_int_eq(reservation(XENMEM_increase_reservation, 0, G_BAD, 1, 0, 0, DOMID_SELF), 0);
    ck_assert_uint_eq(d->tot_pages, 3);
    /* A privileged caller populates another domain. */
    current = &vcpus[2];
    dom[2].is_privileged = true;
    extents()[0] = 0x55;
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 1, 0, 0, 1), 1);
    ck_assert_uint_eq(frames[extents()[0]].owner, 1);
    ck_assert_uint_eq(d->tot_pages, 4);
    current = &vcpus[1];
    expect_clean_teardown(d);
}
END_TEST

START_TEST(test_reservation_continuation)
{
    struct domain *d = &dom[1];

    preempt_after = 1;
    ck_assert_int_eq(reservation(XENMEM_populate_physmap, 0, G_LIST, 5, 0, 0, DOMID_SELF),
                     __HYPERVISOR_memory_op);
    ck_assert_uint_eq(cont_nargs, 2);
    ck_assert_uint_eq(cont_args[0], XENMEM_populate_physmap | (2 << 6));
    ck_assert_uint_eq(cont_args[1], G_RES);
    ck_assert_uint_eq(d->tot_pages, 2);
    preempt_after = -1;
    ck_assert_int_eq(do_memory_op(cont_args[0], cont_args[1], 0, 0, 0), 5);
    ck_assert_uint_eq(d->tot_pages, 5);

    preempt_after = 2;
    ck_assert_int_eq(reservation(XENMEM_decrease_reservation, 0, G_LIST, 5, 0, 0, DOMID_SELF),
                     __HYPERVISOR_memory_op);
    ck_assert_uint_eq(cont_args[0], XENMEM_decrease_reservation | (3 << 6));
    ck_assert_uint_eq(d->tot_pages, 2);
    preempt_after = -1;
    ck_assert_int_eq(do_memory_op(cont_args[0], cont_args[1], 0, 0, 0), 5);
    ck_assert_uint_eq(d->tot_pages, 0);
    expect_clean_teardown(d);
}
END_TEST

static Suite *mmu_suite(void)
{
    Suite *s = suite_create("mmu");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_mmu_update_l1_entries);
    tcase_add_test(tc, test_mmu_update_preserve_ad);
    tcase_add_test(tc, test_mmu_update_upper_levels_flush);
    tcase_add_test(tc, test_mmu_update_plain_frame_and_m2p);
    tcase_add_test(tc, test_mmu_update_refusals);
    tcase_add_test(tc, test_mmu_update_batch_stops_at_first_failure);
    tcase_add_test(tc, test_mmu_update_bad_buffers);
    tcase_add_test(tc, test_mmu_update_foreigndom);
    tcase_add_test(tc, test_mmu_update_continuation);
    tcase_add_test(tc, test_mmuext_pin_unpin);
    tcase_add_test(tc, test_mmuext_new_baseptr);
    tcase_add_test(tc, test_mmuext_new_user_baseptr);
    tcase_add_test(tc, test_mmuext_flushes);
    tcase_add_test(tc, test_mmuext_ldt_and_unknown);
    tcase_add_test(tc, test_mmuext_clear_copy_page);
    tcase_add_test(tc, test_mmuext_batch_foreign_continuation);
    tcase_add_test(tc, test_uvm_otherdomain);
    tcase_add_test(tc, test_populate_and_decrease);
    tcase_add_test(tc, test_decrease_page_table_frame);
    tcase_add_test(tc, test_reservation_limits);
    tcase_add_test(tc, test_reservation_continuation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mmu_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
