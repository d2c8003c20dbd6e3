/*
 * Unit tests for hypervisor/lib/vsnprintf.c. Where the C standard defines the
 * output, it is compared with the host's snprintf; mica's own choices (%p,
 * NULL %s, unknown conversions) are checked against fixed strings.
 */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/printf.h>
#include "hv_unrename.h"

/* Format with both implementations into buffers of the given size and compare. */
static void __attribute__((format(printf, 2, 3))) same(size_t size, const char *fmt, ...)
{
    char hv[256], host[256];
    va_list ap, aq;
    int hv_ret, host_ret;

    ck_assert_uint_le(size, sizeof(hv));
    memset(hv, 0x5a, sizeof(hv));
    memset(host, 0x5a, sizeof(host));
    va_start(ap, fmt);
    va_copy(aq, ap);
    hv_ret = hv_vsnprintf(hv, size, fmt, ap);
    host_ret = vsnprintf(host, size, fmt, aq);
    va_end(aq);
    va_end(ap);
    ck_assert_msg(hv_ret == host_ret, "\"%s\" (size %zu): returned %d, host %d", fmt, size, hv_ret,
                  host_ret);
    /* Same bytes, including what lies after the NUL (nothing written past size). */
    ck_assert_msg(memcmp(hv, host, sizeof(hv)) == 0, "\"%s\" (size %zu): \"%s\", host \"%s\"", fmt,
                  size, size ? hv : "", size ? host : "");
}

/* Format with mica's snprintf into a large buffer and compare with expected. */
static void __attribute__((format(printf, 2, 3))) expect(const char *want, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ck_assert_msg(strcmp(buf, want) == 0, "\"%s\": got \"%s\", want \"%s\"", fmt, buf, want);
    ck_assert_int_eq(ret, (int)strlen(want));
}

START_TEST(test_plain_and_percent)
{
    same(64, "hello, world");
    const char *empty = "";

    same(64, empty, 0);
    same(64, "100%%");
    same(64, "%%%d%%", 5);
}
END_TEST

START_TEST(test_signed)
{
    static const int values[] = {0, 1, -1, 42, -42, 123456, INT_MAX, INT_MIN};
    static const char *const formats[] = {
        "%d",   "%i",   "%5d",   "%-5d|",   "%05d",   "%+d",   "% d", "%+05d", "%-+6d|", "% 05d",
        "%.3d", "%.0d", "%8.3d", "%-8.3d|", "%08.3d", "%+.3d", "%1d", "%.12d", "%+ d",   "%0-6d|",
    };

    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
            same(64, formats[f], values[v]);
}
END_TEST

START_TEST(test_unsigned_hex_octal)
{
    static const unsigned int values[] = {0, 1, 7, 8, 255, 0x8000, 0xdeadbeef, UINT_MAX};
    static const char *const formats[] = {
        "%u",    "%x",   "%X",      "%o",      "%#x",  "%#X",   "%#o",   "%8x",
        "%-8x|", "%08x", "%#08x",   "%#8x",    "%.4x", "%#.4x", "%#.0x", "%.0x",
        "%#.0o", "%.0o", "%#10.6o", "%-#10X|", "%+u",  "% u",
    };

    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
            same(64, formats[f], values[v]);
}
END_TEST

START_TEST(test_length_modifiers)
{
    same(64, "%hhd %hhu %hhx", 300, 300, -1);
    same(64, "%hd %hu %hx", 70000, 70000, -1);
    same(64, "%ld %lu %lx", LONG_MIN, ULONG_MAX, 0x123456789abcdefUL);
    same(64, "%lld %llu %llx %llo", LLONG_MIN, ULLONG_MAX, 0xfedcba9876543210ULL, 01777ULL);
    same(64, "%zu %zx %zd", (size_t)-1, (size_t)4096, (ssize_t)-5);
    same(64, "%td %tx", (ptrdiff_t)-12345, (ptrdiff_t)-1);
    same(64, "%jd %ju %jx", INTMAX_MIN, UINTMAX_MAX, (uintmax_t)0xabc);
    same(64, "%lld|%-20lld|%020lld", LLONG_MAX, LLONG_MIN, -1LL);
}
END_TEST

START_TEST(test_char_and_string)
{
    same(64, "%c%c%c", 'm', 'i', 'c');
    same(64, "[%5c][%-5c]", 'x', 'y');
    same(64, "[%s]", "mica");
    same(64, "[%10s][%-10s]", "mica", "xen");
    same(64, "[%.2s][%.0s][%.10s]", "mica", "mica", "mica");
    same(64, "[%8.3s][%-8.3s]", "hypervisor", "hypervisor");
    same(64, "[%s]", "");
    same(64, "%s=%d %s", "dom", 0, "ok");
}
END_TEST

