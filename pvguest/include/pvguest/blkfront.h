/*
 * blkfront — the guest's block frontend (issue 10; docs/pvguest.md "Block devices"): a vbd
 * from the device tree's /devices (docs/bootcfg.md), its ring and control page, its event
 * channel, and reads, writes and flushes of any length, split into blkif requests
 * (io/blkif.h) that are in flight together, as many as the ring holds.
 */
#ifndef PVGUEST_BLKFRONT_H
#define PVGUEST_BLKFRONT_H

#include <stdbool.h>
#include <stdint.h>

#include <pvguest/blkif_check.h>
#include <sring/blkif.h>

struct blkfront;

/** What the backend told us (the control page, blkif_control.h) and our counters. */
struct blkfront_info {
    uint64_t sectors;               /* 512-byte sectors */
    bool read_only;                 /* VDISK_READONLY */
    bool flush;                     /* feature-flush-cache */
    unsigned int max_indirect_segs; /* 0: direct requests only */
    domid_t backend;
    unsigned long requests, errors, max_in_flight, notifies, events;
};

/**
 * Connect to vbd number @index of /devices (0 = the first): map the ring and control page
 * the builder gave us, set up our grant table, bind the event channel, wait (up to
 * @timeout_ns) for the backend to be Connected. Returns the device, or NULL (message printed).
 */
struct blkfront *blkfront_open(unsigned int index, uint64_t timeout_ns);

/** The device's information and counters. */
const struct blkfront_info *blkfront_info(const struct blkfront *bf);

/**
 * Read (@write false) or write @nr_sectors 512-byte sectors at @sector from/to @buf (any
 * length; @buf 512-byte aligned and mapped). Split into requests of up to 11 segments, or
 * up to the backend's indirect limit (at most 32 here) when @indirect; they are posted as
 * long as the ring has room and answered in any order. Returns 0, -XEN_EINVAL (bad
 * arguments), -XEN_EIO (the backend answered BLKIF_RSP_ERROR for one or more requests),
 * -XEN_EOPNOTSUPP (BLKIF_RSP_EOPNOTSUPP), -XEN_ETIMEDOUT (no answer in 10 s), or a ring
 * protocol error. Several threads may call it at once (each waits for its own requests;
 * test=blkbench's random reads do).
 */
int blkfront_rw(struct blkfront *bf, bool write, uint64_t sector, void *buf, uint64_t nr_sectors,
                bool indirect);

/**
 * Cap the segments of each request blkfront_rw() builds at @segs (0: no cap beyond the
 * limits above); returns the previous cap. With @indirect, a request of more than one
 * segment still goes as BLKIF_OP_INDIRECT, so a cap of 16 gives 64 KiB indirect requests
 * (test=blkbench's 64 KiB runs; docs/benchmarks.md "Disk").
 */
unsigned int blkfront_set_max_segs(struct blkfront *bf, unsigned int segs);

/** BLKIF_OP_FLUSH_DISKCACHE; 0, -XEN_EOPNOTSUPP (not offered) or as blkfront_rw. */
int blkfront_flush(struct blkfront *bf);

/**
 * Post @req as it is (tests of hostile frontends: nothing is checked; the caller grants what
 * it names) and wait for its response; returns the response's status (BLKIF_RSP_*), or a
 * negated error (no answer, ring error). req->id is replaced by the frontend's own.
 */
int blkfront_raw(struct blkfront *bf, struct blkif_request *req);

/** Grant @mfn to the backend (read-only if @ro) for raw requests; returns the reference or
 *  -XEN_ENOSPC. blkfront_ungrant() ends it (revokes it). */
long blkfront_grant(struct blkfront *bf, unsigned long mfn, bool ro);
void blkfront_ungrant(struct blkfront *bf, grant_ref_t ref);

/** The raw ring end (hostile tests only), and a notification of the backend. */
struct blkif_frontend *blkfront_ring(struct blkfront *bf);
void blkfront_notify(struct blkfront *bf);

/** Tell the backend we are done (state Closed) and notify it. */
void blkfront_close(struct blkfront *bf);

/** test=blk: write a pattern across the disk, flush, read it back, check; plus unaligned
 *  and indirect transfers, a read past the end (must fail) and, on a read-only vbd, a write
 *  (must fail). 0 or 1. */
int blkfront_selftest(void);

/** test=blkhostile: malformed requests (each must get BLKIF_RSP_ERROR), a good one after
 *  them (must succeed), then a flood past the ring size. 0 or 1. */
int blkfront_hostile_selftest(void);

/** test=blkerr: with a disk failing sector `blk_bad=` on reads and `blk_badw=` on writes
 *  (QEMU blkdebug), exactly the requests covering it fail. 0 or 1. */
int blkfront_error_selftest(void);

#endif /* PVGUEST_BLKFRONT_H */
