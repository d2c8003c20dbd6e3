/*
 * The shell's commands and the helpers they share (pvguest/shell/; shell.h is the public
 * side). Each command is int fn(env, argc, argv) returning its status: 0 success, 1 failure,
 * 2 usage error, 130 interrupted by Ctrl-C (as sh reports a SIGINT).
 */
#ifndef PVGUEST_SHELL_CMDS_H
#define PVGUEST_SHELL_CMDS_H

#include <stdbool.h>
#include <stdint.h>

#include <pvguest/shell.h>

#define SHELL_OK    0
#define SHELL_FAIL  1
#define SHELL_USAGE 2
#define SHELL_INTR  130

typedef int shell_cmd_fn(struct shell_env *env, int argc, char **argv);

/* cmd_fs.c */
shell_cmd_fn cmd_ls, cmd_cat, cmd_stat, cmd_sha256sum, cmd_df, cmd_blkread, cmd_blkwrite;
/* cmd_sys.c */
shell_cmd_fn cmd_ifconfig, cmd_ping, cmd_date, cmd_uptime, cmd_sleep, cmd_counters, cmd_poweroff;

/** In a boot script (shell_run_script), how many of its commands failed so far; 0 otherwise.
 *  poweroff ends such a run as a failure if any did (tools/mica-run --cmd's exit status). */
int shell_script_failures(void);

/** Print "usage: USAGE" for command @name (from the table) on stderr; returns SHELL_USAGE. */
int shell_usage(const char *name);

/** Print "NAME: MESSAGE" on stderr (stdout flushed first, so the order holds). */
void shell_err(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Parse @s as an unsigned number: decimal, or hex after "0x". False if it is not one. */
bool shell_parse_u64(const char *s, uint64_t *out);

/** The text of a negated Xen error code (blkfront's, CONSOLEIO's): "Input/output error"... */
const char *shell_xen_strerror(long err);

/** Whether Ctrl-C was typed meanwhile (console_in_interrupted(); false in scripts); echoes
    "^C" when it was. */
bool shell_interrupted(void);

#endif /* PVGUEST_SHELL_CMDS_H */
