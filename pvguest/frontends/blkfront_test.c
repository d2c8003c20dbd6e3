/*
 * blkfront_test.c — test=blk and test=blkhostile (blkfront.h; issue 10, "Tests").
 *
 * test=blk: the whole vbd (or `blk_sectors=N` of it) written with a pattern that depends on
 * the sector, the domain and `blk_seed=`, in 256 KiB transfers alternating direct (11
 * segments) and indirect requests; a flush; then read back in 300-sector transfers whose
 * buffer starts 1536 bytes into a page (so every request has partial segments), every byte
 * checked; a read that runs past the end must fail with -XEN_EIO. A read-only vbd: a write
 * must fail, the reads must work.
 *
 * test=blkhostile: requests a hostile frontend could send, each of which must be answered
 * BLKIF_RSP_ERROR; a good read after them must succeed; then req_prod is moved 1000 past the
 * ring (a flood past the ring size), which must make the backend stop serving this vbd only.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/blkfront.h>
#include <pvguest/boot.h>
#include <pvguest/cmdline.h>
#include <pvguest/mm.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#define CHUNK      512u /* sectors per write transfer: 256 KiB */
#define READ_CHUNK 300u
#define BIG        4096u /* sectors of the one large transfer: 2 MiB */

static unsigned long opt(const char *key, unsigned long dflt)
{
    char buf[24];

    return cmdline_get(key, buf, sizeof(buf)) > 0 ? strtoul(buf, NULL, 0) : dflt;
}

/* The pattern word @i (0..63) of sector @s. */
static uint64_t pattern(uint64_t seed, uint64_t s, unsigned int i)
{
    uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (s << 8) ^ i;

    x ^= x >> 29;
    return x * 0xbf58476d1ce4e5b9ull;
}

static void fill(uint64_t *p, uint64_t seed, uint64_t sector, uint64_t n)
{
    for (uint64_t s = 0; s < n; s++)
        for (unsigned int i = 0; i < 64; i++)
            p[s * 64 + i] = pattern(seed, sector + s, i);
}

/* Count sectors that differ from the pattern; the first is reported. */
static unsigned long check(const uint64_t *p, uint64_t seed, uint64_t sector, uint64_t n)
{
    unsigned long bad = 0;

    for (uint64_t s = 0; s < n; s++)
        for (unsigned int i = 0; i < 64; i++)
            if (p[s * 64 + i] != pattern(seed, sector + s, i)) {
                if (!bad)
                    printf("pvguest: test blk: sector %llu word %u: %#llx, expected %#llx\n",
                           (unsigned long long)(sector + s), i, (unsigned long long)p[s * 64 + i],
                           (unsigned long long)pattern(seed, sector + s, i));
                bad++;
                break;
            }
    return bad;
}

static const char *verdict(bool ok)
{
    return ok ? "ok" : "FAILED";
}

