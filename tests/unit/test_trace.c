/*
 * Unit tests for hypervisor/common/trace.c: the record layout, the ring (order, overwrite,
 * lost count), the off switch, the dump's lines and markers, and the allocation that
 * trace_enable() makes (sizes rounded to whole power-of-two runs of frames, -ENOMEM).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/heap.h>
#include <mica/trace.h>
#include "hv_unrename.h"

/* ---- Test doubles ---- */

static uint64_t fake_now = 1000;
uint64_t now_ns(void)
{
    return fake_now;
}

static char out[1 << 20];
static size_t out_len;

void console_write(const char *s, size_t len)
{
    ck_assert_uint_lt(out_len + len, sizeof(out));
    memcpy(out + out_len, s, len);
    out_len += len;
    out[out_len] = '\0';
}

void vprintk_level(enum log_level level, const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    console_write(buf, (size_t)n);
}

void printk_level(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk_level(level, fmt, ap);
    va_end(ap);
}

/* The frame allocator: malloc'ed runs, "MFN" = index into a table of them. */
static void *runs[16];
static unsigned int nr_runs, last_order;
static bool alloc_fails;

long alloc_frames(unsigned int order, domid_t owner)
{
    if (alloc_fails || nr_runs == 16)
        return -ENOMEM;
    last_order = order;
    runs[nr_runs] = calloc(1, 4096UL << order);
    return nr_runs++;
}

void *map_frame(mfn_t mfn)
{
    return runs[mfn];
}

static void setup(void)
{
    trace_on = false;
    out_len = 0;
    out[0] = '\0';
    fake_now = 1000;
}

/* ---- Tests ---- */

START_TEST(test_layout)
{
    struct trace_rec r;

    ck_assert_uint_eq(sizeof(r), 32);
    ck_assert_uint_eq(offsetof(struct trace_rec, ns), 0);
    ck_assert_uint_eq(offsetof(struct trace_rec, type), 8);
    ck_assert_uint_eq(offsetof(struct trace_rec, domid), 10);
    ck_assert_uint_eq(offsetof(struct trace_rec, c), 12);
    ck_assert_uint_eq(offsetof(struct trace_rec, a), 16);
    ck_assert_uint_eq(offsetof(struct trace_rec, b), 24);
}
END_TEST

START_TEST(test_off_writes_nothing)
{
    static struct trace_rec buf[8];
    uint64_t before = trace_total();

    ck_assert_int_eq(trace_setup(buf, 8), 0);
    trace_event(TRC_HC_ENTRY, 0, 17, 1, 2);
    ck_assert_uint_eq(trace_count(), 0);
    ck_assert_uint_eq(trace_total(), before);
    ck_assert_int_eq(trace_setup(NULL, 8), -EINVAL);
    ck_assert_int_eq(trace_setup(buf, 0), -EINVAL);
}
END_TEST

START_TEST(test_order_and_wrap)
{
    static struct trace_rec buf[4];
    struct trace_rec r;
    uint64_t before = trace_total();

    ck_assert_int_eq(trace_setup(buf, 4), 0);
    trace_on = true;
    for (unsigned int i = 0; i < 3; i++) {
        fake_now = 100 + i;
        trace_event(TRC_EVT_SEND, 1, i, 10 + i, 20 + i);
    }
    ck_assert_uint_eq(trace_count(), 3);
    ck_assert_int_eq(trace_get(0, &r), 0);
    ck_assert_uint_eq(r.ns, 100);
    ck_assert_uint_eq(r.type, TRC_EVT_SEND);
    ck_assert_uint_eq(r.domid, 1);
    ck_assert_uint_eq(r.c, 0);
    ck_assert_uint_eq(r.a, 10);
    ck_assert_uint_eq(r.b, 20);
    ck_assert_int_eq(trace_get(3, &r), -EINVAL);

    /* Four more: the ring keeps the newest four, oldest first. */
    for (unsigned int i = 3; i < 7; i++) {
        fake_now = 100 + i;
        trace_event(TRC_EVT_SEND, 1, i, 10 + i, 20 + i);
    }
    ck_assert_uint_eq(trace_count(), 4);
    ck_assert_uint_eq(trace_total() - before, 7);
    for (unsigned int i = 0; i < 4; i++) {
        ck_assert_int_eq(trace_get(i, &r), 0);
        ck_assert_uint_eq(r.c, 3 + i);
        ck_assert_uint_eq(r.ns, 103 + i);
    }
    trace_on = false;
}
END_TEST

