/*
 * Unit tests for hypervisor/common/pci_assign.c: the table of PCI functions, their assignment
 * to domains (issue 9), the configuration-cycle filter (others' functions read as all-ones,
 * writes ignored; BARs sized but never moved, PCI Local Bus 3.0 §6.2.5.1; the MSI capability
 * kept by mica apart from the message control word, as Xen's dom0 model) and the MMIO frame
 * permission behind mm.c's iomem_access_permitted().
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/iocap.h>
#include <mica/page_types.h>
#include <mica/pci_assign.h>
#include "hv_unrename.h"

/* ---- Test double: the port grant pci_assign() makes ---- */

static unsigned int permit_calls, permit_first, permit_last;
static int permit_rc;

int ioports_permit_access(struct domain *d, unsigned int first, unsigned int last)
{
    (void)d;
    permit_calls++;
    permit_first = first;
    permit_last = last;
    return permit_rc;
}

/* ---- Fixture: an AHCI-like function, an e1000-like one, a host bridge ---- */

#define AHCI PCI_BDF(0, 31, 2)
#define NIC  PCI_BDF(0, 1, 0)
#define HOST PCI_BDF(0, 0, 0)
#define GPU  PCI_BDF(0, 2, 0)

static struct domain d0 = {.domain_id = 0, .is_privileged = true};
static struct domain d1 = {.domain_id = 1};

static void setup(void)
{
    struct pci_func ahci = {.bdf = AHCI,
                            .vendor = 0x8086,
                            .device = 0x2922,
                            .class_rev = 0x01060102,
                            .irq_pin = 1,
                            .msi_cap = 0x80,
                            .msi_cap_len = 14,
                            .gsi = 16,
                            .owner = DOMID_INVALID};
    struct pci_func nic = {.bdf = NIC,
                           .vendor = 0x8086,
                           .device = 0x100e,
                           .class_rev = 0x02000003,
                           .irq_pin = 1,
                           .gsi = 21,
                           .owner = DOMID_INVALID};
    struct pci_func host = {.bdf = HOST, .vendor = 0x8086, .device = 0x29c0, .owner = DOMID_XEN};
    struct pci_func gpu = {.bdf = GPU, .vendor = 0x1234, .device = 0x1111, .owner = DOMID_INVALID};

    ahci.bar[4] = (struct pci_bar){.base = 0xc080, .size = 0x20, .io = true};
    ahci.bar[5] = (struct pci_bar){.base = 0xfebe0000, .size = 0x1000};
    nic.bar[0] = (struct pci_bar){.base = 0xfebc0000, .size = 0x20000};
    nic.bar[1] = (struct pci_bar){.base = 0xc000, .size = 0x40, .io = true};
    gpu.bar[0] = (struct pci_bar){.base = 0x800000000ULL, .size = 0x100000000ULL, .is64 = true};

    pci_reset_table();
    ck_assert_int_eq(pci_register(&ahci), 0);
    ck_assert_int_eq(pci_register(&nic), 0);
    ck_assert_int_eq(pci_register(&host), 0);
    ck_assert_int_eq(pci_register(&gpu), 0);
    permit_calls = 0;
    permit_rc = 0;
}

/* ---- The table and assignment ---- */

START_TEST(test_register_find)
{
    struct pci_func dup = {.bdf = AHCI};

    ck_assert_ptr_nonnull(pci_find(AHCI));
    ck_assert_uint_eq(pci_find(NIC)->device, 0x100e);
    ck_assert_ptr_null(pci_find(PCI_BDF(0, 5, 0)));
    ck_assert_int_eq(pci_register(&dup), -EEXIST);
    ck_assert_ptr_nonnull(pci_func_at(3));
    ck_assert_ptr_null(pci_func_at(4));
}
END_TEST

START_TEST(test_register_full)
{
    pci_reset_table();
    for (unsigned int i = 0; i < PCI_MAX_FUNCS; i++) {
        struct pci_func f = {.bdf = (uint16_t)(0x100 + i)};
        ck_assert_int_eq(pci_register(&f), 0);
    }
    struct pci_func f = {.bdf = 0x20};
    ck_assert_int_eq(pci_register(&f), -ENOMEM);
}
END_TEST

