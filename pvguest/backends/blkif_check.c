/*
 * blkif_check.c — request validation for blkback and request splitting for blkfront
 * (issue 10; rules from Xen's io/blkif.h). Portable: builds in the guest and on the host.
 */
#include <string.h>

#include <pvguest/blkif_check.h>

static const char *const error_names[BLKIF_CHECK_NR_ERRORS] = {
    [BLKIF_CHECK_OK] = "ok",
    [BLKIF_CHECK_BAD_OP] = "bad operation",
    [BLKIF_CHECK_NO_SEGMENTS] = "no segments",
    [BLKIF_CHECK_TOO_MANY_SEGS] = "too many segments",
    [BLKIF_CHECK_FLUSH_SEGS] = "flush with segments",
    [BLKIF_CHECK_BAD_SECT] = "segment outside its page",
    [BLKIF_CHECK_PAST_END] = "sectors past the end",
    [BLKIF_CHECK_READ_ONLY] = "write to a read-only vbd",
    [BLKIF_CHECK_NO_INDIRECT] = "indirect not offered",
    [BLKIF_CHECK_BAD_HANDLE] = "bad handle",
};

const char *blkif_check_error_name(enum blkif_check_error e)
{
    return (unsigned int)e < BLKIF_CHECK_NR_ERRORS ? error_names[e] : "?";
}

/* One segment: sectors first..last of one page (io/blkif.h: 0 <= first <= last <= 7). */
static enum blkif_check_error check_seg(const struct blkif_request_segment *in,
                                        struct blkif_seg *out)
{
    if (in->first_sect > in->last_sect || in->last_sect >= BLKIF_SECTORS_PER_PAGE)
        return BLKIF_CHECK_BAD_SECT;
    out->gref = in->gref;
    out->first_sect = in->first_sect;
    out->last_sect = in->last_sect;
    return BLKIF_CHECK_OK;
}

/* The range [sector, sector + n) must lie inside the vbd, without wrapping. */
static enum blkif_check_error check_range(uint64_t sector, uint64_t n, uint64_t size)
{
    if (sector > size || n > size - sector)
        return BLKIF_CHECK_PAST_END;
    return BLKIF_CHECK_OK;
}

enum blkif_check_error blkif_check_request(const struct blkif_request *req,
                                           const struct blkif_vbd_geom *geom,
                                           struct blkif_checked *out)
{
    enum blkif_check_error e;
    unsigned int i;

    out->id = req->id;
    out->operation = req->operation;
    out->op = req->operation;
    out->indirect = false;
    out->nr_sectors = 0;
    out->nr_segs = 0;
    out->nr_indirect_pages = 0;
    out->sector = 0;

    switch (req->operation) {
    case BLKIF_OP_INDIRECT: {
        /* A copy, not a cast: the two request types may not alias (C11 6.5p7). */
        struct blkif_request_indirect copy;
        const struct blkif_request_indirect *ind = &copy;

        memcpy(&copy, req, sizeof(copy));

        out->id = ind->id;
        out->op = ind->indirect_op;
        out->sector = ind->sector_number;
        if (ind->indirect_op != BLKIF_OP_READ && ind->indirect_op != BLKIF_OP_WRITE)
            return BLKIF_CHECK_BAD_OP;
        if (geom->max_indirect_segs == 0)
            return BLKIF_CHECK_NO_INDIRECT;
        if (ind->handle != 0)
            return BLKIF_CHECK_BAD_HANDLE;
        if (ind->nr_segments == 0)
            return BLKIF_CHECK_NO_SEGMENTS;
        if (ind->nr_segments > geom->max_indirect_segs ||
            ind->nr_segments > BLKIF_CHECK_MAX_INDIRECT_SEGS)
            return BLKIF_CHECK_TOO_MANY_SEGS;
        if (ind->indirect_op == BLKIF_OP_WRITE && geom->read_only)
            return BLKIF_CHECK_READ_ONLY;
        out->indirect = true;
        out->nr_segs = ind->nr_segments;
        out->nr_indirect_pages =
            (ind->nr_segments + BLKIF_SEGS_PER_INDIRECT_PAGE - 1) / BLKIF_SEGS_PER_INDIRECT_PAGE;
        for (i = 0; i < out->nr_indirect_pages; i++)
            out->indirect_grefs[i] = ind->indirect_grefs[i];
        /* A first range check on the smallest transfer nr_segments can describe. */
        return check_range(out->sector, ind->nr_segments, geom->sectors);
    }
    case BLKIF_OP_FLUSH_DISKCACHE:
        if (req->handle != 0)
            return BLKIF_CHECK_BAD_HANDLE;
        /* Only a pure flush: Linux's blkfront sends flushes with nr_segments = 0. */
        if (req->nr_segments != 0)
            return BLKIF_CHECK_FLUSH_SEGS;
        out->sector = req->sector_number;
        return BLKIF_CHECK_OK;
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
        break;
    default:
        return BLKIF_CHECK_BAD_OP;
    }

