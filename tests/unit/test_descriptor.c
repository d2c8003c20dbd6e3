/*
 * Unit tests for hypervisor/common/descriptor.c: Xen 4.17's descriptor rules for a 64-bit PV
 * guest (check_descriptor), validation of PGT_seg_desc_page frames through mm.c's typed
 * frames, a vCPU's GDT frames (pv_set_gdt, pv_destroy_gdt, teardown) and update_descriptor,
 * on a small simulated frame table.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/descriptor.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/page_types.h>
#include <mica/panic.h>
#include "hv_unrename.h"

/* ---- The simulated machine: frames 0-7 the hypervisor's, the rest handed out. ---- */

#define NFRAMES       64
#define MFN_HV        1
#define MFN_FIRST_DOM 8

static struct page_info frames[NFRAMES];
static uint64_t mem[NFRAMES][512] __attribute__((aligned(4096)));
static bool freed[NFRAMES];
static mfn_t next_free;
unsigned long max_mfn = NFRAMES;

static struct domain dom[3]; /* ids 1 and 2 */
static struct vcpu vcpus[3];
struct vcpu *current;

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
    frames[mfn] = (struct page_info){.owner = PAGE_OWNER_FREE};
    return 0;
}

struct domain *domain_lookup(domid_t domid)
{
    return (domid == 1 || domid == 2) ? &dom[domid] : NULL;
}

void arch_flush_tlb_local(void)
{
}

void arch_invlpg(uint64_t va)
{
    (void)va;
}

void arch_init_hv_l4_slots(uint64_t *l4)
{
    (void)l4;
}

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    (void)dst;
    (void)src;
    (void)len;
    return -EFAULT;
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
    for (mfn_t m = 0; m < NFRAMES; m++)
        frames[m].owner = DOMID_XEN;
    for (domid_t i = 1; i <= 2; i++) {
        dom[i].domain_id = i;
        dom[i].vcpu[0] = &vcpus[i];
        vcpus[i].domain = &dom[i];
    }
    current = &vcpus[1];
    next_free = MFN_FIRST_DOM;
}

