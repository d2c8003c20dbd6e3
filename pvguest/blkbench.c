/*
 * test=blkbench (blkbench.h; docs/benchmarks.md "Block path"): the block path's throughput
 * and 4 KiB random-read IOPS, natively on the AHCI disk in the driver domain and through
 * blkfront -> blkback -> AHCI in a guest, with the same request structure on both sides:
 *
 *   sequential: transfers of CHUNK_SECTORS (4 MiB), each split into requests of 32 pages
 *     (128 KiB: blkfront's indirect limit, the largest request it sends) that are all in
 *     flight together; the caller waits for the whole transfer before the next one (as
 *     blkfront_rw does). The `_64k` runs do the same with requests of 16 pages (64 KiB;
 *     indirect requests through blkfront, blkfront_set_max_segs()).
 *   random: `bench_depth` threads, each issuing one 4 KiB read at a time at a random
 *     4 KiB-aligned sector of the sequential area and waiting for it (ahci_rw_sync natively,
 *     blkfront_rw in a guest; the scheduler is cooperative, so a one-segment blkfront_rw
 *     posts without yielding and the threads' requests are in flight together).
 *
 * Times are vcpu_info system time (time.h). Each benchmark runs `bench_batches` batches and
 * prints the median, smallest and largest rate over them.
 *
 * `bench_tests=` picks the benchmarks (default all): w128 r128 w64 r64 rand; `scan` (the
 * scaling runs of issue 13) reads `bench_mib` sequentially once with 128 KiB requests and
 * prints `bench: scan bytes=B start_ns=S end_ns=E` (system time, the same clock in every
 * domain on one hypervisor) so that tools/mica-bench can add up guests reading at once.
 */
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/errno.h>

#include <pvguest/ahci.h>
#include <pvguest/blkback.h>
#include <pvguest/blkfront.h>
#include <pvguest/cmdline.h>
#include <pvguest/mm.h>
#include <pvguest/sched.h>
#include <pvguest/time.h>

#include "blkbench.h"

#define SECTOR         512u
#define PAGE_BYTES     4096u
#define CHUNK_SECTORS  8192u /* 4 MiB per sequential transfer */
#define REQ_PAGES      32u   /* 128 KiB per request: the largest (blkfront's indirect limit) */
#define CHUNK_REQS     (CHUNK_SECTORS * SECTOR / (REQ_PAGES * PAGE_BYTES))
#define MAX_BATCHES    16u
#define MAX_DEPTH      32u
#define NSEC_PER_SEC_U 1000000000ULL

static struct blkfront *bf; /* NULL: native (AHCI) */
static const char *suffix;
static int failures;
static unsigned int req_pages = REQ_PAGES;        /* pages per sequential request: 32 or 16 */
static char tests[48] = "w128,r128,w64,r64,rand"; /* bench_tests= */

/* True if @name is in the comma-separated bench_tests= list. */
static bool wanted(const char *name)
{
    size_t n = strlen(name);

    for (const char *p = tests; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len + (e ? 1 : 0);
    }
    return false;
}

static unsigned long opt(const char *key, unsigned long dflt, unsigned long lo, unsigned long hi)
{
    char buf[24];
    unsigned long v = dflt;

    if (cmdline_get(key, buf, sizeof(buf)) > 0)
        v = strtoul(buf, NULL, 0);
    return v < lo ? lo : v > hi ? hi : v;
}

/* Machine address of the byte at @va (a mapped page of ours). */
static uint64_t va_maddr(const void *va)
{
    return (mm_lookup((unsigned long)va) & 0x000ffffffffff000ULL) |
           ((uintptr_t)va & (PAGE_BYTES - 1));
}

/* ---- native: the AHCI driver directly ---- */

struct batch {
    struct wait_queue wq;
    unsigned int pending, failed;
};

static void batch_done(struct ahci_request *req, int status)
{
    struct batch *b = req->data;

    if (status)
        b->failed++;
    b->pending--;
    wake_up(&b->wq);
}

