/*
 * Unit tests for hypervisor/common/grant_table.c: grant tables v1 (setup_table, query_size,
 * set/get_version, map_grant_ref, unmap_grant_ref, copy), their refusals with Xen's GNTST_
 * codes, GTF_reading/GTF_writing, the references a mapping holds, continuations and death,
 * over mm.c's typed frames on a simulated frame table. Guest addresses are host pointers
 * into guest_mem[]; anything else faults.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/grant_table.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/panic.h>
#include "hv_unrename.h"

/* ---- The simulated machine ---- */

#define NFRAMES       4096
#define MFN_FIRST_DOM 8

static struct page_info frames[NFRAMES];
static uint64_t mem[NFRAMES][PT_ENTRIES] __attribute__((aligned(4096)));
static bool freed[NFRAMES];
static mfn_t next_free;
unsigned long max_mfn = NFRAMES;

static struct domain dom[3]; /* ids 0 (privileged), 1, 2 */
static struct vcpu vcpus[3];
struct vcpu *current;

static unsigned int nr_flushes, nr_invlpg;
static uint64_t last_invlpg;
static bool preempt;
static unsigned int cont_op, cont_nargs;
static unsigned long cont_args[5];

/* Guest memory: guest addresses are host addresses inside this buffer. */
static uint8_t guest_mem[65536] __attribute__((aligned(4096)));
#define GVA(p) ((uint64_t)(uintptr_t)(p))

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

static mfn_t take_frame(void)
{
    mfn_t m = next_free++;

    ck_assert_uint_lt(m, NFRAMES);
    memset(mem[m], 0, PAGE_SIZE);
    return m;
}

void *alloc_hv_page(mfn_t *mfn, domid_t owner)
{
    mfn_t m = take_frame();

    frames[m] = (struct page_info){.count_info = PGC_alloc_head, .owner = owner};
    *mfn = m;
    return mem[m];
}

struct domain *domain_lookup(domid_t domid)
{
    return domid < 3 ? &dom[domid] : NULL;
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
        l4[i] = 0;
}

static bool guest_ok(uint64_t addr, size_t len)
{
    uint64_t base = GVA(guest_mem);

    return addr >= base && addr + len >= addr && addr + len <= base + sizeof(guest_mem);
}

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    if (!guest_ok(src, len))
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)src, len);
    return 0;
}

int copy_to_guest(uint64_t dst, const void *src, size_t len)
{
    if (!guest_ok(dst, len))
        return -EFAULT;
    memcpy((void *)(uintptr_t)dst, src, len);
    return 0;
}

bool hypercall_preempt_check(void)
{
    return preempt;
}

long hypercall_continuation(unsigned int op, unsigned int nr_args, const unsigned long *args)
{
    cont_op = op;
    cont_nargs = nr_args;
    for (unsigned int i = 0; i < nr_args; i++)
        cont_args[i] = args[i];
    return op;
}

