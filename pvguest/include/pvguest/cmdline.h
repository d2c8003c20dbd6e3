/*
 * The guest's command line (start_info->cmd_line, xen.h; at most
 * MAX_GUEST_CMDLINE bytes, not necessarily NUL-terminated there).
 * Words are separated by spaces; an option is `key=value` or a bare `key`.
 */
#ifndef PVGUEST_CMDLINE_H
#define PVGUEST_CMDLINE_H

#include <stddef.h>

/** Record the command line from start_info; called by start_kernel(). */
void cmdline_init(const char *cmd_line, size_t max_len);

/** The whole command line, NUL-terminated ("" if there is none). */
const char *cmdline(void);

/**
 * Find option `key` and copy its value (after '='; "" for a bare key) to
 * `value`, at most size-1 bytes plus a NUL. If the key appears more than
 * once, the last one wins, as on Linux. Returns the value's full length, or
 * -1 if the key is absent.
 */
int cmdline_get(const char *key, char *value, size_t size);

#endif /* PVGUEST_CMDLINE_H */
