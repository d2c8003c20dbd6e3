/* Unit tests for hypervisor/common/cmdline.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/cmdline.h>
#include <mica/errno.h>
#include "hv_unrename.h"

/* The reports of one parse, flattened into "err:name=value;" records. */
struct reports {
    char text[1024];
    unsigned int count;
};

static void record(const char *name, const char *value, int err, void *ctx)
{
    struct reports *r = ctx;
    size_t used = strlen(r->text);

    snprintf(r->text + used, sizeof(r->text) - used, "%d:%s%s%s;", err, name, value ? "=" : "",
             value ? value : "");
    r->count++;
}

/* The variables of the test option table. */
struct vars {
    bool verbose, noreboot, sync;
    uint64_t loglvl, dom0_mem, maxmem;
    char console[16];
    char name[8];
    int custom_calls;
    char custom_value[32];
    bool custom_negated;
};

static int parse_custom(const char *value, bool negated, void *arg)
{
    struct vars *v = arg;

    v->custom_calls++;
    v->custom_negated = negated;
    snprintf(v->custom_value, sizeof(v->custom_value), "%s", value ? value : "(none)");
    if (value && strcmp(value, "reject") == 0)
        return -EOPNOTSUPP;
    return 0;
}

static struct vars vars;
static struct reports reports;

static unsigned int parse(const char *cmdline)
{
    const struct cmdline_option opts[] = {
        CMDLINE_OPT_BOOL("verbose", &vars.verbose),
        CMDLINE_OPT_BOOL("noreboot", &vars.noreboot),
        CMDLINE_OPT_BOOL("sync_console", &vars.sync),
        CMDLINE_OPT_UINT("loglvl", &vars.loglvl),
        CMDLINE_OPT_SIZE("dom0_mem", &vars.dom0_mem),
        CMDLINE_OPT_SIZE("maxmem", &vars.maxmem),
        CMDLINE_OPT_STRING("console", vars.console),
        CMDLINE_OPT_STRING("name", vars.name),
        CMDLINE_OPT_CUSTOM("custom", parse_custom, &vars),
    };
    unsigned int n;

    memset(&reports, 0, sizeof(reports));
    n = cmdline_parse(cmdline, opts, sizeof(opts) / sizeof(opts[0]), record, &reports);
    ck_assert_uint_eq(n, reports.count);
    return n;
}

static void setup(void)
{
    memset(&vars, 0, sizeof(vars));
}

START_TEST(test_empty)
{
    ck_assert_uint_eq(parse(""), 0);
    ck_assert_uint_eq(parse("   \t  "), 0);
    ck_assert(!vars.verbose);
}
END_TEST

START_TEST(test_basic_kinds)
{
    ck_assert_uint_eq(parse("console=com1 verbose loglvl=0x10 dom0_mem=128M name=dom0"), 0);
    ck_assert_str_eq(vars.console, "com1");
    ck_assert(vars.verbose);
    ck_assert_uint_eq(vars.loglvl, 16);
    ck_assert_uint_eq(vars.dom0_mem, 128ULL << 20);
    ck_assert_str_eq(vars.name, "dom0");
}
END_TEST

START_TEST(test_bool_spellings)
{
    static const char *const truths[] = {"yes", "on", "true", "enable", "1"};
    static const char *const lies[] = {"no", "off", "false", "disable", "0"};
    char line[64];

    for (size_t i = 0; i < 5; i++) {
        snprintf(line, sizeof(line), "verbose=%s", truths[i]);
        vars.verbose = false;
        ck_assert_uint_eq(parse(line), 0);
        ck_assert_msg(vars.verbose, "%s", line);
        snprintf(line, sizeof(line), "verbose=%s", lies[i]);
        ck_assert_uint_eq(parse(line), 0);
        ck_assert_msg(!vars.verbose, "%s", line);
    }
    vars.verbose = true;
    ck_assert_uint_eq(parse("verbose=maybe"), 1);
    ck_assert_str_eq(reports.text, "-22:verbose=maybe;");
    ck_assert(vars.verbose); /* unchanged */
    ck_assert_uint_eq(parse("verbose="), 1);
    ck_assert_int_eq(cmdline_parse_bool("YES"), -EINVAL); /* Xen's spellings are lower case */
}
END_TEST

