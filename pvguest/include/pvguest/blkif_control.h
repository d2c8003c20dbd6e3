/*
 * The vbd's slot in a frontend's control page (docs/bootcfg.md "Wiring", "Control page": 64
 * bytes per device at control-offset, the states at +0 and +4; the rest is the negotiated
 * features, which this header defines for vbds). It stands in for the xenstore keys of
 * io/blkif.h: the backend writes sectors, sector-size, info, feature-flush-cache and
 * feature-max-indirect-segments before it goes Connected; each side writes only its own
 * fields and notifies the peer over the device's event channel.
 */
#ifndef PVGUEST_BLKIF_CONTROL_H
#define PVGUEST_BLKIF_CONTROL_H

#include <stdint.h>

/** feature bits in struct blkif_control.features */
#define BLKIF_CONTROL_FLUSH    0x1u /* feature-flush-cache: BLKIF_OP_FLUSH_DISKCACHE served */
#define BLKIF_CONTROL_INDIRECT 0x2u /* BLKIF_OP_INDIRECT served, up to max_indirect_segs */

/** The 64-byte slot of one vbd. Volatile fields: the peer may change them at any time. */
struct blkif_control {
    uint32_t frontend_state;    /* +0: XenbusState (io/xenbus.h), frontend's */
    uint32_t backend_state;     /* +4: XenbusState, backend's */
    uint32_t features;          /* +8: BLKIF_CONTROL_*, backend's */
    uint32_t max_indirect_segs; /* +12: feature-max-indirect-segments, backend's */
    uint64_t sectors;           /* +16: size in 512-byte sectors, backend's */
    uint32_t sector_size;       /* +24: 512 */
    uint32_t info;              /* +28: VDISK_* (io/blkif.h; VDISK_READONLY) */
    uint8_t reserved[32];
};

_Static_assert(sizeof(struct blkif_control) == 64, "one control slot");

#endif /* PVGUEST_BLKIF_CONTROL_H */
