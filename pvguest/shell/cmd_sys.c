/*
 * The shell's network and system commands (shell_cmds.h): ifconfig, ping, date, uptime,
 * sleep, counters, poweroff.
 *
 * Formats: ifconfig after net-tools' ifconfig, ping after iputils' ping (its reply lines and
 * statistics), date after GNU date's default "%a %b %e %H:%M:%S %Z %Y", uptime after procps'.
 * lwIP (lwIP 2.1.3 raw API, NO_SYS) is called from the shell's thread: threads are
 * cooperative, so it is never entered twice (net.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lwip/dhcp.h>
#include <lwip/inet_chksum.h>
#include <lwip/ip4_addr.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/prot/icmp.h>
#include <lwip/prot/ip4.h>
#include <lwip/raw.h>

#include <pvguest/blkfront.h>
#include <pvguest/events.h>
#include <pvguest/httpd.h>
#include <pvguest/hypercall.h>
#include <pvguest/net.h>
#include <pvguest/netfront.h>
#include <pvguest/sched.h>
#include <pvguest/shutdown.h>
#include <pvguest/time.h>

#include "../../hypervisor/include/public/mica_stats.h"
#include "shell_cmds.h"

/* ---- ifconfig ---------------------------------------------------------------------- */

int cmd_ifconfig(struct shell_env *env, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_usage("ifconfig");
    struct netif *n = netif_default;
    if (!env->nf || !n) {
        shell_err("ifconfig", "no network interface");
        return SHELL_FAIL;
    }
    char a[16], m[16], g[16];
    ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof(a));
    ip4addr_ntoa_r(netif_ip4_netmask(n), m, sizeof(m));
    ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof(g));
    const struct netfront_info *fi = netfront_info(env->nf);

    printf("eth0: flags=<%s%s%s>  mtu %u\n", netif_is_up(n) ? "UP" : "DOWN",
           netif_is_link_up(n) ? ",RUNNING" : "",
           (n->flags & NETIF_FLAG_BROADCAST) ? ",BROADCAST" : "", n->mtu);
    printf("        inet %s  netmask %s  gateway %s  (%s)\n", a, m, g,
           dhcp_supplied_address(n) ? "DHCP" : "static");
    printf("        ether %02x:%02x:%02x:%02x:%02x:%02x  (netfront, backend domain %u)\n",
           n->hwaddr[0], n->hwaddr[1], n->hwaddr[2], n->hwaddr[3], n->hwaddr[4], n->hwaddr[5],
           (unsigned int)fi->backend);
    printf("        RX packets %lu  bytes %lu  errors %lu  dropped %lu\n", fi->rx_packets,
           fi->rx_bytes, fi->rx_errors, net_stats.rx_dropped);
    printf("        TX packets %lu  slots %lu  errors %lu  dropped %lu\n", fi->tx_packets,
           fi->tx_slots, fi->tx_errors, net_stats.tx_errors);
    return SHELL_OK;
}

/* ---- ping -------------------------------------------------------------------------- */

#define PING_DATA  56 /* iputils' default: 64 bytes of ICMP */
#define PING_MAX   100
#define PING_ID    0x6d69 /* "mi" */
#define PING_SLICE (50 * NSEC_PER_MSEC)

#if LWIP_RAW
struct ping {
    ip_addr_t dst;
    const char *host;
    unsigned int sent, received;
    uint64_t sent_at[PING_MAX + 1];
    bool got[PING_MAX + 1];
    double min, max, sum, sum2; /* ms */
};