START_TEST(test_assign_rules)
{
    ck_assert_int_eq(pci_assign(&d0, PCI_BDF(0, 9, 0)), -ENODEV);
    ck_assert_int_eq(pci_assign(&d0, HOST), -EBUSY); /* mica keeps it */
    ck_assert_int_eq(pci_assign(&d0, NIC), 0);
    ck_assert_uint_eq(permit_calls, 1); /* its I/O BAR */
    ck_assert_uint_eq(permit_first, 0xc000);
    ck_assert_uint_eq(permit_last, 0xc03f);
    ck_assert_int_eq(pci_assign(&d0, NIC), 0); /* again: idempotent */
    ck_assert_int_eq(pci_assign(&d1, NIC), -EBUSY);
    ck_assert(pci_owned_by(0, NIC));
    ck_assert(!pci_owned_by(1, NIC));
    ck_assert(!pci_owned_by(DOMID_XEN, HOST));
    ck_assert_int_eq(pci_deassign(NIC), 0);
    ck_assert(!pci_owned_by(0, NIC));
    ck_assert_int_eq(pci_assign(&d1, NIC), 0);
    ck_assert_int_eq(pci_deassign(HOST), 0);
    ck_assert_int_eq(pci_assign(&d0, HOST), -EBUSY); /* still mica's */
    ck_assert_int_eq(pci_deassign(PCI_BDF(0, 9, 0)), -ENODEV);
}
END_TEST

START_TEST(test_deassign_domain)
{
    ck_assert_int_eq(pci_assign(&d1, NIC), 0);
    ck_assert_int_eq(pci_assign(&d1, AHCI), 0);
    ck_assert_int_eq(pci_assign(&d0, GPU), 0);
    ck_assert_uint_eq(pci_deassign_domain(1), 2);
    ck_assert(!pci_owned_by(1, NIC) && !pci_owned_by(1, AHCI));
    ck_assert(pci_owned_by(0, GPU));
    ck_assert_uint_eq(pci_deassign_domain(DOMID_XEN), 0); /* mica keeps its own */
    ck_assert_int_eq(pci_assign(&d0, NIC), 0);            /* free for another owner */
}
END_TEST

START_TEST(test_assign_port_failure)
{
    permit_rc = -ENOMEM;
    ck_assert_int_eq(pci_assign(&d0, AHCI), -ENOMEM);
    ck_assert(!pci_owned_by(0, AHCI)); /* nothing half-given */
}
END_TEST

/* ---- The configuration filter ---- */

START_TEST(test_filter_others_all_ones)
{
    uint32_t v = 0;

    ck_assert_int_eq(pci_assign(&d0, AHCI), 0);
    ck_assert_int_eq(pci_conf_filter_read(0, AHCI, 0, 4, 0, &v), PCI_CONF_PASS);
    ck_assert_int_eq(pci_conf_filter_read(1, AHCI, 0, 4, 0, &v), PCI_CONF_ALL_ONES);
    ck_assert_int_eq(pci_conf_filter_read(0, NIC, 0, 2, 0, &v), PCI_CONF_ALL_ONES);
    ck_assert_int_eq(pci_conf_filter_read(0, HOST, 0, 4, 0, &v), PCI_CONF_ALL_ONES);
    ck_assert_int_eq(pci_conf_filter_read(0, PCI_BDF(0, 9, 0), 0, 4, 0, &v), PCI_CONF_ALL_ONES);
    ck_assert_int_eq(pci_conf_filter_write(1, AHCI, 4, 2, 6), PCI_CONF_DROP);
    ck_assert_int_eq(pci_conf_filter_write(0, HOST, 4, 2, 6), PCI_CONF_DROP);
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 4, 2, 6), PCI_CONF_PASS); /* command */
    ck_assert_int_eq(pci_conf_filter_write(DOMID_XEN, HOST, 4, 2, 6), PCI_CONF_DROP);
    /* mica's bridges: the hardware domain may read them, nobody writes. */
    ck_assert(pci_conf_hwdom_may_read(HOST));
    ck_assert(!pci_conf_hwdom_may_read(AHCI));
    ck_assert(!pci_conf_hwdom_may_read(PCI_BDF(0, 9, 0)));
}
END_TEST

