/*
 * Unit tests for hypervisor/common/iocap.c: the I/O port range set, the hardware domain's
 * default grant (Xen 4.17's dom0_setup_permissions() plus the ports mica keeps), Xen's
 * iopl_ok(), the I/O bitmap and admin_io_okay() checks, the per-domain functions and
 * physdev_op's PHYSDEVOP_set_iopl / PHYSDEVOP_set_iobitmap.
 *
 * The range set is also checked against a plain 65536-entry model under random permit and
 * deny sequences.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/iocap.h>
#include <xen/physdev.h>
#include "hv_unrename.h"

/* ---- Test doubles for what iocap.c needs from the hypervisor ---- */

struct vcpu *current;

/* Guest memory is host memory here; address 1 stands for an unmapped one. */
#define BAD_GUEST_ADDR 1UL

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    if (src == BAD_GUEST_ADDR)
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)src, len);
    return 0;
}

/* The hypervisor's range of the PV ABI (xen-x86_64.h HYPERVISOR_VIRT_START..END). */
bool guest_range_ok(uint64_t addr, size_t len)
{
    const uint64_t start = 0xffff800000000000ULL, end = 0xffff880000000000ULL;

    if (addr + len < addr)
        return false;
    return addr + len <= start || addr >= end;
}

/* ---- Helpers ---- */

static void check_invariants(const struct ioport_caps *c)
{
    ck_assert_uint_le(c->nr, IOPORT_CAPS_MAX_RANGES);
    for (unsigned int i = 0; i < c->nr; i++) {
        ck_assert_uint_le(c->r[i].first, c->r[i].last);
        /* Sorted, disjoint and not adjacent (adjacent ones are merged). */
        if (i)
            ck_assert_uint_gt(c->r[i].first, (unsigned int)c->r[i - 1].last + 1);
    }
}

/* ---- The range set ---- */

START_TEST(test_add_merge)
{
    struct ioport_caps c = {0};

    ck_assert(ioport_caps_empty(&c));
    ck_assert_int_eq(ioport_caps_add(&c, 0x10, 0x1f), 0);
    ck_assert_int_eq(ioport_caps_add(&c, 0x30, 0x3f), 0);
    ck_assert_uint_eq(c.nr, 2);
    /* Adjacent on the left and right: one range. */
    ck_assert_int_eq(ioport_caps_add(&c, 0x20, 0x2f), 0);
    ck_assert_uint_eq(c.nr, 1);
    ck_assert_uint_eq(c.r[0].first, 0x10);
    ck_assert_uint_eq(c.r[0].last, 0x3f);
    /* Overlapping several. */
    ck_assert_int_eq(ioport_caps_add(&c, 0x100, 0x100), 0);
    ck_assert_int_eq(ioport_caps_add(&c, 0x200, 0x2ff), 0);
    ck_assert_int_eq(ioport_caps_add(&c, 0x08, 0x150), 0);
    check_invariants(&c);
    ck_assert_uint_eq(c.nr, 2);
    ck_assert_uint_eq(c.r[0].first, 0x08);
    ck_assert_uint_eq(c.r[0].last, 0x150);
    ck_assert(ioport_caps_contains(&c, 0x08, 0x150));
    ck_assert(!ioport_caps_contains(&c, 0x07, 0x08));
    ck_assert(!ioport_caps_contains(&c, 0x150, 0x151));
    ck_assert(!ioport_caps_contains(&c, 0x150, 0x200)); /* spans a hole */
    ck_assert(ioport_caps_contains(&c, 0x2ff, 0x2ff));
    ck_assert(!ioport_caps_contains(&c, 0x20, 0x10)); /* first > last */
    /* The whole space, and its edges. */
    ck_assert_int_eq(ioport_caps_add(&c, 0, IOPORT_MAX), 0);
    ck_assert_uint_eq(c.nr, 1);
    ck_assert(ioport_caps_contains(&c, 0, 0xffff));
}
END_TEST