/* Echo replies to our requests (raw pcbs see the IP header first); others pass on. */
static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    struct ping *ps = arg;
    struct ip_hdr iph;
    struct icmp_echo_hdr eh;
    uint64_t now = system_time_ns();

    (void)pcb;
    if (pbuf_copy_partial(p, &iph, sizeof(iph), 0) != sizeof(iph))
        return 0;
    u16_t hl = IPH_HL_BYTES(&iph);
    if (pbuf_copy_partial(p, &eh, sizeof(eh), hl) != sizeof(eh) || eh.type != ICMP_ER ||
        eh.id != PP_HTONS(PING_ID) || !ip_addr_cmp(addr, &ps->dst))
        return 0;
    unsigned int seq = lwip_ntohs(eh.seqno);
    if (seq >= 1 && seq <= ps->sent && !ps->got[seq]) {
        double ms = (double)(now - ps->sent_at[seq]) / 1e6;
        ps->got[seq] = true;
        ps->received++;
        ps->sum += ms;
        ps->sum2 += ms * ms;
        if (ps->received == 1 || ms < ps->min)
            ps->min = ms;
        if (ms > ps->max)
            ps->max = ms;
        printf("%u bytes from %s: icmp_seq=%u ttl=%u time=%.*f ms\n", p->tot_len - hl,
               ip4addr_ntoa(ip_2_ip4(addr)), seq, IPH_TTL(&iph),
               ms < 1     ? 3
               : ms < 10  ? 2
               : ms < 100 ? 1
                          : 0,
               ms);
        fflush(stdout);
    }
    pbuf_free(p);
    return 1;
}

static bool ping_send(struct raw_pcb *pcb, struct ping *ps, unsigned int seq)
{
    struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA, PBUF_RAM);
    if (!p)
        return false;
    struct icmp_echo_hdr *eh = p->payload;
    eh->type = ICMP_ECHO;
    eh->code = 0;
    eh->chksum = 0;
    eh->id = PP_HTONS(PING_ID);
    eh->seqno = lwip_htons((u16_t)seq);
    uint8_t *data = (uint8_t *)(eh + 1);
    for (int i = 0; i < PING_DATA; i++)
        data[i] = (uint8_t)i;
    eh->chksum = inet_chksum(eh, (u16_t)(sizeof(*eh) + PING_DATA));
    ps->sent_at[seq] = system_time_ns();
    ps->sent = seq;
    err_t e = raw_sendto(pcb, p, &ps->dst);
    pbuf_free(p);
    return e == ERR_OK;
}

/* Sleep until @deadline or until every request sent so far has its answer (if @early);
   false on Ctrl-C. */
static bool ping_wait(struct ping *ps, uint64_t deadline, bool early)
{
    for (;;) {
        uint64_t now = system_time_ns();
        if (now >= deadline || (early && ps->received == ps->sent))
            return true;
        if (shell_interrupted())
            return false;
        sleep_ns(deadline - now < PING_SLICE ? deadline - now : PING_SLICE);
    }
}
#endif

int cmd_ping(struct shell_env *env, int argc, char **argv)
{
    uint64_t count = 4;
    int i = 1;

    if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
        if (!shell_parse_u64(argv[i + 1], &count) || count == 0 || count > PING_MAX) {
            shell_err("ping", "invalid count: '%s' (1 to %d)", argv[i + 1], PING_MAX);
            return SHELL_FAIL;
        }
        i += 2;
    }
    if (i != argc - 1)
        return shell_usage("ping");
#if !LWIP_RAW
    (void)env;
    (void)count;
    shell_err("ping", "not available (lwIP built without LWIP_RAW)");
    return SHELL_FAIL;