START_TEST(test_filter_bar_sizing)
{
    uint32_t v = 0;

    ck_assert_int_eq(pci_assign(&d0, AHCI), 0);
    /* Not sizing: the hardware's value. */
    ck_assert(!pci_conf_read_needs_hw(0, AHCI, 0x24));
    ck_assert_int_eq(pci_conf_filter_read(0, AHCI, 0x24, 4, 0, &v), PCI_CONF_PASS);
    /* All-ones written: dropped, then the size mask with the hardware's type bits. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x24, 4, 0xffffffffu), PCI_CONF_DROP);
    ck_assert(pci_conf_read_needs_hw(0, AHCI, 0x24));
    ck_assert_int_eq(pci_conf_filter_read(0, AHCI, 0x24, 4, 0xfebe0000, &v), PCI_CONF_VALUE);
    ck_assert_uint_eq(v, 0xfffff000u);
    ck_assert_int_eq(pci_conf_filter_read(0, AHCI, 0x26, 2, 0xfebe0000, &v), PCI_CONF_VALUE);
    ck_assert_uint_eq(v, 0xffffu);
    /* The I/O BAR: mask of 32 bytes, bit 0 from the hardware. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x20, 4, 0xffffffffu), PCI_CONF_DROP);
    ck_assert_int_eq(pci_conf_filter_read(0, AHCI, 0x20, 4, 0xc081, &v), PCI_CONF_VALUE);
    ck_assert_uint_eq(v, 0xffffffe1u);
    /* Writing the address back ends sizing; the write itself never reaches the BAR. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x24, 4, 0xfebe0000), PCI_CONF_DROP);
    ck_assert_int_eq(pci_conf_filter_read(0, AHCI, 0x24, 4, 0, &v), PCI_CONF_PASS);
    /* Moving it: dropped. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x24, 4, 0x10000000), PCI_CONF_DROP);
    /* A byte write into a BAR: dropped, no sizing. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x25, 1, 0xff), PCI_CONF_DROP);
    ck_assert(!pci_conf_read_needs_hw(0, AHCI, 0x24));
    /* The expansion ROM BAR moves nothing either. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x30, 4, 0xfffff800u), PCI_CONF_DROP);
}
END_TEST

START_TEST(test_filter_bar_64)
{
    uint32_t v = 0;

    ck_assert_int_eq(pci_assign(&d0, GPU), 0);
    ck_assert_int_eq(pci_conf_filter_write(0, GPU, 0x10, 4, 0xffffffffu), PCI_CONF_DROP);
    ck_assert_int_eq(pci_conf_filter_write(0, GPU, 0x14, 4, 0xffffffffu), PCI_CONF_DROP);
    ck_assert_int_eq(pci_conf_filter_read(0, GPU, 0x10, 4, 0x0000000c, &v), PCI_CONF_VALUE);
    ck_assert_uint_eq(v, 0x0000000cu); /* 4 GiB: the low half holds only type bits */
    ck_assert_int_eq(pci_conf_filter_read(0, GPU, 0x14, 4, 0x8, &v), PCI_CONF_VALUE);
    ck_assert_uint_eq(v, 0xffffffffu);
}
END_TEST

START_TEST(test_filter_msi)
{
    ck_assert_int_eq(pci_assign(&d0, AHCI), 0);
    /* Message address and data (cap + 4 .. cap + 13): mica's. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x84, 4, 0xfee00000), PCI_CONF_DROP);
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x8c, 2, 0x40), PCI_CONF_DROP);
    /* The capability header dword as a whole: dropped. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x80, 4, 0x10000), PCI_CONF_DROP);
    /* The message control word: the owner enables MSI. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x82, 2, 1), PCI_CONF_PASS);
    /* Just past the capability: an ordinary register. */
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x8e, 2, 0), PCI_CONF_PASS);
    ck_assert_int_eq(pci_conf_filter_write(0, AHCI, 0x7c, 4, 0), PCI_CONF_PASS);
}
END_TEST

/* ---- MMIO frames ---- */

START_TEST(test_iomem)
{
    ck_assert_int_eq(pci_assign(&d0, NIC), 0);
    ck_assert(iomem_access_permitted(&d0, 0xfebc0));
    ck_assert(iomem_access_permitted(&d0, 0xfebdf));
    ck_assert(!iomem_access_permitted(&d0, 0xfebe0)); /* the AHCI's, not assigned */
    ck_assert(!iomem_access_permitted(&d0, 0xfebbf));
    ck_assert(!iomem_access_permitted(&d1, 0xfebc0));
    ck_assert(!iomem_access_permitted(&d0, 0xc)); /* an I/O BAR's number is no frame */
    ck_assert(domain_has_io_resources(&d0));
    ck_assert(!domain_has_io_resources(&d1));
    ck_assert_int_eq(pci_deassign(NIC), 0);
    ck_assert_int_eq(pci_assign(&d1, NIC), 0);
    ck_assert(domain_has_io_resources(&d1));
    ck_assert(iomem_access_permitted(&d1, 0xfebc0));
    ck_assert(!iomem_access_permitted(&d0, 0xfebc0));
}
END_TEST

static Suite *pci_assign_suite(void)
{
    Suite *s = suite_create("pci_assign");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_register_find);
    tcase_add_test(tc, test_register_full);
    tcase_add_test(tc, test_assign_rules);
    tcase_add_test(tc, test_deassign_domain);
    tcase_add_test(tc, test_assign_port_failure);
    tcase_add_test(tc, test_filter_others_all_ones);
    tcase_add_test(tc, test_filter_bar_sizing);
    tcase_add_test(tc, test_filter_bar_64);
    tcase_add_test(tc, test_filter_msi);
    tcase_add_test(tc, test_iomem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pci_assign_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