void printk_level(enum log_level level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

/* mm.c's trace points (trace.c): weak, so a test build that links trace.c uses it. */
__attribute__((weak)) bool trace_on;
__attribute__((weak)) void trace_put(unsigned int type, unsigned int domid, uint32_t c, uint64_t a,
                                     uint64_t b)
{
    (void)type;
    (void)domid;
    (void)c;
    (void)a;
    (void)b;
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

/* ---- Fixture ---- */

static void setup(void)
{
    memset(frames, 0, sizeof(frames));
    memset(freed, 0, sizeof(freed));
    memset(dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    memset(guest_mem, 0, sizeof(guest_mem));
    memset(&gnttab_counters, 0, sizeof(gnttab_counters));
    for (mfn_t m = 0; m < NFRAMES; m++)
        frames[m].owner = DOMID_XEN;
    next_free = MFN_FIRST_DOM;
    for (domid_t i = 0; i < 3; i++) {
        dom[i].domain_id = i;
        dom[i].vcpu[0] = &vcpus[i];
        dom[i].state = DOMAIN_RUNNING;
        vcpus[i].domain = &dom[i];
        ck_assert_int_eq(grant_table_init(&dom[i]), 0);
    }
    dom[0].is_privileged = true;
    current = &vcpus[1];
    nr_flushes = nr_invlpg = 0;
    last_invlpg = 0;
    preempt = false;
    cont_op = cont_nargs = 0;
}

/* A fresh frame for @d, as the builder gives it: PGC_allocated and one reference. */
static mfn_t new_frame(struct domain *d)
{
    mfn_t m = take_frame();

    frames[m] = (struct page_info){
        .count_info = PGC_alloc_head | PGC_allocated | 1, .type_info = 0, .owner = d->domain_id};
    d->tot_pages++;
    return m;
}

static uint64_t refs(mfn_t m)
{
    return frames[m].count_info & PGC_count_mask;
}

static uint32_t trefs(mfn_t m)
{
    return frames[m].type_info & PGT_count_mask;
}

#define TBL (PT_PRESENT | PT_RW | PT_USER | PT_ACCESSED)

/*
 * Page tables for @d: L4 -> L3 -> L2 -> L1, all at index 0, so guest address (i << 12) is
 * L1 slot i. Made the vCPU's CR3 (validated). Returns the L1.
 */
static mfn_t make_tables(struct domain *d)
{
    mfn_t l4 = new_frame(d), l3 = new_frame(d), l2 = new_frame(d), l1 = new_frame(d);

    mem[l4][0] = ((uint64_t)l3 << PAGE_SHIFT) | TBL;
    mem[l3][0] = ((uint64_t)l2 << PAGE_SHIFT) | TBL;
    mem[l2][0] = ((uint64_t)l1 << PAGE_SHIFT) | TBL;
    ck_assert_int_eq(vcpu_set_guest_table(d->vcpu[0], l4), 0);
    return l1;
}

static grant_entry_v1_t *gentry(struct domain *d, grant_ref_t ref)
{
    return (grant_entry_v1_t *)mem[d->grant_table->shared_mfn[ref / 512]] + ref % 512;
}

static void grant(struct domain *d, grant_ref_t ref, domid_t to, mfn_t frame, uint16_t flags)
{
    grant_entry_v1_t *e = gentry(d, ref);

    e->domid = to;
    e->frame = (uint32_t)frame;
    e->flags = flags;
}

/* Arguments live in guest memory. */
static void *garg(size_t off)
{
    return guest_mem + off;
}

static long gop(unsigned int cmd, void *arg, unsigned int count)
{
    return do_grant_table_op(cmd, GVA(arg), count, 0, 0);
}

static struct gnttab_map_grant_ref *mapop(domid_t dom, grant_ref_t ref, uint32_t flags,
                                          uint64_t host_addr)
{
    struct gnttab_map_grant_ref *op = garg(0);

    memset(op, 0, sizeof(*op));
    op->dom = dom;
    op->ref = ref;
    op->flags = flags;
    op->host_addr = host_addr;
    op->handle = 0xdead;
    return op;
}

/* One map as the current domain: its status, and the handle in *@handle. */
static int16_t map1(domid_t dom, grant_ref_t ref, uint32_t flags, uint64_t host_addr,
                    grant_handle_t *handle)
{
    struct gnttab_map_grant_ref *op = mapop(dom, ref, flags, host_addr);

    ck_assert_int_eq(gop(GNTTABOP_map_grant_ref, op, 1), 0);
    if (handle)
        *handle = op->handle;
    return op->status;
}

static int16_t unmap1(grant_handle_t handle, uint64_t host_addr, uint64_t dev_bus_addr)
{
    struct gnttab_unmap_grant_ref *op = garg(0);

    memset(op, 0, sizeof(*op));
    op->handle = handle;
    op->host_addr = host_addr;
    op->dev_bus_addr = dev_bus_addr;
    op->status = 77;
    ck_assert_int_eq(gop(GNTTABOP_unmap_grant_ref, op, 1), 0);
    return op->status;
}

/* ---- Set-up and queries ---- */

START_TEST(test_init_and_query_size)
{
    struct grant_table *gt = dom[1].grant_table;
    struct gnttab_query_size *q = garg(0);

    ck_assert_uint_eq(gt->nr_frames, 1);
    ck_assert_uint_eq(gt->version, 1);
    mfn_t f = gt->shared_mfn[0];
    ck_assert_uint_eq(frames[f].owner, 1);
    ck_assert(frames[f].count_info & PGC_xen_heap);
    ck_assert_uint_eq(frames[f].type_info & PGT_type_mask, PGT_writable_page);
    ck_assert_uint_eq(dom[1].tot_pages, 0); /* not counted in the domain's pages */

    q->dom = DOMID_SELF;
    ck_assert_int_eq(gop(GNTTABOP_query_size, q, 1), 0);
    ck_assert_int_eq(q->status, GNTST_okay);
    ck_assert_uint_eq(q->nr_frames, 1);
    ck_assert_uint_eq(q->max_nr_frames, GNTTAB_MAX_FRAMES);

    q->dom = 7; /* no such domain */
    q->nr_frames = 99;
    ck_assert_int_eq(gop(GNTTABOP_query_size, q, 1), 0);
    ck_assert_int_eq(q->status, GNTST_bad_domain);
    ck_assert_uint_eq(q->nr_frames, 99); /* untouched */

    q->dom = 2; /* another domain, unprivileged caller */
    ck_assert_int_eq(gop(GNTTABOP_query_size, q, 1), 0);
    ck_assert_int_eq(q->status, GNTST_permission_denied);

    current = &vcpus[0]; /* a privileged caller may */
    ck_assert_int_eq(gop(GNTTABOP_query_size, q, 1), 0);
    ck_assert_int_eq(q->status, GNTST_okay);

    ck_assert_int_eq(gop(GNTTABOP_query_size, q, 2), -EINVAL);
    ck_assert_int_eq(gop(GNTTABOP_query_size, q, 0), -EINVAL);
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_query_size, 0x1000, 1, 0, 0), -EFAULT);
}
END_TEST

START_TEST(test_setup_table)
{
    struct gnttab_setup_table *st = garg(0);
    xen_pfn_t *list = garg(1024);
    struct grant_table *gt = dom[1].grant_table;

    st->dom = DOMID_SELF;
    st->nr_frames = 4;
    set_xen_guest_handle(st->frame_list, list);
    ck_assert_int_eq(gop(GNTTABOP_setup_table, st, 1), 0);
    ck_assert_int_eq(st->status, GNTST_okay);
    ck_assert_uint_eq(gt->nr_frames, 4);
    for (unsigned int i = 0; i < 4; i++) {
        ck_assert_uint_eq(list[i], gt->shared_mfn[i]);
        ck_assert_uint_eq(frames[list[i]].owner, 1);
    }
    /* Fewer frames than the table has: just the first ones, no shrinking. */
    st->nr_frames = 2;
    list[2] = 0;
    ck_assert_int_eq(gop(GNTTABOP_setup_table, st, 1), 0);
    ck_assert_int_eq(st->status, GNTST_okay);
    ck_assert_uint_eq(gt->nr_frames, 4);
    ck_assert_uint_eq(list[2], 0);

    st->nr_frames = GNTTAB_MAX_FRAMES + 1;
    ck_assert_int_eq(gop(GNTTABOP_setup_table, st, 1), 0);
    ck_assert_int_eq(st->status, GNTST_general_error);

    /* A frame list the hypervisor cannot write: each frame's copy fails. */
    st->nr_frames = 1;
    set_xen_guest_handle(st->frame_list, (xen_pfn_t *)0x1000);
    ck_assert_int_eq(gop(GNTTABOP_setup_table, st, 1), 0);
    ck_assert_int_eq(st->status, GNTST_bad_virt_addr);
    /* One in the hypervisor's range: -EFAULT before anything (guest_handle_okay). */
    set_xen_guest_handle(st->frame_list, (xen_pfn_t *)HYPERVISOR_VIRT_START);
    ck_assert_int_eq(gop(GNTTABOP_setup_table, st, 1), -EFAULT);

    set_xen_guest_handle(st->frame_list, list);
    st->dom = 2;
    ck_assert_int_eq(gop(GNTTABOP_setup_table, st, 1), 0);
    ck_assert_int_eq(st->status, GNTST_permission_denied);
    st->dom = 9;
    ck_assert_int_eq(gop(GNTTABOP_setup_table, st, 1), 0);
    ck_assert_int_eq(st->status, GNTST_bad_domain);
    ck_assert_int_eq(gop(GNTTABOP_setup_table, st, 2), -EINVAL);
}
END_TEST

START_TEST(test_versions_and_bad_commands)
{
    struct gnttab_set_version *sv = garg(0);
    struct gnttab_get_version *gv = garg(64);

    sv->version = 1;
    ck_assert_int_eq(gop(GNTTABOP_set_version, sv, 1), 0);
    sv->version = 2;
    ck_assert_int_eq(gop(GNTTABOP_set_version, sv, 1), -ENOSYS);
    ck_assert_uint_eq(sv->version, 1); /* the current version is written back */
    sv->version = 0;
    ck_assert_int_eq(gop(GNTTABOP_set_version, sv, 1), -EINVAL);
    ck_assert_uint_eq(sv->version, 1);

    gv->dom = DOMID_SELF;
    gv->version = 0;
    ck_assert_int_eq(gop(GNTTABOP_get_version, gv, 1), 0);
    ck_assert_uint_eq(gv->version, 1);
    gv->dom = 2;
    ck_assert_int_eq(gop(GNTTABOP_get_version, gv, 1), -EPERM);
    gv->dom = 42;
    ck_assert_int_eq(gop(GNTTABOP_get_version, gv, 1), -ESRCH);

    ck_assert_int_eq(gop(GNTTABOP_transfer, sv, 1), -ENOSYS);
    ck_assert_int_eq(gop(GNTTABOP_dump_table, sv, 1), -ENOSYS);
    ck_assert_int_eq(gop(99, sv, 1), -ENOSYS);
    ck_assert_int_eq(gop(GNTTABOP_map_grant_ref | (1 << 12), sv, 1), -EINVAL); /* opaque bits */
    ck_assert_int_eq(gop(GNTTABOP_map_grant_ref, sv, 0x80000000U), -EINVAL);   /* (int) < 0 */
    ck_assert_int_eq(gop(GNTTABOP_map_grant_ref, sv, 0), 0);
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_map_grant_ref, HYPERVISOR_VIRT_START, 1, 0, 0),
                     -EFAULT);
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_map_grant_ref, 0x1000, 1, 0, 0), -EFAULT);
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_unmap_grant_ref, 0x1000, 1, 0, 0), -EFAULT);
    ck_assert_int_eq(do_grant_table_op(GNTTABOP_copy, 0x1000, 1, 0, 0), -EFAULT);
}
END_TEST