START_TEST(test_bad_arguments)
{
    struct ioport_caps c = {0};

    ck_assert_int_eq(ioport_caps_add(&c, 2, 1), -EINVAL);
    ck_assert_int_eq(ioport_caps_add(&c, 0, 0x10000), -EINVAL);
    ck_assert_int_eq(ioport_caps_remove(&c, 2, 1), -EINVAL);
    ck_assert_int_eq(ioport_caps_remove(&c, 0x10000, 0x10000), -EINVAL);
    ck_assert(ioport_caps_empty(&c));
}
END_TEST

START_TEST(test_remove_split)
{
    struct ioport_caps c = {0};

    ck_assert_int_eq(ioport_caps_add(&c, 0, 0xffff), 0);
    ck_assert_int_eq(ioport_caps_remove(&c, 0x100, 0x1ff), 0);
    ck_assert_uint_eq(c.nr, 2);
    ck_assert(!ioport_caps_contains(&c, 0x100, 0x100));
    ck_assert(!ioport_caps_contains(&c, 0x1ff, 0x1ff));
    ck_assert(ioport_caps_contains(&c, 0xff, 0xff));
    ck_assert(ioport_caps_contains(&c, 0x200, 0xffff));
    /* Trim both edges, remove nothing, remove everything. */
    ck_assert_int_eq(ioport_caps_remove(&c, 0, 0), 0);
    ck_assert_int_eq(ioport_caps_remove(&c, 0xffff, 0xffff), 0);
    ck_assert_int_eq(ioport_caps_remove(&c, 0x150, 0x160), 0);
    ck_assert_uint_eq(c.nr, 2);
    ck_assert(ioport_caps_contains(&c, 1, 0xff));
    ck_assert(ioport_caps_contains(&c, 0x200, 0xfffe));
    ck_assert_int_eq(ioport_caps_remove(&c, 0x80, 0x300), 0);
    ck_assert(ioport_caps_contains(&c, 1, 0x7f));
    ck_assert(ioport_caps_contains(&c, 0x301, 0xfffe));
    ck_assert_int_eq(ioport_caps_remove(&c, 0, 0xffff), 0);
    ck_assert(ioport_caps_empty(&c));
    check_invariants(&c);
}
END_TEST

START_TEST(test_full_set)
{
    struct ioport_caps c = {0}, before;

    /* Fill it with single ports two apart. */
    for (unsigned int i = 0; i < IOPORT_CAPS_MAX_RANGES; i++)
        ck_assert_int_eq(ioport_caps_add(&c, 10 * i, 10 * i + 1), 0);
    ck_assert_uint_eq(c.nr, IOPORT_CAPS_MAX_RANGES);
    before = c;
    /* A new separate range: -ENOMEM, unchanged. */
    ck_assert_int_eq(ioport_caps_add(&c, 0x8000, 0x8000), -ENOMEM);
    ck_assert_mem_eq(&c, &before, sizeof(c));
    /* Merging and trimming still work. */
    ck_assert_int_eq(ioport_caps_add(&c, 2, 2), 0);
    ck_assert_int_eq(ioport_caps_remove(&c, 10, 10), 0);
    ck_assert_uint_eq(c.nr, IOPORT_CAPS_MAX_RANGES);
    /* A split needs room: -ENOMEM, unchanged. */
    ck_assert_int_eq(ioport_caps_add(&c, 20, 25), 0);
    before = c;
    ck_assert_int_eq(ioport_caps_remove(&c, 22, 22), -ENOMEM);
    ck_assert_mem_eq(&c, &before, sizeof(c));
    check_invariants(&c);
}
END_TEST

