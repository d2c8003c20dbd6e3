/*
 * Unit tests for hypervisor/common/stats.c: the public layouts, what a read gathers from
 * struct domain, page-table work attributed to the domain that ran (by difference of the
 * machine-wide counters at each context switch), run and idle time, context-switch counts,
 * resets, and HYPERVISOR_mica_stats_op's sub-ops with every error it gives.
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
#include <mica/page_types.h>
#include <mica/ptwr.h>
#include <mica/stats.h>
#include "hv_unrename.h"

/* ---- Test doubles ---- */

struct vcpu *current;
struct mm_counters mm_counters;
struct ptwr_counters ptwr_counters;
struct gnttab_counters gnttab_counters;

static struct domain dom[3]; /* d0 (privileged), d1, d2 */
static struct vcpu vcpus[3];
static bool exists[3];

struct domain *domain_lookup(domid_t id)
{
    return id < 3 && exists[id] ? &dom[id] : NULL;
}

static uint64_t fake_now;
uint64_t now_ns(void)
{
    return fake_now;
}

#define BAD_GUEST_ADDR 1UL

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    if (src == BAD_GUEST_ADDR)
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)src, len);
    return 0;
}

int copy_to_guest(uint64_t dst, const void *src, size_t len)
{
    if (dst == BAD_GUEST_ADDR)
        return -EFAULT;
    memcpy((void *)(uintptr_t)dst, src, len);
    return 0;
}

static char out[16384];
static size_t out_len;

void vprintk_level(enum log_level level, const char *fmt, va_list ap)
{
    int n = vsnprintf(out + out_len, sizeof(out) - out_len, fmt, ap);
    out_len += (size_t)n;
}

void printk_level(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk_level(level, fmt, ap);
    va_end(ap);
}

static void setup(void)
{
    memset(dom, 0, sizeof(dom));
    memset(vcpus, 0, sizeof(vcpus));
    for (unsigned int i = 0; i < 3; i++) {
        dom[i].domain_id = (domid_t)i;
        dom[i].is_privileged = i == 0;
        dom[i].vcpu[0] = &vcpus[i];
        vcpus[i].domain = &dom[i];
        exists[i] = true;
    }
    current = &vcpus[0];
    out_len = 0;
    out[0] = '\0';
    /* Start every test from zero: reset everything as dom0 would. */
    fake_now += 1000000;
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_reset, MICA_STATS_RESET_ALL, 0, 0, 0), 0);
}

static struct mica_stats_domain read_dom(domid_t id)
{
    struct mica_stats_domain s = {.domid = id, .version = MICA_STATS_VERSION};
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, (uintptr_t)&s, 0, 0, 0), 0);
    return s;
}

static struct mica_stats_cpu read_cpu(void)
{
    struct mica_stats_cpu s = {.cpu = 0, .version = MICA_STATS_VERSION};
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_cpu, (uintptr_t)&s, 0, 0, 0), 0);
    return s;
}

/* ---- Tests ---- */

START_TEST(test_layouts)
{
    ck_assert_uint_eq(sizeof(struct mica_stats_domain), 800);
    ck_assert_uint_eq(offsetof(struct mica_stats_domain, version), 4);
    ck_assert_uint_eq(offsetof(struct mica_stats_domain, hypercalls), 24);
    ck_assert_uint_eq(offsetof(struct mica_stats_domain, ptes_validated), 24 + 65 * 8);
    ck_assert_uint_eq(sizeof(struct mica_stats_cpu), 136);
    ck_assert_uint_eq(__HYPERVISOR_mica_stats_op, __HYPERVISOR_arch_7);
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_version, 0, 0, 0, 0), MICA_STATS_VERSION);
    ck_assert_int_eq(do_mica_stats_op(4, 0, 0, 0, 0), -ENOSYS);
    ck_assert_int_eq(do_mica_stats_op(~0UL, 0, 0, 0, 0), -ENOSYS);
}
END_TEST