static struct ahci_request chunk_reqs[CHUNK_REQS * 2]; /* up to 64 requests of 64 KiB */
static struct ahci_seg chunk_segs[CHUNK_REQS * 2][REQ_PAGES / 2];

/* One sequential transfer of CHUNK_SECTORS at @sector: 0 or a negated error. */
static int seq_transfer(bool write, uint64_t sector, uint8_t *buf)
{
    if (bf) {
        blkfront_set_max_segs(bf, req_pages == REQ_PAGES ? 0 : req_pages);
        return blkfront_rw(bf, write, sector, buf, CHUNK_SECTORS, true);
    }

    struct batch b = {WAIT_QUEUE_INIT, 0, 0};
    struct ahci_seg *segs = &chunk_segs[0][0];
    unsigned int nreqs = CHUNK_SECTORS * SECTOR / (req_pages * PAGE_BYTES);
    int rc = 0;

    for (unsigned int k = 0; k < nreqs; k++) {
        struct ahci_seg *s = segs + (size_t)k * req_pages;
        for (unsigned int i = 0; i < req_pages; i++)
            s[i] = (struct ahci_seg){va_maddr(buf + ((size_t)k * req_pages + i) * PAGE_BYTES),
                                     PAGE_BYTES};
        chunk_reqs[k] =
            (struct ahci_request){.op = write ? AHCI_OP_WRITE : AHCI_OP_READ,
                                  .lba = sector + (uint64_t)k * req_pages * (PAGE_BYTES / SECTOR),
                                  .count = req_pages * (PAGE_BYTES / SECTOR),
                                  .nr_segs = req_pages,
                                  .segs = s,
                                  .done = batch_done,
                                  .data = &b};
        b.pending++;
        long r = ahci_submit(&chunk_reqs[k]);
        if (r < 0) {
            b.pending--;
            rc = (int)r;
        }
    }
    wait_event(b.wq, b.pending == 0);
    return rc ? rc : b.failed ? -XEN_EIO : 0;
}

/* ---- reporting ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Rates in tenths of a unit, one per batch: print the line (median, min, max). */
static void report(const char *name, const char *unit, uint64_t iters, uint64_t *tenths,
                   unsigned int n)
{
    qsort(tenths, n, sizeof(*tenths), cmp_u64);
    uint64_t med = n % 2 ? tenths[n / 2] : (tenths[n / 2 - 1] + tenths[n / 2]) / 2;
    printf("pvguest: bench: name=%s_%s unit=%s iters=%" PRIu64 " batches=%u median=%" PRIu64
           ".%" PRIu64 " min=%" PRIu64 ".%" PRIu64 " max=%" PRIu64 ".%" PRIu64 "\n",
           name, suffix, unit, iters, n, med / 10, med % 10, tenths[0] / 10, tenths[0] % 10,
           tenths[n - 1] / 10, tenths[n - 1] % 10);
}

/* ---- sequential ---- */

static void bench_seq(bool write, uint8_t *buf, unsigned long mib, unsigned int batches)
{
    const char *name = req_pages == REQ_PAGES ? (write ? "blk_seq_write" : "blk_seq_read")
                                              : (write ? "blk_seq_write_64k" : "blk_seq_read_64k");
    uint64_t rates[MAX_BATCHES];
    unsigned long chunks = mib * 2048 / CHUNK_SECTORS / batches; /* 4 MiB transfers per batch */
    uint64_t sector = 0;

    if (chunks == 0)
        chunks = 1;
    for (unsigned int b = 0; b < batches; b++) {
        uint64_t t0 = system_time_ns();
        for (unsigned long c = 0; c < chunks; c++, sector += CHUNK_SECTORS) {
            int rc = seq_transfer(write, sector, buf);
            if (rc) {
                printf("pvguest: bench: error name=%s_%s %s at sector %" PRIu64 ": %d\n", name,
                       suffix, write ? "write" : "read", sector, rc);
                failures++;
                return;
            }
        }
        uint64_t ns = system_time_ns() - t0;
        uint64_t bytes = (uint64_t)chunks * CHUNK_SECTORS * SECTOR;
        /* MB/s (10^6 bytes) in tenths. */
        rates[b] = ns ? bytes * 10 * 1000 / ns : 0;
    }
    report(name, "MB/s", (uint64_t)chunks * CHUNK_SECTORS * SECTOR / (1024 * 1024), rates, batches);
}

