/*
 * console_read: serial input through CONSOLEIO_read and VIRQ_CONSOLE (issue 9,
 * <mica/console_input.h>), for t-console-focus. Binds VIRQ_CONSOLE, then until a '.' arrives
 * (or 60 s pass): waits for the VIRQ (SCHEDOP_poll, 2 s at a time) and reads whatever is
 * waiting. Prints what it read (control bytes as ^X), how many VIRQ_CONSOLE events it saw,
 * and how many reads returned data without one; a read's error ends it. Then it powers off.
 */
#define PROBE_NAME "console_read"

#include <pvguest/cmdline.h>

#include "probe.h"

#include "evt_util.h"

#define DEADLINE_NS (60ULL * 1000 * 1000 * 1000)
#define POLL_NS     (2000ULL * 1000 * 1000) /* longer than the keyhandler poll: the VIRQ wakes us */

int main(void)
{
    char got[256], shown[512];
    size_t n = 0, m = 0;
    unsigned long events = 0, reads = 0;

    evt_vcpu()->evtchn_upcall_mask = 1;
    evt_mask_all_ports();
    long virq = evt_bind_virq(VIRQ_CONSOLE);
    P("bind_virq(VIRQ_CONSOLE) = %s", virq > 0 ? "ok" : rc_str(virq));
    P("waiting for console input");
    uint64_t deadline = evt_now_ns() + DEADLINE_NS;
    while (n < sizeof(got) && !memchr(got, '.', n) && evt_now_ns() < deadline) {
        if (virq > 0) {
            evtchn_port_t p = (evtchn_port_t)virq;
            evt_poll(&p, 1, evt_now_ns() + POLL_NS);
            events += evt_test_and_clear(p);
        }
        long r = HYPERVISOR_console_io(CONSOLEIO_read, (unsigned int)(sizeof(got) - n), got + n);
        if (r < 0) {
            P("CONSOLEIO_read = %s", rc_str(r));
            break;
        }
        reads += r > 0;
        n += (size_t)r;
    }
    for (size_t i = 0; i < n && m + 3 < sizeof(shown); i++) {
        unsigned char ch = (unsigned char)got[i];
        if (ch < 0x20 || ch == 0x7f) {
            shown[m++] = '^';
            shown[m++] = (char)(ch ^ 0x40);
        } else {
            shown[m++] = (char)ch;
        }
    }
    shown[m] = '\0';
    P("console input \"%s\"", shown);
    P("VIRQ_CONSOLE events %s", events ? "seen" : "none");
    probe_done();
    return 0;
}
