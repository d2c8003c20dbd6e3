/* The hypervisor console: printk with log levels on the serial line. */
#include <arch/platform.h>
#include <mica/console.h>
#include <mica/console_input.h> /* issue 9: CONSOLEIO_read serves the input's holder */
#include <mica/domain.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/keyhandler.h> /* serial input passes the debug-key filter (issue 8) */
#include <mica/errno.h>
#include <mica/printf.h>
#include <mica/string.h>

static enum log_level log_threshold = LOG_INFO;
static bool serial_enabled = true;

void console_init(void)
{
    serial_init();
}

static void console_putc(char c)
{
    if (!serial_enabled)
        return;
    if (c == '\n')
        serial_putc('\r');
    serial_putc(c);
}

void console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        console_putc(s[i]);
}

void vprintk_level(enum log_level level, const char *fmt, va_list ap)
{
    char buf[512];
    int n;

    if (level > log_threshold)
        return;
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf)) {
        /* Say so rather than silently cutting the message. */
        console_write(buf, sizeof(buf) - 1);
        static const char more[] = " [...message truncated]\n";
        console_write(more, sizeof(more) - 1);
        return;
    }
    console_write(buf, (size_t)n);
}

void printk_level(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk_level(level, fmt, ap);
    va_end(ap);
}

int console_set_loglvl(const char *value)
{
    static const struct {
        const char *name;
        enum log_level level;
    } levels[] = {
        {"none", LOG_ERR}, /* errors always reach the console */
        {"error", LOG_ERR},   {"warning", LOG_WARN}, {"info", LOG_INFO},
        {"debug", LOG_DEBUG}, {"all", LOG_DEBUG},
    };
    /* Xen allows "level/rate-limited-level"; mica has no rate limiting, so the part
       after '/' is accepted and ignored. */
    size_t len = strlen(value);
    const char *slash = strchr(value, '/');
    if (slash)
        len = (size_t)(slash - value);
    for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
        if (strlen(levels[i].name) == len && !strncmp(levels[i].name, value, len)) {
            log_threshold = levels[i].level;
            return 0;
        }
    }
    return -EINVAL;
}

int console_set_devices(const char *value)
{
    bool serial = false;
    int rc = 0;
    const char *p = value;

    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 4 && !strncmp(p, "com1", 4))
            serial = true;
        else if (len == 4 && !strncmp(p, "none", 4))
            ;
        else
            rc = -EINVAL;
        p += len;
        if (*p == ',')
            p++;
    }
    serial_enabled = rc ? true : serial;
    return rc;
}

/*
 * HYPERVISOR_console_io (xen.h CONSOLEIO_*). Every domain may write (a deviation: release
 * Xen lets only dom0); each line is prefixed with the writer's "(dN) ". Reading: the domain
 * holding serial input (issue 9, <mica/console_input.h>).
 */
static domid_t line_owner = DOMID_INVALID; /* domain whose line is open on the console */

static void guest_console_write(struct domain *d, const char *s, size_t len)
{
    char prefix[16];

    for (size_t i = 0; i < len; i++) {
        if (line_owner != d->domain_id) {
            if (line_owner != DOMID_INVALID)
                console_putc('\n'); /* another domain's unfinished line */
            int n = snprintf(prefix, sizeof(prefix), "(d%u) ", d->domain_id);
            console_write(prefix, (size_t)n);
            line_owner = d->domain_id;
        }
        if (s[i] == '\n')
            line_owner = DOMID_INVALID;
        console_putc(s[i]);
    }
}

long do_console_io(unsigned long cmd, unsigned long count, unsigned long buffer, unsigned long a4,
                   unsigned long a5)
{
    struct domain *d = current->domain;
    char chunk[128];

    switch ((int)cmd) {
    case CONSOLEIO_write:
        count = (unsigned int)count; /* the ABI's count is an int-sized value */
        while (count) {
            size_t n = MIN(count, sizeof(chunk));
            if (copy_from_guest(chunk, buffer, n))
                return -EFAULT;
            guest_console_write(d, chunk, n);
            buffer += n;
            count -= n;
        }
        return 0;
    case CONSOLEIO_read: {
        size_t n = 0;
        int c;
        count = (unsigned int)count;
        /* Issue 9: the domain holding serial input reads it (console_input.h); dom0 and
           domains that held it before read nothing meanwhile; others are refused, as on Xen. */
        if (!d->is_privileged && !console_input_may_read(d->domain_id))
            return -EPERM;
        if (d->domain_id != console_input_focus())
            return 0;
        if (count > 0x7fffffff) /* Xen: the count must fit an int */
            return -E2BIG;
        while (n < MIN(count, sizeof(chunk)) && (c = console_input_getc()) >= 0)
            chunk[n++] = (char)c;
        if (copy_to_guest(buffer, chunk, n))
            return -EFAULT;
        return (long)n;
    }
    default:
        return -ENOSYS;
    }
}
