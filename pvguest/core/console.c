/*
 * Hypervisor console output (xen.h, CONSOLEIO_write).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include <pvguest/console.h>
#include <pvguest/hypercall.h>

/* console_io takes the count as an int-sized value; stay well below it. */
#define CONSOLE_CHUNK (64 * 1024)

long console_write(const char *buf, size_t len)
{
    while (len > 0) {
        unsigned int n = len > CONSOLE_CHUNK ? CONSOLE_CHUNK : (unsigned int)len;
        long rc = HYPERVISOR_console_io(CONSOLEIO_write, n, buf);

        if (rc < 0)
            return rc;
        buf += n;
        len -= n;
    }
    return 0;
}

int printk(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return n;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    if (console_write(buf, (size_t)n) < 0)
        return -1;
    return n;
}
