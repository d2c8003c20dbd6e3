/*
 * netif_control — a vif's 64-byte slot in the frontend's control page (docs/bootcfg.md,
 * "Control page"), standing in for the xenstore keys of io/netif.h. Each side writes only
 * its own fields and notifies over the vif's event channel; the states are io/xenbus.h's.
 */
#ifndef PVGUEST_NETIF_CONTROL_H
#define PVGUEST_NETIF_CONTROL_H

#include <stdint.h>

#define NETIF_CONTROL_RX_COPY 0x1u /* feature-rx-copy: RX by grant copy into posted buffers */
#define NETIF_CONTROL_SG      0x2u /* feature-sg: TX packets of up to XEN_NETIF_NR_SLOTS_MIN slots */

/** The vif's control slot (at control-offset in the control page). */
struct netif_control {
    uint32_t frontend_state; /* +0: XenbusState (io/xenbus.h), frontend's */
    uint32_t backend_state;  /* +4: XenbusState, backend's */
    uint32_t features;       /* +8: NETIF_CONTROL_*, backend's */
    uint32_t max_slots;      /* +12: slots per TX packet the backend takes, backend's */
    uint8_t reserved[48];
};

_Static_assert(sizeof(struct netif_control) == 64, "one control slot");

#endif /* PVGUEST_NETIF_CONTROL_H */
