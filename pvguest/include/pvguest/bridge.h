/*
 * bridge — the driver domain's Ethernet bridge (issue 11): every guest's vif (netback),
 * the driver domain's own interface (lwIP) and the e1000 are ports. A frame handed in on
 * one port goes out on the ports bridge_table.h decides (fixed MACs for vifs, learning for
 * the others, flooding of broadcast, multicast and unknown unicast; broadcast and multicast
 * limited per input port to BRIDGE_STORM_RATE frames per second). Single vCPU with
 * cooperative threads: callable from threads; a port's transmit function must not block
 * (it queues or drops).
 */
#ifndef PVGUEST_BRIDGE_H
#define PVGUEST_BRIDGE_H

#include <stdint.h>

#include <pvguest/bridge_table.h>

/** A port's transmit: send the @len-byte Ethernet frame @frame (no FCS) out of the port. */
typedef void (*bridge_xmit_fn)(void *priv, const uint8_t *frame, uint32_t len);

/** Counters of one port. */
struct bridge_port_stats {
    unsigned long in, out;        /* frames handed in by the port, sent out of it */
    unsigned long spoofed, local; /* dropped: bad source, destination on the same port */
    unsigned long runts;          /* dropped: shorter than an Ethernet header */
    unsigned long storm;          /* dropped: group frames over BRIDGE_STORM_RATE */
};

/**
 * Add a port named @name (copied) whose frames go out through @xmit(@priv, ...). A vif passes
 * its configured @fixed_mac; the e1000 and others pass NULL (their sources are learned).
 * Returns the port number (>= 0) or -1 (BRIDGE_MAX_PORTS reached, or the MAC is taken).
 */
int bridge_add_port(const char *name, const uint8_t *fixed_mac, bridge_xmit_fn xmit, void *priv);

/** A frame arrived on @port: forward it. Never blocks. */
void bridge_input(int port, const uint8_t *frame, uint32_t len);

/** The port's counters, or NULL. */
const struct bridge_port_stats *bridge_port_stats(int port);

/** Print one line of counters per port ("pvguest: bridge: ..."). */
void bridge_report(void);

#endif /* PVGUEST_BRIDGE_H */
