/*
 * test=net: the driver domain's network path (issue 11). Brings up the e1000 and lwIP, gets
 * an address by DHCP from QEMU's user network (or the static fallback), serves ICMP echo and
 * UDP echo on port 7 until a datagram "quit" arrives or `net_timeout=` seconds (default 300)
 * pass, then prints the counters. tests/system/t-net-driver.sh drives it from the host.
 */
#include <stdio.h>
#include <stdlib.h>

#include <pvguest/cmdline.h>
#include <pvguest/e1000.h>
#include <pvguest/net.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#include "selftest_net.h"

int net_selftest(void)
{
    char addr[16], value[16];
    unsigned long timeout_s = 300;
    uint64_t deadline;
    long rc;
    bool dhcp, verbose = cmdline_get("net_verbose", value, sizeof(value)) >= 0;

    if (cmdline_get("net_timeout", value, sizeof(value)) >= 0)
        timeout_s = strtoul(value, NULL, 10);
    printf("pvguest: test net: start\n");
    rc = net_start(0, NULL);
    if (rc < 0) {
        printf("pvguest: net: e1000/lwIP start failed: %ld (FAILED)\n", rc);
        return 1;
    }
    const uint8_t *m = net_mac();
    printf("pvguest: net: e1000 MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s\n", m[0], m[1], m[2],
           m[3], m[4], m[5], e1000_link_up() ? "up" : "down");
    dhcp = net_wait_address(5000, addr);
    printf("pvguest: net: address %s (%s)\n", addr, dhcp ? "DHCP" : "static fallback");
    rc = net_echo_start(7);
    if (rc < 0) {
        printf("pvguest: net: UDP echo on port 7 failed: %ld (FAILED)\n", rc);
        return 1;
    }
    printf("pvguest: net: ready: ICMP echo, UDP and TCP echo on port 7\n");
    fflush(stdout);
    deadline = system_time_ns() + timeout_s * NSEC_PER_SEC;
    for (uint64_t next = system_time_ns(); !net_echo_quit() && system_time_ns() < deadline;) {
        sleep_ns(50 * NSEC_PER_MSEC);
        if (verbose && system_time_ns() >= next) {
            next = system_time_ns() + 2 * NSEC_PER_SEC;
            printf("pvguest: net: irq %lu rx %lu/%lu err %lu tx %lu/%lu echo %lu\n",
                   e1000_stats.interrupts, e1000_stats.rx_frames, net_stats.rx_frames,
                   e1000_stats.rx_errors, e1000_stats.tx_frames, net_stats.tx_errors,
                   net_stats.echo_udp);
        }
    }
    sleep_ns(50 * NSEC_PER_MSEC); /* let the "quit" echo leave */
    e1000_update_stats();
    printf("pvguest: net: e1000: %lu interrupts, rx %lu frames %lu bytes %lu errors, tx %lu "
           "frames %lu bytes %lu ring full; hw: good rx %lu tx %lu, missed %lu, crc errors %lu\n",
           e1000_stats.interrupts, e1000_stats.rx_frames, e1000_stats.rx_bytes,
           e1000_stats.rx_errors, e1000_stats.tx_frames, e1000_stats.tx_bytes, e1000_stats.tx_full,
           e1000_stats.hw_rx_good, e1000_stats.hw_tx_good, e1000_stats.hw_missed,
           e1000_stats.hw_crc_errors);
    printf("pvguest: net: lwIP: rx %lu frames (%lu dropped), tx %lu frames (%lu errors), %lu UDP "
           "echoes, %lu TCP echo connections (%lu bytes)\n",
           net_stats.rx_frames, net_stats.rx_dropped, net_stats.tx_frames, net_stats.tx_errors,
           net_stats.echo_udp, net_stats.echo_tcp_conns, net_stats.echo_tcp_bytes);
    printf("pvguest: net: TCP echo refused %lu times (send buffer full)\n",
           net_stats.echo_tcp_refused);
    if (!net_echo_quit()) {
        printf("pvguest: test net: FAILED (no \"quit\" within %lu s)\n", timeout_s);
        return 1;
    }
    printf("pvguest: test net: passed\n");
    return 0;
}
