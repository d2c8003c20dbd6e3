/*
 * netfront_net.c — lwIP (pvguest/net.h) over netfront in a guest (issue 11): net_start
 * without the e1000, lwIP's output hook transmits through netfront_try_xmit(), netfront's frames
 * go to net_input(). test=netfront-net: an address by DHCP, or `ip=A.B.C.D` (a fixed one on
 * QEMU's 10.0.2.0/24, gateway 10.0.2.2), and lwIP's UDP echo service on port 7 until a
 * datagram "quit".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/cmdline.h>
#include <pvguest/net.h>
#include <pvguest/netfront.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

static bool lwip_up;
static unsigned long early, oversize;

static void to_lwip(void *arg, const uint8_t *frame, uint32_t len)
{
    (void)arg;
    if (!lwip_up) {
        early++; /* before net_start: lwIP cannot take it yet */
        return;
    }
    if (len > 1514) {
        oversize++;
        return;
    }
    net_input(frame, len);
}

static long from_lwip(const void *frame, size_t len, void *arg)
{
    /* Never sleep inside lwIP (netfront_try_xmit). */
    return netfront_try_xmit(arg, frame, (uint32_t)len);
}

struct netfront *netfront_net_start(void)
{
    struct netfront *nf = netfront_open(0, NETFRONT_RING_SLOTS, to_lwip, NULL, 10000000000ULL);
    long rc;

    if (!nf)
        return NULL;
    /* The hook first: net_start's DHCP discovery goes out at once (lost without it, DHCP
       would answer only at lwIP's retransmission, 2 s later). */
    net_set_output(from_lwip, nf);
    rc = net_start(NET_NO_E1000, netfront_info(nf)->mac);
    if (rc < 0) {
        printf("pvguest: netfront: net_start = %ld\n", rc);
        return NULL;
    }
    lwip_up = true;
    return nf;
}

int netfront_net_selftest(void)
{
    struct netfront *nf = netfront_net_start();
    char ip[20], addr[16];

    if (!nf) {
        printf("pvguest: test netfront-net: FAILED\n");
        return 1;
    }
    const char *how =
        net_configure_address(cmdline_get("ip", ip, sizeof(ip)) > 0 ? ip : NULL, 10000, addr);
    bool dhcp = strcmp(how, "DHCP") == 0;
    printf("pvguest: test netfront-net: lwIP on netfront at %s (%s), echo on UDP port 7: %ld\n",
           addr, dhcp ? "DHCP" : "fixed", net_echo_start(7));
    uint64_t deadline = system_time_ns() + 300000000000ULL;
    while (!net_echo_quit() && system_time_ns() < deadline)
        sleep_ns(20000000ULL);
    sleep_ns(100000000ULL); /* let the last echo go out */
    const struct netfront_info *in = netfront_info(nf);
    printf("pvguest: test netfront-net: echoes %lu, rx %lu (errors %lu, early %lu, oversize "
           "%lu), tx %lu (errors %lu); %s\n",
           net_stats.echo_udp, in->rx_packets, in->rx_errors, early, oversize, in->tx_packets,
           in->tx_errors, net_echo_quit() ? "passed" : "FAILED (no quit)");
    printf("pvguest: test netfront-net: tx ring full %lu (lwIP tx errors %lu), events %lu, "
           "notifications %lu, TCP echo %lu bytes (refused %lu times)\n",
           in->tx_full, net_stats.tx_errors, in->events, in->notifies, net_stats.echo_tcp_bytes,
           net_stats.echo_tcp_refused);
    netfront_close(nf);
    sleep_ns(20000000ULL);
    return net_echo_quit() ? 0 : 1;
}
