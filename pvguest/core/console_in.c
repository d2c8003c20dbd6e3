/*
 * Console input through CONSOLEIO_read and VIRQ_CONSOLE (pvguest/console_in.h). The readers
 * are threads: they sleep on a wait queue that the VIRQ's handler wakes, with a deadline as
 * a safety net (1 s with the VIRQ bound, in case an event was missed; 20 ms without it).
 */
#include <string.h>

#include <xen/errno.h>

#include <pvguest/console_in.h>
#include <pvguest/events.h>
#include <pvguest/hypercall.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#define POLL_NS       (20 * NSEC_PER_MSEC) /* without VIRQ_CONSOLE */
#define SAFETY_NS     (1 * NSEC_PER_SEC)   /* with it */
#define TYPEAHEAD_MAX 256

static struct wait_queue input_wq = WAIT_QUEUE_INIT;
static volatile bool input_event; /* set by the VIRQ handler, cleared by readers */
static long virq_rc = 1;          /* 1: not tried yet; then the port or an error */

/* Bytes read by console_in_interrupted() before a Ctrl-C, handed out first. */
static char typeahead[TYPEAHEAD_MAX];
static size_t typeahead_len;

static void console_virq(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    (void)port;
    (void)regs;
    (void)data;
    input_event = true;
    wake_up(&input_wq);
}

long console_in_init(void)
{
    if (virq_rc == 1)
        virq_rc = evtchn_bind_virq(VIRQ_CONSOLE, console_virq, NULL);
    return virq_rc < 0 ? virq_rc : 0;
}

long console_in_poll(char *buf, size_t n)
{
    if (n == 0)
        return 0;
    if (typeahead_len > 0) {
        size_t k = typeahead_len < n ? typeahead_len : n;
        memcpy(buf, typeahead, k);
        memmove(typeahead, typeahead + k, typeahead_len - k);
        typeahead_len -= k;
        return (long)k;
    }
    if (n > 0x7fffffff)
        n = 0x7fffffff;
    return HYPERVISOR_console_io(CONSOLEIO_read, (unsigned int)n, buf);
}

long console_in_read(char *buf, size_t n, uint64_t deadline_ns)
{
    long bound = console_in_init();

    for (;;) {
        input_event = false; /* before the read: input arriving after it sets it again */
        long r = console_in_poll(buf, n);
        if (r != 0)
            return r;
        uint64_t now = system_time_ns();
        if (deadline_ns && now >= deadline_ns)
            return 0;
        uint64_t wake = now + (bound == 0 ? SAFETY_NS : POLL_NS);
        if (deadline_ns && deadline_ns < wake)
            wake = deadline_ns;
        if (bound == 0)
            (void)wait_event_deadline(input_wq, input_event, wake);
        else
            sleep_until(wake);
    }
}

bool console_in_interrupted(void)
{
    char buf[64];

    console_in_init();
    while (typeahead_len < TYPEAHEAD_MAX) {
        size_t room = TYPEAHEAD_MAX - typeahead_len;
        long r = HYPERVISOR_console_io(
            CONSOLEIO_read, (unsigned int)(room < sizeof(buf) ? room : sizeof(buf)), buf);
        if (r <= 0)
            return false;
        char *intr = memchr(buf, 0x03, (size_t)r);
        if (intr) {
            size_t keep = (size_t)(intr - buf);
            memcpy(typeahead + typeahead_len, buf, keep);
            typeahead_len += keep;
            /* Drop the rest of what is waiting. */
            while (HYPERVISOR_console_io(CONSOLEIO_read, sizeof(buf), buf) > 0)
                ;
            return true;
        }
        memcpy(typeahead + typeahead_len, buf, (size_t)r);
        typeahead_len += (size_t)r;
    }
    return false; /* the typeahead is full (and holds no Ctrl-C) */
}