/* A zeroed frame of @d with its allocation reference, as the domain builder leaves it. */
static mfn_t new_frame(const struct domain *d)
{
    mfn_t m = next_free++;

    ck_assert_uint_lt(m, NFRAMES);
    frames[m] = (struct page_info){.count_info = PGC_allocated | 1, .owner = d->domain_id};
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

static uint32_t ptype(mfn_t m)
{
    return frames[m].type_info & PGT_type_mask;
}

static uint64_t maddr_of(mfn_t m, unsigned int index)
{
    return ((uint64_t)m << PAGE_SHIFT) + index * 8;
}

/* ---- Descriptors ---- */

#define DATA_DPL0   0x00cf92000000ffffULL
#define DATA_DPL3   0x00cff2000000ffffULL
#define CODE64_DPL0 0x00af9a000000ffffULL
#define CODE64_DPL3 0x00affa000000ffffULL

/* A 64-bit gate's low 8 bytes: type, DPL, target selector, offset bits 0-31. */
#define gate(type, dpl, sel, off)                                                                  \
    ((((uint64_t)(off)&0xffff0000ULL) << 32) | (1ULL << 47) | ((uint64_t)(dpl) << 45) |            \
     ((uint64_t)(type) << 40) | ((uint64_t)(sel) << 16) | ((uint64_t)(off)&0xffff))

struct desc_case {
    const char *what;
    uint64_t in;
    bool ok;
    uint64_t out; /* when ok */
};

/* What Xen 4.17 answered for the same descriptors (tests/guests/probe_gdt.c). */
static const struct desc_case desc_cases[] = {
    {"zero", 0, true, 0},
    {"not present, any type", 0x0000090000001234ULL, true, 0x0000090000001234ULL},
    {"not present, DPL 0 data keeps DPL 0", DATA_DPL0 & ~(1ULL << 47), true,
     DATA_DPL0 & ~(1ULL << 47)},
    {"data DPL 0", DATA_DPL0, true, DATA_DPL3},
    {"data DPL 1", 0x00cfb2000000ffffULL, true, DATA_DPL3},
    {"data DPL 3", DATA_DPL3, true, DATA_DPL3},
    {"code64 DPL 0", CODE64_DPL0, true, CODE64_DPL3},
    {"conforming code64", 0x00af9e000000ffffULL, true, 0x00affe000000ffffULL},
    {"expand-down data, base and limit kept", 0x12c0961234567890ULL, true, 0x12c0f61234567890ULL},
    {"system type 0, present, unchanged", 0x0000800000000000ULL, true, 0x0000800000000000ULL},
    {"LDT", 0x0000820000000fffULL, false, 0},
    {"16-bit TSS", 0x0000810000000067ULL, false, 0},
    {"16-bit busy TSS", 0x0000830000000067ULL, false, 0},
    {"16-bit call gate", gate(4, 3, 0x10, 0), false, 0},
    {"available TSS", 0x0000890000000067ULL, false, 0},
    {"busy TSS", 0x00008b0000000067ULL, false, 0},
    {"reserved type 13", 0x00008d0000000000ULL, false, 0},
    {"interrupt gate", gate(14, 3, 0x10, 0x1000), false, 0},
    {"trap gate", gate(15, 3, 0x10, 0x1000), false, 0},
    {"call gate DPL 3 to 0x0010", gate(12, 3, 0x10, 0x12345678), true,
     gate(12, 0, 0x13, 0x12345678)},
    {"call gate DPL 0 to 0x0010: RPL 3 all the same", gate(12, 0, 0x10, 0x1000), true,
     gate(12, 0, 0x13, 0x1000)},
    {"call gate to the last guest entry 0xdff8", gate(12, 3, 0xdff8, 0), true,
     gate(12, 0, 0xdffb, 0)},
    {"call gate to FLAT_KERNEL_CS", gate(12, 3, 0xe033, 0), true, gate(12, 0, 0xe033, 0)},
    {"call gate to an LDT selector above 0xe000", gate(12, 3, 0xe00c, 0), true,
     gate(12, 0, 0xe00f, 0)},
    {"call gate to the hypervisor's CS", gate(12, 3, 0xe008, 0), false, 0},
    {"call gate to 0xe030 (FLAT_KERNEL_CS without RPL)", gate(12, 3, 0xe030, 0), false, 0},
    {"call gate to the TSS selector", gate(12, 3, 0xe040, 0), false, 0},
    {"call gate with a parameter count", gate(12, 3, 0x10, 0) | (1ULL << 32), false, 0},
    {"call gate with reserved bit 7", gate(12, 3, 0x10, 0) | (1ULL << 39), false, 0},
};

START_TEST(test_check_descriptor_cases)
{
    const struct desc_case *c = &desc_cases[_i];
    uint64_t d = c->in;
    bool ok = check_descriptor(&d);

    ck_assert_msg(ok == c->ok, "%s: check_descriptor(%#018llx) = %d, want %d", c->what,
                  (unsigned long long)c->in, ok, c->ok);
    ck_assert_msg(d == (c->ok ? c->out : c->in), "%s: %#018llx became %#018llx", c->what,
                  (unsigned long long)c->in, (unsigned long long)d);
}
END_TEST

/* Every present code/data descriptor, whatever its other bits, comes out with DPL 3. */
START_TEST(test_check_descriptor_dpl_always_3)
{
    for (unsigned int type = 0; type < 16; type++) {
        for (unsigned int dpl = 0; dpl < 4; dpl++) {
            uint64_t d = (1ULL << 47) | (1ULL << 44) | ((uint64_t)dpl << 45) |
                         ((uint64_t)type << 40) | 0x00cf00000000ffffULL;

            ck_assert(check_descriptor(&d));
            ck_assert_uint_eq((d >> 45) & 3, 3);
            ck_assert_uint_eq((d >> 40) & 0xf, type);
        }
    }
}
END_TEST

/* Of the 16 system types only 0 and 12 (call gate) are accepted. */
START_TEST(test_check_descriptor_system_types)
{
    for (unsigned int type = 0; type < 16; type++) {
        uint64_t d = (1ULL << 47) | (3ULL << 45) | ((uint64_t)type << 40) | (0x10ULL << 16);

        ck_assert_msg(check_descriptor(&d) == (type == 0 || type == 12), "type %u", type);
    }
}
END_TEST

/* ---- Validation of descriptor frames (mm.c get_page_type hook) ---- */

START_TEST(test_validate_fixes_up_page)
{
    mfn_t m = new_frame(&dom[1]);

    mem[m][1] = DATA_DPL0;
    mem[m][511] = CODE64_DPL0;
    ck_assert_int_eq(get_page_and_type(m, &dom[1], PGT_seg_desc_page), 0);
    ck_assert_uint_eq(ptype(m), PGT_seg_desc_page);
    ck_assert(frames[m].type_info & PGT_validated);
    ck_assert_uint_eq(mem[m][1], DATA_DPL3);
    ck_assert_uint_eq(mem[m][511], CODE64_DPL3);
    put_page_and_type(m);
    ck_assert_uint_eq(trefs(m), 0);
    ck_assert_uint_eq(refs(m), 1);
}
END_TEST

START_TEST(test_validate_refuses_bad_descriptor)
{
    mfn_t m = new_frame(&dom[1]);

    mem[m][1] = DATA_DPL0;
    mem[m][300] = 0x0000890000000067ULL; /* a TSS */
    mem[m][400] = CODE64_DPL0;
    ck_assert_int_eq(validate_segdesc_page(m), -EINVAL);
    ck_assert_int_eq(get_page_and_type(m, &dom[1], PGT_seg_desc_page), -EINVAL);
    /* Untyped and unreferenced again; descriptors before the bad one were fixed up, as on
       Xen (the probe reads the same), those after it not. */
    ck_assert_uint_eq(frames[m].type_info, 0);
    ck_assert_uint_eq(refs(m), 1);
    ck_assert_uint_eq(mem[m][1], DATA_DPL3);
    ck_assert_uint_eq(mem[m][400], CODE64_DPL0);
}
END_TEST

START_TEST(test_writable_frame_is_no_descriptor_page)
{
    mfn_t m = new_frame(&dom[1]);

    ck_assert_int_eq(get_page_and_type(m, &dom[1], PGT_writable_page), 0);
    ck_assert_int_eq(get_page_and_type(m, &dom[1], PGT_seg_desc_page), -EINVAL);
    put_page_and_type(m);
    /* With the writable reference gone the type may change. */
    ck_assert_int_eq(get_page_and_type(m, &dom[1], PGT_seg_desc_page), 0);
    ck_assert_int_eq(get_page_and_type(m, &dom[1], PGT_writable_page), -EINVAL);
    put_page_and_type(m);
}
END_TEST

/* ---- pv_set_gdt / pv_destroy_gdt ---- */

START_TEST(test_set_gdt_too_many_entries)
{
    uint64_t f[FIRST_RESERVED_GDT_PAGE] = {0};

    ck_assert_int_eq(pv_set_gdt(current, f, FIRST_RESERVED_GDT_ENTRY + 1), -EINVAL);
    ck_assert_uint_eq(current->gdt_ents, 0);
}
END_TEST

START_TEST(test_set_gdt_references_and_replaces)
{
    mfn_t a = new_frame(&dom[1]), b = new_frame(&dom[1]), c = new_frame(&dom[1]);
    uint64_t f[3] = {a, b, c};

    ck_assert_int_eq(pv_set_gdt(current, f, 1025), 0); /* 3 frames */
    ck_assert_uint_eq(current->gdt_ents, 1025);
    ck_assert_uint_eq(vcpu_gdt_frames(current), 3);
    for (unsigned int i = 0; i < 3; i++) {
        ck_assert_uint_eq(current->gdt_frames[i], f[i]);
        ck_assert_uint_eq(refs(f[i]), 2);
        ck_assert_uint_eq(trefs(f[i]), 1);
        ck_assert_uint_eq(ptype(f[i]), PGT_seg_desc_page);
    }
    /* A new GDT sharing frame c: c keeps one reference, a and b lose theirs. */
    f[0] = c;
    ck_assert_int_eq(pv_set_gdt(current, f, 512), 0);
    ck_assert_uint_eq(vcpu_gdt_frames(current), 1);
    ck_assert_uint_eq(trefs(a), 0);
    ck_assert_uint_eq(refs(a), 1);
    ck_assert_uint_eq(trefs(b), 0);
    ck_assert_uint_eq(trefs(c), 1);
    ck_assert_uint_eq(refs(c), 2);
    /* 0 entries: no GDT at all. */
    ck_assert_int_eq(pv_set_gdt(current, f, 0), 0);
    ck_assert_uint_eq(current->gdt_ents, 0);
    ck_assert_uint_eq(trefs(c), 0);
    ck_assert_uint_eq(refs(c), 1);
}
END_TEST

START_TEST(test_set_gdt_same_frame_many_times)
{
    mfn_t a = new_frame(&dom[1]);
    uint64_t f[FIRST_RESERVED_GDT_PAGE];

    for (unsigned int i = 0; i < FIRST_RESERVED_GDT_PAGE; i++)
        f[i] = a;
    ck_assert_int_eq(pv_set_gdt(current, f, FIRST_RESERVED_GDT_ENTRY), 0);
    ck_assert_uint_eq(trefs(a), FIRST_RESERVED_GDT_PAGE);
    ck_assert_uint_eq(refs(a), 1 + FIRST_RESERVED_GDT_PAGE);
    pv_destroy_gdt(current);
    ck_assert_uint_eq(trefs(a), 0);
    ck_assert_uint_eq(refs(a), 1);
}
END_TEST

/* A bad frame anywhere in the list: -EINVAL, the old GDT stays, nothing else referenced. */
START_TEST(test_set_gdt_bad_frame_changes_nothing)
{
    struct domain *d = &dom[1];
    mfn_t old = new_frame(d), a = new_frame(d), b = new_frame(d), table = new_frame(d);
    mfn_t other = new_frame(&dom[2]), bad = new_frame(d);
    uint64_t f[3];
    const uint64_t rejects[] = {MFN_HV, other, table, bad, NFRAMES + 5, 1ULL << 40};

    f[0] = old;
    ck_assert_int_eq(pv_set_gdt(current, f, 512), 0);
    ck_assert_int_eq(get_page_and_type(table, d, PGT_l1_page_table), 0);
    mem[bad][7] = gate(14, 3, 0x10, 0);
    for (unsigned int i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
        f[0] = a, f[1] = b, f[2] = rejects[i];
        ck_assert_int_eq(pv_set_gdt(current, f, 3 * 512), -EINVAL);
        ck_assert_uint_eq(current->gdt_ents, 512);
        ck_assert_uint_eq(current->gdt_frames[0], old);
        ck_assert_uint_eq(trefs(old), 1);
        ck_assert_uint_eq(refs(a), 1);
        ck_assert_uint_eq(trefs(a), 0);
        ck_assert_uint_eq(refs(b), 1);
    }
    ck_assert_uint_eq(refs(other), 1);
    ck_assert_uint_eq(ptype(table), PGT_l1_page_table);
}
END_TEST

/* Domain teardown drops the GDT's references, so every frame is freed. */
START_TEST(test_teardown_releases_gdt_frames)
{
    struct domain *d = &dom[1];
    mfn_t a = new_frame(d), b = new_frame(d);
    uint64_t f[2] = {a, b};

    d->tot_pages = 2;
    ck_assert_int_eq(pv_set_gdt(current, f, 600), 0);
    ck_assert_uint_eq(domain_relinquish_memory(d), 0);
    ck_assert(freed[a]);
    ck_assert(freed[b]);
    ck_assert_uint_eq(current->gdt_ents, 0);
}
END_TEST

/* ---- update_descriptor ---- */

static long upd(uint64_t maddr, uint64_t desc)
{
    return do_update_descriptor(maddr, desc, 0, 0, 0);
}

START_TEST(test_update_descriptor_in_gdt)
{
    mfn_t a = new_frame(&dom[1]);
    uint64_t f[1] = {a};

    ck_assert_int_eq(pv_set_gdt(current, f, 512), 0);
    ck_assert_int_eq(upd(maddr_of(a, 5), DATA_DPL0), 0);
    ck_assert_uint_eq(mem[a][5], DATA_DPL3);
    ck_assert_int_eq(upd(maddr_of(a, 6), gate(12, 3, 0x10, 0x1000)), 0);
    ck_assert_uint_eq(mem[a][6], gate(12, 0, 0x13, 0x1000));
    /* Refused descriptors and misaligned addresses change nothing. */
    ck_assert_int_eq(upd(maddr_of(a, 5), 0x0000820000000fffULL), -EINVAL);
    ck_assert_int_eq(upd(maddr_of(a, 5) + 4, DATA_DPL3), -EINVAL);
    ck_assert_int_eq(upd(maddr_of(a, 5) + 1, 0), -EINVAL);
    ck_assert_uint_eq(mem[a][5], DATA_DPL3);
    /* Its own references come and go. */
    ck_assert_uint_eq(trefs(a), 1);
    ck_assert_uint_eq(refs(a), 2);
}
END_TEST

START_TEST(test_update_descriptor_other_frames)
{
    struct domain *d = &dom[1];
    mfn_t plain = new_frame(d), table = new_frame(d), other = new_frame(&dom[2]);
    mfn_t spare = new_frame(d);

    /* A frame in no GDT: written, and left as it was typed (writable, no references). */
    ck_assert_int_eq(upd(maddr_of(plain, 511), CODE64_DPL0), 0);
    ck_assert_uint_eq(mem[plain][511], CODE64_DPL3);
    ck_assert_uint_eq(trefs(plain), 0);
    ck_assert_uint_eq(refs(plain), 1);
    /* A page table in use: no. */
    ck_assert_int_eq(get_page_and_type(table, d, PGT_l1_page_table), 0);
    ck_assert_int_eq(upd(maddr_of(table, 0), 0), -EINVAL);
    ck_assert_uint_eq(refs(table), 2);
    /* Someone else's frame, the hypervisor's, beyond the frame table. */
    ck_assert_int_eq(upd(maddr_of(other, 0), 0), -EINVAL);
    ck_assert_int_eq(upd(maddr_of(MFN_HV, 0), 0), -EINVAL);
    ck_assert_int_eq(upd(maddr_of(NFRAMES, 0), 0), -EINVAL);
    ck_assert_int_eq(upd(~7ULL, 0), -EINVAL);
    /* A descriptor frame no longer in a GDT keeps its type: it can go back without a new
       validation, and a page-table type still cannot take it while it is referenced. */
    uint64_t f[1] = {spare};
    ck_assert_int_eq(pv_set_gdt(current, f, 1), 0);
    ck_assert_int_eq(pv_set_gdt(current, f, 0), 0);
    ck_assert_int_eq(upd(maddr_of(spare, 3), DATA_DPL0), 0);
    ck_assert_uint_eq(ptype(spare), PGT_seg_desc_page);
    ck_assert_uint_eq(mem[spare][3], DATA_DPL3);
}
END_TEST

static Suite *descriptor_suite(void)
{
    Suite *s = suite_create("descriptor");
    TCase *rules = tcase_create("rules");
    TCase *frames_tc = tcase_create("frames");

    tcase_add_loop_test(rules, test_check_descriptor_cases, 0,
                        (int)(sizeof(desc_cases) / sizeof(desc_cases[0])));
    tcase_add_test(rules, test_check_descriptor_dpl_always_3);
    tcase_add_test(rules, test_check_descriptor_system_types);
    suite_add_tcase(s, rules);

    tcase_add_checked_fixture(frames_tc, setup, NULL);
    tcase_add_test(frames_tc, test_validate_fixes_up_page);
    tcase_add_test(frames_tc, test_validate_refuses_bad_descriptor);
    tcase_add_test(frames_tc, test_writable_frame_is_no_descriptor_page);
    tcase_add_test(frames_tc, test_set_gdt_too_many_entries);
    tcase_add_test(frames_tc, test_set_gdt_references_and_replaces);
    tcase_add_test(frames_tc, test_set_gdt_same_frame_many_times);
    tcase_add_test(frames_tc, test_set_gdt_bad_frame_changes_nothing);
    tcase_add_test(frames_tc, test_teardown_releases_gdt_frames);
    tcase_add_test(frames_tc, test_update_descriptor_in_gdt);
    tcase_add_test(frames_tc, test_update_descriptor_other_frames);
    suite_add_tcase(s, frames_tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(descriptor_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
