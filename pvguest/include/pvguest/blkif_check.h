/*
 * blkif_check — the portable half of the block path (issue 10): validation of a blkif request
 * the backend has copied out of the ring, and the splitting of a frontend's transfer into
 * requests. Pure computation over Xen's io/blkif.h structures: no pvguest dependency, so the
 * same object builds in the guest and on the host (tests/unit/test_blkif.c).
 *
 * Units: a blkif sector is always 512 bytes (io/blkif.h, "NB. first_sect and last_sect ...
 * are always in 512-byte units"); a segment is part of one 4 KiB page, sectors first_sect to
 * last_sect inclusive (0..7).
 */
#ifndef PVGUEST_BLKIF_CHECK_H
#define PVGUEST_BLKIF_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/io/blkif.h>

/** Bytes per blkif sector (io/blkif.h: segments are in 512-byte units). */
#define BLKIF_SECTOR_SIZE 512u
/** blkif sectors per 4 KiB page. */
#define BLKIF_SECTORS_PER_PAGE 8u
/** Segments one indirect page holds (4096 / sizeof(struct blkif_request_segment)). */
#define BLKIF_SEGS_PER_INDIRECT_PAGE 512u
/** The most segments an indirect request may carry here (the backend's
 *  feature-max-indirect-segments; io/blkif.h "BLKIF_OP_INDIRECT"): 1 MiB of data. */
#define BLKIF_CHECK_MAX_INDIRECT_SEGS 256u

/** What the backend knows about the vbd a request is for. */
struct blkif_vbd_geom {
    uint64_t sectors;               /* the vbd's size in 512-byte sectors */
    bool read_only;                 /* BLKIF_OP_WRITE refused (a flush is harmless) */
    unsigned int max_indirect_segs; /* 0: BLKIF_OP_INDIRECT refused; at most
                                       BLKIF_CHECK_MAX_INDIRECT_SEGS */
};

/** One checked segment. */
struct blkif_seg {
    grant_ref_t gref;
    uint8_t first_sect, last_sect; /* 0 <= first_sect <= last_sect <= 7 */
};

/**
 * A request as the backend will carry it out: built by blkif_check_request() from the
 * backend's private copy, never from the shared ring.
 */
struct blkif_checked {
    uint64_t id;          /* echoed in the response */
    uint8_t operation;    /* the response's operation: BLKIF_OP_INDIRECT for indirect */
    uint8_t op;           /* what to do: BLKIF_OP_READ, _WRITE or _FLUSH_DISKCACHE */
    bool indirect;        /* segments still to be read from indirect pages */
    uint64_t sector;      /* first 512-byte sector on the vbd */
    uint64_t nr_sectors;  /* total of the segments (0 for a flush) */
    unsigned int nr_segs; /* segments */
    unsigned int nr_indirect_pages;
    grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    struct blkif_seg segs[BLKIF_CHECK_MAX_INDIRECT_SEGS];
};

/** Why a request was refused (0: accepted). */
enum blkif_check_error {
    BLKIF_CHECK_OK = 0,
    BLKIF_CHECK_BAD_OP,        /* unknown operation (or indirect_op not READ/WRITE) */
    BLKIF_CHECK_NO_SEGMENTS,   /* a read or write without segments */
    BLKIF_CHECK_TOO_MANY_SEGS, /* above 11, or above max_indirect_segs */
    BLKIF_CHECK_FLUSH_SEGS,    /* a flush carrying segments (only pure flushes here) */
    BLKIF_CHECK_BAD_SECT,      /* first_sect > last_sect, or last_sect beyond the page */
    BLKIF_CHECK_PAST_END,      /* sector + nr_sectors beyond the vbd (or overflowing) */
    BLKIF_CHECK_READ_ONLY,     /* a write on a read-only vbd */
    BLKIF_CHECK_NO_INDIRECT,   /* BLKIF_OP_INDIRECT on a vbd that does not offer it */
    BLKIF_CHECK_BAD_HANDLE,    /* a handle other than the vbd's (0) */
    BLKIF_CHECK_NR_ERRORS
};

/** A short name for @e ("ok", "bad operation", ...). */
const char *blkif_check_error_name(enum blkif_check_error e);

/**
 * Check the private copy @req against @geom and fill @out. Direct requests (READ, WRITE,
 * FLUSH_DISKCACHE) are checked completely; for BLKIF_OP_INDIRECT the header is checked
 * (indirect_op, nr_segments against max_indirect_segs, the number of indirect pages) and
 * out->indirect is set: the caller maps the indirect pages, copies the segments out and
 * calls blkif_check_indirect_segs(). Rules: io/blkif.h ("struct blkif_request",
 * "BLKIF_OP_INDIRECT", "BLKIF_OP_FLUSH_DISKCACHE"). Returns BLKIF_CHECK_OK or the first
 * problem found.
 */
enum blkif_check_error blkif_check_request(const struct blkif_request *req,
                                           const struct blkif_vbd_geom *geom,
                                           struct blkif_checked *out);

/**
 * Second step for an indirect request: @segs are the out->nr_segs segments the caller copied
 * out of the indirect pages (copy before validate). Checks each and the sector range and
 * fills out->segs and out->nr_sectors. Returns BLKIF_CHECK_OK or the problem.
 */
enum blkif_check_error blkif_check_indirect_segs(struct blkif_checked *out,
                                                 const struct blkif_request_segment *segs,
                                                 const struct blkif_vbd_geom *geom);

/** Iterator state of blkif_split_next(). */
struct blkif_split {
    uint64_t sector;       /* next sector of the disk */
    uint64_t remaining;    /* sectors still to cover */
    uint64_t offset;       /* byte offset of the next sector's data from the page the
                              buffer starts in */
    unsigned int max_segs; /* segments per request (11 direct, more with indirect) */
};

/** One request of a split transfer. */
struct blkif_split_req {
    uint64_t sector; /* first sector */
    uint64_t nr_sectors;
    unsigned int nr_segs;
    unsigned long first_page; /* index (from the buffer's first page) of segment 0's page */
    uint8_t first_sect[BLKIF_CHECK_MAX_INDIRECT_SEGS]; /* per segment; segment i is in page */
    uint8_t last_sect[BLKIF_CHECK_MAX_INDIRECT_SEGS];  /* first_page + i */
};

/**
 * Start splitting a transfer of @nr_sectors sectors at disk sector @sector whose buffer begins
 * @page_offset bytes into its page (a multiple of 512, below 4096) into requests of at most
 * @max_segs segments (1..BLKIF_CHECK_MAX_INDIRECT_SEGS). Returns 0, or -1 if an argument is
 * out of range.
 */
int blkif_split_init(struct blkif_split *s, uint64_t sector, uint64_t nr_sectors,
                     unsigned int page_offset, unsigned int max_segs);

/** The next request of the transfer into @r; returns true, or false when none is left. */
bool blkif_split_next(struct blkif_split *s, struct blkif_split_req *r);

#endif /* PVGUEST_BLKIF_CHECK_H */