/* ---- map_grant_ref / unmap_grant_ref ---- */

START_TEST(test_device_map_writable)
{
    struct domain *d1 = &dom[1];
    mfn_t f = new_frame(d1);
    grant_handle_t h;

    grant(d1, 10, 2, f, GTF_permit_access);
    current = &vcpus[2];
    struct gnttab_map_grant_ref *op = mapop(1, 10, GNTMAP_device_map, 0);
    ck_assert_int_eq(gop(GNTTABOP_map_grant_ref, op, 1), 0);
    ck_assert_int_eq(op->status, GNTST_okay);
    h = op->handle;
    ck_assert_uint_eq(h, 0);
    ck_assert_uint_eq(op->dev_bus_addr, (uint64_t)f << PAGE_SHIFT);
    ck_assert_uint_eq(gentry(d1, 10)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_uint_eq(refs(f), 2);
    ck_assert_uint_eq(trefs(f), 1);
    ck_assert_uint_eq(frames[f].type_info & PGT_type_mask, PGT_writable_page);
    /* Mapped writable: it cannot become a page table, nor go away with its owner's ref. */
    ck_assert_int_eq(get_page_type(f, PGT_l1_page_table), -EINVAL);
    ck_assert_int_eq(guest_remove_page(d1, f), 0);
    ck_assert(!freed[f]);
    ck_assert_uint_eq(refs(f), 1);

    /* Wrong bus address: refused, nothing changes. */
    ck_assert_int_eq(unmap1(h, 0, ((uint64_t)f + 1) << PAGE_SHIFT), GNTST_bad_dev_addr);
    ck_assert_uint_eq(trefs(f), 1);
    /* No bus address: nothing to undo, status okay, still mapped (Xen). */
    ck_assert_int_eq(unmap1(h, 0, 0), GNTST_okay);
    ck_assert_uint_eq(trefs(f), 1);
    ck_assert_int_eq(unmap1(h, 0, (uint64_t)f << PAGE_SHIFT), GNTST_okay);
    ck_assert_uint_eq(gentry(d1, 10)->flags, GTF_permit_access);
    ck_assert(freed[f]); /* the mapping's reference was the last */
    ck_assert_int_eq(unmap1(h, 0, (uint64_t)f << PAGE_SHIFT), GNTST_bad_handle);
    ck_assert_uint_eq(gnttab_counters.maps, 1);
    ck_assert_uint_eq(gnttab_counters.unmaps, 2);
    ck_assert_uint_eq(gnttab_counters.unmap_failures, 2);
    ck_assert_uint_eq(d1->grant_table->active_grants, 0);
}
END_TEST

START_TEST(test_host_map_readonly_and_writable)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t f = new_frame(d1);
    mfn_t l1;
    grant_handle_t h1, h2;
    uint64_t va = 5UL << PAGE_SHIFT;

    grant(d1, 3, 2, f, GTF_permit_access);
    current = &vcpus[2];
    l1 = make_tables(d2);

    ck_assert_int_eq(map1(1, 3, GNTMAP_host_map | GNTMAP_readonly, va, &h1), GNTST_okay);
    uint64_t e = mem[l1][5];
    ck_assert_uint_eq(pte_mfn(e), f);
    ck_assert(e & PT_PRESENT);
    ck_assert(!(e & PT_RW));
    ck_assert(e & PT_NX);
    ck_assert(e & PT_GUEST_KERNEL); /* no application_map: a guest-kernel mapping */
    ck_assert_uint_eq(gentry(d1, 3)->flags, GTF_permit_access | GTF_reading);
    ck_assert_uint_eq(refs(f), 2);
    ck_assert_uint_eq(trefs(f), 0);

    /* A writable host mapping of the same grant elsewhere, application_map. */
    ck_assert_int_eq(map1(1, 3, GNTMAP_host_map | GNTMAP_application_map, va + PAGE_SIZE, &h2),
                     GNTST_okay);
    ck_assert_uint_ne(h1, h2);
    e = mem[l1][6];
    ck_assert(e & PT_RW);
    ck_assert(!(e & PT_GUEST_KERNEL));
    ck_assert_uint_eq(gentry(d1, 3)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_uint_eq(refs(f), 3);
    ck_assert_uint_eq(trefs(f), 1);

    /* Unmap checks the address: another one, or a slot mapping something else. */
    ck_assert_int_eq(unmap1(h2, va, 0), GNTST_general_error);
    ck_assert_int_eq(unmap1(h2, va + 7 * PAGE_SIZE, 0), GNTST_general_error);
    ck_assert_int_eq(unmap1(h2, HYPERVISOR_VIRT_START, 0), GNTST_general_error);
    ck_assert_uint_eq(refs(f), 3);

    unsigned int inv = nr_invlpg;
    ck_assert_int_eq(unmap1(h2, va + PAGE_SIZE, 0), GNTST_okay);
    ck_assert_uint_eq(mem[l1][6], 0);
    ck_assert_uint_eq(nr_invlpg, inv + 1);
    ck_assert_uint_eq(last_invlpg, va + PAGE_SIZE);
    ck_assert_uint_eq(gentry(d1, 3)->flags, GTF_permit_access | GTF_reading); /* writing gone */
    ck_assert_uint_eq(trefs(f), 0);
    ck_assert_uint_eq(refs(f), 2);

    ck_assert_int_eq(unmap1(h1, va, 0), GNTST_okay);
    ck_assert_uint_eq(gentry(d1, 3)->flags, GTF_permit_access);
    ck_assert_uint_eq(refs(f), 1);
    ck_assert_uint_eq(mem[l1][5], 0);
    ck_assert_uint_eq(d2->grant_table->maptrack_used, 0);
}
END_TEST

START_TEST(test_host_map_replaces_old_entry_and_contains_pte)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t f = new_frame(d1), own = new_frame(d2);
    grant_handle_t h;
    mfn_t l1;

    grant(d1, 0, 2, f, GTF_permit_access);
    current = &vcpus[2];
    l1 = make_tables(d2);
    /* Slot 9 maps one of d2's own frames: the grant mapping replaces it, dropping its refs. */
    ck_assert_int_eq(mod_pt_entry(d2, l1, 9, ((uint64_t)own << PAGE_SHIFT) | TBL | PT_DIRTY), 0);
    ck_assert_uint_eq(refs(own), 2);
    unsigned int inv = nr_invlpg;
    ck_assert_int_eq(map1(1, 0, GNTMAP_host_map, 9UL << PAGE_SHIFT, &h), GNTST_okay);
    ck_assert_uint_eq(refs(own), 1);
    ck_assert_uint_eq(trefs(own), 0);
    ck_assert_uint_eq(nr_invlpg, inv + 1);
    ck_assert_int_eq(unmap1(h, 9UL << PAGE_SHIFT, 0), GNTST_okay);

    /* GNTMAP_contains_pte: host_addr is the entry's machine address. */
    uint64_t pte_ma = ((uint64_t)l1 << PAGE_SHIFT) + 11 * 8;
    ck_assert_int_eq(map1(1, 0, GNTMAP_host_map | GNTMAP_contains_pte, pte_ma + 1, &h),
                     GNTST_general_error); /* misaligned */
    ck_assert_int_eq(
        map1(1, 0, GNTMAP_host_map | GNTMAP_contains_pte, ((uint64_t)own << PAGE_SHIFT), &h),
        GNTST_general_error); /* not an L1 table */
    ck_assert_uint_eq(gentry(d1, 0)->flags, GTF_permit_access);
    ck_assert_int_eq(map1(1, 0, GNTMAP_host_map | GNTMAP_contains_pte, pte_ma, &h), GNTST_okay);
    ck_assert_uint_eq(pte_mfn(mem[l1][11]), f);
    ck_assert_uint_eq(trefs(f), 1);
    unsigned int fl = nr_flushes;
    ck_assert_int_eq(unmap1(h, pte_ma, 0), GNTST_okay);
    ck_assert_uint_eq(mem[l1][11], 0);
    ck_assert_uint_gt(nr_flushes, fl);
    ck_assert_uint_eq(trefs(f), 0);
    ck_assert_uint_eq(refs(f), 1);
}
END_TEST