#else
    static struct ping ps; /* 1.6 KiB */
    memset(&ps, 0, sizeof(ps));
    ps.host = argv[i];
    if (!ip4addr_aton(ps.host, ip_2_ip4(&ps.dst))) {
        shell_err("ping", "%s: Name or service not known (an IPv4 address is needed)", ps.host);
        return SHELL_FAIL;
    }
    IP_SET_TYPE_VAL(ps.dst, IPADDR_TYPE_V4);
    if (!env->nf || !netif_default || !netif_is_up(netif_default)) {
        shell_err("ping", "no network interface");
        return SHELL_FAIL;
    }
    struct raw_pcb *pcb = raw_new(IP_PROTO_ICMP);
    if (!pcb) {
        shell_err("ping", "no raw pcb (lwIP's MEMP_NUM_RAW_PCB)");
        return SHELL_FAIL;
    }
    raw_recv(pcb, ping_recv, &ps);
    printf("PING %s (%s) %d(%d) bytes of data.\n", ps.host, ps.host, PING_DATA, PING_DATA + 28);
    fflush(stdout);

    uint64_t start = system_time_ns();
    bool intr = false;
    for (unsigned int seq = 1; seq <= count && !intr; seq++) {
        if (!ping_send(pcb, &ps, seq)) {
            shell_err("ping", "sendmsg: No buffer space available");
        }
        uint64_t next = start + seq * NSEC_PER_SEC;
        intr = !ping_wait(&ps, next, seq == count);
    }
    uint64_t elapsed_ms = (system_time_ns() - start) / NSEC_PER_MSEC;
    raw_remove(pcb);

    printf("\n--- %s ping statistics ---\n", ps.host);
    printf("%u packets transmitted, %u received, %u%% packet loss, time %llums\n", ps.sent,
           ps.received, ps.sent ? (ps.sent - ps.received) * 100 / ps.sent : 0,
           (unsigned long long)elapsed_ms);
    if (ps.received) {
        double avg = ps.sum / ps.received, var = ps.sum2 / ps.received - avg * avg;
        printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", ps.min, avg, ps.max,
               sqrt(var > 0 ? var : 0));
    }
    return ps.received ? SHELL_OK : SHELL_FAIL;
#endif
}

/* ---- date, uptime, sleep ----------------------------------------------------------- */

int cmd_date(struct shell_env *env, int argc, char **argv)
{
    const char *fmt = "%a %b %e %H:%M:%S UTC %Y";
    int i = 1;

    (void)env;
    if (i < argc && strcmp(argv[i], "-u") == 0)
        i++; /* the guest's only time zone is UTC */
    if (i < argc && argv[i][0] == '+')
        fmt = argv[i++] + 1;
    if (i != argc)
        return shell_usage("date");
    time_t now = (time_t)(wall_clock_ns() / NSEC_PER_SEC);
    struct tm tm;
    char buf[256];
    gmtime_r(&now, &tm);
    if (strftime(buf, sizeof(buf), fmt, &tm) == 0 && fmt[0] != '\0') {
        shell_err("date", "the format's result is too long");
        return SHELL_FAIL;
    }
    printf("%s\n", buf);
    return SHELL_OK;
}

int cmd_uptime(struct shell_env *env, int argc, char **argv)
{
    (void)env;
    (void)argv;
    if (argc != 1)
        return shell_usage("uptime");
    /* System time counts from the hypervisor's boot: the system's uptime. */
    uint64_t up = system_time_ns() / NSEC_PER_SEC;
    time_t now = (time_t)(wall_clock_ns() / NSEC_PER_SEC);
    struct tm tm;
    char clock[16];
    gmtime_r(&now, &tm);
    strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
    unsigned long days = (unsigned long)(up / 86400), hours = (unsigned long)(up / 3600 % 24),
                  mins = (unsigned long)(up / 60 % 60), secs = (unsigned long)(up % 60);
    printf(" %s up ", clock);
    if (days)
        printf("%lu day%s, ", days, days == 1 ? "" : "s");
    printf("%lu:%02lu:%02lu\n", hours, mins, secs);
    return SHELL_OK;
}

/* SECONDS: a decimal number with an optional fraction and an optional unit s, m, h or d
   (coreutils' sleep). Returns nanoseconds, or false. */
