/*
 * bridge_table — the netback bridge's forwarding decisions, portable (no hypercalls, no
 * library calls) so the host unit test tests/unit/test_netif.c runs them. An IEEE 802.1D
 * learning bridge reduced to what mica needs:
 *
 *   - ports are numbered 0 .. BRIDGE_MAX_PORTS-1 (a guest's vif, the driver domain's own
 *     interface, the e1000);
 *   - a port may have a fixed MAC (a vif's configured address): frames from it must carry
 *     that source (others are spoofed and dropped), unicast to that MAC goes to it only, and
 *     it never receives unicast for anyone else (no flooding of unknown unicast into it), so
 *     a guest cannot see frames meant for another guest's MAC;
 *   - other ports (the e1000) learn the sources they send, entries age out;
 *   - broadcast and multicast go to every port but the one they came in on; unicast to a
 *     learned or fixed MAC to its port; unknown unicast to the ports without a fixed MAC.
 */
#ifndef PVGUEST_BRIDGE_TABLE_H
#define PVGUEST_BRIDGE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define BRIDGE_MAX_PORTS 16 /* port masks are 32-bit; 16 is plenty (8 domains) */
#define BRIDGE_ENTRIES   64 /* learned addresses; the oldest is replaced when full */
#define BRIDGE_AGE_NS    (300ULL * 1000000000ULL) /* 802.1D's default ageing time: 300 s */

/** One learned address. */
struct bridge_entry {
    uint8_t mac[6];
    uint8_t port;
    bool used;
    uint64_t seen_ns; /* system time of the last frame from it */
};

/** The table: fixed MACs per port, learned entries, counters. */
struct bridge_table {
    unsigned int nr_ports;
    uint32_t fixed_mask; /* ports with a fixed MAC */
    uint8_t fixed_mac[BRIDGE_MAX_PORTS][6];
    struct bridge_entry e[BRIDGE_ENTRIES];
    uint64_t age_ns;
    unsigned long learned, replaced, moved; /* new entries, evictions when full, port moves */
};

/** Why bridge_decide() dropped a frame (BRIDGE_FORWARD: it did not). */
enum bridge_verdict {
    BRIDGE_FORWARD = 0,
    BRIDGE_DROP_SPOOFED,  /* source is not the port's fixed MAC, or is multicast */
    BRIDGE_DROP_LOCAL,    /* destination is on the port it came from */
    BRIDGE_DROP_BAD_PORT, /* in_port out of range */
};

/** An empty table of @nr_ports ports (at most BRIDGE_MAX_PORTS), entries ageing after @age_ns. */
void bridge_table_init(struct bridge_table *t, unsigned int nr_ports, uint64_t age_ns);

/**
 * Give @port the fixed MAC @mac (a vif's). Returns 0, or -1 if the port is out of range,
 * the MAC is multicast, or another port already has it.
 */
int bridge_table_set_fixed(struct bridge_table *t, unsigned int port, const uint8_t mac[6]);

/** The port a unicast @mac is at (fixed, or learned and not aged at @now_ns), or -1. */
int bridge_table_lookup(const struct bridge_table *t, const uint8_t mac[6], uint64_t now_ns);

/** Forget what was learned on @port (it went down). */
void bridge_table_flush_port(struct bridge_table *t, unsigned int port);

/**
 * Decide where a frame with destination @dst and source @src that came in on @in_port goes,
 * learning @src on a port without a fixed MAC. *@out_mask receives the ports (bit n = port
 * n) to send it to (0 when dropped). Returns the verdict.
 */
enum bridge_verdict bridge_decide(struct bridge_table *t, unsigned int in_port,
                                  const uint8_t dst[6], const uint8_t src[6], uint64_t now_ns,
                                  uint32_t *out_mask);

/*
 * Storm control: a token bucket per input port for broadcast and multicast frames (they go
 * to every port, so one guest's flood would fill every other guest's RX ring). A frame costs
 * 1e9 / rate ns of budget; the budget grows by 1 ns per ns up to burst frames' worth.
 */
#define BRIDGE_STORM_RATE  1000u /* group frames per second and port */
#define BRIDGE_STORM_BURST 200u  /* frames at once after a quiet period */

/** One port's bucket. */
struct bridge_rate {
    uint64_t budget_ns; /* accumulated allowance */
    uint64_t last_ns;   /* time of the last refill */
    uint64_t cost_ns;   /* per frame: 1e9 / rate */
    uint64_t cap_ns;    /* burst * cost_ns */
    unsigned long passed, dropped;
};

/** A full bucket for @rate frames per second (at least 1) and @burst frames, at @now_ns. */
void bridge_rate_init(struct bridge_rate *r, unsigned int rate, unsigned int burst,
                      uint64_t now_ns);

/** Take one frame from the bucket at @now_ns: true if it may pass (counted either way). */
bool bridge_rate_allow(struct bridge_rate *r, uint64_t now_ns);

/** Whether @mac is a group (broadcast or multicast) address: bit 0 of its first byte. */
static inline bool bridge_mac_is_group(const uint8_t mac[6])
{
    return (mac[0] & 1) != 0;
}

#endif /* PVGUEST_BRIDGE_TABLE_H */