int blkfront_selftest(void)
{
    struct blkfront *bf = blkfront_open(0, 20000000000ULL);
    const struct blkfront_info *info;
    uint64_t seed = opt("blk_seed", 1), n;
    uint8_t *buf = memalign(4096, (CHUNK + 16) * 512);
    int failures = 0, rc;

    if (!bf || !buf) {
        printf("pvguest: test blk: no device (FAILED)\n");
        return 1;
    }
    info = blkfront_info(bf);
    n = opt("blk_sectors", info->sectors);
    if (n > info->sectors)
        n = info->sectors;

    uint64_t t0 = system_time_ns();
    if (info->read_only) {
        rc = blkfront_rw(bf, true, 0, buf, 8, false);
        printf("pvguest: test blk: write to the read-only vbd -> %d (%s)\n", rc,
               verdict(rc == -XEN_EIO));
        failures += rc != -XEN_EIO;
    } else {
        unsigned long chunks = 0;
        for (uint64_t s = 0; s < n; s += CHUNK, chunks++) {
            uint64_t k = n - s < CHUNK ? n - s : CHUNK;
            fill((uint64_t *)buf, seed, s, k);
            rc = blkfront_rw(bf, true, s, buf, k, chunks & 1);
            if (rc) {
                printf("pvguest: test blk: write of %llu sectors at %llu -> %d (FAILED)\n",
                       (unsigned long long)k, (unsigned long long)s, rc);
                failures++;
                break;
            }
        }
        uint64_t t1 = system_time_ns();
        printf("pvguest: test blk: wrote %llu sectors in %lu transfers (ok) .t: %llu ms\n",
               (unsigned long long)n, chunks, (unsigned long long)((t1 - t0) / 1000000));
        rc = blkfront_flush(bf);
        printf("pvguest: test blk: flush -> %d (%s)\n", rc,
               verdict(rc == 0 || (!info->flush && rc == -XEN_EOPNOTSUPP)));
        failures += !(rc == 0 || (!info->flush && rc == -XEN_EOPNOTSUPP));
    }

    if (!info->read_only) {
        unsigned long bad = 0, chunks = 0;
        uint8_t *rb = buf + 1536; /* partial first and last segments */
        uint64_t t1 = system_time_ns();
        for (uint64_t s = 0; s < n && !failures; s += READ_CHUNK, chunks++) {
            uint64_t k = n - s < READ_CHUNK ? n - s : READ_CHUNK;
            memset(rb, 0xee, k * 512);
            rc = blkfront_rw(bf, false, s, rb, k, !(chunks & 1));
            if (rc) {
                printf("pvguest: test blk: read of %llu sectors at %llu -> %d (FAILED)\n",
                       (unsigned long long)k, (unsigned long long)s, rc);
                failures++;
                break;
            }
            bad += check((const uint64_t *)rb, seed, s, k);
        }
        uint64_t t2 = system_time_ns();
        printf("pvguest: test blk: read back %llu sectors in %lu transfers, %lu bad sectors "
               "(%s) .t: %llu ms\n",
               (unsigned long long)n, chunks, bad, verdict(bad == 0 && !failures),
               (unsigned long long)((t2 - t1) / 1000000));
        failures += bad != 0;

        /* One transfer of more requests than the ring holds (4096 sectors in 11-segment
           requests: 47 of them): blkfront must wait for room, not fail or overrun. */
        uint64_t big = n < BIG ? n : BIG;
        uint8_t *bb = memalign(4096, BIG * 512);
        if (bb && !failures) {
            unsigned long before = info->requests;
            memset(bb, 0xee, big * 512);
            rc = blkfront_rw(bf, false, 0, bb, big, false);
            bad = rc ? 0 : check((const uint64_t *)bb, seed, 0, big);
            printf("pvguest: test blk: one read of %llu sectors: %lu requests, -> %d, %lu bad "
                   "sectors (%s)\n",
                   (unsigned long long)big, info->requests - before, rc, bad,
                   verdict(rc == 0 && bad == 0));
            failures += rc != 0 || bad != 0;
        }
        free(bb);
    } else {
        rc = blkfront_rw(bf, false, 0, buf, CHUNK, true);
        printf("pvguest: test blk: read of the read-only vbd -> %d (%s)\n", rc, verdict(rc == 0));
        failures += rc != 0;
    }

    rc = blkfront_rw(bf, false, info->sectors - 1, buf, 2, false);
    printf("pvguest: test blk: read past the end -> %d (%s)\n", rc, verdict(rc == -XEN_EIO));
    failures += rc != -XEN_EIO;

    printf("pvguest: test blk: requests %lu, errors %lu, most in flight %lu, notifications "
           "%lu, events %lu\n",
           info->requests, info->errors, info->max_in_flight, info->notifies, info->events);
    blkfront_close(bf);
    printf("pvguest: test blk: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}

/* One hostile request; it must get BLKIF_RSP_ERROR. */
static int expect_error(struct blkfront *bf, const char *what, struct blkif_request *req)
{
    int rc = blkfront_raw(bf, req);

    printf("pvguest: test blkhostile: %s -> %d (%s)\n", what, rc, verdict(rc == BLKIF_RSP_ERROR));
    return rc != BLKIF_RSP_ERROR;
}

static struct blkif_request one_seg(uint8_t op, uint64_t sector, grant_ref_t ref)
{
    struct blkif_request r;

    memset(&r, 0, sizeof(r));
    r.operation = op;
    r.nr_segments = 1;
    r.sector_number = sector;
    r.seg[0] = (struct blkif_request_segment){.gref = ref, .first_sect = 0, .last_sect = 7};
    return r;
}

int blkfront_hostile_selftest(void)
{
    struct blkfront *bf = blkfront_open(0, 20000000000ULL);
    uint8_t *page = memalign(4096, 4096), *ind = memalign(4096, 4096);
    const struct blkfront_info *info;
    struct blkif_request r;
    struct blkif_request_indirect ir;
    int failures = 0, rc;
    long ref, iref;

    if (!bf || !page || !ind) {
        printf("pvguest: test blkhostile: no device (FAILED)\n");
        return 1;
    }
    info = blkfront_info(bf);
    memset(page, 0, 4096);
    ref = blkfront_grant(bf, mm_lookup((unsigned long)page) >> 12 & 0xffffffffffUL, false);

    r = one_seg(BLKIF_OP_READ, info->sectors, (grant_ref_t)ref);
    failures += expect_error(bf, "sector past the end", &r);
    r = one_seg(BLKIF_OP_READ, UINT64_MAX - 3, (grant_ref_t)ref);
    failures += expect_error(bf, "sector range wrapping 2^64", &r);
    r = one_seg(BLKIF_OP_READ, 0, 1500); /* never granted */
    failures += expect_error(bf, "ungranted reference", &r);
    r = one_seg(BLKIF_OP_READ, 0, 100000); /* beyond the table */
    failures += expect_error(bf, "reference beyond the grant table", &r);
    long rev = blkfront_grant(bf, mm_lookup((unsigned long)page) >> 12 & 0xffffffffffUL, false);
    blkfront_ungrant(bf, (grant_ref_t)rev);
    r = one_seg(BLKIF_OP_READ, 0, (grant_ref_t)rev);
    failures += expect_error(bf, "revoked grant", &r);
    r = one_seg(BLKIF_OP_READ, 0, (grant_ref_t)ref);
    r.nr_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST + 1;
    failures += expect_error(bf, "nr_segments 12", &r);
    r = one_seg(BLKIF_OP_READ, 0, (grant_ref_t)ref);
    r.seg[0].last_sect = 8;
    failures += expect_error(bf, "last_sect 8 (past the page)", &r);
    r = one_seg(BLKIF_OP_READ, 0, (grant_ref_t)ref);
    r.seg[0].first_sect = 5;
    r.seg[0].last_sect = 2;
    failures += expect_error(bf, "first_sect 5 > last_sect 2", &r);
    r = one_seg(0x77, 0, (grant_ref_t)ref);
    failures += expect_error(bf, "unknown operation", &r);
    r = one_seg(BLKIF_OP_READ, 0, (grant_ref_t)ref);
    r.nr_segments = 0;
    failures += expect_error(bf, "read without segments", &r);

    /* Indirect requests: a page of garbage segments, too many, a bad indirect reference. */
    uint64_t x = 0x243f6a8885a308d3ull;
    for (unsigned int i = 0; i < 4096 / 8; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ((uint64_t *)ind)[i] = x | 0x0800000000000000ull; /* last_sect of odd ones >= 8 */
    }
    iref = blkfront_grant(bf, mm_lookup((unsigned long)ind) >> 12 & 0xffffffffffUL, true);
    /* Built as the indirect type and copied into the request (the types may not alias). */
    memset(&ir, 0, sizeof(ir));
    ir.operation = BLKIF_OP_INDIRECT;
    ir.indirect_op = BLKIF_OP_READ;
    ir.nr_segments = 20;
    ir.indirect_grefs[0] = (grant_ref_t)iref;
    memset(&r, 0, sizeof(r));
    memcpy(&r, &ir, sizeof(ir));
    failures += expect_error(bf, "indirect page full of garbage", &r);
    ir.nr_segments = 1000;
    memcpy(&r, &ir, sizeof(ir));
    failures += expect_error(bf, "indirect nr_segments 1000", &r);
    ir.nr_segments = 4;
    ir.indirect_grefs[0] = 1600;
    memcpy(&r, &ir, sizeof(ir));
    failures += expect_error(bf, "indirect page not granted", &r);
    ir.indirect_grefs[0] = (grant_ref_t)iref;
    ir.indirect_op = BLKIF_OP_FLUSH_DISKCACHE;
    memcpy(&r, &ir, sizeof(ir));
    failures += expect_error(bf, "indirect flush", &r);
    if (info->read_only) {
        r = one_seg(BLKIF_OP_WRITE, 0, (grant_ref_t)ref);
        failures += expect_error(bf, "write to a read-only vbd", &r);
    }

    /* After all that, a good request still works. */
    r = one_seg(BLKIF_OP_READ, 0, (grant_ref_t)ref);
    rc = blkfront_raw(bf, &r);
    printf("pvguest: test blkhostile: good read after them -> %d (%s)\n", rc,
           verdict(rc == BLKIF_RSP_OKAY));
    failures += rc != BLKIF_RSP_OKAY;

    /* A flood past the ring size: req_prod 1000 ahead of what the ring holds. */
    struct blkif_frontend *f = blkfront_ring(bf);
    f->ring.sring->req_prod += 1000;
    blkfront_notify(bf);
    printf("pvguest: test blkhostile: req_prod moved 1000 past the ring, backend notified\n");
    sleep_ns(200000000ULL);
    blkfront_close(bf);
    printf("pvguest: test blkhostile: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}

/*
 * test=blkerr: the disk fails sector `blk_bad=` (vbd-relative) on reads and `blk_badw=` on
 * writes (QEMU's blkdebug; tests/system/t-blk-diskerr.sh). Every 8-sector request from 32
 * sectors before to 32 after must fail exactly when it covers the bad sector, and a
 * transfer of many requests covering it must fail while the next one works.
 */
static int error_window(struct blkfront *bf, bool write, uint64_t bad, uint8_t *buf)
{
    int failures = 0;
    uint64_t from = bad >= 32 ? bad - 32 : 0;

    for (uint64_t s = from; s < bad + 32; s += 8) {
        bool covers = bad >= s && bad < s + 8;
        int rc = blkfront_rw(bf, write, s, buf, 8, false);

        if (rc != (covers ? -XEN_EIO : 0)) {
            printf("pvguest: test blkerr: %s of 8 sectors at %llu -> %d (FAILED)\n",
                   write ? "write" : "read", (unsigned long long)s, rc);
            failures++;
        }
    }
    printf("pvguest: test blkerr: %s: 8-sector requests from %llu to %llu fail exactly at "
           "sector %llu (%s)\n",
           write ? "write" : "read", (unsigned long long)from, (unsigned long long)(bad + 31),
           (unsigned long long)bad, verdict(!failures));
    int rc = blkfront_rw(bf, write, from, buf, 64, true);
    int next = blkfront_rw(bf, write, bad + 64, buf, 64, true);
    printf("pvguest: test blkerr: %s of 64 sectors across it -> %d, the next 64 -> %d (%s)\n",
           write ? "write" : "read", rc, next, verdict(rc == -XEN_EIO && next == 0));
    return failures + !(rc == -XEN_EIO && next == 0);
}

int blkfront_error_selftest(void)
{
    struct blkfront *bf = blkfront_open(0, 20000000000ULL);
    uint8_t *buf = memalign(4096, 64 * 512);
    int failures = 0;

    if (!bf || !buf) {
        printf("pvguest: test blkerr: no device (FAILED)\n");
        return 1;
    }
    memset(buf, 0x5a, 64 * 512);
    failures += error_window(bf, false, opt("blk_bad", 1000), buf);
    failures += error_window(bf, true, opt("blk_badw", 3000), buf);
    blkfront_close(bf);
    printf("pvguest: test blkerr: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