static bool parse_duration(const char *s, uint64_t *ns)
{
    uint64_t whole = 0, frac = 0, scale = NSEC_PER_SEC;
    const char *p = s;
    int digits = 0;

    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (whole > 100000000)
            return false;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        uint64_t unit = NSEC_PER_SEC / 10;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            frac += (uint64_t)(*p - '0') * unit;
            unit /= 10;
        }
    }
    if (digits == 0)
        return false;
    uint64_t mult = 1;
    if (*p == 's')
        p++;
    else if (*p == 'm')
        mult = 60, p++;
    else if (*p == 'h')
        mult = 3600, p++;
    else if (*p == 'd')
        mult = 86400, p++;
    if (*p != '\0' || whole * mult > 100000000)
        return false;
    *ns = (whole * scale + frac) * mult;
    return true;
}

int cmd_sleep(struct shell_env *env, int argc, char **argv)
{
    uint64_t ns;

    (void)env;
    if (argc != 2)
        return shell_usage("sleep");
    if (!parse_duration(argv[1], &ns)) {
        shell_err("sleep", "invalid time interval '%s'", argv[1]);
        return SHELL_FAIL;
    }
    /* In slices, to notice Ctrl-C; lwIP and the HTTP server run meanwhile. */
    uint64_t deadline = system_time_ns() + ns;
    for (;;) {
        uint64_t now = system_time_ns();
        if (now >= deadline)
            return SHELL_OK;
        if (shell_interrupted())
            return SHELL_INTR;
        sleep_ns(deadline - now < 100 * NSEC_PER_MSEC ? deadline - now : 100 * NSEC_PER_MSEC);
    }
}

/* ---- counters ---------------------------------------------------------------------- */

/* Rows of up to two "name value" pairs. */
static int pair_col;

static void pair(const char *name, unsigned long long v)
{
    printf(pair_col ? "   %-22s %14llu\n" : "  %-22s %14llu", name, v);
    pair_col ^= 1;
}

static void pairs_end(void)
{
    if (pair_col)
        printf("\n");
    pair_col = 0;
}

static const char *const hypercall_names[MICA_STATS_NR_HYPERCALLS] = {
    [__HYPERVISOR_set_trap_table] = "set_trap_table",
    [__HYPERVISOR_mmu_update] = "mmu_update",
    [__HYPERVISOR_set_gdt] = "set_gdt",
    [__HYPERVISOR_stack_switch] = "stack_switch",
    [__HYPERVISOR_set_callbacks] = "set_callbacks",
    [__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
    [__HYPERVISOR_sched_op_compat] = "sched_op_compat",
    [__HYPERVISOR_platform_op] = "platform_op",
    [__HYPERVISOR_set_debugreg] = "set_debugreg",
    [__HYPERVISOR_get_debugreg] = "get_debugreg",
    [__HYPERVISOR_update_descriptor] = "update_descriptor",
    [__HYPERVISOR_memory_op] = "memory_op",
    [__HYPERVISOR_multicall] = "multicall",
    [__HYPERVISOR_update_va_mapping] = "update_va_mapping",
    [__HYPERVISOR_set_timer_op] = "set_timer_op",
    [__HYPERVISOR_event_channel_op_compat] = "event_channel_op_compat",
    [__HYPERVISOR_xen_version] = "xen_version",
    [__HYPERVISOR_console_io] = "console_io",
    [__HYPERVISOR_physdev_op_compat] = "physdev_op_compat",
    [__HYPERVISOR_grant_table_op] = "grant_table_op",
    [__HYPERVISOR_vm_assist] = "vm_assist",
    [__HYPERVISOR_update_va_mapping_otherdomain] = "update_va_mapping_otherdomain",
    [__HYPERVISOR_iret] = "iret",
    [__HYPERVISOR_vcpu_op] = "vcpu_op",
    [__HYPERVISOR_set_segment_base] = "set_segment_base",
    [__HYPERVISOR_mmuext_op] = "mmuext_op",
    [__HYPERVISOR_xsm_op] = "xsm_op",
    [__HYPERVISOR_nmi_op] = "nmi_op",
    [__HYPERVISOR_sched_op] = "sched_op",
    [__HYPERVISOR_callback_op] = "callback_op",
    [__HYPERVISOR_xenoprof_op] = "xenoprof_op",
    [__HYPERVISOR_event_channel_op] = "event_channel_op",
    [__HYPERVISOR_physdev_op] = "physdev_op",
    [__HYPERVISOR_hvm_op] = "hvm_op",
    [__HYPERVISOR_sysctl] = "sysctl",
    [__HYPERVISOR_domctl] = "domctl",
    [__HYPERVISOR_mica_stats_op] = "mica_stats_op",
};

static long mica_stats_op(unsigned int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_mica_stats_op, cmd, (unsigned long)arg);
}