/* Random permits and denies against a bitmap model. */
START_TEST(test_random_against_model)
{
    static uint8_t model[IOPORT_MAX + 1];
    struct ioport_caps c = {0};

    srand(1234);
    memset(model, 0, sizeof(model));
    for (unsigned int step = 0; step < 4000; step++) {
        unsigned int first = (unsigned int)rand() % 0x400;
        unsigned int last = first + (unsigned int)rand() % 0x40;
        bool add = rand() & 1;
        struct ioport_caps before = c;
        int rc = add ? ioport_caps_add(&c, first, last) : ioport_caps_remove(&c, first, last);

        if (rc == -ENOMEM) {
            ck_assert_mem_eq(&c, &before, sizeof(c));
            continue;
        }
        ck_assert_int_eq(rc, 0);
        memset(model + first, add, last - first + 1);
        check_invariants(&c);
        if (step % 50 == 0) {
            for (unsigned int p = 0; p < 0x480; p++)
                ck_assert_int_eq(ioport_caps_contains(&c, p, p), model[p]);
        }
    }
}
END_TEST

/* ---- The hardware domain's grant ---- */

START_TEST(test_hardware_domain)
{
    struct ioport_caps c = {0};
    /* Ports Xen 4.17 gives its dom0 on this machine and mica too. */
    static const unsigned int given[] = {0x0,   0x1f,  0x22,  0x60,  0x62,  0x72,   0x80,
                                         0x92,  0xf3,  0xf8,  0x1f0, 0x2f8, 0x3f7,  0x600,
                                         0x604, 0x607, 0x60c, 0xcf7, 0xd00, 0xc000, 0xffff};

    ck_assert_int_eq(ioport_caps_init_hardware_domain(&c), 0);
    check_invariants(&c);
    for (unsigned int i = 0; i < iocap_nr_hypervisor_ports; i++) {
        for (unsigned int p = iocap_hypervisor_ports[i].first; p <= iocap_hypervisor_ports[i].last;
             p++)
            ck_assert_msg(!ioport_caps_contains(&c, p, p), "port %#x given", p);
    }
    for (unsigned int i = 0; i < sizeof(given) / sizeof(given[0]); i++)
        ck_assert_msg(ioport_caps_contains(&c, given[i], given[i]), "port %#x kept", given[i]);
    /* The ports the brief names. */
    ck_assert(!ioport_caps_contains(&c, 0x3f8, 0x3ff));
    ck_assert(!ioport_caps_contains(&c, 0x40, 0x40));
    ck_assert(!ioport_caps_contains(&c, 0x61, 0x61));
    ck_assert(!ioport_caps_contains(&c, 0xf4, 0xf4));
    ck_assert(!ioport_caps_contains(&c, 0xcf9, 0xcf9));
    ck_assert(!ioport_caps_contains(&c, 0xa0, 0xa1));
    ck_assert(!ioport_caps_contains(&c, 0x20, 0x21));
    ck_assert(!ioport_caps_contains(&c, 0xcfc, 0xcff));
    ck_assert(!ioport_caps_contains(&c, 0x70, 0x70));
    /* Every hypervisor range is a hole between two of dom0's ranges. */
    ck_assert_uint_eq(c.nr, iocap_nr_hypervisor_ports + 1);
}
END_TEST

/* ---- The checks ---- */

START_TEST(test_iopl_ok)
{
    /* Guest kernel: ring 1, or ring 0 with VMASST_TYPE_architectural_iopl. */
    ck_assert(!iopl_ok(0, true, false));
    ck_assert(iopl_ok(1, true, false));
    ck_assert(iopl_ok(3, true, false));
    ck_assert(iopl_ok(0, true, true));
    /* Guest user mode: ring 3. */
    ck_assert(!iopl_ok(0, false, false));
    ck_assert(!iopl_ok(2, false, true));
    ck_assert(iopl_ok(3, false, false));
    ck_assert(iopl_ok(3, false, true));
}
END_TEST