START_TEST(test_map_refusals)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t f = new_frame(d1), other = new_frame(d2), table = new_frame(d1);
    grant_handle_t h;

    grant(d1, 1, 2, f, GTF_permit_access | GTF_readonly);
    grant(d1, 2, 2, other, GTF_permit_access); /* a frame d1 does not own */
    grant(d1, 3, 0, f, GTF_permit_access);     /* for another grantee */
    grant(d1, 4, 2, f, GTF_invalid);
    grant(d1, 5, 2, f, GTF_permit_access | GTF_sub_page);
    grant(d1, 6, 2, table, GTF_permit_access);
    grant(d1, 7, 2, f, GTF_accept_transfer);
    ck_assert_int_eq(pin_page_table(d1, table, 1), 0);
    current = &vcpus[2];
    mfn_t l1 = make_tables(d2);

    ck_assert_int_eq(map1(1, 1, 0, 0, NULL), GNTST_bad_gntref); /* neither host nor device */
    ck_assert_int_eq(map1(1, 1, GNTMAP_readonly, 0, NULL), GNTST_bad_gntref);
    ck_assert_int_eq(map1(5, 1, GNTMAP_device_map, 0, NULL), GNTST_bad_domain);
    ck_assert_int_eq(map1(DOMID_SELF, 1, GNTMAP_device_map, 0, NULL), GNTST_bad_domain);
    ck_assert_int_eq(map1(1, 512, GNTMAP_device_map, 0, NULL), GNTST_bad_gntref);
    ck_assert_int_eq(map1(1, 0xffffffff, GNTMAP_device_map, 0, NULL), GNTST_bad_gntref);
    /* A read-only grant mapped writable (Xen: "Attempt to write-pin a r/o grant entry"). */
    ck_assert_int_eq(map1(1, 1, GNTMAP_device_map, 0, NULL), GNTST_general_error);
    ck_assert_int_eq(map1(1, 1, GNTMAP_host_map, 1UL << PAGE_SHIFT, NULL), GNTST_general_error);
    ck_assert_uint_eq(gentry(d1, 1)->flags, GTF_permit_access | GTF_readonly);
    ck_assert_int_eq(map1(1, 2, GNTMAP_device_map, 0, NULL), GNTST_bad_page);
    ck_assert_uint_eq(gentry(d1, 2)->flags, GTF_permit_access); /* bits set, then cleared */
    ck_assert_int_eq(map1(1, 3, GNTMAP_device_map, 0, NULL), GNTST_general_error);
    ck_assert_int_eq(map1(1, 4, GNTMAP_device_map, 0, NULL), GNTST_general_error);
    ck_assert_int_eq(map1(1, 5, GNTMAP_device_map, 0, NULL), GNTST_general_error);
    ck_assert_int_eq(map1(1, 7, GNTMAP_device_map, 0, NULL), GNTST_general_error);
    /* A page-table frame: read-only is fine, writable cannot get the writable type. */
    ck_assert_int_eq(map1(1, 6, GNTMAP_device_map, 0, NULL), GNTST_general_error);
    ck_assert_uint_eq(gentry(d1, 6)->flags, GTF_permit_access);
    ck_assert_uint_eq(refs(table), 2);
    ck_assert_int_eq(map1(1, 6, GNTMAP_device_map | GNTMAP_readonly, 0, &h), GNTST_okay);
    ck_assert_int_eq(unmap1(h, 0, (uint64_t)table << PAGE_SHIFT), GNTST_okay);

    /* Bad host addresses: hypervisor range, non-canonical, no L1 there. */
    uint64_t bad[] = {HYPERVISOR_VIRT_START, 0x0000800000000000UL, 1UL << 39};
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        ck_assert_int_eq(map1(1, 1, GNTMAP_host_map | GNTMAP_readonly, bad[i], NULL),
                         GNTST_general_error);
        ck_assert_uint_eq(gentry(d1, 1)->flags, GTF_permit_access | GTF_readonly);
        ck_assert_uint_eq(refs(f), 1);
    }
    ck_assert_uint_eq(mem[l1][1], 0);
    ck_assert_uint_eq(d2->grant_table->maptrack_used, 0);
    ck_assert_uint_eq(d1->grant_table->active_grants, 0);
    ck_assert_uint_eq(gnttab_counters.maps, 1);

    /* A grant pinned by one domain cannot be mapped by another. */
    grant(d1, 8, 2, f, GTF_permit_access);
    ck_assert_int_eq(map1(1, 8, GNTMAP_device_map, 0, &h), GNTST_okay);
    gentry(d1, 8)->domid = 0; /* the granter changes its mind while mapped */
    current = &vcpus[0];
    ck_assert_int_eq(map1(1, 8, GNTMAP_device_map, 0, NULL), GNTST_general_error);
    current = &vcpus[2];
    /* The pinning domain still may (the entry is not re-checked while pinned). */
    grant_handle_t h2;
    ck_assert_int_eq(map1(1, 8, GNTMAP_device_map, 0, &h2), GNTST_okay);
    ck_assert_int_eq(unmap1(h2, 0, (uint64_t)f << PAGE_SHIFT), GNTST_okay);
    ck_assert_int_eq(unmap1(h, 0, (uint64_t)f << PAGE_SHIFT), GNTST_okay);
    ck_assert_uint_eq(refs(f), 1);
    ck_assert_uint_eq(gentry(d1, 8)->flags & (GTF_reading | GTF_writing), 0);
}
END_TEST

