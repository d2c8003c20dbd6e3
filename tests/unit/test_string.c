/* Unit tests for hypervisor/lib/string.c, compared with the host's libc. */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/string.h>
#include "hv_unrename.h"

START_TEST(test_memcpy_sizes_and_alignments)
{
    unsigned char src[96], dst[96], ref[96];

    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (unsigned char)(i * 7 + 1);
    for (size_t so = 0; so < 9; so++) {
        for (size_t d_off = 0; d_off < 9; d_off++) {
            for (size_t n = 0; n < 64; n++) {
                memset(dst, 0xee, sizeof(dst));
                memset(ref, 0xee, sizeof(ref));
                memcpy(ref + d_off, src + so, n);
                ck_assert_ptr_eq(hv_memcpy(dst + d_off, src + so, n), dst + d_off);
                ck_assert_mem_eq(dst, ref, sizeof(dst));
            }
        }
    }
}
END_TEST

START_TEST(test_memmove_overlap)
{
    char buf[64], ref[64];

    for (int from = 0; from < 20; from++) {
        for (int to = 0; to < 20; to++) {
            for (size_t n = 0; n < 40; n++) {
                for (int i = 0; i < 64; i++)
                    buf[i] = ref[i] = (char)('A' + i % 50);
                memmove(ref + to, ref + from, n);
                ck_assert_ptr_eq(hv_memmove(buf + to, buf + from, n), buf + to);
                ck_assert_mem_eq(buf, ref, sizeof(buf));
            }
        }
    }
}
END_TEST

START_TEST(test_memset)
{
    unsigned char buf[80];

    for (size_t off = 0; off < 9; off++) {
        for (size_t n = 0; n < 64; n++) {
            memset(buf, 0x11, sizeof(buf));
            ck_assert_ptr_eq(hv_memset(buf + off, 0x1ab, n), buf + off); /* (unsigned char)c */
            for (size_t i = 0; i < sizeof(buf); i++)
                ck_assert_uint_eq(buf[i], i >= off && i < off + n ? 0xab : 0x11);
        }
    }
}
END_TEST

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

START_TEST(test_memcmp_memchr)
{
    unsigned char a[] = {1, 2, 3, 0x80, 5};
    unsigned char b[] = {1, 2, 3, 0x7f, 5};

    ck_assert_int_eq(hv_memcmp(a, b, 0), 0);
    ck_assert_int_eq(hv_memcmp(a, b, 3), 0);
    /* Bytes compare as unsigned char: 0x80 > 0x7f. */
    ck_assert_int_gt(hv_memcmp(a, b, 5), 0);
    ck_assert_int_lt(hv_memcmp(b, a, 5), 0);
    ck_assert_int_eq(sign(hv_memcmp(a, b, 4)), sign(memcmp(a, b, 4)));

    ck_assert_ptr_eq(hv_memchr(a, 3, sizeof(a)), a + 2);
    ck_assert_ptr_eq(hv_memchr(a, 0x180, sizeof(a)), a + 3);
    ck_assert_ptr_null(hv_memchr(a, 5, 4));
    ck_assert_ptr_null(hv_memchr(a, 1, 0));
}
END_TEST

START_TEST(test_strlen_strnlen)
{
    ck_assert_uint_eq(hv_strlen(""), 0);
    ck_assert_uint_eq(hv_strlen("hypervisor"), 10);
    ck_assert_uint_eq(hv_strnlen("hypervisor", 4), 4);
    ck_assert_uint_eq(hv_strnlen("hypervisor", 100), 10);
    ck_assert_uint_eq(hv_strnlen("abc", 0), 0);
    /* strnlen must not read past maxlen: a buffer without a NUL. */
    char raw[3] = {'x', 'y', 'z'};
    ck_assert_uint_eq(hv_strnlen(raw, sizeof(raw)), 3);
}
END_TEST

START_TEST(test_strcmp_strncmp)
{
    static const char *const words[] = {"", "a", "ab", "abc", "abd", "b", "\x80", "\x7f", "ABC"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        for (size_t j = 0; j < sizeof(words) / sizeof(words[0]); j++) {
            ck_assert_int_eq(sign(hv_strcmp(words[i], words[j])), sign(strcmp(words[i], words[j])));
            for (size_t n = 0; n < 5; n++)
                ck_assert_int_eq(sign(hv_strncmp(words[i], words[j], n)),
                                 sign(strncmp(words[i], words[j], n)));
        }
    }
    ck_assert_int_eq(hv_strncmp("abcX", "abcY", 3), 0);
}
END_TEST

START_TEST(test_strchr_strrchr)
{
    const char *s = "a/b/c";

    ck_assert_ptr_eq(hv_strchr(s, '/'), s + 1);
    ck_assert_ptr_eq(hv_strrchr(s, '/'), s + 3);
    ck_assert_ptr_eq(hv_strchr(s, '\0'), s + 5);
    ck_assert_ptr_eq(hv_strrchr(s, '\0'), s + 5);
    ck_assert_ptr_null(hv_strchr(s, 'z'));
    ck_assert_ptr_null(hv_strrchr(s, 'z'));
    ck_assert_ptr_eq(hv_strchr(s, 'a' + 256), s); /* converted to char */
}
END_TEST

