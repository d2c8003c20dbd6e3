/*
 * The driver domain's e1000 driver (issue 11): one Intel 82540EM-class Ethernet controller
 * (QEMU's `e1000`, PCI 8086:100e) on bus 0, driven through its memory BAR and its legacy INTx
 * interrupt, a level-triggered GSI pirq bound to an event channel. pvguest/drivers/e1000.c
 * cites the rules (Intel PCI/PCI-X Family of Gigabit Ethernet Controllers Software
 * Developer's Manual, 317453006, "SDM §").
 *
 * This is also the API the bridge (netback) uses:
 *   e1000_send()            put one Ethernet frame on the wire (copied: the caller keeps it)
 *   e1000_set_rx_handler()  who receives the frames that arrive (lwIP's netif by default,
 *                           pvguest/net.h; the bridge takes them and forwards)
 *   e1000_mac()             the MAC address read from the EEPROM
 *   e1000_set_promiscuous() receive every unicast and multicast frame (so frames for the
 *                           guests' MACs arrive), or only ours and broadcast
 *
 * Threads: e1000_init() starts a service thread ("e1000") that the interrupt's event handler
 * wakes; it reaps received frames and calls the receive handler there (thread context: it
 * may call e1000_send and lwIP, must not block), reclaims sent descriptors, follows the link
 * and sends PHYSDEVOP_eoi. Every function here is for threads, never for event handlers.
 * Errors are negated Xen error codes (xen/errno.h).
 */
#ifndef PVGUEST_E1000_H
#define PVGUEST_E1000_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Receive and transmit descriptors: 128 of 16 bytes, so each ring fits one page (SDM §3.2.6:
    the ring length is a multiple of 128 bytes). */
#define E1000_NR_RX 128
#define E1000_NR_TX 128
/** Largest frame e1000_send accepts and the receive path delivers: an untagged Ethernet
    frame without its CRC (14-byte header + 1500 bytes of payload). */
#define E1000_MAX_FRAME 1514
/** Smallest frame on the wire without CRC; the controller pads shorter ones (TCTL.PSP). */
#define E1000_MIN_FRAME 60

/**
 * Called for each received frame (without its CRC), in the service thread. `frame` is valid
 * only during the call; `len` is 14..E1000_MAX_FRAME bytes.
 */
typedef void (*e1000_rx_handler_t)(const void *frame, size_t len, void *arg);

/** Counters since e1000_init(), for reports and tests. */
struct e1000_stats {
    unsigned long interrupts;   /* pirq events received */
    unsigned long rx_frames;    /* frames handed to the receive handler */
    unsigned long rx_bytes;     /* their bytes */
    unsigned long rx_errors;    /* descriptors with RX errors or without EOP (dropped) */
    unsigned long tx_frames;    /* frames queued by e1000_send */
    unsigned long tx_bytes;     /* their bytes */
    unsigned long tx_full;      /* e1000_send refused: the ring was full */
    unsigned long link_changes; /* ICR.LSC seen */
    /* The controller's statistics registers (SDM §13.7), accumulated (they clear on read): */
    unsigned long hw_crc_errors; /* CRCERRS */
    unsigned long hw_missed;     /* MPC: missed packets (no descriptor free) */
    unsigned long hw_rx_good;    /* GPRC */
    unsigned long hw_tx_good;    /* GPTC */
};

/** The counters (read-only for callers; hw_* are brought up to date by e1000_update_stats). */
extern struct e1000_stats e1000_stats;

/**
 * Find the first e1000 (8086:100e, or another 8254x ID the driver knows) on PCI bus 0, take
 * it (set_iopl, BAR0 mapped uncached with mmu_update(DOMID_IO), its GSI set up as a level
 * pirq and bound to an event channel), reset it, read the MAC from the EEPROM, set up the
 * rings, enable receive and transmit, and start the service thread. Needs mm_init(),
 * events_init() and sched_init() first, and a privileged domain. Returns 0, -XEN_ENODEV (no
 * such device), -XEN_EIO (reset or EEPROM read timed out), -XEN_ENOMEM, or a hypercall's
 * error. Frames that arrive before a handler is set are dropped.
 */
long e1000_init(void);

/** True after a successful e1000_init(). */
bool e1000_ready(void);

/** The MAC address (6 bytes) from the EEPROM (SDM §5.6: words 0-2), valid after e1000_init. */
const uint8_t *e1000_mac(void);

/** Link up (STATUS.LU, SDM §13.4.2)? */
bool e1000_link_up(void);

/**
 * Queue one frame of `len` bytes (14..E1000_MAX_FRAME; shorter than 60 is padded by the
 * controller). The frame is copied. Returns 0, -XEN_EINVAL (bad length), -XEN_EAGAIN (the
 * transmit ring is full: try again after the next completion) or -XEN_ENODEV before init.
 */
long e1000_send(const void *frame, size_t len);

/** Set the receive handler (NULL drops every frame) and its argument; returns the old one. */
e1000_rx_handler_t e1000_set_rx_handler(e1000_rx_handler_t handler, void *arg);

/** Receive every frame (RCTL.UPE|MPE, SDM §13.4.22) or only our MAC, broadcast. */
void e1000_set_promiscuous(bool on);

/** Read the statistics registers into e1000_stats.hw_* (they clear on read). */
void e1000_update_stats(void);

#endif /* PVGUEST_E1000_H */