/* Weak: an image without the HTTP server links the shell too (the address is then NULL). */
extern struct httpd_stats httpd_stats __attribute__((weak));

static void guest_counters(struct shell_env *env)
{
    printf("Guest: scheduler and events\n");
    pair("thread switches", sched_stats.switches);
    pair("vCPU blocks", sched_stats.blocks);
    pair("timer deadlines set", sched_stats.timer_sets);
    pair("timer events", sched_stats.timer_events);
    pair("event upcalls", evtchn_stats.upcalls);
    pair("event handler calls", evtchn_stats.dispatched);
    pair("events unhandled", evtchn_stats.unhandled);
    pairs_end();
    if (env->nf) {
        const struct netfront_info *fi = netfront_info(env->nf);
        printf("Guest: network (lwIP, netfront)\n");
        pair("lwIP rx frames", net_stats.rx_frames);
        pair("lwIP rx dropped", net_stats.rx_dropped);
        pair("lwIP tx frames", net_stats.tx_frames);
        pair("lwIP tx errors", net_stats.tx_errors);
        pair("netfront rx packets", fi->rx_packets);
        pair("netfront rx bytes", fi->rx_bytes);
        pair("netfront rx errors", fi->rx_errors);
        pair("netfront rx posted", fi->rx_posted);
        pair("netfront tx packets", fi->tx_packets);
        pair("netfront tx slots", fi->tx_slots);
        pair("netfront tx errors", fi->tx_errors);
        pair("netfront tx waits", fi->tx_waits);
        pair("netfront tx ring full", fi->tx_full);
        pair("netfront events", fi->events);
        pair("netfront notifies", fi->notifies);
        pairs_end();
    }
    if (env->bf) {
        const struct blkfront_info *bi = blkfront_info(env->bf);
        printf("Guest: disk (blkfront)\n");
        pair("sectors", bi->sectors);
        pair("requests", bi->requests);
        pair("errors", bi->errors);
        pair("max in flight", bi->max_in_flight);
        pair("events", bi->events);
        pair("notifies", bi->notifies);
        pairs_end();
    }
    if (&httpd_stats) {
        printf("Guest: HTTP server\n");
        pair("connections", httpd_stats.connections);
        pair("open now", httpd_stats.active);
        pair("requests", httpd_stats.requests);
        pair("bytes sent", httpd_stats.bytes_sent);
        pair("responses 2xx", httpd_stats.responses_2xx);
        pair("responses 3xx", httpd_stats.responses_3xx);
        pair("responses 4xx", httpd_stats.responses_4xx);
        pair("responses 5xx", httpd_stats.responses_5xx);
        pair("idle timeouts", httpd_stats.timeouts);
        pair("aborted", httpd_stats.aborted);
        pairs_end();
    }
}

