/*
 * The guest's shell (pvguest/shell.h; issue 12): the command table, running lines and
 * scripts, and the interactive loop on the console (console_in.h, the line editor of
 * shell_parse.c). The commands live in cmd_fs.c (files, the disk) and cmd_sys.c (network,
 * time, counters, power).
 *
 * Output goes through stdio; errors to stderr after stdout is flushed, so the two stay in
 * order on the one console. Statuses are sh's: 0 success, 1 failure, 2 usage error, 127
 * unknown command ("mica: FOO: command not found", as sh says "sh: FOO: not found"), 130
 * after Ctrl-C.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/errno.h>

#include <pvguest/console_in.h>
#include <pvguest/sched.h>
#include <pvguest/shell.h>
#include <pvguest/time.h>

#include "shell_cmds.h"
#include "shell_parse.h"

#define PROMPT "mica:/$ "

static shell_cmd_fn cmd_help, cmd_echo;

/** One command: its name, its arguments' synopsis, a line of help, and its function. */
struct shell_cmd {
    const char *name;
    const char *usage; /* the whole synopsis, printed after "usage: " */
    const char *help;
    shell_cmd_fn *fn;
};

static const struct shell_cmd commands[] = {
    {"help", "help [COMMAND]", "list the commands, or describe one", cmd_help},
    {"ls", "ls [-la] [PATH]...", "list a directory (-l long format, -a dot files too)", cmd_ls},
    {"cat", "cat PATH...", "print files", cmd_cat},
    {"stat", "stat [-L] PATH...", "show a file's inode (-L: follow a symlink)", cmd_stat},
    {"sha256sum", "sha256sum PATH...", "print the SHA-256 of files", cmd_sha256sum},
    {"df", "df", "show the filesystem's size and free space", cmd_df},
    {"blkread", "blkread LBA COUNT", "hex dump of COUNT sectors (at most 64) from sector LBA",
     cmd_blkread},
    {"blkwrite", "blkwrite LBA HEXBYTES", "write bytes (hex digits) at sector LBA", cmd_blkwrite},
    {"ifconfig", "ifconfig", "show the network interface", cmd_ifconfig},
    {"ping", "ping [-c COUNT] HOST", "send ICMP echo requests to an IPv4 address", cmd_ping},
    {"date", "date [-u] [+FORMAT]", "print the date and time (UTC)", cmd_date},
    {"uptime", "uptime", "show how long the system has been up", cmd_uptime},
    {"sleep", "sleep SECONDS", "wait (the network keeps serving)", cmd_sleep},
    {"counters", "counters", "the guest's and the hypervisor's counters", cmd_counters},
    {"echo", "echo [WORD]...", "print the words", cmd_echo},
    {"poweroff", "poweroff", "shut the guest down", cmd_poweroff},
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static bool script_mode;  /* Ctrl-C is not looked for while a script runs */
static int script_failed; /* commands of the running script that failed so far */

int shell_script_failures(void)
{
    return script_mode ? script_failed : 0;
}

static const struct shell_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < NR_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int shell_usage(const char *name)
{
    const struct shell_cmd *c = find_command(name);

    fflush(stdout);
    fprintf(stderr, "usage: %s\n", c ? c->usage : name);
    return SHELL_USAGE;
}

void shell_err(const char *name, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "%s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool shell_parse_u64(const char *s, uint64_t *out)
{
    char *end;

    if (*s < '0' || *s > '9') /* strtoull would take blanks and signs */
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end != '\0')
        return false;
    *out = v;
    return true;
}

const char *shell_xen_strerror(long err)
{
    static char buf[32];

    switch (-err) {
    case XEN_EPERM:
        return "Operation not permitted";
    case XEN_EIO:
        return "Input/output error";
    case XEN_ENOMEM:
        return "Cannot allocate memory";
    case XEN_EINVAL:
        return "Invalid argument";
    case XEN_ENOSPC:
        return "No space left on device";
    case XEN_EROFS:
        return "Read-only file system";
    case XEN_ENOSYS:
        return "Function not implemented";
    case XEN_EOPNOTSUPP:
        return "Operation not supported";
    case XEN_ETIMEDOUT:
        return "Connection timed out";
    case XEN_EAGAIN:
        return "Resource temporarily unavailable";
    default:
        snprintf(buf, sizeof(buf), "Xen error %ld", err);
        return buf;
    }
}

bool shell_interrupted(void)
{
    if (script_mode || !console_in_interrupted())
        return false;
    printf("^C\n"); /* what a terminal echoes for the interrupt character */
    fflush(stdout);
    return true;
}

static int cmd_help(struct shell_env *env, int argc, char **argv)
{
    (void)env;
    if (argc > 2)
        return shell_usage("help");
    if (argc == 2) {
        const struct shell_cmd *c = find_command(argv[1]);
        if (!c) {
            shell_err("help", "no such command: %s", argv[1]);
            return SHELL_FAIL;
        }
        printf("usage: %s\n  %s\n", c->usage, c->help);
        return SHELL_OK;
    }
    printf("Commands (quote with '...' or \"...\", separate with ';'):\n");
    for (size_t i = 0; i < NR_COMMANDS; i++)
        printf("  %-26s %s\n", commands[i].usage, commands[i].help);
    printf("Keys: Backspace, Ctrl-U (erase the line), Ctrl-C (drop the line, stop a command)\n");
    return SHELL_OK;
}

static int cmd_echo(struct shell_env *env, int argc, char **argv)
{
    (void)env;
    for (int i = 1; i < argc; i++)
        printf("%s%s", i > 1 ? " " : "", argv[i]);
    printf("\n");
    return SHELL_OK;
}

/* Run one parsed, non-empty command. */
static int run_words(struct shell_env *env, struct shell_words *w)
{
    const struct shell_cmd *c = find_command(w->argv[0]);
    int status;

    if (!c) {
        fflush(stdout);
        fprintf(stderr, "mica: %s: command not found\n", w->argv[0]);
        return 127;
    }
    status = c->fn(env, w->argc, w->argv);
    fflush(stdout);
    fflush(stderr);
    return status;
}

int shell_run_line(struct shell_env *env, const char *line)
{
    static struct shell_words w; /* about 10 KiB: kept off the thread's stack */
    const char *cursor = line, *err;
    int status = 0, r;

    while ((r = shell_parse_next(&cursor, &w, &err)) != 0) {
        if (r < 0) {
            fflush(stdout);
            fprintf(stderr, "mica: %s\n", err);
            status = SHELL_USAGE;
        } else if (w.argc > 0) {
            status = run_words(env, &w);
        }
    }
    return status;
}

int shell_run_script(struct shell_env *env, const char *script)
{
    static struct shell_words w;
    const char *cursor = script, *err;
    int r;

    script_mode = true;
    script_failed = 0;
    for (;;) {
        const char *start = cursor;
        r = shell_parse_next(&cursor, &w, &err);
        if (r == 0)
            break;
        if (r < 0) {
            /* Show the text that failed to parse, blanks and separators trimmed. */
            const char *end = cursor;
            while (*start == ' ' || *start == '\t' || *start == '\n')
                start++;
            while (end > start && strchr(" \t\r\n;", end[-1]))
                end--;
            printf("$ %.*s\n", (int)(end - start), start);
            fflush(stdout);
            fprintf(stderr, "mica: %s\n", err);
            script_failed++;
            continue;
        }
        if (w.argc == 0)
            continue;
        printf("$ %.*s\n", (int)w.src_len, w.src);
        if (run_words(env, &w) != 0)
            script_failed++;
    }
    fflush(stdout);
    script_mode = false;
    return script_failed;
}

/* The line editor's echo. */
static void echo_out(void *arg, const char *s, size_t n)
{
    (void)arg;
    fwrite(s, 1, n, stdout);
}

void shell_interactive(struct shell_env *env)
{
    static struct lineedit le;
    static char in[256];
    size_t in_pos = 0, in_len = 0;
    bool read_error_shown = false;

    if (console_in_init() < 0)
        printf("shell: VIRQ_CONSOLE not bound; polling the console\n");
    printf("mica shell: type 'help' for the commands\n");
    for (;;) {
        printf(PROMPT);
        fflush(stdout);
        lineedit_reset(&le);
        for (;;) {
            if (in_pos == in_len) {
                long r = console_in_read(in, sizeof(in), 0);
                if (r < 0) {
                    /* -EPERM: serial input has never been ours (mica, like Xen, lets only
                       its holder read); it may come later, by a debug key. */
                    if (!read_error_shown && r == -XEN_EPERM)
                        printf("\nshell: the serial input goes to another domain: press "
                               "Ctrl-A then this domain's number to type here\n");
                    else if (!read_error_shown)
                        printf("\nshell: cannot read the console: %s; retrying\n",
                               shell_xen_strerror(r));
                    read_error_shown = true;
                    fflush(stdout);
                    sleep_ns(NSEC_PER_SEC);
                    continue;
                }
                in_pos = 0;
                in_len = (size_t)r;
            }
            enum lineedit_event ev = LINEEDIT_NONE;
            while (in_pos < in_len && ev == LINEEDIT_NONE)
                ev = lineedit_feed(&le, (unsigned char)in[in_pos++], echo_out, NULL);
            fflush(stdout);
            if (ev == LINEEDIT_LINE) {
                shell_run_line(env, le.buf);
                break;
            }
            if (ev == LINEEDIT_INTR)
                break;
        }
    }
}