START_TEST(test_iobitmap)
{
    uint8_t b[2];

    /* All clear: allowed within nr_ports only. */
    b[0] = b[1] = 0;
    ck_assert(iobitmap_ok(b, 0x100, 0x80, 1));
    ck_assert(iobitmap_ok(b, 0x100, 0xfc, 4));
    ck_assert(!iobitmap_ok(b, 0x100, 0xfd, 4));
    ck_assert(!iobitmap_ok(b, 0, 0, 1));
    /* Port 0x83 denied (byte 0x10, bit 3). */
    b[0] = 1 << 3;
    ck_assert(iobitmap_ok(b, 0x100, 0x82, 1));
    ck_assert(!iobitmap_ok(b, 0x100, 0x83, 1));
    ck_assert(!iobitmap_ok(b, 0x100, 0x82, 2));
    ck_assert(!iobitmap_ok(b, 0x100, 0x80, 4));
    ck_assert(iobitmap_ok(b, 0x100, 0x84, 4));
    /* A 4-byte access at port 7 of a byte reaches into the next byte. */
    b[0] = 0, b[1] = 1 << 2;
    ck_assert(iobitmap_ok(b, 0x100, 0x87, 2));
    ck_assert(iobitmap_ok(b, 0x100, 0x87, 3));
    ck_assert(!iobitmap_ok(b, 0x100, 0x87, 4));
    /* Unreadable bytes (0xff) deny. */
    b[0] = 0, b[1] = 0xff;
    ck_assert(!iobitmap_ok(b, 0x100, 0x86, 4));
}
END_TEST

START_TEST(test_admin_io_okay)
{
    struct ioport_caps c = {0};

    ck_assert_int_eq(ioport_caps_add(&c, 0, 0xffff), 0);
    ck_assert(admin_io_okay(&c, 0x80, 1));
    ck_assert(admin_io_okay(&c, 0xfffc, 4));
    /* Never direct: dword CONFIG_ADDRESS, RTC/CMOS. */
    ck_assert(!admin_io_okay(&c, 0xcf8, 4));
    ck_assert(admin_io_okay(&c, 0xcf8, 2));
    ck_assert(!admin_io_okay(&c, 0x70, 1));
    ck_assert(!admin_io_okay(&c, 0x71, 1));
    ck_assert(!admin_io_okay(&c, 0x6e, 4));
    ck_assert(admin_io_okay(&c, 0x6c, 4));
    ck_assert(admin_io_okay(&c, 0x72, 1));
    ck_assert_int_eq(ioport_caps_remove(&c, 0x1f1, 0x1f1), 0);
    ck_assert(!admin_io_okay(&c, 0x1f0, 2));
    ck_assert(admin_io_okay(&c, 0x1f0, 1));
}
END_TEST

/* ---- Per domain, and physdev_op ---- */

static struct domain dom0, domu;
static struct vcpu vcpu0;

static void setup_domains(void)
{
    memset(&dom0, 0, sizeof(dom0));
    memset(&domu, 0, sizeof(domu));
    memset(&vcpu0, 0, sizeof(vcpu0));
    dom0.is_privileged = true;
    domu.domain_id = 1;
    vcpu0.domain = &dom0;
    vcpu0.kernel_mode = true;
    current = &vcpu0;
}

START_TEST(test_domains)
{
    setup_domains();
    /* Lazily set up on first use. */
    ck_assert(!dom0.ioport_caps.initialised);
    ck_assert(ioports_access_permitted(&dom0, 0x1f0, 0x1f7));
    ck_assert(dom0.ioport_caps.initialised);
    ck_assert(!ioports_access_permitted(&dom0, 0x3f8, 0x3f8));
    ck_assert(cache_flush_permitted(&dom0));
    ck_assert(!ioports_access_permitted(&domu, 0x1f0, 0x1f0));
    ck_assert(!cache_flush_permitted(&domu));

    /* Give a domU a range that covers hypervisor ports: those stay out. */
    ck_assert_int_eq(ioports_permit_access(&domu, 0x3f0, 0x40f), 0);
    ck_assert(ioports_access_permitted(&domu, 0x3f0, 0x3f7));
    ck_assert(ioports_access_permitted(&domu, 0x400, 0x40f));
    ck_assert(!ioports_access_permitted(&domu, 0x3f8, 0x3f8));
    ck_assert(!ioports_access_permitted(&domu, 0x3ff, 0x3ff));
    ck_assert(cache_flush_permitted(&domu));
    ck_assert_int_eq(ioports_permit_access(&domu, 0x40, 0x43), 0);
    ck_assert(!ioports_access_permitted(&domu, 0x40, 0x40));
    ck_assert_int_eq(ioports_permit_access(&domu, 5, 4), -EINVAL);
    ck_assert_int_eq(ioports_deny_access(&domu, 0x3f0, 0x40f), 0);
    ck_assert(!cache_flush_permitted(&domu));
    ck_assert_int_eq(ioports_deny_access(&dom0, 0x1f0, 0x1f7), 0);
    ck_assert(!ioports_access_permitted(&dom0, 0x1f0, 0x1f0));
}
END_TEST