START_TEST(test_pin_counter_and_maptrack_limits)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t f = new_frame(d1);
    grant_handle_t h;

    d2->grant_table->max_maptrack_frames = 1; /* 512 handles */
    for (grant_ref_t r = 0; r < 8; r++)
        grant(d1, r, 2, f, GTF_permit_access);
    current = &vcpus[2];
    /* An 8-bit pin counter takes 128 mappings; the 129th would reach its top bit. */
    for (unsigned int i = 0; i < 128; i++)
        ck_assert_int_eq(map1(1, 0, GNTMAP_device_map | GNTMAP_readonly, 0, &h), GNTST_okay);
    ck_assert_int_eq(map1(1, 0, GNTMAP_device_map | GNTMAP_readonly, 0, NULL), GNTST_general_error);
    /* Other counters of the same entry are separate. */
    ck_assert_int_eq(map1(1, 0, GNTMAP_device_map, 0, &h), GNTST_okay);
    /* 129 handles so far: 383 more fill the one maptrack frame. */
    for (grant_ref_t r = 1; r < 4; r++)
        for (unsigned int i = 0; i < (r == 3 ? 127U : 128U); i++)
            ck_assert_int_eq(map1(1, r, GNTMAP_device_map | GNTMAP_readonly, 0, &h), GNTST_okay);
    ck_assert_uint_eq(d2->grant_table->maptrack_used, 512);
    ck_assert_int_eq(map1(1, 4, GNTMAP_device_map | GNTMAP_readonly, 0, NULL), GNTST_no_space);
    ck_assert_uint_eq(gentry(d1, 4)->flags, GTF_permit_access);
    ck_assert_uint_eq(refs(f), 1 + 512);

    /* Freed handles come back in FIFO order. */
    ck_assert_int_eq(unmap1(7, 0, (uint64_t)f << PAGE_SHIFT), GNTST_okay);
    ck_assert_int_eq(unmap1(3, 0, (uint64_t)f << PAGE_SHIFT), GNTST_okay);
    ck_assert_int_eq(map1(1, 4, GNTMAP_device_map | GNTMAP_readonly, 0, &h), GNTST_okay);
    ck_assert_uint_eq(h, 7);
    ck_assert_int_eq(map1(1, 4, GNTMAP_device_map | GNTMAP_readonly, 0, &h), GNTST_okay);
    ck_assert_uint_eq(h, 3);
    ck_assert_int_eq(unmap1(512, 0, 0), GNTST_bad_handle); /* beyond the maptrack */
    ck_assert_int_eq(unmap1(0xffffffff, 0, 0), GNTST_bad_handle);
}
END_TEST