/* ---- random 4 KiB reads ---- */

static struct {
    struct wait_queue wq;
    unsigned long to_issue, running, failed;
    uint64_t area_blocks; /* 4 KiB blocks the reads choose from */
    uint64_t seed;
} rnd = {.wq = WAIT_QUEUE_INIT};

static uint64_t xorshift(void)
{
    rnd.seed ^= rnd.seed << 13;
    rnd.seed ^= rnd.seed >> 7;
    rnd.seed ^= rnd.seed << 17;
    return rnd.seed;
}

static void reader(void *arg)
{
    uint8_t *page = arg;
    struct ahci_seg seg = {va_maddr(page), PAGE_BYTES};

    while (rnd.to_issue > 0) {
        rnd.to_issue--;
        uint64_t sector = (xorshift() % rnd.area_blocks) * (PAGE_BYTES / SECTOR);
        long rc = bf ? blkfront_rw(bf, false, sector, page, PAGE_BYTES / SECTOR, false)
                     : ahci_rw_sync(AHCI_OP_READ, sector, PAGE_BYTES / SECTOR, &seg, 1, NULL);
        if (rc)
            rnd.failed++;
    }
    rnd.running--;
    wake_up(&rnd.wq);
}

static void bench_rand(uint8_t **pages, unsigned long ios, unsigned int depth, unsigned int batches,
                       unsigned long mib)
{
    uint64_t rates[MAX_BATCHES];
    unsigned long per = ios / batches ? ios / batches : 1;

    rnd.area_blocks = (uint64_t)mib * 256;
    rnd.seed = 0x9e3779b97f4a7c15ULL;
    for (unsigned int b = 0; b < batches; b++) {
        uint64_t t0 = system_time_ns();
        rnd.to_issue = per;
        rnd.running = 0;
        for (unsigned int k = 0; k < depth; k++) {
            rnd.running++;
            if (!thread_create("blkbench", reader, pages[k], 0)) {
                rnd.running--;
                break;
            }
        }
        wait_event(rnd.wq, rnd.running == 0);
        uint64_t ns = system_time_ns() - t0;
        rates[b] = ns ? (uint64_t)per * 10 * NSEC_PER_SEC_U / ns : 0;
    }
    if (rnd.failed) {
        printf("pvguest: bench: error name=blk_rand_read_4k_%s %lu reads failed\n", suffix,
               rnd.failed);
        failures++;
        return;
    }
    report("blk_rand_read_4k", "IOPS", per, rates, batches);
}

/* ---- the pass ---- */

