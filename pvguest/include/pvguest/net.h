/*
 * The guest kernel's IPv4 stack: lwIP 2.1.3 (NO_SYS=1, raw API) over one Ethernet interface,
 * pvguest/net/ (issue 11). docs/pvguest.md, "Network", describes it.
 *
 * Frames flow through two replaceable hooks, so a bridge (netback) can sit between lwIP and
 * the wire:
 *
 *     lwIP --(linkoutput)--> net_output hook --(default: e1000_send)--> e1000
 *     e1000 --(e1000_set_rx_handler; default: net_input)--> net_input --> lwIP
 *
 * A bridge calls net_set_output(bridge_from_lwip, arg) to receive what lwIP sends, takes the
 * e1000's frames with e1000_set_rx_handler(), and calls net_input() for the frames it forwards
 * to the driver domain's own stack. With a netfront instead of the e1000, the same two hooks
 * connect lwIP to the frontend (net_start(NET_NO_E1000)).
 *
 * Threads: lwIP runs in thread context only (never in event handlers). Threads are
 * cooperative, so lwIP needs no lock as long as no caller blocks inside a callback.
 */
#ifndef PVGUEST_NET_H
#define PVGUEST_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** How lwIP's outgoing frames leave: returns 0 or a negated Xen error code (the frame is then
    dropped and counted). `frame` is valid only during the call. */
typedef long (*net_output_t)(const void *frame, size_t len, void *arg);

/** net_start() flags. */
enum net_flags {
    NET_NO_E1000 = 1, /* do not take the e1000: the caller sets the output hook and MAC */
    NET_NO_DHCP = 2,  /* no DHCP client: the caller sets a fixed address (net_set_static) */
};

/** Counters since net_start(). */
struct net_stats {
    unsigned long rx_frames;        /* frames given to lwIP by net_input */
    unsigned long rx_dropped;       /* frames net_input could not buffer (no pbuf) */
    unsigned long tx_frames;        /* frames lwIP sent through the output hook */
    unsigned long tx_errors;        /* frames the output hook refused */
    unsigned long echo_udp;         /* UDP echo replies sent */
    unsigned long echo_tcp_conns;   /* TCP echo connections accepted */
    unsigned long echo_tcp_bytes;   /* bytes echoed over TCP */
    unsigned long echo_tcp_refused; /* segments the TCP echo refused (send buffer full) */
};

extern struct net_stats net_stats;

/**
 * Bring up the interface: unless NET_NO_E1000, e1000_init() and hooks to it (MAC from the
 * EEPROM); lwIP's init, the netif (MTU 1500, Ethernet, ARP), the timer thread ("lwip"), and
 * DHCP (unless NET_NO_DHCP: a lease taken and dropped would hold the address QEMU's DHCP server
 * gives its first client). `mac` (6 bytes) is used with NET_NO_E1000 and ignored otherwise. Returns
 * 0 or e1000_init()'s error. Needs mm_init(), events_init() and sched_init() first.
 */
long net_start(unsigned int flags, const uint8_t *mac);

/**
 * Wait until DHCP gave an address or `timeout_ms` passed; then fall back to the static
 * address QEMU's user network gives its first client (10.0.2.15/24, gateway 10.0.2.2).
 * Writes the address as text to `buf` (at least 16 bytes). Returns true if DHCP answered.
 */
bool net_wait_address(unsigned int timeout_ms, char *buf);

/**
 * Stop DHCP and use the fixed address @text (dotted IPv4) on QEMU's user network: netmask
 * 255.255.255.0, gateway 10.0.2.2. Returns false (nothing changed) if @text is not an address.
 */
bool net_set_static(const char *text);

/**
 * The address from @ip (dotted IPv4: net_set_static), or, if @ip is NULL or not an address
 * (said on the console), from DHCP within @dhcp_timeout_ms (net_wait_address, with its
 * fallback; DHCP is started if net_start was told NET_NO_DHCP). The address as text into
 * @buf (at least 16 bytes). Returns how it was set: "fixed", "DHCP" or "fallback".
 */
const char *net_configure_address(const char *ip, unsigned int dhcp_timeout_ms, char *buf);

/** Hand one received Ethernet frame (14..1514 bytes, no CRC) to lwIP; the frame is copied. */
void net_input(const void *frame, size_t len);

/** Replace the output hook (NULL restores the e1000 or, with NET_NO_E1000, drops). */
void net_set_output(net_output_t output, void *arg);

/** The interface's MAC address (6 bytes). */
const uint8_t *net_mac(void);

/**
 * Start the echo service (RFC 862) on `port`, UDP and TCP: each datagram goes back to its
 * sender, each TCP connection gets its bytes back. A UDP datagram that is exactly "quit" is
 * echoed and then sets the flag net_echo_quit().
 * Returns 0 or -XEN_ENOMEM / -XEN_EADDRINUSE.
 */
long net_echo_start(uint16_t port);

/** True once the echo service received "quit". */
bool net_echo_quit(void);

#endif /* PVGUEST_NET_H */
