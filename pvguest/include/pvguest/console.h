/*
 * Console output through the hypervisor's console (console_io hypercall,
 * xen.h CONSOLEIO_write). Unbuffered: each call is one hypercall, so it
 * works before and outside newlib's stdio. newlib's stdout and stderr reach
 * the same console through write() (libc/syscalls.c).
 */
#ifndef PVGUEST_CONSOLE_H
#define PVGUEST_CONSOLE_H

#include <stddef.h>

/**
 * Write `len` bytes at `buf` to the hypervisor console. Returns 0, or the
 * negated Xen error code of the first failing console_io call.
 */
long console_write(const char *buf, size_t len);

/**
 * printf-style output straight to the console, without stdio buffering.
 * At most 511 bytes per call (the rest is cut). Returns the number of bytes
 * written, or a negative value if formatting or the hypercall failed.
 */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* PVGUEST_CONSOLE_H */