START_TEST(test_batch_statuses_and_continuation)
{
    struct domain *d1 = &dom[1];
    mfn_t f = new_frame(d1);
    struct gnttab_map_grant_ref *ops = garg(0);

    grant(d1, 1, 2, f, GTF_permit_access);
    current = &vcpus[2];
    memset(ops, 0, 3 * sizeof(*ops));
    ops[0] = (struct gnttab_map_grant_ref){.dom = 1, .ref = 1, .flags = GNTMAP_device_map};
    ops[1] = (struct gnttab_map_grant_ref){.dom = 1, .ref = 999, .flags = GNTMAP_device_map};
    ops[2] = (struct gnttab_map_grant_ref){.dom = 9, .ref = 1, .flags = GNTMAP_device_map};
    ck_assert_int_eq(gop(GNTTABOP_map_grant_ref, ops, 3), 0);
    ck_assert_int_eq(ops[0].status, GNTST_okay);
    ck_assert_int_eq(ops[1].status, GNTST_bad_gntref);
    ck_assert_int_eq(ops[2].status, GNTST_bad_domain);

    /* Preempted after the first operation: the rest continues from the second. */
    struct gnttab_unmap_grant_ref *u = garg(4096);
    memset(u, 0, 2 * sizeof(*u));
    u[0].handle = ops[0].handle;
    u[0].dev_bus_addr = (uint64_t)f << PAGE_SHIFT;
    u[1].handle = 300;
    preempt = true;
    long rc = gop(GNTTABOP_unmap_grant_ref, u, 2);
    ck_assert_int_eq(rc, __HYPERVISOR_grant_table_op);
    ck_assert_uint_eq(cont_op, __HYPERVISOR_grant_table_op);
    ck_assert_uint_eq(cont_nargs, 3);
    ck_assert_uint_eq(cont_args[0], GNTTABOP_unmap_grant_ref);
    ck_assert_uint_eq(cont_args[1], GVA(&u[1]));
    ck_assert_uint_eq(cont_args[2], 1);
    ck_assert_int_eq(u[0].status, GNTST_okay);
    preempt = false;
    ck_assert_int_eq(do_grant_table_op(cont_args[0], cont_args[1], cont_args[2], 0, 0), 0);
    ck_assert_int_eq(u[1].status, GNTST_bad_handle);

    /* A batch running off guest memory: -EFAULT, earlier operations done. */
    struct gnttab_map_grant_ref *tail =
        (void *)(guest_mem + sizeof(guest_mem) - sizeof(struct gnttab_map_grant_ref));
    *tail = (struct gnttab_map_grant_ref){.dom = 1, .ref = 1, .flags = GNTMAP_device_map};
    ck_assert_int_eq(gop(GNTTABOP_map_grant_ref, tail, 2), -EFAULT);
    ck_assert_int_eq(tail->status, GNTST_okay);
    ck_assert_int_eq(unmap1(tail->handle, 0, (uint64_t)f << PAGE_SHIFT), GNTST_okay);
    ck_assert_uint_eq(refs(f), 1);
}
END_TEST