static int run_pass(uint64_t disk_sectors)
{
    unsigned long mib = opt("bench_mib", 128, 4, 4096);
    unsigned long ios = opt("bench_ios", 16384, 1, 1000000);
    unsigned int depth = (unsigned int)opt("bench_depth", 16, 1, MAX_DEPTH);
    unsigned int batches = (unsigned int)opt("bench_batches", 8, 1, MAX_BATCHES);
    uint8_t *buf = memalign(PAGE_BYTES, CHUNK_SECTORS * SECTOR);
    uint8_t *pages[MAX_DEPTH];

    if (mib * 2048 > disk_sectors)
        mib = (unsigned long)(disk_sectors / 2048);
    mib -= mib % 4;
    if (!buf || mib < 4) {
        printf("pvguest: bench: error name=blk_%s no buffer or disk too small\n", suffix);
        return 1;
    }
    for (unsigned int k = 0; k < depth; k++) {
        pages[k] = memalign(PAGE_BYTES, PAGE_BYTES);
        if (!pages[k]) {
            printf("pvguest: bench: error name=blk_%s no memory\n", suffix);
            return 1;
        }
    }
    memset(buf, 0xa5, CHUNK_SECTORS * SECTOR);
    printf("pvguest: bench: block %s: %lu MiB each way in 4 MiB transfers of 128 KiB "
           "requests, %lu random 4 KiB reads %u in flight, %u batches\n",
           suffix, mib, ios, depth, batches);
    uint64_t t0 = system_time_ns();
    if (wanted("scan")) {
        /* One sequential read of the whole area with 128 KiB requests (scaling runs). */
        uint64_t s0 = system_time_ns(), sector = 0;
        for (unsigned long c = 0; c < mib * 2048 / CHUNK_SECTORS; c++, sector += CHUNK_SECTORS) {
            int rc = seq_transfer(false, sector, buf);
            if (rc) {
                printf("pvguest: bench: error name=blk_scan_%s read at sector %" PRIu64 ": %d\n",
                       suffix, sector, rc);
                failures++;
                break;
            }
        }
        printf("pvguest: bench: scan bytes=%" PRIu64 " start_ns=%" PRIu64 " end_ns=%" PRIu64 "\n",
               sector * SECTOR, s0, system_time_ns());
    }
    req_pages = REQ_PAGES;
    if (wanted("w128"))
        bench_seq(true, buf, mib, batches);
    if (wanted("r128"))
        bench_seq(false, buf, mib, batches);
    req_pages = REQ_PAGES / 2;
    if (wanted("w64"))
        bench_seq(true, buf, mib, batches);
    if (wanted("r64"))
        bench_seq(false, buf, mib, batches);
    req_pages = REQ_PAGES;
    if (wanted("rand"))
        bench_rand(pages, ios, depth, batches, mib);
    printf("pvguest: bench: block %s done in %" PRIu64 " ms\n", suffix,
           (system_time_ns() - t0) / 1000000);
    return failures ? 1 : 0;
}

int blkbench_run(void)
{
    char buf[16];
    int rc;

    char t[sizeof(tests)];
    if (cmdline_get("bench_tests", t, sizeof(t)) > 0)
        strcpy(tests, t);
    if (cmdline_get("disk", buf, sizeof(buf)) > 0 && strcmp(buf, "ahci") == 0) {
        /* The driver domain: the native pass first, then serve the guests. */
        long r = ahci_init();
        suffix = "native";
        if (r) {
            printf("pvguest: bench: error name=blk_native ahci_init = %ld\n", r);
            return 1;
        }
        struct ahci_stats before = ahci_stats;
        rc = run_pass(ahci_info()->sectors);
        printf("pvguest: bench: native: %lu interrupts for %lu requests, most in flight %lu\n",
               ahci_stats.interrupts - before.interrupts, ahci_stats.completed - before.completed,
               ahci_stats.max_in_flight);
        printf("pvguest: bench: native pass done\n");
        /* bench_serve=0: no vbds to serve (dom0 on Xen 4.17, issue 13's xen-dom0 column). */
        if (cmdline_get("bench_serve", buf, sizeof(buf)) > 0 && strcmp(buf, "0") == 0)
            return rc;
        return blkback_selftest() | rc;
    }
    suffix = "guest";
    bf = blkfront_open(0, 900 * NSEC_PER_SEC_U);
    if (!bf) {
        printf("pvguest: bench: error name=blk_guest no vbd\n");
        return 1;
    }
    const struct blkfront_info *in = blkfront_info(bf);
    rc = run_pass(in->sectors);
    printf("pvguest: bench: guest: %lu requests, %lu notifies, %lu events, most in flight %lu\n",
           in->requests, in->notifies, in->events, in->max_in_flight);
    blkfront_close(bf);
    return rc;
}