/* Compare hv_strtoul with the host's strtoul: value and end pointer. */
static void check_strtoul(const char *s, int base)
{
    char *hv_end = NULL, *host_end = NULL;
    unsigned long hv = hv_strtoul(s, &hv_end, base);
    unsigned long host = strtoul(s, &host_end, base);

    ck_assert_msg(hv == host, "strtoul(\"%s\", %d): %lu, host %lu", s, base, hv, host);
    ck_assert_msg(hv_end == host_end, "strtoul(\"%s\", %d): end at %td, host %td", s, base,
                  hv_end - s, host_end - s);
    ck_assert_uint_eq(hv_strtoull(s, NULL, base), strtoull(s, NULL, base));
}

START_TEST(test_strtoul_vs_host)
{
    static const char *const inputs[] = {
        "0",
        "1",
        "123",
        "  42",
        "\t\n 42x",
        "+7",
        "-1",
        "-0x10",
        "0x",
        "0X1f",
        "0xg",
        "0x1G",
        "017",
        "08",
        "0",
        "",
        "   ",
        "z",
        "ffff",
        "FFFFffff",
        "777",
        "0777",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999",
        "0xffffffffffffffff",
        "0x10000000000000000",
        "-18446744073709551615",
        "1010",
        "12abc",
        "0b101",
        "+",
        "-",
        "+-1",
        "0x+1",
        "1e3",
        "zz",
        "Zz9",
    };
    static const int bases[] = {0, 2, 8, 10, 16, 36};

    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
        for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
            check_strtoul(inputs[i], bases[b]);
}
END_TEST

START_TEST(test_strtoul_examples)
{
    char *end;
    const char *s = "0x1000 rest";

    ck_assert_uint_eq(hv_strtoul(s, &end, 0), 0x1000);
    ck_assert_ptr_eq(end, s + 6);
    ck_assert_uint_eq(hv_strtoul("0777", NULL, 0), 0777);
    ck_assert_uint_eq(hv_strtoul("777", NULL, 8), 0777);
    ck_assert_uint_eq(hv_strtoul("0x20", NULL, 10), 0);
    ck_assert_uint_eq(hv_strtoul("ff", NULL, 16), 255);
    /* "0x" with no hex digit: the number is the 0, end points at the x. */
    s = "0xz";
    ck_assert_uint_eq(hv_strtoul(s, &end, 16), 0);
    ck_assert_ptr_eq(end, s + 1);
    /* No digits at all: end is the start, even after skipped space and sign. */
    s = "  -q";
    ck_assert_uint_eq(hv_strtoul(s, &end, 10), 0);
    ck_assert_ptr_eq(end, s);
    /* Overflow saturates; the end pointer still passes all digits. */
    s = "123456789012345678901234567890!";
    ck_assert_uint_eq(hv_strtoul(s, &end, 10), ULONG_MAX);
    ck_assert_ptr_eq(end, s + 30);
    ck_assert_uint_eq(hv_strtoul("-1", NULL, 10), ULONG_MAX);
    /* Invalid base: nothing converted. */
    s = "11";
    ck_assert_uint_eq(hv_strtoul(s, &end, 1), 0);
    ck_assert_ptr_eq(end, s);
    ck_assert_uint_eq(hv_strtoul(s, &end, 37), 0);
}
END_TEST

START_TEST(test_strlcpy)
{
    char buf[8];

    memset(buf, 'x', sizeof(buf));
    ck_assert_uint_eq(hv_strlcpy(buf, "abc", sizeof(buf)), 3);
    ck_assert_str_eq(buf, "abc");

    memset(buf, 'x', sizeof(buf));
    ck_assert_uint_eq(hv_strlcpy(buf, "0123456789", sizeof(buf)), 10);
    ck_assert_str_eq(buf, "0123456");

    memset(buf, 'x', sizeof(buf));
    ck_assert_uint_eq(hv_strlcpy(buf, "0123456", sizeof(buf)), 7); /* fits exactly */
    ck_assert_str_eq(buf, "0123456");

    memset(buf, 'x', sizeof(buf));
    ck_assert_uint_eq(hv_strlcpy(buf, "abc", 1), 3);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(buf[1], 'x');

    memset(buf, 'x', sizeof(buf));
    ck_assert_uint_eq(hv_strlcpy(buf, "abc", 0), 3);
    ck_assert_int_eq(buf[0], 'x');
}
END_TEST

static Suite *string_suite(void)
{
    Suite *s = suite_create("string");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_memcpy_sizes_and_alignments);
    tcase_add_test(tc, test_memmove_overlap);
    tcase_add_test(tc, test_memset);
    tcase_add_test(tc, test_memcmp_memchr);
    tcase_add_test(tc, test_strlen_strnlen);
    tcase_add_test(tc, test_strcmp_strncmp);
    tcase_add_test(tc, test_strchr_strrchr);
    tcase_add_test(tc, test_strtoul_vs_host);
    tcase_add_test(tc, test_strtoul_examples);
    tcase_add_test(tc, test_strlcpy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(string_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
