/*
 * probe_stats: mica's own hypercall, HYPERVISOR_mica_stats_op (55, <public/mica_stats.h>),
 * seen from dom0. On Xen 4.17 the number is unused and the probe prints -ENOSYS and stops.
 * On mica it checks that the counters count (100 xen_version calls are 100 more in
 * hypercalls[17]; a sleep adds timer interrupts, idle time, context switches and upcalls),
 * every error of the sub-ops, and a reset.
 *
 * With `input=1` on its command line it then reads the console (CONSOLEIO_read) until it
 * has seen a '.', for up to 60 s, and prints what it got with control bytes as ^X: the test
 * of the debug keys (tests/system/t-debug-keys.sh) types keys between ordinary text, and
 * only the text may arrive here.
 */
#define PROBE_NAME "probe_stats"
#include "probe.h"

#include <string.h>

#include <pvguest/cmdline.h>
#include <pvguest/events.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>
#include <pvguest/traps.h>

#include "../../hypervisor/include/public/mica_stats.h"

static long stats_op(unsigned int cmd, unsigned long arg)
{
    return hypercall2(__HYPERVISOR_mica_stats_op, cmd, arg);
}

static long read_dom(uint16_t domid, uint32_t version, struct mica_stats_domain *s)
{
    memset(s, 0, sizeof(*s));
    s->domid = domid;
    s->version = version;
    return stats_op(MICA_STATSOP_read_domain, (unsigned long)s);
}

static long read_cpu(uint32_t cpu, uint32_t version, struct mica_stats_cpu *s)
{
    memset(s, 0, sizeof(*s));
    s->cpu = cpu;
    s->version = version;
    return stats_op(MICA_STATSOP_read_cpu, (unsigned long)s);
}

static const char *yes(bool b)
{
    return b ? "yes" : "NO";
}

static void counting(void)
{
    static struct mica_stats_domain a, b;
    static struct mica_stats_cpu ca, cb;

    P("read_domain(self) = %s", rc_str(read_dom(DOMID_SELF, MICA_STATS_VERSION, &a)));
    P("read_cpu(0) = %s", rc_str(read_cpu(0, MICA_STATS_VERSION, &ca)));
    for (int i = 0; i < 100; i++)
        HYPERVISOR_xen_version(XENVER_version, NULL);
    sleep_ns(30 * 1000 * 1000);
    read_dom(DOMID_SELF, MICA_STATS_VERSION, &b);
    read_cpu(0, MICA_STATS_VERSION, &cb);
    P("version field %u, domid field %#x", b.version, b.domid);
    P("xen_version calls counted: %lu", (unsigned long)(b.hypercalls[17] - a.hypercalls[17]));
    P("mica_stats_op calls counted: %lu", (unsigned long)(b.hypercalls[55] - a.hypercalls[55]));
    P("sched_op calls counted: %s", yes(b.hypercalls[29] > a.hypercalls[29]));
    P("tot_pages > 0: %s", yes(b.tot_pages > 0));
    P("upcalls delivered grew: %s", yes(b.upcalls_delivered > a.upcalls_delivered));
    P("events raised grew: %s", yes(b.evt_raised > a.evt_raised));
    P("run time grew: %s", yes(b.run_ns > a.run_ns));
    P("slices grew: %s", yes(b.slices > a.slices));
    P("boot page tables not counted: %s", yes(a.tables_promoted < 4));
    P("cpu timer interrupts grew: %s", yes(cb.timer_interrupts > ca.timer_interrupts));
    P("cpu idle entries grew: %s", yes(cb.idle_entries > ca.idle_entries));
    P("cpu idle time grew >= 10 ms: %s", yes(cb.idle_ns - ca.idle_ns >= 10 * 1000 * 1000));
    P("cpu context switches grew: %s", yes(cb.context_switches > ca.context_switches));
    P("cpu hypercalls grew >= 100: %s", yes(cb.hypercalls - ca.hypercalls >= 100));
}

static void errors(void)
{
    static struct mica_stats_domain s;
    static struct mica_stats_cpu c;

    P("read_domain(d5) = %s", rc_str(read_dom(5, MICA_STATS_VERSION, &s)));
    P("read_domain(version 2) = %s", rc_str(read_dom(DOMID_SELF, 2, &s)));
    P("read_domain(version 0) = %s", rc_str(read_dom(DOMID_SELF, 0, &s)));
    P("read_domain(hypervisor address) = %s",
      rc_str(stats_op(MICA_STATSOP_read_domain, 0xffff800000000000UL)));
    P("read_domain(NULL) = %s", rc_str(stats_op(MICA_STATSOP_read_domain, 0)));
    P("read_cpu(1) = %s", rc_str(read_cpu(1, MICA_STATS_VERSION, &c)));
    P("read_cpu(version 9) = %s", rc_str(read_cpu(0, 9, &c)));
    P("op 4 = %s", rc_str(stats_op(4, 0)));
    P("reset(d7) = %s", rc_str(stats_op(MICA_STATSOP_reset, 7)));
    P("reset(self) = %s", rc_str(stats_op(MICA_STATSOP_reset, DOMID_SELF)));
    read_dom(DOMID_SELF, MICA_STATS_VERSION, &s);
    P("after reset: xen_version %lu, mica_stats_op %lu", (unsigned long)s.hypercalls[17],
      (unsigned long)s.hypercalls[55]);
    P("reset(all) = %s", rc_str(stats_op(MICA_STATSOP_reset, MICA_STATS_RESET_ALL)));
    read_cpu(0, MICA_STATS_VERSION, &c);
    P("after reset all: cpu hypercalls %lu", (unsigned long)c.hypercalls);
}

/* Read the console until a '.' arrives (or 60 s pass); print it with ^X for control bytes. */
static void console_input(void)
{
    char got[256], shown[512];
    size_t n = 0, m = 0;
    uint64_t deadline = system_time_ns() + 60ULL * 1000 * 1000 * 1000;

    P("waiting for console input");
    while (n < sizeof(got) && !memchr(got, '.', n) && system_time_ns() < deadline) {
        long r = HYPERVISOR_console_io(CONSOLEIO_read, (unsigned int)(sizeof(got) - n), got + n);
        if (r < 0) {
            P("CONSOLEIO_read = %s", rc_str(r));
            return;
        }
        n += (size_t)r;
        if (!r)
            sleep_ns(10 * 1000 * 1000);
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
}

int main(void)
{
    char value[8];

    traps_init();
    events_init();
    sched_init();
    long v = stats_op(MICA_STATSOP_version, 0);
    P("mica_stats_op(version) = %s", rc_str(v));
    if (v == MICA_STATS_VERSION) {
        counting();
        errors();
        if (cmdline_get("input", value, sizeof(value)) >= 0)
            console_input();
    }
    probe_done();
    return 0;
}
