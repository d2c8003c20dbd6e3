/*
 * netfront — the guest's network frontend (issue 11; docs/pvguest.md "Network"): a vif from
 * the device tree's /devices (docs/bootcfg.md), its TX and RX rings (io/netif.h), control
 * page and event channel. It keeps RX buffers posted (one granted page each, re-posted as
 * soon as their frame is handed on), transmits without waiting for each completion (TX pages
 * granted once, reclaimed from responses as they come), and hands every received frame to a
 * callback (lwIP's netif input once the lwIP port exists), from its own thread.
 */
#ifndef PVGUEST_NETFRONT_H
#define PVGUEST_NETFRONT_H

#include <stdbool.h>
#include <stdint.h>

#include <sring/netif.h>

#define NETFRONT_RING_SLOTS 256 /* one page of either ring */

struct netfront;

/** A received frame (Ethernet header first, no FCS); runs in the netfront thread. */
typedef void (*netfront_rx_fn)(void *arg, const uint8_t *frame, uint32_t len);

/** The vif's address, backend and counters. */
struct netfront_info {
    uint8_t mac[6];
    domid_t backend;
    unsigned int rx_posted;                        /* RX buffers kept posted */
    unsigned long tx_packets, tx_slots, tx_errors; /* errors: NETIF_RSP_ERROR/DROPPED answers */
    unsigned long tx_waits;                        /* transmits that had to wait for free slots */
    unsigned long tx_full;                         /* netfront_try_xmit: no room, not sent */
    unsigned long rx_packets, rx_bytes, rx_errors; /* errors: error responses, bad ids */
    unsigned long events, notifies;
};

/**
 * Connect to vif number @index of /devices (0 = the first): map its rings and control page,
 * set up the grant table, bind the event channel, post @rx_buffers RX buffers (at most
 * NETFRONT_RING_SLOTS; 0 posts none: a test of a frontend that never takes frames), wait up to
 * @timeout_ns for the backend to be Connected, and start the thread that calls @rx(@arg, ...)
 * for each received frame. Returns the vif or NULL (message printed).
 */
struct netfront *netfront_open(unsigned int index, unsigned int rx_buffers, netfront_rx_fn rx,
                               void *arg, uint64_t timeout_ns);

/** The vif's information and counters. */
const struct netfront_info *netfront_info(const struct netfront *nf);

/**
 * Transmit the @len-byte frame @frame (copied; 14 .. 65535 bytes) in slots of at most
 * @slot_bytes bytes each (0: whole pages, so frames up to 4 KiB take one slot). Returns 0
 * once posted (the completion comes later), -XEN_EINVAL (bad length, or more than
 * XEN_NETIF_NR_SLOTS_MIN slots), -XEN_EAGAIN (no free slots within 1 s), or a ring
 * protocol error.
 */
int netfront_xmit(struct netfront *nf, const void *frame, uint32_t len, uint32_t slot_bytes);

/**
 * As netfront_xmit() in whole-page slots, but never waits: -XEN_EAGAIN at once when the ring
 * has no room (counted in tx_full). For callers that must not sleep, such as lwIP's output
 * (lwIP is not reentrant: another thread could enter it while this one slept); TCP resends.
 */
int netfront_try_xmit(struct netfront *nf, const void *frame, uint32_t len);

/**
 * Post the @n requests @reqs as they are (tests of hostile frontends: nothing is checked;
 * each request's id is replaced by one of the frontend's own), then wait up to 1 s for their
 * responses; status[i] receives request i's NETIF_RSP_* (or 2 if none came). Returns 0, or a
 * negated error.
 */
int netfront_raw_tx(struct netfront *nf, const struct netif_tx_request *reqs, unsigned int n,
                    int16_t *status);

/**
 * Move the TX ring's req_prod 1000 past what was posted and notify (a test of hostile
 * frontends: the backend must stop serving this vif, io/ring.h's RING_REQUEST_PROD_OVERFLOW).
 * The vif's TX is unusable afterwards.
 */
void netfront_raw_break_ring(struct netfront *nf);

/** A TX page's grant reference (one of NETFRONT_RING_SLOTS read-only grants), for raw requests. */
grant_ref_t netfront_tx_gref(const struct netfront *nf, unsigned int i);

/** Tell the backend we are closing (state Closed) and stop taking frames. */
void netfront_close(struct netfront *nf);

/**
 * netfront_net.c: open vif 0 and run lwIP on it (net_start(NET_NO_E1000) with the vif's MAC,
 * output through netfront_xmit, frames to net_input). Returns the vif, or NULL.
 */
struct netfront *netfront_net_start(void);

/** test=netfront-net [ip=A.B.C.D]: lwIP on netfront (DHCP, or the fixed address) with UDP
 *  echo on port 7, until a datagram "quit" (at most 300 s). 0, or 1 (no quit). */
int netfront_net_selftest(void);

#endif /* PVGUEST_NETFRONT_H */
