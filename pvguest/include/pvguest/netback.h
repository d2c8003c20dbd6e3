/*
 * netback — the driver domain's network backend (issue 11; docs/pvguest.md "Network").
 * For each vif in the device tree's /backends (docs/bootcfg.md) it maps the frontend's TX
 * and RX rings and control page, binds the event channel, adds the vif to the bridge
 * (bridge.h) with its configured MAC, and serves it from one thread:
 *
 *   TX: every request is copied out of the ring (sring), checked (netif_check.c), the
 *       packet's bytes are grant-copied (GNTTABOP_copy) from the guest's pages into private
 *       pages and handed to the bridge; a malformed packet or a grant that does not copy is
 *       answered NETIF_RSP_ERROR on every slot, counted and dropped;
 *   RX: a frame the bridge sends to the vif is grant-copied into buffers the frontend
 *       posted (one page each, NETRXF_more_data chaining several); with too few buffers it
 *       is dropped and counted, never waited for.
 */
#ifndef PVGUEST_NETBACK_H
#define PVGUEST_NETBACK_H

#include <stdint.h>

#include <pvguest/netif_check.h>

/** Counters of one vif. */
struct netback_stats {
    unsigned long tx_packets, tx_slots, tx_bytes;      /* TX packets forwarded to the bridge */
    unsigned long tx_errors;                           /* TX packets answered NETIF_RSP_ERROR */
    unsigned long tx_malformed[NETIF_CHECK_NR_ERRORS]; /* of those: by netif_check verdict */
    unsigned long tx_bad_grants;                       /* of those: a grant copy failed */
    unsigned long rx_packets, rx_slots, rx_bytes;      /* frames delivered */
    unsigned long rx_no_buffers;                       /* frames dropped: too few posted buffers */
    unsigned long rx_bad_grants;                       /* RX slots answered error: copy failed */
    unsigned long rx_too_long;                         /* frames over 64 KiB (never delivered) */
    unsigned long events, notifies;
    unsigned long rx_flushes;    /* RX pushes: one per burst of frames handed to the vif */
    unsigned long yields;        /* TX passes that hit the budget */
    unsigned long tx_copy_calls; /* GNTTABOP_copy calls for TX: one per batch of packets */
    int ring_error;              /* a ring protocol error (vif stopped), or 0 */
};

/**
 * Start serving every vif of this domain's device tree. Needs mm_init(), events_init(),
 * sched_init(). Returns the number started (0: none), or a negated error if one could not
 * be set up (the others still run).
 */
int netback_start(void);

/**
 * Wait until every vif's frontend has closed or @deadline_ns (system time) passes; print a
 * summary line per vif and the bridge's counters. Returns the number still open.
 */
int netback_wait_closed(uint64_t deadline_ns);

/** test=netback: netback_start(), wait for the frontends (up to 600 s); 0, or 1 (failed). */
int netback_selftest(void);

/**
 * netback_net.c: bring up the e1000 and lwIP (net_start) and make both bridge ports: the
 * e1000 learning, promiscuous; lwIP with its fixed MAC. Call before netback_start(). 0 or a
 * negated error (net_start's, or -XEN_ENOSPC: no bridge port). @net_flags go to net_start
 * (NET_NO_DHCP: the caller sets a fixed address).
 */
int netback_net_start(unsigned int net_flags);

/** test=netback-net: netback_net_start(), lwIP's address and UDP echo on port 7, then as
 *  test=netback. 0, or 1 (failed). */
int netback_net_selftest(void);

#endif /* PVGUEST_NETBACK_H */
