/*
 * The hypervisor console: formatted output to the serial line with log levels.
 * Levels and the `loglvl=` option follow Xen's spelling (none, error, warning, info, debug, all).
 */
#ifndef MICA_CONSOLE_H
#define MICA_CONSOLE_H

#include <stdarg.h>
#include <mica/types.h>

enum log_level {
    LOG_ERR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
};

/** Bring the console up (serial port programmed). Call first thing at boot. */
void console_init(void);

/** Print at @level if the `loglvl=` threshold lets it through. Lines end in "\n". */
__printf(2, 3) void printk_level(enum log_level level, const char *fmt, ...);
void vprintk_level(enum log_level level, const char *fmt, va_list ap);

#define printk(...)       printk_level(LOG_INFO, __VA_ARGS__)
#define printk_err(...)   printk_level(LOG_ERR, __VA_ARGS__)
#define printk_warn(...)  printk_level(LOG_WARN, __VA_ARGS__)
#define printk_debug(...) printk_level(LOG_DEBUG, __VA_ARGS__)

/** Write @len bytes of @s to the console, whatever the log level (used for guest output). */
void console_write(const char *s, size_t len);

/**
 * Parse a `loglvl=` value: none, error, warning, info, debug or all.
 * Returns 0, or -EINVAL for an unknown level name (the threshold is then unchanged).
 */
int console_set_loglvl(const char *value);

/**
 * Parse a `console=` value: a comma-separated list of com1 and none.
 * Returns 0, or -EINVAL naming an unknown device (com1 stays enabled).
 */
int console_set_devices(const char *value);

#endif /* MICA_CONSOLE_H */