START_TEST(test_domain_fields)
{
    dom[1].hypercall_count[17] = 5;
    dom[1].hypercall_count[63] = 1;
    dom[1].hypercall_count_other = 2;
    dom[1].tot_pages = 1234;
    dom[1].evtchn.stats = (struct evtchn_stats){.send_ops = 1,
                                                .raised = 2,
                                                .upcalls = 3,
                                                .already_pending = 4,
                                                .masked = 5,
                                                .coalesced = 6,
                                                .unmask_upcalls = 7};
    dom[1].upcalls_delivered = 8;
    vcpus[1].slices = 9;
    current = &vcpus[1];
    struct mica_stats_domain s = read_dom(DOMID_SELF);
    ck_assert_uint_eq(s.domid, DOMID_SELF); /* IN fields kept */
    ck_assert_uint_eq(s.version, MICA_STATS_VERSION);
    ck_assert_uint_eq(s.now_ns, fake_now);
    ck_assert_uint_eq(s.tot_pages, 1234);
    ck_assert_uint_eq(s.hypercalls[17], 5);
    ck_assert_uint_eq(s.hypercalls[63], 1);
    ck_assert_uint_eq(s.hypercalls_other, 2);
    ck_assert_uint_eq(s.evt_send_ops, 1);
    ck_assert_uint_eq(s.evt_raised, 2);
    ck_assert_uint_eq(s.evt_upcalls_raised, 3);
    ck_assert_uint_eq(s.evt_already_pending, 4);
    ck_assert_uint_eq(s.evt_masked, 5);
    ck_assert_uint_eq(s.evt_coalesced, 6);
    ck_assert_uint_eq(s.evt_unmask_upcalls, 7);
    ck_assert_uint_eq(s.upcalls_delivered, 8);
    ck_assert_uint_eq(s.slices, 9);
    ck_assert_uint_eq(s.gnt_maps + s.gnt_unmaps + s.gnt_copies + s.gnt_failures, 0);
    for (unsigned int i = 0; i < 8; i++)
        ck_assert_uint_eq(s.reserved[i], 0);
}
END_TEST

START_TEST(test_attribution)
{
    /* d1 runs and validates 10 PTEs, d2 runs and validates 3 and flushes; then idle. */
    stats_schedule(&vcpus[1]);
    fake_now += 500;
    mm_counters.entries_validated += 10;
    mm_counters.tables_promoted += 2;
    ptwr_counters.emulated += 4;
    stats_schedule(&vcpus[2]);
    fake_now += 300;
    mm_counters.entries_validated += 3;
    mm_counters.tlb_flushes += 1;
    mm_counters.mmu_updates += 6;
    gnttab_counters.maps += 2;
    gnttab_counters.copies += 5;
    gnttab_counters.copy_failures += 1;
    gnttab_counters.map_failures += 2;
    stats_idle_begin();
    fake_now += 700;
    stats_idle_begin(); /* still idle: no second entry */
    fake_now += 100;
    stats_schedule(&vcpus[1]);
    fake_now += 50;

    struct mica_stats_domain s1 = read_dom(1), s2 = read_dom(2);
    ck_assert_uint_eq(s1.ptes_validated, 10);
    ck_assert_uint_eq(s1.tables_promoted, 2);
    ck_assert_uint_eq(s1.ptwr_emulated, 4);
    ck_assert_uint_eq(s1.tlb_flushes, 0);
    ck_assert_uint_eq(s1.run_ns, 550); /* 500 and the 50 of the running period so far */
    ck_assert_uint_eq(s2.ptes_validated, 3);
    ck_assert_uint_eq(s2.tlb_flushes, 1);
    ck_assert_uint_eq(s2.mmu_update_reqs, 6);
    ck_assert_uint_eq(s2.run_ns, 300);
    ck_assert_uint_eq(s2.gnt_maps, 2);
    ck_assert_uint_eq(s2.gnt_copies, 5);
    ck_assert_uint_eq(s2.gnt_failures, 3);
    ck_assert_uint_eq(s1.gnt_maps, 0);

    struct mica_stats_cpu c = read_cpu();
    ck_assert_uint_eq(c.idle_entries, 1);
    ck_assert_uint_eq(c.idle_ns, 800);
    /* setup's idle -> d1, d1 -> d2, d2 -> idle, idle -> d1 */
    ck_assert_uint_eq(c.context_switches, 4);

    /* The same vCPU again is no switch. */
    stats_schedule(&vcpus[1]);
    ck_assert_uint_eq(read_cpu().context_switches, 4);
}
END_TEST

