/*
 * Unit tests of guest-time arithmetic (hypervisor/common/time_scale.c): the (mul, shift)
 * scale for a TSC frequency, the conversion guests do with it (xen.h vcpu_time_info), and
 * the version protocol under a concurrent reader.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <mica/time_scale.h>

/* Exact ns for @cycles at @khz, for comparison. */
static uint64_t exact_ns(uint64_t cycles, uint64_t khz)
{
    return (uint64_t)((unsigned __int128)cycles * 1000000u / khz);
}

static const uint64_t freqs_khz[] = {1000,    14318,   100000,  1000000,
                                     2600000, 3999999, 4000000, 10000000};

/* mul is normalised into [2^31, 2^32) whatever the frequency. */
START_TEST(test_scale_normalised)
{
    for (size_t i = 0; i < sizeof(freqs_khz) / sizeof(freqs_khz[0]); i++) {
        uint32_t mul;
        int8_t shift;
        time_scale_for_khz(freqs_khz[i], &mul, &shift);
        ck_assert_msg(mul >= (1u << 31), "%lu kHz: mul %#x", (unsigned long)freqs_khz[i], mul);
        ck_assert_int_ge(shift, -32);
        ck_assert_int_le(shift, 32);
    }
}
END_TEST

/* One second of cycles is one second, within one part per million, at every frequency;
   and one hour too (no overflow in the 128-bit product). */
START_TEST(test_scale_accuracy)
{
    for (size_t i = 0; i < sizeof(freqs_khz) / sizeof(freqs_khz[0]); i++) {
        const uint64_t khz = freqs_khz[i];
        uint32_t mul;
        int8_t shift;
        time_scale_for_khz(khz, &mul, &shift);
        const uint64_t spans[] = {khz * 1000, khz * 1000 * 3600, 1, 1000, 1ULL << 40};
        for (size_t j = 0; j < sizeof(spans) / sizeof(spans[0]); j++) {
            uint64_t got = time_scale_apply(spans[j], mul, shift);
            uint64_t want = exact_ns(spans[j], khz);
            uint64_t err = got > want ? got - want : want - got;
            /* 1 ppm, or a few ns for tiny spans (the right shift of slow TSCs drops bits). */
            ck_assert_msg(err <= want / 1000000 + 4, "%lu kHz, %lu cycles: %lu ns, want %lu",
                          (unsigned long)khz, (unsigned long)spans[j], (unsigned long)got,
                          (unsigned long)want);
        }
    }
}
END_TEST

/* Converted time never goes backwards as the TSC advances, across the 2^32 and 2^64-by-shift
   boundaries that a naive 64-bit product would wrap at. */
START_TEST(test_scale_monotonic)
{
    uint32_t mul;
    int8_t shift;
    time_scale_for_khz(2600000, &mul, &shift);
    uint64_t last = 0;
    for (uint64_t d = (1ULL << 32) - 1000; d < (1ULL << 32) + 1000; d++) {
        uint64_t ns = time_scale_apply(d, mul, shift);
        ck_assert_uint_ge(ns, last);
        last = ns;
    }
    ck_assert_uint_gt(time_scale_apply(1ULL << 62, mul, shift),
                      time_scale_apply((1ULL << 62) - (1ULL << 20), mul, shift));
}
END_TEST

/* The version ends even, two above where it started, with the fields written. */
START_TEST(test_publish_version)
{
    struct vcpu_time_info t;
    memset(&t, 0, sizeof(t));
    t.version = 6;
    vcpu_time_publish(&t, 1234, 5678, 0x80000000u, -1);
    ck_assert_uint_eq(t.version, 8);
    ck_assert_uint_eq(t.tsc_timestamp, 1234);
    ck_assert_uint_eq(t.system_time, 5678);
    ck_assert_uint_eq(t.tsc_to_system_mul, 0x80000000u);
    ck_assert_int_eq(t.tsc_shift, -1);
    ck_assert_uint_eq(t.flags, XEN_PVCLOCK_TSC_STABLE_BIT);
}
END_TEST

/* A reader following the protocol (version even and unchanged around its copy) never sees a
   torn record while a writer publishes records whose fields are tied together. */
static struct vcpu_time_info shared;
static volatile int stop;

static void *writer(void *arg __attribute__((unused)))
{
    for (uint64_t i = 1; !stop; i++)
        vcpu_time_publish(&shared, i, i * 3, (uint32_t)(0x80000000u | i), 0);
    return NULL;
}

START_TEST(test_publish_concurrent_reader)
{
    pthread_t w;
    unsigned long consistent = 0;

    memset(&shared, 0, sizeof(shared));
    stop = 0;
    pthread_create(&w, NULL, writer, NULL);
    /* Wait for the first record (the writer thread may start late on a loaded machine). */
    while (__atomic_load_n(&shared.version, __ATOMIC_SEQ_CST) < 2)
        ;
    for (int n = 0; n < 200000; n++) {
        struct vcpu_time_info copy;
        uint32_t v1, v2;
        do {
            v1 = __atomic_load_n(&shared.version, __ATOMIC_SEQ_CST);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            memcpy(&copy, (const void *)&shared, sizeof(copy));
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            v2 = __atomic_load_n(&shared.version, __ATOMIC_SEQ_CST);
        } while ((v1 & 1) || v1 != v2);
        if (copy.tsc_timestamp == 0)
            continue; /* before the first record */
        ck_assert_uint_eq(copy.system_time, copy.tsc_timestamp * 3);
        ck_assert_uint_eq(copy.tsc_to_system_mul, (uint32_t)(0x80000000u | copy.tsc_timestamp));
        consistent++;
    }
    stop = 1;
    pthread_join(w, NULL);
    ck_assert_uint_gt(consistent, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("time");
    TCase *tc = tcase_create("scale");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_scale_normalised);
    tcase_add_test(tc, test_scale_accuracy);
    tcase_add_test(tc, test_scale_monotonic);
    tcase_add_test(tc, test_publish_version);
    tcase_add_test(tc, test_publish_concurrent_reader);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
