/*
 * Formatted output into a buffer for the hypervisor (no libc, no FPU).
 *
 * Conversions (C11 7.21.6.1): %d %i %u %x %X %o %c %s %p %%, flags '-' '0'
 * '#' ' ' '+', a field width and a precision (either may be '*'), and the
 * length modifiers hh h l ll z t j. Differences from C, all on purpose:
 *  - %p prints "0x" and exactly 16 lowercase hex digits (so columns line up);
 *  - %s of a NULL pointer prints "(null)";
 *  - anything else (%n, %f, %L..., a lone '%' at the end) is copied to the
 *    output verbatim and consumes no argument.
 * Host unit tests rename these to hv_vsnprintf/hv_snprintf (tests/unit/hv_rename.h).
 */
#ifndef MICA_PRINTF_H
#define MICA_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Format into buf, which holds size bytes: writes at most size - 1
 * characters and a terminating NUL when size > 0; buf may be NULL when size
 * is 0. Returns the number of characters the complete output has (without
 * the NUL), even when it did not fit, so a return value >= size means
 * truncation (C11 7.21.6.12). Returns -1 only if that count exceeds INT_MAX.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* vsnprintf with the arguments given directly (C11 7.21.6.5). */
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* MICA_PRINTF_H */