int cmd_counters(struct shell_env *env, int argc, char **argv)
{
    static struct mica_stats_domain d;
    static struct mica_stats_cpu c;

    (void)argv;
    if (argc != 1)
        return shell_usage("counters");
    guest_counters(env);

    memset(&d, 0, sizeof(d));
    d.domid = DOMID_SELF;
    d.version = MICA_STATS_VERSION;
    long rc = mica_stats_op(MICA_STATSOP_read_domain, &d);
    if (rc < 0) {
        shell_err("counters", "mica_stats_op(read_domain): %s%s", shell_xen_strerror(rc),
                  rc == -XEN_ENOSYS ? " (not running on mica)" : "");
        return SHELL_FAIL;
    }
    printf("Hypervisor: this domain (mica_stats_op)\n");
    uint64_t total = d.hypercalls_other;
    for (int i = 0; i < MICA_STATS_NR_HYPERCALLS; i++)
        total += d.hypercalls[i];
    pair("hypercalls", total);
    for (int i = 0; i < MICA_STATS_NR_HYPERCALLS; i++) {
        char name[40];
        if (!d.hypercalls[i])
            continue;
        if (hypercall_names[i])
            snprintf(name, sizeof(name), "  %.36s", hypercall_names[i]);
        else
            snprintf(name, sizeof(name), "  hypercall %d", i);
        pair(name, d.hypercalls[i]);
    }
    if (d.hypercalls_other)
        pair("  hypercalls >= 64", d.hypercalls_other);
    pairs_end();
    pair("pages owned", d.tot_pages);
    pair("PTEs validated", d.ptes_validated);
    pair("tables promoted", d.tables_promoted);
    pair("tables demoted", d.tables_demoted);
    pair("validation failures", d.validation_failures);
    pair("TLB flushes", d.tlb_flushes);
    pair("invlpgs", d.invlpgs);
    pair("mmu_update requests", d.mmu_update_reqs);
    pair("mmuext ops", d.mmuext_ops);
    pair("update_va_mappings", d.update_va_mappings);
    pair("ptwr emulated", d.ptwr_emulated);
    pair("evtchn sends", d.evt_send_ops);
    pair("evtchn raised", d.evt_raised);
    pair("  upcalls raised", d.evt_upcalls_raised);
    pair("  already pending", d.evt_already_pending);
    pair("  masked", d.evt_masked);
    pair("  coalesced", d.evt_coalesced);
    pair("unmask upcalls", d.evt_unmask_upcalls);
    pair("upcalls delivered", d.upcalls_delivered);
    pair("grant maps", d.gnt_maps);
    pair("grant unmaps", d.gnt_unmaps);
    pair("grant copies", d.gnt_copies);
    pair("grant failures", d.gnt_failures);
    pair("time slices", d.slices);
    pair("run time (ms)", d.run_ns / NSEC_PER_MSEC);
    pairs_end();

    memset(&c, 0, sizeof(c));
    c.cpu = 0;
    c.version = MICA_STATS_VERSION;
    rc = mica_stats_op(MICA_STATSOP_read_cpu, &c);
    if (rc < 0) {
        shell_err("counters", "mica_stats_op(read_cpu): %s", shell_xen_strerror(rc));
        return SHELL_FAIL;
    }
    printf("Hypervisor: CPU 0\n");
    pair("context switches", c.context_switches);
    pair("idle entries", c.idle_entries);
    pair("idle time (ms)", c.idle_ns / NSEC_PER_MSEC);
    pair("timer interrupts", c.timer_interrupts);
    pair("hypercalls (all)", c.hypercalls);
    pair("trace records", c.trace_records);
    pair("debug keys", c.debug_keys);
    pair("uptime (ms)", c.now_ns / NSEC_PER_MSEC);
    pairs_end();
    return SHELL_OK;
}

/* ---- poweroff ---------------------------------------------------------------------- */

int cmd_poweroff(struct shell_env *env, int argc, char **argv)
{
    (void)env;
    (void)argv;
    if (argc != 1)
        return shell_usage("poweroff");
    int failed = shell_script_failures();
    if (failed)
        printf("Powering off: %d command(s) of the script failed, so as a failure (crash).\n",
               failed);
    else
        printf("Powering off.\n");
    fflush(stdout);
    fflush(stderr);
    guest_shutdown(failed ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}
