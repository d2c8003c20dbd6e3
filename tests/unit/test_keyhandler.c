/*
 * Unit tests for hypervisor/common/keyhandler.c: the serial input filter (Ctrl-A then a key
 * runs the key's handler; Ctrl-A Ctrl-A is one Ctrl-A for dom0; other bytes pass), the key
 * table and its help, dom0's input queue (order, overflow) and console_input_getc(), which
 * leaves unread input in the UART.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <arch/platform.h>
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/keyhandler.h>
#include <mica/stats.h>
#include <mica/timer.h>
#include "hv_unrename.h"

/* ---- Test doubles ---- */

static char serial_in[4096];
static size_t serial_pos, serial_len;

static void type(const char *s, size_t len)
{
    ck_assert_uint_le(serial_len + len, sizeof(serial_in));
    memcpy(serial_in + serial_len, s, len);
    serial_len += len;
}
#define TYPE(lit) type(lit, sizeof(lit) - 1)

int serial_getc(void)
{
    return serial_pos < serial_len ? (unsigned char)serial_in[serial_pos++] : -1;
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

static struct timer *armed;
void timer_init(struct timer *t, void (*fn)(void *data), void *data)
{
    t->fn = fn;
    t->data = data;
}
void timer_set(struct timer *t, uint64_t expires_ns)
{
    t->expires = expires_ns;
    t->active = true;
    armed = t;
}
uint64_t now_ns(void)
{
    return 5;
}

static char keys_run[64];
static size_t nr_keys_run;
static void record_key(unsigned char key)
{
    keys_run[nr_keys_run++] = (char)key;
}

static void setup(void)
{
    keyhandler_reset();
    serial_pos = serial_len = 0;
    out_len = 0;
    out[0] = '\0';
    nr_keys_run = 0;
    memset(&cpu_stats, 0, sizeof(cpu_stats));
}

/* Everything console_input_getc() gives, as a string. */
static size_t read_all(char *buf, size_t size)
{
    size_t n = 0;
    int c;
    while (n < size && (c = console_input_getc()) >= 0)
        buf[n++] = (char)c;
    return n;
}

/* ---- Tests ---- */

START_TEST(test_plain_input_passes)
{
    char buf[64];

    TYPE("hello\r\n\x02\x7f\xff");
    ck_assert_uint_eq(read_all(buf, sizeof(buf)), 10);
    ck_assert_mem_eq(buf, "hello\r\n\x02\x7f\xff", 10);
    ck_assert_uint_eq(cpu_stats.debug_keys, 0);
}
END_TEST

START_TEST(test_key_runs_handler)
{
    char buf[64];

    ck_assert_int_eq(register_keyhandler('d', record_key, "dump"), 0);
    ck_assert_int_eq(register_keyhandler('T', record_key, "trace"), 0);
    TYPE("ab\x01"
         "dcd\x01T"
         "e");
    ck_assert_uint_eq(read_all(buf, sizeof(buf)), 5);
    ck_assert_mem_eq(buf, "abcde", 5);
    ck_assert_uint_eq(nr_keys_run, 2);
    ck_assert_mem_eq(keys_run, "dT", 2);
    ck_assert_uint_eq(cpu_stats.debug_keys, 2);
    ck_assert_ptr_nonnull(strstr(out, "mica: debug key 'd': dump\n"));
    ck_assert_ptr_nonnull(strstr(out, "mica: debug key 'T': trace\n"));
}
END_TEST

START_TEST(test_doubled_prefix_and_unknown)
{
    char buf[64];

    TYPE("\x01\x01"
         "x\x01"
         "Q\x01\x05y");
    ck_assert_uint_eq(read_all(buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "\x01xy", 3);
    ck_assert_ptr_nonnull(strstr(out, "mica: unknown debug key 'Q' (Ctrl-A h for help)\n"));
    ck_assert_ptr_nonnull(strstr(out, "mica: unknown debug key 0x5 (Ctrl-A h for help)\n"));
}
END_TEST

START_TEST(test_prefix_split_across_reads)
{
    char buf[8];

    ck_assert_int_eq(register_keyhandler('c', record_key, "counters"), 0);
    TYPE("a\x01");
    ck_assert_uint_eq(read_all(buf, sizeof(buf)), 1);
    TYPE("cb");
    ck_assert_uint_eq(read_all(buf, sizeof(buf)), 1);
    ck_assert_int_eq(buf[0], 'b');
    ck_assert_uint_eq(nr_keys_run, 1);
}
END_TEST

START_TEST(test_register_rules)
{
    ck_assert_int_eq(register_keyhandler(' ', record_key, "space"), -EINVAL);
    ck_assert_int_eq(register_keyhandler(0x7f, record_key, "del"), -EINVAL);
    ck_assert_int_eq(register_keyhandler(DEBUG_KEY_PREFIX, record_key, "prefix"), -EINVAL);
    ck_assert_int_eq(register_keyhandler('!', record_key, "first"), 0);
    ck_assert_int_eq(register_keyhandler('~', record_key, "last"), 0);
    ck_assert_int_eq(register_keyhandler('q', record_key, "old"), 0);
    ck_assert_int_eq(register_keyhandler('q', record_key, "run queue"), 0);
    keyhandler_print_help();
    ck_assert_ptr_nonnull(strstr(out, "  !  first\n"));
    ck_assert_ptr_nonnull(strstr(out, "  q  run queue\n"));
    ck_assert_ptr_null(strstr(out, "old"));
    ck_assert_ptr_nonnull(strstr(out, "  ~  last\n"));
}
END_TEST

START_TEST(test_poll_queues_in_order)
{
    char buf[64];

    ck_assert_int_eq(register_keyhandler('e', record_key, "events"), 0);
    TYPE("12\x01"
         "e34");
    keyhandler_poll();
    ck_assert_uint_eq(nr_keys_run, 1);         /* the key ran at poll time */
    ck_assert_uint_eq(serial_pos, serial_len); /* the UART is drained */
    TYPE("56");
    ck_assert_uint_eq(read_all(buf, sizeof(buf)), 6);
    ck_assert_mem_eq(buf, "123456", 6);
}
END_TEST

START_TEST(test_getc_leaves_rest_in_uart)
{
    /* CONSOLEIO_read takes what it asks for; the rest stays in the UART (QEMU's FIFO). */
    TYPE("abc");
    ck_assert_int_eq(console_input_getc(), 'a');
    ck_assert_uint_eq(serial_len - serial_pos, 2);
}
END_TEST

START_TEST(test_queue_overflow)
{
    static char many[KEYHANDLER_QUEUE_SIZE + 10];
    char buf[KEYHANDLER_QUEUE_SIZE + 10];

    for (size_t i = 0; i < sizeof(many); i++)
        many[i] = (char)('a' + i % 26);
    type(many, sizeof(many));
    keyhandler_poll();
    ck_assert_uint_eq(keyhandler_dropped(), 10);
    ck_assert_uint_eq(read_all(buf, sizeof(buf)), KEYHANDLER_QUEUE_SIZE);
    ck_assert_mem_eq(buf, many, KEYHANDLER_QUEUE_SIZE);
}
END_TEST

START_TEST(test_init_polls)
{
    char buf[8];

    keyhandler_init();
    ck_assert_ptr_nonnull(armed);
    ck_assert(armed->active);
    ck_assert_uint_eq(armed->expires, 5 + KEYHANDLER_POLL_NS);
    TYPE("\x01hz");
    armed->active = false;
    armed->fn(armed->data); /* the poll timer fires: reads the input, re-arms */
    ck_assert(armed->active);
    ck_assert_ptr_nonnull(strstr(out, "mica: debug key 'h': this help\n"));
    ck_assert_ptr_nonnull(strstr(out, "  h  this help\n"));
    ck_assert_uint_eq(read_all(buf, sizeof(buf)), 1);
    ck_assert_int_eq(buf[0], 'z');
}
END_TEST

static Suite *keyhandler_suite(void)
{
    Suite *s = suite_create("keyhandler");
    TCase *tc = tcase_create("keyhandler");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_plain_input_passes);
    tcase_add_test(tc, test_key_runs_handler);
    tcase_add_test(tc, test_doubled_prefix_and_unknown);
    tcase_add_test(tc, test_prefix_split_across_reads);
    tcase_add_test(tc, test_register_rules);
    tcase_add_test(tc, test_poll_queues_in_order);
    tcase_add_test(tc, test_getc_leaves_rest_in_uart);
    tcase_add_test(tc, test_queue_overflow);
    tcase_add_test(tc, test_init_polls);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(keyhandler_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