START_TEST(test_cpu_fields)
{
    stats_timer_interrupt();
    stats_timer_interrupt();
    stats_hypercall();
    struct mica_stats_cpu c = read_cpu();
    ck_assert_uint_eq(c.cpu, 0);
    ck_assert_uint_eq(c.version, MICA_STATS_VERSION);
    ck_assert_uint_eq(c.timer_interrupts, 2);
    ck_assert_uint_eq(c.hypercalls, 1);
    ck_assert_uint_eq(c.now_ns, fake_now);
}
END_TEST

START_TEST(test_read_errors)
{
    struct mica_stats_domain s = {.domid = 2, .version = MICA_STATS_VERSION};
    struct mica_stats_cpu c = {.cpu = 0, .version = MICA_STATS_VERSION};

    /* An unprivileged domain reads only its own counters. */
    current = &vcpus[1];
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, (uintptr_t)&s, 0, 0, 0), -EPERM);
    s.domid = 1;
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, (uintptr_t)&s, 0, 0, 0), 0);
    /* dom0 reads any; a missing domain is -ESRCH. */
    current = &vcpus[0];
    s.domid = 2;
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, (uintptr_t)&s, 0, 0, 0), 0);
    exists[2] = false;
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, (uintptr_t)&s, 0, 0, 0), -ESRCH);
    s.domid = 0x7ff4; /* DOMID_INVALID */
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, (uintptr_t)&s, 0, 0, 0), -ESRCH);
    /* Versions: only 1. */
    s.domid = DOMID_SELF;
    s.version = 0;
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, (uintptr_t)&s, 0, 0, 0), -EINVAL);
    s.version = 2;
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, (uintptr_t)&s, 0, 0, 0), -EINVAL);
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_domain, BAD_GUEST_ADDR, 0, 0, 0), -EFAULT);
    /* CPUs: only 0. */
    c.cpu = 1;
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_cpu, (uintptr_t)&c, 0, 0, 0), -ENOENT);
    c.cpu = 0;
    c.version = 7;
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_cpu, (uintptr_t)&c, 0, 0, 0), -EINVAL);
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_read_cpu, BAD_GUEST_ADDR, 0, 0, 0), -EFAULT);
}
END_TEST

START_TEST(test_reset)
{
    dom[1].hypercall_count[17] = 5;
    dom[1].upcalls_delivered = 3;
    dom[2].hypercall_count[17] = 6;
    stats_timer_interrupt();

    /* Unprivileged: -EPERM, nothing changes. */
    current = &vcpus[1];
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_reset, 1, 0, 0, 0), -EPERM);
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_reset, MICA_STATS_RESET_ALL, 0, 0, 0), -EPERM);
    ck_assert_uint_eq(dom[1].hypercall_count[17], 5);

    current = &vcpus[0];
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_reset, 1, 0, 0, 0), 0);
    ck_assert_uint_eq(read_dom(1).hypercalls[17], 0);
    ck_assert_uint_eq(read_dom(1).upcalls_delivered, 0);
    ck_assert_uint_eq(read_dom(2).hypercalls[17], 6);
    ck_assert_uint_eq(read_cpu().timer_interrupts, 1);
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_reset, 5, 0, 0, 0), -ESRCH);
    ck_assert_int_eq(do_mica_stats_op(MICA_STATSOP_reset, MICA_STATS_RESET_ALL, 0, 0, 0), 0);
    ck_assert_uint_eq(read_dom(2).hypercalls[17], 0);
    ck_assert_uint_eq(read_cpu().timer_interrupts, 0);
}
END_TEST

START_TEST(test_print)
{
    dom[0].hypercall_count[17] = 42;
    mm_counters.entries_validated += 7;
    stats_schedule(&vcpus[2]);
    stats_print_all();
    ck_assert_ptr_nonnull(strstr(out, "mica: counters at "));
    ck_assert_ptr_nonnull(strstr(out, "  cpu0: context switches "));
    ck_assert_ptr_nonnull(strstr(out, "  d0: slices 0, "));
    ck_assert_ptr_nonnull(strstr(out, "    hypercalls (nr:count): 17:42 other:0\n"));
    ck_assert_ptr_nonnull(strstr(out, "  d2: "));
    ck_assert_ptr_nonnull(strstr(out, "    events: sent 0,"));
    ck_assert_ptr_nonnull(strstr(out, "    grants: map 0,"));
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_layouts);
    tcase_add_test(tc, test_domain_fields);
    tcase_add_test(tc, test_attribution);
    tcase_add_test(tc, test_cpu_fields);
    tcase_add_test(tc, test_read_errors);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_print);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stats_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