START_TEST(test_precision_string_not_terminated)
{
    /* With a precision, %s must not read past the precision (no NUL needed). */
    char *raw = malloc(4);

    memcpy(raw, "abcd", 4);
    expect("abc", "%.3s", raw);
    expect("abcd", "%.4s", raw);
    free(raw);
}
END_TEST

START_TEST(test_star_width_precision)
{
    same(64, "[%*d]", 6, 42);
    same(64, "[%*d]", -6, 42); /* negative width: left-justify */
    same(64, "[%.*d]", 4, 7);
    same(64, "[%.*d]", -1, 7); /* negative precision: as if omitted */
    same(64, "[%*.*s]", 8, 2, "mica");
    same(64, "[%-*.*x]", 10, 6, 0xabc);
    same(64, "[%0*d]", 5, -3);
}
END_TEST

START_TEST(test_truncation_and_return)
{
    const char *fmt = "frame %lu of %lu: %s";

    for (size_t size = 0; size <= 40; size++)
        same(size, fmt, 12345UL, 67890UL, "allocated");
    same(1, "%d", 12345);
    same(5, "%s", "abcde");
    same(6, "%s", "abcde");
    same(3, "%08x", 0xbeef);
    same(4, "%-10s|", "ab");
}
END_TEST

START_TEST(test_size_zero_and_null_buffer)
{
    char buf[4] = {'x', 'x', 'x', 'x'};

    ck_assert_int_eq(hv_snprintf(NULL, 0, "%d-%s", 1234, "abc"), 8);
    ck_assert_int_eq(hv_snprintf(buf, 0, "%d", 99), 2);
    ck_assert_int_eq(buf[0], 'x'); /* size 0: nothing written, not even a NUL */
    ck_assert_int_eq(hv_snprintf(buf, 1, "%d", 99), 2);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(buf[1], 'x');
}
END_TEST

START_TEST(test_pointer)
{
    expect("0x0000000000000000", "%p", (void *)0);
    expect("0xffff82d080200000", "%p", (void *)0xffff82d080200000UL);
    expect("0x00000000deadbeef", "%p", (void *)0xdeadbeefUL);
    expect("[  0x0000000000001000]", "[%20p]", (void *)0x1000);
    expect("[0x0000000000001000  ]", "[%-20p]", (void *)0x1000);
}
END_TEST

START_TEST(test_null_string)
{
    char *volatile null = NULL; /* hide the NULL from gcc's format checks */

    expect("(null)", "%s", null);
    expect("[  (null)]", "[%8s]", null);
}
END_TEST

START_TEST(test_unknown_conversions_verbatim)
{
    /* The format-string checker rightly objects; build the formats at run time. */
    char fmt[32];

    strcpy(fmt, "a%yb");
    expect("a%yb", fmt);
    strcpy(fmt, "%-5k|%d");
    expect("%-5k|7", fmt, 7);
    strcpy(fmt, "x%n%d");
    expect("x%n3", fmt, 3); /* %n writes nothing and takes no argument */
    strcpy(fmt, "%f %d");
    expect("%f 9", fmt, 9);
    strcpy(fmt, "end%");
    expect("end%", fmt);
    strcpy(fmt, "end%08");
    expect("end%08", fmt);
    strcpy(fmt, "%Lf%u");
    expect("%Lf5", fmt, 5u);
}
END_TEST

START_TEST(test_long_output)
{
    char big[1024];
    int n;

    memset(big, 'q', sizeof(big));
    n = hv_snprintf(big, sizeof(big), "%600d|%-300s|", 1, "x");
    ck_assert_int_eq(n, 902);
    ck_assert_uint_eq(strlen(big), 902);
    n = hv_snprintf(big, 100, "%600d", 1);
    ck_assert_int_eq(n, 600);
    ck_assert_uint_eq(strlen(big), 99);
}
END_TEST

static Suite *printf_suite(void)
{
    Suite *s = suite_create("printf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_plain_and_percent);
    tcase_add_test(tc, test_signed);
    tcase_add_test(tc, test_unsigned_hex_octal);
    tcase_add_test(tc, test_length_modifiers);
    tcase_add_test(tc, test_char_and_string);
    tcase_add_test(tc, test_precision_string_not_terminated);
    tcase_add_test(tc, test_star_width_precision);
    tcase_add_test(tc, test_truncation_and_return);
    tcase_add_test(tc, test_size_zero_and_null_buffer);
    tcase_add_test(tc, test_pointer);
    tcase_add_test(tc, test_null_string);
    tcase_add_test(tc, test_unknown_conversions_verbatim);
    tcase_add_test(tc, test_long_output);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(printf_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
