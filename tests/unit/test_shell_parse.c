/*
 * test_shell_parse — host unit tests (Check) for the guest shell's tokenizer and line editor
 * (pvguest/shell/shell_parse.c, issue 12): words, quotes, backslashes, ';' and newlines,
 * empty commands, comments, errors (unterminated quote, too many words, too long); and the
 * editor's echo, backspace, Ctrl-U, Ctrl-C, CR/LF/CRLF and escape sequences.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "shell_parse.h"

static struct shell_words w;

/* Parse one command of @s; check the words (NULL-terminated list). Returns the cursor. */
static const char *expect(const char *s, const char *const *want)
{
    const char *err = NULL;
    int n = 0;

    ck_assert_int_eq(shell_parse_next(&s, &w, &err), 1);
    for (; want[n]; n++) {
        ck_assert_int_gt(w.argc, n);
        ck_assert_str_eq(w.argv[n], want[n]);
    }
    ck_assert_int_eq(w.argc, n);
    ck_assert_ptr_null(w.argv[n]);
    return s;
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

START_TEST(test_words)
{
    const char *s;

    expect("ls -l /", WORDS("ls", "-l", "/"));
    expect("  \t cat   /a  ", WORDS("cat", "/a"));
    expect("echo 'a b' \"c d\" e\\ f", WORDS("echo", "a b", "c d", "e f"));
    expect("x'a'\"b\"c", WORDS("xabc"));
    expect("'' \"\"", WORDS("", ""));
    expect("'a\\b' \"a\\b\" \"\\\"q\\\\\" \\'", WORDS("a\\b", "a\\b", "\"q\\", "'"));
    expect("a 'x;y' \"p#q\" b#c", WORDS("a", "x;y", "p#q", "b#c"));
    expect("a\\\nb", WORDS("ab"));
    s = expect("ls # a comment; not a command", WORDS("ls"));
    ck_assert_str_eq(s, "");
}
END_TEST

START_TEST(test_separators)
{
    const char *s = "ls /; cat '/a;b' ;; stat x\n\ndf\n", *err = NULL;

    s = expect(s, WORDS("ls", "/"));
    ck_assert_int_eq((int)w.src_len, 4);
    ck_assert_int_eq(strncmp(w.src, "ls /", w.src_len), 0);
    s = expect(s, WORDS("cat", "/a;b"));
    ck_assert_int_eq(strncmp(w.src, "cat '/a;b'", w.src_len), 0);
    ck_assert_int_eq((int)w.src_len, 10);
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), 1); /* the empty one between ;; */
    ck_assert_int_eq(w.argc, 0);
    s = expect(s, WORDS("stat", "x"));
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), 1);
    ck_assert_int_eq(w.argc, 0);
    s = expect(s, WORDS("df"));
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), 0);
    s = "";
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), 0);
}
END_TEST

START_TEST(test_errors)
{
    const char *s, *err;
    static char line[SHELL_MAX_LINE + 64];

    s = "cat 'abc; ls";
    err = NULL;
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), -1);
    ck_assert_str_eq(err, "unterminated quote");
    ck_assert_str_eq(s, "");
    s = "cat \"abc\\\"";
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), -1);
    ck_assert_str_eq(err, "unterminated quote");

    /* SHELL_MAX_ARGS words are fine, one more is not; the next command still parses. */
    line[0] = '\0';
    for (int i = 0; i < SHELL_MAX_ARGS; i++)
        strcat(line, "a ");
    s = line;
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), 1);
    ck_assert_int_eq(w.argc, SHELL_MAX_ARGS);
    strcat(line, "b; ls");
    s = line;
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), -1);
    ck_assert_str_eq(err, "too many arguments");
    expect(s, WORDS("ls"));

    memset(line, 'x', SHELL_MAX_LINE);
    strcpy(line + SHELL_MAX_LINE, "; df");
    s = line;
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), -1);
    ck_assert_str_eq(err, "line too long");
    expect(s, WORDS("df"));
    /* The longest word that fits. */
    line[SHELL_MAX_LINE - 1] = '\0';
    s = line;
    ck_assert_int_eq(shell_parse_next(&s, &w, &err), 1);
    ck_assert_int_eq((int)strlen(w.argv[0]), SHELL_MAX_LINE - 1);
}
END_TEST

static char echo[4096];
static size_t echo_len;

static void out(void *arg, const char *s, size_t n)
{
    (void)arg;
    ck_assert_uint_lt(echo_len + n, sizeof(echo));
    memcpy(echo + echo_len, s, n);
    echo_len += n;
    echo[echo_len] = '\0';
}

/* Feed @in; returns the events seen, as letters: L line, I interrupt. */
static const char *feed(struct lineedit *le, const char *in, size_t n)
{
    static char ev[64];
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        enum lineedit_event e = lineedit_feed(le, (unsigned char)in[i], out, NULL);
        if (e == LINEEDIT_LINE)
            ev[k++] = 'L';
        else if (e == LINEEDIT_INTR)
            ev[k++] = 'I';
    }
    ev[k] = '\0';
    return ev;
}

#define FEED(le, lit) feed(le, lit, sizeof(lit) - 1)

START_TEST(test_lineedit)
{
    struct lineedit le;

    memset(&le, 0, sizeof(le));
    echo_len = 0;
    ck_assert_str_eq(FEED(&le, "lx\x7fs\r"), "L");
    ck_assert_str_eq(le.buf, "ls");
    ck_assert_str_eq(echo, "lx\b \bs\n");

    lineedit_reset(&le);
    echo_len = 0;
    ck_assert_str_eq(FEED(&le, "\ncat\x08\x08\x08\x08"), ""); /* LF after CR: same Enter */
    ck_assert_str_eq(echo, "cat\b \b\b \b\b \b");
    ck_assert_str_eq(FEED(&le, "df\x15"
                               "uptime\n"),
                     "L");
    ck_assert_str_eq(le.buf, "uptime");
    lineedit_reset(&le);
    ck_assert_str_eq(FEED(&le, "\n"), "L"); /* LF after LF: a second (empty) line */
    ck_assert_str_eq(le.buf, "");
    lineedit_reset(&le);
    ck_assert_str_eq(FEED(&le, "abc\x03"), "I");
    ck_assert_str_eq(le.buf, "");
    ck_assert_uint_eq(le.len, 0);

    /* Arrow keys (CSI and SS3), a function key and other control bytes insert nothing. */
    echo_len = 0;
    ck_assert_str_eq(FEED(&le, "a\x1b[A\x1b[1;5C\x1bOB\x1b[15~\t\x01"
                               "b\r\n"),
                     "L");
    ck_assert_str_eq(le.buf, "ab");
    ck_assert_str_eq(echo, "ab\n");

    /* UTF-8: one backspace erases the whole character. */
    lineedit_reset(&le);
    ck_assert_str_eq(FEED(&le, "x\xc3\xa9\x7f\r"), "L");
    ck_assert_str_eq(le.buf, "x");

    /* A full line drops further bytes. */
    lineedit_reset(&le);
    for (int i = 0; i < SHELL_MAX_LINE + 10; i++)
        lineedit_feed(&le, 'y', out, NULL), echo_len = 0;
    ck_assert_uint_eq(le.len, SHELL_MAX_LINE - 1);
    ck_assert_str_eq(FEED(&le, "\r"), "L");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shell_parse");
    TCase *tc = tcase_create("shell_parse");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_words);
    tcase_add_test(tc, test_separators);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_lineedit);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