START_TEST(test_no_prefix)
{
    vars.noreboot = vars.verbose = true;
    ck_assert_uint_eq(parse("no-verbose"), 0);
    ck_assert(!vars.verbose);
    /* An option whose own name starts with "no" is found by its full name. */
    vars.noreboot = false;
    ck_assert_uint_eq(parse("noreboot"), 0);
    ck_assert(vars.noreboot);
    ck_assert_uint_eq(parse("no-noreboot"), 0);
    ck_assert(!vars.noreboot);
    /* no-name=value inverts the value, as Xen does. */
    ck_assert_uint_eq(parse("no-verbose=off"), 0);
    ck_assert(vars.verbose);
    /* no- on a non-boolean option is refused. */
    ck_assert_uint_eq(parse("no-loglvl no-console no-frob"), 3);
    ck_assert_str_eq(reports.text, "-22:no-loglvl;-22:no-console;-2:no-frob;");
}
END_TEST

START_TEST(test_later_wins)
{
    ck_assert_uint_eq(parse("loglvl=1 verbose loglvl=2 no-verbose console=a console=vga"), 0);
    ck_assert_uint_eq(vars.loglvl, 2);
    ck_assert(!vars.verbose);
    ck_assert_str_eq(vars.console, "vga");
}
END_TEST

START_TEST(test_quoting)
{
    ck_assert_uint_eq(parse("console=\"com1 vga\" verbose"), 0);
    ck_assert_str_eq(vars.console, "com1 vga");
    ck_assert(vars.verbose);
    ck_assert_uint_eq(parse("\"console=a b\""), 0);
    ck_assert_str_eq(vars.console, "a b");
    ck_assert_uint_eq(parse("console=\"\""), 0);
    ck_assert_str_eq(vars.console, "");
    /* The first '=' splits, quoted or not (as Xen); later ones belong to the value. */
    ck_assert_uint_eq(parse("console=\"x=y\""), 0);
    ck_assert_str_eq(vars.console, "x=y");
    ck_assert_uint_eq(parse("console=a=b"), 0);
    ck_assert_str_eq(vars.console, "a=b");
    /* An unterminated quote runs to the end of the line. */
    ck_assert_uint_eq(parse("console=\"tail end"), 0);
    ck_assert_str_eq(vars.console, "tail end");
    /* A token of quotes only is nothing. */
    ck_assert_uint_eq(parse("\"\" verbose"), 0);
}
END_TEST

START_TEST(test_sizes)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } cases[] = {
        {"dom0_mem=128M", 128ULL << 20},
        {"dom0_mem=512k", 512ULL << 10},
        {"dom0_mem=4G", 4ULL << 30},
        {"dom0_mem=2T", 2ULL << 40},
        {"dom0_mem=4096B", 4096},
        {"dom0_mem=4096b", 4096},
        {"dom0_mem=64", 64ULL << 10}, /* no unit: KiB, as Xen */
        {"dom0_mem=0x10M", 16ULL << 20},
        {"dom0_mem=0", 0},
        {"dom0_mem=16777215T", 16777215ULL << 40},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vars.dom0_mem = 1;
        ck_assert_msg(parse(cases[i].text) == 0, "%s: %s", cases[i].text, reports.text);
        ck_assert_msg(vars.dom0_mem == cases[i].bytes, "%s: %llu", cases[i].text,
                      (unsigned long long)vars.dom0_mem);
    }
}
END_TEST

START_TEST(test_bad_numbers)
{
    vars.dom0_mem = vars.loglvl = 7;
    ck_assert_uint_eq(parse("dom0_mem=12X dom0_mem=M dom0_mem=-1M dom0_mem=1MB dom0_mem"), 5);
    ck_assert_str_eq(
        reports.text,
        "-22:dom0_mem=12X;-22:dom0_mem=M;-22:dom0_mem=-1M;-22:dom0_mem=1MB;-22:dom0_mem;");
    ck_assert_uint_eq(parse("dom0_mem=16777216T maxmem=99999999999999999999"), 2);
    ck_assert_str_eq(reports.text, "-34:dom0_mem=16777216T;-34:maxmem=99999999999999999999;");
    ck_assert_uint_eq(parse("loglvl=abc loglvl=4x loglvl= loglvl=+3 loglvl= 5"), 6);
    ck_assert_uint_eq(vars.dom0_mem, 7);
    ck_assert_uint_eq(vars.loglvl, 7);
    ck_assert_uint_eq(parse("loglvl=18446744073709551614"), 0);
    ck_assert_uint_eq(vars.loglvl, 18446744073709551614ULL);
    ck_assert_uint_eq(parse("loglvl=010"), 0);
    ck_assert_uint_eq(vars.loglvl, 8);
}
END_TEST