/* ---- copy ---- */

static int16_t copy1(struct gnttab_copy c)
{
    struct gnttab_copy *op = garg(0);

    *op = c;
    op->status = 77;
    ck_assert_int_eq(gop(GNTTABOP_copy, op, 1), 0);
    return op->status;
}

START_TEST(test_copy)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t src = new_frame(d1), dst = new_frame(d1), mine = new_frame(d2), ro = new_frame(d1);
    mfn_t table = new_frame(d2);

    grant(d1, 1, 2, src, GTF_permit_access | GTF_readonly);
    grant(d1, 2, 2, dst, GTF_permit_access);
    grant(d1, 3, 2, ro, GTF_permit_access | GTF_readonly);
    memcpy(mem[src], "granted data", 13);
    memcpy(mem[mine], "my own frame", 13);
    ck_assert_int_eq(pin_page_table(d2, table, 1), 0);
    current = &vcpus[2];

    /* gref -> gref */
    struct gnttab_copy c = {.flags = GNTCOPY_source_gref | GNTCOPY_dest_gref, .len = 13};
    c.source.domid = 1;
    c.source.u.ref = 1;
    c.dest.domid = 1;
    c.dest.u.ref = 2;
    c.dest.offset = 100;
    ck_assert_int_eq(copy1(c), GNTST_okay);
    ck_assert_str_eq((char *)mem[dst] + 100, "granted data");
    ck_assert_uint_eq(gentry(d1, 1)->flags, GTF_permit_access | GTF_readonly);
    ck_assert_uint_eq(gentry(d1, 2)->flags, GTF_permit_access);
    ck_assert_uint_eq(refs(src), 1);
    ck_assert_uint_eq(trefs(dst), 0);

    /* own frame (DOMID_SELF, by MFN) -> gref */
    struct gnttab_copy m = {.flags = GNTCOPY_dest_gref, .len = 13};
    m.source.domid = DOMID_SELF;
    m.source.u.gmfn = mine;
    m.dest.domid = 1;
    m.dest.u.ref = 2;
    ck_assert_int_eq(copy1(m), GNTST_okay);
    ck_assert_str_eq((char *)mem[dst], "my own frame");
    ck_assert_uint_eq(gnttab_counters.bytes_copied, 26);

    /* Refusals. */
    struct gnttab_copy b = m;
    b.source.domid = 2; /* own id, not DOMID_SELF, for a frame */
    ck_assert_int_eq(copy1(b), GNTST_permission_denied);
    b = m;
    b.source.u.gmfn = src; /* not the caller's frame */
    ck_assert_int_eq(copy1(b), GNTST_bad_page);
    b = m;
    b.dest.domid = 7;
    ck_assert_int_eq(copy1(b), GNTST_bad_domain);
    b = m;
    b.dest.u.ref = 3; /* read-only grant as the destination */
    ck_assert_int_eq(copy1(b), GNTST_general_error);
    ck_assert_uint_eq(gentry(d1, 3)->flags, GTF_permit_access | GTF_readonly);
    b = m;
    b.dest.u.ref = 4096;
    ck_assert_int_eq(copy1(b), GNTST_bad_gntref);
    b = m;
    b.len = 4000;
    b.dest.offset = 100; /* crosses the page end */
    ck_assert_int_eq(copy1(b), GNTST_bad_copy_arg);
    ck_assert_uint_eq(gentry(d1, 2)->flags, GTF_permit_access);
    ck_assert_uint_eq(trefs(dst), 0);
    b = m;
    b.flags = 0;
    b.dest.domid = DOMID_SELF;
    b.dest.u.gmfn = table; /* a page table of its own cannot be written */
    ck_assert_int_eq(copy1(b), GNTST_general_error);
    ck_assert_uint_eq(refs(table), 2);
    ck_assert_uint_eq(refs(mine), 1);
    ck_assert_uint_eq(gnttab_counters.copies, 2);
    ck_assert_uint_eq(gnttab_counters.copy_failures, 7);
    ck_assert_uint_eq(d1->grant_table->active_grants, 0);
}
END_TEST

/* ---- Death ---- */

