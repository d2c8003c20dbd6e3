/*
 * The guest's shell (issue 12; docs/running.md "The shell"): a line-oriented command
 * interpreter on the serial console (CONSOLEIO_read, VIRQ_CONSOLE) or over a script given at
 * boot (`tools/mica-run --cmd`). Commands: help, ls, cat, stat, sha256sum, df, blkread,
 * blkwrite, ifconfig, ping, date, uptime, sleep, counters, poweroff.
 */
#ifndef PVGUEST_SHELL_H
#define PVGUEST_SHELL_H

#include <stdbool.h>

struct blkfront;
struct ext2_fs;
struct netfront;

/** What the shell's commands work on; any pointer may be NULL (that part is missing). */
struct shell_env {
    struct ext2_fs *fs;       /* the root filesystem (ls, cat, stat, sha256sum, df) */
    const char *fs_error;     /* why there is none (printed by the file commands) */
    struct blkfront *bf;      /* the disk (blkread, blkwrite, df) */
    struct netfront *nf;      /* the network (ifconfig, ping); lwIP is up when set */
};

/**
 * Run one command line: words split on blanks, '...' and "..." quote, backslash escapes
 * one character; ';' separates commands. Returns the last command's status (0 success,
 * 1 failure, 2 usage error, 127 unknown command, as in sh).
 */
int shell_run_line(struct shell_env *env, const char *line);

/**
 * Run @script (commands separated by newlines or ';'), printing "$ COMMAND" before each.
 * Returns the number of commands that failed (0: all succeeded).
 */
int shell_run_script(struct shell_env *env, const char *script);

/** The interactive shell on the console: prompt, line editing, until `poweroff`. */
void shell_interactive(struct shell_env *env) __attribute__((noreturn));

#endif /* PVGUEST_SHELL_H */
