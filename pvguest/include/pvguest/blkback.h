/*
 * blkback — the driver domain's block backend (issue 10; docs/pvguest.md "Block devices").
 * For each vbd in the device tree's /backends (docs/bootcfg.md) it maps the frontend's ring
 * and control page, binds the event channel, scans the ring at once and serves READ, WRITE,
 * FLUSH_DISKCACHE and INDIRECT requests (io/blkif.h) from a registered blkdev (blkdev.h),
 * data moving straight between the disk and the frontend's granted pages.
 */
#ifndef PVGUEST_BLKBACK_H
#define PVGUEST_BLKBACK_H

#include <stdint.h>

/** Counters of one vbd (or of all: blkback_totals). */
struct blkback_stats {
    unsigned long requests;    /* requests consumed from the ring */
    unsigned long ok;          /* answered BLKIF_RSP_OKAY */
    unsigned long errors;      /* answered BLKIF_RSP_ERROR (refused or failed) */
    unsigned long refused;     /* of those: refused by validation (blkif_check) */
    unsigned long bad_grants;  /* of those: a segment or indirect grant failed to map */
    unsigned long disk_errors; /* of those: the disk reported an error */
    unsigned long reads, writes, flushes, indirect;
    uint64_t sectors;            /* sectors moved */
    unsigned long max_in_flight; /* most requests at the disk at once */
    unsigned long events;        /* events from the frontend */
    unsigned long notifies;      /* events sent to the frontend */
    int ring_error;              /* the ring's protocol error (it stopped being served), or 0 */
};

/**
 * Start serving every vbd of this domain's device tree: one service thread each. Needs
 * mm_init(), events_init() and sched_init(), and the disks registered (blkdev_register).
 * Returns the number of vbds started (0: none in the tree), or a negated error if one could
 * not be set up (a missing disk, a ring grant that does not map); the others still run.
 */
int blkback_start(void);

/**
 * Wait until every started vbd's frontend has closed (state Closed in its control page) or
 * @deadline_ns (system time) passes; print one summary line per vbd. Returns the number of
 * vbds still open.
 */
int blkback_wait_closed(uint64_t deadline_ns);

/** test=blkback: a RAM disk (`ramdisk=SECTORS`, default 16384) or the AHCI disk
 *  (`disk=ahci`) as disk 0, blkback_start(), wait for the frontends; 0 or 1 (failed). */
int blkback_selftest(void);

#endif /* PVGUEST_BLKBACK_H */