START_TEST(test_physdev_set_iopl)
{
    struct physdev_set_iopl s;

    setup_domains();
    for (unsigned int i = 0; i <= 3; i++) {
        s.iopl = i;
        ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iopl, (uintptr_t)&s, 0, 0, 0), 0);
        ck_assert_uint_eq(vcpu0.iopl, i);
    }
    s.iopl = 4;
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iopl, (uintptr_t)&s, 0, 0, 0), -EINVAL);
    s.iopl = ~0u;
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iopl, (uintptr_t)&s, 0, 0, 0), -EINVAL);
    ck_assert_uint_eq(vcpu0.iopl, 3);
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iopl, BAD_GUEST_ADDR, 0, 0, 0), -EFAULT);
    /* The command is an int: high bits ignored. */
    s.iopl = 1;
    ck_assert_int_eq(do_physdev_op(0x100000000UL | PHYSDEVOP_set_iopl, (uintptr_t)&s, 0, 0, 0), 0);
    ck_assert_uint_eq(vcpu0.iopl, 1);
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_eoi, (uintptr_t)&s, 0, 0, 0), -ENOSYS);
    ck_assert_int_eq(do_physdev_op(99, 0, 0, 0, 0), -ENOSYS);
}
END_TEST

START_TEST(test_physdev_set_iobitmap)
{
    static uint8_t bitmap[8192];
    struct physdev_set_iobitmap s;

    setup_domains();
    set_xen_guest_handle(s.bitmap, bitmap);
    s.nr_ports = 0x400;
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iobitmap, (uintptr_t)&s, 0, 0, 0), 0);
    ck_assert_uint_eq(vcpu0.iobmp, (uintptr_t)bitmap);
    ck_assert_uint_eq(vcpu0.iobmp_limit, 0x400);
    s.nr_ports = 65536;
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iobitmap, (uintptr_t)&s, 0, 0, 0), 0);
    s.nr_ports = 65537;
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iobitmap, (uintptr_t)&s, 0, 0, 0), -EINVAL);
    ck_assert_uint_eq(vcpu0.iobmp_limit, 65536);
    /* A bitmap reaching into the hypervisor's range. */
    set_xen_guest_handle(s.bitmap, (uint8_t *)(0xffff800000000000UL - 4096));
    s.nr_ports = 8;
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iobitmap, (uintptr_t)&s, 0, 0, 0), -EINVAL);
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iobitmap, BAD_GUEST_ADDR, 0, 0, 0), -EFAULT);
    /* Clearing it. */
    set_xen_guest_handle(s.bitmap, (uint8_t *)NULL);
    s.nr_ports = 0;
    ck_assert_int_eq(do_physdev_op(PHYSDEVOP_set_iobitmap, (uintptr_t)&s, 0, 0, 0), 0);
    ck_assert_uint_eq(vcpu0.iobmp_limit, 0);
}
END_TEST

static Suite *iocap_suite(void)
{
    Suite *s = suite_create("iocap");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_add_merge);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_remove_split);
    tcase_add_test(tc, test_full_set);
    tcase_add_test(tc, test_random_against_model);
    tcase_add_test(tc, test_hardware_domain);
    tcase_add_test(tc, test_iopl_ok);
    tcase_add_test(tc, test_iobitmap);
    tcase_add_test(tc, test_admin_io_okay);
    tcase_add_test(tc, test_domains);
    tcase_add_test(tc, test_physdev_set_iopl);
    tcase_add_test(tc, test_physdev_set_iobitmap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(iocap_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