START_TEST(test_mapper_death_releases_mappings)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t f = new_frame(d1), g = new_frame(d1);
    grant_handle_t h;

    grant(d1, 1, 2, f, GTF_permit_access);
    grant(d1, 2, 2, g, GTF_permit_access);
    current = &vcpus[2];
    make_tables(d2);
    ck_assert_int_eq(map1(1, 1, GNTMAP_host_map | GNTMAP_device_map, 3UL << PAGE_SHIFT, &h),
                     GNTST_okay);
    ck_assert_int_eq(map1(1, 2, GNTMAP_device_map | GNTMAP_readonly, 0, &h), GNTST_okay);
    ck_assert_uint_eq(refs(f), 3);
    ck_assert_uint_eq(trefs(f), 2);

    /* d2 dies: its mappings go; the host mapping's references go with its page tables. */
    d2->state = DOMAIN_SHUTDOWN;
    gnttab_release_mappings(d2);
    ck_assert_uint_eq(gentry(d1, 1)->flags, GTF_permit_access);
    ck_assert_uint_eq(gentry(d1, 2)->flags, GTF_permit_access);
    ck_assert_uint_eq(refs(g), 1);
    ck_assert_uint_eq(refs(f), 2); /* the device mapping's dropped */
    ck_assert_uint_eq(trefs(f), 1);
    ck_assert_uint_eq(d1->grant_table->active_grants, 0);
    ck_assert_uint_eq(gnttab_counters.released, 2);
    ck_assert_uint_eq(domain_relinquish_memory(d2), 0);
    ck_assert_uint_eq(refs(f), 1);
    ck_assert_uint_eq(trefs(f), 0);
    grant_table_destroy(d2);
    ck_assert_ptr_null(d2->grant_table);
    gnttab_release_mappings(d2); /* idempotent */
}
END_TEST

START_TEST(test_granter_death_keeps_frames_until_unmapped)
{
    struct domain *d1 = &dom[1], *d2 = &dom[2];
    mfn_t f = new_frame(d1);
    struct grant_table *gt1 = d1->grant_table;
    mfn_t shared = gt1->shared_mfn[0], self = gt1->self_mfn;
    grant_handle_t h;

    grant(d1, 1, 2, f, GTF_permit_access);
    current = &vcpus[2];
    make_tables(d2);
    ck_assert_int_eq(map1(1, 1, GNTMAP_host_map, 4UL << PAGE_SHIFT, &h), GNTST_okay);

    /* d1 dies while d2 maps its frame. */
    d1->state = DOMAIN_SHUTDOWN;
    gnttab_release_mappings(d1);
    domain_relinquish_memory(d1);
    ck_assert(!freed[f]); /* d2's mapping keeps it */
    grant_table_destroy(d1);
    ck_assert_ptr_nonnull(d1->grant_table); /* kept: the grant is still pinned */
    ck_assert(!freed[shared]);
    /* No new mapping of a dead domain's grants. */
    ck_assert_int_eq(map1(1, 1, GNTMAP_device_map, 0, NULL), GNTST_bad_domain);

    ck_assert_int_eq(unmap1(h, 4UL << PAGE_SHIFT, 0), GNTST_okay);
    ck_assert(freed[f]);
    ck_assert_ptr_null(d1->grant_table);
    ck_assert(freed[shared]);
    ck_assert(freed[self]);
}
END_TEST

START_TEST(test_self_grant_and_implicit_unmap)
{
    struct domain *d1 = &dom[1];
    mfn_t f = new_frame(d1);
    grant_handle_t h;
    mfn_t l1;

    /* A domain may grant to itself and map its own grant. */
    grant(d1, 1, 1, f, GTF_permit_access);
    l1 = make_tables(d1);
    ck_assert_int_eq(map1(1, 1, GNTMAP_host_map, 2UL << PAGE_SHIFT, &h), GNTST_okay);
    ck_assert_uint_eq(refs(f), 2);
    /* The guest clears the entry itself: its references go with it (Xen's release build),
       and the unmap then finds no matching entry. */
    ck_assert_int_eq(mod_pt_entry(d1, l1, 2, 0), 0);
    ck_assert_uint_eq(refs(f), 1);
    ck_assert_uint_eq(trefs(f), 0);
    ck_assert_int_eq(unmap1(h, 2UL << PAGE_SHIFT, 0), GNTST_general_error);
    ck_assert_uint_eq(gentry(d1, 1)->flags, GTF_permit_access | GTF_reading | GTF_writing);
    /* Death clears what is left without touching the frame's counts. */
    gnttab_release_mappings(d1);
    ck_assert_uint_eq(gentry(d1, 1)->flags, GTF_permit_access);
    ck_assert_uint_eq(refs(f), 1);
}
END_TEST

START_TEST(test_counters_format)
{
    char buf[256];

    gnttab_counters.maps = 3;
    gnttab_counters.bytes_copied = 4096;
    gnttab_format_counters(buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "maps=3 "));
    ck_assert_ptr_nonnull(strstr(buf, "bytes_copied=4096"));
}
END_TEST

static Suite *grant_table_suite(void)
{
    Suite *s = suite_create("grant_table");
    TCase *tc = tcase_create("setup");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_init_and_query_size);
    tcase_add_test(tc, test_setup_table);
    tcase_add_test(tc, test_versions_and_bad_commands);
    tcase_add_test(tc, test_counters_format);
    suite_add_tcase(s, tc);

    tc = tcase_create("map");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_device_map_writable);
    tcase_add_test(tc, test_host_map_readonly_and_writable);
    tcase_add_test(tc, test_host_map_replaces_old_entry_and_contains_pte);
    tcase_add_test(tc, test_map_refusals);
    tcase_add_test(tc, test_pin_counter_and_maptrack_limits);
    tcase_add_test(tc, test_batch_statuses_and_continuation);
    suite_add_tcase(s, tc);

    tc = tcase_create("copy");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_copy);
    suite_add_tcase(s, tc);

    tc = tcase_create("death");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_mapper_death_releases_mappings);
    tcase_add_test(tc, test_granter_death_keeps_frames_until_unmapped);
    tcase_add_test(tc, test_self_grant_and_implicit_unmap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(grant_table_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