START_TEST(test_unknown_reported)
{
    ck_assert_uint_eq(parse("verbose frobnicate loglvl=3 frob=1 \"quoted unknown\""), 3);
    ck_assert_str_eq(reports.text, "-2:frobnicate;-2:frob=1;-2:quoted unknown;");
    /* Known options around the unknown ones still apply. */
    ck_assert(vars.verbose);
    ck_assert_uint_eq(vars.loglvl, 3);
    ck_assert_str_eq(cmdline_strerror(-ENOENT), "unknown command-line option");
}
END_TEST

START_TEST(test_string_too_long_refused)
{
    ck_assert_uint_eq(parse("name=1234567"), 0); /* 7 + NUL fits in 8 */
    ck_assert_str_eq(vars.name, "1234567");
    ck_assert_uint_eq(parse("name=12345678"), 1);
    ck_assert_str_eq(reports.text, "-7:name=12345678;");
    ck_assert_str_eq(vars.name, "1234567"); /* unchanged, not truncated */
    ck_assert_uint_eq(parse("name"), 1);    /* a string needs '=' */
}
END_TEST

START_TEST(test_token_too_long)
{
    char line[CMDLINE_TOKEN_MAX + 64];

    memset(line, 0, sizeof(line));
    strcpy(line, "console=");
    memset(line + 8, 'x', CMDLINE_TOKEN_MAX);
    strcat(line, " verbose");
    ck_assert_uint_eq(parse(line), 1);
    ck_assert(strncmp(reports.text, "-7:console=xxx", 14) == 0);
    ck_assert(vars.verbose);
    ck_assert_str_eq(vars.console, "");
}
END_TEST

START_TEST(test_custom)
{
    ck_assert_uint_eq(parse("custom=a,b,c"), 0);
    ck_assert_int_eq(vars.custom_calls, 1);
    ck_assert_str_eq(vars.custom_value, "a,b,c");
    ck_assert(!vars.custom_negated);
    ck_assert_uint_eq(parse("no-custom"), 0);
    ck_assert_str_eq(vars.custom_value, "(none)");
    ck_assert(vars.custom_negated);
    ck_assert_uint_eq(parse("custom=reject"), 1);
    ck_assert_int_eq(vars.custom_calls, 3);
    char want[32];
    snprintf(want, sizeof(want), "%d:custom=reject;", -EOPNOTSUPP);
    ck_assert_str_eq(reports.text, want);
}
END_TEST

START_TEST(test_double_dash_ends)
{
    ck_assert_uint_eq(parse("verbose -- console=dom0stuff frob"), 0);
    ck_assert(vars.verbose);
    ck_assert_str_eq(vars.console, "");
    ck_assert_uint_eq(parse("--x"), 1); /* only a bare -- ends */
}
END_TEST

START_TEST(test_no_report_callback)
{
    struct cmdline_option opts[] = {CMDLINE_OPT_BOOL("verbose", &vars.verbose)};

    ck_assert_uint_eq(cmdline_parse("a b verbose", opts, 1, NULL, NULL), 2);
    ck_assert(vars.verbose);
}
END_TEST

START_TEST(test_parse_size_direct)
{
    uint64_t v;

    ck_assert_int_eq(cmdline_parse_size("1G", &v), 0);
    ck_assert_uint_eq(v, 1ULL << 30);
    ck_assert_int_eq(cmdline_parse_size("", &v), -EINVAL);
    ck_assert_int_eq(cmdline_parse_size(" 1G", &v), -EINVAL);
}
END_TEST

static Suite *cmdline_suite(void)
{
    Suite *s = suite_create("cmdline");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_basic_kinds);
    tcase_add_test(tc, test_bool_spellings);
    tcase_add_test(tc, test_no_prefix);
    tcase_add_test(tc, test_later_wins);
    tcase_add_test(tc, test_quoting);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_bad_numbers);
    tcase_add_test(tc, test_unknown_reported);
    tcase_add_test(tc, test_string_too_long_refused);
    tcase_add_test(tc, test_token_too_long);
    tcase_add_test(tc, test_custom);
    tcase_add_test(tc, test_double_dash_ends);
    tcase_add_test(tc, test_no_report_callback);
    tcase_add_test(tc, test_parse_size_direct);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cmdline_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
