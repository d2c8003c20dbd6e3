/*
 * netback_net.c — the bridge's two other ports in the driver domain (issue 11): the e1000
 * (frames from QEMU's user network; learned MACs, promiscuous so frames for the guests'
 * MACs arrive) and the driver domain's own lwIP interface (pvguest/net.h; fixed MAC, the
 * e1000's). lwIP's output hook and the e1000's receive handler are pointed at the bridge,
 * so lwIP, the e1000 and every vif reach each other only through bridge_input().
 * test=netback-net runs netback with them and lwIP's UDP echo service on port 7.
 */
#include <stdio.h>
#include <stdlib.h>

#include <xen/errno.h>

#include <pvguest/bridge.h>
#include <pvguest/cmdline.h>
#include <pvguest/e1000.h>
#include <pvguest/net.h>
#include <pvguest/netback.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

static int e1000_port = -1, lwip_port = -1;
static unsigned long oversize;

/* The bridge's transmit to the e1000: frames over E1000_MAX_FRAME cannot go (no TSO). */
static void to_e1000(void *priv, const uint8_t *frame, uint32_t len)
{
    (void)priv;
    if (len > E1000_MAX_FRAME) {
        oversize++;
        return;
    }
    e1000_send(frame, len);
}

/* The bridge's transmit to lwIP (copied into a pbuf by net_input). */
static void to_lwip(void *priv, const uint8_t *frame, uint32_t len)
{
    (void)priv;
    if (len > E1000_MAX_FRAME) {
        oversize++;
        return;
    }
    net_input(frame, len);
}

static long from_lwip(const void *frame, size_t len, void *arg)
{
    (void)arg;
    bridge_input(lwip_port, frame, (uint32_t)len);
    return 0;
}

static void from_e1000(const void *frame, size_t len, void *arg)
{
    (void)arg;
    bridge_input(e1000_port, frame, (uint32_t)len);
}

int netback_net_start(unsigned int net_flags)
{
    long rc = net_start(net_flags & ~NET_NO_E1000, NULL);

    if (rc < 0) {
        printf("pvguest: netback: net_start (e1000, lwIP) = %ld\n", rc);
        return (int)rc;
    }
    e1000_port = bridge_add_port("e1000", NULL, to_e1000, NULL);
    lwip_port = bridge_add_port("lwip", net_mac(), to_lwip, NULL);
    if (e1000_port < 0 || lwip_port < 0)
        return -XEN_ENOSPC;
    e1000_set_promiscuous(true);
    net_set_output(from_lwip, NULL);
    e1000_set_rx_handler(from_e1000, NULL);
    return 0;
}

/* `netstats=S`: the bridge's counters every S seconds (for debugging a run that hangs). */
static void stats_thread(void *arg)
{
    uint64_t period = (uint64_t)(unsigned long)arg * 1000000000ULL;

    for (;;) {
        sleep_ns(period);
        e1000_update_stats();
        printf("pvguest: netback-net: e1000 rx %lu (errors %lu, GPRC %lu, MPC %lu), tx %lu (full "
               "%lu, GPTC %lu), link %s; lwIP rx %lu, tx %lu, echoes %lu\n",
               e1000_stats.rx_frames, e1000_stats.rx_errors, e1000_stats.hw_rx_good,
               e1000_stats.hw_missed, e1000_stats.tx_frames, e1000_stats.tx_full,
               e1000_stats.hw_tx_good, e1000_link_up() ? "up" : "down", net_stats.rx_frames,
               net_stats.tx_frames, net_stats.echo_udp);
        bridge_report();
    }
}

int netback_net_selftest(void)
{
    char buf[16];

    if (cmdline_get("netstats", buf, sizeof(buf)) > 0)
        thread_create("netstats", stats_thread, (void *)strtoul(buf, NULL, 0), 0);
    char addr[16];
    bool dhcp;
    int rc = netback_net_start(0);

    if (rc < 0) {
        printf("pvguest: test netback-net: FAILED\n");
        return 1;
    }
    dhcp = net_wait_address(10000, addr);
    printf("pvguest: test netback-net: lwIP on the bridge at %s (%s), echo on UDP port 7: %ld\n",
           addr, dhcp ? "DHCP" : "static", net_echo_start(7));
    rc = netback_start();
    if (rc <= 0) {
        printf("pvguest: test netback-net: netback_start = %d (FAILED)\n", rc);
        return 1;
    }
    printf("pvguest: test netback-net: serving %d vif(s)\n", rc);
    rc = netback_wait_closed(system_time_ns() + 600000000000ULL);
    e1000_update_stats();
    printf("pvguest: test netback-net: e1000 rx %lu, tx %lu, tx full %lu, oversize for "
           "e1000/lwIP %lu, lwIP echoes %lu\n",
           e1000_stats.rx_frames, e1000_stats.tx_frames, e1000_stats.tx_full, oversize,
           net_stats.echo_udp);
    printf("pvguest: test netback-net: %s\n", rc ? "FAILED (frontends still open)" : "passed");
    sleep_ns(300000000ULL);
    return rc ? 1 : 0;
}