    out->sector = req->sector_number;
    if (req->handle != 0)
        return BLKIF_CHECK_BAD_HANDLE;
    if (req->nr_segments == 0)
        return BLKIF_CHECK_NO_SEGMENTS;
    if (req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        return BLKIF_CHECK_TOO_MANY_SEGS;
    if (req->operation == BLKIF_OP_WRITE && geom->read_only)
        return BLKIF_CHECK_READ_ONLY;
    out->nr_segs = req->nr_segments;
    for (i = 0; i < out->nr_segs; i++) {
        e = check_seg(&req->seg[i], &out->segs[i]);
        if (e)
            return e;
        out->nr_sectors += out->segs[i].last_sect - out->segs[i].first_sect + 1u;
    }
    return check_range(out->sector, out->nr_sectors, geom->sectors);
}

enum blkif_check_error blkif_check_indirect_segs(struct blkif_checked *out,
                                                 const struct blkif_request_segment *segs,
                                                 const struct blkif_vbd_geom *geom)
{
    unsigned int i;

    out->nr_sectors = 0;
    for (i = 0; i < out->nr_segs; i++) {
        enum blkif_check_error e = check_seg(&segs[i], &out->segs[i]);

        if (e)
            return e;
        out->nr_sectors += out->segs[i].last_sect - out->segs[i].first_sect + 1u;
    }
    return check_range(out->sector, out->nr_sectors, geom->sectors);
}

int blkif_split_init(struct blkif_split *s, uint64_t sector, uint64_t nr_sectors,
                     unsigned int page_offset, unsigned int max_segs)
{
    if (page_offset % BLKIF_SECTOR_SIZE || page_offset >= BLKIF_SECTOR_SIZE * 8u || max_segs == 0 ||
        max_segs > BLKIF_CHECK_MAX_INDIRECT_SEGS)
        return -1;
    s->sector = sector;
    s->remaining = nr_sectors;
    s->offset = page_offset;
    s->max_segs = max_segs;
    return 0;
}

bool blkif_split_next(struct blkif_split *s, struct blkif_split_req *r)
{
    if (s->remaining == 0)
        return false;
    r->sector = s->sector;
    r->nr_sectors = 0;
    r->nr_segs = 0;
    r->first_page = (unsigned long)(s->offset / 4096u);
    while (s->remaining && r->nr_segs < s->max_segs) {
        unsigned int first = (unsigned int)(s->offset % 4096u) / BLKIF_SECTOR_SIZE;
        uint64_t n = BLKIF_SECTORS_PER_PAGE - first;

        if (n > s->remaining)
            n = s->remaining;
        r->first_sect[r->nr_segs] = (uint8_t)first;
        r->last_sect[r->nr_segs] = (uint8_t)(first + n - 1);
        r->nr_segs++;
        r->nr_sectors += n;
        s->remaining -= n;
        s->sector += n;
        s->offset += n * BLKIF_SECTOR_SIZE;
    }
    return true;
}