START_TEST(test_format_line)
{
    struct trace_rec r = {.ns = 0x0102030405060708ULL,
                          .type = 2,
                          .domid = 0x7fff,
                          .c = 0x11223344,
                          .a = 0xffffffffffffffdaULL,
                          .b = 0};
    char line[TRACE_LINE_SIZE];

    size_t n = trace_format_line(&r, line);
    ck_assert_uint_eq(n, 3 + 64 + 1);
    ck_assert_uint_le(n + 1, TRACE_LINE_SIZE);
    ck_assert_str_eq(line, "mt 0807060504030201"
                           "0200ff7f44332211"
                           "daffffffffffffff"
                           "0000000000000000\n");
}
END_TEST

START_TEST(test_dump)
{
    static struct trace_rec buf[2];
    char expect[128];

    ck_assert_int_eq(trace_setup(buf, 2), 0);
    trace_on = true;
    trace_event(TRC_CTX_SWITCH, 0, 0x7fff, 0, 0);
    trace_event(TRC_PT_VALIDATE, 0, 4, 0x1234, 0);
    trace_event(TRC_HC_ENTRY, 0, 17, 0, 0); /* overwrites the first */
    trace_dump();
    ck_assert(trace_on); /* tracing resumes after the dump */
    trace_on = false;

    ck_assert_ptr_nonnull(strstr(out, "mica-trace: begin version=1 record_size=32 records=2 "
                                      "lost=1\n"));
    ck_assert_ptr_nonnull(strstr(out, "mica-trace: end records=2\n"));
    /* Two record lines, in order: PT_VALIDATE (type 6) then HC_ENTRY (type 1). */
    const char *first = strstr(out, "\nmt ");
    ck_assert_ptr_nonnull(first);
    snprintf(expect, sizeof(expect),
             "\nmt e803000000000000"
             "0600000004000000");
    ck_assert_int_eq(strncmp(first, expect, strlen(expect)), 0);
    const char *second = strstr(first + 1, "\nmt ");
    ck_assert_ptr_nonnull(second);
    ck_assert_int_eq(strncmp(second,
                             "\nmt e803000000000000"
                             "0100000011000000",
                             36),
                     0);
    ck_assert_ptr_null(strstr(second + 1, "\nmt "));
}
END_TEST

START_TEST(test_enable_allocates)
{
    /* 1000 records of 32 bytes = 32000 bytes: 8 frames, order 3, 1024 records. */
    opt_trace_size = 1000;
    alloc_fails = true;
    ck_assert_int_eq(trace_enable(true), -ENOMEM);
    ck_assert(!trace_on);
    alloc_fails = false;
    ck_assert_int_eq(trace_enable(true), 0);
    ck_assert(trace_on);
    ck_assert_uint_eq(last_order, 3);
    ck_assert_ptr_nonnull(strstr(out, "trace buffer of 1024 records (32 KiB)"));
    for (unsigned int i = 0; i < 1500; i++)
        trace_event(TRC_HC_EXIT, 0, 17, 0, 0);
    ck_assert_uint_eq(trace_count(), 1024);
    /* Off and on again keeps the ring (no second allocation). */
    unsigned int runs_before = nr_runs;
    ck_assert_int_eq(trace_enable(false), 0);
    ck_assert(!trace_on);
    trace_event(TRC_HC_EXIT, 0, 17, 0, 0);
    ck_assert_int_eq(trace_enable(true), 0);
    ck_assert_uint_eq(nr_runs, runs_before);
    trace_on = false;

    /* trace_dump_at_exit: only when asked. */
    out_len = 0;
    out[0] = '\0';
    opt_trace_dump_at_exit = false;
    trace_at_exit();
    ck_assert_uint_eq(out_len, 0);
    opt_trace_dump_at_exit = true;
    trace_at_exit();
    ck_assert_ptr_nonnull(strstr(out, "mica-trace: begin version=1 record_size=32 records=1024 "
                                      "lost=476\n"));
}
END_TEST

static Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_enable_allocates); /* first: no ring has been set up yet */
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_off_writes_nothing);
    tcase_add_test(tc, test_order_and_wrap);
    tcase_add_test(tc, test_format_line);
    tcase_add_test(tc, test_dump);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(trace_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
