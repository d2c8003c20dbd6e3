/*
 * netif_check — portable validation of netif TX packets (xen/io/netif.h), for netback
 * (pvguest/backends/netback.c) and the host unit test tests/unit/test_netif.c. No library
 * calls, no hypercalls: netback copies each request out of the ring first (sring's
 * copy-before-validate), feeds the copies here one slot at a time, and learns whether the
 * packet is complete and whether it is well formed.
 *
 * A packet (io/netif.h, "Guest transmit"): the first request's size is the whole packet's
 * length; each following request (NETTXF_more_data on the one before) carries one fragment
 * of its own size; the first slot holds what the fragments do not. Every slot gets its own
 * response.
 */
#ifndef PVGUEST_NETIF_CHECK_H
#define PVGUEST_NETIF_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/grant_table.h>
#include <xen/io/netif.h>

#define NETIF_CHECK_PAGE_SIZE 4096u
/* Shortest packet: an Ethernet header (destination, source, type: 14 bytes). */
#define NETIF_CHECK_MIN_LEN 14u
/* Longest packet netback takes: 64 KiB - 1 (size is 16 bits; IPv4's limit). */
#define NETIF_CHECK_MAX_LEN 65535u
/* Slots a well-formed packet may span (io/netif.h: XEN_NETIF_NR_SLOTS_MIN). */
#define NETIF_CHECK_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN
/*
 * A chain still going after this many slots is cut: the packet ends there as malformed
 * (each slot answered NETIF_RSP_ERROR) and the next slot starts a new packet, so a frontend
 * cannot hold netback's packet state forever (Linux's netback calls this fatal_skb_slots).
 */
#define NETIF_CHECK_CUT_SLOTS 64u

/** Why a packet was refused (NETIF_CHECK_OK: it was not). */
enum netif_check_error {
    NETIF_CHECK_OK = 0,
    NETIF_CHECK_TOO_SHORT,      /* first size < NETIF_CHECK_MIN_LEN, or an empty fragment */
    NETIF_CHECK_TOO_LONG,       /* fragments adding up to more than NETIF_CHECK_MAX_LEN */
    NETIF_CHECK_CROSSES_PAGE,   /* a slot's offset + length beyond its 4 KiB page */
    NETIF_CHECK_TOO_MANY_SLOTS, /* more than NETIF_CHECK_MAX_SLOTS slots */
    NETIF_CHECK_FRAGS_EXCEED,   /* fragments add up to more than the first size */
    NETIF_CHECK_EXTRA_INFO,     /* NETTXF_extra_info: no extra info is offered (no GSO) */
    NETIF_CHECK_NR_ERRORS
};

/** A short name for @e ("slot crosses a page", ...), for counters and messages. */
const char *netif_check_error_name(enum netif_check_error e);

/** One slot of a checked packet: where its bytes are in the frontend's granted page. */
struct netif_tx_seg {
    grant_ref_t gref;
    uint16_t offset; /* bytes into the page */
    uint16_t len;    /* bytes (the first slot: size minus the fragments) */
};

/** A packet being assembled from copied requests; the caller owns it (private memory). */
struct netif_tx_packet {
    unsigned int nr_slots;                          /* slots consumed so far (all answered later) */
    uint16_t ids[NETIF_CHECK_CUT_SLOTS];            /* each slot's id, for its response */
    struct netif_tx_seg seg[NETIF_CHECK_MAX_SLOTS]; /* the first NETIF_CHECK_MAX_SLOTS */
    uint32_t len;                                   /* the first request's size */
    uint32_t frag_sum;                              /* sizes of the slots after the first */
    enum netif_check_error error;                   /* first problem found */
};

/** Start an empty packet. */
void netif_tx_packet_init(struct netif_tx_packet *p);

/**
 * Add the copied request @req as the packet's next slot. Returns true if the packet is
 * complete (no NETTXF_more_data, or cut at NETIF_CHECK_CUT_SLOTS), false if more slots
 * belong to it. When it is complete, p->error says whether it is well formed and, if so,
 * p->seg[0 .. nr_slots-1] are its pieces (lengths adding up to p->len).
 */
bool netif_tx_packet_add(struct netif_tx_packet *p, const struct netif_tx_request *req);

/** Slots of a frame of @len bytes delivered into whole-page RX buffers (at least 1). */
unsigned int netif_rx_slots(uint32_t len);

#endif /* PVGUEST_NETIF_CHECK_H */
